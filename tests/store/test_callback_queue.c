/*
 * test_callback_queue.c - valuation-service/callback_queue against a real
 * redis-server and a real HTTP receiver (http_server on this program's loop,
 * on a free port of 127.0.0.1): what schedule writes under valuation_keys.h,
 * delivery of due callbacks (once, exact body, as JSON), 4xx recorded once,
 * 5xx and unreachable receivers retried until the retry deadline, the lease
 * of a claim seen from a second instance, and callback_queue_report().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "callback_queue.h"
#include "http_server.h"
#include "redis_server.h"
#include "test.h"
#include "valuation_keys.h"

#define WAIT_MS 5000
#define MAX_INSTANCES 2
#define MAX_REQUESTS 32
#define MAX_HELD 4
#define BODY "{\"valuationReference\":\"REF-1\",\"value\":123456}"

static struct redis_server server;
static struct event_loop *loop;
static struct redis_client *client;

/* One valuation service: its own Redis connection, HTTP client and queue. */
struct instance {
    struct redis_client *redis;
    struct http_client *http;
    struct callback_queue *queue;
};

static struct instance instances[MAX_INSTANCES];

/* The HTTP server the callbacks go to; it answers status, or holds requests (never answers them) while hold. */
static struct receiver {
    struct http_server *server;
    int port;
    unsigned status;
    bool hold;
    int count;
    struct received {
        char method[8];
        char path[64];
        char content_type[64];
        char body[256];
        long long redis_ms; /* Redis' clock when it arrived */
    } requests[MAX_REQUESTS];
    struct http_request *held[MAX_HELD];
    int held_count;
} receiver;

static struct outcome {
    bool done;
    int calls;
    int status;
    cJSON *report;
} outcome;

static const struct callback_queue_config base_config = {
    .max_in_flight = 8,
    .poll_interval_ms = 50,
    .delivery_timeout_ms = 1000,
    .redis_timeout_ms = 500,
    .retry_first_delay_ms = 20,
    .retry_max_delay_ms = 80,
    .retry_deadline_ms = 5000,
};

/* Redis's clock in ms. */
static long long redis_now_ms(void)
{
    redisReply *reply = redis_server_command(&server, "TIME");
    long long now =
        reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2
            ? strtoll(reply->element[0]->str, NULL, 10) * 1000 + strtoll(reply->element[1]->str, NULL, 10) / 1000
            : 0;
    if (reply)
        freeReplyObject(reply);
    return now;
}

static void copy(char *target, size_t size, const char *text)
{
    snprintf(target, size, "%s", text ? text : "");
}

static void on_callback(struct http_request *request, void *data)
{
    (void)data;
    if (receiver.count < MAX_REQUESTS) {
        struct received *received = &receiver.requests[receiver.count];
        size_t length;
        copy(received->method, sizeof(received->method), http_request_method(request));
        copy(received->path, sizeof(received->path), http_request_path(request));
        copy(received->content_type, sizeof(received->content_type), http_request_header(request, "Content-Type"));
        copy(received->body, sizeof(received->body), http_request_body(request, &length));
        received->redis_ms = redis_now_ms();
    }
    receiver.count++;
    if (receiver.hold && receiver.held_count < MAX_HELD) {
        receiver.held[receiver.held_count++] = request;
        return;
    }
    http_request_reply(request, receiver.status, "application/json", "{}", 2);
}

/* Answers the held requests (their clients may be gone: the answers are then dropped). */
static void receiver_release(void)
{
    for (int i = 0; i < receiver.held_count; i++)
        http_request_reply(receiver.held[i], 200, "application/json", "{}", 2);
    receiver.held_count = 0;
    receiver.hold = false;
}

static int receiver_start(void)
{
    static const struct http_route routes[] = { { "POST", "/callback*", on_callback } };
    int result = -EIO;
    for (int attempt = 0; attempt < 3 && result < 0; attempt++) {
        receiver.port = redis_server_free_port();
        struct http_server_config config = { .bind_address = "127.0.0.1",
                                             .port = (uint16_t)receiver.port,
                                             .max_body_bytes = 65536,
                                             .max_connections = 64,
                                             .idle_timeout_seconds = 10,
                                             .request_deadline_ms = 10000 };
        result = http_server_start(loop, &config, routes, 1, NULL, &receiver.server);
    }
    return result;
}

static void receiver_url(char *url, size_t size, const char *path)
{
    snprintf(url, size, "http://127.0.0.1:%d%s", receiver.port, path);
}

/* Opens instance (client, HTTP client, queue) and waits until its scripts are loaded; false on failure. */
static bool instance_open(struct instance *instance, const struct callback_queue_config *config)
{
    static const struct http_client_config http_config = { .max_in_flight = 16,
                                                           .max_queued = 64,
                                                           .max_response_bytes = 65536 };
    return redis_server_client(&server, loop, config->redis_timeout_ms, 0, &instance->redis) == 0
           && http_client_create(loop, &http_config, &instance->http) == 0
           && callback_queue_create(loop, instance->redis, instance->http, config, &instance->queue) == 0
           && redis_server_client_ready(loop, instance->redis, WAIT_MS);
}

/*
 * The instance stops; its clients are closed, Redis's first: what it had in
 * flight is never settled, as if the process had died mid-delivery.
 */
static void instance_kill(struct instance *instance)
{
    callback_queue_stop(instance->queue);
    redis_client_close(instance->redis);
    http_client_close(instance->http);
}

/* Shuts the instance down in the documented order and frees it; safe on a half-opened or zeroed one. */
static void instance_close(struct instance *instance)
{
    callback_queue_stop(instance->queue);
    http_client_close(instance->http);
    redis_client_close(instance->redis);
    callback_queue_destroy(instance->queue);
    http_client_destroy(instance->http);
    redis_client_destroy(instance->redis);
    *instance = (struct instance){ 0 };
}

/* Before each test: a receiver answering 200 with nothing received, no report kept. */
static void case_reset(void)
{
    struct http_server *server_kept = receiver.server;
    int port = receiver.port;
    receiver = (struct receiver){ .server = server_kept, .port = port, .status = 200 };
    outcome = (struct outcome){ 0 };
}

/* After each test (whichever way it ended): every instance closed, held requests answered, the report freed. */
static void case_end(void)
{
    for (int i = 0; i < MAX_INSTANCES; i++)
        instance_close(&instances[i]);
    receiver_release();
    redis_server_run_for(loop, 20);
    cJSON_Delete(outcome.report);
    outcome.report = NULL;
}

#define RUN_CASE(fn)                           \
    do {                                       \
        case_reset();                          \
        REDIS_SERVER_RUN_FLUSHED(&server, fn); \
        case_end();                            \
    } while (0)

static void on_done(int status, void *data)
{
    (void)data;
    outcome.done = true;
    outcome.calls++;
    outcome.status = status;
}

static void on_report(int status, cJSON *report, void *data)
{
    on_done(status, data);
    cJSON_Delete(outcome.report);
    outcome.report = report;
}

static bool answered(int result)
{
    return result == 0 && redis_server_run_until_flag(loop, &outcome.done, WAIT_MS) && outcome.calls == 1;
}

static bool schedule(struct instance *instance, const char *reference, const char *url, int copies, uint64_t delay_ms)
{
    outcome.done = false;
    outcome.calls = 0;
    return answered(callback_queue_schedule(instance->queue, reference, url, BODY, copies, delay_ms, on_done, NULL))
           && outcome.status == 0;
}

static bool report(struct instance *instance, unsigned max_failed)
{
    outcome.done = false;
    outcome.calls = 0;
    return answered(callback_queue_report(instance->queue, max_failed, on_report, NULL)) && outcome.status == 0
           && outcome.report;
}

static double report_number(const char *object, const char *name)
{
    const cJSON *parent = object ? cJSON_GetObjectItemCaseSensitive(outcome.report, object) : outcome.report;
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(parent, name);
    return cJSON_IsNumber(item) ? item->valuedouble : -1;
}

static long long score(const char *key, const char *id)
{
    char *text = redis_server_string(&server, "ZSCORE %s %s", key, id);
    long long value = text ? strtoll(text, NULL, 10) : -1;
    free(text);
    return value;
}

/* A field of a callback's hash as a number, -1 when absent. */
static long long job_number(const char *id, const char *field)
{
    char *text = redis_server_string(&server, "HGET " VALUATION_KEYS_CALLBACK_PREFIX "%s %s", id, field);
    long long value = text ? strtoll(text, NULL, 10) : -1;
    free(text);
    return value;
}

static bool job_field_is(const char *id, const char *field, const char *expected)
{
    char *text = redis_server_string(&server, "HGET " VALUATION_KEYS_CALLBACK_PREFIX "%s %s", id, field);
    bool equal = text && strcmp(text, expected) == 0;
    free(text);
    return equal;
}

static long long job_exists(const char *id)
{
    return redis_server_integer(&server, "EXISTS " VALUATION_KEYS_CALLBACK_PREFIX "%s", id);
}

static bool queue_empty(void *data)
{
    (void)data;
    return redis_server_integer(&server, "ZCARD " VALUATION_KEYS_DUE) == 0
           && redis_server_integer(&server, "ZCARD " VALUATION_KEYS_IN_FLIGHT) == 0
           && redis_server_integer(&server, "EXISTS " VALUATION_KEYS_CALLBACK_PREFIX "REF-1:1") == 0;
}

static bool received(void *data)
{
    return receiver.count >= *(const int *)data;
}

static bool wait_received(int count)
{
    return redis_server_run_until(loop, received, &count, WAIT_MS);
}

static bool failures_recorded(void *data)
{
    return redis_server_integer(&server, "LLEN " VALUATION_KEYS_FAILED) >= *(const int *)data;
}

static bool wait_failures(int count)
{
    return redis_server_run_until(loop, failures_recorded, &count, WAIT_MS);
}

/* The newest failure record, parsed (the caller deletes it), or NULL. */
static cJSON *newest_failure(void)
{
    char *text = redis_server_string(&server, "LINDEX " VALUATION_KEYS_FAILED " 0");
    cJSON *record = text ? cJSON_Parse(text) : NULL;
    free(text);
    return record;
}

static double record_number(const cJSON *record, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(record, name);
    return cJSON_IsNumber(item) ? item->valuedouble : -1;
}

static const char *record_string(const cJSON *record, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(record, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static void test_schedule_writes_the_due_set_and_the_job_hashes(void)
{
    struct callback_queue_config config = base_config;
    char url[96];
    receiver_url(url, sizeof(url), "/callback");
    ASSERT_TRUE(instance_open(&instances[0], &config));
    long long before = redis_now_ms();
    ASSERT_TRUE(schedule(&instances[0], "REF-1", url, 2, 60000));
    long long after = redis_now_ms();
    ASSERT_EQ_INT(2, redis_server_integer(&server, "ZCARD " VALUATION_KEYS_DUE));
    const char *ids[] = { "REF-1:1", "REF-1:2" };
    for (int i = 0; i < 2; i++) {
        long long due = score(VALUATION_KEYS_DUE, ids[i]);
        ASSERT_TRUE(due >= before + 60000 && due <= after + 60000);
        ASSERT_EQ_INT(4, redis_server_integer(&server, "HLEN " VALUATION_KEYS_CALLBACK_PREFIX "%s", ids[i]));
        ASSERT_TRUE(job_field_is(ids[i], "url", url));
        ASSERT_TRUE(job_field_is(ids[i], "body", BODY));
        ASSERT_EQ_INT(0, job_number(ids[i], "attempts"));
        long long created = job_number(ids[i], "created");
        ASSERT_TRUE(created >= before && created <= after);
        ASSERT_EQ_INT(due - 60000, created);
    }
    ASSERT_EQ_INT(0, redis_server_integer(&server, "EXISTS " VALUATION_KEYS_IN_FLIGHT " " VALUATION_KEYS_FAILED));
    redis_server_run_for(loop, 150);
    ASSERT_EQ_INT(0, receiver.count);
}

static void test_schedule_cuts_long_references_and_refuses_bad_copies(void)
{
    char url[96], reference[61], id[64];
    receiver_url(url, sizeof(url), "/callback");
    memset(reference, 'R', sizeof(reference) - 1);
    reference[sizeof(reference) - 1] = '\0';
    snprintf(id, sizeof(id), "%.*s:1", VALUATION_KEYS_REFERENCE_IN_ID, reference);
    ASSERT_TRUE(instance_open(&instances[0], &base_config));
    ASSERT_TRUE(schedule(&instances[0], reference, url, 1, 60000));
    ASSERT_TRUE(score(VALUATION_KEYS_DUE, id) > 0);
    ASSERT_TRUE(job_field_is(id, "body", BODY));
    outcome.done = false;
    ASSERT_EQ_INT(-EINVAL, callback_queue_schedule(instances[0].queue, "REF-1", url, BODY, 0, 0, on_done, NULL));
    ASSERT_EQ_INT(-EINVAL, callback_queue_schedule(instances[0].queue, "REF-1", url, BODY,
                                                   VALUATION_KEYS_MAX_COPIES + 1, 0, on_done, NULL));
    redis_server_run_for(loop, 50);
    ASSERT_TRUE(!outcome.done);
    ASSERT_EQ_INT(1, redis_server_integer(&server, "ZCARD " VALUATION_KEYS_DUE));
}

static void test_a_due_callback_is_posted_once_as_json_then_removed(void)
{
    char url[96];
    receiver_url(url, sizeof(url), "/callback/ok");
    ASSERT_TRUE(instance_open(&instances[0], &base_config));
    ASSERT_TRUE(schedule(&instances[0], "REF-1", url, 1, 0));
    ASSERT_TRUE(wait_received(1));
    ASSERT_TRUE(redis_server_run_until(loop, queue_empty, NULL, WAIT_MS));
    redis_server_run_for(loop, 300); /* several polls: nothing is sent again */
    ASSERT_EQ_INT(1, receiver.count);
    ASSERT_EQ_STR("POST", receiver.requests[0].method);
    ASSERT_EQ_STR("/callback/ok", receiver.requests[0].path);
    ASSERT_TRUE(strncmp(receiver.requests[0].content_type, "application/json", 16) == 0);
    ASSERT_EQ_STR(BODY, receiver.requests[0].body);
    ASSERT_EQ_INT(0, redis_server_integer(&server, "LLEN " VALUATION_KEYS_FAILED));
    ASSERT_TRUE(report(&instances[0], 10));
    ASSERT_EQ_INT(1, report_number("instance", "delivered"));
    ASSERT_EQ_INT(0, report_number("instance", "retried"));
}

static void test_a_callback_is_not_posted_before_it_is_due(void)
{
    char url[96];
    receiver_url(url, sizeof(url), "/callback");
    ASSERT_TRUE(instance_open(&instances[0], &base_config));
    ASSERT_TRUE(schedule(&instances[0], "REF-1", url, 2, 600));
    long long due = score(VALUATION_KEYS_DUE, "REF-1:1");
    redis_server_run_for(loop, 300);
    ASSERT_EQ_INT(0, receiver.count);
    ASSERT_EQ_INT(2, redis_server_integer(&server, "ZCARD " VALUATION_KEYS_DUE));
    ASSERT_EQ_INT(0, job_number("REF-1:1", "attempts"));
    /* Then both copies come, on time by Redis's clock. */
    ASSERT_TRUE(wait_received(2));
    ASSERT_TRUE(receiver.requests[0].redis_ms >= due && receiver.requests[1].redis_ms >= due);
    ASSERT_TRUE(receiver.requests[0].redis_ms < due + 1000);
    ASSERT_TRUE(redis_server_run_until(loop, queue_empty, NULL, WAIT_MS));
    ASSERT_EQ_INT(0, job_exists("REF-1:2"));
    redis_server_run_for(loop, 200);
    ASSERT_EQ_INT(2, receiver.count);
}

static void test_a_4xx_answer_is_recorded_once_and_not_retried(void)
{
    char url[96];
    receiver_url(url, sizeof(url), "/callback");
    receiver.status = 400;
    ASSERT_TRUE(instance_open(&instances[0], &base_config));
    ASSERT_TRUE(schedule(&instances[0], "REF-1", url, 1, 0));
    ASSERT_TRUE(wait_failures(1));
    redis_server_run_for(loop, 400); /* many first-retry delays and polls */
    ASSERT_EQ_INT(1, receiver.count);
    ASSERT_EQ_INT(1, redis_server_integer(&server, "LLEN " VALUATION_KEYS_FAILED));
    ASSERT_TRUE(queue_empty(NULL));
    cJSON *record = newest_failure();
    ASSERT_NOT_NULL(record);
    bool as_expected = record_string(record, "id") && strcmp(record_string(record, "id"), "REF-1:1") == 0
                       && record_string(record, "url") && strcmp(record_string(record, "url"), url) == 0
                       && record_number(record, "status") == 400 && record_number(record, "attempts") == 1
                       && record_string(record, "reason") && strstr(record_string(record, "reason"), "400")
                       && record_string(record, "failedAt");
    cJSON_Delete(record);
    ASSERT_TRUE(as_expected);
}

/* Tracks the largest attempts count seen in the job hash while it exists, until the failure is recorded. */
static bool failed_watching_attempts(void *data)
{
    long long *most = data, attempts = job_number("REF-1:1", "attempts");
    if (attempts > *most)
        *most = attempts;
    return redis_server_integer(&server, "LLEN " VALUATION_KEYS_FAILED) >= 1;
}

/* Schedules REF-1 to url with a 600 ms retry deadline and checks it is retried, then given up on once. */
static void check_retried_until_the_deadline(const char *url, long status)
{
    struct callback_queue_config config = base_config;
    config.delivery_timeout_ms = 300;
    config.retry_deadline_ms = 600;
    ASSERT_TRUE(instance_open(&instances[0], &config));
    ASSERT_TRUE(schedule(&instances[0], "REF-1", url, 1, 0));
    long long created = job_number("REF-1:1", "created"), most_attempts = 0;
    ASSERT_TRUE(redis_server_run_until(loop, failed_watching_attempts, &most_attempts, WAIT_MS));
    long long given_up = redis_now_ms();
    ASSERT_TRUE(most_attempts >= 1);
    ASSERT_TRUE(given_up >= created + 600 && given_up < created + 600 + 2000);
    redis_server_run_for(loop, 300);
    ASSERT_EQ_INT(1, redis_server_integer(&server, "LLEN " VALUATION_KEYS_FAILED));
    ASSERT_TRUE(queue_empty(NULL));
    cJSON *record = newest_failure();
    ASSERT_NOT_NULL(record);
    double attempts = record_number(record, "attempts"), recorded_status = record_number(record, "status");
    const char *reason = record_string(record, "reason");
    bool no_answer = reason && strncmp(reason, "no answer", 9) == 0;
    cJSON_Delete(record);
    ASSERT_TRUE(attempts >= most_attempts + 1 && attempts >= 2);
    ASSERT_EQ_INT(status ? status : -1, recorded_status);
    ASSERT_TRUE(status || no_answer);
    if (status) {
        /* Every attempt reached the receiver, the last one on or after the deadline; none after it. */
        ASSERT_EQ_INT(attempts, receiver.count);
        ASSERT_TRUE(receiver.requests[receiver.count - 1].redis_ms >= created + 600);
    }
    ASSERT_TRUE(report(&instances[0], 10));
    ASSERT_EQ_INT(attempts - 1, report_number("instance", "retried"));
    ASSERT_EQ_INT(1, report_number("instance", "failed"));
}

static void test_a_5xx_answer_is_retried_until_the_deadline_then_recorded(void)
{
    char url[96];
    receiver_url(url, sizeof(url), "/callback");
    receiver.status = 503;
    check_retried_until_the_deadline(url, 503);
}

static void test_an_unreachable_receiver_is_retried_until_the_deadline_then_recorded(void)
{
    char url[96];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/callback", redis_server_free_port());
    check_retried_until_the_deadline(url, 0);
}

/* Every attempt times out (the receiver never answers): none is sent after the retry deadline. */
static void test_no_retry_is_due_after_the_deadline_counting_the_time_the_post_took(void)
{
    struct callback_queue_config config = base_config;
    config.delivery_timeout_ms = 300;
    config.retry_deadline_ms = 600;
    char url[96];
    receiver_url(url, sizeof(url), "/callback");
    receiver.hold = true;
    ASSERT_TRUE(instance_open(&instances[0], &config));
    ASSERT_TRUE(schedule(&instances[0], "REF-1", url, 1, 0));
    long long created = job_number("REF-1:1", "created");
    ASSERT_TRUE(wait_failures(1));
    redis_server_run_for(loop, 300);
    ASSERT_TRUE(receiver.count >= 1 && receiver.count <= MAX_HELD);
    for (int i = 0; i < receiver.count; i++)
        ASSERT_TRUE(receiver.requests[i].redis_ms < created + 600);
    ASSERT_TRUE(queue_empty(NULL));
}

static void test_a_first_retry_delay_of_zero_is_refused(void)
{
    struct callback_queue_config config = base_config;
    config.retry_first_delay_ms = 0;
    ASSERT_TRUE(redis_server_client(&server, loop, config.redis_timeout_ms, 0, &instances[0].redis) == 0);
    ASSERT_EQ_INT(-EINVAL, callback_queue_create(loop, instances[0].redis, NULL, &config, &instances[0].queue));
    config.retry_first_delay_ms = base_config.retry_max_delay_ms + 1;
    ASSERT_EQ_INT(-EINVAL, callback_queue_create(loop, instances[0].redis, NULL, &config, &instances[0].queue));
    ASSERT_TRUE(instances[0].queue == NULL);
}

static void test_an_id_still_pending_is_not_scheduled_again(void)
{
    char url[96], other_url[96];
    receiver_url(url, sizeof(url), "/callback");
    receiver_url(other_url, sizeof(other_url), "/callback/other");
    ASSERT_TRUE(instance_open(&instances[0], &base_config));
    ASSERT_TRUE(schedule(&instances[0], "REF-1", url, 1, 60000));
    long long due = score(VALUATION_KEYS_DUE, "REF-1:1");
    outcome.done = false;
    outcome.calls = 0;
    ASSERT_TRUE(answered(callback_queue_schedule(instances[0].queue, "REF-1", other_url, "{}", 2, 0, on_done, NULL)));
    ASSERT_EQ_INT(-EEXIST, outcome.status);
    ASSERT_TRUE(job_field_is("REF-1:1", "url", url));
    ASSERT_TRUE(job_field_is("REF-1:1", "body", BODY));
    ASSERT_EQ_INT(due, score(VALUATION_KEYS_DUE, "REF-1:1"));
    ASSERT_EQ_INT(0, job_exists("REF-1:2"));
    redis_server_run_for(loop, 200);
    ASSERT_EQ_INT(0, receiver.count);
}

/* Redis is paused while the claim is on its way; the queue stops before the answer comes. */
static void test_a_claim_answered_after_the_stop_delivers_nothing(void)
{
    struct callback_queue_config config = base_config;
    config.redis_timeout_ms = 3000;
    char url[96];
    receiver_url(url, sizeof(url), "/callback");
    ASSERT_TRUE(instance_open(&instances[0], &config));
    ASSERT_TRUE(schedule(&instances[0], "REF-1", url, 1, 60000));
    redisReply *reply = redis_server_command(&server, "ZADD " VALUATION_KEYS_DUE " 0 REF-1:1");
    if (reply)
        freeReplyObject(reply);
    reply = redis_server_command(&server, "CLIENT PAUSE 600");
    bool paused = reply && reply->type == REDIS_REPLY_STATUS;
    if (reply)
        freeReplyObject(reply);
    ASSERT_TRUE(paused);
    redis_server_run_for(loop, 200); /* several polls: a claim waits for Redis */
    callback_queue_stop(instances[0].queue);
    redis_server_run_for(loop, 800);
    ASSERT_EQ_INT(0, receiver.count);
    ASSERT_EQ_INT(1, job_exists("REF-1:1"));
    ASSERT_EQ_INT(1, redis_server_integer(&server, "ZCARD " VALUATION_KEYS_IN_FLIGHT));
}

static void test_a_claimed_callback_is_left_to_its_holder_until_the_lease_runs_out(void)
{
    struct callback_queue_config config = base_config;
    config.delivery_timeout_ms = 600;
    config.redis_timeout_ms = 200;
    long long lease = (long long)callback_queue_lease_ms(&config);
    ASSERT_EQ_INT(1600, lease);
    char url[96];
    receiver_url(url, sizeof(url), "/callback");
    receiver.hold = true;
    ASSERT_TRUE(instance_open(&instances[0], &config));
    long long before = redis_now_ms();
    ASSERT_TRUE(schedule(&instances[0], "REF-1", url, 1, 0));
    ASSERT_TRUE(wait_received(1));
    long long expiry = score(VALUATION_KEYS_IN_FLIGHT, "REF-1:1");
    ASSERT_TRUE(expiry >= before + lease && expiry <= redis_now_ms() + lease);
    ASSERT_EQ_INT(0, redis_server_integer(&server, "ZCARD " VALUATION_KEYS_DUE));
    char *token = redis_server_string(&server, "HGET " VALUATION_KEYS_CALLBACK_PREFIX "REF-1:1 lease");
    bool leased = token && *token;
    free(token);
    ASSERT_TRUE(leased);
    /* A second instance polls meanwhile and sees it in flight, but does not send it. */
    ASSERT_TRUE(instance_open(&instances[1], &config));
    redis_server_run_for(loop, 250);
    ASSERT_EQ_INT(1, receiver.count);
    ASSERT_TRUE(report(&instances[1], 10));
    ASSERT_EQ_INT(0, report_number(NULL, "due"));
    ASSERT_EQ_INT(1, report_number(NULL, "inFlight"));
    ASSERT_EQ_INT(0, report_number("instance", "delivering"));
    ASSERT_EQ_INT(0, report_number("instance", "delivered"));
    /* The first dies before its outcome is recorded: the second sends it once the lease has run out. */
    ASSERT_TRUE(receiver.count == 1 && redis_now_ms() < expiry);
    instance_kill(&instances[0]);
    receiver_release();
    ASSERT_EQ_INT(1, job_exists("REF-1:1"));
    ASSERT_TRUE(wait_received(2));
    ASSERT_TRUE(receiver.requests[1].redis_ms >= expiry);
    ASSERT_EQ_STR(BODY, receiver.requests[1].body);
    ASSERT_TRUE(redis_server_run_until(loop, queue_empty, NULL, WAIT_MS));
    ASSERT_TRUE(report(&instances[1], 10));
    ASSERT_EQ_INT(1, report_number("instance", "delivered"));
    ASSERT_EQ_INT(0, report_number(NULL, "inFlight"));
}

static void test_report_counts_due_in_flight_and_the_newest_failures(void)
{
    char url[96], rejected_url[96];
    receiver_url(url, sizeof(url), "/callback");
    receiver_url(rejected_url, sizeof(rejected_url), "/callback/rejected");
    receiver.status = 404;
    ASSERT_TRUE(instance_open(&instances[0], &base_config));
    ASSERT_TRUE(schedule(&instances[0], "LATER", url, 2, 60000));
    ASSERT_TRUE(schedule(&instances[0], "REJECTED-1", rejected_url, 1, 0));
    ASSERT_TRUE(wait_failures(1));
    ASSERT_TRUE(schedule(&instances[0], "REJECTED-2", rejected_url, 1, 0));
    ASSERT_TRUE(wait_failures(2));
    ASSERT_TRUE(report(&instances[0], 1));
    ASSERT_EQ_INT(2, report_number(NULL, "due"));
    ASSERT_EQ_INT(0, report_number(NULL, "inFlight"));
    const cJSON *failed = cJSON_GetObjectItemCaseSensitive(outcome.report, "failed");
    ASSERT_TRUE(cJSON_IsArray(failed) && cJSON_GetArraySize(failed) == 1);
    ASSERT_EQ_STR("REJECTED-2:1", record_string(cJSON_GetArrayItem(failed, 0), "id"));
    ASSERT_EQ_INT(404, record_number(cJSON_GetArrayItem(failed, 0), "status"));
    ASSERT_EQ_INT(getpid(), report_number("instance", "pid"));
    ASSERT_EQ_INT(0, report_number("instance", "delivering"));
    ASSERT_EQ_INT(0, report_number("instance", "delivered"));
    ASSERT_EQ_INT(0, report_number("instance", "retried"));
    ASSERT_EQ_INT(2, report_number("instance", "failed"));
    ASSERT_TRUE(report(&instances[0], 10));
    failed = cJSON_GetObjectItemCaseSensitive(outcome.report, "failed");
    ASSERT_TRUE(cJSON_IsArray(failed) && cJSON_GetArraySize(failed) == 2);
    ASSERT_EQ_STR("REJECTED-1:1", record_string(cJSON_GetArrayItem(failed, 1), "id"));
    ASSERT_TRUE(report(&instances[0], 0));
    failed = cJSON_GetObjectItemCaseSensitive(outcome.report, "failed");
    ASSERT_TRUE(cJSON_IsArray(failed) && cJSON_GetArraySize(failed) == 0);
}

int main(void)
{
    if (redis_server_open(&server, &loop, &client, NULL, NULL) < 0)
        return 1;
    if (receiver_start() < 0) {
        printf("Bail out! cannot start the HTTP receiver\n");
        redis_server_close(&server, loop, client);
        return 1;
    }
    RUN_CASE(test_schedule_writes_the_due_set_and_the_job_hashes);
    RUN_CASE(test_schedule_cuts_long_references_and_refuses_bad_copies);
    RUN_CASE(test_a_due_callback_is_posted_once_as_json_then_removed);
    RUN_CASE(test_a_callback_is_not_posted_before_it_is_due);
    RUN_CASE(test_a_4xx_answer_is_recorded_once_and_not_retried);
    RUN_CASE(test_a_5xx_answer_is_retried_until_the_deadline_then_recorded);
    RUN_CASE(test_an_unreachable_receiver_is_retried_until_the_deadline_then_recorded);
    RUN_CASE(test_no_retry_is_due_after_the_deadline_counting_the_time_the_post_took);
    RUN_CASE(test_a_first_retry_delay_of_zero_is_refused);
    RUN_CASE(test_an_id_still_pending_is_not_scheduled_again);
    RUN_CASE(test_a_claim_answered_after_the_stop_delivers_nothing);
    RUN_CASE(test_a_claimed_callback_is_left_to_its_holder_until_the_lease_runs_out);
    RUN_CASE(test_report_counts_due_in_flight_and_the_newest_failures);
    http_server_destroy(receiver.server);
    redis_server_close(&server, loop, client);
    return test_done();
}
