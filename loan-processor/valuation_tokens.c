/* valuation_tokens - see valuation_tokens.h. */
#include "valuation_tokens.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lua: Redis's TIME in milliseconds, as the local "now". */
#define LUA_NOW_MS                                                                                            \
    "local time = redis.call('TIME')\n"                                                                       \
    "local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)\n"

/* KEYS[1] the in-flight set. ARGV[1] lease (ms), ARGV[2] request id. */
static struct redis_script register_script = {
    .name = "register-valuation-request",
    .source = LUA_NOW_MS
        "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)\n"
        "redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[2])\n"
        "return 1\n",
};

/* KEYS[1] valuation:<ref>, KEYS[2] the in-flight set. ARGV[1] token, ARGV[2] retention (s), ARGV[3] request id. */
static struct redis_script store_script = {
    .name = "store-valuation-token",
    .source =
        "redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])\n"
        "redis.call('ZREM', KEYS[2], ARGV[3])\n"
        "return 1\n",
};

/*
 * KEYS[1] valuation:<ref>, KEYS[2] the in-flight set. ARGV[1] lease (ms),
 * ARGV[2] arrival time (ms) or '' for now. Returns {1, token}, or
 * {0, requests registered by the arrival time and not expired, arrival time}.
 * A registration's time is its score minus the lease. Read-only: expired
 * registrations are dropped by the register script, not by every look-up.
 */
static struct redis_script look_up_script = {
    .name = "look-up-valuation-token",
    .source =
        "local token = redis.call('GET', KEYS[1])\n"
        "if token then return {1, token} end\n"
        LUA_NOW_MS
        "local arrived = ARGV[2] == '' and now or tonumber(ARGV[2])\n"
        "return {0, redis.call('ZCOUNT', KEYS[2], '(' .. now, arrived + tonumber(ARGV[1])), arrived}\n",
};

struct script_call {
    valuation_tokens_callback done;
    valuation_tokens_lookup_callback found;
    void *data;
};

int valuation_tokens_init(struct redis_client *redis)
{
    struct redis_script *const scripts[] = { &register_script, &store_script, &look_up_script };
    return redis_client_add_scripts(redis, scripts, sizeof(scripts) / sizeof(scripts[0]));
}

void valuation_tokens_key(const char *valuation_reference, char *out, size_t size)
{
    snprintf(out, size, "valuation:%s", valuation_reference);
}

static void on_done(redisReply *reply, void *data)
{
    struct script_call *call = data;
    call->done(reply && reply->type != REDIS_REPLY_ERROR ? 0 : -EIO, call->data);
    free(call);
}

/* Reads {1, token} or {0, in flight, arrived} into result; false when the reply is neither. */
static bool read_lookup(const redisReply *reply, struct valuation_token_lookup *result)
{
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 2
        || reply->element[0]->type != REDIS_REPLY_INTEGER)
        return false;
    if (reply->element[0]->integer == 1) {
        result->token = reply->element[1]->type == REDIS_REPLY_STRING ? reply->element[1]->str : NULL;
        return result->token != NULL;
    }
    if (reply->elements != 3 || reply->element[1]->type != REDIS_REPLY_INTEGER
        || reply->element[2]->type != REDIS_REPLY_INTEGER)
        return false;
    result->requests_in_flight = reply->element[1]->integer;
    result->arrived_ms = reply->element[2]->integer;
    return true;
}

static void on_looked_up(redisReply *reply, void *data)
{
    struct script_call *call = data;
    struct valuation_token_lookup result = { 0 };
    bool valid = read_lookup(reply, &result);
    call->found(valid ? 0 : -EIO, valid ? &result : NULL, call->data);
    free(call);
}

/* Runs script with two keys at most (given as NUL-terminated strings) and the call's callbacks. */
static int run(struct redis_client *redis, struct redis_script *script, int key_count, int argc, const char **argv,
               struct script_call call)
{
    struct script_call *copy = malloc(sizeof(*copy));
    if (!copy)
        return -ENOMEM;
    *copy = call;
    int result = redis_client_eval_strings(redis, script, call.found ? on_looked_up : on_done, copy, key_count, argc,
                                           argv);
    if (result < 0)
        free(copy);
    return result;
}

int valuation_tokens_register_request(struct redis_client *redis, char request_id[VALUATION_REQUEST_ID_SIZE],
                                      valuation_tokens_callback callback, void *data)
{
    char lease[32];
    int result = random_id_nanoid(request_id);
    if (result < 0)
        return result;
    snprintf(lease, sizeof(lease), "%d", VALUATION_REQUEST_LEASE_MS);
    const char *argv[] = { VALUATION_TOKENS_IN_FLIGHT_KEY, lease, request_id };
    return run(redis, &register_script, 1, 3, argv, (struct script_call){ callback, NULL, data });
}

int valuation_tokens_store(struct redis_client *redis, const char *valuation_reference, const char *token,
                           long long retention_seconds, const char *request_id, valuation_tokens_callback callback,
                           void *data)
{
    char key[192], retention[32];
    valuation_tokens_key(valuation_reference, key, sizeof(key));
    snprintf(retention, sizeof(retention), "%lld", retention_seconds);
    const char *argv[] = { key, VALUATION_TOKENS_IN_FLIGHT_KEY, token, retention, request_id };
    return run(redis, &store_script, 2, 5, argv, (struct script_call){ callback, NULL, data });
}

static void on_released(redisReply *reply, void *data)
{
    (void)reply; /* a lost ZREM only leaves the registration to expire with its lease */
    (void)data;
}

void valuation_tokens_release_request(struct redis_client *redis, const char *request_id)
{
    const char *argv[] = { "ZREM", VALUATION_TOKENS_IN_FLIGHT_KEY, request_id };
    redis_client_command_strings(redis, on_released, NULL, 3, argv);
}

int valuation_tokens_look_up(struct redis_client *redis, const char *valuation_reference, long long arrived_ms,
                             valuation_tokens_lookup_callback callback, void *data)
{
    char key[192], lease[32], arrived[32] = "";
    valuation_tokens_key(valuation_reference, key, sizeof(key));
    snprintf(lease, sizeof(lease), "%d", VALUATION_REQUEST_LEASE_MS);
    if (arrived_ms > 0)
        snprintf(arrived, sizeof(arrived), "%lld", arrived_ms);
    const char *argv[] = { key, VALUATION_TOKENS_IN_FLIGHT_KEY, lease, arrived };
    return run(redis, &look_up_script, 2, 4, argv, (struct script_call){ NULL, callback, data });
}
