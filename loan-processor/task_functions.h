/*
 * task_functions - what a Task's Resource runs. The built-in stand-ins for
 * the blog's Lambda functions live here, looked up by FunctionName, so
 * that a workflow names them exactly as the CDK app did:
 *   "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
 *   "Parameters": {"FunctionName": "ValuationRequestFunction", "Payload": {...}}
 * FunctionName may also be a Lambda ARN ending in ":function:<name>".
 *
 * ValuationRequestFunction reports SUBMITTED with a Lambda invoke response whose
 * Payload is {"valuationReference": R}, so the history shows where the token is.
 *
 * A function reports one outcome: SUBMITTED (the callback pattern: work
 * handed over, the token will come back through SendTask*), SUCCEEDED with
 * output, or FAILED with an error and cause.
 */
#ifndef TASK_FUNCTIONS_H
#define TASK_FUNCTIONS_H

#include <cjson/cJSON.h>

#include "http_client.h"
#include "redis_client.h"

enum task_outcome_kind { TASK_SUBMITTED, TASK_SUCCEEDED, TASK_FAILED };

struct task_outcome {
    enum task_outcome_kind kind;
    const char *output;     /* SUBMITTED/SUCCEEDED: JSON text */
    const char *error;      /* FAILED */
    const char *cause;      /* FAILED */
};

typedef void (*task_outcome_callback)(const struct task_outcome *outcome, void *data);

/* What the built-in functions may use. */
struct task_functions_environment {
    struct http_client *http;
    struct redis_client *redis;
    const char *valuation_service_url;
    const char *callback_url;
    long long token_retention_seconds;   /* lifetime of valuation:<ref> keys */
};

struct task_invocation {
    const char *execution_arn;
    const char *resource_type;           /* "lambda" */
    const char *resource;                /* "invoke.waitForTaskToken" */
    const cJSON *parameters;             /* resolved Parameters */
};

/*
 * Runs the task described by invocation. Returns 0 and later calls callback
 * exactly once; never calls it when it returns an error. Tasks this build
 * cannot run (unknown resource or function) still return 0 and report
 * FAILED with a clear error, as a Lambda invoke of a missing function would.
 * Returns -ENOMEM when out of memory.
 */
int task_functions_invoke(const struct task_functions_environment *environment,
                          const struct task_invocation *invocation, task_outcome_callback callback, void *data);

/* The Redis key under which a valuationReference's task token is stored. */
void task_functions_valuation_key(const char *valuation_reference, char *out, size_t size);

#endif
