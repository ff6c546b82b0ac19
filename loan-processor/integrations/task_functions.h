/*
 * task_functions - what a Task's Resource runs. In-process stand-ins for
 * Lambda functions (the blog's ValuationRequestFunction, see valuation/) are
 * given in the environment's table and looked up by FunctionName, so that a
 * workflow names them exactly as the CDK app did:
 *   "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
 *   "Parameters": {"FunctionName": "ValuationRequestFunction", "Payload": {...}}
 * FunctionName may also be a Lambda ARN ending in ":function:<name>".
 *
 * Amazon SNS's Publish runs against the local topics (local_topic):
 *   "Resource": "arn:aws:states:::sns:publish"                   request-response:
 *                                                                 SUCCEEDED once published
 *   "Resource": "arn:aws:states:::sns:publish.waitForTaskToken"  SUBMITTED once published; the
 *                                                                 token comes back through SendTask*
 *   "Parameters": {"TopicArn": ARN or name, "Message": text or JSON, "Subject": optional}
 * Both report SNS's answer {"MessageId","SdkHttpMetadata","SdkResponseMetadata"}
 * and record the execution's ARN with the message. Refused parameters fail
 * the task with SNS.InvalidParameterException, an unavailable Redis with
 * SNS.InternalErrorException.
 *
 * A Lambda whose FunctionName is an http:// or https:// URL is a worker of
 * yours: the Payload's JSON is POSTed there (lambda_invoke.h says what the
 * answer becomes), with either resource:
 *   "Resource": "arn:aws:states:::lambda:invoke"                    SUCCEEDED with the invoke response
 *   "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken"   SUBMITTED with it; the worker
 *                                                                     answers later through SendTask*
 * At most function_url_timeout_ms passes before an unanswered POST fails
 * the task (Lambda.ClientExecutionTimeoutException).
 *
 * Amazon SQS's SendMessage runs against the local queues (local_queue):
 *   "Resource": "arn:aws:states:::sqs:sendMessage[.waitForTaskToken]"
 *   "Parameters": {"QueueUrl": URL ending in /<QueueName>, "MessageBody": text or JSON,
 *                  "DelaySeconds": optional, "MessageAttributes": optional}
 * Both report SQS's answer {"MD5OfMessageBody","MessageId","SdkHttpMetadata",
 * "SdkResponseMetadata"}. Refused parameters and a full queue fail the task
 * with SQS.AmazonSQSException, an unavailable Redis with SQS.SdkClientException.
 *
 * Where each lives: task_functions.c holds task_functions_invoke() and its
 * table of integrations (resource type, API, matcher, start), walked in order,
 * and the named in-process functions, looked up when no row matches (so a URL
 * FunctionName wins over a name); one file per integration, sharing
 * task_functions_internal.h: function_url_task.c (lambda:invoke of a URL),
 * sns_task.c (sns:publish), sqs_task.c (sqs:sendMessage).
 *
 * A function reports one outcome: SUBMITTED (the callback pattern: work
 * handed over, the token will come back through SendTask*), SUCCEEDED with
 * output, FAILED with an error and cause, or NOT_STARTED - then the engine
 * starts it again when its start lease runs out (until the task's own
 * timeout closes it).
 */
#ifndef TASK_FUNCTIONS_H
#define TASK_FUNCTIONS_H

#include <cjson/cJSON.h>

#include "http_client.h"
#include "local_queue.h"
#include "local_topic.h"
#include "redis_client.h"

enum task_outcome_kind {
    TASK_SUBMITTED,
    TASK_SUCCEEDED,
    TASK_FAILED,
    TASK_NOT_STARTED, /* it could not be started now: nothing is recorded, the engine starts it again
                               when its start lease runs out; cause says why */
};

struct task_outcome {
    enum task_outcome_kind kind;
    const char *output; /* SUBMITTED/SUCCEEDED: JSON text */
    const char *error;  /* FAILED */
    const char *cause;  /* FAILED */
};

typedef void (*task_outcome_callback)(const struct task_outcome *outcome, void *data);

/*
 * A Lambda function run in-process, for lambda:invoke.waitForTaskToken with
 * this FunctionName (the blog's ValuationRequestFunction, see valuation/).
 * invoke gets the function's own context and the invocation's Payload; it
 * returns 0 and later calls callback exactly once, or a negative errno and
 * never calls it.
 */
struct task_function {
    const char *name;
    int (*invoke)(void *context, const char *execution_arn, const cJSON *payload, task_outcome_callback callback,
                  void *data);
    void *context;
};

/* What the built-in functions may use. */
struct task_functions_environment {
    struct http_client *http;
    struct redis_client *redis;
    const struct local_topics *topics;     /* where sns:publish publishes */
    const struct local_queues *queues;     /* where sqs:sendMessage sends */
    long long function_url_timeout_ms;     /* how long a lambda:invoke of a URL may take */
    const struct task_function *functions; /* the in-process functions, by name */
    size_t function_count;
};

struct task_invocation {
    const char *execution_arn;
    const char *resource_type; /* "lambda", "sns", "sqs" */
    const char *resource;      /* "invoke.waitForTaskToken", "publish", "sendMessage", ... */
    const cJSON *parameters;   /* resolved Parameters */
};

/*
 * Runs the task described by invocation. Returns 0 and later calls callback
 * exactly once; never calls it when it returns an error. Tasks this build
 * cannot run (unknown resource or function) still return 0 and report
 * FAILED with a clear error, as a Lambda invoke of a missing function would.
 * Returns -ENOMEM when out of memory.
 */
__attribute__((warn_unused_result)) int task_functions_invoke(const struct task_functions_environment *environment,
                                                              const struct task_invocation *invocation,
                                                              task_outcome_callback callback, void *data);

#endif
