/* Helpers of the hostile-request tests; see hostile-util.h. */
#include "hostile-util.h"

#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "internal.h"

unsigned hu_port;
static awps_server *server;
static atomic_int calls;

/* ---- callbacks: every one counts ---- */

static void on_connect(awps_event *ev, awps_reply *r, void *d)
{
    const char *v;

    (void)d;
    atomic_fetch_add(&calls, 1);
    if ((v = awps_event_query_value(ev, "reject"))) {
        awps_reply_fail(r, 401, v);
        return;
    }
    if ((v = awps_event_query_value(ev, "state")))
        awps_reply_set_state_string(r, "plan", v);
    if ((v = awps_event_claim(ev, "sub")))
        awps_reply_set_user_id(r, v);
    awps_reply_success(r);
}

static void on_user(awps_event *ev, awps_reply *r, void *d)
{
    size_t len;
    const void *data = awps_event_data(ev, &len);

    (void)d;
    atomic_fetch_add(&calls, 1);
    if (strcmp(awps_event_name(ev), "uid") == 0) {  /* what the library read */
        const char *u = awps_event_user_id(ev);
        awps_reply_success_data(r, AWPS_DATA_BINARY, u ? u : "(none)", strlen(u ? u : "(none)"));
        return;
    }
    if (strcmp(awps_event_name(ev), "states") == 0) {
        char *text = json_dumps(awps_event_states(ev), JSON_COMPACT);
        awps_reply_success_data(r, AWPS_DATA_TEXT, text, strlen(text));
        free(text);
        return;
    }
    awps_reply_success_data(r, awps_event_data_type(ev), data, len);
}

static void on_notify(const awps_event *ev, void *d)
{
    (void)ev; (void)d;
    atomic_fetch_add(&calls, 1);
}

static void quiet(void *d, awps_log_level l, const char *m)
{
    (void)d; (void)l; (void)m;
}

static awps_handler *hub(const char *name, const char *path)
{
    awps_handler *h = awps_handler_new(name);

    ck_assert_ptr_nonnull(h);
    if (path)
        ck_assert_int_eq(awps_handler_set_path(h, path), AWPS_OK);
    awps_handler_on_connect(h, on_connect, NULL);
    awps_handler_on_user_event(h, on_user, NULL);
    awps_handler_on_connected(h, on_notify, NULL);
    awps_handler_on_disconnected(h, on_notify, NULL);
    awps_handler_on_group_joined(h, on_notify, NULL);
    awps_handler_on_group_left(h, on_notify, NULL);
    awps_handler_set_max_body(h, HU_CAP);
    awps_handler_set_log(h, quiet, NULL, AWPS_LOG_ERROR);
    ck_assert_int_eq(awps_server_add_handler(server, h), AWPS_OK);
    return h;
}

void hu_setup(void)
{
    awps_handler *h[3];

    server = awps_server_new();
    ck_assert_ptr_nonnull(server);
    h[0] = hub("chat", NULL);
    h[1] = hub("signed", "/signed/");
    h[2] = hub("locked", "/locked/");
    ck_assert_int_eq(awps_handler_add_key(h[1], HU_KEY), AWPS_OK);
    ck_assert_int_eq(awps_handler_add_allowed_endpoint(h[2], "https://allowed.webpubsub.azure.com"),
                     AWPS_OK);
    for (int i = 0; i < 3; i++)
        awps_handler_free(h[i]);
    awps_server_set_log(server, quiet, NULL, AWPS_LOG_ERROR);
    ck_assert_int_eq(awps_server_set_listen(server, "127.0.0.1", 0), AWPS_OK);
    ck_assert_int_eq(awps_server_set_threads(server, 2), AWPS_OK);
    ck_assert_int_eq(awps_server_start(server), AWPS_OK);
    hu_port = awps_server_port(server);
    atomic_store(&calls, 0);
}

void hu_teardown(void)
{
    awps_server_free(server);
    server = NULL;
}

int hu_calls(void)
{
    usleep(50 * 1000);
    return atomic_load(&calls);
}

void hu_reset_calls(void)
{
    atomic_store(&calls, 0);
}

long hu_post(tu_http_result *r, const char *hubname, const char *type, const char *ctype,
             const char *const *extra, const void *body, size_t len, int chunked)
{
    char t[256], hh[64], path[64], ct[256], sig[128], hex[AWPS__SIG_HEX_LEN + 1];
    const char *h[48];
    size_t n = 0;

    snprintf(t, sizeof t, "ce-type: %s", type);
    snprintf(hh, sizeof hh, "ce-hub: %s", hubname);
    snprintf(path, sizeof path, strcmp(hubname, "chat") ? "/%s/" : "/api/webpubsub/hubs/%s/",
             hubname);
    h[n++] = "ce-specversion: 1.0";
    h[n++] = "ce-awpsversion: 1.0";
    h[n++] = "ce-id: 1";
    h[n++] = "ce-connectionId: conn1";
    h[n++] = "WebHook-Request-Origin: x.webpubsub.azure.com";
    h[n++] = t;
    h[n++] = hh;
    if (ctype) {
        snprintf(ct, sizeof ct, "Content-Type: %s", ctype);
        h[n++] = ct;
    }
    if (strcmp(hubname, "signed") == 0) {
        awps__sig_compute(HU_KEY, "conn1", hex);
        snprintf(sig, sizeof sig, "ce-signature: sha256=%s", hex);
        h[n++] = sig;
    }
    for (size_t i = 0; extra && extra[i] && n < 47; i++)
        h[n++] = extra[i];
    h[n] = NULL;
    return tu_http(r, hu_port, "POST", path, h, body ? body : "", body ? len : 0, chunked);
}

void hu_still_serving(void)
{
    tu_http_result r;

    ck_assert_msg(hu_calls() == 0, "a callback ran for a hostile request");
    ck_assert_int_eq(hu_post(&r, "chat", "azure.webpubsub.user.echo", "text/plain", NULL,
                             "alive", 5, 0), 200);
    ck_assert_str_eq(r.body, "alive");
    ck_assert_int_eq(hu_calls(), 1);
}

/* ---- raw sockets ---- */

static int dial(void)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    ck_assert_int_ge(fd, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)hu_port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Read into buf until `done` says the data is complete, EOF, error or
 * timeout; returns bytes held, *eof set on EOF or reset. */
static size_t read_some(int fd, char *buf, size_t cap, size_t have, long deadline, int *eof,
                        int (*done)(const char *, size_t))
{
    while (have < cap && !(done && done(buf, have))) {
        struct pollfd p = {fd, POLLIN, 0};
        long left = deadline - now_ms();
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            break;
        ssize_t n = recv(fd, buf + have, cap - have, 0);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            *eof = 1;
            break;
        }
        have += (size_t)n;
    }
    return have;
}

/* Length of a complete response at the start of buf, or 0. */
static size_t response_len(const char *buf, size_t n)
{
    const char *end = memmem(buf, n, "\r\n\r\n", 4), *cl;
    size_t head, body = 0;

    if (!end)
        return 0;
    head = (size_t)(end - buf) + 4;
    for (cl = buf; (cl = memmem(cl, head - (size_t)(cl - buf), "\n", 1)); cl++)
        if (strncasecmp(cl + 1, "Content-Length:", 15) == 0) {
            body = strtoul(cl + 16, NULL, 10);
            break;
        }
    return n >= head + body ? head + body : 0;
}

static int complete(const char *buf, size_t n)
{
    return response_len(buf, n) != 0;
}

int hu_raw_send(hu_raw *out, const void *req, size_t len)
{
    static char buf[1 << 16];
    int fd = dial(), eof = 0;
    size_t off = 0, have, rl;
    const char *p;

    memset(out, 0, sizeof *out);
    while (off < len) {
        ssize_t n = send(fd, (const char *)req + off, len - off, MSG_NOSIGNAL);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            break;  /* the server stopped reading (it answered and closed) */
        }
        off += (size_t)n;
    }
    out->sent_all = off == len;
    have = read_some(fd, buf, sizeof buf - 1, 0, now_ms() + 15000, &eof, complete);
    buf[have] = '\0';
    if (have >= 12 && strncmp(buf, "HTTP/1.", 7) == 0)
        out->status = atoi(buf + 9);
    rl = response_len(buf, have);
    if ((p = memmem(buf, have, "\r\n\r\n", 4))) {
        size_t hl = (size_t)(p - buf);
        memcpy(out->head, buf, hl < sizeof out->head - 1 ? hl : sizeof out->head - 1);
        size_t bl = (rl ? rl : have) - hl - 4;
        out->blen = bl < sizeof out->body - 1 ? bl : sizeof out->body - 1;
        memcpy(out->body, p + 4, out->blen);
    }
    if (!eof) {  /* does the server close the connection? (drop any more data) */
        long deadline = now_ms() + 2000;
        while (!eof && now_ms() < deadline)
            read_some(fd, buf, sizeof buf - 1, 0, deadline, &eof, NULL);
    }
    out->closed = eof;
    close(fd);
    return out->status;
}

void hu_raw_cut(const void *req, size_t len)
{
    int fd = dial();
    size_t off = 0;

    while (off < len) {
        ssize_t n = send(fd, (const char *)req + off, len - off, MSG_NOSIGNAL);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    usleep(50 * 1000);  /* let the server read what arrived */
    close(fd);
    usleep(100 * 1000);  /* and notice the close */
}

char *hu_cat(char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = realloc(a, la + lb + 1);

    ck_assert_ptr_nonnull(s);
    memcpy(s + la, b, lb + 1);
    return s;
}

char *hu_raw_head(const char *type, const char *ctype)
{
    char buf[1024];

    snprintf(buf, sizeof buf,
             "POST /api/webpubsub/hubs/chat/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             "ce-specversion: 1.0\r\nce-awpsversion: 1.0\r\nce-id: 1\r\n"
             "ce-type: %s\r\nce-hub: chat\r\nce-connectionId: conn1\r\n"
             "WebHook-Request-Origin: x.webpubsub.azure.com\r\nConnection: close\r\n%s%s%s",
             type ? type : "azure.webpubsub.user.echo", ctype ? "Content-Type: " : "",
             ctype ? ctype : "", ctype ? "\r\n" : "");
    return hu_cat(calloc(1, 1), buf);
}

char *hu_fill(char c, size_t n)
{
    char *s = malloc(n + 1);

    ck_assert_ptr_nonnull(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

char *hu_b64(const void *data, size_t n)
{
    char *s = awps__b64_encode(data, n);
    ck_assert_ptr_nonnull(s);
    return s;
}
