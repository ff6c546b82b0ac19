/*
 * test_redis_cluster.c - unit tests for common/pure/redis_cluster.c
 */
#include "redis_cluster.h"
#include "test.h"

#include <errno.h>

static int slot_of(const char *key)
{
    return redis_cluster_key_slot(key, strlen(key));
}

/* ---- hash slots ---- */

static void test_crc16_check_value(void)
{
    ASSERT_EQ_INT(0x31C3, redis_cluster_crc16("123456789", 9));
    ASSERT_EQ_INT(0, redis_cluster_crc16("", 0));
}

static void test_slots_of_plain_keys(void)
{
    ASSERT_EQ_INT(12182, slot_of("foo"));
    ASSERT_EQ_INT(5061, slot_of("bar"));
    ASSERT_EQ_INT(0x31C3, slot_of("123456789"));
    ASSERT_EQ_INT(0, slot_of(""));
}

/* The values a redis-server (7, cluster-enabled) answers to CLUSTER KEYSLOT. */
static void test_slots_as_redis_answers_cluster_keyslot(void)
{
    ASSERT_EQ_INT(3443, slot_of("user1000"));
    ASSERT_EQ_INT(3443, slot_of("{user1000}.following"));
    ASSERT_EQ_INT(8363, slot_of("foo{}{bar}"));
    ASSERT_EQ_INT(4015, slot_of("foo{{bar}}zap"));
    ASSERT_EQ_INT(5061, slot_of("foo{bar}{zap}"));
    ASSERT_EQ_INT(9704, slot_of("{sfn:07}:execution:x"));
    ASSERT_EQ_INT(12739, slot_of("123456789"));
}

static void test_hash_tags(void)
{
    int user = slot_of("user1000");
    ASSERT_EQ_INT(user, slot_of("{user1000}.following"));
    ASSERT_EQ_INT(user, slot_of("{user1000}.followers"));
    ASSERT_EQ_INT(slot_of("bar"), slot_of("foo{bar}{zap}"));
    ASSERT_EQ_INT(slot_of("{bar"), slot_of("foo{{bar}}zap"));
    ASSERT_EQ_INT(redis_cluster_crc16("foo{}{bar}", 10) % 16384, slot_of("foo{}{bar}"));
    ASSERT_EQ_INT(redis_cluster_crc16("foo{bar", 7) % 16384, slot_of("foo{bar"));
    ASSERT_EQ_INT(redis_cluster_crc16("foo}bar{", 8) % 16384, slot_of("foo}bar{"));
    ASSERT_EQ_INT(slot_of("sfn:07"), slot_of("{sfn:07}:execution:x"));
    ASSERT_EQ_INT(slot_of("sfn"), slot_of("{sfn}:state-machines"));
}

static void test_key_with_nul_bytes_and_length(void)
{
    /* The length counts, not a NUL: "a{b}\0c" has the tag "b"; "foo" of length 2 is "fo". */
    ASSERT_EQ_INT(slot_of("b"), redis_cluster_key_slot("a{b}\0c", 6));
    ASSERT_EQ_INT(slot_of("fo"), redis_cluster_key_slot("foo", 2));
    ASSERT_EQ_INT(redis_cluster_crc16("x\0{", 3) % 16384, redis_cluster_key_slot("x\0{}y", 3));
}

/* ---- cluster errors ---- */

static void check_redirect(const char *text, enum redis_cluster_error_kind kind, int slot, const char *host, int port)
{
    struct redis_cluster_redirect redirect;
    ASSERT_EQ_INT(0, redis_cluster_parse_error(text, &redirect));
    ASSERT_EQ_INT(kind, redirect.kind);
    ASSERT_EQ_INT(slot, redirect.slot);
    ASSERT_EQ_STR(host, redirect.target.host);
    ASSERT_EQ_INT(port, redirect.target.port);
}

static void test_moved_and_ask(void)
{
    check_redirect("MOVED 3999 127.0.0.1:6381", REDIS_CLUSTER_ERROR_MOVED, 3999, "127.0.0.1", 6381);
    check_redirect("ASK 3999 127.0.0.1:6381", REDIS_CLUSTER_ERROR_ASK, 3999, "127.0.0.1", 6381);
    check_redirect("MOVED 1 ::1:7000", REDIS_CLUSTER_ERROR_MOVED, 1, "::1", 7000);
    check_redirect("MOVED 1 redis-2:6379", REDIS_CLUSTER_ERROR_MOVED, 1, "redis-2", 6379);
    check_redirect("MOVED 0 h:1", REDIS_CLUSTER_ERROR_MOVED, 0, "h", 1);
    check_redirect("ASK 16383 h:65535", REDIS_CLUSTER_ERROR_ASK, 16383, "h", 65535);
}

static void test_moved_with_empty_host_means_the_answering_node(void)
{
    check_redirect("MOVED 1 :6380", REDIS_CLUSTER_ERROR_MOVED, 1, "", 6380);
}

static void test_other_cluster_errors(void)
{
    check_redirect("TRYAGAIN Multiple keys request during rehashing of slot", REDIS_CLUSTER_ERROR_TRYAGAIN, 0, "", 0);
    check_redirect("TRYAGAIN", REDIS_CLUSTER_ERROR_TRYAGAIN, 0, "", 0);
    check_redirect("CLUSTERDOWN The cluster is down", REDIS_CLUSTER_ERROR_CLUSTERDOWN, 0, "", 0);
    check_redirect("CLUSTERDOWN Hash slot not served", REDIS_CLUSTER_ERROR_CLUSTERDOWN, 0, "", 0);
}

static void test_errors_that_are_not_cluster_errors(void)
{
    check_redirect("ERR unknown command", REDIS_CLUSTER_ERROR_NONE, 0, "", 0);
    check_redirect("NOSCRIPT No matching script. Please use EVAL.", REDIS_CLUSTER_ERROR_NONE, 0, "", 0);
    check_redirect("MOVEDX 1 h:1", REDIS_CLUSTER_ERROR_NONE, 0, "", 0);
    check_redirect("moved 1 h:1", REDIS_CLUSTER_ERROR_NONE, 0, "", 0);
    check_redirect("ASKING", REDIS_CLUSTER_ERROR_NONE, 0, "", 0);
    check_redirect("", REDIS_CLUSTER_ERROR_NONE, 0, "", 0);
}

static void test_malformed_redirects(void)
{
    char long_host[300 + sizeof("MOVED 1 :1")];
    memcpy(long_host, "MOVED 1 ", 8);
    memset(long_host + 8, 'h', 256);
    strcpy(long_host + 8 + 256, ":1");
    const char *texts[] = {
        "MOVED",
        "MOVED ",
        "ASK",
        "MOVED x 1.2.3.4:5",
        "MOVED 16384 h:1",
        "MOVED -1 h:1",
        "MOVED 1",
        "MOVED 1 ",
        "MOVED 1 h",
        "MOVED 1 h:",
        "MOVED 1 h:0",
        "MOVED 1 h:65536",
        "MOVED 1 h:x",
        "MOVED 1 h:+5",
        "MOVED 1 h:1 more",
        "MOVED  1 h:1",
        "MOVED 1x h:1",
        "ASK 99999999999 h:1",
        long_host,
        NULL,
    };
    struct redis_cluster_redirect redirect;
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        if (redis_cluster_parse_error(texts[i], &redirect) != -EINVAL)
            TEST_FAIL_("\"%s\" was not refused", texts[i] ? texts[i] : "(null)");
    }
    long_host[8 + 1] = ':';
    long_host[8 + 2] = '1';
    long_host[8 + 3] = '\0';
    ASSERT_EQ_INT(0, redis_cluster_parse_error(long_host, &redirect));
}

static void test_longest_host_that_fits(void)
{
    char text[8 + 255 + 3];
    memcpy(text, "MOVED 1 ", 8);
    memset(text + 8, 'h', 255);
    strcpy(text + 8 + 255, ":1");
    struct redis_cluster_redirect redirect;
    ASSERT_EQ_INT(0, redis_cluster_parse_error(text, &redirect));
    ASSERT_EQ_INT(255, strlen(redirect.target.host));
}

/* ---- the slot map ---- */

static struct redis_cluster_slot_map map;

static void check_lookup(int slot, const char *host, int port)
{
    const char *found_host = NULL;
    int found_port = 0;
    ASSERT_EQ_INT(0, redis_cluster_slot_map_lookup(&map, slot, &found_host, &found_port));
    ASSERT_EQ_STR(host, found_host);
    ASSERT_EQ_INT(port, found_port);
}

static void test_empty_map_has_no_slot(void)
{
    const char *host;
    int port;
    redis_cluster_slot_map_init(&map);
    ASSERT_EQ_INT(-ENOENT, redis_cluster_slot_map_lookup(&map, 0, &host, &port));
    ASSERT_EQ_INT(-ENOENT, redis_cluster_slot_map_lookup(&map, 16383, &host, &port));
    ASSERT_EQ_INT(-EINVAL, redis_cluster_slot_map_lookup(&map, 16384, &host, &port));
    ASSERT_EQ_INT(-EINVAL, redis_cluster_slot_map_lookup(&map, -1, &host, &port));
}

static void test_assign_three_masters(void)
{
    redis_cluster_slot_map_init(&map);
    ASSERT_EQ_INT(0, redis_cluster_slot_map_assign(&map, 0, 5460, "127.0.0.1", 7000));
    ASSERT_EQ_INT(0, redis_cluster_slot_map_assign(&map, 5461, 10922, "127.0.0.1", 7001));
    ASSERT_EQ_INT(0, redis_cluster_slot_map_assign(&map, 10923, 16383, "127.0.0.1", 7002));
    ASSERT_EQ_INT(3, map.node_count);
    check_lookup(0, "127.0.0.1", 7000);
    check_lookup(5460, "127.0.0.1", 7000);
    check_lookup(5461, "127.0.0.1", 7001);
    check_lookup(10922, "127.0.0.1", 7001);
    check_lookup(10923, "127.0.0.1", 7002);
    check_lookup(16383, "127.0.0.1", 7002);
    check_lookup(slot_of("foo"), "127.0.0.1", 7002);
}

static void test_assign_reuses_a_known_node(void)
{
    const char *host;
    int port;
    redis_cluster_slot_map_init(&map);
    ASSERT_EQ_INT(0, redis_cluster_slot_map_assign(&map, 0, 99, "a", 1));
    ASSERT_EQ_INT(0, redis_cluster_slot_map_assign(&map, 200, 299, "a", 2));
    ASSERT_EQ_INT(0, redis_cluster_slot_map_assign(&map, 300, 399, "a", 1));
    ASSERT_EQ_INT(2, map.node_count);
    check_lookup(350, "a", 1);
    check_lookup(250, "a", 2);
    ASSERT_EQ_INT(-ENOENT, redis_cluster_slot_map_lookup(&map, 150, &host, &port));
}

static void test_later_assignment_wins(void)
{
    redis_cluster_slot_map_init(&map);
    ASSERT_EQ_INT(0, redis_cluster_slot_map_assign(&map, 0, 16383, "a", 1));
    ASSERT_EQ_INT(0, redis_cluster_slot_map_assign(&map, 100, 199, "b", 1));
    check_lookup(99, "a", 1);
    check_lookup(100, "b", 1);
    check_lookup(199, "b", 1);
    check_lookup(200, "a", 1);
    ASSERT_EQ_INT(0, redis_cluster_slot_map_assign(&map, 150, 150, "a", 1));
    check_lookup(150, "a", 1);
    check_lookup(151, "b", 1);
    ASSERT_EQ_INT(2, map.node_count);
}

static void test_assign_refuses_bad_arguments(void)
{
    char long_host[REDIS_CLUSTER_HOST_SIZE + 1];
    memset(long_host, 'h', sizeof(long_host) - 1);
    long_host[sizeof(long_host) - 1] = '\0';
    redis_cluster_slot_map_init(&map);
    ASSERT_EQ_INT(-EINVAL, redis_cluster_slot_map_assign(&map, -1, 5, "a", 1));
    ASSERT_EQ_INT(-EINVAL, redis_cluster_slot_map_assign(&map, 6, 5, "a", 1));
    ASSERT_EQ_INT(-EINVAL, redis_cluster_slot_map_assign(&map, 0, 16384, "a", 1));
    ASSERT_EQ_INT(-EINVAL, redis_cluster_slot_map_assign(&map, 0, 1, "", 1));
    ASSERT_EQ_INT(-EINVAL, redis_cluster_slot_map_assign(&map, 0, 1, NULL, 1));
    ASSERT_EQ_INT(-EINVAL, redis_cluster_slot_map_assign(&map, 0, 1, long_host, 1));
    ASSERT_EQ_INT(-EINVAL, redis_cluster_slot_map_assign(&map, 0, 1, "a", 0));
    ASSERT_EQ_INT(-EINVAL, redis_cluster_slot_map_assign(&map, 0, 1, "a", 65536));
    ASSERT_EQ_INT(0, map.node_count);
    long_host[REDIS_CLUSTER_HOST_SIZE - 1] = '\0';
    ASSERT_EQ_INT(0, redis_cluster_slot_map_assign(&map, 16383, 16383, long_host, 65535));
    check_lookup(16383, long_host, 65535);
}

static void test_full_node_table(void)
{
    const char *host;
    int port;
    redis_cluster_slot_map_init(&map);
    for (int i = 0; i < REDIS_CLUSTER_MAX_NODES; i++)
        ASSERT_EQ_INT(0, redis_cluster_slot_map_assign(&map, i, i, "10.0.0.1", 7000 + i));
    ASSERT_EQ_INT(-ENOSPC, redis_cluster_slot_map_assign(&map, 100, 200, "10.0.0.2", 7000));
    ASSERT_EQ_INT(-ENOENT, redis_cluster_slot_map_lookup(&map, 100, &host, &port));
    ASSERT_EQ_INT(0, redis_cluster_slot_map_assign(&map, 100, 200, "10.0.0.1", 7063));
    check_lookup(200, "10.0.0.1", 7063);
    check_lookup(63, "10.0.0.1", 7063);
    check_lookup(0, "10.0.0.1", 7000);
    redis_cluster_slot_map_init(&map);
    ASSERT_EQ_INT(0, redis_cluster_slot_map_assign(&map, 100, 200, "10.0.0.2", 7000));
}

static void test_apply_moved(void)
{
    struct redis_cluster_redirect redirect;
    redis_cluster_slot_map_init(&map);
    ASSERT_EQ_INT(0, redis_cluster_slot_map_assign(&map, 0, 16383, "127.0.0.1", 7000));
    ASSERT_EQ_INT(0, redis_cluster_parse_error("MOVED 3999 127.0.0.1:7001", &redirect));
    ASSERT_EQ_INT(0, redis_cluster_slot_map_apply_moved(&map, &redirect));
    check_lookup(3998, "127.0.0.1", 7000);
    check_lookup(3999, "127.0.0.1", 7001);
    check_lookup(4000, "127.0.0.1", 7000);
    ASSERT_EQ_INT(0, redis_cluster_parse_error("MOVED 3999 127.0.0.1:7000", &redirect));
    ASSERT_EQ_INT(0, redis_cluster_slot_map_apply_moved(&map, &redirect));
    check_lookup(3999, "127.0.0.1", 7000);
    ASSERT_EQ_INT(2, map.node_count);
}

static void test_apply_moved_refuses_other_redirects(void)
{
    struct redis_cluster_redirect redirect;
    redis_cluster_slot_map_init(&map);
    ASSERT_EQ_INT(0, redis_cluster_parse_error("ASK 5 h:1", &redirect));
    ASSERT_EQ_INT(-EINVAL, redis_cluster_slot_map_apply_moved(&map, &redirect));
    ASSERT_EQ_INT(0, redis_cluster_parse_error("MOVED 5 :6380", &redirect));
    ASSERT_EQ_INT(-EINVAL, redis_cluster_slot_map_apply_moved(&map, &redirect));
    snprintf(redirect.target.host, sizeof(redirect.target.host), "%s", "answering-node");
    ASSERT_EQ_INT(0, redis_cluster_slot_map_apply_moved(&map, &redirect));
    check_lookup(5, "answering-node", 6380);
    ASSERT_EQ_INT(0, redis_cluster_parse_error("TRYAGAIN", &redirect));
    ASSERT_EQ_INT(-EINVAL, redis_cluster_slot_map_apply_moved(&map, &redirect));
}

/* ---- REDIS_URL ---- */

static struct redis_cluster_seeds seeds;

static void check_seed(int index, const char *host, int port)
{
    ASSERT_TRUE(index < seeds.count);
    ASSERT_EQ_STR(host, seeds.seeds[index].host);
    ASSERT_EQ_INT(port, seeds.seeds[index].port);
}

static void check_password(const char *expected)
{
    if (!expected) {
        ASSERT_NULL(seeds.password);
        return;
    }
    ASSERT_NOT_NULL(seeds.password);
    ASSERT_EQ_INT(strlen(expected), seeds.password_length);
    ASSERT_TRUE(memcmp(expected, seeds.password, seeds.password_length) == 0);
}

/* What the single-node client accepted stays accepted with the same meaning. */
static void test_single_seed_urls(void)
{
    ASSERT_EQ_INT(0, redis_cluster_parse_seeds("redis://localhost", &seeds));
    ASSERT_EQ_INT(1, seeds.count);
    check_seed(0, "localhost", 6379);
    check_password(NULL);
    ASSERT_EQ_STR("", seeds.database);

    ASSERT_EQ_INT(0, redis_cluster_parse_seeds("redis://127.0.0.1:6380", &seeds));
    check_seed(0, "127.0.0.1", 6380);
    ASSERT_EQ_INT(0, redis_cluster_parse_seeds("redis://redis:6379/3", &seeds));
    check_seed(0, "redis", 6379);
    ASSERT_EQ_STR("3", seeds.database);
    ASSERT_EQ_INT(0, redis_cluster_parse_seeds("redis://h/", &seeds));
    ASSERT_EQ_STR("", seeds.database);
    ASSERT_EQ_INT(0, redis_cluster_parse_seeds("redis://h:1/", &seeds));
    check_seed(0, "h", 1);
    ASSERT_EQ_INT(0, redis_cluster_parse_seeds("redis://h/15", &seeds));
    check_seed(0, "h", 6379);
    ASSERT_EQ_STR("15", seeds.database);
    ASSERT_EQ_INT(0, redis_cluster_parse_seeds("redis://[::1]:7000/0", &seeds));
    check_seed(0, "::1", 7000);
    ASSERT_EQ_STR("0", seeds.database);
    ASSERT_EQ_INT(0, redis_cluster_parse_seeds("redis://[fe80::1]", &seeds));
    check_seed(0, "fe80::1", 6379);
    ASSERT_EQ_INT(0, redis_cluster_parse_seeds("redis://[10.1.2.3]:9", &seeds));
    check_seed(0, "10.1.2.3", 9);
}

static void test_passwords(void)
{
    ASSERT_EQ_INT(0, redis_cluster_parse_seeds("redis://:s3cret@h:1", &seeds));
    check_password("s3cret");
    check_seed(0, "h", 1);
    ASSERT_EQ_INT(0, redis_cluster_parse_seeds("redis://user:s3cret@h", &seeds));
    check_password("s3cret");
    ASSERT_EQ_INT(0, redis_cluster_parse_seeds("redis://s3cret@h", &seeds));
    check_password("s3cret");
    ASSERT_EQ_INT(0, redis_cluster_parse_seeds("redis://:a:b,c/d@h", &seeds));
    check_password("a:b,c/d");
    ASSERT_EQ_INT(0, redis_cluster_parse_seeds("redis://:@h", &seeds));
    check_password("");
}

static void test_several_seeds(void)
{
    ASSERT_EQ_INT(0, redis_cluster_parse_seeds("redis://127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002", &seeds));
    ASSERT_EQ_INT(3, seeds.count);
    check_seed(0, "127.0.0.1", 7000);
    check_seed(1, "127.0.0.1", 7001);
    check_seed(2, "127.0.0.1", 7002);
    check_password(NULL);

    ASSERT_EQ_INT(0, redis_cluster_parse_seeds("redis://:pw@a,[::1]:7001,b:7002/0", &seeds));
    ASSERT_EQ_INT(3, seeds.count);
    check_seed(0, "a", 6379);
    check_seed(1, "::1", 7001);
    check_seed(2, "b", 7002);
    check_password("pw");
    ASSERT_EQ_STR("0", seeds.database);
    ASSERT_EQ_INT(0, redis_cluster_parse_seeds("redis://a,b/", &seeds));
    ASSERT_EQ_INT(2, seeds.count);
    ASSERT_EQ_INT(0, redis_cluster_parse_seeds("redis://a,b/00", &seeds));
}

static void test_sixteen_seeds_and_no_more(void)
{
    char url[512] = "redis://h0";
    for (int i = 1; i < REDIS_CLUSTER_MAX_SEEDS; i++)
        snprintf(url + strlen(url), sizeof(url) - strlen(url), ",h%d:%d", i, 7000 + i);
    ASSERT_EQ_INT(0, redis_cluster_parse_seeds(url, &seeds));
    ASSERT_EQ_INT(REDIS_CLUSTER_MAX_SEEDS, seeds.count);
    check_seed(15, "h15", 7015);
    strcat(url, ",h16");
    ASSERT_EQ_INT(-EINVAL, redis_cluster_parse_seeds(url, &seeds));
}

static void test_refused_urls(void)
{
    char long_host[300] = "redis://";
    memset(long_host + 8, 'h', 256);
    const char *urls[] = {
        NULL,
        "",
        "redis://",
        "rediss://h:1",
        "http://h:1",
        "REDIS://h",
        "h:6379",
        "redis://:6379",
        "redis://h:",
        "redis://h:0",
        "redis://h:65536",
        "redis://h:x",
        "redis://h:1x",
        "redis://h:-1",
        "redis://h/x",
        "redis://h/1/",
        "redis://h/1234567890123456",
        "redis://[::1",
        "redis://[]:1",
        "redis://[host]:1",
        "redis://[::1]x",
        "redis://::1",
        "redis://a,",
        "redis://,a",
        "redis://a,,b",
        "redis://a,:1",
        "redis://a:1,b:0",
        "redis://a,b/1",
        "redis://a,b/01",
        long_host,
    };
    for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
        if (redis_cluster_parse_seeds(urls[i], &seeds) != -EINVAL)
            TEST_FAIL_("\"%s\" was not refused", urls[i] ? urls[i] : "(null)");
    }
    long_host[8 + 255] = '\0';
    ASSERT_EQ_INT(0, redis_cluster_parse_seeds(long_host, &seeds));
}

/* ---- what to do with a reply ---- */

/* A cluster command 1 s before its deadline, no redirection yet, that got a plain answer. */
static struct redis_cluster_reply_facts facts_of(const char *error)
{
    return (struct redis_cluster_reply_facts){
        .cluster = true, .error = error, .now_ms = 1000, .deadline_ms = 2000, .retry_delay_ms = 25
    };
}

static enum redis_cluster_action action_of(const struct redis_cluster_reply_facts *facts)
{
    struct redis_cluster_redirect redirect;
    return redis_cluster_next_action(facts, &redirect);
}

static void test_answer_is_delivered(void)
{
    struct redis_cluster_reply_facts facts = facts_of(NULL);
    struct redis_cluster_redirect redirect;
    ASSERT_EQ_INT(REDIS_CLUSTER_DELIVER, redis_cluster_next_action(&facts, &redirect));
    ASSERT_EQ_INT(REDIS_CLUSTER_ERROR_NONE, redirect.kind);
    facts = facts_of("WRONGTYPE Operation against a key holding the wrong kind of value");
    ASSERT_EQ_INT(REDIS_CLUSTER_DELIVER, action_of(&facts));
}

static void test_moved_is_followed(void)
{
    struct redis_cluster_reply_facts facts = facts_of("MOVED 3999 127.0.0.1:6381");
    struct redis_cluster_redirect redirect;
    ASSERT_EQ_INT(REDIS_CLUSTER_FOLLOW_MOVED, redis_cluster_next_action(&facts, &redirect));
    ASSERT_EQ_INT(REDIS_CLUSTER_ERROR_MOVED, redirect.kind);
    ASSERT_EQ_INT(3999, redirect.slot);
    ASSERT_EQ_STR("127.0.0.1", redirect.target.host);
    ASSERT_EQ_INT(6381, redirect.target.port);
}

static void test_ask_is_followed(void)
{
    struct redis_cluster_reply_facts facts = facts_of("ASK 12 ::1:7002");
    struct redis_cluster_redirect redirect;
    ASSERT_EQ_INT(REDIS_CLUSTER_FOLLOW_ASK, redis_cluster_next_action(&facts, &redirect));
    ASSERT_EQ_INT(REDIS_CLUSTER_ERROR_ASK, redirect.kind);
    ASSERT_EQ_INT(12, redirect.slot);
    ASSERT_EQ_STR("::1", redirect.target.host);
    ASSERT_EQ_INT(7002, redirect.target.port);
}

static void test_redirections_stop_at_the_limit(void)
{
    struct redis_cluster_reply_facts facts = facts_of("MOVED 1 h:1");
    facts.redirections = REDIS_CLUSTER_MAX_REDIRECTIONS - 1;
    ASSERT_EQ_INT(REDIS_CLUSTER_FOLLOW_MOVED, action_of(&facts));
    facts.redirections = REDIS_CLUSTER_MAX_REDIRECTIONS;
    ASSERT_EQ_INT(REDIS_CLUSTER_DELIVER, action_of(&facts));
    facts.error = "ASK 1 h:1";
    ASSERT_EQ_INT(REDIS_CLUSTER_DELIVER, action_of(&facts));
    facts.redirections = REDIS_CLUSTER_MAX_REDIRECTIONS - 1;
    ASSERT_EQ_INT(REDIS_CLUSTER_FOLLOW_ASK, action_of(&facts));
}

static void test_redirections_stop_at_the_deadline(void)
{
    struct redis_cluster_reply_facts facts = facts_of("MOVED 1 h:1");
    facts.now_ms = facts.deadline_ms - 1;
    ASSERT_EQ_INT(REDIS_CLUSTER_FOLLOW_MOVED, action_of(&facts));
    facts.now_ms = facts.deadline_ms;
    ASSERT_EQ_INT(REDIS_CLUSTER_DELIVER, action_of(&facts));
    facts.error = "ASK 1 h:1";
    ASSERT_EQ_INT(REDIS_CLUSTER_DELIVER, action_of(&facts));
}

static void test_tryagain_is_retried_while_the_deadline_allows(void)
{
    struct redis_cluster_reply_facts facts = facts_of("TRYAGAIN Multiple keys request during rehashing of slot");
    ASSERT_EQ_INT(REDIS_CLUSTER_RETRY_LATER, action_of(&facts));
    facts.redirections = REDIS_CLUSTER_MAX_REDIRECTIONS; /* retries are not redirections */
    ASSERT_EQ_INT(REDIS_CLUSTER_RETRY_LATER, action_of(&facts));
    facts.now_ms = facts.deadline_ms - facts.retry_delay_ms - 1;
    ASSERT_EQ_INT(REDIS_CLUSTER_RETRY_LATER, action_of(&facts));
    facts.now_ms = facts.deadline_ms - facts.retry_delay_ms;
    ASSERT_EQ_INT(REDIS_CLUSTER_DELIVER, action_of(&facts));
}

static void test_clusterdown_and_no_reply_refresh_the_map(void)
{
    struct redis_cluster_reply_facts facts = facts_of("CLUSTERDOWN The cluster is down");
    ASSERT_EQ_INT(REDIS_CLUSTER_DELIVER_AND_REFRESH, action_of(&facts));
    facts = facts_of(NULL);
    facts.no_reply = true;
    ASSERT_EQ_INT(REDIS_CLUSTER_DELIVER_AND_REFRESH, action_of(&facts));
    facts.durable_wait = true; /* nothing to wait for */
    ASSERT_EQ_INT(REDIS_CLUSTER_DELIVER_AND_REFRESH, action_of(&facts));
}

static void test_malformed_redirect_is_an_ordinary_error(void)
{
    struct redis_cluster_reply_facts facts = facts_of("MOVED 99999 h:1");
    struct redis_cluster_redirect redirect;
    ASSERT_EQ_INT(REDIS_CLUSTER_DELIVER, redis_cluster_next_action(&facts, &redirect));
    ASSERT_EQ_INT(REDIS_CLUSTER_ERROR_NONE, redirect.kind);
    facts.error = "ASK 1 nowhere";
    ASSERT_EQ_INT(REDIS_CLUSTER_DELIVER, action_of(&facts));
}

static void test_outside_a_cluster_nothing_is_followed(void)
{
    const char *errors[] = { "MOVED 1 h:1", "ASK 1 h:1", "TRYAGAIN x", "CLUSTERDOWN x" };
    struct redis_cluster_reply_facts facts = facts_of(NULL);
    facts.cluster = false;
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
        struct redis_cluster_redirect redirect;
        facts.error = errors[i];
        ASSERT_EQ_INT(REDIS_CLUSTER_DELIVER, redis_cluster_next_action(&facts, &redirect));
        ASSERT_EQ_INT(REDIS_CLUSTER_ERROR_NONE, redirect.kind);
    }
    facts.error = NULL;
    facts.no_reply = true;
    ASSERT_EQ_INT(REDIS_CLUSTER_DELIVER, action_of(&facts));
}

static void test_durable_answer_waits_for_replicas(void)
{
    struct redis_cluster_reply_facts facts = facts_of(NULL);
    facts.durable_wait = true;
    ASSERT_EQ_INT(REDIS_CLUSTER_WAIT_REPLICAS, action_of(&facts));
    facts.cluster = false; /* a plain Redis with replicas too */
    ASSERT_EQ_INT(REDIS_CLUSTER_WAIT_REPLICAS, action_of(&facts));
    facts.error = "ERR user_script:1: boom"; /* an error wrote nothing to confirm */
    ASSERT_EQ_INT(REDIS_CLUSTER_DELIVER, action_of(&facts));
    facts = facts_of("MOVED 1 h:1");
    facts.durable_wait = true; /* not run yet: followed first */
    ASSERT_EQ_INT(REDIS_CLUSTER_FOLLOW_MOVED, action_of(&facts));
}

int main(void)
{
    RUN(test_crc16_check_value);
    RUN(test_slots_of_plain_keys);
    RUN(test_slots_as_redis_answers_cluster_keyslot);
    RUN(test_hash_tags);
    RUN(test_key_with_nul_bytes_and_length);
    RUN(test_moved_and_ask);
    RUN(test_moved_with_empty_host_means_the_answering_node);
    RUN(test_other_cluster_errors);
    RUN(test_errors_that_are_not_cluster_errors);
    RUN(test_malformed_redirects);
    RUN(test_longest_host_that_fits);
    RUN(test_empty_map_has_no_slot);
    RUN(test_assign_three_masters);
    RUN(test_assign_reuses_a_known_node);
    RUN(test_later_assignment_wins);
    RUN(test_assign_refuses_bad_arguments);
    RUN(test_full_node_table);
    RUN(test_apply_moved);
    RUN(test_apply_moved_refuses_other_redirects);
    RUN(test_single_seed_urls);
    RUN(test_passwords);
    RUN(test_several_seeds);
    RUN(test_sixteen_seeds_and_no_more);
    RUN(test_refused_urls);
    RUN(test_answer_is_delivered);
    RUN(test_moved_is_followed);
    RUN(test_ask_is_followed);
    RUN(test_redirections_stop_at_the_limit);
    RUN(test_redirections_stop_at_the_deadline);
    RUN(test_tryagain_is_retried_while_the_deadline_allows);
    RUN(test_clusterdown_and_no_reply_refresh_the_map);
    RUN(test_malformed_redirect_is_an_ordinary_error);
    RUN(test_outside_a_cluster_nothing_is_followed);
    RUN(test_durable_answer_waits_for_replicas);
    return test_done();
}
