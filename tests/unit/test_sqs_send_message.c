/*
 * test_sqs_send_message.c - unit tests for loan-processor/sqs_send_message.c:
 * queue names from URLs, the SendMessage parameters of a Task (checked as
 * SQS checks them, MD5 digests as SQS computes them: expected values from
 * Python's hashlib over SQS's documented encoding), the record a local
 * queue keeps, and SQS's answer.
 */
#include "sqs_send_message.h"
#include "test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "failing_allocator.h"

#define QUEUE_URL "https://sqs.us-east-1.amazonaws.com/123456789012/Orders"
#define MD5_OF_HELLO "5d41402abc4b2a76b9719d911017c592"

/* A string of length copies of c (at most 1023). */
static const char *repeated(char c, size_t length)
{
    static char text[1024];
    memset(text, c, length);
    text[length] = '\0';
    return text;
}

static void test_queue_name_is_the_last_path_segment(void)
{
    char name[SQS_QUEUE_NAME_SIZE], url[1100];
    ASSERT_EQ_INT(0, sqs_queue_name(QUEUE_URL, name));
    ASSERT_EQ_STR("Orders", name);
    ASSERT_EQ_INT(0, sqs_queue_name("http://localhost:4566/000000000000/order_events-v2.fifo", name));
    ASSERT_EQ_STR("order_events-v2.fifo", name);
    ASSERT_EQ_INT(0, sqs_queue_name("http://127.0.0.1/q", name));
    ASSERT_EQ_STR("q", name);
    snprintf(url, sizeof(url), "https://h/1/%s", repeated('q', 80));
    ASSERT_EQ_INT(0, sqs_queue_name(url, name));
    ASSERT_EQ_INT(80, strlen(name));
    snprintf(url, sizeof(url), "https://h/1/%s.fifo", repeated('q', 75));
    ASSERT_EQ_INT(0, sqs_queue_name(url, name));
}

static void test_queue_urls_refused(void)
{
    char too_long[1100];
    snprintf(too_long, sizeof(too_long), "https://h/1/%s", repeated('q', 81));
    const char *const refused[] = {
        "",
        "Orders",
        "ftp://h/1/Orders",
        "https://h",
        "https://h/",
        "https://h/1/",
        "https:///Orders",
        "https://h/1/Or ders",
        "https://h/1/Orders?Action=SendMessage",
        "https://h/1/.fifo",
        "https://h/1/dotted.name",
        "arn:aws:sqs:us-east-1:123456789012:Orders",
        too_long,
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        char name[SQS_QUEUE_NAME_SIZE] = "stale";
        if (sqs_queue_name(refused[i], name) != -EINVAL)
            TEST_FAIL_("'%s' was accepted as a queue URL", refused[i]);
        ASSERT_EQ_STR("", name);
    }
}

/* One sqs_send_message_parse() call: the parameters (which the request borrows from), request, result, cause. */
struct parsed {
    cJSON *parameters;
    struct sqs_send_message_request request;
    int result;
    char cause[1536];
};

static void parse(struct parsed *parsed, const char *parameters_json)
{
    parsed->cause[0] = '\0';
    parsed->parameters = cJSON_Parse(parameters_json);
    parsed->result = sqs_send_message_parse(parsed->parameters, &parsed->request, parsed->cause, sizeof(parsed->cause));
}

static void parsed_release(struct parsed *parsed)
{
    sqs_send_message_request_release(&parsed->request);
    cJSON_Delete(parsed->parameters);
}

static void test_string_body_is_sent_as_is(void)
{
    struct parsed parsed;
    parse(&parsed, "{\"QueueUrl\":\"" QUEUE_URL "\",\"MessageBody\":\"hello\"}");
    ASSERT_EQ_INT(0, parsed.result);
    ASSERT_EQ_STR("Orders", parsed.request.queue_name);
    ASSERT_EQ_STR("hello", parsed.request.body);
    ASSERT_EQ_STR(MD5_OF_HELLO, parsed.request.md5_of_body);
    ASSERT_EQ_STR("", parsed.request.md5_of_message_attributes);
    ASSERT_NULL(parsed.request.message_attributes);
    ASSERT_EQ_INT(0, parsed.request.delay_seconds);
    parsed_release(&parsed);
    ASSERT_NULL(parsed.request.body);
}

static void test_json_body_is_sent_as_its_json_text(void)
{
    struct parsed parsed;
    parse(&parsed, "{\"QueueUrl\":\"" QUEUE_URL "\",\"MessageBody\":{\"MessageTitle\": \"x\", \"n\": [1, 2]}}");
    ASSERT_EQ_INT(0, parsed.result);
    ASSERT_EQ_STR("{\"MessageTitle\":\"x\",\"n\":[1,2]}", parsed.request.body);
    ASSERT_EQ_STR("49bab387b1933d05bfa63066b1b01dd6", parsed.request.md5_of_body);
    parsed_release(&parsed);
}

static void test_delay_seconds_0_to_900_are_accepted(void)
{
    struct parsed parsed;
    parse(&parsed, "{\"QueueUrl\":\"" QUEUE_URL "\",\"MessageBody\":\"m\",\"DelaySeconds\":900}");
    ASSERT_EQ_INT(0, parsed.result);
    ASSERT_EQ_INT(900, parsed.request.delay_seconds);
    parsed_release(&parsed);
    parse(&parsed, "{\"QueueUrl\":\"" QUEUE_URL "\",\"MessageBody\":\"m\",\"DelaySeconds\":0}");
    ASSERT_EQ_INT(0, parsed.result);
    parsed_release(&parsed);
}

/* The parameters must be refused: -EINVAL, a cause with wanted and SQS's error code, nothing to release. */
static void expect_refused(const char *parameters, const char *wanted, const char *error_code)
{
    struct parsed parsed;
    char ending[128];
    parse(&parsed, parameters);
    snprintf(ending, sizeof(ending), "(Service: AmazonSQS; Status Code: 400; Error Code: %s; Request ID: ", error_code);
    bool refused = parsed.result == -EINVAL && !parsed.request.body;
    bool explained = strstr(parsed.cause, wanted) != NULL;
    static const char proxy[] = "; Proxy: null)";
    const char *request_id = strstr(parsed.cause, ending);
    bool like_sqs =
        request_id && strlen(request_id += strlen(ending)) == 36 + strlen(proxy) && strcmp(request_id + 36, proxy) == 0;
    char cause[sizeof(parsed.cause)];
    strcpy(cause, parsed.cause);
    parsed_release(&parsed);
    if (!refused)
        TEST_FAIL_("%.100s: expected -EINVAL and no body, got %d", parameters, parsed.result);
    if (!explained)
        TEST_FAIL_("%.100s: cause \"%s\" does not contain \"%s\"", parameters, cause, wanted);
    if (!like_sqs)
        TEST_FAIL_("%.100s: cause \"%s\" does not end with \"%s\"", parameters, cause, ending);
}

static void test_missing_or_invalid_queue_url_is_refused(void)
{
    expect_refused("{\"MessageBody\":\"m\"}", "The request must contain the parameter QueueUrl.", "MissingParameter");
    expect_refused("{\"QueueUrl\":null,\"MessageBody\":\"m\"}", "parameter QueueUrl", "MissingParameter");
    expect_refused("{\"QueueUrl\":7,\"MessageBody\":\"m\"}", "Value for parameter QueueUrl is invalid",
                   "InvalidParameterValue");
    expect_refused("{\"QueueUrl\":\"Orders\",\"MessageBody\":\"m\"}",
                   "The address Orders is not valid for this endpoint", "InvalidAddress");
}

static void test_missing_or_empty_body_is_refused(void)
{
    static const char missing[] = "The request must contain the parameter MessageBody.";
    expect_refused("{\"QueueUrl\":\"" QUEUE_URL "\"}", missing, "MissingParameter");
    expect_refused("{\"QueueUrl\":\"" QUEUE_URL "\",\"MessageBody\":null}", missing, "MissingParameter");
    expect_refused("{\"QueueUrl\":\"" QUEUE_URL "\",\"MessageBody\":\"\"}", missing, "MissingParameter");
}

static void test_body_with_control_characters_is_refused(void)
{
    expect_refused("{\"QueueUrl\":\"" QUEUE_URL "\",\"MessageBody\":\"a\\u0001b\"}",
                   "Invalid binary character '#x1' was found in the message body", "InvalidMessageContents");
    struct parsed parsed;
    parse(&parsed, "{\"QueueUrl\":\"" QUEUE_URL "\",\"MessageBody\":\"tab\\tnew line\\ncr\\r\"}");
    ASSERT_EQ_INT(0, parsed.result);
    parsed_release(&parsed);
}

static void test_body_over_256_kib_is_refused(void)
{
    size_t size = SQS_MESSAGE_MAX_BYTES + 128;
    char *parameters = malloc(size);
    ASSERT_NOT_NULL(parameters);
    int prefix = snprintf(parameters, size, "{\"QueueUrl\":\"" QUEUE_URL "\",\"MessageBody\":\"");
    memset(parameters + prefix, 'm', SQS_MESSAGE_MAX_BYTES + 1);
    strcpy(parameters + prefix + SQS_MESSAGE_MAX_BYTES + 1, "\"}");
    expect_refused(parameters, "Reason: Message must be shorter than 262144 bytes.", "InvalidParameterValue");
    strcpy(parameters + prefix + SQS_MESSAGE_MAX_BYTES, "\"}"); /* exactly 256 KiB is fine */
    struct parsed parsed;
    parse(&parsed, parameters);
    free(parameters);
    int result = parsed.result;
    size_t length = result == 0 ? strlen(parsed.request.body) : 0;
    parsed_release(&parsed);
    ASSERT_EQ_INT(0, result);
    ASSERT_EQ_INT(SQS_MESSAGE_MAX_BYTES, length);
}

static void test_bad_delay_seconds_are_refused(void)
{
    static const char *const delays[] = { "-1", "901", "1.5", "\"5\"", "true" };
    for (size_t i = 0; i < sizeof(delays) / sizeof(delays[0]); i++) {
        char parameters[256];
        snprintf(parameters, sizeof(parameters),
                 "{\"QueueUrl\":\"" QUEUE_URL "\",\"MessageBody\":\"m\",\"DelaySeconds\":%s}", delays[i]);
        expect_refused(parameters, "for parameter DelaySeconds is invalid. Reason: must be between 0 and 900",
                       "InvalidParameterValue");
    }
}

static void test_message_attributes_are_digested_as_sqs_does(void)
{
    struct parsed parsed;
    parse(&parsed, "{\"QueueUrl\":\"" QUEUE_URL "\",\"MessageBody\":\"m\",\"MessageAttributes\":"
                   "{\"k\":{\"DataType\":\"String\",\"StringValue\":\"v\"}}}");
    ASSERT_EQ_INT(0, parsed.result);
    ASSERT_EQ_STR("0a77b0642718c3d9dd47090567d11e0d", parsed.request.md5_of_message_attributes);
    ASSERT_TRUE(parsed.request.message_attributes == cJSON_GetObjectItem(parsed.parameters, "MessageAttributes"));
    parsed_release(&parsed);
    /* Sorted by name; Binary values decoded and marked 2, the others marked 1; custom type labels kept. */
    parse(&parsed, "{\"QueueUrl\":\"" QUEUE_URL "\",\"MessageBody\":\"m\",\"MessageAttributes\":{"
                   "\"zeta\":{\"DataType\":\"Number\",\"StringValue\":\"42\"},"
                   "\"alpha\":{\"DataType\":\"Binary\",\"BinaryValue\":\"AAEC/w==\"},"
                   "\"mid.dle\":{\"DataType\":\"String.custom\",\"StringValue\":\"h\\u00e9llo\"}}}");
    ASSERT_EQ_INT(0, parsed.result);
    ASSERT_EQ_STR("454b6179c8d5be268640aa523b8bd8b0", parsed.request.md5_of_message_attributes);
    parsed_release(&parsed);
    /* No attributes at all is the same as none given. */
    parse(&parsed, "{\"QueueUrl\":\"" QUEUE_URL "\",\"MessageBody\":\"m\",\"MessageAttributes\":{}}");
    ASSERT_EQ_INT(0, parsed.result);
    ASSERT_EQ_STR("", parsed.request.md5_of_message_attributes);
    ASSERT_NULL(parsed.request.message_attributes);
    parsed_release(&parsed);
}

static void expect_attributes_refused(const char *attributes, const char *wanted)
{
    char parameters[2048];
    snprintf(parameters, sizeof(parameters),
             "{\"QueueUrl\":\"" QUEUE_URL "\",\"MessageBody\":\"m\",\"MessageAttributes\":%s}", attributes);
    expect_refused(parameters, wanted, "InvalidParameterValue");
}

static void test_bad_message_attributes_are_refused(void)
{
    expect_attributes_refused("[1]", "Value for parameter MessageAttributes is invalid");
    expect_attributes_refused("{\"a\":\"v\"}", "The message attribute 'a' must be an object");
    static const char *const bad_names[] = { ".x", "x.", "a..b", "AWS.x", "amazon.y", "sp ace", "" };
    for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
        char attributes[256], wanted[64];
        snprintf(attributes, sizeof(attributes), "{\"%s\":{\"DataType\":\"String\",\"StringValue\":\"v\"}}",
                 bad_names[i]);
        snprintf(wanted, sizeof(wanted), "The message attribute name '%s' is invalid", bad_names[i]);
        expect_attributes_refused(attributes, wanted);
    }
    expect_attributes_refused("{\"a\":{\"StringValue\":\"v\"}}", "must contain a non-empty message attribute type");
    expect_attributes_refused("{\"a\":{\"DataType\":\"Strin\",\"StringValue\":\"v\"}}",
                              "the set of supported type prefixes is Binary, Number, and String");
    expect_attributes_refused("{\"a\":{\"DataType\":\"Integer\",\"StringValue\":\"1\"}}",
                              "invalid message attribute type");
    expect_attributes_refused("{\"a\":{\"DataType\":\"String\"}}",
                              "must contain non-empty message attribute value for message attribute type 'String'");
    expect_attributes_refused("{\"a\":{\"DataType\":\"String\",\"StringValue\":\"\"}}", "non-empty");
    expect_attributes_refused("{\"a\":{\"DataType\":\"Binary\",\"StringValue\":\"AA==\"}}", "non-empty");
    expect_attributes_refused("{\"a\":{\"DataType\":\"Number\",\"StringValue\":\"forty\"}}",
                              "Can't convert the value 'forty' of the message attribute 'a' to a number.");
    expect_attributes_refused("{\"a\":{\"DataType\":\"Binary\",\"BinaryValue\":\"not base64!\"}}",
                              "The message attribute 'a' has a BinaryValue that is not base64.");
    char eleven[1024] = "{";
    for (int i = 0; i < 11; i++)
        snprintf(eleven + strlen(eleven), sizeof(eleven) - strlen(eleven),
                 "%s\"a%d\":{\"DataType\":\"String\",\"StringValue\":\"v\"}", i ? "," : "", i);
    strcat(eleven, "}");
    expect_attributes_refused(eleven, "Number of message attributes [11] exceeds the allowed maximum [10].");
}

static void test_record_is_shaped_like_a_received_message(void)
{
    struct parsed parsed;
    parse(&parsed, "{\"QueueUrl\":\"" QUEUE_URL "\",\"MessageBody\":\"hello\",\"MessageAttributes\":"
                   "{\"k\":{\"DataType\":\"String\",\"StringValue\":\"v\"}}}");
    ASSERT_EQ_INT(0, parsed.result);
    char *record = sqs_message_record(&parsed.request, "m-1", 1712345678123LL);
    parsed_release(&parsed);
    ASSERT_NOT_NULL(record);
    int same = strcmp(record, "{\"MessageId\":\"m-1\",\"MD5OfBody\":\"" MD5_OF_HELLO "\",\"Body\":\"hello\","
                              "\"Attributes\":{\"SentTimestamp\":\"1712345678123\"},"
                              "\"MD5OfMessageAttributes\":\"0a77b0642718c3d9dd47090567d11e0d\","
                              "\"MessageAttributes\":{\"k\":{\"DataType\":\"String\",\"StringValue\":\"v\"}}}");
    if (same != 0)
        printf("# record: %s\n", record);
    cJSON_free(record);
    ASSERT_EQ_INT(0, same);
}

/* The output's member names in order, joined by ',', and its Content-Length header. */
static void describe_output(const char *output, char *members, size_t size, char *content_length, size_t length_size)
{
    cJSON *parsed = cJSON_Parse(output);
    members[0] = content_length[0] = '\0';
    const cJSON *member;
    cJSON_ArrayForEach(member, parsed)
        snprintf(members + strlen(members), size - strlen(members), "%s%s", members[0] ? "," : "", member->string);
    const cJSON *headers = cJSON_GetObjectItem(cJSON_GetObjectItem(parsed, "SdkHttpMetadata"), "HttpHeaders");
    const char *length = cJSON_GetStringValue(cJSON_GetObjectItem(headers, "Content-Length"));
    snprintf(content_length, length_size, "%s", length ? length : "(none)");
    cJSON_Delete(parsed);
}

static void test_output_is_the_sqs_answer(void)
{
    struct parsed parsed;
    char members[256], content_length[16];
    parse(&parsed, "{\"QueueUrl\":\"" QUEUE_URL "\",\"MessageBody\":\"hello\"}");
    char *output = sqs_send_message_output(&parsed.request, "11111111-2222-4333-8444-555555555555", "r-1");
    ASSERT_NOT_NULL(output);
    int same = strcmp(output, "{\"MD5OfMessageBody\":\"" MD5_OF_HELLO "\",\"MessageId\":"
                              "\"11111111-2222-4333-8444-555555555555\",\"SdkHttpMetadata\":{\"AllHttpHeaders\":"
                              "{\"Content-Length\":[\"106\"],\"Content-Type\":[\"application/x-amz-json-1.0\"],"
                              "\"x-amzn-RequestId\":[\"r-1\"]},\"HttpHeaders\":{\"Content-Length\":\"106\","
                              "\"Content-Type\":\"application/x-amz-json-1.0\",\"x-amzn-RequestId\":\"r-1\"},"
                              "\"HttpStatusCode\":200},\"SdkResponseMetadata\":{\"RequestId\":\"r-1\"}}");
    if (same != 0)
        printf("# output: %s\n", output);
    cJSON_free(output);
    parsed_release(&parsed);
    ASSERT_EQ_INT(0, same);

    parse(&parsed, "{\"QueueUrl\":\"" QUEUE_URL "\",\"MessageBody\":\"hello\",\"MessageAttributes\":"
                   "{\"k\":{\"DataType\":\"String\",\"StringValue\":\"v\"}}}");
    output = sqs_send_message_output(&parsed.request, "11111111-2222-4333-8444-555555555555", "r-1");
    parsed_release(&parsed);
    ASSERT_NOT_NULL(output);
    describe_output(output, members, sizeof(members), content_length, sizeof(content_length));
    cJSON_free(output);
    ASSERT_EQ_STR("MD5OfMessageAttributes,MD5OfMessageBody,MessageId,SdkHttpMetadata,SdkResponseMetadata", members);
    ASSERT_EQ_STR("166", content_length);
}

static void test_out_of_memory_gives_enomem_or_null_and_leaks_nothing(void)
{
    cJSON *parameters = cJSON_Parse("{\"QueueUrl\":\"" QUEUE_URL "\",\"MessageBody\":{\"a\":[1,2,3]},"
                                    "\"MessageAttributes\":{\"b\":{\"DataType\":\"Binary\",\"BinaryValue\":\"AAE=\"},"
                                    "\"s\":{\"DataType\":\"String\",\"StringValue\":\"v\"}}}");
    struct sqs_send_message_request request;
    char cause[512];
    int failures = 0, successes = 0;
    for (long allowed = 0; allowed < 200; allowed++) {
        use_failing_allocator(allowed);
        int result = sqs_send_message_parse(parameters, &request, cause, sizeof(cause));
        char *record = result == 0 ? sqs_message_record(&request, "m-1", 1) : NULL;
        char *output = record ? sqs_send_message_output(&request, "m-1", "r-1") : NULL;
        use_normal_allocator();
        if (output) {
            successes++;
        } else if (result == 0 || result == -ENOMEM) {
            failures++;
        } else {
            TEST_FAIL_("allowed %ld: unexpected result %d", allowed, result);
        }
        if (result == -ENOMEM && request.body)
            TEST_FAIL_("allowed %ld: -ENOMEM left a body behind", allowed);
        cJSON_free(output);
        cJSON_free(record);
        sqs_send_message_request_release(&request);
    }
    cJSON_Delete(parameters);
    ASSERT_TRUE(failures > 0);
    ASSERT_TRUE(successes > 0);
}

int main(void)
{
    RUN(test_queue_name_is_the_last_path_segment);
    RUN(test_queue_urls_refused);
    RUN(test_string_body_is_sent_as_is);
    RUN(test_json_body_is_sent_as_its_json_text);
    RUN(test_delay_seconds_0_to_900_are_accepted);
    RUN(test_missing_or_invalid_queue_url_is_refused);
    RUN(test_missing_or_empty_body_is_refused);
    RUN(test_body_with_control_characters_is_refused);
    RUN(test_body_over_256_kib_is_refused);
    RUN(test_bad_delay_seconds_are_refused);
    RUN(test_message_attributes_are_digested_as_sqs_does);
    RUN(test_bad_message_attributes_are_refused);
    RUN(test_record_is_shaped_like_a_received_message);
    RUN(test_output_is_the_sqs_answer);
    RUN(test_out_of_memory_gives_enomem_or_null_and_leaks_nothing);
    return test_done();
}
