/*
 * hello-server - the benchmark's reference for the webhook path (scenario 3,
 * tests/bench/scenario_webhook.py): a bare libmicrohttpd server that reads a
 * request's body and answers 200 with a small fixed JSON body, and does
 * nothing else.
 *
 * It runs libmicrohttpd exactly as common/http_server.c does, so that the
 * ratio of the two request rates measures what the loan-processor adds to
 * the library: one thread, external epoll mode (MHD's epoll fd watched from
 * an epoll loop of our own, MHD_run after every wait, the wait bounded by
 * MHD_get_timeout), suspend/resume allowed, the same connection limit and
 * idle timeout, a completion callback, keep-alive as MHD does by default.
 *
 *   hello-server <port>     listens on 127.0.0.1:<port>; SIGTERM or SIGINT stops it (exit 0)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

/* The same bounds as service_config_defaults() gives the servers. */
#define MAX_CONNECTIONS 10000u
#define IDLE_TIMEOUT_SECONDS 60u

#define ANSWER_BODY "{\"message\":\"hello\"}"

struct hello_server {
    struct MHD_Daemon *daemon;
    int epoll_fd; /* ours: MHD's epoll fd and the signal fd */
    int signal_fd;
};

/* What one request has sent so far; allocated after its headers, freed when MHD completes it. */
struct hello_request {
    size_t body_bytes;
};

static enum MHD_Result answer_hello(struct MHD_Connection *connection)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer(strlen(ANSWER_BODY), (void *)(uintptr_t)ANSWER_BODY, MHD_RESPMEM_PERSISTENT);
    if (!response)
        return MHD_NO; /* out of memory: MHD closes the connection */
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result result = MHD_queue_response(connection, MHD_HTTP_OK, response);
    MHD_destroy_response(response);
    return result;
}

/* MHD calls this once after the headers, once per body chunk, and once when the body is complete. */
static enum MHD_Result access_handler(void *closure, struct MHD_Connection *connection, const char *url,
                                      const char *method, const char *version, const char *upload_data,
                                      size_t *upload_data_size, void **connection_closure)
{
    struct hello_request *request = *connection_closure;
    (void)closure;
    (void)url;
    (void)method;
    (void)version;
    (void)upload_data;
    if (!request) {
        request = calloc(1, sizeof(*request));
        if (!request)
            return MHD_NO;
        *connection_closure = request;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        request->body_bytes += *upload_data_size;
        *upload_data_size = 0;
        return MHD_YES;
    }
    return answer_hello(connection);
}

static void on_request_completed(void *closure, struct MHD_Connection *connection, void **connection_closure,
                                 enum MHD_RequestTerminationCode code)
{
    (void)closure;
    (void)connection;
    (void)code;
    free(*connection_closure);
    *connection_closure = NULL;
}

static void hello_server_stop(struct hello_server *server)
{
    if (server->daemon)
        MHD_stop_daemon(server->daemon);
    if (server->signal_fd >= 0)
        close(server->signal_fd);
    if (server->epoll_fd >= 0)
        close(server->epoll_fd);
}

static int watch(int epoll_fd, int fd)
{
    struct epoll_event event = { .events = EPOLLIN, .data.fd = fd };
    return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) < 0 ? -errno : 0;
}

/* Listens on 127.0.0.1:port. Returns 0, or a negative errno with nothing left open. */
static int hello_server_start(struct hello_server *server, uint16_t port)
{
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(port) };
    sigset_t signals;
    int result = 0;

    *server = (struct hello_server){ .epoll_fd = -1, .signal_fd = -1 };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    signal(SIGPIPE, SIG_IGN);
    if (sigprocmask(SIG_BLOCK, &signals, NULL) < 0)
        return -errno;
    server->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    server->signal_fd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
    if (server->epoll_fd < 0 || server->signal_fd < 0) {
        result = -errno;
        goto cleanup;
    }
    server->daemon =
        MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, port, NULL, NULL, access_handler,
                         NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address, MHD_OPTION_CONNECTION_LIMIT,
                         MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT_SECONDS,
                         MHD_OPTION_NOTIFY_COMPLETED, on_request_completed, NULL, MHD_OPTION_END);
    if (!server->daemon) {
        result = -EADDRINUSE;
        goto cleanup;
    }
    result = watch(server->epoll_fd, MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_EPOLL_FD)->epoll_fd);
    if (result == 0)
        result = watch(server->epoll_fd, server->signal_fd);
    if (result == 0)
        return 0;
cleanup:
    hello_server_stop(server);
    return result;
}

/* How long the next wait may last: until MHD's next timeout (idle connections), or for ever (-1). */
static int wait_limit_ms(const struct hello_server *server)
{
    MHD_UNSIGNED_LONG_LONG timeout_ms;
    if (MHD_get_timeout(server->daemon, &timeout_ms) != MHD_YES)
        return -1;
    return timeout_ms > INT32_MAX ? INT32_MAX : (int)timeout_ms;
}

/* Serves until SIGTERM or SIGINT. Returns 0, or a negative errno when epoll fails. */
static int hello_server_run(struct hello_server *server)
{
    struct epoll_event events[8];
    for (;;) {
        int count = epoll_wait(server->epoll_fd, events, 8, wait_limit_ms(server));
        if (count < 0 && errno != EINTR)
            return -errno;
        for (int i = 0; i < count; i++) {
            if (events[i].data.fd == server->signal_fd)
                return 0;
        }
        MHD_run(server->daemon); /* after every wait, as the external-mode contract asks */
    }
}

int main(int argc, char **argv)
{
    char *end = NULL;
    unsigned long port = argc == 2 ? strtoul(argv[1], &end, 10) : 0;
    if (argc != 2 || *end != '\0' || port == 0 || port > 65535) {
        fprintf(stderr, "usage: %s <port>\n", argv[0]);
        return 2;
    }
    struct hello_server server;
    int result = hello_server_start(&server, (uint16_t)port);
    if (result < 0) {
        fprintf(stderr, "hello-server: cannot listen on 127.0.0.1:%lu: %s\n", port, strerror(-result));
        return 1;
    }
    result = hello_server_run(&server);
    hello_server_stop(&server);
    if (result < 0) {
        fprintf(stderr, "hello-server: %s\n", strerror(-result));
        return 1;
    }
    return 0;
}
