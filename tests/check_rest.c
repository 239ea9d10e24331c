/* The REST operations over real HTTP against the mock service
 * (tests/mock-service.c): method, raw path and query, content type, body and
 * a verified bearer token for every operation; path and query encoding;
 * common headers; paging; error mapping; argument checks; size bounds.
 * Appendix A is in check_appendix.c, retries in check_retry.c. */
#include <curl/curl.h>

#include "service-check.h"

START_TEST(endpoint_prefix)
{
    static const char *const tails[] = {"/prefix", "/prefix/"};
    for (size_t i = 0; i < 2; i++) {
        char ep[128];
        awps_service_error e;
        snprintf(ep, sizeof ep, "%s%s", mock_base(m), tails[i]);
        awps_service *s = client_at(ep, KEY, "hub1");
        ok(awps_service_close_connection(s, "c", NULL, &e), &e);
        expect_last("DELETE", "/prefix/api/hubs/hub1/connections/c?api-version=2024-12-01", NULL,
                    NULL, 0);
        awps_service_free(s);
    }
}
END_TEST

START_TEST(path_and_query_encoding)
{
    awps_service *s = client_at(mock_base(m), KEY, "my hub_1.x");
    awps_service_error e;
    static const char *const ex[] = {"", "a&b=c"};
    awps_send_options opt = {"a!~*()'-_.b c/?#[]&=+%\xC3\xA9", ex, 2, 4294967295u};
    awps_close_options co = {"bye \xF0\x9F\x91\x8B", NULL, 0};
    awps_send_options empty = {"", NULL, 0, 0};

    ok(awps_service_send_to_user(s, "a b/c?d#e'f(g)*!~", AWPS_DATA_TEXT, "x", 1, NULL, &e), &e);
    expect_last("POST",
                "/api/hubs/my%20hub_1.x/users/a%20b%2Fc%3Fd%23e'f(g)*!~/:send?api-version=2024-12-01",
                "text/plain", "x", 1);
    ok(awps_service_send_to_group(s, "[x]`,\xC3\xA9%&=+", AWPS_DATA_TEXT, "x", 1, &opt, &e), &e);
    expect_last("POST",
                "/api/hubs/my%20hub_1.x/groups/%5Bx%5D%60%2C%C3%A9%25%26%3D%2B/:send"
                "?api-version=2024-12-01&excluded=&excluded=a%26b%3Dc"
                "&filter=a!~*()%27-_.b%20c%2F%3F%23%5B%5D%26%3D%2B%25%C3%A9"
                "&messageTtlSeconds=4294967295",
                "text/plain", "x", 1);
    ok(awps_service_close_user(s, "u", &co, &e), &e);
    expect_last("POST",
                "/api/hubs/my%20hub_1.x/users/u/:closeConnections?api-version=2024-12-01"
                "&reason=bye%20%F0%9F%91%8B",
                NULL, NULL, 0);
    /* empty filter and reason are left out; an empty group is sent as is */
    ok(awps_service_send_to_group(s, "", AWPS_DATA_TEXT, "x", 1, &empty, &e), &e);
    expect_last("POST", "/api/hubs/my%20hub_1.x/groups//:send?api-version=2024-12-01",
                "text/plain", "x", 1);
    ok(awps_service_close_connection(s, "c", "", &e), &e);
    expect_last("DELETE", "/api/hubs/my%20hub_1.x/connections/c?api-version=2024-12-01", NULL,
                NULL, 0);
    awps_service_free(s);
}
END_TEST

static void expect_uuid4(const char *id)
{
    ck_assert_ptr_nonnull(id);
    ck_assert_uint_eq(strlen(id), 36);
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            ck_assert_int_eq(id[i], '-');
        else
            ck_assert_ptr_nonnull(strchr("0123456789abcdef", id[i]));
    }
    ck_assert_int_eq(id[14], '4');
    ck_assert_ptr_nonnull(strchr("89ab", id[19]));
}

START_TEST(common_headers)
{
    awps_service *s = client();
    awps_service_error e;
    const mock_request *r, *r2;
    members got = {"", 0, 0};
    int x;
    size_t big = 2 * 1024 * 1024;
    char *data = malloc(big);

    ok(awps_service_send_to_all(s, AWPS_DATA_TEXT, "hello", 5, NULL, &e), &e);
    r = expect_last("POST", "/api/hubs/hub1/:send?api-version=2024-12-01", "text/plain", "hello", 5);
    ck_assert_pstr_eq(r->accept, "application/json");
    ck_assert_pstr_eq(r->user_agent, "azsdk-c-web-pubsub/" PACKAGE_VERSION);
    ck_assert_pstr_eq(r->content_length, "5");
    ck_assert_ptr_null(r->expect);
    ck_assert_ptr_null(r->transfer_encoding);
    expect_uuid4(r->request_id);
    ok(awps_service_send_to_all(s, AWPS_DATA_TEXT, "hello", 5, NULL, &e), &e);
    r2 = mock_last(m);
    expect_uuid4(r2->request_id);
    ck_assert_str_ne(r->request_id, r2->request_id);
    /* HEAD: no Accept, no body */
    ok(awps_service_user_exists(s, "u", &x, &e), &e);
    ck_assert_int_eq(x, 1);
    r = expect_last("HEAD", "/api/hubs/hub1/users/u?api-version=2024-12-01", NULL, NULL, 0);
    ck_assert_ptr_null(r->accept);
    /* bodiless POST and PUT: Content-Length: 0 and no Content-Type */
    ok(awps_service_close_all(s, NULL, &e), &e);
    r = expect_last("POST", "/api/hubs/hub1/:closeConnections?api-version=2024-12-01", NULL, NULL, 0);
    ck_assert_pstr_eq(r->content_length, "0");
    ok(awps_service_add_user_to_group(s, "g", "u", &e), &e);
    r = expect_last("PUT", "/api/hubs/hub1/users/u/groups/g?api-version=2024-12-01", NULL, NULL, 0);
    ck_assert_pstr_eq(r->content_length, "0");
    ck_assert_pstr_eq(r->accept, "application/json");
    ok(awps_service_remove_user_from_group(s, "g", "u", &e), &e);
    r = expect_last("DELETE", "/api/hubs/hub1/users/u/groups/g?api-version=2024-12-01", NULL, NULL, 0);
    ck_assert_pstr_eq(r->accept, "application/json");
    ok(awps_service_list_connections(s, "g", 0, 0, collect, &got, &e), &e);
    r = expect_last("GET", "/api/hubs/hub1/groups/g/connections?api-version=2024-12-01", NULL, NULL, 0);
    ck_assert_pstr_eq(r->accept, "application/json");
    ck_assert_uint_eq(got.n, 0);
    /* a large body goes out whole, without Expect: 100-continue */
    ck_assert_ptr_nonnull(data);
    for (size_t i = 0; i < big; i++)
        data[i] = (char)(i * 7);
    ok(awps_service_send_to_connection(s, "c", AWPS_DATA_BINARY, data, big, NULL, &e), &e);
    r = expect_last("POST", "/api/hubs/hub1/connections/c/:send?api-version=2024-12-01",
                    "application/octet-stream", data, big);
    ck_assert_ptr_null(r->expect);
    /* an empty message is a body of length 0 with its type */
    ok(awps_service_send_to_all(s, AWPS_DATA_JSON, NULL, 0, NULL, &e), &e);
    r = expect_last("POST", "/api/hubs/hub1/:send?api-version=2024-12-01", "application/json", "", 0);
    ck_assert_pstr_eq(r->content_length, "0");
    free(data);
    awps_service_free(s);
}
END_TEST

/* Operations without their options, and the ones Appendix A does not show. */
START_TEST(operations_without_options)
{
    awps_service *s = client();
    awps_service_error e;
    static const char *const keep[] = {"a", "b"};
    static const char *const g1[] = {"q\"b\\s\n\t\x01\x1f/\xC3\xA9\x7f"};
    awps_close_options co = {"why", keep, 2};
    int has;

    ok(awps_service_send_to_group(s, "g", AWPS_DATA_JSON, "{}", 2, NULL, &e), &e);
    expect_last("POST", "/api/hubs/hub1/groups/g/:send?api-version=2024-12-01", "application/json",
                "{}", 2);
    ok(awps_service_send_to_user(s, "u", AWPS_DATA_BINARY, "\0\1", 2, NULL, &e), &e);
    expect_last("POST", "/api/hubs/hub1/users/u/:send?api-version=2024-12-01",
                "application/octet-stream", "\0\1", 2);
    ok(awps_service_send_to_connection(s, "c", AWPS_DATA_TEXT, "t", 1, NULL, &e), &e);
    expect_last("POST", "/api/hubs/hub1/connections/c/:send?api-version=2024-12-01", "text/plain",
                "t", 1);
    ok(awps_service_close_all(s, NULL, &e), &e);
    expect_last("POST", "/api/hubs/hub1/:closeConnections?api-version=2024-12-01", NULL, NULL, 0);
    ok(awps_service_close_user(s, "u", &co, &e), &e);
    expect_last("POST",
                "/api/hubs/hub1/users/u/:closeConnections?api-version=2024-12-01&excluded=a"
                "&excluded=b&reason=why",
                NULL, NULL, 0);
    ok(awps_service_close_group(s, "g", &co, &e), &e);
    expect_last("POST",
                "/api/hubs/hub1/groups/g/:closeConnections?api-version=2024-12-01&excluded=a"
                "&excluded=b&reason=why",
                NULL, NULL, 0);
    ok(awps_service_close_group(s, "g", NULL, &e), &e);
    expect_last("POST", "/api/hubs/hub1/groups/g/:closeConnections?api-version=2024-12-01", NULL,
                NULL, 0);
    ok(awps_service_close_connection(s, "c", NULL, &e), &e);
    expect_last("DELETE", "/api/hubs/hub1/connections/c?api-version=2024-12-01", NULL, NULL, 0);
    ok(awps_service_grant_permission(s, "c", AWPS_PERMISSION_SEND_TO_GROUP, NULL, &e), &e);
    expect_last("PUT", "/api/hubs/hub1/permissions/sendToGroup/connections/c?api-version=2024-12-01",
                NULL, NULL, 0);
    ok(awps_service_revoke_permission(s, "c", AWPS_PERMISSION_SEND_TO_GROUP, NULL, &e), &e);
    expect_last("DELETE",
                "/api/hubs/hub1/permissions/sendToGroup/connections/c?api-version=2024-12-01",
                NULL, NULL, 0);
    ok(awps_service_check_permission(s, "c", AWPS_PERMISSION_JOIN_LEAVE_GROUP, NULL, &has, &e),
       &e);
    ck_assert_int_eq(has, 1);
    expect_last("HEAD",
                "/api/hubs/hub1/permissions/joinLeaveGroup/connections/c?api-version=2024-12-01",
                NULL, NULL, 0);
    /* groups bodies as JSON.stringify writes them */
    ok(awps_service_add_connections_to_groups(s, keep, 1, NULL, &e), &e);
    expect_last("POST", "/api/hubs/hub1/:addToGroups?api-version=2024-12-01", "application/json",
                "{\"groups\":[\"a\"]}", 16);
    ok(awps_service_remove_connections_from_groups(s, NULL, 0, "x", &e), &e);
    expect_last("POST", "/api/hubs/hub1/:removeFromGroups?api-version=2024-12-01",
                "application/json", "{\"groups\":[],\"filter\":\"x\"}", 26);
    ok(awps_service_add_connections_to_groups(s, g1, 1, "'a' in groups\r", &e), &e);
    {
        static const char body[] =
            "{\"groups\":[\"q\\\"b\\\\s\\n\\t\\u0001\\u001f/\xC3\xA9\x7f\"],"
            "\"filter\":\"'a' in groups\\r\"}";
        expect_last("POST", "/api/hubs/hub1/:addToGroups?api-version=2024-12-01",
                    "application/json", body, sizeof body - 1);
    }
    awps_service_free(s);
}
END_TEST

/* ---- paging ---- */

static void script_pages(const char *group)
{
    char p1[512], p2[512];
    snprintf(p1, sizeof p1,
             "{\"value\":[{\"connectionId\":\"a\",\"userId\":\"ua\"},{\"connectionId\":\"b\","
             "\"userId\":null}],\"nextLink\":\"{{base}}/api/hubs/hub1/groups/%s/connections"
             "?maxpagesize=2&continuationToken=p%%202&api-version=2024-12-01\"}",
             group);
    snprintf(p2, sizeof p2,
             "{\"value\":[{\"connectionId\":\"c\"},{\"connectionId\":\"d\",\"userId\":\"ud\"}],"
             "\"nextLink\":\"{{base}}/api/hubs/hub1/groups/%s/connections?maxpagesize=2"
             "&continuationToken=p3&api-version=2024-12-01\"}",
             group);
    mock_script(m, 200, JSON_UTF8, p1, NULL);
    mock_script(m, 200, JSON_UTF8, p2, NULL);
    mock_script(m, 200, JSON_UTF8, "{\"value\":[{\"connectionId\":\"e\",\"userId\":null}],"
                "\"nextLink\":null}", NULL);
}

START_TEST(list_three_pages)
{
    awps_service *s = client();
    awps_service_error e;
    members got = {"", 0, 0};

    script_pages("g1");
    ok(awps_service_list_connections(s, "g1", 0, 2, collect, &got, &e), &e);
    ck_assert_str_eq(got.text, "a/ua;b/-;c/-;d/ud;e/-;");
    ck_assert_uint_eq(mock_count(m), 3);
    expect_req(0, "GET", "/api/hubs/hub1/groups/g1/connections?api-version=2024-12-01&maxpagesize=2",
               NULL, NULL, 0);
    /* nextLink followed exactly as returned; its URL is the audience */
    expect_req(1, "GET",
               "/api/hubs/hub1/groups/g1/connections?maxpagesize=2&continuationToken=p%202"
               "&api-version=2024-12-01",
               NULL, NULL, 0);
    expect_req(2, "GET",
               "/api/hubs/hub1/groups/g1/connections?maxpagesize=2&continuationToken=p3"
               "&api-version=2024-12-01",
               NULL, NULL, 0);
    awps_service_free(s);
}
END_TEST

START_TEST(list_stops_when_told)
{
    awps_service *s = client();
    awps_service_error e;
    members got = {"", 0, 3};

    script_pages("g");
    ok(awps_service_list_connections(s, "g", 10, 0, collect, &got, &e), &e);
    ck_assert_str_eq(got.text, "a/ua;b/-;c/-;");
    ck_assert_uint_eq(mock_count(m), 2);
    expect_req(0, "GET", "/api/hubs/hub1/groups/g/connections?api-version=2024-12-01&top=10",
               NULL, NULL, 0);
    ck_assert_uint_eq(mock_pending_scripts(m), 1);
    awps_service_free(s);
}
END_TEST

START_TEST(list_malformed_pages)
{
    static const char *const bad[] = {
        "not json",
        "[]",
        "{}",
        "{\"value\":{}}",
        "{\"value\":[{\"userId\":\"u\"}]}",
        "{\"value\":[{\"connectionId\":1}]}",
        "{\"value\":[{\"connectionId\":\"c\"},{\"connectionId\":\"d\",\"userId\":5}]}",
        "{\"value\":[{\"connectionId\":\"c\"}],\"nextLink\":5}",
        "{\"value\":[{\"connectionId\":\"c\"}],\"nextLink\":\"ftp://h/x\"}",
        "{\"value\":[{\"connectionId\":\"c\"}],\"nextLink\":\"/api/hubs/hub1/groups/g/connections\"}",
        "{\"value\":[{\"connectionId\":\"c\"}],\"nextLink\":\"http://h/a b\"}",
    };
    awps_service *s = client();

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        awps_service_error e;
        members got = {"", 0, 0};
        mock_script(m, 200, JSON_UTF8, bad[i], NULL);
        ck_assert_int_eq(awps_service_list_connections(s, "g", 0, 0, collect, &got, &e),
                         AWPS_E_HTTP);
        ck_assert_int_eq(e.status, 200);
        ck_assert_msg(strstr(e.message, "malformed list response") != NULL, "%s", e.message);
        ck_assert_uint_eq(got.n, 0);   /* nothing of a bad page is delivered */
    }
    ck_assert_uint_eq(mock_count(m), sizeof bad / sizeof bad[0]);
    awps_service_free(s);
}
END_TEST

START_TEST(list_error_on_second_page)
{
    awps_service *s = client();
    awps_service_error e;
    members got = {"", 0, 0};

    mock_script(m, 200, JSON_UTF8,
                "{\"value\":[{\"connectionId\":\"a\"}],\"nextLink\":\"{{base}}/next?x=1\"}", NULL);
    mock_script(m, 404, JSON_UTF8, "{\"code\":\"Warning.Group.NotExisted\",\"message\":\"gone\"}",
                NULL);
    ck_assert_int_eq(awps_service_list_connections(s, "g", 0, 0, collect, &got, &e), AWPS_E_HTTP);
    ck_assert_str_eq(got.text, "a/-;");
    ck_assert_int_eq(e.status, 404);
    ck_assert_str_eq(e.service_code, "Warning.Group.NotExisted");
    ck_assert_str_eq(e.message, "gone");
    expect_req(1, "GET", "/next?x=1", NULL, NULL, 0);
    awps_service_free(s);
}
END_TEST

/* ---- answers and errors ---- */

START_TEST(exists_true_false)
{
    awps_service *s = client();
    awps_service_error e;
    int x = -1;

    ok(awps_service_group_exists(s, "g", &x, &e), &e);
    ck_assert_int_eq(x, 1);
    mock_script(m, 404, NULL, NULL, "x-ms-error-code", "Warning.Group.NotExisted", NULL);
    ok(awps_service_group_exists(s, "g", &x, &e), &e);
    ck_assert_int_eq(x, 0);
    mock_script(m, 200, NULL, NULL, NULL);
    ok(awps_service_connection_exists(s, "c", &x, &e), &e);
    ck_assert_int_eq(x, 1);
    x = -1;
    mock_script(m, 401, NULL, NULL, NULL);
    ck_assert_int_eq(awps_service_user_exists(s, "u", &x, &e), AWPS_E_HTTP);
    ck_assert_int_eq(e.status, 401);
    ck_assert_int_eq(x, -1);
    mock_script(m, 404, NULL, NULL, NULL);
    ok(awps_service_check_permission(s, "c", AWPS_PERMISSION_SEND_TO_GROUP, "g", &x, &e), &e);
    ck_assert_int_eq(x, 0);
    awps_service_free(s);
}
END_TEST

START_TEST(error_mapping)
{
    awps_service *s = client();
    awps_service_error e;
    char *big = malloc(3001);

    /* text/json is JSON too; media types compare without case */
    mock_script(m, 403, "text/json", "{\"code\":\"C1\",\"message\":\"M1\"}", NULL);
    ck_assert_int_eq(awps_service_close_all(s, NULL, &e), AWPS_E_HTTP);
    ck_assert_str_eq(e.service_code, "C1");
    ck_assert_str_eq(e.message, "M1");
    mock_script(m, 403, "Application/JSON ; charset=utf-8", "{\"code\":\"C2\",\"message\":\"M2\"}",
                NULL);
    ck_assert_int_eq(awps_service_close_all(s, NULL, &e), AWPS_E_HTTP);
    ck_assert_str_eq(e.message, "M2");
    /* the header wins over the body's code */
    mock_script(m, 409, JSON_UTF8, "{\"code\":\"Body\",\"message\":\"M\"}", "x-ms-error-code",
                "Header", NULL);
    ck_assert_int_eq(awps_service_close_all(s, NULL, &e), AWPS_E_HTTP);
    ck_assert_str_eq(e.service_code, "Header");
    /* JSON without a message, and invalid JSON: the raw text */
    mock_script(m, 400, JSON_UTF8, "{\"code\":\"C\"}", NULL);
    ck_assert_int_eq(awps_service_close_all(s, NULL, &e), AWPS_E_HTTP);
    ck_assert_str_eq(e.message, "{\"code\":\"C\"}");
    ck_assert_str_eq(e.service_code, "C");
    mock_script(m, 400, JSON_UTF8, "{oops", NULL);
    ck_assert_int_eq(awps_service_close_all(s, NULL, &e), AWPS_E_HTTP);
    ck_assert_str_eq(e.message, "{oops");
    ck_assert_str_eq(e.service_code, "");
    /* other types: raw text, code from the header only */
    mock_script(m, 502, "text/plain", "bad gateway", "x-ms-error-code", "E", NULL);
    ck_assert_int_eq(awps_service_close_all(s, NULL, &e), AWPS_E_HTTP);
    ck_assert_int_eq(e.status, 502);
    ck_assert_str_eq(e.message, "bad gateway");
    ck_assert_str_eq(e.service_code, "E");
    /* empty body */
    mock_script(m, 503, NULL, NULL, NULL);
    ck_assert_int_eq(awps_service_close_all(s, NULL, &e), AWPS_E_HTTP);
    ck_assert_int_eq(e.status, 503);
    ck_assert_str_eq(e.message, "");
    /* long texts are cut on a character boundary */
    ck_assert_ptr_nonnull(big);
    for (int i = 0; i < 1500; i++)
        memcpy(big + 2 * i, "\xC3\xA9", 2);
    big[3000] = '\0';
    mock_script(m, 400, "text/plain", big, "x-ms-error-code", big + 1, NULL);
    ck_assert_int_eq(awps_service_close_all(s, NULL, &e), AWPS_E_HTTP);
    ck_assert_uint_eq(strlen(e.message), 510);
    ck_assert(awps__utf8_valid(e.message, strlen(e.message)));
    ck_assert(strncmp(e.message, big, 510) == 0);
    ck_assert_uint_lt(strlen(e.service_code), sizeof e.service_code);
    /* only the documented success status counts */
    mock_script(m, 200, NULL, NULL, NULL);
    ck_assert_int_eq(awps_service_remove_user_from_all_groups(s, "u", &e), AWPS_E_HTTP);
    ck_assert_int_eq(e.status, 200);
    mock_script(m, 204, NULL, NULL, NULL);
    ck_assert_int_eq(awps_service_add_connection_to_group(s, "g", "c", &e), AWPS_E_HTTP);
    mock_script(m, 200, NULL, NULL, NULL);
    ck_assert_int_eq(awps_service_send_to_all(s, AWPS_DATA_TEXT, "x", 1, NULL, &e), AWPS_E_HTTP);
    /* redirects are not followed */
    mock_script(m, 302, NULL, NULL, "Location", "{{base}}/elsewhere", NULL);
    ck_assert_int_eq(awps_service_close_all(s, NULL, &e), AWPS_E_HTTP);
    ck_assert_int_eq(e.status, 302);
    ck_assert_int_eq(e.code, AWPS_E_HTTP);
    ck_assert_uint_eq(mock_pending_scripts(m), 0);
    /* err may be NULL */
    mock_script(m, 500, NULL, NULL, NULL);
    ck_assert_int_eq(awps_service_close_all(s, NULL, NULL), AWPS_E_HTTP);
    free(big);
    awps_service_free(s);
}
END_TEST

START_TEST(invalid_arguments)
{
    awps_service *s = client();
    awps_service_error e;
    static const char *const with_null[] = {"a", NULL};
    awps_send_options ex = {NULL, with_null, 2, 0}, ex_null = {NULL, NULL, 2, 0};
    awps_send_options filt = {"userId eq 'a'", NULL, 0, 0};
    awps_close_options co_null = {NULL, with_null, 2};
    int x = 7;

#define INVALID(call) do { \
        memset(&e, 0, sizeof e); \
        ck_assert_int_eq((call), AWPS_E_INVALID); \
        ck_assert_int_eq(e.code, AWPS_E_INVALID); \
        ck_assert_str_ne(e.message, ""); \
    } while (0)
    INVALID(awps_service_send_to_all(NULL, AWPS_DATA_TEXT, "x", 1, NULL, &e));
    INVALID(awps_service_send_to_all(s, (awps_data_type)7, "x", 1, NULL, &e));
    INVALID(awps_service_send_to_all(s, AWPS_DATA_TEXT, NULL, 1, NULL, &e));
    INVALID(awps_service_send_to_all(s, AWPS_DATA_TEXT, "\xC3", 1, NULL, &e));
    INVALID(awps_service_send_to_all(s, AWPS_DATA_JSON, "\"\xFF\"", 3, NULL, &e));
    INVALID(awps_service_send_to_all(s, AWPS_DATA_TEXT, "x", 1, &ex, &e));
    INVALID(awps_service_send_to_all(s, AWPS_DATA_TEXT, "x", 1, &ex_null, &e));
    INVALID(awps_service_send_to_user(s, NULL, AWPS_DATA_TEXT, "x", 1, NULL, &e));
    INVALID(awps_service_send_to_user(s, "\xFF", AWPS_DATA_TEXT, "x", 1, NULL, &e));
    INVALID(awps_service_send_to_user(s, "u", AWPS_DATA_TEXT, "x", 1, &ex, &e));
    INVALID(awps_service_send_to_connection(s, "c", AWPS_DATA_TEXT, "x", 1, &filt, &e));
    INVALID(awps_service_send_to_group(s, NULL, AWPS_DATA_TEXT, "x", 1, NULL, &e));
    INVALID(awps_service_connection_exists(s, "c", NULL, &e));
    INVALID(awps_service_connection_exists(s, NULL, &x, &e));
    INVALID(awps_service_user_exists(NULL, "u", &x, &e));
    INVALID(awps_service_group_exists(s, "g\xC0\x80", &x, &e));
    INVALID(awps_service_close_connection(s, NULL, NULL, &e));
    INVALID(awps_service_close_connection(s, "c", "\xFE", &e));
    INVALID(awps_service_close_all(s, &co_null, &e));
    INVALID(awps_service_close_user(s, NULL, NULL, &e));
    INVALID(awps_service_close_group(NULL, "g", NULL, &e));
    INVALID(awps_service_add_connection_to_group(s, "g", NULL, &e));
    INVALID(awps_service_remove_connection_from_group(s, NULL, "c", &e));
    INVALID(awps_service_add_user_to_group(s, NULL, "u", &e));
    INVALID(awps_service_remove_user_from_group(s, "g", NULL, &e));
    INVALID(awps_service_remove_user_from_all_groups(s, NULL, &e));
    INVALID(awps_service_remove_connection_from_all_groups(NULL, "c", &e));
    INVALID(awps_service_add_connections_to_groups(s, NULL, 1, "f", &e));
    INVALID(awps_service_add_connections_to_groups(s, with_null, 2, "f", &e));
    INVALID(awps_service_remove_connections_from_groups(s, with_null, 1, "\xFF", &e));
    INVALID(awps_service_list_connections(s, "g", 0, 0, NULL, NULL, &e));
    INVALID(awps_service_list_connections(s, NULL, 0, 0, collect, NULL, &e));
    INVALID(awps_service_grant_permission(s, "c", (awps_permission)9, NULL, &e));
    INVALID(awps_service_revoke_permission(s, NULL, AWPS_PERMISSION_SEND_TO_GROUP, NULL, &e));
    INVALID(awps_service_check_permission(s, "c", AWPS_PERMISSION_SEND_TO_GROUP, NULL, NULL, &e));
    INVALID(awps_service_check_permission(s, "c", AWPS_PERMISSION_SEND_TO_GROUP, "\xFF", &x, &e));
#undef INVALID
    ck_assert_int_eq(x, 7);
    ck_assert_int_eq(awps_service_close_all(NULL, NULL, NULL), AWPS_E_INVALID);
    ck_assert_uint_eq(mock_count(m), 0);   /* nothing reached the service */
    awps_service_free(s);
}
END_TEST

START_TEST(size_bounds)
{
    awps_service *s = client();
    awps_service_error e;
    size_t n = 20000, big = AWPS__RESPONSE_MAX + 4096;
    char *group = malloc(n + 1), *body = malloc(big + 1);
    members got = {"", 0, 0};

    ck_assert_ptr_nonnull(group);
    ck_assert_ptr_nonnull(body);
    memset(group, 'g', n);
    group[n] = '\0';
    ck_assert_int_eq(awps_service_send_to_group(s, group, AWPS_DATA_TEXT, "x", 1, NULL, &e),
                     AWPS_E_TOO_LARGE);
    ck_assert_uint_eq(mock_count(m), 0);
    memset(body, ' ', big);
    body[big] = '\0';
    mock_script(m, 200, JSON_UTF8, body, NULL);
    free(body);
    ck_assert_int_eq(awps_service_list_connections(s, "g", 0, 0, collect, &got, &e),
                     AWPS_E_TOO_LARGE);
    ck_assert_uint_eq(got.n, 0);
    free(group);
    awps_service_free(s);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("rest");
    TCase *tc = tcase_create("rest");
    SRunner *sr;
    int failed;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, endpoint_prefix);
    tcase_add_test(tc, path_and_query_encoding);
    tcase_add_test(tc, common_headers);
    tcase_add_test(tc, operations_without_options);
    tcase_add_test(tc, list_three_pages);
    tcase_add_test(tc, list_stops_when_told);
    tcase_add_test(tc, list_malformed_pages);
    tcase_add_test(tc, list_error_on_second_page);
    tcase_add_test(tc, exists_true_false);
    tcase_add_test(tc, error_mapping);
    tcase_add_test(tc, invalid_arguments);
    tcase_add_test(tc, size_bounds);
    suite_add_tcase(su, tc);
    sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed ? 1 : 0;
}

