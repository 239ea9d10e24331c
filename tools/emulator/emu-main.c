/* awps-emulator: command line, configuration, the HTTP daemon and routing.
 *
 *   awps-emulator [--listen ADDR] [--port N] [--key KEY]
 *                 [--hub NAME=URL_TEMPLATE]... [--system-events NAME=LIST]...
 *                 [--user-events NAME=LIST]... [--config FILE] [--verbose]
 *
 * Prints its connection string, then "listening on PORT" once ready; runs
 * until SIGINT or SIGTERM, then closes every client (1001) and exits 0. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "internal.h"
#include "emu.h"

#define DEFAULT_KEY "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"
#define REST_BODY_MAX (EMU_MAX_MESSAGE + 64 * 1024)

static void usage(FILE *f)
{
    fputs("usage: awps-emulator [--listen ADDR] [--port N] [--key KEY]\n"
          "                     [--hub NAME=URL_TEMPLATE]... [--system-events NAME=LIST]...\n"
          "                     [--user-events NAME=LIST]... [--config FILE] [--verbose]\n"
          "A local Azure Web PubSub service for development and tests.\n"
          "  --listen ADDR        address to bind (default 127.0.0.1)\n"
          "  --port N             port (default 8080; 0 picks a free one)\n"
          "  --key KEY            access key (default the official emulator's)\n"
          "  --hub NAME=URL       a hub and its upstream URL template ({hub}, {event});\n"
          "                       --hub NAME alone: a hub without upstream\n"
          "  --system-events NAME=LIST  connect,connected,disconnected or none (default all)\n"
          "  --user-events NAME=LIST    user events sent upstream, * for all (default *)\n"
          "  --config FILE        JSON settings (see awps-emulator(1))\n"
          "  --verbose            log every connection and upstream call to stderr\n",
          f);
}

static void die(const char *fmt, const char *arg)
{
    fputs("awps-emulator: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(2);
}

/* ---- configuration ---- */

static emu_hub *hub_get(emu *e, const char *name, size_t n)
{
    emu_hub *h, **v;

    if (n == 0 || n > EMU_MAX_NAME || strcspn(name, "/?#% ") < n)
        die("invalid hub name '%s'", name);
    for (size_t i = 0; i < e->n_hubs; i++)
        if (strlen(e->hubs[i]->name) == n && !strncasecmp(e->hubs[i]->name, name, n))
            return e->hubs[i];
    if (!(h = calloc(1, sizeof *h)) || !(v = realloc(e->hubs, (e->n_hubs + 1) * sizeof *v)) ||
        !(h->name = awps__strndup(name, n)) || !(h->user_events = calloc(1, sizeof(char *))) ||
        !(h->user_events[0] = awps__strdup("*")))
        die("%s", "out of memory");
    h->n_user_events = 1;
    h->system_events = EMU_EV_CONNECT | EMU_EV_CONNECTED | EMU_EV_DISCONNECTED;
    h->owner = e;
    emu_hub_init(h);
    e->hubs = v;
    e->hubs[e->n_hubs++] = h;
    return h;
}

static void set_template(emu_hub *h, const char *url)
{
    if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
        die("upstream URL template must start with http:// or https://: '%s'", url);
    free(h->url_template);
    if (!(h->url_template = awps__strdup(url)))
        die("%s", "out of memory");
}

static void set_system_events(emu_hub *h, const char *list)
{
    unsigned bits = 0;

    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        if (n == 7 && !strncmp(p, "connect", 7))
            bits |= EMU_EV_CONNECT;
        else if (n == 9 && !strncmp(p, "connected", 9))
            bits |= EMU_EV_CONNECTED;
        else if (n == 12 && !strncmp(p, "disconnected", 12))
            bits |= EMU_EV_DISCONNECTED;
        else if (!(n == 4 && !strncmp(p, "none", 4)) && n)
            die("unknown system event in '%s' (connect, connected, disconnected, none)", list);
        p += n + (p[n] == ',');
    }
    h->system_events = bits;
}

static void set_user_events(emu_hub *h, const char *list)
{
    for (size_t i = 0; i < h->n_user_events; i++)
        free(h->user_events[i]);
    h->n_user_events = 0;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        if (n) {
            char **v = realloc(h->user_events, (h->n_user_events + 1) * sizeof *v);
            if (!v || !(v[h->n_user_events] = awps__strndup(p, n)))
                die("%s", "out of memory");
            h->user_events = v;
            h->n_user_events++;
        }
        p += n + (p[n] == ',');
    }
}

/* NAME=VALUE; the hub NAME and VALUE (NULL when there is no '=') */
static emu_hub *named(emu *e, const char *arg, const char **value)
{
    const char *eq = strchr(arg, '=');

    *value = eq ? eq + 1 : NULL;
    return hub_get(e, arg, eq ? (size_t)(eq - arg) : strlen(arg));
}

static void list_of(json_t *v, char *buf, size_t size, const char *what)
{
    size_t i;
    json_t *item;

    buf[0] = '\0';
    if (json_is_string(v)) {
        snprintf(buf, size, "%s", json_string_value(v));
        return;
    }
    if (!json_is_array(v))
        die("config: %s must be a string or an array of strings", what);
    json_array_foreach(v, i, item) {
        if (!json_is_string(item))
            die("config: %s must be a string or an array of strings", what);
        if (strlen(buf) + json_string_length(item) + 2 > size)
            die("config: %s too long", what);
        if (i)
            strcat(buf, ",");
        strcat(buf, json_string_value(item));
    }
    if (!json_array_size(v))
        snprintf(buf, size, "none");
}

static void load_config(emu *e, const char *path, long *port)
{
    json_error_t err;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &err), *v, *hubs, *hv;
    const char *name;
    char buf[8192];

    if (!root)
        die("config: %s", err.text);
    if (!json_is_object(root))
        die("config %s: not a JSON object", path);
    if ((v = json_object_get(root, "key"))) {
        if (!json_is_string(v) || !json_string_length(v))
            die("config %s: key must be a non-empty string", path);
        free(e->key);
        e->key = awps__strdup(json_string_value(v));
    }
    if ((v = json_object_get(root, "listen"))) {
        if (!json_is_string(v))
            die("config %s: listen must be a string", path);
        free(e->listen);
        e->listen = awps__strdup(json_string_value(v));
    }
    if ((v = json_object_get(root, "port"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 65535)
            die("config %s: port must be 0..65535", path);
        *port = (long)json_integer_value(v);
    }
    hubs = json_object_get(root, "hubs");
    if (hubs && !json_is_object(hubs))
        die("config %s: hubs must be an object of hub settings", path);
    json_object_foreach(hubs, name, hv) {
        emu_hub *h = hub_get(e, name, strlen(name));
        if (!json_is_object(hv))
            die("config: hub %s must be an object", name);
        if ((v = json_object_get(hv, "url"))) {
            if (!json_is_string(v))
                die("config: hub %s: url must be a string", name);
            set_template(h, json_string_value(v));
        }
        if ((v = json_object_get(hv, "systemEvents"))) {
            list_of(v, buf, sizeof buf, "systemEvents");
            set_system_events(h, buf);
        }
        if ((v = json_object_get(hv, "userEvents"))) {
            list_of(v, buf, sizeof buf, "userEvents");
            set_user_events(h, strcmp(buf, "none") ? buf : "");
        }
    }
    json_decref(root);
}

/* ---- HTTP ---- */

typedef struct req {
    char *raw_uri;
    awps__sb body;
    int too_big;
    int started;         /* the first call (headers only) has been seen */
    emu_conn *pending;   /* a WebSocket handshake answered 101 */
} req;

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    req *r = calloc(1, sizeof *r);

    (void)cls;
    (void)c;
    if (r) {
        r->raw_uri = awps__strdup(uri ? uri : "");
        r->body.max = REST_BODY_MAX;
    }
    return r;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    req *r = *con_cls;

    (void)cls;
    (void)c;
    (void)toe;
    if (!r)
        return;
    emu_ws_finished(r->pending);
    free(r->raw_uri);
    free(r->body.p);
    free(r);
    *con_cls = NULL;
}

typedef struct query_ctx {
    const char *name;
    const char **values;
    size_t max, n;
} query_ctx;

static enum MHD_Result query_one(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    query_ctx *q = cls;

    (void)kind;
    if (key && !strcmp(key, q->name)) {
        if (q->n < q->max)
            q->values[q->n] = value ? value : "";
        q->n++;
    }
    return MHD_YES;
}

static size_t query_values(const emu_request *r, const char *name, const char **values,
                           size_t max)
{
    query_ctx q = {name, values, max, 0};

    MHD_get_connection_values(r->query_data, MHD_GET_ARGUMENT_KIND, query_one, &q);
    return q.n;
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result rc;

    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
    rc = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    emu *e = cls;
    req *r = *con_cls;

    (void)version;
    if (!r)
        return MHD_NO;
    if (!strncasecmp(url, "/client/", 8) || !strcasecmp(url, "/client")) {
        if (*upload_size) {   /* a handshake has no body: drop it */
            *upload_size = 0;
            return MHD_YES;
        }
        return (enum MHD_Result)emu_ws_handshake(e, c, method, url, &r->pending);
    }
    if (strncmp(url, "/api/", 5)) {
        if (*upload_size) {
            *upload_size = 0;
            return MHD_YES;
        }
        if (!strcmp(url, "/") && !strcmp(method, "GET"))
            return send_text(c, 200, "awps-emulator: a local Azure Web PubSub service\n");
        return send_text(c, 404, "not found: the emulator serves /client/hubs/{hub} and /api/\n");
    }
    /* REST: collect the body, bounded */
    if (!r->started) {
        r->started = 1;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!r->too_big)
            awps__sb_add(&r->body, upload, *upload_size);
        if (r->body.err)
            r->too_big = 1;
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->too_big)
        return send_text(c, 413, "{\"code\":\"Error.PayloadTooLarge\",\"message\":\"the body is over 1 MB\"}");
    {
        emu_request q = {
            .method = method,
            .path = url,
            .raw_uri = r->raw_uri,
            .host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host"),
            .authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"),
            .content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"),
            .body = r->body.p,
            .body_len = r->body.len,
            .query = query_values,
            .query_data = c,
        };
        emu_answer a = {0};
        struct MHD_Response *resp;
        enum MHD_Result rc;

        emu_rest_handle(e, &q, &a);
        resp = MHD_create_response_from_buffer(a.body_len, a.body ? a.body : (void *)"",
                                               MHD_RESPMEM_MUST_COPY);
        free(a.body);
        if (!resp)
            return MHD_NO;
        if (a.content_type)
            MHD_add_response_header(resp, "Content-Type", a.content_type);
        rc = MHD_queue_response(c, a.status ? a.status : 500, resp);
        MHD_destroy_response(resp);
        emu_logf(e, "%s %s -> %u", method, r->raw_uri, a.status);
        return rc;
    }
}

/* ---- main ---- */

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"port", required_argument, NULL, 'p'},
        {"key", required_argument, NULL, 'k'},
        {"hub", required_argument, NULL, 'h'},
        {"system-events", required_argument, NULL, 's'},
        {"user-events", required_argument, NULL, 'u'},
        {"config", required_argument, NULL, 'c'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'H'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    emu e = {0};
    long port = 8080;
    char *end;
    int opt;
    struct sockaddr_storage ss = {0};
    struct MHD_Daemon *d;
    const union MHD_DaemonInfo *info;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG;
    sigset_t sigs;
    int sig;
    char host[80], origin[128];

    e.key = awps__strdup(DEFAULT_KEY);
    e.listen = awps__strdup("127.0.0.1");
    /* the config file first, so that flags override it */
    for (int i = 1; i < argc - 1; i++)
        if (!strcmp(argv[i], "--config"))
            load_config(&e, argv[i + 1], &port);
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        const char *value;
        emu_hub *h;
        switch (opt) {
        case 'l':
            free(e.listen);
            e.listen = awps__strdup(optarg);
            break;
        case 'p':
            errno = 0;
            port = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || port < 0 || port > 65535)
                die("--port needs a number 0..65535, not '%s'", optarg);
            break;
        case 'k':
            if (!*optarg)
                die("%s", "--key must not be empty");
            free(e.key);
            e.key = awps__strdup(optarg);
            break;
        case 'h':
            h = named(&e, optarg, &value);
            if (value)
                set_template(h, value);
            break;
        case 's':
            h = named(&e, optarg, &value);
            set_system_events(h, value ? value : "");
            break;
        case 'u':
            h = named(&e, optarg, &value);
            set_user_events(h, value ? value : "");
            break;
        case 'c':
            break;
        case 'v':
            e.verbose = 1;
            break;
        case 'H':
            usage(stdout);
            return 0;
        case 'V':
            puts("awps-emulator " PACKAGE_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc)
        die("unexpected argument '%s'", argv[optind]);
    if (!e.n_hubs)
        die("%s", "no hub: give at least one --hub NAME=URL_TEMPLATE (or --hub NAME)");

    if (strchr(e.listen, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, e.listen, &a->sin6_addr) != 1)
            die("--listen: not an IP address: '%s'", e.listen);
        flags |= MHD_USE_IPv6;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, e.listen, &a->sin_addr) != 1)
            die("--listen: not an IPv4 or IPv6 address: '%s'", e.listen);
    }
    /* signals go to sigwait below, never to the worker threads */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, &e,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                         MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
                         MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)(EMU_MAX_CONNECTIONS + 256),
                         MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "awps-emulator: cannot listen on %s port %ld: %s\n", e.listen, port,
                strerror(errno));
        return 1;
    }
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    e.port = info ? info->port : (unsigned)port;
    if (!strcmp(e.listen, "0.0.0.0") || !strcmp(e.listen, "::"))
        snprintf(host, sizeof host, "localhost");
    else if (strchr(e.listen, ':'))
        snprintf(host, sizeof host, "[%s]", e.listen);
    else
        snprintf(host, sizeof host, "%s", e.listen);
    snprintf(origin, sizeof origin, "%s:%u", host, e.port);
    e.origin = origin;
    printf("Endpoint=http://%s;Port=%u;AccessKey=%s;Version=1.0;\n", host, e.port, e.key);
    for (size_t i = 0; i < e.n_hubs; i++)
        printf("hub %s -> %s\n", e.hubs[i]->name,
               e.hubs[i]->url_template ? e.hubs[i]->url_template : "(no upstream)");
    printf("listening on %u\n", e.port);
    fflush(stdout);

    while (sigwait(&sigs, &sig) != 0)
        ;
    emu_logf(&e, "signal %d: stopping", sig);
    atomic_store(&e.stopping, 1);
    for (size_t i = 0; i < e.n_hubs; i++) {
        emu_target all = {0};
        emu_close(e.hubs[i], &all, EMU_CLOSE_GOING_AWAY, "the service is stopping");
    }
    /* let the sockets finish their close handshakes before MHD stops */
    for (int i = 0; i < 300 && atomic_load(&e.connections) > 0; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(d);
    for (size_t i = 0; i < e.n_hubs; i++) {
        emu_hub *h = e.hubs[i];
        emu_hub_destroy(h);
        for (size_t j = 0; j < h->n_user_events; j++)
            free(h->user_events[j]);
        free(h->user_events);
        free(h->url_template);
        free(h->name);
        free(h);
    }
    free(e.hubs);
    free(e.key);
    free(e.listen);
    emu_upstream_cleanup();
    curl_global_cleanup();
    return 0;
}
