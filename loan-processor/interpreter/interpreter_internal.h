/*
 * interpreter_internal - what the files of the interpreter share:
 * interpreter.c (the entry points and the states other than Task),
 * interpreter_task.c (Task, Retry, Catch) and interpreter_events.c (history
 * events, input and output processing, resting). Private to interpreter/.
 */
#ifndef INTERPRETER_INTERNAL_H
#define INTERPRETER_INTERNAL_H

#include "interpreter.h"

#include "asl_path.h"
#include "intrinsic_functions.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A step runs at most this many states, or states whose inputs add up to
 * this many bytes of JSON text, then yields (RESTING_CONTINUE): one long
 * run never holds the event loop for long, and each batch is committed.
 */
#define TRANSITIONS_PER_STEP 100
#define INPUT_BYTES_PER_STEP (256 * 1024)

/* Room for a child branch's task token (step_environment.branch_token). */
#define INTERPRETER_MAX_TOKEN_BYTES 1024

/* The longest a Wait or retry may rest: AWS's one-year limit on an execution. */
#define MAX_DELAY_MS (366LL * 24 * 3600 * 1000)

/* What one step has spent, shared by every branch it runs. */
struct step_budget {
    int transitions;
    size_t input_bytes;      /* of the states run in this step */
    long iterations_started; /* Map iterations started in this step */
};

/* One branch being run in a step. */
struct run {
    const struct state_machine *machine;
    const struct execution_facts *facts;
    const struct step_environment *environment;
    struct interpreter_step *step; /* the branch's outcome; holds the step's history while the branch runs */
    struct step_budget *budget;
    const struct state_scope *scope; /* the states the branch runs */
    const char *branch_id;           /* "" for the root */
    long map_index;                  /* an iteration: its index */
    const char *map_item;            /* an iteration: its item (JSON text); NULL for another branch */
};

/* A branch's way through its states, one state at a time (Parallel branches advance round-robin). */
struct state_cursor {
    const struct state_definition *state; /* the state to enter next (or, after entering, to exit); NULL: done */
    cJSON *input;                         /* owned: the input of state */
    cJSON *output;                        /* owned: state's output once entered, when it goes straight on */
    const char *next;                     /* where it goes once exited; NULL: the branch ends */
};

/* Retries made so far in the current state, per retrier. */
struct retry_counts {
    long made[STATE_MACHINE_MAX_RETRIERS];
    long total;
};

/* ---- interpreter_events.c ---- */

/* Starts a step of a branch (in_child: a child's, whose end is reported rather than ending the execution). */
__attribute__((warn_unused_result)) int interpreter_step_init(struct interpreter_step *step, long stored_events,
                                                              int64_t now_ms);

/* Reads stored retry counts ("2,0,1", one per retrier); missing or bad ones count 0. */
void interpreter_parse_retry_counts(const char *text, size_t retrier_count, struct retry_counts *counts);

/* The retry counts as stored ("2,0,1"); a malloc'd text, NULL when out of memory. */
char *interpreter_format_retry_counts(const struct retry_counts *counts, size_t retrier_count);

/* Appends <Type>StateEntered with input; 0 (*entered names the new event) or -ENOMEM. */
__attribute__((warn_unused_result)) int interpreter_append_state_entered(struct interpreter_step *step,
                                                                         const struct state_definition *state,
                                                                         const char *input,
                                                                         struct history_ref *entered);

/* Appends <Type>StateExited with output; 0 or -ENOMEM. */
__attribute__((warn_unused_result)) int interpreter_append_state_exited(struct interpreter_step *step,
                                                                        const struct state_definition *state,
                                                                        const char *output);

/* Whether a Task state hands its work to an activity's workers rather than to a service integration. */
bool interpreter_runs_activity(const struct state_definition *state);

/*
 * The details of an event of a Task's attempt: {"resourceType", "resource"}
 * for a service integration (an activity's events have neither), plus up
 * to two more string members (NULL: left out).
 */
cJSON *interpreter_attempt_details(const struct state_definition *state, const char *first_member,
                                   const char *first_value, const char *second_member, const char *second_value);

/* Appends an event with details (owned; NULL stands for out of memory); 0 or -ENOMEM. */
__attribute__((warn_unused_result)) int interpreter_append_task_event(struct interpreter_step *step, const char *type,
                                                                      const char *details_member, cJSON *details);

/*
 * Appends the event of an attempt's outcome what ("Succeeded", "Failed",
 * ...): Task<what> with taskXxxEventDetails, or Activity<what> with
 * activityXxxEventDetails for an activity. Takes ownership of details.
 */
__attribute__((warn_unused_result)) int interpreter_append_attempt_event(struct interpreter_step *step,
                                                                         const struct state_definition *state,
                                                                         const char *what, cJSON *details);

/* Appends the event of an attempt's outcome what (see above) with output as its payload; 0 or -ENOMEM. */
__attribute__((warn_unused_result)) int interpreter_append_attempt_payload_event(struct interpreter_step *step,
                                                                                 const struct state_definition *state,
                                                                                 const char *what, const char *output);

/* Appends MapIteration<what> ("Started", "Succeeded", ...) {"index", "name"} of map_name; 0 or -ENOMEM. */
__attribute__((warn_unused_result)) int
interpreter_append_iteration_event(struct interpreter_step *step, const char *what, const char *map_name, long index);

/* Adds $$.Map.Item {"Index", "Value"} (item_text: JSON) to context; 0 or -ENOMEM. */
__attribute__((warn_unused_result)) int interpreter_add_map_item(cJSON *context, long index, const char *item_text);

/*
 * Ends the branch as succeeded with output: ExecutionSucceeded for the root;
 * a child's end is reported (MapIterationSucceeded for an iteration). 0 or -ENOMEM.
 */
__attribute__((warn_unused_result)) int interpreter_end_succeeded(struct interpreter_step *step, const char *output);

/*
 * Ends the branch as failed with error and cause (either may be NULL):
 * ExecutionFailed for the root; a child's end is reported (MapIterationFailed
 * for an iteration). 0 or -ENOMEM.
 */
__attribute__((warn_unused_result)) int interpreter_end_failed(struct interpreter_step *step, const char *error,
                                                               const char *cause);

/*
 * As interpreter_end_failed(); quotes_batch says that cause quotes an event
 * of the batch (a placeholder), which the commit replaces by its id.
 */
__attribute__((warn_unused_result)) int interpreter_end_failed_quoting(struct interpreter_step *step, const char *error,
                                                                       const char *cause, bool quotes_batch);

/*
 * AWS's cause for an error a state raises itself: its wording around detail,
 * quoting the state's entered event (a placeholder when it is in the batch).
 * NULL when out of memory.
 */
char *interpreter_state_error_cause(const char *state_name, struct history_ref entered, const char *detail);

/*
 * A cause as it goes into data (a Catch's output): its placeholders replaced
 * by the ids the batch's events get when nothing else is committed before it
 * (exact while one branch writes the history). malloc'd; NULL when out of memory.
 */
char *interpreter_cause_as_data(const struct interpreter_step *step, const char *cause, bool quotes_batch);

/* Fails the execution with error (States.Runtime, States.IntrinsicFailure), AWS's wording around detail. */
__attribute__((warn_unused_result)) int interpreter_fail_state(struct interpreter_step *step, const char *error,
                                                               const char *state_name, struct history_ref entered,
                                                               const char *detail);

/*
 * Whether text (a state's output, a task's Parameters) is over
 * INTERPRETER_MAX_PAYLOAD_BYTES; if so the execution fails with
 * States.DataLimitExceeded, in AWS's words, naming state, and *result says
 * how that went (0 or -ENOMEM).
 */
bool interpreter_over_data_limit(struct interpreter_step *step, const struct state_definition *state, const char *text,
                                 int *result);

/* Fails the execution with States.DataLimitExceeded in AWS's words, naming state. Returns 0 or -ENOMEM. */
__attribute__((warn_unused_result)) int interpreter_fail_data_limit(struct interpreter_step *step,
                                                                    const struct state_definition *state);

/*
 * Whether document (a state's output, a task's Parameters) nests deeper
 * than INTERPRETER_MAX_NESTING; if so the execution fails with
 * States.Runtime naming state, and *result says how that went (0 or
 * -ENOMEM).
 */
bool interpreter_over_nesting_limit(struct interpreter_step *step, const struct state_definition *state,
                                    const cJSON *document, int *result);

/* Fails the execution with States.Runtime, AWS's wording around detail. */
__attribute__((warn_unused_result)) int interpreter_fail_runtime(struct interpreter_step *step, const char *state_name,
                                                                 struct history_ref entered, const char *detail);

/*
 * The error a payload template's evaluation status stands for: -EDOM is an
 * intrinsic function's failure, -E2BIG States.DataLimitExceeded.
 */
const char *interpreter_template_error(int status);

/* What a payload template reads: the effective input, the context object and the step's randomness. */
struct intrinsic_scope interpreter_template_scope(const struct run *run, const cJSON *input, const cJSON *context);

/* Parses JSON text the engine stored or validated; NULL only when out of memory or corrupt. */
cJSON *interpreter_parse_stored(const char *text);

/* document as compact JSON text, which the caller frees (cJSON_free); NULL when out of memory. */
char *interpreter_print_document(const cJSON *document);

/*
 * Applies state's InputPath or OutputPath to document, returning a new
 * document (null path: {}), or NULL with detail filled when the path selects
 * nothing (an empty detail: out of memory). A "$$" path reads the context
 * object of state entered at entered_ms.
 */
cJSON *interpreter_select_path(const struct run *run, const struct state_definition *state, int64_t entered_ms,
                               const struct state_path *path, const char *field, const cJSON *document, char *detail,
                               size_t detail_size);

/*
 * The context object ($$) while state runs. token is the Task's token
 * (NULL outside a Task); retry_count appears only for a Task, as AWS
 * records it.
 */
cJSON *interpreter_build_context(const struct run *run, const struct state_definition *state, int64_t entered_ms,
                                 const char *token, long retry_count);

/*
 * Places result at result_path in a copy of state_input (a null path keeps
 * the input). Takes ownership of result. Returns the new document, or NULL
 * with detail filled (or, out of memory, an empty detail).
 */
cJSON *interpreter_place_result(const struct state_path *result_path, const cJSON *state_input, cJSON *result,
                                char *detail, size_t detail_size);

/* ResultPath then OutputPath: the output of a state (entered at entered_ms) that produced result (owned). */
cJSON *interpreter_process_result(const struct run *run, const struct state_definition *state, int64_t entered_ms,
                                  const cJSON *state_input, cJSON *result, char *detail, size_t detail_size);

/* InputPath then OutputPath, for states that pass their input on (Succeed, Wait, Choice). */
cJSON *interpreter_pass_through_output(const struct run *run, const struct state_definition *state, int64_t entered_ms,
                                       const cJSON *input, char *detail, size_t detail_size);

/*
 * Selects what path points to in input for field (e.g. SecondsPath).
 * Returns the borrowed node, or NULL with detail filled.
 */
const cJSON *interpreter_select_field(const char *path, const char *field, const cJSON *input, const cJSON *variables,
                                      char *detail, size_t detail_size);

/* A whole number of at least minimum selected by path for field; -EINVAL with detail otherwise. */
__attribute__((warn_unused_result)) int interpreter_select_whole_number(const char *path, const char *field,
                                                                        long minimum, const cJSON *input, long *number,
                                                                        const cJSON *variables, char *detail,
                                                                        size_t detail_size);

/*
 * Ends the step resting in state (entered at the event entered and
 * entered_ms, with input_text) until the trigger resting stands for; 0 or
 * -ENOMEM.
 */
__attribute__((warn_unused_result)) int interpreter_rest_at(struct run *run, const struct state_definition *state,
                                                            struct history_ref entered, int64_t entered_ms,
                                                            const char *input_text, enum resting_kind resting);

/* ---- interpreter_variables.c ---- */
/* Loads the variables stored with a position (JSON object text; NULL or "" for none) into step; 0 or -ENOMEM. */
__attribute__((warn_unused_result)) int interpreter_load_variables(struct interpreter_step *step, const char *text);
/* A child branch starts with a copy of its parent's variables (stored with it: variables_changed); 0 or -ENOMEM. */
__attribute__((warn_unused_result)) int interpreter_inherit_variables(struct interpreter_step *child,
                                                                      const struct interpreter_step *parent);
/*
 * Evaluates assign (a state's Assign, or a Choice rule's; NULL: nothing to
 * do) with value as "$", the context of state entered at entered_ms and
 * the variables as they were before: every key sees the values before the
 * state. Then sets them in the step's variables and keeps them in
 * step->assigned for the state's StateExited. Returns 0, -ENOMEM, or
 * -EINVAL with detail and *error (the error to raise) on a runtime failure.
 */
__attribute__((warn_unused_result)) int interpreter_assign(struct run *run, const struct state_definition *state,
                                                           const cJSON *assign, const cJSON *value, int64_t entered_ms,
                                                           const char **error, char *detail, size_t detail_size);
/* AWS's bounds on variables: one variable and one Assign's values 256 KiB of JSON each, all of them 10 MiB. */
#define INTERPRETER_MAX_VARIABLE_BYTES 262144
#define INTERPRETER_MAX_VARIABLES_BYTES (10 * 1024 * 1024)

/*
 * Sets assigned (owned: an object) in the step's variables and keeps it
 * for the state's StateExited. 0, -ENOMEM, or -E2BIG with detail when a
 * value, the Assign or all variables pass the bounds above (nothing set).
 */
__attribute__((warn_unused_result)) int interpreter_store_assigned(struct run *run, cJSON *assigned, char *detail,
                                                                   size_t detail_size);
/* Adds assignedVariables (each value as its JSON text) and assignedVariablesDetails to details; 0 or -ENOMEM. */
__attribute__((warn_unused_result)) int interpreter_add_assigned(cJSON *details, const cJSON *assigned);

/* ---- interpreter_jsonata.c ---- */

/* What $states holds while a JSONata state's field is evaluated (NULL members are left out). */
struct jsonata_states {
    const cJSON *input;        /* the state's input */
    const cJSON *result;       /* a Task's, Parallel's or Map's result */
    const cJSON *error_output; /* in a Catch: {"Error", "Cause"} */
    int64_t entered_ms;        /* the context object: when the state was entered */
    const char *token;         /* the Task's token, or NULL */
    long retry_count;
    const cJSON *map_item; /* a Map's ItemSelector: the context's Map.Item {"Index", "Value"}, or NULL */
};

/*
 * Evaluates template (a JSON template whose "{% %}" strings are
 * expressions) for field into *out (owned). Returns 0, -ENOMEM, or -EINVAL
 * with AWS's detail (the error States.QueryEvaluationError).
 */
__attribute__((warn_unused_result)) int interpreter_jsonata_evaluate(const struct run *run,
                                                                     const struct state_definition *state,
                                                                     const cJSON *template, const char *field,
                                                                     const struct jsonata_states *states, cJSON **out,
                                                                     char *detail, size_t detail_size);

/* As interpreter_jsonata_evaluate() on object's member field; *out NULL when object has none. */
__attribute__((warn_unused_result)) int interpreter_jsonata_field(const struct run *run,
                                                                  const struct state_definition *state,
                                                                  const cJSON *object, const char *field,
                                                                  const struct jsonata_states *states, cJSON **out,
                                                                  char *detail, size_t detail_size);

/* object's Assign (a state, a Choice rule, a catcher) evaluated and stored; 0, -ENOMEM, or -EINVAL with detail. */
__attribute__((warn_unused_result)) int
interpreter_jsonata_assign(struct run *run, const struct state_definition *state, const cJSON *object,
                           const struct jsonata_states *states, char *detail, size_t detail_size);

/*
 * object's Output (default_output when it has none), then its Assign, both
 * seeing the variables as they were: the state's output, or NULL with
 * detail (empty when out of memory).
 */
cJSON *interpreter_jsonata_output(struct run *run, const struct state_definition *state, const cJSON *object,
                                  const struct jsonata_states *states, const cJSON *default_output, char *detail,
                                  size_t detail_size);

/* The state's field given as an expression, a whole number >= minimum, into *number (left as is otherwise). */
__attribute__((warn_unused_result)) int
interpreter_jsonata_whole_number(const struct run *run, const struct state_definition *state, const char *field,
                                 const struct jsonata_states *states, long minimum, long *number, char *detail,
                                 size_t detail_size);

/* JSONata's name of a value's type in AWS's texts: "array", "object", "string", "number", "boolean", "null". */
const char *interpreter_jsonata_type_name(const cJSON *value);

/* Appends EvaluationFailed {cause, error, location, state} for detail, before the error is handled; 0 or -ENOMEM. */
__attribute__((warn_unused_result)) int interpreter_append_evaluation_failed(struct interpreter_step *step,
                                                                             const char *state_name,
                                                                             struct history_ref entered,
                                                                             const char *detail);

/* The error of a JSONata evaluation that failed. */
#define QUERY_EVALUATION_ERROR "States.QueryEvaluationError"

/* ---- interpreter_task.c ---- */

/* Fails the execution because the activity of state does not exist, in AWS's words. */
__attribute__((warn_unused_result)) int interpreter_fail_missing_activity(struct interpreter_step *step,
                                                                          const struct state_definition *state,
                                                                          struct history_ref entered);

/*
 * A Task raises error with AWS's cause around detail (quoting the state's
 * entered event); its Retry and Catch handle it as they would a task's.
 */
__attribute__((warn_unused_result)) int interpreter_raise_task_error(struct run *run,
                                                                     const struct state_definition *state,
                                                                     const struct execution_position *position,
                                                                     const char *error, const char *detail);

/*
 * Starts an attempt of the Task state (its first, or a retry): TaskScheduled
 * and TaskStarted (ActivityScheduled for an activity), and the execution
 * rests waiting for the outcome. An activity the caller found missing fails
 * the execution instead.
 */
__attribute__((warn_unused_result)) int
interpreter_start_task_attempt(struct run *run, const struct state_definition *state, struct history_ref entered,
                               int64_t entered_ms, const char *input_text, const struct retry_counts *counts);

/*
 * After a Task attempt's TaskFailed or TaskTimedOut, or a failed Parallel
 * or Map (any state with Retry and Catch): the first retrier that
 * matches retries while it has attempts left; otherwise the first matching
 * catcher takes over; otherwise the execution fails with the error.
 * cause_quotes_batch: cause holds a placeholder of the batch (see
 * interpreter_state_error_cause()).
 */
__attribute__((warn_unused_result)) int interpreter_handle_state_error(struct run *run,
                                                                       const struct state_definition *state,
                                                                       const struct execution_position *position,
                                                                       const char *error, const char *cause,
                                                                       bool heartbeat, bool cause_quotes_batch);

/* Whether error, raised in state with retry_counts made, would be retried by one of its retriers. */
bool interpreter_will_retry(const struct state_definition *state, const char *retry_counts, const char *error);

/* ---- interpreter.c ---- */

/* The state called name in the branch's scope, or NULL. */
const struct state_definition *interpreter_find_state(const struct run *run, const char *name);

/*
 * Enters cursor->state (its StateEntered event and what the state does):
 * when it goes straight on, cursor->output and next are set; otherwise the
 * branch rests or ended and cursor->state becomes NULL. Returns 0 or -ENOMEM.
 */
__attribute__((warn_unused_result)) int interpreter_cursor_enter(struct run *run, struct state_cursor *cursor);

/* Exits the entered cursor->state (StateExited, or the branch's end) and moves to its next state. 0 or -ENOMEM. */
__attribute__((warn_unused_result)) int interpreter_cursor_exit(struct run *run, struct state_cursor *cursor);

/*
 * Sets up *run and step for the fork resting at position: its state, or
 * NULL with *result set (-EINVAL when position rests at no fork).
 */
const struct state_definition *
interpreter_begin_fork_step(const struct state_machine *machine, const struct execution_facts *facts,
                            const struct execution_position *position, const struct step_environment *environment,
                            struct step_budget *budget, struct interpreter_step *step, struct run *run, int *result);

/* Whether the step has run its share of states (see TRANSITIONS_PER_STEP). */
bool interpreter_step_is_full(const struct run *run);

/* Frees what a cursor still owns. */
void interpreter_cursor_release(struct state_cursor *cursor);

/* ---- interpreter_fork.c ---- */

/*
 * Runs the Parallel or Map state entered at entered with input_text (its
 * first attempt, or a retry with retry_counts): forks its children and runs
 * them within the step. Sets *output (owned) when every child ended and the
 * fork joined; leaves it NULL when the fork rests (RESTING_FORK), or failed
 * (then its Retry, Catch or the branch's end). Returns 0 or -ENOMEM.
 */
__attribute__((warn_unused_result)) int interpreter_enter_fork(struct run *run, const struct state_definition *state,
                                                               struct history_ref entered, int64_t entered_ms,
                                                               const char *input_text, const char *retry_counts,
                                                               cJSON **output);

/* Frees the children a step owns. */
void interpreter_release_children(struct interpreter_step *step);

/* Leaves the resting state with output (owned) and runs on from next (NULL: the execution succeeds). */
__attribute__((warn_unused_result)) int interpreter_leave_state(struct run *run, const struct state_definition *state,
                                                                cJSON *output, const char *next);

#endif
