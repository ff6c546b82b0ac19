/* json_util - see json_util.h. */
#include "json_util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* cJSON turns a number beyond a double's range into an infinity (printed as null): such a document is refused. */
static bool all_numbers_finite(const cJSON *value)
{
    if (cJSON_IsNumber(value))
        return isfinite(value->valuedouble);
    for (const cJSON *child = value->child; child; child = child->next) {
        if (!all_numbers_finite(child))
            return false;
    }
    return true;
}

int json_parse(const char *text, size_t length, cJSON **document)
{
    const char *end = NULL;
    if (length == 0)
        return -EINVAL;
    cJSON *parsed = cJSON_ParseWithLengthOpts(text, length, &end, false);
    if (!parsed)
        return -EINVAL;
    /* cJSON stops after the first value; anything but white space after it (a NUL included) is an error. */
    while (end && (size_t)(end - text) < length && *end && strchr(" \t\r\n", *end))
        end++;
    if (!end || (size_t)(end - text) < length || !all_numbers_finite(parsed)) {
        cJSON_Delete(parsed);
        return -EINVAL;
    }
    *document = parsed;
    return 0;
}

/*
 * Copies the length bytes of text into out (room for length bytes), each
 * \u0000 escape of a string as JSON_NUL_MARK. Returns the bytes written, or
 * 0 when a string holds a NUL byte (JSON wants it escaped).
 */
static size_t mark_nul_escapes(const char *text, size_t length, char *out)
{
    static const char nul_escape[] = "\\u0000";
    size_t written = 0;
    bool in_string = false;
    for (size_t i = 0; i < length; i++) {
        if (in_string && text[i] == '\0')
            return 0;
        if (in_string && text[i] == '\\' && length - i >= 6 && memcmp(text + i, nul_escape, 6) == 0) {
            memcpy(out + written, JSON_NUL_MARK, 2);
            written += 2;
            i += 5;
            continue;
        }
        if (in_string && text[i] == '\\' && i + 1 < length) {
            out[written++] = text[i++]; /* the escaped character, a quote included, is copied below */
        } else if (text[i] == '"') {
            in_string = !in_string;
        }
        out[written++] = text[i];
    }
    return written;
}

int json_parse_request(const char *text, size_t length, cJSON **document)
{
    if (!utf8_is_valid(text, length))
        return -EILSEQ;
    if (length == 0)
        return -EINVAL;
    char *marked = malloc(length);
    if (!marked)
        return -ENOMEM;
    size_t marked_length = mark_nul_escapes(text, length, marked);
    int result = marked_length ? json_parse(marked, marked_length, document) : -EINVAL;
    free(marked);
    return result;
}

int json_parse_body(const char *text, size_t length, cJSON **document, char *problem, size_t size)
{
    cJSON *parsed = NULL;
    int result = json_parse_request(text, length, &parsed);
    if (result == -EILSEQ)
        snprintf(problem, size, "The body is not UTF-8: invalid byte 0x%02x at offset %zu",
                 (unsigned char)text[utf8_first_invalid(text, length)], utf8_first_invalid(text, length));
    else if (result == -ENOMEM)
        snprintf(problem, size, "Out of memory");
    else if (result < 0)
        snprintf(problem, size, "The body is not valid JSON");
    else if (json_has_nul(parsed))
        snprintf(problem, size, "The body is not valid JSON: a string holds a NUL character (\\u0000)");
    else {
        *document = parsed;
        return 0;
    }
    cJSON_Delete(parsed);
    return result == -ENOMEM ? -ENOMEM : -EINVAL;
}

bool json_has_nul(const cJSON *value)
{
    if ((value->string && strstr(value->string, JSON_NUL_MARK))
        || (cJSON_IsString(value) && strstr(value->valuestring, JSON_NUL_MARK)))
        return true;
    for (const cJSON *child = value->child; child; child = child->next) {
        if (json_has_nul(child))
            return true;
    }
    return false;
}

char *json_print(const cJSON *value)
{
    return cJSON_PrintUnformatted(value);
}

const char *json_string_member(const cJSON *object, const char *name)
{
    const cJSON *member = cJSON_GetObjectItemCaseSensitive(object, name);
    return cJSON_IsString(member) ? member->valuestring : NULL;
}

const cJSON *json_object_member(const cJSON *object, const char *name)
{
    const cJSON *member = cJSON_GetObjectItemCaseSensitive(object, name);
    return cJSON_IsObject(member) ? member : NULL;
}

cJSON *json_error(const char *code_member, const char *code, const char *message)
{
    cJSON *error = cJSON_CreateObject();
    if (!error || !cJSON_AddStringToObject(error, code_member, code)
        || !cJSON_AddStringToObject(error, "message", message)) {
        cJSON_Delete(error);
        return NULL;
    }
    return error;
}

bool json_add_epoch_seconds(cJSON *object, const char *name, long long epoch_ms)
{
    return cJSON_AddNumberToObject(object, name, (double)epoch_ms / 1000.0) != NULL;
}

char *json_text_of(const cJSON *value)
{
    if (!cJSON_IsString(value))
        return json_print(value);
    size_t size = strlen(value->valuestring) + 1;
    char *copy = cJSON_malloc(size);
    if (copy)
        memcpy(copy, value->valuestring, size);
    return copy;
}

bool json_text_nesting_over(const char *text, size_t length, int limit)
{
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > limit)
                return true;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return false;
}

char *json_format_text(const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    int length = vsnprintf(NULL, 0, format, arguments);
    va_end(arguments);
    char *text = length >= 0 ? cJSON_malloc((size_t)length + 1) : NULL;
    if (text) {
        va_start(arguments, format);
        vsnprintf(text, (size_t)length + 1, format, arguments);
        va_end(arguments);
    }
    return text;
}

bool json_add_parsed(cJSON *object, const char *member, const char *text, const char *fallback)
{
    cJSON *value = NULL;
    if ((!text || json_parse(text, strlen(text), &value) < 0) && json_parse(fallback, strlen(fallback), &value) < 0)
        return false;
    if (!cJSON_AddItemToObject(object, member, value)) {
        cJSON_Delete(value);
        return false;
    }
    return true;
}

size_t json_append_string(char *out, const char *text)
{
    static const char hex[] = "0123456789abcdef";
    size_t length = 0;
    char escaped[6];
    if (out)
        out[length] = '"';
    length++;
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        size_t size = 2;
        escaped[0] = '\\';
        switch (*c) {
        case '"':
            escaped[1] = '"';
            break;
        case '\\':
            escaped[1] = '\\';
            break;
        case '\b':
            escaped[1] = 'b';
            break;
        case '\f':
            escaped[1] = 'f';
            break;
        case '\n':
            escaped[1] = 'n';
            break;
        case '\r':
            escaped[1] = 'r';
            break;
        case '\t':
            escaped[1] = 't';
            break;
        default:
            if (*c >= 0x20) {
                escaped[0] = (char)*c;
                size = 1;
            } else {
                memcpy(escaped + 1, "u00", 3);
                escaped[4] = hex[*c >> 4];
                escaped[5] = hex[*c & 0x0f];
                size = 6;
            }
        }
        if (out)
            memcpy(out + length, escaped, size);
        length += size;
    }
    if (out)
        out[length] = '"';
    return length + 1;
}
