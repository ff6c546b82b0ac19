/*
 * test_state_machine.c - unit tests for loan-processor/state_machine.c
 */
#include "state_machine.h"
#include "test.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#ifndef TEST_BLOG_PART1_PATH
#error "SOURCE_ROOT must be defined by meson"
#endif

struct parse_outcome {
    int rc;
    bool machine_untouched;
    char error[512];
};

/* Parses definition and expects a failure; frees a machine that parsed after all. */
static void parse_expecting_error(const char *definition, struct parse_outcome *outcome)
{
    struct state_machine *machine = NULL;
    memset(outcome->error, 'x', sizeof(outcome->error) - 1);
    outcome->error[sizeof(outcome->error) - 1] = '\0';
    outcome->rc = state_machine_parse(definition, strlen(definition), &machine, outcome->error, sizeof(outcome->error));
    outcome->machine_untouched = machine == NULL;
    state_machine_free(machine);
}

#define ASSERT_DEFINITION_ERROR(expected_error, definition) \
    do {                                                    \
        struct parse_outcome outcome_;                      \
        parse_expecting_error((definition), &outcome_);     \
        ASSERT_EQ_INT(-EINVAL, outcome_.rc);                \
        ASSERT_TRUE(outcome_.machine_untouched);            \
        ASSERT_EQ_STR((expected_error), outcome_.error);    \
    } while (0)

/* ---- the blog's definition --------------------------------------------- */

/* The blog's valuation Task, as both parts define it (part 2 adds the timeout and the catchers). */
static void check_request_valuation(const struct state_definition *state)
{
    ASSERT_NOT_NULL(state);
    ASSERT_EQ_STR("RequestValuation", state->name);
    ASSERT_EQ_INT(STATE_TASK, state->type);
    ASSERT_EQ_STR("arn:aws:states:::lambda:invoke.waitForTaskToken", state->resource);
    ASSERT_NULL(state->next);
    ASSERT_EQ_STR("$", state->input_path.path);
    ASSERT_TRUE(!state->input_path.is_null);
    ASSERT_EQ_STR("$", state->output_path.path);
    ASSERT_EQ_STR("$", state->result_path.path);
    ASSERT_TRUE(!state->result_path.is_null);
    ASSERT_NOT_NULL(state->parameters);
    ASSERT_EQ_STR("ValuationRequestFunction",
                  cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(state->parameters, "FunctionName")));
    const cJSON *payload = cJSON_GetObjectItemCaseSensitive(state->parameters, "Payload");
    ASSERT_EQ_STR("$$.Task.Token", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(payload, "taskToken.$")));
    ASSERT_EQ_STR("$", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(payload, "loanApplication.$")));
    ASSERT_NULL(state->result);
    ASSERT_NULL(state->result_selector);
    ASSERT_EQ_INT(0, state->heartbeat_seconds);
    ASSERT_NULL(state->timeout_seconds_path);
    /* Retry the Lambda service errors: 2 s, doubling, 6 times. */
    ASSERT_EQ_INT(1, state->retrier_count);
    ASSERT_EQ_INT(3, cJSON_GetArraySize(state->retriers[0].error_equals));
    ASSERT_EQ_STR("Lambda.SdkClientException",
                  cJSON_GetStringValue(cJSON_GetArrayItem(state->retriers[0].error_equals, 2)));
    ASSERT_TRUE(state->retriers[0].interval_seconds == 2.0);
    ASSERT_EQ_INT(6, state->retriers[0].max_attempts);
    ASSERT_TRUE(state->retriers[0].backoff_rate == 2.0);
    ASSERT_EQ_INT(0, state->retriers[0].max_delay_seconds);
    ASSERT_TRUE(!state->retriers[0].full_jitter);
}

static void check_blog_part1_machine(const struct state_machine *machine)
{
    const struct state_definition *state = state_machine_find(machine, "RequestValuation");
    ASSERT_EQ_STR("RequestValuation", machine->start_at);
    ASSERT_EQ_INT(1, machine->state_count);
    ASSERT_TRUE(state == &machine->states[0]);
    check_request_valuation(state);
    ASSERT_EQ_INT(0, state->timeout_seconds);
    ASSERT_EQ_INT(0, state->catcher_count);
    ASSERT_NULL(state_machine_find(machine, "requestvaluation"));
    ASSERT_NULL(state_machine_find(machine, "Nope"));
}

/* A part-2 publishing Task (SNS) going on to the Fail state fail_state, and that Fail state. */
static void check_publish_then_fail(const struct state_machine *machine, const char *publish_state,
                                    const char *fail_state)
{
    const struct state_definition *publish = state_machine_find(machine, publish_state);
    const struct state_definition *failure = state_machine_find(machine, fail_state);
    ASSERT_NOT_NULL(publish);
    ASSERT_NOT_NULL(failure);
    ASSERT_EQ_INT(STATE_TASK, publish->type);
    ASSERT_EQ_STR("arn:aws:states:::sns:publish", publish->resource);
    ASSERT_EQ_STR(fail_state, publish->next);
    ASSERT_EQ_INT(0, publish->retrier_count);
    ASSERT_EQ_INT(0, publish->catcher_count);
    ASSERT_EQ_INT(STATE_FAIL, failure->type);
    ASSERT_EQ_STR(fail_state, failure->error);
    ASSERT_NULL(failure->cause);
    ASSERT_NULL(failure->error_path);
}

static void check_blog_part2_machine(const struct state_machine *machine)
{
    const struct state_definition *state = state_machine_find(machine, "RequestValuation");
    ASSERT_EQ_STR("RequestValuation", machine->start_at);
    ASSERT_EQ_INT(5, machine->state_count);
    check_request_valuation(state);
    ASSERT_EQ_INT(30, state->timeout_seconds);
    ASSERT_EQ_INT(2, state->catcher_count);
    ASSERT_EQ_STR("States.Timeout", cJSON_GetStringValue(cJSON_GetArrayItem(state->catchers[0].error_equals, 0)));
    ASSERT_EQ_STR("PublishValuationServiceTimeoutError", state->catchers[0].next);
    ASSERT_EQ_STR("$", state->catchers[0].result_path.path);
    ASSERT_TRUE(!state->catchers[0].result_path.is_null);
    ASSERT_EQ_STR("ValuationFailed", cJSON_GetStringValue(cJSON_GetArrayItem(state->catchers[1].error_equals, 0)));
    ASSERT_EQ_STR("PublishValuationFailedError", state->catchers[1].next);
    check_publish_then_fail(machine, "PublishValuationServiceTimeoutError", "ValuationServiceTimedOut");
    check_publish_then_fail(machine, "PublishValuationFailedError", "ValuationFailed");
}

/* Parses the definition file at path and runs check on the machine. */
static void check_definition_file(const char *path, void (*check)(const struct state_machine *machine))
{
    size_t length = 0;
    char *definition = test_read_file(path, &length);
    struct state_machine *machine = NULL;
    char error[512] = "";
    int rc = definition ? state_machine_parse(definition, length, &machine, error, sizeof(error)) : -1;

    /* The machine must not borrow from the caller's text. */
    if (definition)
        memset(definition, ' ', length);
    free(definition);
    if (rc != 0)
        printf("# %s: %s\n", path, error);
    if (machine)
        check(machine);
    state_machine_free(machine);
    ASSERT_EQ_INT(0, rc);
}

static void test_parses_the_blog_part1_definition_file(void)
{
    check_definition_file(TEST_BLOG_PART1_PATH, check_blog_part1_machine);
}

static void test_parses_the_blog_part2_definition_file(void)
{
    check_definition_file(TEST_BLOG_PART2_PATH, check_blog_part2_machine);
}

static void check_every_state_type(const struct state_machine *machine)
{
    const struct state_definition *prepare = state_machine_find(machine, "Prepare");
    const struct state_definition *work = state_machine_find(machine, "Work");
    const struct state_definition *done = state_machine_find(machine, "Done");
    char *result = prepare && prepare->result ? cJSON_PrintUnformatted(prepare->result) : NULL;
    bool result_ok = result && strcmp(result, "{\"x\":1}") == 0;
    cJSON_free(result);

    ASSERT_EQ_STR("Prepare", machine->start_at);
    ASSERT_EQ_INT(3, machine->state_count);
    ASSERT_NOT_NULL(prepare);
    ASSERT_NOT_NULL(work);
    ASSERT_NOT_NULL(done);
    ASSERT_EQ_INT(STATE_PASS, prepare->type);
    ASSERT_TRUE(result_ok);
    ASSERT_EQ_STR("$.prepared", prepare->result_path.path);
    ASSERT_EQ_STR("Work", prepare->next);
    ASSERT_EQ_INT(STATE_TASK, work->type);
    ASSERT_EQ_STR("arn:aws:states:::sqs:sendMessage.waitForTaskToken", work->resource);
    ASSERT_EQ_STR("$.prepared", work->input_path.path);
    ASSERT_EQ_STR("$.out", work->output_path.path);
    ASSERT_TRUE(work->result_path.is_null);
    ASSERT_TRUE(!work->output_path.is_null);
    ASSERT_EQ_INT(300, work->timeout_seconds);
    ASSERT_EQ_INT(60, work->heartbeat_seconds);
    ASSERT_NULL(work->parameters);
    ASSERT_EQ_STR("Done", work->next);
    ASSERT_EQ_INT(STATE_SUCCEED, done->type);
    ASSERT_NULL(done->next);
}

static void test_parses_pass_task_and_succeed_fields(void)
{
    static const char definition[] =
        "{\"StartAt\":\"Prepare\",\"States\":{"
        "\"Prepare\":{\"Type\":\"Pass\",\"Result\":{\"x\":1},\"ResultPath\":\"$.prepared\",\"Next\":\"Work\"},"
        "\"Work\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::sqs:sendMessage.waitForTaskToken\","
        "\"InputPath\":\"$.prepared\",\"OutputPath\":\"$.out\",\"ResultPath\":null,"
        "\"TimeoutSeconds\":300,\"HeartbeatSeconds\":60,\"Next\":\"Done\"},"
        "\"Done\":{\"Type\":\"Succeed\"}}}";
    struct state_machine *machine = NULL;
    char error[512] = "";
    int rc = state_machine_parse(definition, sizeof(definition) - 1, &machine, error, sizeof(error));

    if (rc != 0)
        printf("# error: %s\n", error);
    if (machine)
        check_every_state_type(machine);
    state_machine_free(machine);
    ASSERT_EQ_INT(0, rc);
}

static void test_parses_a_fail_state(void)
{
    static const char definition[] =
        "{\"StartAt\":\"Broken\",\"States\":{"
        "\"Broken\":{\"Type\":\"Fail\",\"Error\":\"Valuation.Failed\",\"Cause\":\"no value\"}}}";
    struct state_machine *machine = NULL;
    char error[512] = "";
    int rc = state_machine_parse(definition, sizeof(definition) - 1, &machine, error, sizeof(error));
    const struct state_definition *state = machine ? state_machine_find(machine, "Broken") : NULL;
    int type = state ? (int)state->type : -1;
    bool error_ok = state && state->error && strcmp(state->error, "Valuation.Failed") == 0;
    bool cause_ok = state && state->cause && strcmp(state->cause, "no value") == 0;
    bool terminal = state && !state->next;

    state_machine_free(machine);
    ASSERT_EQ_INT(0, rc);
    ASSERT_EQ_INT(STATE_FAIL, type);
    ASSERT_TRUE(error_ok);
    ASSERT_TRUE(cause_ok);
    ASSERT_TRUE(terminal);
}

static void test_rejects_a_fail_state_with_a_non_string_error(void)
{
    ASSERT_DEFINITION_ERROR(
        "SCHEMA_VALIDATION_FAILED: The value for the field 'Error' must be a string at /States/F/Error",
        "{\"StartAt\":\"F\",\"States\":{\"F\":{\"Type\":\"Fail\",\"Error\":1}}}");
}

static void test_type_names(void)
{
    ASSERT_EQ_STR("Task", state_machine_type_name(STATE_TASK));
    ASSERT_EQ_STR("Pass", state_machine_type_name(STATE_PASS));
    ASSERT_EQ_STR("Succeed", state_machine_type_name(STATE_SUCCEED));
    ASSERT_EQ_STR("Fail", state_machine_type_name(STATE_FAIL));
    ASSERT_EQ_STR("Wait", state_machine_type_name(STATE_WAIT));
    ASSERT_EQ_STR("Choice", state_machine_type_name(STATE_CHOICE));
}

static void test_free_is_safe_on_null(void)
{
    state_machine_free(NULL);
    ASSERT_TRUE(true);
}

/* ---- definition errors, in AWS's words ---------------------------------- */

static void test_rejects_text_that_is_not_json(void)
{
    ASSERT_DEFINITION_ERROR("INVALID_JSON_DESCRIPTION: The definition is not valid JSON", "StartAt: A");
    ASSERT_DEFINITION_ERROR("INVALID_JSON_DESCRIPTION: The definition is not valid JSON", "");
    ASSERT_DEFINITION_ERROR("INVALID_JSON_DESCRIPTION: The definition is not valid JSON",
                            "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Succeed\"}}");
}

static void test_rejects_trailing_garbage_after_the_definition(void)
{
    /* AWS rejects this as invalid JSON; json_parse() in common does too. */
    ASSERT_DEFINITION_ERROR("INVALID_JSON_DESCRIPTION: The definition is not valid JSON",
                            "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Succeed\"}}} trailing");
}

static void test_rejects_a_definition_that_is_not_an_object(void)
{
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: The definition must be a JSON object at /", "[]");
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: The definition must be a JSON object at /", "\"A\"");
}

static void test_rejects_missing_start_at_or_states(void)
{
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: These fields are required: [StartAt] at /",
                            "{\"States\":{\"A\":{\"Type\":\"Succeed\"}}}");
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: These fields are required: [StartAt] at /",
                            "{\"StartAt\":1,\"States\":{\"A\":{\"Type\":\"Succeed\"}}}");
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /",
                            "{\"StartAt\":\"A\"}");
    /* AWS names both (recorded: ValidateStateMachineDefinition of "{}"). */
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: These fields are required: [States, StartAt] at /", "{}");
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /",
                            "{\"StartAt\":\"A\",\"States\":{}}");
}

static void test_rejects_missing_start_at_target(void)
{
    ASSERT_DEFINITION_ERROR("MISSING_TRANSITION_TARGET: Missing 'Next' target: X at /StartAt",
                            "{\"StartAt\":\"X\",\"States\":{\"A\":{\"Type\":\"Succeed\"}}}");
}

static void test_rejects_missing_next_target(void)
{
    ASSERT_DEFINITION_ERROR("MISSING_TRANSITION_TARGET: Missing 'Next' target: Nowhere at /States/B/Next",
                            "{\"StartAt\":\"A\",\"States\":{"
                            "\"A\":{\"Type\":\"Pass\",\"Next\":\"B\"},"
                            "\"B\":{\"Type\":\"Pass\",\"Next\":\"Nowhere\"}}}");
}

static void test_rejects_missing_next_and_end(void)
{
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: These fields are required: [Next | End] at /States/A",
                            "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\"}}}");
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: These fields are required: [Next | End] at /States/A",
                            "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"End\":false}}}");
}

static void test_rejects_next_and_end_together_and_bad_next(void)
{
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: Only one of 'Next' or 'End' can be set at /States/A",
                            "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Next\":\"A\",\"End\":true}}}");
    ASSERT_DEFINITION_ERROR(
        "SCHEMA_VALIDATION_FAILED: The value for the field 'Next' must be a non-empty string at /States/A/Next",
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Next\":\"\"}}}");
    ASSERT_DEFINITION_ERROR(
        "SCHEMA_VALIDATION_FAILED: The value for the field 'Next' must be a non-empty string at /States/A/Next",
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Next\":2}}}");
}

static void test_rejects_fields_a_state_type_does_not_support(void)
{
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: Field 'TimeoutSeconds' is not supported at /States/P",
                            "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"TimeoutSeconds\":5,"
                            "\"End\":true}}}");
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: Field 'Catch' is not supported at /States/W",
                            "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\",\"Seconds\":1,\"Catch\":[],"
                            "\"End\":true}}}");
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: Field 'ResultPath' is not supported at /States/F",
                            "{\"StartAt\":\"F\",\"States\":{\"F\":{\"Type\":\"Fail\",\"ResultPath\":\"$.x\"}}}");
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: Field 'Resource' is not supported at /States/P",
                            "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"Resource\":\"x\","
                            "\"End\":true}}}");
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: Field 'Coment' is not supported at /",
                            "{\"Coment\":\"typo\",\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
                            "\"End\":true}}}");
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: The value for the field 'QueryLanguage' must be one of "
                            "[JSONPath, JSONata] at /QueryLanguage",
                            "{\"QueryLanguage\":\"XPath\",\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
                            "\"End\":true}}}");
}

static void test_rejects_unreachable_states(void)
{
    ASSERT_DEFINITION_ERROR("UNREACHABLE_STATE: State 'Orphan' is not reachable at /States/Orphan",
                            "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true},"
                            "\"Orphan\":{\"Type\":\"Succeed\"}}}");
}

static void test_rejects_transitions_out_of_terminal_states(void)
{
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: Field 'Next' is not supported at /States/S",
                            "{\"StartAt\":\"S\",\"States\":{\"S\":{\"Type\":\"Succeed\",\"Next\":\"S\"}}}");
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: Field 'End' is not supported at /States/F",
                            "{\"StartAt\":\"F\",\"States\":{\"F\":{\"Type\":\"Fail\",\"End\":true}}}");
}

static void test_rejects_unknown_or_missing_type(void)
{
    /* Parallel and Map parse now; definition_check refuses them for now (both in test_state_machine_forks.c). */
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: These fields are required: [Branches] at /States/A",
                            "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Parallel\",\"End\":true}}}");
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: These fields are required: [ItemProcessor | Iterator] at "
                            "/States/A",
                            "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Map\",\"End\":true}}}");
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: 'task' is not a supported state type at /States/A/Type",
                            "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"task\",\"End\":true}}}");
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: These fields are required: [Type] at /States/A",
                            "{\"StartAt\":\"A\",\"States\":{\"A\":{\"End\":true}}}");
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: A state must be a JSON object at /States/A",
                            "{\"StartAt\":\"A\",\"States\":{\"A\":\"Succeed\"}}");
}

static void test_rejects_task_without_or_with_bad_resource(void)
{
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: These fields are required: [Resource] at /States/A",
                            "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"End\":true}}}");
    ASSERT_DEFINITION_ERROR(
        "SCHEMA_VALIDATION_FAILED: The value for the field 'Resource' must be a string at /States/A/Resource",
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":7,\"End\":true}}}");
    ASSERT_DEFINITION_ERROR(
        "SCHEMA_VALIDATION_FAILED: Value is not a valid resource ARN at /States/A/Resource",
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"lambda\",\"End\":true}}}");
}

static void test_accepts_an_activity_arn_as_resource(void)
{
    static const char definition[] =
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\","
        "\"Resource\":\"arn:aws:states:us-east-1:123456789012:activity:valuer.v2\",\"HeartbeatSeconds\":5,"
        "\"End\":true}}}";
    struct state_machine *machine = NULL;
    char error[256] = "";
    int rc = state_machine_parse(definition, strlen(definition), &machine, error, sizeof(error));
    const struct state_definition *state = machine ? state_machine_find(machine, "A") : NULL;
    bool parsed = rc == 0 && state
                  && strcmp(state->resource, "arn:aws:states:us-east-1:123456789012:activity:valuer.v2") == 0
                  && state->heartbeat_seconds == 5;
    state_machine_free(machine);
    if (rc != 0)
        printf("# %s\n", error);
    ASSERT_TRUE(parsed);
    /* A broken activity ARN is no resource either. */
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: Value is not a valid resource ARN at /States/A/Resource",
                            "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":"
                            "\"arn:aws:states:us-east-1:12345:activity:valuer\",\"End\":true}}}");
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: Value is not a valid resource ARN at /States/A/Resource",
                            "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":"
                            "\"arn:aws:states:us-east-1:123456789012:activity:\",\"End\":true}}}");
}

static void test_parses_the_top_level_timeout(void)
{
    char error[256] = "";
    struct state_machine *machine = NULL;
    static const char timed[] =
        "{\"TimeoutSeconds\":5,\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}}";
    static const char untimed[] = "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}}";
    ASSERT_EQ_INT(0, state_machine_parse(timed, strlen(timed), &machine, error, sizeof(error)));
    ASSERT_EQ_INT(5, (int)machine->timeout_seconds);
    state_machine_free(machine);
    machine = NULL;
    ASSERT_EQ_INT(0, state_machine_parse(untimed, strlen(untimed), &machine, error, sizeof(error)));
    ASSERT_EQ_INT(0, (int)machine->timeout_seconds);
    state_machine_free(machine);
    ASSERT_DEFINITION_ERROR(
        "SCHEMA_VALIDATION_FAILED: The value for the field 'TimeoutSeconds' must be a positive integer at "
        "/TimeoutSeconds",
        "{\"TimeoutSeconds\":0,\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}}");
}

static void test_rejects_bad_timeouts(void)
{
    ASSERT_DEFINITION_ERROR(
        "SCHEMA_VALIDATION_FAILED: The value for the field 'TimeoutSeconds' must be a positive integer at "
        "/States/A/TimeoutSeconds",
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::lambda:invoke\","
        "\"TimeoutSeconds\":0,\"End\":true}}}");
    ASSERT_DEFINITION_ERROR(
        "SCHEMA_VALIDATION_FAILED: The value for the field 'TimeoutSeconds' must be a positive integer at "
        "/States/A/TimeoutSeconds",
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::lambda:invoke\","
        "\"TimeoutSeconds\":1.5,\"End\":true}}}");
    ASSERT_DEFINITION_ERROR(
        "SCHEMA_VALIDATION_FAILED: The value for the field 'HeartbeatSeconds' must be a positive integer at "
        "/States/A/HeartbeatSeconds",
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::lambda:invoke\","
        "\"HeartbeatSeconds\":\"60\",\"End\":true}}}");
    ASSERT_DEFINITION_ERROR(
        "SCHEMA_VALIDATION_FAILED: HeartbeatSeconds must be smaller than TimeoutSeconds at /States/A/HeartbeatSeconds",
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::lambda:invoke\","
        "\"TimeoutSeconds\":60,\"HeartbeatSeconds\":60,\"End\":true}}}");
}

static void test_rejects_bad_paths(void)
{
    ASSERT_DEFINITION_ERROR(
        "SCHEMA_VALIDATION_FAILED: The value for the field 'InputPath' must be a valid JSONPath at /States/A/InputPath",
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"InputPath\":\"input\",\"End\":true}}}");
    ASSERT_DEFINITION_ERROR(
        "SCHEMA_VALIDATION_FAILED: The value for the field 'InputPath' must be a valid JSONPath at /States/A/InputPath",
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"InputPath\":5,\"End\":true}}}");
    ASSERT_DEFINITION_ERROR(
        "SCHEMA_VALIDATION_FAILED: The value for the field 'OutputPath' must be a valid JSONPath at "
        "/States/A/OutputPath",
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"OutputPath\":\"$.\",\"End\":true}}}");
    ASSERT_DEFINITION_ERROR(
        "SCHEMA_VALIDATION_FAILED: The value for the field 'ResultPath' must be a valid JSONPath at "
        "/States/A/ResultPath",
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"ResultPath\":\"$$.Task\",\"End\":true}}}");
}

static void test_rejects_a_dollar_key_without_a_path_at_the_field(void)
{
    /* The blog's definition with a value that is neither a path nor an intrinsic function. */
    ASSERT_DEFINITION_ERROR(
        "SCHEMA_VALIDATION_FAILED: The value for the field 'taskToken.$' must be a valid JSONPath or a valid "
        "intrinsic function call at /States/RequestValuation/Parameters",
        "{\"StartAt\":\"RequestValuation\",\"States\":{\"RequestValuation\":{\"Type\":\"Task\","
        "\"Resource\":\"arn:aws:states:::lambda:invoke.waitForTaskToken\","
        "\"Parameters\":{\"FunctionName\":\"ValuationRequestFunction\","
        "\"Payload\":{\"taskToken.$\":\"not-a-path\",\"loanApplication.$\":\"$\"}},\"End\":true}}}");
    ASSERT_DEFINITION_ERROR(
        "SCHEMA_VALIDATION_FAILED: The value for the field 'x.$' must be a valid JSONPath or a valid "
        "intrinsic function call at /States/P/Parameters",
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"Parameters\":{\"x.$\":42},\"End\":true}}}");
}

static void test_accepts_the_cdk_double_suffix_and_intrinsics_at_definition_time(void)
{
    /* "taskToken.$.$" is a valid key at definition time: it only fails when run. */
    static const char definition[] = "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\","
                                     "\"Resource\":\"arn:aws:states:::lambda:invoke.waitForTaskToken\","
                                     "\"Parameters\":{\"Payload\":{\"taskToken.$.$\":\"$$.Task.Token\","
                                     "\"greeting.$\":\"States.Format('Hello {}', $.name)\"}},\"End\":true}}}";
    struct state_machine *machine = NULL;
    char error[512] = "";
    int rc = state_machine_parse(definition, sizeof(definition) - 1, &machine, error, sizeof(error));

    state_machine_free(machine);
    if (rc != 0)
        printf("# error: %s\n", error);
    ASSERT_EQ_INT(0, rc);
}

static void test_rejects_duplicate_state_names(void)
{
    ASSERT_DEFINITION_ERROR(
        "DUPLICATE_STATE_NAME: Duplicate State name: A at /States",
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Succeed\"},\"A\":{\"Type\":\"Succeed\"}}}");
}

static void test_rejects_bad_state_names(void)
{
    char definition[512];
    char name[82];
    memset(name, 'n', 81);
    name[81] = '\0';
    snprintf(definition, sizeof(definition), "{\"StartAt\":\"%s\",\"States\":{\"%s\":{\"Type\":\"Succeed\"}}}", name,
             name);

    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: State names must be 1 to 80 characters long at /States",
                            definition);
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: State names must be 1 to 80 characters long at /States",
                            "{\"StartAt\":\"\",\"States\":{\"\":{\"Type\":\"Succeed\"}}}");
}

static void test_error_text_is_truncated_and_terminated(void)
{
    static const char definition[] = "{\"StartAt\":\"X\",\"States\":{\"A\":{\"Type\":\"Succeed\"}}}";
    struct state_machine *machine = NULL;
    char error[16];
    memset(error, 'x', sizeof(error));
    int rc = state_machine_parse(definition, sizeof(definition) - 1, &machine, error, sizeof(error));

    state_machine_free(machine);
    ASSERT_EQ_INT(-EINVAL, rc);
    ASSERT_EQ_STR("MISSING_TRANSIT", error);
}

static void test_parses_exactly_length_bytes(void)
{
    /* A valid definition followed by bytes that are not part of it. */
    static const char buffer[] = "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Succeed\"}}}GARBAGE";
    struct state_machine *machine = NULL;
    char error[512] = "";
    int rc = state_machine_parse(buffer, sizeof(buffer) - 1 - 7, &machine, error, sizeof(error));
    size_t count = machine ? machine->state_count : 0;

    state_machine_free(machine);
    if (rc != 0)
        printf("# error: %s\n", error);
    ASSERT_EQ_INT(0, rc);
    ASSERT_EQ_INT(1, count);
}

/* ---- resources -------------------------------------------------------- */

static void test_split_resource(void)
{
    char type[64], name[128];

    ASSERT_EQ_INT(0, state_machine_split_resource("arn:aws:states:::lambda:invoke.waitForTaskToken", type, sizeof(type),
                                                  name, sizeof(name)));
    ASSERT_EQ_STR("lambda", type);
    ASSERT_EQ_STR("invoke.waitForTaskToken", name);
    ASSERT_EQ_INT(
        0, state_machine_split_resource("arn:aws:states:::sqs:sendMessage", type, sizeof(type), name, sizeof(name)));
    ASSERT_EQ_STR("sqs", type);
    ASSERT_EQ_STR("sendMessage", name);
}

static void test_split_resource_rejects_other_forms(void)
{
    char type[64] = "", name[128] = "";

    ASSERT_EQ_INT(-EINVAL, state_machine_split_resource("arn:aws:lambda:eu-west-2:123456789012:function:f", type,
                                                        sizeof(type), name, sizeof(name)));
    ASSERT_EQ_INT(-EINVAL,
                  state_machine_split_resource("arn:aws:states:::lambda", type, sizeof(type), name, sizeof(name)));
    ASSERT_EQ_INT(-EINVAL,
                  state_machine_split_resource("arn:aws:states:::lambda:", type, sizeof(type), name, sizeof(name)));
    ASSERT_EQ_INT(-EINVAL,
                  state_machine_split_resource("arn:aws:states::::invoke", type, sizeof(type), name, sizeof(name)));
    ASSERT_EQ_INT(-EINVAL, state_machine_split_resource("", type, sizeof(type), name, sizeof(name)));
    ASSERT_EQ_INT(-EINVAL, state_machine_split_resource("arn:aws:states::", type, sizeof(type), name, sizeof(name)));
    ASSERT_EQ_STR("", type);
    ASSERT_EQ_STR("", name);
}

static void test_split_resource_respects_buffer_sizes(void)
{
    char type[7] = "", name[24] = "";

    /* "lambda" needs 7 bytes, "invoke.waitForTaskToken" 24: both fit exactly. */
    ASSERT_EQ_INT(0, state_machine_split_resource("arn:aws:states:::lambda:invoke.waitForTaskToken", type, sizeof(type),
                                                  name, sizeof(name)));
    ASSERT_EQ_STR("lambda", type);
    ASSERT_EQ_STR("invoke.waitForTaskToken", name);
    ASSERT_EQ_INT(-EINVAL, state_machine_split_resource("arn:aws:states:::lambda:invoke.waitForTaskToken", type,
                                                        sizeof(type) - 1, name, sizeof(name)));
    ASSERT_EQ_INT(-EINVAL, state_machine_split_resource("arn:aws:states:::lambda:invoke.waitForTaskToken", type,
                                                        sizeof(type), name, sizeof(name) - 1));
}

/* ---- Retry and Catch ------------------------------------------------------ */

/* Task T (a Lambda invoke) with more fields, ending the execution; Succeed state After for catchers. */
#define TASK_WITH(fields)                                                                                             \
    "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::lambda:invoke\"," fields \
    ",\"Next\":\"After\"},\"After\":{\"Type\":\"Succeed\"}}}"

/* Task T with one retrier whose other fields are given. */
#define RETRIER(fields) TASK_WITH("\"Retry\":[{\"ErrorEquals\":[\"E\"]," fields "}]")

#define SCHEMA_ERROR "SCHEMA_VALIDATION_FAILED: "

/* Parses definition, expecting success; runs check on the machine. */
static void check_parsed(const char *definition, void (*check)(const struct state_machine *machine))
{
    struct state_machine *machine = NULL;
    char error[512] = "";
    int rc = state_machine_parse(definition, strlen(definition), &machine, error, sizeof(error));
    if (rc != 0)
        printf("# error: %s\n", error);
    if (machine)
        check(machine);
    state_machine_free(machine);
    ASSERT_EQ_INT(0, rc);
}

static void check_retry_and_catch_fields(const struct state_machine *machine)
{
    const struct state_definition *state = state_machine_find(machine, "T");
    ASSERT_NOT_NULL(state);
    ASSERT_EQ_INT(2, state->retrier_count);
    /* The defaults: 1 s, 3 attempts, rate 2.0, no cap, no jitter. */
    ASSERT_TRUE(state->retriers[0].interval_seconds == 1.0);
    ASSERT_EQ_INT(3, state->retriers[0].max_attempts);
    ASSERT_TRUE(state->retriers[0].backoff_rate == 2.0);
    ASSERT_EQ_INT(0, state->retriers[0].max_delay_seconds);
    ASSERT_TRUE(!state->retriers[0].full_jitter);
    ASSERT_TRUE(state->retriers[1].interval_seconds == 5.0);
    ASSERT_EQ_INT(0, state->retriers[1].max_attempts);
    ASSERT_TRUE(state->retriers[1].backoff_rate == 1.5);
    ASSERT_EQ_INT(60, state->retriers[1].max_delay_seconds);
    ASSERT_TRUE(state->retriers[1].full_jitter);
    ASSERT_EQ_STR("States.ALL", cJSON_GetStringValue(cJSON_GetArrayItem(state->retriers[1].error_equals, 0)));
    ASSERT_EQ_INT(3, state->catcher_count);
    ASSERT_EQ_STR("After", state->catchers[0].next);
    ASSERT_EQ_STR("$", state->catchers[0].result_path.path);
    ASSERT_TRUE(!state->catchers[0].result_path.is_null);
    ASSERT_EQ_STR("$.error", state->catchers[1].result_path.path);
    ASSERT_TRUE(state->catchers[2].result_path.is_null);
    ASSERT_EQ_STR("T", state->catchers[2].next);
}

static void test_parses_retry_and_catch(void)
{
    check_parsed(TASK_WITH("\"Retry\":[{\"ErrorEquals\":[\"A\",\"States.Timeout\"]},"
                           "{\"ErrorEquals\":[\"States.ALL\"],\"IntervalSeconds\":5,\"MaxAttempts\":0,"
                           "\"BackoffRate\":1.5,\"MaxDelaySeconds\":60,\"JitterStrategy\":\"FULL\"}],"
                           "\"Catch\":[{\"ErrorEquals\":[\"States.HeartbeatTimeout\"],\"Next\":\"After\"},"
                           "{\"ErrorEquals\":[\"States.TaskFailed\",\"My.Error\"],\"ResultPath\":\"$.error\","
                           "\"Next\":\"After\"},"
                           "{\"ErrorEquals\":[\"States.ALL\"],\"ResultPath\":null,\"Next\":\"T\"}]"),
                 check_retry_and_catch_fields);
}

static void test_rejects_bad_error_equals(void)
{
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "These fields are required: [ErrorEquals] at /States/T/Retry/0",
                            TASK_WITH("\"Retry\":[{\"MaxAttempts\":1}]"));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "These fields are required: [ErrorEquals] at /States/T/Catch/0",
                            TASK_WITH("\"Catch\":[{\"Next\":\"After\"}]"));
    ASSERT_DEFINITION_ERROR(
        SCHEMA_ERROR "The value for the field 'ErrorEquals' must be a non-empty array at /States/T/Retry/0/ErrorEquals",
        TASK_WITH("\"Retry\":[{\"ErrorEquals\":[]}]"));
    ASSERT_DEFINITION_ERROR(
        SCHEMA_ERROR "The value for the field 'ErrorEquals' must be a non-empty array at /States/T/Catch/0/ErrorEquals",
        TASK_WITH("\"Catch\":[{\"ErrorEquals\":\"States.ALL\",\"Next\":\"After\"}]"));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "Error names must be non-empty strings at /States/T/Retry/0/ErrorEquals",
                            TASK_WITH("\"Retry\":[{\"ErrorEquals\":[\"A\",7]}]"));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "Error names must be non-empty strings at /States/T/Catch/1/ErrorEquals",
                            TASK_WITH("\"Catch\":[{\"ErrorEquals\":[\"A\"],\"Next\":\"After\"},"
                                      "{\"ErrorEquals\":[\"\"],\"Next\":\"After\"}]"));
}

static void test_rejects_misplaced_states_all(void)
{
    static const char not_alone[] =
        SCHEMA_ERROR "'States.ALL' must appear alone in ErrorEquals, and only in the last entry at "
                     "/States/T/Retry/0/ErrorEquals";
    ASSERT_DEFINITION_ERROR(not_alone, TASK_WITH("\"Retry\":[{\"ErrorEquals\":[\"States.ALL\",\"A\"]}]"));
    ASSERT_DEFINITION_ERROR(not_alone, TASK_WITH("\"Retry\":[{\"ErrorEquals\":[\"A\",\"States.ALL\"]}]"));
    ASSERT_DEFINITION_ERROR(not_alone, TASK_WITH("\"Retry\":[{\"ErrorEquals\":[\"States.ALL\"]},"
                                                 "{\"ErrorEquals\":[\"A\"]}]"));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "'States.ALL' must appear alone in ErrorEquals, and only in the last entry "
                                         "at /States/T/Catch/0/ErrorEquals",
                            TASK_WITH("\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"After\"},"
                                      "{\"ErrorEquals\":[\"A\"],\"Next\":\"After\"}]"));
}

static void test_rejects_unknown_states_error_names(void)
{
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "'States.Foo' is not a predefined error name; names starting with 'States.' "
                                         "are reserved at /States/T/Retry/0/ErrorEquals",
                            TASK_WITH("\"Retry\":[{\"ErrorEquals\":[\"States.Foo\"]}]"));
    /* Error names are case-sensitive. */
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "'States.timeout' is not a predefined error name; names starting with "
                                         "'States.' are reserved at /States/T/Catch/0/ErrorEquals",
                            TASK_WITH("\"Catch\":[{\"ErrorEquals\":[\"States.timeout\"],\"Next\":\"After\"}]"));
}

static void test_rejects_bad_retrier_fields(void)
{
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "The value for the field 'IntervalSeconds' must be a positive integer at "
                                         "/States/T/Retry/0/IntervalSeconds",
                            RETRIER("\"IntervalSeconds\":0"));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "The value for the field 'IntervalSeconds' must be a positive integer at "
                                         "/States/T/Retry/0/IntervalSeconds",
                            RETRIER("\"IntervalSeconds\":1.5"));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "The value for the field 'MaxAttempts' must be a non-negative integer at "
                                         "/States/T/Retry/0/MaxAttempts",
                            RETRIER("\"MaxAttempts\":-1"));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "The value for the field 'MaxAttempts' must be a non-negative integer at "
                                         "/States/T/Retry/0/MaxAttempts",
                            RETRIER("\"MaxAttempts\":\"3\""));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "The value for the field 'MaxDelaySeconds' must be a positive integer at "
                                         "/States/T/Retry/0/MaxDelaySeconds",
                            RETRIER("\"MaxDelaySeconds\":0"));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "The value for the field 'BackoffRate' must be a number of at least 1.0 at "
                                         "/States/T/Retry/0/BackoffRate",
                            RETRIER("\"BackoffRate\":0.5"));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "The value for the field 'BackoffRate' must be a number of at least 1.0 at "
                                         "/States/T/Retry/0/BackoffRate",
                            RETRIER("\"BackoffRate\":\"2\""));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "The value for the field 'JitterStrategy' must be FULL or NONE at "
                                         "/States/T/Retry/0/JitterStrategy",
                            RETRIER("\"JitterStrategy\":\"full\""));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "The value for the field 'JitterStrategy' must be FULL or NONE at "
                                         "/States/T/Retry/0/JitterStrategy",
                            RETRIER("\"JitterStrategy\":true"));
}

static void test_rejects_bad_retry_and_catch_lists(void)
{
    char definition[4096];
    size_t length;
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "The value for the field 'Retry' must be an array at /States/T/Retry",
                            TASK_WITH("\"Retry\":{\"ErrorEquals\":[\"A\"]}"));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "The value for the field 'Catch' must be an array at /States/T/Catch",
                            TASK_WITH("\"Catch\":\"After\""));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "A retrier must be a JSON object at /States/T/Retry/0",
                            TASK_WITH("\"Retry\":[\"A\"]"));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "A catcher must be a JSON object at /States/T/Catch/0",
                            TASK_WITH("\"Catch\":[[]]"));

    /* 33 retriers: one more than the retry counts can hold. */
    length = (size_t)snprintf(definition, sizeof(definition), "%s",
                              "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
                              "\"Resource\":\"arn:aws:states:::lambda:invoke\",\"End\":true,\"Retry\":[");
    for (int i = 0; i <= STATE_MACHINE_MAX_RETRIERS; i++)
        length += (size_t)snprintf(definition + length, sizeof(definition) - length, "%s{\"ErrorEquals\":[\"E%d\"]}",
                                   i ? "," : "", i);
    snprintf(definition + length, sizeof(definition) - length, "]}}}");
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "At most 32 entries are allowed at /States/T/Retry", definition);
}

static void test_rejects_bad_catchers(void)
{
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "These fields are required: [Next] at /States/T/Catch/0",
                            TASK_WITH("\"Catch\":[{\"ErrorEquals\":[\"A\"]}]"));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "These fields are required: [Next] at /States/T/Catch/0",
                            TASK_WITH("\"Catch\":[{\"ErrorEquals\":[\"A\"],\"Next\":\"\"}]"));
    ASSERT_DEFINITION_ERROR(
        SCHEMA_ERROR "The value for the field 'ResultPath' must be a valid JSONPath at /States/T/Catch/0/ResultPath",
        TASK_WITH("\"Catch\":[{\"ErrorEquals\":[\"A\"],\"ResultPath\":\"error\",\"Next\":\"After\"}]"));
    ASSERT_DEFINITION_ERROR("MISSING_TRANSITION_TARGET: Missing 'Next' target: Nowhere at /States/T/Catch/1/Next",
                            TASK_WITH("\"Catch\":[{\"ErrorEquals\":[\"A\"],\"Next\":\"After\"},"
                                      "{\"ErrorEquals\":[\"B\"],\"Next\":\"Nowhere\"}]"));
}

static void test_rejects_a_timeout_and_its_path_together(void)
{
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "Only one of 'TimeoutSeconds' or 'TimeoutSecondsPath' can be set at /States/T",
                            TASK_WITH("\"TimeoutSeconds\":30,\"TimeoutSecondsPath\":\"$.timeout\""));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR
                            "Only one of 'HeartbeatSeconds' or 'HeartbeatSecondsPath' can be set at /States/T",
                            TASK_WITH("\"HeartbeatSeconds\":30,\"HeartbeatSecondsPath\":\"$.heartbeat\""));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "The value for the field 'TimeoutSecondsPath' must be a valid JSONPath at "
                                         "/States/T/TimeoutSecondsPath",
                            TASK_WITH("\"TimeoutSecondsPath\":\"timeout\""));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "The value for the field 'HeartbeatSecondsPath' must be a valid JSONPath at "
                                         "/States/T/HeartbeatSecondsPath",
                            TASK_WITH("\"HeartbeatSecondsPath\":10"));
}

static void check_timeout_paths(const struct state_machine *machine)
{
    const struct state_definition *state = state_machine_find(machine, "T");
    ASSERT_NOT_NULL(state);
    ASSERT_EQ_STR("$.limits.timeout", state->timeout_seconds_path);
    ASSERT_EQ_STR("$.limits.heartbeat", state->heartbeat_seconds_path);
    ASSERT_EQ_INT(0, state->timeout_seconds);
    ASSERT_EQ_INT(0, state->heartbeat_seconds);
    ASSERT_NOT_NULL(state->result_selector);
}

static void test_parses_timeout_paths_and_result_selector(void)
{
    check_parsed(TASK_WITH("\"TimeoutSecondsPath\":\"$.limits.timeout\","
                           "\"HeartbeatSecondsPath\":\"$.limits.heartbeat\","
                           "\"ResultSelector\":{\"value.$\":\"$.Payload\"}"),
                 check_timeout_paths);
    ASSERT_DEFINITION_ERROR(
        SCHEMA_ERROR "The value for the field 'v.$' must be a valid JSONPath or a valid intrinsic function call at "
                     "/States/T/ResultSelector",
        TASK_WITH("\"ResultSelector\":{\"v.$\":\"Payload\"}"));
}

/* ---- Wait, Fail and Choice -------------------------------------------------- */

/* Wait state W with fields, then the Succeed state After. */
#define WAIT_WITH(fields)                                                                    \
    "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\"," fields "\"Next\":\"After\"}," \
    "\"After\":{\"Type\":\"Succeed\"}}}"

#define EXACTLY_ONE_WAIT_FIELD \
    SCHEMA_ERROR "Exactly one of 'Seconds', 'SecondsPath', 'Timestamp' or 'TimestampPath' must be set at /States/W"

static void check_wait_fields(const struct state_machine *machine)
{
    const struct state_definition *seconds = state_machine_find(machine, "S");
    const struct state_definition *seconds_path = state_machine_find(machine, "SP");
    const struct state_definition *timestamp = state_machine_find(machine, "TS");
    const struct state_definition *timestamp_path = state_machine_find(machine, "TP");
    ASSERT_NOT_NULL(seconds);
    ASSERT_NOT_NULL(seconds_path);
    ASSERT_NOT_NULL(timestamp);
    ASSERT_NOT_NULL(timestamp_path);
    ASSERT_EQ_INT(STATE_WAIT, seconds->type);
    ASSERT_EQ_INT(0, seconds->wait_seconds);
    ASSERT_EQ_STR("SP", seconds->next);
    ASSERT_EQ_INT(-1, seconds_path->wait_seconds);
    ASSERT_EQ_STR("$.delay", seconds_path->wait_seconds_path);
    ASSERT_EQ_STR("2016-03-14T01:59:00+02:00", timestamp->wait_timestamp);
    ASSERT_NULL(timestamp->wait_timestamp_path);
    ASSERT_EQ_STR("$.until", timestamp_path->wait_timestamp_path);
    ASSERT_NULL(timestamp_path->wait_timestamp);
    ASSERT_NULL(timestamp_path->next);
}

static void test_parses_wait_states(void)
{
    check_parsed("{\"StartAt\":\"S\",\"States\":{"
                 "\"S\":{\"Type\":\"Wait\",\"Seconds\":0,\"Next\":\"SP\"},"
                 "\"SP\":{\"Type\":\"Wait\",\"SecondsPath\":\"$.delay\",\"Next\":\"TS\"},"
                 "\"TS\":{\"Type\":\"Wait\",\"Timestamp\":\"2016-03-14T01:59:00+02:00\",\"Next\":\"TP\"},"
                 "\"TP\":{\"Type\":\"Wait\",\"TimestampPath\":\"$.until\",\"End\":true}}}",
                 check_wait_fields);
}

static void test_rejects_wait_without_or_with_several_times(void)
{
    ASSERT_DEFINITION_ERROR(EXACTLY_ONE_WAIT_FIELD, WAIT_WITH(""));
    ASSERT_DEFINITION_ERROR(EXACTLY_ONE_WAIT_FIELD, WAIT_WITH("\"Seconds\":1,\"SecondsPath\":\"$.s\","));
    ASSERT_DEFINITION_ERROR(EXACTLY_ONE_WAIT_FIELD,
                            WAIT_WITH("\"Timestamp\":\"2016-03-14T01:59:00Z\",\"TimestampPath\":\"$.t\","));
    ASSERT_DEFINITION_ERROR(EXACTLY_ONE_WAIT_FIELD, WAIT_WITH("\"Seconds\":0,\"TimestampPath\":\"$.t\","));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR
                            "The value for the field 'Seconds' must be a non-negative integer at /States/W/Seconds",
                            WAIT_WITH("\"Seconds\":-1,"));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR
                            "The value for the field 'Seconds' must be a non-negative integer at /States/W/Seconds",
                            WAIT_WITH("\"Seconds\":\"5\","));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR
                            "The value for the field 'SecondsPath' must be a valid JSONPath at /States/W/SecondsPath",
                            WAIT_WITH("\"SecondsPath\":\"delay\","));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "These fields are required: [Next | End] at /States/W",
                            "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\",\"Seconds\":1}}}");
}

static void test_rejects_a_bad_wait_timestamp(void)
{
    static const char not_rfc3339[] = SCHEMA_ERROR "String does not match RFC3339 timestamp at /States/W/Timestamp";
    ASSERT_DEFINITION_ERROR(not_rfc3339, WAIT_WITH("\"Timestamp\":\"tomorrow\","));
    ASSERT_DEFINITION_ERROR(not_rfc3339, WAIT_WITH("\"Timestamp\":\"2016-03-14 01:59:00Z\","));
    ASSERT_DEFINITION_ERROR(not_rfc3339, WAIT_WITH("\"Timestamp\":\"2023-02-30T00:00:00Z\","));
    ASSERT_DEFINITION_ERROR(not_rfc3339, WAIT_WITH("\"Timestamp\":\"2016-03-14T01:59Z\","));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "The value for the field 'Timestamp' must be a string at /States/W/Timestamp",
                            WAIT_WITH("\"Timestamp\":1457920740,"));
}

/* Fail state F with fields. */
#define FAIL_WITH(fields) "{\"StartAt\":\"F\",\"States\":{\"F\":{\"Type\":\"Fail\"," fields "}}}"

static void check_fail_paths(const struct state_machine *machine)
{
    const struct state_definition *state = state_machine_find(machine, "F");
    ASSERT_NOT_NULL(state);
    ASSERT_NULL(state->error);
    ASSERT_EQ_STR("$.problem.name", state->error_path);
    ASSERT_EQ_STR("fixed", state->cause);
    ASSERT_NULL(state->cause_path);
}

static void test_fail_error_and_cause_paths(void)
{
    check_parsed(FAIL_WITH("\"ErrorPath\":\"$.problem.name\",\"Cause\":\"fixed\""), check_fail_paths);
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "Only one of 'Error' or 'ErrorPath' can be set at /States/F",
                            FAIL_WITH("\"Error\":\"E\",\"ErrorPath\":\"$.e\""));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "Only one of 'Cause' or 'CausePath' can be set at /States/F",
                            FAIL_WITH("\"Cause\":\"C\",\"CausePath\":\"$.c\""));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR
                            "The value for the field 'ErrorPath' must be a valid JSONPath at /States/F/ErrorPath",
                            FAIL_WITH("\"ErrorPath\":\"e\""));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "The value for the field 'Cause' must be a string at /States/F/Cause",
                            FAIL_WITH("\"Cause\":{}"));
}

/* Choice state C with rules and more fields, choosing between the Succeed states A and B. */
#define CHOICE_WITH(fields)                                                               \
    "{\"StartAt\":\"C\",\"States\":{\"C\":{\"Type\":\"Choice\","                          \
    "\"Choices\":[{\"Variable\":\"$.x\",\"NumericEquals\":1,\"Next\":\"A\"}]" fields "}," \
    "\"A\":{\"Type\":\"Pass\",\"Next\":\"B\"},\"B\":{\"Type\":\"Succeed\"}}}"

static void check_choice_state(const struct state_machine *machine)
{
    const struct state_definition *state = state_machine_find(machine, "C");
    ASSERT_NOT_NULL(state);
    ASSERT_EQ_INT(STATE_CHOICE, state->type);
    ASSERT_NULL(state->next);
    ASSERT_NOT_NULL(state->choice);
    ASSERT_EQ_STR("$.in", state->input_path.path);
}

static void test_choice_transitions(void)
{
    check_parsed(CHOICE_WITH(",\"Default\":\"B\",\"InputPath\":\"$.in\""), check_choice_state);
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "Field 'Next' is not supported at /States/C", CHOICE_WITH(",\"Next\":\"B\""));
    ASSERT_DEFINITION_ERROR(SCHEMA_ERROR "Field 'End' is not supported at /States/C", CHOICE_WITH(",\"End\":true"));
    ASSERT_DEFINITION_ERROR("MISSING_TRANSITION_TARGET: Missing 'Next' target: Nowhere at /States/C/Choices",
                            CHOICE_WITH(",\"Default\":\"Nowhere\""));
    ASSERT_DEFINITION_ERROR("MISSING_TRANSITION_TARGET: Missing 'Next' target: Nowhere at /States/C/Choices",
                            "{\"StartAt\":\"C\",\"States\":{\"C\":{\"Type\":\"Choice\","
                            "\"Choices\":[{\"Variable\":\"$.x\",\"NumericEquals\":1,\"Next\":\"Nowhere\"}]}}}");
}

/* ---- matching errors ---------------------------------------------------------- */

struct match_row {
    const char *pattern;
    const char *error; /* NULL: a SendTaskFailure without an error */
    bool heartbeat;
    bool matches;
};

static void test_error_matches_truth_table(void)
{
    static const struct match_row rows[] = {
        { "States.ALL", "Any.Error", false, true },
        { "States.ALL", NULL, false, true },
        { "States.ALL", "States.Timeout", false, true },
        { "States.ALL", "States.Timeout", true, true },
        { "States.ALL", "States.Runtime", false, false },
        { "States.ALL", "States.DataLimitExceeded", false, false },
        { "States.TaskFailed", "Any.Error", false, true },
        { "States.TaskFailed", NULL, false, true },
        { "States.TaskFailed", "States.Permissions", false, true },
        { "States.TaskFailed", "States.Timeout", false, false },
        { "States.TaskFailed", "States.Timeout", true, false },
        { "States.TaskFailed", "States.Runtime", false, false },
        { "States.Timeout", "States.Timeout", false, true },
        { "States.Timeout", "States.Timeout", true, true },
        { "States.Timeout", "Any.Error", false, false },
        { "States.Timeout", NULL, false, false },
        { "States.HeartbeatTimeout", "States.Timeout", true, true },
        { "States.HeartbeatTimeout", "States.Timeout", false, false },
        { "States.HeartbeatTimeout", "Any.Error", false, false },
        { "States.HeartbeatTimeout", NULL, false, false },
        { "States.Runtime", "States.Runtime", false, true },
        { "Any.Error", "Any.Error", false, true },
        { "Any.Error", "any.error", false, false },
        { "Any.Error", "Any.Error2", false, false },
        { "Any.Error", NULL, false, false },
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        cJSON *list = cJSON_CreateArray();
        bool added = list && cJSON_AddItemToArray(list, cJSON_CreateString(rows[i].pattern));
        bool matches = added && state_machine_error_matches(list, rows[i].error, rows[i].heartbeat);
        cJSON_Delete(list);
        if (matches != rows[i].matches)
            printf("# row %zu: %s vs %s (heartbeat %d)\n", i, rows[i].pattern, rows[i].error ? rows[i].error : "null",
                   (int)rows[i].heartbeat);
        ASSERT_TRUE(added);
        ASSERT_TRUE(matches == rows[i].matches);
    }
}

static void test_error_matches_any_name_of_the_list(void)
{
    cJSON *list = cJSON_Parse("[\"A\",7,\"States.Timeout\",\"B\"]");
    bool a = state_machine_error_matches(list, "A", false);
    bool b = state_machine_error_matches(list, "B", false);
    bool timeout = state_machine_error_matches(list, "States.Timeout", true);
    bool other = state_machine_error_matches(list, "C", false);
    bool empty = state_machine_error_matches(NULL, "A", false);
    cJSON_Delete(list);
    ASSERT_TRUE(a);
    ASSERT_TRUE(b);
    ASSERT_TRUE(timeout);
    ASSERT_TRUE(!other);
    ASSERT_TRUE(!empty);
}

/* A chain of count Pass states S0 -> S1 -> ... ; the last one ends. The caller frees the text. */
static char *chain_definition(size_t count)
{
    size_t size = 64 + count * 64, used;
    char *text = malloc(size);

    used = (size_t)snprintf(text, size, "{\"StartAt\":\"S0\",\"States\":{");
    for (size_t i = 0; i < count; i++) {
        if (i + 1 < count)
            used +=
                (size_t)snprintf(text + used, size - used, "\"S%zu\":{\"Type\":\"Pass\",\"Next\":\"S%zu\"},", i, i + 1);
        else
            used += (size_t)snprintf(text + used, size - used, "\"S%zu\":{\"Type\":\"Pass\",\"End\":true}}}", i);
    }
    return text;
}

/*
 * 26,000 states: names are looked up by binary search and the reachability
 * walk uses an explicit stack (a recursive walk of this chain would be 26,000
 * frames deep). Seconds before, milliseconds now.
 */
static void test_parses_a_huge_chain(void)
{
    char *text = chain_definition(26000);
    struct state_machine *machine = NULL;
    char error[256];

    ASSERT_EQ_INT(0, state_machine_parse(text, strlen(text), &machine, error, sizeof error));
    ASSERT_EQ_INT(26000, (int)machine->state_count);
    ASSERT_EQ_STR("S25999", state_machine_find(machine, "S25999")->name);
    ASSERT_EQ_STR("S12345", state_machine_find(machine, state_machine_find(machine, "S12344")->next)->name);
    ASSERT_NULL(state_machine_find(machine, "S26000"));
    state_machine_free(machine);
    free(text);
}

/* Duplicates are found through the name index, yet reported in document order among the other errors. */
static void test_duplicate_names_in_document_order(void)
{
    ASSERT_DEFINITION_ERROR("DUPLICATE_STATE_NAME: Duplicate State name: A at /States",
                            "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Next\":\"B\"},"
                            "\"B\":{\"Type\":\"Succeed\"},\"A\":{\"Type\":\"Pass\"}}}");
    ASSERT_DEFINITION_ERROR("DUPLICATE_STATE_NAME: Duplicate State name: B at /States",
                            "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"End\":true},"
                            "\"B\":{\"Type\":\"Succeed\"},\"B\":{\"Type\":\"Nope\"}}}");
    ASSERT_DEFINITION_ERROR("UNREACHABLE_STATE: State 'B' is not reachable at /States/B",
                            "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Succeed\"},"
                            "\"B\":{\"Type\":\"Succeed\"}}}");
}

int main(void)
{
    RUN(test_parses_the_blog_part1_definition_file);
    RUN(test_parses_the_blog_part2_definition_file);
    RUN(test_parses_pass_task_and_succeed_fields);
    RUN(test_parses_a_fail_state);
    RUN(test_rejects_a_fail_state_with_a_non_string_error);
    RUN(test_type_names);
    RUN(test_free_is_safe_on_null);
    RUN(test_rejects_text_that_is_not_json);
    RUN(test_rejects_trailing_garbage_after_the_definition);
    RUN(test_rejects_a_definition_that_is_not_an_object);
    RUN(test_rejects_missing_start_at_or_states);
    RUN(test_rejects_missing_start_at_target);
    RUN(test_rejects_missing_next_target);
    RUN(test_rejects_missing_next_and_end);
    RUN(test_rejects_next_and_end_together_and_bad_next);
    RUN(test_rejects_transitions_out_of_terminal_states);
    RUN(test_rejects_fields_a_state_type_does_not_support);
    RUN(test_rejects_unreachable_states);
    RUN(test_rejects_unknown_or_missing_type);
    RUN(test_rejects_task_without_or_with_bad_resource);
    RUN(test_accepts_an_activity_arn_as_resource);
    RUN(test_rejects_bad_timeouts);
    RUN(test_parses_the_top_level_timeout);
    RUN(test_rejects_bad_paths);
    RUN(test_rejects_a_dollar_key_without_a_path_at_the_field);
    RUN(test_accepts_the_cdk_double_suffix_and_intrinsics_at_definition_time);
    RUN(test_rejects_duplicate_state_names);
    RUN(test_rejects_bad_state_names);
    RUN(test_error_text_is_truncated_and_terminated);
    RUN(test_parses_exactly_length_bytes);
    RUN(test_split_resource);
    RUN(test_split_resource_rejects_other_forms);
    RUN(test_split_resource_respects_buffer_sizes);
    RUN(test_parses_retry_and_catch);
    RUN(test_rejects_bad_error_equals);
    RUN(test_rejects_misplaced_states_all);
    RUN(test_rejects_unknown_states_error_names);
    RUN(test_rejects_bad_retrier_fields);
    RUN(test_rejects_bad_retry_and_catch_lists);
    RUN(test_rejects_bad_catchers);
    RUN(test_rejects_a_timeout_and_its_path_together);
    RUN(test_parses_timeout_paths_and_result_selector);
    RUN(test_parses_wait_states);
    RUN(test_rejects_wait_without_or_with_several_times);
    RUN(test_rejects_a_bad_wait_timestamp);
    RUN(test_fail_error_and_cause_paths);
    RUN(test_choice_transitions);
    RUN(test_error_matches_truth_table);
    RUN(test_error_matches_any_name_of_the_list);
    RUN(test_parses_a_huge_chain);
    RUN(test_duplicate_names_in_document_order);
    return test_done();
}
