/*
 * engine_internal - what the engine's own files share (see engine.h for
 * what the engine does). Not for use outside engine/.
 *
 *   engine.c            the engine's life, and definitions pinned by hash
 *   engine_names.c      ARNs of state machines and executions
 *   machine_registry.c  CreateStateMachine, UpdateStateMachine, the shipped files
 *   step_record.c       a step of the interpreter as the record a commit writes
 *   task_start.c        starting tasks through the task starter, their start leases
 *   execution_start.c   StartExecution
 *   execution_change.c  task outcomes, activity changes and due timers
 *   execution_stop.c    SendTaskHeartbeat and StopExecution
 *   execution_redrive.c RedriveExecution
 *   fork_commit.c       what a commit writes for the branches a step forked
 *   fork_change.c       the branches' part of a change: forks entered, continued, left; a child's end
 */
#ifndef ENGINE_INTERNAL_H
#define ENGINE_INTERNAL_H

#include <sys/queue.h>

#include "definition_cache.h"
#include "engine.h"
#include "execution_store.h"
#include "execution_timers.h"
#include "interpreter.h"
#include "record_cache.h"
#include "state_machine_store.h"
#include "task_token.h"

/*
 * A change that keeps losing compare-and-set races to other changes of the
 * same execution is given up after this many tries (reported as -EBUSY).
 */
#define ENGINE_MAX_COMMIT_ATTEMPTS 8

struct shipped_machine;
struct start_operation;

struct engine {
    struct event_loop *loop;
    struct redis_client *redis;
    struct execution_timers *timers;
    struct engine_config config;
    struct definition_cache definitions;
    struct record_cache *resting;          /* root records this process left resting at a task (execution_change.c) */
    SLIST_HEAD(, shipped_machine) shipped; /* zeroed: empty */
    SLIST_HEAD(, start_operation) waiting_starts; /* loaded their machine before the shard count was known */
    struct event_timer registration_timer;
    struct event_timer shards_timer; /* retries settling the shard count */
    bool shards_known;               /* execution_store_shard_count() is the one Redis holds */
    bool shards_pending;             /* a settling is in flight */
    bool stopped;
};

/* ---- engine.c ---- */

/* Whether the engine may read and write executions: Redis is connected and the shard count it holds is known. */
bool engine_store_usable(const struct engine *engine);

/* ---- execution_start.c ---- */

/* Goes on with the starts that wait for the shard count (status 0), or answers them -EIO (status < 0). */
void execution_start_resume_waiting(struct engine *engine, int status);

/* ---- engine_names.c ---- */

/*
 * The name of the state machine state_machine_arn names in this engine's
 * region and account (into out), or -ENOENT: an ARN of another region or
 * account, or a qualified one, names nothing here.
 */
__attribute__((warn_unused_result)) int
engine_machine_name_from_arn(const struct engine *engine, const char *state_machine_arn, char *out, size_t size);

/*
 * The ARN of the EXPRESS execution named execution_name (uuid: what makes it
 * unique) of a state machine ARN: arn:...:express:<machine>:<name>:<uuid>.
 * Returns 0 or -EINVAL.
 */
__attribute__((warn_unused_result)) int engine_express_arn(const char *state_machine_arn, const char *execution_name,
                                                           const char *uuid, char *out, size_t size);

/* ---- machine_registry.c ---- */

/* After a (re)connection to Redis: looks at every shipped definition again. */
void machine_registry_recheck(struct engine *engine);

/* Frees the shipped definitions. */
void machine_registry_free(struct engine *engine);

/* ---- engine.c: definitions, parsed once, cached by content hash ---- */

typedef void (*definition_pinned_callback)(int status, struct cached_definition *definition, void *data);

/*
 * Pins the parsed definition whose content hash is hash (owner names who
 * runs it, for the log): from the cache at once (returns 1, *definition
 * set), or loaded from Redis and parsed (returns 0; callback follows with
 * it, or -EIO). Returns a negative code, and never calls back, on failure.
 */
__attribute__((warn_unused_result)) int engine_pin_definition(struct engine *engine, const char *hash,
                                                              const char *owner, struct cached_definition **definition,
                                                              definition_pinned_callback callback, void *data);

/* ---- step_record.c ---- */

/* One event of a step as the commit takes it (see execution_store.h). */
struct step_event {
    char previous[HISTORY_REF_TEXT_SIZE];
    char *body; /* owned */
};

/*
 * What one commit writes: the record's new values (strings borrowed from
 * the step or the loaded record, except task_parameters) and which of its
 * fields the commit writes (those absent are deleted); the commit sets
 * lastEventId itself. The events are the step's, as the commit takes them.
 */
struct step_record {
    struct execution_record record;
    unsigned mask;
    char *task_parameters;                     /* owned: the new task's Parameters as JSON text */
    char *variables;                           /* owned: the branch's variables, when the step changed them */
    char *mock_invocations;                    /* owned: the branch's counts, when the step counted its task */
    long invocation;                           /* the invocation index of the task the step scheduled (0: first) */
    char state_entered[HISTORY_REF_TEXT_SIZE]; /* stateEnteredEventId when it is an event of the step */
    struct step_event *step_events;            /* owned, events.count of them */
    struct execution_event *items;             /* owned: events.items */
    struct execution_events events;
    struct execution_fields fields;
};

/* Frees what the step record owns and empties it. */
void step_record_reset(struct step_record *next);

/*
 * In an execution of a mock test case (test_case; NULL: nothing to count),
 * counts the task step schedules (not an activity's) among the Task states
 * the branch scheduled before (counts, its record's mockInvocations; NULL:
 * none): next's invocation becomes the task's invocation index, and the
 * commit writes the new counts. Call it after the step is described. 0, or
 * -ENOMEM (next unchanged).
 */
__attribute__((warn_unused_result)) int step_record_count_invocation(const struct interpreter_step *step,
                                                                     const char *counts, const char *test_case,
                                                                     struct step_record *next);

/* How many tasks of state the counts (a record's mockInvocations; NULL: none) hold. */
long step_record_invocations(const char *counts, const char *state);

/*
 * The fields to commit (next->fields), from next's record and mask; returns
 * them. When the record carries the root's execution deadline
 * (execution_timeout_ms: set it from the loaded record) and the commit
 * writes the timer of a running execution, the timer is the earlier of the
 * two, so the top-level TimeoutSeconds fires whatever the execution rests on.
 */
const struct execution_fields *step_record_fields(struct step_record *next);

/* When an execution of machine started at start_ms times out (TimeoutSeconds under TIME_SCALE), or 0: never. */
int64_t step_record_execution_deadline(const struct engine *engine, const struct state_machine *machine,
                                       int64_t start_ms);

/*
 * The events of step as the commit takes them (next->events, built from
 * the step's batch: keep step alive while they are used), with what next
 * describes (call it after step_record_describe()/append_only()). Returns 0
 * (*events set) or -ENOMEM.
 */
__attribute__((warn_unused_result)) int step_record_events(const struct interpreter_step *step,
                                                           struct step_record *next,
                                                           const struct execution_events **events);

/* The record a step leaves behind: where it rests (and its deadlines), or how it ended. */
void step_record_describe(const struct engine *engine, const struct interpreter_step *step, struct step_record *next);

/* The same for a step whose batch is another's (a child's, started in its parent's step) stamped now_ms. */
void step_record_describe_at(const struct engine *engine, const struct interpreter_step *step, int64_t now_ms,
                             struct step_record *next);

/* A change that only appends events: no field but lastEventId (which the commit sets) changes. */
void step_record_append_only(struct step_record *next);

/*
 * Confirms the open task's start (see task_start.c): its lease and
 * Parameters go, and unless next sets the timer itself it falls back to the
 * task's own deadlines.
 */
void step_record_confirm_start(const struct execution_record *record, struct step_record *next);

/* Gives the open task's start a new lease, from now_ms. */
void step_record_renew_start_lease(const struct engine *engine, const struct execution_record *record, int64_t now_ms,
                                   struct step_record *next);

/*
 * A worker took the activity task: its heartbeat clock starts again, as if
 * the worker had sent a heartbeat (it could not before it had the token).
 */
void step_record_restart_heartbeat(const struct execution_record *record, int64_t now_ms, struct step_record *next);

/*
 * The record a commit leaves in Redis, as a load would read it back: before
 * (NULL: the commit created the record) with the fields written set and
 * deleted, the placeholders events names resolved, and lastEventId moved
 * to the last of events when there are any (first_event_id: the id the
 * commit gave the first). A deep copy (execution_store_record_free()), or
 * NULL when out of memory.
 */
struct execution_record *step_record_committed(const struct execution_record *before,
                                               const struct execution_fields *written,
                                               const struct execution_events *events, long first_event_id);

/*
 * Whether record (NULL: no) is a root execution's, RUNNING and resting at a
 * task with an open token and no HeartbeatSeconds: the records whose next
 * change a commit of this process may compute without loading them (see
 * task_start.c and execution_change.c for why these, and what each adds).
 */
bool step_record_waits_at_root_task(const struct execution_record *record);

/* Logs how a committed step left the execution. */
void step_record_log(const struct interpreter_step *step, const char *execution_arn);

/* A uniform random fraction in [0, 1), for FULL-jitter retry delays. */
double step_record_random_fraction(void);

/* ---- task_start.c ---- */

/* What happened to a waiting activity task (changes of kind CHANGE_ACTIVITY). */
enum activity_change {
    ACTIVITY_STARTED,         /* a worker took it: ActivityStarted */
    ACTIVITY_MISSING,         /* its activity was deleted before it could be queued */
    ACTIVITY_SCHEDULE_FAILED, /* its activity's queue is full: ActivityScheduleFailed */
    ACTIVITY_QUEUED,          /* it is in its activity's queue: its start is confirmed */
};

/*
 * What follows a committed step: its log lines, its timer and its task (of
 * test_case, or NULL). committed (taken; NULL: unknown) is the record as
 * the commit left it (step_record_committed()): when it allows, the task's
 * report is committed from it without loading the record again.
 */
void task_start_after_commit(struct engine *engine, const struct interpreter_step *step, const struct step_record *next,
                             const char *execution_arn, const char *test_case, struct execution_record *committed);

/* Starts the open task of record again, from what the record kept of it. */
void task_start_again(struct engine *engine, const struct execution_record *record);

/*
 * Checks that the activity step schedules exists, unless it schedules none
 * or a missing one is already known. Returns 1 (nothing to check: commit
 * now), 0 (callback follows), or a negative code.
 */
__attribute__((warn_unused_result)) int task_start_check_activity(struct engine *engine,
                                                                  const struct interpreter_step *step,
                                                                  const char *known_missing,
                                                                  engine_status_callback callback, void *data);

/*
 * What the check of the activity a step schedules leads to: status 0 (it
 * exists) goes on as it is; -ENOENT keeps the activity's ARN in *missing and
 * computes the step again with recompute(owner), which then fails the
 * execution as AWS does. Returns 0 to commit the step, or a negative code.
 */
__attribute__((warn_unused_result)) int task_start_settle_activity_check(int status, char **missing,
                                                                         struct interpreter_step *step,
                                                                         int (*recompute)(void *owner), void *owner);

/* ---- fork_commit.c ---- */

/* Room for a branch id, and for a state number or an index as text. */
#define FORK_COMMIT_BRANCH_SIZE 128
#define FORK_COMMIT_NUMBER_SIZE 24

/* Room for a child execution's or Map Run's id ("<stateMachine>/<label>:<uuid>"). */
#define MAP_RUN_ID_SIZE 256

/* A child branch a commit creates. */
struct fork_commit_child {
    const struct interpreter_step *step; /* borrowed from the step that started it */
    struct step_record next;             /* its record */
    char map_index[FORK_COMMIT_NUMBER_SIZE];
    char fork_state[FORK_COMMIT_NUMBER_SIZE];
    char last_event[HISTORY_REF_TEXT_SIZE];
    char child_id[MAP_RUN_ID_SIZE]; /* an iteration of a distributed Map: the child execution's id */
};

/* A child that ended within its step, as its fork's result. */
struct fork_commit_result {
    char owner[FORK_COMMIT_BRANCH_SIZE];
    char fork_state[FORK_COMMIT_NUMBER_SIZE];
    char index[FORK_COMMIT_NUMBER_SIZE];
    char *value; /* owned */
};

/* ---- map_run_commit.c ---- */

/* What a step_environment's map_run callback knows: the execution starting a Map Run. */
struct map_run_origin {
    const char *execution_id;
    const char *state_machine_arn;
};

/*
 * The writes a commit makes for a distributed Map (docs/execution-model.md,
 * "Distributed Map"): its Map Run's record and index, its child executions'
 * records, first events and index. Owns the writes and the texts they hold.
 */
struct map_run_commit {
    struct store_write *writes;
    size_t count, capacity;
    char **texts;
    size_t text_count, text_capacity;
};

/*
 * step_environment.map_run (context: a struct map_run_origin): a new Map
 * Run's ARN, its uuid drawn until its id falls in the execution's shard. 0,
 * -EINVAL (the state machine ARN is not one), -ENAMETOOLONG or -EIO.
 */
int map_run_commit_arn(void *context, const char *label, char *out, size_t size);

/*
 * Adds the creation of child, an iteration of the Map Run map_run_arn
 * started at now_ms by the execution identity (the branch record holding
 * the parent's identity): its record, its ExecutionStarted, its place in the
 * Map Run's index and count. Writes its id into child_id. 0 or a negative
 * errno (nothing added).
 */
__attribute__((warn_unused_result)) int map_run_commit_child(struct map_run_commit *commit, const char *map_run_arn,
                                                             const struct execution_record *identity,
                                                             const struct fork_child *child, int64_t now_ms,
                                                             char child_id[MAP_RUN_ID_SIZE]);

/*
 * Adds what a continuation of the distributed Map that fork (the record of
 * branch branch_id resting at it, with its execution's identity) rests at
 * writes for its Map Run: the record (only if absent: the values the step
 * resolved, and where UpdateMapRun signals the fork) and index entry, and
 * when step ended the Map Run, its status and stop date. 0 or a negative
 * errno.
 */
__attribute__((warn_unused_result)) int map_run_commit_continue(struct map_run_commit *commit,
                                                                const struct execution_record *fork,
                                                                const char *branch_id,
                                                                const struct interpreter_step *step, int64_t now_ms);

/* Frees what commit owns and empties it; safe on a zeroed one. */
/* A child execution of a Map Run that RedriveExecution of its parent redrives. */
struct map_run_redriven_child {
    const char *id;     /* the child execution's id */
    const char *status; /* its ended status: FAILED, ABORTED or TIMED_OUT */
    long redrive_count; /* its redrive count after this redrive */
    long last_event_id; /* its history's length before ExecutionRedriven */
};

/*
 * Adds the redrive of child, an unsuccessful child execution of the Map Run
 * map_run_arn: its record RUNNING again with its redrive count and date (no
 * stopDate, output, error or cause), ExecutionRedriven appended to its
 * history, and the Map Run counting it running again. Its branch is the
 * caller's. 0, -EINVAL (not a Map Run ARN) or -ENOMEM.
 */
__attribute__((warn_unused_result)) int map_run_commit_redrive_child(struct map_run_commit *commit,
                                                                     const char *map_run_arn,
                                                                     const struct map_run_redriven_child *child,
                                                                     int64_t now_ms);

/*
 * Adds the redrive of the Map Run map_run_arn: RUNNING again (no stopDate),
 * its redriveCount incremented and redriveDate now_ms. 0, -EINVAL or -ENOMEM.
 */
__attribute__((warn_unused_result)) int map_run_commit_redrive(struct map_run_commit *commit, const char *map_run_arn,
                                                               int64_t now_ms);

void map_run_commit_reset(struct map_run_commit *commit);

/* What a commit writes for the forks of a step resting at a fork (borrowing from the step: keep it alive). */
struct fork_commit {
    struct fork_commit_child *children;
    struct execution_child *items;
    size_t child_count;
    struct fork_commit_result *result_texts;
    struct execution_result *results;
    size_t result_count;
    bool placeholders;                        /* a child's stateEnteredEventId is a placeholder of the batch */
    long running;                             /* the step's own children still running */
    char fork_state[FORK_COMMIT_NUMBER_SIZE]; /* the number of the fork the step rests at */
    struct map_run_commit map_run;            /* a distributed Map's child executions created */
};

/*
 * Splits a child's branch id "<parent>/<fork>.<index>" into its parent's
 * id ("" the root), the fork's state number and the index. 0 or -EINVAL.
 */
__attribute__((warn_unused_result)) int fork_commit_split_branch(const char *branch_id,
                                                                 char parent[FORK_COMMIT_BRANCH_SIZE],
                                                                 char fork_state[FORK_COMMIT_NUMBER_SIZE],
                                                                 char index[FORK_COMMIT_NUMBER_SIZE]);

/* A child's result for its fork: its output, or {"Error","Cause"}. A string the caller frees, or NULL (no memory). */
char *fork_commit_result_text(const struct interpreter_step *step);

/*
 * Describes what a commit of step, computed in branch branch_id of machine,
 * writes for its forks (nothing unless the step rests at a fork). known_base:
 * the id of the event before the batch when known (a start: 0), else -1
 * (references are then placeholders the commit resolves). test_case: the
 * execution's mock test case (NULL: none), whose children count the tasks
 * they schedule. 0 or a negative code; fork_commit_reset() in every case.
 */
__attribute__((warn_unused_result)) int fork_commit_describe(const struct engine *engine,
                                                             const struct state_machine *machine, const char *branch_id,
                                                             const struct interpreter_step *step, long known_base,
                                                             const char *test_case, struct fork_commit *forks);

/*
 * fork_commit_describe() for the step of branch (its record, with its
 * execution's identity): children inherit its historyOf and mock test case,
 * and a distributed Map's iterations become child executions of its Map Run.
 */
__attribute__((warn_unused_result)) int
fork_commit_describe_in(const struct engine *engine, const struct state_machine *machine,
                        const struct execution_record *branch, const char *branch_id,
                        const struct interpreter_step *step, long known_base, struct fork_commit *forks);

/* Sets next's fork fields for a branch entering the fork step rests at (before step_record_fields()). */
void fork_commit_describe_fork(const struct interpreter_step *step, struct fork_commit *forks,
                               struct step_record *next);

/* Adds the children and results to commit. */
void fork_commit_add(const struct fork_commit *forks, struct execution_branch_commit *commit);

/* After the commit: the children's tasks and timers, as task_start_after_commit() for each. */
void fork_commit_start_tasks(struct engine *engine, const struct fork_commit *forks, const char *execution_arn,
                             const char *test_case);

/* Frees what forks owns. */
void fork_commit_reset(struct fork_commit *forks);

/* The token of a Task attempt in a branch (step_environment.branch_token; context: the execution id). */
int fork_commit_branch_token(void *context, const char *branch_id, char *out, size_t size);

/* What a fork's continuation knows of its children (owned arrays behind progress). */
struct fork_results {
    struct fork_progress progress;
    char **outputs;
    bool *failed;
    char **errors;
    char **causes;
    bool *running;
};

/*
 * The progress of the fork record rests at, from the entries of its
 * results (execution_store_read_results()). 0 or -ENOMEM;
 * fork_results_free() in every case.
 */
__attribute__((warn_unused_result)) int fork_results_build(const struct execution_record *record,
                                                           const struct execution_hash_entry *entries, size_t count,
                                                           struct fork_results *results);

/* Frees what results owns and empties it; safe on a zeroed one. */
void fork_results_free(struct fork_results *results);

/* ---- execution_change.c ---- */

enum change_kind { CHANGE_TASK_OUTCOME, CHANGE_ACTIVITY, CHANGE_TIMER };

/*
 * Starts a change of kind (and activity, for CHANGE_ACTIVITY) to the task
 * waiting on token, with report (copied; for ACTIVITY_STARTED its output is
 * the worker's name), computed from record (taken, also on failure) when
 * the caller has it as this process just committed it, else from the record
 * this process kept for a task outcome (execution_change.c), else from a
 * load. A change computed from a record it did not load that finds the
 * execution changed or the task closed loads it and is computed again.
 * Same contract as engine_send_task_success(), except that without a load
 * the callback may come before it returns.
 */
__attribute__((warn_unused_result)) int execution_change_task(struct engine *engine, const char *token,
                                                              enum change_kind kind, enum activity_change activity,
                                                              const struct engine_task_report *report,
                                                              struct execution_record *record,
                                                              engine_task_callback callback, void *data);

/* A timer of execution_id is due (execution_timers' callback; data is the engine). */
void execution_change_timer_due(const char *execution_id, void *data);

/* What a due timer means for the record it belongs to. */
enum timer_action {
    TIMER_RESTORE,             /* nothing is due yet: put the timer back as the record says */
    TIMER_EXECUTION_TIMED_OUT, /* the root ran past the machine's top-level TimeoutSeconds: it ends TIMED_OUT */
    TIMER_TASK_TIMED_OUT,
    TIMER_HEARTBEAT_MISSED,
    TIMER_TASK_START_EXPIRED, /* the open task's start was not confirmed within its lease: start it again */
    TIMER_ELAPSED,            /* a Wait or a Retry interval ended */
};

struct change_operation {
    struct engine *engine;
    enum change_kind kind;
    enum activity_change activity; /* CHANGE_ACTIVITY */
    engine_task_callback callback; /* task outcomes and activity changes */
    void *data;
    char execution_id[TASK_TOKEN_EXECUTION_ID_SIZE];
    char *token;                       /* task outcomes: the token that must still be open */
    struct engine_task_report outcome; /* its strings owned; for ACTIVITY_STARTED, output is the worker's name */
    char *missing_activity;            /* an activity the step scheduled and found missing */
    int attempts;
    bool failing_refused; /* timers: Redis refused the step; the execution now fails instead (once) */
    bool branches_full;   /* the step would open more branches than the execution may have: computed again */
    bool known_record;    /* record is the one this process committed, not loaded: a lost commit loads it */
    bool plain_commit;    /* the step was committed by execution_store_commit() (the root, no fork touched) */
    struct execution_record *record;
    enum timer_action action;             /* timers: what the loaded record says the timer means */
    struct cached_definition *definition; /* the one the record runs, pinned */
    struct interpreter_step step;
    struct step_record next;
    /* Branches (docs/execution-model.md): the branch changed ("" the root) and what a child's change needs */
    char branch_id[TASK_TOKEN_BRANCH_ID_SIZE];
    long stored_events;            /* a child's: the history's length when loaded */
    long history_length;           /* a fork's continuation: the history's length before its results were read */
    bool results_read;             /* a fork's continuation: results holds its ended children */
    struct fork_results results;   /* a fork's continuation: what its children ended with */
    struct fork_settings settings; /* a distributed Map's continuation: what UpdateMapRun changed */
    struct fork_commit forks;      /* the branches the step forked */
    char *end_result;              /* a child's end: its output or {"Error","Cause"} */
    char end_parent[FORK_COMMIT_BRANCH_SIZE], end_fork[FORK_COMMIT_NUMBER_SIZE], end_index[FORK_COMMIT_NUMBER_SIZE];
};

/* Reports the end of a change (status 0, -ETIMEDOUT, -EBUSY, -EIO or -EPROTO) and frees it. */
void execution_change_finish(struct change_operation *operation, int status);

/* What follows a commit of a change's step (a store_events_callback; data is the change). */
void execution_change_committed(int status, enum execution_commit_outcome outcome, long first_event_id, void *data);

/* Pins the definition the change's record runs, then computes and commits its step. */
void execution_change_find_definition(struct change_operation *operation);

/* ---- fork_change.c ---- */

/* Whether record rests at a fork. */
bool fork_change_rests_at_fork(const struct execution_record *record);

/* Whether the change's step enters, continues or leaves a fork, or ends a child: beyond today's commit. */
bool fork_change_touches(const struct change_operation *operation);

/*
 * Commits such a step (execution_store_commit_branch()): its children and
 * results, the fork's counters, the child's end, the subtree of a fork it
 * left; execution_change_committed() follows. 0 or a negative code.
 */
__attribute__((warn_unused_result)) int fork_change_commit(struct change_operation *operation);

/* A child's record with its execution's identity (taken from execution, which is freed; NULL stays NULL). */
struct execution_record *fork_change_adopt_identity(struct execution_record *branch,
                                                    struct execution_record *execution);

/*
 * A fork's continuation: reads the history's length and the fork's
 * results into the change, then execution_change_find_definition(). 0, or
 * a negative code (nothing follows).
 */
__attribute__((warn_unused_result)) int fork_change_read_results(struct change_operation *operation);

/* A copy of text (NULL stays NULL); sets *failed when out of memory. */
char *engine_copy_or_null(const char *text, bool *failed);

#endif
