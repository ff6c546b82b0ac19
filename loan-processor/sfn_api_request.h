/*
 * sfn_api_request - what every operation of the Step Functions API does
 * with its request: read members, check them against the service model's
 * limits, and answer the errors AWS answers (ValidationException texts,
 * 503 when Redis is away). Shared by the files that implement operations.
 *
 * The functions that take a request answer it themselves when a check
 * fails; the caller then just returns.
 */
#ifndef SFN_API_REQUEST_H
#define SFN_API_REQUEST_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "http_server.h"

/* SensitiveData: input and output are at most 256 KiB of UTF-8. */
#define SFN_MAX_PAYLOAD_BYTES 262144
#define SFN_MAX_ERROR_LENGTH 256
#define SFN_MAX_CAUSE_LENGTH 32768

struct sfn_api;

/* One operation: validates body (a JSON object) and answers request, now or from a callback. */
typedef void sfn_operation(struct http_request *request, struct sfn_api *api, const cJSON *body);

/* Answers 503 (Redis unavailable) or, for -ENOMEM, 500. */
void sfn_request_reply_unavailable(struct http_request *request, int result);

/* Answers 400 ValidationException: "1 validation error detected: Value at '<member>' failed to satisfy constraint: <constraint>". */
void sfn_request_reply_validation(struct http_request *request, const char *member, const char *constraint);

/* A required string member; answers the validation error and returns NULL when it is missing. */
const char *sfn_request_required_string(struct http_request *request, const cJSON *body, const char *member);

/* Checks a string against the model's length limits; answers and returns false when it fails. */
bool sfn_request_check_length(struct http_request *request, const char *member, const char *value, size_t minimum,
                              size_t maximum);

/*
 * The model's paging members: maxResults (0-1000; 0 or absent: 100) and
 * nextToken (an offset this API handed out). Answers ValidationException
 * or InvalidToken and returns false when one is wrong.
 */
bool sfn_request_page(struct http_request *request, const cJSON *body, long *max_results, long *offset);

/* Whether text is one JSON value. */
bool sfn_request_valid_json(const char *text);

/* The model's name rules: 1-80 characters, no white space, control or forbidden characters. */
bool sfn_request_valid_name(const char *name);

#endif
