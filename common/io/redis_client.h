/*
 * redis_client - what the servers talk to Redis through: one plain Redis or a
 * Redis Cluster of several nodes, behind one API.
 *
 * REDIS_URL names one node or several seed nodes
 * (redis://[:password@]host[:port][,host[:port]...][/db]). On its first
 * connection the client asks the node for CLUSTER SLOTS: a plain Redis
 * answers that cluster support is disabled, and every command then goes over
 * that one connection (redis_connection: reconnects, deadlines, scripts).
 * A cluster answers its slot map: the client keeps one connection per master
 * and sends each command to the master of its first key's slot (an EVALSHA
 * by its first key; a command without a key to the first node reached). The
 * cluster's answers are followed:
 *   MOVED        the map is updated and the command resent there (the whole
 *                map is read again soon after);
 *   ASK          ASKING then the command, once, to the importing node;
 *   TRYAGAIN     resent after a short delay, within the command's deadline;
 *   CLUSTERDOWN  passed on (the caller answers 503), the map read again.
 * A command is resent only on those answers, which say it did not run: a
 * command whose connection was lost gets no reply (NULL) as with one node.
 * While a master does not answer, the client reports down, commands for its
 * slots are refused at once (-ENOTCONN) while the others' still go out, and
 * the map is read again from any other node every
 * REDIS_CLIENT_DEGRADED_REFRESH_MS until a replica has taken over.
 *
 * A subscriber (redis_client_subscribe()) needs no map: Pub/Sub messages
 * reach every node of a cluster, so it listens on one node and moves to the
 * next seed when that node stays unreachable.
 *
 * With wait_replicas > 0, a reply to a script marked durable is passed on
 * only after WAIT confirmed that many replicas have the write (in a cluster,
 * at most as many as the slot map says its master has: none for a master
 * without replicas, which no failover can replace); a write not confirmed
 * within the command's deadline gets no reply (NULL), as a lost connection
 * does: it may or may not survive a failover.
 */
#ifndef REDIS_CLIENT_H
#define REDIS_CLIENT_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event_loop.h"
#include "redis_connection.h"

struct redis_client;

/*
 * reply is owned by the client and valid during the callback only. It is
 * NULL when no reply came: the connection was lost, the deadline passed, the
 * replicas did not confirm a durable write, or the client is being destroyed.
 * An error reply has type REDIS_REPLY_ERROR.
 */
typedef redis_connection_callback redis_client_callback;

/* A message published on one of a subscriber's channels; both strings are valid during the callback only. */
typedef redis_connection_message_callback redis_client_message_callback;

/* Most channels one subscriber listens to. */
#define REDIS_CLIENT_MAX_CHANNELS REDIS_CONNECTION_MAX_CHANNELS

/* How often the slot map is read while a master is unreachable or the cluster is down. */
#define REDIS_CLIENT_DEGRADED_REFRESH_MS 250

struct redis_client_config {
    const char *url;             /* redis://[:password@]host[:port][,host[:port]...][/db] (see redis_cluster.h) */
    uint64_t command_timeout_ms; /* also bounds connecting, redirections and waiting for replicas */
    size_t max_pending;          /* commands awaiting replies, per node; more get -EAGAIN */
    const char *name;            /* NULL, or each connection's CLIENT SETNAME (no spaces; copied), for CLIENT LIST */
    unsigned wait_replicas;      /* REDIS_WAIT_REPLICAS: replicas a durable script's write must reach; 0: none */
};

/*
 * Parses the URL and starts connecting to its first seed. A host name is
 * resolved again before every connection attempt, without blocking, so a
 * name that does not resolve yet or that moves is retried like a Redis that
 * is down. Returns 0, -EINVAL for a bad URL (logged), or -ENOMEM.
 */
__attribute__((warn_unused_result)) int
redis_client_create(struct event_loop *loop, const struct redis_client_config *config, struct redis_client **client);

/*
 * Registers on_change, called on the loop each time the client comes up or
 * goes down: up while it knows what it talks to and reaches it (a plain
 * Redis; every master of a cluster's slot map; a subscriber: its node).
 */
void redis_client_on_change(struct redis_client *client, void (*on_change)(bool connected, void *data), void *data);

bool redis_client_connected(const struct redis_client *client);

/* True once the client found a cluster (false for a plain Redis, and until it knows). */
bool redis_client_is_cluster(const struct redis_client *client);

/* How long after Redis refused a command for maxmemory (an "OOM ..." error reply) it counts as out of memory. */
#define REDIS_CLIENT_OUT_OF_MEMORY_MS REDIS_CONNECTION_OUT_OF_MEMORY_MS

/*
 * True when a node answered a command with an OOM error (used memory above
 * maxmemory) within the last REDIS_CLIENT_OUT_OF_MEMORY_MS: a failure now is
 * most likely that. Each such reply is logged as redis-out-of-memory (at most
 * one line a second per node).
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
 * Registers count scripts (each loaded on every connection, to every node).
 * The scripts must outlive the client. Returns 0, -ENOSPC past the client's
 * limit of scripts, or -ENOMEM.
 */
__attribute__((warn_unused_result)) int redis_client_add_scripts(struct redis_client *client,
                                                                 struct redis_script *const *scripts, size_t count);

/*
 * Sends one command given as argc arguments (binary-safe, lengths given); in
 * a cluster argv[1] is its key, except for commands that take none (PING,
 * INFO, CLUSTER, ...). Returns 0 and later calls callback exactly once; or
 * -ENOTCONN (not connected, or the key's master unreachable), -EAGAIN (too
 * many pending) or -ENOMEM, and never calls it.
 */
__attribute__((warn_unused_result)) int redis_client_command(struct redis_client *client,
                                                             redis_client_callback callback, void *data, int argc,
                                                             const char **argv, const size_t *lengths);

/* Like redis_client_command() with NUL-terminated arguments. */
__attribute__((warn_unused_result)) int redis_client_command_strings(struct redis_client *client,
                                                                     redis_client_callback callback, void *data,
                                                                     int argc, const char **argv);

/*
 * Like redis_client_command_strings() for a write that matters: with
 * wait_replicas, its reply is passed on only once that many replicas have
 * it (as a durable script's).
 */
__attribute__((warn_unused_result)) int redis_client_durable_command_strings(struct redis_client *client,
                                                                             redis_client_callback callback, void *data,
                                                                             int argc, const char **argv);

/*
 * Runs a registered script with key_count keys followed by the other
 * arguments (argc in all); in a cluster it goes to its first key's master.
 * Same contract as redis_client_command().
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
 * and from the SUBSCRIBE on refuses other commands (-EBUSY). Call it right
 * after redis_client_create(). Returns 0, -EBUSY when it already subscribes
 * or has sent commands, -EINVAL for no channel or more than
 * REDIS_CLIENT_MAX_CHANNELS, or -ENOMEM.
 */
__attribute__((warn_unused_result)) int redis_client_subscribe(struct redis_client *client, const char *const *channels,
                                                               size_t channel_count,
                                                               redis_client_message_callback on_message, void *data);

/* Commands sent and not answered yet (all nodes). */
size_t redis_client_pending(const struct redis_client *client);

/*
 * Closes every connection for good: every pending callback runs with NULL
 * and new commands are refused (-ENOTCONN). The client stays allocated until
 * redis_client_destroy().
 */
void redis_client_close(struct redis_client *client);

/* Closes (if not done yet) and frees the client; safe on NULL. */
void redis_client_destroy(struct redis_client *client);

#endif
