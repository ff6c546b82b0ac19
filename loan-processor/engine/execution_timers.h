/*
 * execution_timers - fires the timers of executions (task timeouts and
 * missed heartbeats, Wait states, Retry intervals), which execution_store
 * keeps in Redis, so that they survive restarts and fire once across
 * several instances.
 *
 * It claims the due timers in batches, from every shard of executions at
 * once (see execution_store.h), and hands each execution id to a callback,
 * which reports back with execution_timers_handled() when done.
 * A local event-loop timer is armed for the earliest due time known (from
 * the last claim, over all shards, or from execution_timers_note_due() when
 * this process sets a timer), but never further away than a poll interval,
 * so that timers set by other instances are found too.
 */
#ifndef EXECUTION_TIMERS_H
#define EXECUTION_TIMERS_H

#include <stdint.h>

#include "event_loop.h"
#include "redis_client.h"

struct execution_timers;

/* One due timer: execution_id is borrowed for the call. */
typedef void (*execution_timer_callback)(const char *execution_id, void *data);

/* Creates the timers of one process. Returns 0 or -ENOMEM. Nothing is claimed before execution_timers_start(). */
__attribute__((warn_unused_result)) int execution_timers_create(struct event_loop *loop, struct redis_client *redis,
                                                                execution_timer_callback callback, void *data,
                                                                struct execution_timers **timers);

/* Lets the timers claim (once execution_store_shard_count() is settled) and claims now. */
void execution_timers_start(struct execution_timers *timers);

/* Claims due timers now (whenever Redis reconnects); nothing before execution_timers_start(). */
void execution_timers_wake(struct execution_timers *timers);

/* A timer was set for due_ms (wall-clock ms): wakes up then if that is earlier than planned. */
void execution_timers_note_due(struct execution_timers *timers, int64_t due_ms);

/* The callback's handling of one timer has finished (whatever its outcome). */
void execution_timers_handled(struct execution_timers *timers);

/* Stops claiming for good (shutdown); handlings in progress may still report. */
void execution_timers_stop(struct execution_timers *timers);

/* Frees the timers; call after execution_timers_stop() and once Redis is destroyed. Safe on NULL. */
void execution_timers_destroy(struct execution_timers *timers);

#endif
