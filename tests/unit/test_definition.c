/*
 * test_definition.c - unit tests for loan-processor/definition.c
 */
#include "definition.h"
#include "definition_diagnostics.h"
#include "test.h"

#include <errno.h>
#include <string.h>

#define CALLBACK_TASK(resource)                                                                    \
    "{\"StartAt\":\"Publish\",\"States\":{\"Publish\":{\"Type\":\"Task\",\"Resource\":\"" resource \
    "\",\"Parameters\":{\"TopicArn\":\"T\",\"Message.$\":\"$\"},\"End\":true}}}"

static const char pass_machine[] = "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"End\":true}}}";

static void test_type_names(void)
{
    enum machine_type type = MACHINE_EXPRESS;
    ASSERT_EQ_INT(0, definition_type_from_name("STANDARD", &type));
    ASSERT_EQ_INT(MACHINE_STANDARD, type);
    ASSERT_EQ_INT(0, definition_type_from_name("EXPRESS", &type));
    ASSERT_EQ_INT(MACHINE_EXPRESS, type);
    ASSERT_EQ_INT(-EINVAL, definition_type_from_name("standard", &type));
    ASSERT_EQ_INT(-EINVAL, definition_type_from_name("", &type));
    ASSERT_EQ_STR("STANDARD", definition_type_name(MACHINE_STANDARD));
    ASSERT_EQ_STR("EXPRESS", definition_type_name(MACHINE_EXPRESS));
}

static void test_hash_is_sha256_of_the_text_as_given(void)
{
    char hash[DEFINITION_HASH_SIZE], spaced[DEFINITION_HASH_SIZE];
    definition_hash("abc", hash);
    ASSERT_EQ_STR("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", hash);
    definition_hash(" abc", spaced);
    ASSERT_TRUE(strcmp(hash, spaced) != 0); /* the same JSON written differently is another definition */
}

static void test_standard_machines_may_wait_for_callbacks(void)
{
    struct state_machine *machine = NULL;
    char error[512] = "";
    ASSERT_EQ_INT(0, definition_check(CALLBACK_TASK("arn:aws:states:::sns:publish.waitForTaskToken"), MACHINE_STANDARD,
                                      &machine, error, sizeof(error)));
    ASSERT_NOT_NULL(machine);
    ASSERT_EQ_STR("Publish", machine->start_at);
    state_machine_free(machine);
}

static void test_express_machines_refuse_callbacks_with_aws_text(void)
{
    char error[512] = "";
    ASSERT_EQ_INT(-EINVAL, definition_check(CALLBACK_TASK("arn:aws:states:::sns:publish.waitForTaskToken"),
                                            MACHINE_EXPRESS, NULL, error, sizeof(error)));
    ASSERT_EQ_STR("SCHEMA_VALIDATION_FAILED: Express state machine does not support '.waitForTaskToken' service "
                  "integration  at /States/Publish/Resource",
                  error);
    ASSERT_EQ_INT(-EINVAL, definition_check(CALLBACK_TASK("arn:aws:states:::lambda:invoke.sync"), MACHINE_EXPRESS, NULL,
                                            error, sizeof(error)));
    ASSERT_EQ_STR("SCHEMA_VALIDATION_FAILED: Express state machine does not support '.sync' service integration at "
                  "/States/Publish/Resource",
                  error);
}

static void test_express_machines_may_call_request_response_tasks(void)
{
    char error[512] = "";
    ASSERT_EQ_INT(0, definition_check(CALLBACK_TASK("arn:aws:states:::sns:publish"), MACHINE_EXPRESS, NULL, error,
                                      sizeof(error)));
    ASSERT_EQ_INT(0, definition_check(pass_machine, MACHINE_EXPRESS, NULL, error, sizeof(error)));
}

static void test_parse_errors_pass_through(void)
{
    struct state_machine *machine = NULL;
    char error[512] = "";
    ASSERT_EQ_INT(-EINVAL, definition_check("{\"StartAt\":\"A\"}", MACHINE_STANDARD, &machine, error, sizeof(error)));
    ASSERT_NULL(machine);
    ASSERT_EQ_STR("SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /", error);
    ASSERT_EQ_INT(-EINVAL, definition_check("nope", MACHINE_EXPRESS, NULL, error, sizeof(error)));
}

static void test_an_error_text_splits_into_code_message_and_location(void)
{
    struct definition_diagnostic diagnostic;
    definition_diagnostic_from_error("MISSING_TRANSITION_TARGET: Missing 'Next' target: X at /States/A/Next",
                                     &diagnostic);
    ASSERT_EQ_INT(DEFINITION_ERROR, diagnostic.severity);
    ASSERT_EQ_STR("MISSING_TRANSITION_TARGET", diagnostic.code);
    ASSERT_EQ_STR("Missing 'Next' target: X", diagnostic.message);
    ASSERT_EQ_STR("/States/A/Next", diagnostic.location);
    /* Of AWS's two spaces before "at", the first is the message's own (recorded: its diagnostic ends in a space) */
    definition_diagnostic_from_error("SCHEMA_VALIDATION_FAILED: Express state machine does not support "
                                     "'.waitForTaskToken' service integration  at /States/P/Resource",
                                     &diagnostic);
    ASSERT_EQ_STR("Express state machine does not support '.waitForTaskToken' service integration ",
                  diagnostic.message);
    ASSERT_EQ_STR("/States/P/Resource", diagnostic.location);
    definition_diagnostic_from_error("INVALID_JSON_DESCRIPTION: The definition is not valid JSON", &diagnostic);
    ASSERT_EQ_STR("INVALID_JSON_DESCRIPTION", diagnostic.code);
    ASSERT_EQ_STR("The definition is not valid JSON", diagnostic.message);
    ASSERT_EQ_STR("", diagnostic.location);
    definition_diagnostic_from_error("no code here at /States/A", &diagnostic);
    ASSERT_EQ_STR("SCHEMA_VALIDATION_FAILED", diagnostic.code);
    ASSERT_EQ_STR("no code here", diagnostic.message);
}

static void test_diagnose_reports_the_create_error(void)
{
    struct definition_diagnostics list = { 0 };
    ASSERT_EQ_INT(0, definition_diagnose("{\"StartAt\":\"A\"}", MACHINE_STANDARD, true, &list));
    ASSERT_EQ_INT(1, (long)list.count);
    ASSERT_EQ_STR("SCHEMA_VALIDATION_FAILED", list.items[0].code);
    ASSERT_EQ_STR("These fields are required: [States]", list.items[0].message);
    ASSERT_EQ_STR("/", list.items[0].location);
    definition_diagnostics_free(&list);
    ASSERT_EQ_INT(0, definition_diagnose(CALLBACK_TASK("arn:aws:states:::sns:publish.waitForTaskToken"),
                                         MACHINE_EXPRESS, false, &list));
    ASSERT_EQ_INT(1, (long)list.count);
    ASSERT_EQ_STR("/States/Publish/Resource", list.items[0].location);
    definition_diagnostics_free(&list);
    ASSERT_EQ_INT(0, definition_diagnose(pass_machine, MACHINE_STANDARD, true, &list));
    ASSERT_EQ_INT(0, (long)list.count);
    definition_diagnostics_free(&list);
}

static void test_diagnose_warns_of_paths_that_are_not_evaluated(void)
{
    static const char machine[] = "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Parameters\":{\"list\":[{"
                                  "\"p\":\"$$.Execution.Id\"}],"
                                  "\"f\":\"States.Array(1)\",\"s\":\"$ not a path\",\"ok.$\":\"$.x\"},\"Next\":\"B\"},"
                                  "\"B\":{\"Type\":\"Pass\",\"Result\":{\"in\":{\"v.$\":\"$.x\"}},\"End\":true}}}";
    struct definition_diagnostics list = { 0 };
    ASSERT_EQ_INT(0, definition_diagnose(machine, MACHINE_STANDARD, false, &list));
    ASSERT_EQ_INT(0, (long)list.count);
    ASSERT_EQ_INT(0, definition_diagnose(machine, MACHINE_STANDARD, true, &list));
    ASSERT_EQ_INT(3, (long)list.count);
    ASSERT_EQ_INT(DEFINITION_WARNING, list.items[0].severity);
    ASSERT_EQ_STR("NO_DOLLAR", list.items[0].code);
    ASSERT_EQ_STR("/States/A/Parameters/list[0]/p", list.items[0].location);
    ASSERT_EQ_STR("/States/A/Parameters/f", list.items[1].location);
    ASSERT_EQ_STR("PASS_RESULT_IS_STATIC", list.items[2].code);
    ASSERT_EQ_STR("/States/B/Result/in/v.$", list.items[2].location);
    definition_diagnostics_free(&list);
}

/* Diagnoses text into list (the caller frees it): only errors, the first being the one CreateStateMachine answers. */
static void diagnose_errors(const char *text, enum machine_type type, struct definition_diagnostics *list)
{
    struct definition_diagnostic first;
    char error[1024];
    ASSERT_EQ_INT(0, definition_diagnose(text, type, true, list));
    ASSERT_EQ_INT(-EINVAL, definition_check(text, type, NULL, error, sizeof(error)));
    ASSERT_TRUE(list->count > 0);
    definition_diagnostic_from_error(error, &first);
    ASSERT_EQ_STR(first.code, list->items[0].code);
    ASSERT_EQ_STR(first.message, list->items[0].message);
    ASSERT_EQ_STR(first.location, list->items[0].location);
    for (size_t i = 0; i < list->count; i++)
        ASSERT_EQ_INT(DEFINITION_ERROR, list->items[i].severity);
}

static void test_diagnose_lists_every_missing_target(void)
{
    static const char machine[] = "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Next\":\"Nowhere\"},"
                                  "\"B\":{\"Type\":\"Pass\",\"Next\":\"Elsewhere\"}}}";
    struct definition_diagnostics list = { 0 };
    diagnose_errors(machine, MACHINE_STANDARD, &list);
    ASSERT_EQ_INT(3, (long)list.count);
    ASSERT_EQ_STR("MISSING_TRANSITION_TARGET", list.items[0].code);
    ASSERT_EQ_STR("Missing 'Next' target: Nowhere", list.items[0].message);
    ASSERT_EQ_STR("/States/A/Next", list.items[0].location);
    ASSERT_EQ_STR("MISSING_TRANSITION_TARGET", list.items[1].code);
    ASSERT_EQ_STR("/States/B/Next", list.items[1].location);
    ASSERT_EQ_STR("UNREACHABLE_STATE", list.items[2].code);
    ASSERT_EQ_STR("/States/B", list.items[2].location);
    definition_diagnostics_free(&list);
}

static void test_diagnose_goes_on_after_a_bad_state(void)
{
    /* A's Bogus field stops A, yet A's Next still makes B reachable; C is not. */
    static const char machine[] = "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Bogus\":1,\"Next\":\"B\"},"
                                  "\"B\":{\"Type\":\"Pass\",\"End\":true},\"C\":{\"Type\":\"Pass\",\"End\":true}}}";
    struct definition_diagnostics list = { 0 };
    diagnose_errors(machine, MACHINE_STANDARD, &list);
    ASSERT_EQ_INT(2, (long)list.count);
    ASSERT_EQ_STR("SCHEMA_VALIDATION_FAILED", list.items[0].code);
    ASSERT_EQ_STR("UNREACHABLE_STATE", list.items[1].code);
    ASSERT_EQ_STR("State 'C' is not reachable", list.items[1].message);
    ASSERT_EQ_STR("/States/C", list.items[1].location);
    definition_diagnostics_free(&list);
}

static void test_diagnose_lists_errors_of_each_branch_before_the_scope_s_own(void)
{
    static const char machine[] =
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\",\"Next\":\"Gone\",\"Branches\":["
        "{\"StartAt\":\"X\",\"States\":{\"X\":{\"Type\":\"Nope\",\"End\":true}}},"
        "{\"StartAt\":\"Y\",\"States\":{\"Y\":{\"Type\":\"Pass\",\"Next\":\"Z\"}}}]},"
        "\"D\":{\"Type\":\"Pass\",\"Next\":\"Gone\"}}}";
    struct definition_diagnostics list = { 0 };
    diagnose_errors(machine, MACHINE_STANDARD, &list);
    ASSERT_EQ_INT(4, (long)list.count);
    ASSERT_EQ_STR("/States/P/Branches[0]/States/X/Type", list.items[0].location);
    ASSERT_EQ_STR("/States/P/Branches[1]/States/Y/Next", list.items[1].location);
    ASSERT_EQ_STR("/States/D/Next", list.items[2].location);
    ASSERT_EQ_STR("/States/D", list.items[3].location);
    definition_diagnostics_free(&list);
}

static void test_diagnose_reports_a_duplicate_name_once(void)
{
    static const char machine[] = "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"End\":true},"
                                  "\"A\":{\"Type\":\"Pass\",\"End\":true}}}";
    struct definition_diagnostics list = { 0 };
    diagnose_errors(machine, MACHINE_STANDARD, &list);
    ASSERT_EQ_INT(1, (long)list.count);
    ASSERT_EQ_STR("DUPLICATE_STATE_NAME", list.items[0].code);
    definition_diagnostics_free(&list);
}

static void test_diagnose_lists_every_express_refusal(void)
{
    static const char machine[] =
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":"
        "\"arn:aws:states:::sqs:sendMessage.waitForTaskToken\",\"Next\":\"B\"},\"B\":{\"Type\":\"Task\","
        "\"Resource\":\"arn:aws:states:::states:startExecution.sync\",\"End\":true}}}";
    struct definition_diagnostics list = { 0 };
    diagnose_errors(machine, MACHINE_EXPRESS, &list);
    ASSERT_EQ_INT(2, (long)list.count);
    ASSERT_EQ_STR("/States/A/Resource", list.items[0].location);
    ASSERT_EQ_STR("/States/B/Resource", list.items[1].location);
    definition_diagnostics_free(&list);
}

static void test_diagnose_warns_of_paths_in_fields_that_take_none(void)
{
    static const char machine[] =
        "{\"StartAt\":\"C\",\"States\":{\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.a\","
        "\"StringEquals\":\"$.b\",\"Next\":\"F\"},{\"Not\":{\"Variable\":\"$.a\",\"StringLessThan\":\"$$.x\"},"
        "\"Next\":\"F\"},{\"Variable\":\"$.a\",\"StringEquals\":\"$ plain\",\"Next\":\"F\"}],\"Default\":\"F\"},"
        "\"F\":{\"Type\":\"Fail\",\"Error\":\"$.error\",\"Cause\":\"States.Format('x')\"}}}";
    struct definition_diagnostics list = { 0 };
    ASSERT_EQ_INT(0, definition_diagnose(machine, MACHINE_STANDARD, true, &list));
    ASSERT_EQ_INT(3, (long)list.count);
    ASSERT_EQ_STR("NO_PATH", list.items[0].code);
    ASSERT_EQ_STR("/States/C/Choices/0/StringEquals", list.items[0].location);
    ASSERT_EQ_STR("/States/C/Choices/1/Not/StringLessThan", list.items[1].location);
    ASSERT_EQ_STR("/States/F/Error", list.items[2].location);
    definition_diagnostics_free(&list);
}

static int count_problem(void *context, const char *error)
{
    (void)error;
    ++*(int *)context;
    return 0;
}

static void test_the_parse_stops_at_the_limit(void)
{
    static const char machine[] =
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Next\":\"N1\"},"
        "\"B\":{\"Type\":\"Pass\",\"Next\":\"N2\"},\"C\":{\"Type\":\"Pass\",\"Next\":\"N3\"}}}";
    int reported = 0;
    struct state_machine_problems problems = { .report = count_problem, .context = &reported, .limit = 2 };
    struct state_machine *machine_out = NULL;
    ASSERT_EQ_INT(-EINVAL, state_machine_parse_reporting(machine, strlen(machine), &machine_out, &problems));
    ASSERT_EQ_INT(2, reported);
    ASSERT_EQ_INT(2, (long)problems.count);
    ASSERT_NULL(machine_out);
}

int main(void)
{
    RUN(test_type_names);
    RUN(test_hash_is_sha256_of_the_text_as_given);
    RUN(test_standard_machines_may_wait_for_callbacks);
    RUN(test_express_machines_refuse_callbacks_with_aws_text);
    RUN(test_express_machines_may_call_request_response_tasks);
    RUN(test_parse_errors_pass_through);
    RUN(test_an_error_text_splits_into_code_message_and_location);
    RUN(test_diagnose_reports_the_create_error);
    RUN(test_diagnose_warns_of_paths_that_are_not_evaluated);
    RUN(test_diagnose_lists_every_missing_target);
    RUN(test_diagnose_goes_on_after_a_bad_state);
    RUN(test_diagnose_lists_errors_of_each_branch_before_the_scope_s_own);
    RUN(test_diagnose_reports_a_duplicate_name_once);
    RUN(test_diagnose_lists_every_express_refusal);
    RUN(test_the_parse_stops_at_the_limit);
    RUN(test_diagnose_warns_of_paths_in_fields_that_take_none);
    return test_done();
}
