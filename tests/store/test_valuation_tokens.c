/*
 * test_valuation_tokens.c - loan-processor/valuation/valuation_tokens
 * against a real redis-server: storing and looking up task tokens, and the
 * registrations of valuation requests in flight that make an early
 * callback wait.
 */
#include <errno.h>
#include <string.h>

#include "redis_server.h"
#include "test.h"
#include "valuation_tokens.h"

#define WAIT_MS 5000

static struct redis_server server;
static struct event_loop *loop;
static struct redis_client *client;

static struct outcome {
    bool done;
    int calls;
    int status;
    bool found;
    char token[128];
    long long requests_in_flight;
    long long arrived_ms;
} outcome;

static void on_done(int status, void *data)
{
    (void)data;
    outcome.done = true;
    outcome.calls++;
    outcome.status = status;
}

static void on_lookup(int status, const struct valuation_token_lookup *result, void *data)
{
    on_done(status, data);
    if (!result)
        return;
    outcome.found = result->token != NULL;
    snprintf(outcome.token, sizeof(outcome.token), "%s", result->token ? result->token : "");
    outcome.requests_in_flight = result->requests_in_flight;
    outcome.arrived_ms = result->arrived_ms;
}

static bool answered(int result)
{
    return result == 0 && redis_server_run_until_flag(loop, &outcome.done, WAIT_MS) && outcome.calls == 1;
}

static bool register_request(char request_id[VALUATION_REQUEST_ID_SIZE])
{
    outcome = (struct outcome){ 0 };
    return answered(valuation_tokens_register_request(client, request_id, on_done, NULL)) && outcome.status == 0;
}

static bool look_up(const char *reference, long long arrived_ms)
{
    outcome = (struct outcome){ 0 };
    return answered(valuation_tokens_look_up(client, reference, arrived_ms, on_lookup, NULL)) && outcome.status == 0;
}

static bool store(const char *reference, const char *token, const char *request_id)
{
    outcome = (struct outcome){ 0 };
    return answered(valuation_tokens_store(client, reference, token, 3600, request_id, on_done, NULL))
           && outcome.status == 0;
}

/* Redis's clock in ms. */
static long long redis_now_ms(void)
{
    redisReply *reply = redis_server_command(&server, "TIME");
    long long now =
        reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2
            ? strtoll(reply->element[0]->str, NULL, 10) * 1000 + strtoll(reply->element[1]->str, NULL, 10) / 1000
            : 0;
    if (reply)
        freeReplyObject(reply);
    return now;
}

static long long lease_expiry(const char *request_id)
{
    char *score = redis_server_string(&server, "ZSCORE " VALUATION_TOKENS_IN_FLIGHT_KEY " %s", request_id);
    long long expiry = score ? strtoll(score, NULL, 10) : 0;
    free(score);
    return expiry;
}

static void test_key_of_a_reference(void)
{
    char key[64];
    valuation_tokens_key("REF-1", key, sizeof(key));
    ASSERT_EQ_STR("valuation:REF-1", key);
}

static void test_a_registration_is_leased_on_redis_time(void)
{
    char request_id[VALUATION_REQUEST_ID_SIZE];
    long long before = redis_now_ms();
    ASSERT_TRUE(register_request(request_id));
    long long after = redis_now_ms();
    ASSERT_EQ_INT(VALUATION_REQUEST_ID_SIZE - 1, strlen(request_id));
    long long expiry = lease_expiry(request_id);
    ASSERT_TRUE(expiry >= before + VALUATION_REQUEST_LEASE_MS && expiry <= after + VALUATION_REQUEST_LEASE_MS);
}

static void test_registering_drops_expired_registrations(void)
{
    char request_id[VALUATION_REQUEST_ID_SIZE];
    redisReply *reply = redis_server_command(&server, "ZADD " VALUATION_TOKENS_IN_FLIGHT_KEY " 1 stale");
    freeReplyObject(reply);
    ASSERT_TRUE(register_request(request_id));
    ASSERT_EQ_INT(1, redis_server_integer(&server, "ZCARD " VALUATION_TOKENS_IN_FLIGHT_KEY));
    ASSERT_TRUE(lease_expiry(request_id) > 0);
}

static void test_store_sets_the_token_then_ends_the_registration(void)
{
    char request_id[VALUATION_REQUEST_ID_SIZE];
    ASSERT_TRUE(register_request(request_id));
    ASSERT_TRUE(store("REF-1", "token-1", request_id));
    char *token = redis_server_string(&server, "GET valuation:REF-1");
    bool stored = token && strcmp(token, "token-1") == 0;
    free(token);
    ASSERT_TRUE(stored);
    long long ttl = redis_server_integer(&server, "TTL valuation:REF-1");
    ASSERT_TRUE(ttl > 3590 && ttl <= 3600);
    ASSERT_EQ_INT(0, redis_server_integer(&server, "ZCARD " VALUATION_TOKENS_IN_FLIGHT_KEY));
}

static void test_look_up_finds_a_stored_token(void)
{
    char request_id[VALUATION_REQUEST_ID_SIZE];
    ASSERT_TRUE(register_request(request_id));
    ASSERT_TRUE(store("REF-1", "token-1", request_id));
    ASSERT_TRUE(look_up("REF-1", 0));
    ASSERT_TRUE(outcome.found);
    ASSERT_EQ_STR("token-1", outcome.token);
}

static void test_an_early_callback_waits_while_a_request_is_in_flight(void)
{
    char request_id[VALUATION_REQUEST_ID_SIZE];
    ASSERT_TRUE(register_request(request_id));
    long long before = redis_now_ms();
    ASSERT_TRUE(look_up("REF-early", 0));
    ASSERT_TRUE(!outcome.found);
    ASSERT_EQ_INT(1, outcome.requests_in_flight);
    ASSERT_TRUE(outcome.arrived_ms >= before && outcome.arrived_ms <= redis_now_ms());
    long long arrived = outcome.arrived_ms;
    /* The token arrives: the next look-up, with the first's arrival time, finds it. */
    ASSERT_TRUE(store("REF-early", "token-early", request_id));
    ASSERT_TRUE(look_up("REF-early", arrived));
    ASSERT_TRUE(outcome.found);
    ASSERT_EQ_STR("token-early", outcome.token);
    ASSERT_EQ_INT(arrived, outcome.arrived_ms);
}

static void test_an_unknown_reference_with_nothing_in_flight_is_unknown_at_once(void)
{
    ASSERT_TRUE(look_up("REF-unknown", 0));
    ASSERT_TRUE(!outcome.found);
    ASSERT_EQ_INT(0, outcome.requests_in_flight);
}

/*
 * A count answered NOSCRIPT is sent again after the GET that followed it on the connection: that GET's reading
 * comes before the count and is not taken; another GET follows the count.
 */
static void test_a_count_sent_again_after_noscript_is_followed_by_another_read(void)
{
    char request_id[VALUATION_REQUEST_ID_SIZE];
    ASSERT_TRUE(register_request(request_id));
    redisReply *reply = redis_server_command(&server, "SCRIPT FLUSH");
    ASSERT_TRUE(reply && reply->type == REDIS_REPLY_STATUS);
    freeReplyObject(reply);
    ASSERT_TRUE(look_up("REF-flushed", 0));
    ASSERT_TRUE(!outcome.found);
    ASSERT_EQ_INT(1, outcome.requests_in_flight);
    long long arrived = outcome.arrived_ms;
    ASSERT_TRUE(store("REF-flushed", "token-flushed", request_id));
    reply = redis_server_command(&server, "SCRIPT FLUSH");
    ASSERT_TRUE(reply && reply->type == REDIS_REPLY_STATUS);
    freeReplyObject(reply);
    ASSERT_TRUE(look_up("REF-flushed", arrived));
    ASSERT_TRUE(outcome.found);
    ASSERT_EQ_STR("token-flushed", outcome.token);
}

static bool redis_clock_passed(void *data)
{
    return redis_now_ms() > *(const long long *)data;
}

static void test_released_and_later_registrations_are_not_counted(void)
{
    char released[VALUATION_REQUEST_ID_SIZE], later[VALUATION_REQUEST_ID_SIZE];
    ASSERT_TRUE(register_request(released));
    valuation_tokens_release_request(client, released);
    ASSERT_TRUE(look_up("REF-1", 0)); /* sent after the release on the same connection */
    ASSERT_EQ_INT(0, lease_expiry(released));
    ASSERT_EQ_INT(0, outcome.requests_in_flight);
    long long arrived = outcome.arrived_ms;
    ASSERT_TRUE(redis_server_run_until(loop, redis_clock_passed, &arrived, WAIT_MS));
    ASSERT_TRUE(register_request(later));
    ASSERT_TRUE(look_up("REF-1", arrived));
    ASSERT_EQ_INT(0, outcome.requests_in_flight);
    ASSERT_TRUE(look_up("REF-1", 0));
    ASSERT_EQ_INT(1, outcome.requests_in_flight);
}

static int init_tokens(void *data)
{
    (void)data;
    return valuation_tokens_init(client);
}

int main(void)
{
    if (redis_server_open(&server, &loop, &client, init_tokens, NULL) < 0)
        return 1;
    RUN(test_key_of_a_reference);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_registration_is_leased_on_redis_time);
    REDIS_SERVER_RUN_FLUSHED(&server, test_registering_drops_expired_registrations);
    REDIS_SERVER_RUN_FLUSHED(&server, test_store_sets_the_token_then_ends_the_registration);
    REDIS_SERVER_RUN_FLUSHED(&server, test_look_up_finds_a_stored_token);
    REDIS_SERVER_RUN_FLUSHED(&server, test_an_early_callback_waits_while_a_request_is_in_flight);
    REDIS_SERVER_RUN_FLUSHED(&server, test_an_unknown_reference_with_nothing_in_flight_is_unknown_at_once);
    REDIS_SERVER_RUN_FLUSHED(&server, test_released_and_later_registrations_are_not_counted);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_count_sent_again_after_noscript_is_followed_by_another_read);
    redis_server_close(&server, loop, client);
    return test_done();
}
