/* Helpers shared by the emulator's registry and REST unit tests. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu-testutil.h"

/* ---- fake connections ---- */

static int rec_send(emu_conn *c, int text, const void *data, size_t len)
{
    rec *r = c->io;
    if (r->n == EMT_MAX_FRAMES)
        return -1;
    r->text[r->n] = text;
    r->data[r->n] = malloc(len + 1);
    memcpy(r->data[r->n], data, len);
    r->data[r->n][len] = '\0';
    r->len[r->n++] = len;
    return 0;
}

static void rec_close(emu_conn *c, unsigned code, const char *reason)
{
    rec *r = c->io;
    r->closed++;
    r->code = code;
    snprintf(r->reason, sizeof r->reason, "%s", reason ? reason : "(null)");
}

const emu_conn_ops rec_ops = {.send = rec_send, .close = rec_close};

emu E;
emu_hub H;
emu_answer A;
json_t *J;
static emu_hub *hubs[1] = {&H};
static emu_conn *conns[EMT_MAX_CONNS];
static rec recs[EMT_MAX_CONNS];
static size_t n_conns;

static emu_conn *new_conn(const char *user, enum emu_proto proto)
{
    ck_assert_uint_lt(n_conns, EMT_MAX_CONNS);
    emu_conn *c = emu_conn_new(&H, user, proto, NULL, &rec_ops, &recs[n_conns]);
    ck_assert_ptr_nonnull(c);
    conns[n_conns++] = c;
    return c;
}

emu_conn *conn_unregistered(const char *user)
{
    return new_conn(user, EMU_PROTO_PLAIN);
}

emu_conn *conn_proto(const char *user, enum emu_proto proto, ...)
{
    char *groups[8];
    size_t n = 0;
    va_list ap;
    emu_conn *c = new_conn(user, proto);
    va_start(ap, proto);
    for (char *g; n < 8 && (g = va_arg(ap, char *));)
        groups[n++] = g;
    va_end(ap);
    ck_assert_int_eq(emu_hub_add(c, NULL, 0, groups, n), 0);
    return c;
}

rec *rec_of(emu_conn *c)
{
    return c->io;
}

void emt_setup(void)
{
    memset(&E, 0, sizeof E);
    memset(&H, 0, sizeof H);
    memset(recs, 0, sizeof recs);
    n_conns = 0;
    E.key = KEY;
    E.listen = "127.0.0.1";
    E.port = 8080;
    E.hubs = hubs;
    E.n_hubs = 1;
    H.name = "chat";
    H.owner = &E;
    ck_assert_int_eq(emu_hub_init(&H), 0);
}

void emt_teardown(void)
{
    for (size_t i = 0; i < n_conns; i++) {
        emu_hub_remove(conns[i]);   /* no-op when not registered */
        emu_conn_unref(conns[i]);
        for (size_t f = 0; f < recs[i].n; f++)
            free(recs[i].data[f]);
    }
    emu_hub_destroy(&H);
    free(A.body);
    memset(&A, 0, sizeof A);
    json_decref(J);
    J = NULL;
}

/* ---- requests ---- */

typedef struct treq {
    emu_request r;
    char **name, **value;
    size_t n;
} treq;

static size_t tq(const emu_request *r, const char *name, const char **values, size_t max)
{
    const treq *t = r->query_data;
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->name[i], name)) {
            if (n < max)
                values[n] = t->value[i];
            n++;
        }
    return n;
}

static char *decode(const char *s, size_t len)
{
    char *out = malloc(len + 1), *o = out;
    for (size_t i = 0; i < len; i++) {
        unsigned v;
        if (s[i] == '%' && i + 2 < len && sscanf(s + i + 1, "%2x", &v) == 1) {
            *o++ = (char)v;
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

char *mint(const char *key, const char *aud, long long exp_delta)
{
    long long now = emu_now_s();
    json_t *p = json_pack("{s:I,s:I,s:s}", "iat", now, "exp", now + exp_delta, "aud", aud);
    char *t = awps__jwt_sign(key, p);
    json_decref(p);
    ck_assert_ptr_nonnull(t);
    return t;
}

unsigned req_full(const char *method, const char *uri, const char *ctype, const void *body,
                  size_t len, const char *auth, const char *host)
{
    treq t = {0};
    char url[16384], *tok = NULL, hdr[16384];
    const char *q = strchr(uri, '?');
    size_t plen = q ? (size_t)(q - uri) : strlen(uri);
    char *path = decode(uri, plen);

    free(A.body);
    json_decref(J);
    J = NULL;
    if (!auth) {
        snprintf(url, sizeof url, "http://%s%s", host ? host : HOST, uri);
        tok = mint(KEY, url, 3600);
        snprintf(hdr, sizeof hdr, "Bearer %s", tok);
        auth = hdr;
    }
    for (const char *p = q ? q + 1 : NULL; p && *p;) {
        size_t l = strcspn(p, "&"), k = strcspn(p, "=&");
        t.name = realloc(t.name, (t.n + 1) * sizeof *t.name);
        t.value = realloc(t.value, (t.n + 1) * sizeof *t.value);
        t.name[t.n] = decode(p, k);
        t.value[t.n++] = decode(p + (k < l ? k + 1 : l), k < l ? l - k - 1 : 0);
        p += l + (p[l] == '&');
    }
    t.r = (emu_request){method, path, uri, host ? host : HOST, *auth ? auth : NULL, ctype,
                        body, len, tq, &t};
    emu_rest_handle(&E, &t.r, &A);
    if (A.body)
        J = json_loadb(A.body, A.body_len, 0, NULL);
    for (size_t i = 0; i < t.n; i++) {
        free(t.name[i]);
        free(t.value[i]);
    }
    free(t.name);
    free(t.value);
    free(path);
    free(tok);
    return A.status;
}

void error_is(unsigned status, const char *code)
{
    ck_assert_uint_eq(A.status, status);
    ck_assert_ptr_nonnull(A.content_type);
    ck_assert_str_eq(A.content_type, "application/json");
    ck_assert_msg(json_is_object(J), "body: %s", A.body ? A.body : "(none)");
    ck_assert_str_eq(json_string_value(json_object_get(J, "code")), code);
    ck_assert(json_is_string(json_object_get(J, "message")));
}

const char *msg(void)
{
    return json_string_value(json_object_get(J, "message"));
}

const char *U(const char *fmt, ...)
{
    static char buf[4][1024];
    static unsigned k;
    char *b = buf[k++ % 4];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof buf[0], fmt, ap);
    va_end(ap);
    return b;
}

void got(emu_conn *c, size_t i, const char *text)
{
    rec *r = rec_of(c);
    ck_assert_msg(r->n > i, "connection has %zu frames, wanted #%zu", r->n, i);
    ck_assert_int_eq(r->text[i], 1);
    ck_assert_str_eq(r->data[i], text);
}

size_t frames(emu_conn *c)
{
    return rec_of(c)->n;
}

void emt_add_case(Suite *s, const char *name, const TTest *const *tests)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, emt_setup, emt_teardown);
    for (; *tests; tests++)
        tcase_add_test(tc, *tests);
    suite_add_tcase(s, tc);
}
