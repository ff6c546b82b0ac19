/*
 * state_machine - the parse entry point: the scopes (the top level, each
 * Parallel branch, each Map processor) and their states, each numbered in
 * document order and read by its type; the lookups by name, number and
 * branch id; the teardown. The fields are read in state_machine_fields.c and
 * state_machine_forks.c, each scope's transitions checked in
 * state_machine_transitions.c. See state_machine.h.
 */
#include "state_machine_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "choice_rule.h"
#include "json_util.h"

static const struct {
    const char *name;
    enum state_type type;
} state_types[] = {
    { "Task", STATE_TASK }, { "Pass", STATE_PASS },     { "Succeed", STATE_SUCCEED },   { "Fail", STATE_FAIL },
    { "Wait", STATE_WAIT }, { "Choice", STATE_CHOICE }, { "Parallel", STATE_PARALLEL }, { "Map", STATE_MAP },
};

const char *state_machine_type_name(enum state_type type)
{
    for (size_t i = 0; i < sizeof(state_types) / sizeof(state_types[0]); i++) {
        if (state_types[i].type == type)
            return state_types[i].name;
    }
    return "Unknown";
}

static const struct state_definition *find_state(const struct state_definition *states, size_t count,
                                                 const size_t *by_name, const char *name)
{
    size_t low = 0, high = count;

    while (by_name != NULL && low < high) {
        size_t middle = low + (high - low) / 2;
        const struct state_definition *state = &states[by_name[middle]];
        int order = strcmp(state->name, name);

        if (order == 0)
            return state;
        if (order < 0)
            low = middle + 1;
        else
            high = middle;
    }
    for (size_t i = 0; by_name == NULL && i < count; i++) {
        if (strcmp(states[i].name, name) == 0)
            return &states[i];
    }
    return NULL;
}

const struct state_definition *state_machine_find(const struct state_machine *machine, const char *name)
{
    return find_state(machine->states, machine->state_count, machine->root.by_name, name);
}

const struct state_definition *state_machine_scope_find(const struct state_scope *scope, const char *name)
{
    return find_state(scope->states, scope->state_count, scope->by_name, name);
}

const struct state_definition *state_machine_state_by_number(const struct state_machine *machine, size_t number)
{
    return number < machine->all_state_count ? machine->all_states[number] : NULL;
}

const struct state_scope *state_machine_fork_scope(const struct state_definition *fork, size_t index)
{
    if (fork->type == STATE_PARALLEL)
        return index < fork->branch_count ? &fork->branches[index] : NULL;
    return fork->type == STATE_MAP ? fork->processor : NULL;
}

/* Reads the decimal number at *text (digits only, at most 9) and moves *text past it. */
static bool read_number(const char **text, size_t *number)
{
    size_t digits = 0;
    *number = 0;
    for (; **text >= '0' && **text <= '9' && digits < 9; (*text)++, digits++)
        *number = *number * 10 + (size_t)(**text - '0');
    return digits > 0 && !(**text >= '0' && **text <= '9');
}

const struct state_scope *state_machine_branch_scope(const struct state_machine *machine, const char *branch_id)
{
    const struct state_scope *scope = &machine->root;
    const char *text = branch_id;
    size_t number, index;

    while (*text) {
        if (!read_number(&text, &number) || *text++ != '.' || !read_number(&text, &index))
            return NULL;
        const struct state_definition *fork = state_machine_state_by_number(machine, number);
        if (!fork || fork->scope != scope || !(scope = state_machine_fork_scope(fork, index)))
            return NULL;
        if (*text == '/' && *++text == '\0')
            return NULL;
    }
    return scope;
}

const struct state_definition *state_machine_first_fork(const struct state_machine *machine)
{
    for (size_t i = 0; i < machine->all_state_count; i++) {
        if (machine->all_states[i]->type == STATE_PARALLEL || machine->all_states[i]->type == STATE_MAP)
            return machine->all_states[i];
    }
    return NULL;
}

static bool error_name_matches(const char *pattern, const char *error, bool heartbeat)
{
    bool terminal = error && (strcmp(error, "States.Runtime") == 0 || strcmp(error, "States.DataLimitExceeded") == 0);
    bool timeout = error && strcmp(error, "States.Timeout") == 0;
    if (strcmp(pattern, "States.ALL") == 0)
        return !terminal;
    if (strcmp(pattern, "States.TaskFailed") == 0)
        return !terminal && !timeout;
    if (strcmp(pattern, "States.HeartbeatTimeout") == 0)
        return timeout && heartbeat;
    return error && strcmp(pattern, error) == 0;
}

bool state_machine_error_matches(const cJSON *error_equals, const char *error, bool heartbeat)
{
    const cJSON *name;
    cJSON_ArrayForEach(name, error_equals)
    {
        if (cJSON_IsString(name) && error_name_matches(name->valuestring, error, heartbeat))
            return true;
    }
    return false;
}

int state_machine_split_resource(const char *resource, char *type, size_t type_size, char *name, size_t name_size)
{
    static const char prefix[] = "arn:aws:states:::";
    if (strncmp(resource, prefix, sizeof(prefix) - 1) != 0)
        return -EINVAL;
    const char *service = resource + sizeof(prefix) - 1;
    const char *colon = strchr(service, ':');
    if (!colon || colon == service || !colon[1])
        return -EINVAL;
    size_t service_length = (size_t)(colon - service);
    if (service_length >= type_size || strlen(colon + 1) >= name_size)
        return -EINVAL;
    memcpy(type, service, service_length);
    type[service_length] = '\0';
    strcpy(name, colon + 1);
    return 0;
}

static int parse_type(const cJSON *state_json, struct state_definition *state, char *error, size_t error_size)
{
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(state_json, "Type"));
    if (!type)
        return state_machine_fail(error, error_size,
                                  "SCHEMA_VALIDATION_FAILED: These fields are required: [Type] at %s", state->where);
    for (size_t i = 0; i < sizeof(state_types) / sizeof(state_types[0]); i++) {
        if (strcmp(state_types[i].name, type) == 0) {
            state->type = state_types[i].type;
            return 0;
        }
    }
    return state_machine_fail(error, error_size,
                              "SCHEMA_VALIDATION_FAILED: '%s' is not a supported state type at %s/Type", type,
                              state->where);
}

/* The fields of the definition's object. */
static const char *const top_fields[] = { "StartAt",        "States",        "Comment", "Version",
                                          "TimeoutSeconds", "QueryLanguage", NULL };

/* Gives state the next number in machine->all_states (which doubles whenever its count reaches a power of two). */
static int number_state(struct state_machine *machine, struct state_definition *state)
{
    size_t count = machine->all_state_count;
    if ((count & (count - 1)) == 0) {
        struct state_definition **grown = realloc(machine->all_states, (count ? count * 2 : 1) * sizeof *grown);
        if (!grown)
            return -ENOMEM;
        machine->all_states = grown;
    }
    state->number = count;
    machine->all_states[machine->all_state_count++] = state;
    return 0;
}

static int parse_state(struct parser *parser, struct state_scope *scope, const cJSON *state_json,
                       struct state_definition *state)
{
    char *error = parser->error;
    size_t error_size = parser->error_size;
    int result;

    state->name = state_json->string;
    state->json = state_json;
    state->scope = scope;
    if (!(state->where = json_format_text("%s/States/%s", scope->where, state->name)))
        return -ENOMEM;
    if ((result = number_state(parser->machine, state)) < 0)
        return result;
    const char *where = state->where;
    if (!cJSON_IsObject(state_json))
        return state_machine_fail(error, error_size, "SCHEMA_VALIDATION_FAILED: A state must be a JSON object at %s",
                                  where);
    if ((result = parse_type(state_json, state, error, error_size)) < 0
        || (result = state_machine_parse_query_language(state_json, parser->jsonata, state, error, error_size)) < 0
        || (result = state->jsonata ? state_machine_check_jsonata_state(state_json, state, error, error_size)
                                    : state_machine_check_state_fields(state_json, state, error, error_size))
               < 0
        || (result = state_machine_parse_transition(state_json, state, error, error_size)) < 0
        || (result =
                state_machine_parse_path_field(state_json, where, "InputPath", &state->input_path, error, error_size))
               < 0
        || (result =
                state_machine_parse_path_field(state_json, where, "OutputPath", &state->output_path, error, error_size))
               < 0
        || (result =
                state_machine_parse_path_field(state_json, where, "ResultPath", &state->result_path, error, error_size))
               < 0
        || (result =
                state_machine_parse_template(state_json, where, "Parameters", &state->parameters, error, error_size))
               < 0
        || (result = state_machine_parse_assign(state_json, state, error, error_size)) < 0)
        return result;
    state->result = cJSON_GetObjectItemCaseSensitive(state_json, "Result");
    switch (state->type) {
    case STATE_TASK:
        return state_machine_parse_task_fields(state_json, state, error, error_size);
    case STATE_FAIL:
        return state_machine_parse_fail_fields(state_json, state, error, error_size);
    case STATE_WAIT:
        return state_machine_parse_wait_fields(state_json, state, error, error_size);
    case STATE_CHOICE: /* it names the state by its location under /States/ */
        if (!state->jsonata && (result = state_machine_check_jsonpath_choice(state_json, state, error, error_size)) < 0)
            return result;
        return choice_state_parse(state_json, where + strlen("/States/"), &state->choice, error, error_size);
    case STATE_PARALLEL:
        return state_machine_parse_parallel_fields(parser, state_json, state);
    case STATE_MAP:
        return state_machine_parse_map_fields(parser, state_json, state);
    default:
        return 0;
    }
}

/* Orders states by name, then by position (so that of two states of one name the earlier comes first). */
static int order_by_name(const char *left_name, size_t left_position, const char *right_name, size_t right_position)
{
    int order = strcmp(left_name, right_name);
    return order != 0 ? order : (left_position > right_position) - (left_position < right_position);
}

/* qsort_r's comparison of two indices into a scope's states. */
static int compare_names(const void *left, const void *right, void *states_pointer)
{
    const struct state_definition *states = states_pointer;
    size_t left_index = *(const size_t *)left, right_index = *(const size_t *)right;

    return order_by_name(states[left_index].name, left_index, states[right_index].name, right_index);
}

/*
 * Sorts the scope's state indices by name into scope->by_name and flags in
 * duplicate[] every state whose name an earlier state of the scope already has.
 */
static int index_names(struct state_scope *scope, bool *duplicate)
{
    scope->by_name = malloc((scope->state_count ? scope->state_count : 1) * sizeof *scope->by_name);
    if (scope->by_name == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < scope->state_count; i++)
        scope->by_name[i] = i;
    qsort_r(scope->by_name, scope->state_count, sizeof *scope->by_name, compare_names, scope->states);
    for (size_t i = 1; i < scope->state_count; i++)
        duplicate[scope->by_name[i]] =
            strcmp(scope->states[scope->by_name[i - 1]].name, scope->states[scope->by_name[i]].name) == 0;
    return 0;
}

int state_machine_go_on(struct parser *parser, int result, size_t before)
{
    struct state_machine_problems *problems = parser->problems;
    if (result != -EINVAL)
        return result;
    if (problems->count == before) {
        int reported = problems->report(problems->context, parser->error);
        if (reported < 0)
            return reported;
        problems->count++;
    }
    return problems->count >= problems->limit ? -EINVAL : 0;
}

/* The index-th state of the scope, whose name is already indexed; failed says it had an error. */
static int parse_named_state(struct parser *parser, struct state_scope *scope, const cJSON *state_json,
                             const bool *duplicate, size_t index)
{
    scope->states[index].json = state_json;
    if (duplicate[index])
        return state_machine_fail(parser->error, parser->error_size,
                                  "DUPLICATE_STATE_NAME: Duplicate State name: %s at %s/States", state_json->string,
                                  scope->where);
    if (strlen(state_json->string) == 0 || strlen(state_json->string) > 80)
        return state_machine_fail(parser->error, parser->error_size,
                                  "SCHEMA_VALIDATION_FAILED: State names must be 1 to 80 characters long at %s/States",
                                  scope->where);
    return parse_state(parser, scope, state_json, &scope->states[index]);
}

/* Parses each state, going on after one with an error as parser->problems allows; flags those in failed[]. */
static int parse_each_state(struct parser *parser, struct state_scope *scope, const cJSON *states,
                            const bool *duplicate, bool *failed)
{
    const cJSON *state_json;
    size_t index = 0;

    cJSON_ArrayForEach(state_json, states)
    {
        size_t before = parser->problems->count;
        int result = parse_named_state(parser, scope, state_json, duplicate, index);
        failed[index++] = result < 0;
        if ((result = state_machine_go_on(parser, result, before)) < 0)
            return result;
    }
    return 0;
}

/* Names are indexed first (a state's name is its key), so every lookup below is a binary search. */
static int parse_states(struct parser *parser, struct state_scope *scope, const cJSON *states)
{
    size_t count = (size_t)cJSON_GetArraySize(states), index = 0, before = parser->problems->count;
    bool *duplicate = calloc(count ? count : 1, sizeof *duplicate);
    bool *failed = calloc(count ? count : 1, sizeof *failed);
    const cJSON *state_json;
    int result = -ENOMEM;

    scope->states = calloc(count ? count : 1, sizeof(*scope->states));
    if (!scope->states || !duplicate || !failed)
        goto done;
    cJSON_ArrayForEach(state_json, states) scope->states[index++].name = state_json->string;
    scope->state_count = count;
    result = index_names(scope, duplicate);
    if (result == 0)
        result = parse_each_state(parser, scope, states, duplicate, failed);
    if (result == 0)
        result = state_machine_check_scope_transitions(parser, scope, failed);
    if (result == 0 && parser->problems->count > before)
        result = -EINVAL;
done:
    free(duplicate);
    free(failed);
    return result;
}

int state_machine_parse_scope(struct parser *parser, const cJSON *scope_json, struct state_scope *scope,
                              const char *const *fields)
{
    const char *location = scope->where[0] ? scope->where : "/";
    const cJSON *states = cJSON_GetObjectItemCaseSensitive(scope_json, "States");

    int result = state_machine_check_known_fields(scope_json, fields, location, parser->error, parser->error_size);

    if (result < 0)
        return result;
    scope->start_at = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(scope_json, "StartAt"));
    if (!scope->start_at || !cJSON_IsObject(states) || cJSON_GetArraySize(states) == 0)
        return state_machine_fail(parser->error, parser->error_size,
                                  "SCHEMA_VALIDATION_FAILED: These fields are required: [%s] at %s",
                                  scope->start_at                                            ? "States"
                                  : cJSON_IsObject(states) && cJSON_GetArraySize(states) > 0 ? "StartAt"
                                                                                             : "States, StartAt",
                                  location);
    return parse_states(parser, scope, states);
}

/* qsort's comparison of two pointers to states, by name then by number. */
static int compare_state_names(const void *left, const void *right)
{
    const struct state_definition *const *left_state = left, *const *right_state = right;
    return order_by_name((*left_state)->name, (*left_state)->number, (*right_state)->name, (*right_state)->number);
}

/* State names are unique in the whole machine (each scope has checked its own): refuses the later of a pair. */
static int check_unique_names(const struct state_machine *machine, char *error, size_t error_size)
{
    const struct state_definition *duplicate = NULL;
    struct state_definition **sorted = malloc((machine->all_state_count + 1) * sizeof *sorted);

    if (!sorted)
        return -ENOMEM;
    memcpy(sorted, machine->all_states, machine->all_state_count * sizeof *sorted);
    qsort(sorted, machine->all_state_count, sizeof *sorted, compare_state_names);
    for (size_t i = 1; i < machine->all_state_count; i++) {
        if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0 && (!duplicate || sorted[i]->number < duplicate->number))
            duplicate = sorted[i];
    }
    free(sorted);
    if (!duplicate)
        return 0;
    return state_machine_fail(error, error_size, "DUPLICATE_STATE_NAME: Duplicate State name: %s at %s/States",
                              duplicate->name, duplicate->scope->where);
}

/* The machine's QueryLanguage: JSONPath (the default) or JSONata. */
static int check_query_language(const cJSON *document, bool *jsonata, char *error, size_t error_size)
{
    const cJSON *field = cJSON_GetObjectItemCaseSensitive(document, "QueryLanguage");
    const char *language = cJSON_GetStringValue(field);
    if (field && (!language || (strcmp(language, "JSONPath") != 0 && strcmp(language, "JSONata") != 0)))
        return state_machine_fail(error, error_size,
                                  "SCHEMA_VALIDATION_FAILED: The value for the field 'QueryLanguage' must be one of "
                                  "[JSONPath, JSONata] at /QueryLanguage");
    *jsonata = language && strcmp(language, "JSONata") == 0;
    return 0;
}

/* A step of the top level failed with result: reports it unless reported, and stops the parse. */
static int stop(struct parser *parser, int result, size_t before)
{
    result = state_machine_go_on(parser, result, before);
    return result < 0 ? result : -EINVAL;
}

/* Room for one error text: a location of WHERE_SIZE and a message quoting two names and a value. */
#define PROBLEM_TEXT_SIZE 4096

int state_machine_parse_reporting(const char *definition, size_t length, struct state_machine **machine_out,
                                  struct state_machine_problems *problems)
{
    char error[PROBLEM_TEXT_SIZE] = "";
    size_t error_size = sizeof(error);
    struct state_machine *machine = calloc(1, sizeof(*machine));
    struct parser parser = { .machine = machine, .error = error, .error_size = error_size, .problems = problems };
    size_t before = problems->count;
    int result = -ENOMEM;
    if (!machine)
        return -ENOMEM;
    if (!(machine->root.where = json_format_text("%s", "")))
        goto failed;
    if (json_parse(definition, length, &machine->document) < 0) {
        result = state_machine_fail(error, error_size, "INVALID_JSON_DESCRIPTION: The definition is not valid JSON");
        goto failed;
    }
    if (!cJSON_IsObject(machine->document)) {
        result = state_machine_fail(error, error_size,
                                    "SCHEMA_VALIDATION_FAILED: The definition must be a JSON object at /");
        goto failed;
    }
    if ((result = check_query_language(machine->document, &parser.jsonata, error, error_size)) < 0
        || (result = state_machine_parse_scope(&parser, machine->document, &machine->root, top_fields)) < 0
        || (result = state_machine_parse_integer(machine->document, "", "TimeoutSeconds", 1, 99999999,
                                                 &machine->timeout_seconds, error, error_size))
               < 0
        || (result = check_unique_names(machine, error, error_size)) < 0)
        goto failed;
    machine->start_at = machine->root.start_at;
    machine->states = machine->root.states;
    machine->state_count = machine->root.state_count;
    *machine_out = machine;
    return 0;

failed:
    state_machine_free(machine);
    return stop(&parser, result, before);
}

static int keep_first(void *context, const char *error)
{
    struct state_machine_first_problem *first = context;
    snprintf(first->error, first->error_size, "%s", error);
    return 0;
}

void state_machine_problems_first(struct state_machine_problems *problems, struct state_machine_first_problem *first)
{
    *problems = (struct state_machine_problems){ .report = keep_first, .context = first, .limit = 1 };
    if (first->error_size > 0)
        first->error[0] = '\0';
}

int state_machine_parse(const char *definition, size_t length, struct state_machine **machine, char *error,
                        size_t error_size)
{
    struct state_machine_first_problem first = { .error = error, .error_size = error_size };
    struct state_machine_problems problems;
    state_machine_problems_first(&problems, &first);
    return state_machine_parse_reporting(definition, length, machine, &problems);
}

static void free_scope(struct state_scope *scope);

static void free_state(struct state_definition *state)
{
    free(state->retriers);
    free(state->catchers);
    choice_state_free(state->choice);
    cJSON_free(state->where);
    for (size_t i = 0; state->branches && i < state->branch_count; i++)
        free_scope(&state->branches[i]);
    free(state->branches);
    if (state->processor)
        free_scope(state->processor);
    free(state->processor);
}

/* Frees what scope holds (not scope itself); nesting is bounded, so is this recursion. */
static void free_scope(struct state_scope *scope)
{
    for (size_t i = 0; scope->states && i < scope->state_count; i++)
        free_state(&scope->states[i]);
    free(scope->states);
    free(scope->by_name);
    cJSON_free(scope->where);
}

void state_machine_free(struct state_machine *machine)
{
    if (!machine)
        return;
    free_scope(&machine->root);
    free(machine->all_states);
    cJSON_Delete(machine->document);
    free(machine);
}
