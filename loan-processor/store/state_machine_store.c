/* state_machine_store - see state_machine_store.h. */
#include "state_machine_store.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state_machine_store_internal.h"
#include "store_arguments.h"
#include "store_scripts.h"

#define MACHINE_KEY_PREFIX "{sfn}:state-machine:" /* also spelled in scripts/list_state_machines.lua */
#define INDEX_KEY "{sfn}:state-machines"
#define DEFINITION_KEY_PREFIX "{sfn}:definition:"
#define TAGS_KEY_PREFIX "{sfn}:tags:"

/* The Lua scripts; scripts/<name>.lua says what each takes and returns. */
static struct redis_script create_script = { .name = "create-state-machine", .source = store_create_state_machine_lua };

static struct redis_script update_script = { .name = "update-state-machine", .source = store_update_state_machine_lua };

static struct redis_script delete_script = { .name = "delete-state-machine", .source = store_delete_state_machine_lua };

static struct redis_script list_script = { .name = "list-state-machines", .source = store_list_state_machines_lua };

static struct redis_script tags_script = { .name = "state-machine-tags", .source = store_state_machine_tags_lua };

int state_machine_store_init(struct redis_client *client)
{
    struct redis_script *const scripts[] = { &create_script, &update_script, &delete_script, &list_script,
                                             &tags_script };
    int result = redis_client_add_scripts(client, scripts, sizeof(scripts) / sizeof(scripts[0]));
    return result < 0 ? result : state_machine_versions_init(client);
}

/* Room for a machine's key and a definition's key; a longer one is -ENAMETOOLONG. */
#define MACHINE_KEY_SIZE 320
#define DEFINITION_KEY_SIZE 128

/* Writes prefix and name into out. Returns 0 or -ENAMETOOLONG (never a key cut short). */
static int build_key(const char *prefix, const char *name, char *out, size_t size)
{
    int length = snprintf(out, size, "%s%s", prefix, name);
    return length < 0 || (size_t)length >= size ? -ENAMETOOLONG : 0;
}

static int machine_key(const char *name, char *out)
{
    return build_key(MACHINE_KEY_PREFIX, name, out, MACHINE_KEY_SIZE);
}

static int tags_key(const char *name, char *out)
{
    return build_key(TAGS_KEY_PREFIX, name, out, MACHINE_KEY_SIZE);
}

static int definition_key(const char *hash, char *out)
{
    return build_key(DEFINITION_KEY_PREFIX, hash, out, DEFINITION_KEY_SIZE);
}

/* The callback and its data, for every request of this store. */
struct store_request {
    void (*callback)(void); /* cast back to the operation's type */
    void *data;
};

static struct store_request *new_request(void (*callback)(void), void *data)
{
    struct store_request *request = malloc(sizeof(*request));
    if (request) {
        request->callback = callback;
        request->data = data;
    }
    return request;
}

/* Appends count key, value pairs. */
static void add_pairs(struct store_arguments *list, const char *const *pairs, size_t count)
{
    for (size_t i = 0; i < 2 * count; i++)
        store_arguments_add(list, pairs[i]);
}

/* Runs a script for request (any request struct); frees request when it cannot be sent. */
static int run(struct redis_client *client, struct redis_script *script, int key_count, struct store_arguments *list,
               redis_client_callback on_reply, void *request)
{
    int result = request ? store_arguments_eval(client, script, key_count, list, on_reply, request)
                         : (store_arguments_release(list), -ENOMEM);
    if (result < 0)
        free(request);
    return result;
}

/* Runs a plain command for request; frees request when it cannot be sent. */
static int command(struct redis_client *client, int argc, const char **argv, redis_client_callback on_reply,
                   struct store_request *request)
{
    int result = request ? redis_client_command_strings(client, on_reply, request, argc, argv) : -ENOMEM;
    if (result < 0)
        free(request);
    return result;
}

/* Whether reply is an array of at least minimum elements, the first an integer. */
static bool status_array(const redisReply *reply, size_t minimum)
{
    return reply && reply->type == REDIS_REPLY_ARRAY && reply->elements >= minimum
           && reply->element[0]->type == REDIS_REPLY_INTEGER;
}

static const char *element_string(const redisReply *reply, size_t index)
{
    return index < reply->elements && reply->element[index]->type == REDIS_REPLY_STRING ? reply->element[index]->str
                                                                                        : NULL;
}

static int64_t element_ms(const redisReply *reply, size_t index)
{
    const char *text = element_string(reply, index);
    return text ? strtoll(text, NULL, 10) : 0;
}

/* ---- create ---- */

static void on_created(redisReply *reply, void *data)
{
    struct store_request *request = data;
    state_machine_create_callback callback = (state_machine_create_callback)request->callback;
    static const enum state_machine_create_outcome outcomes[] = { STATE_MACHINE_CONFLICT, STATE_MACHINE_UNCHANGED,
                                                                  STATE_MACHINE_CREATED, STATE_MACHINE_VERSIONS_FULL };
    long long status = status_array(reply, 3) ? reply->element[0]->integer : -1;
    const char *version_arn = status >= 0 ? element_string(reply, 2) : NULL;
    if (status >= 0 && status <= 3)
        callback(0, outcomes[status], element_ms(reply, 1), version_arn && version_arn[0] ? version_arn : NULL,
                 request->data);
    else
        callback(-EIO, STATE_MACHINE_CONFLICT, 0, NULL, request->data);
    free(request);
}

int state_machine_store_create(struct redis_client *client, const struct state_machine_fields *fields,
                               state_machine_create_callback callback, void *data)
{
    struct store_arguments list = { 0 };
    char key[MACHINE_KEY_SIZE], definition[DEFINITION_KEY_SIZE], tags[MACHINE_KEY_SIZE];
    if (machine_key(fields->name, key) < 0 || definition_key(fields->definition_hash, definition) < 0
        || tags_key(fields->name, tags) < 0)
        return -ENAMETOOLONG;
    const char *values[] = { key,
                             INDEX_KEY,
                             definition,
                             tags,
                             fields->name,
                             fields->arn,
                             fields->definition,
                             fields->definition_hash,
                             fields->role_arn,
                             fields->type,
                             fields->logging,
                             fields->tracing };
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        store_arguments_add(&list, values[i]);
    store_arguments_add_number(&list, fields->now_ms);
    store_arguments_add(&list, fields->publish ? "1" : "");
    store_arguments_add(&list, fields->version_description);
    add_pairs(&list, fields->tags, fields->tags ? fields->tag_count : 0);
    return run(client, &create_script, 4, &list, on_created, new_request((void (*)(void))callback, data));
}

/* ---- update ---- */

/* The update's time goes back to its callback: the script does not return it. */
struct update_request {
    state_machine_update_callback callback;
    void *data;
    int64_t now_ms;
};

static void on_updated(redisReply *reply, void *data)
{
    struct update_request *request = data;
    const char *revision_id = NULL, *version_arn = NULL;
    int status = -EIO;
    if (status_array(reply, 1) && reply->element[0]->integer == 0)
        status = -ENOENT;
    else if (status_array(reply, 1) && reply->element[0]->integer == 2)
        status = -EDQUOT;
    else if (status_array(reply, 3) && (revision_id = element_string(reply, 1)))
        status = 0;
    if (status == 0 && (version_arn = element_string(reply, 2)) && !version_arn[0])
        version_arn = NULL;
    request->callback(status, revision_id, status == 0 ? request->now_ms : 0, version_arn, request->data);
    free(request);
}

int state_machine_store_update(struct redis_client *client, const struct state_machine_fields *fields,
                               state_machine_update_callback callback, void *data)
{
    struct store_arguments list = { 0 };
    char key[MACHINE_KEY_SIZE], definition[DEFINITION_KEY_SIZE];
    if (machine_key(fields->name, key) < 0
        || (fields->definition && definition_key(fields->definition_hash, definition) < 0))
        return -ENAMETOOLONG;
    struct update_request *request = malloc(sizeof(*request));
    if (request)
        *request = (struct update_request){ callback, data, fields->now_ms };
    store_arguments_add(&list, key);
    if (fields->definition)
        store_arguments_add(&list, definition);
    const char *values[] = { fields->definition, fields->definition_hash, fields->role_arn, fields->logging,
                             fields->tracing };
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        store_arguments_add(&list, values[i]);
    store_arguments_add_number(&list, fields->now_ms);
    store_arguments_add(&list, fields->publish ? "1" : "");
    store_arguments_add(&list, fields->version_description);
    store_arguments_add(&list, fields->name);
    return run(client, &update_script, fields->definition ? 2 : 1, &list, on_updated, request);
}

/* ---- delete ---- */

static void on_deleted(redisReply *reply, void *data)
{
    struct store_request *request = data;
    state_machine_delete_callback callback = (state_machine_delete_callback)request->callback;
    callback(reply && reply->type == REDIS_REPLY_INTEGER ? 0 : -EIO, request->data);
    free(request);
}

int state_machine_store_delete(struct redis_client *client, const char *name, state_machine_delete_callback callback,
                               void *data)
{
    struct store_arguments list = { 0 };
    char key[MACHINE_KEY_SIZE], tags[MACHINE_KEY_SIZE];
    if (machine_key(name, key) < 0 || tags_key(name, tags) < 0)
        return -ENAMETOOLONG;
    store_arguments_add(&list, key);
    store_arguments_add(&list, INDEX_KEY);
    store_arguments_add(&list, tags);
    store_arguments_add(&list, name);
    return run(client, &delete_script, 3, &list, on_deleted, new_request((void (*)(void))callback, data));
}

/* ---- tags ---- */

static void on_tags(redisReply *reply, void *data)
{
    struct store_request *request = data;
    state_machine_tags_callback callback = (state_machine_tags_callback)request->callback;
    long long status = status_array(reply, 1) ? reply->element[0]->integer : -1;
    size_t count = status == 1 ? (reply->elements - 1) / 2 : 0;
    bool valid = status >= 0 && status <= 2 && (status != 1 || reply->elements % 2 == 1);
    for (size_t i = 1; valid && status == 1 && i < reply->elements; i++)
        valid = reply->element[i]->type == REDIS_REPLY_STRING;
    const char **tags = valid ? calloc(2 * count + 1, sizeof(*tags)) : NULL;
    if (!tags) {
        callback(valid ? -ENOMEM : -EIO, STATE_MACHINE_TAGS_NO_MACHINE, NULL, 0, request->data);
        free(request);
        return;
    }
    for (size_t i = 0; i < 2 * count; i++)
        tags[i] = reply->element[1 + i]->str;
    callback(0,
             status == 1   ? STATE_MACHINE_TAGS_DONE
             : status == 2 ? STATE_MACHINE_TAGS_TOO_MANY
                           : STATE_MACHINE_TAGS_NO_MACHINE,
             tags, count, request->data);
    free(tags);
    free(request);
}

/* Runs the tags script in mode on the machine called name; list holds the mode's other arguments. */
static int run_tags(struct redis_client *client, const char *name, const char *mode, struct store_arguments *extra,
                    state_machine_tags_callback callback, void *data)
{
    struct store_arguments list = { 0 };
    char key[MACHINE_KEY_SIZE], tags[MACHINE_KEY_SIZE];
    if (machine_key(name, key) < 0 || tags_key(name, tags) < 0) {
        store_arguments_release(extra);
        return -ENAMETOOLONG;
    }
    store_arguments_add(&list, key);
    store_arguments_add(&list, tags);
    store_arguments_add(&list, mode);
    for (size_t i = 0; i < extra->count; i++)
        store_arguments_add(&list, extra->values[i]);
    list.failed |= extra->failed;
    store_arguments_release(extra);
    return run(client, &tags_script, 2, &list, on_tags, new_request((void (*)(void))callback, data));
}

int state_machine_store_tag(struct redis_client *client, const char *name, const char *const *tags, size_t count,
                            size_t max_tags, state_machine_tags_callback callback, void *data)
{
    struct store_arguments extra = { 0 };
    store_arguments_add_number(&extra, (long long)max_tags);
    add_pairs(&extra, tags, count);
    return run_tags(client, name, "tag", &extra, callback, data);
}

int state_machine_store_untag(struct redis_client *client, const char *name, const char *const *keys, size_t count,
                              state_machine_tags_callback callback, void *data)
{
    struct store_arguments extra = { 0 };
    for (size_t i = 0; i < count; i++)
        store_arguments_add(&extra, keys[i]);
    return run_tags(client, name, "untag", &extra, callback, data);
}

int state_machine_store_list_tags(struct redis_client *client, const char *name, state_machine_tags_callback callback,
                                  void *data)
{
    struct store_arguments extra = { 0 };
    return run_tags(client, name, "list", &extra, callback, data);
}

/* ---- load ---- */

void state_machine_store_record_free(struct state_machine_record *record)
{
    if (!record)
        return;
    char *strings[] = { record->name,        record->arn,         record->definition, record->definition_hash,
                        record->role_arn,    record->type,        record->logging,    record->tracing,
                        record->revision_id, record->version_arn, record->alias_arn,  record->description };
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
        free(strings[i]);
    free(record);
}

/* Maps one hash field onto the record; unknown fields are ignored. */
static int record_set(struct state_machine_record *record, const char *name, const redisReply *value)
{
    static const struct {
        const char *name;
        size_t offset;
    } string_fields[] = {
        { "name", offsetof(struct state_machine_record, name) },
        { "arn", offsetof(struct state_machine_record, arn) },
        { "definition", offsetof(struct state_machine_record, definition) },
        { "definitionHash", offsetof(struct state_machine_record, definition_hash) },
        { "roleArn", offsetof(struct state_machine_record, role_arn) },
        { "type", offsetof(struct state_machine_record, type) },
        { "logging", offsetof(struct state_machine_record, logging) },
        { "tracing", offsetof(struct state_machine_record, tracing) },
        { "revisionId", offsetof(struct state_machine_record, revision_id) },
    };
    for (size_t i = 0; i < sizeof(string_fields) / sizeof(string_fields[0]); i++) {
        if (strcmp(name, string_fields[i].name) == 0) {
            char **slot = (char **)((char *)record + string_fields[i].offset);
            free(*slot);
            *slot = strndup(value->str, value->len);
            return *slot ? 0 : -ENOMEM;
        }
    }
    if (strcmp(name, "creationDate") == 0)
        record->creation_ms = strtoll(value->str, NULL, 10);
    else if (strcmp(name, "updateDate") == 0)
        record->update_ms = strtoll(value->str, NULL, 10);
    return 0;
}

/* The fields a load reads, in HMGET's order; the definition, the large one, comes last. */
static const char *const loaded_fields[] = { "name",         "arn",        "definitionHash", "roleArn",
                                             "type",         "logging",    "tracing",        "revisionId",
                                             "creationDate", "updateDate", "definition" };
#define LOADED_FIELD_COUNT (sizeof(loaded_fields) / sizeof(loaded_fields[0]))

/*
 * Builds a record from HMGET's values of loaded_fields (the first count of
 * them). Returns 0 and NULL when the machine does not exist, -ENOMEM, or
 * -EIO when a required field is missing.
 */
static int record_from_reply(const redisReply *reply, size_t count, struct state_machine_record **record_out)
{
    struct state_machine_record *record = calloc(1, sizeof(*record));
    *record_out = NULL;
    if (!record)
        return -ENOMEM;
    for (size_t i = 0; i < count && i < reply->elements; i++) {
        const redisReply *value = reply->element[i];
        if (value->type == REDIS_REPLY_STRING && record_set(record, loaded_fields[i], value) < 0) {
            state_machine_store_record_free(record);
            return -ENOMEM;
        }
    }
    if (!record->name) { /* HMGET of a missing key: every value nil */
        state_machine_store_record_free(record);
        return 0;
    }
    if (!record->arn || !record->definition_hash || !record->role_arn || !record->type
        || (count == LOADED_FIELD_COUNT && !record->definition)) {
        state_machine_store_record_free(record);
        return -EIO;
    }
    *record_out = record;
    return 0;
}

static void on_loaded(redisReply *reply, void *data)
{
    struct store_request *request = data;
    state_machine_load_callback callback = (state_machine_load_callback)request->callback;
    struct state_machine_record *record = NULL;
    int status = -EIO;
    if (reply && reply->type == REDIS_REPLY_ARRAY)
        status = record_from_reply(reply, reply->elements, &record);
    callback(status < 0 ? -EIO : 0, record, request->data);
    free(request);
}

int state_machine_store_load(struct redis_client *client, const char *name, bool with_definition,
                             state_machine_load_callback callback, void *data)
{
    char key[MACHINE_KEY_SIZE];
    const char *argv[2 + LOADED_FIELD_COUNT] = { "HMGET", key };
    size_t count = with_definition ? LOADED_FIELD_COUNT : LOADED_FIELD_COUNT - 1;
    if (machine_key(name, key) < 0)
        return -ENAMETOOLONG;
    for (size_t i = 0; i < count; i++)
        argv[2 + i] = loaded_fields[i];
    return command(client, (int)(2 + count), argv, on_loaded, new_request((void (*)(void))callback, data));
}

static void on_definition(redisReply *reply, void *data)
{
    struct store_request *request = data;
    state_machine_definition_callback callback = (state_machine_definition_callback)request->callback;
    if (reply && reply->type == REDIS_REPLY_STRING)
        callback(0, reply->str, request->data);
    else
        callback(reply && reply->type == REDIS_REPLY_NIL ? 0 : -EIO, NULL, request->data);
    free(request);
}

int state_machine_store_load_definition(struct redis_client *client, const char *hash,
                                        state_machine_definition_callback callback, void *data)
{
    char key[DEFINITION_KEY_SIZE];
    if (definition_key(hash, key) < 0)
        return -ENAMETOOLONG;
    const char *argv[] = { "GET", key };
    return command(client, 2, argv, on_definition, new_request((void (*)(void))callback, data));
}

/* ---- list ---- */

static void on_listed(redisReply *reply, void *data)
{
    struct store_request *request = data;
    state_machine_list_callback callback = (state_machine_list_callback)request->callback;
    bool valid = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1 && (reply->elements - 1) % 4 == 0
                 && (reply->elements - 1) / 4 <= STATE_MACHINE_STORE_MAX_LISTED;
    for (size_t i = 0; valid && i < reply->elements; i++)
        valid = reply->element[i]->type == REDIS_REPLY_STRING;
    struct state_machine_summary *items = valid ? calloc((reply->elements - 1) / 4 + 1, sizeof(*items)) : NULL;
    if (!items) {
        callback(valid ? -ENOMEM : -EIO, NULL, 0, NULL, request->data);
        free(request);
        return;
    }
    size_t count = (reply->elements - 1) / 4;
    for (size_t i = 0; i < count; i++) {
        items[i] = (struct state_machine_summary){
            .name = element_string(reply, 1 + 4 * i),
            .arn = element_string(reply, 2 + 4 * i),
            .type = element_string(reply, 3 + 4 * i),
            .creation_ms = element_ms(reply, 4 + 4 * i),
        };
    }
    callback(0, items, count, reply->element[0]->len ? reply->element[0]->str : NULL, request->data);
    free(items);
    free(request);
}

int state_machine_store_list(struct redis_client *client, const char *after, size_t max_results,
                             state_machine_list_callback callback, void *data)
{
    struct store_arguments list = { 0 };
    if (max_results == 0 || max_results > STATE_MACHINE_STORE_MAX_LISTED)
        max_results = STATE_MACHINE_STORE_MAX_LISTED;
    store_arguments_add(&list, INDEX_KEY);
    store_arguments_add(&list, after ? after : "");
    store_arguments_add_number(&list, (long long)max_results);
    return run(client, &list_script, 1, &list, on_listed, new_request((void (*)(void))callback, data));
}
