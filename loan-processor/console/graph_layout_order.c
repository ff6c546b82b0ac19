/*
 * graph_layout_order - steps 4 and 5 of graph_layout.c: the neighbours of
 * every node in the adjacent layers, the ordering within layers and the
 * coordinates.
 */
#include "graph_layout_internal.h"

#include <stdlib.h>

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
void graph_layout_index_neighbours(const struct graph_layout *layout, struct layout_work *work)
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
void graph_layout_index_layers(struct graph_layout *layout, struct layout_work *work)
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

void graph_layout_reduce_crossings(struct graph_layout *layout, struct layout_work *work)
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
        work->offset[i] =
            i == 0 ? 0 : work->offset[i - 1] + spacing(&layout->nodes[members[i - 1]], &layout->nodes[members[i]]);
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
        while (blocks > 1
               && work->block_sum[blocks - 2] / work->block_weight[blocks - 2]
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
void graph_layout_place_horizontally(struct graph_layout *layout, struct layout_work *work)
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
void graph_layout_place_vertically(struct graph_layout *layout, struct layout_work *work)
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
void graph_layout_settle_horizontally(struct graph_layout *layout)
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
