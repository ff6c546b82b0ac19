/*
 * asl_path.h - Amazon States Language reference paths over cJSON documents.
 *
 * Supported syntax (reference paths only): "$" or "$$" followed by any number
 * of segments, each one of
 *     .name           dot member (no whitespace, none of . [ ] ' " \ * @ ( ) ? ,)
 *     ['name']        bracket member, single or double quotes; a backslash
 *     ["name"]        escapes the next character (\' \" \\)
 *     [0]             non-negative decimal array index
 * "$..." paths address the state input, "$$..." paths the context object,
 * "$name..." paths (name: a letter or "_" first) the workflow variable name,
 * where the caller allows them (asl_path_validate_reference, asl_path_select_in).
 * Wildcards, filters, slices, negative indexes and "..", are rejected.
 *
 * The module is pure: no I/O, no global state. Memory it allocates comes from
 * cJSON's allocator (cJSON_malloc / cJSON_free).
 */
#ifndef ASL_PATH_H
#define ASL_PATH_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Checks the syntax of `path` (see above). Allocates nothing.
 * Returns 0 if valid, -EINVAL otherwise (including path == NULL).
 */
__attribute__((warn_unused_result)) int asl_path_validate(const char *path);

/*
 * Selects the node `path` points to: "$..." paths are applied to `input`,
 * "$$..." paths to `context` (either may be NULL, which matches nothing).
 * On success stores a BORROWED pointer (owned by input/context) in *selected
 * and returns 0. Allocates nothing.
 * Returns -EINVAL for bad syntax (or selected == NULL), -ENOENT when the path
 * does not match anything; *selected is left untouched on failure.
 */
__attribute__((warn_unused_result)) int asl_path_select(const char *path, const cJSON *input, const cJSON *context,
                                                        const cJSON **selected);

/* asl_path_validate, and "$name..." (a variable's path) is valid too. */
__attribute__((warn_unused_result)) int asl_path_validate_reference(const char *path);

/* Whether path's root is a variable ("$name..."). */
bool asl_path_is_variable(const char *path);

/*
 * asl_path_select, and "$name..." paths select in the member name of
 * variables (an object, borrowed; NULL: no variable, -ENOENT).
 */
__attribute__((warn_unused_result)) int asl_path_select_in(const char *path, const cJSON *input, const cJSON *context,
                                                           const cJSON *variables, const cJSON **selected);

/*
 * Applies a ResultPath: places `result` into *document at `result_path`, a
 * reference path starting with "$" (a "$$" path is -EINVAL).
 * Takes ownership of `result` in every case (it is freed on failure).
 * "$" replaces the whole document (the old one is freed). Missing intermediate
 * objects are created; an existing member is replaced in place (keeping its
 * position); an existing array element may be replaced ("$.list[1]").
 * Returns -ENOTDIR when the result cannot be placed: a member must be set on
 * something that is not an object (e.g. the document is a string and the path
 * is "$.x"), or an index names a missing element or a non-array (the caller
 * maps this to States.ResultPathMatchFailure). Returns -EINVAL on bad syntax
 * or NULL arguments, -ENOMEM on allocation failure.
 * On any failure *document is left exactly as it was.
 */
__attribute__((warn_unused_result)) int asl_path_apply_result(cJSON **document, const char *result_path, cJSON *result);

/*
 * Says why `path` selects nothing in input/context (as asl_path_select reads them), worded as AWS's
 * JSONPath engine does, members in bracket notation: "Missing property in path $['a']" when a member
 * before the last one is missing from an object, else "No results for path: $['a'][0]['b']".
 * Writes a NUL-terminated text into text[size] (truncated to fit). Allocates nothing.
 * Returns 0, or -EINVAL for bad syntax, text == NULL or size == 0 (text untouched).
 */
__attribute__((warn_unused_result)) int asl_path_describe_miss(const char *path, const cJSON *input,
                                                               const cJSON *context, char *text, size_t size);

#endif
