/*
 * fuzz_http_json - the JSON decoding every HTTP-facing route does with a
 * body: json_parse of exactly the bytes received (not NUL-terminated, as
 * libmicrohttpd hands them over), then what the routes read and write back:
 * the webhook's ValuationResponse members, the API's string members and
 * their checks (sfn_request_valid_json on "input", the UTF-8 length rules),
 * json_print and json_text_of of the document, and a re-parse of the print.
 *
 * The webhook's and the API operations' own checks need an http_request
 * (they answer it), so they are not reachable here; this target covers the
 * pure decoding and helpers they call.
 *
 * Input: a request body.
 */
#include "fuzz_input.h"
#include "json_util.h"
#include "sfn_api_request.h"
#include "utf8.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

/* The members the API and the webhook read as strings. */
static const char *const string_members[] = {
    "valuationReference", "input", "output", "name", "definition", "stateMachineArn", "executionArn", "taskToken",
};

static void read_members(const cJSON *body)
{
    for (size_t i = 0; i < sizeof string_members / sizeof string_members[0]; i++) {
        const char *value = json_string_member(body, string_members[i]);
        if (!value)
            continue;
        (void)utf8_is_valid(value, strlen(value));
        (void)utf8_count_text(value);
        (void)sfn_request_valid_name(value);
        (void)sfn_request_valid_json(value);
    }
    (void)json_object_member(body, "property");
    (void)cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(body, "propertyValue"));
}

static void print_and_reparse(const cJSON *body)
{
    char *printed = json_print(body);
    if (printed) {
        cJSON *again = NULL;
        if (json_parse(printed, strlen(printed), &again) == 0)
            cJSON_Delete(again);
        cJSON_free(printed);
    }
    char *text = json_text_of(body);
    cJSON_free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)utf8_is_valid((const char *)data, size);
    (void)utf8_count((const char *)data, size);
    cJSON *body = NULL;
    if (json_parse((const char *)data, size, &body) < 0)
        return 0;
    read_members(body);
    print_and_reparse(body);
    cJSON_Delete(body);
    return 0;
}
