/*
 * test_http_exchange - http_client against http_server over loopback, on one
 * event loop: what each side sees when their transfer and request objects
 * (and buffers) are reused from one exchange to the next.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "event_loop.h"
#include "http_client.h"
#include "http_server.h"
#include "test.h"

#define WAIT_MS 5000

static struct event_loop *loop;
static struct http_server *server;
static struct http_client *client;
static char url[64];

/* What the server saw of the last request, and what it answers the next one with. */
static struct {
    char body[4096];
    size_t body_length;
    char header[128];
    const char *answer;
} served;

/* What the client got back. */
struct answer {
    bool done;
    long status;
    char body[4096];
    size_t body_length;
};

static void on_request(struct http_request *request, void *data)
{
    (void)data;
    size_t length;
    const char *body = http_request_body(request, &length);
    served.body_length = length;
    snprintf(served.body, sizeof(served.body), "%s", body);
    const char *header = http_request_header(request, "X-Test");
    snprintf(served.header, sizeof(served.header), "%s", header ? header : "");
    http_request_reply(request, 200, "application/json", served.answer, strlen(served.answer));
}

static void on_answer(const struct http_response *response, void *data)
{
    struct answer *answer = data;
    answer->done = true;
    answer->status = response->status;
    answer->body_length = response->body_length;
    snprintf(answer->body, sizeof(answer->body), "%s", response->body);
}

/* POSTs body (with header, or none) and runs the loop until the answer came; false when it did not. */
static bool post(const char *body, const char *header, const char *server_answer, struct answer *answer)
{
    *answer = (struct answer){ 0 };
    served.answer = server_answer;
    if (http_client_post_json_with_header(client, url, body, strlen(body), header, WAIT_MS, on_answer, answer) < 0)
        return false;
    uint64_t deadline = event_loop_now_ms() + WAIT_MS;
    while (!answer->done && event_loop_now_ms() < deadline)
        if (event_loop_run_once(loop, 50) < 0)
            return false;
    return answer->done;
}

static void test_an_empty_answer_after_a_longer_one_reads_empty(void)
{
    struct answer answer;
    ASSERT_TRUE(post("{}", NULL, "{\"first\":\"a longer answer\"}", &answer));
    ASSERT_EQ_INT(200, answer.status);
    ASSERT_EQ_STR("{\"first\":\"a longer answer\"}", answer.body);
    ASSERT_TRUE(post("{}", NULL, "", &answer)); /* the same transfer, reused */
    ASSERT_EQ_INT(200, answer.status);
    ASSERT_EQ_INT(0, (long long)answer.body_length);
    ASSERT_EQ_STR("", answer.body);
}

static void test_each_request_body_arrives_whole_and_alone(void)
{
    struct answer answer;
    ASSERT_TRUE(post("{\"a\":\"a longer body than the next one\"}", NULL, "{}", &answer));
    ASSERT_EQ_STR("{\"a\":\"a longer body than the next one\"}", served.body);
    ASSERT_TRUE(post("{}", NULL, "{}", &answer));
    ASSERT_EQ_INT(2, (long long)served.body_length);
    ASSERT_EQ_STR("{}", served.body);
    ASSERT_TRUE(post("", NULL, "{}", &answer)); /* an empty body reads empty, not the last one */
    ASSERT_EQ_INT(0, (long long)served.body_length);
    ASSERT_EQ_STR("", served.body);
}

static void test_a_header_of_its_own_goes_with_its_request_only(void)
{
    struct answer answer;
    ASSERT_TRUE(post("{}", "X-Test: first", "{}", &answer));
    ASSERT_EQ_STR("first", served.header);
    ASSERT_TRUE(post("{}", NULL, "{}", &answer));
    ASSERT_EQ_STR("", served.header);
    ASSERT_TRUE(post("{}", "X-Test: a second, longer value", "{}", &answer));
    ASSERT_EQ_STR("a second, longer value", served.header);
}

/* A TCP port on 127.0.0.1 nobody listens on now (the kernel's pick); 0 on failure. */
static int free_port(void)
{
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t length = sizeof(address);
    int port = 0, fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&address, sizeof(address)) == 0
        && getsockname(fd, (struct sockaddr *)&address, &length) == 0)
        port = ntohs(address.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static int start(void)
{
    static const struct http_route routes[] = { { "POST", "/echo", on_request } };
    static const struct http_client_config client_config = { .max_in_flight = 1,
                                                             .max_queued = 4,
                                                             .max_response_bytes = 65536 };
    if (event_loop_create(&loop) < 0)
        return -ENOMEM;
    int result = -EIO;
    for (int attempt = 0; attempt < 3 && result < 0; attempt++) { /* a port taken meanwhile: another one */
        int port = free_port();
        struct http_server_config config = { .bind_address = "127.0.0.1",
                                             .port = (uint16_t)port,
                                             .max_body_bytes = 65536,
                                             .max_connections = 8,
                                             .idle_timeout_seconds = 10,
                                             .request_deadline_ms = WAIT_MS };
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/echo", port);
        result = port ? http_server_start(loop, &config, routes, 1, NULL, &server) : -EIO;
    }
    return result < 0 ? result : http_client_create(loop, &client_config, &client);
}

int main(void)
{
    if (start() < 0) {
        printf("Bail out! cannot start the HTTP server and client\n");
        return 1;
    }
    RUN(test_an_empty_answer_after_a_longer_one_reads_empty);
    RUN(test_each_request_body_arrives_whole_and_alone);
    RUN(test_a_header_of_its_own_goes_with_its_request_only);
    http_client_close(client);
    http_client_destroy(client);
    http_server_destroy(server);
    event_loop_destroy(loop);
    return test_done();
}
