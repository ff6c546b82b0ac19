/*
 * test_interpreter.c - unit tests for loan-processor/interpreter/interpreter.c:
 * the states that need no outside work (Pass, Succeed, Fail, Wait, Choice),
 * ResultSelector, the run loop and the status and resting names.
 */
#include "interpreter_checks.h"
#include "test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    static const char definition[] = "{\"StartAt\":\"Broken\",\"States\":{\"Broken\":{\"Type\":\"Fail\","
                                     "\"Error\":\"Valuation.Failed\",\"Cause\":\"The property could not be valued\"}}}";
    int rc = start_and_check(definition, &facts, check_fail_state);

    ASSERT_EQ_INT(0, rc);
}

/*
 * A loop of Pass states never rests, yet AWS runs it until the history is
 * full: each step runs a batch of states and yields (continue, zero delay),
 * and the execution fails when the next state would pass 25,000 events.
 */
static void test_pass_loop_yields_then_fills_the_history(void)
{
    static const char definition[] = "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Next\":\"B\"},"
                                     "\"B\":{\"Type\":\"Pass\",\"Next\":\"A\"}}}";
    struct session session;
    int steps = 1;

    ASSERT_TRUE(session_open(&session, definition, "{\"n\":1}"));
    ASSERT_EQ_INT(0, session_start(&session));
    ASSERT_EQ_INT(EXECUTION_RUNNING, session.step.status);
    ASSERT_EQ_INT(RESTING_CONTINUE, session.step.resting);
    ASSERT_EQ_INT(0, (int)session.step.delay_ms);
    ASSERT_EQ_STR("A", session.step.state_name);
    ASSERT_EQ_STR("{\"n\":1}", session.step.state_input);
    ASSERT_EQ_INT(1 + 2 * 100, (int)history_total_events(&session.step.history));
    while (session.step.status == EXECUTION_RUNNING && steps++ < 200)
        ASSERT_EQ_INT(0, session_timer_due(&session));
    ASSERT_EQ_INT(EXECUTION_FAILED, session.step.status);
    ASSERT_EQ_STR("States.Runtime", session.step.error);
    ASSERT_EQ_STR("The execution reached the maximum number of history events (25000).", session.step.cause);
    ASSERT_EQ_INT(25000, (int)history_total_events(&session.step.history));
    ASSERT_EQ_INT(125, steps);
    session_close(&session);
}

/* AWS's test_start_large_input: a state whose output is over 256 KiB fails the execution, with no StateExited. */
static void test_output_over_the_data_limit_fails(void)
{
    size_t size = 257 * 1024;
    char *definition = malloc(size + 200);
    struct session session;

    snprintf(definition, size + 200,
             "{\"StartAt\":\"State_1\",\"States\":{\"State_1\":{\"Type\":\"Pass\","
             "\"Result\":{\"Arg1\":\"%0*d\"},\"End\":true}}}",
             (int)size, 0);
    ASSERT_TRUE(session_open(&session, definition, "{}"));
    ASSERT_EQ_INT(0, session_start(&session));
    check_history(&session.step, 1, NOW_MS, "ExecutionStarted PassStateEntered ExecutionFailed");
    ASSERT_EQ_STR("States.DataLimitExceeded", session.step.error);
    ASSERT_EQ_STR("The state/task 'State_1' returned a result with a size exceeding the maximum number of bytes "
                  "service limit.",
                  session.step.cause);
    session_close(&session);
    free(definition);
}

/* The doubling Pass states: the first output over 256 KiB ends it, long before megabytes are built. */
static void test_doubling_outputs_stop_at_the_data_limit(void)
{
    char definition[4096] = "{\"StartAt\":\"S0\",\"States\":{";
    size_t used = strlen(definition);
    struct session session;

    for (int i = 0; i < 17; i++) {
        used += (size_t)snprintf(definition + used, sizeof definition - used,
                                 "%s\"S%d\":{\"Type\":\"Pass\",\"Parameters\":{\"a.$\":\"$\",\"b.$\":\"$\"},",
                                 i ? "," : "", i);
        used += (size_t)(i < 16 ? snprintf(definition + used, sizeof definition - used, "\"Next\":\"S%d\"}", i + 1)
                                : snprintf(definition + used, sizeof definition - used, "\"End\":true}"));
    }
    snprintf(definition + used, sizeof definition - used, "}}");
    ASSERT_TRUE(session_open(&session, definition, "{\"x\":\"0123456789\"}"));
    ASSERT_EQ_INT(0, session_start(&session));
    ASSERT_EQ_INT(EXECUTION_FAILED, session.step.status);
    ASSERT_EQ_STR("States.DataLimitExceeded", session.step.error);
    ASSERT_EQ_STR("The state/task 'S13' returned a result with a size exceeding the maximum number of bytes service "
                  "limit.",
                  session.step.cause);
    session_close(&session);
}

/* The ResultPath "$.a.a....": refused before the document is built (Redis could not decode it). */
static void test_result_path_nesting_too_deep_fails(void)
{
    char definition[8192];
    size_t used = (size_t)snprintf(definition, sizeof definition,
                                   "{\"StartAt\":\"Deep\",\"States\":{\"Deep\":{\"Type\":\"Pass\",\"ResultPath\":\"$");
    struct session session;

    for (int i = 0; i < 1100; i++)
        used += (size_t)snprintf(definition + used, sizeof definition - used, ".a");
    snprintf(definition + used, sizeof definition - used,
             "\",\"Next\":\"W\"},\"W\":{\"Type\":\"Wait\",\"Seconds\":1,"
             "\"End\":true}}}");
    ASSERT_TRUE(session_open(&session, definition, "{}"));
    ASSERT_EQ_INT(0, session_start(&session));
    check_history(&session.step, 1, NOW_MS, "ExecutionStarted PassStateEntered ExecutionFailed");
    ASSERT_EQ_STR("States.Runtime", session.step.error);
    ASSERT_TRUE(strstr(session.step.cause, "nested more than 512 levels deep") != NULL);
    session_close(&session);
}

static void test_nesting_depth(void)
{
    cJSON *value = cJSON_CreateNumber(1);

    ASSERT_TRUE(!interpreter_nesting_over(value, 0));
    for (int i = 0; i < 512; i++) {
        cJSON *outer = cJSON_CreateArray();
        cJSON_AddItemToArray(outer, value);
        value = outer;
    }
    ASSERT_TRUE(!interpreter_nesting_over(value, 512));
    ASSERT_TRUE(interpreter_nesting_over(value, 511));
    cJSON_Delete(value);
}

static void test_status_names(void)
{
    ASSERT_EQ_STR("RUNNING", interpreter_status_name(EXECUTION_RUNNING));
    ASSERT_EQ_STR("SUCCEEDED", interpreter_status_name(EXECUTION_SUCCEEDED));
    ASSERT_EQ_STR("FAILED", interpreter_status_name(EXECUTION_FAILED));
    ASSERT_EQ_STR("TIMED_OUT", interpreter_status_name(EXECUTION_TIMED_OUT));
    ASSERT_EQ_STR("ABORTED", interpreter_status_name(EXECUTION_ABORTED));
}

static void test_resting_names(void)
{
    enum resting_kind kind = RESTING_TASK;
    ASSERT_EQ_STR("task", interpreter_resting_name(RESTING_TASK));
    ASSERT_EQ_STR("wait", interpreter_resting_name(RESTING_WAIT));
    ASSERT_EQ_STR("retry", interpreter_resting_name(RESTING_RETRY));
    ASSERT_EQ_STR("continue", interpreter_resting_name(RESTING_CONTINUE));
    ASSERT_EQ_INT(0, interpreter_resting_from_name("retry", &kind));
    ASSERT_EQ_INT(RESTING_RETRY, kind);
    ASSERT_EQ_INT(0, interpreter_resting_from_name("wait", &kind));
    ASSERT_EQ_INT(RESTING_WAIT, kind);
    ASSERT_EQ_INT(0, interpreter_resting_from_name("task", &kind));
    ASSERT_EQ_INT(RESTING_TASK, kind);
    ASSERT_EQ_INT(-EINVAL, interpreter_resting_from_name("Task", &kind));
    ASSERT_EQ_INT(-EINVAL, interpreter_resting_from_name("", &kind));
    ASSERT_EQ_INT(-EINVAL, interpreter_resting_from_name(NULL, &kind));
    ASSERT_EQ_INT(RESTING_TASK, kind);
}

static void test_release_is_safe_on_a_zeroed_step(void)
{
    struct interpreter_step step;
    memset(&step, 0, sizeof(step));
    interpreter_step_release(&step);
    interpreter_step_release(&step);
    ASSERT_NULL(step.history.events);
}

/* ---- Wait ------------------------------------------------------------------- */

/* The top-level TimeoutSeconds ran out while a Wait rests: one ExecutionTimedOut, neither error nor cause. */
static void test_an_execution_times_out_whatever_it_waits_for(void)
{
    static const char definition[] = "{\"TimeoutSeconds\":1,\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\","
                                     "\"Seconds\":10,\"End\":true}}}";
    struct session session;
    struct interpreter_step step;
    struct step_environment environment = { .now_ms = NOW_MS + 1000 };
    memset(&step, 0, sizeof(step));
    ASSERT_TRUE(session_open(&session, definition, "{}"));
    ASSERT_EQ_INT(0, session_start(&session));
    ASSERT_EQ_INT(0, interpreter_execution_timed_out(&session.position, &environment, &step));
    ASSERT_EQ_INT(EXECUTION_TIMED_OUT, step.status);
    ASSERT_EQ_INT(0, render_step(&step));
    check_history(&step, 3, NOW_MS + 1000, "ExecutionTimedOut");
    ASSERT_TRUE(
        printed_equals(cJSON_GetObjectItemCaseSensitive(event_at(&step, 0), "executionTimedOutEventDetails"), "{}"));
    ASSERT_NULL(step.error);
    ASSERT_NULL(step.cause);
    ASSERT_NULL(step.output);
    interpreter_step_release(&step);
    session.position.branch_id = "4.0";
    ASSERT_EQ_INT(-EINVAL, interpreter_execution_timed_out(&session.position, &environment, &step));
    interpreter_step_release(&step);
    session_close(&session);
}

/* Wait state W with fields (each ending with a comma), going on to the Pass state After. */
#define WAIT_MACHINE(fields) MACHINE("W", "\"W\":{\"Type\":\"Wait\"," fields "\"Next\":\"After\"}," END_PASS("After"))

struct wait_case {
    int64_t delay_ms; /* 0: the Wait passes straight through */
    const char *output;
};

static void play_wait(struct session *session, const void *arguments)
{
    const struct wait_case *expected = arguments;
    const struct interpreter_step *step = &session->step;
    ASSERT_EQ_INT(0, session_start(session));
    if (expected->delay_ms > 0) {
        check_history(step, 1, NOW_MS, "ExecutionStarted WaitStateEntered");
        check_rest(step, "W", 2, RESTING_WAIT, expected->delay_ms, NULL);
        ASSERT_EQ_INT(NOW_MS, step->state_entered_ms);
        ASSERT_EQ_STR(session->facts.input, step->state_input);
        ASSERT_NULL(step->task.token);
        session->now_ms += expected->delay_ms;
        ASSERT_EQ_INT(0, session_timer_due(session));
        check_history(step, 3, session->now_ms, "WaitStateExited PassStateEntered PassStateExited ExecutionSucceeded");
    } else {
        check_history(step, 1, NOW_MS,
                      "ExecutionStarted WaitStateEntered WaitStateExited PassStateEntered PassStateExited "
                      "ExecutionSucceeded");
    }
    int exited = event_count(step) - 4;
    ASSERT_EQ_STR("W", detail(step, exited, "stateExitedEventDetails", "name"));
    ASSERT_EQ_STR(expected->output, detail(step, exited, "stateExitedEventDetails", "output"));
    check_succeeded_execution(step, expected->output);
}

static void check_wait(const char *definition, const char *input, int64_t delay_ms, const char *output)
{
    struct wait_case expected = { delay_ms, output };
    run_scenario(definition, input, play_wait, &expected);
}

static void test_wait_seconds_rests_then_goes_on(void)
{
    check_wait(WAIT_MACHINE("\"Seconds\":5,"), SMALL_INPUT, 5000, SMALL_INPUT);
}

static void test_wait_seconds_path(void)
{
    check_wait(WAIT_MACHINE("\"SecondsPath\":\"$.delay\","), "{\"delay\":7}", 7000, "{\"delay\":7}");
}

static void test_wait_seconds_zero_passes_straight_through(void)
{
    check_wait(WAIT_MACHINE("\"Seconds\":0,"), SMALL_INPUT, 0, SMALL_INPUT);
    check_wait(WAIT_MACHINE("\"SecondsPath\":\"$.delay\","), "{\"delay\":0}", 0, "{\"delay\":0}");
}

static void test_wait_timestamp(void)
{
    /* NOW_MS is 2024-04-05T19:34:39.456Z. */
    check_wait(WAIT_MACHINE("\"Timestamp\":\"2024-04-05T19:35:00Z\","), SMALL_INPUT, 20544, SMALL_INPUT);
    check_wait(WAIT_MACHINE("\"Timestamp\":\"2024-01-01T00:00:00Z\","), SMALL_INPUT, 0, SMALL_INPUT);
    check_wait(WAIT_MACHINE("\"Timestamp\":\"2024-04-05T19:34:39.456Z\","), SMALL_INPUT, 0, SMALL_INPUT);
}

static void test_wait_timestamp_path(void)
{
    check_wait(WAIT_MACHINE("\"TimestampPath\":\"$.until\","), "{\"until\":\"2024-04-05T20:34:40.456+01:00\"}", 1000,
               "{\"until\":\"2024-04-05T20:34:40.456+01:00\"}");
    check_wait(WAIT_MACHINE("\"TimestampPath\":\"$.until\","), "{\"until\":\"2020-02-29T12:00:00Z\"}", 0,
               "{\"until\":\"2020-02-29T12:00:00Z\"}");
}

static void test_wait_input_and_output_paths(void)
{
    /* SecondsPath reads the effective input; OutputPath selects from it. */
    check_wait(WAIT_MACHINE("\"InputPath\":\"$.inner\",\"SecondsPath\":\"$.delay\",\"OutputPath\":\"$.delay\","),
               "{\"inner\":{\"delay\":2},\"x\":1}", 2000, "2");
}

static void test_wait_bad_paths_fail_with_states_runtime(void)
{
    static const char seconds_path[] = WAIT_MACHINE("\"SecondsPath\":\"$.delay\",");
    static const char timestamp_path[] = WAIT_MACHINE("\"TimestampPath\":\"$.until\",");
    static const char not_a_count[] =
        "The value selected by '$.delay' for the field 'SecondsPath' must be a non-negative integer";

    check_runtime_failure_at_start(seconds_path, "{}", "Wait", "W",
                                   "Invalid path '$.delay' : No results for path: $['delay']");
    check_runtime_failure_at_start(seconds_path, "{\"delay\":\"5\"}", "Wait", "W", not_a_count);
    check_runtime_failure_at_start(seconds_path, "{\"delay\":-1}", "Wait", "W", not_a_count);
    check_runtime_failure_at_start(seconds_path, "{\"delay\":1.5}", "Wait", "W", not_a_count);
    check_runtime_failure_at_start(seconds_path, "{\"delay\":null}", "Wait", "W", not_a_count);
    check_runtime_failure_at_start(timestamp_path, "{\"until\":\"tomorrow\"}", "Wait", "W",
                                   "The TimestampPath parameter does not reference a valid ISO-8601 extended offset "
                                   "date-time format string: $.until == tomorrow");
    check_runtime_failure_at_start(timestamp_path, "{\"until\":1712345679}", "Wait", "W",
                                   "The TimestampPath parameter does not reference a valid ISO-8601 extended offset "
                                   "date-time format string: $.until == 1712345679");
    check_runtime_failure_at_start(timestamp_path, "{}", "Wait", "W",
                                   "The JSONPath '$.until' specified for the field 'TimestampPath' could not be "
                                   "found in the input '{}'");
}

/* ---- Choice ----------------------------------------------------------------- */

#define CHOICE_RULES                                                                        \
    "\"Choices\":[{\"Variable\":\"$.amount\",\"NumericGreaterThan\":100,\"Next\":\"Big\"}," \
    "{\"Variable\":\"$.kind\",\"StringEquals\":\"small\",\"Next\":\"Small\"}]"
#define CHOICE_TARGETS END_PASS("Big") "," END_PASS("Small") "," END_PASS("Other")

static const char choice_definition[] =
    MACHINE("C", "\"C\":{\"Type\":\"Choice\"," CHOICE_RULES ",\"Default\":\"Other\"}," CHOICE_TARGETS);
static const char choice_without_default_definition[] =
    MACHINE("C", "\"C\":{\"Type\":\"Choice\"," CHOICE_RULES "}," END_PASS("Big") "," END_PASS("Small"));
static const char choice_paths_definition[] =
    MACHINE("C", "\"C\":{\"Type\":\"Choice\",\"InputPath\":\"$.order\",\"OutputPath\":\"$.amount\"," CHOICE_RULES
                 ",\"Default\":\"Other\"}," CHOICE_TARGETS);

struct choice_case {
    const char *branch;
    const char *output; /* the Choice state's output */
};

static void play_choice(struct session *session, const void *arguments)
{
    const struct choice_case *expected = arguments;
    const struct interpreter_step *step = &session->step;
    ASSERT_EQ_INT(0, session_start(session));
    check_history(step, 1, NOW_MS,
                  "ExecutionStarted ChoiceStateEntered ChoiceStateExited PassStateEntered PassStateExited "
                  "ExecutionSucceeded");
    ASSERT_EQ_STR("C", detail(step, 1, "stateEnteredEventDetails", "name"));
    ASSERT_EQ_STR(session->facts.input, detail(step, 1, "stateEnteredEventDetails", "input"));
    ASSERT_EQ_STR("C", detail(step, 2, "stateExitedEventDetails", "name"));
    ASSERT_EQ_STR(expected->output, detail(step, 2, "stateExitedEventDetails", "output"));
    ASSERT_EQ_STR(expected->branch, detail(step, 3, "stateEnteredEventDetails", "name"));
    ASSERT_EQ_STR(expected->output, detail(step, 3, "stateEnteredEventDetails", "input"));
    check_succeeded_execution(step, expected->output);
}

static void check_choice(const char *definition, const char *input, const char *branch, const char *output)
{
    struct choice_case expected = { branch, output };
    run_scenario(definition, input, play_choice, &expected);
}

static void test_choice_takes_the_first_matching_rule(void)
{
    check_choice(choice_definition, "{\"amount\":500}", "Big", "{\"amount\":500}");
    check_choice(choice_definition, "{\"amount\":500,\"kind\":\"small\"}", "Big",
                 "{\"amount\":500,\"kind\":\"small\"}");
    check_choice(choice_definition, "{\"amount\":5,\"kind\":\"small\"}", "Small", "{\"amount\":5,\"kind\":\"small\"}");
}

static void test_choice_default(void)
{
    check_choice(choice_definition, "{\"amount\":5,\"kind\":\"large\"}", "Other", "{\"amount\":5,\"kind\":\"large\"}");
}

static void test_choice_input_and_output_paths(void)
{
    check_choice(choice_paths_definition, "{\"order\":{\"amount\":500},\"x\":1}", "Big", "500");
    check_choice(choice_paths_definition, "{\"order\":{\"amount\":5,\"kind\":\"small\"}}", "Small", "5");
}

static void play_no_choice_matched(struct session *session, const void *unused)
{
    (void)unused;
    ASSERT_EQ_INT(0, session_start(session));
    check_history(&session->step, 1, NOW_MS, "ExecutionStarted ChoiceStateEntered ExecutionFailed");
    check_failed_execution(&session->step, "States.NoChoiceMatched",
                           "An error occurred while executing the state 'C' (entered at the event id #2). No Choice "
                           "Rule matched the input and the state has no Default");
}

static void test_choice_without_match_or_default_fails(void)
{
    run_scenario(choice_without_default_definition, "{\"amount\":5,\"kind\":\"large\"}", play_no_choice_matched, NULL);
}

static void test_choice_variable_that_selects_nothing_fails_with_states_runtime(void)
{
    check_runtime_failure_at_start(choice_definition, "{\"amount\":5}", "Choice", "C",
                                   "Invalid path '$.kind': The choice state's condition path references an invalid "
                                   "value.");
    check_runtime_failure_at_start(choice_paths_definition, "{\"amount\":5}", "Choice", "C",
                                   "Invalid path '$.order' : No results for path: $['order']");
}

/* ---- Fail paths ------------------------------------------------------------- */

#define FAIL_MACHINE(fields) MACHINE("F", "\"F\":{\"Type\":\"Fail\"" fields "}")
#define FAIL_INPUT "{\"problem\":{\"name\":\"Valuation.Failed\",\"text\":\"no value\",\"code\":7}}"

struct fail_case {
    const char *error, *cause;
};

static void play_fail_state(struct session *session, const void *arguments)
{
    const struct fail_case *expected = arguments;
    ASSERT_EQ_INT(0, session_start(session));
    check_history(&session->step, 1, NOW_MS, "ExecutionStarted FailStateEntered ExecutionFailed");
    ASSERT_EQ_STR("F", detail(&session->step, 1, "stateEnteredEventDetails", "name"));
    check_failed_execution(&session->step, expected->error, expected->cause);
}

static void check_fail_paths(const char *definition, const char *error, const char *cause)
{
    struct fail_case expected = { error, cause };
    run_scenario(definition, FAIL_INPUT, play_fail_state, &expected);
}

static void test_fail_error_and_cause_paths(void)
{
    check_fail_paths(FAIL_MACHINE(",\"ErrorPath\":\"$.problem.name\",\"CausePath\":\"$.problem.text\""),
                     "Valuation.Failed", "no value");
    check_fail_paths(FAIL_MACHINE(",\"ErrorPath\":\"$.problem.name\",\"Cause\":\"fixed\""), "Valuation.Failed",
                     "fixed");
    check_fail_paths(FAIL_MACHINE(",\"Error\":\"Fixed\",\"CausePath\":\"$.problem.text\""), "Fixed", "no value");
    /* AWS-recorded: a Fail state without either gives ExecutionFailed {}. */
    check_fail_paths(FAIL_MACHINE(""), NULL, NULL);
}

static void test_fail_paths_that_select_no_string_fail_with_states_runtime(void)
{
    check_runtime_failure_at_start(FAIL_MACHINE(",\"ErrorPath\":\"$.problem.code\""), FAIL_INPUT, "Fail", "F",
                                   "The value selected by '$.problem.code' for the field 'ErrorPath' must be a "
                                   "string");
    check_runtime_failure_at_start(FAIL_MACHINE(",\"CausePath\":\"$.problem\""), FAIL_INPUT, "Fail", "F",
                                   "The value selected by '$.problem' for the field 'CausePath' must be a string");
    check_runtime_failure_at_start(FAIL_MACHINE(",\"CausePath\":\"$.missing\""), "{}", "Fail", "F",
                                   "The JSONPath '$.missing' specified for the field 'CausePath' could not be found "
                                   "in the input '{}'");
}

/* ---- ResultSelector ---------------------------------------------------------- */

static const char result_selector_definition[] =
    MACHINE("T", WAIT_TASK("T", "\"ResultSelector\":{\"value.$\":\"$.Payload.value\",\"fixed\":1,"
                                "\"entered.$\":\"$$.State.EnteredTime\"},"
                                "\"ResultPath\":\"$.result\",\"End\":true"));

#define SELECTED_RESULT "{\"Payload\":{\"value\":42,\"noise\":true},\"StatusCode\":200}"

struct result_case {
    const char *result;
    const char *output; /* NULL: States.Runtime with detail */
    const char *detail;
};

static void play_result_selector(struct session *session, const void *arguments)
{
    const struct result_case *expected = arguments;
    const struct interpreter_step *step = &session->step;
    start_task_t(session);
    session->now_ms += 5000;
    ASSERT_EQ_INT(0, session_succeed(session, expected->result));
    /* TaskSucceeded has the raw result; the selection happens before ResultPath. */
    ASSERT_EQ_STR(expected->result, detail(step, 0, "taskSucceededEventDetails", "output"));
    if (!expected->output) {
        check_history(step, 5, session->now_ms, "TaskSucceeded ExecutionFailed");
        check_runtime_failure(step, "T", 2, expected->detail);
        return;
    }
    check_history(step, 5, session->now_ms, "TaskSucceeded TaskStateExited ExecutionSucceeded");
    ASSERT_EQ_STR(expected->output, detail(step, 1, "stateExitedEventDetails", "output"));
    check_succeeded_execution(step, expected->output);
}

static void test_result_selector_applies_before_result_path(void)
{
    static const struct result_case expected = {
        SELECTED_RESULT,
        "{\"a\":1,\"result\":{\"value\":42,\"fixed\":1,\"entered\":\"2024-04-05T19:34:39.456Z\"}}",
        NULL,
    };
    run_scenario(result_selector_definition, SMALL_INPUT, play_result_selector, &expected);
}

static void test_result_selector_path_that_selects_nothing_fails(void)
{
    static const struct result_case expected = {
        "{\"StatusCode\":200}",
        NULL,
        "The JSONPath '$.Payload.value' specified for the field 'value.$' could not be found in the input "
        "'{\"StatusCode\":200}'",
    };
    run_scenario(result_selector_definition, SMALL_INPUT, play_result_selector, &expected);
}

/* ---- allocation failures ------------------------------------------------------ */

static const struct step_call start_call = { .entry = ENTRY_START };

static void test_allocation_failures_in_wait(void)
{
    static const struct step_call rest_then_go[] = { { .entry = ENTRY_START }, { .entry = ENTRY_TIMER_DUE } };
    CHECK_ALLOCATION_FAILURES(WAIT_MACHINE("\"Seconds\":5,"), SMALL_INPUT, rest_then_go);
    CHECK_ALLOCATION_FAILURES(WAIT_MACHINE("\"InputPath\":\"$.inner\",\"TimestampPath\":\"$.until\","),
                              "{\"inner\":{\"until\":\"2024-04-05T19:35:00Z\"}}", rest_then_go);
    check_allocation_failures(WAIT_MACHINE("\"Timestamp\":\"2024-01-01T00:00:00Z\","), SMALL_INPUT, &start_call, 1);
}

static void test_allocation_failures_in_choice_fail_and_result_selector(void)
{
    static const struct step_call selected[] = {
        { .entry = ENTRY_START },
        { .entry = ENTRY_TASK_SUCCEEDED, .output = SELECTED_RESULT },
    };
    check_allocation_failures(choice_definition, "{\"amount\":5,\"kind\":\"small\"}", &start_call, 1);
    check_allocation_failures(choice_paths_definition, "{\"order\":{\"amount\":500}}", &start_call, 1);
    check_allocation_failures(choice_without_default_definition, "{\"amount\":5,\"kind\":\"large\"}", &start_call, 1);
    check_allocation_failures(FAIL_MACHINE(",\"ErrorPath\":\"$.problem.name\",\"CausePath\":\"$.problem.text\""),
                              FAIL_INPUT, &start_call, 1);
    CHECK_ALLOCATION_FAILURES(result_selector_definition, SMALL_INPUT, selected);
}

/*
 * One allocation failing alone (the next ones succeeding) must still give
 * -ENOMEM: it must not turn into a States.Runtime failure of the execution
 * or an event that lacks a member.
 */
static void test_a_lone_allocation_failure_gives_enomem(void)
{
    static const struct step_call calls[] = {
        { .entry = ENTRY_START },
        { .entry = ENTRY_TASK_SUCCEEDED, .output = "{\"done\":true}" },
    };
    check_allocation_failures_in(FAIL_ONLY_ONE, TASK_THEN_AFTER("\"InputPath\":\"$.inner\","), "{\"inner\":{\"b\":2}}",
                                 calls, 2);
    check_allocation_failures_in(FAIL_ONLY_ONE, WAIT_MACHINE("\"InputPath\":\"$.inner\",\"SecondsPath\":\"$.s\","),
                                 "{\"inner\":{\"s\":3}}", calls, 1);
}

int main(void)
{
    RUN(test_pass_with_result_and_result_path_then_succeed);
    RUN(test_fail_state_fails_with_its_error_and_cause);
    RUN(test_pass_loop_yields_then_fills_the_history);
    RUN(test_output_over_the_data_limit_fails);
    RUN(test_doubling_outputs_stop_at_the_data_limit);
    RUN(test_result_path_nesting_too_deep_fails);
    RUN(test_nesting_depth);
    RUN(test_status_names);
    RUN(test_resting_names);
    RUN(test_release_is_safe_on_a_zeroed_step);
    RUN(test_an_execution_times_out_whatever_it_waits_for);
    /* Wait */
    RUN(test_wait_seconds_rests_then_goes_on);
    RUN(test_wait_seconds_path);
    RUN(test_wait_seconds_zero_passes_straight_through);
    RUN(test_wait_timestamp);
    RUN(test_wait_timestamp_path);
    RUN(test_wait_input_and_output_paths);
    RUN(test_wait_bad_paths_fail_with_states_runtime);
    /* Choice */
    RUN(test_choice_takes_the_first_matching_rule);
    RUN(test_choice_default);
    RUN(test_choice_input_and_output_paths);
    RUN(test_choice_without_match_or_default_fails);
    RUN(test_choice_variable_that_selects_nothing_fails_with_states_runtime);
    /* Fail paths, ResultSelector */
    RUN(test_fail_error_and_cause_paths);
    RUN(test_fail_paths_that_select_no_string_fail_with_states_runtime);
    RUN(test_result_selector_applies_before_result_path);
    RUN(test_result_selector_path_that_selects_nothing_fails);
    RUN(test_allocation_failures_in_wait);
    RUN(test_allocation_failures_in_choice_fail_and_result_selector);
    RUN(test_a_lone_allocation_failure_gives_enomem);
    return test_done();
}
