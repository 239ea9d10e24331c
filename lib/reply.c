/* Replies to blocking events: the builder, the single terminal call, holding
 * a reply across threads, and the timeout that answers 500 for replies never
 * completed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

awps_reply *awps__reply_new(awps_event *ev, awps_respond_cb cb, void *data)
{
    awps_reply *r = calloc(1, sizeof *r);

    if (!r)
        return NULL;
    if (pthread_mutex_init(&r->lock, NULL) != 0) {
        free(r);
        return NULL;
    }
    atomic_init(&r->refs, 1);
    r->groups.max = r->roles.max = SIZE_MAX / 2;
    r->ev = *ev;
    memset(ev, 0, sizeof *ev);
    r->respond = cb;
    r->respond_data = data;
    return r;
}

static void reply_free(awps_reply *r)
{
    awps__event_clear(&r->ev);
    json_decref(r->states_out);
    free(r->groups.p);
    free(r->roles.p);
    json_decref(r->mqtt_props);
    free(r->user_id);
    free(r->subprotocol);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

void awps_reply_hold(awps_reply *r)
{
    if (r)
        atomic_fetch_add(&r->refs, 1);
}

void awps_reply_release(awps_reply *r)
{
    if (r && atomic_fetch_sub(&r->refs, 1) == 1)
        reply_free(r);
}

awps_event *awps_reply_event(awps_reply *r)
{
    return r ? &r->ev : NULL;
}

int awps_reply_is_done(awps_reply *r)
{
    int done;

    if (!r)
        return 1;
    pthread_mutex_lock(&r->lock);
    done = r->done;
    pthread_mutex_unlock(&r->lock);
    return done;
}

/* Lock the reply for a change; fails when it is done or not for `type`. */
static int begin(awps_reply *r, int connect_only)
{
    if (!r)
        return AWPS_E_INVALID;
    if (connect_only && r->ev.type != AWPS_EVENT_CONNECT)
        return AWPS_E_WRONG_EVENT;
    pthread_mutex_lock(&r->lock);
    if (r->done) {
        pthread_mutex_unlock(&r->lock);
        return AWPS_E_DONE;
    }
    return AWPS_OK;
}

static int end(awps_reply *r, int rc)
{
    pthread_mutex_unlock(&r->lock);
    return rc;
}

int awps_reply_set_state(awps_reply *r, const char *key, json_t *value)
{
    int rc;

    if (!key)
        return AWPS_E_INVALID;
    if ((rc = begin(r, 0)) != AWPS_OK)
        return rc;
    if (!r->states_out) {
        json_t *in = atomic_load(&r->ev.states);
        if (!(r->states_out = in ? json_copy(in) : json_object()))
            return end(r, AWPS_E_NOMEM);
    }
    if (!value)
        json_object_del(r->states_out, key);
    else if (json_object_set(r->states_out, key, value) != 0)
        return end(r, AWPS_E_INVALID);  /* key not UTF-8, or out of memory */
    return end(r, AWPS_OK);
}

int awps_reply_set_state_string(awps_reply *r, const char *key, const char *value)
{
    json_t *v;
    int rc;

    if (!value)
        return awps_reply_set_state(r, key, NULL);
    if (!(v = json_string(value)))
        return AWPS_E_INVALID;
    rc = awps_reply_set_state(r, key, v);
    json_decref(v);
    return rc;
}

int awps_reply_clear_states(awps_reply *r)
{
    int rc;

    if ((rc = begin(r, 0)) != AWPS_OK)
        return rc;
    json_decref(r->states_out);
    r->states_out = json_object();
    return end(r, r->states_out ? AWPS_OK : AWPS_E_NOMEM);
}

static int set_string(awps_reply *r, char **field, const char *value)
{
    int rc;
    char *copy;

    if (!value || !awps__utf8_valid(value, strlen(value)))
        return r ? AWPS_E_INVALID : AWPS_E_INVALID;
    if ((rc = begin(r, 1)) != AWPS_OK)
        return rc;
    if (!(copy = awps__strdup(value)))
        return end(r, AWPS_E_NOMEM);
    free(*field);
    *field = copy;
    return end(r, AWPS_OK);
}

int awps_reply_set_user_id(awps_reply *r, const char *user_id)
{
    return set_string(r, r ? &r->user_id : NULL, user_id);
}

int awps_reply_set_subprotocol(awps_reply *r, const char *subprotocol)
{
    return set_string(r, r ? &r->subprotocol : NULL, subprotocol);
}

static int append(awps_reply *r, json_t **array, json_t *item)
{
    int rc;

    if (!item)
        return AWPS_E_INVALID;  /* NULL argument or not UTF-8 */
    if ((rc = begin(r, 1)) != AWPS_OK) {
        json_decref(item);
        return rc;
    }
    if (!*array && !(*array = json_array())) {
        json_decref(item);
        return end(r, AWPS_E_NOMEM);
    }
    return end(r, json_array_append_new(*array, item) == 0 ? AWPS_OK : AWPS_E_NOMEM);
}

/* Add a string to a NUL-separated list. */
static int add_string(awps_reply *r, awps__sb *list, const char *s)
{
    size_t n;
    int rc;

    if (!r || !s || !awps__utf8_valid(s, n = strlen(s)))
        return AWPS_E_INVALID;
    if ((rc = begin(r, 1)) != AWPS_OK)
        return rc;
    awps__sb_add(list, s, n + 1);  /* with its NUL */
    if (list->err) {
        list->err = 0;  /* the list is as it was: len was not moved */
        return end(r, AWPS_E_NOMEM);
    }
    return end(r, AWPS_OK);
}

int awps_reply_add_group(awps_reply *r, const char *group)
{
    return add_string(r, r ? &r->groups : NULL, group);
}

int awps_reply_add_role(awps_reply *r, const char *role)
{
    return add_string(r, r ? &r->roles : NULL, role);
}

int awps_reply_add_mqtt_user_property(awps_reply *r, const char *name, const char *value)
{
    if (!r || !name || !value)
        return AWPS_E_INVALID;
    return append(r, &r->mqtt_props, json_pack("{s:s, s:s}", "name", name, "value", value));
}

/* Send `resp` (taking over its buffers) unless done; the reply lock is held
 * on entry and released here. */
static int finish(awps_reply *r, awps__resp *resp)
{
    awps_http_response out;

    r->done = 1;
    if (r->in_timer)
        awps__timer_remove(r);
    pthread_mutex_unlock(&r->lock);
    out.status = resp->status;
    out.content_type = resp->content_type;
    out.allowed_origin = NULL;
    out.connection_state = resp->state;
    out.body = resp->body ? resp->body : resp->data ? resp->data : "";
    out.body_len = resp->body_len;
    r->respond(r->respond_data, &out);
    free(resp->state);
    free(resp->body);
    awps_reply_release(r);  /* the responder's reference */
    return AWPS_OK;
}

static int fail_out(awps_reply *r, awps__resp *resp, int rc)
{
    free(resp->state);
    free(resp->body);
    return end(r, rc);
}

int awps_reply_success(awps_reply *r)
{
    awps__resp resp = {0};
    int rc;

    if ((rc = begin(r, 0)) != AWPS_OK)
        return rc;
    if (r->states_out && !(resp.state = awps__state_encode(r->states_out)))
        return fail_out(r, &resp, AWPS_E_NOMEM);
    if (r->ev.type == AWPS_EVENT_CONNECT) {
        if (r->user_id || r->groups.len || r->roles.len || r->subprotocol || r->mqtt_props) {
            if (!(resp.body = awps__connect_answer(r, &resp.body_len)))
                return fail_out(r, &resp, AWPS_E_NOMEM);
            resp.status = 200;
            resp.content_type = "application/json; charset=utf-8";
        } else {
            resp.status = 204;
        }
    } else {
        resp.status = 200;
        resp.content_type = awps__user_content_type(AWPS_DATA_BINARY);
    }
    return finish(r, &resp);
}

int awps_reply_success_data(awps_reply *r, awps_data_type type, const void *data, size_t len)
{
    awps__resp resp = {0};
    int rc;

    if ((len && !data) || (type != AWPS_DATA_BINARY && type != AWPS_DATA_TEXT &&
                           type != AWPS_DATA_JSON))
        return AWPS_E_INVALID;
    if (r && r->ev.type != AWPS_EVENT_USER)
        return AWPS_E_WRONG_EVENT;
    if ((rc = begin(r, 0)) != AWPS_OK)
        return rc;
    if (r->states_out && !(resp.state = awps__state_encode(r->states_out)))
        return fail_out(r, &resp, AWPS_E_NOMEM);
    /* borrowed: the answer is handed on (and copied) before this returns */
    resp.data = data;
    resp.body_len = len;
    resp.status = 200;
    resp.content_type = awps__user_content_type(type);
    return finish(r, &resp);
}

/* {"mqtt":{"code":C,"reason":R,"userProperties":[..]}}; lock held. */
static char *mqtt_error(awps_reply *r, int code, const char *reason, size_t *len)
{
    json_t *m = json_pack("{s:i}", "code", code);
    json_t *o = m ? json_pack("{s:o}", "mqtt", m) : NULL;
    char *text = NULL;

    if (o && reason && json_object_set_new(m, "reason", json_string(reason)) != 0)
        goto out;
    if (o && r->mqtt_props && json_object_set(m, "userProperties", r->mqtt_props) != 0)
        goto out;
    if (o && (text = json_dumps(o, JSON_COMPACT)))
        *len = strlen(text);
out:
    if (o)
        json_decref(o);
    else
        json_decref(m);
    return text;
}

int awps_reply_fail(awps_reply *r, unsigned status, const char *detail)
{
    awps__resp resp = {0};
    int rc;

    if (status < 400 || status > 599 || (detail && !awps__utf8_valid(detail, strlen(detail))))
        return AWPS_E_INVALID;
    if ((rc = begin(r, 0)) != AWPS_OK)
        return rc;
    resp.status = status;
    if (r->ev.type == AWPS_EVENT_CONNECT && r->ev.protocol == AWPS_PROTOCOL_MQTT) {
        /* No "mqtt" member in the request: answer as MQTT 3.1.1. */
        int version = r->ev.mqtt ? awps_event_mqtt_protocol_version(&r->ev) : 4;
        int code = awps_mqtt_code_for_status(status, version);
        if (!(resp.body = mqtt_error(r, code, detail, &resp.body_len)))
            return fail_out(r, &resp, AWPS_E_NOMEM);
        resp.content_type = "application/json; charset=utf-8";
    } else if (detail && *detail) {
        if (!(resp.body = awps__strdup(detail)))
            return fail_out(r, &resp, AWPS_E_NOMEM);
        resp.body_len = strlen(detail);
        resp.content_type = "text/plain; charset=utf-8";
    }
    return finish(r, &resp);
}

int awps_reply_fail_mqtt(awps_reply *r, int code, const char *reason)
{
    awps__resp resp = {0};
    int rc;

    if (code < 0 || code > 255 || (reason && !awps__utf8_valid(reason, strlen(reason))))
        return AWPS_E_INVALID;
    if ((rc = begin(r, 1)) != AWPS_OK)
        return rc;
    resp.status = awps_mqtt_status_for_code(code);
    if (!(resp.body = mqtt_error(r, code, reason, &resp.body_len)))
        return fail_out(r, &resp, AWPS_E_NOMEM);
    resp.content_type = "application/json; charset=utf-8";
    return finish(r, &resp);
}

int awps__reply_abort(awps_reply *r, unsigned status, const char *reason)
{
    awps__resp resp = {0};
    int rc;

    if ((rc = begin(r, 0)) != AWPS_OK)
        return rc;
    resp.status = status;
    resp.content_type = "text/plain; charset=utf-8";
    if ((resp.body = awps__strdup(reason)))
        resp.body_len = strlen(reason);
    return finish(r, &resp);
}

void awps__reply_arm(awps_reply *r)
{
    pthread_mutex_lock(&r->lock);
    if (!r->done && awps__timer_add(r->ev.handler, r) != 0) {
        pthread_mutex_unlock(&r->lock);
        awps__reply_abort(r, 500, "the event handler could not wait for its reply");
        return;
    }
    pthread_mutex_unlock(&r->lock);
}

/* ---- the timeout thread ----
 *
 * One thread for the whole library, started on the first reply that outlives
 * its callback, stopped and joined when the library is unloaded or the
 * process exits. Pending replies sit in one list ordered by deadline; each
 * holds its handler, so handlers never own or join the thread. */

static struct {
    pthread_once_t once;
    pthread_mutex_t lock;
    pthread_cond_t cond;       /* on CLOCK_MONOTONIC */
    pthread_t thread;
    int ready, started, stopped;
    awps_reply *head, *tail;
} timer = {.once = PTHREAD_ONCE_INIT, .lock = PTHREAD_MUTEX_INITIALIZER};

static void timer_init(void)
{
    pthread_condattr_t attr;

    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    timer.ready = pthread_cond_init(&timer.cond, &attr) == 0;
    pthread_condattr_destroy(&attr);
}

static void deadline_to_timespec(uint64_t deadline, struct timespec *ts)
{
    uint64_t now = awps__now_ms(), wait = deadline > now ? deadline - now : 0;

    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += (time_t)(wait / 1000);
    ts->tv_nsec += (long)(wait % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static void unlink_locked(awps_reply *r)
{
    if (r->tprev)
        r->tprev->tnext = r->tnext;
    else
        timer.head = r->tnext;
    if (r->tnext)
        r->tnext->tprev = r->tprev;
    else
        timer.tail = r->tprev;
    r->tnext = r->tprev = NULL;
    r->in_timer = 0;
}

static void expire(awps_reply *r)
{
    unsigned ms = atomic_load(&r->ev.handler->timeout_ms);
    char why[96];

    snprintf(why, sizeof why, "the event handler did not reply within %u ms", ms);
    if (awps__reply_abort(r, 500, why) == AWPS_OK)
        awps__logf(&r->ev.handler->log, AWPS_LOG_WARN, "%s event for connection %s: %s",
                   r->ev.name ? r->ev.name : "?",
                   r->ev.connection_id ? r->ev.connection_id : "?", why);
}

static void *timer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&timer.lock);
    while (!timer.stopped) {
        awps_reply *r = timer.head;
        struct timespec ts;
        if (!r) {
            pthread_cond_wait(&timer.cond, &timer.lock);
        } else if (r->deadline > awps__now_ms()) {
            deadline_to_timespec(r->deadline, &ts);
            pthread_cond_timedwait(&timer.cond, &timer.lock, &ts);
        } else {
            /* Expired: keep it alive, answer without holding the list lock. */
            unlink_locked(r);
            awps_reply_hold(r);
            pthread_mutex_unlock(&timer.lock);
            expire(r);
            awps_reply_release(r);
            pthread_mutex_lock(&timer.lock);
        }
    }
    pthread_mutex_unlock(&timer.lock);
    return NULL;
}

__attribute__((destructor)) static void timer_shutdown(void)
{
    pthread_mutex_lock(&timer.lock);
    int join = timer.started;
    timer.stopped = 1;
    timer.started = 0;
    if (join)
        pthread_cond_signal(&timer.cond);
    pthread_mutex_unlock(&timer.lock);
    if (join)
        pthread_join(timer.thread, NULL);
}

int awps__timer_add(awps_handler *h, awps_reply *r)
{
    pthread_once(&timer.once, timer_init);
    pthread_mutex_lock(&timer.lock);
    if (!timer.ready || timer.stopped) {
        pthread_mutex_unlock(&timer.lock);
        return -1;
    }
    if (!timer.started) {
        if (pthread_create(&timer.thread, NULL, timer_main, NULL) != 0) {
            pthread_mutex_unlock(&timer.lock);
            return -1;
        }
        timer.started = 1;
    }
    r->deadline = awps__now_ms() + atomic_load(&h->timeout_ms);
    /* Deadlines mostly arrive in order: walk back from the tail. */
    awps_reply *after = timer.tail;
    while (after && after->deadline > r->deadline)
        after = after->tprev;
    r->tprev = after;
    r->tnext = after ? after->tnext : timer.head;
    if (r->tnext)
        r->tnext->tprev = r;
    else
        timer.tail = r;
    if (after)
        after->tnext = r;
    else
        timer.head = r;
    r->in_timer = 1;
    if (timer.head == r)
        pthread_cond_signal(&timer.cond);
    pthread_mutex_unlock(&timer.lock);
    return 0;
}

void awps__timer_remove(awps_reply *r)
{
    pthread_mutex_lock(&timer.lock);
    if (r->in_timer)
        unlink_locked(r);
    pthread_mutex_unlock(&timer.lock);
}
