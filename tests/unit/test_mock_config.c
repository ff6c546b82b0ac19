/*
 * test_mock_config.c - unit tests for loan-processor/integrations/mock_config.c:
 * the mock configuration of AWS Step Functions Local (the documented
 * example parses; each kind of bad file is refused with its reason) and
 * which answer a mocked state gets at each invocation.
 */
#include "mock_config.h"
#include "test.h"

#include <errno.h>
#include <string.h>

/* The example of AWS's "Configuration file for mocked service integrations". */
static const char aws_example[] =
    "{\"StateMachines\":{\"LambdaSQSIntegration\":{\"TestCases\":{"
    "\"HappyPath\":{\"LambdaState\":\"MockedLambdaSuccess\",\"SQSState\":\"MockedSQSSuccess\"},"
    "\"RetryPath\":{\"LambdaState\":\"MockedLambdaRetry\",\"SQSState\":\"MockedSQSSuccess\"},"
    "\"HybridPath\":{\"LambdaState\":\"MockedLambdaSuccess\"}}}},\n"
    "\"MockedResponses\":{"
    "\"MockedLambdaSuccess\":{\"0\":{\"Return\":{\"StatusCode\":200,\"Payload\":{\"StatusCode\":200,"
    "\"body\":\"Hello from Lambda!\"}}}},"
    "\"LambdaMockedResourceNotReady\":{\"0\":{\"Throw\":{\"Error\":\"Lambda.ResourceNotReadyException\","
    "\"Cause\":\"Lambda resource is not ready.\"}}},"
    "\"MockedSQSSuccess\":{\"0\":{\"Return\":{\"MD5OfMessageBody\":\"3bcb6e8e\",\"MessageId\":\"3bcb6e8e\"}}},"
    "\"MockedLambdaRetry\":{\"0\":{\"Throw\":{\"Error\":\"Lambda.ResourceNotReadyException\","
    "\"Cause\":\"Lambda resource is not ready.\"}},"
    "\"1-2\":{\"Throw\":{\"Error\":\"Lambda.TimeoutException\",\"Cause\":\"Lambda timed out.\"}},"
    "\"3\":{\"Return\":{\"StatusCode\":200,\"Payload\":{\"StatusCode\":200,\"body\":\"Hello from Lambda!\"}}}}}}";

static struct mock_config *parse_good(const char *text)
{
    struct mock_config *config = NULL;
    char error[512] = "";
    int result = mock_config_parse(text, strlen(text), &config, error, sizeof(error));
    if (result != 0)
        printf("# expected the configuration to parse, got %d: %s\n", result, error);
    return config;
}

/* Expects text refused with a reason containing reason. */
static void expect_refused(const char *text, const char *reason)
{
    struct mock_config *config = NULL;
    char error[512] = "";
    ASSERT_EQ_INT(-EINVAL, mock_config_parse(text, strlen(text), &config, error, sizeof(error)));
    ASSERT_NULL(config);
    if (!strstr(error, reason))
        TEST_FAIL_("expected a reason with \"%s\", got \"%s\"", reason, error);
}

static void test_the_aws_example_parses_and_names_its_test_cases(void)
{
    struct mock_config *config = parse_good(aws_example);
    ASSERT_NOT_NULL(config);
    ASSERT_TRUE(mock_config_has_test_case(config, "LambdaSQSIntegration", "HappyPath"));
    ASSERT_TRUE(mock_config_has_test_case(config, "LambdaSQSIntegration", "HybridPath"));
    ASSERT_TRUE(!mock_config_has_test_case(config, "LambdaSQSIntegration", "Unknown"));
    ASSERT_TRUE(!mock_config_has_test_case(config, "Other", "HappyPath"));
    ASSERT_TRUE(!mock_config_has_test_case(NULL, "LambdaSQSIntegration", "HappyPath"));
    mock_config_free(config);
}

static void test_a_return_is_the_mocked_result(void)
{
    struct mock_config *config = parse_good(aws_example);
    ASSERT_NOT_NULL(config);
    struct mock_answer answer;
    ASSERT_TRUE(mock_config_answer(config, "LambdaSQSIntegration", "HappyPath", "SQSState", 0, &answer));
    ASSERT_TRUE(!answer.thrown);
    char *text = cJSON_PrintUnformatted(answer.result);
    ASSERT_EQ_STR("{\"MD5OfMessageBody\":\"3bcb6e8e\",\"MessageId\":\"3bcb6e8e\"}", text);
    cJSON_free(text);
    mock_config_free(config);
}

static void test_invocations_follow_indexes_and_ranges(void)
{
    struct mock_config *config = parse_good(aws_example);
    ASSERT_NOT_NULL(config);
    struct mock_answer answer;
    const char *expected[] = { "Lambda.ResourceNotReadyException", "Lambda.TimeoutException",
                               "Lambda.TimeoutException" };
    for (long i = 0; i < 3; i++) {
        ASSERT_TRUE(mock_config_answer(config, "LambdaSQSIntegration", "RetryPath", "LambdaState", i, &answer));
        ASSERT_TRUE(answer.thrown);
        ASSERT_EQ_STR(expected[i], answer.error);
    }
    ASSERT_EQ_STR("Lambda timed out.", answer.cause);
    ASSERT_TRUE(mock_config_answer(config, "LambdaSQSIntegration", "RetryPath", "LambdaState", 3, &answer));
    ASSERT_TRUE(!answer.thrown);
    ASSERT_NOT_NULL(cJSON_GetObjectItemCaseSensitive(answer.result, "Payload"));
    mock_config_free(config);
}

static void test_past_the_last_index_the_last_entry_answers_again(void)
{
    struct mock_config *config = parse_good(aws_example);
    ASSERT_NOT_NULL(config);
    struct mock_answer answer;
    ASSERT_TRUE(mock_config_answer(config, "LambdaSQSIntegration", "RetryPath", "LambdaState", 9, &answer));
    ASSERT_TRUE(!answer.thrown);
    ASSERT_TRUE(mock_config_answer(config, "LambdaSQSIntegration", "HappyPath", "LambdaState", 5, &answer));
    ASSERT_TRUE(!answer.thrown);
    mock_config_free(config);
}

static void test_states_not_in_the_test_case_are_not_mocked(void)
{
    struct mock_config *config = parse_good(aws_example);
    ASSERT_NOT_NULL(config);
    struct mock_answer answer;
    ASSERT_TRUE(!mock_config_answer(config, "LambdaSQSIntegration", "HybridPath", "SQSState", 0, &answer));
    ASSERT_TRUE(!mock_config_answer(config, "LambdaSQSIntegration", "Nope", "LambdaState", 0, &answer));
    ASSERT_TRUE(!mock_config_answer(config, "LambdaSQSIntegration", "HappyPath", NULL, 0, &answer));
    ASSERT_TRUE(!mock_config_answer(NULL, "LambdaSQSIntegration", "HappyPath", "LambdaState", 0, &answer));
    mock_config_free(config);
}

static void test_a_throw_without_cause_has_a_null_cause(void)
{
    struct mock_config *config = parse_good("{\"StateMachines\":{\"M\":{\"TestCases\":{\"C\":{\"S\":\"R\"}}}},"
                                            "\"MockedResponses\":{\"R\":{\"0\":{\"Throw\":{\"Error\":\"E\"}}}}}");
    struct mock_answer answer;
    ASSERT_TRUE(mock_config_answer(config, "M", "C", "S", 0, &answer));
    ASSERT_TRUE(answer.thrown);
    ASSERT_EQ_STR("E", answer.error);
    ASSERT_NULL(answer.cause);
    mock_config_free(config);
}

static void test_json_syntax_errors_give_their_line(void)
{
    expect_refused("{\"StateMachines\": {},\n\"MockedResponses\": {\n  \"R\": {\"0\": {\"Return\": 1}},,\n}}",
                   "line 3: invalid JSON");
    expect_refused("", "line 1: invalid JSON");
    expect_refused("{\"StateMachines\":{},\"MockedResponses\":{}}\n{}", "line 2: invalid JSON");
}

static void test_wrong_shapes_are_refused(void)
{
    expect_refused("[]", "must be a JSON object");
    expect_refused("{\"StateMachines\":{}}", "StateMachines and MockedResponses must both be objects");
    expect_refused("{\"StateMachines\":{},\"MockedResponse\":{}}", "unknown top-level field MockedResponse");
    expect_refused("{\"StateMachines\":{\"M\":{}},\"MockedResponses\":{}}", "StateMachines.M: must be an object");
    expect_refused("{\"StateMachines\":{\"M\":{\"TestCases\":{},\"X\":1}},\"MockedResponses\":{}}",
                   "StateMachines.M: unknown field X");
    expect_refused("{\"StateMachines\":{\"M\":{\"TestCases\":{\"C\":[]}}},\"MockedResponses\":{}}",
                   "StateMachines.M.TestCases.C: must be an object");
    expect_refused("{\"StateMachines\":{\"M\":{\"TestCases\":{\"C\":{\"S\":1}}}},\"MockedResponses\":{}}",
                   "StateMachines.M.TestCases.C.S: must be the name of a mocked response");
    expect_refused("{\"StateMachines\":{},\"MockedResponses\":{\"R\":{}}}", "MockedResponses.R: must be an object");
}

static void test_an_undefined_mocked_response_is_refused(void)
{
    expect_refused("{\"StateMachines\":{\"M\":{\"TestCases\":{\"C\":{\"S\":\"Missing\"}}}},\"MockedResponses\":{}}",
                   "StateMachines.M.TestCases.C.S: no mocked response Missing in MockedResponses");
}

static void test_bad_index_keys_are_refused(void)
{
    const char *keys[] = { "x", "2-1", "-1", "1-", "", "1-2-3", "99999999", "0x1" };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char text[256], reason[128];
        snprintf(text, sizeof(text), "{\"StateMachines\":{},\"MockedResponses\":{\"R\":{\"%s\":{\"Return\":1}}}}",
                 keys[i]);
        snprintf(reason, sizeof(reason), "MockedResponses.R.\"%s\": an invocation index must be N or N-M", keys[i]);
        expect_refused(text, reason);
    }
}

static void test_gaps_and_overlaps_are_refused(void)
{
    expect_refused("{\"StateMachines\":{},\"MockedResponses\":{\"R\":{\"1\":{\"Return\":1}}}}",
                   "MockedResponses.R: invocation 0 is missing");
    expect_refused("{\"StateMachines\":{},\"MockedResponses\":{\"R\":{\"0\":{\"Return\":1},\"2\":{\"Return\":1}}}}",
                   "MockedResponses.R: invocation 1 is missing");
    expect_refused("{\"StateMachines\":{},\"MockedResponses\":{\"R\":{\"0-2\":{\"Return\":1},\"1\":{\"Return\":1}}}}",
                   "MockedResponses.R: invocation 1 is given twice");
}

static void test_entries_need_exactly_one_of_return_and_throw(void)
{
    expect_refused("{\"StateMachines\":{},\"MockedResponses\":{\"R\":{\"0\":{}}}}",
                   "MockedResponses.R.\"0\": must have exactly one of Return and Throw");
    expect_refused("{\"StateMachines\":{},\"MockedResponses\":{\"R\":{\"0\":{\"Return\":1,\"Throw\":{\"Error\":"
                   "\"E\"}}}}}",
                   "MockedResponses.R.\"0\": must have exactly one of Return and Throw");
    expect_refused("{\"StateMachines\":{},\"MockedResponses\":{\"R\":{\"0\":{\"Retrun\":1}}}}",
                   "MockedResponses.R.\"0\": unknown field Retrun");
    expect_refused("{\"StateMachines\":{},\"MockedResponses\":{\"R\":{\"0\":1}}}",
                   "MockedResponses.R.\"0\": must be an object with Return or Throw");
    expect_refused("{\"StateMachines\":{},\"MockedResponses\":{\"R\":{\"0\":{\"Throw\":{\"Cause\":\"c\"}}}}}",
                   "MockedResponses.R.\"0\".Throw: must be {\"Error\": string");
    expect_refused("{\"StateMachines\":{},\"MockedResponses\":{\"R\":{\"0\":{\"Throw\":{\"Error\":\"E\",\"Cause\":"
                   "1}}}}}",
                   "MockedResponses.R.\"0\".Throw: must be");
}

int main(void)
{
    RUN(test_the_aws_example_parses_and_names_its_test_cases);
    RUN(test_a_return_is_the_mocked_result);
    RUN(test_invocations_follow_indexes_and_ranges);
    RUN(test_past_the_last_index_the_last_entry_answers_again);
    RUN(test_states_not_in_the_test_case_are_not_mocked);
    RUN(test_a_throw_without_cause_has_a_null_cause);
    RUN(test_json_syntax_errors_give_their_line);
    RUN(test_wrong_shapes_are_refused);
    RUN(test_an_undefined_mocked_response_is_refused);
    RUN(test_bad_index_keys_are_refused);
    RUN(test_gaps_and_overlaps_are_refused);
    RUN(test_entries_need_exactly_one_of_return_and_throw);
    return test_done();
}
