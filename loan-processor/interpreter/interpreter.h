/*
 * interpreter - runs an execution of a state machine from one resting point
 * to the next. Pure: no I/O, no clock, no randomness (the caller passes the
 * time, a fresh task token, a random fraction and a source of random bytes
 * for intrinsic functions), so every step can be unit-tested alone.
 *
 * An execution rests only while a Task waits for its outcome, a Wait state
 * waits for its time, a failed Task waits for its next attempt (Retry), or
 * a long run of states yields to other work (continue); otherwise it has
 * ended. Each entry point produces one interpreter_step:
 * the history events to append, where the execution now rests (and, for a
 * timer, after how long), and the task the caller must start, if any. The
 * caller persists the step atomically and then starts the task.
 *
 * Errors follow the ASL rules: a task's error goes to the first retrier
 * whose ErrorEquals matches (while it has attempts left), else to the first
 * matching catcher, else it fails the execution. States.Runtime is never
 * caught.
 *
 * An execution is a tree of branches (docs/execution-model.md): a
 * Parallel or inline Map state forks child branches, which the step that
 * entered it starts and runs at once (Parallel branches round-robin, one
 * state each per round; Map iterations one after another) until each rests
 * or ends; all their events go into the step's one history batch. When
 * every child ended the fork joins within the step; otherwise it rests
 * (RESTING_FORK) and interpreter_fork_continue() goes on once the engine
 * saw children end. A position names its branch; every entry point works
 * in a child branch too, whose end is reported in the step (the child's
 * output, or error and cause) rather than ending the execution.
 *
 * A Task's attempt is recorded the way AWS records it: TaskScheduled,
 * TaskStarted, TaskSubmitted, TaskSucceeded/TaskFailed/TaskTimedOut for a
 * service integration; ActivityScheduled, ActivityStarted (when a worker
 * takes the task), ActivitySucceeded/ActivityFailed/ActivityTimedOut or
 * ActivityScheduleFailed when the Resource is an activity's ARN.
 */
#ifndef INTERPRETER_H
#define INTERPRETER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "history.h"
#include "state_machine.h"

enum execution_status {
    EXECUTION_RUNNING,
    EXECUTION_SUCCEEDED,
    EXECUTION_FAILED,
    EXECUTION_TIMED_OUT,
    EXECUTION_ABORTED,
};

/* What a running execution waits for. */
enum resting_kind {
    RESTING_TASK,     /* a Task's outcome: SendTask*, the integration's answer, or its timeout */
    RESTING_WAIT,     /* a Wait state's time */
    RESTING_RETRY,    /* the next attempt of a failed Task */
    RESTING_CONTINUE, /* a long run of states yields: it goes on, entering state_name with state_input, when the
                         (zero-delay) timer fires */
    RESTING_FORK,     /* a Parallel or Map state waits for its child branches (interpreter_fork_continue) */
};

/* Items of one inline Map, at most (docs/execution-model.md, Limits); more fail the state (States.Runtime). */
#define INTERPRETER_MAX_MAP_ITEMS 10000

/* Iterations of an inline Map a step starts, at most; the rest start in the fork's continuations. */
#define INTERPRETER_ITERATIONS_PER_STEP 100

/* Child executions of a distributed Map a step starts, at most: each is a record and no event, so more fit. */
#define INTERPRETER_CHILD_EXECUTIONS_PER_STEP 1000

/* Iterations of an inline Map running at once, at most (MaxConcurrency 0 or above it means it). */
#define INTERPRETER_MAX_INLINE_CONCURRENCY 40

/* Child executions of a distributed Map running at once, at most (MaxConcurrency 0 or above it means it), as at AWS. */
#define INTERPRETER_MAX_DISTRIBUTED_CONCURRENCY 10000

/* A Map Run's ARN is at most this long, NUL included (its ARN is a state machine's plus a label and a uuid). */
#define INTERPRETER_MAP_RUN_ARN_SIZE 400

/* A state's input or output, a task's Parameters or result: at most 256 KiB of JSON text, as at AWS. */
#define INTERPRETER_MAX_PAYLOAD_BYTES 262144

/*
 * The deepest nesting of arrays and objects a state's input, output or
 * Parameters may have: Redis's Lua JSON decoder refuses documents deeper
 * than 1,000 levels, and a stored document sits inside a few more. Deeper
 * data fails the execution (States.Runtime) where it would be built.
 */
#define INTERPRETER_MAX_NESTING 512

/* Whether value nests arrays and objects more than limit levels deep (a scalar is 0 deep, [] 1 deep). */
bool interpreter_nesting_over(const cJSON *value, int limit);

/* The events of one execution's history, at most, as at AWS; beyond it the execution fails (States.Runtime). */
#define INTERPRETER_MAX_HISTORY_EVENTS 25000

/* "RUNNING", "SUCCEEDED", ... as in the API. */
const char *interpreter_status_name(enum execution_status status);

/* "task", "wait", "retry", "continue" or "fork", as stored; and back (-EINVAL for another name). */
const char *interpreter_resting_name(enum resting_kind kind);
__attribute__((warn_unused_result)) int interpreter_resting_from_name(const char *name, enum resting_kind *kind);

/* Facts of an execution that never change: the context object's Execution and StateMachine. */
struct execution_facts {
    const char *execution_arn;
    const char *execution_name;
    const char *state_machine_arn;
    const char *state_machine_name;
    const char *role_arn;
    const char *version_arn; /* started by a version's or alias's ARN: the version's, else NULL */
    const char *alias_arn;   /* started by an alias's ARN: the alias's, else NULL */
    const char *region;
    int64_t start_ms;
    const char *input;  /* JSON text */
    long redrive_count; /* $$.Execution.RedriveCount: times redriven (0: never) */
    int64_t redrive_ms; /* $$.Execution.RedriveTime: when last redriven (0: never, and no RedriveTime) */
};

/* Where a running execution rests, as stored between steps. */
struct execution_position {
    long stored_events; /* how many events its history holds (the record's lastEventId while one branch writes) */
    const char *state_name;
    struct history_ref state_entered; /* its StateEntered event: stored, or (a position built in a step) in the batch */
    int64_t state_entered_ms;
    const char *state_input; /* JSON text: the state's raw input */
    enum resting_kind resting;
    const char *retry_counts; /* "1,0": retries made per retrier of the state; NULL for none */
    /* The branch it rests in (docs/execution-model.md, Branches): NULL or "" for the root, "4.0/9.17" for a child. */
    const char *branch_id;
    long map_index;        /* an iteration of a Map: the item's index (-1, or anything, for another branch) */
    const char *map_item;  /* an iteration of a Map: the item's JSON text ($$.Map.Item.Value); NULL otherwise */
    const char *variables; /* the branch's workflow variables (Assign): a JSON object's text; NULL or "" for none */
};

/* What a step takes from the outside world. */
struct step_environment {
    int64_t now_ms;
    const char *fresh_token; /* the token of a Task attempt started in this step */
    double jitter;           /* uniform in [0, 1): places a FULL-jitter retry delay */
    /* Fills length bytes with random data (random_id_fill): States.UUID, States.MathRandom. NULL: they fail. */
    int (*random_bytes)(void *buffer, size_t length);
    const char *missing_activity; /* an activity ARN found not to exist: a Task scheduling it
                                       fails the execution with States.Runtime, as AWS does; or NULL */
    /*
     * The token of a Task attempt started in child branch branch_id (each
     * branch waits on its own token): writes it into out (size bytes,
     * NUL-terminated) and returns 0, or a negative errno. NULL: every
     * branch's attempt gets fresh_token.
     */
    int (*branch_token)(void *context, const char *branch_id, char *out, size_t size);
    void *token_context;
    /*
     * The ARN of a new Map Run of a distributed Map labelled label (NULL:
     * the Map has no Label): writes it into out (size bytes) and returns 0,
     * or a negative errno. NULL: a distributed Map fails (States.Runtime).
     */
    int (*map_run)(void *context, const char *label, char *out, size_t size);
    void *map_run_context;
    /*
     * The execution has as many live branches as it may have (the store
     * refused the children this step would start): a fork that would start
     * one fails instead (States.Runtime, INTERPRETER_BRANCHES_FULL_CAUSE).
     */
    bool branches_full;
};

/* The cause of a fork that would open a branch beyond the execution's limit (docs/execution-model.md, Limits). */
#define INTERPRETER_BRANCHES_FULL_CAUSE                                                                 \
    "The execution has as many open branches (Parallel branches, Map iterations and child executions, " \
    "nested ones included) as it may have: 20000"

/* The Task a step leaves the execution waiting on. */
struct task_request {
    const char *resource_arn; /* as in the definition; borrowed from the machine */
    bool is_activity;         /* resource_arn is an activity's: the caller queues the task for its workers */
    char resource_type[64];   /* "lambda" ("" for an activity) */
    char resource[128];       /* "invoke.waitForTaskToken" ("" for an activity) */
    cJSON *parameters;        /* resolved Parameters (an activity's input), owned by the step */
    char *token;              /* the task token, owned by the step */
    long timeout_seconds;     /* resolved (TimeoutSeconds or its Path); 0 when not set */
    long heartbeat_seconds;
};

/*
 * A step's events carry no ids (see history.h): where the step quotes an id
 * of its own batch (state_entered, and cause when cause_has_placeholders),
 * the commit replaces the placeholder by the id.
 */
struct interpreter_step;

/* The Parallel or Map state a step entered and rests at (resting RESTING_FORK), forking children. */
struct fork_description {
    const char *state_name; /* borrowed from the machine */
    enum state_type kind;   /* STATE_PARALLEL or STATE_MAP */
    long length;            /* children in all: the Parallel's branches, the Map's items */
    long max_concurrency;   /* children running at once, at most (a Parallel: length) */
    long started;           /* children started so far (iterations start in index order) */
};

/* A child branch started in a step by the fork the step rests at (a fork that joins or fails within the step
   leaves no children in it: their events are all they wrote). */
struct fork_child {
    char *branch_id; /* "<parent>/<fork number>.<index>" ("4.0" under the root) */
    long map_index;  /* an iteration: its item's index; -1 for a Parallel's branch */
    char *map_item;  /* an iteration: its item's JSON text; NULL for a Parallel's branch */
    /*
     * An iteration of a distributed Map: a child execution. It is created
     * resting (continue) at the processor's StartAt with its input, and has
     * written no event: the commit creates its execution and history.
     */
    bool child_execution;
    /*
     * Its outcome in the step: RUNNING with its own resting point (and
     * task request, or nested fork and children), SUCCEEDED with output,
     * or FAILED with error and cause. Its events are in the history of
     * the step that started it (its own history is empty; its
     * state_entered names an event of that batch). Owned: released with
     * the step that holds it.
     */
    struct interpreter_step *step;
    struct history_ref last_event; /* its newest event in the step's batch: the branch's lastEventId once stored */
};

struct interpreter_step {
    struct history_batch history;
    enum execution_status status;
    char *output;                /* SUCCEEDED: JSON text */
    char *error;                 /* FAILED: may be NULL */
    char *cause;                 /* FAILED: may be NULL */
    bool cause_has_placeholders; /* FAILED: cause quotes an event of the batch (history_format_ref) */
    /* RUNNING: the new resting point */
    char *state_name;
    struct history_ref state_entered;
    int64_t state_entered_ms;
    char *state_input;
    enum resting_kind resting;
    int64_t delay_ms;   /* WAIT and RETRY: time until the timer, before any TIME_SCALE */
    char *retry_counts; /* NULL when no retry has been made in this state */
    bool has_task;      /* TASK: a new attempt was scheduled; the caller starts it */
    struct task_request task;
    /*
     * The step ran a child branch (its position's branch_id is not the
     * root's): SUCCEEDED and FAILED are that branch's end (output, or error
     * and cause, for its fork), not the execution's; no ExecutionSucceeded
     * or ExecutionFailed is written (a Map's iteration writes
     * MapIterationSucceeded or MapIterationFailed).
     */
    bool in_child;
    const char *iteration_of; /* in_child within an inline Map: the Map state's name (borrowed); NULL otherwise */
    /* in_child as an iteration of a distributed Map: its end writes ExecutionSucceeded/ExecutionFailed into its own
       history (the child execution's) */
    bool child_execution;
    long map_index; /* iteration_of: the item's index */
    /* FORK: the fork the branch rests at, entered (or continued) in this step, and the children it started in it */
    bool has_fork;
    struct fork_description fork;
    struct fork_child *children;
    size_t child_count;
    /* A distributed Map entered in this step (has_fork, or joined or failed within it): its Map Run's ARN. Its
       continuations leave it NULL (the engine keeps it with the fork). */
    char *map_run_arn;
    /* The fork joined (MapRunSucceeded) or failed (MapRunFailed) a distributed Map's Map Run in this step. */
    bool map_run_ended;
    bool map_run_failed;
    /* A distributed Map's resolved MaxConcurrency, ToleratedFailureCount and ToleratedFailurePercentage (-1: not
       set), as its Map Run's record shows them */
    long map_run_max_concurrency;
    long map_run_tolerated_count;
    double map_run_tolerated_percentage;
    /*
     * The branch's workflow variables (an object) as the step leaves them,
     * NULL when it has none; owned. variables_changed: the step assigned
     * some, or (a child) starts with its parent's: the commit stores them
     * (interpreter_variables_text). assigned: the Assign of the state being
     * exited, until its StateExited records it.
     */
    cJSON *variables;
    bool variables_changed;
    cJSON *assigned;
};

/* The step's variables as the commit stores them: a malloc'd JSON text ("{}" for none), NULL when out of memory. */
char *interpreter_variables_text(const struct interpreter_step *step);

/*
 * What the engine knows of a resting fork's children: length and started
 * as in fork_description; for each index below length, outputs[i] is the
 * output (JSON text) of a child that succeeded, failed[i] says the child
 * failed (errors[i] and causes[i], either may be NULL), both empty for a
 * child still running or not started. A Map's ToleratedFailureCount and
 * ToleratedFailurePercentage decide which failures fail the fork; a
 * tolerated one's {"Error","Cause"} takes its place among the outputs.
 */
struct fork_progress {
    long length;
    long started;
    const char *const *outputs;
    const bool *failed;
    const char *const *errors;
    const char *const *causes;
    const struct fork_settings *settings; /* a distributed Map's settings changed while it runs; NULL: none */
    const bool *running; /* children running again that a redrive restored (not started again); NULL: none */
};

/*
 * A distributed Map's settings changed while it runs (UpdateMapRun): each
 * replaces what the definition says when its has_ flag is set
 * (max_concurrency 0: as many as allowed).
 */
struct fork_settings {
    bool has_max_concurrency;
    long max_concurrency;
    bool has_tolerated_count;
    long tolerated_count;
    bool has_tolerated_percentage;
    double tolerated_percentage;
};

/*
 * Starts an execution: ExecutionStarted, then states from StartAt until the
 * execution rests or ends. Returns 0 (the step may describe a failed
 * execution, e.g. States.Runtime) or -ENOMEM. Every entry point's step must
 * be released with interpreter_step_release(), whatever it returned.
 */
__attribute__((warn_unused_result)) int interpreter_start(const struct state_machine *machine,
                                                          const struct execution_facts *facts,
                                                          const struct step_environment *environment,
                                                          struct interpreter_step *step);

/*
 * The Task resting at position succeeded with output (JSON text, already
 * validated): TaskSucceeded (ActivitySucceeded for an activity),
 * TaskStateExited, then on to the next states.
 * Returns 0, -ENOMEM, or -EINVAL when position is not a waiting Task.
 */
__attribute__((warn_unused_result)) int
interpreter_task_succeeded(const struct state_machine *machine, const struct execution_facts *facts,
                           const struct execution_position *position, const char *output,
                           const struct step_environment *environment, struct interpreter_step *step);

/*
 * The waiting Task failed with error and cause (either may be NULL):
 * TaskFailed (ActivityFailed), then a retry, a catcher or ExecutionFailed.
 * Same returns.
 */
__attribute__((warn_unused_result)) int
interpreter_task_failed(const struct state_machine *machine, const struct execution_facts *facts,
                        const struct execution_position *position, const char *error, const char *cause,
                        const struct step_environment *environment, struct interpreter_step *step);

/*
 * The waiting Task ran past its TimeoutSeconds, or (heartbeat) missed its
 * HeartbeatSeconds: TaskTimedOut (ActivityTimedOut) with States.Timeout,
 * as AWS records both, then a retry, a catcher or ExecutionFailed. Same
 * returns.
 */
__attribute__((warn_unused_result)) int
interpreter_task_timed_out(const struct state_machine *machine, const struct execution_facts *facts,
                           const struct execution_position *position, bool heartbeat,
                           const struct step_environment *environment, struct interpreter_step *step);

/*
 * The waiting Task's integration accepted the work (the callback pattern's
 * "submitted"): one TaskSubmitted event with the integration's response.
 * Same returns; -EINVAL for an activity's task.
 */
__attribute__((warn_unused_result)) int interpreter_task_submitted(const struct state_machine *machine,
                                                                   const struct execution_position *position,
                                                                   const char *output,
                                                                   const struct step_environment *environment,
                                                                   struct interpreter_step *step);

/*
 * The timer of a resting Wait state or Retry ran out: WaitStateExited and
 * on, or the Task's next attempt (TaskScheduled, TaskStarted; or
 * ActivityScheduled); or a yielding run goes on with its next state. Same
 * returns; -EINVAL when position rests on no timer.
 */
__attribute__((warn_unused_result)) int interpreter_timer_due(const struct state_machine *machine,
                                                              const struct execution_facts *facts,
                                                              const struct execution_position *position,
                                                              const struct step_environment *environment,
                                                              struct interpreter_step *step);

/*
 * A worker took the waiting activity task (GetActivityTask): one
 * ActivityStarted event naming worker_name (NULL: an empty details object,
 * as AWS records a worker without a name). Same returns; -EINVAL when
 * position is not a waiting activity task.
 */
__attribute__((warn_unused_result)) int interpreter_activity_started(const struct state_machine *machine,
                                                                     const struct execution_position *position,
                                                                     const char *worker_name,
                                                                     const struct step_environment *environment,
                                                                     struct interpreter_step *step);

/*
 * The waiting activity task could not be queued because its activity no
 * longer exists (deleted after it was scheduled): the execution fails with
 * States.Runtime, as when it is missing at scheduling. Same returns.
 */
__attribute__((warn_unused_result)) int interpreter_activity_missing(const struct state_machine *machine,
                                                                     const struct execution_position *position,
                                                                     const struct step_environment *environment,
                                                                     struct interpreter_step *step);

/*
 * The waiting activity task could not be queued (error and cause say why):
 * ActivityScheduleFailed, then a retry, a catcher or ExecutionFailed, as
 * for a failed task. Same returns.
 */
__attribute__((warn_unused_result)) int
interpreter_activity_schedule_failed(const struct state_machine *machine, const struct execution_facts *facts,
                                     const struct execution_position *position, const char *error, const char *cause,
                                     const struct step_environment *environment, struct interpreter_step *step);

/*
 * The execution at position fails at once with error and cause (either may
 * be NULL): one ExecutionFailed event. For a change the store refuses for
 * good (the engine cannot record the step the execution would take). Same
 * returns; -EINVAL for a position in a child branch (only the root's step
 * can end the execution).
 */
__attribute__((warn_unused_result)) int interpreter_fail_execution(const struct execution_position *position,
                                                                   const char *error, const char *cause,
                                                                   const struct step_environment *environment,
                                                                   struct interpreter_step *step);

/*
 * The execution resting at position ran past its state machine's top-level
 * TimeoutSeconds: one ExecutionTimedOut event with empty details (AWS
 * records a timed-out execution with neither error nor cause) and the
 * execution TIMED_OUT, whatever it was waiting for (the caller closes the
 * open task and aborts any child branches in the same commit). Returns 0,
 * -ENOMEM, or -EINVAL when position is a child branch's.
 */
__attribute__((warn_unused_result)) int interpreter_execution_timed_out(const struct execution_position *position,
                                                                        const struct step_environment *environment,
                                                                        struct interpreter_step *step);

/*
 * The fork resting at position (RESTING_FORK) goes on with progress: when
 * a child failed, the fork fails (MapIterationAborted for the iterations
 * still running, ParallelStateFailed/MapStateFailed, then its Retry, Catch
 * or the branch's end); when all children ended, it joins
 * (...StateSucceeded, ...StateExited with the outputs in index order) and
 * the branch goes on; otherwise a Map starts its next iterations (up to its
 * MaxConcurrency and INTERPRETER_ITERATIONS_PER_STEP) and the fork rests
 * again. Returns 0, -ENOMEM, or -EINVAL when position is not a resting
 * fork or progress does not fit it.
 */
__attribute__((warn_unused_result)) int
interpreter_fork_continue(const struct state_machine *machine, const struct execution_facts *facts,
                          const struct execution_position *position, const struct fork_progress *progress,
                          const struct step_environment *environment, struct interpreter_step *step);

/* Frees what a step owns; safe on a zeroed or half-built step. */
void interpreter_step_release(struct interpreter_step *step);

#endif
