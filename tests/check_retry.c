/* The retry policy (spec §6.1) and the transport, over real HTTP against the
 * mock service: which answers are retried and how long the client waits,
 * transport errors, one token and request id for all attempts of an
 * operation, many threads on one client with connection reuse, and the
 * internal transport seam. */
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "service-check.h"

/* A client on the mock with retries: max_retries, base delay, cap. */
static awps_service *retrying(unsigned max, unsigned delay, unsigned cap)
{
    awps_service *s = client();
    ck_assert_int_eq(awps_service_set_retry(s, max, delay, cap), AWPS_OK);
    return s;
}

/* All requests recorded so far carry the same token and request id. */
static void same_token_and_id(void)
{
    const mock_request *first = mock_request_at(m, 0);

    ck_assert_ptr_nonnull(first);
    for (size_t i = 1; i < mock_count(m); i++) {
        const mock_request *r = mock_request_at(m, i);
        ck_assert_str_eq(r->authorization, first->authorization);
        ck_assert_str_eq(r->request_id, first->request_id);
        ck_assert_str_eq(r->target, first->target);
        ck_assert_msg(r->token_ok, "%s", r->token_error);
    }
}

START_TEST(status_500_four_attempts)
{
    awps_service *s = retrying(3, 1, 4);
    awps_service_error e;

    for (int i = 0; i < 4; i++)
        mock_script(m, 500, "text/plain", "boom", NULL);
    ck_assert_int_eq(awps_service_send_to_all(s, AWPS_DATA_TEXT, "x", 1, NULL, &e), AWPS_E_HTTP);
    ck_assert_int_eq(e.status, 500);
    ck_assert_str_eq(e.message, "boom");
    ck_assert_uint_eq(mock_count(m), 4);
    same_token_and_id();
    /* the body goes out again on every attempt */
    for (size_t i = 0; i < 4; i++)
        expect_req(i, "POST", "/api/hubs/hub1/:send?api-version=2024-12-01", "text/plain", "x", 1);
    awps_service_free(s);
}
END_TEST

START_TEST(retried_until_success)
{
    static const unsigned first[] = {500, 502, 503, 504, 408, 599};
    awps_service *s = retrying(3, 1, 2);
    awps_service_error e;
    int x;

    for (size_t i = 0; i < sizeof first / sizeof first[0]; i++) {
        mock_reset(m);
        mock_script(m, first[i], NULL, NULL, NULL);
        mock_script(m, first[i], NULL, NULL, NULL);
        ck_assert_int_eq(awps_service_group_exists(s, "g", &x, &e), AWPS_OK);
        ck_assert_int_eq(x, 1);
        ck_assert_msg(mock_count(m) == 3, "%u: %zu attempts", first[i], mock_count(m));
        same_token_and_id();
    }
    awps_service_free(s);
}
END_TEST

START_TEST(not_retried)
{
    static const unsigned statuses[] = {400, 401, 403, 404, 409, 413, 501, 505, 429, 302};
    awps_service *s = retrying(3, 1, 2);
    awps_service_error e;

    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        mock_reset(m);
        /* 429 without a retry header is not retried either */
        mock_script(m, statuses[i], NULL, NULL, NULL);
        ck_assert_int_eq(awps_service_close_all(s, NULL, &e), AWPS_E_HTTP);
        ck_assert_int_eq(e.status, (long)statuses[i]);
        ck_assert_msg(mock_count(m) == 1, "%u: %zu attempts", statuses[i], mock_count(m));
    }
    awps_service_free(s);
}
END_TEST

START_TEST(no_retries_when_disabled)
{
    awps_service *s = retrying(0, 1, 2);
    awps_service_error e;

    mock_script(m, 500, NULL, NULL, NULL);
    ck_assert_int_eq(awps_service_close_all(s, NULL, &e), AWPS_E_HTTP);
    ck_assert_uint_eq(mock_count(m), 1);
    awps_service_free(s);
}
END_TEST

/* 429 and 503 with a retry header wait as told, not the back-off. */
START_TEST(throttled_wait_as_told)
{
    awps_service *s = retrying(3, 60000, 120000);  /* a back-off would take >= 30 s */
    awps_service_error e;
    uint64_t t0;

    mock_script(m, 429, NULL, NULL, "retry-after-ms", "50", NULL);
    t0 = awps__now_ms();
    ck_assert_int_eq(awps_service_send_to_all(s, AWPS_DATA_TEXT, "x", 1, NULL, &e), AWPS_OK);
    ck_assert_uint_ge(awps__now_ms() - t0, 50);
    ck_assert_uint_lt(awps__now_ms() - t0, 10000);
    ck_assert_uint_eq(mock_count(m), 2);
    same_token_and_id();

    mock_reset(m);
    mock_script(m, 503, NULL, NULL, "x-ms-retry-after-ms", "30", NULL);
    mock_script(m, 429, NULL, NULL, "Retry-After", "0", NULL);
    t0 = awps__now_ms();
    ck_assert_int_eq(awps_service_close_all(s, NULL, &e), AWPS_OK);
    ck_assert_uint_ge(awps__now_ms() - t0, 30);
    ck_assert_uint_lt(awps__now_ms() - t0, 10000);
    ck_assert_uint_eq(mock_count(m), 3);

    /* an HTTP date in the past: at once */
    mock_reset(m);
    mock_script(m, 429, NULL, NULL, "Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT", NULL);
    t0 = awps__now_ms();
    ck_assert_int_eq(awps_service_close_all(s, NULL, &e), AWPS_OK);
    ck_assert_uint_lt(awps__now_ms() - t0, 10000);
    ck_assert_uint_eq(mock_count(m), 2);
    awps_service_free(s);
}
END_TEST

/* Retry-After: 30 (seconds) is capped at the maximum delay. */
START_TEST(throttled_wait_capped)
{
    awps_service *s = retrying(3, 1, 100);
    awps_service_error e;
    uint64_t t0 = awps__now_ms();

    mock_script(m, 429, NULL, NULL, "Retry-After", "30", NULL);
    mock_script(m, 429, NULL, NULL, "Retry-After", "30", NULL);
    ck_assert_int_eq(awps_service_close_all(s, NULL, &e), AWPS_OK);
    ck_assert_uint_ge(awps__now_ms() - t0, 200);
    ck_assert_uint_lt(awps__now_ms() - t0, 10000);  /* uncapped: 60 s */
    ck_assert_uint_eq(mock_count(m), 3);
    /* four throttled answers: the last one is the error */
    mock_reset(m);
    for (int i = 0; i < 4; i++)
        mock_script(m, 429, JSON_UTF8, "{\"code\":\"Throttled\",\"message\":\"slow down\"}",
                    "retry-after-ms", "1", NULL);
    ck_assert_int_eq(awps_service_close_all(s, NULL, &e), AWPS_E_HTTP);
    ck_assert_int_eq(e.status, 429);
    ck_assert_str_eq(e.message, "slow down");
    ck_assert_uint_eq(mock_count(m), 4);
    awps_service_free(s);
}
END_TEST

/* Back-off k waits d/2..d with d = min(cap, delay * 2^k). */
START_TEST(exponential_backoff)
{
    awps_service *s = retrying(2, 40, 1000);
    awps_service_error e;
    uint64_t t0 = awps__now_ms(), took;

    for (int i = 0; i < 3; i++)
        mock_script(m, 500, NULL, NULL, NULL);
    ck_assert_int_eq(awps_service_close_all(s, NULL, &e), AWPS_E_HTTP);
    took = awps__now_ms() - t0;
    ck_assert_uint_eq(mock_count(m), 3);
    ck_assert_uint_ge(took, 20 + 40);       /* [20,40] + [40,80] */
    ck_assert_uint_lt(took, 10000);
    /* the cap bounds every wait */
    mock_reset(m);
    ck_assert_int_eq(awps_service_set_retry(s, 3, 100000, 30), AWPS_OK);
    for (int i = 0; i < 4; i++)
        mock_script(m, 500, NULL, NULL, NULL);
    t0 = awps__now_ms();
    ck_assert_int_eq(awps_service_close_all(s, NULL, &e), AWPS_E_HTTP);
    took = awps__now_ms() - t0;
    ck_assert_uint_ge(took, 45);            /* 3 x [15,30] */
    ck_assert_uint_lt(took, 10000);         /* uncapped: over 150 s */
    awps_service_free(s);
}
END_TEST

/* A TCP socket bound to a free port of 127.0.0.1 (listening when asked);
 * its port in *port. */
static int loopback_socket(int listening, unsigned *port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    if (listening)
        ck_assert_int_eq(listen(fd, 16), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* A port where nothing listens. */
static unsigned closed_port(void)
{
    unsigned port;

    close(loopback_socket(0, &port));
    return port;
}

/* A call that fails without an answer: AWPS_E_TRANSPORT, no status, and
 * libcurl's text containing `text`. Returns how long it took, in ms. */
static uint64_t fails_in_transport(awps_service *s, const char *text)
{
    awps_service_error e;
    uint64_t t0 = awps__now_ms();

    ck_assert_int_eq(awps_service_send_to_all(s, AWPS_DATA_TEXT, "x", 1, NULL, &e),
                     AWPS_E_TRANSPORT);
    ck_assert_int_eq(e.code, AWPS_E_TRANSPORT);
    ck_assert_int_eq(e.status, 0);
    ck_assert_msg(strstr(e.message, text) != NULL, "%s", e.message);  /* curl's text */
    return awps__now_ms() - t0;
}

START_TEST(connection_refused)
{
    char url[64];
    awps_service *s;
    awps_service_error e;
    uint64_t t0;

    snprintf(url, sizeof url, "http://127.0.0.1:%u", closed_port());
    s = client_at(url, KEY, "hub1");
    ck_assert_int_eq(awps_service_set_retry(s, 2, 20, 1000), AWPS_OK);
    /* two back-offs: [10,20] + [20,40] */
    ck_assert_uint_ge(fails_in_transport(s, "onnect"), 10 + 20);
    /* without retries: at once */
    ck_assert_int_eq(awps_service_set_retry(s, 0, 60000, 60000), AWPS_OK);
    t0 = awps__now_ms();
    ck_assert_int_eq(awps_service_close_all(s, NULL, &e), AWPS_E_TRANSPORT);
    ck_assert_uint_lt(awps__now_ms() - t0, 10000);
    awps_service_free(s);
}
END_TEST

/* A service that takes connections and never answers (a socket that
 * listens, nothing accepts): each attempt ends at the client's timeout and
 * is retried like any transport error. Without a timeout only libcurl's
 * 120 s stall limit would end it. */
START_TEST(timeout_per_attempt)
{
    unsigned port;
    int fd = loopback_socket(1, &port);
    char url[64];
    awps_service *s;
    uint64_t took;

    snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
    s = client_at(url, KEY, "hub1");
    ck_assert_int_eq(awps_service_set_timeout(NULL, 200), AWPS_E_INVALID);
    ck_assert_int_eq(awps_service_set_retry(s, 1, 1, 2), AWPS_OK);
    ck_assert_int_eq(awps_service_set_timeout(s, 200), AWPS_OK);
    took = fails_in_transport(s, "timed out");
    ck_assert_uint_ge(took, 2 * 200);  /* two attempts of 200 ms */
    ck_assert_uint_lt(took, 60000);   /* not the 120 s stall */
    awps_service_free(s);
    close(fd);
}
END_TEST

/* A connection dropped without an answer is a transport error: retried. */
START_TEST(dropped_connection_retried)
{
    awps_service *s = retrying(3, 1, 2);
    awps_service_error e;

    mock_script(m, 0, NULL, NULL, NULL);
    ck_assert_int_eq(awps_service_add_user_to_group(s, "g", "u", &e), AWPS_OK);
    ck_assert_uint_eq(mock_count(m), 2);
    ck_assert_uint_eq(mock_request_at(m, 0)->status, 0);
    ck_assert_uint_eq(mock_request_at(m, 1)->status, 200);
    same_token_and_id();
    awps_service_free(s);
    /* dropped every time: the transport error is reported (a new client,
     * so that no attempt goes out on a reused connection, which libcurl
     * itself retries once on a fresh one) */
    s = retrying(3, 1, 2);
    mock_reset(m);
    for (int i = 0; i < 4; i++)
        mock_script(m, 0, NULL, NULL, NULL);
    ck_assert_int_eq(awps_service_add_user_to_group(s, "g", "u", &e), AWPS_E_TRANSPORT);
    ck_assert_uint_eq(mock_count(m), 4);
    ck_assert_str_ne(e.message, "");
    awps_service_free(s);
}
END_TEST

/* ---- many threads, one client ---- */

#define THREADS 8
#define SENDS 50

struct worker {
    awps_service *s;
    int id, failures;
};

static void *send_many(void *arg)
{
    struct worker *w = arg;
    char user[32], msg[64];

    snprintf(user, sizeof user, "user%d", w->id);
    for (int i = 0; i < SENDS; i++) {
        awps_service_error e;
        int n = snprintf(msg, sizeof msg, "message %d from %d", i, w->id);
        if (awps_service_send_to_user(w->s, user, AWPS_DATA_TEXT, msg, (size_t)n, NULL, &e) != AWPS_OK)
            w->failures++;
    }
    return NULL;
}

START_TEST(threads_share_connections)
{
    awps_service *s = client();
    pthread_t t[THREADS];
    struct worker w[THREADS];
    unsigned long conns_before = mock_connections(m);

    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){s, i, 0};
        ck_assert_int_eq(pthread_create(&t[i], NULL, send_many, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(w[i].failures, 0);
    }
    ck_assert_uint_eq(mock_count(m), THREADS * SENDS);
    for (size_t i = 0; i < mock_count(m); i++) {
        const mock_request *r = mock_request_at(m, i);
        ck_assert_msg(r->token_ok, "%s", r->token_error);
        ck_assert_uint_eq(r->status, 202);
    }
    /* keep-alive: about one connection per thread, far fewer than requests */
    ck_assert_uint_le(mock_connections(m) - conns_before, 2 * THREADS);
    awps_service_free(s);
}
END_TEST

/* One thread, many requests: a single connection. */
START_TEST(sequential_requests_reuse_one_connection)
{
    awps_service *s = client();
    awps_service_error e;
    int x;

    for (int i = 0; i < 20; i++)
        ck_assert_int_eq(awps_service_connection_exists(s, "c", &x, &e), AWPS_OK);
    ck_assert_uint_eq(mock_connections(m), 1);
    ck_assert_uint_eq(mock_request_at(m, 19)->connection, mock_request_at(m, 0)->connection);
    awps_service_free(s);
}
END_TEST

/* ---- the transport seam ---- */

struct fake {
    int calls;
    int fail_first;        /* this many retryable failures first */
    int permanent;         /* or fail permanently */
    char url[256], auth[1024];
};

static int fake_send(void *data, const awps__http_req *req, const char *url,
                     awps__http_resp *resp, int *retryable, char *errbuf, size_t errlen)
{
    struct fake *f = data;

    f->calls++;
    snprintf(f->url, sizeof f->url, "%s", url);
    snprintf(f->auth, sizeof f->auth, "%s", req->authorization);
    if (f->permanent || f->calls <= f->fail_first) {
        *retryable = !f->permanent;
        snprintf(errbuf, errlen, "fake failure %d", f->calls);
        return AWPS_E_TRANSPORT;
    }
    resp->status = 202;
    return AWPS_OK;
}

START_TEST(transport_seam)
{
    awps_service *s = client_at(CONTOSO, KEY, "hub1");
    struct fake f = {0, 2, 0, "", ""};
    awps_service_error e;
    json_t *claims;

    ck_assert_int_eq(awps_service_set_retry(s, 3, 1, 2), AWPS_OK);
    ck_assert_int_eq(awps_service_set_reverse_proxy(s, "http://proxy.example:8080/x"), AWPS_OK);
    ck_assert_int_eq(awps__http_set_send(s, fake_send, &f), AWPS_OK);
    ck_assert_int_eq(awps_service_send_to_all(s, AWPS_DATA_TEXT, "x", 1, NULL, &e), AWPS_OK);
    ck_assert_int_eq(f.calls, 3);
    /* the proxy replaces scheme://host[:port]; the audience stays the service's */
    ck_assert_str_eq(f.url, "http://proxy.example:8080/api/hubs/hub1/:send?api-version=2024-12-01");
    claims = jwt_claims(f.auth);
    ck_assert_str_eq(json_string_value(json_object_get(claims, "aud")),
                     CONTOSO "/api/hubs/hub1/:send?api-version=2024-12-01");
    json_decref(claims);
    f = (struct fake){0, 0, 1, "", ""};
    ck_assert_int_eq(awps_service_close_all(s, NULL, &e), AWPS_E_TRANSPORT);
    ck_assert_int_eq(f.calls, 1);
    ck_assert_str_eq(e.message, "fake failure 1");
    ck_assert_int_eq(awps__http_set_send(s, NULL, NULL), AWPS_OK);
    ck_assert_int_eq(awps__http_set_send(NULL, NULL, NULL), AWPS_E_INVALID);
    awps_service_free(s);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("retry");
    TCase *tc = tcase_create("retry");
    SRunner *sr;
    int failed;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, status_500_four_attempts);
    tcase_add_test(tc, retried_until_success);
    tcase_add_test(tc, not_retried);
    tcase_add_test(tc, no_retries_when_disabled);
    tcase_add_test(tc, throttled_wait_as_told);
    tcase_add_test(tc, throttled_wait_capped);
    tcase_add_test(tc, exponential_backoff);
    tcase_add_test(tc, connection_refused);
    tcase_add_test(tc, timeout_per_attempt);
    tcase_add_test(tc, dropped_connection_retried);
    tcase_add_test(tc, threads_share_connections);
    tcase_add_test(tc, sequential_requests_reuse_one_connection);
    tcase_add_test(tc, transport_seam);
    suite_add_tcase(su, tc);
    sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed ? 1 : 0;
}
