/* execution_store - see execution_store.h. */
#include "execution_store.h"
#include "history_codec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "execution_record.h"
#include "log.h"
#include "store_arguments.h"
#include "store_scripts.h"

/* The keys of shard NN share the hash tag {sfn:NN}; see execution_store.h. */
#define RECORD_KEY_FORMAT "{sfn:%02u}:execution:%s"
#define HISTORY_KEY_FORMAT "{sfn:%02u}:history:%s"
#define TIMERS_KEY_FORMAT "{sfn:%02u}:timers"
/* A machine's index of executions: tagged by its name, so that its versions' and aliases' share its slot. */
#define INDEX_KEY_FORMAT "{sfn:executions:%.*s}:%s"
#define MACHINE_ARN_MARKER ":stateMachine:"
/* state_machine_store.c's index of state machines: its presence marks data older than the shard setting. */
#define STATE_MACHINES_INDEX_KEY "{sfn}:state-machines"
/* What an execution ARN holds before the execution's id ("<stateMachine>:<execution>"). */
#define EXECUTION_ARN_ID_MARKER ":execution:"
/* A listing looks at most this many index entries beyond the page it returns (a status filter may skip them). */
#define LIST_SCAN_EXTRA 1000
/*
 * Fewest index entries whose records one listing round fetches: a round
 * asks for what the page still lacks, but not less, so that a status filter
 * that skips most entries needs a few rounds, not one per entry.
 */
#define LIST_ROUND_MIN 100

/*
 * The Lua scripts; scripts/<name>.lua says what each takes and returns. Those that create or change an execution
 * are durable: with REDIS_WAIT_REPLICAS, their writes reach that many replicas before they are acknowledged.
 */
static struct redis_script create_script = { .name = "create-execution",
                                             .source = store_create_execution_lua,
                                             .durable = true };

static struct redis_script commit_script = { .name = "commit-execution",
                                             .source = store_commit_execution_lua,
                                             .durable = true };

static struct redis_script heartbeat_script = { .name = "heartbeat-task", .source = store_heartbeat_task_lua };

static struct redis_script claim_script = { .name = "claim-timers", .source = store_claim_timers_lua };

static struct redis_script restore_timer_script = { .name = "restore-timer", .source = store_restore_timer_lua };

static struct redis_script fetch_summaries_script = { .name = "fetch-execution-summaries",
                                                      .source = store_fetch_execution_summaries_lua };

static struct redis_script load_branch_script = { .name = "load-branch", .source = store_load_branch_lua };

static struct redis_script commit_branch_script = { .name = "commit-branch",
                                                    .source = store_commit_branch_lua,
                                                    .durable = true };

static struct redis_script read_branches_script = { .name = "read-branches", .source = store_read_branches_lua };

static struct redis_script settle_shards_script = { .name = "settle-shards", .source = store_settle_shards_lua };

static unsigned shard_count = EXECUTION_STORE_LEGACY_SHARDS;

int execution_store_init(struct redis_client *client)
{
    struct redis_script *const scripts[] = { &create_script,       &commit_script,        &heartbeat_script,
                                             &claim_script,        &restore_timer_script, &fetch_summaries_script,
                                             &load_branch_script,  &commit_branch_script, &read_branches_script,
                                             &settle_shards_script };
    return redis_client_add_scripts(client, scripts, sizeof(scripts) / sizeof(scripts[0]));
}

unsigned execution_store_shard_count(void)
{
    return shard_count;
}

void execution_store_set_shard_count(unsigned count)
{
    if (count >= 1 && count <= EXECUTION_STORE_MAX_SHARDS)
        shard_count = count;
}

struct settle_request {
    store_shards_callback callback;
    void *data;
};

static void on_shards_settled(redisReply *reply, void *data)
{
    struct settle_request *request = data;
    int status = -EIO;
    unsigned shards = 0;
    if (reply && reply->type == REDIS_REPLY_STRING) {
        char *end;
        unsigned long stored = strtoul(reply->str, &end, 10);
        status = *end || stored < 1 || stored > EXECUTION_STORE_MAX_SHARDS ? -EPROTO : 0;
        shards = status == 0 ? (unsigned)stored : 0;
    } else if (reply && reply->type == REDIS_REPLY_ERROR) {
        status = -EPROTO;
    }
    request->callback(status, shards, request->data);
    free(request);
}

int execution_store_settle_shards(struct redis_client *client, unsigned wanted, store_shards_callback callback,
                                  void *data)
{
    char count[16];
    snprintf(count, sizeof(count), "%u", wanted);
    struct settle_request *request = malloc(sizeof(*request));
    if (!request)
        return -ENOMEM;
    *request = (struct settle_request){ callback, data };
    const char *argv[] = { EXECUTION_STORE_SETTINGS_KEY, STATE_MACHINES_INDEX_KEY, count };
    int result = redis_client_eval_strings(client, &settle_shards_script, on_shards_settled, request, 2, 3, argv);
    if (result < 0)
        free(request);
    return result;
}

unsigned execution_store_shard(const char *execution_id)
{
    uint32_t hash = 2166136261u;
    for (const unsigned char *byte = (const unsigned char *)execution_id; *byte; byte++)
        hash = (hash ^ *byte) * 16777619u;
    return hash % shard_count;
}

/* The return of a key builder whose snprintf() gave length. */
static int key_result(int length, size_t size)
{
    return length < 0 ? -EINVAL : (size_t)length >= size ? -ENAMETOOLONG : 0;
}

int execution_store_key(const char *execution_id, char *out, size_t size)
{
    return key_result(snprintf(out, size, RECORD_KEY_FORMAT, execution_store_shard(execution_id), execution_id), size);
}

int execution_store_history_key(const char *execution_id, char *out, size_t size)
{
    return key_result(snprintf(out, size, HISTORY_KEY_FORMAT, execution_store_shard(execution_id), execution_id), size);
}

int execution_store_timers_key(unsigned shard, char *out, size_t size)
{
    return key_result(snprintf(out, size, TIMERS_KEY_FORMAT, shard), size);
}

int execution_store_index_key(const char *state_machine_arn, char *out, size_t size)
{
    const char *name = strstr(state_machine_arn, MACHINE_ARN_MARKER);
    name = name ? name + strlen(MACHINE_ARN_MARKER) : state_machine_arn;
    int name_length = (int)strcspn(name, ":");
    return key_result(snprintf(out, size, INDEX_KEY_FORMAT, name_length, name, state_machine_arn), size);
}

/* The keys one execution's scripts touch. */
struct execution_keys {
    char record[EXECUTION_STORE_KEY_SIZE];
    char history[EXECUTION_STORE_KEY_SIZE];
    char timers[32];
};

/* Builds the keys of execution_id. Returns 0 or -ENAMETOOLONG. */
static int execution_keys_of(const char *execution_id, struct execution_keys *keys)
{
    int result = execution_store_key(execution_id, keys->record, sizeof(keys->record));
    if (result == 0)
        result = execution_store_history_key(execution_id, keys->history, sizeof(keys->history));
    if (result == 0)
        result = execution_store_timers_key(execution_store_shard(execution_id), keys->timers, sizeof(keys->timers));
    return result;
}

void execution_store_record_free(struct execution_record *record)
{
    execution_record_free(record);
}

/* Builds a record from HGETALL's flat name/value array, starting at first. Returns 0, -EINVAL or -ENOMEM. */
static int record_from_reply(const redisReply *reply, size_t first, struct execution_record **record_out)
{
    size_t count = 0;
    struct execution_hash_entry *entries = calloc(reply->elements / 2 + 1, sizeof(*entries));
    if (!entries)
        return -ENOMEM;
    for (size_t i = first; i + 1 < reply->elements; i += 2) {
        const redisReply *name = reply->element[i], *value = reply->element[i + 1];
        if (name->type == REDIS_REPLY_STRING && value->type == REDIS_REPLY_STRING)
            entries[count++] = (struct execution_hash_entry){ name->str, value->str, value->len };
    }
    int result = execution_record_from_hash(entries, count, record_out);
    free(entries);
    return result;
}

struct load_request {
    store_load_callback callback;
    void *data;
};

static void on_loaded(redisReply *reply, void *data)
{
    struct load_request *request = data;
    struct execution_record *record = NULL;
    int status = -EIO;
    if (reply && reply->type == REDIS_REPLY_ARRAY) {
        status = reply->elements == 0 ? 0 : record_from_reply(reply, 0, &record);
        if (status < 0)
            status = -EIO;
    }
    request->callback(status, record, request->data);
    free(request);
}

int execution_store_load(struct redis_client *client, const char *execution_id, store_load_callback callback,
                         void *data)
{
    char key[EXECUTION_STORE_KEY_SIZE];
    int result = execution_store_key(execution_id, key, sizeof(key));
    if (result < 0)
        return result;
    struct load_request *request = malloc(sizeof(*request));
    if (!request)
        return -ENOMEM;
    request->callback = callback;
    request->data = data;
    const char *argv[] = { "HGETALL", key };
    result = redis_client_command_strings(client, on_loaded, request, 2, argv);
    if (result < 0)
        free(request);
    return result;
}

/* The events of a commit or a create: none when events is NULL. */
static const struct execution_events *events_or_none(const struct execution_events *events)
{
    static const struct execution_events none = { 0 };
    return events ? events : &none;
}

/* Appends the placeholder flag and the names of the fields holding placeholders (see _append_events.lua). */
static void arguments_add_placeholders(struct store_arguments *list, const struct execution_events *events)
{
    char names[512] = "";
    size_t length = 0;
    for (size_t i = 0; events->has_placeholders && i < EXECUTION_RECORD_FIELD_COUNT; i++) {
        const char *name = (events->placeholder_fields & (1u << i)) ? execution_record_field_name(1u << i) : NULL;
        if (name)
            length += (size_t)snprintf(names + length, sizeof(names) - length, "%s%s", length ? "," : "", name);
    }
    store_arguments_add(list, events->has_placeholders ? "1" : "");
    store_arguments_add(list, names);
}

/* Appends each event: its previous reference and its body, encoded (history_codec.h). */
static void arguments_add_events(struct store_arguments *list, const struct execution_events *events)
{
    for (size_t i = 0; i < events->count; i++) {
        char *encoded = NULL;
        store_arguments_add(list, events->items[i].previous);
        if (history_codec_encode(events->items[i].body, &encoded) < 0)
            list->failed = true;
        store_arguments_add_owned(list, encoded);
    }
}

/* Appends the keys of one execution: record, history, timers. */
static void arguments_add_keys(struct store_arguments *list, const struct execution_keys *keys)
{
    store_arguments_add(list, keys->record);
    store_arguments_add(list, keys->history);
    store_arguments_add(list, keys->timers);
}

/*
 * A create: the execution's index entries first, then, once Redis has them all, the create script. The index is
 * in another slot (another node of a cluster), so only waiting for their replies orders the two.
 */
struct create_request {
    store_create_callback callback;
    void *data;
    struct redis_client *client;
    struct store_arguments list; /* the create script's arguments */
    int index_pending;           /* index entries sent and not answered */
    bool index_failed;           /* one of them got no reply or an error */
};

static void on_created(redisReply *reply, void *data) /* see scripts/create_execution.lua */
{
    struct create_request *request = data;
    struct execution_record *record = NULL;
    int status = -EIO;
    bool created = false;
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1
        && reply->element[0]->type == REDIS_REPLY_INTEGER) {
        created = reply->element[0]->integer == 1;
        status = created || record_from_reply(reply, 1, &record) == 0 ? 0 : -EIO;
    } else if (redis_client_reply_status(reply) == -EPROTO) {
        log_event(LOG_ERROR, "store-refused", "Redis refused to create an execution: %.300s", reply->str);
        status = -EPROTO;
    }
    request->callback(status, created, record, request->data);
    free(request);
}

/* Sends the create script, or fails the request, once every index entry has answered. */
static void on_indexed(redisReply *reply, void *data)
{
    struct create_request *request = data;
    request->index_failed = request->index_failed || redis_client_reply_status(reply) < 0;
    if (--request->index_pending > 0)
        return;
    int result = -EIO;
    if (!request->index_failed)
        result = store_arguments_eval(request->client, &create_script, 4, &request->list, on_created, request);
    else
        store_arguments_release(&request->list);
    if (result == 0)
        return;
    request->callback(result == -EPROTO ? -EPROTO : -EIO, false, NULL, request->data);
    free(request);
}

/* Sends ZADD NX of the execution's index entry, answered to on_indexed(). Same contract as redis_client_command(). */
static int add_index_entry(struct create_request *request, const char *state_machine_arn, const char *arn,
                           int64_t start_ms)
{
    char index_key[EXECUTION_STORE_INDEX_KEY_SIZE], score[24];
    int result = execution_store_index_key(state_machine_arn, index_key, sizeof(index_key));
    if (result < 0)
        return result;
    snprintf(score, sizeof(score), "%lld", (long long)start_ms);
    const char *argv[] = { "ZADD", index_key, "NX", score, arn };
    result = redis_client_command_strings(request->client, on_indexed, request, 5, argv);
    if (result == 0)
        request->index_pending++;
    return result;
}

/*
 * Sends the index entries of a listed execution: its machine's, and its version's or alias's when it was started
 * by one (ListExecutions by that ARN lists it too). Returns how many were sent (0 for none), or what sending the
 * first refused with; a later one that cannot be sent marks the request failed.
 */
static int add_index_entries(struct create_request *request, const struct execution_record *record)
{
    const char *const arns[] = { record->state_machine_arn, record->version_arn, record->alias_arn };
    for (size_t i = 0; i < sizeof(arns) / sizeof(arns[0]); i++) {
        if (!arns[i])
            continue;
        int result = add_index_entry(request, arns[i], record->arn, record->start_ms);
        if (result < 0 && request->index_pending == 0)
            return result;
        request->index_failed = request->index_failed || result < 0;
    }
    return request->index_pending;
}

static int add_branches_key(struct store_arguments *list, const char *execution_id);
static void add_first_fork_prefixes(struct store_arguments *list, const char *execution_id);
static void add_children_and_results(struct store_arguments *list, const struct execution_child *children,
                                     size_t child_count, const struct execution_result *results, size_t result_count);

int execution_store_create(struct redis_client *client, const char *execution_id, const struct execution_record *record,
                           const struct execution_fields *fields, const struct execution_events *events,
                           store_create_callback callback, void *data)
{
    return execution_store_create_forked(client, execution_id, record, fields, events, NULL, callback, data);
}

int execution_store_create_forked(struct redis_client *client, const char *execution_id,
                                  const struct execution_record *record, const struct execution_fields *fields,
                                  const struct execution_events *events, const struct execution_first_forks *forks,
                                  store_create_callback callback, void *data)
{
    static const struct execution_first_forks no_forks = { 0 };
    events = events_or_none(events);
    struct execution_keys keys;
    if (!record->arn || !record->state_machine_arn)
        return -EINVAL;
    int result = execution_keys_of(execution_id, &keys);
    if (result < 0)
        return result;
    struct create_request *request = calloc(1, sizeof(*request));
    if (!request)
        return -ENOMEM;
    request->callback = callback;
    request->data = data;
    request->client = client;
    forks = forks ? forks : &no_forks;
    struct store_arguments list = { 0 };
    arguments_add_keys(&list, &keys);
    result = add_branches_key(&list, execution_id);
    store_arguments_add(&list, execution_id);
    store_arguments_add_number(&list, (long long)events->count);
    arguments_add_placeholders(&list, events);
    store_arguments_add_number(&list, (long long)fields->set_count);
    store_arguments_add_number(&list, (long long)forks->child_count);
    store_arguments_add_number(&list, (long long)forks->result_count);
    add_first_fork_prefixes(&list, execution_id);
    arguments_add_events(&list, events);
    for (size_t i = 0; i < fields->set_count; i++) {
        store_arguments_add(&list, fields->set[i].name);
        store_arguments_add(&list, fields->set[i].value);
    }
    add_children_and_results(&list, forks->children, forks->child_count, forks->results, forks->result_count);
    bool listed = !strstr(record->arn, EXECUTION_STORE_EXPRESS_MARKER); /* an EXPRESS one is not listed */
    if (result == 0 && list.failed)
        result = -ENOMEM;
    if (result < 0) {
        store_arguments_release(&list);
        free(request);
        return result;
    }
    request->list = list;
    result = listed ? add_index_entries(request, record) : 0;
    if (result > 0)
        return 0; /* on_indexed() sends the create */
    if (result == 0)
        result = store_arguments_eval(client, &create_script, 4, &request->list, on_created, request);
    else
        store_arguments_release(&request->list);
    if (result < 0)
        free(request);
    return result;
}

/* Who hears of a commit-like script's outcome: one of the two callbacks. */
struct commit_request {
    store_commit_callback callback;
    store_events_callback events_callback;
    void *data;
};

/*
 * What a commit-like script's integer reply means (see
 * scripts/commit_execution.lua: a commit answers its first event's id,
 * which is at least 1, the other scripts 1).
 */
static enum execution_commit_outcome outcome_of(long long reply)
{
    return reply >= 1    ? EXECUTION_COMMITTED
           : reply == -1 ? EXECUTION_TASK_CLOSED
           : reply == -2 ? EXECUTION_MISSING
           : reply == -3 ? EXECUTION_ORPHANED
           : reply == -4 ? EXECUTION_BRANCHES_FULL
                         : EXECUTION_CHANGED;
}

static void on_committed(redisReply *reply, void *data)
{
    struct commit_request *request = data;
    bool valid = reply && reply->type == REDIS_REPLY_INTEGER && reply->integer >= -4;
    int status = valid ? 0 : -EIO;
    if (!valid && redis_client_reply_status(reply) == -EPROTO) {
        log_event(LOG_ERROR, "store-refused", "Redis refused a change of an execution: %.300s", reply->str);
        status = -EPROTO;
    }
    enum execution_commit_outcome outcome = valid ? outcome_of(reply->integer) : EXECUTION_CHANGED;
    if (request->events_callback)
        request->events_callback(status, outcome, valid && reply->integer >= 1 ? (long)reply->integer : 0,
                                 request->data);
    else
        request->callback(status, outcome, request->data);
    free(request);
}

/*
 * Runs a script that answers one integer outcome (list is released in every
 * case); one of callback and events_callback hears of it. Same contract as above.
 */
static int run_status_script(struct redis_client *client, struct redis_script *script, int key_count,
                             struct store_arguments *list, const struct commit_request *hearer)
{
    struct commit_request *request = malloc(sizeof(*request));
    if (!request) {
        store_arguments_release(list);
        return -ENOMEM;
    }
    *request = *hearer;
    int result = store_arguments_eval(client, script, key_count, list, on_committed, request);
    if (result < 0)
        free(request);
    return result;
}

int execution_store_commit(struct redis_client *client, const char *execution_id, long expected_last_event_id,
                           const char *required_token, const struct execution_events *events,
                           const struct execution_fields *fields, store_events_callback callback, void *data)
{
    struct store_arguments list = { 0 };
    struct execution_keys keys;
    const struct commit_request hearer = { NULL, callback, data };
    int result = execution_keys_of(execution_id, &keys);
    events = events_or_none(events);
    if (result < 0)
        return result;
    arguments_add_keys(&list, &keys);
    store_arguments_add_number(&list, expected_last_event_id);
    store_arguments_add(&list, required_token ? required_token : "");
    store_arguments_add_number(&list, (long long)events->count);
    store_arguments_add_number(&list, (long long)fields->set_count);
    store_arguments_add_number(&list, (long long)fields->delete_count);
    store_arguments_add(&list, execution_id);
    arguments_add_placeholders(&list, events);
    arguments_add_events(&list, events);
    for (size_t i = 0; i < fields->set_count; i++) {
        store_arguments_add(&list, fields->set[i].name);
        store_arguments_add(&list, fields->set[i].value);
    }
    for (size_t i = 0; i < fields->delete_count; i++)
        store_arguments_add(&list, fields->deletes[i]);
    return run_status_script(client, &commit_script, 3, &list, &hearer);
}

/* Runs script on KEYS record and timers of execution_id, with ARGV extra (count of them) and then the id. */
static int run_on_record_and_timers(struct redis_client *client, struct redis_script *script, const char *execution_id,
                                    const char *const *extra, size_t count, store_commit_callback callback, void *data)
{
    struct store_arguments list = { 0 };
    struct execution_keys keys;
    const struct commit_request hearer = { callback, NULL, data };
    int result = execution_keys_of(execution_id, &keys);
    if (result < 0)
        return result;
    store_arguments_add(&list, keys.record);
    store_arguments_add(&list, keys.timers);
    for (size_t i = 0; i < count; i++)
        store_arguments_add(&list, extra[i]);
    store_arguments_add(&list, execution_id);
    return run_status_script(client, script, 2, &list, &hearer);
}

int execution_store_heartbeat(struct redis_client *client, const char *execution_id, const char *token, int64_t now_ms,
                              store_commit_callback callback, void *data)
{
    char now[24];
    snprintf(now, sizeof(now), "%lld", (long long)now_ms);
    const char *extra[] = { token, now };
    return run_on_record_and_timers(client, &heartbeat_script, execution_id, extra, 2, callback, data);
}

int execution_store_heartbeat_branch(struct redis_client *client, const char *execution_id, const char *branch_id,
                                     const char *token, int64_t now_ms, store_commit_callback callback, void *data)
{
    if (!*branch_id)
        return execution_store_heartbeat(client, execution_id, token, now_ms, callback, data);
    char record[EXECUTION_STORE_BRANCH_KEY_SIZE], member[EXECUTION_STORE_BRANCH_KEY_SIZE], now[24];
    struct execution_keys keys;
    struct store_arguments list = { 0 };
    const struct commit_request hearer = { callback, NULL, data };
    int result = execution_keys_of(execution_id, &keys);
    if (result == 0)
        result = execution_store_branch_key(execution_id, branch_id, record, sizeof(record));
    if (result == 0)
        result = execution_store_timer_member(execution_id, branch_id, member, sizeof(member));
    if (result < 0)
        return result;
    snprintf(now, sizeof(now), "%lld", (long long)now_ms);
    store_arguments_add(&list, record);
    store_arguments_add(&list, keys.timers);
    store_arguments_add(&list, token);
    store_arguments_add(&list, now);
    store_arguments_add(&list, member);
    return run_status_script(client, &heartbeat_script, 2, &list, &hearer);
}

int execution_store_restore_timer(struct redis_client *client, const char *execution_id, store_commit_callback callback,
                                  void *data)
{
    return run_on_record_and_timers(client, &restore_timer_script, execution_id, NULL, 0, callback, data);
}

struct claim_request {
    store_claim_callback callback;
    void *data;
};

static void on_claimed(redisReply *reply, void *data)
{
    struct claim_request *request = data;
    bool valid = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1;
    const char *ids[STORE_MAX_CLAIMED_TIMERS];
    size_t count = 0;
    int64_t next_due_ms = -1;
    for (size_t i = 0; valid && i < reply->elements; i++)
        valid = reply->element[i]->type == REDIS_REPLY_STRING;
    if (valid) {
        const redisReply *next = reply->element[reply->elements - 1];
        if (next->len)
            next_due_ms = strtoll(next->str, NULL, 10);
        for (size_t i = 0; i + 1 < reply->elements && count < STORE_MAX_CLAIMED_TIMERS; i++)
            ids[count++] = reply->element[i]->str;
    }
    request->callback(valid ? 0 : -EIO, ids, count, next_due_ms, request->data);
    free(request);
}

int execution_store_claim_timers(struct redis_client *client, unsigned shard, int64_t now_ms, int64_t lease_ms,
                                 size_t limit, store_claim_callback callback, void *data)
{
    struct claim_request *request = malloc(sizeof(*request));
    struct store_arguments list = { 0 };
    char timers_key[32];
    if (!request)
        return -ENOMEM;
    request->callback = callback;
    request->data = data;
    if (execution_store_timers_key(shard, timers_key, sizeof(timers_key)) < 0) {
        free(request);
        return -EINVAL;
    }
    store_arguments_add(&list, timers_key);
    store_arguments_add_number(&list, now_ms);
    store_arguments_add_number(&list, lease_ms);
    store_arguments_add_number(&list, (long long)(limit < STORE_MAX_CLAIMED_TIMERS ? limit : STORE_MAX_CLAIMED_TIMERS));
    int result = store_arguments_eval(client, &claim_script, 1, &list, on_claimed, request);
    if (result < 0)
        free(request);
    return result;
}

bool execution_store_cursor_valid(const char *cursor, const char *execution_arn_prefix)
{
    const char *colon = strchr(cursor, ':');
    if (!colon || colon == cursor || (size_t)(colon - cursor) > 19)
        return false;
    for (const char *digit = cursor; digit < colon; digit++) {
        if (*digit < '0' || *digit > '9')
            return false;
    }
    return strncmp(colon + 1, execution_arn_prefix, strlen(execution_arn_prefix)) == 0
           && strlen(colon + 1) > strlen(execution_arn_prefix);
}

/* ---- ListExecutions ---- */

/* The fields fetch_execution_summaries.lua answers per record. */
#define SUMMARY_FIELDS 8

/* One index entry of a listing and, once looked at, its record's summary (status NULL: no record). */
struct listed_entry {
    char *arn;   /* the index's member */
    char *score; /* its start (ms), as the index has it */
    int shard;   /* of its execution; -1 when the ARN names none */
    char *name;
    char *status;
    int64_t start_ms;
    int64_t stop_ms;
    long redrive_count;
    int64_t redrive_ms;
    char *version_arn; /* NULL when not started by a version or alias */
    char *alias_arn;   /* NULL when not started by an alias */
};

/* A listing until its callback is called; entries come from the index, newest first. */
struct listing {
    struct redis_client *client;
    store_list_callback callback;
    void *data;
    char *filter; /* the status to keep, or NULL */
    enum execution_redrive_filter redrive_filter;
    size_t max_results;
    char *cursor; /* the previous page's next, or NULL; split into score and member */
    const char *cursor_member;
    struct listed_entry *entries;
    size_t entry_count;
    bool index_full; /* the index read filled its limit: it may hold more */
    size_t examined; /* entries looked at for the page */
    size_t fetched;  /* entries whose records have been (or are being) fetched */
    size_t awaiting; /* record fetches sent and not answered, plus one while sending */
    bool failed;
    struct execution_summary *items;
    size_t found;
};

static void listing_free(struct listing *listing)
{
    for (size_t i = 0; i < listing->entry_count; i++) {
        struct listed_entry *entry = &listing->entries[i];
        free(entry->arn);
        free(entry->score);
        free(entry->name);
        free(entry->status);
        free(entry->version_arn);
        free(entry->alias_arn);
    }
    free(listing->entries);
    free(listing->items);
    free(listing->cursor);
    free(listing->filter);
    free(listing);
}

/* Calls the listing's callback (with the page when status is 0) and frees the listing. */
static void listing_finish(struct listing *listing, int status)
{
    char *next = NULL;
    bool more = listing->examined < listing->entry_count || listing->index_full;
    if (status == 0 && more && listing->examined > 0) {
        const struct listed_entry *last = &listing->entries[listing->examined - 1];
        size_t size = strlen(last->score) + strlen(last->arn) + 2;
        next = malloc(size);
        if (next)
            snprintf(next, size, "%s:%s", last->score, last->arn);
        else
            status = -ENOMEM;
    }
    if (status == 0)
        listing->callback(0, listing->items, listing->found, next, listing->data);
    else
        listing->callback(status, NULL, 0, NULL, listing->data);
    free(next);
    listing_free(listing);
}

/* Whether an entry whose record has been fetched belongs on the page. */
static bool entry_listed(const struct listing *listing, const struct listed_entry *entry)
{
    bool redriven = entry->redrive_count > 0;
    if (listing->redrive_filter != EXECUTION_REDRIVE_ANY && redriven != (listing->redrive_filter == EXECUTION_REDRIVEN))
        return false;
    return entry->status && (!listing->filter || strcmp(entry->status, listing->filter) == 0);
}

static void fetch_round(struct listing *listing);

/* One fetch of a round is over: once all are, takes what the round found and finishes or starts another. */
static void round_answered(struct listing *listing)
{
    if (--listing->awaiting > 0)
        return;
    if (listing->failed) {
        listing_finish(listing, -EIO);
        return;
    }
    while (listing->examined < listing->fetched && listing->found < listing->max_results) {
        const struct listed_entry *entry = &listing->entries[listing->examined++];
        if (entry_listed(listing, entry))
            listing->items[listing->found++] = (struct execution_summary){
                .arn = entry->arn,
                .name = entry->name,
                .status = entry->status,
                .start_ms = entry->start_ms,
                .stop_ms = entry->stop_ms,
                .redrive_count = entry->redrive_count,
                .redrive_ms = entry->redrive_ms,
                .version_arn = entry->version_arn,
                .alias_arn = entry->alias_arn,
            };
    }
    if (listing->found == listing->max_results || listing->examined == listing->entry_count)
        listing_finish(listing, 0);
    else
        fetch_round(listing);
}

/* The fetch of one shard's records in a round. */
struct shard_fetch {
    struct listing *listing;
    size_t count;
    size_t entries[]; /* indexes into listing->entries */
};

/*
 * Copies one summary ({name, status, startDate, stopDate, redriveCount, redriveDate, stateMachineVersionArn,
 * stateMachineAliasArn}, '' when absent) into entry;
 * false when out of memory.
 */
static bool entry_take_summary(struct listed_entry *entry, redisReply *const *fields)
{
    if (fields[1]->len == 0)
        return true; /* no record (a creation that did not get past its index entry) */
    entry->name = strndup(fields[0]->str, fields[0]->len);
    entry->status = strndup(fields[1]->str, fields[1]->len);
    entry->start_ms = strtoll(fields[2]->str, NULL, 10);
    entry->stop_ms = strtoll(fields[3]->str, NULL, 10);
    entry->redrive_count = strtol(fields[4]->str, NULL, 10);
    entry->redrive_ms = strtoll(fields[5]->str, NULL, 10);
    entry->version_arn = fields[6]->len ? strndup(fields[6]->str, fields[6]->len) : NULL;
    entry->alias_arn = fields[7]->len ? strndup(fields[7]->str, fields[7]->len) : NULL;
    return entry->name && entry->status && (!fields[6]->len || entry->version_arn)
           && (!fields[7]->len || entry->alias_arn);
}

static void on_summaries_fetched(redisReply *reply, void *data)
{
    struct shard_fetch *fetch = data;
    struct listing *listing = fetch->listing;
    bool valid = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == SUMMARY_FIELDS * fetch->count;
    for (size_t i = 0; valid && i < reply->elements; i++)
        valid = reply->element[i]->type == REDIS_REPLY_STRING;
    for (size_t i = 0; valid && i < fetch->count; i++)
        valid = entry_take_summary(&listing->entries[fetch->entries[i]], reply->element + SUMMARY_FIELDS * i);
    if (!valid)
        listing->failed = true;
    free(fetch);
    round_answered(listing);
}

/* Sends the fetch of shard's records among the round's entries [from, to), if it has any. */
static void fetch_shard(struct listing *listing, unsigned shard, size_t from, size_t to)
{
    struct shard_fetch *fetch = malloc(sizeof(*fetch) + (to - from) * sizeof(fetch->entries[0]));
    struct store_arguments list = { 0 };
    char key[EXECUTION_STORE_KEY_SIZE];
    if (!fetch) {
        listing->failed = true;
        return;
    }
    fetch->listing = listing;
    fetch->count = 0;
    for (size_t i = from; i < to; i++) {
        if (listing->entries[i].shard != (int)shard)
            continue;
        const char *id = strstr(listing->entries[i].arn, EXECUTION_ARN_ID_MARKER) + strlen(EXECUTION_ARN_ID_MARKER);
        if (execution_store_key(id, key, sizeof(key)) < 0)
            continue; /* no record can have a key that long: the entry is skipped like one without a record */
        fetch->entries[fetch->count++] = i;
        store_arguments_add(&list, key);
    }
    if (fetch->count == 0) {
        free(fetch);
        return;
    }
    if (store_arguments_eval(listing->client, &fetch_summaries_script, (int)fetch->count, &list, on_summaries_fetched,
                             fetch)
        < 0) {
        free(fetch);
        listing->failed = true;
        return;
    }
    listing->awaiting++;
}

/* Fetches the records of the next entries, as many as the page lacks but at least LIST_ROUND_MIN. */
static void fetch_round(struct listing *listing)
{
    size_t wanted = listing->max_results - listing->found;
    if (wanted < LIST_ROUND_MIN)
        wanted = LIST_ROUND_MIN;
    size_t from = listing->examined;
    listing->fetched = listing->entry_count - from < wanted ? listing->entry_count : from + wanted;
    listing->awaiting = 1; /* this function's own hold, so that the round ends once, after every send */
    for (unsigned shard = 0; shard < shard_count; shard++)
        fetch_shard(listing, shard, from, listing->fetched);
    round_answered(listing);
}

/* The shard of the execution an index member (an execution ARN) names, or -1. */
static int shard_of_arn(const char *arn)
{
    const char *marker = strstr(arn, EXECUTION_ARN_ID_MARKER);
    if (!marker || marker[strlen(EXECUTION_ARN_ID_MARKER)] == '\0')
        return -1;
    return (int)execution_store_shard(marker + strlen(EXECUTION_ARN_ID_MARKER));
}

/*
 * Whether an index entry came on an earlier page: entries tied with the
 * cursor's score come in reverse member order, so those at or above the
 * cursor's member were listed before.
 */
static bool before_cursor(const struct listing *listing, const redisReply *member, const redisReply *score)
{
    return listing->cursor && strcmp(score->str, listing->cursor) == 0
           && strcmp(member->str, listing->cursor_member) >= 0;
}

/* Whether reply is what ZREVRANGEBYSCORE ... WITHSCORES answers: member and score strings. */
static bool is_scored_members(const redisReply *reply)
{
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements % 2 != 0)
        return false;
    for (size_t i = 0; i < reply->elements; i++) {
        if (reply->element[i]->type != REDIS_REPLY_STRING)
            return false;
    }
    return true;
}

/* Keeps the index entries of the page's range (WITHSCORES pairs). Returns 0 or -ENOMEM. */
static int take_index_entries(struct listing *listing, const redisReply *reply)
{
    size_t pairs = reply->elements / 2;
    listing->entries = calloc(pairs + 1, sizeof(*listing->entries));
    listing->items = calloc((pairs < listing->max_results ? pairs : listing->max_results) + 1, sizeof(*listing->items));
    if (!listing->entries || !listing->items)
        return -ENOMEM;
    for (size_t i = 0; i < pairs; i++) {
        const redisReply *member = reply->element[2 * i], *score = reply->element[2 * i + 1];
        if (before_cursor(listing, member, score))
            continue;
        struct listed_entry *entry = &listing->entries[listing->entry_count++];
        entry->arn = strndup(member->str, member->len);
        entry->score = strndup(score->str, score->len);
        if (!entry->arn || !entry->score)
            return -ENOMEM;
        entry->shard = shard_of_arn(entry->arn);
    }
    return 0;
}

static void on_index_read(redisReply *reply, void *data)
{
    struct listing *listing = data;
    int status = is_scored_members(reply) ? take_index_entries(listing, reply) : -EIO;
    if (status < 0) {
        listing_finish(listing, status);
        return;
    }
    listing->index_full = reply->elements / 2 == listing->max_results + LIST_SCAN_EXTRA;
    if (listing->entry_count == 0)
        listing_finish(listing, 0);
    else
        fetch_round(listing);
}

/* A listing of max_results from cursor ("<score>:<member>"; NULL for the newest), or NULL when out of memory. */
static struct listing *listing_new(struct redis_client *client, const char *cursor, size_t max_results,
                                   const char *status, store_list_callback callback, void *data)
{
    struct listing *listing = calloc(1, sizeof(*listing));
    if (!listing)
        return NULL;
    *listing = (struct listing){ .client = client, .callback = callback, .data = data, .max_results = max_results };
    listing->filter = status ? strdup(status) : NULL;
    listing->cursor = cursor ? strdup(cursor) : NULL;
    char *colon = listing->cursor ? strchr(listing->cursor, ':') : NULL;
    if ((status && !listing->filter) || (cursor && !listing->cursor)) {
        listing_free(listing);
        return NULL;
    }
    if (colon) {
        *colon = '\0';
        listing->cursor_member = colon + 1;
    } else {
        free(listing->cursor); /* not a cursor (the API checks them first): from the newest */
        listing->cursor = NULL;
    }
    return listing;
}

int execution_store_list(struct redis_client *client, const char *state_machine_arn, const char *cursor,
                         size_t max_results, const char *status, store_list_callback callback, void *data)
{
    char index_key[EXECUTION_STORE_INDEX_KEY_SIZE];
    int result = execution_store_index_key(state_machine_arn, index_key, sizeof(index_key));
    if (result < 0)
        return result;
    return execution_store_list_index(client, index_key, cursor, max_results, status, callback, data);
}

int execution_store_list_index(struct redis_client *client, const char *index_key, const char *cursor,
                               size_t max_results, const char *status, store_list_callback callback, void *data)
{
    return execution_store_list_filtered(client, index_key, cursor, max_results, status, EXECUTION_REDRIVE_ANY,
                                         callback, data);
}

int execution_store_list_filtered(struct redis_client *client, const char *index_key, const char *cursor,
                                  size_t max_results, const char *status, enum execution_redrive_filter redrive,
                                  store_list_callback callback, void *data)
{
    char limit[24];
    if (max_results == 0 || max_results > EXECUTION_STORE_MAX_LISTED)
        max_results = EXECUTION_STORE_MAX_LISTED;
    struct listing *listing = listing_new(client, cursor, max_results, status, callback, data);
    if (!listing)
        return -ENOMEM;
    listing->redrive_filter = redrive;
    snprintf(limit, sizeof(limit), "%zu", max_results + LIST_SCAN_EXTRA);
    const char *argv[] = { "ZREVRANGEBYSCORE",
                           index_key,
                           listing->cursor ? listing->cursor : "+inf",
                           "-inf",
                           "WITHSCORES",
                           "LIMIT",
                           "0",
                           limit };
    int result = redis_client_command_strings(client, on_index_read, listing, 8, argv);
    if (result < 0)
        listing_free(listing);
    return result;
}

/* ---- reads for the API and the console ---- */

struct history_read {
    store_history_callback callback;
    void *data;
};

/*
 * The events of a history read (LRANGE's reply), decoded into one malloc'd block (*events; the pointers, then the
 * texts). Returns 0, -EIO (not a list of strings), -EPROTO (an entry that does not decode) or -ENOMEM.
 */
static int decode_history(const redisReply *reply, const char ***events)
{
    size_t size = (reply->elements ? reply->elements : 1) * sizeof(char *);
    *events = NULL;
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *entry = reply->element[i];
        if (entry->type != REDIS_REPLY_STRING)
            return -EIO;
        ssize_t length = history_codec_decoded_length(entry->str, entry->len, (long)i);
        if (length < 0)
            return (int)length;
        size += (size_t)length + 1;
    }
    const char **block = malloc(size);
    if (!block)
        return -ENOMEM;
    char *text = (char *)(block + reply->elements);
    for (size_t i = 0; i < reply->elements; i++) {
        block[i] = text;
        text += history_codec_decode(reply->element[i]->str, reply->element[i]->len, (long)i, text) + 1;
    }
    *events = block;
    return 0;
}

static void on_history_read(redisReply *reply, void *data)
{
    struct history_read *read = data;
    const char **events = NULL;
    int status = reply && reply->type == REDIS_REPLY_ARRAY ? decode_history(reply, &events) : -EIO;
    if (status == -EPROTO)
        log_event(LOG_ERROR, "store-history-undecodable", "a history entry is not in a form this version reads");
    read->callback(status, events, status == 0 ? reply->elements : 0, read->data);
    free(events);
    free(read);
}

int execution_store_read_history(struct redis_client *client, const char *execution_id, store_history_callback callback,
                                 void *data)
{
    char key[256];
    int result = execution_store_history_key(execution_id, key, sizeof(key));
    if (result < 0)
        return result;
    struct history_read *read = malloc(sizeof(*read));
    if (!read)
        return -ENOMEM;
    *read = (struct history_read){ callback, data };
    const char *argv[] = { "LRANGE", key, "0", "-1" };
    result = redis_client_command_strings(client, on_history_read, read, 4, argv);
    if (result < 0)
        free(read);
    return result;
}

/* ---- branches ---- */

/* A child branch's keys and timer member; see execution_store.h. */
#define BRANCH_KEY_FORMAT "{sfn:%02u}:%s:%s%c%s" /* kind ("branch", "results"), execution id, '|', part */
#define BRANCH_RECORD_KIND "branch"
#define RESULTS_KIND "results"
#define KEPT_KIND "kept" /* commit_branch.lua spells it too: ':kept:' for ':results:' */
#define BRANCHES_KEY_FORMAT "{sfn:%02u}:branches:%s"
/* What separates an execution id from a branch id in the keys and timer members above. */
#define BRANCH_SEPARATOR '|'

/* Writes the key "{sfn:NN}:<kind>:<execution_id>|<suffix>" into out. Same returns. */
static int prefixed_key(const char *kind, const char *execution_id, const char *suffix, char *out, size_t size)
{
    return key_result(snprintf(out, size, BRANCH_KEY_FORMAT, execution_store_shard(execution_id), kind, execution_id,
                               BRANCH_SEPARATOR, suffix),
                      size);
}

int execution_store_branch_key(const char *execution_id, const char *branch_id, char *out, size_t size)
{
    if (!*branch_id)
        return execution_store_key(execution_id, out, size);
    return prefixed_key(BRANCH_RECORD_KIND, execution_id, branch_id, out, size);
}

int execution_store_branches_key(const char *execution_id, char *out, size_t size)
{
    return key_result(snprintf(out, size, BRANCHES_KEY_FORMAT, execution_store_shard(execution_id), execution_id),
                      size);
}

int execution_store_results_key(const char *execution_id, const char *fork_key_part, char *out, size_t size)
{
    return prefixed_key(RESULTS_KIND, execution_id, fork_key_part, out, size);
}

int execution_store_timer_member(const char *execution_id, const char *branch_id, char *out, size_t size)
{
    if (!*branch_id)
        return key_result(snprintf(out, size, "%s", execution_id), size);
    return key_result(snprintf(out, size, "%s%c%s", execution_id, BRANCH_SEPARATOR, branch_id), size);
}

int execution_store_parse_timer_member(const char *member, char *execution_id, size_t id_size, char *branch_id,
                                       size_t branch_size)
{
    const char *separator = strchr(member, BRANCH_SEPARATOR);
    size_t id_length = separator ? (size_t)(separator - member) : strlen(member);
    const char *branch = separator ? separator + 1 : "";
    if (id_length == 0 || (separator && !*branch))
        return -EINVAL;
    if (id_length >= id_size || strlen(branch) >= branch_size)
        return -ENAMETOOLONG;
    memcpy(execution_id, member, id_length);
    execution_id[id_length] = '\0';
    memcpy(branch_id, branch, strlen(branch) + 1);
    return 0;
}

/* The fields load_branch reads of the execution (see execution_store.h). */
static const enum execution_record_field identity_fields[] = {
    EXECUTION_FIELD_ARN,           EXECUTION_FIELD_STATE_MACHINE_ARN, EXECUTION_FIELD_NAME,  EXECUTION_FIELD_INPUT,
    EXECUTION_FIELD_ROLE_ARN,      EXECUTION_FIELD_DEFINITION_HASH,   EXECUTION_FIELD_START, EXECUTION_FIELD_STATUS,
    EXECUTION_FIELD_MOCK_TEST_CASE
};
#define IDENTITY_FIELD_COUNT (sizeof(identity_fields) / sizeof(identity_fields[0]))

struct branch_load_request {
    store_branch_load_callback callback;
    void *data;
};

/* Builds the identity record from HMGET's values (NULL record when the execution has no arn). Returns 0 or < 0. */
static int identity_from_reply(const redisReply *values, struct execution_record **record)
{
    struct execution_hash_entry entries[IDENTITY_FIELD_COUNT];
    size_t count = 0;
    *record = NULL;
    for (size_t i = 0; i < IDENTITY_FIELD_COUNT; i++) {
        const redisReply *value = values->element[i];
        if (value->type == REDIS_REPLY_STRING)
            entries[count++] = (struct execution_hash_entry){ execution_record_field_name(identity_fields[i]),
                                                              value->str, value->len };
    }
    if (values->element[0]->type != REDIS_REPLY_STRING)
        return 0;
    return execution_record_from_hash(entries, count, record);
}

/* Whether reply is what load_branch.lua answers. */
static bool is_branch_load_reply(const redisReply *reply)
{
    return reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 3
           && reply->element[0]->type == REDIS_REPLY_INTEGER && reply->element[1]->type == REDIS_REPLY_ARRAY
           && reply->element[1]->elements == IDENTITY_FIELD_COUNT && reply->element[2]->type == REDIS_REPLY_ARRAY;
}

static void on_branch_loaded(redisReply *reply, void *data)
{
    struct branch_load_request *request = data;
    struct execution_record *execution = NULL, *branch = NULL;
    long stored_events = 0;
    int status = -EIO;
    if (is_branch_load_reply(reply)) {
        stored_events = (long)reply->element[0]->integer;
        status = identity_from_reply(reply->element[1], &execution);
        if (status == 0 && reply->element[2]->elements > 0)
            status = record_from_reply(reply->element[2], 0, &branch);
        if (status < 0) {
            execution_record_free(execution);
            execution = NULL;
            status = -EIO;
        }
    }
    request->callback(status, execution, branch, stored_events, request->data);
    free(request);
}

int execution_store_load_branch(struct redis_client *client, const char *execution_id, const char *branch_id,
                                store_branch_load_callback callback, void *data)
{
    struct execution_keys keys;
    char branch_key[EXECUTION_STORE_BRANCH_KEY_SIZE];
    struct store_arguments list = { 0 };
    int result = execution_keys_of(execution_id, &keys);
    if (result == 0)
        result = execution_store_branch_key(execution_id, branch_id, branch_key, sizeof(branch_key));
    if (result < 0)
        return result;
    struct branch_load_request *request = malloc(sizeof(*request));
    if (!request)
        return -ENOMEM;
    *request = (struct branch_load_request){ callback, data };
    store_arguments_add(&list, keys.record);
    store_arguments_add(&list, branch_key);
    store_arguments_add(&list, keys.history);
    for (size_t i = 0; i < IDENTITY_FIELD_COUNT; i++)
        store_arguments_add(&list, execution_record_field_name(identity_fields[i]));
    result = store_arguments_eval(client, &load_branch_script, 3, &list, on_branch_loaded, request);
    if (result < 0)
        free(request);
    return result;
}

/* Whether a commit does nothing but what execution_store_commit() does (the root's step of today). */
static bool is_plain_root_commit(const struct execution_branch_commit *commit)
{
    return !*commit->branch_id && (!commit->last_event || !*commit->last_event) && commit->child_count == 0
           && !commit->end && !commit->continuation && commit->fork_running_delta == 0 && !commit->abort
           && commit->result_count == 0 && !commit->history_of && commit->write_count == 0;
}

/* Writes "<branch>/<fork state>" (a fork's part of its results key) into out. Same returns. */
static int fork_key_part(const char *branch_id, const char *fork_state, char *out, size_t size)
{
    return key_result(snprintf(out, size, "%s/%s", branch_id, fork_state), size);
}

/* Appends the key named by builder(execution_id, part); a key that does not fit fails the list. Returns 0 or < 0. */
static int add_key(struct store_arguments *list, int (*builder)(const char *, const char *, char *, size_t),
                   const char *execution_id, const char *part)
{
    char key[EXECUTION_STORE_BRANCH_KEY_SIZE];
    int result = builder(execution_id, part, key, sizeof(key));
    if (result == 0)
        store_arguments_add(list, key);
    return result;
}

/* Appends the results key of the fork fork_state of branch_id. Returns 0 or < 0. */
static int add_results_key(struct store_arguments *list, const char *execution_id, const char *branch_id,
                           const char *fork_state)
{
    char part[EXECUTION_STORE_BRANCH_KEY_SIZE];
    int result = fork_key_part(branch_id, fork_state, part, sizeof(part));
    return result < 0 ? result : add_key(list, execution_store_results_key, execution_id, part);
}

/* Appends the KEYS of commit_branch.lua. Returns 0 or -ENAMETOOLONG. */
static int add_branch_commit_keys(struct store_arguments *list, const char *execution_id,
                                  const struct execution_branch_commit *commit)
{
    struct execution_keys keys;
    char branches[EXECUTION_STORE_BRANCH_KEY_SIZE];
    int result = execution_keys_of(execution_id, &keys);
    if (result == 0)
        result = execution_store_branches_key(execution_id, branches, sizeof(branches));
    if (result == 0)
        result = add_key(list, execution_store_branch_key, execution_id, commit->branch_id);
    if (result < 0)
        return result;
    if (commit->history_of) {
        char history[EXECUTION_STORE_KEY_SIZE];
        result = execution_store_history_key(commit->history_of, history, sizeof(history));
        if (result < 0)
            return result;
        store_arguments_add(list, history);
    } else {
        store_arguments_add(list, keys.history);
    }
    store_arguments_add(list, keys.timers);
    store_arguments_add(list, keys.record);
    store_arguments_add(list, branches);
    if (commit->end) {
        result = add_key(list, execution_store_branch_key, execution_id, commit->end->parent_branch_id);
        if (result == 0)
            result = add_results_key(list, execution_id, commit->end->parent_branch_id, commit->end->fork_state);
    }
    for (size_t i = 0; result == 0 && i < commit->child_count; i++)
        result = add_key(list, execution_store_branch_key, execution_id, commit->children[i].branch_id);
    if (result == 0 && commit->abort)
        result = add_results_key(list, execution_id, commit->abort->fork_branch_id, commit->abort->fork_state);
    return result;
}

/* Appends the prefix of an execution's keys of kind (ARGV [20] and [21] of commit_branch.lua). */
static void add_prefix(struct store_arguments *list, const char *kind, const char *execution_id)
{
    char prefix[EXECUTION_STORE_BRANCH_KEY_SIZE];
    if (prefixed_key(kind, execution_id, "", prefix, sizeof(prefix)) < 0)
        list->failed = true;
    else
        store_arguments_add(list, prefix);
}

/* Appends ARGV [14]-[17] of commit_branch.lua: the end of a child, or four empty strings. */
static void add_child_end(struct store_arguments *list, const char *execution_id, const struct execution_child_end *end)
{
    char field[64], member[EXECUTION_STORE_BRANCH_KEY_SIZE];
    if (!end) {
        for (int i = 0; i < 4; i++)
            store_arguments_add(list, "");
        return;
    }
    if (key_result(snprintf(field, sizeof(field), "%s%s", end->failed ? "!" : "", end->index), sizeof(field)) < 0
        || execution_store_timer_member(execution_id, end->parent_branch_id, member, sizeof(member)) < 0)
        list->failed = true;
    store_arguments_add(list, field);
    store_arguments_add(list, end->result);
    store_arguments_add(list, member);
    store_arguments_add(list, end->fork_state);
}

/* Appends ARGV [19] of commit_branch.lua: the branch id prefix of an abort's subtree ('' without one). */
static void add_abort_prefix(struct store_arguments *list, const struct execution_abort *abort)
{
    char prefix[EXECUTION_STORE_BRANCH_KEY_SIZE];
    if (!abort)
        store_arguments_add(list, "");
    else if (key_result(snprintf(prefix, sizeof(prefix), "%s%s%s.", abort->fork_branch_id,
                                 *abort->fork_branch_id ? "/" : "", abort->fork_state),
                        sizeof(prefix))
             < 0)
        list->failed = true;
    else
        store_arguments_add(list, prefix);
}

/* Appends the set pairs of fields. */
static void add_set_pairs(struct store_arguments *list, const struct execution_fields *fields)
{
    for (size_t i = 0; i < fields->set_count; i++) {
        store_arguments_add(list, fields->set[i].name);
        store_arguments_add(list, fields->set[i].value);
    }
}

/* Appends the ARGV of commit_branch.lua (see its header). */
static void add_branch_commit_arguments(struct store_arguments *list, const char *execution_id,
                                        const struct execution_branch_commit *commit,
                                        const struct execution_events *events, const struct execution_fields *fields)
{
    char member[EXECUTION_STORE_BRANCH_KEY_SIZE];
    if (execution_store_timer_member(execution_id, commit->branch_id, member, sizeof(member)) < 0)
        list->failed = true;
    store_arguments_add_number(list, commit->expected_last_event_id);
    store_arguments_add(list, commit->required_token ? commit->required_token : "");
    store_arguments_add_number(list, (long long)events->count);
    store_arguments_add_number(list, (long long)fields->set_count);
    store_arguments_add_number(list, (long long)fields->delete_count);
    store_arguments_add(list, member);
    arguments_add_placeholders(list, events);
    store_arguments_add(list, commit->last_event ? commit->last_event : "");
    store_arguments_add(list, commit->branch_id);
    store_arguments_add_number(list, (long long)commit->now_ms);
    if (commit->continuation)
        store_arguments_add_number(list, commit->expected_fork_signals);
    else
        store_arguments_add(list, "");
    store_arguments_add_number(list, commit->fork_running_delta);
    add_child_end(list, execution_id, commit->end);
    store_arguments_add_number(list, (long long)commit->child_count);
    add_abort_prefix(list, commit->abort);
    add_prefix(list, BRANCH_RECORD_KIND, execution_id);
    add_prefix(list, RESULTS_KIND, execution_id);
    if (key_result(snprintf(member, sizeof(member), "%s%c", execution_id, BRANCH_SEPARATOR), sizeof(member)) < 0)
        list->failed = true;
    store_arguments_add(list, member);
    store_arguments_add_number(list, EXECUTION_STORE_MAX_LIVE_BRANCHES);
    arguments_add_events(list, events);
    add_set_pairs(list, fields);
    for (size_t i = 0; i < fields->delete_count; i++)
        store_arguments_add(list, fields->deletes[i]);
    add_children_and_results(list, commit->children, commit->child_count, NULL, 0);
    store_arguments_add_number(list, (long long)commit->result_count);
    add_children_and_results(list, NULL, 0, commit->results, commit->result_count);
    store_arguments_add(list, commit->history_of ? commit->history_of : "");
    store_arguments_add_number(list, (long long)commit->write_count);
    for (size_t i = 0; i < commit->write_count; i++) {
        const struct store_write *write = &commit->writes[i];
        store_arguments_add(list, write->command);
        store_arguments_add(list, write->key);
        store_arguments_add_number(list, (long long)write->argument_count);
        for (size_t a = 0; a < write->argument_count; a++)
            store_arguments_add(list, write->arguments[a]);
    }
}

/* Appends per child its id, last event, pair count and pairs, then per result its fork, state, field and value. */
static void add_children_and_results(struct store_arguments *list, const struct execution_child *children,
                                     size_t child_count, const struct execution_result *results, size_t result_count)
{
    for (size_t i = 0; i < child_count; i++) {
        const struct execution_child *child = &children[i];
        store_arguments_add(list, child->branch_id);
        store_arguments_add(list, child->last_event ? child->last_event : "");
        store_arguments_add_number(list, (long long)child->fields->set_count);
        add_set_pairs(list, child->fields);
    }
    for (size_t i = 0; i < result_count; i++) {
        const struct execution_result *result = &results[i];
        char field[64];
        if (key_result(snprintf(field, sizeof(field), "%s%s", result->failed ? "!" : "", result->index), sizeof(field))
            < 0)
            list->failed = true;
        store_arguments_add(list, result->fork_branch_id);
        store_arguments_add(list, result->fork_state);
        store_arguments_add(list, field);
        store_arguments_add(list, result->value);
    }
}

/* Appends KEYS[4] of create_execution.lua (the live branches). Returns 0 or -ENAMETOOLONG. */
static int add_branches_key(struct store_arguments *list, const char *execution_id)
{
    char branches[EXECUTION_STORE_BRANCH_KEY_SIZE];
    int result = execution_store_branches_key(execution_id, branches, sizeof(branches));
    store_arguments_add(list, result == 0 ? branches : "");
    return result;
}

/* Appends ARGV [8]-[10] of create_execution.lua: the prefixes of branch records, results and timer members. */
static void add_first_fork_prefixes(struct store_arguments *list, const char *execution_id)
{
    char member[EXECUTION_STORE_BRANCH_KEY_SIZE];
    add_prefix(list, BRANCH_RECORD_KIND, execution_id);
    add_prefix(list, RESULTS_KIND, execution_id);
    if (key_result(snprintf(member, sizeof(member), "%s%c", execution_id, BRANCH_SEPARATOR), sizeof(member)) < 0)
        list->failed = true;
    store_arguments_add(list, member);
}

int execution_store_commit_branch(struct redis_client *client, const char *execution_id,
                                  const struct execution_branch_commit *commit, store_events_callback callback,
                                  void *data)
{
    static const struct execution_fields no_fields = { 0 };
    const struct execution_fields *fields = commit->fields && !commit->end ? commit->fields : &no_fields;
    const struct execution_events *events = events_or_none(commit->events);
    struct store_arguments list = { 0 };
    if (is_plain_root_commit(commit))
        return execution_store_commit(client, execution_id, commit->expected_last_event_id, commit->required_token,
                                      events, fields, callback, data);
    if (commit->end && !*commit->branch_id)
        return -EINVAL;
    int result = add_branch_commit_keys(&list, execution_id, commit);
    if (result < 0) {
        store_arguments_release(&list);
        return result;
    }
    int key_count = (int)list.count;
    add_branch_commit_arguments(&list, execution_id, commit, events, fields);
    const struct commit_request hearer = { NULL, callback, data };
    return run_status_script(client, &commit_branch_script, key_count, &list, &hearer);
}

struct results_read {
    store_results_callback callback;
    void *data;
};

static void on_results_read(redisReply *reply, void *data)
{
    struct results_read *read = data;
    bool valid = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements % 2 == 0;
    size_t count = valid ? reply->elements / 2 : 0;
    struct execution_hash_entry *entries = valid ? calloc(count + 1, sizeof(*entries)) : NULL;
    int status = !valid ? -EIO : !entries ? -ENOMEM : 0;
    for (size_t i = 0; status == 0 && i < count; i++) {
        const redisReply *name = reply->element[2 * i], *value = reply->element[2 * i + 1];
        if (name->type != REDIS_REPLY_STRING || value->type != REDIS_REPLY_STRING)
            status = -EIO;
        else
            entries[i] = (struct execution_hash_entry){ name->str, value->str, value->len };
    }
    read->callback(status, status == 0 ? entries : NULL, status == 0 ? count : 0, read->data);
    free(entries);
    free(read);
}

/* HGETALL of key; same contract as execution_store_read_results(). */
static int read_results_hash(struct redis_client *client, const char *key, store_results_callback callback, void *data);

int execution_store_read_results(struct redis_client *client, const char *execution_id, const char *fork_key_part,
                                 store_results_callback callback, void *data)
{
    char key[EXECUTION_STORE_BRANCH_KEY_SIZE];
    int result = execution_store_results_key(execution_id, fork_key_part, key, sizeof(key));
    return result < 0 ? result : read_results_hash(client, key, callback, data);
}

int execution_store_read_kept_results(struct redis_client *client, const char *execution_id, const char *branch_id,
                                      const char *fork_state, store_results_callback callback, void *data)
{
    char key[EXECUTION_STORE_BRANCH_KEY_SIZE], part[EXECUTION_STORE_BRANCH_KEY_SIZE];
    int result = fork_key_part(branch_id, fork_state, part, sizeof(part));
    if (result == 0)
        result = prefixed_key(KEPT_KIND, execution_id, part, key, sizeof(key));
    return result < 0 ? result : read_results_hash(client, key, callback, data);
}

static int read_results_hash(struct redis_client *client, const char *key, store_results_callback callback, void *data)
{
    struct results_read *read = malloc(sizeof(*read));
    if (!read)
        return -ENOMEM;
    *read = (struct results_read){ callback, data };
    const char *argv[] = { "HGETALL", key };
    int result = redis_client_command_strings(client, on_results_read, read, 2, argv);
    if (result < 0)
        free(read);
    return result;
}

struct branches_read {
    store_branches_callback callback;
    void *data;
};

/* Whether reply is what read_branches.lua answers. */
static bool is_branches_reply(const redisReply *reply)
{
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements % 2 != 1
        || reply->element[0]->type != REDIS_REPLY_INTEGER)
        return false;
    for (size_t i = 1; i + 1 < reply->elements; i += 2) {
        if (reply->element[i]->type != REDIS_REPLY_STRING || reply->element[i + 1]->type != REDIS_REPLY_ARRAY)
            return false;
    }
    return true;
}

/* Fills entries from a read_branches reply, skipping ids without a record; *count is how many. Returns 0 or < 0. */
static int branches_from_reply(const redisReply *reply, struct execution_branch_entry *entries, size_t *count)
{
    *count = 0;
    for (size_t i = 1; i + 1 < reply->elements; i += 2) {
        struct execution_record *record = NULL;
        if (reply->element[i + 1]->elements == 0)
            continue; /* ended between the two reads of the set: cannot happen in one script, kept harmless */
        int result = record_from_reply(reply->element[i + 1], 0, &record);
        if (result < 0)
            return result;
        entries[(*count)++] = (struct execution_branch_entry){ reply->element[i]->str, record };
    }
    return 0;
}

static void on_branches_read(redisReply *reply, void *data)
{
    struct branches_read *read = data;
    bool valid = is_branches_reply(reply);
    size_t count = 0;
    struct execution_branch_entry *entries = valid ? calloc(reply->elements / 2 + 1, sizeof(*entries)) : NULL;
    int status = !valid ? -EIO : !entries ? -ENOMEM : branches_from_reply(reply, entries, &count);
    if (status == -EINVAL)
        status = -EIO;
    for (size_t i = 0; status < 0 && i < count; i++)
        execution_record_free((struct execution_record *)entries[i].record);
    if (status < 0)
        count = 0;
    read->callback(status, status == 0 ? entries : NULL, count, status == 0 && reply->element[0]->integer == 1,
                   read->data);
    for (size_t i = 0; i < count; i++)
        execution_record_free((struct execution_record *)entries[i].record);
    free(entries);
    free(read);
}

int execution_store_read_branches(struct redis_client *client, const char *execution_id, size_t max,
                                  store_branches_callback callback, void *data)
{
    char branches[EXECUTION_STORE_BRANCH_KEY_SIZE], prefix[EXECUTION_STORE_BRANCH_KEY_SIZE], most[24];
    if (max == 0 || max > EXECUTION_STORE_MAX_READ_BRANCHES)
        max = EXECUTION_STORE_MAX_READ_BRANCHES;
    int result = execution_store_branches_key(execution_id, branches, sizeof(branches));
    if (result == 0)
        result = prefixed_key(BRANCH_RECORD_KIND, execution_id, "", prefix, sizeof(prefix));
    if (result < 0)
        return result;
    struct branches_read *read = malloc(sizeof(*read));
    if (!read)
        return -ENOMEM;
    *read = (struct branches_read){ callback, data };
    snprintf(most, sizeof(most), "%zu", max);
    const char *argv[] = { branches, most, prefix };
    result = redis_client_eval_strings(client, &read_branches_script, on_branches_read, read, 1, 3, argv);
    if (result < 0)
        free(read);
    return result;
}
