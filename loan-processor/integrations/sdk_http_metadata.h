/*
 * sdk_http_metadata - the "SdkHttpMetadata" and "SdkResponseMetadata"
 * members Step Functions adds to the output of an optimized integration's
 * request (lambda:invoke, sqs:sendMessage, ...), as the AWS Java SDK reports
 * the HTTP answer it received:
 *   "SdkHttpMetadata": {"AllHttpHeaders": {"<name>": ["<value>"], ...},
 *                       "HttpHeaders": {"<name>": "<value>", ...},
 *                       "HttpStatusCode": 200},
 *   "SdkResponseMetadata": {"RequestId": "<id>"}
 * Pure (no I/O).
 */
#ifndef SDK_HTTP_METADATA_H
#define SDK_HTTP_METADATA_H

#include <cjson/cJSON.h>
#include <stddef.h>

struct sdk_http_header {
    const char *name;
    const char *value;
};

/*
 * Adds both members to output, listing headers and then x-amzn-RequestId
 * (request_id) among the headers. Returns 0, or -ENOMEM (output may then
 * hold part of them: the caller deletes it).
 */
__attribute__((warn_unused_result)) int sdk_http_metadata_add(cJSON *output, const struct sdk_http_header *headers,
                                                              size_t count, const char *request_id);

#endif
