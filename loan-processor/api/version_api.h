/*
 * version_api - the Step Functions API's versions and aliases:
 * PublishStateMachineVersion, ListStateMachineVersions,
 * DeleteStateMachineVersion, CreateStateMachineAlias,
 * DescribeStateMachineAlias, UpdateStateMachineAlias,
 * DeleteStateMachineAlias and ListStateMachineAliases, with AWS's shapes,
 * limits and error codes. Listed in sfn_api.c's operations[] table.
 *
 * Versions and aliases live in Redis with their state machine
 * (state_machine_store); StartExecution runs them (engine.h).
 */
#ifndef VERSION_API_H
#define VERSION_API_H

#include "sfn_api_request.h"

sfn_operation version_api_publish;
sfn_operation version_api_list_versions;
sfn_operation version_api_delete_version;
sfn_operation version_api_create_alias;
sfn_operation version_api_describe_alias;
sfn_operation version_api_update_alias;
sfn_operation version_api_delete_alias;
sfn_operation version_api_list_aliases;

#endif
