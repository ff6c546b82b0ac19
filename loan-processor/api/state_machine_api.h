/*
 * state_machine_api - the Step Functions API's state machine operations:
 * CreateStateMachine, DescribeStateMachine, UpdateStateMachine,
 * DeleteStateMachine and ListStateMachines, with AWS's shapes, limits,
 * error codes and messages. Listed in sfn_api.c's operations[] table.
 *
 * State machines live in Redis (state_machine_store); creating and
 * updating go through the engine, which checks the definition.
 * publish and versionDescription publish a version (version_api.h);
 * DescribeStateMachine of a version's ARN describes that version. Tags on
 * create are kept (tag_api); encryptionConfiguration is accepted and not
 * kept.
 */
#ifndef STATE_MACHINE_API_H
#define STATE_MACHINE_API_H

#include "sfn_api_request.h"

sfn_operation state_machine_api_create;
sfn_operation state_machine_api_describe;
sfn_operation state_machine_api_update;
sfn_operation state_machine_api_delete;
sfn_operation state_machine_api_list;

#endif
