/*
 * asl_path.h - Amazon States Language reference paths over cJSON documents.
 *
 * Supported syntax (reference paths only): "$" or "$$" followed by any number
 * of segments, each one of
 *     .name           dot member (no whitespace, none of . [ ] ' " \ * @ ( ) ? ,)
 *     ['name']        bracket member, single or double quotes (escapes: below)
 *     ["name"]
 *     [0]             non-negative decimal array index
 * "$..." paths address the state input, "$$..." paths the context object,
 * "$name..." paths (name: a letter or "_" first) the workflow variable name,
 * where the caller allows them (asl_path_validate_reference, asl_path_select_in).
 *
 * Query paths (asl_path_validate_query, asl_path_query) may also use
 *     .* or [*]       every member value of an object / element of an array
 *     [start:end]     an array slice, [start:end:step] too; bounds optional,
 *                     negative ones count from the end, step > 0
 *     [?(@.a.b == 1)] the array elements (or the object itself) for which the
 *                     filter holds: "@" and a definite relative path, alone
 *                     (present) or compared (== != < <= > >=) with a number,
 *                     a quoted string, true, false or null
 * Such a path (an "indefinite" one) yields an array of all the matches, [] when
 * nothing matches. Negative indexes, unions ([0,1]) and ".." are rejected.
 * Inside quotes a backslash escapes a backslash or the enclosing quote only;
 * before any other character it is literal (AWS: $['a\"b'] names a\"b).
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

/* The most nodes asl_path_query copies into one result (-E2BIG beyond). */
#define ASL_PATH_MAX_MATCH_NODES 262144

/*
 * Checks the syntax of a query path: a reference path or any of the forms
 * above. Allocates nothing. Returns 0 if valid, -EINVAL otherwise.
 */
__attribute__((warn_unused_result)) int asl_path_validate_query(const char *path);

/* True when `path` is a valid reference path (selects at most one node). */
bool asl_path_is_definite(const char *path);

/*
 * Evaluates a query path ("$..." on input, "$$..." on context; either may be
 * NULL). On success stores a new value the caller owns (cJSON_Delete) in
 * *result and returns 0: a copy of the node a definite path selects, or an
 * array of copies of every match of an indefinite one ([] when none).
 * Returns -EINVAL for bad syntax or result == NULL, -ENOENT when a definite
 * path matches nothing, -E2BIG past ASL_PATH_MAX_MATCH_NODES copied nodes,
 * -ENOMEM; *result is untouched on failure.
 */
__attribute__((warn_unused_result)) int asl_path_query(const char *path, const cJSON *input, const cJSON *context,
                                                       cJSON **result);

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
