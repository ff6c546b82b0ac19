/*
 * test_asl_path.c - unit tests for loan-processor/asl_path.c
 */
#include "asl_path.h"
#include "failing_allocator.h"
#include "test.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

static const char *const loan_input_json =
    "{\"applicationReference\":\"app-ref\","
    "\"property\":{\"nameOrNumber\":\"999\",\"postcode\":\"PO1 1CE\"},"
    "\"odd keys\":{\"a b\":1,\"it's\":2,\"say \\\"hi\\\"\":3,\"back\\\\slash\":4},"
    "\"offers\":[{\"amount\":100},{\"amount\":200,\"tags\":[\"x\",\"y\"]}]}";

static const char *const context_json =
    "{\"Execution\":{\"Id\":\"arn:aws:states:eu-west-2:123456789012:execution:LoanProcessor:run-1\","
    "\"Input\":{\"key\":\"value\"}},"
    "\"Task\":{\"Token\":\"AQCwAAAAKgAAAAMAAAAAAAAAAZ83+/=\"}}";

/* Prints `document` unformatted and compares it with `expected`; reports a mismatch as a TAP comment. */
static bool printed_equals(const cJSON *document, const char *expected)
{
    char *printed = cJSON_PrintUnformatted(document);
    bool equal = printed != NULL && strcmp(printed, expected) == 0;

    if (!equal)
        printf("# expected %s\n#      got %s\n", expected, printed ? printed : "(null)");
    cJSON_free(printed);
    return equal;
}

/* ---- validation -------------------------------------------------------- */

static void test_validate_accepts_reference_paths(void)
{
    ASSERT_EQ_INT(0, asl_path_validate("$"));
    ASSERT_EQ_INT(0, asl_path_validate("$$"));
    ASSERT_EQ_INT(0, asl_path_validate("$.a.b"));
    ASSERT_EQ_INT(0, asl_path_validate("$['a b'].c"));
    ASSERT_EQ_INT(0, asl_path_validate("$[\"a b\"]"));
    ASSERT_EQ_INT(0, asl_path_validate("$['it\\'s']"));
    ASSERT_EQ_INT(0, asl_path_validate("$['']"));
    ASSERT_EQ_INT(0, asl_path_validate("$.a[0]"));
    ASSERT_EQ_INT(0, asl_path_validate("$.a[10][2].b"));
    ASSERT_EQ_INT(0, asl_path_validate("$[0]"));
    ASSERT_EQ_INT(0, asl_path_validate("$.my-key_2"));
    ASSERT_EQ_INT(0, asl_path_validate("$$.Task.Token"));
    ASSERT_EQ_INT(0, asl_path_validate("$$.Execution.Id"));
    ASSERT_EQ_INT(0, asl_path_validate("$$['Map'].Item.Index"));
}

static void test_validate_rejects_bad_syntax(void)
{
    ASSERT_EQ_INT(-EINVAL, asl_path_validate(NULL));
    ASSERT_EQ_INT(-EINVAL, asl_path_validate(""));
    ASSERT_EQ_INT(-EINVAL, asl_path_validate("a.b"));
    ASSERT_EQ_INT(-EINVAL, asl_path_validate("$."));
    ASSERT_EQ_INT(-EINVAL, asl_path_validate("$..a"));
    ASSERT_EQ_INT(-EINVAL, asl_path_validate("$["));
    ASSERT_EQ_INT(-EINVAL, asl_path_validate("$.a[x]"));
    ASSERT_EQ_INT(-EINVAL, asl_path_validate("$.a[-1]"));
    ASSERT_EQ_INT(-EINVAL, asl_path_validate("$.a[0"));
    ASSERT_EQ_INT(-EINVAL, asl_path_validate("$.a[]"));
    ASSERT_EQ_INT(-EINVAL, asl_path_validate("$['a'"));
    ASSERT_EQ_INT(-EINVAL, asl_path_validate("$['a]"));
    ASSERT_EQ_INT(-EINVAL, asl_path_validate("$['a\\"));
    ASSERT_EQ_INT(-EINVAL, asl_path_validate("$['a\"]"));
    ASSERT_EQ_INT(-EINVAL, asl_path_validate("$.a b"));
    ASSERT_EQ_INT(-EINVAL, asl_path_validate("$.*"));
    ASSERT_EQ_INT(-EINVAL, asl_path_validate("$.a[*]"));
    ASSERT_EQ_INT(-EINVAL, asl_path_validate("$.a[?(@.b)]"));
    ASSERT_EQ_INT(-EINVAL, asl_path_validate("$.a[0:2]"));
    ASSERT_EQ_INT(-EINVAL, asl_path_validate("$$$"));
    ASSERT_EQ_INT(-EINVAL, asl_path_validate("$a"));
    ASSERT_EQ_INT(-EINVAL, asl_path_validate(" $"));
    ASSERT_EQ_INT(-EINVAL, asl_path_validate("$.a[99999999999999999999999]"));
}

/* ---- selection --------------------------------------------------------- */

static void test_select_root_returns_input_itself(void)
{
    cJSON *input = cJSON_Parse(loan_input_json);
    const cJSON *selected = NULL;
    int rc = asl_path_select("$", input, NULL, &selected);
    bool same = selected == input;

    cJSON_Delete(input);
    ASSERT_EQ_INT(0, rc);
    ASSERT_TRUE(same);
}

static void test_select_dot_members(void)
{
    cJSON *input = cJSON_Parse(loan_input_json);
    const cJSON *selected = NULL;
    int rc = asl_path_select("$.property.postcode", input, NULL, &selected);
    const char *postcode = cJSON_GetStringValue(selected);
    bool matches = postcode != NULL && strcmp(postcode, "PO1 1CE") == 0;

    cJSON_Delete(input);
    ASSERT_EQ_INT(0, rc);
    ASSERT_TRUE(matches);
}

static void test_select_bracket_members(void)
{
    cJSON *input = cJSON_Parse(loan_input_json);
    const cJSON *space = NULL, *apostrophe = NULL, *quotes = NULL, *backslash = NULL, *mixed = NULL;
    int rc_space = asl_path_select("$['odd keys']['a b']", input, NULL, &space);
    int rc_apostrophe = asl_path_select("$['odd keys'][\"it's\"]", input, NULL, &apostrophe);
    int rc_quotes = asl_path_select("$['odd keys']['say \"hi\"']", input, NULL, &quotes);
    int rc_backslash = asl_path_select("$['odd keys']['back\\\\slash']", input, NULL, &backslash);
    int rc_mixed = asl_path_select("$[\"property\"].nameOrNumber", input, NULL, &mixed);
    int values[4] = {
        space ? space->valueint : -1,
        apostrophe ? apostrophe->valueint : -1,
        quotes ? quotes->valueint : -1,
        backslash ? backslash->valueint : -1,
    };
    bool mixed_matches = mixed && strcmp(cJSON_GetStringValue(mixed), "999") == 0;

    cJSON_Delete(input);
    ASSERT_EQ_INT(0, rc_space);
    ASSERT_EQ_INT(0, rc_apostrophe);
    ASSERT_EQ_INT(0, rc_quotes);
    ASSERT_EQ_INT(0, rc_backslash);
    ASSERT_EQ_INT(0, rc_mixed);
    ASSERT_EQ_INT(1, values[0]);
    ASSERT_EQ_INT(2, values[1]);
    ASSERT_EQ_INT(3, values[2]);
    ASSERT_EQ_INT(4, values[3]);
    ASSERT_TRUE(mixed_matches);
}

static void test_select_array_indexes(void)
{
    cJSON *input = cJSON_Parse(loan_input_json);
    const cJSON *amount = NULL, *tag = NULL, *offer = NULL;
    int rc_amount = asl_path_select("$.offers[1].amount", input, NULL, &amount);
    int rc_tag = asl_path_select("$.offers[1].tags[1]", input, NULL, &tag);
    int rc_offer = asl_path_select("$['offers'][0]", input, NULL, &offer);
    int amount_value = amount ? amount->valueint : -1;
    bool tag_matches = tag && strcmp(cJSON_GetStringValue(tag), "y") == 0;
    bool offer_matches = offer && printed_equals(offer, "{\"amount\":100}");

    cJSON_Delete(input);
    ASSERT_EQ_INT(0, rc_amount);
    ASSERT_EQ_INT(0, rc_tag);
    ASSERT_EQ_INT(0, rc_offer);
    ASSERT_EQ_INT(200, amount_value);
    ASSERT_TRUE(tag_matches);
    ASSERT_TRUE(offer_matches);
}

static void test_select_context_paths(void)
{
    cJSON *input = cJSON_Parse(loan_input_json);
    cJSON *context = cJSON_Parse(context_json);
    const cJSON *token = NULL, *execution_id = NULL, *whole = NULL;
    int rc_token = asl_path_select("$$.Task.Token", input, context, &token);
    int rc_id = asl_path_select("$$.Execution.Id", input, context, &execution_id);
    int rc_whole = asl_path_select("$$", input, context, &whole);
    bool token_matches = token && strcmp(cJSON_GetStringValue(token), "AQCwAAAAKgAAAAMAAAAAAAAAAZ83+/=") == 0;
    bool id_matches = execution_id
                      && strcmp(cJSON_GetStringValue(execution_id),
                                "arn:aws:states:eu-west-2:123456789012:execution:LoanProcessor:run-1")
                             == 0;
    bool whole_is_context = whole == context;

    cJSON_Delete(input);
    cJSON_Delete(context);
    ASSERT_EQ_INT(0, rc_token);
    ASSERT_EQ_INT(0, rc_id);
    ASSERT_EQ_INT(0, rc_whole);
    ASSERT_TRUE(token_matches);
    ASSERT_TRUE(id_matches);
    ASSERT_TRUE(whole_is_context);
}

static void test_select_not_found(void)
{
    cJSON *input = cJSON_Parse(loan_input_json);
    cJSON *context = cJSON_Parse("{\"Execution\":{\"Id\":\"x\"}}");
    cJSON sentinel = { 0 };
    const cJSON *selected = &sentinel;
    int missing_member = asl_path_select("$.no_such_jsonpath", input, context, &selected);
    int index_out_of_range = asl_path_select("$.offers[2]", input, context, &selected);
    int member_of_array = asl_path_select("$.offers.amount", input, context, &selected);
    int index_of_object = asl_path_select("$.property[0]", input, context, &selected);
    int member_of_string = asl_path_select("$.applicationReference.length", input, context, &selected);
    int no_task_in_context = asl_path_select("$$.Task.Token", input, context, &selected);
    int case_differs = asl_path_select("$.Property", input, context, &selected);
    int null_context = asl_path_select("$$.Execution.Id", input, NULL, &selected);
    int null_input = asl_path_select("$", NULL, context, &selected);
    bool untouched = selected == &sentinel;

    cJSON_Delete(input);
    cJSON_Delete(context);
    ASSERT_EQ_INT(-ENOENT, missing_member);
    ASSERT_EQ_INT(-ENOENT, index_out_of_range);
    ASSERT_EQ_INT(-ENOENT, member_of_array);
    ASSERT_EQ_INT(-ENOENT, index_of_object);
    ASSERT_EQ_INT(-ENOENT, member_of_string);
    ASSERT_EQ_INT(-ENOENT, no_task_in_context);
    ASSERT_EQ_INT(-ENOENT, case_differs);
    ASSERT_EQ_INT(-ENOENT, null_context);
    ASSERT_EQ_INT(-ENOENT, null_input);
    ASSERT_TRUE(untouched);
}

static void test_select_bad_syntax_is_einval_even_after_a_missing_member(void)
{
    cJSON *input = cJSON_Parse(loan_input_json);
    const cJSON *selected = NULL;
    int after_missing = asl_path_select("$.missing.a[x]", input, NULL, &selected);
    int empty = asl_path_select("", input, NULL, &selected);
    int no_output = asl_path_select("$", input, NULL, NULL);

    cJSON_Delete(input);
    ASSERT_EQ_INT(-EINVAL, after_missing);
    ASSERT_EQ_INT(-EINVAL, empty);
    ASSERT_EQ_INT(-EINVAL, no_output);
    ASSERT_NULL(selected);
}

/* ---- ResultPath -------------------------------------------------------- */

/* Parses `document_json`, applies `result_json` at `path`, returns rc and the printed document. */
static int apply_and_print(const char *document_json, const char *path, const char *result_json, char **printed)
{
    cJSON *document = cJSON_Parse(document_json);
    int rc = asl_path_apply_result(&document, path, cJSON_Parse(result_json));

    *printed = cJSON_PrintUnformatted(document);
    cJSON_Delete(document);
    return rc;
}

static void test_result_path_root_replaces_document(void)
{
    char *printed = NULL;
    int rc = apply_and_print("{\"a\":1}", "$", "{\"valuation\":250000}", &printed);
    bool matches = printed && strcmp(printed, "{\"valuation\":250000}") == 0;

    cJSON_free(printed);
    ASSERT_EQ_INT(0, rc);
    ASSERT_TRUE(matches);
}

static void test_result_path_root_on_scalar_document(void)
{
    char *printed = NULL;
    int rc = apply_and_print("\"just a string\"", "$", "[1,2]", &printed);
    bool matches = printed && strcmp(printed, "[1,2]") == 0;

    cJSON_free(printed);
    ASSERT_EQ_INT(0, rc);
    ASSERT_TRUE(matches);
}

static void test_result_path_creates_nested_members(void)
{
    char *printed = NULL;
    int rc = apply_and_print("{\"applicationReference\":\"app-ref\"}", "$.valuation.result['the value']", "250000",
                             &printed);
    bool matches =
        printed
        && strcmp(printed, "{\"applicationReference\":\"app-ref\",\"valuation\":{\"result\":{\"the value\":250000}}}")
               == 0;

    cJSON_free(printed);
    ASSERT_EQ_INT(0, rc);
    ASSERT_TRUE(matches);
}

static void test_result_path_adds_into_existing_object(void)
{
    char *printed = NULL;
    int rc = apply_and_print("{\"a\":{\"b\":1}}", "$.a.c", "true", &printed);
    bool matches = printed && strcmp(printed, "{\"a\":{\"b\":1,\"c\":true}}") == 0;

    cJSON_free(printed);
    ASSERT_EQ_INT(0, rc);
    ASSERT_TRUE(matches);
}

static void test_result_path_replaces_member_in_place(void)
{
    char *printed = NULL;
    int rc = apply_and_print("{\"a\":1,\"b\":{\"old\":true},\"c\":3}", "$.b", "{\"new\":1}", &printed);
    bool matches = printed && strcmp(printed, "{\"a\":1,\"b\":{\"new\":1},\"c\":3}") == 0;

    cJSON_free(printed);
    ASSERT_EQ_INT(0, rc);
    ASSERT_TRUE(matches);
}

static void test_result_path_replaces_member_holding_a_scalar(void)
{
    char *printed = NULL;
    int rc = apply_and_print("{\"a\":\"text\"}", "$['a']", "{\"x\":[1]}", &printed);
    bool matches = printed && strcmp(printed, "{\"a\":{\"x\":[1]}}") == 0;

    cJSON_free(printed);
    ASSERT_EQ_INT(0, rc);
    ASSERT_TRUE(matches);
}

static void test_result_path_replaces_array_element(void)
{
    char *printed = NULL;
    int rc = apply_and_print("{\"list\":[1,2,3]}", "$.list[1]", "\"two\"", &printed);
    bool matches = printed && strcmp(printed, "{\"list\":[1,\"two\",3]}") == 0;

    cJSON_free(printed);
    ASSERT_EQ_INT(0, rc);
    ASSERT_TRUE(matches);
}

static void test_result_path_keeps_a_detached_results_key_right(void)
{
    cJSON *document = cJSON_Parse("{\"a\":1}");
    cJSON *holder = cJSON_Parse("{\"carried\":5}");
    cJSON *result = cJSON_DetachItemFromObjectCaseSensitive(holder, "carried");
    int rc = asl_path_apply_result(&document, "$.a", result);
    bool matches = printed_equals(document, "{\"a\":5}");

    cJSON_Delete(document);
    cJSON_Delete(holder);
    ASSERT_EQ_INT(0, rc);
    ASSERT_TRUE(matches);
}

static void test_result_path_on_non_object_is_enotdir(void)
{
    char *string_document = NULL, *nested_string = NULL, *array_document = NULL, *new_index = NULL,
         *index_out_of_range = NULL;
    int rc_string = apply_and_print("\"loan\"", "$.x", "1", &string_document);
    int rc_nested = apply_and_print("{\"a\":\"s\"}", "$.a.b", "1", &nested_string);
    int rc_array = apply_and_print("[1,2]", "$.x", "1", &array_document);
    int rc_new_index = apply_and_print("{\"a\":1}", "$.b.c[0]", "1", &new_index);
    int rc_out_of_range = apply_and_print("{\"l\":[1]}", "$.l[1]", "1", &index_out_of_range);
    bool all_unchanged = string_document && strcmp(string_document, "\"loan\"") == 0 && nested_string
                         && strcmp(nested_string, "{\"a\":\"s\"}") == 0 && array_document
                         && strcmp(array_document, "[1,2]") == 0 && new_index && strcmp(new_index, "{\"a\":1}") == 0
                         && index_out_of_range && strcmp(index_out_of_range, "{\"l\":[1]}") == 0;

    cJSON_free(string_document);
    cJSON_free(nested_string);
    cJSON_free(array_document);
    cJSON_free(new_index);
    cJSON_free(index_out_of_range);
    ASSERT_EQ_INT(-ENOTDIR, rc_string);
    ASSERT_EQ_INT(-ENOTDIR, rc_nested);
    ASSERT_EQ_INT(-ENOTDIR, rc_array);
    ASSERT_EQ_INT(-ENOTDIR, rc_new_index);
    ASSERT_EQ_INT(-ENOTDIR, rc_out_of_range);
    ASSERT_TRUE(all_unchanged);
}

static void test_result_path_on_null_document_is_enotdir(void)
{
    cJSON *document = NULL;
    int rc = asl_path_apply_result(&document, "$.x", cJSON_CreateTrue());

    ASSERT_EQ_INT(-ENOTDIR, rc);
    ASSERT_NULL(document);
}

static void test_result_path_rejects_bad_paths_and_frees_the_result(void)
{
    char *bad_syntax = NULL, *context_path = NULL, *empty = NULL;
    int rc_bad = apply_and_print("{\"a\":1}", "$.a[", "{\"big\":[1,2,3]}", &bad_syntax);
    int rc_context = apply_and_print("{\"a\":1}", "$$.Task", "{\"big\":[1,2,3]}", &context_path);
    int rc_empty = apply_and_print("{\"a\":1}", "", "{\"big\":[1,2,3]}", &empty);
    int rc_null_document = asl_path_apply_result(NULL, "$", cJSON_CreateString("freed"));
    bool all_unchanged = bad_syntax && strcmp(bad_syntax, "{\"a\":1}") == 0 && context_path
                         && strcmp(context_path, "{\"a\":1}") == 0 && empty && strcmp(empty, "{\"a\":1}") == 0;

    cJSON_free(bad_syntax);
    cJSON_free(context_path);
    cJSON_free(empty);
    ASSERT_EQ_INT(-EINVAL, rc_bad);
    ASSERT_EQ_INT(-EINVAL, rc_context);
    ASSERT_EQ_INT(-EINVAL, rc_empty);
    ASSERT_EQ_INT(-EINVAL, rc_null_document);
    ASSERT_TRUE(all_unchanged);
}

/* ---- allocation failures ----------------------------------------------- */

/* Every allocation failure gives -ENOMEM, leaves the document as it was and leaks nothing (ASan checks). */
static void test_result_path_out_of_memory_is_enomem_and_atomic(void)
{
    const char *paths[] = { "$.a.b", "$.new.deeper['key']", "$.a", "$.list[0]" };
    int unexpected_rc = 0;
    bool changed_on_failure = false, eventually_succeeded = true;

    for (size_t path_index = 0; path_index < sizeof paths / sizeof paths[0]; path_index++) {
        bool succeeded = false;
        for (long allowed = 0; allowed < 50 && !succeeded; allowed++) {
            cJSON *document = cJSON_Parse("{\"a\":{\"x\":1},\"list\":[0]}");
            cJSON *result = cJSON_Parse("{\"r\":[1,{\"s\":2}]}");
            int rc;

            use_failing_allocator(allowed);
            rc = asl_path_apply_result(&document, paths[path_index], result);
            use_normal_allocator();
            if (rc == 0)
                succeeded = true;
            else if (rc != -ENOMEM)
                unexpected_rc = rc;
            else if (!printed_equals(document, "{\"a\":{\"x\":1},\"list\":[0]}"))
                changed_on_failure = true;
            cJSON_Delete(document);
        }
        eventually_succeeded = eventually_succeeded && succeeded;
    }

    ASSERT_EQ_INT(0, unexpected_rc);
    ASSERT_TRUE(!changed_on_failure);
    ASSERT_TRUE(eventually_succeeded);
}

/* ---- describing a miss ---- */

static void expect_miss(const char *path, const char *document_json, const char *wanted)
{
    cJSON *document = cJSON_Parse(document_json);
    char text[128] = "untouched";
    int rc = asl_path_describe_miss(path, document, document, text, sizeof(text));

    cJSON_Delete(document);
    ASSERT_EQ_INT(0, rc);
    ASSERT_EQ_STR(wanted, text);
}

static void test_describe_miss_in_aws_words(void)
{
    expect_miss("$.NoSuchInputPath", "{\"int-literal\":0}", "No results for path: $['NoSuchInputPath']");
    expect_miss("$.a.b", "{\"a\":{}}", "No results for path: $['a']['b']");
    expect_miss("$.no.such.result.path", "{\"a\":1}", "Missing property in path $['no']");
    expect_miss("$.a[3].b", "{\"a\":[1]}", "No results for path: $['a'][3]['b']");
    expect_miss("$['it\\'s'].x", "{}", "Missing property in path $['it's']");
    expect_miss("$$.Task.Token", "{\"Execution\":{}}", "Missing property in path $['Task']");
    expect_miss("$.a.b", "{\"a\":5}", "No results for path: $['a']['b']");
}

static void test_describe_miss_truncates_and_refuses_bad_input(void)
{
    char text[16] = "untouched";
    ASSERT_EQ_INT(0, asl_path_describe_miss("$.a.b", NULL, NULL, text, sizeof(text)));
    ASSERT_EQ_STR("No results for ", text);
    strcpy(text, "untouched");
    ASSERT_EQ_INT(-EINVAL, asl_path_describe_miss("$.a..b", NULL, NULL, text, sizeof(text)));
    ASSERT_EQ_INT(-EINVAL, asl_path_describe_miss("$.a", NULL, NULL, text, 0));
    ASSERT_EQ_INT(-EINVAL, asl_path_describe_miss("$.a", NULL, NULL, NULL, 16));
    ASSERT_EQ_STR("untouched", text);
}

/* ---- query paths: wildcards, slices, filters ---------------------------- */

static void test_validate_query_accepts_aws_forms(void)
{
    const char *paths[] = {
        "$",
        "$$.Execution.Input",
        "$.a['b']",
        "$[*]",
        "$.items[*]",
        "$.items[1:]",
        "$.items[:1]",
        "$.item.items[1:5]",
        "$.items[*].itemValue",
        "$.items[1:].itemValue",
        "$.*",
        "$.a.*.b",
        "$.a[0:6:2]",
        "$.a[-2:]",
        "$.a[::2]",
        "$.users[?(@.status == 0)]",
        "$[?(@.year <= 1999)]",
        "$.a[?(@.name == 'x y')]",
        "$.a[?(@['k'] != \"v\")]",
        "$.a[?(@.flag)]",
        "$.a[?(@.b.c>=-1.5e2)]",
        "$.a[?(@ == true)]",
        "$.a[?(@.n == null)]",
        "$$.Execution.Input[*]",
        "$.a[?(@.s == 'a)]')]",
    };
    int failures = 0;

    for (size_t index = 0; index < sizeof paths / sizeof paths[0]; index++) {
        if (asl_path_validate_query(paths[index]) != 0) {
            printf("# refused %s\n", paths[index]);
            failures++;
        }
    }
    ASSERT_EQ_INT(0, failures);
}

static void test_validate_query_rejects_bad_forms(void)
{
    const char *paths[] = {
        NULL,
        "",
        "$..a",
        "$..*",
        "$.a[-1]",
        "$.a[0,1]",
        "$.a[?(@.b ==)]",
        "$.a[?(x)]",
        "$.a[?@.b]",
        "$.a[1:2:0]",
        "$.a[1:2:3:4]",
        "$.a[?(@.b == 1)",
        "$.a[?(@.b == 1) ]",
        "$.a[?(@.b = 1)]",
        "$.a[?(@.b == 'x)]",
        "$.a[?(@..b)]",
        "$.a[?(@[*])]",
        "$.a[?(@.b == 1 2)]",
        "$.a[1:x]",
        "$.a[*",
        "$.a.",
        "$.a[9999999999:]",
    };
    int failures = 0;

    for (size_t index = 0; index < sizeof paths / sizeof paths[0]; index++) {
        if (asl_path_validate_query(paths[index]) != -EINVAL) {
            printf("# accepted %s\n", paths[index] ? paths[index] : "(null)");
            failures++;
        }
    }
    ASSERT_EQ_INT(0, failures);
}

static void test_indefinite_paths_are_not_reference_paths(void)
{
    const cJSON *selected = NULL;
    cJSON *input = cJSON_Parse("{\"a\":[1,2]}");
    int rc = asl_path_select("$.a[*]", input, NULL, &selected);

    cJSON_Delete(input);
    ASSERT_EQ_INT(-EINVAL, rc);
    ASSERT_EQ_INT(-EINVAL, asl_path_validate("$.a[1:]"));
    ASSERT_EQ_INT(-EINVAL, asl_path_validate("$.a[?(@.b)]"));
    ASSERT_TRUE(asl_path_is_definite("$.a[0].b"));
    ASSERT_TRUE(!asl_path_is_definite("$.a[*]"));
    ASSERT_TRUE(!asl_path_is_definite("$.a[0:1]"));
    ASSERT_TRUE(!asl_path_is_definite("$.a[?(@.b)]"));
    ASSERT_TRUE(!asl_path_is_definite("$.a["));
}

/* Runs a query on input_json (and context_text, may be NULL) and compares the printed result with expected. */
static bool query_prints(const char *path, const char *input_json, const char *context_text, const char *expected)
{
    cJSON *input = cJSON_Parse(input_json);
    cJSON *context = context_text ? cJSON_Parse(context_text) : NULL;
    cJSON *result = NULL;
    int rc = asl_path_query(path, input, context, &result);
    bool equal = rc == 0 && printed_equals(result, expected);

    if (rc != 0)
        printf("# %s: rc %d\n", path, rc);
    cJSON_Delete(result);
    cJSON_Delete(context);
    cJSON_Delete(input);
    return equal;
}

static const char *const items_json =
    "{\"items\":[{\"itemValue\":1},{\"itemValue\":2},{\"other\":3},{\"itemValue\":4}],"
    "\"object\":{\"x\":1,\"y\":[2]}}";

static void test_query_wildcards(void)
{
    ASSERT_TRUE(query_prints("$.items[*].itemValue", items_json, NULL, "[1,2,4]"));
    ASSERT_TRUE(query_prints("$.object[*]", items_json, NULL, "[1,[2]]"));
    ASSERT_TRUE(query_prints("$.object.*", items_json, NULL, "[1,[2]]"));
    ASSERT_TRUE(query_prints("$[*]", "[\"a\",{\"b\":1}]", NULL, "[\"a\",{\"b\":1}]"));
    ASSERT_TRUE(query_prints("$.items[*].other", items_json, NULL, "[3]"));
    ASSERT_TRUE(query_prints("$.object.x[*]", items_json, NULL, "[]"));
}

static void test_query_slices(void)
{
    const char *list = "{\"l\":[0,1,2,3,4,5,6]}";

    ASSERT_TRUE(query_prints("$.l[1:]", list, NULL, "[1,2,3,4,5,6]"));
    ASSERT_TRUE(query_prints("$.l[:1]", list, NULL, "[0]"));
    ASSERT_TRUE(query_prints("$.l[1:5]", list, NULL, "[1,2,3,4]"));
    ASSERT_TRUE(query_prints("$.l[0:7:3]", list, NULL, "[0,3,6]"));
    ASSERT_TRUE(query_prints("$.l[::2]", list, NULL, "[0,2,4,6]"));
    ASSERT_TRUE(query_prints("$.l[-2:]", list, NULL, "[5,6]"));
    ASSERT_TRUE(query_prints("$.l[:-5]", list, NULL, "[0,1]"));
    ASSERT_TRUE(query_prints("$.l[5:2]", list, NULL, "[]"));
    ASSERT_TRUE(query_prints("$.l[3:100]", list, NULL, "[3,4,5,6]"));
    ASSERT_TRUE(query_prints("$.items[1:].itemValue", items_json, NULL, "[2,4]"));
}

static void test_query_filters(void)
{
    const char *users = "{\"users\":[{\"year\":1997,\"status\":0,\"name\":\"a\",\"ok\":true},"
                        "{\"year\":1998,\"status\":1,\"name\":\"b\",\"ok\":false},"
                        "{\"year\":1999,\"status\":0,\"nick\":null}]}";

    ASSERT_TRUE(query_prints("$.users[?(@.status == 0)].year", users, NULL, "[1997,1999]"));
    ASSERT_TRUE(query_prints("$.users[?(@.year<=1998)].name", users, NULL, "[\"a\",\"b\"]"));
    ASSERT_TRUE(query_prints("$.users[?(@.year > 1998)].year", users, NULL, "[1999]"));
    ASSERT_TRUE(query_prints("$.users[?(@.year != 1998)].year", users, NULL, "[1997,1999]"));
    ASSERT_TRUE(query_prints("$.users[?(@.year >= 1998)].year", users, NULL, "[1998,1999]"));
    ASSERT_TRUE(query_prints("$.users[?(@.year < 1998)].year", users, NULL, "[1997]"));
    ASSERT_TRUE(query_prints("$.users[?(@.name == 'b')].year", users, NULL, "[1998]"));
    ASSERT_TRUE(query_prints("$.users[?(@['name'] > \"a\")].year", users, NULL, "[1998]"));
    ASSERT_TRUE(query_prints("$.users[?(@.ok == true)].year", users, NULL, "[1997]"));
    ASSERT_TRUE(query_prints("$.users[?(@.nick == null)].year", users, NULL, "[1999]"));
    ASSERT_TRUE(query_prints("$.users[?(@.name)].year", users, NULL, "[1997,1998]"));
    ASSERT_TRUE(query_prints("$.users[?(@.name == 1)].year", users, NULL, "[]"));
    ASSERT_TRUE(query_prints("$.users[?(@.name != 1)].year", users, NULL, "[1997,1998]"));
    ASSERT_TRUE(query_prints("$[?(@ > 1)]", "[1,2,3]", NULL, "[2,3]"));
    ASSERT_TRUE(query_prints("$[?(@.a == 1)]", "{\"a\":1}", NULL, "[{\"a\":1}]"));
}

static void test_query_with_nothing_to_match_is_an_empty_array(void)
{
    ASSERT_TRUE(query_prints("$[*]", "{}", NULL, "[]"));
    ASSERT_TRUE(query_prints("$.items[*]", "{}", NULL, "[]"));
    ASSERT_TRUE(query_prints("$.item.items[1:5].itemValue", "{}", NULL, "[]"));
    ASSERT_TRUE(query_prints("$.items[?(@.a == 1)]", "{\"items\":[{\"a\":2}]}", NULL, "[]"));
    ASSERT_TRUE(query_prints("$.items[*]", "{\"items\":\"text\"}", NULL, "[]"));
}

static void test_query_definite_paths_copy_the_node(void)
{
    cJSON *input = cJSON_Parse(items_json);
    cJSON *result = NULL;
    int rc_missing = asl_path_query("$.missing", input, NULL, &result);
    int rc_syntax = asl_path_query("$.a[", input, NULL, &result);
    int rc_null = asl_path_query("$", input, NULL, NULL);

    cJSON_Delete(input);
    ASSERT_TRUE(query_prints("$.object", items_json, NULL, "{\"x\":1,\"y\":[2]}"));
    ASSERT_TRUE(query_prints("$$.Execution.Input", "{}", context_json, "{\"key\":\"value\"}"));
    ASSERT_TRUE(query_prints("$$.Execution.Input[*]", "{}", context_json, "[\"value\"]"));
    ASSERT_TRUE(query_prints("$$", "{}", "{\"a\":1}", "{\"a\":1}"));
    ASSERT_EQ_INT(-ENOENT, rc_missing);
    ASSERT_EQ_INT(-EINVAL, rc_syntax);
    ASSERT_EQ_INT(-EINVAL, rc_null);
    ASSERT_TRUE(result == NULL);
}

/* AWS: inside quotes a backslash escapes a backslash or the enclosing quote; before anything else it is literal. */
static void test_bracket_escapes_as_aws(void)
{
    ASSERT_TRUE(query_prints("$['Test\\\"\"Name\"']", "{\"Test\\\\\\\"\\\"Name\\\"\":\"v\"}", NULL, "\"v\""));
    ASSERT_TRUE(query_prints("$[\"it\\\"s\"]", "{\"it\\\"s\":1}", NULL, "1"));
    ASSERT_TRUE(query_prints("$['a\\b']", "{\"a\\\\b\":2}", NULL, "2"));
    ASSERT_TRUE(query_prints("$.l[?(@.k == 'it\\'s')].v", "{\"l\":[{\"k\":\"it's\",\"v\":3}]}", NULL, "[3]"));
}

static void test_query_stops_past_the_node_budget(void)
{
    cJSON *input = cJSON_CreateArray();
    cJSON *row = NULL;
    cJSON *result = NULL;
    int rc;

    for (int index = 0; index < ASL_PATH_MAX_MATCH_NODES / 500 + 2; index++) {
        row = cJSON_CreateArray();
        for (int cell = 0; cell < 500; cell++)
            cJSON_AddItemToArray(row, cJSON_CreateNumber(cell));
        cJSON_AddItemToArray(input, row);
    }
    rc = asl_path_query("$[*]", input, NULL, &result);
    cJSON_Delete(input);
    ASSERT_EQ_INT(-E2BIG, rc);
    ASSERT_TRUE(result == NULL);
}

/* Every allocation failure in a query gives -ENOMEM and leaks nothing (ASan checks). */
static void test_query_out_of_memory_is_enomem(void)
{
    cJSON *input = cJSON_Parse(items_json);
    int unexpected_rc = 0;
    bool succeeded = false;

    for (long allowed = 0; allowed < 100 && !succeeded; allowed++) {
        cJSON *result = NULL;
        int rc;

        use_failing_allocator(allowed);
        rc = asl_path_query("$.items[?(@.itemValue >= 2)]", input, NULL, &result);
        use_normal_allocator();
        if (rc == 0)
            succeeded = true;
        else if (rc != -ENOMEM)
            unexpected_rc = rc;
        cJSON_Delete(result);
    }
    cJSON_Delete(input);
    ASSERT_EQ_INT(0, unexpected_rc);
    ASSERT_TRUE(succeeded);
}

int main(void)
{
    RUN(test_validate_accepts_reference_paths);
    RUN(test_validate_rejects_bad_syntax);
    RUN(test_select_root_returns_input_itself);
    RUN(test_select_dot_members);
    RUN(test_select_bracket_members);
    RUN(test_select_array_indexes);
    RUN(test_select_context_paths);
    RUN(test_select_not_found);
    RUN(test_select_bad_syntax_is_einval_even_after_a_missing_member);
    RUN(test_result_path_root_replaces_document);
    RUN(test_result_path_root_on_scalar_document);
    RUN(test_result_path_creates_nested_members);
    RUN(test_result_path_adds_into_existing_object);
    RUN(test_result_path_replaces_member_in_place);
    RUN(test_result_path_replaces_member_holding_a_scalar);
    RUN(test_result_path_replaces_array_element);
    RUN(test_result_path_keeps_a_detached_results_key_right);
    RUN(test_result_path_on_non_object_is_enotdir);
    RUN(test_result_path_on_null_document_is_enotdir);
    RUN(test_result_path_rejects_bad_paths_and_frees_the_result);
    RUN(test_result_path_out_of_memory_is_enomem_and_atomic);
    RUN(test_describe_miss_in_aws_words);
    RUN(test_describe_miss_truncates_and_refuses_bad_input);
    RUN(test_validate_query_accepts_aws_forms);
    RUN(test_validate_query_rejects_bad_forms);
    RUN(test_indefinite_paths_are_not_reference_paths);
    RUN(test_query_wildcards);
    RUN(test_query_slices);
    RUN(test_query_filters);
    RUN(test_query_with_nothing_to_match_is_an_empty_array);
    RUN(test_query_definite_paths_copy_the_node);
    RUN(test_bracket_escapes_as_aws);
    RUN(test_query_stops_past_the_node_budget);
    RUN(test_query_out_of_memory_is_enomem);
    return test_done();
}
