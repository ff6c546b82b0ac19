/*
 * state_test - one state run once, as the TestState operation does it.
 * Pure: no I/O; the caller gives the time, a task token and randomness, and
 * runs a real Task's integration itself when the state needs one.
 *
 * The state (a state's definition, or one state of a full definition) is
 * put alone in a state machine whose other states are stand-ins for its
 * transitions, validated as CreateStateMachine validates, and run through
 * the interpreter's ordinary entry points: what it does to its input, its
 * Retry, Catch and Assign are the engine's. A Map or Parallel state with a
 * mock runs as a Task whose outcome is the mock (its iterations or branches
 * are not run). A Wait state ends at once.
 *
 * The outcome is TestState's: SUCCEEDED, FAILED, RETRIABLE (a retrier
 * would retry the error) or CAUGHT_ERROR (a catcher took it), with the
 * output, the error and cause, the next state and the inspection data
 * (DEBUG and TRACE).
 */
#ifndef STATE_TEST_H
#define STATE_TEST_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "interpreter.h"

enum state_test_level { STATE_TEST_INFO, STATE_TEST_DEBUG, STATE_TEST_TRACE };

/* How long TestState may run a state (AWS: five minutes; past it the state fails with States.Timeout). */
#define STATE_TEST_MAX_SECONDS 300

/* The cause of a test that ran past STATE_TEST_MAX_SECONDS. */
#define STATE_TEST_EXPIRED_CAUSE "The state ran for more than the five minutes TestState allows"

/* Why a test was refused: the API's error codes InvalidDefinition and ValidationException. */
enum state_test_refusal {
    STATE_TEST_INVALID_DEFINITION,
    STATE_TEST_VALIDATION,
};

/* What to test; everything borrowed for state_test_begin(). */
struct state_test_request {
    const char *definition; /* a state's definition, or (state_name set) a whole state machine's */
    const char *state_name; /* NULL: definition is one state */
    const char *input;      /* JSON text (the caller checked it); NULL: "{}" */
    const char *variables;  /* a JSON object's text; NULL: none */
    enum state_test_level level;
    bool mocked;              /* mock given: exactly one of mock_result and mock_error */
    const char *mock_result;  /* JSON text */
    const char *mock_error;   /* a mocked errorOutput's error */
    const char *mock_cause;   /* and its cause (may be NULL) */
    long retrier_retry_count; /* retries already spent by the retrier that matches the mocked error; -1: none */
    const char *execution_arn;
    const char *state_machine_arn;
    const char *role_arn; /* may be NULL */
    const char *region;
    int64_t now_ms;
    const char *token;                                /* the Task's task token */
    int (*random_bytes)(void *buffer, size_t length); /* random_id_fill */
};

/* A test in progress; zero it before state_test_begin(). */
struct state_test {
    struct state_machine *machine;
    const struct state_definition *state;
    struct state_machine *map_machine;  /* a mocked Map as written (for its inspection fields), or NULL */
    const struct state_definition *map; /* that Map */
    enum state_test_level level;
    char *input;
    char *initial_variables;
    char *execution_arn;
    char *state_machine_arn;
    char *role_arn;
    char *region;
    char *token;
    int (*random_bytes)(void *buffer, size_t length);
    int64_t now_ms;
    long retrier_retry_count;
    bool mocked;
    char *mock_result;
    char *mock_error;
    char *mock_cause;
    struct interpreter_step step; /* the newest step */
    cJSON *task_parameters;       /* a Task's resolved Parameters (afterParameters / afterArguments) */
    char *task_result;            /* the Task's raw result */
    char *task_error;             /* or its error and cause */
    char *task_cause;
    bool waits;   /* a real Task must run: state_test_task() says which; then state_test_task_done() */
    bool expired; /* it ran past STATE_TEST_MAX_SECONDS: FAILED with States.Timeout */
};

/*
 * Checks request and runs the state as far as it goes. Returns 0 (then the
 * test either waits for a real task, state_test_waits(), or has its outcome,
 * state_test_response()); -EINVAL with *refusal and AWS's message in
 * message (message_size bytes); or -ENOMEM. Whatever it returned, test must
 * be released with state_test_release().
 */
__attribute__((warn_unused_result)) int state_test_begin(const struct state_test_request *request,
                                                         struct state_test *test, enum state_test_refusal *refusal,
                                                         char *message, size_t message_size);

/* Whether the test waits for a real Task's outcome. */
bool state_test_waits(const struct state_test *test);

/* The Task the caller must run (resource, resolved parameters, token), while state_test_waits(); borrowed. */
const struct task_request *state_test_task(const struct state_test *test);

/*
 * The waiting Task ended: output (JSON text) when it succeeded, else error
 * and cause (either may be NULL); timed_out: it ran past its time
 * (States.Timeout). Runs the state on. Returns 0, -ENOMEM, or -EINVAL when
 * the test waits for nothing.
 */
__attribute__((warn_unused_result)) int state_test_task_done(struct state_test *test, const char *output,
                                                             const char *error, const char *cause, bool timed_out);

/*
 * How long the waiting Task may run, in seconds (of the definition's time):
 * its own TimeoutSeconds when that comes first (*own set: then
 * state_test_task_done() with timed_out, which goes through Retry and
 * Catch), else STATE_TEST_MAX_SECONDS (then state_test_expire()). 0 when
 * the test waits for nothing.
 */
long state_test_task_deadline_seconds(const struct state_test *test, bool *own);

/*
 * The waiting Task ran past STATE_TEST_MAX_SECONDS: the test ends FAILED
 * with States.Timeout (no Retry or Catch: it is TestState's limit, not the
 * state's). Returns 0, or -EINVAL when the test waits for nothing.
 */
__attribute__((warn_unused_result)) int state_test_expire(struct state_test *test);

/*
 * TestState's response for the ended test: {status, output, error, cause,
 * nextState, inspectionData}, a new object the caller deletes; NULL when
 * out of memory.
 */
cJSON *state_test_response(const struct state_test *test);

/* Frees what test owns; safe on a zeroed or half-built test. */
void state_test_release(struct state_test *test);

#endif
