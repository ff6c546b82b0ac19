/*
 * webhook - POST /valuation-callback, where the valuation service delivers
 * its ValuationResponse {"valuationReference": R, "propertyValue": N}.
 *
 * The handler finds the task token stored under valuation:R and completes
 * the task with SendTaskSuccess (output: the ValuationResponse), or with
 * SendTaskFailure (error "ValuationFailed") when the response says
 * "failed": true. Answers:
 *   200 {"message","valuationReference","executionArn","executionStatus"}
 *   400 the body is not a ValuationResponse (413 when it is too large)
 *   401 InvalidSignature (only with signing_secrets set, checked first)
 *   404 UnknownValuationReference
 *   409 TaskTimedOut: the task is closed already (late or duplicate callback)
 *   503 Redis is unavailable, or the server is shutting down
 *
 * Early callbacks: at a tiny TIME_SCALE the callback can arrive before the
 * loan-processor has stored valuation:R. While a valuation request that was
 * registered before the callback arrived is still in flight (see
 * valuation_tokens.h), the look-up is repeated on a timer (after 20 ms,
 * doubling up to 320 ms), until the token appears, no such request is left,
 * the caller hangs up, or VALUATION_REQUEST_TIMEOUT_MS + 1 s have passed. With none in flight an unknown R is answered at once.
 *
 * Signed callbacks: with signing_secrets set (CALLBACK_SIGNING_SECRET, a
 * comma-separated list, any of which is accepted), every callback must carry
 * X-Valuation-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw
 * body>"> (webhook_signature.h), signed at most 300 s before or after it
 * arrives. Otherwise it is answered 401 InvalidSignature, published as below
 * with the description "Invalid signature: <why>", and no task is touched.
 *
 * Errors are published as the follow-up post's webhook does, to the error
 * topic, before answering (so whoever sees the 404/409 can read the topic):
 *   {"source": <source_arn>, "description": "Unknown valuation reference" or
 *    "Task Timed Out: 'Provided task does not exist anymore'",
 *    "eventRequestId": <fresh id>, "eventBody": <the body received>}
 * with the execution's ARN recorded for a closed task. A failed publish is
 * logged and the answer goes out all the same.
 */
#ifndef WEBHOOK_H
#define WEBHOOK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "engine.h"
#include "event_loop.h"
#include "http_server.h"
#include "latency_histogram.h"
#include "local_topic.h"
#include "webhook_signature.h"
#include "redis_client.h"

struct callback_operation;

struct webhook {
    /* Set by the owner; all must outlive the webhook's requests. */
    struct event_loop *loop;
    struct engine *engine;
    struct redis_client *redis;
    const struct local_topics *topics;
    const char *error_topic;     /* ARN (or name) of the error topic */
    const char *source_arn;      /* "source" of error messages: the callback function's ARN */
    const char *signing_secrets; /* NULL/empty, or CALLBACK_SIGNING_SECRET: callbacks must be signed (see above) */
    /* Private: zero-initialise. */
    LIST_HEAD(, callback_operation) operations; /* callbacks in progress (zero is an empty list) */
    bool closed;
    /* Read-only for the owner (GET /stats). */
    struct webhook_statistics {
        uint64_t received; /* well-formed callbacks */
        uint64_t resumed;  /* ... that completed their task */
        uint64_t rejected; /* answered 401 (signature: not counted as received), 404 (unknown reference) or 409 */
        /* Callback received (the whole request read) → its task's outcome committed (for the blog's flow,
         * ExecutionSucceeded written); resumed callbacks only. */
        struct latency_histogram resume_latency;
    } statistics;
};

/* The POST /valuation-callback handler; data is a struct webhook. */
void webhook_handle_valuation_callback(struct http_request *request, void *data);

/*
 * For shutdown, before the HTTP server and Redis client are torn down:
 * answers 503 to the callbacks waiting on a timer for their token and frees
 * them; callbacks waiting on Redis finish when Redis is closed. From then
 * on, early callbacks get 503 instead of waiting. Safe to call twice.
 */
void webhook_close(struct webhook *webhook);

#endif
