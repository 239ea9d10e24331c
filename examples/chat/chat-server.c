/* chat-server: the chat example's backend, built on libawps' public API.
 *
 *   chat-server [--listen ADDR] [--port N] [--db FILE] [--hub NAME]
 *               [--prefix PATH] [--www DIR] [--connection-string CS]
 *
 * One process serves, on one port:
 *   GET /, /index.html, /chat.js, /style.css   the page (files of --www)
 *   GET /negotiate?user=NAME   {"baseUrl","url","token"} for user NAME
 *   /eventhandler/{event}      the hub's upstream (signatures checked with
 *                              the connection string's access key)
 * each also under --prefix (e.g. /chat/negotiate), so that a reverse proxy
 * may strip the prefix or not. The connection string comes from
 * --connection-string or WEBPUBSUB_CONNECTION_STRING. Prints
 * "listening on PORT" once it serves; SIGINT or SIGTERM stop it gracefully.
 * See chat-events.c for the chat itself, chat-store.c for the database. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chat.h"

#ifndef CHAT_WWW_DIR
#define CHAT_WWW_DIR "examples/chat/www"
#endif

#define MAX_PREFIX 128
#define MAX_FILE ((off_t)1024 * 1024)   /* largest static file served */
#define STOP_MS 5000u                   /* grace for requests in flight */
#define OUTBOX_MS 3000u                 /* grace for queued REST calls */

/* ---- small shared helpers ---- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void chat_log(const char *fmt, ...)
{
    va_list ap;

    pthread_mutex_lock(&log_lock);
    fputs("chat-server: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    pthread_mutex_unlock(&log_lock);
}

void chat_now(char out[CHAT_TIME_LEN])
{
    struct timespec ts;
    struct tm tm;
    char buf[24];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, CHAT_TIME_LEN, "%s.%03dZ", buf, (int)(ts.tv_nsec / 1000000));
}

/* Length of the UTF-8 sequence at s (at most n bytes) and its code point;
 * 0 when it is not valid (overlong, surrogate, > U+10FFFF, truncated). */
static size_t utf8_char(const unsigned char *s, size_t n, unsigned long *cp)
{
    size_t len;
    unsigned long c;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2, c = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        len = 3, c = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        len = 4, c = s[0] & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
        (len == 4 && (c < 0x10000 || c > 0x10ffff)))
        return 0;
    *cp = c;
    return len;
}

const char *chat_name_problem(const char *name)
{
    size_t n = name ? strlen(name) : 0, i, len;
    unsigned long cp;

    if (n == 0)
        return "the user name is empty";
    if (n > CHAT_MAX_NAME)
        return "the user name is longer than 64 bytes";
    for (i = 0; i < n; i += len) {
        if (!(len = utf8_char((const unsigned char *)name + i, n - i, &cp)))
            return "the user name is not valid UTF-8";
        if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
            return "the user name holds a control character";
    }
    if (name[0] == ' ' || name[n - 1] == ' ')
        return "the user name starts or ends with a space";
    return NULL;
}

/* ---- negotiate ---- */

static const char *const roles[] = {
    "webpubsub.joinLeaveGroup." CHAT_GROUP,
    "webpubsub.sendToGroup." CHAT_GROUP,
};

static unsigned negotiate(const awps_negotiate_request *req, awps_token_options *opts,
                          char *reason, size_t reason_size, void *data)
{
    const char *user = awps_negotiate_query(req, "user");
    const char *why = user ? chat_name_problem(user) : "the query parameter user is required";

    (void)data;
    if (why) {
        snprintf(reason, reason_size, "%s\n", why);
        return 400;
    }
    opts->user_id = user;
    opts->roles = roles;
    opts->n_roles = sizeof roles / sizeof roles[0];
    return 0;
}

/* ---- static files ---- */

struct web {
    const char *www;
    const char *prefix;         /* "" or "/x/y" */
    size_t prefix_len;
};

static const struct {
    const char *ext, *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
};

/* The page talks to the service's WebSocket on another origin. */
static const char csp[] = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
                          "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

static char answered_marker;

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *text,
                                 const char *h_name, const char *h_value)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result rc;

    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
    if (h_name)
        MHD_add_response_header(r, h_name, h_value);
    rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* The content type for a plain file name, or NULL when it is not served:
 * [A-Za-z0-9._-], no leading dot, a known extension. */
static const char *file_type(const char *name)
{
    size_t n = strlen(name);
    const char *dot = strrchr(name, '.');

    if (n == 0 || n > 64 || name[0] == '.' || !dot)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return NULL;
    }
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return NULL;
}

static enum MHD_Result send_file(const struct web *w, struct MHD_Connection *c, const char *name)
{
    const char *type = file_type(name);
    char path[4096];
    struct stat st;
    struct MHD_Response *r;
    enum MHD_Result rc;
    int fd, n;

    if (!type)
        return send_text(c, 404, "not found\n", NULL, NULL);
    n = snprintf(path, sizeof path, "%s/%s", w->www, name);
    if (n < 0 || (size_t)n >= sizeof path)
        return send_text(c, 500, "the www path is too long\n", NULL, NULL);
    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return send_text(c, 404, "not found\n", NULL, NULL);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_FILE) {
        close(fd);
        return send_text(c, 404, "not found\n", NULL, NULL);
    }
    if (!(r = MHD_create_response_from_fd((uint64_t)st.st_size, fd))) {  /* owns fd now */
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    if (strcmp(type, types[0].type) == 0)
        MHD_add_response_header(r, "Content-Security-Policy", csp);
    rc = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return rc;
}

/* The fallback of the server: every request that is neither negotiate nor
 * an event. Answered on the first call; a body, if any, is not read. */
static enum MHD_Result static_files(void *cls, struct MHD_Connection *c, const char *url,
                                    const char *method, const char *version,
                                    const char *upload_data, size_t *upload_data_size,
                                    void **con_cls)
{
    const struct web *w = cls;
    const char *path = url;
    char location[MAX_PREFIX + 2];

    (void)version;
    (void)upload_data;
    if (*con_cls) {  /* already answered: drop whatever body comes */
        *upload_data_size = 0;
        return MHD_YES;
    }
    *con_cls = &answered_marker;
    if (w->prefix_len && strncmp(url, w->prefix, w->prefix_len) == 0) {
        if (url[w->prefix_len] == '\0') {  /* "/chat" -> "/chat/": relative URLs work */
            snprintf(location, sizeof location, "%s/", w->prefix);
            return send_text(c, 301, "moved\n", "Location", location);
        }
        if (url[w->prefix_len] == '/')
            path = url + w->prefix_len;
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return send_text(c, 405, "method not allowed\n", "Allow", "GET, HEAD");
    if (path[0] != '/')
        return send_text(c, 404, "not found\n", NULL, NULL);
    return send_file(w, c, path[1] ? path + 1 : "index.html");
}

/* ---- command line and wiring ---- */

struct opts {
    const char *listen, *db, *hub, *prefix, *www, *cs;
    unsigned port;
};

static void usage(FILE *out)
{
    fprintf(out, "usage: chat-server [--listen ADDR] [--port N] [--db FILE] [--hub NAME]\n"
                 "                   [--prefix PATH] [--www DIR] [--connection-string CS]\n"
                 "defaults: --listen 127.0.0.1 --port 8081 --db ./chat.db --hub chat\n"
                 "          --www %s\n"
                 "The connection string may come from WEBPUBSUB_CONNECTION_STRING.\n",
            CHAT_WWW_DIR);
}

/* 0, or 2 (usage error, reported) */
static int parse_args(int argc, char **argv, struct opts *o)
{
    static char prefix[MAX_PREFIX + 1];

    *o = (struct opts){"127.0.0.1", "chat.db", "chat", "", CHAT_WWW_DIR, NULL, 8081};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end;
        if (!strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        }
        if (!v || strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "chat-server: %s: unknown option or missing value\n", a);
            usage(stderr);
            return 2;
        }
        i++;
        if (!strcmp(a, "--listen")) {
            o->listen = v;
        } else if (!strcmp(a, "--port")) {
            unsigned long p;
            errno = 0;
            p = strtoul(v, &end, 10);
            if (errno || end == v || *end || p > 65535 || v[0] == '-') {
                fprintf(stderr, "chat-server: --port %s: not a port number\n", v);
                return 2;
            }
            o->port = (unsigned)p;
        } else if (!strcmp(a, "--db")) {
            o->db = v;
        } else if (!strcmp(a, "--hub")) {
            o->hub = v;
        } else if (!strcmp(a, "--prefix")) {
            o->prefix = v;
        } else if (!strcmp(a, "--www")) {
            o->www = v;
        } else if (!strcmp(a, "--connection-string")) {
            o->cs = v;
        } else {
            fprintf(stderr, "chat-server: unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
    }
    /* the prefix: "" or "/seg/seg" of [A-Za-z0-9._~/-], without a trailing '/' */
    size_t n = strlen(o->prefix);
    while (n && o->prefix[n - 1] == '/')
        n--;
    if (n > MAX_PREFIX || (n && o->prefix[0] != '/') ||
        strspn(o->prefix, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._~/-") <
            n) {
        fprintf(stderr, "chat-server: --prefix %s: a path like /chat is expected\n", o->prefix);
        return 2;
    }
    memcpy(prefix, o->prefix, n);
    prefix[n] = '\0';
    o->prefix = prefix;
    if (!o->cs)
        o->cs = getenv("WEBPUBSUB_CONNECTION_STRING");
    if (!o->cs || !*o->cs) {
        fprintf(stderr, "chat-server: no connection string: pass --connection-string or set "
                        "WEBPUBSUB_CONNECTION_STRING\n");
        return 2;
    }
    return 0;
}

/* The hub's upstream at PREFIX/eventhandler/ (signatures checked with key,
 * origin checked against the service's endpoint). */
static awps_handler *event_handler(const char *hub, const char *prefix, const char *key,
                                   const char *endpoint, chat_app *app)
{
    awps_handler *h = awps_handler_new(hub);
    char path[MAX_PREFIX + 32];

    snprintf(path, sizeof path, "%s/eventhandler/", prefix);
    if (!h || awps_handler_set_path(h, path) || awps_handler_add_key(h, key) ||
        awps_handler_add_allowed_endpoint(h, endpoint) ||
        awps_handler_set_max_body(h, 64 * 1024)) {
        awps_handler_free(h);
        return NULL;
    }
    chat_app_attach(app, h);
    return h;
}

int main(int argc, char **argv)
{
    struct opts o;
    sigset_t stop;
    int sig, rc, status = 1;
    char *endpoint = NULL, *key = NULL, path[MAX_PREFIX + 32];
    awps_service_error err = {0};
    awps_service *svc = NULL;
    chat_store *store = NULL;
    chat_app *app = NULL;
    awps_server *srv = NULL;
    awps_handler *h[2] = {NULL, NULL};
    awps_negotiate *neg[2] = {NULL, NULL};
    struct web web;
    int routes;

    if ((rc = parse_args(argc, argv, &o)) != 0)
        return rc;
    /* before any thread starts: SIGINT/SIGTERM are only taken by sigwait() */
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    if (awps_connection_string_parse(o.cs, &endpoint, &key, &err) != AWPS_OK ||
        !(svc = awps_service_new(o.cs, o.hub, &err))) {
        fprintf(stderr, "chat-server: bad connection string or hub: %s\n", err.message);
        status = 2;
        goto out;
    }
    awps_service_set_retry(svc, 2, 250, 2000);
    awps_service_set_timeout(svc, 5000);  /* a stuck service must not stall the REST worker */
    if (!(store = chat_store_open(o.db)) || !(app = chat_app_new(svc, store)))
        goto out;
    if (access(o.www, R_OK | X_OK) != 0)
        chat_log("warning: cannot read the www directory %s", o.www);

    /* routes with and without the prefix (just once without a prefix) */
    routes = o.prefix[0] ? 2 : 1;
    srv = awps_server_new();
    for (int i = 0; i < routes; i++) {
        const char *pre = i ? o.prefix : "";
        snprintf(path, sizeof path, "%s/negotiate", pre);
        if (!srv || !(h[i] = event_handler(o.hub, pre, key, endpoint, app)) ||
            !(neg[i] = awps_negotiate_new(svc, path, negotiate, NULL)) ||
            awps_server_add_handler(srv, h[i]) || awps_server_add_negotiate(srv, neg[i])) {
            chat_log("cannot set up the routes (out of memory or a bad hub name)");
            goto out;
        }
    }
    web = (struct web){o.www, o.prefix, strlen(o.prefix)};
    awps_server_set_fallback(srv, static_files, &web);
    if (awps_server_set_listen(srv, o.listen, o.port) != AWPS_OK) {
        fprintf(stderr, "chat-server: --listen %s: a numeric IPv4 or IPv6 address is expected\n",
                o.listen);
        status = 2;
        goto out;
    }
    if ((rc = awps_server_start(srv)) != AWPS_OK) {
        chat_log("cannot listen on %s port %u: %s", o.listen, o.port, awps_strerror(rc));
        goto out;
    }
    printf("listening on %u\n", awps_server_port(srv));
    fflush(stdout);
    chat_log("hub %s, service %s, database %s, page from %s%s%s", o.hub, endpoint, o.db, o.www,
             o.prefix[0] ? ", prefix " : "", o.prefix);

    sigwait(&stop, &sig);
    chat_log("stopping (signal %d)", sig);
    awps_server_stop(srv, STOP_MS);
    status = 0;
out:
    awps_server_free(srv);      /* no callback runs after this */
    chat_app_free(app, OUTBOX_MS);
    for (int i = 0; i < 2; i++) {
        awps_negotiate_free(neg[i]);
        awps_handler_free(h[i]);
    }
    chat_store_close(store);
    awps_service_free(svc);
    awps_free(endpoint);
    awps_free(key);
    return status;
}
