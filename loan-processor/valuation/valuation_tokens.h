/*
 * valuation_tokens - where the task tokens of valuation requests live in
 * Redis, and how the webhook finds them even when the callback is early.
 *
 * Keys:
 *   valuation:<valuationReference>  string: the task token (expires after the retention)
 *   valuation-requests-in-flight    sorted set: ids of valuation requests sent and not
 *                                   finished, scored by lease expiry (Redis clock, ms)
 *
 * A reference is 1-VALUATION_REFERENCE_MAX_LENGTH characters of the valuation
 * service's alphabet (A-Z a-z 0-9 _ -); the in-flight key is outside the
 * "valuation:" namespace, so no reference can name it.
 *
 * The race this closes: the valuation service answers 201 {R} and may call
 * back at once (tiny TIME_SCALE), before the loan-processor has stored
 * valuation:R. So ValuationRequestFunction registers each request as in
 * flight before it POSTs (and waits for that to be acknowledged), and ends
 * the registration only after storing the token. A callback for an unknown
 * R therefore waits only while some request that was registered before the
 * callback arrived is still in flight; with none, the reference is unknown
 * for good and can be answered at once.
 *
 * The two keys are in different Redis Cluster slots, so no script touches
 * both; single-key commands in a safe order do instead: each is sent once
 * the previous one has answered (on a plain Redis, whose one connection runs
 * commands in the order sent, a look-up's second GET goes right behind the
 * count: see valuation_tokens.c). Storing is SET valuation:R, then ZREM of
 * the registration; a look-up GETs valuation:R and, only when that misses,
 * counts the registrations (made by its arrival, not expired), then GETs
 * valuation:R again. A look-up can only answer "unknown" (no token, count 0)
 * wrongly if the count missed the registration of R's request and the GET
 * after it missed R's token. The registration was made before the POST, so before the 201 and
 * before any callback for R: it is counted unless it has ended (or its lease
 * expired: the request is over). If it ended by storing R's token, the SET
 * came before the ZREM, which came before the count, which came before the
 * GET: the GET sees the token. If it ended without a token (the request
 * failed), R is indeed unknown.
 *
 * Every "now" is Redis's TIME, so several processes share one clock.
 */
#ifndef VALUATION_TOKENS_H
#define VALUATION_TOKENS_H

#include "random_id.h"
#include "redis_client.h"

#define VALUATION_TOKENS_IN_FLIGHT_KEY "valuation-requests-in-flight"
/* How long the valuation service may take to answer a valuation request (its HTTP timeout). */
#define VALUATION_REQUEST_TIMEOUT_MS 10000
/* An in-flight registration's lease: the request's timeout plus a margin to store the token. */
#define VALUATION_REQUEST_LEASE_MS (VALUATION_REQUEST_TIMEOUT_MS + 5000)
#define VALUATION_REQUEST_ID_SIZE RANDOM_ID_NANOID_SIZE
/* The longest valuationReference taken from the service and accepted back by the webhook. */
#define VALUATION_REFERENCE_MAX_LENGTH 100
/* Room for the Redis key of a valid valuationReference (valuation_tokens_key()). */
#define VALUATION_TOKENS_KEY_SIZE 192

/* status 0: done; -EIO: Redis gave no answer or refused. */
typedef void (*valuation_tokens_callback)(int status, void *data);

struct valuation_token_lookup {
    const char *token;            /* the stored token (valid during the callback), or NULL */
    long long requests_in_flight; /* no token: requests registered before arrival and still in flight */
    long long arrived_ms;         /* Redis time of the first look-up; give it to the next ones */
};

/* status 0 and the result, or -EIO (result NULL). */
typedef void (*valuation_tokens_lookup_callback)(int status, const struct valuation_token_lookup *result, void *data);

/* Registers the scripts with redis; call once before use. Returns 0 or -ENOSPC. */
__attribute__((warn_unused_result)) int valuation_tokens_init(struct redis_client *redis);

/* True when reference is 1-VALUATION_REFERENCE_MAX_LENGTH characters of A-Z, a-z, 0-9, '_' and '-'. */
bool valuation_tokens_valid_reference(const char *reference);

/* Writes the Redis key of a valuationReference's token into out. */
void valuation_tokens_key(const char *valuation_reference, char *out, size_t size);

/*
 * Registers a valuation request as in flight for VALUATION_REQUEST_LEASE_MS
 * under a fresh random id, written into request_id (also dropping expired
 * registrations). Same contract as redis_client_command(): returns 0 and
 * later calls callback once, or a negative code (and -errno from the random
 * source) and never calls it.
 */
__attribute__((warn_unused_result)) int valuation_tokens_register_request(struct redis_client *redis,
                                                                          char request_id[VALUATION_REQUEST_ID_SIZE],
                                                                          valuation_tokens_callback callback,
                                                                          void *data);

/*
 * Stores token under valuation:<reference> for retention_seconds, then ends
 * the request's in-flight registration (in that order, see above). Same
 * contract as above; the callback gets -EIO unless both were done.
 */
__attribute__((warn_unused_result)) int valuation_tokens_store(struct redis_client *redis,
                                                               const char *valuation_reference, const char *token,
                                                               long long retention_seconds, const char *request_id,
                                                               valuation_tokens_callback callback, void *data);

/*
 * Ends a request's in-flight registration without a token (the request
 * failed). Fire and forget: if Redis does not get it, the lease expires.
 */
void valuation_tokens_release_request(struct redis_client *redis, const char *request_id);

/*
 * Looks up valuation:<reference>; when there is no token, counts the
 * requests still in flight that were registered no later than arrived_ms
 * (0 on the first look-up: now) and looks it up again (in that order, see
 * above). A token found at once comes with requests_in_flight 0 and the
 * arrived_ms given. Same contract as above.
 */
__attribute__((warn_unused_result)) int valuation_tokens_look_up(struct redis_client *redis,
                                                                 const char *valuation_reference, long long arrived_ms,
                                                                 valuation_tokens_lookup_callback callback, void *data);

/* ---- reads for the API and the console ---- */

/*
 * status 0: the token stored for the reference (borrowed for the call;
 * NULL when there is none) and how long it is kept still, in ms (-1: no
 * token or no expiry). -EIO when Redis gave no answer or refused, -ENOMEM.
 */
typedef void (*valuation_tokens_peek_callback)(int status, const char *token, long long ttl_ms, void *data);

/*
 * Reads valuation:<reference> and its time to live, for a view (it is not
 * a look-up: no in-flight request is counted). Returns 0 and later calls
 * callback once, or a negative errno (-ENOTCONN / -EAGAIN: Redis
 * unavailable, -ENOMEM) and never calls it.
 */
__attribute__((warn_unused_result)) int valuation_tokens_peek(struct redis_client *redis,
                                                              const char *valuation_reference,
                                                              valuation_tokens_peek_callback callback, void *data);

#endif
