/*
 * test_task_functions - the dispatch of task_functions_invoke(): which
 * integration or named function runs an invocation, and the failures of what
 * this build cannot run. Only paths that report before any I/O are taken.
 */
#include <errno.h>

#include "task_functions.h"
#include "test.h"

#define EXECUTION_ARN "arn:aws:states:us-east-1:123456789012:execution:Machine:run"

struct reported {
    int calls;
    enum task_outcome_kind kind;
    char error[128];
    char cause[1024];
};

static void on_outcome(const struct task_outcome *outcome, void *data)
{
    struct reported *reported = data;
    reported->calls++;
    reported->kind = outcome->kind;
    snprintf(reported->error, sizeof(reported->error), "%s", outcome->error ? outcome->error : "");
    snprintf(reported->cause, sizeof(reported->cause), "%s", outcome->cause ? outcome->cause : "");
}

struct named_call {
    int calls;
    char execution_arn[128];
    char payload[128];
};

static int named_invoke(void *context, const char *execution_arn, const cJSON *payload, task_outcome_callback callback,
                        void *data)
{
    struct named_call *call = context;
    call->calls++;
    snprintf(call->execution_arn, sizeof(call->execution_arn), "%s", execution_arn);
    char *text = payload ? cJSON_PrintUnformatted(payload) : NULL;
    snprintf(call->payload, sizeof(call->payload), "%s", text ? text : "");
    cJSON_free(text);
    struct task_outcome outcome = { TASK_SUBMITTED, "{}", NULL, NULL };
    callback(&outcome, data);
    return 0;
}

static struct named_call named_calls;
static const struct task_function functions[] = { { "ValuationRequestFunction", named_invoke, &named_calls } };
static const struct task_functions_environment environment = { .functions = functions, .function_count = 1 };

/* Invokes type:resource with Parameters parameters_json into reported; returns what task_functions_invoke returned. */
static int invoke(const char *type, const char *resource, const char *parameters_json, struct reported *reported)
{
    cJSON *parameters = cJSON_Parse(parameters_json);
    if (!parameters)
        return -EINVAL;
    struct task_invocation invocation = { EXECUTION_ARN, type, resource, parameters };
    memset(&named_calls, 0, sizeof(named_calls));
    memset(reported, 0, sizeof(*reported));
    int result = task_functions_invoke(&environment, &invocation, on_outcome, reported);
    cJSON_Delete(parameters);
    return result;
}

static void test_named_function_runs_in_process(void)
{
    struct reported reported;
    ASSERT_EQ_INT(0, invoke("lambda", "invoke.waitForTaskToken",
                            "{\"FunctionName\":\"arn:aws:lambda:us-east-1:123456789012:function:"
                            "ValuationRequestFunction:live\",\"Payload\":{\"a\":1}}",
                            &reported));
    ASSERT_EQ_INT(1, named_calls.calls);
    ASSERT_EQ_STR(EXECUTION_ARN, named_calls.execution_arn);
    ASSERT_EQ_STR("{\"a\":1}", named_calls.payload);
    ASSERT_EQ_INT(1, reported.calls);
    ASSERT_EQ_INT(TASK_SUBMITTED, reported.kind);
}

static void test_named_function_needs_wait_for_task_token(void)
{
    struct reported reported;
    ASSERT_EQ_INT(0, invoke("lambda", "invoke", "{\"FunctionName\":\"ValuationRequestFunction\"}", &reported));
    ASSERT_EQ_INT(0, named_calls.calls);
    ASSERT_EQ_INT(1, reported.calls);
    ASSERT_EQ_INT(TASK_FAILED, reported.kind);
    ASSERT_EQ_STR("Lambda.ResourceNotFoundException", reported.error);
    ASSERT_EQ_STR("Function not found: ValuationRequestFunction (this local engine runs ValuationRequestFunction as "
                  "lambda:invoke.waitForTaskToken, and any FunctionName that is an http(s) URL)",
                  reported.cause);
}

static void test_unknown_function_is_not_found(void)
{
    struct reported reported;
    ASSERT_EQ_INT(0, invoke("lambda", "invoke.waitForTaskToken", "{}", &reported));
    ASSERT_EQ_INT(TASK_FAILED, reported.kind);
    ASSERT_EQ_STR("Lambda.ResourceNotFoundException", reported.error);
    ASSERT_EQ_STR("Function not found: (no FunctionName) (this local engine runs ValuationRequestFunction as "
                  "lambda:invoke.waitForTaskToken, and any FunctionName that is an http(s) URL)",
                  reported.cause);
}

static void test_unknown_resource_is_unavailable(void)
{
    struct reported reported;
    ASSERT_EQ_INT(0, invoke("dynamodb", "putItem", "{}", &reported));
    ASSERT_EQ_INT(1, reported.calls);
    ASSERT_EQ_INT(TASK_FAILED, reported.kind);
    ASSERT_EQ_STR("States.TaskFailed", reported.error);
    ASSERT_EQ_STR("The resource 'arn:aws:states:::dynamodb:putItem' is not available in this local engine",
                  reported.cause);
}

static void test_unknown_suffix_is_unavailable(void)
{
    struct reported reported;
    ASSERT_EQ_INT(0, invoke("sns", "publish.sync", "{}", &reported));
    ASSERT_EQ_STR("States.TaskFailed", reported.error);
    ASSERT_EQ_STR("The resource 'arn:aws:states:::sns:publish.sync' is not available in this local engine",
                  reported.cause);
}

static void test_sns_publish_goes_to_sns_task(void)
{
    struct reported reported;
    ASSERT_EQ_INT(0, invoke("sns", "publish.waitForTaskToken", "{}", &reported));
    ASSERT_EQ_INT(1, reported.calls);
    ASSERT_EQ_INT(TASK_FAILED, reported.kind);
    ASSERT_EQ_STR("SNS.InvalidParameterException", reported.error);
}

static void test_sqs_send_message_goes_to_sqs_task(void)
{
    struct reported reported;
    ASSERT_EQ_INT(0, invoke("sqs", "sendMessage", "{}", &reported));
    ASSERT_EQ_INT(1, reported.calls);
    ASSERT_EQ_INT(TASK_FAILED, reported.kind);
    ASSERT_EQ_STR("SQS.AmazonSQSException", reported.error);
}

int main(void)
{
    RUN(test_named_function_runs_in_process);
    RUN(test_named_function_needs_wait_for_task_token);
    RUN(test_unknown_function_is_not_found);
    RUN(test_unknown_resource_is_unavailable);
    RUN(test_unknown_suffix_is_unavailable);
    RUN(test_sns_publish_goes_to_sns_task);
    RUN(test_sqs_send_message_goes_to_sqs_task);
    return test_done();
}
