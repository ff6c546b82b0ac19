/*
 * task_start - starting the tasks that committed steps schedule, through
 * the engine's task starter, and what their starters report (see engine.h
 * for the start lease that makes a task start at least once).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity_arn.h"
#include "engine_internal.h"
#include "json_util.h"
#include "log.h"

/* The error of an activity task that found its activity's queue full (bounded by ACTIVITY_MAX_QUEUED_TASKS). */
#define ACTIVITY_QUEUE_FULL_ERROR "ActivityQueueFull"

/* A task being started, until its starter reports. */
struct task_run {
    struct engine *engine;
    char *token;
    char *execution_arn;
    char *activity_arn;              /* an activity task: the activity it is queued for */
    struct execution_record *record; /* the record as the commit that scheduled the task left it, or NULL */
};

static void task_run_free(struct task_run *run)
{
    if (!run)
        return;
    free(run->token);
    free(run->execution_arn);
    free(run->activity_arn);
    execution_store_record_free(run->record);
    free(run);
}

/* The run of a task being started; NULL when out of memory. */
static struct task_run *task_run_create(struct engine *engine, const struct engine_task *task)
{
    struct task_run *run = calloc(1, sizeof(*run));
    if (!run)
        return NULL;
    run->engine = engine;
    run->token = strdup(task->token);
    run->execution_arn = strdup(task->execution_arn);
    run->activity_arn = task->is_activity ? strdup(task->resource_arn) : NULL;
    if (!run->token || !run->execution_arn || (task->is_activity && !run->activity_arn)) {
        task_run_free(run);
        return NULL;
    }
    return run;
}

static void on_internal_outcome_done(int status, const char *execution_arn, const char *execution_status, void *data)
{
    char *what = data;
    (void)execution_status;
    if (status == -ETIMEDOUT)
        log_event(LOG_INFO, "task-outcome-dropped", "%s for %s arrived after the task closed", what,
                  execution_arn ? execution_arn : "an execution");
    else if (status < 0)
        log_event(LOG_ERROR, "task-outcome-lost", "could not record %s (%s)", what,
                  status == -EBUSY ? "other changes of the execution kept winning the compare-and-set"
                                   : "Redis gave no answer");
    free(what);
}

/* Records report (described as what, for the log) as a change of kind and activity to run's task. */
static void record_report(struct task_run *run, const char *what, enum change_kind kind, enum activity_change activity,
                          const struct engine_task_report *report)
{
    char *owned = strdup(what);
    struct execution_record *record = run->record;
    run->record = NULL; /* the change takes it */
    int result = -ENOMEM;
    if (owned)
        result = execution_change_task(run->engine, run->token, kind, activity, report, record,
                                       on_internal_outcome_done, owned);
    else
        execution_store_record_free(record);
    if (result < 0) {
        log_event(LOG_ERROR, "task-outcome-lost", "could not record %s of %s (%s)", what, run->execution_arn,
                  strerror(-result));
        free(owned);
    }
}

/* The activity task of run found its activity gone, or its queue full. */
static void report_unqueued_activity_task(struct task_run *run, bool missing)
{
    char cause[ACTIVITY_ARN_SIZE + 64];
    snprintf(cause, sizeof(cause), "Too many tasks of the activity %s wait for a worker", run->activity_arn);
    struct engine_task_report outcome = { ENGINE_TASK_FAILED, NULL, ACTIVITY_QUEUE_FULL_ERROR, cause };
    record_report(run, missing ? "the deletion of the task's activity" : "the full activity queue", CHANGE_ACTIVITY,
                  missing ? ACTIVITY_MISSING : ACTIVITY_SCHEDULE_FAILED, &outcome);
}

static void on_task_report(const struct engine_task_report *report, void *data)
{
    struct task_run *run = data;
    static const struct engine_task_report queued = { ENGINE_TASK_SUBMITTED, NULL, NULL, NULL };
    struct engine_task_report with_output;
    if ((report->kind == ENGINE_TASK_SUBMITTED || report->kind == ENGINE_TASK_SUCCEEDED) && !report->output) {
        with_output = *report; /* a starter that answered nothing: its output is the empty object */
        with_output.output = "{}";
        report = &with_output;
    }
    switch (report->kind) {
    case ENGINE_TASK_NOT_STARTED:
        log_event(LOG_WARN, "task-not-started",
                  "The task of %s could not be started (%s); it is started again when its start lease runs out",
                  run->execution_arn, report->cause ? report->cause : "no reason given");
        break;
    case ENGINE_TASK_QUEUED:
        log_event(LOG_INFO, "activity-task-queued", "The task of %s waits for a worker of %s", run->execution_arn,
                  run->activity_arn ? run->activity_arn : "its activity");
        record_report(run, "the queueing of the activity task", CHANGE_ACTIVITY, ACTIVITY_QUEUED, &queued);
        break;
    case ENGINE_TASK_ACTIVITY_MISSING:
    case ENGINE_TASK_QUEUE_FULL:
        if (run->activity_arn)
            report_unqueued_activity_task(run, report->kind == ENGINE_TASK_ACTIVITY_MISSING);
        break;
    case ENGINE_TASK_SUBMITTED:
        record_report(run, "the task submission", CHANGE_TASK_OUTCOME, ACTIVITY_STARTED /* unused */, report);
        break;
    case ENGINE_TASK_SUCCEEDED:
        record_report(run, "the task result", CHANGE_TASK_OUTCOME, ACTIVITY_STARTED /* unused */, report);
        break;
    case ENGINE_TASK_FAILED:
        record_report(run, "the task failure", CHANGE_TASK_OUTCOME, ACTIVITY_STARTED /* unused */, report);
        break;
    }
    task_run_free(run);
}

/*
 * Starts task through the task starter; its report is committed later,
 * from committed (taken; NULL: loaded then) when it is known.
 */
static void start_task(struct engine *engine, const struct engine_task *task, struct execution_record *committed)
{
    struct task_run *run = task_run_create(engine, task);
    if (run)
        run->record = committed;
    else
        execution_store_record_free(committed);
    const struct engine_task_starter *starter = &engine->config.tasks;
    int result = run ? starter->start(starter->context, task, on_task_report, run) : -ENOMEM;
    if (result < 0) {
        log_event(LOG_ERROR, "task-not-started",
                  "could not start the task of %s (%s); it is started again when its start lease runs out",
                  task->execution_arn, strerror(-result));
        task_run_free(run);
    }
}

/* The task a step scheduled, as the task starter takes it: state's invocation of test_case. */
static struct engine_task task_of_request(const struct task_request *request, const char *execution_arn,
                                          const char *state, long invocation, const char *test_case)
{
    return (struct engine_task){
        .execution_arn = execution_arn,
        .token = request->token,
        .resource_arn = request->resource_arn,
        .is_activity = request->is_activity,
        .resource_type = request->resource_type,
        .resource = request->resource,
        .parameters = request->parameters,
        .state_name = state,
        .invocation = invocation,
        .test_case = test_case,
    };
}

/*
 * ---- a task's report from the record its start committed ----
 *
 * The report of a task this process just scheduled (submitted, succeeded,
 * failed; an activity task queued) is computed from the record as that
 * commit left it, and committed on its lastEventId and the task's token,
 * without loading the record first. Another change since then either
 * appended events (the commit finds lastEventId moved on: EXECUTION_CHANGED)
 * or closed the task (EXECUTION_TASK_CLOSED); either way the change loads
 * the record and is computed again, as every change is (execution_change.c).
 * What remains are the writes that change a record without an event, so
 * without moving lastEventId:
 *
 * What the change reads of the record: task_is_open() status, taskToken,
 * state, taskResource; confirms_confirmed_start() and
 * step_record_confirm_start() taskStartDue, taskTimeoutDate, heartbeatDate;
 * step_record_restart_heartbeat() heartbeatIntervalMs (a worker taking an
 * activity task: never a task run's report); the definition by
 * definitionHash; the interpreter's facts (arn, name, stateMachineArn,
 * roleArn, startDate, input, redriveCount, redriveDate) and position
 * (lastEventId, state, stateEnteredEventId, stateEntered, stateInput,
 * retryCounts, resting, mapIndex, mapItem, variables); mockInvocations and
 * mockTestCase; executionTimeoutDue (the timer's bound); historyOf.
 *
 * The writes without an event (store/scripts/):
 * - heartbeat_task.lua: heartbeatDate and timerDue, when the task has a
 *   heartbeatIntervalMs. A SendTaskHeartbeat can arrive before the
 *   submission (the token is out in the request the task sends), and a
 *   confirmation computed from the older heartbeatDate would set timerDue
 *   before the heartbeat's deadline. So a task with HeartbeatSeconds takes
 *   the loading path; without one the script writes nothing.
 * - commit_execution.lua with no event (change_start_lease()): another
 *   process renewing the start lease (taskStartDue, timerDue), or an
 *   activity task's start confirmed (taskStartDue and taskParameters
 *   deleted, timerDue). A confirmation from the snapshot writes what one
 *   from a load would: the lease goes, and timerDue becomes the task's own
 *   deadline (taskTimeoutDate; no heartbeat, see above), which neither
 *   writer changes; a second activity confirmation writes the same values
 *   again. A succeeded or failed task's step writes every resting field
 *   from the step, reading none of those.
 * - restore_timer.lua, claim_timers.lua: the shard's timers only; every
 *   commit mirrors timerDue into them again.
 * - update_map_run.lua: forkSignals and timerDue of a branch resting at a
 *   distributed Map, never of a record resting at a task (and timerDue is
 *   not read by a task's change).
 * - settle_shards.lua: the settings key only.
 * No other script writes a record without appending an event (stops,
 * redrives, steps and children's ends append or touch forks' records).
 *
 * Branches (Parallel and Map children, child executions of a Map Run) take
 * the loading path: their commit's base (the history's length) moves with
 * every sibling's events, which a branch's lastEventId does not show. So
 * only the root's record is kept, as left by a creation or a plain commit
 * (no fork entered or left), and only while it rests at its task.
 */
static bool committed_record_usable(const struct execution_record *record, const char *token)
{
    return step_record_waits_at_root_task(record) && record->task_start_due_ms
           && strcmp(record->task_token, token) == 0;
}

void task_start_after_commit(struct engine *engine, const struct interpreter_step *step, const struct step_record *next,
                             const char *execution_arn, const char *test_case, struct execution_record *committed)
{
    step_record_log(step, execution_arn);
    if (next->record.timer_due_ms)
        execution_timers_note_due(engine->timers, next->record.timer_due_ms);
    if (!step->has_task || !committed_record_usable(committed, step->task.token)) {
        execution_store_record_free(committed);
        committed = NULL;
    }
    if (step->has_task) {
        struct engine_task task =
            task_of_request(&step->task, execution_arn, next->record.state, next->invocation, test_case);
        start_task(engine, &task, committed);
    }
}

void task_start_again(struct engine *engine, const struct execution_record *record)
{
    struct task_request request = {
        .resource_arn = record->task_resource,
        .is_activity = activity_arn_is_activity(record->task_resource),
        .token = record->task_token,
    };
    int result = record->task_parameters
                     ? json_parse(record->task_parameters, strlen(record->task_parameters), &request.parameters)
                     : -EINVAL;
    if (result == 0 && !request.is_activity)
        result =
            state_machine_split_resource(record->task_resource, request.resource_type, sizeof(request.resource_type),
                                         request.resource, sizeof(request.resource));
    if (result < 0) {
        log_event(LOG_ERROR, "task-not-restarted",
                  "the task of %s cannot be started again (its Parameters were not recorded); its timeouts will "
                  "close it",
                  record->arn);
    } else {
        log_event(LOG_WARN, "task-restarted",
                  "The start of the task of %s (state %s) was not confirmed within its lease (its process may have "
                  "died); starting it again",
                  record->arn, record->state);
        long scheduled = step_record_invocations(record->mock_invocations, record->state);
        struct engine_task task = task_of_request(&request, record->arn, record->state,
                                                  scheduled > 0 ? scheduled - 1 : 0, record->mock_test_case);
        start_task(engine, &task, NULL);
    }
    cJSON_Delete(request.parameters);
}

/*
 * ---- activities a step schedules ----
 *
 * AWS fails an execution at once (States.Runtime, no ActivityScheduled)
 * when a Task's activity does not exist. So a step that schedules an
 * activity task is committed only after the activity was found; when it is
 * missing, the step is computed again with that knowledge.
 */

/* The activity whose task a step schedules (its ARN, borrowed from the step), or NULL. */
static const char *scheduled_activity(const struct interpreter_step *step)
{
    return step->status == EXECUTION_RUNNING && step->has_task && step->task.is_activity ? step->task.resource_arn
                                                                                         : NULL;
}

int task_start_check_activity(struct engine *engine, const struct interpreter_step *step, const char *known_missing,
                              engine_status_callback callback, void *data)
{
    const struct engine_task_starter *starter = &engine->config.tasks;
    const char *activity = scheduled_activity(step);
    if (!activity || known_missing)
        return 1;
    int result = starter->check_activity(starter->context, activity, callback, data);
    return result < 0 ? result : 0;
}

/* Keeps the ARN of the activity step scheduled, found missing, in *missing. Returns 0 or -ENOMEM. */
static int note_missing_activity(char **missing, const struct interpreter_step *step)
{
    free(*missing);
    *missing = strdup(scheduled_activity(step));
    return *missing ? 0 : -ENOMEM;
}

int task_start_settle_activity_check(int status, char **missing, struct interpreter_step *step,
                                     int (*recompute)(void *owner), void *owner)
{
    if (status != -ENOENT)
        return status;
    int result = note_missing_activity(missing, step);
    interpreter_step_release(step);
    return result == 0 ? recompute(owner) : result;
}

int engine_start_lone_task(struct engine *engine, const struct engine_task *task, engine_task_report_callback report,
                           void *data)
{
    return engine->config.tasks.start(engine->config.tasks.context, task, report, data);
}
