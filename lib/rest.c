/* The REST operations of spec §4: each one builds its method, URL (path
 * segments and query values encoded as the official SDK does), body and
 * content type, signs the bearer token for the URL once (retries reuse it),
 * and hands the request to http.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "internal.h"

#define API_VERSION "2024-12-01"
#define MAX_PAGES 100000u           /* list_connections: nextLinks followed */
#define MAX_BODY ((size_t)64 * 1024 * 1024)  /* JSON body built for groups */

/* JavaScript encodeURIComponent of UTF-8 text: A-Z a-z 0-9 - _ . ! ~ * ' ( )
 * stay, every other byte becomes %XX (upper case). In a query value the URL
 * serialiser also turns ' into %27 (spec §4.1). */
static void sb_enc(awps__sb *b, const char *s, int query)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);

    if (!awps__utf8_valid(s, n)) {
        if (!b->err)
            b->err = AWPS_E_INVALID;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            strchr("-_.!~*()", c) || (c == '\'' && !query)) {
            awps__sb_add(b, (const char *)&c, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            awps__sb_add(b, e, 3);
        }
    }
}

/* ---- URLs ---- */

/* endpoint + "/api/hubs/{hub}/" + tmpl (exactly one '/' after the endpoint
 * path), each '%' of tmpl replaced by the next argument encoded as a path
 * segment, then "?api-version=...". */
static void url_build(awps__sb *u, const awps_service *s, const char *tmpl, ...)
{
    size_t n = strlen(s->endpoint);
    va_list ap;

    memset(u, 0, sizeof *u);
    u->max = AWPS__REQUEST_URL_MAX;
    while (n > 0 && s->endpoint[n - 1] == '/')
        n--;
    awps__sb_add(u, s->endpoint, n);
    awps__sb_str(u, "/api/hubs/");
    sb_enc(u, s->hub, 0);
    awps__sb_str(u, "/");
    va_start(ap, tmpl);
    for (const char *t = tmpl; *t; t++) {
        if (*t == '%') {
            const char *v = va_arg(ap, const char *);
            if (v)
                sb_enc(u, v, 0);
            else if (!u->err)
                u->err = AWPS_E_INVALID;
        } else {
            awps__sb_add(u, t, 1);
        }
    }
    va_end(ap);
    awps__sb_str(u, "?api-version=" API_VERSION);
}

/* "&name=value"; NULL or "" is left out. */
static void q_str(awps__sb *u, const char *name, const char *value)
{
    if (!value || !*value)
        return;
    awps__sb_str(u, "&");
    awps__sb_str(u, name);
    awps__sb_str(u, "=");
    sb_enc(u, value, 1);
}

static void q_uint(awps__sb *u, const char *name, unsigned value)
{
    char v[16];

    if (value == 0)
        return;
    snprintf(v, sizeof v, "%u", value);
    q_str(u, name, v);
}

/* A repeated parameter: name=v1&name=v2 ... (an empty entry is kept). */
static void q_list(awps__sb *u, const char *name, const char *const *values, size_t n)
{
    if (n > 0 && !values && !u->err)
        u->err = AWPS_E_INVALID;
    for (size_t i = 0; i < n && !u->err; i++) {
        if (!values[i]) {
            u->err = AWPS_E_INVALID;
            return;
        }
        awps__sb_str(u, "&");
        awps__sb_str(u, name);
        awps__sb_str(u, "=");
        sb_enc(u, values[i], 1);
    }
}

/* ---- one request ---- */

static int uuid4(char out[37])
{
    unsigned char b[16];

    if (RAND_bytes(b, sizeof b) != 1)
        return -1;
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
    return 0;
}

static int sb_fail(const awps__sb *b, awps_service_error *err, const char *what)
{
    switch (b->err) {
    case AWPS_E_NOMEM:
        return awps__service_fail(err, AWPS_E_NOMEM, 0, NULL, "out of memory");
    case AWPS_E_TOO_LARGE:
        return awps__service_fail(err, AWPS_E_TOO_LARGE, 0, NULL, "%s too long", what);
    default:
        return awps__service_fail(err, AWPS_E_INVALID, 0, NULL,
                                  "%s: an argument is NULL or not valid UTF-8", what);
    }
}

/* Sign and send one request to `url`. AWPS_OK when the answer's status is
 * ok1 or ok2 (then *status gets it, and the body moves to *keep when keep
 * is not NULL); AWPS_E_HTTP for any other status; transport errors as
 * awps__http_call(). */
static int call_url(awps_service *s, const char *method, const char *url, const char *ctype,
                    const void *body, size_t len, long ok1, long ok2, long *status,
                    awps__http_resp *keep, awps_service_error *err)
{
    awps__http_resp resp;
    char id[37], *jwt, *auth;
    int rc;

    if (uuid4(id) != 0)
        return awps__service_fail(err, AWPS_E_SYSTEM, 0, NULL, "no random bytes for a request id");
    jwt = awps__jwt_for_url(s, url);
    if (!jwt)
        return awps__service_fail(err, AWPS_E_TOKEN, 0, NULL, "cannot sign the request token");
    auth = malloc(strlen(jwt) + 8);
    if (!auth) {
        free(jwt);
        return awps__service_fail(err, AWPS_E_NOMEM, 0, NULL, "out of memory");
    }
    memcpy(auth, "Bearer ", 7);
    strcpy(auth + 7, jwt);
    free(jwt);
    awps__http_req req = {method, url, auth, id, ctype, body, len, 0};
    rc = awps__http_call(s, &req, &resp, err);
    free(auth);
    if (rc != AWPS_OK)
        return rc;
    if (resp.status == ok1 || resp.status == ok2) {
        if (status)
            *status = resp.status;
        if (keep) {
            *keep = resp;
            return AWPS_OK;
        }
    } else {
        rc = awps__http_error(&resp, err);
    }
    awps__http_resp_clear(&resp);
    return rc;
}

/* Same with a URL under construction (its errors reported first); frees it. */
static int call(awps_service *s, awps__sb *u, const char *method, const char *ctype, const void *body,
                size_t len, long ok1, long ok2, long *status, awps_service_error *err)
{
    int rc = u->err ? sb_fail(u, err, "request URL")
                    : call_url(s, method, u->p, ctype, body, len, ok1, ok2, status, NULL, err);
    free(u->p);
    return rc;
}

static int no_client(awps_service_error *err)
{
    return awps__service_fail(err, AWPS_E_INVALID, 0, NULL, "no client");
}

#define CHECK_CLIENT(s, err) \
    if (!(s) || !(s)->endpoint || !(s)->hub) \
        return no_client(err)

/* ---- sending messages ---- */

static const char *content_type_of(awps_data_type type)
{
    switch (type) {
    case AWPS_DATA_TEXT:
        return "text/plain";
    case AWPS_DATA_JSON:
        return "application/json";
    case AWPS_DATA_BINARY:
        return "application/octet-stream";
    }
    return NULL;
}

/* `tmpl` and `id` select the target; excluded and filter only where the
 * REST operation has them. */
static int send_msg(awps_service *s, const char *tmpl, const char *id, awps_data_type type,
                    const void *data, size_t len, const awps_send_options *o, int excl_ok,
                    int filter_ok, awps_service_error *err)
{
    const char *ctype = content_type_of(type);
    static const awps_send_options none;
    awps__sb u;

    CHECK_CLIENT(s, err);
    if (!o)
        o = &none;
    if (!ctype)
        return awps__service_fail(err, AWPS_E_INVALID, 0, NULL, "unknown message data type");
    if (!data && len > 0)
        return awps__service_fail(err, AWPS_E_INVALID, 0, NULL, "no message data");
    if (type != AWPS_DATA_BINARY && len > 0 && !awps__utf8_valid(data, len))
        return awps__service_fail(err, AWPS_E_INVALID, 0, NULL, "message is not valid UTF-8");
    if (!excl_ok && o->n_excluded > 0)
        return awps__service_fail(err, AWPS_E_INVALID, 0, NULL,
                                  "excluded connections apply to all and group sends only");
    if (!filter_ok && o->filter && *o->filter)
        return awps__service_fail(err, AWPS_E_INVALID, 0, NULL,
                                  "a filter does not apply to a connection send");
    url_build(&u, s, tmpl, id);
    if (excl_ok)
        q_list(&u, "excluded", o->excluded, o->n_excluded);
    if (filter_ok)
        q_str(&u, "filter", o->filter);
    q_uint(&u, "messageTtlSeconds", o->ttl_seconds);
    return call(s, &u, "POST", ctype, data ? data : "", len, 202, -1, NULL, err);
}

int awps_service_send_to_all(awps_service *s, awps_data_type type, const void *data, size_t len,
                             const awps_send_options *opts, awps_service_error *err)
{
    return send_msg(s, ":send", NULL, type, data, len, opts, 1, 1, err);
}

int awps_service_send_to_user(awps_service *s, const char *user_id, awps_data_type type,
                              const void *data, size_t len, const awps_send_options *opts,
                              awps_service_error *err)
{
    return send_msg(s, "users/%/:send", user_id, type, data, len, opts, 0, 1, err);
}

int awps_service_send_to_connection(awps_service *s, const char *connection_id,
                                    awps_data_type type, const void *data, size_t len,
                                    const awps_send_options *opts, awps_service_error *err)
{
    return send_msg(s, "connections/%/:send", connection_id, type, data, len, opts, 0, 0, err);
}

int awps_service_send_to_group(awps_service *s, const char *group, awps_data_type type,
                               const void *data, size_t len, const awps_send_options *opts,
                               awps_service_error *err)
{
    return send_msg(s, "groups/%/:send", group, type, data, len, opts, 1, 1, err);
}

/* ---- existence (HEAD: 200 true, 404 false) ---- */

static int exists(awps_service *s, awps__sb *u, int *out, awps_service_error *err)
{
    long status = 0;
    int rc;

    if (!out) {
        free(u->p);
        return awps__service_fail(err, AWPS_E_INVALID, 0, NULL, "no result pointer");
    }
    rc = call(s, u, "HEAD", NULL, NULL, 0, 200, 404, &status, err);
    if (rc == AWPS_OK)
        *out = status == 200;
    return rc;
}

int awps_service_connection_exists(awps_service *s, const char *connection_id, int *out,
                                   awps_service_error *err)
{
    awps__sb u;
    CHECK_CLIENT(s, err);
    url_build(&u, s, "connections/%", connection_id);
    return exists(s, &u, out, err);
}

int awps_service_user_exists(awps_service *s, const char *user_id, int *out,
                             awps_service_error *err)
{
    awps__sb u;
    CHECK_CLIENT(s, err);
    url_build(&u, s, "users/%", user_id);
    return exists(s, &u, out, err);
}

int awps_service_group_exists(awps_service *s, const char *group, int *out,
                              awps_service_error *err)
{
    awps__sb u;
    CHECK_CLIENT(s, err);
    url_build(&u, s, "groups/%", group);
    return exists(s, &u, out, err);
}

/* ---- closing connections ---- */

int awps_service_close_connection(awps_service *s, const char *connection_id, const char *reason,
                                  awps_service_error *err)
{
    awps__sb u;
    CHECK_CLIENT(s, err);
    url_build(&u, s, "connections/%", connection_id);
    q_str(&u, "reason", reason);
    return call(s, &u, "DELETE", NULL, NULL, 0, 204, -1, NULL, err);
}

static int close_many(awps_service *s, const char *tmpl, const char *id,
                      const awps_close_options *o, awps_service_error *err)
{
    static const awps_close_options none;
    awps__sb u;

    CHECK_CLIENT(s, err);
    if (!o)
        o = &none;
    url_build(&u, s, tmpl, id);
    q_list(&u, "excluded", o->excluded, o->n_excluded);
    q_str(&u, "reason", o->reason);
    return call(s, &u, "POST", NULL, NULL, 0, 204, -1, NULL, err);
}

int awps_service_close_all(awps_service *s, const awps_close_options *opts,
                           awps_service_error *err)
{
    return close_many(s, ":closeConnections", NULL, opts, err);
}

int awps_service_close_user(awps_service *s, const char *user_id, const awps_close_options *opts,
                            awps_service_error *err)
{
    return close_many(s, "users/%/:closeConnections", user_id, opts, err);
}

int awps_service_close_group(awps_service *s, const char *group, const awps_close_options *opts,
                             awps_service_error *err)
{
    return close_many(s, "groups/%/:closeConnections", group, opts, err);
}

/* ---- groups ---- */

/* A bodiless request on a two-id path. */
static int simple(awps_service *s, const char *method, long ok, const char *tmpl, const char *a,
                  const char *b, awps_service_error *err)
{
    awps__sb u;
    CHECK_CLIENT(s, err);
    url_build(&u, s, tmpl, a, b);
    return call(s, &u, method, NULL, NULL, 0, ok, -1, NULL, err);
}

int awps_service_add_connection_to_group(awps_service *s, const char *group,
                                         const char *connection_id, awps_service_error *err)
{
    return simple(s, "PUT", 200, "groups/%/connections/%", group, connection_id, err);
}

int awps_service_remove_connection_from_group(awps_service *s, const char *group,
                                              const char *connection_id, awps_service_error *err)
{
    return simple(s, "DELETE", 204, "groups/%/connections/%", group, connection_id, err);
}

int awps_service_add_user_to_group(awps_service *s, const char *group, const char *user_id,
                                   awps_service_error *err)
{
    return simple(s, "PUT", 200, "users/%/groups/%", user_id, group, err);
}

int awps_service_remove_user_from_group(awps_service *s, const char *group, const char *user_id,
                                        awps_service_error *err)
{
    return simple(s, "DELETE", 204, "users/%/groups/%", user_id, group, err);
}

int awps_service_remove_user_from_all_groups(awps_service *s, const char *user_id,
                                             awps_service_error *err)
{
    return simple(s, "DELETE", 204, "users/%/groups", user_id, NULL, err);
}

int awps_service_remove_connection_from_all_groups(awps_service *s, const char *connection_id,
                                                   awps_service_error *err)
{
    return simple(s, "DELETE", 204, "connections/%/groups", connection_id, NULL, err);
}

/* A JSON string as JSON.stringify writes it: " and \ escaped, \b \f \n \r \t,
 * other control characters as \u00xx (lower-case hex), the rest verbatim. */
static void json_str(awps__sb *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";

    if (!awps__utf8_valid(s, strlen(s))) {
        if (!b->err)
            b->err = AWPS_E_INVALID;
        return;
    }
    awps__sb_str(b, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        const char *e = NULL;
        switch (c) {
        case '"': e = "\\\""; break;
        case '\\': e = "\\\\"; break;
        case '\b': e = "\\b"; break;
        case '\f': e = "\\f"; break;
        case '\n': e = "\\n"; break;
        case '\r': e = "\\r"; break;
        case '\t': e = "\\t"; break;
        default: break;
        }
        if (e) {
            awps__sb_str(b, e);
        } else if (c < 0x20) {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            awps__sb_add(b, u, 6);
        } else {
            awps__sb_add(b, (const char *)&c, 1);
        }
    }
    awps__sb_str(b, "\"");
}

/* POST :addToGroups / :removeFromGroups with {"groups":[...],"filter":"..."}
 * ("filter" left out when NULL, as JSON.stringify drops undefined). */
static int groups_op(awps_service *s, const char *tmpl, const char *const *groups, size_t n,
                     const char *filter, awps_service_error *err)
{
    awps__sb u, b = {.max = MAX_BODY};
    int rc;

    CHECK_CLIENT(s, err);
    if (n > 0 && !groups)
        return awps__service_fail(err, AWPS_E_INVALID, 0, NULL, "no groups");
    awps__sb_str(&b, "{\"groups\":[");
    for (size_t i = 0; i < n && !b.err; i++) {
        if (!groups[i])
            b.err = AWPS_E_INVALID;
        else {
            if (i > 0)
                awps__sb_str(&b, ",");
            json_str(&b, groups[i]);
        }
    }
    awps__sb_str(&b, "]");
    if (filter) {
        awps__sb_str(&b, ",\"filter\":");
        json_str(&b, filter);
    }
    awps__sb_str(&b, "}");
    if (b.err) {
        rc = sb_fail(&b, err, "request body");
        free(b.p);
        return rc;
    }
    url_build(&u, s, tmpl);
    rc = call(s, &u, "POST", "application/json", b.p, b.len, 200, -1, NULL, err);
    free(b.p);
    return rc;
}

int awps_service_add_connections_to_groups(awps_service *s, const char *const *groups, size_t n,
                                           const char *filter, awps_service_error *err)
{
    return groups_op(s, ":addToGroups", groups, n, filter, err);
}

int awps_service_remove_connections_from_groups(awps_service *s, const char *const *groups,
                                                size_t n, const char *filter,
                                                awps_service_error *err)
{
    return groups_op(s, ":removeFromGroups", groups, n, filter, err);
}

/* ---- listing a group's connections ---- */

/* Check a whole page before the callback sees any of it. NULL when fine,
 * else what is wrong. */
static const char *check_page(json_t *page, json_t **value, const char **next)
{
    json_t *item, *link;
    size_t i;

    if (!json_is_object(page))
        return "not a JSON object";
    *value = json_object_get(page, "value");
    if (!json_is_array(*value))
        return "no \"value\" array";
    json_array_foreach(*value, i, item) {
        json_t *uid = json_object_get(item, "userId");
        if (!json_is_string(json_object_get(item, "connectionId")))
            return "an item without a \"connectionId\" string";
        if (uid && !json_is_string(uid) && !json_is_null(uid))
            return "a \"userId\" that is not a string";
    }
    link = json_object_get(page, "nextLink");
    *next = json_string_value(link);
    if (link && !json_is_null(link) && !*next)
        return "a \"nextLink\" that is not a string";
    if (*next && (strlen(*next) >= AWPS__REQUEST_URL_MAX ||
                  !(awps__strncaseeq(*next, "http://", 7) || awps__strncaseeq(*next, "https://", 8)) ||
                  strcspn(*next, " \t\r\n") != strlen(*next)))
        return "a \"nextLink\" that is not an absolute http(s) URL";
    return NULL;
}

int awps_service_list_connections(awps_service *s, const char *group, unsigned top,
                                  unsigned page_size, awps_member_cb cb, void *data,
                                  awps_service_error *err)
{
    char *url;
    awps__sb u;
    int rc = AWPS_OK;

    CHECK_CLIENT(s, err);
    if (!cb)
        return awps__service_fail(err, AWPS_E_INVALID, 0, NULL, "no callback");
    url_build(&u, s, "groups/%/connections", group);
    q_uint(&u, "maxpagesize", page_size);
    q_uint(&u, "top", top);
    if (u.err) {
        rc = sb_fail(&u, err, "request URL");
        free(u.p);
        return rc;
    }
    url = u.p;
    for (unsigned pages = 0; url; pages++) {
        awps__http_resp resp;
        json_t *page, *value = NULL, *item;
        const char *next = NULL, *why;
        size_t i;
        int stop = 0;

        if (pages == MAX_PAGES) {
            rc = awps__service_fail(err, AWPS_E_TOO_LARGE, 0, NULL,
                                    "more than %u pages of connections", MAX_PAGES);
            break;
        }
        rc = call_url(s, "GET", url, NULL, NULL, 0, 200, -1, NULL, &resp, err);
        free(url);
        url = NULL;
        if (rc != AWPS_OK)
            break;
        page = json_loadb(resp.body ? resp.body : "", resp.body_len, 0, NULL);
        awps__http_resp_clear(&resp);
        why = check_page(page, &value, &next);
        if (why) {
            json_decref(page);
            rc = awps__service_fail(err, AWPS_E_HTTP, 200, NULL,
                                    "malformed list response: %s", why);
            break;
        }
        json_array_foreach(value, i, item) {
            stop = cb(data, json_string_value(json_object_get(item, "connectionId")),
                      json_string_value(json_object_get(item, "userId")));
            if (stop)
                break;
        }
        if (!stop && next && !(url = awps__strdup(next)))
            rc = awps__service_fail(err, AWPS_E_NOMEM, 0, NULL, "out of memory");
        json_decref(page);
    }
    free(url);
    return rc;
}

/* ---- permissions ---- */

static const char *permission_name(awps_permission p)
{
    switch (p) {
    case AWPS_PERMISSION_SEND_TO_GROUP:
        return "sendToGroup";
    case AWPS_PERMISSION_JOIN_LEAVE_GROUP:
        return "joinLeaveGroup";
    }
    return NULL;
}

static int permission(awps_service *s, const char *method, long ok1, long ok2,
                      const char *connection_id, awps_permission p, const char *target,
                      long *status, awps_service_error *err)
{
    const char *name = permission_name(p);
    awps__sb u;

    CHECK_CLIENT(s, err);
    if (!name)
        return awps__service_fail(err, AWPS_E_INVALID, 0, NULL, "unknown permission");
    url_build(&u, s, "permissions/%/connections/%", name, connection_id);
    q_str(&u, "targetName", target);
    return call(s, &u, method, NULL, NULL, 0, ok1, ok2, status, err);
}

int awps_service_grant_permission(awps_service *s, const char *connection_id,
                                  awps_permission p, const char *target_group,
                                  awps_service_error *err)
{
    return permission(s, "PUT", 200, -1, connection_id, p, target_group, NULL, err);
}

int awps_service_revoke_permission(awps_service *s, const char *connection_id,
                                   awps_permission p, const char *target_group,
                                   awps_service_error *err)
{
    return permission(s, "DELETE", 204, -1, connection_id, p, target_group, NULL, err);
}

int awps_service_check_permission(awps_service *s, const char *connection_id, awps_permission p,
                                  const char *target_group, int *has, awps_service_error *err)
{
    long status = 0;
    int rc;

    if (!has)
        return awps__service_fail(err, AWPS_E_INVALID, 0, NULL, "no result pointer");
    rc = permission(s, "HEAD", 200, 404, connection_id, p, target_group, &status, err);
    if (rc == AWPS_OK)
        *has = status == 200;
    return rc;
}
