/*
 * sfn_api - the AWS Step Functions JSON 1.0 API at POST /, so that the AWS
 * CLI and SDKs work against the loan-processor with --endpoint-url.
 *
 * Requests carry X-Amz-Target: AWSStepFunctions.<Operation> and a JSON
 * body; errors are HTTP 400 with {"__type": "<namespace>#<Code>", "message"}
 * in AWS's wording; timestamps are epoch seconds. Signatures are ignored.
 */
#ifndef SFN_API_H
#define SFN_API_H

#include "activities.h"
#include "engine.h"
#include "http_server.h"
#include "redis_client.h"

struct sfn_api {
    struct engine *engine;
    struct redis_client *redis;
    struct activities *activities;
};

/* The POST / handler; data is a struct sfn_api. */
void sfn_api_handle(struct http_request *request, void *data);

/*
 * Answers an AWS-style error: 400 (or status) with __type and message.
 * Used by the webhook too, for the same TaskTimedOut wording.
 */
void sfn_api_reply_error(struct http_request *request, unsigned status, const char *code, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

#endif
