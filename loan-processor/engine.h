/*
 * engine - runs executions: starts them, completes their waiting tasks and
 * starts the tasks they wait on. It joins the pure interpreter to the
 * Redis store (execution_store) and to what tasks run (task_functions).
 *
 * Every change is computed from the stored record and committed with a
 * compare-and-set on the record's lastEventId (and on the open task token
 * for task outcomes). A change that lost a race is recomputed from the new
 * record a few times; a task whose token is no longer open reports
 * -ETIMEDOUT, which the API answers with TaskTimedOut.
 *
 * Timers (task timeouts and heartbeats, Wait states, retry intervals) live
 * in Redis (see execution_timers); every duration of a definition is
 * multiplied by config.time_scale.
 *
 * A Task whose Resource is an activity's ARN is queued for the activity's
 * workers (see activities) once its ActivityScheduled is committed; the
 * activity must exist when the task is scheduled, else the execution fails
 * with States.Runtime as on AWS.
 */
#ifndef ENGINE_H
#define ENGINE_H

#include <stdint.h>

#include "activities.h"
#include "event_loop.h"
#include "redis_client.h"
#include "task_functions.h"

struct engine;

struct engine_config {
    const char *region;                 /* "us-east-1" */
    const char *account;                /* "123456789012" */
    double time_scale;                  /* factor on every timeout, heartbeat, Wait and retry interval */
    const struct task_functions_environment *functions;
    struct activities *activities;      /* where activity tasks are queued for their workers */
};

/* status 0: started (or the same running execution already existed); -EEXIST; -EIO. */
typedef void (*engine_start_callback)(int status, const char *execution_arn, int64_t start_ms, void *data);

/*
 * status 0: done; execution_status is the execution's status afterwards.
 * -ETIMEDOUT: the task is closed (answered, timed out or its execution ended).
 * -EIO: Redis gave no answer.
 */
typedef void (*engine_task_callback)(int status, const char *execution_arn, const char *execution_status,
                                     void *data);

/*
 * Creates an engine on loop and redis. Returns 0 or -ENOMEM. Its timers
 * start firing once Redis is connected.
 */
int engine_create(struct event_loop *loop, struct redis_client *redis, const struct engine_config *config,
                  struct engine **engine);

/* Stops firing timers (shutdown: call before the loop goes away). Safe on NULL. */
void engine_stop(struct engine *engine);

/* Frees the engine. Operations still in flight must have been answered (destroy Redis first). */
void engine_destroy(struct engine *engine);

/*
 * Registers (or replaces) a state machine from its ASL definition and
 * records it in Redis (now if connected, else on the next connection).
 * Returns 0, or -EINVAL with AWS's definition error text in error.
 */
int engine_register_state_machine(struct engine *engine, const char *name, const char *definition,
                                  char *error, size_t error_size);

/* The ARN a state machine of this name has in this engine's region and account. */
void engine_state_machine_arn(const struct engine *engine, const char *name, char *out, size_t size);

/* The execution ARN for an execution name of a state machine ARN. Returns 0 or -EINVAL. */
int engine_execution_arn(const char *state_machine_arn, const char *execution_name, char *out, size_t size);

/* Calls each registered state machine's ARN, for listings. */
void engine_for_each_state_machine(const struct engine *engine,
                                   void (*visit)(const char *arn, const char *name, int64_t created_ms, void *data),
                                   void *data);

/*
 * Starts an execution named name (a UUID when NULL) with input (JSON text,
 * already validated). Returns 0 and later calls callback once; or -ENOENT
 * (no such state machine), -ENOTCONN/-EAGAIN (Redis unavailable), -ENOMEM,
 * and never calls it.
 */
int engine_start_execution(struct engine *engine, const char *state_machine_arn, const char *name,
                           const char *input, engine_start_callback callback, void *data);

/*
 * SendTaskSuccess: completes the task waiting on token with output (JSON
 * text, already validated). Returns 0 and later calls callback once; or
 * -EINVAL (token malformed), -ENOTCONN/-EAGAIN, -ENOMEM, and never calls it.
 */
int engine_send_task_success(struct engine *engine, const char *token, const char *output,
                             engine_task_callback callback, void *data);

/* SendTaskFailure: as above, with error and cause (either may be NULL). */
int engine_send_task_failure(struct engine *engine, const char *token, const char *error, const char *cause,
                             engine_task_callback callback, void *data);

/*
 * GetActivityTask: a worker (worker_name, NULL for none) took the activity
 * task waiting on token; records ActivityStarted and restarts the task's
 * heartbeat clock. Same returns as engine_send_task_success(); the
 * callback gets 0, -ETIMEDOUT (the task is closed: skip it) or -EIO.
 */
int engine_activity_started(struct engine *engine, const char *token, const char *worker_name,
                            engine_task_callback callback, void *data);

/*
 * SendTaskHeartbeat: restarts the heartbeat clock of the task waiting on
 * token. Same returns as above; the callback gets 0, -ETIMEDOUT or -EIO
 * (execution_arn and execution_status NULL).
 */
int engine_send_task_heartbeat(struct engine *engine, const char *token, engine_task_callback callback, void *data);

#endif
