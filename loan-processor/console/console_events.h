/*
 * console_events - the web console's live updates: a stream of Server-Sent
 * Events (GET /console/events) fed by Redis Pub/Sub, so that a change made
 * by any loan-processor on the same Redis reaches every open console.
 *
 * Events (the data is one line of JSON):
 *   execution  {"executionArn","status","lastEventId"}: a committed change
 *              that added history events (EXECUTION_STORE_CHANGES_CHANNEL)
 *   topic      {"topic","message"}: a message published on the error topic
 *   resync     {}: the subscription was re-made after Redis was lost, so
 *              changes may have been missed; read again what is shown
 * and a ": keep-alive" comment every keep_alive_ms. A client that went away
 * frees its place within about a second (the HTTP server notices it).
 *
 * Its own Redis connection subscribes; the process's main connection is not
 * involved.
 */
#ifndef CONSOLE_EVENTS_H
#define CONSOLE_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "event_loop.h"
#include "http_server.h"
#include "redis_client.h"

struct console_events;

struct console_events_config {
    const char *redis_url;
    uint64_t redis_timeout_ms;
    const char *topic_name;  /* the error topic's name (its channel: local_topic_key) */
    unsigned max_streams;    /* open streams at once (one address: 3/4 of them); more get 503 TooManyStreams */
    size_t max_unsent_bytes; /* a client that lets more pile up is disconnected */
    uint64_t keep_alive_ms;
};

/*
 * Creates the hub and its subscriber connection (which connects in the
 * background). Returns 0, -ENOMEM, or what creating the Redis client
 * returned (-EINVAL: a bad URL).
 */
__attribute__((warn_unused_result)) int console_events_create(struct event_loop *loop,
                                                              const struct console_events_config *config,
                                                              struct console_events **events);

/* Answers GET /console/events with a stream that stays open, or 503 (shutting down, too many streams). */
void console_events_handle(struct http_request *request, struct console_events *events);

/* Open streams. */
size_t console_events_stream_count(const struct console_events *events);

/*
 * Shutdown has begun: ends every stream (browsers reconnect to another
 * instance or wait), refuses new ones, and closes the subscription.
 */
void console_events_close(struct console_events *events);

/* Closes (if not done yet) and frees the hub; safe on NULL. */
void console_events_destroy(struct console_events *events);

#endif
