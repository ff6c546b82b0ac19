/*
 * http_accept - see http_accept.h.
 */
#include "http_accept.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_head.h"
#include "json_util.h"
#include "log.h"

#define ADDRESS_BUCKETS 1024
#define ACCEPTS_PER_WAKEUP 64
#define LISTEN_PAUSE_MS 50
#define MAX_LINGERING_CLOSES 64
#define LINGER_MS 5000

struct http_acceptor {
    struct event_loop *loop;
    struct http_acceptor_config config;
    struct http_acceptor_owner owner;
    int listen_fd;                 /* -1 once stopped */
    struct event_watcher listener; /* registered unless paused (connection limit, out of descriptors) */
    struct event_timer listen_pause;
    LIST_HEAD(, screened_connection) screening; /* accepted, first request head not judged yet */
    unsigned screening_count;
    struct address_count *addresses[ADDRESS_BUCKETS]; /* open connections (screened or the owner's) per address */
    LIST_HEAD(, lingering_close) lingering;
    unsigned lingering_count;
};

/* An accepted connection whose first request head has not been judged yet. */
struct screened_connection {
    struct http_acceptor *acceptor;
    struct event_watcher watcher; /* edge-triggered: the unread head would wake a level-triggered one forever */
    struct event_timer next_peek; /* a large head growing slowly is peeked at most once per its size in KiB ms */
    struct sockaddr_in address;
    uint64_t receive_deadline_ms; /* 0: none */
    uint64_t last_peek_ms;
    size_t peeked; /* bytes the last peek saw */
    LIST_ENTRY(screened_connection) link;
};

/*
 * A lingering close: closing a socket with unread data resets it, and the
 * client, still sending, would lose the answer. So the socket is kept (a
 * duplicate of the closing descriptor), its sending side shut, and what comes
 * is read and dropped until the client closes, the body's end, or a deadline.
 */
struct lingering_close {
    struct http_acceptor *acceptor;
    struct event_watcher watcher;
    struct event_timer deadline;
    uint64_t left;
    LIST_ENTRY(lingering_close) link;
};

struct address_count {
    uint32_t address;
    unsigned count;
    struct address_count *next;
};

/* ---- lingering close ---- */

static void linger_end(struct lingering_close *linger)
{
    struct http_acceptor *acceptor = linger->acceptor;
    event_loop_unwatch(acceptor->loop, &linger->watcher);
    event_loop_timer_stop(acceptor->loop, &linger->deadline);
    close(linger->watcher.fd);
    LIST_REMOVE(linger, link);
    acceptor->lingering_count--;
    free(linger);
}

static void on_linger_deadline(struct event_timer *timer)
{
    linger_end(timer->data);
}

static void on_linger_readable(struct event_watcher *watcher, uint32_t events)
{
    struct lingering_close *linger = watcher->data;
    char discard[16384];
    (void)events;
    for (;;) {
        ssize_t count = recv(watcher->fd, discard, sizeof(discard), MSG_DONTWAIT);
        if (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (count == 0 || count < 0 || (uint64_t)count >= linger->left) {
            linger_end(linger);
            return;
        }
        linger->left -= (uint64_t)count;
    }
}

void http_acceptor_linger(struct http_acceptor *acceptor, int connection_fd, uint64_t bytes)
{
    if (acceptor->lingering_count >= MAX_LINGERING_CLOSES)
        return;
    struct lingering_close *linger = calloc(1, sizeof(*linger));
    int fd = linger ? fcntl(connection_fd, F_DUPFD_CLOEXEC, 0) : -1;
    if (fd < 0 || event_loop_watch(acceptor->loop, &linger->watcher, fd, EPOLLIN, on_linger_readable, linger) < 0) {
        if (fd >= 0)
            close(fd);
        free(linger);
        return;
    }
    shutdown(fd, SHUT_WR); /* the answer is sent: the client sees its end now */
    linger->acceptor = acceptor;
    linger->left = bytes;
    LIST_INSERT_HEAD(&acceptor->lingering, linger, link);
    acceptor->lingering_count++;
    event_loop_timer_start(acceptor->loop, &linger->deadline, LINGER_MS, on_linger_deadline, linger);
}

/* ---- open connections per client address (screened and the owner's) ---- */

static struct address_count **address_bucket(struct http_acceptor *acceptor, uint32_t address)
{
    uint32_t hash = address * 2654435761u;
    return &acceptor->addresses[(hash >> 16) % ADDRESS_BUCKETS];
}

/* Takes a place for one more connection from address; false over the limit per address or out of memory. */
static bool address_take(struct http_acceptor *acceptor, uint32_t address)
{
    struct address_count **bucket = address_bucket(acceptor, address);
    struct address_count *entry = *bucket;
    while (entry && entry->address != address)
        entry = entry->next;
    unsigned limit = acceptor->config.max_connections_per_address;
    if (entry && limit > 0 && entry->count >= limit)
        return false;
    if (!entry) {
        entry = calloc(1, sizeof(*entry));
        if (!entry)
            return false;
        *entry = (struct address_count){ .address = address, .next = *bucket };
        *bucket = entry;
    }
    entry->count++;
    return true;
}

void http_acceptor_release(struct http_acceptor *acceptor, uint32_t address)
{
    struct address_count **link = address_bucket(acceptor, address);
    while (*link && (*link)->address != address)
        link = &(*link)->next;
    struct address_count *entry = *link;
    if (!entry || --entry->count > 0)
        return;
    *link = entry->next;
    free(entry);
}

/* ---- the first request head of every connection, judged before the owner sees it ---- */

/* Ends the screening; unless the socket was handed over (with its place per address), closes it and frees its place. */
static void screen_close(struct screened_connection *screened, bool handed_over)
{
    struct http_acceptor *acceptor = screened->acceptor;
    event_loop_unwatch(acceptor->loop, &screened->watcher);
    event_loop_timer_stop(acceptor->loop, &screened->next_peek);
    if (!handed_over) {
        close(screened->watcher.fd);
        http_acceptor_release(acceptor, screened->address.sin_addr.s_addr);
    }
    LIST_REMOVE(screened, link);
    acceptor->screening_count--;
    free(screened);
}

/* Sends the refusal (Connection: close) and closes, reading what the client still sends so that it sees it. */
static void screen_refuse(struct screened_connection *screened, const struct http_head_verdict *refusal)
{
    struct http_acceptor *acceptor = screened->acceptor;
    int fd = screened->watcher.fd;
    cJSON *error = json_error("error", refusal->code, refusal->message);
    char *body = error ? json_print(error) : NULL;
    cJSON_Delete(error);
    if (body) {
        const char *reason = MHD_get_reason_phrase_for(refusal->status);
        char head[512];
        int head_length = snprintf(head, sizeof(head),
                                   "HTTP/1.1 %u %s\r\nConnection: close\r\nContent-Type: application/json\r\n"
                                   "X-Amzn-ErrorType: %s\r\nContent-Length: %zu\r\n\r\n",
                                   refusal->status, reason, refusal->code, strlen(body));
        struct iovec parts[] = { { head, (size_t)head_length }, { body, strlen(body) } };
        struct msghdr message = { .msg_iov = parts, .msg_iovlen = 2 };
        if (sendmsg(fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT) > 0)
            http_acceptor_linger(acceptor, fd, acceptor->config.linger_bytes);
        cJSON_free(body);
    }
    screen_close(screened, false);
}

/* The head is sound: the socket, unread, goes to the owner, with its place per address if the owner keeps it. */
static void screen_hand_over(struct screened_connection *screened)
{
    struct http_acceptor *acceptor = screened->acceptor;
    int fd = screened->watcher.fd;
    struct sockaddr_in address = screened->address;
    screen_close(screened, true);
    if (!acceptor->owner.hand_over(acceptor->owner.data, fd, &address))
        http_acceptor_release(acceptor, address.sin_addr.s_addr);
}

static void screen_peek(struct screened_connection *screened, bool peer_closed)
{
    struct http_acceptor *acceptor = screened->acceptor;
    char buffer[HTTP_HEAD_MAX_BYTES + 1];
    ssize_t count = recv(screened->watcher.fd, buffer, sizeof(buffer), MSG_PEEK | MSG_DONTWAIT);
    if (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        count = 0;
    else if (count <= 0)
        peer_closed = true;
    screened->peeked = count > 0 ? (size_t)count : 0;
    screened->last_peek_ms = event_loop_now_ms();
    struct http_head_verdict verdict;
    enum http_head_result result = http_head_judge(buffer, screened->peeked, acceptor->config.max_body_bytes, &verdict);
    if (result == HTTP_HEAD_ACCEPTABLE)
        screen_hand_over(screened);
    else if (result == HTTP_HEAD_REFUSED)
        screen_refuse(screened, &verdict);
    else if (peer_closed) /* gone before its head was complete */
        screen_close(screened, false);
}

static void on_screen_next_peek(struct event_timer *timer)
{
    screen_peek(timer->data, false);
}

static void on_screen_readable(struct event_watcher *watcher, uint32_t events)
{
    struct screened_connection *screened = watcher->data;
    struct event_loop *loop = screened->acceptor->loop;
    bool peer_closed = (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
    if (screened->next_peek.active && !peer_closed)
        return; /* a peek is due soon anyway */
    uint64_t spacing_ms = screened->peeked / 1024;
    uint64_t now = event_loop_now_ms();
    if (!peer_closed && spacing_ms > 0 && now < screened->last_peek_ms + spacing_ms) {
        event_loop_timer_start(loop, &screened->next_peek, screened->last_peek_ms + spacing_ms - now,
                               on_screen_next_peek, screened);
        return;
    }
    event_loop_timer_stop(loop, &screened->next_peek);
    screen_peek(screened, peer_closed);
}

/* Starts screening an accepted socket (owned; closed on failure). */
static void screen_start(struct http_acceptor *acceptor, int fd, const struct sockaddr_in *address)
{
    if (!address_take(acceptor, address->sin_addr.s_addr)) {
        close(fd); /* over the limit per address */
        return;
    }
    struct screened_connection *screened = calloc(1, sizeof(*screened));
    if (!screened
        || event_loop_watch(acceptor->loop, &screened->watcher, fd, EPOLLIN | EPOLLRDHUP | EPOLLET, on_screen_readable,
                            screened)
               < 0) {
        free(screened);
        http_acceptor_release(acceptor, address->sin_addr.s_addr);
        close(fd);
        return;
    }
    screened->acceptor = acceptor;
    screened->address = *address;
    if (acceptor->config.receive_deadline_seconds > 0)
        screened->receive_deadline_ms =
            event_loop_now_ms() + (uint64_t)acceptor->config.receive_deadline_seconds * 1000;
    LIST_INSERT_HEAD(&acceptor->screening, screened, link);
    acceptor->screening_count++;
    screen_peek(screened, false); /* with TCP_DEFER_ACCEPT the head is usually there already */
}

unsigned http_acceptor_close_late(struct http_acceptor *acceptor, uint64_t now_ms)
{
    unsigned closed = 0;
    struct screened_connection *screened = LIST_FIRST(&acceptor->screening);
    while (screened) {
        struct screened_connection *next = LIST_NEXT(screened, link);
        if (screened->receive_deadline_ms != 0 && now_ms >= screened->receive_deadline_ms) {
            screen_close(screened, false);
            closed++;
        }
        screened = next;
    }
    return closed;
}

/* ---- the listening socket and the accept loop ---- */

static void listen_resume(struct event_timer *timer);

/* Stops accepting for a moment (at the connection limit, or out of descriptors): the backlog waits. */
static void listen_pause(struct http_acceptor *acceptor)
{
    event_loop_unwatch(acceptor->loop, &acceptor->listener);
    event_loop_timer_start(acceptor->loop, &acceptor->listen_pause, LISTEN_PAUSE_MS, listen_resume, acceptor);
}

static void on_listen_readable(struct event_watcher *watcher, uint32_t events)
{
    struct http_acceptor *acceptor = watcher->data;
    (void)events;
    for (unsigned i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
        if (acceptor->listen_fd < 0)
            return;
        unsigned open = acceptor->screening_count + acceptor->owner.open_connections(acceptor->owner.data);
        if (open >= acceptor->config.max_connections) {
            listen_pause(acceptor);
            return;
        }
        struct sockaddr_in address;
        socklen_t length = sizeof(address);
        int fd = accept4(acceptor->listen_fd, (struct sockaddr *)&address, &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                log_event(LOG_WARN, "http-server", "accept: %s; pausing for %d ms", strerror(errno), LISTEN_PAUSE_MS);
                listen_pause(acceptor);
            }
            return; /* EAGAIN, or an aborted connection: the next wakeup goes on */
        }
        if (length != sizeof(address) || address.sin_family != AF_INET) {
            close(fd);
            continue;
        }
        screen_start(acceptor, fd, &address);
    }
}

static void listen_resume(struct event_timer *timer)
{
    struct http_acceptor *acceptor = timer->data;
    if (acceptor->listen_fd >= 0 && !acceptor->listener.registered
        && event_loop_watch(acceptor->loop, &acceptor->listener, acceptor->listen_fd, EPOLLIN, on_listen_readable,
                            acceptor)
               < 0)
        event_loop_timer_start(acceptor->loop, &acceptor->listen_pause, LISTEN_PAUSE_MS, listen_resume, acceptor);
}

/* The listening socket: SO_REUSEADDR (restarts while old connections sit in TIME_WAIT), TCP_DEFER_ACCEPT. */
static int listen_socket_open(const struct http_acceptor_config *config)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int on = 1, defer_seconds = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0
        || (config->reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0)
        || setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_seconds, sizeof(defer_seconds)) < 0
        || bind(fd, (const struct sockaddr *)&config->address, sizeof(config->address)) < 0
        || listen(fd, SOMAXCONN) < 0) {
        int error = -errno;
        close(fd);
        return error;
    }
    return fd;
}

int http_acceptor_open(struct event_loop *loop, const struct http_acceptor_config *config,
                       const struct http_acceptor_owner *owner, struct http_acceptor **acceptor_out)
{
    struct http_acceptor *acceptor = calloc(1, sizeof(*acceptor));
    if (!acceptor)
        return -ENOMEM;
    *acceptor = (struct http_acceptor){ .loop = loop, .config = *config, .owner = *owner };
    LIST_INIT(&acceptor->screening);
    LIST_INIT(&acceptor->lingering);
    acceptor->listen_fd = listen_socket_open(config);
    if (acceptor->listen_fd < 0) {
        char address[INET_ADDRSTRLEN] = "?";
        inet_ntop(AF_INET, &config->address.sin_addr, address, sizeof(address));
        log_event(LOG_ERROR, "http-server", "cannot listen on %s:%u (%s)", address, ntohs(config->address.sin_port),
                  strerror(-acceptor->listen_fd));
        free(acceptor);
        return -EIO;
    }
    int result =
        event_loop_watch(loop, &acceptor->listener, acceptor->listen_fd, EPOLLIN, on_listen_readable, acceptor);
    if (result < 0) {
        close(acceptor->listen_fd);
        free(acceptor);
        return result;
    }
    *acceptor_out = acceptor;
    return 0;
}

void http_acceptor_stop_listening(struct http_acceptor *acceptor)
{
    if (acceptor->listen_fd < 0)
        return;
    event_loop_unwatch(acceptor->loop, &acceptor->listener);
    event_loop_timer_stop(acceptor->loop, &acceptor->listen_pause);
    close(acceptor->listen_fd);
    acceptor->listen_fd = -1;
}

void http_acceptor_destroy(struct http_acceptor *acceptor)
{
    if (!acceptor)
        return;
    http_acceptor_stop_listening(acceptor);
    while (!LIST_EMPTY(&acceptor->screening))
        screen_close(LIST_FIRST(&acceptor->screening), false);
    while (!LIST_EMPTY(&acceptor->lingering))
        linger_end(LIST_FIRST(&acceptor->lingering));
    for (size_t i = 0; i < ADDRESS_BUCKETS; i++) {
        while (acceptor->addresses[i]) {
            struct address_count *entry = acceptor->addresses[i];
            acceptor->addresses[i] = entry->next;
            free(entry);
        }
    }
    free(acceptor);
}
