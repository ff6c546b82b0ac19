/*
 * activities - Step Functions activities in Redis: the activities
 * themselves, the tasks queued for their workers, and the workers waiting
 * for a task (GetActivityTask's long poll).
 *
 * Keys. An activity's keys share its own Redis Cluster hash tag, so that
 * activities (their queues above all) spread over a cluster's masters; the
 * index has a slot of its own:
 *   {sfn:activity:<name>}:activity  hash: arn, name, creationDate (ms)
 *   {sfn:activity:<name>}:tasks     list: queued tasks, oldest first, each the JSON
 *                                   {"taskToken","input"} a worker receives; at most
 *                                   max_queued_tasks
 *   {sfn:activity:<name>}:tags      hash: the activity's tags, key -> value; created
 *                                   and deleted with the activity
 *   {sfn:activities}:index          sorted set: activity names by creation time (ms)
 * No script can touch both slots, so CreateActivity and DeleteActivity are
 * steps in an order that keeps every index entry's activity in existence:
 * create reads the index's size (the quota), creates the activity's keys,
 * then adds the index entry; delete removes the index entry, then the keys.
 * A crash between two steps leaves an activity that exists (Describe,
 * GetActivityTask and SendTask* work) but is not listed, until a
 * CreateActivity (idempotent) or DeleteActivity of that name finishes the
 * job. Creations racing at the quota may pass it by a few.
 * Several loan-processors share them: a task queued by one is handed to a
 * worker polling another.
 *
 * A poll waits on its suspended HTTP request: no thread, no blocking Redis
 * call (the connection is shared, so no BLPOP). Pollers of one activity
 * wait in a FIFO; at most one Redis take is in flight per activity and
 * process. A take happens when the poll arrives, when this process queues
 * a task for the activity, and every poll_interval_ms while pollers wait
 * (for tasks other processes queued). A task taken is first claimed for the
 * poller (the engine records ActivityStarted, which also tells whether the
 * task is still open); a poller whose client has gone does not swallow it:
 * the task goes back to the head of the queue.
 */
#ifndef ACTIVITIES_H
#define ACTIVITIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event_loop.h"
#include "redis_client.h"

struct activities;

struct activities_config {
    const char *region; /* of the ARNs; borrowed, must outlive the activities */
    const char *account;
    uint64_t poll_timeout_ms;   /* how long a poll waits for a task (AWS: 60 s) */
    uint64_t poll_interval_ms;  /* how often waiting pollers look for tasks queued elsewhere */
    size_t max_pollers;         /* polls waiting in this process; more get -EBUSY */
    long long max_activities;   /* AWS's quota: 10,000 per account and region */
    long long max_queued_tasks; /* per activity */
};

/* An activity as stored; the strings are borrowed for the callback. */
struct activity_description {
    const char *arn;
    const char *name;
    int64_t created_ms;
};

/* status: 0, or a negative code (see each operation); activity is NULL unless stated otherwise. */
typedef void (*activity_callback)(int status, const struct activity_description *activity, void *data);
typedef void (*activity_status_callback)(int status, void *data);
/* status 0: count activities from the requested offset, and whether more follow. */
typedef void (*activity_list_callback)(int status, const struct activity_description *activities, size_t count,
                                       bool more, void *data);

/*
 * status 0 (for a listing: count tags as key, value pairs ordered by key,
 * tags[2i] and tags[2i+1], borrowed), -ENOENT (no such activity), -E2BIG
 * (tagging would leave more than the most allowed; nothing changed), -EIO
 * or -ENOMEM.
 */
typedef void (*activity_tags_callback)(int status, const char *const *tags, size_t count, void *data);

/* How a poller's claim on a task ended: 0 claimed; -ETIMEDOUT the task is closed; other < 0: not recorded. */
typedef void (*activity_claim_done)(int status, void *context);

/* One GetActivityTask. The strings are copied; data is passed to every function. */
struct activity_poll {
    const char *name;        /* the activity's (valid) name */
    const char *worker_name; /* NULL: none */
    /* Whether the poller's client still waits for the answer. */
    bool (*still_wanted)(void *data);
    /*
     * Records that worker_name takes the task of token (ActivityStarted).
     * Returns 0 and later calls done(status, context) once, or a negative
     * code and never calls it.
     */
    int (*claim)(const char *token, const char *worker_name, activity_claim_done done, void *context, void *data);
    /*
     * The poll's end, called exactly once: status 0 with the task (token and
     * input, borrowed) or without one (NULL, NULL: nothing came in time, or
     * shutdown); -ENOENT the activity does not exist; -ECANCELED the client
     * went away; -EIO Redis is unavailable.
     */
    void (*answer)(int status, const char *token, const char *input, void *data);
    void *data;
};

/*
 * Creates the activities of one process and registers their Lua scripts.
 * Returns 0, or -ENOMEM / -ENOSPC (script registration), and nothing is
 * left allocated.
 */
__attribute__((warn_unused_result)) int activities_create(struct event_loop *loop, struct redis_client *redis,
                                                          const struct activities_config *config,
                                                          struct activities **activities);

/*
 * Shutdown: answers every waiting poll without a task and refuses new ones
 * (-ESHUTDOWN). Takes and claims in flight finish normally. Safe on NULL.
 */
void activities_stop(struct activities *activities);

/* Frees the activities; call once Redis is destroyed (every poll has been answered then). Safe on NULL. */
void activities_destroy(struct activities *activities);

/* The ARN of activity name in this process's region and account. Returns 0 or -ENAMETOOLONG. */
__attribute__((warn_unused_result)) int activities_arn(const struct activities *activities, const char *name, char *out,
                                                       size_t size);

/*
 * The operations below return 0 and later call callback exactly once; or
 * -ENOTCONN / -EAGAIN (Redis unavailable), -ENOMEM, and never call it.
 * A Redis failure after sending reaches the callback as -EIO.
 */

/*
 * CreateActivity: creates activity name (a valid name), or finds the one
 * that exists (idempotent). The callback gets 0 and the activity, or
 * -EDQUOT (max_activities reached), -EIO.
 */
__attribute__((warn_unused_result)) int activities_create_activity(struct activities *activities, const char *name,
                                                                   activity_callback callback, void *data);

/* CreateActivity with tag_count tags (key, value pairs) for a new activity; an existing one keeps its own. */
__attribute__((warn_unused_result)) int activities_create_tagged(struct activities *activities, const char *name,
                                                                 const char *const *tags, size_t tag_count,
                                                                 activity_callback callback, void *data);

/* DescribeActivity: 0 and the activity, or 0 and NULL when it does not exist; -EIO. */
__attribute__((warn_unused_result)) int activities_describe(struct activities *activities, const char *name,
                                                            activity_callback callback, void *data);

/* ListActivities: up to limit activities from offset, oldest first. */
__attribute__((warn_unused_result)) int activities_list(struct activities *activities, long offset, long limit,
                                                        activity_list_callback callback, void *data);

/*
 * TagResource: sets count tags (key, value pairs; an existing key gets the
 * new value) on activity name, unless it would then have more than max_tags.
 */
__attribute__((warn_unused_result)) int activities_tag(struct activities *activities, const char *name,
                                                       const char *const *tags, size_t count, size_t max_tags,
                                                       activity_tags_callback callback, void *data);

/* UntagResource: removes the count keys from the activity's tags (unknown keys are ignored). */
__attribute__((warn_unused_result)) int activities_untag(struct activities *activities, const char *name,
                                                         const char *const *keys, size_t count,
                                                         activity_tags_callback callback, void *data);

/* ListTagsForResource: the activity's tags. */
__attribute__((warn_unused_result)) int activities_list_tags(struct activities *activities, const char *name,
                                                             activity_tags_callback callback, void *data);

/* DeleteActivity: deletes the activity, its tags and its queued tasks (0 also when there was none); -EIO. */
__attribute__((warn_unused_result)) int activities_delete(struct activities *activities, const char *name,
                                                          activity_status_callback callback, void *data);

/* Whether the activity of arn exists: 0, -ENOENT, or -EIO. */
__attribute__((warn_unused_result)) int activities_check(struct activities *activities, const char *arn,
                                                         activity_status_callback callback, void *data);

/*
 * Queues a task (token and input, JSON text) for the workers of the
 * activity of arn and wakes this process's pollers of it. The callback gets
 * 0, -ENOENT (no such activity), -ENOSPC (max_queued_tasks are queued) or -EIO.
 */
__attribute__((warn_unused_result)) int activities_enqueue(struct activities *activities, const char *arn,
                                                           const char *token, const char *input,
                                                           activity_status_callback callback, void *data);

/*
 * GetActivityTask: waits up to poll_timeout_ms for a task of the activity.
 * Returns 0 and calls poll->answer exactly once, later or (when Redis
 * refuses the first take) before returning; or -EBUSY (max_pollers already
 * wait), -ESHUTDOWN (stopping), -ENOTCONN (Redis unavailable), -ENOMEM,
 * and never calls it.
 */
__attribute__((warn_unused_result)) int activities_poll(struct activities *activities,
                                                        const struct activity_poll *poll);

#endif
