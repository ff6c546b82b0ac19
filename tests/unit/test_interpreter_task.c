/*
 * test_interpreter_task.c - unit tests for the Task state of
 * loan-processor/interpreter (interpreter_task.c): the blog's valuation Task
 * scheduled, submitted, succeeded and failed, the state after a Task, and
 * activity Tasks.
 */
#include "interpreter_checks.h"
#include "test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The blog's part-1 definition (state-machines/LoanProcessorPart1StateMachine.asl.json, without its Retry). */
static const char blog_definition[] =
    "{\"StartAt\":\"RequestValuation\",\"States\":{\"RequestValuation\":{\"Type\":\"Task\","
    "\"Resource\":\"" WAIT_RESOURCE_ARN "\","
    "\"Parameters\":{\"FunctionName\":\"ValuationRequestFunction\","
    "\"Payload\":{\"taskToken.$\":\"$$.Task.Token\",\"loanApplication.$\":\"$\"}},"
    "\"End\":true}}}";

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
    ASSERT_EQ_INT(4, history_total_events(&step->history));
    ASSERT_EQ_STR("RequestValuation", step->state_name);
    ASSERT_EQ_INT(2, step->state_entered.id);
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
    ASSERT_EQ_INT(5, history_total_events(&step->history));
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
    struct step_environment at_start = { .now_ms = NOW_MS, .fresh_token = TOKEN },
                            at_submitted = { .now_ms = NOW_MS + 10 },
                            at_succeeded = { .now_ms = NOW_MS + 20, .fresh_token = SECOND_TOKEN };
    int rc_start = -1, rc_submitted = -1, rc_succeeded = -1;

    memset(&start, 0, sizeof(start));
    memset(&submitted, 0, sizeof(submitted));
    memset(&succeeded, 0, sizeof(succeeded));
    if (machine && (rc_start = interpreter_start(machine, &facts, &at_start, &start)) == 0
        && (rc_start = render_step(&start)) == 0) {
        struct execution_position position = position_after(&start);
        rc_submitted =
            interpreter_task_submitted(machine, &position, "{\"StatusCode\":200}", &at_submitted, &submitted);
        if (rc_submitted == 0)
            rc_submitted = render_step(&submitted);
        if (rc_submitted == 0)
            check_submitted(&submitted);
        position.stored_events = history_total_events(&submitted.history);
        rc_succeeded =
            interpreter_task_succeeded(machine, &facts, &position, "{\"valuationReference\":\"R\",\"propertyValue\":1}",
                                       &at_succeeded, &succeeded);
        if (rc_succeeded == 0)
            rc_succeeded = render_step(&succeeded);
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
        .stored_events = 5,
        .state_name = "RequestValuation",
        .state_entered = { 2, 0 },
        .state_entered_ms = NOW_MS,
        .state_input = LOAN_INPUT,
        .resting = RESTING_TASK,
    };
    int rc_failed = fail_task_and_check(blog_definition, &position, "Valuation.Failed", "The valuation service failed",
                                        NOW_MS + 30, check_failed);
    int rc_bare =
        fail_task_and_check(blog_definition, &position, NULL, NULL, NOW_MS + 30, check_failed_without_error_and_cause);

    ASSERT_EQ_INT(0, rc_failed);
    ASSERT_EQ_INT(0, rc_bare);
}

/* Makes an entry point of the given kind at position in definition; its return value. */
static int call_at(const char *definition, enum step_entry entry, const struct execution_position *position)
{
    struct step_call call = {
        .entry = entry,
        .facts = &facts,
        .position = position,
        .output = "{}",
        .error = "E",
        .cause = "C",
        .environment = { NOW_MS, SECOND_TOKEN, 0.5 },
    };
    return call_and_check(definition, &call, NULL);
}

static void test_task_results_need_a_waiting_task(void)
{
    static const char definition[] = MACHINE(
        "RequestValuation",
        WAIT_TASK("RequestValuation", "\"Next\":\"Pause\"") ","
                                                            "\"Pause\":{\"Type\":\"Wait\",\"Seconds\":5,\"Next\":"
                                                            "\"Done\"},\"Done\":{\"Type\":\"Succeed\"}");
    struct execution_position not_a_task = {
        5, "Done", { 2, 0 }, NOW_MS, "{}", RESTING_TASK, NULL, NULL, -1, NULL, NULL
    };
    struct execution_position unknown = { 5, "Nope", { 2, 0 }, NOW_MS, "{}", RESTING_TASK, NULL, NULL, -1, NULL, NULL };
    struct execution_position nothing = { 5, NULL, { 2, 0 }, NOW_MS, "{}", RESTING_TASK, NULL, NULL, -1, NULL, NULL };
    struct execution_position waiting_task = {
        5, "RequestValuation", { 2, 0 }, NOW_MS, "{}", RESTING_TASK, NULL, NULL, -1, NULL, NULL
    };
    struct execution_position retrying_task = {
        5, "RequestValuation", { 2, 0 }, NOW_MS, "{}", RESTING_RETRY, "1", NULL, -1, NULL, NULL
    };
    struct execution_position task_as_wait = {
        5, "RequestValuation", { 2, 0 }, NOW_MS, "{}", RESTING_WAIT, NULL, NULL, -1, NULL, NULL
    };
    struct execution_position waiting_wait = { 5,    "Pause", { 2, 0 }, NOW_MS, "{}", RESTING_WAIT,
                                               NULL, NULL,    -1,       NULL,   NULL };
    struct execution_position wait_as_task = { 5,    "Pause", { 2, 0 }, NOW_MS, "{}", RESTING_TASK,
                                               NULL, NULL,    -1,       NULL,   NULL };
    struct execution_position wait_as_retry = { 5,    "Pause", { 2, 0 }, NOW_MS, "{}", RESTING_RETRY,
                                                NULL, NULL,    -1,       NULL,   NULL };

    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TASK_SUCCEEDED, &not_a_task));
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TASK_FAILED, &unknown));
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TASK_SUCCEEDED, &nothing));
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TASK_TIMED_OUT, &not_a_task));
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TASK_SUBMITTED, &unknown));
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TIMER_DUE, &nothing));
    /* A Task waiting for its outcome has no timer, and while a retry is pending there is no outcome to take. */
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TIMER_DUE, &waiting_task));
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TASK_SUCCEEDED, &retrying_task));
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TASK_FAILED, &retrying_task));
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TASK_TIMED_OUT, &retrying_task));
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TASK_SUBMITTED, &retrying_task));
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TIMER_DUE, &task_as_wait));
    /* A Wait state takes nothing but its timer. */
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TASK_SUCCEEDED, &waiting_wait));
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TASK_TIMED_OUT, &waiting_wait));
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TIMER_DUE, &wait_as_task));
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TIMER_DUE, &wait_as_retry));
    /* The right entry points for those positions do work. */
    ASSERT_EQ_INT(0, call_at(definition, ENTRY_TIMER_DUE, &retrying_task));
    ASSERT_EQ_INT(0, call_at(definition, ENTRY_TIMER_DUE, &waiting_wait));
    ASSERT_EQ_INT(0, call_at(definition, ENTRY_TASK_SUBMITTED, &waiting_task));
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
    static const char definition[] = "{\"StartAt\":\"RequestValuation\",\"States\":{"
                                     "\"RequestValuation\":{\"Type\":\"Task\",\"Resource\":\"" WAIT_RESOURCE_ARN "\","
                                     "\"ResultPath\":\"$.valuation\",\"Next\":\"Done\"},"
                                     "\"Done\":{\"Type\":\"Succeed\"}}}";
    struct execution_position position = {
        5, "RequestValuation", { 2, 0 }, NOW_MS, LOAN_INPUT, RESTING_TASK, NULL, NULL, -1, NULL, NULL
    };
    int rc =
        succeed_task_and_check(definition, &position, "{\"propertyValue\":250000}", check_result_path_then_succeed);

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
    ASSERT_TRUE(
        cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(event_at(step, 3), "taskScheduledEventDetails"), "timeoutInSeconds"))
        == 300);
    check_event(step, 4, "TaskStarted", 10, 9, NOW_MS);
    ASSERT_TRUE(step->has_task);
    ASSERT_EQ_STR(SECOND_TOKEN, step->task.token);
    ASSERT_EQ_INT(300, step->task.timeout_seconds);
    ASSERT_EQ_STR("Notify", step->state_name);
    ASSERT_EQ_INT(8, step->state_entered.id);
    ASSERT_EQ_STR("{\"value\":7}", step->state_input);
}

static void test_task_succeeded_enters_the_next_task_with_the_fresh_token(void)
{
    static const char definition[] =
        "{\"StartAt\":\"First\",\"States\":{"
        "\"First\":{\"Type\":\"Task\",\"Resource\":\"" WAIT_RESOURCE_ARN "\",\"Next\":\"Notify\"},"
        "\"Notify\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::sqs:sendMessage.waitForTaskToken\","
        "\"Parameters\":{\"token.$\":\"$$.Task.Token\",\"value.$\":\"$.value\"},\"TimeoutSeconds\":300,\"End\":true}}}";
    struct execution_position position = {
        5, "First", { 2, 0 }, NOW_MS, "{}", RESTING_TASK, NULL, NULL, -1, NULL, NULL
    };
    int rc = succeed_task_and_check(definition, &position, "{\"value\":7}", check_second_task);

    ASSERT_EQ_INT(0, rc);
}

/* ---- activities ------------------------------------------------------------- */

#define ACTIVITY_ARN "arn:aws:states:eu-west-2:123456789012:activity:Valuer"

/* A Task state on the activity ACTIVITY_ARN with more fields (the last one Next or End). */
#define ACTIVITY_TASK(name, fields) "\"" name "\":{\"Type\":\"Task\",\"Resource\":\"" ACTIVITY_ARN "\"," fields "}"

/* Activity Task T with fields (each ending with a comma), going on to the Pass state After. */
#define ACTIVITY_THEN_AFTER(fields) MACHINE("T", ACTIVITY_TASK("T", fields "\"Next\":\"After\"") "," END_PASS("After"))

static const char activity_definition[] =
    ACTIVITY_THEN_AFTER("\"InputPath\":\"$.inner\",\"Parameters\":{\"b.$\":\"$.b\",\"token.$\":\"$$.Task.Token\"},"
                        "\"TimeoutSeconds\":60,\"HeartbeatSeconds\":10,");

#define ACTIVITY_INPUT "{\"inner\":{\"b\":2}}"

static const char activity_retry_definition[] = ACTIVITY_THEN_AFTER(
    "\"Retry\":[{\"ErrorEquals\":[\"ActivityQueueFull\"],\"MaxAttempts\":1}],"
    "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"ResultPath\":\"$.error\",\"Next\":\"After\"}],");

/* An activity's events carry no resourceType/resource (nor TaskScheduled's region and parameters). */
static void check_no_task_members(const struct interpreter_step *step, int index, const char *details_member)
{
    ASSERT_TRUE(!has_detail(step, index, details_member, "resourceType"));
    ASSERT_TRUE(!has_detail(step, index, details_member, "region"));
    ASSERT_TRUE(!has_detail(step, index, details_member, "parameters"));
}

/* Starts the session on activity_definition and checks the task waits for a worker (token "token-1"). */
static void start_activity_task(struct session *session)
{
    const char *input = "{\"b\":2,\"token\":\"token-1\"}";
    const struct interpreter_step *step = &session->step;
    ASSERT_EQ_INT(0, session_start(session));
    check_history(step, 1, session->now_ms, "ExecutionStarted TaskStateEntered ActivityScheduled");
    ASSERT_EQ_STR(ACTIVITY_ARN, detail(step, 2, "activityScheduledEventDetails", "resource"));
    ASSERT_EQ_STR(input, detail(step, 2, "activityScheduledEventDetails", "input"));
    check_untruncated(step, 2, "activityScheduledEventDetails", "input");
    ASSERT_EQ_INT(60, detail_number(step, 2, "activityScheduledEventDetails", "timeoutInSeconds"));
    ASSERT_EQ_INT(10, detail_number(step, 2, "activityScheduledEventDetails", "heartbeatInSeconds"));
    check_no_task_members(step, 2, "activityScheduledEventDetails");
    check_rest(step, "T", 2, RESTING_TASK, 0, NULL);
    ASSERT_TRUE(step->task.is_activity);
    ASSERT_EQ_STR(ACTIVITY_ARN, step->task.resource_arn);
    ASSERT_EQ_STR("", step->task.resource_type);
    ASSERT_EQ_STR("token-1", step->task.token);
    ASSERT_TRUE(printed_equals(step->task.parameters, input));
    ASSERT_EQ_INT(60, step->task.timeout_seconds);
    ASSERT_EQ_INT(10, step->task.heartbeat_seconds);
}

static void play_activity_schedule(struct session *session, const void *unused)
{
    (void)unused;
    start_activity_task(session);
}

static void test_activity_task_is_scheduled_for_its_workers(void)
{
    run_scenario(activity_definition, ACTIVITY_INPUT, play_activity_schedule, NULL);
}

static void check_started_by_valuer(const struct interpreter_step *step)
{
    check_history(step, 4, NOW_MS + 1000, "ActivityStarted");
    ASSERT_EQ_STR("valuer-1", detail(step, 0, "activityStartedEventDetails", "workerName"));
    /* Only an event: the Task keeps waiting where it was. */
    ASSERT_EQ_INT(EXECUTION_RUNNING, step->status);
    ASSERT_NULL(step->state_name);
    ASSERT_TRUE(!step->has_task);
}

static void check_started_without_a_name(const struct interpreter_step *step)
{
    const cJSON *details = cJSON_GetObjectItemCaseSensitive(event_at(step, 0), "activityStartedEventDetails");
    check_history(step, 4, NOW_MS + 1000, "ActivityStarted");
    ASSERT_TRUE(printed_equals(details, "{}"));
}

static void play_activity_started_then_succeeded(struct session *session, const void *arguments)
{
    const char *worker_name = arguments;
    struct step_call started = { .entry = ENTRY_ACTIVITY_STARTED, .worker_name = worker_name };
    start_activity_task(session);
    session->now_ms += 1000;
    ASSERT_EQ_INT(
        0, session_append(session, &started, worker_name ? check_started_by_valuer : check_started_without_a_name));
    session->now_ms += 1000;
    ASSERT_EQ_INT(0, session_succeed(session, "{\"value\":7}"));
    check_history(&session->step, 5, session->now_ms,
                  "ActivitySucceeded TaskStateExited PassStateEntered PassStateExited ExecutionSucceeded");
    ASSERT_EQ_STR("{\"value\":7}", detail(&session->step, 0, "activitySucceededEventDetails", "output"));
    check_untruncated(&session->step, 0, "activitySucceededEventDetails", "output");
    check_no_task_members(&session->step, 0, "activitySucceededEventDetails");
    check_succeeded_execution(&session->step, "{\"value\":7}");
}

static void test_activity_started_then_succeeded(void)
{
    run_scenario(activity_definition, ACTIVITY_INPUT, play_activity_started_then_succeeded, "valuer-1");
    run_scenario(activity_definition, ACTIVITY_INPUT, play_activity_started_then_succeeded, NULL);
}

static void play_activity_failed(struct session *session, const void *unused)
{
    (void)unused;
    start_activity_task(session);
    ASSERT_EQ_INT(0, session_fail(session, "Programmatic Error", "it broke"));
    check_history(&session->step, 4, session->now_ms, "ActivityFailed ExecutionFailed");
    ASSERT_EQ_STR("Programmatic Error", detail(&session->step, 0, "activityFailedEventDetails", "error"));
    ASSERT_EQ_STR("it broke", detail(&session->step, 0, "activityFailedEventDetails", "cause"));
    check_no_task_members(&session->step, 0, "activityFailedEventDetails");
    check_failed_execution(&session->step, "Programmatic Error", "it broke");
}

static void play_activity_timed_out(struct session *session, const void *unused)
{
    (void)unused;
    start_activity_task(session);
    ASSERT_EQ_INT(0, session_time_out(session, true));
    check_history(&session->step, 4, session->now_ms, "ActivityTimedOut ExecutionFailed");
    ASSERT_EQ_STR("States.Timeout", detail(&session->step, 0, "activityTimedOutEventDetails", "error"));
    ASSERT_TRUE(!has_detail(&session->step, 0, "activityTimedOutEventDetails", "cause"));
    check_no_task_members(&session->step, 0, "activityTimedOutEventDetails");
    check_failed_execution(&session->step, "States.Timeout", NULL);
}

static void test_activity_failed_and_timed_out_are_activity_events(void)
{
    run_scenario(activity_definition, ACTIVITY_INPUT, play_activity_failed, NULL);
    run_scenario(activity_definition, ACTIVITY_INPUT, play_activity_timed_out, NULL);
}

/* AWS's cause when the activity of state T (entered at event 2) does not exist. */
#define MISSING_ACTIVITY_DETAIL "The activity " ACTIVITY_ARN " does not exist."

static void play_activity_missing_at_start(struct session *session, const void *unused)
{
    struct step_call start = { .entry = ENTRY_START, .environment = { .missing_activity = ACTIVITY_ARN } };
    (void)unused;
    ASSERT_EQ_INT(0, session_advance(session, &start));
    check_history(&session->step, 1, session->now_ms, "ExecutionStarted TaskStateEntered ExecutionFailed");
    check_runtime_failure(&session->step, "T", 2, MISSING_ACTIVITY_DETAIL);
}

static void play_other_activity_missing(struct session *session, const void *unused)
{
    struct step_call start = {
        .entry = ENTRY_START,
        .environment = { .missing_activity = "arn:aws:states:eu-west-2:123456789012:activity:Other" },
    };
    (void)unused;
    ASSERT_EQ_INT(0, session_advance(session, &start));
    check_history(&session->step, 1, session->now_ms, "ExecutionStarted TaskStateEntered ActivityScheduled");
}

static void play_activity_missing_when_queued(struct session *session, const void *unused)
{
    struct step_call missing = { .entry = ENTRY_ACTIVITY_MISSING };
    (void)unused;
    start_activity_task(session);
    ASSERT_EQ_INT(0, session_advance(session, &missing));
    check_history(&session->step, 4, session->now_ms, "ExecutionFailed");
    check_runtime_failure(&session->step, "T", 2, MISSING_ACTIVITY_DETAIL);
}

static void test_missing_activity_fails_with_states_runtime(void)
{
    run_scenario(activity_definition, ACTIVITY_INPUT, play_activity_missing_at_start, NULL);
    run_scenario(activity_definition, ACTIVITY_INPUT, play_other_activity_missing, NULL);
    run_scenario(activity_definition, ACTIVITY_INPUT, play_activity_missing_when_queued, NULL);
}

static void play_schedule_failed_retried_then_caught(struct session *session, const void *unused)
{
    struct step_call full = { .entry = ENTRY_ACTIVITY_SCHEDULE_FAILED, .error = "ActivityQueueFull", .cause = "full" };
    const char *output = "{\"a\":1,\"error\":{\"Error\":\"ActivityQueueFull\",\"Cause\":\"full\"}}";
    (void)unused;
    ASSERT_EQ_INT(0, session_start(session));
    check_history(&session->step, 1, session->now_ms, "ExecutionStarted TaskStateEntered ActivityScheduled");
    ASSERT_EQ_INT(0, session_advance(session, &full));
    check_history(&session->step, 4, session->now_ms, "ActivityScheduleFailed");
    ASSERT_EQ_STR("ActivityQueueFull", detail(&session->step, 0, "activityScheduleFailedEventDetails", "error"));
    ASSERT_EQ_STR("full", detail(&session->step, 0, "activityScheduleFailedEventDetails", "cause"));
    check_rest(&session->step, "T", 2, RESTING_RETRY, 1000, "1");
    ASSERT_EQ_INT(0, session_timer_due(session));
    check_history(&session->step, 5, session->now_ms, "ActivityScheduled");
    check_rest(&session->step, "T", 2, RESTING_TASK, 0, "1");
    ASSERT_EQ_INT(0, session_advance(session, &full));
    check_history(&session->step, 6, session->now_ms,
                  "ActivityScheduleFailed TaskStateExited PassStateEntered PassStateExited ExecutionSucceeded");
    check_succeeded_execution(&session->step, output);
}

static void test_activity_schedule_failure_is_retried_and_caught(void)
{
    run_scenario(activity_retry_definition, SMALL_INPUT, play_schedule_failed_retried_then_caught, NULL);
}

static void test_activity_entry_points_need_a_waiting_activity_task(void)
{
    const char *service_definition = TASK_THEN_AFTER("");
    struct execution_position waiting = { 3, "T", { 2, 0 }, NOW_MS, "{}", RESTING_TASK, NULL, NULL, -1, NULL, NULL };
    struct execution_position retrying = { 3, "T", { 2, 0 }, NOW_MS, "{}", RESTING_RETRY, "1", NULL, -1, NULL, NULL };

    ASSERT_EQ_INT(-EINVAL, call_at(activity_definition, ENTRY_TASK_SUBMITTED, &waiting));
    ASSERT_EQ_INT(-EINVAL, call_at(service_definition, ENTRY_ACTIVITY_STARTED, &waiting));
    ASSERT_EQ_INT(-EINVAL, call_at(service_definition, ENTRY_ACTIVITY_MISSING, &waiting));
    ASSERT_EQ_INT(-EINVAL, call_at(service_definition, ENTRY_ACTIVITY_SCHEDULE_FAILED, &waiting));
    ASSERT_EQ_INT(-EINVAL, call_at(activity_definition, ENTRY_ACTIVITY_STARTED, &retrying));
    ASSERT_EQ_INT(-EINVAL, call_at(activity_definition, ENTRY_ACTIVITY_MISSING, &retrying));
    ASSERT_EQ_INT(0, call_at(activity_definition, ENTRY_ACTIVITY_STARTED, &waiting));
    ASSERT_EQ_INT(0, call_at(activity_definition, ENTRY_ACTIVITY_MISSING, &waiting));
    ASSERT_EQ_INT(0, call_at(activity_definition, ENTRY_ACTIVITY_SCHEDULE_FAILED, &waiting));
    ASSERT_EQ_INT(0, call_at(activity_definition, ENTRY_TASK_SUCCEEDED, &waiting));
}

/* ---- allocation failures ------------------------------------------------------ */

static void test_allocation_failures_in_activity_tasks(void)
{
    static const struct step_call started[] = {
        { .entry = ENTRY_START },
        { .entry = ENTRY_ACTIVITY_STARTED, .worker_name = "valuer-1" },
    };
    static const struct step_call succeeded[] = {
        { .entry = ENTRY_START },
        { .entry = ENTRY_TASK_SUCCEEDED, .output = "{\"value\":7}" },
    };
    static const struct step_call missing[] = {
        { .entry = ENTRY_START, .environment = { .missing_activity = ACTIVITY_ARN } },
    };
    static const struct step_call missing_later[] = { { .entry = ENTRY_START }, { .entry = ENTRY_ACTIVITY_MISSING } };
    static const struct step_call schedule_failed[] = {
        { .entry = ENTRY_START },
        { .entry = ENTRY_ACTIVITY_SCHEDULE_FAILED, .error = "ActivityQueueFull", .cause = "full" },
        { .entry = ENTRY_TIMER_DUE },
        { .entry = ENTRY_ACTIVITY_SCHEDULE_FAILED, .error = "ActivityQueueFull", .cause = "full" },
    };
    CHECK_ALLOCATION_FAILURES(activity_definition, ACTIVITY_INPUT, started);
    CHECK_ALLOCATION_FAILURES(activity_definition, ACTIVITY_INPUT, succeeded);
    CHECK_ALLOCATION_FAILURES(activity_definition, ACTIVITY_INPUT, missing);
    CHECK_ALLOCATION_FAILURES(activity_definition, ACTIVITY_INPUT, missing_later);
    CHECK_ALLOCATION_FAILURES(activity_retry_definition, SMALL_INPUT, schedule_failed);
}

int main(void)
{
    RUN(test_start_schedules_the_valuation_task);
    RUN(test_submitted_then_succeeded_ends_the_execution);
    RUN(test_task_failed_fails_the_execution);
    RUN(test_task_results_need_a_waiting_task);
    RUN(test_task_result_path_then_next_state);
    RUN(test_task_succeeded_enters_the_next_task_with_the_fresh_token);
    /* activities */
    RUN(test_activity_task_is_scheduled_for_its_workers);
    RUN(test_activity_started_then_succeeded);
    RUN(test_activity_failed_and_timed_out_are_activity_events);
    RUN(test_missing_activity_fails_with_states_runtime);
    RUN(test_activity_schedule_failure_is_retried_and_caught);
    RUN(test_activity_entry_points_need_a_waiting_activity_task);
    RUN(test_allocation_failures_in_activity_tasks);
    return test_done();
}
