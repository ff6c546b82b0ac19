/*
 * tag_api - the tag operations of the Step Functions API: TagResource,
 * UntagResource and ListTagsForResource, for state machines and
 * activities (the resources AWS tags), with AWS's limits, error codes and
 * texts; and the tags member of CreateStateMachine and CreateActivity.
 * Listed in sfn_api.c's operations table.
 *
 * The tags are kept by the module that owns the resource
 * (state_machine_store, activities), created and deleted with it.
 */
#ifndef TAG_API_H
#define TAG_API_H

#include <stdbool.h>
#include <stddef.h>

#include "sfn_api_request.h"

/* AWS's quota: at most 50 tags per resource. */
#define TAG_API_MAX_TAGS 50

/* TagResource {resourceArn, tags: [{key, value}]}: {}. InvalidArn, ResourceNotFound, TooManyTags. */
sfn_operation tag_api_tag;

/* UntagResource {resourceArn, tagKeys: [key]}: {}; unknown keys are ignored. InvalidArn, ResourceNotFound. */
sfn_operation tag_api_untag;

/* ListTagsForResource {resourceArn}: {tags: [{key, value}]} ordered by key. InvalidArn, ResourceNotFound. */
sfn_operation tag_api_list;

/*
 * Reads the optional tags member of a create operation for the resource
 * arn into *tags, *count key, value pairs (tags[2i], tags[2i+1], borrowed
 * from body; *tags is NULL when there are none, else the caller frees it).
 * Answers (SerializationException, ValidationException, TooManyTags when
 * more than TAG_API_MAX_TAGS distinct keys, or 500) and returns false when
 * they cannot be taken.
 */
__attribute__((warn_unused_result)) bool tag_api_read_create_tags(struct http_request *request, const cJSON *body,
                                                                  const char *arn, const char ***tags, size_t *count);

#endif
