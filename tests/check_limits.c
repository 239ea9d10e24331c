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
#include <semaphore.h>
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

#include "internal.h"
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
    if (level == AWPS_LOG_WARN || level == AWPS_LOG_ERROR)
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

/* ---- answers whose headers do not fit in the connection memory ---- */

/* The user event's body is the length of a state value to set. */
static void set_state(awps_event *ev, awps_reply *r, void *data)
{
    size_t len, n;
    const char *p = awps_event_data(ev, &len);
    char num[16] = {0};
    char *v;

    (void)data;
    memcpy(num, p, len < sizeof num - 1 ? len : sizeof num - 1);
    n = strtoul(num, NULL, 10);
    ck_assert_ptr_nonnull(v = malloc(n + 1));
    memset(v, 'x', n);
    v[n] = '\0';
    ck_assert_int_eq(awps_reply_set_state_string(r, "k", v), AWPS_OK);
    ck_assert_int_eq(awps_reply_success(r), AWPS_OK);
    free(v);
}

typedef struct answer {
    int status;            /* 0: closed without an answer */
    size_t state_len;      /* the length of state "k" in the answer, 0 without */
    char body[512];
} answer;

/* Read one answer from fd into buf (NUL-terminated): until its head and
 * Content-Length bytes of body are in, or the server closes. Returns the
 * bytes read; *want is the whole answer's length (0 when no head came). */
static size_t read_answer(int fd, char *buf, size_t cap, size_t *want)
{
    size_t got = 0;

    *want = 0;
    buf[0] = '\0';
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        char *blank = got ? memmem(buf, got, "\r\n\r\n", 4) : NULL;
        if (blank && !*want) {
            char *cl = strcasestr(buf, "\r\nContent-Length: ");
            ck_assert_ptr_nonnull(cl);
            *want = (size_t)(blank + 4 - buf) + strtoul(cl + 18, NULL, 10);
        }
        if (*want && got >= *want)
            return got;
        ck_assert_int_gt(poll(&p, 1, WAIT_MS), 0);
        ssize_t n = recv(fd, buf + got, cap - 1 - got, 0);
        if (n <= 0)
            return got;  /* closed (an answer cut short fails in the caller) */
        got += (size_t)n;
        buf[got] = '\0';
    }
}

/* POST a user event over a fresh connection whose incoming
 * ce-connectionState holds {"k": in_len bytes} (none for 0), asking for
 * an answer with out_len bytes of state. */
static void exchange(unsigned port, size_t in_len, size_t out_len, answer *a)
{
    static char buf[128 * 1024];
    char head[1024], num[24];
    size_t got, want;
    char *state = NULL, *end, *v;
    int fd = dial(port);

    memset(a, 0, sizeof *a);
    if (in_len) {
        char *val = malloc(in_len + 1);
        ck_assert_ptr_nonnull(val);
        memset(val, 'y', in_len);
        val[in_len] = '\0';
        json_t *o = json_pack("{s:s}", "k", val);
        state = awps__state_encode(o);
        json_decref(o);
        free(val);
        ck_assert_ptr_nonnull(state);
    }
    snprintf(num, sizeof num, "%zu", out_len);
    snprintf(head, sizeof head,
             "POST /api/webpubsub/hubs/chat/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             "ce-awpsversion: 1.0\r\nce-hub: chat\r\nce-type: azure.webpubsub.user.message\r\n"
             "ce-connectionId: conn1\r\nWebHook-Request-Origin: x.webpubsub.azure.com\r\n"
             "Content-Type: text/plain\r\nContent-Length: %zu\r\n%s",
             strlen(num), state ? "ce-connectionState: " : "\r\n");
    ck_assert_int_eq(send(fd, head, strlen(head), MSG_NOSIGNAL), (ssize_t)strlen(head));
    if (state) {
        ck_assert_int_eq(send(fd, state, strlen(state), MSG_NOSIGNAL), (ssize_t)strlen(state));
        ck_assert_int_eq(send(fd, "\r\n\r\n", 4, MSG_NOSIGNAL), 4);
    }
    ck_assert_int_eq(send(fd, num, strlen(num), MSG_NOSIGNAL), (ssize_t)strlen(num));
    free(state);
    got = read_answer(fd, buf, sizeof buf, &want);
    close(fd);
    if (!got)
        return;
    ck_assert_uint_ge(got, want);
    ck_assert_int_eq(sscanf(buf, "HTTP/1.1 %d", &a->status), 1);
    end = strstr(buf, "\r\n\r\n");
    snprintf(a->body, sizeof a->body, "%s", end + 4);
    if ((v = strcasestr(buf, "\r\nce-connectionState: ")) && v < end) {
        char *eol = strstr(v + 2, "\r\n");
        char *text = awps__strndup(v + 22, (size_t)(eol - v - 22));
        json_t *o = awps__state_decode(text);
        a->state_len = json_string_length(json_object_get(o, "k"));
        json_decref(o);
        free(text);
    }
}

/* A started server for hub "chat" answering with states (set_state). */
static awps_server *serve_states(size_t memory)
{
    awps_server *s = awps_server_new();

    handler = awps_handler_new("chat");
    awps_handler_on_user_event(handler, set_state, NULL);
    ck_assert_int_eq(awps_server_add_handler(s, handler), AWPS_OK);
    ck_assert_int_eq(awps_server_set_listen(s, "127.0.0.1", 0), AWPS_OK);
    awps_server_set_log(s, keep_log, NULL, AWPS_LOG_ERROR);
    if (memory)
        ck_assert_int_eq(awps_server_set_connection_memory(s, memory), AWPS_OK);
    ck_assert_int_eq(awps_server_start(s), AWPS_OK);
    return s;
}

#define NO_FIT "does not fit in the connection memory"

/* exchange(), then: 200 with the state of out_len bytes back, or the
 * status with `text` in the body. */
static void expect(unsigned port, size_t in_len, size_t out_len, int status, const char *text)
{
    answer a;

    exchange(port, in_len, out_len, &a);
    ck_assert_msg(a.status == status, "in %zu, out %zu: status %d, expected %d", in_len,
                  out_len, a.status, status);
    if (status == 200)
        ck_assert_uint_eq(a.state_len, out_len);
    if (text)
        ck_assert_msg(strstr(a.body, text) != NULL, "body '%s' lacks '%s'", a.body, text);
}

/* libmicrohttpd closes a connection without an answer when the answer's
 * headers do not fit in its memory beside the request's: a large state is
 * answered 500 with the reason instead; more memory lets it through. */
START_TEST(state_too_large_for_connection_memory)
{
    awps_server *s = serve_states(0);  /* the default: 16 KiB */
    unsigned port = awps_server_port(s);

    expect(port, 0, 4000, 200, NULL);
    expect(port, 4000, 4000, 200, NULL);  /* incoming and outgoing: ~5.4 KB each */
    logged[0] = '\0';
    expect(port, 0, 12000, 500, NO_FIT " (16384 bytes");
    ck_assert_ptr_nonnull(strstr(logged, NO_FIT));  /* and logged as an error */
    expect(port, 8000, 4000, 500, NO_FIT);  /* fits alone, not beside the request's state */
    expect(port, 0, 10, 200, NULL);  /* the server goes on */
    done(s);

    s = serve_states(64 * 1024);
    port = awps_server_port(s);
    expect(port, 0, 12000, 200, NULL);
    expect(port, 12000, 12000, 200, NULL);
    expect(port, 0, 60000, 500, NO_FIT " (65536 bytes");
    done(s);
}
END_TEST

/* The same inside an application's daemon: the glue assumes
 * libmicrohttpd's default 32 KiB unless told the daemon's limit. */
START_TEST(state_too_large_in_application_daemon)
{
    static const size_t memory[] = {0, 8192};

    for (size_t i = 0; i < 2; i++) {
        awps_mhd *m = awps_mhd_new(NULL, NULL);
        awps_handler *h = awps_handler_new("chat");
        struct MHD_Daemon *d;

        awps_handler_on_user_event(h, set_state, NULL);
        ck_assert_int_eq(awps_mhd_add_handler(m, h), AWPS_OK);
        awps_handler_free(h);  /* the glue keeps its reference */
        awps_mhd_set_log(m, keep_log, NULL, AWPS_LOG_ERROR);
        if (memory[i])
            ck_assert_int_eq(awps_mhd_set_connection_memory(m, memory[i]), AWPS_OK);
        /* without the option: libmicrohttpd's own default, which the glue assumes */
        d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
                                 MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, awps_mhd_access, m,
                             MHD_OPTION_NOTIFY_COMPLETED, awps_mhd_completed, m,
                             memory[i] ? MHD_OPTION_CONNECTION_MEMORY_LIMIT : MHD_OPTION_END,
                             memory[i], MHD_OPTION_END);
        ck_assert_ptr_nonnull(d);
        unsigned port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
        if (memory[i]) {
            expect(port, 0, 3000, 200, NULL);
            expect(port, 0, 7000, 500, NO_FIT " (8192 bytes");
        } else {
            expect(port, 0, 20000, 200, NULL);
            expect(port, 0, 30000, 500, NO_FIT " (32768 bytes");
        }
        awps_mhd_drain(m, 100);
        MHD_stop_daemon(d);
        awps_mhd_free(m);
    }
    ck_assert_int_eq(awps_mhd_set_connection_memory(NULL, 8192), AWPS_E_INVALID);
    awps_mhd *m = awps_mhd_new(NULL, NULL);
    ck_assert_int_eq(awps_mhd_set_connection_memory(m, 1023), AWPS_E_INVALID);
    ck_assert_int_eq(awps_mhd_set_connection_memory(m, 1024), AWPS_OK);
    awps_mhd_free(m);
}
END_TEST

/* ---- the memory of all request bodies in flight ---- */

#define BODY 40960  /* under 64 KiB: one buffer of exactly its size, at once */

static sem_t release_held;      /* posted once per held reply to answer */
static atomic_int held;         /* replies held so far */

static void *hold_then_answer(void *arg)
{
    while (sem_wait(&release_held) != 0)
        ;
    awps_reply_success_data(arg, AWPS_DATA_TEXT, "held", 4);
    awps_reply_release(arg);
    return NULL;
}

/* "hold": answered from a thread once the test posts release_held (its
 * body stays counted until then); anything else is echoed. */
static void echo_or_hold(awps_event *ev, awps_reply *r, void *data)
{
    size_t len;
    const char *p = awps_event_data(ev, &len);
    pthread_t t;

    (void)data;
    if (len >= 4 && !memcmp(p, "hold", 4)) {
        awps_reply_hold(r);
        ck_assert_int_eq(pthread_create(&t, NULL, hold_then_answer, r), 0);
        pthread_detach(t);
        atomic_fetch_add(&held, 1);
        return;
    }
    awps_reply_success_data(r, AWPS_DATA_TEXT, p, len);
}

/* Headers of a user event with a body of `len` bytes, and `first` bytes of
 * it ("hold..." or "x..."). */
static int start_post(unsigned port, size_t len, size_t first, int hold)
{
    char head[512], *body = malloc(len);
    int fd = dial(port);

    ck_assert_ptr_nonnull(body);
    memset(body, 'x', len);
    if (hold)
        memcpy(body, "hold", 4);
    snprintf(head, sizeof head,
             "POST /api/webpubsub/hubs/chat/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             "ce-awpsversion: 1.0\r\nce-hub: chat\r\nce-type: azure.webpubsub.user.message\r\n"
             "ce-connectionId: conn1\r\nWebHook-Request-Origin: x.webpubsub.azure.com\r\n"
             "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n", len);
    ck_assert_int_eq(send(fd, head, strlen(head), MSG_NOSIGNAL), (ssize_t)strlen(head));
    ck_assert_int_eq(send(fd, body, first, MSG_NOSIGNAL), (ssize_t)first);
    free(body);
    return fd;
}

/* The rest of the body, then the answer's status (body in `out`). */
static int finish_post(int fd, size_t len, size_t first, char *out, size_t cap)
{
    static char buf[64 * 1024];
    char *rest = malloc(len - first), *end;
    size_t want, got;
    int status = 0;

    ck_assert_ptr_nonnull(rest);
    memset(rest, 'x', len - first);
    ck_assert_int_eq(send(fd, rest, len - first, MSG_NOSIGNAL), (ssize_t)(len - first));
    free(rest);
    got = read_answer(fd, buf, sizeof buf, &want);
    close(fd);
    ck_assert_uint_gt(got, 0);
    ck_assert_uint_ge(got, want);
    ck_assert_int_eq(sscanf(buf, "HTTP/1.1 %d", &status), 1);
    end = strstr(buf, "\r\n\r\n");
    snprintf(out, cap, "%s", end + 4);
    return status;
}

/* Wait up to WAIT_MS for cond to hold; 1 when it did. */
#define WAIT_FOR(cond) \
    do { \
        long deadline_ = now_ms() + WAIT_MS; \
        while (!(cond) && now_ms() < deadline_) \
            usleep(10 * 1000); \
        ck_assert(cond); \
    } while (0)

/* The bodies of all requests in flight share one limit: a request whose
 * body would go over it is answered 503 (no callback); a held reply's body
 * counts until it is answered, and the memory comes back when requests end. */
START_TEST(body_memory_limit)
{
    awps_server *s = awps_server_new();
    static char out[3][BODY + 64];
    int fd[3];

    ck_assert_int_eq(sem_init(&release_held, 0, 0), 0);
    atomic_store(&held, 0);
    handler = awps_handler_new("chat");
    awps_handler_on_user_event(handler, echo_or_hold, NULL);
    ck_assert_int_eq(awps_server_add_handler(s, handler), AWPS_OK);
    ck_assert_int_eq(awps_server_set_listen(s, "127.0.0.1", 0), AWPS_OK);
    ck_assert_int_eq(awps_server_set_body_memory(s, 0), AWPS_E_INVALID);
    ck_assert_int_eq(awps_server_set_body_memory(NULL, 1), AWPS_E_INVALID);
    ck_assert_int_eq(awps_mhd_set_body_memory(NULL, 1), AWPS_E_INVALID);
    ck_assert_int_eq(awps_server_set_body_memory(s, 100 * 1024), AWPS_OK);  /* 2 bodies */
    ck_assert_int_eq(awps_server_start(s), AWPS_OK);
    unsigned port = awps_server_port(s);

    /* two held replies keep their bodies: a third body is refused */
    fd[0] = start_post(port, BODY, BODY, 1);
    fd[1] = start_post(port, BODY, BODY, 1);
    WAIT_FOR(atomic_load(&held) == 2);
    fd[2] = start_post(port, BODY, BODY / 2, 0);
    ck_assert_int_eq(finish_post(fd[2], BODY, BODY / 2, out[2], sizeof out[2]), 503);
    ck_assert_ptr_nonnull(strstr(out[2], "too many request bodies at once"));
    ck_assert_int_eq(atomic_load(&held), 2);  /* no callback ran for it */
    /* answered: the memory comes back */
    sem_post(&release_held);
    sem_post(&release_held);
    ck_assert_int_eq(finish_post(fd[0], BODY, BODY, out[0], sizeof out[0]), 200);
    ck_assert_str_eq(out[0], "held");
    ck_assert_int_eq(finish_post(fd[1], BODY, BODY, out[1], sizeof out[1]), 200);
    WAIT_FOR(awps_server_in_flight(s) == 0);
    /* two bodies under way at once fit again, and are echoed whole */
    fd[0] = start_post(port, BODY, BODY / 2, 0);
    fd[1] = start_post(port, BODY, BODY / 2, 0);
    ck_assert_int_eq(finish_post(fd[0], BODY, BODY / 2, out[0], sizeof out[0]), 200);
    ck_assert_uint_eq(strlen(out[0]), BODY);
    ck_assert_int_eq(finish_post(fd[1], BODY, BODY / 2, out[1], sizeof out[1]), 200);
    ck_assert_uint_eq(strlen(out[1]), BODY);
    done(s);
    sem_destroy(&release_held);
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
    tcase_add_test(tc, state_too_large_for_connection_memory);
    tcase_add_test(tc, state_too_large_in_application_daemon);
    tcase_add_test(tc, body_memory_limit);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed ? 1 : 0;
}
