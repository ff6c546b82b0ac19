/*
 * test_json_util.c - unit tests for common/json_util.c
 */
#include "json_util.h"
#include "test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

/* Parses text (its whole strlen) and returns the result code; *printed gets the re-printed document. */
static int parse_text(const char *text, char **printed)
{
    cJSON *document = NULL;
    int rc = json_parse(text, strlen(text), &document);
    *printed = rc == 0 ? json_print(document) : NULL;
    cJSON_Delete(document);
    return rc;
}

static void test_parse_accepts_values_and_surrounding_whitespace(void)
{
    char *object = NULL, *spaced = NULL, *array = NULL, *number = NULL, *string = NULL;
    int rc_object = parse_text("{\"a\":[1,2],\"b\":null}", &object);
    int rc_spaced = parse_text(" \t\r\n{ \"a\" : 1 } \n\t\r ", &spaced);
    int rc_array = parse_text("[true,false]\n", &array);
    int rc_number = parse_text("42", &number);
    int rc_string = parse_text("\"x\"", &string);
    bool object_ok = object && strcmp(object, "{\"a\":[1,2],\"b\":null}") == 0;
    bool spaced_ok = spaced && strcmp(spaced, "{\"a\":1}") == 0;
    bool array_ok = array && strcmp(array, "[true,false]") == 0;
    bool number_ok = number && strcmp(number, "42") == 0;
    bool string_ok = string && strcmp(string, "\"x\"") == 0;

    cJSON_free(object);
    cJSON_free(spaced);
    cJSON_free(array);
    cJSON_free(number);
    cJSON_free(string);
    ASSERT_EQ_INT(0, rc_object);
    ASSERT_EQ_INT(0, rc_spaced);
    ASSERT_EQ_INT(0, rc_array);
    ASSERT_EQ_INT(0, rc_number);
    ASSERT_EQ_INT(0, rc_string);
    ASSERT_TRUE(object_ok);
    ASSERT_TRUE(spaced_ok);
    ASSERT_TRUE(array_ok);
    ASSERT_TRUE(number_ok);
    ASSERT_TRUE(string_ok);
}

static void test_parse_rejects_trailing_garbage(void)
{
    char *printed = NULL;

    ASSERT_EQ_INT(-EINVAL, parse_text("{} x", &printed));
    ASSERT_EQ_INT(-EINVAL, parse_text("{}x", &printed));
    ASSERT_EQ_INT(-EINVAL, parse_text("{}{}", &printed));
    ASSERT_EQ_INT(-EINVAL, parse_text("[1] ,", &printed));
    ASSERT_EQ_INT(-EINVAL, parse_text("1 2", &printed));
    ASSERT_NULL(printed);
}

static void test_parse_rejects_empty_and_non_json(void)
{
    char *printed = NULL;
    cJSON *document = NULL;

    ASSERT_EQ_INT(-EINVAL, json_parse("", 0, &document));
    ASSERT_EQ_INT(-EINVAL, json_parse("{}", 0, &document)); /* zero bytes, whatever follows */
    ASSERT_EQ_INT(-EINVAL, parse_text("   ", &printed));
    ASSERT_EQ_INT(-EINVAL, parse_text("hello", &printed));
    ASSERT_EQ_INT(-EINVAL, parse_text("{\"a\":}", &printed));
    ASSERT_EQ_INT(-EINVAL, parse_text("{\"a\":1", &printed));
    ASSERT_EQ_INT(-EINVAL, parse_text("{'a':1}", &printed));
    ASSERT_EQ_INT(-EINVAL, parse_text("[1,]", &printed));
    ASSERT_NULL(printed);
    ASSERT_NULL(document);
}

static void test_parse_uses_exactly_length_bytes(void)
{
    /* Not NUL-terminated where it ends: the bytes after length must be ignored. */
    const char buffer[] = "{\"a\":1}garbage";
    const char number_buffer[] = "12345";
    cJSON *document = NULL, *number = NULL, *cut = NULL;
    int rc = json_parse(buffer, 7, &document);
    int rc_number = json_parse(number_buffer, 2, &number);
    int rc_cut = json_parse(buffer, 6, &cut);
    char *printed = rc == 0 ? json_print(document) : NULL;
    double value = rc_number == 0 ? cJSON_GetNumberValue(number) : -1;
    bool printed_ok = printed && strcmp(printed, "{\"a\":1}") == 0;

    cJSON_free(printed);
    cJSON_Delete(document);
    cJSON_Delete(number);
    cJSON_Delete(cut);
    ASSERT_EQ_INT(0, rc);
    ASSERT_TRUE(printed_ok);
    ASSERT_EQ_INT(0, rc_number);
    ASSERT_TRUE(value == 12);
    ASSERT_EQ_INT(-EINVAL, rc_cut);
}

static void test_parse_rejects_a_nul_inside_the_length(void)
{
    const char buffer[] = "{}\0 ";
    cJSON *document = NULL;

    ASSERT_EQ_INT(-EINVAL, json_parse(buffer, 4, &document));
    ASSERT_NULL(document);
}

static void test_string_member_type_checks(void)
{
    cJSON *object = cJSON_Parse("{\"s\":\"text\",\"n\":1,\"o\":{},\"z\":null,\"e\":\"\",\"S\":\"upper\"}");
    const char *s = json_string_member(object, "s");
    const char *e = json_string_member(object, "e");
    const char *n = json_string_member(object, "n");
    const char *o = json_string_member(object, "o");
    const char *z = json_string_member(object, "z");
    const char *missing = json_string_member(object, "missing");
    const char *upper = json_string_member(object, "S");
    bool s_ok = s && strcmp(s, "text") == 0;
    bool e_ok = e && strcmp(e, "") == 0;
    bool upper_ok = upper && strcmp(upper, "upper") == 0;

    cJSON_Delete(object);
    ASSERT_TRUE(s_ok);
    ASSERT_TRUE(e_ok);
    ASSERT_TRUE(upper_ok); /* case-sensitive lookup: "S" is not "s" */
    ASSERT_NULL(n);
    ASSERT_NULL(o);
    ASSERT_NULL(z);
    ASSERT_NULL(missing);
}

static void test_object_member_type_checks(void)
{
    cJSON *object = cJSON_Parse("{\"o\":{\"x\":1},\"a\":[],\"s\":\"{}\",\"z\":null}");
    cJSON *array = cJSON_Parse("[{\"o\":{}}]");
    const cJSON *o = json_object_member(object, "o");
    bool o_ok = o && cJSON_GetObjectItemCaseSensitive(o, "x") != NULL;
    const cJSON *a = json_object_member(object, "a");
    const cJSON *s = json_object_member(object, "s");
    const cJSON *z = json_object_member(object, "z");
    const cJSON *missing = json_object_member(object, "missing");
    const cJSON *from_array = json_object_member(array, "o");
    const cJSON *from_null = json_object_member(NULL, "o");

    cJSON_Delete(object);
    cJSON_Delete(array);
    ASSERT_TRUE(o_ok);
    ASSERT_NULL(a);
    ASSERT_NULL(s);
    ASSERT_NULL(z);
    ASSERT_NULL(missing);
    ASSERT_NULL(from_array);
    ASSERT_NULL(from_null);
}

static void test_error_shape(void)
{
    cJSON *error = json_error("__type", "InvalidToken", "Invalid token: \"x\"");
    cJSON *other = json_error("code", "NotFound", "");
    char *printed = error ? json_print(error) : NULL;
    char *other_printed = other ? json_print(other) : NULL;
    bool printed_ok =
        printed && strcmp(printed, "{\"__type\":\"InvalidToken\",\"message\":\"Invalid token: \\\"x\\\"\"}") == 0;
    bool other_ok = other_printed && strcmp(other_printed, "{\"code\":\"NotFound\",\"message\":\"\"}") == 0;

    if (!printed_ok)
        printf("# got %s\n", printed ? printed : "(null)");
    cJSON_free(printed);
    cJSON_free(other_printed);
    cJSON_Delete(error);
    cJSON_Delete(other);
    ASSERT_TRUE(printed_ok);
    ASSERT_TRUE(other_ok);
}

static void test_add_epoch_seconds(void)
{
    cJSON *object = cJSON_CreateObject();
    bool added = json_add_epoch_seconds(object, "creationDate", 1712345678123LL);
    double value = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(object, "creationDate"));

    cJSON_Delete(object);
    ASSERT_TRUE(added);
    ASSERT_TRUE(value > 1712345678.1225 && value < 1712345678.1235);
}

static void test_text_of_a_value(void)
{
    cJSON *object = cJSON_Parse("{\"a\":[1,\"x\"]}");
    cJSON *string = cJSON_CreateString("plain \"text\"");
    char *object_text = json_text_of(object), *string_text = json_text_of(string);
    ASSERT_EQ_STR("{\"a\":[1,\"x\"]}", object_text);
    ASSERT_EQ_STR("plain \"text\"", string_text);
    cJSON_free(object_text);
    cJSON_free(string_text);
    cJSON_Delete(object);
    cJSON_Delete(string);
}

static void test_parse_refuses_numbers_beyond_a_double(void)
{
    char *printed = NULL;
    ASSERT_EQ_INT(-EINVAL, parse_text("1e400", &printed));
    ASSERT_EQ_INT(-EINVAL, parse_text("{\"a\":[1,{\"b\":-1e400}]}", &printed));
    ASSERT_EQ_INT(0, parse_text("[1e308,1e-400]", &printed));
    ASSERT_NOT_NULL(printed);
    cJSON_free(printed);
}

/* Parses text with json_parse_request: the result, and whether the document holds a \u0000. */
static int parse_request(const char *text, size_t length, bool *has_nul)
{
    cJSON *document = NULL;
    int rc = json_parse_request(text, length, &document);
    *has_nul = rc == 0 && json_has_nul(document);
    cJSON_Delete(document);
    return rc;
}

static void test_request_must_be_utf8(void)
{
    bool has_nul;
    ASSERT_EQ_INT(-EILSEQ, parse_request("{\"name\":\"bad\xff\xfe\"}", 16, &has_nul));
    ASSERT_EQ_INT(-EILSEQ, parse_request("{\"a\":\"\xc0\x80\"}", 10, &has_nul)); /* the NUL mark itself */
    ASSERT_EQ_INT(0, parse_request("{\"a\":\"caf\xc3\xa9\"}", 13, &has_nul));
    ASSERT_TRUE(!has_nul);
    ASSERT_EQ_INT(-EINVAL, parse_request("", 0, &has_nul));
}

static void test_request_nul_escapes_are_marked(void)
{
    bool has_nul;
    const char *in_value = "{\"name\":\"abc\\u0000def\"}";
    const char *in_key = "{\"a\\u0000\":1}";
    const char *escaped_backslash = "{\"a\":\"\\\\u0000\"}"; /* a backslash, then the text u0000 */
    const char *other_escapes = "{\"a\":\"\\\"\\u0001\\u00e9\"}";
    ASSERT_EQ_INT(0, parse_request(in_value, strlen(in_value), &has_nul));
    ASSERT_TRUE(has_nul);
    ASSERT_EQ_INT(0, parse_request(in_key, strlen(in_key), &has_nul));
    ASSERT_TRUE(has_nul);
    ASSERT_EQ_INT(0, parse_request(escaped_backslash, strlen(escaped_backslash), &has_nul));
    ASSERT_TRUE(!has_nul);
    ASSERT_EQ_INT(0, parse_request(other_escapes, strlen(other_escapes), &has_nul));
    ASSERT_TRUE(!has_nul);
    ASSERT_EQ_INT(-EINVAL, parse_request("{\"a\":\"x\0y\"}", 10, &has_nul)); /* a raw NUL in a string */
    ASSERT_EQ_INT(-EINVAL, parse_request("{}\0", 3, &has_nul));
}

static void test_add_parsed_takes_the_text_or_its_fallback(void)
{
    cJSON *object = cJSON_CreateObject();
    ASSERT_TRUE(json_add_parsed(object, "stored", "{\"level\":\"ALL\"}", "{}"));
    ASSERT_TRUE(json_add_parsed(object, "missing", NULL, "{\"enabled\":false}"));
    ASSERT_TRUE(json_add_parsed(object, "broken", "{not json", "[1]"));
    ASSERT_TRUE(!json_add_parsed(object, "neither", "nope", "nope either"));
    char *text = cJSON_PrintUnformatted(object);
    ASSERT_EQ_STR("{\"stored\":{\"level\":\"ALL\"},\"missing\":{\"enabled\":false},\"broken\":[1]}", text);
    free(text);
    cJSON_Delete(object);
}

static void test_body_names_the_problem(void)
{
    cJSON *document = NULL;
    char problem[128] = "";
    ASSERT_EQ_INT(-EINVAL, json_parse_body("{\"a\":\"\xff\"}", 8, &document, problem, sizeof(problem)));
    ASSERT_EQ_STR("The body is not UTF-8: invalid byte 0xff at offset 6", problem);
    ASSERT_EQ_INT(-EINVAL, json_parse_body("{\"a\":1e400}", 11, &document, problem, sizeof(problem)));
    ASSERT_EQ_STR("The body is not valid JSON", problem);
    ASSERT_EQ_INT(-EINVAL, json_parse_body("{\"a\":\"\\u0000\"}", 14, &document, problem, sizeof(problem)));
    ASSERT_EQ_STR("The body is not valid JSON: a string holds a NUL character (\\u0000)", problem);
    ASSERT_NULL(document);
    ASSERT_EQ_INT(0, json_parse_body("{\"a\":1}", 7, &document, problem, sizeof(problem)));
    ASSERT_NOT_NULL(document);
    cJSON_Delete(document);
}

/* json_append_string() writes what cJSON_PrintUnformatted() prints for a string, for every byte 1-255. */
static void test_append_string_escapes_as_cjson_prints(void)
{
    char text[512];
    size_t at = 0;
    for (int byte = 255; byte >= 1; byte--)
        text[at++] = (char)byte;
    text[at] = '\0';
    const char *samples[] = { "", "plain", "quote \" and backslash \\", "tab\tline\nfeed\r\b\f\x01\x1f", text };
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        cJSON *string = cJSON_CreateString(samples[i]);
        char *printed = cJSON_PrintUnformatted(string);
        size_t length = json_append_string(NULL, samples[i]);
        char *written = calloc(1, length + 1);
        ASSERT_TRUE(printed != NULL && written != NULL);
        ASSERT_EQ_INT((int)strlen(printed), (int)length);
        ASSERT_EQ_INT((int)length, (int)json_append_string(written, samples[i]));
        ASSERT_EQ_STR(printed, written);
        free(written);
        cJSON_free(printed);
        cJSON_Delete(string);
    }
}

int main(void)
{
    RUN(test_append_string_escapes_as_cjson_prints);
    RUN(test_parse_refuses_numbers_beyond_a_double);
    RUN(test_request_must_be_utf8);
    RUN(test_request_nul_escapes_are_marked);
    RUN(test_body_names_the_problem);
    RUN(test_parse_accepts_values_and_surrounding_whitespace);
    RUN(test_parse_rejects_trailing_garbage);
    RUN(test_parse_rejects_empty_and_non_json);
    RUN(test_parse_uses_exactly_length_bytes);
    RUN(test_parse_rejects_a_nul_inside_the_length);
    RUN(test_string_member_type_checks);
    RUN(test_object_member_type_checks);
    RUN(test_error_shape);
    RUN(test_add_epoch_seconds);
    RUN(test_text_of_a_value);
    RUN(test_add_parsed_takes_the_text_or_its_fallback);
    return test_done();
}
