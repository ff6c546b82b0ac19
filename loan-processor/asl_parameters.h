/*
 * asl_parameters.h - Amazon States Language payload templates (Parameters,
 * Payload, ResultSelector): keys ending in ".$" take their value from a path
 * or an intrinsic function call; every other key is copied literally.
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

/*
 * Validates a template at definition time: every key ending in ".$" must hold
 * a string that is a valid path (asl_path_validate; "$..." or "$$...") or
 * looks like an intrinsic function call ("States.Name(...)": a name of
 * letters, digits and dots, balanced parentheses outside quoted strings).
 * Recurses into nested objects and arrays. Borrows `template_json`.
 * Returns 0 if valid. On failure returns -EINVAL and writes exactly
 *   The value for the field 'KEY.$' must be a valid JSONPath or a valid intrinsic function call
 * where KEY.$ is the first offending key as written. -EINVAL without a
 * message if template_json is NULL.
 */
int asl_parameters_validate(const cJSON *template_json, char *error, size_t error_size);

/*
 * Evaluates a template against the effective input and the context object
 * (all three borrowed). Keys ending in ".$" are replaced by the key without
 * the suffix, holding a deep copy of what the path selects ("$..." in input,
 * "$$..." in context). Other keys are copied literally. Nested objects and
 * arrays are evaluated recursively.
 * On success stores a new document the caller owns (cJSON_Delete) in *result
 * and returns 0. On failure *result is untouched, nothing leaks, and:
 *   -ENOENT   a path selects nothing; error holds
 *             The JSONPath '$.x' specified for the field 'value.$' could not be found in the input '<input, unformatted>'
 *   -ENOTSUP  an intrinsic function call ("States...."); error holds
 *             The intrinsic function 'States.Xxx' is not supported
 *   -EINVAL   a ".$" value that is not a string / not a path (same text as
 *             asl_parameters_validate), or NULL template_json/result
 *   -ENOMEM   allocation failure
 */
int asl_parameters_evaluate(const cJSON *template_json, const cJSON *input, const cJSON *context,
                            cJSON **result, char *error, size_t error_size);

/*
 * Finds a key ending in ".$" left in already-resolved parameters (anywhere,
 * recursively, first in document order). This is what the CDK mistake
 * `'taskToken.$': JsonPath.taskToken` produces: the template key was
 * "taskToken.$.$", so the resolved document holds a "taskToken.$" key.
 * Returns 0 and stores a pointer to the offending key string (borrowed from
 * `resolved`) in *field if one is found, -ENOENT if none, -EINVAL if field
 * is NULL.
 */
int asl_parameters_find_unresolved_key(const cJSON *resolved, const char **field);

#endif
