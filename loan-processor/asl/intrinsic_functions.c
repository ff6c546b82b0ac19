/*
 * intrinsic_functions - see intrinsic_functions.h.
 *
 * One recursive-descent parser serves both validation and evaluation: it
 * evaluates each call as soon as its arguments are parsed. An argument is a
 * value borrowed from the scope (a path) or owned (a literal, a nested
 * call's result), so a path to a large input costs no copy until a function
 * puts it into its result.
 */
#include "intrinsic_functions.h"

#include "asl_path.h"
#include "base64.h"
#include "digest.h"
#include "utf8.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CALL_PREFIX "States."
#define CALL_PREFIX_LENGTH (sizeof CALL_PREFIX - 1)

/* The Java int range AWS's integer arguments live in. */
#define SMALLEST_INTEGER (-2147483648LL)
#define LARGEST_INTEGER 2147483647LL

struct argument {
    const cJSON *value;         /* borrowed from the scope, or owned below */
    cJSON *owned;               /* a literal or a nested call's result; NULL for a path */
    const char *literal_text;   /* a string literal: its text between the quotes, escapes kept */
    size_t literal_length;
};

struct argument_list {
    struct argument *items;
    size_t count;
    size_t capacity;
};

struct evaluation {
    const struct intrinsic_scope *scope;
    const char *call;           /* the whole text, as messages quote it */
    char *error;
    size_t error_size;
};

struct parser {
    const char *position;
    struct evaluation *evaluation;   /* NULL while only validating */
    unsigned calls;                  /* parsed so far, nested ones included */
};

struct function;
typedef int function_body(struct evaluation *evaluation, const struct function *function,
                          struct argument *arguments, size_t count, cJSON **result);

struct function {
    const char *name;
    size_t minimum_arguments;
    size_t maximum_arguments;
    function_body *body;
};

/* ---- messages ------------------------------------------------------------ */

__attribute__((format(printf, 2, 3)))
static void write_error(const struct evaluation *evaluation, const char *format, ...)
{
    va_list arguments;

    if (evaluation->error == NULL || evaluation->error_size == 0)
        return;
    va_start(arguments, format);
    vsnprintf(evaluation->error, evaluation->error_size, format, arguments);
    va_end(arguments);
}

/* Reports an intrinsic failure of the whole call; returns -EDOM. */
__attribute__((format(printf, 2, 3)))
static int fail(const struct evaluation *evaluation, const char *format, ...)
{
    char detail[512];
    va_list arguments;

    va_start(arguments, format);
    vsnprintf(detail, sizeof detail, format, arguments);
    va_end(arguments);
    write_error(evaluation, "The function '%s' had the following error: %s", evaluation->call, detail);
    return -EDOM;
}

static const char *type_name(const cJSON *value)
{
    if (cJSON_IsString(value))
        return "a string";
    if (cJSON_IsNumber(value))
        return "a number";
    if (cJSON_IsBool(value))
        return "a boolean";
    if (cJSON_IsArray(value))
        return "an array";
    if (cJSON_IsObject(value))
        return "an object";
    return "null";
}

/* ---- values -------------------------------------------------------------- */

/* A deep copy without the member name the original may carry; NULL when out of memory. */
static cJSON *duplicate_value(const cJSON *value)
{
    cJSON *copy = cJSON_Duplicate(value, true);

    if (copy != NULL && copy->string != NULL) {
        if (!(copy->type & cJSON_StringIsConst))
            cJSON_free(copy->string);
        copy->string = NULL;
        copy->type &= ~cJSON_StringIsConst;
    }
    return copy;
}

/* The argument's value for a result: moved out when owned, else copied. NULL when out of memory. */
static cJSON *take_value(struct argument *argument)
{
    cJSON *value = argument->owned;

    if (value == NULL)
        return duplicate_value(argument->value);
    argument->owned = NULL;
    argument->value = NULL;
    return value;
}

/* Adds the rough printed size of value to *total; false as soon as *total passes limit. */
static bool add_weight(const cJSON *value, size_t limit, size_t *total)
{
    const cJSON *child;

    *total += 8 + (value->string != NULL ? strlen(value->string) : 0) +
              (cJSON_IsString(value) ? strlen(value->valuestring) : 0);
    if (*total > limit)
        return false;
    cJSON_ArrayForEach(child, value) {
        if (!add_weight(child, limit, total))
            return false;
    }
    return true;
}

/* Java's Math.round: the nearest integer, halves rounded up. */
static double round_half_up(double number)
{
    return floor(number + 0.5);
}

/*
 * The index-th argument as an integer in [minimum, maximum] (non-integers
 * rounded); an intrinsic failure otherwise.
 */
static int integer_argument(const struct evaluation *evaluation, const struct function *function,
                            const struct argument *arguments, size_t index, long long minimum, long long maximum,
                            long long *integer)
{
    const cJSON *value = arguments[index].value;
    double rounded;

    if (!cJSON_IsNumber(value))
        return fail(evaluation, "Invalid arguments in %s: argument %zu must be an integer, not %s", function->name,
                    index + 1, type_name(value));
    rounded = round_half_up(value->valuedouble);
    if (!(rounded >= (double)minimum && rounded <= (double)maximum))
        return fail(evaluation, "Invalid arguments in %s: argument %zu must be an integer from %lld to %lld",
                    function->name, index + 1, minimum, maximum);
    *integer = (long long)rounded;
    return 0;
}

/* The index-th argument must be of the type test accepts, described as wanted. */
static int check_type(const struct evaluation *evaluation, const struct function *function,
                      const struct argument *arguments, size_t index, cJSON_bool (*test)(const cJSON *),
                      const char *wanted)
{
    if (test(arguments[index].value))
        return 0;
    return fail(evaluation, "Invalid arguments in %s: argument %zu must be %s, not %s", function->name, index + 1,
                wanted, type_name(arguments[index].value));
}

/* A string argument of at most INTRINSIC_MAX_TEXT_CHARACTERS characters. */
static int check_short_text(const struct evaluation *evaluation, const struct function *function,
                            const struct argument *arguments, size_t index)
{
    int rc = check_type(evaluation, function, arguments, index, cJSON_IsString, "a string");

    if (rc == 0 && utf8_count_text(arguments[index].value->valuestring) > INTRINSIC_MAX_TEXT_CHARACTERS)
        return fail(evaluation, "Invalid arguments in %s: argument %zu is longer than %d characters", function->name,
                    index + 1, INTRINSIC_MAX_TEXT_CHARACTERS);
    return rc;
}

/* ---- a growing text, for States.Format ------------------------------------ */

struct text_builder {
    char *text;
    size_t length;
    size_t capacity;
    size_t limit;
};

/* Appends length bytes; -E2BIG past the limit, -ENOMEM. */
static int append_text(struct text_builder *builder, const char *bytes, size_t length)
{
    if (length > builder->limit - builder->length)
        return -E2BIG;
    if (builder->length + length + 1 > builder->capacity) {
        size_t capacity = builder->capacity ? builder->capacity : 64;
        char *grown;
        while (capacity < builder->length + length + 1)
            capacity *= 2;
        grown = cJSON_malloc(capacity);
        if (grown == NULL)
            return -ENOMEM;
        if (builder->length > 0)
            memcpy(grown, builder->text, builder->length);
        cJSON_free(builder->text);
        builder->text = grown;
        builder->capacity = capacity;
    }
    memcpy(builder->text + builder->length, bytes, length);
    builder->length += length;
    builder->text[builder->length] = '\0';
    return 0;
}

static int append_string(struct text_builder *builder, const char *text)
{
    return append_text(builder, text, strlen(text));
}

/* A number as JSON writes it: whole numbers without a fraction, others with the fewest digits that round-trip. */
static void format_number(double number, char text[32])
{
    if (number == floor(number) && fabs(number) < 1e15) {
        snprintf(text, 32, "%.0f", number);
        return;
    }
    snprintf(text, 32, "%.15g", number);
    if (strtod(text, NULL) != number)
        snprintf(text, 32, "%.17g", number);
}

/*
 * Writes a States.Format argument: strings as they are, numbers, booleans
 * and null as in JSON, and arrays and objects as AWS's Java service prints
 * them: [a, b] and {key=value, other=[1, 2]}.
 */
static int append_rendered(struct text_builder *builder, const cJSON *value)
{
    const bool is_object = cJSON_IsObject(value);
    const cJSON *child;
    char number[32];
    int rc;

    if (cJSON_IsString(value))
        return append_string(builder, value->valuestring);
    if (cJSON_IsNumber(value)) {
        format_number(value->valuedouble, number);
        return append_string(builder, number);
    }
    if (cJSON_IsBool(value))
        return append_string(builder, cJSON_IsTrue(value) ? "true" : "false");
    if (!is_object && !cJSON_IsArray(value))
        return append_string(builder, "null");
    rc = append_string(builder, is_object ? "{" : "[");
    cJSON_ArrayForEach(child, value) {
        if (rc == 0 && child != value->child)
            rc = append_string(builder, ", ");
        if (rc == 0 && is_object)
            rc = append_string(builder, child->string);
        if (rc == 0 && is_object)
            rc = append_string(builder, "=");
        if (rc == 0)
            rc = append_rendered(builder, child);
    }
    return rc == 0 ? append_string(builder, is_object ? "}" : "]") : rc;
}

/* ---- States.Format ------------------------------------------------------- */

/* Walks a Format template: "{}" is a placeholder; in a literal's text a backslash escapes the next character. */
struct template_cursor {
    const char *position;
    const char *end;
    bool escapes;
};

/* The next piece: false at the end; else a placeholder, or one byte in *byte. */
static bool next_template_piece(struct template_cursor *cursor, bool *placeholder, char *byte)
{
    const char *position = cursor->position;

    if (position >= cursor->end)
        return false;
    *placeholder = position[0] == '{' && position + 1 < cursor->end && position[1] == '}';
    if (*placeholder) {
        cursor->position = position + 2;
        return true;
    }
    if (cursor->escapes && position[0] == '\\' && position + 1 < cursor->end)
        position++;
    *byte = *position;
    cursor->position = position + 1;
    return true;
}

static struct template_cursor template_of(const struct argument *argument)
{
    struct template_cursor cursor;

    cursor.escapes = argument->literal_text != NULL;
    cursor.position = cursor.escapes ? argument->literal_text : argument->value->valuestring;
    cursor.end = cursor.position + (cursor.escapes ? argument->literal_length : strlen(cursor.position));
    return cursor;
}

static int format_body(struct evaluation *evaluation, const struct function *function, struct argument *arguments,
                       size_t count, cJSON **result)
{
    struct text_builder builder = { NULL, 0, 0, INTRINSIC_MAX_FORMAT_BYTES };
    struct template_cursor cursor;
    size_t placeholders = 0;
    bool placeholder;
    char byte;
    int rc = check_type(evaluation, function, arguments, 0, cJSON_IsString, "a string");

    if (rc < 0)
        return rc;
    for (cursor = template_of(&arguments[0]); next_template_piece(&cursor, &placeholder, &byte);)
        placeholders += placeholder;
    if (placeholders != count - 1)
        return fail(evaluation, "Invalid arguments in %s: the number of arguments does not match the occurrences of {}",
                    function->name);
    rc = append_text(&builder, "", 0);
    placeholders = 0;
    for (cursor = template_of(&arguments[0]); rc == 0 && next_template_piece(&cursor, &placeholder, &byte);)
        rc = placeholder ? append_rendered(&builder, arguments[1 + placeholders++].value)
                         : append_text(&builder, &byte, 1);
    if (rc == 0) {
        *result = cJSON_CreateString(builder.text);
        rc = *result != NULL ? 0 : -ENOMEM;
    } else if (rc == -E2BIG) {
        rc = fail(evaluation, "Invalid arguments in %s: the result is longer than %d bytes", function->name,
                  INTRINSIC_MAX_FORMAT_BYTES);
    }
    cJSON_free(builder.text);
    return rc;
}

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
    cJSON_ArrayForEach(child, value)
        drop_negative_zeros(child);
}

/* Blank text gives null, as AWS answers; anything but one JSON value is an intrinsic failure. */
static int string_to_json_body(struct evaluation *evaluation, const struct function *function,
                               struct argument *arguments, size_t count, cJSON **result)
{
    const char *text, *end = NULL;
    int rc = check_type(evaluation, function, arguments, 0, cJSON_IsString, "a string");

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
    return fail(evaluation, "Invalid arguments in %s: the string is not a JSON text", function->name);
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
static int json_merge_body(struct evaluation *evaluation, const struct function *function,
                           struct argument *arguments, size_t count, cJSON **result)
{
    cJSON *merged;
    const cJSON *member;
    int rc = check_type(evaluation, function, arguments, 0, cJSON_IsObject, "an object");

    (void)count;
    if (rc == 0)
        rc = check_type(evaluation, function, arguments, 1, cJSON_IsObject, "an object");
    if (rc == 0)
        rc = check_type(evaluation, function, arguments, 2, cJSON_IsBool, "a boolean");
    if (rc == 0 && cJSON_IsTrue(arguments[2].value))
        rc = fail(evaluation, "Invalid arguments in %s: deep merging is not supported, the third argument must be false",
                  function->name);
    if (rc < 0)
        return rc;
    merged = take_value(&arguments[0]);
    if (merged == NULL)
        return -ENOMEM;
    cJSON_ArrayForEach(member, arguments[1].value) {
        cJSON *copy = duplicate_value(member);
        bool placed = copy != NULL &&
            (cJSON_GetObjectItemCaseSensitive(merged, member->string) != NULL
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
        cJSON *item = take_value(&arguments[i]);
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
    int rc = check_type(evaluation, function, arguments, 0, cJSON_IsArray, "an array");

    (void)count;
    if (rc == 0)
        rc = integer_argument(evaluation, function, arguments, 1, 1, LARGEST_INTEGER, &chunk_size);
    if (rc < 0)
        return rc;
    chunks = cJSON_CreateArray();
    if (chunks == NULL)
        return -ENOMEM;
    cJSON_ArrayForEach(item, arguments[0].value) {
        cJSON *copy;
        if (in_chunk == 0) {
            chunk = cJSON_CreateArray();
            if (chunk == NULL)
                goto out_of_memory;
            cJSON_AddItemToArray(chunks, chunk);
        }
        copy = duplicate_value(item);
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
    int rc = check_type(evaluation, function, arguments, 0, cJSON_IsArray, "an array");

    (void)count;
    if (rc < 0)
        return rc;
    cJSON_ArrayForEach(item, arguments[0].value) {
        if (cJSON_Compare(item, arguments[1].value, true)) {
            found = true;
            break;
        }
    }
    *result = cJSON_CreateBool(found);
    return *result != NULL ? 0 : -ENOMEM;
}

/* From start to end (both included when the steps land on it), by step; at most INTRINSIC_MAX_RANGE_ITEMS. */
static int array_range_body(struct evaluation *evaluation, const struct function *function,
                            struct argument *arguments, size_t count, cJSON **result)
{
    long long start = 0, end = 0, step = 0, items = 0;
    cJSON *array;
    int rc = integer_argument(evaluation, function, arguments, 0, SMALLEST_INTEGER, LARGEST_INTEGER, &start);

    (void)count;
    if (rc == 0)
        rc = integer_argument(evaluation, function, arguments, 1, SMALLEST_INTEGER, LARGEST_INTEGER, &end);
    if (rc == 0)
        rc = integer_argument(evaluation, function, arguments, 2, SMALLEST_INTEGER, LARGEST_INTEGER, &step);
    if (rc == 0 && step == 0)
        rc = fail(evaluation, "Invalid arguments in %s: the step must not be 0", function->name);
    if (rc < 0)
        return rc;
    if ((step > 0 && end >= start) || (step < 0 && end <= start))
        items = (end - start) / step + 1;
    if (items > INTRINSIC_MAX_RANGE_ITEMS)
        return fail(evaluation, "Invalid arguments in %s: the array would have %lld items, more than %d",
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
    int rc = check_type(evaluation, function, arguments, 0, cJSON_IsArray, "an array");
    int length = cJSON_GetArraySize(arguments[0].value);

    (void)count;
    if (rc == 0)
        rc = integer_argument(evaluation, function, arguments, 1, 0, LARGEST_INTEGER, &index);
    if (rc == 0 && index >= length)
        rc = fail(evaluation, "Invalid arguments in %s: the index %lld is out of bounds for an array of %d items",
                  function->name, index, length);
    if (rc < 0)
        return rc;
    *result = duplicate_value(cJSON_GetArrayItem(arguments[0].value, (int)index));
    return *result != NULL ? 0 : -ENOMEM;
}

static int array_length_body(struct evaluation *evaluation, const struct function *function,
                             struct argument *arguments, size_t count, cJSON **result)
{
    int rc = check_type(evaluation, function, arguments, 0, cJSON_IsArray, "an array");

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
    cJSON_ArrayForEach(child, value) {
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

/* Keeps the first of equal items, in order; a hash table keeps it linear. */
static int array_unique_body(struct evaluation *evaluation, const struct function *function,
                             struct argument *arguments, size_t count, cJSON **result)
{
    const cJSON *item;
    const cJSON **table = NULL;
    size_t slots = 16;
    cJSON *unique;
    int rc = check_type(evaluation, function, arguments, 0, cJSON_IsArray, "an array");

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
    cJSON_ArrayForEach(item, arguments[0].value) {
        size_t slot = (size_t)value_hash(item) & (slots - 1);
        cJSON *copy;
        while (table[slot] != NULL && !cJSON_Compare(table[slot], item, true))
            slot = (slot + 1) & (slots - 1);
        if (table[slot] != NULL)
            continue;
        table[slot] = item;
        copy = duplicate_value(item);
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

/* ---- encoding and hashing ------------------------------------------------ */

static int base64_encode_body(struct evaluation *evaluation, const struct function *function,
                              struct argument *arguments, size_t count, cJSON **result)
{
    const char *text;
    char *encoded;
    int rc = check_short_text(evaluation, function, arguments, 0);

    (void)count;
    if (rc < 0)
        return rc;
    text = arguments[0].value->valuestring;
    encoded = cJSON_malloc(base64_encoded_size(strlen(text)));
    if (encoded == NULL)
        return -ENOMEM;
    base64_encode(text, strlen(text), encoded);
    *result = cJSON_CreateString(encoded);
    cJSON_free(encoded);
    return *result != NULL ? 0 : -ENOMEM;
}

/* Standard base64, padding optional; the bytes must be UTF-8 text. */
static int base64_decode_body(struct evaluation *evaluation, const struct function *function,
                              struct argument *arguments, size_t count, cJSON **result)
{
    const char *text;
    char *padded = NULL, *decoded = NULL;
    size_t length, padded_length, capacity, decoded_length = 0;
    int rc = check_short_text(evaluation, function, arguments, 0);

    (void)count;
    if (rc < 0)
        return rc;
    text = arguments[0].value->valuestring;
    length = strlen(text);
    padded_length = length % 4 >= 2 ? length + 4 - length % 4 : length;
    capacity = padded_length / 4 * 3;
    padded = cJSON_malloc(padded_length + 1);
    decoded = padded != NULL ? cJSON_malloc(capacity + 1) : NULL;
    if (decoded == NULL) {
        rc = -ENOMEM;
        goto cleanup;
    }
    memcpy(padded, text, length);
    memset(padded + length, '=', padded_length - length);
    padded[padded_length] = '\0';
    if (base64_decode(padded, decoded, capacity, &decoded_length) < 0)
        rc = fail(evaluation, "Invalid arguments in %s: the string is not base64", function->name);
    else if (!utf8_is_valid(decoded, decoded_length) || memchr(decoded, 0, decoded_length))
        rc = fail(evaluation, "Invalid arguments in %s: the decoded bytes are not UTF-8 text", function->name);
    if (rc == 0) {
        decoded[decoded_length] = '\0';
        *result = cJSON_CreateString(decoded);
        rc = *result != NULL ? 0 : -ENOMEM;
    }

cleanup:
    cJSON_free(padded);
    cJSON_free(decoded);
    return rc;
}

static int hash_body(struct evaluation *evaluation, const struct function *function, struct argument *arguments,
                     size_t count, cJSON **result)
{
    enum digest_algorithm algorithm;
    char hex[DIGEST_MAX_HEX_SIZE];
    const char *data;
    int rc = check_short_text(evaluation, function, arguments, 0);

    (void)count;
    if (rc == 0)
        rc = check_type(evaluation, function, arguments, 1, cJSON_IsString, "a string");
    if (rc == 0 && digest_algorithm_from_name(arguments[1].value->valuestring, &algorithm) < 0)
        rc = fail(evaluation, "Invalid arguments in %s: the algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512",
                  function->name);
    if (rc < 0)
        return rc;
    data = arguments[0].value->valuestring;
    digest_hex(algorithm, data, strlen(data), hex);
    *result = cJSON_CreateString(hex);
    return *result != NULL ? 0 : -ENOMEM;
}

/* ---- numbers and randomness ---------------------------------------------- */

static int math_add_body(struct evaluation *evaluation, const struct function *function,
                         struct argument *arguments, size_t count, cJSON **result)
{
    long long first = 0, second = 0;
    int rc = integer_argument(evaluation, function, arguments, 0, SMALLEST_INTEGER, LARGEST_INTEGER, &first);

    (void)count;
    if (rc == 0)
        rc = integer_argument(evaluation, function, arguments, 1, SMALLEST_INTEGER, LARGEST_INTEGER, &second);
    if (rc < 0)
        return rc;
    *result = cJSON_CreateNumber((double)(first + second));
    return *result != NULL ? 0 : -ENOMEM;
}

/* SplitMix64: the next number of the sequence a seed starts. */
static uint64_t split_mix(uint64_t *state)
{
    uint64_t mixed = (*state += 0x9e3779b97f4a7c15ull);

    mixed = (mixed ^ mixed >> 30) * 0xbf58476d1ce4e5b9ull;
    mixed = (mixed ^ mixed >> 27) * 0x94d049bb133111ebull;
    return mixed ^ mixed >> 31;
}

/* Random bytes from the scope; -ENOTSUP without a source. */
static int draw_random(struct evaluation *evaluation, const struct function *function, void *buffer,
                        size_t length)
{
    if (evaluation->scope->random_bytes == NULL) {
        write_error(evaluation, "The function '%s' had the following error: %s needs a source of randomness",
                    evaluation->call, function->name);
        return -ENOTSUP;
    }
    return evaluation->scope->random_bytes(buffer, length);
}

/* An integer from start (included) to end (excluded); the same for the same seed. */
static int math_random_body(struct evaluation *evaluation, const struct function *function,
                            struct argument *arguments, size_t count, cJSON **result)
{
    long long start = 0, end = 0, seed = 0;
    uint64_t random = 0;
    int rc = integer_argument(evaluation, function, arguments, 0, SMALLEST_INTEGER, LARGEST_INTEGER, &start);

    if (rc == 0)
        rc = integer_argument(evaluation, function, arguments, 1, SMALLEST_INTEGER, LARGEST_INTEGER, &end);
    if (rc == 0 && end <= start)
        rc = fail(evaluation, "Invalid arguments in %s: the start must be less than the end", function->name);
    if (rc == 0 && count == 3)
        rc = integer_argument(evaluation, function, arguments, 2, LLONG_MIN / 2, LLONG_MAX / 2, &seed);
    if (rc < 0)
        return rc;
    if (count == 3) {
        uint64_t state = (uint64_t)seed;
        random = split_mix(&state);
    } else {
        rc = draw_random(evaluation, function, &random, sizeof random);
        if (rc < 0)
            return rc;
    }
    /* The span is below 2^32, so the modulo's bias is below 2^-32. */
    *result = cJSON_CreateNumber((double)(start + (long long)(random % (uint64_t)(end - start))));
    return *result != NULL ? 0 : -ENOMEM;
}

/* A random (version 4) UUID in lower-case hex. */
static int uuid_body(struct evaluation *evaluation, const struct function *function, struct argument *arguments,
                     size_t count, cJSON **result)
{
    unsigned char bytes[16];
    char text[37];
    int rc = draw_random(evaluation, function, bytes, sizeof bytes);

    (void)arguments, (void)count;
    if (rc < 0)
        return rc;
    bytes[6] = (unsigned char)((bytes[6] & 0x0f) | 0x40);
    bytes[8] = (unsigned char)((bytes[8] & 0x3f) | 0x80);
    snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
             bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10],
             bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
    *result = cJSON_CreateString(text);
    return *result != NULL ? 0 : -ENOMEM;
}

/* ---- strings ------------------------------------------------------------- */

static int compare_code_points(const void *left, const void *right)
{
    uint32_t a = *(const uint32_t *)left, b = *(const uint32_t *)right;

    return (a > b) - (a < b);
}

/* Adds length bytes of text as a string, unless empty (AWS drops empty parts). */
static int add_part(cJSON *parts, const char *text, size_t length)
{
    char *copy;
    cJSON *part;

    if (length == 0)
        return 0;
    copy = cJSON_malloc(length + 1);
    if (copy == NULL)
        return -ENOMEM;
    memcpy(copy, text, length);
    copy[length] = '\0';
    part = cJSON_CreateString(copy);
    cJSON_free(copy);
    if (part == NULL)
        return -ENOMEM;
    cJSON_AddItemToArray(parts, part);
    return 0;
}

/* Splits the string at every character that appears in the delimiter string; empty parts are dropped. */
static int string_split_body(struct evaluation *evaluation, const struct function *function,
                             struct argument *arguments, size_t count, cJSON **result)
{
    const unsigned char *text, *delimiters, *part_start;
    size_t remaining, delimiter_count = 0;
    uint32_t *set = NULL, code_point;
    cJSON *parts = NULL;
    int rc = check_type(evaluation, function, arguments, 0, cJSON_IsString, "a string");

    (void)count;
    if (rc == 0)
        rc = check_type(evaluation, function, arguments, 1, cJSON_IsString, "a string");
    if (rc < 0)
        return rc;
    delimiters = (const unsigned char *)arguments[1].value->valuestring;
    remaining = strlen((const char *)delimiters);
    set = cJSON_malloc((remaining + 1) * sizeof *set);
    parts = set != NULL ? cJSON_CreateArray() : NULL;
    if (parts == NULL)
        goto out_of_memory;
    while (remaining > 0) {
        size_t length = utf8_next((const char *)delimiters, remaining, &set[delimiter_count++]);
        delimiters += length;
        remaining -= length;
    }
    qsort(set, delimiter_count, sizeof *set, compare_code_points);
    text = part_start = (const unsigned char *)arguments[0].value->valuestring;
    remaining = strlen((const char *)text);
    while (remaining > 0) {
        size_t length = utf8_next((const char *)text, remaining, &code_point);
        if (bsearch(&code_point, set, delimiter_count, sizeof *set, compare_code_points) != NULL) {
            if (add_part(parts, (const char *)part_start, (size_t)(text - part_start)) < 0)
                goto out_of_memory;
            part_start = text + length;
        }
        text += length;
        remaining -= length;
    }
    if (add_part(parts, (const char *)part_start, (size_t)(text - part_start)) < 0)
        goto out_of_memory;
    cJSON_free(set);
    *result = parts;
    return 0;

out_of_memory:
    cJSON_free(set);
    cJSON_Delete(parts);
    return -ENOMEM;
}

/* ---- the functions ------------------------------------------------------- */

#define ANY_NUMBER ((size_t)-1)

static const struct function functions[] = {
    { "States.Format", 1, ANY_NUMBER, format_body },
    { "States.StringToJson", 1, 1, string_to_json_body },
    { "States.JsonToString", 1, 1, json_to_string_body },
    { "States.Array", 0, ANY_NUMBER, array_body },
    { "States.ArrayPartition", 2, 2, array_partition_body },
    { "States.ArrayContains", 2, 2, array_contains_body },
    { "States.ArrayRange", 3, 3, array_range_body },
    { "States.ArrayGetItem", 2, 2, array_get_item_body },
    { "States.ArrayLength", 1, 1, array_length_body },
    { "States.ArrayUnique", 1, 1, array_unique_body },
    { "States.Base64Encode", 1, 1, base64_encode_body },
    { "States.Base64Decode", 1, 1, base64_decode_body },
    { "States.Hash", 2, 2, hash_body },
    { "States.JsonMerge", 3, 3, json_merge_body },
    { "States.MathRandom", 2, 3, math_random_body },
    { "States.MathAdd", 2, 2, math_add_body },
    { "States.StringSplit", 2, 2, string_split_body },
    { "States.UUID", 0, 0, uuid_body },
};

/* Reads "States.Name" at the parser's position; the function, or NULL for an unknown name. */
static const struct function *parse_function_name(struct parser *parser)
{
    const char *start = parser->position, *end = start + CALL_PREFIX_LENGTH;

    if (strncmp(start, CALL_PREFIX, CALL_PREFIX_LENGTH) != 0)
        return NULL;
    while ((*end >= 'a' && *end <= 'z') || (*end >= 'A' && *end <= 'Z') || (*end >= '0' && *end <= '9'))
        end++;
    for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
        if (strlen(functions[i].name) == (size_t)(end - start) &&
            strncmp(functions[i].name, start, (size_t)(end - start)) == 0) {
            parser->position = end;
            return &functions[i];
        }
    }
    return NULL;
}

/* ---- the parser ---------------------------------------------------------- */

static void release_argument(struct argument *argument)
{
    cJSON_Delete(argument->owned);
    argument->owned = NULL;
}

/* While validating, arguments are only counted: items stays NULL. */
static void release_arguments(struct argument_list *arguments)
{
    for (size_t i = 0; arguments->items != NULL && i < arguments->count; i++)
        release_argument(&arguments->items[i]);
    cJSON_free(arguments->items);
}

/* Appends argument (taking what it owns, releasing it on failure). */
static int append_argument(struct argument_list *arguments, struct argument *argument)
{
    if (arguments->count == arguments->capacity) {
        size_t capacity = arguments->capacity ? 2 * arguments->capacity : 4;
        struct argument *grown = cJSON_malloc(capacity * sizeof *grown);
        if (grown == NULL) {
            release_argument(argument);
            return -ENOMEM;
        }
        if (arguments->count > 0)
            memcpy(grown, arguments->items, arguments->count * sizeof *grown);
        cJSON_free(arguments->items);
        arguments->items = grown;
        arguments->capacity = capacity;
    }
    arguments->items[arguments->count++] = *argument;
    return 0;
}

static void skip_spaces(struct parser *parser)
{
    while (*parser->position == ' ' || *parser->position == '\t' || *parser->position == '\n' ||
           *parser->position == '\r')
        parser->position++;
}

/* Stores an owned value as the argument; -ENOMEM when value is NULL. */
static int own_value(struct argument *argument, cJSON *value)
{
    argument->owned = value;
    argument->value = value;
    return value != NULL ? 0 : -ENOMEM;
}

/* 'text' with the escapes \' \{ \} \\. */
static int parse_string(struct parser *parser, struct argument *argument)
{
    const char *const text = parser->position + 1;
    const char *start = text, *end;
    size_t length = 0;
    char *decoded;
    int rc;

    for (end = start; *end != '\''; end++) {
        if (*end == '\0')
            return -EINVAL;
        if (*end == '\\' && (end[1] == '\0' || strchr("'{}\\", end[1]) == NULL))
            return -EINVAL;
        end += *end == '\\';
        length++;
    }
    parser->position = end + 1;
    if (parser->evaluation == NULL)
        return 0;
    decoded = cJSON_malloc(length + 1);
    if (decoded == NULL)
        return -ENOMEM;
    for (length = 0; start < end; start++) {
        start += *start == '\\';
        decoded[length++] = *start;
    }
    decoded[length] = '\0';
    rc = own_value(argument, cJSON_CreateString(decoded));
    cJSON_free(decoded);
    argument->literal_text = text;
    argument->literal_length = (size_t)(end - text);
    return rc;
}

/* Skips a bracket segment of a path ("[0]", "['a, b']"); the position after it, or NULL if unclosed. */
static const char *skip_bracket(const char *position)
{
    for (position++; *position != ']'; position++) {
        if (*position == '\0')
            return NULL;
        if (*position == '\'' || *position == '"') {
            const char quote = *position;
            for (position++; *position != quote; position++) {
                if (*position == '\0')
                    return NULL;
                position += *position == '\\' && position[1] != '\0';
            }
        }
    }
    return position + 1;
}

static int write_path_not_found(struct evaluation *evaluation, const char *path)
{
    const cJSON *input = evaluation->scope->input;
    char *printed = input != NULL ? cJSON_PrintUnformatted(input) : NULL;

    if (input != NULL && printed == NULL)
        return -ENOMEM;
    write_error(evaluation,
                "The function '%s' had the following error: "
                "The JsonPath argument for the field '%s' could not be found in the input '%s'",
                evaluation->call, path, printed != NULL ? printed : "null");
    cJSON_free(printed);
    return -ENOENT;
}

/* $... or $$...: up to the next comma, closing parenthesis or space outside brackets. */
static int parse_path(struct parser *parser, struct argument *argument)
{
    const char *start = parser->position, *end = start;
    const cJSON *selected = NULL;
    char *path;
    int rc;

    while (*end != '\0' && *end != ',' && *end != ')' && *end != ' ' && *end != '\t' && *end != '\n' &&
           *end != '\r') {
        end = *end == '[' ? skip_bracket(end) : end + 1;
        if (end == NULL)
            return -EINVAL;
    }
    path = cJSON_malloc((size_t)(end - start) + 1);
    if (path == NULL)
        return -ENOMEM;
    memcpy(path, start, (size_t)(end - start));
    path[end - start] = '\0';
    parser->position = end;
    rc = asl_path_validate(path);
    if (rc == 0 && parser->evaluation != NULL) {
        const struct intrinsic_scope *scope = parser->evaluation->scope;
        rc = asl_path_select(path, scope->input, scope->context, &selected);
        if (rc == -ENOENT)
            rc = write_path_not_found(parser->evaluation, path);
        argument->value = selected;
    }
    cJSON_free(path);
    return rc;
}

/* A JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, finite. */
static int parse_number(struct parser *parser, struct argument *argument)
{
    const char *start = parser->position, *end = start;
    double number;

    end += *end == '-';
    if (*end == '0')
        end++;
    else if (*end >= '1' && *end <= '9')
        while (*end >= '0' && *end <= '9')
            end++;
    else
        return -EINVAL;
    if (*end == '.') {
        if (!(*++end >= '0' && *end <= '9'))
            return -EINVAL;
        while (*end >= '0' && *end <= '9')
            end++;
    }
    if (*end == 'e' || *end == 'E') {
        end++;
        end += *end == '+' || *end == '-';
        if (!(*end >= '0' && *end <= '9'))
            return -EINVAL;
        while (*end >= '0' && *end <= '9')
            end++;
    }
    number = strtod(start, NULL);
    if (!isfinite(number))
        return -EINVAL;
    parser->position = end;
    return parser->evaluation != NULL ? own_value(argument, cJSON_CreateNumber(number)) : 0;
}

/* true, false or null. */
static int parse_keyword(struct parser *parser, struct argument *argument)
{
    static const char *const keywords[] = { "true", "false", "null" };

    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++) {
        size_t length = strlen(keywords[i]);
        if (strncmp(parser->position, keywords[i], length) != 0)
            continue;
        parser->position += length;
        if (parser->evaluation == NULL)
            return 0;
        return own_value(argument, i == 2 ? cJSON_CreateNull() : cJSON_CreateBool(i == 0));
    }
    return -EINVAL;
}

static int parse_call(struct parser *parser, cJSON **result);

static int parse_argument(struct parser *parser, struct argument *argument)
{
    const char first = *parser->position;
    cJSON *value = NULL;
    int rc;

    if (first == '\'')
        return parse_string(parser, argument);
    if (first == '$')
        return parse_path(parser, argument);
    if (first == '-' || (first >= '0' && first <= '9'))
        return parse_number(parser, argument);
    if (strncmp(parser->position, CALL_PREFIX, CALL_PREFIX_LENGTH) != 0)
        return parse_keyword(parser, argument);
    rc = parse_call(parser, &value);
    return rc == 0 && parser->evaluation != NULL ? own_value(argument, value) : rc;
}

/* The arguments after "(", through ")". While validating they are only counted. */
static int parse_arguments(struct parser *parser, struct argument_list *arguments)
{
    skip_spaces(parser);
    if (*parser->position == ')') {
        parser->position++;
        return 0;
    }
    for (;;) {
        struct argument argument = { NULL, NULL, NULL, 0 };
        int rc;
        skip_spaces(parser);
        rc = parse_argument(parser, &argument);
        if (rc == 0 && parser->evaluation != NULL)
            rc = append_argument(arguments, &argument);
        else if (rc == 0)
            arguments->count++;
        if (rc < 0) {
            release_argument(&argument);
            return rc;
        }
        skip_spaces(parser);
        if (*parser->position == ')') {
            parser->position++;
            return 0;
        }
        if (*parser->position++ != ',')
            return -EINVAL;
    }
}

/* Runs function on its evaluated arguments, once they are known not to be too large together. */
static int run_function(struct evaluation *evaluation, const struct function *function,
                        struct argument_list *arguments, cJSON **result)
{
    size_t weight = 0;

    for (size_t i = 0; i < arguments->count; i++) {
        if (!add_weight(arguments->items[i].value, INTRINSIC_MAX_ARGUMENT_BYTES, &weight))
            return fail(evaluation, "Invalid arguments in %s: the arguments are larger than %d bytes together",
                        function->name, INTRINSIC_MAX_ARGUMENT_BYTES);
    }
    return function->body(evaluation, function, arguments->items, arguments->count, result);
}

/* States.Name(arguments), nested calls included. */
static int parse_call(struct parser *parser, cJSON **result)
{
    struct argument_list arguments = { NULL, 0, 0 };
    const struct function *function;
    int rc;

    if (++parser->calls > INTRINSIC_MAX_CALLS)
        return -EINVAL;
    function = parse_function_name(parser);
    if (function == NULL || *parser->position != '(')
        return -EINVAL;
    parser->position++;
    rc = parse_arguments(parser, &arguments);
    if (rc == 0 && (arguments.count < function->minimum_arguments || arguments.count > function->maximum_arguments))
        rc = -EINVAL;
    if (rc == 0 && parser->evaluation != NULL)
        rc = run_function(parser->evaluation, function, &arguments, result);
    release_arguments(&arguments);
    return rc;
}

/* Parses (and, with an evaluation, evaluates) the whole text as one call. */
static int parse_whole_call(const char *call, struct evaluation *evaluation, cJSON **result)
{
    struct parser parser = { call, evaluation, 0 };
    int rc = parse_call(&parser, result);

    if (rc == 0 && *parser.position != '\0') {
        if (result != NULL && *result != NULL) {
            cJSON_Delete(*result);
            *result = NULL;
        }
        rc = -EINVAL;
    }
    return rc;
}

/* ---- public -------------------------------------------------------------- */

bool intrinsic_is_call(const char *text)
{
    return text != NULL && strncmp(text, CALL_PREFIX, CALL_PREFIX_LENGTH) == 0;
}

int intrinsic_validate(const char *call)
{
    if (call == NULL)
        return -EINVAL;
    return parse_whole_call(call, NULL, NULL);
}

int intrinsic_evaluate(const char *call, const struct intrinsic_scope *scope, cJSON **result, char *error,
                       size_t error_size)
{
    struct evaluation evaluation = { scope, call, error, error_size };
    cJSON *value = NULL;
    int rc;

    if (error != NULL && error_size > 0)
        error[0] = '\0';
    if (scope == NULL || result == NULL)
        return -EINVAL;
    rc = intrinsic_validate(call);
    if (rc == 0)
        rc = parse_whole_call(call, &evaluation, &value);
    if (rc == 0)
        *result = value;
    else if (rc == -ENOMEM && error != NULL && error_size > 0)
        error[0] = '\0';
    return rc;
}
