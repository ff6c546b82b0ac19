/*
 * test_state_machine.c - unit tests for loan-processor/state_machine.c
 */
#include "state_machine.h"
#include "test.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#ifndef SOURCE_ROOT
#error "SOURCE_ROOT must be defined by meson"
#endif

#define BLOG_DEFINITION_PATH SOURCE_ROOT "/loan-processor/state-machines/LoanProcessorStateMachine.asl.json"

/* Reads a whole file; NULL on failure. The caller frees. */
static char *read_file(const char *path, size_t *length)
{
    FILE *file = fopen(path, "rb");
    char *text = NULL;
    long size;
    if (!file)
        return NULL;
    if (fseek(file, 0, SEEK_END) == 0 && (size = ftell(file)) >= 0 && fseek(file, 0, SEEK_SET) == 0
        && (text = malloc((size_t)size + 1)) != NULL) {
        *length = fread(text, 1, (size_t)size, file);
        text[*length] = '\0';
    }
    fclose(file);
    return text;
}

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
    outcome->rc = state_machine_parse(definition, strlen(definition), &machine, outcome->error,
                                      sizeof(outcome->error));
    outcome->machine_untouched = machine == NULL;
    state_machine_free(machine);
}

#define ASSERT_DEFINITION_ERROR(expected_error, definition)                 \
    do {                                                                   \
        struct parse_outcome outcome_;                                     \
        parse_expecting_error((definition), &outcome_);                    \
        ASSERT_EQ_INT(-EINVAL, outcome_.rc);                               \
        ASSERT_TRUE(outcome_.machine_untouched);                           \
        ASSERT_EQ_STR((expected_error), outcome_.error);                   \
    } while (0)

/* ---- the blog's definition --------------------------------------------- */

static void check_blog_machine(const struct state_machine *machine)
{
    ASSERT_EQ_STR("RequestValuation", machine->start_at);
    ASSERT_EQ_INT(1, machine->state_count);
    const struct state_definition *state = state_machine_find(machine, "RequestValuation");
    ASSERT_NOT_NULL(state);
    ASSERT_TRUE(state == &machine->states[0]);
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
    ASSERT_EQ_INT(0, state->timeout_seconds);
    ASSERT_EQ_INT(0, state->heartbeat_seconds);
    ASSERT_NULL(state_machine_find(machine, "requestvaluation"));
    ASSERT_NULL(state_machine_find(machine, "Nope"));
}

static void test_parses_the_blog_definition_file(void)
{
    size_t length = 0;
    char *definition = read_file(BLOG_DEFINITION_PATH, &length);
    struct state_machine *machine = NULL;
    char error[512] = "";
    int rc = definition ? state_machine_parse(definition, length, &machine, error, sizeof(error)) : -1;

    /* The machine must not borrow from the caller's text. */
    if (definition)
        memset(definition, ' ', length);
    free(definition);
    if (rc != 0)
        printf("# error: %s\n", error);
    if (machine)
        check_blog_machine(machine);
    state_machine_free(machine);
    ASSERT_EQ_INT(0, rc);
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

static void test_rejects_transitions_out_of_terminal_states(void)
{
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: Field 'Next' is not supported by a Succeed state at /States/S/Next",
                            "{\"StartAt\":\"S\",\"States\":{\"S\":{\"Type\":\"Succeed\",\"Next\":\"S\"}}}");
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: Field 'End' is not supported by a Fail state at /States/F/End",
                            "{\"StartAt\":\"F\",\"States\":{\"F\":{\"Type\":\"Fail\",\"End\":true}}}");
}

static void test_rejects_unknown_or_missing_type(void)
{
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: 'Wait' is not a supported state type at /States/A/Type",
                            "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Wait\",\"Seconds\":1,\"End\":true}}}");
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
    ASSERT_DEFINITION_ERROR("SCHEMA_VALIDATION_FAILED: Value is not a valid resource ARN at /States/A/Resource",
                            "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"lambda\",\"End\":true}}}");
}

static void test_rejects_bad_timeouts(void)
{
    ASSERT_DEFINITION_ERROR(
        "SCHEMA_VALIDATION_FAILED: The value for the field 'TimeoutSeconds' must be a positive integer at /States/A/TimeoutSeconds",
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::lambda:invoke\","
        "\"TimeoutSeconds\":0,\"End\":true}}}");
    ASSERT_DEFINITION_ERROR(
        "SCHEMA_VALIDATION_FAILED: The value for the field 'TimeoutSeconds' must be a positive integer at /States/A/TimeoutSeconds",
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::lambda:invoke\","
        "\"TimeoutSeconds\":1.5,\"End\":true}}}");
    ASSERT_DEFINITION_ERROR(
        "SCHEMA_VALIDATION_FAILED: The value for the field 'HeartbeatSeconds' must be a positive integer at /States/A/HeartbeatSeconds",
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
        "SCHEMA_VALIDATION_FAILED: The value for the field 'OutputPath' must be a valid JSONPath at /States/A/OutputPath",
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"OutputPath\":\"$.\",\"End\":true}}}");
    ASSERT_DEFINITION_ERROR(
        "SCHEMA_VALIDATION_FAILED: The value for the field 'ResultPath' must be a valid JSONPath at /States/A/ResultPath",
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
    static const char definition[] =
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\","
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
    ASSERT_DEFINITION_ERROR("DUPLICATE_STATE_NAME: Duplicate State name: A at /States",
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

    ASSERT_EQ_INT(0, state_machine_split_resource("arn:aws:states:::lambda:invoke.waitForTaskToken", type,
                                                  sizeof(type), name, sizeof(name)));
    ASSERT_EQ_STR("lambda", type);
    ASSERT_EQ_STR("invoke.waitForTaskToken", name);
    ASSERT_EQ_INT(0, state_machine_split_resource("arn:aws:states:::sqs:sendMessage", type, sizeof(type), name,
                                                  sizeof(name)));
    ASSERT_EQ_STR("sqs", type);
    ASSERT_EQ_STR("sendMessage", name);
}

static void test_split_resource_rejects_other_forms(void)
{
    char type[64] = "", name[128] = "";

    ASSERT_EQ_INT(-EINVAL, state_machine_split_resource("arn:aws:lambda:eu-west-2:123456789012:function:f", type,
                                                        sizeof(type), name, sizeof(name)));
    ASSERT_EQ_INT(-EINVAL, state_machine_split_resource("arn:aws:states:::lambda", type, sizeof(type), name,
                                                        sizeof(name)));
    ASSERT_EQ_INT(-EINVAL, state_machine_split_resource("arn:aws:states:::lambda:", type, sizeof(type), name,
                                                        sizeof(name)));
    ASSERT_EQ_INT(-EINVAL, state_machine_split_resource("arn:aws:states::::invoke", type, sizeof(type), name,
                                                        sizeof(name)));
    ASSERT_EQ_INT(-EINVAL, state_machine_split_resource("", type, sizeof(type), name, sizeof(name)));
    ASSERT_EQ_INT(-EINVAL, state_machine_split_resource("arn:aws:states::", type, sizeof(type), name, sizeof(name)));
    ASSERT_EQ_STR("", type);
    ASSERT_EQ_STR("", name);
}

static void test_split_resource_respects_buffer_sizes(void)
{
    char type[7] = "", name[24] = "";

    /* "lambda" needs 7 bytes, "invoke.waitForTaskToken" 24: both fit exactly. */
    ASSERT_EQ_INT(0, state_machine_split_resource("arn:aws:states:::lambda:invoke.waitForTaskToken", type,
                                                  sizeof(type), name, sizeof(name)));
    ASSERT_EQ_STR("lambda", type);
    ASSERT_EQ_STR("invoke.waitForTaskToken", name);
    ASSERT_EQ_INT(-EINVAL, state_machine_split_resource("arn:aws:states:::lambda:invoke.waitForTaskToken", type,
                                                        sizeof(type) - 1, name, sizeof(name)));
    ASSERT_EQ_INT(-EINVAL, state_machine_split_resource("arn:aws:states:::lambda:invoke.waitForTaskToken", type,
                                                        sizeof(type), name, sizeof(name) - 1));
}

int main(void)
{
    RUN(test_parses_the_blog_definition_file);
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
    RUN(test_rejects_unknown_or_missing_type);
    RUN(test_rejects_task_without_or_with_bad_resource);
    RUN(test_rejects_bad_timeouts);
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
    return test_done();
}
