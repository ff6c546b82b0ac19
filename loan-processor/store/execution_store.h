/*
 * execution_store - where executions live in Redis, and the atomic changes
 * made to them.
 *
 * Keys. Executions are spread over execution_store_shard_count() shards (an
 * execution's shard is a hash of its id); the keys of one shard share the
 * Redis Cluster hash tag {sfn:<shard>} (at least two digits, e.g. {sfn:07}, {sfn:123}), so one
 * Lua script can change an execution and its shard's timers together, in a
 * cluster too:
 *   {sfn:NN}:execution:<stateMachine>:<execution>  hash: the record (its fields: execution_record.h)
 *   {sfn:NN}:history:<stateMachine>:<execution>    list: history events, compact (history_codec.h); read back
 *                                                  as API JSON by execution_store_read_history()
 *   {sfn:NN}:timers                                sorted set: the shard's execution ids by the ms
 *                                                  their timer is due
 *   {sfn:executions:<name>}:<stateMachineArn>     sorted set: execution ARNs by start time (ms); <name> is
 *                                                  the machine's, so that the indexes of its unqualified,
 *                                                  version and alias ARNs share one slot, and each machine's
 *                                                  index its own (ListExecutions reads one per page)
 *   {sfn:NN}:branch:<execution>|<branch>           hash: a child branch's record (docs/execution-model.md):
 *                                                  the resting fields of execution_record.h, its own
 *                                                  lastEventId, an iteration's mapIndex and mapItem, and
 *                                                  while it rests at a fork forkState and the fork counters
 *   {sfn:NN}:branches:<execution>                  sorted set (scores 0): the ids of the live child branches,
 *                                                  so that a subtree is one ZRANGEBYLEX on its id's prefix
 *   {sfn:NN}:results:<execution>|<branch>/<fork>   hash: the ended children of the fork <fork> (its state
 *                                                  number) of branch <branch> ("" for the root):
 *                                                  <index> -> output JSON, !<index> -> {"Error","Cause"}
 *   {sfn:NN}:kept:<execution>|<branch>/<fork>      hash: the results of the fork <fork> of branch <branch>
 *                                                  ("" the root) when an abort left it before all its
 *                                                  children succeeded (a failure, a stop or a timeout; a
 *                                                  child's fork when the child failed with it or an abort of
 *                                                  an ancestor took it), and #entered: the
 *                                                  stateEnteredEventId of that visit; a child's also
 *                                                  #mapIndex, #mapItem and #variables of its record, and
 *                                                  every kept fork #nested:<index> -> the fork its child
 *                                                  <index> rested at (kept too); RedriveExecution reruns
 *                                                  only the branches without a result
 * A branch id is "" for the root, "<fork>.<index>" for a root's child and
 * "<parent>/<fork>.<index>" deeper down. The root's record is the
 * execution's, and its timer member is the execution id; a child's timer
 * member is "<execution>|<branch>". '|' separates them: no execution id
 * holds one (names are checked by sfn_request_valid_name(), which refuses
 * '|'), nor does a branch id (digits, '.' and '/').
 * (State machines and their definitions live in state_machine_store, also
 * under {sfn}.) The index of a state machine's executions lives in another
 * slot than the executions, so no script can write both: creating an
 * execution adds its index entry first (ZADD NX) and, once Redis answered
 * it, runs the script that creates the record. A crash between the two leaves an index entry
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
    EXECUTION_CHANGED,       /* lastEventId moved on: reload and recompute */
    EXECUTION_TASK_CLOSED,   /* the required token is no longer open */
    EXECUTION_MISSING,       /* there is no such execution */
    EXECUTION_ORPHANED,      /* a child's end whose parent no longer rests at its fork: nothing was written */
    EXECUTION_BRANCHES_FULL, /* the children it creates would pass EXECUTION_STORE_MAX_LIVE_BRANCHES: nothing written */
};

/*
 * The most live child branches one execution may have (Parallel branches,
 * Map iterations, child executions of its Map Runs, nested ones included):
 * a commit that would create more writes nothing (EXECUTION_BRANCHES_FULL),
 * so that one abort of the whole tree stays a short script. A first step
 * cannot reach it (it runs at most TRANSITIONS_PER_STEP states).
 */
#define EXECUTION_STORE_MAX_LIVE_BRANCHES 20000

/* Room for an execution's record or history key; a longer one is -ENAMETOOLONG. */
#define EXECUTION_STORE_KEY_SIZE 256
/* Room for a branch's record key, a fork's results key or a timer member (a branch id is at most ~90 bytes). */
#define EXECUTION_STORE_BRANCH_KEY_SIZE 384
/* Room for a branch id read from a timer member. */
#define EXECUTION_STORE_BRANCH_ID_SIZE 128
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
    int64_t stop_ms;         /* 0 while running */
    long redrive_count;      /* 0: never redriven */
    int64_t redrive_ms;      /* when last redriven (0: never) */
    const char *version_arn; /* started by a version's or alias's ARN: the version, else NULL */
    const char *alias_arn;   /* started by an alias's ARN: the alias, else NULL */
};

/* ListExecutions' redriveFilter. */
enum execution_redrive_filter {
    EXECUTION_REDRIVE_ANY,
    EXECUTION_REDRIVEN,     /* redriven at least once */
    EXECUTION_NOT_REDRIVEN, /* never redriven */
};

/*
 * status 0: count executions, newest first, and next, the cursor of the
 * following page (NULL when there is none; borrowed for the call). -EIO
 * when Redis gave no answer, -ENOMEM.
 */
typedef void (*store_list_callback)(int status, const struct execution_summary *items, size_t count, const char *next,
                                    void *data);

/*
 * How many shards executions are spread over is a setting (EXECUTION_SHARDS), fixed per Redis: changing it would
 * orphan what Redis holds (executions, histories and timers would be looked for under another shard's keys than
 * the ones they were written to). The first process to start stores its count in {sfn}:settings (field
 * executionShards); every later one uses the stored count (execution_store_settle_shards()). Data written before
 * the setting existed used EXECUTION_STORE_LEGACY_SHARDS.
 */
#define EXECUTION_STORE_MAX_SHARDS 1024
#define EXECUTION_STORE_LEGACY_SHARDS 16
#define EXECUTION_STORE_DEFAULT_SHARDS 128
#define EXECUTION_STORE_SETTINGS_KEY "{sfn}:settings"

/*
 * The Redis Pub/Sub channel on which every change that adds history events
 * (a start included) is announced, by the script that commits it, as
 * {"executionArn":"...","status":"RUNNING|SUCCEEDED|...","lastEventId":N}.
 * Watchers (the benchmark, live views) subscribe to it rather than poll; a
 * message is lost while a watcher is disconnected, so a watcher reads the
 * execution again after it reconnects.
 */
#define EXECUTION_STORE_CHANGES_CHANNEL "sfn:execution-changes"

/*
 * What an EXPRESS execution's ARN holds (arn:...:express:<machine>:<name>:<uuid>). Such an execution is not
 * kept as a STANDARD one is (AWS keeps its history in CloudWatch Logs only): it is not entered in its state
 * machine's index (ListExecutions refuses EXPRESS machines), and once it has ended, its record and history expire
 * 60 s later (the script that ends it sets that: _publish_change.lua), long enough for its StartSyncExecution
 * caller to read how it ended.
 */
#define EXECUTION_STORE_EXPRESS_MARKER ":express:"

/* Registers the store's Lua scripts with client; call once before use. Returns 0 or -ENOMEM. */
__attribute__((warn_unused_result)) int execution_store_init(struct redis_client *client);

/*
 * The number of shards this process uses (EXECUTION_STORE_LEGACY_SHARDS until set). Set it once, before any
 * execution is read or written, with the count execution_store_settle_shards() answered; count is 1 to
 * EXECUTION_STORE_MAX_SHARDS (others are ignored).
 */
unsigned execution_store_shard_count(void);
void execution_store_set_shard_count(unsigned count);

/* shards: the count Redis holds (its first setter's or the legacy one), or 0 when status is not 0. */
typedef void (*store_shards_callback)(int status, unsigned shards, void *data);

/*
 * Reads the shard count stored in Redis, storing wanted first when none is (or the legacy count when Redis holds
 * state machines from before the setting). Same contract as redis_client_command(): returns 0 and later calls
 * callback once (status -EIO without an answer, -EPROTO for a stored value out of range), or a negative code and
 * never calls it. It does not change execution_store_shard_count().
 */
__attribute__((warn_unused_result)) int execution_store_settle_shards(struct redis_client *client, unsigned wanted,
                                                                      store_shards_callback callback, void *data);

/* The shard of an execution: FNV-1a (32 bits) of its id, modulo execution_store_shard_count(). */
unsigned execution_store_shard(const char *execution_id);

/*
 * Write the Redis key of an execution's record (or its history) into out;
 * the only place these keys are built. Return 0, or -ENAMETOOLONG when the
 * key does not fit in size (out then holds no usable key: two executions
 * must never share one).
 */
__attribute__((warn_unused_result)) int execution_store_key(const char *execution_id, char *out, size_t size);
__attribute__((warn_unused_result)) int execution_store_history_key(const char *execution_id, char *out, size_t size);

/* Writes the key of a shard's timers (shard < execution_store_shard_count()) into out. Same returns. */
__attribute__((warn_unused_result)) int execution_store_timers_key(unsigned shard, char *out, size_t size);

/*
 * Writes the key of a state machine's index of executions into out ({sfn:executions:<name>}:<arn>, the name taken
 * from the ARN's ":stateMachine:<name>[:<qualifier>]"). Same returns.
 */
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
 * script is sent only once the index entries are answered (they may be on
 * another node of a cluster). Same contract as above; -EINVAL without an arn or a
 * stateMachineArn, -ENAMETOOLONG when a key does not fit. A failure after
 * the index entry was sent leaves that entry alone: listings skip an entry
 * without a record.
 */
__attribute__((warn_unused_result)) int execution_store_create(struct redis_client *client, const char *execution_id,
                                                               const struct execution_record *record,
                                                               const struct execution_fields *fields,
                                                               const struct execution_events *events,
                                                               store_create_callback callback, void *data);

/* The child branches an execution's first step forked (execution_store_create_forked()). */
struct execution_first_forks {
    const struct execution_child *children; /* last_event: digits (the first step's ids are known: 1, 2, ...) */
    size_t child_count;
    const struct execution_result *results;
    size_t result_count;
};

/*
 * execution_store_create() of an execution whose first step forked: in the
 * same script, creates forks' children (records, live branch entries,
 * timers) and writes their results (forks NULL: none). Same contract.
 */
__attribute__((warn_unused_result)) int
execution_store_create_forked(struct redis_client *client, const char *execution_id,
                              const struct execution_record *record, const struct execution_fields *fields,
                              const struct execution_events *events, const struct execution_first_forks *forks,
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

/* The same for the open task of a branch (branch_id "" the root: execution_store_heartbeat()). */
__attribute__((warn_unused_result)) int
execution_store_heartbeat_branch(struct redis_client *client, const char *execution_id, const char *branch_id,
                                 const char *token, int64_t now_ms, store_commit_callback callback, void *data);

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
 * execution_store_list() of any index of executions: index_key is a sorted
 * set of execution ARNs scored by their start (ms), as a state machine's
 * index is (a Map Run's children: map_run_store). Same contract.
 */
__attribute__((warn_unused_result)) int execution_store_list_index(struct redis_client *client, const char *index_key,
                                                                   const char *cursor, size_t max_results,
                                                                   const char *status, store_list_callback callback,
                                                                   void *data);

/* execution_store_list_index() keeping only the executions redrive lets through. Same contract. */
__attribute__((warn_unused_result)) int execution_store_list_filtered(struct redis_client *client,
                                                                      const char *index_key, const char *cursor,
                                                                      size_t max_results, const char *status,
                                                                      enum execution_redrive_filter redrive,
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
 * JSON texts (the API's HistoryEvent shape, decoded from the stored form:
 * history_codec.h) borrowed for the call; count 0 when there is no such
 * execution. -EIO when Redis gave no answer, -EPROTO when a stored entry
 * does not decode, -ENOMEM.
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

/* ---- branches (Parallel and Map; docs/execution-model.md) ---- */

/*
 * Write the key of a branch's record (branch_id "": the execution's
 * record), of an execution's live branches, of a fork's results
 * (fork_key_part "<fork branch id>/<fork state number>"), or a branch's
 * timer member, into out. Same returns as execution_store_key().
 */
__attribute__((warn_unused_result)) int execution_store_branch_key(const char *execution_id, const char *branch_id,
                                                                   char *out, size_t size);
__attribute__((warn_unused_result)) int execution_store_branches_key(const char *execution_id, char *out, size_t size);
__attribute__((warn_unused_result)) int execution_store_results_key(const char *execution_id, const char *fork_key_part,
                                                                    char *out, size_t size);
__attribute__((warn_unused_result)) int execution_store_timer_member(const char *execution_id, const char *branch_id,
                                                                     char *out, size_t size);

/*
 * Splits a timer member (as claim_timers reports it) into its execution id
 * and branch id ("" for the root). Pure. Returns 0, -EINVAL when the member
 * names no execution, or -ENAMETOOLONG when a part does not fit.
 */
__attribute__((warn_unused_result)) int execution_store_parse_timer_member(const char *member, char *execution_id,
                                                                           size_t id_size, char *branch_id,
                                                                           size_t branch_size);

/*
 * status 0: execution holds the execution's identity fields (arn,
 * stateMachineArn, name, input, roleArn, definitionHash, startDate,
 * status, mockTestCase; NULL when there is no such execution), branch the branch's record
 * (the whole execution record for the root; NULL when there is no such
 * branch), stored_events the history's length. Both records belong to the
 * callback (execution_store_record_free). -EIO when Redis gave no answer.
 */
typedef void (*store_branch_load_callback)(int status, struct execution_record *execution,
                                           struct execution_record *branch, long stored_events, void *data);

/* Loads a branch (one read-only script). Same contract as execution_store_load(). */
__attribute__((warn_unused_result)) int execution_store_load_branch(struct redis_client *client,
                                                                    const char *execution_id, const char *branch_id,
                                                                    store_branch_load_callback callback, void *data);

/* A child branch a commit creates: its record is fields' set values plus lastEventId. */
struct execution_child {
    const char *branch_id;
    const char *last_event; /* its lastEventId: "@k" the k-th event of the commit, digits, or "" the commit's last */
    const struct execution_fields *fields; /* only the set values are used */
};

/* The end of the committing branch, a child of a fork. */
struct execution_child_end {
    const char *parent_branch_id; /* the fork's branch ("" the root) */
    const char *fork_state;       /* the fork's state number (the parent's forkState) */
    const char *index;            /* the child's index in the fork */
    bool failed;                  /* result is {"Error","Cause"}, else the child's output */
    const char *result;
};

/* A fork whose subtree a commit deletes: every child branch of it (and theirs), their timers and results. */
struct execution_abort {
    const char *fork_branch_id; /* the branch resting at the fork ("" the root) */
    const char *fork_state;
};

/* A child that ended within the commit's step: its result goes into its fork's results, counted in the fork's
   forkSucceeded or forkFailed (no signal: the step that ended it knows). */
struct execution_result {
    const char *fork_branch_id; /* the branch resting at the fork ("" the root) */
    const char *fork_state;
    const char *index;
    bool failed; /* value is {"Error","Cause"}, else the child's output */
    const char *value;
};

/* One commit of a branch (execution_store_commit_branch()); NULL or 0 for what it does not do. */
/* Most arguments of one store_write. */
#define EXECUTION_STORE_WRITE_ARGUMENTS 32

/*
 * A write a branch commit also makes, in the same script (a distributed
 * Map's Map Run and child executions, docs/execution-model.md): command is
 * "HSET", "HSETNX*" (sets the pairs only when the hash lacks the first pair's field), "RPUSH",
 * "ZADD" or "HINCRBY"; key a whole key in the execution's slot; the
 * arguments are borrowed.
 */
struct store_write {
    const char *command;
    char key[EXECUTION_STORE_BRANCH_KEY_SIZE];
    const char *arguments[EXECUTION_STORE_WRITE_ARGUMENTS];
    size_t argument_count;
};

struct execution_branch_commit {
    const char *branch_id; /* "" the root */
    long expected_last_event_id;
    const char *required_token;             /* NULL: none */
    const struct execution_events *events;  /* NULL: none */
    const char *last_event;                 /* the branch's lastEventId afterwards, as a child's; NULL: the last */
    const struct execution_fields *fields;  /* the branch's writes (ignored when it ends) */
    const struct execution_child *children; /* children to create */
    size_t child_count;
    const struct execution_child_end *end; /* the branch ends as a child: its record goes */
    bool continuation;                     /* a fork's continuation computed from expected_fork_signals */
    long expected_fork_signals;
    long fork_running_delta;                /* added to the branch's forkRunning (HINCRBY: never lost) */
    const struct execution_abort *abort;    /* a subtree to delete */
    int64_t now_ms;                         /* the time of a signal (end, stale continuation) */
    const struct execution_result *results; /* written after the children are created */
    size_t result_count;
    const char *history_of; /* a branch of a child execution: that execution's id, whose history it writes; NULL */
    const struct store_write *writes; /* applied last */
    size_t write_count;
};

/*
 * Commits a branch's step atomically (scripts/commit_branch.lua): when the
 * branch's record exists, its lastEventId is expected_last_event_id and
 * (when required_token is not NULL) that token is still its open one,
 * appends events (the first follows the branch's lastEventId unless it
 * names its previous), then either writes fields and mirrors the branch's
 * timer or, with end, writes the child's result into the fork's results,
 * counts it in the parent's forkRunning, forkSucceeded or forkFailed and
 * forkSignals, sets the parent's timer to now_ms and deletes the child's
 * record, timer and entry in the live branches (only if the parent still
 * rests at this fork: otherwise EXECUTION_ORPHANED and nothing is written).
 * A continuation whose expected_fork_signals is not the branch's
 * forkSignals any more keeps the branch's timer due at now_ms, while it
 * still rests at a fork. Then deletes abort's subtree, creates children
 * (records, live branch entries, timers) and writes results. A root commit that does none of
 * the branch things is execution_store_commit(). Same contract as
 * execution_store_commit(); -ENAMETOOLONG when a key does not fit.
 */
__attribute__((warn_unused_result)) int execution_store_commit_branch(struct redis_client *client,
                                                                      const char *execution_id,
                                                                      const struct execution_branch_commit *commit,
                                                                      store_events_callback callback, void *data);

/*
 * status 0: the count entries of a fork's results (name "<index>" or
 * "!<index>", value the JSON; borrowed for the call; none when there are
 * none). -EIO when Redis gave no answer, -ENOMEM.
 */
typedef void (*store_results_callback)(int status, const struct execution_hash_entry *entries, size_t count,
                                       void *data);

/*
 * Reads the results an abort kept of the fork fork_state (its state
 * number) of branch branch_id ("" the root; the "kept" key above), for
 * RedriveExecution. Same contract.
 */
__attribute__((warn_unused_result)) int execution_store_read_kept_results(struct redis_client *client,
                                                                          const char *execution_id,
                                                                          const char *branch_id, const char *fork_state,
                                                                          store_results_callback callback, void *data);

/* Reads a fork's results (HGETALL). Same contract as execution_store_load(). */
__attribute__((warn_unused_result)) int execution_store_read_results(struct redis_client *client,
                                                                     const char *execution_id,
                                                                     const char *fork_key_part,
                                                                     store_results_callback callback, void *data);

/* Most live branches one execution_store_read_branches() reads. */
#define EXECUTION_STORE_MAX_READ_BRANCHES 1000

/* One live child branch as execution_store_read_branches() reads it. */
struct execution_branch_entry {
    const char *branch_id;
    const struct execution_record *record; /* the branch's own fields (resting fields, mapIndex, fork counters) */
};

/*
 * status 0: the count live child branches of an execution (none when it has
 * none, or there is no such execution), in the order of their ids, borrowed
 * for the call; truncated says that more exist than were read. -EIO when
 * Redis gave no answer, -ENOMEM.
 */
typedef void (*store_branches_callback)(int status, const struct execution_branch_entry *branches, size_t count,
                                        bool truncated, void *data);

/*
 * Reads the live child branches of an execution and their records, at most
 * max of them (1-EXECUTION_STORE_MAX_READ_BRANCHES; 0 or more means the
 * maximum), in one read-only script (scripts/read_branches.lua). Same
 * contract as execution_store_load(); -ENAMETOOLONG when a key does not fit.
 */
__attribute__((warn_unused_result)) int execution_store_read_branches(struct redis_client *client,
                                                                      const char *execution_id, size_t max,
                                                                      store_branches_callback callback, void *data);

#endif
