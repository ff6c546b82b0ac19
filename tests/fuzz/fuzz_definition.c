/*
 * fuzz_definition - a state machine definition as CreateStateMachine takes it:
 * definition_check (state_machine_parse and the type's rules), then what the
 * server does with a definition it accepted: the console's graph layout and
 * the interpreter's first step (StartExecution) on a fixed input; and what
 * ValidateStateMachineDefinition makes of it (definition_diagnose).
 *
 * Input: the definition's text (up to its first NUL byte).
 */
#include "definition.h"
#include "definition_diagnostics.h"
#include "fuzz_input.h"
#include "graph_layout.h"
#include "interpreter.h"
#include "json_util.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

/* Below this size the definition is also checked as an EXPRESS machine (its extra rules). */
#define EXPRESS_CHECK_MAX_BYTES 65536

static const struct execution_facts facts = {
    .execution_arn = "arn:aws:states:eu-west-2:123456789012:execution:Fuzz:run-1",
    .execution_name = "run-1",
    .state_machine_arn = "arn:aws:states:eu-west-2:123456789012:stateMachine:Fuzz",
    .state_machine_name = "Fuzz",
    .role_arn = "arn:aws:iam::123456789012:role/StepFunctionsRole",
    .region = "eu-west-2",
    .start_ms = 1712345678123LL,
    .input = "{\"applicationReference\":\"app-ref\",\"property\":{\"nameOrNumber\":\"999\",\"postcode\":\"PO1 1CE\"},"
             "\"n\":3,\"list\":[1,2,2,\"a\"],\"flag\":true,\"when\":\"2024-04-05T19:34:38Z\"}",
};

static void lay_out(const struct state_machine *machine)
{
    struct graph_layout *layout = NULL;
    if (graph_layout_compute(machine, &layout) < 0)
        return;
    cJSON *json = graph_layout_to_json(layout);
    char *text = json ? json_print(json) : NULL;
    cJSON_free(text);
    cJSON_Delete(json);
    graph_layout_free(layout);
}

static void start(const struct state_machine *machine)
{
    const struct step_environment environment = {
        .now_ms = 1712345679456LL,
        .fresh_token = "AQCwAAAAKgAAAAMAAAAAAAAAAZ83TG9hblByb2Nlc3NvcjpydW4tMQ==",
        .jitter = 0.5,
        .random_bytes = fuzz_input_random_bytes,
    };
    struct interpreter_step step = { 0 };
    (void)interpreter_start(machine, &facts, &environment, &step);
    interpreter_step_release(&step);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text, *unused;
    char *block = fuzz_input_split(data, size, &text, &unused);
    if (!block)
        return 0;
    char error[512];
    struct state_machine *machine = NULL;
    if (definition_check(text, MACHINE_STANDARD, &machine, error, sizeof error) == 0) {
        lay_out(machine);
        start(machine);
        state_machine_free(machine);
        if (size < EXPRESS_CHECK_MAX_BYTES)
            (void)definition_check(text, MACHINE_EXPRESS, NULL, error, sizeof error);
    }
    /* ValidateStateMachineDefinition: every problem, and the warnings of a definition without one. */
    struct definition_diagnostics diagnostics = { 0 };
    (void)definition_diagnose(text, MACHINE_STANDARD, true, &diagnostics);
    definition_diagnostics_free(&diagnostics);
    free(block);
    return 0;
}
