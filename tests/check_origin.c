/* Abuse protection: allowed endpoints reduced to host[:port]
 * (awps__url_host), origin matching (awps__origin_allowed) and the OPTIONS
 * preflight answered by awps_handler_process(). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "testutil.h"

#define WAIT_MS 5000
#define PATH "/api/webpubsub/hubs/hub/"

static void quiet(void *data, awps_log_level level, const char *msg)
{
    (void)data; (void)level; (void)msg;
}

static awps_handler *handler(void)
{
    awps_handler *h = awps_handler_new("hub");
    ck_assert_ptr_nonnull(h);
    awps_handler_set_log(h, quiet, NULL, AWPS_LOG_DEBUG);
    return h;
}

/* OPTIONS with an optional origin, with ce-awpsversion. */
static tu_request *preflight(const char *origin)
{
    tu_request *r = tu_request_newv("OPTIONS", PATH, NULL, 0, "ce-awpsversion", "1.0", NULL);
    if (origin)
        tu_request_add_header(r, "WebHook-Request-Origin", origin);
    return r;
}

/* Process and copy the answer out; frees `r`. */
static tu_response *answer(awps_handler *h, tu_request *r)
{
    tu_capture *c = tu_capture_new();
    const tu_response *res;
    ck_assert_int_eq(tu_process(h, r, c, WAIT_MS, &res), AWPS_OK);
    ck_assert_ptr_nonnull(res);
    ck_assert_uint_eq(tu_capture_calls(c), 1);
    tu_response *out = tu_response_dup(res);
    tu_capture_free(c);
    tu_request_free(r);
    return out;
}

static void assert_allowed(awps_handler *h, const char *origin)
{
    tu_response *res = answer(h, preflight(origin));
    ck_assert_msg(res->status == 200, "origin '%s': status %u", origin, res->status);
    ck_assert_ptr_nonnull(res->allowed_origin);
    ck_assert_str_eq(res->allowed_origin, "*");
    ck_assert_uint_eq(res->body_len, 0);
    tu_response_free(res);
}

static void assert_refused(awps_handler *h, const char *origin)
{
    tu_response *res = answer(h, preflight(origin));
    ck_assert_msg(res->status == 400, "origin '%s': status %u", origin ? origin : "(none)",
                  res->status);
    ck_assert_ptr_null(res->allowed_origin);
    ck_assert_uint_gt(res->body_len, 0);  /* a reason */
    ck_assert_ptr_nonnull(res->content_type);
    tu_response_free(res);
}

/* awps__url_host(url) equals `want` (NULL: rejected). */
static void host_is(const char *url, const char *want)
{
    char *got = awps__url_host(url);
    char copy[128];
    int ok = want ? got && strcmp(got, want) == 0 : got == NULL;
    snprintf(copy, sizeof copy, "%s", got ? got : "NULL");
    free(got);  /* before asserting: a failure must not leak */
    ck_assert_msg(ok, "'%s' gave '%s', expected '%s'", url ? url : "(null)", copy,
                  want ? want : "NULL");
}

/* ---- awps__url_host ---- */

START_TEST(url_host_spec_table)
{
    host_is("https://a.com/c", "a.com");
    host_is("http://b.com", "b.com");
    host_is("https://A.COM:443/x", "a.com");
    host_is("https://a.com:8443/x", "a.com:8443");
    host_is("b.com", NULL);
}
END_TEST

START_TEST(url_host_default_ports_dropped)
{
    host_is("http://a.com:80/", "a.com");
    host_is("HTTP://a.com:80", "a.com");
    host_is("HTTPS://a.com:443", "a.com");
    host_is("http://a.com:443", "a.com:443");
    host_is("https://a.com:80", "a.com:80");
    host_is("http://a.com:080", "a.com");
}
END_TEST

START_TEST(url_host_query_and_fragment_ignored)
{
    host_is("https://a.com?x=1", "a.com");
    host_is("https://a.com#frag", "a.com");
    host_is("https://My-Host.WebPubSub.Azure.com/path/x?y#z", "my-host.webpubsub.azure.com");
}
END_TEST

START_TEST(url_host_userinfo_dropped)
{
    host_is("https://user:pw@a.com/x", "a.com");
    host_is("https://user@A.com:8443", "a.com:8443");
    host_is("https://user@a.com:443/", "a.com");
    host_is("http://user@/", NULL);
}
END_TEST

START_TEST(url_host_ipv6)
{
    host_is("http://[::1]:8080/", "[::1]:8080");
    host_is("http://[::1]", "[::1]");
    host_is("https://[::1]:443/x", "[::1]");
    host_is("http://[FE80::1]/", "[fe80::1]");
    host_is("http://[]/", NULL);
    host_is("http://[::1/", NULL);
    host_is("http://[::1]x/", NULL);
    host_is("http://[::g]/", NULL);
}
END_TEST

START_TEST(url_host_bad_ports)
{
    host_is("https://a.com:/x", NULL);
    host_is("https://a.com:", NULL);
    host_is("https://a.com:99999", NULL);
    host_is("https://a.com:65536", NULL);
    host_is("https://a.com:8a", NULL);
    host_is("https://a.com:-1", NULL);
    host_is("https://a.com:65535", "a.com:65535");
}
END_TEST

START_TEST(url_host_port_leading_zeros_normalised)
{
    /* WHATWG URL parsing (what express does, spec §2.2) gives host
     * "a.com:8443" here; a leading zero must not change the host[:port] an
     * origin is compared with. */
    host_is("https://a.com:08443/", "a.com:8443");
}
END_TEST

START_TEST(url_host_empty_host)
{
    host_is("https:///x", NULL);
    host_is("https://", NULL);
    host_is("https://:8080/", NULL);
    host_is("https://?x", NULL);
}
END_TEST

START_TEST(url_host_no_scheme)
{
    host_is(NULL, NULL);
    host_is("", NULL);
    host_is("a.com:8080", NULL);
    host_is("//a.com", NULL);
    host_is("://a.com", NULL);
    host_is("1http://a.com", NULL);
    host_is("https:/a.com", NULL);
    host_is("https:a.com", NULL);
    host_is("https//a.com", NULL);
}
END_TEST

/* ---- awps__origin_allowed ---- */

START_TEST(origin_exact_match_ignores_case)
{
    char *allowed[] = {"a.com"};
    ck_assert(awps__origin_allowed("a.com", allowed, 1));
    ck_assert(awps__origin_allowed("A.COM", allowed, 1));
    ck_assert(awps__origin_allowed("A.com", allowed, 1));
    char *mixed[] = {"My-Host.com"};
    ck_assert(awps__origin_allowed("my-host.COM", mixed, 1));
}
END_TEST

START_TEST(origin_never_prefix)
{
    char *allowed[] = {"a.com"};
    static const char *const bad[] = {"a.com.evil.org", "evil-a.com", "a.co", "a.comm",
                                      "xa.com", "a.com:443", "a", ".com", "a.com."};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(!awps__origin_allowed(bad[i], allowed, 1), "'%s' allowed", bad[i]);
    char *longer[] = {"a.com.evil.org"};
    ck_assert(!awps__origin_allowed("a.com", longer, 1));
    ck_assert(!awps__origin_allowed("a.com.evil", longer, 1));
}
END_TEST

START_TEST(origin_port_must_match)
{
    char *with_port[] = {"second.example.org:8443"};
    ck_assert(!awps__origin_allowed("second.example.org", with_port, 1));
    ck_assert(!awps__origin_allowed("second.example.org:443", with_port, 1));
    ck_assert(!awps__origin_allowed("second.example.org:84430", with_port, 1));
    ck_assert(awps__origin_allowed("second.example.org:8443", with_port, 1));
    char *no_port[] = {"second.example.org"};
    ck_assert(!awps__origin_allowed("second.example.org:8443", no_port, 1));
}
END_TEST

START_TEST(origin_comma_lists_with_spaces)
{
    char *allowed[] = {"a.com", "b.com:8443"};
    ck_assert(awps__origin_allowed("x.com, a.com", allowed, 2));
    ck_assert(awps__origin_allowed("x.com,a.com", allowed, 2));
    ck_assert(awps__origin_allowed("  a.com  ,x.com", allowed, 2));
    ck_assert(awps__origin_allowed("x.com,\tb.com:8443\t", allowed, 2));
    ck_assert(awps__origin_allowed("my-host.com, custom.domain.com, B.COM:8443", allowed, 2));
    /* a space is no separator */
    ck_assert(!awps__origin_allowed("x.com a.com", allowed, 2));
}
END_TEST

START_TEST(origin_empty_entries_skipped)
{
    char *allowed[] = {"a.com"};
    ck_assert(awps__origin_allowed(",,a.com", allowed, 1));
    ck_assert(awps__origin_allowed("a.com,,", allowed, 1));
    ck_assert(awps__origin_allowed(" , ,a.com, ", allowed, 1));
    ck_assert(!awps__origin_allowed("", allowed, 1));
    ck_assert(!awps__origin_allowed(",", allowed, 1));
    ck_assert(!awps__origin_allowed(" , , ", allowed, 1));
}
END_TEST

START_TEST(origin_none_allowed)
{
    char *allowed[] = {"a.com", "b.com"};
    ck_assert(!awps__origin_allowed("x.com, y.com, z.com", allowed, 2));
    ck_assert(!awps__origin_allowed("attacker.com", allowed, 2));
    /* an empty allow-list allows nothing at this level */
    ck_assert(!awps__origin_allowed("a.com", allowed, 0));
}
END_TEST

/* ---- the preflight through awps_handler_process ---- */

START_TEST(preflight_allow_all)
{
    awps_handler *h = handler();
    tu_response *res = answer(h, preflight("a.com"));
    ck_assert_uint_eq(res->status, 200);
    ck_assert_str_eq(res->allowed_origin, "*");
    ck_assert_uint_eq(res->body_len, 0);
    ck_assert_ptr_null(res->content_type);
    ck_assert_ptr_null(res->connection_state);
    tu_response_free(res);
    assert_allowed(h, "anything.example.org, other");
    awps_handler_free(h);
}
END_TEST

START_TEST(preflight_awpsversion_not_required)
{
    awps_handler *h = handler();
    tu_request *r = tu_request_newv("OPTIONS", PATH, NULL, 0, "WebHook-Request-Origin",
                                    "a.com", NULL);
    tu_response *res = answer(h, r);
    ck_assert_uint_eq(res->status, 200);
    ck_assert_str_eq(res->allowed_origin, "*");
    tu_response_free(res);
    /* also with an allow-list, and the header name in another case */
    ck_assert_int_eq(awps_handler_add_allowed_endpoint(h, "https://a.com/c"), AWPS_OK);
    r = tu_request_newv("OPTIONS", "/API/webpubsub/hubs/HUB", NULL, 0,
                        "webhook-request-origin", "a.com", NULL);
    res = answer(h, r);
    ck_assert_uint_eq(res->status, 200);
    ck_assert_str_eq(res->allowed_origin, "*");
    tu_response_free(res);
    awps_handler_free(h);
}
END_TEST

START_TEST(preflight_allow_list_hit)
{
    awps_handler *h = handler();
    ck_assert_int_eq(awps_handler_add_allowed_endpoint(h, "https://a.com/c"), AWPS_OK);
    ck_assert_int_eq(awps_handler_add_allowed_endpoint(h, "http://b.com"), AWPS_OK);
    assert_allowed(h, "a.com");
    assert_allowed(h, "b.com");
    assert_allowed(h, "B.Com");
    awps_handler_free(h);
}
END_TEST

START_TEST(preflight_allow_list_miss)
{
    awps_handler *h = handler();
    ck_assert_int_eq(awps_handler_add_allowed_endpoint(h, "https://c.com/c"), AWPS_OK);
    ck_assert_int_eq(awps_handler_add_allowed_endpoint(h, "http://b.com"), AWPS_OK);
    assert_refused(h, "a.com");
    assert_refused(h, "b.com.evil.org");
    assert_refused(h, "b.com:8443");
    awps_handler_free(h);
}
END_TEST

START_TEST(preflight_csharp_cases)
{
    awps_handler *h = handler();
    ck_assert_int_eq(awps_handler_add_allowed_endpoint(h, "https://my-host.webpubsub.net"),
                     AWPS_OK);
    assert_allowed(h, "my-host.webpubsub.net");
    assert_refused(h, "attacker.com");
    assert_refused(h, "my-host1.webpubsub.net");
    assert_refused(h, "localhost");
    assert_refused(h, "http://localhost");
    awps_handler_free(h);
}
END_TEST

START_TEST(preflight_endpoint_port_must_match)
{
    awps_handler *h = handler();
    ck_assert_int_eq(awps_handler_add_allowed_endpoint(h, "https://second.example.org:8443/x"),
                     AWPS_OK);
    assert_refused(h, "second.example.org");
    assert_allowed(h, "second.example.org:8443");
    awps_handler_free(h);
}
END_TEST

START_TEST(preflight_origin_header_lines_form_a_list)
{
    awps_handler *h = handler();
    ck_assert_int_eq(awps_handler_add_allowed_endpoint(h, "https://b.com"), AWPS_OK);
    tu_request *r = preflight("a.com");
    tu_request_add_header(r, "WebHook-Request-Origin", "b.com");
    tu_response *res = answer(h, r);
    ck_assert_uint_eq(res->status, 200);
    ck_assert_str_eq(res->allowed_origin, "*");
    tu_response_free(res);
    r = preflight("a.com");
    tu_request_add_header(r, "WebHook-Request-Origin", "c.com");
    res = answer(h, r);
    ck_assert_uint_eq(res->status, 400);
    tu_response_free(res);
    awps_handler_free(h);
}
END_TEST

START_TEST(preflight_missing_origin_400)
{
    awps_handler *h = handler();
    assert_refused(h, NULL);
    assert_refused(h, "");
    ck_assert_int_eq(awps_handler_add_allowed_endpoint(h, "https://a.com"), AWPS_OK);
    assert_refused(h, NULL);
    awps_handler_free(h);
}
END_TEST

START_TEST(preflight_second_origin_matches)
{
    awps_handler *h = handler();
    ck_assert_int_eq(awps_handler_add_allowed_endpoint(h, "https://custom.domain.com"), AWPS_OK);
    assert_allowed(h, "my-host.com, custom.domain.com");
    assert_allowed(h, "my-host.com,custom.domain.com");
    assert_refused(h, "my-host.com, other.domain.com");
    awps_handler_free(h);
}
END_TEST

START_TEST(preflight_other_path_declined)
{
    awps_handler *h = handler();
    tu_capture *c = tu_capture_new();
    const tu_response *res;
    tu_request *r = tu_request_newv("OPTIONS", "/api/webpubsub/hubs/other/", NULL, 0,
                                    "ce-awpsversion", "1.0", "WebHook-Request-Origin", "a.com",
                                    NULL);
    ck_assert_int_eq(tu_process(h, r, c, WAIT_MS, &res), AWPS_DECLINED);
    ck_assert_uint_eq(tu_capture_calls(c), 0);
    tu_request_free(r);
    tu_capture_free(c);
    awps_handler_free(h);
}
END_TEST

START_TEST(add_allowed_endpoint_bad_url)
{
    awps_handler *h = handler();
    ck_assert_int_eq(awps_handler_add_allowed_endpoint(h, "b.com"), AWPS_E_URL);
    ck_assert_int_eq(awps_handler_add_allowed_endpoint(h, "https://a.com:99999"), AWPS_E_URL);
    ck_assert_int_eq(awps_handler_add_allowed_endpoint(h, "https://"), AWPS_E_URL);
    ck_assert_int_eq(awps_handler_add_allowed_endpoint(h, NULL), AWPS_E_INVALID);
    ck_assert_int_eq(awps_handler_add_allowed_endpoint(NULL, "https://a.com"), AWPS_E_INVALID);
    /* failed additions leave the handler allowing everything */
    assert_allowed(h, "whoever.com");
    awps_handler_free(h);
}
END_TEST

static int connect_calls;

static void on_connect(awps_event *ev, awps_reply *r, void *data)
{
    (void)ev; (void)data;
    connect_calls++;
    awps_reply_success(r);
}

START_TEST(allow_list_not_applied_to_events)
{
    /* The allow-list is for the preflight only (design: like express). */
    awps_handler *h = handler();
    connect_calls = 0;
    awps_handler_on_connect(h, on_connect, NULL);
    ck_assert_int_eq(awps_handler_add_allowed_endpoint(h, "https://a.com"), AWPS_OK);
    tu_request *r = tu_request_newv("POST", PATH, "{}", 2,
                                    "WebHook-Request-Origin", "other.com",
                                    "ce-awpsversion", "1.0",
                                    "ce-type", "azure.webpubsub.sys.connect", "ce-hub", "hub",
                                    "ce-connectionId", "conn1", NULL);
    tu_response *res = answer(h, r);
    ck_assert_uint_eq(res->status, 204);
    ck_assert_int_eq(connect_calls, 1);
    tu_response_free(res);
    awps_handler_free(h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("origin");
    TCase *tu = tcase_create("url_host");
    tcase_add_test(tu, url_host_spec_table);
    tcase_add_test(tu, url_host_default_ports_dropped);
    tcase_add_test(tu, url_host_query_and_fragment_ignored);
    tcase_add_test(tu, url_host_userinfo_dropped);
    tcase_add_test(tu, url_host_ipv6);
    tcase_add_test(tu, url_host_bad_ports);
    tcase_add_test(tu, url_host_port_leading_zeros_normalised);
    tcase_add_test(tu, url_host_empty_host);
    tcase_add_test(tu, url_host_no_scheme);
    suite_add_tcase(s, tu);

    TCase *to = tcase_create("origin_allowed");
    tcase_add_test(to, origin_exact_match_ignores_case);
    tcase_add_test(to, origin_never_prefix);
    tcase_add_test(to, origin_port_must_match);
    tcase_add_test(to, origin_comma_lists_with_spaces);
    tcase_add_test(to, origin_empty_entries_skipped);
    tcase_add_test(to, origin_none_allowed);
    suite_add_tcase(s, to);

    TCase *tp = tcase_create("preflight");
    tcase_add_test(tp, preflight_allow_all);
    tcase_add_test(tp, preflight_awpsversion_not_required);
    tcase_add_test(tp, preflight_allow_list_hit);
    tcase_add_test(tp, preflight_allow_list_miss);
    tcase_add_test(tp, preflight_csharp_cases);
    tcase_add_test(tp, preflight_endpoint_port_must_match);
    tcase_add_test(tp, preflight_missing_origin_400);
    tcase_add_test(tp, preflight_second_origin_matches);
    tcase_add_test(tp, preflight_other_path_declined);
    tcase_add_test(tp, add_allowed_endpoint_bad_url);
    tcase_add_test(tp, allow_list_not_applied_to_events);
    tcase_add_test(tp, preflight_origin_header_lines_form_a_list);
    suite_add_tcase(s, tp);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
