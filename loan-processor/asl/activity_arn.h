/*
 * activity_arn - the ARN of a Step Functions activity,
 * arn:aws:states:<region>:<account>:activity:<name>. Pure: no I/O.
 *
 * A Task whose Resource is such an ARN hands its work to the activity's
 * workers (GetActivityTask) instead of a service integration.
 */
#ifndef ACTIVITY_ARN_H
#define ACTIVITY_ARN_H

#include <stdbool.h>
#include <stddef.h>

/* The model's Arn: at most 256 characters (and the NUL). */
#define ACTIVITY_ARN_SIZE 257
/* Activity names are the model's Name: 1-80 characters. */
#define ACTIVITY_NAME_SIZE 81

struct activity_arn {
    char region[64];
    char account[13];
    char name[ACTIVITY_NAME_SIZE];
    char resource_type[64]; /* "activity"; for ACTIVITY_ARN_OTHER_RESOURCE the type found instead */
};

enum activity_arn_status {
    ACTIVITY_ARN_VALID,
    ACTIVITY_ARN_MALFORMED,      /* not arn:aws:states:<region>:<12-digit account>:<type>:<name> */
    ACTIVITY_ARN_OTHER_RESOURCE, /* a Step Functions ARN of another resource type (stateMachine, execution...) */
};

/*
 * Classifies arn and, when it is an activity's, fills parsed (which may be
 * NULL). The name part is checked for its length (1-80) and for colons
 * only; the caller applies the name rules where AWS does.
 */
__attribute__((warn_unused_result)) enum activity_arn_status activity_arn_parse(const char *arn,
                                                                                struct activity_arn *parsed);

/* Whether a Task's Resource names an activity. */
bool activity_arn_is_activity(const char *resource);

/* Writes the ARN of activity name in region and account. Returns 0, or -ENAMETOOLONG when it does not fit. */
__attribute__((warn_unused_result)) int activity_arn_format(const char *region, const char *account, const char *name,
                                                            char *out, size_t size);

#endif
