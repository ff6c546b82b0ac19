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

#include "engine.h"
#include "sfn_api_request.h"

/* StartExecution {stateMachineArn, name?, input?, traceHeader?}: {executionArn, startDate}. */
sfn_operation execution_api_start;

/*
 * Reads and checks StartExecution's (and StartSyncExecution's) members into
 * start (express_only false; strings borrowed from body and request): the
 * name rules, the input's size, nesting and JSON, the ARN, and traceHeader
 * (the X-Amzn-Trace-Id header, when given, wins over it, as on AWS).
 * A stateMachineArn of <arn>#<case> names a mock test case (docs/mocking.md):
 * the ARN without it is copied into machine_arn (size bytes, at least
 * SFN_ARN_PART_SIZE) and start's state_machine_arn points there.
 * Answers the error AWS answers and returns false when one is wrong.
 */
__attribute__((warn_unused_result)) bool execution_api_read_start(struct http_request *request,
                                                                  const struct sfn_api *api, const cJSON *body,
                                                                  struct engine_start_request *start, char *machine_arn,
                                                                  size_t size);

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
