/*
 * map_run_api - the Step Functions API's Map Run operations:
 * DescribeMapRun, ListMapRuns and UpdateMapRun, with AWS's shapes, limits,
 * error codes and messages. Listed in sfn_api.c's operations table. Also
 * what ListExecutions needs to list a Map Run's child executions.
 *
 * Map Runs (a distributed Map's child executions, docs/execution-model.md)
 * are written by the engine; they are read and updated here through
 * map_run_store.
 */
#ifndef MAP_RUN_API_H
#define MAP_RUN_API_H

#include <stddef.h>

#include "sfn_api_request.h"

/* The model's LongArn: a Map Run ARN is 1-2000 characters. */
#define MAP_RUN_API_MAX_ARN_LENGTH 2000

/* DescribeMapRun {mapRunArn}: the Map Run's settings and counts, or ResourceNotFound. */
sfn_operation map_run_api_describe;

/* ListMapRuns {executionArn, maxResults?, nextToken?}: {mapRuns, nextToken?}, or ExecutionDoesNotExist. */
sfn_operation map_run_api_list;

/* UpdateMapRun {mapRunArn, maxConcurrency?, toleratedFailurePercentage?, toleratedFailureCount?}: {}. */
sfn_operation map_run_api_update;

/*
 * Reads the required member (a Map Run ARN) into arn and returns its text;
 * answers (ValidationException, InvalidArn, or ResourceNotFound for a well
 * formed ARN no Map Run can have) and returns NULL when it does not name one.
 */
__attribute__((warn_unused_result)) const char *map_run_api_arn(struct http_request *request, const cJSON *body,
                                                                const char *member, struct sfn_arn *arn);

/* Answers 400 ResourceNotFound for a Map Run ARN. */
void map_run_api_reply_not_found(struct http_request *request, const char *map_run_arn);

/*
 * The state machine ARN of a Map Run's child executions
 * (arn:...:stateMachine:<stateMachine>/<label>) and the prefix of their
 * ARNs (arn:...:execution:<stateMachine>/<label>:), from its ARN. Returns
 * 0, or -ENAMETOOLONG when one does not fit, -EINVAL when map_run_arn is
 * not a Map Run ARN.
 */
__attribute__((warn_unused_result)) int map_run_api_child_arns(const char *map_run_arn, char *state_machine_arn,
                                                               size_t machine_size, char *execution_prefix,
                                                               size_t prefix_size);

#endif
