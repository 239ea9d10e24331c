/* Helpers shared by the unit tests; see testutil.h. */
#include "testutil.h"

#include <curl/curl.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "testutil: out of memory\n");
        abort();
    }
    return p;
}

static char *xstrdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

/* ---- requests ---- */

struct tu_request {
    awps_http_request req;
    char *method;
    char *path;
    char *body;
    awps_http_header *headers; /* names and values owned */
    size_t count, cap;
};

void tu_request_add_header(tu_request *r, const char *name, const char *value)
{
    if (r->count == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 8;
        awps_http_header *h = realloc(r->headers, r->cap * sizeof *h);
        if (!h) {
            fprintf(stderr, "testutil: out of memory\n");
            abort();
        }
        r->headers = h;
    }
    r->headers[r->count].name = xstrdup(name);
    r->headers[r->count].value = xstrdup(value ? value : "");
    r->count++;
}

static tu_request *request_new(const char *method, const char *path,
                               const void *body, size_t body_len)
{
    tu_request *r = xmalloc(sizeof *r);
    memset(r, 0, sizeof *r);
    if (!body)
        body_len = 0;
    r->method = xstrdup(method);
    r->path = xstrdup(path);
    r->body = xmalloc(body_len + 1);
    if (body_len)
        memcpy(r->body, body, body_len);
    r->body[body_len] = '\0';
    r->req.body_len = body_len;
    return r;
}

tu_request *tu_request_new(const char *method, const char *path,
                           const char *const *headers,
                           const void *body, size_t body_len)
{
    tu_request *r = request_new(method, path, body, body_len);
    for (size_t i = 0; headers && headers[i]; i += 2)
        tu_request_add_header(r, headers[i], headers[i + 1]);
    return r;
}

tu_request *tu_request_newv(const char *method, const char *path,
                            const void *body, size_t body_len, ...)
{
    tu_request *r = request_new(method, path, body, body_len);
    va_list ap;
    va_start(ap, body_len);
    const char *name;
    while ((name = va_arg(ap, const char *)) != NULL)
        tu_request_add_header(r, name, va_arg(ap, const char *));
    va_end(ap);
    return r;
}

const awps_http_request *tu_request_get(tu_request *r)
{
    r->req.method = r->method;
    r->req.path = r->path;
    r->req.headers = r->headers;
    r->req.header_count = r->count;
    r->req.body = r->req.body_len ? r->body : NULL;
    return &r->req;
}

void tu_request_free(tu_request *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->count; i++) {
        free((char *)r->headers[i].name);
        free((char *)r->headers[i].value);
    }
    free(r->headers);
    free(r->method);
    free(r->path);
    free(r->body);
    free(r);
}

/* ---- responses ---- */

tu_response *tu_response_copy(const awps_http_response *res)
{
    tu_response *c = xmalloc(sizeof *c);
    c->status = res->status;
    c->content_type = xstrdup(res->content_type);
    c->allowed_origin = xstrdup(res->allowed_origin);
    c->connection_state = xstrdup(res->connection_state);
    c->body_len = res->body ? res->body_len : 0;
    c->body = xmalloc(c->body_len + 1);
    if (c->body_len)
        memcpy(c->body, res->body, c->body_len);
    c->body[c->body_len] = '\0';
    return c;
}

tu_response *tu_response_dup(const tu_response *res)
{
    awps_http_response view = {
        .status = res->status, .content_type = res->content_type,
        .allowed_origin = res->allowed_origin, .connection_state = res->connection_state,
        .body = res->body, .body_len = res->body_len,
    };
    return tu_response_copy(&view);
}

void tu_response_free(tu_response *res)
{
    if (!res)
        return;
    free(res->content_type);
    free(res->allowed_origin);
    free(res->connection_state);
    free(res->body);
    free(res);
}

/* ---- waiting for an answer ---- */

struct tu_capture {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* on CLOCK_MONOTONIC */
    unsigned calls;
    tu_response *res;  /* the first response */
};

tu_capture *tu_capture_new(void)
{
    tu_capture *c = xmalloc(sizeof *c);
    pthread_condattr_t attr;
    pthread_mutex_init(&c->mu, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cv, &attr);
    pthread_condattr_destroy(&attr);
    c->calls = 0;
    c->res = NULL;
    return c;
}

void tu_capture_free(tu_capture *c)
{
    if (!c)
        return;
    tu_response_free(c->res);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

void tu_capture_respond(void *data, const awps_http_response *res)
{
    tu_capture *c = data;
    tu_response *copy = tu_response_copy(res);
    pthread_mutex_lock(&c->mu);
    c->calls++;
    if (!c->res) {
        c->res = copy;
        copy = NULL;
    }
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    tu_response_free(copy);
}

const tu_response *tu_capture_wait(tu_capture *c, unsigned timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&c->mu);
    while (!c->res) {
        if (pthread_cond_timedwait(&c->cv, &c->mu, &until) == ETIMEDOUT)
            break;
    }
    const tu_response *res = c->res;
    pthread_mutex_unlock(&c->mu);
    return res;
}

unsigned tu_capture_calls(tu_capture *c)
{
    pthread_mutex_lock(&c->mu);
    unsigned n = c->calls;
    pthread_mutex_unlock(&c->mu);
    return n;
}

int tu_process(awps_handler *h, tu_request *r, tu_capture *c, unsigned timeout_ms,
               const tu_response **res)
{
    *res = NULL;
    int rc = awps_handler_process(h, tu_request_get(r), tu_capture_respond, c);
    if (rc == AWPS_OK)
        *res = tu_capture_wait(c, timeout_ms);
    return rc;
}

tu_request *tu_cloud_event(const char *hub, const char *ce_type, const char *connection_id,
                           const char *content_type, const void *body, size_t body_len)
{
    char path[256], source[300];

    snprintf(path, sizeof path, "/api/webpubsub/hubs/%s/", hub);
    snprintf(source, sizeof source, "/hubs/%s/client/%s", hub, connection_id);
    tu_request *r = tu_request_new("POST", path, NULL, body, body_len);
    tu_request_add_header(r, "ce-specversion", "1.0");
    tu_request_add_header(r, "ce-awpsversion", "1.0");
    tu_request_add_header(r, "ce-id", "1");
    tu_request_add_header(r, "ce-time", "2026-11-27T10:00:00Z");
    tu_request_add_header(r, "ce-source", source);
    tu_request_add_header(r, "ce-type", ce_type);
    tu_request_add_header(r, "ce-hub", hub);
    tu_request_add_header(r, "ce-connectionId", connection_id);
    tu_request_add_header(r, "WebHook-Request-Origin", "xxx.webpubsub.azure.com");
    if (content_type)
        tu_request_add_header(r, "Content-Type", content_type);
    return r;
}

/* ---- HTTP client ---- */

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    tu_http_result *r = ud;
    size_t take = size * n;
    if (take > sizeof r->body - 1 - r->len)
        take = sizeof r->body - 1 - r->len;
    memcpy(r->body + r->len, p, take);
    r->len += take;
    r->body[r->len] = '\0';
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    tu_http_result *r = ud;
    size_t take = size * n;
    if (take > sizeof r->headers - 1 - r->hlen)
        take = sizeof r->headers - 1 - r->hlen;
    memcpy(r->headers + r->hlen, p, take);
    r->hlen += take;
    r->headers[r->hlen] = '\0';
    return size * n;
}

long tu_http(tu_http_result *r, unsigned port, const char *method, const char *path,
             const char *const *headers, const char *body, size_t len, int chunked)
{
    char url[512];
    struct curl_slist *list = NULL;
    CURL *c = curl_easy_init();

    memset(r, 0, sizeof *r);
    if (!c)
        return 0;
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    list = curl_slist_append(list, "Expect:");
    if (chunked)
        list = curl_slist_append(list, "Transfer-Encoding: chunked");
    for (size_t i = 0; headers && headers[i]; i++)
        list = curl_slist_append(list, headers[i]);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        if (!chunked)
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
    return r->status;
}
