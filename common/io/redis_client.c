/*
 * redis_client - see redis_client.h.
 *
 * The client owns one "primary" connection, to a seed node: it asks that node
 * what it is (CLUSTER SLOTS), then in a plain Redis carries every command, in
 * a cluster reads the slot map again when needed and carries commands
 * without a key, and in a subscriber carries the subscription. In a cluster
 * every master of the map also gets a connection of its own (nodes[]), made
 * when a map names it and closed when a map no longer does.
 *
 * A command sent in a cluster, or a durable script whose write waits for
 * replicas, travels in a struct routed_command that keeps a copy of its
 * arguments, so that a redirection can send it again; every other command
 * goes to its connection directly.
 */
#include "redis_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include "log.h"
#include "redis_cluster.h"

#define MAX_SCRIPTS 32
/* Delay before a command answered TRYAGAIN, or sent to a node still being connected to, is sent again. */
#define RETRY_DELAY_MS 25
/* How often the slot map is read while the cluster looks healthy (catches a change nothing redirected yet). */
#define HEALTHY_REFRESH_MS 10000
/* Most often the slot map is read, however many commands ask for it (each MOVED, each unreachable master). */
#define MIN_REFRESH_INTERVAL_MS 50
/* A primary connection down this long is replaced by one to the next known node (cluster and detection only). */
#define PRIMARY_DOWN_MS 1000
/* How often detection is tried again after a node answered CLUSTER SLOTS with an error (LOADING, NOAUTH...). */
#define DETECT_RETRY_MS 200

enum client_mode {
    MODE_DETECTING, /* connecting to a seed, or waiting for its CLUSTER SLOTS */
    MODE_PLAIN,     /* one Redis: every command on the primary connection */
    MODE_CLUSTER,   /* commands routed by slot over nodes[] */
    MODE_SUBSCRIBER /* only the primary connection, subscribed */
};

/* A master of the map and the connection to it. */
struct node {
    struct redis_cluster_node address;
    struct redis_connection *connection;
    int replicas; /* its replicas that are not failed, as the last slot map said; -1: not known yet */
};

struct routed_command {
    struct redis_client *client;
    redis_client_callback callback;
    void *data;
    struct redis_script *script; /* NULL: a plain command */
    bool durable;                /* its reply waits for config.wait_replicas replicas (WAIT) */
    int key_count;               /* a script's */
    int argc;
    char **argv; /* copies: a plain command's whole argv, a script's keys and arguments */
    size_t *lengths;
    int slot;                         /* -1: no key, goes to the primary */
    uint64_t deadline_ms;             /* monotonic: after this, no more resending */
    unsigned replicas_wanted;         /* what WAIT asks for: see replicas_to_wait_for() */
    int redirections;                 /* MOVED and ASK followed so far */
    struct redis_connection *sent_to; /* where the last send went (the connection WAIT must follow) */
    redisReply *held_reply;           /* a durable script's reply, kept while WAIT runs */
    struct event_timer retry_timer;   /* armed while the command waits to be sent again */
    TAILQ_ENTRY(routed_command) link; /* in client->waiting while retry_timer is armed */
};

struct redis_client {
    struct event_loop *loop;
    struct redis_client_config config;
    char *url; /* copy of config.url: seeds.password points into it */
    char name[64];
    struct redis_cluster_seeds seeds;
    int next_seed; /* the seed the next replacement primary connects to */
    enum client_mode mode;
    bool destroying;

    struct redis_connection *primary;
    uint64_t primary_down_since_ms; /* monotonic; 0 while the primary is connected */
    bool detect_sent;               /* CLUSTER SLOTS of the detection is awaiting its reply */
    struct event_timer detect_timer;
    struct event_timer primary_timer; /* checks the primary, PRIMARY_DOWN_MS apart */

    struct redis_cluster_slot_map *map; /* cluster only */
    bool map_loaded;
    int node_of_map[REDIS_CLUSTER_MAX_NODES];     /* map->nodes[i] -> index in nodes[]; -1: none */
    int replicas_of_map[REDIS_CLUSTER_MAX_NODES]; /* map->nodes[i]'s replicas that are not failed */
    struct node nodes[REDIS_CLUSTER_MAX_NODES];
    int node_count;
    bool refreshing;                            /* a CLUSTER SLOTS is awaiting its reply */
    bool refresh_again;                         /* something asked for another while it was */
    uint64_t refresh_sent_ms;                   /* monotonic: when the last CLUSTER SLOTS went out */
    char refresh_host[REDIS_CLUSTER_HOST_SIZE]; /* the node it went to */
    struct event_timer refresh_timer;
    struct redis_connection *retired[REDIS_CLUSTER_MAX_NODES]; /* connections no map names any more, closed soon */
    int retired_count;
    struct event_timer reap_timer;

    TAILQ_HEAD(, routed_command) waiting;
    uint64_t unconfirmed_logged_ms; /* when a write the replicas did not confirm was last logged */

    struct redis_script *scripts[MAX_SCRIPTS];
    size_t script_count;

    void (*on_change)(bool connected, void *data);
    void *on_change_data;
    bool reported_connected;
    bool ever_ready; /* redis-ready was logged */

    char *channels[REDIS_CLIENT_MAX_CHANNELS]; /* a subscriber's, for a replacement primary */
    size_t channel_count;
    redis_client_message_callback on_message;
    void *on_message_data;
};

static void request_refresh(struct redis_client *client);
static void on_refresh_due(struct event_timer *timer);
static void deliver(struct routed_command *command, redisReply *reply);
static int dispatch(struct routed_command *command);
static int send_to(struct routed_command *command, struct redis_connection *connection);
static bool retry_later(struct routed_command *command);

/* ---- connection state ---- */

/*
 * Up while every master of the map is connected: every slot can be served. While one is not (a failover under
 * way), the client reports down, so that /health says so and the engine catches up when it is back; commands
 * for the other masters' slots are still sent, and those for the missing master's are refused one by one.
 */
static bool cluster_reachable(const struct redis_client *client)
{
    if (client->node_count == 0)
        return false;
    for (int i = 0; i < client->node_count; i++)
        if (!redis_connection_connected(client->nodes[i].connection))
            return false;
    return true;
}

bool redis_client_connected(const struct redis_client *client)
{
    switch (client->mode) {
    case MODE_PLAIN:
        return redis_connection_connected(client->primary);
    case MODE_SUBSCRIBER:
        return client->primary && redis_connection_listening(client->primary);
    case MODE_CLUSTER:
        return client->map_loaded && cluster_reachable(client);
    default:
        return false;
    }
}

bool redis_client_is_cluster(const struct redis_client *client)
{
    return client->mode == MODE_CLUSTER;
}

/* Logs, once, that the client can take commands (or listens): what a start-up waits for. */
static void log_ready(struct redis_client *client)
{
    const char *who = client->name[0] ? client->name : "redis";
    client->ever_ready = true;
    if (client->mode == MODE_CLUSTER)
        log_event(LOG_INFO, "redis-ready", "%s: ready on a Redis Cluster of %d master(s)", who, client->node_count);
    else
        log_event(LOG_INFO, "redis-ready", "%s: ready on %s Redis at %s:%d", who,
                  client->mode == MODE_SUBSCRIBER ? "(listening)" : "a single", redis_connection_host(client->primary),
                  redis_connection_port(client->primary));
}

/* Calls on_change when what redis_client_connected() says changed since it last did. */
static void report_change(struct redis_client *client)
{
    bool connected = !client->destroying && redis_client_connected(client);
    if (connected == client->reported_connected)
        return;
    client->reported_connected = connected;
    if (connected && !client->ever_ready)
        log_ready(client);
    if (client->on_change)
        client->on_change(connected, client->on_change_data);
}

/* ---- connections ---- */

static void on_connection_change(bool connected, void *data);

static int open_connection(struct redis_client *client, const char *host, int port, const char *database,
                           struct redis_connection **out)
{
    struct redis_connection_config config = {
        .host = host,
        .port = port,
        .password = client->seeds.password,
        .password_length = client->seeds.password_length,
        .database = database,
        .name = client->name[0] ? client->name : NULL,
        .command_timeout_ms = client->config.command_timeout_ms,
        .max_pending = client->config.max_pending,
    };
    struct redis_connection *connection;
    int result = redis_connection_create(client->loop, &config, &connection);
    if (result == 0 && client->script_count > 0)
        result = redis_connection_add_scripts(connection, client->scripts, client->script_count);
    if (result < 0) {
        redis_connection_destroy(connection);
        return result;
    }
    redis_connection_on_change(connection, on_connection_change, client);
    *out = connection;
    return 0;
}

static void reap_retired(struct redis_client *client)
{
    for (int i = 0; i < client->retired_count; i++)
        redis_connection_destroy(client->retired[i]);
    client->retired_count = 0;
}

static void on_reap(struct event_timer *timer)
{
    reap_retired(timer->data);
}

/*
 * Closes connection soon, from a timer: it may be the connection whose reply
 * is being handled. Its pending commands get no reply then.
 */
static void retire_connection(struct redis_client *client, struct redis_connection *connection)
{
    if (client->retired_count == REDIS_CLUSTER_MAX_NODES)
        reap_retired(client); /* cannot happen: at most one map's nodes retire between two reaps */
    redis_connection_on_change(connection, NULL, NULL);
    client->retired[client->retired_count++] = connection;
    event_loop_timer_start(client->loop, &client->reap_timer, 0, on_reap, client);
}

/* The connection to the node host:port, made now if there is none; NULL when the table is full or out of memory. */
static struct node *find_or_add_node(struct redis_client *client, const char *host, int port)
{
    for (int i = 0; i < client->node_count; i++)
        if (client->nodes[i].address.port == port && strcmp(client->nodes[i].address.host, host) == 0)
            return &client->nodes[i];
    if (client->node_count == REDIS_CLUSTER_MAX_NODES)
        return NULL;
    struct node *node = &client->nodes[client->node_count];
    snprintf(node->address.host, sizeof(node->address.host), "%s", host);
    node->address.port = port;
    node->replicas = -1;
    if (open_connection(client, host, port, NULL, &node->connection) < 0)
        return NULL;
    client->node_count++;
    return node;
}

/* ---- routing ---- */

/* The connection that serves slot, or NULL when the map names no node for it. */
static struct redis_connection *connection_for_slot(struct redis_client *client, int slot)
{
    if (slot < 0)
        return client->primary;
    int map_node = client->map->node_of_slot[slot];
    if (map_node == 0 || client->node_of_map[map_node - 1] < 0)
        return NULL;
    return client->nodes[client->node_of_map[map_node - 1]].connection;
}

/* Commands that name no key in argv[1]; they go to the primary connection. */
static bool takes_no_key(const char *name, size_t length)
{
    static const char *const keyless[] = { "PING", "INFO",   "CLUSTER",  "SCRIPT",  "CLIENT",   "CONFIG",
                                           "WAIT", "TIME",   "DBSIZE",   "PUBLISH", "FLUSHALL", "FLUSHDB",
                                           "ECHO", "MEMORY", "LASTSAVE", "SLOWLOG", "COMMAND",  "ROLE" };
    for (size_t i = 0; i < sizeof(keyless) / sizeof(keyless[0]); i++)
        if (strlen(keyless[i]) == length && strncasecmp(name, keyless[i], length) == 0)
            return true;
    return false;
}

/* Whether name (length bytes) is one of the commands that run a script: EVAL <script> <numkeys> <key>... */
static bool runs_script(const char *name, size_t length)
{
    return (length == 4 && strncasecmp(name, "EVAL", 4) == 0) || (length == 7 && strncasecmp(name, "EVALSHA", 7) == 0);
}

/* The slot of a command's first key: argv[1], or a script's first key; -1 for a command without a key. */
static int command_slot(int argc, const char **argv, const size_t *lengths)
{
    if (argc < 2 || takes_no_key(argv[0], lengths[0]))
        return -1;
    if (!runs_script(argv[0], lengths[0]))
        return redis_cluster_key_slot(argv[1], lengths[1]);
    if (argc < 4 || lengths[2] == 0 || argv[2][0] == '0')
        return -1;
    return redis_cluster_key_slot(argv[3], lengths[3]);
}

/* ---- routed commands ---- */

/*
 * A deep copy of reply, which hiredis frees when its callback returns; freeReplyObject() frees it (hiredis 0.14
 * allocates replies with malloc too). NULL when out of memory.
 */
static redisReply *copy_reply(const redisReply *reply)
{
    redisReply *copy = calloc(1, sizeof(*copy));
    if (!copy)
        return NULL;
    copy->type = reply->type;
    copy->integer = reply->integer;
    if (reply->str) {
        copy->str = malloc(reply->len + 1);
        if (!copy->str)
            goto fail;
        memcpy(copy->str, reply->str, reply->len);
        copy->str[reply->len] = '\0';
        copy->len = reply->len;
    }
    if (reply->elements > 0) {
        copy->element = calloc(reply->elements, sizeof(*copy->element));
        if (!copy->element)
            goto fail;
        for (; copy->elements < reply->elements; copy->elements++) {
            copy->element[copy->elements] = copy_reply(reply->element[copy->elements]);
            if (!copy->element[copy->elements])
                goto fail;
        }
    }
    return copy;
fail:
    freeReplyObject(copy);
    return NULL;
}

static void routed_free(struct routed_command *command)
{
    for (int i = 0; command->argv && i < command->argc; i++)
        free(command->argv[i]);
    free(command->argv);
    free(command->lengths);
    freeReplyObject(command->held_reply);
    free(command);
}

static int routed_new(struct redis_client *client, redis_client_callback callback, void *data, int argc,
                      const char **argv, const size_t *lengths, struct routed_command **out)
{
    struct routed_command *command = calloc(1, sizeof(*command));
    if (!command)
        return -ENOMEM;
    command->client = client;
    command->callback = callback;
    command->data = data;
    command->deadline_ms = event_loop_now_ms() + client->config.command_timeout_ms;
    if (argc > 0) {
        command->argv = calloc((size_t)argc, sizeof(*command->argv));
        command->lengths = calloc((size_t)argc, sizeof(*command->lengths));
        if (!command->argv || !command->lengths)
            goto fail;
    }
    for (; command->argc < argc; command->argc++) {
        char *copy = malloc(lengths[command->argc] + 1);
        if (!copy)
            goto fail;
        memcpy(copy, argv[command->argc], lengths[command->argc]);
        copy[lengths[command->argc]] = '\0';
        command->argv[command->argc] = copy;
        command->lengths[command->argc] = lengths[command->argc];
    }
    *out = command;
    return 0;
fail:
    routed_free(command);
    return -ENOMEM;
}

/* Passes reply (or NULL) to the command's caller and frees the command. */
static void deliver(struct routed_command *command, redisReply *reply)
{
    command->callback(reply, command->data);
    routed_free(command);
}

static void on_retry_due(struct event_timer *timer)
{
    struct routed_command *command = timer->data;
    struct redis_client *client = command->client;
    TAILQ_REMOVE(&client->waiting, command, link);
    int result = dispatch(command);
    if (result == 0)
        return;
    /* A node met just now (MOVED or ASK to a new master) may take more than one delay to connect to. */
    struct redis_connection *target = client->mode == MODE_CLUSTER ? connection_for_slot(client, command->slot) : NULL;
    if (result == -ENOTCONN && target && !redis_connection_ever_connected(target) && retry_later(command))
        return;
    deliver(command, NULL);
}

/* Sends command again after RETRY_DELAY_MS; false (nothing done) when that would pass its deadline. */
static bool retry_later(struct routed_command *command)
{
    struct redis_client *client = command->client;
    if (client->destroying || event_loop_now_ms() + RETRY_DELAY_MS >= command->deadline_ms)
        return false;
    TAILQ_INSERT_TAIL(&client->waiting, command, link);
    event_loop_timer_start(client->loop, &command->retry_timer, RETRY_DELAY_MS, on_retry_due, command);
    return true;
}

static void on_wait_reply(redisReply *reply, void *data)
{
    struct routed_command *command = data;
    struct redis_client *client = command->client;
    unsigned wanted = command->replicas_wanted;
    if (reply && reply->type == REDIS_REPLY_INTEGER && reply->integer >= (long long)wanted) {
        deliver(command, command->held_reply);
        return;
    }
    request_refresh(client); /* a replica may have failed: the map says how many are left */
    uint64_t now = event_loop_now_ms();
    if (!client->unconfirmed_logged_ms || now - client->unconfirmed_logged_ms >= 1000) {
        log_event(LOG_WARN, "redis-unconfirmed",
                  "a write reached %lld of the %u replica(s) it waits for in time; answered as failed",
                  reply && reply->type == REDIS_REPLY_INTEGER ? reply->integer : 0, wanted);
        client->unconfirmed_logged_ms = now;
    }
    deliver(command, NULL);
}

/*
 * How many replicas a durable write on connection waits for: REDIS_WAIT_REPLICAS, or, in a cluster, as many as
 * its master has when the slot map names fewer (failed replicas are not named). A master with fewer replicas
 * than that cannot lose the write to a failover: a replica that attaches later copies everything, and without a
 * replica there is no failover. So after a failover the new master, which has no replica until one attaches,
 * takes writes at once instead of refusing them all.
 */
static unsigned replicas_to_wait_for(const struct redis_client *client, const struct redis_connection *connection)
{
    unsigned wanted = client->config.wait_replicas;
    for (int i = 0; client->mode == MODE_CLUSTER && i < client->node_count; i++)
        if (client->nodes[i].connection == connection && client->nodes[i].replicas >= 0
            && (unsigned)client->nodes[i].replicas < wanted)
            return (unsigned)client->nodes[i].replicas;
    return wanted;
}

/* A durable write's reply: kept until WAIT says enough replicas have the write. */
static void wait_for_replicas(struct routed_command *command, redisReply *reply)
{
    struct redis_client *client = command->client;
    command->replicas_wanted = replicas_to_wait_for(client, command->sent_to);
    if (command->replicas_wanted == 0) {
        deliver(command, reply);
        return;
    }
    uint64_t now = event_loop_now_ms();
    char replicas[16], timeout[24];
    snprintf(replicas, sizeof(replicas), "%u", command->replicas_wanted);
    snprintf(timeout, sizeof(timeout), "%llu",
             (unsigned long long)(command->deadline_ms > now + 1 ? command->deadline_ms - now : 1));
    command->held_reply = copy_reply(reply);
    const char *argv[] = { "WAIT", replicas, timeout };
    if (!command->held_reply || redis_connection_command_strings(command->sent_to, on_wait_reply, command, 3, argv) < 0)
        deliver(command, NULL);
}

/* The host a redirection names, or the host of the node that answered when it names none. */
static void complete_target(struct routed_command *command, struct redis_cluster_redirect *redirect)
{
    if (!redirect->target.host[0])
        snprintf(redirect->target.host, sizeof(redirect->target.host), "%s", redis_connection_host(command->sent_to));
}

/* Follows a MOVED: the map learns it, the command goes there. False when it cannot be sent. */
static bool follow_moved(struct routed_command *command, struct redis_cluster_redirect *redirect)
{
    struct redis_client *client = command->client;
    complete_target(command, redirect);
    if (redis_cluster_slot_map_apply_moved(client->map, redirect) < 0)
        return false;
    struct node *node = find_or_add_node(client, redirect->target.host, redirect->target.port);
    if (!node)
        return false;
    for (int i = 0; i < client->map->node_count; i++)
        if (client->map->nodes[i].port == node->address.port
            && strcmp(client->map->nodes[i].host, node->address.host) == 0)
            client->node_of_map[i] = (int)(node - client->nodes);
    request_refresh(client);
    command->slot = redirect->slot; /* the node's word for it, whatever the first guess was */
    if (send_to(command, node->connection) == 0)
        return true;
    /* A node met just now is still being connected to: wait for it, within the deadline. */
    return !redis_connection_ever_connected(node->connection) && retry_later(command);
}

static void on_asking_reply(redisReply *reply, void *data)
{
    (void)reply;
    (void)data;
}

/* Follows an ASK: ASKING then the command to the importing node, once. False when it cannot be sent. */
static bool follow_ask(struct routed_command *command, struct redis_cluster_redirect *redirect);

static void on_routed_reply(redisReply *reply, void *data)
{
    struct routed_command *command = data;
    struct redis_client *client = command->client;
    struct redis_cluster_reply_facts facts = {
        .cluster = client->mode == MODE_CLUSTER && !client->destroying,
        .no_reply = !reply,
        .error = reply && reply->type == REDIS_REPLY_ERROR ? reply->str : NULL,
        .durable_wait = command->durable && !client->destroying,
        .redirections = command->redirections,
        .now_ms = event_loop_now_ms(),
        .deadline_ms = command->deadline_ms,
        .retry_delay_ms = RETRY_DELAY_MS,
    };
    struct redis_cluster_redirect redirect;
    switch (redis_cluster_next_action(&facts, &redirect)) {
    case REDIS_CLUSTER_FOLLOW_MOVED:
        command->redirections++;
        if (follow_moved(command, &redirect))
            return;
        break;
    case REDIS_CLUSTER_FOLLOW_ASK:
        command->redirections++;
        if (follow_ask(command, &redirect))
            return;
        break;
    case REDIS_CLUSTER_RETRY_LATER:
        if (retry_later(command))
            return;
        break;
    case REDIS_CLUSTER_WAIT_REPLICAS:
        wait_for_replicas(command, reply);
        return;
    case REDIS_CLUSTER_DELIVER_AND_REFRESH:
        request_refresh(client);
        break;
    case REDIS_CLUSTER_DELIVER:
        break;
    }
    deliver(command, reply);
}

/* Sends command to connection: its script by EVALSHA, or its plain arguments. */
static int send_to(struct routed_command *command, struct redis_connection *connection)
{
    command->sent_to = connection;
    if (!command->script)
        return redis_connection_command(connection, on_routed_reply, command, command->argc,
                                        (const char **)command->argv, command->lengths);
    return redis_connection_eval(connection, command->script, on_routed_reply, command, command->key_count,
                                 command->argc, (const char **)command->argv, command->lengths);
}

static bool follow_ask(struct routed_command *command, struct redis_cluster_redirect *redirect)
{
    struct redis_client *client = command->client;
    complete_target(command, redirect);
    struct node *node = find_or_add_node(client, redirect->target.host, redirect->target.port);
    if (!node)
        return false;
    /* A node met just now is still being connected to: ask its slot's owner again soon, within the deadline. */
    if (!redis_connection_connected(node->connection))
        return !redis_connection_ever_connected(node->connection) && retry_later(command);
    const char *asking[] = { "ASKING" };
    if (redis_connection_command_strings(node->connection, on_asking_reply, NULL, 1, asking) < 0)
        return false;
    return send_to(command, node->connection) == 0;
}

/* Sends command to the connection of its slot now. 0, or what the connection refused with (-ENOTCONN, ...). */
static int dispatch(struct routed_command *command)
{
    struct redis_client *client = command->client;
    struct redis_connection *connection =
        client->mode == MODE_CLUSTER ? connection_for_slot(client, command->slot) : client->primary;
    if (!connection)
        return -ENOTCONN;
    return send_to(command, connection);
}

/* Whether the client takes commands now: 0, -EBUSY (a subscriber) or -ENOTCONN. */
static int admit(const struct redis_client *client)
{
    if (client->mode == MODE_SUBSCRIBER)
        return -EBUSY;
    if (client->destroying || (client->mode != MODE_PLAIN && client->mode != MODE_CLUSTER))
        return -ENOTCONN;
    return 0;
}

/* Sends a new routed command; on failure it is freed and its callback never called. */
static int send_new(struct routed_command *command)
{
    int result = dispatch(command);
    if (result < 0) {
        if (result == -ENOTCONN && command->client->mode == MODE_CLUSTER)
            request_refresh(command->client);
        routed_free(command);
    }
    return result;
}

/* Sends a plain command, durable or not (see redis_client_durable_command_strings()). */
static int send_command(struct redis_client *client, redis_client_callback callback, void *data, int argc,
                        const char **argv, const size_t *lengths, bool durable)
{
    int result = admit(client);
    if (result < 0)
        return result;
    bool waits = durable && client->config.wait_replicas > 0;
    if (client->mode == MODE_PLAIN && !waits)
        return redis_connection_command(client->primary, callback, data, argc, argv, lengths);
    struct routed_command *command;
    result = routed_new(client, callback, data, argc, argv, lengths, &command);
    if (result < 0)
        return result;
    command->durable = waits;
    command->slot = command_slot(argc, argv, lengths);
    return send_new(command);
}

int redis_client_command(struct redis_client *client, redis_client_callback callback, void *data, int argc,
                         const char **argv, const size_t *lengths)
{
    return send_command(client, callback, data, argc, argv, lengths, false);
}

int redis_client_command_strings(struct redis_client *client, redis_client_callback callback, void *data, int argc,
                                 const char **argv)
{
    size_t lengths[REDIS_CONNECTION_MAX_STRINGS];
    int result = redis_connection_measure_arguments(argc, argv, lengths);
    return result < 0 ? result : redis_client_command(client, callback, data, argc, argv, lengths);
}

int redis_client_durable_command_strings(struct redis_client *client, redis_client_callback callback, void *data,
                                         int argc, const char **argv)
{
    size_t lengths[REDIS_CONNECTION_MAX_STRINGS];
    int result = redis_connection_measure_arguments(argc, argv, lengths);
    return result < 0 ? result : send_command(client, callback, data, argc, argv, lengths, true);
}

int redis_client_eval(struct redis_client *client, struct redis_script *script, redis_client_callback callback,
                      void *data, int key_count, int argc, const char **argv, const size_t *lengths)
{
    int result = admit(client);
    if (result < 0)
        return result;
    bool waits = script->durable && client->config.wait_replicas > 0;
    if (client->mode == MODE_PLAIN && !waits)
        return redis_connection_eval(client->primary, script, callback, data, key_count, argc, argv, lengths);
    struct routed_command *command;
    result = routed_new(client, callback, data, argc, argv, lengths, &command);
    if (result < 0)
        return result;
    command->script = script;
    command->durable = waits;
    command->key_count = key_count;
    command->slot = key_count > 0 ? redis_cluster_key_slot(argv[0], lengths[0]) : -1;
    return send_new(command);
}

int redis_client_eval_strings(struct redis_client *client, struct redis_script *script, redis_client_callback callback,
                              void *data, int key_count, int argc, const char **argv)
{
    size_t lengths[REDIS_CONNECTION_MAX_STRINGS];
    int result = redis_connection_measure_arguments(argc, argv, lengths);
    return result < 0 ? result : redis_client_eval(client, script, callback, data, key_count, argc, argv, lengths);
}

int redis_client_reply_status(const redisReply *reply)
{
    return redis_connection_reply_status(reply);
}

size_t redis_client_pending(const struct redis_client *client)
{
    size_t pending = client->primary ? redis_connection_pending(client->primary) : 0;
    for (int i = 0; i < client->node_count; i++)
        pending += redis_connection_pending(client->nodes[i].connection);
    return pending;
}

bool redis_client_out_of_memory(const struct redis_client *client)
{
    if (client->primary && redis_connection_out_of_memory(client->primary))
        return true;
    for (int i = 0; i < client->node_count; i++)
        if (redis_connection_out_of_memory(client->nodes[i].connection))
            return true;
    return false;
}

/* ---- the slot map ---- */

/*
 * Reads one CLUSTER SLOTS entry, [first, last, [host, port, id, ...], replicas...], into map. A host that is
 * empty or "?" (a node that does not know its own address) is the host of the node asked.
 */
static int read_slot_range(struct redis_cluster_slot_map *map, int replicas_of_map[REDIS_CLUSTER_MAX_NODES],
                           const redisReply *entry, const char *asked_host)
{
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 3 || entry->element[0]->type != REDIS_REPLY_INTEGER
        || entry->element[1]->type != REDIS_REPLY_INTEGER || entry->element[2]->type != REDIS_REPLY_ARRAY)
        return -EPROTO;
    const redisReply *master = entry->element[2];
    if (master->elements < 2 || master->element[0]->type != REDIS_REPLY_STRING
        || master->element[1]->type != REDIS_REPLY_INTEGER)
        return -EPROTO;
    const char *host = master->element[0]->str;
    if (host[0] == '\0' || strcmp(host, "?") == 0)
        host = asked_host;
    int first = (int)entry->element[0]->integer;
    int result = redis_cluster_slot_map_assign(map, first, (int)entry->element[1]->integer, host,
                                               (int)master->element[1]->integer);
    if (result < 0)
        return -EPROTO;
    replicas_of_map[map->node_of_slot[first] - 1] = (int)entry->elements - 3; /* the entries after the master */
    return 0;
}

/* Reads a CLUSTER SLOTS reply into map, and each master's replicas (those not failed) into replicas_of_map. */
static int read_slot_map(struct redis_cluster_slot_map *map, int replicas_of_map[REDIS_CLUSTER_MAX_NODES],
                         const redisReply *reply, const char *asked_host)
{
    if (reply->type != REDIS_REPLY_ARRAY)
        return -EPROTO;
    redis_cluster_slot_map_init(map);
    for (size_t i = 0; i < reply->elements; i++) {
        int result = read_slot_range(map, replicas_of_map, reply->element[i], asked_host);
        if (result < 0)
            return result;
    }
    return 0;
}

/* Records a master's replicas from a new map, and says when it has fewer than REDIS_WAIT_REPLICAS asks for. */
static void note_replicas(struct redis_client *client, struct node *node, int replicas)
{
    unsigned wanted = client->config.wait_replicas;
    if (replicas != node->replicas && (unsigned)replicas < wanted)
        log_event(LOG_WARN, "redis-replicas",
                  "the master at %s:%d has %d replica(s) now, fewer than REDIS_WAIT_REPLICAS (%u): its writes wait "
                  "for %d",
                  node->address.host, node->address.port, replicas, wanted, replicas);
    node->replicas = replicas;
}

/* Connections to the map's masters (made where missing); connections to nodes it no longer names retire. */
static void connect_to_masters(struct redis_client *client)
{
    bool named[REDIS_CLUSTER_MAX_NODES] = { false };
    for (int i = 0; i < client->map->node_count; i++) {
        const struct redis_cluster_node *address = &client->map->nodes[i];
        struct node *node = find_or_add_node(client, address->host, address->port);
        client->node_of_map[i] = node ? (int)(node - client->nodes) : -1;
        if (node)
            named[node - client->nodes] = true;
    }
    int kept = 0;
    for (int i = 0; i < client->node_count; i++) {
        if (!named[i]) {
            retire_connection(client, client->nodes[i].connection);
            continue;
        }
        for (int j = 0; j < client->map->node_count; j++)
            if (client->node_of_map[j] == i) {
                client->node_of_map[j] = kept;
                note_replicas(client, &client->nodes[i], client->replicas_of_map[j]);
            }
        client->nodes[kept++] = client->nodes[i];
    }
    client->node_count = kept;
}

static void describe_map(const struct redis_client *client, char *text, size_t size)
{
    size_t used = 0;
    text[0] = '\0';
    for (int i = 0; i < client->map->node_count && used + 1 < size; i++) {
        int slots = 0;
        for (int slot = 0; slot < REDIS_CLUSTER_SLOTS; slot++)
            slots += client->map->node_of_slot[slot] == i + 1;
        int written = snprintf(text + used, size - used, "%s%s:%d (%d slots)", i ? ", " : "",
                               client->map->nodes[i].host, client->map->nodes[i].port, slots);
        used += written > 0 ? (size_t)written : 0;
    }
}

/* Whether the map's masters differ from those of before (the same nodes in the same order). */
static bool masters_changed(const struct redis_cluster_slot_map *before, const struct redis_cluster_slot_map *after)
{
    if (before->node_count != after->node_count)
        return true;
    for (int i = 0; i < before->node_count; i++)
        if (before->nodes[i].port != after->nodes[i].port || strcmp(before->nodes[i].host, after->nodes[i].host) != 0)
            return true;
    return false;
}

/* Takes the new map from a CLUSTER SLOTS reply. -EPROTO for a reply that is not a slot map. */
static int apply_slot_map(struct redis_client *client, const redisReply *reply, const char *asked_host)
{
    struct redis_cluster_slot_map *map = malloc(sizeof(*map));
    if (!map)
        return -ENOMEM;
    int replicas_of_map[REDIS_CLUSTER_MAX_NODES] = { 0 };
    int result = read_slot_map(map, replicas_of_map, reply, asked_host);
    if (result < 0) {
        free(map);
        return result;
    }
    memcpy(client->replicas_of_map, replicas_of_map, sizeof(replicas_of_map));
    bool changed = !client->map_loaded || masters_changed(client->map, map);
    free(client->map);
    client->map = map;
    client->map_loaded = true;
    connect_to_masters(client);
    if (changed) {
        char text[1024];
        describe_map(client, text, sizeof(text));
        log_event(LOG_INFO, "redis-cluster", "Redis Cluster slot map: %d master(s): %s", client->map->node_count, text);
    }
    return 0;
}

/*
 * Whether the map should be read often: a master is not reachable now (a failover may be under way), or has fewer
 * replicas than REDIS_WAIT_REPLICAS asks for (one that attaches is then waited for at once).
 */
static bool degraded(const struct redis_client *client)
{
    if (!client->map_loaded)
        return true;
    for (int i = 0; i < client->node_count; i++) {
        const struct node *node = &client->nodes[i];
        if (!redis_connection_connected(node->connection))
            return true;
        if (node->replicas >= 0 && (unsigned)node->replicas < client->config.wait_replicas)
            return true;
    }
    return false;
}

static void schedule_refresh(struct redis_client *client)
{
    event_loop_timer_start(client->loop, &client->refresh_timer,
                           degraded(client) ? REDIS_CLIENT_DEGRADED_REFRESH_MS : HEALTHY_REFRESH_MS, on_refresh_due,
                           client);
}

static void on_slots_refreshed(redisReply *reply, void *data)
{
    struct redis_client *client = data;
    client->refreshing = false;
    if (client->destroying)
        return;
    if (reply && reply->type == REDIS_REPLY_ARRAY) {
        if (apply_slot_map(client, reply, client->refresh_host) < 0)
            log_event(LOG_WARN, "redis-cluster", "CLUSTER SLOTS answered something that is not a slot map");
    }
    report_change(client);
    if (client->refresh_again) {
        client->refresh_again = false;
        request_refresh(client);
        return;
    }
    schedule_refresh(client);
}

/* The connection a refresh asks: the primary if it is up, else any master's that is. */
static struct redis_connection *refresh_connection(struct redis_client *client)
{
    if (redis_connection_connected(client->primary))
        return client->primary;
    for (int i = 0; i < client->node_count; i++)
        if (redis_connection_connected(client->nodes[i].connection))
            return client->nodes[i].connection;
    return NULL;
}

/* Reads the slot map again now, or as soon as the one being read arrives. */
static void request_refresh(struct redis_client *client)
{
    if (client->mode != MODE_CLUSTER || client->destroying)
        return;
    if (client->refreshing) {
        client->refresh_again = true;
        return;
    }
    uint64_t now = event_loop_now_ms();
    if (now - client->refresh_sent_ms < MIN_REFRESH_INTERVAL_MS) {
        event_loop_timer_start(client->loop, &client->refresh_timer,
                               MIN_REFRESH_INTERVAL_MS - (now - client->refresh_sent_ms), on_refresh_due, client);
        return;
    }
    struct redis_connection *connection = refresh_connection(client);
    const char *argv[] = { "CLUSTER", "SLOTS" };
    if (connection && redis_connection_command_strings(connection, on_slots_refreshed, client, 2, argv) == 0) {
        client->refreshing = true;
        client->refresh_sent_ms = now;
        snprintf(client->refresh_host, sizeof(client->refresh_host), "%s", redis_connection_host(connection));
        event_loop_timer_stop(client->loop, &client->refresh_timer);
        return;
    }
    schedule_refresh(client);
}

static void on_refresh_due(struct event_timer *timer)
{
    request_refresh(timer->data);
}

/* ---- detection and the primary connection ---- */

static void detect(struct redis_client *client);

static void on_detect_due(struct event_timer *timer)
{
    detect(timer->data);
}

static void become_cluster(struct redis_client *client, const redisReply *reply)
{
    client->mode = MODE_CLUSTER;
    int result = apply_slot_map(client, reply, redis_connection_host(client->primary));
    if (result < 0) {
        log_event(LOG_ERROR, "redis-cluster", "cannot read the cluster's slot map (%s); retrying", strerror(-result));
        client->mode = MODE_DETECTING;
        event_loop_timer_start(client->loop, &client->detect_timer, DETECT_RETRY_MS, on_detect_due, client);
        return;
    }
    schedule_refresh(client);
}

static void on_detected(redisReply *reply, void *data)
{
    struct redis_client *client = data;
    client->detect_sent = false;
    if (client->destroying || client->mode != MODE_DETECTING)
        return;
    if (reply && reply->type == REDIS_REPLY_ERROR && strstr(reply->str, "cluster support disabled")) {
        client->mode = MODE_PLAIN;
        log_event(LOG_INFO, "redis-mode", "Redis at %s:%d is a single Redis (not a cluster)",
                  redis_connection_host(client->primary), redis_connection_port(client->primary));
    } else if (reply && reply->type == REDIS_REPLY_ARRAY) {
        become_cluster(client, reply);
    } else {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            log_event(LOG_WARN, "redis-mode", "CLUSTER SLOTS answered %s; asking again", reply->str);
        event_loop_timer_start(client->loop, &client->detect_timer, DETECT_RETRY_MS, on_detect_due, client);
    }
    report_change(client);
}

/* Asks the primary whether it is a cluster (its slot map) or a plain Redis. */
static void detect(struct redis_client *client)
{
    if (client->mode != MODE_DETECTING || client->detect_sent || !redis_connection_connected(client->primary))
        return;
    const char *argv[] = { "CLUSTER", "SLOTS" };
    if (redis_connection_command_strings(client->primary, on_detected, client, 2, argv) == 0)
        client->detect_sent = true;
    else
        event_loop_timer_start(client->loop, &client->detect_timer, DETECT_RETRY_MS, on_detect_due, client);
}

static void on_subscribed_message(const char *channel, const char *message, size_t length, void *data)
{
    struct redis_client *client = data;
    client->on_message(channel, message, length, client->on_message_data);
}

/* Opens the primary connection to seed index (and subscribes it for a subscriber). */
static int open_primary(struct redis_client *client, int seed)
{
    const struct redis_cluster_node *address = &client->seeds.seeds[seed];
    int result = open_connection(client, address->host, address->port, client->seeds.database, &client->primary);
    if (result == 0 && client->channel_count > 0)
        result = redis_connection_subscribe(client->primary, (const char *const *)client->channels,
                                            client->channel_count, on_subscribed_message, client);
    client->next_seed = (seed + 1) % client->seeds.count;
    client->primary_down_since_ms = event_loop_now_ms();
    return result;
}

/*
 * A primary connection down for PRIMARY_DOWN_MS moves to the next seed: its node may be gone for good. Checked
 * only with several seeds, and no more once the first answered that it is a plain Redis, whose one node is waited
 * for instead (so an idle client of one node has no timer to wake it).
 */
static void on_primary_check(struct event_timer *timer)
{
    struct redis_client *client = timer->data;
    uint64_t now = event_loop_now_ms();
    if (client->mode == MODE_PLAIN)
        return;
    event_loop_timer_start(client->loop, &client->primary_timer, PRIMARY_DOWN_MS / 2, on_primary_check, client);
    if (redis_connection_connected(client->primary) || now - client->primary_down_since_ms < PRIMARY_DOWN_MS)
        return;
    struct redis_connection *old = client->primary;
    client->primary = NULL;
    client->detect_sent = false;
    if (open_primary(client, client->next_seed) < 0) {
        redis_connection_destroy(client->primary);
        client->primary = old; /* try again on the next check */
        return;
    }
    log_event(LOG_WARN, "redis-unavailable", "Redis at %s:%d did not answer for %d ms; trying %s:%d",
              redis_connection_host(old), redis_connection_port(old), PRIMARY_DOWN_MS,
              redis_connection_host(client->primary), redis_connection_port(client->primary));
    redis_connection_destroy(old);
}

static void on_connection_change(bool connected, void *data)
{
    struct redis_client *client = data;
    if (client->destroying)
        return;
    if (!connected && client->primary && !redis_connection_connected(client->primary)
        && client->primary_down_since_ms == 0)
        client->primary_down_since_ms = event_loop_now_ms();
    if (client->primary && redis_connection_connected(client->primary))
        client->primary_down_since_ms = 0;
    if (client->mode == MODE_DETECTING)
        detect(client);
    else if (client->mode == MODE_CLUSTER && !connected)
        request_refresh(client); /* a master may be gone: find its replacement */
    report_change(client);
}

/* ---- set-up and teardown ---- */

int redis_client_create(struct event_loop *loop, const struct redis_client_config *config,
                        struct redis_client **client_out)
{
    struct redis_client *client = calloc(1, sizeof(*client));
    if (!client)
        return -ENOMEM;
    client->loop = loop;
    client->config = *config;
    client->config.name = NULL;
    client->config.url = NULL;
    TAILQ_INIT(&client->waiting);
    if (config->name)
        snprintf(client->name, sizeof(client->name), "%s", config->name);
    client->url = strdup(config->url ? config->url : "");
    client->map = calloc(1, sizeof(*client->map));
    int result = client->url && client->map ? 0 : -ENOMEM;
    if (result == 0 && redis_cluster_parse_seeds(client->url, &client->seeds) < 0) {
        log_event(LOG_ERROR, "redis", "REDIS_URL '%s' is not redis://[:password@]host[:port][,host[:port]...][/db]",
                  config->url);
        result = -EINVAL;
    }
    if (result == 0)
        result = open_primary(client, 0);
    if (result < 0) {
        redis_client_destroy(client);
        return result;
    }
    if (client->seeds.count > 1)
        event_loop_timer_start(loop, &client->primary_timer, PRIMARY_DOWN_MS / 2, on_primary_check, client);
    *client_out = client;
    return 0;
}

void redis_client_on_change(struct redis_client *client, void (*on_change)(bool connected, void *data), void *data)
{
    client->on_change = on_change;
    client->on_change_data = data;
}

int redis_client_add_scripts(struct redis_client *client, struct redis_script *const *scripts, size_t count)
{
    if (client->script_count + count > MAX_SCRIPTS)
        return -ENOSPC;
    for (size_t i = 0; i < count; i++)
        client->scripts[client->script_count++] = scripts[i];
    int result = redis_connection_add_scripts(client->primary, scripts, count);
    for (int i = 0; result == 0 && i < client->node_count; i++)
        result = redis_connection_add_scripts(client->nodes[i].connection, scripts, count);
    return result;
}

static void free_channels(struct redis_client *client)
{
    for (size_t i = 0; i < client->channel_count; i++)
        free(client->channels[i]);
    client->channel_count = 0;
}

/*
 * A subscriber needs a connection of its own (hiredis takes no other command on a subscribed one): the primary is
 * replaced by a new connection to the same seed, which subscribes as soon as it is up. Connections to a
 * cluster's masters, if the client found them already, close.
 */
int redis_client_subscribe(struct redis_client *client, const char *const *channels, size_t channel_count,
                           redis_client_message_callback on_message, void *data)
{
    if (client->destroying || client->mode == MODE_SUBSCRIBER
        || redis_client_pending(client) > (client->detect_sent ? 1u : 0u))
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
    struct redis_connection *old = client->primary;
    client->primary = NULL;
    int seed = (client->next_seed + client->seeds.count - 1) % client->seeds.count; /* the current one */
    int result = open_primary(client, seed);
    if (result < 0) {
        redis_connection_destroy(client->primary);
        client->primary = old;
        free_channels(client);
        return result;
    }
    client->mode = MODE_SUBSCRIBER;
    event_loop_timer_stop(client->loop, &client->detect_timer);
    event_loop_timer_stop(client->loop, &client->refresh_timer);
    redis_connection_destroy(old);
    for (int i = 0; i < client->node_count; i++)
        redis_connection_destroy(client->nodes[i].connection);
    client->node_count = 0;
    report_change(client);
    return 0;
}

void redis_client_close(struct redis_client *client)
{
    if (!client || client->destroying)
        return;
    client->destroying = true;
    client->on_change = NULL;
    event_loop_timer_stop(client->loop, &client->detect_timer);
    event_loop_timer_stop(client->loop, &client->primary_timer);
    event_loop_timer_stop(client->loop, &client->refresh_timer);
    while (!TAILQ_EMPTY(&client->waiting)) {
        struct routed_command *command = TAILQ_FIRST(&client->waiting);
        TAILQ_REMOVE(&client->waiting, command, link);
        event_loop_timer_stop(client->loop, &command->retry_timer);
        deliver(command, NULL);
    }
    redis_connection_close(client->primary);
    for (int i = 0; i < client->node_count; i++)
        redis_connection_close(client->nodes[i].connection);
}

void redis_client_destroy(struct redis_client *client)
{
    if (!client)
        return;
    redis_client_close(client);
    event_loop_timer_stop(client->loop, &client->reap_timer);
    reap_retired(client);
    redis_connection_destroy(client->primary);
    for (int i = 0; i < client->node_count; i++)
        redis_connection_destroy(client->nodes[i].connection);
    free_channels(client);
    free(client->map);
    free(client->url);
    free(client);
}
