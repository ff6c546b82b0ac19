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

enum state_type {
    STATE_TASK,
    STATE_PASS,
    STATE_SUCCEED,
    STATE_FAIL,
    STATE_WAIT,
    STATE_CHOICE,
    STATE_PARALLEL,
    STATE_MAP
};

struct choice_state;
struct state_definition;

/* The static limits of forks (docs/execution-model.md, Limits): refused as definition errors. */
#define STATE_MACHINE_MAX_NESTING 8

/* The most bytes of input a batch of a distributed Map's ItemBatcher may have (MaxInputBytesPerBatch): 256 KiB. */
#define STATE_MACHINE_MAX_BATCH_BYTES 262144 /* Parallel/Map states inside one another */
#define STATE_MACHINE_MAX_BRANCHES 100       /* entries of one Parallel's Branches */

/*
 * A scope: one table of states with its StartAt. The top level is a scope,
 * so is each entry of a Parallel's Branches and each Map's ItemProcessor (or
 * legacy Iterator). Transitions (Next, Catch, Choice) stay within a scope.
 */
struct state_scope {
    const char *start_at;
    struct state_definition *states; /* in document order */
    size_t state_count;
    size_t *by_name;                     /* the states' indices sorted by name; NULL: search in order */
    const struct state_definition *fork; /* the Parallel or Map holding this scope; NULL at the top level */
    size_t branch_index;                 /* the position in the Parallel's Branches; 0 for a Map's processor */
    unsigned depth;                      /* forks around this scope: 0 at the top level */
    /* its location in error texts: "" at the top level, "/States/P/Branches[0]", "/States/M/ItemProcessor" */
    char *where;
};

/* A Map state's own fields (JSONPath). */
struct map_definition {
    const char *items_path;     /* "$" when absent */
    const cJSON *item_selector; /* ItemSelector, or the legacy Parameters; NULL when neither */
    bool distributed;           /* ProcessorConfig.Mode DISTRIBUTED (default INLINE) */
    bool express;               /* ProcessorConfig.ExecutionType EXPRESS (default STANDARD) */
    long max_concurrency;       /* 0: no limit (the default) */
    const char *max_concurrency_path;
    double tolerated_failure_percentage; /* -1 when not set */
    const char *tolerated_failure_percentage_path;
    long tolerated_failure_count; /* -1 when not set */
    const char *tolerated_failure_count_path;
    const char *label; /* or NULL */
    /* ItemBatcher (DISTRIBUTED only): each child execution takes a batch {"BatchInput": ..., "Items": [...]} */
    bool batched;
    long max_items_per_batch; /* 0: not set */
    const char *max_items_per_batch_path;
    long max_bytes_per_batch; /* 0: not set (a batch's input stays under 256 KiB) */
    const char *max_bytes_per_batch_path;
    const cJSON *batch_input; /* BatchInput, a template, or NULL */
};

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
    const cJSON *json;               /* the state's object, borrowed from the document */
    bool jsonata;                    /* QueryLanguage JSONata: its fields are read from json when it runs */
    size_t number;                   /* its index in machine->all_states: document order, nested states included */
    const struct state_scope *scope; /* the scope it belongs to */
    char *where;                     /* its location in error texts: "/States/A", "/States/P/Branches[0]/States/B" */
    const char *next;                /* NULL for a terminal state */
    struct state_path input_path;
    struct state_path output_path;
    struct state_path result_path;
    const cJSON *parameters; /* Task/Pass/Parallel Parameters, or NULL (a Map's are its map.item_selector) */
    const cJSON *result;     /* Pass Result, or NULL */
    const cJSON *assign;     /* Assign (Pass, Task, Choice, Wait, Parallel, Map): a payload template, or NULL */
    /* Task */
    const char *resource;         /* arn:aws:states:::<service>:<api>, or an activity's ARN */
    const cJSON *result_selector; /* Task, Parallel, Map; or NULL */
    long timeout_seconds;         /* 0 when not set */
    const char *timeout_seconds_path;
    long heartbeat_seconds; /* 0 when not set */
    const char *heartbeat_seconds_path;
    struct retrier *retriers; /* Task, Parallel, Map: Retry and Catch */
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
    /* Parallel: one scope per entry of Branches */
    struct state_scope *branches;
    size_t branch_count;
    /* Map: the ItemProcessor (or Iterator) and the Map's fields */
    struct state_scope *processor;
    struct map_definition map;
};

/*
 * A parsed machine. root is the top-level scope; start_at, states and
 * state_count are the same as root's (kept for the callers that only know
 * the top level, and for hand-built machines, whose root is empty).
 * all_states lists every state of the definition, nested ones included, by
 * its number (document order: a Parallel or Map comes before its own
 * states, which come before its next sibling). State names are unique in
 * the whole machine, as the States Language requires.
 */
struct state_machine {
    cJSON *document;
    const char *start_at;
    struct state_definition *states;
    size_t state_count;
    struct state_scope root;
    struct state_definition **all_states;
    size_t all_state_count;
    long timeout_seconds; /* the top-level TimeoutSeconds: how long an execution may run; 0 when not set */
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

/*
 * Where state_machine_parse_reporting() reports definition errors. report
 * gets each error's text (AWS's "CODE: message at /location", as
 * state_machine_parse() writes it) and returns 0, or -ENOMEM to stop the
 * parse. The parser stops once limit (at least 1) errors are reported; count
 * is how many it has reported so far (the caller sets it to 0).
 */
struct state_machine_problems {
    int (*report)(void *context, const char *error);
    void *context;
    size_t limit;
    size_t count;
};

/*
 * Like state_machine_parse(), but reports each definition error to problems
 * and goes on where it safely can, up to problems->limit errors: with the
 * other states of a scope once a state has an error (the rest of that state
 * is not read), the other branches of a Parallel, every transition target
 * of a scope, and then the states its StartAt does not lead to (a state
 * with an error counts as leading to every state its Next, Default, Catch
 * and Choices name). Errors come in the order the parse meets them: a scope's
 * states in document order (each with the errors of its nested scopes), then
 * the scope's missing transition targets, then its unreachable states. The
 * first error is always the one state_machine_parse() refuses the definition
 * for. Errors of the top level (JSON, QueryLanguage, the top-level fields,
 * TimeoutSeconds, names duplicated across scopes) stop the parse.
 * Returns 0 and the machine when there is no error, -EINVAL when at least
 * one was reported, -ENOMEM (or what report returned) otherwise.
 */
__attribute__((warn_unused_result)) int state_machine_parse_reporting(const char *definition, size_t length,
                                                                      struct state_machine **machine,
                                                                      struct state_machine_problems *problems);

/* What keeps only the first problem's text, in error (error_size bytes): see state_machine_problems_first(). */
struct state_machine_first_problem {
    char *error;
    size_t error_size;
};

/* Sets problems up to stop at the first error and keep its text in first->error (which it empties). */
void state_machine_problems_first(struct state_machine_problems *problems, struct state_machine_first_problem *first);

/* The top-level state called name, or NULL. */
const struct state_definition *state_machine_find(const struct state_machine *machine, const char *name);

/* The state called name within scope (not in the scopes nested in it), or NULL. */
const struct state_definition *state_machine_scope_find(const struct state_scope *scope, const char *name);

/* The state numbered number (its document-order index, see struct state_machine), or NULL when out of range. */
const struct state_definition *state_machine_state_by_number(const struct state_machine *machine, size_t number);

/*
 * The scope a child branch of fork runs: a Parallel's Branches entry index
 * (NULL when out of range), or a Map's processor whatever the index (the
 * item's index). NULL when fork is neither.
 */
const struct state_scope *state_machine_fork_scope(const struct state_definition *fork, size_t index);

/*
 * The scope of a branch id (docs/execution-model.md): "" is the top level,
 * "4.0/9.17" the scope of branch 17 of state 9 forked in branch 0 of state
 * 4. NULL when the id is malformed or names no fork of the scope it is in.
 */
const struct state_scope *state_machine_branch_scope(const struct state_machine *machine, const char *branch_id);

/* The first Parallel or Map state in document order (always a top-level one), or NULL when there is none. */
const struct state_definition *state_machine_first_fork(const struct state_machine *machine);

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
