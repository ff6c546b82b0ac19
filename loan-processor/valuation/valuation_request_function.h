/*
 * valuation_request_function - the blog's ValuationRequestFunction, run
 * in-process as a Lambda of lambda:invoke.waitForTaskToken:
 *   "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
 *   "Parameters": {"FunctionName": "ValuationRequestFunction",
 *                  "Payload": {"taskToken.$": "$$.Task.Token", "loanApplication.$": "$"}}
 *
 * It POSTs {"property": loanApplication.property, "callbackUrl": CALLBACK_URL}
 * to the valuation service, requires 201 {"valuationReference": R}, and
 * stores SET valuation:R T (valuation_tokens). The valuation service never
 * sees the token: the webhook finds it again through R. It reports
 * SUBMITTED with a Lambda invoke response whose Payload is
 * {"valuationReference": R}, so the history shows where the token is.
 *
 * Before it POSTs, it registers the request as in flight and waits for Redis
 * to acknowledge that; storing the token ends the registration, and so does
 * every failure. A callback that outruns the stored token can then tell
 * "not stored yet" from "unknown" (see valuation_tokens.h).
 *
 * It reports NOT_STARTED (the engine starts it again when its start lease
 * runs out) when the valuation service is unavailable (no answer, or 503
 * "retry later") and when the loan-processor's own Redis fails it (its token
 * table stands in for the blog's DynamoDB); any other answer but 201 fails
 * the task with error "Error", as a Lambda that threw.
 */
#ifndef VALUATION_REQUEST_FUNCTION_H
#define VALUATION_REQUEST_FUNCTION_H

#include "http_client.h"
#include "redis_client.h"
#include "task_functions.h"

#define VALUATION_REQUEST_FUNCTION_NAME "ValuationRequestFunction"

/* What the function uses; set before the first invocation, kept by the caller. */
struct valuation_request_function {
    struct http_client *http;
    struct redis_client *redis;
    const char *valuation_service_url;
    const char *callback_url;
    long long token_retention_seconds; /* lifetime of valuation:<ref> keys */
};

/*
 * A task_function's invoke (context: a struct valuation_request_function).
 * payload is the task's Payload: {"taskToken", "loanApplication": {"property"}}.
 * Returns 0 and later calls callback exactly once, or -ENOMEM and never
 * calls it.
 */
__attribute__((warn_unused_result)) int valuation_request_function_invoke(void *context, const char *execution_arn,
                                                                          const cJSON *payload,
                                                                          task_outcome_callback callback, void *data);

#endif
