/* libmicrohttpd glue: the access-handler state machine. Collects the headers,
 * asks the handlers (awps__dispatch_head), reads the body up to the cap,
 * dispatches, and suspends the connection while a reply is pending. Requests
 * no handler takes go to the application's own access handler. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "internal.h"

struct awps_mhd {
    awps_handler **handlers;
    size_t n;
    awps_negotiate **routes;     /* negotiate endpoints, referenced */
    size_t n_routes;
    MHD_AccessHandlerCallback next;
    void *next_cls;
    MHD_RequestCompletedCallback completed;
    void *completed_cls;
    awps__log log;
    struct MHD_Response *ok_preflight;  /* shared: 200 + WebHook-Allowed-Origin: * */
    atomic_uint in_flight;       /* requests between req_new() and completion */
    atomic_int draining;         /* 0, DRAINING or DRAINED */
    pthread_mutex_t lock;        /* guards pending; with idle, wakes the drain */
    pthread_cond_t idle;
    struct req *pending;         /* requests whose reply is pending */
    size_t conn_mem;             /* the daemon's MHD_OPTION_CONNECTION_MEMORY_LIMIT */
    atomic_size_t body_bytes;    /* body buffers of the requests in flight */
    atomic_size_t body_memory;   /* their limit */
};

/* Per-request state kept in *con_cls. */
struct req {
    int ours;                    /* 0: the application's request */
    void *app_cls;               /* the application's *con_cls */
    awps_mhd *m;
    struct MHD_Connection *conn;
    awps_handler *h;
    awps__kind kind;
    char *body;
    size_t len, cap;
    uint64_t announced;          /* Content-Length (0: none), UINT64_MAX: chunked */
    int dispatched;
    int discard;                 /* over the cap: drop the body, then send `early` */
    uint64_t discarded;
    size_t head_pool;            /* what the request's header block takes of the pool */
    size_t conn_mem;             /* m->conn_mem: respond() may run after m is freed */
    size_t counted;              /* of m->body_bytes: the body buffer, until completed */
    /* A request is either dispatched (hd) or answered early (discard, early),
     * never both; sharing the space keeps struct req under glibc's 1 KiB
     * large-chunk size, whose allocation consolidates the small free lists
     * on every request. */
    union {
        awps__head hd;           /* values live in MHD's connection memory */
        awps__early early;
    } u;
    atomic_int refs;             /* the connection's, and the responder's */
    pthread_mutex_t lock;        /* guards suspended, gone, answered, resp */
    int suspended, gone;
    int answered;                /* respond() ran (resp may be NULL: close) */
    struct MHD_Response *resp;
    unsigned status;
    awps_reply *reply;           /* pending reply (referenced) */
    struct req *pprev, *pnext;   /* in m->pending */
};

/* glibc serves requests under 1 KiB (chunk and header) from its small bins */
_Static_assert(sizeof(struct req) <= 1000, "struct req must stay under 1 KiB");

/* awps_mhd_drain() is waiting for the requests in flight / is over (the
 * daemon is about to stop: no connection may be suspended any more). */
enum { DRAINING = 1, DRAINED = 2 };

static int drain_state(awps_mhd *m)
{
    return atomic_load(&m->draining);
}

/* *con_cls for requests answered on their first call, and for allowed
 * preflights, answered with the shared response once their body (if any,
 * at most DISCARD_LIMIT bytes) has been dropped. */
static char answered, preflight;

/* A body over the cap is read and dropped up to this many bytes before the
 * 413 goes out, so that clients which only read the answer after sending
 * everything (most do) see the 413 rather than a reset connection; beyond
 * it the connection is answered and closed at once. */
#define DISCARD_LIMIT ((uint64_t)64 * 1024 * 1024)
/* libmicrohttpd's MHD_OPTION_CONNECTION_MEMORY_LIMIT when none is given. */
#define MHD_DEFAULT_CONNECTION_MEMORY ((size_t)32 * 1024)
/* Bodies announced up to this size get a buffer of exactly their size. */
#define BODY_EXACT ((uint64_t)64 * 1024)

awps_mhd *awps_mhd_new(MHD_AccessHandlerCallback next, void *next_cls)
{
    awps_mhd *m = calloc(1, sizeof *m);

    if (!m)
        return NULL;
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        return NULL;
    }
    if (pthread_cond_init(&m->idle, NULL) != 0) {
        pthread_mutex_destroy(&m->lock);
        free(m);
        return NULL;
    }
    /* The answer to every allowed preflight is the same: built once. */
    m->ok_preflight = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!m->ok_preflight ||
        MHD_add_response_header(m->ok_preflight, "WebHook-Allowed-Origin", "*") != MHD_YES) {
        if (m->ok_preflight)
            MHD_destroy_response(m->ok_preflight);
        pthread_cond_destroy(&m->idle);
        pthread_mutex_destroy(&m->lock);
        free(m);
        return NULL;
    }
    atomic_init(&m->in_flight, 0);
    atomic_init(&m->draining, 0);
    m->next = next;
    m->next_cls = next_cls;
    m->conn_mem = MHD_DEFAULT_CONNECTION_MEMORY;
    atomic_init(&m->body_bytes, 0);
    atomic_init(&m->body_memory, AWPS_DEFAULT_BODY_MEMORY);
    awps__log_init(&m->log);
    return m;
}

int awps_mhd_set_body_memory(awps_mhd *m, size_t bytes)
{
    if (!m || bytes == 0)
        return AWPS_E_INVALID;
    atomic_store(&m->body_memory, bytes);
    return AWPS_OK;
}

int awps_mhd_set_connection_memory(awps_mhd *m, size_t bytes)
{
    if (!m || bytes < 1024)
        return AWPS_E_INVALID;
    m->conn_mem = bytes;
    return AWPS_OK;
}

int awps_mhd_add_handler(awps_mhd *m, awps_handler *h)
{
    awps_handler **grown;

    if (!m || !h)
        return AWPS_E_INVALID;
    if (!(grown = realloc(m->handlers, (m->n + 1) * sizeof *grown)))
        return AWPS_E_NOMEM;
    m->handlers = grown;
    m->handlers[m->n++] = awps__handler_ref(h);
    return AWPS_OK;
}

int awps_mhd_add_negotiate(awps_mhd *m, awps_negotiate *n)
{
    awps_negotiate **grown;

    if (!m || !n)
        return AWPS_E_INVALID;
    if (!(grown = realloc(m->routes, (m->n_routes + 1) * sizeof *grown)))
        return AWPS_E_NOMEM;
    m->routes = grown;
    m->routes[m->n_routes++] = awps__negotiate_ref(n);
    return AWPS_OK;
}

void awps__mhd_set_next(awps_mhd *m, MHD_AccessHandlerCallback next, void *cls)
{
    m->next = next;
    m->next_cls = cls;
}

void awps__mhd_undrain(awps_mhd *m)
{
    atomic_store(&m->draining, 0);
}

void awps_mhd_set_completed(awps_mhd *m, MHD_RequestCompletedCallback cb, void *cls)
{
    if (m) {
        m->completed = cb;
        m->completed_cls = cls;
    }
}

void awps_mhd_set_log(awps_mhd *m, awps_log_cb cb, void *data, awps_log_level max)
{
    if (m) {
        m->log.cb = cb;
        m->log.data = cb ? data : NULL;
        m->log.max = max;
    }
}

void awps_mhd_free(awps_mhd *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        awps__handler_unref(m->handlers[i]);
    free(m->handlers);
    for (size_t i = 0; i < m->n_routes; i++)
        awps_negotiate_free(m->routes[i]);
    free(m->routes);
    MHD_destroy_response(m->ok_preflight);
    pthread_cond_destroy(&m->idle);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

unsigned awps_mhd_in_flight(const awps_mhd *m)
{
    return m ? atomic_load(&((awps_mhd *)m)->in_flight) : 0;
}

static struct req *req_new(awps_mhd *m, struct MHD_Connection *c, awps_handler *h)
{
    struct req *q = calloc(1, sizeof *q);

    if (!q)
        return NULL;
    if (pthread_mutex_init(&q->lock, NULL) != 0) {
        free(q);
        return NULL;
    }
    q->ours = 1;
    q->m = m;
    q->conn = c;
    q->h = h;  /* the glue holds it: q->h is only used inside the daemon's callbacks */
    atomic_init(&q->refs, 1);
    atomic_fetch_add(&m->in_flight, 1);
    return q;
}

static struct MHD_Response *make_response(const awps_http_response *res)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(res->body_len, (void *)res->body, MHD_RESPMEM_MUST_COPY);

    if (!r)
        return NULL;
    if ((res->content_type && MHD_add_response_header(r, "Content-Type", res->content_type) != MHD_YES) ||
        (res->allowed_origin &&
         MHD_add_response_header(r, "WebHook-Allowed-Origin", res->allowed_origin) != MHD_YES) ||
        (res->connection_state &&
         MHD_add_response_header(r, "ce-connectionState", res->connection_state) != MHD_YES)) {
        MHD_destroy_response(r);
        return NULL;
    }
    return r;
}

static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r)
{
    enum MHD_Result rc;

    if (!r)
        return MHD_NO;  /* out of memory: MHD closes the connection */
    rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result queue_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    awps_http_response res = {status, "text/plain; charset=utf-8", NULL, NULL, text,
                              strlen(text)};
    return queue(c, status, make_response(&res));
}

/* The answer to an allowed preflight: m->ok_preflight. */
static int is_ok_preflight(const awps__early *e)
{
    return e->status == 200 && !e->content_type && !e->body[0] && e->allowed_origin &&
           strcmp(e->allowed_origin, "*") == 0;
}

static enum MHD_Result queue_early(awps_mhd *m, struct MHD_Connection *c, const awps__early *e)
{
    awps_http_response res = {e->status, e->content_type, e->allowed_origin, NULL, e->body,
                              strlen(e->body)};

    if (is_ok_preflight(e))
        return MHD_queue_response(c, 200, m->ok_preflight);  /* shared: not destroyed */
    return queue(c, e->status, make_response(&res));
}

/* The request's body buffer no longer counts against the glue's limit. */
static void uncount_body(struct req *q)
{
    if (q->counted) {
        atomic_fetch_sub(&q->m->body_bytes, q->counted);
        q->counted = 0;
    }
}

static void req_unref(struct req *q)
{
    if (atomic_fetch_sub(&q->refs, 1) != 1)
        return;
    if (q->resp)
        MHD_destroy_response(q->resp);
    free(q->body);
    pthread_mutex_destroy(&q->lock);
    free(q);
}

/* Queue the prepared answer (an async reply's, or a negotiate answer);
 * MHD_NO (close the connection) when there is none. */
static enum MHD_Result queue_ready(struct req *q, struct MHD_Connection *c)
{
    pthread_mutex_lock(&q->lock);
    struct MHD_Response *r = q->resp;
    q->resp = NULL;
    pthread_mutex_unlock(&q->lock);
    return r ? queue(c, q->status, r) : MHD_NO;
}

/* One header line of an answer: "Name: value\r\n". */
static size_t line_bytes(const char *name, const char *value)
{
    return value ? strlen(name) + strlen(value) + 4 : 0;
}

/* The answer's header block does not fit in the connection's memory beside
 * the request's: libmicrohttpd 0.9.75 would close the connection without an
 * answer. Only a ce-connectionState can make it that large. */
static int answer_too_large(const struct req *q, const awps_http_response *res,
                            size_t *state_len)
{
    size_t need;

    if (!res->connection_state)
        return 0;
    *state_len = strlen(res->connection_state);
    /* status line, Date, Content-Length, Connection and the blank line
     * take < 128 bytes; 64 more for what libmicrohttpd keeps besides */
    need = q->head_pool + 128 + 64 + line_bytes("Content-Type", res->content_type) +
           line_bytes("WebHook-Allowed-Origin", res->allowed_origin) +
           line_bytes("ce-connectionState", res->connection_state);
    return need > q->conn_mem;
}

/* The respond callback of the core: may run on any thread, also after the
 * connection is gone and the glue freed (a reply answered late), so it
 * touches q->m only under q->lock while the connection is there. */
static void respond(void *data, const awps_http_response *res)
{
    struct req *q = data;
    struct MHD_Response *r;
    size_t state_len;
    char why[320];
    awps_http_response err = {500, "text/plain; charset=utf-8", NULL, NULL, why, 0};
    int too_large = answer_too_large(q, res, &state_len);

    if (too_large) {
        snprintf(why, sizeof why,
                 "the answer's ce-connectionState (%zu bytes) does not fit in the connection "
                 "memory (%zu bytes, of which the request's headers take %zu): keep the "
                 "connection state smaller or raise the connection memory\n",
                 state_len, q->conn_mem, q->head_pool);
        err.body_len = strlen(why);
        r = make_response(&err);
        res = &err;
    } else {
        r = make_response(res);
    }

    pthread_mutex_lock(&q->lock);
    q->answered = 1;
    if (q->gone || !r) {
        if (r)
            MHD_destroy_response(r);
        else
            q->status = 0;  /* nothing to send: close the connection */
    } else {
        q->resp = r;
        q->status = res->status;
        /* (the daemon, and so the glue, cannot finish stopping while this
         * connection is not gone: it waits for awps_mhd_completed) */
        if (too_large)
            awps__logf(&q->m->log, AWPS_LOG_ERROR, "answered 500: %.*s",
                       (int)err.body_len - 1, why);
    }
    if (q->suspended) {
        q->suspended = 0;
        MHD_resume_connection(q->conn);
    }
    pthread_mutex_unlock(&q->lock);
    req_unref(q);
}

/* Answer at once and close the connection (the body is never read). */
static enum MHD_Result refuse_and_close(struct MHD_Connection *c, unsigned status,
                                        const char *why, void **con_cls)
{
    awps_http_response res = {status, "text/plain; charset=utf-8", NULL, NULL, why,
                              strlen(why)};
    struct MHD_Response *r = make_response(&res);

    *con_cls = &answered;
    if (r && MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES) {
        MHD_destroy_response(r);
        r = NULL;
    }
    return queue(c, status, r);
}

/* The client waits for "100 Continue" before it sends its body. */
static int expects_continue(struct MHD_Connection *c)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
    return v && strcasecmp(v, "100-continue") == 0;
}

static int can_suspend(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_DAEMON);
    const union MHD_DaemonInfo *di =
        ci ? MHD_get_daemon_info(ci->daemon, MHD_DAEMON_INFO_FLAGS) : NULL;
    return di && (di->flags & MHD_ALLOW_SUSPEND_RESUME) == MHD_ALLOW_SUSPEND_RESUME;
}

/* An answer decided from the headers goes out once the body (if any) has
 * been read and dropped, so that the connection stays open for the next
 * request; bodies announced over DISCARD_LIMIT are answered at once and the
 * connection closed. (libmicrohttpd 0.9.75 closes the connection after an
 * answer queued on the first call, even for a request without a body.) */
static enum MHD_Result answer_later(awps_mhd *m, struct MHD_Connection *c, const awps__early *e,
                                    uint64_t clen, void **con_cls)
{
    struct req *q;

    if ((clen != UINT64_MAX && clen > DISCARD_LIMIT) || expects_continue(c)) {
        /* no "100 Continue": the client is answered before it sends the body */
        *con_cls = &answered;
        return queue_early(m, c, e);
    }
    if (clen != UINT64_MAX && is_ok_preflight(e)) {  /* nothing to keep per request */
        atomic_fetch_add(&m->in_flight, 1);
        *con_cls = &preflight;
        return MHD_YES;
    }
    if (!(q = req_new(m, c, NULL)))
        return MHD_NO;
    q->discard = q->dispatched = 1;
    q->u.early = *e;
    *con_cls = q;
    return MHD_YES;
}

static const char *negotiate_lookup(void *ctx, int kind, const char *name)
{
    return MHD_lookup_connection_value(ctx, kind ? MHD_HEADER_KIND : MHD_GET_ARGUMENT_KIND, name);
}

/* A query parameter's name or value holds a NUL byte (%00): a lookup would
 * see only the part before it. */
static enum MHD_Result find_nul(void *cls, enum MHD_ValueKind kind, const char *key,
                                size_t key_size, const char *value, size_t value_size)
{
    int *nul = cls;

    (void)kind;
    if (strlen(key) != key_size || (value && strlen(value) != value_size)) {
        *nul = 1;
        return MHD_NO;
    }
    return MHD_YES;
}

/* A negotiate request: answered from the request line and headers, sent
 * once the (unexpected) body, if any, has been dropped. */
static enum MHD_Result negotiate(awps_mhd *m, awps_negotiate *n, struct MHD_Connection *c,
                                 const char *method, uint64_t clen, void **con_cls)
{
    awps_negotiate_request req = {negotiate_lookup, c};
    awps__negotiate_out out;
    awps_http_response res;
    struct req *q;

    int nul = 0;

    MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, find_nul, &nul);
    if (nul) {
        out.status = 400;
        out.content_type = "text/plain; charset=utf-8";
        out.body = awps__strdup("a query parameter holds a NUL byte (%00)");
    } else {
        awps__negotiate_answer(n, method, &req, &out);
    }
    res = (awps_http_response){out.status, out.content_type, NULL, NULL,
                               out.body ? out.body : "", out.body ? strlen(out.body) : 0};
    struct MHD_Response *r = make_response(&res);
    free(out.body);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if ((clen != UINT64_MAX && clen > DISCARD_LIMIT) || expects_continue(c)) {
        *con_cls = &answered;
        return queue(c, res.status, r);
    }
    if (!(q = req_new(m, c, NULL))) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    q->discard = q->dispatched = 1;
    q->resp = r;
    q->status = res.status;
    *con_cls = q;
    return MHD_YES;
}

/* First call: find the handler that takes the request, or hand it on. */
static enum MHD_Result first_call(awps_mhd *m, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    awps__head hd;
    awps__early e;
    awps__kind kind = AWPS__K_NONE;
    uint64_t clen;
    size_t pool;
    struct req *q;
    char why[160];
    unsigned bad;

    awps__head_init(&hd);
    if ((bad = awps__mhd_read_head(c, &hd, &clen, &pool, why, sizeof why)) != 0)
        return refuse_and_close(c, bad, why, con_cls);
    for (size_t i = 0; i < m->n_routes; i++) {
        if (!awps__negotiate_matches(m->routes[i], url))
            continue;
        if (hd.bad) {  /* a header the callback might read holds a NUL byte, ... */
            e.status = 400;
            e.allowed_origin = NULL;
            e.content_type = "text/plain; charset=utf-8";
            snprintf(e.body, sizeof e.body, "the %.64s header holds %s", hd.bad, hd.bad_why);
            return answer_later(m, c, &e, clen, con_cls);
        }
        return negotiate(m, m->routes[i], c, method, clen, con_cls);
    }
    for (size_t i = 0; i < m->n; i++) {
        switch (awps__dispatch_head(m->handlers[i], method, url, &hd, clen, &kind, &e)) {
        case AWPS__DECLINE:
            continue;
        case AWPS__RESPOND:
            return answer_later(m, c, &e, clen, con_cls);
        case AWPS__NEED_BODY:
            if (drain_state(m))  /* accepted before the drain: finished; new: refused */
                return refuse_and_close(c, 503, "the server is shutting down", con_cls);
            if (!(q = req_new(m, c, m->handlers[i])))
                return MHD_NO;
            q->kind = kind;
            q->u.hd = hd;
            q->announced = clen;
            /* the request line: method, URL (the query string is not counted) and version */
            q->head_pool = pool + strlen(method) + strlen(url) + strlen(version) + 4;
            q->conn_mem = m->conn_mem;
            *con_cls = q;
            return MHD_YES;
        }
    }
    if (!m->next) {
        e.status = 404;
        e.allowed_origin = NULL;
        e.content_type = "text/plain; charset=utf-8";
        snprintf(e.body, sizeof e.body, "not found: no Web PubSub hub handles %.16s %.120s\n",
                 method, url);
        return answer_later(m, c, &e, clen, con_cls);
    }
    if (!(q = calloc(1, sizeof *q)))
        return MHD_NO;
    *con_cls = q;  /* ours == 0: the application's */
    return m->next(m->next_cls, c, url, method, version, upload_data, upload_data_size,
                   &q->app_cls);
}

/* Append upload data: 0, or 413 over the handler's cap, or 503 when the
 * buffer would take the bodies in flight over the glue's limit (or memory
 * ran out). */
static unsigned append_body(struct req *q, const char *data, size_t n)
{
    size_t max = atomic_load(&q->h->max_body);

    if (n > max || q->len > max - n)
        return 413;
    if (q->len + n + 1 > q->cap) {
        /* The announced length when it is small (a buffer of exactly that
         * size; nothing is reserved before the bytes arrive), else from
         * 1 KiB up. */
        size_t cap = q->cap ? q->cap
                     : q->announced <= BODY_EXACT && q->announced >= n ? (size_t)q->announced + 1
                                                                        : 1024;
        while (cap < q->len + n + 1)
            cap *= 2;
        if (cap > max + 1)
            cap = max + 1;
        size_t more = cap - q->cap;
        size_t limit = atomic_load(&q->m->body_memory);
        size_t before = atomic_fetch_add(&q->m->body_bytes, more);
        if (before > limit || more > limit - before) {
            atomic_fetch_sub(&q->m->body_bytes, more);
            return 503;
        }
        q->counted += more;
        char *grown = realloc(q->body, cap);
        if (!grown)
            return 503;  /* (counted until the request is over) */
        q->body = grown;
        q->cap = cap;
    }
    memcpy(q->body + q->len, data, n);
    q->len += n;
    q->body[q->len] = '\0';
    return 0;
}

static void pending_add(awps_mhd *m, struct req *q)
{
    pthread_mutex_lock(&m->lock);
    q->pprev = NULL;
    q->pnext = m->pending;
    if (m->pending)
        m->pending->pprev = q;
    m->pending = q;
    pthread_mutex_unlock(&m->lock);
}

static enum MHD_Result dispatch(awps_mhd *m, struct req *q, struct MHD_Connection *c)
{
    if (drain_state(m) == DRAINED)
        return queue_text(c, 503, "the server is shutting down");
    q->dispatched = 1;
    atomic_fetch_add(&q->refs, 1);  /* the responder's reference */
    char *body = q->body;
    q->body = NULL;
    awps__dispatch_body(q->h, q->kind, &q->u.hd, body, q->len, respond, q, &q->reply);
    if (q->reply)
        pending_add(m, q);
    pthread_mutex_lock(&q->lock);
    if (q->answered) {  /* answered inside the callback */
        pthread_mutex_unlock(&q->lock);
        return queue_ready(q, c);
    }
    if (!can_suspend(c)) {
        pthread_mutex_unlock(&q->lock);
        awps__logf(&m->log, AWPS_LOG_ERROR,
                   "a reply was not completed inside its callback, and the daemon was started "
                   "without MHD_ALLOW_SUSPEND_RESUME: answering 500");
        awps__reply_abort(q->reply, 500, "the reply could not be awaited");
        return queue_ready(q, c);
    }
    if (drain_state(m) == DRAINED) {
        /* The callback outlived the drain: a connection left suspended now
         * would abort MHD_stop_daemon(). */
        pthread_mutex_unlock(&q->lock);
        awps__reply_abort(q->reply, 503, "the server is shutting down");
        return queue_ready(q, c);
    }
    q->suspended = 1;
    MHD_suspend_connection(c);
    pthread_mutex_unlock(&q->lock);
    return MHD_YES;
}

enum MHD_Result awps_mhd_access(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *upload_data,
                                size_t *upload_data_size, void **con_cls)
{
    awps_mhd *m = cls;
    struct req *q = *con_cls;

    if (!q)
        return first_call(m, c, url, method, version, upload_data, upload_data_size, con_cls);
    if ((void *)q == (void *)&answered)
        return MHD_YES;
    if ((void *)q == (void *)&preflight) {
        if (*upload_data_size) {  /* at most the announced length: dropped */
            *upload_data_size = 0;
            return MHD_YES;
        }
        return MHD_queue_response(c, 200, m->ok_preflight);
    }
    if (!q->ours)
        return m->next ? m->next(m->next_cls, c, url, method, version, upload_data,
                                 upload_data_size, &q->app_cls)
                       : MHD_YES;
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (q->discard) {
            q->discarded += n;
            if (q->discarded <= DISCARD_LIMIT)
                return MHD_YES;
            return q->resp ? queue_ready(q, c) : queue_early(m, c, &q->u.early);
        }
        unsigned refused = q->dispatched ? 0 : append_body(q, upload_data, n);
        if (refused) {
            q->discard = q->dispatched = 1;  /* never dispatch this one */
            q->discarded = q->len + n;
            free(q->body);
            q->body = NULL;
            uncount_body(q);
            if (refused == 413)
                snprintf(q->u.early.body, sizeof q->u.early.body,
                         "the body exceeds the limit of %zu bytes",
                         atomic_load(&q->h->max_body));
            else
                snprintf(q->u.early.body, sizeof q->u.early.body,
                         "the server holds too many request bodies at once (limit %zu "
                         "bytes): try again later", atomic_load(&m->body_memory));
            q->u.early.status = refused;
            q->u.early.content_type = "text/plain; charset=utf-8";
            q->u.early.allowed_origin = NULL;
        }
        return MHD_YES;
    }
    if (q->discard)  /* a prepared answer (negotiate) or an early one */
        return q->resp ? queue_ready(q, c) : queue_early(m, c, &q->u.early);
    if (!q->dispatched)
        return dispatch(m, q, c);
    return queue_ready(q, c);  /* resumed after a reply completed on another thread */
}

/* A request in flight is over. The drain waits with a short timeout, so a
 * wake-up lost between its check and its wait only delays it. */
static void landed(awps_mhd *m)
{
    if (atomic_fetch_sub(&m->in_flight, 1) == 1 && drain_state(m)) {
        pthread_mutex_lock(&m->lock);
        pthread_cond_broadcast(&m->idle);
        pthread_mutex_unlock(&m->lock);
    }
}

void awps_mhd_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    awps_mhd *m = cls;
    struct req *q = *con_cls;

    *con_cls = NULL;
    if (!q || (void *)q == (void *)&answered)
        return;
    if ((void *)q == (void *)&preflight) {
        landed(m);
        return;
    }
    if (!q->ours) {
        if (m->completed)
            m->completed(m->completed_cls, c, &q->app_cls, toe);
        free(q);
        return;
    }
    pthread_mutex_lock(&q->lock);
    q->gone = 1;
    pthread_mutex_unlock(&q->lock);
    uncount_body(q);  /* the request is over (a held reply's event may keep its body) */
    if (q->reply) {
        pthread_mutex_lock(&m->lock);
        if (q->pprev)
            q->pprev->pnext = q->pnext;
        else
            m->pending = q->pnext;
        if (q->pnext)
            q->pnext->pprev = q->pprev;
        pthread_mutex_unlock(&m->lock);
    }
    landed(m);
    if (q->reply)
        awps_reply_release(q->reply);
    req_unref(q);
}

/* Wait until nothing is in flight or the deadline passes; 1 when idle. */
static int wait_idle(awps_mhd *m, uint64_t deadline)
{
    int idle;

    pthread_mutex_lock(&m->lock);
    while (atomic_load(&m->in_flight) > 0 && awps__now_ms() < deadline) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 10 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&m->idle, &m->lock, &ts);
    }
    idle = atomic_load(&m->in_flight) == 0;
    pthread_mutex_unlock(&m->lock);
    return idle;
}

int awps_mhd_drain(awps_mhd *m, unsigned timeout_ms)
{
    uint64_t deadline = awps__now_ms() + timeout_ms;

    if (!m)
        return AWPS_E_INVALID;
    /* New requests are refused; those accepted before are finished. */
    atomic_store(&m->draining, DRAINING);
    if (wait_idle(m, deadline)) {
        atomic_store(&m->draining, DRAINED);
        return AWPS_OK;
    }
    /* Answer what is still pending, until nothing is left (bounded); from
     * now on no reply is awaited. */
    atomic_store(&m->draining, DRAINED);
    deadline = awps__now_ms() + 2000;
    do {
        awps_reply *batch[64];
        size_t n = 0;
        pthread_mutex_lock(&m->lock);
        for (struct req *q = m->pending; q && n < 64; q = q->pnext) {
            if (!awps_reply_is_done(q->reply)) {
                awps_reply_hold(q->reply);
                batch[n++] = q->reply;
            }
        }
        pthread_mutex_unlock(&m->lock);
        for (size_t i = 0; i < n; i++) {
            awps__reply_abort(batch[i], 503, "the server is shutting down");
            awps_reply_release(batch[i]);
        }
    } while (!wait_idle(m, awps__now_ms() + 20 < deadline ? awps__now_ms() + 20 : deadline) &&
             awps__now_ms() < deadline);
    return awps_mhd_in_flight(m) == 0 ? AWPS_OK : AWPS_E_BUSY;
}
