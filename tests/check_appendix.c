/* The official SDK's request log (spec Appendix A) reproduced against the
 * mock service: for every entry the method, raw path and query, content
 * type, body and token claims (signature and audience checked by the mock),
 * straight to the mock and through it as a reverse proxy in front of the
 * real endpoint name (then the claims, and when the token's member order
 * allows it the very bytes, equal the SDK's); the §9.3 path-prefix vector. */
#include <curl/curl.h>

#include "service-check.h"

/* ---- spec Appendix A ---- */

/* Each runs the SDK call of one Appendix A entry (scripting the mock's answer
 * first when the entry is an error), and checks the result. `origin` is the
 * service's scheme://host[:port] (for the nextLink the service returns). */
typedef void (*ax_fn)(awps_service *s, const char *origin);

static void ax_send_json_object(awps_service *s, const char *o)
{
    awps_service_error e;
    (void)o;
    ok(awps_service_send_to_all(s, AWPS_DATA_JSON, "{\"x\":1,\"y\":2}", 13, NULL, &e), &e);
}

static void ax_send_json_string(awps_service *s, const char *o)
{
    awps_service_error e;
    (void)o;
    ok(awps_service_send_to_all(s, AWPS_DATA_JSON, "\"hello\"", 7, NULL, &e), &e);
}

static void ax_send_text_options(awps_service *s, const char *o)
{
    static const char *const ex[] = {"conn1", "conn 2"};
    awps_send_options opt = {"userId ne 'user1'", ex, 2, 60};
    awps_service_error e;
    (void)o;
    ok(awps_service_send_to_all(s, AWPS_DATA_TEXT, "hello", 5, &opt, &e), &e);
}

static void ax_send_binary(awps_service *s, const char *o)
{
    awps_service_error e;
    (void)o;
    ok(awps_service_send_to_all(s, AWPS_DATA_BINARY, "\x01\x02\x03", 3, NULL, &e), &e);
}

static void ax_send_number(awps_service *s, const char *o)
{
    awps_service_error e;
    (void)o;
    ok(awps_service_send_to_all(s, AWPS_DATA_JSON, "42", 2, NULL, &e), &e);
}

static void ax_user_text_filter(awps_service *s, const char *o)
{
    awps_send_options opt = {"'a''b' in groups", NULL, 0, 10};
    awps_service_error e;
    (void)o;
    ok(awps_service_send_to_user(s, "user/1 \xC3\xA9", AWPS_DATA_TEXT, "hi", 2, &opt, &e), &e);
}

static void ax_connection_json_ttl(awps_service *s, const char *o)
{
    awps_send_options opt = {NULL, NULL, 0, 300};
    awps_service_error e;
    (void)o;
    ok(awps_service_send_to_connection(s, "conn1", AWPS_DATA_JSON, "{\"a\":\"b\"}", 9, &opt, &e),
       &e);
}

static void ax_connection_exists_404(awps_service *s, const char *o)
{
    awps_service_error e;
    int x = -1;
    (void)o;
    mock_script(m, 404, NULL, NULL, "x-ms-error-code", "Warning.Connection.NotExisted", NULL);
    ok(awps_service_connection_exists(s, "conn1", &x, &e), &e);
    ck_assert_int_eq(x, 0);
}

static void ax_user_exists_404(awps_service *s, const char *o)
{
    awps_service_error e;
    int x = -1;
    (void)o;
    mock_script(m, 404, NULL, NULL, "x-ms-error-code", "Warning.User.NotExisted", NULL);
    ok(awps_service_user_exists(s, "user1", &x, &e), &e);
    ck_assert_int_eq(x, 0);
}

static void ax_group_exists_404(awps_service *s, const char *o)
{
    awps_service_error e;
    int x = -1;
    (void)o;
    mock_script(m, 404, NULL, NULL, NULL);
    ok(awps_service_group_exists(s, "group 1", &x, &e), &e);
    ck_assert_int_eq(x, 0);
}

static void ax_has_permission_404(awps_service *s, const char *o)
{
    awps_service_error e;
    int x = -1;
    (void)o;
    mock_script(m, 404, NULL, NULL, NULL);
    ok(awps_service_check_permission(s, "conn1", AWPS_PERMISSION_SEND_TO_GROUP, "group1", &x, &e),
       &e);
    ck_assert_int_eq(x, 0);
}

static void ax_grant(awps_service *s, const char *o)
{
    awps_service_error e;
    (void)o;
    ok(awps_service_grant_permission(s, "conn1", AWPS_PERMISSION_JOIN_LEAVE_GROUP, "group1", &e),
       &e);
}

static void ax_revoke(awps_service *s, const char *o)
{
    awps_service_error e;
    (void)o;
    ok(awps_service_revoke_permission(s, "conn1", AWPS_PERMISSION_JOIN_LEAVE_GROUP, "group1", &e),
       &e);
}

static void ax_close_connection(awps_service *s, const char *o)
{
    awps_service_error e;
    (void)o;
    ok(awps_service_close_connection(s, "conn1", "bye now", &e), &e);
}

static void ax_close_all(awps_service *s, const char *o)
{
    static const char *const ex[] = {"c1", "c2"};
    awps_close_options opt = {"r", ex, 2};
    awps_service_error e;
    (void)o;
    ok(awps_service_close_all(s, &opt, &e), &e);
}

static void ax_close_user(awps_service *s, const char *o)
{
    awps_close_options opt = {"r", NULL, 0};
    awps_service_error e;
    (void)o;
    ok(awps_service_close_user(s, "user1", &opt, &e), &e);
}

static void ax_remove_user_all_groups(awps_service *s, const char *o)
{
    awps_service_error e;
    (void)o;
    ok(awps_service_remove_user_from_all_groups(s, "user1", &e), &e);
}

static void ax_remove_connection_all_groups(awps_service *s, const char *o)
{
    awps_service_error e;
    (void)o;
    ok(awps_service_remove_connection_from_all_groups(s, "conn1", &e), &e);
}

static void ax_add_to_groups(awps_service *s, const char *o)
{
    static const char *const g[] = {"group1", "group2"};
    awps_service_error e;
    (void)o;
    ok(awps_service_add_connections_to_groups(s, g, 2, "userId eq 'user 1'", &e), &e);
}

static void ax_remove_from_groups(awps_service *s, const char *o)
{
    static const char *const g[] = {"group1"};
    awps_service_error e;
    (void)o;
    ok(awps_service_remove_connections_from_groups(s, g, 1, "userId eq 'user 1'", &e), &e);
}

static void ax_group_send(awps_service *s, const char *o)
{
    static const char *const ex[] = {"c1"};
    awps_send_options opt = {"userId eq 'u'", ex, 1, 1};
    awps_service_error e;
    (void)o;
    ok(awps_service_send_to_group(s, "group1", AWPS_DATA_TEXT, "hello", 5, &opt, &e), &e);
}

static void ax_group_add_connection(awps_service *s, const char *o)
{
    awps_service_error e;
    (void)o;
    ok(awps_service_add_connection_to_group(s, "group1", "conn1", &e), &e);
}

static void ax_group_remove_connection(awps_service *s, const char *o)
{
    awps_service_error e;
    (void)o;
    ok(awps_service_remove_connection_from_group(s, "group1", "conn1", &e), &e);
}

static void ax_group_add_user(awps_service *s, const char *o)
{
    awps_service_error e;
    (void)o;
    ok(awps_service_add_user_to_group(s, "group1", "user1", &e), &e);
}

static void ax_group_remove_user(awps_service *s, const char *o)
{
    awps_service_error e;
    (void)o;
    ok(awps_service_remove_user_from_group(s, "group1", "user1", &e), &e);
}

static void ax_group_close(awps_service *s, const char *o)
{
    awps_close_options opt = {"r", NULL, 0};
    awps_service_error e;
    (void)o;
    ok(awps_service_close_group(s, "group1", &opt, &e), &e);
}

/* Members collected as "conn/user" lines ("-" for no user). */
static void ax_group_list(awps_service *s, const char *origin)
{
    awps_service_error e;
    members got = {"", 0, 0};
    char page1[512];

    snprintf(page1, sizeof page1,
             "{\"value\":[{\"connectionId\":\"c1\",\"userId\":\"u1\"},"
             "{\"connectionId\":\"c2\",\"userId\":null}],\"nextLink\":\"%s/api/hubs/hub1/groups/"
             "group1/connections?top=1&maxpagesize=2&continuationToken=c2&api-version=2024-12-01\"}",
             origin);
    mock_script(m, 200, JSON_UTF8, page1, NULL);
    mock_script(m, 200, JSON_UTF8, "{\"value\":[{\"connectionId\":\"c3\"}]}", NULL);
    ok(awps_service_list_connections(s, "group1", 3, 2, collect, &got, &e), &e);
    ck_assert_str_eq(got.text, "c1/u1;c2/-;c3/-;");
}

static void ax_group_add_connection_404(awps_service *s, const char *o)
{
    awps_service_error e;
    (void)o;
    mock_script(m, 404, JSON_UTF8,
                "{\"code\":\"Error.Connection.NotExisted\",\"message\":\"Connection `xxxx` is not "
                "found.\",\"target\":\"Connection\",\"details\":null,\"inner\":null}",
                "x-ms-error-code", "Error.Connection.NotExisted", NULL);
    ck_assert_int_eq(awps_service_add_connection_to_group(s, "group1", "xxxx", &e), AWPS_E_HTTP);
    ck_assert_int_eq(e.code, AWPS_E_HTTP);
    ck_assert_int_eq(e.status, 404);
    ck_assert_str_eq(e.service_code, "Error.Connection.NotExisted");
    ck_assert_str_eq(e.message, "Connection `xxxx` is not found.");
}

static void ax_grant_404(awps_service *s, const char *o)
{
    awps_service_error e;
    (void)o;
    /* no x-ms-error-code: the code comes from the JSON body */
    mock_script(m, 404, JSON_UTF8,
                "{\"code\":\"Error.Connection.NotExisted\",\"message\":\"Connection `xxxx` is not "
                "found.\",\"target\":\"Connection\",\"details\":null,\"inner\":null}",
                NULL);
    ck_assert_int_eq(
        awps_service_grant_permission(s, "xxxx", AWPS_PERMISSION_JOIN_LEAVE_GROUP, "x", &e),
        AWPS_E_HTTP);
    ck_assert_int_eq(e.status, 404);
    ck_assert_str_eq(e.service_code, "Error.Connection.NotExisted");
    ck_assert_str_eq(e.message, "Connection `xxxx` is not found.");
}

#define PROBLEM "{\"code\":\"Error.BadRequest\",\"message\":\"Invalid syntax for 'invalid filter': " \
    "Syntax error at position 14 in 'invalid filter'. (Parameter 'filter')\",\"target\":\"filter\"}"

static void ax_send_400(awps_service *s, const char *o)
{
    awps_send_options opt = {"invalid filter", NULL, 0, 0};
    awps_service_error e;
    (void)o;
    mock_script(m, 400, "application/problem+json; charset=utf-8", PROBLEM, NULL);
    ck_assert_int_eq(awps_service_send_to_all(s, AWPS_DATA_TEXT, "hello", 5, &opt, &e),
                     AWPS_E_HTTP);
    ck_assert_int_eq(e.status, 400);
    ck_assert_str_eq(e.service_code, "");
    ck_assert_str_eq(e.message, PROBLEM);   /* the raw text, as the SDK */
}

static void ax_connection_exists_500(awps_service *s, const char *o)
{
    awps_service_error e;
    int x = -1;
    (void)o;
    mock_script(m, 500, NULL, NULL, NULL);
    ck_assert_int_eq(awps_service_connection_exists(s, "c", &x, &e), AWPS_E_HTTP);
    ck_assert_int_eq(x, -1);
    ck_assert_int_eq(e.status, 500);
    ck_assert_str_eq(e.message, "");
}

static void ax_proxy_send(awps_service *s, const char *o)
{
    awps_service_error e;
    (void)o;
    ok(awps_service_send_to_all(s, AWPS_DATA_TEXT, "hi", 2, NULL, &e), &e);
}

typedef struct ax_req {
    const char *method, *target, *ctype, *body;
    size_t body_len;
    const char *token;      /* the SDK's bearer token */
} ax_req;

static const struct ax_entry {
    const char *name;
    ax_fn run;
    ax_req req[2];
} appendix[] = {
    /* sendToAll json object */
    {"sendToAll json object", ax_send_json_object, {{"POST", "/api/hubs/hub1/:send?api-version=2024-12-01", "application/json", "{\"x\":1,\"y\":2}", 13, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS86c2VuZD9hcGktdmVyc2lvbj0yMDI0LTEyLTAxIn0.bmP-il09GYEI0hOgOXhhiyiA_43QmZSCeeGp3_e1hK8"}}},
    /* sendToAll json string (no contentType) */
    {"sendToAll json string (no contentType)", ax_send_json_string, {{"POST", "/api/hubs/hub1/:send?api-version=2024-12-01", "application/json", "\"hello\"", 7, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS86c2VuZD9hcGktdmVyc2lvbj0yMDI0LTEyLTAxIn0.bmP-il09GYEI0hOgOXhhiyiA_43QmZSCeeGp3_e1hK8"}}},
    /* sendToAll text with filter/excluded/ttl */
    {"sendToAll text with filter/excluded/ttl", ax_send_text_options, {{"POST", "/api/hubs/hub1/:send?api-version=2024-12-01&excluded=conn1&excluded=conn%202&filter=userId%20ne%20%27user1%27&messageTtlSeconds=60", "text/plain", "hello", 5, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS86c2VuZD9hcGktdmVyc2lvbj0yMDI0LTEyLTAxJmV4Y2x1ZGVkPWNvbm4xJmV4Y2x1ZGVkPWNvbm4lMjAyJmZpbHRlcj11c2VySWQlMjBuZSUyMCUyN3VzZXIxJTI3Jm1lc3NhZ2VUdGxTZWNvbmRzPTYwIn0.ePVJ2b9B9knV33co_F9dRtFZmNUW6Y1wTPV_EggDJJA"}}},
    /* sendToAll binary */
    {"sendToAll binary", ax_send_binary, {{"POST", "/api/hubs/hub1/:send?api-version=2024-12-01", "application/octet-stream", "\x01\x02\x03", 3, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS86c2VuZD9hcGktdmVyc2lvbj0yMDI0LTEyLTAxIn0.bmP-il09GYEI0hOgOXhhiyiA_43QmZSCeeGp3_e1hK8"}}},
    /* sendToAll number */
    {"sendToAll number", ax_send_number, {{"POST", "/api/hubs/hub1/:send?api-version=2024-12-01", "application/json", "42", 2, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS86c2VuZD9hcGktdmVyc2lvbj0yMDI0LTEyLTAxIn0.bmP-il09GYEI0hOgOXhhiyiA_43QmZSCeeGp3_e1hK8"}}},
    /* sendToUser text filter */
    {"sendToUser text filter", ax_user_text_filter, {{"POST", "/api/hubs/hub1/users/user%2F1%20%C3%A9/:send?api-version=2024-12-01&filter=%27a%27%27b%27%20in%20groups&messageTtlSeconds=10", "text/plain", "hi", 2, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS91c2Vycy91c2VyJTJGMSUyMCVDMyVBOS86c2VuZD9hcGktdmVyc2lvbj0yMDI0LTEyLTAxJmZpbHRlcj0lMjdhJTI3JTI3YiUyNyUyMGluJTIwZ3JvdXBzJm1lc3NhZ2VUdGxTZWNvbmRzPTEwIn0.I1SEroNng98LJQr9Mg3sa93KDeQo_iaEjP8sqqDXFlY"}}},
    /* sendToConnection json ttl */
    {"sendToConnection json ttl", ax_connection_json_ttl, {{"POST", "/api/hubs/hub1/connections/conn1/:send?api-version=2024-12-01&messageTtlSeconds=300", "application/json", "{\"a\":\"b\"}", 9, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS9jb25uZWN0aW9ucy9jb25uMS86c2VuZD9hcGktdmVyc2lvbj0yMDI0LTEyLTAxJm1lc3NhZ2VUdGxTZWNvbmRzPTMwMCJ9.ncnH_gMSC5DleifjdQrtZlUD_AtrdugPKTQhWHXja_c"}}},
    /* connectionExists 404 */
    {"connectionExists 404", ax_connection_exists_404, {{"HEAD", "/api/hubs/hub1/connections/conn1?api-version=2024-12-01", NULL, NULL, 0, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS9jb25uZWN0aW9ucy9jb25uMT9hcGktdmVyc2lvbj0yMDI0LTEyLTAxIn0.XHmzev9vNxxnpwG4mceQSom0DLdNofHoTr2O3JpvLzc"}}},
    /* userExists 404 */
    {"userExists 404", ax_user_exists_404, {{"HEAD", "/api/hubs/hub1/users/user1?api-version=2024-12-01", NULL, NULL, 0, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS91c2Vycy91c2VyMT9hcGktdmVyc2lvbj0yMDI0LTEyLTAxIn0.otRYOooWtKjDyYyTdwNMgyBGXini30_DWoWleHUZyT0"}}},
    /* groupExists 404 */
    {"groupExists 404", ax_group_exists_404, {{"HEAD", "/api/hubs/hub1/groups/group%201?api-version=2024-12-01", NULL, NULL, 0, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS9ncm91cHMvZ3JvdXAlMjAxP2FwaS12ZXJzaW9uPTIwMjQtMTItMDEifQ.bQkm6JP0KN9eVM-RJFaopzytYeFfG1ypaeQ1O6Tb-RQ"}}},
    /* hasPermission 404 */
    {"hasPermission 404", ax_has_permission_404, {{"HEAD", "/api/hubs/hub1/permissions/sendToGroup/connections/conn1?api-version=2024-12-01&targetName=group1", NULL, NULL, 0, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS9wZXJtaXNzaW9ucy9zZW5kVG9Hcm91cC9jb25uZWN0aW9ucy9jb25uMT9hcGktdmVyc2lvbj0yMDI0LTEyLTAxJnRhcmdldE5hbWU9Z3JvdXAxIn0.SGbmTTehIhFTLRDe3fBwQIZ7Se9od5a_NzbiZ2iVrIE"}}},
    /* grantPermission */
    {"grantPermission", ax_grant, {{"PUT", "/api/hubs/hub1/permissions/joinLeaveGroup/connections/conn1?api-version=2024-12-01&targetName=group1", NULL, NULL, 0, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS9wZXJtaXNzaW9ucy9qb2luTGVhdmVHcm91cC9jb25uZWN0aW9ucy9jb25uMT9hcGktdmVyc2lvbj0yMDI0LTEyLTAxJnRhcmdldE5hbWU9Z3JvdXAxIn0.pDS8M4cC7DyVgcxh7Eh8HPJ42ddwztn5KDEdeUXK95g"}}},
    /* revokePermission */
    {"revokePermission", ax_revoke, {{"DELETE", "/api/hubs/hub1/permissions/joinLeaveGroup/connections/conn1?api-version=2024-12-01&targetName=group1", NULL, NULL, 0, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS9wZXJtaXNzaW9ucy9qb2luTGVhdmVHcm91cC9jb25uZWN0aW9ucy9jb25uMT9hcGktdmVyc2lvbj0yMDI0LTEyLTAxJnRhcmdldE5hbWU9Z3JvdXAxIn0.pDS8M4cC7DyVgcxh7Eh8HPJ42ddwztn5KDEdeUXK95g"}}},
    /* closeConnection reason */
    {"closeConnection reason", ax_close_connection, {{"DELETE", "/api/hubs/hub1/connections/conn1?api-version=2024-12-01&reason=bye%20now", NULL, NULL, 0, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS9jb25uZWN0aW9ucy9jb25uMT9hcGktdmVyc2lvbj0yMDI0LTEyLTAxJnJlYXNvbj1ieWUlMjBub3cifQ.ibvUpzOD_68_9h0An8NQc79ZNbfUxn8Y2sLryPz2wgY"}}},
    /* closeAllConnections reason+excluded(untyped) */
    {"closeAllConnections reason+excluded(untyped)", ax_close_all, {{"POST", "/api/hubs/hub1/:closeConnections?api-version=2024-12-01&excluded=c1&excluded=c2&reason=r", NULL, NULL, 0, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS86Y2xvc2VDb25uZWN0aW9ucz9hcGktdmVyc2lvbj0yMDI0LTEyLTAxJmV4Y2x1ZGVkPWMxJmV4Y2x1ZGVkPWMyJnJlYXNvbj1yIn0.4eWK7SiShAQKRRAC_lDFgYlg0PU6lsa79T1rqIfGMBU"}}},
    /* closeUserConnections */
    {"closeUserConnections", ax_close_user, {{"POST", "/api/hubs/hub1/users/user1/:closeConnections?api-version=2024-12-01&reason=r", NULL, NULL, 0, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS91c2Vycy91c2VyMS86Y2xvc2VDb25uZWN0aW9ucz9hcGktdmVyc2lvbj0yMDI0LTEyLTAxJnJlYXNvbj1yIn0.fNXkyQJa4Rqtj2gwBehRkGEUImi2Jg1A94BJC1SMH2k"}}},
    /* removeUserFromAllGroups */
    {"removeUserFromAllGroups", ax_remove_user_all_groups, {{"DELETE", "/api/hubs/hub1/users/user1/groups?api-version=2024-12-01", NULL, NULL, 0, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS91c2Vycy91c2VyMS9ncm91cHM_YXBpLXZlcnNpb249MjAyNC0xMi0wMSJ9.bw35C-Q4NTxikGLsgiov3vjTYu3ho-QSIt8Xpv5q2MQ"}}},
    /* removeConnectionFromAllGroups */
    {"removeConnectionFromAllGroups", ax_remove_connection_all_groups, {{"DELETE", "/api/hubs/hub1/connections/conn1/groups?api-version=2024-12-01", NULL, NULL, 0, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS9jb25uZWN0aW9ucy9jb25uMS9ncm91cHM_YXBpLXZlcnNpb249MjAyNC0xMi0wMSJ9.PrXQfnQ7qMqKREL9BcrXWi48vbnNoSdL1CpH3z7hz2A"}}},
    /* addConnectionsToGroups */
    {"addConnectionsToGroups", ax_add_to_groups, {{"POST", "/api/hubs/hub1/:addToGroups?api-version=2024-12-01", "application/json", "{\"groups\":[\"group1\",\"group2\"],\"filter\":\"userId eq 'user 1'\"}", 60, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS86YWRkVG9Hcm91cHM_YXBpLXZlcnNpb249MjAyNC0xMi0wMSJ9.GJeRkw0zlJreM_hl3MdI-NrYxdCjdPdIh1pVNLOGLhk"}}},
    /* removeConnectionsFromGroups */
    {"removeConnectionsFromGroups", ax_remove_from_groups, {{"POST", "/api/hubs/hub1/:removeFromGroups?api-version=2024-12-01", "application/json", "{\"groups\":[\"group1\"],\"filter\":\"userId eq 'user 1'\"}", 51, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS86cmVtb3ZlRnJvbUdyb3Vwcz9hcGktdmVyc2lvbj0yMDI0LTEyLTAxIn0.B0GfaplEqa9pwIUmmpQi3gKVg2fJGGk3pBq7rgRf9J8"}}},
    /* group sendToAll text */
    {"group sendToAll text", ax_group_send, {{"POST", "/api/hubs/hub1/groups/group1/:send?api-version=2024-12-01&excluded=c1&filter=userId%20eq%20%27u%27&messageTtlSeconds=1", "text/plain", "hello", 5, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS9ncm91cHMvZ3JvdXAxLzpzZW5kP2FwaS12ZXJzaW9uPTIwMjQtMTItMDEmZXhjbHVkZWQ9YzEmZmlsdGVyPXVzZXJJZCUyMGVxJTIwJTI3dSUyNyZtZXNzYWdlVHRsU2Vjb25kcz0xIn0.gR-H06yUFwX-5Pnl2gDffiai0KQ4NCQDiBlr73z_TUs"}}},
    /* group addConnection */
    {"group addConnection", ax_group_add_connection, {{"PUT", "/api/hubs/hub1/groups/group1/connections/conn1?api-version=2024-12-01", NULL, NULL, 0, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS9ncm91cHMvZ3JvdXAxL2Nvbm5lY3Rpb25zL2Nvbm4xP2FwaS12ZXJzaW9uPTIwMjQtMTItMDEifQ.OMgzAvR5bw1tVKU_qbNeKg-TZqYoPeYaC_gj6xOvMJs"}}},
    /* group removeConnection */
    {"group removeConnection", ax_group_remove_connection, {{"DELETE", "/api/hubs/hub1/groups/group1/connections/conn1?api-version=2024-12-01", NULL, NULL, 0, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS9ncm91cHMvZ3JvdXAxL2Nvbm5lY3Rpb25zL2Nvbm4xP2FwaS12ZXJzaW9uPTIwMjQtMTItMDEifQ.OMgzAvR5bw1tVKU_qbNeKg-TZqYoPeYaC_gj6xOvMJs"}}},
    /* group addUser */
    {"group addUser", ax_group_add_user, {{"PUT", "/api/hubs/hub1/users/user1/groups/group1?api-version=2024-12-01", NULL, NULL, 0, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS91c2Vycy91c2VyMS9ncm91cHMvZ3JvdXAxP2FwaS12ZXJzaW9uPTIwMjQtMTItMDEifQ.WIMIorzFPpR4L4sJ0mLy8xaCDDiH94cxqIAPfuN5wSQ"}}},
    /* group removeUser */
    {"group removeUser", ax_group_remove_user, {{"DELETE", "/api/hubs/hub1/users/user1/groups/group1?api-version=2024-12-01", NULL, NULL, 0, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS91c2Vycy91c2VyMS9ncm91cHMvZ3JvdXAxP2FwaS12ZXJzaW9uPTIwMjQtMTItMDEifQ.WIMIorzFPpR4L4sJ0mLy8xaCDDiH94cxqIAPfuN5wSQ"}}},
    /* group closeAllConnections */
    {"group closeAllConnections", ax_group_close, {{"POST", "/api/hubs/hub1/groups/group1/:closeConnections?api-version=2024-12-01&reason=r", NULL, NULL, 0, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS9ncm91cHMvZ3JvdXAxLzpjbG9zZUNvbm5lY3Rpb25zP2FwaS12ZXJzaW9uPTIwMjQtMTItMDEmcmVhc29uPXIifQ.NSMBwf4XUF2CkrD_w1ChVhQgsl45AGC92_ahUy4LYNE"}}},
    /* group listConnections */
    {"group listConnections", ax_group_list, {{"GET", "/api/hubs/hub1/groups/group1/connections?api-version=2024-12-01&maxpagesize=2&top=3", NULL, NULL, 0, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS9ncm91cHMvZ3JvdXAxL2Nvbm5lY3Rpb25zP2FwaS12ZXJzaW9uPTIwMjQtMTItMDEmbWF4cGFnZXNpemU9MiZ0b3A9MyJ9.gXo9TACOLPmiKBLYa96fgPm2OEMsvhb1noRyxDYTwW0"},
      {"GET", "/api/hubs/hub1/groups/group1/connections?top=1&maxpagesize=2&continuationToken=c2&api-version=2024-12-01", NULL, NULL, 0, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS9ncm91cHMvZ3JvdXAxL2Nvbm5lY3Rpb25zP3RvcD0xJm1heHBhZ2VzaXplPTImY29udGludWF0aW9uVG9rZW49YzImYXBpLXZlcnNpb249MjAyNC0xMi0wMSJ9.2yKnUvoTrQXnRB2WwbQGx93cUPOzZ-s5PtZrfi-WZNg"}}},
    /* group addConnection 404 */
    {"group addConnection 404", ax_group_add_connection_404, {{"PUT", "/api/hubs/hub1/groups/group1/connections/xxxx?api-version=2024-12-01", NULL, NULL, 0, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS9ncm91cHMvZ3JvdXAxL2Nvbm5lY3Rpb25zL3h4eHg_YXBpLXZlcnNpb249MjAyNC0xMi0wMSJ9.5eHjZgbpq4suGPA79PE0Hy7Oudz8arXpb7uXBGgVpgQ"}}},
    /* grantPermission 404 */
    {"grantPermission 404", ax_grant_404, {{"PUT", "/api/hubs/hub1/permissions/joinLeaveGroup/connections/xxxx?api-version=2024-12-01&targetName=x", NULL, NULL, 0, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS9wZXJtaXNzaW9ucy9qb2luTGVhdmVHcm91cC9jb25uZWN0aW9ucy94eHh4P2FwaS12ZXJzaW9uPTIwMjQtMTItMDEmdGFyZ2V0TmFtZT14In0.-2LOYOv0RFK_-ajWNj55Q1tvmYdP1FHgll5-zVSYcoI"}}},
    /* sendToAll 400 */
    {"sendToAll 400", ax_send_400, {{"POST", "/api/hubs/hub1/:send?api-version=2024-12-01&filter=invalid%20filter", "text/plain", "hello", 5, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS86c2VuZD9hcGktdmVyc2lvbj0yMDI0LTEyLTAxJmZpbHRlcj1pbnZhbGlkJTIwZmlsdGVyIn0.voItRsAtOxM8Guw1h984WrE2voom6bJMXxfhto9M-ek"}}},
    /* connectionExists 500 */
    {"connectionExists 500", ax_connection_exists_500, {{"HEAD", "/api/hubs/hub1/connections/c?api-version=2024-12-01", NULL, NULL, 0, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS9jb25uZWN0aW9ucy9jP2FwaS12ZXJzaW9uPTIwMjQtMTItMDEifQ.QqQq5WIKLcP3jtyEAJe7TkKwJArQq2YzpGG5P8z2DmE"}}},
    /* reverse proxy sendToAll */
    {"reverse proxy sendToAll", ax_proxy_send, {{"POST", "/api/hubs/hub1/:send?api-version=2024-12-01", "text/plain", "hi", 2, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS86c2VuZD9hcGktdmVyc2lvbj0yMDI0LTEyLTAxIn0.bmP-il09GYEI0hOgOXhhiyiA_43QmZSCeeGp3_e1hK8"}}},
};

/* Run every Appendix A entry; `origin` is where the client believes the
 * service is (the tokens' audience base). */
static size_t run_appendix(awps_service *s, const char *origin, int proxied)
{
    size_t same = 0;

    for (size_t k = 0; k < sizeof appendix / sizeof appendix[0]; k++) {
        const struct ax_entry *x = &appendix[k];
        size_t before = mock_count(m), n = x->req[1].method ? 2 : 1;

        x->run(s, origin);
        ck_assert_msg(mock_count(m) == before + n, "%s: %zu requests", x->name,
                      mock_count(m) - before);
        ck_assert_uint_eq(mock_pending_scripts(m), 0);
        for (size_t i = 0; i < n; i++) {
            const ax_req *q = &x->req[i];
            const mock_request *r =
                expect_req(before + i, q->method, q->target, q->ctype, q->body, q->body_len);
            json_t *sdk = jwt_claims(q->token), *got = jwt_claims(r->authorization);
            char aud[1024];

            snprintf(aud, sizeof aud, "%s%s", origin, q->target);
            ck_assert_str_eq(r->token_aud, aud);
            ck_assert_int_eq(r->token_iat, 1700000000);
            ck_assert_int_eq(r->token_exp, 1700003600);
            ck_assert_uint_eq(json_object_size(got), 3);
            if (!proxied)  /* the same claims but for the host */
                json_object_set_new(sdk, "aud", json_string(aud));
            ck_assert_msg(json_equal(sdk, got), "%s: claims differ from the SDK's", x->name);
            /* the same payload text: then the whole token is the SDK's */
            if (proxied) {
                char *text = jwt_payload(q->token);
                if (!strcmp(r->token_payload, text)) {
                    ck_assert_str_eq(r->authorization + 7, q->token);
                    same++;
                }
                free(text);
            }
            if (strcmp(q->method, "HEAD") == 0)
                ck_assert_ptr_null(r->accept);
            else
                ck_assert_pstr_eq(r->accept, "application/json");
            json_decref(sdk);
            json_decref(got);
        }
    }
    return same;   /* tokens byte-equal to the SDK's */
}

START_TEST(appendix_a_direct)
{
    awps_service *s = client();
    run_appendix(s, mock_base(m), 0);
    awps_service_free(s);
}
END_TEST

/* Pointed at the real endpoint with the mock as reverse proxy: the same
 * requests and the SDK's very claims (aud = the contoso URL). */
START_TEST(appendix_a_reverse_proxy)
{
    awps_service *s = client_at(CONTOSO, KEY, "hub1");
    size_t same = 0;

    ck_assert_int_eq(awps_service_set_reverse_proxy(s, mock_base(m)), AWPS_OK);
    mock_set_audience_base(m, CONTOSO);
    same = run_appendix(s, CONTOSO, 1);
    /* Byte-equal tokens need the SDK's member order (iat, exp, aud): with
     * it every token must equal the SDK's; without it (libjwt sorts the
     * members) the claims, signature and audience were checked above. */
    if (same > 0)
        ck_assert_uint_eq(same, mock_count(m));
    awps_service_free(s);
}
END_TEST

/* A reverse proxy URL's path is ignored; only scheme://host[:port] counts. */
START_TEST(reverse_proxy_path_ignored)
{
    awps_service *s = client_at(CONTOSO "/", KEY, "hub1");
    awps_service_error e;
    char proxy[128];

    snprintf(proxy, sizeof proxy, "%s/ignored/path?q=1", mock_base(m));
    ck_assert_int_eq(awps_service_set_reverse_proxy(s, proxy), AWPS_OK);
    mock_set_audience_base(m, CONTOSO);
    ok(awps_service_send_to_user(s, "u", AWPS_DATA_TEXT, "x", 1, NULL, &e), &e);
    expect_last("POST", "/api/hubs/hub1/users/u/:send?api-version=2024-12-01", "text/plain", "x",
                1);
    /* and removed again: straight to the endpoint (unreachable here) */
    ck_assert_int_eq(awps_service_set_reverse_proxy(s, NULL), AWPS_OK);
    awps_service_free(s);
}
END_TEST

/* §9.3: Endpoint=http://localhost:8080/prefix;AccessKey=ABC, hub chat. */
START_TEST(prefix_vector)
{
    static const char sdk[] =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVk"
        "IjoiaHR0cDovL2xvY2FsaG9zdDo4MDgwL3ByZWZpeC9hcGkvaHVicy9jaGF0LzpzZW5kP2FwaS12ZXJzaW9uPTIwMj"
        "QtMTItMDEifQ.O3xDpGnMKOPiwtMMTWgDqYl9L8GqxxGehb1SIEf6OeM";
    mock_service *abc = mock_start("ABC");
    awps_service_error e;
    awps_service *s;
    const mock_request *r;
    json_t *want, *got;

    ck_assert_ptr_nonnull(abc);
    s = client_at("http://localhost:8080/prefix", "ABC", "chat");
    ck_assert_int_eq(awps_service_set_reverse_proxy(s, mock_base(abc)), AWPS_OK);
    mock_set_audience_base(abc, "http://localhost:8080");
    ok(awps_service_send_to_all(s, AWPS_DATA_TEXT, "hi", 2, NULL, &e), &e);
    r = mock_last(abc);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(r->target, "/prefix/api/hubs/chat/:send?api-version=2024-12-01");
    ck_assert_msg(r->token_ok, "%s", r->token_error);
    want = jwt_claims(sdk);
    got = jwt_claims(r->authorization);
    ck_assert(json_equal(want, got));
    if (!strncmp(r->token_payload, "{\"iat\":", 7))
        ck_assert_str_eq(r->authorization + 7, sdk);
    json_decref(want);
    json_decref(got);
    awps_service_free(s);
    mock_stop(abc);
}
END_TEST

/* An endpoint path prefix is kept, with exactly one '/' before api/hubs. */
int main(void)
{
    Suite *su = suite_create("appendix");
    TCase *tc = tcase_create("appendix");
    SRunner *sr;
    int failed;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, appendix_a_direct);
    tcase_add_test(tc, appendix_a_reverse_proxy);
    tcase_add_test(tc, reverse_proxy_path_ignored);
    tcase_add_test(tc, prefix_vector);
    suite_add_tcase(su, tc);
    sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed ? 1 : 0;
}
