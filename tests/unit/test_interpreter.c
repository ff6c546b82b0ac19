/*
 * test_interpreter.c - unit tests for loan-processor/interpreter.c (and the
 * history events it writes through history.c)
 */
#include "interpreter.h"
#include "test.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#define STATE_MACHINE_ARN "arn:aws:states:eu-west-2:123456789012:stateMachine:LoanProcessor"
#define EXECUTION_ARN "arn:aws:states:eu-west-2:123456789012:execution:LoanProcessor:run-1"
#define ROLE_ARN "arn:aws:iam::123456789012:role/StepFunctionsRole"
#define WAIT_RESOURCE_ARN "arn:aws:states:::lambda:invoke.waitForTaskToken"
#define TOKEN "AQCwAAAAKgAAAAMAAAAAAAAAAZ83TG9hblByb2Nlc3NvcjpydW4tMQ=="
#define SECOND_TOKEN "AQDeadBeefAAAAMAAAAAAAAAAZ83TG9hblByb2Nlc3NvcjpydW4tMQ=="

/* 2024-04-05T19:34:38.123Z */
#define START_MS 1712345678123LL
#define NOW_MS 1712345679456LL

#define LOAN_INPUT                                                                                 \
    "{\"applicationReference\":\"app-ref\",\"property\":{\"nameOrNumber\":\"999\",\"postcode\":\"PO1 1CE\"}}"

/* The definition from the blog post (as in state-machines/LoanProcessorStateMachine.asl.json). */
static const char blog_definition[] =
    "{\"StartAt\":\"RequestValuation\",\"States\":{\"RequestValuation\":{\"Type\":\"Task\","
    "\"Resource\":\"" WAIT_RESOURCE_ARN "\","
    "\"Parameters\":{\"FunctionName\":\"ValuationRequestFunction\","
    "\"Payload\":{\"taskToken.$\":\"$$.Task.Token\",\"loanApplication.$\":\"$\"}},"
    "\"End\":true}}}";

static const struct execution_facts facts = {
    .execution_arn = EXECUTION_ARN,
    .execution_name = "run-1",
    .state_machine_arn = STATE_MACHINE_ARN,
    .state_machine_name = "LoanProcessor",
    .role_arn = ROLE_ARN,
    .region = "eu-west-2",
    .start_ms = START_MS,
    .input = LOAN_INPUT,
};

/* ---- helpers ------------------------------------------------------------ */

static struct state_machine *parse_machine(const char *definition)
{
    struct state_machine *machine = NULL;
    char error[512] = "";
    if (state_machine_parse(definition, strlen(definition), &machine, error, sizeof(error)) < 0) {
        printf("# definition rejected: %s\n", error);
        return NULL;
    }
    return machine;
}

static int event_count(const struct interpreter_step *step)
{
    return cJSON_GetArraySize(step->history.events);
}

static const cJSON *event_at(const struct interpreter_step *step, int index)
{
    return cJSON_GetArrayItem(step->history.events, index);
}

/* A string member of the event's details object (details_member). */
static const char *detail(const struct interpreter_step *step, int index, const char *details_member,
                          const char *name)
{
    const cJSON *details = cJSON_GetObjectItemCaseSensitive(event_at(step, index), details_member);
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(details, name));
}

static bool has_detail(const struct interpreter_step *step, int index, const char *details_member, const char *name)
{
    const cJSON *details = cJSON_GetObjectItemCaseSensitive(event_at(step, index), details_member);
    return cJSON_GetObjectItemCaseSensitive(details, name) != NULL;
}

/* Checks type, id and previousEventId of the event at index, and the batch's timestamp. */
static void check_event(const struct interpreter_step *step, int index, const char *type, long id, long previous,
                        long long now_ms)
{
    const cJSON *event = event_at(step, index);
    const cJSON *timestamp = cJSON_GetObjectItemCaseSensitive(event, "timestamp");
    ASSERT_NOT_NULL(event);
    ASSERT_EQ_STR(type, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(event, "type")));
    ASSERT_EQ_INT(id, (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(event, "id")));
    ASSERT_EQ_INT(previous, (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(event, "previousEventId")));
    ASSERT_TRUE(cJSON_IsNumber(timestamp));
    ASSERT_TRUE(timestamp->valuedouble > (double)now_ms / 1000.0 - 0.0005
                && timestamp->valuedouble < (double)now_ms / 1000.0 + 0.0005);
}

/* Checks "<member>Details": {"truncated": false} next to a payload member. */
static void check_untruncated(const struct interpreter_step *step, int index, const char *details_member,
                              const char *payload_member)
{
    char name[64];
    snprintf(name, sizeof(name), "%sDetails", payload_member);
    const cJSON *details = cJSON_GetObjectItemCaseSensitive(event_at(step, index), details_member);
    const cJSON *truncation = cJSON_GetObjectItemCaseSensitive(details, name);
    ASSERT_TRUE(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(truncation, "truncated")));
}

static bool printed_equals(const cJSON *document, const char *expected)
{
    char *printed = cJSON_PrintUnformatted(document);
    bool equal = printed && strcmp(printed, expected) == 0;
    if (!equal)
        printf("# expected %s\n#      got %s\n", expected, printed ? printed : "(null)");
    cJSON_free(printed);
    return equal;
}

static bool starts_with(const char *text, const char *prefix)
{
    return text && strncmp(text, prefix, strlen(prefix)) == 0;
}

/* The position a step left the execution in (borrowing the step's strings). */
static struct execution_position position_after(const struct interpreter_step *step)
{
    struct execution_position position = {
        .last_event_id = step->history.last_event_id,
        .state_name = step->state_name,
        .state_entered_event_id = step->state_entered_event_id,
        .state_entered_ms = step->state_entered_ms,
        .state_input = step->state_input,
    };
    return position;
}

/* Runs over the step an interpreter call produced (ASSERTs inside fail the test). */
typedef void (*step_check)(const struct interpreter_step *step);

/* What the helpers below return when the definition does not parse (the interpreter never returns it). */
#define NOT_PARSED (-1)

/* Which interpreter entry point call_and_check calls, and with what. */
enum step_entry { ENTRY_START, ENTRY_TASK_SUCCEEDED, ENTRY_TASK_FAILED };

struct step_call {
    enum step_entry entry;
    const struct execution_facts *facts;
    const struct execution_position *position; /* the Task entries */
    const char *output;                        /* ENTRY_TASK_SUCCEEDED */
    const char *error, *cause;                 /* ENTRY_TASK_FAILED */
    int64_t now_ms;
};

/*
 * Parses definition, makes call on it and, when that returns 0, runs check (if
 * any) on the step while the machine is still alive. Releases everything and
 * returns the call's result, or NOT_PARSED.
 */
static int call_and_check(const char *definition, const struct step_call *call, step_check check)
{
    struct state_machine *machine = parse_machine(definition);
    struct interpreter_step step;
    int rc = NOT_PARSED;

    memset(&step, 0, sizeof(step));
    if (machine) {
        switch (call->entry) {
        case ENTRY_START:
            rc = interpreter_start(machine, call->facts, call->now_ms, TOKEN, &step);
            break;
        case ENTRY_TASK_SUCCEEDED:
            rc = interpreter_task_succeeded(machine, call->facts, call->position, WAIT_RESOURCE_ARN, call->output,
                                            call->now_ms, SECOND_TOKEN, &step);
            break;
        case ENTRY_TASK_FAILED:
            rc = interpreter_task_failed(machine, call->facts, call->position, WAIT_RESOURCE_ARN, call->error,
                                         call->cause, call->now_ms, &step);
            break;
        }
        if (rc == 0 && check)
            check(&step);
    }
    interpreter_step_release(&step);
    state_machine_free(machine);
    return rc;
}

/* Parses definition, starts an execution with execution_facts at NOW_MS (token TOKEN) and runs check. */
static int start_and_check(const char *definition, const struct execution_facts *execution_facts, step_check check)
{
    struct step_call call = { .entry = ENTRY_START, .facts = execution_facts, .now_ms = NOW_MS };
    return call_and_check(definition, &call, check);
}

/* Parses definition, completes the Task waiting at position with output at NOW_MS, runs check. */
static int succeed_task_and_check(const char *definition, const struct execution_position *position,
                                  const char *output, step_check check)
{
    struct step_call call = {
        .entry = ENTRY_TASK_SUCCEEDED, .facts = &facts, .position = position, .output = output, .now_ms = NOW_MS,
    };
    return call_and_check(definition, &call, check);
}

/* Parses definition, fails the Task waiting at position with error and cause at now_ms, runs check. */
static int fail_task_and_check(const char *definition, const struct execution_position *position, const char *error,
                               const char *cause, int64_t now_ms, step_check check)
{
    struct step_call call = {
        .entry = ENTRY_TASK_FAILED, .facts = &facts, .position = position,
        .error = error, .cause = cause, .now_ms = now_ms,
    };
    return call_and_check(definition, &call, check);
}

/* ---- the blog's execution ----------------------------------------------- */

static void check_blog_start(const struct interpreter_step *step)
{
    const char *expected_parameters =
        "{\"FunctionName\":\"ValuationRequestFunction\",\"Payload\":{\"taskToken\":\"" TOKEN "\","
        "\"loanApplication\":" LOAN_INPUT "}}";

    ASSERT_EQ_INT(EXECUTION_RUNNING, step->status);
    ASSERT_EQ_INT(4, event_count(step));

    check_event(step, 0, "ExecutionStarted", 1, 0, NOW_MS);
    ASSERT_EQ_STR(LOAN_INPUT, detail(step, 0, "executionStartedEventDetails", "input"));
    ASSERT_EQ_STR(ROLE_ARN, detail(step, 0, "executionStartedEventDetails", "roleArn"));
    check_untruncated(step, 0, "executionStartedEventDetails", "input");

    /* AWS: the first state follows event 0, not ExecutionStarted. */
    check_event(step, 1, "TaskStateEntered", 2, 0, NOW_MS);
    ASSERT_EQ_STR("RequestValuation", detail(step, 1, "stateEnteredEventDetails", "name"));
    ASSERT_EQ_STR(LOAN_INPUT, detail(step, 1, "stateEnteredEventDetails", "input"));
    check_untruncated(step, 1, "stateEnteredEventDetails", "input");

    check_event(step, 2, "TaskScheduled", 3, 2, NOW_MS);
    ASSERT_EQ_STR("lambda", detail(step, 2, "taskScheduledEventDetails", "resourceType"));
    ASSERT_EQ_STR("invoke.waitForTaskToken", detail(step, 2, "taskScheduledEventDetails", "resource"));
    ASSERT_EQ_STR("eu-west-2", detail(step, 2, "taskScheduledEventDetails", "region"));
    ASSERT_EQ_STR(expected_parameters, detail(step, 2, "taskScheduledEventDetails", "parameters"));
    ASSERT_TRUE(!has_detail(step, 2, "taskScheduledEventDetails", "timeoutInSeconds"));
    ASSERT_TRUE(!has_detail(step, 2, "taskScheduledEventDetails", "heartbeatInSeconds"));

    check_event(step, 3, "TaskStarted", 4, 3, NOW_MS);
    ASSERT_EQ_STR("lambda", detail(step, 3, "taskStartedEventDetails", "resourceType"));
    ASSERT_EQ_STR("invoke.waitForTaskToken", detail(step, 3, "taskStartedEventDetails", "resource"));

    /* Where the execution rests, and the task the caller must start. */
    ASSERT_EQ_INT(4, step->history.last_event_id);
    ASSERT_EQ_STR("RequestValuation", step->state_name);
    ASSERT_EQ_INT(2, step->state_entered_event_id);
    ASSERT_EQ_INT(NOW_MS, step->state_entered_ms);
    ASSERT_EQ_STR(LOAN_INPUT, step->state_input);
    ASSERT_TRUE(step->has_task);
    ASSERT_EQ_STR(WAIT_RESOURCE_ARN, step->task.resource_arn);
    ASSERT_EQ_STR("lambda", step->task.resource_type);
    ASSERT_EQ_STR("invoke.waitForTaskToken", step->task.resource);
    ASSERT_EQ_STR(TOKEN, step->task.token);
    ASSERT_TRUE(printed_equals(step->task.parameters, expected_parameters));
    ASSERT_EQ_INT(0, step->task.timeout_seconds);
    ASSERT_NULL(step->output);
    ASSERT_NULL(step->error);
    ASSERT_NULL(step->cause);
}

static void test_start_schedules_the_valuation_task(void)
{
    int rc = start_and_check(blog_definition, &facts, check_blog_start);
    ASSERT_EQ_INT(0, rc);
}

static void check_submitted(const struct interpreter_step *step)
{
    ASSERT_EQ_INT(1, event_count(step));
    check_event(step, 0, "TaskSubmitted", 5, 4, NOW_MS + 10);
    ASSERT_EQ_STR("lambda", detail(step, 0, "taskSubmittedEventDetails", "resourceType"));
    ASSERT_EQ_STR("invoke.waitForTaskToken", detail(step, 0, "taskSubmittedEventDetails", "resource"));
    ASSERT_EQ_STR("{\"StatusCode\":200}", detail(step, 0, "taskSubmittedEventDetails", "output"));
    check_untruncated(step, 0, "taskSubmittedEventDetails", "output");
    ASSERT_EQ_INT(5, step->history.last_event_id);
    ASSERT_EQ_INT(EXECUTION_RUNNING, step->status);
}

static void check_succeeded(const struct interpreter_step *step)
{
    const char *output = "{\"valuationReference\":\"R\",\"propertyValue\":1}";

    ASSERT_EQ_INT(3, event_count(step));
    check_event(step, 0, "TaskSucceeded", 6, 5, NOW_MS + 20);
    ASSERT_EQ_STR("lambda", detail(step, 0, "taskSucceededEventDetails", "resourceType"));
    ASSERT_EQ_STR("invoke.waitForTaskToken", detail(step, 0, "taskSucceededEventDetails", "resource"));
    ASSERT_EQ_STR(output, detail(step, 0, "taskSucceededEventDetails", "output"));
    check_untruncated(step, 0, "taskSucceededEventDetails", "output");
    check_event(step, 1, "TaskStateExited", 7, 6, NOW_MS + 20);
    ASSERT_EQ_STR("RequestValuation", detail(step, 1, "stateExitedEventDetails", "name"));
    ASSERT_EQ_STR(output, detail(step, 1, "stateExitedEventDetails", "output"));
    check_event(step, 2, "ExecutionSucceeded", 8, 7, NOW_MS + 20);
    ASSERT_EQ_STR(output, detail(step, 2, "executionSucceededEventDetails", "output"));
    check_untruncated(step, 2, "executionSucceededEventDetails", "output");
    ASSERT_EQ_INT(EXECUTION_SUCCEEDED, step->status);
    ASSERT_EQ_STR(output, step->output);
    ASSERT_TRUE(!step->has_task);
    ASSERT_NULL(step->error);
}

static void test_submitted_then_succeeded_ends_the_execution(void)
{
    struct state_machine *machine = parse_machine(blog_definition);
    struct interpreter_step start, submitted, succeeded;
    int rc_start = -1, rc_submitted = -1, rc_succeeded = -1;

    memset(&start, 0, sizeof(start));
    memset(&submitted, 0, sizeof(submitted));
    memset(&succeeded, 0, sizeof(succeeded));
    if (machine && (rc_start = interpreter_start(machine, &facts, NOW_MS, TOKEN, &start)) == 0) {
        struct execution_position position = position_after(&start);
        rc_submitted = interpreter_task_submitted(&position, WAIT_RESOURCE_ARN, "{\"StatusCode\":200}",
                                                  NOW_MS + 10, &submitted);
        if (rc_submitted == 0)
            check_submitted(&submitted);
        position.last_event_id = submitted.history.last_event_id;
        rc_succeeded = interpreter_task_succeeded(machine, &facts, &position, WAIT_RESOURCE_ARN,
                                                  "{\"valuationReference\":\"R\",\"propertyValue\":1}",
                                                  NOW_MS + 20, SECOND_TOKEN, &succeeded);
        if (rc_succeeded == 0)
            check_succeeded(&succeeded);
    }
    interpreter_step_release(&start);
    interpreter_step_release(&submitted);
    interpreter_step_release(&succeeded);
    state_machine_free(machine);
    ASSERT_EQ_INT(0, rc_start);
    ASSERT_EQ_INT(0, rc_submitted);
    ASSERT_EQ_INT(0, rc_succeeded);
}

static void check_failed(const struct interpreter_step *step)
{
    ASSERT_EQ_INT(2, event_count(step));
    check_event(step, 0, "TaskFailed", 6, 5, NOW_MS + 30);
    ASSERT_EQ_STR("lambda", detail(step, 0, "taskFailedEventDetails", "resourceType"));
    ASSERT_EQ_STR("invoke.waitForTaskToken", detail(step, 0, "taskFailedEventDetails", "resource"));
    ASSERT_EQ_STR("Valuation.Failed", detail(step, 0, "taskFailedEventDetails", "error"));
    ASSERT_EQ_STR("The valuation service failed", detail(step, 0, "taskFailedEventDetails", "cause"));
    check_event(step, 1, "ExecutionFailed", 7, 6, NOW_MS + 30);
    ASSERT_EQ_STR("Valuation.Failed", detail(step, 1, "executionFailedEventDetails", "error"));
    ASSERT_EQ_STR("The valuation service failed", detail(step, 1, "executionFailedEventDetails", "cause"));
    ASSERT_EQ_INT(EXECUTION_FAILED, step->status);
    ASSERT_EQ_STR("Valuation.Failed", step->error);
    ASSERT_EQ_STR("The valuation service failed", step->cause);
    ASSERT_NULL(step->output);
    ASSERT_TRUE(!step->has_task);
}

static void check_failed_without_error_and_cause(const struct interpreter_step *step)
{
    ASSERT_EQ_INT(2, event_count(step));
    check_event(step, 0, "TaskFailed", 6, 5, NOW_MS + 30);
    ASSERT_TRUE(!has_detail(step, 0, "taskFailedEventDetails", "error"));
    ASSERT_TRUE(!has_detail(step, 0, "taskFailedEventDetails", "cause"));
    check_event(step, 1, "ExecutionFailed", 7, 6, NOW_MS + 30);
    ASSERT_TRUE(!has_detail(step, 1, "executionFailedEventDetails", "error"));
    ASSERT_TRUE(!has_detail(step, 1, "executionFailedEventDetails", "cause"));
    ASSERT_EQ_INT(EXECUTION_FAILED, step->status);
    ASSERT_NULL(step->error);
    ASSERT_NULL(step->cause);
}

static void test_task_failed_fails_the_execution(void)
{
    struct execution_position position = {
        .last_event_id = 5,
        .state_name = "RequestValuation",
        .state_entered_event_id = 2,
        .state_entered_ms = NOW_MS,
        .state_input = LOAN_INPUT,
    };
    int rc_failed = fail_task_and_check(blog_definition, &position, "Valuation.Failed",
                                        "The valuation service failed", NOW_MS + 30, check_failed);
    int rc_bare = fail_task_and_check(blog_definition, &position, NULL, NULL, NOW_MS + 30,
                                      check_failed_without_error_and_cause);

    ASSERT_EQ_INT(0, rc_failed);
    ASSERT_EQ_INT(0, rc_bare);
}

static void test_task_results_need_a_waiting_task(void)
{
    static const char definition[] =
        "{\"StartAt\":\"RequestValuation\",\"States\":{"
        "\"RequestValuation\":{\"Type\":\"Task\",\"Resource\":\"" WAIT_RESOURCE_ARN "\",\"Next\":\"Done\"},"
        "\"Done\":{\"Type\":\"Succeed\"}}}";
    struct execution_position not_a_task = { 5, "Done", 2, NOW_MS, "{}" };
    struct execution_position unknown = { 5, "Nope", 2, NOW_MS, "{}" };
    struct execution_position nothing = { 5, NULL, 2, NOW_MS, "{}" };
    int rc1 = succeed_task_and_check(definition, &not_a_task, "{}", NULL);
    int rc2 = fail_task_and_check(definition, &unknown, "E", "C", NOW_MS, NULL);
    int rc3 = succeed_task_and_check(definition, &nothing, "{}", NULL);

    ASSERT_TRUE(rc1 != NOT_PARSED);
    ASSERT_EQ_INT(-EINVAL, rc1);
    ASSERT_EQ_INT(-EINVAL, rc2);
    ASSERT_EQ_INT(-EINVAL, rc3);
}

/* ---- going on after a task ------------------------------------------------ */

static void check_result_path_then_succeed(const struct interpreter_step *step)
{
    const char *output = "{\"applicationReference\":\"app-ref\",\"property\":{\"nameOrNumber\":\"999\","
                         "\"postcode\":\"PO1 1CE\"},\"valuation\":{\"propertyValue\":250000}}";

    ASSERT_EQ_INT(5, event_count(step));
    check_event(step, 0, "TaskSucceeded", 6, 5, NOW_MS);
    check_event(step, 1, "TaskStateExited", 7, 6, NOW_MS);
    ASSERT_EQ_STR(output, detail(step, 1, "stateExitedEventDetails", "output"));
    check_event(step, 2, "SucceedStateEntered", 8, 7, NOW_MS);
    ASSERT_EQ_STR("Done", detail(step, 2, "stateEnteredEventDetails", "name"));
    ASSERT_EQ_STR(output, detail(step, 2, "stateEnteredEventDetails", "input"));
    check_event(step, 3, "SucceedStateExited", 9, 8, NOW_MS);
    check_event(step, 4, "ExecutionSucceeded", 10, 9, NOW_MS);
    ASSERT_EQ_STR(output, detail(step, 4, "executionSucceededEventDetails", "output"));
    ASSERT_EQ_INT(EXECUTION_SUCCEEDED, step->status);
    ASSERT_EQ_STR(output, step->output);
}

static void test_task_result_path_then_next_state(void)
{
    static const char definition[] =
        "{\"StartAt\":\"RequestValuation\",\"States\":{"
        "\"RequestValuation\":{\"Type\":\"Task\",\"Resource\":\"" WAIT_RESOURCE_ARN "\","
        "\"ResultPath\":\"$.valuation\",\"Next\":\"Done\"},"
        "\"Done\":{\"Type\":\"Succeed\"}}}";
    struct execution_position position = { 5, "RequestValuation", 2, NOW_MS, LOAN_INPUT };
    int rc = succeed_task_and_check(definition, &position, "{\"propertyValue\":250000}",
                                    check_result_path_then_succeed);

    ASSERT_EQ_INT(0, rc);
}

static void check_second_task(const struct interpreter_step *step)
{
    ASSERT_EQ_INT(EXECUTION_RUNNING, step->status);
    ASSERT_EQ_INT(5, event_count(step));
    check_event(step, 0, "TaskSucceeded", 6, 5, NOW_MS);
    check_event(step, 1, "TaskStateExited", 7, 6, NOW_MS);
    check_event(step, 2, "TaskStateEntered", 8, 7, NOW_MS);
    ASSERT_EQ_STR("Notify", detail(step, 2, "stateEnteredEventDetails", "name"));
    check_event(step, 3, "TaskScheduled", 9, 8, NOW_MS);
    ASSERT_EQ_STR("sqs", detail(step, 3, "taskScheduledEventDetails", "resourceType"));
    ASSERT_EQ_STR("sendMessage.waitForTaskToken", detail(step, 3, "taskScheduledEventDetails", "resource"));
    ASSERT_EQ_STR("{\"token\":\"" SECOND_TOKEN "\",\"value\":7}",
                  detail(step, 3, "taskScheduledEventDetails", "parameters"));
    ASSERT_TRUE(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItemCaseSensitive(event_at(step, 3), "taskScheduledEventDetails"),
                    "timeoutInSeconds"))
                == 300);
    check_event(step, 4, "TaskStarted", 10, 9, NOW_MS);
    ASSERT_TRUE(step->has_task);
    ASSERT_EQ_STR(SECOND_TOKEN, step->task.token);
    ASSERT_EQ_INT(300, step->task.timeout_seconds);
    ASSERT_EQ_STR("Notify", step->state_name);
    ASSERT_EQ_INT(8, step->state_entered_event_id);
    ASSERT_EQ_STR("{\"value\":7}", step->state_input);
}

static void test_task_succeeded_enters_the_next_task_with_the_fresh_token(void)
{
    static const char definition[] =
        "{\"StartAt\":\"First\",\"States\":{"
        "\"First\":{\"Type\":\"Task\",\"Resource\":\"" WAIT_RESOURCE_ARN "\",\"Next\":\"Notify\"},"
        "\"Notify\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::sqs:sendMessage.waitForTaskToken\","
        "\"Parameters\":{\"token.$\":\"$$.Task.Token\",\"value.$\":\"$.value\"},\"TimeoutSeconds\":300,\"End\":true}}}";
    struct execution_position position = { 5, "First", 2, NOW_MS, "{}" };
    int rc = succeed_task_and_check(definition, &position, "{\"value\":7}", check_second_task);

    ASSERT_EQ_INT(0, rc);
}

static void check_output_path_failure(const struct interpreter_step *step)
{
    ASSERT_EQ_INT(EXECUTION_FAILED, step->status);
    ASSERT_EQ_INT(2, event_count(step));
    check_event(step, 0, "TaskSucceeded", 6, 5, NOW_MS);
    check_event(step, 1, "ExecutionFailed", 7, 6, NOW_MS);
    ASSERT_EQ_STR("States.Runtime", step->error);
    ASSERT_TRUE(starts_with(step->cause,
                            "An error occurred while executing the state 'RequestValuation' (entered at the event id #2). "
                            "Invalid path '$.missing' for the field 'OutputPath'"));
    ASSERT_EQ_STR("States.Runtime", detail(step, 1, "executionFailedEventDetails", "error"));
    ASSERT_EQ_STR(step->cause, detail(step, 1, "executionFailedEventDetails", "cause"));
}

static void test_output_path_that_selects_nothing_fails_after_the_task(void)
{
    static const char definition[] =
        "{\"StartAt\":\"RequestValuation\",\"States\":{"
        "\"RequestValuation\":{\"Type\":\"Task\",\"Resource\":\"" WAIT_RESOURCE_ARN "\","
        "\"OutputPath\":\"$.missing\",\"End\":true}}}";
    struct execution_position position = { 5, "RequestValuation", 2, NOW_MS, LOAN_INPUT };
    int rc = succeed_task_and_check(definition, &position, "{\"a\":1}", check_output_path_failure);

    ASSERT_EQ_INT(0, rc);
}

/* ---- Pass, Succeed and Fail ------------------------------------------------ */

static void check_pass_then_succeed(const struct interpreter_step *step)
{
    const char *output = "{\"a\":1,\"result\":{\"x\":[1,2]}}";

    ASSERT_EQ_INT(EXECUTION_SUCCEEDED, step->status);
    ASSERT_EQ_INT(6, event_count(step));
    check_event(step, 0, "ExecutionStarted", 1, 0, NOW_MS);
    check_event(step, 1, "PassStateEntered", 2, 0, NOW_MS);
    ASSERT_EQ_STR("Prepare", detail(step, 1, "stateEnteredEventDetails", "name"));
    ASSERT_EQ_STR("{\"a\":1}", detail(step, 1, "stateEnteredEventDetails", "input"));
    check_event(step, 2, "PassStateExited", 3, 2, NOW_MS);
    ASSERT_EQ_STR("Prepare", detail(step, 2, "stateExitedEventDetails", "name"));
    ASSERT_EQ_STR(output, detail(step, 2, "stateExitedEventDetails", "output"));
    check_untruncated(step, 2, "stateExitedEventDetails", "output");
    check_event(step, 3, "SucceedStateEntered", 4, 3, NOW_MS);
    ASSERT_EQ_STR("Done", detail(step, 3, "stateEnteredEventDetails", "name"));
    ASSERT_EQ_STR(output, detail(step, 3, "stateEnteredEventDetails", "input"));
    check_event(step, 4, "SucceedStateExited", 5, 4, NOW_MS);
    ASSERT_EQ_STR(output, detail(step, 4, "stateExitedEventDetails", "output"));
    check_event(step, 5, "ExecutionSucceeded", 6, 5, NOW_MS);
    ASSERT_EQ_STR(output, detail(step, 5, "executionSucceededEventDetails", "output"));
    ASSERT_EQ_STR(output, step->output);
    ASSERT_TRUE(!step->has_task);
    ASSERT_NULL(step->task.token);
}

static void test_pass_with_result_and_result_path_then_succeed(void)
{
    static const char definition[] =
        "{\"StartAt\":\"Prepare\",\"States\":{"
        "\"Prepare\":{\"Type\":\"Pass\",\"Result\":{\"x\":[1,2]},\"ResultPath\":\"$.result\",\"Next\":\"Done\"},"
        "\"Done\":{\"Type\":\"Succeed\"}}}";
    struct execution_facts pass_facts = facts;
    int rc;

    pass_facts.input = "{\"a\":1}";
    rc = start_and_check(definition, &pass_facts, check_pass_then_succeed);
    ASSERT_EQ_INT(0, rc);
}

/* Runs definition from the start with input and returns the step's output (or NULL); reports status. */
static char *run_to_output(const char *definition, const char *input, enum execution_status *status)
{
    struct execution_facts run_facts = facts;
    struct state_machine *machine = parse_machine(definition);
    struct interpreter_step step;
    char *output = NULL;

    run_facts.input = input;
    memset(&step, 0, sizeof(step));
    *status = EXECUTION_ABORTED;
    if (machine && interpreter_start(machine, &run_facts, NOW_MS, TOKEN, &step) == 0) {
        *status = step.status;
        output = step.output ? strdup(step.output) : NULL;
    }
    interpreter_step_release(&step);
    state_machine_free(machine);
    return output;
}

static void test_pass_input_output_and_null_result_paths(void)
{
    enum execution_status s1, s2, s3, s4;
    /* InputPath narrows what Result/Parameters see; ResultPath places into the raw input. */
    char *narrowed = run_to_output("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"InputPath\":\"$.a\","
                                   "\"ResultPath\":\"$.copy\",\"End\":true}}}",
                                   "{\"a\":{\"b\":2},\"c\":3}", &s1);
    /* ResultPath null: the output is the input, the result is discarded. */
    char *discarded = run_to_output("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"Result\":\"x\","
                                    "\"ResultPath\":null,\"End\":true}}}",
                                    "{\"keep\":true}", &s2);
    /* OutputPath selects from the state's output. */
    char *selected = run_to_output("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"Result\":{\"v\":5},"
                                   "\"ResultPath\":\"$.r\",\"OutputPath\":\"$.r.v\",\"End\":true}}}",
                                   "{}", &s3);
    /* Default ResultPath "$": Result replaces the input. */
    char *replaced = run_to_output("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"Result\":[1],"
                                   "\"End\":true}}}",
                                   "{\"gone\":1}", &s4);
    bool narrowed_ok = narrowed && strcmp(narrowed, "{\"a\":{\"b\":2},\"c\":3,\"copy\":{\"b\":2}}") == 0;
    bool discarded_ok = discarded && strcmp(discarded, "{\"keep\":true}") == 0;
    bool selected_ok = selected && strcmp(selected, "5") == 0;
    bool replaced_ok = replaced && strcmp(replaced, "[1]") == 0;

    if (!narrowed_ok)
        printf("# narrowed: %s\n", narrowed ? narrowed : "(null)");
    free(narrowed);
    free(discarded);
    free(selected);
    free(replaced);
    ASSERT_EQ_INT(EXECUTION_SUCCEEDED, s1);
    ASSERT_EQ_INT(EXECUTION_SUCCEEDED, s2);
    ASSERT_EQ_INT(EXECUTION_SUCCEEDED, s3);
    ASSERT_EQ_INT(EXECUTION_SUCCEEDED, s4);
    ASSERT_TRUE(narrowed_ok);
    ASSERT_TRUE(discarded_ok);
    ASSERT_TRUE(selected_ok);
    ASSERT_TRUE(replaced_ok);
}

static void check_fail_state(const struct interpreter_step *step)
{
    ASSERT_EQ_INT(EXECUTION_FAILED, step->status);
    ASSERT_EQ_INT(3, event_count(step));
    check_event(step, 0, "ExecutionStarted", 1, 0, NOW_MS);
    check_event(step, 1, "FailStateEntered", 2, 0, NOW_MS);
    ASSERT_EQ_STR("Broken", detail(step, 1, "stateEnteredEventDetails", "name"));
    check_event(step, 2, "ExecutionFailed", 3, 2, NOW_MS);
    ASSERT_EQ_STR("Valuation.Failed", detail(step, 2, "executionFailedEventDetails", "error"));
    ASSERT_EQ_STR("The property could not be valued", detail(step, 2, "executionFailedEventDetails", "cause"));
    ASSERT_EQ_STR("Valuation.Failed", step->error);
    ASSERT_EQ_STR("The property could not be valued", step->cause);
    ASSERT_NULL(step->output);
}

static void test_fail_state_fails_with_its_error_and_cause(void)
{
    static const char definition[] =
        "{\"StartAt\":\"Broken\",\"States\":{\"Broken\":{\"Type\":\"Fail\","
        "\"Error\":\"Valuation.Failed\",\"Cause\":\"The property could not be valued\"}}}";
    int rc = start_and_check(definition, &facts, check_fail_state);

    ASSERT_EQ_INT(0, rc);
}

/* ---- runtime errors: States.Runtime ---------------------------------------- */

static void check_input_path_failure(const struct interpreter_step *step)
{
    ASSERT_EQ_INT(EXECUTION_FAILED, step->status);
    ASSERT_EQ_INT(3, event_count(step));
    check_event(step, 1, "TaskStateEntered", 2, 0, NOW_MS);
    check_event(step, 2, "ExecutionFailed", 3, 2, NOW_MS);
    ASSERT_EQ_STR("States.Runtime", step->error);
    ASSERT_TRUE(starts_with(step->cause, "An error occurred while executing the state '"));
    ASSERT_TRUE(starts_with(step->cause,
                            "An error occurred while executing the state 'RequestValuation' (entered at the event id #2). "
                            "Invalid path '$.missing' for the field 'InputPath'"));
    ASSERT_EQ_STR("States.Runtime", detail(step, 2, "executionFailedEventDetails", "error"));
    ASSERT_EQ_STR(step->cause, detail(step, 2, "executionFailedEventDetails", "cause"));
    ASSERT_TRUE(!step->has_task);
}

static void test_input_path_that_selects_nothing_fails_with_states_runtime(void)
{
    static const char definition[] =
        "{\"StartAt\":\"RequestValuation\",\"States\":{\"RequestValuation\":{\"Type\":\"Task\","
        "\"Resource\":\"" WAIT_RESOURCE_ARN "\",\"InputPath\":\"$.missing\",\"End\":true}}}";
    int rc = start_and_check(definition, &facts, check_input_path_failure);

    ASSERT_EQ_INT(0, rc);
}

static void check_pass_input_path_failure(const struct interpreter_step *step)
{
    ASSERT_EQ_INT(EXECUTION_FAILED, step->status);
    ASSERT_EQ_STR("States.Runtime", step->error);
    ASSERT_TRUE(starts_with(step->cause, "An error occurred while executing the state 'P' (entered at the event id "
                                         "#2). Invalid path '$.missing' for the field 'InputPath'"));
    ASSERT_EQ_INT(3, event_count(step)); /* ExecutionStarted, PassStateEntered, ExecutionFailed */
}

static void test_pass_input_path_that_selects_nothing_fails(void)
{
    static const char definition[] =
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"InputPath\":\"$.missing\",\"End\":true}}}";
    int rc = start_and_check(definition, &facts, check_pass_input_path_failure);

    ASSERT_EQ_INT(0, rc);
}

static void check_cdk_mistake(const struct interpreter_step *step)
{
    ASSERT_EQ_INT(EXECUTION_FAILED, step->status);
    ASSERT_EQ_INT(3, event_count(step));
    check_event(step, 1, "TaskStateEntered", 2, 0, NOW_MS);
    check_event(step, 2, "ExecutionFailed", 3, 2, NOW_MS);
    ASSERT_EQ_STR("States.Runtime", step->error);
    ASSERT_TRUE(starts_with(step->cause,
                            "An error occurred while executing the state 'RequestValuation' (entered at the event id #2). "
                            "The Parameters '"));
    ASSERT_NOT_NULL(strstr(step->cause, "The value for the field 'taskToken.$' must be a valid JSONPath or a valid "
                                        "intrinsic function call"));
    /* The resolved parameters in the cause show the token under the mistaken key. */
    ASSERT_NOT_NULL(strstr(step->cause, "\"taskToken.$\":\"" TOKEN "\""));
    ASSERT_TRUE(!step->has_task);
}

static void test_cdk_double_suffix_mistake_fails_with_states_runtime(void)
{
    /* What `'taskToken.$': JsonPath.taskToken` in CDK produces. */
    static const char definition[] =
        "{\"StartAt\":\"RequestValuation\",\"States\":{\"RequestValuation\":{\"Type\":\"Task\","
        "\"Resource\":\"" WAIT_RESOURCE_ARN "\","
        "\"Parameters\":{\"FunctionName\":\"ValuationRequestFunction\","
        "\"Payload\":{\"taskToken.$.$\":\"$$.Task.Token\",\"loanApplication.$\":\"$\"}},"
        "\"End\":true}}}";
    int rc = start_and_check(definition, &facts, check_cdk_mistake);

    ASSERT_TRUE(rc != NOT_PARSED);
    ASSERT_EQ_INT(0, rc);
}

static void check_parameters_path_failure(const struct interpreter_step *step)
{
    ASSERT_EQ_INT(EXECUTION_FAILED, step->status);
    ASSERT_TRUE(!step->has_task);
    ASSERT_EQ_STR("States.Runtime", step->error);
    ASSERT_TRUE(starts_with(step->cause, "An error occurred while executing the state 'T' (entered at the event id "
                                         "#2). The JSONPath '$.nope' specified for the field 'x.$' could not be "
                                         "found in the input '"));
}

static void test_parameters_path_that_selects_nothing_fails(void)
{
    static const char definition[] =
        "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"Resource\":\"" WAIT_RESOURCE_ARN "\","
        "\"Parameters\":{\"x.$\":\"$.nope\"},\"End\":true}}}";
    int rc = start_and_check(definition, &facts, check_parameters_path_failure);

    ASSERT_EQ_INT(0, rc);
}

static void check_pass_loop_stopped(const struct interpreter_step *step)
{
    ASSERT_EQ_INT(EXECUTION_FAILED, step->status);
    ASSERT_EQ_STR("States.Runtime", step->error);
    ASSERT_TRUE(step->cause && strstr(step->cause, "Too many state transitions without a wait") != NULL);
}

static void test_pass_loop_is_stopped(void)
{
    static const char definition[] =
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Next\":\"B\"},"
        "\"B\":{\"Type\":\"Pass\",\"Next\":\"A\"}}}";
    int rc = start_and_check(definition, &facts, check_pass_loop_stopped);

    ASSERT_EQ_INT(0, rc);
}

/* ---- the context object ---------------------------------------------------- */

static void check_context_parameters(const struct interpreter_step *step)
{
    const char *expected = "{\"Payload\":{\"executionId\":\"" EXECUTION_ARN "\",\"executionName\":\"run-1\","
                           "\"stateMachine\":\"LoanProcessor\",\"stateMachineId\":\"" STATE_MACHINE_ARN "\","
                           "\"state\":\"RequestValuation\",\"entered\":\"2024-04-05T19:34:39.456Z\","
                           "\"started\":\"2024-04-05T19:34:38.123Z\",\"role\":\"" ROLE_ARN "\","
                           "\"reference\":\"app-ref\",\"token\":\"" TOKEN "\"}}";

    ASSERT_TRUE(step->has_task && printed_equals(step->task.parameters, expected));
    ASSERT_EQ_STR(expected, detail(step, 2, "taskScheduledEventDetails", "parameters"));
}

static void test_context_object_reaches_task_parameters(void)
{
    static const char definition[] =
        "{\"StartAt\":\"RequestValuation\",\"States\":{\"RequestValuation\":{\"Type\":\"Task\","
        "\"Resource\":\"" WAIT_RESOURCE_ARN "\",\"Parameters\":{\"Payload\":{"
        "\"executionId.$\":\"$$.Execution.Id\",\"executionName.$\":\"$$.Execution.Name\","
        "\"stateMachine.$\":\"$$.StateMachine.Name\",\"stateMachineId.$\":\"$$.StateMachine.Id\","
        "\"state.$\":\"$$.State.Name\",\"entered.$\":\"$$.State.EnteredTime\","
        "\"started.$\":\"$$.Execution.StartTime\",\"role.$\":\"$$.Execution.RoleArn\","
        "\"reference.$\":\"$$.Execution.Input.applicationReference\",\"token.$\":\"$$.Task.Token\"}},"
        "\"End\":true}}}";
    int rc = start_and_check(definition, &facts, check_context_parameters);

    ASSERT_EQ_INT(0, rc);
}

static void test_context_object_in_pass_parameters_has_no_task(void)
{
    enum execution_status status;
    char *output = run_to_output(
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"Parameters\":{"
        "\"id.$\":\"$$.Execution.Id\",\"machine.$\":\"$$.StateMachine.Name\",\"ref.$\":\"$.applicationReference\","
        "\"fixed\":\"literal\"},\"End\":true}}}",
        LOAN_INPUT, &status);
    bool output_ok = output && strcmp(output, "{\"id\":\"" EXECUTION_ARN "\",\"machine\":\"LoanProcessor\","
                                              "\"ref\":\"app-ref\",\"fixed\":\"literal\"}") == 0;
    enum execution_status no_token_status;
    char *no_token = run_to_output(
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"Parameters\":{\"t.$\":\"$$.Task.Token\"},"
        "\"End\":true}}}",
        "{}", &no_token_status);

    if (!output_ok)
        printf("# got %s\n", output ? output : "(null)");
    free(output);
    free(no_token);
    ASSERT_EQ_INT(EXECUTION_SUCCEEDED, status);
    ASSERT_TRUE(output_ok);
    /* A Pass state has no $$.Task: the path selects nothing. */
    ASSERT_EQ_INT(EXECUTION_FAILED, no_token_status);
    ASSERT_NULL(no_token);
}

static void test_status_names(void)
{
    ASSERT_EQ_STR("RUNNING", interpreter_status_name(EXECUTION_RUNNING));
    ASSERT_EQ_STR("SUCCEEDED", interpreter_status_name(EXECUTION_SUCCEEDED));
    ASSERT_EQ_STR("FAILED", interpreter_status_name(EXECUTION_FAILED));
    ASSERT_EQ_STR("TIMED_OUT", interpreter_status_name(EXECUTION_TIMED_OUT));
    ASSERT_EQ_STR("ABORTED", interpreter_status_name(EXECUTION_ABORTED));
}

static void test_release_is_safe_on_a_zeroed_step(void)
{
    struct interpreter_step step;
    memset(&step, 0, sizeof(step));
    interpreter_step_release(&step);
    interpreter_step_release(&step);
    ASSERT_NULL(step.history.events);
}

int main(void)
{
    RUN(test_start_schedules_the_valuation_task);
    RUN(test_submitted_then_succeeded_ends_the_execution);
    RUN(test_task_failed_fails_the_execution);
    RUN(test_task_results_need_a_waiting_task);
    RUN(test_task_result_path_then_next_state);
    RUN(test_task_succeeded_enters_the_next_task_with_the_fresh_token);
    RUN(test_output_path_that_selects_nothing_fails_after_the_task);
    RUN(test_pass_with_result_and_result_path_then_succeed);
    RUN(test_pass_input_output_and_null_result_paths);
    RUN(test_fail_state_fails_with_its_error_and_cause);
    RUN(test_input_path_that_selects_nothing_fails_with_states_runtime);
    RUN(test_pass_input_path_that_selects_nothing_fails);
    RUN(test_cdk_double_suffix_mistake_fails_with_states_runtime);
    RUN(test_parameters_path_that_selects_nothing_fails);
    RUN(test_pass_loop_is_stopped);
    RUN(test_context_object_reaches_task_parameters);
    RUN(test_context_object_in_pass_parameters_has_no_task);
    RUN(test_status_names);
    RUN(test_release_is_safe_on_a_zeroed_step);
    return test_done();
}
