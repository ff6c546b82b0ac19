/* definition_cache - see definition_cache.h. */
#include "definition_cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void definition_cache_init(struct definition_cache *cache, size_t capacity)
{
    memset(cache, 0, sizeof(*cache));
    LIST_INIT(&cache->entries);
    cache->capacity = capacity;
}

static struct cached_definition *find(const struct definition_cache *cache, const char *hash)
{
    struct cached_definition *entry;
    LIST_FOREACH(entry, &cache->entries, link)
    {
        if (strcmp(entry->hash, hash) == 0)
            return entry;
    }
    return NULL;
}

static struct cached_definition *pin(struct definition_cache *cache, struct cached_definition *entry)
{
    entry->users++;
    entry->last_used = ++cache->clock;
    return entry;
}

struct cached_definition *definition_cache_acquire(struct definition_cache *cache, const char *hash)
{
    struct cached_definition *entry = find(cache, hash);
    return entry ? pin(cache, entry) : NULL;
}

static void free_entry(struct cached_definition *entry)
{
    state_machine_free(entry->machine);
    free(entry);
}

/* Evicts the least recently used unpinned entries while there are more than capacity. */
static void evict(struct definition_cache *cache)
{
    while (cache->count > cache->capacity) {
        struct cached_definition *entry, *oldest = NULL;
        LIST_FOREACH(entry, &cache->entries, link)
        {
            if (entry->users == 0 && (!oldest || entry->last_used < oldest->last_used))
                oldest = entry;
        }
        if (!oldest)
            return; /* everything left is in use */
        LIST_REMOVE(oldest, link);
        cache->count--;
        free_entry(oldest);
    }
}

int definition_cache_add(struct definition_cache *cache, const char *hash, const char *text,
                         struct cached_definition **entry_out, char *error, size_t error_size)
{
    struct cached_definition *existing = find(cache, hash);
    if (existing) {
        *entry_out = pin(cache, existing);
        return 0;
    }
    if (strlen(hash) >= DEFINITION_HASH_SIZE) {
        snprintf(error, error_size, "'%s' is not a definition hash", hash);
        return -EINVAL;
    }
    struct cached_definition *entry = calloc(1, sizeof(*entry));
    if (!entry)
        return -ENOMEM;
    int result = state_machine_parse(text, strlen(text), &entry->machine, error, error_size);
    if (result < 0) {
        free(entry);
        return result;
    }
    strcpy(entry->hash, hash);
    LIST_INSERT_HEAD(&cache->entries, entry, link);
    cache->count++;
    *entry_out = pin(cache, entry);
    evict(cache);
    return 0;
}

void definition_cache_release(struct definition_cache *cache, struct cached_definition *entry)
{
    if (!entry)
        return;
    if (entry->users)
        entry->users--;
    evict(cache);
}

void definition_cache_clear(struct definition_cache *cache)
{
    while (!LIST_EMPTY(&cache->entries)) {
        struct cached_definition *entry = LIST_FIRST(&cache->entries);
        LIST_REMOVE(entry, link);
        free_entry(entry);
    }
    cache->count = 0;
}
