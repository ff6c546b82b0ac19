/*
 * activity_api - the activity operations of the Step Functions API:
 * CreateActivity, DescribeActivity, ListActivities, DeleteActivity and
 * GetActivityTask (a long poll on a suspended request), in AWS's shapes and
 * wording. Listed in sfn_api.c's operations table.
 */
#ifndef ACTIVITY_API_H
#define ACTIVITY_API_H

#include "sfn_api_request.h"

/* CreateActivity {name, tags?}: {activityArn, creationDate}; idempotent on the name. */
sfn_operation activity_api_create;

/* DescribeActivity {activityArn}: {activityArn, name, creationDate}, or ActivityDoesNotExist. */
sfn_operation activity_api_describe;

/* ListActivities {maxResults?, nextToken?}: {activities: [{activityArn, name, creationDate}], nextToken?}. */
sfn_operation activity_api_list;

/* DeleteActivity {activityArn}: {}, also when there is no such activity; its queued tasks go with it. */
sfn_operation activity_api_delete;

/*
 * GetActivityTask {activityArn, workerName?}: {taskToken, input} for the
 * oldest queued task, waiting for one up to ACTIVITY_POLL_SECONDS; {} when
 * none came. ActivityDoesNotExist, ActivityWorkerLimitExceeded.
 */
sfn_operation activity_api_get_task;

#endif
