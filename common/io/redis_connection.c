/*
 * redis_connection - see redis_connection.h.
 *
 * Every command sent is recorded in a FIFO of pending commands. Redis
 * answers in order, so the head is always the oldest command: the watchdog
 * only has to look at the head to enforce the deadline.
 *
 * hiredis frees its context by itself after a failed connect or a lost
 * connection (and calls every pending callback with NULL first). We clear
 * connection->context before any free we start ourselves, so a callback that
 * tries to send during that cascade is refused instead of reaching a dying
 * context.
 */
#include "redis_connection.h"

#include <errno.h>
#include <hiredis/async.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/queue.h>

#include "host_lookup.h"
#include "log.h"
#include "random_id.h"

#define MAX_SCRIPTS 32
#define WATCHDOG_INTERVAL_MS 100
#define RECONNECT_FIRST_DELAY_MS 100
#define RECONNECT_MAX_DELAY_MS 5000

struct pending_command {
    struct redis_connection *connection;
    redis_connection_callback callback;
    void *data;
    uint64_t sent_ms;
    /* For an EVALSHA: what is needed to send it again as EVAL on NOSCRIPT. */
    struct redis_script *script;
    int argc;
    char **argv;
    size_t *lengths;
    TAILQ_ENTRY(pending_command) link; /* in connection->pending_commands */
};

struct redis_connection {
    struct event_loop *loop;
    uint64_t command_timeout_ms; /* also bounds connecting */
    size_t max_pending;
    char host[256];                           /* as configured: a name or an address */
    char address[HOST_LOOKUP_ADDRESS_LENGTH]; /* what host resolved to last; empty before the first answer */
    struct host_lookup *lookup;               /* resolving host for the next connection attempt, or NULL */
    char location[sizeof("[] ()") + 256 + HOST_LOOKUP_ADDRESS_LENGTH + 6]; /* "host:port (address)", for logs */
    int port;
    char *password;
    char database[16];
    char name[64]; /* CLIENT SETNAME on every connection; empty: none */

    redisAsyncContext *context; /* NULL while disconnected */
    bool connected;
    bool ever_connected;
    bool destroying;
    uint64_t connect_started_ms;
    uint64_t reconnect_delay_ms;
    struct event_timer reconnect_timer;
    struct event_timer watchdog_timer;
    struct event_watcher watcher;
    struct event_hook write_hook; /* sends the commands of a loop turn together, see adapter_add_write() */
    bool write_deferred;          /* commands wait in hiredis's buffer for write_hook */
    bool writing_deferred;        /* write_hook is writing them */

    uint64_t out_of_memory_ms;           /* monotonic: the last OOM error reply, 0 for none */
    uint64_t out_of_memory_logged_ms;    /* monotonic: when one was last logged */
    unsigned long out_of_memory_replies; /* OOM replies since the last log line */

    TAILQ_HEAD(, pending_command) pending_commands; /* sent, awaiting a reply; oldest first */
    size_t pending;

    struct redis_script *scripts[MAX_SCRIPTS];
    size_t script_count;

    void (*on_change)(bool connected, void *data);
    void *on_change_data;

    /* A subscriber's channels (none for an ordinary connection) and what receives their messages. */
    char *channels[REDIS_CONNECTION_MAX_CHANNELS];
    size_t channel_count;
    redis_connection_message_callback on_message;
    void *on_message_data;
    bool subscribed; /* SUBSCRIBE sent on this connection: hiredis takes no other command */
    bool listening;  /* Redis confirmed every channel of the SUBSCRIBE */
};

static void connect_now(struct redis_connection *connection);
static void drop_connection(struct redis_connection *connection, const char *reason);
static void notify_change(struct redis_connection *connection, bool connected);

/* ---- event-loop adapter for hiredis (the five hooks of redisAsyncContext.ev) ---- */

static void on_socket_event(struct event_watcher *watcher, uint32_t events)
{
    struct redis_connection *connection = watcher->data;
    redisAsyncContext *context = connection->context;
    if (!context)
        return;
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        redisAsyncHandleRead(context);
    /* The read may have freed the context (connection lost). */
    if (connection->context == context && (events & EPOLLOUT))
        redisAsyncHandleWrite(context);
}

static void update_watch(struct redis_connection *connection, int fd, uint32_t events)
{
    if (connection->watcher.registered && connection->watcher.fd == fd && connection->watcher.events == events)
        return; /* hiredis asks for read interest after every write: nothing to change */
    if (events == 0) {
        event_loop_unwatch(connection->loop, &connection->watcher);
        return;
    }
    if (event_loop_watch(connection->loop, &connection->watcher, fd, events, on_socket_event, connection) < 0)
        log_event(LOG_ERROR, "redis", "cannot watch the Redis socket");
}

static void adapter_add_read(void *data)
{
    struct redis_connection *connection = data;
    update_watch(connection, connection->context ? connection->context->c.fd : connection->watcher.fd,
                 connection->watcher.events | EPOLLIN);
}

static void adapter_del_read(void *data)
{
    struct redis_connection *connection = data;
    uint32_t events = connection->watcher.registered ? connection->watcher.events & ~(uint32_t)EPOLLIN : 0;
    update_watch(connection, connection->watcher.fd, events);
}

/*
 * hiredis asks for a writable socket after each command. Watching for
 * EPOLLOUT would cost two epoll_ctl calls and a write per command; instead,
 * while connected, the commands of one loop turn stay in hiredis's buffer
 * and write_hook sends them with one write just before the loop waits.
 * Only what that write cannot take waits for EPOLLOUT. (While connecting,
 * hiredis needs EPOLLOUT to learn that the connection is up.) Commands are
 * sent from event callbacks, timers and check hooks, all of which run
 * before the next turn's prepare hooks; one sent from another prepare hook
 * that runs after this one would wait for the next turn, at most the
 * watchdog's 100 ms away.
 */
static void adapter_add_write(void *data)
{
    struct redis_connection *connection = data;
    if (connection->connected && !connection->writing_deferred) {
        connection->write_deferred = true;
        return;
    }
    update_watch(connection, connection->context ? connection->context->c.fd : connection->watcher.fd,
                 connection->watcher.events | EPOLLOUT);
}

static void adapter_del_write(void *data)
{
    struct redis_connection *connection = data;
    connection->write_deferred = false;
    if (!connection->watcher.registered || !(connection->watcher.events & EPOLLOUT))
        return;
    update_watch(connection, connection->watcher.fd, connection->watcher.events & ~(uint32_t)EPOLLOUT);
}

static int64_t write_deferred_commands(void *data)
{
    struct redis_connection *connection = data;
    if (connection->write_deferred && connection->context) {
        connection->write_deferred = false;
        connection->writing_deferred = true;
        redisAsyncHandleWrite(connection->context); /* may lose the connection, and free the context */
        connection->writing_deferred = false;
    }
    return -1;
}

static void adapter_cleanup(void *data)
{
    struct redis_connection *connection = data;
    event_loop_unwatch(connection->loop, &connection->watcher);
    connection->watcher.events = 0;
    connection->write_deferred = false;
}

/* ---- pending commands ---- */

static void pending_free(struct pending_command *command)
{
    if (command->argv) {
        for (int i = 0; i < command->argc; i++)
            free(command->argv[i]);
    }
    free(command->argv);
    free(command->lengths);
    free(command);
}

static void pending_unlink(struct redis_connection *connection, struct pending_command *command)
{
    TAILQ_REMOVE(&connection->pending_commands, command, link);
    connection->pending--;
}

static void pending_append(struct redis_connection *connection, struct pending_command *command)
{
    TAILQ_INSERT_TAIL(&connection->pending_commands, command, link);
    connection->pending++;
}

static int send_eval_source(struct pending_command *command);

static bool is_noscript(const redisReply *reply)
{
    return reply && reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "NOSCRIPT", 8) == 0;
}

/* Notes (and logs, at most once a second) a command Redis refused because it reached maxmemory. */
static void note_out_of_memory(struct redis_connection *connection, const redisReply *reply)
{
    /* "OOM command not allowed ...", alone or inside a script's error */
    if (!reply || reply->type != REDIS_REPLY_ERROR || !strstr(reply->str, "OOM command not allowed"))
        return;
    uint64_t now = event_loop_now_ms();
    connection->out_of_memory_ms = now;
    connection->out_of_memory_replies++;
    if (connection->out_of_memory_logged_ms && now - connection->out_of_memory_logged_ms < 1000)
        return;
    log_event(LOG_ERROR, "redis-out-of-memory",
              "Redis at %s is out of memory (maxmemory): %lu command(s) refused: %.200s", connection->location,
              connection->out_of_memory_replies, reply->str);
    connection->out_of_memory_logged_ms = now;
    connection->out_of_memory_replies = 0;
}

bool redis_connection_out_of_memory(const struct redis_connection *connection)
{
    return connection->out_of_memory_ms
           && event_loop_now_ms() - connection->out_of_memory_ms < REDIS_CONNECTION_OUT_OF_MEMORY_MS;
}

/* Error prefixes (as in "ERR Error running script ...: @user_script:1: OOM ..." too) of a Redis that may take the same
 * command later. */
static const char *const transient_errors[] = { "OOM ",        "BUSY ",     "LOADING ",  "TRYAGAIN ", "CLUSTERDOWN ",
                                                "MASTERDOWN ", "READONLY ", "MOVED ",    "ASK ",      "NOSCRIPT ",
                                                "NOREPLICAS ", "BUSYKEY ",  "UNBLOCKED " };

int redis_connection_reply_status(const redisReply *reply)
{
    if (!reply)
        return -EIO;
    if (reply->type != REDIS_REPLY_ERROR)
        return 0;
    if (strstr(reply->str, "OOM command not allowed"))
        return -EIO;
    for (size_t i = 0; i < sizeof(transient_errors) / sizeof(transient_errors[0]); i++) {
        size_t length = strlen(transient_errors[i]);
        if (strncmp(reply->str, transient_errors[i], length) == 0)
            return -EIO;
        /* A command a script ran reports its error inside the script's: "... @user_script:12: OOM ..." */
        const char *inside = strstr(reply->str, ": ");
        for (; inside; inside = strstr(inside + 2, ": "))
            if (strncmp(inside + 2, transient_errors[i], length) == 0)
                return -EIO;
    }
    return -EPROTO;
}

static void on_reply(redisAsyncContext *context, void *reply_pointer, void *privdata)
{
    struct pending_command *command = privdata;
    struct redis_connection *connection = command->connection;
    redisReply *reply = reply_pointer;
    (void)context;
    pending_unlink(connection, command);
    note_out_of_memory(connection, reply);
    if (is_noscript(reply) && command->script && !connection->destroying) {
        /* The server lost its script cache: send the source once, which also caches it again. */
        if (send_eval_source(command) == 0)
            return;
        reply = NULL;
    }
    command->callback(reply, command->data);
    pending_free(command);
}

static int send_argv(struct redis_connection *connection, struct pending_command *command, int argc, const char **argv,
                     const size_t *lengths)
{
    if (!connection->context || !connection->connected)
        return -ENOTCONN;
    if (redisAsyncCommandArgv(connection->context, on_reply, command, argc, argv, lengths) != REDIS_OK)
        return -ENOMEM;
    command->sent_ms = event_loop_now_ms();
    pending_append(connection, command);
    return 0;
}

static int admit(const struct redis_connection *connection)
{
    if (connection->subscribed)
        return -EBUSY;
    if (!connection->context || !connection->connected)
        return -ENOTCONN;
    if (connection->pending >= connection->max_pending)
        return -EAGAIN;
    return 0;
}

/* A new command for callback, once the connection can take one: 0, -EBUSY/-ENOTCONN/-EAGAIN (see admit()), -ENOMEM. */
static int pending_new(struct redis_connection *connection, redis_connection_callback callback, void *data,
                       struct pending_command **out)
{
    int result = admit(connection);
    if (result < 0)
        return result;
    struct pending_command *command = calloc(1, sizeof(*command));
    if (!command)
        return -ENOMEM;
    command->connection = connection;
    command->callback = callback;
    command->data = data;
    *out = command;
    return 0;
}

int redis_connection_command(struct redis_connection *connection, redis_connection_callback callback, void *data,
                             int argc, const char **argv, const size_t *lengths)
{
    struct pending_command *command;
    int result = pending_new(connection, callback, data, &command);
    if (result < 0)
        return result;
    result = send_argv(connection, command, argc, argv, lengths);
    if (result < 0)
        pending_free(command);
    return result;
}

int redis_connection_measure_arguments(int argc, const char **argv, size_t lengths[REDIS_CONNECTION_MAX_STRINGS])
{
    if (argc < 0 || argc > REDIS_CONNECTION_MAX_STRINGS)
        return -EINVAL;
    for (int i = 0; i < argc; i++)
        lengths[i] = strlen(argv[i]);
    return 0;
}

int redis_connection_command_strings(struct redis_connection *connection, redis_connection_callback callback,
                                     void *data, int argc, const char **argv)
{
    size_t lengths[REDIS_CONNECTION_MAX_STRINGS];
    int result = redis_connection_measure_arguments(argc, argv, lengths);
    return result < 0 ? result : redis_connection_command(connection, callback, data, argc, argv, lengths);
}

/* Keeps a copy of the script's arguments so that NOSCRIPT can be answered with EVAL. */
static int remember_arguments(struct pending_command *command, int argc, const char **argv, const size_t *lengths)
{
    command->argv = calloc((size_t)argc, sizeof(*command->argv));
    command->lengths = calloc((size_t)argc, sizeof(*command->lengths));
    if (!command->argv || !command->lengths)
        return -ENOMEM;
    command->argc = argc;
    for (int i = 0; i < argc; i++) {
        command->argv[i] = malloc(lengths[i] + 1);
        if (!command->argv[i])
            return -ENOMEM;
        memcpy(command->argv[i], argv[i], lengths[i]);
        command->argv[i][lengths[i]] = '\0';
        command->lengths[i] = lengths[i];
    }
    return 0;
}

/*
 * Sends command's script as "EVAL|EVALSHA <source|sha> <key_count> args...":
 * argv[0] of the remembered arguments is the key count.
 */
static int send_script(struct pending_command *command, bool with_source)
{
    struct redis_connection *connection = command->connection;
    int argc = command->argc + 2;
    const char **argv = calloc((size_t)argc, sizeof(*argv));
    size_t *lengths = calloc((size_t)argc, sizeof(*lengths));
    int result = -ENOMEM;
    if (argv && lengths) {
        argv[0] = with_source ? "EVAL" : "EVALSHA";
        argv[1] = with_source ? command->script->source : command->script->sha1;
        for (int i = 0; i < 2; i++)
            lengths[i] = strlen(argv[i]);
        for (int i = 0; i < command->argc; i++) {
            argv[i + 2] = command->argv[i];
            lengths[i + 2] = command->lengths[i];
        }
        result = send_argv(connection, command, argc, argv, lengths);
    }
    free(argv);
    free(lengths);
    return result;
}

static int send_eval_source(struct pending_command *command)
{
    log_event(LOG_INFO, "redis", "script %s missing from the server's cache (NOSCRIPT): sending its source",
              command->script->name);
    return send_script(command, true);
}

int redis_connection_eval(struct redis_connection *connection, struct redis_script *script,
                          redis_connection_callback callback, void *data, int key_count, int argc, const char **argv,
                          const size_t *lengths)
{
    struct pending_command *command;
    int result = pending_new(connection, callback, data, &command);
    if (result < 0)
        return result;
    command->script = script;

    char key_count_text[16];
    snprintf(key_count_text, sizeof(key_count_text), "%d", key_count);
    const char **all = calloc((size_t)argc + 1, sizeof(*all));
    size_t *all_lengths = calloc((size_t)argc + 1, sizeof(*all_lengths));
    result = -ENOMEM;
    if (all && all_lengths) {
        all[0] = key_count_text;
        all_lengths[0] = strlen(key_count_text);
        if (argc > 0) { /* a script may take no arguments at all: then argv may be NULL */
            memcpy(all + 1, argv, (size_t)argc * sizeof(*argv));
            memcpy(all_lengths + 1, lengths, (size_t)argc * sizeof(*lengths));
        }
        result = remember_arguments(command, argc + 1, all, all_lengths);
    }
    free(all);
    free(all_lengths);
    if (result == 0)
        result = send_script(command, script->sha1[0] == '\0');
    if (result < 0)
        pending_free(command);
    return result;
}

int redis_connection_eval_strings(struct redis_connection *connection, struct redis_script *script,
                                  redis_connection_callback callback, void *data, int key_count, int argc,
                                  const char **argv)
{
    size_t lengths[REDIS_CONNECTION_MAX_STRINGS];
    int result = redis_connection_measure_arguments(argc, argv, lengths);
    return result < 0 ? result
                      : redis_connection_eval(connection, script, callback, data, key_count, argc, argv, lengths);
}

size_t redis_connection_pending(const struct redis_connection *connection)
{
    return connection->pending;
}

/* ---- subscriptions ---- */

/* hiredis calls this for the SUBSCRIBE confirmation, for every message, and with NULL when the connection goes. */
static void on_subscription_push(redisAsyncContext *context, void *reply_pointer, void *privdata)
{
    struct redis_connection *connection = privdata;
    redisReply *reply = reply_pointer;
    (void)context;
    if (!reply || connection->destroying || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3)
        return;
    const redisReply *kind = reply->element[0], *payload = reply->element[2];
    const redisReply *channel = reply->element[1];
    if (kind->type != REDIS_REPLY_STRING)
        return;
    if (strcmp(kind->str, "message") == 0 && payload->type == REDIS_REPLY_STRING && channel->type == REDIS_REPLY_STRING)
        connection->on_message(channel->str, payload->str, payload->len, connection->on_message_data);
    /* The last channel's confirmation counts them all: from now on nothing published is missed. */
    if (strcmp(kind->str, "subscribe") == 0 && payload->type == REDIS_REPLY_INTEGER
        && payload->integer == (long long)connection->channel_count && !connection->listening) {
        connection->listening = true;
        notify_change(connection, true);
    }
}

static void send_subscribe(struct redis_connection *connection)
{
    const char *argv[1 + REDIS_CONNECTION_MAX_CHANNELS] = { "SUBSCRIBE" };
    for (size_t i = 0; i < connection->channel_count; i++)
        argv[1 + i] = connection->channels[i];
    if (redisAsyncCommandArgv(connection->context, on_subscription_push, connection,
                              (int)(1 + connection->channel_count), argv, NULL)
        == REDIS_OK)
        connection->subscribed = true;
    else
        drop_connection(connection, "cannot send SUBSCRIBE");
}

static void free_channels(struct redis_connection *connection)
{
    for (size_t i = 0; i < connection->channel_count; i++)
        free(connection->channels[i]);
    connection->channel_count = 0;
}

int redis_connection_subscribe(struct redis_connection *connection, const char *const *channels, size_t channel_count,
                               redis_connection_message_callback on_message, void *data)
{
    if (connection->channel_count > 0 || connection->pending > 0)
        return -EBUSY;
    if (channel_count == 0 || channel_count > REDIS_CONNECTION_MAX_CHANNELS)
        return -EINVAL;
    for (; connection->channel_count < channel_count; connection->channel_count++) {
        connection->channels[connection->channel_count] = strdup(channels[connection->channel_count]);
        if (!connection->channels[connection->channel_count]) {
            free_channels(connection);
            return -ENOMEM;
        }
    }
    connection->on_message = on_message;
    connection->on_message_data = data;
    if (connection->context && connection->connected)
        send_subscribe(connection);
    return 0;
}

/* ---- connection life cycle ---- */

static void notify_change(struct redis_connection *connection, bool connected)
{
    if (connection->on_change)
        connection->on_change(connected, connection->on_change_data);
}

static void on_reconnect_due(struct event_timer *timer)
{
    connect_now(timer->data);
}

static void schedule_reconnect(struct redis_connection *connection)
{
    if (connection->destroying)
        return;
    uint64_t delay = connection->reconnect_delay_ms;
    uint32_t jitter = 0;
    if (random_id_fill(&jitter, sizeof(jitter)) < 0)
        jitter = 0;                               /* no randomness to be had: wait half the delay */
    delay = delay / 2 + jitter % (delay / 2 + 1); /* "equal jitter": between half and all of the delay */
    connection->reconnect_delay_ms = connection->reconnect_delay_ms * 2 > RECONNECT_MAX_DELAY_MS
                                         ? RECONNECT_MAX_DELAY_MS
                                         : connection->reconnect_delay_ms * 2;
    event_loop_timer_start(connection->loop, &connection->reconnect_timer, delay, on_reconnect_due, connection);
}

/* The context is gone (hiredis freed it, or we are about to). */
static void connection_lost(struct redis_connection *connection, const char *reason)
{
    bool was_connected = connection->connected;
    connection->context = NULL;
    connection->connected = false;
    connection->subscribed = false;
    bool was_listening = connection->listening;
    connection->listening = false;
    if (was_connected && connection->destroying) {
        log_event(LOG_INFO, "redis-closed", "closed the connection to Redis at %s", connection->location);
    } else if (was_connected) {
        log_event(LOG_WARN, "redis-disconnected", "lost the connection to Redis at %s (%s); reconnecting",
                  connection->location, reason);
        if (connection->channel_count == 0 || was_listening)
            notify_change(connection, false);
    }
    schedule_reconnect(connection); /* not when destroying */
}

static void drop_connection(struct redis_connection *connection, const char *reason)
{
    redisAsyncContext *context = connection->context;
    if (!context)
        return;
    connection_lost(connection, reason);
    redisAsyncFree(context); /* pending callbacks run with NULL; on_disconnected sees a foreign context */
}

static void on_script_loaded(redisReply *reply, void *data)
{
    struct redis_script *script = data;
    if (reply && reply->type == REDIS_REPLY_STRING && reply->len == 40) {
        memcpy(script->sha1, reply->str, 40);
        script->sha1[40] = '\0';
    } else if (reply) {
        log_event(LOG_ERROR, "redis", "cannot load script %s: %s", script->name,
                  reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
    }
}

static void on_setup_reply(redisReply *reply, void *data)
{
    const char *what = data;
    if (reply && reply->type == REDIS_REPLY_ERROR)
        log_event(LOG_ERROR, "redis", "%s failed: %s", what, reply->str);
}

/* Sends one command of a new connection's set-up; a command that cannot be sent is logged as failed. */
static void send_setup_command(struct redis_connection *connection, redis_connection_callback callback, void *data,
                               const char *what, int argc, const char **argv)
{
    int result = redis_connection_command_strings(connection, callback, data, argc, argv);
    if (result < 0)
        log_event(LOG_ERROR, "redis", "%s could not be sent: %s", what, strerror(-result));
}

static void send_setup_commands(struct redis_connection *connection)
{
    if (connection->password) {
        const char *argv[] = { "AUTH", connection->password };
        send_setup_command(connection, on_setup_reply, "AUTH", "AUTH", 2, argv);
    }
    if (connection->database[0]) {
        const char *argv[] = { "SELECT", connection->database };
        send_setup_command(connection, on_setup_reply, "SELECT", "SELECT", 2, argv);
    }
    if (connection->name[0]) {
        const char *argv[] = { "CLIENT", "SETNAME", connection->name };
        send_setup_command(connection, on_setup_reply, "CLIENT SETNAME", "CLIENT SETNAME", 3, argv);
    }
    for (size_t i = 0; i < connection->script_count; i++) {
        const char *argv[] = { "SCRIPT", "LOAD", connection->scripts[i]->source };
        send_setup_command(connection, on_script_loaded, connection->scripts[i], "SCRIPT LOAD", 3, argv);
    }
    if (connection->channel_count > 0)
        send_subscribe(connection);
}

static void on_connected(const redisAsyncContext *context, int status)
{
    struct redis_connection *connection = context->ev.data;
    if (context != connection->context)
        return;
    if (status != REDIS_OK) {
        log_event(LOG_WARN, "redis-unavailable", "cannot connect to Redis at %s: %s", connection->location,
                  context->errstr);
        connection_lost(connection, context->errstr); /* hiredis frees the context after this returns */
        return;
    }
    connection->connected = true;
    connection->ever_connected = true;
    connection->reconnect_delay_ms = RECONNECT_FIRST_DELAY_MS;
    log_event(LOG_INFO, "redis-connected", "connected to Redis at %s", connection->location);
    send_setup_commands(connection);
    if (connection->channel_count == 0)
        notify_change(connection, true); /* a subscriber's comes with the confirmation of its channels */
}

static void on_disconnected(const redisAsyncContext *context, int status)
{
    struct redis_connection *connection = context->ev.data;
    (void)status;
    if (context == connection->context)
        connection_lost(connection, context->errstr[0] ? context->errstr : "closed by the server");
}

/* Starts a non-blocking connect to connection->address. */
static void connect_to_address(struct redis_connection *connection)
{
    redisAsyncContext *context = redisAsyncConnect(connection->address, connection->port);
    if (!context || context->err) {
        log_event(LOG_WARN, "redis-unavailable", "cannot connect to Redis at %s: %s", connection->location,
                  context ? context->errstr : "out of memory");
        if (context)
            redisAsyncFree(context);
        schedule_reconnect(connection);
        return;
    }
    context->ev.data = connection;
    context->ev.addRead = adapter_add_read;
    context->ev.delRead = adapter_del_read;
    context->ev.addWrite = adapter_add_write;
    context->ev.delWrite = adapter_del_write;
    context->ev.cleanup = adapter_cleanup;
    connection->context = context;
    connection->connect_started_ms = event_loop_now_ms();
    redisAsyncSetConnectCallback(context, on_connected);
    redisAsyncSetDisconnectCallback(context, on_disconnected);
    /* The non-blocking connect completes when the socket becomes writable. */
    adapter_add_write(connection);
}

static void describe_location(struct redis_connection *connection)
{
    bool bracket = strchr(connection->host, ':') != NULL; /* an IPv6 literal */
    int length = snprintf(connection->location, sizeof(connection->location), "%s%s%s:%d", bracket ? "[" : "",
                          connection->host, bracket ? "]" : "", connection->port);
    if (strcmp(connection->host, connection->address) != 0 && connection->address[0] && length > 0)
        snprintf(connection->location + length, sizeof(connection->location) - (size_t)length, " (%s)",
                 connection->address);
}

static void on_host_resolved(int result, const char *address, const char *reason, void *data)
{
    struct redis_connection *connection = data;
    connection->lookup = NULL;
    if (result < 0) {
        log_event(LOG_WARN, "redis-unavailable", "cannot resolve the Redis host '%s': %s; retrying", connection->host,
                  reason);
        schedule_reconnect(connection);
        return;
    }
    if (strcmp(address, connection->address) != 0) {
        if (connection->address[0])
            log_event(LOG_INFO, "redis-address", "the Redis host '%s' now resolves to %s (was %s)", connection->host,
                      address, connection->address);
        snprintf(connection->address, sizeof(connection->address), "%s", address);
        describe_location(connection);
    }
    connect_to_address(connection);
}

/*
 * A connection attempt: a host name is looked up again every time, so that
 * a Redis that moved (a re-created container) is found at its new address.
 */
static void connect_now(struct redis_connection *connection)
{
    if (connection->lookup)
        return;
    if (host_lookup_is_numeric(connection->host)) {
        connect_to_address(connection);
        return;
    }
    int result = host_lookup_start(connection->loop, connection->host, connection->command_timeout_ms, on_host_resolved,
                                   connection, &connection->lookup);
    if (result < 0) {
        log_event(LOG_WARN, "redis-unavailable", "cannot start resolving the Redis host '%s' (%s); retrying",
                  connection->host, strerror(-result));
        schedule_reconnect(connection);
    }
}

static void on_watchdog(struct event_timer *timer)
{
    struct redis_connection *connection = timer->data;
    uint64_t now = event_loop_now_ms();
    uint64_t limit = connection->command_timeout_ms;
    if (connection->context && !connection->connected && now - connection->connect_started_ms > limit) {
        log_event(LOG_WARN, "redis-unavailable", "connecting to Redis at %s took over %llu ms; retrying",
                  connection->location, (unsigned long long)limit);
        drop_connection(connection, "connect timed out");
    } else if (!TAILQ_EMPTY(&connection->pending_commands)
               && now - TAILQ_FIRST(&connection->pending_commands)->sent_ms > limit) {
        drop_connection(connection, "a command got no reply in time");
    }
    event_loop_timer_start(connection->loop, &connection->watchdog_timer, WATCHDOG_INTERVAL_MS, on_watchdog,
                           connection);
}

/* ---- set-up and teardown ---- */

/* Copies the configured address and credentials; -EINVAL for an empty or too long host or a bad port. */
static int copy_address(struct redis_connection *connection, const struct redis_connection_config *config)
{
    size_t host_length = config->host ? strlen(config->host) : 0;
    if (host_length == 0 || host_length >= sizeof(connection->host) || config->port < 1 || config->port > 65535)
        return -EINVAL;
    memcpy(connection->host, config->host, host_length + 1);
    connection->port = config->port;
    if (config->password) {
        connection->password = strndup(config->password, config->password_length);
        if (!connection->password)
            return -ENOMEM;
    }
    if (config->database)
        snprintf(connection->database, sizeof(connection->database), "%s", config->database);
    if (config->name)
        snprintf(connection->name, sizeof(connection->name), "%s", config->name);
    if (host_lookup_is_numeric(connection->host))
        snprintf(connection->address, sizeof(connection->address), "%.*s", (int)sizeof(connection->address) - 1,
                 connection->host);
    describe_location(connection);
    return 0;
}

int redis_connection_create(struct event_loop *loop, const struct redis_connection_config *config,
                            struct redis_connection **connection_out)
{
    struct redis_connection *connection = calloc(1, sizeof(*connection));
    if (!connection)
        return -ENOMEM;
    connection->loop = loop;
    connection->command_timeout_ms = config->command_timeout_ms;
    connection->max_pending = config->max_pending;
    TAILQ_INIT(&connection->pending_commands);
    connection->watcher.fd = -1;
    connection->reconnect_delay_ms = RECONNECT_FIRST_DELAY_MS;
    connection->write_hook = (struct event_hook){ .prepare = write_deferred_commands, .data = connection };
    event_loop_add_hook(loop, &connection->write_hook);
    int result = copy_address(connection, config);
    if (result < 0) {
        redis_connection_destroy(connection);
        return result;
    }
    connect_now(connection);
    event_loop_timer_start(loop, &connection->watchdog_timer, WATCHDOG_INTERVAL_MS, on_watchdog, connection);
    *connection_out = connection;
    return 0;
}

const char *redis_connection_host(const struct redis_connection *connection)
{
    return connection->host;
}

int redis_connection_port(const struct redis_connection *connection)
{
    return connection->port;
}

bool redis_connection_ever_connected(const struct redis_connection *connection)
{
    return connection->ever_connected;
}

void redis_connection_on_change(struct redis_connection *connection, void (*on_change)(bool connected, void *data),
                                void *data)
{
    connection->on_change = on_change;
    connection->on_change_data = data;
}

bool redis_connection_listening(const struct redis_connection *connection)
{
    return connection->listening;
}

bool redis_connection_connected(const struct redis_connection *connection)
{
    return connection->connected;
}

static int add_script(struct redis_connection *connection, struct redis_script *script)
{
    if (connection->script_count == MAX_SCRIPTS)
        return -ENOSPC;
    connection->scripts[connection->script_count++] = script;
    if (connection->connected) {
        const char *argv[] = { "SCRIPT", "LOAD", script->source };
        return redis_connection_command_strings(connection, on_script_loaded, script, 3, argv);
    }
    return 0;
}

int redis_connection_add_scripts(struct redis_connection *connection, struct redis_script *const *scripts, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        int result = add_script(connection, scripts[i]);
        if (result < 0)
            return result;
    }
    return 0;
}

void redis_connection_close(struct redis_connection *connection)
{
    if (!connection || connection->destroying)
        return;
    connection->destroying = true;
    connection->on_change = NULL;
    event_loop_timer_stop(connection->loop, &connection->reconnect_timer);
    event_loop_timer_stop(connection->loop, &connection->watchdog_timer);
    host_lookup_cancel(connection->lookup);
    connection->lookup = NULL;
    drop_connection(connection, "shutting down");
}

void redis_connection_destroy(struct redis_connection *connection)
{
    if (!connection)
        return;
    redis_connection_close(connection);
    event_loop_remove_hook(connection->loop, &connection->write_hook);
    free(connection->password);
    free_channels(connection);
    free(connection);
}
