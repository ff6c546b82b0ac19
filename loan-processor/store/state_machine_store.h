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
 *   {sfn}:versions:<name>        sorted set: the machine's version numbers,
 *                                scored by number (the machine's hash counts
 *                                them in lastVersion: numbers are not reused)
 *   {sfn}:version:<name>:<n>     hash: arn, machineArn, name, version,
 *                                definition, definitionHash, roleArn, type,
 *                                logging, tracing, contentRevision (what
 *                                publishing compares), [revisionId] (the
 *                                machine's, when it had one), description,
 *                                creationDate (ms): an immutable snapshot
 *   {sfn}:aliases:<name>         sorted set: the machine's alias names,
 *                                scored by creation time (ms)
 *   {sfn}:alias:<name>:<alias>   hash: arn, name, description, routing (the
 *                                routingConfiguration as JSON text),
 *                                creationDate, [updateDate] (ms)
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
    /* A version's (state_machine_store_load_qualified()); NULL for the machine itself: */
    char *version_arn;
    char *alias_arn;   /* the alias it was reached through, or NULL */
    char *description; /* the version's description, or NULL */
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
    bool publish;                    /* publish a version of the result */
    const char *version_description; /* with publish: the version's description (NULL: none) */
    int64_t now_ms;
    const char *const *tags; /* create only: tag_count key, value pairs (tags[2i], tags[2i+1]), or NULL */
    size_t tag_count;
};

/* What CreateStateMachine found; delivered beside the errno status. */
enum state_machine_create_outcome {
    STATE_MACHINE_CREATED,
    STATE_MACHINE_UNCHANGED,     /* the same name, definition, type and configuration: AWS's idempotent answer */
    STATE_MACHINE_CONFLICT,      /* the name is taken by another definition */
    STATE_MACHINE_VERSIONS_FULL, /* created or unchanged, but publishing would pass 1000 versions */
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

/*
 * status 0 with the outcome, the machine's creation time and, with publish,
 * the version's ARN (borrowed; NULL without); or -EIO (the rest meaningless).
 */
typedef void (*state_machine_create_callback)(int status, enum state_machine_create_outcome outcome,
                                              int64_t creation_ms, const char *version_arn, void *data);
/*
 * status: 0 with the new revisionId (borrowed), update time and, with
 * publish, the version's ARN (borrowed; NULL without); -ENOENT (no such
 * machine), -EDQUOT (publish would pass 1000 versions: nothing changed), or -EIO.
 */
typedef void (*state_machine_update_callback)(int status, const char *revision_id, int64_t update_ms,
                                              const char *version_arn, void *data);
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

/* DeleteStateMachine: removes the machine, its tags, its index entry, its versions and aliases; its definitions stay. */
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
 * ---- versions and aliases (state_machine_versions.c) ----
 *
 * Each answers with an outcome and, when it has one, a JSON text (borrowed
 * for the callback) whose shape the function's comment gives; dates in it
 * are strings of milliseconds.
 */
enum state_machine_version_outcome {
    STATE_MACHINE_VERSION_OK,
    STATE_MACHINE_VERSION_NO_MACHINE, /* no such state machine */
    STATE_MACHINE_VERSION_NOT_FOUND,  /* no such version or alias */
    STATE_MACHINE_VERSION_CONFLICT,
    STATE_MACHINE_VERSION_QUOTA, /* 1000 versions or 100 aliases */
};

/* status 0 with the outcome and its JSON text (NULL when it has none), or -EIO. */
typedef void (*state_machine_version_callback)(int status, enum state_machine_version_outcome outcome, const char *json,
                                               void *data);

/*
 * PublishStateMachineVersion of the machine called name, unless revision_id
 * (NULL: any) is not its current revision (CONFLICT, JSON: the current
 * revision as plain text). The latest version
 * is answered when it has the current revision already. JSON:
 * {"arn", "creationDate"}.
 */
__attribute__((warn_unused_result)) int state_machine_store_publish(struct redis_client *client, const char *name,
                                                                    const char *revision_id, const char *description,
                                                                    int64_t now_ms,
                                                                    state_machine_version_callback callback,
                                                                    void *data);

/* ListStateMachineVersions, newest first, from offset. JSON: {"items": [{"arn", "creationDate"}], "more"}. */
__attribute__((warn_unused_result)) int state_machine_store_list_versions(struct redis_client *client, const char *name,
                                                                          long offset, size_t max_results,
                                                                          state_machine_version_callback callback,
                                                                          void *data);

/*
 * DeleteStateMachineVersion (OK also when there was none); CONFLICT with the
 * names of the aliases using it as text: "[a, b]".
 */
__attribute__((warn_unused_result)) int state_machine_store_delete_version(struct redis_client *client,
                                                                           const char *name, const char *version,
                                                                           state_machine_version_callback callback,
                                                                           void *data);

/*
 * Reads version or alias qualifier (all digits: a version) of the machine
 * called name; JSON: the stored hash's fields. With pick (0-99; -1 for
 * none) an alias is resolved to the version its routing gives pick (the
 * version's fields, with "aliasArn").
 */
__attribute__((warn_unused_result)) int
state_machine_store_read_qualified(struct redis_client *client, const char *name, const char *qualifier, int pick,
                                   state_machine_version_callback callback, void *data);

/*
 * Loads version or alias qualifier of the machine called name as a record
 * of the version (with its definition): its arn and name are the
 * machine's, version_arn the version's, alias_arn the alias's when
 * qualifier names one, whose routing gives a version to pick (0-99). The
 * record is NULL when the machine, version or alias does not exist.
 */
__attribute__((warn_unused_result)) int
state_machine_store_load_qualified(struct redis_client *client, const char *name, const char *qualifier, int pick,
                                   state_machine_load_callback callback, void *data);

/* An alias as CreateStateMachineAlias or UpdateStateMachineAlias writes it. */
struct state_machine_alias_fields {
    const char *name; /* the machine's */
    const char *alias;
    bool create;             /* else update */
    const char *description; /* update: NULL keeps it */
    const char *routing;     /* routingConfiguration as JSON text; update: NULL keeps it */
    const char *versions[2]; /* the routing's version numbers (NULL when fewer) */
    int64_t now_ms;
};

/*
 * Creates or updates an alias. JSON: {"arn", "creationDate"} (create; the
 * existing alias when it is the same) or {"arn", "updateDate"} (update).
 * NOT_FOUND names the missing version's number in JSON text ("" for the
 * alias); CONFLICT: the alias exists otherwise; QUOTA: 100 aliases.
 */
__attribute__((warn_unused_result)) int state_machine_store_put_alias(struct redis_client *client,
                                                                      const struct state_machine_alias_fields *fields,
                                                                      state_machine_version_callback callback,
                                                                      void *data);

/* DeleteStateMachineAlias (OK also when there was none). */
__attribute__((warn_unused_result)) int state_machine_store_delete_alias(struct redis_client *client, const char *name,
                                                                         const char *alias,
                                                                         state_machine_version_callback callback,
                                                                         void *data);

/*
 * ListStateMachineAliases, oldest first, from offset; only those routing to
 * version when it is not NULL (NOT_FOUND when it does not exist). JSON as
 * state_machine_store_list_versions().
 */
__attribute__((warn_unused_result)) int
state_machine_store_list_aliases(struct redis_client *client, const char *name, const char *version, long offset,
                                 size_t max_results, state_machine_version_callback callback, void *data);

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
