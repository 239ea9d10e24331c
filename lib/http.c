/* The REST transport: libcurl with a small pool of easy handles per client
 * (each keeps its connections alive, so taking a handle back out of the pool
 * reuses its connection; many threads use one client at once), the retry
 * policy of spec §6.1, and the mapping of error answers (§6.3). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "internal.h"

#define POOL_MAX 16                 /* idle handles kept per client */
#define CONNECT_TIMEOUT_MS 30000L
#define LOW_SPEED_TIME_S 120L       /* abort when nothing moves for this long */
#define USER_AGENT "azsdk-c-web-pubsub/" PACKAGE_VERSION

typedef struct transport {
    pthread_mutex_t lock;           /* guards idle[] */
    CURL *idle[POOL_MAX];
    size_t n_idle;
    CURLSH *share;                  /* DNS cache and TLS sessions */
    pthread_mutex_t share_lock[CURL_LOCK_DATA_LAST];
    awps__http_send_fn send;        /* test seam; NULL: libcurl */
    void *send_data;
} transport;

/* ---- the per-client transport, created on first use ---- */

/* Each transport holds one reference on libcurl's global state. The calls
 * are serialised here; libcurl >= 7.84 built "threadsafe" (Debian 12's is)
 * also makes them safe against the application's own calls. */
static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;

static int global_init(void)
{
    pthread_mutex_lock(&global_lock);
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_mutex_unlock(&global_lock);
    return rc == CURLE_OK ? 0 : -1;
}

static void global_cleanup(void)
{
    pthread_mutex_lock(&global_lock);
    curl_global_cleanup();
    pthread_mutex_unlock(&global_lock);
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud)
{
    transport *t = ud;
    (void)h;
    (void)access;
    if (data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_lock(&t->share_lock[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ud)
{
    transport *t = ud;
    (void)h;
    if (data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_unlock(&t->share_lock[data]);
}

static void transport_destroy(transport *t, size_t locks)
{
    for (size_t i = 0; i < t->n_idle; i++)
        curl_easy_cleanup(t->idle[i]);
    if (t->share)
        curl_share_cleanup(t->share);
    for (size_t i = 0; i < locks; i++)
        pthread_mutex_destroy(&t->share_lock[i]);
    pthread_mutex_destroy(&t->lock);
    free(t);
    global_cleanup();
}

static transport *transport_new(void)
{
    transport *t;
    size_t locks = 0;

    if (global_init() != 0)
        return NULL;
    t = calloc(1, sizeof *t);
    if (!t || pthread_mutex_init(&t->lock, NULL) != 0) {
        free(t);
        global_cleanup();
        return NULL;
    }
    for (; locks < CURL_LOCK_DATA_LAST; locks++)
        if (pthread_mutex_init(&t->share_lock[locks], NULL) != 0)
            goto fail;
    t->share = curl_share_init();
    if (!t->share ||
        curl_share_setopt(t->share, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
        curl_share_setopt(t->share, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
        curl_share_setopt(t->share, CURLSHOPT_USERDATA, t) != CURLSHE_OK ||
        curl_share_setopt(t->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK)
        goto fail;
    /* TLS session reuse is an optimisation; a libcurl without it still works */
    curl_share_setopt(t->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    return t;
fail:
    transport_destroy(t, locks);
    return NULL;
}

/* The client's transport; several threads may race to create it. */
static transport *get_transport(awps_service *s)
{
    void *t = __atomic_load_n(&s->transport, __ATOMIC_ACQUIRE);
    void *expected = NULL;

    if (t)
        return t;
    t = transport_new();
    if (!t)
        return NULL;
    if (!__atomic_compare_exchange_n(&s->transport, &expected, t, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        transport_destroy(t, CURL_LOCK_DATA_LAST);
        t = expected;
    }
    return t;
}

void awps__http_free(awps_service *s)
{
    if (s && s->transport) {
        transport_destroy(s->transport, CURL_LOCK_DATA_LAST);
        s->transport = NULL;
    }
}

int awps__http_set_send(awps_service *s, awps__http_send_fn fn, void *data)
{
    transport *t = s ? get_transport(s) : NULL;

    if (!t)
        return s ? AWPS_E_NOMEM : AWPS_E_INVALID;
    t->send = fn;
    t->send_data = data;
    return AWPS_OK;
}

static CURL *pool_take(transport *t)
{
    CURL *h = NULL;

    pthread_mutex_lock(&t->lock);
    if (t->n_idle > 0)
        h = t->idle[--t->n_idle];
    pthread_mutex_unlock(&t->lock);
    return h ? h : curl_easy_init();
}

static void pool_give(transport *t, CURL *h)
{
    pthread_mutex_lock(&t->lock);
    if (t->n_idle < POOL_MAX) {
        t->idle[t->n_idle++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&t->lock);
    if (h)
        curl_easy_cleanup(h);
}

/* ---- one attempt over libcurl ---- */

void awps__http_resp_clear(awps__http_resp *resp)
{
    free(resp->body);
    memset(resp, 0, sizeof *resp);
}

typedef struct sink {
    awps__http_resp *resp;
    size_t cap;
    int too_large, nomem;
} sink;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    sink *k = ud;
    awps__http_resp *r = k->resp;

    n *= size;
    if (n > AWPS__RESPONSE_MAX - r->body_len) {
        k->too_large = 1;
        return 0;
    }
    if (r->body_len + n + 1 > k->cap) {
        size_t cap = k->cap ? k->cap : 1024;
        while (cap < r->body_len + n + 1)
            cap *= 2;
        char *b = realloc(r->body, cap);
        if (!b) {
            k->nomem = 1;
            return 0;
        }
        r->body = b;
        k->cap = cap;
    }
    memcpy(r->body + r->body_len, p, n);
    r->body_len += n;
    r->body[r->body_len] = '\0';
    return n;
}

/* Copy at most cap-1 bytes, never cutting a UTF-8 sequence. */
static void copy_trunc(char *dst, size_t cap, const char *src, size_t len)
{
    size_t n = len < cap - 1 ? len : cap - 1;

    while (n > 0 && n < len && ((unsigned char)src[n] & 0xC0) == 0x80)
        n--;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    awps__http_resp *r = ((sink *)ud)->resp;
    size_t len = size * n, colon, v;
    static const struct {
        const char *name;
        size_t off, cap;
    } keep[] = {
        {"content-type", offsetof(awps__http_resp, content_type), sizeof r->content_type},
        {"x-ms-error-code", offsetof(awps__http_resp, error_code), sizeof r->error_code},
        {"retry-after", offsetof(awps__http_resp, retry_after), sizeof r->retry_after},
        {"retry-after-ms", offsetof(awps__http_resp, retry_after_ms), sizeof r->retry_after_ms},
        {"x-ms-retry-after-ms", offsetof(awps__http_resp, x_retry_after_ms),
         sizeof r->x_retry_after_ms},
    };

    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {  /* a new answer (after 1xx) */
        r->content_type[0] = r->error_code[0] = r->retry_after[0] = '\0';
        r->retry_after_ms[0] = r->x_retry_after_ms[0] = '\0';
        return len;
    }
    for (colon = 0; colon < len && p[colon] != ':'; colon++)
        ;
    if (colon == len)
        return len;
    for (v = colon + 1; v < len && (p[v] == ' ' || p[v] == '\t'); v++)
        ;
    size_t end = len;
    while (end > v && (p[end - 1] == '\r' || p[end - 1] == '\n' || p[end - 1] == ' ' ||
                       p[end - 1] == '\t'))
        end--;
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        if (strlen(keep[i].name) == colon && awps__strncaseeq(p, keep[i].name, colon))
            copy_trunc((char *)r + keep[i].off, keep[i].cap, p + v, end - v);
    return len;
}

/* Append "name: value" (value NULL: "name:", which removes curl's own). */
static int add_header(struct curl_slist **list, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = value ? strlen(value) : 0;
    char *line = malloc(nl + vl + 3);
    struct curl_slist *l;

    if (!line)
        return -1;
    memcpy(line, name, nl);
    line[nl] = ':';
    if (value) {
        line[nl + 1] = ' ';
        memcpy(line + nl + 2, value, vl + 1);
    } else {
        line[nl + 1] = '\0';
    }
    l = curl_slist_append(*list, line);
    free(line);
    if (!l)
        return -1;
    *list = l;
    return 0;
}

/* Transport failures worth another attempt (the spec's ETIMEDOUT,
 * ECONNREFUSED, ECONNRESET, ENOTFOUND and their libcurl faces). */
static int retryable_curl(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

static int set_request(CURL *h, const awps__http_req *req, const char *url,
                       struct curl_slist **hdrs, sink *k, char *cerr)
{
    int head = strcmp(req->method, "HEAD") == 0, get = strcmp(req->method, "GET") == 0;
    int post = strcmp(req->method, "POST") == 0, put = strcmp(req->method, "PUT") == 0;
    int body = req->content_type || post || put;
    CURLcode rc = CURLE_OK;

    if (add_header(hdrs, "Authorization", req->authorization) ||
        add_header(hdrs, "x-ms-client-request-id", req->request_id) ||
        add_header(hdrs, "Accept", head ? NULL : "application/json") ||
        add_header(hdrs, "Expect", NULL) ||
        (body && add_header(hdrs, "Content-Type", req->content_type)))
        return -1;
#define OPT(o, v) if (rc == CURLE_OK) rc = curl_easy_setopt(h, o, v)
    OPT(CURLOPT_URL, url);
    OPT(CURLOPT_ERRORBUFFER, cerr);
    OPT(CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
    OPT(CURLOPT_PROTOCOLS_STR, "http,https");
#else
    OPT(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    OPT(CURLOPT_FOLLOWLOCATION, 0L);
    OPT(CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    if (req->timeout_ms)
        OPT(CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);
    OPT(CURLOPT_LOW_SPEED_LIMIT, 1L);
    OPT(CURLOPT_LOW_SPEED_TIME, LOW_SPEED_TIME_S);
    OPT(CURLOPT_TCP_KEEPALIVE, 1L);
    OPT(CURLOPT_USERAGENT, USER_AGENT);
    OPT(CURLOPT_HTTPHEADER, *hdrs);
    OPT(CURLOPT_WRITEFUNCTION, on_body);
    OPT(CURLOPT_WRITEDATA, k);
    OPT(CURLOPT_HEADERFUNCTION, on_header);
    OPT(CURLOPT_HEADERDATA, k);
    if (head) {
        OPT(CURLOPT_NOBODY, 1L);
    } else {
        OPT(CURLOPT_ACCEPT_ENCODING, "");
        if (get) {
            OPT(CURLOPT_HTTPGET, 1L);
        } else if (body) {
            OPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
            OPT(CURLOPT_POSTFIELDS, req->body ? (const char *)req->body : "");
            if (!post)
                OPT(CURLOPT_CUSTOMREQUEST, req->method);
        } else {
            OPT(CURLOPT_CUSTOMREQUEST, req->method);
        }
    }
#undef OPT
    return rc == CURLE_OK ? 0 : -1;
}

static int curl_send(transport *t, const awps__http_req *req, const char *url,
                     awps__http_resp *resp, int *retryable, char *errbuf, size_t errlen)
{
    char cerr[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdrs = NULL;
    sink k = {resp, 0, 0, 0};
    CURL *h = pool_take(t);
    CURLcode rc;

    if (!h)
        return AWPS_E_NOMEM;
    curl_easy_reset(h);
    if (set_request(h, req, url, &hdrs, &k, cerr) != 0) {
        curl_slist_free_all(hdrs);
        curl_easy_cleanup(h);
        return AWPS_E_NOMEM;
    }
    curl_easy_setopt(h, CURLOPT_SHARE, t->share);
    rc = curl_easy_perform(h);
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    /* nothing of this request may stay referenced by the pooled handle */
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    curl_slist_free_all(hdrs);
    pool_give(t, h);
    if (rc == CURLE_OK)
        return AWPS_OK;
    if (k.nomem)
        return AWPS_E_NOMEM;
    if (k.too_large)
        return AWPS_E_TOO_LARGE;
    *retryable = retryable_curl(rc);
    snprintf(errbuf, errlen, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
    return AWPS_E_TRANSPORT;
}

/* ---- retries ---- */

/* `url` with scheme://host[:port] replaced by the reverse proxy's (spec §3.3);
 * a new string. */
static char *wire_url(const char *proxy, const char *url)
{
    const char *ps, *us, *rest;
    size_t plen;
    char *out;

    if (!proxy || !*proxy || !(us = strstr(url, "://")))
        return awps__strdup(url);
    rest = us + 3 + strcspn(us + 3, "/?#");
    ps = strstr(proxy, "://");
    plen = ps ? (size_t)(ps + 3 - proxy) + strcspn(ps + 3, "/?#") : strcspn(proxy, "/?#");
    if (!ps) {  /* a bare host: keep the URL's scheme */
        size_t sl = (size_t)(us + 3 - url);
        out = malloc(sl + plen + strlen(rest) + 1);
        if (out)
            sprintf(out, "%.*s%.*s%s", (int)sl, url, (int)plen, proxy, rest);
        return out;
    }
    out = malloc(plen + strlen(rest) + 1);
    if (out)
        sprintf(out, "%.*s%s", (int)plen, proxy, rest);
    return out;
}

static uint32_t random_u32(void)
{
    uint32_t r;
    if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
        r = (uint32_t)awps__now_ms() * 2654435761u;
    return r;
}

/* Exponential back-off for retry k (0-based): d = min(max, delay * 2^k),
 * then a uniform value in [d/2, d]. */
static uint64_t backoff_ms(const awps_service *s, unsigned k)
{
    uint64_t d = s->retry_delay_ms, lo;

    for (unsigned i = 0; i < k && d < s->retry_max_delay_ms; i++)
        d *= 2;
    if (d > s->retry_max_delay_ms)
        d = s->retry_max_delay_ms;
    lo = d / 2;
    return lo + random_u32() % (d - lo + 1);
}

/* A header value as JavaScript's Number(): -1 when not a number. */
static double header_number(const char *v)
{
    char *end;
    double d;

    while (isspace((unsigned char)*v))
        v++;
    if (!*v)
        return -1;
    errno = 0;
    d = strtod(v, &end);
    while (isspace((unsigned char)*end))
        end++;
    if (*end || errno || !isfinite(d) || isnan(d))
        return -1;
    return d < 0 ? 0 : d;
}

/* The wait asked for by a 429/503 answer, in ms; -1 when it asks for none. */
static double throttle_ms(const awps__http_resp *r)
{
    double v;

    if (r->retry_after_ms[0] && (v = header_number(r->retry_after_ms)) >= 0)
        return v;
    if (r->x_retry_after_ms[0] && (v = header_number(r->x_retry_after_ms)) >= 0)
        return v;
    if (!r->retry_after[0])
        return -1;
    if ((v = header_number(r->retry_after)) >= 0)
        return v * 1000;
    time_t when = curl_getdate(r->retry_after, NULL);
    if (when == (time_t)-1)
        return -1;
    v = difftime(when, time(NULL)) * 1000;
    return v < 0 ? 0 : v;
}

/* How long to wait before the next attempt, or -1 for no retry. */
static double retry_wait(const awps_service *s, int rc, int retryable,
                         const awps__http_resp *r, unsigned k)
{
    if (rc == AWPS_E_TRANSPORT)
        return retryable ? (double)backoff_ms(s, k) : -1;
    if (rc != AWPS_OK)
        return -1;
    if (r->status == 429 || r->status == 503) {
        double w = throttle_ms(r);
        if (w >= 0)
            return w > s->retry_max_delay_ms ? s->retry_max_delay_ms : w;
    }
    if (r->status == 408 || (r->status >= 500 && r->status != 501 && r->status != 505))
        return (double)backoff_ms(s, k);
    return -1;
}

static void sleep_ms(double ms)
{
    struct timespec ts;

    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1000) * 1e6);
    if (ts.tv_nsec < 0 || ts.tv_nsec > 999999999)
        ts.tv_nsec = 0;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int awps__http_call(awps_service *s, const awps__http_req *req, awps__http_resp *resp,
                    awps_service_error *err)
{
    char errbuf[CURL_ERROR_SIZE + 64];
    transport *t = get_transport(s);
    awps__http_req timed = *req;
    char *url;
    int rc;

    timed.timeout_ms = s->timeout_ms;
    req = &timed;
    memset(resp, 0, sizeof *resp);
    if (!t)
        return awps__service_fail(err, AWPS_E_NOMEM, 0, NULL, "cannot set up libcurl");
    url = wire_url(s->proxy, req->url);
    if (!url)
        return awps__service_fail(err, AWPS_E_NOMEM, 0, NULL, "out of memory");
    for (unsigned k = 0;; k++) {
        int retryable = 0;
        double wait;

        awps__http_resp_clear(resp);
        errbuf[0] = '\0';
        rc = t->send ? t->send(t->send_data, req, url, resp, &retryable, errbuf, sizeof errbuf)
                     : curl_send(t, req, url, resp, &retryable, errbuf, sizeof errbuf);
        if (k >= s->max_retries || (wait = retry_wait(s, rc, retryable, resp, k)) < 0)
            break;
        sleep_ms(wait);
    }
    free(url);
    if (rc == AWPS_OK)
        return AWPS_OK;
    awps__http_resp_clear(resp);
    if (rc == AWPS_E_TRANSPORT)
        return awps__service_fail(err, rc, 0, NULL, "%s", errbuf[0] ? errbuf : "transport error");
    if (rc == AWPS_E_TOO_LARGE)
        return awps__service_fail(err, rc, 0, NULL, "response body larger than %zu bytes",
                                  AWPS__RESPONSE_MAX);
    return awps__service_fail(err, AWPS_E_NOMEM, 0, NULL, "out of memory");
}

/* ---- error answers ---- */

/* Non-zero when the media type is application/json or text/json. */
static int json_media(const char *ct)
{
    size_t n;

    while (*ct == ' ' || *ct == '\t')
        ct++;
    n = strcspn(ct, ";");
    while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    return (n == 16 && awps__strncaseeq(ct, "application/json", 16)) ||
           (n == 9 && awps__strncaseeq(ct, "text/json", 9));
}

int awps__http_error(const awps__http_resp *resp, awps_service_error *err)
{
    char code[sizeof err->service_code], message[sizeof err->message];
    const char *body = resp->body ? resp->body : "";
    json_t *j = NULL;

    copy_trunc(code, sizeof code, resp->error_code, strlen(resp->error_code));
    copy_trunc(message, sizeof message, body, strlen(body));
    if (resp->body_len > 0 && json_media(resp->content_type))
        j = json_loadb(body, resp->body_len, 0, NULL);
    if (json_is_object(j)) {
        const char *m = json_string_value(json_object_get(j, "message"));
        const char *c = json_string_value(json_object_get(j, "code"));
        if (m)
            copy_trunc(message, sizeof message, m, strlen(m));
        if (c && !code[0])
            copy_trunc(code, sizeof code, c, strlen(c));
    }
    json_decref(j);
    return awps__service_fail(err, AWPS_E_HTTP, resp->status, code, "%s", message);
}
