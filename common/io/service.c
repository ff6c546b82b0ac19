/* service - see service.h. */
#include "service.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "config.h"
#include "host_lookup.h"
#include "json_util.h"
#include "log.h"

#define DRAIN_POLL_MS 20
/* How long exit waits for a Redis host lookup that could not be cancelled (glibc's resolver times out by itself). */
#define ABANDONED_LOOKUP_WAIT_MS 1000

int service_configure_log(const char *name, const char *log_format, const char *log_level)
{
    enum log_level level;
    bool json = strcmp(log_format, "json") == 0;
    if (!json && strcmp(log_format, "text") != 0) {
        fprintf(stderr, "%s: LOG_FORMAT must be text or json, not \"%s\"\n", name, log_format);
        return -EINVAL;
    }
    if (log_level_from_name(log_level, &level) < 0) {
        fprintf(stderr, "%s: LOG_LEVEL must be debug, info, warn or error, not \"%s\"\n", name, log_level);
        return -EINVAL;
    }
    log_configure(name, json, level);
    return 0;
}

static void finish_drain(struct service *service)
{
    event_loop_timer_stop(service->loop, &service->drain_timer);
    event_loop_stop(service->loop);
}

static void on_drain_check(struct event_timer *timer)
{
    struct service *service = timer->data;
    size_t requests = http_server_pending_requests(service->server);
    size_t transfers = http_client_pending(service->http);
    size_t commands = redis_client_pending(service->redis);
    if (requests == 0 && transfers == 0 && commands == 0) {
        finish_drain(service);
        return;
    }
    if (event_loop_now_ms() - service->drain_started_ms >= service->drain_ms) {
        log_event(LOG_WARN, "shutdown",
                  "drain deadline reached with %zu requests, %zu transfers and %zu Redis commands in progress",
                  requests, transfers, commands);
        finish_drain(service);
        return;
    }
    event_loop_timer_start(service->loop, &service->drain_timer, DRAIN_POLL_MS, on_drain_check, service);
}

static void on_signal(int signal_number, void *data)
{
    struct service *service = data;
    if (service->draining) {
        log_event(LOG_WARN, "shutdown", "second signal: stopping now");
        finish_drain(service);
        return;
    }
    service->draining = true;
    service->drain_started_ms = event_loop_now_ms();
    log_event(LOG_INFO, "shutdown", "signal %d: no longer accepting connections, finishing requests in progress",
              signal_number);
    if (service->server)
        http_server_quiesce(service->server);
    if (service->on_drain)
        service->on_drain(service->on_drain_data);
    event_loop_timer_start(service->loop, &service->drain_timer, 0, on_drain_check, service);
}

void service_config_defaults(struct service_config *config, const char *name, const char *redis_url,
                             const char *bind_address, uint16_t port)
{
    *config = (struct service_config){
        .name = name,
        .redis_url = redis_url,
        .http = {
            .bind_address = bind_address,
            .port = port,
            .max_body_bytes = 64 * 1024,
            /* Waiting executions hold no connection, so this bounds concurrent clients only. */
            .max_connections = 10000,
            .idle_timeout_seconds = 60,
            .request_deadline_ms = 30000,
            .max_connections_per_address = 256,
            /* A slow client (one byte now and then) is closed once this has passed without a complete request. */
            .receive_deadline_seconds = 10,
        },
        .client = { .max_in_flight = 256, .max_queued = 100000, .max_response_bytes = 1024 * 1024 },
        .redis_timeout_ms = 5000,
        .redis_max_pending = 100000,
        .drain_ms = 10000,
    };
}

int service_config_from_options(struct service_config *config, const char *(*option)(const char *name))
{
    long long timeout_ms, reuse, per_address, receive_seconds, wait_replicas;
    if (config_to_integer(option("REDIS_TIMEOUT_MS"), 100, 60000, &timeout_ms) < 0
        || config_to_integer(option("REDIS_WAIT_REPLICAS"), 0, 16, &wait_replicas) < 0
        || config_to_integer(option("REUSE_PORT"), 0, 1, &reuse) < 0
        || config_to_integer(option("MAX_CONNECTIONS_PER_ADDRESS"), 0, 1000000, &per_address) < 0
        || config_to_integer(option("REQUEST_RECEIVE_TIMEOUT_SECONDS"), 1, 3600, &receive_seconds) < 0)
        return -EINVAL;
    config->redis_timeout_ms = (uint64_t)timeout_ms;
    config->redis_wait_replicas = (unsigned)wait_replicas;
    config->http.reuse_port = reuse == 1;
    config->http.max_connections_per_address = (unsigned)per_address;
    config->http.receive_deadline_seconds = (unsigned)receive_seconds;
    return 0;
}

static int64_t flush_log_before_waiting(void *data)
{
    (void)data;
    log_flush();
    return -1;
}

int service_init(struct service *service, const struct service_config *config)
{
    memset(service, 0, sizeof(*service));
    service->name = config->name;
    service->drain_ms = config->drain_ms;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -EIO;
    int result = event_loop_create(&service->loop);
    if (result == 0)
        result = event_loop_handle_signals(service->loop, on_signal, service);
    if (result == 0) {
        service->log_hook = (struct event_hook){ .prepare = flush_log_before_waiting };
        event_loop_add_hook(service->loop, &service->log_hook);
        log_buffer_lines();
    }
    struct redis_client_config redis = {
        .url = config->redis_url,
        .command_timeout_ms = config->redis_timeout_ms,
        .max_pending = config->redis_max_pending,
        .name = config->name,
        .wait_replicas = config->redis_wait_replicas,
    };
    if (result == 0)
        result = redis_client_create(service->loop, &redis, &service->redis);
    if (result == 0)
        result = http_client_create(service->loop, &config->client, &service->http);
    if (result < 0)
        service_cleanup(service);
    return result;
}

/*
 * Descriptors kept free of incoming connections beyond the outgoing transfers: Redis, the loop, logs, lookups,
 * and the HTTP server's lingering closes (at most 64).
 */
#define SPARE_DESCRIPTORS 128

/*
 * Raises the open-files limit to its hard limit and lowers http's connection
 * limit below it, leaving room for outgoing transfers (outgoing) and the
 * rest, so that accept() never meets EMFILE: MHD would stop accepting until
 * one of its connections closes.
 */
static void fit_connections_to_open_files(struct http_server_config *http, unsigned outgoing)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return;
    if (limit.rlim_cur < limit.rlim_max) {
        struct rlimit raised = { .rlim_cur = limit.rlim_max, .rlim_max = limit.rlim_max };
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            limit = raised;
    }
    if (limit.rlim_cur == RLIM_INFINITY)
        return;
    rlim_t reserve = (rlim_t)outgoing + SPARE_DESCRIPTORS;
    if (reserve > limit.rlim_cur / 2)
        reserve = limit.rlim_cur / 2;
    rlim_t fit = limit.rlim_cur - reserve;
    if (fit < http->max_connections) {
        log_event(LOG_WARN, "open-files-limit", "at most %llu open files: serving at most %llu connections at once",
                  (unsigned long long)limit.rlim_cur, (unsigned long long)fit);
        http->max_connections = (unsigned)fit;
    }
}

int service_listen(struct service *service, const struct service_config *config, const struct http_route *routes,
                   size_t route_count, void *data)
{
    struct http_server_config http = config->http;
    fit_connections_to_open_files(&http, config->client.max_in_flight);
    int result = http_server_start(service->loop, &http, routes, route_count, data, &service->server);
    if (result == 0)
        log_event(LOG_INFO, "listening", "%s listening on http://%s:%u", service->name, config->http.bind_address,
                  config->http.port);
    return result;
}

int service_run(struct service *service)
{
    int result = event_loop_run(service->loop);
    log_event(LOG_INFO, "shutdown", "%s stopped", service->name);
    log_flush();
    return result;
}

void service_cleanup(struct service *service)
{
    /*
     * Clients first: their pending operations answer their requests (503) as
     * they are cancelled. Both are closed before either is freed, because a
     * cancelled operation of one may still try the other (and is refused).
     */
    http_client_close(service->http);
    redis_client_close(service->redis);
    http_client_close(service->http);
    http_server_destroy(service->server);
    service->server = NULL;
    redis_client_destroy(service->redis);
    service->redis = NULL;
    http_client_destroy(service->http);
    service->http = NULL;
    if (service->loop) {
        event_loop_timer_stop(service->loop, &service->drain_timer);
        event_loop_destroy(service->loop);
        service->loop = NULL;
        curl_global_cleanup();
    }
    /* A Redis host lookup given up while glibc was still resolving it holds memory until it finishes. */
    if (host_lookup_release_abandoned(ABANDONED_LOOKUP_WAIT_MS) > 0)
        log_event(LOG_WARN, "shutdown", "a Redis host lookup was still running at exit");
}

void service_reply_health(struct http_request *request, const struct service *service)
{
    bool connected = redis_client_connected(service->redis);
    cJSON *health = cJSON_CreateObject();
    if (health) {
        cJSON_AddStringToObject(health, "status", connected ? "ok" : "unavailable");
        cJSON_AddStringToObject(health, "service", service->name);
        cJSON_AddStringToObject(health, "redis", connected ? "connected" : "disconnected");
    }
    http_request_reply_json(request, connected ? 200 : 503, health);
}
