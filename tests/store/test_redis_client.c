/*
 * test_redis_client.c - common/io/redis_client against a real redis-server:
 * round trips, refusals while Redis is down, reconnection, the command
 * deadline with a frozen server, the NOSCRIPT fallback, the bound on
 * pending commands and Pub/Sub.
 */
#include <errno.h>
#include <string.h>

#include "redis_client.h"
#include "redis_server.h"
#include "test.h"

/* The shared client's deadline; the watchdog looks every 100 ms. */
#define COMMAND_TIMEOUT_MS 500
#define WATCHDOG_MARGIN_MS 400
#define WAIT_MS 5000

static struct redis_server server;
static struct event_loop *loop;
static struct redis_client *client;
static int connections_up, connections_down;

static void count_change(bool connected, void *data)
{
    (void)data;
    if (connected)
        connections_up++;
    else
        connections_down++;
}

static bool went_down(void *data)
{
    return connections_down > *(const int *)data;
}

/* Sends argv on the shared client and waits for the reply; returns what redis_client_command() returned. */
static int round_trip(struct redis_client *on, int argc, const char **argv, struct redis_server_reply *reply)
{
    *reply = (struct redis_server_reply){ 0 };
    int result = redis_client_command_strings(on, redis_server_capture, reply, argc, argv);
    if (result == 0)
        redis_server_run_until_flag(loop, &reply->done, WAIT_MS);
    return result;
}

/* Whether a PING through client answers PONG (the connection is usable, not only connected). */
static bool ping_works(struct redis_client *on)
{
    const char *argv[] = { "PING" };
    struct redis_server_reply reply;
    return round_trip(on, 1, argv, &reply) == 0 && reply.done && !reply.null && strcmp(reply.str, "PONG") == 0;
}

/* Waits until the shared client answers again after a fault. */
static bool recovered(void)
{
    for (uint64_t deadline = event_loop_now_ms() + WAIT_MS; event_loop_now_ms() < deadline;) {
        if (redis_server_client_ready(loop, client, WAIT_MS) && ping_works(client))
            return true;
    }
    return false;
}

static void test_connects(void)
{
    ASSERT_TRUE(redis_client_connected(client));
    ASSERT_EQ_INT(0, redis_client_pending(client));
}

static void test_command_round_trip(void)
{
    const char *set[] = { "SET", "greeting", "hello" }, *get[] = { "GET", "greeting" };
    struct redis_server_reply reply;
    ASSERT_EQ_INT(0, round_trip(client, 3, set, &reply));
    ASSERT_EQ_INT(REDIS_REPLY_STATUS, reply.type);
    ASSERT_EQ_STR("OK", reply.str);
    ASSERT_EQ_INT(0, round_trip(client, 2, get, &reply));
    ASSERT_EQ_INT(1, reply.calls);
    ASSERT_EQ_INT(REDIS_REPLY_STRING, reply.type);
    ASSERT_EQ_STR("hello", reply.str);
    redisReply *stored = redis_server_command(&server, "GET greeting");
    ASSERT_TRUE(stored && stored->type == REDIS_REPLY_STRING && strcmp(stored->str, "hello") == 0);
    freeReplyObject(stored);
}

static void test_arguments_are_binary_safe(void)
{
    const char *argv[] = { "SET", "binary", "a\0b" };
    const size_t lengths[] = { 3, 6, 3 };
    struct redis_server_reply reply = { 0 };
    ASSERT_EQ_INT(0, redis_client_command(client, redis_server_capture, &reply, 3, argv, lengths));
    ASSERT_TRUE(redis_server_run_until_flag(loop, &reply.done, WAIT_MS));
    redisReply *stored = redis_server_command(&server, "GET binary");
    ASSERT_TRUE(stored && stored->type == REDIS_REPLY_STRING && stored->len == 3
                && memcmp(stored->str, "a\0b", 3) == 0);
    freeReplyObject(stored);
}

static void test_error_reply_reaches_the_callback(void)
{
    const char *set[] = { "SET", "word", "not-a-number" }, *incr[] = { "INCR", "word" };
    struct redis_server_reply reply;
    ASSERT_EQ_INT(0, round_trip(client, 3, set, &reply));
    ASSERT_EQ_INT(0, round_trip(client, 2, incr, &reply));
    ASSERT_EQ_INT(REDIS_REPLY_ERROR, reply.type);
    ASSERT_EQ_STR("ERR value is not an integer or out of range", reply.str);
}

static void test_refuses_while_down_and_reconnects_after_restart(void)
{
    const char *ping[] = { "PING" };
    struct redis_server_reply reply = { 0 };
    int down = connections_down, up = connections_up;
    redis_server_stop(&server);
    ASSERT_TRUE(redis_server_run_until(loop, went_down, &down, WAIT_MS));
    ASSERT_TRUE(!redis_client_connected(client));
    ASSERT_EQ_INT(-ENOTCONN, redis_client_command_strings(client, redis_server_capture, &reply, 1, ping));
    redis_server_run_for(loop, 300); /* reconnect attempts fail meanwhile */
    ASSERT_TRUE(!reply.done);
    ASSERT_EQ_INT(up, connections_up);
    ASSERT_EQ_INT(0, redis_server_restart(&server));
    ASSERT_TRUE(recovered());
    ASSERT_TRUE(connections_up > up);
    ASSERT_EQ_INT(down + 1, connections_down);
}

static void test_command_in_flight_when_redis_dies_gets_no_reply(void)
{
    const char *ping[] = { "PING" };
    struct redis_server_reply reply = { 0 };
    redis_server_pause(&server);
    ASSERT_EQ_INT(0, redis_client_command_strings(client, redis_server_capture, &reply, 1, ping));
    redis_server_run_for(loop, 50);
    ASSERT_TRUE(!reply.done);
    uint64_t killed_ms = event_loop_now_ms();
    redis_server_kill(&server);
    ASSERT_TRUE(redis_server_run_until_flag(loop, &reply.done, WAIT_MS));
    ASSERT_TRUE(reply.null);
    ASSERT_EQ_INT(1, reply.calls);
    ASSERT_TRUE(reply.at_ms - killed_ms < COMMAND_TIMEOUT_MS); /* the reset, not the deadline */
    ASSERT_EQ_INT(0, redis_server_restart(&server));
    ASSERT_TRUE(recovered());
}

static void test_deadline_answers_null_while_redis_is_frozen(void)
{
    const char *ping[] = { "PING" };
    struct redis_server_reply reply = { 0 };
    int down = connections_down;
    redis_server_pause(&server);
    uint64_t sent_ms = event_loop_now_ms();
    ASSERT_EQ_INT(0, redis_client_command_strings(client, redis_server_capture, &reply, 1, ping));
    bool answered = redis_server_run_until_flag(loop, &reply.done, COMMAND_TIMEOUT_MS + 2000);
    redis_server_resume(&server);
    ASSERT_TRUE(answered);
    ASSERT_TRUE(reply.null);
    ASSERT_TRUE(reply.at_ms - sent_ms >= COMMAND_TIMEOUT_MS);
    ASSERT_TRUE(reply.at_ms - sent_ms <= COMMAND_TIMEOUT_MS + WATCHDOG_MARGIN_MS);
    ASSERT_TRUE(connections_down > down);
    ASSERT_TRUE(recovered());
}

static struct redis_script suffix_script = {
    .name = "suffix",
    .source = "return redis.call('GET', KEYS[1]) .. ARGV[1]",
};

static void test_registered_script_runs_after_script_flush(void)
{
    struct redis_script *const scripts[] = { &suffix_script };
    struct redis_server_reply reply = { 0 };
    ASSERT_EQ_INT(0, redis_client_add_scripts(client, scripts, 1));
    ASSERT_TRUE(redis_server_client_ready(loop, client, WAIT_MS));
    ASSERT_EQ_INT(40, strlen(suffix_script.sha1));
    redisReply *set = redis_server_command(&server, "SET word %s", "script");
    freeReplyObject(set);
    redisReply *flushed = redis_server_command(&server, "SCRIPT FLUSH");
    freeReplyObject(flushed);
    redisReply *exists = redis_server_command(&server, "SCRIPT EXISTS %s", suffix_script.sha1);
    ASSERT_TRUE(exists && exists->type == REDIS_REPLY_ARRAY && exists->element[0]->integer == 0);
    freeReplyObject(exists);

    const char *argv[] = { "word", "-run" };
    ASSERT_EQ_INT(0, redis_client_eval_strings(client, &suffix_script, redis_server_capture, &reply, 1, 2, argv));
    ASSERT_TRUE(redis_server_run_until_flag(loop, &reply.done, WAIT_MS));
    ASSERT_EQ_INT(1, reply.calls);
    ASSERT_EQ_INT(REDIS_REPLY_STRING, reply.type);
    ASSERT_EQ_STR("script-run", reply.str);
    ASSERT_EQ_INT(1, redis_server_integer(&server, "EXISTS word"));
    exists = redis_server_command(&server, "SCRIPT EXISTS %s", suffix_script.sha1);
    ASSERT_TRUE(exists && exists->type == REDIS_REPLY_ARRAY && exists->element[0]->integer == 1);
    freeReplyObject(exists);
}

static void test_too_many_pending_commands_get_eagain(void)
{
    struct redis_client *bounded = NULL;
    struct redis_server_reply replies[4] = { 0 };
    const char *ping[] = { "PING" };
    ASSERT_EQ_INT(0, redis_server_client(&server, loop, COMMAND_TIMEOUT_MS, 3, &bounded));
    for (int i = 0; i < 3; i++)
        ASSERT_EQ_INT(0, redis_client_command_strings(bounded, redis_server_capture, &replies[i], 1, ping));
    ASSERT_EQ_INT(-EAGAIN, redis_client_command_strings(bounded, redis_server_capture, &replies[3], 1, ping));
    ASSERT_EQ_INT(3, redis_client_pending(bounded));
    bool all = redis_server_run_until_flag(loop, &replies[2].done, WAIT_MS);
    bool again = all && ping_works(bounded);
    redis_client_destroy(bounded);
    ASSERT_TRUE(all);
    ASSERT_TRUE(replies[0].done && replies[1].done);
    ASSERT_EQ_STR("PONG", replies[0].str);
    ASSERT_TRUE(!replies[3].done);
    ASSERT_TRUE(again);
}

static void test_close_answers_pending_commands_with_null(void)
{
    struct redis_client *closing = NULL;
    struct redis_server_reply reply = { 0 }, refused = { 0 };
    const char *ping[] = { "PING" };
    ASSERT_EQ_INT(0, redis_server_client(&server, loop, COMMAND_TIMEOUT_MS, 0, &closing));
    int sent = redis_client_command_strings(closing, redis_server_capture, &reply, 1, ping);
    redis_client_close(closing);
    int after = redis_client_command_strings(closing, redis_server_capture, &refused, 1, ping);
    redis_client_destroy(closing);
    ASSERT_EQ_INT(0, sent);
    ASSERT_TRUE(reply.done && reply.null);
    ASSERT_EQ_INT(-ENOTCONN, after);
    ASSERT_TRUE(!refused.done);
}

static void test_bad_url_is_refused(void)
{
    struct redis_client *bad = NULL;
    struct redis_client_config config = { .url = "http://127.0.0.1:6379", .command_timeout_ms = 100, .max_pending = 1 };
    ASSERT_EQ_INT(-EINVAL, redis_client_create(loop, &config, &bad));
    config.url = "redis://127.0.0.1:70000";
    ASSERT_EQ_INT(-EINVAL, redis_client_create(loop, &config, &bad));
}

/* ---- Pub/Sub ---- */

struct received {
    int count;
    char channel[64];
    char message[64];
    size_t length;
};

static void on_message(const char *channel, const char *message, size_t length, void *data)
{
    struct received *received = data;
    received->count++;
    snprintf(received->channel, sizeof(received->channel), "%s", channel);
    snprintf(received->message, sizeof(received->message), "%.*s", (int)length, message);
    received->length = length;
}

/* Whether one client subscribes to the channel given as data (PUBSUB NUMSUB). */
static bool subscribed(void *data)
{
    redisReply *reply = redis_server_command(&server, "PUBSUB NUMSUB %s", (const char *)data);
    bool one = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 && reply->element[1]->integer == 1;
    if (reply)
        freeReplyObject(reply);
    return one;
}

static bool message_came(void *data)
{
    return ((const struct received *)data)->count > 0;
}

/* Publishes "hello" on store-test:b and waits for the subscriber to get it. */
static bool published_and_received(struct received *received)
{
    *received = (struct received){ 0 };
    redisReply *reply = redis_server_command(&server, "PUBLISH %s %s", "store-test:b", "hello subscriber");
    bool delivered = reply && reply->type == REDIS_REPLY_INTEGER && reply->integer == 1;
    if (reply)
        freeReplyObject(reply);
    return delivered && redis_server_run_until(loop, message_came, received, WAIT_MS);
}

static void test_subscriber_gets_published_messages_also_after_a_restart(void)
{
    struct redis_client *subscriber = NULL;
    struct received received = { 0 };
    struct redis_server_reply refused = { 0 };
    const char *channels[] = { "store-test:a", "store-test:b" }, *ping[] = { "PING" };
    ASSERT_EQ_INT(0, redis_server_client(&server, loop, COMMAND_TIMEOUT_MS, 0, &subscriber));
    int result = redis_client_subscribe(subscriber, channels, 2, on_message, &received);
    bool first = result == 0 && redis_server_run_until(loop, subscribed, "store-test:b", WAIT_MS)
                 && published_and_received(&received);
    int busy = redis_client_command_strings(subscriber, redis_server_capture, &refused, 1, ping);
    struct received before_restart = received;
    bool again = redis_server_restart(&server) == 0 && redis_server_run_until(loop, subscribed, "store-test:b", WAIT_MS)
                 && published_and_received(&received);
    redis_client_destroy(subscriber);
    ASSERT_EQ_INT(0, result);
    ASSERT_TRUE(first);
    ASSERT_EQ_INT(1, before_restart.count);
    ASSERT_EQ_STR("store-test:b", before_restart.channel);
    ASSERT_EQ_STR("hello subscriber", before_restart.message);
    ASSERT_EQ_INT(strlen("hello subscriber"), before_restart.length);
    ASSERT_EQ_INT(-EBUSY, busy);
    ASSERT_TRUE(again);
    ASSERT_EQ_STR("hello subscriber", received.message);
    ASSERT_TRUE(recovered());
}

/* What a subscriber's on_change saw: each "up" with whether Redis already counted it among the channel's subscribers. */
struct subscriber_changes {
    int up;
    int up_while_listed; /* ups at which PUBSUB NUMSUB already counted the subscriber */
};

static void on_subscriber_change(bool connected, void *data)
{
    struct subscriber_changes *changes = data;
    if (!connected)
        return;
    changes->up++;
    changes->up_while_listed += subscribed("store-test:up");
}

static void test_subscriber_is_up_once_redis_confirmed_its_channels(void)
{
    struct redis_client *subscriber = NULL;
    struct subscriber_changes changes = { 0 };
    struct received received = { 0 };
    const char *channels[] = { "store-test:other", "store-test:up" };
    struct redis_client_config config = { .url = server.url,
                                          .command_timeout_ms = COMMAND_TIMEOUT_MS,
                                          .max_pending = 8 };
    int result = redis_client_create(loop, &config, &subscriber);
    if (result == 0) {
        redis_client_on_change(subscriber, on_subscriber_change, &changes);
        result = redis_client_subscribe(subscriber, channels, 2, on_message, &received);
    }
    bool up = result == 0 && redis_server_run_until(loop, subscribed, "store-test:up", WAIT_MS);
    redis_server_run_for(loop, 50);
    bool connected = subscriber && redis_client_connected(subscriber);
    redis_client_destroy(subscriber);
    ASSERT_EQ_INT(0, result);
    ASSERT_TRUE(up);
    ASSERT_TRUE(connected);
    ASSERT_EQ_INT(1, changes.up);
    ASSERT_EQ_INT(1, changes.up_while_listed);
}

int main(void)
{
    if (redis_server_start(&server) < 0) {
        printf("Bail out! cannot start redis-server\n");
        return 1;
    }
    if (event_loop_create(&loop) < 0 || redis_server_client(&server, loop, COMMAND_TIMEOUT_MS, 0, &client) < 0) {
        printf("Bail out! cannot connect to redis-server\n");
        event_loop_destroy(loop);
        redis_server_destroy(&server);
        return 1;
    }
    redis_client_on_change(client, count_change, NULL);
    RUN(test_connects);
    RUN(test_command_round_trip);
    RUN(test_arguments_are_binary_safe);
    RUN(test_error_reply_reaches_the_callback);
    RUN(test_refuses_while_down_and_reconnects_after_restart);
    RUN(test_command_in_flight_when_redis_dies_gets_no_reply);
    RUN(test_deadline_answers_null_while_redis_is_frozen);
    RUN(test_registered_script_runs_after_script_flush);
    RUN(test_too_many_pending_commands_get_eagain);
    RUN(test_close_answers_pending_commands_with_null);
    RUN(test_bad_url_is_refused);
    RUN(test_subscriber_gets_published_messages_also_after_a_restart);
    RUN(test_subscriber_is_up_once_redis_confirmed_its_channels);
    redis_client_destroy(client);
    event_loop_destroy(loop);
    redis_server_destroy(&server);
    return test_done();
}
