/* map_run_store - see map_run_store.h. */
#include "map_run_store.h"

#include <errno.h>
#include <stdio.h>

#include "execution_store.h"

/* Writes "{sfn:NN}:<kind>:<id>" (NN: id's shard) into out. 0 or -ENAMETOOLONG. */
static int shard_key(const char *kind, const char *id, char *out, size_t size)
{
    int length = snprintf(out, size, "{sfn:%02u}:%s:%s", execution_store_shard(id), kind, id);
    return length >= 0 && (size_t)length < size ? 0 : -ENAMETOOLONG;
}

int map_run_store_key(const char *map_run_id, char *out, size_t size)
{
    return shard_key("maprun", map_run_id, out, size);
}

int map_run_store_runs_key(const char *execution_id, char *out, size_t size)
{
    return shard_key("mapruns", execution_id, out, size);
}

int map_run_store_executions_key(const char *map_run_id, char *out, size_t size)
{
    return shard_key("maprun-executions", map_run_id, out, size);
}
