/*
 * machine_registry - CreateStateMachine and UpdateStateMachine, and the
 * definitions shipped in STATE_MACHINES_DIR, registered through the same
 * create and update (see engine.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "log.h"
#include "sfn_arn.h"
#include "wall_clock.h"

/* A shipped definition whose registration failed (Redis away or slow) is tried again after this long. */
#define REGISTRATION_RETRY_MS 1000
/* State machine names are 1 to 80 characters. */
#define MACHINE_NAME_SIZE 81

/* A definition file of STATE_MACHINES_DIR, to be registered in Redis once it is connected. */
struct shipped_machine {
    SLIST_ENTRY(shipped_machine) link;
    struct engine *engine;
    char name[MACHINE_NAME_SIZE];
    char *definition;
    char hash[DEFINITION_HASH_SIZE];
    bool registered; /* once: the engine is ready when all are */
    bool checked;    /* since the last (re)connection to Redis */
    bool in_flight;
};

struct machine_operation {
    engine_machine_callback callback;
    void *data;
    char arn[SFN_ARN_PART_SIZE];
};

static void on_machine_created(int status, enum state_machine_create_outcome outcome, int64_t creation_ms,
                               const char *version_arn, void *data)
{
    struct machine_operation *operation = data;
    int result = status < 0                               ? -EIO
                 : outcome == STATE_MACHINE_CONFLICT      ? -EEXIST
                 : outcome == STATE_MACHINE_VERSIONS_FULL ? -EDQUOT
                                                          : 0;
    if (status == 0 && outcome == STATE_MACHINE_CREATED)
        log_event(LOG_INFO, "state-machine-created", "State machine %s created", operation->arn);
    struct engine_machine_result answer = { operation->arn, NULL, creation_ms, version_arn };
    operation->callback(result, &answer, operation->data);
    free(operation);
}

static void on_machine_updated(int status, const char *revision_id, int64_t update_ms, const char *version_arn,
                               void *data)
{
    struct machine_operation *operation = data;
    if (status == 0)
        log_event(LOG_INFO, "state-machine-updated", "State machine %s updated to revision %s", operation->arn,
                  revision_id);
    struct engine_machine_result answer = { operation->arn, revision_id, update_ms, version_arn };
    operation->callback(status, &answer, operation->data);
    free(operation);
}

/* A new operation answering callback, for the machine called name. */
static struct machine_operation *new_machine_operation(const struct engine *engine, const char *name,
                                                       engine_machine_callback callback, void *data)
{
    struct machine_operation *operation = calloc(1, sizeof(*operation));
    if (operation) {
        operation->callback = callback;
        operation->data = data;
        engine_state_machine_arn(engine, name, operation->arn, sizeof(operation->arn));
    }
    return operation;
}

int engine_create_state_machine(struct engine *engine, const struct engine_machine_spec *spec, char *error,
                                size_t error_size, engine_machine_callback callback, void *data)
{
    char hash[DEFINITION_HASH_SIZE];
    int result = definition_check(spec->definition, spec->type, NULL, error, error_size);
    if (result < 0)
        return result;
    struct machine_operation *operation = new_machine_operation(engine, spec->name, callback, data);
    if (!operation)
        return -ENOMEM;
    definition_hash(spec->definition, hash);
    struct state_machine_fields fields = {
        .name = spec->name,
        .arn = operation->arn,
        .definition = spec->definition,
        .definition_hash = hash,
        .role_arn = spec->role_arn,
        .type = definition_type_name(spec->type),
        .logging = spec->logging ? spec->logging : ENGINE_DEFAULT_LOGGING,
        .tracing = spec->tracing ? spec->tracing : ENGINE_DEFAULT_TRACING,
        .publish = spec->publish,
        .version_description = spec->version_description,
        .now_ms = wall_clock_now_ms(),
        .tags = spec->tags,
        .tag_count = spec->tag_count,
    };
    result = state_machine_store_create(engine->redis, &fields, on_machine_created, operation);
    if (result < 0)
        free(operation);
    return result;
}

int engine_update_state_machine(struct engine *engine, const char *name, enum machine_type type,
                                const struct engine_machine_change *change, char *error, size_t error_size,
                                engine_machine_callback callback, void *data)
{
    char hash[DEFINITION_HASH_SIZE] = "";
    if (change->definition) {
        int result = definition_check(change->definition, type, NULL, error, error_size);
        if (result < 0)
            return result;
        definition_hash(change->definition, hash);
    }
    struct machine_operation *operation = new_machine_operation(engine, name, callback, data);
    if (!operation)
        return -ENOMEM;
    struct state_machine_fields fields = {
        .name = name,
        .definition = change->definition,
        .definition_hash = change->definition ? hash : NULL,
        .role_arn = change->role_arn,
        .logging = change->logging,
        .tracing = change->tracing,
        .publish = change->publish,
        .version_description = change->version_description,
        .now_ms = wall_clock_now_ms(),
    };
    int result = state_machine_store_update(engine->redis, &fields, on_machine_updated, operation);
    if (result < 0)
        free(operation);
    return result;
}

/*
 * ---- the shipped definitions ----
 *
 * Each file of STATE_MACHINES_DIR becomes a state machine through the same
 * create and update as the API's: created when missing, its definition
 * updated when it differs, nothing when it is the same (so several
 * loan-processors starting together agree). Until all are registered the
 * engine is not ready; a failed attempt is tried again a second later.
 * After each reconnection a registered file is only created again if its
 * machine is missing (a Redis that lost its data), so that an update made
 * through the API meanwhile is not undone.
 */

static void on_registration_timer(struct event_timer *timer);

/* Tries again later; while Redis is away its return starts the next attempt instead. */
static void schedule_registration(struct engine *engine)
{
    if (!engine->stopped && redis_client_connected(engine->redis))
        event_loop_timer_start(engine->loop, &engine->registration_timer, REGISTRATION_RETRY_MS, on_registration_timer,
                               engine);
}

static void finish_registration(struct shipped_machine *shipped, int status, const char *arn)
{
    shipped->in_flight = false;
    if (status == 0) {
        if (!shipped->registered)
            log_event(LOG_INFO, "state-machine-registered", "%s registered from STATE_MACHINES_DIR", arn);
        shipped->registered = true;
        shipped->checked = true;
    } else {
        schedule_registration(shipped->engine);
    }
}

static void on_shipped_stored(int status, const struct engine_machine_result *result, void *data)
{
    /* -EEXIST (created elsewhere meanwhile) or -ENOENT (deleted meanwhile): the next attempt looks again. */
    finish_registration(data, status, result->arn);
}

/* Creates the shipped machine, or updates its definition when record (the stored one) differs. */
static int store_shipped(struct shipped_machine *shipped, const struct state_machine_record *record, char *error,
                         size_t error_size)
{
    struct engine *engine = shipped->engine;
    char role_arn[SFN_ARN_PART_SIZE];
    enum machine_type type = MACHINE_STANDARD;
    if (!record) {
        snprintf(role_arn, sizeof(role_arn), "arn:aws:iam::%s:role/%sRole", engine->config.account, shipped->name);
        struct engine_machine_spec spec = {
            .name = shipped->name, .definition = shipped->definition, .role_arn = role_arn, .type = MACHINE_STANDARD
        };
        return engine_create_state_machine(engine, &spec, error, error_size, on_shipped_stored, shipped);
    }
    struct engine_machine_change change = { .definition = shipped->definition };
    if (definition_type_from_name(record->type, &type) < 0)
        type = MACHINE_STANDARD;
    return engine_update_state_machine(engine, shipped->name, type, &change, error, error_size, on_shipped_stored,
                                       shipped);
}

static void on_shipped_loaded(int status, struct state_machine_record *record, void *data)
{
    struct shipped_machine *shipped = data;
    char arn[SFN_ARN_PART_SIZE], error[1024];
    int result = status;
    engine_state_machine_arn(shipped->engine, shipped->name, arn, sizeof(arn));
    bool current = record && (shipped->registered || strcmp(record->definition_hash, shipped->hash) == 0);
    if (result == 0 && !current) {
        result = store_shipped(shipped, record, error, sizeof(error));
        if (result == 0) {
            state_machine_store_record_free(record);
            return;
        }
    }
    if (result == -EINVAL) {
        /* Only an EXPRESS machine of that name made through the API can refuse the file: retrying cannot help. */
        log_event(LOG_ERROR, "state-machine-not-registered", "%s: %s", arn, error);
        result = 0;
    }
    state_machine_store_record_free(record);
    finish_registration(shipped, result, arn);
}

static void register_shipped(struct engine *engine)
{
    struct shipped_machine *shipped;
    SLIST_FOREACH(shipped, &engine->shipped, link)
    {
        if (shipped->checked || shipped->in_flight)
            continue;
        shipped->in_flight = true;
        if (state_machine_store_load(engine->redis, shipped->name, false, on_shipped_loaded, shipped) < 0) {
            shipped->in_flight = false;
            schedule_registration(engine);
        }
    }
}

static void on_registration_timer(struct event_timer *timer)
{
    register_shipped(timer->data);
}

int engine_register_state_machine(struct engine *engine, const char *name, const char *definition, char *error,
                                  size_t error_size)
{
    size_t name_length = strlen(name);
    if (name_length == 0 || name_length >= MACHINE_NAME_SIZE) {
        snprintf(error, error_size, "a state machine name must be 1 to %d characters", MACHINE_NAME_SIZE - 1);
        return -EINVAL;
    }
    int result = definition_check(definition, MACHINE_STANDARD, NULL, error, error_size);
    if (result < 0)
        return result;
    struct shipped_machine *shipped = calloc(1, sizeof(*shipped));
    if (!shipped || !(shipped->definition = strdup(definition))) {
        free(shipped);
        return -ENOMEM;
    }
    shipped->engine = engine;
    memcpy(shipped->name, name, name_length + 1);
    definition_hash(definition, shipped->hash);
    SLIST_INSERT_HEAD(&engine->shipped, shipped, link);
    if (engine->shards_known && redis_client_connected(engine->redis))
        register_shipped(engine);
    return 0;
}

bool engine_ready(const struct engine *engine)
{
    if (!engine->shards_known)
        return false;
    const struct shipped_machine *shipped;
    SLIST_FOREACH(shipped, &engine->shipped, link)
    {
        if (!shipped->registered)
            return false;
    }
    return true;
}

void machine_registry_recheck(struct engine *engine)
{
    if (!engine->shards_known)
        return;
    struct shipped_machine *shipped;
    SLIST_FOREACH(shipped, &engine->shipped, link)
    shipped->checked = false;
    register_shipped(engine);
}

void machine_registry_free(struct engine *engine)
{
    while (!SLIST_EMPTY(&engine->shipped)) {
        struct shipped_machine *shipped = SLIST_FIRST(&engine->shipped);
        SLIST_REMOVE_HEAD(&engine->shipped, link);
        free(shipped->definition);
        free(shipped);
    }
}
