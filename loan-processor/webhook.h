/*
 * webhook - POST /valuation-callback, where the valuation service delivers
 * its ValuationResponse {"valuationReference": R, "propertyValue": N}.
 *
 * The handler finds the task token stored under valuation:R and completes
 * the task with SendTaskSuccess (output: the ValuationResponse), or with
 * SendTaskFailure (error "ValuationFailed") when the response says
 * "failed": true. Answers:
 *   200 {"message","valuationReference","executionArn","executionStatus"}
 *   400 the body is not a ValuationResponse
 *   404 Unknown valuation reference (after a short grace period: at a tiny
 *       TIME_SCALE the callback can arrive before the 201 that carried R was
 *       processed and the token stored, so a miss is looked up again a few
 *       times, on a timer, before it is final)
 *   409 the task is closed already (late or duplicate callback: TaskTimedOut)
 *   503 Redis is unavailable
 */
#ifndef WEBHOOK_H
#define WEBHOOK_H

#include "engine.h"
#include "event_loop.h"
#include "http_server.h"
#include "redis_client.h"

struct webhook {
    struct event_loop *loop;
    struct engine *engine;
    struct redis_client *redis;
};

/* The POST /valuation-callback handler; data is a struct webhook. */
void webhook_handle_valuation_callback(struct http_request *request, void *data);

#endif
