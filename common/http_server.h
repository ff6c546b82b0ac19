/*
 * http_server - libmicrohttpd in external-epoll mode on the event loop, with
 * a route table, bounded request bodies and asynchronous replies.
 *
 * A handler receives each request once its whole body has arrived. It must
 * answer it exactly once with http_request_reply*(), either before returning
 * or later from any loop callback (after a Redis reply, a curl completion...).
 * Until it does, the connection is suspended and costs no thread. The server
 * keeps the request object alive until the handler has answered, even if the
 * client went away or the request deadline already produced a 503, so a
 * late answer is always safe (it is then dropped).
 *
 * Bounds: body size (413), simultaneous connections, idle connection timeout,
 * and a deadline per request (503 if the handler has not answered by then).
 */
#ifndef HTTP_SERVER_H
#define HTTP_SERVER_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event_loop.h"

struct http_server;
struct http_request;

typedef void (*http_handler)(struct http_request *request, void *data);

struct http_route {
    const char *method;           /* "GET", "POST", ... */
    const char *path;             /* exact path, query string excluded */
    http_handler handler;
};

struct http_server_config {
    const char *bind_address;     /* IPv4 address, e.g. "127.0.0.1" or "0.0.0.0" */
    uint16_t port;
    size_t max_body_bytes;        /* larger bodies get 413 */
    unsigned max_connections;
    unsigned idle_timeout_seconds;
    uint64_t request_deadline_ms; /* unanswered requests get 503 after this */
    bool reuse_port;              /* SO_REUSEPORT, for several processes on one port */
};

/*
 * Binds and starts serving routes on loop. data is passed to every handler.
 * Returns 0 and the server, or a negative code (-EADDRINUSE and the like are
 * reported as -EIO with a log line) and nothing is left running.
 */
int http_server_start(struct event_loop *loop, const struct http_server_config *config,
                      const struct http_route *routes, size_t route_count, void *data,
                      struct http_server **server);

/* Stops accepting new connections; requests in progress carry on. */
void http_server_quiesce(struct http_server *server);

/* Requests handed to handlers and not answered yet. */
size_t http_server_pending_requests(const struct http_server *server);

/*
 * Answers every request still pending with 503, closes all connections and
 * frees the server. Handlers may still answer those requests afterwards only
 * if they do so before this call returns (the answers are dropped); after it,
 * no request pointer may be used.
 */
void http_server_destroy(struct http_server *server);

/* The request's method and path (without query string). Valid until answered. */
const char *http_request_method(const struct http_request *request);
const char *http_request_path(const struct http_request *request);

/* A request header's value (case-insensitive name), or NULL. */
const char *http_request_header(const struct http_request *request, const char *name);

/* A query-string argument's value, or NULL. */
const char *http_request_query(const struct http_request *request, const char *name);

/*
 * Whether the client still waits for the answer to request: false once the
 * connection is closed, the deadline has answered 503, or the client has
 * closed its end of the socket (a non-blocking peek; a suspended connection
 * is not watched by MHD, so this is how a long wait notices a client that
 * gave up). A client that half-closes after sending its request counts as
 * gone.
 */
bool http_request_client_connected(const struct http_request *request);

/* The body (NUL-terminated for convenience) and its length. */
const char *http_request_body(const struct http_request *request, size_t *length);

/*
 * Answers with status, content type and a body copied from body/length.
 * Returns 0, -EALREADY if the request was already answered by the handler,
 * or -ENOMEM. After the deadline has answered 503, returns 0 and drops it.
 */
int http_request_reply(struct http_request *request, unsigned status, const char *content_type,
                       const char *body, size_t length);

/* Answers with a JSON document; takes ownership of json (freed on every path). */
int http_request_reply_json(struct http_request *request, unsigned status, cJSON *json);

/*
 * Answers with the JSON error body {"error": code, "message": text}, text
 * printf-formatted, and the header X-Amzn-ErrorType: code (which is where
 * AWS SDKs look first for an error's code).
 */
int http_request_reply_error(struct http_request *request, unsigned status, const char *code,
                             const char *format, ...) __attribute__((format(printf, 4, 5)));

#endif
