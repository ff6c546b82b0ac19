/*
 * callback_queue - delayed HTTP callbacks that survive restarts: pending
 * callbacks live in Redis, not in this process.
 *
 * Keys: see valuation-service/include/valuation_keys.h (the loan-processor's console reads them
 * too); the failed list keeps the last 1000.
 *
 * A process claims due callbacks atomically (one Lua script moves them to
 * in-flight with a lease and marks them with a token of its own), POSTs
 * them, and then deletes them (2xx), gives up on them (4xx, or the retry
 * deadline passed) or puts them back with exponential backoff and full
 * jitter (no answer, 5xx). Several processes can share one Redis: a
 * callback is claimed by one of them only.
 *
 * Delivery is at least once: a lease that runs out - the process died or
 * lost Redis mid-delivery, so the outcome was never recorded - puts the
 * callback back in due and it is sent again. The lease is long enough for
 * one whole delivery (see callback_queue_config), so this does not happen
 * while the claiming process is alive and Redis answers. An outcome
 * reported after the lease was taken over by another claim is ignored.
 * Due times use Redis' clock, so several instances agree on them.
 */
#ifndef CALLBACK_QUEUE_H
#define CALLBACK_QUEUE_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "event_loop.h"
#include "http_client.h"
#include "redis_client.h"

struct callback_queue;

/* The smallest retry_first_delay_ms: a receiver that fails at once is not hammered. */
#define CALLBACK_QUEUE_MIN_RETRY_DELAY_MS 1

struct callback_queue_config {
    unsigned max_in_flight;       /* callbacks being POSTed at once by this process */
    uint64_t poll_interval_ms;    /* how often to look for callbacks scheduled elsewhere */
    uint64_t delivery_timeout_ms; /* one POST, connect included */
    /*
     * The deadline of one Redis command (the client's command timeout). With
     * delivery_timeout_ms it sets the lease: 2 x (delivery_timeout_ms +
     * redis_timeout_ms), which exceeds the longest a live process can hold a
     * callback (the claim's reply, one POST and the outcome's write, each at
     * its deadline) with as much again to spare.
     */
    uint64_t redis_timeout_ms;
    /* The ceiling of the first retry's delay (at least CALLBACK_QUEUE_MIN_RETRY_DELAY_MS); it doubles per attempt. */
    uint64_t retry_first_delay_ms;
    uint64_t retry_max_delay_ms; /* the largest ceiling; not below retry_first_delay_ms */
    /*
     * From scheduling; no retry is due later (the time the failed POST took
     * counts), and a failure at or after it is recorded as failed.
     */
    uint64_t retry_deadline_ms;
    /* NULL, or a CALLBACK_SIGNING_SECRET list (webhook_signature.h; must outlive the queue): every POST carries
     * X-Valuation-Signature, signed with the first secret when it is sent (each retry anew). */
    const char *signing_secrets;
};

/*
 * status: 0 scheduled; -EEXIST when a callback with one of the ids is still
 * pending (nothing was scheduled: the pending one is kept as it is); -EIO
 * when Redis refused it; -ETIMEDOUT when no answer came (it may have been
 * scheduled).
 */
typedef void (*callback_queue_done)(int status, void *data);

/*
 * Creates the queue and starts polling. Returns 0, -EINVAL for a config
 * whose retry delays are out of bounds, -ENOMEM or what registering the
 * scripts returned.
 */
__attribute__((warn_unused_result)) int callback_queue_create(struct event_loop *loop, struct redis_client *redis,
                                                              struct http_client *http,
                                                              const struct callback_queue_config *config,
                                                              struct callback_queue **queue);

/* The lease a claim takes, derived from the config as described there. */
uint64_t callback_queue_lease_ms(const struct callback_queue_config *config);

/*
 * Stops polling and claiming (callbacks a claim answered after the stop
 * are not sent: their leases bring them back); deliveries in flight are left to finish (or,
 * if the process exits first, to their leases). Call before the Redis and
 * HTTP clients are closed: their cancelled operations still reach the queue,
 * which then only counts them down.
 */
void callback_queue_stop(struct callback_queue *queue);

/* Frees a stopped queue (it no longer touches the loop); safe on NULL. */
void callback_queue_destroy(struct callback_queue *queue);

/*
 * Schedules copies (1 or 2) POSTs of body to url, delay_ms from now. The
 * callbacks get ids "<reference>:<n>". Returns 0 and later calls done once;
 * or -EINVAL/-ENOTCONN/-EAGAIN/-ENOMEM and never calls it.
 */
__attribute__((warn_unused_result)) int callback_queue_schedule(struct callback_queue *queue, const char *reference,
                                                                const char *url, const char *body, int copies,
                                                                uint64_t delay_ms, callback_queue_done done,
                                                                void *data);

/*
 * report (owned by the callee, who must cJSON_Delete it) is
 * {"due": n, "inFlight": n, "failed": [the newest max_failed failure records],
 *  "instance": {"pid", "delivering", "delivered", "retried", "failed"}}:
 * the first three over every instance sharing the Redis (read in one atomic
 * step), "instance" counts this process' deliveries since it started.
 * status is 0, or -EIO (report NULL) when Redis did not answer (or memory ran out).
 */
typedef void (*callback_queue_report_done)(int status, cJSON *report, void *data);

/*
 * Reads the queue's state for GET /callbacks; max_failed is at most 1000
 * (the records kept). Returns 0 and later calls done once; or
 * -ENOTCONN/-EAGAIN/-ENOMEM and never calls it.
 */
__attribute__((warn_unused_result)) int callback_queue_report(struct callback_queue *queue, unsigned max_failed,
                                                              callback_queue_report_done done, void *data);

#endif
