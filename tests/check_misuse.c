/* Reply misuse over real HTTP (a standalone server on 127.0.0.1 port 0, and
 * the glue in an application's own daemon): a second terminal call, calls
 * after the timeout answered 500, completion after the client went away,
 * the handler freed and the server stopped or freed while replies are
 * pending. Every case: the client gets exactly one answer (the real one, or
 * the documented 500 / 503), late calls return AWPS_E_DONE, nothing crashes
 * and nothing leaks (ASan / valgrind). */
#include <check.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <awps.h>

#include "testutil.h"

/* Generous waits: valgrind is slow; nothing here asserts a duration. */
#define WAIT_MS 30000

/* ---- parked replies: the callback holds the reply and hands it over ---- */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static awps_reply *parked;

static void park(awps_event *ev, awps_reply *r, void *data)
{
    (void)ev; (void)data;
    awps_reply_hold(r);
    pthread_mutex_lock(&lock);
    parked = r;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
}

/* The next parked reply (the caller releases it), or NULL after WAIT_MS. */
static awps_reply *wait_parked(void)
{
    awps_reply *r;

    for (int i = 0; i < WAIT_MS / 10; i++) {
        pthread_mutex_lock(&lock);
        r = parked;
        parked = NULL;
        pthread_mutex_unlock(&lock);
        if (r)
            return r;
        usleep(10 * 1000);
    }
    return NULL;
}

/* ---- a server with hub "chat" ---- */

static void quiet(void *data, awps_log_level level, const char *msg)
{
    (void)data; (void)level; (void)msg;
}

static awps_handler *hub(awps_user_event_cb cb, unsigned timeout_ms)
{
    awps_handler *h = awps_handler_new("chat");

    ck_assert_ptr_nonnull(h);
    awps_handler_on_user_event(h, cb, NULL);
    awps_handler_set_log(h, quiet, NULL, AWPS_LOG_ERROR);
    if (timeout_ms)
        ck_assert_int_eq(awps_handler_set_reply_timeout(h, timeout_ms), AWPS_OK);
    return h;
}

static awps_server *serve(awps_handler *h)
{
    awps_server *s = awps_server_new();

    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(awps_server_add_handler(s, h), AWPS_OK);
    ck_assert_int_eq(awps_server_set_listen(s, "127.0.0.1", 0), AWPS_OK);
    ck_assert_int_eq(awps_server_set_threads(s, 2), AWPS_OK);
    ck_assert_int_eq(awps_server_start(s), AWPS_OK);
    return s;
}

static void wait_idle(awps_server *s)
{
    for (int i = 0; i < WAIT_MS / 10 && awps_server_in_flight(s) != 0; i++)
        usleep(10 * 1000);
    ck_assert_uint_eq(awps_server_in_flight(s), 0);
}

static const char *const ce_user[] = {
    "ce-awpsversion: 1.0", "ce-specversion: 1.0", "ce-id: 1", "ce-hub: chat",
    "ce-type: azure.webpubsub.user.message", "ce-connectionId: conn1",
    "WebHook-Request-Origin: x.webpubsub.azure.com", "Content-Type: text/plain", NULL};

/* A user event from a client thread. */
struct client {
    pthread_t t;
    unsigned port;
    const char *body;
    tu_http_result r;
};

static void *client_main(void *arg)
{
    struct client *c = arg;
    tu_http(&c->r, c->port, "POST", "/api/webpubsub/hubs/chat/", ce_user, c->body,
            strlen(c->body), 0);
    return NULL;
}

static void client_start(struct client *c, unsigned port, const char *body)
{
    memset(c, 0, sizeof *c);
    c->port = port;
    c->body = body;
    ck_assert_int_eq(pthread_create(&c->t, NULL, client_main, c), 0);
}

/* The same request over a raw socket that the test closes itself. */
static int raw_client(unsigned port)
{
    static const char req[] =
        "POST /api/webpubsub/hubs/chat/ HTTP/1.1\r\nHost: x\r\nce-awpsversion: 1.0\r\n"
        "ce-hub: chat\r\nce-type: azure.webpubsub.user.message\r\nce-connectionId: c\r\n"
        "WebHook-Request-Origin: x.webpubsub.azure.com\r\nContent-Type: text/plain\r\n"
        "Content-Length: 5\r\n\r\nhello";
    struct sockaddr_in a = {0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    ck_assert_int_ge(fd, 0);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(send(fd, req, sizeof req - 1, MSG_NOSIGNAL), (ssize_t)(sizeof req - 1));
    return fd;
}

static void still_serving(awps_server *s, const char *body)
{
    struct client c;
    awps_reply *r;

    client_start(&c, awps_server_port(s), body);
    ck_assert_ptr_nonnull(r = wait_parked());
    ck_assert_int_eq(awps_reply_success_data(r, AWPS_DATA_TEXT, body, strlen(body)), AWPS_OK);
    awps_reply_release(r);
    pthread_join(c.t, NULL);
    ck_assert_int_eq(c.r.status, 200);
    ck_assert_str_eq(c.r.body, body);
}

/* ---- a second terminal call ---- */

static int second_rc[5];

static void twice(awps_event *ev, awps_reply *r, void *data)
{
    (void)ev; (void)data;
    second_rc[0] = awps_reply_success_data(r, AWPS_DATA_TEXT, "first", 5);
    second_rc[1] = awps_reply_success_data(r, AWPS_DATA_TEXT, "second", 6);
    second_rc[2] = awps_reply_success(r);
    second_rc[3] = awps_reply_fail(r, 500, "third");
    second_rc[4] = awps_reply_set_state_string(r, "k", "v");
}

START_TEST(second_call_in_callback)
{
    awps_handler *h = hub(twice, 0);
    awps_server *s = serve(h);
    struct client c;

    client_start(&c, awps_server_port(s), "x");
    pthread_join(c.t, NULL);
    ck_assert_int_eq(c.r.status, 200);
    ck_assert_str_eq(c.r.body, "first");
    ck_assert_int_eq(second_rc[0], AWPS_OK);
    for (int i = 1; i < 5; i++)
        ck_assert_int_eq(second_rc[i], AWPS_E_DONE);
    ck_assert_ptr_null(strstr(c.r.headers, "ce-connectionState"));
    awps_server_free(s);
    awps_handler_free(h);
}
END_TEST

/* Eight threads complete one reply at once: one wins, the client gets its
 * answer, the others get AWPS_E_DONE. */
struct racer {
    pthread_t t;
    awps_reply *r;
    char text[8];
    int rc;
};

static void *race(void *arg)
{
    struct racer *x = arg;
    x->rc = awps_reply_success_data(x->r, AWPS_DATA_TEXT, x->text, strlen(x->text));
    return NULL;
}

START_TEST(racing_completions)
{
    awps_handler *h = hub(park, 0);
    awps_server *s = serve(h);
    struct racer x[8];
    struct client c;
    int wins = 0, winner = -1;

    client_start(&c, awps_server_port(s), "x");
    awps_reply *r = wait_parked();
    ck_assert_ptr_nonnull(r);
    for (int i = 0; i < 8; i++) {
        x[i].r = r;
        snprintf(x[i].text, sizeof x[i].text, "t%d", i);
        ck_assert_int_eq(pthread_create(&x[i].t, NULL, race, &x[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(x[i].t, NULL);
        if (x[i].rc == AWPS_OK) {
            wins++;
            winner = i;
        } else {
            ck_assert_int_eq(x[i].rc, AWPS_E_DONE);
        }
    }
    ck_assert_int_eq(wins, 1);
    pthread_join(c.t, NULL);
    ck_assert_int_eq(c.r.status, 200);
    ck_assert_str_eq(c.r.body, x[winner].text);
    awps_reply_release(r);
    wait_idle(s);
    awps_server_free(s);
    awps_handler_free(h);
}
END_TEST

/* ---- after the timeout ---- */

START_TEST(completion_after_timeout)
{
    awps_handler *h = hub(park, 200);
    awps_server *s = serve(h);
    struct client c;

    client_start(&c, awps_server_port(s), "x");
    awps_reply *r = wait_parked();
    ck_assert_ptr_nonnull(r);
    pthread_join(c.t, NULL);
    ck_assert_int_eq(c.r.status, 500);
    ck_assert_ptr_nonnull(strstr(c.r.body, "did not reply within 200 ms"));
    ck_assert_int_ne(awps_reply_is_done(r), 0);
    ck_assert_int_eq(awps_reply_success_data(r, AWPS_DATA_TEXT, "late", 4), AWPS_E_DONE);
    ck_assert_int_eq(awps_reply_fail(r, 503, "late"), AWPS_E_DONE);
    ck_assert_int_eq(awps_reply_set_state_string(r, "k", "v"), AWPS_E_DONE);
    ck_assert_str_eq(awps_event_connection_id(awps_reply_event(r)), "conn1");
    awps_reply_release(r);
    wait_idle(s);
    still_serving(s, "after");
    awps_server_free(s);
    awps_handler_free(h);
}
END_TEST

/* Held and released without a terminal call: the timeout still answers. */
static void hold_and_drop(awps_event *ev, awps_reply *r, void *data)
{
    (void)ev; (void)data;
    awps_reply_hold(r);
    awps_reply_release(r);
}

START_TEST(released_without_completion)
{
    awps_handler *h = hub(hold_and_drop, 200);
    awps_server *s = serve(h);
    struct client c;

    client_start(&c, awps_server_port(s), "x");
    pthread_join(c.t, NULL);
    ck_assert_int_eq(c.r.status, 500);
    wait_idle(s);
    awps_server_free(s);
    awps_handler_free(h);
}
END_TEST

/* ---- after the client went away ---- */

START_TEST(completion_after_client_dropped)
{
    awps_handler *h = hub(park, 0);
    awps_server *s = serve(h);
    int fd = raw_client(awps_server_port(s));
    awps_reply *r = wait_parked();

    ck_assert_ptr_nonnull(r);
    close(fd);
    usleep(100 * 1000);
    ck_assert_int_eq(awps_reply_success_data(r, AWPS_DATA_TEXT, "nobody", 6), AWPS_OK);
    ck_assert_int_eq(awps_reply_success(r), AWPS_E_DONE);
    awps_reply_release(r);
    wait_idle(s);
    still_serving(s, "after");
    awps_server_free(s);
    awps_handler_free(h);
}
END_TEST

/* The client went away and the application never answers: the timeout
 * finishes the request. */
START_TEST(client_dropped_then_timeout)
{
    awps_handler *h = hub(park, 200);
    awps_server *s = serve(h);
    int fd = raw_client(awps_server_port(s));
    awps_reply *r = wait_parked();

    ck_assert_ptr_nonnull(r);
    close(fd);
    wait_idle(s);
    ck_assert_int_ne(awps_reply_is_done(r), 0);
    ck_assert_int_eq(awps_reply_success(r), AWPS_E_DONE);
    awps_reply_release(r);
    awps_server_free(s);
    awps_handler_free(h);
}
END_TEST

/* ---- the handler and the server going away ---- */

START_TEST(handler_freed_while_pending)
{
    awps_handler *h = hub(park, 0);
    awps_server *s = serve(h);
    struct client c;

    client_start(&c, awps_server_port(s), "x");
    awps_reply *r = wait_parked();
    ck_assert_ptr_nonnull(r);
    awps_handler_free(h);  /* the server and the reply keep their references */
    ck_assert_str_eq(awps_event_hub(awps_reply_event(r)), "chat");
    ck_assert_int_eq(awps_reply_success_data(r, AWPS_DATA_TEXT, "still", 5), AWPS_OK);
    awps_reply_release(r);
    pthread_join(c.t, NULL);
    ck_assert_int_eq(c.r.status, 200);
    ck_assert_str_eq(c.r.body, "still");
    still_serving(s, "after");
    awps_server_free(s);
}
END_TEST

START_TEST(stop_answers_pending_503)
{
    awps_handler *h = hub(park, 0);
    awps_server *s = serve(h);
    struct client c;

    client_start(&c, awps_server_port(s), "x");
    awps_reply *r = wait_parked();
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(awps_server_stop(s, 200), AWPS_OK);
    pthread_join(c.t, NULL);
    ck_assert_int_eq(c.r.status, 503);
    ck_assert_ptr_nonnull(strstr(c.r.body, "shutting down"));
    awps_server_free(s);
    awps_handler_free(h);
    /* the application answers late, after everything is gone */
    ck_assert_int_eq(awps_reply_success_data(r, AWPS_DATA_TEXT, "late", 4), AWPS_E_DONE);
    ck_assert_str_eq(awps_event_connection_id(awps_reply_event(r)), "conn1");
    awps_reply_release(r);
}
END_TEST

/* Answered from a worker thread within the grace period of
 * awps_server_free(): the client gets the real answer. */
static void *answer_later(void *arg)
{
    usleep(300 * 1000);
    awps_reply_success_data(arg, AWPS_DATA_TEXT, "real", 4);
    awps_reply_release(arg);
    return NULL;
}

START_TEST(free_waits_for_pending)
{
    awps_handler *h = hub(park, 0);
    awps_server *s = serve(h);
    struct client c;
    pthread_t worker;

    client_start(&c, awps_server_port(s), "x");
    awps_reply *r = wait_parked();
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(pthread_create(&worker, NULL, answer_later, r), 0);
    awps_server_free(s);  /* stops with a 5 s grace */
    awps_handler_free(h);
    pthread_join(c.t, NULL);
    pthread_join(worker, NULL);
    ck_assert_int_eq(c.r.status, 200);
    ck_assert_str_eq(c.r.body, "real");
}
END_TEST

/* Several pending replies, some answered during the grace, the rest 503. */
START_TEST(stop_with_many_pending)
{
    enum { N = 6 };
    awps_handler *h = hub(park, 0);
    awps_server *s = serve(h);
    struct client c[N];
    awps_reply *r[N];
    pthread_t worker[N / 2];

    for (int i = 0; i < N; i++) {
        client_start(&c[i], awps_server_port(s), "x");
        ck_assert_ptr_nonnull(r[i] = wait_parked());
    }
    for (int i = 0; i < N / 2; i++)
        ck_assert_int_eq(pthread_create(&worker[i], NULL, answer_later, r[i]), 0);
    ck_assert_int_eq(awps_server_stop(s, 3000), AWPS_OK);
    int real = 0, refused = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(c[i].t, NULL);
        if (c[i].r.status == 200 && !strcmp(c[i].r.body, "real"))
            real++;
        else if (c[i].r.status == 503)
            refused++;
    }
    for (int i = 0; i < N / 2; i++)
        pthread_join(worker[i], NULL);
    ck_assert_int_eq(real, N / 2);
    ck_assert_int_eq(refused, N - N / 2);
    for (int i = N / 2; i < N; i++) {
        ck_assert_int_eq(awps_reply_success(r[i]), AWPS_E_DONE);
        awps_reply_release(r[i]);
    }
    awps_server_free(s);
    awps_handler_free(h);
}
END_TEST

/* A callback still running when the stop's deadline has passed: its reply
 * is not left on a suspended connection (libmicrohttpd aborts the process
 * when stopped with one); the client gets a 503 or a closed connection. */
static atomic_int entered;

static void slow_callback(awps_event *ev, awps_reply *r, void *data)
{
    atomic_store(&entered, 1);
    usleep(3500 * 1000);  /* longer than the stop's 100 ms + its 2 s for answering */
    park(ev, r, data);
}

START_TEST(callback_outlives_stop)
{
    awps_handler *h = hub(slow_callback, 0);
    awps_server *s = serve(h);
    struct client c;

    atomic_store(&entered, 0);
    client_start(&c, awps_server_port(s), "x");
    for (int i = 0; i < WAIT_MS / 10 && !atomic_load(&entered); i++)
        usleep(10 * 1000);
    ck_assert_int_eq(atomic_load(&entered), 1);
    ck_assert_int_eq(awps_server_stop(s, 100), AWPS_OK);
    awps_reply *r = wait_parked();
    ck_assert_ptr_nonnull(r);
    pthread_join(c.t, NULL);
    ck_assert_msg(c.r.status == 503 || c.r.status == 0, "status %ld", c.r.status);
    ck_assert_int_eq(awps_reply_success(r), AWPS_E_DONE);
    awps_reply_release(r);
    awps_server_free(s);
    awps_handler_free(h);
}
END_TEST

/* ---- what a stop finishes and what it refuses ---- */

struct stopper {
    pthread_t t;
    awps_server *s;
    unsigned ms;
    int rc;
};

static void *stop_main(void *arg)
{
    struct stopper *x = arg;
    x->rc = awps_server_stop(x->s, x->ms);
    return NULL;
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

static void send_all(int fd, const char *text)
{
    size_t n = strlen(text);
    ck_assert_int_eq(send(fd, text, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* One response (status line, headers, Content-Length bytes of body), or
 * what came before the connection closed. */
static void read_answer(int fd, char *buf, size_t cap)
{
    size_t have = 0, want = 0;
    ssize_t n;
    char *end, *cl;

    while (have + 1 < cap && (!want || have < want) &&
           (n = recv(fd, buf + have, cap - have - 1, 0)) > 0) {
        have += (size_t)n;
        buf[have] = '\0';
        if (!want && (end = strstr(buf, "\r\n\r\n")) && (cl = strstr(buf, "Content-Length: ")))
            want = (size_t)(end + 4 - buf) + strtoul(cl + 16, NULL, 10);
    }
    buf[have] = '\0';
}

#define KEEP                                                                             \
    "POST /api/webpubsub/hubs/chat/ HTTP/1.1\r\nHost: x\r\nce-awpsversion: 1.0\r\n"    \
    "ce-hub: chat\r\nce-type: azure.webpubsub.user.message\r\nce-connectionId: c\r\n" \
    "WebHook-Request-Origin: x.webpubsub.azure.com\r\nContent-Type: text/plain\r\n"
#define HEAD KEEP "Connection: close\r\n"

static void echo_cb(awps_event *ev, awps_reply *r, void *data)
{
    size_t len;
    const void *p = awps_event_data(ev, &len);
    (void)data;
    if (len == 4 && !memcmp(p, "park", 4))
        park(ev, r, data);
    else
        awps_reply_success_data(r, AWPS_DATA_TEXT, p, len);
}

/* A request whose body is still arriving when the stop begins is finished
 * with its real answer; a new request on an open keep-alive connection is
 * refused with 503 while the stop waits. */
START_TEST(stop_finishes_accepted_refuses_new)
{
    awps_handler *h = hub(echo_cb, 0);
    awps_server *s = serve(h);
    unsigned port = awps_server_port(s);
    struct client parked_client;
    struct stopper x = {0, s, 20000, -1};
    char buf[4096];
    int upload = dial(port), idle = dial(port);

    /* the keep-alive connection serves a first request before the stop */
    send_all(idle, KEEP "Content-Length: 5\r\n\r\nfirst");
    read_answer(idle, buf, sizeof buf);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "answer: %.200s", buf);
    send_all(upload, HEAD "Content-Length: 10\r\n\r\nfirst");
    client_start(&parked_client, port, "park");  /* keeps the stop waiting */
    awps_reply *r = wait_parked();
    ck_assert_ptr_nonnull(r);
    for (int i = 0; i < WAIT_MS / 10 && awps_server_in_flight(s) != 2; i++)
        usleep(10 * 1000);
    ck_assert_uint_eq(awps_server_in_flight(s), 2);
    ck_assert_int_eq(pthread_create(&x.t, NULL, stop_main, &x), 0);
    usleep(300 * 1000);  /* the stop has begun (if not, the answers are the same) */

    send_all(idle, HEAD "Content-Length: 3\r\n\r\nnew");
    read_answer(idle, buf, sizeof buf);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 503", 12) == 0, "answer: %.200s", buf);
    ck_assert_ptr_nonnull(strstr(buf, "shutting down"));

    send_all(upload, " half");
    read_answer(upload, buf, sizeof buf);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "answer: %.200s", buf);
    ck_assert_ptr_nonnull(strstr(buf, "\r\n\r\nfirst half"));

    ck_assert_int_eq(awps_reply_success_data(r, AWPS_DATA_TEXT, "done", 4), AWPS_OK);
    awps_reply_release(r);
    pthread_join(parked_client.t, NULL);
    ck_assert_int_eq(parked_client.r.status, 200);
    ck_assert_str_eq(parked_client.r.body, "done");
    pthread_join(x.t, NULL);
    ck_assert_int_eq(x.rc, AWPS_OK);
    close(upload);
    close(idle);
    awps_server_free(s);
    awps_handler_free(h);
}
END_TEST

/* ---- the glue in an application's daemon ---- */

START_TEST(glue_drain_answers_pending_503)
{
    awps_handler *h = hub(park, 0);
    awps_mhd *glue = awps_mhd_new(NULL, NULL);
    struct client c;

    ck_assert_ptr_nonnull(glue);
    ck_assert_int_eq(awps_mhd_add_handler(glue, h), AWPS_OK);
    awps_handler_free(h);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME, 0, NULL,
        NULL, awps_mhd_access, glue, MHD_OPTION_NOTIFY_COMPLETED, awps_mhd_completed, glue,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a, MHD_OPTION_END);
    ck_assert_ptr_nonnull(d);
    client_start(&c, MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port, "x");
    awps_reply *r = wait_parked();
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(awps_mhd_in_flight(glue), 1);
    MHD_socket fd = MHD_quiesce_daemon(d);
    ck_assert_int_eq(awps_mhd_drain(glue, 100), AWPS_OK);
    pthread_join(c.t, NULL);
    ck_assert_int_eq(c.r.status, 503);
    MHD_stop_daemon(d);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    awps_mhd_free(glue);
    ck_assert_int_eq(awps_reply_fail(r, 500, "late"), AWPS_E_DONE);
    awps_reply_release(r);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {
        second_call_in_callback, racing_completions, completion_after_timeout,
        released_without_completion, completion_after_client_dropped,
        client_dropped_then_timeout, handler_freed_while_pending, stop_answers_pending_503,
        free_waits_for_pending, stop_with_many_pending, callback_outlives_stop,
        stop_finishes_accepted_refuses_new,
        glue_drain_answers_pending_503, NULL};

    curl_global_init(CURL_GLOBAL_DEFAULT);
    Suite *s = suite_create("misuse");
    TCase *tc = tcase_create("replies");
    tcase_set_timeout(tc, 90);
    for (const TTest **t = tests; *t; t++)
        tcase_add_test(tc, *t);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed ? 1 : 0;
}
