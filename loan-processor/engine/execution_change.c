/*
 * execution_change - the changes of a running execution: task outcomes
 * (SendTaskSuccess/Failure, what a task starter reports), what happened to
 * an activity task, due timers, and the start leases of tasks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "log.h"
#include "random_id.h"
#include "task_token.h"
#include "wall_clock.h"

/*
 * ---- changes of a running execution ----
 *
 * A task outcome (SendTaskSuccess/Failure, what an integration reports),
 * what happened to an activity task, or a due timer: load the record, let
 * the interpreter compute the step, commit it with a compare-and-set, and
 * recompute from the new record when another change won the race.
 */

/* The cause of an execution failed because Redis refused, for good, the step its timer would have taken. */
#define STORE_REFUSED_CAUSE                                                                              \
    "The execution's next step could not be stored: Redis refused the change (see the loan-processor's " \
    "store-refused log)"

/* Lets go of what one attempt loaded: the step, the record and the definition's pin. */
static void release_attempt(struct change_operation *operation)
{
    interpreter_step_release(&operation->step);
    step_record_reset(&operation->next);
    execution_store_record_free(operation->record);
    operation->record = NULL;
    definition_cache_release(&operation->engine->definitions, operation->definition);
    operation->definition = NULL;
    fork_commit_reset(&operation->forks);
    fork_results_free(&operation->results);
    operation->results_read = false;
    free(operation->end_result);
    operation->end_result = NULL;
}

static void change_operation_free(struct change_operation *operation)
{
    release_attempt(operation);
    free(operation->missing_activity);
    free(operation->token);
    free((char *)operation->outcome.output);
    free((char *)operation->outcome.error);
    free((char *)operation->outcome.cause);
    free(operation);
}

/* Reports the end of a change (status 0, -ETIMEDOUT, -EBUSY, -EIO or -EPROTO) and frees it. */
void execution_change_finish(struct change_operation *operation, int status)
{
    const struct execution_record *record = operation->record;
    if (operation->kind == CHANGE_TIMER) {
        if (status == -EIO || status == -EBUSY)
            log_event(LOG_WARN, "timer-deferred", "the timer of %s could not be handled now; it fires again later",
                      operation->execution_id);
        else if (status == -EPROTO)
            log_event(
                LOG_ERROR, "timer-refused", "Redis refused %s of %s (see store-refused); its timer fires again later",
                operation->failing_refused ? "even the failure" : "the change of a branch", operation->execution_id);
        execution_timers_handled(operation->engine->timers);
    } else {
        const char *execution_status = status == 0 ? interpreter_status_name(operation->step.status) : NULL;
        operation->callback(status, record ? record->arn : NULL, execution_status, operation->data);
    }
    change_operation_free(operation);
}

static int load_for_change(struct change_operation *operation);
static void on_definition_for_change(int status, struct cached_definition *definition, void *data);
static bool appends_only(const struct change_operation *operation);
static void keep_resting_record(struct engine *engine, const char *execution_id, struct execution_record *committed);

/*
 * What follows a commit that did not apply: a lost race is computed again
 * from the reloaded record (up to ENGINE_MAX_COMMIT_ATTEMPTS loads, then -EBUSY), a
 * closed task or a missing execution ends the change with -ETIMEDOUT, a
 * change Redis refused with -EPROTO, anything else with -EIO. Returns false when status says the commit applied.
 */
static bool commit_not_applied(struct change_operation *operation, int status, enum execution_commit_outcome outcome)
{
    if (status == 0 && outcome == EXECUTION_COMMITTED)
        return false;
    if (status == 0 && operation->known_record && (outcome == EXECUTION_CHANGED || outcome == EXECUTION_TASK_CLOSED)) {
        /* computed from the record this process committed, which has changed since: as any change from now on */
        release_attempt(operation);
        if (load_for_change(operation) < 0)
            execution_change_finish(operation, -EIO);
    } else if (status == -EPROTO && operation->kind == CHANGE_TIMER && !operation->failing_refused
               && !operation->branch_id[0]) {
        /*
         * Refused for good, so refused again at every firing: the execution fails instead of resting for ever.
         * (Only the root's step can end it; a child branch's refused timer is logged and fires again later.)
         */
        log_event(LOG_ERROR, "timer-refused",
                  "Redis refused the change the timer of %s makes (see store-refused); the execution fails",
                  operation->execution_id);
        operation->failing_refused = true;
        release_attempt(operation);
        if (load_for_change(operation) < 0)
            execution_change_finish(operation, -EIO);
    } else if (status == 0 && outcome == EXECUTION_BRANCHES_FULL && !operation->branches_full) {
        /* the step would open more branches than the execution may have: computed again, the fork fails */
        operation->branches_full = true;
        release_attempt(operation);
        if (load_for_change(operation) < 0)
            execution_change_finish(operation, -EIO);
    } else if (status == 0 && outcome == EXECUTION_CHANGED && operation->attempts < ENGINE_MAX_COMMIT_ATTEMPTS) {
        release_attempt(operation);
        if (load_for_change(operation) < 0)
            execution_change_finish(operation, -EIO);
    } else {
        execution_change_finish(operation, status == -EPROTO              ? -EPROTO
                                           : status < 0                   ? -EIO
                                           : outcome == EXECUTION_CHANGED ? -EBUSY
                                                                          : -ETIMEDOUT);
    }
    return true;
}

void execution_change_committed(int status, enum execution_commit_outcome outcome, long first_event_id, void *data)
{
    struct change_operation *operation = data;
    if (commit_not_applied(operation, status, outcome))
        return;
    if (operation->kind == CHANGE_TASK_OUTCOME && operation->outcome.kind == ENGINE_TASK_SUCCEEDED)
        log_event(LOG_INFO, "resumed", "Execution %s resumed after its task %s succeeded", operation->record->arn,
                  operation->record->state);
    const struct execution_record *record = operation->record;
    bool task_waits = !operation->step.has_task && appends_only(operation);
    struct execution_record *committed =
        operation->plain_commit && (operation->step.has_task || task_waits)
            ? step_record_committed(record, &operation->next.fields, &operation->next.events, first_event_id)
            : NULL;
    record_cache_forget(operation->engine->resting, operation->execution_id); /* moved on */
    if (task_waits) {
        keep_resting_record(operation->engine, operation->execution_id, committed);
        committed = NULL;
    }
    task_start_after_commit(operation->engine, &operation->step, &operation->next, record->arn, record->mock_test_case,
                            committed);
    fork_commit_start_tasks(operation->engine, &operation->forks, record->arn, record->mock_test_case);
    if (operation->end_result || operation->forks.result_count)
        execution_timers_note_due(operation->engine->timers, wall_clock_now_ms()); /* a fork's continuation */
    execution_change_finish(operation, 0);
}

static bool task_is_open(const struct execution_record *record, const char *token)
{
    return record && record->status && strcmp(record->status, "RUNNING") == 0 && record->task_token
           && strcmp(record->task_token, token) == 0 && record->state && record->task_resource;
}

static enum timer_action decide_timer(const struct execution_record *record, int64_t now_ms)
{
    bool running = record && record->status && strcmp(record->status, "RUNNING") == 0;
    if (!running || !record->timer_due_ms || record->timer_due_ms > now_ms)
        return TIMER_RESTORE;
    if (record->execution_timeout_ms && now_ms >= record->execution_timeout_ms)
        return TIMER_EXECUTION_TIMED_OUT;
    if (!record->resting || strcmp(record->resting, "task") != 0)
        return TIMER_ELAPSED;
    if (record->task_timeout_ms && now_ms >= record->task_timeout_ms)
        return TIMER_TASK_TIMED_OUT;
    if (record->heartbeat_due_ms && now_ms >= record->heartbeat_due_ms)
        return TIMER_HEARTBEAT_MISSED;
    if (record->task_start_due_ms && now_ms >= record->task_start_due_ms)
        return TIMER_TASK_START_EXPIRED;
    return TIMER_RESTORE;
}

/* The step of an activity change (the interpreter's returns). */
static int interpret_activity_change(struct change_operation *operation, const struct state_machine *machine,
                                     const struct execution_facts *facts, const struct execution_position *position,
                                     const struct step_environment *environment)
{
    const struct engine_task_report *outcome = &operation->outcome;
    switch (operation->activity) {
    case ACTIVITY_STARTED:
        return interpreter_activity_started(machine, position, outcome->output, environment, &operation->step);
    case ACTIVITY_MISSING:
        return interpreter_activity_missing(machine, position, environment, &operation->step);
    case ACTIVITY_SCHEDULE_FAILED:
        return interpreter_activity_schedule_failed(machine, facts, position, outcome->error, outcome->cause,
                                                    environment, &operation->step);
    case ACTIVITY_QUEUED:
        break; /* no event: see change_start_lease() */
    }
    return -EINVAL;
}

/* Computes the step of the change from the loaded record. Returns 0, -EINVAL (nothing to apply) or -ENOMEM. */
static int interpret_change(struct change_operation *operation, const struct state_machine *machine,
                            const struct execution_facts *facts, const struct execution_position *position,
                            enum timer_action action)
{
    const struct engine_task_report *outcome = &operation->outcome;
    char *fresh_token = NULL;
    struct map_run_origin origin = { operation->execution_id, facts->state_machine_arn };
    int result = task_token_create_for_branch(operation->execution_id, operation->branch_id, &fresh_token);
    struct step_environment environment = {
        .now_ms = wall_clock_now_ms(),
        .fresh_token = fresh_token,
        .jitter = step_record_random_fraction(),
        .random_bytes = random_id_fill,
        .missing_activity = operation->missing_activity,
        .branch_token = fork_commit_branch_token,
        .token_context = operation->execution_id,
        .map_run = map_run_commit_arn,
        .map_run_context = &origin,
        .branches_full = operation->branches_full,
    };
    if (result < 0)
        return result;
    if (operation->failing_refused)
        result =
            interpreter_fail_execution(position, "States.Runtime", STORE_REFUSED_CAUSE, &environment, &operation->step);
    else if (operation->kind == CHANGE_TIMER && action == TIMER_EXECUTION_TIMED_OUT)
        result = interpreter_execution_timed_out(position, &environment, &operation->step);
    else if (operation->kind == CHANGE_TIMER && action == TIMER_ELAPSED && position->resting == RESTING_FORK)
        result = interpreter_fork_continue(machine, facts, position, &operation->results.progress, &environment,
                                           &operation->step);
    else if (operation->kind == CHANGE_TIMER && action == TIMER_ELAPSED)
        result = interpreter_timer_due(machine, facts, position, &environment, &operation->step);
    else if (operation->kind == CHANGE_TIMER)
        result = interpreter_task_timed_out(machine, facts, position, action == TIMER_HEARTBEAT_MISSED, &environment,
                                            &operation->step);
    else if (operation->kind == CHANGE_ACTIVITY)
        result = interpret_activity_change(operation, machine, facts, position, &environment);
    else if (outcome->kind == ENGINE_TASK_SUBMITTED)
        result = interpreter_task_submitted(machine, position, outcome->output, &environment, &operation->step);
    else if (outcome->kind == ENGINE_TASK_FAILED)
        result = interpreter_task_failed(machine, facts, position, outcome->error, outcome->cause, &environment,
                                         &operation->step);
    else
        result = interpreter_task_succeeded(machine, facts, position, outcome->output, &environment, &operation->step);
    free(fresh_token);
    return result;
}

static void on_timer_restored(int status, enum execution_commit_outcome outcome, void *data)
{
    struct change_operation *operation = data;
    execution_change_finish(operation, status == 0 && outcome == EXECUTION_COMMITTED ? 0 : -EIO);
}

static void on_branch_timer_restored(int status, enum execution_commit_outcome outcome, long first_event_id, void *data)
{
    (void)first_event_id;
    on_timer_restored(status, outcome, data);
}

/* Commits fields (and events) of the changed branch alone, on its lastEventId (and token, unless NULL). */
static int commit_branch_fields(struct change_operation *operation, const char *token,
                                const struct execution_events *events, const struct execution_fields *fields,
                                store_events_callback callback)
{
    if (!operation->branch_id[0])
        return execution_store_commit(operation->engine->redis, operation->execution_id,
                                      operation->record->last_event_id, token, events, fields, callback, operation);
    struct execution_branch_commit commit = {
        .branch_id = operation->branch_id,
        .expected_last_event_id = operation->record->last_event_id,
        .required_token = token,
        .events = events,
        .fields = fields,
        .now_ms = wall_clock_now_ms(),
        .history_of = operation->record->history_of,
    };
    return execution_store_commit_branch(operation->engine->redis, operation->execution_id, &commit, callback,
                                         operation);
}

/* Puts the timer back as the record says. Same returns. */
static int restore_timer(struct change_operation *operation)
{
    if (!operation->branch_id[0])
        return execution_store_restore_timer(operation->engine->redis, operation->execution_id, on_timer_restored,
                                             operation);
    return commit_branch_fields(operation, NULL, NULL, NULL, on_branch_timer_restored);
}

/* Whether the change only appends events (a submission, a worker taking an activity task): the task still waits. */
static bool appends_only(const struct change_operation *operation)
{
    return (operation->kind == CHANGE_TASK_OUTCOME && operation->outcome.kind == ENGINE_TASK_SUBMITTED)
           || (operation->kind == CHANGE_ACTIVITY && operation->activity == ACTIVITY_STARTED);
}

static void on_start_lease_committed(int status, enum execution_commit_outcome outcome, long first_event_id, void *data)
{
    struct change_operation *operation = data;
    (void)first_event_id; /* no event */
    if (commit_not_applied(operation, status, outcome))
        return;
    if (operation->kind == CHANGE_TIMER) {
        execution_timers_note_due(operation->engine->timers, operation->next.record.timer_due_ms);
        task_start_again(operation->engine, operation->record);
    }
    execution_change_finish(operation, 0);
}

/*
 * A change of the open task's start lease alone, with no event: its renewal
 * when it ran out (a timer), or its release when an activity task was
 * queued. Committed on the record's lastEventId and the task's token.
 */
static void change_start_lease(struct change_operation *operation)
{
    const struct execution_record *record = operation->record;
    struct step_record *next = &operation->next;
    step_record_reset(next);
    if (operation->kind == CHANGE_TIMER)
        step_record_renew_start_lease(operation->engine, record, wall_clock_now_ms(), next);
    else
        step_record_confirm_start(record, next);
    next->record.execution_timeout_ms = record->execution_timeout_ms;
    if (commit_branch_fields(operation, record->task_token, NULL, step_record_fields(next), on_start_lease_committed)
        < 0)
        execution_change_finish(operation, -EIO);
}

/* Whether the change confirms the start of a task whose start is already confirmed (a second start's report). */
static bool confirms_confirmed_start(const struct change_operation *operation)
{
    bool confirms = (operation->kind == CHANGE_TASK_OUTCOME && operation->outcome.kind == ENGINE_TASK_SUBMITTED)
                    || (operation->kind == CHANGE_ACTIVITY && operation->activity == ACTIVITY_QUEUED);
    return confirms && !operation->record->task_start_due_ms;
}

/* Commits the computed step; a change that only appends events moves lastEventId on. */
static int commit_change(struct change_operation *operation)
{
    const struct execution_record *record = operation->record;
    struct step_record *next = &operation->next;
    const struct execution_events *events = NULL;
    if (appends_only(operation)) {
        step_record_append_only(next);
        if (operation->kind == CHANGE_ACTIVITY)
            step_record_restart_heartbeat(record, operation->step.history.timestamp_ms, next);
        step_record_confirm_start(record, next);
    } else {
        step_record_describe(operation->engine, &operation->step, next);
    }
    next->record.execution_timeout_ms = record->execution_timeout_ms; /* the root's deadline stays its timer's bound */
    int result = appends_only(operation) ? 0
                                         : step_record_count_invocation(&operation->step, record->mock_invocations,
                                                                        record->mock_test_case, next);
    if (result == 0)
        result = step_record_events(&operation->step, next, &events);
    if (result < 0)
        return result;
    operation->plain_commit = false;
    if (!appends_only(operation) && fork_change_touches(operation))
        return fork_change_commit(operation);
    operation->plain_commit = !operation->branch_id[0];
    return commit_branch_fields(operation, operation->token, events, step_record_fields(next),
                                execution_change_committed);
}

/* The state machine's name in an execution id "<stateMachine>:<execution>" (into out). */
static void machine_name_of(const char *execution_id, char *out, size_t size)
{
    snprintf(out, size, "%.*s", (int)strcspn(execution_id, ":"), execution_id);
}

/* Computes the change's step from its loaded record and definition. Returns 0, -EINVAL (nothing to apply) or -ENOMEM. */
static int interpret_record(struct change_operation *operation)
{
    const struct execution_record *record = operation->record;
    char machine_name[TASK_TOKEN_EXECUTION_ID_SIZE];
    machine_name_of(operation->execution_id, machine_name, sizeof(machine_name));
    struct execution_facts facts = {
        .execution_arn = record->arn,
        .execution_name = record->name,
        .state_machine_arn = record->state_machine_arn,
        .state_machine_name = machine_name,
        .role_arn = record->role_arn,
        .region = operation->engine->config.region,
        .start_ms = record->start_ms,
        .input = record->input,
        .redrive_count = record->redrive_count,
        .redrive_ms = record->redrive_ms,
    };
    struct execution_position position = {
        .stored_events = record->last_event_id,
        .state_name = record->state,
        .state_entered = history_ref_stored(record->state_entered_event_id),
        .state_entered_ms = record->state_entered_ms,
        .state_input = record->state_input,
        .retry_counts = record->retry_counts,
        .branch_id = operation->branch_id,
        .map_index = record->map_index ? strtol(record->map_index, NULL, 10) : -1,
        .map_item = record->map_item,
        .variables = record->variables,
    };
    if (operation->branch_id[0])
        position.stored_events = operation->stored_events;
    if (interpreter_resting_from_name(record->resting ? record->resting : "task", &position.resting) < 0)
        position.resting = RESTING_TASK;
    return interpret_change(operation, operation->definition->machine, &facts, &position, operation->action);
}

/* The change failed with result (-EINVAL: it no longer applies, as for a closed task). */
static void abandon_change(struct change_operation *operation, int result)
{
    execution_change_finish(operation, result == -EINVAL ? -ETIMEDOUT : -EIO);
}

static int recompute_change(void *operation)
{
    return interpret_record(operation);
}

static void on_change_activity_checked(int status, void *data)
{
    struct change_operation *operation = data;
    int result = task_start_settle_activity_check(status, &operation->missing_activity, &operation->step,
                                                  recompute_change, operation);
    if (result == 0)
        result = commit_change(operation);
    if (result < 0)
        abandon_change(operation, result);
}

/* Computes the change (checking an activity it schedules) and commits it. */
static void interpret_and_commit(struct change_operation *operation)
{
    int result = interpret_record(operation);
    if (result == 0)
        result = task_start_check_activity(operation->engine, &operation->step, operation->missing_activity,
                                           on_change_activity_checked, operation);
    if (result == 1)
        result = commit_change(operation);
    if (result < 0)
        abandon_change(operation, result);
}

static void on_definition_for_change(int status, struct cached_definition *definition, void *data)
{
    struct change_operation *operation = data;
    operation->definition = definition;
    if (status < 0)
        execution_change_finish(operation, -EIO);
    else
        interpret_and_commit(operation);
}

/* Pins the definition the record runs (cached, or loaded from Redis), then goes on with the change. */
void execution_change_find_definition(struct change_operation *operation)
{
    const struct execution_record *record = operation->record;
    int result = -EIO;
    if (operation->kind == CHANGE_TIMER && !operation->failing_refused && fork_change_rests_at_fork(record)
        && operation->action != TIMER_EXECUTION_TIMED_OUT && !operation->results_read) {
        if (!record->fork_state || fork_change_read_results(operation) < 0)
            execution_change_finish(operation, -EIO);
        return;
    }
    if (!record->definition_hash)
        log_event(LOG_ERROR, "definition-missing", "execution %s records no definition", record->arn);
    else
        result = engine_pin_definition(operation->engine, record->definition_hash, record->arn, &operation->definition,
                                       on_definition_for_change, operation);
    if (result == 1)
        interpret_and_commit(operation);
    else if (result < 0)
        execution_change_finish(operation, -EIO);
}

/* Goes on with the change from record (taken): loaded (status: the load's) or committed by this process. */
static void change_from_record(struct change_operation *operation, int status, struct execution_record *record)
{
    operation->record = record;
    operation->action = TIMER_ELAPSED;
    if (status < 0) {
        execution_change_finish(operation, -EIO);
        return;
    }
    if (operation->kind == CHANGE_TIMER)
        operation->action = decide_timer(record, wall_clock_now_ms());
    if (operation->action == TIMER_RESTORE) {
        if (restore_timer(operation) < 0)
            execution_change_finish(operation, -EIO);
        return;
    }
    if (operation->kind != CHANGE_TIMER && !task_is_open(record, operation->token)) {
        execution_change_finish(operation, -ETIMEDOUT);
        return;
    }
    if (confirms_confirmed_start(operation)) {
        execution_change_finish(operation, 0);
        return;
    }
    if (operation->action == TIMER_TASK_START_EXPIRED
        || (operation->kind == CHANGE_ACTIVITY && operation->activity == ACTIVITY_QUEUED)) {
        change_start_lease(operation);
        return;
    }
    execution_change_find_definition(operation);
}

static void on_record_for_change(int status, struct execution_record *record, void *data)
{
    struct change_operation *operation = data;
    operation->attempts++;
    operation->known_record = false;
    change_from_record(operation, status, record);
}

static void on_branch_for_change(int status, struct execution_record *execution, struct execution_record *branch,
                                 long stored_events, void *data)
{
    struct change_operation *operation = data;
    operation->stored_events = stored_events;
    if (status == 0 && (!execution || !branch) && operation->kind == CHANGE_TIMER) {
        execution_store_record_free(execution);
        execution_store_record_free(branch);
        execution_change_finish(operation, 0); /* the branch is gone (ended, aborted): its timer with it */
        return;
    }
    on_record_for_change(status, fork_change_adopt_identity(branch, execution), operation);
}

static int load_for_change(struct change_operation *operation)
{
    if (operation->branch_id[0])
        return execution_store_load_branch(operation->engine->redis, operation->execution_id, operation->branch_id,
                                           on_branch_for_change, operation);
    return execution_store_load(operation->engine->redis, operation->execution_id, on_record_for_change, operation);
}

/*
 * ---- outcomes from the record this process left ----
 *
 * When this process commits the step that leaves a root execution waiting
 * for its task's outcome (the task's submission, a worker taking an
 * activity task: the change appends events and the task stays open, its
 * start confirmed), it keeps the record as that commit left it
 * (step_record_committed()) in engine->resting. The task's outcome
 * (SendTaskSuccess/Failure, the webhook's resume, a task's result or
 * failure) is then computed from that record and committed on its
 * lastEventId and token, without loading it; a commit finding the
 * execution changed or the task closed loads the record and computes the
 * change again, as every change does (commit_not_applied()). Any commit of
 * this process that moves the execution on drops the entry, and a taken
 * entry is gone: an entry is used once, and only under the compare-and-set,
 * so a stale one costs a wasted commit, never a wrong one. A callback
 * reaching another process (several share one Redis) misses and loads.
 *
 * Why a record that waited is as good as a loaded one: task_start.c's
 * analysis ("a task's report from the record its start committed") holds
 * for the time between the commit that left the record and the outcome,
 * for the same records (root, no HeartbeatSeconds, resting at that task),
 * with its start confirmed (no taskStartDue). Every write of such a record
 * (store/scripts/) either moves lastEventId or closes the task, or writes
 * fields an outcome does not read:
 * - a due timer (the task's TimeoutSeconds, the execution's TimeoutSeconds)
 *   appends TaskTimedOut or ExecutionTimedOut and ends or moves the task
 *   (commit_execution.lua): caught. claim_timers.lua and restore_timer.lua
 *   write the shard's timers only (restore_timer.lua mirrors the record's
 *   timerDue, never writes the record).
 * - a start lease renewed (commit_execution.lua, no event) needs a
 *   taskStartDue, which the kept record's commit deleted: a renewal loaded
 *   before that commit fails its own compare-and-set (the commit appended
 *   events), and one loaded after finds nothing to renew. The activity
 *   task's queueing confirms a start with no event too; its record is not
 *   kept (the worker's ActivityStarted, which appends, is).
 * - SendTaskHeartbeat (heartbeat_task.lua) writes nothing without a
 *   heartbeatIntervalMs, which a kept record has not.
 * - StopExecution appends ExecutionAborted and deletes taskToken (caught:
 *   EXECUTION_TASK_CLOSED, then the load answers the task closed, as today).
 * - RedriveExecution needs an ended execution: its end was an event.
 * - update_map_run.lua, commit_branch.lua's fork counters: records resting
 *   at a fork, never at a task. settle_shards.lua: the settings key only.
 * An outcome reads (interpret_record(), commit_change()) the identity, the
 * position, mockInvocations, executionTimeoutDue and the task's token and
 * resource: all written by commits that append events, none by the writes
 * above; the step it commits writes every resting field from the step
 * (step_record_describe()), reading neither timerDue nor the start lease.
 * (So even a taskStartDue set again by a renewal that raced an activity's
 * queueing, and that a worker's ActivityStarted then left in place while
 * the kept record lacks it, changes nothing an outcome commits.)
 * A submission (a second start's report) is not computed from a kept record:
 * it reads taskStartDue (confirms_confirmed_start()).
 */
static bool outcome_record_usable(const struct execution_record *record)
{
    return step_record_waits_at_root_task(record) && record->task_start_due_ms == 0;
}

/* Keeps committed (taken; NULL: nothing), the record a commit of this process left, for the outcome of its task. */
static void keep_resting_record(struct engine *engine, const char *execution_id, struct execution_record *committed)
{
    if (outcome_record_usable(committed))
        record_cache_put(engine->resting, execution_id, committed);
    else
        execution_store_record_free(committed);
}

/* The record kept for the outcome of the (root) change's task (taken from the cache), or NULL: load it. */
static struct execution_record *kept_record_for(struct change_operation *operation)
{
    bool outcome = operation->kind == CHANGE_TASK_OUTCOME && operation->outcome.kind != ENGINE_TASK_SUBMITTED;
    if (!outcome)
        return NULL;
    return record_cache_take(operation->engine->resting, operation->execution_id, operation->token);
}

char *engine_copy_or_null(const char *text, bool *failed)
{
    char *copy = text ? strdup(text) : NULL;
    if (text && !copy)
        *failed = true;
    return copy;
}

/* A change of the task waiting on token (execution_change_task()), not yet started, in *out. 0 or a negative code. */
static int change_create(struct engine *engine, const char *token, enum change_kind kind, enum activity_change activity,
                         const struct engine_task_report *outcome, engine_task_callback callback, void *data,
                         struct change_operation **out)
{
    struct change_operation *operation = calloc(1, sizeof(*operation));
    bool failed = false;
    if (!operation)
        return -ENOMEM;
    if (task_token_parse_branch(token, operation->execution_id, operation->branch_id) < 0) {
        free(operation);
        return -EINVAL;
    }
    if (!engine_store_usable(engine)) {
        free(operation);
        return -ENOTCONN;
    }
    operation->engine = engine;
    operation->kind = kind;
    operation->activity = activity;
    operation->callback = callback;
    operation->data = data;
    operation->outcome.kind = outcome->kind;
    operation->token = engine_copy_or_null(token, &failed);
    operation->outcome.output = engine_copy_or_null(outcome->output, &failed);
    operation->outcome.error = engine_copy_or_null(outcome->error, &failed);
    operation->outcome.cause = engine_copy_or_null(outcome->cause, &failed);
    if (failed) {
        change_operation_free(operation);
        return -ENOMEM;
    }
    *out = operation;
    return 0;
}

int execution_change_task(struct engine *engine, const char *token, enum change_kind kind,
                          enum activity_change activity, const struct engine_task_report *outcome,
                          struct execution_record *record, engine_task_callback callback, void *data)
{
    struct change_operation *operation = NULL;
    int result = change_create(engine, token, kind, activity, outcome, callback, data, &operation);
    if (result == 0 && operation->branch_id[0]) {
        execution_store_record_free(record); /* a branch's record is always loaded (see task_start.c) */
        record = NULL;
    } else if (result == 0 && !record) {
        record = kept_record_for(operation);
    }
    if (result == 0 && record) {
        operation->known_record = true;
        change_from_record(operation, 0, record);
        return 0;
    }
    execution_store_record_free(record);
    if (result == 0)
        result = load_for_change(operation);
    if (result < 0 && operation)
        change_operation_free(operation);
    return result;
}

int engine_activity_started(struct engine *engine, const char *token, const char *worker_name,
                            engine_task_callback callback, void *data)
{
    struct engine_task_report outcome = { ENGINE_TASK_SUBMITTED, worker_name, NULL, NULL };
    return execution_change_task(engine, token, CHANGE_ACTIVITY, ACTIVITY_STARTED, &outcome, NULL, callback, data);
}

void execution_change_timer_due(const char *execution_id, void *data)
{
    struct engine *engine = data;
    struct change_operation *operation = calloc(1, sizeof(*operation));
    int result = -ENOMEM;
    if (operation
        && execution_store_parse_timer_member(execution_id, operation->execution_id, sizeof(operation->execution_id),
                                              operation->branch_id, sizeof(operation->branch_id))
               == 0) {
        operation->engine = engine;
        operation->kind = CHANGE_TIMER;
        result = load_for_change(operation);
    }
    if (result < 0) {
        log_event(LOG_WARN, "timer-deferred", "the timer of %s could not be handled now (%s); it fires again later",
                  execution_id, strerror(-result));
        free(operation);
        execution_timers_handled(engine->timers);
    }
}

int engine_send_task_success(struct engine *engine, const char *token, const char *output,
                             engine_task_callback callback, void *data)
{
    struct engine_task_report outcome = { ENGINE_TASK_SUCCEEDED, output, NULL, NULL };
    return execution_change_task(engine, token, CHANGE_TASK_OUTCOME, ACTIVITY_STARTED /* unused */, &outcome, NULL,
                                 callback, data);
}

int engine_send_task_failure(struct engine *engine, const char *token, const char *error, const char *cause,
                             engine_task_callback callback, void *data)
{
    struct engine_task_report outcome = { ENGINE_TASK_FAILED, NULL, error, cause };
    return execution_change_task(engine, token, CHANGE_TASK_OUTCOME, ACTIVITY_STARTED /* unused */, &outcome, NULL,
                                 callback, data);
}
