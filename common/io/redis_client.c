/*
 * redis_client - see redis_client.h.
 *
 * Every command sent is recorded in a FIFO of pending commands. Redis
 * answers in order, so the head is always the oldest command: the watchdog
 * only has to look at the head to enforce the deadline.
 *
 * hiredis frees its context by itself after a failed connect or a lost
 * connection (and calls every pending callback with NULL first). We clear
 * client->context before any free we start ourselves, so a callback that
 * tries to send during that cascade is refused instead of reaching a dying
 * context.
 */
#include "redis_client.h"

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
    struct redis_client *client;
    redis_client_callback callback;
    void *data;
    uint64_t sent_ms;
    /* For an EVALSHA: what is needed to send it again as EVAL on NOSCRIPT. */
    struct redis_script *script;
    int argc;
    char **argv;
    size_t *lengths;
    TAILQ_ENTRY(pending_command) link; /* in client->pending_commands */
};

struct redis_client {
    struct event_loop *loop;
    struct redis_client_config config;
    char host[256];                           /* as REDIS_URL names it */
    char address[HOST_LOOKUP_ADDRESS_LENGTH]; /* what host resolved to last; empty before the first answer */
    struct host_lookup *lookup;               /* resolving host for the next connection attempt, or NULL */
    char location[sizeof("[] ()") + 256 + HOST_LOOKUP_ADDRESS_LENGTH + 6]; /* "host:port (address)", for logs */
    int port;
    char *password;
    char database[16];
    char name[64]; /* CLIENT SETNAME on every connection; empty: none */

    redisAsyncContext *context; /* NULL while disconnected */
    bool connected;
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

    /* A subscriber's channels (none for an ordinary client) and what receives their messages. */
    char *channels[REDIS_CLIENT_MAX_CHANNELS];
    size_t channel_count;
    redis_client_message_callback on_message;
    void *on_message_data;
    bool subscribed; /* SUBSCRIBE sent on this connection: hiredis takes no other command */
};

static void connect_now(struct redis_client *client);
static void drop_connection(struct redis_client *client, const char *reason);

/* ---- event-loop adapter for hiredis (the five hooks of redisAsyncContext.ev) ---- */

static void on_socket_event(struct event_watcher *watcher, uint32_t events)
{
    struct redis_client *client = watcher->data;
    redisAsyncContext *context = client->context;
    if (!context)
        return;
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        redisAsyncHandleRead(context);
    /* The read may have freed the context (connection lost). */
    if (client->context == context && (events & EPOLLOUT))
        redisAsyncHandleWrite(context);
}

static void update_watch(struct redis_client *client, int fd, uint32_t events)
{
    if (client->watcher.registered && client->watcher.fd == fd && client->watcher.events == events)
        return; /* hiredis asks for read interest after every write: nothing to change */
    if (events == 0) {
        event_loop_unwatch(client->loop, &client->watcher);
        return;
    }
    if (event_loop_watch(client->loop, &client->watcher, fd, events, on_socket_event, client) < 0)
        log_event(LOG_ERROR, "redis", "cannot watch the Redis socket");
}

static void adapter_add_read(void *data)
{
    struct redis_client *client = data;
    update_watch(client, client->context ? client->context->c.fd : client->watcher.fd,
                 client->watcher.events | EPOLLIN);
}

static void adapter_del_read(void *data)
{
    struct redis_client *client = data;
    uint32_t events = client->watcher.registered ? client->watcher.events & ~(uint32_t)EPOLLIN : 0;
    update_watch(client, client->watcher.fd, events);
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
    struct redis_client *client = data;
    if (client->connected && !client->writing_deferred) {
        client->write_deferred = true;
        return;
    }
    update_watch(client, client->context ? client->context->c.fd : client->watcher.fd,
                 client->watcher.events | EPOLLOUT);
}

static void adapter_del_write(void *data)
{
    struct redis_client *client = data;
    client->write_deferred = false;
    if (!client->watcher.registered || !(client->watcher.events & EPOLLOUT))
        return;
    update_watch(client, client->watcher.fd, client->watcher.events & ~(uint32_t)EPOLLOUT);
}

static int64_t write_deferred_commands(void *data)
{
    struct redis_client *client = data;
    if (client->write_deferred && client->context) {
        client->write_deferred = false;
        client->writing_deferred = true;
        redisAsyncHandleWrite(client->context); /* may lose the connection, and free the context */
        client->writing_deferred = false;
    }
    return -1;
}

static void adapter_cleanup(void *data)
{
    struct redis_client *client = data;
    event_loop_unwatch(client->loop, &client->watcher);
    client->watcher.events = 0;
    client->write_deferred = false;
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

static void pending_unlink(struct redis_client *client, struct pending_command *command)
{
    TAILQ_REMOVE(&client->pending_commands, command, link);
    client->pending--;
}

static void pending_append(struct redis_client *client, struct pending_command *command)
{
    TAILQ_INSERT_TAIL(&client->pending_commands, command, link);
    client->pending++;
}

static int send_eval_source(struct pending_command *command);

static bool is_noscript(const redisReply *reply)
{
    return reply && reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "NOSCRIPT", 8) == 0;
}

/* Notes (and logs, at most once a second) a command Redis refused because it reached maxmemory. */
static void note_out_of_memory(struct redis_client *client, const redisReply *reply)
{
    /* "OOM command not allowed ...", alone or inside a script's error */
    if (!reply || reply->type != REDIS_REPLY_ERROR || !strstr(reply->str, "OOM command not allowed"))
        return;
    uint64_t now = event_loop_now_ms();
    client->out_of_memory_ms = now;
    client->out_of_memory_replies++;
    if (client->out_of_memory_logged_ms && now - client->out_of_memory_logged_ms < 1000)
        return;
    log_event(LOG_ERROR, "redis-out-of-memory",
              "Redis at %s is out of memory (maxmemory): %lu command(s) refused: %.200s", client->location,
              client->out_of_memory_replies, reply->str);
    client->out_of_memory_logged_ms = now;
    client->out_of_memory_replies = 0;
}

bool redis_client_out_of_memory(const struct redis_client *client)
{
    return client->out_of_memory_ms && event_loop_now_ms() - client->out_of_memory_ms < REDIS_CLIENT_OUT_OF_MEMORY_MS;
}

/* Error prefixes (as in "ERR Error running script ...: @user_script:1: OOM ..." too) of a Redis that may take the same
 * command later. */
static const char *const transient_errors[] = { "OOM ",        "BUSY ",     "LOADING ",  "TRYAGAIN ", "CLUSTERDOWN ",
                                                "MASTERDOWN ", "READONLY ", "MOVED ",    "ASK ",      "NOSCRIPT ",
                                                "NOREPLICAS ", "BUSYKEY ",  "UNBLOCKED " };

int redis_client_reply_status(const redisReply *reply)
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
    struct redis_client *client = command->client;
    redisReply *reply = reply_pointer;
    (void)context;
    pending_unlink(client, command);
    note_out_of_memory(client, reply);
    if (is_noscript(reply) && command->script && !client->destroying) {
        /* The server lost its script cache: send the source once, which also caches it again. */
        if (send_eval_source(command) == 0)
            return;
        reply = NULL;
    }
    command->callback(reply, command->data);
    pending_free(command);
}

static int send_argv(struct redis_client *client, struct pending_command *command, int argc, const char **argv,
                     const size_t *lengths)
{
    if (!client->context || !client->connected)
        return -ENOTCONN;
    if (redisAsyncCommandArgv(client->context, on_reply, command, argc, argv, lengths) != REDIS_OK)
        return -ENOMEM;
    command->sent_ms = event_loop_now_ms();
    pending_append(client, command);
    return 0;
}

static int admit(const struct redis_client *client)
{
    if (client->subscribed)
        return -EBUSY;
    if (!client->context || !client->connected)
        return -ENOTCONN;
    if (client->pending >= client->config.max_pending)
        return -EAGAIN;
    return 0;
}

/* A new command for callback, once the client can take one: 0, -EBUSY/-ENOTCONN/-EAGAIN (see admit()), -ENOMEM. */
static int pending_new(struct redis_client *client, redis_client_callback callback, void *data,
                       struct pending_command **out)
{
    int result = admit(client);
    if (result < 0)
        return result;
    struct pending_command *command = calloc(1, sizeof(*command));
    if (!command)
        return -ENOMEM;
    command->client = client;
    command->callback = callback;
    command->data = data;
    *out = command;
    return 0;
}

int redis_client_command(struct redis_client *client, redis_client_callback callback, void *data, int argc,
                         const char **argv, const size_t *lengths)
{
    struct pending_command *command;
    int result = pending_new(client, callback, data, &command);
    if (result < 0)
        return result;
    result = send_argv(client, command, argc, argv, lengths);
    if (result < 0)
        pending_free(command);
    return result;
}

/* Most NUL-terminated arguments the _strings variants take. */
#define MAX_STRING_ARGUMENTS 32

/* Fills lengths with the lengths of argc NUL-terminated arguments; -EINVAL when there are too many. */
static int measure_arguments(int argc, const char **argv, size_t lengths[MAX_STRING_ARGUMENTS])
{
    if (argc < 0 || argc > MAX_STRING_ARGUMENTS)
        return -EINVAL;
    for (int i = 0; i < argc; i++)
        lengths[i] = strlen(argv[i]);
    return 0;
}

int redis_client_command_strings(struct redis_client *client, redis_client_callback callback, void *data, int argc,
                                 const char **argv)
{
    size_t lengths[MAX_STRING_ARGUMENTS];
    int result = measure_arguments(argc, argv, lengths);
    return result < 0 ? result : redis_client_command(client, callback, data, argc, argv, lengths);
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
    struct redis_client *client = command->client;
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
        result = send_argv(client, command, argc, argv, lengths);
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

int redis_client_eval(struct redis_client *client, struct redis_script *script, redis_client_callback callback,
                      void *data, int key_count, int argc, const char **argv, const size_t *lengths)
{
    struct pending_command *command;
    int result = pending_new(client, callback, data, &command);
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

int redis_client_eval_strings(struct redis_client *client, struct redis_script *script, redis_client_callback callback,
                              void *data, int key_count, int argc, const char **argv)
{
    size_t lengths[MAX_STRING_ARGUMENTS];
    int result = measure_arguments(argc, argv, lengths);
    return result < 0 ? result : redis_client_eval(client, script, callback, data, key_count, argc, argv, lengths);
}

size_t redis_client_pending(const struct redis_client *client)
{
    return client->pending;
}

/* ---- subscriptions ---- */

/* hiredis calls this for the SUBSCRIBE confirmation, for every message, and with NULL when the connection goes. */
static void on_subscription_push(redisAsyncContext *context, void *reply_pointer, void *privdata)
{
    struct redis_client *client = privdata;
    redisReply *reply = reply_pointer;
    (void)context;
    if (!reply || client->destroying || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3)
        return;
    const redisReply *kind = reply->element[0], *payload = reply->element[2];
    const redisReply *channel = reply->element[1];
    if (kind->type == REDIS_REPLY_STRING && strcmp(kind->str, "message") == 0 && payload->type == REDIS_REPLY_STRING
        && channel->type == REDIS_REPLY_STRING)
        client->on_message(channel->str, payload->str, payload->len, client->on_message_data);
}

static void send_subscribe(struct redis_client *client)
{
    const char *argv[1 + REDIS_CLIENT_MAX_CHANNELS] = { "SUBSCRIBE" };
    for (size_t i = 0; i < client->channel_count; i++)
        argv[1 + i] = client->channels[i];
    if (redisAsyncCommandArgv(client->context, on_subscription_push, client, (int)(1 + client->channel_count), argv,
                              NULL)
        == REDIS_OK)
        client->subscribed = true;
    else
        drop_connection(client, "cannot send SUBSCRIBE");
}

static void free_channels(struct redis_client *client)
{
    for (size_t i = 0; i < client->channel_count; i++)
        free(client->channels[i]);
    client->channel_count = 0;
}

int redis_client_subscribe(struct redis_client *client, const char *const *channels, size_t channel_count,
                           redis_client_message_callback on_message, void *data)
{
    if (client->channel_count > 0 || client->pending > 0)
        return -EBUSY;
    if (channel_count == 0 || channel_count > REDIS_CLIENT_MAX_CHANNELS)
        return -EINVAL;
    for (; client->channel_count < channel_count; client->channel_count++) {
        client->channels[client->channel_count] = strdup(channels[client->channel_count]);
        if (!client->channels[client->channel_count]) {
            free_channels(client);
            return -ENOMEM;
        }
    }
    client->on_message = on_message;
    client->on_message_data = data;
    if (client->context && client->connected)
        send_subscribe(client);
    return 0;
}

/* ---- connection life cycle ---- */

static void notify_change(struct redis_client *client, bool connected)
{
    if (client->on_change)
        client->on_change(connected, client->on_change_data);
}

static void on_reconnect_due(struct event_timer *timer)
{
    connect_now(timer->data);
}

static void schedule_reconnect(struct redis_client *client)
{
    if (client->destroying)
        return;
    uint64_t delay = client->reconnect_delay_ms;
    uint32_t jitter = 0;
    if (random_id_fill(&jitter, sizeof(jitter)) < 0)
        jitter = 0;                               /* no randomness to be had: wait half the delay */
    delay = delay / 2 + jitter % (delay / 2 + 1); /* "equal jitter": between half and all of the delay */
    client->reconnect_delay_ms = client->reconnect_delay_ms * 2 > RECONNECT_MAX_DELAY_MS
                                     ? RECONNECT_MAX_DELAY_MS
                                     : client->reconnect_delay_ms * 2;
    event_loop_timer_start(client->loop, &client->reconnect_timer, delay, on_reconnect_due, client);
}

/* The context is gone (hiredis freed it, or we are about to). */
static void connection_lost(struct redis_client *client, const char *reason)
{
    bool was_connected = client->connected;
    client->context = NULL;
    client->connected = false;
    client->subscribed = false;
    if (was_connected && client->destroying) {
        log_event(LOG_INFO, "redis-closed", "closed the connection to Redis at %s", client->location);
    } else if (was_connected) {
        log_event(LOG_WARN, "redis-disconnected", "lost the connection to Redis at %s (%s); reconnecting",
                  client->location, reason);
        notify_change(client, false);
    }
    schedule_reconnect(client); /* not when destroying */
}

static void drop_connection(struct redis_client *client, const char *reason)
{
    redisAsyncContext *context = client->context;
    if (!context)
        return;
    connection_lost(client, reason);
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
static void send_setup_command(struct redis_client *client, redis_client_callback callback, void *data,
                               const char *what, int argc, const char **argv)
{
    int result = redis_client_command_strings(client, callback, data, argc, argv);
    if (result < 0)
        log_event(LOG_ERROR, "redis", "%s could not be sent: %s", what, strerror(-result));
}

static void send_setup_commands(struct redis_client *client)
{
    if (client->password) {
        const char *argv[] = { "AUTH", client->password };
        send_setup_command(client, on_setup_reply, "AUTH", "AUTH", 2, argv);
    }
    if (client->database[0]) {
        const char *argv[] = { "SELECT", client->database };
        send_setup_command(client, on_setup_reply, "SELECT", "SELECT", 2, argv);
    }
    if (client->name[0]) {
        const char *argv[] = { "CLIENT", "SETNAME", client->name };
        send_setup_command(client, on_setup_reply, "CLIENT SETNAME", "CLIENT SETNAME", 3, argv);
    }
    for (size_t i = 0; i < client->script_count; i++) {
        const char *argv[] = { "SCRIPT", "LOAD", client->scripts[i]->source };
        send_setup_command(client, on_script_loaded, client->scripts[i], "SCRIPT LOAD", 3, argv);
    }
    if (client->channel_count > 0)
        send_subscribe(client);
}

static void on_connected(const redisAsyncContext *context, int status)
{
    struct redis_client *client = context->ev.data;
    if (context != client->context)
        return;
    if (status != REDIS_OK) {
        log_event(LOG_WARN, "redis-unavailable", "cannot connect to Redis at %s: %s", client->location,
                  context->errstr);
        connection_lost(client, context->errstr); /* hiredis frees the context after this returns */
        return;
    }
    client->connected = true;
    client->reconnect_delay_ms = RECONNECT_FIRST_DELAY_MS;
    log_event(LOG_INFO, "redis-connected", "connected to Redis at %s", client->location);
    send_setup_commands(client);
    notify_change(client, true);
}

static void on_disconnected(const redisAsyncContext *context, int status)
{
    struct redis_client *client = context->ev.data;
    (void)status;
    if (context == client->context)
        connection_lost(client, context->errstr[0] ? context->errstr : "closed by the server");
}

/* Starts a non-blocking connect to client->address. */
static void connect_to_address(struct redis_client *client)
{
    redisAsyncContext *context = redisAsyncConnect(client->address, client->port);
    if (!context || context->err) {
        log_event(LOG_WARN, "redis-unavailable", "cannot connect to Redis at %s: %s", client->location,
                  context ? context->errstr : "out of memory");
        if (context)
            redisAsyncFree(context);
        schedule_reconnect(client);
        return;
    }
    context->ev.data = client;
    context->ev.addRead = adapter_add_read;
    context->ev.delRead = adapter_del_read;
    context->ev.addWrite = adapter_add_write;
    context->ev.delWrite = adapter_del_write;
    context->ev.cleanup = adapter_cleanup;
    client->context = context;
    client->connect_started_ms = event_loop_now_ms();
    redisAsyncSetConnectCallback(context, on_connected);
    redisAsyncSetDisconnectCallback(context, on_disconnected);
    /* The non-blocking connect completes when the socket becomes writable. */
    adapter_add_write(client);
}

static void describe_location(struct redis_client *client)
{
    bool bracket = strchr(client->host, ':') != NULL; /* an IPv6 literal */
    int length = snprintf(client->location, sizeof(client->location), "%s%s%s:%d", bracket ? "[" : "", client->host,
                          bracket ? "]" : "", client->port);
    if (strcmp(client->host, client->address) != 0 && client->address[0] && length > 0)
        snprintf(client->location + length, sizeof(client->location) - (size_t)length, " (%s)", client->address);
}

static void on_host_resolved(int result, const char *address, const char *reason, void *data)
{
    struct redis_client *client = data;
    client->lookup = NULL;
    if (result < 0) {
        log_event(LOG_WARN, "redis-unavailable", "cannot resolve the Redis host '%s': %s; retrying", client->host,
                  reason);
        schedule_reconnect(client);
        return;
    }
    if (strcmp(address, client->address) != 0) {
        if (client->address[0])
            log_event(LOG_INFO, "redis-address", "the Redis host '%s' now resolves to %s (was %s)", client->host,
                      address, client->address);
        snprintf(client->address, sizeof(client->address), "%s", address);
        describe_location(client);
    }
    connect_to_address(client);
}

/*
 * A connection attempt: a host name is looked up again every time, so that
 * a Redis that moved (a re-created container) is found at its new address.
 */
static void connect_now(struct redis_client *client)
{
    if (client->lookup)
        return;
    if (host_lookup_is_numeric(client->host)) {
        connect_to_address(client);
        return;
    }
    int result = host_lookup_start(client->loop, client->host, client->config.command_timeout_ms, on_host_resolved,
                                   client, &client->lookup);
    if (result < 0) {
        log_event(LOG_WARN, "redis-unavailable", "cannot start resolving the Redis host '%s' (%s); retrying",
                  client->host, strerror(-result));
        schedule_reconnect(client);
    }
}

static void on_watchdog(struct event_timer *timer)
{
    struct redis_client *client = timer->data;
    uint64_t now = event_loop_now_ms();
    uint64_t limit = client->config.command_timeout_ms;
    if (client->context && !client->connected && now - client->connect_started_ms > limit) {
        log_event(LOG_WARN, "redis-unavailable", "connecting to Redis at %s took over %llu ms; retrying",
                  client->location, (unsigned long long)limit);
        drop_connection(client, "connect timed out");
    } else if (!TAILQ_EMPTY(&client->pending_commands)
               && now - TAILQ_FIRST(&client->pending_commands)->sent_ms > limit) {
        drop_connection(client, "a command got no reply in time");
    }
    event_loop_timer_start(client->loop, &client->watchdog_timer, WATCHDOG_INTERVAL_MS, on_watchdog, client);
}

/* ---- set-up and teardown ---- */

/* Splits redis://[:password@]host[:port][/db]; host may be a name, an IPv4 address or an [IPv6] address. */
static int parse_url(struct redis_client *client, const char *url)
{
    const char *prefix = "redis://";
    if (strncmp(url, prefix, strlen(prefix)) != 0)
        return -EINVAL;
    const char *rest = url + strlen(prefix);
    const char *at = strchr(rest, '@');
    if (at) {
        const char *colon = memchr(rest, ':', (size_t)(at - rest));
        const char *secret = colon ? colon + 1 : rest;
        client->password = strndup(secret, (size_t)(at - secret));
        if (!client->password)
            return -ENOMEM;
        rest = at + 1;
    }
    bool bracketed = *rest == '[';
    size_t host_length = bracketed ? strcspn(rest + 1, "]") : strcspn(rest, ":/");
    if (host_length == 0 || host_length >= sizeof(client->host) || (bracketed && rest[1 + host_length] != ']'))
        return -EINVAL;
    memcpy(client->host, rest + bracketed, host_length);
    client->host[host_length] = '\0';
    if (bracketed && !host_lookup_is_numeric(client->host))
        return -EINVAL;
    rest += host_length + (bracketed ? 2 : 0);
    client->port = 6379;
    if (*rest == ':') {
        char *end;
        long port = strtol(rest + 1, &end, 10);
        if (end == rest + 1 || port < 1 || port > 65535)
            return -EINVAL;
        client->port = (int)port;
        rest = end;
    }
    if (*rest == '/' && rest[1]) {
        size_t length = strspn(rest + 1, "0123456789");
        if (length == 0 || length >= sizeof(client->database) || rest[1 + length])
            return -EINVAL;
        memcpy(client->database, rest + 1, length);
    }
    if (*rest == '/' ? rest[1 + strlen(client->database)] != '\0' : *rest != '\0')
        return -EINVAL;
    if (host_lookup_is_numeric(client->host))
        snprintf(client->address, sizeof(client->address), "%.*s", (int)sizeof(client->address) - 1, client->host);
    describe_location(client);
    return 0;
}

int redis_client_create(struct event_loop *loop, const struct redis_client_config *config,
                        struct redis_client **client_out)
{
    struct redis_client *client = calloc(1, sizeof(*client));
    if (!client)
        return -ENOMEM;
    client->loop = loop;
    client->config = *config;
    client->config.name = NULL;
    TAILQ_INIT(&client->pending_commands);
    if (config->name)
        snprintf(client->name, sizeof(client->name), "%s", config->name);
    client->watcher.fd = -1;
    client->reconnect_delay_ms = RECONNECT_FIRST_DELAY_MS;
    int result = parse_url(client, config->url);
    if (result < 0) {
        log_event(LOG_ERROR, "redis", "REDIS_URL '%s' is not redis://[:password@]host[:port][/db]", config->url);
        redis_client_destroy(client);
        return result;
    }
    client->write_hook = (struct event_hook){ .prepare = write_deferred_commands, .data = client };
    event_loop_add_hook(loop, &client->write_hook);
    connect_now(client);
    event_loop_timer_start(loop, &client->watchdog_timer, WATCHDOG_INTERVAL_MS, on_watchdog, client);
    *client_out = client;
    return 0;
}

void redis_client_on_change(struct redis_client *client, void (*on_change)(bool connected, void *data), void *data)
{
    client->on_change = on_change;
    client->on_change_data = data;
}

bool redis_client_connected(const struct redis_client *client)
{
    return client->connected;
}

static int add_script(struct redis_client *client, struct redis_script *script)
{
    if (client->script_count == MAX_SCRIPTS)
        return -ENOSPC;
    client->scripts[client->script_count++] = script;
    if (client->connected) {
        const char *argv[] = { "SCRIPT", "LOAD", script->source };
        return redis_client_command_strings(client, on_script_loaded, script, 3, argv);
    }
    return 0;
}

int redis_client_add_scripts(struct redis_client *client, struct redis_script *const *scripts, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        int result = add_script(client, scripts[i]);
        if (result < 0)
            return result;
    }
    return 0;
}

void redis_client_close(struct redis_client *client)
{
    if (!client || client->destroying)
        return;
    client->destroying = true;
    client->on_change = NULL;
    event_loop_timer_stop(client->loop, &client->reconnect_timer);
    event_loop_timer_stop(client->loop, &client->watchdog_timer);
    host_lookup_cancel(client->lookup);
    client->lookup = NULL;
    drop_connection(client, "shutting down");
}

void redis_client_destroy(struct redis_client *client)
{
    if (!client)
        return;
    redis_client_close(client);
    event_loop_remove_hook(client->loop, &client->write_hook);
    free(client->password);
    free_channels(client);
    free(client);
}
