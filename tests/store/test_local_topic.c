/*
 * test_local_topic.c - loan-processor/integrations/local_topic against a
 * real redis-server: the stream entry each publish records and the live
 * PUBLISH a subscriber receives.
 */
#include <errno.h>
#include <string.h>

#include "local_topic.h"
#include "redis_server.h"
#include "test.h"
#include "wall_clock.h"

#define WAIT_MS 5000
#define TOPIC_ARN "arn:aws:sns:us-east-1:123456789012:LoanErrors"
#define EXECUTION_ARN "arn:aws:states:us-east-1:123456789012:execution:Loan:run-1"

static struct redis_server server;
static struct event_loop *loop;
static struct redis_client *client;
static struct local_topics topics;

static struct outcome {
    bool done;
    int calls;
    int status;
    char message_id[64];
} outcome;

static void on_published(int status, const char *message_id, void *data)
{
    (void)data;
    outcome.done = true;
    outcome.calls++;
    outcome.status = status;
    snprintf(outcome.message_id, sizeof(outcome.message_id), "%s", message_id ? message_id : "");
}

static bool publish(const struct local_topic_message *message)
{
    outcome = (struct outcome){ 0 };
    return local_topic_publish(&topics, message, on_published, NULL) == 0
           && redis_server_run_until_flag(loop, &outcome.done, WAIT_MS) && outcome.calls == 1;
}

/* The fields of the stream's only entry, as "name=value;" pairs, or "" (static buffer). */
static const char *only_entry(const char *stream)
{
    static char fields[1024];
    fields[0] = '\0';
    redisReply *reply = redis_server_command(&server, "XRANGE %s - +", stream);
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 1) {
        const redisReply *values = reply->element[0]->element[1];
        for (size_t i = 0; i + 1 < values->elements; i += 2) {
            size_t used = strlen(fields);
            snprintf(fields + used, sizeof(fields) - used, "%s=%s;", values->element[i]->str,
                     values->element[i + 1]->str);
        }
    }
    if (reply)
        freeReplyObject(reply);
    return fields;
}

static void test_key_is_the_topic_name(void)
{
    char key[64];
    local_topic_key("LoanErrors", key, sizeof(key));
    ASSERT_EQ_STR("sns:LoanErrors", key);
}

static void test_publish_records_a_stream_entry(void)
{
    struct local_topic_message message = {
        .topic = TOPIC_ARN, .message = "{\"error\":\"x\"}", .subject = "Failed", .execution_arn = EXECUTION_ARN
    };
    ASSERT_TRUE(publish(&message));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(36, strlen(outcome.message_id));
    const char *fields = only_entry("sns:LoanErrors");
    char expected[512];
    snprintf(expected, sizeof(expected),
             "MessageId=%s;TopicArn=" TOPIC_ARN ";Message={\"error\":\"x\"};Subject=Failed;executionArn=" EXECUTION_ARN
             ";Timestamp=",
             outcome.message_id);
    ASSERT_TRUE(strncmp(expected, fields, strlen(expected)) == 0);
    const char *timestamp = fields + strlen(expected);
    int64_t epoch_ms = 0;
    char text[64];
    snprintf(text, sizeof(text), "%.*s", (int)strcspn(timestamp, ";"), timestamp);
    ASSERT_EQ_INT(0, wall_clock_parse_iso8601(text, &epoch_ms));
    ASSERT_TRUE(wall_clock_now_ms() - epoch_ms < 5000);
    ASSERT_TRUE(text[strlen(text) - 1] == 'Z');
}

static void test_a_bare_name_gets_the_arn_and_no_optional_fields(void)
{
    struct local_topic_message message = { .topic = "LoanErrors", .message = "plain" };
    ASSERT_TRUE(publish(&message));
    ASSERT_EQ_INT(0, outcome.status);
    const char *fields = only_entry("sns:LoanErrors");
    ASSERT_TRUE(strstr(fields, "TopicArn=" TOPIC_ARN ";Message=plain;Timestamp=") != NULL);
    ASSERT_TRUE(strstr(fields, "Subject=") == NULL);
    ASSERT_TRUE(strstr(fields, "executionArn=") == NULL);
}

static void test_an_invalid_topic_is_refused(void)
{
    struct local_topic_message message = { .topic = "arn:aws:sqs:us-east-1:123456789012:Queue", .message = "m" };
    outcome = (struct outcome){ 0 };
    ASSERT_EQ_INT(-EINVAL, local_topic_publish(&topics, &message, on_published, NULL));
    redis_server_run_for(loop, 20);
    ASSERT_TRUE(!outcome.done);
    ASSERT_EQ_INT(0, redis_server_integer(&server, "DBSIZE"));
}

static void test_the_stream_is_capped(void)
{
    struct local_topic_message message = { .topic = "LoanErrors", .message = "m" };
    for (int i = 0; i < 300; i++) {
        if (!publish(&message) || outcome.status != 0)
            TEST_FAIL_("publish %d failed", i);
    }
    long long length = redis_server_integer(&server, "XLEN sns:LoanErrors");
    /* MAXLEN ~ trims whole stream nodes (100 entries by default): about the cap, never far past it. */
    ASSERT_TRUE(length >= topics.max_messages && length < 300);
}

struct received {
    int count;
    char channel[64];
    char message[128];
};

static void on_message(const char *channel, const char *message, size_t length, void *data)
{
    struct received *received = data;
    received->count++;
    snprintf(received->channel, sizeof(received->channel), "%s", channel);
    snprintf(received->message, sizeof(received->message), "%.*s", (int)length, message);
}

static bool subscribed(void *data)
{
    (void)data;
    redisReply *reply = redis_server_command(&server, "PUBSUB NUMSUB sns:LoanErrors");
    bool one = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 && reply->element[1]->integer == 1;
    if (reply)
        freeReplyObject(reply);
    return one;
}

static bool message_came(void *data)
{
    return ((const struct received *)data)->count > 0;
}

static void test_a_subscriber_receives_the_message_itself(void)
{
    struct redis_client *subscriber = NULL;
    struct received received = { 0 };
    const char *channels[] = { "sns:LoanErrors" };
    struct local_topic_message message = { .topic = TOPIC_ARN, .message = "{\"live\":true}", .subject = "s" };
    ASSERT_EQ_INT(0, redis_server_client(&server, loop, 1000, 0, &subscriber));
    bool ready = redis_client_subscribe(subscriber, channels, 1, on_message, &received) == 0
                 && redis_server_run_until(loop, subscribed, NULL, WAIT_MS);
    bool published = ready && publish(&message) && outcome.status == 0;
    bool delivered = published && redis_server_run_until(loop, message_came, &received, WAIT_MS);
    redis_client_destroy(subscriber);
    ASSERT_TRUE(ready);
    ASSERT_TRUE(published);
    ASSERT_TRUE(delivered);
    ASSERT_EQ_INT(1, received.count);
    ASSERT_EQ_STR("sns:LoanErrors", received.channel);
    ASSERT_EQ_STR("{\"live\":true}", received.message);
}

static int init_topics(void *data)
{
    (void)data;
    topics.redis = client;
    return local_topic_init(&topics);
}

int main(void)
{
    topics = (struct local_topics){ .region = "us-east-1", .account = "123456789012", .max_messages = 100 };
    if (redis_server_open(&server, &loop, &client, init_topics, NULL) < 0)
        return 1;
    RUN(test_key_is_the_topic_name);
    REDIS_SERVER_RUN_FLUSHED(&server, test_publish_records_a_stream_entry);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_bare_name_gets_the_arn_and_no_optional_fields);
    REDIS_SERVER_RUN_FLUSHED(&server, test_an_invalid_topic_is_refused);
    REDIS_SERVER_RUN_FLUSHED(&server, test_the_stream_is_capped);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_subscriber_receives_the_message_itself);
    redis_server_close(&server, loop, client);
    return test_done();
}
