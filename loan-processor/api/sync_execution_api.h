/*
 * sync_execution_api - StartSyncExecution: starts an execution of an
 * EXPRESS state machine and answers when it has ended, with AWS's response
 * shape. Listed in sfn_api.c's operations table.
 *
 * The request stays suspended (no thread, no polling) while the execution
 * runs, on whichever loan-processor of the same Redis runs it; the
 * execution_waiters hub answers it when the execution's end is announced.
 * An EXPRESS execution ends within ENGINE_EXPRESS_MAX_SECONDS (scaled), so
 * a wait is bounded by that plus SYNC_EXECUTION_MARGIN_MS; a client that
 * goes away ends its wait within about a second.
 */
#ifndef SYNC_EXECUTION_API_H
#define SYNC_EXECUTION_API_H

#include "sfn_api_request.h"

/* How much longer than an EXPRESS execution's limit a StartSyncExecution waits for its end. */
#define SYNC_EXECUTION_MARGIN_MS 10000

/*
 * StartSyncExecution {stateMachineArn, name?, input?, traceHeader?}:
 * {executionArn, stateMachineArn, name, startDate, stopDate, status
 * (SUCCEEDED, FAILED, TIMED_OUT), error?, cause?, input, inputDetails,
 * output?, outputDetails?, traceHeader?, billingDetails}.
 * StateMachineTypeNotSupported for a STANDARD machine; the errors of
 * StartExecution otherwise.
 */
sfn_operation sync_execution_api_start;

#endif
