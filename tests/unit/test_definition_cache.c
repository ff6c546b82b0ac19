/*
 * test_definition_cache.c - unit tests for loan-processor/definition_cache.c
 */
#include "definition_cache.h"
#include "failing_allocator.h"
#include "test.h"

#include <errno.h>

/* A distinct valid definition per number, and a hash-like key for it. */
static void definition_of(int number, char *text, size_t size, char hash[DEFINITION_HASH_SIZE])
{
    snprintf(text, size, "{\"StartAt\":\"S%d\",\"States\":{\"S%d\":{\"Type\":\"Succeed\"}}}", number, number);
    definition_hash(text, hash);
}

/* Adds definition number and releases it at once; returns the add's result. */
static int add_unused(struct definition_cache *cache, int number)
{
    char text[128], hash[DEFINITION_HASH_SIZE], error[256];
    struct cached_definition *entry = NULL;
    definition_of(number, text, sizeof(text), hash);
    int result = definition_cache_add(cache, hash, text, &entry, error, sizeof(error));
    definition_cache_release(cache, entry);
    return result;
}

static bool cached(struct definition_cache *cache, int number)
{
    char text[128], hash[DEFINITION_HASH_SIZE];
    definition_of(number, text, sizeof(text), hash);
    struct cached_definition *entry = definition_cache_acquire(cache, hash);
    definition_cache_release(cache, entry);
    return entry != NULL;
}

static void test_add_then_acquire_finds_the_parsed_machine(void)
{
    struct definition_cache cache;
    char text[128], hash[DEFINITION_HASH_SIZE], error[256];
    struct cached_definition *added = NULL, *found;
    definition_cache_init(&cache, 4);
    definition_of(1, text, sizeof(text), hash);
    ASSERT_NULL(definition_cache_acquire(&cache, hash));
    ASSERT_EQ_INT(0, definition_cache_add(&cache, hash, text, &added, error, sizeof(error)));
    found = definition_cache_acquire(&cache, hash);
    int users = found ? (int)found->users : -1;
    char start_at[16] = "";
    if (found)
        snprintf(start_at, sizeof(start_at), "%s", found->machine->start_at);
    definition_cache_release(&cache, found);
    definition_cache_release(&cache, added);
    definition_cache_clear(&cache);
    ASSERT_TRUE(found == added);
    ASSERT_EQ_INT(2, users);
    ASSERT_EQ_STR("S1", start_at);
}

static void test_adding_a_cached_hash_returns_the_entry_already_there(void)
{
    struct definition_cache cache;
    char text[128], hash[DEFINITION_HASH_SIZE], error[256];
    struct cached_definition *first = NULL, *second = NULL;
    definition_cache_init(&cache, 4);
    definition_of(1, text, sizeof(text), hash);
    int rc_first = definition_cache_add(&cache, hash, text, &first, error, sizeof(error));
    int rc_second = definition_cache_add(&cache, hash, text, &second, error, sizeof(error));
    size_t count = cache.count;
    definition_cache_release(&cache, first);
    definition_cache_release(&cache, second);
    definition_cache_clear(&cache);
    ASSERT_EQ_INT(0, rc_first);
    ASSERT_EQ_INT(0, rc_second);
    ASSERT_TRUE(first == second);
    ASSERT_EQ_INT(1, count);
}

static void test_least_recently_used_unpinned_entries_are_evicted(void)
{
    struct definition_cache cache;
    definition_cache_init(&cache, 2);
    add_unused(&cache, 1);
    add_unused(&cache, 2);
    bool one_kept = cached(&cache, 1); /* now 2 is the least recently used */
    add_unused(&cache, 3);
    size_t count = cache.count;
    bool one = cached(&cache, 1), two = cached(&cache, 2), three = cached(&cache, 3);
    definition_cache_clear(&cache);
    ASSERT_TRUE(one_kept);
    ASSERT_EQ_INT(2, count);
    ASSERT_TRUE(one && !two && three);
}

static void test_pinned_entries_stay_beyond_capacity_until_released(void)
{
    struct definition_cache cache;
    char text[128], hash[DEFINITION_HASH_SIZE], error[256];
    struct cached_definition *pinned[3] = { NULL, NULL, NULL };
    definition_cache_init(&cache, 1);
    for (int i = 0; i < 3; i++) {
        definition_of(i, text, sizeof(text), hash);
        ASSERT_EQ_INT(0, definition_cache_add(&cache, hash, text, &pinned[i], error, sizeof(error)));
    }
    size_t while_pinned = cache.count;
    char still_valid[16];
    snprintf(still_valid, sizeof(still_valid), "%s", pinned[0]->machine->start_at);
    for (int i = 0; i < 3; i++)
        definition_cache_release(&cache, pinned[i]);
    size_t after = cache.count;
    definition_cache_clear(&cache);
    ASSERT_EQ_INT(3, while_pinned);
    ASSERT_EQ_STR("S0", still_valid);
    ASSERT_EQ_INT(1, after);
}

static void test_a_definition_that_does_not_parse_is_not_added(void)
{
    struct definition_cache cache;
    struct cached_definition *entry = NULL;
    char error[256] = "";
    definition_cache_init(&cache, 2);
    int rc = definition_cache_add(&cache, "abc", "{\"StartAt\":\"A\"}", &entry, error, sizeof(error));
    int rc_bad_hash =
        definition_cache_add(&cache, "0123456789012345678901234567890123456789012345678901234567890123456789", "{}",
                             &entry, error, sizeof(error));
    size_t count = cache.count;
    definition_cache_clear(&cache);
    ASSERT_EQ_INT(-EINVAL, rc);
    ASSERT_EQ_INT(-EINVAL, rc_bad_hash);
    ASSERT_NULL(entry);
    ASSERT_EQ_INT(0, count);
}

static void test_out_of_memory_adds_nothing(void)
{
    struct definition_cache cache;
    char text[128], hash[DEFINITION_HASH_SIZE], error[256];
    definition_cache_init(&cache, 2);
    definition_of(1, text, sizeof(text), hash);
    int failures = 0;
    for (long allowed = 0; allowed < 40; allowed++) {
        struct cached_definition *entry = NULL;
        use_failing_allocator(allowed);
        int rc = definition_cache_add(&cache, hash, text, &entry, error, sizeof(error));
        use_normal_allocator();
        if (rc == -ENOMEM && (entry || cache.count))
            failures++;
        definition_cache_release(&cache, entry);
        definition_cache_clear(&cache);
    }
    ASSERT_EQ_INT(0, failures);
}

static void test_release_of_null_is_safe(void)
{
    struct definition_cache cache;
    definition_cache_init(&cache, 1);
    definition_cache_release(&cache, NULL);
    definition_cache_clear(&cache);
    ASSERT_EQ_INT(0, cache.count);
}

int main(void)
{
    RUN(test_add_then_acquire_finds_the_parsed_machine);
    RUN(test_adding_a_cached_hash_returns_the_entry_already_there);
    RUN(test_least_recently_used_unpinned_entries_are_evicted);
    RUN(test_pinned_entries_stay_beyond_capacity_until_released);
    RUN(test_a_definition_that_does_not_parse_is_not_added);
    RUN(test_out_of_memory_adds_nothing);
    RUN(test_release_of_null_is_safe);
    return test_done();
}
