/* callback_queue - see callback_queue.h. */
#include "callback_queue.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "log.h"
#include "random_id.h"

#define DUE_KEY "{valuation-service}:due"
#define IN_FLIGHT_KEY "{valuation-service}:in-flight"
#define FAILED_KEY "{valuation-service}:failed"
#define JOB_KEY_PREFIX "{valuation-service}:callback:"
/* Largest number of callbacks taken in one claim (Lua's unpack and reply sizes stay small). */
#define MAX_CLAIM_BATCH 100

/* KEYS[1] due, KEYS[2..] job keys. ARGV[1] delay ms, ARGV[2] url, then (id, body) per job. */
static struct redis_script schedule_script = {
    .name = "schedule-callback",
    .source =
        "local t = redis.call('TIME')\n"
        "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
        "for i = 2, #KEYS do\n"
        "  local id, body = ARGV[1 + 2 * (i - 1)], ARGV[2 + 2 * (i - 1)]\n"
        "  redis.call('HSET', KEYS[i], 'url', ARGV[2], 'body', body, 'attempts', 0, 'created', now)\n"
        "  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), id)\n"
        "end\n"
        "return now\n",
};

/*
 * KEYS[1] due, KEYS[2] in-flight. ARGV[1] batch, ARGV[2] lease ms, ARGV[3]
 * job key prefix. Returns {ms until the next due callback or -1, {{id, url,
 * body, attempts, created}...}, Redis' clock in ms}.
 */
static struct redis_script claim_script = {
    .name = "claim-callbacks",
    .source =
        "local t = redis.call('TIME')\n"
        "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
        "local expired = redis.call('ZRANGE', KEYS[2], '-inf', now, 'BYSCORE', 'LIMIT', 0, 100)\n"
        "for _, id in ipairs(expired) do\n"
        "  redis.call('ZREM', KEYS[2], id)\n"
        "  redis.call('ZADD', KEYS[1], now, id)\n"
        "end\n"
        "local claimed = {}\n"
        "local batch = tonumber(ARGV[1])\n"
        "if batch > 0 then\n"
        "  local due = redis.call('ZRANGE', KEYS[1], '-inf', now, 'BYSCORE', 'LIMIT', 0, batch)\n"
        "  for _, id in ipairs(due) do\n"
        "    redis.call('ZREM', KEYS[1], id)\n"
        "    local job = redis.call('HMGET', ARGV[3] .. id, 'url', 'body', 'attempts', 'created')\n"
        "    if job[1] then\n"
        "      redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), id)\n"
        "      claimed[#claimed + 1] = {id, job[1], job[2], job[3], job[4]}\n"
        "    end\n"
        "  end\n"
        "end\n"
        "local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')\n"
        "local wait = -1\n"
        "if #head > 0 then wait = math.max(0, tonumber(head[2]) - now) end\n"
        "return {wait, claimed, now}\n",
};

/*
 * KEYS[1] due, KEYS[2] in-flight, KEYS[3] job, KEYS[4] failed list.
 * ARGV[1] id, ARGV[2] 'done' | 'retry' | 'failed', ARGV[3] retry delay ms,
 * ARGV[4] failure record.
 */
static struct redis_script settle_script = {
    .name = "settle-callback",
    .source =
        "redis.call('ZREM', KEYS[2], ARGV[1])\n"
        "if ARGV[2] == 'retry' then\n"
        "  local t = redis.call('TIME')\n"
        "  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
        "  redis.call('HINCRBY', KEYS[3], 'attempts', 1)\n"
        "  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])\n"
        "  return 1\n"
        "end\n"
        "redis.call('DEL', KEYS[3])\n"
        "if ARGV[2] == 'failed' then\n"
        "  redis.call('LPUSH', KEYS[4], ARGV[4])\n"
        "  redis.call('LTRIM', KEYS[4], 0, 999)\n"
        "end\n"
        "return 1\n",
};

struct callback_queue {
    struct event_loop *loop;
    struct redis_client *redis;
    struct http_client *http;
    struct callback_queue_config config;
    struct event_timer wake_timer;
    bool claiming;
    bool stopped;
    unsigned in_flight;
};

struct delivery {
    struct callback_queue *queue;
    char *id;
    char *url;
    long attempts;
    int64_t created_ms;
    int64_t redis_now_ms;      /* Redis' clock when claimed, for the retry deadline */
};

static void pump(struct callback_queue *queue);

static void on_wake(struct event_timer *timer)
{
    pump(timer->data);
}

/* Wakes the queue in delay_ms, unless it is already due to wake sooner. */
static void wake_in(struct callback_queue *queue, uint64_t delay_ms)
{
    if (queue->stopped)
        return;
    uint64_t due = event_loop_now_ms() + delay_ms;
    if (queue->wake_timer.active && queue->wake_timer.due_ms <= due)
        return;
    event_loop_timer_start(queue->loop, &queue->wake_timer, delay_ms, on_wake, queue);
}

static void delivery_free(struct delivery *delivery)
{
    free(delivery->id);
    free(delivery->url);
    free(delivery);
}

static void on_settled(redisReply *reply, void *data)
{
    struct delivery *delivery = data;
    if (!reply || reply->type == REDIS_REPLY_ERROR)
        log_event(LOG_WARN, "callback-unsettled",
                  "could not record the outcome of callback %s; its lease will expire and it may be sent again",
                  delivery->id);
    delivery->queue->in_flight--;
    pump(delivery->queue);
    delivery_free(delivery);
}

static void settle(struct delivery *delivery, const char *action, uint64_t retry_delay_ms, const char *failure)
{
    char job_key[256], delay[32];
    snprintf(job_key, sizeof(job_key), JOB_KEY_PREFIX "%s", delivery->id);
    snprintf(delay, sizeof(delay), "%llu", (unsigned long long)retry_delay_ms);
    const char *argv[] = { DUE_KEY, IN_FLIGHT_KEY, job_key, FAILED_KEY, delivery->id, action, delay,
                           failure ? failure : "" };
    size_t lengths[8];
    for (int i = 0; i < 8; i++)
        lengths[i] = strlen(argv[i]);
    if (redis_client_eval(delivery->queue->redis, &settle_script, on_settled, delivery, 4, 8, argv, lengths) < 0)
        on_settled(NULL, delivery);
}

static char *failure_record(const struct delivery *delivery, const char *reason)
{
    cJSON *record = cJSON_CreateObject();
    char *text = NULL;
    if (record && cJSON_AddStringToObject(record, "id", delivery->id) && cJSON_AddStringToObject(record, "url", delivery->url)
        && cJSON_AddStringToObject(record, "reason", reason)
        && cJSON_AddNumberToObject(record, "attempts", (double)delivery->attempts + 1))
        text = json_print(record);
    cJSON_Delete(record);
    return text;
}

static uint64_t retry_delay(const struct callback_queue *queue, long attempts)
{
    uint64_t ceiling = queue->config.retry_first_delay_ms;
    for (long i = 0; i < attempts && ceiling < queue->config.retry_max_delay_ms; i++)
        ceiling *= 2;
    if (ceiling > queue->config.retry_max_delay_ms)
        ceiling = queue->config.retry_max_delay_ms;
    uint64_t random = 0;
    random_id_fill(&random, sizeof(random));
    return ceiling ? random % (ceiling + 1) : 0; /* "full jitter" */
}

static void give_up(struct delivery *delivery, const char *reason)
{
    char *record = failure_record(delivery, reason);
    log_event(LOG_WARN, "callback-failed", "Callback %s to %s given up: %s", delivery->id, delivery->url, reason);
    settle(delivery, "failed", 0, record);
    cJSON_free(record);
}

static void on_delivered(const struct http_response *response, void *data)
{
    struct delivery *delivery = data;
    struct callback_queue *queue = delivery->queue;
    char reason[512];
    if (response->status >= 200 && response->status < 300) {
        log_event(LOG_INFO, "callback-sent", "Callback %s delivered to %s: %ld %.200s", delivery->id, delivery->url,
                  response->status, response->body);
        settle(delivery, "done", 0, NULL);
        return;
    }
    if (response->status >= 400 && response->status < 500) {
        snprintf(reason, sizeof(reason), "the receiver answered %ld (not retried): %.300s", response->status,
                 response->body);
        give_up(delivery, reason);
        return;
    }
    if (response->status)
        snprintf(reason, sizeof(reason), "the receiver answered %ld", response->status);
    else
        snprintf(reason, sizeof(reason), "no answer: %s", response->error);
    int64_t age = delivery->redis_now_ms - delivery->created_ms;
    if (age >= (int64_t)queue->config.retry_deadline_ms) {
        give_up(delivery, reason);
        return;
    }
    uint64_t delay = retry_delay(queue, delivery->attempts);
    log_event(LOG_WARN, "callback-retry", "Callback %s to %s failed (%s); retry %ld in %llu ms", delivery->id,
              delivery->url, reason, delivery->attempts + 1, (unsigned long long)delay);
    settle(delivery, "retry", delay, NULL);
}

static void deliver(struct callback_queue *queue, const redisReply *job, int64_t redis_now_ms)
{
    if (job->type != REDIS_REPLY_ARRAY || job->elements < 5 || job->element[0]->type != REDIS_REPLY_STRING
        || job->element[1]->type != REDIS_REPLY_STRING || job->element[2]->type != REDIS_REPLY_STRING)
        return;
    struct delivery *delivery = calloc(1, sizeof(*delivery));
    if (!delivery)
        return;
    delivery->queue = queue;
    delivery->id = strdup(job->element[0]->str);
    delivery->url = strdup(job->element[1]->str);
    if (job->element[3]->type == REDIS_REPLY_STRING)
        delivery->attempts = strtol(job->element[3]->str, NULL, 10);
    if (job->element[4]->type == REDIS_REPLY_STRING)
        delivery->created_ms = strtoll(job->element[4]->str, NULL, 10);
    delivery->redis_now_ms = redis_now_ms;
    const redisReply *body = job->element[2];
    queue->in_flight++;
    int result = delivery->id && delivery->url
                     ? http_client_post_json(queue->http, delivery->url, body->str, body->len,
                                             queue->config.delivery_timeout_ms, on_delivered, delivery)
                     : -ENOMEM;
    if (result < 0) {
        /* Not sent: the lease will bring it back. */
        queue->in_flight--;
        delivery_free(delivery);
    }
}

static void on_claimed(redisReply *reply, void *data)
{
    struct callback_queue *queue = data;
    queue->claiming = false;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3
        || reply->element[0]->type != REDIS_REPLY_INTEGER || reply->element[1]->type != REDIS_REPLY_ARRAY
        || reply->element[2]->type != REDIS_REPLY_INTEGER) {
        wake_in(queue, queue->config.poll_interval_ms);
        return;
    }
    long long wait = reply->element[0]->integer;
    const redisReply *claimed = reply->element[1];
    for (size_t i = 0; i < claimed->elements; i++)
        deliver(queue, claimed->element[i], reply->element[2]->integer);
    if (claimed->elements == MAX_CLAIM_BATCH && queue->in_flight < queue->config.max_in_flight)
        wake_in(queue, 0);
    else if (wait >= 0 && (uint64_t)wait < queue->config.poll_interval_ms)
        wake_in(queue, (uint64_t)wait);
    else
        wake_in(queue, queue->config.poll_interval_ms);
}

static void pump(struct callback_queue *queue)
{
    if (queue->claiming || queue->stopped)
        return;
    unsigned slots = queue->config.max_in_flight - queue->in_flight;
    if (slots > MAX_CLAIM_BATCH)
        slots = MAX_CLAIM_BATCH;
    char batch[16], lease[32];
    snprintf(batch, sizeof(batch), "%u", slots);
    snprintf(lease, sizeof(lease), "%llu", (unsigned long long)queue->config.lease_ms);
    const char *argv[] = { DUE_KEY, IN_FLIGHT_KEY, batch, lease, JOB_KEY_PREFIX };
    size_t lengths[5];
    for (int i = 0; i < 5; i++)
        lengths[i] = strlen(argv[i]);
    if (redis_client_eval(queue->redis, &claim_script, on_claimed, queue, 2, 5, argv, lengths) == 0)
        queue->claiming = true;
    else
        wake_in(queue, queue->config.poll_interval_ms);
}

int callback_queue_create(struct event_loop *loop, struct redis_client *redis, struct http_client *http,
                          const struct callback_queue_config *config, struct callback_queue **queue_out)
{
    struct callback_queue *queue = calloc(1, sizeof(*queue));
    if (!queue)
        return -ENOMEM;
    queue->loop = loop;
    queue->redis = redis;
    queue->http = http;
    queue->config = *config;
    struct redis_script *const scripts[] = { &schedule_script, &claim_script, &settle_script };
    int result = redis_client_add_scripts(redis, scripts, sizeof(scripts) / sizeof(scripts[0]));
    if (result < 0) {
        free(queue);
        return result;
    }
    wake_in(queue, 0);
    *queue_out = queue;
    return 0;
}

void callback_queue_stop(struct callback_queue *queue)
{
    if (!queue || queue->stopped)
        return;
    queue->stopped = true;
    event_loop_timer_stop(queue->loop, &queue->wake_timer);
}

void callback_queue_destroy(struct callback_queue *queue)
{
    free(queue);
}

struct schedule_request {
    struct callback_queue *queue;
    callback_queue_done done;
    void *data;
    uint64_t delay_ms;
};

static void on_scheduled(redisReply *reply, void *data)
{
    struct schedule_request *request = data;
    bool ok = reply && reply->type == REDIS_REPLY_INTEGER;
    if (ok)
        wake_in(request->queue, request->delay_ms);
    request->done(ok ? 0 : -EIO, request->data);
    free(request);
}

int callback_queue_schedule(struct callback_queue *queue, const char *reference, const char *url, const char *body,
                            int copies, uint64_t delay_ms, callback_queue_done done, void *data)
{
    char ids[2][64], job_keys[2][128], delay[32];
    const char *argv[9];
    size_t lengths[9];
    int argc = 0;
    if (copies < 1 || copies > 2)
        return -EINVAL;
    struct schedule_request *request = malloc(sizeof(*request));
    if (!request)
        return -ENOMEM;
    *request = (struct schedule_request){ queue, done, data, delay_ms };
    snprintf(delay, sizeof(delay), "%llu", (unsigned long long)delay_ms);
    argv[argc++] = DUE_KEY;
    for (int i = 0; i < copies; i++) {
        snprintf(ids[i], sizeof(ids[i]), "%.40s:%d", reference, i + 1);
        snprintf(job_keys[i], sizeof(job_keys[i]), JOB_KEY_PREFIX "%.60s", ids[i]);
        argv[argc++] = job_keys[i];
    }
    argv[argc++] = delay;
    argv[argc++] = url;
    for (int i = 0; i < copies; i++) {
        argv[argc++] = ids[i];
        argv[argc++] = body;
    }
    for (int i = 0; i < argc; i++)
        lengths[i] = strlen(argv[i]);
    int result = redis_client_eval(queue->redis, &schedule_script, on_scheduled, request, 1 + copies, argc, argv,
                                   lengths);
    if (result < 0)
        free(request);
    return result;
}
