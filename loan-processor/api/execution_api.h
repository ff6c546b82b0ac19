/*
 * execution_api - the Step Functions API's execution operations:
 * StartExecution, DescribeExecution, GetExecutionHistory, ListExecutions
 * StopExecution and RedriveExecution, with AWS's shapes, limits, error codes and messages.
 * Listed in sfn_api.c's operations table.
 *
 * Executions run in the engine; their records and histories are read from
 * execution_store.
 */
#ifndef EXECUTION_API_H
#define EXECUTION_API_H

#include "sfn_api_request.h"

/* StartExecution {stateMachineArn, name?, input?}: {executionArn, startDate}. */
sfn_operation execution_api_start;

/* DescribeExecution {executionArn}: the execution's record, or ExecutionDoesNotExist. */
sfn_operation execution_api_describe;

/* GetExecutionHistory {executionArn, maxResults?, nextToken?, reverseOrder?, includeExecutionData?}: {events}. */
sfn_operation execution_api_get_history;

/*
 * ListExecutions {stateMachineArn or mapRunArn, statusFilter?, redriveFilter?, maxResults?, nextToken?}:
 * {executions}; listed by mapRunArn, each carries it.
 */
sfn_operation execution_api_list;

/* StopExecution {executionArn, error?, cause?}: {stopDate}; a Map Run's child execution is refused. */
sfn_operation execution_api_stop;

/*
 * RedriveExecution {executionArn, clientToken?}: {redriveDate}; ExecutionNotRedrivable (with AWS's reason) for
 * an execution that is not FAILED, TIMED_OUT or ABORTED, or past AWS's limits.
 */
void execution_api_redrive(struct http_request *request, struct sfn_api *api, const cJSON *body);

#endif
