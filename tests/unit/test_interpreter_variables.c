/*
 * test_interpreter_variables.c - unit tests for workflow variables
 * (loan-processor/interpreter/interpreter_variables.c and the "$name" paths
 * of asl_path.c): Assign in Pass, Task, Choice and Wait, references in
 * templates, Choice rules, paths and intrinsic functions, the scope of Map
 * iterations and Parallel branches, the variables a step hands the commit,
 * and the failure of an undefined variable.
 */
#include "asl_path.h"
#include "interpreter_checks.h"
#include "test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The assignedVariables of the StateExited of state in step, printed; NULL when it has none. */
static char *assigned_of(const struct interpreter_step *step, const char *state)
{
    for (int i = 0; i < event_count(step); i++) {
        const cJSON *details = cJSON_GetObjectItemCaseSensitive(event_at(step, i), "stateExitedEventDetails");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(details, "name");
        if (cJSON_IsString(name) && strcmp(name->valuestring, state) == 0) {
            const cJSON *assigned = cJSON_GetObjectItemCaseSensitive(details, "assignedVariables");
            return assigned ? cJSON_PrintUnformatted(assigned) : NULL;
        }
    }
    return NULL;
}

static void check_assigned(const struct interpreter_step *step, const char *state, const char *expected)
{
    char *assigned = assigned_of(step, state);
    if (expected)
        check_text(expected, assigned);
    else
        ASSERT_TRUE(assigned == NULL);
    cJSON_free(assigned);
}

static void check_variables(const struct interpreter_step *step, const char *expected)
{
    char *text = interpreter_variables_text(step);
    check_text(expected, text);
    free(text);
}

static void test_variable_paths(void)
{
    cJSON *input = cJSON_Parse("{\"a\":1}");
    cJSON *variables = cJSON_Parse("{\"x\":{\"y\":[5,6]},\"x2\":7}");
    const cJSON *selected = NULL;

    ASSERT_EQ_INT(-EINVAL, asl_path_validate("$x"));
    ASSERT_EQ_INT(0, asl_path_validate_reference("$x.y[1]"));
    ASSERT_EQ_INT(0, asl_path_validate_reference("$_under"));
    ASSERT_EQ_INT(-EINVAL, asl_path_validate_reference("$1x"));
    ASSERT_TRUE(asl_path_is_variable("$x"));
    ASSERT_TRUE(!asl_path_is_variable("$$.Execution"));
    ASSERT_TRUE(!asl_path_is_variable("$.a"));
    ASSERT_EQ_INT(0, asl_path_select_in("$x.y[1]", input, NULL, variables, &selected));
    ASSERT_EQ_INT(6, selected->valueint);
    ASSERT_EQ_INT(0, asl_path_select_in("$x2", input, NULL, variables, &selected));
    ASSERT_EQ_INT(7, selected->valueint);
    ASSERT_EQ_INT(-ENOENT, asl_path_select_in("$x3", input, NULL, variables, &selected));
    ASSERT_EQ_INT(-ENOENT, asl_path_select_in("$x", input, NULL, NULL, &selected));
    ASSERT_EQ_INT(0, asl_path_select_in("$.a", input, NULL, variables, &selected));
    ASSERT_EQ_INT(1, selected->valueint);
    cJSON *document = cJSON_CreateObject();
    ASSERT_EQ_INT(-EINVAL, asl_path_apply_result(&document, "$x", cJSON_CreateNumber(1)));
    cJSON_Delete(document);
    cJSON_Delete(input);
    cJSON_Delete(variables);
}

static const char pass_and_choice[] = MACHINE(
    "Setup",
    "\"Setup\":{\"Type\":\"Pass\",\"Result\":{\"r\":2},\"ResultPath\":\"$.res\",\"Assign\":{\"fromResult.$\":\"$.r\","
    "\"answer\":42,"
    "\"who.$\":\"$$.Execution.Name\"},\"Next\":\"Again\"},"
    "\"Again\":{\"Type\":\"Pass\",\"Assign\":{\"answer\":1,\"old.$\":\"$answer\"},\"Next\":\"Check\"},"
    "\"Check\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$old\",\"NumericEqualsPath\":\"$.guess\","
    "\"Assign\":{\"verdict\":\"right\"},\"Next\":\"Report\"}],\"Assign\":{\"verdict\":\"wrong\"},"
    "\"Default\":\"Report\"},"
    "\"Report\":{\"Type\":\"Pass\",\"Parameters\":{\"verdict.$\":\"$verdict\",\"n.$\":\"States.MathAdd($answer, "
    "$fromResult)\"},\"End\":true}");

static void test_pass_and_choice_assign_and_read(void)
{
    static const struct {
        const char *input, *verdict;
    } cases[] = { { "{\"guess\":42}", "right" }, { "{\"guess\":7}", "wrong" } };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct interpreter_step step;
        struct state_machine *machine = start(pass_and_choice, cases[i].input, &step);
        ASSERT_TRUE(machine != NULL);
        char expected[128];
        snprintf(expected, sizeof expected, "{\"verdict\":\"%s\",\"n\":3}", cases[i].verdict);
        if (step.status != EXECUTION_SUCCEEDED)
            fprintf(stderr, "%s %s\n", step.error, step.cause);
        check_text(expected, step.output);
        check_assigned(&step, "Setup", "{\"fromResult\":\"2\",\"answer\":\"42\",\"who\":\"\\\"run-1\\\"\"}");
        /* every key of one Assign sees the values from before the state */
        check_assigned(&step, "Again", "{\"answer\":\"1\",\"old\":\"42\"}");
        snprintf(expected, sizeof expected, "{\"verdict\":\"\\\"%s\\\"\"}", cases[i].verdict);
        check_assigned(&step, "Check", expected);
        check_assigned(&step, "Report", NULL);
        interpreter_step_release(&step);
        state_machine_free(machine);
    }
}

static const char empty_assign[] = MACHINE("P", "\"P\":{\"Type\":\"Pass\",\"Assign\":{},\"End\":true}");

static void test_no_assign_changes_nothing(void)
{
    struct interpreter_step step;
    struct state_machine *machine = start(empty_assign, "{}", &step);
    ASSERT_TRUE(machine != NULL);
    ASSERT_EQ_INT(EXECUTION_SUCCEEDED, step.status);
    ASSERT_TRUE(!step.variables_changed);
    ASSERT_TRUE(!has_detail(&step, 2, "stateExitedEventDetails", "assignedVariables"));
    check_variables(&step, "{}");
    interpreter_step_release(&step);
    state_machine_free(machine);
}

static const char task_machine[] = MACHINE(
    "Before",
    "\"Before\":{\"Type\":\"Pass\",\"Assign\":{\"limit\":3},\"Next\":\"T\"}," WAIT_TASK(
        "T",
        "\"Parameters\":{\"limit.$\":\"$limit\"},\"ResultSelector\":{\"s.$\":\"$.score\"},"
        "\"Assign\":{\"score.$\":\"$.s\",\"had.$\":\"$limit\"},\"Next\":\"After\"") ","
                                                                                    "\"After\":{\"Type\":\"Pass\","
                                                                                    "\"Parameters\":{\"score.$\":\"$"
                                                                                    "score\",\"limit.$\":\"$limit\"},"
                                                                                    "\"End\":true}");

static void test_task_assigns_from_its_result_after_a_rest(void)
{
    struct interpreter_step first, second;
    struct step_environment environment = { .now_ms = NOW_MS, .fresh_token = SECOND_TOKEN };
    struct state_machine *machine = start(task_machine, "{}", &first);
    ASSERT_TRUE(machine != NULL);

    ASSERT_EQ_INT(EXECUTION_RUNNING, first.status);
    ASSERT_TRUE(first.variables_changed);
    ASSERT_TRUE(printed_equals(first.task.parameters, "{\"limit\":3}"));
    char *stored = interpreter_variables_text(&first);
    check_text("{\"limit\":3}", stored);
    struct execution_position position = position_after(&first);
    position.variables = stored;
    memset(&second, 0, sizeof second);
    ASSERT_EQ_INT(0, interpreter_task_succeeded(machine, &facts, &position, "{\"score\":9}", &environment, &second));
    ASSERT_EQ_INT(0, render_step(&second));
    ASSERT_EQ_INT(EXECUTION_SUCCEEDED, second.status);
    check_text("{\"score\":9,\"limit\":3}", second.output);
    check_assigned(&second, "T", "{\"score\":\"9\",\"had\":\"3\"}");
    check_variables(&second, "{\"limit\":3,\"score\":9,\"had\":3}");
    free(stored);
    interpreter_step_release(&first);
    interpreter_step_release(&second);
    state_machine_free(machine);
}

static const char map_machine[] = MACHINE(
    "Outer",
    "\"Outer\":{\"Type\":\"Pass\",\"Assign\":{\"x\":42,\"items\":[1,2]},\"Next\":\"M\"},"
    "\"M\":{\"Type\":\"Map\",\"ItemsPath\":\"$items\",\"Next\":\"After\",\"ItemProcessor\":{\"StartAt\":\"Inner\","
    "\"States\":{\"Inner\":{\"Type\":\"Pass\",\"Assign\":{\"x\":0,\"inner.$\":\"$x\"},\"Parameters\":{\"v.$\":\"$x\"},"
    "\"End\":true}}}},"
    "\"After\":{\"Type\":\"Pass\",\"Parameters\":{\"x.$\":\"$x\",\"all.$\":\"$\"},\"End\":true}");

static void test_map_iterations_see_a_copy(void)
{
    struct interpreter_step step;
    struct state_machine *machine = start(map_machine, "{}", &step);
    ASSERT_TRUE(machine != NULL);
    ASSERT_EQ_INT(EXECUTION_SUCCEEDED, step.status);
    check_text("{\"x\":42,\"all\":[{\"v\":42},{\"v\":42}]}", step.output);
    check_variables(&step, "{\"x\":42,\"items\":[1,2]}");
    interpreter_step_release(&step);
    state_machine_free(machine);
}

static const char parallel_rest_machine[] = MACHINE(
    "Outer",
    "\"Outer\":{\"Type\":\"Pass\",\"Assign\":{\"x\":\"outer\"},\"Next\":\"P\"},"
    "\"P\":{\"Type\":\"Parallel\",\"End\":true,\"Branches\":[{\"StartAt\":\"T\",\"States\":{" WAIT_TASK(
        "T", "\"End\":true") "}},{\"StartAt\":\"B\",\"States\":{\"B\":{\"Type\":\"Pass\",\"Assign\":{\"x\":\"b\"},"
                             "\"End\":true}}}]}");

static void test_a_resting_branch_carries_its_copy(void)
{
    struct interpreter_step step;
    struct state_machine *machine = start(parallel_rest_machine, "{}", &step);
    ASSERT_TRUE(machine != NULL);
    ASSERT_EQ_INT(EXECUTION_RUNNING, step.status);
    ASSERT_EQ_INT(RESTING_FORK, step.resting);
    ASSERT_TRUE(step.child_count >= 1);
    const struct interpreter_step *resting = step.children[0].step;
    ASSERT_EQ_INT(EXECUTION_RUNNING, resting->status);
    ASSERT_TRUE(resting->variables_changed);
    check_variables(resting, "{\"x\":\"outer\"}");
    check_variables(&step, "{\"x\":\"outer\"}");
    interpreter_step_release(&step);
    state_machine_free(machine);
}

static const char wait_machine[] = MACHINE(
    "W", "\"W\":{\"Type\":\"Wait\",\"SecondsPath\":\"$delay\",\"Assign\":{\"waited.$\":\"$.n\"},\"Next\":\"R\"},"
         "\"R\":{\"Type\":\"Pass\",\"Parameters\":{\"w.$\":\"$waited\"},\"End\":true}");

static void test_wait_reads_and_assigns(void)
{
    struct interpreter_step step;
    /* $delay is undefined: the Wait fails as a path that selects nothing */
    struct state_machine *machine = start(wait_machine, "{\"n\":1}", &step);
    ASSERT_TRUE(machine != NULL);
    ASSERT_EQ_INT(EXECUTION_FAILED, step.status);
    ASSERT_EQ_STR("States.Runtime", step.error);
    ASSERT_TRUE(strstr(step.cause, "'$delay'") != NULL);
    interpreter_step_release(&step);
    state_machine_free(machine);
}

static const char undefined_machine[] =
    MACHINE("Use", "\"Use\":{\"Type\":\"Pass\",\"Parameters\":{\"value.$\":\"$nowhere\"},\"End\":true}");

static void test_an_undefined_variable_fails(void)
{
    struct interpreter_step step;
    struct state_machine *machine = start(undefined_machine, "{\"a\":1}", &step);
    ASSERT_TRUE(machine != NULL);
    ASSERT_EQ_INT(EXECUTION_FAILED, step.status);
    ASSERT_EQ_STR("States.Runtime", step.error);
    check_text("An error occurred while executing the state 'Use' (entered at the event id #2). The JSONPath "
               "'$nowhere' specified for the field 'value.$' could not be found in the input '{\"a\":1}'",
               step.cause);
    interpreter_step_release(&step);
    state_machine_free(machine);
}

/* An Assign over 256 KiB fails the state with States.DataLimitExceeded; nothing is assigned. */
static void test_a_variable_over_its_size_fails(void)
{
    static const char machine_text[] =
        MACHINE("Big", "\"Big\":{\"Type\":\"Pass\",\"Assign\":{\"a.$\":\"$.text\",\"b.$\":\"$.text\"},\"End\":true}");
    size_t size = 150 * 1024; /* each variable fits, the two do not */
    char *input = malloc(size + 32);
    ASSERT_NOT_NULL(input);
    if (!input)
        return;
    strcpy(input, "{\"text\":\"");
    memset(input + strlen(input), 'x', size);
    strcpy(input + 9 + size, "\"}");
    struct interpreter_step step;
    struct state_machine *machine = start(machine_text, input, &step);
    ASSERT_TRUE(machine != NULL);
    ASSERT_EQ_INT(EXECUTION_FAILED, step.status);
    ASSERT_EQ_STR("States.DataLimitExceeded", step.error);
    ASSERT_EQ_STR("The state/task 'Big' returned a result with a size exceeding the maximum number of bytes "
                  "service limit.",
                  step.cause);
    ASSERT_NULL(step.variables);
    interpreter_step_release(&step);
    state_machine_free(machine);
    free(input);
}

static void test_assign_where_aws_refuses_it(void)
{
    static const char *const refused[] = {
        MACHINE("S", "\"S\":{\"Type\":\"Succeed\",\"Assign\":{}}"),
        MACHINE("F", "\"F\":{\"Type\":\"Fail\",\"Assign\":{}}"),
        MACHINE("P", "\"P\":{\"Type\":\"Pass\",\"Assign\":{\"x.$\":\"not a path\"},\"End\":true}"),
        MACHINE("P", "\"P\":{\"Type\":\"Pass\",\"ResultPath\":\"$x\",\"End\":true}"),
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        struct state_machine *machine = NULL;
        char error[512];
        ASSERT_EQ_INT(-EINVAL, state_machine_parse(refused[i], strlen(refused[i]), &machine, error, sizeof error));
    }
}

int main(void)
{
    RUN(test_variable_paths);
    RUN(test_pass_and_choice_assign_and_read);
    RUN(test_no_assign_changes_nothing);
    RUN(test_task_assigns_from_its_result_after_a_rest);
    RUN(test_map_iterations_see_a_copy);
    RUN(test_a_resting_branch_carries_its_copy);
    RUN(test_wait_reads_and_assigns);
    RUN(test_an_undefined_variable_fails);
    RUN(test_a_variable_over_its_size_fails);
    RUN(test_assign_where_aws_refuses_it);
    return test_done();
}
