/*
 * test_interpreter.c - unit tests for loan-processor/interpreter.c (and the
 * history events it writes through history.c)
 */
#include "interpreter.h"
#include "failing_allocator.h"
#include "test.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

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

/* The blog's part-1 definition (state-machines/LoanProcessorPart1StateMachine.asl.json, without its Retry). */
static const char blog_definition[] =
    "{\"StartAt\":\"RequestValuation\",\"States\":{\"RequestValuation\":{\"Type\":\"Task\","
    "\"Resource\":\"" WAIT_RESOURCE_ARN "\","
    "\"Parameters\":{\"FunctionName\":\"ValuationRequestFunction\","
    "\"Payload\":{\"taskToken.$\":\"$$.Task.Token\",\"loanApplication.$\":\"$\"}},"
    "\"End\":true}}}";

static const struct execution_facts facts = {
    .execution_arn = EXECUTION_ARN,
    .execution_name = "run-1",
    .state_machine_arn = STATE_MACHINE_ARN,
    .state_machine_name = "LoanProcessor",
    .role_arn = ROLE_ARN,
    .region = "eu-west-2",
    .start_ms = START_MS,
    .input = LOAN_INPUT,
};

/* ---- helpers ------------------------------------------------------------ */

static struct state_machine *parse_machine(const char *definition)
{
    struct state_machine *machine = NULL;
    char error[512] = "";
    if (state_machine_parse(definition, strlen(definition), &machine, error, sizeof(error)) < 0) {
        printf("# definition rejected: %s\n", error);
        return NULL;
    }
    return machine;
}

static int event_count(const struct interpreter_step *step)
{
    return cJSON_GetArraySize(step->history.events);
}

static const cJSON *event_at(const struct interpreter_step *step, int index)
{
    return cJSON_GetArrayItem(step->history.events, index);
}

static const cJSON *event_member(const struct interpreter_step *step, int index, const char *details_member,
                                 const char *name)
{
    const cJSON *details = cJSON_GetObjectItemCaseSensitive(event_at(step, index), details_member);
    return cJSON_GetObjectItemCaseSensitive(details, name);
}

/* A string member of the event's details object (details_member). */
static const char *detail(const struct interpreter_step *step, int index, const char *details_member, const char *name)
{
    return cJSON_GetStringValue(event_member(step, index, details_member, name));
}

/* A number member of the event's details object; -1 when it is not a number. */
static long detail_number(const struct interpreter_step *step, int index, const char *details_member, const char *name)
{
    const cJSON *member = event_member(step, index, details_member, name);
    return cJSON_IsNumber(member) ? (long)member->valuedouble : -1;
}

static bool has_detail(const struct interpreter_step *step, int index, const char *details_member, const char *name)
{
    return event_member(step, index, details_member, name) != NULL;
}

/* Checks type, id and previousEventId of the event at index, and the batch's timestamp. */
static void check_event(const struct interpreter_step *step, int index, const char *type, long id, long previous,
                        long long now_ms)
{
    const cJSON *event = event_at(step, index);
    const cJSON *timestamp = cJSON_GetObjectItemCaseSensitive(event, "timestamp");
    ASSERT_NOT_NULL(event);
    ASSERT_EQ_STR(type, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(event, "type")));
    ASSERT_EQ_INT(id, (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(event, "id")));
    ASSERT_EQ_INT(previous, (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(event, "previousEventId")));
    ASSERT_TRUE(cJSON_IsNumber(timestamp));
    ASSERT_TRUE(timestamp->valuedouble > (double)now_ms / 1000.0 - 0.0005
                && timestamp->valuedouble < (double)now_ms / 1000.0 + 0.0005);
}

/*
 * Checks that the step's events are exactly types (space-separated), with
 * ids from first_id, each following the one before (the first follows
 * first_id - 1, except that AWS records the state entered right after
 * ExecutionStarted as following event 0), all stamped now_ms.
 */
static void check_history(const struct interpreter_step *step, long first_id, long long now_ms, const char *types)
{
    int index = 0;
    for (const char *cursor = types; *cursor; index++) {
        char type[64];
        size_t length = strcspn(cursor, " ");
        long id = first_id + index;
        snprintf(type, sizeof(type), "%.*s", (int)length, cursor);
        check_event(step, index, type, id, first_id == 1 && index == 1 ? 0 : id - 1, now_ms);
        cursor += length;
        cursor += strspn(cursor, " ");
    }
    if (index != event_count(step)) {
        char *printed = cJSON_PrintUnformatted(step->history.events);
        printf("# expected the events %s, got %s\n", types, printed ? printed : "(null)");
        cJSON_free(printed);
    }
    ASSERT_EQ_INT(index, event_count(step));
}

/* Checks "<member>Details": {"truncated": false} next to a payload member. */
static void check_untruncated(const struct interpreter_step *step, int index, const char *details_member,
                              const char *payload_member)
{
    char name[64];
    snprintf(name, sizeof(name), "%sDetails", payload_member);
    const cJSON *details = cJSON_GetObjectItemCaseSensitive(event_at(step, index), details_member);
    const cJSON *truncation = cJSON_GetObjectItemCaseSensitive(details, name);
    ASSERT_TRUE(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(truncation, "truncated")));
}

static bool printed_equals(const cJSON *document, const char *expected)
{
    char *printed = cJSON_PrintUnformatted(document);
    bool equal = printed && strcmp(printed, expected) == 0;
    if (!equal)
        printf("# expected %s\n#      got %s\n", expected, printed ? printed : "(null)");
    cJSON_free(printed);
    return equal;
}

static bool starts_with(const char *text, const char *prefix)
{
    return text && strncmp(text, prefix, strlen(prefix)) == 0;
}

/* Checks a text that may be missing: expected NULL means actual must be NULL too. */
static void check_text(const char *expected, const char *actual)
{
    if (!expected) {
        ASSERT_NULL(actual);
        return;
    }
    ASSERT_EQ_STR(expected, actual);
}

/* Checks a string member of an event's details, or (expected NULL) that the member is left out. */
static void check_optional_detail(const struct interpreter_step *step, int index, const char *details_member,
                                  const char *name, const char *expected)
{
    if (!expected) {
        ASSERT_TRUE(!has_detail(step, index, details_member, name));
        return;
    }
    ASSERT_EQ_STR(expected, detail(step, index, details_member, name));
}

/* The step ended the execution with error and cause (NULL: none), in the step and in ExecutionFailed. */
static void check_failed_execution(const struct interpreter_step *step, const char *error, const char *cause)
{
    int last = event_count(step) - 1;
    ASSERT_EQ_INT(EXECUTION_FAILED, step->status);
    ASSERT_EQ_STR("ExecutionFailed",
                  cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(event_at(step, last), "type")));
    check_text(error, step->error);
    check_text(cause, step->cause);
    check_optional_detail(step, last, "executionFailedEventDetails", "error", error);
    check_optional_detail(step, last, "executionFailedEventDetails", "cause", cause);
    ASSERT_NULL(step->output);
    ASSERT_TRUE(!step->has_task);
}

/* The step failed the execution with States.Runtime while in state (entered at entered_id), for detail. */
static void check_runtime_failure(const struct interpreter_step *step, const char *state, long entered_id,
                                  const char *expected_detail)
{
    char cause[2048];
    snprintf(cause, sizeof(cause),
             "An error occurred while executing the state '%s' (entered at the event id #%ld). %s", state, entered_id,
             expected_detail);
    check_failed_execution(step, "States.Runtime", cause);
}

/* The step ended the execution successfully with output, in the step and in ExecutionSucceeded. */
static void check_succeeded_execution(const struct interpreter_step *step, const char *output)
{
    int last = event_count(step) - 1;
    ASSERT_EQ_INT(EXECUTION_SUCCEEDED, step->status);
    ASSERT_EQ_STR(output, step->output);
    ASSERT_EQ_STR(output, detail(step, last, "executionSucceededEventDetails", "output"));
    ASSERT_NULL(step->error);
    ASSERT_TRUE(!step->has_task);
}

/* The step left the execution resting in state (entered at entered_id) the way given. */
static void check_rest(const struct interpreter_step *step, const char *state, long entered_id,
                       enum resting_kind resting, int64_t delay_ms, const char *retry_counts)
{
    ASSERT_EQ_INT(EXECUTION_RUNNING, step->status);
    ASSERT_EQ_STR(state, step->state_name);
    ASSERT_EQ_INT(entered_id, step->state_entered_event_id);
    ASSERT_EQ_INT(resting, step->resting);
    ASSERT_EQ_INT(delay_ms, step->delay_ms);
    ASSERT_EQ_INT(resting == RESTING_TASK, step->has_task);
    check_text(retry_counts, step->retry_counts);
    ASSERT_NULL(step->output);
    ASSERT_NULL(step->error);
}

/* The TaskScheduled event at index carries timeoutInSeconds and heartbeatInSeconds as given (0: left out). */
static void check_scheduled_timeouts(const struct interpreter_step *step, int index, long timeout_seconds,
                                     long heartbeat_seconds)
{
    ASSERT_EQ_INT(timeout_seconds ? timeout_seconds : -1,
                  detail_number(step, index, "taskScheduledEventDetails", "timeoutInSeconds"));
    ASSERT_EQ_INT(heartbeat_seconds ? heartbeat_seconds : -1,
                  detail_number(step, index, "taskScheduledEventDetails", "heartbeatInSeconds"));
    ASSERT_EQ_INT(timeout_seconds, step->task.timeout_seconds);
    ASSERT_EQ_INT(heartbeat_seconds, step->task.heartbeat_seconds);
}

/* The position a step left the execution in (borrowing the step's strings). */
static struct execution_position position_after(const struct interpreter_step *step)
{
    struct execution_position position = {
        .last_event_id = step->history.last_event_id,
        .state_name = step->state_name,
        .state_entered_event_id = step->state_entered_event_id,
        .state_entered_ms = step->state_entered_ms,
        .state_input = step->state_input,
        .resting = step->resting,
        .retry_counts = step->retry_counts,
    };
    return position;
}

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

static int invoke(const struct state_machine *machine, const struct step_call *call, struct interpreter_step *step)
{
    const struct step_environment *environment = &call->environment;
    switch (call->entry) {
    case ENTRY_START:
        return interpreter_start(machine, call->facts, environment, step);
    case ENTRY_TASK_SUCCEEDED:
        return interpreter_task_succeeded(machine, call->facts, call->position, call->output, environment, step);
    case ENTRY_TASK_FAILED:
        return interpreter_task_failed(machine, call->facts, call->position, call->error, call->cause, environment,
                                       step);
    case ENTRY_TASK_TIMED_OUT:
        return interpreter_task_timed_out(machine, call->facts, call->position, call->heartbeat, environment, step);
    case ENTRY_TASK_SUBMITTED:
        return interpreter_task_submitted(machine, call->position, call->output, environment, step);
    case ENTRY_TIMER_DUE:
        return interpreter_timer_due(machine, call->facts, call->position, environment, step);
    case ENTRY_ACTIVITY_STARTED:
        return interpreter_activity_started(machine, call->position, call->worker_name, environment, step);
    case ENTRY_ACTIVITY_MISSING:
        return interpreter_activity_missing(machine, call->position, environment, step);
    case ENTRY_ACTIVITY_SCHEDULE_FAILED:
        return interpreter_activity_schedule_failed(machine, call->facts, call->position, call->error, call->cause,
                                                    environment, step);
    }
    return NOT_PARSED;
}

/*
 * Parses definition, makes call on it and, when that returns 0, runs check (if
 * any) on the step while the machine is still alive. Releases everything and
 * returns the call's result, or NOT_PARSED.
 */
static int call_and_check(const char *definition, const struct step_call *call, step_check check)
{
    struct state_machine *machine = parse_machine(definition);
    struct interpreter_step step;
    int rc = NOT_PARSED;

    memset(&step, 0, sizeof(step));
    if (machine) {
        rc = invoke(machine, call, &step);
        if (rc == 0 && check)
            check(&step);
    }
    interpreter_step_release(&step);
    state_machine_free(machine);
    return rc;
}

/* Parses definition, starts an execution with execution_facts at NOW_MS (token TOKEN) and runs check. */
static int start_and_check(const char *definition, const struct execution_facts *execution_facts, step_check check)
{
    struct step_call call = { .entry = ENTRY_START, .facts = execution_facts, .environment = { NOW_MS, TOKEN, 0 } };
    return call_and_check(definition, &call, check);
}

/* Parses definition, completes the Task waiting at position with output at NOW_MS, runs check. */
static int succeed_task_and_check(const char *definition, const struct execution_position *position, const char *output,
                                  step_check check)
{
    struct step_call call = {
        .entry = ENTRY_TASK_SUCCEEDED,
        .facts = &facts,
        .position = position,
        .output = output,
        .environment = { NOW_MS, SECOND_TOKEN, 0 },
    };
    return call_and_check(definition, &call, check);
}

/* Parses definition, fails the Task waiting at position with error and cause at now_ms, runs check. */
static int fail_task_and_check(const char *definition, const struct execution_position *position, const char *error,
                               const char *cause, int64_t now_ms, step_check check)
{
    struct step_call call = {
        .entry = ENTRY_TASK_FAILED,
        .facts = &facts,
        .position = position,
        .error = error,
        .cause = cause,
        .environment = { now_ms, SECOND_TOKEN, 0 },
    };
    return call_and_check(definition, &call, check);
}

/* ---- sessions: one execution driven through several steps ------------------ */

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

static bool session_open(struct session *session, const char *definition, const char *input)
{
    memset(session, 0, sizeof(*session));
    session->facts = facts;
    session->facts.input = input;
    session->now_ms = NOW_MS;
    session->jitter = 0.5;
    session->machine = parse_machine(definition);
    return session->machine != NULL;
}

static void session_close(struct session *session)
{
    interpreter_step_release(&session->step);
    state_machine_free(session->machine);
    session->machine = NULL;
}

/* Makes call from the session's position, with its facts, clock and next token, into step (not kept). */
static int session_invoke(struct session *session, const struct step_call *call, struct interpreter_step *step)
{
    struct step_call full = *call;
    snprintf(session->token, sizeof(session->token), "token-%d", session->calls + 1);
    full.facts = &session->facts;
    full.position = &session->position;
    full.environment.now_ms = session->now_ms;
    full.environment.fresh_token = session->token;
    full.environment.jitter = session->jitter;
    memset(step, 0, sizeof(*step));
    return invoke(session->machine, &full, step);
}

/* Makes call and moves the session on to the step it produced. */
static int session_advance(struct session *session, const struct step_call *call)
{
    struct interpreter_step next;
    int rc = session_invoke(session, call, &next);
    interpreter_step_release(&session->step);
    session->step = next;
    session->position = position_after(&session->step);
    session->calls++;
    return rc;
}

static int session_start(struct session *session)
{
    struct step_call call = { .entry = ENTRY_START };
    return session_advance(session, &call);
}

static int session_succeed(struct session *session, const char *output)
{
    struct step_call call = { .entry = ENTRY_TASK_SUCCEEDED, .output = output };
    return session_advance(session, &call);
}

static int session_fail(struct session *session, const char *error, const char *cause)
{
    struct step_call call = { .entry = ENTRY_TASK_FAILED, .error = error, .cause = cause };
    return session_advance(session, &call);
}

static int session_time_out(struct session *session, bool heartbeat)
{
    struct step_call call = { .entry = ENTRY_TASK_TIMED_OUT, .heartbeat = heartbeat };
    return session_advance(session, &call);
}

static int session_timer_due(struct session *session)
{
    struct step_call call = { .entry = ENTRY_TIMER_DUE };
    return session_advance(session, &call);
}

/*
 * Makes a call that only appends events while the Task keeps waiting (a
 * submission, a worker taking an activity task) and runs check on its step:
 * the session keeps its resting point, with the new last event.
 */
static int session_append(struct session *session, const struct step_call *call, step_check check)
{
    struct interpreter_step appended;
    int rc = session_invoke(session, call, &appended);
    if (rc == 0) {
        check(&appended);
        session->position.last_event_id = appended.history.last_event_id;
    }
    interpreter_step_release(&appended);
    session->calls++;
    return rc;
}

/* The id the next step's first event gets. */
static long session_next_id(const struct session *session)
{
    return session->position.last_event_id + 1;
}

/* What a test does with an open session; arguments is the test's own case description. */
typedef void (*scenario)(struct session *session, const void *arguments);

/* Opens a session on definition with input, plays the scenario on it and closes it. */
static void run_scenario(const char *definition, const char *input, scenario play, const void *arguments)
{
    struct session session;
    bool opened = session_open(&session, definition, input);
    if (opened)
        play(&session, arguments);
    session_close(&session);
    ASSERT_TRUE(opened);
}

/* Starts the session's execution and checks it now waits for the first attempt of Task T. */
static void start_task_t(struct session *session)
{
    ASSERT_EQ_INT(0, session_start(session));
    check_history(&session->step, 1, session->now_ms, "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted");
    check_rest(&session->step, "T", 2, RESTING_TASK, 0, NULL);
}

/*
 * The step's first event is first_type (TaskFailed or TaskTimedOut) and a
 * catcher took the error to the Pass state After: the Task state exits
 * with output, After passes it on and the execution succeeds.
 */
static void check_caught(const struct interpreter_step *step, long first_id, long long now_ms, const char *first_type,
                         const char *output)
{
    char types[128];
    snprintf(types, sizeof(types), "%s TaskStateExited PassStateEntered PassStateExited ExecutionSucceeded",
             first_type);
    check_history(step, first_id, now_ms, types);
    ASSERT_EQ_STR("T", detail(step, 1, "stateExitedEventDetails", "name"));
    ASSERT_EQ_STR(output, detail(step, 1, "stateExitedEventDetails", "output"));
    ASSERT_EQ_STR("After", detail(step, 2, "stateEnteredEventDetails", "name"));
    ASSERT_EQ_STR(output, detail(step, 2, "stateEnteredEventDetails", "input"));
    check_succeeded_execution(step, output);
}

/* A second later, Task T fails with error and cause and a catcher takes it to After with output. */
static void fail_and_expect_caught(struct session *session, const char *error, const char *cause, const char *output)
{
    long first_id = session_next_id(session);
    session->now_ms += 1000;
    ASSERT_EQ_INT(0, session_fail(session, error, cause));
    check_caught(&session->step, first_id, session->now_ms, "TaskFailed", output);
    check_optional_detail(&session->step, 0, "taskFailedEventDetails", "error", error);
    check_optional_detail(&session->step, 0, "taskFailedEventDetails", "cause", cause);
}

/* A second later, Task T fails with error and cause, and so does the execution. */
static void fail_and_expect_failed_execution(struct session *session, const char *error, const char *cause)
{
    long first_id = session_next_id(session);
    session->now_ms += 1000;
    ASSERT_EQ_INT(0, session_fail(session, error, cause));
    check_history(&session->step, first_id, session->now_ms, "TaskFailed ExecutionFailed");
    check_failed_execution(&session->step, error, cause);
}

/* What a scenario that expects States.Runtime right at the start checks. */
struct runtime_case {
    const char *entered_type; /* "Wait": WaitStateEntered */
    const char *state;
    const char *detail; /* the cause after AWS's "An error occurred ..." prefix */
};

static void play_runtime_failure_at_start(struct session *session, const void *arguments)
{
    const struct runtime_case *expected = arguments;
    char types[128];
    snprintf(types, sizeof(types), "ExecutionStarted %sStateEntered ExecutionFailed", expected->entered_type);
    ASSERT_EQ_INT(0, session_start(session));
    check_history(&session->step, 1, NOW_MS, types);
    ASSERT_EQ_STR(expected->state, detail(&session->step, 1, "stateEnteredEventDetails", "name"));
    check_runtime_failure(&session->step, expected->state, 2, expected->detail);
}

/* Runs definition with input and expects States.Runtime in state (of type entered_type) with detail. */
static void check_runtime_failure_at_start(const char *definition, const char *input, const char *entered_type,
                                           const char *state, const char *expected_detail)
{
    struct runtime_case expected = { entered_type, state, expected_detail };
    run_scenario(definition, input, play_runtime_failure_at_start, &expected);
}

/* ---- the blog's execution ----------------------------------------------- */

static void check_blog_start(const struct interpreter_step *step)
{
    const char *expected_parameters =
        "{\"FunctionName\":\"ValuationRequestFunction\",\"Payload\":{\"taskToken\":\"" TOKEN "\","
        "\"loanApplication\":" LOAN_INPUT "}}";

    ASSERT_EQ_INT(EXECUTION_RUNNING, step->status);
    ASSERT_EQ_INT(4, event_count(step));

    check_event(step, 0, "ExecutionStarted", 1, 0, NOW_MS);
    ASSERT_EQ_STR(LOAN_INPUT, detail(step, 0, "executionStartedEventDetails", "input"));
    ASSERT_EQ_STR(ROLE_ARN, detail(step, 0, "executionStartedEventDetails", "roleArn"));
    check_untruncated(step, 0, "executionStartedEventDetails", "input");

    /* AWS: the first state follows event 0, not ExecutionStarted. */
    check_event(step, 1, "TaskStateEntered", 2, 0, NOW_MS);
    ASSERT_EQ_STR("RequestValuation", detail(step, 1, "stateEnteredEventDetails", "name"));
    ASSERT_EQ_STR(LOAN_INPUT, detail(step, 1, "stateEnteredEventDetails", "input"));
    check_untruncated(step, 1, "stateEnteredEventDetails", "input");

    check_event(step, 2, "TaskScheduled", 3, 2, NOW_MS);
    ASSERT_EQ_STR("lambda", detail(step, 2, "taskScheduledEventDetails", "resourceType"));
    ASSERT_EQ_STR("invoke.waitForTaskToken", detail(step, 2, "taskScheduledEventDetails", "resource"));
    ASSERT_EQ_STR("eu-west-2", detail(step, 2, "taskScheduledEventDetails", "region"));
    ASSERT_EQ_STR(expected_parameters, detail(step, 2, "taskScheduledEventDetails", "parameters"));
    ASSERT_TRUE(!has_detail(step, 2, "taskScheduledEventDetails", "timeoutInSeconds"));
    ASSERT_TRUE(!has_detail(step, 2, "taskScheduledEventDetails", "heartbeatInSeconds"));

    check_event(step, 3, "TaskStarted", 4, 3, NOW_MS);
    ASSERT_EQ_STR("lambda", detail(step, 3, "taskStartedEventDetails", "resourceType"));
    ASSERT_EQ_STR("invoke.waitForTaskToken", detail(step, 3, "taskStartedEventDetails", "resource"));

    /* Where the execution rests, and the task the caller must start. */
    ASSERT_EQ_INT(4, step->history.last_event_id);
    ASSERT_EQ_STR("RequestValuation", step->state_name);
    ASSERT_EQ_INT(2, step->state_entered_event_id);
    ASSERT_EQ_INT(NOW_MS, step->state_entered_ms);
    ASSERT_EQ_STR(LOAN_INPUT, step->state_input);
    ASSERT_TRUE(step->has_task);
    ASSERT_EQ_STR(WAIT_RESOURCE_ARN, step->task.resource_arn);
    ASSERT_EQ_STR("lambda", step->task.resource_type);
    ASSERT_EQ_STR("invoke.waitForTaskToken", step->task.resource);
    ASSERT_EQ_STR(TOKEN, step->task.token);
    ASSERT_TRUE(printed_equals(step->task.parameters, expected_parameters));
    ASSERT_EQ_INT(0, step->task.timeout_seconds);
    ASSERT_NULL(step->output);
    ASSERT_NULL(step->error);
    ASSERT_NULL(step->cause);
}

static void test_start_schedules_the_valuation_task(void)
{
    int rc = start_and_check(blog_definition, &facts, check_blog_start);
    ASSERT_EQ_INT(0, rc);
}

static void check_submitted(const struct interpreter_step *step)
{
    ASSERT_EQ_INT(1, event_count(step));
    check_event(step, 0, "TaskSubmitted", 5, 4, NOW_MS + 10);
    ASSERT_EQ_STR("lambda", detail(step, 0, "taskSubmittedEventDetails", "resourceType"));
    ASSERT_EQ_STR("invoke.waitForTaskToken", detail(step, 0, "taskSubmittedEventDetails", "resource"));
    ASSERT_EQ_STR("{\"StatusCode\":200}", detail(step, 0, "taskSubmittedEventDetails", "output"));
    check_untruncated(step, 0, "taskSubmittedEventDetails", "output");
    ASSERT_EQ_INT(5, step->history.last_event_id);
    ASSERT_EQ_INT(EXECUTION_RUNNING, step->status);
}

static void check_succeeded(const struct interpreter_step *step)
{
    const char *output = "{\"valuationReference\":\"R\",\"propertyValue\":1}";

    ASSERT_EQ_INT(3, event_count(step));
    check_event(step, 0, "TaskSucceeded", 6, 5, NOW_MS + 20);
    ASSERT_EQ_STR("lambda", detail(step, 0, "taskSucceededEventDetails", "resourceType"));
    ASSERT_EQ_STR("invoke.waitForTaskToken", detail(step, 0, "taskSucceededEventDetails", "resource"));
    ASSERT_EQ_STR(output, detail(step, 0, "taskSucceededEventDetails", "output"));
    check_untruncated(step, 0, "taskSucceededEventDetails", "output");
    check_event(step, 1, "TaskStateExited", 7, 6, NOW_MS + 20);
    ASSERT_EQ_STR("RequestValuation", detail(step, 1, "stateExitedEventDetails", "name"));
    ASSERT_EQ_STR(output, detail(step, 1, "stateExitedEventDetails", "output"));
    check_event(step, 2, "ExecutionSucceeded", 8, 7, NOW_MS + 20);
    ASSERT_EQ_STR(output, detail(step, 2, "executionSucceededEventDetails", "output"));
    check_untruncated(step, 2, "executionSucceededEventDetails", "output");
    ASSERT_EQ_INT(EXECUTION_SUCCEEDED, step->status);
    ASSERT_EQ_STR(output, step->output);
    ASSERT_TRUE(!step->has_task);
    ASSERT_NULL(step->error);
}

static void test_submitted_then_succeeded_ends_the_execution(void)
{
    struct state_machine *machine = parse_machine(blog_definition);
    struct interpreter_step start, submitted, succeeded;
    struct step_environment at_start = { .now_ms = NOW_MS, .fresh_token = TOKEN },
                            at_submitted = { .now_ms = NOW_MS + 10 },
                            at_succeeded = { .now_ms = NOW_MS + 20, .fresh_token = SECOND_TOKEN };
    int rc_start = -1, rc_submitted = -1, rc_succeeded = -1;

    memset(&start, 0, sizeof(start));
    memset(&submitted, 0, sizeof(submitted));
    memset(&succeeded, 0, sizeof(succeeded));
    if (machine && (rc_start = interpreter_start(machine, &facts, &at_start, &start)) == 0) {
        struct execution_position position = position_after(&start);
        rc_submitted =
            interpreter_task_submitted(machine, &position, "{\"StatusCode\":200}", &at_submitted, &submitted);
        if (rc_submitted == 0)
            check_submitted(&submitted);
        position.last_event_id = submitted.history.last_event_id;
        rc_succeeded =
            interpreter_task_succeeded(machine, &facts, &position, "{\"valuationReference\":\"R\",\"propertyValue\":1}",
                                       &at_succeeded, &succeeded);
        if (rc_succeeded == 0)
            check_succeeded(&succeeded);
    }
    interpreter_step_release(&start);
    interpreter_step_release(&submitted);
    interpreter_step_release(&succeeded);
    state_machine_free(machine);
    ASSERT_EQ_INT(0, rc_start);
    ASSERT_EQ_INT(0, rc_submitted);
    ASSERT_EQ_INT(0, rc_succeeded);
}

static void check_failed(const struct interpreter_step *step)
{
    ASSERT_EQ_INT(2, event_count(step));
    check_event(step, 0, "TaskFailed", 6, 5, NOW_MS + 30);
    ASSERT_EQ_STR("lambda", detail(step, 0, "taskFailedEventDetails", "resourceType"));
    ASSERT_EQ_STR("invoke.waitForTaskToken", detail(step, 0, "taskFailedEventDetails", "resource"));
    ASSERT_EQ_STR("Valuation.Failed", detail(step, 0, "taskFailedEventDetails", "error"));
    ASSERT_EQ_STR("The valuation service failed", detail(step, 0, "taskFailedEventDetails", "cause"));
    check_event(step, 1, "ExecutionFailed", 7, 6, NOW_MS + 30);
    ASSERT_EQ_STR("Valuation.Failed", detail(step, 1, "executionFailedEventDetails", "error"));
    ASSERT_EQ_STR("The valuation service failed", detail(step, 1, "executionFailedEventDetails", "cause"));
    ASSERT_EQ_INT(EXECUTION_FAILED, step->status);
    ASSERT_EQ_STR("Valuation.Failed", step->error);
    ASSERT_EQ_STR("The valuation service failed", step->cause);
    ASSERT_NULL(step->output);
    ASSERT_TRUE(!step->has_task);
}

static void check_failed_without_error_and_cause(const struct interpreter_step *step)
{
    ASSERT_EQ_INT(2, event_count(step));
    check_event(step, 0, "TaskFailed", 6, 5, NOW_MS + 30);
    ASSERT_TRUE(!has_detail(step, 0, "taskFailedEventDetails", "error"));
    ASSERT_TRUE(!has_detail(step, 0, "taskFailedEventDetails", "cause"));
    check_event(step, 1, "ExecutionFailed", 7, 6, NOW_MS + 30);
    ASSERT_TRUE(!has_detail(step, 1, "executionFailedEventDetails", "error"));
    ASSERT_TRUE(!has_detail(step, 1, "executionFailedEventDetails", "cause"));
    ASSERT_EQ_INT(EXECUTION_FAILED, step->status);
    ASSERT_NULL(step->error);
    ASSERT_NULL(step->cause);
}

static void test_task_failed_fails_the_execution(void)
{
    struct execution_position position = {
        .last_event_id = 5,
        .state_name = "RequestValuation",
        .state_entered_event_id = 2,
        .state_entered_ms = NOW_MS,
        .state_input = LOAN_INPUT,
        .resting = RESTING_TASK,
    };
    int rc_failed = fail_task_and_check(blog_definition, &position, "Valuation.Failed", "The valuation service failed",
                                        NOW_MS + 30, check_failed);
    int rc_bare =
        fail_task_and_check(blog_definition, &position, NULL, NULL, NOW_MS + 30, check_failed_without_error_and_cause);

    ASSERT_EQ_INT(0, rc_failed);
    ASSERT_EQ_INT(0, rc_bare);
}

/* Makes an entry point of the given kind at position in definition; its return value. */
static int call_at(const char *definition, enum step_entry entry, const struct execution_position *position)
{
    struct step_call call = {
        .entry = entry,
        .facts = &facts,
        .position = position,
        .output = "{}",
        .error = "E",
        .cause = "C",
        .environment = { NOW_MS, SECOND_TOKEN, 0.5 },
    };
    return call_and_check(definition, &call, NULL);
}

static void test_task_results_need_a_waiting_task(void)
{
    static const char definition[] = MACHINE(
        "RequestValuation",
        WAIT_TASK("RequestValuation", "\"Next\":\"Pause\"") ","
                                                            "\"Pause\":{\"Type\":\"Wait\",\"Seconds\":5,\"Next\":"
                                                            "\"Done\"},\"Done\":{\"Type\":\"Succeed\"}");
    struct execution_position not_a_task = { 5, "Done", 2, NOW_MS, "{}", RESTING_TASK, NULL };
    struct execution_position unknown = { 5, "Nope", 2, NOW_MS, "{}", RESTING_TASK, NULL };
    struct execution_position nothing = { 5, NULL, 2, NOW_MS, "{}", RESTING_TASK, NULL };
    struct execution_position waiting_task = { 5, "RequestValuation", 2, NOW_MS, "{}", RESTING_TASK, NULL };
    struct execution_position retrying_task = { 5, "RequestValuation", 2, NOW_MS, "{}", RESTING_RETRY, "1" };
    struct execution_position task_as_wait = { 5, "RequestValuation", 2, NOW_MS, "{}", RESTING_WAIT, NULL };
    struct execution_position waiting_wait = { 5, "Pause", 2, NOW_MS, "{}", RESTING_WAIT, NULL };
    struct execution_position wait_as_task = { 5, "Pause", 2, NOW_MS, "{}", RESTING_TASK, NULL };
    struct execution_position wait_as_retry = { 5, "Pause", 2, NOW_MS, "{}", RESTING_RETRY, NULL };

    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TASK_SUCCEEDED, &not_a_task));
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TASK_FAILED, &unknown));
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TASK_SUCCEEDED, &nothing));
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TASK_TIMED_OUT, &not_a_task));
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TASK_SUBMITTED, &unknown));
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TIMER_DUE, &nothing));
    /* A Task waiting for its outcome has no timer, and while a retry is pending there is no outcome to take. */
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TIMER_DUE, &waiting_task));
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TASK_SUCCEEDED, &retrying_task));
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TASK_FAILED, &retrying_task));
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TASK_TIMED_OUT, &retrying_task));
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TASK_SUBMITTED, &retrying_task));
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TIMER_DUE, &task_as_wait));
    /* A Wait state takes nothing but its timer. */
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TASK_SUCCEEDED, &waiting_wait));
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TASK_TIMED_OUT, &waiting_wait));
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TIMER_DUE, &wait_as_task));
    ASSERT_EQ_INT(-EINVAL, call_at(definition, ENTRY_TIMER_DUE, &wait_as_retry));
    /* The right entry points for those positions do work. */
    ASSERT_EQ_INT(0, call_at(definition, ENTRY_TIMER_DUE, &retrying_task));
    ASSERT_EQ_INT(0, call_at(definition, ENTRY_TIMER_DUE, &waiting_wait));
    ASSERT_EQ_INT(0, call_at(definition, ENTRY_TASK_SUBMITTED, &waiting_task));
}

/* ---- going on after a task ------------------------------------------------ */

static void check_result_path_then_succeed(const struct interpreter_step *step)
{
    const char *output = "{\"applicationReference\":\"app-ref\",\"property\":{\"nameOrNumber\":\"999\","
                         "\"postcode\":\"PO1 1CE\"},\"valuation\":{\"propertyValue\":250000}}";

    ASSERT_EQ_INT(5, event_count(step));
    check_event(step, 0, "TaskSucceeded", 6, 5, NOW_MS);
    check_event(step, 1, "TaskStateExited", 7, 6, NOW_MS);
    ASSERT_EQ_STR(output, detail(step, 1, "stateExitedEventDetails", "output"));
    check_event(step, 2, "SucceedStateEntered", 8, 7, NOW_MS);
    ASSERT_EQ_STR("Done", detail(step, 2, "stateEnteredEventDetails", "name"));
    ASSERT_EQ_STR(output, detail(step, 2, "stateEnteredEventDetails", "input"));
    check_event(step, 3, "SucceedStateExited", 9, 8, NOW_MS);
    check_event(step, 4, "ExecutionSucceeded", 10, 9, NOW_MS);
    ASSERT_EQ_STR(output, detail(step, 4, "executionSucceededEventDetails", "output"));
    ASSERT_EQ_INT(EXECUTION_SUCCEEDED, step->status);
    ASSERT_EQ_STR(output, step->output);
}

static void test_task_result_path_then_next_state(void)
{
    static const char definition[] = "{\"StartAt\":\"RequestValuation\",\"States\":{"
                                     "\"RequestValuation\":{\"Type\":\"Task\",\"Resource\":\"" WAIT_RESOURCE_ARN "\","
                                     "\"ResultPath\":\"$.valuation\",\"Next\":\"Done\"},"
                                     "\"Done\":{\"Type\":\"Succeed\"}}}";
    struct execution_position position = { 5, "RequestValuation", 2, NOW_MS, LOAN_INPUT, RESTING_TASK, NULL };
    int rc =
        succeed_task_and_check(definition, &position, "{\"propertyValue\":250000}", check_result_path_then_succeed);

    ASSERT_EQ_INT(0, rc);
}

static void check_second_task(const struct interpreter_step *step)
{
    ASSERT_EQ_INT(EXECUTION_RUNNING, step->status);
    ASSERT_EQ_INT(5, event_count(step));
    check_event(step, 0, "TaskSucceeded", 6, 5, NOW_MS);
    check_event(step, 1, "TaskStateExited", 7, 6, NOW_MS);
    check_event(step, 2, "TaskStateEntered", 8, 7, NOW_MS);
    ASSERT_EQ_STR("Notify", detail(step, 2, "stateEnteredEventDetails", "name"));
    check_event(step, 3, "TaskScheduled", 9, 8, NOW_MS);
    ASSERT_EQ_STR("sqs", detail(step, 3, "taskScheduledEventDetails", "resourceType"));
    ASSERT_EQ_STR("sendMessage.waitForTaskToken", detail(step, 3, "taskScheduledEventDetails", "resource"));
    ASSERT_EQ_STR("{\"token\":\"" SECOND_TOKEN "\",\"value\":7}",
                  detail(step, 3, "taskScheduledEventDetails", "parameters"));
    ASSERT_TRUE(
        cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(event_at(step, 3), "taskScheduledEventDetails"), "timeoutInSeconds"))
        == 300);
    check_event(step, 4, "TaskStarted", 10, 9, NOW_MS);
    ASSERT_TRUE(step->has_task);
    ASSERT_EQ_STR(SECOND_TOKEN, step->task.token);
    ASSERT_EQ_INT(300, step->task.timeout_seconds);
    ASSERT_EQ_STR("Notify", step->state_name);
    ASSERT_EQ_INT(8, step->state_entered_event_id);
    ASSERT_EQ_STR("{\"value\":7}", step->state_input);
}

static void test_task_succeeded_enters_the_next_task_with_the_fresh_token(void)
{
    static const char definition[] =
        "{\"StartAt\":\"First\",\"States\":{"
        "\"First\":{\"Type\":\"Task\",\"Resource\":\"" WAIT_RESOURCE_ARN "\",\"Next\":\"Notify\"},"
        "\"Notify\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::sqs:sendMessage.waitForTaskToken\","
        "\"Parameters\":{\"token.$\":\"$$.Task.Token\",\"value.$\":\"$.value\"},\"TimeoutSeconds\":300,\"End\":true}}}";
    struct execution_position position = { 5, "First", 2, NOW_MS, "{}", RESTING_TASK, NULL };
    int rc = succeed_task_and_check(definition, &position, "{\"value\":7}", check_second_task);

    ASSERT_EQ_INT(0, rc);
}

static void check_output_path_failure(const struct interpreter_step *step)
{
    ASSERT_EQ_INT(EXECUTION_FAILED, step->status);
    ASSERT_EQ_INT(2, event_count(step));
    check_event(step, 0, "TaskSucceeded", 6, 5, NOW_MS);
    check_event(step, 1, "ExecutionFailed", 7, 6, NOW_MS);
    ASSERT_EQ_STR("States.Runtime", step->error);
    ASSERT_TRUE(starts_with(
        step->cause, "An error occurred while executing the state 'RequestValuation' (entered at the event id #2). "
                     "Invalid path '$.missing' for the field 'OutputPath'"));
    ASSERT_EQ_STR("States.Runtime", detail(step, 1, "executionFailedEventDetails", "error"));
    ASSERT_EQ_STR(step->cause, detail(step, 1, "executionFailedEventDetails", "cause"));
}

static void test_output_path_that_selects_nothing_fails_after_the_task(void)
{
    static const char definition[] = "{\"StartAt\":\"RequestValuation\",\"States\":{"
                                     "\"RequestValuation\":{\"Type\":\"Task\",\"Resource\":\"" WAIT_RESOURCE_ARN "\","
                                     "\"OutputPath\":\"$.missing\",\"End\":true}}}";
    struct execution_position position = { 5, "RequestValuation", 2, NOW_MS, LOAN_INPUT, RESTING_TASK, NULL };
    int rc = succeed_task_and_check(definition, &position, "{\"a\":1}", check_output_path_failure);

    ASSERT_EQ_INT(0, rc);
}

/* ---- Pass, Succeed and Fail ------------------------------------------------ */

static void check_pass_then_succeed(const struct interpreter_step *step)
{
    const char *output = "{\"a\":1,\"result\":{\"x\":[1,2]}}";

    ASSERT_EQ_INT(EXECUTION_SUCCEEDED, step->status);
    ASSERT_EQ_INT(6, event_count(step));
    check_event(step, 0, "ExecutionStarted", 1, 0, NOW_MS);
    check_event(step, 1, "PassStateEntered", 2, 0, NOW_MS);
    ASSERT_EQ_STR("Prepare", detail(step, 1, "stateEnteredEventDetails", "name"));
    ASSERT_EQ_STR("{\"a\":1}", detail(step, 1, "stateEnteredEventDetails", "input"));
    check_event(step, 2, "PassStateExited", 3, 2, NOW_MS);
    ASSERT_EQ_STR("Prepare", detail(step, 2, "stateExitedEventDetails", "name"));
    ASSERT_EQ_STR(output, detail(step, 2, "stateExitedEventDetails", "output"));
    check_untruncated(step, 2, "stateExitedEventDetails", "output");
    check_event(step, 3, "SucceedStateEntered", 4, 3, NOW_MS);
    ASSERT_EQ_STR("Done", detail(step, 3, "stateEnteredEventDetails", "name"));
    ASSERT_EQ_STR(output, detail(step, 3, "stateEnteredEventDetails", "input"));
    check_event(step, 4, "SucceedStateExited", 5, 4, NOW_MS);
    ASSERT_EQ_STR(output, detail(step, 4, "stateExitedEventDetails", "output"));
    check_event(step, 5, "ExecutionSucceeded", 6, 5, NOW_MS);
    ASSERT_EQ_STR(output, detail(step, 5, "executionSucceededEventDetails", "output"));
    ASSERT_EQ_STR(output, step->output);
    ASSERT_TRUE(!step->has_task);
    ASSERT_NULL(step->task.token);
}

static void test_pass_with_result_and_result_path_then_succeed(void)
{
    static const char definition[] =
        "{\"StartAt\":\"Prepare\",\"States\":{"
        "\"Prepare\":{\"Type\":\"Pass\",\"Result\":{\"x\":[1,2]},\"ResultPath\":\"$.result\",\"Next\":\"Done\"},"
        "\"Done\":{\"Type\":\"Succeed\"}}}";
    struct execution_facts pass_facts = facts;
    int rc;

    pass_facts.input = "{\"a\":1}";
    rc = start_and_check(definition, &pass_facts, check_pass_then_succeed);
    ASSERT_EQ_INT(0, rc);
}

/* Runs definition from the start with input and returns the step's output (or NULL); reports status. */
static char *run_to_output(const char *definition, const char *input, enum execution_status *status)
{
    struct execution_facts run_facts = facts;
    struct state_machine *machine = parse_machine(definition);
    struct interpreter_step step;
    char *output = NULL;

    run_facts.input = input;
    struct step_environment environment = { .now_ms = NOW_MS, .fresh_token = TOKEN };
    memset(&step, 0, sizeof(step));
    *status = EXECUTION_ABORTED;
    if (machine && interpreter_start(machine, &run_facts, &environment, &step) == 0) {
        *status = step.status;
        output = step.output ? strdup(step.output) : NULL;
    }
    interpreter_step_release(&step);
    state_machine_free(machine);
    return output;
}

static void test_pass_input_output_and_null_result_paths(void)
{
    enum execution_status s1, s2, s3, s4;
    /* InputPath narrows what Result/Parameters see; ResultPath places into the raw input. */
    char *narrowed = run_to_output("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"InputPath\":\"$.a\","
                                   "\"ResultPath\":\"$.copy\",\"End\":true}}}",
                                   "{\"a\":{\"b\":2},\"c\":3}", &s1);
    /* ResultPath null: the output is the input, the result is discarded. */
    char *discarded = run_to_output("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"Result\":\"x\","
                                    "\"ResultPath\":null,\"End\":true}}}",
                                    "{\"keep\":true}", &s2);
    /* OutputPath selects from the state's output. */
    char *selected = run_to_output("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"Result\":{\"v\":5},"
                                   "\"ResultPath\":\"$.r\",\"OutputPath\":\"$.r.v\",\"End\":true}}}",
                                   "{}", &s3);
    /* Default ResultPath "$": Result replaces the input. */
    char *replaced = run_to_output("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"Result\":[1],"
                                   "\"End\":true}}}",
                                   "{\"gone\":1}", &s4);
    bool narrowed_ok = narrowed && strcmp(narrowed, "{\"a\":{\"b\":2},\"c\":3,\"copy\":{\"b\":2}}") == 0;
    bool discarded_ok = discarded && strcmp(discarded, "{\"keep\":true}") == 0;
    bool selected_ok = selected && strcmp(selected, "5") == 0;
    bool replaced_ok = replaced && strcmp(replaced, "[1]") == 0;

    if (!narrowed_ok)
        printf("# narrowed: %s\n", narrowed ? narrowed : "(null)");
    free(narrowed);
    free(discarded);
    free(selected);
    free(replaced);
    ASSERT_EQ_INT(EXECUTION_SUCCEEDED, s1);
    ASSERT_EQ_INT(EXECUTION_SUCCEEDED, s2);
    ASSERT_EQ_INT(EXECUTION_SUCCEEDED, s3);
    ASSERT_EQ_INT(EXECUTION_SUCCEEDED, s4);
    ASSERT_TRUE(narrowed_ok);
    ASSERT_TRUE(discarded_ok);
    ASSERT_TRUE(selected_ok);
    ASSERT_TRUE(replaced_ok);
}

static void check_fail_state(const struct interpreter_step *step)
{
    ASSERT_EQ_INT(EXECUTION_FAILED, step->status);
    ASSERT_EQ_INT(3, event_count(step));
    check_event(step, 0, "ExecutionStarted", 1, 0, NOW_MS);
    check_event(step, 1, "FailStateEntered", 2, 0, NOW_MS);
    ASSERT_EQ_STR("Broken", detail(step, 1, "stateEnteredEventDetails", "name"));
    check_event(step, 2, "ExecutionFailed", 3, 2, NOW_MS);
    ASSERT_EQ_STR("Valuation.Failed", detail(step, 2, "executionFailedEventDetails", "error"));
    ASSERT_EQ_STR("The property could not be valued", detail(step, 2, "executionFailedEventDetails", "cause"));
    ASSERT_EQ_STR("Valuation.Failed", step->error);
    ASSERT_EQ_STR("The property could not be valued", step->cause);
    ASSERT_NULL(step->output);
}

static void test_fail_state_fails_with_its_error_and_cause(void)
{
    static const char definition[] = "{\"StartAt\":\"Broken\",\"States\":{\"Broken\":{\"Type\":\"Fail\","
                                     "\"Error\":\"Valuation.Failed\",\"Cause\":\"The property could not be valued\"}}}";
    int rc = start_and_check(definition, &facts, check_fail_state);

    ASSERT_EQ_INT(0, rc);
}

/* ---- runtime errors: States.Runtime ---------------------------------------- */

static void check_input_path_failure(const struct interpreter_step *step)
{
    ASSERT_EQ_INT(EXECUTION_FAILED, step->status);
    ASSERT_EQ_INT(3, event_count(step));
    check_event(step, 1, "TaskStateEntered", 2, 0, NOW_MS);
    check_event(step, 2, "ExecutionFailed", 3, 2, NOW_MS);
    ASSERT_EQ_STR("States.Runtime", step->error);
    ASSERT_TRUE(starts_with(step->cause, "An error occurred while executing the state '"));
    ASSERT_TRUE(starts_with(
        step->cause, "An error occurred while executing the state 'RequestValuation' (entered at the event id #2). "
                     "Invalid path '$.missing' for the field 'InputPath'"));
    ASSERT_EQ_STR("States.Runtime", detail(step, 2, "executionFailedEventDetails", "error"));
    ASSERT_EQ_STR(step->cause, detail(step, 2, "executionFailedEventDetails", "cause"));
    ASSERT_TRUE(!step->has_task);
}

static void test_input_path_that_selects_nothing_fails_with_states_runtime(void)
{
    static const char definition[] =
        "{\"StartAt\":\"RequestValuation\",\"States\":{\"RequestValuation\":{\"Type\":\"Task\","
        "\"Resource\":\"" WAIT_RESOURCE_ARN "\",\"InputPath\":\"$.missing\",\"End\":true}}}";
    int rc = start_and_check(definition, &facts, check_input_path_failure);

    ASSERT_EQ_INT(0, rc);
}

static void check_pass_input_path_failure(const struct interpreter_step *step)
{
    ASSERT_EQ_INT(EXECUTION_FAILED, step->status);
    ASSERT_EQ_STR("States.Runtime", step->error);
    ASSERT_TRUE(starts_with(step->cause, "An error occurred while executing the state 'P' (entered at the event id "
                                         "#2). Invalid path '$.missing' for the field 'InputPath'"));
    ASSERT_EQ_INT(3, event_count(step)); /* ExecutionStarted, PassStateEntered, ExecutionFailed */
}

static void test_pass_input_path_that_selects_nothing_fails(void)
{
    static const char definition[] =
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"InputPath\":\"$.missing\",\"End\":true}}}";
    int rc = start_and_check(definition, &facts, check_pass_input_path_failure);

    ASSERT_EQ_INT(0, rc);
}

static void check_cdk_mistake(const struct interpreter_step *step)
{
    ASSERT_EQ_INT(EXECUTION_FAILED, step->status);
    ASSERT_EQ_INT(3, event_count(step));
    check_event(step, 1, "TaskStateEntered", 2, 0, NOW_MS);
    check_event(step, 2, "ExecutionFailed", 3, 2, NOW_MS);
    ASSERT_EQ_STR("States.Runtime", step->error);
    ASSERT_TRUE(starts_with(
        step->cause, "An error occurred while executing the state 'RequestValuation' (entered at the event id #2). "
                     "The Parameters '"));
    ASSERT_NOT_NULL(strstr(step->cause, "The value for the field 'taskToken.$' must be a valid JSONPath or a valid "
                                        "intrinsic function call"));
    /* The resolved parameters in the cause show the token under the mistaken key. */
    ASSERT_NOT_NULL(strstr(step->cause, "\"taskToken.$\":\"" TOKEN "\""));
    ASSERT_TRUE(!step->has_task);
}

static void test_cdk_double_suffix_mistake_fails_with_states_runtime(void)
{
    /* What `'taskToken.$': JsonPath.taskToken` in CDK produces. */
    static const char definition[] =
        "{\"StartAt\":\"RequestValuation\",\"States\":{\"RequestValuation\":{\"Type\":\"Task\","
        "\"Resource\":\"" WAIT_RESOURCE_ARN "\","
        "\"Parameters\":{\"FunctionName\":\"ValuationRequestFunction\","
        "\"Payload\":{\"taskToken.$.$\":\"$$.Task.Token\",\"loanApplication.$\":\"$\"}},"
        "\"End\":true}}}";
    int rc = start_and_check(definition, &facts, check_cdk_mistake);

    ASSERT_TRUE(rc != NOT_PARSED);
    ASSERT_EQ_INT(0, rc);
}

static void check_parameters_path_failure(const struct interpreter_step *step)
{
    ASSERT_EQ_INT(EXECUTION_FAILED, step->status);
    ASSERT_TRUE(!step->has_task);
    ASSERT_EQ_STR("States.Runtime", step->error);
    ASSERT_TRUE(starts_with(step->cause, "An error occurred while executing the state 'T' (entered at the event id "
                                         "#2). The JSONPath '$.nope' specified for the field 'x.$' could not be "
                                         "found in the input '"));
}

static void test_parameters_path_that_selects_nothing_fails(void)
{
    static const char definition[] =
        "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"Resource\":\"" WAIT_RESOURCE_ARN "\","
        "\"Parameters\":{\"x.$\":\"$.nope\"},\"End\":true}}}";
    int rc = start_and_check(definition, &facts, check_parameters_path_failure);

    ASSERT_EQ_INT(0, rc);
}

static void check_pass_loop_stopped(const struct interpreter_step *step)
{
    ASSERT_EQ_INT(EXECUTION_FAILED, step->status);
    ASSERT_EQ_STR("States.Runtime", step->error);
    ASSERT_TRUE(step->cause && strstr(step->cause, "Too many state transitions without a wait") != NULL);
}

static void test_pass_loop_is_stopped(void)
{
    static const char definition[] = "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Next\":\"B\"},"
                                     "\"B\":{\"Type\":\"Pass\",\"Next\":\"A\"}}}";
    int rc = start_and_check(definition, &facts, check_pass_loop_stopped);

    ASSERT_EQ_INT(0, rc);
}

/* ---- the context object ---------------------------------------------------- */

static void check_context_parameters(const struct interpreter_step *step)
{
    const char *expected = "{\"Payload\":{\"executionId\":\"" EXECUTION_ARN "\",\"executionName\":\"run-1\","
                           "\"stateMachine\":\"LoanProcessor\",\"stateMachineId\":\"" STATE_MACHINE_ARN "\","
                           "\"state\":\"RequestValuation\",\"entered\":\"2024-04-05T19:34:39.456Z\","
                           "\"started\":\"2024-04-05T19:34:38.123Z\",\"role\":\"" ROLE_ARN "\","
                           "\"reference\":\"app-ref\",\"token\":\"" TOKEN "\"}}";

    ASSERT_TRUE(step->has_task && printed_equals(step->task.parameters, expected));
    ASSERT_EQ_STR(expected, detail(step, 2, "taskScheduledEventDetails", "parameters"));
}

static void test_context_object_reaches_task_parameters(void)
{
    static const char definition[] =
        "{\"StartAt\":\"RequestValuation\",\"States\":{\"RequestValuation\":{\"Type\":\"Task\","
        "\"Resource\":\"" WAIT_RESOURCE_ARN "\",\"Parameters\":{\"Payload\":{"
        "\"executionId.$\":\"$$.Execution.Id\",\"executionName.$\":\"$$.Execution.Name\","
        "\"stateMachine.$\":\"$$.StateMachine.Name\",\"stateMachineId.$\":\"$$.StateMachine.Id\","
        "\"state.$\":\"$$.State.Name\",\"entered.$\":\"$$.State.EnteredTime\","
        "\"started.$\":\"$$.Execution.StartTime\",\"role.$\":\"$$.Execution.RoleArn\","
        "\"reference.$\":\"$$.Execution.Input.applicationReference\",\"token.$\":\"$$.Task.Token\"}},"
        "\"End\":true}}}";
    int rc = start_and_check(definition, &facts, check_context_parameters);

    ASSERT_EQ_INT(0, rc);
}

static void test_context_object_in_pass_parameters_has_no_task(void)
{
    enum execution_status status;
    char *output = run_to_output(
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"Parameters\":{"
        "\"id.$\":\"$$.Execution.Id\",\"machine.$\":\"$$.StateMachine.Name\",\"ref.$\":\"$.applicationReference\","
        "\"fixed\":\"literal\"},\"End\":true}}}",
        LOAN_INPUT, &status);
    bool output_ok = output
                     && strcmp(output, "{\"id\":\"" EXECUTION_ARN "\",\"machine\":\"LoanProcessor\","
                                       "\"ref\":\"app-ref\",\"fixed\":\"literal\"}")
                            == 0;
    enum execution_status no_token_status;
    char *no_token = run_to_output(
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"Parameters\":{\"t.$\":\"$$.Task.Token\"},"
        "\"End\":true}}}",
        "{}", &no_token_status);

    if (!output_ok)
        printf("# got %s\n", output ? output : "(null)");
    free(output);
    free(no_token);
    ASSERT_EQ_INT(EXECUTION_SUCCEEDED, status);
    ASSERT_TRUE(output_ok);
    /* A Pass state has no $$.Task: the path selects nothing. */
    ASSERT_EQ_INT(EXECUTION_FAILED, no_token_status);
    ASSERT_NULL(no_token);
}

static void test_status_names(void)
{
    ASSERT_EQ_STR("RUNNING", interpreter_status_name(EXECUTION_RUNNING));
    ASSERT_EQ_STR("SUCCEEDED", interpreter_status_name(EXECUTION_SUCCEEDED));
    ASSERT_EQ_STR("FAILED", interpreter_status_name(EXECUTION_FAILED));
    ASSERT_EQ_STR("TIMED_OUT", interpreter_status_name(EXECUTION_TIMED_OUT));
    ASSERT_EQ_STR("ABORTED", interpreter_status_name(EXECUTION_ABORTED));
}

static void test_resting_names(void)
{
    enum resting_kind kind = RESTING_TASK;
    ASSERT_EQ_STR("task", interpreter_resting_name(RESTING_TASK));
    ASSERT_EQ_STR("wait", interpreter_resting_name(RESTING_WAIT));
    ASSERT_EQ_STR("retry", interpreter_resting_name(RESTING_RETRY));
    ASSERT_EQ_INT(0, interpreter_resting_from_name("retry", &kind));
    ASSERT_EQ_INT(RESTING_RETRY, kind);
    ASSERT_EQ_INT(0, interpreter_resting_from_name("wait", &kind));
    ASSERT_EQ_INT(RESTING_WAIT, kind);
    ASSERT_EQ_INT(0, interpreter_resting_from_name("task", &kind));
    ASSERT_EQ_INT(RESTING_TASK, kind);
    ASSERT_EQ_INT(-EINVAL, interpreter_resting_from_name("Task", &kind));
    ASSERT_EQ_INT(-EINVAL, interpreter_resting_from_name("", &kind));
    ASSERT_EQ_INT(-EINVAL, interpreter_resting_from_name(NULL, &kind));
    ASSERT_EQ_INT(RESTING_TASK, kind);
}

static void test_release_is_safe_on_a_zeroed_step(void)
{
    struct interpreter_step step;
    memset(&step, 0, sizeof(step));
    interpreter_step_release(&step);
    interpreter_step_release(&step);
    ASSERT_NULL(step.history.events);
}

/* ---- Retry ------------------------------------------------------------------ */

/* Parameters of the retried Tasks: the attempt's token and $$.State.RetryCount. */
#define ATTEMPT_PARAMETERS "\"Parameters\":{\"token.$\":\"$$.Task.Token\",\"attempt.$\":\"$$.State.RetryCount\"},"

/* One retrier: 3 s, then 4.5 s, then the error fails the execution. */
static const char retry_once_definition[] =
    MACHINE("T", WAIT_TASK("T", ATTEMPT_PARAMETERS
                           "\"Retry\":[{\"ErrorEquals\":[\"Transient\"],\"IntervalSeconds\":3,\"MaxAttempts\":2,"
                           "\"BackoffRate\":1.5}],\"End\":true"));

/*
 * Several retriers (only the first that matches an error applies) and a
 * catcher for what they give up on.
 */
static const char retriers_definition[] =
    MACHINE("T", WAIT_TASK("T", ATTEMPT_PARAMETERS
                           "\"Retry\":["
                           "{\"ErrorEquals\":[\"Transient\"],\"IntervalSeconds\":3,\"MaxAttempts\":1},"
                           "{\"ErrorEquals\":[\"Transient\",\"Capped\"],\"IntervalSeconds\":10,\"BackoffRate\":4,"
                           "\"MaxDelaySeconds\":25,\"MaxAttempts\":5},"
                           "{\"ErrorEquals\":[\"Jittery\"],\"IntervalSeconds\":4,\"JitterStrategy\":\"FULL\"},"
                           "{\"ErrorEquals\":[\"Never\"],\"MaxAttempts\":0},"
                           "{\"ErrorEquals\":[\"States.ALL\"],\"MaxAttempts\":1}],"
                           "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"ResultPath\":\"$.error\","
                           "\"Next\":\"After\"}],"
                           "\"Next\":\"Done\"") "," END_PASS("After") ",\"Done\":{\"Type\":\"Succeed\"}");

/* What retriers_definition's catcher makes of SMALL_INPUT and error. */
static void caught_output(char *output, size_t size, const char *error)
{
    snprintf(output, size, "{\"a\":1,\"error\":{\"Error\":\"%s\",\"Cause\":\"" FAILURE_CAUSE "\"}}", error);
}

/* The session's Task T waits for attempt number attempt (token and RetryCount in its parameters). */
static void check_attempt(const struct session *session, int attempt, const char *retry_counts)
{
    const struct interpreter_step *step = &session->step;
    int scheduled = event_count(step) - 2;
    char parameters[128];
    snprintf(parameters, sizeof(parameters), "{\"token\":\"%s\",\"attempt\":%d}", session->token, attempt);
    ASSERT_EQ_STR(parameters, detail(step, scheduled, "taskScheduledEventDetails", "parameters"));
    ASSERT_TRUE(printed_equals(step->task.parameters, parameters));
    ASSERT_EQ_STR(session->token, step->task.token);
    ASSERT_EQ_STR("lambda", detail(step, scheduled + 1, "taskStartedEventDetails", "resourceType"));
    check_rest(step, "T", 2, RESTING_TASK, 0, retry_counts);
    ASSERT_EQ_INT(NOW_MS, step->state_entered_ms);
    ASSERT_EQ_STR(session->facts.input, step->state_input);
}

/*
 * A second after the attempt started, Task T fails with error: the execution
 * rests for delay_ms with retry_counts; then the timer starts attempt number
 * attempt, with no new TaskStateEntered.
 */
static void retry_round(struct session *session, const char *error, int64_t delay_ms, const char *retry_counts,
                        int attempt)
{
    long first_id = session_next_id(session);
    session->now_ms += 1000;
    ASSERT_EQ_INT(0, session_fail(session, error, FAILURE_CAUSE));
    check_history(&session->step, first_id, session->now_ms, "TaskFailed");
    ASSERT_EQ_STR(error, detail(&session->step, 0, "taskFailedEventDetails", "error"));
    ASSERT_EQ_STR(FAILURE_CAUSE, detail(&session->step, 0, "taskFailedEventDetails", "cause"));
    check_rest(&session->step, "T", 2, RESTING_RETRY, delay_ms, retry_counts);
    ASSERT_EQ_INT(NOW_MS, session->step.state_entered_ms);
    ASSERT_EQ_STR(session->facts.input, session->step.state_input);
    ASSERT_NULL(session->step.task.token);

    session->now_ms += delay_ms;
    ASSERT_EQ_INT(0, session_timer_due(session));
    check_history(&session->step, first_id + 1, session->now_ms, "TaskScheduled TaskStarted");
    check_attempt(session, attempt, retry_counts);
}

static void play_retry_with_backoff_until_exhausted(struct session *session, const void *unused)
{
    (void)unused;
    start_task_t(session);
    check_attempt(session, 0, NULL);
    retry_round(session, "Transient", 3000, "1", 1);
    retry_round(session, "Transient", 4500, "2", 2);

    /* MaxAttempts 2 reached and nothing catches: the execution fails with the Task's error. */
    fail_and_expect_failed_execution(session, "Transient", "third time");
}

static void test_retry_rests_then_starts_a_new_attempt_with_backoff(void)
{
    run_scenario(retry_once_definition, SMALL_INPUT, play_retry_with_backoff_until_exhausted, NULL);
}

static void play_capped_backoff_then_success(struct session *session, const void *unused)
{
    (void)unused;
    start_task_t(session);
    /* 10 s, then 40 s and 160 s capped by MaxDelaySeconds 25. */
    retry_round(session, "Capped", 10000, "0,1,0,0,0", 1);
    retry_round(session, "Capped", 25000, "0,2,0,0,0", 2);
    retry_round(session, "Capped", 25000, "0,3,0,0,0", 3);

    session->now_ms += 1000;
    ASSERT_EQ_INT(0, session_succeed(session, "{\"ok\":true}"));
    check_history(&session->step, 14, session->now_ms,
                  "TaskSucceeded TaskStateExited SucceedStateEntered SucceedStateExited ExecutionSucceeded");
    check_succeeded_execution(&session->step, "{\"ok\":true}");
    ASSERT_NULL(session->step.retry_counts);
}

static void test_retry_delay_is_capped_by_max_delay_seconds(void)
{
    run_scenario(retriers_definition, SMALL_INPUT, play_capped_backoff_then_success, NULL);
}

static void play_full_jitter(struct session *session, const void *unused)
{
    char output[128];
    (void)unused;
    caught_output(output, sizeof(output), "Jittery");
    start_task_t(session);
    /* FULL jitter: the computed delay (4 s, 8 s, 16 s) times the random fraction. */
    session->jitter = 0.25;
    retry_round(session, "Jittery", 1000, "0,0,1,0,0", 1);
    session->jitter = 0.5;
    retry_round(session, "Jittery", 4000, "0,0,2,0,0", 2);
    session->jitter = 0.75;
    retry_round(session, "Jittery", 12000, "0,0,3,0,0", 3);
    /* MaxAttempts defaults to 3. */
    fail_and_expect_caught(session, "Jittery", FAILURE_CAUSE, output);
}

static void test_retry_with_full_jitter_scales_the_delay(void)
{
    run_scenario(retriers_definition, SMALL_INPUT, play_full_jitter, NULL);
}

static void play_first_matching_retrier_only(struct session *session, const void *unused)
{
    char output[128];
    (void)unused;
    caught_output(output, sizeof(output), "Transient");
    start_task_t(session);
    retry_round(session, "Transient", 3000, "1,0,0,0,0", 1);
    /* The first retrier is spent; the later ones that match Transient do not take over. */
    fail_and_expect_caught(session, "Transient", FAILURE_CAUSE, output);
}

static void test_only_the_first_matching_retrier_applies(void)
{
    run_scenario(retriers_definition, SMALL_INPUT, play_first_matching_retrier_only, NULL);
}

static void play_max_attempts_zero(struct session *session, const void *unused)
{
    char output[128];
    (void)unused;
    caught_output(output, sizeof(output), "Never");
    start_task_t(session);
    /* MaxAttempts 0: never retried, not even by the States.ALL retrier after it. */
    fail_and_expect_caught(session, "Never", FAILURE_CAUSE, output);
}

static void test_max_attempts_zero_never_retries(void)
{
    run_scenario(retriers_definition, SMALL_INPUT, play_max_attempts_zero, NULL);
}

static void play_wildcard_retrier(struct session *session, const void *unused)
{
    char output[128];
    (void)unused;
    caught_output(output, sizeof(output), "Other");
    start_task_t(session);
    /* States.ALL with the defaults: 1 s; MaxAttempts 1 then the catcher. */
    retry_round(session, "Other", 1000, "0,0,0,0,1", 1);
    fail_and_expect_caught(session, "Other", FAILURE_CAUSE, output);
}

static void test_wildcard_retrier_takes_other_errors(void)
{
    run_scenario(retriers_definition, SMALL_INPUT, play_wildcard_retrier, NULL);
}

static void play_states_runtime_neither_retried_nor_caught(struct session *session, const void *unused)
{
    (void)unused;
    start_task_t(session);
    fail_and_expect_failed_execution(session, "States.Runtime", "boom");
}

static void test_states_runtime_is_neither_retried_nor_caught(void)
{
    run_scenario(retriers_definition, SMALL_INPUT, play_states_runtime_neither_retried_nor_caught, NULL);
}

static void play_task_submitted(struct session *session, const void *unused)
{
    struct step_call submitted = { .entry = ENTRY_TASK_SUBMITTED, .output = "{\"StatusCode\":202}" };
    (void)unused;
    start_task_t(session);
    ASSERT_EQ_INT(0, session_advance(session, &submitted));
    check_history(&session->step, 5, session->now_ms, "TaskSubmitted");
    /* A TaskSubmitted step leaves no resting point of its own: the caller keeps the Task's. */
    ASSERT_NULL(session->step.state_name);
    ASSERT_TRUE(!session->step.has_task);
}

static void test_task_submitted_takes_the_machine_and_adds_one_event(void)
{
    run_scenario(retry_once_definition, SMALL_INPUT, play_task_submitted, NULL);
}

/* ---- Catch ------------------------------------------------------------------ */

static const char catch_definition[] =
    TASK_THEN_AFTER("\"Catch\":["
                    "{\"ErrorEquals\":[\"Replace\"],\"Next\":\"After\"},"
                    "{\"ErrorEquals\":[\"Merge\",\"Other.Merge\"],\"ResultPath\":\"$.error\",\"Next\":\"After\"},"
                    "{\"ErrorEquals\":[\"Keep\"],\"ResultPath\":null,\"Next\":\"After\"},"
                    "{\"ErrorEquals\":[\"States.ALL\"],\"ResultPath\":\"$.caught\",\"Next\":\"After\"}],");

static const char task_failed_catch_definition[] =
    TASK_THEN_AFTER("\"TimeoutSeconds\":30,\"HeartbeatSeconds\":10,"
                    "\"Catch\":[{\"ErrorEquals\":[\"States.TaskFailed\"],\"Next\":\"After\"}],");

struct catch_case {
    const char *error, *cause; /* what the Task fails with */
    const char *output;        /* what the catcher makes of SMALL_INPUT */
};

static void play_catch(struct session *session, const void *arguments)
{
    const struct catch_case *expected = arguments;
    start_task_t(session);
    fail_and_expect_caught(session, expected->error, expected->cause, expected->output);
}

static void check_catch(const char *definition, const char *error, const char *cause, const char *output)
{
    struct catch_case expected = { error, cause, output };
    run_scenario(definition, SMALL_INPUT, play_catch, &expected);
}

static void test_catch_default_result_path_replaces_the_input(void)
{
    check_catch(catch_definition, "Replace", "why", "{\"Error\":\"Replace\",\"Cause\":\"why\"}");
}

static void test_catch_result_path_merges_the_error_into_the_input(void)
{
    check_catch(catch_definition, "Merge", "why", "{\"a\":1,\"error\":{\"Error\":\"Merge\",\"Cause\":\"why\"}}");
    check_catch(catch_definition, "Other.Merge", NULL,
                "{\"a\":1,\"error\":{\"Error\":\"Other.Merge\",\"Cause\":null}}");
}

static void test_catch_null_result_path_keeps_the_input(void)
{
    check_catch(catch_definition, "Keep", "why", SMALL_INPUT);
}

static void test_catch_all_takes_a_failure_without_error_or_cause(void)
{
    /* AWS-recorded: SendTaskFailure with neither gives {"Error":null,"Cause":null}. */
    check_catch(catch_definition, NULL, NULL, "{\"a\":1,\"caught\":{\"Error\":null,\"Cause\":null}}");
    check_catch(catch_definition, "Anything", "why", "{\"a\":1,\"caught\":{\"Error\":\"Anything\",\"Cause\":\"why\"}}");
}

static void test_catch_task_failed_takes_task_errors(void)
{
    check_catch(task_failed_catch_definition, "Anything", "why", "{\"Error\":\"Anything\",\"Cause\":\"why\"}");
}

static void test_catch_all_never_takes_states_runtime(void)
{
    run_scenario(catch_definition, SMALL_INPUT, play_states_runtime_neither_retried_nor_caught, NULL);
}

static void play_catch_into_a_bad_result_path(struct session *session, const void *unused)
{
    (void)unused;
    start_task_t(session);
    session->now_ms += 1000;
    ASSERT_EQ_INT(0, session_fail(session, "Merge", "why"));
    check_history(&session->step, 5, session->now_ms, "TaskFailed ExecutionFailed");
    check_runtime_failure(&session->step, "T", 2,
                          "Unable to apply ResultPath '$.error' to the input: it must select a member of a JSON "
                          "object");
}

static void test_catch_result_path_on_an_input_that_is_not_an_object(void)
{
    run_scenario(catch_definition, "[1,2]", play_catch_into_a_bad_result_path, NULL);
}

/* ---- timeouts and heartbeats -------------------------------------------------- */

/* Task T with TimeoutSeconds 30 and HeartbeatSeconds 10 and the given Catch (fields ending with a comma). */
#define TIMEOUT_MACHINE(catch) TASK_THEN_AFTER("\"TimeoutSeconds\":30,\"HeartbeatSeconds\":10," catch)

static const char timeout_uncaught_definition[] = TIMEOUT_MACHINE("");
static const char timeout_caught_definition[] =
    TIMEOUT_MACHINE("\"Catch\":[{\"ErrorEquals\":[\"States.Timeout\"],\"Next\":\"After\"}],");
static const char heartbeat_caught_definition[] =
    TIMEOUT_MACHINE("\"Catch\":[{\"ErrorEquals\":[\"States.HeartbeatTimeout\"],\"ResultPath\":\"$.timeout\","
                    "\"Next\":\"After\"}],");
static const char timeout_caught_by_all_definition[] =
    TIMEOUT_MACHINE("\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"After\"}],");

#define TIMEOUT_OUTPUT "{\"Error\":\"States.Timeout\",\"Cause\":null}"

struct timeout_case {
    bool heartbeat;
    const char *output; /* what the catcher makes of SMALL_INPUT; NULL: not caught */
};

static void play_timeout(struct session *session, const void *arguments)
{
    const struct timeout_case *expected = arguments;
    const struct interpreter_step *step = &session->step;
    start_task_t(session);
    check_scheduled_timeouts(step, 2, 30, 10);

    session->now_ms += expected->heartbeat ? 10000 : 30000;
    ASSERT_EQ_INT(0, session_time_out(session, expected->heartbeat));
    if (expected->output) {
        check_caught(step, 5, session->now_ms, "TaskTimedOut", expected->output);
    } else {
        check_history(step, 5, session->now_ms, "TaskTimedOut ExecutionFailed");
        check_failed_execution(step, "States.Timeout", NULL);
    }
    /* AWS records both kinds of timeout as States.Timeout, without a cause. */
    ASSERT_EQ_STR("States.Timeout", detail(step, 0, "taskTimedOutEventDetails", "error"));
    ASSERT_EQ_STR("lambda", detail(step, 0, "taskTimedOutEventDetails", "resourceType"));
    ASSERT_EQ_STR("invoke.waitForTaskToken", detail(step, 0, "taskTimedOutEventDetails", "resource"));
    ASSERT_TRUE(!has_detail(step, 0, "taskTimedOutEventDetails", "cause"));
}

static void check_timeout(const char *definition, bool heartbeat, const char *output)
{
    struct timeout_case expected = { heartbeat, output };
    run_scenario(definition, SMALL_INPUT, play_timeout, &expected);
}

static void test_timeout_without_catch_fails_the_execution(void)
{
    check_timeout(timeout_uncaught_definition, false, NULL);
    check_timeout(timeout_uncaught_definition, true, NULL);
}

static void test_states_timeout_catches_both_timeouts(void)
{
    check_timeout(timeout_caught_definition, false, TIMEOUT_OUTPUT);
    check_timeout(timeout_caught_definition, true, TIMEOUT_OUTPUT);
    check_timeout(timeout_caught_by_all_definition, false, TIMEOUT_OUTPUT);
}

static void test_heartbeat_timeout_catches_only_a_missed_heartbeat(void)
{
    check_timeout(heartbeat_caught_definition, true, "{\"a\":1,\"timeout\":" TIMEOUT_OUTPUT "}");
    check_timeout(heartbeat_caught_definition, false, NULL);
}

static void test_task_failed_does_not_catch_a_timeout(void)
{
    check_timeout(task_failed_catch_definition, false, NULL);
    check_timeout(task_failed_catch_definition, true, NULL);
}

static void play_timeout_retried(struct session *session, const void *unused)
{
    (void)unused;
    start_task_t(session);
    session->now_ms += 30000;
    ASSERT_EQ_INT(0, session_time_out(session, false));
    check_history(&session->step, 5, session->now_ms, "TaskTimedOut");
    check_rest(&session->step, "T", 2, RESTING_RETRY, 5000, "1");
    session->now_ms += 5000;
    ASSERT_EQ_INT(0, session_timer_due(session));
    check_history(&session->step, 6, session->now_ms, "TaskScheduled TaskStarted");
    check_scheduled_timeouts(&session->step, 0, 30, 0);
    check_rest(&session->step, "T", 2, RESTING_TASK, 0, "1");
}

static void test_timeout_can_be_retried(void)
{
    run_scenario(TASK_THEN_AFTER("\"TimeoutSeconds\":30,"
                                 "\"Retry\":[{\"ErrorEquals\":[\"States.Timeout\"],\"IntervalSeconds\":5}],"),
                 SMALL_INPUT, play_timeout_retried, NULL);
}

/* Task T whose timeouts come from the input. */
static const char timeout_paths_definition[] =
    TASK_THEN_AFTER("\"TimeoutSecondsPath\":\"$.limits.timeout\",\"HeartbeatSecondsPath\":\"$.limits.heartbeat\","
                    "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"After\"}],");

static void play_timeout_paths(struct session *session, const void *unused)
{
    (void)unused;
    start_task_t(session);
    check_scheduled_timeouts(&session->step, 2, 40, 5);
}

static void test_timeout_paths_are_resolved_from_the_input(void)
{
    run_scenario(timeout_paths_definition, "{\"limits\":{\"timeout\":40,\"heartbeat\":5}}", play_timeout_paths, NULL);
}

static void test_bad_timeout_paths_fail_with_states_runtime(void)
{
    /* The States.ALL catcher does not take States.Runtime. */
    check_runtime_failure_at_start(timeout_paths_definition, "{\"limits\":{\"timeout\":\"40\",\"heartbeat\":5}}",
                                   "Task", "T",
                                   "The value selected by '$.limits.timeout' for the field 'TimeoutSecondsPath' must "
                                   "be a positive integer");
    check_runtime_failure_at_start(timeout_paths_definition, "{\"limits\":{\"timeout\":0,\"heartbeat\":5}}", "Task",
                                   "T",
                                   "The value selected by '$.limits.timeout' for the field 'TimeoutSecondsPath' must "
                                   "be a positive integer");
    check_runtime_failure_at_start(timeout_paths_definition, "{\"limits\":{\"timeout\":40,\"heartbeat\":2.5}}", "Task",
                                   "T",
                                   "The value selected by '$.limits.heartbeat' for the field 'HeartbeatSecondsPath' "
                                   "must be a positive integer");
    check_runtime_failure_at_start(timeout_paths_definition, "{\"limits\":{\"timeout\":40}}", "Task", "T",
                                   "The JSONPath '$.limits.heartbeat' specified for the field 'HeartbeatSecondsPath' "
                                   "could not be found in the input '{\"limits\":{\"timeout\":40}}'");
    check_runtime_failure_at_start(timeout_paths_definition, "{\"limits\":{\"timeout\":40,\"heartbeat\":40}}", "Task",
                                   "T", "The heartbeat (40 s) must be shorter than the timeout (40 s)");
}

/* ---- the blog's part 2: timeouts and failures published, then Fail --------------- */

#ifndef TEST_BLOG_PART2_PATH
#error "SOURCE_ROOT must be defined by meson"
#endif
#define TOPIC_ARN "arn:aws:sns:us-east-1:123456789012:LoanProcessorErrorTopic"

/* The definition in TEST_BLOG_PART2_PATH (read once, kept until exit), or NULL with a diagnostic. */
static const char *part2_definition(void)
{
    static char *text;
    size_t length;
    if (!text && !(text = test_read_file(TEST_BLOG_PART2_PATH, &length)))
        printf("# cannot open %s\n", TEST_BLOG_PART2_PATH);
    return text;
}

/* The session runs the part-2 machine: 30 s timeout, both errors published before a Fail state. */
static bool is_part2(const struct session *session)
{
    const struct state_definition *request = state_machine_find(session->machine, "RequestValuation");
    bool part2 = request && request->timeout_seconds == 30 && request->catcher_count == 2
                 && state_machine_find(session->machine, "PublishValuationServiceTimeoutError")
                 && state_machine_find(session->machine, "PublishValuationFailedError");
    if (!part2)
        printf("# %s is not the blog's part-2 state machine\n", TEST_BLOG_PART2_PATH);
    return part2;
}

/* Plays a scenario on the part-2 machine with the blog's loan application as input. */
static void run_part2(scenario play, const void *arguments)
{
    const char *definition = part2_definition();
    ASSERT_NOT_NULL(definition);
    run_scenario(definition, LOAN_INPUT, play, arguments);
}

/* How the valuation Task ends and where part 2 takes it. */
struct part2_case {
    const char *error, *cause; /* NULL error: the valuation times out */
    const char *error_output;  /* what the catcher passes on */
    const char *publish_state;
    const char *description; /* in the published message */
    const char *fail_state;  /* and the execution's error */
};

/* The valuation Task waits with the blog's Parameters and its 30 s timeout. */
static void check_part2_start(const struct session *session)
{
    const struct interpreter_step *step = &session->step;
    check_history(step, 1, NOW_MS, "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted");
    ASSERT_EQ_STR("{\"FunctionName\":\"ValuationRequestFunction\",\"Payload\":{\"taskToken\":\"token-1\","
                  "\"loanApplication\":" LOAN_INPUT "}}",
                  detail(step, 2, "taskScheduledEventDetails", "parameters"));
    check_scheduled_timeouts(step, 2, 30, 0);
    check_rest(step, "RequestValuation", 2, RESTING_TASK, 0, NULL);
}

/* The valuation's error is caught and published: the SNS Task waits. */
static void check_part2_publishing(const struct session *session, const struct part2_case *expected)
{
    const struct interpreter_step *step = &session->step;
    char parameters[1024];
    snprintf(parameters, sizeof(parameters),
             "{\"TopicArn\":\"" TOPIC_ARN "\",\"Message\":{\"description\":\"%s\",\"source\":\"" STATE_MACHINE_ARN
             "\",\"executionId\":\"" EXECUTION_ARN "\",\"executionStartTime\":\"2024-04-05T19:34:38.123Z\"}}",
             expected->description);
    check_history(step, 5, session->now_ms,
                  expected->error ? "TaskFailed TaskStateExited TaskStateEntered TaskScheduled TaskStarted"
                                  : "TaskTimedOut TaskStateExited TaskStateEntered TaskScheduled TaskStarted");
    ASSERT_EQ_STR("RequestValuation", detail(step, 1, "stateExitedEventDetails", "name"));
    ASSERT_EQ_STR(expected->error_output, detail(step, 1, "stateExitedEventDetails", "output"));
    ASSERT_EQ_STR(expected->publish_state, detail(step, 2, "stateEnteredEventDetails", "name"));
    ASSERT_EQ_STR(expected->error_output, detail(step, 2, "stateEnteredEventDetails", "input"));
    ASSERT_EQ_STR("sns", detail(step, 3, "taskScheduledEventDetails", "resourceType"));
    ASSERT_EQ_STR("publish", detail(step, 3, "taskScheduledEventDetails", "resource"));
    ASSERT_EQ_STR("eu-west-2", detail(step, 3, "taskScheduledEventDetails", "region"));
    ASSERT_EQ_STR(parameters, detail(step, 3, "taskScheduledEventDetails", "parameters"));
    check_scheduled_timeouts(step, 3, 0, 0);
    ASSERT_EQ_STR("publish", detail(step, 4, "taskStartedEventDetails", "resource"));
    check_rest(step, expected->publish_state, 7, RESTING_TASK, 0, NULL);
    ASSERT_EQ_INT(session->now_ms, step->state_entered_ms);
    ASSERT_EQ_STR(expected->error_output, step->state_input);
    ASSERT_EQ_STR("arn:aws:states:::sns:publish", step->task.resource_arn);
    ASSERT_EQ_STR("sns", step->task.resource_type);
    ASSERT_TRUE(printed_equals(step->task.parameters, parameters));
}

/* The publication succeeded: the Fail state ends the execution with its error and no cause. */
static void check_part2_end(const struct session *session, const struct part2_case *expected)
{
    const struct interpreter_step *step = &session->step;
    check_history(step, 10, session->now_ms, "TaskSucceeded TaskStateExited FailStateEntered ExecutionFailed");
    ASSERT_EQ_STR("sns", detail(step, 0, "taskSucceededEventDetails", "resourceType"));
    ASSERT_EQ_STR(expected->publish_state, detail(step, 1, "stateExitedEventDetails", "name"));
    ASSERT_EQ_STR("{\"MessageId\":\"m-1\"}", detail(step, 1, "stateExitedEventDetails", "output"));
    ASSERT_EQ_STR(expected->fail_state, detail(step, 2, "stateEnteredEventDetails", "name"));
    ASSERT_EQ_STR("{\"MessageId\":\"m-1\"}", detail(step, 2, "stateEnteredEventDetails", "input"));
    check_failed_execution(step, expected->fail_state, NULL);
}

static void play_part2(struct session *session, const void *arguments)
{
    const struct part2_case *expected = arguments;
    ASSERT_TRUE(is_part2(session));
    ASSERT_EQ_INT(0, session_start(session));
    check_part2_start(session);

    session->now_ms += 30000;
    ASSERT_EQ_INT(0, expected->error ? session_fail(session, expected->error, expected->cause)
                                     : session_time_out(session, false));
    check_part2_publishing(session, expected);

    session->now_ms += 100;
    ASSERT_EQ_INT(0, session_succeed(session, "{\"MessageId\":\"m-1\"}"));
    check_part2_end(session, expected);
}

static void test_part2_timeout_is_published_then_fails(void)
{
    static const struct part2_case expected = {
        NULL,
        NULL,
        TIMEOUT_OUTPUT,
        "PublishValuationServiceTimeoutError",
        "The valuation service timed out",
        "ValuationServiceTimedOut",
    };
    run_part2(play_part2, &expected);
}

static void test_part2_valuation_failure_is_published_then_fails(void)
{
    static const struct part2_case expected = {
        "ValuationFailed",
        "The property could not be valued",
        "{\"Error\":\"ValuationFailed\",\"Cause\":\"The property could not be valued\"}",
        "PublishValuationFailedError",
        "The valuation failed",
        "ValuationFailed",
    };
    run_part2(play_part2, &expected);
}

static void play_part2_lambda_errors_retried(struct session *session, const void *unused)
{
    const struct interpreter_step *step = &session->step;
    (void)unused;
    ASSERT_EQ_INT(0, session_start(session));
    session->now_ms += 1000;
    ASSERT_EQ_INT(0, session_fail(session, "Lambda.ServiceException", "throttled"));
    check_history(step, 5, session->now_ms, "TaskFailed");
    check_rest(step, "RequestValuation", 2, RESTING_RETRY, 2000, "1");
    session->now_ms += 2000;
    ASSERT_EQ_INT(0, session_timer_due(session));
    check_history(step, 6, session->now_ms, "TaskScheduled TaskStarted");
    check_scheduled_timeouts(step, 0, 30, 0);
    ASSERT_EQ_STR("{\"FunctionName\":\"ValuationRequestFunction\",\"Payload\":{\"taskToken\":\"token-3\","
                  "\"loanApplication\":" LOAN_INPUT "}}",
                  detail(step, 0, "taskScheduledEventDetails", "parameters"));
    ASSERT_EQ_STR("token-3", step->task.token);
    check_rest(step, "RequestValuation", 2, RESTING_TASK, 0, "1");
    session->now_ms += 1000;
    ASSERT_EQ_INT(0, session_fail(session, "Lambda.SdkClientException", "unreachable"));
    check_rest(step, "RequestValuation", 2, RESTING_RETRY, 4000, "2");
}

static void test_part2_lambda_errors_are_retried(void)
{
    run_part2(play_part2_lambda_errors_retried, NULL);
}

/* ---- Wait ------------------------------------------------------------------- */

/* Wait state W with fields (each ending with a comma), going on to the Pass state After. */
#define WAIT_MACHINE(fields) MACHINE("W", "\"W\":{\"Type\":\"Wait\"," fields "\"Next\":\"After\"}," END_PASS("After"))

struct wait_case {
    int64_t delay_ms; /* 0: the Wait passes straight through */
    const char *output;
};

static void play_wait(struct session *session, const void *arguments)
{
    const struct wait_case *expected = arguments;
    const struct interpreter_step *step = &session->step;
    ASSERT_EQ_INT(0, session_start(session));
    if (expected->delay_ms > 0) {
        check_history(step, 1, NOW_MS, "ExecutionStarted WaitStateEntered");
        check_rest(step, "W", 2, RESTING_WAIT, expected->delay_ms, NULL);
        ASSERT_EQ_INT(NOW_MS, step->state_entered_ms);
        ASSERT_EQ_STR(session->facts.input, step->state_input);
        ASSERT_NULL(step->task.token);
        session->now_ms += expected->delay_ms;
        ASSERT_EQ_INT(0, session_timer_due(session));
        check_history(step, 3, session->now_ms, "WaitStateExited PassStateEntered PassStateExited ExecutionSucceeded");
    } else {
        check_history(step, 1, NOW_MS,
                      "ExecutionStarted WaitStateEntered WaitStateExited PassStateEntered PassStateExited "
                      "ExecutionSucceeded");
    }
    int exited = event_count(step) - 4;
    ASSERT_EQ_STR("W", detail(step, exited, "stateExitedEventDetails", "name"));
    ASSERT_EQ_STR(expected->output, detail(step, exited, "stateExitedEventDetails", "output"));
    check_succeeded_execution(step, expected->output);
}

static void check_wait(const char *definition, const char *input, int64_t delay_ms, const char *output)
{
    struct wait_case expected = { delay_ms, output };
    run_scenario(definition, input, play_wait, &expected);
}

static void test_wait_seconds_rests_then_goes_on(void)
{
    check_wait(WAIT_MACHINE("\"Seconds\":5,"), SMALL_INPUT, 5000, SMALL_INPUT);
}

static void test_wait_seconds_path(void)
{
    check_wait(WAIT_MACHINE("\"SecondsPath\":\"$.delay\","), "{\"delay\":7}", 7000, "{\"delay\":7}");
}

static void test_wait_seconds_zero_passes_straight_through(void)
{
    check_wait(WAIT_MACHINE("\"Seconds\":0,"), SMALL_INPUT, 0, SMALL_INPUT);
    check_wait(WAIT_MACHINE("\"SecondsPath\":\"$.delay\","), "{\"delay\":0}", 0, "{\"delay\":0}");
}

static void test_wait_timestamp(void)
{
    /* NOW_MS is 2024-04-05T19:34:39.456Z. */
    check_wait(WAIT_MACHINE("\"Timestamp\":\"2024-04-05T19:35:00Z\","), SMALL_INPUT, 20544, SMALL_INPUT);
    check_wait(WAIT_MACHINE("\"Timestamp\":\"2024-01-01T00:00:00Z\","), SMALL_INPUT, 0, SMALL_INPUT);
    check_wait(WAIT_MACHINE("\"Timestamp\":\"2024-04-05T19:34:39.456Z\","), SMALL_INPUT, 0, SMALL_INPUT);
}

static void test_wait_timestamp_path(void)
{
    check_wait(WAIT_MACHINE("\"TimestampPath\":\"$.until\","), "{\"until\":\"2024-04-05T20:34:40.456+01:00\"}", 1000,
               "{\"until\":\"2024-04-05T20:34:40.456+01:00\"}");
    check_wait(WAIT_MACHINE("\"TimestampPath\":\"$.until\","), "{\"until\":\"2020-02-29T12:00:00Z\"}", 0,
               "{\"until\":\"2020-02-29T12:00:00Z\"}");
}

static void test_wait_input_and_output_paths(void)
{
    /* SecondsPath reads the effective input; OutputPath selects from it. */
    check_wait(WAIT_MACHINE("\"InputPath\":\"$.inner\",\"SecondsPath\":\"$.delay\",\"OutputPath\":\"$.delay\","),
               "{\"inner\":{\"delay\":2},\"x\":1}", 2000, "2");
}

static void test_wait_bad_paths_fail_with_states_runtime(void)
{
    static const char seconds_path[] = WAIT_MACHINE("\"SecondsPath\":\"$.delay\",");
    static const char timestamp_path[] = WAIT_MACHINE("\"TimestampPath\":\"$.until\",");
    static const char not_a_count[] =
        "The value selected by '$.delay' for the field 'SecondsPath' must be a non-negative integer";

    check_runtime_failure_at_start(seconds_path, "{}", "Wait", "W",
                                   "The JSONPath '$.delay' specified for the field 'SecondsPath' could not be found "
                                   "in the input '{}'");
    check_runtime_failure_at_start(seconds_path, "{\"delay\":\"5\"}", "Wait", "W", not_a_count);
    check_runtime_failure_at_start(seconds_path, "{\"delay\":-1}", "Wait", "W", not_a_count);
    check_runtime_failure_at_start(seconds_path, "{\"delay\":1.5}", "Wait", "W", not_a_count);
    check_runtime_failure_at_start(seconds_path, "{\"delay\":null}", "Wait", "W", not_a_count);
    check_runtime_failure_at_start(timestamp_path, "{\"until\":\"tomorrow\"}", "Wait", "W",
                                   "The value for the field 'TimestampPath' must be an RFC 3339 timestamp");
    check_runtime_failure_at_start(timestamp_path, "{\"until\":1712345679}", "Wait", "W",
                                   "The value for the field 'TimestampPath' must be an RFC 3339 timestamp");
    check_runtime_failure_at_start(timestamp_path, "{}", "Wait", "W",
                                   "The JSONPath '$.until' specified for the field 'TimestampPath' could not be "
                                   "found in the input '{}'");
}

/* ---- Choice ----------------------------------------------------------------- */

#define CHOICE_RULES                                                                        \
    "\"Choices\":[{\"Variable\":\"$.amount\",\"NumericGreaterThan\":100,\"Next\":\"Big\"}," \
    "{\"Variable\":\"$.kind\",\"StringEquals\":\"small\",\"Next\":\"Small\"}]"
#define CHOICE_TARGETS END_PASS("Big") "," END_PASS("Small") "," END_PASS("Other")

static const char choice_definition[] =
    MACHINE("C", "\"C\":{\"Type\":\"Choice\"," CHOICE_RULES ",\"Default\":\"Other\"}," CHOICE_TARGETS);
static const char choice_without_default_definition[] =
    MACHINE("C", "\"C\":{\"Type\":\"Choice\"," CHOICE_RULES "}," END_PASS("Big") "," END_PASS("Small"));
static const char choice_paths_definition[] =
    MACHINE("C", "\"C\":{\"Type\":\"Choice\",\"InputPath\":\"$.order\",\"OutputPath\":\"$.amount\"," CHOICE_RULES
                 ",\"Default\":\"Other\"}," CHOICE_TARGETS);

struct choice_case {
    const char *branch;
    const char *output; /* the Choice state's output */
};

static void play_choice(struct session *session, const void *arguments)
{
    const struct choice_case *expected = arguments;
    const struct interpreter_step *step = &session->step;
    ASSERT_EQ_INT(0, session_start(session));
    check_history(step, 1, NOW_MS,
                  "ExecutionStarted ChoiceStateEntered ChoiceStateExited PassStateEntered PassStateExited "
                  "ExecutionSucceeded");
    ASSERT_EQ_STR("C", detail(step, 1, "stateEnteredEventDetails", "name"));
    ASSERT_EQ_STR(session->facts.input, detail(step, 1, "stateEnteredEventDetails", "input"));
    ASSERT_EQ_STR("C", detail(step, 2, "stateExitedEventDetails", "name"));
    ASSERT_EQ_STR(expected->output, detail(step, 2, "stateExitedEventDetails", "output"));
    ASSERT_EQ_STR(expected->branch, detail(step, 3, "stateEnteredEventDetails", "name"));
    ASSERT_EQ_STR(expected->output, detail(step, 3, "stateEnteredEventDetails", "input"));
    check_succeeded_execution(step, expected->output);
}

static void check_choice(const char *definition, const char *input, const char *branch, const char *output)
{
    struct choice_case expected = { branch, output };
    run_scenario(definition, input, play_choice, &expected);
}

static void test_choice_takes_the_first_matching_rule(void)
{
    check_choice(choice_definition, "{\"amount\":500}", "Big", "{\"amount\":500}");
    check_choice(choice_definition, "{\"amount\":500,\"kind\":\"small\"}", "Big",
                 "{\"amount\":500,\"kind\":\"small\"}");
    check_choice(choice_definition, "{\"amount\":5,\"kind\":\"small\"}", "Small", "{\"amount\":5,\"kind\":\"small\"}");
}

static void test_choice_default(void)
{
    check_choice(choice_definition, "{\"amount\":5,\"kind\":\"large\"}", "Other", "{\"amount\":5,\"kind\":\"large\"}");
}

static void test_choice_input_and_output_paths(void)
{
    check_choice(choice_paths_definition, "{\"order\":{\"amount\":500},\"x\":1}", "Big", "500");
    check_choice(choice_paths_definition, "{\"order\":{\"amount\":5,\"kind\":\"small\"}}", "Small", "5");
}

static void play_no_choice_matched(struct session *session, const void *unused)
{
    (void)unused;
    ASSERT_EQ_INT(0, session_start(session));
    check_history(&session->step, 1, NOW_MS, "ExecutionStarted ChoiceStateEntered ExecutionFailed");
    check_failed_execution(&session->step, "States.NoChoiceMatched",
                           "An error occurred while executing the state 'C' (entered at the event id #2). No Choice "
                           "Rule matched the input and the state has no Default");
}

static void test_choice_without_match_or_default_fails(void)
{
    run_scenario(choice_without_default_definition, "{\"amount\":5,\"kind\":\"large\"}", play_no_choice_matched, NULL);
}

static void test_choice_variable_that_selects_nothing_fails_with_states_runtime(void)
{
    check_runtime_failure_at_start(choice_definition, "{\"amount\":5}", "Choice", "C",
                                   "Invalid path '$.kind': The choice state's condition path references an invalid "
                                   "value.");
    check_runtime_failure_at_start(choice_paths_definition, "{\"amount\":5}", "Choice", "C",
                                   "Invalid path '$.order' for the field 'InputPath': the JSONPath could not be found "
                                   "in the input '{\"amount\":5}'");
}

/* ---- Fail paths ------------------------------------------------------------- */

#define FAIL_MACHINE(fields) MACHINE("F", "\"F\":{\"Type\":\"Fail\"" fields "}")
#define FAIL_INPUT "{\"problem\":{\"name\":\"Valuation.Failed\",\"text\":\"no value\",\"code\":7}}"

struct fail_case {
    const char *error, *cause;
};

static void play_fail_state(struct session *session, const void *arguments)
{
    const struct fail_case *expected = arguments;
    ASSERT_EQ_INT(0, session_start(session));
    check_history(&session->step, 1, NOW_MS, "ExecutionStarted FailStateEntered ExecutionFailed");
    ASSERT_EQ_STR("F", detail(&session->step, 1, "stateEnteredEventDetails", "name"));
    check_failed_execution(&session->step, expected->error, expected->cause);
}

static void check_fail_paths(const char *definition, const char *error, const char *cause)
{
    struct fail_case expected = { error, cause };
    run_scenario(definition, FAIL_INPUT, play_fail_state, &expected);
}

static void test_fail_error_and_cause_paths(void)
{
    check_fail_paths(FAIL_MACHINE(",\"ErrorPath\":\"$.problem.name\",\"CausePath\":\"$.problem.text\""),
                     "Valuation.Failed", "no value");
    check_fail_paths(FAIL_MACHINE(",\"ErrorPath\":\"$.problem.name\",\"Cause\":\"fixed\""), "Valuation.Failed",
                     "fixed");
    check_fail_paths(FAIL_MACHINE(",\"Error\":\"Fixed\",\"CausePath\":\"$.problem.text\""), "Fixed", "no value");
    /* AWS-recorded: a Fail state without either gives ExecutionFailed {}. */
    check_fail_paths(FAIL_MACHINE(""), NULL, NULL);
}

static void test_fail_paths_that_select_no_string_fail_with_states_runtime(void)
{
    check_runtime_failure_at_start(FAIL_MACHINE(",\"ErrorPath\":\"$.problem.code\""), FAIL_INPUT, "Fail", "F",
                                   "The value selected by '$.problem.code' for the field 'ErrorPath' must be a "
                                   "string");
    check_runtime_failure_at_start(FAIL_MACHINE(",\"CausePath\":\"$.problem\""), FAIL_INPUT, "Fail", "F",
                                   "The value selected by '$.problem' for the field 'CausePath' must be a string");
    check_runtime_failure_at_start(FAIL_MACHINE(",\"CausePath\":\"$.missing\""), "{}", "Fail", "F",
                                   "The JSONPath '$.missing' specified for the field 'CausePath' could not be found "
                                   "in the input '{}'");
}

/* ---- ResultSelector ---------------------------------------------------------- */

static const char result_selector_definition[] =
    MACHINE("T", WAIT_TASK("T", "\"ResultSelector\":{\"value.$\":\"$.Payload.value\",\"fixed\":1,"
                                "\"entered.$\":\"$$.State.EnteredTime\"},"
                                "\"ResultPath\":\"$.result\",\"End\":true"));

#define SELECTED_RESULT "{\"Payload\":{\"value\":42,\"noise\":true},\"StatusCode\":200}"

struct result_case {
    const char *result;
    const char *output; /* NULL: States.Runtime with detail */
    const char *detail;
};

static void play_result_selector(struct session *session, const void *arguments)
{
    const struct result_case *expected = arguments;
    const struct interpreter_step *step = &session->step;
    start_task_t(session);
    session->now_ms += 5000;
    ASSERT_EQ_INT(0, session_succeed(session, expected->result));
    /* TaskSucceeded has the raw result; the selection happens before ResultPath. */
    ASSERT_EQ_STR(expected->result, detail(step, 0, "taskSucceededEventDetails", "output"));
    if (!expected->output) {
        check_history(step, 5, session->now_ms, "TaskSucceeded ExecutionFailed");
        check_runtime_failure(step, "T", 2, expected->detail);
        return;
    }
    check_history(step, 5, session->now_ms, "TaskSucceeded TaskStateExited ExecutionSucceeded");
    ASSERT_EQ_STR(expected->output, detail(step, 1, "stateExitedEventDetails", "output"));
    check_succeeded_execution(step, expected->output);
}

static void test_result_selector_applies_before_result_path(void)
{
    static const struct result_case expected = {
        SELECTED_RESULT,
        "{\"a\":1,\"result\":{\"value\":42,\"fixed\":1,\"entered\":\"2024-04-05T19:34:39.456Z\"}}",
        NULL,
    };
    run_scenario(result_selector_definition, SMALL_INPUT, play_result_selector, &expected);
}

static void test_result_selector_path_that_selects_nothing_fails(void)
{
    static const struct result_case expected = {
        "{\"StatusCode\":200}",
        NULL,
        "The JSONPath '$.Payload.value' specified for the field 'value.$' could not be found in the input "
        "'{\"StatusCode\":200}'",
    };
    run_scenario(result_selector_definition, SMALL_INPUT, play_result_selector, &expected);
}

/* ---- activities ------------------------------------------------------------- */

#define ACTIVITY_ARN "arn:aws:states:eu-west-2:123456789012:activity:Valuer"

/* A Task state on the activity ACTIVITY_ARN with more fields (the last one Next or End). */
#define ACTIVITY_TASK(name, fields) "\"" name "\":{\"Type\":\"Task\",\"Resource\":\"" ACTIVITY_ARN "\"," fields "}"

/* Activity Task T with fields (each ending with a comma), going on to the Pass state After. */
#define ACTIVITY_THEN_AFTER(fields) MACHINE("T", ACTIVITY_TASK("T", fields "\"Next\":\"After\"") "," END_PASS("After"))

static const char activity_definition[] =
    ACTIVITY_THEN_AFTER("\"InputPath\":\"$.inner\",\"Parameters\":{\"b.$\":\"$.b\",\"token.$\":\"$$.Task.Token\"},"
                        "\"TimeoutSeconds\":60,\"HeartbeatSeconds\":10,");

#define ACTIVITY_INPUT "{\"inner\":{\"b\":2}}"

static const char activity_retry_definition[] = ACTIVITY_THEN_AFTER(
    "\"Retry\":[{\"ErrorEquals\":[\"ActivityQueueFull\"],\"MaxAttempts\":1}],"
    "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"ResultPath\":\"$.error\",\"Next\":\"After\"}],");

/* An activity's events carry no resourceType/resource (nor TaskScheduled's region and parameters). */
static void check_no_task_members(const struct interpreter_step *step, int index, const char *details_member)
{
    ASSERT_TRUE(!has_detail(step, index, details_member, "resourceType"));
    ASSERT_TRUE(!has_detail(step, index, details_member, "region"));
    ASSERT_TRUE(!has_detail(step, index, details_member, "parameters"));
}

/* Starts the session on activity_definition and checks the task waits for a worker (token "token-1"). */
static void start_activity_task(struct session *session)
{
    const char *input = "{\"b\":2,\"token\":\"token-1\"}";
    const struct interpreter_step *step = &session->step;
    ASSERT_EQ_INT(0, session_start(session));
    check_history(step, 1, session->now_ms, "ExecutionStarted TaskStateEntered ActivityScheduled");
    ASSERT_EQ_STR(ACTIVITY_ARN, detail(step, 2, "activityScheduledEventDetails", "resource"));
    ASSERT_EQ_STR(input, detail(step, 2, "activityScheduledEventDetails", "input"));
    check_untruncated(step, 2, "activityScheduledEventDetails", "input");
    ASSERT_EQ_INT(60, detail_number(step, 2, "activityScheduledEventDetails", "timeoutInSeconds"));
    ASSERT_EQ_INT(10, detail_number(step, 2, "activityScheduledEventDetails", "heartbeatInSeconds"));
    check_no_task_members(step, 2, "activityScheduledEventDetails");
    check_rest(step, "T", 2, RESTING_TASK, 0, NULL);
    ASSERT_TRUE(step->task.is_activity);
    ASSERT_EQ_STR(ACTIVITY_ARN, step->task.resource_arn);
    ASSERT_EQ_STR("", step->task.resource_type);
    ASSERT_EQ_STR("token-1", step->task.token);
    ASSERT_TRUE(printed_equals(step->task.parameters, input));
    ASSERT_EQ_INT(60, step->task.timeout_seconds);
    ASSERT_EQ_INT(10, step->task.heartbeat_seconds);
}

static void play_activity_schedule(struct session *session, const void *unused)
{
    (void)unused;
    start_activity_task(session);
}

static void test_activity_task_is_scheduled_for_its_workers(void)
{
    run_scenario(activity_definition, ACTIVITY_INPUT, play_activity_schedule, NULL);
}

static void check_started_by_valuer(const struct interpreter_step *step)
{
    check_history(step, 4, NOW_MS + 1000, "ActivityStarted");
    ASSERT_EQ_STR("valuer-1", detail(step, 0, "activityStartedEventDetails", "workerName"));
    /* Only an event: the Task keeps waiting where it was. */
    ASSERT_EQ_INT(EXECUTION_RUNNING, step->status);
    ASSERT_NULL(step->state_name);
    ASSERT_TRUE(!step->has_task);
}

static void check_started_without_a_name(const struct interpreter_step *step)
{
    const cJSON *details = cJSON_GetObjectItemCaseSensitive(event_at(step, 0), "activityStartedEventDetails");
    check_history(step, 4, NOW_MS + 1000, "ActivityStarted");
    ASSERT_TRUE(printed_equals(details, "{}"));
}

static void play_activity_started_then_succeeded(struct session *session, const void *arguments)
{
    const char *worker_name = arguments;
    struct step_call started = { .entry = ENTRY_ACTIVITY_STARTED, .worker_name = worker_name };
    start_activity_task(session);
    session->now_ms += 1000;
    ASSERT_EQ_INT(
        0, session_append(session, &started, worker_name ? check_started_by_valuer : check_started_without_a_name));
    session->now_ms += 1000;
    ASSERT_EQ_INT(0, session_succeed(session, "{\"value\":7}"));
    check_history(&session->step, 5, session->now_ms,
                  "ActivitySucceeded TaskStateExited PassStateEntered PassStateExited ExecutionSucceeded");
    ASSERT_EQ_STR("{\"value\":7}", detail(&session->step, 0, "activitySucceededEventDetails", "output"));
    check_untruncated(&session->step, 0, "activitySucceededEventDetails", "output");
    check_no_task_members(&session->step, 0, "activitySucceededEventDetails");
    check_succeeded_execution(&session->step, "{\"value\":7}");
}

static void test_activity_started_then_succeeded(void)
{
    run_scenario(activity_definition, ACTIVITY_INPUT, play_activity_started_then_succeeded, "valuer-1");
    run_scenario(activity_definition, ACTIVITY_INPUT, play_activity_started_then_succeeded, NULL);
}

static void play_activity_failed(struct session *session, const void *unused)
{
    (void)unused;
    start_activity_task(session);
    ASSERT_EQ_INT(0, session_fail(session, "Programmatic Error", "it broke"));
    check_history(&session->step, 4, session->now_ms, "ActivityFailed ExecutionFailed");
    ASSERT_EQ_STR("Programmatic Error", detail(&session->step, 0, "activityFailedEventDetails", "error"));
    ASSERT_EQ_STR("it broke", detail(&session->step, 0, "activityFailedEventDetails", "cause"));
    check_no_task_members(&session->step, 0, "activityFailedEventDetails");
    check_failed_execution(&session->step, "Programmatic Error", "it broke");
}

static void play_activity_timed_out(struct session *session, const void *unused)
{
    (void)unused;
    start_activity_task(session);
    ASSERT_EQ_INT(0, session_time_out(session, true));
    check_history(&session->step, 4, session->now_ms, "ActivityTimedOut ExecutionFailed");
    ASSERT_EQ_STR("States.Timeout", detail(&session->step, 0, "activityTimedOutEventDetails", "error"));
    ASSERT_TRUE(!has_detail(&session->step, 0, "activityTimedOutEventDetails", "cause"));
    check_no_task_members(&session->step, 0, "activityTimedOutEventDetails");
    check_failed_execution(&session->step, "States.Timeout", NULL);
}

static void test_activity_failed_and_timed_out_are_activity_events(void)
{
    run_scenario(activity_definition, ACTIVITY_INPUT, play_activity_failed, NULL);
    run_scenario(activity_definition, ACTIVITY_INPUT, play_activity_timed_out, NULL);
}

/* AWS's cause when the activity of state T (entered at event 2) does not exist. */
#define MISSING_ACTIVITY_DETAIL "The activity " ACTIVITY_ARN " does not exist."

static void play_activity_missing_at_start(struct session *session, const void *unused)
{
    struct step_call start = { .entry = ENTRY_START, .environment = { .missing_activity = ACTIVITY_ARN } };
    (void)unused;
    ASSERT_EQ_INT(0, session_advance(session, &start));
    check_history(&session->step, 1, session->now_ms, "ExecutionStarted TaskStateEntered ExecutionFailed");
    check_runtime_failure(&session->step, "T", 2, MISSING_ACTIVITY_DETAIL);
}

static void play_other_activity_missing(struct session *session, const void *unused)
{
    struct step_call start = {
        .entry = ENTRY_START,
        .environment = { .missing_activity = "arn:aws:states:eu-west-2:123456789012:activity:Other" },
    };
    (void)unused;
    ASSERT_EQ_INT(0, session_advance(session, &start));
    check_history(&session->step, 1, session->now_ms, "ExecutionStarted TaskStateEntered ActivityScheduled");
}

static void play_activity_missing_when_queued(struct session *session, const void *unused)
{
    struct step_call missing = { .entry = ENTRY_ACTIVITY_MISSING };
    (void)unused;
    start_activity_task(session);
    ASSERT_EQ_INT(0, session_advance(session, &missing));
    check_history(&session->step, 4, session->now_ms, "ExecutionFailed");
    check_runtime_failure(&session->step, "T", 2, MISSING_ACTIVITY_DETAIL);
}

static void test_missing_activity_fails_with_states_runtime(void)
{
    run_scenario(activity_definition, ACTIVITY_INPUT, play_activity_missing_at_start, NULL);
    run_scenario(activity_definition, ACTIVITY_INPUT, play_other_activity_missing, NULL);
    run_scenario(activity_definition, ACTIVITY_INPUT, play_activity_missing_when_queued, NULL);
}

static void play_schedule_failed_retried_then_caught(struct session *session, const void *unused)
{
    struct step_call full = { .entry = ENTRY_ACTIVITY_SCHEDULE_FAILED, .error = "ActivityQueueFull", .cause = "full" };
    const char *output = "{\"a\":1,\"error\":{\"Error\":\"ActivityQueueFull\",\"Cause\":\"full\"}}";
    (void)unused;
    ASSERT_EQ_INT(0, session_start(session));
    check_history(&session->step, 1, session->now_ms, "ExecutionStarted TaskStateEntered ActivityScheduled");
    ASSERT_EQ_INT(0, session_advance(session, &full));
    check_history(&session->step, 4, session->now_ms, "ActivityScheduleFailed");
    ASSERT_EQ_STR("ActivityQueueFull", detail(&session->step, 0, "activityScheduleFailedEventDetails", "error"));
    ASSERT_EQ_STR("full", detail(&session->step, 0, "activityScheduleFailedEventDetails", "cause"));
    check_rest(&session->step, "T", 2, RESTING_RETRY, 1000, "1");
    ASSERT_EQ_INT(0, session_timer_due(session));
    check_history(&session->step, 5, session->now_ms, "ActivityScheduled");
    check_rest(&session->step, "T", 2, RESTING_TASK, 0, "1");
    ASSERT_EQ_INT(0, session_advance(session, &full));
    check_history(&session->step, 6, session->now_ms,
                  "ActivityScheduleFailed TaskStateExited PassStateEntered PassStateExited ExecutionSucceeded");
    check_succeeded_execution(&session->step, output);
}

static void test_activity_schedule_failure_is_retried_and_caught(void)
{
    run_scenario(activity_retry_definition, SMALL_INPUT, play_schedule_failed_retried_then_caught, NULL);
}

static void test_activity_entry_points_need_a_waiting_activity_task(void)
{
    const char *service_definition = TASK_THEN_AFTER("");
    struct execution_position waiting = { 3, "T", 2, NOW_MS, "{}", RESTING_TASK, NULL };
    struct execution_position retrying = { 3, "T", 2, NOW_MS, "{}", RESTING_RETRY, "1" };

    ASSERT_EQ_INT(-EINVAL, call_at(activity_definition, ENTRY_TASK_SUBMITTED, &waiting));
    ASSERT_EQ_INT(-EINVAL, call_at(service_definition, ENTRY_ACTIVITY_STARTED, &waiting));
    ASSERT_EQ_INT(-EINVAL, call_at(service_definition, ENTRY_ACTIVITY_MISSING, &waiting));
    ASSERT_EQ_INT(-EINVAL, call_at(service_definition, ENTRY_ACTIVITY_SCHEDULE_FAILED, &waiting));
    ASSERT_EQ_INT(-EINVAL, call_at(activity_definition, ENTRY_ACTIVITY_STARTED, &retrying));
    ASSERT_EQ_INT(-EINVAL, call_at(activity_definition, ENTRY_ACTIVITY_MISSING, &retrying));
    ASSERT_EQ_INT(0, call_at(activity_definition, ENTRY_ACTIVITY_STARTED, &waiting));
    ASSERT_EQ_INT(0, call_at(activity_definition, ENTRY_ACTIVITY_MISSING, &waiting));
    ASSERT_EQ_INT(0, call_at(activity_definition, ENTRY_ACTIVITY_SCHEDULE_FAILED, &waiting));
    ASSERT_EQ_INT(0, call_at(activity_definition, ENTRY_TASK_SUCCEEDED, &waiting));
}

/* ---- allocation failures ------------------------------------------------------ */

static bool same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static char *print_or_null(const cJSON *document)
{
    return document ? cJSON_PrintUnformatted(document) : NULL;
}

/* Whether two steps say the same: history, outcome, resting point and task (report: print the histories if not). */
static bool same_step(const struct interpreter_step *a, const struct interpreter_step *b, bool report)
{
    char *events_a = print_or_null(a->history.events), *events_b = print_or_null(b->history.events);
    char *parameters_a = print_or_null(a->task.parameters), *parameters_b = print_or_null(b->task.parameters);
    bool same = events_a && events_b && strcmp(events_a, events_b) == 0 && same_text(parameters_a, parameters_b)
                && a->status == b->status && same_text(a->output, b->output) && same_text(a->error, b->error)
                && same_text(a->cause, b->cause) && same_text(a->state_name, b->state_name)
                && a->state_entered_event_id == b->state_entered_event_id && a->state_entered_ms == b->state_entered_ms
                && same_text(a->state_input, b->state_input) && a->resting == b->resting && a->delay_ms == b->delay_ms
                && same_text(a->retry_counts, b->retry_counts) && a->has_task == b->has_task
                && same_text(a->task.token, b->task.token) && a->task.timeout_seconds == b->task.timeout_seconds
                && a->task.heartbeat_seconds == b->task.heartbeat_seconds;
    if (!same && report)
        printf("# expected %s\n#      got %s\n", events_a ? events_a : "(null)", events_b ? events_b : "(null)");
    cJSON_free(events_a);
    cJSON_free(events_b);
    cJSON_free(parameters_a);
    cJSON_free(parameters_b);
    return same;
}

/* How allocation failures are injected: every cJSON allocation from the n-th on, or the n-th alone. */
enum failure_mode { FAIL_FROM_THEN_ON, FAIL_ONLY_ONE };

/* Allocations before the one that fails in FAIL_ONLY_ONE mode; negative once it has failed or when disarmed. */
static long allocations_before_lone_failure = -1;

static void *lone_failure_malloc(size_t size)
{
    if (allocations_before_lone_failure-- == 0)
        return NULL;
    return malloc(size);
}

static void arm_allocation_failure(enum failure_mode mode, long allowed)
{
    cJSON_Hooks hooks = { .malloc_fn = lone_failure_malloc, .free_fn = free };
    if (mode == FAIL_FROM_THEN_ON) {
        use_failing_allocator(allowed);
        return;
    }
    allocations_before_lone_failure = allowed;
    cJSON_InitHooks(&hooks);
}

/* Disarms the failures; whether one was injected since arm_allocation_failure(). */
static bool disarm_allocation_failure(enum failure_mode mode)
{
    bool injected = mode == FAIL_FROM_THEN_ON ? allocations_before_failure == 0 : allocations_before_lone_failure < 0;
    allocations_before_lone_failure = -1;
    use_normal_allocator();
    return injected;
}

/*
 * Makes call from the session's position with cJSON's allocations failing
 * (as mode says) after 0, 1, 2, ... successes, until one run needs no more:
 * every run must return -ENOMEM, or 0 with the very step made without
 * failures (and, under ASan, leak nothing). Leaves the session where it was.
 */
static void check_call_under_allocation_failures(struct session *session, const struct step_call *call,
                                                 enum failure_mode mode)
{
    struct interpreter_step reference, attempt;
    int reference_rc = session_invoke(session, call, &reference);
    long failed_runs = 0, bad_runs = 0;
    bool done = false;
    for (long allowed = 0; reference_rc == 0 && !done && allowed < 100000; allowed++) {
        arm_allocation_failure(mode, allowed);
        int rc = session_invoke(session, call, &attempt);
        bool failure_injected = disarm_allocation_failure(mode);
        if (rc == -ENOMEM) {
            failed_runs++;
        } else if (rc != 0 || !same_step(&reference, &attempt, bad_runs == 0)) {
            bad_runs++;
            printf("# entry %d, allocation %ld failing%s: rc %d, %s%s%.60s\n", (int)call->entry, allowed,
                   mode == FAIL_ONLY_ONE ? " alone" : " on", rc, interpreter_status_name(attempt.status),
                   attempt.error ? " " : "", attempt.error ? attempt.error : "");
        }
        done = rc == 0 && !failure_injected;
        interpreter_step_release(&attempt);
    }
    interpreter_step_release(&reference);
    ASSERT_EQ_INT(0, reference_rc);
    ASSERT_TRUE(done);
    ASSERT_TRUE(failed_runs > 0);
    ASSERT_EQ_INT(0, bad_runs);
}

struct call_list {
    const struct step_call *calls;
    size_t count;
    enum failure_mode mode;
};

/* Each call in turn, checked under allocation failures, then made for real. */
static void play_calls_under_allocation_failures(struct session *session, const void *arguments)
{
    const struct call_list *list = arguments;
    for (size_t i = 0; i < list->count; i++) {
        check_call_under_allocation_failures(session, &list->calls[i], list->mode);
        session->now_ms += 1000;
        ASSERT_EQ_INT(0, session_advance(session, &list->calls[i]));
    }
}

static void check_allocation_failures_in(enum failure_mode mode, const char *definition, const char *input,
                                         const struct step_call *calls, size_t count)
{
    struct call_list list = { calls, count, mode };
    run_scenario(definition, input, play_calls_under_allocation_failures, &list);
}

static void check_allocation_failures(const char *definition, const char *input, const struct step_call *calls,
                                      size_t count)
{
    check_allocation_failures_in(FAIL_FROM_THEN_ON, definition, input, calls, count);
}

#define CHECK_ALLOCATION_FAILURES(definition, input, calls) \
    check_allocation_failures((definition), (input), (calls), sizeof(calls) / sizeof((calls)[0]))

static const struct step_call start_call = { .entry = ENTRY_START };

static void test_allocation_failures_in_retry_and_catch(void)
{
    static const struct step_call calls[] = {
        { .entry = ENTRY_START },
        { .entry = ENTRY_TASK_FAILED, .error = "Transient", .cause = FAILURE_CAUSE },
        { .entry = ENTRY_TIMER_DUE },
        { .entry = ENTRY_TASK_FAILED, .error = "Transient", .cause = FAILURE_CAUSE },
    };
    static const struct step_call merge[] = {
        { .entry = ENTRY_START },
        { .entry = ENTRY_TASK_FAILED, .error = "Merge", .cause = NULL },
    };
    CHECK_ALLOCATION_FAILURES(retriers_definition, SMALL_INPUT, calls);
    CHECK_ALLOCATION_FAILURES(catch_definition, SMALL_INPUT, merge);
}

static void test_allocation_failures_in_timeouts(void)
{
    static const struct step_call part2[] = {
        { .entry = ENTRY_START },
        { .entry = ENTRY_TASK_TIMED_OUT },
        { .entry = ENTRY_TASK_SUCCEEDED, .output = "{\"MessageId\":\"m-1\"}" },
    };
    static const struct step_call paths[] = {
        { .entry = ENTRY_START },
        { .entry = ENTRY_TASK_TIMED_OUT, .heartbeat = true },
    };
    const char *definition = part2_definition();
    ASSERT_NOT_NULL(definition);
    CHECK_ALLOCATION_FAILURES(definition, LOAN_INPUT, part2);
    CHECK_ALLOCATION_FAILURES(timeout_paths_definition, "{\"limits\":{\"timeout\":40,\"heartbeat\":5}}", paths);
}

static void test_allocation_failures_in_wait(void)
{
    static const struct step_call rest_then_go[] = { { .entry = ENTRY_START }, { .entry = ENTRY_TIMER_DUE } };
    CHECK_ALLOCATION_FAILURES(WAIT_MACHINE("\"Seconds\":5,"), SMALL_INPUT, rest_then_go);
    CHECK_ALLOCATION_FAILURES(WAIT_MACHINE("\"InputPath\":\"$.inner\",\"TimestampPath\":\"$.until\","),
                              "{\"inner\":{\"until\":\"2024-04-05T19:35:00Z\"}}", rest_then_go);
    check_allocation_failures(WAIT_MACHINE("\"Timestamp\":\"2024-01-01T00:00:00Z\","), SMALL_INPUT, &start_call, 1);
}

static void test_allocation_failures_in_choice_fail_and_result_selector(void)
{
    static const struct step_call selected[] = {
        { .entry = ENTRY_START },
        { .entry = ENTRY_TASK_SUCCEEDED, .output = SELECTED_RESULT },
    };
    check_allocation_failures(choice_definition, "{\"amount\":5,\"kind\":\"small\"}", &start_call, 1);
    check_allocation_failures(choice_paths_definition, "{\"order\":{\"amount\":500}}", &start_call, 1);
    check_allocation_failures(choice_without_default_definition, "{\"amount\":5,\"kind\":\"large\"}", &start_call, 1);
    check_allocation_failures(FAIL_MACHINE(",\"ErrorPath\":\"$.problem.name\",\"CausePath\":\"$.problem.text\""),
                              FAIL_INPUT, &start_call, 1);
    CHECK_ALLOCATION_FAILURES(result_selector_definition, SMALL_INPUT, selected);
}

static void test_allocation_failures_in_a_task_with_input_path(void)
{
    static const struct step_call calls[] = { { .entry = ENTRY_START } };
    CHECK_ALLOCATION_FAILURES(TASK_THEN_AFTER("\"InputPath\":\"$.inner\",\"TimeoutSecondsPath\":\"$.timeout\","),
                              "{\"inner\":{\"timeout\":9}}", calls);
}

static void test_allocation_failures_in_activity_tasks(void)
{
    static const struct step_call started[] = {
        { .entry = ENTRY_START },
        { .entry = ENTRY_ACTIVITY_STARTED, .worker_name = "valuer-1" },
    };
    static const struct step_call succeeded[] = {
        { .entry = ENTRY_START },
        { .entry = ENTRY_TASK_SUCCEEDED, .output = "{\"value\":7}" },
    };
    static const struct step_call missing[] = {
        { .entry = ENTRY_START, .environment = { .missing_activity = ACTIVITY_ARN } },
    };
    static const struct step_call missing_later[] = { { .entry = ENTRY_START }, { .entry = ENTRY_ACTIVITY_MISSING } };
    static const struct step_call schedule_failed[] = {
        { .entry = ENTRY_START },
        { .entry = ENTRY_ACTIVITY_SCHEDULE_FAILED, .error = "ActivityQueueFull", .cause = "full" },
        { .entry = ENTRY_TIMER_DUE },
        { .entry = ENTRY_ACTIVITY_SCHEDULE_FAILED, .error = "ActivityQueueFull", .cause = "full" },
    };
    CHECK_ALLOCATION_FAILURES(activity_definition, ACTIVITY_INPUT, started);
    CHECK_ALLOCATION_FAILURES(activity_definition, ACTIVITY_INPUT, succeeded);
    CHECK_ALLOCATION_FAILURES(activity_definition, ACTIVITY_INPUT, missing);
    CHECK_ALLOCATION_FAILURES(activity_definition, ACTIVITY_INPUT, missing_later);
    CHECK_ALLOCATION_FAILURES(activity_retry_definition, SMALL_INPUT, schedule_failed);
}

/*
 * One allocation failing alone (the next ones succeeding) must still give
 * -ENOMEM: it must not turn into a States.Runtime failure of the execution
 * or an event that lacks a member.
 */
static void test_a_lone_allocation_failure_gives_enomem(void)
{
    static const struct step_call calls[] = {
        { .entry = ENTRY_START },
        { .entry = ENTRY_TASK_SUCCEEDED, .output = "{\"done\":true}" },
    };
    check_allocation_failures_in(FAIL_ONLY_ONE, TASK_THEN_AFTER("\"InputPath\":\"$.inner\","), "{\"inner\":{\"b\":2}}",
                                 calls, 2);
    check_allocation_failures_in(FAIL_ONLY_ONE, WAIT_MACHINE("\"InputPath\":\"$.inner\",\"SecondsPath\":\"$.s\","),
                                 "{\"inner\":{\"s\":3}}", calls, 1);
}

/* ---- intrinsic functions ------------------------------------------------------ */

/* The caller's source of random bytes for States.UUID: always 0x5a, so that steps can be compared. */
static int fixed_random_bytes(void *buffer, size_t length)
{
    memset(buffer, 0x5a, length);
    return 0;
}

#define FIXED_UUID "5a5a5a5a-5a5a-4a5a-9a5a-5a5a5a5a5a5a"

/* The cause AWS gives an error a state raises itself: its wording around detail. */
#define STATE_CAUSE(state, id, detail) \
    "An error occurred while executing the state '" state "' (entered at the event id #" #id "). " detail

static const char intrinsic_pass_definition[] =
    MACHINE("P", "\"P\":{\"Type\":\"Pass\",\"Parameters\":{\"greeting.$\":\"States.Format('Hello, {}.', $.name)\","
                 "\"id.$\":\"States.UUID()\",\"hash.$\":\"States.Hash($.name, "
                 "'MD5')\",\"run.$\":\"States.Array($$.Execution.Name)\"},"
                 "\"End\":true}");

static const char bad_json_pass_definition[] = MACHINE(
    "P", "\"P\":{\"Type\":\"Pass\",\"Parameters\":{\"parsed.$\":\"States.StringToJson($.text)\"},\"End\":true}");

static const char missing_argument_pass_definition[] =
    MACHINE("P", "\"P\":{\"Type\":\"Pass\",\"Parameters\":{\"v.$\":\"States.Format('{}', $.nope)\"},\"End\":true}");

/* A Task whose Parameters fail with States.IntrinsicFailure; a catcher takes it to After. */
static const char intrinsic_catch_definition[] =
    MACHINE("T", WAIT_TASK("T", "\"Parameters\":{\"n.$\":\"States.MathAdd($.a, 'one')\"},"
                                "\"Catch\":[{\"ErrorEquals\":[\"States.IntrinsicFailure\"],\"ResultPath\":\"$.error\","
                                "\"Next\":\"After\"}],\"End\":true") "," END_PASS("After"));

static const char intrinsic_uncaught_definition[] =
    MACHINE("T", WAIT_TASK("T", "\"Parameters\":{\"n.$\":\"States.MathAdd($.a, 'one')\"},\"End\":true"));

static const char intrinsic_retry_definition[] = MACHINE(
    "T", WAIT_TASK("T", "\"Parameters\":{\"n.$\":\"States.MathAdd($.a, 'one')\"},"
                        "\"Retry\":[{\"ErrorEquals\":[\"States.ALL\"],\"IntervalSeconds\":2,\"MaxAttempts\":1}],"
                        "\"End\":true"));

static const char result_selector_intrinsic_definition[] = MACHINE(
    "T",
    WAIT_TASK("T",
              "\"ResultSelector\":{\"v.$\":\"States.ArrayGetItem($.list, 5)\"},"
              "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"After\"}],\"End\":true") "," END_PASS("After"));

#define MATH_ADD_FAILURE                                                                                       \
    "The function 'States.MathAdd($.a, 'one')' had the following error: Invalid arguments in States.MathAdd: " \
    "argument 2 must be an integer, not a string"

/* Starts definition on input with the fixed random source and runs check on the step. */
static int start_with_randomness(const char *definition, const char *input, step_check check)
{
    struct execution_facts execution_facts = facts;
    struct step_call call = {
        .entry = ENTRY_START,
        .facts = &execution_facts,
        .environment = { NOW_MS, TOKEN, 0, fixed_random_bytes },
    };
    execution_facts.input = input;
    return call_and_check(definition, &call, check);
}

static void check_intrinsic_pass(const struct interpreter_step *step)
{
    check_history(step, 1, NOW_MS, "ExecutionStarted PassStateEntered PassStateExited ExecutionSucceeded");
    check_succeeded_execution(step, "{\"greeting\":\"Hello, Arnav.\",\"id\":\"" FIXED_UUID "\","
                                    "\"hash\":\"af80e83aac905456e5ecdf7bdf306cea\",\"run\":[\"run-1\"]}");
}

static void test_pass_parameters_call_intrinsic_functions(void)
{
    ASSERT_EQ_INT(0, start_with_randomness(intrinsic_pass_definition, "{\"name\":\"Arnav\"}", check_intrinsic_pass));
}

static void check_bad_json_pass(const struct interpreter_step *step)
{
    check_history(step, 1, NOW_MS, "ExecutionStarted PassStateEntered ExecutionFailed");
    check_failed_execution(step, "States.IntrinsicFailure",
                           STATE_CAUSE("P", 2,
                                       "The function 'States.StringToJson($.text)' had the following error: "
                                       "Invalid arguments in States.StringToJson: the string is not a JSON "
                                       "text"));
}

static void check_missing_argument_pass(const struct interpreter_step *step)
{
    check_history(step, 1, NOW_MS, "ExecutionStarted PassStateEntered ExecutionFailed");
    check_runtime_failure(step, "P", 2,
                          "The function 'States.Format('{}', $.nope)' had the following error: The JsonPath argument "
                          "for the field '$.nope' could not be found in the input '{\"a\":1}'");
}

/* An intrinsic failure fails a Pass state with States.IntrinsicFailure; a path it cannot find, with States.Runtime. */
static void test_pass_intrinsic_failures(void)
{
    ASSERT_EQ_INT(0, start_with_randomness(bad_json_pass_definition, "{\"text\":\"{oops\"}", check_bad_json_pass));
    ASSERT_EQ_INT(0, start_with_randomness(missing_argument_pass_definition, SMALL_INPUT, check_missing_argument_pass));
}

static void check_intrinsic_caught(const struct interpreter_step *step)
{
    const char *output = "{\"a\":1,\"error\":{\"Error\":\"States.IntrinsicFailure\","
                         "\"Cause\":\"" STATE_CAUSE("T", 2, MATH_ADD_FAILURE) "\"}}";
    check_history(step, 1, NOW_MS,
                  "ExecutionStarted TaskStateEntered TaskStateExited PassStateEntered PassStateExited "
                  "ExecutionSucceeded");
    ASSERT_EQ_STR(output, detail(step, 2, "stateExitedEventDetails", "output"));
    check_succeeded_execution(step, output);
    ASSERT_NULL(step->task.token);
    ASSERT_NULL(step->task.parameters);
}

static void check_intrinsic_uncaught(const struct interpreter_step *step)
{
    check_history(step, 1, NOW_MS, "ExecutionStarted TaskStateEntered ExecutionFailed");
    check_failed_execution(step, "States.IntrinsicFailure", STATE_CAUSE("T", 2, MATH_ADD_FAILURE));
}

/* A Task's Parameters that fail raise States.IntrinsicFailure before any TaskScheduled; Catch handles it. */
static void test_task_parameters_intrinsic_failure_is_caught(void)
{
    ASSERT_EQ_INT(0, start_with_randomness(intrinsic_catch_definition, SMALL_INPUT, check_intrinsic_caught));
    ASSERT_EQ_INT(0, start_with_randomness(intrinsic_uncaught_definition, SMALL_INPUT, check_intrinsic_uncaught));
}

static void play_intrinsic_retry(struct session *session, const void *arguments)
{
    (void)arguments;
    ASSERT_EQ_INT(0, session_start(session));
    check_history(&session->step, 1, session->now_ms, "ExecutionStarted TaskStateEntered");
    check_rest(&session->step, "T", 2, RESTING_RETRY, 2000, "1");
    ASSERT_NULL(session->step.task.token);
    session->now_ms += 2000;
    ASSERT_EQ_INT(0, session_timer_due(session));
    check_history(&session->step, 3, session->now_ms, "ExecutionFailed");
    check_failed_execution(&session->step, "States.IntrinsicFailure", STATE_CAUSE("T", 2, MATH_ADD_FAILURE));
}

/* Retry sees States.IntrinsicFailure too (States.ALL matches it); the attempt after the interval fails alike. */
static void test_task_parameters_intrinsic_failure_is_retried(void)
{
    run_scenario(intrinsic_retry_definition, SMALL_INPUT, play_intrinsic_retry, NULL);
}

static void play_result_selector_intrinsic(struct session *session, const void *arguments)
{
    const char *output = "{\"Error\":\"States.IntrinsicFailure\",\"Cause\":\"" STATE_CAUSE(
        "T", 2,
        "The function 'States.ArrayGetItem($.list, 5)' had the following error: Invalid arguments in "
        "States.ArrayGetItem: the index 5 is out of bounds for an array of 1 items") "\"}";
    (void)arguments;
    start_task_t(session);
    ASSERT_EQ_INT(0, session_succeed(session, "{\"list\":[1]}"));
    check_caught(&session->step, 5, session->now_ms, "TaskSucceeded", output);
}

/* An intrinsic failure in ResultSelector is the Task's error: its Catch takes it. */
static void test_result_selector_intrinsic_failure_is_caught(void)
{
    run_scenario(result_selector_intrinsic_definition, SMALL_INPUT, play_result_selector_intrinsic, NULL);
}

static void test_allocation_failures_in_intrinsic_functions(void)
{
    static const struct step_call random_start[] = {
        { .entry = ENTRY_START, .environment = { 0, NULL, 0, fixed_random_bytes } },
    };
    static const struct step_call retried[] = { { .entry = ENTRY_START }, { .entry = ENTRY_TIMER_DUE } };
    static const struct step_call selected[] = {
        { .entry = ENTRY_START },
        { .entry = ENTRY_TASK_SUCCEEDED, .output = "{\"list\":[1]}" },
    };
    CHECK_ALLOCATION_FAILURES(intrinsic_pass_definition, "{\"name\":\"Arnav\"}", random_start);
    CHECK_ALLOCATION_FAILURES(intrinsic_catch_definition, SMALL_INPUT, random_start);
    CHECK_ALLOCATION_FAILURES(intrinsic_retry_definition, SMALL_INPUT, retried);
    CHECK_ALLOCATION_FAILURES(result_selector_intrinsic_definition, SMALL_INPUT, selected);
    check_allocation_failures_in(FAIL_ONLY_ONE, intrinsic_catch_definition, SMALL_INPUT, random_start, 1);
    check_allocation_failures_in(FAIL_ONLY_ONE, intrinsic_pass_definition, "{\"name\":\"Arnav\"}", random_start, 1);
}

int main(void)
{
    RUN(test_start_schedules_the_valuation_task);
    RUN(test_submitted_then_succeeded_ends_the_execution);
    RUN(test_task_failed_fails_the_execution);
    RUN(test_task_results_need_a_waiting_task);
    RUN(test_task_result_path_then_next_state);
    RUN(test_task_succeeded_enters_the_next_task_with_the_fresh_token);
    RUN(test_output_path_that_selects_nothing_fails_after_the_task);
    RUN(test_pass_with_result_and_result_path_then_succeed);
    RUN(test_pass_input_output_and_null_result_paths);
    RUN(test_fail_state_fails_with_its_error_and_cause);
    RUN(test_input_path_that_selects_nothing_fails_with_states_runtime);
    RUN(test_pass_input_path_that_selects_nothing_fails);
    RUN(test_cdk_double_suffix_mistake_fails_with_states_runtime);
    RUN(test_parameters_path_that_selects_nothing_fails);
    RUN(test_pass_loop_is_stopped);
    RUN(test_context_object_reaches_task_parameters);
    RUN(test_context_object_in_pass_parameters_has_no_task);
    RUN(test_status_names);
    RUN(test_resting_names);
    RUN(test_release_is_safe_on_a_zeroed_step);
    /* Retry */
    RUN(test_retry_rests_then_starts_a_new_attempt_with_backoff);
    RUN(test_retry_delay_is_capped_by_max_delay_seconds);
    RUN(test_retry_with_full_jitter_scales_the_delay);
    RUN(test_only_the_first_matching_retrier_applies);
    RUN(test_max_attempts_zero_never_retries);
    RUN(test_wildcard_retrier_takes_other_errors);
    RUN(test_states_runtime_is_neither_retried_nor_caught);
    RUN(test_task_submitted_takes_the_machine_and_adds_one_event);
    /* Catch */
    RUN(test_catch_default_result_path_replaces_the_input);
    RUN(test_catch_result_path_merges_the_error_into_the_input);
    RUN(test_catch_null_result_path_keeps_the_input);
    RUN(test_catch_all_takes_a_failure_without_error_or_cause);
    RUN(test_catch_task_failed_takes_task_errors);
    RUN(test_catch_all_never_takes_states_runtime);
    RUN(test_catch_result_path_on_an_input_that_is_not_an_object);
    /* timeouts */
    RUN(test_timeout_without_catch_fails_the_execution);
    RUN(test_states_timeout_catches_both_timeouts);
    RUN(test_heartbeat_timeout_catches_only_a_missed_heartbeat);
    RUN(test_task_failed_does_not_catch_a_timeout);
    RUN(test_timeout_can_be_retried);
    RUN(test_timeout_paths_are_resolved_from_the_input);
    RUN(test_bad_timeout_paths_fail_with_states_runtime);
    /* the blog's part 2 */
    RUN(test_part2_timeout_is_published_then_fails);
    RUN(test_part2_valuation_failure_is_published_then_fails);
    RUN(test_part2_lambda_errors_are_retried);
    /* Wait */
    RUN(test_wait_seconds_rests_then_goes_on);
    RUN(test_wait_seconds_path);
    RUN(test_wait_seconds_zero_passes_straight_through);
    RUN(test_wait_timestamp);
    RUN(test_wait_timestamp_path);
    RUN(test_wait_input_and_output_paths);
    RUN(test_wait_bad_paths_fail_with_states_runtime);
    /* Choice */
    RUN(test_choice_takes_the_first_matching_rule);
    RUN(test_choice_default);
    RUN(test_choice_input_and_output_paths);
    RUN(test_choice_without_match_or_default_fails);
    RUN(test_choice_variable_that_selects_nothing_fails_with_states_runtime);
    /* Fail paths, ResultSelector */
    RUN(test_fail_error_and_cause_paths);
    RUN(test_fail_paths_that_select_no_string_fail_with_states_runtime);
    RUN(test_result_selector_applies_before_result_path);
    RUN(test_result_selector_path_that_selects_nothing_fails);
    /* activities */
    RUN(test_activity_task_is_scheduled_for_its_workers);
    RUN(test_activity_started_then_succeeded);
    RUN(test_activity_failed_and_timed_out_are_activity_events);
    RUN(test_missing_activity_fails_with_states_runtime);
    RUN(test_activity_schedule_failure_is_retried_and_caught);
    RUN(test_activity_entry_points_need_a_waiting_activity_task);
    /* allocation failures */
    RUN(test_allocation_failures_in_retry_and_catch);
    RUN(test_allocation_failures_in_timeouts);
    RUN(test_allocation_failures_in_wait);
    RUN(test_allocation_failures_in_choice_fail_and_result_selector);
    RUN(test_allocation_failures_in_a_task_with_input_path);
    RUN(test_allocation_failures_in_activity_tasks);
    RUN(test_a_lone_allocation_failure_gives_enomem);
    /* intrinsic functions */
    RUN(test_pass_parameters_call_intrinsic_functions);
    RUN(test_pass_intrinsic_failures);
    RUN(test_task_parameters_intrinsic_failure_is_caught);
    RUN(test_task_parameters_intrinsic_failure_is_retried);
    RUN(test_result_selector_intrinsic_failure_is_caught);
    RUN(test_allocation_failures_in_intrinsic_functions);
    return test_done();
}
