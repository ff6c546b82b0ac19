/* sfn_api_request - see sfn_api_request.h. */
#include "sfn_api_request.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "sfn_api.h"

void sfn_request_reply_unavailable(struct http_request *request, int result)
{
    if (result == -ENOMEM)
        sfn_api_reply_error(request, 500, "InternalFailure", "Out of memory");
    else
        sfn_api_reply_error(request, 503, "ServiceUnavailable",
                            "Redis is unavailable; the request was not carried out (retry later)");
}

void sfn_request_reply_validation(struct http_request *request, const char *member, const char *constraint)
{
    sfn_api_reply_error(request, 400, "ValidationException",
                        "1 validation error detected: Value at '%s' failed to satisfy constraint: %s", member,
                        constraint);
}

/* A required string member; answers the validation error itself and returns NULL when it is missing. */
const char *sfn_request_required_string(struct http_request *request, const cJSON *body, const char *member)
{
    const char *value = json_string_member(body, member);
    if (!value) {
        sfn_request_reply_validation(request, member, "Member must not be null");
        return NULL;
    }
    return value;
}

/* Checks a string against the model's length limits; answers and returns false when it fails. */
bool sfn_request_check_length(struct http_request *request, const char *member, const char *value, size_t minimum,
                         size_t maximum)
{
    size_t length = strlen(value);
    char constraint[96];
    if (length >= minimum && length <= maximum)
        return true;
    snprintf(constraint, sizeof(constraint), "Member must have length %s %zu",
             length < minimum ? "greater than or equal to" : "less than or equal to",
             length < minimum ? minimum : maximum);
    sfn_request_reply_validation(request, member, constraint);
    return false;
}

bool sfn_request_page(struct http_request *request, const cJSON *body, long *max_results, long *offset)
{
    const cJSON *limit = cJSON_GetObjectItemCaseSensitive(body, "maxResults");
    const char *next_token = json_string_member(body, "nextToken");
    *max_results = 100;
    *offset = 0;
    if (limit) {
        if (!cJSON_IsNumber(limit) || limit->valuedouble < 0 || limit->valuedouble > 1000) {
            sfn_request_reply_validation(request, "maxResults", "Member must have value less than or equal to 1000");
            return false;
        }
        if (limit->valuedouble >= 1)
            *max_results = (long)limit->valuedouble;
    }
    if (next_token) {
        char *end;
        *offset = strtol(next_token, &end, 10);
        if (*end || end == next_token || *offset < 0) {
            sfn_api_reply_error(request, 400, "InvalidToken", "Invalid Token: 'Invalid nextToken'");
            return false;
        }
    }
    return true;
}

bool sfn_request_valid_json(const char *text)
{
    cJSON *parsed = NULL;
    if (json_parse(text, strlen(text), &parsed) < 0)
        return false;
    cJSON_Delete(parsed);
    return true;
}

/* Name rules of the service model: 1-80 characters, none of the forbidden ones. */
bool sfn_request_valid_name(const char *name)
{
    size_t length = strlen(name);
    if (length == 0 || length > 80)
        return false;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
        if (*c <= 0x20 || *c == 0x7f || strchr("<>{}[]?*\"#%\\^|~`$&,;:/", *c))
            return false;
    }
    return true;
}
