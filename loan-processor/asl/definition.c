/* definition - see definition.h. */
#include "definition.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

const char *definition_type_name(enum machine_type type)
{
    return type == MACHINE_EXPRESS ? "EXPRESS" : "STANDARD";
}

int definition_type_from_name(const char *name, enum machine_type *type)
{
    if (strcmp(name, "STANDARD") == 0)
        *type = MACHINE_STANDARD;
    else if (strcmp(name, "EXPRESS") == 0)
        *type = MACHINE_EXPRESS;
    else
        return -EINVAL;
    return 0;
}

void definition_hash(const char *text, char out[DEFINITION_HASH_SIZE])
{
    char hex[DIGEST_MAX_HEX_SIZE];
    digest_hex(DIGEST_SHA256, text, strlen(text), hex);
    memcpy(out, hex, DEFINITION_HASH_SIZE);
}

static bool ends_with(const char *text, const char *suffix)
{
    size_t length = strlen(text), suffix_length = strlen(suffix);
    return length >= suffix_length && strcmp(text + length - suffix_length, suffix) == 0;
}

/*
 * What an EXPRESS machine's Task may not call, in AWS's recorded words
 * (the '.waitForTaskToken' text really has two spaces before "at").
 * Returns NULL when resource is allowed.
 */
static const char *express_refusal(const char *resource)
{
    if (ends_with(resource, ".waitForTaskToken"))
        return "Express state machine does not support '.waitForTaskToken' service integration  at";
    if (ends_with(resource, ".sync") || strstr(resource, ".sync:"))
        return "Express state machine does not support '.sync' service integration at";
    if (strstr(resource, ":activity:"))
        return "Express state machine does not support Activity ARN at";
    return NULL;
}

/* Reports each Task of an EXPRESS machine that calls what it may not, up to problems->limit. */
static int check_express(const struct state_machine *machine, struct state_machine_problems *problems)
{
    char error[2048];
    size_t before = problems->count;
    for (size_t i = 0; i < machine->all_state_count && problems->count < problems->limit; i++) {
        const struct state_definition *state = machine->all_states[i];
        const char *refusal = state->type == STATE_TASK && state->resource ? express_refusal(state->resource) : NULL;
        if (!refusal)
            continue;
        snprintf(error, sizeof(error), "SCHEMA_VALIDATION_FAILED: %s %s/Resource", refusal, state->where);
        int result = problems->report(problems->context, error);
        if (result < 0)
            return result;
        problems->count++;
    }
    return problems->count > before ? -EINVAL : 0;
}

int definition_check_reporting(const char *text, enum machine_type type, struct state_machine **machine_out,
                               struct state_machine_problems *problems)
{
    struct state_machine *machine = NULL;
    int result = state_machine_parse_reporting(text, strlen(text), &machine, problems);
    if (result == 0 && type == MACHINE_EXPRESS)
        result = check_express(machine, problems);
    if (result == 0 && machine_out) {
        *machine_out = machine;
        return 0;
    }
    state_machine_free(machine);
    return result;
}

int definition_check(const char *text, enum machine_type type, struct state_machine **machine, char *error,
                     size_t error_size)
{
    struct state_machine_first_problem first = { .error = error, .error_size = error_size };
    struct state_machine_problems problems;
    state_machine_problems_first(&problems, &first);
    return definition_check_reporting(text, type, machine, &problems);
}
