/* The standalone server's connection limits over real HTTP on 127.0.0.1:
 * awps_server_set_connection_limit (connections beyond it wait until one
 * of the served ones closes), awps_server_set_connection_timeout
 * (idle and stalled connections closed, pending replies exempt), their
 * argument checks, and the warning for a limit above the open-file limit.
 * The 1,000-connection run is tests/slow-clients.c. */
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <awps.h>

#include "testutil.h"

#define WAIT_MS 30000  /* generous: valgrind; nothing asserts a duration */

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void echo(awps_event *ev, awps_reply *r, void *data)
{
    size_t len;
    const void *p = awps_event_data(ev, &len);
    (void)data;
    awps_reply_success_data(r, AWPS_DATA_TEXT, p, len);
}

static void *answer_later(void *arg)
{
    usleep(2500 * 1000);
    awps_reply_success_data(arg, AWPS_DATA_TEXT, "late", 4);
    awps_reply_release(arg);
    return NULL;
}

/* Answered from a detached thread after 2.5 s. */
static void slow(awps_event *ev, awps_reply *r, void *data)
{
    pthread_t t;
    (void)ev; (void)data;
    awps_reply_hold(r);
    ck_assert_int_eq(pthread_create(&t, NULL, answer_later, r), 0);
    pthread_detach(t);
}

static char logged[512];

static void keep_log(void *data, awps_log_level level, const char *msg)
{
    (void)data;
    if (level == AWPS_LOG_WARN)
        snprintf(logged, sizeof logged, "%s", msg);
}

static awps_handler *handler;

/* A started server for hub "chat" with `cb`, one thread, and the given
 * connection limit and timeout (0: the default). */
static awps_server *serve(awps_user_event_cb cb, unsigned limit, unsigned timeout_s)
{
    awps_server *s = awps_server_new();

    handler = awps_handler_new("chat");
    ck_assert_ptr_nonnull(s);
    ck_assert_ptr_nonnull(handler);
    awps_handler_on_user_event(handler, cb, NULL);
    ck_assert_int_eq(awps_server_add_handler(s, handler), AWPS_OK);
    ck_assert_int_eq(awps_server_set_listen(s, "127.0.0.1", 0), AWPS_OK);
    ck_assert_int_eq(awps_server_set_threads(s, 1), AWPS_OK);
    awps_server_set_log(s, keep_log, NULL, AWPS_LOG_WARN);
    if (limit)
        ck_assert_int_eq(awps_server_set_connection_limit(s, limit), AWPS_OK);
    if (timeout_s)
        ck_assert_int_eq(awps_server_set_connection_timeout(s, timeout_s), AWPS_OK);
    ck_assert_int_eq(awps_server_start(s), AWPS_OK);
    return s;
}

static void done(awps_server *s)
{
    awps_server_free(s);
    awps_handler_free(handler);
}

static long post(unsigned port, const char *body, tu_http_result *r)
{
    static const char *const h[] = {
        "ce-awpsversion: 1.0", "ce-hub: chat", "ce-type: azure.webpubsub.user.message",
        "ce-connectionId: conn1", "WebHook-Request-Origin: x.webpubsub.azure.com",
        "Content-Type: text/plain", NULL};
    return tu_http(r, port, "POST", "/api/webpubsub/hubs/chat/", h, body, strlen(body), 0);
}

static int dial(unsigned port)
{
    struct sockaddr_in a = {0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    ck_assert_int_ge(fd, 0);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Wait up to WAIT_MS for the server to close `fd` without answering;
 * 1 when it did. */
static int closed_by_server(int fd)
{
    long deadline = now_ms() + WAIT_MS;
    char buf[256];

    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        long left = deadline - now_ms();
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return 0;
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return 1;
        if (n > 0)
            return 0;  /* an answer */
    }
}

/* Connections over the limit wait (in the listen queue) until one of the
 * served ones closes. */
START_TEST(limit_holds_extra_connections)
{
    static const char req[] =
        "POST /api/webpubsub/hubs/chat/ HTTP/1.1\r\nHost: x\r\nce-awpsversion: 1.0\r\n"
        "ce-hub: chat\r\nce-type: azure.webpubsub.user.message\r\nce-connectionId: c\r\n"
        "WebHook-Request-Origin: x.webpubsub.azure.com\r\nContent-Type: text/plain\r\n"
        "Content-Length: 5\r\nConnection: close\r\n\r\nwaits";
    awps_server *s = serve(echo, 4, 0);
    unsigned port = awps_server_port(s);
    int idle[4], extra;
    char buf[1024];
    size_t have = 0;
    ssize_t n;

    for (int i = 0; i < 4; i++)
        idle[i] = dial(port);
    extra = dial(port);
    ck_assert_int_eq(send(extra, req, sizeof req - 1, MSG_NOSIGNAL), (ssize_t)sizeof req - 1);
    struct pollfd p = {extra, POLLIN, 0};
    ck_assert_int_eq(poll(&p, 1, 500), 0);  /* not served while four are open */
    close(idle[0]);
    while (have + 1 < sizeof buf && (n = recv(extra, buf + have, sizeof buf - 1 - have, 0)) > 0)
        have += (size_t)n;
    buf[have] = '\0';
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "answer: %.200s", buf);
    ck_assert_ptr_nonnull(strstr(buf, "\r\n\r\nwaits"));
    close(extra);
    for (int i = 1; i < 4; i++)
        close(idle[i]);
    done(s);
}
END_TEST

START_TEST(timeout_closes_idle_and_stalled)
{
    awps_server *s = serve(echo, 0, 1);
    unsigned port = awps_server_port(s);
    int idle = dial(port), stalled = dial(port);
    static const char part[] = "POST /api/webpubsub/hubs/chat/ HTTP/1.1\r\nHost: x\r\nce-hub: c";
    tu_http_result r;

    ck_assert_int_eq(send(stalled, part, sizeof part - 1, MSG_NOSIGNAL), (ssize_t)sizeof part - 1);
    ck_assert_int_eq(closed_by_server(idle), 1);
    ck_assert_int_eq(closed_by_server(stalled), 1);
    close(idle);
    close(stalled);
    ck_assert_int_eq(post(port, "still", &r), 200);
    ck_assert_str_eq(r.body, "still");
    done(s);
}
END_TEST

/* A connection whose reply is pending is not timed out. */
START_TEST(timeout_spares_pending_reply)
{
    awps_server *s = serve(slow, 0, 1);
    tu_http_result r;

    ck_assert_int_eq(post(awps_server_port(s), "x", &r), 200);
    ck_assert_str_eq(r.body, "late");
    done(s);
}
END_TEST

START_TEST(setter_arguments)
{
    awps_server *s = awps_server_new();

    ck_assert_int_eq(awps_server_set_connection_limit(NULL, 10), AWPS_E_INVALID);
    ck_assert_int_eq(awps_server_set_connection_limit(s, 0), AWPS_E_INVALID);
    ck_assert_int_eq(awps_server_set_connection_limit(s, 1000001), AWPS_E_INVALID);
    ck_assert_int_eq(awps_server_set_connection_limit(s, 1000000), AWPS_OK);
    ck_assert_int_eq(awps_server_set_connection_limit(s, 1), AWPS_OK);
    ck_assert_int_eq(awps_server_set_connection_timeout(NULL, 10), AWPS_E_INVALID);
    ck_assert_int_eq(awps_server_set_connection_timeout(s, 0), AWPS_E_INVALID);
    ck_assert_int_eq(awps_server_set_connection_timeout(s, 86401), AWPS_E_INVALID);
    ck_assert_int_eq(awps_server_set_connection_timeout(s, 86400), AWPS_OK);
    ck_assert_int_eq(awps_server_set_listen(s, "127.0.0.1", 0), AWPS_OK);
    ck_assert_int_eq(awps_server_start(s), AWPS_OK);
    ck_assert_int_eq(awps_server_set_connection_limit(s, 10), AWPS_E_BUSY);
    ck_assert_int_eq(awps_server_set_connection_timeout(s, 10), AWPS_E_BUSY);
    ck_assert_int_eq(awps_server_stop(s, 1000), AWPS_OK);
    ck_assert_int_eq(awps_server_set_connection_limit(s, 10), AWPS_OK);
    awps_server_free(s);
}
END_TEST

/* A limit above the open-file limit is logged at start (the default is
 * kept under it, silently). */
START_TEST(limit_above_open_files_logged)
{
    struct rlimit old, low;

    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
    low = old;
    low.rlim_cur = 256;
    if (old.rlim_cur < 256 || setrlimit(RLIMIT_NOFILE, &low) != 0)
        return;  /* nothing to see */
    logged[0] = '\0';
    awps_server *s = serve(echo, 0, 0);
    ck_assert_str_eq(logged, "");
    done(s);
    s = serve(echo, 5000, 0);
    ck_assert_ptr_nonnull(strstr(logged, "connection limit (5000) is above the open-file limit"));
    done(s);
    setrlimit(RLIMIT_NOFILE, &old);
}
END_TEST

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Suite *s = suite_create("limits");
    TCase *tc = tcase_create("connections");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, limit_holds_extra_connections);
    tcase_add_test(tc, timeout_closes_idle_and_stalled);
    tcase_add_test(tc, timeout_spares_pending_reply);
    tcase_add_test(tc, setter_arguments);
    tcase_add_test(tc, limit_above_open_files_logged);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed ? 1 : 0;
}
