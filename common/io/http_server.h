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
 * Bounds: body size (413), simultaneous connections (in all and per client
 * address), idle connection timeout, a deadline for receiving each request
 * (request line, headers and body; past it the connection is closed), and a
 * deadline per request (503 if the handler has not answered by then).
 *
 * Malformed requests get a JSON error {"error","message"} wherever the server
 * sees them: a malformed, conflicting or chunked-with Content-Length (400), a
 * URL longer than HTTP_SERVER_MAX_URL_BYTES or with more than
 * HTTP_SERVER_MAX_QUERY_ARGUMENTS arguments (414), headers larger than
 * HTTP_SERVER_MAX_HEADER_BYTES (431), and a body over the limit (413). A
 * request refused before its body was read is answered at once, and what
 * comes of its body (up to HTTP_SERVER_DRAIN_FACTOR times the body limit,
 * for a few seconds) is read and dropped after the answer, so that a client
 * still sending sees the answer rather than a reset connection.
 * The server accepts connections itself (http_accept) and judges each
 * connection's first request head (http_head) before libmicrohttpd does
 * (which answers some malformed heads with HTML or twice): a malformed request
 * line or header line (400), an HTTP version other than 1.0/1.1 (505), a head
 * over 48 KiB (431) get the JSON error with Connection: close. Later requests
 * on a kept-alive connection are libmicrohttpd's alone, and it still answers
 * those malformed heads itself.
 *
 * Files: http_server.c is the libmicrohttpd glue (requests, answers,
 * suspend/resume, deadlines, streams); http_accept.c owns the sockets MHD
 * does not (listening, accepting, connection limits, the wait for the first
 * head, lingering closes); common/pure/http_head.c judges a head's bytes.
 * HEAD is answered by the GET route of the same path, without the body.
 */
#ifndef HTTP_SERVER_H
#define HTTP_SERVER_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event_loop.h"
#include "http_head.h"

struct http_server;
struct http_request;

#define HTTP_SERVER_MAX_URL_BYTES HTTP_HEAD_MAX_URL_BYTES
#define HTTP_SERVER_MAX_QUERY_ARGUMENTS HTTP_HEAD_MAX_QUERY_ARGUMENTS
#define HTTP_SERVER_MAX_HEADER_BYTES HTTP_HEAD_MAX_HEADER_BYTES
#define HTTP_SERVER_DRAIN_FACTOR 16

typedef void (*http_handler)(struct http_request *request, void *data);

struct http_route {
    const char *method; /* "GET", "POST", ... */
    const char *path;   /* exact, query string excluded; ending in "*": every path it prefixes */
    http_handler handler;
};

/* An extra response header. */
struct http_header {
    const char *name;
    const char *value;
};

/*
 * An answer sent in pieces as they come, such as a stream of Server-Sent
 * Events; see http_request_reply_stream().
 */
struct http_stream;

/*
 * The client went away or the server is shutting down: the stream is gone
 * (do not use it any more). Not called for a stream its owner ended.
 */
typedef void (*http_stream_closed_callback)(struct http_stream *stream, void *data);

struct http_server_config {
    const char *bind_address; /* IPv4 address, e.g. "127.0.0.1" or "0.0.0.0" */
    uint16_t port;
    size_t max_body_bytes; /* larger bodies get 413 */
    unsigned max_connections;
    unsigned idle_timeout_seconds;
    uint64_t request_deadline_ms;         /* unanswered requests get 503 after this */
    unsigned max_connections_per_address; /* 0: no limit */
    unsigned receive_deadline_seconds;    /* a request not fully received by then closes its connection; 0: none */
    bool reuse_port;                      /* SO_REUSEPORT, for several processes on one port */
};

/*
 * Binds and starts serving routes on loop. data is passed to every handler.
 * Returns 0 and the server, or a negative code (-EADDRINUSE and the like are
 * reported as -EIO with a log line) and nothing is left running.
 */
__attribute__((warn_unused_result)) int http_server_start(struct event_loop *loop,
                                                          const struct http_server_config *config,
                                                          const struct http_route *routes, size_t route_count,
                                                          void *data, struct http_server **server);

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

/*
 * Writes the client's address (e.g. "127.0.0.1") into out (size bytes).
 * Returns 0, or -ENOTCONN once the connection is gone (out is then "").
 */
__attribute__((warn_unused_result)) int http_request_client_address(const struct http_request *request, char *out,
                                                                    size_t size);

/* The body (NUL-terminated for convenience) and its length. */
const char *http_request_body(const struct http_request *request, size_t *length);

/*
 * Answers with status, content type and a body copied from body/length.
 * Returns 0, -EALREADY if the request was already answered by the handler,
 * or -ENOMEM. After the deadline has answered 503, returns 0 and drops it.
 * The request is answered on every path (500 when out of memory), so this
 * and the other http_request_reply*() but the stream may go unchecked.
 */
int http_request_reply(struct http_request *request, unsigned status, const char *content_type, const char *body,
                       size_t length);

/*
 * Like http_request_reply(), with extra headers (copied) and a body that is
 * not copied: it must stay valid and unchanged for the server's whole life
 * (embedded files).
 */
int http_request_reply_static(struct http_request *request, unsigned status, const char *content_type,
                              const struct http_header *headers, size_t header_count, const void *body, size_t length);

/*
 * Answers with status 200, content_type, the extra headers (copied) and a
 * body of unknown length (chunked) written later with http_stream_write()
 * until the owner ends it with http_stream_end(). While nothing is to be
 * sent the connection is suspended: an open stream costs no CPU. An open
 * stream counts as a pending request, so a server that shuts down ends its
 * streams first. on_closed runs (once) if the client goes away - noticed on
 * the next write, so a stream that must notice dead clients writes
 * something now and then - or the server is destroyed.
 * max_buffered_bytes bounds what is written and not yet sent.
 * Returns 0 and the stream. On failure the request is answered (500 when
 * out of memory), on_closed is never called, and it returns -ENOMEM, or
 * -EALREADY if the request was answered already, or -EPIPE if the client
 * is gone.
 */
__attribute__((warn_unused_result)) int
http_request_reply_stream(struct http_request *request, const char *content_type, const struct http_header *headers,
                          size_t header_count, size_t max_buffered_bytes, http_stream_closed_callback on_closed,
                          void *data, struct http_stream **stream);

/*
 * Queues bytes (copied) for the client. Returns 0, -ENOBUFS if they would
 * take more than the stream's bound (nothing is queued: end the stream),
 * or -ENOMEM.
 */
__attribute__((warn_unused_result)) int http_stream_write(struct http_stream *stream, const char *bytes, size_t length);

/*
 * Ends the stream once what is queued has been sent. The owner lets go of
 * stream: on_closed is not called and stream must not be used any more.
 */
void http_stream_end(struct http_stream *stream);

/* Answers with a JSON document; takes ownership of json (freed on every path). */
int http_request_reply_json(struct http_request *request, unsigned status, cJSON *json);

/*
 * Answers with the JSON error body {"error": code, "message": text}, text
 * printf-formatted, and the header X-Amzn-ErrorType: code (which is where
 * AWS SDKs look first for an error's code).
 */
int http_request_reply_error(struct http_request *request, unsigned status, const char *code, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

#endif
