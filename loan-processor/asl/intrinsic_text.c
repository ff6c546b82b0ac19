/*
 * intrinsic_text - the intrinsic functions on text: States.Format,
 * Base64Encode, Base64Decode, Hash and StringSplit (see intrinsic_functions.h).
 */
#include "intrinsic_internal.h"

#include "base64.h"
#include "digest.h"
#include "utf8.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A string argument of at most INTRINSIC_MAX_TEXT_CHARACTERS characters. */
static int check_short_text(const struct evaluation *evaluation, const struct function *function,
                            const struct argument *arguments, size_t index)
{
    int rc = intrinsic_check_type(evaluation, function, arguments, index, cJSON_IsString, "a string");

    if (rc == 0 && utf8_count_text(arguments[index].value->valuestring) > INTRINSIC_MAX_TEXT_CHARACTERS)
        return intrinsic_fail(evaluation, "Invalid arguments in %s: argument %zu is longer than %d characters",
                              function->name, index + 1, INTRINSIC_MAX_TEXT_CHARACTERS);
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
    cJSON_ArrayForEach(child, value)
    {
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
    int rc = intrinsic_check_type(evaluation, function, arguments, 0, cJSON_IsString, "a string");

    if (rc < 0)
        return rc;
    for (cursor = template_of(&arguments[0]); next_template_piece(&cursor, &placeholder, &byte);)
        placeholders += placeholder;
    if (placeholders != count - 1)
        return intrinsic_fail(evaluation,
                              "Invalid arguments in %s: the number of arguments does not match the occurrences of {}",
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
        rc = intrinsic_fail(evaluation, "Invalid arguments in %s: the result is longer than %d bytes", function->name,
                            INTRINSIC_MAX_FORMAT_BYTES);
    }
    cJSON_free(builder.text);
    return rc;
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
        rc = intrinsic_fail(evaluation, "Invalid arguments in %s: the string is not base64", function->name);
    else if (!utf8_is_valid(decoded, decoded_length) || memchr(decoded, 0, decoded_length))
        rc =
            intrinsic_fail(evaluation, "Invalid arguments in %s: the decoded bytes are not UTF-8 text", function->name);
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
        rc = intrinsic_check_type(evaluation, function, arguments, 1, cJSON_IsString, "a string");
    if (rc == 0 && digest_algorithm_from_name(arguments[1].value->valuestring, &algorithm) < 0)
        rc = intrinsic_fail(
            evaluation, "Invalid arguments in %s: the algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512",
            function->name);
    if (rc < 0)
        return rc;
    data = arguments[0].value->valuestring;
    digest_hex(algorithm, data, strlen(data), hex);
    *result = cJSON_CreateString(hex);
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
static int string_split_body(struct evaluation *evaluation, const struct function *function, struct argument *arguments,
                             size_t count, cJSON **result)
{
    const unsigned char *text, *delimiters, *part_start;
    size_t remaining, delimiter_count = 0;
    uint32_t *set = NULL, code_point;
    cJSON *parts = NULL;
    int rc = intrinsic_check_type(evaluation, function, arguments, 0, cJSON_IsString, "a string");

    (void)count;
    if (rc == 0)
        rc = intrinsic_check_type(evaluation, function, arguments, 1, cJSON_IsString, "a string");
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

/* ---- the table ---------------------------------------------------------- */

static const struct function functions[] = {
    { "States.Format", 1, ANY_NUMBER, format_body },     { "States.Base64Encode", 1, 1, base64_encode_body },
    { "States.Base64Decode", 1, 1, base64_decode_body }, { "States.Hash", 2, 2, hash_body },
    { "States.StringSplit", 2, 2, string_split_body },
};

const struct function_group intrinsic_text_functions = { functions, sizeof functions / sizeof functions[0] };
