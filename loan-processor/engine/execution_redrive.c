/*
 * execution_redrive - RedriveExecution (see engine.h).
 *
 * A redrive is one compare-and-set commit on the ended record's
 * lastEventId (an ended record changes only by a redrive, which appends an
 * event, so two racing redrives have one winner): ExecutionRedriven, the
 * status RUNNING again, the redrive count, and the root resting at a
 * `continue` point that enters the failed state with the input it was
 * entered with, its timer due now. The normal timer machinery then runs it:
 * the state is entered again (its retry counts start over), and the states
 * before it are not run again.
 *
 * The failed state is the last top-level state the history shows entered
 * (state names are unique in a whole machine, so a branch's states are
 * never taken for it), with the input of that StateEntered event.
 *
 * A failed Parallel or inline Map rests again at its fork with the outputs
 * its abort kept; a child of it that rested at (or failed with) a fork of
 * its own rests again at that nested fork with that fork's kept outputs,
 * one level deep (docs/api.md, "RedriveExecution").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "history.h"
#include "log.h"
#include "map_run_store.h"
#include "sfn_arn.h"
#include "wall_clock.h"

#define REDRIVABLE_PERIOD_MS (14LL * 24 * 3600 * 1000)
#define MAX_OPEN_MS (365LL * 24 * 3600 * 1000)
#define MAX_REDRIVES 1000
/* AWS: the history must hold fewer than 24,999 events (room for ExecutionRedriven and one more). */
#define MAX_REDRIVE_HISTORY (INTERPRETER_MAX_HISTORY_EVENTS - 1)

enum engine_redrive_status engine_redrive_status(const struct execution_record *record, int64_t now_ms,
                                                 const char **reason)
{
    const char *status = record->status ? record->status : "";
    bool unsuccessful =
        strcmp(status, "FAILED") == 0 || strcmp(status, "TIMED_OUT") == 0 || strcmp(status, "ABORTED") == 0;
    *reason = NULL;
    if (!unsuccessful) {
        *reason = strcmp(status, "SUCCEEDED") == 0 ? "Execution is SUCCEEDED and cannot be redriven"
                                                   : "Execution is RUNNING and cannot be redriven";
        return ENGINE_NOT_REDRIVABLE;
    }
    if (record->parent_execution)
        return ENGINE_REDRIVABLE_BY_MAP_RUN;
    if (record->stop_ms && now_ms - record->stop_ms > REDRIVABLE_PERIOD_MS)
        *reason = "Execution redrivable period exceeded";
    else if (now_ms - record->start_ms > MAX_OPEN_MS)
        *reason = "Execution has exceeded the max execution time";
    else if (record->last_event_id >= MAX_REDRIVE_HISTORY)
        *reason = "Execution history event limit exceeded";
    else if (record->redrive_count >= MAX_REDRIVES)
        *reason = "Execution has been redriven the maximum number of times (1000)";
    return *reason ? ENGINE_NOT_REDRIVABLE : ENGINE_REDRIVABLE;
}

/* An unsuccessful child execution of a distributed Map's Map Run, redriven with its parent. */
struct redrive_child {
    char id[MAP_RUN_ID_SIZE];
    char status[16];
    char *map_index; /* its item's index (decimal text), from its record */
    char *state;     /* the state it enters again, with this input */
    char *state_input;
    char last_text[24]; /* the id of its ExecutionRedriven: its branch's lastEventId */
    struct map_run_redriven_child redriven;
};

/*
 * A child of the redriven fork that rests again at the fork nested in it
 * (a Parallel or inline Map), as the abort that kept its results left it:
 * only that fork's children without a kept result start again.
 */
struct redrive_nested {
    size_t index;                         /* the child's index in the redriven fork */
    char branch[FORK_COMMIT_BRANCH_SIZE]; /* the child's branch id */
    char number[24];                      /* the nested fork's state number */
    const struct state_definition *state; /* NULL: not found in the history (the child runs again whole) */
    long entered;                         /* the id of the nested fork's StateEntered */
    size_t length;                        /* its branches, or its items */
    char *input, *map_index, *map_item, *variables;
    char **names, **values; /* its kept outputs: "<index>" -> output */
    size_t result_count;
};

static void redrive_nested_reset(struct redrive_nested *nested)
{
    for (size_t i = 0; i < nested->result_count; i++) {
        free(nested->names[i]);
        free(nested->values[i]);
    }
    free(nested->names);
    free(nested->values);
    free(nested->input);
    free(nested->map_index);
    free(nested->map_item);
    free(nested->variables);
}

/* A Parallel, inline Map or distributed Map redriven: only its branches or iterations without a kept result run again. */
struct redrive_fork {
    const struct state_definition *state; /* NULL: the failed state is entered again whole */
    size_t length;                        /* its branches, or its items */
    char **inputs;                        /* a Parallel, per branch: its first state's input */
    char **results;                       /* per child: its kept output, or NULL (it runs again) */
    char number[24];
    char (*ids)[FORK_COMMIT_BRANCH_SIZE]; /* per branch */
    char (*indexes)[FORK_COMMIT_NUMBER_SIZE];
    struct execution_record *records; /* per child */
    struct execution_fields *fields;  /* per child */
    struct execution_child *children;
    struct execution_result *kept;
    size_t child_count, kept_count;
    /* a distributed Map: its Map Run, the children it started, those redriven (the first next_child described) */
    char *map_run_arn;
    long map_run_redrives; /* the Map Run's redriveCount after this redrive */
    size_t started;
    struct redrive_child *redriven;
    size_t redriven_count, redriven_capacity, next_child;
    struct map_run_commit writes;
    /* its children that rest again at a fork nested in them (the first next_nested read) */
    struct redrive_nested *nested;
    size_t nested_count, next_nested, kept_capacity;
    char (*running)[FORK_COMMIT_NUMBER_SIZE + 1]; /* a Map's "~<index>" of each child resting at its nested fork */
};

static void redrive_fork_reset(struct redrive_fork *fork)
{
    for (size_t i = 0; i < fork->length; i++) {
        if (fork->inputs)
            free(fork->inputs[i]);
        if (fork->results)
            free(fork->results[i]);
    }
    free(fork->inputs);
    free(fork->results);
    free(fork->ids);
    free(fork->indexes);
    free(fork->records);
    free(fork->fields);
    free(fork->children);
    free(fork->kept);
    for (size_t i = 0; i < fork->redriven_count; i++) {
        free(fork->redriven[i].map_index);
        free(fork->redriven[i].state);
        free(fork->redriven[i].state_input);
    }
    free(fork->redriven);
    for (size_t i = 0; i < fork->nested_count; i++)
        redrive_nested_reset(&fork->nested[i]);
    free(fork->nested);
    free(fork->running);
    free(fork->map_run_arn);
    map_run_commit_reset(&fork->writes);
    memset(fork, 0, sizeof(*fork));
}

struct redrive_operation {
    struct engine *engine;
    engine_redrive_callback callback;
    void *data;
    char execution_id[SFN_ARN_PART_SIZE];
    char *client_token;
    int attempts;
    int64_t now_ms;
    struct execution_record *record;
    struct cached_definition *definition;
    char *state;       /* the state entered again */
    char *state_input; /* with this input */
    long entered_id;   /* the id of its last StateEntered (0: none) */
    struct redrive_fork fork;
    char count_text[24];
    struct history_batch batch;
    bool batch_ready;
    char previous[HISTORY_REF_TEXT_SIZE], run_previous[HISTORY_REF_TEXT_SIZE];
    char *body, *run_body; /* ExecutionRedriven, and a distributed Map's MapRunRedriven */
    struct execution_record next;
    struct execution_fields fields;
};

static void redrive_free(struct redrive_operation *operation)
{
    if (operation->definition)
        definition_cache_release(&operation->engine->definitions, operation->definition);
    if (operation->batch_ready)
        history_batch_release(&operation->batch);
    execution_store_record_free(operation->record);
    redrive_fork_reset(&operation->fork);
    free(operation->client_token);
    free(operation->state);
    free(operation->state_input);
    free(operation->body);
    free(operation->run_body);
    free(operation);
}

static void finish(struct redrive_operation *operation, int status, int64_t redrive_ms, const char *reason)
{
    operation->callback(status, redrive_ms, reason, operation->data);
    redrive_free(operation);
}

static int load(struct redrive_operation *operation);

/* Drops what an attempt computed, for another from a fresh load. */
static void reset_attempt(struct redrive_operation *operation)
{
    if (operation->definition)
        definition_cache_release(&operation->engine->definitions, operation->definition);
    operation->definition = NULL;
    if (operation->batch_ready)
        history_batch_release(&operation->batch);
    operation->batch_ready = false;
    execution_store_record_free(operation->record);
    operation->record = NULL;
    redrive_fork_reset(&operation->fork);
    free(operation->state);
    free(operation->state_input);
    free(operation->body);
    free(operation->run_body);
    operation->state = operation->state_input = operation->body = operation->run_body = NULL;
}

static void on_redrive_committed(int status, enum execution_commit_outcome outcome, long first_event_id, void *data)
{
    struct redrive_operation *operation = data;
    (void)first_event_id;
    if (status == 0 && outcome == EXECUTION_CHANGED && operation->attempts < ENGINE_MAX_COMMIT_ATTEMPTS) {
        reset_attempt(operation);
        if (load(operation) < 0)
            finish(operation, -EIO, 0, NULL);
        return;
    }
    if (status < 0 || outcome != EXECUTION_COMMITTED) {
        finish(operation,
               status < 0                     ? status
               : outcome == EXECUTION_MISSING ? -ENOENT
               : outcome == EXECUTION_CHANGED ? -EBUSY
                                              : -EIO,
               0, NULL);
        return;
    }
    log_event(LOG_INFO, "execution-redriven", "execution %s redriven (%ld) at state %s", operation->record->arn,
              operation->next.redrive_count, operation->state);
    execution_timers_note_due(operation->engine->timers, operation->now_ms);
    finish(operation, 0, operation->now_ms, NULL);
}

/* A distributed Map's MapRunRedriven event (batch event 1), as the commit takes it. 0 or -ENOMEM. */
static int describe_map_run_event(struct redrive_operation *operation, struct execution_event *event)
{
    cJSON *details = history_details("mapRunArn", operation->fork.map_run_arn, NULL);
    if (!details || !cJSON_AddNumberToObject(details, "redriveCount", (double)operation->fork.map_run_redrives)) {
        cJSON_Delete(details);
        return -ENOMEM;
    }
    if (history_append(&operation->batch, "MapRunRedriven", "mapRunRedrivenEventDetails", details) < 0
        || history_wire_event(&operation->batch, 1, operation->run_previous, &operation->run_body) < 0)
        return -ENOMEM;
    *event = (struct execution_event){ operation->run_previous, operation->run_body };
    return 0;
}

/* The ExecutionRedriven event, as the commit takes it. */
static int describe_event(struct redrive_operation *operation, struct execution_event *event)
{
    cJSON *details = cJSON_CreateObject();
    if (history_batch_init(&operation->batch, operation->record->last_event_id, operation->now_ms) < 0) {
        cJSON_Delete(details);
        return -ENOMEM;
    }
    operation->batch_ready = true;
    if (!details || !cJSON_AddNumberToObject(details, "redriveCount", (double)(operation->record->redrive_count + 1))) {
        cJSON_Delete(details);
        return -ENOMEM;
    }
    if (history_append(&operation->batch, "ExecutionRedriven", "executionRedrivenEventDetails", details) < 0
        || history_wire_event(&operation->batch, 0, operation->previous, &operation->body) < 0)
        return -ENOMEM;
    *event = (struct execution_event){ operation->previous, operation->body };
    return 0;
}

/* The record afterwards: running again, resting before the failed state; its execution clock restarted. */
static void describe_fields(struct redrive_operation *operation)
{
    struct execution_record *next = &operation->next;
    memset(next, 0, sizeof(*next));
    next->status = "RUNNING";
    next->state = operation->state;
    next->state_input = operation->state_input;
    next->state_entered_ms = operation->now_ms;
    next->resting = (char *)interpreter_resting_name(RESTING_CONTINUE);
    next->timer_due_ms = operation->now_ms;
    next->execution_timeout_ms =
        step_record_execution_deadline(operation->engine, operation->definition->machine, operation->now_ms);
    next->redrive_count = operation->record->redrive_count + 1;
    next->redrive_ms = operation->now_ms;
    next->redrive_token = operation->client_token;
    if (operation->fork.state) { /* resting at the fork while its children without a result run */
        next->resting = (char *)interpreter_resting_name(RESTING_FORK);
        next->state_entered_event_id = operation->entered_id;
        next->fork_state = operation->fork.number;
        next->fork_length = (long)operation->fork.length;
        next->fork_running = (long)operation->fork.child_count;
        /* a Parallel's branches are started here; a Map's continuation, due now, starts its iterations
           without a result in index order within its MaxConcurrency, as the fork's first visit did */
        next->fork_started = operation->fork.state->type == STATE_PARALLEL ? next->fork_length : 0;
        if (operation->fork.map_run_arn) { /* its Map Run's children redriven here; the continuation starts the rest */
            next->fork_started = (long)operation->fork.started;
            next->map_run_arn = operation->fork.map_run_arn;
        }
        if (operation->fork.state->type == STATE_PARALLEL)
            next->timer_due_ms = 0;
    }
    execution_record_fields(next,
                            EXECUTION_FIELD_STATUS | EXECUTION_FIELD_OUTPUT | EXECUTION_FIELD_ERROR
                                | EXECUTION_FIELD_CAUSE | EXECUTION_FIELD_STOP | EXECUTION_FIELDS_RESTING
                                | EXECUTION_FIELD_EXECUTION_TIMEOUT,
                            &operation->fields);
    execution_record_branch_fields(next, EXECUTION_BRANCH_FIELDS_FORK | EXECUTION_BRANCH_FIELDS_REDRIVE,
                                   &operation->fields);
}

static int commit(struct redrive_operation *operation)
{
    struct execution_event event[2];
    int result = describe_event(operation, &event[0]);
    if (result == 0 && operation->fork.map_run_arn)
        result = describe_map_run_event(operation, &event[1]);
    if (result < 0)
        return result;
    describe_fields(operation);
    struct execution_events events = { .items = event, .count = operation->fork.map_run_arn ? 2 : 1 };
    if (!operation->fork.state)
        return execution_store_commit(operation->engine->redis, operation->execution_id,
                                      operation->record->last_event_id, NULL, &events, &operation->fields,
                                      on_redrive_committed, operation);
    struct execution_branch_commit branch_commit = {
        .branch_id = "",
        .expected_last_event_id = operation->record->last_event_id,
        .events = &events,
        .fields = &operation->fields,
        .children = operation->fork.children,
        .child_count = operation->fork.child_count,
        .now_ms = operation->now_ms,
        .results = operation->fork.kept,
        .result_count = operation->fork.kept_count,
        .writes = operation->fork.writes.writes,
        .write_count = operation->fork.writes.count,
    };
    return execution_store_commit_branch(operation->engine->redis, operation->execution_id, &branch_commit,
                                         on_redrive_committed, operation);
}

/* Whether an event's text may be a StateEntered (a cheap look before parsing it). */
static bool may_be_state_entered(const char *text)
{
    return strstr(text, "StateEntered\"") != NULL;
}

/*
 * Parses a history event (JSON text) with its stateEnteredEventDetails'
 * name and input (NULL when absent, or when the text is not JSON). Returns
 * the parsed event, which the caller frees with cJSON_Delete (NULL too).
 */
static cJSON *parse_state_entered(const char *text, const char **name, const char **input)
{
    cJSON *event = cJSON_Parse(text);
    const cJSON *details = cJSON_GetObjectItemCaseSensitive(event, "stateEnteredEventDetails");
    *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(details, "name"));
    *input = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(details, "input"));
    return event;
}

/*
 * The last top-level state the history shows entered, and its input
 * (copies into the operation); the machine's StartAt and the execution's
 * input when none was. 0 or -ENOMEM.
 */
static int find_failed_state(struct redrive_operation *operation, const char *const *events, size_t count)
{
    const struct state_machine *machine = operation->definition->machine;
    for (size_t i = count; i-- > 0;) {
        if (!may_be_state_entered(events[i]))
            continue;
        const char *name, *input;
        cJSON *event = parse_state_entered(events[i], &name, &input);
        if (name && state_machine_find(machine, name)) {
            operation->entered_id = (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(event, "id"));
            operation->state = strdup(name);
            operation->state_input = strdup(input ? input : "{}");
            cJSON_Delete(event);
            return operation->state && operation->state_input ? 0 : -ENOMEM;
        }
        cJSON_Delete(event);
    }
    operation->state = strdup(machine->start_at);
    operation->state_input = strdup(operation->record->input ? operation->record->input : "{}");
    return operation->state && operation->state_input ? 0 : -ENOMEM;
}

/* The index of the branch of fork whose StartAt is name, or -1. */
static long branch_of_start(const struct state_definition *fork, const char *name)
{
    for (size_t i = 0; i < fork->branch_count; i++)
        if (strcmp(fork->branches[i].start_at, name) == 0)
            return (long)i;
    return -1;
}

/*
 * The input each branch of the failed Parallel started with: the first
 * StateEntered of its StartAt after the Parallel's. Returns 1 when every
 * branch has one, 0 when not (the Parallel is entered again whole), -ENOMEM.
 */
static int find_branch_inputs(struct redrive_operation *operation, const char *const *events, size_t count)
{
    struct redrive_fork *fork = &operation->fork;
    size_t found = 0;
    fork->inputs = calloc(fork->length, sizeof(*fork->inputs));
    if (!fork->inputs)
        return -ENOMEM;
    for (size_t i = (size_t)operation->entered_id; i < count && found < fork->state->branch_count; i++) {
        if (!may_be_state_entered(events[i]))
            continue;
        const char *name, *input;
        cJSON *event = parse_state_entered(events[i], &name, &input);
        long branch = name && input ? branch_of_start(fork->state, name) : -1;
        if (branch >= 0 && !fork->inputs[branch]) {
            fork->inputs[branch] = strdup(input);
            found++;
            if (!fork->inputs[branch]) {
                cJSON_Delete(event);
                return -ENOMEM;
            }
        }
        cJSON_Delete(event);
    }
    return found == fork->state->branch_count;
}

/* A child that runs again: resting before its branch's StartAt with its input, due now. */
static void describe_child(struct redrive_operation *operation, size_t branch, size_t child)
{
    struct redrive_fork *fork = &operation->fork;
    struct execution_record *record = &fork->records[child];
    snprintf(fork->ids[child], sizeof(fork->ids[child]), "%s.%zu", fork->number, branch);
    record->status = "RUNNING";
    record->state = (char *)fork->state->branches[branch].start_at;
    record->state_input = fork->inputs[branch];
    record->resting = (char *)interpreter_resting_name(RESTING_CONTINUE);
    record->timer_due_ms = operation->now_ms;
    record->state_entered_ms = operation->now_ms;
    record->variables = operation->record->variables;
    execution_record_fields(record, EXECUTION_FIELD_STATUS | EXECUTION_FIELDS_RESTING, &fork->fields[child]);
    execution_record_branch_fields(record, EXECUTION_BRANCH_FIELD_VARIABLES, &fork->fields[child]);
    fork->children[child] = (struct execution_child){ fork->ids[child], "@1", &fork->fields[child] };
}

/* A child execution redriven: its branch resting before its failed state, due now, writing its own history. */
static void describe_child_execution(struct redrive_operation *operation, struct redrive_child *redriven, size_t child)
{
    struct redrive_fork *fork = &operation->fork;
    struct execution_record *record = &fork->records[child];
    snprintf(fork->ids[child], sizeof(fork->ids[child]), "%s.%s", fork->number, redriven->map_index);
    record->status = "RUNNING";
    record->state = redriven->state;
    record->state_input = redriven->state_input;
    record->resting = (char *)interpreter_resting_name(RESTING_CONTINUE);
    record->timer_due_ms = operation->now_ms;
    record->state_entered_ms = operation->now_ms;
    record->variables = operation->record->variables;
    record->map_index = redriven->map_index;
    record->child_execution = redriven->id;
    record->history_of = redriven->id;
    execution_record_fields(record, EXECUTION_FIELD_STATUS | EXECUTION_FIELDS_RESTING, &fork->fields[child]);
    execution_record_branch_fields(record,
                                   EXECUTION_BRANCH_FIELD_VARIABLES | EXECUTION_BRANCH_FIELD_MAP_INDEX
                                       | EXECUTION_BRANCH_FIELD_CHILD_EXECUTION | EXECUTION_BRANCH_FIELD_HISTORY_OF,
                                   &fork->fields[child]);
    fork->children[child] = (struct execution_child){ fork->ids[child], redriven->last_text, &fork->fields[child] };
}

/* Whether child index of the fork was noted as resting at a nested fork. */
static bool nested_of_index(const struct redrive_fork *fork, size_t index)
{
    for (size_t i = 0; i < fork->nested_count; i++)
        if (fork->nested[i].index == index)
            return true;
    return false;
}

/* The child index of the fork that rests again at its nested fork, or NULL. */
static struct redrive_nested *nested_of(struct redrive_fork *fork, size_t index)
{
    for (size_t i = 0; i < fork->nested_count; i++)
        if (fork->nested[i].index == index && fork->nested[i].state)
            return &fork->nested[i];
    return NULL;
}

/*
 * A child that rests again at its nested fork (the restored-th): its record
 * as the abort left it, resting at the fork with its counters at zero and
 * its timer due now (the fork's continuation starts only its children
 * without a kept output, as a top-level fork's does), and the nested fork's
 * kept outputs; under a Map, "~<index>" in the Map's results, so that its
 * continuation does not start the iteration again.
 */
static void describe_nested(struct redrive_operation *operation, struct redrive_nested *nested, size_t child,
                            size_t restored)
{
    struct redrive_fork *fork = &operation->fork;
    struct execution_record *record = &fork->records[child];
    unsigned branch_fields = EXECUTION_BRANCH_FIELD_VARIABLES | EXECUTION_BRANCH_FIELD_FORK_STATE
                             | EXECUTION_BRANCH_FIELD_FORK_LENGTH | EXECUTION_BRANCH_FIELD_FORK_STARTED
                             | EXECUTION_BRANCH_FIELD_FORK_RUNNING;
    snprintf(fork->ids[child], sizeof(fork->ids[child]), "%s", nested->branch);
    record->status = "RUNNING";
    record->state = (char *)nested->state->name;
    record->state_input = nested->input;
    record->state_entered_event_id = nested->entered;
    record->state_entered_ms = operation->now_ms;
    record->resting = (char *)interpreter_resting_name(RESTING_FORK);
    record->timer_due_ms = operation->now_ms;
    record->variables = nested->variables ? nested->variables : operation->record->variables;
    record->fork_state = nested->number;
    record->fork_length = (long)nested->length;
    if (nested->map_index) {
        record->map_index = nested->map_index;
        record->map_item = nested->map_item;
        branch_fields |= EXECUTION_BRANCH_FIELDS_ITERATION;
    }
    execution_record_fields(record, EXECUTION_FIELD_STATUS | EXECUTION_FIELDS_RESTING, &fork->fields[child]);
    execution_record_branch_fields(record, branch_fields, &fork->fields[child]);
    fork->children[child] = (struct execution_child){ fork->ids[child], "@1", &fork->fields[child] };
    for (size_t i = 0; i < nested->result_count; i++)
        fork->kept[fork->kept_count++] =
            (struct execution_result){ nested->branch, nested->number, nested->names[i], false, nested->values[i] };
    if (fork->state->type != STATE_MAP)
        return;
    snprintf(fork->running[restored], sizeof(fork->running[restored]), "~%zu", nested->index);
    fork->kept[fork->kept_count++] = (struct execution_result){ "", fork->number, fork->running[restored], false, "1" };
}

/*
 * The children (a Parallel's branches without a result, those resting at
 * a nested fork) and kept results of the fork, from the results an abort
 * kept. 0 or -ENOMEM.
 */
static int describe_fork(struct redrive_operation *operation)
{
    struct redrive_fork *fork = &operation->fork;
    size_t n = fork->length, capacity = n + fork->nested_count;
    for (size_t i = 0; i < fork->nested_count; i++)
        capacity += fork->nested[i].result_count;
    fork->ids = calloc(n, sizeof(*fork->ids));
    fork->indexes = calloc(n, sizeof(*fork->indexes));
    fork->records = calloc(n, sizeof(*fork->records));
    fork->fields = calloc(n, sizeof(*fork->fields));
    fork->children = calloc(n, sizeof(*fork->children));
    fork->kept = calloc(capacity, sizeof(*fork->kept));
    fork->running = calloc(fork->nested_count + 1, sizeof(*fork->running));
    if (!fork->ids || !fork->indexes || !fork->records || !fork->fields || !fork->children || !fork->kept
        || !fork->running)
        return -ENOMEM;
    for (size_t i = 0, restored = 0; i < n; i++) {
        if (!fork->results[i]) {
            struct redrive_nested *nested = nested_of(fork, i);
            if (nested)
                describe_nested(operation, nested, fork->child_count++, restored++);
            else if (fork->state->type == STATE_PARALLEL)
                describe_child(operation, i, fork->child_count++);
            continue;
        }
        snprintf(fork->indexes[i], sizeof(fork->indexes[i]), "%zu", i);
        fork->kept[fork->kept_count++] =
            (struct execution_result){ "", fork->number, fork->indexes[i], false, fork->results[i] };
    }
    for (size_t i = 0; i < fork->redriven_count && fork->child_count < n; i++)
        describe_child_execution(operation, &fork->redriven[i], fork->child_count++);
    return 0;
}

#define NESTED_MARK "#nested:" /* commit_branch.lua spells it too */

/*
 * Notes a child of the fork whose own fork's results were kept (the entry
 * "#nested:<index>" -> that fork's state number). Not a top-level
 * distributed Map's: its child executions are redriven. 0 or -ENOMEM.
 */
static int note_nested(struct redrive_fork *fork, const char *index_text, const char *number)
{
    char *end;
    unsigned long index = strtoul(index_text, &end, 10);
    if (fork->map_run_arn || index_text[0] < '0' || index_text[0] > '9' || *end || index >= fork->length
        || strlen(number) >= sizeof(fork->nested->number) || !number[0]
        || strspn(number, "0123456789") != strlen(number))
        return 0;
    if (!fork->nested && !(fork->nested = calloc(fork->length, sizeof(*fork->nested))))
        return -ENOMEM;
    if (fork->nested_count == fork->length || nested_of_index(fork, index))
        return 0;
    struct redrive_nested *nested = &fork->nested[fork->nested_count++];
    memset(nested, 0, sizeof(*nested));
    nested->index = index;
    snprintf(nested->branch, sizeof(nested->branch), "%zu.%lu", fork->state->number, index);
    strcpy(nested->number, number);
    return 0;
}

/*
 * Keeps the outputs of the children that succeeded in the visit the fork
 * failed in (entries read back from the kept results). Returns 1 when some
 * child runs again, 0 when the kept results are not that visit's or every
 * child has one (the fork is entered again whole), -ENOMEM.
 */
static int take_kept_results(struct redrive_operation *operation, const struct execution_hash_entry *entries,
                             size_t count)
{
    struct redrive_fork *fork = &operation->fork;
    size_t n = fork->length, succeeded = 0;
    bool same_visit = false;
    fork->results = calloc(n, sizeof(*fork->results));
    if (!fork->results)
        return -ENOMEM;
    for (size_t i = 0; i < count; i++) {
        char *end;
        if (strcmp(entries[i].name, "#entered") == 0) {
            same_visit = strtol(entries[i].value, &end, 10) == operation->entered_id;
            continue;
        }
        if (strncmp(entries[i].name, NESTED_MARK, strlen(NESTED_MARK)) == 0) {
            if (note_nested(fork, entries[i].name + strlen(NESTED_MARK), entries[i].value) < 0)
                return -ENOMEM;
            continue;
        }
        unsigned long index = strtoul(entries[i].name, &end, 10);
        if (entries[i].name[0] < '0' || entries[i].name[0] > '9' || *end || index >= n || fork->results[index])
            continue;
        if (!(fork->results[index] = strndup(entries[i].value, entries[i].value_length)))
            return -ENOMEM;
        succeeded++;
    }
    size_t kept = 0; /* a child with a result is not run again: its nested fork neither */
    for (size_t i = 0; i < fork->nested_count; i++) {
        if (fork->results[fork->nested[i].index])
            redrive_nested_reset(&fork->nested[i]);
        else
            fork->nested[kept++] = fork->nested[i];
    }
    fork->nested_count = kept;
    return same_visit && succeeded < n;
}

/* The whole failed state runs again (no branch is kept). */
static int enter_whole(struct redrive_operation *operation)
{
    redrive_fork_reset(&operation->fork);
    return commit(operation);
}

/* The Map Run's writes: it and each redriven child execution running again. 0 or < 0. */
static int describe_map_run(struct redrive_operation *operation)
{
    struct redrive_fork *fork = &operation->fork;
    int result = map_run_commit_redrive(&fork->writes, fork->map_run_arn, operation->now_ms);
    for (size_t i = 0; i < fork->redriven_count && result == 0; i++)
        result = map_run_commit_redrive_child(&fork->writes, fork->map_run_arn, &fork->redriven[i].redriven,
                                              operation->now_ms);
    return result;
}

static void redrive_next_child(struct redrive_operation *operation);

/* Fails the operation for result (< 0). */
static void fail(struct redrive_operation *operation, int result)
{
    finish(operation, result == -ENOMEM ? -ENOMEM : -EIO, 0, NULL);
}

/*
 * The state a child execution enters again: the last state of its
 * iteration's scope its history shows entered, with that input; the
 * scope's StartAt with the child's input when none was. 0 or -ENOMEM.
 */
static int find_child_state(const struct state_scope *scope, const char *const *events, size_t count,
                            const char *child_input, struct redrive_child *child)
{
    for (size_t i = count; i-- > 0;) {
        if (!may_be_state_entered(events[i]))
            continue;
        const char *name, *input;
        cJSON *event = parse_state_entered(events[i], &name, &input);
        if (name && state_machine_scope_find(scope, name)) {
            child->state = strdup(name);
            child->state_input = strdup(input ? input : "{}");
            cJSON_Delete(event);
            return child->state && child->state_input ? 0 : -ENOMEM;
        }
        cJSON_Delete(event);
    }
    child->state = strdup(scope->start_at);
    child->state_input = strdup(child_input ? child_input : "{}");
    return child->state && child->state_input ? 0 : -ENOMEM;
}

struct child_load {
    struct redrive_operation *operation;
    char *input; /* the child execution's input */
};

static void on_child_history(int status, const char *const *events, size_t count, void *data)
{
    struct child_load *load = data;
    struct redrive_operation *operation = load->operation;
    struct redrive_child *child = &operation->fork.redriven[operation->fork.next_child];
    char branch_id[FORK_COMMIT_BRANCH_SIZE];
    snprintf(branch_id, sizeof(branch_id), "%s.%s", operation->fork.number, child->map_index);
    const struct state_scope *scope = state_machine_branch_scope(operation->definition->machine, branch_id);
    int result = status < 0 ? status : !scope ? -EIO : find_child_state(scope, events, count, load->input, child);
    free(load->input);
    free(load);
    if (result < 0) {
        fail(operation, result);
        return;
    }
    child->redriven.last_event_id = (long)count;
    snprintf(child->last_text, sizeof(child->last_text), "%zu", count + 1);
    operation->fork.next_child++;
    redrive_next_child(operation);
}

static void on_child_record(int status, struct execution_record *record, void *data)
{
    struct redrive_operation *operation = data;
    struct redrive_fork *fork = &operation->fork;
    struct redrive_child *child = &fork->redriven[fork->next_child];
    char *end = NULL;
    unsigned long index = record && record->map_index ? strtoul(record->map_index, &end, 10) : 0;
    if (status < 0 || !record || !end || *end || index >= fork->length || fork->results[index]) {
        execution_store_record_free(record); /* a child of an earlier version keeps no index: the Map runs again */
        if (status < 0 || enter_whole(operation) < 0)
            fail(operation, -EIO);
        return;
    }
    struct child_load *load = calloc(1, sizeof(*load));
    child->map_index = strdup(record->map_index);
    child->redriven = (struct map_run_redriven_child){ child->id, child->status, record->redrive_count + 1, 0 };
    if (load) {
        load->operation = operation;
        load->input = record->input ? strdup(record->input) : NULL;
    }
    execution_store_record_free(record);
    if (!load || !child->map_index) {
        free(load);
        fail(operation, -ENOMEM);
        return;
    }
    if (execution_store_read_history(operation->engine->redis, child->id, on_child_history, load) < 0) {
        free(load->input);
        free(load);
        fail(operation, -EIO);
    }
}

/* Loads the next unsuccessful child execution, or commits once every one is described. */
static void redrive_next_child(struct redrive_operation *operation)
{
    struct redrive_fork *fork = &operation->fork;
    int result;
    if (fork->next_child < fork->redriven_count) {
        result = execution_store_load(operation->engine->redis, fork->redriven[fork->next_child].id, on_child_record,
                                      operation);
    } else {
        result = describe_fork(operation);
        if (result == 0)
            result = describe_map_run(operation);
        if (result == 0)
            result = commit(operation);
    }
    if (result < 0)
        fail(operation, result);
}

/* Notes an unsuccessful child execution of the listing. 0 or -ENOMEM. */
static int note_child(struct redrive_fork *fork, const struct execution_summary *item)
{
    const char *id = item->arn ? strstr(item->arn, ":execution:") : NULL;
    if (!id || !item->status || strlen(id + 11) >= MAP_RUN_ID_SIZE || strlen(item->status) >= 16)
        return 0;
    if (fork->redriven_count == fork->redriven_capacity) {
        size_t capacity = fork->redriven_capacity ? fork->redriven_capacity * 2 : 16;
        struct redrive_child *children = realloc(fork->redriven, capacity * sizeof(*children));
        if (!children)
            return -ENOMEM;
        fork->redriven = children;
        fork->redriven_capacity = capacity;
    }
    struct redrive_child *child = &fork->redriven[fork->redriven_count++];
    memset(child, 0, sizeof(*child));
    strcpy(child->id, id + 11);
    strcpy(child->status, item->status);
    return 0;
}

static int list_children(struct redrive_operation *operation, const char *cursor);

static void on_children_listed(int status, const struct execution_summary *items, size_t count, const char *next,
                               void *data)
{
    struct redrive_operation *operation = data;
    int result = status;
    for (size_t i = 0; i < count && result == 0; i++) {
        operation->fork.started++;
        if (!items[i].status || strcmp(items[i].status, "SUCCEEDED") != 0)
            result = note_child(&operation->fork, &items[i]);
    }
    if (result == 0 && next)
        result = list_children(operation, next);
    else if (result == 0)
        redrive_next_child(operation);
    if (result < 0)
        fail(operation, result);
}

/* Lists the Map Run's child executions (a page from cursor; NULL the first). 0 or < 0. */
static int list_children(struct redrive_operation *operation, const char *cursor)
{
    char key[MAP_RUN_STORE_KEY_SIZE];
    const char *run_id = strstr(operation->fork.map_run_arn, ":mapRun:");
    int result = run_id ? map_run_store_executions_key(run_id + 8, key, sizeof(key)) : -EINVAL;
    if (result == 0)
        result = execution_store_list_index(operation->engine->redis, key, cursor, 1000, NULL, on_children_listed,
                                            operation);
    return result;
}

static void on_map_run_for_redrive(int status, struct map_run_record *record, void *data)
{
    struct redrive_operation *operation = data;
    int result = status < 0 ? status : !record ? -EIO : 0;
    if (record)
        operation->fork.map_run_redrives = (long)record->redrive_count + 1;
    map_run_store_record_free(record);
    if (result == 0)
        result = list_children(operation, NULL);
    if (result < 0)
        fail(operation, result);
}

/* A failed distributed Map: its Map Run and its children are redriven. 0 or < 0. */
static int redrive_map_run(struct redrive_operation *operation)
{
    return map_run_store_load(operation->engine->redis, strstr(operation->fork.map_run_arn, ":mapRun:") + 8,
                              on_map_run_for_redrive, operation);
}

static int map_length_after(const char *const *events, size_t count, size_t entered, size_t *length);
static void read_next_nested(struct redrive_operation *operation);

/*
 * The nested fork's visit from the history: its StateEntered (the event
 * the kept results name, after the redriven fork's, of a state of the
 * child's own branch) with its input, and its length. A nested fork not
 * found so is dropped: its child runs again whole. 0 or -ENOMEM.
 */
static int find_nested_visit(struct redrive_operation *operation, struct redrive_nested *nested,
                             const char *const *events, size_t count)
{
    const struct state_definition *state =
        state_machine_state_by_number(operation->definition->machine, strtoul(nested->number, NULL, 10));
    const struct state_scope *scope = state_machine_fork_scope(operation->fork.state, nested->index);
    bool inline_fork =
        state && (state->type == STATE_PARALLEL || (state->type == STATE_MAP && !state->map.distributed));
    if (!inline_fork || !scope || state_machine_scope_find(scope, state->name) != state
        || nested->entered <= operation->entered_id || nested->entered > (long)count)
        return 0;
    const char *name, *input;
    cJSON *event = parse_state_entered(events[nested->entered - 1], &name, &input);
    bool found = name && input && strcmp(name, state->name) == 0
                 && cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(event, "id")) == (double)nested->entered;
    nested->input = found ? strdup(input) : NULL;
    cJSON_Delete(event);
    if (found && !nested->input)
        return -ENOMEM;
    if (found && state->type == STATE_PARALLEL)
        nested->length = state->branch_count;
    else if (found && map_length_after(events, count, (size_t)nested->entered, &nested->length) <= 0)
        found = false;
    nested->state = found ? state : NULL;
    return 0;
}

static void on_history_for_nested(int status, const char *const *events, size_t count, void *data)
{
    struct redrive_operation *operation = data;
    int result = status;
    for (size_t i = 0; i < operation->fork.nested_count && result == 0; i++)
        result = find_nested_visit(operation, &operation->fork.nested[i], events, count);
    if (result == 0)
        result = describe_fork(operation);
    if (result == 0)
        result = commit(operation);
    if (result < 0)
        fail(operation, result);
}

/* Takes the kept results of a nested fork: its visit, its child's record fields, its outputs. 0 or -ENOMEM. */
static int take_nested_results(struct redrive_nested *nested, const struct execution_hash_entry *entries, size_t count)
{
    struct {
        const char *name;
        char **to;
    } fields[] = { { "#mapIndex", &nested->map_index },
                   { "#mapItem", &nested->map_item },
                   { "#variables", &nested->variables } };
    nested->names = calloc(count + 1, sizeof(*nested->names));
    nested->values = calloc(count + 1, sizeof(*nested->values));
    if (!nested->names || !nested->values)
        return -ENOMEM;
    for (size_t i = 0; i < count; i++) {
        const char *name = entries[i].name;
        char **to = NULL;
        if (strcmp(name, "#entered") == 0)
            nested->entered = strtol(entries[i].value, NULL, 10);
        for (size_t f = 0; f < sizeof(fields) / sizeof(*fields); f++)
            if (strcmp(name, fields[f].name) == 0)
                to = fields[f].to;
        if (!to && name[0] >= '0' && name[0] <= '9' && strspn(name, "0123456789") == strlen(name)) {
            nested->names[nested->result_count] = strdup(name);
            to = &nested->values[nested->result_count++];
        }
        if (to && !*to && !(*to = strndup(entries[i].value, entries[i].value_length)))
            return -ENOMEM;
        if (nested->result_count && !nested->names[nested->result_count - 1])
            return -ENOMEM;
    }
    return 0;
}

static void on_nested_kept(int status, const struct execution_hash_entry *entries, size_t count, void *data)
{
    struct redrive_operation *operation = data;
    int result =
        status < 0 ? status : take_nested_results(&operation->fork.nested[operation->fork.next_nested], entries, count);
    if (result < 0) {
        fail(operation, result);
        return;
    }
    operation->fork.next_nested++;
    read_next_nested(operation);
}

/* Reads the next nested fork's kept results, then (all read) the history their visits are found in. */
static void read_next_nested(struct redrive_operation *operation)
{
    struct redrive_fork *fork = &operation->fork;
    int result;
    if (fork->next_nested < fork->nested_count) {
        struct redrive_nested *nested = &fork->nested[fork->next_nested];
        result = execution_store_read_kept_results(operation->engine->redis, operation->execution_id, nested->branch,
                                                   nested->number, on_nested_kept, operation);
    } else {
        result = execution_store_read_history(operation->engine->redis, operation->execution_id, on_history_for_nested,
                                              operation);
    }
    if (result < 0)
        fail(operation, result);
}

static void on_kept_results(int status, const struct execution_hash_entry *entries, size_t count, void *data)
{
    struct redrive_operation *operation = data;
    int result = status < 0 ? status : take_kept_results(operation, entries, count);
    if (result == 1 && operation->fork.map_run_arn) {
        if ((result = redrive_map_run(operation)) < 0)
            fail(operation, result);
        return;
    }
    if (result == 1 && operation->fork.nested_count) {
        read_next_nested(operation);
        return;
    }
    if (result == 1)
        result = describe_fork(operation);
    else if (result == 0)
        result = enter_whole(operation);
    else
        result = result == -ENOMEM ? -ENOMEM : -EIO;
    if (result == 0 && operation->fork.state)
        result = commit(operation);
    if (result < 0)
        finish(operation, result == -ENOMEM ? -ENOMEM : -EIO, 0, NULL);
}

/*
 * The items of the failed Map: the length its MapStateStarted (after its
 * StateEntered) recorded. Returns 1 when found, 0 when not (the Map is
 * entered again whole).
 */
static int find_map_length(struct redrive_operation *operation, const char *const *events, size_t count)
{
    return map_length_after(events, count, (size_t)operation->entered_id, &operation->fork.length);
}

/*
 * The items of the Map entered at event id entered: the length of the first
 * MapStateStarted after it (*length). 1 when found, 0 when not.
 */
static int map_length_after(const char *const *events, size_t count, size_t entered, size_t *length)
{
    for (size_t i = entered; i < count; i++) {
        if (!strstr(events[i], "\"MapStateStarted\""))
            continue;
        cJSON *event = cJSON_Parse(events[i]);
        const cJSON *details = cJSON_GetObjectItemCaseSensitive(event, "mapStateStartedEventDetails");
        double items = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(details, "length"));
        cJSON_Delete(event);
        if (!(items > 0) || items > INTERPRETER_MAX_MAP_ITEMS)
            return 0;
        *length = (size_t)items;
        return 1;
    }
    return 0;
}

/*
 * The Map Run of the failed distributed Map: its MapRunStarted (after its
 * StateEntered). 1 when found (a copy in the operation), 0 when not,
 * -ENOMEM.
 */
static int find_map_run(struct redrive_operation *operation, const char *const *events, size_t count)
{
    for (size_t i = (size_t)operation->entered_id; i < count; i++) {
        if (!strstr(events[i], "\"MapRunStarted\""))
            continue;
        cJSON *event = cJSON_Parse(events[i]);
        const cJSON *details = cJSON_GetObjectItemCaseSensitive(event, "mapRunStartedEventDetails");
        const char *arn = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(details, "mapRunArn"));
        bool valid = arn && strstr(arn, ":mapRun:") && strstr(arn, ":mapRun:")[8];
        operation->fork.map_run_arn = valid ? strdup(arn) : NULL;
        cJSON_Delete(event);
        return !valid ? 0 : operation->fork.map_run_arn ? 1 : -ENOMEM;
    }
    return 0;
}

/*
 * A failed Parallel or inline Map: reads the results its abort kept, to run
 * again only its children without one. 0 or < 0.
 */
static int read_kept_results(struct redrive_operation *operation, const char *const *events, size_t count)
{
    struct redrive_fork *fork = &operation->fork;
    fork->length = fork->state->type == STATE_PARALLEL ? fork->state->branch_count : 0;
    int found = fork->state->type == STATE_PARALLEL ? find_branch_inputs(operation, events, count)
                                                    : find_map_length(operation, events, count);
    if (found > 0 && fork->state->type == STATE_MAP && fork->state->map.distributed) /* batches: entered whole */
        found = fork->state->map.batched ? 0 : find_map_run(operation, events, count);
    if (found <= 0)
        return found < 0 ? found : enter_whole(operation);
    snprintf(fork->number, sizeof(fork->number), "%zu", fork->state->number);
    return execution_store_read_kept_results(operation->engine->redis, operation->execution_id, "", fork->number,
                                             on_kept_results, operation);
}

static void on_history_for_redrive(int status, const char *const *events, size_t count, void *data)
{
    struct redrive_operation *operation = data;
    int result = status < 0 ? status : find_failed_state(operation, events, count);
    const struct state_definition *failed =
        result == 0 ? state_machine_find(operation->definition->machine, operation->state) : NULL;
    bool inline_fork = failed && (failed->type == STATE_PARALLEL || failed->type == STATE_MAP);
    if (inline_fork && operation->entered_id > 0) {
        operation->fork.state = failed;
        result = read_kept_results(operation, events, count);
    } else if (result == 0) {
        result = commit(operation);
    }
    if (result < 0)
        finish(operation, result == -ENOMEM ? -ENOMEM : -EIO, 0, NULL);
}

static void read_history(struct redrive_operation *operation)
{
    int result = execution_store_read_history(operation->engine->redis, operation->execution_id, on_history_for_redrive,
                                              operation);
    if (result < 0)
        finish(operation, -EIO, 0, NULL);
}

static void on_definition_for_redrive(int status, struct cached_definition *definition, void *data)
{
    struct redrive_operation *operation = data;
    operation->definition = definition;
    if (status < 0 || !definition)
        finish(operation, -EIO, 0, NULL);
    else
        read_history(operation);
}

static void pin_definition(struct redrive_operation *operation)
{
    const struct execution_record *record = operation->record;
    int result = -EIO;
    if (record->definition_hash)
        result = engine_pin_definition(operation->engine, record->definition_hash, record->arn, &operation->definition,
                                       on_definition_for_redrive, operation);
    if (result == 1)
        read_history(operation);
    else if (result < 0)
        finish(operation, -EIO, 0, NULL);
}

static void on_machine_for_redrive(int status, struct state_machine_record *machine, void *data)
{
    struct redrive_operation *operation = data;
    bool express = machine && machine->type && strcmp(machine->type, "EXPRESS") == 0;
    state_machine_store_record_free(machine);
    if (status < 0)
        finish(operation, -EIO, 0, NULL);
    else if (express)
        finish(operation, -EPERM, 0, "Execution of an EXPRESS state machine cannot be redriven");
    else
        pin_definition(operation);
}

/* Whether the record was redriven by a request with the same client token (answered again: idempotent). */
static bool same_redrive(const struct redrive_operation *operation, const struct execution_record *record)
{
    return operation->client_token && record->redrive_token && record->redrive_count > 0
           && strcmp(operation->client_token, record->redrive_token) == 0;
}

static void on_record_for_redrive(int status, struct execution_record *record, void *data)
{
    struct redrive_operation *operation = data;
    const char *reason;
    char name[SFN_ARN_PART_SIZE];
    operation->record = record;
    operation->attempts++;
    operation->now_ms = wall_clock_now_ms();
    if (status < 0 || !record) {
        finish(operation, status < 0 ? -EIO : -ENOENT, 0, NULL);
        return;
    }
    if (same_redrive(operation, record)) {
        finish(operation, 0, record->redrive_ms, NULL);
        return;
    }
    enum engine_redrive_status redrivable = engine_redrive_status(record, operation->now_ms, &reason);
    if (redrivable == ENGINE_REDRIVABLE_BY_MAP_RUN)
        reason = "Execution is a child execution of a Map Run: it is redriven by redriving its parent execution";
    if (redrivable != ENGINE_REDRIVABLE) {
        finish(operation, -EPERM, 0, reason);
        return;
    }
    int result = engine_machine_name_from_arn(operation->engine, record->state_machine_arn, name, sizeof(name));
    if (result == 0)
        result = state_machine_store_load(operation->engine->redis, name, false, on_machine_for_redrive, operation);
    if (result == -ENOENT)
        pin_definition(operation);
    else if (result < 0)
        finish(operation, -EIO, 0, NULL);
}

static int load(struct redrive_operation *operation)
{
    return execution_store_load(operation->engine->redis, operation->execution_id, on_record_for_redrive, operation);
}

int engine_redrive_execution(struct engine *engine, const char *execution_id, const char *client_token,
                             engine_redrive_callback callback, void *data)
{
    bool failed = false;
    if (strlen(execution_id) >= SFN_ARN_PART_SIZE)
        return -EINVAL;
    if (!engine_store_usable(engine))
        return -ENOTCONN;
    struct redrive_operation *operation = calloc(1, sizeof(*operation));
    if (!operation)
        return -ENOMEM;
    operation->engine = engine;
    operation->callback = callback;
    operation->data = data;
    strcpy(operation->execution_id, execution_id);
    operation->client_token = engine_copy_or_null(client_token, &failed);
    int result = failed ? -ENOMEM : load(operation);
    if (result < 0)
        redrive_free(operation);
    return result;
}
