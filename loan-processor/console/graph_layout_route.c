/*
 * graph_layout_route - step 6 of graph_layout.c (ports and points: where each
 * edge meets its boxes, and its polyline) and the layout as JSON.
 */
#include "graph_layout_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

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
        const struct node *other =
            edge->bend_count > 0 ? &layout->nodes[near_bend] : &layout->nodes[at_bottom ? edge->to : edge->from];
        work->ports[count++] =
            (struct port_record){ .node = at_bottom ? edge->from : edge->to, .key = centre_of(other), .edge = e };
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
        while (m + 1 + count < work->layer_start[work->layer_count] && layout->nodes[work->members[m + 1 + count]].glued
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

int graph_layout_route_edges(struct graph_layout *layout, struct layout_work *work)
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

/* ---- JSON --------------------------------------------------------------- */

static const char *node_id(const struct node *node)
{
    return node->kind == NODE_START ? "#start" : node->kind == NODE_END ? "#end" : node->state->name;
}

static const char *node_type(const struct node *node)
{
    return node->kind == NODE_START ? "Start"
           : node->kind == NODE_END ? "End"
                                    : state_machine_type_name(node->state->type);
}

static const char *node_label(const struct node *node)
{
    return node->kind == NODE_START ? "Start" : node->kind == NODE_END ? "End" : node->state->name;
}

static bool scope_to_json(const struct graph_layout *layout, struct point origin, cJSON *object);

/* A fork's branches, each placed in its box at box (absolute); NULL when out of memory. */
static cJSON *branches_to_json(const struct fork_layout *fork, struct point box)
{
    cJSON *children = cJSON_CreateArray();
    for (size_t b = 0; children && b < fork->branch_count; b++) {
        const struct graph_layout *branch = &fork->branches[b];
        struct point origin = { box.x + branch->x, box.y + branch->y };
        cJSON *child = cJSON_CreateObject();
        bool ok = child && cJSON_AddItemToArray(children, child);
        if (!ok)
            cJSON_Delete(child);
        ok = ok && cJSON_AddNumberToObject(child, "branch", (double)b) && cJSON_AddNumberToObject(child, "x", origin.x)
             && cJSON_AddNumberToObject(child, "y", origin.y) && cJSON_AddNumberToObject(child, "width", branch->width)
             && cJSON_AddNumberToObject(child, "height", branch->height) && scope_to_json(branch, origin, child);
        if (!ok) {
            cJSON_Delete(children);
            return NULL;
        }
    }
    return children;
}

/* A Map's Label and a container's branches (nothing for other states); false when out of memory. */
static bool add_fork_fields(const struct graph_layout *layout, const struct node *node, struct point box, cJSON *object)
{
    const struct fork_layout *fork = &layout->forks[node - layout->nodes - STATE_NODE(0)];
    if (node->state->type == STATE_MAP && node->state->map.label
        && !cJSON_AddStringToObject(object, "mapLabel", node->state->map.label))
        return false;
    if (fork->branch_count == 0)
        return true;
    cJSON *children = branches_to_json(fork, box);
    if (!children || !cJSON_AddItemToObject(object, "children", children)) {
        cJSON_Delete(children);
        return false;
    }
    return true;
}

static cJSON *node_to_json(const struct graph_layout *layout, const struct node *node, struct point origin)
{
    struct point box = { origin.x + node->x, origin.y + node->y };
    cJSON *object = cJSON_CreateObject();
    bool ok = object && cJSON_AddStringToObject(object, "id", node_id(node))
              && cJSON_AddStringToObject(object, "type", node_type(node))
              && cJSON_AddStringToObject(object, "label", node_label(node))
              && cJSON_AddNumberToObject(object, "x", box.x) && cJSON_AddNumberToObject(object, "y", box.y)
              && cJSON_AddNumberToObject(object, "width", node->width)
              && cJSON_AddNumberToObject(object, "height", node->height);
    if (ok && node->kind == NODE_STATE && node->state->type == STATE_TASK && node->state->resource)
        ok = cJSON_AddStringToObject(object, "resource", node->state->resource) != NULL;
    if (ok && node->kind == NODE_STATE)
        ok = add_fork_fields(layout, node, box, object);
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
    cJSON_ArrayForEach(name, catcher->error_equals) length +=
        (cJSON_IsString(name) ? strlen(name->valuestring) : 0) + 2;
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

static cJSON *points_to_json(const struct edge *edge, struct point origin)
{
    cJSON *points = cJSON_CreateArray();
    for (size_t i = 0; points && i < edge->point_count; i++) {
        int pair[2] = { origin.x + edge->points[i].x, origin.y + edge->points[i].y };
        cJSON *point = cJSON_CreateIntArray(pair, 2);
        if (!point || !cJSON_AddItemToArray(points, point)) {
            cJSON_Delete(point);
            cJSON_Delete(points);
            return NULL;
        }
    }
    return points;
}

static cJSON *edge_to_json(const struct graph_layout *layout, const struct edge *edge, struct point origin)
{
    cJSON *object = cJSON_CreateObject();
    bool ok = object && cJSON_AddStringToObject(object, "from", node_id(&layout->nodes[edge->from]))
              && cJSON_AddStringToObject(object, "to", node_id(&layout->nodes[edge->to]))
              && cJSON_AddStringToObject(object, "kind", edge_kind_name(edge->kind))
              && add_edge_label(layout, edge, object) && (!edge->back || cJSON_AddTrueToObject(object, "back"));
    cJSON *points = ok ? points_to_json(edge, origin) : NULL;
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

/* Adds a scope's "nodes" and "edges", offset by origin, to object; false when out of memory. */
static bool scope_to_json(const struct graph_layout *layout, struct point origin, cJSON *object)
{
    cJSON *nodes = cJSON_AddArrayToObject(object, "nodes");
    cJSON *edges = nodes ? cJSON_AddArrayToObject(object, "edges") : NULL;
    bool ok = nodes && edges;
    for (size_t n = 0; ok && n < layout->base_node_count; n++)
        ok = append(nodes, node_to_json(layout, &layout->nodes[n], origin));
    for (size_t e = 0; ok && e < layout->edge_count; e++)
        ok = append(edges, edge_to_json(layout, &layout->edges[e], origin));
    return ok;
}

cJSON *graph_layout_to_json(const struct graph_layout *layout)
{
    if (!layout)
        return NULL;
    cJSON *root = cJSON_CreateObject();
    bool ok = root && cJSON_AddNumberToObject(root, "width", layout->width)
              && cJSON_AddNumberToObject(root, "height", layout->height)
              && scope_to_json(layout, (struct point){ 0, 0 }, root);
    if (!ok) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}
