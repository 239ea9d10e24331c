/* awps-emulator: the REST operations of service-api.md §4.4 over the
 * registry (parsing, auth and routing: emu-rest.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emu-rest.h"

#define MAX_BODY_GROUPS 1024
#define DEFAULT_PAGE 200
#define MAX_PAGE 1000
#define URL_MAX ((size_t)16 * 1024)
#define DEFAULT_API_VERSION "2024-12-01"

/* ---- sends ---- */

static emu_dtype body_type(const char *ct)
{
    size_t n;

    if (!ct)
        return EMU_BINARY;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    n = strcspn(ct, ";");
    while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    if (n == 10 && !strncasecmp(ct, "text/plain", n))
        return EMU_TEXT;
    if ((n == 16 && !strncasecmp(ct, "application/json", n)) ||
        (n == 9 && !strncasecmp(ct, "text/json", n)))
        return EMU_JSON;
    return EMU_BINARY;
}

/* Checks shared by the sends; 0 or -1 answered. */
static int check_message(rest_ctx *x, emu_dtype type)
{
    const emu_request *r = x->r;
    const char *ttl = rest_q1(x, "messageTtlSeconds");

    if (r->body_len > EMU_MAX_MESSAGE) {
        rest_fail(x, 413, "Error.PayloadTooLarge", "The message is larger than %zu bytes.",
                  EMU_MAX_MESSAGE);
        return -1;
    }
    if (ttl && rest_uint(ttl, 300) < 0) {
        REST_BAD(x, "Invalid messageTtlSeconds '%.64s': expected an integer from 0 to 300.",
                 ttl);
        return -1;
    }
    if (type == EMU_TEXT && !awps__utf8_valid(r->body ? r->body : "", r->body_len)) {
        REST_BAD(x, "The text/plain message is not valid UTF-8.");
        return -1;
    }
    if (type == EMU_JSON) {
        json_t *j = json_loadb(r->body ? r->body : "", r->body_len, JSON_DECODE_ANY, NULL);
        if (!j) {
            REST_BAD(x, "The application/json message is not valid JSON.");
            return -1;
        }
        json_decref(j);
    }
    return 0;
}

/* A send to the hub, or one user, connection or group. */
static void do_send(rest_ctx *x, const char *user, const char *conn, const char *group)
{
    const emu_request *r = x->r;
    emu_dtype type = body_type(r->content_type);
    const char **excluded = NULL;
    size_t n_excluded = 0;
    emu_filter *f = NULL;

    if (check_message(x, type) != 0)
        return;
    if (!conn && rest_qall(x, "excluded", &excluded, &n_excluded) != 0)
        return;
    if (conn || rest_filter(x, rest_q1(x, "filter"), &f) == 0) {
        emu_msg m = {type, r->body ? r->body : "", r->body_len, group, NULL};
        emu_target t = {user, conn, group, (char *const *)excluded, n_excluded, f, NULL};
        emu_send(x->h, &t, &m);
        rest_empty(x, 202);
    }
    emu_filter_free(f);
    free(excluded);
}

static void op_send_all(rest_ctx *x, char **arg)
{
    (void)arg;
    do_send(x, NULL, NULL, NULL);
}

static void op_send_user(rest_ctx *x, char **arg)
{
    if (rest_check_name(x, "user id", arg[0]) == 0)
        do_send(x, arg[0], NULL, NULL);
}

static void op_send_conn(rest_ctx *x, char **arg)
{
    do_send(x, NULL, arg[0], NULL);
}

static void op_send_group(rest_ctx *x, char **arg)
{
    if (rest_check_name(x, "group name", arg[0]) == 0)
        do_send(x, NULL, NULL, arg[0]);
}

/* ---- closes ---- */

static void do_close(rest_ctx *x, const char *user, const char *conn, const char *group)
{
    const char **excluded = NULL;
    size_t n_excluded = 0;
    const char *reason = rest_q1(x, "reason");

    if (!conn && rest_qall(x, "excluded", &excluded, &n_excluded) != 0)
        return;
    emu_target t = {user, conn, group, (char *const *)excluded, n_excluded, NULL, NULL};
    emu_close(x->h, &t, EMU_CLOSE_NORMAL, reason ? reason : "");
    free(excluded);
    rest_empty(x, 204);
}

static void op_close_all(rest_ctx *x, char **arg)
{
    (void)arg;
    do_close(x, NULL, NULL, NULL);
}

static void op_close_user(rest_ctx *x, char **arg)
{
    if (rest_check_name(x, "user id", arg[0]) == 0)
        do_close(x, arg[0], NULL, NULL);
}

static void op_close_conn(rest_ctx *x, char **arg)
{
    do_close(x, NULL, arg[0], NULL);
}

static void op_close_group(rest_ctx *x, char **arg)
{
    if (rest_check_name(x, "group name", arg[0]) == 0)
        do_close(x, NULL, NULL, arg[0]);
}

/* ---- exists ---- */

static void op_user_exists(rest_ctx *x, char **arg)
{
    if (rest_check_name(x, "user id", arg[0]) == 0)
        rest_empty(x, emu_hub_user_exists(x->h, arg[0]) ? 200 : 404);
}

static void op_group_exists(rest_ctx *x, char **arg)
{
    if (rest_check_name(x, "group name", arg[0]) == 0)
        rest_empty(x, emu_hub_group_exists(x->h, arg[0]) ? 200 : 404);
}

static void op_conn_exists(rest_ctx *x, char **arg)
{
    emu_conn *c = emu_hub_get(x->h, arg[0]);

    rest_empty(x, c ? 200 : 404);
    emu_conn_unref(c);
}

/* ---- permissions ---- */

static void conn_not_found(rest_ctx *x, const char *id)
{
    rest_fail(x, 404, "Error.Connection.NotExisted", "Connection `%.1024s` is not found.", id);
}

/* Validates the permission and targetName, which the service requires (a
 * missing one is answered as an empty group name). 0 or -1 answered. */
static int perm_args(rest_ctx *x, const char *perm, const char **group)
{
    if (strcasecmp(perm, "sendToGroup") && strcasecmp(perm, "joinLeaveGroup")) {
        REST_BAD(x, "Invalid permission '%.64s': expected sendToGroup or joinLeaveGroup.",
                 perm);
        return -1;
    }
    *group = rest_q1(x, "targetName");
    return rest_check_name(x, "group name", *group ? *group : "");
}

static void op_perm(rest_ctx *x, char **arg)
{
    const char *group, *m = x->r->method;
    emu_conn *c;

    if (perm_args(x, arg[0], &group) != 0)
        return;
    c = emu_hub_get(x->h, arg[1]);
    if (!strcmp(m, "HEAD"))
        rest_empty(x, c && emu_conn_can(c, arg[0], group) ? 200 : 404);
    else if (!strcmp(m, "DELETE")) {
        if (c)
            emu_perm_revoke(c, arg[0], group);
        rest_empty(x, 204);
    } else if (!c)
        conn_not_found(x, arg[1]);
    else if (emu_perm_grant(c, arg[0], group) != 0)
        REST_BAD(x, "Cannot grant more permissions to connection `%s`.", c->id);
    else
        rest_empty(x, 200);
    emu_conn_unref(c);
}

/* ---- groups ---- */

static void op_group_conn(rest_ctx *x, char **arg)
{
    emu_conn *c;
    int rc;

    if (rest_check_name(x, "group name", arg[0]) != 0)
        return;
    c = emu_hub_get(x->h, arg[1]);
    if (!strcmp(x->r->method, "DELETE")) {
        if (c)
            emu_group_leave(c, arg[0]);
        rest_empty(x, 204);
    } else if (!c || (rc = emu_group_join(c, arg[0])) == -1)
        conn_not_found(x, arg[1]);
    else if (rc != 0)
        REST_BAD(x, "Connection `%s` cannot join more groups.", c->id);
    else
        rest_empty(x, 200);
    emu_conn_unref(c);
}

static void op_user_group(rest_ctx *x, char **arg)
{
    int join = !strcmp(x->r->method, "PUT");

    if (rest_check_name(x, "user id", arg[0]) != 0 ||
        rest_check_name(x, "group name", arg[1]) != 0)
        return;
    emu_user_groups(x->h, arg[0], arg[1], join);
    rest_empty(x, join ? 200 : 204);
}

static void op_user_all_groups(rest_ctx *x, char **arg)
{
    if (rest_check_name(x, "user id", arg[0]) != 0)
        return;
    emu_user_groups(x->h, arg[0], NULL, 0);
    rest_empty(x, 204);
}

static void op_conn_all_groups(rest_ctx *x, char **arg)
{
    emu_conn *c = emu_hub_get(x->h, arg[0]);

    if (c)
        emu_group_leave(c, NULL);
    emu_conn_unref(c);
    rest_empty(x, 204);
}

/* :addToGroups and :removeFromGroups: {"groups":[...],"filter":"..."}. */
static void groups_body(rest_ctx *x, int join)
{
    const emu_request *r = x->r;
    json_t *body, *groups, *ftext, *g;
    const char **names = NULL;
    emu_filter *f = NULL;
    size_t i;

    if (r->body_len > EMU_MAX_MESSAGE) {
        rest_fail(x, 413, "Error.PayloadTooLarge", "The body is larger than %zu bytes.",
                  EMU_MAX_MESSAGE);
        return;
    }
    body = json_loadb(r->body ? r->body : "", r->body_len, 0, NULL);
    groups = json_object_get(body, "groups");
    ftext = json_object_get(body, "filter");
    if (!json_is_object(body) || !json_is_array(groups) ||
        json_array_size(groups) > MAX_BODY_GROUPS ||
        (ftext && !json_is_string(ftext) && !json_is_null(ftext))) {
        REST_BAD(x, "The body must be {\"groups\":[at most %d strings],\"filter\":\"...\"}.",
                 MAX_BODY_GROUPS);
        goto out;
    }
    if (!(names = calloc(json_array_size(groups) + 1, sizeof *names))) {
        rest_fail(x, 500, "Error.Internal", "out of memory");
        goto out;
    }
    json_array_foreach(groups, i, g) {
        if (!json_is_string(g) || strlen(json_string_value(g)) != json_string_length(g) ||
            rest_check_name(x, "group name", json_string_value(g)) != 0) {
            if (!x->a->status)
                REST_BAD(x, "Every group must be a string without NUL characters.");
            goto out;
        }
        names[i] = json_string_value(g);
    }
    if (json_is_string(ftext) && strlen(json_string_value(ftext)) != json_string_length(ftext)) {
        REST_BAD(x, "The filter contains a NUL character.");
        goto out;
    }
    if (rest_filter(x, json_string_value(ftext), &f) == 0) {
        emu_target t = {NULL, NULL, NULL, NULL, 0, f, NULL};
        emu_groups_apply(x->h, &t, (char *const *)names, json_array_size(groups), join);
        rest_empty(x, 200);
    }
out:
    emu_filter_free(f);
    free(names);
    json_decref(body);
}

static void op_add_to_groups(rest_ctx *x, char **arg)
{
    (void)arg;
    groups_body(x, 1);
}

static void op_remove_from_groups(rest_ctx *x, char **arg)
{
    (void)arg;
    groups_body(x, 0);
}

/* GET groups/{g}/connections: pages sorted by connection id; the
 * continuation token is the last id of the previous page. */
static void op_list(rest_ctx *x, char **arg)
{
    const char *ps = rest_q1(x, "maxpagesize"), *tops = rest_q1(x, "top");
    const char *token = rest_q1(x, "continuationToken"), *ver = rest_q1(x, "api-version");
    const char *uri = x->uri;
    long long page = DEFAULT_PAGE, top = -1;
    emu_member *m = NULL;
    size_t n, start = 0, count;
    json_t *value, *res;
    char hb[300];

    if (rest_check_name(x, "group name", arg[0]) != 0)
        return;
    if (ps && (page = rest_uint(ps, 1000000000)) < 1) {
        REST_BAD(x, "Invalid maxpagesize '%.64s': expected a positive integer.", ps);
        return;
    }
    if (tops && (top = rest_uint(tops, 1000000000)) < 0) {
        REST_BAD(x, "Invalid top '%.64s': expected a non-negative integer.", tops);
        return;
    }
    if (page > MAX_PAGE)
        page = MAX_PAGE;
    n = emu_group_members(x->h, arg[0], &m);
    while (token && start < n && strcmp(m[start].connection_id, token) <= 0)
        start++;
    count = n - start;
    if (top >= 0 && (size_t)top < count)
        count = (size_t)top;
    if (count > (size_t)page)
        count = (size_t)page;
    value = json_array();
    for (size_t i = start; i < start + count; i++)
        json_array_append_new(value, json_pack("{s:s,s:s?}", "connectionId", m[i].connection_id,
                                               "userId", m[i].user));
    res = json_pack("{s:o}", "value", value);
    /* more after this page, within top: a nextLink to the same path */
    if (res && start + count < n && (top < 0 || (size_t)top > count)) {
        awps__sb b = {.max = URL_MAX};
        awps__sb_str(&b, "http://");
        awps__sb_str(&b, rest_host(x, hb, sizeof hb));
        awps__sb_add(&b, uri, strcspn(uri, "?#"));
        awps__sb_chr(&b, '?');
        if (top >= 0) {
            char num[32];
            snprintf(num, sizeof num, "top=%llu&", (unsigned long long)top - count);
            awps__sb_str(&b, num);
        }
        if (ps) {
            awps__sb_str(&b, "maxpagesize=");
            rest_enc(&b, ps);
            awps__sb_chr(&b, '&');
        }
        awps__sb_str(&b, "continuationToken=");
        rest_enc(&b, m[start + count - 1].connection_id);
        awps__sb_str(&b, "&api-version=");
        rest_enc(&b, ver ? ver : DEFAULT_API_VERSION);
        if (!b.err)
            json_object_set_new(res, "nextLink", json_string(b.p));
        free(b.p);
    }
    emu_members_free(m, n);
    if (!res)
        rest_fail(x, 500, "Error.Internal", "out of memory");
    else
        rest_json(x, 200, res);
}

/* ---- client tokens ---- */

/* A string array claim from repeated query values; 0 or -1 answered. */
static int claim_list(rest_ctx *x, json_t *claims, const char *param, const char *claim,
                      const char *what)
{
    const char **v;
    size_t n;
    json_t *arr;

    if (rest_qall(x, param, &v, &n) != 0)
        return -1;
    arr = n ? json_array() : NULL;
    for (size_t i = 0; i < n; i++)
        if (rest_check_name(x, what, v[i]) != 0 ||
            json_array_append_new(arr, json_string(v[i])) != 0) {
            if (!x->a->status)
                REST_BAD(x, "Invalid %s value.", param);
            json_decref(arr);
            free(v);
            return -1;
        }
    free(v);
    if (arr)
        json_object_set_new(claims, claim, arr);
    return 0;
}

static void op_generate_token(rest_ctx *x, char **arg)
{
    const char *user = rest_q1(x, "userId"), *mins = rest_q1(x, "minutesToExpire");
    const char *type = rest_q1(x, "clientType"), *path = "client/hubs/";
    double m = 60;
    int64_t now = emu_now_s();
    json_t *claims;
    char *token, *end, hb[300];
    awps__sb aud = {.max = URL_MAX};

    (void)arg;
    if (type && !strcasecmp(type, "mqtt"))
        path = "clients/mqtt/hubs/";
    else if (type && strcasecmp(type, "default")) {
        REST_BAD(x, "The value '%.64s' is not valid.", type);
        return;
    }
    if (mins) {
        m = strtod(mins, &end);
        if (end == mins || *end || !isfinite(m) || m < 0 || m > 1e7) {
            REST_BAD(x, "The value '%.64s' is not valid for minutesToExpire.", mins);
            return;
        }
    }
    if (user && *user && rest_check_name(x, "user id", user) != 0)
        return;
    if (user && !awps__utf8_valid(user, strlen(user))) {
        REST_BAD(x, "The userId is not valid UTF-8.");
        return;
    }
    if (!(claims = json_object())) {
        rest_fail(x, 500, "Error.Internal", "out of memory");
        return;
    }
    if (claim_list(x, claims, "role", "role", "role") != 0 ||
        claim_list(x, claims, "group", "webpubsub.group", "group name") != 0) {
        json_decref(claims);
        return;
    }
    awps__sb_str(&aud, "http://");
    awps__sb_str(&aud, rest_host(x, hb, sizeof hb));
    awps__sb_chr(&aud, '/');
    awps__sb_str(&aud, path);
    awps__sb_str(&aud, x->hub_name);
    json_object_set_new(claims, "iat", json_integer(now));
    json_object_set_new(claims, "exp", json_integer(now + (int64_t)floor(m * 60)));
    json_object_set_new(claims, "aud", json_string(aud.err ? "" : aud.p));
    if (user && *user)
        json_object_set_new(claims, "sub", json_string(user));
    free(aud.p);
    token = awps__jwt_sign(x->e->key, claims);
    json_decref(claims);
    if (!token) {
        REST_BAD(x, "Cannot sign the token (too large or invalid claims).");
        return;
    }
    rest_json(x, 200, json_pack("{s:s}", "token", token));
    free(token);
}

/* ---- routes ---- */

const rest_route rest_routes[] = {
    {"POST", ":send", op_send_all},
    {"POST", ":closeConnections", op_close_all},
    {"POST", ":addToGroups", op_add_to_groups},
    {"POST", ":removeFromGroups", op_remove_from_groups},
    {"POST", ":generateToken", op_generate_token},
    {"POST", "users/*/:send", op_send_user},
    {"HEAD", "users/*", op_user_exists},
    {"POST", "users/*/:closeConnections", op_close_user},
    {"DELETE", "users/*/groups", op_user_all_groups},
    {"PUT", "users/*/groups/*", op_user_group},
    {"DELETE", "users/*/groups/*", op_user_group},
    {"POST", "connections/*/:send", op_send_conn},
    {"HEAD", "connections/*", op_conn_exists},
    {"DELETE", "connections/*", op_close_conn},
    {"DELETE", "connections/*/groups", op_conn_all_groups},
    {"POST", "groups/*/:send", op_send_group},
    {"HEAD", "groups/*", op_group_exists},
    {"POST", "groups/*/:closeConnections", op_close_group},
    {"GET", "groups/*/connections", op_list},
    {"PUT", "groups/*/connections/*", op_group_conn},
    {"DELETE", "groups/*/connections/*", op_group_conn},
    {"HEAD", "permissions/*/connections/*", op_perm},
    {"PUT", "permissions/*/connections/*", op_perm},
    {"DELETE", "permissions/*/connections/*", op_perm},
};
const size_t rest_n_routes = sizeof rest_routes / sizeof *rest_routes;
