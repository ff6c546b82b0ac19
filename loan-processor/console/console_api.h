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

#include <stdint.h>

#include "definition.h"
#include "http_server.h"
#include "redis_client.h"

/* Graph answers kept, by definition hash: a repeated graph request neither parses nor lays out again. */
#define CONSOLE_API_GRAPH_CACHE_SIZE 32

/* One graph answer (the layout, or the refusal to draw): private to console_api. */
struct console_graph_answer {
    char hash[DEFINITION_HASH_SIZE]; /* "" when the slot is free */
    unsigned status;
    char *body;
    uint64_t last_used;
};

struct console_api {
    struct redis_client *redis;
    const char *topic_name; /* the error topic whose messages an execution view lists */
    struct console_graph_answer graphs[CONSOLE_API_GRAPH_CACHE_SIZE]; /* private; zeroed: empty */
    uint64_t graph_clock;                                             /* private */
};

/* Frees the graph answers kept (teardown; the api may be used again, it starts empty). */
void console_api_clear(struct console_api *api);

/* GET /console/api/graph?stateMachineArn=<arn> or ?executionArn=<arn> (the definition that execution runs). */
void console_api_graph(struct http_request *request, struct console_api *api);

/* GET /console/api/execution?executionArn=<arn> */
void console_api_execution(struct http_request *request, struct console_api *api);

/* GET /console/api/valuation?reference=<valuationReference> */
void console_api_valuation(struct http_request *request, struct console_api *api);

#endif
