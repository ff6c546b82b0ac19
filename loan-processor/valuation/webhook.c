/* webhook - see webhook.h. */
#include "webhook.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interpreter.h"
#include "json_util.h"
#include "log.h"
#include "random_id.h"
#include "valuation_tokens.h"
#include "wall_clock.h"

/* How often an early callback looks for its token again, and for how long at most. */
/* The first re-check of a callback waiting for its token, doubling up to the longest. */
#define RECHECK_INTERVAL_MS 20
#define RECHECK_LONGEST_INTERVAL_MS 320
#define EARLY_CALLBACK_WAIT_MS (VALUATION_REQUEST_TIMEOUT_MS + 1000)

#define UNKNOWN_REFERENCE_DESCRIPTION "Unknown valuation reference"
#define TASK_CLOSED_DESCRIPTION "Task Timed Out: 'Provided task does not exist anymore'"
#define INVALID_SIGNATURE_DESCRIPTION "Invalid signature"

enum rejection { REJECTED_UNKNOWN_REFERENCE, REJECTED_TASK_CLOSED, REJECTED_INVALID_SIGNATURE };

struct callback_operation {
    struct webhook *webhook;
    struct http_request *request;
    LIST_ENTRY(callback_operation) link; /* in webhook->operations */
    char valuation_reference[VALUATION_REFERENCE_MAX_LENGTH + 1];
    char event_request_id[RANDOM_ID_NANOID_SIZE];
    char *output; /* the ValuationResponse, as the task's output (json_print) */
    bool failed;
    long long arrived_ms;      /* Redis time of the first look-up, 0 before it */
    uint64_t wait_deadline_ms; /* monotonic: when an early callback stops waiting for its token */
    bool waited;               /* the look-up has been repeated at least once */
    struct event_timer recheck_timer;
    uint64_t recheck_interval_ms;
    enum rejection rejection;
    enum webhook_signature_verdict verdict; /* why a REJECTED_INVALID_SIGNATURE was */
    uint64_t received_us;                   /* monotonic: when the whole request had been read */
};

/* body is the parsed ValuationResponse, or NULL for a callback refused before it was parsed (its signature). */
static struct callback_operation *operation_create(struct webhook *webhook, struct http_request *request,
                                                   const cJSON *body)
{
    struct callback_operation *operation = calloc(1, sizeof(*operation));
    if (!operation)
        return NULL;
    operation->output = body ? json_print(body) : NULL;
    if ((body && !operation->output) || random_id_nanoid(operation->event_request_id) < 0) {
        cJSON_free(operation->output);
        free(operation);
        return NULL;
    }
    operation->webhook = webhook;
    operation->request = request;
    operation->received_us = event_loop_now_us();
    if (body) {
        operation->failed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "failed"));
        snprintf(operation->valuation_reference, sizeof(operation->valuation_reference), "%s",
                 json_string_member(body, "valuationReference"));
    }
    operation->wait_deadline_ms = event_loop_now_ms() + EARLY_CALLBACK_WAIT_MS;
    LIST_INSERT_HEAD(&webhook->operations, operation, link);
    return operation;
}

/* Unlinks and frees an operation whose request has been answered. */
static void operation_finish(struct callback_operation *operation)
{
    struct webhook *webhook = operation->webhook;
    event_loop_timer_stop(webhook->loop, &operation->recheck_timer);
    LIST_REMOVE(operation, link);
    cJSON_free(operation->output);
    free(operation);
}

static void reply_unavailable(struct callback_operation *operation, const char *reason)
{
    http_request_reply_error(operation->request, 503, "ServiceUnavailable", "%s; retry the callback later", reason);
    operation_finish(operation);
}

/* ---- errors: published to the error topic, then answered ---- */

static void answer_rejection(struct callback_operation *operation)
{
    operation->webhook->statistics.rejected++;
    if (operation->rejection == REJECTED_UNKNOWN_REFERENCE)
        http_request_reply_error(operation->request, 404, "UnknownValuationReference", "%s: %s",
                                 UNKNOWN_REFERENCE_DESCRIPTION, operation->valuation_reference);
    else if (operation->rejection == REJECTED_TASK_CLOSED)
        http_request_reply_error(operation->request, 409, "TaskTimedOut", "%s", TASK_CLOSED_DESCRIPTION);
    else
        http_request_reply_error(operation->request, 401, "InvalidSignature", "%s; the callback was not applied",
                                 webhook_signature_verdict_text(operation->verdict));
    operation_finish(operation);
}

static void on_rejection_published(int status, const char *message_id, void *data)
{
    struct callback_operation *operation = data;
    if (status < 0)
        log_event(LOG_ERROR, "error-not-published", "Could not publish the error of callback %s (message %s)",
                  operation->event_request_id, message_id);
    answer_rejection(operation);
}

/*
 * The blog's error message, {"source","description","eventRequestId","eventBody"}, as cJSON prints it, written
 * directly (no document to build, print and free per rejection); the caller frees it. NULL when out of memory.
 */
static char *error_message(const struct callback_operation *operation, const char *description)
{
    size_t length;
    static const char *const names[] = { "{\"source\":", ",\"description\":", ",\"eventRequestId\":",
                                         ",\"eventBody\":" };
    const char *values[] = { operation->webhook->source_arn, description, operation->event_request_id,
                             http_request_body(operation->request, &length) };
    size_t size = sizeof("}");
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        size += strlen(names[i]) + json_append_string(NULL, values[i]);
    char *text = malloc(size);
    if (!text)
        return NULL;
    char *end = text;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        end = stpcpy(end, names[i]);
        end += json_append_string(end, values[i]);
    }
    memcpy(end, "}", sizeof("}"));
    return text;
}

/* The error message's "description" of a rejection. */
static void describe(const struct callback_operation *operation, enum rejection rejection, char *out, size_t size)
{
    if (rejection == REJECTED_UNKNOWN_REFERENCE)
        snprintf(out, size, "%s", UNKNOWN_REFERENCE_DESCRIPTION);
    else if (rejection == REJECTED_TASK_CLOSED)
        snprintf(out, size, "%s", TASK_CLOSED_DESCRIPTION);
    else
        snprintf(out, size, "%s: %s", INVALID_SIGNATURE_DESCRIPTION,
                 webhook_signature_verdict_text(operation->verdict));
}

/* Publishes the error to the error topic, then answers 401, 404 or 409 (even if publishing fails). */
static void reject(struct callback_operation *operation, enum rejection rejection, const char *execution_arn)
{
    struct webhook *webhook = operation->webhook;
    char description[256];
    describe(operation, rejection, description, sizeof(description));
    char *text = error_message(operation, description);
    operation->rejection = rejection;
    struct local_topic_message message = { webhook->error_topic, text, NULL, execution_arn };
    int result = text ? local_topic_publish(webhook->topics, &message, on_rejection_published, operation) : -ENOMEM;
    free(text);
    if (result < 0) {
        log_event(LOG_ERROR, "error-not-published", "Could not publish the error of callback %s: %s",
                  operation->event_request_id, strerror(-result));
        answer_rejection(operation);
    }
}

/* ---- the task ---- */

static void on_task_completed(int status, const char *execution_arn, const char *execution_status, void *data)
{
    struct callback_operation *operation = data;
    if (status == -ETIMEDOUT) {
        log_event(LOG_WARN, "callback-rejected", "Callback for %s arrived after its task closed (late or duplicate)",
                  operation->valuation_reference);
        reject(operation, REJECTED_TASK_CLOSED, execution_arn);
        return;
    }
    if (status < 0) {
        reply_unavailable(operation, status == -EBUSY ? "The execution kept changing while the callback was being "
                                                        "applied; it was not carried out (retry)"
                                                      : "Redis is unavailable");
        return;
    }
    struct webhook_statistics *statistics = &operation->webhook->statistics;
    statistics->resumed++;
    latency_histogram_record(&statistics->resume_latency, event_loop_now_us() - operation->received_us);
    cJSON *response = cJSON_CreateObject();
    if (response)
        cJSON_AddStringToObject(response, "message", operation->failed ? "Task failed" : "Task resumed");
    if (response)
        cJSON_AddStringToObject(response, "valuationReference", operation->valuation_reference);
    if (response && execution_arn)
        cJSON_AddStringToObject(response, "executionArn", execution_arn);
    if (response && execution_status)
        cJSON_AddStringToObject(response, "executionStatus", execution_status);
    http_request_reply_json(operation->request, 200, response);
    operation_finish(operation);
}

static void complete_task(struct callback_operation *operation, const char *token)
{
    struct engine *engine = operation->webhook->engine;
    int result = operation->failed
                     ? engine_send_task_failure(engine, token, "ValuationFailed", NULL, on_task_completed, operation)
                     : engine_send_task_success(engine, token, operation->output, on_task_completed, operation);
    if (result == -EINVAL) {
        http_request_reply_error(operation->request, 500, "InvalidToken",
                                 "The value stored under valuation:%s is not a task token: Invalid Token: "
                                 "'Invalid token'",
                                 operation->valuation_reference);
        operation_finish(operation);
    } else if (result < 0) {
        reply_unavailable(operation, "Redis is unavailable");
    }
}

/* ---- finding the token ---- */

static int look_up_token(struct callback_operation *operation);

static void on_recheck_due(struct event_timer *timer)
{
    struct callback_operation *operation = timer->data;
    if (!http_request_client_connected(operation->request))
        reply_unavailable(operation, "The caller went away"); /* nobody reads it; the request is done with */
    else if (look_up_token(operation) < 0)
        reply_unavailable(operation, "Redis is unavailable");
}

/* No token yet: wait for the requests in flight, or give up. */
static void on_token_missing(struct callback_operation *operation, long long requests_in_flight)
{
    struct webhook *webhook = operation->webhook;
    if (requests_in_flight <= 0 || event_loop_now_ms() >= operation->wait_deadline_ms) {
        log_event(LOG_WARN, "unknown-reference", "Callback for unknown valuation reference %s",
                  operation->valuation_reference);
        reject(operation, REJECTED_UNKNOWN_REFERENCE, NULL);
        return;
    }
    if (webhook->closed) {
        reply_unavailable(operation, "The server is shutting down");
        return;
    }
    if (!operation->waited)
        log_event(LOG_INFO, "callback-early",
                  "Callback for %s came before its token was stored; waiting (%lld valuation requests in flight)",
                  operation->valuation_reference, requests_in_flight);
    operation->waited = true;
    operation->recheck_interval_ms =
        operation->recheck_interval_ms ? operation->recheck_interval_ms * 2 : RECHECK_INTERVAL_MS;
    if (operation->recheck_interval_ms > RECHECK_LONGEST_INTERVAL_MS)
        operation->recheck_interval_ms = RECHECK_LONGEST_INTERVAL_MS;
    event_loop_timer_start(webhook->loop, &operation->recheck_timer, operation->recheck_interval_ms, on_recheck_due,
                           operation);
}

static void on_token_looked_up(int status, const struct valuation_token_lookup *result, void *data)
{
    struct callback_operation *operation = data;
    if (status < 0)
        reply_unavailable(operation, "Redis is unavailable");
    else if (result->token)
        complete_task(operation, result->token);
    else {
        operation->arrived_ms = result->arrived_ms;
        on_token_missing(operation, result->requests_in_flight);
    }
}

static int look_up_token(struct callback_operation *operation)
{
    return valuation_tokens_look_up(operation->webhook->redis, operation->valuation_reference, operation->arrived_ms,
                                    on_token_looked_up, operation);
}

/* ---- the request ---- */

/* Checks the ValuationResponse's shape; answers 400 and returns false when it is wrong. */
static bool check_response(struct http_request *request, const cJSON *body)
{
    const char *reference = json_string_member(body, "valuationReference");
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(body, "propertyValue");
    const cJSON *failed = cJSON_GetObjectItemCaseSensitive(body, "failed");
    if (!cJSON_IsObject(body)) {
        http_request_reply_error(request, 400, "InvalidRequest",
                                 "The body must be a JSON object (a ValuationResponse)");
        return false;
    }
    if (!reference || !valuation_tokens_valid_reference(reference)) {
        http_request_reply_error(request, 400, "InvalidRequest",
                                 "'valuationReference' must be 1-%d characters of A-Z, a-z, 0-9, '_' and '-'",
                                 VALUATION_REFERENCE_MAX_LENGTH);
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

/*
 * With a secret set, checks the request's signature over the raw body. Returns true when it is valid (or no
 * secret is set); otherwise answers - 401 after publishing the rejection, or 503 - and returns false.
 */
static bool check_signature(struct webhook *webhook, struct http_request *request, const char *body, size_t length)
{
    enum webhook_signature_verdict verdict;
    if (!webhook_signature_has_secret(webhook->signing_secrets))
        return true;
    int result = webhook_signature_verify(
        webhook->signing_secrets, http_request_header(request, WEBHOOK_SIGNATURE_HEADER), wall_clock_now_ms() / 1000,
        WEBHOOK_SIGNATURE_TOLERANCE_SECONDS, body, length, &verdict);
    if (result == 0 && verdict == WEBHOOK_SIGNATURE_VALID)
        return true;
    struct callback_operation *operation = result == 0 ? operation_create(webhook, request, NULL) : NULL;
    if (!operation) {
        http_request_reply_error(request, 503, "ServiceUnavailable", "Out of memory; retry the callback later");
        return false;
    }
    operation->verdict = verdict;
    log_event(LOG_WARN, "callback-signature-refused", "Callback %s refused: %s", operation->event_request_id,
              webhook_signature_verdict_text(verdict));
    reject(operation, REJECTED_INVALID_SIGNATURE, NULL);
    return false;
}

void webhook_handle_valuation_callback(struct http_request *request, void *data)
{
    struct webhook *webhook = data;
    size_t length;
    const char *text = http_request_body(request, &length);
    cJSON *body = NULL;
    if (!check_signature(webhook, request, text, length))
        return;
    if (json_text_nesting_over(text, length, INTERPRETER_MAX_NESTING)) {
        http_request_reply_error(request, 400, "InvalidRequest",
                                 "The body nests arrays and objects more than %d levels deep", INTERPRETER_MAX_NESTING);
        return;
    }
    char problem[128];
    if (json_parse_body(text, length, &body, problem, sizeof(problem)) < 0) {
        http_request_reply_error(request, 400, "InvalidJson", "%s", problem);
        return;
    }
    if (!check_response(request, body)) {
        cJSON_Delete(body);
        return;
    }
    if (webhook->closed) {
        cJSON_Delete(body);
        http_request_reply_error(request, 503, "ServiceUnavailable", "The server is shutting down; retry later");
        return;
    }
    struct callback_operation *operation = operation_create(webhook, request, body);
    cJSON_Delete(body);
    if (!operation) {
        http_request_reply_error(request, 503, "ServiceUnavailable", "Out of memory; retry the callback later");
        return;
    }
    webhook->statistics.received++;
    log_event(LOG_INFO, "callback-received", "Valuation callback %s received for %s: %s", operation->event_request_id,
              operation->valuation_reference, operation->output);
    if (look_up_token(operation) < 0)
        reply_unavailable(operation, "Redis is unavailable");
}

void webhook_close(struct webhook *webhook)
{
    webhook->closed = true;
    struct callback_operation *next;
    for (struct callback_operation *operation = LIST_FIRST(&webhook->operations); operation; operation = next) {
        next = LIST_NEXT(operation, link);
        if (operation->recheck_timer.active) {
            log_event(LOG_WARN, "callback-abandoned", "Callback for %s stops waiting for its token: shutting down",
                      operation->valuation_reference);
            reply_unavailable(operation, "The server is shutting down");
        }
    }
}
