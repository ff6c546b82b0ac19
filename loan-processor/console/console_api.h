/*
 * console_api - the web console's read-only JSON views of what the AWS API
 * does not show: a state machine's graph laid out for drawing, where a
 * running execution rests in Redis (token, deadlines, keys, error-topic
 * messages) and the valuation plumbing of a valuationReference (its token
 * key and the callbacks the valuation service is about to send). The shapes
 * are documented in the README ("The web console").
 *
 * Each handler answers its request exactly once: 200, 400 for a missing or
 * malformed parameter, 404 for an unknown state machine or execution, 503
 * while Redis is unavailable.
 */
#ifndef CONSOLE_API_H
#define CONSOLE_API_H

#include "http_server.h"
#include "redis_client.h"

struct console_api {
    struct redis_client *redis;
    const char *topic_name; /* the error topic whose messages an execution view lists */
};

/* GET /console/api/graph?stateMachineArn=<arn> or ?executionArn=<arn> (the definition that execution runs). */
void console_api_graph(struct http_request *request, struct console_api *api);

/* GET /console/api/execution?executionArn=<arn> */
void console_api_execution(struct http_request *request, struct console_api *api);

/* GET /console/api/valuation?reference=<valuationReference> */
void console_api_valuation(struct http_request *request, struct console_api *api);

#endif
