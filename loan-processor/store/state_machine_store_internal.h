/* state_machine_store_internal - what state_machine_store.c and state_machine_versions.c share. */
#ifndef STATE_MACHINE_STORE_INTERNAL_H
#define STATE_MACHINE_STORE_INTERNAL_H

#include "redis_client.h"

/* Registers the scripts of versions and aliases with client. Returns 0 or a negative errno. */
__attribute__((warn_unused_result)) int state_machine_versions_init(struct redis_client *client);

#endif
