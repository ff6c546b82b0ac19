/*
 * load-driver - the benchmark's load for the blog's flow (scenarios 1 and 2
 * of scripts/bench.sh): starts executions through the loan-processor's AWS
 * API and learns when each ends from the Redis channel on which the
 * loan-processor announces committed changes (sfn:execution-changes), so
 * that it never polls.
 *
 *   load-driver --api URL --redis URL --state-machine-arn ARN --samples PATH
 *               (--count N | --concurrency C --seconds S) [--deadline S]
 *
 * --count N starts N executions as fast as the API takes them (at most 64
 * requests in flight). --concurrency C keeps C executions running for S
 * seconds (an ended one is replaced at once), then waits for the rest.
 * Either way it waits for every started execution to end, up to --deadline
 * seconds (default 120) in all.
 *
 * It writes one line per execution to the samples file, "index
 * start_sent_us start_answered_us ended_us status" (microseconds since the
 * first start, ended_us -1 when it did not end), and a JSON summary to
 * stdout (originMonotonicSeconds: the first start on CLOCK_MONOTONIC). Exit status: 0 when every execution started and ended, 1 when
 * not, 2 for a usage error.
 *
 * It uses the project's own event loop, HTTP client and Redis client, one
 * loop, no threads.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event_loop.h"
#include "http_client.h"
#include "redis_client.h"

#define CHANGES_CHANNEL "sfn:execution-changes"
#define READY_MESSAGE "{\"loadDriver\":\"ready\"}"
#define BURST_IN_FLIGHT 64
#define MAX_EXECUTIONS 2000000
#define START_TIMEOUT_MS 30000

struct execution {
    int64_t start_sent_us;
    int64_t start_answered_us;
    int64_t ended_us;
    char status[16]; /* "" while running (or never answered), else how it ended */
};

struct driver {
    /* Options. */
    const char *api_url, *redis_url, *state_machine_arn, *samples_path, *input;
    long count, concurrency, seconds, deadline_seconds;

    struct event_loop *loop;
    struct http_client *http;
    struct redis_client *subscriber;
    struct redis_client *publisher;
    struct event_timer deadline_timer;
    struct event_timer ready_timer;
    struct event_timer stop_starting_timer;

    char run_id[16];      /* execution names are "<run_id>-<index>" */
    char name_marker[64]; /* ":<run_id>-": what precedes the index in an ARN */
    struct execution *executions;
    long capacity;
    long started;       /* StartExecution requests sent */
    long answered;      /* ... and answered 200 */
    long failed_starts; /* ... answered otherwise */
    long ended;
    long succeeded;
    long running; /* answered or in flight, not ended */
    bool ready;
    bool stop_starting;
    uint64_t origin_us; /* the first start */
    int exit_status;
};

static int64_t since_origin_us(const struct driver *driver)
{
    return (int64_t)(event_loop_now_us() - driver->origin_us);
}

static void start_more(struct driver *driver);
static void on_stop_starting(struct event_timer *timer);

static void finish_if_done(struct driver *driver)
{
    bool all_started = driver->stop_starting || driver->started == driver->capacity;
    if (all_started && driver->ended + driver->failed_starts == driver->started
        && driver->answered + driver->failed_starts == driver->started)
        event_loop_stop(driver->loop);
}

struct start_request {
    struct driver *driver;
    long index;
};

static void on_started(const struct http_response *response, void *data)
{
    struct start_request *request = data;
    struct driver *driver = request->driver;
    struct execution *execution = &driver->executions[request->index];
    free(request);
    execution->start_answered_us = since_origin_us(driver);
    if (response->status == 200) {
        driver->answered++;
    } else {
        driver->failed_starts++;
        driver->running--;
        snprintf(execution->status, sizeof(execution->status), "START_%ld", response->status);
        if (driver->failed_starts <= 5)
            fprintf(stderr, "load-driver: StartExecution answered %ld: %.300s\n", response->status,
                    response->body ? response->body : response->error);
    }
    start_more(driver);
    finish_if_done(driver);
}

static int send_start(struct driver *driver, long index)
{
    char name[48], *body = NULL;
    snprintf(name, sizeof(name), "%s-%ld", driver->run_id, index);
    cJSON *request_body = cJSON_CreateObject();
    if (request_body && cJSON_AddStringToObject(request_body, "stateMachineArn", driver->state_machine_arn)
        && cJSON_AddStringToObject(request_body, "name", name)
        && cJSON_AddStringToObject(request_body, "input", driver->input))
        body = cJSON_PrintUnformatted(request_body);
    cJSON_Delete(request_body);
    struct start_request *request = malloc(sizeof(*request));
    if (!body || !request) {
        cJSON_free(body);
        free(request);
        return -ENOMEM;
    }
    *request = (struct start_request){ driver, index };
    driver->executions[index].start_sent_us = since_origin_us(driver);
    int result =
        http_client_post_json(driver->http, driver->api_url, body, strlen(body), START_TIMEOUT_MS, on_started, request);
    cJSON_free(body);
    if (result < 0)
        free(request);
    return result;
}

/* Starts executions while the mode allows: up to BURST_IN_FLIGHT requests, or up to concurrency running. */
static void start_more(struct driver *driver)
{
    while (!driver->stop_starting && driver->started < driver->capacity) {
        long in_flight = driver->started - driver->answered - driver->failed_starts;
        if (driver->concurrency > 0 ? driver->running >= driver->concurrency : in_flight >= BURST_IN_FLIGHT)
            return;
        if (send_start(driver, driver->started) < 0) {
            fprintf(stderr, "load-driver: cannot send StartExecution\n");
            driver->stop_starting = true;
            driver->exit_status = 1;
            return;
        }
        driver->started++;
        driver->running++;
    }
}

/* The index in an ARN "...:<run_id>-<index>" of this run, or -1. */
static long index_of(const struct driver *driver, const char *arn)
{
    const char *marker = arn ? strstr(arn, driver->name_marker) : NULL;
    if (!marker)
        return -1;
    char *end;
    long index = strtol(marker + strlen(driver->name_marker), &end, 10);
    return *end == '\0' && index >= 0 && index < driver->started ? index : -1;
}

static void on_change(const char *channel, const char *message, size_t length, void *data)
{
    struct driver *driver = data;
    (void)channel;
    if (!driver->ready) {
        driver->ready = length == strlen(READY_MESSAGE) && memcmp(message, READY_MESSAGE, length) == 0;
        if (driver->ready) {
            event_loop_timer_stop(driver->loop, &driver->ready_timer);
            driver->origin_us = event_loop_now_us();
            if (driver->concurrency > 0)
                event_loop_timer_start(driver->loop, &driver->stop_starting_timer, (uint64_t)driver->seconds * 1000,
                                       on_stop_starting, driver);
            start_more(driver);
        }
        return;
    }
    cJSON *change = cJSON_ParseWithLength(message, length);
    const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(change, "status"));
    long index = index_of(driver, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(change, "executionArn")));
    if (index >= 0 && status && strcmp(status, "RUNNING") != 0 && driver->executions[index].status[0] == '\0') {
        struct execution *execution = &driver->executions[index];
        execution->ended_us = since_origin_us(driver);
        snprintf(execution->status, sizeof(execution->status), "%s", status);
        driver->ended++;
        driver->running--;
        driver->succeeded += strcmp(status, "SUCCEEDED") == 0;
        start_more(driver);
        finish_if_done(driver);
    }
    cJSON_Delete(change);
}

static void on_ready_published(redisReply *reply, void *data)
{
    (void)reply;
    (void)data;
}

/* Publishes the ready message until the subscriber hears it (then the subscription is surely active). */
static void on_ready_check(struct event_timer *timer)
{
    struct driver *driver = timer->data;
    const char *argv[] = { "PUBLISH", CHANGES_CHANNEL, READY_MESSAGE };
    if (redis_client_command_strings(driver->publisher, on_ready_published, NULL, 3, argv) < 0)
        fprintf(stderr, "load-driver: the ready message could not be sent; trying again\n");
    event_loop_timer_start(driver->loop, &driver->ready_timer, 50, on_ready_check, driver);
}

static void on_deadline(struct event_timer *timer)
{
    struct driver *driver = timer->data;
    fprintf(stderr, "load-driver: deadline reached (%s)\n",
            driver->ready ? "executions still running" : "never subscribed");
    driver->exit_status = 1;
    event_loop_stop(driver->loop);
}

static void on_stop_starting(struct event_timer *timer)
{
    struct driver *driver = timer->data;
    driver->stop_starting = true;
    finish_if_done(driver);
}

static int write_samples(const struct driver *driver)
{
    FILE *file = fopen(driver->samples_path, "w");
    if (!file)
        return -errno;
    for (long i = 0; i < driver->started; i++) {
        const struct execution *execution = &driver->executions[i];
        bool ended = execution->status[0] != '\0';
        fprintf(file, "%ld %" PRId64 " %" PRId64 " %" PRId64 " %s\n", i, execution->start_sent_us,
                execution->start_answered_us, ended ? execution->ended_us : -1, ended ? execution->status : "RUNNING");
    }
    return fclose(file) == 0 ? 0 : -EIO;
}

static void print_summary(const struct driver *driver, double elapsed_seconds)
{
    printf("{\"started\":%ld,\"answered\":%ld,\"failedStarts\":%ld,\"ended\":%ld,\"succeeded\":%ld,"
           "\"elapsedSeconds\":%.6f,\"originMonotonicSeconds\":%.6f,\"runId\":\"%s\"}\n",
           driver->started, driver->answered, driver->failed_starts, driver->ended, driver->succeeded, elapsed_seconds,
           (double)driver->origin_us / 1e6, driver->run_id);
}

static int usage(void)
{
    fprintf(stderr, "usage: load-driver --api URL --redis URL --state-machine-arn ARN --samples PATH\n"
                    "                   (--count N | --concurrency C --seconds S) [--deadline S] [--input JSON]\n");
    return 2;
}

static int parse_options(struct driver *driver, int argc, char **argv)
{
    driver->deadline_seconds = 120;
    driver->input = "{\"applicationReference\":\"bench\",\"property\":{\"nameOrNumber\":\"999\","
                    "\"postcode\":\"PO1 1CE\"}}";
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *name = argv[i], *value = argv[i + 1];
        if (strcmp(name, "--api") == 0)
            driver->api_url = value;
        else if (strcmp(name, "--redis") == 0)
            driver->redis_url = value;
        else if (strcmp(name, "--state-machine-arn") == 0)
            driver->state_machine_arn = value;
        else if (strcmp(name, "--samples") == 0)
            driver->samples_path = value;
        else if (strcmp(name, "--input") == 0)
            driver->input = value;
        else if (strcmp(name, "--count") == 0)
            driver->count = strtol(value, NULL, 10);
        else if (strcmp(name, "--concurrency") == 0)
            driver->concurrency = strtol(value, NULL, 10);
        else if (strcmp(name, "--seconds") == 0)
            driver->seconds = strtol(value, NULL, 10);
        else if (strcmp(name, "--deadline") == 0)
            driver->deadline_seconds = strtol(value, NULL, 10);
        else
            return -EINVAL;
    }
    bool burst = driver->count > 0 && driver->count <= MAX_EXECUTIONS && driver->concurrency == 0;
    bool closed = driver->count == 0 && driver->concurrency > 0 && driver->seconds > 0;
    if (argc % 2 == 0 || !driver->api_url || !driver->redis_url || !driver->state_machine_arn || !driver->samples_path
        || !(burst || closed) || driver->deadline_seconds <= 0)
        return -EINVAL;
    /* A closed loop runs at most MAX_EXECUTIONS flows; its table is sized for that, lazily touched. */
    driver->capacity = burst ? driver->count : MAX_EXECUTIONS;
    return 0;
}

static int set_up(struct driver *driver)
{
    static const char *const headers[] = { "Content-Type: application/x-amz-json-1.0",
                                           "X-Amz-Target: AWSStepFunctions.StartExecution", NULL };
    struct http_client_config http = {
        .max_in_flight = BURST_IN_FLIGHT, .max_queued = 1024, .max_response_bytes = 64 * 1024, .headers = headers
    };
    struct redis_client_config redis = { .url = driver->redis_url, .command_timeout_ms = 5000, .max_pending = 16 };
    if (driver->concurrency > BURST_IN_FLIGHT)
        http.max_in_flight = (unsigned)driver->concurrency;
    driver->executions = calloc((size_t)driver->capacity, sizeof(*driver->executions));
    if (!driver->executions)
        return -ENOMEM;
    snprintf(driver->run_id, sizeof(driver->run_id), "b%08x", (unsigned)(event_loop_now_us() & 0xffffffffu));
    snprintf(driver->name_marker, sizeof(driver->name_marker), ":%s-", driver->run_id);
    int result = event_loop_create(&driver->loop);
    if (result == 0)
        result = http_client_create(driver->loop, &http, &driver->http);
    if (result == 0)
        result = redis_client_create(driver->loop, &redis, &driver->subscriber);
    if (result == 0)
        result = redis_client_create(driver->loop, &redis, &driver->publisher);
    if (result == 0) {
        const char *channels[] = { CHANGES_CHANNEL };
        result = redis_client_subscribe(driver->subscriber, channels, 1, on_change, driver);
    }
    return result;
}

static void tear_down(struct driver *driver)
{
    http_client_destroy(driver->http);
    redis_client_destroy(driver->subscriber);
    redis_client_destroy(driver->publisher);
    if (driver->loop)
        event_loop_destroy(driver->loop);
    free(driver->executions);
}

int main(int argc, char **argv)
{
    struct driver driver = { 0 };
    if (parse_options(&driver, argc, argv) < 0)
        return usage();
    int result = set_up(&driver);
    if (result < 0) {
        fprintf(stderr, "load-driver: cannot set up: %s\n", strerror(-result));
        tear_down(&driver);
        return 1;
    }
    event_loop_timer_start(driver.loop, &driver.ready_timer, 0, on_ready_check, &driver);
    event_loop_timer_start(driver.loop, &driver.deadline_timer, (uint64_t)driver.deadline_seconds * 1000, on_deadline,
                           &driver);
    if (event_loop_run(driver.loop) < 0) {
        fprintf(stderr, "load-driver: the event loop failed\n");
        driver.exit_status = 1;
    }
    double elapsed = driver.ready ? (double)since_origin_us(&driver) / 1e6 : 0;
    if (driver.ended + driver.failed_starts < driver.started || driver.failed_starts > 0 || !driver.ready)
        driver.exit_status = 1;
    if (write_samples(&driver) < 0) {
        fprintf(stderr, "load-driver: cannot write %s\n", driver.samples_path);
        driver.exit_status = 1;
    }
    print_summary(&driver, elapsed);
    tear_down(&driver);
    return driver.exit_status;
}
