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

/* Every transition of the scope's states names a state of the same scope. */
static int check_transitions(const struct state_scope *scope, char *error, size_t error_size)
{
    char field[64];
    const char *target;
    if (!state_machine_scope_find(scope, scope->start_at))
        return state_machine_fail(error, error_size,
                                  "MISSING_TRANSITION_TARGET: Missing 'Next' target: %s at %s/StartAt", scope->start_at,
                                  scope->where);
    for (size_t i = 0; i < scope->state_count; i++) {
        const struct state_definition *state = &scope->states[i];
        for (size_t t = 0; (target = state_target(state, t, field, sizeof(field))); t++) {
            if (!state_machine_scope_find(scope, target))
                return state_machine_fail(error, error_size,
                                          "MISSING_TRANSITION_TARGET: Missing 'Next' target: %s at %s/%s", target,
                                          state->where, field);
        }
    }
    return 0;
}

/* Marks target reachable and, the first time, pushes it to be walked (targets are known to exist). */
static void push_target(const struct state_scope *scope, const char *target, bool *reachable, size_t *stack,
                        size_t *depth)
{
    size_t index = (size_t)(state_machine_scope_find(scope, target) - scope->states);

    if (reachable[index])
        return;
    reachable[index] = true;
    stack[(*depth)++] = index;
}

/* Marks every state that StartAt leads to as reachable: a walk with an explicit stack (each state pushed once). */
static int mark_reachable(const struct state_scope *scope, bool *reachable)
{
    size_t *stack = malloc(scope->state_count * sizeof *stack);
    size_t depth = 0;
    const char *target;

    if (stack == NULL)
        return -ENOMEM;
    push_target(scope, scope->start_at, reachable, stack, &depth);
    while (depth > 0) {
        const struct state_definition *state = &scope->states[stack[--depth]];
        for (size_t t = 0; (target = state_target(state, t, NULL, 0)); t++)
            push_target(scope, target, reachable, stack, &depth);
    }
    free(stack);
    return 0;
}

/* Every state of the scope must be reachable from its StartAt (transitions are known to exist). */
static int check_reachable(const struct state_scope *scope, char *error, size_t error_size)
{
    bool *reachable = calloc(scope->state_count, sizeof(*reachable));
    int result = 0;
    if (!reachable || mark_reachable(scope, reachable) < 0) {
        free(reachable);
        return -ENOMEM;
    }
    for (size_t i = 0; i < scope->state_count && result == 0; i++) {
        if (!reachable[i])
            result = state_machine_fail(error, error_size, "UNREACHABLE_STATE: State '%s' is not reachable at %s",
                                        scope->states[i].name, scope->states[i].where);
    }
    free(reachable);
    return result;
}

int state_machine_check_scope_transitions(const struct state_scope *scope, char *error, size_t error_size)
{
    int result = check_transitions(scope, error, error_size);
    return result < 0 ? result : check_reachable(scope, error, error_size);
}
