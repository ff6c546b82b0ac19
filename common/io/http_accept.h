/*
 * http_accept - the HTTP server's sockets while libmicrohttpd does not own
 * them: the listening socket and its accept loop, the bounds on open
 * connections (in all, and per client address), the wait for each new
 * connection's first request head, and the lingering close of a connection
 * whose request was refused.
 *
 * libmicrohttpd 0.9.75 answers some malformed heads itself, badly (an HTML
 * page, a status line sent twice, or no answer at all). So each accepted
 * socket is watched until its first request head has arrived, peeked at
 * (never read) and judged by http_head: a refused head is answered here with
 * the JSON error {"error","message"} and Connection: close; a sound one's
 * socket, unread, is handed to the owner (http_server, which gives it to
 * libmicrohttpd). A head not complete within the receive deadline is closed
 * by http_acceptor_close_late().
 *
 * Ownership: the acceptor owns the listening socket, the sockets waiting for
 * their head and the lingering ones; a handed-over socket is the owner's. The
 * place a connection holds in the count per address passes with it when the
 * owner says so, and the owner gives it back with http_acceptor_release().
 */
#ifndef HTTP_ACCEPT_H
#define HTTP_ACCEPT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event_loop.h"

struct http_acceptor;

struct http_acceptor_config {
    struct sockaddr_in address;           /* to listen on */
    bool reuse_port;                      /* SO_REUSEPORT */
    unsigned max_connections;             /* waiting + the owner's: at the limit, accepting pauses */
    unsigned max_connections_per_address; /* 0: no limit */
    unsigned receive_deadline_seconds;    /* for the first head; 0: none */
    size_t max_body_bytes;                /* a larger Content-Length is refused (413) */
    uint64_t linger_bytes;                /* read and dropped after a refusal at most */
};

/* What the acceptor asks of its owner. */
struct http_acceptor_owner {
    /* How many connections the owner holds open now. */
    unsigned (*open_connections)(void *data);
    /*
     * Takes fd (the owner's from now on: it closes it if it cannot use it),
     * whose first request head is sound and unread. Returns whether the owner
     * keeps the connection's place per address, to give back with
     * http_acceptor_release() when it closes.
     */
    bool (*hand_over)(void *data, int fd, const struct sockaddr_in *address);
    void *data;
};

/*
 * Listens on config->address (SO_REUSEADDR, TCP_DEFER_ACCEPT) and accepts on
 * loop. owner is copied. Returns 0 and the acceptor, or a negative code (-EIO
 * with a log line when it cannot listen) and nothing is left open.
 */
__attribute__((warn_unused_result)) int http_acceptor_open(struct event_loop *loop,
                                                           const struct http_acceptor_config *config,
                                                           const struct http_acceptor_owner *owner,
                                                           struct http_acceptor **acceptor);

/* Closes the listening socket (once); connections already accepted carry on. */
void http_acceptor_stop_listening(struct http_acceptor *acceptor);

/* Closes the connections whose first head has not arrived by its deadline; returns how many. */
unsigned http_acceptor_close_late(struct http_acceptor *acceptor, uint64_t now_ms);

/* A connection the owner kept the place of (see hand_over) has closed: its place per address is free. */
void http_acceptor_release(struct http_acceptor *acceptor, uint32_t address);

/*
 * The owner is about to close fd, a connection whose request was refused
 * with bytes of its body unread: a duplicate of fd is kept, its sending side
 * shut, and up to bytes are read and dropped for a few seconds, so that the
 * client, still sending, sees the answer rather than a reset. Best effort:
 * nothing happens when out of memory or at the bound on lingering sockets.
 */
void http_acceptor_linger(struct http_acceptor *acceptor, int fd, uint64_t bytes);

/*
 * Closes every socket the acceptor owns and frees it. Call it after the
 * owner has closed its connections (which may still linger or release).
 */
void http_acceptor_destroy(struct http_acceptor *acceptor);

#endif
