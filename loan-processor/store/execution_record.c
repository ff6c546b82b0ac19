/* execution_record - see execution_record.h. */
#include "execution_record.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum field_kind { FIELD_STRING, FIELD_INT64, FIELD_LONG };

/* Every field of the hash, in the order of enum execution_record_field: the only place their names are spelled. */
static const struct {
    const char *name;
    enum field_kind kind;
    size_t offset;
} fields_table[EXECUTION_RECORD_ALL_FIELD_COUNT] = {
    { "arn", FIELD_STRING, offsetof(struct execution_record, arn) },
    { "stateMachineArn", FIELD_STRING, offsetof(struct execution_record, state_machine_arn) },
    { "name", FIELD_STRING, offsetof(struct execution_record, name) },
    { "status", FIELD_STRING, offsetof(struct execution_record, status) },
    { "input", FIELD_STRING, offsetof(struct execution_record, input) },
    { "output", FIELD_STRING, offsetof(struct execution_record, output) },
    { "error", FIELD_STRING, offsetof(struct execution_record, error) },
    { "cause", FIELD_STRING, offsetof(struct execution_record, cause) },
    { "roleArn", FIELD_STRING, offsetof(struct execution_record, role_arn) },
    { "definitionHash", FIELD_STRING, offsetof(struct execution_record, definition_hash) },
    { "startDate", FIELD_INT64, offsetof(struct execution_record, start_ms) },
    { "stopDate", FIELD_INT64, offsetof(struct execution_record, stop_ms) },
    { "lastEventId", FIELD_LONG, offsetof(struct execution_record, last_event_id) },
    { "state", FIELD_STRING, offsetof(struct execution_record, state) },
    { "stateEnteredEventId", FIELD_LONG, offsetof(struct execution_record, state_entered_event_id) },
    { "stateEnteredDate", FIELD_INT64, offsetof(struct execution_record, state_entered_ms) },
    { "stateInput", FIELD_STRING, offsetof(struct execution_record, state_input) },
    { "taskToken", FIELD_STRING, offsetof(struct execution_record, task_token) },
    { "taskResource", FIELD_STRING, offsetof(struct execution_record, task_resource) },
    { "resting", FIELD_STRING, offsetof(struct execution_record, resting) },
    { "retryCounts", FIELD_STRING, offsetof(struct execution_record, retry_counts) },
    { "timerDue", FIELD_INT64, offsetof(struct execution_record, timer_due_ms) },
    { "taskTimeoutDate", FIELD_INT64, offsetof(struct execution_record, task_timeout_ms) },
    { "heartbeatDate", FIELD_INT64, offsetof(struct execution_record, heartbeat_due_ms) },
    { "heartbeatIntervalMs", FIELD_INT64, offsetof(struct execution_record, heartbeat_interval_ms) },
    { "taskStartDue", FIELD_INT64, offsetof(struct execution_record, task_start_due_ms) },
    { "taskParameters", FIELD_STRING, offsetof(struct execution_record, task_parameters) },
    { "executionTimeoutDue", FIELD_INT64, offsetof(struct execution_record, execution_timeout_ms) },
    { "stateMachineVersionArn", FIELD_STRING, offsetof(struct execution_record, version_arn) },
    { "stateMachineAliasArn", FIELD_STRING, offsetof(struct execution_record, alias_arn) },
    { "mockTestCase", FIELD_STRING, offsetof(struct execution_record, mock_test_case) },
    /* the branch fields, in the order of enum execution_branch_field */
    { "mapIndex", FIELD_STRING, offsetof(struct execution_record, map_index) },
    { "mapItem", FIELD_STRING, offsetof(struct execution_record, map_item) },
    { "forkState", FIELD_STRING, offsetof(struct execution_record, fork_state) },
    { "forkLength", FIELD_LONG, offsetof(struct execution_record, fork_length) },
    { "forkStarted", FIELD_LONG, offsetof(struct execution_record, fork_started) },
    { "forkRunning", FIELD_LONG, offsetof(struct execution_record, fork_running) },
    { "forkSucceeded", FIELD_LONG, offsetof(struct execution_record, fork_succeeded) },
    { "forkFailed", FIELD_LONG, offsetof(struct execution_record, fork_failed) },
    { "forkSignals", FIELD_LONG, offsetof(struct execution_record, fork_signals) },
    { "mapRunArn", FIELD_STRING, offsetof(struct execution_record, map_run_arn) },
    { "historyOf", FIELD_STRING, offsetof(struct execution_record, history_of) },
    { "childExecution", FIELD_STRING, offsetof(struct execution_record, child_execution) },
    { "parentExecution", FIELD_STRING, offsetof(struct execution_record, parent_execution) },
    { "variables", FIELD_STRING, offsetof(struct execution_record, variables) },
    { "traceHeader", FIELD_STRING, offsetof(struct execution_record, trace_header) },
    { "redriveCount", FIELD_LONG, offsetof(struct execution_record, redrive_count) },
    { "redriveDate", FIELD_INT64, offsetof(struct execution_record, redrive_ms) },
    { "redriveToken", FIELD_STRING, offsetof(struct execution_record, redrive_token) },
    { "mockInvocations", FIELD_STRING, offsetof(struct execution_record, mock_invocations) },
};

_Static_assert(EXECUTION_FIELD_MOCK_TEST_CASE == 1u << (EXECUTION_RECORD_FIELD_COUNT - 1),
               "one table entry per bit of enum execution_record_field");
_Static_assert(EXECUTION_BRANCH_FIELD_MOCK_INVOCATIONS == 1u << (EXECUTION_RECORD_BRANCH_FIELD_COUNT - 1),
               "one table entry per bit of enum execution_branch_field");

/* The address of field i of record. */
static void *field_at(struct execution_record *record, size_t i)
{
    return (char *)record + fields_table[i].offset;
}

static const void *const_field_at(const struct execution_record *record, size_t i)
{
    return (const char *)record + fields_table[i].offset;
}

static char **string_slot(struct execution_record *record, size_t i)
{
    return field_at(record, i);
}

/* The number field i of record. */
static long long number_of(const struct execution_record *record, size_t i)
{
    const void *slot = const_field_at(record, i);
    return fields_table[i].kind == FIELD_LONG ? *(const long *)slot : *(const int64_t *)slot;
}

/* Adds the write of the table's fields [first, first + count) whose bit (counted from first) is in mask. */
static void add_fields(const struct execution_record *record, size_t first, size_t count, unsigned mask,
                       struct execution_fields *fields)
{
    for (size_t i = first; i < first + count; i++) {
        if (!(mask & (1u << (i - first))))
            continue;
        const char *value = NULL;
        if (fields_table[i].kind == FIELD_STRING) {
            value = *(char *const *)const_field_at(record, i);
        } else if (number_of(record, i) != 0) {
            snprintf(fields->numbers[i], sizeof(fields->numbers[i]), "%lld", number_of(record, i));
            value = fields->numbers[i];
        }
        if (value)
            fields->set[fields->set_count++] = (struct store_field){ fields_table[i].name, value };
        else
            fields->deletes[fields->delete_count++] = fields_table[i].name;
    }
}

void execution_record_fields(const struct execution_record *record, unsigned mask, struct execution_fields *fields)
{
    fields->set_count = 0;
    fields->delete_count = 0;
    add_fields(record, 0, EXECUTION_RECORD_FIELD_COUNT, mask, fields);
}

void execution_record_branch_fields(const struct execution_record *record, unsigned branch_mask,
                                    struct execution_fields *fields)
{
    add_fields(record, EXECUTION_RECORD_FIELD_COUNT, EXECUTION_RECORD_BRANCH_FIELD_COUNT, branch_mask, fields);
}

const char *execution_record_field_name(enum execution_record_field field)
{
    for (size_t i = 0; i < EXECUTION_RECORD_FIELD_COUNT; i++)
        if (field == 1u << i)
            return fields_table[i].name;
    return NULL;
}

void execution_record_fields_override(struct execution_fields *fields, enum execution_record_field field,
                                      const char *value)
{
    const char *name = execution_record_field_name(field);
    size_t kept = 0;
    if (!name)
        return;
    for (size_t i = 0; i < fields->delete_count; i++)
        if (fields->deletes[i] != name)
            fields->deletes[kept++] = fields->deletes[i];
    fields->delete_count = kept;
    for (size_t i = 0; i < fields->set_count; i++) {
        if (fields->set[i].name == name) {
            fields->set[i].value = value;
            return;
        }
    }
    fields->set[fields->set_count++] = (struct store_field){ name, value };
}

/* Parses a decimal integer of length bytes. */
static bool parse_number(const char *text, size_t length, long long *number)
{
    char buffer[24], *end;
    if (length == 0 || length >= sizeof(buffer))
        return false;
    memcpy(buffer, text, length);
    buffer[length] = '\0';
    errno = 0;
    *number = strtoll(buffer, &end, 10);
    return errno == 0 && *end == '\0';
}

/* Stores one hash entry in field i of record. Returns 0, -EINVAL or -ENOMEM. */
static int record_set(struct execution_record *record, size_t i, const struct execution_hash_entry *entry)
{
    long long number;
    if (fields_table[i].kind == FIELD_STRING) {
        char **slot = string_slot(record, i);
        free(*slot);
        *slot = strndup(entry->value, entry->value_length);
        return *slot ? 0 : -ENOMEM;
    }
    if (!parse_number(entry->value, entry->value_length, &number))
        return -EINVAL;
    if (fields_table[i].kind == FIELD_LONG)
        *(long *)field_at(record, i) = (long)number;
    else
        *(int64_t *)field_at(record, i) = number;
    return 0;
}

/*
 * Whether name is the table's field name: the table's own pointer (what execution_record_fields() hands out) is
 * recognised without comparing, and a different first byte rules most names out without calling strcmp.
 */
static bool is_field_name(const char *name, size_t i)
{
    const char *field = fields_table[i].name;
    return name == field || (name[0] == field[0] && strcmp(name, field) == 0);
}

int execution_record_from_hash(const struct execution_hash_entry *entries, size_t count,
                               struct execution_record **record_out)
{
    struct execution_record *record = calloc(1, sizeof(*record));
    int result = record ? 0 : -ENOMEM;
    for (size_t entry = 0; entry < count && result == 0; entry++) {
        for (size_t i = 0; i < EXECUTION_RECORD_ALL_FIELD_COUNT; i++) {
            if (is_field_name(entries[entry].name, i)) {
                result = record_set(record, i, &entries[entry]);
                break;
            }
        }
    }
    if (result < 0) {
        execution_record_free(record);
        return result;
    }
    *record_out = record;
    return 0;
}

void execution_record_each_text(const struct execution_record *record, void (*visit)(const char *text, void *data),
                                void *data)
{
    for (size_t i = 0; i < EXECUTION_RECORD_ALL_FIELD_COUNT; i++) {
        const char *text = fields_table[i].kind == FIELD_STRING ? *(char *const *)const_field_at(record, i) : NULL;
        if (text)
            visit(text, data);
    }
}

void execution_record_free(struct execution_record *record)
{
    if (!record)
        return;
    for (size_t i = 0; i < EXECUTION_RECORD_ALL_FIELD_COUNT; i++) {
        if (fields_table[i].kind == FIELD_STRING)
            free(*string_slot(record, i));
    }
    free(record);
}
