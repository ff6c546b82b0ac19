/*
 * Unit tests for state_test: one state run once, as TestState runs it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "state_test.h"
#include "test.h"

/* The outcome of one test: the response, or the refusal. */
struct tried {
    int result;
    enum state_test_refusal refusal;
    char message[1024];
    cJSON *response;
    const cJSON *inspection;
};

static const char *member(const cJSON *object, const char *name)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(object, name);
    return cJSON_IsString(value) ? value->valuestring : NULL;
}

/* The names of object's members, comma-separated, into buffer. */
static const char *keys(const cJSON *object, char *buffer, size_t size)
{
    size_t used = 0;
    buffer[0] = '\0';
    for (const cJSON *item = object ? object->child : NULL; item && used < size; item = item->next)
        used += (size_t)snprintf(buffer + used, size - used, "%s%s", used ? "," : "", item->string);
    return buffer;
}

static struct state_test_request base_request(const char *definition, const char *input)
{
    return (struct state_test_request){
        .definition = definition,
        .input = input,
        .level = STATE_TEST_DEBUG,
        .retrier_retry_count = -1,
        .execution_arn = "arn:aws:states:us-east-1:123456789012:execution:TestState:x",
        .state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:TestState",
        .region = "us-east-1",
        .now_ms = 1700000000000,
        .token = "token-1",
    };
}

/* Runs request to its end (no real task); fills tried. */
static void run(const struct state_test_request *request, struct tried *tried)
{
    struct state_test test = { 0 };
    *tried = (struct tried){ 0 };
    tried->result = state_test_begin(request, &test, &tried->refusal, tried->message, sizeof(tried->message));
    if (tried->result == 0 && !state_test_waits(&test)) {
        tried->response = state_test_response(&test);
        tried->inspection = cJSON_GetObjectItemCaseSensitive(tried->response, "inspectionData");
    }
    state_test_release(&test);
}

static void test_pass_with_parameters_and_result_path(void)
{
    struct state_test_request request =
        base_request("{\"Type\":\"Pass\",\"InputPath\":\"$.a\",\"Parameters\":{\"v.$\":\"$.b\"},"
                     "\"ResultPath\":\"$.out\",\"Next\":\"After\"}",
                     "{\"a\":{\"b\":7}}");
    struct tried tried;
    run(&request, &tried);
    ASSERT_EQ_INT(0, tried.result);
    ASSERT_EQ_STR("SUCCEEDED", member(tried.response, "status"));
    ASSERT_EQ_STR("{\"a\":{\"b\":7},\"out\":{\"v\":7}}", member(tried.response, "output"));
    ASSERT_EQ_STR("After", member(tried.response, "nextState"));
    ASSERT_EQ_STR("{\"b\":7}", member(tried.inspection, "afterInputPath"));
    ASSERT_EQ_STR("{\"v\":7}", member(tried.inspection, "afterParameters"));
    ASSERT_EQ_STR("{\"v\":7}", member(tried.inspection, "afterResultSelector"));
    ASSERT_EQ_STR("{\"a\":{\"b\":7},\"out\":{\"v\":7}}", member(tried.inspection, "afterResultPath"));
    char names[256];
    ASSERT_EQ_STR("input,afterInputPath,afterParameters,afterResultSelector,afterResultPath",
                  keys(tried.inspection, names, sizeof(names)));
    cJSON_Delete(tried.response);
}

/* A Pass's Result is its result; AWS then shows no afterInputPath or afterParameters. */
static void test_pass_with_result(void)
{
    struct state_test_request request =
        base_request("{\"Type\":\"Pass\",\"Result\":{\"r\":1},\"ResultPath\":\"$.out\",\"End\":true}", "{\"a\":2}");
    struct tried tried;
    char names[256];
    run(&request, &tried);
    ASSERT_EQ_STR("{\"a\":2,\"out\":{\"r\":1}}", member(tried.response, "output"));
    ASSERT_EQ_STR("input,result,afterResultSelector,afterResultPath", keys(tried.inspection, names, sizeof(names)));
    ASSERT_EQ_STR("{\"r\":1}", member(tried.inspection, "result"));
    ASSERT_EQ_STR("{\"r\":1}", member(tried.inspection, "afterResultSelector"));
    ASSERT_EQ_STR("{\"a\":2,\"out\":{\"r\":1}}", member(tried.inspection, "afterResultPath"));
    cJSON_Delete(tried.response);
}

/* Fail, Succeed and Choice show only input and afterInputPath. */
static void test_inspection_of_flow_states(void)
{
    static const char *const definitions[] = {
        "{\"Type\":\"Fail\",\"Error\":\"E\",\"Cause\":\"why\"}",
        "{\"Type\":\"Succeed\",\"InputPath\":\"$.v\"}",
        "{\"Type\":\"Choice\",\"InputPath\":\"$.v\",\"Choices\":[{\"Variable\":\"$\",\"NumericEquals\":1,"
        "\"Next\":\"One\"}],\"Default\":\"Other\"}",
    };
    static const char *const after_input_path[] = { "{\"v\":1}", "1", "1" };
    for (size_t i = 0; i < sizeof(definitions) / sizeof(definitions[0]); i++) {
        struct state_test_request request = base_request(definitions[i], "{\"v\":1}");
        struct tried tried;
        char names[256];
        run(&request, &tried);
        ASSERT_EQ_STR("input,afterInputPath", keys(tried.inspection, names, sizeof(names)));
        ASSERT_EQ_STR(after_input_path[i], member(tried.inspection, "afterInputPath"));
        cJSON_Delete(tried.response);
    }
}

static void test_info_level_has_no_inspection(void)
{
    struct state_test_request request = base_request("{\"Type\":\"Pass\",\"End\":true}", NULL);
    request.level = STATE_TEST_INFO;
    struct tried tried;
    run(&request, &tried);
    ASSERT_EQ_STR("{}", member(tried.response, "output"));
    ASSERT_TRUE(!tried.inspection);
    ASSERT_TRUE(!member(tried.response, "nextState"));
    cJSON_Delete(tried.response);
}

static void test_choice_and_wait(void)
{
    struct state_test_request request = base_request(
        "{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.n\",\"NumericGreaterThan\":1,\"Next\":\"Big\"}],"
        "\"Default\":\"Small\"}",
        "{\"n\":5}");
    struct tried tried;
    run(&request, &tried);
    ASSERT_EQ_STR("Big", member(tried.response, "nextState"));
    cJSON_Delete(tried.response);
    request = base_request("{\"Type\":\"Wait\",\"Seconds\":3600,\"Next\":\"Later\"}", "{\"x\":1}");
    run(&request, &tried);
    ASSERT_EQ_STR("SUCCEEDED", member(tried.response, "status"));
    ASSERT_EQ_STR("Later", member(tried.response, "nextState"));
    ASSERT_EQ_STR("{\"x\":1}", member(tried.response, "output"));
    cJSON_Delete(tried.response);
}

static void test_fail_state(void)
{
    struct state_test_request request = base_request("{\"Type\":\"Fail\",\"Error\":\"E\",\"Cause\":\"why\"}", NULL);
    struct tried tried;
    run(&request, &tried);
    ASSERT_EQ_STR("FAILED", member(tried.response, "status"));
    ASSERT_EQ_STR("E", member(tried.response, "error"));
    ASSERT_EQ_STR("why", member(tried.response, "cause"));
    cJSON_Delete(tried.response);
}

static const char task_with_handlers[] =
    "{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::lambda:invoke\",\"Parameters\":{\"p.$\":\"$.x\"},"
    "\"Retry\":[{\"ErrorEquals\":[\"Busy\"],\"MaxAttempts\":2,\"IntervalSeconds\":3}],"
    "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"ResultPath\":\"$.error\",\"Next\":\"Handle\"}],\"Next\":\"Done\"}";

static void test_mocked_task_result(void)
{
    struct state_test_request request = base_request(task_with_handlers, "{\"x\":1}");
    request.mocked = true;
    request.mock_result = "{\"Payload\":42}";
    struct tried tried;
    run(&request, &tried);
    ASSERT_EQ_STR("SUCCEEDED", member(tried.response, "status"));
    ASSERT_EQ_STR("{\"Payload\":42}", member(tried.response, "output"));
    ASSERT_EQ_STR("Done", member(tried.response, "nextState"));
    ASSERT_EQ_STR("{\"p\":1}", member(tried.inspection, "afterParameters"));
    ASSERT_EQ_STR("{\"Payload\":42}", member(tried.inspection, "result"));
    cJSON_Delete(tried.response);
}

static void test_mocked_error_retriable_then_caught(void)
{
    struct state_test_request request = base_request(task_with_handlers, "{\"x\":1}");
    request.mocked = true;
    request.mock_error = "Busy";
    request.mock_cause = "try later";
    struct tried tried;
    run(&request, &tried);
    ASSERT_EQ_STR("RETRIABLE", member(tried.response, "status"));
    ASSERT_EQ_STR("Busy", member(tried.response, "error"));
    const cJSON *details = cJSON_GetObjectItemCaseSensitive(tried.inspection, "errorDetails");
    ASSERT_EQ_INT(0, cJSON_GetObjectItemCaseSensitive(details, "retryIndex")->valueint);
    ASSERT_EQ_INT(3, cJSON_GetObjectItemCaseSensitive(details, "retryBackoffIntervalSeconds")->valueint);
    cJSON_Delete(tried.response);

    request.retrier_retry_count = 2; /* the retrier is spent: the catcher takes the error */
    run(&request, &tried);
    ASSERT_EQ_STR("CAUGHT_ERROR", member(tried.response, "status"));
    ASSERT_EQ_STR("Handle", member(tried.response, "nextState"));
    ASSERT_EQ_STR("{\"x\":1,\"error\":{\"Error\":\"Busy\",\"Cause\":\"try later\"}}", member(tried.response, "output"));
    details = cJSON_GetObjectItemCaseSensitive(tried.inspection, "errorDetails");
    ASSERT_EQ_INT(0, cJSON_GetObjectItemCaseSensitive(details, "catchIndex")->valueint);
    cJSON_Delete(tried.response);
}

static void test_real_task_waits_for_its_outcome(void)
{
    struct state_test_request request = base_request(task_with_handlers, "{\"x\":1}");
    struct state_test test = { 0 };
    enum state_test_refusal refusal;
    char message[256];
    ASSERT_EQ_INT(0, state_test_begin(&request, &test, &refusal, message, sizeof(message)));
    ASSERT_TRUE(state_test_waits(&test));
    ASSERT_EQ_STR("invoke", state_test_task(&test)->resource);
    ASSERT_EQ_INT(0, state_test_task_done(&test, "{\"ok\":true}", NULL, NULL, false));
    ASSERT_TRUE(!state_test_waits(&test));
    cJSON *response = state_test_response(&test);
    ASSERT_EQ_STR("{\"ok\":true}", member(response, "output"));
    cJSON_Delete(response);
    state_test_release(&test);

    /* A task that runs past its time fails with States.Timeout, which the catcher takes. */
    ASSERT_EQ_INT(0, state_test_begin(&request, &test, &refusal, message, sizeof(message)));
    ASSERT_EQ_INT(0, state_test_task_done(&test, NULL, NULL, NULL, true));
    response = state_test_response(&test);
    ASSERT_EQ_STR("CAUGHT_ERROR", member(response, "status"));
    ASSERT_EQ_STR("States.Timeout", member(response, "error"));
    ASSERT_EQ_INT(-EINVAL, state_test_task_done(&test, "{}", NULL, NULL, false));
    cJSON_Delete(response);
    state_test_release(&test);
}

static void test_task_deadlines(void)
{
    struct state_test_request request = base_request(task_with_handlers, "{\"x\":1}");
    struct state_test test = { 0 };
    enum state_test_refusal refusal;
    char message[256];
    bool own = true;
    ASSERT_EQ_INT(0, state_test_begin(&request, &test, &refusal, message, sizeof(message)));
    ASSERT_EQ_INT(STATE_TEST_MAX_SECONDS, state_test_task_deadline_seconds(&test, &own));
    ASSERT_TRUE(!own);
    /* Past TestState's five minutes the state fails, whatever its Catch says. */
    ASSERT_EQ_INT(0, state_test_expire(&test));
    ASSERT_EQ_INT(-EINVAL, state_test_expire(&test));
    ASSERT_EQ_INT(0, state_test_task_deadline_seconds(&test, &own));
    cJSON *response = state_test_response(&test);
    ASSERT_EQ_STR("FAILED", member(response, "status"));
    ASSERT_EQ_STR("States.Timeout", member(response, "error"));
    ASSERT_EQ_STR(STATE_TEST_EXPIRED_CAUSE, member(response, "cause"));
    ASSERT_TRUE(!cJSON_GetObjectItemCaseSensitive(response, "output"));
    cJSON_Delete(response);
    state_test_release(&test);

    /* The Task's own TimeoutSeconds, or its path, comes first when it is shorter. */
    request = base_request("{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::lambda:invoke\","
                           "\"TimeoutSecondsPath\":\"$.limit\",\"End\":true}",
                           "{\"limit\":7}");
    ASSERT_EQ_INT(0, state_test_begin(&request, &test, &refusal, message, sizeof(message)));
    ASSERT_EQ_INT(7, state_test_task_deadline_seconds(&test, &own));
    ASSERT_TRUE(own);
    ASSERT_EQ_INT(0, state_test_task_done(&test, NULL, NULL, NULL, true));
    response = state_test_response(&test);
    ASSERT_EQ_STR("FAILED", member(response, "status"));
    ASSERT_EQ_STR("States.Timeout", member(response, "error"));
    cJSON_Delete(response);
    state_test_release(&test);

    request = base_request("{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::lambda:invoke\","
                           "\"TimeoutSeconds\":301,\"End\":true}",
                           "{}");
    ASSERT_EQ_INT(0, state_test_begin(&request, &test, &refusal, message, sizeof(message)));
    ASSERT_EQ_INT(STATE_TEST_MAX_SECONDS, state_test_task_deadline_seconds(&test, &own));
    ASSERT_TRUE(!own);
    state_test_release(&test);
}

static void test_mocked_map_inspection(void)
{
    const char *map = "{\"Type\":\"Map\",\"InputPath\":\"$.order\",\"ItemsPath\":\"$.lines\","
                      "\"ItemSelector\":{\"sku.$\":\"$$.Map.Item.Value.sku\",\"at.$\":\"$$.Map.Item.Index\","
                      "\"id.$\":\"$.id\"},\"MaxConcurrency\":2,\"ToleratedFailurePercentage\":12.5,"
                      "\"ItemProcessor\":{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
                      "\"End\":true}}},\"End\":true}";
    struct state_test_request request =
        base_request(map, "{\"order\":{\"id\":9,\"lines\":[{\"sku\":\"a\"},{\"sku\":\"b\"}]}}");
    struct tried tried;
    request.mocked = true;
    request.mock_result = "[1,2]";
    request.level = STATE_TEST_DEBUG;
    run(&request, &tried);
    ASSERT_EQ_INT(0, tried.result);
    ASSERT_EQ_STR("[{\"sku\":\"a\"},{\"sku\":\"b\"}]", member(tried.inspection, "afterItemsPath"));
    ASSERT_EQ_STR("[{\"sku\":\"a\",\"at\":0,\"id\":9},{\"sku\":\"b\",\"at\":1,\"id\":9}]",
                  member(tried.inspection, "afterItemSelector"));
    ASSERT_EQ_INT(2, cJSON_GetObjectItemCaseSensitive(tried.inspection, "maxConcurrency")->valueint);
    ASSERT_TRUE(cJSON_GetObjectItemCaseSensitive(tried.inspection, "toleratedFailurePercentage")->valuedouble == 12.5);
    ASSERT_TRUE(!cJSON_GetObjectItemCaseSensitive(tried.inspection, "toleratedFailureCount"));
    cJSON_Delete(tried.response);

    /* The Map as written is validated, its ItemProcessor included. */
    request.definition = "{\"Type\":\"Map\",\"ItemProcessor\":{\"StartAt\":\"Nowhere\",\"States\":{}},"
                         "\"End\":true}";
    run(&request, &tried);
    ASSERT_EQ_INT(-EINVAL, tried.result);
    ASSERT_EQ_INT(STATE_TEST_INVALID_DEFINITION, tried.refusal);
}

static void test_fork_needs_a_mock(void)
{
    const char *map = "{\"Type\":\"Map\",\"ItemProcessor\":{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
                      "\"End\":true}}},\"End\":true}";
    struct state_test_request request = base_request(map, "[1,2]");
    struct tried tried;
    run(&request, &tried);
    ASSERT_EQ_INT(-EINVAL, tried.result);
    ASSERT_EQ_INT(STATE_TEST_INVALID_DEFINITION, tried.refusal);
    ASSERT_EQ_STR("TestState API does not support Map or Parallel states. Supported state types include: "
                  "[Task, Wait, Pass, Succeed, Fail, Choice]",
                  tried.message);
    request.mocked = true;
    request.mock_result = "[1,2]";
    run(&request, &tried);
    ASSERT_EQ_STR("[1,2]", member(tried.response, "output"));
    cJSON_Delete(tried.response);
}

/* Runs definition with mock_result and expects AWS's refusal message. */
static void expect_mock_refused(const char *definition, const char *mock_result, const char *message)
{
    struct state_test_request request = base_request(definition, "{}");
    struct tried tried;
    request.mocked = true;
    request.mock_result = mock_result;
    run(&request, &tried);
    ASSERT_EQ_INT(-EINVAL, tried.result);
    ASSERT_EQ_INT(STATE_TEST_VALIDATION, tried.refusal);
    ASSERT_EQ_STR(message, tried.message);
}

static void test_mock_refusals(void)
{
    static const char map[] = "{\"Type\":\"Map\",\"ItemProcessor\":{\"StartAt\":\"P\",\"States\":{\"P\":"
                              "{\"Type\":\"Pass\",\"End\":true}}},%s\"End\":true}";
    static const char parallel[] = "{\"Type\":\"Parallel\",\"Branches\":[{\"StartAt\":\"A\",\"States\":{\"A\":"
                                   "{\"Type\":\"Pass\",\"End\":true}}},{\"StartAt\":\"B\",\"States\":{\"B\":"
                                   "{\"Type\":\"Pass\",\"End\":true}}}],\"End\":true}";
    char plain_map[256], written_map[320];
    snprintf(plain_map, sizeof(plain_map), map, "");
    snprintf(written_map, sizeof(written_map), map,
             "\"ResultWriter\":{\"Resource\":\"arn:aws:states:::s3:putObject\"},");
    expect_mock_refused("{\"Type\":\"Pass\",\"End\":true}", "{}",
                        "State type 'Pass' is not supported when a mock is specified");
    expect_mock_refused("{\"Type\":\"Wait\",\"Seconds\":1,\"End\":true}", "{}",
                        "State type 'Wait' is not supported when a mock is specified");
    expect_mock_refused(plain_map, "{}", "Mocked result must be an array.");
    expect_mock_refused(written_map, "[]", "Mocked result must be a JSON object.");
    expect_mock_refused(parallel, "{}", "Mocked result must be an array.");
    expect_mock_refused(parallel, "[1]",
                        "Mocked result must contain the same number of items as number of Parallel branches.");
}

static void test_state_name_and_refusals(void)
{
    struct state_test_request request =
        base_request("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Next\":\"B\"},\"B\":{\"Type\":\"Pass\","
                     "\"Result\":1,\"End\":true}}}",
                     NULL);
    request.state_name = "B";
    struct tried tried;
    run(&request, &tried);
    ASSERT_EQ_STR("1", member(tried.response, "output"));
    cJSON_Delete(tried.response);
    request.state_name = "Nope";
    run(&request, &tried);
    ASSERT_EQ_INT(STATE_TEST_VALIDATION, tried.refusal);
    request = base_request("{\"Type\":\"Pass\",\"Nxt\":\"B\"}", NULL);
    run(&request, &tried);
    ASSERT_EQ_INT(-EINVAL, tried.result);
    ASSERT_EQ_INT(STATE_TEST_INVALID_DEFINITION, tried.refusal);
    request = base_request("{\"Type\":\"Pass\",\"End\":true}", NULL);
    request.mocked = true;
    request.mock_result = "{}";
    run(&request, &tried);
    ASSERT_EQ_INT(STATE_TEST_VALIDATION, tried.refusal);
    ASSERT_EQ_STR("State type 'Pass' is not supported when a mock is specified", tried.message);
}

static void test_jsonata_assign_and_variables(void)
{
    struct state_test_request request =
        base_request("{\"Type\":\"Pass\",\"QueryLanguage\":\"JSONata\",\"Assign\":{\"total\":\"{% $states.input.n + "
                     "$base %}\"},\"Output\":\"{% $base %}\",\"End\":true}",
                     "{\"n\":2}");
    request.variables = "{\"base\":40}";
    struct tried tried;
    run(&request, &tried);
    ASSERT_EQ_STR("40", member(tried.response, "output"));
    ASSERT_EQ_STR("{\"base\":40,\"total\":42}", member(tried.inspection, "variables"));
    cJSON_Delete(tried.response);
}

int main(void)
{
    RUN(test_pass_with_parameters_and_result_path);
    RUN(test_pass_with_result);
    RUN(test_inspection_of_flow_states);
    RUN(test_info_level_has_no_inspection);
    RUN(test_choice_and_wait);
    RUN(test_fail_state);
    RUN(test_mocked_task_result);
    RUN(test_mocked_error_retriable_then_caught);
    RUN(test_real_task_waits_for_its_outcome);
    RUN(test_task_deadlines);
    RUN(test_fork_needs_a_mock);
    RUN(test_mock_refusals);
    RUN(test_mocked_map_inspection);
    RUN(test_state_name_and_refusals);
    RUN(test_jsonata_assign_and_variables);
    return test_done();
}
