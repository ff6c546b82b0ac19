/*
 * graph_layout - lays out a state machine's graph, top to bottom, for the
 * web console (GET /console/api/graph). Pure: no I/O, no global state.
 *
 * The graph has a node per state plus two pseudo-nodes, "#start" above
 * StartAt and "#end" below everything (every terminal state - End: true,
 * Succeed, Fail - has an edge to it). Edges: Next (kind "next"), a Choice's
 * rules ("choice", labelled "Rule 1", "Rule 2", ... in order) and Default
 * ("default", "Default"), Catch ("catch", labelled with its ErrorEquals
 * joined by ", ").
 *
 * The layout is a layered (Sugiyama) drawing: edges closing a cycle are found
 * by a depth-first search from StartAt in definition order and flagged
 * "back"; every node's layer is its longest path from #start over the
 * remaining edges; edges spanning several layers pass through bend points
 * that are ordered like nodes, so they never run through a box; barycenter
 * sweeps reduce crossings (the best ordering found is kept); positions come
 * from a few passes that move each node towards its neighbours while keeping
 * the order and the spacing. Edges leave a box on its bottom border and
 * enter the next one on its top border; back edges leave on the right side
 * and loop round to the target's right side. Everything is deterministic.
 *
 * A Parallel or Map state is a container: a box whose title (as tall as a
 * state's box) names it, holding its sub-graphs side by side - one per entry
 * of a Parallel's Branches, the ItemProcessor once for a Map - each laid out
 * the same way as the top level (its own #start and #end), recursively. The
 * box is sized from its branches and placed as one node of its own scope's
 * graph. Edges stay within a scope.
 *
 * Memory comes from cJSON's allocator (cJSON_malloc / cJSON_free).
 */
#ifndef GRAPH_LAYOUT_H
#define GRAPH_LAYOUT_H

#include "state_machine.h"

#include <cjson/cJSON.h>

/*
 * Limits that keep the layout's cost bounded: the crossing reduction and the
 * placement grow with the number of nodes plus bend points, and bend points
 * with (edges x layers) - a long chain whose states all catch into one
 * handler needs about states^2 / 2 of them.
 */
#define GRAPH_LAYOUT_MAX_STATES 1000
#define GRAPH_LAYOUT_MAX_BEND_POINTS 50000 /* all scopes together */
#define GRAPH_LAYOUT_MAX_NESTING 8         /* Parallel/Map states inside one another, as the parser allows */

/* A state machine's laid-out graph (opaque; turned into JSON by graph_layout_to_json()). */
struct graph_layout;

/*
 * Lays out machine's graph. machine is borrowed and must outlive the layout
 * (state names and resources are not copied). On success returns 0 and
 * stores a layout the caller frees with graph_layout_free() in *layout. On
 * failure *layout is untouched, nothing leaks, and the result is
 *   -EINVAL  NULL machine or layout, or a transition to a state that does not exist
 *   -E2BIG   more than GRAPH_LAYOUT_MAX_STATES states (nested ones included), a
 *            graph needing more than GRAPH_LAYOUT_MAX_BEND_POINTS bend points,
 *            or forks nested more than GRAPH_LAYOUT_MAX_NESTING deep
 *   -ENOMEM  out of memory
 */
__attribute__((warn_unused_result)) int graph_layout_compute(const struct state_machine *machine,
                                                             struct graph_layout **layout);

/*
 * The layout as the console's JSON document (see the console contract):
 *   {"width", "height",
 *    "nodes": [{"id", "type", "label", "x", "y", "width", "height", "resource" (Task only),
 *               "mapLabel" (a Map's Label, when it has one),
 *               "children" (Parallel and Map: [{"branch", "x", "y", "width", "height", "nodes", "edges"}])}],
 *    "edges": [{"from", "to", "kind", "label" (choice, default, catch), "back" (back edges only),
 *               "points": [[x, y], ...]}]}
 * x, y are a box's top-left corner; all numbers are integers. Nodes come in
 * definition order between #start and #end; edges in definition order
 * (#start's first, then each state's Next, Choice rules, Default, Catch
 * entries and edge to #end). A container's "children" are its branches in
 * order ("branch": 0, 1, ...; a Map has one), each a scope's graph like the
 * top level's, whose nodes may be containers in turn. Every coordinate, a
 * branch's and its nodes' and points' included, is absolute (the top-level
 * drawing's). A state's "id" is its name, unique machine-wide; "#start" and
 * "#end" repeat in every branch. The caller frees the result with
 * cJSON_Delete; NULL when out of memory (or for a NULL layout).
 */
__attribute__((warn_unused_result)) cJSON *graph_layout_to_json(const struct graph_layout *layout);

/* Frees a layout; safe on NULL and on a half-built one. */
void graph_layout_free(struct graph_layout *layout);

#endif
