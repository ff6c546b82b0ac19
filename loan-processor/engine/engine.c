/* engine - see engine.h. */
#include "engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activities.h"
#include "activity_arn.h"
#include "definition.h"
#include "definition_cache.h"
#include "execution_store.h"
#include "execution_timers.h"
#include "interpreter.h"
#include "json_util.h"
#include "log.h"
#include "random_id.h"
#include "sfn_arn.h"
#include "state_machine_store.h"
#include "task_token.h"
#include "wall_clock.h"

/*
 * A change that keeps losing compare-and-set races to other changes of the
 * same execution is given up after this many tries (reported as -EBUSY).
 */
#define MAX_COMMIT_ATTEMPTS 8
/* Parsed definitions kept while unused (a few KB each; a deployment runs a handful of machines). */
#define MAX_CACHED_DEFINITIONS 32
/* A shipped definition whose registration failed (Redis away or slow) is tried again after this long. */
#define REGISTRATION_RETRY_MS 1000
/* State machine names are 1 to 80 characters. */
#define MACHINE_NAME_SIZE 81

/* A definition file of STATE_MACHINES_DIR, to be registered in Redis once it is connected. */
struct shipped_machine {
    struct shipped_machine *next;
    struct engine *engine;
    char name[MACHINE_NAME_SIZE];
    char *definition;
    char hash[DEFINITION_HASH_SIZE];
    bool registered;              /* once: the engine is ready when all are */
    bool checked;                 /* since the last (re)connection to Redis */
    bool in_flight;
};

struct engine {
    struct event_loop *loop;
    struct redis_client *redis;
    struct execution_timers *timers;
    struct engine_config config;
    struct definition_cache definitions;
    struct shipped_machine *shipped;
    struct event_timer registration_timer;
    bool stopped;
};

/* ---- names ---- */

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

/*
 * The name of the state machine state_machine_arn names in this engine's
 * region and account (into out), or -ENOENT: an ARN of another region or
 * account, or a qualified one, names nothing here.
 */
static int machine_name_from_arn(const struct engine *engine, const char *state_machine_arn, char *out,
                                 size_t size)
{
    struct sfn_arn parsed;
    char expected[2 * SFN_ARN_PART_SIZE], error[2 * SFN_ARN_PART_SIZE];
    if (sfn_arn_parse(state_machine_arn, SFN_ARN_STATE_MACHINE, &parsed, error, sizeof(error)) < 0
        || strlen(parsed.state_machine) >= size)
        return -ENOENT;
    strcpy(out, parsed.state_machine);
    engine_state_machine_arn(engine, out, expected, sizeof(expected));
    return strcmp(expected, state_machine_arn) == 0 ? 0 : -ENOENT;
}

/* ---- creating and updating state machines: the API and the shipped files alike ---- */

struct machine_operation {
    engine_machine_callback callback;
    void *data;
    char arn[SFN_ARN_PART_SIZE];
};

static void on_machine_created(int status, int64_t creation_ms, void *data)
{
    struct machine_operation *operation = data;
    int result = status == STATE_MACHINE_CREATED || status == STATE_MACHINE_UNCHANGED ? 0
                 : status == STATE_MACHINE_CONFLICT                                 ? -EEXIST
                                                                                    : -EIO;
    if (status == STATE_MACHINE_CREATED)
        log_event(LOG_INFO, "state-machine-created", "State machine %s created", operation->arn);
    operation->callback(result, operation->arn, NULL, creation_ms, operation->data);
    free(operation);
}

static void on_machine_updated(int status, const char *revision_id, int64_t update_ms, void *data)
{
    struct machine_operation *operation = data;
    if (status == 0)
        log_event(LOG_INFO, "state-machine-updated", "State machine %s updated to revision %s", operation->arn,
                  revision_id);
    operation->callback(status, operation->arn, revision_id, update_ms, operation->data);
    free(operation);
}

/* A new operation answering callback, for the machine called name. */
static struct machine_operation *new_machine_operation(const struct engine *engine, const char *name,
                                                       engine_machine_callback callback, void *data)
{
    struct machine_operation *operation = calloc(1, sizeof(*operation));
    if (operation) {
        operation->callback = callback;
        operation->data = data;
        engine_state_machine_arn(engine, name, operation->arn, sizeof(operation->arn));
    }
    return operation;
}

int engine_create_state_machine(struct engine *engine, const struct engine_machine_spec *spec, char *error,
                                size_t error_size, engine_machine_callback callback, void *data)
{
    char hash[DEFINITION_HASH_SIZE];
    int result = definition_check(spec->definition, spec->type, NULL, error, error_size);
    if (result < 0)
        return result;
    struct machine_operation *operation = new_machine_operation(engine, spec->name, callback, data);
    if (!operation)
        return -ENOMEM;
    definition_hash(spec->definition, hash);
    struct state_machine_fields fields = {
        .name = spec->name,
        .arn = operation->arn,
        .definition = spec->definition,
        .definition_hash = hash,
        .role_arn = spec->role_arn,
        .type = definition_type_name(spec->type),
        .logging = spec->logging ? spec->logging : ENGINE_DEFAULT_LOGGING,
        .tracing = spec->tracing ? spec->tracing : ENGINE_DEFAULT_TRACING,
        .now_ms = wall_clock_now_ms(),
    };
    result = state_machine_store_create(engine->redis, &fields, on_machine_created, operation);
    if (result < 0)
        free(operation);
    return result;
}

int engine_update_state_machine(struct engine *engine, const char *name, enum machine_type type,
                                const struct engine_machine_change *change, char *error, size_t error_size,
                                engine_machine_callback callback, void *data)
{
    char hash[DEFINITION_HASH_SIZE] = "";
    if (change->definition) {
        int result = definition_check(change->definition, type, NULL, error, error_size);
        if (result < 0)
            return result;
        definition_hash(change->definition, hash);
    }
    struct machine_operation *operation = new_machine_operation(engine, name, callback, data);
    if (!operation)
        return -ENOMEM;
    struct state_machine_fields fields = {
        .name = name,
        .definition = change->definition,
        .definition_hash = change->definition ? hash : NULL,
        .role_arn = change->role_arn,
        .logging = change->logging,
        .tracing = change->tracing,
        .now_ms = wall_clock_now_ms(),
    };
    int result = state_machine_store_update(engine->redis, &fields, on_machine_updated, operation);
    if (result < 0)
        free(operation);
    return result;
}

/*
 * ---- the shipped definitions ----
 *
 * Each file of STATE_MACHINES_DIR becomes a state machine through the same
 * create and update as the API's: created when missing, its definition
 * updated when it differs, nothing when it is the same (so several
 * loan-processors starting together agree). Until all are registered the
 * engine is not ready; a failed attempt is tried again a second later.
 * After each reconnection a registered file is only created again if its
 * machine is missing (a Redis that lost its data), so that an update made
 * through the API meanwhile is not undone.
 */

static void on_registration_timer(struct event_timer *timer);

/* Tries again later; while Redis is away its return starts the next attempt instead. */
static void schedule_registration(struct engine *engine)
{
    if (!engine->stopped && redis_client_connected(engine->redis))
        event_loop_timer_start(engine->loop, &engine->registration_timer, REGISTRATION_RETRY_MS,
                               on_registration_timer, engine);
}

static void finish_registration(struct shipped_machine *shipped, int status, const char *arn)
{
    shipped->in_flight = false;
    if (status == 0) {
        if (!shipped->registered)
            log_event(LOG_INFO, "state-machine-registered", "%s registered from STATE_MACHINES_DIR", arn);
        shipped->registered = true;
        shipped->checked = true;
    } else {
        schedule_registration(shipped->engine);
    }
}

static void on_shipped_stored(int status, const char *arn, const char *revision_id, int64_t date_ms, void *data)
{
    (void)revision_id;
    (void)date_ms;
    /* -EEXIST (created elsewhere meanwhile) or -ENOENT (deleted meanwhile): the next attempt looks again. */
    finish_registration(data, status, arn);
}

/* Creates the shipped machine, or updates its definition when record (the stored one) differs. */
static int store_shipped(struct shipped_machine *shipped, const struct state_machine_record *record, char *error,
                         size_t error_size)
{
    struct engine *engine = shipped->engine;
    char role_arn[SFN_ARN_PART_SIZE];
    enum machine_type type = MACHINE_STANDARD;
    if (!record) {
        snprintf(role_arn, sizeof(role_arn), "arn:aws:iam::%s:role/%sRole", engine->config.account, shipped->name);
        struct engine_machine_spec spec = { .name = shipped->name, .definition = shipped->definition,
                                            .role_arn = role_arn, .type = MACHINE_STANDARD };
        return engine_create_state_machine(engine, &spec, error, error_size, on_shipped_stored, shipped);
    }
    struct engine_machine_change change = { .definition = shipped->definition };
    if (definition_type_from_name(record->type, &type) < 0)
        type = MACHINE_STANDARD;
    return engine_update_state_machine(engine, shipped->name, type, &change, error, error_size, on_shipped_stored,
                                       shipped);
}

static void on_shipped_loaded(int status, struct state_machine_record *record, void *data)
{
    struct shipped_machine *shipped = data;
    char arn[SFN_ARN_PART_SIZE], error[1024];
    int result = status;
    engine_state_machine_arn(shipped->engine, shipped->name, arn, sizeof(arn));
    bool current = record && (shipped->registered || strcmp(record->definition_hash, shipped->hash) == 0);
    if (result == 0 && !current) {
        result = store_shipped(shipped, record, error, sizeof(error));
        if (result == 0) {
            state_machine_store_record_free(record);
            return;
        }
    }
    if (result == -EINVAL) {
        /* Only an EXPRESS machine of that name made through the API can refuse the file: retrying cannot help. */
        log_event(LOG_ERROR, "state-machine-not-registered", "%s: %s", arn, error);
        result = 0;
    }
    state_machine_store_record_free(record);
    finish_registration(shipped, result, arn);
}

static void register_shipped(struct engine *engine)
{
    for (struct shipped_machine *shipped = engine->shipped; shipped; shipped = shipped->next) {
        if (shipped->checked || shipped->in_flight)
            continue;
        shipped->in_flight = true;
        if (state_machine_store_load(engine->redis, shipped->name, false, on_shipped_loaded, shipped) < 0) {
            shipped->in_flight = false;
            schedule_registration(engine);
        }
    }
}

static void on_registration_timer(struct event_timer *timer)
{
    register_shipped(timer->data);
}

int engine_register_state_machine(struct engine *engine, const char *name, const char *definition, char *error,
                                  size_t error_size)
{
    size_t name_length = strlen(name);
    if (name_length == 0 || name_length >= MACHINE_NAME_SIZE) {
        snprintf(error, error_size, "a state machine name must be 1 to %d characters", MACHINE_NAME_SIZE - 1);
        return -EINVAL;
    }
    int result = definition_check(definition, MACHINE_STANDARD, NULL, error, error_size);
    if (result < 0)
        return result;
    struct shipped_machine *shipped = calloc(1, sizeof(*shipped));
    if (!shipped || !(shipped->definition = strdup(definition))) {
        free(shipped);
        return -ENOMEM;
    }
    shipped->engine = engine;
    memcpy(shipped->name, name, name_length + 1);
    definition_hash(definition, shipped->hash);
    shipped->next = engine->shipped;
    engine->shipped = shipped;
    if (redis_client_connected(engine->redis))
        register_shipped(engine);
    return 0;
}

bool engine_ready(const struct engine *engine)
{
    for (const struct shipped_machine *shipped = engine->shipped; shipped; shipped = shipped->next) {
        if (!shipped->registered)
            return false;
    }
    return true;
}

static void on_redis_change(bool connected, void *data)
{
    struct engine *engine = data;
    if (!connected)
        return;
    for (struct shipped_machine *shipped = engine->shipped; shipped; shipped = shipped->next)
        shipped->checked = false;
    register_shipped(engine);
    execution_timers_wake(engine->timers); /* timers that fell due while Redis or this process was away */
}

/* ---- the engine ---- */

static void on_timer_due(const char *execution_id, void *data);

int engine_create(struct event_loop *loop, struct redis_client *redis, const struct engine_config *config,
                  struct engine **engine_out)
{
    struct engine *engine = calloc(1, sizeof(*engine));
    if (!engine)
        return -ENOMEM;
    engine->loop = loop;
    engine->redis = redis;
    engine->config = *config;
    definition_cache_init(&engine->definitions, MAX_CACHED_DEFINITIONS);
    int result = execution_store_init(redis);
    if (result == 0)
        result = state_machine_store_init(redis);
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
    if (!engine)
        return;
    engine->stopped = true;
    event_loop_timer_stop(engine->loop, &engine->registration_timer);
    execution_timers_stop(engine->timers);
}

void engine_destroy(struct engine *engine)
{
    if (!engine)
        return;
    execution_timers_destroy(engine->timers);
    definition_cache_clear(&engine->definitions);
    while (engine->shipped) {
        struct shipped_machine *shipped = engine->shipped;
        engine->shipped = shipped->next;
        free(shipped->definition);
        free(shipped);
    }
    free(engine);
}

/* ---- turning a step into stored fields ---- */

/* Fields of a record that describe where a running execution rests; all go when it ends. */
static const char *const resting_fields[] = { "state", "stateEnteredEventId", "stateEnteredDate", "stateInput",
                                              "resting", "retryCounts", "taskToken", "taskResource", "timerDue",
                                              "taskTimeoutDate", "heartbeatDate", "heartbeatIntervalMs",
                                              "taskStartDue", "taskParameters" };
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
    char task_start_due[24];
    char *task_parameters;          /* owned: the new task's Parameters as JSON text */
    int64_t timer_due_ms;           /* 0: the step sets no timer */
};

/* Frees what the fields own and empties them. */
static void step_fields_reset(struct step_fields *fields)
{
    cJSON_free(fields->task_parameters);
    memset(fields, 0, sizeof(*fields));
}

/* The earlier of two deadlines, where 0 means "none". */
static int64_t earliest(int64_t a, int64_t b)
{
    return !a || (b && b < a) ? b : a;
}

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

/*
 * A task just scheduled is started by this process after the commit. Until
 * its start is confirmed (it was submitted, answered or queued), the record
 * holds its Parameters and a start lease; if the lease runs out first - this
 * process died in between - the timer starts the task again elsewhere.
 */
static void describe_start_lease(const struct engine *engine, const struct interpreter_step *step,
                                 struct step_fields *fields)
{
    int64_t start_due = step->history.timestamp_ms + engine->config.task_start_lease_ms;
    fields->timer_due_ms = earliest(fields->timer_due_ms, start_due);
    field_set_ms(fields, "taskStartDue", fields->task_start_due, sizeof(fields->task_start_due), start_due);
    fields->task_parameters = cJSON_PrintUnformatted(step->task.parameters);
    field_set(fields, "taskParameters", fields->task_parameters); /* out of memory: only the timeouts close it */
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
        fields->timer_due_ms = earliest(timeout, heartbeat);
        if (step->has_task)
            describe_start_lease(engine, step, fields);
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
    step_fields_reset(fields);
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
    if (random_id_fill(&bits, sizeof(bits)) < 0)
        return 0.5; /* no randomness to be had: the middle of the range */
    return (double)bits / 4294967296.0;
}

/* ---- running tasks ---- */

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

/* The run of a task being started; NULL when out of memory. */
static struct task_run *task_run_create(struct engine *engine, const struct task_request *task,
                                        const char *execution_arn)
{
    struct task_run *run = calloc(1, sizeof(*run));
    if (!run)
        return NULL;
    run->engine = engine;
    run->token = strdup(task->token);
    run->execution_arn = strdup(execution_arn);
    run->activity_arn = task->is_activity ? strdup(task->resource_arn) : NULL;
    if (!run->token || !run->execution_arn || (task->is_activity && !run->activity_arn)) {
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
    ACTIVITY_QUEUED,            /* it is in its activity's queue: its start is confirmed */
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
        log_event(LOG_ERROR, "task-outcome-lost", "could not record %s (%s)", what,
                  status == -EBUSY ? "other changes of the execution kept winning the compare-and-set"
                                   : "Redis gave no answer");
    free(what);
}

static void on_task_outcome(const struct task_outcome *outcome, void *data)
{
    struct task_run *run = data;
    static const char *const names[] = { "the task submission", "the task result", "the task failure" };
    if (outcome->kind == TASK_NOT_STARTED) {
        log_event(LOG_WARN, "task-not-started", "The task of %s could not be started (%s); it is started again when "
                  "its start lease runs out", run->execution_arn, outcome->cause);
        task_run_free(run);
        return;
    }
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

/* The task of run is in its activity's queue: confirms its start, so that its start lease lets go. */
static void confirm_activity_task_queued(struct task_run *run)
{
    struct task_outcome outcome = { TASK_SUBMITTED, NULL, NULL, NULL };
    char *what = strdup("the queueing of the activity task");
    int result = what ? change_activity_task(run->engine, run->token, ACTIVITY_QUEUED, &outcome,
                                             on_internal_outcome_done, what)
                      : -ENOMEM;
    if (result < 0) {
        log_event(LOG_WARN, "task-start-unconfirmed", "could not confirm that the task of %s was queued (%s); it is "
                  "queued again when its start lease runs out", run->execution_arn, strerror(-result));
        free(what);
    }
}

static void on_activity_task_queued(int status, void *data)
{
    struct task_run *run = data;
    if (status == 0) {
        log_event(LOG_INFO, "activity-task-queued", "The task of %s waits for a worker of %s", run->execution_arn,
                  run->activity_arn);
        confirm_activity_task_queued(run);
    } else if (status == -ENOENT || status == -ENOSPC) {
        report_unqueued_activity_task(run, status);
    } else {
        log_event(LOG_ERROR, "task-not-started", "could not queue the task of %s for %s (Redis gave no answer); it is "
                  "queued again when its start lease runs out", run->execution_arn, run->activity_arn);
    }
    task_run_free(run);
}

/* Hands an activity task to its workers: the queue takes its token and input (the effective input). */
static int queue_activity_task(struct task_run *run, const struct task_request *task)
{
    char *input = cJSON_PrintUnformatted(task->parameters);
    int result = input ? activities_enqueue(run->engine->config.activities, run->activity_arn, run->token, input,
                                            on_activity_task_queued, run)
                       : -ENOMEM;
    cJSON_free(input);
    return result;
}

/* Starts task (runs its integration or queues it for its activity's workers); its outcome is committed later. */
static void start_task(struct engine *engine, const struct task_request *task, const char *execution_arn)
{
    struct task_run *run = task_run_create(engine, task, execution_arn);
    struct task_invocation invocation = {
        .execution_arn = execution_arn,
        .resource_type = task->resource_type,
        .resource = task->resource,
        .parameters = task->parameters,
    };
    int result = !run              ? -ENOMEM
                 : task->is_activity ? queue_activity_task(run, task)
                                     : task_functions_invoke(engine->config.functions, &invocation, on_task_outcome,
                                                             run);
    if (result < 0) {
        log_event(LOG_ERROR, "task-not-started", "could not start the task of %s (%s); it is started again when "
                  "its start lease runs out", execution_arn, strerror(-result));
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
        start_task(engine, &step->task, execution_arn);
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

/*
 * What the check of the activity a step schedules leads to: status 0 (it
 * exists) goes on as it is; -ENOENT keeps the activity's ARN in *missing and
 * computes the step again with recompute(owner), which then fails the
 * execution as AWS does. Returns 0 to commit the step, or a negative code.
 */
static int settle_activity_check(int status, char **missing, struct interpreter_step *step,
                                 int (*recompute)(void *owner), void *owner)
{
    if (status != -ENOENT)
        return status;
    int result = note_missing_activity(missing, step);
    interpreter_step_release(step);
    return result == 0 ? recompute(owner) : result;
}

/* ---- definitions: parsed once, cached by content hash ---- */

typedef void (*definition_pinned_callback)(int status, struct cached_definition *definition, void *data);

struct definition_load {
    struct engine *engine;
    char hash[DEFINITION_HASH_SIZE];
    char owner[SFN_ARN_PART_SIZE];       /* the machine or execution that runs it, for the log */
    definition_pinned_callback callback;
    void *data;
};

static void on_definition_text(int status, const char *text, void *data)
{
    struct definition_load *load = data;
    struct cached_definition *definition = NULL;
    char error[1024];
    if (status == 0 && !text)
        log_event(LOG_ERROR, "definition-missing", "the definition %s that %s runs is not in Redis", load->hash,
                  load->owner);
    if (status == 0 && text) {
        status = definition_cache_add(&load->engine->definitions, load->hash, text, &definition, error,
                                      sizeof(error));
        if (status == -EINVAL)
            log_event(LOG_ERROR, "definition-invalid", "the definition %s of %s does not parse: %s", load->hash,
                      load->owner, error);
    }
    load->callback(status == 0 && definition ? 0 : -EIO, definition, load->data);
    free(load);
}

/*
 * Pins the parsed definition whose content hash is hash (owner names who
 * runs it, for the log): from the cache at once (returns 1, *definition
 * set), or loaded from Redis and parsed (returns 0; callback follows with
 * it, or -EIO). Returns a negative code, and never calls back, on failure.
 */
static int pin_definition(struct engine *engine, const char *hash, const char *owner,
                          struct cached_definition **definition, definition_pinned_callback callback, void *data)
{
    *definition = definition_cache_acquire(&engine->definitions, hash);
    if (*definition)
        return 1;
    struct definition_load *load = calloc(1, sizeof(*load));
    if (!load)
        return -ENOMEM;
    load->engine = engine;
    load->callback = callback;
    load->data = data;
    snprintf(load->hash, sizeof(load->hash), "%s", hash);
    snprintf(load->owner, sizeof(load->owner), "%s", owner);
    int result = state_machine_store_load_definition(engine->redis, hash, on_definition_text, load);
    if (result < 0)
        free(load);
    return result < 0 ? result : 0;
}

/* ---- StartExecution ---- */

struct start_operation {
    struct engine *engine;
    engine_start_callback callback;
    void *data;
    char execution_arn[512];
    char execution_id[TASK_TOKEN_EXECUTION_ID_SIZE];
    char *name;
    char *input;
    int64_t start_ms;
    struct state_machine_record *machine;      /* as loaded from Redis */
    struct cached_definition *definition;      /* pinned while the operation lives */
    char *missing_activity;                    /* an activity the first step scheduled and found missing */
    struct interpreter_step step;
    struct step_fields fields;
};

static void start_operation_free(struct start_operation *operation)
{
    interpreter_step_release(&operation->step);
    step_fields_reset(&operation->fields);
    definition_cache_release(&operation->engine->definitions, operation->definition);
    state_machine_store_record_free(operation->machine);
    free(operation->name);
    free(operation->input);
    free(operation->missing_activity);
    free(operation);
}

/* Reports how a start ended (status 0, -EEXIST, -ENOENT or -EIO) and frees the operation. */
static void finish_start(struct start_operation *operation, int status, int64_t start_ms)
{
    operation->callback(status, operation->execution_arn, start_ms, operation->data);
    start_operation_free(operation);
}

static void on_execution_created(int status, struct execution_record *existing, void *data)
{
    struct start_operation *operation = data;
    if (status == 1) {
        log_event(LOG_INFO, "execution-started", "Execution %s started with input %s", operation->execution_arn,
                  operation->input);
        operation->callback(0, operation->execution_arn, operation->start_ms, operation->data);
        after_commit(operation->engine, &operation->step, &operation->fields, operation->execution_arn);
        start_operation_free(operation);
    } else if (status == 0) {
        /* Same name: AWS answers with the original execution if it runs with the same input. */
        bool same = existing && existing->status && strcmp(existing->status, "RUNNING") == 0 && existing->input
                    && strcmp(existing->input, operation->input) == 0;
        finish_start(operation, same ? 0 : -EEXIST, existing ? existing->start_ms : 0);
    } else {
        finish_start(operation, -EIO, 0);
    }
    execution_store_record_free(existing);
}

/* Computes the execution's first step. Returns 0 or -ENOMEM. */
static int interpret_start(struct start_operation *operation)
{
    const struct state_machine_record *machine = operation->machine;
    char *token = NULL;
    int result = task_token_create(operation->execution_id, &token);
    if (result < 0)
        return result;
    struct execution_facts facts = {
        .execution_arn = operation->execution_arn,
        .execution_name = operation->name,
        .state_machine_arn = machine->arn,
        .state_machine_name = machine->name,
        .role_arn = machine->role_arn,
        .region = operation->engine->config.region,
        .start_ms = operation->start_ms,
        .input = operation->input,
    };
    struct step_environment environment = {
        .now_ms = operation->start_ms,
        .fresh_token = token,
        .jitter = random_fraction(),
        .random_bytes = random_id_fill,
        .missing_activity = operation->missing_activity,
    };
    result = interpreter_start(operation->definition->machine, &facts, &environment, &operation->step);
    free(token);
    return result;
}

/* Creates the execution in Redis from its first step. Same returns as execution_store_create(). */
static int store_execution(struct start_operation *operation)
{
    const struct state_machine_record *machine = operation->machine;
    struct step_fields *fields = &operation->fields;
    char start_ms[24];
    describe_step(operation->engine, &operation->step, fields);
    snprintf(start_ms, sizeof(start_ms), "%lld", (long long)operation->start_ms);
    field_set(fields, "arn", operation->execution_arn);
    field_set(fields, "stateMachineArn", machine->arn);
    field_set(fields, "name", operation->name);
    field_set(fields, "input", operation->input);
    field_set(fields, "roleArn", machine->role_arn);
    field_set(fields, "definitionHash", machine->definition_hash);
    field_set(fields, "startDate", start_ms);
    return execution_store_create(operation->engine->redis, operation->execution_id, fields->set, fields->set_count,
                                  operation->step.history.events, machine->arn, operation->start_ms,
                                  on_execution_created, operation);
}

static int recompute_start(void *operation)
{
    return interpret_start(operation);
}

static void on_start_activity_checked(int status, void *data)
{
    struct start_operation *operation = data;
    int result = settle_activity_check(status, &operation->missing_activity, &operation->step, recompute_start,
                                       operation);
    if (result == 0)
        result = store_execution(operation);
    if (result < 0)
        finish_start(operation, -EIO, 0);
}

/* Runs the machine's first steps (checking an activity they schedule) and creates the execution with them. */
static int create_execution(struct engine *engine, struct start_operation *operation)
{
    int result = interpret_start(operation);
    if (result == 0)
        result = check_scheduled_activity(engine, &operation->step, operation->missing_activity,
                                          on_start_activity_checked, operation);
    return result == 1 ? store_execution(operation) : result;
}

static void on_definition_for_start(int status, struct cached_definition *definition, void *data)
{
    struct start_operation *operation = data;
    operation->definition = definition;
    if (status < 0 || create_execution(operation->engine, operation) < 0)
        finish_start(operation, -EIO, 0);
}

static void on_machine_for_start(int status, struct state_machine_record *machine, void *data)
{
    struct start_operation *operation = data;
    struct engine *engine = operation->engine;
    operation->machine = machine;
    if (status < 0 || !machine) {
        finish_start(operation, status < 0 ? -EIO : -ENOENT, 0);
        return;
    }
    snprintf(operation->execution_id, sizeof(operation->execution_id), "%s:%s", machine->name, operation->name);
    int result = engine_execution_arn(machine->arn, operation->name, operation->execution_arn,
                                      sizeof(operation->execution_arn));
    if (result == 0)
        result = pin_definition(engine, machine->definition_hash, machine->arn, &operation->definition,
                                on_definition_for_start, operation);
    if (result == 1)
        result = create_execution(engine, operation);
    if (result < 0)
        finish_start(operation, -EIO, 0);
}

int engine_start_execution(struct engine *engine, const char *state_machine_arn, const char *name,
                           const char *input, engine_start_callback callback, void *data)
{
    char machine_name[SFN_ARN_PART_SIZE], generated_name[37];
    if (machine_name_from_arn(engine, state_machine_arn, machine_name, sizeof(machine_name)) < 0)
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
    operation->name = strdup(name);
    operation->input = strdup(input);
    int result = operation->name && operation->input
                     ? state_machine_store_load(engine->redis, machine_name, false, on_machine_for_start, operation)
                     : -ENOMEM;
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
enum timer_action {
    TIMER_RESTORE,              /* nothing is due yet: put the timer back as the record says */
    TIMER_TASK_TIMED_OUT,
    TIMER_HEARTBEAT_MISSED,
    TIMER_TASK_START_EXPIRED,   /* the open task's start was not confirmed within its lease: start it again */
    TIMER_ELAPSED,              /* a Wait or a Retry interval ended */
};

struct change_operation {
    struct engine *engine;
    enum change_kind kind;
    enum activity_change activity;  /* CHANGE_ACTIVITY */
    engine_task_callback callback;  /* task outcomes and activity changes */
    void *data;
    char execution_id[TASK_TOKEN_EXECUTION_ID_SIZE];
    char *token;                    /* task outcomes: the token that must still be open */
    struct task_outcome outcome;    /* its strings owned; for ACTIVITY_STARTED, output is the worker's name */
    char *missing_activity;         /* an activity the step scheduled and found missing */
    int attempts;
    struct execution_record *record;
    enum timer_action action;       /* timers: what the loaded record says the timer means */
    struct cached_definition *definition; /* the one the record runs, pinned */
    struct interpreter_step step;
    struct step_fields fields;
};

/* Lets go of what one attempt loaded: the step, the record and the definition's pin. */
static void release_attempt(struct change_operation *operation)
{
    interpreter_step_release(&operation->step);
    step_fields_reset(&operation->fields);
    execution_store_record_free(operation->record);
    operation->record = NULL;
    definition_cache_release(&operation->engine->definitions, operation->definition);
    operation->definition = NULL;
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

/* Reports the end of a change (status 0, -ETIMEDOUT, -EBUSY or -EIO) and frees it. */
static void finish_change(struct change_operation *operation, int status)
{
    const struct execution_record *record = operation->record;
    if (operation->kind == CHANGE_TIMER) {
        if (status == -EIO || status == -EBUSY)
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

/*
 * What follows a commit that did not apply: a lost race is computed again
 * from the reloaded record (up to MAX_COMMIT_ATTEMPTS loads, then -EBUSY), a
 * closed task or a missing execution ends the change with -ETIMEDOUT,
 * anything else with -EIO. Returns false when status says the commit applied.
 */
static bool commit_not_applied(struct change_operation *operation, int status)
{
    if (status == STORE_COMMITTED)
        return false;
    if (status == STORE_CHANGED && operation->attempts < MAX_COMMIT_ATTEMPTS) {
        release_attempt(operation);
        if (load_for_change(operation) < 0)
            finish_change(operation, -EIO);
    } else {
        finish_change(operation, status == STORE_TASK_CLOSED || status == STORE_NO_EXECUTION ? -ETIMEDOUT
                                 : status == STORE_CHANGED                                   ? -EBUSY
                                                                                             : -EIO);
    }
    return true;
}

static void on_change_committed(int status, void *data)
{
    struct change_operation *operation = data;
    if (commit_not_applied(operation, status))
        return;
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
    if (record->task_start_due_ms && now_ms >= record->task_start_due_ms)
        return TIMER_TASK_START_EXPIRED;
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
    const struct task_outcome *outcome = &operation->outcome;
    char *fresh_token = NULL;
    int result = task_token_create(operation->execution_id, &fresh_token);
    struct step_environment environment = {
        .now_ms = wall_clock_now_ms(),
        .fresh_token = fresh_token,
        .jitter = random_fraction(),
        .random_bytes = random_id_fill,
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
 * Fields that confirm the open task's start (see describe_start_lease): its
 * lease and Parameters go, and unless the change set the timer itself it
 * falls back to the task's own deadlines.
 */
static void confirm_start(const struct execution_record *record, struct step_fields *fields)
{
    if (!record->task_start_due_ms)
        return;
    fields->deletes[fields->delete_count++] = "taskStartDue";
    fields->deletes[fields->delete_count++] = "taskParameters";
    if (fields->timer_due_ms)
        return;
    fields->timer_due_ms = earliest(record->task_timeout_ms, record->heartbeat_due_ms);
    if (fields->timer_due_ms)
        field_set_ms(fields, "timerDue", fields->timer_due, sizeof(fields->timer_due), fields->timer_due_ms);
    else
        fields->deletes[fields->delete_count++] = "timerDue";
}

/* Fields that give the open task's start a new lease, from now_ms. */
static void renew_start_lease(const struct engine *engine, const struct execution_record *record, int64_t now_ms,
                              struct step_fields *fields)
{
    int64_t start_due = now_ms + engine->config.task_start_lease_ms;
    fields->timer_due_ms = earliest(earliest(record->task_timeout_ms, record->heartbeat_due_ms), start_due);
    field_set_ms(fields, "taskStartDue", fields->task_start_due, sizeof(fields->task_start_due), start_due);
    field_set_ms(fields, "timerDue", fields->timer_due, sizeof(fields->timer_due), fields->timer_due_ms);
}

/* Starts the open task of record again, from what the record kept of it. */
static void restart_task(struct engine *engine, const struct execution_record *record)
{
    struct task_request task = {
        .resource_arn = record->task_resource,
        .is_activity = activity_arn_is_activity(record->task_resource),
        .token = record->task_token,
    };
    int result = record->task_parameters
                     ? json_parse(record->task_parameters, strlen(record->task_parameters), &task.parameters)
                     : -EINVAL;
    if (result == 0 && !task.is_activity)
        result = state_machine_split_resource(record->task_resource, task.resource_type, sizeof(task.resource_type),
                                              task.resource, sizeof(task.resource));
    if (result < 0) {
        log_event(LOG_ERROR, "task-not-restarted", "the task of %s cannot be started again (its Parameters were not "
                  "recorded); its timeouts will close it", record->arn);
    } else {
        log_event(LOG_WARN, "task-restarted", "The start of the task of %s (state %s) was not confirmed within its "
                  "lease (its process may have died); starting it again", record->arn, record->state);
        start_task(engine, &task, record->arn);
    }
    cJSON_Delete(task.parameters);
}

static void on_start_lease_committed(int status, void *data)
{
    struct change_operation *operation = data;
    if (commit_not_applied(operation, status))
        return;
    if (operation->kind == CHANGE_TIMER) {
        execution_timers_note_due(operation->engine->timers, operation->fields.timer_due_ms);
        restart_task(operation->engine, operation->record);
    }
    finish_change(operation, 0);
}

/*
 * A change of the open task's start lease alone, with no event: its renewal
 * when it ran out (a timer), or its release when an activity task was
 * queued. Committed on the record's lastEventId and the task's token.
 */
static void change_start_lease(struct change_operation *operation)
{
    const struct execution_record *record = operation->record;
    struct step_fields *fields = &operation->fields;
    step_fields_reset(fields);
    if (operation->kind == CHANGE_TIMER)
        renew_start_lease(operation->engine, record, wall_clock_now_ms(), fields);
    else
        confirm_start(record, fields);
    if (execution_store_commit(operation->engine->redis, operation->execution_id, record->last_event_id,
                               record->task_token, NULL, fields->set, fields->set_count, fields->deletes,
                               fields->delete_count, on_start_lease_committed, operation)
        < 0)
        finish_change(operation, -EIO);
}

/* Whether the change confirms the start of a task whose start is already confirmed (a second start's report). */
static bool confirms_confirmed_start(const struct change_operation *operation)
{
    bool confirms = (operation->kind == CHANGE_TASK_OUTCOME && operation->outcome.kind == TASK_SUBMITTED)
                    || (operation->kind == CHANGE_ACTIVITY && operation->activity == ACTIVITY_QUEUED);
    return confirms && !operation->record->task_start_due_ms;
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
        step_fields_reset(fields);
        snprintf(fields->last_event_id, sizeof(fields->last_event_id), "%ld", operation->step.history.last_event_id);
        field_set(fields, "lastEventId", fields->last_event_id);
        if (operation->kind == CHANGE_ACTIVITY)
            restart_heartbeat(record, operation->step.history.timestamp_ms, fields);
        confirm_start(record, fields);
    } else {
        describe_step(operation->engine, &operation->step, fields);
    }
    return execution_store_commit(operation->engine->redis, operation->execution_id, record->last_event_id,
                                  operation->token, operation->step.history.events, fields->set, fields->set_count,
                                  fields->deletes, fields->delete_count, on_change_committed, operation);
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
    return interpret_change(operation, operation->definition->machine, &facts, &position, operation->action);
}

/* The change failed with result (-EINVAL: it no longer applies, as for a closed task). */
static void abandon_change(struct change_operation *operation, int result)
{
    finish_change(operation, result == -EINVAL ? -ETIMEDOUT : -EIO);
}

static int recompute_change(void *operation)
{
    return interpret_record(operation);
}

static void on_change_activity_checked(int status, void *data)
{
    struct change_operation *operation = data;
    int result = settle_activity_check(status, &operation->missing_activity, &operation->step, recompute_change,
                                       operation);
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
        result = check_scheduled_activity(operation->engine, &operation->step, operation->missing_activity,
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
        finish_change(operation, -EIO);
    else
        interpret_and_commit(operation);
}

/* Pins the definition the record runs (cached, or loaded from Redis), then goes on with the change. */
static void find_definition_for_change(struct change_operation *operation)
{
    const struct execution_record *record = operation->record;
    int result = -EIO;
    if (!record->definition_hash)
        log_event(LOG_ERROR, "definition-missing", "execution %s records no definition", record->arn);
    else
        result = pin_definition(operation->engine, record->definition_hash, record->arn, &operation->definition,
                                on_definition_for_change, operation);
    if (result == 1)
        interpret_and_commit(operation);
    else if (result < 0)
        finish_change(operation, -EIO);
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
    if (confirms_confirmed_start(operation)) {
        finish_change(operation, 0);
        return;
    }
    if (operation->action == TIMER_TASK_START_EXPIRED
        || (operation->kind == CHANGE_ACTIVITY && operation->activity == ACTIVITY_QUEUED)) {
        change_start_lease(operation);
        return;
    }
    find_definition_for_change(operation);
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
    struct step_fields fields;
};

static void stop_operation_free(struct stop_operation *operation)
{
    interpreter_step_release(&operation->step);
    step_fields_reset(&operation->fields);
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
    step->history.previous_event_id = 0;
    cJSON *details = history_details("error", operation->error, "cause", operation->cause, NULL);
    if (!details || history_append(&step->history, "ExecutionAborted", "executionAbortedEventDetails", details) < 0)
        return -ENOMEM;
    describe_step(operation->engine, step, &operation->fields);
    return 0;
}

static int load_for_stop(struct stop_operation *operation);

static void on_stop_committed(int status, void *data)
{
    struct stop_operation *operation = data;
    if (status == STORE_CHANGED && operation->attempts < MAX_COMMIT_ATTEMPTS) {
        interpreter_step_release(&operation->step);
        execution_store_record_free(operation->record);
        operation->record = NULL;
        if (load_for_stop(operation) < 0)
            finish_stop(operation, -EIO, 0);
        return;
    }
    if (status == STORE_COMMITTED) {
        log_step(&operation->step, operation->record->arn);
        finish_stop(operation, 0, operation->step.history.timestamp_ms);
    } else {
        finish_stop(operation, status == STORE_NO_EXECUTION ? -ENOENT : status == STORE_CHANGED ? -EBUSY : -EIO, 0);
    }
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
    int result = describe_abort(operation, wall_clock_now_ms());
    if (result == 0)
        result = execution_store_commit(operation->engine->redis, operation->execution_id, record->last_event_id,
                                        NULL, operation->step.history.events, operation->fields.set,
                                        operation->fields.set_count, operation->fields.deletes,
                                        operation->fields.delete_count, on_stop_committed, operation);
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
    struct stop_operation *operation = calloc(1, sizeof(*operation));
    if (!operation)
        return -ENOMEM;
    operation->engine = engine;
    operation->callback = callback;
    operation->data = data;
    strcpy(operation->execution_id, execution_id);
    operation->error = copy_or_null(error, &failed);
    operation->cause = copy_or_null(cause, &failed);
    int result = failed ? -ENOMEM : load_for_stop(operation);
    if (result < 0)
        stop_operation_free(operation);
    return result;
}
