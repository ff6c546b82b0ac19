/*
 * step_record - a step of the interpreter as the record a commit writes
 * (see engine_internal.h); the record's field names are execution_record's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "log.h"
#include "random_id.h"

void step_record_reset(struct step_record *next)
{
    cJSON_free(next->task_parameters);
    free(next->variables);
    cJSON_free(next->mock_invocations);
    for (size_t i = 0; next->step_events && i < next->events.count; i++)
        free(next->step_events[i].body);
    free(next->step_events);
    free(next->items);
    memset(next, 0, sizeof(*next));
}

/* The earlier of two deadlines, where 0 means "none". */
static int64_t earliest(int64_t a, int64_t b)
{
    return !a || (b && b < a) ? b : a;
}

/* A duration of the definition (ms) under TIME_SCALE; at least 1 ms. */
static int64_t scaled_ms(const struct engine *engine, int64_t ms)
{
    double scaled = (double)ms * engine->config.time_scale;
    return scaled < 1 ? 1 : (int64_t)scaled;
}

int64_t step_record_execution_deadline(const struct engine *engine, const struct state_machine *machine,
                                       int64_t start_ms)
{
    return machine->timeout_seconds ? start_ms + scaled_ms(engine, (int64_t)machine->timeout_seconds * 1000) : 0;
}

const struct execution_fields *step_record_fields(struct step_record *next)
{
    struct execution_record *record = &next->record;
    bool running = !(next->mask & EXECUTION_FIELD_STATUS) || (record->status && strcmp(record->status, "RUNNING") == 0);
    if (running && (next->mask & EXECUTION_FIELD_TIMER_DUE))
        record->timer_due_ms = earliest(record->timer_due_ms, record->execution_timeout_ms);
    execution_record_fields(&next->record, next->mask, &next->fields);
    if (next->state_entered[0] && (next->mask & EXECUTION_FIELD_STATE_ENTERED_EVENT_ID))
        execution_record_fields_override(&next->fields, EXECUTION_FIELD_STATE_ENTERED_EVENT_ID, next->state_entered);
    if (next->variables)
        execution_record_branch_fields(&next->record, EXECUTION_BRANCH_FIELD_VARIABLES, &next->fields);
    if (next->mock_invocations)
        execution_record_branch_fields(&next->record, EXECUTION_BRANCH_FIELD_MOCK_INVOCATIONS, &next->fields);
    return &next->fields;
}

/* The count of state in the parsed counts (any JSON, or NULL). */
static long count_of(const cJSON *counts, const char *state)
{
    const cJSON *count = state ? cJSON_GetObjectItemCaseSensitive(counts, state) : NULL;
    return cJSON_IsNumber(count) && count->valuedouble > 0 ? (long)count->valuedouble : 0;
}

long step_record_invocations(const char *counts, const char *state)
{
    cJSON *parsed = counts ? cJSON_Parse(counts) : NULL;
    long value = count_of(parsed, state);
    cJSON_Delete(parsed);
    return value;
}

int step_record_count_invocation(const struct interpreter_step *step, const char *counts, const char *test_case,
                                 struct step_record *next)
{
    if (!test_case || step->status != EXECUTION_RUNNING || !step->has_task || step->task.is_activity)
        return 0;
    cJSON *parsed = counts ? cJSON_Parse(counts) : NULL;
    if (!cJSON_IsObject(parsed)) {
        cJSON_Delete(parsed);
        parsed = cJSON_CreateObject();
    }
    long invocation = count_of(parsed, step->state_name);
    cJSON_DeleteItemFromObjectCaseSensitive(parsed, step->state_name);
    char *text = parsed && cJSON_AddNumberToObject(parsed, step->state_name, (double)invocation + 1)
                     ? cJSON_PrintUnformatted(parsed)
                     : NULL;
    cJSON_Delete(parsed);
    if (!text)
        return -ENOMEM;
    cJSON_free(next->mock_invocations);
    next->mock_invocations = text;
    next->record.mock_invocations = text;
    next->invocation = invocation;
    return 0;
}

int step_record_events(const struct interpreter_step *step, struct step_record *next,
                       const struct execution_events **events)
{
    size_t count = history_batch_count(&step->history);
    next->step_events = calloc(count ? count : 1, sizeof(*next->step_events));
    next->items = calloc(count ? count : 1, sizeof(*next->items));
    if (!next->step_events || !next->items)
        return -ENOMEM;
    for (; next->events.count < count; next->events.count++) {
        struct step_event *event = &next->step_events[next->events.count];
        if (history_wire_event(&step->history, next->events.count, event->previous, &event->body) < 0)
            return -ENOMEM;
        next->items[next->events.count] = (struct execution_event){ event->previous, event->body };
    }
    next->events.items = next->items;
    if (next->state_entered[0])
        next->events.placeholder_fields |= EXECUTION_FIELD_STATE_ENTERED_EVENT_ID;
    if (step->cause_has_placeholders && (next->mask & EXECUTION_FIELD_CAUSE))
        next->events.placeholder_fields |= EXECUTION_FIELD_CAUSE;
    next->events.has_placeholders = next->events.placeholder_fields || history_batch_has_placeholders(&step->history);
    *events = &next->events;
    return 0;
}

/*
 * A task just scheduled is started by this process after the commit. Until
 * its start is confirmed (it was submitted, answered or queued), the record
 * holds its Parameters and a start lease; if the lease runs out first - this
 * process died in between - the timer starts the task again elsewhere.
 */
static void describe_start_lease(const struct engine *engine, const struct interpreter_step *step, int64_t now,
                                 struct step_record *next)
{
    int64_t start_due = now + engine->config.task_start_lease_ms;
    next->record.timer_due_ms = earliest(next->record.timer_due_ms, start_due);
    next->record.task_start_due_ms = start_due;
    next->task_parameters = cJSON_PrintUnformatted(step->task.parameters);
    next->record.task_parameters = next->task_parameters; /* out of memory: only the timeouts close it */
}

/* The deadlines of a resting point; the timer is the earliest of them. */
static void describe_deadlines(const struct engine *engine, const struct interpreter_step *step, int64_t now,
                               struct step_record *next)
{
    struct execution_record *record = &next->record;
    if (step->resting == RESTING_FORK)
        return; /* its children's ends set its timer (fork_commit.c) */
    if (step->resting != RESTING_TASK) {
        record->timer_due_ms = now + scaled_ms(engine, step->delay_ms);
        return;
    }
    if (step->task.timeout_seconds)
        record->task_timeout_ms = now + scaled_ms(engine, (int64_t)step->task.timeout_seconds * 1000);
    if (step->task.heartbeat_seconds) {
        record->heartbeat_interval_ms = scaled_ms(engine, (int64_t)step->task.heartbeat_seconds * 1000);
        record->heartbeat_due_ms = now + record->heartbeat_interval_ms;
    }
    record->timer_due_ms = earliest(record->task_timeout_ms, record->heartbeat_due_ms);
    if (step->has_task)
        describe_start_lease(engine, step, now, next);
}

void step_record_describe(const struct engine *engine, const struct interpreter_step *step, struct step_record *next)
{
    step_record_describe_at(engine, step, step->history.timestamp_ms, next);
}

void step_record_describe_at(const struct engine *engine, const struct interpreter_step *step, int64_t now_ms,
                             struct step_record *next)
{
    struct execution_record *record = &next->record;
    step_record_reset(next);
    /* The record's strings are borrowed here, never freed: the casts only fit execution_record's type. */
    record->status = (char *)interpreter_status_name(step->status);
    next->mask = EXECUTION_FIELD_STATUS | EXECUTION_FIELDS_RESTING;
    if (step->status == EXECUTION_RUNNING) {
        record->state = step->state_name;
        record->state_entered_event_id = step->state_entered.batch_index > 0 ? 0 : step->state_entered.id;
        if (step->state_entered.batch_index > 0)
            history_format_ref(step->state_entered, next->state_entered);
        record->state_entered_ms = step->state_entered_ms;
        record->state_input = step->state_input;
        record->resting = (char *)interpreter_resting_name(step->resting);
        record->retry_counts = step->retry_counts;
        if (step->has_task) {
            record->task_token = step->task.token;
            record->task_resource = (char *)step->task.resource_arn;
        }
        describe_deadlines(engine, step, now_ms, next);
        if (step->variables_changed) {
            /* out of memory: the variables stay as stored */
            next->variables = interpreter_variables_text(step);
            record->variables = next->variables;
        }
    } else {
        record->stop_ms = now_ms;
        record->output = step->output;
        record->error = step->error;
        record->cause = step->cause;
        next->mask |= EXECUTION_FIELD_STOP | EXECUTION_FIELD_OUTPUT | EXECUTION_FIELD_ERROR | EXECUTION_FIELD_CAUSE;
    }
}

void step_record_append_only(struct step_record *next)
{
    step_record_reset(next);
}

void step_record_confirm_start(const struct execution_record *record, struct step_record *next)
{
    if (!record->task_start_due_ms)
        return;
    next->mask |= EXECUTION_FIELD_TASK_START_DUE | EXECUTION_FIELD_TASK_PARAMETERS; /* absent: deleted */
    if (next->mask & EXECUTION_FIELD_TIMER_DUE)
        return;
    next->record.timer_due_ms = earliest(record->task_timeout_ms, record->heartbeat_due_ms);
    next->mask |= EXECUTION_FIELD_TIMER_DUE;
}

void step_record_renew_start_lease(const struct engine *engine, const struct execution_record *record, int64_t now_ms,
                                   struct step_record *next)
{
    int64_t start_due = now_ms + engine->config.task_start_lease_ms;
    next->record.timer_due_ms = earliest(earliest(record->task_timeout_ms, record->heartbeat_due_ms), start_due);
    next->record.task_start_due_ms = start_due;
    next->mask |= EXECUTION_FIELD_TASK_START_DUE | EXECUTION_FIELD_TIMER_DUE;
}

void step_record_restart_heartbeat(const struct execution_record *record, int64_t now_ms, struct step_record *next)
{
    if (!record->heartbeat_interval_ms)
        return;
    int64_t heartbeat = now_ms + record->heartbeat_interval_ms;
    next->record.timer_due_ms = earliest(record->task_timeout_ms, heartbeat);
    next->record.heartbeat_due_ms = heartbeat;
    next->mask |= EXECUTION_FIELD_HEARTBEAT_DUE | EXECUTION_FIELD_TIMER_DUE;
}

void step_record_log(const struct interpreter_step *step, const char *execution_arn)
{
    if (step->in_child && step->status != EXECUTION_RUNNING)
        log_event(LOG_DEBUG, "branch-ended", "A branch of %s %s", execution_arn, interpreter_status_name(step->status));
    else if (step->status == EXECUTION_SUCCEEDED)
        log_event(LOG_INFO, "execution-succeeded", "Execution %s SUCCEEDED with output %s", execution_arn,
                  step->output);
    else if (step->status != EXECUTION_RUNNING)
        log_event(LOG_WARN, "execution-failed", "Execution %s %s: %s%s%s", execution_arn,
                  interpreter_status_name(step->status), step->error ? step->error : "", step->cause ? ": " : "",
                  step->cause ? step->cause : "");
    else if (step->resting == RESTING_WAIT)
        log_event(LOG_INFO, "waiting", "Execution %s waits in state %s for %lld ms (before TIME_SCALE)", execution_arn,
                  step->state_name, (long long)step->delay_ms);
    else if (step->resting == RESTING_RETRY)
        log_event(LOG_INFO, "retrying", "Execution %s retries state %s in %lld ms (before TIME_SCALE)", execution_arn,
                  step->state_name, (long long)step->delay_ms);
}

double step_record_random_fraction(void)
{
    uint32_t bits = 0;
    if (random_id_fill(&bits, sizeof(bits)) < 0)
        return 0.5; /* no randomness to be had: the middle of the range */
    return (double)bits / 4294967296.0;
}

/* Room for every field of a record, lastEventId again, and what a commit writes. */
#define COMMITTED_ENTRIES (2 * EXECUTION_RECORD_ALL_FIELD_COUNT + 1)

/* The hash entries and the resolved texts they point to, while a committed record is built. */
struct committed_hash {
    struct execution_hash_entry entries[COMMITTED_ENTRIES];
    size_t count;
    char *resolved[EXECUTION_RECORD_ALL_FIELD_COUNT]; /* owned */
    size_t resolved_count;
    char last_event[24];
};

static void committed_add(struct committed_hash *hash, const char *name, const char *value)
{
    if (hash->count < COMMITTED_ENTRIES)
        hash->entries[hash->count++] = (struct execution_hash_entry){ name, value, strlen(value) };
}

/* Whether two field names are the same; they are usually execution_record's own pointers. */
static bool same_name(const char *a, const char *b)
{
    return a == b || (a[0] == b[0] && strcmp(a, b) == 0);
}

static bool written_by(const struct execution_fields *written, const char *name)
{
    for (size_t i = 0; i < written->set_count; i++)
        if (same_name(written->set[i].name, name))
            return true;
    for (size_t i = 0; i < written->delete_count; i++)
        if (same_name(written->deletes[i], name))
            return true;
    return false;
}

/* Whether the commit resolves the placeholders of field name (as _append_events.lua's resolve_fields does). */
static bool resolves_field(const struct execution_events *events, const char *name)
{
    for (size_t i = 0; events && events->has_placeholders && i < EXECUTION_RECORD_FIELD_COUNT; i++) {
        const char *field = (events->placeholder_fields & (1u << i)) ? execution_record_field_name(1u << i) : NULL;
        if (field && strcmp(field, name) == 0)
            return true;
    }
    return false;
}

/* Adds what the commit sets, resolved at base. 0 or -ENOMEM. */
static int committed_add_written(struct committed_hash *hash, const struct execution_fields *written,
                                 const struct execution_events *events, long base)
{
    for (size_t i = 0; i < written->set_count; i++) {
        const char *value = written->set[i].value;
        if (resolves_field(events, written->set[i].name) && hash->resolved_count < EXECUTION_RECORD_ALL_FIELD_COUNT) {
            char *text = history_resolve_text(value, base);
            if (!text)
                return -ENOMEM;
            hash->resolved[hash->resolved_count++] = text;
            value = text;
        }
        committed_add(hash, written->set[i].name, value);
    }
    return 0;
}

struct execution_record *step_record_committed(const struct execution_record *before,
                                               const struct execution_fields *written,
                                               const struct execution_events *events, long first_event_id)
{
    static const struct execution_record empty = { 0 };
    struct committed_hash hash = { .count = 0 };
    struct execution_fields kept;
    struct execution_record *after = NULL;
    long base = first_event_id - 1;
    size_t event_count = events ? events->count : 0;
    execution_record_fields(before ? before : &empty, EXECUTION_FIELDS_ALL, &kept);
    execution_record_branch_fields(before ? before : &empty, (1u << EXECUTION_RECORD_BRANCH_FIELD_COUNT) - 1, &kept);
    for (size_t i = 0; i < kept.set_count; i++)
        if (!written_by(written, kept.set[i].name))
            committed_add(&hash, kept.set[i].name, kept.set[i].value);
    int result = committed_add_written(&hash, written, events, base);
    if (result == 0 && event_count > 0) {
        snprintf(hash.last_event, sizeof(hash.last_event), "%ld", base + (long)event_count);
        committed_add(&hash, execution_record_field_name(EXECUTION_FIELD_LAST_EVENT_ID), hash.last_event);
    }
    if (result == 0 && execution_record_from_hash(hash.entries, hash.count, &after) < 0)
        after = NULL;
    for (size_t i = 0; i < hash.resolved_count; i++)
        free(hash.resolved[i]);
    return after;
}

bool step_record_waits_at_root_task(const struct execution_record *record)
{
    return record && !record->history_of && record->heartbeat_interval_ms == 0 && record->status
           && strcmp(record->status, "RUNNING") == 0 && record->resting && strcmp(record->resting, "task") == 0
           && record->task_token;
}
