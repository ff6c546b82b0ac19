/*
 * test_sns_publish.c - unit tests for loan-processor/sns_publish.c: topic
 * names and ARNs, the Publish parameters of a Task, and SNS's answer.
 */
#include "sns_publish.h"
#include "test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "failing_allocator.h"

#define ERROR_TOPIC_ARN "arn:aws:sns:us-east-1:123456789012:LoanProcessorErrorTopic"

/* A string of length copies of c (at most 1023). */
static const char *repeated(char c, size_t length)
{
    static char text[1024];
    memset(text, c, length);
    text[length] = '\0';
    return text;
}

/* sns_topic_name() of topic: its result, and the name in name. */
static int name_of(const char *topic, char name[SNS_TOPIC_NAME_SIZE])
{
    return sns_topic_name(topic, name);
}

static void test_topic_name_from_an_arn(void)
{
    char name[SNS_TOPIC_NAME_SIZE];
    ASSERT_EQ_INT(0, name_of(ERROR_TOPIC_ARN, name));
    ASSERT_EQ_STR("LoanProcessorErrorTopic", name);
    ASSERT_EQ_INT(0, name_of("arn:aws:sns:eu-west-2:000000000000:orders_v2-Topic.fifo", name));
    ASSERT_EQ_STR("orders_v2-Topic.fifo", name);
}

static void test_topic_name_bare(void)
{
    char name[SNS_TOPIC_NAME_SIZE];
    ASSERT_EQ_INT(0, name_of("LoanProcessorErrorTopic", name));
    ASSERT_EQ_STR("LoanProcessorErrorTopic", name);
    ASSERT_EQ_INT(0, name_of("a", name));
    ASSERT_EQ_STR("a", name);
    ASSERT_EQ_INT(0, name_of("x.fifo", name));
    ASSERT_EQ_STR("x.fifo", name);
}

static void test_topic_name_length_limit_is_256_fifo_included(void)
{
    char name[SNS_TOPIC_NAME_SIZE], topic[1200];
    ASSERT_EQ_INT(0, name_of(repeated('t', 256), name));
    ASSERT_EQ_INT(256, strlen(name));
    ASSERT_EQ_INT(-EINVAL, name_of(repeated('t', 257), name));
    snprintf(topic, sizeof(topic), "%s.fifo", repeated('f', 251));
    ASSERT_EQ_INT(0, name_of(topic, name));
    snprintf(topic, sizeof(topic), "%s.fifo", repeated('f', 252));
    ASSERT_EQ_INT(-EINVAL, name_of(topic, name));
    snprintf(topic, sizeof(topic), "arn:aws:sns:us-east-1:123456789012:%s", repeated('t', 257));
    ASSERT_EQ_INT(-EINVAL, name_of(topic, name));
}

static void test_topic_names_refused(void)
{
    static const char *const refused[] = {
        "",
        "bad topic",
        "semi;colon",
        ".fifo",
        "x.fifo.fifo",
        "dotted.name",
        "arn:aws:sns:us-east-1:123456789012:",
        "arn:aws:sns::123456789012:Topic",
        "arn:aws:sns:us-east-1::Topic",
        "arn:aws:sns:us-east-1:abc:Topic",
        "arn:aws:sns:US-EAST-1:123456789012:Topic",
        "arn:aws:sqs:us-east-1:123456789012:Topic",
        "arn:aws:sns:us-east-1:123456789012:Topic:extra",
        "arn:aws:sns:us-east-1:123456789012",
        "arn:aws:sns",
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        char name[SNS_TOPIC_NAME_SIZE] = "stale";
        if (sns_topic_name(refused[i], name) != -EINVAL)
            TEST_FAIL_("'%s' was accepted as a topic", refused[i]);
        ASSERT_EQ_STR("", name);
    }
}

static void test_topic_arn_of_a_name_and_of_an_arn(void)
{
    char arn[SNS_TOPIC_ARN_SIZE];
    ASSERT_EQ_INT(0, sns_topic_arn("LoanProcessorErrorTopic", "eu-west-1", "111122223333", arn));
    ASSERT_EQ_STR("arn:aws:sns:eu-west-1:111122223333:LoanProcessorErrorTopic", arn);
    ASSERT_EQ_INT(0, sns_topic_arn(ERROR_TOPIC_ARN, "eu-west-1", "111122223333", arn));
    ASSERT_EQ_STR(ERROR_TOPIC_ARN, arn);
    ASSERT_EQ_INT(-EINVAL, sns_topic_arn("bad topic", "eu-west-1", "111122223333", arn));
    ASSERT_EQ_INT(-EINVAL, sns_topic_arn("Topic", repeated('r', 600), "111122223333", arn));
}

/* One sns_publish_parse() call: the parameters (which the request borrows from), the request, result and cause. */
struct parsed {
    cJSON *parameters;
    struct sns_publish_request request;
    int result;
    char cause[1024];
};

static void parse(struct parsed *parsed, const char *parameters_json)
{
    parsed->cause[0] = '\0';
    parsed->parameters = cJSON_Parse(parameters_json);
    parsed->result = sns_publish_parse(parsed->parameters, &parsed->request, parsed->cause, sizeof(parsed->cause));
}

static void parsed_release(struct parsed *parsed)
{
    sns_publish_request_release(&parsed->request);
    cJSON_Delete(parsed->parameters);
}

static void test_string_message_is_sent_as_is(void)
{
    struct parsed parsed;
    parse(&parsed, "{\"TopicArn\":\"" ERROR_TOPIC_ARN "\",\"Message\":\"{\\\"a\\\": 1}\"}");
    int result = parsed.result;
    char topic[128], message[64];
    snprintf(topic, sizeof(topic), "%s", result == 0 ? parsed.request.topic : "");
    snprintf(message, sizeof(message), "%s", result == 0 ? parsed.request.message : "");
    const char *subject = parsed.request.subject;
    parsed_release(&parsed);
    ASSERT_EQ_INT(0, result);
    ASSERT_EQ_STR(ERROR_TOPIC_ARN, topic);
    ASSERT_EQ_STR("{\"a\": 1}", message);
    ASSERT_NULL(subject);
    ASSERT_NULL(parsed.request.message);
}

static void test_json_message_is_sent_as_its_json_text(void)
{
    static const struct {
        const char *message;
        const char *expected;
    } cases[] = {
        { "{\"description\": \"The valuation failed\", \"n\": [1, 2]}",
          "{\"description\":\"The valuation failed\",\"n\":[1,2]}" },
        { "[true, null]", "[true,null]" },
        { "42", "42" },
        { "false", "false" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char parameters[256], message[128] = "", subject[32] = "";
        struct parsed parsed;
        snprintf(parameters, sizeof(parameters), "{\"TopicArn\":\"T\",\"Message\":%s,\"Subject\":\"Hi there\"}",
                 cases[i].message);
        parse(&parsed, parameters);
        int result = parsed.result;
        if (result == 0) {
            snprintf(message, sizeof(message), "%s", parsed.request.message);
            snprintf(subject, sizeof(subject), "%s", parsed.request.subject ? parsed.request.subject : "(none)");
        }
        parsed_release(&parsed);
        ASSERT_EQ_INT(0, result);
        ASSERT_EQ_STR(cases[i].expected, message);
        ASSERT_EQ_STR("Hi there", subject);
    }
}

/* The parameters must be refused with -EINVAL, a cause containing wanted, and nothing to release. */
static void expect_refused(const char *parameters, const char *wanted)
{
    struct parsed parsed;
    parse(&parsed, parameters);
    bool refused = parsed.result == -EINVAL && !parsed.request.message;
    bool explained = strstr(parsed.cause, wanted) != NULL;
    bool like_sns = strstr(parsed.cause, "(Service: AmazonSNS; Status Code: 400; Error Code: InvalidParameter)");
    char cause[sizeof(parsed.cause)];
    strcpy(cause, parsed.cause);
    parsed_release(&parsed);
    if (!refused)
        TEST_FAIL_("%.100s: expected -EINVAL and no message, got %d", parameters, parsed.result);
    if (!explained)
        TEST_FAIL_("%.100s: cause \"%s\" does not contain \"%s\"", parameters, cause, wanted);
    if (!like_sns)
        TEST_FAIL_("%.100s: cause \"%s\" does not end like SNS's", parameters, cause);
}

static void test_missing_or_invalid_topic_is_refused(void)
{
    expect_refused("{\"Message\":\"m\"}",
                   "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter");
    expect_refused("{\"TopicArn\":null,\"Message\":\"m\"}", "no value for required parameter");
    expect_refused("{\"TopicArn\":5,\"Message\":\"m\"}", "Invalid parameter: TopicArn Reason: must be a string");
    expect_refused("{\"TopicArn\":\"arn:aws:sqs:us-east-1:1:Q\",\"Message\":\"m\"}",
                   "Invalid parameter: TopicArn Reason: 'arn:aws:sqs:us-east-1:1:Q' is neither");
    expect_refused("{\"TopicArn\":\"no spaces please\",\"Message\":\"m\"}", "'no spaces please'");
}

static void test_missing_or_empty_message_is_refused(void)
{
    expect_refused("{\"TopicArn\":\"T\"}", "Invalid parameter: Message Reason: no value for required parameter");
    expect_refused("{\"TopicArn\":\"T\",\"Message\":null}", "Invalid parameter: Message Reason");
    expect_refused("{\"TopicArn\":\"T\",\"Message\":\"\"}", "Invalid parameter: Empty message");
}

static void test_message_over_256_kib_is_refused(void)
{
    size_t size = SNS_MESSAGE_MAX_BYTES + 64;
    char *parameters = malloc(size);
    ASSERT_NOT_NULL(parameters);
    int prefix = snprintf(parameters, size, "{\"TopicArn\":\"T\",\"Message\":\"");
    memset(parameters + prefix, 'm', SNS_MESSAGE_MAX_BYTES + 1);
    strcpy(parameters + prefix + SNS_MESSAGE_MAX_BYTES + 1, "\"}");
    expect_refused(parameters, "Invalid parameter: Message too long");
    /* Exactly 256 KiB is fine. */
    strcpy(parameters + prefix + SNS_MESSAGE_MAX_BYTES, "\"}");
    struct parsed parsed;
    parse(&parsed, parameters);
    free(parameters);
    int result = parsed.result;
    size_t length = result == 0 ? strlen(parsed.request.message) : 0;
    parsed_release(&parsed);
    ASSERT_EQ_INT(0, result);
    ASSERT_EQ_INT(SNS_MESSAGE_MAX_BYTES, length);
}

static void test_bad_subject_is_refused(void)
{
    char parameters[1200];
    expect_refused("{\"TopicArn\":\"T\",\"Message\":\"m\",\"Subject\":\"\"}", "Invalid parameter: Subject");
    expect_refused("{\"TopicArn\":\"T\",\"Message\":\"m\",\"Subject\":7}", "Invalid parameter: Subject");
    expect_refused("{\"TopicArn\":\"T\",\"Message\":\"m\",\"Subject\":\"two\\nlines\"}", "Invalid parameter: Subject");
    snprintf(parameters, sizeof(parameters), "{\"TopicArn\":\"T\",\"Message\":\"m\",\"Subject\":\"%s\"}",
             repeated('s', SNS_SUBJECT_MAX + 1));
    expect_refused(parameters, "Invalid parameter: Subject");
}

static void test_out_of_memory_gives_enomem_and_leaks_nothing(void)
{
    struct sns_publish_request request;
    char cause[512];
    cJSON *parameters = cJSON_Parse("{\"TopicArn\":\"T\",\"Message\":{\"a\":[1,2,3]}}");
    int failures = 0, successes = 0;
    for (long allowed = 0; allowed < 10; allowed++) {
        use_failing_allocator(allowed);
        int result = sns_publish_parse(parameters, &request, cause, sizeof(cause));
        use_normal_allocator();
        if (result == 0) {
            successes++;
            sns_publish_request_release(&request);
        } else if (result == -ENOMEM) {
            failures++;
            ASSERT_NULL(request.message);
        } else {
            TEST_FAIL_("allowed %ld: unexpected result %d", allowed, result);
        }
    }
    cJSON_Delete(parameters);
    ASSERT_TRUE(failures > 0);
    ASSERT_TRUE(successes > 0);
}

static void test_output_is_the_sns_answer(void)
{
    char output[256];
    ASSERT_EQ_INT(0, sns_publish_output("m-1", "r-2", output, sizeof(output)));
    cJSON *parsed = cJSON_Parse(output);
    ASSERT_NOT_NULL(parsed);
    cJSON *metadata = cJSON_GetObjectItemCaseSensitive(parsed, "SdkHttpMetadata");
    cJSON *response = cJSON_GetObjectItemCaseSensitive(parsed, "SdkResponseMetadata");
    int members = cJSON_GetArraySize(parsed);
    const char *message_id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(parsed, "MessageId"));
    double status = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(metadata, "HttpStatusCode"));
    const char *request_id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(response, "RequestId"));
    char message_copy[16], request_copy[16];
    snprintf(message_copy, sizeof(message_copy), "%s", message_id ? message_id : "(none)");
    snprintf(request_copy, sizeof(request_copy), "%s", request_id ? request_id : "(none)");
    cJSON_Delete(parsed);
    ASSERT_EQ_INT(3, members);
    ASSERT_EQ_STR("m-1", message_copy);
    ASSERT_EQ_INT(200, (long long)status);
    ASSERT_EQ_STR("r-2", request_copy);
    ASSERT_EQ_INT(-ENOSPC, sns_publish_output("m-1", "r-2", output, 20));
}

int main(void)
{
    RUN(test_topic_name_from_an_arn);
    RUN(test_topic_name_bare);
    RUN(test_topic_name_length_limit_is_256_fifo_included);
    RUN(test_topic_names_refused);
    RUN(test_topic_arn_of_a_name_and_of_an_arn);
    RUN(test_string_message_is_sent_as_is);
    RUN(test_json_message_is_sent_as_its_json_text);
    RUN(test_missing_or_invalid_topic_is_refused);
    RUN(test_missing_or_empty_message_is_refused);
    RUN(test_message_over_256_kib_is_refused);
    RUN(test_bad_subject_is_refused);
    RUN(test_out_of_memory_gives_enomem_and_leaks_nothing);
    RUN(test_output_is_the_sns_answer);
    return test_done();
}
