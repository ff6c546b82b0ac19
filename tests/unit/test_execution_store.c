/*
 * test_execution_store.c - unit tests for the pure part of
 * loan-processor/execution_store.c: the shards and the key layout (nothing
 * here talks to Redis).
 */
#include "execution_store.h"
#include "test.h"

#include <errno.h>
#include <stdio.h>

#define EXECUTION_ID "LoanProcessorStateMachine:my-loan"
#define EXECUTION_PREFIX "arn:aws:states:us-east-1:123456789012:execution:LoanProcessorStateMachine:"

/* FNV-1a 32 of the published test vectors, modulo 16. */
static void test_shard_is_fnv1a_modulo_the_shard_count(void)
{
    ASSERT_EQ_INT(16, execution_store_shard_count()); /* the legacy count, until set */
    ASSERT_EQ_INT(0x811c9dc5u % 16, execution_store_shard(""));
    ASSERT_EQ_INT(0xe40c292cu % 16, execution_store_shard("a"));
    ASSERT_EQ_INT(0xbf9cf968u % 16, execution_store_shard("foobar"));
    ASSERT_EQ_INT(2, execution_store_shard(EXECUTION_ID)); /* FNV-1a 0xcc74ba92 */
}

static void test_executions_spread_over_every_shard(void)
{
    unsigned counts[EXECUTION_STORE_LEGACY_SHARDS] = { 0 };
    char id[64];
    for (int i = 0; i < 1600; i++) {
        snprintf(id, sizeof(id), "LoanProcessorStateMachine:application-%d", i);
        unsigned shard = execution_store_shard(id);
        ASSERT_TRUE(shard < execution_store_shard_count());
        counts[shard]++;
    }
    for (unsigned shard = 0; shard < execution_store_shard_count(); shard++)
        ASSERT_TRUE(counts[shard] > 50 && counts[shard] < 150);
}

static void test_keys_of_an_execution_share_its_shards_hash_tag(void)
{
    char key[256], history[256], timers[32];
    ASSERT_EQ_INT(0, execution_store_key(EXECUTION_ID, key, sizeof(key)));
    ASSERT_EQ_INT(0, execution_store_history_key(EXECUTION_ID, history, sizeof(history)));
    ASSERT_EQ_INT(0, execution_store_timers_key(execution_store_shard(EXECUTION_ID), timers, sizeof(timers)));
    ASSERT_EQ_STR("{sfn:02}:execution:" EXECUTION_ID, key);
    ASSERT_EQ_STR("{sfn:02}:history:" EXECUTION_ID, history);
    ASSERT_EQ_STR("{sfn:02}:timers", timers);
}

static void test_timers_keys_have_two_digits(void)
{
    char timers[32];
    ASSERT_EQ_INT(0, execution_store_timers_key(0, timers, sizeof(timers)));
    ASSERT_EQ_STR("{sfn:00}:timers", timers);
    ASSERT_EQ_INT(0, execution_store_timers_key(execution_store_shard_count() - 1, timers, sizeof(timers)));
    ASSERT_EQ_STR("{sfn:15}:timers", timers);
}

/* Above 99 a shard's tag takes three or four digits; below, keys keep the names they had with 16 shards. */
static void test_a_set_shard_count_is_used_and_keys_below_100_keep_two_digits(void)
{
    char timers[32];
    execution_store_set_shard_count(1024);
    ASSERT_EQ_INT(1024, execution_store_shard_count());
    ASSERT_EQ_INT(0xbf9cf968u % 1024, execution_store_shard("foobar"));
    ASSERT_EQ_INT(0, execution_store_timers_key(1023, timers, sizeof(timers)));
    ASSERT_EQ_STR("{sfn:1023}:timers", timers);
    ASSERT_EQ_INT(0, execution_store_timers_key(7, timers, sizeof(timers)));
    ASSERT_EQ_STR("{sfn:07}:timers", timers);
    execution_store_set_shard_count(0);
    execution_store_set_shard_count(1025);
    ASSERT_EQ_INT(1024, execution_store_shard_count());
    execution_store_set_shard_count(1);
    ASSERT_EQ_INT(0, execution_store_shard("foobar"));
    execution_store_set_shard_count(EXECUTION_STORE_LEGACY_SHARDS);
}

static void test_index_is_in_its_machines_slot_with_its_versions_and_aliases(void)
{
    char index[320];
    ASSERT_EQ_INT(
        0, execution_store_index_key("arn:aws:states:us-east-1:123456789012:stateMachine:M", index, sizeof(index)));
    ASSERT_EQ_STR("{sfn:executions:M}:arn:aws:states:us-east-1:123456789012:stateMachine:M", index);
    ASSERT_EQ_INT(
        0, execution_store_index_key("arn:aws:states:us-east-1:123456789012:stateMachine:M:7", index, sizeof(index)));
    ASSERT_EQ_STR("{sfn:executions:M}:arn:aws:states:us-east-1:123456789012:stateMachine:M:7", index);
    ASSERT_EQ_INT(0, execution_store_index_key("arn:aws:states:us-east-1:123456789012:stateMachine:M:prod", index,
                                               sizeof(index)));
    ASSERT_EQ_STR("{sfn:executions:M}:arn:aws:states:us-east-1:123456789012:stateMachine:M:prod", index);
}

/* A key cut short could alias two executions: a key builder refuses instead. */
static void test_a_key_too_long_for_its_buffer_is_an_error(void)
{
    char key[12], exact[sizeof("{sfn:02}:execution:" EXECUTION_ID)];
    ASSERT_EQ_INT(-ENAMETOOLONG, execution_store_key(EXECUTION_ID, key, sizeof(key)));
    ASSERT_EQ_INT(-ENAMETOOLONG, execution_store_history_key(EXECUTION_ID, key, sizeof(key)));
    ASSERT_EQ_INT(-ENAMETOOLONG, execution_store_timers_key(0, key, 8));
    ASSERT_EQ_INT(-ENAMETOOLONG, execution_store_index_key("arn:aws:states:x", key, sizeof(key)));
    ASSERT_EQ_INT(0, execution_store_key(EXECUTION_ID, exact, sizeof(exact)));
    ASSERT_EQ_INT(-ENAMETOOLONG, execution_store_key(EXECUTION_ID, exact, sizeof(exact) - 1));
}

static void test_cursor_shape(void)
{
    ASSERT_TRUE(execution_store_cursor_valid("1700000000000:" EXECUTION_PREFIX "x", EXECUTION_PREFIX));
    ASSERT_TRUE(!execution_store_cursor_valid("1700000000000:" EXECUTION_PREFIX, EXECUTION_PREFIX));
    ASSERT_TRUE(!execution_store_cursor_valid("17x:" EXECUTION_PREFIX "x", EXECUTION_PREFIX));
    ASSERT_TRUE(!execution_store_cursor_valid(":" EXECUTION_PREFIX "x", EXECUTION_PREFIX));
    ASSERT_TRUE(!execution_store_cursor_valid("12345678901234567890:" EXECUTION_PREFIX "x", EXECUTION_PREFIX));
    ASSERT_TRUE(
        !execution_store_cursor_valid("1:arn:aws:states:us-east-1:123456789012:execution:Other:x", EXECUTION_PREFIX));
}

static void test_branch_keys_share_the_executions_hash_tag(void)
{
    char key[EXECUTION_STORE_BRANCH_KEY_SIZE];
    ASSERT_EQ_INT(0, execution_store_branch_key(EXECUTION_ID, "", key, sizeof(key)));
    ASSERT_EQ_STR("{sfn:02}:execution:" EXECUTION_ID, key);
    ASSERT_EQ_INT(0, execution_store_branch_key(EXECUTION_ID, "4.0/9.17", key, sizeof(key)));
    ASSERT_EQ_STR("{sfn:02}:branch:" EXECUTION_ID "|4.0/9.17", key);
    ASSERT_EQ_INT(0, execution_store_branches_key(EXECUTION_ID, key, sizeof(key)));
    ASSERT_EQ_STR("{sfn:02}:branches:" EXECUTION_ID, key);
    ASSERT_EQ_INT(0, execution_store_results_key(EXECUTION_ID, "4.0/9", key, sizeof(key)));
    ASSERT_EQ_STR("{sfn:02}:results:" EXECUTION_ID "|4.0/9", key);
    ASSERT_EQ_INT(0, execution_store_results_key(EXECUTION_ID, "/4", key, sizeof(key)));
    ASSERT_EQ_STR("{sfn:02}:results:" EXECUTION_ID "|/4", key);
    ASSERT_EQ_INT(-ENAMETOOLONG, execution_store_branch_key(EXECUTION_ID, "4.0", key, 30));
    ASSERT_EQ_INT(-ENAMETOOLONG, execution_store_results_key(EXECUTION_ID, "4.0/9", key, 30));
}

static void test_timer_members_round_trip(void)
{
    char member[EXECUTION_STORE_BRANCH_KEY_SIZE], id[200], branch[EXECUTION_STORE_BRANCH_ID_SIZE];
    ASSERT_EQ_INT(0, execution_store_timer_member(EXECUTION_ID, "", member, sizeof(member)));
    ASSERT_EQ_STR(EXECUTION_ID, member);
    ASSERT_EQ_INT(0, execution_store_parse_timer_member(member, id, sizeof(id), branch, sizeof(branch)));
    ASSERT_EQ_STR(EXECUTION_ID, id);
    ASSERT_EQ_STR("", branch);
    ASSERT_EQ_INT(0, execution_store_timer_member(EXECUTION_ID, "4.0/9.17", member, sizeof(member)));
    ASSERT_EQ_STR(EXECUTION_ID "|4.0/9.17", member);
    ASSERT_EQ_INT(0, execution_store_parse_timer_member(member, id, sizeof(id), branch, sizeof(branch)));
    ASSERT_EQ_STR(EXECUTION_ID, id);
    ASSERT_EQ_STR("4.0/9.17", branch);
    ASSERT_EQ_INT(-EINVAL, execution_store_parse_timer_member("", id, sizeof(id), branch, sizeof(branch)));
    ASSERT_EQ_INT(-EINVAL, execution_store_parse_timer_member("|4.0", id, sizeof(id), branch, sizeof(branch)));
    ASSERT_EQ_INT(-EINVAL, execution_store_parse_timer_member("sm:e|", id, sizeof(id), branch, sizeof(branch)));
    ASSERT_EQ_INT(-ENAMETOOLONG, execution_store_parse_timer_member("sm:e|4.0", id, 4, branch, sizeof(branch)));
    ASSERT_EQ_INT(-ENAMETOOLONG, execution_store_parse_timer_member("sm:e|4.0", id, sizeof(id), branch, 3));
    ASSERT_EQ_INT(-ENAMETOOLONG, execution_store_timer_member(EXECUTION_ID, "4.0", member, 10));
}

int main(void)
{
    RUN(test_shard_is_fnv1a_modulo_the_shard_count);
    RUN(test_executions_spread_over_every_shard);
    RUN(test_keys_of_an_execution_share_its_shards_hash_tag);
    RUN(test_timers_keys_have_two_digits);
    RUN(test_a_set_shard_count_is_used_and_keys_below_100_keep_two_digits);
    RUN(test_index_is_in_its_machines_slot_with_its_versions_and_aliases);
    RUN(test_a_key_too_long_for_its_buffer_is_an_error);
    RUN(test_cursor_shape);
    RUN(test_branch_keys_share_the_executions_hash_tag);
    RUN(test_timer_members_round_trip);
    return test_done();
}
