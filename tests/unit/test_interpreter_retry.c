/*
 * test_interpreter_retry.c - unit tests for Retry and Catch in
 * loan-processor/interpreter (interpreter_task.c, with the retry counts and
 * resting points of interpreter_events.c): backoff, jitter, catchers'
 * ResultPath, timeouts and heartbeats as errors, and the blog's part 2.
 */
#include "interpreter_checks.h"
#include "test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Retry ------------------------------------------------------------------ */

/* Parameters of the retried Tasks: the attempt's token and $$.State.RetryCount. */
#define ATTEMPT_PARAMETERS "\"Parameters\":{\"token.$\":\"$$.Task.Token\",\"attempt.$\":\"$$.State.RetryCount\"},"

/* One retrier: 3 s, then 4.5 s, then the error fails the execution. */
static const char retry_once_definition[] =
    MACHINE("T", WAIT_TASK("T", ATTEMPT_PARAMETERS
                           "\"Retry\":[{\"ErrorEquals\":[\"Transient\"],\"IntervalSeconds\":3,\"MaxAttempts\":2,"
                           "\"BackoffRate\":1.5}],\"End\":true"));

/*
 * Several retriers (only the first that matches an error applies) and a
 * catcher for what they give up on.
 */
static const char retriers_definition[] =
    MACHINE("T", WAIT_TASK("T", ATTEMPT_PARAMETERS
                           "\"Retry\":["
                           "{\"ErrorEquals\":[\"Transient\"],\"IntervalSeconds\":3,\"MaxAttempts\":1},"
                           "{\"ErrorEquals\":[\"Transient\",\"Capped\"],\"IntervalSeconds\":10,\"BackoffRate\":4,"
                           "\"MaxDelaySeconds\":25,\"MaxAttempts\":5},"
                           "{\"ErrorEquals\":[\"Jittery\"],\"IntervalSeconds\":4,\"JitterStrategy\":\"FULL\"},"
                           "{\"ErrorEquals\":[\"Never\"],\"MaxAttempts\":0},"
                           "{\"ErrorEquals\":[\"States.ALL\"],\"MaxAttempts\":1}],"
                           "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"ResultPath\":\"$.error\","
                           "\"Next\":\"After\"}],"
                           "\"Next\":\"Done\"") "," END_PASS("After") ",\"Done\":{\"Type\":\"Succeed\"}");

/* What retriers_definition's catcher makes of SMALL_INPUT and error. */
static void caught_output(char *output, size_t size, const char *error)
{
    snprintf(output, size, "{\"a\":1,\"error\":{\"Error\":\"%s\",\"Cause\":\"" FAILURE_CAUSE "\"}}", error);
}

/* The session's Task T waits for attempt number attempt (token and RetryCount in its parameters). */
static void check_attempt(const struct session *session, int attempt, const char *retry_counts)
{
    const struct interpreter_step *step = &session->step;
    int scheduled = event_count(step) - 2;
    char parameters[128];
    snprintf(parameters, sizeof(parameters), "{\"token\":\"%s\",\"attempt\":%d}", session->token, attempt);
    ASSERT_EQ_STR(parameters, detail(step, scheduled, "taskScheduledEventDetails", "parameters"));
    ASSERT_TRUE(printed_equals(step->task.parameters, parameters));
    ASSERT_EQ_STR(session->token, step->task.token);
    ASSERT_EQ_STR("lambda", detail(step, scheduled + 1, "taskStartedEventDetails", "resourceType"));
    check_rest(step, "T", 2, RESTING_TASK, 0, retry_counts);
    ASSERT_EQ_INT(NOW_MS, step->state_entered_ms);
    ASSERT_EQ_STR(session->facts.input, step->state_input);
}

/*
 * A second after the attempt started, Task T fails with error: the execution
 * rests for delay_ms with retry_counts; then the timer starts attempt number
 * attempt, with no new TaskStateEntered.
 */
static void retry_round(struct session *session, const char *error, int64_t delay_ms, const char *retry_counts,
                        int attempt)
{
    long first_id = session_next_id(session);
    session->now_ms += 1000;
    ASSERT_EQ_INT(0, session_fail(session, error, FAILURE_CAUSE));
    check_history(&session->step, first_id, session->now_ms, "TaskFailed");
    ASSERT_EQ_STR(error, detail(&session->step, 0, "taskFailedEventDetails", "error"));
    ASSERT_EQ_STR(FAILURE_CAUSE, detail(&session->step, 0, "taskFailedEventDetails", "cause"));
    check_rest(&session->step, "T", 2, RESTING_RETRY, delay_ms, retry_counts);
    ASSERT_EQ_INT(NOW_MS, session->step.state_entered_ms);
    ASSERT_EQ_STR(session->facts.input, session->step.state_input);
    ASSERT_NULL(session->step.task.token);

    session->now_ms += delay_ms;
    ASSERT_EQ_INT(0, session_timer_due(session));
    check_history(&session->step, first_id + 1, session->now_ms, "TaskScheduled TaskStarted");
    check_attempt(session, attempt, retry_counts);
}

static void play_retry_with_backoff_until_exhausted(struct session *session, const void *unused)
{
    (void)unused;
    start_task_t(session);
    check_attempt(session, 0, NULL);
    retry_round(session, "Transient", 3000, "1", 1);
    retry_round(session, "Transient", 4500, "2", 2);

    /* MaxAttempts 2 reached and nothing catches: the execution fails with the Task's error. */
    fail_and_expect_failed_execution(session, "Transient", "third time");
}

static void test_retry_rests_then_starts_a_new_attempt_with_backoff(void)
{
    run_scenario(retry_once_definition, SMALL_INPUT, play_retry_with_backoff_until_exhausted, NULL);
}

static void play_capped_backoff_then_success(struct session *session, const void *unused)
{
    (void)unused;
    start_task_t(session);
    /* 10 s, then 40 s and 160 s capped by MaxDelaySeconds 25. */
    retry_round(session, "Capped", 10000, "0,1,0,0,0", 1);
    retry_round(session, "Capped", 25000, "0,2,0,0,0", 2);
    retry_round(session, "Capped", 25000, "0,3,0,0,0", 3);

    session->now_ms += 1000;
    ASSERT_EQ_INT(0, session_succeed(session, "{\"ok\":true}"));
    check_history(&session->step, 14, session->now_ms,
                  "TaskSucceeded TaskStateExited SucceedStateEntered SucceedStateExited ExecutionSucceeded");
    check_succeeded_execution(&session->step, "{\"ok\":true}");
    ASSERT_NULL(session->step.retry_counts);
}

static void test_retry_delay_is_capped_by_max_delay_seconds(void)
{
    run_scenario(retriers_definition, SMALL_INPUT, play_capped_backoff_then_success, NULL);
}

static void play_full_jitter(struct session *session, const void *unused)
{
    char output[128];
    (void)unused;
    caught_output(output, sizeof(output), "Jittery");
    start_task_t(session);
    /* FULL jitter: the computed delay (4 s, 8 s, 16 s) times the random fraction. */
    session->jitter = 0.25;
    retry_round(session, "Jittery", 1000, "0,0,1,0,0", 1);
    session->jitter = 0.5;
    retry_round(session, "Jittery", 4000, "0,0,2,0,0", 2);
    session->jitter = 0.75;
    retry_round(session, "Jittery", 12000, "0,0,3,0,0", 3);
    /* MaxAttempts defaults to 3. */
    fail_and_expect_caught(session, "Jittery", FAILURE_CAUSE, output);
}

static void test_retry_with_full_jitter_scales_the_delay(void)
{
    run_scenario(retriers_definition, SMALL_INPUT, play_full_jitter, NULL);
}

static void play_first_matching_retrier_only(struct session *session, const void *unused)
{
    char output[128];
    (void)unused;
    caught_output(output, sizeof(output), "Transient");
    start_task_t(session);
    retry_round(session, "Transient", 3000, "1,0,0,0,0", 1);
    /* The first retrier is spent; the later ones that match Transient do not take over. */
    fail_and_expect_caught(session, "Transient", FAILURE_CAUSE, output);
}

static void test_only_the_first_matching_retrier_applies(void)
{
    run_scenario(retriers_definition, SMALL_INPUT, play_first_matching_retrier_only, NULL);
}

static void play_max_attempts_zero(struct session *session, const void *unused)
{
    char output[128];
    (void)unused;
    caught_output(output, sizeof(output), "Never");
    start_task_t(session);
    /* MaxAttempts 0: never retried, not even by the States.ALL retrier after it. */
    fail_and_expect_caught(session, "Never", FAILURE_CAUSE, output);
}

static void test_max_attempts_zero_never_retries(void)
{
    run_scenario(retriers_definition, SMALL_INPUT, play_max_attempts_zero, NULL);
}

static void play_wildcard_retrier(struct session *session, const void *unused)
{
    char output[128];
    (void)unused;
    caught_output(output, sizeof(output), "Other");
    start_task_t(session);
    /* States.ALL with the defaults: 1 s; MaxAttempts 1 then the catcher. */
    retry_round(session, "Other", 1000, "0,0,0,0,1", 1);
    fail_and_expect_caught(session, "Other", FAILURE_CAUSE, output);
}

static void test_wildcard_retrier_takes_other_errors(void)
{
    run_scenario(retriers_definition, SMALL_INPUT, play_wildcard_retrier, NULL);
}

static void play_states_runtime_neither_retried_nor_caught(struct session *session, const void *unused)
{
    (void)unused;
    start_task_t(session);
    fail_and_expect_failed_execution(session, "States.Runtime", "boom");
}

static void test_states_runtime_is_neither_retried_nor_caught(void)
{
    run_scenario(retriers_definition, SMALL_INPUT, play_states_runtime_neither_retried_nor_caught, NULL);
}

static void play_task_submitted(struct session *session, const void *unused)
{
    struct step_call submitted = { .entry = ENTRY_TASK_SUBMITTED, .output = "{\"StatusCode\":202}" };
    (void)unused;
    start_task_t(session);
    ASSERT_EQ_INT(0, session_advance(session, &submitted));
    check_history(&session->step, 5, session->now_ms, "TaskSubmitted");
    /* A TaskSubmitted step leaves no resting point of its own: the caller keeps the Task's. */
    ASSERT_NULL(session->step.state_name);
    ASSERT_TRUE(!session->step.has_task);
}

static void test_task_submitted_takes_the_machine_and_adds_one_event(void)
{
    run_scenario(retry_once_definition, SMALL_INPUT, play_task_submitted, NULL);
}

/* ---- Catch ------------------------------------------------------------------ */

static const char catch_definition[] =
    TASK_THEN_AFTER("\"Catch\":["
                    "{\"ErrorEquals\":[\"Replace\"],\"Next\":\"After\"},"
                    "{\"ErrorEquals\":[\"Merge\",\"Other.Merge\"],\"ResultPath\":\"$.error\",\"Next\":\"After\"},"
                    "{\"ErrorEquals\":[\"Keep\"],\"ResultPath\":null,\"Next\":\"After\"},"
                    "{\"ErrorEquals\":[\"States.ALL\"],\"ResultPath\":\"$.caught\",\"Next\":\"After\"}],");

static const char task_failed_catch_definition[] =
    TASK_THEN_AFTER("\"TimeoutSeconds\":30,\"HeartbeatSeconds\":10,"
                    "\"Catch\":[{\"ErrorEquals\":[\"States.TaskFailed\"],\"Next\":\"After\"}],");

struct catch_case {
    const char *error, *cause; /* what the Task fails with */
    const char *output;        /* what the catcher makes of SMALL_INPUT */
};

static void play_catch(struct session *session, const void *arguments)
{
    const struct catch_case *expected = arguments;
    start_task_t(session);
    fail_and_expect_caught(session, expected->error, expected->cause, expected->output);
}

static void check_catch(const char *definition, const char *error, const char *cause, const char *output)
{
    struct catch_case expected = { error, cause, output };
    run_scenario(definition, SMALL_INPUT, play_catch, &expected);
}

static void test_catch_default_result_path_replaces_the_input(void)
{
    check_catch(catch_definition, "Replace", "why", "{\"Error\":\"Replace\",\"Cause\":\"why\"}");
}

static void test_catch_result_path_merges_the_error_into_the_input(void)
{
    check_catch(catch_definition, "Merge", "why", "{\"a\":1,\"error\":{\"Error\":\"Merge\",\"Cause\":\"why\"}}");
    check_catch(catch_definition, "Other.Merge", NULL,
                "{\"a\":1,\"error\":{\"Error\":\"Other.Merge\",\"Cause\":null}}");
}

static void test_catch_null_result_path_keeps_the_input(void)
{
    check_catch(catch_definition, "Keep", "why", SMALL_INPUT);
}

static void test_catch_all_takes_a_failure_without_error_or_cause(void)
{
    /* AWS-recorded: SendTaskFailure with neither gives {"Error":null,"Cause":null}. */
    check_catch(catch_definition, NULL, NULL, "{\"a\":1,\"caught\":{\"Error\":null,\"Cause\":null}}");
    check_catch(catch_definition, "Anything", "why", "{\"a\":1,\"caught\":{\"Error\":\"Anything\",\"Cause\":\"why\"}}");
}

static void test_catch_task_failed_takes_task_errors(void)
{
    check_catch(task_failed_catch_definition, "Anything", "why", "{\"Error\":\"Anything\",\"Cause\":\"why\"}");
}

static void test_catch_all_never_takes_states_runtime(void)
{
    run_scenario(catch_definition, SMALL_INPUT, play_states_runtime_neither_retried_nor_caught, NULL);
}

static void play_catch_into_a_bad_result_path(struct session *session, const void *unused)
{
    (void)unused;
    start_task_t(session);
    session->now_ms += 1000;
    ASSERT_EQ_INT(0, session_fail(session, "Merge", "why"));
    check_history(&session->step, 5, session->now_ms, "TaskFailed ExecutionFailed");
    check_runtime_failure(&session->step, "T", 2,
                          "Unable to apply ResultPath '$.error' to the input: it must select a member of a JSON "
                          "object");
}

static void test_catch_result_path_on_an_input_that_is_not_an_object(void)
{
    run_scenario(catch_definition, "[1,2]", play_catch_into_a_bad_result_path, NULL);
}

/* ---- timeouts and heartbeats -------------------------------------------------- */

/* Task T with TimeoutSeconds 30 and HeartbeatSeconds 10 and the given Catch (fields ending with a comma). */
#define TIMEOUT_MACHINE(catch) TASK_THEN_AFTER("\"TimeoutSeconds\":30,\"HeartbeatSeconds\":10," catch)

static const char timeout_uncaught_definition[] = TIMEOUT_MACHINE("");
static const char timeout_caught_definition[] =
    TIMEOUT_MACHINE("\"Catch\":[{\"ErrorEquals\":[\"States.Timeout\"],\"Next\":\"After\"}],");
static const char heartbeat_caught_definition[] =
    TIMEOUT_MACHINE("\"Catch\":[{\"ErrorEquals\":[\"States.HeartbeatTimeout\"],\"ResultPath\":\"$.timeout\","
                    "\"Next\":\"After\"}],");
static const char timeout_caught_by_all_definition[] =
    TIMEOUT_MACHINE("\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"After\"}],");

#define TIMEOUT_OUTPUT "{\"Error\":\"States.Timeout\",\"Cause\":null}"

struct timeout_case {
    bool heartbeat;
    const char *output; /* what the catcher makes of SMALL_INPUT; NULL: not caught */
};

static void play_timeout(struct session *session, const void *arguments)
{
    const struct timeout_case *expected = arguments;
    const struct interpreter_step *step = &session->step;
    start_task_t(session);
    check_scheduled_timeouts(step, 2, 30, 10);

    session->now_ms += expected->heartbeat ? 10000 : 30000;
    ASSERT_EQ_INT(0, session_time_out(session, expected->heartbeat));
    if (expected->output) {
        check_caught(step, 5, session->now_ms, "TaskTimedOut", expected->output);
    } else {
        check_history(step, 5, session->now_ms, "TaskTimedOut ExecutionFailed");
        check_failed_execution(step, "States.Timeout", NULL);
    }
    /* AWS records both kinds of timeout as States.Timeout, without a cause. */
    ASSERT_EQ_STR("States.Timeout", detail(step, 0, "taskTimedOutEventDetails", "error"));
    ASSERT_EQ_STR("lambda", detail(step, 0, "taskTimedOutEventDetails", "resourceType"));
    ASSERT_EQ_STR("invoke.waitForTaskToken", detail(step, 0, "taskTimedOutEventDetails", "resource"));
    ASSERT_TRUE(!has_detail(step, 0, "taskTimedOutEventDetails", "cause"));
}

static void check_timeout(const char *definition, bool heartbeat, const char *output)
{
    struct timeout_case expected = { heartbeat, output };
    run_scenario(definition, SMALL_INPUT, play_timeout, &expected);
}

static void test_timeout_without_catch_fails_the_execution(void)
{
    check_timeout(timeout_uncaught_definition, false, NULL);
    check_timeout(timeout_uncaught_definition, true, NULL);
}

static void test_states_timeout_catches_both_timeouts(void)
{
    check_timeout(timeout_caught_definition, false, TIMEOUT_OUTPUT);
    check_timeout(timeout_caught_definition, true, TIMEOUT_OUTPUT);
    check_timeout(timeout_caught_by_all_definition, false, TIMEOUT_OUTPUT);
}

static void test_heartbeat_timeout_catches_only_a_missed_heartbeat(void)
{
    check_timeout(heartbeat_caught_definition, true, "{\"a\":1,\"timeout\":" TIMEOUT_OUTPUT "}");
    check_timeout(heartbeat_caught_definition, false, NULL);
}

static void test_task_failed_does_not_catch_a_timeout(void)
{
    check_timeout(task_failed_catch_definition, false, NULL);
    check_timeout(task_failed_catch_definition, true, NULL);
}

static void play_timeout_retried(struct session *session, const void *unused)
{
    (void)unused;
    start_task_t(session);
    session->now_ms += 30000;
    ASSERT_EQ_INT(0, session_time_out(session, false));
    check_history(&session->step, 5, session->now_ms, "TaskTimedOut");
    check_rest(&session->step, "T", 2, RESTING_RETRY, 5000, "1");
    session->now_ms += 5000;
    ASSERT_EQ_INT(0, session_timer_due(session));
    check_history(&session->step, 6, session->now_ms, "TaskScheduled TaskStarted");
    check_scheduled_timeouts(&session->step, 0, 30, 0);
    check_rest(&session->step, "T", 2, RESTING_TASK, 0, "1");
}

static void test_timeout_can_be_retried(void)
{
    run_scenario(TASK_THEN_AFTER("\"TimeoutSeconds\":30,"
                                 "\"Retry\":[{\"ErrorEquals\":[\"States.Timeout\"],\"IntervalSeconds\":5}],"),
                 SMALL_INPUT, play_timeout_retried, NULL);
}

/* Task T whose timeouts come from the input. */
static const char timeout_paths_definition[] =
    TASK_THEN_AFTER("\"TimeoutSecondsPath\":\"$.limits.timeout\",\"HeartbeatSecondsPath\":\"$.limits.heartbeat\","
                    "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"After\"}],");

static void play_timeout_paths(struct session *session, const void *unused)
{
    (void)unused;
    start_task_t(session);
    check_scheduled_timeouts(&session->step, 2, 40, 5);
}

static void test_timeout_paths_are_resolved_from_the_input(void)
{
    run_scenario(timeout_paths_definition, "{\"limits\":{\"timeout\":40,\"heartbeat\":5}}", play_timeout_paths, NULL);
}

static void test_bad_timeout_paths_fail_with_states_runtime(void)
{
    /* The States.ALL catcher does not take States.Runtime. */
    check_runtime_failure_at_start(timeout_paths_definition, "{\"limits\":{\"timeout\":\"40\",\"heartbeat\":5}}",
                                   "Task", "T",
                                   "The value selected by '$.limits.timeout' for the field 'TimeoutSecondsPath' must "
                                   "be a positive integer");
    check_runtime_failure_at_start(timeout_paths_definition, "{\"limits\":{\"timeout\":0,\"heartbeat\":5}}", "Task",
                                   "T",
                                   "The value selected by '$.limits.timeout' for the field 'TimeoutSecondsPath' must "
                                   "be a positive integer");
    check_runtime_failure_at_start(timeout_paths_definition, "{\"limits\":{\"timeout\":40,\"heartbeat\":2.5}}", "Task",
                                   "T",
                                   "The value selected by '$.limits.heartbeat' for the field 'HeartbeatSecondsPath' "
                                   "must be a positive integer");
    check_runtime_failure_at_start(timeout_paths_definition, "{\"limits\":{\"timeout\":40}}", "Task", "T",
                                   "Invalid path '$.limits.heartbeat' : No results for path: $['limits']['heartbeat']");
    check_runtime_failure_at_start(timeout_paths_definition, "{\"limits\":{\"timeout\":40,\"heartbeat\":40}}", "Task",
                                   "T", "The heartbeat (40 s) must be shorter than the timeout (40 s)");
}

/* ---- the blog's part 2: timeouts and failures published, then Fail --------------- */

#ifndef TEST_BLOG_PART2_PATH
#error "SOURCE_ROOT must be defined by meson"
#endif
#define TOPIC_ARN "arn:aws:sns:us-east-1:123456789012:LoanProcessorErrorTopic"

/* The definition in TEST_BLOG_PART2_PATH (read once, kept until exit), or NULL with a diagnostic. */
static const char *part2_definition(void)
{
    static char *text;
    size_t length;
    if (!text && !(text = test_read_file(TEST_BLOG_PART2_PATH, &length)))
        printf("# cannot open %s\n", TEST_BLOG_PART2_PATH);
    return text;
}

/* The session runs the part-2 machine: 30 s timeout, both errors published before a Fail state. */
static bool is_part2(const struct session *session)
{
    const struct state_definition *request = state_machine_find(session->machine, "RequestValuation");
    bool part2 = request && request->timeout_seconds == 30 && request->catcher_count == 2
                 && state_machine_find(session->machine, "PublishValuationServiceTimeoutError")
                 && state_machine_find(session->machine, "PublishValuationFailedError");
    if (!part2)
        printf("# %s is not the blog's part-2 state machine\n", TEST_BLOG_PART2_PATH);
    return part2;
}

/* Plays a scenario on the part-2 machine with the blog's loan application as input. */
static void run_part2(scenario play, const void *arguments)
{
    const char *definition = part2_definition();
    ASSERT_NOT_NULL(definition);
    run_scenario(definition, LOAN_INPUT, play, arguments);
}

/* How the valuation Task ends and where part 2 takes it. */
struct part2_case {
    const char *error, *cause; /* NULL error: the valuation times out */
    const char *error_output;  /* what the catcher passes on */
    const char *publish_state;
    const char *description; /* in the published message */
    const char *fail_state;  /* and the execution's error */
};

/* The valuation Task waits with the blog's Parameters and its 30 s timeout. */
static void check_part2_start(const struct session *session)
{
    const struct interpreter_step *step = &session->step;
    check_history(step, 1, NOW_MS, "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted");
    ASSERT_EQ_STR("{\"FunctionName\":\"ValuationRequestFunction\",\"Payload\":{\"taskToken\":\"token-1\","
                  "\"loanApplication\":" LOAN_INPUT "}}",
                  detail(step, 2, "taskScheduledEventDetails", "parameters"));
    check_scheduled_timeouts(step, 2, 30, 0);
    check_rest(step, "RequestValuation", 2, RESTING_TASK, 0, NULL);
}

/* The valuation's error is caught and published: the SNS Task waits. */
static void check_part2_publishing(const struct session *session, const struct part2_case *expected)
{
    const struct interpreter_step *step = &session->step;
    char parameters[1024];
    snprintf(parameters, sizeof(parameters),
             "{\"TopicArn\":\"" TOPIC_ARN "\",\"Message\":{\"description\":\"%s\",\"source\":\"" STATE_MACHINE_ARN
             "\",\"executionId\":\"" EXECUTION_ARN "\",\"executionStartTime\":\"2024-04-05T19:34:38.123Z\"}}",
             expected->description);
    check_history(step, 5, session->now_ms,
                  expected->error ? "TaskFailed TaskStateExited TaskStateEntered TaskScheduled TaskStarted"
                                  : "TaskTimedOut TaskStateExited TaskStateEntered TaskScheduled TaskStarted");
    ASSERT_EQ_STR("RequestValuation", detail(step, 1, "stateExitedEventDetails", "name"));
    ASSERT_EQ_STR(expected->error_output, detail(step, 1, "stateExitedEventDetails", "output"));
    ASSERT_EQ_STR(expected->publish_state, detail(step, 2, "stateEnteredEventDetails", "name"));
    ASSERT_EQ_STR(expected->error_output, detail(step, 2, "stateEnteredEventDetails", "input"));
    ASSERT_EQ_STR("sns", detail(step, 3, "taskScheduledEventDetails", "resourceType"));
    ASSERT_EQ_STR("publish", detail(step, 3, "taskScheduledEventDetails", "resource"));
    ASSERT_EQ_STR("eu-west-2", detail(step, 3, "taskScheduledEventDetails", "region"));
    ASSERT_EQ_STR(parameters, detail(step, 3, "taskScheduledEventDetails", "parameters"));
    check_scheduled_timeouts(step, 3, 0, 0);
    ASSERT_EQ_STR("publish", detail(step, 4, "taskStartedEventDetails", "resource"));
    check_rest(step, expected->publish_state, 7, RESTING_TASK, 0, NULL);
    ASSERT_EQ_INT(session->now_ms, step->state_entered_ms);
    ASSERT_EQ_STR(expected->error_output, step->state_input);
    ASSERT_EQ_STR("arn:aws:states:::sns:publish", step->task.resource_arn);
    ASSERT_EQ_STR("sns", step->task.resource_type);
    ASSERT_TRUE(printed_equals(step->task.parameters, parameters));
}

/* The publication succeeded: the Fail state ends the execution with its error and no cause. */
static void check_part2_end(const struct session *session, const struct part2_case *expected)
{
    const struct interpreter_step *step = &session->step;
    check_history(step, 10, session->now_ms, "TaskSucceeded TaskStateExited FailStateEntered ExecutionFailed");
    ASSERT_EQ_STR("sns", detail(step, 0, "taskSucceededEventDetails", "resourceType"));
    ASSERT_EQ_STR(expected->publish_state, detail(step, 1, "stateExitedEventDetails", "name"));
    ASSERT_EQ_STR("{\"MessageId\":\"m-1\"}", detail(step, 1, "stateExitedEventDetails", "output"));
    ASSERT_EQ_STR(expected->fail_state, detail(step, 2, "stateEnteredEventDetails", "name"));
    ASSERT_EQ_STR("{\"MessageId\":\"m-1\"}", detail(step, 2, "stateEnteredEventDetails", "input"));
    check_failed_execution(step, expected->fail_state, NULL);
}

static void play_part2(struct session *session, const void *arguments)
{
    const struct part2_case *expected = arguments;
    ASSERT_TRUE(is_part2(session));
    ASSERT_EQ_INT(0, session_start(session));
    check_part2_start(session);

    session->now_ms += 30000;
    ASSERT_EQ_INT(0, expected->error ? session_fail(session, expected->error, expected->cause)
                                     : session_time_out(session, false));
    check_part2_publishing(session, expected);

    session->now_ms += 100;
    ASSERT_EQ_INT(0, session_succeed(session, "{\"MessageId\":\"m-1\"}"));
    check_part2_end(session, expected);
}

static void test_part2_timeout_is_published_then_fails(void)
{
    static const struct part2_case expected = {
        NULL,
        NULL,
        TIMEOUT_OUTPUT,
        "PublishValuationServiceTimeoutError",
        "The valuation service timed out",
        "ValuationServiceTimedOut",
    };
    run_part2(play_part2, &expected);
}

static void test_part2_valuation_failure_is_published_then_fails(void)
{
    static const struct part2_case expected = {
        "ValuationFailed",
        "The property could not be valued",
        "{\"Error\":\"ValuationFailed\",\"Cause\":\"The property could not be valued\"}",
        "PublishValuationFailedError",
        "The valuation failed",
        "ValuationFailed",
    };
    run_part2(play_part2, &expected);
}

static void play_part2_lambda_errors_retried(struct session *session, const void *unused)
{
    const struct interpreter_step *step = &session->step;
    (void)unused;
    ASSERT_EQ_INT(0, session_start(session));
    session->now_ms += 1000;
    ASSERT_EQ_INT(0, session_fail(session, "Lambda.ServiceException", "throttled"));
    check_history(step, 5, session->now_ms, "TaskFailed");
    check_rest(step, "RequestValuation", 2, RESTING_RETRY, 2000, "1");
    session->now_ms += 2000;
    ASSERT_EQ_INT(0, session_timer_due(session));
    check_history(step, 6, session->now_ms, "TaskScheduled TaskStarted");
    check_scheduled_timeouts(step, 0, 30, 0);
    ASSERT_EQ_STR("{\"FunctionName\":\"ValuationRequestFunction\",\"Payload\":{\"taskToken\":\"token-3\","
                  "\"loanApplication\":" LOAN_INPUT "}}",
                  detail(step, 0, "taskScheduledEventDetails", "parameters"));
    ASSERT_EQ_STR("token-3", step->task.token);
    check_rest(step, "RequestValuation", 2, RESTING_TASK, 0, "1");
    session->now_ms += 1000;
    ASSERT_EQ_INT(0, session_fail(session, "Lambda.SdkClientException", "unreachable"));
    check_rest(step, "RequestValuation", 2, RESTING_RETRY, 4000, "2");
}

static void test_part2_lambda_errors_are_retried(void)
{
    run_part2(play_part2_lambda_errors_retried, NULL);
}

/* ---- allocation failures ------------------------------------------------------ */

static void test_allocation_failures_in_retry_and_catch(void)
{
    static const struct step_call calls[] = {
        { .entry = ENTRY_START },
        { .entry = ENTRY_TASK_FAILED, .error = "Transient", .cause = FAILURE_CAUSE },
        { .entry = ENTRY_TIMER_DUE },
        { .entry = ENTRY_TASK_FAILED, .error = "Transient", .cause = FAILURE_CAUSE },
    };
    static const struct step_call merge[] = {
        { .entry = ENTRY_START },
        { .entry = ENTRY_TASK_FAILED, .error = "Merge", .cause = NULL },
    };
    CHECK_ALLOCATION_FAILURES(retriers_definition, SMALL_INPUT, calls);
    CHECK_ALLOCATION_FAILURES(catch_definition, SMALL_INPUT, merge);
}

static void test_allocation_failures_in_timeouts(void)
{
    static const struct step_call part2[] = {
        { .entry = ENTRY_START },
        { .entry = ENTRY_TASK_TIMED_OUT },
        { .entry = ENTRY_TASK_SUCCEEDED, .output = "{\"MessageId\":\"m-1\"}" },
    };
    static const struct step_call paths[] = {
        { .entry = ENTRY_START },
        { .entry = ENTRY_TASK_TIMED_OUT, .heartbeat = true },
    };
    const char *definition = part2_definition();
    ASSERT_NOT_NULL(definition);
    CHECK_ALLOCATION_FAILURES(definition, LOAN_INPUT, part2);
    CHECK_ALLOCATION_FAILURES(timeout_paths_definition, "{\"limits\":{\"timeout\":40,\"heartbeat\":5}}", paths);
}

int main(void)
{
    /* Retry */
    RUN(test_retry_rests_then_starts_a_new_attempt_with_backoff);
    RUN(test_retry_delay_is_capped_by_max_delay_seconds);
    RUN(test_retry_with_full_jitter_scales_the_delay);
    RUN(test_only_the_first_matching_retrier_applies);
    RUN(test_max_attempts_zero_never_retries);
    RUN(test_wildcard_retrier_takes_other_errors);
    RUN(test_states_runtime_is_neither_retried_nor_caught);
    RUN(test_task_submitted_takes_the_machine_and_adds_one_event);
    /* Catch */
    RUN(test_catch_default_result_path_replaces_the_input);
    RUN(test_catch_result_path_merges_the_error_into_the_input);
    RUN(test_catch_null_result_path_keeps_the_input);
    RUN(test_catch_all_takes_a_failure_without_error_or_cause);
    RUN(test_catch_task_failed_takes_task_errors);
    RUN(test_catch_all_never_takes_states_runtime);
    RUN(test_catch_result_path_on_an_input_that_is_not_an_object);
    /* timeouts */
    RUN(test_timeout_without_catch_fails_the_execution);
    RUN(test_states_timeout_catches_both_timeouts);
    RUN(test_heartbeat_timeout_catches_only_a_missed_heartbeat);
    RUN(test_task_failed_does_not_catch_a_timeout);
    RUN(test_timeout_can_be_retried);
    RUN(test_timeout_paths_are_resolved_from_the_input);
    RUN(test_bad_timeout_paths_fail_with_states_runtime);
    /* the blog's part 2 */
    RUN(test_part2_timeout_is_published_then_fails);
    RUN(test_part2_valuation_failure_is_published_then_fails);
    RUN(test_part2_lambda_errors_are_retried);
    /* allocation failures */
    RUN(test_allocation_failures_in_retry_and_catch);
    RUN(test_allocation_failures_in_timeouts);
    return test_done();
}
