/*
 * redis_cluster - the pure parts of talking to a Redis Cluster (issue 19): the hash slot of a key, the
 * cluster errors a node answers (MOVED, ASK, TRYAGAIN, CLUSTERDOWN), the map from slots to nodes, and a
 * REDIS_URL naming several seed nodes. No I/O; the cluster client in common/io builds on it.
 */
#ifndef REDIS_CLUSTER_H
#define REDIS_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REDIS_CLUSTER_SLOTS 16384
#define REDIS_CLUSTER_MAX_NODES 64
#define REDIS_CLUSTER_MAX_SEEDS 16
#define REDIS_CLUSTER_HOST_SIZE 256 /* a host name or address and its NUL */
#define REDIS_CLUSTER_DATABASE_SIZE 16
#define REDIS_CLUSTER_DEFAULT_PORT 6379

/* A node's address: IPv6 addresses without brackets. */
struct redis_cluster_node {
    char host[REDIS_CLUSTER_HOST_SIZE];
    int port;
};

/*
 * The hash slot (0..16383) of a key, as Redis computes it: CRC16 (XMODEM) modulo 16384 of the key, or of its
 * hash tag, the bytes between the first '{' and the first '}' after it when there are any.
 */
int redis_cluster_key_slot(const char *key, size_t length);

/* CRC16 XMODEM (polynomial 0x1021, initial value 0), the checksum of Redis' crc16.c. */
uint16_t redis_cluster_crc16(const void *data, size_t length);

enum redis_cluster_error_kind {
    REDIS_CLUSTER_ERROR_NONE,        /* not a cluster error: an answer for the caller */
    REDIS_CLUSTER_ERROR_MOVED,       /* the slot lives elsewhere now: update the map, resend there */
    REDIS_CLUSTER_ERROR_ASK,         /* the slot is migrating: send ASKING then the command to the target once */
    REDIS_CLUSTER_ERROR_TRYAGAIN,    /* a multi-key command during a migration: retry a little later */
    REDIS_CLUSTER_ERROR_CLUSTERDOWN, /* the cluster cannot serve the slot now */
};

struct redis_cluster_redirect {
    enum redis_cluster_error_kind kind;
    int slot;                         /* MOVED and ASK only */
    struct redis_cluster_node target; /* MOVED and ASK only; an empty host: the host of the node that answered */
};

/*
 * Classifies the text of an error reply (as hiredis gives it, without the leading '-') into *out. Any text
 * that does not start with a cluster error's word is kind NONE. Returns 0, or -EINVAL for a MOVED or ASK
 * whose slot or endpoint is malformed (a port outside 1..65535, a host longer than the buffer); *out is then
 * unspecified.
 */
__attribute__((warn_unused_result)) int redis_cluster_parse_error(const char *text, struct redis_cluster_redirect *out);

/* Most redirections (MOVED, ASK) one command follows: a map in flux settles in one or two. */
#define REDIS_CLUSTER_MAX_REDIRECTIONS 5

/* What the cluster client does with the reply a routed command got (redis_cluster_next_action()). */
enum redis_cluster_action {
    REDIS_CLUSTER_DELIVER,             /* pass the reply (or the error, or NULL) on to the caller */
    REDIS_CLUSTER_DELIVER_AND_REFRESH, /* pass it on and read the slot map again (CLUSTERDOWN, no reply) */
    REDIS_CLUSTER_FOLLOW_MOVED,        /* update the map from *redirect and resend there (one more redirection) */
    REDIS_CLUSTER_FOLLOW_ASK,          /* send ASKING then the command to *redirect's target (one more redirection) */
    REDIS_CLUSTER_RETRY_LATER,         /* send it again after the retry delay (TRYAGAIN) */
    REDIS_CLUSTER_WAIT_REPLICAS,       /* hold the reply until WAIT confirmed the replicas (a durable write) */
};

/* What is known of a routed command when its reply comes. */
struct redis_cluster_reply_facts {
    bool cluster;         /* the client routes by slot (a cluster, and not being closed) */
    bool no_reply;        /* the connection was lost or the deadline passed */
    const char *error;    /* the text of an error reply (without '-'); NULL: not an error */
    bool durable_wait;    /* a durable write (script or command), wait_replicas > 0, client not being closed */
    int redirections;     /* MOVED and ASK followed so far */
    uint64_t now_ms;      /* monotonic */
    uint64_t deadline_ms; /* the command's: no resending at or after it */
    uint64_t retry_delay_ms;
};

/*
 * Decides what to do with a reply (facts), filling *redirect with the cluster error it carries (kind NONE
 * for none). In a cluster: MOVED and ASK are followed while fewer than REDIS_CLUSTER_MAX_REDIRECTIONS were
 * and the deadline has not passed, TRYAGAIN is retried when the delay ends before the deadline, and each is
 * delivered otherwise; CLUSTERDOWN and no reply are delivered with a map refresh; a malformed MOVED or ASK
 * is an ordinary error. A reply that is not an error, for a durable write, waits for the replicas (also
 * outside a cluster); everything else is delivered. When following or retrying fails, the caller delivers.
 */
enum redis_cluster_action redis_cluster_next_action(const struct redis_cluster_reply_facts *facts,
                                                    struct redis_cluster_redirect *redirect);

/*
 * Which node serves each slot. The caller owns the structure (about 33 KB: not for a small stack); a node's
 * entry stays in the table until the next redis_cluster_slot_map_init(), even when it serves no slot any
 * more, so a table of a cluster being rebuilt from CLUSTER SLOTS starts with an init.
 */
struct redis_cluster_slot_map {
    uint8_t node_of_slot[REDIS_CLUSTER_SLOTS]; /* 1 + index in nodes; 0: unassigned */
    struct redis_cluster_node nodes[REDIS_CLUSTER_MAX_NODES];
    int node_count;
};

/* Empties map: no slot assigned, no node known. */
void redis_cluster_slot_map_init(struct redis_cluster_slot_map *map);

/*
 * Assigns slots first_slot..last_slot (inclusive) to the node host:port, adding it to the node table unless
 * it is there already; a later assignment of a slot replaces the earlier one. Returns 0, -EINVAL for a bad
 * range (first > last, outside 0..16383), an empty or too long host or a port outside 1..65535, or -ENOSPC
 * when the node table is full; on failure map is unchanged.
 */
__attribute__((warn_unused_result)) int redis_cluster_slot_map_assign(struct redis_cluster_slot_map *map,
                                                                      int first_slot, int last_slot, const char *host,
                                                                      int port);

/*
 * The node serving slot: *host points into map (valid until the next init), *port its port. Returns 0,
 * -EINVAL for a slot outside 0..16383, or -ENOENT for a slot no node serves.
 */
__attribute__((warn_unused_result)) int redis_cluster_slot_map_lookup(const struct redis_cluster_slot_map *map,
                                                                      int slot, const char **host, int *port);

/*
 * Records what a MOVED redirect says: its slot now lives at its target. The caller first replaces an empty
 * target host by the host of the node that answered. Returns 0, -EINVAL for a redirect that is not a MOVED
 * or has an empty host, or the errors of redis_cluster_slot_map_assign().
 */
__attribute__((warn_unused_result)) int
redis_cluster_slot_map_apply_moved(struct redis_cluster_slot_map *map, const struct redis_cluster_redirect *redirect);

/*
 * The parts of REDIS_URL: redis://[[user]:password@]host[:port][,host[:port]...][/db]. A host is a name, an
 * IPv4 address or an [IPv6] address (stored without brackets); the port defaults to 6379.
 */
struct redis_cluster_seeds {
    struct redis_cluster_node seeds[REDIS_CLUSTER_MAX_SEEDS];
    int count;
    const char *password;                       /* points into the parsed url, not NUL-terminated; NULL: none */
    size_t password_length;                     /* may be 0: an empty password is still sent */
    char database[REDIS_CLUSTER_DATABASE_SIZE]; /* decimal digits as written; empty: none (SELECT nothing) */
};

/*
 * Parses url into *out; out->password points into url, which must outlive its use. With one seed it accepts
 * exactly what the single-node client always accepted, with the same meaning. Returns 0, or -EINVAL for
 * another scheme, an empty host, a bad port, more than REDIS_CLUSTER_MAX_SEEDS seeds, a db that is not
 * digits, or a db other than 0 with several seeds (a cluster has only db 0).
 */
__attribute__((warn_unused_result)) int redis_cluster_parse_seeds(const char *url, struct redis_cluster_seeds *out);

#endif
