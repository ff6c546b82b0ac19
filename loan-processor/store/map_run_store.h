/*
 * map_run_store - where the Map Runs of distributed Maps live in Redis
 * (docs/execution-model.md, "Distributed Map"), and the reads and the one
 * change the API makes to them.
 *
 * Keys (NN: execution_store_shard() of the id named; a Map Run's id is
 * drawn so that its shard is its parent execution's, so all three keys of a
 * Map Run live in the parent's slot):
 *   {sfn:NN}:maprun:<mapRunId>            hash: the Map Run (MAP_RUN_FIELD_* below); the counters
 *                                         running, succeeded, failed, aborted are HINCRBY'd (absent: 0)
 *   {sfn:NN}:mapruns:<executionId>        sorted set: the execution's Map Run ARNs by start (ms)
 *   {sfn:NN}:maprun-executions:<mapRunId> sorted set: the Map Run's child execution ARNs by start (ms)
 * The engine writes them (its commit scripts, with keys built here); the
 * child executions' records and histories are execution_store's.
 */
#ifndef MAP_RUN_STORE_H
#define MAP_RUN_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "execution_store.h"
#include "redis_client.h"

/* The record's field names, as the engine writes them. */
#define MAP_RUN_FIELD_ARN "mapRunArn"
#define MAP_RUN_FIELD_EXECUTION_ARN "executionArn"
#define MAP_RUN_FIELD_STATE_MACHINE_ARN "stateMachineArn"
#define MAP_RUN_FIELD_LABEL "label"
#define MAP_RUN_FIELD_STATUS "status"
#define MAP_RUN_FIELD_START_DATE "startDate"
#define MAP_RUN_FIELD_STOP_DATE "stopDate"
#define MAP_RUN_FIELD_MAX_CONCURRENCY "maxConcurrency"
#define MAP_RUN_FIELD_TOLERATED_PERCENTAGE "toleratedFailurePercentage"
#define MAP_RUN_FIELD_TOLERATED_COUNT "toleratedFailureCount"
#define MAP_RUN_FIELD_ITEM_COUNT "itemCount"
#define MAP_RUN_FIELD_RUNNING "running"
#define MAP_RUN_FIELD_SUCCEEDED "succeeded"
#define MAP_RUN_FIELD_FAILED "failed"
#define MAP_RUN_FIELD_ABORTED "aborted"
/* RedriveExecution of the parent: the times the Map Run was redriven (HINCRBY) and the last time (ms) */
#define MAP_RUN_FIELD_REDRIVE_COUNT "redriveCount"
#define MAP_RUN_FIELD_REDRIVE_DATE "redriveDate"
/* Where UpdateMapRun signals the running fork (the engine writes them): its record's key, its shard's timers key and
   its timer member */
#define MAP_RUN_FIELD_FORK_RECORD "forkRecord"
#define MAP_RUN_FIELD_FORK_TIMERS "forkTimers"
#define MAP_RUN_FIELD_FORK_TIMER "forkTimer"

/* Room for any of the keys above; a longer one is -ENAMETOOLONG. */
#define MAP_RUN_STORE_KEY_SIZE 320

/* Most Map Runs one map_run_store_list() returns (the model's PageSize maximum). */
#define MAP_RUN_STORE_MAX_LISTED 1000

/* UpdateMapRun's changes: only the members whose has_ flag is set are written. */
struct map_run_update {
    bool has_max_concurrency;
    long long max_concurrency;
    bool has_tolerated_failure_percentage;
    double tolerated_failure_percentage;
    bool has_tolerated_failure_count;
    long long tolerated_failure_count;
};

/* A Map Run's record. Strings are owned (NULL when absent); numbers are 0 when absent. */
struct map_run_record {
    char *map_run_arn;
    char *execution_arn;
    char *state_machine_arn;
    char *label;
    char *status; /* RUNNING, SUCCEEDED, FAILED or ABORTED */
    int64_t start_ms;
    int64_t stop_ms; /* 0 while running */
    long long max_concurrency;
    double tolerated_failure_percentage;
    long long tolerated_failure_count;
    long long item_count;
    long long running;
    long long succeeded;
    long long failed;
    long long aborted;
    long long redrive_count;       /* 0: never redriven */
    int64_t redrive_ms;            /* 0: never redriven */
    struct map_run_update updated; /* the settings UpdateMapRun changed (its has_ flags), which the Map applies */
};

/* One Map Run of a listing; the strings are borrowed for the callback. */
struct map_run_summary {
    const char *map_run_arn;
    const char *execution_arn;
    const char *state_machine_arn;
    int64_t start_ms;
    int64_t stop_ms; /* 0 while running */
};

/* status 0 and the record (NULL when there is no such Map Run; the callback owns it), or -EIO. */
typedef void (*map_run_load_callback)(int status, struct map_run_record *record, void *data);

/*
 * status 0: count Map Runs, newest first (entries whose record is gone are
 * skipped), and more, whether the index holds entries after them; -EIO or
 * -ENOMEM.
 */
typedef void (*map_run_list_callback)(int status, const struct map_run_summary *items, size_t count, bool more,
                                      void *data);

/* status 0: whether the Map Run existed (and was changed); -EIO or -EPROTO (redis_client_reply_status()). */
typedef void (*map_run_update_callback)(int status, bool found, void *data);

/* Registers the store's Lua scripts with client; call once before use. Returns 0 or -ENOMEM / -ENOSPC. */
__attribute__((warn_unused_result)) int map_run_store_init(struct redis_client *client);

/*
 * Write the key of a Map Run's record, of an execution's Map Runs, or of a
 * Map Run's child executions into out; the only place these keys are built.
 * Return 0, or -ENAMETOOLONG when the key does not fit in size.
 */
__attribute__((warn_unused_result)) int map_run_store_key(const char *map_run_id, char *out, size_t size);
__attribute__((warn_unused_result)) int map_run_store_runs_key(const char *execution_id, char *out, size_t size);
__attribute__((warn_unused_result)) int map_run_store_executions_key(const char *map_run_id, char *out, size_t size);

/*
 * Parses a Map Run's record from its HGETALL entries. Returns 0 and a new
 * record (map_run_store_record_free), or -ENOMEM. Pure.
 */
__attribute__((warn_unused_result)) int map_run_store_record_from_hash(const struct execution_hash_entry *entries,
                                                                       size_t count, struct map_run_record **record);

/* Frees a record; safe on NULL. */
void map_run_store_record_free(struct map_run_record *record);

/*
 * DescribeMapRun: loads a Map Run's record (HGETALL). Same contract as
 * redis_client_command(): returns 0 and later calls callback once, or a
 * negative errno (-ENAMETOOLONG: no Map Run has an id that long) and never
 * calls it.
 */
__attribute__((warn_unused_result)) int map_run_store_load(struct redis_client *client, const char *map_run_id,
                                                           map_run_load_callback callback, void *data);

/*
 * ListMapRuns: the Map Runs of execution_id, newest first, skipping offset
 * of them, at most max_results (1-MAP_RUN_STORE_MAX_LISTED; 0 means the
 * maximum). One ZREVRANGE, then one read-only script reading their
 * records. Same contract as map_run_store_load().
 */
__attribute__((warn_unused_result)) int map_run_store_list(struct redis_client *client, const char *execution_id,
                                                           size_t offset, size_t max_results,
                                                           map_run_list_callback callback, void *data);

/*
 * ListExecutions with mapRunArn: one page of the Map Run's child
 * executions, as execution_store_list() lists a state machine's (cursor,
 * max_results, status filter, newest first). Same contract.
 */
__attribute__((warn_unused_result)) int map_run_store_list_executions(struct redis_client *client,
                                                                      const char *map_run_id, const char *cursor,
                                                                      size_t max_results, const char *status,
                                                                      store_list_callback callback, void *data);

/*
 * UpdateMapRun: writes update's members into the Map Run's record, only if
 * it exists, in one script (scripts/update_map_run.lua). Same contract as
 * map_run_store_load().
 */
__attribute__((warn_unused_result)) int map_run_store_update(struct redis_client *client, const char *map_run_id,
                                                             const struct map_run_update *update,
                                                             map_run_update_callback callback, void *data);

#endif
