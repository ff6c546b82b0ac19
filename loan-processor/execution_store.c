/* execution_store - see execution_store.h. */
#include "execution_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIMERS_KEY "sfn:timers"

/*
 * Makes the timers sorted set agree with a record: the execution is due at
 * its timerDue while it runs and has one, and absent otherwise. Every script
 * that changes a record ends with it, so the two never disagree.
 */
#define MIRROR_TIMER_LUA                                                                              \
    "local function mirror_timer(record, timers, member)\n"                                         \
    "  local due = redis.call('HGET', record, 'timerDue')\n"                                        \
    "  if due and redis.call('HGET', record, 'status') == 'RUNNING' then\n"                        \
    "    redis.call('ZADD', timers, due, member)\n"                                                 \
    "  else\n"                                                                                      \
    "    redis.call('ZREM', timers, member)\n"                                                      \
    "  end\n"                                                                                       \
    "end\n"

/*
 * KEYS[1] record, KEYS[2] history, KEYS[3] timers. ARGV[1] = the execution
 * id (the timer's member), ARGV[2] = number of events n, then n events, then
 * field/value pairs. Returns {1} when created, or {0, fields...} (HGETALL of
 * the existing record) when the id is taken.
 */
static struct redis_script create_script = {
    .name = "create-execution",
    .source =
        MIRROR_TIMER_LUA
        "if redis.call('EXISTS', KEYS[1]) == 1 then\n"
        "  local existing = redis.call('HGETALL', KEYS[1])\n"
        "  table.insert(existing, 1, 0)\n"
        "  return existing\n"
        "end\n"
        "local n = tonumber(ARGV[2])\n"
        "for i = 3, n + 2 do redis.call('RPUSH', KEYS[2], ARGV[i]) end\n"
        "local fields = {}\n"
        "for i = n + 3, #ARGV do fields[#fields + 1] = ARGV[i] end\n"
        "redis.call('HSET', KEYS[1], unpack(fields))\n"
        "mirror_timer(KEYS[1], KEYS[3], ARGV[1])\n"
        "return {1}\n",
};

/*
 * KEYS[1] record, KEYS[2] history, KEYS[3] timers. ARGV: expected
 * lastEventId, required token ('' for none), number of events, number of
 * field/value pairs, number of fields to delete, the execution id, then the
 * events, pairs and fields.
 */
static struct redis_script commit_script = {
    .name = "commit-execution",
    .source =
        MIRROR_TIMER_LUA
        "local last = redis.call('HGET', KEYS[1], 'lastEventId')\n"
        "if not last then return -2 end\n"
        "if ARGV[2] ~= '' and redis.call('HGET', KEYS[1], 'taskToken') ~= ARGV[2] then return -1 end\n"
        "if last ~= ARGV[1] then return 0 end\n"
        "local events, pairs, deletes = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])\n"
        "local at = 7\n"
        "for i = 1, events do redis.call('RPUSH', KEYS[2], ARGV[at]); at = at + 1 end\n"
        "if pairs > 0 then\n"
        "  local fields = {}\n"
        "  for i = 1, pairs * 2 do fields[i] = ARGV[at]; at = at + 1 end\n"
        "  redis.call('HSET', KEYS[1], unpack(fields))\n"
        "end\n"
        "if deletes > 0 then\n"
        "  local fields = {}\n"
        "  for i = 1, deletes do fields[i] = ARGV[at]; at = at + 1 end\n"
        "  redis.call('HDEL', KEYS[1], unpack(fields))\n"
        "end\n"
        "mirror_timer(KEYS[1], KEYS[3], ARGV[6])\n"
        "return 1\n",
};

/*
 * SendTaskHeartbeat. KEYS[1] record, KEYS[2] timers. ARGV: token, now (ms),
 * the execution id. Moves the heartbeat deadline of the open task to now +
 * its interval (and the timer to the earlier of that and the task's
 * timeout). Returns 1, -1 when the token is not the open one, -2 when there
 * is no such execution.
 */
static struct redis_script heartbeat_script = {
    .name = "heartbeat-task",
    .source =
        MIRROR_TIMER_LUA
        "if redis.call('EXISTS', KEYS[1]) == 0 then return -2 end\n"
        "local record = redis.call('HMGET', KEYS[1], 'status', 'taskToken', 'heartbeatIntervalMs', 'taskTimeoutDate')\n"
        "if record[1] ~= 'RUNNING' or record[2] ~= ARGV[1] then return -1 end\n"
        "if record[3] then\n"
        "  local heartbeat = tonumber(ARGV[2]) + tonumber(record[3])\n"
        "  local due = heartbeat\n"
        "  if record[4] and tonumber(record[4]) < due then due = tonumber(record[4]) end\n"
        "  redis.call('HSET', KEYS[1], 'heartbeatDate', string.format('%d', heartbeat), 'timerDue', string.format('%d', due))\n"
        "  mirror_timer(KEYS[1], KEYS[2], ARGV[3])\n"
        "end\n"
        "return 1\n",
};

/*
 * Claims the timers that are due. KEYS[1] timers. ARGV: now (ms), lease
 * (ms), most to claim. Each claimed timer is pushed to now + lease, so that
 * if its claimer dies it fires again then; handling it rewrites it from the
 * record. Returns {ids..., next}: next is the earliest remaining due time,
 * or '' when no timer is left.
 */
static struct redis_script claim_script = {
    .name = "claim-timers",
    .source =
        "local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))\n"
        "local lease = string.format('%d', tonumber(ARGV[1]) + tonumber(ARGV[2]))\n"
        "for _, member in ipairs(due) do redis.call('ZADD', KEYS[1], lease, member) end\n"
        "local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')\n"
        "due[#due + 1] = head[2] or ''\n"
        "return due\n",
};

/* Rewrites one execution's timer from its record. KEYS[1] record, KEYS[2] timers, ARGV[1] the id. */
static struct redis_script restore_timer_script = {
    .name = "restore-timer",
    .source =
        MIRROR_TIMER_LUA
        "mirror_timer(KEYS[1], KEYS[2], ARGV[1])\n"
        "return 1\n",
};

int execution_store_init(struct redis_client *client)
{
    struct redis_script *const scripts[] = { &create_script, &commit_script, &heartbeat_script, &claim_script,
                                              &restore_timer_script };
    return redis_client_add_scripts(client, scripts, sizeof(scripts) / sizeof(scripts[0]));
}

void execution_store_key(const char *execution_id, char *out, size_t size)
{
    snprintf(out, size, "sfn:execution:{%s}", execution_id);
}

void execution_store_history_key(const char *execution_id, char *out, size_t size)
{
    snprintf(out, size, "sfn:execution:{%s}:history", execution_id);
}

int execution_store_id_from_arn(const char *execution_arn, char *out, size_t size)
{
    static const char marker[] = ":execution:";
    const char *found = execution_arn ? strstr(execution_arn, marker) : NULL;
    if (!found || strncmp(execution_arn, "arn:", 4) != 0)
        return -EINVAL;
    const char *id = found + sizeof(marker) - 1;
    const char *colon = strchr(id, ':');
    if (!colon || colon == id || !colon[1] || strchr(colon + 1, ':') || strlen(id) >= size)
        return -EINVAL;
    strcpy(out, id);
    return 0;
}

void execution_store_record_free(struct execution_record *record)
{
    if (!record)
        return;
    char **strings[] = { &record->arn, &record->state_machine_arn, &record->name, &record->status,
                         &record->input, &record->output, &record->error, &record->cause,
                         &record->role_arn, &record->state, &record->state_input, &record->task_token,
                         &record->task_resource, &record->resting, &record->retry_counts };
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
        free(*strings[i]);
    free(record);
}

/* Maps one hash field onto the record; unknown fields are ignored. */
static int record_set(struct execution_record *record, const char *name, const redisReply *value)
{
    static const struct {
        const char *name;
        size_t offset;
    } string_fields[] = {
        { "arn", offsetof(struct execution_record, arn) },
        { "stateMachineArn", offsetof(struct execution_record, state_machine_arn) },
        { "name", offsetof(struct execution_record, name) },
        { "status", offsetof(struct execution_record, status) },
        { "input", offsetof(struct execution_record, input) },
        { "output", offsetof(struct execution_record, output) },
        { "error", offsetof(struct execution_record, error) },
        { "cause", offsetof(struct execution_record, cause) },
        { "roleArn", offsetof(struct execution_record, role_arn) },
        { "state", offsetof(struct execution_record, state) },
        { "stateInput", offsetof(struct execution_record, state_input) },
        { "taskToken", offsetof(struct execution_record, task_token) },
        { "taskResource", offsetof(struct execution_record, task_resource) },
        { "resting", offsetof(struct execution_record, resting) },
        { "retryCounts", offsetof(struct execution_record, retry_counts) },
    };
    static const struct {
        const char *name;
        size_t offset;
    } time_fields[] = {
        { "startDate", offsetof(struct execution_record, start_ms) },
        { "stopDate", offsetof(struct execution_record, stop_ms) },
        { "stateEnteredDate", offsetof(struct execution_record, state_entered_ms) },
        { "timerDue", offsetof(struct execution_record, timer_due_ms) },
        { "taskTimeoutDate", offsetof(struct execution_record, task_timeout_ms) },
        { "heartbeatDate", offsetof(struct execution_record, heartbeat_due_ms) },
        { "heartbeatIntervalMs", offsetof(struct execution_record, heartbeat_interval_ms) },
    };
    for (size_t i = 0; i < sizeof(string_fields) / sizeof(string_fields[0]); i++) {
        if (strcmp(name, string_fields[i].name) == 0) {
            char **slot = (char **)((char *)record + string_fields[i].offset);
            free(*slot);
            *slot = strndup(value->str, value->len);
            return *slot ? 0 : -ENOMEM;
        }
    }
    long long number = strtoll(value->str, NULL, 10);
    for (size_t i = 0; i < sizeof(time_fields) / sizeof(time_fields[0]); i++) {
        if (strcmp(name, time_fields[i].name) == 0)
            *(int64_t *)(void *)((char *)record + time_fields[i].offset) = number;
    }
    if (strcmp(name, "lastEventId") == 0)
        record->last_event_id = (long)number;
    else if (strcmp(name, "stateEnteredEventId") == 0)
        record->state_entered_event_id = (long)number;
    return 0;
}

/* Builds a record from HGETALL's flat name/value array, starting at first. */
static int record_from_reply(const redisReply *reply, size_t first, struct execution_record **record_out)
{
    struct execution_record *record = calloc(1, sizeof(*record));
    if (!record)
        return -ENOMEM;
    for (size_t i = first; i + 1 < reply->elements; i += 2) {
        const redisReply *name = reply->element[i], *value = reply->element[i + 1];
        if (name->type != REDIS_REPLY_STRING || value->type != REDIS_REPLY_STRING)
            continue;
        if (record_set(record, name->str, value) < 0) {
            execution_store_record_free(record);
            return -ENOMEM;
        }
    }
    *record_out = record;
    return 0;
}

struct load_request {
    store_load_callback callback;
    void *data;
};

static void on_loaded(redisReply *reply, void *data)
{
    struct load_request *request = data;
    struct execution_record *record = NULL;
    int status = -EIO;
    if (reply && reply->type == REDIS_REPLY_ARRAY) {
        status = reply->elements == 0 ? 0 : record_from_reply(reply, 0, &record);
        if (status < 0)
            status = -EIO;
    }
    request->callback(status, record, request->data);
    free(request);
}

int execution_store_load(struct redis_client *client, const char *execution_id, store_load_callback callback,
                         void *data)
{
    char key[256];
    execution_store_key(execution_id, key, sizeof(key));
    struct load_request *request = malloc(sizeof(*request));
    if (!request)
        return -ENOMEM;
    request->callback = callback;
    request->data = data;
    const char *argv[] = { "HGETALL", key };
    int result = redis_client_command_strings(client, on_loaded, request, 2, argv);
    if (result < 0)
        free(request);
    return result;
}

/* Arguments for a script call, built up as owned strings. */
struct argument_list {
    char **values;
    size_t *lengths;
    size_t count;
    size_t capacity;
    bool failed;
};

static void arguments_add(struct argument_list *list, const char *value)
{
    if (list->failed)
        return;
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 16;
        char **values = realloc(list->values, capacity * sizeof(*values));
        size_t *lengths = values ? realloc(list->lengths, capacity * sizeof(*lengths)) : NULL;
        if (values)
            list->values = values;
        if (!values || !lengths) {
            list->failed = true;
            return;
        }
        list->lengths = lengths;
        list->capacity = capacity;
    }
    char *copy = strdup(value ? value : "");
    if (!copy) {
        list->failed = true;
        return;
    }
    list->values[list->count] = copy;
    list->lengths[list->count++] = strlen(copy);
}

static void arguments_add_number(struct argument_list *list, long long number)
{
    char text[32];
    snprintf(text, sizeof(text), "%lld", number);
    arguments_add(list, text);
}

static void arguments_add_events(struct argument_list *list, const cJSON *events)
{
    const cJSON *event;
    cJSON_ArrayForEach(event, events)
    {
        char *text = cJSON_PrintUnformatted(event);
        if (!text) {
            list->failed = true;
            return;
        }
        arguments_add(list, text);
        cJSON_free(text);
    }
}

static void arguments_release(struct argument_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->values[i]);
    free(list->values);
    free(list->lengths);
}

static int run_script(struct redis_client *client, struct redis_script *script, int key_count,
                      struct argument_list *list, redis_client_callback callback, void *data)
{
    int result = list->failed ? -ENOMEM
                              : redis_client_eval(client, script, callback, data, key_count, (int)list->count,
                                                  (const char **)list->values, list->lengths);
    arguments_release(list);
    return result;
}

struct create_request {
    struct redis_client *client;
    store_create_callback callback;
    void *data;
    char index_key[320];
    char start_score[32];
    char *arn;
};

static void on_indexed(redisReply *reply, void *data)
{
    (void)reply; /* the index only serves listings; a lost ZADD is not worth failing a start for */
    (void)data;
}

static void on_created(redisReply *reply, void *data)
{
    struct create_request *request = data;
    struct execution_record *record = NULL;
    int status = -EIO;
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1
        && reply->element[0]->type == REDIS_REPLY_INTEGER) {
        status = (int)reply->element[0]->integer;
        if (status == 0 && record_from_reply(reply, 1, &record) < 0)
            status = -EIO;
    }
    if (status == 1) {
        const char *argv[] = { "ZADD", request->index_key, request->start_score, request->arn };
        redis_client_command_strings(request->client, on_indexed, NULL, 4, argv);
    }
    request->callback(status, record, request->data);
    free(request->arn);
    free(request);
}

int execution_store_create(struct redis_client *client, const char *execution_id, const struct store_field *fields,
                           size_t field_count, const cJSON *events, const char *state_machine_arn,
                           int64_t start_ms, store_create_callback callback, void *data)
{
    struct create_request *request = calloc(1, sizeof(*request));
    struct argument_list list = { 0 };
    char key[256], history_key[256];
    if (!request)
        return -ENOMEM;
    request->client = client;
    request->callback = callback;
    request->data = data;
    snprintf(request->index_key, sizeof(request->index_key), "sfn:executions:%s", state_machine_arn);
    snprintf(request->start_score, sizeof(request->start_score), "%lld", (long long)start_ms);
    for (size_t i = 0; i < field_count; i++) {
        if (strcmp(fields[i].name, "arn") == 0)
            request->arn = strdup(fields[i].value);
    }
    execution_store_key(execution_id, key, sizeof(key));
    execution_store_history_key(execution_id, history_key, sizeof(history_key));
    arguments_add(&list, key);
    arguments_add(&list, history_key);
    arguments_add(&list, TIMERS_KEY);
    arguments_add(&list, execution_id);
    arguments_add_number(&list, cJSON_GetArraySize(events));
    arguments_add_events(&list, events);
    for (size_t i = 0; i < field_count; i++) {
        arguments_add(&list, fields[i].name);
        arguments_add(&list, fields[i].value);
    }
    int result = request->arn ? run_script(client, &create_script, 3, &list, on_created, request)
                              : (arguments_release(&list), -EINVAL);
    if (result < 0) {
        free(request->arn);
        free(request);
    }
    return result;
}

struct commit_request {
    store_commit_callback callback;
    void *data;
};

static void on_committed(redisReply *reply, void *data)
{
    struct commit_request *request = data;
    int status = reply && reply->type == REDIS_REPLY_INTEGER ? (int)reply->integer : -EIO;
    request->callback(status, request->data);
    free(request);
}

/* Runs a script that answers one integer status (list is released in every case). Same contract as above. */
static int run_status_script(struct redis_client *client, struct redis_script *script, int key_count,
                             struct argument_list *list, store_commit_callback callback, void *data)
{
    struct commit_request *request = malloc(sizeof(*request));
    if (!request) {
        arguments_release(list);
        return -ENOMEM;
    }
    request->callback = callback;
    request->data = data;
    int result = run_script(client, script, key_count, list, on_committed, request);
    if (result < 0)
        free(request);
    return result;
}

int execution_store_commit(struct redis_client *client, const char *execution_id, long expected_last_event_id,
                           const char *required_token, const cJSON *events, const struct store_field *set,
                           size_t set_count, const char *const *delete_fields, size_t delete_count,
                           store_commit_callback callback, void *data)
{
    struct argument_list list = { 0 };
    char key[256], history_key[256];
    execution_store_key(execution_id, key, sizeof(key));
    execution_store_history_key(execution_id, history_key, sizeof(history_key));
    arguments_add(&list, key);
    arguments_add(&list, history_key);
    arguments_add(&list, TIMERS_KEY);
    arguments_add_number(&list, expected_last_event_id);
    arguments_add(&list, required_token ? required_token : "");
    arguments_add_number(&list, cJSON_GetArraySize(events));
    arguments_add_number(&list, (long long)set_count);
    arguments_add_number(&list, (long long)delete_count);
    arguments_add(&list, execution_id);
    arguments_add_events(&list, events);
    for (size_t i = 0; i < set_count; i++) {
        arguments_add(&list, set[i].name);
        arguments_add(&list, set[i].value);
    }
    for (size_t i = 0; i < delete_count; i++)
        arguments_add(&list, delete_fields[i]);
    return run_status_script(client, &commit_script, 3, &list, callback, data);
}

int execution_store_heartbeat(struct redis_client *client, const char *execution_id, const char *token,
                              int64_t now_ms, store_commit_callback callback, void *data)
{
    struct argument_list list = { 0 };
    char key[256];
    execution_store_key(execution_id, key, sizeof(key));
    arguments_add(&list, key);
    arguments_add(&list, TIMERS_KEY);
    arguments_add(&list, token);
    arguments_add_number(&list, now_ms);
    arguments_add(&list, execution_id);
    return run_status_script(client, &heartbeat_script, 2, &list, callback, data);
}

int execution_store_restore_timer(struct redis_client *client, const char *execution_id,
                                  store_commit_callback callback, void *data)
{
    struct argument_list list = { 0 };
    char key[256];
    execution_store_key(execution_id, key, sizeof(key));
    arguments_add(&list, key);
    arguments_add(&list, TIMERS_KEY);
    arguments_add(&list, execution_id);
    return run_status_script(client, &restore_timer_script, 2, &list, callback, data);
}

struct claim_request {
    store_claim_callback callback;
    void *data;
};

static void on_claimed(redisReply *reply, void *data)
{
    struct claim_request *request = data;
    bool valid = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1;
    const char *ids[STORE_MAX_CLAIMED_TIMERS];
    size_t count = 0;
    int64_t next_due_ms = -1;
    for (size_t i = 0; valid && i < reply->elements; i++)
        valid = reply->element[i]->type == REDIS_REPLY_STRING;
    if (valid) {
        const redisReply *next = reply->element[reply->elements - 1];
        if (next->len)
            next_due_ms = strtoll(next->str, NULL, 10);
        for (size_t i = 0; i + 1 < reply->elements && count < STORE_MAX_CLAIMED_TIMERS; i++)
            ids[count++] = reply->element[i]->str;
    }
    request->callback(valid ? 0 : -EIO, ids, count, next_due_ms, request->data);
    free(request);
}

int execution_store_claim_timers(struct redis_client *client, int64_t now_ms, int64_t lease_ms, size_t limit,
                                 store_claim_callback callback, void *data)
{
    struct claim_request *request = malloc(sizeof(*request));
    struct argument_list list = { 0 };
    if (!request)
        return -ENOMEM;
    request->callback = callback;
    request->data = data;
    arguments_add(&list, TIMERS_KEY);
    arguments_add_number(&list, now_ms);
    arguments_add_number(&list, lease_ms);
    arguments_add_number(&list, (long long)(limit < STORE_MAX_CLAIMED_TIMERS ? limit : STORE_MAX_CLAIMED_TIMERS));
    int result = run_script(client, &claim_script, 1, &list, on_claimed, request);
    if (result < 0)
        free(request);
    return result;
}
