/* sfn_api_request - see sfn_api_request.h. */
#include "sfn_api_request.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interpreter.h"
#include "json_util.h"
#include "redis_client.h"
#include "utf8.h"

#define SERVICE_NAMESPACE "com.amazonaws.swf.service.v2.model#"

void sfn_request_reply_error(struct http_request *request, unsigned status, const char *code, const char *format, ...)
{
    char formatted[8192], message[4096], type[160];
    va_list arguments;
    va_start(arguments, format);
    int length = vsnprintf(formatted, sizeof(formatted), format, arguments);
    va_end(arguments);
    /* Quoted values are cut on a character boundary and any byte that is not UTF-8 is replaced. */
    utf8_quote(message, sizeof(message), formatted,
               length < 0                           ? 0
               : (size_t)length < sizeof(formatted) ? (size_t)length
                                                    : sizeof(formatted) - 1);
    if (strcmp(code, "ValidationException") == 0)
        snprintf(type, sizeof(type), "com.amazon.coral.validate#%s", code);
    else if (strcmp(code, "UnknownOperationException") == 0 || strcmp(code, "SerializationException") == 0
             || strcmp(code, "UnrecognizedClientException") == 0)
        snprintf(type, sizeof(type), "com.amazon.coral.service#%s", code);
    else
        snprintf(type, sizeof(type), SERVICE_NAMESPACE "%s", code);
    http_request_reply_json(request, status, json_error("__type", type, message));
}

void sfn_request_reply_empty(struct http_request *request)
{
    http_request_reply(request, 200, "application/x-amz-json-1.0", "{}", 2);
}

void sfn_request_reply_no_state_machine(struct http_request *request, const char *arn)
{
    sfn_request_reply_error(request, 400, "StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", arn);
}

void sfn_request_reply_no_execution(struct http_request *request, const char *arn)
{
    sfn_request_reply_error(request, 400, "ExecutionDoesNotExist", "Execution Does Not Exist: '%s'", arn);
}

void sfn_request_reply_unavailable(struct http_request *request, const struct sfn_api *api, int result)
{
    if (result == -ENOMEM)
        sfn_request_reply_error(request, 500, "InternalFailure", "Out of memory");
    else if (result == -EPROTO)
        sfn_request_reply_error(request, 500, "InternalFailure",
                                "The store refused the change (see the server's store-refused log); retrying will not "
                                "help");
    else if (result == -EBUSY)
        sfn_request_reply_error(request, 503, "ServiceUnavailable",
                                "The execution kept changing while this request was being applied; it was not "
                                "carried out (retry)");
    else if (api && redis_client_out_of_memory(api->redis))
        sfn_request_reply_error(request, 503, "ServiceUnavailable",
                                "Redis is out of memory (maxmemory); the request was not carried out (retry later)");
    else
        sfn_request_reply_error(request, 503, "ServiceUnavailable",
                                "Redis is unavailable; the request was not carried out (retry later)");
}

void sfn_request_reply_validation(struct http_request *request, const char *member, const char *constraint)
{
    sfn_request_reply_error(request, 400, "ValidationException",
                            "1 validation error detected: Value at '%s' failed to satisfy constraint: %s", member,
                            constraint);
}

bool sfn_request_optional_string(struct http_request *request, const cJSON *body, const char *member,
                                 const char **value)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(body, member);
    *value = cJSON_IsString(item) ? item->valuestring : NULL;
    if (item && !cJSON_IsString(item) && !cJSON_IsNull(item)) {
        sfn_request_reply_error(request, 400, "SerializationException", "The value of '%s' must be a JSON string",
                                member);
        return false;
    }
    return true;
}

const char *sfn_request_required_string(struct http_request *request, const cJSON *body, const char *member)
{
    const char *value;
    if (!sfn_request_optional_string(request, body, member, &value))
        return NULL;
    if (!value)
        sfn_request_reply_validation(request, member, "Member must not be null");
    return value;
}

static bool check_measure(struct http_request *request, const char *member, size_t length, size_t minimum,
                          size_t maximum)
{
    char constraint[96];
    if (length >= minimum && length <= maximum)
        return true;
    snprintf(constraint, sizeof(constraint), "Member must have length %s %zu",
             length < minimum ? "greater than or equal to" : "less than or equal to",
             length < minimum ? minimum : maximum);
    sfn_request_reply_validation(request, member, constraint);
    return false;
}

/* The model's string lengths count characters, as AWS counts them (not UTF-8 bytes). */
bool sfn_request_check_length(struct http_request *request, const char *member, const char *value, size_t minimum,
                              size_t maximum)
{
    return check_measure(request, member, utf8_count_text(value), minimum, maximum);
}

bool sfn_request_check_payload(struct http_request *request, const char *member, const char *value)
{
    return check_measure(request, member, strlen(value), 0, SFN_MAX_PAYLOAD_BYTES);
}

bool sfn_request_check_document(struct http_request *request, const char *member, const char *text,
                                const char *error_code, const char *message_prefix)
{
    if (!sfn_request_check_payload(request, member, text))
        return false;
    if (!json_text_nesting_over(text, strlen(text), INTERPRETER_MAX_NESTING))
        return true;
    sfn_request_reply_error(request, 400, error_code, "%s: 'The %s nests arrays and objects more than %d levels deep'",
                            message_prefix, member, INTERPRETER_MAX_NESTING);
    return false;
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

void sfn_request_reply_invalid_value(struct http_request *request, const char *member, const char *value,
                                     const char *constraint)
{
    sfn_request_reply_error(request, 400, "ValidationException",
                            "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value,
                            member, constraint);
}

bool sfn_request_page_size(struct http_request *request, const cJSON *body, size_t *page_size)
{
    return sfn_request_max_results(request, body, SFN_MAX_PAGE_SIZE, page_size);
}

bool sfn_request_max_results(struct http_request *request, const cJSON *body, size_t maximum, size_t *page_size)
{
    const cJSON *member = cJSON_GetObjectItemCaseSensitive(body, "maxResults");
    char value[64], constraint[64];
    *page_size = SFN_DEFAULT_PAGE_SIZE;
    if (!member || cJSON_IsNull(member))
        return true;
    double number = member->valuedouble;
    if (!cJSON_IsNumber(member) || number != floor(number)) {
        sfn_request_reply_error(request, 400, "SerializationException", "The value of 'maxResults' must be an integer");
        return false;
    }
    if (number >= 0 && number <= (double)maximum) {
        if (number >= 1)
            *page_size = (size_t)number;
        return true;
    }
    snprintf(value, sizeof(value), "%.15g", number);
    snprintf(constraint, sizeof(constraint), "Member must have value less than or equal to %zu", maximum);
    sfn_request_reply_invalid_value(request, "maxResults", value,
                                    number < 0 ? "Member must have value greater than or equal to 0" : constraint);
    return false;
}

bool sfn_request_page_token(struct http_request *request, const cJSON *body, size_t max_length, const char **token)
{
    const cJSON *member = cJSON_GetObjectItemCaseSensitive(body, "nextToken");
    char constraint[96];
    *token = NULL;
    if (!member || cJSON_IsNull(member))
        return true;
    if (!cJSON_IsString(member)) {
        sfn_request_reply_error(request, 400, "SerializationException",
                                "The value of 'nextToken' must be a JSON string");
        return false;
    }
    size_t length = strlen(member->valuestring);
    if (length >= 1 && length <= max_length) {
        *token = member->valuestring;
        return true;
    }
    snprintf(constraint, sizeof(constraint), "Member must have length %s %zu",
             length ? "less than or equal to" : "greater than or equal to", length ? max_length : 1);
    sfn_request_reply_invalid_value(request, "nextToken", member->valuestring, constraint);
    return false;
}

bool sfn_request_enum(struct http_request *request, const cJSON *body, const char *member, const char *const *allowed,
                      size_t count, const char **value)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(body, member);
    char constraint[256] = "Member must satisfy enum value set: [";
    *value = NULL;
    if (!item || cJSON_IsNull(item))
        return true;
    if (!cJSON_IsString(item)) {
        sfn_request_reply_error(request, 400, "SerializationException", "The value of '%s' must be a JSON string",
                                member);
        return false;
    }
    for (size_t i = 0; i < count; i++) {
        if (strcmp(item->valuestring, allowed[i]) == 0) {
            *value = allowed[i];
            return true;
        }
    }
    for (size_t i = 0; i < count; i++) {
        strncat(constraint, allowed[i], sizeof(constraint) - strlen(constraint) - 1);
        strncat(constraint, i + 1 < count ? ", " : "]", sizeof(constraint) - strlen(constraint) - 1);
    }
    sfn_request_reply_invalid_value(request, member, item->valuestring, constraint);
    return false;
}

const char *sfn_request_arn(struct http_request *request, const cJSON *body, const char *member, enum sfn_arn_type type,
                            struct sfn_arn *arn)
{
    char detail[512];
    const char *text = sfn_request_required_string(request, body, member);
    if (!text || !sfn_request_check_length(request, member, text, 1, 256))
        return NULL;
    if (sfn_arn_parse(text, type, arn, detail, sizeof(detail)) < 0) {
        sfn_request_reply_error(request, 400, "InvalidArn", "Invalid Arn: '%s'", detail);
        return NULL;
    }
    return text;
}

bool sfn_request_page(struct http_request *request, const cJSON *body, long *max_results, long *offset)
{
    size_t page_size;
    const char *next_token;
    *offset = 0;
    if (!sfn_request_page_size(request, body, &page_size)
        || !sfn_request_page_token(request, body, SFN_MAX_PAGE_TOKEN_LENGTH, &next_token))
        return false;
    *max_results = (long)page_size;
    if (next_token) {
        char *end;
        errno = 0;
        *offset = strtol(next_token, &end, 10);
        /* Tokens this API hands out are offsets into a list; a bound keeps offset + page from overflowing. */
        if (*end || end == next_token || errno || *offset < 0 || *offset > INT_MAX) {
            sfn_request_reply_error(request, 400, "InvalidToken", "Invalid Token: 'Invalid nextToken'");
            return false;
        }
    }
    return true;
}

bool sfn_request_error_and_cause(struct http_request *request, const cJSON *body, const char **error,
                                 const char **cause)
{
    return sfn_request_optional_string(request, body, "error", error)
           && sfn_request_optional_string(request, body, "cause", cause)
           && (!*error || sfn_request_check_length(request, "error", *error, 0, SFN_MAX_ERROR_LENGTH))
           && (!*cause || sfn_request_check_length(request, "cause", *cause, 0, SFN_MAX_CAUSE_LENGTH));
}
