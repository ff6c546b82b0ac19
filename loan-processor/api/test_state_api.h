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
 * The longest a TestState waits for a real Task, in seconds of the
 * definition's time (scaled by the engine's time scale): AWS's five minutes
 * (STATE_TEST_MAX_SECONDS). The server's request deadline must be longer.
 */
#define TEST_STATE_API_MAX_SECONDS 300

/*
 * TestState {definition, roleArn?, input?, inspectionLevel?, revealSecrets?,
 * variables?, stateName?, mock?, context?, stateConfiguration?}: the
 * outcome of the state; answered once a real Task reported or ran past its
 * TimeoutSeconds or TEST_STATE_API_MAX_SECONDS (States.Timeout).
 */
sfn_operation test_state_api_test;

#endif
