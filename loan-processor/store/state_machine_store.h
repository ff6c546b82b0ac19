/*
 * state_machine_store - where state machines live in Redis, the source of
 * truth that every loan-processor reads (none keeps its own registry).
 *
 * Keys (all share the hash tag {sfn}, so they live in one Redis Cluster
 * slot and one script may change them together):
 *   {sfn}:state-machine:<name>   hash: name, arn, definition, definitionHash,
 *                                roleArn, type, logging, tracing (JSON text),
 *                                creationDate, [updateDate, revisionId] (ms)
 *   {sfn}:state-machines         sorted set: every name, score 0, so that
 *                                listing by name is a ZRANGEBYLEX
 *   {sfn}:definition:<hash>      string: a definition's text, under its
 *                                content hash (definition.h); kept after
 *                                an update or a delete, because executions
 *                                started on it still run it
 *   {sfn}:tags:<name>            hash: the machine's tags, key -> value; created
 *                                and deleted with the machine
 *
 * Every change is one Lua script, so a state machine, its index entry and
 * its definition always agree.
 */
#ifndef STATE_MACHINE_STORE_H
#define STATE_MACHINE_STORE_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "redis_client.h"

/* A state machine as stored (strings NULL when absent). */
struct state_machine_record {
    char *name;
    char *arn;
    char *definition;
    char *definition_hash;
    char *role_arn;
    char *type;        /* "STANDARD" or "EXPRESS" */
    char *logging;     /* loggingConfiguration, JSON text */
    char *tracing;     /* tracingConfiguration, JSON text */
    char *revision_id; /* set by updates only, as AWS does */
    int64_t creation_ms;
    int64_t update_ms; /* 0 until updated */
};

/* What CreateStateMachine writes, or what UpdateStateMachine changes (NULL: keep). */
struct state_machine_fields {
    const char *name;
    const char *arn;
    const char *definition;
    const char *definition_hash; /* of definition */
    const char *role_arn;
    const char *type;
    const char *logging;
    const char *tracing;
    int64_t now_ms;
    const char *const *tags; /* create only: tag_count key, value pairs (tags[2i], tags[2i+1]), or NULL */
    size_t tag_count;
};

/* What CreateStateMachine found; delivered beside the errno status. */
enum state_machine_create_outcome {
    STATE_MACHINE_CREATED,
    STATE_MACHINE_UNCHANGED, /* the same name, definition, type and configuration: AWS's idempotent answer */
    STATE_MACHINE_CONFLICT,  /* the name is taken by another definition */
};

/* One state machine of a listing; strings borrowed for the callback. */
struct state_machine_summary {
    const char *name;
    const char *arn;
    const char *type;
    int64_t creation_ms;
};

/* What a tag operation found. */
enum state_machine_tags_outcome {
    STATE_MACHINE_TAGS_DONE,
    STATE_MACHINE_TAGS_NO_MACHINE,
    STATE_MACHINE_TAGS_TOO_MANY, /* tagging would leave more than the most allowed; nothing changed */
};

/* Most state machines one listing returns (the model's PageSize maximum). */
#define STATE_MACHINE_STORE_MAX_LISTED 1000

/* status 0 with the outcome and the machine's creation time, or -EIO (outcome and time meaningless). */
typedef void (*state_machine_create_callback)(int status, enum state_machine_create_outcome outcome,
                                              int64_t creation_ms, void *data);
/* status: 0 with the new revisionId (borrowed) and update time, -ENOENT (no such machine), or -EIO. */
typedef void (*state_machine_update_callback)(int status, const char *revision_id, int64_t update_ms, void *data);
/* status: 0 and the record (NULL when there is no such machine; the callback frees it), or -EIO. */
typedef void (*state_machine_load_callback)(int status, struct state_machine_record *record, void *data);
/* status: 0 and the text (NULL when not stored; borrowed), or -EIO. */
typedef void (*state_machine_definition_callback)(int status, const char *definition, void *data);
/* status: 0 (deleted, or there was nothing to delete) or -EIO. */
typedef void (*state_machine_delete_callback)(int status, void *data);
/* status: 0, count machines by name and next (the last name when more follow, else NULL), or -EIO/-ENOMEM. */
typedef void (*state_machine_list_callback)(int status, const struct state_machine_summary *items, size_t count,
                                            const char *next, void *data);

/*
 * status 0 with the outcome and, for a listing of DONE, count tags as key,
 * value pairs ordered by key (tags[2i], tags[2i+1], borrowed); or -EIO / -ENOMEM.
 */
typedef void (*state_machine_tags_callback)(int status, enum state_machine_tags_outcome outcome,
                                            const char *const *tags, size_t count, void *data);

/* Registers the store's Lua scripts with client; call once before use. */
__attribute__((warn_unused_result)) int state_machine_store_init(struct redis_client *client);

/*
 * All functions below follow redis_client_command()'s contract: they
 * return 0 and later call callback exactly once, or return a negative code
 * (-ENOTCONN, -EAGAIN, -ENOMEM, -ENAMETOOLONG when a name makes a key too
 * long) and never call it.
 */

/* CreateStateMachine: writes fields (all set; tags optional) unless the name is taken (the tags are then kept). */
__attribute__((warn_unused_result)) int state_machine_store_create(struct redis_client *client,
                                                                   const struct state_machine_fields *fields,
                                                                   state_machine_create_callback callback, void *data);

/*
 * UpdateStateMachine: changes the fields that are set (definition with its
 * hash, role_arn, logging, tracing), sets updateDate, and a revisionId
 * derived from the resulting definition, role and configuration (so the
 * same update twice gives the same revisionId, as AWS's does).
 */
__attribute__((warn_unused_result)) int state_machine_store_update(struct redis_client *client,
                                                                   const struct state_machine_fields *fields,
                                                                   state_machine_update_callback callback, void *data);

/* DeleteStateMachine: removes the machine, its tags and its index entry; its definitions stay. */
__attribute__((warn_unused_result)) int state_machine_store_delete(struct redis_client *client, const char *name,
                                                                   state_machine_delete_callback callback, void *data);

/*
 * Loads the machine called name. Its definition text (up to 1 MiB) comes
 * along only when with_definition is set: starting an execution needs just
 * the definitionHash, whose parsed definition is usually cached.
 */
__attribute__((warn_unused_result)) int state_machine_store_load(struct redis_client *client, const char *name,
                                                                 bool with_definition,
                                                                 state_machine_load_callback callback, void *data);

/* Loads the definition whose content hash is hash. */
__attribute__((warn_unused_result)) int state_machine_store_load_definition(struct redis_client *client,
                                                                            const char *hash,
                                                                            state_machine_definition_callback callback,
                                                                            void *data);

/* ListStateMachines: up to max_results (1-1000) machines by name, after the name after (NULL: from the first). */
__attribute__((warn_unused_result)) int state_machine_store_list(struct redis_client *client, const char *after,
                                                                 size_t max_results,
                                                                 state_machine_list_callback callback, void *data);

/*
 * TagResource: sets count tags (key, value pairs; an existing key gets the
 * new value) on the machine called name, unless it would then have more
 * than max_tags.
 */
__attribute__((warn_unused_result)) int state_machine_store_tag(struct redis_client *client, const char *name,
                                                                const char *const *tags, size_t count, size_t max_tags,
                                                                state_machine_tags_callback callback, void *data);

/* UntagResource: removes the count keys from the machine's tags (unknown keys are ignored). */
__attribute__((warn_unused_result)) int state_machine_store_untag(struct redis_client *client, const char *name,
                                                                  const char *const *keys, size_t count,
                                                                  state_machine_tags_callback callback, void *data);

/* ListTagsForResource: the machine's tags. */
__attribute__((warn_unused_result)) int state_machine_store_list_tags(struct redis_client *client, const char *name,
                                                                      state_machine_tags_callback callback, void *data);

/* Frees a record; safe on NULL. */
void state_machine_store_record_free(struct state_machine_record *record);

#endif
