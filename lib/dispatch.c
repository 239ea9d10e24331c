/* Routing and validation: which handler takes a request, the preflight,
 * the checks done before the body is read (hub, signature, size), and
 * handing the parsed event to the user's callback. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Case-insensitive prefix match with a normalised trailing slash. */
static int path_matches(const awps_handler *h, const char *path)
{
    size_t plen = strlen(path), n = h->path_len;

    if (plen >= n)
        return awps__strncaseeq(path, h->path, n);
    return plen == n - 1 && awps__strncaseeq(path, h->path, n - 1);
}

static awps__verdict early(awps__early *e, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static awps__verdict early(awps__early *e, unsigned status, const char *fmt, ...)
{
    va_list ap;

    e->status = status;
    e->allowed_origin = NULL;
    e->body[0] = '\0';
    if (fmt) {
        va_start(ap, fmt);
        vsnprintf(e->body, sizeof e->body, fmt, ap);
        va_end(ap);
    }
    e->content_type = e->body[0] ? "text/plain; charset=utf-8" : NULL;
    return AWPS__RESPOND;
}

static awps__verdict preflight(awps_handler *h, const awps__head *hd, awps__early *e)
{
    const char *origin = hd->v[AWPS__H_ORIGIN];

    if (!origin || !*origin)
        return early(e, 400, "abuse protection: the WebHook-Request-Origin header is missing");
    int allowed = !h->n_allowed || awps__origin_allowed(origin, h->allowed, h->n_allowed);
    for (size_t i = 0; !allowed && i < hd->n_origins; i++)
        allowed = awps__origin_allowed(hd->origins[i], h->allowed, h->n_allowed);
    if (!allowed) {
        awps__logf(&h->log, AWPS_LOG_INFO, "preflight from origin '%.100s' refused", origin);
        return early(e, 400, "abuse protection: origin '%.100s' is not an allowed endpoint",
                     origin);
    }
    early(e, 200, NULL);
    e->allowed_origin = "*";
    return AWPS__RESPOND;
}

/* The answer when no callback is registered for the event. */
static int has_callback(const awps_handler *h, awps__kind kind)
{
    switch (kind) {
    case AWPS__K_CONNECT: return h->on_connect != NULL;
    case AWPS__K_USER: return h->on_user != NULL;
    case AWPS__K_CONNECTED: return h->on_connected != NULL;
    case AWPS__K_DISCONNECTED: return h->on_disconnected != NULL;
    case AWPS__K_JOINED: return h->on_joined != NULL;
    case AWPS__K_LEFT: return h->on_left != NULL;
    default: return 0;
    }
}

awps__verdict awps__dispatch_head(awps_handler *h, const char *method, const char *path,
                                  const awps__head *hd, uint64_t content_length,
                                  awps__kind *kind, awps__early *e)
{
    const char *conn = hd->v[AWPS__H_CONNECTION_ID];
    size_t max_body;

    if (!path || !method || !path_matches(h, path))
        return AWPS__DECLINE;
    if (strcmp(method, "OPTIONS") == 0)
        return preflight(h, hd, e);
    if (strcmp(method, "POST") != 0 || !hd->v[AWPS__H_AWPSVERSION] || !hd->v[AWPS__H_ORIGIN])
        return AWPS__DECLINE;
    if (hd->bad)
        return early(e, 400, "the %.64s header holds %s", hd->bad, hd->bad_why);
    if (hd->conflict)
        return early(e, 400, "the %.64s header was sent twice with different values",
                     hd->conflict);
    if (hd->extra_overflow)
        return early(e, 400, "more than %d ce-* headers besides the ones the protocol reads",
                     AWPS__HEAD_EXTRA);
    if ((*kind = awps__classify(hd->v[AWPS__H_TYPE])) == AWPS__K_NONE)
        return AWPS__DECLINE;
    if (!hd->v[AWPS__H_HUB] || !awps__strcaseeq(hd->v[AWPS__H_HUB], h->hub))
        return AWPS__DECLINE;
    if (!awps__keys_verify(&h->keys, conn, hd->v[AWPS__H_SIGNATURE])) {
        awps__logf(&h->log, AWPS_LOG_WARN, "hub %s: signature check failed for connection '%.80s'",
                   h->hub, conn ? conn : "");
        if (!conn)
            return early(e, 401, "signature check failed: the ce-connectionId header is missing");
        if (!hd->v[AWPS__H_SIGNATURE])
            return early(e, 401, "signature check failed: the ce-signature header is missing");
        return early(e, 401, "signature check failed: ce-signature matches no access key");
    }
    max_body = atomic_load(&h->max_body);
    if (content_length != UINT64_MAX && content_length > max_body)
        return early(e, 413, "the body is %llu bytes; the limit is %zu bytes",
                     (unsigned long long)content_length, max_body);
    if (!has_callback(h, *kind)) {
        /* Nothing to call: answer at once and never read the body. */
        if (*kind == AWPS__K_CONNECT && awps__is_mqtt(hd))
            return early(e, 204, NULL);
        return early(e, 200, NULL);
    }
    return AWPS__NEED_BODY;
}

void awps__early_respond(const awps__early *e, awps_respond_cb cb, void *data)
{
    awps_http_response res = {
        .status = e->status,
        .content_type = e->content_type,
        .allowed_origin = e->allowed_origin,
        .connection_state = NULL,
        .body = e->body,
        .body_len = strlen(e->body),
    };
    cb(data, &res);
}

static void respond_text(awps_respond_cb cb, void *data, unsigned status, const char *text)
{
    awps__early e;
    early(&e, status, "%s", text);
    awps__early_respond(&e, cb, data);
}

static void notify(awps_handler *h, awps_event *ev)
{
    switch (ev->type) {
    case AWPS_EVENT_CONNECTED: h->on_connected(ev, h->connected_data); break;
    case AWPS_EVENT_DISCONNECTED: h->on_disconnected(ev, h->disconnected_data); break;
    case AWPS_EVENT_GROUP_JOINED: h->on_joined(ev, h->joined_data); break;
    case AWPS_EVENT_GROUP_LEFT: h->on_left(ev, h->left_data); break;
    default: break;
    }
}

void awps__dispatch_body(awps_handler *h, awps__kind kind, const awps__head *hd, char *body,
                         size_t len, awps_respond_cb cb, void *data, awps_reply **pending)
{
    awps_event ev;
    awps__why why;
    awps_reply *r;
    int rc;

    if (pending)
        *pending = NULL;
    if (awps__event_init(&ev, h, kind, hd) != AWPS_OK) {
        awps__event_clear(&ev);
        free(body);
        respond_text(cb, data, 500, "out of memory");
        return;
    }
    if (kind == AWPS__K_CONNECT)
        rc = awps__connect_parse(&ev, body, len, &why);
    else if (kind == AWPS__K_USER)
        rc = awps__user_parse(&ev, body, len, &why);
    else
        rc = awps__notify_parse(&ev, body, len, &why);
    if (rc != 0) {
        awps__logf(&h->log, AWPS_LOG_INFO, "hub %s, %s event rejected: %s", h->hub,
                   ev.name ? ev.name : "?", why.text);
        awps__event_clear(&ev);
        respond_text(cb, data, 400, why.text);
        return;
    }
    if (kind != AWPS__K_CONNECT && kind != AWPS__K_USER) {
        notify(h, &ev);
        awps__event_clear(&ev);
        respond_text(cb, data, 200, "");
        return;
    }
    if (!(r = awps__reply_new(&ev, cb, data))) {
        awps__event_clear(&ev);
        respond_text(cb, data, 500, "out of memory");
        return;
    }
    awps_reply_hold(r);  /* the callback's reference, dropped below */
    if (kind == AWPS__K_CONNECT)
        h->on_connect(&r->ev, r, h->connect_data);
    else
        h->on_user(&r->ev, r, h->user_data);
    awps__reply_arm(r);
    if (pending && !awps_reply_is_done(r)) {
        awps_reply_hold(r);
        *pending = r;
    }
    awps_reply_release(r);
}

int awps_handler_process(awps_handler *h, const awps_http_request *req, awps_respond_cb cb,
                         void *data)
{
    awps__head hd;
    awps__early e;
    awps__kind kind = AWPS__K_NONE;
    char *body = NULL;

    if (!h || !req || !cb || !req->method || !req->path || (req->body_len && !req->body) ||
        (req->header_count && !req->headers))
        return AWPS_E_INVALID;
    awps__head_init(&hd);
    for (size_t i = 0; i < req->header_count; i++)
        awps__head_add(&hd, req->headers[i].name, req->headers[i].value);
    switch (awps__dispatch_head(h, req->method, req->path, &hd, req->body_len, &kind, &e)) {
    case AWPS__DECLINE:
        return AWPS_DECLINED;
    case AWPS__RESPOND:
        awps__early_respond(&e, cb, data);
        return AWPS_OK;
    case AWPS__NEED_BODY:
        break;
    }
    if (!(body = malloc(req->body_len + 1))) {
        awps__early ee;
        early(&ee, 500, "out of memory");
        awps__early_respond(&ee, cb, data);
        return AWPS_OK;
    }
    if (req->body_len)
        memcpy(body, req->body, req->body_len);
    body[req->body_len] = '\0';
    awps__dispatch_body(h, kind, &hd, body, req->body_len, cb, data, NULL);
    return AWPS_OK;
}
