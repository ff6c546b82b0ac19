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
/* Most timers one claim takes from one shard. */
#define CLAIM_BATCH 128

/* One shard's claim of a round: what its answer needs to know. */
struct shard_claim {
    struct execution_timers *timers;
    unsigned shard;
};

/*
 * A claim is a round of claims, one per shard, sent together. Each takes at
 * most the round's limit, so that the round cannot take more timers than
 * there is room for in flight; when the room is smaller than the number of
 * shards, a round claims from that many shards only, and the next round
 * starts where this one stopped. A round after which some shards had more
 * due than their share (a distributed Map's children all share their
 * parent's shard) is followed by a focused round, which shares the room
 * among those shards only; then a sweep of every shard again, so that no
 * shard waits more than one round.
 */
struct execution_timers {
    struct event_loop *loop;
    struct redis_client *redis;
    execution_timer_callback callback;
    void *data;
    struct event_timer wakeup;
    int64_t wakeup_due_ms; /* wall clock; 0 when the wake-up is not armed */
    size_t in_flight;
    size_t claims_pending;     /* claims of the round waiting for their answer */
    size_t claim_limit;        /* most timers each claim of the round takes */
    unsigned next_shard;       /* the shard the next round starts with */
    bool round_full;           /* a claim of the round took its limit: more may be due */
    int64_t round_next_due_ms; /* earliest remaining due time the round's claims saw, -1 for none */
    bool claim_again;          /* a wake-up came while claiming */
    bool stopped;
    bool focused;                          /* the round claims only the shards found full */
    bool started;                          /* execution_timers_start() was called: the shard count is known */
    bool full[EXECUTION_STORE_MAX_SHARDS]; /* the shard's claim took its limit in the last round */
    struct shard_claim claims[EXECUTION_STORE_MAX_SHARDS];
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
    event_loop_timer_start(timers->loop, &timers->wakeup, due_ms > now ? (uint64_t)(due_ms - now) : 0, on_wakeup,
                           timers);
    timers->wakeup_due_ms = due_ms;
}

/* Every claim of the round has answered: plans the next one (a failed claim is retried within a poll interval). */
static void round_over(struct execution_timers *timers)
{
    int64_t now = wall_clock_now_ms();
    if (timers->claim_again || timers->round_full) {
        timers->claim_again = false;
        arm(timers, now);
    } else {
        arm(timers, timers->round_next_due_ms >= 0 ? timers->round_next_due_ms : now + POLL_INTERVAL_MS);
    }
}

static void on_claimed(int status, const char *const *ids, size_t count, int64_t next_due_ms, void *data)
{
    struct shard_claim *claim = data;
    struct execution_timers *timers = claim->timers;
    timers->claims_pending--;
    timers->full[claim->shard] = status == 0 && count == timers->claim_limit;
    if (status == 0) {
        for (size_t i = 0; i < count; i++) {
            timers->in_flight++;
            timers->callback(ids[i], timers->data);
        }
        if (count == timers->claim_limit)
            timers->round_full = true;
        if (next_due_ms >= 0 && (timers->round_next_due_ms < 0 || next_due_ms < timers->round_next_due_ms))
            timers->round_next_due_ms = next_due_ms;
    }
    if (timers->claims_pending == 0)
        round_over(timers);
}

static void claim(struct execution_timers *timers)
{
    if (timers->stopped || !timers->started)
        return;
    if (timers->claims_pending) {
        timers->claim_again = true;
        return;
    }
    int64_t now = wall_clock_now_ms();
    if (!redis_client_connected(timers->redis)) {
        arm(timers, now + POLL_INTERVAL_MS);
        return;
    }
    size_t room = timers->in_flight < MAX_IN_FLIGHT ? MAX_IN_FLIGHT - timers->in_flight : 0;
    if (room == 0)
        return; /* execution_timers_handled() claims again when there is room */
    const unsigned count = execution_store_shard_count();
    size_t full = 0;
    for (unsigned shard = 0; shard < count; shard++)
        full += timers->full[shard];
    timers->focused = !timers->focused && full > 0 && full < count;
    size_t shards = timers->focused ? full : room < count ? room : count;
    if (shards > room)
        shards = room;
    timers->claim_limit = room / shards < CLAIM_BATCH ? room / shards : CLAIM_BATCH;
    timers->round_full = false;
    timers->round_next_due_ms = -1;
    for (size_t i = 0, sent = 0; i < count && sent < shards; i++) {
        unsigned shard = (timers->next_shard + (unsigned)i) % count;
        if (timers->focused && !timers->full[shard])
            continue;
        sent++;
        timers->claims[shard] = (struct shard_claim){ timers, shard };
        if (execution_store_claim_timers(timers->redis, shard, now, CLAIM_LEASE_MS, timers->claim_limit, on_claimed,
                                         &timers->claims[shard])
            == 0)
            timers->claims_pending++;
    }
    if (!timers->focused)
        timers->next_shard = (timers->next_shard + (unsigned)shards) % count;
    if (timers->claims_pending == 0)
        arm(timers, now + POLL_INTERVAL_MS);
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

void execution_timers_start(struct execution_timers *timers)
{
    timers->started = true;
    arm(timers, wall_clock_now_ms());
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
