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

enum state_type { STATE_TASK, STATE_PASS, STATE_SUCCEED, STATE_FAIL, STATE_WAIT, STATE_CHOICE };

struct choice_state;

/*
 * A path field (InputPath, OutputPath, ResultPath): absent means "$"
 * (path == "$"), JSON null means "discard" (is_null).
 */
struct state_path {
    const char *path;
    bool is_null;
};

/* One entry of a Task's Retry: what it retries and how often. */
struct retrier {
    const cJSON *error_equals; /* non-empty array of error names, borrowed from the document */
    double interval_seconds;   /* delay before the first retry (default 1) */
    long max_attempts;         /* retries allowed (default 3; 0: never) */
    double backoff_rate;       /* delay multiplier per retry (default 2.0) */
    long max_delay_seconds;    /* cap on the delay; 0 when not set */
    bool full_jitter;          /* JitterStrategy FULL: a random delay up to the computed one */
};

/* One entry of a Task's Catch: where an error that is not retried goes. */
struct catcher {
    const cJSON *error_equals;
    const char *next;
    struct state_path result_path; /* where the error output goes in the state's input */
};

/* Most retriers or catchers one state may have (the retry counts are stored per retrier). */
#define STATE_MACHINE_MAX_RETRIERS 32

struct state_definition {
    const char *name;
    enum state_type type;
    const cJSON *json; /* the state's object, borrowed from the document */
    const char *next;  /* NULL for a terminal state */
    struct state_path input_path;
    struct state_path output_path;
    struct state_path result_path;
    const cJSON *parameters; /* Task/Pass Parameters, or NULL */
    const cJSON *result;     /* Pass Result, or NULL */
    /* Task */
    const char *resource;         /* arn:aws:states:::<service>:<api>, or an activity's ARN */
    const cJSON *result_selector; /* or NULL */
    long timeout_seconds;         /* 0 when not set */
    const char *timeout_seconds_path;
    long heartbeat_seconds; /* 0 when not set */
    const char *heartbeat_seconds_path;
    struct retrier *retriers;
    size_t retrier_count;
    struct catcher *catchers;
    size_t catcher_count;
    /* Fail: a fixed text or a path into the input, each optional */
    const char *error;
    const char *error_path;
    const char *cause;
    const char *cause_path;
    /* Wait: exactly one of the four */
    long wait_seconds; /* -1 when not set */
    const char *wait_seconds_path;
    const char *wait_timestamp;
    const char *wait_timestamp_path;
    /* Choice */
    struct choice_state *choice;
};

struct state_machine {
    cJSON *document;
    const char *start_at;
    struct state_definition *states;
    size_t state_count;
    size_t *by_name; /* the states' indices sorted by name, for state_machine_find; NULL: search in order */
};

/*
 * Parses and validates definition (length bytes of ASL JSON). On success
 * returns 0 and a machine the caller frees with state_machine_free(). On a
 * definition error returns -EINVAL and writes AWS's detail text into error
 * (always NUL-terminated); -ENOMEM when out of memory.
 */
__attribute__((warn_unused_result)) int state_machine_parse(const char *definition, size_t length,
                                                            struct state_machine **machine, char *error,
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
__attribute__((warn_unused_result)) int state_machine_split_resource(const char *resource, char *type, size_t type_size,
                                                                     char *name, size_t name_size);

/*
 * Whether an error matches one ErrorEquals list, by the ASL rules: a name
 * matches itself; States.ALL matches every error but States.Runtime and
 * States.DataLimitExceeded; States.TaskFailed matches the same except
 * timeouts; States.Timeout matches a task timeout and a missed heartbeat;
 * States.HeartbeatTimeout a missed heartbeat only. error may be NULL (a
 * SendTaskFailure without one): only the wildcards match it.
 */
bool state_machine_error_matches(const cJSON *error_equals, const char *error, bool heartbeat);

/* Frees a machine; safe on NULL and on a half-built one. */
void state_machine_free(struct state_machine *machine);

#endif
