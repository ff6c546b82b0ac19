/* state_machine_versions - the versions and aliases of state_machine_store (see state_machine_store.h). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "state_machine_store.h"
#include "state_machine_store_internal.h"
#include "store_arguments.h"
#include "store_scripts.h"

#define MACHINE_KEY_PREFIX "{sfn}:state-machine:" /* as in state_machine_store.c; the others are in _versions.lua */
#define MACHINE_KEY_SIZE 320

static struct redis_script publish_script = { .name = "publish-version", .source = store_publish_version_lua };
static struct redis_script list_versions_script = { .name = "list-versions", .source = store_list_versions_lua };
static struct redis_script delete_version_script = { .name = "delete-version", .source = store_delete_version_lua };
static struct redis_script read_qualified_script = { .name = "read-qualified", .source = store_read_qualified_lua };
static struct redis_script put_alias_script = { .name = "put-alias", .source = store_put_alias_lua };
static struct redis_script delete_alias_script = { .name = "delete-alias", .source = store_delete_alias_lua };
static struct redis_script list_aliases_script = { .name = "list-aliases", .source = store_list_aliases_lua };

int state_machine_versions_init(struct redis_client *client)
{
    struct redis_script *const scripts[] = { &publish_script,        &list_versions_script, &delete_version_script,
                                             &read_qualified_script, &put_alias_script,     &delete_alias_script,
                                             &list_aliases_script };
    return redis_client_add_scripts(client, scripts, sizeof(scripts) / sizeof(scripts[0]));
}

struct version_request {
    state_machine_version_callback callback;
    void *data;
};

/* The outcome a script's first element names; -1 when it names none. */
static int outcome_of(const redisReply *reply)
{
    static const char *const names[] = { "OK", "NO_MACHINE", "NOT_FOUND", "CONFLICT", "QUOTA" };
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1
        || reply->element[0]->type != REDIS_REPLY_STRING)
        return -1;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(reply->element[0]->str, names[i]) == 0)
            return (int)i;
    return -1;
}

static void on_reply(redisReply *reply, void *data)
{
    struct version_request *request = data;
    int outcome = outcome_of(reply);
    const char *json = outcome >= 0 && reply->elements > 1 && reply->element[1]->type == REDIS_REPLY_STRING
                           ? reply->element[1]->str
                           : NULL;
    if (outcome < 0)
        request->callback(-EIO, STATE_MACHINE_VERSION_NO_MACHINE, NULL, request->data);
    else
        request->callback(0, (enum state_machine_version_outcome)outcome, json, request->data);
    free(request);
}

/*
 * Runs script with the machine's key and name first, then the count values
 * of rest. Returns 0 or a negative errno (the list released either way).
 */
static int run(struct redis_client *client, struct redis_script *script, const char *name, const char *const *rest,
               size_t count, state_machine_version_callback callback, void *data)
{
    struct store_arguments list = { 0 };
    char key[MACHINE_KEY_SIZE];
    int length = snprintf(key, sizeof(key), "%s%s", MACHINE_KEY_PREFIX, name);
    if (length < 0 || (size_t)length >= sizeof(key))
        return -ENAMETOOLONG;
    struct version_request *request = malloc(sizeof(*request));
    if (!request)
        return -ENOMEM;
    *request = (struct version_request){ callback, data };
    store_arguments_add(&list, key);
    store_arguments_add(&list, name);
    for (size_t i = 0; i < count; i++)
        store_arguments_add(&list, rest[i]);
    int result = store_arguments_eval(client, script, 1, &list, on_reply, request);
    if (result < 0)
        free(request);
    return result;
}

int state_machine_store_publish(struct redis_client *client, const char *name, const char *revision_id,
                                const char *description, int64_t now_ms, state_machine_version_callback callback,
                                void *data)
{
    char now[24];
    snprintf(now, sizeof(now), "%lld", (long long)now_ms);
    const char *rest[] = { revision_id, description, now };
    return run(client, &publish_script, name, rest, 3, callback, data);
}

int state_machine_store_list_versions(struct redis_client *client, const char *name, long offset, size_t max_results,
                                      state_machine_version_callback callback, void *data)
{
    char from[24], most[24];
    snprintf(from, sizeof(from), "%ld", offset);
    snprintf(most, sizeof(most), "%zu", max_results);
    const char *rest[] = { from, most };
    return run(client, &list_versions_script, name, rest, 2, callback, data);
}

int state_machine_store_delete_version(struct redis_client *client, const char *name, const char *version,
                                       state_machine_version_callback callback, void *data)
{
    return run(client, &delete_version_script, name, &version, 1, callback, data);
}

int state_machine_store_read_qualified(struct redis_client *client, const char *name, const char *qualifier, int pick,
                                       state_machine_version_callback callback, void *data)
{
    char pick_text[16] = "";
    if (pick >= 0)
        snprintf(pick_text, sizeof(pick_text), "%d", pick);
    const char *rest[] = { qualifier, pick_text };
    return run(client, &read_qualified_script, name, rest, 2, callback, data);
}

int state_machine_store_put_alias(struct redis_client *client, const struct state_machine_alias_fields *fields,
                                  state_machine_version_callback callback, void *data)
{
    char now[24];
    snprintf(now, sizeof(now), "%lld", (long long)fields->now_ms);
    const char *description = fields->description ? fields->description : fields->create ? "" : "-";
    const char *rest[] = { fields->alias,
                           fields->create ? "create" : "update",
                           description,
                           fields->routing,
                           now,
                           fields->versions[0],
                           fields->versions[1] };
    size_t count = 5 + (fields->versions[0] != NULL) + (fields->versions[0] && fields->versions[1]);
    return run(client, &put_alias_script, fields->name, rest, count, callback, data);
}

int state_machine_store_delete_alias(struct redis_client *client, const char *name, const char *alias,
                                     state_machine_version_callback callback, void *data)
{
    return run(client, &delete_alias_script, name, &alias, 1, callback, data);
}

int state_machine_store_list_aliases(struct redis_client *client, const char *name, const char *version, long offset,
                                     size_t max_results, state_machine_version_callback callback, void *data)
{
    char from[24], most[24];
    snprintf(from, sizeof(from), "%ld", offset);
    snprintf(most, sizeof(most), "%zu", max_results);
    const char *rest[] = { version, from, most };
    return run(client, &list_aliases_script, name, rest, 3, callback, data);
}

/* ---- a version as a record ---- */

struct qualified_request {
    state_machine_load_callback callback;
    void *data;
};

/* Copies string member name of object into *slot (left NULL when absent). Returns 0 or -ENOMEM. */
static int copy_member(const cJSON *object, const char *name, char **slot)
{
    const cJSON *member = cJSON_GetObjectItemCaseSensitive(object, name);
    if (!cJSON_IsString(member))
        return 0;
    *slot = strdup(member->valuestring);
    return *slot ? 0 : -ENOMEM;
}

/* The record of a version read as JSON. Returns 0, -ENOMEM, or -EIO when a required field is missing. */
static int version_record(const char *json, struct state_machine_record **out)
{
    static const struct {
        const char *name;
        size_t offset;
    } members[] = {
        { "name", offsetof(struct state_machine_record, name) },
        { "machineArn", offsetof(struct state_machine_record, arn) },
        { "definition", offsetof(struct state_machine_record, definition) },
        { "definitionHash", offsetof(struct state_machine_record, definition_hash) },
        { "roleArn", offsetof(struct state_machine_record, role_arn) },
        { "type", offsetof(struct state_machine_record, type) },
        { "logging", offsetof(struct state_machine_record, logging) },
        { "tracing", offsetof(struct state_machine_record, tracing) },
        { "revisionId", offsetof(struct state_machine_record, revision_id) },
        { "arn", offsetof(struct state_machine_record, version_arn) },
        { "aliasArn", offsetof(struct state_machine_record, alias_arn) },
        { "description", offsetof(struct state_machine_record, description) },
    };
    cJSON *object = cJSON_Parse(json);
    struct state_machine_record *record = object ? calloc(1, sizeof(*record)) : NULL;
    int result = record ? 0 : object ? -ENOMEM : -EIO;
    for (size_t i = 0; result == 0 && i < sizeof(members) / sizeof(members[0]); i++)
        result = copy_member(object, members[i].name, (char **)((char *)record + members[i].offset));
    const cJSON *created = cJSON_GetObjectItemCaseSensitive(object, "creationDate");
    if (result == 0 && cJSON_IsString(created))
        record->creation_ms = strtoll(created->valuestring, NULL, 10);
    if (result == 0
        && (!record->name || !record->arn || !record->definition_hash || !record->role_arn || !record->type
            || !record->version_arn))
        result = -EIO;
    cJSON_Delete(object);
    if (result < 0)
        state_machine_store_record_free(record);
    *out = result < 0 ? NULL : record;
    return result;
}

static void on_qualified(int status, enum state_machine_version_outcome outcome, const char *json, void *data)
{
    struct qualified_request *request = data;
    struct state_machine_record *record = NULL;
    if (status == 0 && outcome == STATE_MACHINE_VERSION_OK)
        status = json ? version_record(json, &record) : -EIO;
    request->callback(status < 0 ? -EIO : 0, record, request->data);
    free(request);
}

int state_machine_store_load_qualified(struct redis_client *client, const char *name, const char *qualifier, int pick,
                                       state_machine_load_callback callback, void *data)
{
    struct qualified_request *request = malloc(sizeof(*request));
    if (!request)
        return -ENOMEM;
    *request = (struct qualified_request){ callback, data };
    int result = state_machine_store_read_qualified(client, name, qualifier, pick, on_qualified, request);
    if (result < 0)
        free(request);
    return result;
}
