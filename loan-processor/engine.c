/* engine - see engine.h. */
#include "engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activities.h"
#include "activity_arn.h"
#include "execution_store.h"
#include "execution_timers.h"
#include "interpreter.h"
#include "log.h"
#include "random_id.h"
#include "task_token.h"
#include "wall_clock.h"

/* A change that keeps losing races is given up after this many tries (reported as -EIO). */
#define MAX_COMMIT_ATTEMPTS 8
#define MAX_STATE_MACHINES 64

struct registered_machine {
    char name[81];
    char arn[256];
    char role_arn[256];
    char *definition;
    struct state_machine *machine;
    int64_t created_ms;
};

struct engine {
    struct redis_client *redis;
    struct execution_timers *timers;
    struct engine_config config;
    struct registered_machine machines[MAX_STATE_MACHINES];
    size_t machine_count;
};

/* ---- state machines ---- */

static struct registered_machine *find_machine(struct engine *engine, const char *arn)
{
    for (size_t i = 0; i < engine->machine_count; i++) {
        if (strcmp(engine->machines[i].arn, arn) == 0)
            return &engine->machines[i];
    }
    return NULL;
}

void engine_state_machine_arn(const struct engine *engine, const char *name, char *out, size_t size)
{
    snprintf(out, size, "arn:aws:states:%s:%s:stateMachine:%s", engine->config.region, engine->config.account,
             name);
}

int engine_execution_arn(const char *state_machine_arn, const char *execution_name, char *out, size_t size)
{
    static const char marker[] = ":stateMachine:";
    const char *found = strstr(state_machine_arn, marker);
    if (!found)
        return -EINVAL;
    int length = snprintf(out, size, "%.*s:execution:%s:%s", (int)(found - state_machine_arn), state_machine_arn,
                          found + sizeof(marker) - 1, execution_name);
    return length < 0 || (size_t)length >= size ? -EINVAL : 0;
}

static void on_machine_stored(redisReply *reply, void *data)
{
    const char *name = data;
    if (!reply || reply->type == REDIS_REPLY_ERROR)
        log_event(LOG_WARN, "state-machine", "could not record state machine %s in Redis", name);
}

static void store_machine(struct engine *engine, struct registered_machine *entry)
{
    char key[128], created[32];
    snprintf(key, sizeof(key), "sfn:state-machine:%s", entry->name);
    snprintf(created, sizeof(created), "%lld", (long long)entry->created_ms);
    const char *argv[] = { "HSET", key, "arn", entry->arn, "name", entry->name, "definition", entry->definition,
                           "roleArn", entry->role_arn, "type", "STANDARD", "creationDate", created };
    redis_client_command_strings(engine->redis, on_machine_stored, entry->name, 14, argv);
}

static void on_redis_change(bool connected, void *data)
{
    struct engine *engine = data;
    if (!connected)
        return;
    for (size_t i = 0; i < engine->machine_count; i++)
        store_machine(engine, &engine->machines[i]);
    execution_timers_wake(engine->timers); /* timers that fell due while Redis or this process was away */
}

int engine_register_state_machine(struct engine *engine, const char *name, const char *definition, char *error,
                                  size_t error_size)
{
    struct state_machine *machine = NULL;
    int result = state_machine_parse(definition, strlen(definition), &machine, error, error_size);
    if (result < 0)
        return result;
    char arn[256];
    engine_state_machine_arn(engine, name, arn, sizeof(arn));
    struct registered_machine *entry = find_machine(engine, arn);
    if (!entry) {
        if (engine->machine_count == MAX_STATE_MACHINES || strlen(name) > 80) {
            state_machine_free(machine);
            snprintf(error, error_size, "too many state machines, or a name over 80 characters");
            return -EINVAL;
        }
        entry = &engine->machines[engine->machine_count++];
        snprintf(entry->name, sizeof(entry->name), "%s", name);
        snprintf(entry->arn, sizeof(entry->arn), "%s", arn);
        snprintf(entry->role_arn, sizeof(entry->role_arn), "arn:aws:iam::%s:role/%sRole", engine->config.account,
                 name);
        entry->created_ms = wall_clock_now_ms();
    }
    char *copy = strdup(definition);
    if (!copy) {
        state_machine_free(machine);
        return -ENOMEM;
    }
    free(entry->definition);
    state_machine_free(entry->machine);
    entry->definition = copy;
    entry->machine = machine;
    if (redis_client_connected(engine->redis))
        store_machine(engine, entry);
    return 0;
}

void engine_for_each_state_machine(const struct engine *engine,
                                   void (*visit)(const char *arn, const char *name, int64_t created_ms, void *data),
                                   void *data)
{
    for (size_t i = 0; i < engine->machine_count; i++)
        visit(engine->machines[i].arn, engine->machines[i].name, engine->machines[i].created_ms, data);
}

static void on_timer_due(const char *execution_id, void *data);

int engine_create(struct event_loop *loop, struct redis_client *redis, const struct engine_config *config,
                  struct engine **engine_out)
{
    struct engine *engine = calloc(1, sizeof(*engine));
    if (!engine)
        return -ENOMEM;
    engine->redis = redis;
    engine->config = *config;
    int result = execution_store_init(redis);
    if (result == 0)
        result = execution_timers_create(loop, redis, on_timer_due, engine, &engine->timers);
    if (result < 0) {
        free(engine);
        return result;
    }
    redis_client_on_change(redis, on_redis_change, engine);
    *engine_out = engine;
    return 0;
}

void engine_stop(struct engine *engine)
{
    if (engine)
        execution_timers_stop(engine->timers);
}

void engine_destroy(struct engine *engine)
{
    if (!engine)
        return;
    execution_timers_destroy(engine->timers);
    for (size_t i = 0; i < engine->machine_count; i++) {
        free(engine->machines[i].definition);
        state_machine_free(engine->machines[i].machine);
    }
    free(engine);
}

/* ---- turning a step into stored fields ---- */

/* Fields of a record that describe where a running execution rests; all go when it ends. */
static const char *const resting_fields[] = { "state", "stateEnteredEventId", "stateEnteredDate", "stateInput",
                                              "resting", "retryCounts", "taskToken", "taskResource", "timerDue",
                                              "taskTimeoutDate", "heartbeatDate", "heartbeatIntervalMs" };
#define RESTING_FIELD_COUNT (sizeof(resting_fields) / sizeof(resting_fields[0]))

/* Field values of a step, with the buffers they point into. */
struct step_fields {
    struct store_field set[32];
    size_t set_count;
    const char *deletes[RESTING_FIELD_COUNT];
    size_t delete_count;
    char last_event_id[24];
    char entered_event_id[24];
    char entered_ms[24];
    char stop_ms[24];
    char timer_due[24];
    char task_timeout[24];
    char heartbeat_due[24];
    char heartbeat_interval[24];
    int64_t timer_due_ms;           /* 0: the step sets no timer */
};

/* Adds a field to set; an absent (NULL) value is left out. */
static void field_set(struct step_fields *fields, const char *name, const char *value)
{
    if (value)
        fields->set[fields->set_count++] = (struct store_field){ name, value };
}

/* Adds a time (ms) field unless it is 0. */
static void field_set_ms(struct step_fields *fields, const char *name, char *buffer, size_t size, int64_t ms)
{
    if (!ms)
        return;
    snprintf(buffer, size, "%lld", (long long)ms);
    field_set(fields, name, buffer);
}

/* A duration of the definition (ms) under TIME_SCALE; at least 1 ms. */
static int64_t scaled_ms(const struct engine *engine, int64_t ms)
{
    double scaled = (double)ms * engine->config.time_scale;
    return scaled < 1 ? 1 : (int64_t)scaled;
}

/* The deadlines of a resting point, written as fields; the timer is the earliest of them. */
static void describe_deadlines(const struct engine *engine, const struct interpreter_step *step,
                               struct step_fields *fields)
{
    int64_t now = step->history.timestamp_ms, timeout = 0, heartbeat = 0, interval = 0;
    if (step->resting != RESTING_TASK) {
        fields->timer_due_ms = now + scaled_ms(engine, step->delay_ms);
    } else {
        if (step->task.timeout_seconds)
            timeout = now + scaled_ms(engine, (int64_t)step->task.timeout_seconds * 1000);
        if (step->task.heartbeat_seconds) {
            interval = scaled_ms(engine, (int64_t)step->task.heartbeat_seconds * 1000);
            heartbeat = now + interval;
        }
        fields->timer_due_ms = timeout && (!heartbeat || timeout < heartbeat) ? timeout : heartbeat;
    }
    field_set_ms(fields, "timerDue", fields->timer_due, sizeof(fields->timer_due), fields->timer_due_ms);
    field_set_ms(fields, "taskTimeoutDate", fields->task_timeout, sizeof(fields->task_timeout), timeout);
    field_set_ms(fields, "heartbeatDate", fields->heartbeat_due, sizeof(fields->heartbeat_due), heartbeat);
    field_set_ms(fields, "heartbeatIntervalMs", fields->heartbeat_interval, sizeof(fields->heartbeat_interval),
                 interval);
}

/* Deletes every resting field the step does not set (a field must not be both set and deleted). */
static void delete_unset_resting_fields(struct step_fields *fields)
{
    for (size_t i = 0; i < RESTING_FIELD_COUNT; i++) {
        bool set = false;
        for (size_t j = 0; j < fields->set_count && !set; j++)
            set = strcmp(fields->set[j].name, resting_fields[i]) == 0;
        if (!set)
            fields->deletes[fields->delete_count++] = resting_fields[i];
    }
}

static void describe_step(const struct engine *engine, const struct interpreter_step *step,
                          struct step_fields *fields)
{
    memset(fields, 0, sizeof(*fields));
    snprintf(fields->last_event_id, sizeof(fields->last_event_id), "%ld", step->history.last_event_id);
    field_set(fields, "lastEventId", fields->last_event_id);
    if (step->status == EXECUTION_RUNNING) {
        snprintf(fields->entered_event_id, sizeof(fields->entered_event_id), "%ld", step->state_entered_event_id);
        snprintf(fields->entered_ms, sizeof(fields->entered_ms), "%lld", (long long)step->state_entered_ms);
        field_set(fields, "status", "RUNNING");
        field_set(fields, "state", step->state_name);
        field_set(fields, "stateEnteredEventId", fields->entered_event_id);
        field_set(fields, "stateEnteredDate", fields->entered_ms);
        field_set(fields, "stateInput", step->state_input);
        field_set(fields, "resting", interpreter_resting_name(step->resting));
        field_set(fields, "retryCounts", step->retry_counts);
        if (step->has_task) {
            field_set(fields, "taskToken", step->task.token);
            field_set(fields, "taskResource", step->task.resource_arn);
        }
        describe_deadlines(engine, step, fields);
    } else {
        snprintf(fields->stop_ms, sizeof(fields->stop_ms), "%lld", (long long)step->history.timestamp_ms);
        field_set(fields, "status", interpreter_status_name(step->status));
        field_set(fields, "stopDate", fields->stop_ms);
        field_set(fields, "output", step->output);
        field_set(fields, "error", step->error);
        field_set(fields, "cause", step->cause);
    }
    delete_unset_resting_fields(fields);
}

static void log_step(const struct interpreter_step *step, const char *execution_arn)
{
    if (step->status == EXECUTION_SUCCEEDED)
        log_event(LOG_INFO, "execution-succeeded", "Execution %s SUCCEEDED with output %s", execution_arn,
                  step->output);
    else if (step->status != EXECUTION_RUNNING)
        log_event(LOG_WARN, "execution-failed", "Execution %s %s: %s%s%s", execution_arn,
                  interpreter_status_name(step->status), step->error ? step->error : "",
                  step->cause ? ": " : "", step->cause ? step->cause : "");
    else if (step->resting == RESTING_WAIT)
        log_event(LOG_INFO, "waiting", "Execution %s waits in state %s for %lld ms (before TIME_SCALE)",
                  execution_arn, step->state_name, (long long)step->delay_ms);
    else if (step->resting == RESTING_RETRY)
        log_event(LOG_INFO, "retrying", "Execution %s retries state %s in %lld ms (before TIME_SCALE)",
                  execution_arn, step->state_name, (long long)step->delay_ms);
}

/* A uniform random fraction in [0, 1), for FULL-jitter retry delays. */
static double random_fraction(void)
{
    uint32_t bits = 0;
    random_id_fill(&bits, sizeof(bits));
    return (double)bits / 4294967296.0;
}

/* ---- running tasks ---- */

/* What a started task needs to report its outcome. */
struct task_run {
    struct engine *engine;
    char *token;
    char *execution_arn;
    char *activity_arn;             /* an activity task: the activity it is queued for */
};

static void task_run_free(struct task_run *run)
{
    if (!run)
        return;
    free(run->token);
    free(run->execution_arn);
    free(run->activity_arn);
    free(run);
}

/* The run of the task a committed step started; NULL when out of memory. */
static struct task_run *task_run_create(struct engine *engine, const struct interpreter_step *step,
                                        const char *execution_arn)
{
    struct task_run *run = calloc(1, sizeof(*run));
    if (!run)
        return NULL;
    run->engine = engine;
    run->token = strdup(step->task.token);
    run->execution_arn = strdup(execution_arn);
    run->activity_arn = step->task.is_activity ? strdup(step->task.resource_arn) : NULL;
    if (!run->token || !run->execution_arn || (step->task.is_activity && !run->activity_arn)) {
        task_run_free(run);
        return NULL;
    }
    return run;
}

/* What happened to a waiting activity task (changes of kind CHANGE_ACTIVITY). */
enum activity_change {
    ACTIVITY_STARTED,           /* a worker took it: ActivityStarted */
    ACTIVITY_MISSING,           /* its activity was deleted before it could be queued */
    ACTIVITY_SCHEDULE_FAILED,   /* its activity's queue is full: ActivityScheduleFailed */
};

/* The error of an activity task that found its activity's queue full (bounded by ACTIVITY_MAX_QUEUED_TASKS). */
#define ACTIVITY_QUEUE_FULL_ERROR "ActivityQueueFull"

static int complete_task(struct engine *engine, const char *token, const struct task_outcome *outcome,
                         engine_task_callback callback, void *data);
static int change_activity_task(struct engine *engine, const char *token, enum activity_change change,
                                const struct task_outcome *outcome, engine_task_callback callback, void *data);

static void on_internal_outcome_done(int status, const char *execution_arn, const char *execution_status,
                                     void *data)
{
    char *what = data;
    (void)execution_status;
    if (status == -ETIMEDOUT)
        log_event(LOG_INFO, "task-outcome-dropped", "%s for %s arrived after the task closed", what,
                  execution_arn ? execution_arn : "an execution");
    else if (status < 0)
        log_event(LOG_ERROR, "task-outcome-lost", "could not record %s (Redis gave no answer)", what);
    free(what);
}

static void on_task_outcome(const struct task_outcome *outcome, void *data)
{
    struct task_run *run = data;
    static const char *const names[] = { "the task submission", "the task result", "the task failure" };
    char *what = strdup(names[outcome->kind]);
    int result = what ? complete_task(run->engine, run->token, outcome, on_internal_outcome_done, what) : -ENOMEM;
    if (result < 0) {
        log_event(LOG_ERROR, "task-outcome-lost", "could not record %s of %s (%s)", names[outcome->kind],
                  run->execution_arn, strerror(-result));
        free(what);
    }
    task_run_free(run);
}

/* The queue refused the activity task of run (status -ENOENT: its activity is gone; -ENOSPC: it is full). */
static void report_unqueued_activity_task(struct task_run *run, int status)
{
    char cause[ACTIVITY_ARN_SIZE + 64];
    snprintf(cause, sizeof(cause), "Too many tasks of the activity %s wait for a worker", run->activity_arn);
    struct task_outcome outcome = { TASK_FAILED, NULL, ACTIVITY_QUEUE_FULL_ERROR, cause };
    char *what = strdup(status == -ENOENT ? "the deletion of the task's activity" : "the full activity queue");
    int result = what ? change_activity_task(run->engine, run->token,
                                             status == -ENOENT ? ACTIVITY_MISSING : ACTIVITY_SCHEDULE_FAILED,
                                             &outcome, on_internal_outcome_done, what)
                      : -ENOMEM;
    if (result < 0) {
        log_event(LOG_ERROR, "task-outcome-lost", "could not record that the task of %s was not queued for %s (%s)",
                  run->execution_arn, run->activity_arn, strerror(-result));
        free(what);
    }
}

static void on_activity_task_queued(int status, void *data)
{
    struct task_run *run = data;
    if (status == 0)
        log_event(LOG_INFO, "activity-task-queued", "The task of %s waits for a worker of %s", run->execution_arn,
                  run->activity_arn);
    else if (status == -ENOENT || status == -ENOSPC)
        report_unqueued_activity_task(run, status);
    else
        log_event(LOG_ERROR, "task-not-started",
                  "could not queue the task of %s for %s (Redis gave no answer); its timeouts will close it",
                  run->execution_arn, run->activity_arn);
    task_run_free(run);
}

/* Hands an activity task to its workers: the queue takes its token and input (the effective input). */
static int queue_activity_task(struct task_run *run, const struct interpreter_step *step)
{
    char *input = cJSON_PrintUnformatted(step->task.parameters);
    int result = input ? activities_enqueue(run->engine->config.activities, run->activity_arn, run->token, input,
                                            on_activity_task_queued, run)
                       : -ENOMEM;
    cJSON_free(input);
    return result;
}

static void start_task(struct engine *engine, const struct interpreter_step *step, const char *execution_arn)
{
    struct task_run *run = task_run_create(engine, step, execution_arn);
    struct task_invocation invocation = {
        .execution_arn = execution_arn,
        .resource_type = step->task.resource_type,
        .resource = step->task.resource,
        .parameters = step->task.parameters,
    };
    int result = !run                      ? -ENOMEM
                 : step->task.is_activity ? queue_activity_task(run, step)
                                          : task_functions_invoke(engine->config.functions, &invocation,
                                                                  on_task_outcome, run);
    if (result < 0) {
        log_event(LOG_ERROR, "task-not-started", "could not start the task of %s (%s); its timeouts will close it",
                  execution_arn, strerror(-result));
        task_run_free(run);
    }
}

/* What follows a committed step: its log lines, its timer and its task. */
static void after_commit(struct engine *engine, const struct interpreter_step *step, const struct step_fields *fields,
                         const char *execution_arn)
{
    log_step(step, execution_arn);
    if (fields->timer_due_ms)
        execution_timers_note_due(engine->timers, fields->timer_due_ms);
    if (step->has_task)
        start_task(engine, step, execution_arn);
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

/*
 * Checks that the activity step schedules exists, unless it schedules none
 * or a missing one is already known. Returns 1 (nothing to check: commit
 * now), 0 (callback follows), or a negative code.
 */
static int check_scheduled_activity(struct engine *engine, const struct interpreter_step *step,
                                    const char *known_missing, activity_status_callback callback, void *data)
{
    const char *activity = scheduled_activity(step);
    if (!activity || known_missing)
        return 1;
    int result = activities_check(engine->config.activities, activity, callback, data);
    return result < 0 ? result : 0;
}

/* Keeps the ARN of the activity step scheduled, found missing, in *missing. Returns 0 or -ENOMEM. */
static int note_missing_activity(char **missing, const struct interpreter_step *step)
{
    free(*missing);
    *missing = strdup(scheduled_activity(step));
    return *missing ? 0 : -ENOMEM;
}

/* ---- StartExecution ---- */

struct start_operation {
    struct engine *engine;
    engine_start_callback callback;
    void *data;
    char execution_arn[512];
    char state_machine_arn[256];
    char execution_id[TASK_TOKEN_EXECUTION_ID_SIZE];
    char *name;
    char *input;
    int64_t start_ms;
    char *missing_activity;         /* an activity the first step scheduled and found missing */
    struct interpreter_step step;
    struct step_fields fields;
};

static void start_operation_free(struct start_operation *operation)
{
    interpreter_step_release(&operation->step);
    free(operation->name);
    free(operation->input);
    free(operation->missing_activity);
    free(operation);
}

static void on_execution_created(int status, struct execution_record *existing, void *data)
{
    struct start_operation *operation = data;
    if (status == 1) {
        log_event(LOG_INFO, "execution-started", "Execution %s started with input %s", operation->execution_arn,
                  operation->input);
        operation->callback(0, operation->execution_arn, operation->start_ms, operation->data);
        after_commit(operation->engine, &operation->step, &operation->fields, operation->execution_arn);
    } else if (status == 0) {
        /* Same name: AWS answers with the original execution if it runs with the same input. */
        bool same = existing && existing->status && strcmp(existing->status, "RUNNING") == 0 && existing->input
                    && strcmp(existing->input, operation->input) == 0;
        operation->callback(same ? 0 : -EEXIST, operation->execution_arn, existing ? existing->start_ms : 0,
                            operation->data);
    } else {
        operation->callback(-EIO, operation->execution_arn, 0, operation->data);
    }
    execution_store_record_free(existing);
    start_operation_free(operation);
}

/* Computes the execution's first step. Returns 0, -EIO (its state machine is gone) or -ENOMEM. */
static int interpret_start(struct start_operation *operation)
{
    struct engine *engine = operation->engine;
    const struct registered_machine *entry = find_machine(engine, operation->state_machine_arn);
    char *token = NULL;
    if (!entry)
        return -EIO;
    int result = task_token_create(operation->execution_id, &token);
    if (result < 0)
        return result;
    struct execution_facts facts = {
        .execution_arn = operation->execution_arn,
        .execution_name = operation->name,
        .state_machine_arn = entry->arn,
        .state_machine_name = entry->name,
        .role_arn = entry->role_arn,
        .region = engine->config.region,
        .start_ms = operation->start_ms,
        .input = operation->input,
    };
    struct step_environment environment = {
        .now_ms = operation->start_ms,
        .fresh_token = token,
        .jitter = random_fraction(),
        .missing_activity = operation->missing_activity,
    };
    result = interpreter_start(entry->machine, &facts, &environment, &operation->step);
    free(token);
    return result;
}

/* Creates the execution in Redis from its first step. Same returns as execution_store_create(). */
static int store_execution(struct start_operation *operation)
{
    struct engine *engine = operation->engine;
    const struct registered_machine *entry = find_machine(engine, operation->state_machine_arn);
    struct step_fields *fields = &operation->fields;
    char start_ms[24];
    if (!entry)
        return -EIO;
    describe_step(engine, &operation->step, fields);
    snprintf(start_ms, sizeof(start_ms), "%lld", (long long)operation->start_ms);
    field_set(fields, "arn", operation->execution_arn);
    field_set(fields, "stateMachineArn", entry->arn);
    field_set(fields, "name", operation->name);
    field_set(fields, "input", operation->input);
    field_set(fields, "roleArn", entry->role_arn);
    field_set(fields, "startDate", start_ms);
    return execution_store_create(engine->redis, operation->execution_id, fields->set, fields->set_count,
                                  operation->step.history.events, entry->arn, operation->start_ms,
                                  on_execution_created, operation);
}

static void on_start_activity_checked(int status, void *data)
{
    struct start_operation *operation = data;
    int result = status;
    if (status == -ENOENT) {
        result = note_missing_activity(&operation->missing_activity, &operation->step);
        interpreter_step_release(&operation->step);
        if (result == 0)
            result = interpret_start(operation);
    }
    if (result == 0)
        result = store_execution(operation);
    if (result < 0) {
        operation->callback(-EIO, operation->execution_arn, 0, operation->data);
        start_operation_free(operation);
    }
}

static int create_execution(struct engine *engine, struct start_operation *operation,
                            const struct registered_machine *entry, const char *name, const char *execution_id)
{
    snprintf(operation->state_machine_arn, sizeof(operation->state_machine_arn), "%s", entry->arn);
    snprintf(operation->execution_id, sizeof(operation->execution_id), "%s", execution_id);
    operation->name = strdup(name);
    int result = operation->name ? interpret_start(operation) : -ENOMEM;
    if (result == 0)
        result = check_scheduled_activity(engine, &operation->step, operation->missing_activity,
                                          on_start_activity_checked, operation);
    return result == 1 ? store_execution(operation) : result;
}

int engine_start_execution(struct engine *engine, const char *state_machine_arn, const char *name,
                           const char *input, engine_start_callback callback, void *data)
{
    struct registered_machine *entry = find_machine(engine, state_machine_arn);
    char generated_name[37], execution_id[TASK_TOKEN_EXECUTION_ID_SIZE];
    if (!entry)
        return -ENOENT;
    if (!redis_client_connected(engine->redis))
        return -ENOTCONN;
    if (!name) {
        int result = random_id_uuid(generated_name);
        if (result < 0)
            return result;
        name = generated_name;
    }
    struct start_operation *operation = calloc(1, sizeof(*operation));
    if (!operation)
        return -ENOMEM;
    operation->engine = engine;
    operation->callback = callback;
    operation->data = data;
    operation->start_ms = wall_clock_now_ms();
    operation->input = strdup(input);
    snprintf(execution_id, sizeof(execution_id), "%s:%s", entry->name, name);
    int result = operation->input ? engine_execution_arn(entry->arn, name, operation->execution_arn,
                                                         sizeof(operation->execution_arn))
                                  : -ENOMEM;
    if (result == 0)
        result = create_execution(engine, operation, entry, name, execution_id);
    if (result < 0)
        start_operation_free(operation);
    return result;
}

/*
 * ---- changes of a running execution ----
 *
 * A task outcome (SendTaskSuccess/Failure, what an integration reports),
 * what happened to an activity task, or a due timer: load the record, let
 * the interpreter compute the step, commit it with a compare-and-set, and
 * recompute from the new record when another change won the race.
 */

enum change_kind { CHANGE_TASK_OUTCOME, CHANGE_ACTIVITY, CHANGE_TIMER };

/* What a due timer means for the record it belongs to. */
enum timer_action { TIMER_RESTORE, TIMER_TASK_TIMED_OUT, TIMER_HEARTBEAT_MISSED, TIMER_ELAPSED };

struct change_operation {
    struct engine *engine;
    enum change_kind kind;
    enum activity_change activity;  /* CHANGE_ACTIVITY */
    engine_task_callback callback;  /* task outcomes and activity changes */
    void *data;
    char execution_id[TASK_TOKEN_EXECUTION_ID_SIZE];
    char *token;                    /* task outcomes: the token that must still be open */
    struct task_outcome outcome;    /* its strings owned; for ACTIVITY_STARTED, output is the worker's name */
    enum timer_action action;       /* CHANGE_TIMER: what the due timer means */
    char *missing_activity;         /* an activity the step scheduled and found missing */
    int attempts;
    struct execution_record *record;
    struct interpreter_step step;
    struct step_fields fields;
};

static void change_operation_free(struct change_operation *operation)
{
    interpreter_step_release(&operation->step);
    execution_store_record_free(operation->record);
    free(operation->missing_activity);
    free(operation->token);
    free((char *)operation->outcome.output);
    free((char *)operation->outcome.error);
    free((char *)operation->outcome.cause);
    free(operation);
}

/* Reports the end of a change (status 0, -ETIMEDOUT or -EIO) and frees it. */
static void finish_change(struct change_operation *operation, int status)
{
    const struct execution_record *record = operation->record;
    if (operation->kind == CHANGE_TIMER) {
        if (status == -EIO)
            log_event(LOG_WARN, "timer-deferred", "the timer of %s could not be handled now; it fires again later",
                      operation->execution_id);
        execution_timers_handled(operation->engine->timers);
    } else {
        const char *execution_status = status == 0 ? interpreter_status_name(operation->step.status) : NULL;
        operation->callback(status, record ? record->arn : NULL, execution_status, operation->data);
    }
    change_operation_free(operation);
}

static int load_for_change(struct change_operation *operation);

static void on_change_committed(int status, void *data)
{
    struct change_operation *operation = data;
    if (status == STORE_CHANGED && operation->attempts < MAX_COMMIT_ATTEMPTS) {
        interpreter_step_release(&operation->step);
        execution_store_record_free(operation->record);
        operation->record = NULL;
        if (load_for_change(operation) < 0)
            finish_change(operation, -EIO);
        return;
    }
    if (status != STORE_COMMITTED) {
        finish_change(operation, status == STORE_TASK_CLOSED || status == STORE_NO_EXECUTION ? -ETIMEDOUT : -EIO);
        return;
    }
    if (operation->kind == CHANGE_TASK_OUTCOME && operation->outcome.kind == TASK_SUCCEEDED)
        log_event(LOG_INFO, "resumed", "Execution %s resumed after its task %s succeeded", operation->record->arn,
                  operation->record->state);
    after_commit(operation->engine, &operation->step, &operation->fields, operation->record->arn);
    finish_change(operation, 0);
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
    if (!record->resting || strcmp(record->resting, "task") != 0)
        return TIMER_ELAPSED;
    if (record->task_timeout_ms && now_ms >= record->task_timeout_ms)
        return TIMER_TASK_TIMED_OUT;
    if (record->heartbeat_due_ms && now_ms >= record->heartbeat_due_ms)
        return TIMER_HEARTBEAT_MISSED;
    return TIMER_RESTORE;
}

/* The step of an activity change (the interpreter's returns). */
static int interpret_activity_change(struct change_operation *operation, const struct state_machine *machine,
                                     const struct execution_facts *facts, const struct execution_position *position,
                                     const struct step_environment *environment)
{
    const struct task_outcome *outcome = &operation->outcome;
    switch (operation->activity) {
    case ACTIVITY_STARTED:
        return interpreter_activity_started(machine, position, outcome->output, environment, &operation->step);
    case ACTIVITY_MISSING:
        return interpreter_activity_missing(machine, position, environment, &operation->step);
    case ACTIVITY_SCHEDULE_FAILED:
        return interpreter_activity_schedule_failed(machine, facts, position, outcome->error, outcome->cause,
                                                    environment, &operation->step);
    }
    return -EINVAL;
}

/* Computes the step of the change from the loaded record. Returns 0, -EINVAL (nothing to apply) or -ENOMEM. */
static int interpret_change(struct change_operation *operation, const struct state_machine *machine,
                            const struct execution_facts *facts, const struct execution_position *position)
{
    const struct task_outcome *outcome = &operation->outcome;
    enum timer_action action = operation->action;
    char *fresh_token = NULL;
    int result = task_token_create(operation->execution_id, &fresh_token);
    struct step_environment environment = {
        .now_ms = wall_clock_now_ms(),
        .fresh_token = fresh_token,
        .jitter = random_fraction(),
        .missing_activity = operation->missing_activity,
    };
    if (result < 0)
        return result;
    if (operation->kind == CHANGE_TIMER && action == TIMER_ELAPSED)
        result = interpreter_timer_due(machine, facts, position, &environment, &operation->step);
    else if (operation->kind == CHANGE_TIMER)
        result = interpreter_task_timed_out(machine, facts, position, action == TIMER_HEARTBEAT_MISSED, &environment,
                                            &operation->step);
    else if (operation->kind == CHANGE_ACTIVITY)
        result = interpret_activity_change(operation, machine, facts, position, &environment);
    else if (outcome->kind == TASK_SUBMITTED)
        result = interpreter_task_submitted(machine, position, outcome->output, &environment, &operation->step);
    else if (outcome->kind == TASK_FAILED)
        result = interpreter_task_failed(machine, facts, position, outcome->error, outcome->cause, &environment,
                                         &operation->step);
    else
        result = interpreter_task_succeeded(machine, facts, position, outcome->output, &environment,
                                            &operation->step);
    free(fresh_token);
    return result;
}

static void on_timer_restored(int status, void *data)
{
    struct change_operation *operation = data;
    finish_change(operation, status == STORE_COMMITTED ? 0 : -EIO);
}

/* Whether the change only appends events (a submission, a worker taking an activity task): the task still waits. */
static bool appends_only(const struct change_operation *operation)
{
    return (operation->kind == CHANGE_TASK_OUTCOME && operation->outcome.kind == TASK_SUBMITTED)
           || (operation->kind == CHANGE_ACTIVITY && operation->activity == ACTIVITY_STARTED);
}

/*
 * A worker took the activity task: its heartbeat clock starts again, as if
 * the worker had sent a heartbeat (it could not before it had the token).
 */
static void restart_heartbeat(const struct execution_record *record, int64_t now_ms, struct step_fields *fields)
{
    if (!record->heartbeat_interval_ms)
        return;
    int64_t heartbeat = now_ms + record->heartbeat_interval_ms;
    fields->timer_due_ms = record->task_timeout_ms && record->task_timeout_ms < heartbeat ? record->task_timeout_ms
                                                                                          : heartbeat;
    field_set_ms(fields, "heartbeatDate", fields->heartbeat_due, sizeof(fields->heartbeat_due), heartbeat);
    field_set_ms(fields, "timerDue", fields->timer_due, sizeof(fields->timer_due), fields->timer_due_ms);
}

/* Commits the computed step; a change that only appends events moves lastEventId on. */
static int commit_change(struct change_operation *operation)
{
    const struct execution_record *record = operation->record;
    struct step_fields *fields = &operation->fields;
    if (appends_only(operation)) {
        memset(fields, 0, sizeof(*fields));
        snprintf(fields->last_event_id, sizeof(fields->last_event_id), "%ld", operation->step.history.last_event_id);
        field_set(fields, "lastEventId", fields->last_event_id);
        if (operation->kind == CHANGE_ACTIVITY)
            restart_heartbeat(record, operation->step.history.timestamp_ms, fields);
    } else {
        describe_step(operation->engine, &operation->step, fields);
    }
    return execution_store_commit(operation->engine->redis, operation->execution_id, record->last_event_id,
                                  operation->token, operation->step.history.events, fields->set, fields->set_count,
                                  fields->deletes, fields->delete_count, on_change_committed, operation);
}

/* Computes the change's step from its loaded record. Returns 0, -EINVAL (nothing to apply), -EIO or -ENOMEM. */
static int interpret_record(struct change_operation *operation)
{
    const struct execution_record *record = operation->record;
    struct registered_machine *entry = find_machine(operation->engine, record->state_machine_arn);
    if (!entry) {
        log_event(LOG_ERROR, "state-machine-missing", "execution %s belongs to %s, which is not loaded", record->arn,
                  record->state_machine_arn);
        return -EIO;
    }
    struct execution_facts facts = {
        .execution_arn = record->arn,
        .execution_name = record->name,
        .state_machine_arn = entry->arn,
        .state_machine_name = entry->name,
        .role_arn = entry->role_arn,
        .region = operation->engine->config.region,
        .start_ms = record->start_ms,
        .input = record->input,
    };
    struct execution_position position = {
        .last_event_id = record->last_event_id,
        .state_name = record->state,
        .state_entered_event_id = record->state_entered_event_id,
        .state_entered_ms = record->state_entered_ms,
        .state_input = record->state_input,
        .retry_counts = record->retry_counts,
    };
    if (interpreter_resting_from_name(record->resting ? record->resting : "task", &position.resting) < 0)
        position.resting = RESTING_TASK;
    return interpret_change(operation, entry->machine, &facts, &position);
}

/* The change failed with result (-EINVAL: it no longer applies, as for a closed task). */
static void abandon_change(struct change_operation *operation, int result)
{
    finish_change(operation, result == -EINVAL ? -ETIMEDOUT : -EIO);
}

static void on_change_activity_checked(int status, void *data)
{
    struct change_operation *operation = data;
    int result = status;
    if (status == -ENOENT) {
        result = note_missing_activity(&operation->missing_activity, &operation->step);
        interpreter_step_release(&operation->step);
        if (result == 0)
            result = interpret_record(operation);
    }
    if (result == 0)
        result = commit_change(operation);
    if (result < 0)
        abandon_change(operation, result);
}

static void on_record_for_change(int status, struct execution_record *record, void *data)
{
    struct change_operation *operation = data;
    operation->record = record;
    operation->attempts++;
    operation->action = TIMER_ELAPSED;
    if (status < 0) {
        finish_change(operation, -EIO);
        return;
    }
    if (operation->kind == CHANGE_TIMER)
        operation->action = decide_timer(record, wall_clock_now_ms());
    if (operation->action == TIMER_RESTORE) {
        if (execution_store_restore_timer(operation->engine->redis, operation->execution_id, on_timer_restored,
                                          operation) < 0)
            finish_change(operation, -EIO);
        return;
    }
    if (operation->kind != CHANGE_TIMER && !task_is_open(record, operation->token)) {
        finish_change(operation, -ETIMEDOUT);
        return;
    }
    int result = interpret_record(operation);
    if (result == 0)
        result = check_scheduled_activity(operation->engine, &operation->step, operation->missing_activity,
                                          on_change_activity_checked, operation);
    if (result == 1)
        result = commit_change(operation);
    if (result < 0)
        abandon_change(operation, result);
}

static int load_for_change(struct change_operation *operation)
{
    return execution_store_load(operation->engine->redis, operation->execution_id, on_record_for_change, operation);
}

static char *copy_or_null(const char *text, bool *failed)
{
    char *copy = text ? strdup(text) : NULL;
    if (text && !copy)
        *failed = true;
    return copy;
}

/*
 * Starts a change of kind (and activity, for CHANGE_ACTIVITY) to the task
 * waiting on token, with outcome (copied). Same contract as complete_task().
 */
static int change_task(struct engine *engine, const char *token, enum change_kind kind,
                       enum activity_change activity, const struct task_outcome *outcome,
                       engine_task_callback callback, void *data)
{
    struct change_operation *operation = calloc(1, sizeof(*operation));
    bool failed = false;
    if (!operation)
        return -ENOMEM;
    if (task_token_parse(token, operation->execution_id) < 0) {
        free(operation);
        return -EINVAL;
    }
    operation->engine = engine;
    operation->kind = kind;
    operation->activity = activity;
    operation->callback = callback;
    operation->data = data;
    operation->outcome.kind = outcome->kind;
    operation->token = copy_or_null(token, &failed);
    operation->outcome.output = copy_or_null(outcome->output, &failed);
    operation->outcome.error = copy_or_null(outcome->error, &failed);
    operation->outcome.cause = copy_or_null(outcome->cause, &failed);
    int result = failed ? -ENOMEM : load_for_change(operation);
    if (result < 0)
        change_operation_free(operation);
    return result;
}

static int complete_task(struct engine *engine, const char *token, const struct task_outcome *outcome,
                         engine_task_callback callback, void *data)
{
    return change_task(engine, token, CHANGE_TASK_OUTCOME, ACTIVITY_STARTED /* unused */, outcome, callback, data);
}

/* What happened to the activity task waiting on token; outcome carries the worker's name or the error. */
static int change_activity_task(struct engine *engine, const char *token, enum activity_change change,
                                const struct task_outcome *outcome, engine_task_callback callback, void *data)
{
    return change_task(engine, token, CHANGE_ACTIVITY, change, outcome, callback, data);
}

int engine_activity_started(struct engine *engine, const char *token, const char *worker_name,
                            engine_task_callback callback, void *data)
{
    struct task_outcome outcome = { TASK_SUBMITTED, worker_name, NULL, NULL };
    return change_activity_task(engine, token, ACTIVITY_STARTED, &outcome, callback, data);
}

static void on_timer_due(const char *execution_id, void *data)
{
    struct engine *engine = data;
    struct change_operation *operation = calloc(1, sizeof(*operation));
    int result = -ENOMEM;
    if (operation && strlen(execution_id) < sizeof(operation->execution_id)) {
        operation->engine = engine;
        operation->kind = CHANGE_TIMER;
        strcpy(operation->execution_id, execution_id);
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
    struct task_outcome outcome = { TASK_SUCCEEDED, output, NULL, NULL };
    return complete_task(engine, token, &outcome, callback, data);
}

int engine_send_task_failure(struct engine *engine, const char *token, const char *error, const char *cause,
                             engine_task_callback callback, void *data)
{
    struct task_outcome outcome = { TASK_FAILED, NULL, error, cause };
    return complete_task(engine, token, &outcome, callback, data);
}

/* ---- SendTaskHeartbeat ---- */

struct heartbeat_operation {
    engine_task_callback callback;
    void *data;
};

static void on_heartbeat_recorded(int status, void *data)
{
    struct heartbeat_operation *operation = data;
    int result = status == STORE_COMMITTED                                        ? 0
                 : status == STORE_TASK_CLOSED || status == STORE_NO_EXECUTION ? -ETIMEDOUT
                                                                                 : -EIO;
    operation->callback(result, NULL, NULL, operation->data);
    free(operation);
}

int engine_send_task_heartbeat(struct engine *engine, const char *token, engine_task_callback callback, void *data)
{
    char execution_id[TASK_TOKEN_EXECUTION_ID_SIZE];
    if (task_token_parse(token, execution_id) < 0)
        return -EINVAL;
    if (!redis_client_connected(engine->redis))
        return -ENOTCONN;
    struct heartbeat_operation *operation = malloc(sizeof(*operation));
    if (!operation)
        return -ENOMEM;
    operation->callback = callback;
    operation->data = data;
    int result = execution_store_heartbeat(engine->redis, execution_id, token, wall_clock_now_ms(),
                                           on_heartbeat_recorded, operation);
    if (result < 0)
        free(operation);
    return result;
}
