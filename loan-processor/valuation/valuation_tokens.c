/* valuation_tokens - see valuation_tokens.h. */
#include "valuation_tokens.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "valuation_scripts.h"

/* scripts/register_valuation_request.lua */
static struct redis_script register_script = { .name = "register-valuation-request",
                                               .source = valuation_register_valuation_request_lua };
/* scripts/count_valuation_requests.lua */
static struct redis_script count_script = { .name = "count-valuation-requests",
                                            .source = valuation_count_valuation_requests_lua };

int valuation_tokens_init(struct redis_client *redis)
{
    struct redis_script *const scripts[] = { &register_script, &count_script };
    return redis_client_add_scripts(redis, scripts, sizeof(scripts) / sizeof(scripts[0]));
}

bool valuation_tokens_valid_reference(const char *reference)
{
    size_t length = strspn(reference, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
    return length > 0 && length <= VALUATION_REFERENCE_MAX_LENGTH && reference[length] == '\0';
}

void valuation_tokens_key(const char *valuation_reference, char *out, size_t size)
{
    snprintf(out, size, "valuation:%s", valuation_reference);
}

/* ---- registering a request ---- */

struct register_call {
    valuation_tokens_callback callback;
    void *data;
};

static void on_registered(redisReply *reply, void *data)
{
    struct register_call *call = data;
    call->callback(reply && reply->type != REDIS_REPLY_ERROR ? 0 : -EIO, call->data);
    free(call);
}

int valuation_tokens_register_request(struct redis_client *redis, char request_id[VALUATION_REQUEST_ID_SIZE],
                                      valuation_tokens_callback callback, void *data)
{
    char lease[32];
    int result = random_id_nanoid(request_id);
    if (result < 0)
        return result;
    struct register_call *call = malloc(sizeof(*call));
    if (!call)
        return -ENOMEM;
    *call = (struct register_call){ callback, data };
    snprintf(lease, sizeof(lease), "%d", VALUATION_REQUEST_LEASE_MS);
    const char *argv[] = { VALUATION_TOKENS_IN_FLIGHT_KEY, lease, request_id };
    result = redis_client_eval_strings(redis, &register_script, on_registered, call, 1, 3, argv);
    if (result < 0)
        free(call);
    return result;
}

/* ---- two commands in order ---- */

/*
 * Two single-key commands, the second sent only once the first has answered
 * as expected: their keys may live on different nodes of a Redis Cluster,
 * where nothing else orders them. The call is answered once: on the second's
 * reply, or with -EIO when the first failed or the second could not be sent.
 */
#define ORDERED_PAIR_MAX_ARGUMENTS 3

struct ordered_pair {
    struct redis_client *redis;
    valuation_tokens_callback stored;
    void *data;
    redis_client_callback on_second;
    int second_argc;
    char *second_argv[ORDERED_PAIR_MAX_ARGUMENTS]; /* copies */
};

static void ordered_pair_free(struct ordered_pair *pair)
{
    for (int i = 0; i < pair->second_argc; i++)
        free(pair->second_argv[i]);
    free(pair);
}

/* Answers the pair's caller with -EIO and frees the pair. */
static void ordered_pair_fail(struct ordered_pair *pair)
{
    pair->stored(-EIO, pair->data);
    ordered_pair_free(pair);
}

/* After the first reply was the one expected: sends the second, or fails the pair. */
static void ordered_pair_send_second(struct ordered_pair *pair)
{
    if (redis_client_command_strings(pair->redis, pair->on_second, pair, pair->second_argc,
                                     (const char **)pair->second_argv)
        < 0)
        ordered_pair_fail(pair);
}

/*
 * Sends the first command (durable: see redis_client_durable_command_strings()); the second (copied) follows its
 * reply. Same contract as redis_client_command() for the pair (freed when not sent).
 */
static int send_ordered_pair(struct ordered_pair *pair, bool durable, redis_client_callback on_first, int first_argc,
                             const char **first_argv, redis_client_callback on_second, int second_argc,
                             const char **second_argv)
{
    pair->on_second = on_second;
    for (; pair->second_argc < second_argc; pair->second_argc++) {
        pair->second_argv[pair->second_argc] = strdup(second_argv[pair->second_argc]);
        if (!pair->second_argv[pair->second_argc]) {
            ordered_pair_free(pair);
            return -ENOMEM;
        }
    }
    int result = durable ? redis_client_durable_command_strings(pair->redis, on_first, pair, first_argc, first_argv)
                         : redis_client_command_strings(pair->redis, on_first, pair, first_argc, first_argv);
    if (result < 0)
        ordered_pair_free(pair);
    return result;
}

static struct ordered_pair *ordered_pair_new(struct redis_client *redis, valuation_tokens_callback stored, void *data)
{
    struct ordered_pair *pair = calloc(1, sizeof(*pair));
    if (pair)
        *pair = (struct ordered_pair){ .redis = redis, .stored = stored, .data = data };
    return pair;
}

/* ---- storing a token ---- */

static void on_token_set(redisReply *reply, void *data)
{
    struct ordered_pair *pair = data;
    if (reply && reply->type == REDIS_REPLY_STATUS)
        ordered_pair_send_second(pair);
    else
        ordered_pair_fail(pair);
}

static void on_registration_ended(redisReply *reply, void *data)
{
    struct ordered_pair *pair = data;
    pair->stored(reply && reply->type == REDIS_REPLY_INTEGER ? 0 : -EIO, pair->data);
    ordered_pair_free(pair);
}

/*
 * SET valuation:<reference>, then ZREM of the registration, in that order
 * (see valuation_tokens.h for why the order matters). If the ZREM cannot be
 * sent after the SET, the call fails and the registration simply expires
 * with its lease.
 */
int valuation_tokens_store(struct redis_client *redis, const char *valuation_reference, const char *token,
                           long long retention_seconds, const char *request_id, valuation_tokens_callback callback,
                           void *data)
{
    char key[VALUATION_TOKENS_KEY_SIZE], retention[32];
    struct ordered_pair *pair = ordered_pair_new(redis, callback, data);
    if (!pair)
        return -ENOMEM;
    valuation_tokens_key(valuation_reference, key, sizeof(key));
    snprintf(retention, sizeof(retention), "%lld", retention_seconds);
    const char *set[] = { "SET", key, token, "EX", retention };
    const char *end_registration[] = { "ZREM", VALUATION_TOKENS_IN_FLIGHT_KEY, request_id };
    return send_ordered_pair(pair, true, on_token_set, 5, set, on_registration_ended, 3, end_registration);
}

static void on_released(redisReply *reply, void *data)
{
    (void)reply; /* a lost ZREM only leaves the registration to expire with its lease */
    (void)data;
}

void valuation_tokens_release_request(struct redis_client *redis, const char *request_id)
{
    const char *argv[] = { "ZREM", VALUATION_TOKENS_IN_FLIGHT_KEY, request_id };
    if (redis_client_command_strings(redis, on_released, NULL, 3, argv) < 0)
        return; /* not sent: like a lost ZREM, the registration expires with its lease */
}

/* ---- looking a token up ---- */

/*
 * GET valuation:<reference>; only when it misses, the count of requests in
 * flight, then GET again, the GET running after the count. A hit of the
 * first GET is the answer: one round trip, the common case.
 *
 * Why a miss of the second GET is as definitive as the count-then-GET of
 * valuation_tokens.h: the count is taken after the callback arrived (after
 * the first GET's reply). R's request registered before its POST, so before
 * the 201 and before the callback's arrival. If the count does not see that
 * registration, it had ended (or expired) before the count; if it ended by
 * storing R's token, the writer's SET came before its ZREM, which came
 * before the count, which came before the second GET: the second GET sees
 * the token. A miss then means R is unknown. With requests in flight, the
 * caller gets the count (and whatever the second GET found) and decides.
 *
 * How the second GET comes to run after the count:
 * - In a Redis Cluster the two keys live on different nodes, where nothing
 *   orders them: the GET is sent once the count has answered (two round
 *   trips).
 * - On a plain Redis every command travels over one connection, whose
 *   commands Redis runs in the order sent and answers in that order: the GET
 *   is sent right behind the count, without waiting (one round trip). A
 *   command of that connection is never sent again in another order, with
 *   one exception: a count answered NOSCRIPT (the script cache was flushed)
 *   did not run and is sent again as EVAL, so it runs after the GET behind
 *   it, whose reply then comes first. The replies' order tells: a GET
 *   answered after the count ran after it; a GET answered before it says
 *   nothing and is sent again once the count has answered. A lost
 *   connection answers every command sent on it with no reply (NULL), in
 *   order, and sends none of them again (redis_connection.c): the look-up
 *   fails.
 */
struct lookup_call {
    struct redis_client *redis;
    valuation_tokens_lookup_callback found;
    void *data;
    long long requests_in_flight; /* from the count; 0 before it */
    long long arrived_ms;         /* the caller's, or the count's */
    bool get_behind;              /* a GET sent right behind the count awaits its reply */
    bool counted;                 /* the count has answered */
    bool count_failed;            /* ... with no usable reply: the GET behind it fails the call */
    char key[VALUATION_TOKENS_KEY_SIZE];
};

static void lookup_fail(struct lookup_call *call)
{
    call->found(-EIO, NULL, call->data);
    free(call);
}

/* Sends GET valuation:<reference> with on_read; 0 or what redis_client_command_strings() refused with. */
static int send_get(struct lookup_call *call, redis_client_callback on_read)
{
    return redis_client_command_strings(call->redis, on_read, call, 2, (const char *[]){ "GET", call->key });
}

/* Sends GET valuation:<reference> with on_read; fails the call when it cannot be sent. */
static void lookup_get(struct lookup_call *call, redis_client_callback on_read)
{
    if (send_get(call, on_read) < 0)
        lookup_fail(call);
}

/* Answers the call from a GET's reply (a token, or none with the count) and frees it. */
static void lookup_answer(struct lookup_call *call, const redisReply *reply)
{
    struct valuation_token_lookup result = {
        .token = reply->type == REDIS_REPLY_STRING ? reply->str : NULL,
        .requests_in_flight = call->requests_in_flight,
        .arrived_ms = call->arrived_ms,
    };
    call->found(0, &result, call->data);
    free(call);
}

static bool is_get_reply(const redisReply *reply)
{
    return reply && (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_NIL);
}

static void on_token_read_again(redisReply *reply, void *data)
{
    struct lookup_call *call = data;
    if (is_get_reply(reply))
        lookup_answer(call, reply);
    else
        lookup_fail(call);
}

/* The reply of a GET sent right behind the count (plain Redis only; see above). */
static void on_token_read_behind(redisReply *reply, void *data)
{
    struct lookup_call *call = data;
    call->get_behind = false;
    if (!call->counted)
        return; /* it ran before the count (sent again after NOSCRIPT): the count's reply sends another GET */
    if (call->count_failed)
        lookup_fail(call);
    else
        on_token_read_again(reply, call);
}

static void on_requests_counted(redisReply *reply, void *data)
{
    struct lookup_call *call = data;
    call->counted = true;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2
        || reply->element[0]->type != REDIS_REPLY_INTEGER || reply->element[1]->type != REDIS_REPLY_INTEGER) {
        if (call->get_behind)
            call->count_failed = true; /* the GET's reply, still due, fails the call */
        else
            lookup_fail(call);
        return;
    }
    call->requests_in_flight = reply->element[0]->integer;
    call->arrived_ms = reply->element[1]->integer;
    if (!call->get_behind)
        lookup_get(call, on_token_read_again); /* a cluster, or no GET behind the count that ran after it */
}

/*
 * Counts the requests registered by the arrival time (now, on the first look-up) and still in flight; on a plain
 * Redis the second GET follows at once on the same connection (see above).
 */
static void lookup_count(struct lookup_call *call)
{
    char lease[32], arrived[32] = "";
    snprintf(lease, sizeof(lease), "%d", VALUATION_REQUEST_LEASE_MS);
    if (call->arrived_ms > 0)
        snprintf(arrived, sizeof(arrived), "%lld", call->arrived_ms);
    const char *argv[] = { VALUATION_TOKENS_IN_FLIGHT_KEY, lease, arrived };
    if (redis_client_eval_strings(call->redis, &count_script, on_requests_counted, call, 1, 3, argv) < 0) {
        lookup_fail(call);
        return;
    }
    /* Not sent (too many pending, ...): the count's reply sends it, as in a cluster. */
    if (!redis_client_is_cluster(call->redis) && send_get(call, on_token_read_behind) == 0)
        call->get_behind = true;
}

static void on_token_read(redisReply *reply, void *data)
{
    struct lookup_call *call = data;
    if (!is_get_reply(reply))
        lookup_fail(call);
    else if (reply->type == REDIS_REPLY_STRING)
        lookup_answer(call, reply);
    else
        lookup_count(call);
}

int valuation_tokens_look_up(struct redis_client *redis, const char *valuation_reference, long long arrived_ms,
                             valuation_tokens_lookup_callback callback, void *data)
{
    struct lookup_call *call = malloc(sizeof(*call));
    if (!call)
        return -ENOMEM;
    *call = (struct lookup_call){ .redis = redis, .found = callback, .data = data, .arrived_ms = arrived_ms };
    valuation_tokens_key(valuation_reference, call->key, sizeof(call->key));
    int result = send_get(call, on_token_read);
    if (result < 0)
        free(call);
    return result;
}

/* ---- reads for the API and the console ---- */

/* A peek's two commands, GET and PTTL, sent back to back; the callback comes with the last reply. */
struct peek_call {
    valuation_tokens_peek_callback callback;
    void *data;
    int pending;    /* commands sent and not answered */
    bool abandoned; /* sending the second failed: nobody is called */
    int status;
    char *token;
    long long ttl_ms;
};

static void peek_answered(struct peek_call *call)
{
    if (--call->pending > 0)
        return;
    if (!call->abandoned)
        call->callback(call->status, call->status == 0 ? call->token : NULL, call->status == 0 ? call->ttl_ms : -1,
                       call->data);
    free(call->token);
    free(call);
}

static void on_token_peeked(redisReply *reply, void *data)
{
    struct peek_call *call = data;
    if (!reply || (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_NIL))
        call->status = -EIO;
    else if (reply->type == REDIS_REPLY_STRING && !(call->token = strdup(reply->str)))
        call->status = -ENOMEM;
    peek_answered(call);
}

static void on_ttl_peeked(redisReply *reply, void *data)
{
    struct peek_call *call = data;
    if (!reply || reply->type != REDIS_REPLY_INTEGER)
        call->status = -EIO;
    else
        call->ttl_ms = reply->integer >= 0 ? reply->integer : -1;
    peek_answered(call);
}

int valuation_tokens_peek(struct redis_client *redis, const char *valuation_reference,
                          valuation_tokens_peek_callback callback, void *data)
{
    char key[VALUATION_TOKENS_KEY_SIZE];
    struct peek_call *call = calloc(1, sizeof(*call));
    if (!call)
        return -ENOMEM;
    *call = (struct peek_call){ .callback = callback, .data = data, .ttl_ms = -1 };
    valuation_tokens_key(valuation_reference, key, sizeof(key));
    int result = redis_client_command_strings(redis, on_token_peeked, call, 2, (const char *[]){ "GET", key });
    if (result < 0) {
        free(call);
        return result;
    }
    call->pending = 1;
    result = redis_client_command_strings(redis, on_ttl_peeked, call, 2, (const char *[]){ "PTTL", key });
    if (result < 0) {
        call->abandoned = true; /* the GET's reply frees it */
        return result;
    }
    call->pending = 2;
    return 0;
}
