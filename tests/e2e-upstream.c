/* e2e-upstream: the C upstream of the emulator's end-to-end test
 * (tests/emulator-e2e.js), built with the library.
 *
 *   e2e-upstream --key KEY --wrong-key OTHER
 *
 * Serves two hubs on one awps_server (port 0): "chat" at /upstream/chat/
 * checking signatures with KEY, and "wrongkey" at /upstream/wrongkey/
 * checking them with OTHER (so every request from the emulator fails).
 * Prints "events on PORT", then reads the emulator's connection string from
 * standard input (the emulator needs our port first), starts a second
 * server with negotiate routes /negotiate/chat and /negotiate/wrongkey
 * (?user=NAME) and prints "negotiate on PORT". Every event is printed as
 * one line. SIGTERM or SIGINT stops both servers.
 *
 * chat: connect refuses the user "banned" (401), grants join/leave and send
 * to every group (except to the user "eve"), and sets the state counter=0; the user event "echo"
 * answers JSON {"echo": <data>, "counter": N, "user": ...} and increments
 * the counter in the connection state. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <awps.h>

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void say(const char *fmt, const char *a, const char *b, const char *c)
{
    pthread_mutex_lock(&out_lock);
    printf(fmt, a ? a : "-", b ? b : "-", c ? c : "-");
    putchar('\n');
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
}

static void on_connect(awps_event *ev, awps_reply *reply, void *data)
{
    const char *user = awps_event_user_id(ev);
    (void)data;
    say("connect %s %s %s", awps_event_hub(ev), awps_event_connection_id(ev), user);
    if (user && !strcmp(user, "banned")) {
        awps_reply_fail(reply, 401, "banned user");
        return;
    }
    if (!user || strcmp(user, "eve")) {   /* eve gets no permissions */
        awps_reply_add_role(reply, "webpubsub.joinLeaveGroup");
        awps_reply_add_role(reply, "webpubsub.sendToGroup");
    }
    json_t *zero = json_integer(0);
    awps_reply_set_state(reply, "counter", zero);
    json_decref(zero);
    awps_reply_success(reply);
}

static void on_user_event(awps_event *ev, awps_reply *reply, void *data)
{
    json_t *counter = awps_event_state(ev, "counter");
    json_int_t n = json_is_integer(counter) ? json_integer_value(counter) : -1;
    json_t *echo, *answer, *next;
    size_t len;
    const void *bytes = awps_event_data(ev, &len);
    char *text;

    (void)data;
    say("event %s %s %s", awps_event_name(ev), awps_event_connection_id(ev),
        awps_event_user_id(ev));
    if (strcmp(awps_event_name(ev), "echo")) {
        awps_reply_fail(reply, 400, "unknown event");
        return;
    }
    if (awps_event_data_type(ev) == AWPS_DATA_JSON)
        echo = json_incref(awps_event_json(ev));
    else
        echo = json_stringn(bytes, len);
    answer = json_pack("{s:o?, s:I, s:s?}", "echo", echo, "counter", n, "user",
                       awps_event_user_id(ev));
    text = answer ? json_dumps(answer, JSON_COMPACT) : NULL;
    json_decref(answer);
    next = json_integer(n + 1);
    awps_reply_set_state(reply, "counter", next);
    json_decref(next);
    if (!text) {
        awps_reply_fail(reply, 500, "out of memory");
        return;
    }
    awps_reply_success_data(reply, AWPS_DATA_JSON, text, strlen(text));
    free(text);
}

static void on_connected(const awps_event *ev, void *data)
{
    (void)data;
    say("connected %s %s %s", awps_event_hub(ev), awps_event_connection_id(ev),
        awps_event_user_id(ev));
}

static void on_disconnected(const awps_event *ev, void *data)
{
    (void)data;
    say("disconnected %s %s %s", awps_event_hub(ev), awps_event_connection_id(ev),
        awps_event_reason(ev) && *awps_event_reason(ev) ? awps_event_reason(ev) : "-");
}

static unsigned choose(const awps_negotiate_request *req, awps_token_options *opts,
                       char *reason, size_t reason_size, void *data)
{
    const char *user = awps_negotiate_query(req, "user");
    (void)data;
    if (!user || !*user) {
        snprintf(reason, reason_size, "user is required");
        return 400;
    }
    opts->user_id = user;
    return 0;
}

static awps_handler *hub(const char *name, const char *path, const char *key)
{
    awps_handler *h = awps_handler_new(name);
    if (!h || awps_handler_set_path(h, path) || awps_handler_add_key(h, key))
        exit(1);
    awps_handler_on_connect(h, on_connect, NULL);
    awps_handler_on_user_event(h, on_user_event, NULL);
    awps_handler_on_connected(h, on_connected, NULL);
    awps_handler_on_disconnected(h, on_disconnected, NULL);
    return h;
}

int main(int argc, char **argv)
{
    const char *key = NULL, *wrong = NULL;
    char line[4096];
    sigset_t stop;
    int sig;
    awps_service *svc[2];
    awps_negotiate *neg[2];

    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--key"))
            key = argv[i + 1];
        else if (!strcmp(argv[i], "--wrong-key"))
            wrong = argv[i + 1];
    }
    if (!key || !wrong) {
        fprintf(stderr, "usage: e2e-upstream --key KEY --wrong-key OTHER\n");
        return 2;
    }
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    awps_handler *chat = hub("chat", "/upstream/chat/", key);
    awps_handler *bad = hub("wrongkey", "/upstream/wrongkey/", wrong);
    awps_server *events = awps_server_new();
    if (!events || awps_server_add_handler(events, chat) || awps_server_add_handler(events, bad) ||
        awps_server_set_listen(events, "127.0.0.1", 0) || awps_server_start(events)) {
        fprintf(stderr, "e2e-upstream: cannot start the event server\n");
        return 1;
    }
    printf("events on %u\n", awps_server_port(events));
    fflush(stdout);

    if (!fgets(line, sizeof line, stdin)) {
        fprintf(stderr, "e2e-upstream: no connection string on stdin\n");
        return 1;
    }
    line[strcspn(line, "\r\n")] = '\0';
    awps_server *front = awps_server_new();
    const char *names[2] = {"chat", "wrongkey"};
    for (int i = 0; i < 2; i++) {
        char path[64];
        awps_service_error err = {0};
        snprintf(path, sizeof path, "/negotiate/%s", names[i]);
        svc[i] = awps_service_new(line, names[i], &err);
        neg[i] = svc[i] ? awps_negotiate_new(svc[i], path, choose, NULL) : NULL;
        if (!neg[i] || !front || awps_server_add_negotiate(front, neg[i])) {
            fprintf(stderr, "e2e-upstream: bad connection string: %s\n", err.message);
            return 1;
        }
    }
    if (awps_server_set_listen(front, "127.0.0.1", 0) || awps_server_start(front)) {
        fprintf(stderr, "e2e-upstream: cannot start the negotiate server\n");
        return 1;
    }
    printf("negotiate on %u\n", awps_server_port(front));
    fflush(stdout);

    sigwait(&stop, &sig);
    awps_server_stop(front, 2000);
    awps_server_stop(events, 2000);
    awps_server_free(front);
    awps_server_free(events);
    for (int i = 0; i < 2; i++) {
        awps_negotiate_free(neg[i]);
        awps_service_free(svc[i]);
    }
    awps_handler_free(chat);
    awps_handler_free(bad);
    return 0;
}
