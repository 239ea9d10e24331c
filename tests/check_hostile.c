/* Hostile requests over real HTTP, part 1: message framing and the header
 * block, sent over raw sockets (what libcurl cannot send) or libcurl, to a
 * standalone server with the hubs of tests/conformance-app.c. Each case:
 * a 4xx with a reason (or the connection closed, where HTTP itself forbids
 * the request), no callback, and the server still answers a valid request.
 * Bodies, signatures, state and CR/LF echoes: tests/check_hostile2.c.
 *
 * Who answers: the library's own answers are text/plain; requests that HTTP
 * forbids (malformed request line, Content-Length or chunked syntax, header
 * block over MHD's memory limit) are refused by libmicrohttpd itself with an
 * HTML reason and the connection closed, before the library sees them; the
 * framing libmicrohttpd 0.9.75 lets through (conflicting Content-Length,
 * Content-Length with Transfer-Encoding, codings other than chunked,
 * whitespace in header names) is refused by the glue (lib/mhd-headers.c),
 * with a text reason, and the connection closed. */
#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostile-util.h"

#define USER "azure.webpubsub.user.echo"

/* Send head + `hdrs` (hlen bytes, each line ending in CRLF) + blank line +
 * body (blen bytes) to the chat hub; NUL bytes allowed everywhere. */
static void raw_case(hu_raw *r, const char *type, const char *ctype, const char *hdrs,
                     size_t hlen, const char *body, size_t blen)
{
    char *head = hu_raw_head(type, ctype);
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

/* Literal headers and body (may hold NUL bytes). */
#define RAW(r, ctype, hdrs, body) RAWT(r, USER, ctype, hdrs, body)
#define RAWT(r, type, ctype, hdrs, body) \
    raw_case(r, type, ctype, hdrs, sizeof(hdrs) - 1, body, sizeof(body) - 1)

/* The start of a body for a failure message, bytes outside ASCII as \xNN. */
static const char *shown(const hu_raw *r)
{
    static char out[200];
    size_t o = 0;

    for (size_t i = 0; i < r->blen && o + 5 < sizeof out; i++) {
        unsigned char c = (unsigned char)r->body[i];
        o += (size_t)snprintf(out + o, sizeof out - o, c >= 32 && c < 127 ? "%c" : "\\x%02x", c);
    }
    out[o] = '\0';
    return out;
}

/* A 4xx with a non-empty reason; `closed`: the server closed the connection. */
static void refused(const hu_raw *r, int status, int closed)
{
    ck_assert_msg(r->status == status, "status %d, expected %d; body: %s", r->status, status,
                  shown(r));
    ck_assert_msg(r->blen > 0, "no reason in the %d answer", r->status);
    if (closed)
        ck_assert_msg(r->closed, "the connection was left open after %d", r->status);
}

/* A raw request, then a second one that must still be served. */
static void cut(const char *type, const char *hdrs, const char *body)
{
    char *req = hu_cat(hu_raw_head(type, "text/plain"), hdrs);

    req = hu_cat(hu_cat(req, "\r\n"), body);
    hu_raw_cut(req, strlen(req));
    free(req);
    hu_still_serving();
}

/* ---- Content-Length ---- */

START_TEST(cl_not_a_number)
{
    hu_raw r;
    RAW(&r, "text/plain", "Content-Length: abc\r\n", "hello");
    refused(&r, 400, 1);
    hu_still_serving();
}
END_TEST

START_TEST(cl_negative)
{
    hu_raw r;
    RAW(&r, "text/plain", "Content-Length: -5\r\n", "hello");
    refused(&r, 400, 1);
    hu_still_serving();
}
END_TEST

START_TEST(cl_plus_sign)
{
    hu_raw r;
    RAW(&r, "text/plain", "Content-Length: +5\r\n", "hello");
    refused(&r, 400, 1);
    hu_still_serving();
}
END_TEST

START_TEST(cl_hex)
{
    hu_raw r;
    RAW(&r, "text/plain", "Content-Length: 0x5\r\n", "hello");
    refused(&r, 400, 1);
    hu_still_serving();
}
END_TEST

START_TEST(cl_list_in_one_header)
{
    hu_raw r;
    RAW(&r, "text/plain", "Content-Length: 5, 5\r\n", "hello");
    refused(&r, 400, 1);
    hu_still_serving();
}
END_TEST

START_TEST(cl_overflows_64_bits)
{
    hu_raw r;
    RAW(&r, "text/plain", "Content-Length: 99999999999999999999999\r\n", "hello");
    refused(&r, 413, 1);
    hu_still_serving();
}
END_TEST

START_TEST(cl_uint64_max)
{
    hu_raw r;
    RAW(&r, "text/plain", "Content-Length: 18446744073709551615\r\n", "hello");
    refused(&r, 413, 1);
    ck_assert_ptr_nonnull(strstr(r.body, "limit"));
    hu_still_serving();
}
END_TEST

/* Announced over 64 MiB: answered at once, the body never read. */
START_TEST(cl_huge_announced_nothing_sent)
{
    hu_raw r;
    RAW(&r, "text/plain", "Content-Length: 100000000\r\n", "");
    refused(&r, 413, 1);
    ck_assert_ptr_nonnull(strstr(r.body, "the limit is 262144 bytes"));
    hu_still_serving();
}
END_TEST

START_TEST(cl_over_cap_body_sent)
{
    char *big = hu_fill('a', HU_CAP + 1);
    tu_http_result r;

    ck_assert_int_eq(hu_post(&r, "chat", USER, "text/plain", NULL, big, HU_CAP + 1, 0), 413);
    ck_assert_ptr_nonnull(strstr(r.body, "limit"));
    free(big);
    hu_still_serving();
}
END_TEST

START_TEST(chunked_over_cap)
{
    char *big = hu_fill('a', HU_CAP + 1);
    tu_http_result r;

    ck_assert_int_eq(hu_post(&r, "chat", USER, "text/plain", NULL, big, HU_CAP + 1, 1), 413);
    ck_assert_ptr_nonnull(strstr(r.body, "limit"));
    free(big);
    hu_still_serving();
}
END_TEST

/* Shorter than the body: the rest would be the next request; the prefix
 * is not valid JSON, so 400, and nothing of the rest is dispatched. */
START_TEST(cl_shorter_than_body)
{
    hu_raw r;
    RAW(&r, "application/json", "Content-Length: 4\r\n", "{\"a\":1}");
    refused(&r, 400, 1);
    ck_assert_ptr_nonnull(strstr(r.body, "not valid JSON"));
    hu_still_serving();
}
END_TEST

START_TEST(cl_longer_than_body_then_close)
{
    cut(USER, "Content-Length: 1000\r\n", "only a part");
}
END_TEST

/* RFC 9112 6.3: differing Content-Length values are an unrecoverable
 * framing error: 400 and close. libmicrohttpd 0.9.75 takes the first; the
 * glue refuses the request on its first call. */
START_TEST(cl_two_different_values)
{
    hu_raw r;
    RAW(&r, "text/plain", "Content-Length: 5\r\nContent-Length: 3\r\n", "hello");
    refused(&r, 400, 1);
    hu_still_serving();
}
END_TEST

START_TEST(cl_two_different_values_reversed)
{
    hu_raw r;
    RAW(&r, "text/plain", "Content-Length: 3\r\nContent-Length: 5\r\n", "hello");
    refused(&r, 400, 1);
    hu_still_serving();
}
END_TEST

/* RFC 9112 6.1: Content-Length with Transfer-Encoding: rejected (400) and
 * the connection closed (libmicrohttpd alone would follow the chunked
 * framing and keep the connection). */
START_TEST(cl_with_chunked)
{
    static const char req[] =
        "POST /api/webpubsub/hubs/chat/ HTTP/1.1\r\nHost: x\r\nce-awpsversion: 1.0\r\n"
        "ce-type: azure.webpubsub.user.echo\r\nce-hub: chat\r\nce-connectionId: conn1\r\n"
        "WebHook-Request-Origin: x.webpubsub.azure.com\r\nContent-Type: text/plain\r\n"
        "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    hu_raw r;

    hu_raw_send(&r, req, sizeof req - 1);
    refused(&r, 400, 1);
    ck_assert_ptr_nonnull(strstr(r.body, "Transfer-Encoding"));
    hu_still_serving();
}
END_TEST

/* ---- Transfer-Encoding and chunked bodies ---- */

START_TEST(chunked_valid_is_processed)
{
    hu_raw r;
    RAW(&r, "text/plain", "Transfer-Encoding: chunked\r\n", "2\r\nhe\r\n3;ext=1\r\nllo\r\n0\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "hello");
    ck_assert_int_eq(hu_calls(), 1);
    hu_reset_calls();
    hu_still_serving();
}
END_TEST

/* Trailer fields never reach the protocol (ce-hub in a trailer). */
START_TEST(chunked_trailer_ignored)
{
    hu_raw r;
    RAW(&r, "text/plain", "Transfer-Encoding: chunked\r\n",
        "5\r\nhello\r\n0\r\nce-hub: other\r\nce-type: x\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "hello");
    hu_reset_calls();
    hu_still_serving();
}
END_TEST

START_TEST(chunked_size_not_hex)
{
    hu_raw r;
    RAW(&r, "text/plain", "Transfer-Encoding: chunked\r\n", "zz\r\nhello\r\n0\r\n\r\n");
    refused(&r, 400, 1);
    hu_still_serving();
}
END_TEST

START_TEST(chunked_size_negative)
{
    hu_raw r;
    RAW(&r, "text/plain", "Transfer-Encoding: chunked\r\n", "-5\r\nhello\r\n0\r\n\r\n");
    refused(&r, 400, 1);
    hu_still_serving();
}
END_TEST

START_TEST(chunked_size_overflows)
{
    hu_raw r;
    RAW(&r, "text/plain", "Transfer-Encoding: chunked\r\n",
        "ffffffffffffffffffff\r\nhello\r\n0\r\n\r\n");
    refused(&r, 413, 1);
    hu_still_serving();
}
END_TEST

START_TEST(chunked_data_longer_than_size)
{
    hu_raw r;
    RAW(&r, "text/plain", "Transfer-Encoding: chunked\r\n", "5\r\nhelloXX\r\n0\r\n\r\n");
    refused(&r, 400, 1);
    hu_still_serving();
}
END_TEST

START_TEST(chunked_cut_mid_chunk)
{
    cut(USER, "Transfer-Encoding: chunked\r\n", "100\r\nonly a part");
}
END_TEST

START_TEST(chunked_no_last_chunk_then_close)
{
    cut(USER, "Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n");
}
END_TEST

/* RFC 9112 6.1: a Transfer-Encoding whose final coding is not chunked
 * leaves the length unknown: 400 and close (not: wait for more). */
START_TEST(te_not_chunked)
{
    hu_raw r;
    RAW(&r, "text/plain", "Transfer-Encoding: gzip\r\n", "hello");
    refused(&r, 400, 1);
    hu_still_serving();
}
END_TEST

START_TEST(te_chunked_not_last)
{
    hu_raw r;
    RAW(&r, "text/plain", "Transfer-Encoding: chunked, gzip\r\n", "5\r\nhello\r\n0\r\n\r\n");
    refused(&r, 400, 1);
    hu_still_serving();
}
END_TEST

START_TEST(te_not_chunked_then_close)
{
    cut(USER, "Transfer-Encoding: gzip\r\n", "hello");
}
END_TEST

/* ---- cut short ---- */

START_TEST(body_cut_short)
{
    cut(USER, "Content-Length: 50\r\n", "{\"partial");
}
END_TEST

START_TEST(connect_body_cut_short)
{
    cut("azure.webpubsub.sys.connect", "Content-Length: 40\r\n", "{\"claims\":{\"sub\":");
}
END_TEST

START_TEST(headers_cut_short)
{
    char *req = hu_raw_head(USER, "text/plain");

    hu_raw_cut(req, strlen(req));  /* no blank line */
    free(req);
    hu_still_serving();
}
END_TEST

START_TEST(request_line_cut_short)
{
    hu_raw_cut("POST /api/webpubsub/hu", 22);
    hu_still_serving();
}
END_TEST

/* ---- the request line ---- */

/* No method/target/version structure: libmicrohttpd closes silently. */
START_TEST(garbage_request_line)
{
    hu_raw r;

    hu_raw_send(&r, "GARBAGE\r\n\r\n", 11);
    ck_assert_msg(r.status == 0 ? r.closed : (r.status == 400 && r.closed), "status %d",
                  r.status);
    hu_still_serving();
}
END_TEST

START_TEST(http2_preface)
{
    hu_raw r;

    hu_raw_send(&r, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
    refused(&r, 505, 1);
    hu_still_serving();
}
END_TEST

START_TEST(unknown_http_version)
{
    hu_raw r;
    static const char req[] = "POST /api/webpubsub/hubs/chat/ HTTP/9.9\r\nHost: x\r\n"
                              "ce-awpsversion: 1.0\r\nContent-Length: 0\r\n\r\n";

    hu_raw_send(&r, req, sizeof req - 1);
    refused(&r, 505, 1);
    hu_still_serving();
}
END_TEST

/* ---- header block limits (libmicrohttpd's per-connection memory) ---- */

START_TEST(header_line_100k)
{
    char *big = hu_fill('a', 100 * 1024);
    char *hdrs = hu_cat(hu_cat(hu_cat(calloc(1, 1), "X-Big: "), big), "\r\n");
    hu_raw r;

    raw_case(&r, USER, "text/plain", hdrs, strlen(hdrs), "", 0);
    refused(&r, 431, 1);
    free(hdrs);
    free(big);
    hu_still_serving();
}
END_TEST

START_TEST(five_thousand_headers)
{
    char *hdrs = calloc(1, 1), line[32];
    hu_raw r;

    for (int i = 0; i < 5000; i++) {
        snprintf(line, sizeof line, "X-H%d: v\r\n", i);
        hdrs = hu_cat(hdrs, line);
    }
    raw_case(&r, USER, "text/plain", hdrs, strlen(hdrs), "", 0);
    refused(&r, 431, 1);
    free(hdrs);
    hu_still_serving();
}
END_TEST

START_TEST(url_100k)
{
    char *req = hu_cat(calloc(1, 1), "POST /api/webpubsub/hubs/chat/");
    char *big = hu_fill('a', 100 * 1024);
    hu_raw r;

    req = hu_cat(hu_cat(req, big), " HTTP/1.1\r\nHost: x\r\n\r\n");
    hu_raw_send(&r, req, strlen(req));
    refused(&r, 414, 1);
    free(req);
    free(big);
    hu_still_serving();
}
END_TEST

/* An absurd ce-connectionState (60 KiB of base64 garbage): refused with the
 * header block, never decoded. */
START_TEST(state_60k_garbage)
{
    char *g = hu_fill('Q', 60 * 1024);
    char *hdrs = hu_cat(hu_cat(hu_cat(calloc(1, 1), "ce-connectionState: "), g), "\r\n");
    hu_raw r;

    raw_case(&r, "azure.webpubsub.user.states", "text/plain", hdrs, strlen(hdrs), "x", 1);
    refused(&r, 431, 1);
    free(hdrs);
    free(g);
    hu_still_serving();
}
END_TEST

/* ---- bytes in header fields ---- */

START_TEST(nul_in_header_name)
{
    hu_raw r;
    RAW(&r, "text/plain", "ce-us\0erId: abc\r\nContent-Length: 5\r\n", "hello");
    refused(&r, 400, 1);
    hu_still_serving();
}
END_TEST

START_TEST(header_without_colon)
{
    hu_raw r;
    RAW(&r, "text/plain", "garbageheader\r\nContent-Length: 5\r\n", "hello");
    refused(&r, 400, 1);
    hu_still_serving();
}
END_TEST

/* RFC 9110 5.5: NUL in a field value must be rejected (or replaced by SP).
 * libmicrohttpd 0.9.75 passes "ab" on; the glue sees the hidden rest. */
START_TEST(nul_in_ce_value)
{
    hu_raw r;
    RAWT(&r, "azure.webpubsub.user.uid", "text/plain", "ce-userId: ab\0cd\r\nContent-Length: 5\r\n",
         "hello");
    refused(&r, 400, 0);
    ck_assert_ptr_nonnull(strstr(r.body, "ce-userId header holds a NUL byte"));
    hu_still_serving();
}
END_TEST

/* The same in a header the protocol does not read: no callback sees it,
 * but a NUL byte is refused in any value. */
START_TEST(nul_in_unread_value)
{
    hu_raw r;
    RAWT(&r, "azure.webpubsub.user.uid", "text/plain",
         "User-Agent: ab\0cd\r\nContent-Length: 5\r\n", "hello");
    refused(&r, 400, 0);
    ck_assert_ptr_nonnull(strstr(r.body, "User-Agent header holds a NUL byte"));
    ck_assert_int_eq(hu_calls(), 0);
    hu_still_serving();
}
END_TEST

/* A bare CR inside a value (RFC 9112 2.2: reject or replace by SP). */
START_TEST(bare_cr_in_ce_value)
{
    hu_raw r;
    RAWT(&r, "azure.webpubsub.user.uid", "text/plain",
         "ce-userId: a\rX-Injected: 1\r\nContent-Length: 5\r\n", "hello");
    refused(&r, 400, 0);
    ck_assert_ptr_nonnull(strstr(r.body, "control byte"));
    ck_assert_ptr_null(strstr(r.head, "X-Injected"));
    hu_still_serving();
}
END_TEST

START_TEST(control_bytes_in_ce_value)
{
    hu_raw r;
    RAWT(&r, "azure.webpubsub.user.uid", "text/plain",
         "ce-userId: a\x01\x1b[2J\x7f\r\nContent-Length: 5\r\n", "hello");
    refused(&r, 400, 0);
    ck_assert_ptr_nonnull(strstr(r.body, "control byte"));
    hu_still_serving();
}
END_TEST

START_TEST(invalid_utf8_in_ce_user_id)
{
    hu_raw r;
    RAWT(&r, "azure.webpubsub.user.uid", "text/plain",
         "ce-userId: \xff\xfe\xc0\xaf\r\nContent-Length: 5\r\n", "hello");
    refused(&r, 400, 0);
    ck_assert_ptr_nonnull(strstr(r.body, "not UTF-8"));
    hu_still_serving();
}
END_TEST

START_TEST(invalid_utf8_in_ce_event_name)
{
    hu_raw r;
    RAW(&r, "text/plain", "ce-eventName: ev\xed\xa0\x80\r\nContent-Length: 5\r\n", "hello");
    refused(&r, 400, 0);
    hu_still_serving();
}
END_TEST

/* RFC 9112 5.1: whitespace between a field name and the colon: 400. */
START_TEST(space_before_colon)
{
    hu_raw r;
    RAW(&r, "text/plain", "ce-hub : other\r\nContent-Length: 5\r\n", "hello");
    refused(&r, 400, 1);
    ck_assert_ptr_nonnull(strstr(r.body, "header name"));
    hu_still_serving();
}
END_TEST

/* obs-fold (RFC 9112 5.2): rejected, or unfolded to SP; never a header of
 * its own in the answer. */
START_TEST(obs_fold_in_ce_value)
{
    hu_raw r;
    RAWT(&r, "azure.webpubsub.user.uid", "text/plain",
         "ce-userId: a\r\n X-Injected: 1\r\nContent-Length: 5\r\n", "hello");
    ck_assert_msg(r.status == 400 || r.status == 200, "status %d", r.status);
    ck_assert_ptr_null(strstr(r.head, "X-Injected"));
    hu_reset_calls();
    hu_still_serving();
}
END_TEST

/* ---- duplicate ce-* headers ---- */

#define DUP_CASE(name, hdrs)                                                  \
    START_TEST(name)                                                          \
    {                                                                         \
        hu_raw r;                                                             \
        RAW(&r, "text/plain", hdrs "Content-Length: 5\r\n", "hello");         \
        refused(&r, 400, 0);                                                  \
        ck_assert_ptr_nonnull(strstr(r.body, "twice with different values")); \
        hu_still_serving();                                                   \
    }                                                                         \
    END_TEST

DUP_CASE(dup_connection_id, "ce-connectionId: conn2\r\n")
DUP_CASE(dup_hub_other_case, "CE-HUB: other\r\n")
DUP_CASE(dup_type, "ce-type: azure.webpubsub.sys.connected\r\n")
DUP_CASE(dup_user_id, "ce-userId: a\r\nce-userid: b\r\n")
DUP_CASE(dup_state, "ce-connectionState: e30=\r\nce-connectionState: e30K\r\n")
DUP_CASE(dup_unknown_ce_header, "ce-foo: a\r\nce-FOO: b\r\n")
/* A duplicate after 16 other ce-* headers (32 are tracked; more: 400,
 * see tests/check_hostile3.c). */
DUP_CASE(dup_after_many_ce_headers,
         "ce-a1: 1\r\nce-a2: 1\r\nce-a3: 1\r\nce-a4: 1\r\nce-a5: 1\r\nce-a6: 1\r\n"
         "ce-a7: 1\r\nce-a8: 1\r\nce-a9: 1\r\nce-a10: 1\r\nce-a11: 1\r\nce-a12: 1\r\n"
         "ce-a13: 1\r\nce-a14: 1\r\nce-a15: 1\r\nce-a16: 1\r\nce-a17: 1\r\nce-a17: 2\r\n")

/* The same value twice is harmless: processed. */
START_TEST(dup_same_value_is_fine)
{
    hu_raw r;
    RAW(&r, "text/plain", "ce-hub: chat\r\nce-userId: u\r\nce-userId: u\r\nContent-Length: 5\r\n",
        "hello");
    ck_assert_int_eq(r.status, 200);
    hu_reset_calls();
    hu_still_serving();
}
END_TEST

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Suite *s = suite_create("hostile");
    TCase *t[2] = {tcase_create("framing"), tcase_create("headers")};
    for (int i = 0; i < 2; i++) {
        tcase_set_timeout(t[i], 60);
        tcase_add_checked_fixture(t[i], hu_setup, hu_teardown);
        suite_add_tcase(s, t[i]);
    }
    /* Framing and field values that RFC 9110/9112 require a server to
     * refuse and libmicrohttpd 0.9.75 passes on are refused by the glue
     * (lib/mhd.c) and the header checks (lib/cloudevents.c). */
    TTest const *framing[] = {
        cl_not_a_number, cl_negative, cl_plus_sign, cl_hex, cl_list_in_one_header,
        cl_overflows_64_bits, cl_uint64_max, cl_huge_announced_nothing_sent,
        cl_over_cap_body_sent, chunked_over_cap, cl_shorter_than_body,
        cl_longer_than_body_then_close, cl_two_different_values,
        cl_two_different_values_reversed, cl_with_chunked, chunked_valid_is_processed,
        chunked_trailer_ignored, chunked_size_not_hex, chunked_size_negative,
        chunked_size_overflows, chunked_data_longer_than_size, chunked_cut_mid_chunk,
        chunked_no_last_chunk_then_close, te_not_chunked, te_chunked_not_last,
        te_not_chunked_then_close, body_cut_short, connect_body_cut_short, headers_cut_short,
        request_line_cut_short, garbage_request_line, http2_preface, unknown_http_version};
    TTest const *headers[] = {
        header_line_100k, five_thousand_headers, url_100k, state_60k_garbage,
        nul_in_header_name, header_without_colon, nul_in_ce_value, nul_in_unread_value, bare_cr_in_ce_value,
        control_bytes_in_ce_value, invalid_utf8_in_ce_user_id, invalid_utf8_in_ce_event_name,
        space_before_colon, obs_fold_in_ce_value, dup_connection_id, dup_hub_other_case,
        dup_type, dup_user_id, dup_state, dup_unknown_ce_header, dup_after_many_ce_headers,
        dup_same_value_is_fine};
    for (size_t i = 0; i < sizeof framing / sizeof *framing; i++)
        tcase_add_test(t[0], framing[i]);
    for (size_t i = 0; i < sizeof headers / sizeof *headers; i++)
        tcase_add_test(t[1], headers[i]);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed ? 1 : 0;
}
