/*
 * choice_rule.h - the rules of an Amazon States Language Choice state
 * (JSONPath query language): parsed and validated once, evaluated per step.
 *
 * A rule is either a comparison, a "Variable" path plus exactly one operator
 *     StringEquals StringLessThan StringGreaterThan StringLessThanEquals
 *     StringGreaterThanEquals StringMatches
 *     NumericEquals NumericLessThan NumericGreaterThan NumericLessThanEquals
 *     NumericGreaterThanEquals
 *     BooleanEquals
 *     TimestampEquals TimestampLessThan TimestampGreaterThan
 *     TimestampLessThanEquals TimestampGreaterThanEquals
 *     (each of the above but StringMatches also as "<name>Path", whose value
 *     is a path into the input or, with "$$", the context object)
 *     IsNull IsPresent IsNumeric IsString IsBoolean IsTimestamp (true/false)
 * or a combinator: "And"/"Or" (non-empty arrays of rules) or "Not" (one rule).
 * Top-level rules carry "Next"; nested ones must not. Any rule may carry a
 * string "Comment".
 *
 * Evaluation follows AWS: a value of the wrong type (or a string that is not
 * a timestamp, for Timestamp*) makes the comparison false; a path that selects
 * nothing is a runtime error, except for IsPresent (which is then false).
 * And/Or stop at the first operand that decides them. StringMatches: '*'
 * matches any run of characters, "\*" a literal star, "\\" a backslash; a
 * backslash before anything else is itself literal. Strings compare by UTF-8
 * bytes (that is, by code point); timestamps to the millisecond.
 *
 * The module is pure: no I/O, no global state. Memory it allocates comes from
 * cJSON's allocator (cJSON_malloc / cJSON_free). Functions taking
 * error/detail buffers write an empty string there on entry (when the buffer
 * is not NULL and its size not 0) and a NUL-terminated, possibly truncated,
 * message on failure.
 */
#ifndef CHOICE_RULE_H
#define CHOICE_RULE_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* The parsed "Choices" and "Default" of one Choice state. */
struct choice_state;

/*
 * Parses and validates the "Choices" and "Default" fields of a Choice state
 * (other fields are the caller's business). state_json is borrowed and the
 * result borrows strings and values from it, so state_json must outlive the
 * result; state_name is only used in error text.
 * On success returns 0 and stores a choice state the caller frees with
 * choice_state_free() in *choice. On failure *choice is untouched, nothing
 * leaks, and:
 *   -EINVAL  a definition error; error holds AWS-style text naming the field, e.g.
 *            SCHEMA_VALIDATION_FAILED: The value for the field 'NumericEquals' must be a number at /States/Check/Choices/0/And/1/NumericEquals
 *            (also for NULL state_json, state_name or choice, without a message)
 *   -ENOMEM  allocation failure
 */
__attribute__((warn_unused_result)) int choice_state_parse(const cJSON *state_json, const char *state_name,
                                                           struct choice_state **choice, char *error,
                                                           size_t error_size);

/*
 * Evaluates the rules in order against input ("$..." paths) and context
 * ("$$..." paths), both borrowed and either may be NULL (matches nothing).
 * Allocates nothing.
 * Returns 0 and stores in *next the Next of the first top-level rule that
 * matches, else the Default, else NULL (no rule matched and there is no
 * Default: the caller fails the execution). The string is borrowed from the
 * state's JSON.
 * Returns -EINVAL when a path selects nothing (a runtime error, States.Runtime
 * at AWS); detail then holds
 *   Invalid path '$.x': The choice state's condition path references an invalid value.
 * and *next is untouched. -EINVAL without a message for NULL choice or next.
 */
__attribute__((warn_unused_result)) int choice_state_evaluate(const struct choice_state *choice, const cJSON *input,
                                                              const cJSON *context, const char **next, char *detail,
                                                              size_t detail_size);

/*
 * choice_state_evaluate, with "$name..." paths selecting in variables (an
 * object, borrowed; may be NULL), and *assign set to the Assign of the rule
 * that matched, or the state's own Assign when it goes to its Default
 * (borrowed from the state's JSON; NULL when there is none).
 */
__attribute__((warn_unused_result)) int choice_state_evaluate_in(const struct choice_state *choice, const cJSON *input,
                                                                 const cJSON *context, const cJSON *variables,
                                                                 const char **next, const cJSON **assign, char *detail,
                                                                 size_t detail_size);

/* Number of transition targets: one per top-level rule, plus one if Default is set. */
size_t choice_state_target_count(const struct choice_state *choice);

/*
 * The index-th transition target (every top-level rule's Next in order, then
 * Default if set), borrowed from the state's JSON; NULL if index is out of range.
 * Targets may repeat.
 */
const char *choice_state_target(const struct choice_state *choice, size_t index);

/* Frees a choice state; safe on NULL. */
void choice_state_free(struct choice_state *choice);

#endif
