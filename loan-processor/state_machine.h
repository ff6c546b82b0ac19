/*
 * state_machine - an Amazon States Language definition, parsed and validated
 * into data the interpreter walks. Pure: no I/O.
 *
 * Validation errors use AWS's wording, e.g.
 *   SCHEMA_VALIDATION_FAILED: The value for the field 'taskToken.$' must be a
 *   valid JSONPath or a valid intrinsic function call at /States/RequestValuation/Parameters
 * (the API layer wraps it in "Invalid State Machine Definition: '...'").
 */
#ifndef STATE_MACHINE_H
#define STATE_MACHINE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

enum state_type { STATE_TASK, STATE_PASS, STATE_SUCCEED, STATE_FAIL };

/*
 * A path field (InputPath, OutputPath, ResultPath): absent means "$"
 * (path == "$"), JSON null means "discard" (is_null).
 */
struct state_path {
    const char *path;
    bool is_null;
};

struct state_definition {
    const char *name;
    enum state_type type;
    const cJSON *json;              /* the state's object, borrowed from the document */
    const char *next;               /* NULL for a terminal state */
    struct state_path input_path;
    struct state_path output_path;
    struct state_path result_path;
    const cJSON *parameters;        /* Task/Pass Parameters, or NULL */
    const cJSON *result;            /* Pass Result, or NULL */
    const char *resource;           /* Task */
    long timeout_seconds;           /* Task; 0 when not set */
    long heartbeat_seconds;         /* Task; 0 when not set */
    const char *error;              /* Fail */
    const char *cause;              /* Fail */
};

struct state_machine {
    cJSON *document;
    const char *start_at;
    struct state_definition *states;
    size_t state_count;
};

/*
 * Parses and validates definition (length bytes of ASL JSON). On success
 * returns 0 and a machine the caller frees with state_machine_free(). On a
 * definition error returns -EINVAL and writes AWS's detail text into error
 * (always NUL-terminated); -ENOMEM when out of memory.
 */
int state_machine_parse(const char *definition, size_t length, struct state_machine **machine, char *error,
                        size_t error_size);

/* The state called name, or NULL. */
const struct state_definition *state_machine_find(const struct state_machine *machine, const char *name);

/* "Task", "Pass", ... as used in history event types (TaskStateEntered, PassStateExited). */
const char *state_machine_type_name(enum state_type type);

/*
 * Splits a Task's Resource into the history's resourceType and resource:
 * "arn:aws:states:::lambda:invoke.waitForTaskToken" -> "lambda", "invoke.waitForTaskToken".
 * Returns 0, or -EINVAL for a Resource of another form. Writes NUL-terminated
 * strings of at most type_size / name_size bytes.
 */
int state_machine_split_resource(const char *resource, char *type, size_t type_size, char *name, size_t name_size);

/* Frees a machine; safe on NULL and on a half-built one. */
void state_machine_free(struct state_machine *machine);

#endif
