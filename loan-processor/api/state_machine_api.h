/*
 * state_machine_api - the Step Functions API's state machine operations:
 * CreateStateMachine, DescribeStateMachine, UpdateStateMachine,
 * DeleteStateMachine and ListStateMachines, with AWS's shapes, limits,
 * error codes and messages. Listed in sfn_api.c's operations[] table.
 *
 * State machines live in Redis (state_machine_store); creating and
 * updating go through the engine, which checks the definition.
 * Not supported (answered with a ValidationException that says so):
 * publish (versions) and, therefore, versionDescription. Tags on create
 * are kept (tag_api); encryptionConfiguration is accepted and not kept.
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
