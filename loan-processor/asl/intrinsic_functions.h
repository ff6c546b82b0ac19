/*
 * intrinsic_functions - the Amazon States Language intrinsic functions of
 * payload templates, e.g. "States.Format('Hello, {}.', $.name)": the call
 * syntax, its check at definition time and its evaluation at run time.
 *
 * Syntax: "States.<Name>(" arguments ")" with nothing before or after, where
 * arguments are separated by commas (spaces around them are allowed) and each
 * is one of
 *     'text'              a string; \' \{ \} and \\ stand for ' { } and \,
 *                         any other backslash is an error
 *     -1.5e3              a JSON number
 *     true false null
 *     $.path  $$.path     a reference path (asl_path.h) into the input, the
 *     $name.path          context object or a variable
 *     States.Name(...)    a nested call
 *
 * Functions: States.Format, StringToJson, JsonToString, Array, ArrayPartition,
 * ArrayContains, ArrayRange, ArrayGetItem, ArrayLength, ArrayUnique,
 * Base64Encode, Base64Decode, Hash, JsonMerge, MathRandom, MathAdd,
 * StringSplit and UUID, with AWS's argument counts. Numbers that must be
 * integers are rounded to the nearest one (halves up), as AWS documents for
 * States.MathAdd.
 *
 * Pure: no I/O, no global state; the randomness States.UUID and
 * States.MathRandom need comes from the caller. Memory comes from cJSON's
 * allocator.
 */
#ifndef INTRINSIC_FUNCTIONS_H
#define INTRINSIC_FUNCTIONS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* The error an evaluation failure raises; a state's Retry and Catch see it. */
#define INTRINSIC_FAILURE_ERROR "States.IntrinsicFailure"

/*
 * AWS allows "up to 10 intrinsic functions nested within a field", and its
 * example of nine counts every call: so at most 10 calls in one field, the
 * outermost included.
 */
#define INTRINSIC_MAX_CALLS 10

/* States.Format's result, at most AWS's payload size (256 KiB). */
#define INTRINSIC_MAX_FORMAT_BYTES (256 * 1024)

/* States.ArrayRange makes at most 1000 items, as on AWS. */
#define INTRINSIC_MAX_RANGE_ITEMS 1000

/* States.Base64Encode, Base64Decode and Hash take at most 10,000 characters, as on AWS. */
#define INTRINSIC_MAX_TEXT_CHARACTERS 10000

/*
 * The arguments of one call together, measured roughly as printed JSON. A
 * payload is at most 256 KiB; this leaves room for a few copies of it
 * without letting nested States.Array calls multiply one without end.
 */
#define INTRINSIC_MAX_ARGUMENT_BYTES (1024 * 1024)

/* What an evaluation reads. */
struct intrinsic_scope {
    const cJSON *input;   /* "$..." paths; may be NULL (matches nothing) */
    const cJSON *context; /* "$$..." paths; may be NULL */
    /*
     * Fills length bytes with random data, returning 0 or a negative errno
     * (random_id_fill does). States.UUID and an unseeded States.MathRandom
     * need it; NULL makes them fail with -ENOTSUP.
     */
    int (*random_bytes)(void *buffer, size_t length);
    const cJSON *variables; /* "$name..." paths: the workflow variables (an object); may be NULL (none) */
};

/* True when text is meant as an intrinsic call: it starts with "States.". */
bool intrinsic_is_call(const char *text);

/*
 * Checks a call at definition time: its syntax (see above), that every
 * function exists and has an allowed number of arguments, every path is
 * valid and there are at most INTRINSIC_MAX_CALLS calls. Argument types and
 * values are checked at run time. Returns 0 if valid, -EINVAL if not (NULL
 * too), -ENOMEM when out of memory.
 */
__attribute__((warn_unused_result)) int intrinsic_validate(const char *call);

/*
 * Evaluates call in scope (borrowed). On success stores a new value the
 * caller owns (cJSON_Delete) in *result and returns 0. On failure *result is
 * untouched, nothing leaks, error holds a NUL-terminated (possibly truncated)
 * message or is empty, and:
 *   -EINVAL   call does not pass intrinsic_validate (error empty)
 *   -ENOENT   a path argument selects nothing, AWS's States.Runtime:
 *             The function '<call>' had the following error: The JsonPath argument for the field '$.x' could not be found in the input '<input>'
 *   -EDOM     a function failed (INTRINSIC_FAILURE_ERROR):
 *             The function '<call>' had the following error: Invalid arguments in States.Xxx: <why>
 *   -ENOTSUP  States.UUID or an unseeded States.MathRandom without scope->random_bytes
 *   -ENOMEM   allocation failure (error empty)
 *   other     what scope->random_bytes returned (error empty)
 */
__attribute__((warn_unused_result)) int intrinsic_evaluate(const char *call, const struct intrinsic_scope *scope,
                                                           cJSON **result, char *error, size_t error_size);

#endif
