/* sns_publish - see sns_publish.h. */
#include "sns_publish.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_resource_name.h"
#include "json_util.h"

#define ARN_PREFIX "arn:aws:sns:"
/* How SNS and Step Functions end the cause of a refused request. */
#define INVALID_PARAMETER_SUFFIX " (Service: AmazonSNS; Status Code: 400; Error Code: InvalidParameter)"

/* Skips one non-empty ARN field of the allowed characters and its ':'; NULL when there is none. */
static const char *skip_field(const char *text, const char *allowed)
{
    size_t length = strspn(text, allowed);
    return length > 0 && text[length] == ':' ? text + length + 1 : NULL;
}

/* The TopicName part of arn:aws:sns:<region>:<account>:<TopicName>, or NULL. */
static const char *name_in_arn(const char *arn)
{
    if (strncmp(arn, ARN_PREFIX, sizeof(ARN_PREFIX) - 1) != 0 || strlen(arn) >= SNS_TOPIC_ARN_SIZE)
        return NULL;
    const char *account = skip_field(arn + sizeof(ARN_PREFIX) - 1, "abcdefghijklmnopqrstuvwxyz0123456789-");
    return account ? skip_field(account, "0123456789") : NULL;
}

int sns_topic_name(const char *topic, char name[SNS_TOPIC_NAME_SIZE])
{
    const char *candidate = strncmp(topic, "arn:", 4) == 0 ? name_in_arn(topic) : topic;
    name[0] = '\0';
    if (!candidate || !aws_resource_name_valid(candidate, SNS_TOPIC_NAME_MAX))
        return -EINVAL;
    strcpy(name, candidate);
    return 0;
}

int sns_topic_arn(const char *topic, const char *region, const char *account, char arn[SNS_TOPIC_ARN_SIZE])
{
    char name[SNS_TOPIC_NAME_SIZE];
    if (sns_topic_name(topic, name) < 0)
        return -EINVAL;
    bool bare_name = strcmp(name, topic) == 0;
    int length = bare_name ? snprintf(arn, SNS_TOPIC_ARN_SIZE, ARN_PREFIX "%s:%s:%s", region, account, name)
                           : snprintf(arn, SNS_TOPIC_ARN_SIZE, "%s", topic);
    return length > 0 && length < SNS_TOPIC_ARN_SIZE ? 0 : -EINVAL;
}

static int refuse(char *cause, size_t cause_size, const char *reason)
{
    snprintf(cause, cause_size, "%s%s", reason, INVALID_PARAMETER_SUFFIX);
    return -EINVAL;
}

static int check_topic(const cJSON *topic, char *cause, size_t cause_size)
{
    char name[SNS_TOPIC_NAME_SIZE];
    char reason[512];
    if (!topic || cJSON_IsNull(topic))
        return refuse(cause, cause_size,
                      "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter");
    if (!cJSON_IsString(topic))
        return refuse(cause, cause_size, "Invalid parameter: TopicArn Reason: must be a string");
    if (sns_topic_name(topic->valuestring, name) == 0)
        return 0;
    snprintf(reason, sizeof(reason),
             "Invalid parameter: TopicArn Reason: '%.200s' is neither arn:aws:sns:<region>:<account>:<TopicName> nor "
             "a TopicName (1-256 of A-Z a-z 0-9 _ -, optionally ending in .fifo)",
             topic->valuestring);
    return refuse(cause, cause_size, reason);
}

static int check_subject(const cJSON *subject, char *cause, size_t cause_size)
{
    static const char reason[] = "Invalid parameter: Subject Reason: must be 1-100 printable ASCII characters "
                                 "without line breaks";
    if (!subject)
        return 0;
    if (!cJSON_IsString(subject) || !subject->valuestring[0] || strlen(subject->valuestring) > SNS_SUBJECT_MAX)
        return refuse(cause, cause_size, reason);
    for (const char *c = subject->valuestring; *c; c++) {
        if (*c < ' ' || *c > '~')
            return refuse(cause, cause_size, reason);
    }
    return 0;
}

/* The text SNS sends: a string as is, any other value as its JSON text. Returns 0, -EINVAL or -ENOMEM. */
static int message_text(const cJSON *message, char **text, char *cause, size_t cause_size)
{
    *text = NULL;
    if (!message || cJSON_IsNull(message))
        return refuse(cause, cause_size, "Invalid parameter: Message Reason: no value for required parameter");
    *text = json_text_of(message);
    if (!*text)
        return -ENOMEM;
    const char *reason = !(*text)[0]                             ? "Invalid parameter: Empty message"
                         : strlen(*text) > SNS_MESSAGE_MAX_BYTES ? "Invalid parameter: Message too long"
                                                                 : NULL;
    if (!reason)
        return 0;
    cJSON_free(*text);
    *text = NULL;
    return refuse(cause, cause_size, reason);
}

int sns_publish_parse(const cJSON *parameters, struct sns_publish_request *request, char *cause, size_t cause_size)
{
    const cJSON *topic = cJSON_GetObjectItemCaseSensitive(parameters, "TopicArn");
    const cJSON *subject = cJSON_GetObjectItemCaseSensitive(parameters, "Subject");
    memset(request, 0, sizeof(*request));
    int result = check_topic(topic, cause, cause_size);
    if (result == 0)
        result = check_subject(subject, cause, cause_size);
    if (result == 0)
        result =
            message_text(cJSON_GetObjectItemCaseSensitive(parameters, "Message"), &request->message, cause, cause_size);
    if (result < 0)
        return result;
    request->topic = topic->valuestring;
    request->subject = subject ? subject->valuestring : NULL;
    return 0;
}

void sns_publish_request_release(struct sns_publish_request *request)
{
    cJSON_free(request->message);
    memset(request, 0, sizeof(*request));
}

int sns_publish_output(const char *message_id, const char *request_id, char *out, size_t size)
{
    int length = snprintf(out, size,
                          "{\"MessageId\":\"%s\",\"SdkHttpMetadata\":{\"HttpStatusCode\":200},"
                          "\"SdkResponseMetadata\":{\"RequestId\":\"%s\"}}",
                          message_id, request_id);
    return length >= 0 && (size_t)length < size ? 0 : -ENOSPC;
}
