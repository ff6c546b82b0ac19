/*
 * test_execution_store.c - loan-processor/store/execution_store's Lua
 * scripts and reads against a real redis-server: what each operation
 * answers (its outcome and status) and the keys it leaves in Redis, named
 * as docs/redis-layout.md names them.
 */
#include <errno.h>
#include <string.h>

#include "execution_store.h"
#include "redis_server.h"
#include "stored_history.h"
#include "test.h"

#define WAIT_MS 5000
#define MACHINE_ARN "arn:aws:states:us-east-1:123456789012:stateMachine:Machine"
#define EXECUTION_ARN_PREFIX "arn:aws:states:us-east-1:123456789012:execution:"
#define START_MS 1700000000000LL
#define TIMER_MS 1700000030000LL
#define TOKEN "token-1"

static struct redis_server server;
static struct event_loop *loop;
static struct redis_client *client;

/* What a store callback reported. */
static struct outcome {
    bool done;
    int calls;
    int status;
    bool created;
    enum execution_commit_outcome commit;
    long first_event_id;
    struct execution_record *record;
    char ids[4][64];
    size_t count;
    int64_t next_due_ms;
    char names[4][64];
    char statuses[4][16];
    char next[256];
    bool has_next;
    char events[4][256];
} outcome;

static void reset(void)
{
    execution_store_record_free(outcome.record);
    outcome = (struct outcome){ 0 };
}

static void finish(int status)
{
    outcome.done = true;
    outcome.calls++;
    outcome.status = status;
}

static void on_load(int status, struct execution_record *record, void *data)
{
    (void)data;
    finish(status);
    outcome.record = record;
}

static void on_create(int status, bool created, struct execution_record *existing, void *data)
{
    (void)data;
    finish(status);
    outcome.created = created;
    outcome.record = existing;
}

static void on_commit(int status, enum execution_commit_outcome result, void *data)
{
    (void)data;
    finish(status);
    outcome.commit = result;
}

static void on_commit_events(int status, enum execution_commit_outcome result, long first_event_id, void *data)
{
    on_commit(status, result, data);
    outcome.first_event_id = first_event_id;
}

static void on_claim(int status, const char *const *ids, size_t count, int64_t next_due_ms, void *data)
{
    (void)data;
    finish(status);
    outcome.count = count;
    outcome.next_due_ms = next_due_ms;
    for (size_t i = 0; i < count && i < 4; i++)
        snprintf(outcome.ids[i], sizeof(outcome.ids[i]), "%s", ids[i]);
}

static void on_list(int status, const struct execution_summary *items, size_t count, const char *next, void *data)
{
    (void)data;
    finish(status);
    outcome.count = count;
    for (size_t i = 0; i < count && i < 4; i++) {
        snprintf(outcome.names[i], sizeof(outcome.names[i]), "%s", items[i].name);
        snprintf(outcome.statuses[i], sizeof(outcome.statuses[i]), "%s", items[i].status);
    }
    outcome.has_next = next != NULL;
    snprintf(outcome.next, sizeof(outcome.next), "%s", next ? next : "");
}

static void on_history(int status, const char *const *events, size_t count, void *data)
{
    (void)data;
    finish(status);
    outcome.count = count;
    for (size_t i = 0; i < count && i < 4; i++)
        snprintf(outcome.events[i], sizeof(outcome.events[i]), "%s", events[i]);
}

/* Waits for the callback of an operation that returned result; false when it was not sent or not answered. */
static bool answered(int result)
{
    return result == 0 && redis_server_run_until_flag(loop, &outcome.done, WAIT_MS) && outcome.calls == 1;
}

/* The keys docs/redis-layout.md gives an execution (static buffers, one call's worth). */
static const char *record_key(const char *id)
{
    static char key[EXECUTION_STORE_KEY_SIZE];
    snprintf(key, sizeof(key), "{sfn:%02u}:execution:%s", execution_store_shard(id), id);
    return key;
}

static const char *history_key(const char *id)
{
    static char key[EXECUTION_STORE_KEY_SIZE];
    snprintf(key, sizeof(key), "{sfn:%02u}:history:%s", execution_store_shard(id), id);
    return key;
}

static const char *timers_key(const char *id)
{
    static char key[32];
    snprintf(key, sizeof(key), "{sfn:%02u}:timers", execution_store_shard(id));
    return key;
}

/* The string of field in id's record, or "" (static buffer). */
static const char *stored_field(const char *id, const char *field)
{
    static char value[256];
    char *text = redis_server_string(&server, "HGET %s %s", record_key(id), field);
    snprintf(value, sizeof(value), "%s", text ? text : "");
    free(text);
    return value;
}

/* The score of member in key, or -1 when it is not there. */
static long long stored_score(const char *key, const char *member)
{
    char *text = redis_server_string(&server, "ZSCORE %s %s", key, member);
    long long score = text ? strtoll(text, NULL, 10) : -1;
    free(text);
    return score;
}

/* The index-th event of id's history, or "" (static buffer). */
static const char *stored_event(const char *id, int index)
{
    static char value[256];
    redisReply *entry = redis_server_command(&server, "LINDEX %s %d", history_key(id), index);
    char *text = stored_history_event(entry, index);
    snprintf(value, sizeof(value), "%s", text ? text : "");
    free(text);
    if (entry)
        freeReplyObject(entry);
    return value;
}

static long long history_length(const char *id)
{
    return redis_server_integer(&server, "LLEN %s", history_key(id));
}

/* Most events one helper call commits. */
#define MAX_TEST_EVENTS 4

/* Events {"type":type0}, ...: count of them, each following the one before (borrowed until the next call). */
static struct execution_events events_from(const char *const *types, int count)
{
    static char bodies[MAX_TEST_EVENTS][128];
    static struct execution_event items[MAX_TEST_EVENTS];
    for (int i = 0; i < count && i < MAX_TEST_EVENTS; i++) {
        snprintf(bodies[i], sizeof(bodies[i]), "{\"type\":\"%s\"}", types[i]);
        items[i] = (struct execution_event){ "", bodies[i] };
    }
    return (struct execution_events){ items, (size_t)count, false, 0 };
}

/* Creates id with record and events; whether the call was answered. */
static bool create_with(const char *id, const struct execution_record *record, const struct execution_events *events)
{
    struct execution_fields fields;
    execution_record_fields(record, EXECUTION_FIELDS_ALL, &fields);
    reset();
    return answered(execution_store_create(client, id, record, &fields, events, on_create, NULL));
}

/* A running execution resting in a task (timer_ms 0: no timer), as created after its first two events. */
static struct execution_record running(const char *id, int64_t start_ms, int64_t timer_ms)
{
    static char arn[256], name[64];
    snprintf(arn, sizeof(arn), EXECUTION_ARN_PREFIX "%s", id);
    snprintf(name, sizeof(name), "%s", strchr(id, ':') + 1);
    return (struct execution_record){
        .arn = arn,
        .state_machine_arn = MACHINE_ARN,
        .name = name,
        .status = "RUNNING",
        .input = "{\"amount\":1}",
        .definition_hash = "hash-a",
        .start_ms = start_ms,
        .last_event_id = 2,
        .state = "Wait",
        .state_entered_event_id = 2,
        .state_entered_ms = start_ms,
        .state_input = "{\"amount\":1}",
        .task_token = TOKEN,
        .task_resource = "arn:aws:states:::lambda:invoke.waitForTaskToken",
        .resting = "task",
        .timer_due_ms = timer_ms,
        .task_timeout_ms = timer_ms,
    };
}

static bool create(const char *id, int64_t start_ms, int64_t timer_ms)
{
    static const char *const types[] = { "ExecutionStarted", "TaskStateEntered" };
    struct execution_record record = running(id, start_ms, timer_ms);
    struct execution_events events = events_from(types, 2);
    bool ok = create_with(id, &record, &events);
    return ok && outcome.status == 0 && outcome.created;
}

static void test_create_writes_the_record_history_index_entry_and_timer(void)
{
    const char *id = "Machine:exec-1";
    ASSERT_TRUE(create(id, START_MS, TIMER_MS));
    ASSERT_NULL(outcome.record);
    ASSERT_EQ_STR(EXECUTION_ARN_PREFIX "Machine:exec-1", stored_field(id, "arn"));
    ASSERT_EQ_STR(MACHINE_ARN, stored_field(id, "stateMachineArn"));
    ASSERT_EQ_STR("exec-1", stored_field(id, "name"));
    ASSERT_EQ_STR("RUNNING", stored_field(id, "status"));
    ASSERT_EQ_STR("{\"amount\":1}", stored_field(id, "input"));
    ASSERT_EQ_STR("1700000000000", stored_field(id, "startDate"));
    ASSERT_EQ_STR("2", stored_field(id, "lastEventId"));
    ASSERT_EQ_STR(TOKEN, stored_field(id, "taskToken"));
    ASSERT_EQ_STR("1700000030000", stored_field(id, "timerDue"));
    ASSERT_EQ_INT(0, redis_server_integer(&server, "HEXISTS %s output", record_key(id)));
    ASSERT_EQ_INT(0, redis_server_integer(&server, "HEXISTS %s stopDate", record_key(id)));
    ASSERT_EQ_INT(2, history_length(id));
    ASSERT_EQ_STR("{\"id\":1,\"previousEventId\":0,\"type\":\"ExecutionStarted\"}", stored_event(id, 0));
    ASSERT_EQ_STR("{\"id\":2,\"previousEventId\":1,\"type\":\"TaskStateEntered\"}", stored_event(id, 1));
    ASSERT_EQ_INT(START_MS,
                  stored_score("{sfn:executions:Machine}:" MACHINE_ARN, EXECUTION_ARN_PREFIX "Machine:exec-1"));
    ASSERT_EQ_INT(TIMER_MS, stored_score(timers_key(id), id));
}

static void test_create_without_a_timer_leaves_no_timer(void)
{
    const char *id = "Machine:exec-2";
    ASSERT_TRUE(create(id, START_MS, 0));
    ASSERT_EQ_INT(0, redis_server_integer(&server, "HEXISTS %s timerDue", record_key(id)));
    ASSERT_EQ_INT(0, redis_server_integer(&server, "EXISTS %s", timers_key(id)));
}

static void test_create_of_a_taken_id_returns_the_existing_record(void)
{
    static const char *const types[] = { "ExecutionStarted" };
    const char *id = "Machine:exec-1";
    ASSERT_TRUE(create(id, START_MS, TIMER_MS));
    struct execution_record record = running(id, START_MS + 5000, 0);
    record.input = "{\"amount\":2}";
    struct execution_events events = events_from(types, 1);
    bool sent = create_with(id, &record, &events);
    ASSERT_TRUE(sent);
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_TRUE(!outcome.created);
    ASSERT_NOT_NULL(outcome.record);
    ASSERT_EQ_STR("{\"amount\":1}", outcome.record->input);
    ASSERT_EQ_INT(START_MS, outcome.record->start_ms);
    ASSERT_EQ_INT(2, outcome.record->last_event_id);
    ASSERT_EQ_STR("{\"amount\":1}", stored_field(id, "input"));
    ASSERT_EQ_INT(2, history_length(id));
    ASSERT_EQ_INT(TIMER_MS, stored_score(timers_key(id), id));
    /* The index entry keeps the first start (ZADD NX). */
    ASSERT_EQ_INT(START_MS,
                  stored_score("{sfn:executions:Machine}:" MACHINE_ARN, EXECUTION_ARN_PREFIX "Machine:exec-1"));
}

static void test_load_reads_the_record_back(void)
{
    const char *id = "Machine:exec-1";
    ASSERT_TRUE(create(id, START_MS, TIMER_MS));
    reset();
    ASSERT_TRUE(answered(execution_store_load(client, id, on_load, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_NOT_NULL(outcome.record);
    ASSERT_EQ_STR(EXECUTION_ARN_PREFIX "Machine:exec-1", outcome.record->arn);
    ASSERT_EQ_STR("RUNNING", outcome.record->status);
    ASSERT_EQ_STR(TOKEN, outcome.record->task_token);
    ASSERT_EQ_INT(TIMER_MS, outcome.record->timer_due_ms);
    ASSERT_NULL(outcome.record->output);
    reset();
    ASSERT_TRUE(answered(execution_store_load(client, "Machine:missing", on_load, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_NULL(outcome.record);
}

/* Commits events (count of types, ids from 3) and the mask of next, on expected and token. */
static bool commit(const char *id, long expected, const char *token, const char *const *types, int count,
                   const struct execution_record *next, unsigned mask)
{
    struct execution_fields fields;
    struct execution_events events = events_from(types, count);
    execution_record_fields(next, mask, &fields);
    reset();
    return answered(execution_store_commit(client, id, expected, token, &events, &fields, on_commit_events, NULL));
}

/* The end of the running execution: TaskSucceeded, ExecutionSucceeded. */
static struct execution_record succeeded(void)
{
    return (struct execution_record){
        .status = "SUCCEEDED", .output = "{\"ok\":true}", .stop_ms = START_MS + 9000, .last_event_id = 4
    };
}

static void test_commit_appends_events_writes_the_mask_and_drops_the_timer_of_an_ended_execution(void)
{
    static const char *const types[] = { "TaskSucceeded", "ExecutionSucceeded" };
    const char *id = "Machine:exec-1";
    ASSERT_TRUE(create(id, START_MS, TIMER_MS));
    struct execution_record next = succeeded();
    unsigned mask = EXECUTION_FIELD_STATUS | EXECUTION_FIELD_OUTPUT | EXECUTION_FIELD_STOP
                    | EXECUTION_FIELD_LAST_EVENT_ID | EXECUTION_FIELDS_RESTING;
    ASSERT_TRUE(commit(id, 2, TOKEN, types, 2, &next, mask));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(EXECUTION_COMMITTED, outcome.commit);
    ASSERT_EQ_INT(3, outcome.first_event_id);
    ASSERT_EQ_INT(4, history_length(id));
    ASSERT_EQ_STR("{\"id\":1,\"previousEventId\":0,\"type\":\"ExecutionStarted\"}", stored_event(id, 0));
    ASSERT_EQ_STR("{\"id\":3,\"previousEventId\":2,\"type\":\"TaskSucceeded\"}", stored_event(id, 2));
    ASSERT_EQ_STR("{\"id\":4,\"previousEventId\":3,\"type\":\"ExecutionSucceeded\"}", stored_event(id, 3));
    ASSERT_EQ_STR("SUCCEEDED", stored_field(id, "status"));
    ASSERT_EQ_STR("{\"ok\":true}", stored_field(id, "output"));
    ASSERT_EQ_STR("1700000009000", stored_field(id, "stopDate"));
    ASSERT_EQ_STR("4", stored_field(id, "lastEventId"));
    /* Fields outside the mask stay; those of the mask the record lacks go. */
    ASSERT_EQ_STR("{\"amount\":1}", stored_field(id, "input"));
    ASSERT_EQ_STR(MACHINE_ARN, stored_field(id, "stateMachineArn"));
    static const char *const resting[] = { "state",     "stateEnteredEventId", "stateInput",
                                           "taskToken", "taskResource",        "resting",
                                           "timerDue",  "taskTimeoutDate" };
    for (size_t i = 0; i < sizeof(resting) / sizeof(resting[0]); i++)
        ASSERT_EQ_STR("", stored_field(id, resting[i]));
    ASSERT_EQ_INT(-1, stored_score(timers_key(id), id));
}

static void test_commit_of_a_running_execution_mirrors_its_new_timer(void)
{
    static const char *const types[] = { "TaskSubmitted" };
    const char *id = "Machine:exec-1";
    ASSERT_TRUE(create(id, START_MS, TIMER_MS));
    struct execution_record next = { .last_event_id = 3, .timer_due_ms = TIMER_MS + 7000 };
    ASSERT_TRUE(commit(id, 2, NULL, types, 1, &next, EXECUTION_FIELD_LAST_EVENT_ID | EXECUTION_FIELD_TIMER_DUE));
    ASSERT_EQ_INT(EXECUTION_COMMITTED, outcome.commit);
    ASSERT_EQ_STR("3", stored_field(id, "lastEventId"));
    ASSERT_EQ_STR(TOKEN, stored_field(id, "taskToken"));
    ASSERT_EQ_INT(TIMER_MS + 7000, stored_score(timers_key(id), id));
    ASSERT_EQ_INT(3, history_length(id));
}

/*
 * Another branch's commit: events pushed to id's history without its record
 * (the branches of one execution share one history).
 */
static bool push_other_events(const char *id, int count)
{
    bool ok = true;
    for (int i = 0; ok && i < count; i++) {
        long long length = history_length(id);
        redisReply *reply =
            redis_server_command(&server, "RPUSH %s {\"id\":%lld,\"type\":\"Other\"}", history_key(id), length + 1);
        ok = reply && reply->type == REDIS_REPLY_INTEGER;
        if (reply)
            freeReplyObject(reply);
    }
    return ok;
}

/*
 * A step computed from lastEventId 2 commits after the history grew under
 * it: its events still get the next dense ids, the first follows the
 * record's own last event, and the placeholders (in a body and in the
 * flagged fields) become the ids given; an unflagged field is left alone.
 */
static void test_a_commit_numbers_its_events_after_what_the_history_grew_to(void)
{
    const char *id = "Machine:exec-1";
    static const char *const bodies[] = { "{\"type\":\"ChoiceStateEntered\"}",
                                          "{\"type\":\"ExecutionFailed\",\"cause\":\"#\x01"
                                          "1\x01 of \x01"
                                          "2\x01\"}",
                                          "{\"type\":\"Branch\"}" };
    const struct execution_event items[] = { { "", bodies[0] }, { "", bodies[1] }, { "@1", bodies[2] } };
    const struct execution_events events = { items, 3, true,
                                             EXECUTION_FIELD_STATE_ENTERED_EVENT_ID | EXECUTION_FIELD_CAUSE };
    struct execution_record next = { .status = "FAILED",
                                     .cause = "at #\x01"
                                              "1\x01",
                                     .output = "\x01"
                                               "1\x01" };
    struct execution_fields fields;
    ASSERT_TRUE(create(id, START_MS, TIMER_MS));
    /* Computed now, from lastEventId 2 ... */
    execution_record_fields(&next, EXECUTION_FIELD_STATUS | EXECUTION_FIELD_CAUSE | EXECUTION_FIELD_OUTPUT, &fields);
    execution_record_fields_override(&fields, EXECUTION_FIELD_STATE_ENTERED_EVENT_ID,
                                     "\x01"
                                     "1\x01");
    /* ... while another branch commits two events. */
    ASSERT_TRUE(push_other_events(id, 2));
    reset();
    ASSERT_TRUE(answered(execution_store_commit(client, id, 2, NULL, &events, &fields, on_commit_events, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(EXECUTION_COMMITTED, outcome.commit);
    ASSERT_EQ_INT(5, outcome.first_event_id);
    ASSERT_EQ_INT(7, history_length(id));
    ASSERT_EQ_STR("{\"id\":4,\"type\":\"Other\"}", stored_event(id, 3));
    ASSERT_EQ_STR("{\"id\":5,\"previousEventId\":2,\"type\":\"ChoiceStateEntered\"}", stored_event(id, 4));
    ASSERT_EQ_STR("{\"id\":6,\"previousEventId\":5,\"type\":\"ExecutionFailed\",\"cause\":\"#5 of 6\"}",
                  stored_event(id, 5));
    ASSERT_EQ_STR("{\"id\":7,\"previousEventId\":5,\"type\":\"Branch\"}", stored_event(id, 6));
    ASSERT_EQ_STR("7", stored_field(id, "lastEventId"));
    ASSERT_EQ_STR("5", stored_field(id, "stateEnteredEventId"));
    ASSERT_EQ_STR("at #5", stored_field(id, "cause"));
    ASSERT_EQ_STR("\x01"
                  "1\x01",
                  stored_field(id, "output"));
    /* The next commit follows the record's lastEventId, with an explicit previous. */
    const struct execution_event last[] = { { "0", "{\"type\":\"ExecutionAborted\"}" } };
    const struct execution_events abort_events = { last, 1, false, 0 };
    execution_record_fields(&next, EXECUTION_FIELD_STATUS, &fields);
    reset();
    ASSERT_TRUE(answered(execution_store_commit(client, id, 7, NULL, &abort_events, &fields, on_commit_events, NULL)));
    ASSERT_EQ_INT(EXECUTION_COMMITTED, outcome.commit);
    ASSERT_EQ_INT(8, outcome.first_event_id);
    ASSERT_EQ_STR("{\"id\":8,\"previousEventId\":0,\"type\":\"ExecutionAborted\"}", stored_event(id, 7));
}

/* Asserts that id is as create() left it. */
static void assert_unchanged(const char *id)
{
    ASSERT_EQ_INT(2, history_length(id));
    ASSERT_EQ_STR("RUNNING", stored_field(id, "status"));
    ASSERT_EQ_STR("2", stored_field(id, "lastEventId"));
    ASSERT_EQ_STR(TOKEN, stored_field(id, "taskToken"));
    ASSERT_EQ_STR("", stored_field(id, "output"));
    ASSERT_EQ_INT(TIMER_MS, stored_score(timers_key(id), id));
}

static void test_commit_on_a_moved_last_event_id_is_changed_and_writes_nothing(void)
{
    static const char *const types[] = { "TaskSucceeded", "ExecutionSucceeded" };
    const char *id = "Machine:exec-1";
    ASSERT_TRUE(create(id, START_MS, TIMER_MS));
    struct execution_record next = succeeded();
    ASSERT_TRUE(commit(id, 1, TOKEN, types, 2, &next, EXECUTION_FIELDS_ALL));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(EXECUTION_CHANGED, outcome.commit);
    assert_unchanged(id);
}

static void test_commit_for_a_closed_task_is_task_closed_and_writes_nothing(void)
{
    static const char *const types[] = { "TaskSucceeded", "ExecutionSucceeded" };
    const char *id = "Machine:exec-1";
    ASSERT_TRUE(create(id, START_MS, TIMER_MS));
    struct execution_record next = succeeded();
    ASSERT_TRUE(commit(id, 2, "token-other", types, 2, &next, EXECUTION_FIELDS_ALL));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(EXECUTION_TASK_CLOSED, outcome.commit);
    assert_unchanged(id);
}

static void test_commit_of_a_missing_execution_is_missing_and_creates_nothing(void)
{
    static const char *const types[] = { "TaskSucceeded" };
    const char *id = "Machine:missing";
    struct execution_record next = { .last_event_id = 3, .timer_due_ms = TIMER_MS };
    ASSERT_TRUE(commit(id, 2, NULL, types, 1, &next, EXECUTION_FIELD_LAST_EVENT_ID | EXECUTION_FIELD_TIMER_DUE));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(EXECUTION_MISSING, outcome.commit);
    ASSERT_EQ_INT(0, redis_server_integer(&server, "EXISTS %s", record_key(id)));
    ASSERT_EQ_INT(0, redis_server_integer(&server, "EXISTS %s", history_key(id)));
    ASSERT_EQ_INT(0, redis_server_integer(&server, "EXISTS %s", timers_key(id)));
}

static void test_heartbeat_moves_the_heartbeat_deadline_and_the_timer(void)
{
    const char *id = "Machine:exec-1";
    ASSERT_TRUE(create(id, START_MS, TIMER_MS));
    redisReply *reply = redis_server_command(&server, "HSET %s heartbeatIntervalMs 5000", record_key(id));
    freeReplyObject(reply);
    reset();
    ASSERT_TRUE(answered(execution_store_heartbeat(client, id, TOKEN, START_MS + 1000, on_commit, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(EXECUTION_COMMITTED, outcome.commit);
    ASSERT_EQ_STR("1700000006000", stored_field(id, "heartbeatDate"));
    ASSERT_EQ_STR("1700000006000", stored_field(id, "timerDue"));
    ASSERT_EQ_INT(START_MS + 6000, stored_score(timers_key(id), id));
    ASSERT_EQ_STR("2", stored_field(id, "lastEventId"));
    ASSERT_EQ_INT(2, history_length(id));
    /* The task's timeout comes before the next heartbeat deadline: the timer stays at the timeout. */
    reset();
    ASSERT_TRUE(answered(execution_store_heartbeat(client, id, TOKEN, TIMER_MS - 1000, on_commit, NULL)));
    ASSERT_EQ_INT(EXECUTION_COMMITTED, outcome.commit);
    ASSERT_EQ_STR("1700000034000", stored_field(id, "heartbeatDate"));
    ASSERT_EQ_INT(TIMER_MS, stored_score(timers_key(id), id));
}

static void test_heartbeat_of_a_closed_task_or_a_missing_execution_changes_nothing(void)
{
    const char *id = "Machine:exec-1";
    ASSERT_TRUE(create(id, START_MS, TIMER_MS));
    reset();
    ASSERT_TRUE(answered(execution_store_heartbeat(client, id, "token-other", START_MS + 1000, on_commit, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(EXECUTION_TASK_CLOSED, outcome.commit);
    ASSERT_EQ_STR("", stored_field(id, "heartbeatDate"));
    ASSERT_EQ_INT(TIMER_MS, stored_score(timers_key(id), id));
    reset();
    ASSERT_TRUE(answered(execution_store_heartbeat(client, "Machine:missing", TOKEN, START_MS, on_commit, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(EXECUTION_MISSING, outcome.commit);
    ASSERT_EQ_INT(0, redis_server_integer(&server, "EXISTS %s", record_key("Machine:missing")));
}

static void test_restore_timer_rewrites_the_timer_from_the_record(void)
{
    const char *id = "Machine:exec-1";
    ASSERT_TRUE(create(id, START_MS, TIMER_MS));
    redisReply *reply = redis_server_command(&server, "ZADD %s 99 %s", timers_key(id), id);
    freeReplyObject(reply);
    reset();
    ASSERT_TRUE(answered(execution_store_restore_timer(client, id, on_commit, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(EXECUTION_COMMITTED, outcome.commit);
    ASSERT_EQ_INT(TIMER_MS, stored_score(timers_key(id), id));
    /* An ended execution has no timer. */
    reply = redis_server_command(&server, "HSET %s status SUCCEEDED", record_key(id));
    freeReplyObject(reply);
    reset();
    ASSERT_TRUE(answered(execution_store_restore_timer(client, id, on_commit, NULL)));
    ASSERT_EQ_INT(EXECUTION_COMMITTED, outcome.commit);
    ASSERT_EQ_INT(-1, stored_score(timers_key(id), id));
}

static bool claim(unsigned shard, int64_t now_ms, size_t limit)
{
    reset();
    return answered(execution_store_claim_timers(client, shard, now_ms, 30000, limit, on_claim, NULL))
           && outcome.status == 0;
}

static void test_claim_takes_due_timers_with_a_lease(void)
{
    char key[32];
    ASSERT_EQ_INT(0, execution_store_timers_key(3, key, sizeof(key)));
    ASSERT_EQ_STR("{sfn:03}:timers", key);
    redisReply *reply = redis_server_command(&server, "ZADD %s 100 M:a 200 M:b 50000 M:c", key);
    freeReplyObject(reply);
    ASSERT_TRUE(claim(3, 1000, 10));
    ASSERT_EQ_INT(2, outcome.count);
    ASSERT_EQ_STR("M:a", outcome.ids[0]);
    ASSERT_EQ_STR("M:b", outcome.ids[1]);
    ASSERT_EQ_INT(31000, outcome.next_due_ms);
    ASSERT_EQ_INT(31000, stored_score(key, "M:a"));
    ASSERT_EQ_INT(31000, stored_score(key, "M:b"));
    ASSERT_EQ_INT(50000, stored_score(key, "M:c"));
    /* Not again before their lease runs out. */
    ASSERT_TRUE(claim(3, 30999, 10));
    ASSERT_EQ_INT(0, outcome.count);
    ASSERT_EQ_INT(31000, outcome.next_due_ms);
    /* Again after it, one at a time with a limit of one. */
    ASSERT_TRUE(claim(3, 31000, 1));
    ASSERT_EQ_INT(1, outcome.count);
    ASSERT_EQ_STR("M:a", outcome.ids[0]);
    ASSERT_EQ_INT(31000, outcome.next_due_ms);
    ASSERT_EQ_INT(61000, stored_score(key, "M:a"));
    /* Other shards are untouched; an empty shard has no next. */
    ASSERT_TRUE(claim(4, 100000, 10));
    ASSERT_EQ_INT(0, outcome.count);
    ASSERT_EQ_INT(-1, outcome.next_due_ms);
}

struct received {
    int count;
    char message[512];
};

static void on_message(const char *channel, const char *message, size_t length, void *data)
{
    struct received *received = data;
    (void)channel;
    received->count++;
    snprintf(received->message, sizeof(received->message), "%.*s", (int)length, message);
}

static bool subscribed(void *data)
{
    (void)data;
    redisReply *reply = redis_server_command(&server, "PUBSUB NUMSUB " EXECUTION_STORE_CHANGES_CHANNEL);
    bool one = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 && reply->element[1]->integer == 1;
    if (reply)
        freeReplyObject(reply);
    return one;
}

/* What a wait for messages waits on: received->count reaching want. */
struct awaited {
    const struct received *received;
    int want;
};

static bool messages_came(void *data)
{
    const struct awaited *awaited = data;
    return awaited->received->count >= awaited->want;
}

/* Whether message is the change {"executionArn":arn,"status":status,"lastEventId":last}. */
static bool is_change(const char *message, const char *arn, const char *status, int last)
{
    cJSON *change = cJSON_Parse(message);
    const cJSON *arn_item = cJSON_GetObjectItemCaseSensitive(change, "executionArn");
    const cJSON *status_item = cJSON_GetObjectItemCaseSensitive(change, "status");
    const cJSON *last_item = cJSON_GetObjectItemCaseSensitive(change, "lastEventId");
    bool same = cJSON_IsString(arn_item) && strcmp(arn_item->valuestring, arn) == 0 && cJSON_IsString(status_item)
                && strcmp(status_item->valuestring, status) == 0 && cJSON_IsNumber(last_item)
                && last_item->valueint == last && cJSON_GetArraySize(change) == 3;
    cJSON_Delete(change);
    return same;
}

static void test_changes_with_events_are_published(void)
{
    static const char *const types[] = { "TaskSucceeded", "ExecutionSucceeded" };
    const char *id = "Machine:exec-1";
    const char *channels[] = { EXECUTION_STORE_CHANGES_CHANNEL };
    struct redis_client *subscriber = NULL;
    struct received received = { 0 };
    ASSERT_EQ_INT(0, redis_server_client(&server, loop, 1000, 0, &subscriber));
    bool ready = redis_client_subscribe(subscriber, channels, 1, on_message, &received) == 0
                 && redis_server_run_until(loop, subscribed, NULL, WAIT_MS);
    bool first = ready && create(id, START_MS, TIMER_MS)
                 && redis_server_run_until(loop, messages_came, &(struct awaited){ &received, 1 }, WAIT_MS);
    char start_message[512];
    snprintf(start_message, sizeof(start_message), "%s", received.message);
    /* A change without events (a timer move) is not announced. */
    struct execution_record moved = { .last_event_id = 2, .timer_due_ms = TIMER_MS + 1 };
    bool quiet = first && commit(id, 2, NULL, types, 0, &moved, EXECUTION_FIELD_TIMER_DUE);
    redis_server_run_for(loop, 100);
    int after_quiet = received.count;
    struct execution_record next = succeeded();
    bool ended = quiet && commit(id, 2, TOKEN, types, 2, &next, EXECUTION_FIELDS_RESTING | EXECUTION_FIELD_STATUS);
    bool delivered = ended && redis_server_run_until(loop, messages_came, &(struct awaited){ &received, 2 }, WAIT_MS);
    redis_server_run_for(loop, 50);
    redis_client_destroy(subscriber);
    ASSERT_TRUE(ready);
    ASSERT_TRUE(first);
    ASSERT_TRUE(delivered);
    ASSERT_TRUE(is_change(start_message, EXECUTION_ARN_PREFIX "Machine:exec-1", "RUNNING", 2));
    ASSERT_EQ_INT(1, after_quiet);
    ASSERT_EQ_INT(2, received.count);
    /* The commit sets lastEventId to its last event's id, whatever its mask. */
    ASSERT_TRUE(is_change(received.message, EXECUTION_ARN_PREFIX "Machine:exec-1", "SUCCEEDED", 4));
}

static bool list(const char *cursor, size_t max_results, const char *status)
{
    reset();
    return answered(execution_store_list(client, MACHINE_ARN, cursor, max_results, status, on_list, NULL))
           && outcome.status == 0;
}

static void on_shards(int status, unsigned shards, void *data)
{
    (void)data;
    outcome.status = status;
    outcome.count = shards;
    outcome.calls++;
    outcome.done = true;
}

/* Whether {sfn}:settings holds executionShards expected. */
static bool stored_shards_are(const char *expected)
{
    char *stored = redis_server_string(&server, "HGET {sfn}:settings executionShards");
    bool same = stored && strcmp(stored, expected) == 0;
    free(stored);
    return same;
}

static bool settle(unsigned wanted)
{
    reset();
    return answered(execution_store_settle_shards(client, wanted, on_shards, NULL)) && outcome.status == 0;
}

static void test_the_first_process_stores_its_shard_count_and_later_ones_read_it(void)
{
    ASSERT_TRUE(settle(128));
    ASSERT_EQ_INT(128, outcome.count);
    ASSERT_TRUE(stored_shards_are("128"));
    ASSERT_TRUE(settle(256));
    ASSERT_EQ_INT(128, outcome.count);
    ASSERT_TRUE(stored_shards_are("128"));
}

static void test_a_redis_with_state_machines_from_before_the_setting_keeps_16_shards(void)
{
    freeReplyObject(redis_server_command(&server, "ZADD {sfn}:state-machines 0 Old"));
    ASSERT_TRUE(settle(128));
    ASSERT_EQ_INT(16, outcome.count);
    ASSERT_TRUE(stored_shards_are("16"));
}

static void test_a_stored_count_out_of_range_is_refused(void)
{
    freeReplyObject(redis_server_command(&server, "HSET {sfn}:settings executionShards 5000"));
    reset();
    ASSERT_TRUE(answered(execution_store_settle_shards(client, 128, on_shards, NULL)));
    ASSERT_EQ_INT(-EPROTO, outcome.status);
}

static void test_list_pages_newest_first_and_skips_entries_without_a_record(void)
{
    static const char *const types[] = { "ExecutionSucceeded" };
    ASSERT_TRUE(create("Machine:first", START_MS + 1000, 0));
    ASSERT_TRUE(create("Machine:second", START_MS + 2000, TIMER_MS));
    ASSERT_TRUE(create("Machine:third", START_MS + 3000, 0));
    redisReply *reply = redis_server_command(&server, "ZADD {sfn:executions:Machine}:" MACHINE_ARN " %lld %s",
                                             START_MS + 2500, EXECUTION_ARN_PREFIX "Machine:never-created");
    freeReplyObject(reply);
    struct execution_record next = succeeded();
    ASSERT_TRUE(commit("Machine:second", 2, TOKEN, types, 1, &next, EXECUTION_FIELD_STATUS | EXECUTION_FIELD_STOP));
    ASSERT_EQ_INT(EXECUTION_COMMITTED, outcome.commit);

    ASSERT_TRUE(list(NULL, 2, NULL));
    ASSERT_EQ_INT(2, outcome.count);
    ASSERT_EQ_STR("third", outcome.names[0]);
    ASSERT_EQ_STR("second", outcome.names[1]);
    ASSERT_EQ_STR("SUCCEEDED", outcome.statuses[1]);
    ASSERT_TRUE(outcome.has_next);
    ASSERT_TRUE(execution_store_cursor_valid(outcome.next, EXECUTION_ARN_PREFIX "Machine:"));
    char cursor[256];
    snprintf(cursor, sizeof(cursor), "%s", outcome.next);
    ASSERT_TRUE(list(cursor, 2, NULL));
    ASSERT_EQ_INT(1, outcome.count);
    ASSERT_EQ_STR("first", outcome.names[0]);
    ASSERT_TRUE(!outcome.has_next);

    ASSERT_TRUE(list(NULL, 10, "RUNNING"));
    ASSERT_EQ_INT(2, outcome.count);
    ASSERT_EQ_STR("third", outcome.names[0]);
    ASSERT_EQ_STR("first", outcome.names[1]);
    ASSERT_TRUE(!outcome.has_next);
}

static void test_read_history_returns_the_events_in_order(void)
{
    const char *id = "Machine:exec-1";
    ASSERT_TRUE(create(id, START_MS, TIMER_MS));
    reset();
    ASSERT_TRUE(answered(execution_store_read_history(client, id, on_history, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(2, outcome.count);
    ASSERT_EQ_STR("{\"id\":1,\"previousEventId\":0,\"type\":\"ExecutionStarted\"}", outcome.events[0]);
    ASSERT_EQ_STR("{\"id\":2,\"previousEventId\":1,\"type\":\"TaskStateEntered\"}", outcome.events[1]);
    reset();
    ASSERT_TRUE(answered(execution_store_read_history(client, "Machine:missing", on_history, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(0, outcome.count);
}

static void test_an_over_long_id_is_refused_before_anything_is_sent(void)
{
    char id[EXECUTION_STORE_KEY_SIZE + 16], key[EXECUTION_STORE_KEY_SIZE];
    memset(id, 'x', sizeof(id) - 1);
    id[sizeof(id) - 1] = '\0';
    memcpy(id, "Machine:", 8);
    ASSERT_EQ_INT(-ENAMETOOLONG, execution_store_key(id, key, sizeof(key)));
    ASSERT_EQ_INT(-ENAMETOOLONG, execution_store_history_key(id, key, sizeof(key)));
    char machine_arn[EXECUTION_STORE_INDEX_KEY_SIZE + 8];
    memset(machine_arn, 'm', sizeof(machine_arn) - 1);
    machine_arn[sizeof(machine_arn) - 1] = '\0';
    char index[EXECUTION_STORE_INDEX_KEY_SIZE];
    ASSERT_EQ_INT(-ENAMETOOLONG, execution_store_index_key(machine_arn, index, sizeof(index)));

    struct execution_record record = running("Machine:exec-1", START_MS, TIMER_MS);
    struct execution_fields fields;
    execution_record_fields(&record, EXECUTION_FIELDS_ALL, &fields);
    reset();
    int created = execution_store_create(client, id, &record, &fields, NULL, on_create, NULL);
    ASSERT_EQ_INT(-ENAMETOOLONG, created);
    ASSERT_EQ_INT(-ENAMETOOLONG, execution_store_load(client, id, on_load, NULL));
    ASSERT_EQ_INT(-ENAMETOOLONG, execution_store_read_history(client, id, on_history, NULL));
    ASSERT_EQ_INT(-ENAMETOOLONG, execution_store_heartbeat(client, id, TOKEN, START_MS, on_commit, NULL));
    redis_server_run_for(loop, 50);
    ASSERT_TRUE(!outcome.done);
    ASSERT_EQ_INT(0, redis_server_integer(&server, "DBSIZE"));
}

static int init_store(void *data)
{
    (void)data;
    return execution_store_init(client);
}

/* Makes key a string, so that every script writing it as a list or hash fails with WRONGTYPE. */
static bool plant_string(const char *key)
{
    redisReply *reply = redis_server_command(&server, "SET %s planted", key);
    bool ok = reply && reply->type == REDIS_REPLY_STATUS;
    if (reply)
        freeReplyObject(reply);
    return ok;
}

static void test_a_change_redis_refuses_is_eproto_not_eio(void)
{
    static const char *const types[] = { "TaskSucceeded", "ExecutionSucceeded" };
    static const char *const start_types[] = { "ExecutionStarted" };
    char history[EXECUTION_STORE_KEY_SIZE];
    const char *id = "Machine:exec-1";
    ASSERT_TRUE(create(id, START_MS, TIMER_MS));
    ASSERT_EQ_INT(0, execution_store_history_key(id, history, sizeof(history)));
    ASSERT_TRUE(plant_string(history));
    struct execution_record next = succeeded();
    ASSERT_TRUE(commit(id, 2, TOKEN, types, 2, &next, EXECUTION_FIELD_STATUS | EXECUTION_FIELD_LAST_EVENT_ID));
    ASSERT_EQ_INT(-EPROTO, outcome.status);
    ASSERT_EQ_STR("RUNNING", stored_field(id, "status"));
    /* A create whose history key is taken by a string is refused the same way. */
    const char *other = "Machine:exec-2";
    ASSERT_EQ_INT(0, execution_store_history_key(other, history, sizeof(history)));
    ASSERT_TRUE(plant_string(history));
    struct execution_record record = running(other, START_MS, TIMER_MS);
    struct execution_events events = events_from(start_types, 1);
    bool sent = create_with(other, &record, &events);
    ASSERT_TRUE(sent);
    ASSERT_EQ_INT(-EPROTO, outcome.status);
    ASSERT_TRUE(!outcome.created);
}

static void test_reply_status_tells_transient_from_permanent_errors(void)
{
    static const struct {
        const char *text;
        int status;
    } cases[] = {
        { "OOM command not allowed when used memory > 'maxmemory'.", -EIO },
        { "ERR Error running script (call to f_x): @user_script:3: @user_script: 3: -OOM command not allowed", -EIO },
        { "BUSY Redis is busy running a script.", -EIO },
        { "LOADING Redis is loading the dataset in memory", -EIO },
        { "TRYAGAIN Multiple keys request during rehashing of slot", -EIO },
        { "CLUSTERDOWN The cluster is down", -EIO },
        { "MASTERDOWN Link with MASTER is down", -EIO },
        { "READONLY You can't write against a read only replica.", -EIO },
        { "WRONGTYPE Operation against a key holding the wrong kind of value", -EPROTO },
        { "ERR Error running script (call to f_x): @user_script:1: user_script:1: Cannot serialise, excessive nesting "
          "(1001)",
          -EPROTO },
        { "ERR Error running script: @user_script:5: Cannot decode JSON: Found too many nested data structures",
          -EPROTO },
    };
    ASSERT_EQ_INT(-EIO, redis_client_reply_status(NULL));
    redisReply reply = { .type = REDIS_REPLY_INTEGER };
    ASSERT_EQ_INT(0, redis_client_reply_status(&reply));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        reply = (redisReply){ .type = REDIS_REPLY_ERROR, .str = (char *)cases[i].text, .len = strlen(cases[i].text) };
        ASSERT_EQ_INT(cases[i].status, redis_client_reply_status(&reply));
    }
}

int main(void)
{
    if (redis_server_open(&server, &loop, &client, init_store, NULL) < 0)
        return 1;
    REDIS_SERVER_RUN_FLUSHED(&server, test_the_first_process_stores_its_shard_count_and_later_ones_read_it);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_redis_with_state_machines_from_before_the_setting_keeps_16_shards);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_stored_count_out_of_range_is_refused);
    REDIS_SERVER_RUN_FLUSHED(&server, test_create_writes_the_record_history_index_entry_and_timer);
    REDIS_SERVER_RUN_FLUSHED(&server, test_create_without_a_timer_leaves_no_timer);
    REDIS_SERVER_RUN_FLUSHED(&server, test_create_of_a_taken_id_returns_the_existing_record);
    REDIS_SERVER_RUN_FLUSHED(&server, test_load_reads_the_record_back);
    REDIS_SERVER_RUN_FLUSHED(&server,
                             test_commit_appends_events_writes_the_mask_and_drops_the_timer_of_an_ended_execution);
    REDIS_SERVER_RUN_FLUSHED(&server, test_commit_of_a_running_execution_mirrors_its_new_timer);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_commit_numbers_its_events_after_what_the_history_grew_to);
    REDIS_SERVER_RUN_FLUSHED(&server, test_commit_on_a_moved_last_event_id_is_changed_and_writes_nothing);
    REDIS_SERVER_RUN_FLUSHED(&server, test_commit_for_a_closed_task_is_task_closed_and_writes_nothing);
    REDIS_SERVER_RUN_FLUSHED(&server, test_commit_of_a_missing_execution_is_missing_and_creates_nothing);
    REDIS_SERVER_RUN_FLUSHED(&server, test_heartbeat_moves_the_heartbeat_deadline_and_the_timer);
    REDIS_SERVER_RUN_FLUSHED(&server, test_heartbeat_of_a_closed_task_or_a_missing_execution_changes_nothing);
    REDIS_SERVER_RUN_FLUSHED(&server, test_restore_timer_rewrites_the_timer_from_the_record);
    REDIS_SERVER_RUN_FLUSHED(&server, test_claim_takes_due_timers_with_a_lease);
    REDIS_SERVER_RUN_FLUSHED(&server, test_changes_with_events_are_published);
    REDIS_SERVER_RUN_FLUSHED(&server, test_list_pages_newest_first_and_skips_entries_without_a_record);
    REDIS_SERVER_RUN_FLUSHED(&server, test_read_history_returns_the_events_in_order);
    REDIS_SERVER_RUN_FLUSHED(&server, test_an_over_long_id_is_refused_before_anything_is_sent);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_change_redis_refuses_is_eproto_not_eio);
    REDIS_SERVER_RUN_FLUSHED(&server, test_reply_status_tells_transient_from_permanent_errors);
    redis_server_close(&server, loop, client);
    return test_done();
}
