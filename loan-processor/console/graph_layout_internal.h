/*
 * graph_layout_internal - what the files of graph_layout share: the layout's
 * data, its scratch memory and the steps one file hands to another.
 * graph_layout.c builds the graph (steps 1-3) and drives the computation;
 * graph_layout_order.c orders and places the nodes (steps 4-5);
 * graph_layout_route.c routes the edges (step 6) and writes the JSON.
 * Private to console/.
 */
#ifndef GRAPH_LAYOUT_INTERNAL_H
#define GRAPH_LAYOUT_INTERNAL_H

#include "graph_layout.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Sizes in pixels. */
#define STATE_HEIGHT 44
#define PSEUDO_NODE_SIZE 36 /* #start and #end are circles */
#define LABEL_CHAR_WIDTH 7.5
#define LABEL_PADDING 32
#define STATE_MIN_WIDTH 120
#define STATE_MAX_WIDTH 280 /* longer names stay whole in "label"; the page may ellipsize */
#define MARGIN 20
#define LAYER_GAP 56
#define LABEL_ROOM 16    /* extra gap under a layer that labelled edges leave */
#define NODE_SPACING 40  /* between two boxes of a layer */
#define BEND_SPACING 20  /* between a bend point and its neighbour */
#define GLUED_WEIGHT 0.1 /* a glued bend point follows its owner without pulling it */
/* A Parallel's or Map's box: a title as tall as a state's box, then its branches side by side. */
#define CONTAINER_TITLE_HEIGHT STATE_HEIGHT
#define CONTAINER_PADDING 8 /* round the branches (each has its own MARGIN inside) */
#define BRANCH_GAP 8

/* Passes of the crossing reduction (each one down and one up) and of the placement. */
#define ORDERING_ROUNDS 4
#define PLACEMENT_ROUNDS 3

#define START_NODE 0
#define STATE_NODE(index) ((index) + 1)

enum node_kind { NODE_START, NODE_STATE, NODE_END, NODE_BEND };

enum edge_kind { EDGE_NEXT, EDGE_CHOICE, EDGE_DEFAULT, EDGE_CATCH };

/*
 * What a back edge's bend point glued to a box is for; also the order in
 * which they stand to the right of the box (nearest first), which keeps
 * their lines from crossing one another.
 */
enum glue_role { GLUE_SELF_LOOP, GLUE_LEAVING, GLUE_ARRIVING };

struct point {
    int x;
    int y;
};

struct node {
    enum node_kind kind;
    const struct state_definition *state; /* NODE_STATE only */
    size_t layer;
    size_t order; /* position within the layer */
    int width;    /* 0 for a bend point */
    int height;
    double centre; /* x of the middle, while placing */
    int x;         /* top-left corner, once placed */
    int y;
    /* bend points */
    size_t edge;
    bool glued; /* stands right of its owner, in the same layer */
    size_t owner;
    enum glue_role role;
};

struct edge {
    size_t from;
    size_t to;
    enum edge_kind kind;
    size_t index; /* EDGE_CHOICE: the rule's number (from 1); EDGE_CATCH: the catcher */
    bool back;
    size_t first_bend; /* its bend points: nodes[first_bend .. + bend_count), in path order */
    size_t bend_count;
    struct point source_port;
    struct point target_port;
    struct point *points;
    size_t point_count;
};

/*
 * A Parallel's or Map's sub-graphs: one laid-out scope per branch (a Map's
 * processor is one), side by side under the box's title.
 */
struct fork_layout {
    struct graph_layout *branches;
    size_t branch_count; /* 0: not a fork (or one without branches), drawn as a plain box */
    int width;           /* the box */
    int height;
};

/*
 * The layout of one scope: the top level, or a branch of a fork (then x, y
 * place it in its container's box, relative to the box's top-left corner).
 */
struct graph_layout {
    const struct state_scope *scope;
    struct state_scope top;    /* the top level of a hand-built machine, whose root scope is empty */
    unsigned depth;            /* forks around the scope */
    struct fork_layout *forks; /* per state of the scope */
    size_t fork_count;
    int x;
    int y;
    struct node *nodes;
    size_t node_count;
    size_t base_node_count; /* #start, the states, #end */
    struct edge *edges;
    size_t edge_count;
    int width;
    int height;
};

/* What all the scopes of one computation share: the limits count every scope. */
struct layout_budget {
    size_t states;
    size_t bends;
};

/* Sorting keys (qsort has no context argument, so records carry what they are sorted by). */
struct order_record {
    double key;          /* the anchor's barycenter */
    size_t anchor_order; /* the anchor's current position: ties keep the current order */
    size_t rank;         /* 0 for the anchor itself, then its glued bend points */
    size_t node;
};

struct port_record {
    size_t node;
    double key; /* x of the other end */
    size_t edge;
};

/* Scratch memory of one computation. */
struct layout_work {
    size_t *out_start;    /* edges leaving node v: out_start[v] .. out_start[v + 1] (base nodes) */
    unsigned char *visit; /* depth-first search: VISIT_* per base node */
    size_t *cursor;       /* depth-first search: the next edge to follow, per base node */
    size_t *stack;
    size_t *preorder; /* base nodes in the order the search found them */
    size_t preorder_count;
    size_t *postorder;
    size_t layer_count;
    size_t *layer_start; /* layer l: members[layer_start[l] .. layer_start[l + 1]) */
    size_t *members;
    size_t *best_members;
    size_t max_layer_size;
    size_t *up_start; /* neighbours one layer up: up_list[up_start[v] .. up_start[v + 1]) */
    size_t *up_list;
    size_t *down_start;
    size_t *down_list;
    double *key;
    struct order_record *records;
    size_t *fenwick;
    double *target; /* placement of one layer */
    double *weight;
    double *offset;
    double *block_sum;
    double *block_weight;
    size_t *block_end;
    int *layer_top;
    int *layer_height;
    struct port_record *ports;
};

/* A zeroed array of count elements from cJSON's allocator; NULL on overflow or when out of memory. */
static inline void *allocate_array(size_t count, size_t size)
{
    if (count == 0)
        count = 1;
    if (count > SIZE_MAX / size)
        return NULL;
    void *array = cJSON_malloc(count * size);
    if (array)
        memset(array, 0, count * size);
    return array;
}

static inline int round_to_int(double value)
{
    return value >= 0 ? (int)(value + 0.5) : -(int)(-value + 0.5);
}

static inline size_t max_size(size_t a, size_t b)
{
    return a > b ? a : b;
}

/* Step 4 (graph_layout_order.c): the layers' members in their first order, and each node's neighbours. */
void graph_layout_index_layers(struct graph_layout *layout, struct layout_work *work);
void graph_layout_index_neighbours(const struct graph_layout *layout, struct layout_work *work);
/* Step 4: barycenter sweeps; keeps the ordering with the fewest crossings. */
void graph_layout_reduce_crossings(struct graph_layout *layout, struct layout_work *work);
/* Step 5 (graph_layout_order.c): x of every node, then y of every layer. */
void graph_layout_place_horizontally(struct graph_layout *layout, struct layout_work *work);
void graph_layout_settle_horizontally(struct graph_layout *layout);
void graph_layout_place_vertically(struct graph_layout *layout, struct layout_work *work);
/* Step 6 (graph_layout_route.c): every edge's ports and polyline; 0 or -ENOMEM. */
__attribute__((warn_unused_result)) int graph_layout_route_edges(struct graph_layout *layout, struct layout_work *work);

#endif
