/* json_util - see json_util.h. */
#include "json_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int json_parse(const char *text, size_t length, cJSON **document)
{
    const char *end = NULL;
    if (length == 0)
        return -EINVAL;
    cJSON *parsed = cJSON_ParseWithLengthOpts(text, length, &end, false);
    if (!parsed)
        return -EINVAL;
    /* cJSON stops after the first value; anything but white space after it is an error. */
    while (end && (size_t)(end - text) < length && strchr(" \t\r\n", *end) && *end)
        end++;
    if (end && (size_t)(end - text) < length) {
        cJSON_Delete(parsed);
        return -EINVAL;
    }
    *document = parsed;
    return 0;
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
