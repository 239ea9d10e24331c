/* The mock Web PubSub REST service (see mock-service.h): libmicrohttpd with a
 * thread per connection, the raw request target taken from the URI log
 * callback (MHD hands the access handler an unescaped path without the
 * query). Tokens are checked in mock-request.c, with OpenSSL alone, so that
 * the mock shares no code with the library it tests. */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "mock-service.h"

#define BODY_MAX ((size_t)32 * 1024 * 1024)
#define JSON_TYPE "application/json; charset=utf-8"

typedef struct script {
    unsigned status;
    char *content_type, *body;
    char **headers;                    /* name, value, ..., NULL */
    struct script *next;
} script;

struct mock_service {
    struct MHD_Daemon *daemon;
    unsigned port;
    char base[64];
    char *key;
    pthread_mutex_t lock;              /* guards everything below */
    pthread_cond_t changed;
    char *aud_base;
    int strict;
    mock_request **reqs;
    size_t n, cap;
    script *head, *tail;
    size_t n_scripts;
    unsigned long conns;
    mock_request_cb cb;
    void *cb_data;
};

/* Per request, from the URI log callback to the completion callback. */
typedef struct pending {
    char *uri;
    int started, too_large;
    char *body;
    size_t len, cap;
} pending;

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static char *dup_s(const char *s)
{
    return s ? dup_n(s, strlen(s)) : NULL;
}

/* s with every {{base}} replaced; a new string (NULL stays NULL). */
static char *expand(const mock_service *m, const char *s)
{
    size_t bl = strlen(m->base), n = 0;
    const char *p;
    char *out, *o;

    if (!s)
        return NULL;
    for (p = s; (p = strstr(p, "{{base}}")); p += 8)
        n++;
    out = malloc(strlen(s) + n * bl + 1);
    if (!out)
        return NULL;
    for (o = out; *s;) {
        if (strncmp(s, "{{base}}", 8) == 0) {
            memcpy(o, m->base, bl);
            o += bl;
            s += 8;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    return out;
}

/* ---- scripts ---- */

static void script_free(script *s)
{
    if (!s)
        return;
    for (size_t i = 0; s->headers && s->headers[i]; i++)
        free(s->headers[i]);
    free(s->headers);
    free(s->content_type);
    free(s->body);
    free(s);
}

static int enqueue(mock_service *m, script *s)
{
    pthread_mutex_lock(&m->lock);
    if (m->tail)
        m->tail->next = s;
    else
        m->head = s;
    m->tail = s;
    m->n_scripts++;
    pthread_mutex_unlock(&m->lock);
    return 0;
}

int mock_script(mock_service *m, unsigned status, const char *content_type, const char *body,
                ...)
{
    script *s = calloc(1, sizeof *s);
    size_t n = 0;
    va_list ap;
    const char *h;

    if (!s)
        return -1;
    va_start(ap, body);
    while (va_arg(ap, const char *))
        n++;
    va_end(ap);
    s->status = status;
    s->headers = calloc(n + 1, sizeof *s->headers);
    s->content_type = dup_s(content_type);
    s->body = dup_s(body);
    if (!s->headers || (content_type && !s->content_type) || (body && !s->body)) {
        script_free(s);
        return -1;
    }
    va_start(ap, body);
    for (size_t i = 0; i < n && (h = va_arg(ap, const char *)); i++)
        if (!(s->headers[i] = dup_s(h))) {
            va_end(ap);
            script_free(s);
            return -1;
        }
    va_end(ap);
    return enqueue(m, s);
}

int mock_script_json(mock_service *m, json_t *j)
{
    json_t *st = json_object_get(j, "status"), *hd = json_object_get(j, "headers"), *v;
    json_t *ct = json_object_get(j, "content_type"), *body = json_object_get(j, "body");
    script *s;
    const char *name;
    size_t i = 0;

    if (!json_is_object(j) || !json_is_integer(st) || json_integer_value(st) < 0 ||
        json_integer_value(st) > 999 || (ct && !json_is_string(ct)) ||
        (body && !json_is_string(body)) || (hd && !json_is_object(hd)))
        return -1;
    if (!(s = calloc(1, sizeof *s)) ||
        !(s->headers = calloc(2 * json_object_size(hd) + 1, sizeof *s->headers))) {
        free(s);
        return -1;
    }
    s->status = (unsigned)json_integer_value(st);
    s->content_type = dup_s(json_string_value(ct));
    s->body = dup_s(json_string_value(body));
    json_object_foreach(hd, name, v) {
        if (!json_is_string(v) || !(s->headers[i++] = dup_s(name)) ||
            !(s->headers[i++] = dup_s(json_string_value(v)))) {
            script_free(s);
            return -1;
        }
    }
    return enqueue(m, s);
}

size_t mock_pending_scripts(mock_service *m)
{
    pthread_mutex_lock(&m->lock);
    size_t n = m->n_scripts;
    pthread_mutex_unlock(&m->lock);
    return n;
}

static script *dequeue(mock_service *m)
{
    script *s;

    pthread_mutex_lock(&m->lock);
    s = m->head;
    if (s) {
        m->head = s->next;
        if (!m->head)
            m->tail = NULL;
        m->n_scripts--;
    }
    pthread_mutex_unlock(&m->lock);
    return s;
}

/* ---- recorded requests ---- */

static void record(mock_service *m, mock_request *r)
{
    mock_request_cb cb;
    void *data;

    pthread_mutex_lock(&m->lock);
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 64;
        mock_request **p = realloc(m->reqs, cap * sizeof *p);
        if (!p) {
            pthread_mutex_unlock(&m->lock);
            mock_request_free(r);
            return;
        }
        m->reqs = p;
        m->cap = cap;
    }
    m->reqs[m->n++] = r;
    cb = m->cb;
    data = m->cb_data;
    pthread_cond_broadcast(&m->changed);
    pthread_mutex_unlock(&m->lock);
    if (cb)
        cb(data, r);
}

size_t mock_count(mock_service *m)
{
    pthread_mutex_lock(&m->lock);
    size_t n = m->n;
    pthread_mutex_unlock(&m->lock);
    return n;
}

const mock_request *mock_request_at(mock_service *m, size_t i)
{
    pthread_mutex_lock(&m->lock);
    mock_request *r = i < m->n ? m->reqs[i] : NULL;
    pthread_mutex_unlock(&m->lock);
    return r;
}

const mock_request *mock_last(mock_service *m)
{
    pthread_mutex_lock(&m->lock);
    mock_request *r = m->n ? m->reqs[m->n - 1] : NULL;
    pthread_mutex_unlock(&m->lock);
    return r;
}

size_t mock_wait(mock_service *m, size_t n, unsigned timeout_ms)
{
    struct timespec until;
    size_t got;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&m->lock);
    while (m->n < n && pthread_cond_timedwait(&m->changed, &m->lock, &until) != ETIMEDOUT)
        ;
    got = m->n;
    pthread_mutex_unlock(&m->lock);
    return got;
}

unsigned long mock_connections(mock_service *m)
{
    pthread_mutex_lock(&m->lock);
    unsigned long n = m->conns;
    pthread_mutex_unlock(&m->lock);
    return n;
}

void mock_reset(mock_service *m)
{
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->n; i++)
        mock_request_free(m->reqs[i]);
    m->n = 0;
    while (m->head) {
        script *s = m->head;
        m->head = s->next;
        script_free(s);
    }
    m->tail = NULL;
    m->n_scripts = 0;
    pthread_mutex_unlock(&m->lock);
}

void mock_on_request(mock_service *m, mock_request_cb cb, void *data)
{
    pthread_mutex_lock(&m->lock);
    m->cb = cb;
    m->cb_data = data;
    pthread_mutex_unlock(&m->lock);
}

void mock_set_audience_base(mock_service *m, const char *base)
{
    char *b = dup_s(base);
    pthread_mutex_lock(&m->lock);
    free(m->aud_base);
    m->aud_base = b;
    pthread_mutex_unlock(&m->lock);
}

void mock_set_strict(mock_service *m, int strict)
{
    pthread_mutex_lock(&m->lock);
    m->strict = strict;
    pthread_mutex_unlock(&m->lock);
}

unsigned mock_port(const mock_service *m)
{
    return m->port;
}

const char *mock_base(const mock_service *m)
{
    return m->base;
}

/* ---- serving ---- */

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *ctype,
                              const char *body, char *const *headers)
{
    struct MHD_Response *res = MHD_create_response_from_buffer(
        body ? strlen(body) : 0, (void *)(body ? body : ""), MHD_RESPMEM_MUST_COPY);
    enum MHD_Result rc;

    if (!res)
        return MHD_NO;
    if (ctype)
        MHD_add_response_header(res, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    for (size_t i = 0; headers && headers[i] && headers[i + 1]; i += 2)
        MHD_add_response_header(res, headers[i], headers[i + 1]);
    rc = MHD_queue_response(c, status, res);
    MHD_destroy_response(res);
    return rc;
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

/* The REST API's success answer for a request nobody scripted. */
static enum MHD_Result answer_default(struct MHD_Connection *c, mock_request *r)
{
    const char *p = r->path, *m = r->method;

    if (!strcmp(m, "HEAD"))
        r->status = 200;
    else if (!strcmp(m, "POST") && ends_with(p, "/:send"))
        r->status = 202;
    else if (!strcmp(m, "POST") && ends_with(p, "/:closeConnections"))
        r->status = 204;
    else if (!strcmp(m, "POST") && ends_with(p, "/:generateToken"))
        return answer(c, r->status = 200, JSON_TYPE, "{\"token\":\"mock-token\"}", NULL);
    else if (!strcmp(m, "POST") || !strcmp(m, "PUT"))
        r->status = 200;
    else if (!strcmp(m, "DELETE"))
        r->status = 204;
    else if (!strcmp(m, "GET") && ends_with(p, "/connections"))
        return answer(c, r->status = 200, JSON_TYPE, "{\"value\":[]}", NULL);
    else
        return answer(c, r->status = 404, JSON_TYPE,
                      "{\"code\":\"Error.NotFound\",\"message\":\"no such operation\"}", NULL);
    return answer(c, r->status, NULL, NULL, NULL);
}

static enum MHD_Result admin(mock_service *m, struct MHD_Connection *c, const char *method,
                             const char *path, pending *pd)
{
    if (!strcmp(method, "POST") && !strcmp(path, "/_mock/reset")) {
        mock_reset(m);
        return answer(c, 200, "text/plain", "ok\n", NULL);
    }
    if (!strcmp(method, "POST") && !strcmp(path, "/_mock/script")) {
        json_t *j = json_loadb(pd->body ? pd->body : "", pd->len, 0, NULL), *item;
        size_t i;
        int bad = !json_is_object(j) && !json_is_array(j);
        if (json_is_object(j))
            bad = mock_script_json(m, j) != 0;
        json_array_foreach(j, i, item)
            bad |= mock_script_json(m, item) != 0;
        json_decref(j);
        return answer(c, bad ? 400 : 200, "text/plain", bad ? "bad script\n" : "ok\n", NULL);
    }
    if (!strcmp(method, "GET") && !strcmp(path, "/_mock/requests")) {
        json_t *a = json_array();
        char *text;
        enum MHD_Result rc;
        for (size_t i = 0; i < mock_count(m); i++)
            json_array_append_new(a, mock_request_json(mock_request_at(m, i)));
        text = json_dumps(a, JSON_COMPACT);
        json_decref(a);
        rc = answer(c, text ? 200 : 500, JSON_TYPE, text ? text : "", NULL);
        free(text);
        return rc;
    }
    return answer(c, 404, "text/plain", "no such mock route\n", NULL);
}

static char *header(struct MHD_Connection *c, const char *name)
{
    return dup_s(MHD_lookup_connection_value(c, MHD_HEADER_KIND, name));
}

static enum MHD_Result serve(mock_service *m, struct MHD_Connection *c, const char *method,
                             pending *pd)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    mock_request *r = calloc(1, sizeof *r);
    size_t plen = strcspn(pd->uri, "?");
    script *s;
    char *aud_want;
    int strict;
    enum MHD_Result rc;

    if (!r)
        return MHD_NO;
    r->method = dup_s(method);
    r->target = dup_s(pd->uri);
    r->path = dup_n(pd->uri, plen);
    r->query = dup_s(pd->uri[plen] ? pd->uri + plen + 1 : "");
    r->authorization = header(c, "Authorization");
    r->content_type = header(c, "Content-Type");
    r->content_length = header(c, "Content-Length");
    r->accept = header(c, "Accept");
    r->accept_encoding = header(c, "Accept-Encoding");
    r->user_agent = header(c, "User-Agent");
    r->request_id = header(c, "x-ms-client-request-id");
    r->expect = header(c, "Expect");
    r->transfer_encoding = header(c, "Transfer-Encoding");
    r->body = pd->body ? pd->body : dup_s("");
    r->body_len = pd->len;
    pd->body = NULL;
    r->connection = ci ? (unsigned long)(uintptr_t)ci->socket_context : 0;
    if (!r->method || !r->target || !r->path || !r->query || !r->body) {
        mock_request_free(r);
        return MHD_NO;
    }
    pthread_mutex_lock(&m->lock);
    aud_want = malloc(strlen(m->aud_base ? m->aud_base : m->base) + strlen(r->target) + 1);
    if (aud_want)
        sprintf(aud_want, "%s%s", m->aud_base ? m->aud_base : m->base, r->target);
    strict = m->strict;
    pthread_mutex_unlock(&m->lock);
    if (!aud_want) {
        mock_request_free(r);
        return MHD_NO;
    }
    mock_check_token(r, m->key, aud_want);
    free(aud_want);

    if (pd->too_large) {
        rc = answer(c, r->status = 413, "text/plain", "body too large\n", NULL);
    } else if (strict && !r->token_ok) {
        rc = answer(c, r->status = 401, JSON_TYPE,
                    "{\"code\":\"Error.Unauthorized\",\"message\":\"bad token\"}", NULL);
    } else if ((s = dequeue(m))) {
        char *body = expand(m, s->body);
        for (size_t i = 1; s->headers[i - 1] && s->headers[i]; i += 2) {
            char *v = expand(m, s->headers[i]);
            if (v) {
                free(s->headers[i]);
                s->headers[i] = v;
            }
        }
        r->status = s->status;
        rc = s->status == 0 ? MHD_NO
                            : answer(c, s->status, s->content_type, body ? body : s->body,
                                     s->headers);
        free(body);
        script_free(s);
    } else {
        rc = answer_default(c, r);
    }
    record(m, r);
    return rc;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version,
                                 const char *upload, size_t *upload_size, void **con_cls)
{
    mock_service *m = cls;
    pending *pd = *con_cls;
    (void)url;
    (void)version;

    if (!pd)
        return MHD_NO;
    if (!pd->started) {
        pd->started = 1;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (pd->too_large || n > BODY_MAX - pd->len) {
            pd->too_large = 1;
            return MHD_YES;
        }
        if (pd->len + n + 1 > pd->cap) {
            size_t cap = pd->cap ? pd->cap : 4096;
            while (cap < pd->len + n + 1)
                cap *= 2;
            char *b = realloc(pd->body, cap);
            if (!b)
                return MHD_NO;
            pd->body = b;
            pd->cap = cap;
        }
        memcpy(pd->body + pd->len, upload, n);
        pd->len += n;
        pd->body[pd->len] = '\0';
        return MHD_YES;
    }
    if (strncmp(pd->uri, "/_mock/", 7) == 0) {
        char *path = dup_n(pd->uri, strcspn(pd->uri, "?"));
        enum MHD_Result rc = path ? admin(m, c, method, path, pd) : MHD_NO;
        free(path);
        return rc;
    }
    return serve(m, c, method, pd);
}

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
    pending *pd = calloc(1, sizeof *pd);
    (void)cls;
    (void)c;

    if (pd && !(pd->uri = dup_s(uri))) {
        free(pd);
        pd = NULL;
    }
    return pd;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    pending *pd = *con_cls;
    (void)cls;
    (void)c;
    (void)toe;

    if (pd) {
        free(pd->uri);
        free(pd->body);
        free(pd);
        *con_cls = NULL;
    }
}

static void notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                              enum MHD_ConnectionNotificationCode code)
{
    mock_service *m = cls;
    (void)c;

    if (code != MHD_CONNECTION_NOTIFY_STARTED)
        return;
    pthread_mutex_lock(&m->lock);
    *socket_context = (void *)(uintptr_t)++m->conns;
    pthread_mutex_unlock(&m->lock);
}

mock_service *mock_start(const char *access_key)
{
    mock_service *m = calloc(1, sizeof *m);
    struct sockaddr_in sa;

    if (!m)
        return NULL;
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        return NULL;
    }
    if (pthread_cond_init(&m->changed, NULL) != 0) {
        pthread_mutex_destroy(&m->lock);
        free(m);
        return NULL;
    }
    if (access_key && !(m->key = dup_s(access_key))) {
        mock_stop(m);
        return NULL;
    }
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    m->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
        access_cb, m, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_URI_LOG_CALLBACK, uri_log, m, MHD_OPTION_NOTIFY_COMPLETED, completed, m,
        MHD_OPTION_NOTIFY_CONNECTION, notify_connection, m,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_END);
    if (!m->daemon) {
        mock_stop(m);
        return NULL;
    }
    m->port = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT)->port;
    snprintf(m->base, sizeof m->base, "http://127.0.0.1:%u", m->port);
    return m;
}

void mock_stop(mock_service *m)
{
    if (!m)
        return;
    if (m->daemon)
        MHD_stop_daemon(m->daemon);
    mock_reset(m);
    free(m->reqs);
    free(m->key);
    free(m->aud_base);
    pthread_cond_destroy(&m->changed);
    pthread_mutex_destroy(&m->lock);
    free(m);
}
