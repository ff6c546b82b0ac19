/*
 * asl_parameters.h - Amazon States Language payload templates (Parameters,
 * Payload, ResultSelector): keys ending in ".$" take their value from a path
 * or an intrinsic function call (intrinsic_functions.h); every other key is
 * copied literally.
 *
 * The module is pure: no I/O, no global state. Memory it allocates comes from
 * cJSON's allocator. Every function that takes `error`/`error_size` writes an
 * empty string there on entry (when error != NULL and error_size > 0) and a
 * NUL-terminated, possibly truncated, message on failure.
 */
#ifndef ASL_PARAMETERS_H
#define ASL_PARAMETERS_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "intrinsic_functions.h"

/*
 * Validates a template at definition time: every key ending in ".$" must hold
 * a string that is a valid path (asl_path_validate; "$..." or "$$...") or a
 * valid intrinsic function call (intrinsic_validate: syntax, known function,
 * argument count). Recurses into nested objects and arrays. Borrows
 * `template_json`.
 * Returns 0 if valid. On failure returns -EINVAL and writes exactly
 *   The value for the field 'KEY.$' must be a valid JSONPath or a valid intrinsic function call
 * where KEY.$ is the first offending key as written. -EINVAL without a
 * message if template_json is NULL.
 */
__attribute__((warn_unused_result)) int asl_parameters_validate(const cJSON *template_json, char *error,
                                                                size_t error_size);

/*
 * The most JSON text the values a template selects (paths and intrinsic
 * calls) may add up to: AWS's payload limit (256 KiB). Past it evaluation
 * stops, so a template that copies a big input many times never builds it.
 */
#define ASL_PARAMETERS_MAX_BYTES 262144

/*
 * Evaluates a template in a scope (all borrowed): the effective input, the
 * context object and the randomness intrinsic functions draw on. Keys
 * ending in ".$" are replaced by the key without the suffix, holding a deep
 * copy of what the path selects ("$..." in the input, "$$..." in the
 * context) or what the intrinsic function call returns. Other keys are
 * copied literally. Nested objects and arrays are evaluated recursively.
 * On success stores a new document the caller owns (cJSON_Delete) in *result
 * and returns 0. On failure *result is untouched, nothing leaks, and:
 *   -ENOENT   a path selects nothing (States.Runtime); error holds
 *             The JSONPath '$.x' specified for the field 'value.$' could not be found in the input '<input, unformatted>'
 *             or, for a path inside an intrinsic call,
 *             The function '<call>' had the following error: The JsonPath argument for the field '$.x' could not be found in the input '<input>'
 *   -EDOM     an intrinsic function failed (INTRINSIC_FAILURE_ERROR,
 *             States.IntrinsicFailure); error holds
 *             The function '<call>' had the following error: <why>
 *   -ENOTSUP  States.UUID or an unseeded States.MathRandom with no
 *             values->random_bytes; error says so
 *   -EINVAL   a ".$" value that is not a string / not a path or valid call
 *             (same text as asl_parameters_validate), or NULL arguments
 *   -E2BIG    the values selected add up to more than
 *             ASL_PARAMETERS_MAX_BYTES of JSON text (a lower bound of their
 *             serialised size, so the document would be over it too);
 *             error says so (States.DataLimitExceeded)
 *   -ENOMEM   allocation failure (error empty)
 *   other     what values->random_bytes returned (error empty)
 */
__attribute__((warn_unused_result)) int asl_parameters_evaluate_in(const cJSON *template_json,
                                                                   const struct intrinsic_scope *values, cJSON **result,
                                                                   char *error, size_t error_size);

/* asl_parameters_evaluate_in with no randomness: for templates without States.UUID or an unseeded States.MathRandom. */
__attribute__((warn_unused_result)) int asl_parameters_evaluate(const cJSON *template_json, const cJSON *input,
                                                                const cJSON *context, cJSON **result, char *error,
                                                                size_t error_size);

/*
 * Finds a key ending in ".$" left in already-resolved parameters (anywhere,
 * recursively, first in document order). This is what the CDK mistake
 * `'taskToken.$': JsonPath.taskToken` produces: the template key was
 * "taskToken.$.$", so the resolved document holds a "taskToken.$" key.
 * Returns 0 and stores a pointer to the offending key string (borrowed from
 * `resolved`) in *field if one is found, -ENOENT if none, -EINVAL if field
 * is NULL.
 */
__attribute__((warn_unused_result)) int asl_parameters_find_unresolved_key(const cJSON *resolved, const char **field);

#endif
