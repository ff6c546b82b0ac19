/*
 * state_machine_internal - what the files of the definition parser share:
 * state_machine.c (the parse entry point, scopes, numbering, the dispatch
 * per state, lookups, teardown), state_machine_fields.c (the per-field
 * readers and validators all state types share), state_machine_forks.c
 * (Parallel and Map) and state_machine_transitions.c (transitions and
 * reachability within a scope). Private to asl/.
 *
 * Every reader here returns 0, -EINVAL with AWS's detail text written into
 * error (always NUL-terminated), or -ENOMEM. where is the location of the
 * object read in error texts ("/States/A"); fields are read from the JSON
 * document, whose strings the results borrow.
 */
#ifndef STATE_MACHINE_INTERNAL_H
#define STATE_MACHINE_INTERNAL_H

#include "state_machine.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* Room for a location in error texts: 9 scopes deep, names of 80 characters, and a field. */
#define WHERE_SIZE 1280

/* What parsing one definition carries along. */
struct parser {
    struct state_machine *machine;
    char *error;
    size_t error_size;
    bool jsonata; /* the machine's QueryLanguage is JSONata */
    struct state_machine_problems *problems;
};

/*
 * After a step of the parse returned result, with before problems reported
 * before the step: reports the step's error (in parser->error) unless the
 * step reported its own (a nested scope does). Returns 0 when the parse may
 * go on with the next state, branch or target; otherwise what to return.
 */
__attribute__((warn_unused_result)) int state_machine_go_on(struct parser *parser, int result, size_t before);

/* Writes a definition error into error, printf-style; returns -EINVAL. */
__attribute__((format(printf, 3, 4))) int state_machine_fail(char *error, size_t error_size, const char *format, ...);

/* ---- state_machine.c ---- */

/* A scope's object (known to be one): only the given fields (NULL-terminated), a StartAt and a non-empty States. */
__attribute__((warn_unused_result)) int state_machine_parse_scope(struct parser *parser, const cJSON *scope_json,
                                                                  struct state_scope *scope, const char *const *fields);

/* ---- state_machine_fields.c ---- */

/* Refuses a member of object not among fields (a NULL-terminated list). */
__attribute__((warn_unused_result)) int state_machine_check_known_fields(const cJSON *object, const char *const *fields,
                                                                         const char *where, char *error,
                                                                         size_t error_size);

/* Refuses a field the state's type may not have (JSONPath query language), as AWS refuses it. */
__attribute__((warn_unused_result)) int state_machine_check_state_fields(const cJSON *state_json,
                                                                         const struct state_definition *state,
                                                                         char *error, size_t error_size);

/* Next or End (by the state's type, known by now) into state->next. */
__attribute__((warn_unused_result)) int
state_machine_parse_transition(const cJSON *state_json, struct state_definition *state, char *error, size_t error_size);

/*
 * InputPath, OutputPath or ResultPath: absent means "$", JSON null "discard". InputPath and OutputPath may read
 * the context object ($$) and be query paths of the input; ResultPath is a reference path into the input.
 */
__attribute__((warn_unused_result)) int state_machine_parse_path_field(const cJSON *state_json, const char *where,
                                                                       const char *field, struct state_path *path,
                                                                       char *error, size_t error_size);

/*
 * Like state_machine_parse_path, but the path may also be an indefinite query
 * path of the input (wildcards, slices, filters: see asl_path.h; not of $$),
 * as AWS accepts in InputPath, OutputPath and ItemsPath.
 */
__attribute__((warn_unused_result)) int state_machine_parse_query_path(const cJSON *object, const char *where,
                                                                       const char *field, bool context_allowed,
                                                                       const char **path, char *error,
                                                                       size_t error_size);

/*
 * An optional path-valued field (e.g. TimeoutSecondsPath) into *path (NULL
 * when absent): a reference path into the input, which reads the context
 * object ($$) only when context_allowed.
 */
__attribute__((warn_unused_result)) int state_machine_parse_path(const cJSON *object, const char *where,
                                                                 const char *field, bool context_allowed,
                                                                 const char **path, char *error, size_t error_size);

/* An optional whole-number field of object in [minimum, maximum] into *number (left as is when absent). */
__attribute__((warn_unused_result)) int state_machine_parse_integer(const cJSON *object, const char *where,
                                                                    const char *field, long minimum, long maximum,
                                                                    long *number, char *error, size_t error_size);

/* An optional payload template (Parameters, ResultSelector, ItemSelector) into *template_json (NULL when absent). */
__attribute__((warn_unused_result)) int state_machine_parse_template(const cJSON *state_json, const char *where,
                                                                     const char *field, const cJSON **template_json,
                                                                     char *error, size_t error_size);

/* An optional string field into *value (NULL when absent). */
__attribute__((warn_unused_result)) int state_machine_parse_optional_string(const cJSON *state_json, const char *where,
                                                                            const char *field, const char **value,
                                                                            char *error, size_t error_size);

/* The state's Assign (a payload template) into state->assign, and a Choice's rules' Assign checked too. */
__attribute__((warn_unused_result)) int
state_machine_parse_assign(const cJSON *state_json, struct state_definition *state, char *error, size_t error_size);

/* Two fields of which one at most may be set (e.g. ItemSelector and Parameters): returns -EINVAL. */
int state_machine_fail_exclusive(char *error, size_t error_size, const char *field, const char *other,
                                 const char *where);

/* A field given both as a value and as a path (e.g. TimeoutSeconds and TimeoutSecondsPath): returns -EINVAL. */
int state_machine_fail_both_forms(char *error, size_t error_size, const char *field, const char *where);

/* Retry and Catch into state->retriers and state->catchers (which state_machine_free() frees). */
__attribute__((warn_unused_result)) int state_machine_parse_retry_and_catch(const cJSON *state_json,
                                                                            struct state_definition *state, char *error,
                                                                            size_t error_size);

/* A Task's own fields: Resource, timeouts, ResultSelector, Retry and Catch. */
__attribute__((warn_unused_result)) int state_machine_parse_task_fields(const cJSON *state_json,
                                                                        struct state_definition *state, char *error,
                                                                        size_t error_size);

/* A Fail's Error and Cause, each a fixed text or a path. */
__attribute__((warn_unused_result)) int state_machine_parse_fail_fields(const cJSON *state_json,
                                                                        struct state_definition *state, char *error,
                                                                        size_t error_size);

/* A Wait's one field of Seconds, SecondsPath, Timestamp and TimestampPath. */
__attribute__((warn_unused_result)) int state_machine_parse_wait_fields(const cJSON *state_json,
                                                                        struct state_definition *state, char *error,
                                                                        size_t error_size);

/* ---- state_machine_forks.c ---- */

/* A Parallel's fields and its Branches, each parsed as a scope. */
__attribute__((warn_unused_result)) int
state_machine_parse_parallel_fields(struct parser *parser, const cJSON *state_json, struct state_definition *state);

/* A Map's fields into state->map and its ItemProcessor (or Iterator), parsed as a scope. */
__attribute__((warn_unused_result)) int state_machine_parse_map_fields(struct parser *parser, const cJSON *state_json,
                                                                       struct state_definition *state);

/* ---- state_machine_jsonata.c ---- */

/* The state's QueryLanguage into state->jsonata (machine_jsonata: the machine's is JSONata). */
__attribute__((warn_unused_result)) int state_machine_parse_query_language(const cJSON *state_json,
                                                                           bool machine_jsonata,
                                                                           struct state_definition *state, char *error,
                                                                           size_t error_size);

/* A JSONata state's fields (known by its type), with every expression in them parsed. */
__attribute__((warn_unused_result)) int state_machine_check_jsonata_state(const cJSON *state_json,
                                                                          const struct state_definition *state,
                                                                          char *error, size_t error_size);

/* Refuses the JSONata fields of Choice rules (Condition, Output) in a JSONPath Choice state. */
__attribute__((warn_unused_result)) int state_machine_check_jsonpath_choice(const cJSON *state_json,
                                                                            const struct state_definition *state,
                                                                            char *error, size_t error_size);

/* As state_machine_parse_integer() on a state's field, which a JSONata state may give as an expression (left as is). */
__attribute__((warn_unused_result)) int state_machine_parse_count(const cJSON *object,
                                                                  const struct state_definition *state,
                                                                  const char *field, long minimum, long maximum,
                                                                  long *number, char *error, size_t error_size);

/* ---- state_machine_transitions.c ---- */

/*
 * Every transition (StartAt, Next, Catch, Choice) of the scope's states
 * names a state of the same scope, and every state is reachable from its
 * StartAt.
 */
/* failed[i] says the scope's state i has an error already reported: its transitions are not checked. */
__attribute__((warn_unused_result)) int
state_machine_check_scope_transitions(struct parser *parser, const struct state_scope *scope, const bool *failed);

#endif
