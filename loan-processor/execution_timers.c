/* execution_timers - see execution_timers.h. */
#include "execution_timers.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "execution_store.h"
#include "log.h"
#include "wall_clock.h"

/* How often Redis is asked for due timers that this process did not set. */
#define POLL_INTERVAL_MS 250
/* A claimed timer fires again after this long if its claimer died before handling it. */
#define CLAIM_LEASE_MS 5000
/* Most timers being handled at once; further due ones wait for the next claim. */
#define MAX_IN_FLIGHT 512
#define CLAIM_BATCH 128

struct execution_timers {
    struct event_loop *loop;
    struct redis_client *redis;
    execution_timer_callback callback;
    void *data;
    struct event_timer wakeup;
    int64_t wakeup_due_ms;       /* wall clock; 0 when the wake-up is not armed */
    size_t in_flight;
    bool claiming;               /* a claim is waiting for its answer */
    bool claim_again;            /* a wake-up came while claiming */
    bool stopped;
};

static void claim(struct execution_timers *timers);

static void on_wakeup(struct event_timer *timer)
{
    struct execution_timers *timers = timer->data;
    timers->wakeup_due_ms = 0;
    claim(timers);
}

/* Arms the wake-up for due_ms (wall clock), unless it is already armed for earlier. */
static void arm(struct execution_timers *timers, int64_t due_ms)
{
    int64_t now = wall_clock_now_ms();
    if (timers->stopped || (timers->wakeup_due_ms && timers->wakeup_due_ms <= due_ms))
        return;
    if (due_ms > now + POLL_INTERVAL_MS)
        due_ms = now + POLL_INTERVAL_MS;
    if (event_loop_timer_start(timers->loop, &timers->wakeup, due_ms > now ? (uint64_t)(due_ms - now) : 0,
                               on_wakeup, timers) == 0)
        timers->wakeup_due_ms = due_ms;
}

static void on_claimed(int status, const char *const *ids, size_t count, int64_t next_due_ms, void *data)
{
    struct execution_timers *timers = data;
    timers->claiming = false;
    if (status < 0) {
        arm(timers, wall_clock_now_ms() + POLL_INTERVAL_MS);
        return;
    }
    for (size_t i = 0; i < count; i++) {
        timers->in_flight++;
        timers->callback(ids[i], timers->data);
    }
    if (timers->claim_again || count == CLAIM_BATCH) {
        timers->claim_again = false;
        arm(timers, wall_clock_now_ms());
    } else {
        arm(timers, next_due_ms >= 0 ? next_due_ms : wall_clock_now_ms() + POLL_INTERVAL_MS);
    }
}

static void claim(struct execution_timers *timers)
{
    if (timers->stopped)
        return;
    if (timers->claiming) {
        timers->claim_again = true;
        return;
    }
    if (!redis_client_connected(timers->redis)) {
        arm(timers, wall_clock_now_ms() + POLL_INTERVAL_MS);
        return;
    }
    size_t room = timers->in_flight < MAX_IN_FLIGHT ? MAX_IN_FLIGHT - timers->in_flight : 0;
    if (room == 0)
        return; /* execution_timers_handled() claims again when there is room */
    int result = execution_store_claim_timers(timers->redis, wall_clock_now_ms(), CLAIM_LEASE_MS,
                                              room < CLAIM_BATCH ? room : CLAIM_BATCH, on_claimed, timers);
    if (result < 0)
        arm(timers, wall_clock_now_ms() + POLL_INTERVAL_MS);
    else
        timers->claiming = true;
}

int execution_timers_create(struct event_loop *loop, struct redis_client *redis, execution_timer_callback callback,
                            void *data, struct execution_timers **timers_out)
{
    struct execution_timers *timers = calloc(1, sizeof(*timers));
    if (!timers)
        return -ENOMEM;
    timers->loop = loop;
    timers->redis = redis;
    timers->callback = callback;
    timers->data = data;
    *timers_out = timers;
    return 0;
}

void execution_timers_wake(struct execution_timers *timers)
{
    arm(timers, wall_clock_now_ms());
}

void execution_timers_note_due(struct execution_timers *timers, int64_t due_ms)
{
    arm(timers, due_ms);
}

void execution_timers_handled(struct execution_timers *timers)
{
    bool was_full = timers->in_flight == MAX_IN_FLIGHT;
    if (timers->in_flight)
        timers->in_flight--;
    if (was_full)
        arm(timers, wall_clock_now_ms());
}

void execution_timers_stop(struct execution_timers *timers)
{
    if (!timers)
        return;
    timers->stopped = true;
    event_loop_timer_stop(timers->loop, &timers->wakeup);
    timers->wakeup_due_ms = 0;
}

void execution_timers_destroy(struct execution_timers *timers)
{
    free(timers);
}
