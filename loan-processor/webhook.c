/* webhook - see webhook.h. */
#include "webhook.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "log.h"
#include "task_functions.h"

/* Look-ups of an unknown reference before answering 404, and the pause between them. */
#define UNKNOWN_REFERENCE_LOOKUPS 4
#define UNKNOWN_REFERENCE_RETRY_MS 50

struct callback_operation {
    struct http_request *request;
    struct webhook *webhook;
    char valuation_reference[128];
    char *output;         /* the ValuationResponse, as the task's output */
    bool failed;
    int lookups;
    struct event_timer retry_timer;
};

static void operation_free(struct callback_operation *operation)
{
    free(operation->output);
    free(operation);
}

static void on_task_completed(int status, const char *execution_arn, const char *execution_status, void *data)
{
    struct callback_operation *operation = data;
    struct http_request *request = operation->request;
    if (status == -ETIMEDOUT) {
        log_event(LOG_WARN, "callback-rejected", "Callback for %s arrived after its task closed (late or duplicate)",
                  operation->valuation_reference);
        http_request_reply_error(request, 409, "TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'");
    } else if (status < 0) {
        http_request_reply_error(request, 503, "ServiceUnavailable", "Redis is unavailable; retry the callback later");
    } else {
        cJSON *response = cJSON_CreateObject();
        if (response)
            cJSON_AddStringToObject(response, "message", operation->failed ? "Task failed" : "Task resumed");
        if (response)
            cJSON_AddStringToObject(response, "valuationReference", operation->valuation_reference);
        if (response && execution_arn)
            cJSON_AddStringToObject(response, "executionArn", execution_arn);
        if (response && execution_status)
            cJSON_AddStringToObject(response, "executionStatus", execution_status);
        http_request_reply_json(request, 200, response);
    }
    operation_free(operation);
}

static int look_up_token(struct callback_operation *operation);

static void on_retry_due(struct event_timer *timer)
{
    struct callback_operation *operation = timer->data;
    if (look_up_token(operation) < 0) {
        http_request_reply_error(operation->request, 503, "ServiceUnavailable",
                                 "Redis is unavailable; retry the callback later");
        operation_free(operation);
    }
}

static void on_token_found(redisReply *reply, void *data)
{
    struct callback_operation *operation = data;
    struct http_request *request = operation->request;
    int result;
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
        http_request_reply_error(request, 503, "ServiceUnavailable", "Redis is unavailable; retry the callback later");
        operation_free(operation);
        return;
    }
    if (reply->type != REDIS_REPLY_STRING && operation->lookups < UNKNOWN_REFERENCE_LOOKUPS) {
        event_loop_timer_start(operation->webhook->loop, &operation->retry_timer, UNKNOWN_REFERENCE_RETRY_MS,
                               on_retry_due, operation);
        return;
    }
    if (reply->type != REDIS_REPLY_STRING) {
        log_event(LOG_WARN, "unknown-reference", "Callback for unknown valuation reference %s",
                  operation->valuation_reference);
        http_request_reply_error(request, 404, "UnknownValuationReference", "Unknown valuation reference: %s",
                                 operation->valuation_reference);
        operation_free(operation);
        return;
    }
    if (operation->failed)
        result = engine_send_task_failure(operation->webhook->engine, reply->str, "ValuationFailed", NULL,
                                          on_task_completed, operation);
    else
        result = engine_send_task_success(operation->webhook->engine, reply->str, operation->output,
                                          on_task_completed, operation);
    if (result == -EINVAL)
        http_request_reply_error(request, 500, "InvalidToken",
                                 "The value stored under valuation:%s is not a task token: Invalid Token: 'Invalid token'",
                                 operation->valuation_reference);
    else if (result < 0)
        http_request_reply_error(request, 503, "ServiceUnavailable", "Redis is unavailable; retry the callback later");
    if (result < 0)
        operation_free(operation);
}

static int look_up_token(struct callback_operation *operation)
{
    char key[192];
    task_functions_valuation_key(operation->valuation_reference, key, sizeof(key));
    const char *argv[] = { "GET", key };
    operation->lookups++;
    return redis_client_command_strings(operation->webhook->redis, on_token_found, operation, 2, argv);
}

/* Checks the ValuationResponse's shape; answers 400 and returns false when it is wrong. */
static bool check_response(struct http_request *request, const cJSON *body)
{
    const char *reference = json_string_member(body, "valuationReference");
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(body, "propertyValue");
    const cJSON *failed = cJSON_GetObjectItemCaseSensitive(body, "failed");
    if (!cJSON_IsObject(body)) {
        http_request_reply_error(request, 400, "InvalidRequest", "The body must be a JSON object (a ValuationResponse)");
        return false;
    }
    if (!reference || !reference[0] || strlen(reference) > 100) {
        http_request_reply_error(request, 400, "InvalidRequest",
                                 "'valuationReference' must be a non-empty string of at most 100 characters");
        return false;
    }
    if (failed && !cJSON_IsBool(failed) && !cJSON_IsNull(failed)) {
        http_request_reply_error(request, 400, "InvalidRequest", "'failed' must be a boolean");
        return false;
    }
    if (!cJSON_IsTrue(failed) && !cJSON_IsNumber(value)) {
        http_request_reply_error(request, 400, "InvalidRequest", "'propertyValue' must be a number");
        return false;
    }
    return true;
}

void webhook_handle_valuation_callback(struct http_request *request, void *data)
{
    struct webhook *webhook = data;
    size_t length;
    const char *text = http_request_body(request, &length);
    cJSON *body = NULL;
    if (json_parse(text, length, &body) < 0) {
        http_request_reply_error(request, 400, "InvalidJson", "The body is not valid JSON");
        return;
    }
    if (!check_response(request, body)) {
        cJSON_Delete(body);
        return;
    }
    struct callback_operation *operation = calloc(1, sizeof(*operation));
    if (operation) {
        operation->request = request;
        operation->webhook = webhook;
        operation->failed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "failed"));
        snprintf(operation->valuation_reference, sizeof(operation->valuation_reference), "%s",
                 json_string_member(body, "valuationReference"));
        operation->output = json_print(body);
    }
    cJSON_Delete(body);
    if (!operation || !operation->output) {
        if (operation)
            operation_free(operation);
        http_request_reply_error(request, 500, "InternalError", "Out of memory");
        return;
    }
    log_event(LOG_INFO, "callback-received", "Valuation callback received for %s: %s", operation->valuation_reference,
              operation->output);
    if (look_up_token(operation) < 0) {
        operation_free(operation);
        http_request_reply_error(request, 503, "ServiceUnavailable", "Redis is unavailable; retry the callback later");
    }
}
