/*
 * sqs_send_message - what an Amazon SQS SendMessage request of a Task says,
 * checked the way SQS checks it, the message record a local queue keeps,
 * and what SQS answers. Pure (no I/O): used by task_functions for
 * arn:aws:states:::sqs:sendMessage(.waitForTaskToken) and by local_queue.
 *
 * A queue is named by the last path segment of its QueueUrl,
 * http(s)://<host>/<account>/<QueueName>: 1-80 characters of
 * A-Z a-z 0-9 '_' '-', where a FIFO queue's name ends in ".fifo" (counted
 * in the 80).
 */
#ifndef SQS_SEND_MESSAGE_H
#define SQS_SEND_MESSAGE_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define SQS_QUEUE_NAME_MAX 80
#define SQS_QUEUE_NAME_SIZE (SQS_QUEUE_NAME_MAX + 1)
/* SQS's limits: a body of at most 256 KiB, DelaySeconds 0-900, 10 message attributes. */
#define SQS_MESSAGE_MAX_BYTES (256 * 1024)
#define SQS_DELAY_SECONDS_MAX 900
#define SQS_MESSAGE_ATTRIBUTES_MAX 10

/* The error a Task reports when SQS refuses the request (AWS's name for it). */
#define SQS_SERVICE_ERROR "SQS.AmazonSQSException"
/* The error a Task reports when SQS cannot be reached. */
#define SQS_CLIENT_ERROR "SQS.SdkClientException"

/*
 * Writes the QueueName of queue_url into name. Returns 0, or -EINVAL when
 * queue_url is not an http(s) URL whose last path segment is a queue name
 * (name is then "").
 */
__attribute__((warn_unused_result)) int sqs_queue_name(const char *queue_url, char name[SQS_QUEUE_NAME_SIZE]);

/* A SendMessage request read from a Task's resolved Parameters. */
/* An MD5 as 32 lower-case hex digits and a NUL, as SQS answers them. */
#define SQS_MD5_HEX_SIZE 33

struct sqs_send_message_request {
    char queue_name[SQS_QUEUE_NAME_SIZE];
    char *body;                      /* the text to send, owned, from cJSON's allocator */
    long delay_seconds;              /* 0 when absent; checked, not honoured (see local_queue.h) */
    const cJSON *message_attributes; /* borrowed from the parameters; NULL when there are none */
    char md5_of_body[SQS_MD5_HEX_SIZE];
    char md5_of_message_attributes[SQS_MD5_HEX_SIZE]; /* "" when there are no attributes */
};

/*
 * Reads QueueUrl (required), MessageBody (required: a string is sent as is,
 * any other JSON value as its JSON text, as Step Functions does),
 * DelaySeconds (optional, 0-900) and MessageAttributes (optional: at most
 * 10 of {"DataType": "String"|"Number"|"Binary"[.label], "StringValue" or
 * "BinaryValue" (base64)}), and computes the MD5 digests SQS answers with.
 * MessageGroupId and MessageDeduplicationId are not read. Returns 0 with
 * request filled in; -EINVAL with SQS's reason in cause, ended as Step
 * Functions reports it: "(Service: AmazonSQS; Status Code: 400; Error Code:
 * <code>; Request ID: <fresh uuid>; Proxy: null)" (the request holds nothing
 * to release); or -ENOMEM.
 */
__attribute__((warn_unused_result)) int sqs_send_message_parse(const cJSON *parameters,
                                                               struct sqs_send_message_request *request, char *cause,
                                                               size_t cause_size);

/* Frees what sqs_send_message_parse() allocated; safe on a zeroed request. */
void sqs_send_message_request_release(struct sqs_send_message_request *request);

/*
 * The record a local queue keeps for the message, shaped like a message of
 * SQS's ReceiveMessage answer:
 *   {"MessageId", "MD5OfBody", "Body", "Attributes": {"SentTimestamp": "<epoch ms>"},
 *    ["MD5OfMessageAttributes", "MessageAttributes"]}
 * Returns the JSON text (free with cJSON_free), or NULL when out of memory.
 */
char *sqs_message_record(const struct sqs_send_message_request *request, const char *message_id, long long sent_ms);

/*
 * The Task output of a successful SendMessage:
 *   {"MD5OfMessageAttributes" (when there are attributes), "MD5OfMessageBody", "MessageId",
 *    "SdkHttpMetadata": {...}, "SdkResponseMetadata": {"RequestId": request_id}}
 * Returns the JSON text (free with cJSON_free), or NULL when out of memory.
 */
char *sqs_send_message_output(const struct sqs_send_message_request *request, const char *message_id,
                              const char *request_id);

#endif
