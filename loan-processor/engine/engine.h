/*
 * engine - runs executions: starts them, completes their waiting tasks and
 * starts the tasks they wait on. It joins the pure interpreter to the
 * Redis store (execution_store) and to what starts tasks (the task starter
 * of its configuration, which main.c joins to the integrations).
 *
 * Every change is computed from the stored record and committed with a
 * compare-and-set on the record's lastEventId (and on the open task token
 * for task outcomes). A change that lost a race is recomputed from the new
 * record a few times; a task whose token is no longer open reports
 * -ETIMEDOUT, which the API answers with TaskTimedOut.
 *
 * Timers (task timeouts and heartbeats, Wait states, retry intervals) live
 * in Redis (see execution_timers); every duration of a definition is
 * multiplied by config.time_scale.
 *
 * Starting a task is the one piece of work a process holds between two
 * commits: the step that schedules a task is committed first, then the task
 * is started (its integration runs, or it is queued for its activity's
 * workers). The record keeps the task's Parameters and a start lease
 * (config.task_start_lease_ms) until the start is confirmed - the
 * integration reported, or the activity task is in its queue. If the lease
 * runs out first (the process died, or Redis was away), whichever instance
 * claims the timer starts the task again with the same token: a task is
 * started at least once, and a second start's report is dropped.
 *
 * State machines live in Redis (state_machine_store), so every
 * loan-processor on one Redis sees the same ones. An execution records the
 * content hash of the definition it started with (definition.h) and runs
 * that one to its end, whatever UpdateStateMachine or DeleteStateMachine do
 * meanwhile; the engine keeps recently used definitions parsed
 * (definition_cache) and loads the others from Redis.
 *
 * A Task whose Resource is an activity's ARN is queued for the activity's
 * workers (by the task starter) once its ActivityScheduled is committed; the
 * activity must exist when the task is scheduled (the task starter's
 * check_activity), else the execution fails with States.Runtime as on AWS.
 */
#ifndef ENGINE_H
#define ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "definition.h"
#include "execution_record.h"
#include "event_loop.h"
#include "redis_client.h"

struct engine;

/* What became of a task the engine asked its task starter to start. */
enum engine_task_report_kind {
    ENGINE_TASK_SUBMITTED,        /* started; its result comes later (SendTaskSuccess/Failure); output: JSON text */
    ENGINE_TASK_SUCCEEDED,        /* output: JSON text */
    ENGINE_TASK_FAILED,           /* error and cause (either may be NULL) */
    ENGINE_TASK_NOT_STARTED,      /* not started now (cause says why): started again when its start lease runs out */
    ENGINE_TASK_QUEUED,           /* an activity task is in its activity's queue */
    ENGINE_TASK_ACTIVITY_MISSING, /* its activity was deleted before the task could be queued */
    ENGINE_TASK_QUEUE_FULL,       /* its activity's queue is full */
};

/* A task starter's report; strings borrowed for the call. A NULL output of SUBMITTED or SUCCEEDED is taken as {}. */
struct engine_task_report {
    enum engine_task_report_kind kind;
    const char *output;
    const char *error;
    const char *cause;
};

typedef void (*engine_task_report_callback)(const struct engine_task_report *report, void *data);
typedef void (*engine_status_callback)(int status, void *data);

/* A task to start; everything borrowed for the call. */
struct engine_task {
    const char *execution_arn;
    const char *token;
    const char *resource_arn;  /* as in the definition */
    bool is_activity;          /* resource_arn is an activity's: queue the task for its workers */
    const char *resource_type; /* "lambda", "sns", "sqs" ("" for an activity) */
    const char *resource;      /* "invoke.waitForTaskToken", ... ("" for an activity) */
    const cJSON *parameters;   /* resolved Parameters (an activity task's input) */
    const char *state_name;    /* the Task state */
    long invocation;           /* of a test case: the tasks its branch scheduled in this state before this one */
    const char *test_case;     /* the execution's mock test case (started as <arn>#<case>), or NULL */
};

/* What starts tasks for the engine (main.c joins it to the integrations). */
struct engine_task_starter {
    /*
     * Starts task: returns 0 and later calls report exactly once (a mocked
     * task's report may come before it returns), or a negative errno and
     * never calls it.
     */
    int (*start)(void *context, const struct engine_task *task, engine_task_report_callback report, void *data);
    /*
     * Whether the activity of activity_arn exists: returns 0 and later calls
     * callback once with 0, -ENOENT or -EIO; or a negative errno and never
     * calls it.
     */
    int (*check_activity)(void *context, const char *activity_arn, engine_status_callback callback, void *data);
    void *context;
};

/* EXECUTION_SHARDS: its range and default (execution_store.h's, for the layers above the store). */
#define ENGINE_MAX_EXECUTION_SHARDS 1024
#define ENGINE_DEFAULT_EXECUTION_SHARDS 128

struct engine_config {
    const char *region;               /* "us-east-1" */
    const char *account;              /* "123456789012" */
    double time_scale;                /* factor on every timeout, heartbeat, Wait and retry interval */
    struct engine_task_starter tasks; /* what starts tasks and knows activities */
    int64_t task_start_lease_ms;      /* a task start not confirmed by then is started again (not scaled) */
    unsigned execution_shards;        /* EXECUTION_SHARDS: stored in Redis by the first process (execution_store.h) */
    size_t resting_records; /* at most this many records kept for task outcomes (0: RECORD_CACHE_MAX_ENTRIES) */
};

/*
 * status 0: started (or the same running execution already existed);
 * -EEXIST; -ENOENT (no such state machine); -EIO (Redis unavailable: may
 * work later); -EPROTO (Redis refused to store it, e.g. a document it cannot
 * decode: never works; see execution_store.h).
 */
typedef void (*engine_start_callback)(int status, const char *execution_arn, int64_t start_ms, void *data);

/*
 * status 0: done; execution_status is the execution's status afterwards.
 * -ETIMEDOUT: the task is closed (answered, timed out or its execution ended).
 * -EBUSY: other changes of the execution kept winning the compare-and-set
 * (8 tries); nothing was applied. -EIO: Redis gave no answer (or cannot
 * take commands now). -EPROTO: Redis refused the change (execution_store.h):
 * it will fail the same way again.
 */
typedef void (*engine_task_callback)(int status, const char *execution_arn, const char *execution_status, void *data);

/*
 * Creates an engine on loop and redis. Returns 0, -EINVAL (the task starter
 * lacks a function) or -ENOMEM. Its timers start firing, and executions
 * can be started, once Redis is connected and the shard count it holds is
 * known (engine_ready()).
 */
__attribute__((warn_unused_result)) int engine_create(struct event_loop *loop, struct redis_client *redis,
                                                      const struct engine_config *config, struct engine **engine);

/* Stops firing timers (shutdown: call before the loop goes away). Safe on NULL. */
void engine_stop(struct engine *engine);

/* Frees the engine. Operations still in flight must have been answered (destroy Redis first). */
void engine_destroy(struct engine *engine);

/* The configuration AWS reports for a state machine created without one. */
#define ENGINE_DEFAULT_LOGGING "{\"level\":\"OFF\",\"includeExecutionData\":false}"
#define ENGINE_DEFAULT_TRACING "{\"enabled\":false}"

/* CreateStateMachine's settings. */
struct engine_machine_spec {
    const char *name;       /* valid per the API's name rules */
    const char *definition; /* ASL text, checked here */
    const char *role_arn;
    enum machine_type type;
    const char *logging;             /* loggingConfiguration as JSON text; NULL: ENGINE_DEFAULT_LOGGING */
    const char *tracing;             /* tracingConfiguration as JSON text; NULL: ENGINE_DEFAULT_TRACING */
    bool publish;                    /* publish version 1 of it */
    const char *version_description; /* with publish; NULL: none */
    const char *const *tags; /* tag_count key, value pairs for a new machine (an existing one keeps its own), or NULL */
    size_t tag_count;
};

/* What UpdateStateMachine changes; NULL members are kept. */
struct engine_machine_change {
    const char *definition;
    const char *role_arn;
    const char *logging;
    const char *tracing;
    bool publish;                    /* publish a version of the result */
    const char *version_description; /* with publish; NULL: none */
};

/* What a create or update answers beside its status; strings borrowed for the callback. */
struct engine_machine_result {
    const char *arn;
    const char *revision_id; /* update only */
    int64_t date_ms;         /* creation or update time */
    const char *version_arn; /* with publish: the published (or latest, same) version; else NULL */
};

/*
 * Create: status 0 with the machine's ARN and creation time (also when the
 * same machine existed: AWS's idempotent answer), -EEXIST (the name is
 * taken by another definition or configuration), -EDQUOT (publish would
 * pass 1000 versions), -EIO.
 * Update: status 0 with the ARN, the new revisionId and the update time,
 * -ENOENT (no such machine), -EDQUOT (nothing changed), -EIO.
 */
typedef void (*engine_machine_callback)(int status, const struct engine_machine_result *result, void *data);

/*
 * CreateStateMachine: checks spec->definition for spec->type, then stores
 * the machine. Returns 0 and later calls callback once; or -EINVAL with
 * AWS's definition error text in error, -ENOTCONN/-EAGAIN/-ENOMEM, and
 * never calls it.
 */
__attribute__((warn_unused_result)) int engine_create_state_machine(struct engine *engine,
                                                                    const struct engine_machine_spec *spec, char *error,
                                                                    size_t error_size, engine_machine_callback callback,
                                                                    void *data);

/*
 * UpdateStateMachine of the machine called name, of type type (a new
 * definition is checked for it). Executions already running keep their
 * definition. Same returns as engine_create_state_machine().
 */
__attribute__((warn_unused_result)) int engine_update_state_machine(struct engine *engine, const char *name,
                                                                    enum machine_type type,
                                                                    const struct engine_machine_change *change,
                                                                    char *error, size_t error_size,
                                                                    engine_machine_callback callback, void *data);

/*
 * A definition shipped in STATE_MACHINES_DIR: checks it now (returns
 * -EINVAL with AWS's definition error text in error, or -ENOMEM) and
 * registers it in Redis as state machine name, through the same create and
 * update as the API, as soon as Redis is connected (retried until it
 * worked). Role: arn:aws:iam::<account>:role/<name>Role.
 */
__attribute__((warn_unused_result)) int engine_register_state_machine(struct engine *engine, const char *name,
                                                                      const char *definition, char *error,
                                                                      size_t error_size);

/* The factor on every duration of a definition (config.time_scale). */
double engine_time_scale(const struct engine *engine);

/* The event loop the engine runs on (borrowed), for the timers of work it starts for others. */
struct event_loop *engine_loop(const struct engine *engine);

/* Whether the shard count Redis holds is known and every shipped definition is registered (the server is ready). */
bool engine_ready(const struct engine *engine);

/*
 * Starts task through the engine's task starter outside any execution (a
 * Task that TestState runs once): nothing is recorded and no start lease is
 * taken. Returns 0 and later calls report exactly once, or a negative errno
 * and never calls it.
 */
__attribute__((warn_unused_result)) int engine_start_lone_task(struct engine *engine, const struct engine_task *task,
                                                               engine_task_report_callback report, void *data);

/* The ARN a state machine of this name has in this engine's region and account. */
void engine_state_machine_arn(const struct engine *engine, const char *name, char *out, size_t size);

/* The execution ARN for an execution name of a state machine ARN. Returns 0 or -EINVAL. */
__attribute__((warn_unused_result)) int engine_execution_arn(const char *state_machine_arn, const char *execution_name,
                                                             char *out, size_t size);

/*
 * Starts an execution named name (a UUID when NULL) with input (JSON text,
 * already validated), on the state machine's current definition, or on a
 * version's when state_machine_arn is a version's ARN (<machine>:<n>), or on
 * one of an alias's versions, picked by weight (<machine>:<alias>); the
 * execution records the version's and alias's ARNs. Returns 0
 * and later calls callback once; or -ENOENT (an ARN of another region or
 * account), -ENOTCONN/-EAGAIN (Redis unavailable), -ENOMEM, and never
 * calls it.
 */
__attribute__((warn_unused_result)) int engine_start_execution(struct engine *engine, const char *state_machine_arn,
                                                               const char *name, const char *input,
                                                               engine_start_callback callback, void *data);

/* What StartExecution and StartSyncExecution ask for; everything borrowed for the call. */
struct engine_start_request {
    const char *state_machine_arn;
    const char *name;         /* NULL: a UUID */
    const char *input;        /* JSON text, already validated */
    const char *trace_header; /* the X-Ray trace header (kept, shown by DescribeExecution), or NULL */
    bool express_only;        /* StartSyncExecution: a STANDARD machine is refused (-EOPNOTSUPP), nothing started */
    const char *test_case;    /* a mock test case (<arn>#<case>, docs/mocking.md; the caller checked that the mock
                                 configuration has it): the record keeps it and each task carries it to the task
                                 starter; or NULL */
};

/* An EXPRESS execution runs at most this long (AWS's limit; scaled by time_scale): then it ends TIMED_OUT. */
#define ENGINE_EXPRESS_MAX_SECONDS 300

/*
 * engine_start_execution() with every option of request. An execution of
 * an EXPRESS machine gets an express ARN
 * (arn:...:express:<machine>:<name>:<uuid>: names may repeat, it is never
 * idempotent), ends TIMED_OUT after ENGINE_EXPRESS_MAX_SECONDS at the
 * latest, and is not kept once ended (execution_store.h,
 * EXECUTION_STORE_EXPRESS_MARKER). The callback may also get -EOPNOTSUPP
 * (express_only and a STANDARD machine). Same returns as
 * engine_start_execution().
 */
__attribute__((warn_unused_result)) int engine_start(struct engine *engine, const struct engine_start_request *request,
                                                     engine_start_callback callback, void *data);

/*
 * The store's id of the EXPRESS execution execution_arn names
 * (arn:...:express:<machine>:<name>:<uuid>): "<machine>:<uuid>", into out.
 * Returns 0, or -EINVAL when it is not an express execution's ARN or does
 * not fit.
 */
__attribute__((warn_unused_result)) int engine_express_execution_id(const char *execution_arn, char *out, size_t size);

/*
 * SendTaskSuccess: completes the task waiting on token with output (JSON
 * text, already validated). Returns 0 and calls callback once (later; or
 * before it returns when computed from a record the engine kept fails at
 * once: -EIO, -ETIMEDOUT); or -EINVAL (token malformed), -ENOTCONN/-EAGAIN,
 * -ENOMEM, and never calls it.
 */
__attribute__((warn_unused_result)) int engine_send_task_success(struct engine *engine, const char *token,
                                                                 const char *output, engine_task_callback callback,
                                                                 void *data);

/* SendTaskFailure: as above, with error and cause (either may be NULL). */
__attribute__((warn_unused_result)) int engine_send_task_failure(struct engine *engine, const char *token,
                                                                 const char *error, const char *cause,
                                                                 engine_task_callback callback, void *data);

/*
 * GetActivityTask: a worker (worker_name, NULL for none) took the activity
 * task waiting on token; records ActivityStarted and restarts the task's
 * heartbeat clock. Same returns as engine_send_task_success(); the
 * callback gets 0, -ETIMEDOUT (the task is closed: skip it) or -EIO.
 */
__attribute__((warn_unused_result)) int engine_activity_started(struct engine *engine, const char *token,
                                                                const char *worker_name, engine_task_callback callback,
                                                                void *data);

/*
 * SendTaskHeartbeat: restarts the heartbeat clock of the task waiting on
 * token. Same returns as above; the callback gets 0, -ETIMEDOUT or -EIO
 * (execution_arn and execution_status NULL).
 */
__attribute__((warn_unused_result)) int engine_send_task_heartbeat(struct engine *engine, const char *token,
                                                                   engine_task_callback callback, void *data);

/* Whether an execution may be redriven now (DescribeExecution's redriveStatus). */
enum engine_redrive_status {
    ENGINE_REDRIVABLE,
    ENGINE_NOT_REDRIVABLE,        /* reason says why, in AWS's words */
    ENGINE_REDRIVABLE_BY_MAP_RUN, /* an unsuccessful child execution of a Map Run */
};

/*
 * The redrive status of record (an execution's, loaded from the store) at
 * now_ms, with AWS's reason (a static text) when NOT_REDRIVABLE, else NULL.
 * Pure. The machine's type is not looked at (see engine_redrive_execution()).
 */
enum engine_redrive_status engine_redrive_status(const struct execution_record *record, int64_t now_ms,
                                                 const char **reason);

/*
 * status 0: redriven at redrive_ms (or, for a client token that redrove it
 * before, its last redrive's date); -EPERM: not redrivable (reason: a static
 * text in AWS's words); -ENOENT (no such execution); -EBUSY (other changes
 * kept winning); -EIO.
 */
typedef void (*engine_redrive_callback)(int status, int64_t redrive_ms, const char *reason, void *data);

/*
 * RedriveExecution of a FAILED, TIMED_OUT or ABORTED execution of a
 * STANDARD machine (docs/api.md, "RedriveExecution"): in one compare-and-set
 * commit, appends ExecutionRedriven, makes it RUNNING and counts the
 * redrive; its timer then enters the failed state again with the input it
 * had, on the definition it ran, its TimeoutSeconds counted from now.
 * client_token (may be NULL) makes a repeated request answer the same.
 * Returns 0 and later calls callback once; or -EINVAL (id too long),
 * -ENOTCONN, -ENOMEM and never calls it.
 */
__attribute__((warn_unused_result)) int engine_redrive_execution(struct engine *engine, const char *execution_id,
                                                                 const char *client_token,
                                                                 engine_redrive_callback callback, void *data);

/*
 * status 0: stopped at stop_ms, or already closed (stop_ms its stopDate);
 * -ENOENT (no such execution); -EBUSY (other changes kept winning); -EIO.
 */
typedef void (*engine_stop_callback)(int status, int64_t stop_ms, void *data);

/*
 * StopExecution of the execution execution_id ("<stateMachine>:<execution>"):
 * writes ExecutionAborted with error and cause (either may be NULL) and
 * makes it ABORTED, in one compare-and-set commit that also closes its
 * open task (whose token then answers TaskTimedOut) and removes its timer.
 * A closed execution is left as it is. Returns 0 and later calls callback
 * once; or -ENOTCONN/-EAGAIN/-ENOMEM/-EINVAL and never calls it.
 */
__attribute__((warn_unused_result)) int engine_stop_execution(struct engine *engine, const char *execution_id,
                                                              const char *error, const char *cause,
                                                              engine_stop_callback callback, void *data);

#endif
