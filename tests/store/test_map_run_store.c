/*
 * test_map_run_store.c - loan-processor/store/map_run_store against a real
 * redis-server: each test writes Map Runs and child executions by hand, in
 * the layout of docs/execution-model.md ("Distributed Map"), and checks what
 * the reads answer and what UpdateMapRun leaves in Redis.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map_run_store.h"
#include "redis_server.h"
#include "test.h"

#define WAIT_MS 5000
#define PREFIX "arn:aws:states:us-east-1:123456789012:"
#define MACHINE_ARN PREFIX "stateMachine:Machine"
#define PARENT_ID "Machine:parent"
#define PARENT_ARN PREFIX "execution:" PARENT_ID

static struct redis_server server;
static struct event_loop *loop;
static struct redis_client *client;

/* What a store callback reported. */
static struct outcome {
    bool done;
    int calls;
    int status;
    struct map_run_record *record;
    size_t count;
    bool more;
    bool found;
    char arns[4][256];
    char names[4][64];
    int64_t starts[4];
    int64_t stops[4];
    bool has_next;
} outcome;

static void reset(void)
{
    map_run_store_record_free(outcome.record);
    outcome = (struct outcome){ 0 };
}

static void finish(int status)
{
    outcome.done = true;
    outcome.calls++;
    outcome.status = status;
}

static void on_load(int status, struct map_run_record *record, void *data)
{
    (void)data;
    finish(status);
    outcome.record = record;
}

static void on_runs(int status, const struct map_run_summary *items, size_t count, bool more, void *data)
{
    (void)data;
    finish(status);
    outcome.count = count;
    outcome.more = more;
    for (size_t i = 0; i < count && i < 4; i++) {
        snprintf(outcome.arns[i], sizeof(outcome.arns[i]), "%s|%s|%s", items[i].map_run_arn, items[i].execution_arn,
                 items[i].state_machine_arn);
        outcome.starts[i] = items[i].start_ms;
        outcome.stops[i] = items[i].stop_ms;
    }
}

static void on_executions(int status, const struct execution_summary *items, size_t count, const char *next, void *data)
{
    (void)data;
    finish(status);
    outcome.count = count;
    outcome.has_next = next != NULL;
    for (size_t i = 0; i < count && i < 4; i++) {
        snprintf(outcome.arns[i], sizeof(outcome.arns[i]), "%s", items[i].arn);
        snprintf(outcome.names[i], sizeof(outcome.names[i]), "%s:%s", items[i].name, items[i].status);
    }
}

static void on_update(int status, bool found, void *data)
{
    (void)data;
    finish(status);
    outcome.found = found;
}

/* Waits for the callback of an operation that returned result; false when it was not sent or not answered. */
static bool answered(int result)
{
    return result == 0 && redis_server_run_until_flag(loop, &outcome.done, WAIT_MS) && outcome.calls == 1;
}

/* A Map Run id of label in the parent's shard (the engine draws uuids the same way), into out. */
static void map_run_id_in_parent_shard(const char *label, char *out, size_t size)
{
    for (unsigned n = 0;; n++) {
        snprintf(out, size, "Machine/%s:00000000-0000-4000-8000-%012u", label, n);
        if (execution_store_shard(out) == execution_store_shard(PARENT_ID))
            return;
    }
}

/* Writes a Map Run's record (by hand, as the engine's scripts do) and its entry in the parent's runs. */
static void write_map_run(const char *id, long long start_ms, long long stop_ms)
{
    char key[MAP_RUN_STORE_KEY_SIZE], runs[MAP_RUN_STORE_KEY_SIZE];
    ASSERT_EQ_INT(0, map_run_store_key(id, key, sizeof(key)));
    ASSERT_EQ_INT(0, map_run_store_runs_key(PARENT_ID, runs, sizeof(runs)));
    freeReplyObject(redis_server_command(
        &server,
        "HSET %s mapRunArn " PREFIX "mapRun:%s executionArn " PARENT_ARN " stateMachineArn " MACHINE_ARN
        " label Items status RUNNING startDate %lld maxConcurrency 5 toleratedFailurePercentage 12.5 "
        "toleratedFailureCount 3 itemCount 10 running 2 succeeded 3 failed 1",
        key, id, start_ms));
    if (stop_ms)
        freeReplyObject(redis_server_command(&server, "HSET %s status SUCCEEDED stopDate %lld", key, stop_ms));
    ASSERT_EQ_INT(1, redis_server_integer(&server, "ZADD %s %lld " PREFIX "mapRun:%s", runs, start_ms, id));
}

static void test_keys_carry_the_shard_of_the_id_they_name(void)
{
    char key[MAP_RUN_STORE_KEY_SIZE], expected[MAP_RUN_STORE_KEY_SIZE], id[128];
    map_run_id_in_parent_shard("Items", id, sizeof(id));
    unsigned shard = execution_store_shard(PARENT_ID);
    ASSERT_EQ_INT(0, map_run_store_key(id, key, sizeof(key)));
    snprintf(expected, sizeof(expected), "{sfn:%02u}:maprun:%s", shard, id);
    ASSERT_EQ_STR(expected, key);
    ASSERT_EQ_INT(0, map_run_store_runs_key(PARENT_ID, key, sizeof(key)));
    snprintf(expected, sizeof(expected), "{sfn:%02u}:mapruns:" PARENT_ID, shard);
    ASSERT_EQ_STR(expected, key);
    ASSERT_EQ_INT(0, map_run_store_executions_key(id, key, sizeof(key)));
    snprintf(expected, sizeof(expected), "{sfn:%02u}:maprun-executions:%s", shard, id);
    ASSERT_EQ_STR(expected, key);
    ASSERT_EQ_INT(-ENAMETOOLONG, map_run_store_key(id, key, 20));
}

static void test_load_parses_the_record_and_reports_a_missing_one(void)
{
    char id[128];
    map_run_id_in_parent_shard("Items", id, sizeof(id));
    write_map_run(id, 1700000000123LL, 1700000009000LL);
    reset();
    ASSERT_TRUE(answered(map_run_store_load(client, id, on_load, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_NOT_NULL(outcome.record);
    if (!outcome.record)
        return;
    const struct map_run_record *record = outcome.record;
    ASSERT_EQ_STR(PARENT_ARN, record->execution_arn);
    ASSERT_EQ_STR(MACHINE_ARN, record->state_machine_arn);
    ASSERT_EQ_STR("Items", record->label);
    ASSERT_EQ_STR("SUCCEEDED", record->status);
    ASSERT_TRUE(strstr(record->map_run_arn, ":mapRun:Machine/Items:") != NULL);
    ASSERT_TRUE(record->start_ms == 1700000000123LL && record->stop_ms == 1700000009000LL);
    ASSERT_TRUE(record->max_concurrency == 5 && record->tolerated_failure_count == 3);
    ASSERT_TRUE(record->tolerated_failure_percentage == 12.5);
    ASSERT_TRUE(record->item_count == 10 && record->running == 2 && record->succeeded == 3);
    ASSERT_TRUE(record->failed == 1 && record->aborted == 0); /* an absent counter is 0 */
    reset();
    ASSERT_TRUE(answered(map_run_store_load(client, "Machine/Items:missing", on_load, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_NULL(outcome.record);
    reset();
}

static void test_list_pages_newest_first_and_skips_entries_without_a_record(void)
{
    char older[128], newer[128], runs[MAP_RUN_STORE_KEY_SIZE];
    map_run_id_in_parent_shard("Old", older, sizeof(older));
    map_run_id_in_parent_shard("New", newer, sizeof(newer));
    write_map_run(older, 1000, 1500);
    write_map_run(newer, 2000, 0);
    ASSERT_EQ_INT(0, map_run_store_runs_key(PARENT_ID, runs, sizeof(runs)));
    ASSERT_EQ_INT(1, redis_server_integer(&server, "ZADD %s 1200 " PREFIX "mapRun:Machine/Gone:u", runs));
    reset();
    ASSERT_TRUE(answered(map_run_store_list(client, PARENT_ID, 0, 1, on_runs, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(1, (int)outcome.count);
    ASSERT_TRUE(outcome.more);
    ASSERT_TRUE(strstr(outcome.arns[0], ":mapRun:Machine/New:") != NULL);
    ASSERT_TRUE(strstr(outcome.arns[0], "|" PARENT_ARN "|" MACHINE_ARN) != NULL);
    ASSERT_TRUE(outcome.starts[0] == 2000 && outcome.stops[0] == 0);
    reset();
    ASSERT_TRUE(answered(map_run_store_list(client, PARENT_ID, 1, 10, on_runs, NULL)));
    ASSERT_EQ_INT(1, (int)outcome.count); /* the entry without a record is skipped */
    ASSERT_TRUE(!outcome.more);
    ASSERT_TRUE(strstr(outcome.arns[0], ":mapRun:Machine/Old:") != NULL);
    ASSERT_TRUE(outcome.starts[0] == 1000 && outcome.stops[0] == 1500);
    reset();
    ASSERT_TRUE(answered(map_run_store_list(client, "Machine:none", 0, 0, on_runs, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(0, (int)outcome.count);
    reset();
}

/* Writes a child execution's record and its entry in its Map Run's children. */
static void write_child(const char *map_run_id, const char *uuid, const char *status, long long start_ms)
{
    char id[256], key[EXECUTION_STORE_KEY_SIZE], children[MAP_RUN_STORE_KEY_SIZE];
    snprintf(id, sizeof(id), "%.*s:%s", (int)(strrchr(map_run_id, ':') - map_run_id), map_run_id, uuid);
    ASSERT_EQ_INT(0, execution_store_key(id, key, sizeof(key)));
    ASSERT_EQ_INT(0, map_run_store_executions_key(map_run_id, children, sizeof(children)));
    freeReplyObject(redis_server_command(&server,
                                         "HSET %s arn " PREFIX "execution:%s name %s status %s startDate %lld "
                                         "mapRunArn " PREFIX "mapRun:%s parentExecution " PARENT_ID,
                                         key, id, uuid, status, start_ms, map_run_id));
    ASSERT_EQ_INT(1, redis_server_integer(&server, "ZADD %s %lld " PREFIX "execution:%s", children, start_ms, id));
}

static void test_list_executions_reads_the_children_with_paging_and_a_status_filter(void)
{
    char id[128];
    map_run_id_in_parent_shard("Items", id, sizeof(id));
    write_map_run(id, 1000, 0);
    write_child(id, "c1", "SUCCEEDED", 1001);
    write_child(id, "c2", "RUNNING", 1002);
    write_child(id, "c3", "SUCCEEDED", 1003);
    reset();
    ASSERT_TRUE(answered(map_run_store_list_executions(client, id, NULL, 2, NULL, on_executions, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(2, (int)outcome.count);
    ASSERT_EQ_STR("c3:SUCCEEDED", outcome.names[0]);
    ASSERT_EQ_STR("c2:RUNNING", outcome.names[1]);
    ASSERT_TRUE(outcome.has_next);
    ASSERT_TRUE(strstr(outcome.arns[0], ":execution:Machine/Items:c3") != NULL);
    reset();
    ASSERT_TRUE(answered(map_run_store_list_executions(client, id, NULL, 10, "SUCCEEDED", on_executions, NULL)));
    ASSERT_EQ_INT(2, (int)outcome.count);
    ASSERT_EQ_STR("c3:SUCCEEDED", outcome.names[0]);
    ASSERT_EQ_STR("c1:SUCCEEDED", outcome.names[1]);
    reset();
    ASSERT_TRUE(answered(map_run_store_list_executions(client, "Machine/X:none", NULL, 0, NULL, on_executions, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(0, (int)outcome.count);
    reset();
}

static void test_update_changes_only_the_given_settings_of_an_existing_map_run(void)
{
    char id[128], key[MAP_RUN_STORE_KEY_SIZE];
    map_run_id_in_parent_shard("Items", id, sizeof(id));
    write_map_run(id, 1000, 0);
    ASSERT_EQ_INT(0, map_run_store_key(id, key, sizeof(key)));
    struct map_run_update update = { .has_max_concurrency = true,
                                     .max_concurrency = 50,
                                     .has_tolerated_failure_percentage = true,
                                     .tolerated_failure_percentage = 33.3 };
    reset();
    ASSERT_TRUE(answered(map_run_store_update(client, id, &update, on_update, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_TRUE(outcome.found);
    char *value = redis_server_string(&server, "HGET %s maxConcurrency", key);
    ASSERT_EQ_STR("50", value ? value : "");
    free(value);
    value = redis_server_string(&server, "HGET %s toleratedFailurePercentage", key);
    ASSERT_EQ_STR("33.3", value ? value : "");
    free(value);
    value = redis_server_string(&server, "HGET %s toleratedFailureCount", key);
    ASSERT_EQ_STR("3", value ? value : "");
    free(value);
    reset();
    update = (struct map_run_update){ .has_tolerated_failure_count = true, .tolerated_failure_count = 0 };
    ASSERT_TRUE(answered(map_run_store_update(client, "Machine/Items:missing", &update, on_update, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_TRUE(!outcome.found);
    ASSERT_EQ_INT(0, (int)redis_server_integer(&server, "EXISTS {sfn:%02u}:maprun:Machine/Items:missing",
                                               execution_store_shard("Machine/Items:missing")));
    reset();
}

static int init_store(void *data)
{
    (void)data;
    int result = execution_store_init(client);
    return result < 0 ? result : map_run_store_init(client);
}

int main(void)
{
    if (redis_server_open(&server, &loop, &client, init_store, NULL) < 0)
        return 1;
    REDIS_SERVER_RUN_FLUSHED(&server, test_keys_carry_the_shard_of_the_id_they_name);
    REDIS_SERVER_RUN_FLUSHED(&server, test_load_parses_the_record_and_reports_a_missing_one);
    REDIS_SERVER_RUN_FLUSHED(&server, test_list_pages_newest_first_and_skips_entries_without_a_record);
    REDIS_SERVER_RUN_FLUSHED(&server, test_list_executions_reads_the_children_with_paging_and_a_status_filter);
    REDIS_SERVER_RUN_FLUSHED(&server, test_update_changes_only_the_given_settings_of_an_existing_map_run);
    redis_server_close(&server, loop, client);
    return test_done();
}
