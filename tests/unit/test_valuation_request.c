/*
 * test_valuation_request.c - unit tests for valuation-service/valuation_request.c
 */
#include "valuation_request.h"
#include "test.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#define CALLBACK_URL "http://localhost:8080/webhook/valuation/callback"

struct parse_outcome {
    int rc;
    char error[256];
    struct valuation_request request;
    char name_or_number[256];
    char postcode[256];
    char callback_url[4096];
};

/* Parses body_json (NULL: a NULL body) and copies what the request borrowed before the body is freed. */
static void parse(const char *body_json, struct parse_outcome *outcome)
{
    cJSON *body = body_json ? cJSON_Parse(body_json) : NULL;
    memset(outcome, 0, sizeof(*outcome));
    outcome->rc = valuation_request_parse(body, &outcome->request, outcome->error, sizeof(outcome->error));
    if (outcome->request.name_or_number)
        snprintf(outcome->name_or_number, sizeof(outcome->name_or_number), "%s", outcome->request.name_or_number);
    if (outcome->request.postcode)
        snprintf(outcome->postcode, sizeof(outcome->postcode), "%s", outcome->request.postcode);
    if (outcome->request.callback_url)
        snprintf(outcome->callback_url, sizeof(outcome->callback_url), "%s", outcome->request.callback_url);
    outcome->request.name_or_number = outcome->name_or_number;
    outcome->request.postcode = outcome->postcode;
    outcome->request.callback_url = outcome->callback_url;
    cJSON_Delete(body);
}

/* A request with nameOrNumber/postcode and the usual callback URL. */
static void parse_property(const char *name_or_number, const char *postcode, struct parse_outcome *outcome)
{
    char body[512];
    snprintf(body, sizeof(body), "{\"property\":{\"nameOrNumber\":\"%s\",\"postcode\":\"%s\"},\"callbackUrl\":\"%s\"}",
             name_or_number, postcode, CALLBACK_URL);
    parse(body, outcome);
}

#define ASSERT_REJECTED(expected_error, body_json)       \
    do {                                                 \
        struct parse_outcome outcome_;                   \
        parse((body_json), &outcome_);                   \
        ASSERT_EQ_INT(-EINVAL, outcome_.rc);             \
        ASSERT_EQ_STR((expected_error), outcome_.error); \
    } while (0)

/* ---- validation ---------------------------------------------------------- */

static void test_valid_request_parses(void)
{
    struct parse_outcome outcome;

    parse("{\"property\":{\"nameOrNumber\":\"999\",\"postcode\":\"PO1 1CE\"},\"callbackUrl\":\"" CALLBACK_URL
          "\",\"extra\":true}",
          &outcome);
    ASSERT_EQ_INT(0, outcome.rc);
    ASSERT_EQ_STR("999", outcome.name_or_number);
    ASSERT_EQ_STR("PO1 1CE", outcome.postcode);
    ASSERT_EQ_STR(CALLBACK_URL, outcome.callback_url);
    ASSERT_EQ_INT(SCENARIO_NORMAL, outcome.request.scenario);
    ASSERT_EQ_INT(1, valuation_request_callback_count(&outcome.request));
}

static void test_https_and_upper_case_scheme_are_accepted(void)
{
    struct parse_outcome https, upper;

    parse("{\"property\":{\"nameOrNumber\":\"1\",\"postcode\":\"A1\"},\"callbackUrl\":\"https://example.com/cb\"}",
          &https);
    parse("{\"property\":{\"nameOrNumber\":\"1\",\"postcode\":\"A1\"},\"callbackUrl\":\"HTTP://example.com\"}", &upper);
    ASSERT_EQ_INT(0, https.rc);
    ASSERT_EQ_STR("https://example.com/cb", https.callback_url);
    ASSERT_EQ_INT(0, upper.rc);
}

static void test_body_must_be_an_object(void)
{
    ASSERT_REJECTED("The body must be a JSON object (a ValuationRequest)", "[]");
    ASSERT_REJECTED("The body must be a JSON object (a ValuationRequest)", "\"property\"");
    ASSERT_REJECTED("The body must be a JSON object (a ValuationRequest)", NULL);
}

static void test_property_is_required_and_an_object(void)
{
    ASSERT_REJECTED("'property' is required", "{\"callbackUrl\":\"" CALLBACK_URL "\"}");
    ASSERT_REJECTED("'property' must be an object with nameOrNumber and postcode",
                    "{\"property\":\"999 PO1 1CE\",\"callbackUrl\":\"" CALLBACK_URL "\"}");
    ASSERT_REJECTED("'property' must be an object with nameOrNumber and postcode",
                    "{\"property\":null,\"callbackUrl\":\"" CALLBACK_URL "\"}");
}

static void test_name_or_number_is_required_and_a_string(void)
{
    ASSERT_REJECTED("'property.nameOrNumber' is required",
                    "{\"property\":{\"postcode\":\"PO1 1CE\"},\"callbackUrl\":\"" CALLBACK_URL "\"}");
    ASSERT_REJECTED("'property.nameOrNumber' must be a non-empty string of at most 200 characters",
                    "{\"property\":{\"nameOrNumber\":999,\"postcode\":\"PO1 1CE\"},\"callbackUrl\":\"" CALLBACK_URL
                    "\"}");
    ASSERT_REJECTED("'property.nameOrNumber' must be a non-empty string of at most 200 characters",
                    "{\"property\":{\"nameOrNumber\":\"\",\"postcode\":\"PO1 1CE\"},\"callbackUrl\":\"" CALLBACK_URL
                    "\"}");
}

static void test_postcode_is_required_and_a_string(void)
{
    ASSERT_REJECTED("'property.postcode' is required",
                    "{\"property\":{\"nameOrNumber\":\"999\"},\"callbackUrl\":\"" CALLBACK_URL "\"}");
    ASSERT_REJECTED("'property.postcode' must be a non-empty string of at most 200 characters",
                    "{\"property\":{\"nameOrNumber\":\"999\",\"postcode\":[\"PO1\"]},\"callbackUrl\":\"" CALLBACK_URL
                    "\"}");
    ASSERT_REJECTED("'property.postcode' must be a non-empty string of at most 200 characters",
                    "{\"property\":{\"nameOrNumber\":\"999\",\"postcode\":null},\"callbackUrl\":\"" CALLBACK_URL "\"}");
}

static void test_field_length_limit(void)
{
    char name[202];
    char body[1024];
    struct parse_outcome at_limit, over_limit;

    memset(name, 'n', 200);
    name[200] = '\0';
    snprintf(body, sizeof(body), "{\"property\":{\"nameOrNumber\":\"%s\",\"postcode\":\"A1\"},\"callbackUrl\":\"%s\"}",
             name, CALLBACK_URL);
    parse(body, &at_limit);
    name[200] = 'n';
    name[201] = '\0';
    snprintf(body, sizeof(body), "{\"property\":{\"nameOrNumber\":\"%s\",\"postcode\":\"A1\"},\"callbackUrl\":\"%s\"}",
             name, CALLBACK_URL);
    parse(body, &over_limit);
    ASSERT_EQ_INT(0, at_limit.rc);
    ASSERT_EQ_INT(-EINVAL, over_limit.rc);
    ASSERT_EQ_STR("'property.nameOrNumber' must be a non-empty string of at most 200 characters", over_limit.error);
}

#define BAD_URL_MESSAGE "'callbackUrl' must be an http:// or https:// URL of at most 2048 characters"
#define PROPERTY "\"property\":{\"nameOrNumber\":\"999\",\"postcode\":\"PO1 1CE\"}"

static void test_callback_url_is_required_and_http(void)
{
    ASSERT_REJECTED("'callbackUrl' is required", "{" PROPERTY "}");
    ASSERT_REJECTED(BAD_URL_MESSAGE, "{" PROPERTY ",\"callbackUrl\":42}");
    ASSERT_REJECTED(BAD_URL_MESSAGE, "{" PROPERTY ",\"callbackUrl\":\"ftp://x\"}");
    ASSERT_REJECTED(BAD_URL_MESSAGE, "{" PROPERTY ",\"callbackUrl\":\"http://\"}");
    ASSERT_REJECTED(BAD_URL_MESSAGE, "{" PROPERTY ",\"callbackUrl\":\"https://\"}");
    ASSERT_REJECTED(BAD_URL_MESSAGE, "{" PROPERTY ",\"callbackUrl\":\"not a url\"}");
    ASSERT_REJECTED(BAD_URL_MESSAGE, "{" PROPERTY ",\"callbackUrl\":\"\"}");
    ASSERT_REJECTED(BAD_URL_MESSAGE, "{" PROPERTY ",\"callbackUrl\":\"http:///path\"}");
    ASSERT_REJECTED(BAD_URL_MESSAGE, "{" PROPERTY ",\"callbackUrl\":\"http://host/a b\"}");
    ASSERT_REJECTED(BAD_URL_MESSAGE, "{" PROPERTY ",\"callbackUrl\":\"http://host/\\nx\"}");
    ASSERT_REJECTED(BAD_URL_MESSAGE, "{" PROPERTY ",\"callbackUrl\":\"localhost:8080/callback\"}");
}

static void test_callback_url_length_limit(void)
{
    char *body = malloc(4096);
    char url[2050];
    struct parse_outcome at_limit, over_limit;

    ASSERT_NOT_NULL(body);
    memcpy(url, "http://h/", 9);
    memset(url + 9, 'a', 2048 - 9);
    url[2048] = '\0';
    snprintf(body, 4096, "{" PROPERTY ",\"callbackUrl\":\"%s\"}", url);
    parse(body, &at_limit);
    url[2048] = 'a';
    url[2049] = '\0';
    snprintf(body, 4096, "{" PROPERTY ",\"callbackUrl\":\"%s\"}", url);
    parse(body, &over_limit);
    free(body);
    ASSERT_EQ_INT(0, at_limit.rc);
    ASSERT_EQ_INT(-EINVAL, over_limit.rc);
    ASSERT_EQ_STR(BAD_URL_MESSAGE, over_limit.error);
}

/* ---- the property's value -------------------------------------------------- */

/* The documented formula, written independently: FNV-1a 32 of lower(name) '|' upper(postcode without spaces). */
static long documented_value(const char *name_or_number, const char *postcode)
{
    uint32_t hash = 2166136261u;
    for (const char *c = name_or_number; *c; c++) {
        char lower = (*c >= 'A' && *c <= 'Z') ? (char)(*c - 'A' + 'a') : *c;
        hash = (hash ^ (uint8_t)lower) * 16777619u;
    }
    hash = (hash ^ (uint8_t)'|') * 16777619u;
    for (const char *c = postcode; *c; c++) {
        if (*c == ' ')
            continue;
        char upper = (*c >= 'a' && *c <= 'z') ? (char)(*c - 'a' + 'A') : *c;
        hash = (hash ^ (uint8_t)upper) * 16777619u;
    }
    return 100000 + (long)(hash % 9001u) * 100;
}

static void test_value_follows_the_documented_formula(void)
{
    ASSERT_EQ_INT(documented_value("999", "PO1 1CE"), valuation_request_property_value("999", "PO1 1CE"));
    ASSERT_EQ_INT(documented_value("Flat 2, 10", "SW1A 1AA"),
                  valuation_request_property_value("Flat 2, 10", "SW1A 1AA"));
    ASSERT_EQ_INT(documented_value("", ""), valuation_request_property_value("", ""));
}

static void test_value_is_deterministic(void)
{
    long first = valuation_request_property_value("999", "PO1 1CE");
    long second = valuation_request_property_value("999", "PO1 1CE");

    ASSERT_EQ_INT(first, second);
}

static void test_value_is_in_range_and_a_multiple_of_100(void)
{
    static const char *const postcodes[] = { "PO1 1CE", "SW1A 1AA", "EC1A 1BB", "W1A 0AX", "M1 1AE",
                                             "B33 8TH", "CR2 6XH",  "DN55 1PT", "",        "X" };
    for (size_t i = 0; i < sizeof(postcodes) / sizeof(postcodes[0]); i++) {
        for (int number = 1; number <= 50; number++) {
            char name[16];
            snprintf(name, sizeof(name), "%d", number);
            long value = valuation_request_property_value(name, postcodes[i]);
            ASSERT_TRUE(value >= 100000 && value <= 1000100);
            ASSERT_EQ_INT(0, value % 100);
        }
    }
}

static void test_value_differs_for_different_postcodes_and_names(void)
{
    long base = valuation_request_property_value("999", "PO1 1CE");

    ASSERT_TRUE(base != valuation_request_property_value("999", "PO1 1CF"));
    ASSERT_TRUE(base != valuation_request_property_value("999", "SW1A 1AA"));
    ASSERT_TRUE(base != valuation_request_property_value("998", "PO1 1CE"));
}

static void test_postcode_case_and_spaces_do_not_matter(void)
{
    long base = valuation_request_property_value("999", "PO1 1CE");

    ASSERT_EQ_INT(base, valuation_request_property_value("999", "po1 1ce"));
    ASSERT_EQ_INT(base, valuation_request_property_value("999", "PO11CE"));
    ASSERT_EQ_INT(base, valuation_request_property_value("999", " p o 1 1 c e "));
    ASSERT_EQ_INT(valuation_request_property_value("Rose Cottage", "A1"),
                  valuation_request_property_value("ROSE COTTAGE", "a1"));
}

/* ---- the response and the test switches ------------------------------------ */

static void check_response(const struct valuation_request *request, const char *reference,
                           const char *expected_reference, bool expect_failed)
{
    char *text = valuation_request_response_body(request, reference);
    cJSON *response = text ? cJSON_Parse(text) : NULL;
    const char *sent_reference = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(response, "valuationReference"));
    bool reference_ok = sent_reference && strcmp(sent_reference, expected_reference) == 0;
    double value = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(response, "propertyValue"));
    const cJSON *failed = cJSON_GetObjectItemCaseSensitive(response, "failed");
    bool failed_ok = expect_failed ? cJSON_IsTrue(failed) : failed == NULL;
    int members = cJSON_GetArraySize(response);

    if (!reference_ok || !failed_ok)
        printf("# response: %s\n", text ? text : "(null)");
    cJSON_Delete(response);
    cJSON_free(text);
    ASSERT_TRUE(reference_ok);
    ASSERT_TRUE(value == (double)valuation_request_property_value(request->name_or_number, request->postcode));
    ASSERT_TRUE(failed_ok);
    ASSERT_EQ_INT(expect_failed ? 3 : 2, members);
}

static void test_normal_scenario(void)
{
    struct parse_outcome outcome;

    parse_property("999", "PO1 1CE", &outcome);
    ASSERT_EQ_INT(0, outcome.rc);
    ASSERT_EQ_INT(SCENARIO_NORMAL, outcome.request.scenario);
    ASSERT_EQ_INT(1, valuation_request_callback_count(&outcome.request));
    ASSERT_TRUE(valuation_request_delay_seconds(&outcome.request, 6) == 6);
    check_response(&outcome.request, "ref-123", "ref-123", false);
}

static void test_no_callback_scenario(void)
{
    struct parse_outcome outcome;

    parse_property("No callback", "PO1 1CE", &outcome);
    ASSERT_EQ_INT(0, outcome.rc);
    ASSERT_EQ_INT(SCENARIO_NO_CALLBACK, outcome.request.scenario);
    ASSERT_EQ_INT(0, valuation_request_callback_count(&outcome.request));
}

static void test_duplicate_response_scenario(void)
{
    struct parse_outcome outcome;

    parse_property("Duplicate response", "PO1 1CE", &outcome);
    ASSERT_EQ_INT(0, outcome.rc);
    ASSERT_EQ_INT(SCENARIO_DUPLICATE_RESPONSE, outcome.request.scenario);
    ASSERT_EQ_INT(2, valuation_request_callback_count(&outcome.request));
    check_response(&outcome.request, "ref-123", "ref-123", false);
}

static void test_late_callback_scenario(void)
{
    struct parse_outcome outcome;

    parse_property("Late callback", "PO1 1CE", &outcome);
    ASSERT_EQ_INT(0, outcome.rc);
    ASSERT_EQ_INT(SCENARIO_LATE_CALLBACK, outcome.request.scenario);
    ASSERT_EQ_INT(1, valuation_request_callback_count(&outcome.request));
    ASSERT_TRUE(valuation_request_delay_seconds(&outcome.request, 6) == 45);
    ASSERT_TRUE(valuation_request_delay_seconds(&outcome.request, 0.5) == 45);
}

static void test_unknown_reference_scenario(void)
{
    struct parse_outcome outcome;

    parse_property("Unknown reference", "PO1 1CE", &outcome);
    ASSERT_EQ_INT(0, outcome.rc);
    ASSERT_EQ_INT(SCENARIO_UNKNOWN_REFERENCE, outcome.request.scenario);
    ASSERT_EQ_INT(1, valuation_request_callback_count(&outcome.request));
    check_response(&outcome.request, "ref-123", "unknown-ref", false);
}

static void test_failed_response_scenario(void)
{
    struct parse_outcome outcome;

    parse_property("Failed response", "PO1 1CE", &outcome);
    ASSERT_EQ_INT(0, outcome.rc);
    ASSERT_EQ_INT(SCENARIO_FAILED_RESPONSE, outcome.request.scenario);
    ASSERT_EQ_INT(1, valuation_request_callback_count(&outcome.request));
    check_response(&outcome.request, "ref-123", "ref-123", true);
}

static void test_switches_match_exactly(void)
{
    struct parse_outcome lower, padded;

    parse_property("no callback", "PO1 1CE", &lower);
    parse_property("No callback ", "PO1 1CE", &padded);
    ASSERT_EQ_INT(0, lower.rc);
    ASSERT_EQ_INT(SCENARIO_NORMAL, lower.request.scenario);
    ASSERT_EQ_INT(0, padded.rc);
    ASSERT_EQ_INT(SCENARIO_NORMAL, padded.request.scenario);
    ASSERT_EQ_INT(1, valuation_request_callback_count(&lower.request));
}

int main(void)
{
    RUN(test_valid_request_parses);
    RUN(test_https_and_upper_case_scheme_are_accepted);
    RUN(test_body_must_be_an_object);
    RUN(test_property_is_required_and_an_object);
    RUN(test_name_or_number_is_required_and_a_string);
    RUN(test_postcode_is_required_and_a_string);
    RUN(test_field_length_limit);
    RUN(test_callback_url_is_required_and_http);
    RUN(test_callback_url_length_limit);
    RUN(test_value_follows_the_documented_formula);
    RUN(test_value_is_deterministic);
    RUN(test_value_is_in_range_and_a_multiple_of_100);
    RUN(test_value_differs_for_different_postcodes_and_names);
    RUN(test_postcode_case_and_spaces_do_not_matter);
    RUN(test_normal_scenario);
    RUN(test_no_callback_scenario);
    RUN(test_duplicate_response_scenario);
    RUN(test_late_callback_scenario);
    RUN(test_unknown_reference_scenario);
    RUN(test_failed_response_scenario);
    RUN(test_switches_match_exactly);
    return test_done();
}
