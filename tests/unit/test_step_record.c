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

int main(void)
{
    RUN(test_the_first_task_of_a_state_is_invocation_0);
    RUN(test_counts_go_on_per_state);
    RUN(test_nothing_is_counted_without_a_test_case_or_a_service_task);
    RUN(test_unreadable_counts_start_again);
    return test_done();
}
