/* activities - see activities.h. */
#include "activities.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "activity_arn.h"
#include "json_util.h"
#include "integrations_scripts.h"
#include "log.h"
#include "wall_clock.h"

/* Every activity key shares one hash tag (see activities.h). */
#define KEY_TAG "{sfn:activities}"
#define INDEX_KEY KEY_TAG ":index"
/* KEY_TAG ":activity:" + an 80-character name, the longest key */
#define KEY_SIZE 112

/* scripts/create_activity.lua */
static struct redis_script create_script = { .name = "create-activity", .source = integrations_create_activity_lua };

/* scripts/delete_activity.lua */
static struct redis_script delete_script = { .name = "delete-activity", .source = integrations_delete_activity_lua };

/* scripts/activity_tags.lua */
static struct redis_script tags_script = { .name = "activity-tags", .source = integrations_activity_tags_lua };

/* scripts/enqueue_activity_task.lua; durable: the task waits in the queue only (REDIS_WAIT_REPLICAS) */
static struct redis_script enqueue_script = { .name = "enqueue-activity-task",
                                              .source = integrations_enqueue_activity_task_lua,
                                              .durable = true };

/* scripts/take_activity_task.lua */
static struct redis_script take_script = { .name = "take-activity-task",
                                           .source = integrations_take_activity_task_lua };

struct poller_group;

/* One waiting GetActivityTask. */
struct poller {
    struct activities *activities;
    TAILQ_ENTRY(poller) link;     /* in its group's FIFO */
    struct activity_poll request; /* callbacks and data (name and worker_name point below) */
    char name[ACTIVITY_NAME_SIZE];
    char *worker_name;
    uint64_t deadline_ms; /* monotonic */
};

/*
 * The pollers of one activity. The head of the FIFO is served first; the
 * poller being served is held apart. At most one operation (a take, a
 * claim, or putting a task back) is in flight per group.
 */
struct poller_group {
    struct activities *activities;
    LIST_ENTRY(poller_group) link; /* in activities->groups */
    char name[ACTIVITY_NAME_SIZE];
    char arn[ACTIVITY_ARN_SIZE];
    TAILQ_HEAD(, poller) waiting; /* the head is served first */
    struct poller *serving;       /* the poller a take or claim is for, or NULL */
    bool busy;                    /* an operation is in flight */
    bool claiming;                /* inside the claim hook: a claim answered at once must not free the group */
    char *task;                   /* the task taken and not handed over yet: JSON text */
    const char *token, *input;    /* in parsed_task */
    cJSON *parsed_task;
};

struct activities {
    struct event_loop *loop;
    struct redis_client *redis;
    struct activities_config config;
    LIST_HEAD(, poller_group) groups;
    size_t poller_count; /* waiting and being served */
    struct event_timer tick;
    unsigned ticks; /* counts ticks, to look at clients only every CLIENT_CHECK_TICKS */
    bool stopped;
};

/* ---- keys and requests ---- */

static void activity_key(const char *name, char *out)
{
    snprintf(out, KEY_SIZE, KEY_TAG ":activity:%s", name);
}

static void queue_key(const char *name, char *out)
{
    snprintf(out, KEY_SIZE, KEY_TAG ":tasks:%s", name);
}

static void tags_key(const char *name, char *out)
{
    snprintf(out, KEY_SIZE, KEY_TAG ":tags:%s", name);
}

int activities_arn(const struct activities *activities, const char *name, char *out, size_t size)
{
    return activity_arn_format(activities->config.region, activities->config.account, name, out, size);
}

/* The context of one store operation until Redis answers. */
struct store_request {
    struct activities *activities;
    activity_callback on_activity;
    activity_status_callback on_status;
    activity_list_callback on_list;
    activity_tags_callback on_tags;
    void *data;
    char name[ACTIVITY_NAME_SIZE];
    char arn[ACTIVITY_ARN_SIZE];
    long limit;
};

/* A request for the activity name (or, with arn, the activity of that ARN). NULL when out of memory or invalid. */
static struct store_request *new_request(struct activities *activities, const char *name, const char *arn, void *data)
{
    struct activity_arn parsed;
    if (arn) {
        if (activity_arn_parse(arn, &parsed) != ACTIVITY_ARN_VALID)
            return NULL;
        name = parsed.name;
    }
    struct store_request *request = calloc(1, sizeof(*request));
    if (!request)
        return NULL;
    request->activities = activities;
    request->data = data;
    if (name) {
        snprintf(request->name, sizeof(request->name), "%s", name);
        if (arn)
            snprintf(request->arn, sizeof(request->arn), "%s", arn);
        else if (activities_arn(activities, name, request->arn, sizeof(request->arn)) < 0) {
            free(request);
            return NULL;
        }
    }
    return request;
}

/* Frees request when sending failed; returns result. */
static int sent(struct store_request *request, int result)
{
    if (result < 0)
        free(request);
    return result;
}

static int run_script(struct activities *activities, struct redis_script *script, redis_client_callback callback,
                      void *data, int key_count, int argc, const char **argv)
{
    return redis_client_eval_strings(activities->redis, script, callback, data, key_count, argc, argv);
}

/* Runs script with the fixed_count arguments of fixed (key_count of them keys), then the count strings of extra. */
static int run_script_with(struct activities *activities, struct redis_script *script, redis_client_callback callback,
                           void *data, int key_count, const char *const *fixed, size_t fixed_count,
                           const char *const *extra, size_t count)
{
    size_t argc = fixed_count + count;
    const char **argv = calloc(argc, sizeof(*argv));
    size_t *lengths = calloc(argc, sizeof(*lengths));
    int result = -ENOMEM;
    if (argv && lengths) {
        for (size_t i = 0; i < argc; i++) {
            argv[i] = i < fixed_count ? fixed[i] : extra[i - fixed_count];
            lengths[i] = strlen(argv[i]);
        }
        result = redis_client_eval(activities->redis, script, callback, data, key_count, (int)argc, argv, lengths);
    }
    free(argv);
    free(lengths);
    return result;
}

static bool is_integer(const redisReply *reply)
{
    return reply && reply->type == REDIS_REPLY_INTEGER;
}

/* ---- CreateActivity, DescribeActivity, ListActivities, DeleteActivity ---- */

static void on_created(redisReply *reply, void *data)
{
    struct store_request *request = data;
    bool valid = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1 && is_integer(reply->element[0]);
    if (valid && reply->element[0]->integer == 0) {
        request->on_activity(-EDQUOT, NULL, request->data);
    } else if (valid && reply->elements == 3 && reply->element[1]->type == REDIS_REPLY_STRING
               && reply->element[2]->type == REDIS_REPLY_STRING) {
        struct activity_description activity = { reply->element[1]->str, request->name,
                                                 strtoll(reply->element[2]->str, NULL, 10) };
        request->on_activity(0, &activity, request->data);
    } else {
        request->on_activity(-EIO, NULL, request->data);
    }
    free(request);
}

int activities_create_activity(struct activities *activities, const char *name, activity_callback callback, void *data)
{
    return activities_create_tagged(activities, name, NULL, 0, callback, data);
}

int activities_create_tagged(struct activities *activities, const char *name, const char *const *tags, size_t tag_count,
                             activity_callback callback, void *data)
{
    struct store_request *request = new_request(activities, name, NULL, data);
    char key[KEY_SIZE], tags_at[KEY_SIZE], now[24], most[24];
    if (!request)
        return -ENOMEM;
    request->on_activity = callback;
    activity_key(name, key);
    tags_key(name, tags_at);
    snprintf(now, sizeof(now), "%lld", (long long)wall_clock_now_ms());
    snprintf(most, sizeof(most), "%lld", activities->config.max_activities);
    const char *const argv[] = { key, INDEX_KEY, tags_at, request->arn, name, now, most };
    return sent(request, run_script_with(activities, &create_script, on_created, request, 3, argv, 7, tags,
                                         tags ? 2 * tag_count : 0));
}

static void on_described(redisReply *reply, void *data)
{
    struct store_request *request = data;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
        request->on_activity(-EIO, NULL, request->data);
    } else if (reply->element[0]->type != REDIS_REPLY_STRING || strcmp(reply->element[0]->str, request->arn) != 0
               || reply->element[1]->type != REDIS_REPLY_STRING) {
        request->on_activity(0, NULL, request->data); /* none, or one of another region or account */
    } else {
        struct activity_description activity = { request->arn, request->name,
                                                 strtoll(reply->element[1]->str, NULL, 10) };
        request->on_activity(0, &activity, request->data);
    }
    free(request);
}

int activities_describe(struct activities *activities, const char *name, activity_callback callback, void *data)
{
    struct store_request *request = new_request(activities, name, NULL, data);
    char key[KEY_SIZE];
    if (!request)
        return -ENOMEM;
    request->on_activity = callback;
    activity_key(name, key);
    const char *argv[] = { "HMGET", key, "arn", "creationDate" };
    return sent(request, redis_client_command_strings(activities->redis, on_described, request, 4, argv));
}

static void on_listed(redisReply *reply, void *data)
{
    struct store_request *request = data;
    struct activity_description *items = NULL;
    char(*arns)[ACTIVITY_ARN_SIZE] = NULL;
    size_t count = 0;
    int status = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements % 2 == 0 ? 0 : -EIO;
    size_t found = status == 0 ? reply->elements / 2 : 0;
    bool more = found > (size_t)request->limit;
    if (status == 0 && found) {
        items = calloc(found, sizeof(*items));
        arns = calloc(found, sizeof(*arns));
        if (!items || !arns)
            status = -ENOMEM;
    }
    for (size_t i = 0; status == 0 && i < found && count < (size_t)request->limit; i++) {
        const redisReply *name = reply->element[2 * i], *score = reply->element[2 * i + 1];
        if (name->type != REDIS_REPLY_STRING || score->type != REDIS_REPLY_STRING
            || activities_arn(request->activities, name->str, arns[count], sizeof(arns[count])) < 0)
            continue;
        items[count] = (struct activity_description){ arns[count], name->str, strtoll(score->str, NULL, 10) };
        count++;
    }
    request->on_list(status, items, count, more, request->data);
    free(items);
    free(arns);
    free(request);
}

int activities_list(struct activities *activities, long offset, long limit, activity_list_callback callback, void *data)
{
    struct store_request *request = new_request(activities, NULL, NULL, data);
    char start[24], stop[24];
    if (!request)
        return -ENOMEM;
    request->on_list = callback;
    request->limit = limit;
    snprintf(start, sizeof(start), "%ld", offset);
    snprintf(stop, sizeof(stop), "%ld", offset + limit); /* one more than asked: is there a next page? */
    const char *argv[] = { "ZRANGE", INDEX_KEY, start, stop, "WITHSCORES" };
    return sent(request, redis_client_command_strings(activities->redis, on_listed, request, 5, argv));
}

static void on_status_reply(redisReply *reply, void *data)
{
    struct store_request *request = data;
    request->on_status(is_integer(reply) ? 0 : -EIO, request->data);
    free(request);
}

int activities_delete(struct activities *activities, const char *name, activity_status_callback callback, void *data)
{
    struct store_request *request = new_request(activities, name, NULL, data);
    char key[KEY_SIZE], queue[KEY_SIZE], tags[KEY_SIZE];
    if (!request)
        return -ENOMEM;
    request->on_status = callback;
    activity_key(name, key);
    queue_key(name, queue);
    tags_key(name, tags);
    const char *argv[] = { key, queue, INDEX_KEY, tags, name };
    return sent(request, run_script(activities, &delete_script, on_status_reply, request, 4, 5, argv));
}

/* ---- TagResource, UntagResource, ListTagsForResource ---- */

static void on_tags(redisReply *reply, void *data)
{
    struct store_request *request = data;
    bool valid = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1 && is_integer(reply->element[0])
                 && reply->elements % 2 == 1;
    for (size_t i = 1; valid && i < reply->elements; i++)
        valid = reply->element[i]->type == REDIS_REPLY_STRING;
    long long outcome = valid ? reply->element[0]->integer : -1;
    size_t count = valid ? reply->elements / 2 : 0;
    const char **tags = outcome == 1 ? calloc(2 * count + 1, sizeof(*tags)) : NULL;
    for (size_t i = 0; tags && i < 2 * count; i++)
        tags[i] = reply->element[1 + i]->str;
    int status = outcome == 0 ? -ENOENT : outcome == 2 ? -E2BIG : outcome != 1 ? -EIO : tags ? 0 : -ENOMEM;
    request->on_tags(status, tags, status == 0 ? count : 0, request->data);
    free(tags);
    free(request);
}

/* Runs the tags script in mode on activity name with the count strings of extra after first (NULL: none). */
static int run_tags(struct activities *activities, const char *name, const char *mode, const char *first,
                    const char *const *extra, size_t count, activity_tags_callback callback, void *data)
{
    struct store_request *request = new_request(activities, name, NULL, data);
    char key[KEY_SIZE], tags[KEY_SIZE];
    if (!request)
        return -ENOMEM;
    request->on_tags = callback;
    activity_key(name, key);
    tags_key(name, tags);
    const char *const argv[] = { key, tags, mode, first };
    return sent(request,
                run_script_with(activities, &tags_script, on_tags, request, 2, argv, first ? 4 : 3, extra, count));
}

int activities_tag(struct activities *activities, const char *name, const char *const *tags, size_t count,
                   size_t max_tags, activity_tags_callback callback, void *data)
{
    char most[24];
    snprintf(most, sizeof(most), "%zu", max_tags);
    return run_tags(activities, name, "tag", most, tags, 2 * count, callback, data);
}

int activities_untag(struct activities *activities, const char *name, const char *const *keys, size_t count,
                     activity_tags_callback callback, void *data)
{
    return run_tags(activities, name, "untag", NULL, keys, count, callback, data);
}

int activities_list_tags(struct activities *activities, const char *name, activity_tags_callback callback, void *data)
{
    return run_tags(activities, name, "list", NULL, NULL, 0, callback, data);
}

/* ---- the queue ---- */

static void on_checked(redisReply *reply, void *data)
{
    struct store_request *request = data;
    int status = -EIO;
    if (reply && reply->type == REDIS_REPLY_NIL)
        status = -ENOENT;
    else if (reply && reply->type == REDIS_REPLY_STRING)
        status = strcmp(reply->str, request->arn) == 0 ? 0 : -ENOENT;
    request->on_status(status, request->data);
    free(request);
}

int activities_check(struct activities *activities, const char *arn, activity_status_callback callback, void *data)
{
    struct store_request *request = new_request(activities, NULL, arn, data);
    char key[KEY_SIZE];
    if (!request)
        return activity_arn_is_activity(arn) ? -ENOMEM : -EINVAL;
    request->on_status = callback;
    activity_key(request->name, key);
    const char *argv[] = { "HGET", key, "arn" };
    return sent(request, redis_client_command_strings(activities->redis, on_checked, request, 3, argv));
}

static struct poller_group *find_group(const struct activities *activities, const char *name);
static void serve_next(struct poller_group *group);
static void release_group_if_idle(struct poller_group *group);

static void on_enqueued(redisReply *reply, void *data)
{
    struct store_request *request = data;
    int status = !is_integer(reply) ? -EIO : reply->integer < 0 ? -ENOENT : reply->integer == 0 ? -ENOSPC : 0;
    struct poller_group *group = status == 0 ? find_group(request->activities, request->name) : NULL;
    if (group) {
        serve_next(group); /* a poller of this process waits: no need to wait for the next tick */
        release_group_if_idle(group);
    }
    request->on_status(status, request->data);
    free(request);
}

/* The JSON text a worker receives for a task, as queued. NULL when out of memory. */
static char *format_task(const char *token, const char *input)
{
    cJSON *task = cJSON_CreateObject();
    char *text = NULL;
    if (task && cJSON_AddStringToObject(task, "taskToken", token) && cJSON_AddStringToObject(task, "input", input))
        text = json_print(task);
    cJSON_Delete(task);
    return text;
}

int activities_enqueue(struct activities *activities, const char *arn, const char *token, const char *input,
                       activity_status_callback callback, void *data)
{
    struct store_request *request = new_request(activities, NULL, arn, data);
    char key[KEY_SIZE], queue[KEY_SIZE], most[24];
    if (!request)
        return activity_arn_is_activity(arn) ? -ENOMEM : -EINVAL;
    request->on_status = callback;
    char *task = format_task(token, input);
    if (!task) {
        free(request);
        return -ENOMEM;
    }
    activity_key(request->name, key);
    queue_key(request->name, queue);
    snprintf(most, sizeof(most), "%lld", activities->config.max_queued_tasks);
    const char *argv[] = { key, queue, arn, task, most };
    int result = run_script(activities, &enqueue_script, on_enqueued, request, 2, 5, argv);
    cJSON_free(task);
    return sent(request, result);
}

/* ---- pollers ---- */

static struct poller_group *find_group(const struct activities *activities, const char *name)
{
    struct poller_group *group;
    LIST_FOREACH(group, &activities->groups, link)
    {
        if (strcmp(group->name, name) == 0)
            return group;
    }
    return NULL;
}

static struct poller_group *find_or_add_group(struct activities *activities, const char *name)
{
    struct poller_group *group = find_group(activities, name);
    if (group)
        return group;
    group = calloc(1, sizeof(*group));
    if (!group)
        return NULL;
    if (activities_arn(activities, name, group->arn, sizeof(group->arn)) < 0) {
        free(group);
        return NULL;
    }
    group->activities = activities;
    snprintf(group->name, sizeof(group->name), "%s", name);
    TAILQ_INIT(&group->waiting);
    LIST_INSERT_HEAD(&activities->groups, group, link);
    return group;
}

static void drop_task(struct poller_group *group)
{
    free(group->task);
    cJSON_Delete(group->parsed_task);
    group->task = NULL;
    group->parsed_task = NULL;
    group->token = group->input = NULL;
}

/* Frees group once nobody waits in it and nothing is in flight for it. */
static void release_group_if_idle(struct poller_group *group)
{
    if (!TAILQ_EMPTY(&group->waiting) || group->serving || group->busy || group->claiming)
        return;
    LIST_REMOVE(group, link);
    drop_task(group);
    free(group);
}

static void append_poller(struct poller_group *group, struct poller *poller)
{
    TAILQ_INSERT_TAIL(&group->waiting, poller, link);
}

static struct poller *pop_poller(struct poller_group *group)
{
    struct poller *poller = TAILQ_FIRST(&group->waiting);
    if (poller)
        TAILQ_REMOVE(&group->waiting, poller, link);
    return poller;
}

/* Answers a poller that is in no list any more, and frees it. */
static void finish_poller(struct poller *poller, int status, const char *token, const char *input)
{
    poller->activities->poller_count--;
    poller->request.answer(status, token, input, poller->request.data);
    free(poller->worker_name);
    free(poller);
}

/* Answers the poller being served. */
static void finish_serving(struct poller_group *group, int status, const char *token, const char *input)
{
    struct poller *poller = group->serving;
    group->serving = NULL;
    finish_poller(poller, status, token, input);
}

static bool still_wanted(const struct poller *poller)
{
    return poller->request.still_wanted(poller->request.data);
}

static bool out_of_time(const struct poller *poller)
{
    return poller->activities->stopped || event_loop_now_ms() >= poller->deadline_ms;
}

static int send_take(struct poller_group *group, const char *task_to_put_back, redis_client_callback callback)
{
    char key[KEY_SIZE], queue[KEY_SIZE];
    activity_key(group->name, key);
    queue_key(group->name, queue);
    const char *argv[] = { key, queue, group->arn, task_to_put_back ? task_to_put_back : "" };
    int result = run_script(group->activities, &take_script, callback, group, 2, 4, argv);
    group->busy = result == 0;
    return result;
}

static void take_task(struct poller_group *group);

static void on_put_back(redisReply *reply, void *data)
{
    struct poller_group *group = data;
    group->busy = false;
    if (!is_integer(reply) || reply->integer < 0)
        log_event(LOG_WARN, "activity-task-lost",
                  "a task of activity %s could not be put back in its queue; its timeouts will close it", group->name);
    drop_task(group);
    serve_next(group);
    release_group_if_idle(group);
}

/*
 * The task taken for the served poller cannot be handed to it (its client
 * went away, or the claim was not recorded): the poller is answered with
 * status, and the task goes back to the head of the queue for the next one.
 */
static void put_task_back(struct poller_group *group, int status)
{
    log_event(LOG_INFO, "activity-task-returned", "a task of activity %s goes back to its queue: %s", group->name,
              status == -ECANCELED ? "its worker's client went away" : "its start could not be recorded");
    finish_serving(group, status, NULL, NULL);
    if (send_take(group, group->task, on_put_back) < 0) {
        log_event(LOG_WARN, "activity-task-lost",
                  "a task of activity %s could not be put back in its queue (Redis unavailable); its timeouts will "
                  "close it",
                  group->name);
        drop_task(group);
    }
}

static void on_claimed(int status, void *context)
{
    struct poller_group *group = context;
    group->busy = false;
    if (status == -ETIMEDOUT) {
        /* Closed while queued (timed out, answered, execution ended): skip it. */
        drop_task(group);
        if (out_of_time(group->serving))
            finish_serving(group, 0, NULL, NULL);
        else
            take_task(group);
    } else if (status < 0) {
        put_task_back(group, -EIO);
    } else {
        /*
         * ActivityStarted is recorded: the task is this worker's now, as on
         * AWS. If its client has just gone, the answer is lost and the task's
         * heartbeat or timeout closes it; putting it back would start it twice.
         */
        if (!still_wanted(group->serving))
            log_event(LOG_WARN, "activity-task-orphaned",
                      "the worker that took a task of activity %s went away; its timeouts will close it", group->name);
        finish_serving(group, 0, group->token, group->input);
        drop_task(group);
        serve_next(group); /* more tasks may wait for the pollers behind */
    }
    release_group_if_idle(group);
}

/* Keeps the task taken (reply->str) for the served poller; 0, -ENOMEM, or -EINVAL for a corrupt task. */
static int keep_task(struct poller_group *group, const redisReply *reply)
{
    group->task = strdup(reply->str);
    if (!group->task)
        return -ENOMEM;
    if (json_parse(reply->str, reply->len, &group->parsed_task) < 0)
        return -EINVAL;
    group->token = json_string_member(group->parsed_task, "taskToken");
    group->input = json_string_member(group->parsed_task, "input");
    return group->token && group->input ? 0 : -EINVAL;
}

static void claim_task(struct poller_group *group)
{
    struct poller *poller = group->serving;
    group->busy = true;
    group->claiming = true; /* the caller releases the group once this returns */
    int result = poller->request.claim(group->token, poller->worker_name, on_claimed, group, poller->request.data);
    group->claiming = false;
    if (result < 0) {
        group->busy = false;
        put_task_back(group, -EIO);
    }
}

static void on_taken(redisReply *reply, void *data)
{
    struct poller_group *group = data;
    int kept;
    group->busy = false;
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
        finish_serving(group, -EIO, NULL, NULL);
    } else if (is_integer(reply)) {
        /* The activity is gone: so are the polls on it. */
        for (struct poller *poller; (poller = pop_poller(group));)
            finish_poller(poller, -ENOENT, NULL, NULL);
        finish_serving(group, -ENOENT, NULL, NULL);
    } else if (reply->type != REDIS_REPLY_STRING) {
        /* Nothing queued: the poller waits again at the head, or is out of time. */
        struct poller *poller = group->serving;
        if (out_of_time(poller)) {
            finish_serving(group, 0, NULL, NULL);
        } else {
            group->serving = NULL;
            TAILQ_INSERT_HEAD(&group->waiting, poller, link);
        }
    } else if ((kept = keep_task(group, reply)) == -ENOMEM) {
        /* Out of memory: the poller gets an error and the task goes back, from the reply itself. */
        drop_task(group);
        finish_serving(group, -ENOMEM, NULL, NULL);
        if (send_take(group, reply->str, on_put_back) < 0)
            log_event(LOG_WARN, "activity-task-lost",
                      "a task of activity %s could not be put back in its queue; its timeouts will close it",
                      group->name);
    } else if (kept < 0) {
        log_event(LOG_WARN, "activity-task-dropped", "a task of activity %s was not valid JSON and was dropped",
                  group->name);
        drop_task(group);
        take_task(group);
    } else if (!still_wanted(group->serving)) {
        put_task_back(group, -ECANCELED);
    } else {
        claim_task(group);
    }
    release_group_if_idle(group);
}

/* Takes the oldest queued task for the poller being served. */
static void take_task(struct poller_group *group)
{
    if (send_take(group, NULL, on_taken) < 0)
        finish_serving(group, -EIO, NULL, NULL);
}

/* Serves the first waiting poller of group, unless an operation is in flight for the group. */
static void serve_next(struct poller_group *group)
{
    if (group->busy || group->serving || group->activities->stopped || TAILQ_EMPTY(&group->waiting))
        return;
    group->serving = pop_poller(group);
    take_task(group);
}

/*
 * A client's connection is looked at (one recv() per waiting poller) only
 * every this many ticks: it costs a system call, and a task taken for a
 * vanished poller is put back anyway.
 */
#define CLIENT_CHECK_TICKS 10

/* Answers the waiting pollers of group that are out of time or (when check_clients) whose client went away. */
static void expire_waiting(struct poller_group *group, bool check_clients)
{
    for (struct poller *poller = TAILQ_FIRST(&group->waiting), *next; poller; poller = next) {
        next = TAILQ_NEXT(poller, link);
        bool expired = out_of_time(poller), gone = !expired && check_clients && !still_wanted(poller);
        if (expired || gone) {
            TAILQ_REMOVE(&group->waiting, poller, link);
            finish_poller(poller, expired ? 0 : -ECANCELED, NULL, NULL);
        }
    }
}

static void start_ticking(struct activities *activities);

/* Every poll_interval_ms while polls wait: expire them and look for tasks queued by other processes. */
static void on_tick(struct event_timer *timer)
{
    struct activities *activities = timer->data;
    bool check_clients = ++activities->ticks % CLIENT_CHECK_TICKS == 0;
    for (struct poller_group *group = LIST_FIRST(&activities->groups), *next; group; group = next) {
        next = LIST_NEXT(group, link);
        expire_waiting(group, check_clients);
        serve_next(group);
        release_group_if_idle(group);
    }
    start_ticking(activities);
}

static void start_ticking(struct activities *activities)
{
    if (activities->poller_count && !activities->stopped && !activities->tick.active)
        event_loop_timer_start(activities->loop, &activities->tick, activities->config.poll_interval_ms, on_tick,
                               activities);
}

int activities_poll(struct activities *activities, const struct activity_poll *poll)
{
    if (activities->stopped)
        return -ESHUTDOWN;
    if (!redis_client_connected(activities->redis))
        return -ENOTCONN;
    if (activities->poller_count >= activities->config.max_pollers)
        return -EBUSY;
    struct poller *poller = calloc(1, sizeof(*poller));
    struct poller_group *group = poller ? find_or_add_group(activities, poll->name) : NULL;
    if (poller && poll->worker_name)
        poller->worker_name = strdup(poll->worker_name);
    if (!group || (poll->worker_name && !poller->worker_name)) {
        if (poller)
            free(poller->worker_name);
        free(poller);
        if (group)
            release_group_if_idle(group);
        return -ENOMEM;
    }
    poller->activities = activities;
    poller->request = *poll;
    snprintf(poller->name, sizeof(poller->name), "%s", poll->name);
    poller->request.name = poller->name;
    poller->request.worker_name = poller->worker_name;
    poller->deadline_ms = event_loop_now_ms() + activities->config.poll_timeout_ms;
    activities->poller_count++;
    append_poller(group, poller);
    serve_next(group);
    release_group_if_idle(group);
    start_ticking(activities);
    return 0;
}

/* ---- life cycle ---- */

int activities_create(struct event_loop *loop, struct redis_client *redis, const struct activities_config *config,
                      struct activities **activities_out)
{
    struct redis_script *const scripts[] = { &create_script, &delete_script, &enqueue_script, &take_script,
                                             &tags_script };
    struct activities *activities = calloc(1, sizeof(*activities));
    if (!activities)
        return -ENOMEM;
    int result = redis_client_add_scripts(redis, scripts, sizeof(scripts) / sizeof(scripts[0]));
    if (result < 0) {
        free(activities);
        return result;
    }
    activities->loop = loop;
    activities->redis = redis;
    activities->config = *config;
    *activities_out = activities;
    return 0;
}

void activities_stop(struct activities *activities)
{
    if (!activities || activities->stopped)
        return;
    activities->stopped = true;
    event_loop_timer_stop(activities->loop, &activities->tick);
    for (struct poller_group *group = LIST_FIRST(&activities->groups), *next; group; group = next) {
        next = LIST_NEXT(group, link);
        for (struct poller *poller; (poller = pop_poller(group));)
            finish_poller(poller, 0, NULL, NULL);
        release_group_if_idle(group);
    }
}

void activities_destroy(struct activities *activities)
{
    if (!activities)
        return;
    event_loop_timer_stop(activities->loop, &activities->tick);
    while (!LIST_EMPTY(&activities->groups)) {
        struct poller_group *group = LIST_FIRST(&activities->groups);
        for (struct poller *poller; (poller = pop_poller(group));)
            finish_poller(poller, 0, NULL, NULL);
        if (group->serving)
            finish_serving(group, -EIO, NULL, NULL);
        group->busy = false;
        release_group_if_idle(group);
    }
    free(activities);
}
