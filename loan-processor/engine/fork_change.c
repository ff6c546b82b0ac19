/*
 * fork_change - the part of a change (execution_change.c) that concerns
 * branches: a step that enters, continues or leaves a fork, or ends a child
 * branch, and what a fork's continuation reads first (see engine_internal.h
 * and docs/execution-model.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "map_run_store.h"
#include "wall_clock.h"

static int read_results(struct change_operation *operation);

bool fork_change_rests_at_fork(const struct execution_record *record)
{
    return record->resting && strcmp(record->resting, "fork") == 0;
}

/* Whether the change's step enters, continues or leaves a fork, or ends a child: beyond today's commit. */
bool fork_change_touches(const struct change_operation *operation)
{
    const struct interpreter_step *step = &operation->step;
    return fork_change_rests_at_fork(operation->record)
           || (step->status == EXECUTION_RUNNING && step->resting == RESTING_FORK)
           || (operation->branch_id[0] && step->status != EXECUTION_RUNNING);
}

/* The fork fields a commit writes (next's record; bits of enum execution_branch_field), the step rests at a fork. */
static unsigned describe_fork_fields(struct change_operation *operation, bool same_fork)
{
    const struct execution_record *record = operation->record;
    const struct interpreter_step *step = &operation->step;
    struct execution_record *written = &operation->next.record;
    if (!same_fork) {
        fork_commit_describe_fork(step, &operation->forks, &operation->next);
        return EXECUTION_BRANCH_FIELDS_FORK;
    }
    written->fork_state = record->fork_state;
    written->fork_length = record->fork_length;
    written->fork_started = step->fork.started;
    if (step->fork.started < step->fork.length
        && record->fork_running + operation->forks.running < step->fork.max_concurrency)
        written->timer_due_ms = step->history.timestamp_ms; /* iterations wait: go on at once */
    return EXECUTION_BRANCH_FIELD_FORK_STATE | EXECUTION_BRANCH_FIELD_FORK_LENGTH | EXECUTION_BRANCH_FIELD_FORK_STARTED;
}

/* A child's end, as the commit takes it. 0 or a negative code. */
static int describe_end(struct change_operation *operation, struct execution_child_end *end)
{
    int result = fork_commit_split_branch(operation->branch_id, operation->end_parent, operation->end_fork,
                                          operation->end_index);
    if (result < 0)
        return result;
    if (!(operation->end_result = fork_commit_result_text(&operation->step)))
        return -ENOMEM;
    *end = (struct execution_child_end){ operation->end_parent, operation->end_fork, operation->end_index,
                                         operation->step.status != EXECUTION_SUCCEEDED, operation->end_result };
    return 0;
}

/*
 * Commits a step that enters, continues or leaves a fork, or ends a child
 * (execution_store_commit_branch()): its children and results, the fork's
 * counters, the child's end, the subtree of a fork it left.
 */
int fork_change_commit(struct change_operation *operation)
{
    const struct execution_record *record = operation->record;
    const struct interpreter_step *step = &operation->step;
    struct step_record *next = &operation->next;
    bool was_fork = fork_change_rests_at_fork(record),
         at_fork = step->status == EXECUTION_RUNNING && step->resting == RESTING_FORK;
    bool same_fork = was_fork && at_fork && step->state_entered.batch_index <= 0
                     && step->state_entered.id == record->state_entered_event_id;
    struct execution_child_end end;
    struct execution_abort abort = { operation->branch_id, record->fork_state ? record->fork_state : "" };
    struct execution_branch_commit commit = {
        .branch_id = operation->branch_id,
        .expected_last_event_id = record->last_event_id,
        .required_token = operation->token,
        .events = &next->events,
        .now_ms = wall_clock_now_ms(),
        .continuation = was_fork && operation->kind == CHANGE_TIMER,
        .expected_fork_signals = record->fork_signals,
        .abort = was_fork && !same_fork && record->fork_state ? &abort : NULL,
        .history_of = record->history_of,
    };
    unsigned branch_mask = was_fork ? EXECUTION_BRANCH_FIELDS_FORK : 0; /* a fork left: its fields go */
    int result = fork_commit_describe_in(operation->engine, operation->definition->machine, record,
                                         operation->branch_id, step, -1, &operation->forks);
    if (result == 0 && commit.continuation)
        result = map_run_commit_continue(&operation->forks.map_run, record, operation->branch_id, step, commit.now_ms);
    if (result == 0 && at_fork)
        branch_mask = describe_fork_fields(operation, same_fork);
    if (result == 0 && operation->branch_id[0] && step->status != EXECUTION_RUNNING) {
        result = describe_end(operation, &end);
        commit.end = &end;
    }
    if (result < 0)
        return result;
    if (same_fork)
        commit.fork_running_delta = operation->forks.running;
    if (commit.continuation && next->events.count && !next->step_events[0].previous[0] && operation->history_length)
        snprintf(next->step_events[0].previous, sizeof(next->step_events[0].previous), "%ld",
                 operation->history_length);
    step_record_fields(next);
    execution_record_branch_fields(&next->record, branch_mask, &next->fields);
    commit.fields = &next->fields;
    if (operation->forks.placeholders) {
        next->events.placeholder_fields |= EXECUTION_FIELD_STATE_ENTERED_EVENT_ID;
        next->events.has_placeholders = true;
    }
    fork_commit_add(&operation->forks, &commit);
    commit.writes = operation->forks.map_run.writes;
    commit.write_count = operation->forks.map_run.count;
    return execution_store_commit_branch(operation->engine->redis, operation->execution_id, &commit,
                                         execution_change_committed, operation);
}

/* A child's record with its execution's identity (taken from execution, which is freed). */
struct execution_record *fork_change_adopt_identity(struct execution_record *branch, struct execution_record *execution)
{
    if (branch && execution) {
        char **fields[] = { &branch->arn,      &branch->state_machine_arn, &branch->name,          &branch->input,
                            &branch->role_arn, &branch->definition_hash,   &branch->mock_test_case };
        char **from[] = { &execution->arn,           &execution->state_machine_arn, &execution->name,
                          &execution->input,         &execution->role_arn,          &execution->definition_hash,
                          &execution->mock_test_case };
        for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
            free(*fields[i]);
            *fields[i] = *from[i];
            *from[i] = NULL;
        }
        branch->start_ms = execution->start_ms;
        branch->redrive_count = execution->redrive_count;
        branch->redrive_ms = execution->redrive_ms;
    }
    execution_store_record_free(execution);
    return branch;
}

/* A distributed Map's continuation: the settings UpdateMapRun changed, if any (none when its Map Run is gone). */
static void on_map_run_for_change(int status, struct map_run_record *record, void *data)
{
    struct change_operation *operation = data;
    if (status < 0) {
        execution_change_finish(operation, -EIO);
        return;
    }
    const struct map_run_update *updated = record ? &record->updated : NULL;
    if (updated) {
        operation->settings = (struct fork_settings){
            updated->has_max_concurrency,
            (long)updated->max_concurrency,
            updated->has_tolerated_failure_count,
            (long)updated->tolerated_failure_count,
            updated->has_tolerated_failure_percentage,
            updated->tolerated_failure_percentage,
        };
        operation->results.progress.settings = &operation->settings;
    }
    map_run_store_record_free(record);
    execution_change_find_definition(operation);
}

/* A fork's continuation: its children's results (read before the definition is pinned). */
static void on_results_for_change(int status, const struct execution_hash_entry *entries, size_t count, void *data)
{
    struct change_operation *operation = data;
    const char *map_run = operation->record->map_run_arn ? strstr(operation->record->map_run_arn, ":mapRun:") : NULL;
    if (status < 0 || fork_results_build(operation->record, entries, count, &operation->results) < 0) {
        execution_change_finish(operation, -EIO);
        return;
    }
    operation->results_read = true;
    if (!map_run) {
        execution_change_find_definition(operation);
        return;
    }
    if (map_run_store_load(operation->engine->redis, map_run + 8, on_map_run_for_change, operation) < 0)
        execution_change_finish(operation, -EIO);
}

/* A continuation's history length (its first event follows the history's last: AWS's join follows the last child). */
static void on_length_for_change(int status, struct execution_record *execution, struct execution_record *branch,
                                 long stored_events, void *data)
{
    struct change_operation *operation = data;
    execution_store_record_free(execution);
    execution_store_record_free(branch);
    operation->history_length = stored_events;
    if (status < 0 || read_results(operation) < 0)
        execution_change_finish(operation, -EIO);
}

int fork_change_read_results(struct change_operation *operation)
{
    return execution_store_load_branch(operation->engine->redis, operation->execution_id, operation->branch_id,
                                       on_length_for_change, operation);
}

static int read_results(struct change_operation *operation)
{
    char part[EXECUTION_STORE_BRANCH_KEY_SIZE];
    snprintf(part, sizeof(part), "%s/%s", operation->branch_id, operation->record->fork_state);
    return execution_store_read_results(operation->engine->redis, operation->execution_id, part, on_results_for_change,
                                        operation);
}
