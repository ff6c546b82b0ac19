/*
 * http_server - see http_server.h.
 *
 * Life of a request: MHD calls access_handler() once after the headers
 * (we allocate the request), once per body chunk (we append, up to the
 * limit), and once when the body is complete (we dispatch to the route's
 * handler). If the handler has not answered when it returns, the connection
 * is suspended and a deadline timer armed; the answer (or the deadline)
 * stores a response and resumes the connection, and MHD then calls
 * access_handler() again, which queues the stored response.
 *
 * A request is freed when both sides are done with it: MHD has completed the
 * connection's request (on_request_completed) and the handler has answered.
 *
 * Sockets reach MHD from the acceptor (http_accept.c), which owns them until
 * their first head is judged sound, and gets back, when MHD closes one, its
 * place per client address and any lingering close of a refused body.
 */
#include "http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "byte_buffer.h"
#include "http_accept.h"
#include "http_head.h"
#include "json_util.h"
#include "log.h"
#include "utf8.h"

struct http_server {
    struct event_loop *loop;
    struct MHD_Daemon *daemon;
    struct event_watcher watcher;
    struct http_acceptor *acceptor; /* the listening socket, first heads, limits, lingering closes */
    bool handing_over;              /* MHD_add_connection() runs; its STARTED notice takes handover_address */
    uint32_t handover_address;
    struct event_hook hook;
    struct http_server_config config;
    const struct http_route *routes;
    size_t route_count;
    void *data;
    size_t pending_requests;
    LIST_HEAD(, http_request) live_requests; /* every request not yet freed */
    LIST_HEAD(, http_request) idle_requests; /* freed requests kept for reuse, at most IDLE_REQUESTS_MAX */
    size_t idle_request_count;
    LIST_HEAD(, http_stream) live_streams;    /* every stream MHD has not released yet */
    LIST_HEAD(, http_connection) connections; /* every open connection */
    struct event_timer sweep;                 /* closes late requests, notices streams whose client left */
};

/*
 * An open TCP connection (MHD's socket context). receive_deadline_ms is when
 * the request being received must be complete: set when the connection opens
 * and when a request ends (the next one must arrive within the idle timeout),
 * tightened when a request line arrives, cleared once a request is complete.
 */
struct http_connection {
    struct http_server *server;
    int fd;
    bool counted;                 /* holds a place of address in the acceptor's count per address */
    uint32_t address;             /* IPv4, network order */
    uint64_t receive_deadline_ms; /* 0: no request being received */
    uint64_t linger_bytes;        /* a refused body still coming: read this much of it after MHD closes (lingers) */
    LIST_ENTRY(http_connection) link;
};

struct http_request {
    struct http_server *server;
    struct MHD_Connection *connection;
    char *method;            /* in text */
    char *path;              /* in text, after method */
    struct byte_buffer text; /* method and path, each with its NUL */
    struct byte_buffer body;
    bool body_too_large;
    bool dispatched; /* handed to a handler, which owes an answer */
    bool in_handler; /* the handler is running right now */
    bool suspended;
    bool answered;         /* the handler has answered */
    bool deadline_expired; /* a 503 was (or will be) sent in the handler's place */
    bool connection_done;  /* MHD has finished with this request */
    struct MHD_Response *response;
    unsigned response_status;
    struct http_stream *stream; /* the stream answering it, until MHD has finished with the connection */
    struct event_timer deadline;
    LIST_ENTRY(http_request) live_link;
};

/*
 * A streamed answer. MHD's content reader takes bytes from buffer; with none
 * there and the stream not ended, it suspends the connection, which a write
 * or the end resumes. MHD frees the stream through the response's free
 * callback (stream_release), after the connection is finished with.
 */
struct http_stream {
    struct http_server *server;
    struct MHD_Connection *connection; /* NULL once MHD has finished with the request */
    char *buffer;
    size_t sent; /* bytes of buffer already handed to MHD */
    size_t length;
    size_t capacity;
    size_t max_buffered;
    bool suspended;   /* by the reader, for lack of data */
    bool ended;       /* nothing more will come: end once buffer is sent */
    bool owner_gone;  /* the owner ended it: on_closed is not called */
    bool client_gone; /* the client closed its end: the next read ends the response */
    http_stream_closed_callback on_closed;
    void *data;
    LIST_ENTRY(http_stream) live_link;
};

#define SWEEP_INTERVAL_MS 500
/* Answered requests kept, with their buffers, for the next ones (a buffer over BYTE_BUFFER_KEEP_MAX is freed). */
#define IDLE_REQUESTS_MAX 64
/*
 * MHD's per-connection memory: request head, URL arguments and headers must fit (larger gets MHD's own page):
 * HTTP_HEAD_MAX_BYTES (48 KiB) and MHD's own structures (about 56 bytes per header line or URL argument: 16 KiB
 * holds some 290 of them; a head within our limits with more gets MHD's own 431). MHD 0.9.75 zeroes the whole
 * pool at every request of a kept-alive connection, so its size is CPU per request (96 KiB: a fifth of the
 * loan-processor's instructions per blog flow, 64 KiB: two thirds of that), and resident memory per busy
 * connection: 256 KiB took the blog bench's 10,000 applications to 95 MiB, 96 KiB to 32.
 */
#define CONNECTION_MEMORY_LIMIT (64 * 1024)

static struct http_connection *connection_of(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

/* The connection's current or next request must be fully received within seconds (0: no deadline). */
static void connection_receive_within(struct MHD_Connection *connection, unsigned seconds, bool only_tighten)
{
    struct http_connection *state = connection ? connection_of(connection) : NULL;
    if (!state)
        return;
    if (seconds == 0 || state->server->config.receive_deadline_seconds == 0) {
        state->receive_deadline_ms = 0;
        return;
    }
    uint64_t deadline = event_loop_now_ms() + (uint64_t)seconds * 1000;
    if (!only_tighten || state->receive_deadline_ms == 0 || deadline < state->receive_deadline_ms)
        state->receive_deadline_ms = deadline;
}

static void on_connection_notify(void *closure, struct MHD_Connection *connection, void **socket_context,
                                 enum MHD_ConnectionNotificationCode code)
{
    struct http_server *server = closure;
    struct http_connection *state = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        if (state) {
            if (state->linger_bytes > 0)
                http_acceptor_linger(server->acceptor, state->fd, state->linger_bytes);
            if (state->counted)
                http_acceptor_release(server->acceptor, state->address);
            LIST_REMOVE(state, link);
            free(state);
            *socket_context = NULL;
        }
        return;
    }
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    state = info ? calloc(1, sizeof(*state)) : NULL;
    if (!state)
        return; /* untracked: only the idle timeout bounds it */
    *state = (struct http_connection){ .server = server, .fd = info->connect_fd };
    if (server->handing_over) { /* the place the screened connection held passes to this one */
        server->handing_over = false;
        state->counted = true;
        state->address = server->handover_address;
    }
    LIST_INSERT_HEAD(&server->connections, state, link);
    *socket_context = state;
    connection_receive_within(connection, server->config.receive_deadline_seconds, false);
}

/* MHD has read a request line: the rest of that request must follow within the receive deadline. */
static void *on_request_line(void *closure, const char *uri, struct MHD_Connection *connection)
{
    struct http_server *server = closure;
    (void)uri;
    connection_receive_within(connection, server->config.receive_deadline_seconds, true);
    return NULL;
}

/* Whether the peer of a connected socket has closed its end or the socket failed (a non-blocking peek). */
static bool socket_peer_gone(int fd)
{
    char byte;
    ssize_t peeked = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (peeked > 0)
        return false;
    return peeked == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static void stream_wake(struct http_stream *stream);

/*
 * Closes the connections whose request is late (the socket is shut down, so
 * MHD sees the end and closes it itself), and ends the parked streams whose
 * client has gone.
 */
static void on_sweep(struct event_timer *timer)
{
    struct http_server *server = timer->data;
    uint64_t now = event_loop_now_ms();
    unsigned closed = http_acceptor_close_late(server->acceptor, now);
    struct http_connection *state;
    LIST_FOREACH(state, &server->connections, link)
    {
        if (state->receive_deadline_ms != 0 && now >= state->receive_deadline_ms) {
            state->receive_deadline_ms = 0;
            shutdown(state->fd, SHUT_RDWR);
            closed++;
        }
    }
    if (closed > 0)
        log_event(LOG_WARN, "request-too-slow", "closed %u connection(s) whose request was not received within %u s",
                  closed, server->config.receive_deadline_seconds);
    struct http_stream *stream;
    LIST_FOREACH(stream, &server->live_streams, live_link)
    {
        if (!stream->suspended || !stream->connection)
            continue;
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(stream->connection, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (info && socket_peer_gone(info->connect_fd)) {
            stream->client_gone = true;
            stream_wake(stream);
        }
    }
    event_loop_timer_start(server->loop, &server->sweep, SWEEP_INTERVAL_MS, on_sweep, server);
}

static void request_destroy(struct http_request *request)
{
    byte_buffer_free(&request->text);
    byte_buffer_free(&request->body);
    free(request);
}

/* The request is over: it goes to the server's idle list for reuse (its buffers kept), or is freed. */
static void request_free(struct http_request *request)
{
    if (!request)
        return;
    struct http_server *server = request->server;
    event_loop_timer_stop(server->loop, &request->deadline);
    if (request->response)
        MHD_destroy_response(request->response);
    LIST_REMOVE(request, live_link);
    if (server->idle_request_count >= IDLE_REQUESTS_MAX) {
        request_destroy(request);
        return;
    }
    byte_buffer_reset(&request->text, BYTE_BUFFER_KEEP_MAX);
    byte_buffer_reset(&request->body, BYTE_BUFFER_KEEP_MAX);
    LIST_INSERT_HEAD(&server->idle_requests, request, live_link);
    server->idle_request_count++;
}

/* A request object with its method and url copied (an idle one when there is one), or NULL when out of memory. */
static struct http_request *request_create(struct http_server *server, struct MHD_Connection *connection,
                                           const char *method, const char *url)
{
    struct http_request *request = LIST_FIRST(&server->idle_requests);
    if (request) {
        LIST_REMOVE(request, live_link);
        server->idle_request_count--;
    } else if (!(request = calloc(1, sizeof(*request))))
        return NULL;
    struct byte_buffer text = request->text, body = request->body; /* emptied by request_free() */
    size_t method_size = strlen(method) + 1, url_size = strlen(url) + 1;
    if (byte_buffer_append(&text, method, method_size) < 0 || byte_buffer_append(&text, url, url_size) < 0) {
        byte_buffer_free(&text);
        byte_buffer_free(&body);
        free(request);
        return NULL;
    }
    *request = (struct http_request){ .server = server, .connection = connection, .text = text, .body = body };
    request->method = text.data;
    request->path = text.data + method_size;
    LIST_INSERT_HEAD(&server->live_requests, request, live_link);
    return request;
}

static struct MHD_Response *build_response(const char *content_type, const char *body, size_t length)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer(length, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    if (response && content_type)
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    return response;
}

static struct MHD_Response *build_error_response(const char *code, const char *message)
{
    cJSON *error = json_error("error", code, message);
    char *text = error ? json_print(error) : NULL;
    struct MHD_Response *response = text ? build_response("application/json", text, strlen(text)) : NULL;
    if (response)
        MHD_add_response_header(response, "X-Amzn-ErrorType", code);
    cJSON_free(text);
    cJSON_Delete(error);
    return response;
}

static enum MHD_Result queue_and_release(struct MHD_Connection *connection, unsigned status,
                                         struct MHD_Response *response)
{
    if (!response)
        return MHD_NO; /* out of memory: MHD closes the connection */
    enum MHD_Result result = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return result;
}

static enum MHD_Result queue_error(struct MHD_Connection *connection, unsigned status, const char *code,
                                   const char *message)
{
    return queue_and_release(connection, status, build_error_response(code, message));
}

static void deliver_stored_response(struct http_request *request)
{
    if (request->in_handler)
        return; /* access_handler() queues it when the handler returns */
    if (request->suspended) {
        request->suspended = false;
        MHD_resume_connection(request->connection);
    }
}

static void on_request_deadline(struct event_timer *timer)
{
    struct http_request *request = timer->data;
    if (request->answered || request->connection_done)
        return;
    log_event(LOG_WARN, "request-deadline", "%s %s not answered within %llu ms, answering 503", request->method,
              request->path, (unsigned long long)request->server->config.request_deadline_ms);
    request->deadline_expired = true;
    request->response_status = MHD_HTTP_SERVICE_UNAVAILABLE;
    request->response = build_error_response("ServiceUnavailable", "The request could not be completed in time");
    deliver_stored_response(request);
}

/* Whether a route's path matches path: exactly, or, ending in "*", as a prefix. */
static bool route_matches(const char *route_path, const char *path)
{
    size_t length = strlen(route_path);
    if (length > 0 && route_path[length - 1] == '*')
        return strncmp(route_path, path, length - 1) == 0;
    return strcmp(route_path, path) == 0;
}

static const struct http_route *find_route(const struct http_server *server, const char *method, const char *path,
                                           bool *path_known)
{
    const struct http_route *head_as_get = NULL;
    *path_known = false;
    for (size_t i = 0; i < server->route_count; i++) {
        if (!route_matches(server->routes[i].path, path))
            continue;
        *path_known = true;
        if (strcmp(server->routes[i].method, method) == 0)
            return &server->routes[i];
        if (!head_as_get && strcmp(method, MHD_HTTP_METHOD_HEAD) == 0
            && strcmp(server->routes[i].method, MHD_HTTP_METHOD_GET) == 0)
            head_as_get = &server->routes[i]; /* MHD leaves the body out */
    }
    return head_as_get;
}

static enum MHD_Result append_body(struct http_request *request, const char *data, size_t size)
{
    size_t limit = request->server->config.max_body_bytes;
    if (request->body_too_large || request->body.length + size > limit) {
        request->body_too_large = true; /* keep draining; 413 once the body is complete */
        return MHD_YES;
    }
    return byte_buffer_append(&request->body, data, size) == 0 ? MHD_YES : MHD_NO;
}

/* What the request's headers say about its framing and size, gathered in one pass. */
struct head_scan {
    unsigned content_lengths;
    bool content_length_malformed;
    bool content_length_conflict;
    bool transfer_encoding;
    unsigned long long content_length;
};

static enum MHD_Result scan_header(void *closure, enum MHD_ValueKind kind, const char *name, const char *value)
{
    struct head_scan *scan = closure;
    (void)kind;
    if (strcasecmp(name, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
        scan->transfer_encoding = true;
    if (strcasecmp(name, MHD_HTTP_HEADER_CONTENT_LENGTH) != 0)
        return MHD_YES;
    size_t digits = strspn(value, "0123456789");
    unsigned long long length = 0;
    if (digits == 0 || value[digits] != '\0' || digits > 19)
        scan->content_length_malformed = true;
    else
        length = strtoull(value, NULL, 10);
    if (scan->content_lengths++ > 0 && length != scan->content_length)
        scan->content_length_conflict = true;
    scan->content_length = length;
    return MHD_YES;
}

static enum MHD_Result count_bytes(void *closure, enum MHD_ValueKind kind, const char *name, const char *value)
{
    size_t *bytes = closure;
    (void)kind;
    *bytes += strlen(name) + (value ? strlen(value) + 1 : 0) + 1;
    return MHD_YES;
}

/*
 * Checks what MHD let through about the request's head; on a refusal fills
 * status, code and message and returns false.
 */
static bool head_acceptable(struct MHD_Connection *connection, const char *url, const struct head_scan *scan,
                            unsigned *status, const char **code, char *message, size_t size)
{
    size_t url_bytes = strlen(url);
    int arguments = MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, count_bytes, &url_bytes);
    const union MHD_ConnectionInfo *head = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    *status = MHD_HTTP_BAD_REQUEST;
    *code = "BadRequest";
    if (scan->content_length_malformed)
        snprintf(message, size, HTTP_HEAD_MESSAGE_CONTENT_LENGTH_MALFORMED);
    else if (scan->content_length_conflict)
        snprintf(message, size, HTTP_HEAD_MESSAGE_CONTENT_LENGTH_CONFLICT);
    else if (scan->content_lengths > 0 && scan->transfer_encoding)
        snprintf(message, size, HTTP_HEAD_MESSAGE_CONTENT_LENGTH_AND_TRANSFER_ENCODING);
    else if (arguments > HTTP_SERVER_MAX_QUERY_ARGUMENTS || url_bytes > HTTP_SERVER_MAX_URL_BYTES) {
        *status = MHD_HTTP_URI_TOO_LONG;
        *code = "UriTooLong";
        snprintf(message, size, HTTP_HEAD_MESSAGE_URL_TOO_LONG, HTTP_SERVER_MAX_URL_BYTES,
                 HTTP_SERVER_MAX_QUERY_ARGUMENTS);
    } else if (head && head->header_size > HTTP_SERVER_MAX_HEADER_BYTES) {
        *status = MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE;
        *code = "RequestHeaderFieldsTooLarge";
        snprintf(message, size, HTTP_HEAD_MESSAGE_HEADERS_TOO_LARGE, HTTP_SERVER_MAX_HEADER_BYTES);
    } else
        return true;
    return false;
}

static bool expects_continue(struct MHD_Connection *connection)
{
    const char *expect = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
    return expect && strcasestr(expect, "100-continue") != NULL;
}

static enum MHD_Result reject_body_too_large(struct http_request *request)
{
    char message[128];
    snprintf(message, sizeof(message), HTTP_HEAD_MESSAGE_BODY_TOO_LARGE, request->server->config.max_body_bytes);
    connection_receive_within(request->connection, 0, false);
    return queue_error(request->connection, 413, "PayloadTooLarge", message);
}

static enum MHD_Result dispatch(struct http_request *request)
{
    struct http_server *server = request->server;
    bool path_known;
    const struct http_route *route = find_route(server, request->method, request->path, &path_known);
    char message[512];

    connection_receive_within(request->connection, 0, false);
    if (!route) {
        snprintf(message, sizeof(message), "No route for %.16s %.400s", request->method, request->path);
        return queue_error(request->connection, path_known ? MHD_HTTP_METHOD_NOT_ALLOWED : MHD_HTTP_NOT_FOUND,
                           path_known ? "MethodNotAllowed" : "NotFound", message);
    }
    request->dispatched = true;
    server->pending_requests++;
    request->in_handler = true;
    route->handler(request, server->data);
    request->in_handler = false;
    if (request->response) {
        struct MHD_Response *response = request->response;
        request->response = NULL;
        return queue_and_release(request->connection, request->response_status, response);
    }
    request->suspended = true;
    MHD_suspend_connection(request->connection);
    event_loop_timer_start(server->loop, &request->deadline, server->config.request_deadline_ms, on_request_deadline,
                           request);
    return MHD_YES;
}

/*
 * The head has arrived: refuse it at once if it is malformed or announces a
 * body over the limit; unless the client waits for "100 Continue", the body
 * it may still be sending is read and dropped after the answer.
 */
static enum MHD_Result start_request(struct http_request *request, const char *url)
{
    struct MHD_Connection *connection = request->connection;
    size_t limit = request->server->config.max_body_bytes;
    uint64_t drain_limit = (uint64_t)limit * HTTP_SERVER_DRAIN_FACTOR;
    struct head_scan scan = { 0 };
    unsigned status;
    const char *code;
    char message[256];
    MHD_get_connection_values(connection, MHD_HEADER_KIND, scan_header, &scan);
    bool acceptable = head_acceptable(connection, url, &scan, &status, &code, message, sizeof(message));
    if (acceptable && (scan.content_lengths == 0 || scan.content_length <= limit))
        return MHD_YES;
    /* Refused before its body: read what comes of the body after the answer (see http_acceptor_linger()). */
    struct http_connection *state = connection_of(connection);
    if (state && !expects_continue(connection))
        state->linger_bytes =
            scan.content_lengths == 1 && scan.content_length < drain_limit ? scan.content_length : drain_limit;
    if (!acceptable) {
        connection_receive_within(connection, 0, false);
        return queue_error(connection, status, code, message);
    }
    return reject_body_too_large(request);
}

static enum MHD_Result access_handler(void *closure, struct MHD_Connection *connection, const char *url,
                                      const char *method, const char *version, const char *upload_data,
                                      size_t *upload_data_size, void **connection_closure)
{
    struct http_server *server = closure;
    struct http_request *request = *connection_closure;
    (void)version;

    if (!request) {
        request = request_create(server, connection, method, url);
        if (!request)
            return MHD_NO;
        *connection_closure = request;
        return start_request(request, url);
    }
    if (*upload_data_size > 0) {
        enum MHD_Result result = append_body(request, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return result;
    }
    if (request->response) { /* resumed with an answer or the deadline's 503 */
        struct MHD_Response *response = request->response;
        request->response = NULL;
        return queue_and_release(connection, request->response_status, response);
    }
    if (request->dispatched)
        return MHD_YES; /* spurious call while the answer is pending */
    if (request->body_too_large)
        return reject_body_too_large(request);
    return dispatch(request);
}

static void on_request_completed(void *closure, struct MHD_Connection *connection, void **connection_closure,
                                 enum MHD_RequestTerminationCode code)
{
    struct http_server *server = closure;
    struct http_request *request = *connection_closure;
    if (code == MHD_REQUEST_TERMINATED_COMPLETED_OK) /* keep-alive: the next request must come within the idle time */
        connection_receive_within(connection, server->config.idle_timeout_seconds, false);
    if (!request)
        return;
    *connection_closure = NULL;
    request->connection_done = true;
    request->connection = NULL;
    if (request->stream) {
        request->stream->connection = NULL;
        request->stream->suspended = false;
        request->stream = NULL;
    }
    event_loop_timer_stop(server->loop, &request->deadline);
    if (request->dispatched && !request->answered)
        return; /* freed when the handler answers */
    if (request->dispatched)
        server->pending_requests--;
    request_free(request);
}

/*
 * Hands response (owned; may be NULL when out of memory) to the request as
 * the handler's answer.
 */
static int answer(struct http_request *request, unsigned status, struct MHD_Response *response)
{
    struct http_server *server = request->server;
    if (request->answered) {
        if (response)
            MHD_destroy_response(response);
        return -EALREADY;
    }
    request->answered = true;
    if (request->connection_done || request->deadline_expired) {
        /* Nobody to tell any more, or the deadline's 503 went out in its place. */
        if (response)
            MHD_destroy_response(response);
        if (request->connection_done) {
            server->pending_requests--;
            request_free(request);
        }
        return 0;
    }
    event_loop_timer_stop(server->loop, &request->deadline);
    if (!response) {
        response = build_error_response("InternalError", "Out of memory");
        status = 500;
    }
    request->response = response;
    request->response_status = status;
    deliver_stored_response(request);
    return response ? 0 : -ENOMEM;
}

int http_request_reply(struct http_request *request, unsigned status, const char *content_type, const char *body,
                       size_t length)
{
    return answer(request, status, build_response(content_type, body, length));
}

static bool add_headers(struct MHD_Response *response, const struct http_header *headers, size_t header_count)
{
    for (size_t i = 0; i < header_count; i++) {
        if (MHD_add_response_header(response, headers[i].name, headers[i].value) != MHD_YES)
            return false;
    }
    return true;
}

int http_request_reply_static(struct http_request *request, unsigned status, const char *content_type,
                              const struct http_header *headers, size_t header_count, const void *body, size_t length)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer(length, (void *)(uintptr_t)body, MHD_RESPMEM_PERSISTENT);
    if (response
        && ((content_type && MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type) != MHD_YES)
            || !add_headers(response, headers, header_count))) {
        MHD_destroy_response(response);
        response = NULL;
    }
    return answer(request, status, response);
}

/* ---- streams ---- */

static void stream_wake(struct http_stream *stream)
{
    if (stream->suspended && stream->connection) {
        stream->suspended = false;
        MHD_resume_connection(stream->connection);
    }
}

/* MHD wants more of the body: hand it what is buffered, or park the connection until there is some. */
static ssize_t stream_read(void *closure, uint64_t position, char *out, size_t max)
{
    struct http_stream *stream = closure;
    (void)position;
    size_t available = stream->length - stream->sent;
    if (stream->client_gone)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (available == 0) {
        if (stream->ended || !stream->connection)
            return stream->ended ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
        /* Returning 0 alone would make MHD ask again at once (a busy loop); suspended, it waits for a write. */
        stream->suspended = true;
        MHD_suspend_connection(stream->connection);
        return 0;
    }
    size_t count = available < max ? available : max;
    memcpy(out, stream->buffer + stream->sent, count);
    stream->sent += count;
    if (stream->sent == stream->length)
        stream->sent = stream->length = 0;
    return (ssize_t)count;
}

/* MHD has released the response: the stream is over, whoever ended it. */
static void stream_release(void *closure)
{
    struct http_stream *stream = closure;
    LIST_REMOVE(stream, live_link);
    if (!stream->owner_gone)
        stream->on_closed(stream, stream->data);
    free(stream->buffer);
    free(stream);
}

int http_request_reply_stream(struct http_request *request, const char *content_type, const struct http_header *headers,
                              size_t header_count, size_t max_buffered_bytes, http_stream_closed_callback on_closed,
                              void *data, struct http_stream **stream_out)
{
    if (request->answered)
        return -EALREADY;
    if (request->connection_done || request->deadline_expired) {
        answer(request, 503, NULL); /* completes the bookkeeping; nobody reads it */
        return -EPIPE;
    }
    struct http_stream *stream = calloc(1, sizeof(*stream));
    if (!stream) {
        answer(request, 500, NULL);
        return -ENOMEM;
    }
    struct http_server *server = request->server;
    *stream = (struct http_stream){ .server = server,
                                    .connection = request->connection,
                                    .max_buffered = max_buffered_bytes,
                                    .on_closed = on_closed,
                                    .data = data };
    struct MHD_Response *response =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, stream, stream_release);
    if (!response) {
        free(stream);
        answer(request, 500, NULL);
        return -ENOMEM;
    }
    LIST_INSERT_HEAD(&server->live_streams, stream, live_link); /* from here on, stream_release() frees it */
    if (MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type) != MHD_YES
        || !add_headers(response, headers, header_count)) {
        stream->owner_gone = true;
        MHD_destroy_response(response);
        answer(request, 500, NULL);
        return -ENOMEM;
    }
    request->stream = stream;
    answer(request, 200, response);
    *stream_out = stream;
    return 0;
}

int http_stream_write(struct http_stream *stream, const char *bytes, size_t length)
{
    if (stream->length - stream->sent + length > stream->max_buffered)
        return -ENOBUFS;
    if (stream->length + length > stream->capacity) {
        if (stream->sent > 0) { /* reclaim the part already sent first */
            memmove(stream->buffer, stream->buffer + stream->sent, stream->length - stream->sent);
            stream->length -= stream->sent;
            stream->sent = 0;
        }
        size_t capacity = stream->capacity ? stream->capacity : 4096;
        while (capacity < stream->length + length)
            capacity *= 2;
        if (capacity != stream->capacity) {
            char *buffer = realloc(stream->buffer, capacity);
            if (!buffer)
                return -ENOMEM;
            stream->buffer = buffer;
            stream->capacity = capacity;
        }
    }
    memcpy(stream->buffer + stream->length, bytes, length);
    stream->length += length;
    stream_wake(stream);
    return 0;
}

void http_stream_end(struct http_stream *stream)
{
    stream->owner_gone = true;
    stream->ended = true;
    stream_wake(stream);
}

int http_request_reply_json(struct http_request *request, unsigned status, cJSON *json)
{
    char *text = json ? json_print(json) : NULL;
    cJSON_Delete(json);
    struct MHD_Response *response = text ? build_response("application/json", text, strlen(text)) : NULL;
    cJSON_free(text);
    return answer(request, status, response);
}

int http_request_reply_error(struct http_request *request, unsigned status, const char *code, const char *format, ...)
{
    char formatted[8192], message[4096];
    va_list arguments;
    va_start(arguments, format);
    int length = vsnprintf(formatted, sizeof(formatted), format, arguments);
    va_end(arguments);
    /* A quoted value is cut on a character boundary; bytes that are not UTF-8 are replaced. */
    utf8_quote(message, sizeof(message), formatted,
               length < 0                           ? 0
               : (size_t)length < sizeof(formatted) ? (size_t)length
                                                    : sizeof(formatted) - 1);
    return answer(request, status, build_error_response(code, message));
}

const char *http_request_method(const struct http_request *request)
{
    return request->method;
}

const char *http_request_path(const struct http_request *request)
{
    return request->path;
}

const char *http_request_header(const struct http_request *request, const char *name)
{
    if (request->connection_done)
        return NULL;
    return MHD_lookup_connection_value(request->connection, MHD_HEADER_KIND, name);
}

const char *http_request_query(const struct http_request *request, const char *name)
{
    if (request->connection_done)
        return NULL;
    return MHD_lookup_connection_value(request->connection, MHD_GET_ARGUMENT_KIND, name);
}

bool http_request_client_connected(const struct http_request *request)
{
    if (request->connection_done || request->deadline_expired || request->answered)
        return false;
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(request->connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!info)
        return true;
    return !socket_peer_gone(info->connect_fd); /* more bytes (a pipelined request) count as still there */
}

int http_request_client_address(const struct http_request *request, char *out, size_t size)
{
    if (size > 0)
        out[0] = '\0';
    const union MHD_ConnectionInfo *info =
        request->connection_done ? NULL
                                 : MHD_get_connection_info(request->connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!info || !info->client_addr)
        return -ENOTCONN;
    const struct sockaddr *address = info->client_addr;
    const void *bytes = address->sa_family == AF_INET6
                            ? (const void *)&((const struct sockaddr_in6 *)address)->sin6_addr
                            : (const void *)&((const struct sockaddr_in *)address)->sin_addr;
    if (inet_ntop(address->sa_family, bytes, out, (socklen_t)size) == NULL) {
        if (size > 0)
            out[0] = '\0';
        return -ENOSPC;
    }
    return 0;
}

const char *http_request_body(const struct http_request *request, size_t *length)
{
    *length = request->body.length;
    return request->body.length > 0 ? request->body.data : ""; /* a reused request's buffer holds an earlier body */
}

size_t http_server_pending_requests(const struct http_server *server)
{
    return server->pending_requests;
}

/* ---- connections from the acceptor (http_accept), whose first head it has judged sound ---- */

static unsigned server_open_connections(void *data)
{
    struct http_server *server = data;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info ? info->num_connections : 0;
}

/* The socket goes to MHD, whose STARTED notice (on_connection_notify) takes its place per address. */
static bool server_hand_over(void *data, int fd, const struct sockaddr_in *address)
{
    struct http_server *server = data;
    server->handing_over = true;
    server->handover_address = address->sin_addr.s_addr;
    if (MHD_add_connection(server->daemon, fd, (const struct sockaddr *)address, sizeof(*address)) != MHD_YES)
        log_event(LOG_WARN, "http-server", "libmicrohttpd could not take a connection: %s", strerror(errno));
    bool kept = !server->handing_over; /* not taken (or untracked): the place stays the acceptor's to free */
    server->handing_over = false;
    return kept;
}

static int acceptor_open(struct http_server *server, const struct sockaddr_in *address)
{
    const struct http_server_config *config = &server->config;
    struct http_acceptor_config acceptor_config = {
        .address = *address,
        .reuse_port = config->reuse_port,
        .max_connections = config->max_connections,
        .max_connections_per_address = config->max_connections_per_address,
        .receive_deadline_seconds = config->receive_deadline_seconds,
        .max_body_bytes = config->max_body_bytes,
        .linger_bytes = (uint64_t)config->max_body_bytes * HTTP_SERVER_DRAIN_FACTOR,
    };
    struct http_acceptor_owner owner = { .open_connections = server_open_connections,
                                         .hand_over = server_hand_over,
                                         .data = server };
    return http_acceptor_open(server->loop, &acceptor_config, &owner, &server->acceptor);
}

static int64_t server_prepare(void *data)
{
    struct http_server *server = data;
    MHD_UNSIGNED_LONG_LONG timeout_ms;
    if (MHD_get_timeout(server->daemon, &timeout_ms) == MHD_YES)
        return timeout_ms > INT32_MAX ? INT32_MAX : (int64_t)timeout_ms;
    return -1;
}

static void server_check(void *data)
{
    struct http_server *server = data;
    /* MHD wants MHD_run after every wait, whatever woke us (external mode contract). */
    MHD_run(server->daemon);
}

static void on_daemon_readable(struct event_watcher *watcher, uint32_t events)
{
    (void)watcher;
    (void)events; /* server_check() runs MHD after this iteration's events */
}

static void mhd_logger(void *closure, const char *format, va_list arguments)
{
    char message[512];
    (void)closure;
    vsnprintf(message, sizeof(message), format, arguments);
    size_t length = strlen(message);
    if (length > 0 && message[length - 1] == '\n')
        message[length - 1] = '\0';
    log_event(LOG_WARN, "http-server", "%s", message);
}

int http_server_start(struct event_loop *loop, const struct http_server_config *config, const struct http_route *routes,
                      size_t route_count, void *data, struct http_server **server_out)
{
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(config->port) };
    if (inet_pton(AF_INET, config->bind_address, &address.sin_addr) != 1) {
        log_event(LOG_ERROR, "http-server", "BIND_ADDRESS '%s' is not an IPv4 address", config->bind_address);
        return -EINVAL;
    }
    struct http_server *server = calloc(1, sizeof(*server));
    if (!server)
        return -ENOMEM;
    server->loop = loop;
    server->config = *config;
    server->routes = routes;
    server->route_count = route_count;
    server->data = data;
    server->watcher.fd = -1;
    int result = acceptor_open(server, &address);
    if (result < 0) {
        free(server);
        return result;
    }
    /* Connections come from the acceptor through MHD_add_connection(), once their first head is judged. */
    server->daemon = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL,
        access_handler, server, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL, MHD_OPTION_CONNECTION_LIMIT,
        config->max_connections, MHD_OPTION_CONNECTION_TIMEOUT, config->idle_timeout_seconds,
        MHD_OPTION_NOTIFY_COMPLETED, on_request_completed, server, MHD_OPTION_NOTIFY_CONNECTION, on_connection_notify,
        server, MHD_OPTION_URI_LOG_CALLBACK, on_request_line, server, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        config->max_connections_per_address, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY_LIMIT,
        MHD_OPTION_END);
    result = -EIO;
    if (!server->daemon) {
        log_event(LOG_ERROR, "http-server", "libmicrohttpd did not start");
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    result = event_loop_watch(loop, &server->watcher, info->epoll_fd, EPOLLIN, on_daemon_readable, server);
    if (result < 0)
        goto fail;
    event_loop_timer_start(loop, &server->sweep, SWEEP_INTERVAL_MS, on_sweep, server);
    server->hook.prepare = server_prepare;
    server->hook.check = server_check;
    server->hook.data = server;
    event_loop_add_hook(loop, &server->hook);
    *server_out = server;
    return 0;

fail:
    event_loop_unwatch(loop, &server->watcher);
    if (server->daemon)
        MHD_stop_daemon(server->daemon);
    http_acceptor_destroy(server->acceptor); /* after MHD, whose last closes may linger */
    free(server);
    return result;
}

void http_server_quiesce(struct http_server *server)
{
    http_acceptor_stop_listening(server->acceptor);
}

void http_server_destroy(struct http_server *server)
{
    if (!server)
        return;
    /* MHD must not be stopped with suspended connections: end the streams and answer the requests first. */
    struct http_stream *stream;
    LIST_FOREACH(stream, &server->live_streams, live_link)
    {
        stream->ended = true;
        stream_wake(stream);
    }
    struct http_request *request;
    LIST_FOREACH(request, &server->live_requests, live_link)
    {
        if (request->suspended && !request->response) {
            request->deadline_expired = true;
            request->response_status = MHD_HTTP_SERVICE_UNAVAILABLE;
            request->response = build_error_response("ServiceUnavailable", "The server is shutting down");
        }
        event_loop_timer_stop(server->loop, &request->deadline);
        deliver_stored_response(request);
    }
    MHD_run(server->daemon);
    http_server_quiesce(server);
    event_loop_timer_stop(server->loop, &server->sweep);
    event_loop_remove_hook(server->loop, &server->hook);
    event_loop_unwatch(server->loop, &server->watcher);
    MHD_stop_daemon(server->daemon);
    http_acceptor_destroy(server->acceptor);    /* after MHD, whose last closes may linger or free places */
    while (!LIST_EMPTY(&server->connections)) { /* MHD reports every close; this only guards against one it did not */
        struct http_connection *state = LIST_FIRST(&server->connections);
        LIST_REMOVE(state, link);
        free(state);
    }
    while (!LIST_EMPTY(&server->live_requests))
        request_free(LIST_FIRST(&server->live_requests));
    while (!LIST_EMPTY(&server->idle_requests)) {
        struct http_request *idle = LIST_FIRST(&server->idle_requests);
        LIST_REMOVE(idle, live_link);
        request_destroy(idle);
    }
    free(server);
}
