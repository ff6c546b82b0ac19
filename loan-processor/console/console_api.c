/*
 * console_api - see console_api.h.
 */
#include "console_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "execution_store.h"
#include "graph_layout.h"
#include "local_topic.h"
#include "log.h"
#include "sfn_arn.h"
#include "state_machine.h"
#include "state_machine_store.h"
#include "valuation_keys.h"
#include "valuation_tokens.h"
#include "wall_clock.h"

/* Error-topic messages read per execution view: the stream is read from the execution's start, this many at most. */
#define MAX_TOPIC_MESSAGES_READ 1000
/* Live branches listed per execution view; the view says when more exist. */
#define MAX_BRANCHES_LISTED 200

/* One view being built: the request it answers and what the steps so far found. */
struct view_operation {
    struct http_request *request;
    struct console_api *api;
    struct execution_record *record;
    cJSON *branches; /* the execution view's live branches, once read */
    bool branches_truncated;
    char arn[2 * SFN_ARN_PART_SIZE + 64];
    char execution_id[SFN_ARN_PART_SIZE];
};

static void reply_unavailable(struct http_request *request)
{
    http_request_reply_error(request, 503, "ServiceUnavailable", "Redis is unavailable; try again shortly");
}

static void reply_out_of_memory(struct http_request *request)
{
    http_request_reply_error(request, 503, "ServiceUnavailable", "Out of memory");
}

/* Answers a failed start of a Redis step (nothing was sent). */
static void reply_start_failure(struct http_request *request, int result)
{
    if (result == -ENOMEM)
        reply_out_of_memory(request);
    else
        reply_unavailable(request);
}

static struct view_operation *view_operation_create(struct http_request *request, struct console_api *api,
                                                    const char *arn)
{
    struct view_operation *operation = calloc(1, sizeof(*operation));
    if (!operation) {
        reply_out_of_memory(request);
        return NULL;
    }
    operation->request = request;
    operation->api = api;
    snprintf(operation->arn, sizeof(operation->arn), "%s", arn);
    return operation;
}

static void view_operation_free(struct view_operation *operation)
{
    execution_store_record_free(operation->record);
    cJSON_Delete(operation->branches);
    free(operation);
}

/* ---- graph ---- */

/* The kept answer for hash, or NULL. */
static struct console_graph_answer *kept_graph(struct console_api *api, const char *hash)
{
    for (size_t i = 0; i < CONSOLE_API_GRAPH_CACHE_SIZE; i++) {
        if (api->graphs[i].body != NULL && strcmp(api->graphs[i].hash, hash) == 0) {
            api->graphs[i].last_used = ++api->graph_clock;
            return &api->graphs[i];
        }
    }
    return NULL;
}

/* Keeps body (taking it) as the answer for hash, in a free slot or the least recently used one. */
static void keep_graph(struct console_api *api, const char *hash, unsigned status, char *body)
{
    struct console_graph_answer *slot = &api->graphs[0];

    for (size_t i = 1; i < CONSOLE_API_GRAPH_CACHE_SIZE && slot->body != NULL; i++) {
        if (api->graphs[i].body == NULL || api->graphs[i].last_used < slot->last_used)
            slot = &api->graphs[i];
    }
    free(slot->body);
    snprintf(slot->hash, sizeof slot->hash, "%s", hash);
    slot->status = status;
    slot->body = body;
    slot->last_used = ++api->graph_clock;
}

void console_api_clear(struct console_api *api)
{
    for (size_t i = 0; i < CONSOLE_API_GRAPH_CACHE_SIZE; i++) {
        free(api->graphs[i].body);
        api->graphs[i] = (struct console_graph_answer){ 0 };
    }
}

/*
 * The graph answer for definition: status 200 and the layout's JSON text,
 * or 400 and the message refusing to draw it. The caller frees body with
 * free(). -ENOMEM when out of memory.
 */
static int compute_graph(const char *definition, unsigned *status, char **body)
{
    struct state_machine *machine = NULL;
    struct graph_layout *layout = NULL;
    cJSON *json = NULL;
    char error[512];
    int result = state_machine_parse(definition, strlen(definition), &machine, error, sizeof(error));

    if (result == 0)
        result = graph_layout_compute(machine, &layout);
    if (result == 0 && (json = graph_layout_to_json(layout)) == NULL)
        result = -ENOMEM;
    *status = result == 0 ? 200 : 400;
    *body = NULL;
    if (result == 0) {
        char *printed = cJSON_PrintUnformatted(json);
        *body = printed != NULL ? strdup(printed) : NULL;
        cJSON_free(printed);
    } else if (result == -EINVAL && asprintf(body, "The definition cannot be drawn: %s", error) < 0) {
        *body = NULL;
    } else if (result == -E2BIG) {
        *body = strdup("The definition has too many states to draw");
    }
    cJSON_Delete(json);
    graph_layout_free(layout);
    state_machine_free(machine);
    return *body != NULL ? 0 : -ENOMEM;
}

static void reply_graph(struct http_request *request, unsigned status, const char *body)
{
    if (status == 200)
        http_request_reply(request, 200, "application/json", body, strlen(body));
    else
        http_request_reply_error(request, status, "InvalidDefinition", "%s", body);
}

/* Answers with the graph of definition (whose content hash is hash), computed once and kept. */
static void reply_layout(struct http_request *request, struct console_api *api, const char *hash,
                         const char *definition)
{
    struct console_graph_answer *kept = hash != NULL ? kept_graph(api, hash) : NULL;
    unsigned status;
    char *body;

    if (kept != NULL) {
        reply_graph(request, kept->status, kept->body);
        return;
    }
    if (compute_graph(definition, &status, &body) < 0) {
        reply_out_of_memory(request);
        return;
    }
    reply_graph(request, status, body);
    if (hash != NULL)
        keep_graph(api, hash, status, body);
    else
        free(body);
}

static void on_machine_loaded(int status, struct state_machine_record *record, void *data)
{
    struct view_operation *operation = data;
    if (status < 0)
        reply_unavailable(operation->request);
    else if (!record || !record->definition)
        http_request_reply_error(operation->request, 404, "StateMachineDoesNotExist",
                                 "State Machine Does Not Exist: '%s'", operation->arn);
    else
        reply_layout(operation->request, operation->api, record->definition_hash, record->definition);
    state_machine_store_record_free(record);
    view_operation_free(operation);
}

static void on_definition_loaded(int status, const char *definition, void *data)
{
    struct view_operation *operation = data;
    if (status < 0 || !definition)
        reply_unavailable(operation->request); /* an execution's definition is never deleted */
    else
        reply_layout(operation->request, operation->api, operation->record->definition_hash, definition);
    view_operation_free(operation);
}

/*
 * Keeps a loaded execution record in operation. Returns whether there is
 * one; if not, answers (503 without Redis, 404 for no such execution).
 */
static bool execution_loaded(struct view_operation *operation, int status, struct execution_record *record)
{
    operation->record = record;
    if (status < 0)
        reply_unavailable(operation->request);
    else if (!record)
        http_request_reply_error(operation->request, 404, "ExecutionDoesNotExist", "Execution Does Not Exist: '%s'",
                                 operation->arn);
    return status >= 0 && record;
}

static void on_graph_execution_loaded(int status, struct execution_record *record, void *data)
{
    struct view_operation *operation = data;
    if (execution_loaded(operation, status, record)) {
        int result = state_machine_store_load_definition(operation->api->redis, record->definition_hash,
                                                         on_definition_loaded, operation);
        if (result == 0)
            return;
        reply_start_failure(operation->request, result);
    }
    view_operation_free(operation);
}

/*
 * Reads the query parameter name and parses it as an ARN of type into arn.
 * Returns the ARN text, or NULL after answering 400.
 */
static const char *arn_parameter(struct http_request *request, const char *name, enum sfn_arn_type type,
                                 struct sfn_arn *arn)
{
    const char *text = http_request_query(request, name);
    char error[512];
    if (!text || !*text) {
        http_request_reply_error(request, 400, "InvalidArn", "Invalid Arn: the query parameter '%s' is missing", name);
        return NULL;
    }
    if (sfn_arn_parse(text, type, arn, error, sizeof(error)) < 0) {
        http_request_reply_error(request, 400, "InvalidArn", "%s", error);
        return NULL;
    }
    return text;
}

void console_api_graph(struct http_request *request, struct console_api *api)
{
    bool of_execution = http_request_query(request, "executionArn") != NULL;
    if (of_execution == (http_request_query(request, "stateMachineArn") != NULL)) {
        http_request_reply_error(request, 400, "InvalidParameter",
                                 "Give exactly one of the query parameters stateMachineArn and executionArn");
        return;
    }
    struct sfn_arn arn;
    const char *text = of_execution ? arn_parameter(request, "executionArn", SFN_ARN_EXECUTION, &arn)
                                    : arn_parameter(request, "stateMachineArn", SFN_ARN_STATE_MACHINE, &arn);
    struct view_operation *operation = text ? view_operation_create(request, api, text) : NULL;
    if (!operation)
        return;
    int result = of_execution
                     ? execution_store_load(api->redis, arn.execution_id, on_graph_execution_loaded, operation)
                     : state_machine_store_load(api->redis, arn.state_machine, true, on_machine_loaded, operation);
    if (result < 0) {
        reply_start_failure(request, result);
        view_operation_free(operation);
    }
}

/* ---- execution ---- */

static bool add_time_or_null(cJSON *object, const char *name, int64_t epoch_ms)
{
    return epoch_ms > 0 ? cJSON_AddNumberToObject(object, name, (double)epoch_ms) != NULL
                        : cJSON_AddNullToObject(object, name) != NULL;
}

static bool add_string_or_null(cJSON *object, const char *name, const char *value)
{
    return value ? cJSON_AddStringToObject(object, name, value) != NULL : cJSON_AddNullToObject(object, name) != NULL;
}

/* Where a running execution rests: null unless it is RUNNING and rests in a state. */
static bool add_waiting(cJSON *view, const struct execution_record *record)
{
    if (!record->status || strcmp(record->status, "RUNNING") != 0 || !record->state || !record->resting)
        return cJSON_AddNullToObject(view, "waiting") != NULL;
    cJSON *waiting = cJSON_AddObjectToObject(view, "waiting");
    return waiting && cJSON_AddStringToObject(waiting, "state", record->state)
           && cJSON_AddStringToObject(waiting, "kind", record->resting)
           && add_time_or_null(waiting, "enteredAt", record->state_entered_ms)
           && add_string_or_null(waiting, "resource", record->task_resource)
           && add_string_or_null(waiting, "taskToken", record->task_token)
           && add_time_or_null(waiting, "timeoutAt", record->task_timeout_ms)
           && add_time_or_null(waiting, "heartbeatAt", record->heartbeat_due_ms)
           && add_time_or_null(waiting, "timerDueAt", record->timer_due_ms);
}

static bool add_time_if_set(cJSON *object, const char *name, int64_t epoch_ms)
{
    return epoch_ms <= 0 || cJSON_AddNumberToObject(object, name, (double)epoch_ms) != NULL;
}

static bool add_string_if_set(cJSON *object, const char *name, const char *value)
{
    return !value || cJSON_AddStringToObject(object, name, value) != NULL;
}

/* A Map iteration's index as a number (the record keeps it as decimal text); nothing for a Parallel branch. */
static bool add_map_index(cJSON *object, const char *map_index)
{
    char *end = NULL;
    double index = map_index ? strtod(map_index, &end) : 0;
    if (!map_index)
        return true;
    return *end == '\0' && end != map_index ? cJSON_AddNumberToObject(object, "mapIndex", index) != NULL
                                            : cJSON_AddStringToObject(object, "mapIndex", map_index) != NULL;
}

/* One live branch: where it rests and what it waits for (the fields it lacks are left out). */
static cJSON *branch_json(const struct execution_branch_entry *entry)
{
    const struct execution_record *record = entry->record;
    cJSON *branch = cJSON_CreateObject();
    if (branch && cJSON_AddStringToObject(branch, "branchId", entry->branch_id)
        && add_string_or_null(branch, "state", record->state) && add_string_or_null(branch, "resting", record->resting)
        && add_time_if_set(branch, "enteredAt", record->state_entered_ms) && add_map_index(branch, record->map_index)
        && add_string_if_set(branch, "taskToken", record->task_token)
        && add_string_if_set(branch, "taskResource", record->task_resource)
        && add_time_if_set(branch, "timerDue", record->timer_due_ms)
        && add_time_if_set(branch, "timeoutAt", record->task_timeout_ms)
        && add_time_if_set(branch, "heartbeatAt", record->heartbeat_due_ms))
        return branch;
    cJSON_Delete(branch);
    return NULL;
}

/* The live branches as the view lists them, in the order of their ids; NULL when out of memory. */
static cJSON *branches_json(const struct execution_branch_entry *entries, size_t count)
{
    cJSON *branches = cJSON_CreateArray();
    for (size_t i = 0; branches && i < count; i++) {
        cJSON *branch = branch_json(&entries[i]);
        if (!branch || !cJSON_AddItemToArray(branches, branch)) {
            cJSON_Delete(branch);
            cJSON_Delete(branches);
            return NULL;
        }
    }
    return branches;
}

/* The topic's messages that name execution_arn, oldest first. */
static cJSON *topic_messages_of(const struct local_topic_entry *entries, size_t count, const char *execution_arn)
{
    cJSON *messages = cJSON_CreateArray();
    for (size_t i = 0; messages && i < count; i++) {
        const struct local_topic_entry *entry = &entries[i];
        if (!entry->execution_arn || strcmp(entry->execution_arn, execution_arn) != 0)
            continue;
        cJSON *message = cJSON_CreateObject();
        if (!message || !cJSON_AddItemToArray(messages, message)
            || !add_string_or_null(message, "messageId", entry->message_id)
            || !add_string_or_null(message, "timestamp", entry->timestamp)
            || !add_string_or_null(message, "subject", entry->subject)
            || !add_string_or_null(message, "message", entry->message)) {
            cJSON_Delete(messages);
            return NULL;
        }
    }
    return messages;
}

static cJSON *execution_view(struct view_operation *operation, const struct local_topic_entry *entries, size_t count)
{
    const struct console_api *api = operation->api;
    const struct execution_record *record = operation->record;
    struct sfn_arn arn;
    char error[256], execution_key[1024], history_key[1024], branches_key[1024];
    if (sfn_arn_parse(record->arn, SFN_ARN_EXECUTION, &arn, error, sizeof(error)) < 0
        || execution_store_key(arn.execution_id, execution_key, sizeof(execution_key)) < 0
        || execution_store_history_key(arn.execution_id, history_key, sizeof(history_key)) < 0
        || execution_store_branches_key(arn.execution_id, branches_key, sizeof(branches_key)) < 0)
        return NULL;
    cJSON *view = cJSON_CreateObject();
    cJSON *keys = view ? cJSON_CreateObject() : NULL;
    if (!keys || !cJSON_AddStringToObject(view, "executionArn", record->arn)
        || !add_string_or_null(view, "status", record->status)
        || !add_string_if_set(view, "mockTestCase", record->mock_test_case)
        || !cJSON_AddNumberToObject(view, "now", (double)wall_clock_now_ms())
        || !cJSON_AddItemToObject(view, "redisKeys", keys)) {
        cJSON_Delete(keys);
        cJSON_Delete(view);
        return NULL;
    }
    cJSON *messages = NULL;
    if (!cJSON_AddStringToObject(keys, "execution", execution_key)
        || !cJSON_AddStringToObject(keys, "history", history_key)
        || !cJSON_AddStringToObject(keys, "branches", branches_key) || !add_waiting(view, record)
        || !cJSON_AddStringToObject(view, "topic", api->topic_name)
        || !(messages = topic_messages_of(entries, count, record->arn))
        || !cJSON_AddItemToObject(view, "topicMessages", messages)) {
        cJSON_Delete(messages); /* cJSON_AddItemToObject fails only before attaching it */
        cJSON_Delete(view);
        return NULL;
    }
    if (!cJSON_AddItemToObject(view, "branches", operation->branches)) {
        cJSON_Delete(view);
        return NULL;
    }
    operation->branches = NULL; /* the view owns them now */
    if (!cJSON_AddBoolToObject(view, "branchesTruncated", operation->branches_truncated)) {
        cJSON_Delete(view);
        return NULL;
    }
    return view;
}

static void on_topic_read(int status, const struct local_topic_entry *entries, size_t count, void *data)
{
    struct view_operation *operation = data;
    if (status < 0) {
        reply_start_failure(operation->request, status);
    } else {
        cJSON *view = execution_view(operation, entries, count);
        if (view)
            http_request_reply_json(operation->request, 200, view);
        else
            reply_out_of_memory(operation->request);
    }
    view_operation_free(operation);
}

static void on_branches_read(int status, const struct execution_branch_entry *entries, size_t count, bool truncated,
                             void *data)
{
    struct view_operation *operation = data;
    int result = status;
    if (result == 0 && !(operation->branches = branches_json(entries, count)))
        result = -ENOMEM;
    operation->branches_truncated = truncated;
    /* The execution's messages were published after its start. */
    if (result == 0)
        result =
            local_topic_read(operation->api->redis, operation->api->topic_name, (long long)operation->record->start_ms,
                             MAX_TOPIC_MESSAGES_READ, on_topic_read, operation);
    if (result == 0)
        return;
    reply_start_failure(operation->request, result);
    view_operation_free(operation);
}

static void on_view_execution_loaded(int status, struct execution_record *record, void *data)
{
    struct view_operation *operation = data;
    if (execution_loaded(operation, status, record)) {
        int result = execution_store_read_branches(operation->api->redis, operation->execution_id, MAX_BRANCHES_LISTED,
                                                   on_branches_read, operation);
        if (result == 0)
            return;
        reply_start_failure(operation->request, result);
    }
    view_operation_free(operation);
}

void console_api_execution(struct http_request *request, struct console_api *api)
{
    struct sfn_arn arn;
    const char *text = arn_parameter(request, "executionArn", SFN_ARN_EXECUTION, &arn);
    struct view_operation *operation = text ? view_operation_create(request, api, text) : NULL;
    if (!operation)
        return;
    snprintf(operation->execution_id, sizeof(operation->execution_id), "%s", arn.execution_id);
    int result = execution_store_load(api->redis, arn.execution_id, on_view_execution_loaded, operation);
    if (result < 0) {
        reply_start_failure(request, result);
        view_operation_free(operation);
    }
}

/* ---- valuation ---- */

enum valuation_read_kind { READ_TIME, READ_CALLBACK, READ_DUE, READ_LEASE };

struct pending_callback {
    char *url;
    char *body;
    long long attempts;
    long long due_ms; /* -1: not in the due set */
    bool delivering;  /* in the in-flight set: being POSTed now */
};

struct valuation_view;

/* One Redis read of the view and where its answer goes. */
struct valuation_read {
    struct valuation_view *view;
    enum valuation_read_kind kind;
    int copy; /* the callback copy, 0-based, for the callback reads */
};

/*
 * The reads go out together (one write) and the view is answered when the
 * last reply is in: the token's (valuation_tokens_peek), Redis's clock, and
 * three per callback copy.
 */
#define VALUATION_READS (1 + 3 * VALUATION_KEYS_MAX_COPIES)

struct valuation_view {
    struct http_request *request;
    struct redis_client *redis;
    char reference[VALUATION_REFERENCE_MAX_LENGTH + 1];
    struct valuation_read reads[VALUATION_READS];
    int sent;
    int outstanding; /* sent and not answered yet */
    bool failed;
    char *token;
    long long token_ttl_ms; /* -1: no expiry or no key */
    long long now_ms;       /* Redis's clock: the callbacks' due times are on it */
    struct pending_callback callbacks[VALUATION_KEYS_MAX_COPIES];
};

static void valuation_view_free(struct valuation_view *view)
{
    free(view->token);
    for (int i = 0; i < VALUATION_KEYS_MAX_COPIES; i++) {
        free(view->callbacks[i].url);
        free(view->callbacks[i].body);
    }
    free(view);
}

static char *copy_string_reply(const redisReply *reply)
{
    return reply->type == REDIS_REPLY_STRING ? strdup(reply->str) : NULL;
}

static long long score_of(const redisReply *reply)
{
    return reply->type == REDIS_REPLY_STRING ? strtoll(reply->str, NULL, 10) : -1;
}

/* The reply to HMGET <callback> url body attempts. */
static void store_callback_fields(struct pending_callback *callback, const redisReply *reply)
{
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3)
        return;
    callback->url = copy_string_reply(reply->element[0]);
    callback->body = copy_string_reply(reply->element[1]);
    callback->attempts = reply->element[2]->type == REDIS_REPLY_STRING ? strtoll(reply->element[2]->str, NULL, 10) : 0;
}

static void store_read(struct valuation_read *read, const redisReply *reply)
{
    struct valuation_view *view = read->view;
    struct pending_callback *callback = &view->callbacks[read->copy];
    switch (read->kind) {
    case READ_TIME:
        if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2)
            view->now_ms =
                strtoll(reply->element[0]->str, NULL, 10) * 1000 + strtoll(reply->element[1]->str, NULL, 10) / 1000;
        break;
    case READ_CALLBACK:
        store_callback_fields(callback, reply);
        break;
    case READ_DUE:
        callback->due_ms = score_of(reply);
        break;
    case READ_LEASE:
        callback->delivering = score_of(reply) >= 0;
        break;
    }
}

/* The valuation service's id and hash key of a reference's callback copy (0-based). */
static void callback_id_and_key(const char *reference, int copy, char id[128], char key[256])
{
    snprintf(id, 128, VALUATION_KEYS_CALLBACK_ID_FORMAT, reference, copy + 1);
    snprintf(key, 256, VALUATION_KEYS_CALLBACK_PREFIX "%s", id);
}

static cJSON *callback_json(const struct valuation_view *view, int copy)
{
    const struct pending_callback *callback = &view->callbacks[copy];
    char id[128], key[256];
    callback_id_and_key(view->reference, copy, id, key);
    cJSON *body = NULL;
    cJSON *json = cJSON_CreateObject();
    if (!json || !cJSON_AddStringToObject(json, "key", key) || !add_string_or_null(json, "url", callback->url))
        goto failed;
    body = callback->body ? cJSON_Parse(callback->body) : NULL;
    if (!body)
        body = callback->body ? cJSON_CreateString(callback->body) : cJSON_CreateNull();
    if (!body || !cJSON_AddItemToObject(json, "body", body)) {
        cJSON_Delete(body);
        goto failed;
    }
    if (!add_time_or_null(json, "dueAt", callback->due_ms)
        || !cJSON_AddNumberToObject(json, "attempts", (double)callback->attempts)
        || !cJSON_AddBoolToObject(json, "delivering", callback->delivering))
        goto failed;
    return json;
failed:
    cJSON_Delete(json);
    return NULL;
}

static cJSON *valuation_json(const struct valuation_view *view)
{
    char token_key[256];
    valuation_tokens_key(view->reference, token_key, sizeof(token_key));
    cJSON *json = cJSON_CreateObject();
    cJSON *callbacks = cJSON_AddArrayToObject(json, "pendingCallbacks");
    long long expires_ms = view->token && view->token_ttl_ms >= 0 ? view->now_ms + view->token_ttl_ms : 0;
    if (!json || !callbacks || !cJSON_AddStringToObject(json, "reference", view->reference)
        || !cJSON_AddStringToObject(json, "tokenKey", token_key) || !add_string_or_null(json, "taskToken", view->token)
        || !add_time_or_null(json, "tokenExpiresAt", expires_ms)
        || !cJSON_AddNumberToObject(json, "now", (double)view->now_ms)) {
        cJSON_Delete(json);
        return NULL;
    }
    for (int copy = 0; copy < VALUATION_KEYS_MAX_COPIES; copy++) {
        if (!view->callbacks[copy].body)
            continue; /* no such callback: delivered, given up on, or never scheduled */
        cJSON *callback = callback_json(view, copy);
        if (!callback || !cJSON_AddItemToArray(callbacks, callback)) {
            cJSON_Delete(callback);
            cJSON_Delete(json);
            return NULL;
        }
    }
    return json;
}

static void finish_valuation_view(struct valuation_view *view)
{
    cJSON *json = view->failed ? NULL : valuation_json(view);
    if (json)
        http_request_reply_json(view->request, 200, json);
    else if (view->failed)
        reply_unavailable(view->request);
    else
        reply_out_of_memory(view->request);
    valuation_view_free(view);
}

static void valuation_read_done(struct valuation_view *view)
{
    if (--view->outstanding == 0)
        finish_valuation_view(view);
}

static void on_valuation_read(redisReply *reply, void *data)
{
    struct valuation_read *read = data;
    if (!reply || reply->type == REDIS_REPLY_ERROR)
        read->view->failed = true;
    else
        store_read(read, reply);
    valuation_read_done(read->view);
}

static void on_token_peeked(int status, const char *token, long long ttl_ms, void *data)
{
    struct valuation_view *view = data;
    if (status < 0 || (token && !(view->token = strdup(token))))
        view->failed = true;
    view->token_ttl_ms = ttl_ms;
    valuation_read_done(view);
}

/* Sends one read unless one has failed already; a read that cannot be sent fails the view. */
static void send_read(struct valuation_view *view, enum valuation_read_kind kind, int copy, int argc, const char **argv)
{
    if (view->failed)
        return;
    struct valuation_read *read = &view->reads[view->sent];
    *read = (struct valuation_read){ view, kind, copy };
    if (redis_client_command_strings(view->redis, on_valuation_read, read, argc, argv) < 0) {
        view->failed = true;
        return;
    }
    view->sent++;
    view->outstanding++;
}

void console_api_valuation(struct http_request *request, struct console_api *api)
{
    const char *reference = http_request_query(request, "reference");
    if (!reference || !valuation_tokens_valid_reference(reference)) {
        http_request_reply_error(request, 400, "InvalidParameter",
                                 "The query parameter 'reference' must be a valuationReference: 1-%d characters of "
                                 "A-Z, a-z, 0-9, '_' and '-'",
                                 VALUATION_REFERENCE_MAX_LENGTH);
        return;
    }
    struct valuation_view *view = calloc(1, sizeof(*view));
    if (!view) {
        reply_out_of_memory(request);
        return;
    }
    view->request = request;
    view->redis = api->redis;
    view->token_ttl_ms = -1;
    snprintf(view->reference, sizeof(view->reference), "%s", reference);
    if (valuation_tokens_peek(view->redis, view->reference, on_token_peeked, view) < 0)
        view->failed = true;
    else
        view->outstanding++;
    send_read(view, READ_TIME, 0, 1, (const char *[]){ "TIME" });
    for (int copy = 0; copy < VALUATION_KEYS_MAX_COPIES; copy++) {
        char id[128], key[256];
        view->callbacks[copy].due_ms = -1;
        callback_id_and_key(view->reference, copy, id, key);
        send_read(view, READ_CALLBACK, copy, 5, (const char *[]){ "HMGET", key, "url", "body", "attempts" });
        send_read(view, READ_DUE, copy, 3, (const char *[]){ "ZSCORE", VALUATION_KEYS_DUE, id });
        send_read(view, READ_LEASE, copy, 3, (const char *[]){ "ZSCORE", VALUATION_KEYS_IN_FLIGHT, id });
    }
    if (view->outstanding == 0) /* nothing went out: no reply will come */
        finish_valuation_view(view);
}
