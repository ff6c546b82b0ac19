/* map_run_store - see map_run_store.h. */
#include "map_run_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_arguments.h"
#include "store_scripts.h"

/* {sfn:NN}:<kind>:<id>, NN the id's shard; see map_run_store.h. */
#define KEY_FORMAT "{sfn:%02u}:%s:%s"
#define RECORD_KIND "maprun"
#define RUNS_KIND "mapruns"
#define EXECUTIONS_KIND "maprun-executions"
/* What a Map Run ARN holds before the Map Run's id. */
#define MAP_RUN_ARN_ID_MARKER ":mapRun:"
/* The fields read_map_runs.lua returns per Map Run. */
#define SUMMARY_FIELDS 5

static struct redis_script update_script = { .name = "update-map-run", .source = store_update_map_run_lua };

static struct redis_script read_runs_script = { .name = "read-map-runs", .source = store_read_map_runs_lua };

int map_run_store_init(struct redis_client *client)
{
    struct redis_script *const scripts[] = { &update_script, &read_runs_script };
    return redis_client_add_scripts(client, scripts, sizeof(scripts) / sizeof(scripts[0]));
}

/* Writes the key of kind for id (of shard execution_store_shard(id)). Returns 0 or -ENAMETOOLONG. */
static int build_key(const char *kind, const char *id, char *out, size_t size)
{
    int length = snprintf(out, size, KEY_FORMAT, execution_store_shard(id), kind, id);
    return length < 0 ? -EINVAL : (size_t)length >= size ? -ENAMETOOLONG : 0;
}

int map_run_store_key(const char *map_run_id, char *out, size_t size)
{
    return build_key(RECORD_KIND, map_run_id, out, size);
}

int map_run_store_runs_key(const char *execution_id, char *out, size_t size)
{
    return build_key(RUNS_KIND, execution_id, out, size);
}

int map_run_store_executions_key(const char *map_run_id, char *out, size_t size)
{
    return build_key(EXECUTIONS_KIND, map_run_id, out, size);
}

void map_run_store_record_free(struct map_run_record *record)
{
    if (!record)
        return;
    free(record->map_run_arn);
    free(record->execution_arn);
    free(record->state_machine_arn);
    free(record->label);
    free(record->status);
    free(record);
}

enum field_kind { FIELD_TEXT, FIELD_NUMBER, FIELD_DATE, FIELD_FRACTION };

/* Every field of the record: its name in the hash, its kind and where it goes. */
static const struct {
    const char *name;
    enum field_kind kind;
    size_t offset;
} record_fields[] = {
    { MAP_RUN_FIELD_ARN, FIELD_TEXT, offsetof(struct map_run_record, map_run_arn) },
    { MAP_RUN_FIELD_EXECUTION_ARN, FIELD_TEXT, offsetof(struct map_run_record, execution_arn) },
    { MAP_RUN_FIELD_STATE_MACHINE_ARN, FIELD_TEXT, offsetof(struct map_run_record, state_machine_arn) },
    { MAP_RUN_FIELD_LABEL, FIELD_TEXT, offsetof(struct map_run_record, label) },
    { MAP_RUN_FIELD_STATUS, FIELD_TEXT, offsetof(struct map_run_record, status) },
    { MAP_RUN_FIELD_MAX_CONCURRENCY, FIELD_NUMBER, offsetof(struct map_run_record, max_concurrency) },
    { MAP_RUN_FIELD_TOLERATED_COUNT, FIELD_NUMBER, offsetof(struct map_run_record, tolerated_failure_count) },
    { MAP_RUN_FIELD_ITEM_COUNT, FIELD_NUMBER, offsetof(struct map_run_record, item_count) },
    { MAP_RUN_FIELD_RUNNING, FIELD_NUMBER, offsetof(struct map_run_record, running) },
    { MAP_RUN_FIELD_SUCCEEDED, FIELD_NUMBER, offsetof(struct map_run_record, succeeded) },
    { MAP_RUN_FIELD_FAILED, FIELD_NUMBER, offsetof(struct map_run_record, failed) },
    { MAP_RUN_FIELD_ABORTED, FIELD_NUMBER, offsetof(struct map_run_record, aborted) },
    { MAP_RUN_FIELD_START_DATE, FIELD_DATE, offsetof(struct map_run_record, start_ms) },
    { MAP_RUN_FIELD_STOP_DATE, FIELD_DATE, offsetof(struct map_run_record, stop_ms) },
    { MAP_RUN_FIELD_REDRIVE_COUNT, FIELD_NUMBER, offsetof(struct map_run_record, redrive_count) },
    { MAP_RUN_FIELD_REDRIVE_DATE, FIELD_DATE, offsetof(struct map_run_record, redrive_ms) },
    { MAP_RUN_FIELD_TOLERATED_PERCENTAGE, FIELD_FRACTION,
      offsetof(struct map_run_record, tolerated_failure_percentage) },
};

/* Takes a setting UpdateMapRun changed (field, value) into update. Always 0. */
static int take_update(struct map_run_update *update, const char *field, const char *value)
{
    if (strcmp(field, MAP_RUN_FIELD_MAX_CONCURRENCY) == 0) {
        update->has_max_concurrency = true;
        update->max_concurrency = strtoll(value, NULL, 10);
    } else if (strcmp(field, MAP_RUN_FIELD_TOLERATED_COUNT) == 0) {
        update->has_tolerated_failure_count = true;
        update->tolerated_failure_count = strtoll(value, NULL, 10);
    } else if (strcmp(field, MAP_RUN_FIELD_TOLERATED_PERCENTAGE) == 0) {
        update->has_tolerated_failure_percentage = true;
        update->tolerated_failure_percentage = strtod(value, NULL);
    }
    return 0;
}

/* Takes one HGETALL entry (its value NUL-terminated, as hiredis gives it) into record; unknown fields are ignored.
   Returns 0 or -ENOMEM. */
static int take_field(struct map_run_record *record, const struct execution_hash_entry *entry)
{
    static const char updated[] = "updated:";
    if (strncmp(entry->name, updated, sizeof(updated) - 1) == 0)
        return take_update(&record->updated, entry->name + sizeof(updated) - 1, entry->value);
    for (size_t i = 0; i < sizeof(record_fields) / sizeof(record_fields[0]); i++) {
        if (strcmp(record_fields[i].name, entry->name) != 0)
            continue;
        void *slot = (char *)record + record_fields[i].offset;
        switch (record_fields[i].kind) {
        case FIELD_TEXT:
            free(*(char **)slot);
            *(char **)slot = strndup(entry->value, entry->value_length);
            return *(char **)slot ? 0 : -ENOMEM;
        case FIELD_NUMBER:
            *(long long *)slot = strtoll(entry->value, NULL, 10);
            return 0;
        case FIELD_DATE:
            *(int64_t *)slot = strtoll(entry->value, NULL, 10);
            return 0;
        case FIELD_FRACTION:
            *(double *)slot = strtod(entry->value, NULL);
            return 0;
        }
    }
    return 0;
}

int map_run_store_record_from_hash(const struct execution_hash_entry *entries, size_t count,
                                   struct map_run_record **record_out)
{
    struct map_run_record *record = calloc(1, sizeof(*record));
    if (!record)
        return -ENOMEM;
    for (size_t i = 0; i < count; i++) {
        if (take_field(record, &entries[i]) < 0) {
            map_run_store_record_free(record);
            return -ENOMEM;
        }
    }
    *record_out = record;
    return 0;
}

/* A callback and its data, for the reads whose answer is one reply. */
struct map_run_read {
    union {
        map_run_load_callback load;
        map_run_update_callback update;
    } callback;
    void *data;
};

/* The record in HGETALL's flat name/value reply. Returns 0, or -ENOMEM. */
static int record_from_reply(const redisReply *reply, struct map_run_record **record)
{
    struct execution_hash_entry *entries = calloc(reply->elements / 2 + 1, sizeof(*entries));
    size_t count = 0;
    if (!entries)
        return -ENOMEM;
    for (size_t i = 0; i + 1 < reply->elements; i += 2) {
        const redisReply *name = reply->element[i], *value = reply->element[i + 1];
        if (name->type == REDIS_REPLY_STRING && value->type == REDIS_REPLY_STRING)
            entries[count++] = (struct execution_hash_entry){ name->str, value->str, value->len };
    }
    int result = map_run_store_record_from_hash(entries, count, record);
    free(entries);
    return result;
}

static void on_loaded(redisReply *reply, void *data)
{
    struct map_run_read *read = data;
    struct map_run_record *record = NULL;
    int status = -EIO;
    if (reply && reply->type == REDIS_REPLY_ARRAY) {
        status = reply->elements == 0 ? 0 : record_from_reply(reply, &record);
        if (status < 0)
            status = -EIO;
    }
    read->callback.load(status, record, read->data);
    free(read);
}

/* The key of the Map Run map_run_id and a new read for data (its callback the caller's to set). 0 or < 0. */
static int begin_read(const char *map_run_id, char key[MAP_RUN_STORE_KEY_SIZE], void *data, struct map_run_read **read)
{
    int result = map_run_store_key(map_run_id, key, MAP_RUN_STORE_KEY_SIZE);
    if (result < 0)
        return result;
    if (!(*read = malloc(sizeof(**read))))
        return -ENOMEM;
    (*read)->data = data;
    return 0;
}

int map_run_store_load(struct redis_client *client, const char *map_run_id, map_run_load_callback callback, void *data)
{
    char key[MAP_RUN_STORE_KEY_SIZE];
    struct map_run_read *read = NULL;
    int result = begin_read(map_run_id, key, data, &read);
    if (result < 0)
        return result;
    read->callback.load = callback;
    const char *argv[] = { "HGETALL", key };
    result = redis_client_command_strings(client, on_loaded, read, 2, argv);
    if (result < 0)
        free(read);
    return result;
}

/* ---- ListMapRuns ---- */

/* A listing of an execution's Map Runs, between the index read and the records' read. */
struct runs_listing {
    struct redis_client *client;
    map_run_list_callback callback;
    void *data;
    size_t max_results;
    bool more;
};

static void on_runs_read(redisReply *reply, void *data)
{
    struct runs_listing *listing = data;
    bool valid = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements % SUMMARY_FIELDS == 0;
    for (size_t i = 0; valid && i < reply->elements; i++)
        valid = reply->element[i]->type == REDIS_REPLY_STRING;
    size_t total = valid ? reply->elements / SUMMARY_FIELDS : 0, count = 0;
    struct map_run_summary *items = valid ? calloc(total + 1, sizeof(*items)) : NULL;
    for (size_t i = 0; items && i < total; i++) {
        redisReply *const *fields = reply->element + SUMMARY_FIELDS * i;
        if (fields[0]->len == 0)
            continue; /* no record */
        items[count++] = (struct map_run_summary){
            .map_run_arn = fields[0]->str,
            .execution_arn = fields[1]->str,
            .state_machine_arn = fields[2]->str,
            .start_ms = strtoll(fields[3]->str, NULL, 10),
            .stop_ms = strtoll(fields[4]->str, NULL, 10),
        };
    }
    if (items)
        listing->callback(0, items, count, listing->more, listing->data);
    else
        listing->callback(valid ? -ENOMEM : -EIO, NULL, 0, false, listing->data);
    free(items);
    free(listing);
}

/* Adds the record key of the Map Run a Map Run ARN names; false when it names none (the entry is skipped). */
static bool add_record_key(struct store_arguments *list, const char *map_run_arn)
{
    char key[MAP_RUN_STORE_KEY_SIZE];
    const char *marker = strstr(map_run_arn, MAP_RUN_ARN_ID_MARKER);
    if (!marker || map_run_store_key(marker + strlen(MAP_RUN_ARN_ID_MARKER), key, sizeof(key)) < 0)
        return false;
    store_arguments_add(list, key);
    return true;
}

static void on_runs_index_read(redisReply *reply, void *data)
{
    struct runs_listing *listing = data;
    struct store_arguments list = { 0 };
    int keys = 0;
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        listing->callback(-EIO, NULL, 0, false, listing->data);
        free(listing);
        return;
    }
    listing->more = reply->elements > listing->max_results;
    for (size_t i = 0; i < reply->elements && i < listing->max_results; i++) {
        if (reply->element[i]->type == REDIS_REPLY_STRING && add_record_key(&list, reply->element[i]->str))
            keys++;
    }
    int result = store_arguments_eval(listing->client, &read_runs_script, keys, &list, on_runs_read, listing);
    if (result < 0) {
        listing->callback(result == -ENOMEM ? -ENOMEM : -EIO, NULL, 0, false, listing->data);
        free(listing);
    }
}

int map_run_store_list(struct redis_client *client, const char *execution_id, size_t offset, size_t max_results,
                       map_run_list_callback callback, void *data)
{
    char key[MAP_RUN_STORE_KEY_SIZE], start[24], stop[24];
    if (max_results == 0 || max_results > MAP_RUN_STORE_MAX_LISTED)
        max_results = MAP_RUN_STORE_MAX_LISTED;
    int result = map_run_store_runs_key(execution_id, key, sizeof(key));
    if (result < 0)
        return result;
    struct runs_listing *listing = calloc(1, sizeof(*listing));
    if (!listing)
        return -ENOMEM;
    *listing =
        (struct runs_listing){ .client = client, .callback = callback, .data = data, .max_results = max_results };
    snprintf(start, sizeof(start), "%zu", offset);
    snprintf(stop, sizeof(stop), "%zu", offset + max_results); /* one more than the page: whether more follow */
    const char *argv[] = { "ZREVRANGE", key, start, stop };
    result = redis_client_command_strings(client, on_runs_index_read, listing, 4, argv);
    if (result < 0)
        free(listing);
    return result;
}

int map_run_store_list_executions(struct redis_client *client, const char *map_run_id, const char *cursor,
                                  size_t max_results, const char *status, store_list_callback callback, void *data)
{
    char key[MAP_RUN_STORE_KEY_SIZE];
    int result = map_run_store_executions_key(map_run_id, key, sizeof(key));
    if (result < 0)
        return result;
    return execution_store_list_index(client, key, cursor, max_results, status, callback, data);
}

/* ---- UpdateMapRun ---- */

static void on_updated(redisReply *reply, void *data)
{
    struct map_run_read *read = data;
    int status = redis_client_reply_status(reply);
    if (status == 0 && reply->type != REDIS_REPLY_INTEGER)
        status = -EIO;
    read->callback.update(status, status == 0 && reply->integer == 1, read->data);
    free(read);
}

static void add_update_arguments(struct store_arguments *list, const struct map_run_update *update)
{
    char percentage[32];
    if (update->has_max_concurrency) {
        store_arguments_add(list, MAP_RUN_FIELD_MAX_CONCURRENCY);
        store_arguments_add_number(list, update->max_concurrency);
    }
    if (update->has_tolerated_failure_percentage) {
        snprintf(percentage, sizeof(percentage), "%.15g", update->tolerated_failure_percentage);
        store_arguments_add(list, MAP_RUN_FIELD_TOLERATED_PERCENTAGE);
        store_arguments_add(list, percentage);
    }
    if (update->has_tolerated_failure_count) {
        store_arguments_add(list, MAP_RUN_FIELD_TOLERATED_COUNT);
        store_arguments_add_number(list, update->tolerated_failure_count);
    }
}

int map_run_store_update(struct redis_client *client, const char *map_run_id, const struct map_run_update *update,
                         map_run_update_callback callback, void *data)
{
    char key[MAP_RUN_STORE_KEY_SIZE];
    struct store_arguments list = { 0 };
    struct map_run_read *read = NULL;
    int result = begin_read(map_run_id, key, data, &read);
    if (result < 0)
        return result;
    read->callback.update = callback;
    store_arguments_add(&list, key);
    add_update_arguments(&list, update);
    result = store_arguments_eval(client, &update_script, 1, &list, on_updated, read);
    if (result < 0)
        free(read);
    return result;
}
