/*
 * sfn_api_request - what every operation of the Step Functions API does
 * with its request: read members, check them against the service model's
 * limits, and answer the errors AWS answers (ValidationException texts,
 * 503 when Redis is away). Shared by the files that implement operations;
 * depends on no other file of the API.
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
#include "sfn_arn.h"

/* SensitiveData: input and output are at most 256 KiB of UTF-8. */
#define SFN_MAX_PAYLOAD_BYTES 262144
#define SFN_MAX_ERROR_LENGTH 256
#define SFN_MAX_CAUSE_LENGTH 32768

struct activities;
struct execution_waiters;
struct engine;
struct redis_client;

/* What every operation works with; set by the owner, outlives every request. */
struct mock_config;

struct sfn_api {
    struct engine *engine;
    struct redis_client *redis;
    struct activities *activities;
    const char *api_token;     /* NULL or empty: open; else POST / requires Authorization: Bearer <api_token> ... */
    const char *console_token; /* ... or the console's cookie token=<console_token> (when that is set) */
    const struct mock_config *mocks;   /* SFN_MOCK_CONFIG's test cases (<stateMachineArn>#<case>), or NULL */
    struct execution_waiters *waiters; /* StartSyncExecution's waits for ends (NULL: it answers 503) */
};

/* One operation: validates body (a JSON object) and answers request, now or from a callback. */
typedef void sfn_operation(struct http_request *request, struct sfn_api *api, const cJSON *body);

/*
 * Answers an AWS-style error: 400 (or status) with {"__type":
 * "<namespace>#<code>", "message"} in the namespace AWS uses for code.
 */
void sfn_request_reply_error(struct http_request *request, unsigned status, const char *code, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

/* Answers 200 with the empty result {} (StopExecution-like operations that return nothing). */
void sfn_request_reply_empty(struct http_request *request);

/* Answers StateMachineDoesNotExist / ExecutionDoesNotExist in AWS's words for arn. */
void sfn_request_reply_no_state_machine(struct http_request *request, const char *arn);
void sfn_request_reply_no_execution(struct http_request *request, const char *arn);

/*
 * Answers 503 (Redis unavailable, or out of memory when api's Redis client
 * saw it refuse a write for maxmemory lately; for -EBUSY, the execution kept
 * changing) or, for -ENOMEM, 500 (api may be NULL then).
 */
void sfn_request_reply_unavailable(struct http_request *request, const struct sfn_api *api, int result);

/*
 * Answers 400 ValidationException: "1 validation error detected: Value at
 * '<member>' failed to satisfy constraint: <constraint>".
 */
void sfn_request_reply_validation(struct http_request *request, const char *member, const char *constraint);

/*
 * An optional string member into *value (NULL when absent or null).
 * Answers SerializationException and returns false when it is there but
 * not a string (e.g. "input": {...} instead of its JSON text).
 */
__attribute__((warn_unused_result)) bool sfn_request_optional_string(struct http_request *request, const cJSON *body,
                                                                     const char *member, const char **value);

/*
 * A required string member; answers ValidationException when it is missing
 * (SerializationException when it is not a string) and returns NULL.
 */
__attribute__((warn_unused_result)) const char *sfn_request_required_string(struct http_request *request,
                                                                            const cJSON *body, const char *member);

/*
 * Checks a string against the model's length limits, counted in characters
 * as AWS counts them; answers and returns false when it fails.
 */
__attribute__((warn_unused_result)) bool sfn_request_check_length(struct http_request *request, const char *member,
                                                                  const char *value, size_t minimum, size_t maximum);

/*
 * The model's paging members: maxResults (0-1000; 0 or absent: 100) and
 * nextToken (an offset this API handed out). Answers ValidationException
 * or InvalidToken and returns false when one is wrong.
 */
__attribute__((warn_unused_result)) bool sfn_request_page(struct http_request *request, const cJSON *body,
                                                          long *max_results, long *offset);

/* Checks input or output against SensitiveData's limit: 256 KiB of UTF-8 bytes. Answers and returns false when over. */
__attribute__((warn_unused_result)) bool sfn_request_check_payload(struct http_request *request, const char *member,
                                                                   const char *value);

/*
 * The optional error (at most SFN_MAX_ERROR_LENGTH characters) and cause
 * (SFN_MAX_CAUSE_LENGTH) of SendTaskFailure and StopExecution, NULL when
 * absent; answers and returns false when one is not a string or too long.
 */
__attribute__((warn_unused_result)) bool sfn_request_error_and_cause(struct http_request *request, const cJSON *body,
                                                                     const char **error, const char **cause);

/* Whether text is one JSON value. */
bool sfn_request_valid_json(const char *text);

/*
 * Checks a JSON document the API stores (an execution's input, a task's
 * output), given as member's string value: its size (SFN_MAX_PAYLOAD_BYTES)
 * and nesting (INTERPRETER_MAX_NESTING levels of arrays and objects: the
 * store could not hold deeper, and no state could take it). Answers 400
 * (ValidationException for the size, error_code with message_prefix
 * otherwise) and returns false when it fails; it does not check that text is
 * JSON (each caller words that error its own way).
 */
__attribute__((warn_unused_result)) bool sfn_request_check_document(struct http_request *request, const char *member,
                                                                    const char *text, const char *error_code,
                                                                    const char *message_prefix);

/* The model's name rules: 1-80 characters, no white space, control or forbidden characters. */
bool sfn_request_valid_name(const char *name);

/* The model's PageSize: maxResults is 0-1000, and 0 or none means 100. */
#define SFN_DEFAULT_PAGE_SIZE 100
#define SFN_MAX_PAGE_SIZE 1000
/* The model's PageToken and ListExecutionsPageToken lengths. */
#define SFN_MAX_PAGE_TOKEN_LENGTH 1024
#define SFN_MAX_LIST_EXECUTIONS_TOKEN_LENGTH 3096

/*
 * Answers 400 ValidationException about a member's value, as AWS words it
 * (recorded): "1 validation error detected: Value '<value>' at '<member>'
 * failed to satisfy constraint: <constraint>".
 */
void sfn_request_reply_invalid_value(struct http_request *request, const char *member, const char *value,
                                     const char *constraint);

/*
 * Reads the optional maxResults into page_size (SFN_DEFAULT_PAGE_SIZE when
 * absent or 0); answers the validation error and returns false when it is
 * not a whole number of 0-1000.
 */
__attribute__((warn_unused_result)) bool sfn_request_page_size(struct http_request *request, const cJSON *body,
                                                               size_t *page_size);

/* The same for a maxResults of 0 to maximum (0 or absent: SFN_DEFAULT_PAGE_SIZE, which must not exceed maximum). */
__attribute__((warn_unused_result)) bool sfn_request_max_results(struct http_request *request, const cJSON *body,
                                                                 size_t maximum, size_t *page_size);

/*
 * Reads the optional nextToken (NULL when absent) into token; answers the
 * validation error and returns false when it is not a string of 1 to
 * max_length characters.
 */
__attribute__((warn_unused_result)) bool sfn_request_page_token(struct http_request *request, const cJSON *body,
                                                                size_t max_length, const char **token);

/*
 * Reads the optional member (NULL when absent) into value; answers the
 * validation error and returns false when it is not one of the count
 * allowed values (listed in the message in the order given).
 */
__attribute__((warn_unused_result)) bool sfn_request_enum(struct http_request *request, const cJSON *body,
                                                          const char *member, const char *const *allowed, size_t count,
                                                          const char **value);

/*
 * Reads the required ARN member (1-256 characters) as an ARN of type into
 * arn and returns its text; answers (ValidationException, or InvalidArn
 * "Invalid Arn: '<detail>'") and returns NULL when it is missing or invalid.
 */
__attribute__((warn_unused_result)) const char *sfn_request_arn(struct http_request *request, const cJSON *body,
                                                                const char *member, enum sfn_arn_type type,
                                                                struct sfn_arn *arn);

#endif
