/*
 * execution_stop - SendTaskHeartbeat and StopExecution: the changes that
 * need no definition (see engine.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "history.h"
#include "log.h"
#include "sfn_arn.h"
#include "task_token.h"
#include "wall_clock.h"

/* ---- SendTaskHeartbeat ---- */

struct heartbeat_operation {
    engine_task_callback callback;
    void *data;
};

static void on_heartbeat_recorded(int status, enum execution_commit_outcome outcome, void *data)
{
    struct heartbeat_operation *operation = data;
    int result = status < 0 ? -EIO : outcome == EXECUTION_COMMITTED ? 0 : -ETIMEDOUT;
    operation->callback(result, NULL, NULL, operation->data);
    free(operation);
}

int engine_send_task_heartbeat(struct engine *engine, const char *token, engine_task_callback callback, void *data)
{
    char execution_id[TASK_TOKEN_EXECUTION_ID_SIZE], branch_id[TASK_TOKEN_BRANCH_ID_SIZE];
    if (task_token_parse_branch(token, execution_id, branch_id) < 0)
        return -EINVAL;
    if (!engine_store_usable(engine))
        return -ENOTCONN;
    struct heartbeat_operation *operation = malloc(sizeof(*operation));
    if (!operation)
        return -ENOMEM;
    operation->callback = callback;
    operation->data = data;
    int result = execution_store_heartbeat_branch(engine->redis, execution_id, branch_id, token, wall_clock_now_ms(),
                                                  on_heartbeat_recorded, operation);
    if (result < 0)
        free(operation);
    return result;
}

/*
 * ---- StopExecution ----
 *
 * Ends a running execution with ExecutionAborted: one commit like every
 * other change, on the lastEventId it was computed from, that removes the
 * open task's token and the execution's timer with the rest of where it
 * rested. A callback or a timer racing the stop either commits first (the
 * stop then reloads and stops what follows, or finds the execution closed)
 * or finds its change refused (a late callback gets TaskTimedOut).
 */

struct stop_operation {
    struct engine *engine;
    engine_stop_callback callback;
    void *data;
    char execution_id[SFN_ARN_PART_SIZE];
    char *error;
    char *cause;
    int attempts;
    struct execution_record *record;
    struct interpreter_step step;
    struct step_record next;
};

static void stop_operation_free(struct stop_operation *operation)
{
    interpreter_step_release(&operation->step);
    step_record_reset(&operation->next);
    execution_store_record_free(operation->record);
    free(operation->error);
    free(operation->cause);
    free(operation);
}

static void finish_stop(struct stop_operation *operation, int status, int64_t stop_ms)
{
    operation->callback(status, stop_ms, operation->data);
    stop_operation_free(operation);
}

/*
 * The abort as a step: ExecutionAborted with the given error and cause
 * (either may be absent; AWS records {} without both), previousEventId 0
 * as AWS records it, and the execution ABORTED.
 */
static int describe_abort(struct stop_operation *operation, int64_t now_ms)
{
    struct interpreter_step *step = &operation->step;
    memset(step, 0, sizeof(*step));
    step->status = EXECUTION_ABORTED;
    if (history_batch_init(&step->history, operation->record->last_event_id, now_ms) < 0
        || (operation->error && !(step->error = strdup(operation->error)))
        || (operation->cause && !(step->cause = strdup(operation->cause))))
        return -ENOMEM;
    history_set_previous(&step->history, history_ref_stored(0));
    cJSON *details = history_details("error", operation->error, "cause", operation->cause, NULL);
    if (!details || history_append(&step->history, "ExecutionAborted", "executionAbortedEventDetails", details) < 0)
        return -ENOMEM;
    step_record_describe(operation->engine, step, &operation->next);
    return 0;
}

static int load_for_stop(struct stop_operation *operation);

static void on_stop_committed(int status, enum execution_commit_outcome outcome, long first_event_id, void *data)
{
    struct stop_operation *operation = data;
    (void)first_event_id; /* the log and the answer need no id */
    if (status == 0 && outcome == EXECUTION_CHANGED && operation->attempts < ENGINE_MAX_COMMIT_ATTEMPTS) {
        interpreter_step_release(&operation->step);
        execution_store_record_free(operation->record);
        operation->record = NULL;
        if (load_for_stop(operation) < 0)
            finish_stop(operation, -EIO, 0);
        return;
    }
    if (status == 0 && outcome == EXECUTION_COMMITTED) {
        record_cache_forget(operation->engine->resting, operation->execution_id); /* its task is closed */
        step_record_log(&operation->step, operation->record->arn);
        finish_stop(operation, 0, operation->step.history.timestamp_ms);
    } else {
        finish_stop(operation,
                    status < 0                     ? -EIO
                    : outcome == EXECUTION_MISSING ? -ENOENT
                    : outcome == EXECUTION_CHANGED ? -EBUSY
                                                   : -EIO,
                    0);
    }
}

/*
 * Commits the abort: a root resting at a fork loses its whole subtree in
 * the same commit (every branch record, timer and result under the fork).
 */
static int commit_abort(struct stop_operation *operation, const struct execution_events *events)
{
    const struct execution_record *record = operation->record;
    const struct execution_fields *fields = step_record_fields(&operation->next);
    if (!record->resting || strcmp(record->resting, "fork") != 0 || !record->fork_state)
        return execution_store_commit(operation->engine->redis, operation->execution_id, record->last_event_id, NULL,
                                      events, fields, on_stop_committed, operation);
    struct execution_abort abort = { "", record->fork_state };
    struct execution_branch_commit commit = {
        .branch_id = "",
        .expected_last_event_id = record->last_event_id,
        .events = events,
        .fields = fields,
        .abort = &abort,
        .now_ms = operation->step.history.timestamp_ms,
    };
    return execution_store_commit_branch(operation->engine->redis, operation->execution_id, &commit, on_stop_committed,
                                         operation);
}

static void on_record_for_stop(int status, struct execution_record *record, void *data)
{
    struct stop_operation *operation = data;
    operation->record = record;
    operation->attempts++;
    if (status < 0 || !record) {
        finish_stop(operation, status < 0 ? -EIO : -ENOENT, 0);
        return;
    }
    if (!record->status || strcmp(record->status, "RUNNING") != 0) {
        finish_stop(operation, 0, record->stop_ms); /* already closed: nothing changes */
        return;
    }
    const struct execution_events *events = NULL;
    int result = describe_abort(operation, wall_clock_now_ms());
    if (result == 0)
        result = step_record_events(&operation->step, &operation->next, &events);
    if (result == 0)
        result = commit_abort(operation, events);
    if (result < 0)
        finish_stop(operation, -EIO, 0);
}

static int load_for_stop(struct stop_operation *operation)
{
    return execution_store_load(operation->engine->redis, operation->execution_id, on_record_for_stop, operation);
}

int engine_stop_execution(struct engine *engine, const char *execution_id, const char *error, const char *cause,
                          engine_stop_callback callback, void *data)
{
    bool failed = false;
    if (strlen(execution_id) >= SFN_ARN_PART_SIZE)
        return -EINVAL;
    if (!engine_store_usable(engine))
        return -ENOTCONN;
    struct stop_operation *operation = calloc(1, sizeof(*operation));
    if (!operation)
        return -ENOMEM;
    operation->engine = engine;
    operation->callback = callback;
    operation->data = data;
    strcpy(operation->execution_id, execution_id);
    operation->error = engine_copy_or_null(error, &failed);
    operation->cause = engine_copy_or_null(cause, &failed);
    int result = failed ? -ENOMEM : load_for_stop(operation);
    if (result < 0)
        stop_operation_free(operation);
    return result;
}
