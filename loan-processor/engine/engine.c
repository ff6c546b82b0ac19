/* engine - see engine.h; its files are listed in engine_internal.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "log.h"
#include "map_run_store.h"
#include "sfn_arn.h"

/* Parsed definitions kept while unused (a few KB each; a deployment runs a handful of machines). */
#define MAX_CACHED_DEFINITIONS 32

_Static_assert(ENGINE_MAX_EXECUTION_SHARDS == EXECUTION_STORE_MAX_SHARDS, "one maximum of EXECUTION_SHARDS");
_Static_assert(ENGINE_DEFAULT_EXECUTION_SHARDS == EXECUTION_STORE_DEFAULT_SHARDS, "one default of EXECUTION_SHARDS");

/* A settling that failed is tried again after this long (while connected). */
#define SHARDS_RETRY_MS 1000

static void settle_shards(struct engine *engine);

static void on_shards_timer(struct event_timer *timer)
{
    settle_shards(timer->data);
}

/*
 * The first answer sets the count this process uses; a later one (after a reconnect) that differs can only come
 * from a Redis that lost the setting and was given another by another process: the count in use stays.
 */
static void on_shards_settled(int status, unsigned shards, void *data)
{
    struct engine *engine = data;
    engine->shards_pending = false;
    if (status < 0 || engine->stopped)
        execution_start_resume_waiting(engine, -EIO); /* answered 503: the count may take a while now */
    if (engine->stopped)
        return;
    if (status < 0) {
        log_event(LOG_WARN, "execution-shards-unknown", "reading %s failed (%d); retrying",
                  EXECUTION_STORE_SETTINGS_KEY, status);
        event_loop_timer_start(engine->loop, &engine->shards_timer, SHARDS_RETRY_MS, on_shards_timer, engine);
        return;
    }
    if (engine->shards_known) {
        if (shards != execution_store_shard_count())
            log_event(LOG_ERROR, "execution-shards-conflict",
                      "Redis now holds executionShards %u, this process uses %u: restart it", shards,
                      execution_store_shard_count());
        return;
    }
    if (shards != engine->config.execution_shards)
        log_event(LOG_WARN, "execution-shards-stored",
                  "EXECUTION_SHARDS is %u but this Redis holds executions over %u shards (%s): using %u",
                  engine->config.execution_shards, shards, EXECUTION_STORE_SETTINGS_KEY, shards);
    else
        log_event(LOG_INFO, "execution-shards", "executions are spread over %u shards", shards);
    execution_store_set_shard_count(shards);
    engine->shards_known = true;
    execution_start_resume_waiting(engine, 0);
    machine_registry_recheck(engine);
    execution_timers_start(engine->timers);
}

static void settle_shards(struct engine *engine)
{
    if (engine->shards_pending || engine->stopped || !redis_client_connected(engine->redis))
        return;
    int result =
        execution_store_settle_shards(engine->redis, engine->config.execution_shards, on_shards_settled, engine);
    if (result < 0) {
        event_loop_timer_start(engine->loop, &engine->shards_timer, SHARDS_RETRY_MS, on_shards_timer, engine);
        return;
    }
    engine->shards_pending = true;
}

bool engine_store_usable(const struct engine *engine)
{
    return engine->shards_known && redis_client_connected(engine->redis);
}

static void on_redis_change(bool connected, void *data)
{
    struct engine *engine = data;
    if (!connected)
        return;
    settle_shards(engine); /* again after a reconnect: a Redis that lost {sfn}:settings gets it back */
    if (!engine->shards_known)
        return;
    machine_registry_recheck(engine);
    execution_timers_wake(engine->timers); /* timers that fell due while Redis or this process was away */
}

int engine_create(struct event_loop *loop, struct redis_client *redis, const struct engine_config *config,
                  struct engine **engine_out)
{
    if (!config->tasks.start || !config->tasks.check_activity)
        return -EINVAL;
    struct engine *engine = calloc(1, sizeof(*engine));
    if (!engine)
        return -ENOMEM;
    engine->loop = loop;
    engine->redis = redis;
    engine->config = *config;
    definition_cache_init(&engine->definitions, MAX_CACHED_DEFINITIONS);
    if (engine->config.execution_shards < 1 || engine->config.execution_shards > EXECUTION_STORE_MAX_SHARDS)
        engine->config.execution_shards = EXECUTION_STORE_DEFAULT_SHARDS;
    int result = execution_store_init(redis);
    if (result == 0)
        result = state_machine_store_init(redis);
    if (result == 0)
        result = map_run_store_init(redis);
    if (result == 0)
        result = record_cache_create(config->resting_records ? config->resting_records : RECORD_CACHE_MAX_ENTRIES,
                                     RECORD_CACHE_MAX_BYTES, &engine->resting);
    if (result == 0)
        result = execution_timers_create(loop, redis, execution_change_timer_due, engine, &engine->timers);
    if (result < 0) {
        record_cache_destroy(engine->resting);
        free(engine);
        return result;
    }
    redis_client_on_change(redis, on_redis_change, engine);
    settle_shards(engine); /* when already connected; otherwise on connecting */
    *engine_out = engine;
    return 0;
}

void engine_stop(struct engine *engine)
{
    if (!engine)
        return;
    engine->stopped = true;
    event_loop_timer_stop(engine->loop, &engine->registration_timer);
    event_loop_timer_stop(engine->loop, &engine->shards_timer);
    execution_start_resume_waiting(engine, -EIO);
    execution_timers_stop(engine->timers);
}

void engine_destroy(struct engine *engine)
{
    if (!engine)
        return;
    execution_timers_destroy(engine->timers);
    definition_cache_clear(&engine->definitions);
    record_cache_destroy(engine->resting);
    machine_registry_free(engine);
    free(engine);
}

/* ---- definitions: parsed once, cached by content hash ---- */

struct definition_load {
    struct engine *engine;
    char hash[DEFINITION_HASH_SIZE];
    char owner[SFN_ARN_PART_SIZE]; /* the machine or execution that runs it, for the log */
    definition_pinned_callback callback;
    void *data;
};

static void on_definition_text(int status, const char *text, void *data)
{
    struct definition_load *load = data;
    struct cached_definition *definition = NULL;
    char error[1024];
    if (status == 0 && !text)
        log_event(LOG_ERROR, "definition-missing", "the definition %s that %s runs is not in Redis", load->hash,
                  load->owner);
    if (status == 0 && text) {
        status = definition_cache_add(&load->engine->definitions, load->hash, text, &definition, error, sizeof(error));
        if (status == -EINVAL)
            log_event(LOG_ERROR, "definition-invalid", "the definition %s of %s does not parse: %s", load->hash,
                      load->owner, error);
    }
    load->callback(status == 0 && definition ? 0 : -EIO, definition, load->data);
    free(load);
}

int engine_pin_definition(struct engine *engine, const char *hash, const char *owner,
                          struct cached_definition **definition, definition_pinned_callback callback, void *data)
{
    *definition = definition_cache_acquire(&engine->definitions, hash);
    if (*definition)
        return 1;
    struct definition_load *load = calloc(1, sizeof(*load));
    if (!load)
        return -ENOMEM;
    load->engine = engine;
    load->callback = callback;
    load->data = data;
    snprintf(load->hash, sizeof(load->hash), "%s", hash);
    snprintf(load->owner, sizeof(load->owner), "%s", owner);
    int result = state_machine_store_load_definition(engine->redis, hash, on_definition_text, load);
    if (result < 0)
        free(load);
    return result < 0 ? result : 0;
}
