/*
 * definition_diagnostics - what ValidateStateMachineDefinition reports about
 * a definition, as data: each diagnostic's severity, code, message and
 * location. Pure: no I/O.
 *
 * The errors are the ones CreateStateMachine refuses a definition for
 * (definition_check), split from AWS's text "CODE: message at /location",
 * each one the parser meets (definition_check_reporting, which says in what
 * order; the first is the one CreateStateMachine answers). The
 * warnings are among those AWS documents (ValidateStateMachineDefinitionDiagnostic),
 * for JSONPath states of a valid definition:
 *   NO_DOLLAR              a payload template field (Parameters, ResultSelector,
 *                          ItemSelector) whose value looks like a path or an
 *                          intrinsic function call, but whose name lacks ".$"
 *   NO_PATH                a field whose string value is a JSONPath ("$", "$.x",
 *                          "$$.x", "$[0]") where the state could take the path in
 *                          a field of the same name ending with "Path": a Fail's
 *                          Error and Cause, a Choice rule's String comparisons
 *                          (StringEquals, ...), in nested And, Or and Not too
 *   PASS_RESULT_IS_STATIC  a Pass state's Result with a field named "<x>.$"
 * Each state's warnings come in this order: NO_DOLLAR, NO_PATH, PASS_RESULT_IS_STATIC.
 */
#ifndef DEFINITION_DIAGNOSTICS_H
#define DEFINITION_DIAGNOSTICS_H

#include <stdbool.h>
#include <stddef.h>

#include "definition.h"

/* The most errors listed: one more than a response lists, so that it can say it is truncated. */
#define DEFINITION_MAX_ERRORS 101

enum definition_severity { DEFINITION_ERROR, DEFINITION_WARNING };

#define DEFINITION_CODE_SIZE 64
#define DEFINITION_MESSAGE_SIZE 1024
#define DEFINITION_LOCATION_SIZE 512

struct definition_diagnostic {
    enum definition_severity severity;
    char code[DEFINITION_CODE_SIZE];
    char message[DEFINITION_MESSAGE_SIZE];
    char location[DEFINITION_LOCATION_SIZE]; /* "" when the diagnostic has none */
};

/* A list of diagnostics, errors first; items is owned (definition_diagnostics_free). */
struct definition_diagnostics {
    struct definition_diagnostic *items;
    size_t count;
    size_t capacity;
};

/*
 * Splits a definition error text of definition_check ("CODE: message at
 * /location") into diagnostic (an ERROR). A text without a code gets
 * SCHEMA_VALIDATION_FAILED, one without a location gets "".
 */
void definition_diagnostic_from_error(const char *error, struct definition_diagnostic *diagnostic);

/*
 * Validates text for a machine of type into out (which the caller zeroes
 * first and frees with definition_diagnostics_free, also on failure): its
 * errors (at most DEFINITION_MAX_ERRORS), if any, then, with warnings set
 * and no error, the warnings. Returns 0, or -ENOMEM.
 */
__attribute__((warn_unused_result)) int definition_diagnose(const char *text, enum machine_type type, bool warnings,
                                                            struct definition_diagnostics *out);

/* Frees the items of diagnostics and empties it; safe on an empty one. */
void definition_diagnostics_free(struct definition_diagnostics *diagnostics);

#endif
