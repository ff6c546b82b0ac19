/*
 * execution_machine_api - DescribeStateMachineForExecution: the state
 * machine as an execution runs it. Its definition is the one the execution
 * started with (the execution keeps its definition hash), whatever
 * UpdateStateMachine did since; the rest (roleArn from the execution,
 * logging, tracing, updateDate, revisionId) comes from the state machine.
 */
#ifndef EXECUTION_MACHINE_API_H
#define EXECUTION_MACHINE_API_H

#include "sfn_api_request.h"

/* DescribeStateMachineForExecution: executionArn -> stateMachineArn, name, definition, roleArn, updateDate, ... */
void execution_machine_api_describe(struct http_request *request, struct sfn_api *api, const cJSON *body);

#endif
