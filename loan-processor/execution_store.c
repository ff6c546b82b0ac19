/* execution_store - see execution_store.h. */
#include "execution_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_arguments.h"

#define TIMERS_KEY "sfn:timers"
#define RECORD_KEY_PREFIX "sfn:execution:"
/* A listing looks at most this many index entries beyond the page it returns (a status filter may skip them). */
#define LIST_SCAN_EXTRA 1000

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
 * KEYS[1] record, KEYS[2] history, KEYS[3] timers, KEYS[4] the state
 * machine's index. ARGV[1] = the execution id (the timer's member),
 * ARGV[2] = its start (ms, the index's score), ARGV[3] = its ARN (the
 * index's member), ARGV[4] = number of events n, then n events, then
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
        "local n = tonumber(ARGV[4])\n"
        "for i = 5, n + 4 do redis.call('RPUSH', KEYS[2], ARGV[i]) end\n"
        "local fields = {}\n"
        "for i = n + 5, #ARGV do fields[#fields + 1] = ARGV[i] end\n"
        "redis.call('HSET', KEYS[1], unpack(fields))\n"
        "redis.call('ZADD', KEYS[4], ARGV[2], ARGV[3])\n"
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
 * timeout and its start lease, if any). Returns 1, -1 when the token is
 * not the open one, -2 when there is no such execution.
 */
static struct redis_script heartbeat_script = {
    .name = "heartbeat-task",
    .source =
        MIRROR_TIMER_LUA
        "if redis.call('EXISTS', KEYS[1]) == 0 then return -2 end\n"
        "local record = redis.call('HMGET', KEYS[1], 'status', 'taskToken', 'heartbeatIntervalMs', 'taskTimeoutDate',\n"
        "                          'taskStartDue')\n"
        "if record[1] ~= 'RUNNING' or record[2] ~= ARGV[1] then return -1 end\n"
        "if record[3] then\n"
        "  local heartbeat = tonumber(ARGV[2]) + tonumber(record[3])\n"
        "  local due = heartbeat\n"
        "  if record[4] and tonumber(record[4]) < due then due = tonumber(record[4]) end\n"
        "  if record[5] and tonumber(record[5]) < due then due = tonumber(record[5]) end\n"
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

/*
 * ListExecutions: one page of a state machine's index, newest first.
 * KEYS[1] the index. ARGV: the cursor's score and member ('' for the
 * newest), most to return, status to keep ('' for all), most index entries
 * to look at. Returns {next, then arn, name, status, startDate, stopDate
 * ('' while running) per execution}; next is "<score>:<member>" of the last
 * entry looked at, or '' when the index has no more. Entries tied with the
 * cursor's score come in reverse member order, so those at or above the
 * cursor's member were on earlier pages. It reads the records (other keys)
 * but changes nothing.
 */
static struct redis_script list_script = {
    .name = "list-executions",
    .source =
        "local max, limit = tonumber(ARGV[3]), tonumber(ARGV[5])\n"
        "local top = '+inf'\n"
        "if ARGV[1] ~= '' then top = ARGV[1] end\n"
        "local entries = redis.call('ZREVRANGEBYSCORE', KEYS[1], top, '-inf', 'WITHSCORES', 'LIMIT', 0, limit)\n"
        "local out, found, last = {''}, 0, nil\n"
        "for i = 1, #entries, 2 do\n"
        "  local member, score = entries[i], entries[i + 1]\n"
        "  if not (score == ARGV[1] and member >= ARGV[2]) then\n"
        "    if found == max then out[1] = last; return out end\n"
        "    local id = string.match(member, ':execution:(.+)$')\n"
        "    local record = id and redis.call('HMGET', '" RECORD_KEY_PREFIX "{' .. id .. '}',\n"
        "                                     'name', 'status', 'startDate', 'stopDate')\n"
        "    if record and record[2] and (ARGV[4] == '' or record[2] == ARGV[4]) then\n"
        "      for _, value in ipairs({member, record[1] or '', record[2], record[3] or '0', record[4] or ''}) do\n"
        "        out[#out + 1] = value\n"
        "      end\n"
        "      found = found + 1\n"
        "    end\n"
        "    last = score .. ':' .. member\n"
        "  end\n"
        "end\n"
        "if #entries == 2 * limit and last then out[1] = last end\n"
        "return out\n",
};

int execution_store_init(struct redis_client *client)
{
    struct redis_script *const scripts[] = { &create_script, &commit_script, &heartbeat_script, &claim_script,
                                              &restore_timer_script, &list_script };
    return redis_client_add_scripts(client, scripts, sizeof(scripts) / sizeof(scripts[0]));
}

void execution_store_key(const char *execution_id, char *out, size_t size)
{
    snprintf(out, size, RECORD_KEY_PREFIX "{%s}", execution_id);
}

void execution_store_history_key(const char *execution_id, char *out, size_t size)
{
    snprintf(out, size, RECORD_KEY_PREFIX "{%s}:history", execution_id);
}

void execution_store_record_free(struct execution_record *record)
{
    if (!record)
        return;
    char **strings[] = { &record->arn, &record->state_machine_arn, &record->name, &record->status,
                         &record->input, &record->output, &record->error, &record->cause,
                         &record->role_arn, &record->state, &record->state_input, &record->task_token,
                         &record->task_resource, &record->resting, &record->retry_counts,
                         &record->definition_hash, &record->task_parameters };
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
        { "definitionHash", offsetof(struct execution_record, definition_hash) },
        { "taskParameters", offsetof(struct execution_record, task_parameters) },
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
        { "taskStartDue", offsetof(struct execution_record, task_start_due_ms) },
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

/* Appends each event of the array as JSON text. */
static void arguments_add_events(struct store_arguments *list, const cJSON *events)
{
    const cJSON *event;
    cJSON_ArrayForEach(event, events)
    {
        char *text = cJSON_PrintUnformatted(event);
        if (!text) {
            list->failed = true;
            return;
        }
        store_arguments_add(list, text);
        cJSON_free(text);
    }
}

struct create_request {
    store_create_callback callback;
    void *data;
};

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
    request->callback(status, record, request->data);
    free(request);
}

void execution_store_index_key(const char *state_machine_arn, char *out, size_t size)
{
    snprintf(out, size, "sfn:executions:%s", state_machine_arn);
}

int execution_store_create(struct redis_client *client, const char *execution_id, const struct store_field *fields,
                           size_t field_count, const cJSON *events, const char *state_machine_arn,
                           int64_t start_ms, store_create_callback callback, void *data)
{
    struct create_request *request = calloc(1, sizeof(*request));
    struct store_arguments list = { 0 };
    char key[256], history_key[256], index_key[320];
    const char *arn = NULL;
    if (!request)
        return -ENOMEM;
    request->callback = callback;
    request->data = data;
    for (size_t i = 0; i < field_count; i++) {
        if (strcmp(fields[i].name, "arn") == 0)
            arn = fields[i].value;
    }
    execution_store_key(execution_id, key, sizeof(key));
    execution_store_history_key(execution_id, history_key, sizeof(history_key));
    execution_store_index_key(state_machine_arn, index_key, sizeof(index_key));
    store_arguments_add(&list, key);
    store_arguments_add(&list, history_key);
    store_arguments_add(&list, TIMERS_KEY);
    store_arguments_add(&list, index_key);
    store_arguments_add(&list, execution_id);
    store_arguments_add_number(&list, start_ms);
    store_arguments_add(&list, arn);
    store_arguments_add_number(&list, cJSON_GetArraySize(events));
    arguments_add_events(&list, events);
    for (size_t i = 0; i < field_count; i++) {
        store_arguments_add(&list, fields[i].name);
        store_arguments_add(&list, fields[i].value);
    }
    int result = arn ? store_arguments_eval(client, &create_script, 4, &list, on_created, request)
                     : (store_arguments_release(&list), -EINVAL);
    if (result < 0)
        free(request);
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
                             struct store_arguments *list, store_commit_callback callback, void *data)
{
    struct commit_request *request = malloc(sizeof(*request));
    if (!request) {
        store_arguments_release(list);
        return -ENOMEM;
    }
    request->callback = callback;
    request->data = data;
    int result = store_arguments_eval(client, script, key_count, list, on_committed, request);
    if (result < 0)
        free(request);
    return result;
}

int execution_store_commit(struct redis_client *client, const char *execution_id, long expected_last_event_id,
                           const char *required_token, const cJSON *events, const struct store_field *set,
                           size_t set_count, const char *const *delete_fields, size_t delete_count,
                           store_commit_callback callback, void *data)
{
    struct store_arguments list = { 0 };
    char key[256], history_key[256];
    execution_store_key(execution_id, key, sizeof(key));
    execution_store_history_key(execution_id, history_key, sizeof(history_key));
    store_arguments_add(&list, key);
    store_arguments_add(&list, history_key);
    store_arguments_add(&list, TIMERS_KEY);
    store_arguments_add_number(&list, expected_last_event_id);
    store_arguments_add(&list, required_token ? required_token : "");
    store_arguments_add_number(&list, cJSON_GetArraySize(events));
    store_arguments_add_number(&list, (long long)set_count);
    store_arguments_add_number(&list, (long long)delete_count);
    store_arguments_add(&list, execution_id);
    arguments_add_events(&list, events);
    for (size_t i = 0; i < set_count; i++) {
        store_arguments_add(&list, set[i].name);
        store_arguments_add(&list, set[i].value);
    }
    for (size_t i = 0; i < delete_count; i++)
        store_arguments_add(&list, delete_fields[i]);
    return run_status_script(client, &commit_script, 3, &list, callback, data);
}

int execution_store_heartbeat(struct redis_client *client, const char *execution_id, const char *token,
                              int64_t now_ms, store_commit_callback callback, void *data)
{
    struct store_arguments list = { 0 };
    char key[256];
    execution_store_key(execution_id, key, sizeof(key));
    store_arguments_add(&list, key);
    store_arguments_add(&list, TIMERS_KEY);
    store_arguments_add(&list, token);
    store_arguments_add_number(&list, now_ms);
    store_arguments_add(&list, execution_id);
    return run_status_script(client, &heartbeat_script, 2, &list, callback, data);
}

int execution_store_restore_timer(struct redis_client *client, const char *execution_id,
                                  store_commit_callback callback, void *data)
{
    struct store_arguments list = { 0 };
    char key[256];
    execution_store_key(execution_id, key, sizeof(key));
    store_arguments_add(&list, key);
    store_arguments_add(&list, TIMERS_KEY);
    store_arguments_add(&list, execution_id);
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
    struct store_arguments list = { 0 };
    if (!request)
        return -ENOMEM;
    request->callback = callback;
    request->data = data;
    store_arguments_add(&list, TIMERS_KEY);
    store_arguments_add_number(&list, now_ms);
    store_arguments_add_number(&list, lease_ms);
    store_arguments_add_number(&list, (long long)(limit < STORE_MAX_CLAIMED_TIMERS ? limit : STORE_MAX_CLAIMED_TIMERS));
    int result = store_arguments_eval(client, &claim_script, 1, &list, on_claimed, request);
    if (result < 0)
        free(request);
    return result;
}

bool execution_store_cursor_valid(const char *cursor, const char *execution_arn_prefix)
{
    const char *colon = strchr(cursor, ':');
    if (!colon || colon == cursor || (size_t)(colon - cursor) > 19)
        return false;
    for (const char *digit = cursor; digit < colon; digit++) {
        if (*digit < '0' || *digit > '9')
            return false;
    }
    return strncmp(colon + 1, execution_arn_prefix, strlen(execution_arn_prefix)) == 0
           && strlen(colon + 1) > strlen(execution_arn_prefix);
}

struct list_request {
    store_list_callback callback;
    void *data;
};

/* The number of executions in a listing's reply ({next, then five strings per execution}), or -1 for another shape. */
static long listing_count(const redisReply *reply)
{
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 || (reply->elements - 1) % 5 != 0
        || (reply->elements - 1) / 5 > EXECUTION_STORE_MAX_LISTED)
        return -1;
    for (size_t i = 0; i < reply->elements; i++) {
        if (reply->element[i]->type != REDIS_REPLY_STRING)
            return -1;
    }
    return (long)((reply->elements - 1) / 5);
}

static void on_listed(redisReply *reply, void *data)
{
    struct list_request *request = data;
    long count = listing_count(reply);
    struct execution_summary *items = count >= 0 ? calloc((size_t)count + 1, sizeof(*items)) : NULL;
    for (long i = 0; items && i < count; i++) {
        redisReply *const *fields = reply->element + 1 + 5 * i;
        items[i] = (struct execution_summary){
            .arn = fields[0]->str,
            .name = fields[1]->str,
            .status = fields[2]->str,
            .start_ms = strtoll(fields[3]->str, NULL, 10),
            .stop_ms = strtoll(fields[4]->str, NULL, 10),
        };
    }
    if (items)
        request->callback(0, items, (size_t)count, reply->element[0]->len ? reply->element[0]->str : NULL,
                          request->data);
    else
        request->callback(count >= 0 ? -ENOMEM : -EIO, NULL, 0, NULL, request->data);
    free(items);
    free(request);
}

int execution_store_list(struct redis_client *client, const char *state_machine_arn, const char *cursor,
                         size_t max_results, const char *status, store_list_callback callback, void *data)
{
    struct list_request *request = malloc(sizeof(*request));
    struct store_arguments list = { 0 };
    char index_key[320], score[24] = "";
    const char *member = "";
    if (!request)
        return -ENOMEM;
    if (max_results == 0 || max_results > EXECUTION_STORE_MAX_LISTED)
        max_results = EXECUTION_STORE_MAX_LISTED;
    if (cursor) {
        const char *colon = strchr(cursor, ':');
        if (colon && (size_t)(colon - cursor) < sizeof(score)) {
            snprintf(score, sizeof(score), "%.*s", (int)(colon - cursor), cursor);
            member = colon + 1;
        }
    }
    request->callback = callback;
    request->data = data;
    execution_store_index_key(state_machine_arn, index_key, sizeof(index_key));
    store_arguments_add(&list, index_key);
    store_arguments_add(&list, score);
    store_arguments_add(&list, member);
    store_arguments_add_number(&list, (long long)max_results);
    store_arguments_add(&list, status ? status : "");
    store_arguments_add_number(&list, (long long)(max_results + LIST_SCAN_EXTRA));
    int result = store_arguments_eval(client, &list_script, 1, &list, on_listed, request);
    if (result < 0)
        free(request);
    return result;
}
