/*
 * execution_store - where executions live in Redis, and the atomic changes
 * made to them.
 *
 * Keys. Executions are spread over EXECUTION_STORE_SHARDS shards (an
 * execution's shard is a hash of its id); the keys of one shard share the
 * Redis Cluster hash tag {sfn:<shard>} (two digits, e.g. {sfn:07}), so one
 * Lua script can change an execution and its shard's timers together, in a
 * cluster too:
 *   {sfn:NN}:execution:<stateMachine>:<execution>  hash: the record (its fields: execution_record.h)
 *   {sfn:NN}:history:<stateMachine>:<execution>    list: history events (API JSON)
 *   {sfn:NN}:timers                                sorted set: the shard's execution ids by the ms
 *                                                  their timer is due
 *   {sfn}:executions:<stateMachineArn>             sorted set: execution ARNs by start time (ms)
 * (State machines and their definitions live in state_machine_store, also
 * under {sfn}.) The index of a state machine's executions lives in another
 * slot than the executions, so no script can write both: creating an
 * execution adds its index entry first (ZADD NX) and then runs the script
 * that creates the record. A crash between the two leaves an index entry
 * without a record, which listings skip; never a record missing from the
 * index.
 *
 * A running execution's timer (the earliest of its task's timeout and
 * heartbeat deadline, the end of a Wait, the next attempt of a Retry) is
 * the record's timerDue; every script that changes a record also mirrors
 * timerDue into its shard's timers in the same step, so the two always agree.
 * Every change after creation is one call of the commit script, which
 * applies only if the record's lastEventId is the one the change was
 * computed from and, for task outcomes, only while the given task token is
 * still the open one. So a callback, a failure report and a stop racing for
 * one task have exactly one winner; the others see "closed" or "changed".
 */
#ifndef EXECUTION_STORE_H
#define EXECUTION_STORE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "execution_record.h"
#include "redis_client.h"

/* What a commit (or a heartbeat, or a timer's restoration) found; delivered beside the errno status. */
enum execution_commit_outcome {
    EXECUTION_COMMITTED,
    EXECUTION_CHANGED,     /* lastEventId moved on: reload and recompute */
    EXECUTION_TASK_CLOSED, /* the required token is no longer open */
    EXECUTION_MISSING,     /* there is no such execution */
};

/* Room for an execution's record or history key; a longer one is -ENAMETOOLONG. */
#define EXECUTION_STORE_KEY_SIZE 256
/* Room for a state machine's index key. */
#define EXECUTION_STORE_INDEX_KEY_SIZE 320

/* status: 0 and the record (NULL when there is no such execution), or -EIO when Redis gave no answer. */
typedef void (*store_load_callback)(int status, struct execution_record *record, void *data);
/*
 * The status of a store callback that failed (redis_client_reply_status()):
 * -EIO when Redis gave no answer or cannot take commands now (down, busy,
 * out of memory, loading, failing over): the same change may succeed later;
 * -EPROTO when Redis refused the change itself (a script's runtime error such
 * as a document its JSON decoder cannot take, a key of the wrong type): it
 * fails the same way every time, so it must not be retried.
 */

/*
 * status 0: created (existing NULL), or not created because the id is taken
 * (existing is that record; the callback frees it); -EIO or -EPROTO.
 */
typedef void (*store_create_callback)(int status, bool created, struct execution_record *existing, void *data);
/* status 0 and what the script found (outcome), or -EIO/-EPROTO (see above; outcome meaningless). */
typedef void (*store_commit_callback)(int status, enum execution_commit_outcome outcome, void *data);

/*
 * As store_commit_callback, for a commit of events: when committed,
 * first_event_id is the id the commit gave the first of them (the id the
 * next event will get when there were none); 0 otherwise.
 */
typedef void (*store_events_callback)(int status, enum execution_commit_outcome outcome, long first_event_id,
                                      void *data);

/*
 * One history event as a commit takes it. The commit numbers it (see
 * scripts/_append_events.lua and docs/execution-model.md): the k-th event of
 * a commit gets the history's length before it plus k.
 */
struct execution_event {
    const char *previous; /* "": the default (the record's lastEventId for the first event, the one before it for
                             the others); "@k": the k-th event of the same commit; or an id's digits */
    const char *body;     /* its JSON object text without "id" and "previousEventId"; a placeholder \x01k\x01 in it
                             stands for the k-th event's id */
};

/* The events of one commit. */
struct execution_events {
    const struct execution_event *items;
    size_t count;
    bool has_placeholders;       /* some body or field value holds placeholders (else none is looked for) */
    unsigned placeholder_fields; /* the record fields (execution_record_field bits) whose values may hold them */
};

/* Most timers one claim returns. */
#define STORE_MAX_CLAIMED_TIMERS 256

/*
 * status 0: ids (borrowed for the call) of the count executions whose timer
 * is due, now claimed; next_due_ms is when the earliest remaining timer is
 * due, -1 when none is left. -EIO when Redis gave no answer.
 */
typedef void (*store_claim_callback)(int status, const char *const *ids, size_t count, int64_t next_due_ms, void *data);

/* Most executions one listing returns (the model's PageSize maximum). */
#define EXECUTION_STORE_MAX_LISTED 1000

/* One execution of a listing; the strings are borrowed for the callback. */
struct execution_summary {
    const char *arn;
    const char *name;
    const char *status;
    int64_t start_ms;
    int64_t stop_ms; /* 0 while running */
};

/*
 * status 0: count executions, newest first, and next, the cursor of the
 * following page (NULL when there is none; borrowed for the call). -EIO
 * when Redis gave no answer, -ENOMEM.
 */
typedef void (*store_list_callback)(int status, const struct execution_summary *items, size_t count, const char *next,
                                    void *data);

/*
 * How many shards executions are spread over. Changing it orphans what
 * Redis holds: executions, histories and timers would be looked for under
 * another shard's keys than the ones they were written to.
 */
#define EXECUTION_STORE_SHARDS 16

/*
 * The Redis Pub/Sub channel on which every change that adds history events
 * (a start included) is announced, by the script that commits it, as
 * {"executionArn":"...","status":"RUNNING|SUCCEEDED|...","lastEventId":N}.
 * Watchers (the benchmark, live views) subscribe to it rather than poll; a
 * message is lost while a watcher is disconnected, so a watcher reads the
 * execution again after it reconnects.
 */
#define EXECUTION_STORE_CHANGES_CHANNEL "sfn:execution-changes"

/* Registers the store's Lua scripts with client; call once before use. Returns 0 or -ENOMEM. */
__attribute__((warn_unused_result)) int execution_store_init(struct redis_client *client);

/* The shard of an execution: FNV-1a (32 bits) of its id, modulo EXECUTION_STORE_SHARDS. */
unsigned execution_store_shard(const char *execution_id);

/*
 * Write the Redis key of an execution's record (or its history) into out;
 * the only place these keys are built. Return 0, or -ENAMETOOLONG when the
 * key does not fit in size (out then holds no usable key: two executions
 * must never share one).
 */
__attribute__((warn_unused_result)) int execution_store_key(const char *execution_id, char *out, size_t size);
__attribute__((warn_unused_result)) int execution_store_history_key(const char *execution_id, char *out, size_t size);

/* Writes the key of a shard's timers (shard < EXECUTION_STORE_SHARDS) into out. Same returns. */
__attribute__((warn_unused_result)) int execution_store_timers_key(unsigned shard, char *out, size_t size);

/* Writes the key of a state machine's index of executions into out. Same returns. */
__attribute__((warn_unused_result)) int execution_store_index_key(const char *state_machine_arn, char *out,
                                                                  size_t size);

/*
 * Loads an execution's record. Same contract as redis_client_command():
 * returns 0 and later calls callback once (the record belongs to the
 * callback, free it with execution_store_record_free), or a negative code
 * and never calls it.
 */
__attribute__((warn_unused_result)) int execution_store_load(struct redis_client *client, const char *execution_id,
                                                             store_load_callback callback, void *data);

/*
 * Adds an execution to its state machine's index (unless it is there), then
 * creates it with fields (those set: record's, execution_record_fields()
 * with EXECUTION_FIELDS_ALL, maybe overridden; among them its arn,
 * stateMachineArn and startDate; its lastEventId is set to its last
 * event's id) and its first events (the first follows event 0), in one step, unless
 * one with the same id exists (then the existing record is reported). The
 * two commands go out back to back on the one connection, so Redis runs
 * them in that order. Same contract as above; -EINVAL without an arn or a
 * stateMachineArn, -ENAMETOOLONG when a key does not fit. A failure after
 * the index entry was sent leaves that entry alone: listings skip an entry
 * without a record.
 */
__attribute__((warn_unused_result)) int execution_store_create(struct redis_client *client, const char *execution_id,
                                                               const struct execution_record *record,
                                                               const struct execution_fields *fields,
                                                               const struct execution_events *events,
                                                               store_create_callback callback, void *data);

/*
 * Appends events (NULL: none) and writes fields (see
 * execution_record_fields()), atomically, if the record's lastEventId is
 * still expected_last_event_id and (when required_token is not NULL) that
 * token is still the open one; the record's lastEventId becomes the id of
 * the last event appended. Same contract as above.
 */
__attribute__((warn_unused_result)) int execution_store_commit(struct redis_client *client, const char *execution_id,
                                                               long expected_last_event_id, const char *required_token,
                                                               const struct execution_events *events,
                                                               const struct execution_fields *fields,
                                                               store_events_callback callback, void *data);

/*
 * SendTaskHeartbeat: if token is the open task's, moves its heartbeat
 * deadline to now_ms plus its interval. The outcome is EXECUTION_COMMITTED,
 * EXECUTION_TASK_CLOSED or EXECUTION_MISSING. Same contract as above.
 */
__attribute__((warn_unused_result)) int execution_store_heartbeat(struct redis_client *client, const char *execution_id,
                                                                  const char *token, int64_t now_ms,
                                                                  store_commit_callback callback, void *data);

/*
 * Claims up to limit timers of one shard due at now_ms, pushing each to
 * now_ms + lease_ms (so it fires again if its claimer dies before handling
 * it); next_due_ms is the shard's. Same contract.
 */
__attribute__((warn_unused_result)) int execution_store_claim_timers(struct redis_client *client, unsigned shard,
                                                                     int64_t now_ms, int64_t lease_ms, size_t limit,
                                                                     store_claim_callback callback, void *data);

/*
 * Rewrites an execution's timer from its record (after a claim found
 * nothing due yet). The callback gets 0 with EXECUTION_COMMITTED, or -EIO.
 */
__attribute__((warn_unused_result)) int execution_store_restore_timer(struct redis_client *client,
                                                                      const char *execution_id,
                                                                      store_commit_callback callback, void *data);

/*
 * ListExecutions: one page of state_machine_arn's executions, newest first,
 * from cursor (a previous page's next; NULL for the newest), at most
 * max_results (1-1000; 0 means 1000) of them, only those whose status is
 * status when it is not NULL. A page may hold fewer than max_results even
 * when more follow: a listing looks at most max_results + 1000 index
 * entries, so that a status filter cannot make one call scan everything.
 * It reads the index, then the records of its entries in rounds sized to
 * what the page still lacks (one read-only script per shard and round),
 * skipping entries without a record. Same contract as
 * execution_store_load().
 */
__attribute__((warn_unused_result)) int execution_store_list(struct redis_client *client, const char *state_machine_arn,
                                                             const char *cursor, size_t max_results, const char *status,
                                                             store_list_callback callback, void *data);

/*
 * Whether cursor has the shape of a listing's next ("<ms>:<executionArn>")
 * for executions whose ARNs start with execution_arn_prefix.
 */
bool execution_store_cursor_valid(const char *cursor, const char *execution_arn_prefix);

/* Frees a record (execution_record_free()); safe on NULL. */
void execution_store_record_free(struct execution_record *record);

/* ---- reads for the API and the console ---- */

/*
 * status 0: the count events of an execution's history, oldest first, as
 * JSON texts (the API's HistoryEvent shape) borrowed for the call; count 0
 * when there is no such execution. -EIO when Redis gave no answer, -ENOMEM.
 */
typedef void (*store_history_callback)(int status, const char *const *events, size_t count, void *data);

/*
 * Reads an execution's whole history. Returns 0 and later calls callback
 * once, or a negative errno (-ENOTCONN / -EAGAIN: Redis unavailable,
 * -ENOMEM, -ENAMETOOLONG: no execution has an id that long) and never calls it.
 */
__attribute__((warn_unused_result)) int execution_store_read_history(struct redis_client *client,
                                                                     const char *execution_id,
                                                                     store_history_callback callback, void *data);

#endif
