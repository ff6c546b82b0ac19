/*
 * state_test - see state_test.h.
 */
#include "state_test.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asl_parameters.h"
#include "interpreter_internal.h"

/* The name a lone state's definition runs under. */
#define LONE_STATE_NAME "TestState"

static const char needs_mock_message[] =
    "TestState only supports the following when a mock is specified: Activity tasks, .sync or .waitForTaskToken "
    "service integration patterns, Parallel, or Map states.";

static const char fork_needs_mock_message[] = "TestState API does not support Map or Parallel states. Supported state "
                                              "types include: [Task, Wait, Pass, Succeed, Fail, Choice]";

/* The members a mocked Map or Parallel keeps when it runs as a Task. */
static const char *const fork_kept_members[] = {
    "Comment", "QueryLanguage", "InputPath", "OutputPath", "ResultPath", "ResultSelector",
    "Retry",   "Catch",         "Next",      "End",        "Assign",     "Output",
};

static int refuse(enum state_test_refusal *refusal, enum state_test_refusal code, char *message, size_t size,
                  const char *format, ...) __attribute__((format(printf, 5, 6)));

static int refuse(enum state_test_refusal *refusal, enum state_test_refusal code, char *message, size_t size,
                  const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(message, size, format, arguments);
    va_end(arguments);
    *refusal = code;
    return -EINVAL;
}

static int copy_text(const char *text, char **copy)
{
    *copy = NULL;
    if (!text)
        return 0;
    *copy = strdup(text);
    return *copy ? 0 : -ENOMEM;
}

static const char *string_member(const cJSON *object, const char *name)
{
    const cJSON *member = cJSON_GetObjectItemCaseSensitive(object, name);
    return cJSON_IsString(member) ? member->valuestring : NULL;
}

static bool ends_with(const char *text, const char *suffix)
{
    size_t length = strlen(text), suffix_length = strlen(suffix);
    return length >= suffix_length && strcmp(text + length - suffix_length, suffix) == 0;
}

/* Whether a Task's Resource runs only with a mock: an activity, .sync or .waitForTaskToken. */
static bool resource_needs_mock(const char *resource)
{
    return resource
           && (strstr(resource, ":activity:") || ends_with(resource, ".sync") || ends_with(resource, ".sync:2")
               || ends_with(resource, ".waitForTaskToken"));
}

/* The states a mock cannot be given to, by their Type. */
static const char *const unmockable_types[] = { "Pass", "Wait", "Choice", "Succeed", "Fail" };

static bool unmockable(const char *type)
{
    for (size_t i = 0; type && i < sizeof(unmockable_types) / sizeof(unmockable_types[0]); i++)
        if (strcmp(type, unmockable_types[i]) == 0)
            return true;
    return false;
}

/*
 * AWS's refusal of a mocked result that a Map or Parallel cannot have produced (NULL: none): a Map's is an
 * array (an object with a ResultWriter), a Parallel's an array of one result per branch.
 */
static const char *fork_result_refusal(const cJSON *state, const char *mock_result)
{
    cJSON *result = cJSON_Parse(mock_result);
    const cJSON *branches = cJSON_GetObjectItemCaseSensitive(state, "Branches");
    const char *refusal = NULL;
    if (strcmp(string_member(state, "Type"), "Map") == 0 && cJSON_GetObjectItemCaseSensitive(state, "ResultWriter"))
        refusal = cJSON_IsObject(result) ? NULL : "Mocked result must be a JSON object.";
    else if (!cJSON_IsArray(result))
        refusal = "Mocked result must be an array.";
    else if (cJSON_IsArray(branches) && cJSON_GetArraySize(result) != cJSON_GetArraySize(branches))
        refusal = "Mocked result must contain the same number of items as number of Parallel branches.";
    cJSON_Delete(result);
    return refusal;
}

/* Checks the mock against the state's type: 0, or -EINVAL with the refusal. */
static int check_mock(const struct state_test_request *request, const cJSON *state, enum state_test_refusal *refusal,
                      char *message, size_t size)
{
    const char *type = string_member(state, "Type");
    bool fork = type && (strcmp(type, "Map") == 0 || strcmp(type, "Parallel") == 0);
    bool task = type && strcmp(type, "Task") == 0;
    const char *fork_refusal = fork && request->mock_result ? fork_result_refusal(state, request->mock_result) : NULL;
    if (request->mocked && unmockable(type))
        return refuse(refusal, STATE_TEST_VALIDATION, message, size,
                      "State type '%s' is not supported when a mock is specified", type);
    if (!request->mocked && fork)
        return refuse(refusal, STATE_TEST_INVALID_DEFINITION, message, size, "%s", fork_needs_mock_message);
    if (!request->mocked && task && resource_needs_mock(string_member(state, "Resource")))
        return refuse(refusal, STATE_TEST_VALIDATION, message, size, "%s", needs_mock_message);
    if (request->mocked && fork_refusal)
        return refuse(refusal, STATE_TEST_VALIDATION, message, size, "%s", fork_refusal);
    return 0;
}

/* Copies the members of state named in names[count] into task; 0 or -ENOMEM. */
static int copy_members(cJSON *task, const cJSON *state, const char *const *names, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const cJSON *member = cJSON_GetObjectItemCaseSensitive(state, names[i]);
        cJSON *copy = member ? cJSON_Duplicate(member, true) : NULL;
        if (member && (!copy || !cJSON_AddItemToObject(task, names[i], copy))) {
            cJSON_Delete(copy);
            return -ENOMEM;
        }
    }
    return 0;
}

/* A mocked Map or Parallel as the Task it runs as: its data flow, Retry and Catch, and the mock as its result. */
static cJSON *fork_as_task(const cJSON *state)
{
    static const char *const parallel_members[] = { "Parameters", "Arguments" };
    cJSON *task = cJSON_CreateObject();
    bool parallel = strcmp(string_member(state, "Type"), "Parallel") == 0;
    if (!task || !cJSON_AddStringToObject(task, "Type", "Task")
        || !cJSON_AddStringToObject(task, "Resource", "arn:aws:states:::lambda:invoke")
        || copy_members(task, state, fork_kept_members, sizeof(fork_kept_members) / sizeof(fork_kept_members[0])) < 0
        || (parallel && copy_members(task, state, parallel_members, 2) < 0)) {
        cJSON_Delete(task);
        return NULL;
    }
    return task;
}

/* Adds a stand-in (a Succeed state) for a transition's target, unless it is there already. */
static int add_stand_in(cJSON *states, const char *target)
{
    if (!target || cJSON_GetObjectItemCaseSensitive(states, target))
        return 0;
    cJSON *stand_in = cJSON_CreateObject();
    if (!stand_in || !cJSON_AddStringToObject(stand_in, "Type", "Succeed")
        || !cJSON_AddItemToObject(states, target, stand_in)) {
        cJSON_Delete(stand_in);
        return -ENOMEM;
    }
    return 0;
}

/* Stand-ins for every state the state may go to: Next, a Choice's Default and rules, a Catch's Next. */
static int add_stand_ins(cJSON *states, const cJSON *state)
{
    int result = add_stand_in(states, string_member(state, "Next"));
    if (result == 0)
        result = add_stand_in(states, string_member(state, "Default"));
    const cJSON *entry;
    cJSON_ArrayForEach(entry, cJSON_GetObjectItemCaseSensitive(state, "Choices"))
    {
        if (result == 0)
            result = add_stand_in(states, string_member(entry, "Next"));
    }
    cJSON_ArrayForEach(entry, cJSON_GetObjectItemCaseSensitive(state, "Catch"))
    {
        if (result == 0)
            result = add_stand_in(states, string_member(entry, "Next"));
    }
    return result;
}

/* {"StartAt": name, "States": {name: state, stand-ins}} with the definition's QueryLanguage; NULL when out of memory. */
static cJSON *one_state_machine(const char *name, const cJSON *state, const char *query_language, bool mocked)
{
    const char *type = string_member(state, "Type");
    bool fork = mocked && type && (strcmp(type, "Map") == 0 || strcmp(type, "Parallel") == 0);
    cJSON *document = cJSON_CreateObject();
    cJSON *states = cJSON_AddObjectToObject(document, "States");
    cJSON *copy = fork ? fork_as_task(state) : cJSON_Duplicate(state, true);
    if (!states || !copy || !cJSON_AddItemToObject(states, name, copy)) {
        cJSON_Delete(copy);
        goto fail;
    }
    if (!cJSON_AddStringToObject(document, "StartAt", name) || add_stand_ins(states, state) < 0
        || (query_language && !cJSON_AddStringToObject(document, "QueryLanguage", query_language)))
        goto fail;
    return document;
fail:
    cJSON_Delete(document);
    return NULL;
}

/*
 * The document of the machine the test runs (into *document) and its state's name (borrowed from it): the lone
 * state, or the named one of a full definition; for a mocked Map also the machine of the Map as written (into
 * *map_document). 0, -EINVAL with the refusal, or -ENOMEM.
 */
static int test_document(const struct state_test_request *request, cJSON **document, cJSON **map_document,
                         enum state_test_refusal *refusal, char *message, size_t size)
{
    struct state_machine *full = NULL;
    cJSON *parsed = NULL;
    const cJSON *state = NULL;
    const char *name = LONE_STATE_NAME, *query_language = NULL;
    int result = 0;
    if (request->state_name) {
        char detail[1024];
        result = state_machine_parse(request->definition, strlen(request->definition), &full, detail, sizeof(detail));
        if (result == -EINVAL)
            return refuse(refusal, STATE_TEST_INVALID_DEFINITION, message, size,
                          "Invalid State Machine Definition: '%s'", detail);
        if (result < 0)
            return result;
        for (size_t i = 0; i < full->all_state_count && !state; i++)
            if (strcmp(full->all_states[i]->name, request->state_name) == 0)
                state = full->all_states[i]->json;
        if (!state) {
            state_machine_free(full);
            return refuse(refusal, STATE_TEST_VALIDATION, message, size,
                          "State '%s' does not exist in the state machine definition.", request->state_name);
        }
        name = request->state_name;
        query_language = string_member(full->document, "QueryLanguage");
    } else {
        parsed = cJSON_Parse(request->definition);
        if (!cJSON_IsObject(parsed)) {
            cJSON_Delete(parsed);
            return refuse(refusal, STATE_TEST_INVALID_DEFINITION, message, size,
                          "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: The definition of the state "
                          "is not a JSON object'");
        }
        state = parsed;
    }
    result = check_mock(request, state, refusal, message, size);
    if (result == 0) {
        *document = one_state_machine(name, state, query_language, request->mocked);
        result = *document ? 0 : -ENOMEM;
    }
    const char *type = string_member(state, "Type");
    if (result == 0 && request->mocked && type && strcmp(type, "Map") == 0) {
        *map_document = one_state_machine(name, state, query_language, false);
        result = *map_document ? 0 : -ENOMEM;
    }
    cJSON_Delete(parsed);
    state_machine_free(full);
    return result;
}

/* Parses and validates a one-state machine and finds its state: 0, -EINVAL (InvalidDefinition) or -ENOMEM. */
static int build_machine(const cJSON *document, struct state_machine **machine, const struct state_definition **state,
                         enum state_test_refusal *refusal, char *message, size_t size)
{
    char detail[1024];
    char *text = cJSON_PrintUnformatted(document);
    if (!text)
        return -ENOMEM;
    int result = state_machine_parse(text, strlen(text), machine, detail, sizeof(detail));
    cJSON_free(text);
    if (result == -EINVAL)
        return refuse(refusal, STATE_TEST_INVALID_DEFINITION, message, size, "Invalid State Machine Definition: '%s'",
                      detail);
    if (result == 0)
        *state = state_machine_find(*machine, string_member(document, "StartAt"));
    return result;
}

/* Copies what the test keeps of request; 0 or -ENOMEM. */
static int keep_request(const struct state_test_request *request, struct state_test *test)
{
    test->level = request->level;
    test->mocked = request->mocked;
    test->retrier_retry_count = request->retrier_retry_count;
    test->now_ms = request->now_ms;
    test->random_bytes = request->random_bytes;
    const char *const sources[] = { request->input ? request->input : "{}",
                                    request->variables,
                                    request->execution_arn,
                                    request->state_machine_arn,
                                    request->role_arn,
                                    request->region,
                                    request->token,
                                    request->mock_result,
                                    request->mock_error,
                                    request->mock_cause };
    char **const copies[] = { &test->input,         &test->initial_variables,
                              &test->execution_arn, &test->state_machine_arn,
                              &test->role_arn,      &test->region,
                              &test->token,         &test->mock_result,
                              &test->mock_error,    &test->mock_cause };
    for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
        if (copy_text(sources[i], copies[i]) < 0)
            return -ENOMEM;
    return 0;
}

static struct execution_facts test_facts(const struct state_test *test)
{
    return (struct execution_facts){
        .execution_arn = test->execution_arn,
        .execution_name = LONE_STATE_NAME,
        .state_machine_arn = test->state_machine_arn,
        .state_machine_name = LONE_STATE_NAME,
        .role_arn = test->role_arn ? test->role_arn : "",
        .region = test->region,
        .start_ms = test->now_ms,
        .input = test->input,
    };
}

static struct step_environment test_environment(const struct state_test *test)
{
    return (struct step_environment){
        .now_ms = test->now_ms,
        .fresh_token = test->token,
        .jitter = 0.5,
        .random_bytes = test->random_bytes,
    };
}

/* "0,0,n" with n at the index of the first retrier that matches error: the retries spent, as the request says. */
static char *spent_retries(const struct state_test *test, const char *error)
{
    struct retry_counts counts = { 0 };
    if (test->retrier_retry_count > 0)
        for (size_t i = 0; i < test->state->retrier_count; i++)
            if (state_machine_error_matches(test->state->retriers[i].error_equals, error, false)) {
                counts.made[i] = test->retrier_retry_count;
                counts.total = test->retrier_retry_count;
                break;
            }
    return interpreter_format_retry_counts(&counts, test->state->retrier_count);
}

/* The trigger that takes the test on from where its step rests: a Wait's time, or a Task's outcome. */
enum trigger { TRIGGER_TIMER, TRIGGER_SUCCESS, TRIGGER_FAILURE, TRIGGER_TIMEOUT };

static int take_step(struct state_test *test, enum trigger trigger, const char *output, const char *error,
                     const char *cause)
{
    struct interpreter_step *last = &test->step, next = { 0 };
    char *variables = interpreter_variables_text(last);
    char *retry_counts = trigger == TRIGGER_FAILURE ? spent_retries(test, error) : NULL;
    struct history_ref entered = last->state_entered.batch_index > 0
                                     ? history_ref_stored(last->history.stored_events + last->state_entered.batch_index)
                                     : last->state_entered;
    struct execution_position position = {
        .stored_events = history_total_events(&last->history),
        .state_name = last->state_name,
        .state_entered = entered,
        .state_entered_ms = last->state_entered_ms,
        .state_input = last->state_input,
        .resting = last->resting,
        .retry_counts = retry_counts ? retry_counts : last->retry_counts,
        .branch_id = "",
        .map_index = -1,
        .variables = variables,
    };
    struct execution_facts facts = test_facts(test);
    struct step_environment environment = test_environment(test);
    int result = variables && (trigger != TRIGGER_FAILURE || retry_counts) ? 0 : -ENOMEM;
    if (result == 0 && trigger == TRIGGER_TIMER)
        result = interpreter_timer_due(test->machine, &facts, &position, &environment, &next);
    else if (result == 0 && trigger == TRIGGER_SUCCESS)
        result = interpreter_task_succeeded(test->machine, &facts, &position, output, &environment, &next);
    else if (result == 0 && trigger == TRIGGER_FAILURE)
        result = interpreter_task_failed(test->machine, &facts, &position, error, cause, &environment, &next);
    else if (result == 0)
        result = interpreter_task_timed_out(test->machine, &facts, &position, false, &environment, &next);
    free(variables);
    free(retry_counts);
    interpreter_step_release(last);
    *last = next;
    return result;
}

/* Whether the step rests at the tested state the way wanted. */
static bool rests_at(const struct state_test *test, enum resting_kind resting)
{
    const struct interpreter_step *step = &test->step;
    return step->status == EXECUTION_RUNNING && step->resting == resting && step->state_name
           && strcmp(step->state_name, test->state->name) == 0;
}

/* Runs the test on until it ended or waits for a real Task. */
static int settle(struct state_test *test)
{
    int result = 0;
    while (result == 0) {
        if (rests_at(test, RESTING_WAIT)) {
            result = take_step(test, TRIGGER_TIMER, NULL, NULL, NULL);
            continue;
        }
        if (!rests_at(test, RESTING_TASK))
            return result;
        if (test->step.has_task && !test->task_parameters
            && !(test->task_parameters = cJSON_Duplicate(test->step.task.parameters, true)))
            return -ENOMEM;
        if (!test->mocked) {
            test->waits = true;
            return 0;
        }
        test->mocked = false; /* the mock answers once */
        if (test->mock_result) {
            if (copy_text(test->mock_result, &test->task_result) < 0)
                return -ENOMEM;
            result = take_step(test, TRIGGER_SUCCESS, test->mock_result, NULL, NULL);
        } else {
            if (copy_text(test->mock_error, &test->task_error) < 0
                || copy_text(test->mock_cause, &test->task_cause) < 0)
                return -ENOMEM;
            result = take_step(test, TRIGGER_FAILURE, NULL, test->mock_error, test->mock_cause);
        }
    }
    return result;
}

int state_test_begin(const struct state_test_request *request, struct state_test *test,
                     enum state_test_refusal *refusal, char *message, size_t message_size)
{
    cJSON *document = NULL, *map_document = NULL;
    int result = keep_request(request, test);
    if (result == 0 && test->initial_variables) {
        cJSON *variables = cJSON_Parse(test->initial_variables);
        bool object = cJSON_IsObject(variables);
        cJSON_Delete(variables);
        if (!object)
            result = refuse(refusal, STATE_TEST_VALIDATION, message, message_size,
                            "The variables must be a JSON object whose keys are the variable names.");
    }
    if (result == 0)
        result = test_document(request, &document, &map_document, refusal, message, message_size);
    if (result == 0 && map_document)
        result = build_machine(map_document, &test->map_machine, &test->map, refusal, message, message_size);
    if (result == 0)
        result = build_machine(document, &test->machine, &test->state, refusal, message, message_size);
    cJSON_Delete(document);
    cJSON_Delete(map_document);
    if (result < 0)
        return result;
    struct execution_position position = {
        .state_name = test->state->name,
        .state_entered = history_ref_stored(0),
        .state_entered_ms = test->now_ms,
        .state_input = test->input,
        .resting = RESTING_CONTINUE,
        .branch_id = "",
        .map_index = -1,
        .variables = test->initial_variables,
    };
    struct execution_facts facts = test_facts(test);
    struct step_environment environment = test_environment(test);
    result = interpreter_timer_due(test->machine, &facts, &position, &environment, &test->step);
    return result < 0 ? result : settle(test);
}

bool state_test_waits(const struct state_test *test)
{
    return test->waits;
}

const struct task_request *state_test_task(const struct state_test *test)
{
    return test->waits ? &test->step.task : NULL;
}

int state_test_task_done(struct state_test *test, const char *output, const char *error, const char *cause,
                         bool timed_out)
{
    if (!test->waits)
        return -EINVAL;
    test->waits = false;
    if (output)
        return copy_text(output, &test->task_result) < 0 ? -ENOMEM
                                                         : take_step(test, TRIGGER_SUCCESS, output, NULL, NULL);
    if (timed_out)
        return take_step(test, TRIGGER_TIMEOUT, NULL, NULL, NULL);
    if (copy_text(error, &test->task_error) < 0 || copy_text(cause, &test->task_cause) < 0)
        return -ENOMEM;
    return take_step(test, TRIGGER_FAILURE, NULL, error, cause);
}

long state_test_task_deadline_seconds(const struct state_test *test, bool *own)
{
    long task_seconds = test->waits ? test->step.task.timeout_seconds : 0;
    *own = task_seconds > 0 && task_seconds <= STATE_TEST_MAX_SECONDS;
    return !test->waits ? 0 : *own ? task_seconds : STATE_TEST_MAX_SECONDS;
}

int state_test_expire(struct state_test *test)
{
    if (!test->waits)
        return -EINVAL;
    test->waits = false;
    test->expired = true;
    return 0;
}

/* ---- the response ---- */

/* What the events of the last step say happened to the tested state. */
struct test_outcome {
    const char *status;
    const char *output; /* the state's StateExited output */
    const char *next_state;
    const char *error;
    const char *cause;
    long handler_index; /* the retrier (RETRIABLE) or catcher (CAUGHT_ERROR) that took the error; -1: none */
};

/* The details object of an event (its one "...EventDetails" member), or NULL. */
static const cJSON *event_details(const cJSON *event)
{
    for (const cJSON *member = event->child; member; member = member->next)
        if (member->string && ends_with(member->string, "EventDetails"))
            return member;
    return NULL;
}

/* The first handler (retriers or catchers, each with its error_equals) whose ErrorEquals matches error. */
static long first_match(const struct state_definition *state, bool retriers, const char *error)
{
    size_t count = retriers ? state->retrier_count : state->catcher_count;
    for (size_t i = 0; i < count; i++) {
        const cJSON *equals = retriers ? state->retriers[i].error_equals : state->catchers[i].error_equals;
        if (state_machine_error_matches(equals, error, false))
            return (long)i;
    }
    return -1;
}

static struct test_outcome read_outcome(const struct state_test *test)
{
    const struct interpreter_step *step = &test->step;
    struct test_outcome outcome = { .handler_index = -1 };
    bool exited = false;
    const cJSON *event;
    cJSON_ArrayForEach(event, step->history.events)
    {
        const char *type = string_member(event, "type");
        const cJSON *details = event_details(event);
        if (!type || !details)
            continue;
        if (!exited && (ends_with(type, "Failed") || ends_with(type, "TimedOut")) && !strstr(type, "Execution")) {
            outcome.error = string_member(details, "error");
            outcome.cause = string_member(details, "cause");
        } else if (!exited && ends_with(type, "StateExited")
                   && strcmp(string_member(details, "name") ? string_member(details, "name") : "", test->state->name)
                          == 0) {
            exited = true;
            outcome.output = string_member(details, "output");
        } else if (exited && !outcome.next_state && ends_with(type, "StateEntered")) {
            outcome.next_state = string_member(details, "name");
        }
    }
    if (test->expired) {
        outcome.status = "FAILED";
        outcome.error = "States.Timeout";
        outcome.cause = STATE_TEST_EXPIRED_CAUSE;
    } else if (exited) {
        bool caught = outcome.error || (test->task_error && !test->task_result);
        outcome.status = caught ? "CAUGHT_ERROR" : "SUCCEEDED";
        if (caught && !outcome.error)
            outcome.error = test->task_error;
        if (caught)
            outcome.handler_index = first_match(test->state, false, outcome.error);
    } else if (rests_at(test, RESTING_RETRY)) {
        outcome.status = "RETRIABLE";
        outcome.handler_index = first_match(test->state, true, outcome.error);
    } else {
        outcome.status = "FAILED";
        outcome.error = step->error;
        outcome.cause = step->cause;
    }
    return outcome;
}

/* Adds member name: text (JSON text, placeholders of the batch replaced); NULL text adds nothing. */
static int add_text(cJSON *object, const char *name, const char *text, long base)
{
    if (!text)
        return 0;
    char *resolved = history_resolve_text(text, base);
    int result = resolved && cJSON_AddStringToObject(object, name, resolved) ? 0 : -ENOMEM;
    free(resolved);
    return result;
}

/* Adds member name: document as JSON text; a NULL document adds nothing; the document is deleted. */
static int add_document(cJSON *object, const char *name, cJSON *document)
{
    if (!document)
        return 0;
    char *text = cJSON_PrintUnformatted(document);
    cJSON_Delete(document);
    int result = text && cJSON_AddStringToObject(object, name, text) ? 0 : -ENOMEM;
    cJSON_free(text);
    return result;
}

/* A JSONPath state's data flow stage by stage, each seeing the variables as they were before the state. */
struct data_flow {
    cJSON *after_input_path;
    cJSON *after_parameters;
    cJSON *result;
    cJSON *after_result_selector;
    cJSON *after_result_path;
};

static void data_flow_release(struct data_flow *flow)
{
    cJSON_Delete(flow->after_input_path);
    cJSON_Delete(flow->after_parameters);
    cJSON_Delete(flow->result);
    cJSON_Delete(flow->after_result_selector);
    cJSON_Delete(flow->after_result_path);
}

/* Evaluates template (Parameters, ResultSelector) on input; NULL when it fails. */
static cJSON *evaluate_template(const struct run *run, const struct state_definition *state, const cJSON *template_json,
                                const cJSON *input)
{
    char detail[512];
    cJSON *result = NULL;
    cJSON *context = interpreter_build_context(run, state, run->environment->now_ms, run->environment->fresh_token, 0);
    struct intrinsic_scope scope = interpreter_template_scope(run, input, context);
    if (context && asl_parameters_evaluate_in(template_json, &scope, &result, detail, sizeof(detail)) < 0)
        result = NULL;
    cJSON_Delete(context);
    return result;
}

/* The state's raw result: a Pass's Result (or its effective input), a Task's outcome; NULL for the others. */
static cJSON *raw_result(const struct state_test *test, const struct data_flow *flow)
{
    const struct state_definition *state = test->state;
    if (state->type == STATE_PASS)
        return state->result ? cJSON_Duplicate(state->result, true) : cJSON_Duplicate(flow->after_parameters, true);
    return test->task_result ? cJSON_Parse(test->task_result) : NULL;
}

static void trace_data_flow(const struct state_test *test, struct run *run, const cJSON *input, struct data_flow *flow)
{
    const struct state_definition *state = test->state;
    char detail[512];
    flow->after_input_path = interpreter_select_path(run, state, test->now_ms, &state->input_path, "InputPath", input,
                                                     detail, sizeof(detail));
    if (!flow->after_input_path || (state->type != STATE_PASS && state->type != STATE_TASK))
        return;
    if (test->task_parameters)
        flow->after_parameters = cJSON_Duplicate(test->task_parameters, true);
    else if (state->parameters)
        flow->after_parameters = evaluate_template(run, state, state->parameters, flow->after_input_path);
    else
        flow->after_parameters = cJSON_Duplicate(flow->after_input_path, true);
    flow->result = raw_result(test, flow);
    if (!flow->result)
        return;
    flow->after_result_selector = state->result_selector
                                      ? evaluate_template(run, state, state->result_selector, flow->result)
                                      : cJSON_Duplicate(flow->result, true);
    if (flow->after_result_selector)
        flow->after_result_path = interpreter_place_result(
            &state->result_path, input, cJSON_Duplicate(flow->after_result_selector, true), detail, sizeof(detail));
}

/*
 * Drops the stages AWS does not show for a Pass: with a Result, afterInputPath and afterParameters (the Result
 * replaces them); without one, result (afterParameters is what goes on).
 */
static void drop_hidden_pass_stages(const struct state_definition *state, struct data_flow *flow)
{
    cJSON **hidden[2] = { NULL, NULL };
    if (state->type == STATE_PASS && state->result) {
        hidden[0] = &flow->after_input_path;
        hidden[1] = &flow->after_parameters;
    } else if (state->type == STATE_PASS) {
        hidden[0] = &flow->result;
    }
    for (size_t i = 0; i < 2; i++)
        if (hidden[i]) {
            cJSON_Delete(*hidden[i]);
            *hidden[i] = NULL;
        }
}

/* The input of a Map's iteration index: item through the ItemSelector (with $$.Map.Item), or item itself. */
static cJSON *iteration_input(const struct run *run, const struct state_definition *map, const cJSON *effective,
                              long index, const cJSON *item)
{
    char detail[512];
    cJSON *result = NULL;
    if (!map->map.item_selector)
        return cJSON_Duplicate(item, true);
    char *item_text = interpreter_print_document(item);
    cJSON *context = item_text ? interpreter_build_context(run, map, run->environment->now_ms, NULL, 0) : NULL;
    if (context && interpreter_add_map_item(context, index, item_text) == 0) {
        struct intrinsic_scope scope = interpreter_template_scope(run, effective, context);
        if (asl_parameters_evaluate_in(map->map.item_selector, &scope, &result, detail, sizeof(detail)) < 0)
            result = NULL;
    }
    cJSON_Delete(context);
    cJSON_free(item_text);
    return result;
}

/* A JSONPath Map's afterItemsPath and afterItemSelector (each iteration's input), as far as they evaluate. */
static int add_map_flow(const struct state_test *test, const struct run *run, const cJSON *input, cJSON *data)
{
    const struct state_definition *map = test->map;
    char detail[512];
    cJSON *effective =
        interpreter_select_path(run, map, test->now_ms, &map->input_path, "InputPath", input, detail, sizeof(detail));
    const cJSON *items = effective ? interpreter_select_field(map->map.items_path, "ItemsPath", effective,
                                                              run->step->variables, detail, sizeof(detail))
                                   : NULL;
    int result = cJSON_IsArray(items) ? add_document(data, "afterItemsPath", cJSON_Duplicate(items, true)) : 0;
    cJSON *inputs = cJSON_IsArray(items) && result == 0 ? cJSON_CreateArray() : NULL;
    const cJSON *each = inputs ? items : NULL, *item;
    long index = 0;
    cJSON_ArrayForEach(item, each)
    {
        cJSON *one = iteration_input(run, map, effective, index++, item);
        if (!one || !cJSON_AddItemToArray(inputs, one)) {
            cJSON_Delete(one);
            cJSON_Delete(inputs);
            inputs = NULL; /* an ItemSelector that does not evaluate: no afterItemSelector */
            break;
        }
    }
    if (result == 0)
        result = add_document(data, "afterItemSelector", inputs);
    cJSON_Delete(effective);
    return result;
}

/* A mocked Map's numbers as its definition writes them: maxConcurrency, toleratedFailureCount and -Percentage. */
static int add_map_numbers(const struct state_test *test, cJSON *data)
{
    static const char *const fields[] = { "MaxConcurrency", "ToleratedFailureCount", "ToleratedFailurePercentage" };
    static const char *const names[] = { "maxConcurrency", "toleratedFailureCount", "toleratedFailurePercentage" };
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        const cJSON *value = cJSON_GetObjectItemCaseSensitive(test->map->json, fields[i]);
        if (cJSON_IsNumber(value) && !cJSON_AddNumberToObject(data, names[i], value->valuedouble))
            return -ENOMEM;
    }
    return 0;
}

/* The JSONPath stages (afterInputPath, afterParameters, result, afterResultSelector, afterResultPath). */
static int add_data_flow(const struct state_test *test, cJSON *data)
{
    struct interpreter_step scratch = { 0 };
    struct data_flow flow = { 0 };
    struct execution_facts facts = test_facts(test);
    struct step_environment environment = test_environment(test);
    struct step_budget budget = { 0 };
    struct run run = { test->machine, &facts, &environment, &scratch, &budget, &test->machine->root, "", -1, NULL };
    cJSON *input = cJSON_Parse(test->input);
    int result = input && interpreter_step_init(&scratch, 0, test->now_ms) == 0
                         && interpreter_load_variables(&scratch, test->initial_variables) == 0
                     ? 0
                     : -ENOMEM;
    if (result == 0) {
        trace_data_flow(test, &run, input, &flow);
        drop_hidden_pass_stages(test->state, &flow);
    }
    if (result == 0 && test->map)
        result = add_map_flow(test, &run, input, data);
    cJSON *const stages[] = { flow.after_input_path, flow.after_parameters, flow.result, flow.after_result_selector,
                              flow.after_result_path };
    static const char *const names[] = { "afterInputPath", "afterParameters", "result", "afterResultSelector",
                                         "afterResultPath" };
    for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++)
        if (result == 0 && stages[i])
            result = add_document(data, names[i], cJSON_Duplicate(stages[i], true));
    data_flow_release(&flow);
    cJSON_Delete(input);
    interpreter_step_release(&scratch);
    return result;
}

/* A JSONata state's stages: afterArguments (a Task's resolved Arguments) and its raw result. */
static int add_jsonata_flow(const struct state_test *test, cJSON *data)
{
    int result = 0;
    if (test->task_parameters)
        result = add_document(data, "afterArguments", cJSON_Duplicate(test->task_parameters, true));
    if (result == 0 && test->task_result)
        result = add_text(data, "result", test->task_result, 0);
    return result;
}

static int add_error_details(const struct state_test *test, const struct test_outcome *outcome, cJSON *data)
{
    bool retriable = strcmp(outcome->status, "RETRIABLE") == 0;
    if (outcome->handler_index < 0 || (!retriable && strcmp(outcome->status, "CAUGHT_ERROR") != 0))
        return 0;
    cJSON *details = cJSON_AddObjectToObject(data, "errorDetails");
    if (!details
        || !cJSON_AddNumberToObject(details, retriable ? "retryIndex" : "catchIndex", (double)outcome->handler_index))
        return -ENOMEM;
    if (retriable
        && !cJSON_AddNumberToObject(details, "retryBackoffIntervalSeconds",
                                    (double)((test->step.delay_ms + 999) / 1000)))
        return -ENOMEM;
    return 0;
}

static int add_inspection(const struct state_test *test, const struct test_outcome *outcome, cJSON *response)
{
    cJSON *data = cJSON_AddObjectToObject(response, "inspectionData");
    if (!data || !cJSON_AddStringToObject(data, "input", test->input))
        return -ENOMEM;
    int result = test->state->jsonata ? add_jsonata_flow(test, data) : add_data_flow(test, data);
    if (result == 0 && test->map)
        result = add_map_numbers(test, data);
    if (result == 0 && test->step.variables) {
        char *variables = interpreter_variables_text(&test->step);
        if (variables && strcmp(variables, "{}") != 0) /* AWS shows no variables when there are none */
            result = add_text(data, "variables", variables, 0);
        free(variables);
        if (!variables)
            result = -ENOMEM;
    }
    return result == 0 ? add_error_details(test, outcome, data) : result;
}

cJSON *state_test_response(const struct state_test *test)
{
    struct test_outcome outcome = read_outcome(test);
    long base = test->step.history.stored_events;
    cJSON *response = cJSON_CreateObject();
    bool has_output = outcome.output && strcmp(outcome.status, "FAILED") != 0;
    int result = response && cJSON_AddStringToObject(response, "status", outcome.status) ? 0 : -ENOMEM;
    if (result == 0 && has_output)
        result = add_text(response, "output", outcome.output, base);
    if (result == 0 && strcmp(outcome.status, "SUCCEEDED") != 0)
        result = add_text(response, "error", outcome.error, base);
    if (result == 0 && strcmp(outcome.status, "SUCCEEDED") != 0)
        result = add_text(response, "cause", outcome.cause, base);
    if (result == 0 && strcmp(outcome.status, "FAILED") != 0 && strcmp(outcome.status, "RETRIABLE") != 0)
        result = add_text(response, "nextState", outcome.next_state, base);
    if (result == 0 && test->level != STATE_TEST_INFO)
        result = add_inspection(test, &outcome, response);
    if (result == 0)
        return response;
    cJSON_Delete(response);
    return NULL;
}

void state_test_release(struct state_test *test)
{
    state_machine_free(test->machine);
    state_machine_free(test->map_machine);
    char *const texts[] = { test->input,         test->initial_variables,
                            test->execution_arn, test->state_machine_arn,
                            test->role_arn,      test->region,
                            test->token,         test->mock_result,
                            test->mock_error,    test->mock_cause,
                            test->task_result,   test->task_error,
                            test->task_cause };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        free(texts[i]);
    interpreter_step_release(&test->step);
    cJSON_Delete(test->task_parameters);
    *test = (struct state_test){ 0 };
}
