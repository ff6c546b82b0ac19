/*
 * test_activity_arn.c - unit tests for loan-processor/activity_arn.c
 */
#include "activity_arn.h"
#include "test.h"

#include <errno.h>
#include <stdbool.h>

#define VALID_ARN "arn:aws:states:eu-west-2:123456789012:activity:Valuer-1.v2"

static void test_parses_an_activity_arn(void)
{
    struct activity_arn parsed;
    ASSERT_EQ_INT(ACTIVITY_ARN_VALID, activity_arn_parse(VALID_ARN, &parsed));
    ASSERT_EQ_STR("eu-west-2", parsed.region);
    ASSERT_EQ_STR("123456789012", parsed.account);
    ASSERT_EQ_STR("activity", parsed.resource_type);
    ASSERT_EQ_STR("Valuer-1.v2", parsed.name);
    ASSERT_EQ_INT(ACTIVITY_ARN_VALID, activity_arn_parse(VALID_ARN, NULL));
    ASSERT_TRUE(activity_arn_is_activity(VALID_ARN));
}

static void test_tells_other_step_functions_resources(void)
{
    struct activity_arn parsed;
    ASSERT_EQ_INT(ACTIVITY_ARN_OTHER_RESOURCE,
                  activity_arn_parse("arn:aws:states:us-east-1:123456789012:stateMachine:Loan", &parsed));
    ASSERT_EQ_STR("stateMachine", parsed.resource_type);
    ASSERT_EQ_INT(ACTIVITY_ARN_OTHER_RESOURCE,
                  activity_arn_parse("arn:aws:states:us-east-1:123456789012:execution:Loan:run-1", &parsed));
    ASSERT_EQ_STR("execution", parsed.resource_type);
    ASSERT_TRUE(!activity_arn_is_activity("arn:aws:states:us-east-1:123456789012:stateMachine:Loan"));
}

static void test_rejects_malformed_arns(void)
{
    static const char *const malformed[] = {
        "",
        "not_an_activity_arn",
        "arn:aws:sns:us-east-1:123456789012:activity:Valuer",
        "arn:aws:states:::lambda:invoke",                       /* a service integration, not an activity */
        "arn:aws:states:us-east-1:12345678901:activity:Valuer", /* 11-digit account */
        "arn:aws:states:us-east-1:12345678901x:activity:Valuer",
        "arn:aws:states:US-EAST-1:123456789012:activity:Valuer",
        "arn:aws:states::123456789012:activity:Valuer",
        "arn:aws:states:us-east-1:123456789012:activity:",
        "arn:aws:states:us-east-1:123456789012:activity",
        "arn:aws:states:us-east-1:123456789012:activity:a:b",
        "arn:aws:states:us-east-1:123456789012:activity:"
        "x12345678901234567890123456789012345678901234567890123456789012345678901234567890", /* 81 characters */
    };
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        if (activity_arn_parse(malformed[i], NULL) != ACTIVITY_ARN_MALFORMED)
            printf("# not refused: %s\n", malformed[i]);
        ASSERT_EQ_INT(ACTIVITY_ARN_MALFORMED, activity_arn_parse(malformed[i], NULL));
        ASSERT_TRUE(!activity_arn_is_activity(malformed[i]));
    }
    ASSERT_TRUE(!activity_arn_is_activity(NULL));
}

static void test_accepts_an_80_character_name(void)
{
    struct activity_arn parsed;
    const char *arn = "arn:aws:states:us-east-1:123456789012:activity:"
                      "1234567890123456789012345678901234567890123456789012345678901234567890123456789x";
    ASSERT_EQ_INT(ACTIVITY_ARN_VALID, activity_arn_parse(arn, &parsed));
    ASSERT_EQ_INT(80, strlen(parsed.name));
}

static void test_formats_an_activity_arn(void)
{
    char arn[ACTIVITY_ARN_SIZE], small[16];
    ASSERT_EQ_INT(0, activity_arn_format("eu-west-2", "123456789012", "Valuer-1.v2", arn, sizeof(arn)));
    ASSERT_EQ_STR(VALID_ARN, arn);
    ASSERT_EQ_INT(-ENAMETOOLONG, activity_arn_format("eu-west-2", "123456789012", "Valuer", small, sizeof(small)));
}

int main(void)
{
    RUN(test_parses_an_activity_arn);
    RUN(test_tells_other_step_functions_resources);
    RUN(test_rejects_malformed_arns);
    RUN(test_accepts_an_80_character_name);
    RUN(test_formats_an_activity_arn);
    return test_done();
}
