/*
 * definition_cache - the engine's parsed state machine definitions, by
 * content hash, so that a step does not parse its definition again. Pure:
 * no I/O (the engine loads what is missing from Redis and adds it).
 *
 * An entry in use is pinned (acquire/add ... release) and never evicted,
 * so a machine pointer stays valid from before a commit until its answer.
 * The cache keeps at most `capacity` entries: each release or add evicts
 * the least recently used unpinned entries beyond that. Pinned entries may
 * push the count over capacity for as long as they are in use (they are
 * bounded by the operations in flight, which Redis bounds).
 */
#ifndef DEFINITION_CACHE_H
#define DEFINITION_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "definition.h"
#include "state_machine.h"

struct cached_definition {
    char hash[DEFINITION_HASH_SIZE];
    struct state_machine *machine; /* owned by the cache */
    unsigned users;                /* pins */
    uint64_t last_used;
    LIST_ENTRY(cached_definition) link; /* private */
};

struct definition_cache {
    LIST_HEAD(, cached_definition) entries; /* private */
    size_t count;
    size_t capacity;
    uint64_t clock; /* private: orders uses for LRU */
};

/* An empty cache keeping at most capacity unpinned entries. */
void definition_cache_init(struct definition_cache *cache, size_t capacity);

/* The entry for hash, pinned, or NULL when it is not cached. */
struct cached_definition *definition_cache_acquire(struct definition_cache *cache, const char *hash);

/*
 * Parses text, the definition whose content hash is hash, and adds it
 * pinned (if another add won the race, that entry is returned pinned).
 * Returns 0 and the entry; -EINVAL with the parser's detail in error (a
 * stored definition that no longer parses); -ENOMEM. Nothing is pinned on
 * failure.
 */
__attribute__((warn_unused_result)) int definition_cache_add(struct definition_cache *cache, const char *hash,
                                                             const char *text, struct cached_definition **entry,
                                                             char *error, size_t error_size);

/* Unpins entry (safe on NULL), then evicts beyond capacity. */
void definition_cache_release(struct definition_cache *cache, struct cached_definition *entry);

/* Frees every entry, pinned or not (teardown, once nothing uses them). */
void definition_cache_clear(struct definition_cache *cache);

#endif
