/*
 * valuation_request_function - see valuation_request_function.h.
 */
#include "valuation_request_function.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "log.h"
#include "valuation_tokens.h"

struct invocation_state {
    const struct valuation_request_function *function;
    task_outcome_callback callback;
    void *data;
    char *execution_arn;
    char *task_token;
    char *request_body; /* from json_print: cJSON_free */
    char request_id[VALUATION_REQUEST_ID_SIZE];
    char valuation_reference[VALUATION_REFERENCE_MAX_LENGTH + 1];
};

static void state_free(struct invocation_state *state)
{
    free(state->execution_arn);
    free(state->task_token);
    cJSON_free(state->request_body);
    free(state);
}

static void report(struct invocation_state *state, enum task_outcome_kind kind, const char *output, const char *error,
                   const char *cause)
{
    struct task_outcome outcome = { kind, output, error, cause };
    state->callback(&outcome, state->data);
    state_free(state);
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

/* A failure once the request may be registered as in flight: end the registration, then fail. */
static void fail_valuation_request(struct invocation_state *state, const char *message)
{
    valuation_tokens_release_request(state->function->redis, state->request_id);
    report_function_error(state, message);
}

/*
 * The loan-processor's own Redis failed the request (the blog's Lambda would
 * have failed on DynamoDB): not the task's fault, so nothing is recorded and
 * the engine starts the task again when its start lease runs out.
 */
static void postpone_valuation_request(struct invocation_state *state, const char *message)
{
    valuation_tokens_release_request(state->function->redis, state->request_id);
    report(state, TASK_NOT_STARTED, NULL, NULL, message);
}

static void on_token_stored(int status, void *data)
{
    struct invocation_state *state = data;
    char key[VALUATION_TOKENS_KEY_SIZE];
    if (status < 0) {
        postpone_valuation_request(state, "could not store the task token in Redis");
        return;
    }
    valuation_tokens_key(state->valuation_reference, key, sizeof(key));
    log_event(LOG_INFO, "token-stored", "Task token stored under key %s", key);
    log_event(LOG_INFO, "waiting", "Execution %s is waiting for the valuation callback for %s", state->execution_arn,
              state->valuation_reference);
    /* What the Lambda invoke returns: the function's result is the reference it stored the token under. */
    cJSON *output = cJSON_CreateObject(), *payload = NULL;
    char *text = NULL;
    if (output && cJSON_AddStringToObject(output, "ExecutedVersion", "$LATEST")
        && (payload = cJSON_AddObjectToObject(output, "Payload"))
        && cJSON_AddStringToObject(payload, "valuationReference", state->valuation_reference)
        && cJSON_AddNumberToObject(output, "StatusCode", 200))
        text = json_print(output);
    cJSON_Delete(output);
    if (text)
        report(state, TASK_SUBMITTED, text, NULL, NULL);
    else
        report_function_error(state, "Out of memory reporting the stored token");
    cJSON_free(text);
}

static void store_token(struct invocation_state *state)
{
    if (valuation_tokens_store(state->function->redis, state->valuation_reference, state->task_token,
                               state->function->token_retention_seconds, state->request_id, on_token_stored, state)
        < 0)
        postpone_valuation_request(state, "could not store the task token: Redis is unavailable");
}

static void on_valuation_response(const struct http_response *response, void *data)
{
    struct invocation_state *state = data;
    char message[512];
    if (response->status == 0 || response->status == 503) {
        /* Unavailable (no answer, or "retry later"): ask again when the start lease runs out. */
        if (response->status)
            snprintf(message, sizeof(message), "the valuation service at %s answered 503: %.200s",
                     state->function->valuation_service_url, response->body);
        else
            snprintf(message, sizeof(message), "the valuation service at %s is unreachable: %s",
                     state->function->valuation_service_url, response->error);
        postpone_valuation_request(state, message);
        return;
    }
    if (response->status != 201) {
        snprintf(message, sizeof(message), "Unexpected response.status: %ld (expected 201) from %s: %.200s",
                 response->status, state->function->valuation_service_url, response->body);
        fail_valuation_request(state, message);
        return;
    }
    cJSON *body = NULL;
    const char *reference = NULL;
    if (json_parse(response->body, response->body_length, &body) == 0)
        reference = json_string_member(body, "valuationReference");
    if (!reference || !valuation_tokens_valid_reference(reference)) {
        cJSON_Delete(body);
        fail_valuation_request(state, "The valuation service answered 201 without a valuationReference of 1 to "
                                      "100 characters of A-Z, a-z, 0-9, '_' and '-' (the only ones its callback "
                                      "may name)");
        return;
    }
    strcpy(state->valuation_reference, reference);
    cJSON_Delete(body);
    store_token(state);
}

static void on_request_registered(int status, void *data)
{
    struct invocation_state *state = data;
    const struct valuation_request_function *function = state->function;
    if (status < 0) {
        postpone_valuation_request(state, "could not register the valuation request in Redis");
        return;
    }
    log_event(LOG_INFO, "valuation-requested", "POST %s %s (execution %s)", function->valuation_service_url,
              state->request_body, state->execution_arn);
    int result =
        http_client_post_json(function->http, function->valuation_service_url, state->request_body,
                              strlen(state->request_body), VALUATION_REQUEST_TIMEOUT_MS, on_valuation_response, state);
    if (result == -EAGAIN)
        fail_valuation_request(state, "Too many valuation requests in flight; try again later");
    else if (result == -EINVAL)
        fail_valuation_request(state, "VALUATION_SERVICE_URL is not an http(s) URL");
    else if (result < 0)
        fail_valuation_request(state, "The valuation request could not be sent (out of memory or shutting down)");
}

/* {"property": ..., "callbackUrl": ...} for the valuation service; NULL when out of memory. */
static char *valuation_request_body(const cJSON *property, const char *callback_url)
{
    cJSON *request = cJSON_CreateObject();
    cJSON *property_copy = cJSON_Duplicate(property, true);
    char *body = NULL;
    if (request && property_copy && cJSON_AddItemToObject(request, "property", property_copy)) {
        property_copy = NULL;
        if (cJSON_AddStringToObject(request, "callbackUrl", callback_url))
            body = json_print(request);
    }
    cJSON_Delete(property_copy);
    cJSON_Delete(request);
    return body;
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
    state->request_body = valuation_request_body(property, state->function->callback_url);
    if (!state->task_token || !state->request_body)
        return -ENOMEM;
    int result =
        valuation_tokens_register_request(state->function->redis, state->request_id, on_request_registered, state);
    if (result == -ENOMEM)
        return result;
    if (result < 0) {
        char message[256];
        snprintf(message, sizeof(message), "could not register the valuation request in Redis: %s", strerror(-result));
        report(state, TASK_NOT_STARTED, NULL, NULL, message);
    }
    return 0;
}

int valuation_request_function_invoke(void *context, const char *execution_arn, const cJSON *payload,
                                      task_outcome_callback callback, void *data)
{
    struct invocation_state *state = calloc(1, sizeof(*state));
    if (!state)
        return -ENOMEM;
    state->function = context;
    state->callback = callback;
    state->data = data;
    state->execution_arn = strdup(execution_arn);
    int result = state->execution_arn ? request_valuation(state, payload) : -ENOMEM;
    if (result < 0) /* nothing was reported: the state is still ours */
        state_free(state);
    return result;
}
