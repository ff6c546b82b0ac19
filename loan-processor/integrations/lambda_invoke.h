/*
 * lambda_invoke - Lambda's Invoke, for functions served over HTTP by a
 * worker of yours: a Task whose FunctionName is an http:// or https:// URL
 *   "Resource": "arn:aws:states:::lambda:invoke[.waitForTaskToken]",
 *   "Parameters": {"FunctionName": "http://127.0.0.1:8090/ship", "Payload": {...}}
 * POSTs the Payload's JSON text there. This module reads the Parameters and
 * turns the worker's answer into what the Task reports, the way Step
 * Functions' optimized Lambda integration reports an invocation. Pure (no I/O).
 *
 * A 2xx answer is the function's result:
 *   {"ExecutedVersion": "$LATEST", "Payload": <the answer's JSON>,
 *    "SdkHttpMetadata": {...}, "SdkResponseMetadata": {"RequestId"}, "StatusCode": 200}
 * where an empty answer is the Payload null and an answer that is not JSON
 * is kept as a JSON string. Anything else fails the Task:
 *   - a non-2xx answer whose body is a JSON object with a string "errorType"
 *     is a function error, as a Lambda function that threw: error
 *     <errorType>, cause the body;
 *   - otherwise the status names the Lambda service error: 404
 *     Lambda.ResourceNotFoundException, 413 Lambda.RequestTooLargeException,
 *     429 Lambda.TooManyRequestsException, 5xx Lambda.ServiceException, any
 *     other Lambda.AWSLambdaException;
 *   - no answer: Lambda.ClientExecutionTimeoutException when the request
 *     timed out, else Lambda.SdkClientException (refused, unresolvable, ...);
 *   - a result over 256 KiB: States.DataLimitExceeded.
 * The service errors are the ones CDK's LambdaInvoke retries by default.
 */
#ifndef LAMBDA_INVOKE_H
#define LAMBDA_INVOKE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* Step Functions' limit on a task's result. */
#define LAMBDA_INVOKE_MAX_OUTPUT_BYTES (256 * 1024)

/* Whether function_name is a URL to POST to (http:// or https://) rather than a function's name or ARN. */
bool lambda_invoke_is_url(const char *function_name);

/* An Invoke read from a Task's resolved Parameters. */
struct lambda_invoke_request {
    const char *url; /* FunctionName, borrowed from the parameters */
    char *payload;   /* the JSON text to POST, owned, from cJSON's allocator */
};

/*
 * Reads FunctionName (an http(s) URL) and Payload (any JSON value, sent as
 * its JSON text; {} when there is none). InvocationType, Qualifier,
 * ClientContext and LogType are not read. Returns 0 with request filled in;
 * -EINVAL when FunctionName is not an http(s) URL; or -ENOMEM (the request
 * then holds nothing to release).
 */
__attribute__((warn_unused_result)) int lambda_invoke_parse(const cJSON *parameters,
                                                            struct lambda_invoke_request *request);

/* Frees what lambda_invoke_parse() allocated; safe on a zeroed request. */
void lambda_invoke_request_release(struct lambda_invoke_request *request);

/* What the worker answered. */
struct lambda_invoke_answer {
    long status;      /* HTTP status, 0 when no answer came */
    const char *body; /* NUL-terminated */
    size_t body_length;
    const char *transport_error; /* why no answer came (status 0) */
    bool timed_out;              /* no answer came within the timeout */
};

/* What the Task reports: output when it succeeded, else error and cause. All from cJSON's allocator. */
struct lambda_invoke_result {
    char *output;
    char *error;
    char *cause;
};

/*
 * Turns the answer from url into the Task's result (see above); request_id
 * is the SdkResponseMetadata's RequestId. Returns 0, or -ENOMEM (result then
 * holds nothing).
 */
__attribute__((warn_unused_result)) int lambda_invoke_result(const char *url, const struct lambda_invoke_answer *answer,
                                                             const char *request_id,
                                                             struct lambda_invoke_result *result);

/* Frees a result; safe on a zeroed one. */
void lambda_invoke_result_release(struct lambda_invoke_result *result);

#endif
