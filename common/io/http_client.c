/*
 * http_client - see http_client.h.
 *
 * curl tells us which sockets to watch (on_curl_socket) and when to call it
 * back without activity (on_curl_timer, which only arms a loop timer: curl
 * must not be re-entered from its own callbacks). Each readiness or timer
 * event goes to curl_multi_socket_action(), after which finished transfers
 * are collected with curl_multi_info_read().
 */
#include "http_client.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/queue.h>

#include "byte_buffer.h"

/* Idle transfers kept, with their easy handle and buffers, for the next requests (instead of curl_easy_init). */
#define IDLE_TRANSFERS_MAX 64

struct http_client {
    struct event_loop *loop;
    struct http_client_config config;
    CURLM *multi;
    struct event_timer curl_timer;
    struct curl_slist *headers;
    unsigned in_flight;
    size_t queued;
    TAILQ_HEAD(, transfer) queue;  /* waiting for a free connection, oldest first */
    TAILQ_HEAD(, transfer) active; /* transfers handed to curl */
    TAILQ_HEAD(, transfer) idle;   /* finished transfers kept for reuse, at most IDLE_TRANSFERS_MAX */
    size_t idle_count;
    size_t header_count; /* lines in headers */
    bool closed;
};

struct transfer {
    struct http_client *client;
    CURL *easy;
    http_client_callback callback;
    void *data;
    struct byte_buffer response;
    bool response_too_large;
    char error[CURL_ERROR_SIZE];
    struct byte_buffer body; /* the request body (copied), which curl sends from here */
    /* This request's header lines: the client's lines (not copied) and then its own line, in own_line. */
    struct curl_slist *header_lines; /* header_count + 1 nodes; only used with a header of its own */
    struct byte_buffer own_line;
    bool own_header;            /* sends header_lines rather than the client's headers */
    uint64_t deadline_ms;       /* event_loop_now_ms() by which the answer is due, queue time included */
    TAILQ_ENTRY(transfer) link; /* in the queue, in the active list, or in the idle list */
};

struct curl_socket_watch {
    struct event_watcher watcher;
    struct http_client *client;
};

static void transfer_free(struct transfer *transfer)
{
    if (!transfer)
        return;
    if (transfer->easy)
        curl_easy_cleanup(transfer->easy);
    byte_buffer_free(&transfer->response);
    byte_buffer_free(&transfer->body);
    free(transfer->header_lines);
    byte_buffer_free(&transfer->own_line);
    free(transfer);
}

/* A finished transfer goes to the idle list for reuse (its easy handle still holds its options), or is freed. */
static void transfer_release(struct transfer *transfer)
{
    struct http_client *client = transfer->client;
    if (client->closed || client->idle_count >= IDLE_TRANSFERS_MAX) {
        transfer_free(transfer);
        return;
    }
    byte_buffer_reset(&transfer->response, BYTE_BUFFER_KEEP_MAX);
    byte_buffer_reset(&transfer->body, BYTE_BUFFER_KEEP_MAX);
    byte_buffer_reset(&transfer->own_line, BYTE_BUFFER_KEEP_MAX);
    TAILQ_INSERT_HEAD(&client->idle, transfer, link);
    client->idle_count++;
}

/* An idle transfer made ready for a new request (its easy handle reset), or a new one; NULL when out of memory. */
static struct transfer *transfer_obtain(struct http_client *client)
{
    struct transfer *transfer = TAILQ_FIRST(&client->idle);
    if (transfer) {
        TAILQ_REMOVE(&client->idle, transfer, link);
        client->idle_count--;
        curl_easy_reset(transfer->easy);
        transfer->response_too_large = false;
        transfer->error[0] = '\0';
        transfer->own_header = false;
        return transfer;
    }
    transfer = calloc(1, sizeof(*transfer));
    if (!transfer)
        return NULL;
    transfer->client = client;
    transfer->easy = curl_easy_init();
    if (!transfer->easy) {
        free(transfer);
        return NULL;
    }
    return transfer;
}

static size_t on_response_data(char *data, size_t size, size_t count, void *closure)
{
    struct transfer *transfer = closure;
    size_t length = size * count;
    if (transfer->response.length + length > transfer->client->config.max_response_bytes) {
        transfer->response_too_large = true;
        return 0; /* curl aborts with CURLE_WRITE_ERROR */
    }
    return byte_buffer_append(&transfer->response, data, length) == 0 ? length : 0;
}

static void complete(struct transfer *transfer, long status, const char *error, bool timed_out)
{
    struct http_response response = {
        .status = status,
        .body = transfer->response.length ? transfer->response.data : "", /* a reused buffer holds an earlier one */
        .body_length = transfer->response.length,
        .error = error,
        .timed_out = timed_out,
    };
    transfer->callback(&response, transfer->data);
    transfer_release(transfer);
}

/*
 * Gives curl what is left of the transfer's time: a transfer's timeout
 * counts from http_client_post_json(), so time spent waiting for a slot is
 * not added on top. Returns false when nothing is left.
 */
static bool set_remaining_time(struct transfer *transfer)
{
    uint64_t now = event_loop_now_ms();
    if (now >= transfer->deadline_ms)
        return false;
    long remaining = (long)(transfer->deadline_ms - now);
    return curl_easy_setopt(transfer->easy, CURLOPT_TIMEOUT_MS, remaining) == CURLE_OK
           && curl_easy_setopt(transfer->easy, CURLOPT_CONNECTTIMEOUT_MS, remaining < 5000 ? remaining : 5000L)
                  == CURLE_OK;
}

static void start_queued(struct http_client *client)
{
    while (!TAILQ_EMPTY(&client->queue) && client->in_flight < client->config.max_in_flight) {
        struct transfer *transfer = TAILQ_FIRST(&client->queue);
        TAILQ_REMOVE(&client->queue, transfer, link);
        client->queued--;
        if (!set_remaining_time(transfer)) {
            complete(transfer, 0, "Operation timed out while waiting for a free connection", true);
            continue;
        }
        TAILQ_INSERT_HEAD(&client->active, transfer, link);
        client->in_flight++;
        if (curl_multi_add_handle(client->multi, transfer->easy) != CURLM_OK) {
            client->in_flight--;
            TAILQ_REMOVE(&client->active, transfer, link);
            complete(transfer, 0, "cannot start the transfer", false);
        }
    }
}

static void collect_finished(struct http_client *client)
{
    CURLMsg *message;
    int remaining;
    while ((message = curl_multi_info_read(client->multi, &remaining))) {
        if (message->msg != CURLMSG_DONE)
            continue;
        struct transfer *transfer = NULL;
        CURL *easy = message->easy_handle;
        CURLcode result = message->data.result;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&transfer);
        curl_multi_remove_handle(client->multi, easy);
        client->in_flight--;
        TAILQ_REMOVE(&client->active, transfer, link);
        long status = 0;
        if (result == CURLE_OK)
            curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        const char *error = NULL;
        if (result != CURLE_OK)
            error = transfer->response_too_large ? "the response is too large"
                    : transfer->error[0]         ? transfer->error
                                                 : curl_easy_strerror(result);
        complete(transfer, status, error, result == CURLE_OPERATION_TIMEDOUT);
    }
    start_queued(client);
}

static void on_socket_event(struct event_watcher *watcher, uint32_t events)
{
    struct curl_socket_watch *watch = watcher->data;
    struct http_client *client = watch->client;
    int action = 0, running;
    if (events & EPOLLIN)
        action |= CURL_CSELECT_IN;
    if (events & EPOLLOUT)
        action |= CURL_CSELECT_OUT;
    if (events & (EPOLLERR | EPOLLHUP))
        action |= CURL_CSELECT_ERR;
    curl_multi_socket_action(client->multi, watcher->fd, action, &running);
    collect_finished(client);
}

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *closure, void *socket_closure)
{
    struct http_client *client = closure;
    struct curl_socket_watch *watch = socket_closure;
    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (watch) {
            event_loop_unwatch(client->loop, &watch->watcher);
            curl_multi_assign(client->multi, fd, NULL);
            free(watch);
        }
        return 0;
    }
    if (!watch) {
        watch = calloc(1, sizeof(*watch));
        if (!watch)
            return -1;
        watch->client = client;
        curl_multi_assign(client->multi, fd, watch);
    }
    uint32_t events = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        events |= EPOLLIN;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        events |= EPOLLOUT;
    return event_loop_watch(client->loop, &watch->watcher, fd, events, on_socket_event, watch) < 0 ? -1 : 0;
}

static void on_timer_due(struct event_timer *timer)
{
    struct http_client *client = timer->data;
    int running;
    curl_multi_socket_action(client->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    collect_finished(client);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *closure)
{
    struct http_client *client = closure;
    (void)multi;
    if (timeout_ms < 0) {
        event_loop_timer_stop(client->loop, &client->curl_timer);
        return 0;
    }
    event_loop_timer_start(client->loop, &client->curl_timer, (uint64_t)timeout_ms, on_timer_due, client);
    return 0;
}

/* Content-Type (unless config->headers gives one), no "Expect: 100-continue", then config->headers. */
static int append_headers(struct http_client *client)
{
    const char *const defaults[] = { "Content-Type: application/json", "Expect:" };
    const char *const *extra = client->config.headers;
    bool own_content_type = false;
    for (size_t i = 0; extra && extra[i]; i++)
        own_content_type |= strncasecmp(extra[i], "Content-Type:", 13) == 0;
    for (size_t i = own_content_type ? 1 : 0; i < 2; i++) {
        struct curl_slist *appended = curl_slist_append(client->headers, defaults[i]);
        if (!appended)
            return -ENOMEM;
        client->headers = appended;
    }
    for (size_t i = 0; extra && extra[i]; i++) {
        struct curl_slist *appended = curl_slist_append(client->headers, extra[i]);
        if (!appended)
            return -ENOMEM;
        client->headers = appended;
    }
    for (const struct curl_slist *line = client->headers; line; line = line->next)
        client->header_count++;
    return 0;
}

int http_client_create(struct event_loop *loop, const struct http_client_config *config,
                       struct http_client **client_out)
{
    struct http_client *client = calloc(1, sizeof(*client));
    if (!client)
        return -ENOMEM;
    client->loop = loop;
    client->config = *config;
    TAILQ_INIT(&client->queue);
    TAILQ_INIT(&client->active);
    TAILQ_INIT(&client->idle);
    client->multi = curl_multi_init();
    if (!client->multi || append_headers(client) < 0) {
        http_client_destroy(client);
        return -EIO;
    }
    curl_multi_setopt(client->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(client->multi, CURLMOPT_SOCKETDATA, client);
    curl_multi_setopt(client->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(client->multi, CURLMOPT_TIMERDATA, client);
    curl_multi_setopt(client->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)config->max_in_flight);
    /* Keep every idle connection for reuse: by default curl keeps 4 per transfer in progress, so after a busy
     * moment it closes most of them and the next burst pays a connect (and TIME_WAIT) for each. */
    curl_multi_setopt(client->multi, CURLMOPT_MAXCONNECTS, (long)config->max_in_flight);
    *client_out = client;
    return 0;
}

static bool is_http_url(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

/*
 * Makes the transfer send the client's header lines followed by header (one "Name: value" line, copied). The
 * list's nodes are the transfer's own and point at the client's lines: curl only reads them. Returns 0 or -ENOMEM.
 */
static int set_own_header(struct transfer *transfer, const char *header)
{
    const struct http_client *client = transfer->client;
    if (byte_buffer_set(&transfer->own_line, header, strlen(header)) < 0)
        return -ENOMEM;
    if (!transfer->header_lines) {
        transfer->header_lines = calloc(client->header_count + 1, sizeof(*transfer->header_lines));
        if (!transfer->header_lines)
            return -ENOMEM;
    }
    struct curl_slist *node = transfer->header_lines;
    for (const struct curl_slist *line = client->headers; line; line = line->next, node++)
        *node = (struct curl_slist){ .data = line->data, .next = node + 1 };
    *node = (struct curl_slist){ .data = transfer->own_line.data, .next = NULL };
    transfer->own_header = true;
    return 0;
}

static int configure_easy(struct transfer *transfer, const char *url, const char *body, size_t length)
{
    CURL *easy = transfer->easy;
    struct curl_slist *headers = transfer->own_header ? transfer->header_lines : transfer->client->headers;
    if (byte_buffer_set(&transfer->body, body, length) < 0)
        return -ENOMEM;
    bool ok = curl_easy_setopt(easy, CURLOPT_URL, url) == CURLE_OK
              && curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK
              && curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L) == CURLE_OK
              && curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers) == CURLE_OK
              && curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)length) == CURLE_OK
              && curl_easy_setopt(easy, CURLOPT_POSTFIELDS, transfer->body.data) == CURLE_OK
              && curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_response_data) == CURLE_OK
              && curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer) == CURLE_OK
              && curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer->error) == CURLE_OK
              && curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer) == CURLE_OK;
    return ok ? 0 : -ENOMEM;
}

int http_client_post_json(struct http_client *client, const char *url, const char *body, size_t length,
                          uint64_t timeout_ms, http_client_callback callback, void *data)
{
    return http_client_post_json_with_header(client, url, body, length, NULL, timeout_ms, callback, data);
}

int http_client_post_json_with_header(struct http_client *client, const char *url, const char *body, size_t length,
                                      const char *header, uint64_t timeout_ms, http_client_callback callback,
                                      void *data)
{
    if (client->closed)
        return -ECANCELED;
    if (!is_http_url(url))
        return -EINVAL;
    if (client->queued >= client->config.max_queued)
        return -EAGAIN;
    struct transfer *transfer = transfer_obtain(client);
    if (!transfer)
        return -ENOMEM;
    transfer->callback = callback;
    transfer->data = data;
    transfer->deadline_ms = event_loop_now_ms() + timeout_ms;
    if ((header && set_own_header(transfer, header) < 0) || configure_easy(transfer, url, body, length) < 0) {
        transfer_release(transfer);
        return -ENOMEM;
    }
    TAILQ_INSERT_TAIL(&client->queue, transfer, link);
    client->queued++;
    start_queued(client);
    return 0;
}

size_t http_client_pending(const struct http_client *client)
{
    return client->in_flight + client->queued;
}

void http_client_close(struct http_client *client)
{
    if (!client || client->closed)
        return;
    client->closed = true;
    while (!TAILQ_EMPTY(&client->active)) {
        struct transfer *transfer = TAILQ_FIRST(&client->active);
        TAILQ_REMOVE(&client->active, transfer, link);
        curl_multi_remove_handle(client->multi, transfer->easy);
        client->in_flight--;
        complete(transfer, 0, "cancelled: client shut down", false);
    }
    while (!TAILQ_EMPTY(&client->queue)) {
        struct transfer *transfer = TAILQ_FIRST(&client->queue);
        TAILQ_REMOVE(&client->queue, transfer, link);
        client->queued--;
        complete(transfer, 0, "cancelled: client shut down", false);
    }
    event_loop_timer_stop(client->loop, &client->curl_timer);
    while (!TAILQ_EMPTY(&client->idle)) {
        struct transfer *transfer = TAILQ_FIRST(&client->idle);
        TAILQ_REMOVE(&client->idle, transfer, link);
        client->idle_count--;
        transfer_free(transfer);
    }
}

void http_client_destroy(struct http_client *client)
{
    if (!client)
        return;
    http_client_close(client);
    if (client->multi)
        curl_multi_cleanup(client->multi);
    curl_slist_free_all(client->headers);
    free(client);
}
