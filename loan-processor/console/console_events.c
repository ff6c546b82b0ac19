/*
 * console_events - see console_events.h.
 */
#include "console_events.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "execution_store.h"
#include "local_topic.h"
#include "log.h"

/* EventSource waits this long before reconnecting after the stream ends. */
#define RECONNECT_DELAY_TEXT "2000"
#define TOPIC_NAME_SIZE 257

/* The address of a stream's client, to keep one address from taking every place. */
typedef char client_address[INET6_ADDRSTRLEN];

struct console_events {
    struct event_loop *loop;
    struct console_events_config config;
    struct redis_client *subscriber;
    struct http_stream **streams; /* config.max_streams slots, the first stream_count in use */
    client_address *addresses;    /* the client of each stream, slot for slot */
    size_t stream_count;
    struct event_timer keep_alive;
    bool keep_alive_armed;
    bool closed;
    bool was_connected; /* the subscriber has been connected before: a new connection is a resync */
    char topic_name[TOPIC_NAME_SIZE];
    char topic_channel[TOPIC_NAME_SIZE + 16];
};

static void forget_stream(struct console_events *events, size_t index)
{
    events->stream_count--;
    events->streams[index] = events->streams[events->stream_count];
    memcpy(events->addresses[index], events->addresses[events->stream_count], sizeof(client_address));
    if (events->stream_count == 0 && events->keep_alive_armed) {
        event_loop_timer_stop(events->loop, &events->keep_alive);
        events->keep_alive_armed = false;
    }
}

static size_t find_stream(const struct console_events *events, const struct http_stream *stream)
{
    for (size_t i = 0; i < events->stream_count; i++) {
        if (events->streams[i] == stream)
            return i;
    }
    return events->stream_count;
}

/* Writes text to every stream; a stream that cannot take it (its client does not read) is ended. */
static void write_to_all(struct console_events *events, const char *text, size_t length)
{
    for (size_t i = events->stream_count; i-- > 0;) {
        int result = http_stream_write(events->streams[i], text, length);
        if (result < 0) {
            log_event(LOG_WARN, "console-stream-dropped", "a console stream was ended: %s",
                      result == -ENOBUFS ? "its client does not read" : "out of memory");
            http_stream_end(events->streams[i]);
            forget_stream(events, i);
        }
    }
}

/* Sends one event; data must be a single line (JSON as printed unformatted). */
static void broadcast(struct console_events *events, const char *name, const char *data, size_t data_length)
{
    if (events->stream_count == 0 || memchr(data, '\n', data_length) != NULL)
        return;
    size_t size = strlen("event: \ndata: \n\n") + strlen(name) + data_length + 1;
    char *text = malloc(size);
    if (!text)
        return;
    int length = snprintf(text, size, "event: %s\ndata: %.*s\n\n", name, (int)data_length, data);
    if (length > 0)
        write_to_all(events, text, (size_t)length);
    free(text);
}

static void broadcast_topic_message(struct console_events *events, const char *message, size_t length)
{
    if (events->stream_count == 0)
        return;                      /* nobody watches: not worth a JSON document per message */
    char *text = malloc(length + 1); /* the message is not NUL-terminated */
    cJSON *event = cJSON_CreateObject();
    char *printed = NULL;
    if (text && event) {
        memcpy(text, message, length);
        text[length] = '\0';
        if (cJSON_AddStringToObject(event, "topic", events->topic_name)
            && cJSON_AddStringToObject(event, "message", text))
            printed = cJSON_PrintUnformatted(event);
    }
    if (printed)
        broadcast(events, "topic", printed, strlen(printed));
    cJSON_free(printed);
    cJSON_Delete(event);
    free(text);
}

static void on_message(const char *channel, const char *message, size_t length, void *data)
{
    struct console_events *events = data;
    if (strcmp(channel, EXECUTION_STORE_CHANGES_CHANNEL) == 0)
        broadcast(events, "execution", message, length);
    else if (strcmp(channel, events->topic_channel) == 0)
        broadcast_topic_message(events, message, length);
}

static void on_subscriber_change(bool connected, void *data)
{
    struct console_events *events = data;
    if (!connected)
        return;
    if (events->was_connected)
        broadcast(events, "resync", "{}", 2);
    events->was_connected = true;
}

static void on_keep_alive(struct event_timer *timer)
{
    struct console_events *events = timer->data;
    static const char comment[] = ": keep-alive\n\n";
    write_to_all(events, comment, sizeof(comment) - 1);
    if (events->stream_count > 0)
        event_loop_timer_start(events->loop, &events->keep_alive, events->config.keep_alive_ms, on_keep_alive, events);
    else
        events->keep_alive_armed = false;
}

static void on_stream_closed(struct http_stream *stream, void *data)
{
    struct console_events *events = data;
    size_t index = find_stream(events, stream);
    if (index < events->stream_count)
        forget_stream(events, index);
}

/* One address may hold three quarters of the places (all of them when there are fewer than four). */
static unsigned max_streams_per_address(const struct console_events *events)
{
    return events->config.max_streams - events->config.max_streams / 4;
}

static unsigned streams_from(const struct console_events *events, const char *address)
{
    unsigned count = 0;
    for (size_t i = 0; i < events->stream_count; i++)
        count += strcmp(events->addresses[i], address) == 0;
    return count;
}

void console_events_handle(struct http_request *request, struct console_events *events)
{
    static const struct http_header headers[] = {
        { "Cache-Control", "no-cache" }, { "X-Accel-Buffering", "no" }, /* a proxy in front must not hold events back */
    };
    static const char greeting[] = "retry: " RECONNECT_DELAY_TEXT "\n: connected\n\n";
    if (events->closed) {
        http_request_reply_error(request, 503, "ServiceUnavailable", "The server is shutting down");
        return;
    }
    if (events->stream_count >= events->config.max_streams) {
        http_request_reply_error(request, 503, "TooManyStreams",
                                 "This loan-processor already serves %u live consoles; close one and reload",
                                 events->config.max_streams);
        return;
    }
    client_address address;
    if (http_request_client_address(request, address, sizeof(address)) < 0)
        address[0] = '\0';
    unsigned per_address = max_streams_per_address(events);
    if (streams_from(events, address) >= per_address) {
        http_request_reply_error(request, 503, "TooManyStreams",
                                 "Your address already has %u live consoles open here; close one and reload",
                                 per_address);
        return;
    }
    struct http_stream *stream;
    if (http_request_reply_stream(request, "text/event-stream", headers, sizeof(headers) / sizeof(headers[0]),
                                  events->config.max_unsent_bytes, on_stream_closed, events, &stream)
        < 0)
        return;
    memcpy(events->addresses[events->stream_count], address, sizeof(address));
    events->streams[events->stream_count++] = stream;
    if (!events->keep_alive_armed) {
        event_loop_timer_start(events->loop, &events->keep_alive, events->config.keep_alive_ms, on_keep_alive, events);
        events->keep_alive_armed = true;
    }
    if (http_stream_write(stream, greeting, sizeof(greeting) - 1) < 0) {
        http_stream_end(stream);
        forget_stream(events, events->stream_count - 1);
    }
}

size_t console_events_stream_count(const struct console_events *events)
{
    return events->stream_count;
}

int console_events_create(struct event_loop *loop, const struct console_events_config *config,
                          struct console_events **events_out)
{
    struct console_events *events = calloc(1, sizeof(*events));
    if (!events)
        return -ENOMEM;
    events->loop = loop;
    events->config = *config;
    snprintf(events->topic_name, sizeof(events->topic_name), "%s", config->topic_name);
    local_topic_key(config->topic_name, events->topic_channel, sizeof(events->topic_channel));
    size_t slots = config->max_streams ? config->max_streams : 1;
    events->streams = calloc(slots, sizeof(*events->streams));
    events->addresses = calloc(slots, sizeof(*events->addresses));
    struct redis_client_config redis = { .url = config->redis_url,
                                         .command_timeout_ms = config->redis_timeout_ms,
                                         .max_pending = 8,
                                         .name = "loan-processor-console-events" };
    int result =
        events->streams && events->addresses ? redis_client_create(loop, &redis, &events->subscriber) : -ENOMEM;
    if (result == 0) {
        const char *channels[] = { EXECUTION_STORE_CHANGES_CHANNEL, events->topic_channel };
        result = redis_client_subscribe(events->subscriber, channels, 2, on_message, events);
    }
    if (result < 0) {
        console_events_destroy(events);
        return result;
    }
    redis_client_on_change(events->subscriber, on_subscriber_change, events);
    *events_out = events;
    return 0;
}

void console_events_close(struct console_events *events)
{
    if (!events || events->closed)
        return;
    events->closed = true;
    while (events->stream_count > 0) {
        http_stream_end(events->streams[events->stream_count - 1]);
        forget_stream(events, events->stream_count - 1);
    }
    if (events->subscriber)
        redis_client_close(events->subscriber);
}

void console_events_destroy(struct console_events *events)
{
    if (!events)
        return;
    console_events_close(events);
    redis_client_destroy(events->subscriber);
    free(events->streams);
    free(events->addresses);
    free(events);
}
