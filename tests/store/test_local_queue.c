/*
 * test_local_queue.c - loan-processor/integrations/local_queue against a
 * real redis-server: the record a worker takes off sqs:<QueueName>, and the
 * queue's bound.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>

#include "local_queue.h"
#include "redis_server.h"
#include "sqs_send_message.h"
#include "test.h"
#include "wall_clock.h"

#define WAIT_MS 5000
#define MAX_MESSAGES 3
#define QUEUE_URL "https://sqs.us-east-1.amazonaws.com/123456789012/LoanQueue"

static struct redis_server server;
static struct event_loop *loop;
static struct redis_client *client;
static struct local_queues queues;

static struct outcome {
    bool done;
    int calls;
    int status;
    char message_id[64];
} outcome;

static void on_sent(int status, const char *message_id, void *data)
{
    (void)data;
    outcome.done = true;
    outcome.calls++;
    outcome.status = status;
    snprintf(outcome.message_id, sizeof(outcome.message_id), "%s", message_id ? message_id : "");
}

/* Sends a SendMessage request given as its Task Parameters (JSON text) and waits for the outcome. */
static bool send_parameters(const char *parameters_json)
{
    struct sqs_send_message_request request = { 0 };
    char cause[256];
    cJSON *parameters = cJSON_Parse(parameters_json);
    outcome = (struct outcome){ 0 };
    bool sent = parameters && sqs_send_message_parse(parameters, &request, cause, sizeof(cause)) == 0
                && local_queue_send(&queues, &request, on_sent, NULL) == 0;
    sqs_send_message_request_release(&request);
    cJSON_Delete(parameters);
    return sent && redis_server_run_until_flag(loop, &outcome.done, WAIT_MS) && outcome.calls == 1;
}

static bool send_body(const char *body)
{
    char parameters[256];
    snprintf(parameters, sizeof(parameters), "{\"QueueUrl\":\"%s\",\"MessageBody\":\"%s\"}", QUEUE_URL, body);
    return send_parameters(parameters);
}

/* The queued record at index, parsed (the caller deletes it), or NULL. */
static cJSON *record_at(int index)
{
    char *text = redis_server_string(&server, "LINDEX sqs:LoanQueue %d", index);
    cJSON *record = text ? cJSON_Parse(text) : NULL;
    free(text);
    return record;
}

static const char *member(const cJSON *object, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static bool uuid_shaped(const char *text)
{
    return strlen(text) == 36 && text[8] == '-' && text[13] == '-' && text[18] == '-' && text[23] == '-';
}

static void test_send_queues_a_record_shaped_like_receive_message(void)
{
    int64_t before = wall_clock_now_ms();
    ASSERT_TRUE(send_parameters("{\"QueueUrl\":\"" QUEUE_URL "\",\"MessageBody\":{\"loan\":42}}"));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_TRUE(uuid_shaped(outcome.message_id));
    ASSERT_EQ_INT(1, redis_server_integer(&server, "LLEN sqs:LoanQueue"));
    cJSON *record = record_at(0);
    ASSERT_NOT_NULL(record);
    const cJSON *attributes = cJSON_GetObjectItemCaseSensitive(record, "Attributes");
    const char *sent = member(attributes, "SentTimestamp");
    long long sent_ms = sent ? strtoll(sent, NULL, 10) : 0;
    bool shaped = member(record, "MessageId") && strcmp(member(record, "MessageId"), outcome.message_id) == 0
                  && member(record, "Body") && strcmp(member(record, "Body"), "{\"loan\":42}") == 0
                  && member(record, "MD5OfBody") && strlen(member(record, "MD5OfBody")) == 32
                  && !cJSON_HasObjectItem(record, "MessageAttributes");
    cJSON_Delete(record);
    ASSERT_TRUE(shaped);
    ASSERT_TRUE(sent_ms >= before && sent_ms <= wall_clock_now_ms());
}

static void test_a_string_body_is_sent_as_is_with_its_md5(void)
{
    ASSERT_TRUE(send_body("hello"));
    ASSERT_EQ_INT(0, outcome.status);
    cJSON *record = record_at(0);
    ASSERT_NOT_NULL(record);
    bool body = member(record, "Body") && strcmp(member(record, "Body"), "hello") == 0;
    bool md5 =
        member(record, "MD5OfBody") && strcmp(member(record, "MD5OfBody"), "5d41402abc4b2a76b9719d911017c592") == 0;
    cJSON_Delete(record);
    ASSERT_TRUE(body);
    ASSERT_TRUE(md5);
}

static void test_message_attributes_are_kept(void)
{
    ASSERT_TRUE(send_parameters("{\"QueueUrl\":\"" QUEUE_URL "\",\"MessageBody\":\"m\",\"MessageAttributes\":"
                                "{\"kind\":{\"DataType\":\"String\",\"StringValue\":\"loan\"}}}"));
    ASSERT_EQ_INT(0, outcome.status);
    cJSON *record = record_at(0);
    ASSERT_NOT_NULL(record);
    const cJSON *kind =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(record, "MessageAttributes"), "kind");
    bool kept = member(kind, "StringValue") && strcmp(member(kind, "StringValue"), "loan") == 0
                && member(record, "MD5OfMessageAttributes") && strlen(member(record, "MD5OfMessageAttributes")) == 32;
    cJSON_Delete(record);
    ASSERT_TRUE(kept);
}

static void test_messages_queue_in_order_until_the_bound(void)
{
    char ids[MAX_MESSAGES][64];
    for (int i = 0; i < MAX_MESSAGES; i++) {
        char body[16];
        snprintf(body, sizeof(body), "m%d", i);
        ASSERT_TRUE(send_body(body));
        ASSERT_EQ_INT(0, outcome.status);
        snprintf(ids[i], sizeof(ids[i]), "%s", outcome.message_id);
    }
    ASSERT_TRUE(strcmp(ids[0], ids[1]) != 0);
    ASSERT_TRUE(send_body("one-too-many"));
    ASSERT_EQ_INT(-ENOSPC, outcome.status);
    ASSERT_EQ_INT(MAX_MESSAGES, redis_server_integer(&server, "LLEN sqs:LoanQueue"));
    for (int i = 0; i < MAX_MESSAGES; i++) {
        cJSON *record = record_at(i);
        bool in_order = record && member(record, "MessageId") && strcmp(member(record, "MessageId"), ids[i]) == 0;
        cJSON_Delete(record);
        ASSERT_TRUE(in_order);
    }
    /* A worker takes one: there is room again. */
    redisReply *taken = redis_server_command(&server, "LPOP sqs:LoanQueue");
    freeReplyObject(taken);
    ASSERT_TRUE(send_body("room-again"));
    ASSERT_EQ_INT(0, outcome.status);
}

static void test_a_wrong_type_key_is_eio(void)
{
    redisReply *reply = redis_server_command(&server, "SET sqs:LoanQueue not-a-list");
    freeReplyObject(reply);
    ASSERT_TRUE(send_body("m"));
    ASSERT_EQ_INT(-EIO, outcome.status);
}

static int init_queues(void *data)
{
    (void)data;
    queues = (struct local_queues){ .redis = client, .max_messages = MAX_MESSAGES };
    return local_queue_init(&queues);
}

int main(void)
{
    if (redis_server_open(&server, &loop, &client, init_queues, NULL) < 0)
        return 1;
    REDIS_SERVER_RUN_FLUSHED(&server, test_send_queues_a_record_shaped_like_receive_message);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_string_body_is_sent_as_is_with_its_md5);
    REDIS_SERVER_RUN_FLUSHED(&server, test_message_attributes_are_kept);
    REDIS_SERVER_RUN_FLUSHED(&server, test_messages_queue_in_order_until_the_bound);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_wrong_type_key_is_eio);
    redis_server_close(&server, loop, client);
    return test_done();
}
