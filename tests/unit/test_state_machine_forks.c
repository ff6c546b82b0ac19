/*
 * test_state_machine_forks.c - unit tests for Parallel and Map in
 * loan-processor/asl/state_machine.c (the scope tree, the numbering, the
 * validation) and for the gate in definition.c that refuses them for now.
 *
 * Definitions are written with ' for " (see parse()).
 */
#include "definition.h"
#include "state_machine.h"
#include "test.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A copy of text with every ' turned into ". */
static char *quote(const char *text)
{
    char *copy = strdup(text);
    for (char *c = copy; c && *c; c++) {
        if (*c == '\'')
            *c = '"';
    }
    return copy;
}

/* Parses text (' for "); the error text goes to error. */
static int parse(const char *text, struct state_machine **machine, char *error, size_t error_size)
{
    char *definition = quote(text);
    int result = definition ? state_machine_parse(definition, strlen(definition), machine, error, error_size) : -ENOMEM;
    free(definition);
    return result;
}

/* The error text of a definition that must be refused ("accepted" when it is not). */
static const char *refusal(const char *text)
{
    static char error[2048];
    struct state_machine *machine = NULL;
    int result = parse(text, &machine, error, sizeof(error));
    state_machine_free(machine);
    if (result == 0)
        return "accepted";
    return result == -EINVAL && machine == NULL ? error : "wrong result";
}

static struct state_machine *parse_ok(const char *text)
{
    char error[2048] = "";
    struct state_machine *machine = NULL;
    int result = parse(text, &machine, error, sizeof(error));
    if (result != 0)
        printf("# unexpected refusal: %s\n", error);
    return machine;
}

static const char parallel_definition[] =
    "{'StartAt':'A','States':{"
    "'A':{'Type':'Pass','Next':'P'},"
    "'P':{'Type':'Parallel','Next':'Z','Parameters':{'x.$':'$.x'},'ResultSelector':{'r.$':'$[0]'},'ResultPath':'$.r',"
    "'Retry':[{'ErrorEquals':['States.ALL']}],'Catch':[{'ErrorEquals':['States.ALL'],'Next':'Z'}],'Comment':'c',"
    "'Branches':[{'StartAt':'B1','Comment':'b','States':{'B1':{'Type':'Pass','Next':'B2'},'B2':{'Type':'Succeed'}}},"
    "{'StartAt':'C1','States':{'C1':{'Type':'Pass','End':true}}}]},"
    "'Z':{'Type':'Succeed'}}}";

static void test_parallel_scopes_and_numbers(void)
{
    struct state_machine *machine = parse_ok(parallel_definition);
    ASSERT_NOT_NULL(machine);
    const struct state_definition *p = state_machine_find(machine, "P");
    ASSERT_NOT_NULL(p);
    ASSERT_EQ_INT(STATE_PARALLEL, p->type);
    ASSERT_EQ_STR("Parallel", state_machine_type_name(p->type));
    ASSERT_EQ_INT(3, machine->state_count);
    ASSERT_EQ_STR("A", machine->start_at);
    ASSERT_TRUE(machine->states == machine->root.states && machine->root.fork == NULL && machine->root.depth == 0);
    /* Document order, nested included: A P B1 B2 C1 Z. */
    ASSERT_EQ_INT(6, machine->all_state_count);
    static const char *const order[] = { "A", "P", "B1", "B2", "C1", "Z" };
    for (size_t i = 0; i < 6; i++) {
        ASSERT_EQ_STR(order[i], state_machine_state_by_number(machine, i)->name);
        ASSERT_EQ_INT((long)i, (long)state_machine_state_by_number(machine, i)->number);
    }
    ASSERT_NULL(state_machine_state_by_number(machine, 6));
    ASSERT_EQ_INT(2, p->branch_count);
    const struct state_scope *first = &p->branches[0], *second = &p->branches[1];
    ASSERT_EQ_STR("B1", first->start_at);
    ASSERT_EQ_INT(2, first->state_count);
    ASSERT_TRUE(first->fork == p && first->branch_index == 0 && first->depth == 1);
    ASSERT_TRUE(second->fork == p && second->branch_index == 1 && second->state_count == 1);
    ASSERT_EQ_STR("/States/P/Branches[0]", first->where);
    ASSERT_EQ_STR("/States/P/Branches[1]/States/C1", second->states[0].where);
    ASSERT_TRUE(state_machine_scope_find(first, "B2") == &first->states[1]);
    ASSERT_TRUE(state_machine_scope_find(first, "B2")->scope == first);
    ASSERT_NULL(state_machine_scope_find(first, "C1"));
    ASSERT_NULL(state_machine_find(machine, "B1"));
    ASSERT_TRUE(state_machine_find(machine, "Z")->scope == &machine->root);
    /* The fork's own fields. */
    ASSERT_NOT_NULL(p->parameters);
    ASSERT_NOT_NULL(p->result_selector);
    ASSERT_EQ_STR("$.r", p->result_path.path);
    ASSERT_EQ_INT(1, p->retrier_count);
    ASSERT_EQ_INT(1, p->catcher_count);
    ASSERT_EQ_STR("Z", p->catchers[0].next);
    ASSERT_EQ_STR("Z", p->next);
    /* Scope lookups. */
    ASSERT_TRUE(state_machine_fork_scope(p, 1) == second);
    ASSERT_NULL(state_machine_fork_scope(p, 2));
    ASSERT_NULL(state_machine_fork_scope(state_machine_find(machine, "A"), 0));
    ASSERT_TRUE(state_machine_branch_scope(machine, "") == &machine->root);
    ASSERT_TRUE(state_machine_branch_scope(machine, "1.0") == first);
    ASSERT_TRUE(state_machine_branch_scope(machine, "1.1") == second);
    static const char *const bad_ids[] = { "1.2", "0.0",     "2.0",   "1.0/",  "1.",   ".0",   "1",
                                           "x",   "1.0/1.0", "01.0x", "1.0.0", "/1.0", "-1.0", "1234567890.0" };
    for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
        if (state_machine_branch_scope(machine, bad_ids[i]) != NULL)
            printf("# branch id %s\n", bad_ids[i]);
        ASSERT_NULL(state_machine_branch_scope(machine, bad_ids[i]));
    }
    ASSERT_TRUE(state_machine_first_fork(machine) == p);
    state_machine_free(machine);
}

static void test_map_fields(void)
{
    struct state_machine *machine =
        parse_ok("{'StartAt':'M','States':{'M':{'Type':'Map','End':true,'ItemsPath':'$.items','ItemSelector':{'v.$':'$$"
                 ".Map.Item.Value'},"
                 "'MaxConcurrency':5,'ToleratedFailurePercentage':12.5,'ToleratedFailureCountPath':'$.n','Label':'L',"
                 "'ItemBatcher':{'MaxItemsPerBatch':2},'ResultSelector':{'all.$':'$'},'ResultPath':'$.out',"
                 "'Retry':[{'ErrorEquals':['States.ALL']}],'Catch':[{'ErrorEquals':['States.ALL'],'Next':'F'}],"
                 "'ItemProcessor':{'ProcessorConfig':{'Mode':'DISTRIBUTED','ExecutionType':'EXPRESS'},'StartAt':'I',"
                 "'States':{'I':{'Type':'Pass','End':true}}}},'F':{'Type':'Fail'}}}");
    ASSERT_NOT_NULL(machine);
    const struct state_definition *map = state_machine_find(machine, "M");
    ASSERT_EQ_INT(STATE_MAP, map->type);
    ASSERT_EQ_STR("Map", state_machine_type_name(map->type));
    ASSERT_EQ_STR("$.items", map->map.items_path);
    ASSERT_NOT_NULL(cJSON_GetObjectItemCaseSensitive(map->map.item_selector, "v.$"));
    ASSERT_NULL(map->parameters);
    ASSERT_EQ_INT(5, map->map.max_concurrency);
    ASSERT_NULL(map->map.max_concurrency_path);
    ASSERT_TRUE(map->map.tolerated_failure_percentage == 12.5);
    ASSERT_EQ_INT(-1, map->map.tolerated_failure_count);
    ASSERT_EQ_STR("$.n", map->map.tolerated_failure_count_path);
    ASSERT_EQ_STR("L", map->map.label);
    ASSERT_TRUE(map->map.batched);
    ASSERT_EQ_INT(2, map->map.max_items_per_batch);
    ASSERT_TRUE(map->map.distributed && map->map.express);
    ASSERT_NOT_NULL(map->result_selector);
    ASSERT_EQ_INT(1, map->retrier_count);
    ASSERT_EQ_INT(1, map->catcher_count);
    ASSERT_NOT_NULL(map->processor);
    ASSERT_EQ_STR("I", map->processor->start_at);
    ASSERT_EQ_STR("/States/M/ItemProcessor", map->processor->where);
    ASSERT_TRUE(map->processor->fork == map && map->processor->depth == 1);
    ASSERT_TRUE(state_machine_fork_scope(map, 0) == map->processor);
    ASSERT_TRUE(state_machine_fork_scope(map, 9999) == map->processor);
    ASSERT_TRUE(state_machine_branch_scope(machine, "0.17") == map->processor);
    /* Numbers: M I F. */
    ASSERT_EQ_STR("I", state_machine_state_by_number(machine, 1)->name);
    ASSERT_EQ_STR("F", state_machine_state_by_number(machine, 2)->name);
    state_machine_free(machine);
}

static void test_legacy_iterator_and_defaults(void)
{
    struct state_machine *machine =
        parse_ok("{'StartAt':'M','States':{'M':{'Type':'Map','End':true,'Parameters':{'i.$':'$$.Map.Item.Index'},"
                 "'MaxConcurrencyPath':'$.c','ItemsPath':'$$.Execution.Input.items',"
                 "'Iterator':{'StartAt':'I','States':{'I':{'Type':'Pass','End':true}},"
                 "'ProcessorConfig':{'Mode':'DISTRIBUTED','ExecutionType':'STANDARD'}}}}}");
    ASSERT_NOT_NULL(machine);
    const struct state_definition *map = state_machine_find(machine, "M");
    ASSERT_NULL(map->parameters);
    ASSERT_NOT_NULL(cJSON_GetObjectItemCaseSensitive(map->map.item_selector, "i.$"));
    ASSERT_EQ_STR("$$.Execution.Input.items", map->map.items_path);
    ASSERT_EQ_INT(0, map->map.max_concurrency);
    ASSERT_EQ_STR("$.c", map->map.max_concurrency_path);
    ASSERT_TRUE(map->map.tolerated_failure_percentage == -1);
    ASSERT_EQ_INT(-1, map->map.tolerated_failure_count);
    ASSERT_TRUE(map->map.distributed && !map->map.express); /* AWS takes a ProcessorConfig in an Iterator too */
    ASSERT_NULL(map->map.label);
    ASSERT_EQ_STR("/States/M/Iterator", map->processor->where);
    state_machine_free(machine);

    machine = parse_ok("{'StartAt':'M','States':{'M':{'Type':'Map','End':true,"
                       "'ItemProcessor':{'StartAt':'I','States':{'I':{'Type':'Pass','End':true}}}}}}");
    ASSERT_NOT_NULL(machine);
    ASSERT_EQ_STR("$", state_machine_find(machine, "M")->map.items_path);
    ASSERT_NULL(state_machine_find(machine, "M")->map.item_selector);
    state_machine_free(machine);
}

/* A Map inside a Parallel branch, with a Choice and a Catch inside the Map. */
static void test_nested_scopes(void)
{
    struct state_machine *machine = parse_ok(
        "{'StartAt':'P','States':{'P':{'Type':'Parallel','End':true,'Branches':["
        "{'StartAt':'Pre','States':{'Pre':{'Type':'Pass','Next':'M'},'M':{'Type':'Map','End':true,"
        "'ItemProcessor':{'StartAt':'C','States':{'C':{'Type':'Choice','Choices':[{'Variable':'$.x','IsPresent':true,"
        "'Next':'T'}],'Default':'Done'},'T':{'Type':'Task','Resource':'arn:aws:states:::sqs:sendMessage',"
        "'Catch':[{'ErrorEquals':['States.ALL'],'Next':'Done'}],'End':true},'Done':{'Type':'Succeed'}}}}}}]}}}");
    ASSERT_NOT_NULL(machine);
    /* P Pre M C T Done */
    ASSERT_EQ_INT(6, machine->all_state_count);
    const struct state_definition *m = state_machine_state_by_number(machine, 2);
    ASSERT_EQ_STR("M", m->name);
    ASSERT_EQ_STR("/States/P/Branches[0]/States/M", m->where);
    ASSERT_EQ_INT(2, m->processor->depth);
    ASSERT_EQ_STR("/States/P/Branches[0]/States/M/ItemProcessor/States/T",
                  state_machine_state_by_number(machine, 4)->where);
    ASSERT_TRUE(state_machine_branch_scope(machine, "0.0/2.7") == m->processor);
    ASSERT_NULL(state_machine_branch_scope(machine, "2.7"));
    ASSERT_NULL(state_machine_branch_scope(machine, "0.0/0.0"));
    ASSERT_TRUE(state_machine_first_fork(machine) == state_machine_find(machine, "P"));
    state_machine_free(machine);
}

/* A Parallel nested depth deep: each branch holds the next Parallel, the innermost a Pass. */
static char *nested_parallels(int depth)
{
    size_t size = 64 + (size_t)depth * 96;
    char *text = malloc(size);
    size_t used = (size_t)snprintf(text, size, "{'StartAt':'S0','States':{");
    for (int i = 0; i < depth; i++)
        used +=
            (size_t)snprintf(text + used, size - used,
                             "'S%d':{'Type':'Parallel','End':true,'Branches':[{'StartAt':'S%d','States':{", i, i + 1);
    used += (size_t)snprintf(text + used, size - used, "'S%d':{'Type':'Pass','End':true}", depth);
    for (int i = 0; i < depth; i++)
        used += (size_t)snprintf(text + used, size - used, "}}]}");
    snprintf(text + used, size - used, "}}");
    return text;
}

static void test_nesting_limit(void)
{
    char *eight = nested_parallels(STATE_MACHINE_MAX_NESTING), *nine = nested_parallels(STATE_MACHINE_MAX_NESTING + 1);
    struct state_machine *machine = parse_ok(eight);
    ASSERT_NOT_NULL(machine);
    ASSERT_EQ_INT(9, machine->all_state_count);
    ASSERT_TRUE(state_machine_branch_scope(machine, "0.0/1.0/2.0/3.0/4.0/5.0/6.0/7.0") != NULL);
    state_machine_free(machine);
    ASSERT_EQ_STR("SCHEMA_VALIDATION_FAILED: Parallel and Map states can be nested at most 8 deep in this engine at "
                  "/States/S0/Branches[0]/States/S1/Branches[0]/States/S2/Branches[0]/States/S3/Branches[0]/States/S4/"
                  "Branches[0]/States/S5/Branches[0]/States/S6/Branches[0]/States/S7/Branches[0]/States/S8",
                  refusal(nine));
    free(eight);
    free(nine);
}

static char *many_branches(int count)
{
    size_t size = 128 + (size_t)count * 64;
    char *text = malloc(size);
    size_t used =
        (size_t)snprintf(text, size, "{'StartAt':'P','States':{'P':{'Type':'Parallel','End':true,'Branches':[");
    for (int i = 0; i < count; i++)
        used += (size_t)snprintf(text + used, size - used,
                                 "%s{'StartAt':'B%d','States':{'B%d':{'Type':'Pass','End':true}}}", i ? "," : "", i, i);
    snprintf(text + used, size - used, "]}}}");
    return text;
}

static void test_branch_limit(void)
{
    char *hundred = many_branches(STATE_MACHINE_MAX_BRANCHES), *more = many_branches(STATE_MACHINE_MAX_BRANCHES + 1);
    struct state_machine *machine = parse_ok(hundred);
    ASSERT_NOT_NULL(machine);
    ASSERT_EQ_INT(100, state_machine_find(machine, "P")->branch_count);
    ASSERT_EQ_STR("B99", state_machine_state_by_number(machine, 100)->name);
    state_machine_free(machine);
    ASSERT_EQ_STR("SCHEMA_VALIDATION_FAILED: A Parallel state can have at most 100 branches in this engine at "
                  "/States/P/Branches",
                  refusal(more));
    free(hundred);
    free(more);
}

/* A one-state machine whose state is the given Parallel's fields (' for "). */
#define PARALLEL(fields) "{'StartAt':'P','States':{'P':{'Type':'Parallel','End':true" fields "}}}"
#define BRANCH "{'StartAt':'B','States':{'B':{'Type':'Pass','End':true}}}"
#define MAP(fields) "{'StartAt':'M','States':{'M':{'Type':'Map','End':true" fields "}}}"
#define PROCESSOR "'ItemProcessor':{'StartAt':'I','States':{'I':{'Type':'Pass','End':true}}}"
#define SVF "SCHEMA_VALIDATION_FAILED: "
#define DISTRIBUTED_PROCESSOR                                                                             \
    "'ItemProcessor':{'ProcessorConfig':{'Mode':'DISTRIBUTED','ExecutionType':'STANDARD'},'StartAt':'I'," \
    "'States':{'I':{'Type':'Pass','End':true}}}"

static void test_parallel_refusals(void)
{
    ASSERT_EQ_STR(SVF "These fields are required: [Branches] at /States/P", refusal(PARALLEL("")));
    ASSERT_EQ_STR(SVF "The value for the field 'Branches' must be a non-empty array at /States/P/Branches",
                  refusal(PARALLEL(",'Branches':[]")));
    ASSERT_EQ_STR(SVF "The value for the field 'Branches' must be a non-empty array at /States/P/Branches",
                  refusal(PARALLEL(",'Branches':{}")));
    ASSERT_EQ_STR(SVF "A branch must be a JSON object at /States/P/Branches[1]",
                  refusal(PARALLEL(",'Branches':[" BRANCH ",7]")));
    ASSERT_EQ_STR(SVF "These fields are required: [StartAt] at /States/P/Branches[0]",
                  refusal(PARALLEL(",'Branches':[{'States':{'B':{'Type':'Pass','End':true}}}]")));
    ASSERT_EQ_STR(SVF "These fields are required: [States] at /States/P/Branches[0]",
                  refusal(PARALLEL(",'Branches':[{'StartAt':'B','States':{}}]")));
    ASSERT_EQ_STR("MISSING_TRANSITION_TARGET: Missing 'Next' target: X at /States/P/Branches[0]/StartAt",
                  refusal(PARALLEL(",'Branches':[{'StartAt':'X','States':{'B':{'Type':'Pass','End':true}}}]")));
    ASSERT_EQ_STR(
        SVF "Field 'Version' is not supported at /States/P/Branches[0]",
        refusal(PARALLEL(",'Branches':[{'Version':'1.0','StartAt':'B','States':{'B':{'Type':'Pass','End':true}}}]")));
    ASSERT_EQ_STR(SVF "Field 'Iterator' is not supported at /States/P",
                  refusal(PARALLEL(",'Iterator':{},'Branches':[" BRANCH "]")));
    ASSERT_EQ_STR(SVF "Field 'Foo' is not supported at /States/P/Branches[0]/States/B",
                  refusal(PARALLEL(",'Branches':[{'StartAt':'B','States':{'B':{'Type':'Pass','End':true,'Foo':1}}}]")));
    ASSERT_EQ_STR(SVF "These fields are required: [Next | End] at /States/P/Branches[0]/States/B",
                  refusal(PARALLEL(",'Branches':[{'StartAt':'B','States':{'B':{'Type':'Pass'}}}]")));
    ASSERT_EQ_STR(SVF "'Nope' is not a supported state type at /States/P/Branches[0]/States/B/Type",
                  refusal(PARALLEL(",'Branches':[{'StartAt':'B','States':{'B':{'Type':'Nope'}}}]")));
    ASSERT_EQ_STR(SVF "The value for the field 'ErrorEquals' must be a non-empty array at "
                      "/States/P/Branches[0]/States/T/Retry/0/ErrorEquals",
                  refusal(PARALLEL(",'Branches':[{'StartAt':'T','States':{'T':{'Type':'Task','End':true,"
                                   "'Resource':'arn:aws:states:::sqs:sendMessage','Retry':[{'ErrorEquals':[]}]}}}]")));
    ASSERT_EQ_STR(
        SVF "The value for the field 'Variable' must be a valid JSONPath at "
            "/States/P/Branches[0]/States/C/Choices/0/Variable",
        refusal(PARALLEL(",'Branches':[{'StartAt':'C','States':{'C':{'Type':'Choice','Choices':[{'Variable':'x',"
                         "'IsPresent':true,'Next':'B'}]},'B':{'Type':'Pass','End':true}}}]")));
    ASSERT_EQ_STR(SVF "The value for the field 'ResultPath' must be a valid JSONPath at /States/P/ResultPath",
                  refusal(PARALLEL(",'ResultPath':'nope','Branches':[" BRANCH "]")));
    ASSERT_EQ_STR(SVF "These fields are required: [ErrorEquals] at /States/P/Catch/0",
                  refusal(PARALLEL(",'Catch':[{'Next':'P'}],'Branches':[" BRANCH "]")));
}

static void test_transitions_stay_in_their_scope(void)
{
    /* Out of a branch to a top-level state, and into a branch from the top level. */
    ASSERT_EQ_STR("MISSING_TRANSITION_TARGET: Missing 'Next' target: Z at /States/P/Branches[0]/States/B/Next",
                  refusal("{'StartAt':'P','States':{'P':{'Type':'Parallel','Next':'Z','Branches':[{'StartAt':'B',"
                          "'States':{'B':{'Type':'Pass','Next':'Z'}}}]},'Z':{'Type':'Succeed'}}}"));
    ASSERT_EQ_STR("MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A/Next",
                  refusal("{'StartAt':'A','States':{'A':{'Type':'Pass','Next':'B'},'P':{'Type':'Parallel','End':true,"
                          "'Branches':[" BRANCH "]}}}"));
    ASSERT_EQ_STR(
        "MISSING_TRANSITION_TARGET: Missing 'Next' target: Z at /States/M/ItemProcessor/States/T/Catch/0/Next",
        refusal("{'StartAt':'M','States':{'M':{'Type':'Map','Next':'Z','ItemProcessor':{'StartAt':'T','States':{"
                "'T':{'Type':'Task','Resource':'arn:aws:states:::sqs:sendMessage','End':true,"
                "'Catch':[{'ErrorEquals':['States.ALL'],'Next':'Z'}]}}}},'Z':{'Type':'Succeed'}}}"));
    ASSERT_EQ_STR("MISSING_TRANSITION_TARGET: Missing 'Next' target: P at /States/P/Branches[1]/States/C/Choices",
                  refusal("{'StartAt':'P','States':{'P':{'Type':'Parallel','End':true,'Branches':[" BRANCH
                          ",{'StartAt':'C',"
                          "'States':{'C':{'Type':'Choice','Choices':[{'Variable':'$.x','IsPresent':true,'Next':'P'}],"
                          "'Default':'D'},'D':{'Type':'Succeed'}}}]}}}"));
    ASSERT_EQ_STR("UNREACHABLE_STATE: State 'Lost' is not reachable at /States/P/Branches[0]/States/Lost",
                  refusal(PARALLEL(",'Branches':[{'StartAt':'B','States':{'B':{'Type':'Pass','End':true},"
                                   "'Lost':{'Type':'Pass','End':true}}}]")));
}

static void test_names_are_unique_in_the_whole_machine(void)
{
    ASSERT_EQ_STR("DUPLICATE_STATE_NAME: Duplicate State name: B at /States/P/Branches[1]/States",
                  refusal(PARALLEL(",'Branches':[" BRANCH "," BRANCH "]")));
    ASSERT_EQ_STR("DUPLICATE_STATE_NAME: Duplicate State name: P at /States/P/Branches[0]/States",
                  refusal(PARALLEL(",'Branches':[{'StartAt':'P','States':{'P':{'Type':'Pass','End':true}}}]")));
    ASSERT_EQ_STR(
        "DUPLICATE_STATE_NAME: Duplicate State name: I at /States/P/Branches[0]/States/M/ItemProcessor/States",
        refusal(PARALLEL(",'Branches':[{'StartAt':'I','States':{'I':{'Type':'Pass','Next':'M'},"
                         "'M':{'Type':'Map','End':true," PROCESSOR "}}}]")));
    ASSERT_EQ_STR("DUPLICATE_STATE_NAME: Duplicate State name: B at /States/P/Branches[0]/States",
                  refusal(PARALLEL(",'Branches':[{'StartAt':'B','States':{'B':{'Type':'Pass','End':true},"
                                   "'B':{'Type':'Pass','End':true}}}]")));
}

static void test_map_refusals(void)
{
    ASSERT_EQ_STR(SVF "These fields are required: [ItemProcessor | Iterator] at /States/M", refusal(MAP("")));
    ASSERT_EQ_STR(SVF "Only one of 'ItemProcessor' or 'Iterator' can be set at /States/M",
                  refusal(MAP("," PROCESSOR ",'Iterator':{'StartAt':'J','States':{'J':{'Type':'Pass','End':true}}}")));
    ASSERT_EQ_STR(SVF "The value for the field 'ItemProcessor' must be a JSON object at /States/M/ItemProcessor",
                  refusal(MAP(",'ItemProcessor':[]")));
    ASSERT_EQ_STR(SVF "Field 'Foo' is not supported at /States/M", refusal(MAP(",'Foo':1," PROCESSOR)));
    ASSERT_EQ_STR(SVF "Field 'Branches' is not supported at /States/M", refusal(MAP(",'Branches':[]," PROCESSOR)));
    ASSERT_EQ_STR(SVF "Field 'Foo' is not supported at /States/M/ItemProcessor",
                  refusal(MAP(",'ItemProcessor':{'Foo':1,'StartAt':'I','States':{'I':{'Type':'Pass','End':true}}}")));
    ASSERT_EQ_STR(
        SVF "Field 'Version' is not supported at /States/M/Iterator",
        refusal(MAP(",'Iterator':{'Version':'1.0','StartAt':'I','States':{'I':{'Type':'Pass','End':true}}}")));
    ASSERT_EQ_STR(
        SVF "Field 'Foo' is not supported at /States/M/ItemProcessor/ProcessorConfig",
        refusal(MAP(
            ",'ItemProcessor':{'ProcessorConfig':{'Foo':1},'StartAt':'I','States':{'I':{'Type':'Pass','End':true}}}")));
    ASSERT_EQ_STR(
        SVF
        "The value for the field 'Mode' must be INLINE or DISTRIBUTED at /States/M/ItemProcessor/ProcessorConfig/Mode",
        refusal(MAP(",'ItemProcessor':{'ProcessorConfig':{'Mode':'inline'},'StartAt':'I','States':{'I':{'Type':'Pass','"
                    "End':true}}}")));
    ASSERT_EQ_STR(
        SVF "The value for the field 'ExecutionType' must be STANDARD or EXPRESS at "
            "/States/M/ItemProcessor/ProcessorConfig/ExecutionType",
        refusal(MAP(",'ItemProcessor':{'ProcessorConfig':{'Mode':'DISTRIBUTED','ExecutionType':1},'StartAt':'I',"
                    "'States':{'I':{'Type':'Pass','End':true}}}")));
    ASSERT_EQ_STR(SVF "These fields are required: [ExecutionType] at /States/M/ItemProcessor/ProcessorConfig",
                  refusal(MAP(",'ItemProcessor':{'ProcessorConfig':{'Mode':'DISTRIBUTED'},'StartAt':'I','States':{'I':{"
                              "'Type':'Pass','End':true}}}")));
    ASSERT_EQ_STR(
        SVF
        "The value for the field 'ProcessorConfig' must be a JSON object at /States/M/ItemProcessor/ProcessorConfig",
        refusal(MAP(
            ",'ItemProcessor':{'ProcessorConfig':'INLINE','StartAt':'I','States':{'I':{'Type':'Pass','End':true}}}")));
    ASSERT_EQ_STR(SVF "These fields are required: [StartAt] at /States/M/ItemProcessor",
                  refusal(MAP(",'ItemProcessor':{'States':{'I':{'Type':'Pass','End':true}}}")));
    ASSERT_EQ_STR(SVF
                  "The value for the field 'MaxConcurrency' must be a non-negative integer at /States/M/MaxConcurrency",
                  refusal(MAP(",'MaxConcurrency':-1," PROCESSOR)));
    ASSERT_EQ_STR(SVF
                  "The value for the field 'MaxConcurrency' must be a non-negative integer at /States/M/MaxConcurrency",
                  refusal(MAP(",'MaxConcurrency':1.5," PROCESSOR)));
    ASSERT_EQ_STR(SVF
                  "The value for the field 'MaxConcurrency' must be a non-negative integer at /States/M/MaxConcurrency",
                  refusal(MAP(",'MaxConcurrency':'2'," PROCESSOR)));
    ASSERT_EQ_STR(SVF "Only one of 'MaxConcurrency' or 'MaxConcurrencyPath' can be set at /States/M",
                  refusal(MAP(",'MaxConcurrency':0,'MaxConcurrencyPath':'$.c'," PROCESSOR)));
    ASSERT_EQ_STR(
        SVF "The value for the field 'MaxConcurrencyPath' must be a valid JSONPath at /States/M/MaxConcurrencyPath",
        refusal(MAP(",'MaxConcurrencyPath':'c'," PROCESSOR)));
    ASSERT_EQ_STR(SVF "The value for the field 'ToleratedFailurePercentage' must be a number between 0 and 100 at "
                      "/States/M/ToleratedFailurePercentage",
                  refusal(MAP(",'ToleratedFailurePercentage':101," PROCESSOR)));
    ASSERT_EQ_STR(SVF "The value for the field 'ToleratedFailurePercentage' must be a number between 0 and 100 at "
                      "/States/M/ToleratedFailurePercentage",
                  refusal(MAP(",'ToleratedFailurePercentage':-0.5," PROCESSOR)));
    ASSERT_EQ_STR(
        SVF "Only one of 'ToleratedFailurePercentage' or 'ToleratedFailurePercentagePath' can be set at /States/M",
        refusal(MAP(",'ToleratedFailurePercentage':5,'ToleratedFailurePercentagePath':'$.p'," PROCESSOR)));
    ASSERT_EQ_STR(SVF "The value for the field 'ToleratedFailureCount' must be a non-negative integer at "
                      "/States/M/ToleratedFailureCount",
                  refusal(MAP(",'ToleratedFailureCount':-2," PROCESSOR)));
    ASSERT_EQ_STR(SVF "Only one of 'ToleratedFailureCount' or 'ToleratedFailureCountPath' can be set at /States/M",
                  refusal(MAP(",'ToleratedFailureCount':0,'ToleratedFailureCountPath':'$.n'," PROCESSOR)));
    ASSERT_EQ_STR(SVF "Only one of 'ItemSelector' or 'Parameters' can be set at /States/M",
                  refusal(MAP(",'ItemSelector':{},'Parameters':{}," PROCESSOR)));
    ASSERT_EQ_STR(SVF "The value for the field 'a.$' must be a valid JSONPath or a valid intrinsic function call at "
                      "/States/M/ItemSelector",
                  refusal(MAP(",'ItemSelector':{'a.$':'nope'}," PROCESSOR)));
    ASSERT_EQ_STR(SVF "Field 'ItemReader' needs Amazon S3, which is not supported locally at /States/M/ItemReader",
                  refusal(MAP(",'ItemReader':{'Resource':'arn:aws:states:::s3:getObject'}," PROCESSOR)));
    ASSERT_EQ_STR(SVF "Field 'ResultWriter' needs Amazon S3, which is not supported locally at /States/M/ResultWriter",
                  refusal(MAP(",'ResultWriter':{'Resource':'arn:aws:states:::s3:putObject'}," PROCESSOR)));
    ASSERT_EQ_STR(SVF "The value for the field 'ItemsPath' must be a valid JSONPath at /States/M/ItemsPath",
                  refusal(MAP(",'ItemsPath':'items'," PROCESSOR)));
    ASSERT_EQ_STR(SVF "The value for the field 'Label' must be a string at /States/M/Label",
                  refusal(MAP(",'Label':3," PROCESSOR)));
    ASSERT_EQ_STR(SVF "The value for the field 'ItemBatcher' must be a JSON object at /States/M/ItemBatcher",
                  refusal(MAP(",'ItemBatcher':3," PROCESSOR)));
    ASSERT_EQ_STR(SVF "Field 'Result' is not supported at /States/M", refusal(MAP(",'Result':{}," PROCESSOR)));
    ASSERT_EQ_STR(SVF "Field 'ItemBatcher' is only supported in DISTRIBUTED mode at /States/M/ItemBatcher",
                  refusal(MAP(",'ItemBatcher':{'MaxItemsPerBatch':2}," PROCESSOR)));
    ASSERT_EQ_STR(SVF "At least one of the fields [MaxItemsPerBatch, MaxItemsPerBatchPath, MaxInputBytesPerBatch, "
                      "MaxInputBytesPerBatchPath] is required at /States/M/ItemBatcher",
                  refusal(MAP(",'ItemBatcher':{'BatchInput':{}}," DISTRIBUTED_PROCESSOR)));
    ASSERT_EQ_STR(SVF "Field 'Size' is not supported at /States/M/ItemBatcher",
                  refusal(MAP(",'ItemBatcher':{'Size':2}," DISTRIBUTED_PROCESSOR)));
    ASSERT_NOT_NULL(strstr(
        refusal(MAP(",'ItemBatcher':{'MaxItemsPerBatch':2,'MaxItemsPerBatchPath':'$.n'}," DISTRIBUTED_PROCESSOR)),
        "MaxItemsPerBatch"));
    ASSERT_NOT_NULL(strstr(refusal(MAP(",'ItemBatcher':{'MaxInputBytesPerBatch':300000}," DISTRIBUTED_PROCESSOR)),
                           "MaxInputBytesPerBatch"));
}

/* The gate: definition_check takes Parallel, inline and distributed Map states. */
static void test_definition_check_takes_forks(void)
{
    char error[512];
    char *parallel = quote(parallel_definition);
    char *map =
        quote("{'StartAt':'A','States':{'A':{'Type':'Pass','Next':'M'},'M':{'Type':'Map','End':true," PROCESSOR "}}}");
    char *distributed = quote("{'StartAt':'M','States':{'M':{'Type':'Map','End':true,'ItemProcessor':{"
                              "'ProcessorConfig':{'Mode':'DISTRIBUTED','ExecutionType':'STANDARD'},"
                              "'StartAt':'P','States':{'P':{'Type':'Pass','End':true}}}}}}");
    struct state_machine *machine = NULL;
    ASSERT_EQ_INT(0, definition_check(parallel, MACHINE_STANDARD, &machine, error, sizeof(error)));
    ASSERT_NOT_NULL(machine);
    state_machine_free(machine);
    ASSERT_EQ_INT(0, definition_check(map, MACHINE_EXPRESS, NULL, error, sizeof(error)));
    ASSERT_EQ_INT(0, definition_check(distributed, MACHINE_STANDARD, NULL, error, sizeof(error)));
    free(parallel);
    free(map);
    free(distributed);
}

int main(void)
{
    RUN(test_parallel_scopes_and_numbers);
    RUN(test_map_fields);
    RUN(test_legacy_iterator_and_defaults);
    RUN(test_nested_scopes);
    RUN(test_nesting_limit);
    RUN(test_branch_limit);
    RUN(test_parallel_refusals);
    RUN(test_transitions_stay_in_their_scope);
    RUN(test_names_are_unique_in_the_whole_machine);
    RUN(test_map_refusals);
    RUN(test_definition_check_takes_forks);
    return test_done();
}
