/*
 * service - the skeleton both servers share: one event loop, one Redis
 * client, one HTTP client, one HTTP server, SIGINT/SIGTERM handling, a
 * /health answer, and an orderly shutdown.
 *
 * Shutdown on SIGINT or SIGTERM: stop accepting connections, call on_drain
 * (so the server starts no new background work), let requests, outgoing
 * transfers and Redis commands in progress finish for up to drain_ms - a
 * write with no request attached, such as storing a task token after the
 * valuation service's 201, is waited for too - then tear
 * down in dependency order (Redis and HTTP client first, so that every
 * pending operation answers its request, then the HTTP server) and return
 * from service_run() with 0.
 */
#ifndef SERVICE_H
#define SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "event_loop.h"
#include "http_client.h"
#include "http_server.h"
#include "redis_client.h"

struct service {
    const char *name;
    struct event_loop *loop;
    struct redis_client *redis;
    struct http_client *http;
    struct http_server *server;
    uint64_t drain_ms;
    uint64_t drain_started_ms;
    bool draining;
    struct event_timer drain_timer;
    void (*on_drain)(void *data); /* optional, set by the server after service_init() */
    void *on_drain_data;
    struct event_hook log_hook; /* writes the buffered log lines before each wait */
};

struct service_config {
    const char *name; /* "loan-processor" */
    const char *redis_url;
    struct http_server_config http;
    struct http_client_config client;
    uint64_t redis_timeout_ms;
    size_t redis_max_pending;
    unsigned redis_wait_replicas; /* REDIS_WAIT_REPLICAS: see redis_client.h */
    uint64_t drain_ms;
};

/*
 * Fills config with the limits both servers use (connections, timeouts,
 * queue bounds, drain time) for a server called name; the caller then sets
 * what differs, such as max_body_bytes.
 */
void service_config_defaults(struct service_config *config, const char *name, const char *redis_url,
                             const char *bind_address, uint16_t port);

/* What service_config_from_options() refused, for the server's error message. */
#define SERVICE_OPTIONS_ERROR                                                                           \
    "REDIS_TIMEOUT_MS must be 100-60000, REUSE_PORT 0 or 1, MAX_CONNECTIONS_PER_ADDRESS 0-1000000 and " \
    "REQUEST_RECEIVE_TIMEOUT_SECONDS 1-3600"

/* The options both servers take, as given (environment or command line). */

/*
 * Applies the options both servers take, each read with option (the server's
 * lookup by name, from its command line or environment): REDIS_TIMEOUT_MS (the deadline of
 * every Redis command; at least 100 ms, as the Redis watchdog looks every
 * 100 ms), REUSE_PORT ("1": SO_REUSEPORT), MAX_CONNECTIONS_PER_ADDRESS (0:
 * no limit) and REQUEST_RECEIVE_TIMEOUT_SECONDS (see struct
 * http_server_config). Returns 0, or -EINVAL for a value out of range
 * (config is then unchanged).
 */
__attribute__((warn_unused_result)) int service_config_from_options(struct service_config *config,
                                                                    const char *(*option)(const char *name));

/*
 * Creates the loop, the Redis client (which starts connecting) and the HTTP
 * client, and installs the signal handling. Returns 0 or a negative code;
 * on failure whatever was built is torn down again.
 */
__attribute__((warn_unused_result)) int service_init(struct service *service, const struct service_config *config);

/*
 * Starts the HTTP server with routes (data goes to every handler). First
 * raises the open-files limit to its hard limit and, if needed, lowers the
 * connection limit below it (room kept for outgoing transfers and Redis).
 * Returns 0 or a negative code.
 */
__attribute__((warn_unused_result)) int service_listen(struct service *service, const struct service_config *config,
                                                       const struct http_route *routes, size_t route_count, void *data);

/* Runs until SIGINT/SIGTERM and the drain that follows. Returns 0, or a negative code if the loop failed. */
__attribute__((warn_unused_result)) int service_run(struct service *service);

/* Frees everything; safe on a half-initialised service. */
void service_cleanup(struct service *service);

/* Answers GET /health: 200 {"status":"ok","redis":"connected"} or 503 while Redis is unavailable. */
void service_reply_health(struct http_request *request, const struct service *service);

/*
 * Reads LOG_FORMAT ("text" or "json") and LOG_LEVEL ("debug", "info", "warn" or "error") and configures the log
 * for name. Returns 0, or -EINVAL after saying on standard error which of the two is wrong (nothing configured).
 */
__attribute__((warn_unused_result)) int service_configure_log(const char *name, const char *log_format,
                                                              const char *log_level);

#endif
