/*
 * test_execution_record.c - unit tests for loan-processor/store/execution_record.c:
 * a record written as fields and read back as a hash is the same record;
 * absent fields stay absent, garbled numbers are refused.
 */
#include "execution_record.h"
#include "test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A hash read back from what fields sets: name/value entries borrowing from fields. */
static size_t hash_of(const struct execution_fields *fields, struct execution_hash_entry *entries)
{
    for (size_t i = 0; i < fields->set_count; i++)
        entries[i] =
            (struct execution_hash_entry){ fields->set[i].name, fields->set[i].value, strlen(fields->set[i].value) };
    return fields->set_count;
}

static bool same_string(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool same_record(const struct execution_record *a, const struct execution_record *b)
{
    const char *const strings_a[] = { a->arn,
                                      a->state_machine_arn,
                                      a->name,
                                      a->status,
                                      a->input,
                                      a->output,
                                      a->error,
                                      a->cause,
                                      a->role_arn,
                                      a->definition_hash,
                                      a->state,
                                      a->state_input,
                                      a->task_token,
                                      a->task_resource,
                                      a->resting,
                                      a->retry_counts,
                                      a->task_parameters,
                                      a->mock_test_case,
                                      a->version_arn,
                                      a->alias_arn };
    const char *const strings_b[] = { b->arn,
                                      b->state_machine_arn,
                                      b->name,
                                      b->status,
                                      b->input,
                                      b->output,
                                      b->error,
                                      b->cause,
                                      b->role_arn,
                                      b->definition_hash,
                                      b->state,
                                      b->state_input,
                                      b->task_token,
                                      b->task_resource,
                                      b->resting,
                                      b->retry_counts,
                                      b->task_parameters,
                                      b->mock_test_case,
                                      b->version_arn,
                                      b->alias_arn };
    for (size_t i = 0; i < sizeof(strings_a) / sizeof(strings_a[0]); i++) {
        if (!same_string(strings_a[i], strings_b[i]))
            return false;
    }
    return a->start_ms == b->start_ms && a->stop_ms == b->stop_ms && a->last_event_id == b->last_event_id
           && a->state_entered_event_id == b->state_entered_event_id && a->state_entered_ms == b->state_entered_ms
           && a->timer_due_ms == b->timer_due_ms && a->task_timeout_ms == b->task_timeout_ms
           && a->heartbeat_due_ms == b->heartbeat_due_ms && a->heartbeat_interval_ms == b->heartbeat_interval_ms
           && a->task_start_due_ms == b->task_start_due_ms && a->execution_timeout_ms == b->execution_timeout_ms;
}

static struct execution_record running_record(void)
{
    return (struct execution_record){
        .arn = "arn:aws:states:us-east-1:123456789012:execution:M:e",
        .state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:M",
        .name = "e",
        .status = "RUNNING",
        .input = "{\"a\":1}",
        .role_arn = "arn:aws:iam::123456789012:role/MRole",
        .definition_hash = "abc123",
        .start_ms = 1700000000000,
        .last_event_id = 5,
        .state = "Wait for it",
        .state_entered_event_id = 4,
        .state_entered_ms = 1700000000100,
        .state_input = "{}",
        .task_token = "token",
        .task_resource = "arn:aws:states:::lambda:invoke.waitForTaskToken",
        .resting = "task",
        .retry_counts = "1,0",
        .timer_due_ms = 1700000001000,
        .task_timeout_ms = 1700000002000,
        .heartbeat_due_ms = 1700000001000,
        .heartbeat_interval_ms = 900,
        .task_start_due_ms = 1700000001500,
        .task_parameters = "{\"p\":\"q\"}",
        .execution_timeout_ms = 1700000005000,
        .version_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:m:1",
        .alias_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:m:prod",
        .mock_test_case = "HappyPath",
    };
}

static void test_a_record_survives_fields_and_hash(void)
{
    struct execution_record record = running_record(), *read = NULL;
    struct execution_fields fields;
    struct execution_hash_entry entries[EXECUTION_RECORD_FIELD_COUNT];
    execution_record_fields(&record, EXECUTION_FIELDS_ALL, &fields);
    ASSERT_EQ_INT(27, (int)fields.set_count);
    ASSERT_EQ_INT(4, (int)fields.delete_count); /* output, error, cause, stopDate */
    ASSERT_EQ_INT(0, execution_record_from_hash(entries, hash_of(&fields, entries), &read));
    ASSERT_TRUE(same_record(&record, read));
    execution_record_free(read);
}

static void test_an_ended_record_survives_fields_and_hash(void)
{
    struct execution_record record = {
        .arn = "arn",
        .state_machine_arn = "machine",
        .name = "n",
        .status = "FAILED",
        .input = "{}",
        .error = "States.Timeout",
        .cause = "late",
        .start_ms = 1,
        .stop_ms = 2,
        .last_event_id = 9,
    };
    struct execution_record *read = NULL;
    struct execution_fields fields;
    struct execution_hash_entry entries[EXECUTION_RECORD_FIELD_COUNT];
    execution_record_fields(&record, EXECUTION_FIELDS_ALL, &fields);
    ASSERT_EQ_INT(0, execution_record_from_hash(entries, hash_of(&fields, entries), &read));
    ASSERT_TRUE(same_record(&record, read));
    ASSERT_NULL(read->task_token);
    execution_record_free(read);
}

static void test_a_mask_writes_only_its_fields(void)
{
    struct execution_record record = running_record();
    struct execution_fields fields;
    record.task_start_due_ms = 0;
    record.task_parameters = NULL;
    execution_record_fields(
        &record, EXECUTION_FIELD_LAST_EVENT_ID | EXECUTION_FIELD_TASK_START_DUE | EXECUTION_FIELD_TASK_PARAMETERS,
        &fields);
    ASSERT_EQ_INT(1, (int)fields.set_count);
    ASSERT_EQ_STR("lastEventId", fields.set[0].name);
    ASSERT_EQ_STR("5", fields.set[0].value);
    ASSERT_EQ_INT(2, (int)fields.delete_count);
    ASSERT_EQ_STR("taskStartDue", fields.deletes[0]);
    ASSERT_EQ_STR("taskParameters", fields.deletes[1]);
}

static void test_missing_fields_stay_absent_and_unknown_ones_are_ignored(void)
{
    struct execution_hash_entry entries[] = { { "status", "RUNNING", 7 }, { "someday", "x", 1 } };
    struct execution_record *read = NULL;
    ASSERT_EQ_INT(0, execution_record_from_hash(entries, 2, &read));
    ASSERT_EQ_STR("RUNNING", read->status);
    ASSERT_NULL(read->arn);
    ASSERT_NULL(read->task_token);
    ASSERT_EQ_INT(0, (int)read->last_event_id);
    ASSERT_EQ_INT(0, (int)read->timer_due_ms);
    execution_record_free(read);
}

static void test_an_empty_hash_is_an_empty_record(void)
{
    struct execution_record *read = NULL;
    ASSERT_EQ_INT(0, execution_record_from_hash(NULL, 0, &read));
    ASSERT_NOT_NULL(read);
    ASSERT_NULL(read->status);
    execution_record_free(read);
}

static void test_a_value_is_taken_by_its_length(void)
{
    struct execution_hash_entry entries[] = { { "name", "abcdef", 3 }, { "lastEventId", "12345", 2 } };
    struct execution_record *read = NULL;
    ASSERT_EQ_INT(0, execution_record_from_hash(entries, 2, &read));
    ASSERT_EQ_STR("abc", read->name);
    ASSERT_EQ_INT(12, (int)read->last_event_id);
    execution_record_free(read);
}

static void test_garbled_numbers_are_refused(void)
{
    const char *const garbled[] = { "12x", "", "x", "99999999999999999999999" };
    for (size_t i = 0; i < sizeof(garbled) / sizeof(garbled[0]); i++) {
        struct execution_hash_entry entries[] = { { "status", "RUNNING", 7 },
                                                  { "timerDue", garbled[i], strlen(garbled[i]) } };
        struct execution_record *read = NULL;
        ASSERT_EQ_INT(-EINVAL, execution_record_from_hash(entries, 2, &read));
        ASSERT_NULL(read);
    }
}

static void test_free_is_safe_on_null(void)
{
    execution_record_free(NULL);
    ASSERT_TRUE(true);
}

static void test_a_trace_header_is_a_branch_field_written_by_the_start(void)
{
    struct execution_record record = running_record(), *read = NULL;
    record.trace_header = "Root=1-5759e988-bd862e3fe1be46a994272793";
    struct execution_fields fields;
    struct execution_hash_entry entries[EXECUTION_RECORD_ALL_FIELD_COUNT];
    execution_record_fields(&record, EXECUTION_FIELDS_ALL, &fields);
    size_t without = fields.set_count;
    execution_record_branch_fields(&record, EXECUTION_BRANCH_FIELD_TRACE_HEADER, &fields);
    ASSERT_EQ_INT((int)without + 1, (int)fields.set_count);
    ASSERT_EQ_INT(0, execution_record_from_hash(entries, hash_of(&fields, entries), &read));
    ASSERT_EQ_STR("Root=1-5759e988-bd862e3fe1be46a994272793", read->trace_header);
    execution_record_free(read);
}

int main(void)
{
    RUN(test_a_record_survives_fields_and_hash);
    RUN(test_an_ended_record_survives_fields_and_hash);
    RUN(test_a_trace_header_is_a_branch_field_written_by_the_start);
    RUN(test_a_mask_writes_only_its_fields);
    RUN(test_missing_fields_stay_absent_and_unknown_ones_are_ignored);
    RUN(test_an_empty_hash_is_an_empty_record);
    RUN(test_a_value_is_taken_by_its_length);
    RUN(test_garbled_numbers_are_refused);
    RUN(test_free_is_safe_on_null);
    return test_done();
}
