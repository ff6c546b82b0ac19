/* redis_cluster - see redis_cluster.h. */
#include "redis_cluster.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PORT 65535

/* ---- hash slots ---- */

uint16_t redis_cluster_crc16(const void *data, size_t length)
{
    const unsigned char *bytes = data;
    unsigned int crc = 0;
    for (size_t i = 0; i < length; i++) {
        crc ^= (unsigned int)bytes[i] << 8;
        for (int bit = 0; bit < 8; bit++)
            crc = ((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1) & 0xFFFF;
    }
    return (uint16_t)crc;
}

int redis_cluster_key_slot(const char *key, size_t length)
{
    const char *open = memchr(key, '{', length);
    if (open) {
        const char *tag = open + 1;
        const char *close = memchr(tag, '}', length - (size_t)(tag - key));
        if (close && close > tag)
            return redis_cluster_crc16(tag, (size_t)(close - tag)) % REDIS_CLUSTER_SLOTS;
    }
    return redis_cluster_crc16(key, length) % REDIS_CLUSTER_SLOTS;
}

/* ---- cluster errors ---- */

/* The value of the length decimal digits at text (no sign, no space), if it is at most max; -1 otherwise. */
static long parse_decimal(const char *text, size_t length, long max)
{
    if (length == 0 || length > 9 || strspn(text, "0123456789") < length)
        return -1;
    long value = 0;
    for (size_t i = 0; i < length; i++)
        value = value * 10 + (text[i] - '0');
    return value <= max ? value : -1;
}

static void copy_text(char *host, const char *text, size_t length)
{
    memcpy(host, text, length);
    host[length] = '\0';
}

/* "<slot> <host>:<port>", the port after the last colon (an IPv6 host has colons of its own). */
static int parse_redirect(const char *text, struct redis_cluster_redirect *out)
{
    size_t slot_length = strcspn(text, " ");
    long slot = parse_decimal(text, slot_length, REDIS_CLUSTER_SLOTS - 1);
    if (slot < 0 || text[slot_length] != ' ')
        return -EINVAL;
    const char *endpoint = text + slot_length + 1;
    const char *colon = strrchr(endpoint, ':');
    if (!colon || strchr(endpoint, ' '))
        return -EINVAL;
    size_t host_length = (size_t)(colon - endpoint);
    long port = parse_decimal(colon + 1, strlen(colon + 1), MAX_PORT);
    if (host_length >= sizeof(out->target.host) || port < 1)
        return -EINVAL;
    out->slot = (int)slot;
    copy_text(out->target.host, endpoint, host_length);
    out->target.port = (int)port;
    return 0;
}

int redis_cluster_parse_error(const char *text, struct redis_cluster_redirect *out)
{
    static const struct {
        const char *word;
        enum redis_cluster_error_kind kind;
    } words[] = {
        { "MOVED", REDIS_CLUSTER_ERROR_MOVED },
        { "ASK", REDIS_CLUSTER_ERROR_ASK },
        { "TRYAGAIN", REDIS_CLUSTER_ERROR_TRYAGAIN },
        { "CLUSTERDOWN", REDIS_CLUSTER_ERROR_CLUSTERDOWN },
    };
    if (!text)
        return -EINVAL;
    memset(out, 0, sizeof(*out));
    size_t word_length = strcspn(text, " ");
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strlen(words[i].word) != word_length || memcmp(words[i].word, text, word_length) != 0)
            continue;
        out->kind = words[i].kind;
        if (out->kind != REDIS_CLUSTER_ERROR_MOVED && out->kind != REDIS_CLUSTER_ERROR_ASK)
            return 0;
        return text[word_length] == ' ' ? parse_redirect(text + word_length + 1, out) : -EINVAL;
    }
    return 0;
}

enum redis_cluster_action redis_cluster_next_action(const struct redis_cluster_reply_facts *facts,
                                                    struct redis_cluster_redirect *redirect)
{
    memset(redirect, 0, sizeof(*redirect));
    if (facts->cluster && facts->error && redis_cluster_parse_error(facts->error, redirect) < 0)
        memset(redirect, 0, sizeof(*redirect));
    bool may_redirect = facts->redirections < REDIS_CLUSTER_MAX_REDIRECTIONS && facts->now_ms < facts->deadline_ms;
    switch (redirect->kind) {
    case REDIS_CLUSTER_ERROR_MOVED:
        return may_redirect ? REDIS_CLUSTER_FOLLOW_MOVED : REDIS_CLUSTER_DELIVER;
    case REDIS_CLUSTER_ERROR_ASK:
        return may_redirect ? REDIS_CLUSTER_FOLLOW_ASK : REDIS_CLUSTER_DELIVER;
    case REDIS_CLUSTER_ERROR_TRYAGAIN:
        return facts->now_ms + facts->retry_delay_ms < facts->deadline_ms ? REDIS_CLUSTER_RETRY_LATER
                                                                          : REDIS_CLUSTER_DELIVER;
    case REDIS_CLUSTER_ERROR_CLUSTERDOWN:
        return REDIS_CLUSTER_DELIVER_AND_REFRESH;
    case REDIS_CLUSTER_ERROR_NONE:
        break;
    }
    if (facts->no_reply)
        return facts->cluster ? REDIS_CLUSTER_DELIVER_AND_REFRESH : REDIS_CLUSTER_DELIVER;
    return !facts->error && facts->durable_wait ? REDIS_CLUSTER_WAIT_REPLICAS : REDIS_CLUSTER_DELIVER;
}

/* ---- the slot map ---- */

void redis_cluster_slot_map_init(struct redis_cluster_slot_map *map)
{
    memset(map, 0, sizeof(*map));
}

/* The index of host:port in map's node table, added if new; -ENOSPC when the table is full. */
static int find_or_add_node(struct redis_cluster_slot_map *map, const char *host, int port)
{
    for (int i = 0; i < map->node_count; i++)
        if (map->nodes[i].port == port && strcmp(map->nodes[i].host, host) == 0)
            return i;
    if (map->node_count == REDIS_CLUSTER_MAX_NODES)
        return -ENOSPC;
    struct redis_cluster_node *node = &map->nodes[map->node_count];
    copy_text(node->host, host, strlen(host));
    node->port = port;
    return map->node_count++;
}

int redis_cluster_slot_map_assign(struct redis_cluster_slot_map *map, int first_slot, int last_slot, const char *host,
                                  int port)
{
    if (first_slot < 0 || first_slot > last_slot || last_slot >= REDIS_CLUSTER_SLOTS || !host || !host[0]
        || strlen(host) >= REDIS_CLUSTER_HOST_SIZE || port < 1 || port > MAX_PORT)
        return -EINVAL;
    int index = find_or_add_node(map, host, port);
    if (index < 0)
        return index;
    memset(&map->node_of_slot[first_slot], index + 1, (size_t)(last_slot - first_slot + 1));
    return 0;
}

int redis_cluster_slot_map_lookup(const struct redis_cluster_slot_map *map, int slot, const char **host, int *port)
{
    if (slot < 0 || slot >= REDIS_CLUSTER_SLOTS)
        return -EINVAL;
    int entry = map->node_of_slot[slot];
    if (entry == 0)
        return -ENOENT;
    *host = map->nodes[entry - 1].host;
    *port = map->nodes[entry - 1].port;
    return 0;
}

int redis_cluster_slot_map_apply_moved(struct redis_cluster_slot_map *map,
                                       const struct redis_cluster_redirect *redirect)
{
    if (redirect->kind != REDIS_CLUSTER_ERROR_MOVED)
        return -EINVAL;
    return redis_cluster_slot_map_assign(map, redirect->slot, redirect->slot, redirect->target.host,
                                         redirect->target.port);
}

/* ---- REDIS_URL ---- */

static bool is_numeric_address(const char *host)
{
    unsigned char address[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, address) == 1 || inet_pton(AF_INET6, host, address) == 1;
}

/*
 * One host[:port] at *cursor, which it moves past them. The port is read as strtol() reads it, as the
 * single-node client always did.
 */
static int parse_seed(const char **cursor, struct redis_cluster_node *node)
{
    const char *rest = *cursor;
    bool bracketed = *rest == '[';
    size_t host_length = bracketed ? strcspn(rest + 1, "]") : strcspn(rest, ":/,");
    if (host_length == 0 || host_length >= sizeof(node->host) || (bracketed && rest[1 + host_length] != ']'))
        return -EINVAL;
    copy_text(node->host, rest + bracketed, host_length);
    if (bracketed && !is_numeric_address(node->host))
        return -EINVAL;
    rest += host_length + (bracketed ? 2 : 0);
    node->port = REDIS_CLUSTER_DEFAULT_PORT;
    if (*rest == ':') {
        char *end;
        long port = strtol(rest + 1, &end, 10);
        if (end == rest + 1 || port < 1 || port > MAX_PORT)
            return -EINVAL;
        node->port = (int)port;
        rest = end;
    }
    *cursor = rest;
    return 0;
}

/* The optional "/db" that ends the url; "/" alone names none. */
static int parse_database(const char *rest, char database[REDIS_CLUSTER_DATABASE_SIZE])
{
    if (*rest == '\0' || (rest[0] == '/' && rest[1] == '\0'))
        return 0;
    if (*rest != '/')
        return -EINVAL;
    size_t length = strspn(rest + 1, "0123456789");
    if (length == 0 || length >= REDIS_CLUSTER_DATABASE_SIZE || rest[1 + length] != '\0')
        return -EINVAL;
    copy_text(database, rest + 1, length);
    return 0;
}

int redis_cluster_parse_seeds(const char *url, struct redis_cluster_seeds *out)
{
    static const char prefix[] = "redis://";
    memset(out, 0, sizeof(*out));
    if (!url || strncmp(url, prefix, strlen(prefix)) != 0)
        return -EINVAL;
    const char *rest = url + strlen(prefix);
    const char *at = strchr(rest, '@');
    if (at) {
        const char *colon = memchr(rest, ':', (size_t)(at - rest));
        out->password = colon ? colon + 1 : rest;
        out->password_length = (size_t)(at - out->password);
        rest = at + 1;
    }
    for (;;) {
        if (out->count == REDIS_CLUSTER_MAX_SEEDS)
            return -EINVAL;
        int result = parse_seed(&rest, &out->seeds[out->count]);
        if (result < 0)
            return result;
        out->count++;
        if (*rest != ',')
            break;
        rest++;
    }
    int result = parse_database(rest, out->database);
    if (result < 0)
        return result;
    if (out->count > 1 && strspn(out->database, "0") != strlen(out->database))
        return -EINVAL;
    return 0;
}
