/* state_machine - see state_machine.h. */
#include "state_machine.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asl_parameters.h"
#include "json_util.h"
#include "asl_path.h"

static const struct {
    const char *name;
    enum state_type type;
} state_types[] = {
    { "Task", STATE_TASK },
    { "Pass", STATE_PASS },
    { "Succeed", STATE_SUCCEED },
    { "Fail", STATE_FAIL },
};

static int fail(char *error, size_t error_size, const char *format, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *error, size_t error_size, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(error, error_size, format, arguments);
    va_end(arguments);
    return -EINVAL;
}

const char *state_machine_type_name(enum state_type type)
{
    for (size_t i = 0; i < sizeof(state_types) / sizeof(state_types[0]); i++) {
        if (state_types[i].type == type)
            return state_types[i].name;
    }
    return "Unknown";
}

const struct state_definition *state_machine_find(const struct state_machine *machine, const char *name)
{
    for (size_t i = 0; i < machine->state_count; i++) {
        if (strcmp(machine->states[i].name, name) == 0)
            return &machine->states[i];
    }
    return NULL;
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

static int parse_path_field(const cJSON *state_json, const char *state_name, const char *field,
                            struct state_path *path, char *error, size_t error_size)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(state_json, field);
    path->path = "$";
    path->is_null = false;
    if (!value)
        return 0;
    if (cJSON_IsNull(value)) {
        path->is_null = true;
        return 0;
    }
    if (!cJSON_IsString(value) || asl_path_validate(value->valuestring) < 0
        || strncmp(value->valuestring, "$$", 2) == 0)
        return fail(error, error_size,
                    "SCHEMA_VALIDATION_FAILED: The value for the field '%s' must be a valid JSONPath at /States/%s/%s",
                    field, state_name, field);
    path->path = value->valuestring;
    return 0;
}

static int parse_positive_seconds(const cJSON *state_json, const char *state_name, const char *field, long *seconds,
                                  char *error, size_t error_size)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(state_json, field);
    *seconds = 0;
    if (!value)
        return 0;
    if (!cJSON_IsNumber(value) || value->valuedouble < 1 || value->valuedouble > 99999999
        || value->valuedouble != (double)(long)value->valuedouble)
        return fail(error, error_size,
                    "SCHEMA_VALIDATION_FAILED: The value for the field '%s' must be a positive integer at /States/%s/%s",
                    field, state_name, field);
    *seconds = (long)value->valuedouble;
    return 0;
}

static int parse_template(const cJSON *state_json, const char *state_name, const char *field,
                          const cJSON **template_json, char *error, size_t error_size)
{
    char detail[512];
    *template_json = cJSON_GetObjectItemCaseSensitive(state_json, field);
    if (!*template_json)
        return 0;
    if (asl_parameters_validate(*template_json, detail, sizeof(detail)) < 0)
        return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: %s at /States/%s/%s", detail, state_name, field);
    return 0;
}

static int parse_transition(const cJSON *state_json, struct state_definition *state, char *error,
                            size_t error_size)
{
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(state_json, "Next");
    const cJSON *end = cJSON_GetObjectItemCaseSensitive(state_json, "End");
    bool terminal_type = state->type == STATE_SUCCEED || state->type == STATE_FAIL;

    if (terminal_type) {
        if (next || end)
            return fail(error, error_size,
                        "SCHEMA_VALIDATION_FAILED: Field '%s' is not supported by a %s state at /States/%s/%s",
                        next ? "Next" : "End", state_machine_type_name(state->type), state->name,
                        next ? "Next" : "End");
        return 0;
    }
    if (next && end)
        return fail(error, error_size,
                    "SCHEMA_VALIDATION_FAILED: Only one of 'Next' or 'End' can be set at /States/%s", state->name);
    if (next) {
        if (!cJSON_IsString(next) || !next->valuestring[0])
            return fail(error, error_size,
                        "SCHEMA_VALIDATION_FAILED: The value for the field 'Next' must be a non-empty string at /States/%s/Next",
                        state->name);
        state->next = next->valuestring;
        return 0;
    }
    if (!cJSON_IsTrue(end))
        return fail(error, error_size,
                    "SCHEMA_VALIDATION_FAILED: These fields are required: [Next | End] at /States/%s", state->name);
    return 0;
}

static int parse_type(const cJSON *state_json, struct state_definition *state, char *error, size_t error_size)
{
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(state_json, "Type"));
    if (!type)
        return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: These fields are required: [Type] at /States/%s",
                    state->name);
    for (size_t i = 0; i < sizeof(state_types) / sizeof(state_types[0]); i++) {
        if (strcmp(state_types[i].name, type) == 0) {
            state->type = state_types[i].type;
            return 0;
        }
    }
    return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: '%s' is not a supported state type at /States/%s/Type",
                type, state->name);
}

static int parse_optional_string(const cJSON *state_json, const char *state_name, const char *field,
                                 const char **value, char *error, size_t error_size)
{
    const cJSON *member = cJSON_GetObjectItemCaseSensitive(state_json, field);
    *value = NULL;
    if (!member)
        return 0;
    if (!cJSON_IsString(member))
        return fail(error, error_size,
                    "SCHEMA_VALIDATION_FAILED: The value for the field '%s' must be a string at /States/%s/%s",
                    field, state_name, field);
    *value = member->valuestring;
    return 0;
}

static int parse_task_fields(const cJSON *state_json, struct state_definition *state, char *error,
                             size_t error_size)
{
    char type[64], name[128];
    int result = parse_optional_string(state_json, state->name, "Resource", &state->resource, error, error_size);
    if (result < 0)
        return result;
    if (!state->resource)
        return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: These fields are required: [Resource] at /States/%s",
                    state->name);
    if (state_machine_split_resource(state->resource, type, sizeof(type), name, sizeof(name)) < 0)
        return fail(error, error_size,
                    "SCHEMA_VALIDATION_FAILED: Value is not a valid resource ARN at /States/%s/Resource", state->name);
    result = parse_positive_seconds(state_json, state->name, "TimeoutSeconds", &state->timeout_seconds, error,
                                    error_size);
    if (result == 0)
        result = parse_positive_seconds(state_json, state->name, "HeartbeatSeconds", &state->heartbeat_seconds,
                                        error, error_size);
    if (result == 0 && state->timeout_seconds && state->heartbeat_seconds
        && state->heartbeat_seconds >= state->timeout_seconds)
        return fail(error, error_size,
                    "SCHEMA_VALIDATION_FAILED: HeartbeatSeconds must be smaller than TimeoutSeconds at /States/%s/HeartbeatSeconds",
                    state->name);
    return result;
}

static int parse_state(const cJSON *state_json, struct state_definition *state, char *error, size_t error_size)
{
    int result;
    state->name = state_json->string;
    state->json = state_json;
    if (!cJSON_IsObject(state_json))
        return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: A state must be a JSON object at /States/%s",
                    state->name);
    if ((result = parse_type(state_json, state, error, error_size)) < 0
        || (result = parse_transition(state_json, state, error, error_size)) < 0
        || (result = parse_path_field(state_json, state->name, "InputPath", &state->input_path, error, error_size)) < 0
        || (result = parse_path_field(state_json, state->name, "OutputPath", &state->output_path, error, error_size)) < 0
        || (result = parse_path_field(state_json, state->name, "ResultPath", &state->result_path, error, error_size)) < 0
        || (result = parse_template(state_json, state->name, "Parameters", &state->parameters, error, error_size)) < 0)
        return result;
    state->result = cJSON_GetObjectItemCaseSensitive(state_json, "Result");
    switch (state->type) {
    case STATE_TASK:
        return parse_task_fields(state_json, state, error, error_size);
    case STATE_FAIL:
        result = parse_optional_string(state_json, state->name, "Error", &state->error, error, error_size);
        if (result == 0)
            result = parse_optional_string(state_json, state->name, "Cause", &state->cause, error, error_size);
        return result;
    default:
        return 0;
    }
}

static int check_transitions(const struct state_machine *machine, char *error, size_t error_size)
{
    if (!state_machine_find(machine, machine->start_at))
        return fail(error, error_size, "MISSING_TRANSITION_TARGET: Missing 'Next' target: %s at /StartAt",
                    machine->start_at);
    for (size_t i = 0; i < machine->state_count; i++) {
        const struct state_definition *state = &machine->states[i];
        if (state->next && !state_machine_find(machine, state->next))
            return fail(error, error_size, "MISSING_TRANSITION_TARGET: Missing 'Next' target: %s at /States/%s/Next",
                        state->next, state->name);
    }
    return 0;
}

static int parse_states(struct state_machine *machine, const cJSON *states, char *error, size_t error_size)
{
    size_t count = (size_t)cJSON_GetArraySize(states);
    machine->states = calloc(count ? count : 1, sizeof(*machine->states));
    if (!machine->states)
        return -ENOMEM;
    const cJSON *state_json;
    cJSON_ArrayForEach(state_json, states)
    {
        if (state_machine_find(machine, state_json->string))
            return fail(error, error_size, "DUPLICATE_STATE_NAME: Duplicate State name: %s at /States",
                        state_json->string);
        if (strlen(state_json->string) == 0 || strlen(state_json->string) > 80)
            return fail(error, error_size,
                        "SCHEMA_VALIDATION_FAILED: State names must be 1 to 80 characters long at /States");
        int result = parse_state(state_json, &machine->states[machine->state_count], error, error_size);
        machine->state_count++;
        if (result < 0)
            return result;
    }
    return check_transitions(machine, error, error_size);
}

int state_machine_parse(const char *definition, size_t length, struct state_machine **machine_out, char *error,
                        size_t error_size)
{
    struct state_machine *machine = calloc(1, sizeof(*machine));
    int result = -ENOMEM;
    if (!machine)
        return -ENOMEM;
    if (json_parse(definition, length, &machine->document) < 0) {
        result = fail(error, error_size, "INVALID_JSON_DESCRIPTION: The definition is not valid JSON");
        goto failed;
    }
    if (!cJSON_IsObject(machine->document)) {
        result = fail(error, error_size, "SCHEMA_VALIDATION_FAILED: The definition must be a JSON object at /");
        goto failed;
    }
    machine->start_at = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(machine->document, "StartAt"));
    const cJSON *states = cJSON_GetObjectItemCaseSensitive(machine->document, "States");
    if (!machine->start_at || !cJSON_IsObject(states) || cJSON_GetArraySize(states) == 0) {
        result = fail(error, error_size, "SCHEMA_VALIDATION_FAILED: These fields are required: [%s] at /",
                      machine->start_at ? "States" : "StartAt");
        goto failed;
    }
    result = parse_states(machine, states, error, error_size);
    if (result < 0)
        goto failed;
    *machine_out = machine;
    return 0;

failed:
    state_machine_free(machine);
    return result;
}

void state_machine_free(struct state_machine *machine)
{
    if (!machine)
        return;
    free(machine->states);
    cJSON_Delete(machine->document);
    free(machine);
}
