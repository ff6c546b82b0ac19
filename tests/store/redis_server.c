/* redis_server - see redis_server.h. */
#include "redis_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "redis_cluster.h"

#define POLL_STEP_MS 10
#define START_ATTEMPTS 3
#define STR_(x) #x
#define STR(x) STR_(x)
#define CLUSTER_NODE_TIMEOUT STR(REDIS_SERVER_CLUSTER_NODE_TIMEOUT_MS)
/* How long a new cluster may take to agree on itself (a fresh master says "fail" for about 2 s). */
#define CLUSTER_SETTLE_MS 15000
#define CLUSTER_BUS_OFFSET 10000
#define CLUSTER_MAX_PORT (65535 - CLUSTER_BUS_OFFSET)

static void sleep_ms(long ms)
{
    struct timespec delay = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&delay, &delay) < 0 && errno == EINTR) {
    }
}

int redis_server_free_port(void)
{
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t length = sizeof(address);
    int port = 0, fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    if (bind(fd, (struct sockaddr *)&address, sizeof(address)) == 0
        && getsockname(fd, (struct sockaddr *)&address, &length) == 0)
        port = ntohs(address.sin_port);
    close(fd);
    return port;
}

/* Whether port on 127.0.0.1 can be bound now. */
static bool port_free(int port)
{
    struct sockaddr_in address = { .sin_family = AF_INET,
                                   .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                                   .sin_port = htons((uint16_t)port) };
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    bool free_now = bind(fd, (struct sockaddr *)&address, sizeof(address)) == 0;
    close(fd);
    return free_now;
}

/* A free port for a cluster node: its bus port, 10000 higher, must be free and valid too; 0 on failure. */
static int cluster_free_port(void)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        int port = redis_server_free_port();
        if (port > 0 && port <= CLUSTER_MAX_PORT && port_free(port + CLUSTER_BUS_OFFSET))
            return port;
    }
    return 0;
}

static void close_context(struct redis_server *server)
{
    if (server->context)
        redisFree(server->context);
    server->context = NULL;
}

/* Forks redis-server; its stdout and stderr go to <dir>/redis.out. */
static int spawn(struct redis_server *server)
{
    char port[16], output[96];
    snprintf(port, sizeof(port), "%d", server->port);
    snprintf(output, sizeof(output), "%s/redis.out", server->dir);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int fd = open(output, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        if (server->cluster)
            execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", server->dir,
                   "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "redis.log",
                   "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout",
                   CLUSTER_NODE_TIMEOUT, "--cluster-require-full-coverage", "no", "--cluster-replica-validity-factor",
                   "0", (char *)NULL);
        else
            execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", server->dir,
                   "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "redis.log", (char *)NULL);
        _exit(127);
    }
    server->pid = pid;
    return 0;
}

/* Whether the server answers PING on a fresh connection. */
static bool answers_ping(const struct redis_server *server)
{
    struct timeval timeout = { 0, 200000 };
    redisContext *context = redisConnectWithTimeout("127.0.0.1", server->port, timeout);
    bool pong = false;
    if (context && !context->err && redisSetTimeout(context, timeout) == REDIS_OK) {
        redisReply *reply = redisCommand(context, "PING");
        pong = reply && reply->type == REDIS_REPLY_STATUS && strcmp(reply->str, "PONG") == 0;
        if (reply)
            freeReplyObject(reply);
    }
    if (context)
        redisFree(context);
    return pong;
}

/* Reaps the server if it has exited; returns whether it has. */
static bool reaped(struct redis_server *server)
{
    int status;
    if (server->pid == 0)
        return true;
    if (waitpid(server->pid, &status, WNOHANG) != server->pid)
        return false;
    server->pid = 0;
    return true;
}

static void print_log(const struct redis_server *server)
{
    char path[96], line[512];
    snprintf(path, sizeof(path), "%s/redis.log", server->dir);
    FILE *file = fopen(path, "r");
    if (!file) {
        snprintf(path, sizeof(path), "%s/redis.out", server->dir);
        file = fopen(path, "r");
    }
    if (!file)
        return;
    while (fgets(line, sizeof(line), file))
        fprintf(stderr, "# redis: %s", line);
    fclose(file);
}

static int wait_ready(struct redis_server *server)
{
    for (int waited = 0; waited < REDIS_SERVER_DEADLINE_MS; waited += POLL_STEP_MS) {
        if (reaped(server))
            return -ECHILD;
        if (answers_ping(server))
            return 0;
        sleep_ms(POLL_STEP_MS);
    }
    return -ETIMEDOUT;
}

/* Sends signal_number and waits for the server to exit; SIGKILL once the deadline has passed. */
static void end_process(struct redis_server *server, int signal_number)
{
    close_context(server);
    if (server->pid == 0)
        return;
    kill(server->pid, signal_number);
    kill(server->pid, SIGCONT); /* a paused server cannot handle SIGTERM */
    for (int waited = 0; !reaped(server); waited += POLL_STEP_MS) {
        if (waited >= REDIS_SERVER_DEADLINE_MS) {
            kill(server->pid, SIGKILL);
            waitpid(server->pid, NULL, 0);
            server->pid = 0;
            return;
        }
        sleep_ms(POLL_STEP_MS);
    }
}

static int remove_entry(const char *path, const struct stat *status, int flag, struct FTW *walk)
{
    (void)status;
    (void)flag;
    (void)walk;
    return remove(path);
}

static void remove_dir(struct redis_server *server)
{
    if (server->dir[0])
        nftw(server->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    server->dir[0] = '\0';
}

/* Starts the server on its port and waits for PING; on failure it is stopped (the directory stays). */
static int launch(struct redis_server *server)
{
    int result = spawn(server);
    if (result == 0)
        result = wait_ready(server);
    if (result < 0) {
        print_log(server);
        end_process(server, SIGKILL);
    }
    return result;
}

static int start(struct redis_server *server, bool cluster)
{
    int result = -EADDRINUSE;
    *server = (struct redis_server){ .cluster = cluster };
    snprintf(server->dir, sizeof(server->dir), "/tmp/store-test-redis-XXXXXX");
    if (!mkdtemp(server->dir)) {
        server->dir[0] = '\0';
        return -errno;
    }
    /* Another process may take the free port before redis-server binds it: try again on another. */
    for (int attempt = 0; attempt < START_ATTEMPTS && result < 0; attempt++) {
        server->port = cluster ? cluster_free_port() : redis_server_free_port();
        if (server->port == 0)
            continue;
        snprintf(server->url, sizeof(server->url), "redis://127.0.0.1:%d", server->port);
        result = launch(server);
    }
    if (result < 0)
        remove_dir(server);
    return result;
}

int redis_server_start(struct redis_server *server)
{
    return start(server, false);
}

void redis_server_stop(struct redis_server *server)
{
    end_process(server, SIGTERM);
}

void redis_server_kill(struct redis_server *server)
{
    end_process(server, SIGKILL);
}

void redis_server_pause(struct redis_server *server)
{
    if (server->pid)
        kill(server->pid, SIGSTOP);
}

void redis_server_resume(struct redis_server *server)
{
    if (server->pid)
        kill(server->pid, SIGCONT);
}

int redis_server_restart(struct redis_server *server)
{
    redis_server_stop(server);
    return launch(server);
}

void redis_server_destroy(struct redis_server *server)
{
    redis_server_stop(server);
    remove_dir(server);
}

static redisContext *blocking_context(struct redis_server *server)
{
    if (server->context && server->context->err)
        close_context(server);
    if (!server->context && server->pid) {
        struct timeval timeout = { 2, 0 };
        server->context = redisConnectWithTimeout("127.0.0.1", server->port, timeout);
        if (server->context && (server->context->err || redisSetTimeout(server->context, timeout) != REDIS_OK))
            close_context(server);
    }
    return server->context;
}

static redisReply *vcommand(struct redis_server *server, const char *format, va_list arguments)
    __attribute__((format(printf, 2, 0)));

static redisReply *vcommand(struct redis_server *server, const char *format, va_list arguments)
{
    redisContext *context = blocking_context(server);
    return context ? redisvCommand(context, format, arguments) : NULL;
}

redisReply *redis_server_command(struct redis_server *server, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    redisReply *reply = vcommand(server, format, arguments);
    va_end(arguments);
    return reply;
}

long long redis_server_integer(struct redis_server *server, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    redisReply *reply = vcommand(server, format, arguments);
    va_end(arguments);
    long long value = reply && reply->type == REDIS_REPLY_INTEGER ? reply->integer : REDIS_SERVER_NO_INTEGER;
    if (reply)
        freeReplyObject(reply);
    return value;
}

char *redis_server_string(struct redis_server *server, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    redisReply *reply = vcommand(server, format, arguments);
    va_end(arguments);
    char *value = reply && reply->type == REDIS_REPLY_STRING ? strndup(reply->str, reply->len) : NULL;
    if (reply)
        freeReplyObject(reply);
    return value;
}

redisReply *redis_server_command_argv(struct redis_server *server, int argc, const char **argv, const size_t *lengths)
{
    redisContext *context = blocking_context(server);
    return context ? redisCommandArgv(context, argc, argv, lengths) : NULL;
}

/* Runs a command (argc words) whose reply should be +OK. */
static int command_ok(struct redis_server *server, int argc, const char **argv)
{
    redisReply *reply = redis_server_command_argv(server, argc, argv, NULL);
    int result = reply && reply->type == REDIS_REPLY_STATUS ? 0 : -EIO;
    if (reply)
        freeReplyObject(reply);
    return result;
}

int redis_server_flush(struct redis_server *server)
{
    const char *flush_all[] = { "FLUSHALL" }, *script_flush[] = { "SCRIPT", "FLUSH" };
    int result = command_ok(server, 1, flush_all);
    return result < 0 ? result : command_ok(server, 2, script_flush);
}

bool redis_server_run_until(struct event_loop *loop, bool (*done)(void *data), void *data, uint64_t timeout_ms)
{
    uint64_t deadline = event_loop_now_ms() + timeout_ms;
    while (!done(data)) {
        uint64_t now = event_loop_now_ms();
        if (now >= deadline)
            return false;
        uint64_t wait = deadline - now < POLL_STEP_MS ? deadline - now : POLL_STEP_MS;
        if (event_loop_run_once(loop, (int64_t)wait) < 0)
            return done(data);
    }
    return true;
}

static bool flag_set(void *data)
{
    return *(const bool *)data;
}

bool redis_server_run_until_flag(struct event_loop *loop, const bool *flag, uint64_t timeout_ms)
{
    return redis_server_run_until(loop, flag_set, (void *)flag, timeout_ms);
}

static bool never(void *data)
{
    (void)data;
    return false;
}

void redis_server_run_for(struct event_loop *loop, uint64_t duration_ms)
{
    redis_server_run_until(loop, never, NULL, duration_ms);
}

static bool client_ready(void *data)
{
    const struct redis_client *client = data;
    return redis_client_connected(client) && redis_client_pending(client) == 0;
}

bool redis_server_client_ready(struct event_loop *loop, struct redis_client *client, uint64_t timeout_ms)
{
    return redis_server_run_until(loop, client_ready, client, timeout_ms);
}

int redis_server_client(struct redis_server *server, struct event_loop *loop, uint64_t command_timeout_ms,
                        size_t max_pending, struct redis_client **client)
{
    struct redis_client_config config = {
        .url = server->url,
        .command_timeout_ms = command_timeout_ms ? command_timeout_ms : 1000,
        .max_pending = max_pending ? max_pending : REDIS_SERVER_MAX_PENDING,
    };
    int result = redis_client_create(loop, &config, client);
    if (result < 0)
        return result;
    if (!redis_server_client_ready(loop, *client, REDIS_SERVER_DEADLINE_MS)) {
        redis_client_destroy(*client);
        *client = NULL;
        return -ETIMEDOUT;
    }
    return 0;
}

int redis_server_open(struct redis_server *server, struct event_loop **loop, struct redis_client **client,
                      int (*init)(void *data), void *data)
{
    *loop = NULL;
    *client = NULL;
    if (redis_server_start(server) < 0) {
        printf("Bail out! cannot start redis-server\n");
        return -1;
    }
    const char *why = NULL;
    if (event_loop_create(loop) < 0)
        why = "cannot create an event loop";
    else if (redis_server_client(server, *loop, 1000, 0, client) < 0)
        why = "cannot connect to redis-server";
    else if (init && init(data) < 0)
        why = "the module under test cannot start";
    else if (!redis_server_client_ready(*loop, *client, REDIS_SERVER_DEADLINE_MS))
        why = "the module's set-up got no answer from redis-server";
    if (!why)
        return 0;
    printf("Bail out! %s\n", why);
    redis_server_close(server, *loop, *client);
    *loop = NULL;
    *client = NULL;
    return -1;
}

void redis_server_close(struct redis_server *server, struct event_loop *loop, struct redis_client *client)
{
    redis_client_destroy(client);
    event_loop_destroy(loop);
    redis_server_destroy(server);
}

void redis_server_capture(redisReply *reply, void *data)
{
    struct redis_server_reply *capture = data;
    capture->done = true;
    capture->calls++;
    capture->at_ms = event_loop_now_ms();
    capture->null = reply == NULL;
    if (!reply)
        return;
    capture->type = reply->type;
    capture->integer = reply->integer;
    capture->len = reply->str ? reply->len : 0;
    if (reply->str)
        snprintf(capture->str, sizeof(capture->str), "%.*s", (int)reply->len, reply->str);
}

/* ---- a Redis Cluster ---- */

/* Whether the text reply of "command argument" on server contains every one of the NULL-terminated needles. */
static bool reply_contains(struct redis_server *server, const char *command, const char *argument,
                           const char *const *needles)
{
    redisReply *reply = redis_server_command(server, "%s %s", command, argument);
    bool found = reply && (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS);
    for (; found && *needles; needles++)
        found = strstr(reply->str, *needles) != NULL;
    if (reply)
        freeReplyObject(reply);
    return found;
}

/* Whether every node sees all nodes, all slots, the cluster ok; and every replica is in sync with its master. */
static bool cluster_settled(struct redis_server_cluster *cluster)
{
    char known[48], size[48];
    snprintf(known, sizeof(known), "cluster_known_nodes:%d\r", cluster->count);
    snprintf(size, sizeof(size), "cluster_size:%d\r", cluster->masters);
    const char *const info[] = { "cluster_state:ok", "cluster_slots_assigned:16384", known, size, NULL };
    const char *const synced[] = { "master_link_status:up", NULL };
    for (int i = 0; i < cluster->count; i++) {
        if (!reply_contains(&cluster->nodes[i], "CLUSTER", "INFO", info))
            return false;
        if (i >= cluster->masters && i < cluster->masters + cluster->replicas
            && !reply_contains(&cluster->nodes[i], "INFO", "replication", synced))
            return false;
    }
    return true;
}

/* Whether node knows the node id (CLUSTER NODES lists it). */
static bool knows(struct redis_server *node, const char *id)
{
    const char *const needles[] = { id, NULL };
    return reply_contains(node, "CLUSTER", "NODES", needles);
}

/* Runs a command that must answer +OK on node; -EIO otherwise. */
static int expect_ok(struct redis_server *node, const char *format, ...) __attribute__((format(printf, 2, 3)));

static int expect_ok(struct redis_server *node, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    redisReply *reply = vcommand(node, format, arguments);
    va_end(arguments);
    int result = reply && reply->type == REDIS_REPLY_STATUS ? 0 : -EIO;
    if (result < 0)
        fprintf(stderr, "# redis-server :%d answered %s to %s\n", node->port,
                reply && reply->str ? reply->str : "nothing", format);
    if (reply)
        freeReplyObject(reply);
    return result;
}

/* Waits until done(cluster) or the settle deadline. */
static int wait_cluster(struct redis_server_cluster *cluster, bool (*done)(struct redis_server_cluster *cluster))
{
    for (int waited = 0; waited < CLUSTER_SETTLE_MS; waited += 50) {
        if (done(cluster))
            return 0;
        sleep_ms(50);
    }
    return -ETIMEDOUT;
}

static bool replicas_know_masters(struct redis_server_cluster *cluster)
{
    for (int i = cluster->masters; i < cluster->masters + cluster->replicas; i++)
        if (!knows(&cluster->nodes[i], cluster->ids[i - cluster->masters]))
            return false;
    return true;
}

/* Starts the nodes, names each one's slots and epoch, and reads their ids. */
/* Starts node index of the cluster and reads its id. */
static int start_node(struct redis_server_cluster *cluster, int index)
{
    struct redis_server *node = &cluster->nodes[index];
    int result = start(node, true);
    if (result < 0)
        return result;
    redisReply *id = redis_server_command(node, "CLUSTER MYID");
    bool ok = id && id->type == REDIS_REPLY_STRING && id->len < sizeof(cluster->ids[index]);
    if (ok)
        snprintf(cluster->ids[index], sizeof(cluster->ids[index]), "%s", id->str);
    if (id)
        freeReplyObject(id);
    return ok ? 0 : -EIO;
}

/* Starts the nodes, names each master's slots and epoch. */
static int start_nodes(struct redis_server_cluster *cluster)
{
    size_t used = (size_t)snprintf(cluster->url, sizeof(cluster->url), "redis://");
    for (int i = 0; i < cluster->count; i++) {
        int result = start_node(cluster, i);
        if (result < 0 || i >= cluster->masters) {
            if (result < 0)
                return result;
            continue;
        }
        int first = REDIS_CLUSTER_SLOTS * i / cluster->masters,
            last = REDIS_CLUSTER_SLOTS * (i + 1) / cluster->masters - 1;
        result = expect_ok(&cluster->nodes[i], "CLUSTER ADDSLOTSRANGE %d %d", first, last);
        if (result == 0)
            result = expect_ok(&cluster->nodes[i], "CLUSTER SET-CONFIG-EPOCH %d", i + 1);
        if (result < 0)
            return result;
        used += (size_t)snprintf(cluster->url + used, sizeof(cluster->url) - used, "%s127.0.0.1:%d", i ? "," : "",
                                 cluster->nodes[i].port);
    }
    return 0;
}

static void print_logs(struct redis_server_cluster *cluster)
{
    for (int i = 0; i < cluster->count; i++)
        if (cluster->nodes[i].pid)
            print_log(&cluster->nodes[i]);
}

int redis_server_cluster_start(struct redis_server_cluster *cluster, int masters, int replicas)
{
    *cluster = (struct redis_server_cluster){ .masters = masters, .replicas = replicas, .count = masters + replicas };
    if (masters < 1 || replicas < 0 || replicas > masters || cluster->count > REDIS_SERVER_CLUSTER_MAX_NODES)
        return -EINVAL;
    int result = start_nodes(cluster);
    for (int i = 1; result == 0 && i < cluster->count; i++)
        result = expect_ok(&cluster->nodes[i], "CLUSTER MEET 127.0.0.1 %d", cluster->nodes[0].port);
    if (result == 0)
        result = wait_cluster(cluster, replicas_know_masters);
    for (int i = masters; result == 0 && i < masters + replicas; i++)
        result = expect_ok(&cluster->nodes[i], "CLUSTER REPLICATE %s", cluster->ids[i - masters]);
    if (result == 0)
        result = wait_cluster(cluster, cluster_settled);
    if (result < 0) {
        print_logs(cluster);
        redis_server_cluster_destroy(cluster);
    }
    return result;
}

int redis_server_cluster_add_masters(struct redis_server_cluster *cluster, int count)
{
    if (count < 1 || cluster->count + count > REDIS_SERVER_CLUSTER_MAX_NODES)
        return -EINVAL;
    int result = 0;
    for (; result == 0 && count > 0; count--) {
        result = start_node(cluster, cluster->count);
        if (result == 0)
            cluster->count++;
        if (result == 0)
            result =
                expect_ok(&cluster->nodes[cluster->count - 1], "CLUSTER MEET 127.0.0.1 %d", cluster->nodes[0].port);
    }
    if (result == 0)
        result = wait_cluster(cluster, cluster_settled);
    if (result < 0)
        print_logs(cluster);
    return result;
}

void redis_server_cluster_destroy(struct redis_server_cluster *cluster)
{
    for (int i = 0; i < REDIS_SERVER_CLUSTER_MAX_NODES; i++) {
        end_process(&cluster->nodes[i], SIGKILL);
        remove_dir(&cluster->nodes[i]);
    }
}
