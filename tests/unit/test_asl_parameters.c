/*
 * test_asl_parameters.c - unit tests for loan-processor/asl_parameters.c
 */
#include "asl_parameters.h"
#include "failing_allocator.h"
#include "test.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The template from the blog's RequestValuation Task. */
static const char *const blog_template_json =
    "{\"FunctionName\":\"ValuationRequestFunction\","
    "\"Payload\":{\"taskToken.$\":\"$$.Task.Token\",\"loanApplication.$\":\"$\"}}";

static const char *const blog_input_json = "{\"applicationReference\":\"app-ref\","
                                           "\"property\":{\"nameOrNumber\":\"999\",\"postcode\":\"PO1 1CE\"}}";

static const char *const blog_context_json = "{\"Task\":{\"Token\":\"TOKEN\"}}";

static const char *const blog_expected_json = "{\"FunctionName\":\"ValuationRequestFunction\","
                                              "\"Payload\":{\"taskToken\":\"TOKEN\",\"loanApplication\":"
                                              "{\"applicationReference\":\"app-ref\","
                                              "\"property\":{\"nameOrNumber\":\"999\",\"postcode\":\"PO1 1CE\"}}}}";

struct evaluation_outcome {
    int rc;
    char *printed; /* the result printed unformatted, or NULL; cJSON_free it */
    bool result_untouched;
    char error[512];
};

/*
 * Evaluates template_json against input_json/context_json (NULL json = NULL
 * document), with cJSON's allocator failing after allocations_allowed
 * allocations (-1: never).
 */
static void evaluate_limited(long allocations_allowed, const char *template_json, const char *input_json,
                             const char *context_json, struct evaluation_outcome *outcome)
{
    cJSON *template_document = cJSON_Parse(template_json);
    cJSON *input = input_json ? cJSON_Parse(input_json) : NULL;
    cJSON *context = context_json ? cJSON_Parse(context_json) : NULL;
    cJSON sentinel = { 0 };
    cJSON *result = &sentinel;

    memset(outcome->error, 'x', sizeof outcome->error);
    use_failing_allocator(allocations_allowed);
    outcome->rc =
        asl_parameters_evaluate(template_document, input, context, &result, outcome->error, sizeof outcome->error);
    use_normal_allocator();
    outcome->result_untouched = result == &sentinel;
    outcome->printed = outcome->result_untouched ? NULL : cJSON_PrintUnformatted(result);
    if (!outcome->result_untouched)
        cJSON_Delete(result);
    cJSON_Delete(template_document);
    cJSON_Delete(input);
    cJSON_Delete(context);
}

static void evaluate(const char *template_json, const char *input_json, const char *context_json,
                     struct evaluation_outcome *outcome)
{
    evaluate_limited(-1, template_json, input_json, context_json, outcome);
}

static int validate(const char *template_json, char *error, size_t error_size)
{
    cJSON *template_document = cJSON_Parse(template_json);
    int rc = asl_parameters_validate(template_document, error, error_size);

    cJSON_Delete(template_document);
    return rc;
}

/* ---- validation -------------------------------------------------------- */

static void test_validate_accepts_paths_intrinsics_and_literals(void)
{
    char error[256] = "stale";
    int rc = validate("{\"FunctionName\":\"ValuationRequestFunction\","
                      "\"Payload\":{\"taskToken.$\":\"$$.Task.Token\",\"loanApplication.$\":\"$\"},"
                      "\"literal\":\"$.not.checked here\",\"number\":3,\"nothing\":null,"
                      "\"list\":[{\"a.$\":\"$.items[0]['x y']\"},[{\"b.$\":\"$$.Execution.Id\"}],\"text\"],"
                      "\"message.$\":\"States.Format('Hello {} (and {})', $.name, States.JsonToString($.o))\","
                      "\"encoded.$\":\"States.Base64Encode($.data)\","
                      "\"uuid.$\":\"States.UUID()\","
                      "\"quoted.$\":\"States.Format('it\\\\'s {}', $.x)\"}",
                      error, sizeof error);

    ASSERT_EQ_INT(0, rc);
    ASSERT_EQ_STR("", error);
}

static void test_validate_accepts_the_double_suffix_key_at_definition_time(void)
{
    char error[256];

    ASSERT_EQ_INT(0, validate("{\"Payload\":{\"taskToken.$.$\":\"$$.Task.Token\"}}", error, sizeof error));
}

static void test_validate_error_text_names_the_field(void)
{
    char error[256];
    int rc = validate("{\"Message.$\":\"not a path\"}", error, sizeof error);

    ASSERT_EQ_INT(-EINVAL, rc);
    ASSERT_EQ_STR("The value for the field 'Message.$' must be a valid JSONPath or a valid intrinsic function call",
                  error);
}

static void test_validate_finds_bad_values_in_nested_objects_and_arrays(void)
{
    char nested_error[256], array_error[256];
    int rc_nested = validate("{\"a\":{\"ok.$\":\"$.x\",\"parsed.$\":\"$.a[\"}}", nested_error, sizeof nested_error);
    int rc_array = validate("{\"l\":[1,[{\"deep.$\":\"$..x\"}]]}", array_error, sizeof array_error);

    ASSERT_EQ_INT(-EINVAL, rc_nested);
    ASSERT_EQ_STR("The value for the field 'parsed.$' must be a valid JSONPath or a valid intrinsic function call",
                  nested_error);
    ASSERT_EQ_INT(-EINVAL, rc_array);
    ASSERT_EQ_STR("The value for the field 'deep.$' must be a valid JSONPath or a valid intrinsic function call",
                  array_error);
}

static void test_validate_rejects_bad_values(void)
{
    const char *bad_templates[] = {
        "{\"v.$\":3}",
        "{\"v.$\":null}",
        "{\"v.$\":{\"a\":\"$\"}}",
        "{\"v.$\":[\"$\"]}",
        "{\"v.$\":\"\"}",
        "{\"v.$\":\"Task.Token\"}",
        "{\"v.$\":\"States.Format\"}",
        "{\"v.$\":\"States.('x')\"}",
        "{\"v.$\":\"States..Format()\"}",
        "{\"v.$\":\"States.Format.()\"}",
        "{\"v.$\":\"States.1Format()\"}",
        "{\"v.$\":\"States.Format('x'\"}",
        "{\"v.$\":\"States.Format('x)\"}",
        "{\"v.$\":\"States.Format('x'))\"}",
        "{\"v.$\":\"States.Format('x') \"}",
        "{\"v.$\":\"States.Format(a)(b)\"}",
        "{\"v.$\":\"states.Format('x')\"}",
        "{\"v.$\":\"States.Nope('x')\"}",
        "{\"v.$\":\"States.Format()\"}",
        "{\"v.$\":\"States.MathAdd(1)\"}",
        "{\"v.$\":\"States.Array($..x)\"}",
    };
    char error[256];

    for (size_t i = 0; i < sizeof bad_templates / sizeof bad_templates[0]; i++) {
        int rc = validate(bad_templates[i], error, sizeof error);
        if (rc != -EINVAL)
            printf("# accepted: %s\n", bad_templates[i]);
        ASSERT_EQ_INT(-EINVAL, rc);
        ASSERT_EQ_STR("The value for the field 'v.$' must be a valid JSONPath or a valid intrinsic function call",
                      error);
    }
}

static void test_validate_truncates_the_error_and_accepts_no_buffer(void)
{
    char small[12];

    ASSERT_EQ_INT(-EINVAL, validate("{\"v.$\":1}", small, sizeof small));
    ASSERT_EQ_STR("The value f", small);
    ASSERT_EQ_INT(-EINVAL, validate("{\"v.$\":1}", NULL, 0));
    ASSERT_EQ_INT(-EINVAL, asl_parameters_validate(NULL, small, sizeof small));
}

/* ---- evaluation -------------------------------------------------------- */

static void test_evaluate_blog_template(void)
{
    struct evaluation_outcome outcome;

    evaluate(blog_template_json, blog_input_json, blog_context_json, &outcome);
    ASSERT_EQ_INT(0, outcome.rc);
    ASSERT_EQ_STR(blog_expected_json, outcome.printed);
    ASSERT_EQ_STR("", outcome.error);
    cJSON_free(outcome.printed);
}

static void test_evaluate_copies_plain_keys_literally(void)
{
    struct evaluation_outcome outcome;

    evaluate("{\"taskToken\":\"$$.Task.Token\",\"input\":\"$\",\"n\":1.5,\"t\":true,\"z\":null}", blog_input_json,
             blog_context_json, &outcome);
    ASSERT_EQ_INT(0, outcome.rc);
    ASSERT_EQ_STR("{\"taskToken\":\"$$.Task.Token\",\"input\":\"$\",\"n\":1.5,\"t\":true,\"z\":null}", outcome.printed);
    cJSON_free(outcome.printed);
}

static void test_evaluate_nested_objects_and_arrays(void)
{
    struct evaluation_outcome outcome;

    evaluate("{\"items\":[{\"v.$\":\"$.a\"},[{\"w.$\":\"$.b[1]\"},\"lit\"],3,null,[]],"
             "\"deep\":{\"x\":{\"id.$\":\"$$.Execution.Id\",\"obj.$\":\"$.o\"}},\"empty\":{}}",
             "{\"a\":\"A\",\"b\":[10,20],\"o\":{\"k\":[true,false]}}", "{\"Execution\":{\"Id\":\"exec-arn\"}}",
             &outcome);
    ASSERT_EQ_INT(0, outcome.rc);
    ASSERT_EQ_STR("{\"items\":[{\"v\":\"A\"},[{\"w\":20},\"lit\"],3,null,[]],"
                  "\"deep\":{\"x\":{\"id\":\"exec-arn\",\"obj\":{\"k\":[true,false]}}},\"empty\":{}}",
                  outcome.printed);
    cJSON_free(outcome.printed);
}

static void test_evaluate_scalar_and_array_templates(void)
{
    struct evaluation_outcome scalar, array;

    evaluate("\"$.a\"", "{\"a\":1}", NULL, &scalar);
    evaluate("[{\"a.$\":\"$.a\"}]", "{\"a\":1}", NULL, &array);
    ASSERT_EQ_INT(0, scalar.rc);
    ASSERT_EQ_STR("\"$.a\"", scalar.printed);
    ASSERT_EQ_INT(0, array.rc);
    ASSERT_EQ_STR("[{\"a\":1}]", array.printed);
    cJSON_free(scalar.printed);
    cJSON_free(array.printed);
}

static void test_evaluate_makes_a_deep_copy(void)
{
    cJSON *template_document = cJSON_Parse("{\"copy.$\":\"$.o\"}");
    cJSON *input = cJSON_Parse("{\"o\":{\"k\":[1,2]}}");
    cJSON *result = NULL;
    char error[128];
    int rc = asl_parameters_evaluate(template_document, input, NULL, &result, error, sizeof error);
    bool shares_nothing =
        result != NULL
        && cJSON_GetObjectItemCaseSensitive(result, "copy") != cJSON_GetObjectItemCaseSensitive(input, "o");
    char *printed;

    cJSON_Delete(input);
    cJSON_Delete(template_document);
    printed = cJSON_PrintUnformatted(result);
    cJSON_Delete(result);
    ASSERT_EQ_INT(0, rc);
    ASSERT_TRUE(shares_nothing);
    ASSERT_EQ_STR("{\"copy\":{\"k\":[1,2]}}", printed);
    cJSON_free(printed);
}

static void test_evaluate_path_not_found_uses_the_aws_text(void)
{
    struct evaluation_outcome outcome;

    evaluate("{\"value.$\":\"$.no_such_jsonpath\"}", "{\"a\":1,\"b\":\"two\",\"c\":[true]}", NULL, &outcome);
    ASSERT_EQ_INT(-ENOENT, outcome.rc);
    ASSERT_TRUE(outcome.result_untouched);
    ASSERT_EQ_STR("The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be found "
                  "in the input '{\"a\":1,\"b\":\"two\",\"c\":[true]}'",
                  outcome.error);
}

static void test_evaluate_missing_context_path_reports_the_input(void)
{
    struct evaluation_outcome outcome;

    evaluate("{\"Payload\":{\"ok.$\":\"$.a\",\"taskToken.$\":\"$$.Task.Token\"}}", "{\"a\":1}",
             "{\"Execution\":{\"Id\":\"x\"}}", &outcome);
    ASSERT_EQ_INT(-ENOENT, outcome.rc);
    ASSERT_TRUE(outcome.result_untouched);
    ASSERT_EQ_STR("The JSONPath '$$.Task.Token' specified for the field 'taskToken.$' could not be found "
                  "in the input '{\"a\":1}'",
                  outcome.error);
}

static void test_evaluate_intrinsic_calls(void)
{
    struct evaluation_outcome outcome;

    evaluate("{\"a\":1,\"message.$\":\"States.Format('Hello, my name is {}.', $.name)\","
             "\"nested\":[{\"n.$\":\"States.MathAdd($.n, 1)\",\"id.$\":\"States.Array($$.Task.Token)\"}]}",
             "{\"name\":\"Arnav\",\"n\":41}", blog_context_json, &outcome);
    ASSERT_EQ_INT(0, outcome.rc);
    ASSERT_EQ_STR("{\"a\":1,\"message\":\"Hello, my name is Arnav.\",\"nested\":[{\"n\":42,\"id\":[\"TOKEN\"]}]}",
                  outcome.printed);
    ASSERT_EQ_STR("", outcome.error);
    cJSON_free(outcome.printed);
}

static void test_evaluate_intrinsic_failure_is_edom(void)
{
    struct evaluation_outcome outcome;

    evaluate("{\"ok.$\":\"$.s\",\"parsed.$\":\"States.StringToJson($.s)\"}", "{\"s\":\"{oops\"}", NULL, &outcome);
    ASSERT_EQ_INT(-EDOM, outcome.rc);
    ASSERT_TRUE(outcome.result_untouched);
    ASSERT_EQ_STR("The function 'States.StringToJson($.s)' had the following error: Invalid arguments in "
                  "States.StringToJson: the string is not a JSON text",
                  outcome.error);
}

static void test_evaluate_intrinsic_path_not_found_is_enoent(void)
{
    struct evaluation_outcome outcome;

    evaluate("{\"v.$\":\"States.Format('{}', $.nope)\"}", "{\"other\":1}", NULL, &outcome);
    ASSERT_EQ_INT(-ENOENT, outcome.rc);
    ASSERT_EQ_STR("The function 'States.Format('{}', $.nope)' had the following error: The JsonPath argument for the "
                  "field '$.nope' could not be found in the input '{\"other\":1}'",
                  outcome.error);
}

static int fixed_bytes(void *buffer, size_t length)
{
    memset(buffer, 0xab, length);
    return 0;
}

static void test_evaluate_uuid_needs_randomness(void)
{
    struct evaluation_outcome without;
    cJSON *template_document = cJSON_Parse("{\"id.$\":\"States.UUID()\"}");
    const struct intrinsic_scope scope = { NULL, NULL, fixed_bytes, NULL };
    cJSON *result = NULL;
    char error[256];
    int rc = asl_parameters_evaluate_in(template_document, &scope, &result, error, sizeof error);
    char *printed = cJSON_PrintUnformatted(result);

    cJSON_Delete(result);
    cJSON_Delete(template_document);
    ASSERT_EQ_INT(0, rc);
    ASSERT_EQ_STR("{\"id\":\"abababab-abab-4bab-abab-abababababab\"}", printed);
    cJSON_free(printed);
    evaluate("{\"id.$\":\"States.UUID()\"}", "{}", NULL, &without);
    ASSERT_EQ_INT(-ENOTSUP, without.rc);
    ASSERT_TRUE(without.result_untouched);
    ASSERT_EQ_STR("The function 'States.UUID()' had the following error: States.UUID needs a source of randomness",
                  without.error);
}

static void test_evaluate_rejects_invalid_dynamic_values(void)
{
    struct evaluation_outcome not_string, not_path, bad_intrinsic;

    evaluate("{\"n.$\":5}", "{}", NULL, &not_string);
    evaluate("{\"p.$\":\"Task.Token\"}", "{}", NULL, &not_path);
    evaluate("{\"i.$\":\"States.Format('x'\"}", "{}", NULL, &bad_intrinsic);
    ASSERT_EQ_INT(-EINVAL, not_string.rc);
    ASSERT_TRUE(not_string.result_untouched);
    ASSERT_EQ_STR("The value for the field 'n.$' must be a valid JSONPath or a valid intrinsic function call",
                  not_string.error);
    ASSERT_EQ_INT(-EINVAL, not_path.rc);
    ASSERT_EQ_STR("The value for the field 'p.$' must be a valid JSONPath or a valid intrinsic function call",
                  not_path.error);
    ASSERT_EQ_INT(-EINVAL, bad_intrinsic.rc);
    ASSERT_EQ_STR("The value for the field 'i.$' must be a valid JSONPath or a valid intrinsic function call",
                  bad_intrinsic.error);
}

static void test_evaluate_with_null_input_reports_null(void)
{
    struct evaluation_outcome outcome;

    evaluate("{\"v.$\":\"$\"}", NULL, NULL, &outcome);
    ASSERT_EQ_INT(-ENOENT, outcome.rc);
    ASSERT_EQ_STR("The JSONPath '$' specified for the field 'v.$' could not be found in the input 'null'",
                  outcome.error);
}

static void test_evaluate_rejects_null_arguments(void)
{
    cJSON *template_document = cJSON_Parse("{}");
    cJSON *result = NULL;
    int no_template = asl_parameters_evaluate(NULL, NULL, NULL, &result, NULL, 0);
    int no_result = asl_parameters_evaluate(template_document, NULL, NULL, NULL, NULL, 0);

    cJSON_Delete(template_document);
    ASSERT_EQ_INT(-EINVAL, no_template);
    ASSERT_EQ_INT(-EINVAL, no_result);
    ASSERT_NULL(result);
}

/* ---- the CDK double-suffix mistake -------------------------------------- */

static void test_double_suffix_key_is_left_unresolved(void)
{
    cJSON *template_document =
        cJSON_Parse("{\"FunctionName\":\"ValuationRequestFunction\","
                    "\"Payload\":{\"taskToken.$.$\":\"$$.Task.Token\",\"loanApplication.$\":\"$\"}}");
    cJSON *input = cJSON_Parse(blog_input_json);
    cJSON *context = cJSON_Parse(blog_context_json);
    cJSON *resolved = NULL;
    const char *field = NULL;
    char error[256];
    int evaluate_rc = asl_parameters_evaluate(template_document, input, context, &resolved, error, sizeof error);
    int find_rc = asl_parameters_find_unresolved_key(resolved, &field);
    char *printed = cJSON_PrintUnformatted(resolved);
    bool field_matches = field != NULL && strcmp(field, "taskToken.$") == 0;

    cJSON_Delete(template_document);
    cJSON_Delete(input);
    cJSON_Delete(context);
    cJSON_Delete(resolved);
    ASSERT_EQ_INT(0, evaluate_rc);
    ASSERT_EQ_INT(0, find_rc);
    ASSERT_TRUE(field_matches);
    ASSERT_EQ_STR("{\"FunctionName\":\"ValuationRequestFunction\",\"Payload\":{\"taskToken.$\":\"TOKEN\","
                  "\"loanApplication\":{\"applicationReference\":\"app-ref\","
                  "\"property\":{\"nameOrNumber\":\"999\",\"postcode\":\"PO1 1CE\"}}}}",
                  printed);
    cJSON_free(printed);
}

static void test_find_unresolved_key_searches_everywhere(void)
{
    cJSON *in_array = cJSON_Parse("{\"a\":[1,{\"b\":{\"deep.$\":\"x\"}}],\"later.$\":1}");
    cJSON *clean = cJSON_Parse("{\"a\":[1,{\"b\":\"value.$\"}],\"c\":{\"d\":[\"$.e\"]}}");
    cJSON *top_level_array = cJSON_Parse("[[{\"x.$\":1}]]");
    const char *deep = NULL, *none = NULL, *in_nested_array = NULL;
    int rc_deep = asl_parameters_find_unresolved_key(in_array, &deep);
    int rc_clean = asl_parameters_find_unresolved_key(clean, &none);
    int rc_nested = asl_parameters_find_unresolved_key(top_level_array, &in_nested_array);
    int rc_scalar =
        asl_parameters_find_unresolved_key(cJSON_GetArrayItem(cJSON_GetObjectItem(in_array, "a"), 0), &none);
    int rc_null = asl_parameters_find_unresolved_key(NULL, &none);
    int rc_no_field = asl_parameters_find_unresolved_key(in_array, NULL);
    bool deep_matches = deep != NULL && strcmp(deep, "deep.$") == 0;
    bool nested_matches = in_nested_array != NULL && strcmp(in_nested_array, "x.$") == 0;

    cJSON_Delete(in_array);
    cJSON_Delete(clean);
    cJSON_Delete(top_level_array);
    ASSERT_EQ_INT(0, rc_deep);
    ASSERT_TRUE(deep_matches);
    ASSERT_EQ_INT(-ENOENT, rc_clean);
    ASSERT_NULL(none);
    ASSERT_EQ_INT(0, rc_nested);
    ASSERT_TRUE(nested_matches);
    ASSERT_EQ_INT(-ENOENT, rc_scalar);
    ASSERT_EQ_INT(-ENOENT, rc_null);
    ASSERT_EQ_INT(-EINVAL, rc_no_field);
}

static void test_correctly_evaluated_blog_template_has_no_unresolved_key(void)
{
    cJSON *template_document = cJSON_Parse(blog_template_json);
    cJSON *input = cJSON_Parse(blog_input_json);
    cJSON *context = cJSON_Parse(blog_context_json);
    cJSON *resolved = NULL;
    const char *field = NULL;
    int evaluate_rc = asl_parameters_evaluate(template_document, input, context, &resolved, NULL, 0);
    int find_rc = asl_parameters_find_unresolved_key(resolved, &field);

    cJSON_Delete(template_document);
    cJSON_Delete(input);
    cJSON_Delete(context);
    cJSON_Delete(resolved);
    ASSERT_EQ_INT(0, evaluate_rc);
    ASSERT_EQ_INT(-ENOENT, find_rc);
    ASSERT_NULL(field);
}

/* ---- allocation failures ----------------------------------------------- */

/* Runs evaluate() on the blog's context with cJSON's allocator failing after `allocations_allowed` allocations. */
static void evaluate_with_allocation_limit(long allocations_allowed, const char *template_json, const char *input_json,
                                           struct evaluation_outcome *outcome)
{
    evaluate_limited(allocations_allowed, template_json, input_json, blog_context_json, outcome);
}

/* Every allocation failure gives -ENOMEM with *result untouched and nothing leaked (ASan checks). */
static void test_evaluate_out_of_memory_is_enomem(void)
{
    const char *nested_template =
        "{\"a\":[{\"b.$\":\"$.property\"},[1,\"x\"]],\"c\":{\"d.$\":\"$$.Task.Token\"},\"e\":null}";
    struct evaluation_outcome outcome = { 0 };
    int unexpected_rc = 0;
    bool touched_on_failure = false;
    long allowed;

    for (allowed = 0; allowed < 500; allowed++) {
        evaluate_with_allocation_limit(allowed, nested_template, blog_input_json, &outcome);
        if (outcome.rc == 0)
            break;
        if (outcome.rc != -ENOMEM)
            unexpected_rc = outcome.rc;
        if (!outcome.result_untouched)
            touched_on_failure = true;
        cJSON_free(outcome.printed);
    }

    ASSERT_EQ_INT(0, unexpected_rc);
    ASSERT_TRUE(!touched_on_failure);
    ASSERT_TRUE(allowed > 5);
    ASSERT_EQ_INT(0, outcome.rc);
    ASSERT_EQ_STR("{\"a\":[{\"b\":{\"nameOrNumber\":\"999\",\"postcode\":\"PO1 1CE\"}},[1,\"x\"]],"
                  "\"c\":{\"d\":\"TOKEN\"},\"e\":null}",
                  outcome.printed);
    cJSON_free(outcome.printed);
}

static void test_path_not_found_out_of_memory_is_enomem(void)
{
    struct evaluation_outcome outcome = { 0 };
    int unexpected_rc = 0;
    long allowed;

    for (allowed = 0; allowed < 100; allowed++) {
        evaluate_with_allocation_limit(allowed, "{\"ok.$\":\"$\",\"value.$\":\"$.missing\"}", "{\"a\":[1,2,3]}",
                                       &outcome);
        if (outcome.rc == -ENOENT)
            break;
        if (outcome.rc != -ENOMEM || !outcome.result_untouched)
            unexpected_rc = outcome.rc;
        cJSON_free(outcome.printed);
    }

    ASSERT_EQ_INT(0, unexpected_rc);
    ASSERT_EQ_INT(-ENOENT, outcome.rc);
    ASSERT_EQ_STR("The JSONPath '$.missing' specified for the field 'value.$' could not be found "
                  "in the input '{\"a\":[1,2,3]}'",
                  outcome.error);
}

/* A template of count keys "kN.$": "$" against an input holding one string of string_bytes characters. */
static int evaluate_copies(int count, size_t string_bytes, cJSON **result, char *error, size_t error_size)
{
    cJSON *template_json = cJSON_CreateObject();
    cJSON *input = cJSON_CreateObject();
    char *text = malloc(string_bytes + 1);
    char key[32];
    int rc = -ENOMEM;

    if (template_json && input && text) {
        memset(text, 'x', string_bytes);
        text[string_bytes] = '\0';
        cJSON_AddStringToObject(input, "s", text);
        for (int i = 0; i < count; i++) {
            snprintf(key, sizeof key, "k%d.$", i);
            cJSON_AddStringToObject(template_json, key, "$");
        }
        rc = asl_parameters_evaluate(template_json, input, NULL, result, error, error_size);
    }
    free(text);
    cJSON_Delete(input);
    cJSON_Delete(template_json);
    return rc;
}

static void test_evaluation_stops_once_the_selected_values_pass_the_payload_limit(void)
{
    cJSON *result = NULL;
    char error[256];
    char expected[128];

    /* 1,000 copies of a 200 KiB input would build 200 MB: the second copy already passes the limit. */
    ASSERT_EQ_INT(-E2BIG, evaluate_copies(1000, 200 * 1024, &result, error, sizeof error));
    ASSERT_TRUE(result == NULL);
    snprintf(expected, sizeof expected, "The values selected exceed the maximum of %d bytes", ASL_PARAMETERS_MAX_BYTES);
    ASSERT_EQ_STR(expected, error);
    /* Just under the limit passes: 2 x ({"s":"<x * n>"} = n + 8 bytes). */
    ASSERT_EQ_INT(0, evaluate_copies(2, ASL_PARAMETERS_MAX_BYTES / 2 - 8, &result, error, sizeof error));
    cJSON_Delete(result);
    result = NULL;
    ASSERT_EQ_INT(-E2BIG, evaluate_copies(2, ASL_PARAMETERS_MAX_BYTES / 2 - 7, &result, error, sizeof error));
}

static void test_intrinsic_results_count_against_the_payload_limit(void)
{
    cJSON *template_json = cJSON_Parse("{\"a.$\":\"States.Array($, $)\",\"b.$\":\"States.Array($, $)\"}");
    cJSON *input = cJSON_CreateObject();
    char *text = calloc(1, 100 * 1024 + 1);
    cJSON *result = NULL;
    char error[256];

    ASSERT_NOT_NULL(template_json);
    ASSERT_NOT_NULL(text);
    memset(text, 'x', 100 * 1024);
    cJSON_AddStringToObject(input, "s", text);
    free(text);
    /* Each call builds two copies of a 100 KiB input (the path arguments themselves are not counted). */
    ASSERT_EQ_INT(-E2BIG, asl_parameters_evaluate(template_json, input, NULL, &result, error, sizeof error));
    ASSERT_TRUE(result == NULL);
    cJSON_Delete(input);
    cJSON_Delete(template_json);
}

int main(void)
{
    RUN(test_evaluation_stops_once_the_selected_values_pass_the_payload_limit);
    RUN(test_intrinsic_results_count_against_the_payload_limit);
    RUN(test_validate_accepts_paths_intrinsics_and_literals);
    RUN(test_validate_accepts_the_double_suffix_key_at_definition_time);
    RUN(test_validate_error_text_names_the_field);
    RUN(test_validate_finds_bad_values_in_nested_objects_and_arrays);
    RUN(test_validate_rejects_bad_values);
    RUN(test_validate_truncates_the_error_and_accepts_no_buffer);
    RUN(test_evaluate_blog_template);
    RUN(test_evaluate_copies_plain_keys_literally);
    RUN(test_evaluate_nested_objects_and_arrays);
    RUN(test_evaluate_scalar_and_array_templates);
    RUN(test_evaluate_makes_a_deep_copy);
    RUN(test_evaluate_path_not_found_uses_the_aws_text);
    RUN(test_evaluate_missing_context_path_reports_the_input);
    RUN(test_evaluate_intrinsic_calls);
    RUN(test_evaluate_intrinsic_failure_is_edom);
    RUN(test_evaluate_intrinsic_path_not_found_is_enoent);
    RUN(test_evaluate_uuid_needs_randomness);
    RUN(test_evaluate_rejects_invalid_dynamic_values);
    RUN(test_evaluate_with_null_input_reports_null);
    RUN(test_evaluate_rejects_null_arguments);
    RUN(test_double_suffix_key_is_left_unresolved);
    RUN(test_find_unresolved_key_searches_everywhere);
    RUN(test_correctly_evaluated_blog_template_has_no_unresolved_key);
    RUN(test_evaluate_out_of_memory_is_enomem);
    RUN(test_path_not_found_out_of_memory_is_enomem);
    return test_done();
}
