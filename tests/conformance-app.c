/* The conformance app (see tests/data/README of the vectors): four hubs and
 * GET /_log, served by the standalone awps_server.
 *
 *   conformance-app --port N      listen on 127.0.0.1:N (0 = a free port)
 *
 * The user event "slow" (tests/shutdown.sh) is answered "slow done" from a
 * worker thread after the number of milliseconds in its body (default
 * 1000); its start is recorded in /_log as {"event":"slow"}. "async"
 * (tests/soak.sh) is the same, not recorded.
 *
 * Prints "listening on PORT" once ready; SIGTERM or SIGINT stops it
 * gracefully and it exits 0. */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include <awps.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static json_t *log_entries;

/* ---- connect ---- */

static void on_connect(awps_event *ev, awps_reply *reply, void *data)
{
    (void)data;
    json_t *mqtt = awps_event_mqtt(ev);
    const char *user = json_string_value(json_object_get(mqtt, "username"));
    json_t *query = awps_event_query(ev);
    const char *v;

    if (awps_event_client_protocol(ev) == AWPS_PROTOCOL_MQTT && user && !strcmp(user, "bad")) {
        awps_reply_fail(reply, 401, "bad user");
        return;
    }
    if (json_object_get(query, "reject")) {
        char detail[300];
        v = awps_event_query_value(ev, "reject");
        snprintf(detail, sizeof detail, "rejected %s", v ? v : "");
        awps_reply_fail(reply, 401, detail);
        return;
    }
    if (json_object_get(query, "error")) {
        awps_reply_fail(reply, 500, NULL);
        return;
    }
    if ((v = awps_event_query_value(ev, "state")))
        awps_reply_set_state_string(reply, "plan", v);
    if (json_object_get(query, "empty")) {
        awps_reply_success(reply);
        return;
    }
    v = awps_event_claim(ev, "sub");
    awps_reply_set_user_id(reply, v ? v : "anonymous");
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(query, "group"), i, item)
        awps_reply_add_group(reply, json_string_value(item));
    json_array_foreach(json_object_get(query, "role"), i, item)
        awps_reply_add_role(reply, json_string_value(item));
    if ((v = json_string_value(json_array_get(awps_event_subprotocols(ev), 0))))
        awps_reply_set_subprotocol(reply, v);
    awps_reply_success(reply);
}

/* ---- user events ---- */

/* "slow": answered from a worker thread; finished threads are joined when
 * the next one starts (tests/soak.sh sends many), the rest at exit. */
struct slow {
    pthread_t thread;
    awps_reply *reply;
    unsigned ms;
    atomic_int finished;
    struct slow *next;
};

static struct slow *slow_list;  /* guarded by log_lock */

static void *slow_main(void *arg)
{
    struct slow *w = arg;
    struct timespec ts = {(time_t)(w->ms / 1000), (long)(w->ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
    awps_reply_success_data(w->reply, AWPS_DATA_TEXT, "slow done", 9);
    awps_reply_release(w->reply);
    atomic_store(&w->finished, 1);
    return NULL;
}

/* Join the finished workers; log_lock held. */
static void slow_reap(void)
{
    for (struct slow **p = &slow_list; *p;) {
        struct slow *w = *p;
        if (atomic_load(&w->finished)) {
            *p = w->next;
            pthread_join(w->thread, NULL);
            free(w);
        } else {
            p = &w->next;
        }
    }
}

static void slow_start(awps_event *ev, awps_reply *reply, int record)
{
    struct slow *w = calloc(1, sizeof *w);
    size_t len;
    const char *body = awps_event_data(ev, &len);
    json_t *o;

    if (!w) {
        awps_reply_fail(reply, 500, "out of memory");
        return;
    }
    w->ms = len ? (unsigned)strtoul(body, NULL, 10) : 1000;
    w->reply = reply;
    awps_reply_hold(reply);
    o = record ? json_pack("{s:s}", "event", "slow") : NULL;
    pthread_mutex_lock(&log_lock);
    slow_reap();
    if (o)
        json_array_append_new(log_entries, o);
    if (pthread_create(&w->thread, NULL, slow_main, w) != 0) {
        pthread_mutex_unlock(&log_lock);
        awps_reply_fail(reply, 500, "no thread");
        awps_reply_release(reply);
        free(w);
        return;
    }
    w->next = slow_list;
    slow_list = w;
    pthread_mutex_unlock(&log_lock);
}

static void slow_join_all(void)
{
    while (slow_list) {
        struct slow *w = slow_list;
        slow_list = w->next;
        pthread_join(w->thread, NULL);
        free(w);
    }
}

static void answer_json(awps_reply *reply, json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    if (text)
        awps_reply_success_data(reply, AWPS_DATA_JSON, text, strlen(text));
    else
        awps_reply_fail(reply, 500, "cannot serialise");
    free(text);
}

static json_t *context_of(const awps_event *ev)
{
    json_t *o = json_object();
    const char *v;

    if ((v = awps_event_signature(ev)))
        json_object_set_new(o, "signature", json_string(v));
    if ((v = awps_event_user_id(ev)))
        json_object_set_new(o, "userId", json_string(v));
    json_object_set_new(o, "hub", json_string(awps_event_hub(ev)));
    json_object_set_new(o, "connectionId", json_string(awps_event_connection_id(ev)));
    json_object_set_new(o, "eventName", json_string(awps_event_name(ev)));
    json_object_set_new(o, "origin", json_string(awps_event_origin(ev)));
    json_object_set(o, "states", awps_event_states(ev));
    if (awps_event_client_protocol(ev) == AWPS_PROTOCOL_MQTT) {
        json_t *m = json_object();
        json_object_set_new(m, "physicalConnectionId",
                            json_string(awps_event_physical_connection_id(ev)));
        if ((v = awps_event_session_id(ev)))
            json_object_set_new(m, "sessionId", json_string(v));
        json_object_set_new(o, "clientProtocol", json_string("mqtt"));
        json_object_set_new(o, "mqtt", m);
    } else {
        json_object_set_new(o, "clientProtocol", json_string("default"));
    }
    return o;
}

static void on_user_event(awps_event *ev, awps_reply *reply, void *data)
{
    (void)data;
    const char *name = awps_event_name(ev);
    size_t len;
    const void *bytes = awps_event_data(ev, &len);

    if (!strcmp(name, "echo")) {
        awps_reply_success_data(reply, awps_event_data_type(ev), bytes, len);
    } else if (!strcmp(name, "count")) {
        json_t *c = awps_event_state(ev, "count");
        char text[40];
        json_t *nv;
        if (json_is_real(c) || (json_is_integer(c) && json_integer_value(c) == LLONG_MAX)) {
            /* keep fractions (and huge values) as JavaScript numbers do */
            double d = json_number_value(c) + 1;
            nv = json_real(d);
            for (int prec = 1; prec <= 17; prec++) {  /* shortest text that reads back */
                snprintf(text, sizeof text, "%.*g", prec, d);
                if (strtod(text, NULL) == d)
                    break;
            }
        } else {
            json_int_t n = (json_is_integer(c) ? json_integer_value(c) : 0) + 1;
            nv = json_integer(n);
            snprintf(text, sizeof text, "%lld", (long long)n);
        }
        awps_reply_set_state(reply, "count", nv);
        json_decref(nv);
        awps_reply_success_data(reply, AWPS_DATA_TEXT, text, strlen(text));
    } else if (!strcmp(name, "fail")) {
        awps_reply_fail(reply, 400, "bad event");
    } else if (!strcmp(name, "context")) {
        json_t *o = context_of(ev);
        answer_json(reply, o);
        json_decref(o);
    } else if (!strcmp(name, "none")) {
        awps_reply_success(reply);
    } else if (!strcmp(name, "slow") || !strcmp(name, "async")) {
        slow_start(ev, reply, !strcmp(name, "slow"));
    } else {
        awps_reply_success_data(reply, AWPS_DATA_TEXT, "ok", 2);
    }
}

/* ---- notifications ---- */

static void record(const awps_event *ev, const char *what)
{
    json_t *o = json_pack("{s:s}", "event", what);
    const char *v;
    json_t *mqtt = json_object_get(awps_event_body(ev), "mqtt");

    json_object_set_new(o, "hub", json_string(awps_event_hub(ev)));
    json_object_set_new(o, "connectionId", json_string(awps_event_connection_id(ev)));
    if ((v = awps_event_user_id(ev)))
        json_object_set_new(o, "userId", json_string(v));
    if ((v = awps_event_reason(ev)))
        json_object_set_new(o, "reason", json_string(v));
    if ((v = awps_event_group(ev)))
        json_object_set_new(o, "group", json_string(v));
    if (json_object_size(awps_event_states(ev)))
        json_object_set(o, "states", awps_event_states(ev));
    if (mqtt && !json_is_null(mqtt))
        json_object_set(o, "mqtt", mqtt);
    pthread_mutex_lock(&log_lock);
    json_array_append_new(log_entries, o);
    pthread_mutex_unlock(&log_lock);
}

static void on_connected(const awps_event *ev, void *d) { (void)d; record(ev, "connected"); }
static void on_disconnected(const awps_event *ev, void *d) { (void)d; record(ev, "disconnected"); }
static void on_joined(const awps_event *ev, void *d) { (void)d; record(ev, "joined"); }
static void on_left(const awps_event *ev, void *d) { (void)d; record(ev, "left"); }

/* ---- GET /_log and 404 for the rest ---- */

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *ct,
                                  const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", ct);
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result routes(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)cls; (void)version; (void)upload;
    if (!*con_cls) {  /* wait for the whole request first */
        *con_cls = c;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;  /* bodies are ignored here */
        return MHD_YES;
    }
    if (!strcmp(url, "/_log") && !strcmp(method, "GET")) {
        pthread_mutex_lock(&log_lock);
        char *text = json_dumps(log_entries, JSON_COMPACT);
        json_array_clear(log_entries);
        pthread_mutex_unlock(&log_lock);
        enum MHD_Result rc = reply_text(c, 200, "application/json", text ? text : "[]");
        free(text);
        return rc;
    }
    return reply_text(c, 404, "text/plain", "not found\n");
}

/* ---- set-up ---- */

static awps_handler *make_hub(awps_server *s, const char *hub, const char *path, int callbacks)
{
    awps_handler *h = awps_handler_new(hub);
    if (!h)
        return NULL;
    if (path)
        awps_handler_set_path(h, path);
    if (callbacks) {
        awps_handler_on_connect(h, on_connect, NULL);
        awps_handler_on_user_event(h, on_user_event, NULL);
        awps_handler_on_connected(h, on_connected, NULL);
        awps_handler_on_disconnected(h, on_disconnected, NULL);
        awps_handler_on_group_joined(h, on_joined, NULL);
        awps_handler_on_group_left(h, on_left, NULL);
    }
    awps_server_add_handler(s, h);
    return h;
}

int main(int argc, char **argv)
{
    unsigned port = 0;
    sigset_t sigs;
    int sig, rc;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) {
            port = (unsigned)strtoul(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: %s --port N\n", argv[0]);
            return 2;
        }
    }
    /* Block the stop signals before any thread starts; wait for them below. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    log_entries = json_array();
    awps_server *s = awps_server_new();
    awps_handler *hubs[4];
    if (!s || !log_entries)
        return 1;
    hubs[0] = make_hub(s, "chat", NULL, 1);
    hubs[1] = make_hub(s, "locked", "/locked/", 1);
    hubs[2] = make_hub(s, "bare", "/bare/", 0);
    hubs[3] = make_hub(s, "signed", "/signed/", 1);
    awps_handler_add_allowed_endpoint(hubs[1], "https://allowed.webpubsub.azure.com");
    awps_handler_add_allowed_endpoint(hubs[1], "https://second.example.org:8443");
    awps_handler_add_key(hubs[3], "primary-key-0123");
    awps_handler_add_key(hubs[3], "secondary-key-4567");
    for (int i = 0; i < 4; i++)
        awps_handler_free(hubs[i]);  /* the server keeps its references */
    awps_server_set_fallback(s, routes, NULL);
    awps_server_set_listen(s, "127.0.0.1", port);
    if ((rc = awps_server_start(s)) != AWPS_OK) {
        fprintf(stderr, "conformance-app: %s\n", awps_strerror(rc));
        awps_server_free(s);
        json_decref(log_entries);
        return 1;
    }
    printf("listening on %u\n", awps_server_port(s));
    fflush(stdout);
    sigwait(&sigs, &sig);
    rc = awps_server_stop(s, 5000);
    awps_server_free(s);
    slow_join_all();
    json_decref(log_entries);
    return rc == AWPS_OK ? 0 : 1;
}
