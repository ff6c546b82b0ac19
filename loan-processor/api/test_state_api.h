/*
 * test_state_api - the Step Functions API's TestState: one state run once,
 * in AWS's shapes and wording (status, output, error, cause, nextState,
 * inspectionData; InvalidDefinition, ValidationException,
 * InvalidExecutionInput). Listed in sfn_api.c's operations table.
 */
#ifndef TEST_STATE_API_H
#define TEST_STATE_API_H

#include "sfn_api_request.h"

/*
 * TestState {definition, roleArn?, input?, inspectionLevel?, revealSecrets?,
 * variables?, stateName?, mock?, context?, stateConfiguration?}: the
 * outcome of the state; answered once a real Task reported.
 */
sfn_operation test_state_api_test;

#endif
