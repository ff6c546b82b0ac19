/*
 * record_cache - the records of executions resting at a task, by execution
 * id (see record_cache.h).
 */
#include "record_cache.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "execution_store.h"

struct record_entry {
    struct record_entry *chain;    /* the next entry of its bucket */
    TAILQ_ENTRY(record_entry) use; /* the use order: most recent first */
    struct execution_record *record;
    size_t bytes; /* what it counts for: the record's and the entry's */
    uint64_t hash;
    char execution_id[]; /* the key */
};

TAILQ_HEAD(record_use_list, record_entry);

struct record_cache {
    struct record_entry **buckets;
    size_t bucket_mask; /* buckets: a power of two, at least max_entries */
    struct record_use_list uses;
    size_t count, bytes;
    size_t max_entries, max_bytes;
};

/* What an allocation of size bytes takes of the heap (glibc: an 8-byte header, 16-byte steps, 32 at least). */
static size_t heap_bytes(size_t size)
{
    size_t chunk = (size + 8 + 15) & ~(size_t)15;
    return chunk < 32 ? 32 : chunk;
}

static void add_text_bytes(const char *text, void *data)
{
    *(size_t *)data += heap_bytes(strlen(text) + 1);
}

size_t record_cache_record_bytes(const struct execution_record *record)
{
    size_t bytes = heap_bytes(sizeof(*record));
    execution_record_each_text(record, add_text_bytes, &bytes);
    return bytes;
}

/* FNV-1a. */
static uint64_t hash_of(const char *key)
{
    uint64_t hash = 14695981039346656037u;
    for (const unsigned char *c = (const unsigned char *)key; *c; c++)
        hash = (hash ^ *c) * 1099511628211u;
    return hash;
}

int record_cache_create(size_t max_entries, size_t max_bytes, struct record_cache **cache_out)
{
    struct record_cache *cache = calloc(1, sizeof(*cache));
    size_t buckets = 1;
    if (max_entries < 1)
        max_entries = 1;
    while (buckets < max_entries)
        buckets <<= 1;
    if (cache)
        cache->buckets = calloc(buckets, sizeof(*cache->buckets));
    if (!cache || !cache->buckets) {
        free(cache);
        return -ENOMEM;
    }
    cache->bucket_mask = buckets - 1;
    TAILQ_INIT(&cache->uses);
    cache->max_entries = max_entries;
    cache->max_bytes = max_bytes;
    *cache_out = cache;
    return 0;
}

/* Where the entry of execution_id (hash) is linked, or where it would be: *slot is NULL when there is none. */
static struct record_entry **slot_of(struct record_cache *cache, const char *execution_id, uint64_t hash)
{
    struct record_entry **slot = &cache->buckets[hash & cache->bucket_mask];
    while (*slot && ((*slot)->hash != hash || strcmp((*slot)->execution_id, execution_id) != 0))
        slot = &(*slot)->chain;
    return slot;
}

/* Unlinks the entry *slot and hands back its record. */
static struct execution_record *unlink_entry(struct record_cache *cache, struct record_entry **slot)
{
    struct record_entry *entry = *slot;
    struct execution_record *record = entry->record;
    *slot = entry->chain;
    TAILQ_REMOVE(&cache->uses, entry, use);
    cache->count--;
    cache->bytes -= entry->bytes;
    free(entry);
    return record;
}

static void drop_entry(struct record_cache *cache, struct record_entry **slot)
{
    execution_store_record_free(unlink_entry(cache, slot));
}

void record_cache_forget(struct record_cache *cache, const char *execution_id)
{
    if (cache->count == 0)
        return;
    struct record_entry **slot = slot_of(cache, execution_id, hash_of(execution_id));
    if (*slot)
        drop_entry(cache, slot);
}

/* Evicts the least recently used entries until one of bytes more fits. */
static void make_room(struct record_cache *cache, size_t bytes)
{
    while (cache->count > 0 && (cache->count >= cache->max_entries || cache->bytes + bytes > cache->max_bytes)) {
        struct record_entry *oldest = TAILQ_LAST(&cache->uses, record_use_list);
        drop_entry(cache, slot_of(cache, oldest->execution_id, oldest->hash));
    }
}

void record_cache_put(struct record_cache *cache, const char *execution_id, struct execution_record *record)
{
    uint64_t hash = hash_of(execution_id);
    size_t id_size = strlen(execution_id) + 1;
    record_cache_forget(cache, execution_id);
    size_t bytes = record ? heap_bytes(sizeof(struct record_entry) + id_size) + record_cache_record_bytes(record) : 0;
    struct record_entry *entry = NULL;
    if (record && record->task_token && bytes <= cache->max_bytes)
        entry = malloc(sizeof(*entry) + id_size);
    if (!entry) {
        execution_store_record_free(record);
        return;
    }
    make_room(cache, bytes);
    memcpy(entry->execution_id, execution_id, id_size);
    entry->record = record;
    entry->bytes = bytes;
    entry->hash = hash;
    struct record_entry **bucket = &cache->buckets[hash & cache->bucket_mask];
    entry->chain = *bucket;
    *bucket = entry;
    TAILQ_INSERT_HEAD(&cache->uses, entry, use);
    cache->count++;
    cache->bytes += bytes;
}

struct execution_record *record_cache_take(struct record_cache *cache, const char *execution_id, const char *token)
{
    if (cache->count == 0)
        return NULL;
    struct record_entry **slot = slot_of(cache, execution_id, hash_of(execution_id));
    if (!*slot || strcmp((*slot)->record->task_token, token) != 0)
        return NULL;
    return unlink_entry(cache, slot);
}

void record_cache_clear(struct record_cache *cache)
{
    while (!TAILQ_EMPTY(&cache->uses)) {
        struct record_entry *entry = TAILQ_FIRST(&cache->uses);
        drop_entry(cache, slot_of(cache, entry->execution_id, entry->hash));
    }
}

void record_cache_destroy(struct record_cache *cache)
{
    if (!cache)
        return;
    record_cache_clear(cache);
    free(cache->buckets);
    free(cache);
}

size_t record_cache_count(const struct record_cache *cache)
{
    return cache->count;
}

size_t record_cache_bytes(const struct record_cache *cache)
{
    return cache->bytes;
}
