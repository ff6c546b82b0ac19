/*
 * test_sfn_arn.c - unit tests for loan-processor/sfn_arn.c
 */
#include "sfn_arn.h"
#include "test.h"

#include <errno.h>
#include <stdio.h>

#define MACHINE "arn:aws:states:us-east-1:123456789012:stateMachine:LoanProcessorStateMachine"
#define EXECUTION "arn:aws:states:us-east-1:123456789012:execution:LoanProcessorStateMachine:my-loan"

static void test_state_machine_arn(void)
{
    struct sfn_arn arn;
    char error[256] = "";
    ASSERT_EQ_INT(0, sfn_arn_parse(MACHINE, SFN_ARN_STATE_MACHINE, &arn, error, sizeof(error)));
    ASSERT_EQ_STR("LoanProcessorStateMachine", arn.state_machine);
    ASSERT_EQ_STR("", arn.execution_id);
}

static void test_execution_arn(void)
{
    struct sfn_arn arn;
    char error[256] = "";
    ASSERT_EQ_INT(0, sfn_arn_parse(EXECUTION, SFN_ARN_EXECUTION, &arn, error, sizeof(error)));
    ASSERT_EQ_STR("LoanProcessorStateMachine", arn.state_machine);
    ASSERT_EQ_STR("LoanProcessorStateMachine:my-loan", arn.execution_id);
}

static void test_other_partitions_and_qualified_names_parse(void)
{
    struct sfn_arn arn;
    char error[256] = "";
    ASSERT_EQ_INT(0, sfn_arn_parse("arn:aws-cn:states:cn-north-1:123456789012:stateMachine:M:1", SFN_ARN_STATE_MACHINE,
                                   &arn, error, sizeof(error)));
    ASSERT_EQ_STR("M:1", arn.state_machine); /* a version: a name that never exists here */
}

/* The AWS-recorded detail for anything that is not an ARN of Step Functions. */
static void test_invalid_prefix(void)
{
    static const char *const cases[] = {
        "not_a_valid_arn",
        "",
        "arn:",
        "arn:aws:lambda:us-east-1:123456789012:function:f",
        "arn:aws:states:us-east-1:12345:stateMachine:M",
        "arn:aws:states::123456789012:stateMachine:M",
        "arn:aws:states:us-east-1:123456789012:stateMachine:",
        "arn:aws:states:us-east-1:123456789012:stateMachine",
        "arn:aws:states:us-east-1:123456789012:execution:M",
        "arn:aws:states:us-east-1:123456789012:execution::e",
        "arn:aws:states:us-east-1:123456789012:execution:M:",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sfn_arn arn;
        char error[256] = "", expected[300];
        enum sfn_arn_type type = strstr(cases[i], ":execution") ? SFN_ARN_EXECUTION : SFN_ARN_STATE_MACHINE;
        ASSERT_EQ_INT(-EINVAL, sfn_arn_parse(cases[i], type, &arn, error, sizeof(error)));
        snprintf(expected, sizeof(expected), "Invalid ARN prefix: %s", cases[i]);
        ASSERT_EQ_STR(expected, error);
    }
}

static void test_resource_type_not_valid_in_this_context(void)
{
    struct sfn_arn arn;
    char error[256] = "";
    ASSERT_EQ_INT(-EINVAL, sfn_arn_parse(EXECUTION, SFN_ARN_STATE_MACHINE, &arn, error, sizeof(error)));
    ASSERT_EQ_STR("Resource type not valid in this context: execution", error);
    ASSERT_EQ_INT(-EINVAL, sfn_arn_parse(MACHINE, SFN_ARN_EXECUTION, &arn, error, sizeof(error)));
    ASSERT_EQ_STR("Resource type not valid in this context: statemachine", error);
    ASSERT_EQ_INT(-EINVAL, sfn_arn_parse("arn:aws:states:us-east-1:123456789012:express:M:e:uuid", SFN_ARN_EXECUTION,
                                         &arn, error, sizeof(error)));
    ASSERT_EQ_STR("Resource type not valid in this context: express", error);
}

static void test_activity_arns(void)
{
    struct sfn_arn arn;
    char error[256] = "";
    ASSERT_EQ_INT(0, sfn_arn_parse("arn:aws:states:us-east-1:123456789012:activity:valuer", SFN_ARN_ACTIVITY, &arn,
                                   error, sizeof(error)));
    ASSERT_EQ_STR("valuer", arn.activity);
    ASSERT_EQ_INT(-EINVAL, sfn_arn_parse("arn:aws:states:us-east-1:123456789012:activity:", SFN_ARN_ACTIVITY, &arn,
                                         error, sizeof(error)));
    ASSERT_EQ_STR("Invalid ARN prefix: arn:aws:states:us-east-1:123456789012:activity:", error);
    ASSERT_EQ_INT(-EINVAL, sfn_arn_parse("arn:aws:states:us-east-1:123456789012:activity:a:b", SFN_ARN_ACTIVITY, &arn,
                                         error, sizeof(error)));
    ASSERT_EQ_STR("Invalid ARN prefix: arn:aws:states:us-east-1:123456789012:activity:a:b", error);
    ASSERT_EQ_INT(-EINVAL, sfn_arn_parse(MACHINE, SFN_ARN_ACTIVITY, &arn, error, sizeof(error)));
    ASSERT_EQ_STR("Resource type not valid in this context: statemachine", error);
}

static void test_role_arns(void)
{
    char error[256] = "";
    ASSERT_EQ_INT(0, sfn_arn_check("arn:aws:iam::123456789012:role/LoanProcessorRole", error, sizeof(error)));
    ASSERT_EQ_INT(-EINVAL, sfn_arn_check("not-an-arn", error, sizeof(error)));
    ASSERT_EQ_STR("Invalid ARN prefix: not-an-arn", error);
    ASSERT_EQ_INT(-EINVAL, sfn_arn_check("arn:aws:iam::123456789012:", error, sizeof(error)));
    ASSERT_EQ_INT(-EINVAL, sfn_arn_check("arn::iam::123456789012:role/R", error, sizeof(error)));
    ASSERT_EQ_INT(-EINVAL, sfn_arn_check("arn:aws:iam:role/R", error, sizeof(error)));
}

#define MAP_RUN_PREFIX "arn:aws:states:us-east-1:123456789012:mapRun:"

static void test_map_run_arns(void)
{
    struct sfn_arn arn;
    char error[512];
    ASSERT_EQ_INT(0, sfn_arn_parse(MAP_RUN_PREFIX "M/Items:0f5e6c1a-2b3c-4d5e-8f90-123456789abc", SFN_ARN_MAP_RUN, &arn,
                                   error, sizeof(error)));
    ASSERT_EQ_STR("M/Items:0f5e6c1a-2b3c-4d5e-8f90-123456789abc", arn.map_run_id);
    ASSERT_EQ_STR("M", arn.state_machine);
    static const char *const malformed[] = {
        MAP_RUN_PREFIX "M",
        MAP_RUN_PREFIX "M/Items",
        MAP_RUN_PREFIX "/Items:u",
        MAP_RUN_PREFIX "M/:u",
        MAP_RUN_PREFIX "M/Items:",
        MAP_RUN_PREFIX "M:Items/u",
        "arn:aws:states:us-east-1:123:mapRun:M/L:u",
    };
    char expected[512];
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        ASSERT_EQ_INT(-EINVAL, sfn_arn_parse(malformed[i], SFN_ARN_MAP_RUN, &arn, error, sizeof(error)));
        snprintf(expected, sizeof(expected), "Invalid ARN prefix: %s", malformed[i]);
        ASSERT_EQ_STR(expected, error);
    }
    ASSERT_EQ_INT(-EINVAL, sfn_arn_parse(EXECUTION, SFN_ARN_MAP_RUN, &arn, error, sizeof(error)));
    ASSERT_EQ_STR("Resource type not valid in this context: execution", error);
    ASSERT_EQ_INT(-EINVAL, sfn_arn_parse(MAP_RUN_PREFIX "M/L:u", SFN_ARN_EXECUTION, &arn, error, sizeof(error)));
    ASSERT_EQ_STR("Resource type not valid in this context: maprun", error);
    char long_arn[600];
    snprintf(long_arn, sizeof(long_arn), MAP_RUN_PREFIX "M/L:%0300d", 7);
    ASSERT_EQ_INT(-ENAMETOOLONG, sfn_arn_parse(long_arn, SFN_ARN_MAP_RUN, &arn, error, sizeof(error)));
}

static void test_error_text_is_always_terminated(void)
{
    struct sfn_arn arn;
    char error[8];
    ASSERT_EQ_INT(-EINVAL,
                  sfn_arn_parse("a very long value that is not an ARN", SFN_ARN_EXECUTION, &arn, error, sizeof(error)));
    ASSERT_EQ_STR("Invalid", error);
}

int main(void)
{
    RUN(test_state_machine_arn);
    RUN(test_execution_arn);
    RUN(test_other_partitions_and_qualified_names_parse);
    RUN(test_invalid_prefix);
    RUN(test_resource_type_not_valid_in_this_context);
    RUN(test_activity_arns);
    RUN(test_role_arns);
    RUN(test_map_run_arns);
    RUN(test_error_text_is_always_terminated);
    return test_done();
}
