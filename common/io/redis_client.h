/*
 * redis_client - one hiredis asynchronous connection on the event loop,
 * kept alive: it reconnects with exponential backoff and jitter, bounds the
 * commands waiting for replies, and gives every command a deadline (hiredis
 * 0.14 has no timeouts of its own: a watchdog drops a connection whose
 * oldest command has waited too long, which answers every pending command
 * with "no reply" and starts a reconnect).
 *
 * While disconnected, commands are refused at once (-ENOTCONN) so that a
 * server can answer 503 instead of hanging. A client can instead be a
 * subscriber of Pub/Sub channels (redis_client_subscribe()).
 *
 * Lua scripts are registered once and loaded on every (re)connection;
 * redis_client_eval() uses EVALSHA and falls back to EVAL when the server
 * answers NOSCRIPT (after a restart or SCRIPT FLUSH).
 */
#ifndef REDIS_CLIENT_H
#define REDIS_CLIENT_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event_loop.h"

struct redis_client;

/*
 * reply is owned by the client and valid during the callback only. It is
 * NULL when no reply came: the connection was lost, the deadline passed or
 * the client is being destroyed. An error reply has type REDIS_REPLY_ERROR.
 */
typedef void (*redis_client_callback)(redisReply *reply, void *data);

/* A message published on one of a subscriber's channels; both strings are valid during the callback only. */
typedef void (*redis_client_message_callback)(const char *channel, const char *message, size_t length, void *data);

/* Most channels one subscriber listens to. */
#define REDIS_CLIENT_MAX_CHANNELS 8

struct redis_client_config {
    const char *url;             /* redis://[:password@]host[:port][/db]; host: a name, IPv4 or [IPv6] */
    uint64_t command_timeout_ms; /* also bounds connecting */
    size_t max_pending;          /* commands awaiting replies; more get -EAGAIN */
    const char *name;            /* NULL, or the connection's CLIENT SETNAME (no spaces; copied), for CLIENT LIST */
};

struct redis_script {
    const char *name;   /* for logs */
    const char *source; /* Lua; must stay valid while registered */
    char sha1[41];      /* filled in by SCRIPT LOAD */
};

/*
 * Parses the URL and starts connecting. A host name is resolved again
 * before every connection attempt, without blocking (host_lookup), so a name
 * that does not resolve yet or that moves to another address is retried
 * like a Redis that is down. Returns 0, -EINVAL for a bad URL (logged), or
 * -ENOMEM.
 */
__attribute__((warn_unused_result)) int
redis_client_create(struct event_loop *loop, const struct redis_client_config *config, struct redis_client **client);

/* Registers on_change, called on the loop each time the connection comes up or goes down. */
void redis_client_on_change(struct redis_client *client, void (*on_change)(bool connected, void *data), void *data);

bool redis_client_connected(const struct redis_client *client);

/* How long after Redis refused a command for maxmemory (an "OOM ..." error reply) it counts as out of memory. */
#define REDIS_CLIENT_OUT_OF_MEMORY_MS 10000

/*
 * True when Redis answered a command with an OOM error (used memory above
 * maxmemory) within the last REDIS_CLIENT_OUT_OF_MEMORY_MS: a failure now is
 * most likely that. Each such reply is logged as redis-out-of-memory (at most
 * one line a second).
 */
bool redis_client_out_of_memory(const struct redis_client *client);

/*
 * What a reply means for the command that got it, as a code every caller
 * can pass on:
 *   0        a reply that is not an error (its type is the caller's to check);
 *   -EIO     no reply (connection lost, deadline passed), or an error that
 *            says Redis cannot take commands now and may later: out of memory
 *            (OOM, maxmemory), BUSY (a script runs), LOADING, TRYAGAIN,
 *            CLUSTERDOWN, MASTERDOWN, READONLY, MOVED/ASK, NOSCRIPT: retry;
 *   -EPROTO  any other error, e.g. WRONGTYPE or a Lua runtime error such as
 *            cjson's "Cannot serialise/decode ... excessively nested": the
 *            same command fails the same way every time, so it must not be
 *            retried; the caller gives up on it.
 * The error's text is reply->str (logged by the caller).
 */
int redis_client_reply_status(const redisReply *reply);

/*
 * Registers count scripts (each loaded on every connection). The scripts
 * must outlive the client. Returns 0, -ENOSPC past the client's limit of
 * scripts, or what loading one at once (when connected) returned.
 */
__attribute__((warn_unused_result)) int redis_client_add_scripts(struct redis_client *client,
                                                                 struct redis_script *const *scripts, size_t count);

/*
 * Sends one command given as argc arguments (binary-safe, lengths given).
 * Returns 0 and later calls callback exactly once; or -ENOTCONN (not
 * connected), -EAGAIN (too many pending) or -ENOMEM, and never calls it.
 */
__attribute__((warn_unused_result)) int redis_client_command(struct redis_client *client,
                                                             redis_client_callback callback, void *data, int argc,
                                                             const char **argv, const size_t *lengths);

/* Like redis_client_command() with NUL-terminated arguments. */
__attribute__((warn_unused_result)) int redis_client_command_strings(struct redis_client *client,
                                                                     redis_client_callback callback, void *data,
                                                                     int argc, const char **argv);

/*
 * Runs a registered script with key_count keys followed by the other
 * arguments (argc in all). Same contract as redis_client_command().
 */
__attribute__((warn_unused_result)) int redis_client_eval(struct redis_client *client, struct redis_script *script,
                                                          redis_client_callback callback, void *data, int key_count,
                                                          int argc, const char **argv, const size_t *lengths);

/* Like redis_client_eval() with NUL-terminated arguments (at most 32). */
__attribute__((warn_unused_result)) int redis_client_eval_strings(struct redis_client *client,
                                                                  struct redis_script *script,
                                                                  redis_client_callback callback, void *data,
                                                                  int key_count, int argc, const char **argv);

/*
 * Makes client a subscriber of channels (copied): on_message runs for each
 * message published on one of them. The client subscribes again after each
 * reconnect (messages published while it was disconnected are lost, as with
 * any Redis subscriber: redis_client_on_change() tells when to catch up)
 * and from the SUBSCRIBE on refuses other commands (-EBUSY). Returns 0,
 * -EBUSY when it already subscribes or has commands pending, -EINVAL for
 * no channel or more than REDIS_CLIENT_MAX_CHANNELS, or -ENOMEM.
 */
__attribute__((warn_unused_result)) int redis_client_subscribe(struct redis_client *client, const char *const *channels,
                                                               size_t channel_count,
                                                               redis_client_message_callback on_message, void *data);

/* Commands sent and not answered yet. */
size_t redis_client_pending(const struct redis_client *client);

/*
 * Closes the connection for good: every pending callback runs with NULL and
 * new commands are refused (-ENOTCONN). The client stays allocated until
 * redis_client_destroy().
 */
void redis_client_close(struct redis_client *client);

/* Closes (if not done yet) and frees the client; safe on NULL. */
void redis_client_destroy(struct redis_client *client);

#endif
