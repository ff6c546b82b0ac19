/*
 * execution_waiters - requests that wait for an execution to end
 * (StartSyncExecution), wherever it runs: any loan-processor on the same
 * Redis may run it. Each waiter is answered once, from the loop, when the
 * execution's record says it has ended; nothing blocks and nothing polls
 * in a tight loop.
 *
 * How an end is noticed: its own Redis connection subscribes to
 * EXECUTION_STORE_CHANGES_CHANNEL, where the script that ends an execution
 * announces it; an announcement of a waited-for execution that is not
 * RUNNING makes the hub read the record (through the main connection). As
 * an announcement is lost while the subscriber is away, every waiter's
 * record is read again when the subscriber reconnects, and once every
 * EXECUTION_WAITERS_RECHECK_MS in any case. Once a second the hub looks at
 * each waiter's deadline and client (a client that went away ends its wait:
 * nothing is left behind).
 */
#ifndef EXECUTION_WAITERS_H
#define EXECUTION_WAITERS_H

#include <stdint.h>

#include "event_loop.h"
#include "execution_record.h"
#include "http_server.h"
#include "redis_client.h"

struct execution_waiters;

/* Every waiter's record is read again at least this often (announcements are the fast path). */
#define EXECUTION_WAITERS_RECHECK_MS 5000

struct execution_waiters_config {
    const char *redis_url;     /* the subscriber's */
    uint64_t redis_timeout_ms; /* the subscriber's */
};

/*
 * How a wait ended: status 0 (record: the ended execution, borrowed for the
 * call), -ETIMEDOUT (its deadline passed first), -ECANCELED (the client
 * went away: answer anyway, the answer is dropped), -ESHUTDOWN (the hub
 * closed) or -EIO (record NULL unless status is 0).
 */
typedef void (*execution_waiter_callback)(int status, const struct execution_record *record, void *data);

/*
 * Creates the hub on loop; redis (the process's connection, which outlives
 * the hub's use) reads the records. Its subscriber connects in the
 * background. Returns 0, -ENOMEM, or what creating the Redis client
 * returned (-EINVAL: a bad URL).
 */
__attribute__((warn_unused_result)) int execution_waiters_create(struct event_loop *loop, struct redis_client *redis,
                                                                 const struct execution_waiters_config *config,
                                                                 struct execution_waiters **waiters);

/*
 * Waits for the execution execution_id (ARN execution_arn, as its changes
 * are announced) to end, for request's client, until deadline_ms (epoch
 * ms). Returns 0 and later calls callback once; or -ESHUTDOWN, -ENOMEM and
 * never calls it.
 */
__attribute__((warn_unused_result)) int execution_waiters_wait(struct execution_waiters *waiters,
                                                               const char *execution_id, const char *execution_arn,
                                                               int64_t deadline_ms, struct http_request *request,
                                                               execution_waiter_callback callback, void *data);

/* Waiters now. */
size_t execution_waiters_count(const struct execution_waiters *waiters);

/* Shutdown: ends every wait (-ESHUTDOWN), refuses new ones and closes the subscription. Safe on NULL. */
void execution_waiters_close(struct execution_waiters *waiters);

/* Closes (if not done yet) and frees the hub; safe on NULL. Call before the loop goes away. */
void execution_waiters_destroy(struct execution_waiters *waiters);

#endif
