/*
 * task_functions - see task_functions.h.
 *
 * ValuationRequestFunction mirrors the blog's Lambda: it receives
 * {"taskToken": T, "loanApplication": {...}}, POSTs
 * {"property": loanApplication.property, "callbackUrl": CALLBACK_URL} to the
 * valuation service, requires 201 {"valuationReference": R}, and stores
 * SET valuation:R T. The valuation service never sees the token: the
 * webhook finds it again through R.
 */
#include "task_functions.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "log.h"

/* How long the valuation service may take to answer the request itself. */
#define VALUATION_REQUEST_TIMEOUT_MS 10000

struct invocation_state {
    const struct task_functions_environment *environment;
    task_outcome_callback callback;
    void *data;
    char *execution_arn;
    char *task_token;
    char valuation_reference[128];
    char key[192];
};

static void report(struct invocation_state *state, enum task_outcome_kind kind, const char *output,
                   const char *error, const char *cause)
{
    struct task_outcome outcome = { kind, output, error, cause };
    state->callback(&outcome, state->data);
    free(state->execution_arn);
    free(state->task_token);
    free(state);
}

/* Fails like a Lambda function that threw: error "Error", cause its JSON error object. */
static void report_function_error(struct invocation_state *state, const char *message)
{
    cJSON *cause = cJSON_CreateObject();
    char *text = NULL;
    if (cause && cJSON_AddStringToObject(cause, "errorType", "Error")
        && cJSON_AddStringToObject(cause, "errorMessage", message))
        text = json_print(cause);
    log_event(LOG_WARN, "valuation-request-failed", "%s (execution %s)", message, state->execution_arn);
    report(state, TASK_FAILED, NULL, "Error", text ? text : message);
    cJSON_free(text);
    cJSON_Delete(cause);
}

void task_functions_valuation_key(const char *valuation_reference, char *out, size_t size)
{
    snprintf(out, size, "valuation:%s", valuation_reference);
}

static void on_token_stored(redisReply *reply, void *data)
{
    struct invocation_state *state = data;
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
        report_function_error(state, "Could not store the task token in Redis");
        return;
    }
    log_event(LOG_INFO, "token-stored", "Task token stored under key %s", state->key);
    log_event(LOG_INFO, "waiting", "Execution %s is waiting for the valuation callback for %s",
              state->execution_arn, state->valuation_reference);
    /* What the Lambda invoke returns: the function's result is the reference it stored the token under. */
    char output[256];
    snprintf(output, sizeof(output),
             "{\"ExecutedVersion\":\"$LATEST\",\"Payload\":{\"valuationReference\":\"%s\"},\"StatusCode\":200}",
             state->valuation_reference);
    report(state, TASK_SUBMITTED, output, NULL, NULL);
}

static void store_token(struct invocation_state *state)
{
    char seconds[32];
    snprintf(seconds, sizeof(seconds), "%lld", state->environment->token_retention_seconds);
    task_functions_valuation_key(state->valuation_reference, state->key, sizeof(state->key));
    const char *argv[] = { "SET", state->key, state->task_token, "EX", seconds };
    if (redis_client_command_strings(state->environment->redis, on_token_stored, state, 5, argv) < 0)
        report_function_error(state, "Could not store the task token: Redis is unavailable");
}

static void on_valuation_response(const struct http_response *response, void *data)
{
    struct invocation_state *state = data;
    char message[512];
    if (response->status == 0) {
        snprintf(message, sizeof(message), "The valuation service at %s is unreachable: %s",
                 state->environment->valuation_service_url, response->error);
        report_function_error(state, message);
        return;
    }
    if (response->status != 201) {
        snprintf(message, sizeof(message), "Unexpected response.status: %ld (expected 201) from %s: %.200s",
                 response->status, state->environment->valuation_service_url, response->body);
        report_function_error(state, message);
        return;
    }
    cJSON *body = NULL;
    const char *reference = NULL;
    if (json_parse(response->body, response->body_length, &body) == 0)
        reference = json_string_member(body, "valuationReference");
    if (!reference || !reference[0] || strlen(reference) >= sizeof(state->valuation_reference)) {
        cJSON_Delete(body);
        report_function_error(state, "The valuation service answered 201 without a valuationReference");
        return;
    }
    strcpy(state->valuation_reference, reference);
    cJSON_Delete(body);
    store_token(state);
}

static int request_valuation(struct invocation_state *state, const cJSON *payload)
{
    const char *token = json_string_member(payload, "taskToken");
    const cJSON *application = json_object_member(payload, "loanApplication");
    const cJSON *property = application ? cJSON_GetObjectItemCaseSensitive(application, "property") : NULL;
    if (!token) {
        report_function_error(state, "The payload has no taskToken: the task cannot be called back");
        return 0;
    }
    if (!property) {
        report_function_error(state, "The payload's loanApplication has no property to value");
        return 0;
    }
    state->task_token = strdup(token);
    cJSON *request = cJSON_CreateObject();
    cJSON *property_copy = cJSON_Duplicate(property, true);
    char *body = NULL;
    if (request && property_copy && cJSON_AddItemToObject(request, "property", property_copy)) {
        property_copy = NULL;
        if (cJSON_AddStringToObject(request, "callbackUrl", state->environment->callback_url))
            body = json_print(request);
    }
    cJSON_Delete(property_copy);
    cJSON_Delete(request);
    if (!body || !state->task_token) {
        cJSON_free(body);
        return -ENOMEM;
    }
    log_event(LOG_INFO, "valuation-requested", "POST %s %s (execution %s)", state->environment->valuation_service_url,
              body, state->execution_arn);
    int result = http_client_post_json(state->environment->http, state->environment->valuation_service_url, body,
                                       strlen(body), VALUATION_REQUEST_TIMEOUT_MS, on_valuation_response, state);
    cJSON_free(body);
    if (result == -EAGAIN || result == -EINVAL) {
        report_function_error(state, result == -EAGAIN ? "Too many valuation requests in flight; try again later"
                                                       : "VALUATION_SERVICE_URL is not an http(s) URL");
        return 0;
    }
    return result;
}

/* "ValuationRequestFunction" or "arn:aws:lambda:...:function:ValuationRequestFunction[:alias]". */
static bool function_is(const char *function_name, const char *wanted)
{
    const char *marker = strstr(function_name, ":function:");
    const char *name = marker ? marker + strlen(":function:") : function_name;
    size_t length = strcspn(name, ":");
    return length == strlen(wanted) && strncmp(name, wanted, length) == 0;
}

int task_functions_invoke(const struct task_functions_environment *environment,
                          const struct task_invocation *invocation, task_outcome_callback callback, void *data)
{
    struct invocation_state *state = calloc(1, sizeof(*state));
    if (!state)
        return -ENOMEM;
    state->environment = environment;
    state->callback = callback;
    state->data = data;
    state->execution_arn = strdup(invocation->execution_arn);
    if (!state->execution_arn) {
        free(state);
        return -ENOMEM;
    }
    const char *function_name = json_string_member(invocation->parameters, "FunctionName");
    bool is_lambda = strcmp(invocation->resource_type, "lambda") == 0
                     && strcmp(invocation->resource, "invoke.waitForTaskToken") == 0;
    if (is_lambda && function_name && function_is(function_name, "ValuationRequestFunction")) {
        int result = request_valuation(state, cJSON_GetObjectItemCaseSensitive(invocation->parameters, "Payload"));
        if (result < 0) {
            free(state->execution_arn);
            free(state->task_token);
            free(state);
        }
        return result;
    }

    char cause[512];
    if (!is_lambda)
        snprintf(cause, sizeof(cause), "The resource 'arn:aws:states:::%s:%s' is not available in this local engine",
                 invocation->resource_type, invocation->resource);
    else
        snprintf(cause, sizeof(cause), "Function not found: %s", function_name ? function_name : "(no FunctionName)");
    report(state, TASK_FAILED, NULL, is_lambda ? "Lambda.ResourceNotFoundException" : "States.TaskFailed", cause);
    return 0;
}
