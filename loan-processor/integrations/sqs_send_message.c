/* sqs_send_message - see sqs_send_message.h. */
#include "sqs_send_message.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws_resource_name.h"
#include "base64.h"
#include "digest.h"
#include "json_util.h"
#include "random_id.h"
#include "sdk_http_metadata.h"

#define ATTRIBUTE_NAME_MAX 256
#define ATTRIBUTE_TYPE_MAX 256

/* The MD5 of length bytes of data as SQS writes it: 32 lower-case hex digits. */
static void md5_hex(const void *data, size_t length, char out[SQS_MD5_HEX_SIZE])
{
    char hex[DIGEST_MAX_HEX_SIZE];
    digest_hex(DIGEST_MD5, data, length, hex);
    memcpy(out, hex, SQS_MD5_HEX_SIZE);
}
int sqs_queue_name(const char *queue_url, char name[SQS_QUEUE_NAME_SIZE])
{
    const char *rest = strncmp(queue_url, "http://", 7) == 0    ? queue_url + 7
                       : strncmp(queue_url, "https://", 8) == 0 ? queue_url + 8
                                                                : NULL;
    name[0] = '\0';
    const char *host_end = rest ? strchr(rest, '/') : NULL;
    if (!host_end || host_end == rest)
        return -EINVAL;
    const char *last = strrchr(host_end, '/') + 1;
    if (!aws_resource_name_valid(last, SQS_QUEUE_NAME_MAX))
        return -EINVAL;
    strcpy(name, last);
    return 0;
}

/* Writes SQS's reason, ended the way SQS and Step Functions end it (a fresh Request ID), into cause. Returns -EINVAL. */
static int refuse(char *cause, size_t cause_size, const char *error_code, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

static int refuse(char *cause, size_t cause_size, const char *error_code, const char *format, ...)
{
    char reason[1024];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(reason, sizeof(reason), format, arguments);
    va_end(arguments);
    char request_id[37];
    if (random_id_uuid(request_id) < 0)
        strcpy(request_id, "00000000-0000-0000-0000-000000000000");
    snprintf(cause, cause_size,
             "%s (Service: AmazonSQS; Status Code: 400; Error Code: %s; Request ID: %s; Proxy: null)", reason,
             error_code, request_id);
    return -EINVAL;
}

static int read_queue(const cJSON *queue_url, char name[SQS_QUEUE_NAME_SIZE], char *cause, size_t cause_size)
{
    if (!queue_url || cJSON_IsNull(queue_url))
        return refuse(cause, cause_size, "MissingParameter", "The request must contain the parameter QueueUrl.");
    if (!cJSON_IsString(queue_url))
        return refuse(cause, cause_size, "InvalidParameterValue",
                      "Value for parameter QueueUrl is invalid. Reason: must be a string.");
    if (sqs_queue_name(queue_url->valuestring, name) == 0)
        return 0;
    return refuse(cause, cause_size, "InvalidAddress",
                  "The address %.300s is not valid for this endpoint: a QueueUrl is http(s)://<host>/<account>/"
                  "<QueueName>, QueueName 1-80 of A-Z a-z 0-9 _ - (optionally ending in .fifo).",
                  queue_url->valuestring);
}

/* SQS accepts #x9 | #xA | #xD | #x20 and up; returns the first other character, or 0. */
static unsigned char first_invalid_character(const char *text)
{
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        if (*c < 0x20 && *c != '\t' && *c != '\n' && *c != '\r')
            return *c;
    }
    return 0;
}

/* Checks text as a message body; returns 0 or -EINVAL with the cause. */
static int check_body(const char *text, char *cause, size_t cause_size)
{
    unsigned char invalid = first_invalid_character(text);
    if (!text[0])
        return refuse(cause, cause_size, "MissingParameter", "The request must contain the parameter MessageBody.");
    if (strlen(text) > SQS_MESSAGE_MAX_BYTES)
        return refuse(cause, cause_size, "InvalidParameterValue",
                      "One or more parameters are invalid. Reason: Message must be shorter than %d bytes.",
                      SQS_MESSAGE_MAX_BYTES);
    if (invalid)
        return refuse(cause, cause_size, "InvalidMessageContents",
                      "Invalid binary character '#x%X' was found in the message body, the set of allowed characters "
                      "is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
                      invalid);
    return 0;
}

/* The text SQS sends: a string as is, any other value as its JSON text. Returns 0, -EINVAL or -ENOMEM. */
static int read_body(const cJSON *message_body, char **text, char *cause, size_t cause_size)
{
    *text = NULL;
    if (!message_body || cJSON_IsNull(message_body))
        return refuse(cause, cause_size, "MissingParameter", "The request must contain the parameter MessageBody.");
    *text = json_text_of(message_body);
    if (!*text)
        return -ENOMEM;
    int result = check_body(*text, cause, cause_size);
    if (result < 0) {
        cJSON_free(*text);
        *text = NULL;
    }
    return result;
}

static int read_delay(const cJSON *delay, long *seconds, char *cause, size_t cause_size)
{
    *seconds = 0;
    if (!delay)
        return 0;
    if (cJSON_IsNumber(delay) && delay->valuedouble >= 0 && delay->valuedouble <= SQS_DELAY_SECONDS_MAX
        && delay->valuedouble == (double)(long)delay->valuedouble) {
        *seconds = (long)delay->valuedouble;
        return 0;
    }
    char *text = json_print(delay);
    int result = refuse(cause, cause_size, "InvalidParameterValue",
                        "Value %.64s for parameter DelaySeconds is invalid. Reason: must be between 0 and %d, if "
                        "provided.",
                        text ? text : "(unprintable)", SQS_DELAY_SECONDS_MAX);
    cJSON_free(text);
    return result;
}

/* ---- message attributes ---- */

/* 1-256 of [A-Za-z0-9_.-], no leading, trailing or double '.', not starting with AWS. or Amazon. */
static bool is_attribute_name(const char *name)
{
    size_t length = strlen(name);
    if (length == 0 || length > ATTRIBUTE_NAME_MAX || name[0] == '.' || name[length - 1] == '.' || strstr(name, "..")
        || strncasecmp(name, "AWS.", 4) == 0 || strncasecmp(name, "Amazon.", 7) == 0)
        return false;
    for (size_t i = 0; i < length; i++) {
        if (!aws_resource_name_character(name[i]) && name[i] != '.')
            return false;
    }
    return true;
}

/* "String", "Number" or "Binary", optionally followed by ".<label>"; the base type's length, or 0. */
static size_t attribute_base_type(const char *data_type)
{
    static const char *const types[] = { "String", "Number", "Binary" };
    if (strlen(data_type) > ATTRIBUTE_TYPE_MAX)
        return 0;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        size_t length = strlen(types[i]);
        if (strncmp(data_type, types[i], length) == 0 && (data_type[length] == '\0' || data_type[length] == '.'))
            return length;
    }
    return 0;
}

static bool is_number(const char *text)
{
    char *end = NULL;
    strtod(text, &end);
    return end != text && *end == '\0';
}

static bool is_binary(const char *data_type)
{
    return strncmp(data_type, "Binary", 6) == 0;
}

/* The value of a checked attribute: StringValue or BinaryValue. */
static const char *attribute_value(const cJSON *attribute)
{
    const char *data_type = json_string_member(attribute, "DataType");
    return json_string_member(attribute, is_binary(data_type) ? "BinaryValue" : "StringValue");
}

static int check_attribute(const cJSON *attribute, char *cause, size_t cause_size)
{
    const char *name = attribute->string;
    if (!is_attribute_name(name))
        return refuse(cause, cause_size, "InvalidParameterValue",
                      "The message attribute name '%.300s' is invalid: names are 1-256 of A-Z a-z 0-9 _ - . without a "
                      "leading, trailing or double '.', and do not start with AWS. or Amazon.",
                      name);
    const char *data_type = json_string_member(attribute, "DataType");
    if (!data_type || !data_type[0])
        return refuse(cause, cause_size, "InvalidParameterValue",
                      "The message attribute '%s' must contain a non-empty message attribute type.", name);
    if (!attribute_base_type(data_type))
        return refuse(cause, cause_size, "InvalidParameterValue",
                      "The message attribute '%s' has an invalid message attribute type, the set of supported type "
                      "prefixes is Binary, Number, and String.",
                      name);
    const char *value = attribute_value(attribute);
    if (!value || !value[0])
        return refuse(cause, cause_size, "InvalidParameterValue",
                      "The message attribute '%s' must contain non-empty message attribute value for message attribute "
                      "type '%.256s'.",
                      name, data_type);
    if (strncmp(data_type, "Number", 6) == 0 && !is_number(value))
        return refuse(cause, cause_size, "InvalidParameterValue",
                      "Can't convert the value '%.64s' of the message attribute '%s' to a number.", value, name);
    return 0;
}

static int compare_attribute_names(const void *left, const void *right)
{
    const cJSON *const *a = left, *const *b = right;
    return strcmp((*a)->string, (*b)->string);
}

static uint8_t *append_length(uint8_t *out, size_t length)
{
    for (int shift = 24; shift >= 0; shift -= 8)
        *out++ = (uint8_t)(length >> shift);
    return out;
}

static uint8_t *append_text(uint8_t *out, const char *text)
{
    size_t length = strlen(text);
    out = append_length(out, length);
    memcpy(out, text, length);
    return out + length;
}

/*
 * SQS's MD5OfMessageAttributes: over the attributes sorted by name, each
 * encoded as name, DataType (each a 4-byte big-endian length and the UTF-8
 * bytes), a transport byte (1 String/Number, 2 Binary) and the value (length
 * and bytes; a Binary value decoded). Returns 0, -EINVAL with the cause
 * (a BinaryValue that is not base64) or -ENOMEM.
 */
static int digest_attributes(const cJSON *attributes, char md5[SQS_MD5_HEX_SIZE], char *cause, size_t cause_size)
{
    const cJSON *sorted[SQS_MESSAGE_ATTRIBUTES_MAX];
    size_t count = 0, size = 0;
    const cJSON *attribute;
    cJSON_ArrayForEach(attribute, attributes)
    {
        sorted[count++] = attribute;
        size += 4 + strlen(attribute->string) + 4 + strlen(json_string_member(attribute, "DataType")) + 1 + 4
                + strlen(attribute_value(attribute));
    }
    qsort(sorted, count, sizeof(sorted[0]), compare_attribute_names);
    uint8_t *buffer = cJSON_malloc(size ? size : 1);
    if (!buffer)
        return -ENOMEM;
    uint8_t *out = buffer;
    int result = 0;
    for (size_t i = 0; result == 0 && i < count; i++) {
        const char *data_type = json_string_member(sorted[i], "DataType");
        const char *value = attribute_value(sorted[i]);
        out = append_text(out, sorted[i]->string);
        out = append_text(out, data_type);
        *out++ = is_binary(data_type) ? 2 : 1;
        if (is_binary(data_type)) {
            size_t decoded_length = 0;
            if (base64_decode(value, out + 4, strlen(value), &decoded_length) < 0)
                result = refuse(cause, cause_size, "InvalidParameterValue",
                                "The message attribute '%s' has a BinaryValue that is not base64.", sorted[i]->string);
            out = append_length(out, decoded_length) + decoded_length;
        } else {
            out = append_text(out, value);
        }
    }
    if (result == 0)
        md5_hex(buffer, (size_t)(out - buffer), md5);
    cJSON_free(buffer);
    return result;
}

static int read_attributes(const cJSON *attributes, char md5[SQS_MD5_HEX_SIZE], char *cause, size_t cause_size)
{
    md5[0] = '\0';
    if (!attributes || cJSON_IsNull(attributes))
        return 0;
    if (!cJSON_IsObject(attributes))
        return refuse(cause, cause_size, "InvalidParameterValue",
                      "Value for parameter MessageAttributes is invalid. Reason: must be an object of attribute names "
                      "to {DataType, StringValue or BinaryValue}.");
    int count = cJSON_GetArraySize(attributes);
    if (count > SQS_MESSAGE_ATTRIBUTES_MAX)
        return refuse(cause, cause_size, "InvalidParameterValue",
                      "Number of message attributes [%d] exceeds the allowed maximum [%d].", count,
                      SQS_MESSAGE_ATTRIBUTES_MAX);
    const cJSON *attribute;
    cJSON_ArrayForEach(attribute, attributes)
    {
        int result = cJSON_IsObject(attribute)
                         ? check_attribute(attribute, cause, cause_size)
                         : refuse(cause, cause_size, "InvalidParameterValue",
                                  "The message attribute '%.300s' must be an object of DataType and StringValue or "
                                  "BinaryValue.",
                                  attribute->string);
        if (result < 0)
            return result;
    }
    return count ? digest_attributes(attributes, md5, cause, cause_size) : 0;
}

/* ---- the request ---- */

int sqs_send_message_parse(const cJSON *parameters, struct sqs_send_message_request *request, char *cause,
                           size_t cause_size)
{
    const cJSON *attributes = cJSON_GetObjectItemCaseSensitive(parameters, "MessageAttributes");
    memset(request, 0, sizeof(*request));
    int result =
        read_queue(cJSON_GetObjectItemCaseSensitive(parameters, "QueueUrl"), request->queue_name, cause, cause_size);
    if (result == 0)
        result = read_delay(cJSON_GetObjectItemCaseSensitive(parameters, "DelaySeconds"), &request->delay_seconds,
                            cause, cause_size);
    if (result == 0)
        result = read_attributes(attributes, request->md5_of_message_attributes, cause, cause_size);
    if (result == 0)
        result =
            read_body(cJSON_GetObjectItemCaseSensitive(parameters, "MessageBody"), &request->body, cause, cause_size);
    if (result < 0) {
        memset(request, 0, sizeof(*request));
        return result;
    }
    md5_hex(request->body, strlen(request->body), request->md5_of_body);
    request->message_attributes = request->md5_of_message_attributes[0] ? attributes : NULL;
    return 0;
}

void sqs_send_message_request_release(struct sqs_send_message_request *request)
{
    cJSON_free(request->body);
    memset(request, 0, sizeof(*request));
}

/* Prints document and deletes it; NULL when document is NULL or out of memory. */
static char *print_and_delete(cJSON *document, bool complete)
{
    char *text = complete ? json_print(document) : NULL;
    cJSON_Delete(document);
    return text;
}

char *sqs_message_record(const struct sqs_send_message_request *request, const char *message_id, long long sent_ms)
{
    char sent[24];
    snprintf(sent, sizeof(sent), "%lld", sent_ms);
    cJSON *record = cJSON_CreateObject();
    cJSON *attributes = NULL;
    bool ok = record && cJSON_AddStringToObject(record, "MessageId", message_id)
              && cJSON_AddStringToObject(record, "MD5OfBody", request->md5_of_body)
              && cJSON_AddStringToObject(record, "Body", request->body)
              && (attributes = cJSON_AddObjectToObject(record, "Attributes"))
              && cJSON_AddStringToObject(attributes, "SentTimestamp", sent);
    if (ok && request->message_attributes) {
        cJSON *copy = cJSON_Duplicate(request->message_attributes, true);
        ok = cJSON_AddStringToObject(record, "MD5OfMessageAttributes", request->md5_of_message_attributes) && copy
             && cJSON_AddItemToObject(record, "MessageAttributes", copy);
        if (!ok)
            cJSON_Delete(copy);
    }
    return print_and_delete(record, ok);
}

char *sqs_send_message_output(const struct sqs_send_message_request *request, const char *message_id,
                              const char *request_id)
{
    cJSON *output = cJSON_CreateObject();
    bool ok = output != NULL;
    if (ok && request->message_attributes)
        ok = cJSON_AddStringToObject(output, "MD5OfMessageAttributes", request->md5_of_message_attributes) != NULL;
    ok = ok && cJSON_AddStringToObject(output, "MD5OfMessageBody", request->md5_of_body)
         && cJSON_AddStringToObject(output, "MessageId", message_id);
    /* So far it is SQS's own answer, whose length the SDK reports as Content-Length. */
    char *answer = ok ? json_print(output) : NULL;
    char content_length[24];
    bool printed = answer != NULL;
    snprintf(content_length, sizeof(content_length), "%zu", printed ? strlen(answer) : 0);
    cJSON_free(answer);
    const struct sdk_http_header headers[] = {
        { "Content-Length", content_length },
        { "Content-Type", "application/x-amz-json-1.0" },
    };
    ok = printed && sdk_http_metadata_add(output, headers, sizeof(headers) / sizeof(headers[0]), request_id) == 0;
    return print_and_delete(output, ok);
}
