/*
 * task_api - the Step Functions API's task token operations:
 * SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat, in AWS's shapes
 * and wording (TaskTimedOut once the task is closed, InvalidToken).
 * Listed in sfn_api.c's operations table.
 */
#ifndef TASK_API_H
#define TASK_API_H

#include "sfn_api_request.h"

/* SendTaskSuccess {taskToken, output}: {}. */
sfn_operation task_api_success;

/* SendTaskFailure {taskToken, error?, cause?}: {}. */
sfn_operation task_api_failure;

/* SendTaskHeartbeat {taskToken}: {}. */
sfn_operation task_api_heartbeat;

#endif
