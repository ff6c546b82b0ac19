/*
 * test_lambda_invoke.c - unit tests for loan-processor/lambda_invoke.c: which
 * FunctionNames are URLs, the Payload a Task POSTs, and what each answer of
 * the worker becomes (the invoke response, a function error, a Lambda
 * service or client error).
 */
#include "lambda_invoke.h"
#include "test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "failing_allocator.h"

#define URL "http://127.0.0.1:8090/shipping"
#define SERVICE_SUFFIX(status, code) \
    " (Service: AWSLambda; Status Code: " status "; Error Code: " code "; Request ID: r-1; Proxy: null)"

static void test_only_http_and_https_function_names_are_urls(void)
{
    ASSERT_TRUE(lambda_invoke_is_url("http://127.0.0.1:8090/shipping"));
    ASSERT_TRUE(lambda_invoke_is_url("https://workers.example/ship"));
    ASSERT_TRUE(!lambda_invoke_is_url("ValuationRequestFunction"));
    ASSERT_TRUE(!lambda_invoke_is_url("arn:aws:lambda:us-east-1:123456789012:function:Ship"));
    ASSERT_TRUE(!lambda_invoke_is_url("ftp://h/x"));
    ASSERT_TRUE(!lambda_invoke_is_url("http:/h"));
    ASSERT_TRUE(!lambda_invoke_is_url(""));
}

/* The payload lambda_invoke_parse() makes of the parameters, or "(refused)". */
static void expect_payload(const char *parameters_json, const char *expected)
{
    cJSON *parameters = cJSON_Parse(parameters_json);
    struct lambda_invoke_request request;
    int result = lambda_invoke_parse(parameters, &request);
    char payload[256], url[64];
    snprintf(payload, sizeof(payload), "%s", result == 0 ? request.payload : "(refused)");
    snprintf(url, sizeof(url), "%s", result == 0 ? request.url : "");
    lambda_invoke_request_release(&request);
    cJSON_Delete(parameters);
    ASSERT_EQ_STR(expected, payload);
    if (result == 0)
        ASSERT_EQ_STR(URL, url);
    else
        ASSERT_EQ_INT(-EINVAL, result);
}

static void test_payload_is_posted_as_its_json_text(void)
{
    expect_payload("{\"FunctionName\":\"" URL "\",\"Payload\":{\"token\": \"T\", \"n\": [1, 2]}}",
                   "{\"token\":\"T\",\"n\":[1,2]}");
    expect_payload("{\"FunctionName\":\"" URL "\"}", "{}");
    expect_payload("{\"FunctionName\":\"" URL "\",\"Payload\":null}", "null");
    expect_payload("{\"FunctionName\":\"" URL "\",\"Payload\":\"text\"}", "\"text\"");
    expect_payload("{\"FunctionName\":\"" URL "\",\"Payload\":7,\"InvocationType\":\"Event\"}", "7");
}

static void test_function_names_that_are_not_urls_are_refused(void)
{
    expect_payload("{\"FunctionName\":\"ShippingFunction\",\"Payload\":{}}", "(refused)");
    expect_payload("{\"FunctionName\":5}", "(refused)");
    expect_payload("{\"Payload\":{}}", "(refused)");
}

/* The result of an answer: output, or error and cause, copied out. */
struct outcome {
    int result;
    char output[1024];
    char error[300];
    char cause[2048];
};

static void outcome_of(long status, const char *body, const char *transport_error, struct outcome *outcome)
{
    /* As http_client reports a timeout: curl's CURLE_OPERATION_TIMEDOUT, whose text says "timed out". */
    bool timed_out = transport_error && strstr(transport_error, "timed out");
    struct lambda_invoke_answer answer = { status, body, strlen(body), transport_error, timed_out };
    struct lambda_invoke_result result;
    outcome->result = lambda_invoke_result(URL, &answer, "r-1", &result);
    snprintf(outcome->output, sizeof(outcome->output), "%s", result.output ? result.output : "(none)");
    snprintf(outcome->error, sizeof(outcome->error), "%s", result.error ? result.error : "(none)");
    snprintf(outcome->cause, sizeof(outcome->cause), "%s", result.cause ? result.cause : "(none)");
    lambda_invoke_result_release(&result);
}

static void expect_success(long status, const char *body, const char *payload, const char *content_length)
{
    struct outcome outcome;
    char expected[1024];
    outcome_of(status, body, NULL, &outcome);
    snprintf(expected, sizeof(expected),
             "{\"ExecutedVersion\":\"$LATEST\",\"Payload\":%s,\"SdkHttpMetadata\":{\"AllHttpHeaders\":{"
             "\"Content-Length\":[\"%s\"],\"Content-Type\":[\"application/json\"],\"X-Amz-Executed-Version\":"
             "[\"$LATEST\"],\"x-amzn-RequestId\":[\"r-1\"]},\"HttpHeaders\":{\"Content-Length\":\"%s\","
             "\"Content-Type\":\"application/json\",\"X-Amz-Executed-Version\":\"$LATEST\",\"x-amzn-RequestId\":"
             "\"r-1\"},\"HttpStatusCode\":200},\"SdkResponseMetadata\":{\"RequestId\":\"r-1\"},\"StatusCode\":200}",
             payload, content_length, content_length);
    ASSERT_EQ_INT(0, outcome.result);
    ASSERT_EQ_STR(expected, outcome.output);
    ASSERT_EQ_STR("(none)", outcome.error);
}

static void test_a_2xx_answer_is_the_invoke_response(void)
{
    expect_success(200, "{\"tracking_number\": \"TN-1\"}", "{\"tracking_number\":\"TN-1\"}", "27");
    expect_success(201, "[1, 2]", "[1,2]", "6");
    expect_success(202, "\"accepted\"", "\"accepted\"", "10");
    expect_success(204, "", "null", "0");
    expect_success(200, "plain text, not JSON", "\"plain text, not JSON\"", "20");
}

static void expect_failure(long status, const char *body, const char *transport_error, const char *error,
                           const char *cause)
{
    struct outcome outcome;
    outcome_of(status, body, transport_error, &outcome);
    ASSERT_EQ_INT(0, outcome.result);
    ASSERT_EQ_STR("(none)", outcome.output);
    ASSERT_EQ_STR(error, outcome.error);
    ASSERT_EQ_STR(cause, outcome.cause);
}

static void test_an_error_type_in_a_failed_answer_is_a_function_error(void)
{
    expect_failure(500, "{\"errorType\": \"ShippingUnavailable\", \"errorMessage\": \"No courier today\"}", NULL,
                   "ShippingUnavailable",
                   "{\"errorType\":\"ShippingUnavailable\",\"errorMessage\":\"No courier today\"}");
    expect_failure(400, "{\"errorMessage\":\"bad\",\"errorType\":\"Error\"}", NULL, "Error",
                   "{\"errorMessage\":\"bad\",\"errorType\":\"Error\"}");
    /* A 2xx answer with an errorType is a result like any other. */
    expect_success(200, "{\"errorType\":\"X\"}", "{\"errorType\":\"X\"}", "17");
}

static void test_other_failed_answers_are_lambda_service_errors(void)
{
    expect_failure(500, "boom", NULL, "Lambda.ServiceException",
                   "The function at " URL " answered HTTP 500: boom" SERVICE_SUFFIX("500", "ServiceException"));
    expect_failure(503, "", NULL, "Lambda.ServiceException",
                   "The function at " URL " answered HTTP 503" SERVICE_SUFFIX("503", "ServiceException"));
    expect_failure(404, "nothing here", NULL, "Lambda.ResourceNotFoundException",
                   "Function not found: " URL SERVICE_SUFFIX("404", "ResourceNotFoundException"));
    expect_failure(413, "", NULL, "Lambda.RequestTooLargeException",
                   "The function at " URL " answered HTTP 413" SERVICE_SUFFIX("413", "RequestTooLargeException"));
    expect_failure(429, "slow down", NULL, "Lambda.TooManyRequestsException",
                   "The function at " URL
                   " answered HTTP 429: slow down" SERVICE_SUFFIX("429", "TooManyRequestsException"));
    expect_failure(403, "{\"message\":\"no\"}", NULL, "Lambda.AWSLambdaException",
                   "The function at " URL
                   " answered HTTP 403: {\"message\":\"no\"}" SERVICE_SUFFIX("403", "AWSLambdaException"));
    /* An errorType that is not a usable error name does not make a function error. */
    expect_failure(500, "{\"errorType\":5}", NULL, "Lambda.ServiceException",
                   "The function at " URL
                   " answered HTTP 500: {\"errorType\":5}" SERVICE_SUFFIX("500", "ServiceException"));
    expect_failure(500, "{\"errorType\":\"\"}", NULL, "Lambda.ServiceException",
                   "The function at " URL
                   " answered HTTP 500: {\"errorType\":\"\"}" SERVICE_SUFFIX("500", "ServiceException"));
}

static void test_cause_quotes_at_most_512_printable_bytes_of_the_body(void)
{
    char body[2000], expected[2048];
    memset(body, 'x', 1500);
    body[0] = '\n';
    body[1] = '\x01';
    body[1500] = '\0';
    struct outcome outcome;
    outcome_of(502, body, NULL, &outcome);
    snprintf(expected, sizeof(expected), "The function at %s answered HTTP 502: ??%.510s%s", URL, body + 2,
             SERVICE_SUFFIX("502", "ServiceException"));
    ASSERT_EQ_STR(expected, outcome.cause);
}

static void test_no_answer_is_a_client_error(void)
{
    expect_failure(0, "", "Failed to connect to 127.0.0.1 port 9 after 0 ms: Connection refused",
                   "Lambda.SdkClientException",
                   "Unable to execute HTTP request: Failed to connect to 127.0.0.1 port 9 after 0 ms: Connection "
                   "refused (POST " URL ")");
    expect_failure(0, "", "Operation timed out after 1000 milliseconds with 0 bytes received",
                   "Lambda.ClientExecutionTimeoutException",
                   "Client execution did not complete before the specified timeout configuration: Operation timed out "
                   "after 1000 milliseconds with 0 bytes received (POST " URL ")");
    expect_failure(0, "", NULL, "Lambda.SdkClientException",
                   "Unable to execute HTTP request: no answer (POST " URL ")");
}

static void test_a_result_over_256_kib_exceeds_the_data_limit(void)
{
    size_t size = LAMBDA_INVOKE_MAX_OUTPUT_BYTES + 16;
    char *body = malloc(size);
    ASSERT_NOT_NULL(body);
    memset(body, 'p', size - 1);
    body[0] = body[size - 2] = '"';
    body[size - 1] = '\0';
    struct outcome outcome;
    outcome_of(200, body, NULL, &outcome);
    free(body);
    ASSERT_EQ_STR("States.DataLimitExceeded", outcome.error);
    ASSERT_EQ_STR("The state/task '" URL "' returned a result with a size exceeding the maximum number of bytes "
                  "service limit.",
                  outcome.cause);
}

static void test_out_of_memory_gives_enomem_and_leaks_nothing(void)
{
    static const struct {
        long status;
        const char *body;
    } answers[] = {
        { 200, "{\"a\":[1,2,3]}" },
        { 500, "{\"errorType\":\"E\",\"errorMessage\":\"m\"}" },
        { 503, "down" },
        { 0, "" },
    };
    cJSON *parameters = cJSON_Parse("{\"FunctionName\":\"" URL "\",\"Payload\":{\"a\":[1,2,3]}}");
    for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
        int failures = 0, successes = 0;
        for (long allowed = 0; allowed < 100; allowed++) {
            struct lambda_invoke_request request;
            struct lambda_invoke_result result;
            struct lambda_invoke_answer answer = { answers[i].status, answers[i].body, strlen(answers[i].body),
                                                   "Connection refused", false };
            use_failing_allocator(allowed);
            int parsed = lambda_invoke_parse(parameters, &request);
            int status = parsed == 0 ? lambda_invoke_result(URL, &answer, "r-1", &result) : parsed;
            use_normal_allocator();
            if (status == 0) {
                successes++;
                lambda_invoke_result_release(&result);
            } else if (status == -ENOMEM) {
                failures++;
                if (parsed == 0 && (result.output || result.error || result.cause))
                    TEST_FAIL_("answer %zu, allowed %ld: -ENOMEM left a result behind", i, allowed);
            } else {
                TEST_FAIL_("answer %zu, allowed %ld: unexpected result %d", i, allowed, status);
            }
            lambda_invoke_request_release(&request);
        }
        ASSERT_TRUE(failures > 0);
        ASSERT_TRUE(successes > 0);
    }
    cJSON_Delete(parameters);
}

int main(void)
{
    RUN(test_only_http_and_https_function_names_are_urls);
    RUN(test_payload_is_posted_as_its_json_text);
    RUN(test_function_names_that_are_not_urls_are_refused);
    RUN(test_a_2xx_answer_is_the_invoke_response);
    RUN(test_an_error_type_in_a_failed_answer_is_a_function_error);
    RUN(test_other_failed_answers_are_lambda_service_errors);
    RUN(test_cause_quotes_at_most_512_printable_bytes_of_the_body);
    RUN(test_no_answer_is_a_client_error);
    RUN(test_a_result_over_256_kib_exceeds_the_data_limit);
    RUN(test_out_of_memory_gives_enomem_and_leaks_nothing);
    return test_done();
}
