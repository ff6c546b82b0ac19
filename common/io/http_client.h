/*
 * http_client - asynchronous HTTP POSTs of JSON bodies, through curl's multi
 * socket interface on the event loop.
 *
 * At most max_in_flight transfers are handed to curl at a time; the rest wait
 * in a FIFO of at most max_queued (curl 7.88 degrades badly when thousands of
 * handles wait inside one multi handle, see c-architecture.md §3.2).
 */
#ifndef HTTP_CLIENT_H
#define HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event_loop.h"

struct http_client;

struct http_response {
    long status;      /* HTTP status, or 0 when no answer came */
    const char *body; /* NUL-terminated; valid during the callback only */
    size_t body_length;
    const char *error; /* why no answer came (status 0), else NULL */
    bool timed_out;    /* no answer came within the request's timeout (waiting in the queue included) */
};

typedef void (*http_client_callback)(const struct http_response *response, void *data);

struct http_client_config {
    unsigned max_in_flight;
    size_t max_queued;
    size_t max_response_bytes; /* longer answers fail with an error */
    /* NULL, or "Name: value" lines sent with every request, NULL-terminated (copied at create);
     * a Content-Type here replaces the default application/json. */
    const char *const *headers;
};

/* Creates a client on loop. Returns 0, or -ENOMEM / -EIO (curl setup failed, or a header list allocation). */
__attribute__((warn_unused_result)) int
http_client_create(struct event_loop *loop, const struct http_client_config *config, struct http_client **client);

/*
 * POSTs body (copied) to url with the client's headers (Content-Type: application/json by default). The whole
 * exchange, connect included, must finish within timeout_ms. Returns 0 and
 * later calls callback exactly once (never before returning); or returns
 * -EAGAIN when the queue is full, -EINVAL for a URL that is not http(s),
 * -ECANCELED after http_client_close(), or -ENOMEM, and then never calls it.
 */
__attribute__((warn_unused_result)) int http_client_post_json(struct http_client *client, const char *url,
                                                              const char *body, size_t length, uint64_t timeout_ms,
                                                              http_client_callback callback, void *data);

/*
 * Like http_client_post_json(), with one more header line ("Name: value",
 * copied) sent with this request only; NULL sends the client's headers alone.
 */
__attribute__((warn_unused_result)) int http_client_post_json_with_header(struct http_client *client, const char *url,
                                                                          const char *body, size_t length,
                                                                          const char *header, uint64_t timeout_ms,
                                                                          http_client_callback callback, void *data);

/* Transfers started or queued and not completed yet. */
size_t http_client_pending(const struct http_client *client);

/*
 * Cancels what is pending - each callback runs once with status 0 and the
 * error "cancelled: client shut down" - and refuses new requests from then
 * on (-ECANCELED). The client stays allocated until http_client_destroy().
 */
void http_client_close(struct http_client *client);

/* Closes (if not done yet) and frees the client; safe on NULL. */
void http_client_destroy(struct http_client *client);

#endif
