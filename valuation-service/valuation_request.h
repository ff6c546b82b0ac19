/*
 * valuation_request - the mock valuation service's rules, pure (no I/O):
 * validating a ValuationRequest, the property's value, and the test
 * switches of the blog's follow-up post.
 *
 * Property value: FNV-1a (32-bit) of the lower-cased nameOrNumber, a '|',
 * and the upper-cased postcode without spaces; value = 100000 + (hash mod
 * 9001) * 100, i.e. 100,000 to 1,000,100 in steps of 100. The same property
 * always gets the same value, so tests and demos can check it.
 *
 * Switches on property.nameOrNumber (exactly as in blog-task-tokens-part-2):
 *   "No callback"         201, but no callback is ever sent
 *   "Late callback"       the callback comes after 45 s instead of 6 s
 *   "Unknown reference"   the callback carries valuationReference "unknown-ref"
 *   "Failed response"     the callback carries "failed": true
 *   "Duplicate response"  the same callback is sent twice
 */
#ifndef VALUATION_REQUEST_H
#define VALUATION_REQUEST_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define VALUATION_MAX_URL_LENGTH 2048
#define VALUATION_MAX_FIELD_LENGTH 200
/* The follow-up post's code delays 'Late callback' by 45 s (the post says 60). */
#define VALUATION_LATE_DELAY_SECONDS 45

enum valuation_scenario {
    SCENARIO_NORMAL,
    SCENARIO_NO_CALLBACK,
    SCENARIO_LATE_CALLBACK,
    SCENARIO_UNKNOWN_REFERENCE,
    SCENARIO_FAILED_RESPONSE,
    SCENARIO_DUPLICATE_RESPONSE,
};

struct valuation_request {
    const char *name_or_number; /* borrowed from the parsed body */
    const char *postcode;
    const char *callback_url;
    enum valuation_scenario scenario;
};

/*
 * Validates a parsed ValuationRequest and fills request with pointers into
 * body. Returns 0, or -EINVAL with a message for the client in error.
 */
__attribute__((warn_unused_result)) int valuation_request_parse(const cJSON *body, struct valuation_request *request,
                                                                char *error, size_t error_size);

/* The property's value (see above). */
long valuation_request_property_value(const char *name_or_number, const char *postcode);

/*
 * The ValuationResponse the service will POST back for reference, as JSON
 * text the caller frees with cJSON_free; NULL when out of memory.
 */
char *valuation_request_response_body(const struct valuation_request *request, const char *reference);

/* How many callbacks the scenario sends (0, 1 or 2). */
int valuation_request_callback_count(const struct valuation_request *request);

/* The delay before the callback, in seconds before TIME_SCALE, given the normal delay. */
double valuation_request_delay_seconds(const struct valuation_request *request, double normal_delay_seconds);

#endif
