/* Hostile requests over real HTTP, part 3: the refusals the glue adds to
 * libmicrohttpd 0.9.75 (lib/mhd.c: message framing on the first call, the
 * early answer to "Expect: 100-continue") and the value checks of the
 * header collection (lib/cloudevents.c), each with the requests next to
 * them that must still be accepted. Parts 1 and 2: tests/check_hostile.c,
 * tests/check_hostile2.c. */
#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostile-util.h"

#define USER "azure.webpubsub.user.echo"
#define UID "azure.webpubsub.user.uid"

/* The chat hub's request head for `type` + `hdrs` (hlen bytes, may hold
 * NUL) + blank line + body. */
static void send_raw(hu_raw *r, const char *type, const char *hdrs, size_t hlen,
                     const char *body, size_t blen)
{
    char *head = hu_raw_head(type, "text/plain");
    size_t n = strlen(head);
    char *req = malloc(n + hlen + 2 + blen);

    ck_assert_ptr_nonnull(req);
    memcpy(req, head, n);
    memcpy(req + n, hdrs, hlen);
    memcpy(req + n + hlen, "\r\n", 2);
    memcpy(req + n + hlen + 2, body, blen);
    hu_raw_send(r, req, n + hlen + 2 + blen);
    free(req);
    free(head);
}

#define RAW(r, type, hdrs, body) send_raw(r, type, hdrs, sizeof(hdrs) - 1, body, sizeof(body) - 1)

/* `status` with `why` in the reason; `closed`: the connection was closed. */
static void refused(const hu_raw *r, int status, const char *why, int closed)
{
    ck_assert_msg(r->status == status, "status %d, expected %d: %s", r->status, status, r->body);
    ck_assert_msg(strstr(r->body, why), "reason '%s' lacks '%s'", r->body, why);
    if (closed)
        ck_assert_msg(r->closed, "the connection was left open after %d", r->status);
    hu_still_serving();
}

/* Answered 200 with `echo`, by exactly one callback. */
static void served(const hu_raw *r, const char *echo)
{
    ck_assert_msg(r->status == 200, "status %d: %s", r->status, r->body);
    ck_assert_str_eq(r->body, echo);
    ck_assert_int_eq(hu_calls(), 1);
    hu_reset_calls();
    hu_still_serving();
}

/* ---- Expect: 100-continue ---- */

/* Over the cap: the 413 comes at once, never a 100 Continue first (the
 * body is not sent; the server closes the connection after the answer). */
START_TEST(expect_continue_over_cap)
{
    hu_raw r;
    RAW(&r, USER, "Expect: 100-continue\r\nContent-Length: 262145\r\n", "");
    ck_assert_ptr_null(strstr(r.head, "100 Continue"));
    refused(&r, 413, "the limit is 262144 bytes", 1);
}
END_TEST

/* Any answer decided from the headers (here a duplicate) goes out at once. */
START_TEST(expect_continue_refused_header)
{
    hu_raw r;
    RAW(&r, USER, "Expect: 100-continue\r\nce-hub: other\r\nContent-Length: 5\r\n", "");
    ck_assert_ptr_null(strstr(r.head, "100 Continue"));
    refused(&r, 400, "twice", 1);
}
END_TEST

/* Within the cap the client gets its 100 Continue and its answer. */
START_TEST(expect_continue_within_cap)
{
    static const char *const hdr[] = {"Expect: 100-continue", NULL};
    char *body = hu_fill('x', 2048);
    tu_http_result r;

    ck_assert_int_eq(hu_post(&r, "chat", USER, "text/plain", hdr, body, 2048, 0), 200);
    ck_assert_uint_eq(r.len, 2048);
    ck_assert_int_eq(hu_calls(), 1);
    hu_reset_calls();
    free(body);
    hu_still_serving();
}
END_TEST

/* ---- framing: accepted and refused forms ---- */

START_TEST(cl_same_value_twice_is_fine)
{
    hu_raw r;
    RAW(&r, USER, "Content-Length: 5\r\nContent-Length: 5\r\n", "hello");
    served(&r, "hello");
}
END_TEST

START_TEST(te_chunked_any_case_is_fine)
{
    hu_raw r;
    RAW(&r, USER, "Transfer-Encoding: Chunked\r\n", "5\r\nhello\r\n0\r\n\r\n");
    served(&r, "hello");
}
END_TEST

/* RFC 9112 6.1: a coding the server does not implement before chunked. */
START_TEST(te_gzip_then_chunked_501)
{
    hu_raw r;
    RAW(&r, USER, "Transfer-Encoding: gzip, chunked\r\n", "5\r\nhello\r\n0\r\n\r\n");
    refused(&r, 501, "chunked", 1);
}
END_TEST

START_TEST(te_two_lines_501)
{
    hu_raw r;
    RAW(&r, USER, "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",
        "5\r\nhello\r\n0\r\n\r\n");
    refused(&r, 501, "chunked", 1);
}
END_TEST

START_TEST(te_empty_value)
{
    hu_raw r;
    RAW(&r, USER, "Transfer-Encoding: \r\n", "hello");
    refused(&r, 400, "Transfer-Encoding", 1);
}
END_TEST

/* Framing errors are refused whatever route the request takes (here the
 * 404 of the standalone server). */
START_TEST(framing_checked_on_every_route)
{
    static const char req[] = "GET /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                              "Content-Length: 2\r\n\r\nab";
    hu_raw r;

    hu_raw_send(&r, req, sizeof req - 1);
    refused(&r, 400, "Content-Length", 1);
}
END_TEST

START_TEST(bad_byte_in_header_name)
{
    hu_raw r;
    RAW(&r, USER, "X(y): 1\r\nContent-Length: 5\r\n", "hello");
    refused(&r, 400, "header name", 1);
}
END_TEST

START_TEST(tab_before_colon)
{
    hu_raw r;
    RAW(&r, USER, "ce-hub\t: other\r\nContent-Length: 5\r\n", "hello");
    refused(&r, 400, "header name", 1);
}
END_TEST

/* ---- values of the headers the library reads ---- */

/* The NUL in the last header line, before the blank line. */
START_TEST(nul_in_last_header)
{
    hu_raw r;
    RAW(&r, UID, "Content-Length: 5\r\nce-userId: ab\0cd\r\n", "hello");
    refused(&r, 400, "ce-userId header holds a NUL byte", 0);
}
END_TEST

START_TEST(nul_in_origin)
{
    hu_raw r;
    RAW(&r, USER, "Content-Length: 5\r\nWebHook-Request-Origin: x.webpubsub.azure.com\0evil\r\n",
        "hello");
    refused(&r, 400, "NUL byte", 0);
}
END_TEST

START_TEST(nul_in_unknown_ce_header)
{
    hu_raw r;
    RAW(&r, USER, "ce-traceparent: 00\0zz\r\nContent-Length: 5\r\n", "hello");
    refused(&r, 400, "ce-traceparent header holds a NUL byte", 0);
}
END_TEST

START_TEST(control_byte_in_state)
{
    hu_raw r;
    RAW(&r, "azure.webpubsub.user.states", "ce-connectionState: e30=\x0b\r\nContent-Length: 5\r\n",
        "hello");
    refused(&r, 400, "ce-connectionState header holds a control byte", 0);
}
END_TEST

START_TEST(del_in_unknown_ce_header)
{
    hu_raw r;
    RAW(&r, USER, "ce-source: a\x7f\r\nContent-Length: 5\r\n", "hello");
    refused(&r, 400, "control byte", 0);
}
END_TEST

START_TEST(invalid_utf8_in_content_type)
{
    static const char req[] =
        "POST /api/webpubsub/hubs/chat/ HTTP/1.1\r\nHost: x\r\nce-awpsversion: 1.0\r\n"
        "ce-type: azure.webpubsub.user.echo\r\nce-hub: chat\r\nce-connectionId: c\r\n"
        "WebHook-Request-Origin: x.webpubsub.azure.com\r\nContent-Type: text/\xfe\r\n"
        "Content-Length: 5\r\n\r\nhello";
    hu_raw r;

    hu_raw_send(&r, req, sizeof req - 1);
    refused(&r, 400, "Content-Type header holds bytes that are not UTF-8", 0);
}
END_TEST

/* Other headers are not the library's business (X-Other with a control
 * byte goes through), nor are bytes allowed in values: HTAB, UTF-8. */
START_TEST(allowed_values_pass)
{
    hu_raw r;
    RAW(&r, UID, "ce-userId: Jos\xc3\xa9\t\xe2\x82\xac\r\nX-Other: a\x01\r\nce-empty:\r\n"
        "Content-Length: 5\r\nce-last: \r\n", "hello");
    served(&r, "Jos\xc3\xa9\t\xe2\x82\xac");
}
END_TEST

/* Bare LF line endings: the NUL check has no false alarm... */
START_TEST(bare_lf_lines_pass)
{
    static const char req[] =
        "POST /api/webpubsub/hubs/chat/ HTTP/1.1\nHost: x\nce-awpsversion: 1.0\n"
        "ce-type: azure.webpubsub.user.uid\nce-hub: chat\nce-connectionId: c\n"
        "ce-userId: lf\nWebHook-Request-Origin: x.webpubsub.azure.com\n"
        "Content-Length: 5\nConnection: close\n\nhello";
    hu_raw r;

    hu_raw_send(&r, req, sizeof req - 1);
    served(&r, "lf");
}
END_TEST

/* ...and still sees a NUL. */
START_TEST(bare_lf_lines_nul)
{
    static const char req[] =
        "POST /api/webpubsub/hubs/chat/ HTTP/1.1\nHost: x\nce-awpsversion: 1.0\n"
        "ce-type: azure.webpubsub.user.uid\nce-hub: chat\nce-connectionId: c\n"
        "ce-userId: l\0f\nWebHook-Request-Origin: x.webpubsub.azure.com\n"
        "Content-Length: 5\nConnection: close\n\nhello";
    hu_raw r;

    hu_raw_send(&r, req, sizeof req - 1);
    refused(&r, 400, "NUL byte", 0);
}
END_TEST

/* ---- many ce-* headers ---- */

static char *many_ce(int n, const char *tail)
{
    char *h = calloc(1, 1), line[40];

    for (int i = 0; i < n; i++) {
        snprintf(line, sizeof line, "ce-x%d: v\r\n", i);
        h = hu_cat(h, line);
    }
    return hu_cat(h, tail);
}

/* 30 + ce-specversion and ce-id: the 32 tracked. */
START_TEST(ce_headers_32_fine)
{
    char *h = many_ce(30, "Content-Length: 5\r\n");
    hu_raw r;

    send_raw(&r, USER, h, strlen(h), "hello", 5);
    free(h);
    served(&r, "hello");
}
END_TEST

/* 40 distinct others (besides the usual ce-specversion and ce-id): past
 * the tracked ones a duplicate could not be seen, so they are refused. */
START_TEST(ce_headers_40_refused)
{
    char *h = many_ce(40, "Content-Length: 5\r\n");
    hu_raw r;

    send_raw(&r, USER, h, strlen(h), "hello", 5);
    free(h);
    refused(&r, 400, "more than 32 ce-* headers", 0);
}
END_TEST

START_TEST(dup_of_the_32nd)
{
    char *h = many_ce(30, "ce-x29: w\r\nContent-Length: 5\r\n");
    hu_raw r;

    send_raw(&r, USER, h, strlen(h), "hello", 5);
    free(h);
    refused(&r, 400, "ce-x29 header was sent twice with different values", 0);
}
END_TEST

int main(void)
{
    const TTest *framing[] = {
        expect_continue_over_cap, expect_continue_refused_header, expect_continue_within_cap,
        cl_same_value_twice_is_fine, te_chunked_any_case_is_fine, te_gzip_then_chunked_501,
        te_two_lines_501, te_empty_value, framing_checked_on_every_route,
        bad_byte_in_header_name, tab_before_colon, NULL};
    const TTest *values[] = {
        nul_in_last_header, nul_in_origin, nul_in_unknown_ce_header, control_byte_in_state,
        del_in_unknown_ce_header, invalid_utf8_in_content_type, allowed_values_pass,
        bare_lf_lines_pass, bare_lf_lines_nul, ce_headers_32_fine, ce_headers_40_refused,
        dup_of_the_32nd, NULL};
    const TTest **lists[2] = {framing, values};
    static const char *names[2] = {"framing", "values"};

    curl_global_init(CURL_GLOBAL_DEFAULT);
    Suite *s = suite_create("hostile3");
    for (int i = 0; i < 2; i++) {
        TCase *tc = tcase_create(names[i]);
        tcase_set_timeout(tc, 60);
        tcase_add_checked_fixture(tc, hu_setup, hu_teardown);
        for (const TTest **t = lists[i]; *t; t++)
            tcase_add_test(tc, *t);
        suite_add_tcase(s, tc);
    }
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed ? 1 : 0;
}
