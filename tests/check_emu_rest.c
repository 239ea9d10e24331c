/* awps-emulator: the REST API (emu-rest.c, emu-rest-ops.c) driven through
 * emu_rest_handle() against the registry, with fake connections that
 * record what they are sent (tests/emu-testutil.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu-testutil.h"

/* ---- authentication and routing ---- */

START_TEST(auth_missing_401)
{
    ck_assert_uint_eq(req_full("POST", HUB "/:send" API, "text/plain", "x", 1, "", NULL), 401);
    error_is(401, "Error.Unauthorized");
    ck_assert_uint_eq(req_full("POST", HUB "/:send" API, "text/plain", "x", 1, "Basic abc", NULL),
                      401);
    error_is(401, "Error.Unauthorized");
}
END_TEST

START_TEST(auth_wrong_key_401)
{
    char *t = mint("another key", "http://" HOST HUB "/:send" API, 3600), h[4096];
    snprintf(h, sizeof h, "Bearer %s", t);
    free(t);
    ck_assert_uint_eq(req_full("POST", HUB "/:send" API, "text/plain", "x", 1, h, NULL), 401);
    error_is(401, "Error.Unauthorized");
}
END_TEST

START_TEST(auth_wrong_audience_401)
{
    const char *auds[] = {"http://" HOST HUB "/:send", "http://" HOST HUB "/:send" API "&x=1",
                          "http://other:8080" HUB "/:send" API, "ws://" HOST HUB "/:send" API,
                          HUB "/:send" API, "http://" HOST "/API/hubs/chat/:send" API};
    for (size_t i = 0; i < sizeof auds / sizeof *auds; i++) {
        char *t = mint(KEY, auds[i], 3600), h[4096];
        snprintf(h, sizeof h, "Bearer %s", t);
        free(t);
        ck_assert_uint_eq(req_full("POST", HUB "/:send" API, "text/plain", "x", 1, h, NULL), 401);
        error_is(401, "Error.Unauthorized");
    }
}
END_TEST

START_TEST(auth_expired_401)
{
    char *t = mint(KEY, "http://" HOST HUB "/:send" API, -10), h[4096];
    snprintf(h, sizeof h, "Bearer %s", t);
    free(t);
    ck_assert_uint_eq(req_full("POST", HUB "/:send" API, "text/plain", "x", 1, h, NULL), 401);
    error_is(401, "Error.Unauthorized");
    ck_assert_ptr_nonnull(strstr(msg(), "expired"));
}
END_TEST

START_TEST(auth_https_and_default_port_accepted)
{
    const char *auds[] = {"https://" HOST HUB "/:send" API, "HTTP://LOCALHOST:8080" HUB "/:send" API};
    for (size_t i = 0; i < 2; i++) {
        char *t = mint(KEY, auds[i], 3600), h[4096];
        snprintf(h, sizeof h, "Bearer %s", t);
        free(t);
        ck_assert_uint_eq(req_full("POST", HUB "/:send" API, "text/plain", "x", 1, h, NULL), 202);
    }
    char *t = mint(KEY, "http://localhost" HUB "/:send" API, 3600), h[4096];
    snprintf(h, sizeof h, "Bearer %s", t);
    free(t);
    ck_assert_uint_eq(req_full("POST", HUB "/:send" API, "text/plain", "x", 1, h,
                               "localhost:80"), 202);
}
END_TEST

START_TEST(health_without_auth)
{
    ck_assert_uint_eq(req_full("HEAD", "/api/health", NULL, NULL, 0, "", NULL), 200);
    ck_assert_ptr_null(A.body);
    ck_assert_uint_eq(req_full("POST", "/api/health", NULL, NULL, 0, "", NULL), 405);
}
END_TEST

START_TEST(unknown_hub_404_and_hub_case_insensitive)
{
    ck_assert_uint_eq(SEND("/api/hubs/other/:send" API, "text/plain", "x"), 404);
    error_is(404, "Error.Hub.NotExisted");
    emu_conn *a = CONN("u", NULL);
    ck_assert_uint_eq(SEND("/api/hubs/CHAT/:send" API, "text/plain", "x"), 202);
    got(a, 0, "x");
}
END_TEST

START_TEST(unknown_route_404_wrong_method_405)
{
    ck_assert_uint_eq(REQ("POST", HUB "/nothing" API), 404);
    error_is(404, "Error.NotFound");
    ck_assert_uint_eq(REQ("GET", "/api/other" API), 404);
    error_is(404, "Error.NotFound");
    ck_assert_uint_eq(REQ("GET", HUB "/:send" API), 405);
    error_is(405, "Error.MethodNotAllowed");
    ck_assert_uint_eq(REQ("POST", HUB "/connections/x" API), 405);
    ck_assert_uint_eq(REQ("GET", HUB "/users/u/groups/g/extra" API), 404);
}
END_TEST

START_TEST(head_answers_have_no_body)
{
    ck_assert_uint_eq(REQ("HEAD", HUB "/connections/nope" API), 404);
    ck_assert_ptr_null(A.body);
    ck_assert_uint_eq(REQ("HEAD", HUB "/permissions/bogus/connections/x" API), 400);
    ck_assert_ptr_null(A.body);
    ck_assert_uint_eq(req_full("HEAD", HUB "/users/u" API, NULL, NULL, 0, "", NULL), 401);
    ck_assert_ptr_null(A.body);
}
END_TEST

START_TEST(hostile_paths)
{
    ck_assert_uint_eq(REQ("HEAD", HUB "/users/a%00b" API), 400);
    ck_assert_uint_eq(REQ("GET", HUB "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o" API), 400);
    ck_assert_uint_eq(REQ("HEAD", HUB "/users/%zz%" API), 404);  /* literal, no such user */
    ck_assert_uint_eq(REQ("POST", "/" API), 404);
    emu_request r = {0};
    free(A.body);
    emu_rest_handle(&E, &r, &A);   /* nothing at all */
    ck_assert_uint_eq(A.status, 400);
}
END_TEST

/* ---- sends ---- */

START_TEST(send_all_types)
{
    emu_conn *a = CONN("u1", NULL), *b = CONN(NULL, NULL);
    ck_assert_uint_eq(SEND(HUB "/:send" API, "text/plain", "hello"), 202);
    ck_assert_ptr_null(A.body);
    ck_assert_uint_eq(SEND(HUB "/:send" API, "application/json; charset=utf-8", "{\"x\":1}"), 202);
    ck_assert_uint_eq(req_full("POST", HUB "/:send" API, "application/octet-stream", "\1\2\0", 3,
                               NULL, NULL), 202);
    got(a, 0, "hello");
    got(b, 0, "hello");
    got(a, 1, "{\"x\":1}");
    ck_assert_uint_eq(frames(b), 3);
    ck_assert_int_eq(rec_of(b)->text[2], 0);
    ck_assert_uint_eq(rec_of(b)->len[2], 3);
    ck_assert_int_eq(memcmp(rec_of(b)->data[2], "\1\2\0", 3), 0);
}
END_TEST

START_TEST(send_invalid_json_or_text_400)
{
    emu_conn *a = CONN("u1", NULL);
    ck_assert_uint_eq(SEND(HUB "/:send" API, "application/json", "{nope"), 400);
    error_is(400, "Error.BadRequest");
    ck_assert_uint_eq(SEND(HUB "/:send" API, "text/plain", "\xff\xfe"), 400);
    ck_assert_uint_eq(frames(a), 0);
}
END_TEST

START_TEST(send_json_protocol_wrapping)
{
    emu_conn *j = conn_proto("u", EMU_PROTO_JSON, NULL);
    ck_assert_uint_eq(SEND(HUB "/:send" API, "application/json", "{\"message\":\"Hello world!\"}"),
                      202);
    ck_assert_uint_eq(SEND(HUB "/:send" API, "text/plain", "Hi there!"), 202);
    got(j, 0, "{\"type\":\"message\",\"from\":\"server\",\"dataType\":\"json\","
              "\"data\":{\"message\":\"Hello world!\"}}");
    got(j, 1, "{\"type\":\"message\",\"from\":\"server\",\"dataType\":\"text\","
              "\"data\":\"Hi there!\"}");
}
END_TEST

START_TEST(send_excluded)
{
    emu_conn *a = CONN("u1", NULL), *b = CONN("u2", NULL), *c = CONN("u3", NULL);
    ck_assert_uint_eq(SEND(U(HUB "/:send" API "&excluded=%s&excluded=%s&excluded=zz", a->id,
                             c->id), "text/plain", "m"), 202);
    ck_assert_uint_eq(frames(a), 0);
    got(b, 0, "m");
    ck_assert_uint_eq(frames(c), 0);
}
END_TEST

START_TEST(send_filter)
{
    emu_conn *a = CONN("user1", NULL), *b = CONN("user 2", "g1", NULL), *c = CONN(NULL, NULL);
    ck_assert_uint_eq(SEND(HUB "/:send" API "&filter=userId%20eq%20%27user%202%27", "text/plain",
                           "m1"), 202);
    ck_assert_uint_eq(SEND(HUB "/:send" API "&filter=%27g1%27%20in%20groups", "text/plain", "m2"),
                      202);
    ck_assert_uint_eq(SEND(HUB "/:send" API "&filter=userId%20eq%20null", "text/plain", "m3"),
                      202);
    ck_assert_uint_eq(frames(a), 0);
    got(b, 0, "m1");
    got(b, 1, "m2");
    got(c, 0, "m3");
    ck_assert_uint_eq(frames(c), 1);
}
END_TEST

START_TEST(send_bad_filter_400)
{
    emu_conn *a = CONN("u", NULL);
    ck_assert_uint_eq(SEND(HUB "/:send" API "&filter=invalid%20filter", "text/plain", "m"), 400);
    error_is(400, "Error.BadRequest");
    ck_assert_ptr_nonnull(strstr(msg(), "invalid filter"));
    ck_assert_uint_eq(frames(a), 0);
}
END_TEST

START_TEST(send_ttl)
{
    CONN("u", NULL);
    ck_assert_uint_eq(SEND(HUB "/:send" API "&messageTtlSeconds=0", "text/plain", "m"), 202);
    ck_assert_uint_eq(SEND(HUB "/:send" API "&messageTtlSeconds=300", "text/plain", "m"), 202);
    const char *bad[] = {"301", "-1", "abc", "", "1e2", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_uint_eq(SEND(U(HUB "/:send" API "&messageTtlSeconds=%s", bad[i]), "text/plain",
                               "m"), 400);
        error_is(400, "Error.BadRequest");
    }
}
END_TEST

START_TEST(send_too_large_413)
{
    emu_conn *a = CONN("u", NULL);
    size_t n = EMU_MAX_MESSAGE + 1;
    char *big = malloc(n);
    memset(big, 'a', n);
    ck_assert_uint_eq(req_full("POST", HUB "/:send" API, "text/plain", big, n, NULL, NULL), 413);
    error_is(413, "Error.PayloadTooLarge");
    ck_assert_uint_eq(req_full("POST", HUB "/:send" API, "text/plain", big, n - 1, NULL, NULL),
                      202);
    free(big);
    ck_assert_uint_eq(rec_of(a)->len[0], EMU_MAX_MESSAGE);
}
END_TEST

START_TEST(send_user_connection_group)
{
    emu_conn *a = CONN("user/1 é", NULL), *b = CONN("u2", "g1", NULL), *c = CONN("u3", "g1", NULL);
    ck_assert_uint_eq(SEND(HUB "/users/user%2F1%20%C3%A9/:send" API, "text/plain", "to-user"),
                      202);
    ck_assert_uint_eq(SEND(U(HUB "/connections/%s/:send" API "&messageTtlSeconds=10", b->id),
                           "text/plain", "to-conn"), 202);
    ck_assert_uint_eq(SEND(U(HUB "/groups/g1/:send" API "&excluded=%s", b->id), "text/plain",
                           "to-group"), 202);
    ck_assert_uint_eq(SEND(HUB "/groups/g1/:send" API "&filter=userId%20eq%20%27u2%27",
                           "text/plain", "filtered"), 202);
    ck_assert_uint_eq(SEND(HUB "/connections/unknown/:send" API, "text/plain", "lost"), 202);
    got(a, 0, "to-user");
    ck_assert_uint_eq(frames(a), 1);
    got(b, 0, "to-conn");
    got(b, 1, "filtered");
    ck_assert_uint_eq(frames(b), 2);
    got(c, 0, "to-group");
    ck_assert_uint_eq(frames(c), 1);
}
END_TEST

START_TEST(send_empty_group_or_user_400)
{
    ck_assert_uint_eq(SEND(HUB "/groups//:send" API, "text/plain", "m"), 400);
    error_is(400, "Error.BadRequest");
    ck_assert_ptr_nonnull(strstr(msg(), "between 1 and 1024"));
    ck_assert_uint_eq(SEND(HUB "/users//:send" API, "text/plain", "m"), 400);
}
END_TEST

START_TEST(many_excluded)
{
    emu_conn *a = CONN("u1", NULL), *b = CONN("u2", NULL);
    size_t n = 1000;
    char *uri = malloc(strlen(HUB "/:send" API) + n * 11 + EMU_ID_LEN + 16), *p;
    p = uri + sprintf(uri, HUB "/:send" API);
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "&excluded=%c", i % 2 ? 'x' : 'y');
    sprintf(p, "&excluded=%s", a->id);
    ck_assert_uint_eq(SEND(uri, "text/plain", "m"), 202);
    free(uri);
    ck_assert_uint_eq(frames(a), 0);
    got(b, 0, "m");
}
END_TEST

/* ---- exists ---- */

START_TEST(exists_checks)
{
    emu_conn *a = CONN("u 1", "group 1", NULL);
    ck_assert_uint_eq(REQ("HEAD", U(HUB "/connections/%s" API, a->id)), 200);
    ck_assert_uint_eq(REQ("HEAD", HUB "/connections/conn1" API), 404);
    ck_assert_uint_eq(REQ("HEAD", HUB "/users/u%201" API), 200);
    ck_assert_uint_eq(REQ("HEAD", HUB "/users/U%201" API), 404);
    ck_assert_uint_eq(REQ("HEAD", HUB "/groups/group%201" API), 200);
    ck_assert_uint_eq(REQ("HEAD", HUB "/groups/group1" API), 404);
    ck_assert_ptr_null(A.body);
}
END_TEST

/* ---- permissions ---- */

START_TEST(permission_grant_check_revoke)
{
    emu_conn *a = CONN("u", NULL);
    const char *uri = U(HUB "/permissions/sendToGroup/connections/%s" API "&targetName=g1", a->id);
    ck_assert_uint_eq(REQ("HEAD", uri), 404);
    ck_assert_uint_eq(REQ("PUT", uri), 200);
    ck_assert_ptr_null(A.body);
    ck_assert_uint_eq(REQ("HEAD", uri), 200);
    ck_assert(emu_conn_can(a, "sendToGroup", "g1"));
    ck_assert(!emu_conn_can(a, "sendToGroup", "g2"));
    ck_assert_uint_eq(REQ("DELETE", uri), 204);
    ck_assert_uint_eq(REQ("HEAD", uri), 404);
    ck_assert(!emu_conn_can(a, "sendToGroup", "g1"));
}
END_TEST

START_TEST(permission_names_case_insensitive)
{
    emu_conn *a = CONN("u", NULL);
    ck_assert_uint_eq(REQ("PUT", U(HUB "/permissions/JOINLEAVEGROUP/connections/%s" API
                                   "&targetName=g", a->id)), 200);
    ck_assert(emu_conn_can(a, "joinLeaveGroup", "g"));
    ck_assert_uint_eq(REQ("PUT", U(HUB "/permissions/bogus/connections/%s" API, a->id)), 400);
    error_is(400, "Error.BadRequest");
}
END_TEST

/* The service requires targetName for both permissions: without it, the
 * 400 of an empty group name (a token's group-less role is another matter). */
START_TEST(permission_without_target_refused)
{
    emu_conn *a = CONN("u", NULL);
    const char *base = U(HUB "/permissions/joinLeaveGroup/connections/%s" API, a->id);
    ck_assert_uint_eq(REQ("PUT", base), 400);
    error_is(400, "Error.BadRequest");
    ck_assert_str_eq(msg(), "Invalid group name. Valid group name should be in between 1 and "
                            "1024 characters long.");
    ck_assert(!emu_conn_can(a, "joinLeaveGroup", "any"));
    ck_assert_uint_eq(REQ("DELETE", base), 400);
    error_is(400, "Error.BadRequest");
    ck_assert_uint_eq(REQ("HEAD", base), 400);
}
END_TEST

START_TEST(permission_unknown_connection)
{
    ck_assert_uint_eq(REQ("PUT", HUB "/permissions/joinLeaveGroup/connections/xxxx" API
                                 "&targetName=x"), 404);
    error_is(404, "Error.Connection.NotExisted");
    ck_assert_str_eq(msg(), "Connection `xxxx` is not found.");
    ck_assert_uint_eq(REQ("HEAD", HUB "/permissions/sendToGroup/connections/conn1" API
                                  "&targetName=group1"), 404);
    ck_assert_uint_eq(REQ("DELETE", HUB "/permissions/sendToGroup/connections/conn1" API
                                    "&targetName=group1"), 204);
    ck_assert_uint_eq(REQ("PUT", HUB "/permissions/sendToGroup/connections/conn1" API
                                 "&targetName="), 400);
}
END_TEST

/* ---- closes ---- */

START_TEST(close_connection_with_reason)
{
    emu_conn *a = CONN("u", "g", NULL), *b = CONN("u", NULL);
    ck_assert_uint_eq(REQ("DELETE", U(HUB "/connections/%s" API "&reason=bye%%20now", a->id)), 204);
    ck_assert_ptr_null(A.body);
    ck_assert_int_eq(rec_of(a)->closed, 1);
    ck_assert_uint_eq(rec_of(a)->code, EMU_CLOSE_NORMAL);
    ck_assert_str_eq(rec_of(a)->reason, "bye now");
    ck_assert_int_eq(rec_of(b)->closed, 0);
    ck_assert_uint_eq(REQ("HEAD", U(HUB "/connections/%s" API, a->id)), 404);   /* gone at once */
    ck_assert(!emu_hub_group_exists(&H, "g"));
    ck_assert_uint_eq(REQ("DELETE", HUB "/connections/unknown" API), 204);
}
END_TEST

START_TEST(close_all_excluded)
{
    emu_conn *a = CONN("u1", NULL), *b = CONN("u2", NULL), *c = CONN(NULL, NULL);
    ck_assert_uint_eq(REQ("POST", U(HUB "/:closeConnections" API "&excluded=%s&reason=r", b->id)),
                      204);
    ck_assert_int_eq(rec_of(a)->closed, 1);
    ck_assert_int_eq(rec_of(b)->closed, 0);
    ck_assert_int_eq(rec_of(c)->closed, 1);
    ck_assert_str_eq(rec_of(c)->reason, "r");
}
END_TEST

START_TEST(close_user_and_group)
{
    emu_conn *a = CONN("u1", NULL), *b = CONN("u1", "g", NULL), *c = CONN("u2", "g", NULL),
             *d = CONN("u3", NULL);
    ck_assert_uint_eq(REQ("POST", HUB "/users/u1/:closeConnections" API), 204);
    ck_assert_int_eq(rec_of(a)->closed, 1);
    ck_assert_int_eq(rec_of(b)->closed, 1);
    ck_assert_int_eq(rec_of(c)->closed, 0);
    ck_assert_uint_eq(REQ("POST", HUB "/groups/g/:closeConnections" API "&reason=r"), 204);
    ck_assert_int_eq(rec_of(b)->closed, 1);   /* already closed and unregistered */
    ck_assert_int_eq(rec_of(c)->closed, 1);
    ck_assert_int_eq(rec_of(d)->closed, 0);
    ck_assert(emu_hub_user_exists(&H, "u3"));
    ck_assert(!emu_hub_user_exists(&H, "u1"));
}
END_TEST

/* ---- groups ---- */

START_TEST(group_add_remove_connection)
{
    emu_conn *a = CONN("u", NULL);
    const char *uri = U(HUB "/groups/group%%201/connections/%s" API, a->id);
    ck_assert_uint_eq(REQ("PUT", uri), 200);
    ck_assert(emu_hub_group_exists(&H, "group 1"));
    ck_assert_uint_eq(SEND(HUB "/groups/group%201/:send" API, "text/plain", "in"), 202);
    got(a, 0, "in");
    ck_assert_uint_eq(REQ("DELETE", uri), 204);
    ck_assert(!emu_hub_group_exists(&H, "group 1"));
    ck_assert_uint_eq(REQ("DELETE", HUB "/groups/g/connections/nope" API), 204);
}
END_TEST

START_TEST(group_add_unknown_connection_404)
{
    ck_assert_uint_eq(REQ("PUT", HUB "/groups/group1/connections/xxxx" API), 404);
    error_is(404, "Error.Connection.NotExisted");
    ck_assert_str_eq(msg(), "Connection `xxxx` is not found.");
}
END_TEST

START_TEST(user_add_remove_group)
{
    emu_conn *a = CONN("u1", NULL), *b = CONN("u1", NULL), *c = CONN("u2", NULL);
    ck_assert_uint_eq(REQ("PUT", HUB "/users/u1/groups/g1" API), 200);
    ck_assert_ptr_null(A.body);
    ck_assert_uint_eq(a->n_groups + b->n_groups + c->n_groups, 2);
    ck_assert_uint_eq(REQ("PUT", HUB "/users/nobody/groups/g1" API), 200);
    ck_assert_uint_eq(REQ("DELETE", HUB "/users/u1/groups/g1" API), 204);
    ck_assert(!emu_hub_group_exists(&H, "g1"));
    ck_assert_uint_eq(REQ("PUT", HUB "/users/u1/groups/" API), 400);
}
END_TEST

START_TEST(remove_from_all_groups)
{
    emu_conn *a = CONN("u1", "g1", "g2", NULL), *b = CONN("u2", "g1", "g3", NULL);
    ck_assert_uint_eq(REQ("DELETE", HUB "/users/u1/groups" API), 204);
    ck_assert_uint_eq(a->n_groups, 0);
    ck_assert_uint_eq(b->n_groups, 2);
    ck_assert_uint_eq(REQ("DELETE", U(HUB "/connections/%s/groups" API, b->id)), 204);
    ck_assert_uint_eq(b->n_groups, 0);
    ck_assert_uint_eq(REQ("DELETE", HUB "/connections/nope/groups" API), 204);
}
END_TEST

START_TEST(add_remove_to_groups_with_filter)
{
    emu_conn *a = CONN("user 1", NULL), *b = CONN("user 2", NULL);
    const char *add = "{\"groups\":[\"group1\",\"group2\"],\"filter\":\"userId eq 'user 1'\"}";
    ck_assert_uint_eq(SEND(HUB "/:addToGroups" API, "application/json", add), 200);
    ck_assert_uint_eq(a->n_groups, 2);
    ck_assert_uint_eq(b->n_groups, 0);
    ck_assert_uint_eq(SEND(HUB "/:addToGroups" API, "application/json", "{\"groups\":[\"all\"]}"),
                      200);
    ck_assert_uint_eq(b->n_groups, 1);
    const char *rm = "{\"groups\":[\"group1\",\"all\"],\"filter\":\"userId eq 'user 1'\"}";
    ck_assert_uint_eq(SEND(HUB "/:removeFromGroups" API, "application/json", rm), 200);
    ck_assert_uint_eq(a->n_groups, 1);
    ck_assert_str_eq(a->groups[0], "group2");
    ck_assert_uint_eq(b->n_groups, 1);
}
END_TEST

START_TEST(add_to_groups_bad_bodies_400)
{
    const char *bad[] = {"", "nope", "[]", "{}", "{\"groups\":\"g\"}", "{\"groups\":[1]}",
                         "{\"groups\":[\"\"]}", "{\"groups\":[\"a\\u0000b\"]}",
                         "{\"groups\":[\"g\"],\"filter\":1}",
                         "{\"groups\":[\"g\"],\"filter\":\"invalid filter\"}"};
    CONN("u", NULL);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_msg(SEND(HUB "/:removeFromGroups" API, "application/json", bad[i]) == 400,
                      "body %s: %u", bad[i], A.status);
        error_is(400, "Error.BadRequest");
    }
}
END_TEST

/* ---- listing ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Follow the pages from uri; returns the pages, the items in ids. */
static size_t list_all(const char *uri, char ids[][EMU_ID_LEN + 1], size_t *n_ids)
{
    char next[4096];
    size_t pages = 0;
    *n_ids = 0;
    snprintf(next, sizeof next, "%s", uri);
    for (;;) {
        ck_assert_uint_eq(REQ("GET", next), 200);
        ck_assert_str_eq(A.content_type, "application/json");
        json_t *v = json_object_get(J, "value"), *it;
        size_t i;
        ck_assert(json_is_array(v));
        pages++;
        json_array_foreach(v, i, it) {
            ck_assert(json_is_string(json_object_get(it, "connectionId")));
            ck_assert_ptr_nonnull(json_object_get(it, "userId"));
            snprintf(ids[(*n_ids)++], EMU_ID_LEN + 1, "%s",
                     json_string_value(json_object_get(it, "connectionId")));
        }
        const char *link = json_string_value(json_object_get(J, "nextLink"));
        if (!link)
            return pages;
        ck_assert_int_eq(strncmp(link, "http://" HOST "/", strlen("http://" HOST "/")), 0);
        ck_assert_ptr_nonnull(strstr(link, "api-version=2024-12-01"));
        snprintf(next, sizeof next, "%s", link + strlen("http://" HOST));
    }
}

START_TEST(list_paging_with_next_link)
{
    char want[6][EMU_ID_LEN + 1], ids[8][EMU_ID_LEN + 1];
    char *sorted[6];
    size_t n;
    for (int i = 0; i < 6; i++) {
        emu_conn *c = CONN(i ? "u" : NULL, "group1", NULL);
        strcpy(want[i], c->id);
        sorted[i] = want[i];
    }
    CONN("other", "group2", NULL);
    qsort(sorted, 6, sizeof *sorted, cmp_str);
    ck_assert_uint_eq(list_all(HUB "/groups/group1/connections" API "&maxpagesize=2&top=5", ids,
                               &n), 3);
    ck_assert_uint_eq(n, 5);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(ids[i], sorted[i]);
    ck_assert_uint_eq(list_all(HUB "/groups/group1/connections" API "&maxpagesize=2", ids, &n), 3);
    ck_assert_uint_eq(n, 6);
    ck_assert_uint_eq(list_all(HUB "/groups/group1/connections" API, ids, &n), 1);
    ck_assert_uint_eq(n, 6);
    ck_assert_uint_eq(list_all(HUB "/groups/group1/connections" API "&top=3", ids, &n), 1);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(list_all(HUB "/groups/group1/connections" API "&top=6", ids, &n), 1);
    ck_assert_uint_eq(n, 6);
}
END_TEST

START_TEST(list_item_shape_and_empty_group)
{
    emu_conn *a = CONN("u1", "g", NULL);
    char body[256];
    ck_assert_uint_eq(REQ("GET", HUB "/groups/g/connections" API), 200);
    snprintf(body, sizeof body, "{\"value\":[{\"connectionId\":\"%s\",\"userId\":\"u1\"}]}",
             a->id);
    ck_assert_str_eq(A.body, body);
    ck_assert_uint_eq(REQ("GET", HUB "/groups/empty/connections" API), 200);
    ck_assert_str_eq(A.body, "{\"value\":[]}");
    ck_assert_uint_eq(REQ("GET", HUB "/groups/g/connections" API "&top=0"), 200);
    ck_assert_str_eq(A.body, "{\"value\":[]}");
}
END_TEST

START_TEST(list_bad_parameters_400)
{
    const char *bad[] = {"&maxpagesize=0", "&maxpagesize=x", "&top=-1", "&top=1.5"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_uint_eq(REQ("GET", U(HUB "/groups/g/connections" API "%s", bad[i])), 400);
        error_is(400, "Error.BadRequest");
    }
}
END_TEST

/* ---- client tokens ---- */

START_TEST(generate_token)
{
    json_t *c;
    char why[256];
    ck_assert_uint_eq(REQ("POST", HUB "/:generateToken" API "&userId=user%201&role=r1&role=r2"
                                  "&minutesToExpire=5&group=g1&group=g2"), 200);
    const char *tok = json_string_value(json_object_get(J, "token"));
    ck_assert_ptr_nonnull(tok);
    ck_assert_int_eq(awps__jwt_verify(KEY, tok, emu_now_s(), &c, why, sizeof why), 0);
    ck_assert_str_eq(json_string_value(json_object_get(c, "aud")),
                     "http://" HOST "/client/hubs/chat");
    ck_assert_str_eq(json_string_value(json_object_get(c, "sub")), "user 1");
    ck_assert_int_eq(json_integer_value(json_object_get(c, "exp")) -
                         json_integer_value(json_object_get(c, "iat")), 300);
    ck_assert_uint_eq(json_array_size(json_object_get(c, "role")), 2);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(c, "webpubsub.group"), 1)),
                     "g2");
    json_decref(c);
}
END_TEST

START_TEST(generate_token_defaults_and_types)
{
    json_t *c;
    char why[256];
    ck_assert_uint_eq(REQ("POST", HUB "/:generateToken" API), 200);
    ck_assert_int_eq(awps__jwt_verify(KEY, json_string_value(json_object_get(J, "token")),
                                      emu_now_s(), &c, why, sizeof why), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "exp")) -
                         json_integer_value(json_object_get(c, "iat")), 3600);
    ck_assert_ptr_null(json_object_get(c, "sub"));
    ck_assert_ptr_null(json_object_get(c, "role"));
    json_decref(c);
    ck_assert_uint_eq(REQ("POST", HUB "/:generateToken" API "&minutesToExpire=1.5&clientType=mqtt"),
                      200);
    ck_assert_int_eq(awps__jwt_verify(KEY, json_string_value(json_object_get(J, "token")),
                                      emu_now_s(), &c, why, sizeof why), 0);
    ck_assert_str_eq(json_string_value(json_object_get(c, "aud")),
                     "http://" HOST "/clients/mqtt/hubs/chat");
    ck_assert_int_eq(json_integer_value(json_object_get(c, "exp")) -
                         json_integer_value(json_object_get(c, "iat")), 90);
    json_decref(c);
    ck_assert_uint_eq(REQ("POST", HUB "/:generateToken" API "&clientType=socketio"), 400);
    error_is(400, "Error.BadRequest");
    ck_assert_str_eq(msg(), "The value 'socketio' is not valid.");
    ck_assert_uint_eq(REQ("POST", HUB "/:generateToken" API "&minutesToExpire=-1"), 400);
    ck_assert_uint_eq(REQ("POST", HUB "/:generateToken" API "&minutesToExpire=nan"), 400);
    ck_assert_uint_eq(REQ("POST", HUB "/:generateToken" API "&group="), 400);
    ck_assert_uint_eq(REQ("GET", HUB "/:generateToken" API), 405);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("emu_rest");
    const TTest *ta[] = {
        auth_missing_401, auth_wrong_key_401, auth_wrong_audience_401, auth_expired_401,
        auth_https_and_default_port_accepted, health_without_auth,
        unknown_hub_404_and_hub_case_insensitive, unknown_route_404_wrong_method_405,
        head_answers_have_no_body, hostile_paths, NULL};
    emt_add_case(s, "auth_routing", ta);
    const TTest *ts[] = {
        send_all_types, send_invalid_json_or_text_400, send_json_protocol_wrapping, send_excluded,
        send_filter, send_bad_filter_400, send_ttl, send_too_large_413, send_user_connection_group,
        send_empty_group_or_user_400, many_excluded, NULL};
    emt_add_case(s, "sends", ts);
    const TTest *tm[] = {
        exists_checks, permission_grant_check_revoke, permission_names_case_insensitive,
        permission_without_target_refused, permission_unknown_connection,
        close_connection_with_reason, close_all_excluded, close_user_and_group,
        group_add_remove_connection, group_add_unknown_connection_404, user_add_remove_group,
        remove_from_all_groups, add_remove_to_groups_with_filter, add_to_groups_bad_bodies_400,
        NULL};
    emt_add_case(s, "manage", tm);
    const TTest *tl[] = {
        list_paging_with_next_link, list_item_shape_and_empty_group, list_bad_parameters_400,
        generate_token, generate_token_defaults_and_types, NULL};
    emt_add_case(s, "list_token", tl);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
