/*
 * record_cache - the records of root executions this process left resting
 * at a task, as its commit left them (step_record_committed()), so that the
 * task's outcome is computed without loading the record again (see
 * execution_change.c, "outcomes from the record this process left"). Pure:
 * no I/O.
 *
 * Keyed by execution id, each entry holds one record and answers only for
 * the token of the task it rests at. A hash table of chains finds an entry
 * in O(1); a list orders the entries by last use, and a put beyond the
 * bounds (entries, bytes) evicts the least recently used ones, O(1) each.
 */
#ifndef RECORD_CACHE_H
#define RECORD_CACHE_H

#include <stddef.h>

#include "execution_record.h"

/*
 * The default bounds. A waiting blog execution's record (its input and its
 * state's input, ARNs, token: some thirty allocations) takes about 1.3 KiB
 * of heap: 10,000 of them waiting at once (the bench's scenario) raised the
 * loan-processor's peak RSS from 36.5 to 49.3 MiB. 16,384 entries cover
 * those 10,000 (callbacks arrive in the order the tasks started, so an LRU
 * smaller than the executions waiting would evict each record just before
 * its callback), and the byte budget, counted as the heap takes it, caps
 * what large inputs can take: 16 MiB on top of the process, under 64 MiB.
 */
#define RECORD_CACHE_MAX_ENTRIES 16384
#define RECORD_CACHE_MAX_BYTES (16u << 20)

struct record_cache;

/*
 * An empty cache of at most max_entries records (at least 1) taking at
 * most max_bytes (record_cache_record_bytes() of each, plus its entry's).
 * Returns 0 (*cache set) or -ENOMEM.
 */
__attribute__((warn_unused_result)) int record_cache_create(size_t max_entries, size_t max_bytes,
                                                            struct record_cache **cache);

/* Frees the cache and every record it holds; safe on NULL. */
void record_cache_destroy(struct record_cache *cache);

/*
 * Keeps record (taken in every case) as the one of execution_id, resting at
 * record->task_token, in place of any it held; evicts the least recently
 * used beyond the bounds. A record without a token, larger than the whole
 * budget, or that cannot be kept (no memory) is freed, and the execution's
 * entry with it.
 */
void record_cache_put(struct record_cache *cache, const char *execution_id, struct execution_record *record);

/*
 * The record of execution_id if it rests at token: removed from the cache
 * and handed to the caller (execution_store_record_free()); NULL when there
 * is none (an entry for another token stays).
 */
struct execution_record *record_cache_take(struct record_cache *cache, const char *execution_id, const char *token);

/* Drops the entry of execution_id, if any. */
void record_cache_forget(struct record_cache *cache, const char *execution_id);

/* Drops every entry. */
void record_cache_clear(struct record_cache *cache);

/* How many records the cache holds, and the bytes they count for. */
size_t record_cache_count(const struct record_cache *cache);
size_t record_cache_bytes(const struct record_cache *cache);

/* The bytes record counts for: the heap its struct and its strings take. */
size_t record_cache_record_bytes(const struct execution_record *record);

#endif
