/* The chat's event callbacks and its outbox.
 *
 * connect      join the user to "lobby", accept
 * message      store in SQLite, answer, broadcast {"kind":"message",...}
 * connected    send the newcomer {"kind":"history","messages":[...]}, then
 *              broadcast {"kind":"join",...}
 * disconnected broadcast {"kind":"leave",...}
 *
 * Callbacks never call the service themselves: they queue a job and answer
 * at once; one outbox thread makes the REST calls in queue order, so that
 * within one process broadcasts go out in the order messages were stored. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chat.h"

#define OUTBOX_MAX 1024         /* jobs queued; more are dropped (logged) */

enum job_kind { JOB_GROUP, JOB_WELCOME };

struct job {
    struct job *next;
    enum job_kind kind;
    char *connection;           /* JOB_WELCOME: the newcomer */
    char *payload;              /* JSON for the group */
};

struct chat_app {
    awps_service *svc;
    chat_store *store;
    pthread_mutex_t lock;       /* guards the queue and the flags */
    pthread_cond_t wake;
    struct job *head, *tail;
    unsigned queued;
    int stopping;
    struct timespec deadline;
    pthread_t thread;
    pthread_mutex_t order;      /* store + queue of one message, atomically */
};

/* ---- the outbox ---- */

static void job_free(struct job *j)
{
    if (j) {
        free(j->connection);
        free(j->payload);
        free(j);
    }
}

/* Queue a job (payload taken over); 0 when queued. */
static int enqueue(chat_app *app, enum job_kind kind, const char *connection, char *payload)
{
    struct job *j = calloc(1, sizeof *j);
    int ok = 0;

    if (j) {
        j->kind = kind;
        j->payload = payload;
        payload = NULL;
        if (connection && !(j->connection = strdup(connection))) {
            job_free(j);
            j = NULL;
        }
    }
    pthread_mutex_lock(&app->lock);
    if (j && !app->stopping && app->queued < OUTBOX_MAX) {
        if (app->tail)
            app->tail->next = j;
        else
            app->head = j;
        app->tail = j;
        app->queued++;
        ok = 1;
        pthread_cond_signal(&app->wake);
    }
    pthread_mutex_unlock(&app->lock);
    if (!ok) {
        chat_log("outbox: full, stopping or out of memory: a message is dropped");
        job_free(j);
        free(payload);
    }
    return ok ? 0 : -1;
}

static void send_failed(const char *what, const awps_service_error *err)
{
    chat_log("outbox: %s failed: %s (HTTP %ld) %.200s", what, awps_strerror(err->code),
             err->status, err->message);
}

static void welcome(chat_app *app, const struct job *j)
{
    json_t *history = chat_store_history(app->store);
    json_t *msg = history ? json_pack("{s:s, s:o}", "kind", "history", "messages", history) : NULL;
    char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
    awps_service_error err;

    json_decref(msg);
    if (!text) {
        chat_log("outbox: no history for %s", j->connection);
        return;
    }
    if (awps_service_send_to_connection(app->svc, j->connection, AWPS_DATA_JSON, text,
                                        strlen(text), NULL, &err) != AWPS_OK)
        send_failed("history", &err);
    free(text);
}

static void run_job(chat_app *app, const struct job *j)
{
    awps_service_error err;

    if (j->kind == JOB_WELCOME)
        welcome(app, j);
    if (awps_service_send_to_group(app->svc, CHAT_GROUP, AWPS_DATA_JSON, j->payload,
                                   strlen(j->payload), NULL, &err) != AWPS_OK)
        send_failed("broadcast", &err);
}

static int past(const struct timespec *t)
{
    struct timespec now;

    clock_gettime(CLOCK_REALTIME, &now);
    return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

static void *outbox(void *arg)
{
    chat_app *app = arg;

    pthread_mutex_lock(&app->lock);
    for (;;) {
        while (!app->head && !app->stopping)
            pthread_cond_wait(&app->wake, &app->lock);
        if (!app->head || (app->stopping && past(&app->deadline)))
            break;
        struct job *j = app->head;
        if (!(app->head = j->next))
            app->tail = NULL;
        app->queued--;
        pthread_mutex_unlock(&app->lock);
        run_job(app, j);
        job_free(j);
        pthread_mutex_lock(&app->lock);
    }
    pthread_mutex_unlock(&app->lock);
    return NULL;
}

/* ---- the callbacks ---- */

/* Serialised JSON of a notice or message; NULL when a string is not UTF-8. */
static char *dump(json_t *o)
{
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

static void on_connect(awps_event *ev, awps_reply *reply, void *data)
{
    const char *user = awps_event_user_id(ev);
    const char *why;

    (void)data;
    if (!user) {
        awps_reply_fail(reply, 401, "no user: get the client URL from negotiate?user=NAME");
        return;
    }
    if ((why = chat_name_problem(user)) != NULL) {
        awps_reply_fail(reply, 400, why);
        return;
    }
    if (awps_reply_add_group(reply, CHAT_GROUP) != AWPS_OK) {
        awps_reply_fail(reply, 500, "out of memory");
        return;
    }
    awps_reply_success(reply);
}

/* The text of a message event: text data, a JSON string or {"text": "..."}.
 * NULL with the reason in *why. */
static const char *message_text(awps_event *ev, size_t *len, const char **why)
{
    json_t *j = awps_event_json(ev), *t;

    switch (awps_event_data_type(ev)) {
    case AWPS_DATA_TEXT:
        return awps_event_data(ev, len);
    case AWPS_DATA_JSON:
        t = json_is_object(j) ? json_object_get(j, "text") : j;
        if (json_is_string(t)) {
            *len = json_string_length(t);
            return json_string_value(t);
        }
        break;
    case AWPS_DATA_BINARY:
        break;
    }
    *why = "send text, or JSON {\"text\": \"...\"}";
    return NULL;
}

/* Tab, CR and LF are the only control characters allowed: with them JSON
 * escaping at most doubles a text, and 50 of them fit in one message. */
static const char *text_problem(const char *text, size_t len)
{
    int blank = 1;

    if (len > CHAT_MAX_TEXT)
        return "the message is longer than 4096 bytes";
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\t' || ch == '\r' || ch == '\n' || ch == ' ')
            continue;
        if (ch < 0x20 || ch == 0x7f)
            return "the message holds a control character";
        blank = 0;
    }
    return blank ? "the message is empty" : NULL;
}

static void on_user_event(awps_event *ev, awps_reply *reply, void *data)
{
    chat_app *app = data;
    const char *user = awps_event_user_id(ev), *name = awps_event_name(ev);
    const char *why = NULL, *text;
    char time[CHAT_TIME_LEN], detail[128];
    long long id;
    size_t len = 0;
    json_t *probe;
    char *payload;

    if (!name || strcmp(name, "message") != 0) {
        snprintf(detail, sizeof detail, "unknown event '%.64s': only 'message'",
                 name ? name : "");
        awps_reply_fail(reply, 400, detail);
        return;
    }
    if (!user || chat_name_problem(user)) {
        awps_reply_fail(reply, 401, "no valid user name on this connection");
        return;
    }
    if (!(text = message_text(ev, &len, &why)) || (why = text_problem(text, len)) != NULL) {
        awps_reply_fail(reply, 400, why);
        return;
    }
    if (!(probe = json_stringn(text, len))) {  /* NULL for bad UTF-8 */
        awps_reply_fail(reply, 400, "the message is not valid UTF-8");
        return;
    }
    json_decref(probe);
    chat_now(time);
    pthread_mutex_lock(&app->order);
    if (chat_store_add(app->store, user, text, len, time, &id) != 0) {
        pthread_mutex_unlock(&app->order);
        awps_reply_fail(reply, 500, "the message could not be stored");
        return;
    }
    payload = dump(json_pack("{s:s, s:I, s:s, s:s#, s:s}", "kind", "message", "id",
                             (json_int_t)id, "user", user, "text", text, len, "time", time));
    if (payload)
        enqueue(app, JOB_GROUP, NULL, payload);
    pthread_mutex_unlock(&app->order);
    awps_reply_success(reply);
}

/* {"kind": kind, "user": ..., "time": now} */
static char *notice(const char *kind, const awps_event *ev)
{
    char time[CHAT_TIME_LEN];
    const char *user = awps_event_user_id(ev);

    if (!user || chat_name_problem(user))
        return NULL;
    chat_now(time);
    return dump(json_pack("{s:s, s:s, s:s}", "kind", kind, "user", user, "time", time));
}

static void on_connected(const awps_event *ev, void *data)
{
    char *payload = notice("join", ev);
    const char *conn = awps_event_connection_id(ev);

    if (payload && conn) {
        chat_log("%s joined (connection %.64s)", awps_event_user_id(ev), conn);
        enqueue(data, JOB_WELCOME, conn, payload);
    } else {
        free(payload);
    }
}

static void on_disconnected(const awps_event *ev, void *data)
{
    char *payload = notice("leave", ev);

    if (payload) {
        chat_log("%s left", awps_event_user_id(ev));
        enqueue(data, JOB_GROUP, NULL, payload);
    }
}

/* ---- life cycle ---- */

chat_app *chat_app_new(awps_service *svc, chat_store *st)
{
    chat_app *app = calloc(1, sizeof *app);

    if (!app)
        return NULL;
    app->svc = svc;
    app->store = st;
    if (pthread_mutex_init(&app->lock, NULL) != 0) {
        free(app);
        return NULL;
    }
    if (pthread_mutex_init(&app->order, NULL) != 0) {
        pthread_mutex_destroy(&app->lock);
        free(app);
        return NULL;
    }
    if (pthread_cond_init(&app->wake, NULL) != 0 ||
        pthread_create(&app->thread, NULL, outbox, app) != 0) {
        pthread_mutex_destroy(&app->order);
        pthread_mutex_destroy(&app->lock);
        free(app);
        return NULL;
    }
    return app;
}

void chat_app_attach(chat_app *app, awps_handler *h)
{
    awps_handler_on_connect(h, on_connect, app);
    awps_handler_on_user_event(h, on_user_event, app);
    awps_handler_on_connected(h, on_connected, app);
    awps_handler_on_disconnected(h, on_disconnected, app);
}

void chat_app_free(chat_app *app, unsigned ms)
{
    struct job *j;
    unsigned dropped = 0;

    if (!app)
        return;
    pthread_mutex_lock(&app->lock);
    app->stopping = 1;
    clock_gettime(CLOCK_REALTIME, &app->deadline);
    app->deadline.tv_sec += ms / 1000;
    app->deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (app->deadline.tv_nsec >= 1000000000L) {
        app->deadline.tv_sec++;
        app->deadline.tv_nsec -= 1000000000L;
    }
    pthread_cond_signal(&app->wake);
    pthread_mutex_unlock(&app->lock);
    pthread_join(app->thread, NULL);
    while ((j = app->head) != NULL) {
        app->head = j->next;
        job_free(j);
        dropped++;
    }
    if (dropped)
        chat_log("outbox: %u messages not sent at shutdown", dropped);
    pthread_cond_destroy(&app->wake);
    pthread_mutex_destroy(&app->order);
    pthread_mutex_destroy(&app->lock);
    free(app);
}
