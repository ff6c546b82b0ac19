/*
 * jsonata - a JSONata (https://jsonata.org, version 2.x) parser and evaluator
 * for the "QueryLanguage": "JSONata" of Step Functions.
 *
 * Pure: no I/O, no clock, no global mutable state. $now, $millis and $random
 * take the outside world from struct jsonata_environment (a fixed time and a
 * random source). Values given in and returned are cJSON trees; everything the
 * evaluator builds in between lives in one arena per evaluation.
 *
 * Limits: every evaluation counts its steps and its nesting depth
 * (struct jsonata_limits); a hostile expression ends with an error, never a
 * crash, a hang or an unbounded C recursion:
 *     too deep (recursion, nesting)  -ELOOP  code "U1001"
 *     too many steps                 -E2BIG  code "U1002"
 * Parsing refuses expressions nested deeper than JSONATA_MAX_PARSE_DEPTH
 * (-ELOOP, code "U1001").
 *
 * Regular expressions are POSIX extended (glibc <regex.h>) translated from
 * the JavaScript syntax: \d \w \s \D \W \S \b-less classes, (?:...) groups,
 * lazy quantifiers (matched greedily), flags i and m. Look-arounds and
 * back-references are not supported (error "S0301" when the expression is
 * compiled).
 */
#ifndef JSONATA_H
#define JSONATA_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define JSONATA_MAX_PARSE_DEPTH 1000
#define JSONATA_DEFAULT_MAX_DEPTH 500
#define JSONATA_DEFAULT_MAX_STEPS 10000000L
#define JSONATA_DEFAULT_MAX_BYTES (1024L * 1024 * 1024)

/* What went wrong: JSONata's error code ("S0201", "T2001", "D3001", "U1001"...), where, and a message. */
struct jsonata_error {
    char code[8];
    long position;
    char token[64];
    char message[512];
};

/* A variable the expression sees as $name (name without the '$'); value is borrowed. */
struct jsonata_binding {
    const char *name;
    const cJSON *value;
};

/* The outside world, for $now, $millis and $random. */
struct jsonata_environment {
    double now_millis; /* milliseconds since the epoch that $now and $millis return */
    /* A number in [0, 1) for $random and $shuffle; NULL: a fixed pseudo-random sequence seeded by seed. */
    double (*random)(void *context);
    void *random_context;
    unsigned long seed;
};

/*
 * Bounds of one evaluation; a field <= 0 takes its default (depth 500,
 * steps 10,000,000, 1 GiB of the evaluation's own memory: its values,
 * bindings and results, the input's copy included). max_depth is capped at
 * 5000 to bound the C stack. Past max_bytes the evaluation ends with
 * -E2BIG and code "U1003". environment may be NULL: time 0, seeded
 * pseudo-random numbers.
 */
struct jsonata_limits {
    int max_depth;
    long max_steps;
    long max_bytes;
    const struct jsonata_environment *environment;
};

struct jsonata_expression;

/*
 * Parses text into *out, which the caller frees with jsonata_free().
 * Returns 0, -EINVAL on a syntax error (error filled when not NULL), -ELOOP
 * when nested deeper than JSONATA_MAX_PARSE_DEPTH, -ENOMEM.
 */
__attribute__((warn_unused_result)) int jsonata_parse(const char *text, struct jsonata_expression **out,
                                                      struct jsonata_error *error);

/*
 * Evaluates expression against input (borrowed; NULL: undefined) with the
 * given variable bindings (borrowed). On success *result is a new cJSON tree
 * the caller deletes, or NULL when the result is undefined. Functions in the
 * result are rendered as "" (as JSON.stringify-less JSONata does). limits may
 * be NULL. Returns 0; -EINVAL on an evaluation error (error filled with its
 * code); -ELOOP / -E2BIG when a limit is hit ("U1001" / "U1002"); -ENOMEM.
 * On failure *result is NULL.
 */
__attribute__((warn_unused_result)) int jsonata_evaluate(const struct jsonata_expression *expression,
                                                         const cJSON *input, const struct jsonata_binding *bindings,
                                                         size_t binding_count, const struct jsonata_limits *limits,
                                                         cJSON **result, struct jsonata_error *error);

/* Frees an expression from jsonata_parse(); NULL is fine. */
void jsonata_free(struct jsonata_expression *expression);

#endif
