/*
 * test_graph_layout.c - unit tests for loan-processor/graph_layout.c
 *
 * The tests look at what the console draws: the JSON document (node boxes,
 * edges with their kinds, labels and polylines), and check its geometry.
 */
#include "graph_layout.h"

#include "failing_allocator.h"
#include "test.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#ifndef TEST_BLOG_PART1_PATH
#error "SOURCE_ROOT must be defined by meson"
#endif

#define MARGIN 20

/* A Choice looping back through a Wait and a Pass until a rule lets it out. */
static const char choice_loop_definition[] =
    "{\"StartAt\":\"Check\",\"States\":{"
    "\"Check\":{\"Type\":\"Choice\",\"Choices\":["
    "{\"Variable\":\"$.status\",\"StringEquals\":\"DONE\",\"Next\":\"Approve\"},"
    "{\"Variable\":\"$.status\",\"StringEquals\":\"PENDING\",\"Next\":\"Pause\"}],"
    "\"Default\":\"Reject\"},"
    "\"Pause\":{\"Type\":\"Wait\",\"Seconds\":5,\"Next\":\"Loop\"},"
    "\"Loop\":{\"Type\":\"Pass\",\"Next\":\"Check\"},"
    "\"Approve\":{\"Type\":\"Succeed\"},"
    "\"Reject\":{\"Type\":\"Fail\",\"Error\":\"Rejected\"}}}";

/* ---- helpers ------------------------------------------------------------- */

/* Parses a definition (with the normal allocator); NULL and a diagnostic when it does not parse. */
static struct state_machine *parse(const char *definition)
{
    struct state_machine *machine = NULL;
    char error[512] = "";
    if (state_machine_parse(definition, strlen(definition), &machine, error, sizeof(error)) != 0)
        printf("# definition error: %s\n", error);
    return machine;
}

static struct state_machine *parse_file(const char *path)
{
    size_t length = 0;
    char *definition = test_read_file(path, &length);
    struct state_machine *machine = definition ? parse(definition) : NULL;
    free(definition);
    return machine;
}

/* The layout's JSON document, or NULL (with a diagnostic) when it cannot be computed. */
static cJSON *layout_json(const struct state_machine *machine)
{
    struct graph_layout *layout = NULL;
    int rc = machine ? graph_layout_compute(machine, &layout) : -EINVAL;
    cJSON *json = rc == 0 ? graph_layout_to_json(layout) : NULL;
    if (rc != 0)
        printf("# graph_layout_compute: %d\n", rc);
    graph_layout_free(layout);
    return json;
}

static cJSON *layout_json_of(const char *definition)
{
    struct state_machine *machine = parse(definition);
    cJSON *json = layout_json(machine);
    state_machine_free(machine);
    return json;
}

static char *print(const cJSON *json)
{
    return json ? cJSON_PrintUnformatted(json) : NULL;
}

static int number(const cJSON *object, const char *name)
{
    return (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(object, name));
}

/* A scope's top-left corner: a branch's "x" or "y"; 0 for the top level, which has none. */
static int origin(const cJSON *scope, const char *name)
{
    return cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(scope, name)) ? number(scope, name) : 0;
}

static const char *text(const cJSON *object, const char *name)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(object, name));
}

static const cJSON *find_node(const cJSON *json, const char *id)
{
    const cJSON *node;
    cJSON_ArrayForEach(node, cJSON_GetObjectItemCaseSensitive(json, "nodes"))
    {
        if (text(node, "id") && strcmp(text(node, "id"), id) == 0)
            return node;
    }
    return NULL;
}

/* The first edge from -> to of that kind. */
static const cJSON *find_edge(const cJSON *json, const char *from, const char *to, const char *kind)
{
    const cJSON *edge;
    cJSON_ArrayForEach(edge, cJSON_GetObjectItemCaseSensitive(json, "edges"))
    {
        if (strcmp(text(edge, "from"), from) == 0 && strcmp(text(edge, "to"), to) == 0
            && strcmp(text(edge, "kind"), kind) == 0)
            return edge;
    }
    return NULL;
}

/* The vertical middle of a node: nodes of one layer share it. */
static int middle_y(const cJSON *json, const char *id)
{
    const cJSON *node = find_node(json, id);
    return node ? number(node, "y") + number(node, "height") / 2 : -1;
}

static int middle_x(const cJSON *json, const char *id)
{
    const cJSON *node = find_node(json, id);
    return node ? number(node, "x") + number(node, "width") / 2 : -1;
}

/* "id:type" of every node, joined by spaces, in order. */
static void describe_nodes(const cJSON *json, char *out, size_t size)
{
    const cJSON *node;
    out[0] = '\0';
    cJSON_ArrayForEach(node, cJSON_GetObjectItemCaseSensitive(json, "nodes"))
    {
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%s%s:%s", used ? " " : "", text(node, "id"), text(node, "type"));
    }
}

/* "from>to:kind[:label][:back]" of every edge, joined by spaces, in order. */
static void describe_edges(const cJSON *json, char *out, size_t size)
{
    const cJSON *edge;
    out[0] = '\0';
    cJSON_ArrayForEach(edge, cJSON_GetObjectItemCaseSensitive(json, "edges"))
    {
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%s%s>%s:%s%s%s%s", used ? " " : "", text(edge, "from"), text(edge, "to"),
                 text(edge, "kind"), text(edge, "label") ? ":" : "", text(edge, "label") ? text(edge, "label") : "",
                 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(edge, "back")) ? ":back" : "");
    }
}

static int point_count(const cJSON *edge)
{
    return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(edge, "points"));
}

/* Coordinate axis (0: x, 1: y) of an edge's point number index; a negative index counts from the end. */
static int point_coordinate(const cJSON *edge, int index, int axis)
{
    const cJSON *points = cJSON_GetObjectItemCaseSensitive(edge, "points");
    const cJSON *point = cJSON_GetArrayItem(points, index < 0 ? cJSON_GetArraySize(points) + index : index);
    return (int)cJSON_GetNumberValue(cJSON_GetArrayItem(point, axis));
}

/* ---- geometry ------------------------------------------------------------ */

struct box {
    double left, top, right, bottom;
};

static struct box box_of(const cJSON *node)
{
    double x = number(node, "x"), y = number(node, "y");
    return (struct box){ x, y, x + number(node, "width"), y + number(node, "height") };
}

static bool on_border(struct box box, double x, double y)
{
    bool on_vertical = (x == box.left || x == box.right) && y >= box.top && y <= box.bottom;
    bool on_horizontal = (y == box.top || y == box.bottom) && x >= box.left && x <= box.right;
    return on_vertical || on_horizontal;
}

/* Whether the segment (x0,y0)-(x1,y1) enters the box's inside (Liang-Barsky clipping, half a pixel in). */
static bool crosses_inside(struct box box, double x0, double y0, double x1, double y1)
{
    double p[4] = { -(x1 - x0), x1 - x0, -(y1 - y0), y1 - y0 };
    double q[4] = { x0 - (box.left + 0.5), (box.right - 0.5) - x0, y0 - (box.top + 0.5), (box.bottom - 0.5) - y0 };
    double enter = 0, leave = 1;
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0) {
            if (q[i] < 0)
                return false;
            continue;
        }
        double t = q[i] / p[i];
        if (p[i] < 0 && t > enter)
            enter = t;
        if (p[i] > 0 && t < leave)
            leave = t;
    }
    return enter <= leave;
}

static bool is_integer(const cJSON *value)
{
    return cJSON_IsNumber(value) && value->valuedouble == (double)(int)value->valuedouble;
}

/* Checks one edge's polyline; writes the first problem into problem. */
static bool check_edge_geometry(const cJSON *json, const cJSON *edge, char *problem, size_t size)
{
    const cJSON *from = find_node(json, text(edge, "from")), *to = find_node(json, text(edge, "to"));
    const cJSON *points = cJSON_GetObjectItemCaseSensitive(edge, "points"), *point, *node;
    int count = cJSON_GetArraySize(points), left = origin(json, "x"), top = origin(json, "y");
    int right = left + number(json, "width"), bottom = top + number(json, "height");
    bool back = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(edge, "back"));
    double previous_x = 0, previous_y = 0;
    int index = 0;
    if (!from || !to || count < 2) {
        snprintf(problem, size, "edge %s>%s: unknown end or fewer than 2 points", text(edge, "from"), text(edge, "to"));
        return false;
    }
    cJSON_ArrayForEach(point, points)
    {
        const cJSON *px = cJSON_GetArrayItem(point, 0), *py = cJSON_GetArrayItem(point, 1);
        if (cJSON_GetArraySize(point) != 2 || !is_integer(px) || !is_integer(py)) {
            snprintf(problem, size, "edge %s>%s: point %d is not [x, y]", text(edge, "from"), text(edge, "to"), index);
            return false;
        }
        double x = px->valuedouble, y = py->valuedouble;
        if (x < left + MARGIN || x > right - MARGIN || y < top + MARGIN || y > bottom - MARGIN) {
            snprintf(problem, size, "edge %s>%s: point %d outside", text(edge, "from"), text(edge, "to"), index);
            return false;
        }
        if (index > 0 && x == previous_x && y == previous_y) {
            snprintf(problem, size, "edge %s>%s: point %d repeated", text(edge, "from"), text(edge, "to"), index);
            return false;
        }
        if (index > 0) {
            cJSON_ArrayForEach(node, cJSON_GetObjectItemCaseSensitive(json, "nodes"))
            {
                if (crosses_inside(box_of(node), previous_x, previous_y, x, y)) {
                    snprintf(problem, size, "edge %s>%s: segment %d runs through %s", text(edge, "from"),
                             text(edge, "to"), index, text(node, "id"));
                    return false;
                }
            }
        }
        struct box source = box_of(from), target = box_of(to);
        bool first_ok = index != 0 || (on_border(source, x, y) && (back ? x == source.right : y == source.bottom));
        bool last_ok = index != count - 1 || (on_border(target, x, y) && (back ? x == target.right : y == target.top));
        if (!first_ok || !last_ok) {
            snprintf(problem, size, "edge %s>%s: point %d not on the %s's border", text(edge, "from"), text(edge, "to"),
                     index, index == 0 ? "source" : "target");
            return false;
        }
        previous_x = x;
        previous_y = y;
        index++;
    }
    return true;
}

/*
 * Checks what the console relies on: integers; boxes inside the drawing's
 * margin and apart; every edge from its source's border to its target's,
 * through no box.
 */
static bool check_geometry(const cJSON *json, char *problem, size_t size)
{
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(json, "nodes"), *node, *other, *edge;
    int left = origin(json, "x"), top = origin(json, "y");
    int right = left + number(json, "width"), bottom = top + number(json, "height");
    problem[0] = '\0';
    cJSON_ArrayForEach(node, nodes)
    {
        struct box box = box_of(node);
        if (!is_integer(cJSON_GetObjectItemCaseSensitive(node, "x"))
            || !is_integer(cJSON_GetObjectItemCaseSensitive(node, "y")) || box.left < left + MARGIN
            || box.top < top + MARGIN || box.right > right - MARGIN || box.bottom > bottom - MARGIN
            || box.right <= box.left) {
            snprintf(problem, size, "node %s outside the drawing", text(node, "id"));
            return false;
        }
        for (other = node->next; other; other = other->next) {
            struct box b = box_of(other);
            if (box.left < b.right && b.left < box.right && box.top < b.bottom && b.top < box.bottom) {
                snprintf(problem, size, "nodes %s and %s overlap", text(node, "id"), text(other, "id"));
                return false;
            }
        }
    }
    cJSON_ArrayForEach(edge, cJSON_GetObjectItemCaseSensitive(json, "edges"))
    {
        if (!check_edge_geometry(json, edge, problem, size))
            return false;
    }
    return true;
}

#define ASSERT_GEOMETRY(json)                                          \
    do {                                                               \
        char problem_[256];                                            \
        bool ok_ = check_geometry((json), problem_, sizeof(problem_)); \
        if (!ok_)                                                      \
            TEST_FAIL_("geometry: %s", problem_);                      \
    } while (0)

/* ---- the shipped definitions --------------------------------------------- */

static void test_lays_out_the_blog_part1_definition(void)
{
    struct state_machine *machine = parse_file(TEST_BLOG_PART1_PATH);
    cJSON *json = layout_json(machine);
    char nodes[512], edges[1024];
    state_machine_free(machine);
    ASSERT_NOT_NULL(json);
    describe_nodes(json, nodes, sizeof(nodes));
    describe_edges(json, edges, sizeof(edges));
    const cJSON *start = find_node(json, "#start"), *task = find_node(json, "RequestValuation");
    int start_size[2] = { start ? number(start, "width") : 0, start ? number(start, "height") : -1 };
    bool resource_ok = task && text(task, "resource")
                       && strcmp(text(task, "resource"), "arn:aws:states:::lambda:invoke.waitForTaskToken") == 0;
    int middles[3] = { middle_y(json, "#start"), middle_y(json, "RequestValuation"), middle_y(json, "#end") };
    int centres[3] = { middle_x(json, "#start"), middle_x(json, "RequestValuation"), middle_x(json, "#end") };
    char problem[256];
    bool geometry_ok = check_geometry(json, problem, sizeof(problem));
    cJSON_Delete(json);

    ASSERT_EQ_STR("#start:Start RequestValuation:Task #end:End", nodes);
    ASSERT_EQ_STR("#start>RequestValuation:next RequestValuation>#end:next", edges);
    ASSERT_TRUE(resource_ok);
    ASSERT_EQ_INT(start_size[0], start_size[1]);
    ASSERT_TRUE(middles[0] < middles[1] && middles[1] < middles[2]);
    /* a single child sits under its parent */
    ASSERT_EQ_INT(centres[0], centres[1]);
    ASSERT_EQ_INT(centres[1], centres[2]);
    if (!geometry_ok)
        TEST_FAIL_("geometry: %s", problem);
}

static void test_lays_out_the_blog_part2_definition(void)
{
    struct state_machine *machine = parse_file(TEST_BLOG_PART2_PATH);
    cJSON *json = layout_json(machine);
    char nodes[512], edges[2048];
    state_machine_free(machine);
    ASSERT_NOT_NULL(json);
    describe_nodes(json, nodes, sizeof(nodes));
    describe_edges(json, edges, sizeof(edges));
    ASSERT_EQ_STR("#start:Start RequestValuation:Task PublishValuationServiceTimeoutError:Task "
                  "ValuationServiceTimedOut:Fail PublishValuationFailedError:Task ValuationFailed:Fail #end:End",
                  nodes);
    ASSERT_EQ_STR("#start>RequestValuation:next "
                  "RequestValuation>PublishValuationServiceTimeoutError:catch:States.Timeout "
                  "RequestValuation>PublishValuationFailedError:catch:ValuationFailed "
                  "RequestValuation>#end:next "
                  "PublishValuationServiceTimeoutError>ValuationServiceTimedOut:next "
                  "ValuationServiceTimedOut>#end:next "
                  "PublishValuationFailedError>ValuationFailed:next "
                  "ValuationFailed>#end:next",
                  edges);
    /* layers: #start, the task, the publishing tasks, the Fail states, #end */
    int start = middle_y(json, "#start"), task = middle_y(json, "RequestValuation");
    int publish = middle_y(json, "PublishValuationServiceTimeoutError"), fail = middle_y(json, "ValuationFailed");
    int end = middle_y(json, "#end");
    ASSERT_TRUE(start < task && task < publish && publish < fail && fail < end);
    ASSERT_EQ_INT(publish, middle_y(json, "PublishValuationFailedError"));
    ASSERT_EQ_INT(fail, middle_y(json, "ValuationServiceTimedOut"));
    /* the task's edge to #end skips two layers: it bends round them */
    ASSERT_TRUE(point_count(find_edge(json, "RequestValuation", "#end", "next")) > 2);
    ASSERT_EQ_STR("arn:aws:states:::sns:publish", text(find_node(json, "PublishValuationFailedError"), "resource"));
    ASSERT_NULL(text(find_node(json, "ValuationFailed"), "resource"));
    ASSERT_GEOMETRY(json);
    cJSON_Delete(json);
}

/* ---- shapes of graphs ---------------------------------------------------- */

static void test_a_choice_looping_back_is_a_back_edge(void)
{
    cJSON *json = layout_json_of(choice_loop_definition);
    char edges[2048];
    ASSERT_NOT_NULL(json);
    describe_edges(json, edges, sizeof(edges));
    ASSERT_EQ_STR("#start>Check:next Check>Approve:choice:Rule 1 Check>Pause:choice:Rule 2 "
                  "Check>Reject:default:Default Pause>Loop:next Loop>Check:next:back Approve>#end:next "
                  "Reject>#end:next",
                  edges);
    ASSERT_TRUE(middle_y(json, "Check") < middle_y(json, "Pause"));
    ASSERT_TRUE(middle_y(json, "Pause") < middle_y(json, "Loop"));
    ASSERT_TRUE(middle_y(json, "Loop") < middle_y(json, "#end"));
    ASSERT_EQ_INT(middle_y(json, "Approve"), middle_y(json, "Pause"));
    ASSERT_EQ_INT(middle_y(json, "Reject"), middle_y(json, "Pause"));
    /* the loop goes up on the right: it leaves Loop's right side and enters Check's */
    const cJSON *back = find_edge(json, "Loop", "Check", "next");
    ASSERT_TRUE(point_count(back) >= 4);
    ASSERT_GEOMETRY(json);
    cJSON_Delete(json);
}

static void test_a_long_edge_bends_round_the_layers_it_skips(void)
{
    cJSON *json =
        layout_json_of("{\"StartAt\":\"Check\",\"States\":{"
                       "\"Check\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.quick\",\"BooleanEquals\":true,"
                       "\"Next\":\"Done\"}],\"Default\":\"Step1\"},"
                       "\"Step1\":{\"Type\":\"Pass\",\"Next\":\"Step2\"},"
                       "\"Step2\":{\"Type\":\"Pass\",\"Next\":\"Step3\"},"
                       "\"Step3\":{\"Type\":\"Pass\",\"Next\":\"Done\"},"
                       "\"Done\":{\"Type\":\"Succeed\"}}}");
    ASSERT_NOT_NULL(json);
    const cJSON *skip = find_edge(json, "Check", "Done", "choice");
    ASSERT_NOT_NULL(skip);
    ASSERT_EQ_STR("Rule 1", text(skip, "label"));
    ASSERT_TRUE(middle_y(json, "Step3") < middle_y(json, "Done"));
    /* a column per skipped layer (3): top and bottom of each */
    ASSERT_TRUE(point_count(skip) >= 2 + 2 * 3);
    ASSERT_GEOMETRY(json);
    cJSON_Delete(json);
}

static void test_a_chain_of_pass_and_wait_states_is_one_column(void)
{
    cJSON *json = layout_json_of(
        "{\"StartAt\":\"First\",\"States\":{"
        "\"First\":{\"Type\":\"Pass\",\"Next\":\"Pause\"},"
        "\"Pause\":{\"Type\":\"Wait\",\"SecondsPath\":\"$.delay\",\"Next\":\"A state with a rather long name\"},"
        "\"A state with a rather long name\":{\"Type\":\"Pass\",\"End\":true}}}");
    char nodes[512];
    ASSERT_NOT_NULL(json);
    describe_nodes(json, nodes, sizeof(nodes));
    ASSERT_EQ_STR("#start:Start First:Pass Pause:Wait A state with a rather long name:Pass #end:End", nodes);
    int centre = middle_x(json, "#start");
    ASSERT_EQ_INT(centre, middle_x(json, "First"));
    ASSERT_EQ_INT(centre, middle_x(json, "Pause"));
    ASSERT_EQ_INT(centre, middle_x(json, "A state with a rather long name"));
    ASSERT_EQ_INT(centre, middle_x(json, "#end"));
    ASSERT_TRUE(middle_y(json, "First") < middle_y(json, "Pause"));
    ASSERT_EQ_INT(2, point_count(find_edge(json, "First", "Pause", "next")));
    ASSERT_GEOMETRY(json);
    cJSON_Delete(json);
}

static void test_a_state_looping_to_itself(void)
{
    cJSON *json =
        layout_json_of("{\"StartAt\":\"Poll\",\"States\":{"
                       "\"Poll\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::sqs:sendMessage\","
                       "\"Catch\":[{\"ErrorEquals\":[\"States.Timeout\",\"States.TaskFailed\"],\"Next\":\"Poll\"}],"
                       "\"Next\":\"Again\"},"
                       "\"Again\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.more\",\"BooleanEquals\":true,"
                       "\"Next\":\"Again\"},{\"Variable\":\"$.retry\",\"BooleanEquals\":true,\"Next\":\"Poll\"}],"
                       "\"Default\":\"Done\"},"
                       "\"Done\":{\"Type\":\"Succeed\"}}}");
    char edges[2048];
    ASSERT_NOT_NULL(json);
    describe_edges(json, edges, sizeof(edges));
    ASSERT_EQ_STR("#start>Poll:next Poll>Again:next Poll>Poll:catch:States.Timeout, States.TaskFailed:back "
                  "Again>Again:choice:Rule 1:back Again>Poll:choice:Rule 2:back Again>Done:default:Default "
                  "Done>#end:next",
                  edges);
    /* out of the right side and back into it, lower end first */
    const cJSON *loop = find_edge(json, "Poll", "Poll", "catch");
    ASSERT_NOT_NULL(loop);
    ASSERT_TRUE(point_coordinate(loop, 0, 1) > point_coordinate(loop, -1, 1));
    ASSERT_EQ_INT(point_coordinate(loop, 0, 0), point_coordinate(loop, -1, 0));
    ASSERT_GEOMETRY(json);
    cJSON_Delete(json);
}

static void test_two_rules_to_one_state_are_two_edges(void)
{
    cJSON *json = layout_json_of("{\"StartAt\":\"Check\",\"States\":{"
                                 "\"Check\":{\"Type\":\"Choice\",\"Choices\":["
                                 "{\"Variable\":\"$.a\",\"IsPresent\":true,\"Next\":\"Done\"},"
                                 "{\"Variable\":\"$.b\",\"IsPresent\":true,\"Next\":\"Done\"}],\"Default\":\"Done\"},"
                                 "\"Done\":{\"Type\":\"Succeed\"}}}");
    char edges[1024];
    ASSERT_NOT_NULL(json);
    describe_edges(json, edges, sizeof(edges));
    ASSERT_EQ_STR("#start>Check:next Check>Done:choice:Rule 1 Check>Done:choice:Rule 2 Check>Done:default:Default "
                  "Done>#end:next",
                  edges);
    /* each ends at its own point of Done's top border */
    const cJSON *edge;
    int ends[3], count = 0;
    cJSON_ArrayForEach(edge, cJSON_GetObjectItemCaseSensitive(json, "edges"))
    {
        if (strcmp(text(edge, "to"), "Done") == 0 && count < 3)
            ends[count++] = point_coordinate(edge, -1, 0);
    }
    ASSERT_EQ_INT(3, count);
    ASSERT_TRUE(ends[0] != ends[1] && ends[1] != ends[2] && ends[0] != ends[2]);
    ASSERT_GEOMETRY(json);
    cJSON_Delete(json);
}

/* A state's width follows its name: 7.5 px a character plus 32, between 120 and 280. */
static void test_box_width_follows_the_name(void)
{
    static const char long_name[] = "AVeryLongStateNameThatGoesOnAndOnAndOnForMoreThanFortyCharacters";
    char definition[512];
    snprintf(definition, sizeof(definition),
             "{\"StartAt\":\"S\",\"States\":{\"S\":{\"Type\":\"Pass\",\"Next\":\"TwentyCharactersLong\"},"
             "\"TwentyCharactersLong\":{\"Type\":\"Pass\",\"Next\":\"%s\"},"
             "\"%s\":{\"Type\":\"Pass\",\"Next\":\"\xc3\xa9t\xc3\xa9\"},"
             "\"\xc3\xa9t\xc3\xa9\":{\"Type\":\"Succeed\"}}}",
             long_name, long_name);
    cJSON *json = layout_json_of(definition);
    ASSERT_NOT_NULL(json);
    ASSERT_EQ_INT(120, number(find_node(json, "S"), "width"));
    ASSERT_EQ_INT(182, number(find_node(json, "TwentyCharactersLong"), "width"));
    ASSERT_EQ_INT(280, number(find_node(json, long_name), "width"));
    ASSERT_EQ_STR(long_name, text(find_node(json, long_name), "label"));
    ASSERT_EQ_INT(44, number(find_node(json, "S"), "height"));
    ASSERT_EQ_INT(120, number(find_node(json, "\xc3\xa9t\xc3\xa9"), "width"));
    ASSERT_GEOMETRY(json);
    cJSON_Delete(json);
}

/* A machine built by hand, for what the parser refuses: a state StartAt does not reach. */
static void test_states_not_reached_from_start_at_are_placed_too(void)
{
    struct state_definition states[3] = {
        { .name = "Only", .type = STATE_PASS, .next = NULL },
        { .name = "Orphan", .type = STATE_PASS, .next = "Other" },
        { .name = "Other", .type = STATE_PASS, .next = "Orphan" },
    };
    struct state_machine machine = { .start_at = "Only", .states = states, .state_count = 3 };
    cJSON *json = layout_json(&machine);
    char edges[1024];
    ASSERT_NOT_NULL(json);
    describe_edges(json, edges, sizeof(edges));
    ASSERT_EQ_STR("#start>Only:next Only>#end:next Orphan>Other:next Other>Orphan:next:back", edges);
    ASSERT_TRUE(middle_y(json, "Orphan") < middle_y(json, "Other"));
    ASSERT_TRUE(middle_y(json, "Other") < middle_y(json, "#end"));
    ASSERT_GEOMETRY(json);
    cJSON_Delete(json);
}

static void test_rejects_a_transition_to_a_missing_state(void)
{
    struct state_definition states[1] = { { .name = "A", .type = STATE_PASS, .next = "Nowhere" } };
    struct state_machine machine = { .start_at = "A", .states = states, .state_count = 1 };
    struct state_machine missing_start = { .start_at = "B", .states = states, .state_count = 1 };
    static int sentinel;
    struct graph_layout *layout = (struct graph_layout *)&sentinel; /* must stay as it is */
    ASSERT_EQ_INT(-EINVAL, graph_layout_compute(&machine, &layout));
    ASSERT_TRUE(layout == (struct graph_layout *)&sentinel);
    ASSERT_EQ_INT(-EINVAL, graph_layout_compute(&missing_start, &layout));
    ASSERT_EQ_INT(-EINVAL, graph_layout_compute(NULL, &layout));
    ASSERT_EQ_INT(-EINVAL, graph_layout_compute(&machine, NULL));
    ASSERT_NULL(graph_layout_to_json(NULL));
    graph_layout_free(NULL);
}

/* ---- generated graphs ----------------------------------------------------- */

static unsigned long random_state = 12345;

static size_t next_random(size_t bound)
{
    random_state = random_state * 6364136223846793005UL + 1442695040888963407UL;
    return (size_t)((random_state >> 33) % bound);
}

/*
 * A definition of count states S0..S<count-1>: each reaches the next (so all
 * are reachable) and jumps to random others, back and forward, through
 * Choice rules, Catch entries and Default.
 */
static void generate_definition(size_t count, char *out, size_t size)
{
    size_t used = (size_t)snprintf(out, size, "{\"StartAt\":\"S0\",\"States\":{");
    for (size_t i = 0; i < count; i++) {
        const char *separator = i + 1 < count ? "," : "";
        if (i + 1 == count) {
            used += (size_t)snprintf(out + used, size - used, "\"S%zu\":{\"Type\":\"Succeed\"}", i);
        } else if (next_random(3) == 0) {
            used += (size_t)snprintf(out + used, size - used, "\"S%zu\":{\"Type\":\"Choice\",\"Choices\":[", i);
            size_t rules = 1 + next_random(3);
            for (size_t r = 0; r < rules; r++)
                used += (size_t)snprintf(out + used, size - used,
                                         "%s{\"Variable\":\"$.v\",\"NumericEquals\":%zu,\"Next\":\"S%zu\"}",
                                         r ? "," : "", r, next_random(count));
            used += (size_t)snprintf(out + used, size - used, "],\"Default\":\"S%zu\"}%s", i + 1, separator);
        } else if (next_random(2) == 0) {
            used += (size_t)snprintf(out + used, size - used,
                                     "\"S%zu\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::sns:publish\","
                                     "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"S%zu\"}],"
                                     "\"Next\":\"S%zu\"}%s",
                                     i, next_random(count), i + 1, separator);
        } else {
            used += (size_t)snprintf(out + used, size - used, "\"S%zu\":{\"Type\":\"Pass\",\"Next\":\"S%zu\"}%s", i,
                                     i + 1, separator);
        }
    }
    snprintf(out + used, size - used, "}}");
}

/* Layouts of many generated graphs keep boxes apart and edges out of boxes. */
static void test_generated_graphs_have_clean_geometry(void)
{
    static char definition[32768];
    for (int round = 0; round < 60; round++) {
        size_t count = 2 + next_random(30);
        generate_definition(count, definition, sizeof(definition));
        cJSON *json = layout_json_of(definition);
        char problem[256];
        if (!json)
            TEST_FAIL_("round %d: no layout for %s", round, definition);
        bool ok = check_geometry(json, problem, sizeof(problem));
        cJSON_Delete(json);
        if (!ok)
            TEST_FAIL_("round %d: %s in %s", round, problem, definition);
    }
}

/* ---- the document --------------------------------------------------------- */

/* The member names of object, joined by commas. */
static void member_names(const cJSON *object, char *out, size_t size)
{
    const cJSON *member;
    out[0] = '\0';
    cJSON_ArrayForEach(member, object)
    {
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%s%s", used ? "," : "", member->string);
    }
}

static void test_json_has_the_contract_fields(void)
{
    cJSON *json = layout_json_of(
        "{\"StartAt\":\"Work\",\"States\":{"
        "\"Work\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::lambda:invoke\",\"Next\":\"Check\"},"
        "\"Check\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.again\",\"BooleanEquals\":true,"
        "\"Next\":\"Work\"}],\"Default\":\"Done\"},"
        "\"Done\":{\"Type\":\"Succeed\"}}}");
    char names[256];
    ASSERT_NOT_NULL(json);
    member_names(json, names, sizeof(names));
    ASSERT_EQ_STR("width,height,nodes,edges", names);
    ASSERT_TRUE(is_integer(cJSON_GetObjectItemCaseSensitive(json, "width")));
    ASSERT_TRUE(is_integer(cJSON_GetObjectItemCaseSensitive(json, "height")));
    member_names(find_node(json, "#start"), names, sizeof(names));
    ASSERT_EQ_STR("id,type,label,x,y,width,height", names);
    ASSERT_EQ_STR("Start", text(find_node(json, "#start"), "label"));
    ASSERT_EQ_STR("End", text(find_node(json, "#end"), "label"));
    member_names(find_node(json, "Work"), names, sizeof(names));
    ASSERT_EQ_STR("id,type,label,x,y,width,height,resource", names);
    member_names(find_node(json, "Check"), names, sizeof(names));
    ASSERT_EQ_STR("id,type,label,x,y,width,height", names);
    member_names(find_edge(json, "Work", "Check", "next"), names, sizeof(names));
    ASSERT_EQ_STR("from,to,kind,points", names);
    const cJSON *back = find_edge(json, "Check", "Work", "choice");
    member_names(back, names, sizeof(names));
    ASSERT_EQ_STR("from,to,kind,label,back,points", names);
    ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(back, "back")));
    member_names(find_edge(json, "Check", "Done", "default"), names, sizeof(names));
    ASSERT_EQ_STR("from,to,kind,label,points", names);
    ASSERT_GEOMETRY(json);
    cJSON_Delete(json);
}

static void test_layout_is_deterministic(void)
{
    struct state_machine *first_machine = parse_file(TEST_BLOG_PART2_PATH);
    struct state_machine *second_machine = parse_file(TEST_BLOG_PART2_PATH);
    cJSON *first = layout_json(first_machine), *second = layout_json(second_machine);
    cJSON *loop_first = layout_json_of(choice_loop_definition), *loop_second = layout_json_of(choice_loop_definition);
    char *texts[4] = { print(first), print(second), print(loop_first), print(loop_second) };
    bool same = texts[0] && texts[1] && strcmp(texts[0], texts[1]) == 0;
    bool loop_same = texts[2] && texts[3] && strcmp(texts[2], texts[3]) == 0;
    for (int i = 0; i < 4; i++)
        cJSON_free(texts[i]);
    cJSON_Delete(first);
    cJSON_Delete(second);
    cJSON_Delete(loop_first);
    cJSON_Delete(loop_second);
    state_machine_free(first_machine);
    state_machine_free(second_machine);
    ASSERT_TRUE(same);
    ASSERT_TRUE(loop_same);
}

/* ---- limits ----------------------------------------------------------------- */

/* A chain of count Pass states, each optionally a Task catching into the last state. */
static char *chain_definition(size_t count, bool catching)
{
    size_t size = 64 + count * 200;
    char *definition = malloc(size);
    size_t used = (size_t)snprintf(definition, size, "{\"StartAt\":\"S0\",\"States\":{");
    for (size_t i = 0; i + 1 < count; i++) {
        if (catching)
            used += (size_t)snprintf(definition + used, size - used,
                                     "\"S%zu\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::sns:publish\","
                                     "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"S%zu\"}],"
                                     "\"Next\":\"S%zu\"},",
                                     i, count - 1, i + 1);
        else
            used += (size_t)snprintf(definition + used, size - used, "\"S%zu\":{\"Type\":\"Pass\",\"Next\":\"S%zu\"},",
                                     i, i + 1);
    }
    snprintf(definition + used, size - used, "\"S%zu\":{\"Type\":\"Succeed\"}}}", count - 1);
    return definition;
}

static int compute_chain(size_t count, bool catching)
{
    char *definition = chain_definition(count, catching);
    struct state_machine *machine = parse(definition);
    struct graph_layout *layout = NULL;
    int rc = machine ? graph_layout_compute(machine, &layout) : -1;
    if (rc != 0 && layout != NULL)
        rc = -1000; /* must stay untouched */
    graph_layout_free(layout);
    state_machine_free(machine);
    free(definition);
    return rc;
}

static void test_limits_the_number_of_states(void)
{
    ASSERT_EQ_INT(0, compute_chain(GRAPH_LAYOUT_MAX_STATES, false));
    ASSERT_EQ_INT(-E2BIG, compute_chain(GRAPH_LAYOUT_MAX_STATES + 1, false));
}

static void test_limits_the_number_of_bend_points(void)
{
    /* every state catching into the last one: about count^2 / 2 bend points */
    ASSERT_EQ_INT(0, compute_chain(100, true));
    ASSERT_EQ_INT(-E2BIG, compute_chain(400, true));
}

/* ---- allocation failures ------------------------------------------------------ */

/* Every allocation of the computation and of the JSON fails in turn, cleanly; then it works, the same way. */
static void check_allocation_failures(const char *definition)
{
    struct state_machine *machine = parse(definition);
    cJSON *expected_json = layout_json(machine);
    char *expected = print(expected_json);
    struct graph_layout *layout = NULL;
    int rc = -ENOMEM;
    bool clean = true;
    cJSON_Delete(expected_json);
    for (long allowed = 0; rc == -ENOMEM && allowed < 100000; allowed++) {
        use_failing_allocator(allowed);
        rc = graph_layout_compute(machine, &layout);
        use_normal_allocator();
        clean = clean && (rc == 0 || layout == NULL);
    }
    cJSON *json = NULL;
    for (long allowed = 0; rc == 0 && json == NULL && allowed < 100000; allowed++) {
        use_failing_allocator(allowed);
        json = graph_layout_to_json(layout);
        use_normal_allocator();
    }
    char *actual = print(json);
    bool same = expected && actual && strcmp(expected, actual) == 0;
    cJSON_free(expected);
    cJSON_free(actual);
    cJSON_Delete(json);
    graph_layout_free(layout);
    state_machine_free(machine);
    ASSERT_EQ_INT(0, rc);
    ASSERT_TRUE(clean);
    ASSERT_TRUE(same);
}

static void test_allocation_failures_are_clean(void)
{
    size_t length = 0;
    char *blog = test_read_file(TEST_BLOG_PART2_PATH, &length);
    ASSERT_NOT_NULL(blog);
    check_allocation_failures(blog);
    free(blog);
    check_allocation_failures(choice_loop_definition);
}

/* ---- Parallel and Map: containers ------------------------------------------------- */

/* A Parallel of two branches (A1 -> A2, B1), then Done. */
static const char parallel_definition[] =
    "{\"StartAt\":\"Fan\",\"States\":{"
    "\"Fan\":{\"Type\":\"Parallel\",\"Next\":\"Done\",\"Branches\":["
    "{\"StartAt\":\"A1\",\"States\":{\"A1\":{\"Type\":\"Pass\",\"Next\":\"A2\"},\"A2\":{\"Type\":\"Pass\",\"End\":true}"
    "}},"
    "{\"StartAt\":\"B1\",\"States\":{\"B1\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::sns:publish\","
    "\"End\":true}}}]},"
    "\"Done\":{\"Type\":\"Succeed\"}}}";

/* A Map (labelled) whose processor is a chain of three states. */
static const char map_definition[] =
    "{\"StartAt\":\"Each\",\"States\":{"
    "\"Each\":{\"Type\":\"Map\",\"Label\":\"Items\",\"End\":true,\"ItemProcessor\":{\"StartAt\":\"P1\",\"States\":{"
    "\"P1\":{\"Type\":\"Pass\",\"Next\":\"P2\"},\"P2\":{\"Type\":\"Wait\",\"Seconds\":1,\"Next\":\"P3\"},"
    "\"P3\":{\"Type\":\"Pass\",\"End\":true}}}}}}";

/* A Map whose processor runs a Parallel of two branches, one of them catching into a Fail. */
static const char parallel_in_map_definition[] =
    "{\"StartAt\":\"Before\",\"States\":{\"Before\":{\"Type\":\"Pass\",\"Next\":\"Outer\"},"
    "\"Outer\":{\"Type\":\"Map\",\"Next\":\"After\",\"ItemProcessor\":{\"StartAt\":\"Inner\",\"States\":{"
    "\"Inner\":{\"Type\":\"Parallel\",\"Next\":\"Tail\",\"Branches\":["
    "{\"StartAt\":\"X1\",\"States\":{\"X1\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::sns:publish\","
    "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"X2\"}],\"End\":true},"
    "\"X2\":{\"Type\":\"Fail\",\"Error\":\"Bad\"}}},"
    "{\"StartAt\":\"Y1\",\"States\":{\"Y1\":{\"Type\":\"Pass\",\"End\":true}}}]},"
    "\"Tail\":{\"Type\":\"Pass\",\"End\":true}}}},"
    "\"After\":{\"Type\":\"Succeed\"}}}";

static const cJSON *children_of(const cJSON *node)
{
    return cJSON_GetObjectItemCaseSensitive(node, "children");
}

static bool encloses(struct box outer, struct box inner)
{
    return inner.left >= outer.left && inner.top >= outer.top && inner.right <= outer.right
           && inner.bottom <= outer.bottom;
}

/*
 * Checks a scope and, recursively, every container in it: its branches
 * inside its box under the title, in order and apart, each numbered and
 * with clean geometry of its own (its edges among its own nodes).
 */
static bool check_nested(const cJSON *scope, int depth, int *deepest, char *problem, size_t size)
{
    const cJSON *node, *child;
    if (!check_geometry(scope, problem, size))
        return false;
    if (depth > *deepest)
        *deepest = depth;
    cJSON_ArrayForEach(node, cJSON_GetObjectItemCaseSensitive(scope, "nodes"))
    {
        struct box box = box_of(node);
        double previous_right = box.left;
        int index = 0;
        box.top += 44; /* the title */
        cJSON_ArrayForEach(child, children_of(node))
        {
            struct box branch = box_of(child);
            if (number(child, "branch") != index++ || !encloses(box, branch) || branch.left < previous_right) {
                snprintf(problem, size, "branch %d of %s misplaced", index - 1, text(node, "id"));
                return false;
            }
            previous_right = branch.right;
            if (!check_nested(child, depth + 1, deepest, problem, size))
                return false;
        }
    }
    return true;
}

#define ASSERT_NESTED(json, expected_depth)                                        \
    do {                                                                           \
        char problem_[256];                                                        \
        int deepest_ = 0;                                                          \
        bool ok_ = check_nested((json), 0, &deepest_, problem_, sizeof(problem_)); \
        if (!ok_)                                                                  \
            TEST_FAIL_("nested geometry: %s", problem_);                           \
        ASSERT_EQ_INT((expected_depth), deepest_);                                 \
    } while (0)

static void test_a_parallel_is_a_box_holding_its_branches(void)
{
    cJSON *json = layout_json_of(parallel_definition);
    char nodes[256], edges[512];
    ASSERT_NOT_NULL(json);
    const cJSON *fan = find_node(json, "Fan"), *branches = children_of(fan);
    describe_nodes(json, nodes, sizeof(nodes));
    describe_edges(json, edges, sizeof(edges));
    ASSERT_EQ_STR("#start:Start Fan:Parallel Done:Succeed #end:End", nodes);
    ASSERT_EQ_STR("#start>Fan:next Fan>Done:next Done>#end:next", edges);
    ASSERT_EQ_INT(2, cJSON_GetArraySize(branches));
    describe_nodes(cJSON_GetArrayItem(branches, 0), nodes, sizeof(nodes));
    describe_edges(cJSON_GetArrayItem(branches, 0), edges, sizeof(edges));
    ASSERT_EQ_STR("#start:Start A1:Pass A2:Pass #end:End", nodes);
    ASSERT_EQ_STR("#start>A1:next A1>A2:next A2>#end:next", edges);
    describe_nodes(cJSON_GetArrayItem(branches, 1), nodes, sizeof(nodes));
    describe_edges(cJSON_GetArrayItem(branches, 1), edges, sizeof(edges));
    ASSERT_EQ_STR("#start:Start B1:Task #end:End", nodes);
    ASSERT_EQ_STR("#start>B1:next B1>#end:next", edges);
    ASSERT_EQ_STR("arn:aws:states:::sns:publish", text(find_node(cJSON_GetArrayItem(branches, 1), "B1"), "resource"));
    /* side by side, tops aligned; the box is taller than a state's */
    ASSERT_EQ_INT(number(cJSON_GetArrayItem(branches, 0), "y"), number(cJSON_GetArrayItem(branches, 1), "y"));
    ASSERT_TRUE(number(fan, "height") > 44 + number(cJSON_GetArrayItem(branches, 0), "height"));
    ASSERT_TRUE(middle_y(json, "Fan") < middle_y(json, "Done"));
    ASSERT_NESTED(json, 1);
    cJSON_Delete(json);
}

static void test_a_map_holds_its_processor_once(void)
{
    cJSON *json = layout_json_of(map_definition);
    char nodes[256], names[256];
    ASSERT_NOT_NULL(json);
    const cJSON *each = find_node(json, "Each"), *branches = children_of(each);
    const cJSON *processor = cJSON_GetArrayItem(branches, 0);
    ASSERT_EQ_STR("Map", text(each, "type"));
    ASSERT_EQ_STR("Items", text(each, "mapLabel"));
    ASSERT_EQ_INT(1, cJSON_GetArraySize(branches));
    describe_nodes(processor, nodes, sizeof(nodes));
    ASSERT_EQ_STR("#start:Start P1:Pass P2:Wait P3:Pass #end:End", nodes);
    member_names(each, names, sizeof(names));
    ASSERT_EQ_STR("id,type,label,x,y,width,height,mapLabel,children", names);
    member_names(processor, names, sizeof(names));
    ASSERT_EQ_STR("branch,x,y,width,height,nodes,edges", names);
    /* a chain is one column */
    ASSERT_EQ_INT(middle_x(processor, "P1"), middle_x(processor, "P3"));
    ASSERT_NESTED(json, 1);
    cJSON_Delete(json);
}

static void test_a_parallel_inside_a_map(void)
{
    cJSON *json = layout_json_of(parallel_in_map_definition);
    char nodes[256], edges[512], names[256];
    ASSERT_NOT_NULL(json);
    const cJSON *processor = cJSON_GetArrayItem(children_of(find_node(json, "Outer")), 0);
    const cJSON *inner = find_node(processor, "Inner");
    describe_nodes(processor, nodes, sizeof(nodes));
    ASSERT_EQ_STR("#start:Start Inner:Parallel Tail:Pass #end:End", nodes);
    ASSERT_EQ_INT(2, cJSON_GetArraySize(children_of(inner)));
    describe_edges(cJSON_GetArrayItem(children_of(inner), 0), edges, sizeof(edges));
    ASSERT_EQ_STR("#start>X1:next X1>X2:catch:States.ALL X1>#end:next X2>#end:next", edges);
    member_names(find_node(json, "Outer"), names, sizeof(names));
    ASSERT_EQ_STR("id,type,label,x,y,width,height,children", names);
    member_names(inner, names, sizeof(names));
    ASSERT_EQ_STR("id,type,label,x,y,width,height,children", names);
    ASSERT_NESTED(json, 2);
    cJSON_Delete(json);
    check_allocation_failures(parallel_in_map_definition);
}

/* Forks nested depth deep (Parallel and Map in turn, each after a Pass), around one Pass. */
static char *nested_definition(int depth)
{
    size_t size = 256 + (size_t)depth * 256, used;
    char *definition = malloc(size);
    used = (size_t)snprintf(definition, size, "{\"StartAt\":\"S0\",\"States\":{");
    for (int i = 0; i < depth; i++)
        used += (size_t)snprintf(
            definition + used, size - used,
            "\"S%d\":{\"Type\":\"Pass\",\"Next\":\"F%d\"},\"F%d\":{\"End\":true,%s{\"StartAt\":\"S%d\",\"States\":{", i,
            i, i, i % 2 ? "\"Type\":\"Map\",\"ItemProcessor\":" : "\"Type\":\"Parallel\",\"Branches\":[", i + 1);
    used += (size_t)snprintf(definition + used, size - used, "\"S%d\":{\"Type\":\"Pass\",\"End\":true}}", depth);
    for (int i = depth - 1; i >= 0; i--)
        used += (size_t)snprintf(definition + used, size - used, "}%s}}", i % 2 ? "" : "]");
    snprintf(definition + used, size - used, "}");
    return definition;
}

static void test_eight_nested_forks(void)
{
    char *definition = nested_definition(GRAPH_LAYOUT_MAX_NESTING);
    cJSON *json = layout_json_of(definition);
    free(definition);
    ASSERT_NOT_NULL(json);
    ASSERT_NESTED(json, GRAPH_LAYOUT_MAX_NESTING);
    cJSON_Delete(json);
}

/* The parser refuses a ninth fork inside eight; built by hand, the layout refuses it. */
static void test_refuses_nine_nested_forks(void)
{
    enum { FORKS = GRAPH_LAYOUT_MAX_NESTING + 1 };
    static const char *const names[FORKS] = { "F0", "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8" };
    struct state_definition forks[FORKS], leaf = { .name = "Leaf", .type = STATE_PASS };
    struct state_scope scopes[FORKS];
    for (int i = 0; i < FORKS; i++) {
        forks[i] = (struct state_definition){
            .name = names[i], .type = STATE_PARALLEL, .branches = &scopes[i], .branch_count = 1
        };
        scopes[i] = (struct state_scope){ .start_at = i + 1 < FORKS ? names[i + 1] : "Leaf",
                                          .states = i + 1 < FORKS ? &forks[i + 1] : &leaf,
                                          .state_count = 1 };
    }
    struct state_machine nine = { .start_at = "F0", .states = forks, .state_count = 1 };
    struct state_machine eight = { .start_at = "F1", .states = &forks[1], .state_count = 1 };
    struct graph_layout *layout = NULL;
    ASSERT_EQ_INT(-E2BIG, graph_layout_compute(&nine, &layout));
    ASSERT_TRUE(layout == NULL);
    ASSERT_EQ_INT(0, graph_layout_compute(&eight, &layout));
    graph_layout_free(layout);
}

/* The state limit counts the states of every scope. */
static void test_limits_count_nested_states(void)
{
    size_t size = 128 + GRAPH_LAYOUT_MAX_STATES * 48;
    char *definition = malloc(size);
    size_t used = (size_t)snprintf(definition, size,
                                   "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"End\":true,"
                                   "\"ItemProcessor\":{\"StartAt\":\"S0\",\"States\":{");
    for (size_t i = 0; i + 1 < GRAPH_LAYOUT_MAX_STATES; i++)
        used += (size_t)snprintf(definition + used, size - used, "\"S%zu\":{\"Type\":\"Pass\",\"Next\":\"S%zu\"},", i,
                                 i + 1);
    snprintf(definition + used, size - used, "\"S%d\":{\"Type\":\"Succeed\"}}}}}}", GRAPH_LAYOUT_MAX_STATES - 1);
    struct state_machine *machine = parse(definition);
    struct graph_layout *layout = NULL;
    free(definition);
    ASSERT_NOT_NULL(machine);
    ASSERT_EQ_INT(-E2BIG, graph_layout_compute(machine, &layout));
    ASSERT_TRUE(layout == NULL);
    state_machine_free(machine);
}

int main(void)
{
    RUN(test_lays_out_the_blog_part1_definition);
    RUN(test_lays_out_the_blog_part2_definition);
    RUN(test_a_choice_looping_back_is_a_back_edge);
    RUN(test_a_long_edge_bends_round_the_layers_it_skips);
    RUN(test_a_chain_of_pass_and_wait_states_is_one_column);
    RUN(test_a_state_looping_to_itself);
    RUN(test_two_rules_to_one_state_are_two_edges);
    RUN(test_box_width_follows_the_name);
    RUN(test_states_not_reached_from_start_at_are_placed_too);
    RUN(test_rejects_a_transition_to_a_missing_state);
    RUN(test_generated_graphs_have_clean_geometry);
    RUN(test_json_has_the_contract_fields);
    RUN(test_layout_is_deterministic);
    RUN(test_limits_the_number_of_states);
    RUN(test_limits_the_number_of_bend_points);
    RUN(test_allocation_failures_are_clean);
    RUN(test_a_parallel_is_a_box_holding_its_branches);
    RUN(test_a_map_holds_its_processor_once);
    RUN(test_a_parallel_inside_a_map);
    RUN(test_eight_nested_forks);
    RUN(test_refuses_nine_nested_forks);
    RUN(test_limits_count_nested_states);
    return test_done();
}
