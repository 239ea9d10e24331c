/* Serving over real HTTP on 127.0.0.1: the standalone server (several hubs,
 * port 0, async replies on suspended connections, timeouts, the body cap,
 * key rotation while serving, graceful stop) and the awps_mhd glue inside an
 * application's own daemon, where other requests reach the application. */
#include <check.h>
#include <curl/curl.h>
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "testutil.h"

static const char *const ce_user[] = {
    "ce-awpsversion: 1.0", "ce-specversion: 1.0", "ce-type: azure.webpubsub.user.message",
    "ce-eventName: message", "ce-connectionId: conn1", "WebHook-Request-Origin: x.webpubsub.azure.com",
    "Content-Type: text/plain", NULL};

/* ce_user plus a hub header (and optionally a signature). */
static long post_user(tu_http_result *r, unsigned port, const char *hub, const char *sig,
                      const char *body)
{
    char hubh[128], sigh[128], path[128];
    const char *h[16];
    size_t n = 0;

    for (; ce_user[n]; n++)
        h[n] = ce_user[n];
    snprintf(hubh, sizeof hubh, "ce-hub: %s", hub);
    h[n++] = hubh;
    if (sig) {
        snprintf(sigh, sizeof sigh, "ce-signature: sha256=%s", sig);
        h[n++] = sigh;
    }
    h[n] = NULL;
    snprintf(path, sizeof path, "/api/webpubsub/hubs/%s/", hub);
    return tu_http(r, port, "POST", path, h, body, strlen(body), 0);
}

/* ---- handlers used by the tests ---- */

static void echo(awps_event *ev, awps_reply *r, void *data)
{
    size_t len;
    const void *p = awps_event_data(ev, &len);
    (void)data;
    awps_reply_success_data(r, awps_event_data_type(ev), p, len);
}

struct delayed {
    awps_reply *reply;
    unsigned ms;
};

static void *answer_after(void *arg)
{
    struct delayed *d = arg;
    usleep(d->ms * 1000);
    awps_reply_success_data(d->reply, AWPS_DATA_TEXT, "late answer", 11);
    awps_reply_release(d->reply);
    free(d);
    return NULL;
}

/* Answers from a detached thread after the number of ms in the body. */
static void slow(awps_event *ev, awps_reply *r, void *data)
{
    struct delayed *d = malloc(sizeof *d);
    pthread_t t;
    (void)data;
    d->ms = (unsigned)atoi(awps_event_data(ev, NULL));
    d->reply = r;
    awps_reply_hold(r);
    pthread_create(&t, NULL, answer_after, d);
    pthread_detach(t);
}

static void never(awps_event *ev, awps_reply *r, void *data)
{
    (void)ev; (void)r; (void)data;
}

static awps_server *server_with(awps_handler **hs, size_t n)
{
    awps_server *s = awps_server_new();
    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(awps_server_add_handler(s, hs[i]), AWPS_OK);
    ck_assert_int_eq(awps_server_set_listen(s, "127.0.0.1", 0), AWPS_OK);
    ck_assert_int_eq(awps_server_start(s), AWPS_OK);
    ck_assert_uint_ne(awps_server_port(s), 0);
    return s;
}

START_TEST(several_hubs_on_one_server)
{
    awps_handler *a = awps_handler_new("alpha"), *b = awps_handler_new("beta");
    awps_handler_on_user_event(a, echo, NULL);
    awps_handler *hs[] = {a, b};
    awps_server *s = server_with(hs, 2);
    unsigned port = awps_server_port(s);
    tu_http_result r;

    ck_assert_int_eq(post_user(&r, port, "alpha", NULL, "hi alpha"), 200);
    ck_assert_str_eq(r.body, "hi alpha");
    ck_assert_int_eq(post_user(&r, port, "beta", NULL, "hi beta"), 200);
    ck_assert_uint_eq(r.len, 0);  /* beta has no callback: 200 empty */
    ck_assert_int_eq(post_user(&r, port, "gamma", NULL, "x"), 404);
    ck_assert_ptr_nonnull(strstr(r.body, "not found"));
    /* preflight with the allowed-origin header */
    const char *pre[] = {"WebHook-Request-Origin: x.webpubsub.azure.com", NULL};
    ck_assert_int_eq(tu_http(&r, port, "OPTIONS", "/api/webpubsub/hubs/alpha/", pre, NULL, 0, 0), 200);
    ck_assert_ptr_nonnull(strstr(r.headers, "WebHook-Allowed-Origin: *"));
    /* answers decided from the headers keep the connection open (nginx
     * upstream keep-alive) */
    ck_assert_ptr_null(strcasestr(r.headers, "Connection: close"));
    ck_assert_int_eq(post_user(&r, port, "gamma", NULL, "x"), 404);
    ck_assert_ptr_null(strcasestr(r.headers, "Connection: close"));
    /* adding a handler while running is refused */
    ck_assert_int_eq(awps_server_add_handler(s, a), AWPS_E_BUSY);
    ck_assert_int_eq(awps_server_start(s), AWPS_E_BUSY);
    awps_server_free(s);
    awps_handler_free(a);
    awps_handler_free(b);
}
END_TEST

struct client_call {
    unsigned port;
    const char *body;
    tu_http_result r;
    pthread_t t;
};

static void *client_thread(void *arg)
{
    struct client_call *c = arg;
    post_user(&c->r, c->port, "chat", NULL, c->body);
    return NULL;
}

static awps_reply *parked;
static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER;

/* "park" keeps the reply unanswered; anything else is echoed. */
static void park_or_echo(awps_event *ev, awps_reply *r, void *data)
{
    if (strcmp(awps_event_data(ev, NULL), "park") != 0) {
        echo(ev, r, data);
        return;
    }
    awps_reply_hold(r);
    pthread_mutex_lock(&park_lock);
    parked = r;
    pthread_mutex_unlock(&park_lock);
}

static awps_reply *wait_parked(void)
{
    for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&park_lock);
        awps_reply *r = parked;
        parked = NULL;
        pthread_mutex_unlock(&park_lock);
        if (r)
            return r;
        usleep(5000);
    }
    return NULL;
}

START_TEST(async_reply_does_not_block_others)
{
    awps_handler *h = awps_handler_new("chat");
    awps_handler_on_user_event(h, park_or_echo, NULL);
    awps_server *s = awps_server_new();
    awps_server_add_handler(s, h);
    awps_server_set_listen(s, "127.0.0.1", 0);
    awps_server_set_threads(s, 1);  /* one thread: suspension is what keeps it free */
    ck_assert_int_eq(awps_server_start(s), AWPS_OK);
    struct client_call slowc = {awps_server_port(s), "park", {0}, 0};
    tu_http_result r;

    pthread_create(&slowc.t, NULL, client_thread, &slowc);
    awps_reply *pending = wait_parked();
    ck_assert_ptr_nonnull(pending);
    /* served while the other request waits for its reply */
    ck_assert_int_eq(post_user(&r, awps_server_port(s), "chat", NULL, "quick"), 200);
    ck_assert_str_eq(r.body, "quick");
    for (int i = 0; i < 200 && awps_server_in_flight(s) != 1; i++)
        usleep(5000);  /* the quick one is finished just after its answer */
    ck_assert_uint_eq(awps_server_in_flight(s), 1);
    ck_assert_int_eq(awps_reply_success_data(pending, AWPS_DATA_TEXT, "released", 8), AWPS_OK);
    awps_reply_release(pending);
    pthread_join(slowc.t, NULL);
    ck_assert_int_eq(slowc.r.status, 200);
    ck_assert_str_eq(slowc.r.body, "released");
    awps_server_free(s);
    awps_handler_free(h);
}
END_TEST

START_TEST(reply_timeout_over_http)
{
    awps_handler *h = awps_handler_new("chat");
    awps_handler_on_user_event(h, never, NULL);
    awps_handler_set_reply_timeout(h, 200);
    awps_server *s = server_with(&h, 1);
    tu_http_result r;

    ck_assert_int_eq(post_user(&r, awps_server_port(s), "chat", NULL, "x"), 500);
    ck_assert_ptr_nonnull(strstr(r.body, "did not reply within 200 ms"));
    awps_server_free(s);
    awps_handler_free(h);
}
END_TEST

static atomic_int calls;

static void count_and_echo(awps_event *ev, awps_reply *r, void *data)
{
    atomic_fetch_add(&calls, 1);
    echo(ev, r, data);
}

START_TEST(body_cap_413)
{
    awps_handler *h = awps_handler_new("chat");
    awps_handler_on_user_event(h, count_and_echo, NULL);
    ck_assert_int_eq(awps_handler_set_max_body(h, 1000), AWPS_OK);
    ck_assert_int_eq(awps_handler_set_max_body(h, 0), AWPS_E_INVALID);
    awps_server *s = server_with(&h, 1);
    unsigned port = awps_server_port(s);
    char *big = malloc(300001);
    tu_http_result r;
    char hubh[] = "ce-hub: chat";
    const char *hdr[16];
    size_t n = 0;

    for (; ce_user[n]; n++)
        hdr[n] = ce_user[n];
    hdr[n++] = hubh;
    hdr[n] = NULL;
    memset(big, 'a', 300000);
    big[300000] = '\0';
    atomic_store(&calls, 0);
    /* announced by Content-Length */
    ck_assert_int_eq(tu_http(&r, port, "POST", "/api/webpubsub/hubs/chat/", hdr, big, 300000, 0), 413);
    ck_assert_ptr_nonnull(strstr(r.body, "limit"));
    /* chunked: found while reading */
    ck_assert_int_eq(tu_http(&r, port, "POST", "/api/webpubsub/hubs/chat/", hdr, big, 300000, 1), 413);
    ck_assert_ptr_nonnull(strstr(r.body, "limit"));
    /* exactly at the cap passes, chunked too */
    big[1000] = '\0';
    ck_assert_int_eq(tu_http(&r, port, "POST", "/api/webpubsub/hubs/chat/", hdr, big, 1000, 1), 200);
    ck_assert_uint_eq(r.len, 1000);
    ck_assert_int_eq(atomic_load(&calls), 1);
    /* still serving */
    ck_assert_int_eq(post_user(&r, port, "chat", NULL, "ok"), 200);
    free(big);
    awps_server_free(s);
    awps_handler_free(h);
}
END_TEST

START_TEST(malformed_json_400_over_http)
{
    awps_handler *h = awps_handler_new("chat");
    awps_handler_on_user_event(h, count_and_echo, NULL);
    awps_server *s = server_with(&h, 1);
    tu_http_result r;
    const char *hdr[] = {"ce-awpsversion: 1.0", "ce-type: azure.webpubsub.user.message",
                         "ce-connectionId: c", "ce-hub: chat",
                         "WebHook-Request-Origin: x.webpubsub.azure.com",
                         "Content-Type: application/json", NULL};

    atomic_store(&calls, 0);
    ck_assert_int_eq(tu_http(&r, awps_server_port(s), "POST", "/api/webpubsub/hubs/chat/", hdr,
                          "{\"a\":", 5, 0), 400);
    ck_assert_ptr_nonnull(strstr(r.body, "not valid JSON"));
    ck_assert_int_eq(atomic_load(&calls), 0);
    awps_server_free(s);
    awps_handler_free(h);
}
END_TEST

START_TEST(key_rotation_while_serving)
{
    awps_handler *h = awps_handler_new("chat");
    awps_handler_on_user_event(h, echo, NULL);
    awps_handler_add_key(h, "key-one");
    awps_server *s = server_with(&h, 1);
    unsigned port = awps_server_port(s);
    char sig1[65], sig2[65];
    tu_http_result r;

    awps__sig_compute("key-one", "conn1", sig1);
    awps__sig_compute("key-two", "conn1", sig2);
    ck_assert_int_eq(post_user(&r, port, "chat", sig1, "a"), 200);
    ck_assert_int_eq(post_user(&r, port, "chat", sig2, "b"), 401);
    ck_assert_int_eq(post_user(&r, port, "chat", NULL, "c"), 401);
    ck_assert_ptr_nonnull(strstr(r.body, "missing"));
    ck_assert_ptr_null(strcasestr(r.headers, "Connection: close"));
    ck_assert_int_eq(awps_handler_add_key(h, "key-two"), AWPS_OK);
    ck_assert_int_eq(post_user(&r, port, "chat", sig2, "d"), 200);
    ck_assert_int_eq(post_user(&r, port, "chat", sig1, "e"), 200);
    ck_assert_int_eq(awps_handler_remove_key(h, "key-one"), AWPS_OK);
    ck_assert_int_eq(post_user(&r, port, "chat", sig1, "f"), 401);
    ck_assert_int_eq(post_user(&r, port, "chat", sig2, "g"), 200);
    ck_assert_str_eq(r.body, "g");
    awps_server_free(s);
    awps_handler_free(h);
}
END_TEST

START_TEST(graceful_stop_finishes_in_flight)
{
    awps_handler *h = awps_handler_new("chat");
    awps_handler_on_user_event(h, slow, NULL);
    awps_server *s = server_with(&h, 1);
    struct client_call c = {awps_server_port(s), "300", {0}, 0};

    pthread_create(&c.t, NULL, client_thread, &c);
    for (int i = 0; i < 2000 && awps_server_in_flight(s) == 0; i++)
        usleep(5000);
    ck_assert_uint_eq(awps_server_in_flight(s), 1);
    ck_assert_int_eq(awps_server_stop(s, 3000), AWPS_OK);
    pthread_join(c.t, NULL);
    ck_assert_int_eq(c.r.status, 200);
    ck_assert_str_eq(c.r.body, "late answer");
    ck_assert_uint_eq(awps_server_port(s), 0);
    ck_assert_int_eq(awps_server_stop(s, 10), AWPS_E_NOT_RUNNING);
    awps_server_free(s);
    awps_handler_free(h);
}
END_TEST

START_TEST(stop_deadline_answers_503)
{
    awps_handler *h = awps_handler_new("chat");
    awps_handler_on_user_event(h, never, NULL);
    awps_server *s = server_with(&h, 1);
    struct client_call c = {awps_server_port(s), "x", {0}, 0};

    pthread_create(&c.t, NULL, client_thread, &c);
    for (int i = 0; i < 2000 && awps_server_in_flight(s) == 0; i++)
        usleep(5000);
    ck_assert_int_eq(awps_server_stop(s, 200), AWPS_OK);
    pthread_join(c.t, NULL);
    ck_assert_int_eq(c.r.status, 503);
    ck_assert_ptr_nonnull(strstr(c.r.body, "shutting down"));
    /* the server can start again */
    ck_assert_int_eq(awps_server_start(s), AWPS_OK);
    tu_http_result r;
    awps_handler_on_user_event(h, echo, NULL);
    ck_assert_int_eq(post_user(&r, awps_server_port(s), "chat", NULL, "again"), 200);
    awps_server_free(s);
    awps_handler_free(h);
}
END_TEST

START_TEST(connection_memory_bounds_headers)
{
    awps_handler *h = awps_handler_new("chat");
    awps_handler_on_user_event(h, echo, NULL);
    awps_server *s = awps_server_new();
    char big[12 * 1024];
    const char *hdr[16];
    size_t n = 0;
    tu_http_result r;

    ck_assert_int_eq(awps_server_set_connection_memory(s, 100), AWPS_E_INVALID);
    ck_assert_int_eq(awps_server_set_connection_memory(s, 8 * 1024), AWPS_OK);
    awps_server_add_handler(s, h);
    awps_server_set_listen(s, "127.0.0.1", 0);
    ck_assert_int_eq(awps_server_start(s), AWPS_OK);
    ck_assert_int_eq(awps_server_set_connection_memory(s, 64 * 1024), AWPS_E_BUSY);
    for (; ce_user[n]; n++)
        hdr[n] = ce_user[n];
    hdr[n++] = "ce-hub: chat";
    memcpy(big, "ce-connectionState: ", 20);
    memset(big + 20, 'A', sizeof big - 21);
    big[sizeof big - 1] = '\0';
    hdr[n++] = big;
    hdr[n] = NULL;
    /* 12 KiB of headers do not fit in 8 KiB: refused, the server lives on */
    long status = tu_http(&r, awps_server_port(s), "POST", "/api/webpubsub/hubs/chat/", hdr, "x",
                          1, 0);
    ck_assert(status == 431 || status == 413);
    ck_assert_int_eq(post_user(&r, awps_server_port(s), "chat", NULL, "fine"), 200);
    awps_server_free(s);
    /* the same request fits with 64 KiB */
    s = awps_server_new();
    ck_assert_int_eq(awps_server_set_connection_memory(s, 64 * 1024), AWPS_OK);
    awps_server_add_handler(s, h);
    awps_server_set_listen(s, "127.0.0.1", 0);
    ck_assert_int_eq(awps_server_start(s), AWPS_OK);
    ck_assert_int_eq(tu_http(&r, awps_server_port(s), "POST", "/api/webpubsub/hubs/chat/", hdr,
                             "x", 1, 0),
                     200);
    awps_server_free(s);
    awps_handler_free(h);
}
END_TEST

/* ---- inside an application's own daemon ---- */

static atomic_int app_completed;

static enum MHD_Result app_routes(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    static int marker;
    (void)cls; (void)version; (void)upload;
    if (!*con_cls) {
        *con_cls = &marker;  /* the application's own per-request state */
        return MHD_YES;
    }
    ck_assert_ptr_eq(*con_cls, &marker);
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    char text[256];
    snprintf(text, sizeof text, "app: %s %s", method, url);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result rc = MHD_queue_response(c, 418, r);
    MHD_destroy_response(r);
    return rc;
}

static void app_done(void *cls, struct MHD_Connection *c, void **con_cls,
                     enum MHD_RequestTerminationCode toe)
{
    (void)cls; (void)c; (void)toe;
    if (*con_cls)
        atomic_fetch_add(&app_completed, 1);
}

static struct MHD_Daemon *app_daemon(awps_mhd *m, unsigned flags)
{
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | flags, 0, NULL, NULL, awps_mhd_access, m,
        MHD_OPTION_NOTIFY_COMPLETED, awps_mhd_completed, m, MHD_OPTION_END);
    ck_assert_ptr_nonnull(d);
    return d;
}

static unsigned daemon_port(struct MHD_Daemon *d)
{
    return MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
}

START_TEST(mounted_in_application_daemon)
{
    awps_handler *h = awps_handler_new("chat");
    awps_handler_on_user_event(h, slow, NULL);
    awps_mhd *m = awps_mhd_new(app_routes, NULL);
    awps_mhd_set_completed(m, app_done, NULL);
    ck_assert_int_eq(awps_mhd_add_handler(m, h), AWPS_OK);
    struct MHD_Daemon *d = app_daemon(m, MHD_ALLOW_SUSPEND_RESUME);
    unsigned port = daemon_port(d);
    tu_http_result r;

    atomic_store(&app_completed, 0);
    /* the application's own route */
    ck_assert_int_eq(tu_http(&r, port, "GET", "/hello", NULL, NULL, 0, 0), 418);
    ck_assert_str_eq(r.body, "app: GET /hello");
    /* a POST on the hub path that is not a Web PubSub request falls through */
    ck_assert_int_eq(tu_http(&r, port, "POST", "/api/webpubsub/hubs/chat/", NULL, "x", 1, 0), 418);
    /* a Web PubSub request is ours, answered asynchronously */
    ck_assert_int_eq(post_user(&r, port, "chat", NULL, "100"), 200);
    ck_assert_str_eq(r.body, "late answer");
    /* MHD finishes the request just after the client has its answer */
    for (int i = 0; i < 200 && awps_mhd_in_flight(m) != 0; i++)
        usleep(5000);
    ck_assert_uint_eq(awps_mhd_in_flight(m), 0);
    ck_assert_int_eq(awps_mhd_drain(m, 100), AWPS_OK);
    MHD_stop_daemon(d);
    ck_assert_int_eq(atomic_load(&app_completed), 2);
    awps_mhd_free(m);
    awps_handler_free(h);
}
END_TEST

START_TEST(daemon_without_suspend_answers_500)
{
    awps_handler *h = awps_handler_new("chat");
    awps_handler_on_user_event(h, never, NULL);
    awps_mhd *m = awps_mhd_new(NULL, NULL);
    awps_mhd_set_log(m, NULL, NULL, AWPS_LOG_ERROR);
    awps_mhd_add_handler(m, h);
    struct MHD_Daemon *d = app_daemon(m, 0);
    tu_http_result r;

    ck_assert_int_eq(post_user(&r, daemon_port(d), "chat", NULL, "x"), 500);
    ck_assert_int_eq(tu_http(&r, daemon_port(d), "GET", "/other", NULL, NULL, 0, 0), 404);
    MHD_stop_daemon(d);
    awps_mhd_free(m);
    awps_handler_free(h);
}
END_TEST

/* Threads of this process. */
static int count_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Threads a started server adds, with `threads` workers (0: the default). */
static int server_threads(unsigned threads)
{
    awps_server *s = awps_server_new();
    int before = count_threads(), added;

    ck_assert_int_eq(awps_server_set_listen(s, "127.0.0.1", 0), AWPS_OK);
    if (threads)
        ck_assert_int_eq(awps_server_set_threads(s, threads), AWPS_OK);
    ck_assert_int_eq(awps_server_start(s), AWPS_OK);
    added = count_threads() - before;
    awps_server_free(s);
    return added;
}

/* The default pool has one worker per CPU the process may run on (its
 * affinity mask, as under taskset or in a container's cpuset), not one per
 * CPU of the machine. */
START_TEST(default_threads_follow_affinity)
{
    cpu_set_t all, one;
    int with_default, with_one, with_two;

    ck_assert_int_eq(sched_getaffinity(0, sizeof all, &all), 0);
    CPU_ZERO(&one);
    for (int i = 0; i < CPU_SETSIZE; i++)
        if (CPU_ISSET(i, &all)) {
            CPU_SET(i, &one);
            break;
        }
    ck_assert_int_eq(sched_setaffinity(0, sizeof one, &one), 0);
    with_default = server_threads(0);
    with_one = server_threads(1);
    with_two = server_threads(2);
    ck_assert_int_eq(sched_setaffinity(0, sizeof all, &all), 0);
    ck_assert_int_gt(with_one, 0);
    ck_assert_int_eq(with_default, with_one);
    ck_assert_int_gt(with_two, with_one);  /* the count tells pools apart */
}
END_TEST

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Suite *s = suite_create("server");
    TCase *tc = tcase_create("server");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, several_hubs_on_one_server);
    tcase_add_test(tc, async_reply_does_not_block_others);
    tcase_add_test(tc, reply_timeout_over_http);
    tcase_add_test(tc, body_cap_413);
    tcase_add_test(tc, malformed_json_400_over_http);
    tcase_add_test(tc, key_rotation_while_serving);
    tcase_add_test(tc, graceful_stop_finishes_in_flight);
    tcase_add_test(tc, stop_deadline_answers_503);
    tcase_add_test(tc, connection_memory_bounds_headers);
    tcase_add_test(tc, mounted_in_application_daemon);
    tcase_add_test(tc, daemon_without_suspend_answers_500);
    tcase_add_test(tc, default_threads_follow_affinity);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed ? 1 : 0;
}
