/*
 * test_redis_cluster_client.c - common/io/redis_client against a real Redis
 * Cluster (three masters, the first with a replica; redis_server.h): cluster
 * detection, routing by slot, MOVED, ASK and TRYAGAIN during slot
 * migrations (also to masters added while the client runs), durable
 * scripts waiting for replicas (REDIS_WAIT_REPLICAS), a failover, a master
 * lost for good, and a subscriber moving to another node. Each case asserts
 * what a user of the client sees: replies, error codes, one callback each.
 * The order matters: the faults come last, the failover before the loss of
 * a second master (a replica is elected by a majority of the masters).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "redis_client.h"
#include "redis_cluster.h"
#include "redis_server.h"
#include "test.h"

#define COMMAND_TIMEOUT_MS 500
/* How late past its deadline a callback may come (the connection's watchdog looks every 100 ms). */
#define DEADLINE_MARGIN_MS 400
#define WAIT_MS 5000
#define FAILOVER_WAIT_MS 10000
#define MASTERS 3
#define REPLICA MASTERS /* nodes[REPLICA] replicates nodes[0] */
#define MAX_CLIENTS 16

static struct redis_server_cluster cluster;
static struct event_loop *loop;
static struct redis_client *client; /* on every master's address, deadline COMMAND_TIMEOUT_MS */
static struct redis_client *clients[MAX_CLIENTS];
static int client_count;

/* A client on url, destroyed at the end of the program; NULL when it did not come up within WAIT_MS. */
static struct redis_client *new_client(const char *url, uint64_t timeout_ms, unsigned wait_replicas)
{
    struct redis_client_config config = {
        .url = url, .command_timeout_ms = timeout_ms, .max_pending = 64, .wait_replicas = wait_replicas
    };
    struct redis_client *created = NULL;
    if (client_count == MAX_CLIENTS || redis_client_create(loop, &config, &created) < 0)
        return NULL;
    clients[client_count++] = created;
    return redis_server_client_ready(loop, created, WAIT_MS) ? created : NULL;
}

/* The first key "<prefix>:<n>" whose slot nodes[master] served when the cluster started. */
static void key_on(int master, const char *prefix, char *key, size_t size)
{
    int first = REDIS_CLUSTER_SLOTS * master / MASTERS, last = REDIS_CLUSTER_SLOTS * (master + 1) / MASTERS - 1;
    for (int n = 0;; n++) {
        snprintf(key, size, "%s:%d", prefix, n);
        int slot = redis_cluster_key_slot(key, strlen(key));
        if (slot >= first && slot <= last)
            return;
    }
}

static int slot_of(const char *key)
{
    return redis_cluster_key_slot(key, strlen(key));
}

/* Sends argv on a client and waits for its reply; returns what redis_client_command() returned. */
static int round_trip(struct redis_client *on, int argc, const char **argv, struct redis_server_reply *reply)
{
    *reply = (struct redis_server_reply){ 0 };
    int result = redis_client_command_strings(on, redis_server_capture, reply, argc, argv);
    if (result == 0)
        redis_server_run_until_flag(loop, &reply->done, WAIT_MS);
    return result;
}

/* Whether SET key value then GET key through on answer OK and value. */
static bool set_and_get(struct redis_client *on, const char *key, const char *value)
{
    const char *set[] = { "SET", key, value }, *get[] = { "GET", key };
    struct redis_server_reply reply;
    if (round_trip(on, 3, set, &reply) < 0 || reply.calls != 1 || reply.type != REDIS_REPLY_STATUS)
        return false;
    return round_trip(on, 2, get, &reply) == 0 && reply.calls == 1 && reply.type == REDIS_REPLY_STRING
           && strcmp(reply.str, value) == 0;
}

/* The value of key on node, read directly (a copy the caller frees; NULL for none). */
static char *value_on(int node, const char *key)
{
    return redis_server_string(&cluster.nodes[node], "GET %s", key);
}

/* How many times node ran command (lower case; rejected: how many it answered with a redirection instead). */
static long long calls_on(int node, const char *command, bool rejected)
{
    char name[32];
    snprintf(name, sizeof(name), "cmdstat_%s:", command);
    redisReply *reply = redis_server_command(&cluster.nodes[node], "INFO commandstats");
    long long count = 0;
    const char *line = reply && reply->type == REDIS_REPLY_STRING ? strstr(reply->str, name) : NULL;
    const char *field = line ? strstr(line, rejected ? "rejected_calls=" : "calls=") : NULL;
    if (field)
        count = strtoll(strchr(field, '=') + 1, NULL, 10);
    if (reply)
        freeReplyObject(reply);
    return count;
}

static long long gets_on(int node, bool rejected)
{
    return calls_on(node, "get", rejected);
}

/* Runs a command that must answer +OK on node. */
static bool ok_on(int node, const char *format, ...) __attribute__((format(printf, 2, 3)));

static bool ok_on(int node, const char *format, ...)
{
    char command[256];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(command, sizeof(command), format, arguments);
    va_end(arguments);
    const char *argv[8];
    int argc = 0;
    for (char *word = strtok(command, " "); word && argc < 8; word = strtok(NULL, " "))
        argv[argc++] = word;
    redisReply *reply = redis_server_command_argv(&cluster.nodes[node], argc, argv, NULL);
    bool ok = reply && reply->type == REDIS_REPLY_STATUS;
    if (!ok)
        printf("# node %d answered %s to %s\n", node, reply && reply->str ? reply->str : "nothing", argv[0]);
    if (reply)
        freeReplyObject(reply);
    return ok;
}

/* Marks slot as moving from node from to node to (IMPORTING on the target, then MIGRATING on the source). */
static bool begin_migration(int slot, int from, int to)
{
    return ok_on(to, "CLUSTER SETSLOT %d IMPORTING %s", slot, cluster.ids[from])
           && ok_on(from, "CLUSTER SETSLOT %d MIGRATING %s", slot, cluster.ids[to]);
}

static bool migrate_key(int from, int to, const char *key)
{
    return ok_on(from, "MIGRATE 127.0.0.1 %d %s 0 5000", cluster.nodes[to].port, key);
}

/* Gives slot to node to, telling the target first, then every other live master (the replica is one later). */
static bool end_migration(int slot, int to)
{
    bool ok = ok_on(to, "CLUSTER SETSLOT %d NODE %s", slot, cluster.ids[to]);
    for (int i = 0; ok && i < cluster.count; i++)
        if (i != to && i != REPLICA && cluster.nodes[i].pid)
            ok = ok_on(i, "CLUSTER SETSLOT %d NODE %s", slot, cluster.ids[to]);
    return ok;
}

static struct redis_script concat_script = {
    .name = "concat",
    .source = "return (redis.call('GET', KEYS[1]) or '') .. (redis.call('GET', KEYS[#KEYS]) or '')",
};

static struct redis_script store_script = {
    .name = "store",
    .source = "redis.call('SET', KEYS[1], ARGV[1]) return 'stored'",
};

static struct redis_script durable_store_script = {
    .name = "durable-store",
    .source = "redis.call('SET', KEYS[1], ARGV[1]) return 'stored durably'",
    .durable = true,
};

/* ---- detection and routing ---- */

static void test_plain_redis_is_not_a_cluster(void)
{
    struct redis_server plain;
    if (redis_server_start(&plain) < 0) {
        printf("# cannot start a plain redis-server\n");
        test_current_failed = 1;
        return;
    }
    struct redis_client *on_plain = new_client(plain.url, COMMAND_TIMEOUT_MS, 0);
    bool cluster_mode = on_plain && redis_client_is_cluster(on_plain);
    bool works = on_plain && set_and_get(on_plain, "plain", "one node");
    redis_server_destroy(&plain);
    ASSERT_NOT_NULL(on_plain);
    ASSERT_TRUE(!cluster_mode);
    ASSERT_TRUE(works);
}

static void test_detects_a_cluster_from_one_seed_or_several(void)
{
    char one_seed[64], two_seeds[128];
    snprintf(one_seed, sizeof(one_seed), "redis://127.0.0.1:%d", cluster.nodes[1].port);
    snprintf(two_seeds, sizeof(two_seeds), "redis://127.0.0.1:%d,127.0.0.1:%d", cluster.nodes[2].port,
             cluster.nodes[0].port);
    struct redis_client *from_one = new_client(one_seed, COMMAND_TIMEOUT_MS, 0);
    struct redis_client *from_two = new_client(two_seeds, COMMAND_TIMEOUT_MS, 0);
    ASSERT_NOT_NULL(from_one);
    ASSERT_NOT_NULL(from_two);
    ASSERT_TRUE(redis_client_is_cluster(client));
    ASSERT_TRUE(redis_client_is_cluster(from_one));
    ASSERT_TRUE(redis_client_is_cluster(from_two));
    for (int master = 0; master < MASTERS; master++) {
        char key[32];
        key_on(master, "detect", key, sizeof(key));
        ASSERT_TRUE(set_and_get(from_one, key, "from one seed"));
        ASSERT_TRUE(set_and_get(from_two, key, "from two seeds"));
    }
}

static void test_commands_and_scripts_reach_every_master(void)
{
    struct redis_script *const scripts[] = { &concat_script, &store_script, &durable_store_script };
    ASSERT_EQ_INT(0, redis_client_add_scripts(client, scripts, 3));
    ASSERT_TRUE(redis_server_client_ready(loop, client, WAIT_MS));
    for (int master = 0; master < MASTERS; master++) {
        char key[32], tagged[48];
        key_on(master, "route", key, sizeof(key));
        ASSERT_TRUE(set_and_get(client, key, "routed"));
        char *stored = value_on(master, key);
        bool on_its_master = stored && strcmp(stored, "routed") == 0;
        free(stored);
        ASSERT_TRUE(on_its_master);

        snprintf(tagged, sizeof(tagged), "{%s}:other", key);
        const char *set[] = { "SET", tagged, "+tag" };
        struct redis_server_reply reply;
        ASSERT_EQ_INT(0, round_trip(client, 3, set, &reply));
        const char *keys[] = { key, tagged };
        reply = (struct redis_server_reply){ 0 };
        ASSERT_EQ_INT(0, redis_client_eval_strings(client, &concat_script, redis_server_capture, &reply, 2, 2, keys));
        ASSERT_TRUE(redis_server_run_until_flag(loop, &reply.done, WAIT_MS));
        ASSERT_EQ_INT(1, reply.calls);
        ASSERT_EQ_INT(REDIS_REPLY_STRING, reply.type);
        ASSERT_EQ_STR("routed+tag", reply.str);
    }
}

/* ---- slot migrations ---- */

static void test_moved_is_followed_and_learned(void)
{
    char key[32];
    key_on(1, "moved", key, sizeof(key));
    int slot = slot_of(key);
    ASSERT_TRUE(set_and_get(client, key, "before the move"));
    ASSERT_TRUE(begin_migration(slot, 1, 2));
    ASSERT_TRUE(migrate_key(1, 2, key));
    ASSERT_TRUE(end_migration(slot, 2));

    long long rejected = gets_on(1, true), served = gets_on(2, false);
    const char *get[] = { "GET", key };
    struct redis_server_reply reply;
    ASSERT_EQ_INT(0, round_trip(client, 2, get, &reply));
    ASSERT_EQ_INT(1, reply.calls);
    ASSERT_EQ_INT(REDIS_REPLY_STRING, reply.type);
    ASSERT_EQ_STR("before the move", reply.str);
    ASSERT_EQ_INT(rejected + 1, gets_on(1, true)); /* answered MOVED by the old master */
    ASSERT_EQ_INT(served + 1, gets_on(2, false));

    long long old_calls = gets_on(1, false) + gets_on(1, true);
    ASSERT_EQ_INT(0, round_trip(client, 2, get, &reply));
    ASSERT_EQ_STR("before the move", reply.str);
    ASSERT_EQ_INT(old_calls, gets_on(1, false) + gets_on(1, true)); /* straight to the new master */
    ASSERT_EQ_INT(served + 2, gets_on(2, false));
}

static void test_ask_is_followed_during_a_migration(void)
{
    char key[32];
    key_on(2, "ask", key, sizeof(key));
    int slot = slot_of(key);
    ASSERT_TRUE(set_and_get(client, key, "asked"));
    ASSERT_TRUE(begin_migration(slot, 2, 1));
    ASSERT_TRUE(migrate_key(2, 1, key));

    long long rejected = gets_on(2, true), served = gets_on(1, false);
    const char *get[] = { "GET", key };
    struct redis_server_reply reply;
    int sent = round_trip(client, 2, get, &reply);
    bool ended = end_migration(slot, 1);
    ASSERT_EQ_INT(0, sent);
    ASSERT_EQ_INT(1, reply.calls);
    ASSERT_EQ_INT(REDIS_REPLY_STRING, reply.type);
    ASSERT_EQ_STR("asked", reply.str);
    ASSERT_EQ_INT(rejected + 1, gets_on(2, true)); /* answered ASK by the migrating master */
    ASSERT_EQ_INT(served + 1, gets_on(1, false));  /* then run on the importing one after ASKING */
    ASSERT_TRUE(ended);
}

/* Masters added to the cluster, which no map the clients read has named yet. */
#define FRESH_FOR_MOVED (MASTERS + 1)
#define FRESH_FOR_ASK (MASTERS + 2)

static void test_moved_to_a_master_the_client_never_saw(void)
{
    char key[32];
    key_on(2, "fresh-moved", key, sizeof(key));
    int slot = slot_of(key);
    ASSERT_TRUE(set_and_get(client, key, "on a new master"));
    ASSERT_EQ_INT(0, redis_server_cluster_add_masters(&cluster, 2));
    ASSERT_TRUE(begin_migration(slot, 2, FRESH_FOR_MOVED));
    ASSERT_TRUE(migrate_key(2, FRESH_FOR_MOVED, key));
    ASSERT_TRUE(end_migration(slot, FRESH_FOR_MOVED));
    const char *get[] = { "GET", key };
    struct redis_server_reply reply;
    ASSERT_EQ_INT(0, round_trip(client, 2, get, &reply));
    ASSERT_EQ_INT(1, reply.calls);
    ASSERT_TRUE(!reply.null);
    ASSERT_EQ_INT(REDIS_REPLY_STRING, reply.type);
    ASSERT_EQ_STR("on a new master", reply.str);
    ASSERT_EQ_INT(1, gets_on(FRESH_FOR_MOVED, false));
}

static void test_ask_to_a_master_the_client_never_saw(void)
{
    char key[32];
    key_on(2, "fresh-ask", key, sizeof(key));
    int slot = slot_of(key);
    ASSERT_TRUE(set_and_get(client, key, "asked of a new master"));
    ASSERT_TRUE(cluster.count > FRESH_FOR_ASK);
    ASSERT_TRUE(begin_migration(slot, 2, FRESH_FOR_ASK));
    ASSERT_TRUE(migrate_key(2, FRESH_FOR_ASK, key));
    const char *get[] = { "GET", key };
    struct redis_server_reply reply;
    int sent = round_trip(client, 2, get, &reply);
    bool ended = end_migration(slot, FRESH_FOR_ASK);
    ASSERT_EQ_INT(0, sent);
    ASSERT_EQ_INT(1, reply.calls);
    ASSERT_TRUE(!reply.null);
    if (reply.type == REDIS_REPLY_ERROR)
        printf("# answered %s\n", reply.str);
    ASSERT_EQ_INT(REDIS_REPLY_STRING, reply.type);
    ASSERT_EQ_STR("asked of a new master", reply.str);
    ASSERT_TRUE(ended);
}

/* Sends GET key on the main client until it is answered value or refused as expected_refusal; false after WAIT_MS. */
static bool eventually(const char *key, int expected_refusal, const char *value)
{
    const char *get[] = { "GET", key };
    for (uint64_t deadline = event_loop_now_ms() + WAIT_MS; event_loop_now_ms() < deadline;) {
        struct redis_server_reply reply;
        int result = round_trip(client, 2, get, &reply);
        if (expected_refusal && result == expected_refusal)
            return true;
        if (value && result == 0 && reply.type == REDIS_REPLY_STRING && strcmp(reply.str, value) == 0)
            return true;
        redis_server_run_for(loop, 50);
    }
    return false;
}

/* Whether node's own view (CLUSTER SLOTS) assigns slot to some node. */
static bool slot_assigned_on(int node, int slot)
{
    redisReply *reply = redis_server_command(&cluster.nodes[node], "CLUSTER SLOTS");
    bool assigned = false;
    for (size_t i = 0; reply && reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++) {
        const redisReply *range = reply->element[i];
        assigned = assigned || (range->element[0]->integer <= slot && slot <= range->element[1]->integer);
    }
    if (reply)
        freeReplyObject(reply);
    return assigned;
}

/*
 * Takes slot away from every node, its owner first. A node that heard the owner claim it (gossip sent before the
 * owner's DELSLOTS) takes it back: deleted again until no node assigns it. False if one still does after WAIT_MS.
 */
static bool unassign_everywhere(int owner, int slot)
{
    if (!ok_on(owner, "CLUSTER DELSLOTS %d", slot))
        return false;
    for (uint64_t deadline = event_loop_now_ms() + WAIT_MS; event_loop_now_ms() < deadline;) {
        bool anywhere = false;
        for (int i = 0; i < cluster.count; i++) {
            if (i == REPLICA || !slot_assigned_on(i, slot))
                continue;
            anywhere = true;
            if (!ok_on(i, "CLUSTER DELSLOTS %d", slot))
                return false;
        }
        if (!anywhere)
            return true;
        redis_server_run_for(loop, 100); /* a gossip round, then look again */
    }
    return false;
}

static void test_clusterdown_is_passed_on_and_the_map_read_again(void)
{
    char key[32];
    key_on(2, "down", key, sizeof(key));
    int slot = slot_of(key);
    ASSERT_TRUE(set_and_get(client, key, "served again"));
    ASSERT_TRUE(unassign_everywhere(2, slot));
    const char *get[] = { "GET", key };
    struct redis_server_reply reply;
    ASSERT_EQ_INT(0, round_trip(client, 2, get, &reply));
    redis_server_run_for(loop, 10);
    ASSERT_EQ_INT(1, reply.calls);
    ASSERT_EQ_INT(REDIS_REPLY_ERROR, reply.type);
    ASSERT_TRUE(strncmp(reply.str, "CLUSTERDOWN", 11) == 0);
    redisReply error = { .type = REDIS_REPLY_ERROR, .str = reply.str, .len = strlen(reply.str) };
    ASSERT_EQ_INT(-EIO, redis_client_reply_status(&error));
    ASSERT_TRUE(eventually(key, -ENOTCONN, NULL)); /* the map read again names no node for the slot */
    ASSERT_TRUE(ok_on(2, "CLUSTER ADDSLOTS %d", slot));
    ASSERT_TRUE(eventually(key, 0, "served again"));
}

struct migration {
    struct event_timer timer;
    int slot, from, to;
    const char *key;
    bool ended;
};

static void on_migration_due(struct event_timer *timer)
{
    struct migration *migration = timer->data;
    migration->ended =
        migrate_key(migration->from, migration->to, migration->key) && end_migration(migration->slot, migration->to);
}

/*
 * A two-key script while its slot migrates from master 0 to master 2 with one key moved and the other not:
 * Redis answers TRYAGAIN until the migration ends. Without an end within the deadline the caller gets
 * TRYAGAIN (-EIO, retry); when the migration ends at finish_after_ms, the client's retry gets the answer.
 */
static void tryagain_case(const char *prefix, uint64_t timeout_ms, int64_t finish_after_ms)
{
    char first[48], second[48], tag[32];
    key_on(0, prefix, tag, sizeof(tag));
    snprintf(first, sizeof(first), "{%s}:a", tag);
    snprintf(second, sizeof(second), "{%s}:b", tag);
    int slot = slot_of(first);
    ASSERT_TRUE(set_and_get(client, first, "A"));
    ASSERT_TRUE(set_and_get(client, second, "B"));
    struct redis_client *patient = new_client(cluster.url, timeout_ms, 0);
    ASSERT_NOT_NULL(patient);
    struct redis_script *const scripts[] = { &concat_script };
    ASSERT_EQ_INT(0, redis_client_add_scripts(patient, scripts, 1));
    ASSERT_TRUE(redis_server_client_ready(loop, patient, WAIT_MS));
    ASSERT_TRUE(begin_migration(slot, 0, 2));
    ASSERT_TRUE(migrate_key(0, 2, first));

    struct migration migration = { .slot = slot, .from = 0, .to = 2, .key = second };
    if (finish_after_ms >= 0)
        event_loop_timer_start(loop, &migration.timer, (uint64_t)finish_after_ms, on_migration_due, &migration);
    struct redis_server_reply reply = { 0 };
    const char *keys[] = { first, second };
    uint64_t sent_ms = event_loop_now_ms();
    int sent = redis_client_eval_strings(patient, &concat_script, redis_server_capture, &reply, 2, 2, keys);
    bool answered = sent == 0 && redis_server_run_until_flag(loop, &reply.done, timeout_ms + DEADLINE_MARGIN_MS);
    event_loop_timer_stop(loop, &migration.timer);
    redis_server_run_for(loop, 100); /* no second callback */
    if (finish_after_ms < 0)
        migration.ended = migrate_key(0, 2, second) && end_migration(slot, 2);
    ASSERT_EQ_INT(0, sent);
    ASSERT_TRUE(answered);
    ASSERT_EQ_INT(1, reply.calls);
    ASSERT_TRUE(migration.ended);
    if (finish_after_ms >= 0) {
        ASSERT_EQ_INT(REDIS_REPLY_STRING, reply.type);
        ASSERT_EQ_STR("AB", reply.str);
        ASSERT_TRUE(reply.at_ms - sent_ms >= (uint64_t)finish_after_ms);
        return;
    }
    ASSERT_EQ_INT(REDIS_REPLY_ERROR, reply.type);
    ASSERT_TRUE(strncmp(reply.str, "TRYAGAIN", 8) == 0);
    ASSERT_TRUE(reply.at_ms - sent_ms >= timeout_ms - 50);
    redisReply error = { .type = REDIS_REPLY_ERROR, .str = reply.str, .len = strlen(reply.str) };
    ASSERT_EQ_INT(-EIO, redis_client_reply_status(&error));
}

static void test_tryagain_is_passed_on_when_the_migration_outlasts_the_deadline(void)
{
    tryagain_case("tryagain-late", 300, -1);
}

static void test_tryagain_is_retried_until_the_migration_ends(void)
{
    tryagain_case("tryagain-ends", 1000, 200);
}

/* ---- REDIS_WAIT_REPLICAS ---- */

/*
 * Runs script on a key of master (0 is the one with a replica) through on; the reply in *reply, its latency
 * returned.
 */
static uint64_t store_on_master(int master, struct redis_client *on, struct redis_script *script, const char *value,
                                struct redis_server_reply *reply)
{
    char key[32];
    key_on(master, "durable", key, sizeof(key));
    const char *argv[] = { key, value };
    *reply = (struct redis_server_reply){ 0 };
    uint64_t sent_ms = event_loop_now_ms();
    if (redis_client_eval_strings(on, script, redis_server_capture, reply, 1, 2, argv) < 0)
        return 0;
    redis_server_run_until_flag(loop, &reply->done, WAIT_MS);
    redis_server_run_for(loop, 20); /* no second callback */
    return reply->at_ms - sent_ms;
}

static struct redis_client *client_with_scripts(unsigned wait_replicas)
{
    struct redis_client *created = new_client(cluster.url, COMMAND_TIMEOUT_MS, wait_replicas);
    struct redis_script *const scripts[] = { &store_script, &durable_store_script };
    if (!created || redis_client_add_scripts(created, scripts, 2) < 0
        || !redis_server_client_ready(loop, created, WAIT_MS))
        return NULL;
    return created;
}

static void test_durable_script_answers_once_a_replica_has_it(void)
{
    struct redis_client *waiting = client_with_scripts(1);
    ASSERT_NOT_NULL(waiting);
    struct redis_server_reply reply;
    store_on_master(0, waiting, &durable_store_script, "replicated", &reply);
    ASSERT_EQ_INT(1, reply.calls);
    ASSERT_EQ_INT(REDIS_REPLY_STRING, reply.type);
    ASSERT_EQ_STR("stored durably", reply.str);
    char key[32];
    key_on(0, "durable", key, sizeof(key));
    redisReply *readonly = redis_server_command(&cluster.nodes[REPLICA], "READONLY");
    freeReplyObject(readonly);
    char *on_replica = value_on(REPLICA, key);
    bool replicated = on_replica && strcmp(on_replica, "replicated") == 0;
    free(on_replica);
    ASSERT_TRUE(replicated);
}

static void test_durable_script_waits_for_the_replicas_its_master_has(void)
{
    struct redis_client *waiting = client_with_scripts(2); /* master 0 has one replica */
    ASSERT_NOT_NULL(waiting);
    struct redis_server_reply reply;
    long long waits = calls_on(0, "wait", false);
    uint64_t latency = store_on_master(0, waiting, &durable_store_script, "one replica", &reply);
    ASSERT_EQ_INT(1, reply.calls);
    ASSERT_EQ_INT(REDIS_REPLY_STRING, reply.type);
    ASSERT_EQ_STR("stored durably", reply.str);
    ASSERT_EQ_INT(waits + 1, calls_on(0, "wait", false));
    ASSERT_TRUE(latency < COMMAND_TIMEOUT_MS / 2);
}

static void test_master_without_replica_takes_durable_writes_at_once(void)
{
    struct redis_client *waiting = client_with_scripts(1);
    ASSERT_NOT_NULL(waiting);
    struct redis_server_reply reply;
    long long waits = calls_on(1, "wait", false);
    uint64_t latency = store_on_master(1, waiting, &durable_store_script, "no replica", &reply);
    ASSERT_EQ_INT(1, reply.calls);
    ASSERT_EQ_INT(REDIS_REPLY_STRING, reply.type);
    ASSERT_EQ_STR("stored durably", reply.str);
    ASSERT_EQ_INT(waits, calls_on(1, "wait", false)); /* nothing to wait for: no WAIT sent */
    ASSERT_TRUE(latency < COMMAND_TIMEOUT_MS / 2);
}

/* Whether master 0 sees its replica online again and no node flags it as failing. */
static bool replica_settled(void)
{
    char *replication = redis_server_string(&cluster.nodes[0], "INFO replication");
    char *nodes = redis_server_string(&cluster.nodes[0], "CLUSTER NODES");
    char port[16];
    snprintf(port, sizeof(port), ":%d@", cluster.nodes[REPLICA].port);
    const char *line = nodes ? strstr(nodes, port) : NULL;
    const char *end = line ? strchr(line, '\n') : NULL;
    const char *fail = line ? strstr(line, "fail") : NULL;
    bool settled = replication && strstr(replication, "state=online") && line && (!fail || (end && fail > end));
    free(replication);
    free(nodes);
    return settled;
}

static void test_durable_write_its_replica_does_not_confirm_gets_no_reply_at_the_deadline(void)
{
    struct redis_client *waiting = client_with_scripts(1);
    ASSERT_NOT_NULL(waiting);
    struct redis_server_reply reply;
    redis_server_pause(&cluster.nodes[REPLICA]);
    uint64_t latency = store_on_master(0, waiting, &durable_store_script, "unconfirmed", &reply);
    redis_server_resume(&cluster.nodes[REPLICA]);
    uint64_t started = event_loop_now_ms();
    while (!replica_settled() && event_loop_now_ms() - started < FAILOVER_WAIT_MS)
        redis_server_run_for(loop, 50);
    ASSERT_EQ_INT(1, reply.calls);
    ASSERT_TRUE(reply.null);
    printf("# a durable write its frozen replica did not confirm answered NULL after %llu ms (deadline %d ms)\n",
           (unsigned long long)latency, COMMAND_TIMEOUT_MS);
    ASSERT_TRUE(latency >= COMMAND_TIMEOUT_MS - 50);
    ASSERT_TRUE(latency <= COMMAND_TIMEOUT_MS + DEADLINE_MARGIN_MS);
    ASSERT_TRUE(replica_settled());
}

static void test_script_not_marked_durable_does_not_wait(void)
{
    struct redis_client *waiting = client_with_scripts(2);
    ASSERT_NOT_NULL(waiting);
    struct redis_server_reply reply;
    long long waits = calls_on(0, "wait", false);
    uint64_t latency = store_on_master(0, waiting, &store_script, "not waited for", &reply);
    ASSERT_EQ_INT(waits, calls_on(0, "wait", false));
    ASSERT_EQ_INT(1, reply.calls);
    ASSERT_EQ_INT(REDIS_REPLY_STRING, reply.type);
    ASSERT_EQ_STR("stored", reply.str);
    ASSERT_TRUE(latency < COMMAND_TIMEOUT_MS / 2);
}

/* ---- faults ---- */

/*
 * Sends SET key through the main client and waits for the outcome. Returns 1 for OK, 0 for a refusal
 * (-ENOTCONN), a NULL or an error reply; -1 when the callback did not come in time or came twice.
 */
static int probe(const char *key, uint64_t *latency_ms)
{
    const char *set[] = { "SET", key, "probe" };
    struct redis_server_reply reply = { 0 };
    uint64_t sent_ms = event_loop_now_ms();
    int result = redis_client_command_strings(client, redis_server_capture, &reply, 3, set);
    *latency_ms = 0;
    if (result < 0)
        return result == -ENOTCONN ? 0 : -1;
    if (!redis_server_run_until_flag(loop, &reply.done, COMMAND_TIMEOUT_MS + DEADLINE_MARGIN_MS))
        return -1;
    *latency_ms = reply.at_ms - sent_ms;
    redis_server_run_for(loop, 10);
    if (reply.calls != 1)
        return -1;
    return !reply.null && reply.type == REDIS_REPLY_STATUS && strcmp(reply.str, "OK") == 0;
}

/* Whether the replica of master 0 has become a master. */
static bool promoted(void)
{
    redisReply *reply = redis_server_command(&cluster.nodes[REPLICA], "ROLE");
    bool master = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements > 0
                  && reply->element[0]->type == REDIS_REPLY_STRING && strcmp(reply->element[0]->str, "master") == 0;
    if (reply)
        freeReplyObject(reply);
    return master;
}

static void test_failover_serves_the_slots_again(void)
{
    char key[32];
    key_on(0, "failover", key, sizeof(key));
    uint64_t latency;
    ASSERT_EQ_INT(1, probe(key, &latency));
    uint64_t killed_ms = event_loop_now_ms();
    redis_server_kill(&cluster.nodes[0]);
    int outcome = 0, probes = 0;
    uint64_t slowest = 0, promoted_ms = 0;
    while (outcome == 0 && event_loop_now_ms() - killed_ms < FAILOVER_WAIT_MS) {
        if (!promoted_ms && promoted())
            promoted_ms = event_loop_now_ms() - killed_ms;
        outcome = probe(key, &latency);
        probes++;
        slowest = latency > slowest ? latency : slowest;
        if (outcome == 0)
            redis_server_run_for(loop, 50);
    }
    uint64_t served_ms = event_loop_now_ms() - killed_ms;
    printf("# failover: the replica was a master %llu ms after the kill, the client served its slots again after "
           "%llu ms (%d probes 50 ms apart, slowest answer %llu ms)\n",
           (unsigned long long)promoted_ms, (unsigned long long)served_ms, probes, (unsigned long long)slowest);
    ASSERT_EQ_INT(1, outcome);
    ASSERT_TRUE(promoted_ms > 0);
    ASSERT_TRUE(slowest <= COMMAND_TIMEOUT_MS + DEADLINE_MARGIN_MS);
    char *on_new_master = value_on(REPLICA, key);
    bool there = on_new_master && strcmp(on_new_master, "probe") == 0;
    free(on_new_master);
    ASSERT_TRUE(there);
}

/* ---- a subscriber, and a master lost without a replica ---- */

static struct redis_client *subscriber;

struct received {
    int count;
    char message[64];
};

static struct received received;

static void on_message(const char *channel, const char *message, size_t length, void *data)
{
    (void)channel;
    struct received *into = data;
    into->count++;
    snprintf(into->message, sizeof(into->message), "%.*s", (int)length, message);
}

static bool message_came(void *data)
{
    return ((const struct received *)data)->count > 0;
}

/* Whether node has one subscriber on the test's channel. */
static bool subscribed_on(int node)
{
    redisReply *reply = redis_server_command(&cluster.nodes[node], "PUBSUB NUMSUB cluster-test");
    bool one = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 && reply->element[1]->integer == 1;
    if (reply)
        freeReplyObject(reply);
    return one;
}

/* run_until() conditions: the subscriber's SUBSCRIBE reached the node (connected means it was sent). */
static bool subscribed_on_master_1(void *data)
{
    (void)data;
    return subscribed_on(1);
}

static bool subscribed_on_master_2(void *data)
{
    (void)data;
    return subscribed_on(2);
}

/* Publishes text on node and waits for the subscriber to receive it. */
static bool published_and_received(int node, const char *text)
{
    received = (struct received){ 0 };
    redisReply *reply = redis_server_command(&cluster.nodes[node], "PUBLISH cluster-test %s", text);
    bool published = reply && reply->type == REDIS_REPLY_INTEGER;
    if (reply)
        freeReplyObject(reply);
    return published && redis_server_run_until(loop, message_came, &received, WAIT_MS)
           && strcmp(received.message, text) == 0;
}

static void test_subscriber_receives_what_another_node_publishes(void)
{
    char seeds[128];
    snprintf(seeds, sizeof(seeds), "redis://127.0.0.1:%d,127.0.0.1:%d", cluster.nodes[1].port, cluster.nodes[2].port);
    struct redis_client_config config = { .url = seeds, .command_timeout_ms = COMMAND_TIMEOUT_MS, .max_pending = 8 };
    const char *channels[] = { "cluster-test" };
    ASSERT_EQ_INT(0, redis_client_create(loop, &config, &subscriber));
    ASSERT_EQ_INT(0, redis_client_subscribe(subscriber, channels, 1, on_message, &received));
    ASSERT_TRUE(redis_server_client_ready(loop, subscriber, WAIT_MS));
    ASSERT_TRUE(redis_server_run_until(loop, subscribed_on_master_1, NULL, WAIT_MS));
    ASSERT_TRUE(published_and_received(2, "from master 2"));
    ASSERT_EQ_INT(1, received.count);
}

static void test_master_without_replica_killed_refuses_its_slots_fast(void)
{
    char lost[32], kept[32];
    key_on(1, "lost", lost, sizeof(lost));
    key_on(2, "kept", kept, sizeof(kept));
    uint64_t latency;
    ASSERT_EQ_INT(1, probe(lost, &latency));
    const char *set[] = { "SET", lost, "in flight" };
    struct redis_server_reply in_flight = { 0 };
    redis_server_pause(&cluster.nodes[1]);
    ASSERT_EQ_INT(0, redis_client_command_strings(client, redis_server_capture, &in_flight, 3, set));
    redis_server_run_for(loop, 50);
    ASSERT_TRUE(!in_flight.done);
    uint64_t killed_ms = event_loop_now_ms();
    redis_server_kill(&cluster.nodes[1]);
    ASSERT_TRUE(redis_server_run_until_flag(loop, &in_flight.done, COMMAND_TIMEOUT_MS + DEADLINE_MARGIN_MS));
    redis_server_run_for(loop, 10);
    ASSERT_EQ_INT(1, in_flight.calls);
    ASSERT_TRUE(in_flight.null);
    printf("# a command in flight to the killed master got NULL %llu ms after the kill\n",
           (unsigned long long)(in_flight.at_ms - killed_ms));
    uint64_t slowest = 0;
    for (int i = 0; i < 10; i++) {
        ASSERT_EQ_INT(0, probe(lost, &latency)); /* -ENOTCONN, NULL or an error, never a hang */
        slowest = latency > slowest ? latency : slowest;
        ASSERT_EQ_INT(1, probe(kept, &latency));
        redis_server_run_for(loop, 50);
    }
    printf("# a lost master's slots: slowest refusal %llu ms\n", (unsigned long long)slowest);
    ASSERT_TRUE(slowest <= COMMAND_TIMEOUT_MS + DEADLINE_MARGIN_MS);
    char failover[32];
    key_on(0, "after-loss", failover, sizeof(failover));
    ASSERT_EQ_INT(1, probe(failover, &latency)); /* the promoted replica too */
}

static void test_subscriber_moves_to_another_seed_when_its_node_dies(void)
{
    ASSERT_NOT_NULL(subscriber);
    ASSERT_TRUE(!cluster.nodes[1].pid);
    ASSERT_TRUE(redis_server_run_until(loop, subscribed_on_master_2, NULL, WAIT_MS));
    ASSERT_TRUE(redis_server_client_ready(loop, subscriber, WAIT_MS));
    ASSERT_TRUE(published_and_received(REPLICA, "from the promoted replica"));
    ASSERT_EQ_INT(1, received.count);
}

int main(void)
{
    if (event_loop_create(&loop) < 0) {
        printf("Bail out! cannot create an event loop\n");
        return 1;
    }
    RUN(test_plain_redis_is_not_a_cluster);
    if (redis_server_cluster_start(&cluster, MASTERS, 1) < 0) {
        printf("Bail out! cannot start a Redis Cluster\n");
        event_loop_destroy(loop);
        return 1;
    }
    client = new_client(cluster.url, COMMAND_TIMEOUT_MS, 0);
    if (!client) {
        printf("Bail out! cannot connect to the Redis Cluster\n");
    } else {
        RUN(test_detects_a_cluster_from_one_seed_or_several);
        RUN(test_commands_and_scripts_reach_every_master);
        RUN(test_moved_is_followed_and_learned);
        RUN(test_ask_is_followed_during_a_migration);
        RUN(test_tryagain_is_passed_on_when_the_migration_outlasts_the_deadline);
        RUN(test_tryagain_is_retried_until_the_migration_ends);
        RUN(test_moved_to_a_master_the_client_never_saw);
        RUN(test_ask_to_a_master_the_client_never_saw);
        RUN(test_clusterdown_is_passed_on_and_the_map_read_again);
        RUN(test_durable_script_answers_once_a_replica_has_it);
        RUN(test_durable_script_waits_for_the_replicas_its_master_has);
        RUN(test_master_without_replica_takes_durable_writes_at_once);
        RUN(test_durable_write_its_replica_does_not_confirm_gets_no_reply_at_the_deadline);
        RUN(test_script_not_marked_durable_does_not_wait);
        RUN(test_failover_serves_the_slots_again);
        RUN(test_subscriber_receives_what_another_node_publishes);
        RUN(test_master_without_replica_killed_refuses_its_slots_fast);
        RUN(test_subscriber_moves_to_another_seed_when_its_node_dies);
    }
    redis_client_destroy(subscriber);
    for (int i = 0; i < client_count; i++)
        redis_client_destroy(clients[i]);
    event_loop_destroy(loop);
    redis_server_cluster_destroy(&cluster);
    return client ? test_done() : 1;
}
