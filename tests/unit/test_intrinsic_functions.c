/*
 * test_intrinsic_functions.c - unit tests for loan-processor/intrinsic_functions.c:
 * every function with AWS's documented examples, the call syntax and its
 * escapes, nesting, every failure, and allocation failures.
 */
#include "intrinsic_functions.h"
#include "failing_allocator.h"
#include "test.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

static const char *const context_json = "{\"Execution\":{\"Name\":\"my-execution\"},\"State\":{\"Name\":\"Pass\"}}";

/* A predictable source of "random" bytes: 0, 1, 2, ... continuing from call to call. */
static unsigned char next_byte;

static int counting_bytes(void *buffer, size_t length)
{
    unsigned char *bytes = buffer;

    for (size_t i = 0; i < length; i++)
        bytes[i] = next_byte++;
    return 0;
}

static int broken_bytes(void *buffer, size_t length)
{
    (void)buffer, (void)length;
    return -EIO;
}

struct outcome {
    int rc;
    bool result_untouched;
    char *printed; /* the result printed unformatted, or NULL; cJSON_free it */
    char error[1024];
};

/* Evaluates call against input_json (NULL: no input) with cJSON failing after allocations_allowed (-1: never). */
static void evaluate_with(long allocations_allowed, const char *call, const char *input_json,
                          int (*random_bytes)(void *, size_t), struct outcome *outcome)
{
    cJSON *input = input_json != NULL ? cJSON_Parse(input_json) : NULL;
    cJSON *context = cJSON_Parse(context_json);
    const struct intrinsic_scope scope = { input, context, random_bytes, NULL };
    cJSON sentinel = { 0 };
    cJSON *result = &sentinel;

    memset(outcome->error, 'x', sizeof outcome->error);
    use_failing_allocator(allocations_allowed);
    outcome->rc = intrinsic_evaluate(call, &scope, &result, outcome->error, sizeof outcome->error);
    use_normal_allocator();
    outcome->result_untouched = result == &sentinel;
    outcome->printed = outcome->result_untouched ? NULL : cJSON_PrintUnformatted(result);
    if (!outcome->result_untouched)
        cJSON_Delete(result);
    cJSON_Delete(input);
    cJSON_Delete(context);
}

static void evaluate(const char *call, const char *input_json, struct outcome *outcome)
{
    evaluate_with(-1, call, input_json, counting_bytes, outcome);
}

/* call on input_json gives expected (printed unformatted). */
static void check_value(const char *call, const char *input_json, const char *expected)
{
    struct outcome outcome;

    evaluate(call, input_json, &outcome);
    if (outcome.rc != 0)
        printf("# %s: %s\n", call, outcome.error);
    ASSERT_EQ_INT(0, outcome.rc);
    ASSERT_EQ_STR("", outcome.error);
    ASSERT_EQ_STR(expected, outcome.printed);
    cJSON_free(outcome.printed);
}

/* call on input_json is an intrinsic failure whose message ends with detail (NULL: any). */
static void check_failure(const char *call, const char *input_json, const char *detail)
{
    struct outcome outcome;
    char expected[1024];

    evaluate(call, input_json, &outcome);
    if (outcome.rc != -EDOM)
        printf("# %s gave %d: %s\n", call, outcome.rc, outcome.printed ? outcome.printed : outcome.error);
    cJSON_free(outcome.printed);
    ASSERT_EQ_INT(-EDOM, outcome.rc);
    ASSERT_TRUE(outcome.result_untouched);
    if (detail == NULL)
        return;
    snprintf(expected, sizeof expected, "The function '%s' had the following error: %s", call, detail);
    ASSERT_EQ_STR(expected, outcome.error);
}

static void check_valid(const char *call)
{
    if (intrinsic_validate(call) != 0)
        printf("# rejected: %s\n", call);
    ASSERT_EQ_INT(0, intrinsic_validate(call));
}

static void check_invalid(const char *call)
{
    struct outcome outcome;

    if (intrinsic_validate(call) != -EINVAL)
        printf("# accepted: %s\n", call);
    ASSERT_EQ_INT(-EINVAL, intrinsic_validate(call));
    evaluate(call, "{}", &outcome);
    ASSERT_EQ_INT(-EINVAL, outcome.rc);
    ASSERT_TRUE(outcome.result_untouched);
    ASSERT_EQ_STR("", outcome.error);
}

/* ---- States.Format ------------------------------------------------------- */

static const char *const arnav = "{\"name\":\"Arnav\",\"template\":\"Hello, my name is {}.\"}";

static void test_format_aws_examples(void)
{
    check_value("States.Format('Hello, my name is {}.', $.name)", arnav, "\"Hello, my name is Arnav.\"");
    check_value("States.Format($.template, $.name)", arnav, "\"Hello, my name is Arnav.\"");
    check_value("States.Format('create-pay-review-{}', $$.Execution.Name)", "{}", "\"create-pay-review-my-execution\"");
    check_value("States.Format('no placeholders')", "{}", "\"no placeholders\"");
}

static void test_format_renders_every_type(void)
{
    check_value("States.Format('{}|{}|{}|{}|{}|{}|{}', 1, -2.5, 1e3, true, false, null, 'text')", "{}",
                "\"1|-2.5|1000|true|false|null|text\"");
    check_value("States.Format('{} and {}', $.object, $.list)",
                "{\"object\":{\"Arg1\":1,\"Arg2\":[],\"s\":\"x\"},\"list\":[1,\"two\",{\"k\":null}]}",
                "\"{Arg1=1, Arg2=[], s=x} and [1, two, {k=null}]\"");
    check_value("States.Format('{}', 0.1)", "{}", "\"0.1\"");
}

static void test_format_escapes(void)
{
    /* The call text is: States.Format('\{\} is {}, it\'s a \\', 'x') */
    check_value("States.Format('\\{\\} is {}, it\\'s a \\\\', 'x')", "{}", "\"{} is x, it's a \\\\\"");
    /* A lone brace is a plain character; a template from the input has no escapes. */
    check_value("States.Format('{ and } {}', 1)", "{}", "\"{ and } 1\"");
    check_value("States.Format($.t, 1)", "{\"t\":\"a\\\\{} x\"}", "\"a\\\\1 x\"");
}

static void test_format_failures(void)
{
    check_failure("States.Format('{} and {}', 'x')", "{}",
                  "Invalid arguments in States.Format: the number of arguments does not match the occurrences of {}");
    check_failure("States.Format('{}', 'x', 'y')", "{}", NULL);
    check_failure("States.Format($.n, 'x')", "{\"n\":1}",
                  "Invalid arguments in States.Format: argument 1 must be a string, not a number");
}

static void test_format_result_is_at_most_256_kib(void)
{
    size_t length = 140 * 1024;
    char *input = malloc(length + 16);
    struct outcome outcome;

    ASSERT_NOT_NULL(input);
    strcpy(input, "{\"big\":\"");
    memset(input + 8, 'a', length);
    strcpy(input + 8 + length, "\"}");
    check_failure("States.Format('{}{}', $.big, $.big)", input,
                  "Invalid arguments in States.Format: the result is longer than 262144 bytes");
    evaluate("States.Format('{}', $.big)", input, &outcome);
    ASSERT_EQ_INT(0, outcome.rc);
    ASSERT_EQ_INT(length + 2, strlen(outcome.printed));
    cJSON_free(outcome.printed);
    free(input);
}

/* ---- JSON ---------------------------------------------------------------- */

static void test_string_to_json(void)
{
    check_value("States.StringToJson($.escapedJsonString)", "{\"escapedJsonString\":\"{\\\"foo\\\": \\\"bar\\\"}\"}",
                "{\"foo\":\"bar\"}");
    check_value("States.StringToJson(' [1, 2, \"HelloWorld\"] ')", "{}", "[1,2,\"HelloWorld\"]");
    check_value("States.StringToJson('1.1')", "{}", "1.1");
    check_value("States.StringToJson('true')", "{}", "true");
    /* AWS answers null for blank text, and 0 for "-0". */
    check_value("States.StringToJson('')", "{}", "null");
    check_value("States.StringToJson(' ')", "{}", "null");
    check_value("States.StringToJson('-0')", "{}", "0");
}

static void test_string_to_json_failures(void)
{
    check_failure("States.StringToJson($.s)", "{\"s\":\"{not json\"}",
                  "Invalid arguments in States.StringToJson: the string is not a JSON text");
    check_failure("States.StringToJson('{} {}')", "{}", NULL);
    check_failure("States.StringToJson($.o)", "{\"o\":{}}",
                  "Invalid arguments in States.StringToJson: argument 1 must be a string, not an object");
}

static void test_json_to_string(void)
{
    check_value("States.JsonToString($.unescapedJson)", "{\"unescapedJson\":{\"foo\":\"bar\"}}",
                "\"{\\\"foo\\\":\\\"bar\\\"}\"");
    check_value("States.JsonToString($.n)", "{\"n\":[1,null,\"x\"]}", "\"[1,null,\\\"x\\\"]\"");
    check_value("States.JsonToString('text')", "{}", "\"\\\"text\\\"\"");
    check_value("States.StringToJson(States.JsonToString($))", "{\"a\":[1,{\"b\":true}]}", "{\"a\":[1,{\"b\":true}]}");
}

static void test_json_merge(void)
{
    check_value("States.JsonMerge($.json1, $.json2, false)",
                "{\"json1\":{\"a\":{\"a1\":1,\"a2\":2},\"b\":2},\"json2\":{\"a\":{\"a3\":1,\"a4\":2},\"c\":3}}",
                "{\"a\":{\"a3\":1,\"a4\":2},\"b\":2,\"c\":3}");
    check_failure("States.JsonMerge($.a, $.a, true)", "{\"a\":{}}",
                  "Invalid arguments in States.JsonMerge: deep merging is not supported, the third argument must be "
                  "false");
    check_failure("States.JsonMerge($.a, $.b, false)", "{\"a\":{},\"b\":[]}",
                  "Invalid arguments in States.JsonMerge: argument 2 must be an object, not an array");
    check_failure("States.JsonMerge($.a, $.a, 'false')", "{\"a\":{}}", NULL);
}

/* ---- arrays -------------------------------------------------------------- */

static const char *const numbers = "{\"inputArray\":[1,2,3,4,5,6,7,8,9],\"lookingFor\":5,\"index\":5,\"chunkSize\":4}";

static void test_array(void)
{
    check_value("States.Array($.Id)", "{\"Id\":123456}", "[123456]");
    check_value("States.Array()", "{}", "[]");
    check_value("States.Array('a', 1, true, null, $.o, States.Array(), $$.State.Name)", "{\"o\":{\"k\":[1]}}",
                "[\"a\",1,true,null,{\"k\":[1]},[],\"Pass\"]");
}

static void test_array_partition(void)
{
    check_value("States.ArrayPartition($.inputArray, $.chunkSize)", numbers, "[[1,2,3,4],[5,6,7,8],[9]]");
    check_value("States.ArrayPartition($.inputArray, 9)", numbers, "[[1,2,3,4,5,6,7,8,9]]");
    check_value("States.ArrayPartition(States.Array(), 2)", "{}", "[]");
    check_failure("States.ArrayPartition($.inputArray, 0)", numbers,
                  "Invalid arguments in States.ArrayPartition: argument 2 must be an integer from 1 to 2147483647");
    check_failure("States.ArrayPartition($.lookingFor, 2)", numbers,
                  "Invalid arguments in States.ArrayPartition: argument 1 must be an array, not a number");
}

static void test_array_contains(void)
{
    check_value("States.ArrayContains($.inputArray, $.lookingFor)", numbers, "true");
    check_value("States.ArrayContains($.inputArray, 10)", numbers, "false");
    check_value("States.ArrayContains($.list, $.wanted)",
                "{\"list\":[\"1\",{\"a\":1,\"b\":[2]}],\"wanted\":{\"b\":[2],\"a\":1}}", "true");
    check_value("States.ArrayContains($.list, 1)", "{\"list\":[\"1\"]}", "false");
}

static void test_array_range(void)
{
    check_value("States.ArrayRange(1, 9, 2)", "{}", "[1,3,5,7,9]");
    check_value("States.ArrayRange(10, 1, -3)", "{}", "[10,7,4,1]");
    check_value("States.ArrayRange(1, 2, 5)", "{}", "[1]");
    check_value("States.ArrayRange(1, 0, 1)", "{}", "[]");
    check_value("States.ArrayRange(0.5, 2.4, 1)", "{}", "[1,2]");
    check_failure("States.ArrayRange(1, 9, 0)", "{}", "Invalid arguments in States.ArrayRange: the step must not be 0");
    check_failure("States.ArrayRange(0, 1000, 1)", "{}",
                  "Invalid arguments in States.ArrayRange: the array would have 1001 items, more than 1000");
    check_failure("States.ArrayRange('1', 9, 1)", "{}",
                  "Invalid arguments in States.ArrayRange: argument 1 must be an integer, not a string");
}

static void test_array_range_allows_1000_items(void)
{
    struct outcome outcome;
    cJSON *array;

    evaluate("States.ArrayRange(1, 1000, 1)", "{}", &outcome);
    ASSERT_EQ_INT(0, outcome.rc);
    array = cJSON_Parse(outcome.printed);
    cJSON_free(outcome.printed);
    ASSERT_EQ_INT(1000, cJSON_GetArraySize(array));
    ASSERT_EQ_INT(1000, cJSON_GetArrayItem(array, 999)->valueint);
    cJSON_Delete(array);
}

static void test_array_get_item(void)
{
    check_value("States.ArrayGetItem($.inputArray, $.index)", numbers, "6");
    check_value("States.ArrayGetItem($.list, 0)", "{\"list\":[{\"a\":[1]}]}", "{\"a\":[1]}");
    check_failure("States.ArrayGetItem($.inputArray, 9)", numbers,
                  "Invalid arguments in States.ArrayGetItem: the index 9 is out of bounds for an array of 9 items");
    check_failure("States.ArrayGetItem($.inputArray, -1)", numbers,
                  "Invalid arguments in States.ArrayGetItem: argument 2 must be an integer from 0 to 2147483647");
}

static void test_array_length(void)
{
    check_value("States.ArrayLength($.inputArray)", numbers, "9");
    check_value("States.ArrayLength(States.Array())", "{}", "0");
    check_failure("States.ArrayLength($.missing)", "{\"missing\":null}",
                  "Invalid arguments in States.ArrayLength: argument 1 must be an array, not null");
}

static void test_array_unique(void)
{
    check_value("States.ArrayUnique($.values)", "{\"values\":[1,2,3,3,3,3,3,3,4]}", "[1,2,3,4]");
    check_value("States.ArrayUnique($.values)",
                "{\"values\":[{\"a\":1,\"b\":2},{\"b\":2,\"a\":1},\"1\",1,[1],[1],null,null,true,false,true,[]]}",
                "[{\"a\":1,\"b\":2},\"1\",1,[1],null,true,false,[]]");
    check_failure("States.ArrayUnique('x')", "{}", NULL);
}

static void test_array_unique_of_many_items(void)
{
    cJSON *input = cJSON_CreateObject();
    cJSON *values = cJSON_AddArrayToObject(input, "values");
    char *text;
    struct outcome outcome;
    cJSON *unique;

    for (int i = 0; i < 20000; i++)
        cJSON_AddItemToArray(values, cJSON_CreateNumber(i % 5000));
    text = cJSON_PrintUnformatted(input);
    evaluate("States.ArrayLength(States.ArrayUnique($.values))", text, &outcome);
    ASSERT_EQ_INT(0, outcome.rc);
    ASSERT_EQ_STR("5000", outcome.printed);
    cJSON_free(outcome.printed);
    evaluate("States.ArrayUnique($.values)", text, &outcome);
    unique = cJSON_Parse(outcome.printed);
    ASSERT_EQ_INT(4999, cJSON_GetArrayItem(unique, 4999)->valueint);
    cJSON_Delete(unique);
    cJSON_free(outcome.printed);
    cJSON_free(text);
    cJSON_Delete(input);
}

/* The 40,000 distinct whole numbers: milliseconds, where a hash that ignored their low bits took seconds. */
static void test_array_unique_of_many_whole_numbers(void)
{
    cJSON *input = cJSON_CreateObject();
    cJSON *values = cJSON_AddArrayToObject(input, "values");
    char *text;
    struct outcome outcome;

    for (int i = 0; i < 40000; i++)
        cJSON_AddItemToArray(values, cJSON_CreateNumber(i));
    for (int i = 0; i < 40000; i += 7)
        cJSON_AddItemToArray(values, cJSON_CreateNumber(i));
    text = cJSON_PrintUnformatted(input);
    evaluate("States.ArrayLength(States.ArrayUnique($.values))", text, &outcome);
    ASSERT_EQ_INT(0, outcome.rc);
    ASSERT_EQ_STR("40000", outcome.printed);
    cJSON_free(outcome.printed);
    cJSON_free(text);
    cJSON_Delete(input);
}

/* ---- encoding and hashing ------------------------------------------------ */

static void test_base64(void)
{
    check_value("States.Base64Encode($.input)", "{\"input\":\"Data to encode\"}", "\"RGF0YSB0byBlbmNvZGU=\"");
    check_value("States.Base64Decode($.base64)", "{\"base64\":\"RGF0YSB0byBlbmNvZGU=\"}", "\"Data to encode\"");
    check_value("States.Base64Decode('RGF0YSB0byBlbmNvZGU')", "{}", "\"Data to encode\"");
    check_value("States.Base64Encode('')", "{}", "\"\"");
    check_value("States.Base64Decode(States.Base64Encode('caf\xc3\xa9 \\{\\}'))", "{}", "\"caf\xc3\xa9 {}\"");
}

static void test_base64_failures(void)
{
    check_failure("States.Base64Decode('@@@@')", "{}",
                  "Invalid arguments in States.Base64Decode: the string is not base64");
    check_failure("States.Base64Decode('A')", "{}", NULL);
    check_failure("States.Base64Decode('/w==')", "{}",
                  "Invalid arguments in States.Base64Decode: the decoded bytes are not UTF-8 text");
    check_failure("States.Base64Decode('AA==')", "{}", NULL);
    check_failure("States.Base64Encode(1)", "{}",
                  "Invalid arguments in States.Base64Encode: argument 1 must be a string, not a number");
}

/* At most 10,000 characters (not bytes) for Base64Encode, Base64Decode and Hash. */
static void test_text_arguments_are_at_most_10000_characters(void)
{
    char *input = malloc(2 * 10001 + 32);
    char *end;
    struct outcome outcome;

    ASSERT_NOT_NULL(input);
    end = input + sprintf(input, "{\"t\":\"");
    for (int i = 0; i < 10000; i++)
        end += sprintf(end, "\xc3\xa9");
    strcpy(end, "\"}");
    evaluate("States.Base64Encode($.t)", input, &outcome);
    ASSERT_EQ_INT(0, outcome.rc);
    cJSON_free(outcome.printed);
    evaluate("States.Hash($.t, 'MD5')", input, &outcome);
    ASSERT_EQ_INT(0, outcome.rc);
    cJSON_free(outcome.printed);
    strcpy(end, "x\"}");
    check_failure("States.Base64Encode($.t)", input,
                  "Invalid arguments in States.Base64Encode: argument 1 is longer than 10000 characters");
    check_failure("States.Base64Decode($.t)", input, NULL);
    check_failure("States.Hash($.t, 'MD5')", input,
                  "Invalid arguments in States.Hash: argument 1 is longer than 10000 characters");
    free(input);
}

static void test_hash(void)
{
    check_value("States.Hash($.Data, $.Algorithm)", "{\"Data\":\"input data\",\"Algorithm\":\"SHA-1\"}",
                "\"aaff4a450a104cd177d28d18d74485e8cae074b7\"");
    check_value("States.Hash('Hello, Arnav.', 'MD5')", "{}", "\"94aff3782e2ad9ece9bd97560226e956\"");
    check_value("States.Hash('Hello, Arnav.', 'SHA-256')", "{}",
                "\"a8f4bf2f9ccb4cfe74d79e622ad7df645350ace6b9ac80b41ba0d4c1385e5ee1\"");
    check_value("States.Hash('Hello, Arnav.', 'SHA-384')", "{}",
                "\"6e9a303e23d663bbee495c4e388e9815fbca4f0f95773675ef929190b3c4d0f46267ea3b34b93d30a111b56003c4ef54\"");
    check_value("States.Hash(States.Format('Hello, {}.', $.name), 'SHA-512')", arnav,
                "\"70f3e8f183971921f42e6deb4ba1583dc2a7d6f404aff5926218bc3d4886c5cf"
                "6aab29a054271d047521af563734f93a9411c59561178e99245657602e3f5f47\"");
}

static void test_hash_failures(void)
{
    check_failure("States.Hash('x', 'SHA-224')", "{}",
                  "Invalid arguments in States.Hash: the algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, "
                  "SHA-512");
    check_failure("States.Hash('x', 'sha-256')", "{}", NULL);
    check_failure("States.Hash($.o, 'MD5')", "{\"o\":{}}",
                  "Invalid arguments in States.Hash: argument 1 must be a string, not an object");
}

/* ---- numbers and randomness ---------------------------------------------- */

static void test_math_add(void)
{
    check_value("States.MathAdd($.value1, $.step)", "{\"value1\":111,\"step\":-1}", "110");
    /* AWS rounds like Java's Math.round, as recorded against real AWS. */
    check_value("States.MathAdd(1.49, 1.5)", "{}", "3");
    check_value("States.MathAdd(1.5, 1.51)", "{}", "4");
    check_value("States.MathAdd(-1.49, -1.5)", "{}", "-2");
    check_value("States.MathAdd(-9, 3)", "{}", "-6");
    check_value("States.MathAdd(2147483647, 2147483647)", "{}", "4294967294");
    check_failure("States.MathAdd('1', 2)", "{}",
                  "Invalid arguments in States.MathAdd: argument 1 must be an integer, not a string");
    check_failure("States.MathAdd(1, 2147483648)", "{}",
                  "Invalid arguments in States.MathAdd: argument 2 must be an integer from -2147483648 to 2147483647");
}

static void test_math_random(void)
{
    struct outcome first, second;
    int value;

    evaluate("States.MathRandom($.start, $.end, 3)", "{\"start\":1,\"end\":999}", &first);
    evaluate("States.MathRandom($.start, $.end, 3)", "{\"start\":1,\"end\":999}", &second);
    ASSERT_EQ_INT(0, first.rc);
    ASSERT_EQ_STR(first.printed, second.printed);
    value = atoi(first.printed);
    ASSERT_TRUE(value >= 1 && value < 999);
    cJSON_free(first.printed);
    cJSON_free(second.printed);
    next_byte = 7; /* the eight bytes 7..14, little-endian here, modulo 1 */
    check_value("States.MathRandom(5, 6)", "{}", "5");
    check_value("States.MathRandom(-3, -1, -42)", "{}", "-3");
}

static void test_math_random_failures(void)
{
    struct outcome outcome;

    check_failure("States.MathRandom(5, 5)", "{}",
                  "Invalid arguments in States.MathRandom: the start must be less than the end");
    check_failure("States.MathRandom(1, 'x')", "{}", NULL);
    evaluate_with(-1, "States.MathRandom(1, 10)", "{}", NULL, &outcome);
    ASSERT_EQ_INT(-ENOTSUP, outcome.rc);
    ASSERT_EQ_STR("The function 'States.MathRandom(1, 10)' had the following error: States.MathRandom needs a source "
                  "of randomness",
                  outcome.error);
    evaluate_with(-1, "States.MathRandom(1, 10, 7)", "{}", NULL, &outcome);
    ASSERT_EQ_INT(0, outcome.rc);
    cJSON_free(outcome.printed);
    evaluate_with(-1, "States.MathRandom(1, 10)", "{}", broken_bytes, &outcome);
    ASSERT_EQ_INT(-EIO, outcome.rc);
    ASSERT_TRUE(outcome.result_untouched);
}

static void test_uuid(void)
{
    struct outcome outcome;

    next_byte = 0;
    check_value("States.UUID()", "{}", "\"00010203-0405-4607-8809-0a0b0c0d0e0f\"");
    check_value("States.UUID()", "{}", "\"10111213-1415-4617-9819-1a1b1c1d1e1f\"");
    evaluate_with(-1, "States.Array(States.UUID())", "{}", NULL, &outcome);
    ASSERT_EQ_INT(-ENOTSUP, outcome.rc);
    ASSERT_TRUE(outcome.result_untouched);
    evaluate_with(-1, "States.UUID()", "{}", broken_bytes, &outcome);
    ASSERT_EQ_INT(-EIO, outcome.rc);
    ASSERT_EQ_STR("", outcome.error);
}

/* ---- strings ------------------------------------------------------------- */

static void test_string_split(void)
{
    check_value("States.StringSplit($.inputString, $.splitter)", "{\"inputString\":\"1,2,3,4,5\",\"splitter\":\",\"}",
                "[\"1\",\"2\",\"3\",\"4\",\"5\"]");
    check_value("States.StringSplit($.inputString, $.splitter)",
                "{\"inputString\":\"This.is+a,test=string\",\"splitter\":\".+,=\"}",
                "[\"This\",\"is\",\"a\",\"test\",\"string\"]");
    check_value("States.StringSplit(',a,,b,', ',')", "{}", "[\"a\",\"b\"]");
    check_value("States.StringSplit('a\xe2\x86\x92"
                "b\xe2\x86\x92"
                "c', '\xe2\x86\x92')",
                "{}", "[\"a\",\"b\",\"c\"]");
    check_value("States.StringSplit('abc', '')", "{}", "[\"abc\"]");
    check_value("States.StringSplit('', ',')", "{}", "[]");
    check_failure("States.StringSplit('a', 1)", "{}",
                  "Invalid arguments in States.StringSplit: argument 2 must be a string, not a number");
}

/* ---- nesting, paths, limits ---------------------------------------------- */

static void test_nested_calls_as_in_the_aws_example(void)
{
    /* AWS's myArn example, with as many placeholders as arguments. */
    check_value("States.Format('{}.{}', "
                "States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, "
                "'/'), 2), '.'), 0), "
                "States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, "
                "'/'), 2), '.'), 1))",
                "{\"ImageRecipe\":{\"Arn\":\"arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/recipe/1.0.0\"}}",
                "\"1.0\"");
}

static void test_path_not_found_is_aws_text(void)
{
    struct outcome outcome;

    evaluate("States.Format('{}', $.nope)", "{\"other\":1}", &outcome);
    ASSERT_EQ_INT(-ENOENT, outcome.rc);
    ASSERT_TRUE(outcome.result_untouched);
    ASSERT_EQ_STR("The function 'States.Format('{}', $.nope)' had the following error: The JsonPath argument for the "
                  "field '$.nope' could not be found in the input '{\"other\":1}'",
                  outcome.error);
    /* A nested call's missing path names the whole expression. */
    evaluate("States.Format('{}', States.Format('{}', $.a['b, c']))", "{\"a\":{}}", &outcome);
    ASSERT_EQ_INT(-ENOENT, outcome.rc);
    ASSERT_EQ_STR("The function 'States.Format('{}', States.Format('{}', $.a['b, c']))' had the following error: The "
                  "JsonPath argument for the field '$.a['b, c']' could not be found in the input '{\"a\":{}}'",
                  outcome.error);
    evaluate("States.Array($$.Task.Token)", NULL, &outcome);
    ASSERT_EQ_INT(-ENOENT, outcome.rc);
    ASSERT_EQ_STR("The function 'States.Array($$.Task.Token)' had the following error: The JsonPath argument for the "
                  "field '$$.Task.Token' could not be found in the input 'null'",
                  outcome.error);
}

static void test_paths_with_brackets(void)
{
    check_value("States.Array($.a['b, c)'], $.list[1], $$.Execution['Name'])",
                "{\"a\":{\"b, c)\":\"odd\"},\"list\":[0,1]}", "[\"odd\",1,\"my-execution\"]");
}

static void test_arguments_are_at_most_1_mib_together(void)
{
    size_t length = 300 * 1024;
    char *input = malloc(length + 16);

    ASSERT_NOT_NULL(input);
    strcpy(input, "{\"big\":\"");
    memset(input + 8, 'a', length);
    strcpy(input + 8 + length, "\"}");
    check_failure("States.ArrayLength(States.Array($.big, $.big, $.big, $.big))", input,
                  "Invalid arguments in States.Array: the arguments are larger than 1048576 bytes together");
    check_value("States.ArrayLength(States.Array($.big, $.big, $.big))", input, "3");
    free(input);
}

/* ---- syntax ---------------------------------------------------------------- */

static void test_valid_syntax(void)
{
    check_valid("States.UUID()");
    check_valid("States.Array( )");
    check_valid("States.Array(1,2 , 3 ,\t-0.5e-3, 0, 1E+2, true, false, null)");
    check_valid("States.Format('it\\'s \\{\\} \\\\ {}', $.a.b[0]['c d'], $$.Execution.Id)");
    check_valid("States.Format('(,)', ')')");
    check_valid("States.JsonMerge($, $.a, false)");
    check_valid("States.MathRandom(1, 2)");
    check_valid("States.MathRandom(1, 2, 3)");
    /* Ten calls in one field is the most AWS allows. */
    check_valid("States.Array(States.UUID(), States.UUID(), States.UUID(), States.UUID(), States.UUID(), "
                "States.UUID(), States.UUID(), States.UUID(), States.UUID())");
}

static void test_invalid_syntax(void)
{
    static const char *const calls[] = {
        "States.Unknown()",
        "States.format('x')",
        "States.Format",
        "States.Format()",
        "States.Format ('x')",
        "States.Format('x'",
        "States.Format('x)",
        "States.Format('x'))",
        "States.Format('x') ",
        " States.Format('x')",
        "States.Format(\"x\")",
        "States.Format('\\n')",
        "States.Format('x\\')",
        "States.Format('x',)",
        "States.Format(,'x')",
        "States.Format('x' 'y')",
        "States.Array(01)",
        "States.Array(1.)",
        "States.Array(.5)",
        "States.Array(-)",
        "States.Array(1e)",
        "States.Array(1e999)",
        "States.Array(0x10)",
        "States.Array(True)",
        "States.Array(nul)",
        "States.Array(trueish)",
        "States.Array(x)",
        "States.Array($.a[)",
        "States.Array($..a)",
        "States.Array($.a[*])",
        "States.Array(States.UUID)",
        "States.Array(States.Nope())",
        "States.UUID(1)",
        "States.StringToJson()",
        "States.JsonToString(1, 2)",
        "States.ArrayPartition($.a)",
        "States.ArrayContains($.a)",
        "States.ArrayRange(1, 2)",
        "States.ArrayGetItem($.a)",
        "States.ArrayLength()",
        "States.ArrayUnique($.a, $.b)",
        "States.Base64Encode()",
        "States.Base64Decode('a', 'b')",
        "States.Hash('a')",
        "States.JsonMerge($.a, $.b)",
        "States.MathRandom(1)",
        "States.MathRandom(1, 2, 3, 4)",
        "States.MathAdd(1)",
        "States.StringSplit('a')",
        /* Eleven calls. */
        "States.Array(States.UUID(), States.UUID(), States.UUID(), States.UUID(), States.UUID(), States.UUID(), "
        "States.UUID(), States.UUID(), States.UUID(), States.UUID())",
        "",
        "$.a",
    };

    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
        check_invalid(calls[i]);
    ASSERT_EQ_INT(-EINVAL, intrinsic_validate(NULL));
}

static void test_is_call(void)
{
    ASSERT_TRUE(intrinsic_is_call("States.Format('x')"));
    ASSERT_TRUE(intrinsic_is_call("States.anything"));
    ASSERT_TRUE(!intrinsic_is_call("$.States"));
    ASSERT_TRUE(!intrinsic_is_call("states.Format('x')"));
    ASSERT_TRUE(!intrinsic_is_call(NULL));
}

static void test_evaluate_rejects_null_arguments(void)
{
    const struct intrinsic_scope scope = { NULL, NULL, NULL, NULL };
    cJSON *result = NULL;
    char error[8];

    ASSERT_EQ_INT(-EINVAL, intrinsic_evaluate("States.UUID()", NULL, &result, error, sizeof error));
    ASSERT_EQ_INT(-EINVAL, intrinsic_evaluate("States.UUID()", &scope, NULL, error, sizeof error));
    ASSERT_EQ_INT(-EINVAL, intrinsic_evaluate(NULL, &scope, &result, NULL, 0));
    ASSERT_NULL(result);
}

static void test_error_is_truncated(void)
{
    cJSON *input = cJSON_Parse("{}");
    const struct intrinsic_scope scope = { input, NULL, NULL, NULL };
    cJSON *result = NULL;
    char error[16];

    ASSERT_EQ_INT(-EDOM, intrinsic_evaluate("States.ArrayLength(1)", &scope, &result, error, sizeof error));
    ASSERT_EQ_STR("The function 'S", error);
    ASSERT_EQ_INT(-EDOM, intrinsic_evaluate("States.ArrayLength(1)", &scope, &result, NULL, 0));
    cJSON_Delete(input);
}

/* ---- allocation failures ------------------------------------------------- */

/*
 * Every allocation failure gives -ENOMEM with the result untouched, an empty
 * error and nothing leaked (ASan checks). (States.StringToJson is left out:
 * cJSON reports a failed allocation while parsing as a syntax error.)
 */
static void test_out_of_memory_is_enomem(void)
{
    static const char *const calls[] = {
        "States.Format('{} {} {}', $.o, $.list, 'x\\'y')",
        "States.JsonToString($.o)",
        "States.JsonMerge($.o, $.o, false)",
        "States.Array($.list, 1, true, null, States.Array())",
        "States.ArrayPartition($.list, 2)",
        "States.ArrayContains($.list, 3)",
        "States.ArrayRange(1, 5, 1)",
        "States.ArrayGetItem($.list, 1)",
        "States.ArrayLength($.list)",
        "States.ArrayUnique($.list)",
        "States.Base64Encode('abc')",
        "States.Base64Decode('YWJj')",
        "States.Hash('abc', 'SHA-256')",
        "States.MathRandom(1, 5)",
        "States.MathAdd(1, 2)",
        "States.StringSplit('a,b,c', ',')",
        "States.UUID()",
        "States.Format('{}', $.missing)",
    };
    const char *input = "{\"o\":{\"a\":[1,{\"b\":\"c\"}],\"d\":\"e\"},\"list\":[1,2,2,3,{\"k\":[]}]}";

    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        struct outcome outcome;
        long allowed = 0;
        for (;; allowed++) {
            evaluate_with(allowed, calls[i], input, counting_bytes, &outcome);
            if (outcome.rc != -ENOMEM)
                break;
            ASSERT_TRUE(outcome.result_untouched);
            ASSERT_EQ_STR("", outcome.error);
        }
        if (outcome.rc != 0 && outcome.rc != -ENOENT)
            printf("# %s: %d after %ld allocations\n", calls[i], outcome.rc, allowed);
        ASSERT_TRUE(outcome.rc == 0 || outcome.rc == -ENOENT);
        ASSERT_TRUE(allowed > 0);
        cJSON_free(outcome.printed);
    }
}

int main(void)
{
    RUN(test_format_aws_examples);
    RUN(test_format_renders_every_type);
    RUN(test_format_escapes);
    RUN(test_format_failures);
    RUN(test_format_result_is_at_most_256_kib);
    RUN(test_string_to_json);
    RUN(test_string_to_json_failures);
    RUN(test_json_to_string);
    RUN(test_json_merge);
    RUN(test_array);
    RUN(test_array_partition);
    RUN(test_array_contains);
    RUN(test_array_range);
    RUN(test_array_range_allows_1000_items);
    RUN(test_array_get_item);
    RUN(test_array_length);
    RUN(test_array_unique);
    RUN(test_array_unique_of_many_items);
    RUN(test_array_unique_of_many_whole_numbers);
    RUN(test_base64);
    RUN(test_base64_failures);
    RUN(test_text_arguments_are_at_most_10000_characters);
    RUN(test_hash);
    RUN(test_hash_failures);
    RUN(test_math_add);
    RUN(test_math_random);
    RUN(test_math_random_failures);
    RUN(test_uuid);
    RUN(test_string_split);
    RUN(test_nested_calls_as_in_the_aws_example);
    RUN(test_path_not_found_is_aws_text);
    RUN(test_paths_with_brackets);
    RUN(test_arguments_are_at_most_1_mib_together);
    RUN(test_valid_syntax);
    RUN(test_invalid_syntax);
    RUN(test_is_call);
    RUN(test_evaluate_rejects_null_arguments);
    RUN(test_error_is_truncated);
    RUN(test_out_of_memory_is_enomem);
    return test_done();
}
