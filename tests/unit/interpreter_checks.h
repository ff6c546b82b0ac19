/*
 * interpreter_checks.h - what the test_interpreter*.c programs share: the
 * execution facts and small machines they run, checks of the steps the
 * interpreter makes (an ASSERT in them fails the test the program is
 * running: test.h's counters are one per program), sessions that drive one
 * execution step after step, and runs under allocation failures.
 */
#ifndef INTERPRETER_CHECKS_H
#define INTERPRETER_CHECKS_H

#include "interpreter.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATE_MACHINE_ARN "arn:aws:states:eu-west-2:123456789012:stateMachine:LoanProcessor"
#define EXECUTION_ARN "arn:aws:states:eu-west-2:123456789012:execution:LoanProcessor:run-1"
#define ROLE_ARN "arn:aws:iam::123456789012:role/StepFunctionsRole"
#define WAIT_RESOURCE_ARN "arn:aws:states:::lambda:invoke.waitForTaskToken"
#define TOKEN "AQCwAAAAKgAAAAMAAAAAAAAAAZ83TG9hblByb2Nlc3NvcjpydW4tMQ=="
#define SECOND_TOKEN "AQDeadBeefAAAAMAAAAAAAAAAZ83TG9hblByb2Nlc3NvcjpydW4tMQ=="

/* 2024-04-05T19:34:38.123Z */
#define START_MS 1712345678123LL
/* 2024-04-05T19:34:39.456Z */
#define NOW_MS 1712345679456LL

#define LOAN_INPUT \
    "{\"applicationReference\":\"app-ref\",\"property\":{\"nameOrNumber\":\"999\",\"postcode\":\"PO1 1CE\"}}"

/* The input of the small machines below. */
#define SMALL_INPUT "{\"a\":1}"

/* The cause the failed Tasks of the Retry and Catch tests report. */
#define FAILURE_CAUSE "it broke"

/* A definition from its StartAt and the members of its States object (string literals). */
#define MACHINE(start, states) "{\"StartAt\":\"" start "\",\"States\":{" states "}}"

/* A Task state on WAIT_RESOURCE_ARN with more fields (the last one Next or End). */
#define WAIT_TASK(name, fields) "\"" name "\":{\"Type\":\"Task\",\"Resource\":\"" WAIT_RESOURCE_ARN "\"," fields "}"

/* A Pass state that ends the execution. */
#define END_PASS(name) "\"" name "\":{\"Type\":\"Pass\",\"End\":true}"

/* Task T with fields (each ending with a comma), going on to the Pass state After. */
#define TASK_THEN_AFTER(fields) MACHINE("T", WAIT_TASK("T", fields "\"Next\":\"After\"") "," END_PASS("After"))

/* Runs over the step an interpreter call produced (ASSERTs inside fail the test). */
typedef void (*step_check)(const struct interpreter_step *step);

/* What the helpers below return when the definition does not parse (the interpreter never returns it). */
#define NOT_PARSED (-1)

/* Which interpreter entry point a step_call calls, and with what. */
enum step_entry {
    ENTRY_START,
    ENTRY_TASK_SUCCEEDED,
    ENTRY_TASK_FAILED,
    ENTRY_TASK_TIMED_OUT,
    ENTRY_TASK_SUBMITTED,
    ENTRY_TIMER_DUE,
    ENTRY_ACTIVITY_STARTED,
    ENTRY_ACTIVITY_MISSING,
    ENTRY_ACTIVITY_SCHEDULE_FAILED,
};

struct step_call {
    enum step_entry entry;
    const struct execution_facts *facts;
    const struct execution_position *position; /* all but ENTRY_START */
    const char *output;                        /* ENTRY_TASK_SUCCEEDED, ENTRY_TASK_SUBMITTED */
    const char *error, *cause;                 /* ENTRY_TASK_FAILED, ENTRY_ACTIVITY_SCHEDULE_FAILED */
    const char *worker_name;                   /* ENTRY_ACTIVITY_STARTED */
    bool heartbeat;                            /* ENTRY_TASK_TIMED_OUT */
    struct step_environment environment;
};

/*
 * An execution of one machine, step after step: each call starts from where
 * the previous step left the execution. Every call gets a fresh token
 * "token-<n>" (n counts the calls from 1) and the session's clock and jitter.
 */
struct session {
    struct state_machine *machine;
    struct execution_facts facts;
    struct interpreter_step step;       /* the latest step */
    struct execution_position position; /* where it left the execution (borrows step) */
    int64_t now_ms;
    double jitter;
    int calls;
    char token[32]; /* the token of the latest call */
};

/* What a test does with an open session; arguments is the test's own case description. */
typedef void (*scenario)(struct session *session, const void *arguments);

/* How allocation failures are injected: every cJSON allocation from the n-th on, or the n-th alone. */
enum failure_mode { FAIL_FROM_THEN_ON, FAIL_ONLY_ONE };

#define CHECK_ALLOCATION_FAILURES(definition, input, calls) \
    check_allocation_failures((definition), (input), (calls), sizeof(calls) / sizeof((calls)[0]))

extern const struct execution_facts facts;

/* The parsed definition (the caller frees it), or NULL with the parser's error as a TAP comment. */
struct state_machine *parse_machine(const char *definition);

/* How many events the step appended. */
int event_count(const struct interpreter_step *step);

/* The step's event at index (borrowed), or NULL. */
const cJSON *event_at(const struct interpreter_step *step, int index);

/* A string member of the event's details object (details_member). */
const char *detail(const struct interpreter_step *step, int index, const char *details_member, const char *name);

/* A number member of the event's details object; -1 when it is not a number. */
long detail_number(const struct interpreter_step *step, int index, const char *details_member, const char *name);

/* Whether the event's details object has the member name. */
bool has_detail(const struct interpreter_step *step, int index, const char *details_member, const char *name);

/* Checks type, id and previousEventId of the event at index, and the batch's timestamp. */
void check_event(const struct interpreter_step *step, int index, const char *type, long id, long previous,
                 long long now_ms);

/*
 * Checks that the step's events are exactly types (space-separated), with
 * ids from first_id, each following the one before (the first follows
 * first_id - 1, except that AWS records the state entered right after
 * ExecutionStarted as following event 0), all stamped now_ms.
 */
void check_history(const struct interpreter_step *step, long first_id, long long now_ms, const char *types);

/* Checks "<member>Details": {"truncated": false} next to a payload member. */
void check_untruncated(const struct interpreter_step *step, int index, const char *details_member,
                       const char *payload_member);

/* Whether document prints as expected (a TAP comment shows both when not). */
bool printed_equals(const cJSON *document, const char *expected);

/* Whether text (may be NULL) starts with prefix. */
bool starts_with(const char *text, const char *prefix);

/* Checks a text that may be missing: expected NULL means actual must be NULL too. */
void check_text(const char *expected, const char *actual);

/* Checks a string member of an event's details, or (expected NULL) that the member is left out. */
void check_optional_detail(const struct interpreter_step *step, int index, const char *details_member, const char *name,
                           const char *expected);

/* The step ended the execution with error and cause (NULL: none), in the step and in ExecutionFailed. */
void check_failed_execution(const struct interpreter_step *step, const char *error, const char *cause);

/* The step failed the execution with States.Runtime while in state (entered at entered_id), for detail. */
void check_runtime_failure(const struct interpreter_step *step, const char *state, long entered_id,
                           const char *expected_detail);

/* The step ended the execution successfully with output, in the step and in ExecutionSucceeded. */
void check_succeeded_execution(const struct interpreter_step *step, const char *output);

/* The step left the execution resting in state (entered at entered_id) the way given. */
void check_rest(const struct interpreter_step *step, const char *state, long entered_id, enum resting_kind resting,
                int64_t delay_ms, const char *retry_counts);

/* The TaskScheduled event at index carries timeoutInSeconds and heartbeatInSeconds as given (0: left out). */
void check_scheduled_timeouts(const struct interpreter_step *step, int index, long timeout_seconds,
                              long heartbeat_seconds);

/*
 * Renders step's batch as the commit stores it (history_batch_render() at
 * the base the step was computed from, the branch's last event being the
 * last stored one): its events get ids, its cause and state_entered the
 * ids they quote. Returns 0 or -ENOMEM.
 */
int render_step(struct interpreter_step *step);

/* The position a step left the execution in (borrowing the step's strings). */
struct execution_position position_after(const struct interpreter_step *step);

/*
 * Parses definition, makes call on it and, when that returns 0, runs check (if
 * any) on the step while the machine is still alive. Releases everything and
 * returns the call's result, or NOT_PARSED.
 */
int call_and_check(const char *definition, const struct step_call *call, step_check check);

/* Parses definition, starts an execution with execution_facts at NOW_MS (token TOKEN) and runs check. */
int start_and_check(const char *definition, const struct execution_facts *execution_facts, step_check check);

/* Parses definition, completes the Task waiting at position with output at NOW_MS, runs check. */
int succeed_task_and_check(const char *definition, const struct execution_position *position, const char *output,
                           step_check check);

/* Parses definition, fails the Task waiting at position with error and cause at now_ms, runs check. */
int fail_task_and_check(const char *definition, const struct execution_position *position, const char *error,
                        const char *cause, int64_t now_ms, step_check check);

/* Opens a session on definition with input (NOW_MS, jitter 0.5); false if it does not parse. Close it anyway. */
bool session_open(struct session *session, const char *definition, const char *input);

/* Releases the session's step and machine. */
void session_close(struct session *session);

/* Makes call from the session's position, with its facts, clock and next token, into step (not kept). */
int session_invoke(struct session *session, const struct step_call *call, struct interpreter_step *step);

/* Makes call and moves the session on to the step it produced. */
int session_advance(struct session *session, const struct step_call *call);

/* The session-wide entry points: each makes one call and moves the session on; the call's result. */
int session_start(struct session *session);

int session_succeed(struct session *session, const char *output);

int session_fail(struct session *session, const char *error, const char *cause);

int session_time_out(struct session *session, bool heartbeat);

int session_timer_due(struct session *session);

/*
 * Makes a call that only appends events while the Task keeps waiting (a
 * submission, a worker taking an activity task) and runs check on its step:
 * the session keeps its resting point, with the new last event.
 */
int session_append(struct session *session, const struct step_call *call, step_check check);

/* The id the next step's first event gets. */
long session_next_id(const struct session *session);

/* Opens a session on definition with input, plays the scenario on it and closes it. */
void run_scenario(const char *definition, const char *input, scenario play, const void *arguments);

/* Starts the session's execution and checks it now waits for the first attempt of Task T. */
void start_task_t(struct session *session);

/*
 * The step's first event is first_type (TaskFailed or TaskTimedOut) and a
 * catcher took the error to the Pass state After: the Task state exits
 * with output, After passes it on and the execution succeeds.
 */
void check_caught(const struct interpreter_step *step, long first_id, long long now_ms, const char *first_type,
                  const char *output);

/* A second later, Task T fails with error and cause and a catcher takes it to After with output. */
void fail_and_expect_caught(struct session *session, const char *error, const char *cause, const char *output);

/* A second later, Task T fails with error and cause, and so does the execution. */
void fail_and_expect_failed_execution(struct session *session, const char *error, const char *cause);

/* Runs definition with input and expects States.Runtime in state (of type entered_type) with detail. */
void check_runtime_failure_at_start(const char *definition, const char *input, const char *entered_type,
                                    const char *state, const char *expected_detail);

/* Runs calls in turn on definition with input, each first under allocation failures of the given mode. */
void check_allocation_failures_in(enum failure_mode mode, const char *definition, const char *input,
                                  const struct step_call *calls, size_t count);

/* check_allocation_failures_in() with FAIL_FROM_THEN_ON. */
void check_allocation_failures(const char *definition, const char *input, const struct step_call *calls, size_t count);

#endif
