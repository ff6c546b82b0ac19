/* lambda_invoke - see lambda_invoke.h. */
#include "lambda_invoke.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json_util.h"
#include "sdk_http_metadata.h"

/* Step Functions' limits on a task's error name and cause. */
#define ERROR_MAX 256
#define CAUSE_MAX 32768
/* How much of a failed answer's body a cause quotes. */
#define BODY_EXCERPT_MAX 512

bool lambda_invoke_is_url(const char *function_name)
{
    return strncmp(function_name, "http://", 7) == 0 || strncmp(function_name, "https://", 8) == 0;
}

int lambda_invoke_parse(const cJSON *parameters, struct lambda_invoke_request *request)
{
    const char *url = json_string_member(parameters, "FunctionName");
    const cJSON *payload = cJSON_GetObjectItemCaseSensitive(parameters, "Payload");
    memset(request, 0, sizeof(*request));
    if (!url || !lambda_invoke_is_url(url))
        return -EINVAL;
    if (payload) {
        request->payload = json_print(payload);
    } else if ((request->payload = cJSON_malloc(3))) {
        strcpy(request->payload, "{}");
    }
    if (!request->payload)
        return -ENOMEM;
    request->url = url;
    return 0;
}

void lambda_invoke_request_release(struct lambda_invoke_request *request)
{
    cJSON_free(request->payload);
    memset(request, 0, sizeof(*request));
}

void lambda_invoke_result_release(struct lambda_invoke_result *result)
{
    cJSON_free(result->output);
    cJSON_free(result->error);
    cJSON_free(result->cause);
    memset(result, 0, sizeof(*result));
}

/* Fails the Task with error and cause (owned, may be NULL when out of memory). Returns 0 or -ENOMEM. */
static int fail(struct lambda_invoke_result *result, const char *error, char *cause)
{
    result->error = json_format_text("%s", error);
    result->cause = cause;
    if (result->error && result->cause)
        return 0;
    lambda_invoke_result_release(result);
    return -ENOMEM;
}

/* No answer came: the SDK's client-side errors. */
static int fail_unanswered(const char *url, const struct lambda_invoke_answer *answer,
                           struct lambda_invoke_result *result)
{
    const char *reason = answer->transport_error ? answer->transport_error : "no answer";
    if (answer->timed_out)
        return fail(result, "Lambda.ClientExecutionTimeoutException",
                    json_format_text("Client execution did not complete before the specified timeout configuration: %s "
                                     "(POST %s)",
                                     reason, url));
    return fail(result, "Lambda.SdkClientException",
                json_format_text("Unable to execute HTTP request: %s (POST %s)", reason, url));
}

/* Lambda's service error for an HTTP status, without the "Lambda." prefix. */
static const char *service_error_code(long status)
{
    if (status == 404)
        return "ResourceNotFoundException";
    if (status == 413)
        return "RequestTooLargeException";
    if (status == 429)
        return "TooManyRequestsException";
    return status >= 500 ? "ServiceException" : "AWSLambdaException";
}

/* At most BODY_EXCERPT_MAX bytes of body, with anything but printable ASCII as '?'. */
static void body_excerpt(const char *body, size_t length, char excerpt[BODY_EXCERPT_MAX + 1])
{
    size_t kept = length < BODY_EXCERPT_MAX ? length : BODY_EXCERPT_MAX;
    for (size_t i = 0; i < kept; i++)
        excerpt[i] = body[i] >= ' ' && body[i] <= '~' ? body[i] : '?';
    excerpt[kept] = '\0';
}

/* A non-2xx answer that is not a function error: the service error its status names. */
static int fail_with_status(const char *url, const struct lambda_invoke_answer *answer, const char *request_id,
                            struct lambda_invoke_result *result)
{
    const char *code = service_error_code(answer->status);
    char error[64], excerpt[BODY_EXCERPT_MAX + 1];
    snprintf(error, sizeof(error), "Lambda.%s", code);
    body_excerpt(answer->body, answer->body_length, excerpt);
    char message[BODY_EXCERPT_MAX + 2048];
    if (answer->status == 404)
        snprintf(message, sizeof(message), "Function not found: %s", url);
    else
        snprintf(message, sizeof(message), "The function at %s answered HTTP %ld%s%s", url, answer->status,
                 excerpt[0] ? ": " : "", excerpt);
    return fail(
        result, error,
        json_format_text("%s (Service: AWSLambda; Status Code: %ld; Error Code: %s; Request ID: %s; Proxy: null)",
                         message, answer->status, code, request_id));
}

/*
 * A non-2xx answer whose body is {"errorType": "<name>", ...} is a function
 * error: error <name>, cause the body. Returns 1 when it was one, 0 when
 * not, -ENOMEM.
 */
static int fail_with_function_error(const struct lambda_invoke_answer *answer, struct lambda_invoke_result *result)
{
    cJSON *body = NULL;
    int parsed = json_parse(answer->body, answer->body_length, &body);
    if (parsed == -ENOMEM)
        return -ENOMEM;
    const char *error_type = parsed == 0 && cJSON_IsObject(body) ? json_string_member(body, "errorType") : NULL;
    int handled = 0;
    if (error_type && error_type[0] && strlen(error_type) <= ERROR_MAX) {
        char *cause = json_print(body);
        if (!cause)
            handled = -ENOMEM;
        else if (strlen(cause) > CAUSE_MAX)
            cJSON_free(cause);
        else
            handled = fail(result, error_type, cause) == 0 ? 1 : -ENOMEM;
    }
    cJSON_Delete(body);
    return handled;
}

/* The function's result as the Payload: JSON, null when empty, a string when not JSON; NULL when out of memory. */
static cJSON *payload_of(const struct lambda_invoke_answer *answer)
{
    cJSON *payload = NULL;
    if (answer->body_length == 0)
        return cJSON_CreateNull();
    int parsed = json_parse(answer->body, answer->body_length, &payload);
    if (parsed == -EINVAL)
        return cJSON_CreateString(answer->body);
    return parsed == 0 ? payload : NULL;
}

static int succeed(const char *url, const struct lambda_invoke_answer *answer, const char *request_id,
                   struct lambda_invoke_result *result)
{
    char content_length[24];
    snprintf(content_length, sizeof(content_length), "%zu", answer->body_length);
    const struct sdk_http_header headers[] = {
        { "Content-Length", content_length },
        { "Content-Type", "application/json" },
        { "X-Amz-Executed-Version", "$LATEST" },
    };
    cJSON *output = cJSON_CreateObject();
    cJSON *payload = output ? payload_of(answer) : NULL;
    int status = -ENOMEM;
    if (payload && cJSON_AddStringToObject(output, "ExecutedVersion", "$LATEST")
        && cJSON_AddItemToObject(output, "Payload", payload)) {
        payload = NULL;
        if (sdk_http_metadata_add(output, headers, sizeof(headers) / sizeof(headers[0]), request_id) == 0
            && cJSON_AddNumberToObject(output, "StatusCode", 200))
            result->output = json_print(output);
    }
    cJSON_Delete(payload);
    cJSON_Delete(output);
    if (result->output && strlen(result->output) > LAMBDA_INVOKE_MAX_OUTPUT_BYTES) {
        lambda_invoke_result_release(result);
        return fail(
            result, "States.DataLimitExceeded",
            json_format_text("The state/task '%s' returned a result with a size exceeding the maximum number of "
                             "bytes service limit.",
                             url));
    }
    if (result->output)
        status = 0;
    return status;
}

int lambda_invoke_result(const char *url, const struct lambda_invoke_answer *answer, const char *request_id,
                         struct lambda_invoke_result *result)
{
    memset(result, 0, sizeof(*result));
    if (answer->status == 0)
        return fail_unanswered(url, answer, result);
    if (answer->status >= 200 && answer->status < 300)
        return succeed(url, answer, request_id, result);
    int handled = fail_with_function_error(answer, result);
    return handled != 0 ? (handled < 0 ? handled : 0) : fail_with_status(url, answer, request_id, result);
}
