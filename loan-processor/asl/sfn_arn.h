/*
 * sfn_arn - reads the ARNs the Step Functions API takes and says, in AWS's
 * words, what is wrong with one that is not valid. Pure: no I/O.
 *
 * The API answers a failed check with 400 InvalidArn and the message
 * "Invalid Arn: '<detail>'", where detail is what these functions write:
 *   "Invalid ARN prefix: <value>"                      (AWS-recorded) the value is
 *       not arn:<partition>:states:<region>:<12-digit account>:<type>:<name>...
 *   "Resource type not valid in this context: <type>"  (AWS-recorded for "express")
 *       a well-formed ARN of another resource type, e.g. an execution ARN
 *       given where a state machine ARN is expected
 * Everything after the type is not checked further: a name that cannot
 * exist (a version or alias qualifier, say) is simply not found.
 */
#ifndef SFN_ARN_H
#define SFN_ARN_H

#include <stddef.h>

/* An ARN is at most 256 characters (the model's Arn shape), so every part fits. */
#define SFN_ARN_PART_SIZE 257

enum sfn_arn_type {
    SFN_ARN_STATE_MACHINE, /* arn:aws:states:<region>:<account>:stateMachine:<name> */
    SFN_ARN_EXECUTION,     /* arn:aws:states:<region>:<account>:execution:<stateMachine>:<name> */
    SFN_ARN_ACTIVITY,      /* arn:aws:states:<region>:<account>:activity:<name> */
    SFN_ARN_MAP_RUN,       /* arn:aws:states:<region>:<account>:mapRun:<stateMachine>/<label>:<uuid> */
};

/* What an ARN names. */
struct sfn_arn {
    char state_machine[SFN_ARN_PART_SIZE]; /* the state machine's name (may hold ':' for qualified ARNs) */
    char execution_id[SFN_ARN_PART_SIZE];  /* executions: "<stateMachine>:<execution>", the store's id */
    char activity[SFN_ARN_PART_SIZE];      /* activities: the activity's name */
    char map_run_id[SFN_ARN_PART_SIZE];    /* Map Runs: "<stateMachine>/<label>:<uuid>", the store's id (the
                                              parent's state machine name in state_machine) */
};

/*
 * Parses text as an ARN of type. Returns 0 and fills arn, or -EINVAL and
 * writes the InvalidArn detail (always NUL-terminated) into error. A Map
 * Run ARN whose id does not fit SFN_ARN_PART_SIZE (the model allows Map Run
 * ARNs of up to 2000 characters) is -ENAMETOOLONG: well formed, but no Map
 * Run has one (error then holds nothing useful).
 */
__attribute__((warn_unused_result)) int sfn_arn_parse(const char *text, enum sfn_arn_type type, struct sfn_arn *arn,
                                                      char *error, size_t error_size);

/*
 * Checks that text has the shape of an ARN,
 * arn:<partition>:<service>:<region>:<account>:<resource> with partition,
 * service and resource not empty (a role ARN: arn:aws:iam::123456789012:role/Name).
 * Returns 0, or -EINVAL with the InvalidArn detail in error.
 */
__attribute__((warn_unused_result)) int sfn_arn_check(const char *text, char *error, size_t error_size);

#endif
