/*
 * redis_connection - one hiredis asynchronous connection to one Redis node on
 * the event loop, kept alive: it reconnects with exponential backoff and
 * jitter, bounds the commands waiting for replies, and gives every command a
 * deadline (hiredis 0.14 has no timeouts of its own: a watchdog drops a
 * connection whose oldest command has waited too long, which answers every
 * pending command with "no reply" and starts a reconnect).
 *
 * While disconnected, commands are refused at once (-ENOTCONN) so that a
 * server can answer 503 instead of hanging. A connection can instead be a
 * subscriber of Pub/Sub channels (redis_connection_subscribe()).
 *
 * Lua scripts are registered once and loaded on every (re)connection;
 * redis_connection_eval() uses EVALSHA and falls back to EVAL when the server
 * answers NOSCRIPT (after a restart or SCRIPT FLUSH).
 *
 * This is the layer under redis_client, which picks the connection (the one
 * node of a plain Redis, or the node of a command's slot in a cluster);
 * servers use redis_client.
 */
#ifndef REDIS_CONNECTION_H
#define REDIS_CONNECTION_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event_loop.h"

struct redis_connection;

/*
 * reply is owned by the client and valid during the callback only. It is
 * NULL when no reply came: the connection was lost, the deadline passed or
 * the client is being destroyed. An error reply has type REDIS_REPLY_ERROR.
 */
typedef void (*redis_connection_callback)(redisReply *reply, void *data);

/* A message published on one of a subscriber's channels; both strings are valid during the callback only. */
typedef void (*redis_connection_message_callback)(const char *channel, const char *message, size_t length, void *data);

/* Most channels one subscriber listens to. */
#define REDIS_CONNECTION_MAX_CHANNELS 8

struct redis_connection_config {
    const char *host; /* a name, an IPv4 or an IPv6 address (no brackets); copied */
    int port;
    const char *password; /* NULL: no AUTH; else password_length bytes (copied) */
    size_t password_length;
    const char *database;        /* NULL or "": no SELECT; decimal digits (copied) */
    const char *name;            /* NULL, or the connection's CLIENT SETNAME (no spaces; copied), for CLIENT LIST */
    uint64_t command_timeout_ms; /* also bounds connecting */
    size_t max_pending;          /* commands awaiting replies; more get -EAGAIN */
};

struct redis_script {
    const char *name;   /* for logs */
    const char *source; /* Lua; must stay valid while registered */
    char sha1[41];      /* filled in by SCRIPT LOAD */
    bool durable;       /* a commit that matters: redis_client waits for REDIS_WAIT_REPLICAS replicas after it */
};

/*
 * Starts connecting to config's node. A host name is resolved again before
 * every connection attempt, without blocking (host_lookup), so a name that
 * does not resolve yet or that moves to another address is retried like a
 * Redis that is down. Returns 0, -EINVAL for an empty or too long host or a
 * port outside 1..65535, or -ENOMEM.
 */
__attribute__((warn_unused_result)) int redis_connection_create(struct event_loop *loop,
                                                                const struct redis_connection_config *config,
                                                                struct redis_connection **client);

/*
 * Registers on_change, called on the loop each time the connection comes up or goes down. A subscriber's comes
 * up once Redis has confirmed all its channels (redis_connection_listening()), so that a catch-up made then
 * misses nothing published after it.
 */
void redis_connection_on_change(struct redis_connection *client, void (*on_change)(bool connected, void *data),
                                void *data);

bool redis_connection_connected(const struct redis_connection *client);

/* True while a subscriber's SUBSCRIBE is confirmed for every channel (false for a connection that is not one). */
bool redis_connection_listening(const struct redis_connection *client);

/* How long after Redis refused a command for maxmemory (an "OOM ..." error reply) it counts as out of memory. */
#define REDIS_CONNECTION_OUT_OF_MEMORY_MS 10000

/*
 * True when Redis answered a command with an OOM error (used memory above
 * maxmemory) within the last REDIS_CONNECTION_OUT_OF_MEMORY_MS: a failure now is
 * most likely that. Each such reply is logged as redis-out-of-memory (at most
 * one line a second).
 */
bool redis_connection_out_of_memory(const struct redis_connection *client);

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
int redis_connection_reply_status(const redisReply *reply);

/*
 * Registers count scripts (each loaded on every connection). The scripts
 * must outlive the client. Returns 0, -ENOSPC past the client's limit of
 * scripts, or what loading one at once (when connected) returned.
 */
__attribute__((warn_unused_result)) int redis_connection_add_scripts(struct redis_connection *client,
                                                                     struct redis_script *const *scripts, size_t count);

/*
 * Sends one command given as argc arguments (binary-safe, lengths given).
 * Returns 0 and later calls callback exactly once; or -ENOTCONN (not
 * connected), -EAGAIN (too many pending) or -ENOMEM, and never calls it.
 */
__attribute__((warn_unused_result)) int redis_connection_command(struct redis_connection *client,
                                                                 redis_connection_callback callback, void *data,
                                                                 int argc, const char **argv, const size_t *lengths);

/* Like redis_connection_command() with NUL-terminated arguments. */
/* Most NUL-terminated arguments the _strings variants (here and in redis_client) take. */
#define REDIS_CONNECTION_MAX_STRINGS 32

/*
 * Fills lengths with the lengths of argc NUL-terminated arguments, for the _strings variants. Returns 0, or
 * -EINVAL for more than REDIS_CONNECTION_MAX_STRINGS.
 */
__attribute__((warn_unused_result)) int
redis_connection_measure_arguments(int argc, const char **argv, size_t lengths[REDIS_CONNECTION_MAX_STRINGS]);

__attribute__((warn_unused_result)) int redis_connection_command_strings(struct redis_connection *client,
                                                                         redis_connection_callback callback, void *data,
                                                                         int argc, const char **argv);

/*
 * Runs a registered script with key_count keys followed by the other
 * arguments (argc in all). Same contract as redis_connection_command().
 */
__attribute__((warn_unused_result)) int
redis_connection_eval(struct redis_connection *client, struct redis_script *script, redis_connection_callback callback,
                      void *data, int key_count, int argc, const char **argv, const size_t *lengths);

/* Like redis_connection_eval() with NUL-terminated arguments (at most 32). */
__attribute__((warn_unused_result)) int redis_connection_eval_strings(struct redis_connection *client,
                                                                      struct redis_script *script,
                                                                      redis_connection_callback callback, void *data,
                                                                      int key_count, int argc, const char **argv);

/*
 * Makes client a subscriber of channels (copied): on_message runs for each
 * message published on one of them. The client subscribes again after each
 * reconnect (messages published while it was disconnected are lost, as with
 * any Redis subscriber: redis_connection_on_change() tells when to catch up)
 * and from the SUBSCRIBE on refuses other commands (-EBUSY). Returns 0,
 * -EBUSY when it already subscribes or has commands pending, -EINVAL for
 * no channel or more than REDIS_CONNECTION_MAX_CHANNELS, or -ENOMEM.
 */
__attribute__((warn_unused_result)) int redis_connection_subscribe(struct redis_connection *client,
                                                                   const char *const *channels, size_t channel_count,
                                                                   redis_connection_message_callback on_message,
                                                                   void *data);

/* The node's host as configured and its port. */
const char *redis_connection_host(const struct redis_connection *connection);
int redis_connection_port(const struct redis_connection *connection);

/* True once the connection has been up at least once (a node that answered before, not one still being found). */
bool redis_connection_ever_connected(const struct redis_connection *connection);

/* Commands sent and not answered yet. */
size_t redis_connection_pending(const struct redis_connection *client);

/*
 * Closes the connection for good: every pending callback runs with NULL and
 * new commands are refused (-ENOTCONN). The client stays allocated until
 * redis_connection_destroy().
 */
void redis_connection_close(struct redis_connection *client);

/* Closes (if not done yet) and frees the client; safe on NULL. */
void redis_connection_destroy(struct redis_connection *client);

#endif
