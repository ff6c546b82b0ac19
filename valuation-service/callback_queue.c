/* callback_queue - see callback_queue.h. */
#include "callback_queue.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json_util.h"
#include "log.h"
#include "random_id.h"
#include "valuation_service_scripts.h"
#include "valuation_keys.h"
#include "wall_clock.h"
#include "webhook_signature.h"

#define DUE_KEY VALUATION_KEYS_DUE
#define IN_FLIGHT_KEY VALUATION_KEYS_IN_FLIGHT
#define FAILED_KEY VALUATION_KEYS_FAILED
#define JOB_KEY_PREFIX VALUATION_KEYS_CALLBACK_PREFIX
/* Largest number of callbacks taken in one claim (Lua's unpack and reply sizes stay small). */
#define MAX_CLAIM_BATCH 100
/* Failure records kept in FAILED_KEY (the newest); callback_queue_report() shows at most these. */
#define MAX_FAILURE_RECORDS 1000

/* scripts/schedule_callback.lua; durable: the 201 promises the callback (REDIS_WAIT_REPLICAS) */
static struct redis_script schedule_script = { .name = "schedule-callback",
                                               .source = valuation_service_schedule_callback_lua,
                                               .durable = true };

/* scripts/claim_callbacks.lua */
static struct redis_script claim_script = { .name = "claim-callbacks",
                                            .source = valuation_service_claim_callbacks_lua };

/* scripts/settle_callback.lua */
static struct redis_script settle_script = { .name = "settle-callback",
                                             .source = valuation_service_settle_callback_lua };

/* scripts/report_callbacks.lua */
static struct redis_script report_script = { .name = "report-callbacks",
                                             .source = valuation_service_report_callbacks_lua };

struct callback_queue {
    struct event_loop *loop;
    struct redis_client *redis;
    struct http_client *http;
    struct callback_queue_config config;
    uint64_t lease_ms;
    struct event_timer wake_timer;
    bool claiming;
    bool stopped;
    unsigned claim_batch;                    /* what the claim in progress asked for */
    char claim_token[RANDOM_ID_NANOID_SIZE]; /* the lease token of the claim in progress */
    unsigned in_flight;
    unsigned long long delivered, retried, failed;
};

struct delivery {
    struct callback_queue *queue;
    char *id;
    char *url;
    char lease_token[RANDOM_ID_NANOID_SIZE];
    long attempts; /* before this one */
    int64_t created_ms;
    int64_t redis_now_ms;    /* Redis' clock when claimed, for the retry deadline ... */
    uint64_t claimed_ms;     /* ... and the loop's clock then, to add the time the POST took */
    bool retrying;           /* the outcome being recorded is a retry ... */
    uint64_t retry_delay_ms; /* ... due this much later */
};

static void pump(struct callback_queue *queue);

uint64_t callback_queue_lease_ms(const struct callback_queue_config *config)
{
    return 2 * (config->delivery_timeout_ms + config->redis_timeout_ms);
}

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
    else if (reply->type == REDIS_REPLY_INTEGER && reply->integer == 0)
        log_event(LOG_WARN, "callback-lease-lost",
                  "the lease on callback %s ran out before its outcome was recorded; it may be sent again",
                  delivery->id);
    else if (delivery->retrying)
        /* A claim already in progress may not have seen the retry: wake for it in any case. */
        wake_in(delivery->queue, delivery->retry_delay_ms);
    delivery->queue->in_flight--;
    pump(delivery->queue);
    delivery_free(delivery);
}

/* Records the delivery's outcome in Redis; the delivery is freed once Redis answered (or did not). */
static void settle(struct delivery *delivery, const char *action, uint64_t retry_delay_ms, const char *failure)
{
    char job_key[256], delay[32], max_records[16];
    snprintf(job_key, sizeof(job_key), JOB_KEY_PREFIX "%s", delivery->id);
    snprintf(delay, sizeof(delay), "%llu", (unsigned long long)retry_delay_ms);
    snprintf(max_records, sizeof(max_records), "%d", MAX_FAILURE_RECORDS);
    delivery->retrying = strcmp(action, "retry") == 0;
    delivery->retry_delay_ms = retry_delay_ms;
    const char *argv[] = { DUE_KEY,    IN_FLIGHT_KEY,          job_key,
                           FAILED_KEY, delivery->id,           action,
                           delay,      failure ? failure : "", delivery->lease_token,
                           max_records };
    if (redis_client_eval_strings(delivery->queue->redis, &settle_script, on_settled, delivery, 4,
                                  (int)(sizeof(argv) / sizeof(argv[0])), argv)
        < 0)
        on_settled(NULL, delivery);
}

/* {"id", "url", "reason", "attempts", "status" (when the receiver answered), "failedAt"} as JSON text, or NULL. */
static char *failure_record(const struct delivery *delivery, long status, const char *reason)
{
    char failed_at[WALL_CLOCK_ISO8601_SIZE];
    wall_clock_format_iso8601(wall_clock_now_ms(), failed_at);
    cJSON *record = cJSON_CreateObject();
    char *text = NULL;
    if (record && cJSON_AddStringToObject(record, "id", delivery->id)
        && cJSON_AddStringToObject(record, "url", delivery->url) && cJSON_AddStringToObject(record, "reason", reason)
        && cJSON_AddNumberToObject(record, "attempts", (double)delivery->attempts + 1)
        && (status == 0 || cJSON_AddNumberToObject(record, "status", (double)status))
        && cJSON_AddStringToObject(record, "failedAt", failed_at))
        text = json_print(record);
    cJSON_Delete(record);
    return text;
}

/*
 * The delay before the retry that follows attempts failed attempts: "full
 * jitter", uniform in [0, ceiling], where the ceiling starts at
 * retry_first_delay_ms and doubles per attempt up to retry_max_delay_ms.
 */
static uint64_t retry_delay(const struct callback_queue *queue, long attempts)
{
    uint64_t ceiling = queue->config.retry_first_delay_ms;
    for (long i = 0; i < attempts && ceiling < queue->config.retry_max_delay_ms; i++)
        ceiling *= 2;
    if (ceiling > queue->config.retry_max_delay_ms)
        ceiling = queue->config.retry_max_delay_ms;
    uint64_t random = 0;
    if (random_id_fill(&random, sizeof(random)) < 0)
        random = ceiling / 2; /* no randomness to be had: the middle of the range */
    return ceiling ? random % (ceiling + 1) : 0;
}

static void give_up(struct delivery *delivery, long status, const char *reason)
{
    char *record = failure_record(delivery, status, reason);
    log_event(LOG_WARN, "callback-failed", "Callback %s to %s given up after %ld attempt(s): %s", delivery->id,
              delivery->url, delivery->attempts + 1, reason);
    delivery->queue->failed++;
    settle(delivery, "failed", 0, record);
    cJSON_free(record);
}

/* No answer or a 5xx: retried after a jittered delay, unless the retry deadline has passed. */
static void retry_or_give_up(struct delivery *delivery, long status, const char *reason)
{
    struct callback_queue *queue = delivery->queue;
    int64_t age = delivery->redis_now_ms - delivery->created_ms + (int64_t)(event_loop_now_ms() - delivery->claimed_ms);
    if (age >= (int64_t)queue->config.retry_deadline_ms) {
        give_up(delivery, status, reason);
        return;
    }
    /* No retry later than the deadline: the last one falls on it, and its failure is final. */
    uint64_t delay = retry_delay(queue, delivery->attempts);
    uint64_t left = queue->config.retry_deadline_ms - (uint64_t)age;
    if (delay > left)
        delay = left;
    log_event(LOG_WARN, "callback-retry", "Callback %s to %s failed (%s); retry %ld in %llu ms", delivery->id,
              delivery->url, reason, delivery->attempts + 1, (unsigned long long)delay);
    queue->retried++;
    settle(delivery, "retry", delay, NULL);
}

static void on_delivered(const struct http_response *response, void *data)
{
    struct delivery *delivery = data;
    char reason[512];
    if (response->status >= 200 && response->status < 300) {
        log_event(LOG_INFO, "callback-sent", "Callback %s delivered to %s: %ld %.200s", delivery->id, delivery->url,
                  response->status, response->body);
        delivery->queue->delivered++;
        settle(delivery, "done", 0, NULL);
    } else if (response->status >= 400 && response->status < 500) {
        snprintf(reason, sizeof(reason), "the receiver answered %ld (not retried): %.300s", response->status,
                 response->body);
        give_up(delivery, response->status, reason);
    } else {
        if (response->status)
            snprintf(reason, sizeof(reason), "the receiver answered %ld", response->status);
        else
            snprintf(reason, sizeof(reason), "no answer: %s", response->error);
        retry_or_give_up(delivery, response->status, reason);
    }
}

/* A claimed job {id, url, body, attempts, created} as a delivery, or NULL (malformed, or out of memory). */
static struct delivery *delivery_create(struct callback_queue *queue, const redisReply *job, int64_t redis_now_ms)
{
    if (job->type != REDIS_REPLY_ARRAY || job->elements < 5)
        return NULL;
    for (size_t i = 0; i < 3; i++)
        if (job->element[i]->type != REDIS_REPLY_STRING)
            return NULL;
    struct delivery *delivery = calloc(1, sizeof(*delivery));
    if (!delivery)
        return NULL;
    delivery->queue = queue;
    delivery->id = strdup(job->element[0]->str);
    delivery->url = strdup(job->element[1]->str);
    strcpy(delivery->lease_token, queue->claim_token);
    if (job->element[3]->type == REDIS_REPLY_STRING)
        delivery->attempts = strtol(job->element[3]->str, NULL, 10);
    if (job->element[4]->type == REDIS_REPLY_STRING)
        delivery->created_ms = strtoll(job->element[4]->str, NULL, 10);
    delivery->redis_now_ms = redis_now_ms;
    delivery->claimed_ms = event_loop_now_ms();
    if (!delivery->id || !delivery->url) {
        delivery_free(delivery);
        return NULL;
    }
    return delivery;
}

/* POSTs the body, signed when the queue has a secret. Returns what http_client_post_json returns. */
static int post(struct callback_queue *queue, struct delivery *delivery, const redisReply *body)
{
    char signature[WEBHOOK_SIGNATURE_SIZE];
    char header[sizeof(WEBHOOK_SIGNATURE_HEADER ": ") + WEBHOOK_SIGNATURE_SIZE];
    const char *line = NULL;
    if (webhook_signature_has_secret(queue->config.signing_secrets)) {
        int result = webhook_signature_sign(queue->config.signing_secrets, wall_clock_now_ms() / 1000, body->str,
                                            body->len, signature);
        if (result < 0)
            return result == -EINVAL ? -EIO : result; /* -EINVAL would mean a bad URL to the caller */
        snprintf(header, sizeof(header), "%s: %s", WEBHOOK_SIGNATURE_HEADER, signature);
        line = header;
    }
    return http_client_post_json_with_header(queue->http, delivery->url, body->str, body->len, line,
                                             queue->config.delivery_timeout_ms, on_delivered, delivery);
}

/* Starts POSTing one claimed job. What cannot be started is left to its lease, which brings it back. */
static void deliver(struct callback_queue *queue, const redisReply *job, int64_t redis_now_ms)
{
    struct delivery *delivery = delivery_create(queue, job, redis_now_ms);
    if (!delivery)
        return;
    const redisReply *body = job->element[2];
    queue->in_flight++;
    int result = post(queue, delivery, body);
    if (result == -EINVAL) {
        give_up(delivery, 0, "the callback URL cannot be used (not http or https)");
    } else if (result < 0) {
        queue->in_flight--;
        delivery_free(delivery);
    }
}

static void on_claimed(redisReply *reply, void *data)
{
    struct callback_queue *queue = data;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3
        || reply->element[0]->type != REDIS_REPLY_INTEGER || reply->element[1]->type != REDIS_REPLY_ARRAY
        || reply->element[2]->type != REDIS_REPLY_INTEGER) {
        queue->claiming = false;
        wake_in(queue, queue->config.poll_interval_ms);
        return;
    }
    long long wait = reply->element[0]->integer;
    const redisReply *claimed = reply->element[1];
    if (queue->stopped) {
        /* Stopped while the claim was on its way: what it took is left to its leases, as at an exit. */
        queue->claiming = false;
        if (claimed->elements)
            log_event(LOG_INFO, "callback-claim-dropped",
                      "%zu callback(s) claimed as the queue stopped are left to their leases", claimed->elements);
        return;
    }
    /* Still "claiming" meanwhile: a delivery settled at once must not start another claim (and a new token). */
    for (size_t i = 0; i < claimed->elements; i++)
        deliver(queue, claimed->element[i], reply->element[2]->integer);
    queue->claiming = false;
    if (queue->in_flight >= queue->config.max_in_flight)
        /* No room: a finishing delivery pumps again; until then only look for expired leases now and then. */
        wake_in(queue, queue->config.poll_interval_ms);
    else if (claimed->elements == queue->claim_batch)
        wake_in(queue, 0); /* the batch was full: more may be due */
    else if (wait >= 0 && (uint64_t)wait < queue->config.poll_interval_ms)
        wake_in(queue, (uint64_t)wait);
    else
        wake_in(queue, queue->config.poll_interval_ms);
}

/* Claims what is due, as much as there is room for; with no room, only puts expired leases back. */
static void pump(struct callback_queue *queue)
{
    if (queue->claiming || queue->stopped)
        return;
    unsigned slots = queue->config.max_in_flight - queue->in_flight;
    if (slots > MAX_CLAIM_BATCH)
        slots = MAX_CLAIM_BATCH;
    if (random_id_nanoid(queue->claim_token) < 0) {
        wake_in(queue, queue->config.poll_interval_ms);
        return;
    }
    char batch[16], lease[32];
    snprintf(batch, sizeof(batch), "%u", slots);
    snprintf(lease, sizeof(lease), "%llu", (unsigned long long)queue->lease_ms);
    const char *argv[] = { DUE_KEY, IN_FLIGHT_KEY, batch, lease, JOB_KEY_PREFIX, queue->claim_token };
    if (redis_client_eval_strings(queue->redis, &claim_script, on_claimed, queue, 2,
                                  (int)(sizeof(argv) / sizeof(argv[0])), argv)
        == 0) {
        queue->claiming = true;
        queue->claim_batch = slots;
    } else {
        wake_in(queue, queue->config.poll_interval_ms);
    }
}

int callback_queue_create(struct event_loop *loop, struct redis_client *redis, struct http_client *http,
                          const struct callback_queue_config *config, struct callback_queue **queue_out)
{
    if (config->retry_first_delay_ms < CALLBACK_QUEUE_MIN_RETRY_DELAY_MS
        || config->retry_max_delay_ms < config->retry_first_delay_ms)
        return -EINVAL;
    struct callback_queue *queue = calloc(1, sizeof(*queue));
    if (!queue)
        return -ENOMEM;
    queue->loop = loop;
    queue->redis = redis;
    queue->http = http;
    queue->config = *config;
    queue->lease_ms = callback_queue_lease_ms(config);
    struct redis_script *const scripts[] = { &schedule_script, &claim_script, &settle_script, &report_script };
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
    int status = !reply                                                     ? -ETIMEDOUT
                 : reply->type == REDIS_REPLY_INTEGER && reply->integer < 0 ? -EEXIST
                 : reply->type == REDIS_REPLY_INTEGER                       ? 0
                                                                            : -EIO;
    if (status == 0)
        wake_in(request->queue, request->delay_ms);
    request->done(status, request->data);
    free(request);
}

int callback_queue_schedule(struct callback_queue *queue, const char *reference, const char *url, const char *body,
                            int copies, uint64_t delay_ms, callback_queue_done done, void *data)
{
    char ids[VALUATION_KEYS_MAX_COPIES][64], job_keys[VALUATION_KEYS_MAX_COPIES][128], delay[32];
    const char *argv[9];
    int argc = 0;
    if (copies < 1 || copies > VALUATION_KEYS_MAX_COPIES)
        return -EINVAL;
    struct schedule_request *request = malloc(sizeof(*request));
    if (!request)
        return -ENOMEM;
    *request = (struct schedule_request){ queue, done, data, delay_ms };
    snprintf(delay, sizeof(delay), "%llu", (unsigned long long)delay_ms);
    argv[argc++] = DUE_KEY;
    for (int i = 0; i < copies; i++) {
        snprintf(ids[i], sizeof(ids[i]), VALUATION_KEYS_CALLBACK_ID_FORMAT, reference, i + 1);
        snprintf(job_keys[i], sizeof(job_keys[i]), JOB_KEY_PREFIX "%.60s", ids[i]);
        argv[argc++] = job_keys[i];
    }
    argv[argc++] = delay;
    argv[argc++] = url;
    for (int i = 0; i < copies; i++) {
        argv[argc++] = ids[i];
        argv[argc++] = body;
    }
    int result =
        redis_client_eval_strings(queue->redis, &schedule_script, on_scheduled, request, 1 + copies, argc, argv);
    if (result < 0)
        free(request);
    return result;
}

struct report_request {
    struct callback_queue *queue;
    callback_queue_report_done done;
    void *data;
};

/* A failure record as stored (JSON text); kept as a string if it does not parse. */
static cJSON *parse_record(const redisReply *record)
{
    cJSON *parsed = NULL;
    if (record->type != REDIS_REPLY_STRING)
        return cJSON_CreateNull();
    if (json_parse(record->str, record->len, &parsed) == 0)
        return parsed;
    return cJSON_CreateString(record->str);
}

static cJSON *instance_report(const struct callback_queue *queue)
{
    cJSON *instance = cJSON_CreateObject();
    if (instance
        && (!cJSON_AddNumberToObject(instance, "pid", (double)getpid())
            || !cJSON_AddNumberToObject(instance, "delivering", queue->in_flight)
            || !cJSON_AddNumberToObject(instance, "delivered", (double)queue->delivered)
            || !cJSON_AddNumberToObject(instance, "retried", (double)queue->retried)
            || !cJSON_AddNumberToObject(instance, "failed", (double)queue->failed))) {
        cJSON_Delete(instance);
        return NULL;
    }
    return instance;
}

/* Builds the report from the report script's reply {due, in flight, records}; NULL when out of memory. */
static cJSON *build_report(const struct callback_queue *queue, const redisReply *reply)
{
    cJSON *report = cJSON_CreateObject();
    cJSON *failed = cJSON_CreateArray();
    cJSON *instance = instance_report(queue);
    bool ok = report && failed && instance;
    const redisReply *records = reply->element[2];
    for (size_t i = 0; ok && i < records->elements; i++) {
        cJSON *record = parse_record(records->element[i]);
        ok = record && cJSON_AddItemToArray(failed, record);
        if (!ok)
            cJSON_Delete(record);
    }
    if (ok && cJSON_AddNumberToObject(report, "due", (double)reply->element[0]->integer)
        && cJSON_AddNumberToObject(report, "inFlight", (double)reply->element[1]->integer)
        && cJSON_AddItemToObject(report, "failed", failed)) {
        failed = NULL;
        if (cJSON_AddItemToObject(report, "instance", instance))
            return report;
    }
    cJSON_Delete(failed);
    cJSON_Delete(instance);
    cJSON_Delete(report);
    return NULL;
}

static void on_report(redisReply *reply, void *data)
{
    struct report_request *request = data;
    cJSON *report = NULL;
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 3
        && reply->element[0]->type == REDIS_REPLY_INTEGER && reply->element[1]->type == REDIS_REPLY_INTEGER
        && reply->element[2]->type == REDIS_REPLY_ARRAY)
        report = build_report(request->queue, reply);
    request->done(report ? 0 : -EIO, report, request->data);
    free(request);
}

int callback_queue_report(struct callback_queue *queue, unsigned max_failed, callback_queue_report_done done,
                          void *data)
{
    char wanted[16];
    snprintf(wanted, sizeof(wanted), "%u", max_failed < MAX_FAILURE_RECORDS ? max_failed : MAX_FAILURE_RECORDS);
    struct report_request *request = malloc(sizeof(*request));
    if (!request)
        return -ENOMEM;
    *request = (struct report_request){ queue, done, data };
    const char *argv[] = { DUE_KEY, IN_FLIGHT_KEY, FAILED_KEY, wanted };
    int result = redis_client_eval_strings(queue->redis, &report_script, on_report, request, 3, 4, argv);
    if (result < 0)
        free(request);
    return result;
}
