/*
 * interpreter - runs an execution of a state machine from one resting point
 * to the next. Pure: no I/O, no clock, no randomness (the caller passes the
 * time and a fresh task token), so every step can be unit-tested alone.
 *
 * An execution rests only while a Task waits (for a callback or for its
 * integration's answer) or once it has ended. Each entry point produces one
 * interpreter_step: the history events to append, where the execution now
 * rests, and the task the caller must start, if any. The caller persists the
 * step atomically and then starts the task.
 */
#ifndef INTERPRETER_H
#define INTERPRETER_H

#include <stdbool.h>
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

/* "RUNNING", "SUCCEEDED", ... as in the API. */
const char *interpreter_status_name(enum execution_status status);

/* Facts of an execution that never change: the context object's Execution and StateMachine. */
struct execution_facts {
    const char *execution_arn;
    const char *execution_name;
    const char *state_machine_arn;
    const char *state_machine_name;
    const char *role_arn;
    const char *region;
    int64_t start_ms;
    const char *input;              /* JSON text */
};

/* Where a running execution rests, as stored between steps. */
struct execution_position {
    long last_event_id;
    const char *state_name;
    long state_entered_event_id;
    int64_t state_entered_ms;
    const char *state_input;        /* JSON text: the state's raw input */
};

/* The Task a step leaves the execution waiting on. */
struct task_request {
    const char *resource_arn;       /* as in the definition; borrowed from the machine */
    char resource_type[64];         /* "lambda" */
    char resource[128];             /* "invoke.waitForTaskToken" */
    cJSON *parameters;              /* resolved Parameters, owned by the step */
    char *token;                    /* the task token, owned by the step */
    long timeout_seconds;           /* 0 when not set */
    long heartbeat_seconds;
};

struct interpreter_step {
    struct history_batch history;
    enum execution_status status;
    char *output;                   /* SUCCEEDED: JSON text */
    char *error;                    /* FAILED: may be NULL */
    char *cause;                    /* FAILED: may be NULL */
    /* RUNNING: the new resting point */
    char *state_name;
    long state_entered_event_id;
    int64_t state_entered_ms;
    char *state_input;
    bool has_task;
    struct task_request task;
};

/*
 * Starts an execution: ExecutionStarted, then states from StartAt until a
 * Task waits or the execution ends. fresh_token becomes the token of the
 * first Task entered. Returns 0 (the step may describe a failed execution,
 * e.g. States.Runtime) or -ENOMEM. The step must be released with
 * interpreter_step_release() in every case.
 */
int interpreter_start(const struct state_machine *machine, const struct execution_facts *facts, int64_t now_ms,
                      const char *fresh_token, struct interpreter_step *step);

/*
 * The waiting Task at position succeeded with output (JSON text, already
 * validated): TaskSucceeded, TaskStateExited, then on to the next states.
 * Returns 0, -ENOMEM, or -EINVAL when position does not name a Task.
 */
int interpreter_task_succeeded(const struct state_machine *machine, const struct execution_facts *facts,
                               const struct execution_position *position, const char *resource_arn,
                               const char *output, int64_t now_ms, const char *fresh_token,
                               struct interpreter_step *step);

/*
 * The waiting Task failed with error and cause (either may be NULL):
 * TaskFailed, then ExecutionFailed. Same returns as above.
 */
int interpreter_task_failed(const struct state_machine *machine, const struct execution_facts *facts,
                            const struct execution_position *position, const char *resource_arn,
                            const char *error, const char *cause, int64_t now_ms, struct interpreter_step *step);

/*
 * The waiting Task's integration accepted the work (the callback pattern's
 * "submitted"): one TaskSubmitted event with the integration's response.
 */
int interpreter_task_submitted(const struct execution_position *position, const char *resource_arn,
                               const char *output, int64_t now_ms, struct interpreter_step *step);

/* Frees what a step owns; safe on a zeroed or half-built step. */
void interpreter_step_release(struct interpreter_step *step);

#endif
