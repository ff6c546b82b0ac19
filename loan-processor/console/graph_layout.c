/*
 * graph_layout.c - a layered drawing of a state machine's graph.
 *
 * The steps, each a section below (1-3), in graph_layout_order.c (4-5) or in
 * graph_layout_route.c (6):
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
 * Each scope - the top level, every Parallel branch, every Map processor -
 * goes through these steps on its own (lay_out_scope); a fork's branches
 * first, so that its box (a node of its scope) has its size.
 *
 * Node indexes: 0 is #start, 1..state_count the states of the scope in
 * definition order, state_count + 1 is #end, bend points follow.
 */
#include "graph_layout.h"

#include "choice_rule.h"
#include "graph_layout_internal.h"
#include "utf8.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { VISIT_NEW, VISIT_ACTIVE, VISIT_DONE };

/* ---- helpers ------------------------------------------------------------ */

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

/* ---- 1. edges ----------------------------------------------------------- */

static size_t count_edges(const struct state_scope *scope)
{
    size_t count = 1; /* #start -> StartAt */
    for (size_t i = 0; i < scope->state_count; i++) {
        const struct state_definition *state = &scope->states[i];
        count += (state->next != NULL) + state->catcher_count + choice_target_count(state) + is_terminal(state);
    }
    return count;
}

/* Appends an edge from node from to the state called target; -EINVAL when there is no such state. */
static int add_edge(struct graph_layout *layout, size_t from, const char *target, enum edge_kind kind, size_t index)
{
    const struct state_definition *state = target ? state_machine_scope_find(layout->scope, target) : NULL;
    if (!state)
        return -EINVAL;
    layout->edges[layout->edge_count++] = (struct edge){
        .from = from, .to = STATE_NODE((size_t)(state - layout->scope->states)), .kind = kind, .index = index
    };
    return 0;
}

/* A state's edges, in definition order: Next, Choice rules, Default, Catch entries, the edge to #end. */
static int add_state_edges(struct graph_layout *layout, size_t state_index)
{
    const struct state_definition *state = &layout->scope->states[state_index];
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
    const struct state_scope *scope = layout->scope;
    int result = add_edge(layout, START_NODE, scope->start_at, EDGE_NEXT, 0);
    work->out_start[START_NODE] = 0;
    for (size_t i = 0; i < scope->state_count && result == 0; i++) {
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

/* Counts this scope's bend points into budget->bends (all scopes share the limit). */
static int count_bends(const struct graph_layout *layout, struct layout_budget *budget, size_t *bends)
{
    *bends = 0;
    for (size_t e = 0; e < layout->edge_count; e++) {
        *bends += bends_needed(layout, &layout->edges[e]);
        if (budget->bends + *bends > GRAPH_LAYOUT_MAX_BEND_POINTS)
            return -E2BIG;
    }
    budget->bends += *bends;
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
            const struct fork_layout *fork = &layout->forks[node - 1];
            n->kind = NODE_STATE;
            n->state = &layout->scope->states[node - 1];
            n->width = fork->branch_count ? fork->width : state_width(n->state->name);
            n->height = fork->branch_count ? fork->height : STATE_HEIGHT;
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

/* ---- computation -------------------------------------------------------- */

static void work_free(struct layout_work *work)
{
    void *arrays[] = { work->out_start,    work->visit,       work->cursor,    work->stack,        work->preorder,
                       work->postorder,    work->layer_start, work->members,   work->best_members, work->up_start,
                       work->up_list,      work->down_start,  work->down_list, work->key,          work->records,
                       work->fenwick,      work->target,      work->weight,    work->offset,       work->block_sum,
                       work->block_weight, work->block_end,   work->layer_top, work->layer_height, work->ports };
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
    return work->out_start && work->visit && work->cursor && work->stack && work->preorder && work->postorder ? 0
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
static int build_graph(struct graph_layout *layout, struct layout_work *work, struct layout_budget *budget)
{
    size_t bends = 0;
    struct node *base_nodes;
    int result;
    layout->edges = allocate_array(count_edges(layout->scope), sizeof(*layout->edges));
    base_nodes = allocate_array(layout->base_node_count, sizeof(*base_nodes));
    layout->nodes = base_nodes;
    if (!layout->edges || !base_nodes)
        return -ENOMEM;
    if ((result = allocate_search_work(layout, work)) < 0 || (result = add_edges(layout, work)) < 0)
        return result;
    find_back_edges(layout, work);
    assign_layers(layout, work);
    if ((result = count_bends(layout, budget, &bends)) < 0)
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

/* The Sugiyama steps on one scope whose forks are laid out already. */
static int lay_out_graph(struct graph_layout *layout, struct layout_work *work, struct layout_budget *budget)
{
    int result = build_graph(layout, work, budget);
    if (result < 0 || (result = allocate_ordering_work(layout, work)) < 0)
        return result;
    graph_layout_index_layers(layout, work);
    graph_layout_index_neighbours(layout, work);
    if ((result = allocate_layer_work(work)) < 0)
        return result;
    graph_layout_reduce_crossings(layout, work);
    graph_layout_place_horizontally(layout, work);
    graph_layout_settle_horizontally(layout);
    graph_layout_place_vertically(layout, work);
    return graph_layout_route_edges(layout, work);
}

static int lay_out_scope(struct graph_layout *layout, struct layout_budget *budget);

/* ---- forks: Parallel and Map boxes ------------------------------------- */

static size_t fork_branch_count(const struct state_definition *state)
{
    if (state->type == STATE_PARALLEL)
        return state->branches ? state->branch_count : 0;
    return state->type == STATE_MAP && state->processor ? 1 : 0;
}

static const struct state_scope *fork_branch(const struct state_definition *state, size_t index)
{
    return state->type == STATE_PARALLEL ? &state->branches[index] : state->processor;
}

/*
 * Sizes a fork's box from its branches (side by side under the title, their
 * tops aligned, all as tall as the tallest) and places each branch in it; the box is at least as wide as
 * the state's own box would be, and of even width like it.
 */
static void arrange_branches(struct fork_layout *fork, const struct state_definition *state)
{
    int content = 0, tallest = 0, x;
    for (size_t b = 0; b < fork->branch_count; b++) {
        content += fork->branches[b].width + (b > 0 ? BRANCH_GAP : 0);
        if (fork->branches[b].height > tallest)
            tallest = fork->branches[b].height;
    }
    fork->width = content + 2 * CONTAINER_PADDING;
    if (fork->width < state_width(state->name))
        fork->width = state_width(state->name);
    fork->width += fork->width & 1;
    fork->height = CONTAINER_TITLE_HEIGHT + tallest + CONTAINER_PADDING;
    x = (fork->width - content) / 2;
    for (size_t b = 0; b < fork->branch_count; b++) {
        fork->branches[b].x = x;
        fork->branches[b].y = CONTAINER_TITLE_HEIGHT;
        fork->branches[b].height = tallest;
        x += fork->branches[b].width + BRANCH_GAP;
    }
}

/* Lays out the branches of one fork state of layout's scope (each its own scope, recursively) and sizes its box. */
static int lay_out_fork(struct graph_layout *layout, size_t state_index, struct layout_budget *budget)
{
    const struct state_definition *state = &layout->scope->states[state_index];
    struct fork_layout *fork = &layout->forks[state_index];
    size_t count = fork_branch_count(state);
    if (count == 0)
        return 0;
    if (layout->depth >= GRAPH_LAYOUT_MAX_NESTING)
        return -E2BIG;
    fork->branches = allocate_array(count, sizeof(*fork->branches));
    if (!fork->branches)
        return -ENOMEM;
    for (size_t b = 0; b < count; b++) {
        int result;
        fork->branches[b].scope = fork_branch(state, b);
        fork->branches[b].depth = layout->depth + 1;
        fork->branch_count = b + 1;
        if ((result = lay_out_scope(&fork->branches[b], budget)) < 0)
            return result;
    }
    arrange_branches(fork, state);
    return 0;
}

/* Lays out a scope: its forks' branches first (their boxes' sizes), then its own graph. */
static int lay_out_scope(struct graph_layout *layout, struct layout_budget *budget)
{
    const struct state_scope *scope = layout->scope;
    struct layout_work work = { 0 };
    int result = 0;
    if (!scope || !scope->start_at || (scope->state_count > 0 && !scope->states))
        return -EINVAL;
    if (scope->state_count > GRAPH_LAYOUT_MAX_STATES - budget->states)
        return -E2BIG;
    budget->states += scope->state_count;
    layout->base_node_count = scope->state_count + 2;
    layout->forks = allocate_array(scope->state_count, sizeof(*layout->forks));
    if (!layout->forks)
        return -ENOMEM;
    layout->fork_count = scope->state_count;
    for (size_t i = 0; i < scope->state_count && result == 0; i++)
        result = lay_out_fork(layout, i, budget);
    if (result == 0)
        result = lay_out_graph(layout, &work, budget);
    work_free(&work);
    return result;
}

/* The machine's top level: its root scope, or for a hand-built machine (empty root) its start_at and states. */
static const struct state_scope *top_scope(const struct state_machine *machine, struct graph_layout *layout)
{
    if (machine->root.start_at)
        return &machine->root;
    layout->top = (struct state_scope){ .start_at = machine->start_at,
                                        .states = machine->states,
                                        .state_count = machine->state_count };
    return &layout->top;
}

int graph_layout_compute(const struct state_machine *machine, struct graph_layout **layout_out)
{
    struct layout_budget budget = { 0 };
    struct graph_layout *layout;
    int result;
    if (!machine || !layout_out || !machine->start_at || (machine->state_count > 0 && !machine->states))
        return -EINVAL;
    if (machine->state_count > GRAPH_LAYOUT_MAX_STATES || machine->all_state_count > GRAPH_LAYOUT_MAX_STATES)
        return -E2BIG;
    layout = allocate_array(1, sizeof(*layout));
    if (!layout)
        return -ENOMEM;
    layout->scope = top_scope(machine, layout);
    result = lay_out_scope(layout, &budget);
    if (result < 0) {
        graph_layout_free(layout);
        return result;
    }
    *layout_out = layout;
    return 0;
}

/* Frees what a layout holds (its branches' layouts too), not the layout itself. */
static void layout_clear(struct graph_layout *layout)
{
    for (size_t i = 0; layout->forks && i < layout->fork_count; i++) {
        for (size_t b = 0; b < layout->forks[i].branch_count; b++)
            layout_clear(&layout->forks[i].branches[b]);
        cJSON_free(layout->forks[i].branches);
    }
    cJSON_free(layout->forks);
    for (size_t e = 0; layout->edges && e < layout->edge_count; e++)
        cJSON_free(layout->edges[e].points);
    cJSON_free(layout->edges);
    cJSON_free(layout->nodes);
}

void graph_layout_free(struct graph_layout *layout)
{
    if (!layout)
        return;
    layout_clear(layout);
    cJSON_free(layout);
}
