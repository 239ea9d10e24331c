/* awps-emulator: the client endpoint — WebSocket handshake (MHD), access
 * token, the blocking connect call, then framing with wslay on the upgraded
 * socket. MHD runs a thread per connection, so the upgrade handler runs the
 * connection's whole life on that thread: it reads frames, hands them to
 * emu-client.c, and writes what other threads queued (emu_conn_ops.send). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/evp.h>
#include <wslay/wslay.h>

#include "internal.h"
#include "emu.h"

#define QUEUE_MAX_BYTES ((size_t)16 * 1024 * 1024)
#define QUEUE_MAX_FRAMES 10000
#define CLOSE_GRACE_MS 2000

typedef struct out_frame {
    struct out_frame *next;
    int text;
    size_t len;
    unsigned char data[];
} out_frame;

typedef struct ws_io {
    emu_conn *conn;
    int sock;
    int wake[2];
    struct MHD_UpgradeResponseHandle *urh;
    pthread_mutex_t lock;          /* queue and close request */
    out_frame *head, *tail;
    size_t queued_bytes, queued_frames;
    int closing, closed;
    unsigned close_code;
    char close_reason[124];        /* a close frame holds 123 bytes of reason */
    const char *extra;             /* bytes MHD read past the handshake */
    size_t extra_len;
    char **roles, **groups;        /* applied when the socket opens */
    size_t n_roles, n_groups;
    char disconnect_reason[160];
    atomic_int phase;              /* 0 handshake sent, 1 upgraded, 2 abandoned */
} ws_io;

static void wake(ws_io *io)
{
    char b = 1;
    ssize_t r = write(io->wake[1], &b, 1);
    (void)r;
}

static int io_send(emu_conn *c, int text, const void *data, size_t len)
{
    ws_io *io = c->io;
    out_frame *f;

    pthread_mutex_lock(&io->lock);
    if (io->closing || io->closed) {
        pthread_mutex_unlock(&io->lock);
        return -1;
    }
    if (io->queued_bytes + len > QUEUE_MAX_BYTES || io->queued_frames >= QUEUE_MAX_FRAMES ||
        !(f = malloc(sizeof *f + len))) {
        io->closing = 1;
        io->close_code = EMU_CLOSE_POLICY;
        snprintf(io->close_reason, sizeof io->close_reason, "outgoing queue full");
        pthread_mutex_unlock(&io->lock);
        wake(io);
        return -1;
    }
    f->next = NULL;
    f->text = text;
    f->len = len;
    memcpy(f->data, data, len);
    if (io->tail)
        io->tail->next = f;
    else
        io->head = f;
    io->tail = f;
    io->queued_bytes += len;
    io->queued_frames++;
    pthread_mutex_unlock(&io->lock);
    wake(io);
    return 0;
}

static void io_close(emu_conn *c, unsigned code, const char *reason)
{
    ws_io *io = c->io;

    /* json clients hear why first; a reliable client would try to recover a
     * connection closed normally, so closes by the service use 1008 there */
    if (c->proto == EMU_PROTO_JSON && code != 1007 && code != EMU_CLOSE_TOO_BIG) {
        json_t *m = json_pack("{s:s, s:s, s:s}", "type", "system", "event", "disconnected",
                              "message", reason ? reason : "");
        char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
        if (text)
            io_send(c, 1, text, strlen(text));
        free(text);
        json_decref(m);
        if (c->subprotocol && strstr(c->subprotocol, ".reliable.") &&
            (code == EMU_CLOSE_NORMAL || code == EMU_CLOSE_GOING_AWAY))
            code = EMU_CLOSE_POLICY;
    }
    pthread_mutex_lock(&io->lock);
    if (!io->closing && !io->closed) {
        io->closing = 1;
        io->close_code = code;
        snprintf(io->close_reason, sizeof io->close_reason, "%s", reason ? reason : "");
        /* keep the reason valid UTF-8 after truncation */
        size_t n = strlen(io->close_reason);
        while (n && !awps__utf8_valid(io->close_reason, n))
            io->close_reason[--n] = '\0';
        snprintf(io->disconnect_reason, sizeof io->disconnect_reason, "%s", io->close_reason);
    }
    pthread_mutex_unlock(&io->lock);
    wake(io);
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void io_release(emu_conn *c)
{
    ws_io *io = c->io;

    if (!io)
        return;
    while (io->head) {
        out_frame *f = io->head;
        io->head = f->next;
        free(f);
    }
    free_list(io->roles, io->n_roles);
    free_list(io->groups, io->n_groups);
    if (io->wake[0] >= 0)
        close(io->wake[0]);
    if (io->wake[1] >= 0)
        close(io->wake[1]);
    pthread_mutex_destroy(&io->lock);
    free(io);
    c->io = NULL;
}

static const emu_conn_ops ws_ops = {io_send, io_close, io_release};

/* ---- wslay callbacks ---- */

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                       void *data)
{
    ws_io *io = data;
    ssize_t r;

    (void)flags;
    if (io->extra_len) {
        size_t n = len < io->extra_len ? len : io->extra_len;
        memcpy(buf, io->extra, n);
        io->extra += n;
        io->extra_len -= n;
        return (ssize_t)n;
    }
    do
        r = recv(io->sock, buf, len, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    if (r <= 0) {
        if (!io->disconnect_reason[0])
            snprintf(io->disconnect_reason, sizeof io->disconnect_reason, "%s",
                     r == 0 ? "the client closed the socket without a close frame"
                            : "connection reset");
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return r;
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user)
{
    ws_io *io = user;
    ssize_t r;

    (void)flags;
    do
        r = send(io->sock, data, len, MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        wslay_event_set_error(ctx, errno == EAGAIN || errno == EWOULDBLOCK
                                       ? WSLAY_ERR_WOULDBLOCK
                                       : WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return r;
}

static void on_message(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *m,
                       void *user)
{
    ws_io *io = user;

    (void)ctx;
    if (m->opcode == WSLAY_TEXT_FRAME) {
        if (!awps__utf8_valid(m->msg, m->msg_length)) {
            io_close(io->conn, 1007, "text frame is not valid UTF-8");
            return;
        }
        emu_client_frame(io->conn, 1, m->msg, m->msg_length);
    } else if (m->opcode == WSLAY_BINARY_FRAME) {
        emu_client_frame(io->conn, 0, m->msg, m->msg_length);
    }
}

/* ---- the connection's life ---- */

static void run(ws_io *io, emu *e)
{
    struct wslay_event_callbacks cb = {on_recv, on_send, NULL, NULL, NULL, NULL, on_message};
    wslay_event_context_ptr ctx;
    int close_queued = 0;
    uint64_t deadline = 0;

    if (wslay_event_context_server_init(&ctx, &cb, io) != 0)
        return;
    wslay_event_config_set_max_recv_msg_length(ctx, EMU_MAX_MESSAGE);
    if (io->extra_len && wslay_event_recv(ctx) != 0)
        goto out;
    for (;;) {
        char drain[64];
        out_frame *list;
        int closing;
        struct pollfd p[2];

        while (read(io->wake[0], drain, sizeof drain) > 0)
            ;
        pthread_mutex_lock(&io->lock);
        list = io->head;
        io->head = io->tail = NULL;
        io->queued_bytes = io->queued_frames = 0;
        closing = io->closing;
        pthread_mutex_unlock(&io->lock);
        while (list) {
            out_frame *f = list;
            struct wslay_event_msg msg = {f->text ? WSLAY_TEXT_FRAME : WSLAY_BINARY_FRAME,
                                          f->data, f->len};
            list = f->next;
            wslay_event_queue_msg(ctx, &msg);
            free(f);
        }
        if (!close_queued && atomic_load(&e->stopping) && !closing) {
            io_close(io->conn, EMU_CLOSE_GOING_AWAY, "the service is stopping");
            closing = 1;
        }
        if (closing && !close_queued) {
            wslay_event_queue_close(ctx, (uint16_t)io->close_code,
                                    (const uint8_t *)io->close_reason, strlen(io->close_reason));
            close_queued = 1;
            deadline = awps__now_ms() + CLOSE_GRACE_MS;
        }
        if (!wslay_event_want_read(ctx) && !wslay_event_want_write(ctx))
            break;
        if (close_queued && awps__now_ms() > deadline)
            break;
        p[0].fd = io->sock;
        p[0].events = (short)((wslay_event_want_read(ctx) ? POLLIN : 0) |
                              (wslay_event_want_write(ctx) ? POLLOUT : 0));
        p[1].fd = io->wake[0];
        p[1].events = POLLIN;
        p[0].revents = p[1].revents = 0;
        if (poll(p, 2, 250) < 0 && errno != EINTR)
            break;
        if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && wslay_event_want_read(ctx) &&
            wslay_event_recv(ctx) != 0)
            break;
        if ((p[0].revents & POLLOUT) && wslay_event_send(ctx) != 0)
            break;
        if (wslay_event_want_write(ctx) && !(p[0].revents & POLLOUT) &&
            wslay_event_send(ctx) != 0)   /* try at once: usually room */
            break;
    }
out:
    if (!io->disconnect_reason[0] && wslay_event_get_close_received(ctx)) {
        unsigned code = wslay_event_get_status_code_received(ctx);
        if (code != 1000 && code != 1001 && code != WSLAY_CODE_NO_STATUS_RCVD)
            snprintf(io->disconnect_reason, sizeof io->disconnect_reason,
                     "the client closed the connection with code %u", code);
    }
    wslay_event_context_free(ctx);
}

static void on_upgrade(void *cls, struct MHD_Connection *connection, void *con_cls,
                       const char *extra_in, size_t extra_in_size, MHD_socket sock,
                       struct MHD_UpgradeResponseHandle *urh)
{
    ws_io *io = cls;
    emu_conn *c = io->conn;
    emu *e = c->hub->owner;
    int flags;

    (void)connection;
    (void)con_cls;
    int expected = 0;
    if (!atomic_compare_exchange_strong(&io->phase, &expected, 1)) {
        MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
        return;
    }
    io->sock = sock;
    io->urh = urh;
    io->extra = extra_in;
    io->extra_len = extra_in_size;
    flags = fcntl(sock, F_GETFL);
    if (flags >= 0)
        fcntl(sock, F_SETFL, flags | O_NONBLOCK);
    if (emu_hub_add(c, io->roles, io->n_roles, io->groups, io->n_groups) == 0) {
        emu_logf(e, "connection %s opened (user %s, subprotocol %s)", c->id,
                 c->user ? c->user : "(none)", c->subprotocol ? c->subprotocol : "(none)");
        emu_client_opened(c);
        run(io, e);
        emu_hub_remove(c);
    }
    pthread_mutex_lock(&io->lock);
    io->closed = 1;
    pthread_mutex_unlock(&io->lock);
    emu_logf(e, "connection %s closed%s%s", c->id, io->disconnect_reason[0] ? ": " : "",
             io->disconnect_reason);
    emu_client_closed(c, io->disconnect_reason[0] ? io->disconnect_reason : NULL);
    atomic_fetch_sub(&e->connections, 1);
    MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
    emu_conn_unref(c);   /* the socket's reference; io goes with the last one */
}

/* ---- the handshake ---- */

typedef struct hs {
    json_t *query, *headers;
} hs;

static enum MHD_Result add_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    hs *h = cls;
    json_t *list;

    (void)kind;
    if (!key || !strcmp(key, "access_token") || json_object_size(h->query) > 256)
        return MHD_YES;
    if (!(list = json_object_get(h->query, key))) {
        list = json_array();
        json_object_set_new(h->query, key, list);
    }
    json_array_append_new(list, json_string(value ? value : ""));
    return MHD_YES;
}

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    hs *h = cls;
    json_t *list;

    (void)kind;
    if (!key || !value || !strcasecmp(key, "Authorization") || json_object_size(h->headers) > 256)
        return MHD_YES;
    if (!(list = json_object_get(h->headers, key))) {
        list = json_array();
        json_object_set_new(h->headers, key, list);
    }
    json_array_append_new(list, json_string(value));
    return MHD_YES;
}

static int answer(struct MHD_Connection *conn, unsigned status, const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    int rc;

    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
    rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static int has_token(const char *list, const char *token)
{
    size_t n = strlen(token);

    for (const char *p = list; p && *p;) {
        p += strspn(p, " \t,");
        size_t len = strcspn(p, ",");
        size_t t = len;
        while (t && (p[t - 1] == ' ' || p[t - 1] == '\t'))
            t--;
        if (t == n && !strncasecmp(p, token, n))
            return 1;
        p += len;
    }
    return 0;
}

/* the claim as a list of strings (string or array of strings) */
static int claim_list(json_t *claims, const char *name, char ***out, size_t *n)
{
    json_t *v = json_object_get(claims, name);
    size_t i;

    *out = NULL;
    *n = 0;
    if (!v)
        return 0;
    if (json_is_string(v)) {
        if (!(*out = calloc(1, sizeof **out)) || !((*out)[0] = awps__strdup(json_string_value(v))))
            return -1;
        *n = 1;
        return 0;
    }
    if (!json_is_array(v) || json_array_size(v) > 1024)
        return -1;
    if (!json_array_size(v))
        return 0;
    if (!(*out = calloc(json_array_size(v), sizeof **out)))
        return -1;
    for (i = 0; i < json_array_size(v); i++) {
        const char *s = json_string_value(json_array_get(v, i));
        if (!s || !((*out)[i] = awps__strdup(s)))
            return *n = i, -1;
        *n = i + 1;
    }
    return 0;
}

/* append src (taken) to dst */
static int merge(char ***dst, size_t *n, char **src, size_t m)
{
    char **v;

    if (!m) {
        free(src);
        return 0;
    }
    if (!(v = realloc(*dst, (*n + m) * sizeof *v))) {
        free_list(src, m);
        return -1;
    }
    memcpy(v + *n, src, m * sizeof *v);
    free(src);
    *dst = v;
    *n += m;
    return 0;
}

static int accept_key(const char *key, char out[64])
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    char buf[128];
    char *b64;

    if (strlen(key) != 24)
        return -1;
    snprintf(buf, sizeof buf, "%s%s", key, guid);
    if (!EVP_Digest(buf, strlen(buf), md, &mdlen, EVP_sha1(), NULL))
        return -1;
    if (!(b64 = awps__b64_encode(md, mdlen)))
        return -1;
    snprintf(out, 64, "%s", b64);
    free(b64);
    return 0;
}

static int known_subprotocol(const char *p)
{
    return !strcmp(p, "json.webpubsub.azure.v1") || !strcmp(p, "json.reliable.webpubsub.azure.v1");
}

int emu_ws_handshake(emu *e, struct MHD_Connection *conn, const char *method, const char *path,
                     emu_conn **pending)
{
    const char *hub_name = NULL, *upgrade, *connection, *key, *version, *token, *offered;
    char why[256], accept[64], hubbuf[EMU_MAX_NAME + 1];
    json_t *claims = NULL, *subs;
    emu_hub *hub;
    emu_conn *c;
    ws_io *io;
    hs h = {0};
    emu_connect_result cr;
    struct MHD_Response *resp;
    int rc;

    if (!strncasecmp(path, "/client/hubs/", 13)) {
        size_t n = strlen(path + 13);
        if (n && path[13 + n - 1] == '/')
            n--;
        if (n == 0 || n > EMU_MAX_NAME || memchr(path + 13, '/', n))
            return answer(conn, 404, "unknown client path\n");
        memcpy(hubbuf, path + 13, n);
        hubbuf[n] = '\0';
        hub_name = hubbuf;
    } else {
        hub_name = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "hub");
    }
    if (strcmp(method, "GET"))
        return answer(conn, 405, "the client endpoint takes GET with a WebSocket upgrade\n");
    if (!hub_name || !(hub = emu_hub_find(e, hub_name)))
        return answer(conn, 404, "unknown hub\n");
    upgrade = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Upgrade");
    connection = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Connection");
    key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-WebSocket-Key");
    version = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-WebSocket-Version");
    if (!upgrade || !has_token(upgrade, "websocket") || !connection ||
        !has_token(connection, "upgrade") || !key || accept_key(key, accept))
        return answer(conn, 400, "expected a WebSocket upgrade request\n");
    if (!version || strcmp(version, "13")) {
        resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (!resp)
            return MHD_NO;
        MHD_add_response_header(resp, "Sec-WebSocket-Version", "13");
        rc = MHD_queue_response(conn, 426, resp);
        MHD_destroy_response(resp);
        return rc;
    }
    /* the access token: query or Authorization: Bearer */
    token = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "access_token");
    if (!token) {
        const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
        if (auth && !strncasecmp(auth, "Bearer ", 7))
            token = auth + 7;
    }
    if (!token)
        return answer(conn, 401, "missing access token\n");
    if (awps__jwt_verify(e->key, token, emu_now_s(), &claims, why, sizeof why)) {
        emu_logf(e, "client refused: %s", why);
        snprintf(why + strlen(why), sizeof why - strlen(why), "\n");
        return answer(conn, 401, why);
    }
    {
        const char *aud = json_string_value(json_object_get(claims, "aud"));
        const char *rest = aud && !strncasecmp(aud, "http://", 7)    ? aud + 7
                           : aud && !strncasecmp(aud, "https://", 8) ? aud + 8
                                                                     : NULL;
        const char *p = rest ? strchr(rest, '/') : NULL;
        char want[EMU_MAX_NAME + 32];
        snprintf(want, sizeof want, "/client/hubs/%s", hub->name);
        if (!p || strcasecmp(p, want)) {
            json_decref(claims);
            return answer(conn, 401, "the access token's audience is not this hub's client URL\n");
        }
    }
    if (atomic_load(&e->stopping) || atomic_load(&e->connections) >= EMU_MAX_CONNECTIONS) {
        json_decref(claims);
        return answer(conn, 503, "too many connections\n");
    }
    /* the connect request */
    h.query = json_object();
    h.headers = json_object();
    subs = json_array();
    offered = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-WebSocket-Protocol");
    for (const char *p = offered; p && *p && json_array_size(subs) < 32;) {
        p += strspn(p, " \t,");
        size_t len = strcspn(p, ","), t = len;
        while (t && (p[t - 1] == ' ' || p[t - 1] == '\t'))
            t--;
        if (t)
            json_array_append_new(subs, json_stringn(p, t));
        p += len;
    }
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_query, &h);
    MHD_get_connection_values(conn, MHD_HEADER_KIND, add_header, &h);
    c = emu_conn_new(hub, json_string_value(json_object_get(claims, "sub")), EMU_PROTO_PLAIN,
                     NULL, &ws_ops, NULL);
    if ((io = calloc(1, sizeof *io)))
        io->wake[0] = io->wake[1] = -1;
    if (!c || !io || !h.query || !h.headers || !subs || pipe(io->wake) != 0) {
        json_decref(claims);
        goto oom;
    }
    c->claims = claims;
    pthread_mutex_init(&io->lock, NULL);
    io->conn = c;
    c->io = io;
    fcntl(io->wake[0], F_SETFL, O_NONBLOCK);
    fcntl(io->wake[1], F_SETFL, O_NONBLOCK);
    fcntl(io->wake[0], F_SETFD, FD_CLOEXEC);
    fcntl(io->wake[1], F_SETFD, FD_CLOEXEC);
    if (claim_list(claims, "role", &io->roles, &io->n_roles) ||
        claim_list(claims, "webpubsub.group", &io->groups, &io->n_groups)) {
        emu_conn_unref(c);
        json_decref(h.query);
        json_decref(h.headers);
        json_decref(subs);
        return answer(conn, 401, "the access token's role or group claims are not strings\n");
    }
    if (emu_upstream_connect(c, h.query, h.headers, subs, &cr)) {
        unsigned status = cr.status >= 400 && cr.status <= 599 ? cr.status : 500;
        snprintf(why, sizeof why, "%s\n", cr.reason ? cr.reason : "connect refused");
        emu_logf(e, "connect refused with %u: %s", status, cr.reason ? cr.reason : "");
        emu_connect_result_clear(&cr);
        emu_conn_unref(c);
        json_decref(h.query);
        json_decref(h.headers);
        json_decref(subs);
        return answer(conn, status, why);
    }
    json_decref(h.query);
    json_decref(h.headers);
    /* apply the answer */
    if (cr.user) {
        free(c->user);
        c->user = cr.user;
        cr.user = NULL;
    }
    if (cr.subprotocol) {
        int found = 0;
        for (size_t i = 0; i < json_array_size(subs); i++)
            found |= !strcmp(json_string_value(json_array_get(subs, i)), cr.subprotocol);
        if (!found) {
            emu_connect_result_clear(&cr);
            emu_conn_unref(c);
            json_decref(subs);
            return answer(conn, 500, "the upstream chose a subprotocol the client did not offer\n");
        }
        c->subprotocol = cr.subprotocol;
        cr.subprotocol = NULL;
    } else {
        for (size_t i = 0; i < json_array_size(subs) && !c->subprotocol; i++)
            if (known_subprotocol(json_string_value(json_array_get(subs, i))))
                c->subprotocol = awps__strdup(json_string_value(json_array_get(subs, i)));
    }
    json_decref(subs);
    c->proto = c->subprotocol && known_subprotocol(c->subprotocol) ? EMU_PROTO_JSON
                                                                   : EMU_PROTO_PLAIN;
    if (merge(&io->roles, &io->n_roles, cr.roles, cr.n_roles) ||
        merge(&io->groups, &io->n_groups, cr.groups, cr.n_groups)) {
        cr.roles = cr.groups = NULL;
        cr.n_roles = cr.n_groups = 0;
        emu_connect_result_clear(&cr);
        emu_conn_unref(c);
        return answer(conn, 500, "out of memory\n");
    }
    cr.roles = cr.groups = NULL;
    cr.n_roles = cr.n_groups = 0;
    emu_connect_result_clear(&cr);
    if (emu_client_init(c) ||
        !(resp = MHD_create_response_for_upgrade(on_upgrade, io))) {
        emu_conn_unref(c);
        return answer(conn, 500, "out of memory\n");
    }
    MHD_add_response_header(resp, "Upgrade", "websocket");
    MHD_add_response_header(resp, "Sec-WebSocket-Accept", accept);
    if (c->subprotocol && (offered && *offered))
        MHD_add_response_header(resp, "Sec-WebSocket-Protocol", c->subprotocol);
    atomic_fetch_add(&e->connections, 1);
    rc = MHD_queue_response(conn, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
    MHD_destroy_response(resp);
    if (rc != MHD_YES) {
        atomic_fetch_sub(&e->connections, 1);
        emu_conn_unref(c);
        return rc;
    }
    *pending = emu_conn_ref(c);   /* the request's reference, see emu_ws_finished */
    return rc;
oom:
    if (io) {
        if (io->wake[0] >= 0)
            close(io->wake[0]);
        if (io->wake[1] >= 0)
            close(io->wake[1]);
        free(io);
    }
    if (c)
        emu_conn_unref(c);
    json_decref(h.query);
    json_decref(h.headers);
    json_decref(subs);
    return answer(conn, 500, "out of memory\n");
}

void emu_ws_finished(emu_conn *pending)
{
    ws_io *io;
    int expected = 0;

    if (!pending)
        return;
    io = pending->io;
    /* the 101 never went out: drop the socket's reference too */
    if (io && atomic_compare_exchange_strong(&io->phase, &expected, 2)) {
        atomic_fetch_sub(&pending->hub->owner->connections, 1);
        emu_conn_unref(pending);
    }
    emu_conn_unref(pending);
}
