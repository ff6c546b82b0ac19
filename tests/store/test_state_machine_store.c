/*
 * test_state_machine_store.c - loan-processor/store/state_machine_store's
 * Lua scripts and reads against a real redis-server: what each operation
 * answers and what it leaves in Redis.
 */
#include <errno.h>
#include <string.h>

#include "redis_server.h"
#include "state_machine_store.h"
#include "test.h"

#define WAIT_MS 5000
#define ARN_PREFIX "arn:aws:states:us-east-1:123456789012:stateMachine:"
#define DEFINITION_A "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"End\":true}}}"
#define DEFINITION_B "{\"StartAt\":\"B\",\"States\":{\"B\":{\"Type\":\"Succeed\"}}}"
#define LOGGING "{\"level\":\"OFF\"}"
#define TRACING "{\"enabled\":false}"

static struct redis_server server;
static struct event_loop *loop;
static struct redis_client *client;

/* What a store callback reported. */
static struct outcome {
    bool done;
    int calls;
    int status;
    enum state_machine_create_outcome created; /* create's outcome, when status is 0 */
    int64_t ms;
    char revision_id[64];
    struct state_machine_record *record;
    char definition[256];
    bool definition_found;
    char names[4][64];
    size_t count;
    char next[64];
    bool has_next;
    enum state_machine_version_outcome version_outcome;
    char json[512];
    enum state_machine_tags_outcome tagged; /* a tag operation's outcome, when status is 0 */
    char tags[128];                         /* a listing's tags as "key=value," ... */
} outcome;

static void reset(void)
{
    state_machine_store_record_free(outcome.record);
    outcome = (struct outcome){ 0 };
}

static void finish(int status)
{
    outcome.done = true;
    outcome.calls++;
    outcome.status = status;
}

static void on_create(int status, enum state_machine_create_outcome created, int64_t creation_ms,
                      const char *version_arn, void *data)
{
    (void)data;
    (void)version_arn;
    finish(status);
    outcome.created = created;
    outcome.ms = creation_ms;
}

static void on_update(int status, const char *revision_id, int64_t update_ms, const char *version_arn, void *data)
{
    (void)data;
    (void)version_arn;
    finish(status);
    outcome.ms = update_ms;
    snprintf(outcome.revision_id, sizeof(outcome.revision_id), "%s", revision_id ? revision_id : "");
}

static void on_load(int status, struct state_machine_record *record, void *data)
{
    (void)data;
    finish(status);
    outcome.record = record;
}

static void on_definition(int status, const char *definition, void *data)
{
    (void)data;
    finish(status);
    outcome.definition_found = definition != NULL;
    snprintf(outcome.definition, sizeof(outcome.definition), "%s", definition ? definition : "");
}

static void on_delete(int status, void *data)
{
    (void)data;
    finish(status);
}

static void on_list(int status, const struct state_machine_summary *items, size_t count, const char *next, void *data)
{
    (void)data;
    finish(status);
    outcome.count = count;
    for (size_t i = 0; i < count && i < 4; i++)
        snprintf(outcome.names[i], sizeof(outcome.names[i]), "%s", items[i].name);
    outcome.has_next = next != NULL;
    snprintf(outcome.next, sizeof(outcome.next), "%s", next ? next : "");
}

static void on_tags(int status, enum state_machine_tags_outcome tagged, const char *const *tags, size_t count,
                    void *data)
{
    (void)data;
    finish(status);
    outcome.tagged = tagged;
    outcome.tags[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        size_t used = strlen(outcome.tags);
        snprintf(outcome.tags + used, sizeof(outcome.tags) - used, "%s=%s,", tags[2 * i], tags[2 * i + 1]);
    }
}

/* Waits for the callback of an operation that returned result; false when it was not sent or not answered. */
static bool answered(int result)
{
    return result == 0 && redis_server_run_until_flag(loop, &outcome.done, WAIT_MS) && outcome.calls == 1;
}

static void on_version(int status, enum state_machine_version_outcome version_outcome, const char *json, void *data)
{
    (void)data;
    finish(status);
    outcome.version_outcome = version_outcome;
    snprintf(outcome.json, sizeof(outcome.json), "%s", json ? json : "");
}

static struct state_machine_fields machine(const char *name, const char *definition, const char *hash, int64_t now_ms)
{
    static char arn[128];
    snprintf(arn, sizeof(arn), ARN_PREFIX "%s", name);
    return (struct state_machine_fields){
        .name = name,
        .arn = arn,
        .definition = definition,
        .definition_hash = hash,
        .role_arn = "arn:aws:iam::123456789012:role/StepFunctions",
        .type = "STANDARD",
        .logging = LOGGING,
        .tracing = TRACING,
        .now_ms = now_ms,
    };
}

static bool create(const char *name, const char *definition, const char *hash, int64_t now_ms)
{
    struct state_machine_fields fields = machine(name, definition, hash, now_ms);
    reset();
    return answered(state_machine_store_create(client, &fields, on_create, NULL));
}

/* The string of field in a machine's hash, or "" (static buffer). */
static const char *stored_field(const char *name, const char *field)
{
    static char value[256];
    char *text = redis_server_string(&server, "HGET {sfn}:state-machine:%s %s", name, field);
    snprintf(value, sizeof(value), "%s", text ? text : "");
    free(text);
    return value;
}

static void test_create_writes_the_machine_its_index_entry_and_definition(void)
{
    ASSERT_TRUE(create("Alpha", DEFINITION_A, "hash-a", 1700000000123));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(STATE_MACHINE_CREATED, outcome.created);
    ASSERT_EQ_INT(1700000000123, outcome.ms);
    ASSERT_EQ_STR("Alpha", stored_field("Alpha", "name"));
    ASSERT_EQ_STR(ARN_PREFIX "Alpha", stored_field("Alpha", "arn"));
    ASSERT_EQ_STR(DEFINITION_A, stored_field("Alpha", "definition"));
    ASSERT_EQ_STR("hash-a", stored_field("Alpha", "definitionHash"));
    ASSERT_EQ_STR("arn:aws:iam::123456789012:role/StepFunctions", stored_field("Alpha", "roleArn"));
    ASSERT_EQ_STR("STANDARD", stored_field("Alpha", "type"));
    ASSERT_EQ_STR(LOGGING, stored_field("Alpha", "logging"));
    ASSERT_EQ_STR(TRACING, stored_field("Alpha", "tracing"));
    ASSERT_EQ_STR("1700000000123", stored_field("Alpha", "creationDate"));
    ASSERT_EQ_STR("", stored_field("Alpha", "revisionId"));
    ASSERT_EQ_INT(1, redis_server_integer(&server, "ZCARD {sfn}:state-machines"));
    char *score = redis_server_string(&server, "ZSCORE {sfn}:state-machines Alpha");
    ASSERT_TRUE(score && strcmp(score, "0") == 0);
    free(score);
    char *definition = redis_server_string(&server, "GET {sfn}:definition:hash-a");
    ASSERT_TRUE(definition && strcmp(definition, DEFINITION_A) == 0);
    free(definition);
}

static void test_the_same_create_again_is_unchanged_with_the_first_creation_date(void)
{
    ASSERT_TRUE(create("Alpha", DEFINITION_A, "hash-a", 1700000000123));
    ASSERT_TRUE(create("Alpha", DEFINITION_A, "hash-a", 1700000009999));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(STATE_MACHINE_UNCHANGED, outcome.created);
    ASSERT_EQ_INT(1700000000123, outcome.ms);
    ASSERT_EQ_STR("1700000000123", stored_field("Alpha", "creationDate"));
}

static void test_a_taken_name_is_a_conflict_and_changes_nothing(void)
{
    ASSERT_TRUE(create("Alpha", DEFINITION_A, "hash-a", 1700000000123));
    ASSERT_TRUE(create("Alpha", DEFINITION_B, "hash-b", 1700000009999));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(STATE_MACHINE_CONFLICT, outcome.created);
    ASSERT_EQ_STR("hash-a", stored_field("Alpha", "definitionHash"));
    ASSERT_EQ_INT(0, redis_server_integer(&server, "EXISTS {sfn}:definition:hash-b"));
}

static bool update(const struct state_machine_fields *fields)
{
    reset();
    return answered(state_machine_store_update(client, fields, on_update, NULL));
}

static bool uuid_shaped(const char *text)
{
    if (strlen(text) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? text[i] != '-' : strchr("0123456789abcdef", text[i]) == NULL)
            return false;
    }
    return true;
}

static void test_update_changes_the_definition_and_sets_a_revision(void)
{
    ASSERT_TRUE(create("Alpha", DEFINITION_A, "hash-a", 1700000000123));
    struct state_machine_fields change = {
        .name = "Alpha", .definition = DEFINITION_B, .definition_hash = "hash-b", .now_ms = 1700000005000
    };
    ASSERT_TRUE(update(&change));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(1700000005000, outcome.ms);
    ASSERT_TRUE(uuid_shaped(outcome.revision_id));
    char first_revision[64];
    snprintf(first_revision, sizeof(first_revision), "%s", outcome.revision_id);
    ASSERT_EQ_STR(first_revision, stored_field("Alpha", "revisionId"));
    ASSERT_EQ_STR("hash-b", stored_field("Alpha", "definitionHash"));
    ASSERT_EQ_STR(DEFINITION_B, stored_field("Alpha", "definition"));
    ASSERT_EQ_STR("1700000005000", stored_field("Alpha", "updateDate"));
    ASSERT_EQ_STR("1700000000123", stored_field("Alpha", "creationDate"));
    ASSERT_EQ_STR("arn:aws:iam::123456789012:role/StepFunctions", stored_field("Alpha", "roleArn"));
    /* Executions started on the old definition still run it. */
    ASSERT_EQ_INT(1, redis_server_integer(&server, "EXISTS {sfn}:definition:hash-a"));
    ASSERT_EQ_INT(1, redis_server_integer(&server, "EXISTS {sfn}:definition:hash-b"));

    change.now_ms = 1700000006000;
    ASSERT_TRUE(update(&change));
    ASSERT_EQ_STR(first_revision, outcome.revision_id);
    struct state_machine_fields role = { .name = "Alpha",
                                         .role_arn = "arn:aws:iam::123456789012:role/Other",
                                         .now_ms = 1700000007000 };
    ASSERT_TRUE(update(&role));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_TRUE(strcmp(first_revision, outcome.revision_id) != 0);
    ASSERT_EQ_STR("arn:aws:iam::123456789012:role/Other", stored_field("Alpha", "roleArn"));
    ASSERT_EQ_STR("hash-b", stored_field("Alpha", "definitionHash"));
}

static void test_update_of_a_missing_machine_is_enoent(void)
{
    struct state_machine_fields change = { .name = "Missing",
                                           .role_arn = "arn:aws:iam::123456789012:role/Other",
                                           .now_ms = 1700000005000 };
    ASSERT_TRUE(update(&change));
    ASSERT_EQ_INT(-ENOENT, outcome.status);
    ASSERT_EQ_INT(0, redis_server_integer(&server, "EXISTS {sfn}:state-machine:Missing"));
}

static void test_load_reads_the_record_with_or_without_its_definition(void)
{
    ASSERT_TRUE(create("Alpha", DEFINITION_A, "hash-a", 1700000000123));
    reset();
    ASSERT_TRUE(answered(state_machine_store_load(client, "Alpha", true, on_load, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_NOT_NULL(outcome.record);
    ASSERT_EQ_STR("Alpha", outcome.record->name);
    ASSERT_EQ_STR(ARN_PREFIX "Alpha", outcome.record->arn);
    ASSERT_EQ_STR(DEFINITION_A, outcome.record->definition);
    ASSERT_EQ_STR("hash-a", outcome.record->definition_hash);
    ASSERT_EQ_STR("STANDARD", outcome.record->type);
    ASSERT_EQ_STR(LOGGING, outcome.record->logging);
    ASSERT_EQ_STR(TRACING, outcome.record->tracing);
    ASSERT_NULL(outcome.record->revision_id);
    ASSERT_EQ_INT(1700000000123, outcome.record->creation_ms);
    ASSERT_EQ_INT(0, outcome.record->update_ms);
    reset();
    ASSERT_TRUE(answered(state_machine_store_load(client, "Alpha", false, on_load, NULL)));
    ASSERT_NOT_NULL(outcome.record);
    ASSERT_NULL(outcome.record->definition);
    ASSERT_EQ_STR("hash-a", outcome.record->definition_hash);
}

static void test_load_of_a_missing_machine_is_no_record(void)
{
    reset();
    ASSERT_TRUE(answered(state_machine_store_load(client, "Missing", true, on_load, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_NULL(outcome.record);
}

static void test_a_machine_missing_required_fields_is_eio(void)
{
    redisReply *reply = redis_server_command(&server, "HSET {sfn}:state-machine:Broken name Broken");
    freeReplyObject(reply);
    reset();
    ASSERT_TRUE(answered(state_machine_store_load(client, "Broken", false, on_load, NULL)));
    ASSERT_EQ_INT(-EIO, outcome.status);
    ASSERT_NULL(outcome.record);
}

static void test_load_definition_by_hash(void)
{
    ASSERT_TRUE(create("Alpha", DEFINITION_A, "hash-a", 1700000000123));
    reset();
    ASSERT_TRUE(answered(state_machine_store_load_definition(client, "hash-a", on_definition, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_TRUE(outcome.definition_found);
    ASSERT_EQ_STR(DEFINITION_A, outcome.definition);
    reset();
    ASSERT_TRUE(answered(state_machine_store_load_definition(client, "hash-missing", on_definition, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_TRUE(!outcome.definition_found);
}

static void test_list_pages_by_name(void)
{
    ASSERT_TRUE(create("Charlie", DEFINITION_A, "hash-a", 1700000000003));
    ASSERT_TRUE(create("Alpha", DEFINITION_A, "hash-a", 1700000000001));
    ASSERT_TRUE(create("Bravo", DEFINITION_B, "hash-b", 1700000000002));
    reset();
    ASSERT_TRUE(answered(state_machine_store_list(client, NULL, 2, on_list, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(2, outcome.count);
    ASSERT_EQ_STR("Alpha", outcome.names[0]);
    ASSERT_EQ_STR("Bravo", outcome.names[1]);
    ASSERT_TRUE(outcome.has_next);
    ASSERT_EQ_STR("Bravo", outcome.next);
    char after[64];
    snprintf(after, sizeof(after), "%s", outcome.next);
    reset();
    ASSERT_TRUE(answered(state_machine_store_list(client, after, 2, on_list, NULL)));
    ASSERT_EQ_INT(1, outcome.count);
    ASSERT_EQ_STR("Charlie", outcome.names[0]);
    ASSERT_TRUE(!outcome.has_next);
}

static void test_delete_keeps_the_definition(void)
{
    ASSERT_TRUE(create("Alpha", DEFINITION_A, "hash-a", 1700000000123));
    reset();
    ASSERT_TRUE(answered(state_machine_store_delete(client, "Alpha", on_delete, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(0, redis_server_integer(&server, "EXISTS {sfn}:state-machine:Alpha"));
    ASSERT_EQ_INT(0, redis_server_integer(&server, "ZCARD {sfn}:state-machines"));
    ASSERT_EQ_INT(1, redis_server_integer(&server, "EXISTS {sfn}:definition:hash-a"));
    reset();
    ASSERT_TRUE(answered(state_machine_store_delete(client, "Alpha", on_delete, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    /* The name is free again. */
    ASSERT_TRUE(create("Alpha", DEFINITION_B, "hash-b", 1700000009999));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(STATE_MACHINE_CREATED, outcome.created);
}

/* Lists the tags of name into outcome.tags; false when not answered. */
static bool list_tags(const char *name)
{
    reset();
    return answered(state_machine_store_list_tags(client, name, on_tags, NULL));
}

static void test_tags_are_set_overwritten_removed_and_deleted_with_the_machine(void)
{
    static const char *const first[] = { "team", "loans", "stage", "dev" };
    static const char *const second[] = { "stage", "prod", "empty", "" };
    static const char *const removed[] = { "team", "unknown" };
    static const char *const more[] = { "new", "x" };
    struct state_machine_fields fields = machine("Alpha", DEFINITION_A, "hash-a", 1700000000123);
    fields.tags = first;
    fields.tag_count = 2;
    reset();
    ASSERT_TRUE(answered(state_machine_store_create(client, &fields, on_create, NULL)));
    ASSERT_TRUE(list_tags("Alpha"));
    ASSERT_EQ_INT(STATE_MACHINE_TAGS_DONE, outcome.tagged);
    ASSERT_EQ_STR("stage=dev,team=loans,", outcome.tags);
    reset();
    ASSERT_TRUE(answered(state_machine_store_tag(client, "Alpha", second, 2, 3, on_tags, NULL)));
    ASSERT_EQ_INT(STATE_MACHINE_TAGS_DONE, outcome.tagged);
    ASSERT_TRUE(list_tags("Alpha"));
    ASSERT_EQ_STR("empty=,stage=prod,team=loans,", outcome.tags);
    /* A fourth key is one too many for a maximum of 3: nothing changes. */
    reset();
    ASSERT_TRUE(answered(state_machine_store_tag(client, "Alpha", more, 1, 3, on_tags, NULL)));
    ASSERT_EQ_INT(STATE_MACHINE_TAGS_TOO_MANY, outcome.tagged);
    ASSERT_TRUE(list_tags("Alpha"));
    ASSERT_EQ_STR("empty=,stage=prod,team=loans,", outcome.tags);
    reset();
    ASSERT_TRUE(answered(state_machine_store_untag(client, "Alpha", removed, 2, on_tags, NULL)));
    ASSERT_EQ_INT(STATE_MACHINE_TAGS_DONE, outcome.tagged);
    ASSERT_TRUE(list_tags("Alpha"));
    ASSERT_EQ_STR("empty=,stage=prod,", outcome.tags);
    reset();
    ASSERT_TRUE(answered(state_machine_store_delete(client, "Alpha", on_delete, NULL)));
    ASSERT_EQ_INT(0, redis_server_integer(&server, "EXISTS {sfn}:tags:Alpha"));
    ASSERT_TRUE(list_tags("Alpha"));
    ASSERT_EQ_INT(STATE_MACHINE_TAGS_NO_MACHINE, outcome.tagged);
}

static bool disconnected(void *data)
{
    return !redis_client_connected(data);
}

static void test_nothing_is_sent_while_redis_is_down(void)
{
    struct state_machine_fields fields = machine("Alpha", DEFINITION_A, "hash-a", 1700000000123);
    reset();
    redis_server_stop(&server);
    bool down = redis_server_run_until(loop, disconnected, client, WAIT_MS);
    int result = state_machine_store_create(client, &fields, on_create, NULL);
    int restarted = redis_server_restart(&server);
    bool ready = restarted == 0 && redis_server_client_ready(loop, client, WAIT_MS);
    ASSERT_TRUE(down);
    ASSERT_EQ_INT(-ENOTCONN, result);
    ASSERT_TRUE(!outcome.done);
    ASSERT_EQ_INT(0, restarted);
    ASSERT_TRUE(ready);
    ASSERT_EQ_INT(0, redis_server_integer(&server, "EXISTS {sfn}:state-machine:Alpha"));
}

static int init_store(void *data)
{
    (void)data;
    return state_machine_store_init(client);
}

/* ---- versions and aliases ---- */

static bool publish(const char *revision_id, int64_t now_ms)
{
    reset();
    return answered(state_machine_store_publish(client, "M", revision_id, "d", now_ms, on_version, NULL));
}

static void test_publish_numbers_versions_and_is_idempotent_per_revision(void)
{
    ASSERT_TRUE(create("M", DEFINITION_A, "hash-a", 1000));
    ASSERT_TRUE(publish(NULL, 2000));
    ASSERT_EQ_INT(STATE_MACHINE_VERSION_OK, outcome.version_outcome);
    ASSERT_TRUE(strstr(outcome.json, ARN_PREFIX "M:1") != NULL);
    ASSERT_TRUE(publish(NULL, 3000)); /* the same revision: version 1 again */
    ASSERT_TRUE(strstr(outcome.json, ARN_PREFIX "M:1") != NULL);
    ASSERT_EQ_INT(1, redis_server_integer(&server, "ZCARD {sfn}:versions:M"));
    struct state_machine_fields fields = machine("M", DEFINITION_B, "hash-b", 4000);
    fields.publish = true;
    ASSERT_TRUE(update(&fields));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_TRUE(publish("not-the-revision", 5000));
    ASSERT_EQ_INT(STATE_MACHINE_VERSION_CONFLICT, outcome.version_outcome);
    ASSERT_EQ_INT(2, redis_server_integer(&server, "ZCARD {sfn}:versions:M"));
    reset();
    ASSERT_TRUE(answered(state_machine_store_load_qualified(client, "M", "1", -1, on_load, NULL)));
    ASSERT_TRUE(outcome.record != NULL);
    ASSERT_EQ_STR(DEFINITION_A, outcome.record->definition);
    ASSERT_EQ_STR(ARN_PREFIX "M:1", outcome.record->version_arn);
    ASSERT_EQ_STR(ARN_PREFIX "M", outcome.record->arn);
}

static void test_an_alias_routes_by_pick_and_protects_its_versions(void)
{
    ASSERT_TRUE(create("M", DEFINITION_A, "hash-a", 1000));
    ASSERT_TRUE(publish(NULL, 2000));
    struct state_machine_fields fields = machine("M", DEFINITION_B, "hash-b", 3000);
    fields.publish = true;
    ASSERT_TRUE(update(&fields));
    struct state_machine_alias_fields alias = {
        .name = "M",
        .alias = "prod",
        .create = true,
        .routing = "[{\"stateMachineVersionArn\":\"" ARN_PREFIX "M:1\",\"weight\":30},"
                   "{\"stateMachineVersionArn\":\"" ARN_PREFIX "M:2\",\"weight\":70}]",
        .versions = { "1", "2" },
        .now_ms = 4000,
    };
    reset();
    ASSERT_TRUE(answered(state_machine_store_put_alias(client, &alias, on_version, NULL)));
    ASSERT_EQ_INT(STATE_MACHINE_VERSION_OK, outcome.version_outcome);
    const int picks[] = { 0, 29, 30, 99 };
    const char *const versions[] = { ARN_PREFIX "M:1", ARN_PREFIX "M:1", ARN_PREFIX "M:2", ARN_PREFIX "M:2" };
    for (size_t i = 0; i < 4; i++) {
        reset();
        ASSERT_TRUE(answered(state_machine_store_load_qualified(client, "M", "prod", picks[i], on_load, NULL)));
        ASSERT_TRUE(outcome.record != NULL);
        ASSERT_EQ_STR(versions[i], outcome.record->version_arn);
        ASSERT_EQ_STR(ARN_PREFIX "M:prod", outcome.record->alias_arn);
    }
    reset();
    ASSERT_TRUE(answered(state_machine_store_delete_version(client, "M", "1", on_version, NULL)));
    ASSERT_EQ_INT(STATE_MACHINE_VERSION_CONFLICT, outcome.version_outcome);
    ASSERT_EQ_STR("[prod]", outcome.json); /* AWS's rendering: the aliases' names */
    reset();
    ASSERT_TRUE(answered(state_machine_store_delete(client, "M", on_delete, NULL)));
    ASSERT_EQ_INT(0, redis_server_integer(&server, "EXISTS {sfn}:version:M:1 {sfn}:version:M:2 {sfn}:versions:M"));
    ASSERT_EQ_INT(0, redis_server_integer(&server, "EXISTS {sfn}:alias:M:prod {sfn}:aliases:M"));
}

int main(void)
{
    if (redis_server_open(&server, &loop, &client, init_store, NULL) < 0)
        return 1;
    REDIS_SERVER_RUN_FLUSHED(&server, test_create_writes_the_machine_its_index_entry_and_definition);
    REDIS_SERVER_RUN_FLUSHED(&server, test_the_same_create_again_is_unchanged_with_the_first_creation_date);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_taken_name_is_a_conflict_and_changes_nothing);
    REDIS_SERVER_RUN_FLUSHED(&server, test_update_changes_the_definition_and_sets_a_revision);
    REDIS_SERVER_RUN_FLUSHED(&server, test_update_of_a_missing_machine_is_enoent);
    REDIS_SERVER_RUN_FLUSHED(&server, test_load_reads_the_record_with_or_without_its_definition);
    REDIS_SERVER_RUN_FLUSHED(&server, test_load_of_a_missing_machine_is_no_record);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_machine_missing_required_fields_is_eio);
    REDIS_SERVER_RUN_FLUSHED(&server, test_load_definition_by_hash);
    REDIS_SERVER_RUN_FLUSHED(&server, test_list_pages_by_name);
    REDIS_SERVER_RUN_FLUSHED(&server, test_delete_keeps_the_definition);
    REDIS_SERVER_RUN_FLUSHED(&server, test_tags_are_set_overwritten_removed_and_deleted_with_the_machine);
    REDIS_SERVER_RUN_FLUSHED(&server, test_nothing_is_sent_while_redis_is_down);
    REDIS_SERVER_RUN_FLUSHED(&server, test_publish_numbers_versions_and_is_idempotent_per_revision);
    REDIS_SERVER_RUN_FLUSHED(&server, test_an_alias_routes_by_pick_and_protects_its_versions);
    redis_server_close(&server, loop, client);
    return test_done();
}
