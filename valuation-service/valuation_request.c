/* valuation_request - see valuation_request.h. */
#include "valuation_request.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "json_util.h"

static const struct {
    const char *name_or_number;
    enum valuation_scenario scenario;
} scenarios[] = {
    { "No callback", SCENARIO_NO_CALLBACK },
    { "Late callback", SCENARIO_LATE_CALLBACK },
    { "Unknown reference", SCENARIO_UNKNOWN_REFERENCE },
    { "Failed response", SCENARIO_FAILED_RESPONSE },
    { "Duplicate response", SCENARIO_DUPLICATE_RESPONSE },
};

static int invalid(char *error, size_t error_size, const char *message)
{
    snprintf(error, error_size, "%s", message);
    return -EINVAL;
}

static int check_text_field(const cJSON *property, const char *name, const char **value, char *error, size_t error_size)
{
    const cJSON *member = cJSON_GetObjectItemCaseSensitive(property, name);
    if (!member) {
        snprintf(error, error_size, "'property.%s' is required", name);
        return -EINVAL;
    }
    if (!cJSON_IsString(member) || member->valuestring[0] == '\0'
        || strlen(member->valuestring) > VALUATION_MAX_FIELD_LENGTH) {
        snprintf(error, error_size, "'property.%s' must be a non-empty string of at most %d characters", name,
                 VALUATION_MAX_FIELD_LENGTH);
        return -EINVAL;
    }
    *value = member->valuestring;
    return 0;
}

static bool is_http_url(const char *url)
{
    const char *rest = strncasecmp(url, "http://", 7) == 0    ? url + 7
                       : strncasecmp(url, "https://", 8) == 0 ? url + 8
                                                              : NULL;
    if (!rest || !*rest || *rest == '/')
        return false;
    for (const char *c = url; *c; c++) {
        if (isspace((unsigned char)*c) || iscntrl((unsigned char)*c))
            return false;
    }
    return true;
}

int valuation_request_parse(const cJSON *body, struct valuation_request *request, char *error, size_t error_size)
{
    memset(request, 0, sizeof(*request));
    if (!cJSON_IsObject(body))
        return invalid(error, error_size, "The body must be a JSON object (a ValuationRequest)");
    const cJSON *property = cJSON_GetObjectItemCaseSensitive(body, "property");
    if (!property)
        return invalid(error, error_size, "'property' is required");
    if (!cJSON_IsObject(property))
        return invalid(error, error_size, "'property' must be an object with nameOrNumber and postcode");
    if (check_text_field(property, "nameOrNumber", &request->name_or_number, error, error_size) < 0
        || check_text_field(property, "postcode", &request->postcode, error, error_size) < 0)
        return -EINVAL;
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(body, "callbackUrl");
    if (!url)
        return invalid(error, error_size, "'callbackUrl' is required");
    if (!cJSON_IsString(url) || strlen(url->valuestring) > VALUATION_MAX_URL_LENGTH || !is_http_url(url->valuestring))
        return invalid(error, error_size,
                       "'callbackUrl' must be an http:// or https:// URL of at most 2048 characters");
    request->callback_url = url->valuestring;
    request->scenario = SCENARIO_NORMAL;
    for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
        if (strcmp(request->name_or_number, scenarios[i].name_or_number) == 0)
            request->scenario = scenarios[i].scenario;
    }
    return 0;
}

static uint32_t fnv1a(uint32_t hash, unsigned char byte)
{
    return (hash ^ byte) * 16777619u;
}

long valuation_request_property_value(const char *name_or_number, const char *postcode)
{
    uint32_t hash = 2166136261u;
    for (const unsigned char *c = (const unsigned char *)name_or_number; *c; c++)
        hash = fnv1a(hash, (unsigned char)tolower(*c));
    hash = fnv1a(hash, '|');
    for (const unsigned char *c = (const unsigned char *)postcode; *c; c++) {
        if (*c != ' ')
            hash = fnv1a(hash, (unsigned char)toupper(*c));
    }
    return 100000L + (long)(hash % 9001u) * 100L;
}

char *valuation_request_response_body(const struct valuation_request *request, const char *reference)
{
    cJSON *response = cJSON_CreateObject();
    char *text = NULL;
    const char *sent_reference = request->scenario == SCENARIO_UNKNOWN_REFERENCE ? "unknown-ref" : reference;
    long value = valuation_request_property_value(request->name_or_number, request->postcode);
    if (response && cJSON_AddStringToObject(response, "valuationReference", sent_reference)
        && cJSON_AddNumberToObject(response, "propertyValue", (double)value)
        && (request->scenario != SCENARIO_FAILED_RESPONSE || cJSON_AddBoolToObject(response, "failed", true)))
        text = json_print(response);
    cJSON_Delete(response);
    return text;
}

int valuation_request_callback_count(const struct valuation_request *request)
{
    switch (request->scenario) {
    case SCENARIO_NO_CALLBACK:
        return 0;
    case SCENARIO_DUPLICATE_RESPONSE:
        return 2;
    default:
        return 1;
    }
}

double valuation_request_delay_seconds(const struct valuation_request *request, double normal_delay_seconds)
{
    return request->scenario == SCENARIO_LATE_CALLBACK ? VALUATION_LATE_DELAY_SECONDS : normal_delay_seconds;
}
