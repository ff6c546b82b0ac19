/*
 * test_step_record.c - unit tests for the invocation counts of mock test
 * cases in loan-processor/engine/step_record.c (docs/mocking.md).
 */
#include "engine_internal.h"
#include "test.h"

#include <string.h>

/* A running step that scheduled a task in state. */
static struct interpreter_step task_step(const char *state)
{
    struct interpreter_step step;
    memset(&step, 0, sizeof(step));
    step.status = EXECUTION_RUNNING;
    step.has_task = true;
    step.state_name = (char *)state;
    return step;
}

static void test_the_first_task_of_a_state_is_invocation_0(void)
{
    struct interpreter_step step = task_step("Charge");
    struct step_record next;
    memset(&next, 0, sizeof(next));
    ASSERT_EQ_INT(0, step_record_count_invocation(&step, NULL, "HappyPath", &next));
    ASSERT_EQ_INT(0, next.invocation);
    ASSERT_EQ_STR("{\"Charge\":1}", next.record.mock_invocations);
    ASSERT_EQ_INT(1, step_record_invocations(next.record.mock_invocations, "Charge"));
    step_record_reset(&next);
}

static void test_counts_go_on_per_state(void)
{
    struct interpreter_step step = task_step("Charge");
    struct step_record next;
    memset(&next, 0, sizeof(next));
    ASSERT_EQ_INT(0, step_record_count_invocation(&step, "{\"Notify\":1,\"Charge\":2}", "Loop", &next));
    ASSERT_EQ_INT(2, next.invocation);
    ASSERT_EQ_INT(3, step_record_invocations(next.record.mock_invocations, "Charge"));
    ASSERT_EQ_INT(1, step_record_invocations(next.record.mock_invocations, "Notify"));
    ASSERT_EQ_INT(0, step_record_invocations(next.record.mock_invocations, "Other"));
    step_record_reset(&next);
}

static void test_nothing_is_counted_without_a_test_case_or_a_service_task(void)
{
    struct interpreter_step step = task_step("Charge");
    struct step_record next;
    memset(&next, 0, sizeof(next));
    ASSERT_EQ_INT(0, step_record_count_invocation(&step, NULL, NULL, &next));
    ASSERT_TRUE(next.mock_invocations == NULL);
    step.task.is_activity = true;
    ASSERT_EQ_INT(0, step_record_count_invocation(&step, NULL, "Case", &next));
    ASSERT_TRUE(next.mock_invocations == NULL);
    step.task.is_activity = false;
    step.has_task = false;
    ASSERT_EQ_INT(0, step_record_count_invocation(&step, NULL, "Case", &next));
    ASSERT_TRUE(next.mock_invocations == NULL);
}

static void test_unreadable_counts_start_again(void)
{
    struct interpreter_step step = task_step("Charge");
    struct step_record next;
    memset(&next, 0, sizeof(next));
    ASSERT_EQ_INT(0, step_record_count_invocation(&step, "not json", "Case", &next));
    ASSERT_EQ_INT(0, next.invocation);
    ASSERT_EQ_INT(0, step_record_invocations(NULL, "Charge"));
    ASSERT_EQ_INT(0, step_record_invocations("[1]", "Charge"));
    step_record_reset(&next);
}

static void test_a_committed_record_is_the_one_before_with_the_commits_writes(void)
{
    struct execution_record before = { .arn = "arn:1",
                                       .status = "RUNNING",
                                       .state = "A",
                                       .last_event_id = 4,
                                       .task_start_due_ms = 900,
                                       .variables = "{\"x\":1}" };
    struct execution_record next = { .state = "B",
                                     .cause = "see event \x01"
                                              "2\x01" };
    struct execution_fields written;
    execution_record_fields(&next, EXECUTION_FIELD_STATE | EXECUTION_FIELD_CAUSE | EXECUTION_FIELD_TASK_START_DUE,
                            &written);
    execution_record_fields_override(&written, EXECUTION_FIELD_STATE_ENTERED_EVENT_ID,
                                     "\x01"
                                     "1\x01");
    struct execution_event items[2] = { { "", "{}" }, { "", "{}" } };
    struct execution_events events = { items, 2, true, EXECUTION_FIELD_STATE_ENTERED_EVENT_ID | EXECUTION_FIELD_CAUSE };
    struct execution_record *after = step_record_committed(&before, &written, &events, 5);
    ASSERT_TRUE(after != NULL);
    ASSERT_EQ_STR("arn:1", after->arn);              /* kept */
    ASSERT_EQ_STR("{\"x\":1}", after->variables);    /* a branch field, kept */
    ASSERT_EQ_STR("B", after->state);                /* set */
    ASSERT_EQ_INT(0, after->task_start_due_ms);      /* deleted */
    ASSERT_EQ_INT(5, after->state_entered_event_id); /* placeholders resolved as the commit does */
    ASSERT_EQ_STR("see event 6", after->cause);
    ASSERT_EQ_INT(6, after->last_event_id);
    execution_record_free(after);

    execution_record_fields(&next, EXECUTION_FIELD_STATE | EXECUTION_FIELD_CAUSE, &written);
    after = step_record_committed(NULL, &written, NULL, 1); /* no events: lastEventId unchanged (none) */
    ASSERT_TRUE(after != NULL);
    ASSERT_EQ_INT(0, after->last_event_id);
    ASSERT_EQ_STR("see event \x01"
                  "2\x01",
                  after->cause); /* nothing to resolve them with */
    ASSERT_TRUE(after->arn == NULL);
    execution_record_free(after);
}

int main(void)
{
    RUN(test_the_first_task_of_a_state_is_invocation_0);
    RUN(test_counts_go_on_per_state);
    RUN(test_nothing_is_counted_without_a_test_case_or_a_service_task);
    RUN(test_unreadable_counts_start_again);
    RUN(test_a_committed_record_is_the_one_before_with_the_commits_writes);
    return test_done();
}
