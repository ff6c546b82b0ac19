/*
 * test_definition.c - unit tests for loan-processor/definition.c
 */
#include "definition.h"
#include "test.h"

#include <errno.h>

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

int main(void)
{
    RUN(test_type_names);
    RUN(test_hash_is_sha256_of_the_text_as_given);
    RUN(test_standard_machines_may_wait_for_callbacks);
    RUN(test_express_machines_refuse_callbacks_with_aws_text);
    RUN(test_express_machines_may_call_request_response_tasks);
    RUN(test_parse_errors_pass_through);
    return test_done();
}
