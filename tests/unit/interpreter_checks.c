/*
 * interpreter_checks.c - the helpers of the test_interpreter*.c programs
 * (contracts in interpreter_checks.h).
 */
#include "interpreter_checks.h"
#include "failing_allocator.h"
#include "test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct execution_facts facts = {
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

struct state_machine *parse_machine(const char *definition)
{
    struct state_machine *machine = NULL;
    char error[512] = "";
    if (state_machine_parse(definition, strlen(definition), &machine, error, sizeof(error)) < 0) {
        printf("# definition rejected: %s\n", error);
        return NULL;
    }
    return machine;
}

int event_count(const struct interpreter_step *step)
{
    return cJSON_GetArraySize(step->history.events);
}

const cJSON *event_at(const struct interpreter_step *step, int index)
{
    return cJSON_GetArrayItem(step->history.events, index);
}

static const cJSON *event_member(const struct interpreter_step *step, int index, const char *details_member,
                                 const char *name)
{
    const cJSON *details = cJSON_GetObjectItemCaseSensitive(event_at(step, index), details_member);
    return cJSON_GetObjectItemCaseSensitive(details, name);
}

const char *detail(const struct interpreter_step *step, int index, const char *details_member, const char *name)
{
    return cJSON_GetStringValue(event_member(step, index, details_member, name));
}

long detail_number(const struct interpreter_step *step, int index, const char *details_member, const char *name)
{
    const cJSON *member = event_member(step, index, details_member, name);
    return cJSON_IsNumber(member) ? (long)member->valuedouble : -1;
}

bool has_detail(const struct interpreter_step *step, int index, const char *details_member, const char *name)
{
    return event_member(step, index, details_member, name) != NULL;
}

void check_event(const struct interpreter_step *step, int index, const char *type, long id, long previous,
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

void check_history(const struct interpreter_step *step, long first_id, long long now_ms, const char *types)
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

void check_untruncated(const struct interpreter_step *step, int index, const char *details_member,
                       const char *payload_member)
{
    char name[64];
    snprintf(name, sizeof(name), "%sDetails", payload_member);
    const cJSON *details = cJSON_GetObjectItemCaseSensitive(event_at(step, index), details_member);
    const cJSON *truncation = cJSON_GetObjectItemCaseSensitive(details, name);
    ASSERT_TRUE(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(truncation, "truncated")));
}

bool printed_equals(const cJSON *document, const char *expected)
{
    char *printed = cJSON_PrintUnformatted(document);
    bool equal = printed && strcmp(printed, expected) == 0;
    if (!equal)
        printf("# expected %s\n#      got %s\n", expected, printed ? printed : "(null)");
    cJSON_free(printed);
    return equal;
}

bool starts_with(const char *text, const char *prefix)
{
    return text && strncmp(text, prefix, strlen(prefix)) == 0;
}

void check_text(const char *expected, const char *actual)
{
    if (!expected) {
        ASSERT_NULL(actual);
        return;
    }
    ASSERT_EQ_STR(expected, actual);
}

void check_optional_detail(const struct interpreter_step *step, int index, const char *details_member, const char *name,
                           const char *expected)
{
    if (!expected) {
        ASSERT_TRUE(!has_detail(step, index, details_member, name));
        return;
    }
    ASSERT_EQ_STR(expected, detail(step, index, details_member, name));
}

void check_failed_execution(const struct interpreter_step *step, const char *error, const char *cause)
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

void check_runtime_failure(const struct interpreter_step *step, const char *state, long entered_id,
                           const char *expected_detail)
{
    char cause[2048];
    snprintf(cause, sizeof(cause),
             "An error occurred while executing the state '%s' (entered at the event id #%ld). %s", state, entered_id,
             expected_detail);
    check_failed_execution(step, "States.Runtime", cause);
}

void check_succeeded_execution(const struct interpreter_step *step, const char *output)
{
    int last = event_count(step) - 1;
    ASSERT_EQ_INT(EXECUTION_SUCCEEDED, step->status);
    ASSERT_EQ_STR(output, step->output);
    ASSERT_EQ_STR(output, detail(step, last, "executionSucceededEventDetails", "output"));
    ASSERT_NULL(step->error);
    ASSERT_TRUE(!step->has_task);
}

void check_rest(const struct interpreter_step *step, const char *state, long entered_id, enum resting_kind resting,
                int64_t delay_ms, const char *retry_counts)
{
    ASSERT_EQ_INT(EXECUTION_RUNNING, step->status);
    ASSERT_EQ_STR(state, step->state_name);
    ASSERT_EQ_INT(0, step->state_entered.batch_index);
    ASSERT_EQ_INT(entered_id, step->state_entered.id);
    ASSERT_EQ_INT(resting, step->resting);
    ASSERT_EQ_INT(delay_ms, step->delay_ms);
    ASSERT_EQ_INT(resting == RESTING_TASK, step->has_task);
    check_text(retry_counts, step->retry_counts);
    ASSERT_NULL(step->output);
    ASSERT_NULL(step->error);
}

void check_scheduled_timeouts(const struct interpreter_step *step, int index, long timeout_seconds,
                              long heartbeat_seconds)
{
    ASSERT_EQ_INT(timeout_seconds ? timeout_seconds : -1,
                  detail_number(step, index, "taskScheduledEventDetails", "timeoutInSeconds"));
    ASSERT_EQ_INT(heartbeat_seconds ? heartbeat_seconds : -1,
                  detail_number(step, index, "taskScheduledEventDetails", "heartbeatInSeconds"));
    ASSERT_EQ_INT(timeout_seconds, step->task.timeout_seconds);
    ASSERT_EQ_INT(heartbeat_seconds, step->task.heartbeat_seconds);
}

struct execution_position position_after(const struct interpreter_step *step)
{
    struct execution_position position = {
        .stored_events = history_total_events(&step->history),
        .state_name = step->state_name,
        .state_entered = step->state_entered,
        .state_entered_ms = step->state_entered_ms,
        .state_input = step->state_input,
        .resting = step->resting,
        .retry_counts = step->retry_counts,
    };
    return position;
}

int render_step(struct interpreter_step *step)
{
    long base = step->history.stored_events;
    cJSON *events = history_batch_render(&step->history, base, base);
    char *cause = step->cause_has_placeholders ? history_resolve_text(step->cause, base) : NULL;
    if (!events || (step->cause_has_placeholders && !cause)) {
        cJSON_Delete(events);
        free(cause);
        return -ENOMEM;
    }
    cJSON_Delete(step->history.events);
    step->history.events = events;
    if (cause) {
        free(step->cause);
        step->cause = cause;
        step->cause_has_placeholders = false;
    }
    if (step->state_entered.batch_index > 0)
        step->state_entered = history_ref_stored(base + step->state_entered.batch_index);
    return 0;
}

static int invoke_unrendered(const struct state_machine *machine, const struct step_call *call,
                             struct interpreter_step *step)
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

/* Makes call, and renders the step's batch as the commit stores it (render_step()). */
static int invoke(const struct state_machine *machine, const struct step_call *call, struct interpreter_step *step)
{
    int rc = invoke_unrendered(machine, call, step);
    return rc == 0 ? render_step(step) : rc;
}

int call_and_check(const char *definition, const struct step_call *call, step_check check)
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

int start_and_check(const char *definition, const struct execution_facts *execution_facts, step_check check)
{
    struct step_call call = { .entry = ENTRY_START, .facts = execution_facts, .environment = { NOW_MS, TOKEN, 0 } };
    return call_and_check(definition, &call, check);
}

int succeed_task_and_check(const char *definition, const struct execution_position *position, const char *output,
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

int fail_task_and_check(const char *definition, const struct execution_position *position, const char *error,
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

bool session_open(struct session *session, const char *definition, const char *input)
{
    memset(session, 0, sizeof(*session));
    session->facts = facts;
    session->facts.input = input;
    session->now_ms = NOW_MS;
    session->jitter = 0.5;
    session->machine = parse_machine(definition);
    return session->machine != NULL;
}

void session_close(struct session *session)
{
    interpreter_step_release(&session->step);
    state_machine_free(session->machine);
    session->machine = NULL;
}

int session_invoke(struct session *session, const struct step_call *call, struct interpreter_step *step)
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

int session_advance(struct session *session, const struct step_call *call)
{
    struct interpreter_step next;
    int rc = session_invoke(session, call, &next);
    interpreter_step_release(&session->step);
    session->step = next;
    session->position = position_after(&session->step);
    session->calls++;
    return rc;
}

int session_start(struct session *session)
{
    struct step_call call = { .entry = ENTRY_START };
    return session_advance(session, &call);
}

int session_succeed(struct session *session, const char *output)
{
    struct step_call call = { .entry = ENTRY_TASK_SUCCEEDED, .output = output };
    return session_advance(session, &call);
}

int session_fail(struct session *session, const char *error, const char *cause)
{
    struct step_call call = { .entry = ENTRY_TASK_FAILED, .error = error, .cause = cause };
    return session_advance(session, &call);
}

int session_time_out(struct session *session, bool heartbeat)
{
    struct step_call call = { .entry = ENTRY_TASK_TIMED_OUT, .heartbeat = heartbeat };
    return session_advance(session, &call);
}

int session_timer_due(struct session *session)
{
    struct step_call call = { .entry = ENTRY_TIMER_DUE };
    return session_advance(session, &call);
}

int session_append(struct session *session, const struct step_call *call, step_check check)
{
    struct interpreter_step appended;
    int rc = session_invoke(session, call, &appended);
    if (rc == 0) {
        check(&appended);
        session->position.stored_events = history_total_events(&appended.history);
    }
    interpreter_step_release(&appended);
    session->calls++;
    return rc;
}

long session_next_id(const struct session *session)
{
    return session->position.stored_events + 1;
}

void run_scenario(const char *definition, const char *input, scenario play, const void *arguments)
{
    struct session session;
    bool opened = session_open(&session, definition, input);
    if (opened)
        play(&session, arguments);
    session_close(&session);
    ASSERT_TRUE(opened);
}

void start_task_t(struct session *session)
{
    ASSERT_EQ_INT(0, session_start(session));
    check_history(&session->step, 1, session->now_ms, "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted");
    check_rest(&session->step, "T", 2, RESTING_TASK, 0, NULL);
}

void check_caught(const struct interpreter_step *step, long first_id, long long now_ms, const char *first_type,
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

void fail_and_expect_caught(struct session *session, const char *error, const char *cause, const char *output)
{
    long first_id = session_next_id(session);
    session->now_ms += 1000;
    ASSERT_EQ_INT(0, session_fail(session, error, cause));
    check_caught(&session->step, first_id, session->now_ms, "TaskFailed", output);
    check_optional_detail(&session->step, 0, "taskFailedEventDetails", "error", error);
    check_optional_detail(&session->step, 0, "taskFailedEventDetails", "cause", cause);
}

void fail_and_expect_failed_execution(struct session *session, const char *error, const char *cause)
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

void check_runtime_failure_at_start(const char *definition, const char *input, const char *entered_type,
                                    const char *state, const char *expected_detail)
{
    struct runtime_case expected = { entered_type, state, expected_detail };
    run_scenario(definition, input, play_runtime_failure_at_start, &expected);
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
    bool same =
        events_a && events_b && strcmp(events_a, events_b) == 0 && same_text(parameters_a, parameters_b)
        && a->status == b->status && same_text(a->output, b->output) && same_text(a->error, b->error)
        && same_text(a->cause, b->cause) && same_text(a->state_name, b->state_name)
        && a->state_entered.id == b->state_entered.id && a->state_entered.batch_index == b->state_entered.batch_index
        && a->state_entered_ms == b->state_entered_ms && same_text(a->state_input, b->state_input)
        && a->resting == b->resting && a->delay_ms == b->delay_ms && same_text(a->retry_counts, b->retry_counts)
        && a->has_task == b->has_task && same_text(a->task.token, b->task.token)
        && a->task.timeout_seconds == b->task.timeout_seconds && a->task.heartbeat_seconds == b->task.heartbeat_seconds;
    if (!same && report)
        printf("# expected %s\n#      got %s\n", events_a ? events_a : "(null)", events_b ? events_b : "(null)");
    cJSON_free(events_a);
    cJSON_free(events_b);
    cJSON_free(parameters_a);
    cJSON_free(parameters_b);
    return same;
}

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

void check_allocation_failures_in(enum failure_mode mode, const char *definition, const char *input,
                                  const struct step_call *calls, size_t count)
{
    struct call_list list = { calls, count, mode };
    run_scenario(definition, input, play_calls_under_allocation_failures, &list);
}

void check_allocation_failures(const char *definition, const char *input, const struct step_call *calls, size_t count)
{
    check_allocation_failures_in(FAIL_FROM_THEN_ON, definition, input, calls, count);
}
