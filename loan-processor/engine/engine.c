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

static void on_redis_change(bool connected, void *data)
{
    struct engine *engine = data;
    if (!connected)
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
    int result = execution_store_init(redis);
    if (result == 0)
        result = state_machine_store_init(redis);
    if (result == 0)
        result = map_run_store_init(redis);
    if (result == 0)
        result = execution_timers_create(loop, redis, execution_change_timer_due, engine, &engine->timers);
    if (result < 0) {
        free(engine);
        return result;
    }
    redis_client_on_change(redis, on_redis_change, engine);
    *engine_out = engine;
    return 0;
}

void engine_stop(struct engine *engine)
{
    if (!engine)
        return;
    engine->stopped = true;
    event_loop_timer_stop(engine->loop, &engine->registration_timer);
    execution_timers_stop(engine->timers);
}

void engine_destroy(struct engine *engine)
{
    if (!engine)
        return;
    execution_timers_destroy(engine->timers);
    definition_cache_clear(&engine->definitions);
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
