/*
 * intrinsic_json - the intrinsic functions on JSON values: States.StringToJson,
 * JsonToString, JsonMerge and the Array functions (see intrinsic_functions.h).
 */
#include "intrinsic_internal.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* ---- JSON ---------------------------------------------------------------- */

static bool is_json_space(char character)
{
    return character == ' ' || character == '\t' || character == '\n' || character == '\r';
}

/* AWS's parser reads -0 as the integer 0; cJSON keeps the sign, and would print it. */
static void drop_negative_zeros(cJSON *value)
{
    cJSON *child;

    if (cJSON_IsNumber(value) && value->valuedouble == 0)
        cJSON_SetNumberValue(value, 0);
    cJSON_ArrayForEach(child, value) drop_negative_zeros(child);
}

/* Blank text gives null, as AWS answers; anything but one JSON value is an intrinsic failure. */
static int string_to_json_body(struct evaluation *evaluation, const struct function *function,
                               struct argument *arguments, size_t count, cJSON **result)
{
    const char *text, *end = NULL;
    int rc = intrinsic_check_type(evaluation, function, arguments, 0, cJSON_IsString, "a string");

    (void)count;
    if (rc < 0)
        return rc;
    text = arguments[0].value->valuestring;
    while (is_json_space(*text))
        text++;
    if (*text == '\0') {
        *result = cJSON_CreateNull();
        return *result != NULL ? 0 : -ENOMEM;
    }
    /* cJSON cannot tell a syntax error from a failed allocation: both are reported as not JSON. */
    *result = cJSON_ParseWithOpts(text, &end, false);
    while (end != NULL && is_json_space(*end))
        end++;
    if (*result != NULL && *end == '\0') {
        drop_negative_zeros(*result);
        return 0;
    }
    cJSON_Delete(*result);
    *result = NULL;
    return intrinsic_fail(evaluation, "Invalid arguments in %s: the string is not a JSON text", function->name);
}

static int json_to_string_body(struct evaluation *evaluation, const struct function *function,
                               struct argument *arguments, size_t count, cJSON **result)
{
    char *printed = cJSON_PrintUnformatted(arguments[0].value);

    (void)evaluation, (void)function, (void)count;
    if (printed == NULL)
        return -ENOMEM;
    *result = cJSON_CreateString(printed);
    cJSON_free(printed);
    return *result != NULL ? 0 : -ENOMEM;
}

/* Shallow merge: the second object's members replace the first's. Deep merging is not supported, as on AWS. */
static int json_merge_body(struct evaluation *evaluation, const struct function *function, struct argument *arguments,
                           size_t count, cJSON **result)
{
    cJSON *merged;
    const cJSON *member;
    int rc = intrinsic_check_type(evaluation, function, arguments, 0, cJSON_IsObject, "an object");

    (void)count;
    if (rc == 0)
        rc = intrinsic_check_type(evaluation, function, arguments, 1, cJSON_IsObject, "an object");
    if (rc == 0)
        rc = intrinsic_check_type(evaluation, function, arguments, 2, cJSON_IsBool, "a boolean");
    if (rc == 0 && cJSON_IsTrue(arguments[2].value))
        rc = intrinsic_fail(evaluation,
                            "Invalid arguments in %s: deep merging is not supported, the third argument must be false",
                            function->name);
    if (rc < 0)
        return rc;
    merged = intrinsic_take_value(&arguments[0]);
    if (merged == NULL)
        return -ENOMEM;
    cJSON_ArrayForEach(member, arguments[1].value)
    {
        cJSON *copy = intrinsic_duplicate_value(member);
        bool placed = copy != NULL
                      && (cJSON_GetObjectItemCaseSensitive(merged, member->string) != NULL
                              ? cJSON_ReplaceItemInObjectCaseSensitive(merged, member->string, copy)
                              : cJSON_AddItemToObject(merged, member->string, copy));
        if (!placed) {
            cJSON_Delete(copy);
            cJSON_Delete(merged);
            return -ENOMEM;
        }
    }
    *result = merged;
    return 0;
}

/* ---- arrays -------------------------------------------------------------- */

static int array_body(struct evaluation *evaluation, const struct function *function, struct argument *arguments,
                      size_t count, cJSON **result)
{
    cJSON *array = cJSON_CreateArray();

    (void)evaluation, (void)function;
    if (array == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < count; i++) {
        cJSON *item = intrinsic_take_value(&arguments[i]);
        if (item == NULL) {
            cJSON_Delete(array);
            return -ENOMEM;
        }
        cJSON_AddItemToArray(array, item);
    }
    *result = array;
    return 0;
}

static int array_partition_body(struct evaluation *evaluation, const struct function *function,
                                struct argument *arguments, size_t count, cJSON **result)
{
    long long chunk_size = 0;
    const cJSON *item;
    cJSON *chunks, *chunk = NULL;
    size_t in_chunk = 0;
    int rc = intrinsic_check_type(evaluation, function, arguments, 0, cJSON_IsArray, "an array");

    (void)count;
    if (rc == 0)
        rc = intrinsic_integer_argument(evaluation, function, arguments, 1, 1, LARGEST_INTEGER, &chunk_size);
    if (rc < 0)
        return rc;
    chunks = cJSON_CreateArray();
    if (chunks == NULL)
        return -ENOMEM;
    cJSON_ArrayForEach(item, arguments[0].value)
    {
        cJSON *copy;
        if (in_chunk == 0) {
            chunk = cJSON_CreateArray();
            if (chunk == NULL)
                goto out_of_memory;
            cJSON_AddItemToArray(chunks, chunk);
        }
        copy = intrinsic_duplicate_value(item);
        if (copy == NULL)
            goto out_of_memory;
        cJSON_AddItemToArray(chunk, copy);
        in_chunk = in_chunk + 1 == (size_t)chunk_size ? 0 : in_chunk + 1;
    }
    *result = chunks;
    return 0;

out_of_memory:
    cJSON_Delete(chunks);
    return -ENOMEM;
}

static int array_contains_body(struct evaluation *evaluation, const struct function *function,
                               struct argument *arguments, size_t count, cJSON **result)
{
    const cJSON *item;
    bool found = false;
    int rc = intrinsic_check_type(evaluation, function, arguments, 0, cJSON_IsArray, "an array");

    (void)count;
    if (rc < 0)
        return rc;
    cJSON_ArrayForEach(item, arguments[0].value)
    {
        if (cJSON_Compare(item, arguments[1].value, true)) {
            found = true;
            break;
        }
    }
    *result = cJSON_CreateBool(found);
    return *result != NULL ? 0 : -ENOMEM;
}

/* From start to end (both included when the steps land on it), by step; at most INTRINSIC_MAX_RANGE_ITEMS. */
static int array_range_body(struct evaluation *evaluation, const struct function *function, struct argument *arguments,
                            size_t count, cJSON **result)
{
    long long start = 0, end = 0, step = 0, items = 0;
    cJSON *array;
    int rc = intrinsic_integer_argument(evaluation, function, arguments, 0, SMALLEST_INTEGER, LARGEST_INTEGER, &start);

    (void)count;
    if (rc == 0)
        rc = intrinsic_integer_argument(evaluation, function, arguments, 1, SMALLEST_INTEGER, LARGEST_INTEGER, &end);
    if (rc == 0)
        rc = intrinsic_integer_argument(evaluation, function, arguments, 2, SMALLEST_INTEGER, LARGEST_INTEGER, &step);
    if (rc == 0 && step == 0)
        rc = intrinsic_fail(evaluation, "Invalid arguments in %s: the step must not be 0", function->name);
    if (rc < 0)
        return rc;
    if ((step > 0 && end >= start) || (step < 0 && end <= start))
        items = (end - start) / step + 1;
    if (items > INTRINSIC_MAX_RANGE_ITEMS)
        return intrinsic_fail(evaluation, "Invalid arguments in %s: the array would have %lld items, more than %d",
                              function->name, items, INTRINSIC_MAX_RANGE_ITEMS);
    array = cJSON_CreateArray();
    for (long long i = 0; array != NULL && i < items; i++) {
        cJSON *number = cJSON_CreateNumber((double)(start + i * step));
        if (number == NULL) {
            cJSON_Delete(array);
            return -ENOMEM;
        }
        cJSON_AddItemToArray(array, number);
    }
    *result = array;
    return array != NULL ? 0 : -ENOMEM;
}

static int array_get_item_body(struct evaluation *evaluation, const struct function *function,
                               struct argument *arguments, size_t count, cJSON **result)
{
    long long index = 0;
    int rc = intrinsic_check_type(evaluation, function, arguments, 0, cJSON_IsArray, "an array");
    int length = cJSON_GetArraySize(arguments[0].value);

    (void)count;
    if (rc == 0)
        rc = intrinsic_integer_argument(evaluation, function, arguments, 1, 0, LARGEST_INTEGER, &index);
    if (rc == 0 && index >= length)
        rc = intrinsic_fail(evaluation,
                            "Invalid arguments in %s: the index %lld is out of bounds for an array of %d items",
                            function->name, index, length);
    if (rc < 0)
        return rc;
    *result = intrinsic_duplicate_value(cJSON_GetArrayItem(arguments[0].value, (int)index));
    return *result != NULL ? 0 : -ENOMEM;
}

static int array_length_body(struct evaluation *evaluation, const struct function *function, struct argument *arguments,
                             size_t count, cJSON **result)
{
    int rc = intrinsic_check_type(evaluation, function, arguments, 0, cJSON_IsArray, "an array");

    (void)count;
    if (rc < 0)
        return rc;
    *result = cJSON_CreateNumber(cJSON_GetArraySize(arguments[0].value));
    return *result != NULL ? 0 : -ENOMEM;
}

/*
 * A hash that agrees with cJSON_Compare(..., true) on equal values: members
 * of an object are summed, so their order does not matter. (cJSON_Compare
 * allows numbers a relative difference of DBL_EPSILON; such near twins may
 * hash apart and both stay, which is harmless.)
 */
static uint64_t value_hash(const cJSON *value)
{
    uint64_t hash = 1469598103934665603ull ^ (uint64_t)(value->type & 0xff);
    const cJSON *child;

    if (cJSON_IsNumber(value)) {
        double number = value->valuedouble == 0 ? 0 : value->valuedouble;
        uint64_t bits;
        memcpy(&bits, &number, sizeof bits);
        return hash ^ bits * 0x9e3779b97f4a7c15ull;
    }
    if (cJSON_IsString(value)) {
        for (const unsigned char *byte = (const unsigned char *)value->valuestring; *byte; byte++)
            hash = (hash ^ *byte) * 1099511628211ull;
        return hash;
    }
    cJSON_ArrayForEach(child, value)
    {
        uint64_t child_hash = value_hash(child);
        if (cJSON_IsObject(value)) {
            for (const unsigned char *byte = (const unsigned char *)child->string; *byte; byte++)
                child_hash = (child_hash ^ *byte) * 1099511628211ull;
            hash += child_hash;
        } else {
            hash = hash * 31 + child_hash;
        }
    }
    return hash;
}

/*
 * Spreads every bit of a hash over the low bits that pick a slot: the bits of
 * small whole numbers as doubles all sit high, and would share one slot.
 */
static size_t slot_of(const cJSON *value, size_t slots)
{
    uint64_t hash = value_hash(value);

    hash = (hash ^ hash >> 30) * 0xbf58476d1ce4e5b9ull;
    hash = (hash ^ hash >> 27) * 0x94d049bb133111ebull;
    return (size_t)(hash ^ hash >> 31) & (slots - 1);
}

/* Keeps the first of equal items, in order; a hash table keeps it linear. */
static int array_unique_body(struct evaluation *evaluation, const struct function *function, struct argument *arguments,
                             size_t count, cJSON **result)
{
    const cJSON *item;
    const cJSON **table = NULL;
    size_t slots = 16;
    cJSON *unique;
    int rc = intrinsic_check_type(evaluation, function, arguments, 0, cJSON_IsArray, "an array");

    (void)count;
    if (rc < 0)
        return rc;
    while (slots < 2 * (size_t)cJSON_GetArraySize(arguments[0].value))
        slots *= 2;
    table = cJSON_malloc(slots * sizeof *table);
    unique = table != NULL ? cJSON_CreateArray() : NULL;
    if (unique == NULL)
        goto out_of_memory;
    memset(table, 0, slots * sizeof *table);
    cJSON_ArrayForEach(item, arguments[0].value)
    {
        size_t slot = slot_of(item, slots);
        cJSON *copy;
        while (table[slot] != NULL && !cJSON_Compare(table[slot], item, true))
            slot = (slot + 1) & (slots - 1);
        if (table[slot] != NULL)
            continue;
        table[slot] = item;
        copy = intrinsic_duplicate_value(item);
        if (copy == NULL)
            goto out_of_memory;
        cJSON_AddItemToArray(unique, copy);
    }
    cJSON_free(table);
    *result = unique;
    return 0;

out_of_memory:
    cJSON_free(table);
    cJSON_Delete(unique);
    return -ENOMEM;
}

/* ---- the table ---------------------------------------------------------- */

static const struct function functions[] = {
    { "States.StringToJson", 1, 1, string_to_json_body },    { "States.JsonToString", 1, 1, json_to_string_body },
    { "States.JsonMerge", 3, 3, json_merge_body },           { "States.Array", 0, ANY_NUMBER, array_body },
    { "States.ArrayPartition", 2, 2, array_partition_body }, { "States.ArrayContains", 2, 2, array_contains_body },
    { "States.ArrayRange", 3, 3, array_range_body },         { "States.ArrayGetItem", 2, 2, array_get_item_body },
    { "States.ArrayLength", 1, 1, array_length_body },       { "States.ArrayUnique", 1, 1, array_unique_body },
};

const struct function_group intrinsic_json_functions = { functions, sizeof functions / sizeof functions[0] };
