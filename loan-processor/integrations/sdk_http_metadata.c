/* sdk_http_metadata - see sdk_http_metadata.h. */
#include "sdk_http_metadata.h"

#include <errno.h>
#include <stdbool.h>

/* Adds name: [value] to all_headers and name: value to headers. */
static bool add_header(cJSON *all_headers, cJSON *headers, const char *name, const char *value)
{
    cJSON *values = cJSON_AddArrayToObject(all_headers, name);
    cJSON *text = values ? cJSON_CreateString(value) : NULL;
    if (!text || !cJSON_AddItemToArray(values, text)) {
        cJSON_Delete(text);
        return false;
    }
    return cJSON_AddStringToObject(headers, name, value) != NULL;
}

int sdk_http_metadata_add(cJSON *output, const struct sdk_http_header *headers, size_t count, const char *request_id)
{
    cJSON *http = cJSON_AddObjectToObject(output, "SdkHttpMetadata");
    cJSON *all_headers = http ? cJSON_AddObjectToObject(http, "AllHttpHeaders") : NULL;
    cJSON *plain_headers = all_headers ? cJSON_AddObjectToObject(http, "HttpHeaders") : NULL;
    bool ok = plain_headers != NULL;
    for (size_t i = 0; ok && i < count; i++)
        ok = add_header(all_headers, plain_headers, headers[i].name, headers[i].value);
    ok = ok && add_header(all_headers, plain_headers, "x-amzn-RequestId", request_id)
         && cJSON_AddNumberToObject(http, "HttpStatusCode", 200);
    cJSON *response = ok ? cJSON_AddObjectToObject(output, "SdkResponseMetadata") : NULL;
    ok = response && cJSON_AddStringToObject(response, "RequestId", request_id);
    return ok ? 0 : -ENOMEM;
}
