/*
 * fork_commit - what a commit writes for the branches a step forked (see
 * engine_internal.h and docs/execution-model.md): the records of the
 * children still running (recursively: a child may rest at a fork of its
 * own), the results of those that ended within the step, and the fork
 * fields of the branch resting at the fork.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "engine_internal.h"
#include "task_token.h"

int fork_commit_split_branch(const char *branch_id, char parent[FORK_COMMIT_BRANCH_SIZE],
                             char fork_state[FORK_COMMIT_NUMBER_SIZE], char index[FORK_COMMIT_NUMBER_SIZE])
{
    const char *slash = strrchr(branch_id, '/');
    const char *last = slash ? slash + 1 : branch_id;
    const char *dot = strchr(last, '.');
    size_t parent_length = slash ? (size_t)(slash - branch_id) : 0;
    if (!dot || dot == last || !dot[1] || parent_length >= FORK_COMMIT_BRANCH_SIZE
        || (size_t)(dot - last) >= FORK_COMMIT_NUMBER_SIZE || strlen(dot + 1) >= FORK_COMMIT_NUMBER_SIZE)
        return -EINVAL;
    snprintf(parent, FORK_COMMIT_BRANCH_SIZE, "%.*s", (int)parent_length, branch_id);
    snprintf(fork_state, FORK_COMMIT_NUMBER_SIZE, "%.*s", (int)(dot - last), last);
    snprintf(index, FORK_COMMIT_NUMBER_SIZE, "%s", dot + 1);
    return 0;
}

char *fork_commit_result_text(const struct interpreter_step *step)
{
    if (step->status == EXECUTION_SUCCEEDED)
        return strdup(step->output ? step->output : "null");
    cJSON *error = cJSON_CreateObject();
    char *text = NULL;
    if (error && (!step->error || cJSON_AddStringToObject(error, "Error", step->error))
        && (!step->cause || cJSON_AddStringToObject(error, "Cause", step->cause)))
        text = cJSON_PrintUnformatted(error);
    cJSON_Delete(error);
    return text;
}

/* The children and ended children under step, counted recursively. */
static void count_children(const struct interpreter_step *step, size_t *running, size_t *ended)
{
    for (size_t i = 0; i < step->child_count; i++) {
        const struct interpreter_step *child = step->children[i].step;
        if (child->status == EXECUTION_RUNNING) {
            (*running)++;
            count_children(child, running, ended);
        } else {
            (*ended)++;
        }
    }
}

/* The number (decimal text) of the fork the branch branch_id of machine rests at after step. 0 or -EINVAL. */
static int fork_state_of(const struct state_machine *machine, const char *branch_id,
                         const struct interpreter_step *step, char out[FORK_COMMIT_NUMBER_SIZE])
{
    const struct state_scope *scope = state_machine_branch_scope(machine, branch_id ? branch_id : "");
    const struct state_definition *state = scope ? state_machine_scope_find(scope, step->state_name) : NULL;
    if (!state)
        return -EINVAL;
    snprintf(out, FORK_COMMIT_NUMBER_SIZE, "%zu", state->number);
    return 0;
}

/* How many of step's own children still run. */
static long running_children(const struct interpreter_step *step)
{
    long running = 0;
    for (size_t i = 0; i < step->child_count; i++)
        running += step->children[i].step->status == EXECUTION_RUNNING;
    return running;
}

/* The fork fields of a record resting at step's fork (fork_state borrowed); a fresh fork's counters start here. */
static void describe_fork(const struct interpreter_step *step, char *fork_state, long running, int64_t now_ms,
                          struct execution_record *record)
{
    record->fork_state = fork_state;
    record->fork_length = step->fork.length;
    record->fork_started = step->fork.started;
    record->fork_running = running;
    record->fork_succeeded = 0;
    record->fork_failed = 0;
    record->fork_signals = 0;
    record->map_run_arn = step->map_run_arn;
    /* iterations wait to be started (the step's budget ran out, or a distributed Map's continuation starts them):
       its continuation is due at once */
    if ((step->fork.started < step->fork.length && running < step->fork.max_concurrency) || step->map_run_arn)
        record->timer_due_ms = now_ms;
}

/* A reference to event ref of the batch, as a commit takes it: digits when the batch's base is known. */
static void format_event(struct history_ref ref, long known_base, char out[HISTORY_REF_TEXT_SIZE])
{
    if (known_base >= 0 && ref.batch_index > 0)
        snprintf(out, HISTORY_REF_TEXT_SIZE, "%ld", known_base + ref.batch_index);
    else if (ref.batch_index > 0)
        snprintf(out, HISTORY_REF_TEXT_SIZE, "@%d", ref.batch_index);
    else
        snprintf(out, HISTORY_REF_TEXT_SIZE, "%ld", ref.id);
}

/* Notes a child that ended within the step as a result for its fork. 0 or -ENOMEM/-EINVAL. */
static int add_result(struct fork_commit *forks, const struct fork_child *child)
{
    struct fork_commit_result *text = &forks->result_texts[forks->result_count];
    int result = fork_commit_split_branch(child->branch_id, text->owner, text->fork_state, text->index);
    if (result < 0)
        return result;
    if (!(text->value = fork_commit_result_text(child->step)))
        return -ENOMEM;
    forks->results[forks->result_count++] = (struct execution_result){
        text->owner, text->fork_state, text->index, child->step->status != EXECUTION_SUCCEEDED, text->value,
    };
    return 0;
}

/* Who creates the children of a commit: the committing branch's record (with its execution's identity), or NULL. */
struct creator {
    const struct execution_record *branch;
    const char *test_case; /* the execution's mock test case, or NULL */
};

/*
 * A child's place among the executions: an iteration of a distributed Map
 * becomes a child execution (its record, first event and Map Run's count),
 * which its branch and every branch under it write the history of; any
 * other child writes where its creator writes. 0 or a negative code.
 */
static int place_child(struct fork_commit *forks, const struct creator *creator, const struct fork_child *child,
                       int64_t now_ms, struct fork_commit_child *entry, unsigned *branch_mask)
{
    struct execution_record *record = &entry->next.record;
    if (child->child_execution) {
        if (!creator->branch || !creator->branch->map_run_arn)
            return -EINVAL;
        int result = map_run_commit_child(&forks->map_run, creator->branch->map_run_arn, creator->branch, child, now_ms,
                                          entry->child_id);
        if (result < 0)
            return result;
        record->child_execution = entry->child_id;
        record->history_of = entry->child_id;
        *branch_mask |= EXECUTION_BRANCH_FIELD_CHILD_EXECUTION | EXECUTION_BRANCH_FIELD_HISTORY_OF;
        return 0;
    }
    record->history_of = creator->branch ? creator->branch->history_of : NULL;
    *branch_mask |= EXECUTION_BRANCH_FIELD_HISTORY_OF;
    return 0;
}

/* Notes a child still running: its record. 0 or a negative code. */
static int add_running(const struct engine *engine, const struct state_machine *machine, struct fork_commit *forks,
                       const struct creator *creator, const struct fork_child *child, int64_t now_ms, long known_base)
{
    struct fork_commit_child *entry = &forks->children[forks->child_count];
    const struct interpreter_step *step = child->step;
    struct step_record *next = &entry->next;
    unsigned branch_mask = 0;
    entry->step = step;
    step_record_describe_at(engine, step, now_ms, next);
    int result = step_record_count_invocation(step, NULL, creator->test_case, next);
    if (result < 0)
        return result;
    if (step->state_entered.batch_index > 0 && known_base >= 0) {
        next->record.state_entered_event_id = known_base + step->state_entered.batch_index;
        next->state_entered[0] = '\0';
    } else if (step->state_entered.batch_index > 0) {
        forks->placeholders = true;
    }
    if (child->map_item) {
        snprintf(entry->map_index, sizeof(entry->map_index), "%ld", child->map_index);
        next->record.map_index = entry->map_index;
        next->record.map_item = child->map_item;
        branch_mask |= EXECUTION_BRANCH_FIELDS_ITERATION;
    }
    if (step->resting == RESTING_FORK) {
        result = fork_state_of(machine, child->branch_id, step, entry->fork_state);
        if (result < 0)
            return result;
        describe_fork(step, entry->fork_state, running_children(step), now_ms, &next->record);
        branch_mask |= EXECUTION_BRANCH_FIELDS_FORK;
    }
    result = place_child(forks, creator, child, now_ms, entry, &branch_mask);
    if (result < 0)
        return result;
    step_record_fields(next);
    execution_record_branch_fields(&next->record, branch_mask, &next->fields);
    format_event(child->last_event, known_base, entry->last_event);
    if (child->child_execution)
        snprintf(entry->last_event, sizeof(entry->last_event), "0"); /* after its ExecutionStarted: AWS's 0 */
    forks->items[forks->child_count++] = (struct execution_child){ child->branch_id, entry->last_event, &next->fields };
    return 0;
}

/* Notes step's children, and theirs. 0 or a negative code. */
static int add_children(const struct engine *engine, const struct state_machine *machine, struct fork_commit *forks,
                        const struct creator *creator, const struct interpreter_step *step, int64_t now_ms,
                        long known_base)
{
    int result = 0;
    for (size_t i = 0; result == 0 && i < step->child_count; i++) {
        const struct fork_child *child = &step->children[i];
        if (child->step->status != EXECUTION_RUNNING)
            result = add_result(forks, child);
        else if ((result = add_running(engine, machine, forks, creator, child, now_ms, known_base)) == 0)
            result = add_children(engine, machine, forks, creator, child->step, now_ms, known_base);
    }
    return result;
}

/* fork_commit_describe_in() for the children of creator. */
static int describe_children_of(const struct engine *engine, const struct state_machine *machine,
                                const struct creator *creator, const char *branch_id,
                                const struct interpreter_step *step, long known_base, struct fork_commit *forks)
{
    size_t running = 0, ended = 0;
    int64_t now_ms = step->history.timestamp_ms;
    memset(forks, 0, sizeof(*forks));
    if (step->status != EXECUTION_RUNNING || step->resting != RESTING_FORK)
        return 0;
    int result = fork_state_of(machine, branch_id, step, forks->fork_state);
    if (result < 0)
        return result;
    forks->running = running_children(step);
    count_children(step, &running, &ended);
    forks->children = calloc(running + 1, sizeof(*forks->children));
    forks->items = calloc(running + 1, sizeof(*forks->items));
    forks->result_texts = calloc(ended + 1, sizeof(*forks->result_texts));
    forks->results = calloc(ended + 1, sizeof(*forks->results));
    if (!forks->children || !forks->items || !forks->result_texts || !forks->results)
        return -ENOMEM;
    return add_children(engine, machine, forks, creator, step, now_ms, known_base);
}

int fork_commit_describe(const struct engine *engine, const struct state_machine *machine, const char *branch_id,
                         const struct interpreter_step *step, long known_base, const char *test_case,
                         struct fork_commit *forks)
{
    const struct creator creator = { NULL, test_case };
    return describe_children_of(engine, machine, &creator, branch_id, step, known_base, forks);
}

int fork_commit_describe_in(const struct engine *engine, const struct state_machine *machine,
                            const struct execution_record *branch, const char *branch_id,
                            const struct interpreter_step *step, long known_base, struct fork_commit *forks)
{
    const struct creator creator = { branch, branch ? branch->mock_test_case : NULL };
    return describe_children_of(engine, machine, &creator, branch_id, step, known_base, forks);
}

void fork_commit_describe_fork(const struct interpreter_step *step, struct fork_commit *forks, struct step_record *next)
{
    describe_fork(step, forks->fork_state, forks->running, step->history.timestamp_ms, &next->record);
}

void fork_commit_add(const struct fork_commit *forks, struct execution_branch_commit *commit)
{
    commit->children = forks->items;
    commit->child_count = forks->child_count;
    commit->results = forks->results;
    commit->result_count = forks->result_count;
}

void fork_commit_start_tasks(struct engine *engine, const struct fork_commit *forks, const char *execution_arn,
                             const char *test_case)
{
    for (size_t i = 0; i < forks->child_count; i++)
        task_start_after_commit(engine, forks->children[i].step, &forks->children[i].next, execution_arn, test_case,
                                NULL);
}

void fork_commit_reset(struct fork_commit *forks)
{
    for (size_t i = 0; forks->children && i < forks->child_count; i++)
        step_record_reset(&forks->children[i].next);
    for (size_t i = 0; forks->result_texts && i < forks->result_count; i++)
        free(forks->result_texts[i].value);
    free(forks->children);
    free(forks->items);
    free(forks->result_texts);
    free(forks->results);
    map_run_commit_reset(&forks->map_run);
    memset(forks, 0, sizeof(*forks));
}

int fork_commit_branch_token(void *context, const char *branch_id, char *out, size_t size)
{
    char *token = NULL;
    int result = task_token_create_for_branch(context, branch_id, &token);
    if (result == 0 && strlen(token) >= size)
        result = -ENAMETOOLONG;
    if (result == 0)
        strcpy(out, token);
    free(token);
    return result;
}

/*
 * Notes one entry of a fork's results ("<index>" -> output, "!<index>" ->
 * {"Error","Cause"}, "~<index>": running again, restored by a redrive). 0 or -ENOMEM.
 */
static int take_result(struct fork_results *results, const struct execution_hash_entry *entry)
{
    bool failed = entry->name[0] == '!', running = entry->name[0] == '~';
    char *end = NULL;
    long index = strtol(entry->name + (failed || running), &end, 10);
    if (!end || *end || index < 0 || index >= results->progress.length || entry->name[(failed || running)] < '0'
        || entry->name[(failed || running)] > '9')
        return 0; /* not one of this fork's children */
    if (running) {
        results->running[index] = true;
        return 0;
    }
    char *value = strndup(entry->value, entry->value_length);
    if (!value)
        return -ENOMEM;
    results->failed[index] = failed;
    if (!failed) {
        results->outputs[index] = value;
        return 0;
    }
    cJSON *error = cJSON_Parse(value);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(error, "Error");
    const cJSON *cause = cJSON_GetObjectItemCaseSensitive(error, "Cause");
    int result = 0;
    if ((cJSON_IsString(name) && !(results->errors[index] = strdup(name->valuestring)))
        || (cJSON_IsString(cause) && !(results->causes[index] = strdup(cause->valuestring))))
        result = -ENOMEM;
    cJSON_Delete(error);
    free(value);
    return result;
}

int fork_results_build(const struct execution_record *record, const struct execution_hash_entry *entries, size_t count,
                       struct fork_results *results)
{
    size_t length = record->fork_length > 0 ? (size_t)record->fork_length : 0;
    memset(results, 0, sizeof(*results));
    results->progress.length = (long)length;
    results->progress.started = record->fork_started;
    results->outputs = calloc(length + 1, sizeof(*results->outputs));
    results->failed = calloc(length + 1, sizeof(*results->failed));
    results->errors = calloc(length + 1, sizeof(*results->errors));
    results->causes = calloc(length + 1, sizeof(*results->causes));
    results->running = calloc(length + 1, sizeof(*results->running));
    if (!results->outputs || !results->failed || !results->errors || !results->causes || !results->running)
        return -ENOMEM;
    for (size_t i = 0; i < count; i++)
        if (take_result(results, &entries[i]) < 0)
            return -ENOMEM;
    results->progress.outputs = (const char *const *)results->outputs;
    results->progress.failed = results->failed;
    results->progress.errors = (const char *const *)results->errors;
    results->progress.causes = (const char *const *)results->causes;
    results->progress.running = results->running;
    return 0;
}

void fork_results_free(struct fork_results *results)
{
    for (long i = 0; i < results->progress.length; i++) {
        if (results->outputs)
            free(results->outputs[i]);
        if (results->errors)
            free(results->errors[i]);
        if (results->causes)
            free(results->causes[i]);
    }
    free(results->outputs);
    free(results->failed);
    free(results->errors);
    free(results->causes);
    free(results->running);
    memset(results, 0, sizeof(*results));
}
