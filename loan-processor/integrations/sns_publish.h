/*
 * sns_publish - what an Amazon SNS Publish request says, checked the way SNS
 * checks it, and what SNS answers. Pure (no I/O): shared by the Step
 * Functions integration (arn:aws:states:::sns:publish in task_functions)
 * and the local topic itself (local_topic).
 *
 * A topic is named by its ARN, arn:aws:sns:<region>:<account>:<TopicName>,
 * or by its bare TopicName: 1-256 characters of A-Z a-z 0-9 '_' '-', where
 * a FIFO topic's name ends in ".fifo" (counted in the 256).
 */
#ifndef SNS_PUBLISH_H
#define SNS_PUBLISH_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define SNS_TOPIC_NAME_MAX 256
#define SNS_TOPIC_NAME_SIZE (SNS_TOPIC_NAME_MAX + 1)
#define SNS_TOPIC_ARN_SIZE 512
/* SNS's limits: a message of at most 256 KiB, a subject of at most 100 characters. */
#define SNS_MESSAGE_MAX_BYTES (256 * 1024)
#define SNS_SUBJECT_MAX 100

/* The error a Task reports when SNS refuses the request's parameters. */
#define SNS_INVALID_PARAMETER_ERROR "SNS.InvalidParameterException"

/*
 * Writes the TopicName of topic (an ARN or a bare name) into name.
 * Returns 0, or -EINVAL when topic is neither (name is then "").
 */
__attribute__((warn_unused_result)) int sns_topic_name(const char *topic, char name[SNS_TOPIC_NAME_SIZE]);

/*
 * Writes topic's ARN into arn: topic itself when it is an ARN, else
 * arn:aws:sns:<region>:<account>:<topic> for a bare name. Returns 0, or
 * -EINVAL when topic is neither, or region/account would not fit.
 */
__attribute__((warn_unused_result)) int sns_topic_arn(const char *topic, const char *region, const char *account,
                                                      char arn[SNS_TOPIC_ARN_SIZE]);

/* A Publish request read from a Task's resolved Parameters. */
struct sns_publish_request {
    const char *topic;   /* TopicArn, borrowed from the parameters */
    char *message;       /* the text to send, owned, from cJSON's allocator (see sns_publish_request_release) */
    const char *subject; /* borrowed; NULL when there is none */
};

/*
 * Reads TopicArn (required, an ARN or a topic name), Message (required: a
 * string is sent as is, any other JSON value as its JSON text, as Step
 * Functions does) and Subject (optional) from parameters. Returns 0 with
 * request filled in; -EINVAL with SNS's reason in cause (the request holds
 * nothing to release); or -ENOMEM.
 */
__attribute__((warn_unused_result)) int sns_publish_parse(const cJSON *parameters, struct sns_publish_request *request,
                                                          char *cause, size_t cause_size);

/* Frees what sns_publish_parse() allocated; safe on a zeroed request. */
void sns_publish_request_release(struct sns_publish_request *request);

/*
 * Writes the Task output of a successful Publish:
 * {"MessageId":..,"SdkHttpMetadata":{"HttpStatusCode":200},"SdkResponseMetadata":{"RequestId":..}}.
 * Returns 0, or -ENOSPC when it does not fit in size bytes.
 */
__attribute__((warn_unused_result)) int sns_publish_output(const char *message_id, const char *request_id, char *out,
                                                           size_t size);

#endif
