/*
 * state_machine_transitions - the checks of a scope's graph of states: every
 * transition (StartAt, Next, a Catch's Next, a Choice's targets) names a
 * state of the same scope, and every state is reachable from StartAt. See
 * state_machine_internal.h.
 */
#include "state_machine_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "choice_rule.h"

/*
 * The index-th transition target of state: its Next, then each Catch's
 * Next, then its Choice's targets; NULL past the last. Writes the target's
 * field ("Next", "Catch/0/Next", "Choices") into field when it is not NULL.
 */
static const char *state_target(const struct state_definition *state, size_t index, char *field, size_t field_size)
{
    size_t targets = state->choice ? choice_state_target_count(state->choice) : 0;

    if (state->next && index-- == 0) {
        if (field)
            snprintf(field, field_size, "Next");
        return state->next;
    }
    if (index < state->catcher_count) {
        if (field)
            snprintf(field, field_size, "Catch/%zu/Next", index);
        return state->catchers[index].next;
    }
    index -= state->catcher_count;
    if (index < targets) {
        if (field)
            snprintf(field, field_size, "Choices");
        return choice_state_target(state->choice, index);
    }
    return NULL;
}

/* The index-th target a state's own JSON names (Next, Default, each Catch's and Choice's Next); NULL past the last. */
static const char *named_target(const cJSON *state_json, size_t index)
{
    static const char *const lists[] = { "Catch", "Choices" };
    static const char *const fields[] = { "Next", "Default" };
    const cJSON *entry;
    if (!cJSON_IsObject(state_json))
        return NULL;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        const char *target = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(state_json, fields[i]));
        if (target && index-- == 0)
            return target;
    }
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(state_json, lists[i]);
        if (!cJSON_IsArray(list))
            continue;
        cJSON_ArrayForEach(entry, list)
        {
            const char *target = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(entry, "Next"));
            if (target && index-- == 0)
                return target;
        }
    }
    return NULL;
}

/* The index-th target of the scope's state i: as parsed, or as its JSON names them when it failed to parse. */
static const char *walk_target(const struct state_scope *scope, const bool *failed, size_t i, size_t index)
{
    return failed[i] ? named_target(scope->states[i].json, index) : state_target(&scope->states[i], index, NULL, 0);
}

/* Reports a missing target; returns 0 to go on with the next one. */
static int missing_target(struct parser *parser, const char *target, const char *where, const char *field)
{
    int result =
        state_machine_fail(parser->error, parser->error_size,
                           "MISSING_TRANSITION_TARGET: Missing 'Next' target: %s at %s/%s", target, where, field);
    return state_machine_go_on(parser, result, parser->problems->count);
}

/* Every transition of the scope's states (but the failed ones) names a state of the same scope. */
static int check_transitions(struct parser *parser, const struct state_scope *scope, const bool *failed)
{
    char field[64];
    const char *target;
    int result = 0;
    if (!state_machine_scope_find(scope, scope->start_at))
        result = missing_target(parser, scope->start_at, scope->where, "StartAt");
    for (size_t i = 0; result == 0 && i < scope->state_count; i++) {
        const struct state_definition *state = &scope->states[i];
        for (size_t t = 0; result == 0 && !failed[i] && (target = state_target(state, t, field, sizeof(field))); t++) {
            if (!state_machine_scope_find(scope, target))
                result = missing_target(parser, target, state->where, field);
        }
    }
    return result;
}

/* Marks target reachable and, the first time, pushes it to be walked; a missing target is skipped. */
static void push_target(const struct state_scope *scope, const char *target, bool *reachable, size_t *stack,
                        size_t *depth)
{
    const struct state_definition *state = state_machine_scope_find(scope, target);
    size_t index = state ? (size_t)(state - scope->states) : 0;

    if (!state || reachable[index])
        return;
    reachable[index] = true;
    stack[(*depth)++] = index;
}

/* Marks every state that StartAt leads to as reachable: a walk with an explicit stack (each state pushed once). */
static int mark_reachable(const struct state_scope *scope, const bool *failed, bool *reachable)
{
    size_t *stack = malloc(scope->state_count * sizeof *stack);
    size_t depth = 0;
    const char *target;

    if (stack == NULL)
        return -ENOMEM;
    push_target(scope, scope->start_at, reachable, stack, &depth);
    while (depth > 0) {
        size_t i = stack[--depth];
        for (size_t t = 0; (target = walk_target(scope, failed, i, t)); t++)
            push_target(scope, target, reachable, stack, &depth);
    }
    free(stack);
    return 0;
}

/*
 * Every state of the scope must be reachable from its StartAt. Not checked
 * when StartAt names no state; a state that shares its name with another is
 * not reported (its duplicate name is).
 */
static int check_reachable(struct parser *parser, const struct state_scope *scope, const bool *failed)
{
    bool *reachable = calloc(scope->state_count, sizeof(*reachable));
    int result = 0;
    if (!state_machine_scope_find(scope, scope->start_at)) {
        free(reachable);
        return 0;
    }
    if (!reachable || mark_reachable(scope, failed, reachable) < 0) {
        free(reachable);
        return -ENOMEM;
    }
    for (size_t i = 0; i < scope->state_count && result == 0; i++) {
        const struct state_definition *state = &scope->states[i];
        if (reachable[i] || state_machine_scope_find(scope, state->name) != state)
            continue;
        result = state_machine_fail(parser->error, parser->error_size,
                                    "UNREACHABLE_STATE: State '%s' is not reachable at %s/States/%s", state->name,
                                    scope->where, state->name);
        result = state_machine_go_on(parser, result, parser->problems->count);
    }
    free(reachable);
    return result;
}

int state_machine_check_scope_transitions(struct parser *parser, const struct state_scope *scope, const bool *failed)
{
    int result = check_transitions(parser, scope, failed);
    return result < 0 ? result : check_reachable(parser, scope, failed);
}
