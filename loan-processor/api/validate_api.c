/* validate_api - see validate_api.h. */
#include "validate_api.h"

#include <errno.h>
#include <string.h>

#include "definition_diagnostics.h"

/* The model's ValidateStateMachineDefinitionMaxResult maximum (also the default). */
#define VALIDATE_MAX_RESULTS 100

static cJSON *diagnostic_json(const struct definition_diagnostic *diagnostic)
{
    cJSON *item = cJSON_CreateObject();
    bool ok =
        item
        && cJSON_AddStringToObject(item, "severity", diagnostic->severity == DEFINITION_ERROR ? "ERROR" : "WARNING")
        && cJSON_AddStringToObject(item, "code", diagnostic->code)
        && cJSON_AddStringToObject(item, "message", diagnostic->message)
        && (!diagnostic->location[0] || cJSON_AddStringToObject(item, "location", diagnostic->location));
    if (!ok) {
        cJSON_Delete(item);
        return NULL;
    }
    return item;
}

/* The response for list, of which at most max_results are returned; NULL when out of memory. */
static cJSON *validation_response(const struct definition_diagnostics *list, size_t max_results)
{
    cJSON *response = cJSON_CreateObject();
    cJSON *items = cJSON_CreateArray();
    bool failed = false;
    bool ok = response && items;
    for (size_t i = 0; ok && i < list->count; i++) {
        failed = failed || list->items[i].severity == DEFINITION_ERROR;
        cJSON *item = i < max_results ? diagnostic_json(&list->items[i]) : NULL;
        ok = i >= max_results || (item && cJSON_AddItemToArray(items, item));
    }
    ok = ok && cJSON_AddStringToObject(response, "result", failed ? "FAIL" : "OK")
         && cJSON_AddItemToObject(response, "diagnostics", items);
    if (ok)
        items = NULL; /* the response owns it */
    ok = ok && cJSON_AddBoolToObject(response, "truncated", list->count > max_results);
    cJSON_Delete(items);
    if (!ok) {
        cJSON_Delete(response);
        return NULL;
    }
    return response;
}

void validate_api_validate(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    static const char *const types[] = { "STANDARD", "EXPRESS" };
    static const char *const severities[] = { "ERROR", "WARNING" };
    const char *definition = sfn_request_required_string(request, body, "definition");
    const char *type_name, *severity;
    size_t max_results;
    if (!definition || !sfn_request_check_length(request, "definition", definition, 1, DEFINITION_MAX_LENGTH)
        || !sfn_request_enum(request, body, "type", types, 2, &type_name)
        || !sfn_request_enum(request, body, "severity", severities, 2, &severity)
        || !sfn_request_max_results(request, body, VALIDATE_MAX_RESULTS, &max_results))
        return;
    enum machine_type type = type_name && strcmp(type_name, "EXPRESS") == 0 ? MACHINE_EXPRESS : MACHINE_STANDARD;
    bool warnings = severity && strcmp(severity, "WARNING") == 0;
    struct definition_diagnostics list = { 0 };
    int result = definition_diagnose(definition, type, warnings, &list);
    if (result < 0)
        sfn_request_reply_unavailable(request, api, result);
    else
        http_request_reply_json(request, 200, validation_response(&list, max_results));
    definition_diagnostics_free(&list);
}
