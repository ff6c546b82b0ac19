/*
 * test_interpreter_io.c - unit tests for the input and output processing of
 * loan-processor/interpreter (interpreter_events.c): InputPath, Parameters,
 * OutputPath and ResultPath, the context object and intrinsic functions.
 */
#include "interpreter_checks.h"
#include "test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_output_path_failure(const struct interpreter_step *step)
{
    ASSERT_EQ_INT(EXECUTION_FAILED, step->status);
    ASSERT_EQ_INT(2, event_count(step));
    check_event(step, 0, "TaskSucceeded", 6, 5, NOW_MS);
    check_event(step, 1, "ExecutionFailed", 7, 6, NOW_MS);
    ASSERT_EQ_STR("States.Runtime", step->error);
    ASSERT_TRUE(starts_with(
        step->cause, "An error occurred while executing the state 'RequestValuation' (entered at the event id #2). "
                     "Invalid path '$.missing' : No results for path: $['missing']"));
    ASSERT_EQ_STR("States.Runtime", detail(step, 1, "executionFailedEventDetails", "error"));
    ASSERT_EQ_STR(step->cause, detail(step, 1, "executionFailedEventDetails", "cause"));
}

static void test_output_path_that_selects_nothing_fails_after_the_task(void)
{
    static const char definition[] = "{\"StartAt\":\"RequestValuation\",\"States\":{"
                                     "\"RequestValuation\":{\"Type\":\"Task\",\"Resource\":\"" WAIT_RESOURCE_ARN "\","
                                     "\"OutputPath\":\"$.missing\",\"End\":true}}}";
    struct execution_position position = {
        5, "RequestValuation", { 2, 0 }, NOW_MS, LOAN_INPUT, RESTING_TASK, NULL, NULL, -1, NULL, NULL
    };
    int rc = succeed_task_and_check(definition, &position, "{\"a\":1}", check_output_path_failure);

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
    struct step_environment environment = { .now_ms = NOW_MS, .fresh_token = TOKEN };
    memset(&step, 0, sizeof(step));
    *status = EXECUTION_ABORTED;
    if (machine && interpreter_start(machine, &run_facts, &environment, &step) == 0) {
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

/* ---- runtime errors: States.Runtime ---------------------------------------- */

static void check_input_path_failure(const struct interpreter_step *step)
{
    ASSERT_EQ_INT(EXECUTION_FAILED, step->status);
    ASSERT_EQ_INT(3, event_count(step));
    check_event(step, 1, "TaskStateEntered", 2, 0, NOW_MS);
    check_event(step, 2, "ExecutionFailed", 3, 2, NOW_MS);
    ASSERT_EQ_STR("States.Runtime", step->error);
    ASSERT_TRUE(starts_with(step->cause, "An error occurred while executing the state '"));
    ASSERT_TRUE(starts_with(
        step->cause, "An error occurred while executing the state 'RequestValuation' (entered at the event id #2). "
                     "Invalid path '$.missing' : No results for path: $['missing']"));
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
                                         "#2). Invalid path '$.missing' : No results for path: $['missing']"));
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
    ASSERT_TRUE(starts_with(
        step->cause, "An error occurred while executing the state 'RequestValuation' (entered at the event id #2). "
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
    bool output_ok = output
                     && strcmp(output, "{\"id\":\"" EXECUTION_ARN "\",\"machine\":\"LoanProcessor\","
                                       "\"ref\":\"app-ref\",\"fixed\":\"literal\"}")
                            == 0;
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

/* ---- allocation failures ------------------------------------------------------ */

static void test_allocation_failures_in_a_task_with_input_path(void)
{
    static const struct step_call calls[] = { { .entry = ENTRY_START } };
    CHECK_ALLOCATION_FAILURES(TASK_THEN_AFTER("\"InputPath\":\"$.inner\",\"TimeoutSecondsPath\":\"$.timeout\","),
                              "{\"inner\":{\"timeout\":9}}", calls);
}

/* ---- intrinsic functions ------------------------------------------------------ */

/* The caller's source of random bytes for States.UUID: always 0x5a, so that steps can be compared. */
static int fixed_random_bytes(void *buffer, size_t length)
{
    memset(buffer, 0x5a, length);
    return 0;
}

#define FIXED_UUID "5a5a5a5a-5a5a-4a5a-9a5a-5a5a5a5a5a5a"

/* The cause AWS gives an error a state raises itself: its wording around detail. */
#define STATE_CAUSE(state, id, detail) \
    "An error occurred while executing the state '" state "' (entered at the event id #" #id "). " detail

static const char intrinsic_pass_definition[] =
    MACHINE("P", "\"P\":{\"Type\":\"Pass\",\"Parameters\":{\"greeting.$\":\"States.Format('Hello, {}.', $.name)\","
                 "\"id.$\":\"States.UUID()\",\"hash.$\":\"States.Hash($.name, "
                 "'MD5')\",\"run.$\":\"States.Array($$.Execution.Name)\"},"
                 "\"End\":true}");

static const char bad_json_pass_definition[] = MACHINE(
    "P", "\"P\":{\"Type\":\"Pass\",\"Parameters\":{\"parsed.$\":\"States.StringToJson($.text)\"},\"End\":true}");

static const char missing_argument_pass_definition[] =
    MACHINE("P", "\"P\":{\"Type\":\"Pass\",\"Parameters\":{\"v.$\":\"States.Format('{}', $.nope)\"},\"End\":true}");

/* A Task whose Parameters fail with States.IntrinsicFailure; a catcher takes it to After. */
static const char intrinsic_catch_definition[] =
    MACHINE("T", WAIT_TASK("T", "\"Parameters\":{\"n.$\":\"States.MathAdd($.a, 'one')\"},"
                                "\"Catch\":[{\"ErrorEquals\":[\"States.IntrinsicFailure\"],\"ResultPath\":\"$.error\","
                                "\"Next\":\"After\"}],\"End\":true") "," END_PASS("After"));

static const char intrinsic_uncaught_definition[] =
    MACHINE("T", WAIT_TASK("T", "\"Parameters\":{\"n.$\":\"States.MathAdd($.a, 'one')\"},\"End\":true"));

static const char intrinsic_retry_definition[] = MACHINE(
    "T", WAIT_TASK("T", "\"Parameters\":{\"n.$\":\"States.MathAdd($.a, 'one')\"},"
                        "\"Retry\":[{\"ErrorEquals\":[\"States.ALL\"],\"IntervalSeconds\":2,\"MaxAttempts\":1}],"
                        "\"End\":true"));

static const char result_selector_intrinsic_definition[] = MACHINE(
    "T",
    WAIT_TASK("T",
              "\"ResultSelector\":{\"v.$\":\"States.ArrayGetItem($.list, 5)\"},"
              "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"After\"}],\"End\":true") "," END_PASS("After"));

#define MATH_ADD_FAILURE                                                                                       \
    "The function 'States.MathAdd($.a, 'one')' had the following error: Invalid arguments in States.MathAdd: " \
    "argument 2 must be an integer, not a string"

/* Starts definition on input with the fixed random source and runs check on the step. */
static int start_with_randomness(const char *definition, const char *input, step_check check)
{
    struct execution_facts execution_facts = facts;
    struct step_call call = {
        .entry = ENTRY_START,
        .facts = &execution_facts,
        .environment = { NOW_MS, TOKEN, 0, fixed_random_bytes },
    };
    execution_facts.input = input;
    return call_and_check(definition, &call, check);
}

static void check_intrinsic_pass(const struct interpreter_step *step)
{
    check_history(step, 1, NOW_MS, "ExecutionStarted PassStateEntered PassStateExited ExecutionSucceeded");
    check_succeeded_execution(step, "{\"greeting\":\"Hello, Arnav.\",\"id\":\"" FIXED_UUID "\","
                                    "\"hash\":\"af80e83aac905456e5ecdf7bdf306cea\",\"run\":[\"run-1\"]}");
}

static void test_pass_parameters_call_intrinsic_functions(void)
{
    ASSERT_EQ_INT(0, start_with_randomness(intrinsic_pass_definition, "{\"name\":\"Arnav\"}", check_intrinsic_pass));
}

static void check_bad_json_pass(const struct interpreter_step *step)
{
    check_history(step, 1, NOW_MS, "ExecutionStarted PassStateEntered ExecutionFailed");
    check_failed_execution(step, "States.IntrinsicFailure",
                           STATE_CAUSE("P", 2,
                                       "The function 'States.StringToJson($.text)' had the following error: "
                                       "Invalid arguments in States.StringToJson: the string is not a JSON "
                                       "text"));
}

static void check_missing_argument_pass(const struct interpreter_step *step)
{
    check_history(step, 1, NOW_MS, "ExecutionStarted PassStateEntered ExecutionFailed");
    check_runtime_failure(step, "P", 2,
                          "The function 'States.Format('{}', $.nope)' had the following error: The JsonPath argument "
                          "for the field '$.nope' could not be found in the input '{\"a\":1}'");
}

/* An intrinsic failure fails a Pass state with States.IntrinsicFailure; a path it cannot find, with States.Runtime. */
static void test_pass_intrinsic_failures(void)
{
    ASSERT_EQ_INT(0, start_with_randomness(bad_json_pass_definition, "{\"text\":\"{oops\"}", check_bad_json_pass));
    ASSERT_EQ_INT(0, start_with_randomness(missing_argument_pass_definition, SMALL_INPUT, check_missing_argument_pass));
}

static void check_intrinsic_caught(const struct interpreter_step *step)
{
    const char *output = "{\"a\":1,\"error\":{\"Error\":\"States.IntrinsicFailure\","
                         "\"Cause\":\"" STATE_CAUSE("T", 2, MATH_ADD_FAILURE) "\"}}";
    check_history(step, 1, NOW_MS,
                  "ExecutionStarted TaskStateEntered TaskStateExited PassStateEntered PassStateExited "
                  "ExecutionSucceeded");
    ASSERT_EQ_STR(output, detail(step, 2, "stateExitedEventDetails", "output"));
    check_succeeded_execution(step, output);
    ASSERT_NULL(step->task.token);
    ASSERT_NULL(step->task.parameters);
}

static void check_intrinsic_uncaught(const struct interpreter_step *step)
{
    check_history(step, 1, NOW_MS, "ExecutionStarted TaskStateEntered ExecutionFailed");
    check_failed_execution(step, "States.IntrinsicFailure", STATE_CAUSE("T", 2, MATH_ADD_FAILURE));
}

/* A Task's Parameters that fail raise States.IntrinsicFailure before any TaskScheduled; Catch handles it. */
static void test_task_parameters_intrinsic_failure_is_caught(void)
{
    ASSERT_EQ_INT(0, start_with_randomness(intrinsic_catch_definition, SMALL_INPUT, check_intrinsic_caught));
    ASSERT_EQ_INT(0, start_with_randomness(intrinsic_uncaught_definition, SMALL_INPUT, check_intrinsic_uncaught));
}

static void play_intrinsic_retry(struct session *session, const void *arguments)
{
    (void)arguments;
    ASSERT_EQ_INT(0, session_start(session));
    check_history(&session->step, 1, session->now_ms, "ExecutionStarted TaskStateEntered");
    check_rest(&session->step, "T", 2, RESTING_RETRY, 2000, "1");
    ASSERT_NULL(session->step.task.token);
    session->now_ms += 2000;
    ASSERT_EQ_INT(0, session_timer_due(session));
    check_history(&session->step, 3, session->now_ms, "ExecutionFailed");
    check_failed_execution(&session->step, "States.IntrinsicFailure", STATE_CAUSE("T", 2, MATH_ADD_FAILURE));
}

/* Retry sees States.IntrinsicFailure too (States.ALL matches it); the attempt after the interval fails alike. */
static void test_task_parameters_intrinsic_failure_is_retried(void)
{
    run_scenario(intrinsic_retry_definition, SMALL_INPUT, play_intrinsic_retry, NULL);
}

static void play_result_selector_intrinsic(struct session *session, const void *arguments)
{
    const char *output = "{\"Error\":\"States.IntrinsicFailure\",\"Cause\":\"" STATE_CAUSE(
        "T", 2,
        "The function 'States.ArrayGetItem($.list, 5)' had the following error: Invalid arguments in "
        "States.ArrayGetItem: the index 5 is out of bounds for an array of 1 items") "\"}";
    (void)arguments;
    start_task_t(session);
    ASSERT_EQ_INT(0, session_succeed(session, "{\"list\":[1]}"));
    check_caught(&session->step, 5, session->now_ms, "TaskSucceeded", output);
}

/* An intrinsic failure in ResultSelector is the Task's error: its Catch takes it. */
static void test_result_selector_intrinsic_failure_is_caught(void)
{
    run_scenario(result_selector_intrinsic_definition, SMALL_INPUT, play_result_selector_intrinsic, NULL);
}

static void test_allocation_failures_in_intrinsic_functions(void)
{
    static const struct step_call random_start[] = {
        { .entry = ENTRY_START, .environment = { 0, NULL, 0, fixed_random_bytes } },
    };
    static const struct step_call retried[] = { { .entry = ENTRY_START }, { .entry = ENTRY_TIMER_DUE } };
    static const struct step_call selected[] = {
        { .entry = ENTRY_START },
        { .entry = ENTRY_TASK_SUCCEEDED, .output = "{\"list\":[1]}" },
    };
    CHECK_ALLOCATION_FAILURES(intrinsic_pass_definition, "{\"name\":\"Arnav\"}", random_start);
    CHECK_ALLOCATION_FAILURES(intrinsic_catch_definition, SMALL_INPUT, random_start);
    CHECK_ALLOCATION_FAILURES(intrinsic_retry_definition, SMALL_INPUT, retried);
    CHECK_ALLOCATION_FAILURES(result_selector_intrinsic_definition, SMALL_INPUT, selected);
    check_allocation_failures_in(FAIL_ONLY_ONE, intrinsic_catch_definition, SMALL_INPUT, random_start, 1);
    check_allocation_failures_in(FAIL_ONLY_ONE, intrinsic_pass_definition, "{\"name\":\"Arnav\"}", random_start, 1);
}

int main(void)
{
    RUN(test_output_path_that_selects_nothing_fails_after_the_task);
    RUN(test_pass_input_output_and_null_result_paths);
    RUN(test_input_path_that_selects_nothing_fails_with_states_runtime);
    RUN(test_pass_input_path_that_selects_nothing_fails);
    RUN(test_cdk_double_suffix_mistake_fails_with_states_runtime);
    RUN(test_parameters_path_that_selects_nothing_fails);
    RUN(test_context_object_reaches_task_parameters);
    RUN(test_context_object_in_pass_parameters_has_no_task);
    RUN(test_allocation_failures_in_a_task_with_input_path);
    /* intrinsic functions */
    RUN(test_pass_parameters_call_intrinsic_functions);
    RUN(test_pass_intrinsic_failures);
    RUN(test_task_parameters_intrinsic_failure_is_caught);
    RUN(test_task_parameters_intrinsic_failure_is_retried);
    RUN(test_result_selector_intrinsic_failure_is_caught);
    RUN(test_allocation_failures_in_intrinsic_functions);
    return test_done();
}
