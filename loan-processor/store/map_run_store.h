/*
 * map_run_store - where a distributed Map's Map Runs live in Redis (see
 * docs/execution-model.md, "Distributed Map"). A Map Run's id is what
 * follows "mapRun:" in its ARN; its keys carry the shard of that id, which
 * is by construction its execution's, so the engine's commit scripts write
 * them with the execution's keys:
 *   {sfn:NN}:maprun:<mapRunId>             hash: the Map Run's record
 *   {sfn:NN}:mapruns:<executionId>         sorted set: an execution's Map Run ARNs by start (ms)
 *   {sfn:NN}:maprun-executions:<mapRunId>  sorted set: a Map Run's child execution ARNs by start (ms)
 */
#ifndef MAP_RUN_STORE_H
#define MAP_RUN_STORE_H

#include <stddef.h>

/* Writes the key of the Map Run map_run_id into out. 0, or -ENAMETOOLONG when it does not fit. */
__attribute__((warn_unused_result)) int map_run_store_key(const char *map_run_id, char *out, size_t size);

/* Writes the key of the index of execution_id's Map Runs into out. Same returns. */
__attribute__((warn_unused_result)) int map_run_store_runs_key(const char *execution_id, char *out, size_t size);

/* Writes the key of the index of the child executions of the Map Run map_run_id into out. Same returns. */
__attribute__((warn_unused_result)) int map_run_store_executions_key(const char *map_run_id, char *out, size_t size);

#endif
