/*
 * test_record_cache.c - the engine's bounded cache of records resting at a
 * task: found by execution id and token, taken once, evicted least recently
 * kept first within its entry and byte bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "execution_store.h"
#include "record_cache.h"
#include "test.h"

/* A record resting at token, with input of input_size bytes (the caller or the cache frees it). */
static struct execution_record *record_at(const char *token, size_t input_size)
{
    struct execution_record *record = calloc(1, sizeof(*record));
    if (!record)
        return NULL;
    record->task_token = strdup(token);
    record->input = malloc(input_size + 1);
    if (record->input) {
        memset(record->input, 'x', input_size);
        record->input[input_size] = '\0';
    }
    return record;
}

static void test_a_record_is_taken_once_for_its_token(void)
{
    struct record_cache *cache = NULL;
    ASSERT_EQ_INT(0, record_cache_create(8, 1 << 20, &cache));
    record_cache_put(cache, "M:a", record_at("token-a", 10));
    ASSERT_EQ_INT(1, (long long)record_cache_count(cache));
    ASSERT_TRUE(record_cache_take(cache, "M:a", "another-token") == NULL);
    ASSERT_TRUE(record_cache_take(cache, "M:b", "token-a") == NULL);
    ASSERT_EQ_INT(1, (long long)record_cache_count(cache));
    struct execution_record *record = record_cache_take(cache, "M:a", "token-a");
    ASSERT_TRUE(record != NULL);
    ASSERT_EQ_STR("token-a", record->task_token);
    execution_store_record_free(record);
    ASSERT_TRUE(record_cache_take(cache, "M:a", "token-a") == NULL);
    ASSERT_EQ_INT(0, (long long)record_cache_count(cache));
    ASSERT_EQ_INT(0, (long long)record_cache_bytes(cache));
    record_cache_destroy(cache);
}

static void test_a_put_replaces_and_a_forget_drops(void)
{
    struct record_cache *cache = NULL;
    ASSERT_EQ_INT(0, record_cache_create(8, 1 << 20, &cache));
    record_cache_put(cache, "M:a", record_at("old", 10));
    record_cache_put(cache, "M:a", record_at("new", 10));
    ASSERT_EQ_INT(1, (long long)record_cache_count(cache));
    ASSERT_TRUE(record_cache_take(cache, "M:a", "old") == NULL);
    record_cache_forget(cache, "M:a");
    record_cache_forget(cache, "M:unknown");
    ASSERT_TRUE(record_cache_take(cache, "M:a", "new") == NULL);
    ASSERT_EQ_INT(0, (long long)record_cache_count(cache));
    record_cache_put(cache, "M:a", record_at("", 0));
    record_cache_put(cache, "M:none", calloc(1, sizeof(struct execution_record))); /* no token: not kept */
    record_cache_put(cache, "M:null", NULL);
    ASSERT_EQ_INT(1, (long long)record_cache_count(cache));
    record_cache_destroy(cache);
}

static void test_the_oldest_go_beyond_the_entry_bound(void)
{
    struct record_cache *cache = NULL;
    char id[32], token[32];
    ASSERT_EQ_INT(0, record_cache_create(100, 1 << 20, &cache));
    for (int i = 0; i < 1000; i++) {
        snprintf(id, sizeof(id), "M:%d", i);
        snprintf(token, sizeof(token), "t%d", i);
        record_cache_put(cache, id, record_at(token, 10));
        ASSERT_TRUE(record_cache_count(cache) <= 100);
    }
    ASSERT_EQ_INT(100, (long long)record_cache_count(cache));
    ASSERT_TRUE(record_cache_take(cache, "M:899", "t899") == NULL);
    struct execution_record *record = record_cache_take(cache, "M:900", "t900");
    ASSERT_TRUE(record != NULL);
    execution_store_record_free(record);
    record = record_cache_take(cache, "M:999", "t999");
    ASSERT_TRUE(record != NULL);
    execution_store_record_free(record);
    record_cache_clear(cache);
    ASSERT_EQ_INT(0, (long long)record_cache_count(cache));
    ASSERT_EQ_INT(0, (long long)record_cache_bytes(cache));
    record_cache_destroy(cache);
}

static void test_the_oldest_go_beyond_the_byte_budget(void)
{
    struct record_cache *cache = NULL;
    ASSERT_EQ_INT(0, record_cache_create(100, 10000, &cache));
    struct execution_record *probe = record_at("t", 3000);
    size_t one = record_cache_record_bytes(probe);
    ASSERT_TRUE(one >= sizeof(struct execution_record) + 3001 + 2);
    execution_store_record_free(probe);
    record_cache_put(cache, "M:1", record_at("t1", 3000));
    record_cache_put(cache, "M:2", record_at("t2", 3000));
    record_cache_put(cache, "M:3", record_at("t3", 3000));
    ASSERT_TRUE(record_cache_bytes(cache) <= 10000);
    ASSERT_TRUE(record_cache_take(cache, "M:1", "t1") == NULL);
    ASSERT_EQ_INT(2, (long long)record_cache_count(cache));
    record_cache_put(cache, "M:big", record_at("big", 20000)); /* larger than the whole budget: not kept */
    ASSERT_EQ_INT(2, (long long)record_cache_count(cache));
    ASSERT_TRUE(record_cache_take(cache, "M:big", "big") == NULL);
    record_cache_destroy(cache);
}

int main(void)
{
    RUN(test_a_record_is_taken_once_for_its_token);
    RUN(test_a_put_replaces_and_a_forget_drops);
    RUN(test_the_oldest_go_beyond_the_entry_bound);
    RUN(test_the_oldest_go_beyond_the_byte_budget);
    return test_done();
}
