/* execution_start - StartExecution (see engine.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "log.h"
#include "random_id.h"
#include "sfn_arn.h"
#include "task_token.h"
#include "wall_clock.h"

struct start_operation {
    SLIST_ENTRY(start_operation) waiting; /* in engine->waiting_starts */
    struct engine *engine;
    engine_start_callback callback;
    void *data;
    char execution_arn[512];
    char execution_id[TASK_TOKEN_EXECUTION_ID_SIZE];
    char *name;
    char *input;
    char *test_case;    /* a mock test case's name, or NULL */
    char *trace_header; /* or NULL */
    bool express_only;  /* StartSyncExecution: refuse a STANDARD machine */
    bool express;       /* the machine is EXPRESS */
    int64_t start_ms;
    struct state_machine_record *machine; /* as loaded from Redis */
    struct cached_definition *definition; /* pinned while the operation lives */
    char *missing_activity;               /* an activity the first step scheduled and found missing */
    struct interpreter_step step;
    struct step_record next;
    struct fork_commit forks; /* the children the first step forked */
};

static void start_operation_free(struct start_operation *operation)
{
    interpreter_step_release(&operation->step);
    step_record_reset(&operation->next);
    fork_commit_reset(&operation->forks);
    definition_cache_release(&operation->engine->definitions, operation->definition);
    state_machine_store_record_free(operation->machine);
    free(operation->name);
    free(operation->input);
    free(operation->test_case);
    free(operation->trace_header);
    free(operation->missing_activity);
    free(operation);
}

/* Reports how a start ended (status 0, -EEXIST, -ENOENT, -EIO or -EPROTO) and frees the operation. */
static void finish_start(struct start_operation *operation, int status, int64_t start_ms)
{
    operation->callback(status, operation->execution_arn, start_ms, operation->data);
    start_operation_free(operation);
}

/* The execution exists: answers, and starts the tasks of its first step. */
static void execution_started(struct start_operation *operation)
{
    log_event(LOG_INFO, "execution-started", "Execution %s started with input %s", operation->execution_arn,
              operation->input);
    operation->callback(0, operation->execution_arn, operation->start_ms, operation->data);
    struct execution_record *committed =
        operation->step.has_task ? step_record_committed(NULL, &operation->next.fields, &operation->next.events, 1)
                                 : NULL; /* a new history: its first event is 1 */
    task_start_after_commit(operation->engine, &operation->step, &operation->next, operation->execution_arn,
                            operation->test_case, committed);
    fork_commit_start_tasks(operation->engine, &operation->forks, operation->execution_arn, operation->test_case);
    start_operation_free(operation);
}

static void on_execution_created(int status, bool created, struct execution_record *existing, void *data)
{
    struct start_operation *operation = data;
    if (status == 0 && created) {
        execution_started(operation);
    } else if (status == 0 && existing && operation->express) {
        finish_start(operation, -EEXIST, existing->start_ms); /* the same uuid twice: never in practice */
    } else if (status == 0 && existing) {
        /* Same name: AWS answers with the original execution if it runs with the same input. */
        bool same = existing && existing->status && strcmp(existing->status, "RUNNING") == 0 && existing->input
                    && strcmp(existing->input, operation->input) == 0;
        finish_start(operation, same ? 0 : -EEXIST, existing ? existing->start_ms : 0);
    } else {
        finish_start(operation, status == -EPROTO ? -EPROTO : -EIO, 0);
    }
    execution_store_record_free(existing);
}

/* Computes the execution's first step. Returns 0 or -ENOMEM. */
static int interpret_start(struct start_operation *operation)
{
    const struct state_machine_record *machine = operation->machine;
    char *token = NULL;
    int result = task_token_create(operation->execution_id, &token);
    if (result < 0)
        return result;
    struct map_run_origin origin = { operation->execution_id, machine->arn };
    struct execution_facts facts = {
        .execution_arn = operation->execution_arn,
        .execution_name = operation->name,
        .state_machine_arn = machine->arn,
        .state_machine_name = machine->name,
        .role_arn = machine->role_arn,
        .version_arn = machine->version_arn,
        .alias_arn = machine->alias_arn,
        .region = operation->engine->config.region,
        .start_ms = operation->start_ms,
        .input = operation->input,
    };
    struct step_environment environment = {
        .now_ms = operation->start_ms,
        .fresh_token = token,
        .jitter = step_record_random_fraction(),
        .random_bytes = random_id_fill,
        .missing_activity = operation->missing_activity,
        .branch_token = fork_commit_branch_token,
        .token_context = operation->execution_id,
        .map_run = map_run_commit_arn,
        .map_run_context = &origin,
    };
    result = interpreter_start(operation->definition->machine, &facts, &environment, &operation->step);
    free(token);
    return result;
}

/* deadline (0: none) no later than an EXPRESS execution's limit after start_ms. */
static int64_t express_deadline(const struct engine *engine, int64_t deadline, int64_t start_ms)
{
    double scaled = (double)ENGINE_EXPRESS_MAX_SECONDS * 1000.0 * engine->config.time_scale;
    int64_t limit = start_ms + (scaled < 1 ? 1 : (int64_t)scaled);
    return deadline == 0 || deadline > limit ? limit : deadline;
}

/* Creates the execution in Redis from its first step. Same returns as execution_store_create(). */
static int store_execution(struct start_operation *operation)
{
    const struct state_machine_record *machine = operation->machine;
    struct execution_record *record = &operation->next.record;
    const struct execution_events *events = NULL;
    step_record_describe(operation->engine, &operation->step, &operation->next);
    fork_commit_reset(&operation->forks);
    int result = step_record_count_invocation(&operation->step, NULL, operation->test_case, &operation->next);
    if (result == 0)
        result = fork_commit_describe(operation->engine, operation->definition->machine, "", &operation->step, 0,
                                      operation->test_case, &operation->forks);
    if (result == 0)
        result = step_record_events(&operation->step, &operation->next, &events);
    if (result < 0)
        return result;
    if (operation->step.status == EXECUTION_RUNNING && operation->step.resting == RESTING_FORK)
        fork_commit_describe_fork(&operation->step, &operation->forks, &operation->next);
    /* Borrowed, as the step's strings are. */
    record->arn = operation->execution_arn;
    record->state_machine_arn = machine->arn;
    record->name = operation->name;
    record->input = operation->input;
    record->role_arn = machine->role_arn;
    record->definition_hash = machine->definition_hash;
    record->version_arn = machine->version_arn;
    record->alias_arn = machine->alias_arn;
    record->start_ms = operation->start_ms;
    record->mock_test_case = operation->test_case;
    record->execution_timeout_ms =
        step_record_execution_deadline(operation->engine, operation->definition->machine, operation->start_ms);
    if (operation->express)
        record->execution_timeout_ms =
            express_deadline(operation->engine, record->execution_timeout_ms, operation->start_ms);
    record->trace_header = operation->trace_header;
    operation->next.mask = EXECUTION_FIELDS_ALL;
    step_record_fields(&operation->next);
    if (record->trace_header)
        execution_record_branch_fields(record, EXECUTION_BRANCH_FIELD_TRACE_HEADER, &operation->next.fields);
    if (operation->step.status == EXECUTION_RUNNING && operation->step.resting == RESTING_FORK)
        execution_record_branch_fields(record, EXECUTION_BRANCH_FIELDS_FORK, &operation->next.fields);
    const struct execution_first_forks forks = { operation->forks.items, operation->forks.child_count,
                                                 operation->forks.results, operation->forks.result_count };
    return execution_store_create_forked(operation->engine->redis, operation->execution_id, record,
                                         &operation->next.fields, events, &forks, on_execution_created, operation);
}

static int recompute_start(void *operation)
{
    return interpret_start(operation);
}

static void on_start_activity_checked(int status, void *data)
{
    struct start_operation *operation = data;
    int result = task_start_settle_activity_check(status, &operation->missing_activity, &operation->step,
                                                  recompute_start, operation);
    if (result == 0)
        result = store_execution(operation);
    if (result < 0)
        finish_start(operation, -EIO, 0);
}

/* Runs the machine's first steps (checking an activity they schedule) and creates the execution with them. */
static int create_execution(struct engine *engine, struct start_operation *operation)
{
    int result = interpret_start(operation);
    if (result == 0)
        result = task_start_check_activity(engine, &operation->step, operation->missing_activity,
                                           on_start_activity_checked, operation);
    return result == 1 ? store_execution(operation) : result;
}

static void on_definition_for_start(int status, struct cached_definition *definition, void *data)
{
    struct start_operation *operation = data;
    operation->definition = definition;
    if (status < 0 || create_execution(operation->engine, operation) < 0)
        finish_start(operation, -EIO, 0);
}

/* The execution's store id and ARN: <machine>:<name> (EXPRESS: <machine>:<uuid>, see engine.h). 0 or a negative code. */
static int name_execution(struct start_operation *operation)
{
    const struct state_machine_record *machine = operation->machine;
    char uuid[37];
    int length;
    if (!operation->express) {
        length =
            snprintf(operation->execution_id, sizeof(operation->execution_id), "%s:%s", machine->name, operation->name);
        return length < 0 || (size_t)length >= sizeof(operation->execution_id)
                   ? -ENAMETOOLONG
                   : engine_execution_arn(machine->arn, operation->name, operation->execution_arn,
                                          sizeof(operation->execution_arn));
    }
    int result = random_id_uuid(uuid);
    if (result < 0)
        return result;
    length = snprintf(operation->execution_id, sizeof(operation->execution_id), "%s:%s", machine->name, uuid);
    if (length < 0 || (size_t)length >= sizeof(operation->execution_id))
        return -ENAMETOOLONG;
    return engine_express_arn(machine->arn, operation->name, uuid, operation->execution_arn,
                              sizeof(operation->execution_arn));
}

/* The machine is loaded and the shard count known: names the execution and creates it. */
static void name_and_create(struct start_operation *operation)
{
    struct engine *engine = operation->engine;
    const struct state_machine_record *machine = operation->machine;
    int result = name_execution(operation);
    if (result == 0)
        result = engine_pin_definition(engine, machine->definition_hash, machine->arn, &operation->definition,
                                       on_definition_for_start, operation);
    if (result == 1)
        result = create_execution(engine, operation);
    if (result < 0)
        finish_start(operation, -EIO, 0);
}

void execution_start_resume_waiting(struct engine *engine, int status)
{
    while (!SLIST_EMPTY(&engine->waiting_starts)) {
        struct start_operation *operation = SLIST_FIRST(&engine->waiting_starts);
        SLIST_REMOVE_HEAD(&engine->waiting_starts, waiting);
        if (status < 0)
            finish_start(operation, -EIO, 0);
        else
            name_and_create(operation);
    }
}

static void on_machine_for_start(int status, struct state_machine_record *machine, void *data)
{
    struct start_operation *operation = data;
    struct engine *engine = operation->engine;
    operation->machine = machine;
    if (status < 0 || !machine) {
        finish_start(operation, status < 0 ? -EIO : -ENOENT, 0);
        return;
    }
    operation->express = machine->type && strcmp(machine->type, "EXPRESS") == 0;
    if (operation->express_only && !operation->express) {
        finish_start(operation, -EOPNOTSUPP, 0);
        return;
    }
    if (!engine->shards_known) { /* read as soon as Redis is connected (engine.c): it comes soon */
        SLIST_INSERT_HEAD(&engine->waiting_starts, operation, waiting);
        return;
    }
    name_and_create(operation);
}

/*
 * Loads the machine called machine_name, or when it is qualified
 * (<machine>:<version> or <machine>:<alias>) the version it names, picking
 * an alias's version by weight. Same returns as state_machine_store_load().
 */
static int load_machine(struct engine *engine, char *machine_name, struct start_operation *operation)
{
    char *qualifier = strchr(machine_name, ':');
    if (!qualifier)
        return state_machine_store_load(engine->redis, machine_name, false, on_machine_for_start, operation);
    *qualifier++ = '\0';
    return state_machine_store_load_qualified(engine->redis, machine_name, qualifier,
                                              (int)(step_record_random_fraction() * 100), on_machine_for_start,
                                              operation);
}

int engine_start(struct engine *engine, const struct engine_start_request *request, engine_start_callback callback,
                 void *data)
{
    char machine_name[SFN_ARN_PART_SIZE], generated_name[37];
    const char *name = request->name;
    if (engine_machine_name_from_arn(engine, request->state_machine_arn, machine_name, sizeof(machine_name)) < 0)
        return -ENOENT;
    if (!redis_client_connected(engine->redis))
        return -ENOTCONN;
    if (!name) {
        int result = random_id_uuid(generated_name);
        if (result < 0)
            return result;
        name = generated_name;
    }
    struct start_operation *operation = calloc(1, sizeof(*operation));
    if (!operation)
        return -ENOMEM;
    operation->engine = engine;
    operation->callback = callback;
    operation->data = data;
    operation->start_ms = wall_clock_now_ms();
    operation->express_only = request->express_only;
    operation->name = strdup(name);
    operation->input = strdup(request->input);
    operation->trace_header = request->trace_header ? strdup(request->trace_header) : NULL;
    operation->test_case = request->test_case ? strdup(request->test_case) : NULL;
    int result = operation->name && operation->input && (operation->trace_header || !request->trace_header)
                         && (operation->test_case || !request->test_case)
                     ? load_machine(engine, machine_name, operation)
                     : -ENOMEM;
    if (result < 0)
        start_operation_free(operation);
    return result;
}

int engine_start_execution(struct engine *engine, const char *state_machine_arn, const char *name, const char *input,
                           engine_start_callback callback, void *data)
{
    const struct engine_start_request request = { state_machine_arn, name, input, NULL, false, NULL };
    return engine_start(engine, &request, callback, data);
}
