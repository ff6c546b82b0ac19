/*
 * definition - a state machine's Amazon States Language definition as the
 * API takes it: validated for the state machine's type, and named by its
 * content. Pure: no I/O.
 *
 * A definition is stored once under its content hash (SHA-256 of the text
 * exactly as given); an execution records that hash, so it keeps running
 * the definition it started with whatever UpdateStateMachine does later.
 */
#ifndef DEFINITION_H
#define DEFINITION_H

#include <stddef.h>

#include "digest.h"
#include "state_machine.h"

/* SHA-256 as 64 lower-case hex digits, plus the NUL. */
#define DEFINITION_HASH_SIZE 65
/* The model's Definition shape: 1 to 1048576 characters. */
#define DEFINITION_MAX_LENGTH 1048576

enum machine_type { MACHINE_STANDARD, MACHINE_EXPRESS };

/* "STANDARD" or "EXPRESS", as in the API. */
const char *definition_type_name(enum machine_type type);

/* Reads a type name of the API. Returns 0, or -EINVAL for anything but STANDARD and EXPRESS. */
__attribute__((warn_unused_result)) int definition_type_from_name(const char *name, enum machine_type *type);

/* The definition's content hash (64 hex digits) into out. */
void definition_hash(const char *text, char out[DEFINITION_HASH_SIZE]);

/*
 * Parses and validates text for a state machine of type. On success
 * returns 0 and, when machine is not NULL, the parsed machine (the caller
 * frees it with state_machine_free). On a definition error returns -EINVAL
 * with AWS's detail in error, e.g. for an EXPRESS machine waiting on a
 * callback (recorded, with AWS's two spaces):
 *   SCHEMA_VALIDATION_FAILED: Express state machine does not support
 *   '.waitForTaskToken' service integration  at /States/<State>/Resource
 * -ENOMEM when out of memory.
 */
__attribute__((warn_unused_result)) int definition_check(const char *text, enum machine_type type,
                                                         struct state_machine **machine, char *error,
                                                         size_t error_size);

/*
 * Like definition_check(), but reports every definition error to problems,
 * as state_machine_parse_reporting() does, then (for an EXPRESS machine
 * without any) each Task calling what EXPRESS machines may not, in document
 * order. The first error is the one definition_check() answers. Returns 0
 * (and the machine, when machine is not NULL), -EINVAL when at least one
 * error was reported, -ENOMEM (or what report returned).
 */
__attribute__((warn_unused_result)) int definition_check_reporting(const char *text, enum machine_type type,
                                                                   struct state_machine **machine,
                                                                   struct state_machine_problems *problems);

#endif
