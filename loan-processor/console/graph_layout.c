/*
 * graph_layout.c - a layered drawing of a state machine's graph.
 *
 * The steps, each a section below:
 *   1. edges: one per transition, in definition order, grouped by source;
 *   2. back edges (depth-first search) and layers (longest path from #start);
 *   3. bend points: a chain of them for every edge spanning layers, and for
 *      every back edge one per layer it climbs (the ends glued to the right
 *      of their box, so the loop leaves and enters on the right side);
 *   4. ordering within layers: barycenter sweeps, keeping the ordering with
 *      the fewest crossings;
 *   5. coordinates: layers stacked with gaps; within a layer, positions that
 *      keep the order and the spacing and are as close as possible (least
 *      squares, pool-adjacent-violators) to the mean of the neighbours;
 *   6. ports and points: where each edge meets its boxes, and its polyline.
 *
 * Node indexes: 0 is #start, 1..state_count the states in definition order,
 * state_count + 1 is #end, bend points follow.
 */
#include "graph_layout.h"

#include "choice_rule.h"
#include "utf8.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sizes in pixels. */
#define STATE_HEIGHT 44
#define PSEUDO_NODE_SIZE 36         /* #start and #end are circles */
#define LABEL_CHAR_WIDTH 7.5
#define LABEL_PADDING 32
#define STATE_MIN_WIDTH 120
#define STATE_MAX_WIDTH 280         /* longer names stay whole in "label"; the page may ellipsize */
#define MARGIN 20
#define LAYER_GAP 56
#define LABEL_ROOM 16               /* extra gap under a layer that labelled edges leave */
#define NODE_SPACING 40             /* between two boxes of a layer */
#define BEND_SPACING 20             /* between a bend point and its neighbour */
#define GLUED_WEIGHT 0.1            /* a glued bend point follows its owner without pulling it */

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
    const struct state_definition *state;   /* NODE_STATE only */
    size_t layer;
    size_t order;                           /* position within the layer */
    int width;                              /* 0 for a bend point */
    int height;
    double centre;                          /* x of the middle, while placing */
    int x;                                  /* top-left corner, once placed */
    int y;
    /* bend points */
    size_t edge;
    bool glued;                             /* stands right of its owner, in the same layer */
    size_t owner;
    enum glue_role role;
};

struct edge {
    size_t from;
    size_t to;
    enum edge_kind kind;
    size_t index;                           /* EDGE_CHOICE: the rule's number (from 1); EDGE_CATCH: the catcher */
    bool back;
    size_t first_bend;                      /* its bend points: nodes[first_bend .. + bend_count), in path order */
    size_t bend_count;
    struct point source_port;
    struct point target_port;
    struct point *points;
    size_t point_count;
};

struct graph_layout {
    const struct state_machine *machine;
    struct node *nodes;
    size_t node_count;
    size_t base_node_count;                 /* #start, the states, #end */
    struct edge *edges;
    size_t edge_count;
    int width;
    int height;
};

/* Sorting keys (qsort has no context argument, so records carry what they are sorted by). */
struct order_record {
    double key;                 /* the anchor's barycenter */
    size_t anchor_order;        /* the anchor's current position: ties keep the current order */
    size_t rank;                /* 0 for the anchor itself, then its glued bend points */
    size_t node;
};

struct port_record {
    size_t node;
    double key;                 /* x of the other end */
    size_t edge;
};

/* Scratch memory of one computation. */
struct layout_work {
    size_t *out_start;          /* edges leaving node v: out_start[v] .. out_start[v + 1] (base nodes) */
    unsigned char *visit;       /* depth-first search: VISIT_* per base node */
    size_t *cursor;             /* depth-first search: the next edge to follow, per base node */
    size_t *stack;
    size_t *preorder;           /* base nodes in the order the search found them */
    size_t preorder_count;
    size_t *postorder;
    size_t layer_count;
    size_t *layer_start;        /* layer l: members[layer_start[l] .. layer_start[l + 1]) */
    size_t *members;
    size_t *best_members;
    size_t max_layer_size;
    size_t *up_start;           /* neighbours one layer up: up_list[up_start[v] .. up_start[v + 1]) */
    size_t *up_list;
    size_t *down_start;
    size_t *down_list;
    double *key;
    struct order_record *records;
    size_t *fenwick;
    double *target;             /* placement of one layer */
    double *weight;
    double *offset;
    double *block_sum;
    double *block_weight;
    size_t *block_end;
    int *layer_top;
    int *layer_height;
    struct port_record *ports;
};

enum { VISIT_NEW, VISIT_ACTIVE, VISIT_DONE };

/* ---- helpers ------------------------------------------------------------ */

/* A zeroed array of count elements from cJSON's allocator; NULL on overflow or when out of memory. */
static void *allocate_array(size_t count, size_t size)
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

static int round_to_int(double value)
{
    return value >= 0 ? (int)(value + 0.5) : -(int)(-value + 0.5);
}

static size_t end_node(const struct graph_layout *layout)
{
    return layout->base_node_count - 1;
}

static bool is_terminal(const struct state_definition *state)
{
    return state->type == STATE_SUCCEED || state->type == STATE_FAIL
        || (state->type != STATE_CHOICE && state->next == NULL);
}

static size_t choice_target_count(const struct state_definition *state)
{
    return state->type == STATE_CHOICE && state->choice ? choice_state_target_count(state->choice) : 0;
}

/* Even, so that a box's middle is a whole pixel and a box centred under another lines up exactly. */
static int state_width(const char *name)
{
    int width = 2 * round_to_int((LABEL_CHAR_WIDTH * (double)utf8_count_text(name) + LABEL_PADDING) / 2);
    return width < STATE_MIN_WIDTH ? STATE_MIN_WIDTH : width > STATE_MAX_WIDTH ? STATE_MAX_WIDTH : width;
}

static size_t max_size(size_t a, size_t b)
{
    return a > b ? a : b;
}

/* ---- 1. edges ----------------------------------------------------------- */

static size_t count_edges(const struct state_machine *machine)
{
    size_t count = 1; /* #start -> StartAt */
    for (size_t i = 0; i < machine->state_count; i++) {
        const struct state_definition *state = &machine->states[i];
        count += (state->next != NULL) + state->catcher_count + choice_target_count(state) + is_terminal(state);
    }
    return count;
}

/* Appends an edge from node from to the state called target; -EINVAL when there is no such state. */
static int add_edge(struct graph_layout *layout, size_t from, const char *target, enum edge_kind kind, size_t index)
{
    const struct state_definition *state = target ? state_machine_find(layout->machine, target) : NULL;
    if (!state)
        return -EINVAL;
    layout->edges[layout->edge_count++] = (struct edge){
        .from = from, .to = STATE_NODE((size_t)(state - layout->machine->states)), .kind = kind, .index = index
    };
    return 0;
}

/* A state's edges, in definition order: Next, Choice rules, Default, Catch entries, the edge to #end. */
static int add_state_edges(struct graph_layout *layout, size_t state_index)
{
    const struct state_definition *state = &layout->machine->states[state_index];
    size_t from = STATE_NODE(state_index);
    size_t targets = choice_target_count(state);
    bool has_default = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(state->json, "Default"));
    size_t rules = targets - (has_default && targets > 0);
    int result = state->next ? add_edge(layout, from, state->next, EDGE_NEXT, 0) : 0;

    for (size_t t = 0; t < targets && result == 0; t++)
        result = add_edge(layout, from, choice_state_target(state->choice, t), t < rules ? EDGE_CHOICE : EDGE_DEFAULT,
                          t + 1);
    for (size_t c = 0; c < state->catcher_count && result == 0; c++)
        result = add_edge(layout, from, state->catchers[c].next, EDGE_CATCH, c);
    if (result == 0 && is_terminal(state))
        layout->edges[layout->edge_count++] = (struct edge){ .from = from, .to = end_node(layout), .kind = EDGE_NEXT };
    return result;
}

/* All edges, grouped by source node in node order (so work->out_start indexes them). */
static int add_edges(struct graph_layout *layout, struct layout_work *work)
{
    const struct state_machine *machine = layout->machine;
    int result = add_edge(layout, START_NODE, machine->start_at, EDGE_NEXT, 0);
    work->out_start[START_NODE] = 0;
    for (size_t i = 0; i < machine->state_count && result == 0; i++) {
        work->out_start[STATE_NODE(i)] = layout->edge_count;
        result = add_state_edges(layout, i);
    }
    work->out_start[end_node(layout)] = layout->edge_count;
    work->out_start[layout->base_node_count] = layout->edge_count;
    return result;
}

/* ---- 2. back edges and layers ------------------------------------------ */

/*
 * Depth-first search from root following edges in definition order, without
 * recursion: an edge to a node on the search path closes a cycle (back edge).
 * Finished nodes are appended to work->postorder.
 */
static void search_from(struct graph_layout *layout, struct layout_work *work, size_t root, size_t *finished)
{
    size_t depth = 0;
    work->stack[depth++] = root;
    work->preorder[work->preorder_count++] = root;
    work->visit[root] = VISIT_ACTIVE;
    work->cursor[root] = work->out_start[root];
    while (depth > 0) {
        size_t node = work->stack[depth - 1];
        if (work->cursor[node] == work->out_start[node + 1]) {
            work->visit[node] = VISIT_DONE;
            work->postorder[(*finished)++] = node;
            depth--;
            continue;
        }
        struct edge *edge = &layout->edges[work->cursor[node]++];
        if (work->visit[edge->to] == VISIT_ACTIVE) {
            edge->back = true;
        } else if (work->visit[edge->to] == VISIT_NEW) {
            work->visit[edge->to] = VISIT_ACTIVE;
            work->preorder[work->preorder_count++] = edge->to;
            work->cursor[edge->to] = work->out_start[edge->to];
            work->stack[depth++] = edge->to;
        }
    }
}

/* Flags back edges: from #start, then from states StartAt does not reach (in definition order). */
static void find_back_edges(struct graph_layout *layout, struct layout_work *work)
{
    size_t finished = 0;
    for (size_t node = 0; node < layout->base_node_count; node++) {
        if (work->visit[node] == VISIT_NEW)
            search_from(layout, work, node, &finished);
    }
}

/*
 * Longest path from #start without the back edges (reverse postorder is a
 * topological order of what remains). States no forward edge reaches sit in
 * layer 1; #end is below every state.
 */
static void assign_layers(struct graph_layout *layout, struct layout_work *work)
{
    size_t deepest = 0;
    for (size_t node = 0; node < layout->base_node_count; node++)
        layout->nodes[node].layer = node == START_NODE ? 0 : 1;
    for (size_t i = layout->base_node_count; i-- > 0;) {
        size_t node = work->postorder[i];
        for (size_t e = work->out_start[node]; e < work->out_start[node + 1]; e++) {
            const struct edge *edge = &layout->edges[e];
            if (!edge->back)
                layout->nodes[edge->to].layer = max_size(layout->nodes[edge->to].layer, layout->nodes[node].layer + 1);
        }
    }
    for (size_t node = 0; node < end_node(layout); node++)
        deepest = max_size(deepest, layout->nodes[node].layer);
    layout->nodes[end_node(layout)].layer = deepest + 1;
    work->layer_count = deepest + 2;
}

/* ---- 3. nodes and bend points ------------------------------------------ */

/* Bend points of an edge: one per layer crossed; a back edge has one per layer it climbs, both ends included. */
static size_t bends_needed(const struct graph_layout *layout, const struct edge *edge)
{
    size_t from_layer = layout->nodes[edge->from].layer, to_layer = layout->nodes[edge->to].layer;
    return edge->back ? from_layer - to_layer + 1 : to_layer - from_layer - 1;
}

static int count_bends(const struct graph_layout *layout, size_t *bends)
{
    *bends = 0;
    for (size_t e = 0; e < layout->edge_count; e++) {
        *bends += bends_needed(layout, &layout->edges[e]);
        if (*bends > GRAPH_LAYOUT_MAX_BEND_POINTS)
            return -E2BIG;
    }
    return 0;
}

static void describe_base_nodes(struct graph_layout *layout)
{
    for (size_t node = 0; node < layout->base_node_count; node++) {
        struct node *n = &layout->nodes[node];
        if (node == START_NODE || node == end_node(layout)) {
            n->kind = node == START_NODE ? NODE_START : NODE_END;
            n->width = n->height = PSEUDO_NODE_SIZE;
        } else {
            n->kind = NODE_STATE;
            n->state = &layout->machine->states[node - 1];
            n->width = state_width(n->state->name);
            n->height = STATE_HEIGHT;
        }
    }
}

static void glue(struct node *bend, size_t owner, enum glue_role role)
{
    bend->glued = true;
    bend->owner = owner;
    bend->role = role;
}

/* Appends edge e's bend points, in path order (a back edge climbs from its source's layer to its target's). */
static void add_bends(struct graph_layout *layout, size_t e)
{
    struct edge *edge = &layout->edges[e];
    size_t from_layer = layout->nodes[edge->from].layer;
    edge->first_bend = layout->node_count;
    edge->bend_count = bends_needed(layout, edge);
    for (size_t i = 0; i < edge->bend_count; i++) {
        struct node *bend = &layout->nodes[layout->node_count++];
        size_t layer = edge->back ? from_layer - i : from_layer + 1 + i;
        *bend = (struct node){ .kind = NODE_BEND, .edge = e, .layer = layer };
    }
    if (!edge->back)
        return;
    struct node *first = &layout->nodes[edge->first_bend], *last = first + edge->bend_count - 1;
    if (edge->from == edge->to) {
        glue(first, edge->from, GLUE_SELF_LOOP);
    } else {
        glue(first, edge->from, GLUE_LEAVING);
        glue(last, edge->to, GLUE_ARRIVING);
    }
}

/* ---- neighbours in adjacent layers -------------------------------------- */

/* Calls visit(upper, lower) for each piece of an edge between two adjacent layers. */
static void for_each_segment(const struct graph_layout *layout, void (*visit)(struct layout_work *, size_t, size_t),
                             struct layout_work *work)
{
    for (size_t e = 0; e < layout->edge_count; e++) {
        const struct edge *edge = &layout->edges[e];
        if (edge->back) {
            /* the bends climb: bend i + 1 is one layer above bend i */
            for (size_t i = 0; i + 1 < edge->bend_count; i++)
                visit(work, edge->first_bend + i + 1, edge->first_bend + i);
            continue;
        }
        size_t upper = edge->from;
        for (size_t i = 0; i < edge->bend_count; i++) {
            visit(work, upper, edge->first_bend + i);
            upper = edge->first_bend + i;
        }
        visit(work, upper, edge->to);
    }
}

static void count_neighbours(struct layout_work *work, size_t upper, size_t lower)
{
    work->down_start[upper + 1]++;
    work->up_start[lower + 1]++;
}

static void store_neighbours(struct layout_work *work, size_t upper, size_t lower)
{
    /* *_start[v + 1] serves as v's fill position here, and ends as v + 1's start */
    work->down_list[work->down_start[upper + 1]++] = lower;
    work->up_list[work->up_start[lower + 1]++] = upper;
}

/*
 * Turns counts (start[v + 1]: how many entries v has) into fill positions:
 * afterwards start[v + 1] is where v's first entry goes, and storing each
 * entry at start[v + 1]++ leaves v's entries at start[v] .. start[v + 1].
 */
static void prepare_filling(size_t *start, size_t count)
{
    for (size_t i = 1; i <= count; i++)
        start[i] += start[i - 1];
    memmove(start + 1, start, count * sizeof(*start));
    start[0] = 0;
}

/* Builds the up_* and down_* neighbour lists (after which *_start[v] .. *_start[v + 1] index them). */
static void index_neighbours(const struct graph_layout *layout, struct layout_work *work)
{
    for_each_segment(layout, count_neighbours, work);
    prepare_filling(work->up_start, layout->node_count);
    prepare_filling(work->down_start, layout->node_count);
    for_each_segment(layout, store_neighbours, work);
}

/* Each node's order: its position in its layer's members. */
static void number_members(struct graph_layout *layout, const struct layout_work *work)
{
    for (size_t l = 0; l < work->layer_count; l++) {
        for (size_t m = work->layer_start[l]; m < work->layer_start[l + 1]; m++)
            layout->nodes[work->members[m]].order = m - work->layer_start[l];
    }
}

/*
 * Members of each layer, to begin with in the order the search found them
 * (so siblings stand in definition order), bend points after them in edge order.
 */
static void index_layers(struct graph_layout *layout, struct layout_work *work)
{
    for (size_t node = 0; node < layout->node_count; node++)
        work->layer_start[layout->nodes[node].layer + 1]++;
    prepare_filling(work->layer_start, work->layer_count);
    for (size_t i = 0; i < layout->node_count; i++) {
        size_t node = i < layout->base_node_count ? work->preorder[i] : i;
        work->members[work->layer_start[layout->nodes[node].layer + 1]++] = node;
    }
    for (size_t l = 0; l < work->layer_count; l++)
        work->max_layer_size = max_size(work->max_layer_size, work->layer_start[l + 1] - work->layer_start[l]);
    number_members(layout, work);
}

/* ---- 4. ordering within layers ----------------------------------------- */

enum reference { REFERENCE_NONE, REFERENCE_UPPER, REFERENCE_LOWER };

static size_t neighbour_count(const struct layout_work *work, size_t node, enum reference reference,
                              const size_t **list)
{
    const size_t *start = reference == REFERENCE_UPPER ? work->up_start : work->down_start;
    *list = (reference == REFERENCE_UPPER ? work->up_list : work->down_list) + start[node];
    return reference == REFERENCE_NONE ? 0 : start[node + 1] - start[node];
}

/* The mean position of node's neighbours in the reference layer, or its own position when it has none. */
static double barycenter(const struct graph_layout *layout, const struct layout_work *work, size_t node,
                         enum reference reference)
{
    const size_t *list;
    size_t count = neighbour_count(work, node, reference, &list);
    double sum = 0;
    if (count == 0)
        return (double)layout->nodes[node].order;
    for (size_t i = 0; i < count; i++)
        sum += (double)layout->nodes[list[i]].order;
    return sum / (double)count;
}

static int compare_order_records(const void *a, const void *b)
{
    const struct order_record *left = a, *right = b;
    if (left->key != right->key)
        return left->key < right->key ? -1 : 1;
    if (left->anchor_order != right->anchor_order)
        return left->anchor_order < right->anchor_order ? -1 : 1;
    return left->rank < right->rank ? -1 : left->rank > right->rank;
}

/*
 * Sorts one layer by barycenter, ties by current position; a glued bend
 * point follows its owner (nearest first: self loops, leaving, arriving).
 */
static void order_layer(struct graph_layout *layout, struct layout_work *work, size_t layer, enum reference reference)
{
    size_t *members = work->members + work->layer_start[layer];
    size_t count = work->layer_start[layer + 1] - work->layer_start[layer];
    for (size_t i = 0; i < count; i++)
        work->key[members[i]] = barycenter(layout, work, members[i], reference);
    for (size_t i = 0; i < count; i++) {
        const struct node *node = &layout->nodes[members[i]];
        size_t anchor = node->glued ? node->owner : members[i];
        work->records[i] = (struct order_record){
            .key = work->key[anchor],
            .anchor_order = layout->nodes[anchor].order,
            .rank = node->glued ? 1 + (size_t)node->role * layout->edge_count + node->edge : 0,
            .node = members[i],
        };
    }
    qsort(work->records, count, sizeof(*work->records), compare_order_records);
    for (size_t i = 0; i < count; i++) {
        members[i] = work->records[i].node;
        layout->nodes[members[i]].order = i;
    }
}

/* Fenwick tree over positions 0 .. size - 1 (tree[1 .. size]): how many inserted at or left of position. */
static size_t fenwick_count_up_to(const size_t *tree, size_t position)
{
    size_t count = 0;
    for (size_t k = position + 1; k > 0; k -= k & (~k + 1))
        count += tree[k];
    return count;
}

static void fenwick_insert(size_t *tree, size_t size, size_t position)
{
    for (size_t k = position + 1; k <= size; k += k & (~k + 1))
        tree[k]++;
}

/* Crossings between layer and the next one down: inversions counted with a Fenwick tree. */
static size_t count_layer_crossings(const struct graph_layout *layout, struct layout_work *work, size_t layer)
{
    size_t lower_size = work->layer_start[layer + 2] - work->layer_start[layer + 1];
    size_t inserted = 0, crossings = 0;
    memset(work->fenwick, 0, (lower_size + 1) * sizeof(*work->fenwick));
    for (size_t m = work->layer_start[layer]; m < work->layer_start[layer + 1]; m++) {
        const size_t *list;
        size_t count = neighbour_count(work, work->members[m], REFERENCE_LOWER, &list);
        /* segments sharing their upper end do not cross: count all of them before inserting any */
        for (size_t i = 0; i < count; i++)
            crossings += inserted - fenwick_count_up_to(work->fenwick, layout->nodes[list[i]].order);
        for (size_t i = 0; i < count; i++)
            fenwick_insert(work->fenwick, lower_size, layout->nodes[list[i]].order);
        inserted += count;
    }
    return crossings;
}

static size_t count_crossings(const struct graph_layout *layout, struct layout_work *work)
{
    size_t crossings = 0;
    for (size_t l = 0; l + 1 < work->layer_count; l++)
        crossings += count_layer_crossings(layout, work, l);
    return crossings;
}

static void copy_ordering(const struct graph_layout *layout, size_t *to, const size_t *from)
{
    memcpy(to, from, layout->node_count * sizeof(*to));
}

/* Keeps the current ordering when it has fewer crossings than the best so far. */
static void keep_if_better(const struct graph_layout *layout, struct layout_work *work, size_t *best)
{
    size_t crossings = count_crossings(layout, work);
    if (crossings < *best) {
        *best = crossings;
        copy_ordering(layout, work->best_members, work->members);
    }
}

static void reduce_crossings(struct graph_layout *layout, struct layout_work *work)
{
    size_t best;
    for (size_t l = 0; l < work->layer_count; l++)
        order_layer(layout, work, l, REFERENCE_NONE); /* glued bend points next to their owners */
    best = count_crossings(layout, work);
    copy_ordering(layout, work->best_members, work->members);
    for (int round = 0; round < ORDERING_ROUNDS && best > 0; round++) {
        for (size_t l = 1; l < work->layer_count; l++)
            order_layer(layout, work, l, REFERENCE_UPPER);
        keep_if_better(layout, work, &best);
        for (size_t l = work->layer_count - 1; l-- > 0;)
            order_layer(layout, work, l, REFERENCE_LOWER);
        keep_if_better(layout, work, &best);
    }
    copy_ordering(layout, work->members, work->best_members);
    number_members(layout, work);
}

/* ---- 5. coordinates ----------------------------------------------------- */

static double spacing(const struct node *left, const struct node *right)
{
    bool bend = left->kind == NODE_BEND || right->kind == NODE_BEND;
    return (double)(left->width + right->width) / 2 + (bend ? BEND_SPACING : NODE_SPACING);
}

/* Where a node (not a glued bend point) would like its centre to be, and how much that counts. */
static double desired_centre(const struct graph_layout *layout, const struct layout_work *work, size_t node_index,
                             enum reference reference, double *weight)
{
    const struct node *node = &layout->nodes[node_index];
    const size_t *list;
    size_t count = neighbour_count(work, node_index, reference, &list);
    double sum = 0;
    *weight = node->kind == NODE_BEND ? 2 : 1; /* long edges stay straight rather than boxes */
    if (count == 0)
        return node->centre;
    for (size_t i = 0; i < count; i++)
        sum += layout->nodes[list[i]].centre;
    return sum / (double)count;
}

/*
 * Places one layer: centres keeping the order and at least the spacing
 * between neighbours, closest (weighted least squares) to the desired ones.
 * With offset o_i the least distance from the first node, y_i = x_i - o_i
 * must not decrease: an isotonic regression, solved by pooling adjacent
 * violators.
 */
static void place_layer(struct graph_layout *layout, struct layout_work *work, size_t layer, enum reference reference)
{
    const size_t *members = work->members + work->layer_start[layer];
    size_t count = work->layer_start[layer + 1] - work->layer_start[layer], blocks = 0;
    for (size_t i = 0; i < count; i++) {
        work->offset[i] = i == 0 ? 0 : work->offset[i - 1] + spacing(&layout->nodes[members[i - 1]],
                                                                     &layout->nodes[members[i]]);
        if (layout->nodes[members[i]].glued) {
            /* as close as allowed to its owner (just before it), wherever the owner goes */
            work->target[i] = work->target[i - 1];
            work->weight[i] = GLUED_WEIGHT;
        } else {
            work->target[i] = desired_centre(layout, work, members[i], reference, &work->weight[i]) - work->offset[i];
        }
    }
    for (size_t i = 0; i < count; i++) {
        work->block_sum[blocks] = work->target[i] * work->weight[i];
        work->block_weight[blocks] = work->weight[i];
        work->block_end[blocks++] = i + 1;
        while (blocks > 1 && work->block_sum[blocks - 2] / work->block_weight[blocks - 2]
                                 > work->block_sum[blocks - 1] / work->block_weight[blocks - 1]) {
            work->block_sum[blocks - 2] += work->block_sum[blocks - 1];
            work->block_weight[blocks - 2] += work->block_weight[blocks - 1];
            work->block_end[blocks - 2] = work->block_end[blocks - 1];
            blocks--;
        }
    }
    for (size_t b = 0, i = 0; b < blocks; b++) {
        double value = work->block_sum[b] / work->block_weight[b];
        for (; i < work->block_end[b]; i++)
            layout->nodes[members[i]].centre = value + work->offset[i];
    }
}

/* Horizontal positions: centred layers, then passes towards the neighbours, ending with one downwards. */
static void place_horizontally(struct graph_layout *layout, struct layout_work *work)
{
    for (size_t l = 0; l < work->layer_count; l++)
        place_layer(layout, work, l, REFERENCE_NONE);
    for (int round = 0; round <= PLACEMENT_ROUNDS; round++) {
        for (size_t l = 1; l < work->layer_count; l++)
            place_layer(layout, work, l, REFERENCE_UPPER);
        if (round == PLACEMENT_ROUNDS)
            break;
        for (size_t l = work->layer_count - 1; l-- > 0;)
            place_layer(layout, work, l, REFERENCE_LOWER);
    }
}

/* Layers stacked top to bottom; every node centred vertically in its layer's band. */
static void place_vertically(struct graph_layout *layout, struct layout_work *work)
{
    int top = MARGIN;
    for (size_t node = 0; node < layout->node_count; node++) {
        int *height = &work->layer_height[layout->nodes[node].layer];
        if (layout->nodes[node].height > *height)
            *height = layout->nodes[node].height;
    }
    /* room for the labels of the edges leaving a layer (layer_top holds the extra gap below it until set) */
    for (size_t e = 0; e < layout->edge_count; e++) {
        if (layout->edges[e].kind != EDGE_NEXT)
            work->layer_top[layout->nodes[layout->edges[e].from].layer] = LABEL_ROOM;
    }
    for (size_t l = 0; l < work->layer_count; l++) {
        int gap = LAYER_GAP + work->layer_top[l];
        work->layer_top[l] = top;
        top += work->layer_height[l] + gap;
    }
    for (size_t node = 0; node < layout->node_count; node++) {
        struct node *n = &layout->nodes[node];
        n->y = work->layer_top[n->layer] + (work->layer_height[n->layer] - n->height) / 2;
    }
    size_t last = work->layer_count - 1;
    layout->height = work->layer_top[last] + work->layer_height[last] + MARGIN;
}

/* Whole pixels, the leftmost thing at the margin. */
static void settle_horizontally(struct graph_layout *layout)
{
    int left = 0, right = 0;
    for (size_t node = 0; node < layout->node_count; node++) {
        struct node *n = &layout->nodes[node];
        n->x = round_to_int(n->centre - (double)n->width / 2);
        if (node == 0 || n->x < left)
            left = n->x;
    }
    for (size_t node = 0; node < layout->node_count; node++) {
        struct node *n = &layout->nodes[node];
        n->x += MARGIN - left;
        if (n->x + n->width > right)
            right = n->x + n->width;
    }
    layout->width = right + MARGIN;
}

/* ---- 6. ports and points ----------------------------------------------- */

static int compare_port_records(const void *a, const void *b)
{
    const struct port_record *left = a, *right = b;
    if (left->node != right->node)
        return left->node < right->node ? -1 : 1;
    if (left->key != right->key)
        return left->key < right->key ? -1 : 1;
    return left->edge < right->edge ? -1 : left->edge > right->edge;
}

static double centre_of(const struct node *node)
{
    return node->x + (double)node->width / 2;
}

/*
 * Spreads the ends of forward edges along boxes' bottom borders (at_bottom)
 * or top borders, in the order of the other ends' x so they do not cross
 * there. A circle (#start, #end) takes all of them at its centre.
 */
static void assign_vertical_ports(struct graph_layout *layout, struct layout_work *work, bool at_bottom)
{
    size_t count = 0;
    for (size_t e = 0; e < layout->edge_count; e++) {
        const struct edge *edge = &layout->edges[e];
        if (edge->back)
            continue;
        size_t near_bend = at_bottom ? edge->first_bend : edge->first_bend + edge->bend_count - 1;
        const struct node *other = edge->bend_count > 0 ? &layout->nodes[near_bend]
                                                        : &layout->nodes[at_bottom ? edge->to : edge->from];
        work->ports[count++] = (struct port_record){ .node = at_bottom ? edge->from : edge->to,
                                                     .key = centre_of(other), .edge = e };
    }
    qsort(work->ports, count, sizeof(*work->ports), compare_port_records);
    for (size_t first = 0, next; first < count; first = next) {
        const struct node *node = &layout->nodes[work->ports[first].node];
        for (next = first; next < count && work->ports[next].node == work->ports[first].node;)
            next++;
        for (size_t i = first; i < next; i++) {
            int k = (int)(next - first), j = (int)(i - first);
            int x = node->kind == NODE_STATE ? node->x + node->width * (j + 1) / (k + 1) : node->x + node->width / 2;
            struct edge *edge = &layout->edges[work->ports[i].edge];
            if (at_bottom)
                edge->source_port = (struct point){ x, node->y + node->height };
            else
                edge->target_port = (struct point){ x, node->y };
        }
    }
}

/* The j-th of count points down a box's right border. */
static struct point right_port(const struct node *node, size_t j, size_t count)
{
    return (struct point){ node->x + node->width, node->y + node->height * (int)(j + 1) / (int)(count + 1) };
}

/*
 * Ports of back edges on a box's right border, top to bottom: leaving edges
 * (nearest bend point first), self loops (nested: their ends outermost for
 * the farthest loop), arriving edges (nearest last). Each bend point's
 * vertical line then passes no other one's horizontal line.
 */
static void assign_right_ports(struct graph_layout *layout, size_t owner, const size_t *glued, size_t count)
{
    size_t role_count[3] = { 0 }, j = 0;
    for (size_t i = 0; i < count; i++)
        role_count[layout->nodes[glued[i]].role]++;
    size_t ports = role_count[GLUE_LEAVING] + 2 * role_count[GLUE_SELF_LOOP] + role_count[GLUE_ARRIVING];
    const size_t *self = glued, *leaving = self + role_count[GLUE_SELF_LOOP];
    const size_t *arriving = leaving + role_count[GLUE_LEAVING];
    const struct node *node = &layout->nodes[owner];
    for (size_t i = 0; i < role_count[GLUE_LEAVING]; i++)
        layout->edges[layout->nodes[leaving[i]].edge].source_port = right_port(node, j++, ports);
    for (size_t i = role_count[GLUE_SELF_LOOP]; i-- > 0;)
        layout->edges[layout->nodes[self[i]].edge].target_port = right_port(node, j++, ports);
    for (size_t i = 0; i < role_count[GLUE_SELF_LOOP]; i++)
        layout->edges[layout->nodes[self[i]].edge].source_port = right_port(node, j++, ports);
    for (size_t i = role_count[GLUE_ARRIVING]; i-- > 0;)
        layout->edges[layout->nodes[arriving[i]].edge].target_port = right_port(node, j++, ports);
}

/* Every box's glued bend points follow it in its layer. */
static void assign_all_right_ports(struct graph_layout *layout, const struct layout_work *work)
{
    for (size_t m = 0; m < work->layer_start[work->layer_count]; m++) {
        size_t owner = work->members[m], count = 0;
        if (layout->nodes[owner].kind == NODE_BEND)
            continue;
        while (m + 1 + count < work->layer_start[work->layer_count]
               && layout->nodes[work->members[m + 1 + count]].glued
               && layout->nodes[work->members[m + 1 + count]].owner == owner)
            count++;
        if (count > 0)
            assign_right_ports(layout, owner, work->members + m + 1, count);
    }
}

static void add_point(struct edge *edge, int x, int y)
{
    if (edge->point_count > 0 && edge->points[edge->point_count - 1].x == x
        && edge->points[edge->point_count - 1].y == y)
        return;
    edge->points[edge->point_count++] = (struct point){ x, y };
}

static int layer_bottom(const struct layout_work *work, size_t layer)
{
    return work->layer_top[layer] + work->layer_height[layer];
}

/*
 * A forward edge: down from the source's bottom port to its layer's lower
 * edge, down each bend point's column, into the target's top port. A back
 * edge: right from the source's right port to its first bend point, up the
 * bend points' columns, left into the target's right port.
 */
static int route_edge(struct graph_layout *layout, const struct layout_work *work, struct edge *edge)
{
    edge->points = allocate_array(2 * edge->bend_count + 4, sizeof(*edge->points));
    if (!edge->points)
        return -ENOMEM;
    add_point(edge, edge->source_port.x, edge->source_port.y);
    if (!edge->back)
        add_point(edge, edge->source_port.x, layer_bottom(work, layout->nodes[edge->from].layer));
    for (size_t i = 0; i < edge->bend_count; i++) {
        const struct node *bend = &layout->nodes[edge->first_bend + i];
        bool first = i == 0, last = i + 1 == edge->bend_count;
        int top = work->layer_top[bend->layer], bottom = layer_bottom(work, bend->layer);
        if (edge->back) {
            add_point(edge, bend->x, first ? edge->source_port.y : bottom);
            add_point(edge, bend->x, last ? edge->target_port.y : top);
        } else {
            add_point(edge, bend->x, top);
            add_point(edge, bend->x, bottom);
        }
    }
    if (!edge->back)
        add_point(edge, edge->target_port.x, work->layer_top[layout->nodes[edge->to].layer]);
    add_point(edge, edge->target_port.x, edge->target_port.y);
    return 0;
}

static int route_edges(struct graph_layout *layout, struct layout_work *work)
{
    assign_vertical_ports(layout, work, true);
    assign_vertical_ports(layout, work, false);
    assign_all_right_ports(layout, work);
    for (size_t e = 0; e < layout->edge_count; e++) {
        int result = route_edge(layout, work, &layout->edges[e]);
        if (result < 0)
            return result;
    }
    return 0;
}

/* ---- computation -------------------------------------------------------- */

static void work_free(struct layout_work *work)
{
    void *arrays[] = { work->out_start, work->visit, work->cursor, work->stack, work->preorder, work->postorder,
                       work->layer_start, work->members, work->best_members, work->up_start, work->up_list,
                       work->down_start, work->down_list, work->key, work->records, work->fenwick,
                       work->target, work->weight, work->offset, work->block_sum, work->block_weight,
                       work->block_end, work->layer_top, work->layer_height, work->ports };
    for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++)
        cJSON_free(arrays[i]);
}

/* Scratch arrays for the edges and the depth-first search (sized by the base nodes). */
static int allocate_search_work(const struct graph_layout *layout, struct layout_work *work)
{
    size_t nodes = layout->base_node_count;
    work->out_start = allocate_array(nodes + 1, sizeof(*work->out_start));
    work->visit = allocate_array(nodes, sizeof(*work->visit));
    work->cursor = allocate_array(nodes, sizeof(*work->cursor));
    work->stack = allocate_array(nodes, sizeof(*work->stack));
    work->preorder = allocate_array(nodes, sizeof(*work->preorder));
    work->postorder = allocate_array(nodes, sizeof(*work->postorder));
    return work->out_start && work->visit && work->cursor && work->stack && work->preorder && work->postorder
               ? 0
               : -ENOMEM;
}

/* Scratch arrays for ordering and placing (sized by all nodes, bend points included). */
static int allocate_ordering_work(const struct graph_layout *layout, struct layout_work *work)
{
    size_t nodes = layout->node_count, segments = layout->edge_count + nodes;
    work->layer_start = allocate_array(work->layer_count + 1, sizeof(*work->layer_start));
    work->members = allocate_array(nodes, sizeof(*work->members));
    work->best_members = allocate_array(nodes, sizeof(*work->best_members));
    work->up_start = allocate_array(nodes + 1, sizeof(*work->up_start));
    work->up_list = allocate_array(segments, sizeof(*work->up_list));
    work->down_start = allocate_array(nodes + 1, sizeof(*work->down_start));
    work->down_list = allocate_array(segments, sizeof(*work->down_list));
    work->key = allocate_array(nodes, sizeof(*work->key));
    work->layer_top = allocate_array(work->layer_count, sizeof(*work->layer_top));
    work->layer_height = allocate_array(work->layer_count, sizeof(*work->layer_height));
    work->ports = allocate_array(layout->edge_count, sizeof(*work->ports));
    return work->layer_start && work->members && work->best_members && work->up_start && work->up_list
                   && work->down_start && work->down_list && work->key && work->layer_top && work->layer_height
                   && work->ports
               ? 0
               : -ENOMEM;
}

/* Scratch arrays of one layer's size (known once the layers are indexed). */
static int allocate_layer_work(struct layout_work *work)
{
    size_t size = work->max_layer_size;
    work->records = allocate_array(size, sizeof(*work->records));
    work->fenwick = allocate_array(size + 1, sizeof(*work->fenwick));
    work->target = allocate_array(size, sizeof(*work->target));
    work->weight = allocate_array(size, sizeof(*work->weight));
    work->offset = allocate_array(size, sizeof(*work->offset));
    work->block_sum = allocate_array(size, sizeof(*work->block_sum));
    work->block_weight = allocate_array(size, sizeof(*work->block_weight));
    work->block_end = allocate_array(size, sizeof(*work->block_end));
    return work->records && work->fenwick && work->target && work->weight && work->offset && work->block_sum
                   && work->block_weight && work->block_end
               ? 0
               : -ENOMEM;
}

/* Edges, back edges, layers; then the node array with room for the bend points. */
static int build_graph(struct graph_layout *layout, struct layout_work *work)
{
    size_t bends = 0;
    struct node *base_nodes;
    int result;
    layout->edges = allocate_array(count_edges(layout->machine), sizeof(*layout->edges));
    base_nodes = allocate_array(layout->base_node_count, sizeof(*base_nodes));
    layout->nodes = base_nodes;
    if (!layout->edges || !base_nodes)
        return -ENOMEM;
    if ((result = allocate_search_work(layout, work)) < 0 || (result = add_edges(layout, work)) < 0)
        return result;
    find_back_edges(layout, work);
    assign_layers(layout, work);
    if ((result = count_bends(layout, &bends)) < 0)
        return result;
    layout->nodes = allocate_array(layout->base_node_count + bends, sizeof(*layout->nodes));
    if (!layout->nodes) {
        layout->nodes = base_nodes;
        return -ENOMEM;
    }
    memcpy(layout->nodes, base_nodes, layout->base_node_count * sizeof(*base_nodes));
    cJSON_free(base_nodes);
    layout->node_count = layout->base_node_count;
    describe_base_nodes(layout);
    for (size_t e = 0; e < layout->edge_count; e++)
        add_bends(layout, e);
    return 0;
}

static int lay_out(struct graph_layout *layout, struct layout_work *work)
{
    int result = build_graph(layout, work);
    if (result < 0 || (result = allocate_ordering_work(layout, work)) < 0)
        return result;
    index_layers(layout, work);
    index_neighbours(layout, work);
    if ((result = allocate_layer_work(work)) < 0)
        return result;
    reduce_crossings(layout, work);
    place_horizontally(layout, work);
    settle_horizontally(layout);
    place_vertically(layout, work);
    return route_edges(layout, work);
}

int graph_layout_compute(const struct state_machine *machine, struct graph_layout **layout_out)
{
    struct layout_work work = { 0 };
    struct graph_layout *layout;
    int result;
    if (!machine || !layout_out || !machine->start_at || (machine->state_count > 0 && !machine->states))
        return -EINVAL;
    if (machine->state_count > GRAPH_LAYOUT_MAX_STATES)
        return -E2BIG;
    layout = allocate_array(1, sizeof(*layout));
    if (!layout)
        return -ENOMEM;
    layout->machine = machine;
    layout->base_node_count = machine->state_count + 2;
    result = lay_out(layout, &work);
    work_free(&work);
    if (result < 0) {
        graph_layout_free(layout);
        return result;
    }
    *layout_out = layout;
    return 0;
}

void graph_layout_free(struct graph_layout *layout)
{
    if (!layout)
        return;
    for (size_t e = 0; layout->edges && e < layout->edge_count; e++)
        cJSON_free(layout->edges[e].points);
    cJSON_free(layout->edges);
    cJSON_free(layout->nodes);
    cJSON_free(layout);
}

/* ---- JSON --------------------------------------------------------------- */

static const char *node_id(const struct node *node)
{
    return node->kind == NODE_START ? "#start" : node->kind == NODE_END ? "#end" : node->state->name;
}

static const char *node_type(const struct node *node)
{
    return node->kind == NODE_START ? "Start"
         : node->kind == NODE_END   ? "End"
                                    : state_machine_type_name(node->state->type);
}

static const char *node_label(const struct node *node)
{
    return node->kind == NODE_START ? "Start" : node->kind == NODE_END ? "End" : node->state->name;
}

static cJSON *node_to_json(const struct node *node)
{
    cJSON *object = cJSON_CreateObject();
    bool ok = object && cJSON_AddStringToObject(object, "id", node_id(node))
           && cJSON_AddStringToObject(object, "type", node_type(node))
           && cJSON_AddStringToObject(object, "label", node_label(node))
           && cJSON_AddNumberToObject(object, "x", node->x) && cJSON_AddNumberToObject(object, "y", node->y)
           && cJSON_AddNumberToObject(object, "width", node->width)
           && cJSON_AddNumberToObject(object, "height", node->height);
    if (ok && node->kind == NODE_STATE && node->state->type == STATE_TASK && node->state->resource)
        ok = cJSON_AddStringToObject(object, "resource", node->state->resource) != NULL;
    if (!ok) {
        cJSON_Delete(object);
        return NULL;
    }
    return object;
}

static const char *edge_kind_name(enum edge_kind kind)
{
    static const char *const names[] = { "next", "choice", "default", "catch" };
    return names[kind];
}

/* A Catch entry's ErrorEquals joined with ", " (cJSON's allocator; NULL when out of memory). */
static char *catch_label(const struct catcher *catcher)
{
    size_t length = 1;
    const cJSON *name;
    cJSON_ArrayForEach(name, catcher->error_equals)
        length += (cJSON_IsString(name) ? strlen(name->valuestring) : 0) + 2;
    char *label = cJSON_malloc(length);
    if (!label)
        return NULL;
    label[0] = '\0';
    cJSON_ArrayForEach(name, catcher->error_equals)
    {
        if (label[0])
            strcat(label, ", ");
        if (cJSON_IsString(name))
            strcat(label, name->valuestring);
    }
    return label;
}

/* Adds the edge's label ("Rule 1", "Default", the caught errors); none for a Next. */
static bool add_edge_label(const struct graph_layout *layout, const struct edge *edge, cJSON *object)
{
    char rule[32];
    switch (edge->kind) {
    case EDGE_NEXT:
        return true;
    case EDGE_CHOICE:
        snprintf(rule, sizeof(rule), "Rule %zu", edge->index);
        return cJSON_AddStringToObject(object, "label", rule) != NULL;
    case EDGE_DEFAULT:
        return cJSON_AddStringToObject(object, "label", "Default") != NULL;
    case EDGE_CATCH:
        break;
    }
    char *label = catch_label(&layout->nodes[edge->from].state->catchers[edge->index]);
    bool ok = label && cJSON_AddStringToObject(object, "label", label) != NULL;
    cJSON_free(label);
    return ok;
}

static cJSON *points_to_json(const struct edge *edge)
{
    cJSON *points = cJSON_CreateArray();
    for (size_t i = 0; points && i < edge->point_count; i++) {
        int pair[2] = { edge->points[i].x, edge->points[i].y };
        cJSON *point = cJSON_CreateIntArray(pair, 2);
        if (!point || !cJSON_AddItemToArray(points, point)) {
            cJSON_Delete(point);
            cJSON_Delete(points);
            return NULL;
        }
    }
    return points;
}

static cJSON *edge_to_json(const struct graph_layout *layout, const struct edge *edge)
{
    cJSON *object = cJSON_CreateObject();
    bool ok = object && cJSON_AddStringToObject(object, "from", node_id(&layout->nodes[edge->from]))
           && cJSON_AddStringToObject(object, "to", node_id(&layout->nodes[edge->to]))
           && cJSON_AddStringToObject(object, "kind", edge_kind_name(edge->kind))
           && add_edge_label(layout, edge, object) && (!edge->back || cJSON_AddTrueToObject(object, "back"));
    cJSON *points = ok ? points_to_json(edge) : NULL;
    if (!points || !cJSON_AddItemToObject(object, "points", points)) {
        cJSON_Delete(points);
        cJSON_Delete(object);
        return NULL;
    }
    return object;
}

/* Appends item to array; deletes item (and reports failure) when it is NULL or cannot be added. */
static bool append(cJSON *array, cJSON *item)
{
    if (item && cJSON_AddItemToArray(array, item))
        return true;
    cJSON_Delete(item);
    return false;
}

cJSON *graph_layout_to_json(const struct graph_layout *layout)
{
    if (!layout)
        return NULL;
    cJSON *root = cJSON_CreateObject();
    bool ok = root && cJSON_AddNumberToObject(root, "width", layout->width)
           && cJSON_AddNumberToObject(root, "height", layout->height);
    cJSON *nodes = ok ? cJSON_AddArrayToObject(root, "nodes") : NULL;
    cJSON *edges = nodes ? cJSON_AddArrayToObject(root, "edges") : NULL;
    ok = nodes && edges;
    for (size_t n = 0; ok && n < layout->base_node_count; n++)
        ok = append(nodes, node_to_json(&layout->nodes[n]));
    for (size_t e = 0; ok && e < layout->edge_count; e++)
        ok = append(edges, edge_to_json(layout, &layout->edges[e]));
    if (!ok) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}
