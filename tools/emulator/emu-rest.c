/* awps-emulator: the REST API of service-api.md §4 — request parsing,
 * authentication, routing and answers (the operations: emu-rest-ops.c).
 *
 * The path is split on the raw request-target (so an id with an encoded
 * "/" stays one segment) and each segment percent-decoded here. Every
 * /api/hubs/... request needs a Bearer JWT signed with the access key whose
 * aud is the request URL; errors are {"code":..,"message":..} (no body for
 * HEAD). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emu-rest.h"

#define MAX_SEGS 12

/* ---- answers ---- */

void rest_json(rest_ctx *x, unsigned status, json_t *j)
{
    x->a->status = status;
    if (!x->head && j) {
        x->a->body = json_dumps(j, JSON_COMPACT);
        if (x->a->body) {
            x->a->body_len = strlen(x->a->body);
            x->a->content_type = "application/json";
        }
    }
    json_decref(j);
}

void rest_fail(rest_ctx *x, unsigned status, const char *code, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!awps__utf8_valid(msg, strlen(msg)))   /* echoed bytes: keep the JSON valid */
        for (char *p = msg; *p; p++)
            if ((unsigned char)*p >= 0x80)
                *p = '?';
    rest_json(x, status, json_pack("{s:s,s:s}", "code", code, "message", msg));
}

void rest_empty(rest_ctx *x, unsigned status)
{
    x->a->status = status;
}

/* ---- query and names ---- */

const char *rest_q1(rest_ctx *x, const char *name)
{
    const char *v = NULL;

    if (x->r->query && x->r->query(x->r, name, &v, 1) > 0)
        return v;
    return NULL;
}

int rest_qall(rest_ctx *x, const char *name, const char ***out, size_t *n)
{
    size_t k = 0;

    *out = NULL;
    *n = 0;
    if (!x->r->query)
        return 0;
    if (!(*out = calloc(REST_MAX_MULTI + 1, sizeof **out))) {
        rest_fail(x, 500, "Error.Internal", "out of memory");
        return -1;
    }
    k = x->r->query(x->r, name, *out, REST_MAX_MULTI + 1);
    if (k > REST_MAX_MULTI) {
        free(*out);
        *out = NULL;
        REST_BAD(x, "Too many values for '%s' (at most %d).", name, REST_MAX_MULTI);
        return -1;
    }
    *n = k;
    return 0;
}

static int name_ok(const char *s)
{
    size_t n = s ? strnlen(s, EMU_MAX_NAME + 1) : 0;
    return n >= 1 && n <= EMU_MAX_NAME;
}

int rest_check_name(rest_ctx *x, const char *what, const char *s)
{
    if (name_ok(s))
        return 0;
    REST_BAD(x, "Invalid %s. Valid %s should be in between 1 and %d characters long.", what,
             what, EMU_MAX_NAME);
    return -1;
}

long long rest_uint(const char *s, long long max)
{
    long long v = 0;

    if (!s || !*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
        if (v > max)
            return -1;
    }
    return v;
}

void rest_enc(awps__sb *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            strchr("-._~", ch)) {
            awps__sb_chr(b, (char)ch);
        } else {
            awps__sb_chr(b, '%');
            awps__sb_chr(b, hex[ch >> 4]);
            awps__sb_chr(b, hex[ch & 15]);
        }
    }
}

const char *rest_host(rest_ctx *x, char *buf, size_t len)
{
    if (x->r->host && *x->r->host)
        return x->r->host;
    snprintf(buf, len, "%s:%u", x->e->listen ? x->e->listen : "127.0.0.1", x->e->port);
    return buf;
}

int rest_filter(rest_ctx *x, const char *text, emu_filter **f)
{
    char why[512] = "";

    *f = NULL;
    if (!text || !*text)
        return 0;
    if (!(*f = emu_filter_parse(text, why, sizeof why))) {
        REST_BAD(x, "%s", *why ? why : "Invalid filter.");
        return -1;
    }
    return 0;
}

/* ---- authentication ---- */

/* aud equals http(s)://<host><uri>: scheme and host case-insensitively
 * (a default port may be written or not), the rest exactly. */
static int aud_ok(const char *aud, const char *host, const char *uri)
{
    size_t sl, al, hl, pl;
    const char *auth, *slash, *port;

    if (!aud || !host || !uri)
        return 0;
    if (!strncasecmp(aud, "http://", 7))
        sl = 7, port = ":80";
    else if (!strncasecmp(aud, "https://", 8))
        sl = 8, port = ":443";
    else
        return 0;
    auth = aud + sl;
    if (!(slash = strchr(auth, '/')) || strcmp(slash, uri))
        return 0;
    al = (size_t)(slash - auth);
    hl = strlen(host);
    pl = strlen(port);
    if (al == hl)
        return !strncasecmp(auth, host, hl);
    if (al == hl + pl)
        return !strncasecmp(auth, host, hl) && !strncasecmp(auth + hl, port, pl);
    if (hl == al + pl)
        return !strncasecmp(host, auth, al) && !strncasecmp(host + al, port, pl);
    return 0;
}

/* 0, or -1 answered with 401. */
static int authorize(rest_ctx *x)
{
    const char *h = x->r->authorization, *uri = x->uri;
    char why[256];
    json_t *claims = NULL;
    int ok;

    if (!h || strncasecmp(h, "Bearer ", 7)) {
        rest_fail(x, 401, "Error.Unauthorized",
                  "No Bearer access token in the Authorization header.");
        return -1;
    }
    for (h += 7; *h == ' '; h++)
        ;
    if (awps__jwt_verify(x->e->key, h, emu_now_s(), &claims, why, sizeof why) != 0) {
        rest_fail(x, 401, "Error.Unauthorized", "%s", why);
        return -1;
    }
    ok = aud_ok(json_string_value(json_object_get(claims, "aud")), x->r->host, uri);
    json_decref(claims);
    if (!ok) {
        rest_fail(x, 401, "Error.Unauthorized",
                  "The access token's audience is not the request URL http://%.200s%.1024s.",
                  x->r->host ? x->r->host : "", uri);
        return -1;
    }
    return 0;
}

/* ---- routing ---- */

/* Whether segs match pattern; the "*" segments go to arg (at most 2). */
static int match(const char *pattern, char **segs, size_t n, char **arg)
{
    size_t i = 0, k = 0;
    const char *p = pattern;

    while (*p) {
        size_t len = strcspn(p, "/");
        if (i == n)
            return 0;
        if (len == 1 && *p == '*') {
            if (k < 2)
                arg[k++] = segs[i];
        } else if (strlen(segs[i]) != len || strncasecmp(segs[i], p, len)) {
            return 0;
        }
        i++;
        p += len + (p[len] == '/');
    }
    return i == n;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Split the raw path into percent-decoded segments (new strings). The
 * count, or -1 when too many or a segment decodes to a NUL byte. */
static int split(const char *uri, char **segs)
{
    size_t end = strcspn(uri, "?#"), i = 0;
    int n = 0;

    if (uri[0] == '/')
        i = 1;
    while (i <= end) {
        size_t len = strcspn(uri + i, "/?#"), k = 0;
        char *s;
        if (i + len > end)
            len = end - i;
        if (n == MAX_SEGS || !(s = malloc(len + 1)))
            goto bad;
        segs[n++] = s;
        for (size_t j = i; j < i + len; j++) {
            int hi, lo;
            if (uri[j] == '%' && j + 2 < i + len && (hi = hexval(uri[j + 1])) >= 0 &&
                (lo = hexval(uri[j + 2])) >= 0) {
                s[k] = (char)(hi * 16 + lo);
                j += 2;
            } else {
                s[k] = uri[j];
            }
            if (!s[k++])
                goto bad;
        }
        s[k] = '\0';
        i += len + 1;
    }
    return n;
bad:
    while (n)
        free(segs[--n]);
    return -1;
}

void emu_rest_handle(emu *e, const emu_request *r, emu_answer *a)
{
    const char *uri = r->raw_uri && r->raw_uri[0] == '/' ? r->raw_uri : r->path;
    const char *method = r->method ? r->method : "";
    char *segs[MAX_SEGS], *arg[2] = {NULL, NULL};
    rest_ctx x = {e, r, a, NULL, NULL, uri, !strcmp(method, "HEAD")};
    int n, known = 0;

    memset(a, 0, sizeof *a);
    n = uri ? split(uri, segs) : -1;
    if (n < 0) {
        REST_BAD(&x, "Invalid request path.");
        return;
    }
    if (n == 2 && !strcasecmp(segs[0], "api") && !strcasecmp(segs[1], "health")) {
        if (!strcmp(method, "HEAD") || !strcmp(method, "GET"))
            rest_empty(&x, 200);
        else
            rest_fail(&x, 405, "Error.MethodNotAllowed", "Method %.16s is not allowed here.",
                      method);
        goto out;
    }
    if (n < 4 || strcasecmp(segs[0], "api") || strcasecmp(segs[1], "hubs")) {
        rest_fail(&x, 404, "Error.NotFound", "No such operation.");
        goto out;
    }
    if (authorize(&x) != 0)
        goto out;
    if (!(x.h = emu_hub_find(e, segs[2]))) {
        rest_fail(&x, 404, "Error.Hub.NotExisted", "Hub `%.1024s` is not found.", segs[2]);
        goto out;
    }
    x.hub_name = segs[2];
    for (size_t i = 0; i < rest_n_routes; i++) {
        if (!match(rest_routes[i].pattern, segs + 3, (size_t)n - 3, arg))
            continue;
        known = 1;
        if (!strcmp(rest_routes[i].method, method)) {
            rest_routes[i].fn(&x, arg);
            goto out;
        }
    }
    if (known)
        rest_fail(&x, 405, "Error.MethodNotAllowed", "Method %.16s is not allowed here.", method);
    else
        rest_fail(&x, 404, "Error.NotFound", "No such operation.");
out:
    while (n > 0)
        free(segs[--n]);
}
