/*
 * callback_queue - delayed HTTP callbacks that survive restarts: pending
 * callbacks live in Redis, not in this process.
 *
 * Keys (one hash tag, so they share a Redis Cluster slot):
 *   {valuation-service}:due            sorted set: callback id -> due time (Redis clock, ms)
 *   {valuation-service}:in-flight      sorted set: callback id -> lease expiry (ms)
 *   {valuation-service}:callback:<id>  hash: url, body, attempts, created
 *   {valuation-service}:failed         list: the last 1000 callbacks given up on (JSON)
 *
 * A process claims due callbacks atomically (moving them to in-flight with a
 * lease), POSTs them, and then deletes them (2xx), gives up on them (4xx, or
 * the retry deadline passed) or puts them back with exponential backoff and
 * full jitter (no answer, 5xx). A lease that runs out - the process died
 * mid-delivery - puts the callback back in due: delivery is at least once.
 * Due times use Redis' clock, so several instances agree on them.
 */
#ifndef CALLBACK_QUEUE_H
#define CALLBACK_QUEUE_H

#include <stdint.h>

#include "event_loop.h"
#include "http_client.h"
#include "redis_client.h"

struct callback_queue;

struct callback_queue_config {
    unsigned max_in_flight;          /* callbacks being POSTed at once */
    uint64_t poll_interval_ms;       /* how often to look for callbacks scheduled elsewhere */
    uint64_t delivery_timeout_ms;    /* one POST, connect included */
    uint64_t lease_ms;               /* after this, an unacknowledged delivery is retried */
    uint64_t retry_first_delay_ms;
    uint64_t retry_max_delay_ms;
    uint64_t retry_deadline_ms;      /* from scheduling; then the callback is recorded as failed */
};

/* status: 0 scheduled, or -EIO when Redis did not confirm it. */
typedef void (*callback_queue_done)(int status, void *data);

/* Creates the queue and starts polling. Returns 0 or -ENOMEM. */
int callback_queue_create(struct event_loop *loop, struct redis_client *redis, struct http_client *http,
                          const struct callback_queue_config *config, struct callback_queue **queue);

/*
 * Stops polling and claiming; deliveries in flight are left to their leases.
 * Call before the Redis and HTTP clients are closed: their cancelled
 * operations still reach the queue, which then only counts them down.
 */
void callback_queue_stop(struct callback_queue *queue);

/* Frees a stopped queue (it no longer touches the loop); safe on NULL. */
void callback_queue_destroy(struct callback_queue *queue);

/*
 * Schedules copies (1 or 2) POSTs of body to url, delay_ms from now. The
 * callbacks get ids "<reference>:<n>". Returns 0 and later calls done once;
 * or -ENOTCONN/-EAGAIN/-ENOMEM and never calls it.
 */
int callback_queue_schedule(struct callback_queue *queue, const char *reference, const char *url, const char *body,
                            int copies, uint64_t delay_ms, callback_queue_done done, void *data);

#endif
