/*
 * sfn_api - the AWS Step Functions JSON 1.0 API at POST /, so that the AWS
 * CLI and SDKs work against the loan-processor with --endpoint-url.
 *
 * Requests carry X-Amz-Target: AWSStepFunctions.<Operation> and a JSON
 * body; errors are HTTP 400 with {"__type": "<namespace>#<Code>", "message"}
 * in AWS's wording; timestamps are epoch seconds. Signatures are ignored;
 * with API_TOKEN set, a request without "Authorization: Bearer <API_TOKEN>"
 * (or the console's token cookie) gets 401 UnrecognizedClientException.
 * This module is the dispatch table (operation name -> handler); the
 * operations are in one file per group (execution_api, task_api,
 * state_machine_api, activity_api), which share sfn_api_request.
 */
#ifndef SFN_API_H
#define SFN_API_H

#include "http_server.h"
#include "sfn_api_request.h"

/* The POST / handler; data is a struct sfn_api (see sfn_api_request.h). Answers the request exactly once. */
void sfn_api_handle(struct http_request *request, void *data);

#endif
