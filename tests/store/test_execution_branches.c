/*
 * test_execution_branches.c - the store's primitives for Parallel and Map
 * (loan-processor/store/execution_store.h, "branches"; the design is
 * docs/execution-model.md) against a real redis-server: child records
 * created with their fork, children ending all at once into their fork's
 * results and counters, the continuation's signal check, orphaned ends,
 * subtree aborts, branch tokens and timer members.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "execution_store.h"
#include "redis_server.h"
#include "stored_history.h"
#include "test.h"

#define WAIT_MS 10000
#define ID "Machine:forked"
#define MACHINE_ARN "arn:aws:states:us-east-1:123456789012:stateMachine:Machine"
#define EXECUTION_ARN "arn:aws:states:us-east-1:123456789012:execution:" ID
#define START_MS 1700000000000LL
#define CHILD_TIMER_MS 1700000060000LL
#define NOW_MS 1700000001000LL
#define FORK "3" /* the forking state's number */
#define MANY 1000

static struct redis_server server;
static struct event_loop *loop;
static struct redis_client *client;

/* What one store callback reported. */
static struct outcome {
    bool done;
    int calls;
    int status;
    enum execution_commit_outcome commit;
    long first_event_id;
    struct execution_record *execution;
    struct execution_record *branch;
    long stored_events;
    size_t count;
    char names[4][16];
    char values[4][64];
    char ids[4][128];
    char tokens[4][32];
    char indexes[4][16];
    char states[4][16];
    int64_t timers[4];
    bool truncated;
} outcome;

static void reset(void)
{
    execution_store_record_free(outcome.execution);
    execution_store_record_free(outcome.branch);
    outcome = (struct outcome){ 0 };
}

static void finish(int status)
{
    outcome.done = true;
    outcome.calls++;
    outcome.status = status;
}

static void on_create(int status, bool created, struct execution_record *existing, void *data)
{
    (void)data;
    (void)created;
    finish(status);
    outcome.execution = existing;
}

static void on_commit(int status, enum execution_commit_outcome result, long first_event_id, void *data)
{
    (void)data;
    finish(status);
    outcome.commit = result;
    outcome.first_event_id = first_event_id;
}

static void on_load(int status, struct execution_record *execution, struct execution_record *branch, long stored_events,
                    void *data)
{
    (void)data;
    finish(status);
    outcome.execution = execution;
    outcome.branch = branch;
    outcome.stored_events = stored_events;
}

static void on_results(int status, const struct execution_hash_entry *entries, size_t count, void *data)
{
    (void)data;
    finish(status);
    outcome.count = count;
    for (size_t i = 0; i < count && i < 4; i++) {
        snprintf(outcome.names[i], sizeof(outcome.names[i]), "%s", entries[i].name);
        snprintf(outcome.values[i], sizeof(outcome.values[i]), "%.*s", (int)entries[i].value_length, entries[i].value);
    }
}

static void on_claim(int status, const char *const *ids, size_t count, int64_t next_due_ms, void *data)
{
    (void)data;
    (void)next_due_ms;
    finish(status);
    outcome.count = count;
    for (size_t i = 0; i < count && i < 4; i++)
        snprintf(outcome.ids[i], sizeof(outcome.ids[i]), "%s", ids[i]);
}

static void on_branches(int status, const struct execution_branch_entry *branches, size_t count, bool truncated,
                        void *data)
{
    (void)data;
    finish(status);
    outcome.count = count;
    outcome.truncated = truncated;
    for (size_t i = 0; i < count && i < 4; i++) {
        const struct execution_record *record = branches[i].record;
        snprintf(outcome.ids[i], sizeof(outcome.ids[i]), "%s", branches[i].branch_id);
        snprintf(outcome.tokens[i], sizeof(outcome.tokens[i]), "%s", record->task_token ? record->task_token : "");
        snprintf(outcome.indexes[i], sizeof(outcome.indexes[i]), "%s", record->map_index ? record->map_index : "");
        snprintf(outcome.states[i], sizeof(outcome.states[i]), "%s", record->resting ? record->resting : "");
        outcome.timers[i] = record->timer_due_ms;
    }
}

/* Waits for the callback of an operation that returned result. */
static bool answered(int result)
{
    return result == 0 && redis_server_run_until_flag(loop, &outcome.done, WAIT_MS) && outcome.calls == 1;
}

/* ---- keys as docs/redis-layout.md names them (static buffers, one call's worth) ---- */

static const char *key_of(const char *kind, const char *part)
{
    static char key[EXECUTION_STORE_BRANCH_KEY_SIZE];
    snprintf(key, sizeof(key), "{sfn:%02u}:%s:%s%s", execution_store_shard(ID), kind, ID, part);
    return key;
}

static const char *branch_key(const char *branch)
{
    static char key[EXECUTION_STORE_BRANCH_KEY_SIZE];
    snprintf(key, sizeof(key), "%s", *branch ? key_of("branch", "|") : key_of("execution", ""));
    if (*branch)
        snprintf(key + strlen(key), sizeof(key) - strlen(key), "%s", branch);
    return key;
}

static const char *results_key(const char *fork_key_part)
{
    static char key[EXECUTION_STORE_BRANCH_KEY_SIZE];
    snprintf(key, sizeof(key), "%s%s", key_of("results", "|"), fork_key_part);
    return key;
}

static const char *timers_key(void)
{
    static char key[32];
    snprintf(key, sizeof(key), "{sfn:%02u}:timers", execution_store_shard(ID));
    return key;
}

/* The string of field in branch's record, or "" (static buffer). */
static const char *stored_field(const char *branch, const char *field)
{
    static char value[256];
    char *text = redis_server_string(&server, "HGET %s %s", branch_key(branch), field);
    snprintf(value, sizeof(value), "%s", text ? text : "");
    free(text);
    return value;
}

/* The timer score of branch, or -1 when it has none. */
static long long timer_of(const char *branch)
{
    char *text = *branch ? redis_server_string(&server, "ZSCORE %s %s|%s", timers_key(), ID, branch)
                         : redis_server_string(&server, "ZSCORE %s %s", timers_key(), ID);
    long long score = text ? strtoll(text, NULL, 10) : -1;
    free(text);
    return score;
}

static long long history_length(void)
{
    return redis_server_integer(&server, "LLEN %s", key_of("history", ""));
}

static long long live_branches(void)
{
    return redis_server_integer(&server, "ZCARD %s", key_of("branches", ""));
}

/* ---- building commits ---- */

/* Events {"type":<type>}: count of them (at most 8), each following the one before. */
static struct execution_events events_of(const char *const *types, size_t count, struct execution_event *items,
                                         char (*bodies)[64])
{
    for (size_t i = 0; i < count; i++) {
        snprintf(bodies[i], sizeof(bodies[i]), "{\"type\":\"%s\"}", types[i]);
        items[i] = (struct execution_event){ "", bodies[i] };
    }
    return (struct execution_events){ items, count, false, 0 };
}

/* Creates ID running in a task (lastEventId 2). */
static bool create_root(void)
{
    static const char *const types[] = { "ExecutionStarted", "TaskStateEntered" };
    struct execution_event items[2];
    char bodies[2][64];
    struct execution_events events = events_of(types, 2, items, bodies);
    struct execution_record record = {
        .arn = EXECUTION_ARN,
        .state_machine_arn = MACHINE_ARN,
        .name = "forked",
        .status = "RUNNING",
        .input = "{}",
        .definition_hash = "hash-a",
        .start_ms = START_MS,
        .state = "First",
        .state_entered_event_id = 2,
        .resting = "task",
        .task_token = "root-token",
    };
    struct execution_fields fields;
    execution_record_fields(&record, EXECUTION_FIELDS_ALL, &fields);
    reset();
    return answered(execution_store_create(client, ID, &record, &fields, &events, on_create, NULL))
           && outcome.status == 0;
}

/* The record of a branch resting at fork FORK with count children, all started and running. */
static struct execution_record at_fork(long count)
{
    return (struct execution_record){
        .state = "Fork",
        .resting = "fork",
        .fork_state = FORK,
        .fork_length = count,
        .fork_started = count,
        .fork_running = count,
    };
}

/* The fields of a child resting in a task with token (NULL: none) and its timer. */
static void child_fields(const char *token, const char *map_index, struct execution_fields *fields)
{
    struct execution_record child = {
        .state = "Work",
        .state_entered_event_id = 4,
        .resting = "task",
        .task_token = (char *)token,
        .timer_due_ms = CHILD_TIMER_MS,
        .map_index = (char *)map_index,
    };
    execution_record_fields(&child, EXECUTION_FIELDS_RESTING, fields);
    execution_record_branch_fields(&child, EXECUTION_BRANCH_FIELDS_ITERATION, fields);
}

/*
 * Enters fork FORK in branch parent (lastEventId expected) with count children "<prefix>FORK.<i>" (events
 * MapStateEntered, MapStateStarted; every child's lastEventId is the second), child i's token "token-<i>".
 */
/* Commits parent's entry into a fork with count children; true when Redis answered (outcome says how). */
static bool try_enter_fork(const char *parent, long expected, size_t count)
{
    static const char *const types[] = { "MapStateEntered", "MapStateStarted" };
    struct execution_event items[2];
    char bodies[2][64];
    struct execution_events events = events_of(types, 2, items, bodies);
    struct execution_record record = at_fork((long)count);
    struct execution_fields fields;
    struct execution_fields *child_writes = calloc(count, sizeof(*child_writes));
    struct execution_child *children = calloc(count, sizeof(*children));
    char(*ids)[96] = calloc(count, sizeof(*ids));
    char(*tokens)[32] = calloc(count, sizeof(*tokens));
    char(*indexes)[16] = calloc(count, sizeof(*indexes));
    bool ok = child_writes && children && ids && tokens && indexes;
    execution_record_fields(&record, EXECUTION_FIELDS_RESTING, &fields);
    execution_record_branch_fields(&record, EXECUTION_BRANCH_FIELDS_FORK, &fields);
    for (size_t i = 0; ok && i < count; i++) {
        snprintf(ids[i], sizeof(ids[i]), "%s%s" FORK ".%zu", parent, *parent ? "/" : "", i);
        snprintf(tokens[i], sizeof(tokens[i]), "token-%zu", i);
        snprintf(indexes[i], sizeof(indexes[i]), "%zu", i);
        child_fields(tokens[i], indexes[i], &child_writes[i]);
        children[i] = (struct execution_child){ ids[i], "@2", &child_writes[i] };
    }
    struct execution_branch_commit commit = {
        .branch_id = parent,
        .expected_last_event_id = expected,
        .events = &events,
        .fields = &fields,
        .children = children,
        .child_count = count,
    };
    reset();
    ok = ok && answered(execution_store_commit_branch(client, ID, &commit, on_commit, NULL)) && outcome.status == 0;
    free(child_writes);
    free(children);
    free(ids);
    free(tokens);
    free(indexes);
    return ok;
}

static bool enter_fork(const char *parent, long expected, size_t count)
{
    return try_enter_fork(parent, expected, count) && outcome.commit == EXECUTION_COMMITTED;
}

/* One child's end: its last event and its output {"i":<index>} (or an error when failed). */
struct child_end {
    char branch[96];
    char index[16];
    char result[64];
    struct execution_event event;
    struct execution_events events;
    struct execution_child_end end;
    struct execution_branch_commit commit;
};

static void child_end_init(struct child_end *end, const char *parent, size_t index, long expected, bool failed)
{
    snprintf(end->branch, sizeof(end->branch), "%s%s" FORK ".%zu", parent, *parent ? "/" : "", index);
    snprintf(end->index, sizeof(end->index), "%zu", index);
    snprintf(end->result, sizeof(end->result), failed ? "{\"Error\":\"E%zu\"}" : "{\"i\":%zu}", index);
    end->event = (struct execution_event){ "", failed ? "{\"type\":\"MapIterationFailed\"}"
                                                      : "{\"type\":\"MapIterationSucceeded\"}" };
    end->events = (struct execution_events){ &end->event, 1, false, 0 };
    end->end = (struct execution_child_end){ parent, FORK, end->index, failed, end->result };
    end->commit = (struct execution_branch_commit){
        .branch_id = end->branch,
        .expected_last_event_id = expected,
        .events = &end->events,
        .end = &end->end,
        .now_ms = NOW_MS,
    };
}

/* Ends one child of the root's fork; the outcome is in outcome. */
static bool end_child(const char *parent, size_t index, long expected)
{
    struct child_end end;
    child_end_init(&end, parent, index, expected, false);
    reset();
    return answered(execution_store_commit_branch(client, ID, &end.commit, on_commit, NULL)) && outcome.status == 0;
}

static bool load(const char *branch)
{
    reset();
    return answered(execution_store_load_branch(client, ID, branch, on_load, NULL)) && outcome.status == 0;
}

/* ---- tests ---- */

static void test_children_created_with_their_fork_load_back(void)
{
    ASSERT_TRUE(create_root());
    ASSERT_TRUE(enter_fork("", 2, 2));
    ASSERT_EQ_INT(3, outcome.first_event_id);
    ASSERT_TRUE(load(FORK ".1"));
    ASSERT_TRUE(outcome.execution != NULL && outcome.branch != NULL);
    if (!outcome.execution || !outcome.branch)
        return;
    ASSERT_EQ_STR(EXECUTION_ARN, outcome.execution->arn);
    ASSERT_EQ_STR(MACHINE_ARN, outcome.execution->state_machine_arn);
    ASSERT_EQ_STR("RUNNING", outcome.execution->status);
    ASSERT_EQ_STR("hash-a", outcome.execution->definition_hash);
    ASSERT_EQ_INT(START_MS, outcome.execution->start_ms);
    ASSERT_TRUE(outcome.execution->state == NULL); /* identity only */
    ASSERT_EQ_STR("Work", outcome.branch->state);
    ASSERT_EQ_STR("token-1", outcome.branch->task_token);
    ASSERT_EQ_STR("1", outcome.branch->map_index);
    ASSERT_EQ_INT(4, outcome.branch->last_event_id);
    ASSERT_EQ_INT(CHILD_TIMER_MS, outcome.branch->timer_due_ms);
    ASSERT_EQ_INT(4, outcome.stored_events);
    ASSERT_TRUE(load(""));
    ASSERT_TRUE(outcome.branch != NULL);
    if (!outcome.branch)
        return;
    ASSERT_EQ_STR("fork", outcome.branch->resting);
    ASSERT_EQ_STR(FORK, outcome.branch->fork_state);
    ASSERT_EQ_INT(2, outcome.branch->fork_length);
    ASSERT_EQ_INT(2, outcome.branch->fork_running);
    ASSERT_EQ_INT(4, outcome.branch->last_event_id);
    ASSERT_TRUE(outcome.branch->task_token == NULL);
    ASSERT_EQ_INT(2, live_branches());
    ASSERT_EQ_INT(CHILD_TIMER_MS, timer_of(FORK ".0"));
    ASSERT_EQ_INT(CHILD_TIMER_MS, timer_of(FORK ".1"));
    ASSERT_EQ_INT(-1, timer_of("")); /* the root rests at its fork without a timer */
    ASSERT_TRUE(load(FORK ".7"));
    ASSERT_TRUE(outcome.execution != NULL && outcome.branch == NULL);
    reset();
    ASSERT_TRUE(answered(execution_store_load_branch(client, "Machine:none", "", on_load, NULL)));
    ASSERT_TRUE(outcome.status == 0 && outcome.execution == NULL && outcome.branch == NULL);
}

/* Ends counters[0] children pipelined over the given clients (round robin); counts outcomes in counters. */
struct many_ends {
    size_t answered, committed, refused;
    long first_ids[MANY];
};

static void on_many(int status, enum execution_commit_outcome result, long first_event_id, void *data)
{
    struct many_ends *ends = data;
    if (status == 0 && result == EXECUTION_COMMITTED && first_event_id > 0)
        ends->first_ids[ends->committed++] = first_event_id;
    else
        ends->refused++;
    ends->answered++;
}

static bool all_answered(void *data)
{
    return ((struct many_ends *)data)->answered == MANY;
}

static int compare_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static void end_many_children_at_once(struct redis_client *const *clients, size_t client_count)
{
    static struct many_ends ends;
    static struct child_end children[MANY];
    size_t sent = 0;
    ends = (struct many_ends){ 0 };
    ASSERT_TRUE(create_root());
    ASSERT_TRUE(enter_fork("", 2, MANY));
    for (size_t i = 0; i < MANY; i++) {
        child_end_init(&children[i], "", i, 4, false);
        sent += execution_store_commit_branch(clients[i % client_count], ID, &children[i].commit, on_many, &ends) == 0;
    }
    ASSERT_EQ_INT(MANY, sent);
    ASSERT_TRUE(redis_server_run_until(loop, all_answered, &ends, WAIT_MS));
    ASSERT_EQ_INT(MANY, ends.committed);
    ASSERT_EQ_INT(0, ends.refused);
    qsort(ends.first_ids, ends.committed, sizeof(ends.first_ids[0]), compare_long);
    for (size_t i = 0; i < ends.committed; i++)
        if (ends.first_ids[i] != (long)(5 + i)) {
            ASSERT_EQ_INT(5 + i, ends.first_ids[i]);
            break;
        }
    ASSERT_EQ_STR("0", stored_field("", "forkRunning"));
    ASSERT_EQ_STR("1000", stored_field("", "forkSucceeded"));
    ASSERT_EQ_STR("", stored_field("", "forkFailed"));
    ASSERT_EQ_STR("1000", stored_field("", "forkSignals"));
    ASSERT_EQ_INT(NOW_MS, timer_of(""));
    ASSERT_EQ_INT(1, redis_server_integer(&server, "ZCARD %s", timers_key()));
    ASSERT_EQ_INT(0, live_branches());
    ASSERT_EQ_INT(0, redis_server_integer(&server, "EXISTS %s", branch_key(FORK ".0")));
    ASSERT_EQ_INT(4 + MANY, history_length());
    redisReply *history = redis_server_command(&server, "LRANGE %s 0 -1", key_of("history", ""));
    bool dense = history && history->type == REDIS_REPLY_ARRAY && history->elements == 4 + MANY;
    for (size_t i = 0; dense && i < history->elements; i++) {
        char expected[48];
        snprintf(expected, sizeof(expected), "{\"id\":%zu,\"previousEventId\":%s,", i + 1,
                 i == 0   ? "0"
                 : i >= 4 ? "4"
                 : i == 1 ? "1"
                 : i == 2 ? "2"
                          : "3");
        char *event = stored_history_event(history->element[i], (long)i);
        dense = event && strncmp(event, expected, strlen(expected)) == 0;
        if (!dense)
            printf("# event %zu: %s\n", i, event ? event : history->element[i]->str);
        free(event);
    }
    freeReplyObject(history);
    ASSERT_TRUE(dense);
    reset();
    ASSERT_TRUE(answered(execution_store_read_results(client, ID, "/" FORK, on_results, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(MANY, outcome.count);
    char *output = redis_server_string(&server, "HGET %s 999", results_key("/" FORK));
    ASSERT_EQ_STR("{\"i\":999}", output ? output : "");
    free(output);
}

static void test_a_thousand_children_ending_at_once_on_one_connection(void)
{
    struct redis_client *big = NULL;
    ASSERT_EQ_INT(0, redis_server_client(&server, loop, 5000, 2 * MANY, &big));
    if (!big)
        return;
    if (execution_store_init(big) == 0 && redis_server_client_ready(loop, big, WAIT_MS))
        end_many_children_at_once(&big, 1);
    else
        ASSERT_TRUE(false);
    redis_client_destroy(big);
}

static void test_a_thousand_children_ending_at_once_on_two_connections(void)
{
    struct redis_client *clients[2] = { NULL, NULL };
    bool ready = true;
    for (int i = 0; i < 2; i++)
        ready = ready && redis_server_client(&server, loop, 5000, 2 * MANY, &clients[i]) == 0
                && execution_store_init(clients[i]) == 0 && redis_server_client_ready(loop, clients[i], WAIT_MS);
    ASSERT_TRUE(ready);
    if (ready)
        end_many_children_at_once(clients, 2);
    for (int i = 0; i < 2; i++)
        redis_client_destroy(clients[i]);
}

static void test_a_failed_child_is_counted_and_its_error_kept(void)
{
    struct child_end end;
    ASSERT_TRUE(create_root());
    ASSERT_TRUE(enter_fork("", 2, 2));
    child_end_init(&end, "", 1, 4, true);
    reset();
    ASSERT_TRUE(answered(execution_store_commit_branch(client, ID, &end.commit, on_commit, NULL)));
    ASSERT_EQ_INT(EXECUTION_COMMITTED, outcome.commit);
    ASSERT_EQ_STR("1", stored_field("", "forkRunning"));
    ASSERT_EQ_STR("1", stored_field("", "forkFailed"));
    ASSERT_EQ_STR("", stored_field("", "forkSucceeded"));
    reset();
    ASSERT_TRUE(answered(execution_store_read_results(client, ID, "/" FORK, on_results, NULL)));
    ASSERT_EQ_INT(1, outcome.count);
    ASSERT_EQ_STR("!1", outcome.names[0]);
    ASSERT_EQ_STR("{\"Error\":\"E1\"}", outcome.values[0]);
}

/* The root's continuation: no events, the timer cleared, computed from forkSignals signals. */
static bool continue_fork(long signals)
{
    struct execution_record record = at_fork(2);
    struct execution_fields fields;
    execution_record_fields(&record, EXECUTION_FIELD_TIMER_DUE, &fields);
    struct execution_branch_commit commit = {
        .branch_id = "",
        .expected_last_event_id = 4,
        .fields = &fields,
        .continuation = true,
        .expected_fork_signals = signals,
        .now_ms = NOW_MS + 5,
    };
    reset();
    return answered(execution_store_commit_branch(client, ID, &commit, on_commit, NULL)) && outcome.status == 0
           && outcome.commit == EXECUTION_COMMITTED;
}

static void test_a_continuation_computed_before_a_signal_keeps_the_timer_due(void)
{
    ASSERT_TRUE(create_root());
    ASSERT_TRUE(enter_fork("", 2, 2));
    ASSERT_TRUE(end_child("", 0, 4));
    ASSERT_EQ_INT(EXECUTION_COMMITTED, outcome.commit);
    ASSERT_EQ_INT(NOW_MS, timer_of(""));
    ASSERT_TRUE(continue_fork(0)); /* loaded before the child's end */
    ASSERT_EQ_INT(NOW_MS + 5, timer_of(""));
    ASSERT_EQ_STR("1700000001005", stored_field("", "timerDue"));
    ASSERT_TRUE(continue_fork(1)); /* up to date: the timer goes */
    ASSERT_EQ_INT(-1, timer_of(""));
    ASSERT_EQ_STR("", stored_field("", "timerDue"));
}

/* The root leaves its fork FORK (its children aborted), resting in a task again: one event. */
static bool abort_root_fork(long expected)
{
    static const char *const types[] = { "MapStateFailed" };
    struct execution_event items[1];
    char bodies[1][64];
    struct execution_events events = events_of(types, 1, items, bodies);
    struct execution_record record = { .state = "Handler", .resting = "task", .task_token = "root-token-2" };
    struct execution_fields fields;
    execution_record_fields(&record, EXECUTION_FIELDS_RESTING, &fields);
    execution_record_branch_fields(&record, EXECUTION_BRANCH_FIELDS_FORK, &fields);
    const struct execution_abort abort = { "", FORK };
    struct execution_branch_commit commit = {
        .branch_id = "",
        .expected_last_event_id = expected,
        .events = &events,
        .fields = &fields,
        .abort = &abort,
    };
    reset();
    return answered(execution_store_commit_branch(client, ID, &commit, on_commit, NULL)) && outcome.status == 0
           && outcome.commit == EXECUTION_COMMITTED;
}

static void test_a_child_ending_after_its_fork_was_left_is_orphaned(void)
{
    ASSERT_TRUE(create_root());
    ASSERT_TRUE(enter_fork("", 2, 2));
    ASSERT_TRUE(abort_root_fork(4));
    long long length = history_length();
    ASSERT_TRUE(end_child("", 0, 4));
    ASSERT_EQ_INT(EXECUTION_ORPHANED, outcome.commit);
    ASSERT_EQ_INT(0, outcome.first_event_id);
    ASSERT_EQ_INT(length, history_length());
    ASSERT_EQ_INT(0, redis_server_integer(&server, "EXISTS %s", results_key("/" FORK)));
    ASSERT_EQ_STR("", stored_field("", "forkSignals"));
    ASSERT_EQ_STR("", stored_field("", "forkRunning"));
    ASSERT_EQ_INT(-1, timer_of(""));
}

/* Counts the keys of kind ("branch", "results") of the execution. */
static long long keys_of(const char *kind)
{
    redisReply *reply = redis_server_command(&server, "KEYS %s*", key_of(kind, "|"));
    long long count = reply && reply->type == REDIS_REPLY_ARRAY ? (long long)reply->elements : -1;
    freeReplyObject(reply);
    return count;
}

static void test_a_subtree_abort_deletes_records_timers_branches_and_results(void)
{
    ASSERT_TRUE(create_root());
    ASSERT_TRUE(enter_fork("", 2, 3));        /* 3.0, 3.1, 3.2; events 3-4 */
    ASSERT_TRUE(end_child("", 2, 4));         /* results of /3; event 5 */
    ASSERT_TRUE(enter_fork(FORK ".0", 4, 2)); /* 3.0 rests at fork 3: 3.0/3.0, 3.0/3.1; events 6-7 */
    ASSERT_TRUE(end_child(FORK ".0", 1, 7));  /* results of 3.0/3; event 8 */
    ASSERT_EQ_INT(EXECUTION_COMMITTED, outcome.commit);
    ASSERT_EQ_INT(3, live_branches()); /* 3.0, 3.1 and 3.0/3.0 */
    ASSERT_EQ_INT(2, keys_of("results"));
    ASSERT_EQ_STR("1", stored_field(FORK ".0", "forkSucceeded"));
    ASSERT_EQ_INT(NOW_MS, timer_of(FORK ".0"));
    ASSERT_EQ_INT(CHILD_TIMER_MS, timer_of(FORK ".0/" FORK ".0"));
    ASSERT_TRUE(abort_root_fork(4));
    ASSERT_EQ_INT(0, live_branches());
    ASSERT_EQ_INT(0, keys_of("branch"));
    ASSERT_EQ_INT(0, keys_of("results"));
    ASSERT_EQ_INT(0, redis_server_integer(&server, "ZCARD %s", timers_key())); /* the root's task has no timer */
    ASSERT_EQ_STR("Handler", stored_field("", "state"));
    ASSERT_EQ_STR("", stored_field("", "forkState"));
}

static void test_a_nested_abort_keeps_the_rest_of_the_tree(void)
{
    ASSERT_TRUE(create_root());
    ASSERT_TRUE(enter_fork("", 2, 2));        /* 3.0, 3.1 */
    ASSERT_TRUE(enter_fork(FORK ".0", 4, 2)); /* 3.0/3.0, 3.0/3.1 */
    ASSERT_TRUE(end_child(FORK ".0", 0, 6));
    const struct execution_abort abort = { FORK ".0", FORK };
    struct execution_record record = { .state = "Caught", .resting = "wait", .timer_due_ms = CHILD_TIMER_MS + 1 };
    struct execution_fields fields;
    execution_record_fields(&record, EXECUTION_FIELDS_RESTING, &fields);
    execution_record_branch_fields(&record, EXECUTION_BRANCH_FIELDS_FORK, &fields);
    struct execution_branch_commit commit = {
        .branch_id = FORK ".0", .expected_last_event_id = 6, .fields = &fields, .abort = &abort
    };
    reset();
    ASSERT_TRUE(answered(execution_store_commit_branch(client, ID, &commit, on_commit, NULL)));
    ASSERT_EQ_INT(EXECUTION_COMMITTED, outcome.commit);
    ASSERT_EQ_INT(2, live_branches());
    ASSERT_EQ_INT(0, redis_server_integer(&server, "EXISTS %s", branch_key(FORK ".0/" FORK ".1")));
    ASSERT_EQ_INT(-1, timer_of(FORK ".0/" FORK ".1"));
    ASSERT_EQ_INT(0, redis_server_integer(&server, "EXISTS %s", results_key(FORK ".0/" FORK)));
    ASSERT_EQ_INT(CHILD_TIMER_MS + 1, timer_of(FORK ".0"));
    ASSERT_EQ_STR("Caught", stored_field(FORK ".0", "state"));
    ASSERT_EQ_STR("token-1", stored_field(FORK ".1", "taskToken"));
    ASSERT_EQ_INT(CHILD_TIMER_MS, timer_of(FORK ".1"));
}

static void test_a_stale_branch_token_is_task_closed(void)
{
    struct execution_record record = { .state = "Next", .resting = "task", .task_token = "token-1b" };
    struct execution_fields fields;
    ASSERT_TRUE(create_root());
    ASSERT_TRUE(enter_fork("", 2, 2));
    execution_record_fields(&record, EXECUTION_FIELDS_RESTING, &fields);
    struct execution_branch_commit commit = {
        .branch_id = FORK ".1", .expected_last_event_id = 4, .required_token = "token-0", .fields = &fields
    };
    reset();
    ASSERT_TRUE(answered(execution_store_commit_branch(client, ID, &commit, on_commit, NULL)));
    ASSERT_EQ_INT(EXECUTION_TASK_CLOSED, outcome.commit);
    commit.required_token = "token-1";
    commit.expected_last_event_id = 3;
    reset();
    ASSERT_TRUE(answered(execution_store_commit_branch(client, ID, &commit, on_commit, NULL)));
    ASSERT_EQ_INT(EXECUTION_CHANGED, outcome.commit);
    commit.expected_last_event_id = 4;
    reset();
    ASSERT_TRUE(answered(execution_store_commit_branch(client, ID, &commit, on_commit, NULL)));
    ASSERT_EQ_INT(EXECUTION_COMMITTED, outcome.commit);
    ASSERT_EQ_STR("token-1b", stored_field(FORK ".1", "taskToken"));
    ASSERT_EQ_INT(-1, timer_of(FORK ".1"));
    reset();
    ASSERT_TRUE(answered(execution_store_commit_branch(client, ID, &commit, on_commit, NULL)));
    ASSERT_EQ_INT(EXECUTION_TASK_CLOSED, outcome.commit); /* the token given was answered already */
    commit.branch_id = FORK ".9";
    commit.required_token = NULL;
    reset();
    ASSERT_TRUE(answered(execution_store_commit_branch(client, ID, &commit, on_commit, NULL)));
    ASSERT_EQ_INT(EXECUTION_MISSING, outcome.commit);
    ASSERT_EQ_INT(0, redis_server_integer(&server, "EXISTS %s", branch_key(FORK ".9")));
}

static void test_child_timer_members_round_trip_through_a_claim(void)
{
    char id[EXECUTION_STORE_KEY_SIZE], branch[EXECUTION_STORE_BRANCH_ID_SIZE];
    ASSERT_TRUE(create_root());
    ASSERT_TRUE(enter_fork("", 2, 1));
    reset();
    ASSERT_TRUE(answered(
        execution_store_claim_timers(client, execution_store_shard(ID), CHILD_TIMER_MS, 1000, 10, on_claim, NULL)));
    ASSERT_EQ_INT(1, outcome.count);
    ASSERT_EQ_STR(ID "|" FORK ".0", outcome.ids[0]);
    ASSERT_EQ_INT(0, execution_store_parse_timer_member(outcome.ids[0], id, sizeof(id), branch, sizeof(branch)));
    ASSERT_EQ_STR(ID, id);
    ASSERT_EQ_STR(FORK ".0", branch);
}

static void test_a_plain_root_commit_is_todays_commit(void)
{
    static const char *const types[] = { "TaskSucceeded" };
    struct execution_event items[1];
    char bodies[1][64];
    struct execution_events events = events_of(types, 1, items, bodies);
    struct execution_record record = { .state = "Next", .resting = "wait", .timer_due_ms = CHILD_TIMER_MS };
    struct execution_fields fields;
    ASSERT_TRUE(create_root());
    execution_record_fields(&record, EXECUTION_FIELDS_RESTING, &fields);
    struct execution_branch_commit commit = { .branch_id = "",
                                              .expected_last_event_id = 2,
                                              .required_token = "root-token",
                                              .events = &events,
                                              .fields = &fields };
    reset();
    ASSERT_TRUE(answered(execution_store_commit_branch(client, ID, &commit, on_commit, NULL)));
    ASSERT_EQ_INT(EXECUTION_COMMITTED, outcome.commit);
    ASSERT_EQ_INT(3, outcome.first_event_id);
    ASSERT_EQ_STR("3", stored_field("", "lastEventId"));
    ASSERT_EQ_INT(CHILD_TIMER_MS, timer_of(""));
    ASSERT_EQ_INT(0, live_branches());
}

static bool read_branches(size_t max)
{
    reset();
    return answered(execution_store_read_branches(client, ID, max, on_branches, NULL)) && outcome.status == 0;
}

static void test_the_live_branches_are_read_with_their_records(void)
{
    ASSERT_TRUE(read_branches(10)); /* no such execution */
    ASSERT_EQ_INT(0, outcome.count);
    ASSERT_TRUE(!outcome.truncated);
    ASSERT_TRUE(create_root());
    ASSERT_TRUE(read_branches(10)); /* a root without children */
    ASSERT_EQ_INT(0, outcome.count);
    ASSERT_TRUE(enter_fork("", 2, 2));        /* 3.0, 3.1 */
    ASSERT_TRUE(enter_fork(FORK ".0", 4, 1)); /* 3.0/3.0 */
    ASSERT_TRUE(read_branches(10));
    ASSERT_EQ_INT(3, outcome.count);
    ASSERT_TRUE(!outcome.truncated);
    ASSERT_EQ_STR(FORK ".0", outcome.ids[0]);
    ASSERT_EQ_STR("fork", outcome.states[0]);
    ASSERT_EQ_STR("", outcome.tokens[0]);
    ASSERT_EQ_STR(FORK ".0/" FORK ".0", outcome.ids[1]);
    ASSERT_EQ_STR("task", outcome.states[1]);
    ASSERT_EQ_STR("token-0", outcome.tokens[1]);
    ASSERT_EQ_STR("0", outcome.indexes[1]);
    ASSERT_EQ_INT(CHILD_TIMER_MS, outcome.timers[1]);
    ASSERT_EQ_STR(FORK ".1", outcome.ids[2]);
    ASSERT_EQ_STR("token-1", outcome.tokens[2]);
    ASSERT_EQ_STR("1", outcome.indexes[2]);
    ASSERT_TRUE(end_child(FORK ".0", 0, 6));
    ASSERT_TRUE(read_branches(10));
    ASSERT_EQ_INT(2, outcome.count); /* an ended child is no longer live */
    ASSERT_EQ_STR(FORK ".1", outcome.ids[1]);
}

static void test_a_bounded_read_says_more_branches_exist(void)
{
    ASSERT_TRUE(create_root());
    ASSERT_TRUE(enter_fork("", 2, 3));
    ASSERT_TRUE(read_branches(2));
    ASSERT_EQ_INT(2, outcome.count);
    ASSERT_TRUE(outcome.truncated);
    ASSERT_EQ_STR(FORK ".1", outcome.ids[1]);
    ASSERT_TRUE(read_branches(3));
    ASSERT_EQ_INT(3, outcome.count);
    ASSERT_TRUE(!outcome.truncated);
    ASSERT_TRUE(read_branches(0)); /* 0: the maximum */
    ASSERT_EQ_INT(3, outcome.count);
}

/* A commit whose children would pass the execution's bound on live branches writes nothing. */
static void test_children_beyond_the_live_branch_bound_are_refused(void)
{
    ASSERT_TRUE(create_root());
    ASSERT_TRUE(try_enter_fork("", 2, EXECUTION_STORE_MAX_LIVE_BRANCHES + 1));
    ASSERT_EQ_INT(EXECUTION_BRANCHES_FULL, outcome.commit);
    ASSERT_TRUE(read_branches(0));
    ASSERT_EQ_INT(0, outcome.count);
    ASSERT_TRUE(load(""));
    ASSERT_EQ_INT(2, outcome.stored_events); /* no event written */
    ASSERT_TRUE(outcome.branch != NULL && outcome.branch->resting && strcmp(outcome.branch->resting, "task") == 0);
    ASSERT_TRUE(enter_fork("", 2, EXECUTION_STORE_MAX_LIVE_BRANCHES)); /* exactly the bound is taken */
    ASSERT_TRUE(read_branches(0));
    ASSERT_EQ_INT(EXECUTION_STORE_MAX_READ_BRANCHES, outcome.count);
    ASSERT_TRUE(outcome.truncated);
}

static int init_store(void *data)
{
    (void)data;
    return execution_store_init(client);
}

int main(void)
{
    if (redis_server_open(&server, &loop, &client, init_store, NULL) < 0)
        return 1;
    REDIS_SERVER_RUN_FLUSHED(&server, test_children_created_with_their_fork_load_back);
    REDIS_SERVER_RUN_FLUSHED(&server, test_children_beyond_the_live_branch_bound_are_refused);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_thousand_children_ending_at_once_on_one_connection);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_thousand_children_ending_at_once_on_two_connections);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_failed_child_is_counted_and_its_error_kept);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_continuation_computed_before_a_signal_keeps_the_timer_due);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_child_ending_after_its_fork_was_left_is_orphaned);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_subtree_abort_deletes_records_timers_branches_and_results);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_nested_abort_keeps_the_rest_of_the_tree);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_stale_branch_token_is_task_closed);
    REDIS_SERVER_RUN_FLUSHED(&server, test_child_timer_members_round_trip_through_a_claim);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_plain_root_commit_is_todays_commit);
    REDIS_SERVER_RUN_FLUSHED(&server, test_the_live_branches_are_read_with_their_records);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_bounded_read_says_more_branches_exist);
    redis_server_close(&server, loop, client);
    return test_done();
}
