/* awps-emulator: calls to the upstream, as the service makes them
 * (upstream-protocol.md §1–§7): the abuse-protection OPTIONS before the
 * first event to a URL, then CloudEvents binary-mode POSTs with every
 * header, ce-signature included; the connection state round trip.
 *
 * libcurl easy handles are pooled (keep-alive to the upstream); every call
 * is synchronous and runs on the thread of the connection it concerns. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "internal.h"
#include "emu.h"

#define UPSTREAM_TIMEOUT_MS 30000L
#define UPSTREAM_BODY_MAX ((size_t)16 * 1024 * 1024)   /* answer bytes read */
#define POOL_MAX 32
#define VALIDATED_MAX 256

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static CURL *pool[POOL_MAX];
static size_t pool_n;
static char *validated[VALIDATED_MAX];   /* URLs whose OPTIONS succeeded */
static size_t validated_n;

static CURL *take_handle(void)
{
    CURL *h = NULL;

    pthread_mutex_lock(&pool_lock);
    if (pool_n)
        h = pool[--pool_n];
    pthread_mutex_unlock(&pool_lock);
    if (h)
        curl_easy_reset(h);
    else
        h = curl_easy_init();
    return h;
}

static void give_handle(CURL *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&pool_lock);
    if (pool_n < POOL_MAX) {
        pool[pool_n++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&pool_lock);
    if (h)
        curl_easy_cleanup(h);
}

void emu_upstream_cleanup(void)
{
    pthread_mutex_lock(&pool_lock);
    for (size_t i = 0; i < pool_n; i++)
        curl_easy_cleanup(pool[i]);
    pool_n = 0;
    for (size_t i = 0; i < validated_n; i++)
        free(validated[i]);
    validated_n = 0;
    pthread_mutex_unlock(&pool_lock);
}

/* ---- one HTTP exchange ---- */

typedef struct answer {
    long status;
    awps__sb body;
    int too_big;
    char content_type[128];
    char *state;              /* ce-connectionState value (new) */
    int has_state;
    char allowed_origin[256];
} answer;

static size_t on_body(char *p, size_t size, size_t n, void *data)
{
    answer *a = data;
    size_t len = size * n;

    awps__sb_add(&a->body, p, len);
    if (a->body.err == AWPS_E_TOO_LARGE)
        a->too_big = 1;
    return a->body.err ? 0 : len;
}

/* value of header line `line` (len bytes) named `name`, trimmed, into out */
static int header_value(const char *line, size_t len, const char *name, char *out,
                        size_t out_size)
{
    size_t nl = strlen(name);

    if (len <= nl || line[nl] != ':' || strncasecmp(line, name, nl))
        return 0;
    line += nl + 1;
    len -= nl + 1;
    while (len && (*line == ' ' || *line == '\t'))
        line++, len--;
    while (len && isspace((unsigned char)line[len - 1]))
        len--;
    if (len >= out_size)
        len = out_size - 1;
    memcpy(out, line, len);
    out[len] = '\0';
    return 1;
}

static size_t on_header(char *p, size_t size, size_t n, void *data)
{
    answer *a = data;
    size_t len = size * n;
    char *state;

    if (len > 5 && !strncmp(p, "HTTP/", 5)) {   /* a new answer (after 100) */
        a->has_state = 0;
        free(a->state);
        a->state = NULL;
        a->content_type[0] = a->allowed_origin[0] = '\0';
        return len;
    }
    header_value(p, len, "Content-Type", a->content_type, sizeof a->content_type);
    header_value(p, len, "WebHook-Allowed-Origin", a->allowed_origin,
                 sizeof a->allowed_origin);
    /* the state whole, however long the line (curl bounds header lines):
     * a truncated state would come back corrupted on the next event */
    if (len > 19 && !strncasecmp(p, "ce-connectionState:", 19)) {
        if (!(state = malloc(len + 1)))
            return 0;   /* curl fails the transfer: out of memory */
        header_value(p, len, "ce-connectionState", state, len + 1);
        free(a->state);
        a->state = state;
        a->has_state = 1;
    }
    return len;
}

static void answer_clear(answer *a)
{
    free(a->body.p);
    free(a->state);
    memset(a, 0, sizeof *a);
}

/* The URL for `event` from the hub's template. New string. */
static char *event_url(const emu_hub *h, const char *event)
{
    awps__sb b = {.max = 65536};

    for (const char *p = h->url_template; *p;) {
        if (!strncmp(p, "{event}", 7)) {
            awps__sb_str(&b, event);
            p += 7;
        } else if (!strncmp(p, "{hub}", 5)) {
            awps__sb_str(&b, h->name);
            p += 5;
        } else {
            awps__sb_chr(&b, *p++);
        }
    }
    if (b.err || !b.p) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

static const char *origin_of(const emu *e)
{
    return e->origin;
}

/* Perform one request. 0 when an answer arrived; -1 with reason otherwise. */
static int exchange(const char *method, const char *url, struct curl_slist *headers,
                    const void *body, size_t len, answer *a, char *why, size_t why_len)
{
    CURL *h = take_handle();
    char err[CURL_ERROR_SIZE] = "";
    CURLcode rc;

    if (!h) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    a->body.max = UPSTREAM_BODY_MAX;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, UPSTREAM_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, a);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (!strcmp(method, "POST")) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    } else {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(h, CURLOPT_NOBODY, 0L);
    }
    rc = curl_easy_perform(h);
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->status);
    give_handle(h);
    if (rc != CURLE_OK) {
        snprintf(why, why_len, "upstream %s %s failed: %s", method, url,
                 a->too_big ? "answer too large" : err[0] ? err : curl_easy_strerror(rc));
        return -1;
    }
    if (a->body.err) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    return 0;
}

/* The abuse-protection check of `url`, once per URL. 0 when allowed. */
static int validate(const emu *e, const emu_hub *hub, char *why, size_t why_len)
{
    char *url = event_url(hub, "validate");
    struct curl_slist *hd = NULL, *t;
    char line[512];
    answer a = {0};
    int ok = 0, rc;

    if (!url) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    pthread_mutex_lock(&pool_lock);
    for (size_t i = 0; i < validated_n && !ok; i++)
        ok = !strcmp(validated[i], url);
    pthread_mutex_unlock(&pool_lock);
    if (ok) {
        free(url);
        return 0;
    }
    snprintf(line, sizeof line, "WebHook-Request-Origin: %s", origin_of(e));
    if ((t = curl_slist_append(hd, line)))
        hd = t;
    if ((t = curl_slist_append(hd, "ce-awpsversion: 1.0")))
        hd = t;
    rc = exchange("OPTIONS", url, hd, NULL, 0, &a, why, why_len);
    curl_slist_free_all(hd);
    if (rc == 0) {
        if (a.status < 200 || a.status > 299) {
            snprintf(why, why_len, "abuse protection: OPTIONS %s answered %ld", url, a.status);
        } else if (strcmp(a.allowed_origin, "*") && strcasecmp(a.allowed_origin, origin_of(e))) {
            snprintf(why, why_len,
                     "abuse protection: OPTIONS %s did not allow origin %s (WebHook-Allowed-Origin: '%s')",
                     url, origin_of(e), a.allowed_origin);
        } else {
            ok = 1;
        }
    }
    answer_clear(&a);
    if (ok) {
        pthread_mutex_lock(&pool_lock);
        if (validated_n < VALIDATED_MAX) {
            validated[validated_n++] = url;
            url = NULL;
        }
        pthread_mutex_unlock(&pool_lock);
    } else {
        emu_logf(e, "%s", why);
    }
    free(url);
    return ok ? 0 : -1;
}

static void add_header(struct curl_slist **hd, int *oom, const char *name, const char *value)
{
    char line[16384];
    struct curl_slist *t;

    if (!value)
        return;
    snprintf(line, sizeof line, "%s: %s", name, value);
    if ((t = curl_slist_append(*hd, line)))
        *hd = t;
    else
        *oom = 1;
}

/* POST one event for c. ce_type like "azure.webpubsub.sys.connect". 0 with
 * *a filled when an answer arrived; -1 with why. Applies a returned
 * connection state when `blocking`. */
static int post_event(emu_conn *c, const char *ce_type, const char *event, const char *ctype,
                      const void *body, size_t len, int blocking, answer *a, char *why,
                      size_t why_len)
{
    emu_hub *h = c->hub;
    emu *e = h->owner;
    struct curl_slist *hd = NULL;
    char source[512], id[32], when[32], sig[AWPS__SIG_HEX_LEN + 1], sighdr[80];
    char *url;
    int oom = 0, rc;
    time_t now = time(NULL);
    struct tm tm;

    if (validate(e, h, why, why_len))
        return -1;
    if (!(url = event_url(h, event))) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    snprintf(source, sizeof source, "/hubs/%s/client/%s", h->name, c->id);
    snprintf(id, sizeof id, "%llu", (unsigned long long)c->next_event_id++);
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (awps__sig_compute(e->key, c->id, sig) != 0) {
        free(url);
        snprintf(why, why_len, "cannot sign");
        return -1;
    }
    snprintf(sighdr, sizeof sighdr, "sha256=%s", sig);
    add_header(&hd, &oom, "Content-Type", ctype);
    add_header(&hd, &oom, "WebHook-Request-Origin", origin_of(e));
    add_header(&hd, &oom, "ce-specversion", "1.0");
    add_header(&hd, &oom, "ce-awpsversion", "1.0");
    add_header(&hd, &oom, "ce-type", ce_type);
    add_header(&hd, &oom, "ce-source", source);
    add_header(&hd, &oom, "ce-id", id);
    add_header(&hd, &oom, "ce-time", when);
    add_header(&hd, &oom, "ce-signature", sighdr);
    add_header(&hd, &oom, "ce-userId", c->user);
    add_header(&hd, &oom, "ce-connectionId", c->id);
    add_header(&hd, &oom, "ce-hub", h->name);
    add_header(&hd, &oom, "ce-eventName", event);
    add_header(&hd, &oom, "ce-subprotocol", c->subprotocol);
    add_header(&hd, &oom, "ce-connectionState", c->state);
    add_header(&hd, &oom, "Expect", "");   /* no 100-continue round trip */
    if (oom) {
        curl_slist_free_all(hd);
        free(url);
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    rc = exchange("POST", url, hd, body, len, a, why, why_len);
    curl_slist_free_all(hd);
    emu_logf(e, "POST %s (%s, connection %s) -> %ld", url, event, c->id, rc ? 0L : a->status);
    free(url);
    if (rc == 0 && blocking && a->has_state && a->status >= 200 && a->status <= 299) {
        free(c->state);
        c->state = a->state && a->state[0] ? a->state : NULL;
        if (c->state)
            a->state = NULL;
    }
    return rc;
}

/* ---- events ---- */

int emu_upstream_handles(const emu_hub *h, const char *event)
{
    if (!h->url_template)
        return 0;
    for (size_t i = 0; i < h->n_user_events; i++)
        if (!strcmp(h->user_events[i], "*") || !strcmp(h->user_events[i], event))
            return 1;
    return 0;
}

void emu_connect_result_clear(emu_connect_result *r)
{
    for (size_t i = 0; i < r->n_groups; i++)
        free(r->groups[i]);
    for (size_t i = 0; i < r->n_roles; i++)
        free(r->roles[i]);
    free(r->groups);
    free(r->roles);
    free(r->user);
    free(r->subprotocol);
    free(r->reason);
    memset(r, 0, sizeof *r);
}

/* a JSON array of strings into a new array of new strings; -1 if not one */
static int string_list(json_t *v, char ***out, size_t *n)
{
    size_t i, count;

    *out = NULL;
    *n = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v) || json_array_size(v) > 4096)
        return -1;
    count = json_array_size(v);
    if (!count)
        return 0;
    if (!(*out = calloc(count, sizeof **out)))
        return -1;
    for (i = 0; i < count; i++) {
        const char *s = json_string_value(json_array_get(v, i));
        if (!s || !((*out)[i] = awps__strdup(s)))
            return *n = i, -1;
    }
    *n = count;
    return 0;
}

int emu_upstream_connect(emu_conn *c, json_t *query, json_t *headers, json_t *subprotocols,
                         emu_connect_result *r)
{
    emu_hub *h = c->hub;
    json_t *body, *claims = json_object(), *ans;
    char *text;
    answer a = {0};
    char why[512];
    int rc;

    memset(r, 0, sizeof *r);
    if (!h->url_template || !(h->system_events & EMU_EV_CONNECT)) {
        json_decref(claims);
        return 0;
    }
    /* claims: every claim as an array of strings */
    if (c->claims && claims) {
        const char *k;
        json_t *v;
        json_object_foreach(c->claims, k, v) {
            json_t *list = json_array();
            if (json_is_array(v)) {
                size_t i;
                json_t *item;
                json_array_foreach(v, i, item) {
                    if (json_is_string(item))
                        json_array_append(list, item);
                    else if (json_is_integer(item))
                        json_array_append_new(
                            list, json_sprintf("%lld", (long long)json_integer_value(item)));
                }
            } else if (json_is_string(v)) {
                json_array_append(list, v);
            } else if (json_is_integer(v)) {
                json_array_append_new(list,
                                      json_sprintf("%lld", (long long)json_integer_value(v)));
            } else if (json_is_true(v) || json_is_false(v)) {
                json_array_append_new(list, json_string(json_is_true(v) ? "True" : "False"));
            }
            json_object_set_new(claims, k, list);
        }
    }
    body = json_pack("{s:o, s:O, s:O, s:O}", "claims", claims, "query", query, "headers", headers,
                     "subprotocols", subprotocols);
    text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text) {
        r->status = 500;
        r->reason = awps__strdup("out of memory");
        return -1;
    }
    rc = post_event(c, "azure.webpubsub.sys.connect", "connect",
                    "application/json; charset=utf-8", text, strlen(text), 1, &a, why,
                    sizeof why);
    free(text);
    if (rc) {
        r->status = 500;
        r->reason = awps__strdup(why);
        answer_clear(&a);
        return -1;
    }
    r->status = (unsigned)a.status;
    if (a.status < 200 || a.status > 299) {
        r->reason = awps__strdup(a.body.p && a.body.p[0] ? a.body.p : "connect refused");
        answer_clear(&a);
        return -1;
    }
    if (a.status == 204 || a.body.len == 0) {
        answer_clear(&a);
        return 0;
    }
    ans = json_loadb(a.body.p, a.body.len, 0, NULL);
    answer_clear(&a);
    if (!json_is_object(ans) ||
        (json_object_get(ans, "userId") && !json_is_string(json_object_get(ans, "userId")) &&
         !json_is_null(json_object_get(ans, "userId"))) ||
        (json_object_get(ans, "subprotocol") &&
         !json_is_string(json_object_get(ans, "subprotocol")) &&
         !json_is_null(json_object_get(ans, "subprotocol"))) ||
        string_list(json_object_get(ans, "groups"), &r->groups, &r->n_groups) ||
        string_list(json_object_get(ans, "roles"), &r->roles, &r->n_roles)) {
        json_decref(ans);
        emu_connect_result_clear(r);
        r->status = 500;
        r->reason = awps__strdup("the upstream's connect answer is not valid");
        return -1;
    }
    if (json_string_value(json_object_get(ans, "userId")))
        r->user = awps__strdup(json_string_value(json_object_get(ans, "userId")));
    if (json_string_value(json_object_get(ans, "subprotocol")))
        r->subprotocol = awps__strdup(json_string_value(json_object_get(ans, "subprotocol")));
    json_decref(ans);
    return 0;
}

void emu_event_result_clear(emu_event_result *r)
{
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

static const char *content_type_of(emu_dtype t)
{
    return t == EMU_TEXT ? "text/plain; charset=utf-8"
           : t == EMU_JSON ? "application/json; charset=utf-8"
                           : "application/octet-stream";
}

static emu_dtype dtype_of(const char *ctype)
{
    if (!strncasecmp(ctype, "text/plain", 10))
        return EMU_TEXT;
    if (!strncasecmp(ctype, "application/json", 16))
        return EMU_JSON;
    return EMU_BINARY;
}

int emu_upstream_user_event(emu_conn *c, const char *event, emu_dtype type, const void *data,
                            size_t len, emu_event_result *r)
{
    char ce_type[EMU_MAX_NAME + 32];
    answer a = {0};

    memset(r, 0, sizeof *r);
    snprintf(ce_type, sizeof ce_type, "azure.webpubsub.user.%s", event);
    if (post_event(c, ce_type, event, content_type_of(type), data, len, 1, &a, r->reason,
                   sizeof r->reason)) {
        answer_clear(&a);
        return -1;
    }
    r->status = (unsigned)a.status;
    if (a.status < 200 || a.status > 299) {
        snprintf(r->reason, sizeof r->reason, "upstream answered %ld%s%.200s", a.status,
                 a.body.p && a.body.p[0] ? ": " : "", a.body.p ? a.body.p : "");
        answer_clear(&a);
        return -1;
    }
    if (a.status != 204 && a.body.len) {
        r->type = dtype_of(a.content_type);
        r->len = a.body.len;
        r->body = a.body.p;
        a.body.p = NULL;
    }
    answer_clear(&a);
    return 0;
}

void emu_upstream_connected(emu_conn *c)
{
    answer a = {0};
    char why[512];

    if (!c->hub->url_template || !(c->hub->system_events & EMU_EV_CONNECTED))
        return;
    if (post_event(c, "azure.webpubsub.sys.connected", "connected",
                   "application/json; charset=utf-8", "{}", 2, 0, &a, why, sizeof why))
        emu_logf(c->hub->owner, "connected event for %s: %s", c->id, why);
    answer_clear(&a);
}

void emu_upstream_disconnected(emu_conn *c, const char *reason)
{
    answer a = {0};
    char why[512];
    json_t *body;
    char *text;

    if (!c->hub->url_template || !(c->hub->system_events & EMU_EV_DISCONNECTED))
        return;
    body = json_pack("{s:s?}", "reason", reason);
    text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text)
        return;
    if (post_event(c, "azure.webpubsub.sys.disconnected", "disconnected",
                   "application/json; charset=utf-8", text, strlen(text), 0, &a, why,
                   sizeof why))
        emu_logf(c->hub->owner, "disconnected event for %s: %s", c->id, why);
    free(text);
    answer_clear(&a);
}
