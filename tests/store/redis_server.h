/*
 * redis_server - the harness of the store tests: a private redis-server
 * (free port, fresh temporary directory, no persistence) that a test can
 * stop, kill, pause and restart for real, blocking hiredis look-ups for
 * assertions, and bounded runs of the event loop (every wait has a deadline,
 * so a test never hangs).
 *
 *     struct redis_server server;
 *     if (redis_server_start(&server) < 0) ...          // Bail out
 *     redisReply *reply = redis_server_command(&server, "GET %s", key);
 *     ...
 *     freeReplyObject(reply);
 *     redis_server_destroy(&server);                   // stops it, removes its directory
 *
 * The server dies with the test program (PR_SET_PDEATHSIG), so a program
 * killed by its timeout leaves no redis-server behind. Its log is
 * <dir>/redis.log; redis_server_start() prints it when the server does not
 * come up.
 */
#ifndef REDIS_SERVER_H
#define REDIS_SERVER_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "event_loop.h"
#include "redis_client.h"

/* How long starting a server (until PING answers) or stopping one may take. */
#define REDIS_SERVER_DEADLINE_MS 5000

struct redis_server {
    pid_t pid; /* 0 while not running */
    int port;
    char dir[64];          /* the temporary directory, --dir */
    char url[64];          /* redis://127.0.0.1:<port>, for redis_client */
    redisContext *context; /* the blocking connection of redis_server_command(), or NULL */
    bool cluster;          /* a Redis Cluster node (redis_server_cluster_start()) */
};

/* A TCP port on 127.0.0.1 that nobody listens on right now (the kernel's pick); 0 on failure. */
int redis_server_free_port(void);

/*
 * Starts redis-server on a free port in a fresh temporary directory and
 * waits until it answers PING. Returns 0, or a negative errno (nothing left
 * behind: the server is killed and the directory removed).
 */
int redis_server_start(struct redis_server *server) __attribute__((warn_unused_result));

/* Stops the server with SIGTERM (resuming it first if paused) and waits for it; SIGKILL after the deadline. */
void redis_server_stop(struct redis_server *server);

/* Kills the server with SIGKILL and waits for it. */
void redis_server_kill(struct redis_server *server);

/* Freezes (SIGSTOP) and thaws (SIGCONT) the server: its sockets stay open but nothing answers. */
void redis_server_pause(struct redis_server *server);
void redis_server_resume(struct redis_server *server);

/*
 * Starts the server again on the same port and directory (stopping it
 * first if it runs) and waits until it answers PING. Returns 0 or a
 * negative errno.
 */
int redis_server_restart(struct redis_server *server) __attribute__((warn_unused_result));

/* Stops the server, closes the blocking connection and removes the directory. Safe on a zeroed server. */
void redis_server_destroy(struct redis_server *server);

/*
 * Runs a command on a blocking hiredis connection (opened on first use and
 * again after a restart; 2 s timeouts), in hiredis's redisCommand() format.
 * Returns the reply, which the caller frees with freeReplyObject(), or NULL
 * when the server did not answer.
 */
redisReply *redis_server_command(struct redis_server *server, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Runs a command whose reply is an integer and returns it; REDIS_SERVER_NO_INTEGER for any other reply. */
#define REDIS_SERVER_NO_INTEGER (-0x7fffffffffffffffLL)
long long redis_server_integer(struct redis_server *server, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Runs a command whose reply is a string and returns a copy (the caller frees it); NULL for any other reply. */
char *redis_server_string(struct redis_server *server, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Like redis_server_command() with argc binary-safe arguments (lengths NULL: NUL-terminated). */
redisReply *redis_server_command_argv(struct redis_server *server, int argc, const char **argv, const size_t *lengths);

/* FLUSHALL and SCRIPT FLUSH: a clean server for the next test. Returns 0 or -EIO. */
int redis_server_flush(struct redis_server *server) __attribute__((warn_unused_result));

/* For tests/unit/test.h programs: RUN(fn) on an empty Redis (FLUSHALL, SCRIPT FLUSH). */
#define REDIS_SERVER_RUN_FLUSHED(server, fn)                 \
    do {                                                     \
        if (redis_server_flush(server) < 0)                  \
            printf("# cannot flush Redis before %s\n", #fn); \
        RUN(fn);                                             \
    } while (0)

/*
 * Runs the loop until done(data) is true or timeout_ms have passed.
 * Returns whether done(data) became true.
 */
bool redis_server_run_until(struct event_loop *loop, bool (*done)(void *data), void *data, uint64_t timeout_ms);

/* Runs the loop until *flag is true or timeout_ms have passed; returns *flag. */
bool redis_server_run_until_flag(struct event_loop *loop, const bool *flag, uint64_t timeout_ms);

/* Runs the loop for duration_ms (to let things that must not happen have their chance). */
void redis_server_run_for(struct event_loop *loop, uint64_t duration_ms);

/*
 * The default bound of a test client's commands awaiting replies. The
 * engine's timer claims send one command per execution shard at once (up to
 * EXECUTION_STORE_MAX_SHARDS, 128 by default): a smaller bound would refuse
 * the commands a test sends while a round of claims waits for its replies.
 */
#define REDIS_SERVER_MAX_PENDING 4096

/*
 * Creates a redis_client on the server (command_timeout_ms and max_pending
 * as given; 0: 1000 ms and REDIS_SERVER_MAX_PENDING) and runs the loop until it is connected and
 * has nothing pending (its scripts loaded). Returns 0, -ETIMEDOUT, or what
 * redis_client_create() returned; on failure nothing is left allocated.
 */
int redis_server_client(struct redis_server *server, struct event_loop *loop, uint64_t command_timeout_ms,
                        size_t max_pending, struct redis_client **client) __attribute__((warn_unused_result));

/*
 * The usual start of a test program: starts server, creates *loop and a
 * client on it (command timeout 1 s), then runs init(data) when given (the
 * module's own set-up, which may use *loop and *client; 0 or a negative
 * errno) and waits until the client has nothing pending. Returns 0, or -1
 * after printing "Bail out! <why>" with everything undone but what init made.
 */
__attribute__((warn_unused_result)) int redis_server_open(struct redis_server *server, struct event_loop **loop,
                                                          struct redis_client **client, int (*init)(void *data),
                                                          void *data);

/* Undoes redis_server_open(): the client, then the loop, then the server. Safe on NULLs. */
void redis_server_close(struct redis_server *server, struct event_loop *loop, struct redis_client *client);

/* Runs the loop until client is connected with nothing pending. Returns whether it is, within timeout_ms. */
bool redis_server_client_ready(struct event_loop *loop, struct redis_client *client, uint64_t timeout_ms);

/*
 * What a redis_client callback received, kept past the callback for
 * assertions: give redis_server_capture and a zeroed capture to a command.
 */
struct redis_server_reply {
    bool done; /* the callback ran */
    int calls; /* how many times it ran (a contract says once) */
    bool null; /* no reply: lost connection, deadline, close */
    int type;  /* REDIS_REPLY_* */
    long long integer;
    char str[1024]; /* a string, status or error reply (truncated), NUL-terminated */
    size_t len;     /* its full length */
    uint64_t at_ms; /* event_loop_now_ms() when it came */
};

/* A redis_client_callback that fills the struct redis_server_reply given as data. */
void redis_server_capture(redisReply *reply, void *data);

/* ---- a Redis Cluster ---- */

#define REDIS_SERVER_CLUSTER_MAX_NODES 8
/* Its nodes' --cluster-node-timeout: a master silent this long counts as failing. */
#define REDIS_SERVER_CLUSTER_NODE_TIMEOUT_MS 500

/*
 * A Redis Cluster of cluster-enabled redis-servers on free ports: nodes[0..masters-1] are masters with the
 * 16384 slots split evenly in that order, nodes[masters + i] a replica of nodes[i], then the masters added
 * later (without slots). Full coverage is not required (cluster-require-full-coverage no): the slots of live
 * masters stay served when one is lost.
 */
struct redis_server_cluster {
    struct redis_server nodes[REDIS_SERVER_CLUSTER_MAX_NODES];
    char ids[REDIS_SERVER_CLUSTER_MAX_NODES][48]; /* CLUSTER MYID of each */
    int masters;                                  /* started with slots */
    int replicas;                                 /* started */
    int count;                                    /* all nodes */
    char url[512];                                /* redis://<every master>, the seeds of a redis_client */
};

/*
 * Starts masters masters (1..) and replicas replicas (0..masters) as above: slots assigned with
 * CLUSTER ADDSLOTSRANGE, nodes joined with CLUSTER MEET, replicas attached with CLUSTER REPLICATE; waits
 * until every node sees the cluster ok and each replica is in sync. Returns 0, or a negative errno with
 * nothing left behind (every process killed, every directory removed).
 */
__attribute__((warn_unused_result)) int redis_server_cluster_start(struct redis_server_cluster *cluster, int masters,
                                                                   int replicas);

/*
 * Adds count masters without slots (CLUSTER MEET) and waits until every node sees them and the cluster ok.
 * Returns 0 or a negative errno (the nodes started stay in the cluster, for redis_server_cluster_destroy()).
 */
__attribute__((warn_unused_result)) int redis_server_cluster_add_masters(struct redis_server_cluster *cluster,
                                                                         int count);

/* Kills and removes every node. Safe on a zeroed cluster. */
void redis_server_cluster_destroy(struct redis_server_cluster *cluster);

#endif
