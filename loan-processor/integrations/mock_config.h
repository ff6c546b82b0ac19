/*
 * mock_config - the mock configuration file of AWS Step Functions Local
 * (SFN_MOCK_CONFIG; docs/mocking.md), pure: parses and checks it, and
 * answers which mocked response a Task state gets in a test case at an
 * invocation.
 *
 *   {"StateMachines": {"<machine>": {"TestCases": {"<case>": {"<state>": "<response>"}}}},
 *    "MockedResponses": {"<response>": {"0": {"Return": <any JSON>},
 *                                       "1-2": {"Throw": {"Error": "...", "Cause": "..."}}}}}
 *
 * A response's invocation indexes ("N" or "N-M", 0-based) must cover 0..last
 * without gaps or overlaps; an invocation past the last index gets the last
 * entry again.
 */
#ifndef MOCK_CONFIG_H
#define MOCK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

struct mock_config;

/* What a mocked Task answers; borrowed from the configuration. */
struct mock_answer {
    bool thrown;         /* Throw: error and cause; else Return: result */
    const cJSON *result; /* Return's value */
    const char *error;   /* Throw's Error */
    const char *cause;   /* Throw's Cause, or NULL */
};

/* The most invocation indexes a response may name (a bound on ranges). */
#define MOCK_CONFIG_MAX_INDEX 1000000L

/*
 * Parses the configuration text (length bytes). Returns 0 with *config set
 * (the caller frees it: mock_config_free), -EINVAL with the reason in error
 * (for a JSON syntax error, "line N: ..."; else the path of the bad member
 * and what is wrong with it), or -ENOMEM.
 */
__attribute__((warn_unused_result)) int mock_config_parse(const char *text, size_t length, struct mock_config **config,
                                                          char *error, size_t error_size);

/* Frees a configuration. Safe on NULL. */
void mock_config_free(struct mock_config *config);

/* Whether config (may be NULL) has test case test_case for the state machine called machine. */
bool mock_config_has_test_case(const struct mock_config *config, const char *machine, const char *test_case);

/*
 * The answer of state in test_case of machine at invocation (0-based): true
 * with *answer set, or false when that state is not mocked there (it runs
 * for real). config may be NULL.
 */
bool mock_config_answer(const struct mock_config *config, const char *machine, const char *test_case, const char *state,
                        long invocation, struct mock_answer *answer);

#endif
