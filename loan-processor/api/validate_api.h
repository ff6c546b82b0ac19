/*
 * validate_api - ValidateStateMachineDefinition: a definition's diagnostics
 * (definition_diagnostics) without creating anything. Answers at once: it
 * reads no store.
 */
#ifndef VALIDATE_API_H
#define VALIDATE_API_H

#include "sfn_api_request.h"

/* ValidateStateMachineDefinition: definition, type, severity, maxResults -> result, diagnostics, truncated. */
void validate_api_validate(struct http_request *request, struct sfn_api *api, const cJSON *body);

#endif
