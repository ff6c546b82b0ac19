/*
 * execution_record - the one place that spells the fields of an execution's
 * Redis hash (see execution_store.h for where the hash lives). Pure: it
 * turns a record into the field/value pairs a commit writes and deletes,
 * and a hash read back (HGETALL) into a record.
 */
#ifndef EXECUTION_RECORD_H
#define EXECUTION_RECORD_H

#include <stddef.h>
#include <stdint.h>

/* One execution's hash, as strings (NULL when the field is absent) and numbers (0 when absent). */
struct execution_record {
    char *arn;
    char *state_machine_arn;
    char *name;
    char *status;
    char *input;
    char *output;
    char *error;
    char *cause;
    char *role_arn;
    char *definition_hash; /* the content hash of the definition it runs (see definition.h) */
    int64_t start_ms;
    int64_t stop_ms; /* 0 while running */
    long last_event_id;
    char *state; /* where a running execution rests */
    long state_entered_event_id;
    int64_t state_entered_ms;
    char *state_input;
    char *task_token;         /* the open task's token, or NULL */
    char *task_resource;      /* the open task's Resource */
    char *resting;            /* "task", "wait" or "retry" */
    char *retry_counts;       /* retries made per retrier in this state, "1,0" */
    int64_t timer_due_ms;     /* 0 when the execution has no timer */
    int64_t task_timeout_ms;  /* 0 when the open task has no timeout */
    int64_t heartbeat_due_ms; /* 0 when the open task has no heartbeat */
    int64_t heartbeat_interval_ms;
    int64_t task_start_due_ms;    /* the open task's start is unconfirmed until then (0: confirmed) */
    char *task_parameters;        /* while unconfirmed: the task's resolved Parameters (JSON), to start it again */
    int64_t execution_timeout_ms; /* the root's: when the machine's top-level TimeoutSeconds ends it (0: never) */
    char *version_arn;            /* started by a version's or an alias's ARN: the version it runs, else NULL */
    char *alias_arn;              /* started by an alias's ARN: the alias, else NULL */
    char *mock_test_case;         /* started as <stateMachineArn>#<case>: the mock test case (docs/mocking.md) */
    /* A child branch's own (see docs/execution-model.md; branch fields, outside the mask above): */
    char *map_index; /* an iteration's index, decimal text (index 0 is a value), or NULL */
    char *map_item;  /* an iteration's item (JSON), or NULL */
    /* A branch resting at a fork ("resting" is "fork"): */
    char *fork_state; /* the fork's state number, decimal text (state 0 is a value) */
    long fork_length; /* children in all */
    long fork_started;
    long fork_running;
    long fork_succeeded;
    long fork_failed;
    long fork_signals; /* children ended since the fork was entered (docs/execution-model.md, "Joins and signals") */
    /* A distributed Map (docs/execution-model.md, "Distributed Map"): */
    char *map_run_arn;      /* a branch resting at a distributed Map: its Map Run; a child execution's record: its */
    char *history_of;       /* a branch in a child execution: that execution's id, whose history it writes */
    char *child_execution;  /* an iteration of a distributed Map: the id of the child execution it is */
    char *parent_execution; /* a child execution's record: the id of the execution that started its Map Run */
    char *variables;        /* the branch's workflow variables (Assign): a JSON object's text; NULL: none yet */
    char *trace_header;     /* the root's: StartExecution's traceHeader (X-Ray), or NULL; written at the start only */
    /* RedriveExecution (the root's record only; no commit but a redrive writes them): */
    long redrive_count;  /* times redriven (0: never) */
    int64_t redrive_ms;  /* when last redriven (0: never) */
    char *redrive_token; /* the clientToken of the last redrive, or NULL */
    /* A branch of a mock test case's execution (docs/mocking.md): */
    char *mock_invocations; /* the Task states it scheduled, with how often: {"<state>": <count>} (JSON), or NULL */
};

/* The fields of a record, as bits of a mask. */
enum execution_record_field {
    EXECUTION_FIELD_ARN = 1u << 0,
    EXECUTION_FIELD_STATE_MACHINE_ARN = 1u << 1,
    EXECUTION_FIELD_NAME = 1u << 2,
    EXECUTION_FIELD_STATUS = 1u << 3,
    EXECUTION_FIELD_INPUT = 1u << 4,
    EXECUTION_FIELD_OUTPUT = 1u << 5,
    EXECUTION_FIELD_ERROR = 1u << 6,
    EXECUTION_FIELD_CAUSE = 1u << 7,
    EXECUTION_FIELD_ROLE_ARN = 1u << 8,
    EXECUTION_FIELD_DEFINITION_HASH = 1u << 9,
    EXECUTION_FIELD_START = 1u << 10,
    EXECUTION_FIELD_STOP = 1u << 11,
    EXECUTION_FIELD_LAST_EVENT_ID = 1u << 12,
    EXECUTION_FIELD_STATE = 1u << 13,
    EXECUTION_FIELD_STATE_ENTERED_EVENT_ID = 1u << 14,
    EXECUTION_FIELD_STATE_ENTERED = 1u << 15,
    EXECUTION_FIELD_STATE_INPUT = 1u << 16,
    EXECUTION_FIELD_TASK_TOKEN = 1u << 17,
    EXECUTION_FIELD_TASK_RESOURCE = 1u << 18,
    EXECUTION_FIELD_RESTING = 1u << 19,
    EXECUTION_FIELD_RETRY_COUNTS = 1u << 20,
    EXECUTION_FIELD_TIMER_DUE = 1u << 21,
    EXECUTION_FIELD_TASK_TIMEOUT = 1u << 22,
    EXECUTION_FIELD_HEARTBEAT_DUE = 1u << 23,
    EXECUTION_FIELD_HEARTBEAT_INTERVAL = 1u << 24,
    EXECUTION_FIELD_TASK_START_DUE = 1u << 25,
    EXECUTION_FIELD_TASK_PARAMETERS = 1u << 26,
    EXECUTION_FIELD_EXECUTION_TIMEOUT = 1u << 27,
    EXECUTION_FIELD_VERSION_ARN = 1u << 28,
    EXECUTION_FIELD_ALIAS_ARN = 1u << 29,
    EXECUTION_FIELD_MOCK_TEST_CASE = 1u << 30,
};

#define EXECUTION_RECORD_FIELD_COUNT 31

/*
 * The fields of branches and forks, as bits of a second mask: they are
 * written by execution_record_branch_fields() only, so the writes of the
 * mask above (the root branch's resting fields, today's commits) stay what
 * they were.
 */
enum execution_branch_field {
    EXECUTION_BRANCH_FIELD_MAP_INDEX = 1u << 0,
    EXECUTION_BRANCH_FIELD_MAP_ITEM = 1u << 1,
    EXECUTION_BRANCH_FIELD_FORK_STATE = 1u << 2,
    EXECUTION_BRANCH_FIELD_FORK_LENGTH = 1u << 3,
    EXECUTION_BRANCH_FIELD_FORK_STARTED = 1u << 4,
    EXECUTION_BRANCH_FIELD_FORK_RUNNING = 1u << 5,
    EXECUTION_BRANCH_FIELD_FORK_SUCCEEDED = 1u << 6,
    EXECUTION_BRANCH_FIELD_FORK_FAILED = 1u << 7,
    EXECUTION_BRANCH_FIELD_FORK_SIGNALS = 1u << 8,
    EXECUTION_BRANCH_FIELD_MAP_RUN_ARN = 1u << 9,
    EXECUTION_BRANCH_FIELD_HISTORY_OF = 1u << 10,
    EXECUTION_BRANCH_FIELD_CHILD_EXECUTION = 1u << 11,
    EXECUTION_BRANCH_FIELD_PARENT_EXECUTION = 1u << 12,
    EXECUTION_BRANCH_FIELD_VARIABLES = 1u << 13,    /* written only by a step that changed them (or a child's first) */
    EXECUTION_BRANCH_FIELD_TRACE_HEADER = 1u << 14, /* the root's, written by the start that has one */
    EXECUTION_BRANCH_FIELD_REDRIVE_COUNT = 1u << 15,
    EXECUTION_BRANCH_FIELD_REDRIVE_DATE = 1u << 16,
    EXECUTION_BRANCH_FIELD_REDRIVE_TOKEN = 1u << 17,
    EXECUTION_BRANCH_FIELD_MOCK_INVOCATIONS = 1u << 18, /* written by a step that schedules a task of a test case */
};

#define EXECUTION_RECORD_BRANCH_FIELD_COUNT 19

/* The fields a redrive writes (and no other commit). */
#define EXECUTION_BRANCH_FIELDS_REDRIVE \
    (EXECUTION_BRANCH_FIELD_REDRIVE_COUNT | EXECUTION_BRANCH_FIELD_REDRIVE_DATE | EXECUTION_BRANCH_FIELD_REDRIVE_TOKEN)

/* The branch fields of an iteration, and the fork fields of a branch resting at a fork. */
#define EXECUTION_BRANCH_FIELDS_ITERATION (EXECUTION_BRANCH_FIELD_MAP_INDEX | EXECUTION_BRANCH_FIELD_MAP_ITEM)
#define EXECUTION_BRANCH_FIELDS_FORK                                                                              \
    (EXECUTION_BRANCH_FIELD_FORK_STATE | EXECUTION_BRANCH_FIELD_FORK_LENGTH | EXECUTION_BRANCH_FIELD_FORK_STARTED \
     | EXECUTION_BRANCH_FIELD_FORK_RUNNING | EXECUTION_BRANCH_FIELD_FORK_SUCCEEDED                                \
     | EXECUTION_BRANCH_FIELD_FORK_FAILED | EXECUTION_BRANCH_FIELD_FORK_SIGNALS | EXECUTION_BRANCH_FIELD_MAP_RUN_ARN)

/* Every field of both masks. */
#define EXECUTION_RECORD_ALL_FIELD_COUNT (EXECUTION_RECORD_FIELD_COUNT + EXECUTION_RECORD_BRANCH_FIELD_COUNT)

/* Every field of a record. */
#define EXECUTION_FIELDS_ALL ((1u << EXECUTION_RECORD_FIELD_COUNT) - 1)

/* The fields that say where a running execution rests; all go when it ends. */
#define EXECUTION_FIELDS_RESTING                                                                         \
    (EXECUTION_FIELD_STATE | EXECUTION_FIELD_STATE_ENTERED_EVENT_ID | EXECUTION_FIELD_STATE_ENTERED      \
     | EXECUTION_FIELD_STATE_INPUT | EXECUTION_FIELD_RESTING | EXECUTION_FIELD_RETRY_COUNTS              \
     | EXECUTION_FIELD_TASK_TOKEN | EXECUTION_FIELD_TASK_RESOURCE | EXECUTION_FIELD_TIMER_DUE            \
     | EXECUTION_FIELD_TASK_TIMEOUT | EXECUTION_FIELD_HEARTBEAT_DUE | EXECUTION_FIELD_HEARTBEAT_INTERVAL \
     | EXECUTION_FIELD_TASK_START_DUE | EXECUTION_FIELD_TASK_PARAMETERS)

/* The fields set when an execution is created, besides those of its first step. */
#define EXECUTION_FIELDS_IDENTITY                                                                           \
    (EXECUTION_FIELD_ARN | EXECUTION_FIELD_STATE_MACHINE_ARN | EXECUTION_FIELD_NAME | EXECUTION_FIELD_INPUT \
     | EXECUTION_FIELD_ROLE_ARN | EXECUTION_FIELD_DEFINITION_HASH | EXECUTION_FIELD_START                   \
     | EXECUTION_FIELD_EXECUTION_TIMEOUT | EXECUTION_FIELD_MOCK_TEST_CASE)

/* A field to set: name and NUL-terminated value. */
struct store_field {
    const char *name;
    const char *value;
};

/* What one write of a record sets and deletes; values point into the record and into numbers. */
struct execution_fields {
    struct store_field set[EXECUTION_RECORD_ALL_FIELD_COUNT];
    size_t set_count;
    const char *deletes[EXECUTION_RECORD_ALL_FIELD_COUNT];
    size_t delete_count;
    char numbers[EXECUTION_RECORD_ALL_FIELD_COUNT][24];
};

/*
 * The write of the fields in mask: each one the record has (a string that
 * is not NULL, a number that is not 0) is set, each other is deleted. The
 * values borrow record's strings: keep it alive while fields is used.
 */
void execution_record_fields(const struct execution_record *record, unsigned mask, struct execution_fields *fields);

/*
 * Adds to fields (as execution_record_fields() filled them) the write of
 * the branch fields in branch_mask (bits of enum execution_branch_field):
 * each one the record has is set, each other deleted. Each field is added
 * once: pass each field once per fields (in one call or several).
 */
void execution_record_branch_fields(const struct execution_record *record, unsigned branch_mask,
                                    struct execution_fields *fields);

/* The name in the hash of field (one bit of enum execution_record_field). */
const char *execution_record_field_name(enum execution_record_field field);

/*
 * Makes fields set field to value (borrowed) instead of what
 * execution_record_fields() chose for it (another value, or a deletion).
 */
void execution_record_fields_override(struct execution_fields *fields, enum execution_record_field field,
                                      const char *value);

/* A hash field read back: name and value (value_length bytes, not necessarily NUL-terminated). */
struct execution_hash_entry {
    const char *name;
    const char *value;
    size_t value_length;
};

/*
 * Builds a record (owned by the caller: execution_record_free) from the
 * fields of a hash; unknown fields are ignored, absent ones stay NULL or 0.
 * Returns 0, -EINVAL when a number field is not a decimal integer, or
 * -ENOMEM; *record is set only on 0.
 */
__attribute__((warn_unused_result)) int execution_record_from_hash(const struct execution_hash_entry *entries,
                                                                   size_t count, struct execution_record **record);

/* Calls visit with each text field record holds (those not NULL), e.g. to measure what it takes. */
void execution_record_each_text(const struct execution_record *record, void (*visit)(const char *text, void *data),
                                void *data);

/* Frees a record built by execution_record_from_hash(); safe on NULL. */
void execution_record_free(struct execution_record *record);

#endif
