/* TEMPORARY STUB until the layout branch lands: do not commit. */
#include "graph_layout.h"
#include <errno.h>
#include <stdlib.h>
struct graph_layout { int unused; };
int graph_layout_compute(const struct state_machine *machine, struct graph_layout **layout)
{
    (void)machine;
    *layout = calloc(1, sizeof(**layout));
    return *layout ? 0 : -ENOMEM;
}
cJSON *graph_layout_to_json(const struct graph_layout *layout)
{
    (void)layout;
    cJSON *json = cJSON_CreateObject();
    cJSON_AddArrayToObject(json, "nodes");
    cJSON_AddArrayToObject(json, "edges");
    return json;
}
void graph_layout_free(struct graph_layout *layout)
{
    free(layout);
}
