/*
 * test_choice_rule.c - unit tests for loan-processor/choice_rule.c
 *
 * JSON in this file is written with single quotes for readability; the
 * helpers turn them into double quotes before parsing.
 */
#include "choice_rule.h"
#include "failing_allocator.h"
#include "test.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_SIZE 1024
#define OUTCOME_SIZE (2 * TEXT_SIZE) /* room for a prefix and a whole TEXT_SIZE message */
#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* The ChoiceStateX example of AWS's Choice state documentation. */
static const char *const aws_example_state = "{'Type':'Choice','Choices':["
                                             "{'Not':{'Variable':'$.type','StringEquals':'Private'},'Next':'Public'},"
                                             "{'Variable':'$.value','NumericEquals':0,'Next':'ValueIsZero'},"
                                             "{'And':[{'Variable':'$.value','NumericGreaterThanEquals':20},"
                                             "{'Variable':'$.value','NumericLessThan':30}],'Next':'ValueInTwenties'}],"
                                             "'Default':'DefaultState'}";

/* Parses single-quoted JSON (see above); NULL text gives NULL. The caller deletes the result. */
static cJSON *parse_quoted_json(const char *text)
{
    char converted[TEXT_SIZE];
    size_t i;

    if (text == NULL)
        return NULL;
    for (i = 0; text[i] != '\0' && i + 1 < sizeof converted; i++)
        converted[i] = text[i] == '\'' ? '"' : text[i];
    converted[i] = '\0';
    return cJSON_Parse(converted);
}

struct parsed_state {
    cJSON *json;
    struct choice_state *choice;
    int rc;
    char error[TEXT_SIZE];
};

/* Parses state_text as the Choice state "Check"; release with release_state(). */
static void parse_state(const char *state_text, struct parsed_state *parsed)
{
    parsed->json = parse_quoted_json(state_text);
    parsed->choice = NULL;
    memset(parsed->error, 'x', sizeof parsed->error);
    parsed->rc = choice_state_parse(parsed->json, "Check", &parsed->choice, parsed->error, sizeof parsed->error);
}

static void release_state(struct parsed_state *parsed)
{
    choice_state_free(parsed->choice);
    cJSON_Delete(parsed->json);
}

/*
 * Evaluates the parsed state against input and context (single-quoted JSON or
 * NULL) and describes the outcome: the chosen state's name, "(none)" when
 * nothing matched and there is no Default, "error: <detail>" for a runtime
 * error. The text lives in a static buffer.
 */
static const char *evaluate_parsed(const struct parsed_state *parsed, const char *input_text, const char *context_text)
{
    static char outcome[OUTCOME_SIZE];
    cJSON *input = parse_quoted_json(input_text);
    cJSON *context = parse_quoted_json(context_text);
    const char *next = "untouched";
    char detail[TEXT_SIZE];
    int rc = choice_state_evaluate(parsed->choice, input, context, &next, detail, sizeof detail);

    if (rc < 0)
        snprintf(outcome, sizeof outcome, "error %d (next %s): %s", rc, next, detail);
    else
        snprintf(outcome, sizeof outcome, "%s", next != NULL ? next : "(none)");
    cJSON_Delete(input);
    cJSON_Delete(context);
    return outcome;
}

/*
 * Evaluates one top-level rule (its fields without Next, single-quoted) in a
 * state whose Default is "NoMatch": "Match", "NoMatch", "error ...", or
 * "parse: <error>" if the rule does not parse.
 */
static const char *choose_with_context(const char *rule_fields, const char *input_text, const char *context_text)
{
    static char outcome[OUTCOME_SIZE];
    char state_text[TEXT_SIZE];
    struct parsed_state parsed;

    snprintf(state_text, sizeof state_text, "{'Type':'Choice','Choices':[{%s,'Next':'Match'}],'Default':'NoMatch'}",
             rule_fields);
    parse_state(state_text, &parsed);
    if (parsed.rc < 0)
        snprintf(outcome, sizeof outcome, "parse: %s", parsed.error);
    else
        snprintf(outcome, sizeof outcome, "%s", evaluate_parsed(&parsed, input_text, context_text));
    release_state(&parsed);
    return outcome;
}

static const char *choose(const char *rule_fields, const char *input_text)
{
    return choose_with_context(rule_fields, input_text, NULL);
}

/* One evaluation: a rule, an input, and the expected outcome (see choose). */
struct choice_case {
    const char *rule;
    const char *input;
    const char *expected;
};

static void check_cases(const struct choice_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const char *outcome = choose(cases[i].rule, cases[i].input);

        if (strcmp(cases[i].expected, outcome) != 0)
            TEST_FAIL_("{%s} on %s: expected \"%s\", got \"%s\"", cases[i].rule, cases[i].input, cases[i].expected,
                       outcome);
    }
}

/* One definition error: a whole Choice state and the exact error text. */
struct parse_error_case {
    const char *state;
    const char *expected_error;
};

static void check_parse_errors(const struct parse_error_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        struct parsed_state parsed;
        int rc;
        bool untouched;

        parse_state(cases[i].state, &parsed);
        rc = parsed.rc;
        untouched = parsed.choice == NULL;
        release_state(&parsed);
        if (rc != -EINVAL || !untouched || strcmp(cases[i].expected_error, parsed.error) != 0)
            TEST_FAIL_("%s: expected -EINVAL and \"%s\", got %d and \"%s\"", cases[i].state, cases[i].expected_error,
                       rc, parsed.error);
    }
}

/* ---- definition errors ------------------------------------------------- */

static void test_rejects_bad_choices_and_default(void)
{
    static const struct parse_error_case cases[] = {
        { "{'Type':'Choice'}", "SCHEMA_VALIDATION_FAILED: These fields are required: [Choices] at /States/Check" },
        { "{'Type':'Choice','Choices':[]}",
          "SCHEMA_VALIDATION_FAILED: The value for the field 'Choices' must be a non-empty array "
          "at /States/Check/Choices" },
        { "{'Type':'Choice','Choices':{'Variable':'$.a','IsNull':true,'Next':'A'}}",
          "SCHEMA_VALIDATION_FAILED: The value for the field 'Choices' must be a non-empty array "
          "at /States/Check/Choices" },
        { "{'Type':'Choice','Choices':[{'Variable':'$.a','IsNull':true,'Next':'A'}],'Default':5}",
          "SCHEMA_VALIDATION_FAILED: The value for the field 'Default' must be a non-empty string "
          "at /States/Check/Default" },
        { "{'Type':'Choice','Choices':[{'Variable':'$.a','IsNull':true,'Next':'A'}],'Default':''}",
          "SCHEMA_VALIDATION_FAILED: The value for the field 'Default' must be a non-empty string "
          "at /States/Check/Default" },
    };

    check_parse_errors(cases, COUNT(cases));
}

static void test_rejects_rules_that_are_not_objects(void)
{
    static const struct parse_error_case cases[] = {
        { "{'Choices':['x']}",
          "SCHEMA_VALIDATION_FAILED: A Choice Rule must be a JSON object at /States/Check/Choices/0" },
        { "{'Choices':[{'Variable':'$.a','IsNull':true,'Next':'A'},null]}",
          "SCHEMA_VALIDATION_FAILED: A Choice Rule must be a JSON object at /States/Check/Choices/1" },
        { "{'Choices':[{'Or':[1],'Next':'A'}]}",
          "SCHEMA_VALIDATION_FAILED: A Choice Rule must be a JSON object at /States/Check/Choices/0/Or/0" },
        { "{'Choices':[{'Not':[{'Variable':'$.a','IsNull':true}],'Next':'A'}]}",
          "SCHEMA_VALIDATION_FAILED: A Choice Rule must be a JSON object at /States/Check/Choices/0/Not" },
    };

    check_parse_errors(cases, COUNT(cases));
}

static void test_rejects_unknown_fields(void)
{
    static const struct parse_error_case cases[] = {
        { "{'Choices':[{'Variable':'$.a','StringEquals':'x','Next':'A','Foo':1}]}",
          "SCHEMA_VALIDATION_FAILED: Field 'Foo' is not supported by a Choice Rule at /States/Check/Choices/0/Foo" },
        { "{'Choices':[{'Variable':'$.a','StringEqual':'x','Next':'A'}]}",
          "SCHEMA_VALIDATION_FAILED: Field 'StringEqual' is not supported by a Choice Rule "
          "at /States/Check/Choices/0/StringEqual" },
        { "{'Choices':[{'Variable':'$.a','StringMatchesPath':'$.b','Next':'A'}]}",
          "SCHEMA_VALIDATION_FAILED: Field 'StringMatchesPath' is not supported by a Choice Rule "
          "at /States/Check/Choices/0/StringMatchesPath" },
        { "{'Choices':[{'Variable':'$.a','BooleanLessThan':true,'Next':'A'}]}",
          "SCHEMA_VALIDATION_FAILED: Field 'BooleanLessThan' is not supported by a Choice Rule "
          "at /States/Check/Choices/0/BooleanLessThan" },
        { "{'Choices':[{'Variable':'$.a','stringequals':'x','Next':'A'}]}",
          "SCHEMA_VALIDATION_FAILED: Field 'stringequals' is not supported by a Choice Rule "
          "at /States/Check/Choices/0/stringequals" },
        { "{'Choices':[{'Variable':'$.a','IsNull':true,'Next':'A','Default':'B'}]}",
          "SCHEMA_VALIDATION_FAILED: Field 'Default' is not supported by a Choice Rule "
          "at /States/Check/Choices/0/Default" },
        { "{'Choices':[{'And':[{'Variable':'$.a','IsNull':true,'Assign':{}}],'Next':'A'}]}",
          "SCHEMA_VALIDATION_FAILED: Field 'Assign' is not supported by a Choice Rule "
          "at /States/Check/Choices/0/And/0/Assign" },
        { "{'Choices':[{'Variable':'$.a','And':[{'Variable':'$.a','IsNull':true}],'Next':'A'}]}",
          "SCHEMA_VALIDATION_FAILED: Field 'Variable' is not supported by a Choice Rule with And, Or or Not "
          "at /States/Check/Choices/0/Variable" },
    };

    check_parse_errors(cases, COUNT(cases));
}

static void test_rejects_rules_without_exactly_one_operator(void)
{
    static const char *const one_operator_error =
        "SCHEMA_VALIDATION_FAILED: A Choice Rule must have exactly one comparison operator, or one of And, Or, Not "
        "at /States/Check/Choices/0";
    static const struct parse_error_case cases[] = {
        { "{'Choices':[{'Variable':'$.a','Next':'A'}]}", one_operator_error },
        { "{'Choices':[{'Next':'A'}]}", one_operator_error },
        { "{'Choices':[{'Variable':'$.a','StringEquals':'x','StringLessThan':'y','Next':'A'}]}", one_operator_error },
        { "{'Choices':[{'Variable':'$.a','StringEquals':'x','StringEquals':'y','Next':'A'}]}", one_operator_error },
        { "{'Choices':[{'Variable':'$.a','IsNull':true,'Not':{'Variable':'$.a','IsNull':true},'Next':'A'}]}",
          one_operator_error },
        { "{'Choices':[{'And':[{'Variable':'$.a','IsNull':true}],'Or':[{'Variable':'$.a','IsNull':true}],"
          "'Next':'A'}]}",
          one_operator_error },
        { "{'Choices':[{'Not':{'Variable':'$.a'},'Next':'A'}]}",
          "SCHEMA_VALIDATION_FAILED: A Choice Rule must have exactly one comparison operator, or one of And, Or, Not "
          "at /States/Check/Choices/0/Not" },
    };

    check_parse_errors(cases, COUNT(cases));
}

static void test_rejects_operator_values_of_the_wrong_type(void)
{
#define OPERATOR_ERROR(operator, requirement)                                                    \
    "SCHEMA_VALIDATION_FAILED: The value for the field '" operator"' must be " requirement       \
                                                                  " at /States/Check/Choices/0/" \
                                                                  operator
    static const struct parse_error_case cases[] = {
        { "{'Choices':[{'Variable':'$.a','StringEquals':1,'Next':'A'}]}", OPERATOR_ERROR("StringEquals", "a string") },
        { "{'Choices':[{'Variable':'$.a','StringGreaterThanEquals':null,'Next':'A'}]}",
          OPERATOR_ERROR("StringGreaterThanEquals", "a string") },
        { "{'Choices':[{'Variable':'$.a','StringMatches':['x'],'Next':'A'}]}",
          OPERATOR_ERROR("StringMatches", "a string") },
        { "{'Choices':[{'Variable':'$.a','NumericEquals':'1','Next':'A'}]}",
          OPERATOR_ERROR("NumericEquals", "a number") },
        { "{'Choices':[{'Variable':'$.a','NumericLessThan':true,'Next':'A'}]}",
          OPERATOR_ERROR("NumericLessThan", "a number") },
        { "{'Choices':[{'Variable':'$.a','BooleanEquals':'true','Next':'A'}]}",
          OPERATOR_ERROR("BooleanEquals", "a boolean") },
        { "{'Choices':[{'Variable':'$.a','TimestampEquals':'yesterday','Next':'A'}]}",
          OPERATOR_ERROR("TimestampEquals", "a valid timestamp") },
        { "{'Choices':[{'Variable':'$.a','TimestampLessThan':'2023-02-30T00:00:00Z','Next':'A'}]}",
          OPERATOR_ERROR("TimestampLessThan", "a valid timestamp") },
        { "{'Choices':[{'Variable':'$.a','TimestampGreaterThan':1457920740,'Next':'A'}]}",
          OPERATOR_ERROR("TimestampGreaterThan", "a valid timestamp") },
        { "{'Choices':[{'Variable':'$.a','StringEqualsPath':'b','Next':'A'}]}",
          OPERATOR_ERROR("StringEqualsPath", "a valid JSONPath") },
        { "{'Choices':[{'Variable':'$.a','NumericEqualsPath':3,'Next':'A'}]}",
          OPERATOR_ERROR("NumericEqualsPath", "a valid JSONPath") },
        { "{'Choices':[{'Variable':'$.a','TimestampLessThanEqualsPath':'$.items[*]','Next':'A'}]}",
          OPERATOR_ERROR("TimestampLessThanEqualsPath", "a valid JSONPath") },
        { "{'Choices':[{'Variable':'$.a','BooleanEqualsPath':true,'Next':'A'}]}",
          OPERATOR_ERROR("BooleanEqualsPath", "a valid JSONPath") },
        { "{'Choices':[{'Variable':'$.a','IsNull':'true','Next':'A'}]}", OPERATOR_ERROR("IsNull", "a boolean") },
        { "{'Choices':[{'Variable':'$.a','IsPresent':1,'Next':'A'}]}", OPERATOR_ERROR("IsPresent", "a boolean") },
        { "{'Choices':[{'Variable':'$.a','IsTimestamp':null,'Next':'A'}]}",
          OPERATOR_ERROR("IsTimestamp", "a boolean") },
    };
#undef OPERATOR_ERROR

    check_parse_errors(cases, COUNT(cases));
}

static void test_rejects_missing_or_invalid_variable(void)
{
    static const struct parse_error_case cases[] = {
        { "{'Choices':[{'StringEquals':'x','Next':'A'}]}",
          "SCHEMA_VALIDATION_FAILED: These fields are required: [Variable] at /States/Check/Choices/0" },
        { "{'Choices':[{'Variable':'a.b','StringEquals':'x','Next':'A'}]}",
          "SCHEMA_VALIDATION_FAILED: The value for the field 'Variable' must be a valid JSONPath "
          "at /States/Check/Choices/0/Variable" },
        { "{'Choices':[{'Variable':5,'StringEquals':'x','Next':'A'}]}",
          "SCHEMA_VALIDATION_FAILED: The value for the field 'Variable' must be a valid JSONPath "
          "at /States/Check/Choices/0/Variable" },
        { "{'Choices':[{'Variable':'$..a','IsPresent':true,'Next':'A'}]}",
          "SCHEMA_VALIDATION_FAILED: The value for the field 'Variable' must be a valid JSONPath "
          "at /States/Check/Choices/0/Variable" },
    };

    check_parse_errors(cases, COUNT(cases));
}

static void test_rejects_misplaced_or_missing_next(void)
{
    static const struct parse_error_case cases[] = {
        { "{'Choices':[{'Variable':'$.a','IsNull':true,'Next':'A'},{'Variable':'$.a','IsNull':false}]}",
          "SCHEMA_VALIDATION_FAILED: These fields are required: [Next] at /States/Check/Choices/1" },
        { "{'Choices':[{'Variable':'$.a','IsNull':true,'Next':''}]}",
          "SCHEMA_VALIDATION_FAILED: The value for the field 'Next' must be a non-empty string "
          "at /States/Check/Choices/0/Next" },
        { "{'Choices':[{'Variable':'$.a','IsNull':true,'Next':5}]}",
          "SCHEMA_VALIDATION_FAILED: The value for the field 'Next' must be a non-empty string "
          "at /States/Check/Choices/0/Next" },
        { "{'Choices':[{'And':[{'Variable':'$.a','IsNull':true,'Next':'B'}],'Next':'A'}]}",
          "SCHEMA_VALIDATION_FAILED: Field 'Next' is not supported by a nested Choice Rule "
          "at /States/Check/Choices/0/And/0/Next" },
        { "{'Choices':[{'Not':{'Variable':'$.a','IsNull':true,'Next':'B'},'Next':'A'}]}",
          "SCHEMA_VALIDATION_FAILED: Field 'Next' is not supported by a nested Choice Rule "
          "at /States/Check/Choices/0/Not/Next" },
    };

    check_parse_errors(cases, COUNT(cases));
}

static void test_rejects_bad_combinators(void)
{
    static const struct parse_error_case cases[] = {
        { "{'Choices':[{'And':[],'Next':'A'}]}",
          "SCHEMA_VALIDATION_FAILED: The value for the field 'And' must be a non-empty array "
          "at /States/Check/Choices/0/And" },
        { "{'Choices':[{'Or':{'Variable':'$.a','IsNull':true},'Next':'A'}]}",
          "SCHEMA_VALIDATION_FAILED: The value for the field 'Or' must be a non-empty array "
          "at /States/Check/Choices/0/Or" },
        { "{'Choices':[{'Not':{'And':[]},'Next':'A'}]}",
          "SCHEMA_VALIDATION_FAILED: The value for the field 'And' must be a non-empty array "
          "at /States/Check/Choices/0/Not/And" },
    };

    check_parse_errors(cases, COUNT(cases));
}

static void test_error_names_the_nested_field(void)
{
    static const struct parse_error_case cases[] = {
        { "{'Choices':[{'Variable':'$.a','IsNull':true,'Next':'A'},"
          "{'And':[{'Variable':'$.a','IsNull':true},{'Variable':'$.b','NumericEquals':'x'}],'Next':'B'}]}",
          "SCHEMA_VALIDATION_FAILED: The value for the field 'NumericEquals' must be a number "
          "at /States/Check/Choices/1/And/1/NumericEquals" },
        { "{'Choices':[{'Or':[{'Variable':'$.a','IsNull':true},{'Not':{'Variable':'$.b','StringEquals':1}}],"
          "'Next':'A'}]}",
          "SCHEMA_VALIDATION_FAILED: The value for the field 'StringEquals' must be a string "
          "at /States/Check/Choices/0/Or/1/Not/StringEquals" },
        { "{'Choices':[{'And':[{'Or':[{'Not':{'Variable':'$.a','Foo':true}}]}],'Next':'A'}]}",
          "SCHEMA_VALIDATION_FAILED: Field 'Foo' is not supported by a Choice Rule "
          "at /States/Check/Choices/0/And/0/Or/0/Not/Foo" },
        { "{'Choices':[{'Variable':'$.a','IsNull':true,'Next':'A','Comment':5}]}",
          "SCHEMA_VALIDATION_FAILED: The value for the field 'Comment' must be a string "
          "at /States/Check/Choices/0/Comment" },
    };

    check_parse_errors(cases, COUNT(cases));
}

static void test_parse_rejects_null_arguments(void)
{
    cJSON *state = parse_quoted_json("{'Choices':[{'Variable':'$.a','IsNull':true,'Next':'A'}]}");
    struct choice_state *choice = NULL;
    char error[64] = "x";

    ASSERT_EQ_INT(-EINVAL, choice_state_parse(NULL, "Check", &choice, error, sizeof error));
    ASSERT_EQ_STR("", error);
    ASSERT_EQ_INT(-EINVAL, choice_state_parse(state, NULL, &choice, error, sizeof error));
    ASSERT_EQ_INT(-EINVAL, choice_state_parse(state, "Check", NULL, error, sizeof error));
    ASSERT_NULL(choice);
    ASSERT_EQ_INT(0, choice_state_parse(state, "Check", &choice, NULL, 0));
    choice_state_free(choice);
    choice_state_free(NULL);
    cJSON_Delete(state);
}

static void test_long_error_is_truncated(void)
{
    cJSON *state = parse_quoted_json("{'Choices':[{'Variable':'$.a','Next':'A'}]}");
    struct choice_state *choice = NULL;
    char error[16];

    ASSERT_EQ_INT(-EINVAL, choice_state_parse(state, "Check", &choice, error, sizeof error));
    ASSERT_EQ_STR("SCHEMA_VALIDATI", error);
    ASSERT_EQ_INT(-EINVAL, choice_state_parse(state, "Check", &choice, NULL, 0));
    cJSON_Delete(state);
}

/* ---- operators --------------------------------------------------------- */

static void test_string_operators(void)
{
    static const struct choice_case cases[] = {
        { "'Variable':'$.a','StringEquals':'abc'", "{'a':'abc'}", "Match" },
        { "'Variable':'$.a','StringEquals':'abc'", "{'a':'abd'}", "NoMatch" },
        { "'Variable':'$.a','StringEquals':'abc'", "{'a':'ABC'}", "NoMatch" },
        { "'Variable':'$.a','StringEquals':''", "{'a':''}", "Match" },
        { "'Variable':'$.a','StringEquals':'caf\\u00e9'", "{'a':'caf\\u00e9'}", "Match" },
        { "'Variable':'$.a','StringLessThan':'b'", "{'a':'a'}", "Match" },
        { "'Variable':'$.a','StringLessThan':'b'", "{'a':'b'}", "NoMatch" },
        { "'Variable':'$.a','StringLessThan':'b'", "{'a':'ba'}", "NoMatch" },
        { "'Variable':'$.a','StringLessThan':'ab'", "{'a':'a'}", "Match" },
        { "'Variable':'$.a','StringLessThan':'a'", "{'a':'B'}", "Match" },
        { "'Variable':'$.a','StringGreaterThan':'b'", "{'a':'c'}", "Match" },
        { "'Variable':'$.a','StringGreaterThan':'b'", "{'a':'b'}", "NoMatch" },
        { "'Variable':'$.a','StringLessThanEquals':'b'", "{'a':'b'}", "Match" },
        { "'Variable':'$.a','StringLessThanEquals':'b'", "{'a':'c'}", "NoMatch" },
        { "'Variable':'$.a','StringGreaterThanEquals':'b'", "{'a':'b'}", "Match" },
        { "'Variable':'$.a','StringGreaterThanEquals':'b'", "{'a':'a'}", "NoMatch" },
    };

    check_cases(cases, COUNT(cases));
}

static void test_string_operators_on_other_types_are_false(void)
{
    static const struct choice_case cases[] = {
        { "'Variable':'$.a','StringEquals':'1'", "{'a':1}", "NoMatch" },
        { "'Variable':'$.a','StringEquals':'true'", "{'a':true}", "NoMatch" },
        { "'Variable':'$.a','StringEquals':'null'", "{'a':null}", "NoMatch" },
        { "'Variable':'$.a','StringLessThan':'z'", "{'a':['a']}", "NoMatch" },
        { "'Variable':'$.a','StringGreaterThanEquals':''", "{'a':{}}", "NoMatch" },
        { "'Variable':'$.a','StringMatches':'*'", "{'a':5}", "NoMatch" },
    };

    check_cases(cases, COUNT(cases));
}

static void test_string_matches(void)
{
    static const struct choice_case cases[] = {
        { "'Variable':'$.a','StringMatches':'log-*.txt'", "{'a':'log-2024.txt'}", "Match" },
        { "'Variable':'$.a','StringMatches':'log-*.txt'", "{'a':'log-2024.txt.gz'}", "NoMatch" },
        { "'Variable':'$.a','StringMatches':'foo*.log'", "{'a':'foo23.log'}", "Match" },
        { "'Variable':'$.a','StringMatches':'*.log'", "{'a':'zebra.log'}", "Match" },
        { "'Variable':'$.a','StringMatches':'foo*.*'", "{'a':'foobar.zebra'}", "Match" },
        { "'Variable':'$.a','StringMatches':'*'", "{'a':''}", "Match" },
        { "'Variable':'$.a','StringMatches':''", "{'a':''}", "Match" },
        { "'Variable':'$.a','StringMatches':''", "{'a':'x'}", "NoMatch" },
        { "'Variable':'$.a','StringMatches':'**'", "{'a':'anything'}", "Match" },
        { "'Variable':'$.a','StringMatches':'a*b*c'", "{'a':'aXbYc'}", "Match" },
        { "'Variable':'$.a','StringMatches':'a*b*c'", "{'a':'abc'}", "Match" },
        { "'Variable':'$.a','StringMatches':'a*b*c'", "{'a':'aXbY'}", "NoMatch" },
        { "'Variable':'$.a','StringMatches':'a*a*a'", "{'a':'aaaaaaab'}", "NoMatch" },
        { "'Variable':'$.a','StringMatches':'*ab'", "{'a':'aab'}", "Match" },
        { "'Variable':'$.a','StringMatches':'exact'", "{'a':'exact'}", "Match" },
        { "'Variable':'$.a','StringMatches':'exact'", "{'a':'Exact'}", "NoMatch" },
        { "'Variable':'$.a','StringMatches':'caf*'", "{'a':'caf\\u00e9'}", "Match" },
        { "'Variable':'$.a','StringMatches':'?'", "{'a':'x'}", "NoMatch" },
        { "'Variable':'$.a','StringMatches':'[ab]'", "{'a':'[ab]'}", "Match" },
    };

    check_cases(cases, COUNT(cases));
}

/* In JSON, "\\*" is the two characters \ and *: a literal star; "\\\\" a literal backslash. */
static void test_string_matches_escapes(void)
{
    static const struct choice_case cases[] = {
        { "'Variable':'$.a','StringMatches':'foo\\\\*'", "{'a':'foo*'}", "Match" },
        { "'Variable':'$.a','StringMatches':'foo\\\\*'", "{'a':'foobar'}", "NoMatch" },
        { "'Variable':'$.a','StringMatches':'\\\\**'", "{'a':'*star'}", "Match" },
        { "'Variable':'$.a','StringMatches':'\\\\**'", "{'a':'star'}", "NoMatch" },
        { "'Variable':'$.a','StringMatches':'a\\\\\\\\b'", "{'a':'a\\\\b'}", "Match" },
        { "'Variable':'$.a','StringMatches':'a\\\\\\\\*'", "{'a':'a\\\\anything'}", "Match" },
        { "'Variable':'$.a','StringMatches':'a\\\\b'", "{'a':'a\\\\b'}", "Match" },
        { "'Variable':'$.a','StringMatches':'a\\\\'", "{'a':'a\\\\'}", "Match" },
    };

    check_cases(cases, COUNT(cases));
}

/* Evaluates {"Variable":"$.a","StringMatches":pattern} on {"a":text}: "Match" or "NoMatch". */
static const char *match_long(const char *pattern, const char *text)
{
    cJSON *state = cJSON_CreateObject(), *rule, *input = cJSON_CreateObject();
    struct choice_state *choice = NULL;
    const char *next = NULL;
    char error[TEXT_SIZE];

    cJSON_AddStringToObject(state, "Type", "Choice");
    rule = cJSON_CreateObject();
    cJSON_AddStringToObject(rule, "Variable", "$.a");
    cJSON_AddStringToObject(rule, "StringMatches", pattern);
    cJSON_AddStringToObject(rule, "Next", "Match");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(state, "Choices"), rule);
    cJSON_AddStringToObject(state, "Default", "NoMatch");
    cJSON_AddStringToObject(input, "a", text);
    if (choice_state_parse(state, "Check", &choice, error, sizeof error) < 0
        || choice_state_evaluate(choice, input, NULL, &next, error, sizeof error) < 0)
        next = "error";
    next = strcmp(next, "Match") == 0 ? "Match" : strcmp(next, "NoMatch") == 0 ? "NoMatch" : "error";
    choice_state_free(choice);
    cJSON_Delete(input);
    cJSON_Delete(state);
    return next;
}

static char *repeated(char byte, size_t count, const char *prefix, const char *suffix)
{
    char *text = malloc(strlen(prefix) + count + strlen(suffix) + 1);

    strcpy(text, prefix);
    memset(text + strlen(prefix), byte, count);
    strcpy(text + strlen(prefix) + count, suffix);
    return text;
}

/* The pathological cases: each takes milliseconds, not seconds (the segment matcher is linear). */
static void test_string_matches_long_texts_are_linear(void)
{
    char *text = repeated('a', 250000, "", "");
    char *star_as_b = repeated('a', 125000, "*", "b");
    char *star_as_star = repeated('a', 125000, "*", "*b*");
    size_t length = 100000;
    char *many_stars = malloc(length + 2);

    ASSERT_EQ_STR("NoMatch", match_long(star_as_b, text));
    ASSERT_EQ_STR("NoMatch", match_long(star_as_star, text));
    for (size_t i = 0; i < length; i += 2) {
        many_stars[i] = 'a';
        many_stars[i + 1] = '*';
    }
    many_stars[length] = 'b';
    many_stars[length + 1] = '\0';
    ASSERT_EQ_STR("NoMatch", match_long(many_stars, text));
    text[249999] = 'b';
    ASSERT_EQ_STR("Match", match_long(star_as_b, text));
    ASSERT_EQ_STR("Match", match_long(many_stars, text));
    ASSERT_EQ_STR("Match", match_long("*ab", text));
    ASSERT_EQ_STR("NoMatch", match_long("*ab*ab", text));
    ASSERT_EQ_STR("Match", match_long("a*a*a*a*ab", text));
    free(many_stars);
    free(star_as_star);
    free(star_as_b);
    free(text);
}

/* Segments never overlap: the prefix, the middle segments in order, the suffix. */
static void test_string_matches_segments_do_not_overlap(void)
{
    static const struct choice_case cases[] = {
        { "'Variable':'$.a','StringMatches':'ab*ba'", "{'a':'aba'}", "NoMatch" },
        { "'Variable':'$.a','StringMatches':'ab*ba'", "{'a':'abba'}", "Match" },
        { "'Variable':'$.a','StringMatches':'a*b*b*a'", "{'a':'aba'}", "NoMatch" },
        { "'Variable':'$.a','StringMatches':'a*bb*a'", "{'a':'abba'}", "Match" },
        { "'Variable':'$.a','StringMatches':'*x*y*'", "{'a':'yx'}", "NoMatch" },
        { "'Variable':'$.a','StringMatches':'*x*y*'", "{'a':'xy'}", "Match" },
        { "'Variable':'$.a','StringMatches':'*\\\\**'", "{'a':'a*b'}", "Match" },
        { "'Variable':'$.a','StringMatches':'*\\\\**'", "{'a':'ab'}", "NoMatch" },
    };

    check_cases(cases, COUNT(cases));
}

static void test_numeric_operators(void)
{
    static const struct choice_case cases[] = {
        { "'Variable':'$.a','NumericEquals':1", "{'a':1}", "Match" },
        { "'Variable':'$.a','NumericEquals':1", "{'a':1.0}", "Match" },
        { "'Variable':'$.a','NumericEquals':1", "{'a':1.5}", "NoMatch" },
        { "'Variable':'$.a','NumericEquals':-2.5e3", "{'a':-2500}", "Match" },
        { "'Variable':'$.a','NumericLessThan':10", "{'a':9.99}", "Match" },
        { "'Variable':'$.a','NumericLessThan':10", "{'a':10}", "NoMatch" },
        { "'Variable':'$.a','NumericLessThan':0", "{'a':-1}", "Match" },
        { "'Variable':'$.a','NumericGreaterThan':10", "{'a':11}", "Match" },
        { "'Variable':'$.a','NumericGreaterThan':10", "{'a':10}", "NoMatch" },
        { "'Variable':'$.a','NumericLessThanEquals':10", "{'a':10}", "Match" },
        { "'Variable':'$.a','NumericLessThanEquals':10", "{'a':10.01}", "NoMatch" },
        { "'Variable':'$.a','NumericGreaterThanEquals':10", "{'a':10}", "Match" },
        { "'Variable':'$.a','NumericGreaterThanEquals':10", "{'a':9}", "NoMatch" },
    };

    check_cases(cases, COUNT(cases));
}

static void test_numeric_operators_on_other_types_are_false(void)
{
    static const struct choice_case cases[] = {
        { "'Variable':'$.a','NumericEquals':1", "{'a':'1'}", "NoMatch" },
        { "'Variable':'$.a','NumericEquals':1", "{'a':true}", "NoMatch" },
        { "'Variable':'$.a','NumericEquals':0", "{'a':null}", "NoMatch" },
        { "'Variable':'$.a','NumericLessThan':5", "{'a':[1]}", "NoMatch" },
        { "'Variable':'$.a','NumericGreaterThanEquals':0", "{'a':'0'}", "NoMatch" },
    };

    check_cases(cases, COUNT(cases));
}

static void test_boolean_equals(void)
{
    static const struct choice_case cases[] = {
        { "'Variable':'$.a','BooleanEquals':true", "{'a':true}", "Match" },
        { "'Variable':'$.a','BooleanEquals':true", "{'a':false}", "NoMatch" },
        { "'Variable':'$.a','BooleanEquals':false", "{'a':false}", "Match" },
        { "'Variable':'$.a','BooleanEquals':false", "{'a':true}", "NoMatch" },
        { "'Variable':'$.a','BooleanEquals':true", "{'a':'true'}", "NoMatch" },
        { "'Variable':'$.a','BooleanEquals':false", "{'a':0}", "NoMatch" },
        { "'Variable':'$.a','BooleanEquals':false", "{'a':null}", "NoMatch" },
    };

    check_cases(cases, COUNT(cases));
}

static void test_timestamp_operators(void)
{
    static const struct choice_case cases[] = {
        { "'Variable':'$.a','TimestampEquals':'2016-03-14T01:59:00Z'", "{'a':'2016-03-14T01:59:00Z'}", "Match" },
        { "'Variable':'$.a','TimestampEquals':'2016-03-14T01:59:00Z'", "{'a':'2016-03-14T03:59:00+02:00'}", "Match" },
        { "'Variable':'$.a','TimestampEquals':'2016-03-14T01:59:00Z'", "{'a':'2016-03-14T01:59:00.000Z'}", "Match" },
        { "'Variable':'$.a','TimestampEquals':'2016-03-14T01:59:00Z'", "{'a':'2016-03-14T01:59:00.001Z'}", "NoMatch" },
        { "'Variable':'$.a','TimestampLessThan':'2025-01-02T00:00:00.000Z'", "{'a':'2025-01-01T23:59:59.999Z'}",
          "Match" },
        { "'Variable':'$.a','TimestampLessThan':'2025-01-02T00:00:00Z'", "{'a':'2025-01-02T00:00:00Z'}", "NoMatch" },
        { "'Variable':'$.a','TimestampGreaterThan':'2025-01-01T00:00:00Z'", "{'a':'2025-01-01T00:00:00-00:01'}",
          "Match" },
        { "'Variable':'$.a','TimestampGreaterThan':'2025-01-01T00:00:00Z'", "{'a':'2024-12-31T23:59:59Z'}", "NoMatch" },
        { "'Variable':'$.a','TimestampLessThanEquals':'2025-01-01T00:00:00Z'", "{'a':'2025-01-01T00:00:00Z'}",
          "Match" },
        { "'Variable':'$.a','TimestampLessThanEquals':'2025-01-01T00:00:00Z'", "{'a':'2025-01-01T00:00:01Z'}",
          "NoMatch" },
        { "'Variable':'$.a','TimestampGreaterThanEquals':'2025-01-01T00:00:00Z'", "{'a':'2025-01-01T00:00:00Z'}",
          "Match" },
        { "'Variable':'$.a','TimestampGreaterThanEquals':'2025-01-01T00:00:00Z'", "{'a':'1999-01-01T00:00:00Z'}",
          "NoMatch" },
    };

    check_cases(cases, COUNT(cases));
}

static void test_timestamp_operators_on_non_timestamps_are_false(void)
{
    static const struct choice_case cases[] = {
        { "'Variable':'$.a','TimestampLessThan':'2025-01-01T00:00:00Z'", "{'a':'not-a-timestamp'}", "NoMatch" },
        { "'Variable':'$.a','TimestampGreaterThan':'2025-01-01T00:00:00Z'", "{'a':'2026-01-01'}", "NoMatch" },
        { "'Variable':'$.a','TimestampLessThan':'2025-01-01T00:00:00Z'", "{'a':'2023-02-30T00:00:00Z'}", "NoMatch" },
        { "'Variable':'$.a','TimestampLessThan':'2025-01-01T00:00:00Z'", "{'a':0}", "NoMatch" },
        { "'Variable':'$.a','TimestampEquals':'2025-01-01T00:00:00Z'", "{'a':null}", "NoMatch" },
    };

    check_cases(cases, COUNT(cases));
}

static void test_type_tests(void)
{
    static const struct choice_case cases[] = {
        { "'Variable':'$.a','IsNull':true", "{'a':null}", "Match" },
        { "'Variable':'$.a','IsNull':true", "{'a':0}", "NoMatch" },
        { "'Variable':'$.a','IsNull':false", "{'a':'x'}", "Match" },
        { "'Variable':'$.a','IsNull':false", "{'a':null}", "NoMatch" },
        { "'Variable':'$.a','IsPresent':true", "{'a':null}", "Match" },
        { "'Variable':'$.a','IsPresent':false", "{'a':null}", "NoMatch" },
        { "'Variable':'$.a','IsNumeric':true", "{'a':1.5}", "Match" },
        { "'Variable':'$.a','IsNumeric':true", "{'a':'1.5'}", "NoMatch" },
        { "'Variable':'$.a','IsNumeric':false", "{'a':'1.5'}", "Match" },
        { "'Variable':'$.a','IsString':true", "{'a':''}", "Match" },
        { "'Variable':'$.a','IsString':true", "{'a':['x']}", "NoMatch" },
        { "'Variable':'$.a','IsString':false", "{'a':{}}", "Match" },
        { "'Variable':'$.a','IsBoolean':true", "{'a':false}", "Match" },
        { "'Variable':'$.a','IsBoolean':true", "{'a':'false'}", "NoMatch" },
        { "'Variable':'$.a','IsBoolean':false", "{'a':1}", "Match" },
        { "'Variable':'$.a','IsTimestamp':true", "{'a':'2016-03-14T01:59:00Z'}", "Match" },
        { "'Variable':'$.a','IsTimestamp':true", "{'a':'2016-03-14T01:59:00.5-03:00'}", "Match" },
        { "'Variable':'$.a','IsTimestamp':true", "{'a':'2016-03-14'}", "NoMatch" },
        { "'Variable':'$.a','IsTimestamp':true", "{'a':1457920740}", "NoMatch" },
        { "'Variable':'$.a','IsTimestamp':false", "{'a':'2016-03-14t01:59:00z'}", "Match" },
        { "'Variable':'$.a','IsString':true", "{'a':'2016-03-14T01:59:00Z'}", "Match" },
    };

    check_cases(cases, COUNT(cases));
}

static void test_is_present_on_missing_values(void)
{
    static const struct choice_case cases[] = {
        { "'Variable':'$.a','IsPresent':false", "{'b':1}", "Match" },
        { "'Variable':'$.a','IsPresent':true", "{'b':1}", "NoMatch" },
        { "'Variable':'$.a.b.c','IsPresent':false", "{'a':{'b':1}}", "Match" },
        { "'Variable':'$.list[3]','IsPresent':true", "{'list':[0,1,2]}", "NoMatch" },
        { "'Variable':'$.list[2]','IsPresent':true", "{'list':[0,1,2]}", "Match" },
        { "'Variable':'$.a','IsPresent':true", "[1,2]", "NoMatch" },
    };

    check_cases(cases, COUNT(cases));
}

/* ---- Path forms and the context object --------------------------------- */

static void test_path_operators(void)
{
    static const struct choice_case cases[] = {
        { "'Variable':'$.a','StringEqualsPath':'$.b'", "{'a':'x','b':'x'}", "Match" },
        { "'Variable':'$.a','StringEqualsPath':'$.b'", "{'a':'x','b':'y'}", "NoMatch" },
        { "'Variable':'$.a','StringLessThanPath':'$.b'", "{'a':'x','b':'y'}", "Match" },
        { "'Variable':'$.a','StringGreaterThanPath':'$.b'", "{'a':'x','b':'y'}", "NoMatch" },
        { "'Variable':'$.a','StringLessThanEqualsPath':'$.b'", "{'a':'y','b':'y'}", "Match" },
        { "'Variable':'$.a','StringGreaterThanEqualsPath':'$.b'", "{'a':'z','b':'y'}", "Match" },
        { "'Variable':'$.a','NumericEqualsPath':'$.b'", "{'a':8,'b':8.0}", "Match" },
        { "'Variable':'$.a','NumericLessThanPath':'$.b'", "{'a':7,'b':8}", "Match" },
        { "'Variable':'$.a','NumericGreaterThanPath':'$.b'", "{'a':7,'b':8}", "NoMatch" },
        { "'Variable':'$.p.low','NumericLessThanEqualsPath':'$.p.high'", "{'p':{'low':-2.25,'high':-2.25}}", "Match" },
        { "'Variable':'$.a','NumericGreaterThanEqualsPath':'$.b'", "{'a':9,'b':8}", "Match" },
        { "'Variable':'$.a','BooleanEqualsPath':'$.b'", "{'a':true,'b':true}", "Match" },
        { "'Variable':'$.a','BooleanEqualsPath':'$.b'", "{'a':true,'b':false}", "NoMatch" },
        { "'Variable':'$.a','TimestampEqualsPath':'$.b'",
          "{'a':'2016-03-14T01:59:00Z','b':'2016-03-13T20:59:00-05:00'}", "Match" },
        { "'Variable':'$.a','TimestampLessThanPath':'$.b'", "{'a':'2016-03-14T01:59:00Z','b':'2016-03-14T01:59:01Z'}",
          "Match" },
        { "'Variable':'$.a','TimestampGreaterThanPath':'$.b'",
          "{'a':'2016-03-14T01:59:00Z','b':'2016-03-14T01:59:01Z'}", "NoMatch" },
        { "'Variable':'$.a','TimestampLessThanEqualsPath':'$.b'",
          "{'a':'2025-01-01T00:00:20Z','b':'2025-01-01T00:00:10Z'}", "NoMatch" },
        { "'Variable':'$.a','TimestampGreaterThanEqualsPath':'$.b'",
          "{'a':'2025-01-01T00:00:20Z','b':'2025-01-01T00:00:10Z'}", "Match" },
        { "'Variable':'$','NumericEqualsPath':'$'", "3", "Match" },
        { "'Variable':'$.list[0]','StringEqualsPath':'$[\\'odd key\\']'", "{'list':['v'],'odd key':'v'}", "Match" },
    };

    check_cases(cases, COUNT(cases));
}

static void test_path_operands_of_other_types_are_false(void)
{
    static const struct choice_case cases[] = {
        { "'Variable':'$.a','StringEqualsPath':'$.b'", "{'a':'1','b':1}", "NoMatch" },
        { "'Variable':'$.a','NumericLessThanEqualsPath':'$.b'", "{'a':8,'b':{'value':8}}", "NoMatch" },
        { "'Variable':'$.a','NumericLessThanEqualsPath':'$.b'", "{'a':'8','b':8}", "NoMatch" },
        { "'Variable':'$.a','BooleanEqualsPath':'$.b'", "{'a':true,'b':'true'}", "NoMatch" },
        { "'Variable':'$.a','TimestampEqualsPath':'$.b'", "{'a':'2016-03-14T01:59:00Z','b':'later'}", "NoMatch" },
        { "'Variable':'$.a','TimestampEqualsPath':'$.b'", "{'a':'2016-03-14T01:59:00Z','b':null}", "NoMatch" },
    };

    check_cases(cases, COUNT(cases));
}

static void test_context_paths(void)
{
    const char *context = "{'Execution':{'Id':'arn:x','Input':{'limit':100}},'State':{'Name':'Check'},"
                          "'Task':{'Token':'T'}}";

    ASSERT_EQ_STR("Match", choose_with_context("'Variable':'$$.State.Name','StringEquals':'Check'", "{}", context));
    ASSERT_EQ_STR("NoMatch", choose_with_context("'Variable':'$$.State.Name','StringEquals':'Other'", "{}", context));
    ASSERT_EQ_STR("Match", choose_with_context("'Variable':'$.amount','NumericLessThanEqualsPath':"
                                               "'$$.Execution.Input.limit'",
                                               "{'amount':100}", context));
    ASSERT_EQ_STR("NoMatch", choose_with_context("'Variable':'$.amount','NumericLessThanPath':"
                                                 "'$$.Execution.Input.limit'",
                                                 "{'amount':100}", context));
    ASSERT_EQ_STR("Match", choose_with_context("'Variable':'$$.Task.Token','IsPresent':true", "{}", context));
    ASSERT_EQ_STR("Match", choose_with_context("'Variable':'$$.Map.Item','IsPresent':false", "{}", context));
    ASSERT_EQ_STR("error -22 (next untouched): Invalid path '$$.Map.Item': The choice state's condition path "
                  "references an invalid value.",
                  choose_with_context("'Variable':'$$.Map.Item','IsNull':false", "{}", context));
    ASSERT_EQ_STR("error -22 (next untouched): Invalid path '$$.Execution.Id': The choice state's condition path "
                  "references an invalid value.",
                  choose_with_context("'Variable':'$$.Execution.Id','IsString':true", "{}", NULL));
}

/* ---- runtime errors ---------------------------------------------------- */

static void test_missing_variable_is_a_runtime_error(void)
{
    static const struct choice_case cases[] = {
        { "'Variable':'$.missing','NumericEquals':1", "{'a':1}",
          "error -22 (next untouched): Invalid path '$.missing': The choice state's condition path references an "
          "invalid value." },
        { "'Variable':'$.a.b','StringEquals':'x'", "{'a':'not an object'}",
          "error -22 (next untouched): Invalid path '$.a.b': The choice state's condition path references an "
          "invalid value." },
        { "'Variable':'$.approved','BooleanEquals':true", "{'status':'PENDING'}",
          "error -22 (next untouched): Invalid path '$.approved': The choice state's condition path references an "
          "invalid value." },
        { "'Variable':'$.a','IsNull':true", "{}",
          "error -22 (next untouched): Invalid path '$.a': The choice state's condition path references an "
          "invalid value." },
        { "'Variable':'$.a','IsTimestamp':false", "{}",
          "error -22 (next untouched): Invalid path '$.a': The choice state's condition path references an "
          "invalid value." },
        { "'Variable':'$.a','StringMatches':'*'", "{}",
          "error -22 (next untouched): Invalid path '$.a': The choice state's condition path references an "
          "invalid value." },
        { "'Not':{'Variable':'$.a','StringEquals':'x'}", "{}",
          "error -22 (next untouched): Invalid path '$.a': The choice state's condition path references an "
          "invalid value." },
    };

    check_cases(cases, COUNT(cases));
}

static void test_missing_path_operand_is_a_runtime_error(void)
{
    static const struct choice_case cases[] = {
        { "'Variable':'$.left','NumericLessThanEqualsPath':'$.right'", "{'left':8}",
          "error -22 (next untouched): Invalid path '$.right': The choice state's condition path references an "
          "invalid value." },
        { "'Variable':'$.a','TimestampEqualsPath':'$.b'", "{'a':'not even a timestamp'}",
          "error -22 (next untouched): Invalid path '$.b': The choice state's condition path references an "
          "invalid value." },
    };

    check_cases(cases, COUNT(cases));
}

/* A rule after the one that matches is not evaluated, so its missing variable does not matter. */
static void test_rules_after_the_match_are_not_evaluated(void)
{
    struct parsed_state parsed;

    parse_state("{'Choices':[{'Variable':'$.a','IsPresent':true,'Next':'First'},"
                "{'Variable':'$.missing','StringEquals':'x','Next':'Second'}]}",
                &parsed);
    ASSERT_EQ_INT(0, parsed.rc);
    ASSERT_EQ_STR("First", evaluate_parsed(&parsed, "{'a':1}", NULL));
    ASSERT_EQ_STR("error -22 (next untouched): Invalid path '$.missing': The choice state's condition path "
                  "references an invalid value.",
                  evaluate_parsed(&parsed, "{'b':1}", NULL));
    release_state(&parsed);
}

static void test_evaluate_rejects_null_arguments(void)
{
    struct parsed_state parsed;
    const char *next = "untouched";
    char detail[16] = "x";

    parse_state("{'Choices':[{'Variable':'$.a','IsNull':true,'Next':'A'}]}", &parsed);
    ASSERT_EQ_INT(-EINVAL, choice_state_evaluate(NULL, NULL, NULL, &next, detail, sizeof detail));
    ASSERT_EQ_STR("untouched", next);
    ASSERT_EQ_STR("", detail);
    ASSERT_EQ_INT(-EINVAL, choice_state_evaluate(parsed.choice, NULL, NULL, NULL, detail, sizeof detail));
    ASSERT_EQ_INT(-EINVAL, choice_state_evaluate(parsed.choice, NULL, NULL, &next, NULL, 0));
    ASSERT_EQ_INT(-EINVAL, choice_state_evaluate(parsed.choice, NULL, NULL, &next, detail, sizeof detail));
    ASSERT_EQ_STR("Invalid path '$", detail);
    release_state(&parsed);
}

/* ---- And, Or, Not ------------------------------------------------------ */

static void test_and(void)
{
    static const char *const in_twenties =
        "'And':[{'Variable':'$.value','NumericGreaterThanEquals':20},{'Variable':'$.value','NumericLessThan':30}]";
    static const struct choice_case cases[] = {
        { in_twenties, "{'value':20}", "Match" },
        { in_twenties, "{'value':29.9}", "Match" },
        { in_twenties, "{'value':19}", "NoMatch" },
        { in_twenties, "{'value':30}", "NoMatch" },
        { "'And':[{'Variable':'$.a','IsNull':true}]", "{'a':null}", "Match" },
        /* stops at the first false operand: the missing variable after it is not looked at */
        { "'And':[{'Variable':'$.a','IsNull':false},{'Variable':'$.missing','IsNull':true}]", "{'a':null}", "NoMatch" },
        { "'And':[{'Variable':'$.a','IsNull':true},{'Variable':'$.missing','IsNull':true}]", "{'a':null}",
          "error -22 (next untouched): Invalid path '$.missing': The choice state's condition path references an "
          "invalid value." },
    };

    check_cases(cases, COUNT(cases));
}

static void test_or(void)
{
    static const char *const small_or_large =
        "'Or':[{'Variable':'$.n','NumericLessThan':0},{'Variable':'$.n','NumericGreaterThan':100},"
        "{'Variable':'$.n','IsNumeric':false}]";
    static const struct choice_case cases[] = {
        { small_or_large, "{'n':-1}", "Match" },
        { small_or_large, "{'n':101}", "Match" },
        { small_or_large, "{'n':'text'}", "Match" },
        { small_or_large, "{'n':50}", "NoMatch" },
        /* stops at the first true operand */
        { "'Or':[{'Variable':'$.a','IsNull':true},{'Variable':'$.missing','IsNull':true}]", "{'a':null}", "Match" },
        { "'Or':[{'Variable':'$.a','IsNull':false},{'Variable':'$.missing','IsNull':true}]", "{'a':null}",
          "error -22 (next untouched): Invalid path '$.missing': The choice state's condition path references an "
          "invalid value." },
    };

    check_cases(cases, COUNT(cases));
}

static void test_not(void)
{
    static const struct choice_case cases[] = {
        { "'Not':{'Variable':'$.type','StringEquals':'Private'}", "{'type':'Public'}", "Match" },
        { "'Not':{'Variable':'$.type','StringEquals':'Private'}", "{'type':'Private'}", "NoMatch" },
        { "'Not':{'Variable':'$.type','StringEquals':'Private'}", "{'type':7}", "Match" },
        { "'Not':{'Not':{'Variable':'$.a','BooleanEquals':true}}", "{'a':true}", "Match" },
        { "'Not':{'Variable':'$.a','IsPresent':true}", "{}", "Match" },
    };

    check_cases(cases, COUNT(cases));
}

static void test_nested_combinators(void)
{
    /* (a == 'x' and not b) or (n in [1, 5]) */
    static const char *const rule =
        "'Or':[{'And':[{'Variable':'$.a','StringEquals':'x'},{'Not':{'Variable':'$.b','BooleanEquals':true}}]},"
        "{'And':[{'Variable':'$.n','NumericGreaterThanEquals':1},{'Variable':'$.n','NumericLessThanEquals':5}]}]";
    static const struct choice_case cases[] = {
        { rule, "{'a':'x','b':false,'n':0}", "Match" },   { rule, "{'a':'x','b':true,'n':3}", "Match" },
        { rule, "{'a':'y','b':false,'n':5}", "Match" },   { rule, "{'a':'x','b':true,'n':6}", "NoMatch" },
        { rule, "{'a':'y','b':false,'n':0}", "NoMatch" },
    };

    check_cases(cases, COUNT(cases));
}

/* ---- whole states ------------------------------------------------------ */

static void test_aws_documentation_example(void)
{
    struct parsed_state parsed;

    parse_state(aws_example_state, &parsed);
    ASSERT_EQ_INT(0, parsed.rc);
    ASSERT_EQ_STR("", parsed.error);
    ASSERT_EQ_STR("ValueInTwenties", evaluate_parsed(&parsed, "{'type':'Private','value':22}", NULL));
    ASSERT_EQ_STR("ValueIsZero", evaluate_parsed(&parsed, "{'type':'Private','value':0}", NULL));
    ASSERT_EQ_STR("Public", evaluate_parsed(&parsed, "{'type':'Public','value':22}", NULL));
    ASSERT_EQ_STR("DefaultState", evaluate_parsed(&parsed, "{'type':'Private','value':5}", NULL));
    ASSERT_EQ_STR("error -22 (next untouched): Invalid path '$.type': The choice state's condition path "
                  "references an invalid value.",
                  evaluate_parsed(&parsed, "{'value':22}", NULL));
    release_state(&parsed);
}

static void test_first_matching_rule_wins(void)
{
    struct parsed_state parsed;

    parse_state("{'Choices':[{'Variable':'$.n','NumericGreaterThan':10,'Next':'Big'},"
                "{'Variable':'$.n','NumericGreaterThan':0,'Next':'Positive'},"
                "{'Variable':'$.n','IsNumeric':true,'Next':'Number','Comment':'the rest'}],"
                "'Default':'NotANumber'}",
                &parsed);
    ASSERT_EQ_INT(0, parsed.rc);
    ASSERT_EQ_STR("Big", evaluate_parsed(&parsed, "{'n':11}", NULL));
    ASSERT_EQ_STR("Positive", evaluate_parsed(&parsed, "{'n':10}", NULL));
    ASSERT_EQ_STR("Number", evaluate_parsed(&parsed, "{'n':-3}", NULL));
    ASSERT_EQ_STR("NotANumber", evaluate_parsed(&parsed, "{'n':'3'}", NULL));
    release_state(&parsed);
}

static void test_no_match_without_default_gives_null(void)
{
    struct parsed_state parsed;

    parse_state("{'Type':'Choice','Choices':[{'Variable':'$.a','StringEquals':'x','Next':'X'}]}", &parsed);
    ASSERT_EQ_INT(0, parsed.rc);
    ASSERT_EQ_STR("X", evaluate_parsed(&parsed, "{'a':'x'}", NULL));
    ASSERT_EQ_STR("(none)", evaluate_parsed(&parsed, "{'a':'y'}", NULL));
    release_state(&parsed);
}

static void test_transition_targets(void)
{
    struct parsed_state with_default, without_default;

    parse_state(aws_example_state, &with_default);
    parse_state("{'Choices':[{'Variable':'$.a','IsNull':true,'Next':'A'},{'Variable':'$.a','IsNull':false,"
                "'Next':'A'}]}",
                &without_default);
    ASSERT_EQ_INT(0, with_default.rc);
    ASSERT_EQ_INT(0, without_default.rc);
    ASSERT_EQ_INT(4, choice_state_target_count(with_default.choice));
    ASSERT_EQ_STR("Public", choice_state_target(with_default.choice, 0));
    ASSERT_EQ_STR("ValueIsZero", choice_state_target(with_default.choice, 1));
    ASSERT_EQ_STR("ValueInTwenties", choice_state_target(with_default.choice, 2));
    ASSERT_EQ_STR("DefaultState", choice_state_target(with_default.choice, 3));
    ASSERT_NULL(choice_state_target(with_default.choice, 4));
    ASSERT_EQ_INT(2, choice_state_target_count(without_default.choice));
    ASSERT_EQ_STR("A", choice_state_target(without_default.choice, 0));
    ASSERT_EQ_STR("A", choice_state_target(without_default.choice, 1));
    ASSERT_NULL(choice_state_target(without_default.choice, 2));
    ASSERT_EQ_INT(0, choice_state_target_count(NULL));
    ASSERT_NULL(choice_state_target(NULL, 0));
    release_state(&with_default);
    release_state(&without_default);
}

/* The state may be freed only with its JSON alive; strings come from the JSON, not copies. */
static void test_targets_borrow_from_the_state_json(void)
{
    struct parsed_state parsed;
    const cJSON *default_json;

    parse_state(aws_example_state, &parsed);
    default_json = cJSON_GetObjectItemCaseSensitive(parsed.json, "Default");
    ASSERT_TRUE(choice_state_target(parsed.choice, 3) == default_json->valuestring);
    release_state(&parsed);
}

/* ---- allocation failures ----------------------------------------------- */

/* Every allocation failure while parsing gives -ENOMEM, leaves *choice untouched and leaks nothing (ASan). */
static void test_parse_out_of_memory_is_enomem(void)
{
    cJSON *state = parse_quoted_json(
        "{'Choices':[{'Or':[{'And':[{'Variable':'$.a','IsNull':false},{'Not':{'Variable':'$.b','IsPresent':true}}]},"
        "{'Variable':'$.c','NumericEqualsPath':'$$.limit'}],'Next':'A'},"
        "{'Not':{'Not':{'Variable':'$.d','StringMatches':'x*'}},'Next':'B'}],'Default':'C'}");
    static char sentinel_byte;
    struct choice_state *sentinel = (struct choice_state *)(void *)&sentinel_byte, *choice = sentinel;
    char error[256];
    int rc = -ENOMEM, unexpected_rc = 0;
    long allowed;

    for (allowed = 0; allowed < 100 && rc != 0; allowed++) {
        use_failing_allocator(allowed);
        rc = choice_state_parse(state, "Check", &choice, error, sizeof error);
        use_normal_allocator();
        if (rc != 0 && (rc != -ENOMEM || choice != sentinel))
            unexpected_rc = rc;
    }
    ASSERT_EQ_INT(0, unexpected_rc);
    ASSERT_EQ_INT(0, rc);
    ASSERT_TRUE(allowed > 5);
    ASSERT_EQ_INT(3, choice_state_target_count(choice));
    choice_state_free(choice);
    cJSON_Delete(state);
}

/* A definition error found after some allocations still frees them all (ASan checks). */
static void test_parse_error_after_allocations_leaks_nothing(void)
{
    struct parsed_state parsed;

    parse_state("{'Choices':[{'And':[{'Or':[{'Variable':'$.a','IsNull':true}]},{'Not':{'Variable':'$.b',"
                "'IsNull':true}}],'Next':'A'},{'And':[{'Not':{'Variable':'$.c','IsNull':'yes'}}],'Next':'B'}]}",
                &parsed);
    ASSERT_EQ_INT(-EINVAL, parsed.rc);
    ASSERT_NULL(parsed.choice);
    ASSERT_EQ_STR("SCHEMA_VALIDATION_FAILED: The value for the field 'IsNull' must be a boolean "
                  "at /States/Check/Choices/1/And/0/Not/IsNull",
                  parsed.error);
    release_state(&parsed);
}

/* Evaluation allocates nothing, so it works even when every allocation would fail. */
static void test_evaluate_allocates_nothing(void)
{
    struct parsed_state parsed;
    cJSON *input = parse_quoted_json("{'type':'Private','value':22}");
    const char *next = NULL;
    char detail[64];
    int rc;

    parse_state(aws_example_state, &parsed);
    use_failing_allocator(0);
    rc = choice_state_evaluate(parsed.choice, input, NULL, &next, detail, sizeof detail);
    use_normal_allocator();
    ASSERT_EQ_INT(0, rc);
    ASSERT_EQ_STR("ValueInTwenties", next);
    cJSON_Delete(input);
    release_state(&parsed);
}

int main(void)
{
    RUN(test_rejects_bad_choices_and_default);
    RUN(test_rejects_rules_that_are_not_objects);
    RUN(test_rejects_unknown_fields);
    RUN(test_rejects_rules_without_exactly_one_operator);
    RUN(test_rejects_operator_values_of_the_wrong_type);
    RUN(test_rejects_missing_or_invalid_variable);
    RUN(test_rejects_misplaced_or_missing_next);
    RUN(test_rejects_bad_combinators);
    RUN(test_error_names_the_nested_field);
    RUN(test_parse_rejects_null_arguments);
    RUN(test_long_error_is_truncated);
    RUN(test_string_operators);
    RUN(test_string_operators_on_other_types_are_false);
    RUN(test_string_matches);
    RUN(test_string_matches_escapes);
    RUN(test_string_matches_long_texts_are_linear);
    RUN(test_string_matches_segments_do_not_overlap);
    RUN(test_numeric_operators);
    RUN(test_numeric_operators_on_other_types_are_false);
    RUN(test_boolean_equals);
    RUN(test_timestamp_operators);
    RUN(test_timestamp_operators_on_non_timestamps_are_false);
    RUN(test_type_tests);
    RUN(test_is_present_on_missing_values);
    RUN(test_path_operators);
    RUN(test_path_operands_of_other_types_are_false);
    RUN(test_context_paths);
    RUN(test_missing_variable_is_a_runtime_error);
    RUN(test_missing_path_operand_is_a_runtime_error);
    RUN(test_rules_after_the_match_are_not_evaluated);
    RUN(test_evaluate_rejects_null_arguments);
    RUN(test_and);
    RUN(test_or);
    RUN(test_not);
    RUN(test_nested_combinators);
    RUN(test_aws_documentation_example);
    RUN(test_first_matching_rule_wins);
    RUN(test_no_match_without_default_gives_null);
    RUN(test_transition_targets);
    RUN(test_targets_borrow_from_the_state_json);
    RUN(test_parse_out_of_memory_is_enomem);
    RUN(test_parse_error_after_allocations_leaks_nothing);
    RUN(test_evaluate_allocates_nothing);
    return test_done();
}
