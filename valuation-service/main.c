/*
 * valuation-service - the mock third party of the blog: POST
 * /valuation-request answers 201 {"valuationReference"} and, after the
 * delay, POSTs the ValuationResponse to the request's callbackUrl. Pending
 * callbacks live in Redis (callback_queue), so a restart loses none.
 * Only callback URLs CALLBACK_ALLOWED_HOSTS allows are accepted (callback_hosts.h); with
 * CALLBACK_SIGNING_SECRET set, every callback is signed (webhook_signature.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callback_hosts.h"
#include "callback_queue.h"
#include "config.h"
#include "json_util.h"
#include "log.h"
#include "random_id.h"
#include "service.h"
#include "valuation_request.h"

static struct config_option options[] = {
    { "VALUATION_SERVICE_PORT", "--port", "8081", "TCP port of the valuation API", NULL },
    { "BIND_ADDRESS", "--bind", "127.0.0.1", "IPv4 address to listen on (0.0.0.0 for all)", NULL },
    { "REDIS_URL", "--redis-url", "redis://127.0.0.1:6379", "Redis server: redis://[:password@]host[:port][/db]",
      NULL },
    { "VALUATION_DELAY_SECONDS", "--delay-seconds", "6", "Seconds between a request and its callback", NULL },
    { "TIME_SCALE", "--time-scale", "1.0", "Factor applied to every delay and retry interval", NULL },
    { "CALLBACK_RETRY_DEADLINE_SECONDS", "--callback-retry-deadline-seconds", "300",
      "How long a callback that gets no answer or a 5xx is retried before it is recorded as failed", NULL },
    { "CALLBACK_TIMEOUT_SECONDS", "--callback-timeout-seconds", "10",
      "How long one callback POST may take, connect included (1-600; not scaled by TIME_SCALE)", NULL },
    { "REDIS_TIMEOUT_MS", "--redis-timeout-ms", "5000",
      "Deadline of every Redis command and connection attempt (100-60000 ms; not scaled by TIME_SCALE)", NULL },
    { "REDIS_WAIT_REPLICAS", "--redis-wait-replicas", "0",
      "Replicas a scheduled callback must reach before the request is answered 201 (Redis WAIT, within "
      "REDIS_TIMEOUT_MS; 0-16; 0: do not wait)",
      NULL },
    { "REUSE_PORT", "--reuse-port", "0",
      "1 to let several instances listen on the same port (SO_REUSEPORT; every one of them must set it)", NULL },
    { "MAX_CONNECTIONS_PER_ADDRESS", "--max-connections-per-address", "256",
      "Connections one client address may hold open (0-1000000; 0: no limit); more are closed at once", NULL },
    { "REQUEST_RECEIVE_TIMEOUT_SECONDS", "--request-receive-timeout-seconds", "10",
      "A request (line, headers, body) not fully received this long after it began closes its connection (1-3600)",
      NULL },
    { "LOG_FORMAT", "--log-format", "text", "text or json (one JSON object per line)", NULL },
    { "LOG_LEVEL", "--log-level", "info",
      "debug, info, warn or error: the lowest level logged (info: one line per step of the story)", NULL },
    { "CALLBACK_SIGNING_SECRET", "--callback-signing-secret", "",
      "Comma-separated secrets; every callback carries X-Valuation-Signature signed with the first (empty: unsigned)",
      NULL },
    { "CALLBACK_ALLOWED_HOSTS", "--callback-allowed-hosts", CALLBACK_HOSTS_DEFAULT,
      "Comma-separated [http://|https://]host:port entries (host or port may be *) a callbackUrl must match", NULL },
};
#define OPTION_COUNT (sizeof(options) / sizeof(options[0]))

struct valuation_service {
    struct service service;
    struct callback_queue *queue;
    const char *allowed_hosts; /* CALLBACK_ALLOWED_HOSTS */
    double delay_seconds;
    double time_scale;
};

struct pending_request {
    struct http_request *request;
    char reference[RANDOM_ID_NANOID_SIZE];
};

static const char *option(const char *name)
{
    return config_value(options, OPTION_COUNT, name);
}

static void reply_reference(struct http_request *request, const char *reference)
{
    cJSON *response = cJSON_CreateObject();
    if (response)
        cJSON_AddStringToObject(response, "valuationReference", reference);
    http_request_reply_json(request, 201, response);
}

/* The 503 (409 for a reference already pending) of a valuation request Redis refused (status < 0 from callback_queue_schedule or its callback). */
static void reply_not_scheduled(struct http_request *request, int status)
{
    if (status == -EEXIST)
        http_request_reply_error(request, 409, "Conflict", "A valuation with this reference is already scheduled");
    else if (status == -ETIMEDOUT)
        http_request_reply_error(request, 503, "ServiceUnavailable",
                                 "Redis did not confirm that the valuation was scheduled (retry later)");
    else
        http_request_reply_error(request, 503, "ServiceUnavailable",
                                 "Redis is unavailable; the valuation was not scheduled (retry later)");
}

static void on_scheduled(int status, void *data)
{
    struct pending_request *pending = data;
    if (status < 0)
        reply_not_scheduled(pending->request, status);
    else
        reply_reference(pending->request, pending->reference);
    free(pending);
}

static void schedule(struct valuation_service *service, struct http_request *request,
                     const struct valuation_request *valuation, const char *reference)
{
    double seconds = valuation_request_delay_seconds(valuation, service->delay_seconds) * service->time_scale;
    uint64_t delay_ms = (uint64_t)llround(seconds * 1000.0);
    int copies = valuation_request_callback_count(valuation);
    log_event(LOG_INFO, "valuation-requested", "Valuation %s requested for '%s', '%s'; %d callback(s) to %s in %llu ms",
              reference, valuation->name_or_number, valuation->postcode, copies, valuation->callback_url,
              (unsigned long long)delay_ms);
    if (copies == 0) {
        reply_reference(request, reference); /* "No callback": the story of the follow-up post */
        return;
    }
    struct pending_request *pending = calloc(1, sizeof(*pending));
    char *body = valuation_request_response_body(valuation, reference);
    int result = -ENOMEM;
    if (pending && body) {
        pending->request = request;
        strcpy(pending->reference, reference);
        result = callback_queue_schedule(service->queue, reference, valuation->callback_url, body, copies, delay_ms,
                                         on_scheduled, pending);
    }
    cJSON_free(body);
    if (result == -ENOMEM)
        http_request_reply_error(request, 500, "InternalError", "Out of memory");
    else if (result < 0)
        reply_not_scheduled(request, result);
    if (result < 0)
        free(pending);
}

static void handle_valuation_request(struct http_request *request, void *data)
{
    struct valuation_service *service = data;
    size_t length;
    const char *text = http_request_body(request, &length);
    cJSON *body = NULL;
    char error[256], reference[RANDOM_ID_NANOID_SIZE];
    struct valuation_request valuation;
    if (json_parse_body(text, length, &body, error, sizeof(error)) < 0) {
        http_request_reply_error(request, 400, "InvalidJson", "%s", error);
        return;
    }
    if (valuation_request_parse(body, &valuation, error, sizeof(error)) < 0)
        http_request_reply_error(request, 400, "InvalidRequest", "%s", error);
    else if (!callback_hosts_allow(service->allowed_hosts, valuation.callback_url))
        http_request_reply_error(request, 400, "CallbackUrlNotAllowed",
                                 "'callbackUrl' must name a scheme, host and port that CALLBACK_ALLOWED_HOSTS allows "
                                 "(and no user@, blank or backslash); this one is not allowed");
    else if (random_id_nanoid(reference) < 0)
        http_request_reply_error(request, 500, "InternalError", "No random numbers available");
    else
        schedule(service, request, &valuation, reference);
    cJSON_Delete(body);
}

static void handle_health(struct http_request *request, void *data)
{
    struct valuation_service *service = data;
    service_reply_health(request, &service->service);
}

/* Failure records GET /callbacks shows: the newest ones (Redis keeps 1000). */
#define REPORTED_FAILURES 100

static void on_report(int status, cJSON *report, void *data)
{
    struct http_request *request = data;
    if (status < 0)
        http_request_reply_error(request, 503, "ServiceUnavailable", "Redis is unavailable (retry later)");
    else
        http_request_reply_json(request, 200, report);
}

static void handle_callbacks(struct http_request *request, void *data)
{
    struct valuation_service *service = data;
    int result = callback_queue_report(service->queue, REPORTED_FAILURES, on_report, request);
    if (result == -ENOMEM)
        http_request_reply_error(request, 500, "InternalError", "Out of memory");
    else if (result < 0)
        http_request_reply_error(request, 503, "ServiceUnavailable", "Redis is unavailable (retry later)");
}

static void stop_claiming(void *data)
{
    callback_queue_stop(data);
}

static const struct http_route routes[] = {
    { "POST", "/valuation-request", handle_valuation_request },
    { "GET", "/health", handle_health },
    { "GET", "/callbacks", handle_callbacks },
};

static uint64_t scaled_ms(double seconds, double time_scale)
{
    double ms = seconds * time_scale * 1000.0;
    return ms < 1 ? 1 : (uint64_t)llround(ms);
}

static int configure(struct valuation_service *service, struct service_config *config,
                     struct callback_queue_config *queue_config)
{
    uint16_t port;
    char error[256];
    double deadline;
    long long delivery_timeout_seconds;
    if (service_configure_log("valuation-service", option("LOG_FORMAT"), option("LOG_LEVEL")) < 0) {
        return -EINVAL; /* service_configure_log() said why */
    }
    if (config_to_port(option("VALUATION_SERVICE_PORT"), &port) < 0
        || config_to_positive_number(option("TIME_SCALE"), &service->time_scale) < 0
        || config_to_positive_number(option("VALUATION_DELAY_SECONDS"), &service->delay_seconds) < 0
        || config_to_positive_number(option("CALLBACK_RETRY_DEADLINE_SECONDS"), &deadline) < 0
        || config_to_integer(option("CALLBACK_TIMEOUT_SECONDS"), 1, 600, &delivery_timeout_seconds) < 0) {
        fprintf(stderr, "valuation-service: VALUATION_SERVICE_PORT must be 1-65535; TIME_SCALE, "
                        "VALUATION_DELAY_SECONDS and CALLBACK_RETRY_DEADLINE_SECONDS numbers > 0; "
                        "CALLBACK_TIMEOUT_SECONDS 1-600\n");
        return -EINVAL;
    }
    if (callback_hosts_check(option("CALLBACK_ALLOWED_HOSTS"), error, sizeof(error)) < 0) {
        fprintf(stderr, "valuation-service: %s\n", error);
        return -EINVAL;
    }
    service->allowed_hosts = option("CALLBACK_ALLOWED_HOSTS");
    service_config_defaults(config, "valuation-service", option("REDIS_URL"), option("BIND_ADDRESS"), port);
    if (service_config_from_options(config, option) < 0) {
        fprintf(stderr, "valuation-service: %s\n", SERVICE_OPTIONS_ERROR);
        return -EINVAL;
    }
    config->http.max_body_bytes = 64 * 1024;
    config->client.max_queued = 1024;
    config->client.max_response_bytes = 64 * 1024;
    *queue_config = (struct callback_queue_config){
        .max_in_flight = 256,
        .poll_interval_ms = 1000,
        .delivery_timeout_ms = (uint64_t)delivery_timeout_seconds * 1000,
        /* The lease is derived from both deadlines (callback_queue_lease_ms): 30 s with the defaults. */
        .redis_timeout_ms = config->redis_timeout_ms,
        .retry_first_delay_ms = scaled_ms(1, service->time_scale),
        .retry_max_delay_ms = scaled_ms(60, service->time_scale),
        .retry_deadline_ms = scaled_ms(deadline, service->time_scale),
        .signing_secrets = option("CALLBACK_SIGNING_SECRET"),
    };
    return 0;
}

int main(int argc, char **argv)
{
    struct valuation_service service = { 0 };
    struct service_config config;
    struct callback_queue_config queue_config;
    char error[256];
    int parsed = config_parse(options, OPTION_COUNT, argc, argv,
                              "The mock valuation service of 'Using Step Function Task Tokens with CDK': answers "
                              "201 {valuationReference} and calls back later.",
                              error, sizeof(error));
    if (parsed != 0) {
        if (parsed < 0)
            fprintf(stderr, "valuation-service: %s\n", error);
        return parsed < 0 ? 2 : 0;
    }
    if (configure(&service, &config, &queue_config) < 0)
        return 2;
    if (service_init(&service.service, &config) < 0)
        return 1;
    int status = 1;
    if (callback_queue_create(service.service.loop, service.service.redis, service.service.http, &queue_config,
                              &service.queue)
        < 0)
        goto done;
    service.service.on_drain = stop_claiming;
    service.service.on_drain_data = service.queue;
    if (service_listen(&service.service, &config, routes, sizeof(routes) / sizeof(routes[0]), &service) < 0)
        goto done;
    status = service_run(&service.service) < 0 ? 1 : 0;
done:
    callback_queue_stop(service.queue);
    service_cleanup(&service.service);
    callback_queue_destroy(service.queue);
    return status;
}
