/*
 * fuzz_valuation_request - the valuation service's POST /valuations body:
 * json_parse of the raw bytes (as the server reads them), then
 * valuation_request_parse and, for a valid request, the property's value,
 * the ValuationResponse body and the scenario's callbacks.
 *
 * Input: the request body.
 */
#include "fuzz_input.h"
#include "json_util.h"
#include "valuation_request.h"

#include <cjson/cJSON.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *body = NULL;
    if (json_parse((const char *)data, size, &body) < 0)
        return 0;
    struct valuation_request request;
    char error[512];
    if (valuation_request_parse(body, &request, error, sizeof error) == 0) {
        (void)valuation_request_property_value(request.name_or_number, request.postcode);
        char *response = valuation_request_response_body(&request, "ref-0001");
        cJSON_free(response);
        (void)valuation_request_callback_count(&request);
        (void)valuation_request_delay_seconds(&request, 6.0);
    }
    cJSON_Delete(body);
    return 0;
}
