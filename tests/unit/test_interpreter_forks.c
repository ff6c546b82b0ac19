/*
 * test_interpreter_forks - Parallel and inline Map states: each step
 * rendered as the commit stores it, checked against the event sequences
 * AWS records (the conformance recordings test_parallel_state_order,
 * test_parallel_state_nested, test_map_state, test_map_state_catch,
 * test_map_state_retry, test_map_state_items_input_types), and the fork's
 * children driven step after step through their own positions and
 * interpreter_fork_continue.
 */
#include "interpreter_checks.h"
#include "test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state_machine.h"

/* "<id> <previous> <type>" per event, one a line. */
static void describe_events(const struct interpreter_step *step, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < event_count(step) && used < size; i++) {
        const cJSON *event = event_at(step, i);
        used += (size_t)snprintf(out + used, size - used, "%ld %ld %s\n",
                                 (long)cJSON_GetNumberValue(cJSON_GetObjectItem(event, "id")),
                                 (long)cJSON_GetNumberValue(cJSON_GetObjectItem(event, "previousEventId")),
                                 cJSON_GetStringValue(cJSON_GetObjectItem(event, "type")));
    }
}

static void check_sequence(const struct interpreter_step *step, const char *expected)
{
    char actual[16384];
    describe_events(step, actual, sizeof(actual));
    ASSERT_EQ_STR(expected, actual);
}

/* The event's details (under member) printed, e.g. {"index":0,"name":"M"}; "" when missing. */
static const char *details_text(const struct interpreter_step *step, int index, const char *member)
{
    static char text[4096];
    const cJSON *details = cJSON_GetObjectItem(event_at(step, index), member);
    char *printed = details ? cJSON_PrintUnformatted(details) : NULL;
    snprintf(text, sizeof(text), "%s", printed ? printed : "");
    cJSON_free(printed);
    return text;
}

/* The n-th (0-based) event of type in the step, or -1. */
static int find_event(const struct interpreter_step *step, const char *type, int n)
{
    for (int i = 0; i < event_count(step); i++) {
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(event_at(step, i), "type")), type) == 0 && n-- == 0)
            return i;
    }
    return -1;
}

/* Child tokens: "token-<branch id>". */
static int branch_token(void *context, const char *branch_id, char *out, size_t size)
{
    (void)context;
    return snprintf(out, size, "token-%s", branch_id) < (int)size ? 0 : -ENOSPC;
}

static struct step_environment environment_at(int64_t now_ms)
{
    struct step_environment environment = { .now_ms = now_ms, .fresh_token = TOKEN, .branch_token = branch_token };
    return environment;
}

static struct execution_facts facts_with(const char *input)
{
    struct execution_facts with = facts;
    with.input = input;
    return with;
}

/* A rendered step's child position (its entered event rendered at the step's base). */
static struct execution_position child_position(const struct interpreter_step *parent, const struct fork_child *child,
                                                long stored_events)
{
    const struct interpreter_step *step = child->step;
    struct execution_position position = {
        .stored_events = stored_events,
        .state_name = step->state_name,
        .state_entered = step->state_entered.batch_index > 0
                             ? history_ref_stored(parent->history.stored_events + step->state_entered.batch_index)
                             : step->state_entered,
        .state_entered_ms = step->state_entered_ms,
        .state_input = step->state_input,
        .resting = step->resting,
        .retry_counts = step->retry_counts,
        .branch_id = child->branch_id,
        .map_index = child->map_index,
        .map_item = child->map_item,
    };
    return position;
}

/*
 * Starts definition with input in environment into *machine (the caller frees it; NULL when it does not parse), the
 * step rendered.
 */
static void start_execution(const char *definition, const struct execution_facts *execution_facts,
                            const struct step_environment *environment, struct interpreter_step *step,
                            struct state_machine **machine)
{
    *machine = parse_machine(definition);
    memset(step, 0, sizeof(*step));
    ASSERT_NOT_NULL(*machine);
    if (!*machine)
        return;
    int result = interpreter_start(*machine, execution_facts, environment, step);
    ASSERT_EQ_INT(0, result);
    if (result == 0)
        ASSERT_EQ_INT(0, render_step(step));
}

static struct state_machine *start(const char *definition, const struct execution_facts *execution_facts,
                                   struct interpreter_step *step)
{
    struct step_environment environment = environment_at(NOW_MS);
    struct state_machine *machine = NULL;
    start_execution(definition, execution_facts, &environment, step, &machine);
    return machine;
}

#define PASS_BRANCH(name, result) \
    "{\"StartAt\":\"" name "\",\"States\":{\"" name "\":{\"Type\":\"Pass\",\"Result\":" result ",\"End\":true}}}"

static void test_parallel_of_four_pass_branches(void)
{
    static const char definition[] =
        "{\"StartAt\":\"StartState\",\"States\":{\"StartState\":{\"Type\":\"Parallel\",\"End\":true,\"Branches\":"
        "[" PASS_BRANCH("Branch0", "{\"branch\":0}") "," PASS_BRANCH("Branch1", "{\"branch\":1}") "," PASS_BRANCH(
            "Branch2", "{\"branch\":2}") "," PASS_BRANCH("Branch3", "{\"branch\":3}") "]}}}";
    struct execution_facts with = facts_with("{}");
    struct interpreter_step step;
    struct state_machine *machine = start(definition, &with, &step);
    check_sequence(&step, "1 0 ExecutionStarted\n2 0 ParallelStateEntered\n3 2 ParallelStateStarted\n"
                          "4 3 PassStateEntered\n5 3 PassStateEntered\n6 3 PassStateEntered\n7 3 PassStateEntered\n"
                          "8 4 PassStateExited\n9 5 PassStateExited\n10 6 PassStateExited\n11 7 PassStateExited\n"
                          "12 11 ParallelStateSucceeded\n13 11 ParallelStateExited\n14 13 ExecutionSucceeded\n");
    ASSERT_EQ_STR("Branch1", detail(&step, 4, "stateEnteredEventDetails", "name"));
    ASSERT_EQ_STR("Branch3", detail(&step, 10, "stateExitedEventDetails", "name"));
    ASSERT_TRUE(!cJSON_GetObjectItem(event_at(&step, 2), "parallelStateStartedEventDetails"));
    ASSERT_EQ_STR("[{\"branch\":0},{\"branch\":1},{\"branch\":2},{\"branch\":3}]",
                  detail(&step, 12, "stateExitedEventDetails", "output"));
    check_succeeded_execution(&step, "[{\"branch\":0},{\"branch\":1},{\"branch\":2},{\"branch\":3}]");
    ASSERT_EQ_INT(0, (int)step.child_count); /* joined within the step */
    interpreter_step_release(&step);
    state_machine_free(machine);
}

static void test_nested_parallel(void)
{
    static const char definition[] =
        "{\"StartAt\":\"ParallelStateL1\",\"States\":{\"ParallelStateL1\":{\"Type\":\"Parallel\",\"End\":true,"
        "\"Branches\":[{\"StartAt\":\"ParallelStateL2\",\"States\":{\"ParallelStateL2\":{\"Type\":\"Parallel\","
        "\"End\":true,\"Branches\":[{\"StartAt\":\"BranchL2\",\"States\":{\"BranchL2\":{\"Type\":\"Pass\","
        "\"End\":true}}}]}}}]}}}";
    struct execution_facts with = facts_with("[[1,2,3],[4,5,6]]");
    struct interpreter_step step;
    struct state_machine *machine = start(definition, &with, &step);
    check_sequence(&step, "1 0 ExecutionStarted\n2 0 ParallelStateEntered\n3 2 ParallelStateStarted\n"
                          "4 3 ParallelStateEntered\n5 4 ParallelStateStarted\n6 5 PassStateEntered\n"
                          "7 6 PassStateExited\n8 7 ParallelStateSucceeded\n9 7 ParallelStateExited\n"
                          "10 9 ParallelStateSucceeded\n11 9 ParallelStateExited\n12 11 ExecutionSucceeded\n");
    check_succeeded_execution(&step, "[[[[1,2,3],[4,5,6]]]]");
    ASSERT_EQ_INT(0, (int)step.child_count);
    interpreter_step_release(&step);
    state_machine_free(machine);
}

/* When the store says the execution has as many branches as it may, a fork that would open one fails. */
static void test_a_fork_beyond_the_live_branch_bound_fails(void)
{
    static const char definition[] =
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\",\"End\":true,\"Branches\":[{\"StartAt\":\"B\","
        "\"States\":{\"B\":{\"Type\":\"Pass\",\"End\":true}}}]}}}";
    struct execution_facts with = facts_with("{}");
    struct step_environment environment = environment_at(NOW_MS);
    struct state_machine *machine = NULL;
    struct interpreter_step step;
    environment.branches_full = true;
    start_execution(definition, &with, &environment, &step, &machine);
    check_sequence(&step, "1 0 ExecutionStarted\n2 0 ParallelStateEntered\n3 2 ParallelStateStarted\n"
                          "4 3 ExecutionFailed\n");
    check_runtime_failure(&step, "P", 2, INTERPRETER_BRANCHES_FULL_CAUSE);
    ASSERT_EQ_INT(0, (int)step.child_count);
    interpreter_step_release(&step);
    state_machine_free(machine);
}

#define ARR "[1,\"Hello\",{},null,3.3,3,4,5]"
#define MAP_OF(processor, fields)                                                                             \
    "{\"StartAt\":\"StartState\",\"States\":{\"StartState\":{\"Type\":\"Pass\",\"Result\":{\"arr\":" ARR "}," \
    "\"Next\":\"MapState\"},\"MapState\":{\"Type\":\"Map\",\"ItemsPath\":\"$.arr\"," fields                   \
    "\"ItemProcessor\":" processor ",\"Next\":\"Final\"},\"Final\":{\"Type\":\"Pass\",\"End\":true}}}"
#define HANDLE_ITEM "{\"StartAt\":\"HandleItem\",\"States\":{\"HandleItem\":{\"Type\":\"Pass\",\"End\":true}}}"
#define CALLBACK_TASK(name) WAIT_TASK(name, "\"Parameters\":{\"token.$\":\"$$.Task.Token\"},\"End\":true")

static void test_nested_fork_resting_on_a_task(void)
{
    static const char definition[] =
        "{\"StartAt\":\"Before\",\"States\":{\"Before\":{\"Type\":\"Map\",\"ItemProcessor\":" HANDLE_ITEM
        ",\"Next\":\"P\"},\"P\":{\"Type\":\"Parallel\",\"End\":true,\"Branches\":[{\"StartAt\":\"Q\",\"States\":{"
        "\"Q\":{\"Type\":\"Parallel\",\"End\":true,\"Branches\":[{\"StartAt\":\"T\",\"States\":{" CALLBACK_TASK(
            "T") "}}]}}}]}}}";
    struct execution_facts with = facts_with("[1]");
    struct interpreter_step step;
    struct state_machine *machine = start(definition, &with, &step);
    ASSERT_EQ_INT(RESTING_FORK, step.resting);
    ASSERT_EQ_STR("P", step.state_name);
    ASSERT_EQ_INT(1, (int)step.child_count);
    if (step.child_count == 1) {
        const struct interpreter_step *child = step.children[0].step;
        ASSERT_EQ_STR("2.0", step.children[0].branch_id);
        ASSERT_EQ_INT(RESTING_FORK, child->resting);
        ASSERT_TRUE(child->has_fork && child->fork.kind == STATE_PARALLEL && child->fork.length == 1);
        ASSERT_EQ_INT(1, (int)child->child_count);
        if (child->child_count == 1) {
            ASSERT_EQ_STR("2.0/3.0", child->children[0].branch_id);
            ASSERT_EQ_INT(RESTING_TASK, child->children[0].step->resting);
            ASSERT_EQ_STR("token-2.0/3.0", child->children[0].step->task.token);
        }
    }
    interpreter_step_release(&step);
    state_machine_free(machine);
}

static void test_map_over_eight_mixed_items(void)
{
    static const char definition[] = MAP_OF(HANDLE_ITEM, "\"ResultPath\":\"$.arr\",");
    static const char *const inputs[] = { "1", "\"Hello\"", "{}", "null", "3.3", "3", "4", "5" };
    struct execution_facts with = facts_with("{}");
    struct interpreter_step step;
    struct state_machine *machine = start(definition, &with, &step);
    char expected[4096] = "1 0 ExecutionStarted\n2 0 PassStateEntered\n3 2 PassStateExited\n4 3 MapStateEntered\n"
                          "5 4 MapStateStarted\n";
    for (long i = 0, id = 6; i < 8; i++, id += 4)
        snprintf(expected + strlen(expected), sizeof(expected) - strlen(expected),
                 "%ld %ld MapIterationStarted\n%ld %ld PassStateEntered\n%ld %ld PassStateExited\n"
                 "%ld %ld MapIterationSucceeded\n",
                 id, i == 0 ? 5 : id - 2, id + 1, id, id + 2, id + 1, id + 3, id + 2);
    strcat(expected, "38 37 MapStateSucceeded\n39 37 MapStateExited\n40 39 PassStateEntered\n41 40 PassStateExited\n"
                     "42 41 ExecutionSucceeded\n");
    check_sequence(&step, expected);
    ASSERT_EQ_STR("{\"length\":8}", details_text(&step, 4, "mapStateStartedEventDetails"));
    for (int i = 0; i < 8; i++) {
        char started[64];
        snprintf(started, sizeof(started), "{\"index\":%d,\"name\":\"MapState\"}", i);
        ASSERT_EQ_STR(started, details_text(&step, 5 + 4 * i, "mapIterationStartedEventDetails"));
        ASSERT_EQ_STR(started, details_text(&step, 8 + 4 * i, "mapIterationSucceededEventDetails"));
        ASSERT_EQ_STR(inputs[i], detail(&step, 6 + 4 * i, "stateEnteredEventDetails", "input"));
    }
    ASSERT_TRUE(!cJSON_GetObjectItem(event_at(&step, 37), "mapStateSucceededEventDetails"));
    check_succeeded_execution(&step, "{\"arr\":" ARR "}");
    interpreter_step_release(&step);
    state_machine_free(machine);
}

static void check_map_selector(const char *fields, const char *processor_member)
{
    char definition[2048];
    snprintf(definition, sizeof(definition),
             "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"ItemsPath\":\"$.items\",%s,"
             "\"%s\":{\"StartAt\":\"H\",\"States\":{\"H\":{\"Type\":\"Pass\",\"End\":true}}},\"End\":true}}}",
             fields, processor_member);
    struct execution_facts with = facts_with("{\"items\":[\"a\",\"b\"],\"tag\":\"t\"}");
    struct interpreter_step step;
    struct state_machine *machine = start(definition, &with, &step);
    int entered = find_event(&step, "PassStateEntered", 1);
    ASSERT_EQ_STR("{\"index\":1,\"value\":\"b\",\"tag\":\"t\"}",
                  entered >= 0 ? detail(&step, entered, "stateEnteredEventDetails", "input") : "");
    check_succeeded_execution(&step, "[{\"index\":0,\"value\":\"a\",\"tag\":\"t\"},"
                                     "{\"index\":1,\"value\":\"b\",\"tag\":\"t\"}]");
    interpreter_step_release(&step);
    state_machine_free(machine);
}

static void test_map_item_selector_reads_the_item_from_the_context(void)
{
    check_map_selector("\"ItemSelector\":{\"index.$\":\"$$.Map.Item.Index\",\"value.$\":\"$$.Map.Item.Value\","
                       "\"tag.$\":\"$.tag\"}",
                       "ItemProcessor");
}

static void test_map_legacy_parameters_and_iterator(void)
{
    check_map_selector("\"Parameters\":{\"index.$\":\"$$.Map.Item.Index\",\"value.$\":\"$$.Map.Item.Value\","
                       "\"tag.$\":\"$.tag\"}",
                       "Iterator");
}

#define FAIL_ITEM                                                                                  \
    "{\"StartAt\":\"HandleItemFail\",\"States\":{\"HandleItemFail\":{\"Type\":\"Fail\",\"Error\":" \
    "\"HandleItemFailError\",\"Cause\":\"HandleItemFailCause\"}}}"
#define MAP_OF_ONE(fields)                                                                                       \
    "{\"StartAt\":\"StartState\",\"States\":{\"StartState\":{\"Type\":\"Pass\",\"Result\":{\"arr\":[1]},"        \
    "\"Next\":\"MapState\"},\"MapState\":{\"Type\":\"Map\",\"ItemsPath\":\"$.arr\",\"ItemProcessor\":" FAIL_ITEM \
    "," fields "},\"FinalCaught\":{\"Type\":\"Pass\",\"End\":true}}}"

static void test_map_iteration_failure_caught_by_the_map(void)
{
    static const char definition[] =
        MAP_OF_ONE("\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"FinalCaught\"}],\"End\":true");
    struct execution_facts with = facts_with("{}");
    struct interpreter_step step;
    struct state_machine *machine = start(definition, &with, &step);
    check_sequence(&step, "1 0 ExecutionStarted\n2 0 PassStateEntered\n3 2 PassStateExited\n4 3 MapStateEntered\n"
                          "5 4 MapStateStarted\n6 5 MapIterationStarted\n7 6 FailStateEntered\n"
                          "8 7 MapIterationFailed\n9 7 MapStateFailed\n10 9 MapStateExited\n11 10 PassStateEntered\n"
                          "12 11 PassStateExited\n13 12 ExecutionSucceeded\n");
    ASSERT_EQ_STR("{\"index\":0,\"name\":\"MapState\"}", details_text(&step, 7, "mapIterationFailedEventDetails"));
    check_succeeded_execution(&step, "{\"Error\":\"HandleItemFailError\",\"Cause\":\"HandleItemFailCause\"}");
    ASSERT_EQ_INT(0, (int)step.child_count);
    interpreter_step_release(&step);
    state_machine_free(machine);
}

static void test_map_retried_then_failed(void)
{
    static const char definition[] =
        MAP_OF_ONE("\"Retry\":[{\"ErrorEquals\":[\"States.ALL\"],\"IntervalSeconds\":1,\"MaxAttempts\":1}],"
                   "\"Catch\":[{\"ErrorEquals\":[\"Other\"],\"Next\":\"FinalCaught\"}],\"End\":true");
    struct execution_facts with = facts_with("{}");
    struct interpreter_step step, retried;
    struct state_machine *machine = start(definition, &with, &step);
    check_sequence(&step, "1 0 ExecutionStarted\n2 0 PassStateEntered\n3 2 PassStateExited\n4 3 MapStateEntered\n"
                          "5 4 MapStateStarted\n6 5 MapIterationStarted\n7 6 FailStateEntered\n"
                          "8 7 MapIterationFailed\n");
    check_rest(&step, "MapState", 4, RESTING_RETRY, 1000, "1");
    struct execution_position position = position_after(&step);
    struct step_environment later = environment_at(NOW_MS + 1000);
    memset(&retried, 0, sizeof(retried));
    if (!machine)
        return;
    ASSERT_EQ_INT(0, interpreter_timer_due(machine, &with, &position, &later, &retried));
    ASSERT_EQ_INT(0, render_step(&retried));
    check_sequence(&retried, "9 8 MapStateStarted\n10 9 MapIterationStarted\n11 10 FailStateEntered\n"
                             "12 11 MapIterationFailed\n13 11 MapStateFailed\n14 13 ExecutionFailed\n");
    check_failed_execution(&retried, "HandleItemFailError", "HandleItemFailCause");
    interpreter_step_release(&retried);
    interpreter_step_release(&step);
    state_machine_free(machine);
}

static void test_map_items_not_an_array(void)
{
    static const char definition[] =
        "{\"StartAt\":\"MapIterateState\",\"States\":{\"MapIterateState\":{\"Type\":\"Map\",\"ItemsPath\":"
        "\"$.items\",\"ItemProcessor\":" HANDLE_ITEM ",\"End\":true}}}";
    struct execution_facts with = facts_with("{\"items\":1}");
    struct interpreter_step step;
    struct state_machine *machine = start(definition, &with, &step);
    check_runtime_failure(&step, "MapIterateState", 2, "Map state input must be an array but was: 1");
    interpreter_step_release(&step);
    state_machine_free(machine);
}

/* A MaxConcurrencyPath value that is not a whole number: AWS's recorded cause quotes it (test_max_concurrency_path). */
static void test_map_max_concurrency_path_not_an_integer(void)
{
    static const char definition[] =
        "{\"StartAt\":\"MapState\",\"States\":{\"MapState\":{\"Type\":\"Map\",\"ItemsPath\":\"$.items\","
        "\"MaxConcurrencyPath\":\"$.m\",\"ItemProcessor\":" HANDLE_ITEM ",\"End\":true}}}";
    static const struct {
        const char *input;
        const char *cause;
    } cases[] = {
        { "{\"items\":[1],\"m\":\"NoNumber\"}",
          "The MaxConcurrencyPath field refers to value \"NoNumber\" which is not a valid integer: $.m" },
        { "{\"items\":[1],\"m\":{}}",
          "The MaxConcurrencyPath field refers to value \"{}\" which is not a valid integer: $.m" },
        { "{\"items\":[1],\"m\":1.5}",
          "The MaxConcurrencyPath field refers to value \"1.5\" which is not a valid integer: $.m" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct execution_facts with = facts_with(cases[i].input);
        struct interpreter_step step;
        struct state_machine *machine = start(definition, &with, &step);
        check_runtime_failure(&step, "MapState", 2, cases[i].cause);
        interpreter_step_release(&step);
        state_machine_free(machine);
    }
}

static void test_map_over_too_many_items(void)
{
    static const char definition[] =
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"ItemProcessor\":" HANDLE_ITEM ",\"End\":true}}}";
    size_t size = (INTERPRETER_MAX_MAP_ITEMS + 1) * 2 + 8;
    char *input = malloc(size);
    ASSERT_NOT_NULL(input);
    if (!input)
        return;
    strcpy(input, "[");
    for (int i = 0; i <= INTERPRETER_MAX_MAP_ITEMS; i++)
        strcat(input + (i ? 2 * i - 1 : 0), i ? ",0" : "0");
    strcat(input, "]");
    struct execution_facts with = facts_with(input);
    struct interpreter_step step;
    struct state_machine *machine = start(definition, &with, &step);
    ASSERT_EQ_STR("States.Runtime", step.error);
    ASSERT_TRUE(strstr(step.cause ? step.cause : "", "more than the 10000") != NULL);
    interpreter_step_release(&step);
    state_machine_free(machine);
    free(input);
}

static void test_parallel_with_a_task_branch(void)
{
    static const char definition[] =
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\",\"Next\":\"Done\",\"Branches\":["
        "{\"StartAt\":\"T\",\"States\":{" CALLBACK_TASK("T") "}}," PASS_BRANCH(
            "B", "{\"b\":1}") "]},\"Done\":{\"Type\":\"Succeed\"}}}";
    struct execution_facts with = facts_with("{}");
    struct interpreter_step step, answered, joined;
    struct state_machine *machine = start(definition, &with, &step);
    memset(&answered, 0, sizeof(answered));
    memset(&joined, 0, sizeof(joined));
    check_sequence(&step, "1 0 ExecutionStarted\n2 0 ParallelStateEntered\n3 2 ParallelStateStarted\n"
                          "4 3 TaskStateEntered\n5 4 TaskScheduled\n6 5 TaskStarted\n7 3 PassStateEntered\n"
                          "8 7 PassStateExited\n");
    check_rest(&step, "P", 2, RESTING_FORK, 0, NULL);
    ASSERT_TRUE(step.has_fork && step.fork.length == 2 && step.fork.started == 2 && step.fork.kind == STATE_PARALLEL);
    ASSERT_EQ_INT(2, (int)step.child_count);
    if (step.child_count != 2 || !machine)
        goto out;
    struct fork_child *task = &step.children[0], *pass = &step.children[1];
    ASSERT_EQ_STR("0.0", task->branch_id);
    ASSERT_EQ_INT(EXECUTION_RUNNING, task->step->status);
    ASSERT_EQ_INT(RESTING_TASK, task->step->resting);
    ASSERT_TRUE(task->step->has_task);
    ASSERT_EQ_STR("token-0.0", task->step->task.token);
    ASSERT_EQ_INT(EXECUTION_SUCCEEDED, pass->step->status);
    ASSERT_EQ_STR("{\"b\":1}", pass->step->output);

    struct execution_position position = child_position(&step, task, 8);
    struct step_environment later = environment_at(NOW_MS + 10);
    ASSERT_EQ_INT(4, position.state_entered.id);
    ASSERT_EQ_INT(0, interpreter_task_succeeded(machine, &with, &position, "{\"t\":0}", &later, &answered));
    ASSERT_EQ_INT(0, render_step(&answered));
    check_sequence(&answered, "9 8 TaskSucceeded\n10 9 TaskStateExited\n");
    ASSERT_EQ_INT(EXECUTION_SUCCEEDED, answered.status);
    ASSERT_TRUE(answered.in_child);
    ASSERT_EQ_STR("{\"t\":0}", answered.output);

    const char *outputs[] = { "{\"t\":0}", "{\"b\":1}" };
    const bool failed[] = { false, false };
    struct fork_progress progress = { 2, 2, outputs, failed, NULL, NULL, NULL, NULL };
    struct execution_position fork = position_after(&step);
    fork.stored_events = 10;
    ASSERT_EQ_INT(0, interpreter_fork_continue(machine, &with, &fork, &progress, &later, &joined));
    ASSERT_EQ_INT(0, render_step(&joined));
    check_sequence(&joined, "11 10 ParallelStateSucceeded\n12 11 ParallelStateExited\n13 12 SucceedStateEntered\n"
                            "14 13 SucceedStateExited\n15 14 ExecutionSucceeded\n");
    check_succeeded_execution(&joined, "[{\"t\":0},{\"b\":1}]");
out:
    interpreter_step_release(&joined);
    interpreter_step_release(&answered);
    interpreter_step_release(&step);
    state_machine_free(machine);
}

#define CALLBACK_MAP(fields)                                                                                 \
    "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\"," fields "\"ItemProcessor\":{\"StartAt\":\"T\"," \
    "\"States\":{" CALLBACK_TASK("T") "}},\"End\":true}}}"

static void test_map_of_callbacks_answered_out_of_order(void)
{
    static const char definition[] = CALLBACK_MAP("");
    struct execution_facts with = facts_with("[\"a\",\"b\",\"c\"]");
    struct interpreter_step step, joined;
    struct state_machine *machine = start(definition, &with, &step);
    const char *outputs[3] = { NULL, NULL, NULL };
    const bool failed[3] = { false, false, false };
    static const int order[] = { 2, 0, 1 };
    long stored = 14;
    memset(&joined, 0, sizeof(joined));
    check_sequence(&step, "1 0 ExecutionStarted\n2 0 MapStateEntered\n3 2 MapStateStarted\n"
                          "4 3 MapIterationStarted\n5 4 TaskStateEntered\n6 5 TaskScheduled\n7 6 TaskStarted\n"
                          "8 3 MapIterationStarted\n9 8 TaskStateEntered\n10 9 TaskScheduled\n11 10 TaskStarted\n"
                          "12 3 MapIterationStarted\n13 12 TaskStateEntered\n14 13 TaskScheduled\n15 14 TaskStarted\n");
    ASSERT_EQ_INT(3, (int)step.child_count);
    if (step.child_count != 3 || !machine)
        goto out;
    ASSERT_EQ_STR("\"c\"", step.children[2].map_item);
    ASSERT_EQ_STR("token-0.2", step.children[2].step->task.token);
    for (int k = 0; k < 3; k++) {
        struct fork_child *child = &step.children[order[k]];
        struct execution_position position = child_position(&step, child, ++stored);
        struct step_environment later = environment_at(NOW_MS + 10);
        struct interpreter_step answered;
        char result[32];
        memset(&answered, 0, sizeof(answered));
        snprintf(result, sizeof(result), "{\"n\":%d}", order[k]);
        ASSERT_EQ_INT(0, interpreter_task_succeeded(machine, &with, &position, result, &later, &answered));
        ASSERT_EQ_INT(0, render_step(&answered));
        check_history(&answered, stored + 1, NOW_MS + 10, "TaskSucceeded TaskStateExited MapIterationSucceeded");
        ASSERT_EQ_INT(EXECUTION_SUCCEEDED, answered.status);
        ASSERT_EQ_INT(order[k], (long)detail_number(&answered, 2, "mapIterationSucceededEventDetails", "index"));
        outputs[order[k]] = answered.output;
        answered.output = NULL;
        stored += 3;
        interpreter_step_release(&answered);
    }
    struct fork_progress progress = { 3, 3, outputs, failed, NULL, NULL, NULL, NULL };
    struct execution_position fork = position_after(&step);
    struct step_environment later = environment_at(NOW_MS + 20);
    fork.stored_events = stored;
    ASSERT_EQ_INT(0, interpreter_fork_continue(machine, &with, &fork, &progress, &later, &joined));
    check_succeeded_execution(&joined, "[{\"n\":0},{\"n\":1},{\"n\":2}]");
out:
    for (int i = 0; i < 3; i++)
        free((char *)outputs[i]);
    interpreter_step_release(&joined);
    interpreter_step_release(&step);
    state_machine_free(machine);
}

static void test_map_max_concurrency_one(void)
{
    static const char definition[] = CALLBACK_MAP("\"MaxConcurrency\":1,");
    struct execution_facts with = facts_with("[\"a\",\"b\"]");
    struct interpreter_step step, answered, next;
    struct state_machine *machine = start(definition, &with, &step);
    memset(&answered, 0, sizeof(answered));
    memset(&next, 0, sizeof(next));
    check_sequence(&step, "1 0 ExecutionStarted\n2 0 MapStateEntered\n3 2 MapStateStarted\n"
                          "4 3 MapIterationStarted\n5 4 TaskStateEntered\n6 5 TaskScheduled\n7 6 TaskStarted\n");
    ASSERT_TRUE(step.has_fork && step.fork.started == 1 && step.fork.max_concurrency == 1);
    if (step.child_count != 1 || !machine)
        goto out;
    struct execution_position position = child_position(&step, &step.children[0], 7);
    struct step_environment later = environment_at(NOW_MS + 10);
    ASSERT_EQ_INT(0, interpreter_task_succeeded(machine, &with, &position, "0", &later, &answered));
    const char *outputs[2] = { answered.output, NULL };
    const bool failed[2] = { false, false };
    struct fork_progress progress = { 2, 1, outputs, failed, NULL, NULL, NULL, NULL };
    struct execution_position fork = position_after(&step);
    fork.stored_events = 10;
    ASSERT_EQ_INT(0, interpreter_fork_continue(machine, &with, &fork, &progress, &later, &next));
    ASSERT_EQ_INT(0, render_step(&next));
    check_history(&next, 11, NOW_MS + 10, "MapIterationStarted TaskStateEntered TaskScheduled TaskStarted");
    check_rest(&next, "M", 2, RESTING_FORK, 0, NULL);
    ASSERT_TRUE(next.has_fork && next.fork.started == 2 && next.child_count == 1);
    ASSERT_EQ_STR("0.1", next.child_count == 1 ? next.children[0].branch_id : "");
out:
    interpreter_step_release(&next);
    interpreter_step_release(&answered);
    interpreter_step_release(&step);
    state_machine_free(machine);
}

/* A redriven Map's continuation (counters reset, outputs kept) starts only the iterations without an output. */
static void test_map_continuation_starts_only_iterations_without_an_output(void)
{
    static const char definition[] = CALLBACK_MAP("\"MaxConcurrency\":2,");
    struct execution_facts with = facts_with("[\"a\",\"b\",\"c\",\"d\",\"e\"]");
    struct interpreter_step step, next;
    struct state_machine *machine = start(definition, &with, &step);
    memset(&next, 0, sizeof(next));
    if (!machine)
        goto out;
    const char *outputs[5] = { "0", NULL, "2", NULL, NULL };
    const bool failed[5] = { false, false, false, false, false };
    struct fork_progress progress = { 5, 0, outputs, failed, NULL, NULL, NULL, NULL };
    struct execution_position fork = position_after(&step);
    struct step_environment later = environment_at(NOW_MS + 10);
    fork.stored_events = 20;
    ASSERT_EQ_INT(0, interpreter_fork_continue(machine, &with, &fork, &progress, &later, &next));
    ASSERT_TRUE(next.has_fork && next.fork.started == 4 && next.child_count == 2);
    ASSERT_EQ_STR("0.1", next.child_count == 2 ? next.children[0].branch_id : "");
    ASSERT_EQ_STR("0.3", next.child_count == 2 ? next.children[1].branch_id : "");
out:
    interpreter_step_release(&next);
    interpreter_step_release(&step);
    state_machine_free(machine);
}

static void test_map_failed_iteration_aborts_the_running_ones(void)
{
    static const char definition[] =
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"ItemProcessor\":{\"StartAt\":\"C\",\"States\":{"
        "\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$\",\"NumericEquals\":1,\"Next\":\"F\"}],"
        "\"Default\":\"T\"},\"F\":{\"Type\":\"Fail\",\"Error\":\"E\",\"Cause\":\"C\"}," CALLBACK_TASK(
            "T") "}},"
                 "\"End\":true}}}";
    struct execution_facts with = facts_with("[0,1,2]");
    struct interpreter_step step;
    struct state_machine *machine = start(definition, &with, &step);
    check_sequence(&step, "1 0 ExecutionStarted\n2 0 MapStateEntered\n3 2 MapStateStarted\n"
                          "4 3 MapIterationStarted\n5 4 ChoiceStateEntered\n6 5 ChoiceStateExited\n"
                          "7 6 TaskStateEntered\n8 7 TaskScheduled\n9 8 TaskStarted\n"
                          "10 3 MapIterationStarted\n11 10 ChoiceStateEntered\n12 11 ChoiceStateExited\n"
                          "13 12 FailStateEntered\n14 13 MapIterationFailed\n15 14 MapIterationAborted\n"
                          "16 13 MapStateFailed\n17 16 ExecutionFailed\n");
    ASSERT_EQ_STR("{\"index\":0,\"name\":\"M\"}", details_text(&step, 14, "mapIterationAbortedEventDetails"));
    check_failed_execution(&step, "E", "C");
    ASSERT_EQ_INT(0, (int)step.child_count); /* the iteration resting on its task was never stored */
    ASSERT_TRUE(!step.has_task && !step.has_fork);
    interpreter_step_release(&step);
    state_machine_free(machine);
}

static void test_map_of_150_passes_goes_on_in_continuations(void)
{
    static const char definition[] =
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"ItemProcessor\":" HANDLE_ITEM ",\"End\":true}}}";
    char input[1024] = "[", expected[1024] = "[";
    for (int i = 0; i < 150; i++) {
        snprintf(input + strlen(input), sizeof(input) - strlen(input), "%s%d", i ? "," : "", i % 10);
    }
    strcat(input, "]");
    strcpy(expected, input);
    struct execution_facts with = facts_with(input);
    struct interpreter_step step, joined;
    struct state_machine *machine = start(definition, &with, &step);
    const char *outputs[150] = { NULL };
    bool failed[150] = { false };
    static const char *const digits[] = { "0", "1", "2", "3", "4", "5", "6", "7", "8", "9" };
    memset(&joined, 0, sizeof(joined));
    ASSERT_EQ_INT(EXECUTION_RUNNING, step.status);
    ASSERT_EQ_INT(RESTING_FORK, step.resting);
    ASSERT_TRUE(step.has_fork && step.fork.started > 0 && step.fork.started < 150);
    if (!machine || !step.has_fork)
        goto out;
    for (long i = 0; i < step.fork.started; i++)
        outputs[i] = digits[i % 10];
    struct fork_progress progress = { 150, step.fork.started, outputs, failed, NULL, NULL, NULL, NULL };
    struct execution_position fork = position_after(&step);
    struct step_environment later = environment_at(NOW_MS + 10);
    ASSERT_EQ_INT(0, interpreter_fork_continue(machine, &with, &fork, &progress, &later, &joined));
    ASSERT_EQ_INT(0, (long)joined.child_count); /* the last iterations all ended: joined */
    /* each iteration: MapIterationStarted, PassStateEntered, PassStateExited, MapIterationSucceeded */
    ASSERT_EQ_INT(4 * (150 - step.fork.started) + 3, event_count(&joined));
    check_succeeded_execution(&joined, expected);
out:
    interpreter_step_release(&joined);
    interpreter_step_release(&step);
    state_machine_free(machine);
}

static void test_fork_continue_needs_a_resting_fork(void)
{
    struct state_machine *machine = parse_machine(CALLBACK_MAP(""));
    struct execution_facts with = facts_with("[1]");
    struct execution_position position = { 3, "M", { 2, 0 }, NOW_MS, "[1]", RESTING_TASK, NULL, NULL, -1, NULL, NULL };
    struct step_environment now = environment_at(NOW_MS);
    const char *outputs[1] = { NULL };
    const bool failed[1] = { false };
    struct fork_progress progress = { 1, 1, outputs, failed, NULL, NULL, NULL, NULL };
    struct interpreter_step step;
    ASSERT_NOT_NULL(machine);
    if (!machine)
        return;
    ASSERT_EQ_INT(-EINVAL, interpreter_fork_continue(machine, &with, &position, &progress, &now, &step));
    interpreter_step_release(&step);
    position.resting = RESTING_FORK;
    progress.length = 2;
    ASSERT_EQ_INT(-EINVAL, interpreter_fork_continue(machine, &with, &position, &progress, &now, &step));
    interpreter_step_release(&step);
    position.branch_id = "7.0";
    progress.length = 1;
    ASSERT_EQ_INT(-EINVAL, interpreter_fork_continue(machine, &with, &position, &progress, &now, &step));
    interpreter_step_release(&step);
    state_machine_free(machine);
}

static void test_parallel_branch_failure_fails_the_parallel(void)
{
    static const char definition[] =
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\",\"End\":true,\"Branches\":["
        "{\"StartAt\":\"T\",\"States\":{" CALLBACK_TASK(
            "T") "}},"
                 "{\"StartAt\":\"F\",\"States\":{\"F\":{\"Type\":\"Fail\",\"Error\":\"E\",\"Cause\":\"C\"}}}]}}}";
    struct execution_facts with = facts_with("{}");
    struct interpreter_step step;
    struct state_machine *machine = start(definition, &with, &step);
    check_sequence(&step, "1 0 ExecutionStarted\n2 0 ParallelStateEntered\n3 2 ParallelStateStarted\n"
                          "4 3 TaskStateEntered\n5 4 TaskScheduled\n6 5 TaskStarted\n7 3 FailStateEntered\n"
                          "8 7 ParallelStateFailed\n9 8 ExecutionFailed\n");
    check_failed_execution(&step, "E", "C");
    ASSERT_EQ_INT(0, (int)step.child_count);
    interpreter_step_release(&step);
    state_machine_free(machine);
}

/* Answers the callback of child index of step with a failure; the failed child's step (rendered) in *failed. */
static void fail_child(const struct state_machine *machine, const struct execution_facts *with,
                       const struct interpreter_step *step, size_t index, long stored, struct interpreter_step *failed)
{
    struct execution_position position = child_position(step, &step->children[index], stored);
    struct step_environment later = environment_at(NOW_MS + 10);
    memset(failed, 0, sizeof(*failed));
    ASSERT_EQ_INT(0, interpreter_task_failed(machine, with, &position, "Boom", "it broke", &later, failed));
    ASSERT_EQ_INT(0, render_step(failed));
}

static void test_failed_child_reported_then_the_fork_fails(void)
{
    static const char definition[] = CALLBACK_MAP("");
    struct execution_facts with = facts_with("[1,2,3]");
    struct interpreter_step step, failed, continued;
    struct state_machine *machine = start(definition, &with, &step);
    memset(&failed, 0, sizeof(failed));
    memset(&continued, 0, sizeof(continued));
    if (!machine || step.child_count != 3)
        goto out;
    fail_child(machine, &with, &step, 1, 15, &failed);
    check_sequence(&failed, "16 15 TaskFailed\n17 16 MapIterationFailed\n");
    ASSERT_EQ_INT(EXECUTION_FAILED, failed.status);
    ASSERT_EQ_STR("Boom", failed.error);
    ASSERT_EQ_STR("it broke", failed.cause);
    const char *outputs[3] = { NULL, NULL, NULL }, *errors[3] = { NULL, "Boom", NULL },
               *causes[3] = { NULL, "it broke", NULL };
    const bool failures[3] = { false, true, false };
    struct fork_progress progress = { 3, 3, outputs, failures, errors, causes, NULL, NULL };
    struct execution_position fork = position_after(&step);
    struct step_environment later = environment_at(NOW_MS + 20);
    fork.stored_events = 17;
    ASSERT_EQ_INT(0, interpreter_fork_continue(machine, &with, &fork, &progress, &later, &continued));
    ASSERT_EQ_INT(0, render_step(&continued));
    check_sequence(&continued, "18 17 MapIterationAborted\n19 18 MapIterationAborted\n20 19 MapStateFailed\n"
                               "21 20 ExecutionFailed\n");
    ASSERT_EQ_STR("{\"index\":2,\"name\":\"M\"}", details_text(&continued, 1, "mapIterationAbortedEventDetails"));
    check_failed_execution(&continued, "Boom", "it broke");
out:
    interpreter_step_release(&continued);
    interpreter_step_release(&failed);
    interpreter_step_release(&step);
    state_machine_free(machine);
}

#define FAIL_ON_ONE(fields)                                                                                  \
    "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\"," fields "\"ItemProcessor\":{\"StartAt\":\"C\"," \
    "\"States\":{\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$\",\"NumericEquals\":1,"           \
    "\"Next\":\"F\"}],\"Default\":\"P\"},\"F\":{\"Type\":\"Fail\",\"Error\":\"E\",\"Cause\":\"C\"},"         \
    "\"P\":{\"Type\":\"Pass\",\"End\":true}}},\"End\":true}}}"

static void test_map_tolerated_failures(void)
{
    struct execution_facts with = facts_with("[1,2,1]");
    struct interpreter_step step;
    struct state_machine *machine = start(FAIL_ON_ONE("\"ToleratedFailureCount\":2,"), &with, &step);
    check_succeeded_execution(&step, "[{\"Error\":\"E\",\"Cause\":\"C\"},2,{\"Error\":\"E\",\"Cause\":\"C\"}]");
    interpreter_step_release(&step);
    state_machine_free(machine);

    machine = start(FAIL_ON_ONE("\"ToleratedFailurePercentage\":50,"), &with, &step);
    check_failed_execution(&step, "States.ExceedToleratedFailureThreshold",
                           "The specified tolerated failure threshold was exceeded");
    interpreter_step_release(&step);
    state_machine_free(machine);

    struct execution_facts counted = facts_with("{\"n\":0,\"items\":[2,1]}");
    machine = start(FAIL_ON_ONE("\"ItemsPath\":\"$.items\",\"ToleratedFailureCountPath\":\"$.n\","), &counted, &step);
    check_failed_execution(&step, "States.ExceedToleratedFailureThreshold",
                           "The specified tolerated failure threshold was exceeded");
    interpreter_step_release(&step);
    state_machine_free(machine);
}

static void test_parallel_branches_yield_and_go_on(void)
{
    static const char definition[] =
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\",\"End\":true,\"Branches\":["
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Next\":\"B\"},\"B\":{\"Type\":\"Pass\","
        "\"Next\":\"A\"}}}," PASS_BRANCH("Q", "1") "]}}}";
    struct execution_facts with = facts_with("{}");
    struct interpreter_step step, next;
    struct state_machine *machine = start(definition, &with, &step);
    memset(&next, 0, sizeof(next));
    ASSERT_EQ_INT(RESTING_FORK, step.resting);
    if (!machine || step.child_count != 2)
        goto out;
    struct fork_child *looping = &step.children[0];
    ASSERT_EQ_INT(EXECUTION_RUNNING, looping->step->status);
    ASSERT_EQ_INT(RESTING_CONTINUE, looping->step->resting);
    ASSERT_EQ_INT(EXECUTION_SUCCEEDED, step.children[1].step->status);
    struct execution_position position = child_position(&step, looping, history_total_events(&step.history));
    struct step_environment later = environment_at(NOW_MS + 10);
    ASSERT_EQ_INT(0, interpreter_timer_due(machine, &with, &position, &later, &next));
    ASSERT_EQ_INT(RESTING_CONTINUE, next.resting);
    ASSERT_TRUE(next.in_child);
    ASSERT_EQ_INT(2 * 100, event_count(&next));
out:
    interpreter_step_release(&next);
    interpreter_step_release(&step);
    state_machine_free(machine);
}

/* ---- distributed Map: a Map Run whose iterations are child executions ---- */

#define MAP_RUN_ARN_PREFIX "arn:aws:states:eu-west-2:123456789012:mapRun:LoanProcessor/"
#define DISTRIBUTED_PROCESSOR                                                                           \
    "{\"ProcessorConfig\":{\"Mode\":\"DISTRIBUTED\",\"ExecutionType\":\"STANDARD\"},\"StartAt\":\"C\"," \
    "\"States\":{\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$\",\"NumericEquals\":1,"      \
    "\"Next\":\"F\"}],\"Default\":\"P\"},\"F\":{\"Type\":\"Fail\",\"Error\":\"E\",\"Cause\":\"C\"},"    \
    "\"P\":{\"Type\":\"Pass\",\"End\":true}}}"
/* A distributed Map M over $.items (fields end with a comma): item 1 fails its child execution, others pass. */
#define DISTRIBUTED_MAP(fields)                                                                \
    "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"ItemsPath\":\"$.items\"," fields \
    "\"ItemProcessor\":" DISTRIBUTED_PROCESSOR ",\"End\":true}}}"

/* What the environment's map_run callback was asked. */
struct map_runs {
    int calls;
    bool labelled; /* the last call had a label */
    char label[64];
};

/* Map Run ARNs "<prefix><label or generated>:run". */
static int map_run(void *context, const char *label, char *out, size_t size)
{
    struct map_runs *runs = context;
    runs->calls++;
    runs->labelled = label != NULL;
    snprintf(runs->label, sizeof(runs->label), "%s", label ? label : "");
    return snprintf(out, size, MAP_RUN_ARN_PREFIX "%s:run", label ? label : "generated") < (int)size ? 0 : -ENOSPC;
}

static struct step_environment distributed_environment(int64_t now_ms, struct map_runs *runs)
{
    struct step_environment environment = environment_at(now_ms);
    environment.map_run = map_run;
    environment.map_run_context = runs;
    return environment;
}

static struct state_machine *start_distributed(const char *definition, const struct execution_facts *execution_facts,
                                               struct map_runs *runs, struct interpreter_step *step)
{
    struct step_environment environment = distributed_environment(NOW_MS, runs);
    struct state_machine *machine = NULL;
    start_execution(definition, execution_facts, &environment, step, &machine);
    return machine;
}

/* The continuation of the fork step rests at (its history stored: stored events), rendered into next. */
static void continue_fork(const struct state_machine *machine, const struct execution_facts *with,
                          const struct interpreter_step *step, const struct fork_progress *progress,
                          struct interpreter_step *next)
{
    struct map_runs runs = { 0 };
    struct step_environment later = distributed_environment(NOW_MS + 10, &runs);
    struct execution_position fork = position_after(step);
    memset(next, 0, sizeof(*next));
    ASSERT_EQ_INT(0, interpreter_fork_continue(machine, with, &fork, progress, &later, next));
    ASSERT_EQ_INT(0, render_step(next));
    ASSERT_EQ_INT(0, runs.calls); /* a continuation starts no Map Run */
    ASSERT_NULL(next->map_run_arn);
}

static void test_distributed_map_rests_after_map_run_started(void)
{
    static const struct {
        const char *fields;
        const char *items;
        bool labelled;
        const char *arn;
    } cases[] = {
        { "\"Label\":\"L\",", "[1,2,3]", true, MAP_RUN_ARN_PREFIX "L:run" },
        { "", "[1,2,3]", false, MAP_RUN_ARN_PREFIX "generated:run" },
        { "\"Label\":\"L\",", "[]", true, MAP_RUN_ARN_PREFIX "L:run" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char definition[2048], input[64];
        snprintf(definition, sizeof(definition), DISTRIBUTED_MAP("%s"), cases[i].fields);
        snprintf(input, sizeof(input), "{\"items\":%s}", cases[i].items);
        struct execution_facts with = facts_with(input);
        struct map_runs runs = { 0 };
        struct interpreter_step step;
        struct state_machine *machine = start_distributed(definition, &with, &runs, &step);
        long length = strcmp(cases[i].items, "[]") == 0 ? 0 : 3;
        check_sequence(&step, "1 0 ExecutionStarted\n2 0 MapStateEntered\n3 2 MapStateStarted\n4 3 MapRunStarted\n");
        ASSERT_EQ_INT(length, (long)detail_number(&step, 2, "mapStateStartedEventDetails", "length"));
        ASSERT_EQ_STR(cases[i].arn, detail(&step, 3, "mapRunStartedEventDetails", "mapRunArn"));
        ASSERT_EQ_INT(1, runs.calls);
        ASSERT_EQ_INT(cases[i].labelled, runs.labelled);
        ASSERT_EQ_STR(cases[i].labelled ? "L" : "", runs.label);
        check_rest(&step, "M", 2, RESTING_FORK, 0, NULL);
        ASSERT_TRUE(step.has_fork && step.fork.kind == STATE_MAP && step.fork.length == length);
        ASSERT_EQ_INT(0, (long)step.fork.started);
        ASSERT_EQ_INT(0, (int)step.child_count);
        ASSERT_EQ_STR(cases[i].arn, step.map_run_arn);
        ASSERT_TRUE(!step.map_run_ended && !step.map_run_failed);
        interpreter_step_release(&step);
        state_machine_free(machine);
    }
}

static int refuse_map_run(void *context, const char *label, char *out, size_t size)
{
    (void)context;
    (void)label;
    (void)out;
    (void)size;
    return -EIO;
}

static void test_distributed_map_without_a_map_run(void)
{
    struct execution_facts with = facts_with("{\"items\":[1]}");
    for (int refusing = 0; refusing < 2; refusing++) {
        struct step_environment environment = environment_at(NOW_MS);
        struct state_machine *machine = NULL;
        struct interpreter_step step;
        environment.map_run = refusing ? refuse_map_run : NULL;
        start_execution(DISTRIBUTED_MAP(""), &with, &environment, &step, &machine);
        check_sequence(&step, "1 0 ExecutionStarted\n2 0 MapStateEntered\n3 2 MapStateStarted\n4 3 ExecutionFailed\n");
        check_runtime_failure(&step, "M", 2, "The Map Run could not be started");
        ASSERT_NULL(step.map_run_arn);
        ASSERT_TRUE(!step.has_fork && step.child_count == 0);
        interpreter_step_release(&step);
        state_machine_free(machine);
    }
}

/* Checks that the continuation next started children first..first+count-1 as resting child executions. */
static void check_started_children(const struct interpreter_step *next, long first, long count,
                                   const char *const *inputs)
{
    ASSERT_EQ_INT(0, event_count(next));
    check_rest(next, "M", 2, RESTING_FORK, 0, NULL);
    ASSERT_TRUE(next->has_fork);
    ASSERT_EQ_INT(first + count, next->fork.started);
    ASSERT_EQ_INT(count, (long)next->child_count);
    for (size_t i = 0; i < next->child_count && (long)i < count; i++) {
        const struct fork_child *child = &next->children[i];
        char branch_id[32];
        snprintf(branch_id, sizeof(branch_id), "0.%ld", first + (long)i);
        ASSERT_EQ_STR(branch_id, child->branch_id);
        ASSERT_EQ_INT(first + (long)i, child->map_index);
        ASSERT_TRUE(child->child_execution && child->step->child_execution && child->step->in_child);
        ASSERT_NULL(child->step->iteration_of);
        ASSERT_EQ_INT(EXECUTION_RUNNING, child->step->status);
        ASSERT_EQ_INT(RESTING_CONTINUE, child->step->resting);
        ASSERT_EQ_INT(0, child->step->delay_ms);
        ASSERT_EQ_STR("C", child->step->state_name);
        ASSERT_EQ_INT(0, event_count(child->step));
        if (inputs)
            ASSERT_EQ_STR(inputs[i], child->step->state_input);
    }
}

static void test_distributed_map_continuation_starts_child_executions(void)
{
    static const char definition[] = DISTRIBUTED_MAP(
        "\"MaxConcurrency\":2,\"ToleratedFailureCount\":1,\"ItemSelector\":{\"v.$\":\"$$.Map.Item.Value\","
        "\"i.$\":\"$$.Map.Item.Index\",\"t.$\":\"$.tag\"},");
    static const char *const inputs[] = { "{\"v\":\"a\",\"i\":0,\"t\":\"x\"}", "{\"v\":\"b\",\"i\":1,\"t\":\"x\"}",
                                          "{\"v\":\"c\",\"i\":2,\"t\":\"x\"}" };
    struct execution_facts with = facts_with("{\"items\":[\"a\",\"b\",\"c\"],\"tag\":\"x\"}");
    struct map_runs runs = { 0 };
    struct interpreter_step step, next, third;
    struct state_machine *machine = start_distributed(definition, &with, &runs, &step);
    const char *outputs[3] = { NULL, NULL, NULL };
    const bool failed[3] = { false, false, false };
    struct fork_progress progress = { 3, 0, outputs, failed, NULL, NULL, NULL, NULL };
    memset(&next, 0, sizeof(next));
    memset(&third, 0, sizeof(third));
    ASSERT_EQ_INT(2, step.map_run_max_concurrency);
    ASSERT_EQ_INT(1, step.map_run_tolerated_count);
    ASSERT_TRUE(step.map_run_tolerated_percentage == 0);
    if (!machine || !step.has_fork)
        goto out;
    continue_fork(machine, &with, &step, &progress, &next);
    check_started_children(&next, 0, 2, inputs);
    ASSERT_EQ_INT(2, next.fork.max_concurrency);
    ASSERT_EQ_INT(2, next.map_run_max_concurrency);
    ASSERT_EQ_INT(1, next.map_run_tolerated_count);
    /* child 0 ended: its slot goes to child 2 */
    outputs[0] = "\"A\"";
    progress.started = 2;
    continue_fork(machine, &with, &step, &progress, &third);
    check_started_children(&third, 2, 1, inputs + 2);
out:
    interpreter_step_release(&third);
    interpreter_step_release(&next);
    interpreter_step_release(&step);
    state_machine_free(machine);
}

/* UpdateMapRun's settings, given with the progress, replace the definition's in the running Map. */
static void test_distributed_map_takes_updated_settings(void)
{
    static const char definition[] = DISTRIBUTED_MAP("\"MaxConcurrency\":1,");
    static const char *const inputs[] = { "\"a\"", "\"b\"", "\"c\"" };
    struct execution_facts with = facts_with("{\"items\":[\"a\",\"b\",\"c\"]}");
    struct map_runs runs = { 0 };
    struct interpreter_step step, next, failed_step;
    struct state_machine *machine = start_distributed(definition, &with, &runs, &step);
    const char *outputs[3] = { NULL, NULL, NULL };
    bool failed[3] = { false, false, false };
    const char *errors[3] = { NULL, "E", NULL };
    const struct fork_settings settings = { true, 3, true, 1, false, 0 };
    struct fork_progress progress = { 3, 0, outputs, failed, errors, NULL, &settings, NULL };
    memset(&next, 0, sizeof(next));
    memset(&failed_step, 0, sizeof(failed_step));
    if (!machine || !step.has_fork)
        goto out;
    continue_fork(machine, &with, &step, &progress, &next);
    check_started_children(&next, 0, 3, inputs); /* MaxConcurrency 3 now, not 1 */
    ASSERT_EQ_INT(3, next.fork.max_concurrency);
    /* ToleratedFailureCount 1 now: one failure is tolerated, the Map goes on */
    progress.started = 3;
    failed[1] = true;
    continue_fork(machine, &with, &step, &progress, &failed_step);
    ASSERT_EQ_INT(EXECUTION_RUNNING, failed_step.status);
    ASSERT_EQ_INT(RESTING_FORK, failed_step.resting);
    ASSERT_EQ_INT(0, event_count(&failed_step));
out:
    interpreter_step_release(&failed_step);
    interpreter_step_release(&next);
    interpreter_step_release(&step);
    state_machine_free(machine);
}

/* ItemBatcher: each child execution takes a batch {"BatchInput", "Items"}; MapStateStarted counts the items. */
static void test_distributed_map_batches_items(void)
{
    static const char definition[] =
        DISTRIBUTED_MAP("\"ItemBatcher\":{\"MaxItemsPerBatch\":2,\"BatchInput\":{\"tag.$\":\"$.tag\"}},"
                        "\"ItemSelector\":{\"v.$\":\"$$.Map.Item.Value\"},");
    static const char *const inputs[] = { "{\"BatchInput\":{\"tag\":\"x\"},\"Items\":[{\"v\":\"a\"},{\"v\":\"b\"}]}",
                                          "{\"BatchInput\":{\"tag\":\"x\"},\"Items\":[{\"v\":\"c\"}]}" };
    struct execution_facts with = facts_with("{\"items\":[\"a\",\"b\",\"c\"],\"tag\":\"x\"}");
    struct map_runs runs = { 0 };
    struct interpreter_step step, next;
    struct state_machine *machine = start_distributed(definition, &with, &runs, &step);
    const char *outputs[2] = { NULL, NULL };
    const bool failed[2] = { false, false };
    struct fork_progress progress = { 2, 0, outputs, failed, NULL, NULL, NULL, NULL };
    memset(&next, 0, sizeof(next));
    ASSERT_EQ_INT(3, (int)cJSON_GetNumberValue(cJSON_GetObjectItem(
                         cJSON_GetObjectItem(event_at(&step, 2), "mapStateStartedEventDetails"), "length")));
    ASSERT_EQ_INT(2, step.fork.length); /* two batches */
    if (!machine || !step.has_fork)
        goto out;
    continue_fork(machine, &with, &step, &progress, &next);
    check_started_children(&next, 0, 2, inputs);
out:
    interpreter_step_release(&next);
    interpreter_step_release(&step);
    state_machine_free(machine);
}

static void test_distributed_map_of_1050_starts_1000_per_step(void)
{
    char input[8192] = "{\"items\":[";
    for (int i = 0; i < 1050; i++)
        snprintf(input + strlen(input), sizeof(input) - strlen(input), "%s%d", i ? "," : "", 2 + i % 10);
    strcat(input, "]}");
    struct execution_facts with = facts_with(input);
    struct map_runs runs = { 0 };
    struct interpreter_step step, next, rest;
    struct state_machine *machine = start_distributed(DISTRIBUTED_MAP(""), &with, &runs, &step);
    const char *outputs[1050] = { NULL };
    bool failed[1050] = { false };
    struct fork_progress progress = { 1050, 0, outputs, failed, NULL, NULL, NULL, NULL };
    memset(&next, 0, sizeof(next));
    memset(&rest, 0, sizeof(rest));
    ASSERT_EQ_INT(INTERPRETER_MAX_DISTRIBUTED_CONCURRENCY, step.fork.max_concurrency);
    ASSERT_EQ_INT(0, step.map_run_max_concurrency); /* as the Map Run's record shows it: not set */
    ASSERT_EQ_INT(0, step.map_run_tolerated_count);
    if (!machine || !step.has_fork)
        goto out;
    continue_fork(machine, &with, &step, &progress, &next);
    check_started_children(&next, 0, INTERPRETER_CHILD_EXECUTIONS_PER_STEP, NULL);
    ASSERT_EQ_STR("11", next.child_count == 1000 ? next.children[999].step->state_input : "");
    ASSERT_EQ_INT(INTERPRETER_MAX_DISTRIBUTED_CONCURRENCY, next.fork.max_concurrency);
    progress.started = INTERPRETER_CHILD_EXECUTIONS_PER_STEP;
    continue_fork(machine, &with, &step, &progress, &rest);
    check_started_children(&rest, INTERPRETER_CHILD_EXECUTIONS_PER_STEP, 50, NULL);
out:
    interpreter_step_release(&rest);
    interpreter_step_release(&next);
    interpreter_step_release(&step);
    state_machine_free(machine);
}

/* Runs the child execution of item index (its ExecutionStarted stored) from its continue point into *ran. */
static void run_child_execution(const struct state_machine *machine, const struct execution_facts *with,
                                const struct interpreter_step *next, size_t index, struct interpreter_step *ran)
{
    struct execution_position position = child_position(next, &next->children[index], 1);
    struct step_environment later = environment_at(NOW_MS + 20);
    memset(ran, 0, sizeof(*ran));
    ASSERT_EQ_INT(0, interpreter_timer_due(machine, with, &position, &later, ran));
    ASSERT_EQ_INT(0, render_step(ran));
    ASSERT_TRUE(ran->in_child && ran->child_execution);
    ASSERT_NULL(ran->iteration_of);
}

static void test_distributed_map_child_execution_runs_its_states(void)
{
    struct execution_facts with = facts_with("{\"items\":[{\"n\":2},1]}");
    struct map_runs runs = { 0 };
    struct interpreter_step step, next, succeeded, failed_child;
    struct state_machine *machine = start_distributed(DISTRIBUTED_MAP(""), &with, &runs, &step);
    const char *outputs[2] = { NULL, NULL };
    const bool failed[2] = { false, false };
    struct fork_progress progress = { 2, 0, outputs, failed, NULL, NULL, NULL, NULL };
    memset(&next, 0, sizeof(next));
    memset(&succeeded, 0, sizeof(succeeded));
    memset(&failed_child, 0, sizeof(failed_child));
    if (!machine || !step.has_fork)
        goto out;
    continue_fork(machine, &with, &step, &progress, &next);
    ASSERT_EQ_INT(2, (int)next.child_count);
    if (next.child_count != 2)
        goto out;
    run_child_execution(machine, &with, &next, 0, &succeeded);
    check_sequence(&succeeded, "2 1 ChoiceStateEntered\n3 2 ChoiceStateExited\n4 3 PassStateEntered\n"
                               "5 4 PassStateExited\n6 5 ExecutionSucceeded\n");
    ASSERT_EQ_INT(-1, find_event(&succeeded, "MapIterationSucceeded", 0));
    check_succeeded_execution(&succeeded, "{\"n\":2}");
    run_child_execution(machine, &with, &next, 1, &failed_child);
    check_sequence(&failed_child, "2 1 ChoiceStateEntered\n3 2 ChoiceStateExited\n4 3 FailStateEntered\n"
                                  "5 4 ExecutionFailed\n");
    ASSERT_EQ_INT(-1, find_event(&failed_child, "MapIterationFailed", 0));
    check_failed_execution(&failed_child, "E", "C");
out:
    interpreter_step_release(&failed_child);
    interpreter_step_release(&succeeded);
    interpreter_step_release(&next);
    interpreter_step_release(&step);
    state_machine_free(machine);
}

/* Starts a distributed Map (fields) over two items, then its continuation with the children's outcomes. */
static void join_two_children(const char *definition, const char *const *outputs, const bool *failed,
                              const char *const *errors, const char *const *causes, struct interpreter_step *joined)
{
    struct execution_facts with = facts_with("{\"items\":[\"a\",\"b\"]}");
    struct map_runs runs = { 0 };
    struct interpreter_step step;
    struct state_machine *machine = start_distributed(definition, &with, &runs, &step);
    struct fork_progress progress = { 2, 2, outputs, failed, errors, causes, NULL, NULL };
    memset(joined, 0, sizeof(*joined));
    if (machine && step.has_fork)
        continue_fork(machine, &with, &step, &progress, joined);
    interpreter_step_release(&step);
    state_machine_free(machine);
}

static void test_distributed_map_joins_when_every_child_ended(void)
{
    const char *outputs[2] = { "\"A\"", "\"B\"" };
    const bool failed[2] = { false, false };
    struct interpreter_step joined;
    join_two_children(DISTRIBUTED_MAP(""), outputs, failed, NULL, NULL, &joined);
    check_sequence(&joined, "5 4 MapRunSucceeded\n6 5 MapStateSucceeded\n7 5 MapStateExited\n"
                            "8 7 ExecutionSucceeded\n");
    ASSERT_EQ_STR("[\"A\",\"B\"]", detail(&joined, 2, "stateExitedEventDetails", "output"));
    check_succeeded_execution(&joined, "[\"A\",\"B\"]");
    ASSERT_TRUE(joined.map_run_ended && !joined.map_run_failed);
    ASSERT_EQ_INT(0, (int)joined.child_count);
    interpreter_step_release(&joined);
}

static void test_distributed_map_failed_child_fails_the_map_run(void)
{
    const char *outputs[2] = { NULL, NULL }, *errors[2] = { NULL, "E" }, *causes[2] = { NULL, "C" };
    const bool failed[2] = { false, true };
    struct interpreter_step joined;
    join_two_children(DISTRIBUTED_MAP(""), outputs, failed, errors, causes, &joined);
    check_sequence(&joined, "5 4 MapRunFailed\n6 5 MapStateFailed\n7 6 ExecutionFailed\n");
    ASSERT_EQ_STR("E", detail(&joined, 0, "mapRunFailedEventDetails", "error"));
    ASSERT_EQ_STR("C", detail(&joined, 0, "mapRunFailedEventDetails", "cause"));
    ASSERT_EQ_INT(-1, find_event(&joined, "MapIterationAborted", 0)); /* child 0 still runs: the commit aborts it */
    check_failed_execution(&joined, "E", "C");
    ASSERT_TRUE(joined.map_run_ended && joined.map_run_failed);
    ASSERT_EQ_INT(0, (int)joined.child_count);
    interpreter_step_release(&joined);
}

static void test_distributed_map_tolerated_failure_joins(void)
{
    const char *outputs[2] = { "\"A\"", NULL }, *errors[2] = { NULL, "E" }, *causes[2] = { NULL, "C" };
    const bool failed[2] = { false, true };
    struct interpreter_step joined;
    join_two_children(DISTRIBUTED_MAP("\"ToleratedFailureCount\":1,"), outputs, failed, errors, causes, &joined);
    check_sequence(&joined, "5 4 MapRunSucceeded\n6 5 MapStateSucceeded\n7 5 MapStateExited\n"
                            "8 7 ExecutionSucceeded\n");
    check_succeeded_execution(&joined, "[\"A\",{\"Error\":\"E\",\"Cause\":\"C\"}]");
    ASSERT_TRUE(joined.map_run_ended && !joined.map_run_failed);
    interpreter_step_release(&joined);
}

/* AWS reads ToleratedFailureCountPath once MapStateStarted is written (test_distributed_map tolerance recordings). */
static void test_distributed_map_tolerated_failure_count_path(void)
{
    static const struct {
        const char *input;
        const char *detail;
    } cases[] = {
        { "{\"items\":[1],\"ToleratedFailureCount\":\"NoNumber\"}",
          "The ToleratedFailureCountPath field refers to value \"NoNumber\" which is not a valid integer: "
          "$.ToleratedFailureCount" },
        { "{\"items\":[1],\"ToleratedFailureCount\":-1}", "ToleratedFailureCount cannot be negative." },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct execution_facts with = facts_with(cases[i].input);
        struct map_runs runs = { 0 };
        struct interpreter_step step;
        struct state_machine *machine = start_distributed(
            DISTRIBUTED_MAP("\"ToleratedFailureCountPath\":\"$.ToleratedFailureCount\","), &with, &runs, &step);
        check_sequence(&step, "1 0 ExecutionStarted\n2 0 MapStateEntered\n3 2 MapStateStarted\n4 3 ExecutionFailed\n");
        check_runtime_failure(&step, "M", 2, cases[i].detail);
        ASSERT_EQ_INT(0, runs.calls); /* no Map Run */
        interpreter_step_release(&step);
        state_machine_free(machine);
    }
}

static void test_allocation_failures_in_forks(void)
{
    static const char parallel[] =
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\",\"End\":true,\"Branches\":[" PASS_BRANCH(
            "B0", "{\"b\":0}") "," PASS_BRANCH("B1", "{\"b\":1}") "]}}}";
    static const char selector[] =
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"ItemsPath\":\"$.items\",\"ItemSelector\":"
        "{\"i.$\":\"$$.Map.Item.Index\",\"v.$\":\"$$.Map.Item.Value\"},\"ItemProcessor\":" HANDLE_ITEM
        ",\"ResultSelector\":{\"all.$\":\"$\"},\"End\":true}}}";
    static const char caught[] =
        MAP_OF_ONE("\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"FinalCaught\"}],\"End\":true");
    static const char retried[] =
        MAP_OF_ONE("\"Retry\":[{\"ErrorEquals\":[\"States.ALL\"],\"IntervalSeconds\":1,\"MaxAttempts\":1}],"
                   "\"Catch\":[{\"ErrorEquals\":[\"Other\"],\"Next\":\"FinalCaught\"}],\"End\":true");
    static const char callbacks[] = CALLBACK_MAP("");
    static const struct step_call start_only[] = { { .entry = ENTRY_START } };
    static const struct step_call retry[] = { { .entry = ENTRY_START }, { .entry = ENTRY_TIMER_DUE } };
    CHECK_ALLOCATION_FAILURES(parallel, SMALL_INPUT, start_only);
    CHECK_ALLOCATION_FAILURES(selector, "{\"items\":[1,2,3]}", start_only);
    CHECK_ALLOCATION_FAILURES(caught, SMALL_INPUT, start_only);
    CHECK_ALLOCATION_FAILURES(retried, SMALL_INPUT, retry);
    CHECK_ALLOCATION_FAILURES(callbacks, "[1,2]", start_only);
    check_allocation_failures_in(FAIL_ONLY_ONE, selector, "{\"items\":[1,2,3]}", start_only, 1);
    check_allocation_failures_in(FAIL_ONLY_ONE, parallel, SMALL_INPUT, start_only, 1);
}

static void test_allocation_failures_in_distributed_map(void)
{
    static struct map_runs runs;
    static const struct step_call start_only[] = {
        { .entry = ENTRY_START, .environment = { .map_run = map_run, .map_run_context = &runs } },
    };
    CHECK_ALLOCATION_FAILURES(DISTRIBUTED_MAP("\"Label\":\"L\",\"ItemSelector\":{\"v.$\":\"$$.Map.Item.Value\"},"),
                              "{\"items\":[1,2]}", start_only);
    CHECK_ALLOCATION_FAILURES(DISTRIBUTED_MAP("\"ToleratedFailureCountPath\":\"$.n\","), "{\"items\":[1],\"n\":-1}",
                              start_only);
    check_allocation_failures_in(FAIL_ONLY_ONE, DISTRIBUTED_MAP(""), "{\"items\":[1,2]}", start_only, 1);
}

int main(void)
{
    RUN(test_parallel_of_four_pass_branches);
    RUN(test_nested_parallel);
    RUN(test_a_fork_beyond_the_live_branch_bound_fails);
    RUN(test_nested_fork_resting_on_a_task);
    RUN(test_map_over_eight_mixed_items);
    RUN(test_map_item_selector_reads_the_item_from_the_context);
    RUN(test_map_legacy_parameters_and_iterator);
    RUN(test_map_iteration_failure_caught_by_the_map);
    RUN(test_map_retried_then_failed);
    RUN(test_map_items_not_an_array);
    RUN(test_map_max_concurrency_path_not_an_integer);
    RUN(test_map_over_too_many_items);
    RUN(test_parallel_with_a_task_branch);
    RUN(test_map_of_callbacks_answered_out_of_order);
    RUN(test_map_max_concurrency_one);
    RUN(test_map_continuation_starts_only_iterations_without_an_output);
    RUN(test_map_failed_iteration_aborts_the_running_ones);
    RUN(test_map_of_150_passes_goes_on_in_continuations);
    RUN(test_fork_continue_needs_a_resting_fork);
    RUN(test_parallel_branch_failure_fails_the_parallel);
    RUN(test_failed_child_reported_then_the_fork_fails);
    RUN(test_map_tolerated_failures);
    RUN(test_parallel_branches_yield_and_go_on);
    RUN(test_distributed_map_rests_after_map_run_started);
    RUN(test_distributed_map_without_a_map_run);
    RUN(test_distributed_map_continuation_starts_child_executions);
    RUN(test_distributed_map_takes_updated_settings);
    RUN(test_distributed_map_batches_items);
    RUN(test_distributed_map_of_1050_starts_1000_per_step);
    RUN(test_distributed_map_child_execution_runs_its_states);
    RUN(test_distributed_map_joins_when_every_child_ended);
    RUN(test_distributed_map_failed_child_fails_the_map_run);
    RUN(test_distributed_map_tolerated_failure_joins);
    RUN(test_distributed_map_tolerated_failure_count_path);
    RUN(test_allocation_failures_in_forks);
    RUN(test_allocation_failures_in_distributed_map);
    return test_done();
}
