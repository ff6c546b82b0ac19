/*
 * map_run_commit - what a commit writes for a distributed Map (see
 * engine_internal.h and docs/execution-model.md, "Distributed Map"): the
 * Map Run's record and index entry, and each child execution's record,
 * first event and index entry, all in the parent execution's slot.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "engine_internal.h"
#include "map_run_store.h"
#include "random_id.h"

/* Draws of a uuid before giving up on landing in a shard: each lands with probability 1/shard count (<= 1024). */
#define MAP_RUN_ID_DRAWS 100000

/* Writes "<prefix><uuid>" into id, a uuid drawn until the id's shard is shard. 0, -ENAMETOOLONG or -EIO. */
static int draw_id(const char *prefix, unsigned shard, char id[MAP_RUN_ID_SIZE])
{
    char uuid[37];
    for (int i = 0; i < MAP_RUN_ID_DRAWS; i++) {
        if (random_id_uuid(uuid) < 0)
            return -EIO;
        if (snprintf(id, MAP_RUN_ID_SIZE, "%s%s", prefix, uuid) >= MAP_RUN_ID_SIZE)
            return -ENAMETOOLONG;
        if (execution_store_shard(id) == shard)
            return 0;
    }
    return -EIO;
}

/* Splits a state machine ARN at ":stateMachine:" into its head ("arn:...:<account>") and name. 0 or -EINVAL. */
static int split_machine_arn(const char *arn, size_t *head_length, const char **name)
{
    const char *at = strstr(arn, ":stateMachine:");
    if (!at || !at[14])
        return -EINVAL;
    *head_length = (size_t)(at - arn);
    *name = at + 14;
    return 0;
}

int map_run_commit_arn(void *context, const char *label, char *out, size_t size)
{
    const struct map_run_origin *origin = context;
    char prefix[MAP_RUN_ID_SIZE], id[MAP_RUN_ID_SIZE], generated[37];
    size_t head_length;
    const char *name;
    int result = split_machine_arn(origin->state_machine_arn, &head_length, &name);
    if (result < 0)
        return result;
    if (!label) { /* AWS labels a Map Run of a Map without Label with a uuid */
        if (random_id_uuid(generated) < 0)
            return -EIO;
        label = generated;
    }
    if (snprintf(prefix, sizeof(prefix), "%s/%s:", name, label) >= (int)sizeof(prefix))
        return -ENAMETOOLONG;
    if ((result = draw_id(prefix, execution_store_shard(origin->execution_id), id)) < 0)
        return result;
    if (snprintf(out, size, "%.*s:mapRun:%s", (int)head_length, origin->state_machine_arn, id) >= (int)size)
        return -ENAMETOOLONG;
    return 0;
}

/* Keeps text (owned from now on, NULL: out of memory) for the writes; returns it, or NULL. */
static const char *keep(struct map_run_commit *commit, char *text)
{
    if (!text)
        return NULL;
    if (commit->text_count == commit->text_capacity) {
        size_t capacity = commit->text_capacity ? commit->text_capacity * 2 : 16;
        char **texts = realloc(commit->texts, capacity * sizeof(*texts));
        if (!texts) {
            free(text);
            return NULL;
        }
        commit->texts = texts;
        commit->text_capacity = capacity;
    }
    commit->texts[commit->text_count++] = text;
    return text;
}

/* Keeps a formatted text. */
static const char *keep_format(struct map_run_commit *commit, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
static const char *keep_format(struct map_run_commit *commit, const char *format, ...)
{
    char buffer[512];
    va_list arguments;
    va_start(arguments, format);
    int length = vsnprintf(buffer, sizeof(buffer), format, arguments);
    va_end(arguments);
    return length >= 0 && (size_t)length < sizeof(buffer) ? keep(commit, strdup(buffer)) : NULL;
}

/* A new write of command on the key key_builder gives for id, or NULL (no memory, or a key too long). */
static struct store_write *add_write(struct map_run_commit *commit, const char *command,
                                     int (*key_builder)(const char *, char *, size_t), const char *id)
{
    if (commit->count == commit->capacity) {
        size_t capacity = commit->capacity ? commit->capacity * 2 : 8;
        struct store_write *writes = realloc(commit->writes, capacity * sizeof(*writes));
        if (!writes)
            return NULL;
        commit->writes = writes;
        commit->capacity = capacity;
    }
    struct store_write *write = &commit->writes[commit->count];
    memset(write, 0, sizeof(*write));
    write->command = command;
    if (key_builder(id, write->key, sizeof(write->key)) < 0)
        return NULL;
    commit->count++;
    return write;
}

/* Adds arguments (NULL-terminated list; a NULL among them fails) to write. 0 or -ENOMEM. */
static int add_arguments(struct store_write *write, ...)
{
    va_list arguments;
    va_start(arguments, write);
    int result = 0;
    for (const char *argument = va_arg(arguments, const char *); argument; argument = va_arg(arguments, const char *)) {
        if (write->argument_count == EXECUTION_STORE_WRITE_ARGUMENTS) {
            result = -E2BIG;
            break;
        }
        write->arguments[write->argument_count++] = argument;
    }
    va_end(arguments);
    return result;
}

/* The id of a Map Run ARN (what follows ":mapRun:"), or NULL. */
static const char *map_run_id(const char *map_run_arn)
{
    const char *at = map_run_arn ? strstr(map_run_arn, ":mapRun:") : NULL;
    return at && at[8] ? at + 8 : NULL;
}

/* The ExecutionStarted event of a child execution (its history's first, as stored), or NULL. */
static char *started_event(const struct execution_record *identity, const char *input, int64_t now_ms)
{
    cJSON *event = cJSON_CreateObject();
    cJSON *details = history_details("roleArn", identity->role_arn, NULL);
    char *text = NULL;
    if (event && details && history_add_payload(details, "input", input) == 0 && cJSON_AddNumberToObject(event, "id", 1)
        && cJSON_AddNumberToObject(event, "previousEventId", 0)
        && cJSON_AddNumberToObject(event, "timestamp", (double)now_ms / 1000.0)
        && cJSON_AddStringToObject(event, "type", "ExecutionStarted")
        && cJSON_AddItemToObject(event, "executionStartedEventDetails", details)) {
        details = NULL;
        text = cJSON_PrintUnformatted(event);
    }
    cJSON_Delete(details);
    cJSON_Delete(event);
    return text;
}

/* The record of a new child execution id of the Map Run map_run_arn. 0 or a negative errno. */
static int add_child_record(struct map_run_commit *commit, const char *map_run_arn,
                            const struct execution_record *identity, const char *id, const char *input, const char *now,
                            long map_index)
{
    size_t head_length;
    const char *name;
    const char *uuid = strrchr(id, ':');
    struct store_write *write = add_write(commit, "HSET", execution_store_key, id);
    if (!write || !uuid || split_machine_arn(identity->state_machine_arn, &head_length, &name) < 0)
        return -ENOMEM;
    const char *head = keep_format(commit, "%.*s", (int)head_length, identity->state_machine_arn);
    const char *arn = head ? keep_format(commit, "%s:execution:%s", head, id) : NULL;
    const char *machine = head ? keep_format(commit, "%s:stateMachine:%.*s", head, (int)(uuid - id), id) : NULL;
    const char *name_text = keep(commit, strdup(uuid + 1));
    const char *index = keep_format(commit, "%ld", map_index);
    if (!arn || !machine || !name_text || !index)
        return -ENOMEM;
    int result = add_arguments(write, "arn", arn, "stateMachineArn", machine, "name", name_text, "status", "RUNNING",
                               "input", input, "startDate", now, "mapRunArn", map_run_arn, "parentExecution",
                               identity->arn ? identity->arn : "", "definitionHash",
                               identity->definition_hash ? identity->definition_hash : "", "mapIndex", index,
                               identity->role_arn ? "roleArn" : NULL, identity->role_arn, NULL);
    if (result == 0 && identity->mock_test_case) /* its Tasks answer from the parent's test case */
        result = add_arguments(write, "mockTestCase", identity->mock_test_case, NULL);
    return result;
}

int map_run_commit_child(struct map_run_commit *commit, const char *map_run_arn,
                         const struct execution_record *identity, const struct fork_child *child, int64_t now_ms,
                         char child_id[MAP_RUN_ID_SIZE])
{
    const char *run_id = map_run_id(map_run_arn);
    const char *uuid = run_id ? strrchr(run_id, ':') : NULL;
    const char *input = child->step->state_input;
    char prefix[MAP_RUN_ID_SIZE];
    if (!uuid || !input || !identity || !identity->state_machine_arn)
        return -EINVAL;
    snprintf(prefix, sizeof(prefix), "%.*s", (int)(uuid - run_id + 1), run_id);
    int result = draw_id(prefix, execution_store_shard(run_id), child_id);
    if (result < 0)
        return result;
    const char *now = keep_format(commit, "%lld", (long long)now_ms);
    const char *event = keep(commit, started_event(identity, input, now_ms));
    const char *arn = now ? keep_format(commit, "%.*s:execution:%s",
                                        (int)(strstr(map_run_arn, ":mapRun:") - map_run_arn), map_run_arn, child_id)
                          : NULL;
    if (!now || !event || !arn)
        return -ENOMEM;
    if ((result = add_child_record(commit, map_run_arn, identity, child_id, input, now, child->map_index)) < 0)
        return result;
    struct store_write *history = add_write(commit, "RPUSH", execution_store_history_key, child_id);
    struct store_write *index = history ? add_write(commit, "ZADD", map_run_store_executions_key, run_id) : NULL;
    struct store_write *count = index ? add_write(commit, "HINCRBY", map_run_store_key, run_id) : NULL;
    if (!count || add_arguments(history, event, NULL) < 0 || add_arguments(index, now, arn, NULL) < 0
        || add_arguments(count, "running", "1", NULL) < 0)
        return -ENOMEM;
    return 0;
}

/* The keys UpdateMapRun signals the fork through: its record's, the shard's timers and its timer member. */
static int add_fork_keys(struct map_run_commit *commit, struct store_write *record, const char *execution_id,
                         const char *branch_id)
{
    char key[EXECUTION_STORE_BRANCH_KEY_SIZE], timers[64], member[EXECUTION_STORE_BRANCH_KEY_SIZE];
    int result = branch_id[0] ? execution_store_branch_key(execution_id, branch_id, key, sizeof(key))
                              : execution_store_key(execution_id, key, sizeof(key));
    if (result == 0)
        result = execution_store_timers_key(execution_store_shard(execution_id), timers, sizeof(timers));
    if (result == 0)
        result = execution_store_timer_member(execution_id, branch_id, member, sizeof(member));
    const char *kept_key = result == 0 ? keep(commit, strdup(key)) : NULL;
    const char *kept_timers = kept_key ? keep(commit, strdup(timers)) : NULL;
    const char *kept_member = kept_timers ? keep(commit, strdup(member)) : NULL;
    if (!kept_member)
        return result < 0 ? result : -ENOMEM;
    return add_arguments(record, MAP_RUN_FIELD_FORK_RECORD, kept_key, MAP_RUN_FIELD_FORK_TIMERS, kept_timers,
                         MAP_RUN_FIELD_FORK_TIMER, kept_member, NULL);
}

int map_run_commit_continue(struct map_run_commit *commit, const struct execution_record *fork, const char *branch_id,
                            const struct interpreter_step *step, int64_t now_ms)
{
    const char *run_id = map_run_id(fork->map_run_arn);
    char execution_id[MAP_RUN_ID_SIZE];
    if (!run_id)
        return 0; /* not a distributed Map */
    const char *start = keep_format(commit, "%lld", (long long)fork->state_entered_ms);
    const char *now = keep_format(commit, "%lld", (long long)now_ms);
    const char *items = keep_format(commit, "%ld", fork->fork_length);
    const char *concurrency = keep_format(commit, "%ld", step->map_run_max_concurrency);
    const char *count = keep_format(commit, "%ld", step->map_run_tolerated_count);
    const char *percentage = keep_format(commit, "%g", step->map_run_tolerated_percentage);
    const char *colon = fork->arn ? strstr(fork->arn, ":execution:") : NULL;
    if (!start || !now || !items || !concurrency || !count || !percentage || !colon)
        return -ENOMEM;
    snprintf(execution_id, sizeof(execution_id), "%s", colon + 11);
    struct store_write *record = add_write(commit, "HSETNX*", map_run_store_key, run_id);
    struct store_write *index = record ? add_write(commit, "ZADD", map_run_store_runs_key, execution_id) : NULL;
    if (!index
        || add_arguments(record, "mapRunArn", fork->map_run_arn, "executionArn", fork->arn, "stateMachineArn",
                         fork->state_machine_arn, "status", "RUNNING", "startDate", start, "itemCount", items,
                         "maxConcurrency", concurrency, "toleratedFailureCount", count, "toleratedFailurePercentage",
                         percentage, NULL)
               < 0
        || add_fork_keys(commit, record, execution_id, branch_id) < 0
        || add_arguments(index, start, fork->map_run_arn, NULL) < 0)
        return -ENOMEM;
    if (!step->map_run_ended)
        return 0;
    struct store_write *end = add_write(commit, "HSET", map_run_store_key, run_id);
    if (!end || add_arguments(end, "status", step->map_run_failed ? "FAILED" : "SUCCEEDED", "stopDate", now, NULL) < 0)
        return -ENOMEM;
    return 0;
}

/* The ExecutionRedriven event of a child execution whose history holds last_event_id events, or NULL. */
static char *redriven_event(long redrive_count, long last_event_id, int64_t now_ms)
{
    cJSON *event = cJSON_CreateObject();
    cJSON *details = cJSON_CreateObject();
    char *text = NULL;
    if (event && details && cJSON_AddNumberToObject(details, "redriveCount", (double)redrive_count)
        && cJSON_AddNumberToObject(event, "id", (double)(last_event_id + 1))
        && cJSON_AddNumberToObject(event, "previousEventId", (double)last_event_id)
        && cJSON_AddNumberToObject(event, "timestamp", (double)now_ms / 1000.0)
        && cJSON_AddStringToObject(event, "type", "ExecutionRedriven")
        && cJSON_AddItemToObject(event, "executionRedrivenEventDetails", details)) {
        details = NULL;
        text = cJSON_PrintUnformatted(event);
    }
    cJSON_Delete(details);
    cJSON_Delete(event);
    return text;
}

/* The lower-case Map Run counter of a child execution's ended status ("failed", "aborted", "timed_out"), or NULL. */
static const char *counter_of(struct map_run_commit *commit, const char *status)
{
    char *counter = strdup(status);
    for (char *at = counter; at && *at; at++)
        *at = (char)(*at >= 'A' && *at <= 'Z' ? *at - 'A' + 'a' : *at);
    return keep(commit, counter);
}

int map_run_commit_redrive_child(struct map_run_commit *commit, const char *map_run_arn,
                                 const struct map_run_redriven_child *child, int64_t now_ms)
{
    const char *run_id = map_run_id(map_run_arn);
    const char *count = keep_format(commit, "%ld", child->redrive_count);
    const char *now = keep_format(commit, "%lld", (long long)now_ms);
    const char *event = keep(commit, redriven_event(child->redrive_count, child->last_event_id, now_ms));
    const char *counter = counter_of(commit, child->status);
    if (!run_id)
        return -EINVAL;
    if (!count || !now || !event || !counter)
        return -ENOMEM;
    struct store_write *record = add_write(commit, "HSET", execution_store_key, child->id);
    struct store_write *ended = record ? add_write(commit, "HDEL", execution_store_key, child->id) : NULL;
    struct store_write *history = ended ? add_write(commit, "RPUSH", execution_store_history_key, child->id) : NULL;
    struct store_write *running = history ? add_write(commit, "HINCRBY", map_run_store_key, run_id) : NULL;
    struct store_write *unsuccessful = running ? add_write(commit, "HINCRBY", map_run_store_key, run_id) : NULL;
    if (!unsuccessful || add_arguments(record, "status", "RUNNING", "redriveCount", count, "redriveDate", now, NULL) < 0
        || add_arguments(ended, "stopDate", "output", "error", "cause", NULL) < 0
        || add_arguments(history, event, NULL) < 0 || add_arguments(running, MAP_RUN_FIELD_RUNNING, "1", NULL) < 0
        || add_arguments(unsuccessful, counter, "-1", NULL) < 0)
        return -ENOMEM;
    return 0;
}

int map_run_commit_redrive(struct map_run_commit *commit, const char *map_run_arn, int64_t now_ms)
{
    const char *run_id = map_run_id(map_run_arn);
    const char *now = keep_format(commit, "%lld", (long long)now_ms);
    if (!run_id)
        return -EINVAL;
    struct store_write *record = now ? add_write(commit, "HSET", map_run_store_key, run_id) : NULL;
    struct store_write *ended = record ? add_write(commit, "HDEL", map_run_store_key, run_id) : NULL;
    struct store_write *count = ended ? add_write(commit, "HINCRBY", map_run_store_key, run_id) : NULL;
    if (!count || add_arguments(record, MAP_RUN_FIELD_STATUS, "RUNNING", MAP_RUN_FIELD_REDRIVE_DATE, now, NULL) < 0
        || add_arguments(ended, MAP_RUN_FIELD_STOP_DATE, NULL) < 0
        || add_arguments(count, MAP_RUN_FIELD_REDRIVE_COUNT, "1", NULL) < 0)
        return -ENOMEM;
    return 0;
}

void map_run_commit_reset(struct map_run_commit *commit)
{
    for (size_t i = 0; i < commit->text_count; i++)
        free(commit->texts[i]);
    free(commit->texts);
    free(commit->writes);
    memset(commit, 0, sizeof(*commit));
}
