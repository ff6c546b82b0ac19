/*
 * test_interpreter_jsonata.c - unit tests for JSONata states
 * (loan-processor/interpreter/interpreter_jsonata.c and the JSONata paths of
 * interpreter.c, interpreter_task.c and interpreter_fork.c; the definition
 * side in asl/state_machine_jsonata.c): Output and Assign, Choice
 * Conditions, Wait, Fail, a Task's Arguments and result, a Map's Items and
 * ItemSelector, and States.QueryEvaluationError with its EvaluationFailed
 * event.
 */
#include "interpreter_checks.h"
#include "test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSONATA_MACHINE(start, states) \
    "{\"QueryLanguage\":\"JSONata\",\"StartAt\":\"" start "\",\"States\":{" states "}}"

/* Starts definition with input; the caller releases the step. Returns the machine (state_machine_free), NULL on failure. */
static struct state_machine *start(const char *definition, const char *input, struct interpreter_step *step)
{
    struct execution_facts run_facts = facts;
    struct step_environment environment = { .now_ms = NOW_MS, .fresh_token = TOKEN };
    struct state_machine *machine = parse_machine(definition);

    run_facts.input = input;
    memset(step, 0, sizeof(*step));
    if (machine && (interpreter_start(machine, &run_facts, &environment, step) < 0 || render_step(step) < 0)) {
        state_machine_free(machine);
        return NULL;
    }
    return machine;
}

/* Runs definition on input to its end (no rest) and checks its output, or its error (and cause unless NULL). */
static void check_run(const char *definition, const char *input, const char *output, const char *error,
                      const char *cause)
{
    struct interpreter_step step;
    struct state_machine *machine = start(definition, input, &step);
    ASSERT_TRUE(machine != NULL);
    if (!machine)
        return;
    if (output) {
        check_succeeded_execution(&step, output);
    } else if (cause) {
        check_failed_execution(&step, error, cause);
    } else {
        ASSERT_EQ_INT(EXECUTION_FAILED, step.status);
        check_text(error, step.error);
    }
    interpreter_step_release(&step);
    state_machine_free(machine);
}

static void check_refused(const char *definition, const char *expected)
{
    struct state_machine *machine = NULL;
    char error[1024] = "";
    ASSERT_EQ_INT(-EINVAL, state_machine_parse(definition, strlen(definition), &machine, error, sizeof error));
    check_text(expected, error);
}

static void test_pass_output_and_assign(void)
{
    check_run(JSONATA_MACHINE("A", "\"A\":{\"Type\":\"Pass\",\"Assign\":{\"n\":\"{% $states.input.x + 1 %}\"},"
                                   "\"Output\":{\"old\":\"{% $states.input.x %}\",\"list\":[\"{% 'a' & 'b' %}\",3]},"
                                   "\"Next\":\"B\"},"
                                   "\"B\":{\"Type\":\"Pass\",\"Output\":\"{% $n * 10 %}\",\"End\":true}"),
              "{\"x\":4}", "50", NULL, NULL);
    /* no Output: the input goes on */
    check_run(JSONATA_MACHINE("A", "\"A\":{\"Type\":\"Pass\",\"End\":true}"), "{\"x\":4}", "{\"x\":4}", NULL, NULL);
    /* the context object and $now, the step's time */
    check_run(JSONATA_MACHINE("A", "\"A\":{\"Type\":\"Pass\",\"Output\":{\"name\":\"{% $states.context.State.Name "
                                   "%}\",\"later\":\"{% $millis() > 0 %}\"},\"End\":true}"),
              "{}", "{\"name\":\"A\",\"later\":true}", NULL, NULL);
}

static void test_assign_sees_the_variables_from_before(void)
{
    check_run(JSONATA_MACHINE("A", "\"A\":{\"Type\":\"Pass\",\"Assign\":{\"a\":1},\"Next\":\"B\"},"
                                   "\"B\":{\"Type\":\"Pass\",\"Assign\":{\"a\":2,\"b\":\"{% $a %}\"},"
                                   "\"Output\":\"{% $a %}\",\"Next\":\"C\"},"
                                   "\"C\":{\"Type\":\"Pass\",\"Output\":[\"{% $a %}\",\"{% $b %}\"],\"End\":true}"),
              "{}", "[2,1]", NULL, NULL);
}

static const char choice_machine[] = JSONATA_MACHINE(
    "C", "\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"Condition\":\"{% $states.input.n > 10 %}\",\"Next\":\"Big\","
         "\"Output\":{\"size\":\"big\"}}],\"Default\":\"Small\"},"
         "\"Big\":{\"Type\":\"Succeed\"},\"Small\":{\"Type\":\"Succeed\",\"Output\":\"{% 'small ' & $states.input.n "
         "%}\"}");

static void test_choice_conditions(void)
{
    check_run(choice_machine, "{\"n\":11}", "{\"size\":\"big\"}", NULL, NULL);
    check_run(choice_machine, "{\"n\":2}", "\"small 2\"", NULL, NULL);
    check_run(choice_machine, "{\"n\":\"x\"}", NULL, "States.QueryEvaluationError", NULL);
}

static void test_fail_error_and_cause(void)
{
    check_run(JSONATA_MACHINE("F", "\"F\":{\"Type\":\"Fail\",\"Error\":\"{% $states.input.e %}\",\"Cause\":\"fixed\"}"),
              "{\"e\":\"Oops\"}", NULL, "Oops", "fixed");
}

static void test_undefined_fails_with_query_evaluation_error(void)
{
    struct interpreter_step step;
    struct state_machine *machine =
        start(JSONATA_MACHINE("S", "\"S\":{\"Type\":\"Pass\",\"Output\":{\"r\":\"{% $nothing %}\"},\"End\":true}"),
              "{}", &step);
    ASSERT_TRUE(machine != NULL);
    check_history(&step, 1, NOW_MS, "ExecutionStarted PassStateEntered EvaluationFailed ExecutionFailed");
    check_text("Output/r", detail(&step, 2, "evaluationFailedEventDetails", "location"));
    check_text("S", detail(&step, 2, "evaluationFailedEventDetails", "state"));
    check_failed_execution(&step, "States.QueryEvaluationError",
                           "An error occurred while executing the state 'S' (entered at the event id #2). The JSONata "
                           "expression '$nothing' specified for the field 'Output/r' returned nothing (undefined).");
    interpreter_step_release(&step);
    state_machine_free(machine);
}

static void test_wait_seconds(void)
{
    struct interpreter_step step;
    struct state_machine *machine =
        start(JSONATA_MACHINE("W", "\"W\":{\"Type\":\"Wait\",\"Seconds\":\"{% $states.input.s %}\",\"Output\":\"{% "
                                   "$states.input.s * 2 %}\",\"End\":true}"),
              "{\"s\":5}", &step);
    ASSERT_TRUE(machine != NULL);
    check_rest(&step, "W", 2, RESTING_WAIT, 5000, NULL);
    interpreter_step_release(&step);
    state_machine_free(machine);
    check_run(JSONATA_MACHINE("W", "\"W\":{\"Type\":\"Wait\",\"Seconds\":\"{% $states.input.s %}\",\"End\":true}"),
              "{\"s\":-1}", NULL, "States.QueryEvaluationError", NULL);
}

static const char task_machine[] = JSONATA_MACHINE(
    "T", "\"T\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::lambda:invoke.waitForTaskToken\","
         "\"Arguments\":{\"FunctionName\":\"F\",\"Payload\":{\"taskToken\":\"{% $states.context.Task.Token %}\","
         "\"id\":\"{% $states.input.id %}\"}},\"TimeoutSeconds\":\"{% 60 %}\","
         "\"Assign\":{\"got\":\"{% $states.result.value %}\"},\"Output\":{\"value\":\"{% $states.result.value %}\","
         "\"id\":\"{% $states.input.id %}\"},\"End\":true}");

static void test_task_arguments_and_result(void)
{
    struct session session;
    ASSERT_TRUE(session_open(&session, task_machine, "{\"id\":\"L-1\"}"));
    ASSERT_EQ_INT(0, session_start(&session));
    const struct interpreter_step *step = &session.step;
    ASSERT_TRUE(step->has_task);
    char expected[256];
    snprintf(expected, sizeof expected, "{\"FunctionName\":\"F\",\"Payload\":{\"taskToken\":\"%s\",\"id\":\"L-1\"}}",
             step->task.token);
    ASSERT_TRUE(printed_equals(step->task.parameters, expected));
    ASSERT_EQ_INT(60, step->task.timeout_seconds);
    ASSERT_EQ_INT(0, session_succeed(&session, "{\"value\":7}"));
    check_succeeded_execution(&session.step, "{\"value\":7,\"id\":\"L-1\"}");
    session_close(&session);
}

static void test_map_items_and_selector(void)
{
    check_run(JSONATA_MACHINE("M", "\"M\":{\"Type\":\"Map\",\"Items\":\"{% $states.input.xs %}\","
                                   "\"ItemSelector\":{\"v\":\"{% $states.context.Map.Item.Value %}\","
                                   "\"i\":\"{% $states.context.Map.Item.Index %}\"},"
                                   "\"ItemProcessor\":{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
                                   "\"Output\":\"{% $states.input.v * 10 + $states.input.i %}\",\"End\":true}}},"
                                   "\"Output\":\"{% $sum($states.result) %}\",\"End\":true}"),
              "{\"xs\":[1,2,3]}", "63", NULL, NULL);
    check_run(JSONATA_MACHINE("M", "\"M\":{\"Type\":\"Map\",\"Items\":\"{% 1 %}\",\"ItemProcessor\":{\"StartAt\":\"P\","
                                   "\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}},\"End\":true}"),
              "{}", NULL, "States.QueryEvaluationError",
              "An error occurred while executing the state 'M' (entered at the event id #2). The JSONata expression "
              "'1' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was "
              "'number' for value: 1");
}

static void test_definitions_refused(void)
{
    check_refused(JSONATA_MACHINE("A", "\"A\":{\"Type\":\"Pass\",\"InputPath\":\"$.x\",\"End\":true}"),
                  "SCHEMA_VALIDATION_FAILED: Field 'InputPath' is not supported at /States/A");
    check_refused(MACHINE("A", "\"A\":{\"Type\":\"Pass\",\"Output\":{},\"End\":true}"),
                  "SCHEMA_VALIDATION_FAILED: Field 'Output' is not supported at /States/A");
    check_refused(JSONATA_MACHINE("A", "\"A\":{\"Type\":\"Pass\",\"QueryLanguage\":\"JSONPath\",\"End\":true}"),
                  "SCHEMA_VALIDATION_FAILED: 'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state "
                  "machine at /States/A");
    check_refused(JSONATA_MACHINE("A", "\"A\":{\"Type\":\"Pass\",\"Output\":{\"x.$\":\"$.y\"},\"End\":true}"),
                  "SCHEMA_VALIDATION_FAILED: The field 'x.$' is not supported with the JSONata query language at "
                  "/States/A/Output");
    check_refused(MACHINE("C", "\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"Condition\":true,\"Next\":\"E\"}]},"
                               "\"E\":{\"Type\":\"Succeed\"}"),
                  "SCHEMA_VALIDATION_FAILED: Field 'Condition' is not supported by a Choice Rule at "
                  "/States/C/Choices/0/Condition");
    struct state_machine *machine = NULL;
    char error[1024] = "";
    const char *bad = JSONATA_MACHINE("A", "\"A\":{\"Type\":\"Pass\",\"Output\":\"{% 1 + %}\",\"End\":true}");
    ASSERT_EQ_INT(-EINVAL, state_machine_parse(bad, strlen(bad), &machine, error, sizeof error));
    ASSERT_TRUE(starts_with(error, "SCHEMA_VALIDATION_FAILED: The JSONata expression '1 +' is not valid"));
    /* a JSONata state in a JSONPath machine */
    check_run(MACHINE("A", "\"A\":{\"Type\":\"Pass\",\"QueryLanguage\":\"JSONata\",\"Output\":\"{% 1 %}\","
                           "\"End\":true}"),
              "{}", "1", NULL, NULL);
}

int main(void)
{
    RUN(test_pass_output_and_assign);
    RUN(test_assign_sees_the_variables_from_before);
    RUN(test_choice_conditions);
    RUN(test_fail_error_and_cause);
    RUN(test_undefined_fails_with_query_evaluation_error);
    RUN(test_wait_seconds);
    RUN(test_task_arguments_and_result);
    RUN(test_map_items_and_selector);
    RUN(test_definitions_refused);
    return test_done();
}
