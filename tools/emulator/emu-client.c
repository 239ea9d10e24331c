/* awps-emulator: the client protocols (client-protocol.md §3.2–§3.4).
 *
 * json.webpubsub.azure.v1 (and json.reliable.webpubsub.azure.v1, where
 * message frames carry a sequenceId; reconnection is not offered): joinGroup,
 * leaveGroup, sendToGroup (noEcho), event, ping, sequenceAck; acks with
 * duplicate detection; permissions from roles. Plain WebSocket clients:
 * every frame is a `message` user event whose answer goes back as a frame. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "emu.h"

#define ACK_MEMORY 1024   /* ack ids remembered for duplicate detection */

typedef struct client_state {
    pthread_mutex_t lock;        /* orders deliveries (sequence ids) */
    uint64_t sequence;           /* last sequenceId sent (reliable) */
    int reliable;
    uint64_t acks[ACK_MEMORY];   /* ring of recent ack ids */
    size_t n_acks, next_ack;
} client_state;

static client_state *state_of(emu_conn *c)
{
    return c->client;
}

/* Set up the protocol state; called once the subprotocol is known. */
int emu_client_init(emu_conn *c)
{
    client_state *s = calloc(1, sizeof *s);

    if (!s)
        return -1;
    pthread_mutex_init(&s->lock, NULL);
    s->reliable = c->subprotocol && !strcmp(c->subprotocol, "json.reliable.webpubsub.azure.v1");
    c->client = s;
    return 0;
}

void emu_client_free_state(emu_conn *c)
{
    client_state *s = state_of(c);

    if (s) {
        pthread_mutex_destroy(&s->lock);
        free(s);
        c->client = NULL;
    }
    if (c->ops && c->ops->release)
        c->ops->release(c);
}

/* ---- output ---- */

static int send_json(emu_conn *c, json_t *frame)
{
    char *text = json_dumps(frame, JSON_COMPACT);
    int rc = -1;

    json_decref(frame);
    if (text) {
        rc = c->ops->send(c, 1, text, strlen(text));
        free(text);
    }
    return rc;
}

static json_t *data_value(const emu_msg *m, const char **dtype)
{
    json_t *v;

    switch (m->type) {
    case EMU_JSON:
        v = json_loadb(m->data, m->len, JSON_DECODE_ANY, NULL);
        if (v) {
            *dtype = "json";
            return v;
        }
        /* not JSON after all: fall through as text */
        /* fall through */
    case EMU_TEXT:
        if (awps__utf8_valid(m->data, m->len)) {
            *dtype = "text";
            return json_stringn(m->data, m->len);
        }
        /* fall through */
    case EMU_BINARY:
    default: {
        char *b64 = awps__b64_encode(m->data, m->len);
        *dtype = "binary";
        if (!b64)
            return NULL;
        v = json_string(b64);
        free(b64);
        return v;
    }
    }
}

/* The message's json.webpubsub.azure.v1 frame, without a sequence id. */
static int build_frame(const emu_msg *m, emu_frame *f)
{
    const char *dtype = "binary";
    json_t *frame, *data;

    if (!(data = data_value(m, &dtype)))
        return -1;
    if (m->group)
        frame = json_pack("{s:s, s:s, s:s, s:s*, s:s, s:o}", "type", "message", "from", "group",
                          "group", m->group, "fromUserId", m->from_user, "dataType", dtype,
                          "data", data);
    else
        frame = json_pack("{s:s, s:s, s:s, s:o}", "type", "message", "from", "server",
                          "dataType", dtype, "data", data);
    if (!frame)
        return -1;
    f->text = json_dumps(frame, JSON_COMPACT);
    json_decref(frame);
    if (!f->text)
        return -1;
    f->len = strlen(f->text);
    return 0;
}

void emu_frame_clear(emu_frame *f)
{
    free(f->text);
    memset(f, 0, sizeof *f);
}

int emu_deliver_frame(emu_conn *c, const emu_msg *m, emu_frame *f)
{
    client_state *s = state_of(c);
    int rc;

    if (c->proto == EMU_PROTO_PLAIN) {
        int text = m->type != EMU_BINARY && awps__utf8_valid(m->data, m->len);
        return c->ops->send(c, text, m->data, m->len);
    }
    if (!f->built)
        f->built = build_frame(m, f) == 0 ? 1 : -1;
    if (f->built < 0)
        return -1;
    if (!s)
        return c->ops->send(c, 1, f->text, f->len);
    /* sequence ids go out in order: number and queue under one lock */
    pthread_mutex_lock(&s->lock);
    if (s->reliable) {
        /* the frame (a compact JSON object) with "sequenceId" added last */
        char *t = malloc(f->len + 40);
        int n = t ? snprintf(t, f->len + 40, "%.*s,\"sequenceId\":%llu}", (int)f->len - 1,
                             f->text, (unsigned long long)++s->sequence)
                  : -1;
        rc = n > 0 ? c->ops->send(c, 1, t, (size_t)n) : -1;
        free(t);
    } else {
        rc = c->ops->send(c, 1, f->text, f->len);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int emu_deliver(emu_conn *c, const emu_msg *m)
{
    emu_frame f = {0};
    int rc = emu_deliver_frame(c, m, &f);

    emu_frame_clear(&f);
    return rc;
}

static void send_ack(emu_conn *c, uint64_t ack_id, const char *error, const char *message)
{
    json_t *frame;

    if (error)
        frame = json_pack("{s:s, s:I, s:b, s:{s:s, s:s}}", "type", "ack", "ackId",
                          (json_int_t)ack_id, "success", 0, "error", "name", error, "message",
                          message);
    else
        frame = json_pack("{s:s, s:I, s:b}", "type", "ack", "ackId", (json_int_t)ack_id,
                          "success", 1);
    if (frame)
        send_json(c, frame);
}

/* ---- lifecycle ---- */

void emu_client_opened(emu_conn *c)
{
    if (c->proto == EMU_PROTO_JSON) {
        json_t *frame = json_pack("{s:s, s:s, s:s?, s:s}", "type", "system", "event", "connected",
                                  "userId", c->user, "connectionId", c->id);
        if (frame && state_of(c) && state_of(c)->reliable)
            json_object_set_new(frame, "reconnectionToken", json_string(c->id));
        if (frame)
            send_json(c, frame);
    }
    emu_upstream_connected(c);
}

void emu_client_closed(emu_conn *c, const char *reason)
{
    emu_upstream_disconnected(c, reason);
}

/* ---- plain WebSocket clients ---- */

static void plain_frame(emu_conn *c, int text, const void *data, size_t len)
{
    emu_event_result r;

    if (!emu_upstream_handles(c->hub, "message")) {
        c->ops->close(c, EMU_CLOSE_POLICY, "no event handler for the message event");
        return;
    }
    if (emu_upstream_user_event(c, "message", text ? EMU_TEXT : EMU_BINARY, data, len, &r)) {
        emu_logf(c->hub->owner, "message from %s: %s", c->id, r.reason);
        c->ops->close(c, EMU_CLOSE_SERVER_ERROR, "the event handler failed");
        return;
    }
    if (r.body) {
        emu_msg m = {.type = r.type, .data = r.body, .len = r.len};
        emu_deliver(c, &m);
    }
    emu_event_result_clear(&r);
}

/* ---- json.webpubsub.azure.v1 ---- */

/* Record ack_id; 1 when it was seen before. */
static int duplicate_ack(emu_conn *c, uint64_t ack_id)
{
    client_state *s = state_of(c);

    for (size_t i = 0; i < s->n_acks; i++)
        if (s->acks[i] == ack_id)
            return 1;
    s->acks[s->next_ack] = ack_id;
    s->next_ack = (s->next_ack + 1) % ACK_MEMORY;
    if (s->n_acks < ACK_MEMORY)
        s->n_acks++;
    return 0;
}

/* The data of sendToGroup/event as bytes: new buffer in *out. 0 or -1. */
static int frame_data(json_t *frame, emu_dtype *type, char **out, size_t *len,
                      const char **why)
{
    const char *dt = json_string_value(json_object_get(frame, "dataType"));
    json_t *data = json_object_get(frame, "data");

    *out = NULL;
    *len = 0;
    if (json_object_get(frame, "dataType") && !dt)
        return *why = "dataType must be a string", -1;
    if (!dt || !strcmp(dt, "json")) {
        *type = EMU_JSON;
        if (!data)
            return *why = "data is missing", -1;
        if (!(*out = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY)))
            return *why = "data cannot be encoded", -1;
        *len = strlen(*out);
        return 0;
    }
    if (!strcmp(dt, "text")) {
        *type = EMU_TEXT;
        if (!json_is_string(data))
            return *why = "text data must be a string", -1;
        *len = json_string_length(data);
        if (!(*out = malloc(*len + 1)))
            return *why = "out of memory", -1;
        memcpy(*out, json_string_value(data), *len + 1);
        return 0;
    }
    if (!strcmp(dt, "binary") || !strcmp(dt, "protobuf")) {
        *type = EMU_BINARY;
        if (!json_is_string(data))
            return *why = "binary data must be a base64 string", -1;
        if (!(*out = (char *)awps__b64_decode(json_string_value(data), len)))
            return *why = "binary data is not valid base64", -1;
        return 0;
    }
    return *why = "unknown dataType", -1;
}

/* a name from a frame: a string of 1..EMU_MAX_NAME bytes without NUL */
static int valid_name(json_t *v)
{
    const char *s = json_string_value(v);
    size_t n = s ? json_string_length(v) : 0;
    return n > 0 && n <= EMU_MAX_NAME && strlen(s) == n;
}

/* No control byte (it would go into the ce-eventName header and the URL). */
static int header_safe(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

static void json_frame(emu_conn *c, const void *data, size_t len)
{
    json_error_t jerr;
    /* \u0000 is allowed in the JSON (it may be text data); names holding
     * one are refused below */
    json_t *frame = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    json_t *ack = frame ? json_object_get(frame, "ackId") : NULL;
    const char *type = frame ? json_string_value(json_object_get(frame, "type")) : NULL;
    const char *group = frame ? json_string_value(json_object_get(frame, "group")) : NULL;
    int has_ack = json_is_integer(ack) && json_integer_value(ack) >= 0;
    uint64_t ack_id = has_ack ? (uint64_t)json_integer_value(ack) : 0;
    const char *why = NULL;
    char *bytes = NULL;
    size_t n = 0;
    emu_dtype dt = EMU_JSON;

#define FAIL(name, msg)                                 \
    do {                                                \
        if (has_ack)                                    \
            send_ack(c, ack_id, name, msg);             \
        else                                            \
            emu_logf(c->hub->owner, "connection %s: %s", c->id, msg); \
        goto done;                                      \
    } while (0)

    if (!json_is_object(frame) || !type) {
        emu_logf(c->hub->owner, "connection %s: ignoring a frame that is not a JSON object with a type",
                 c->id);
        goto done;
    }
    if (ack && !has_ack)
        FAIL("BadRequest", "ackId must be a non-negative integer");
    if (!strcmp(type, "ping")) {
        send_json(c, json_pack("{s:s}", "type", "pong"));
        goto done;
    }
    if (!strcmp(type, "sequenceAck"))
        goto done;
    if (has_ack && duplicate_ack(c, ack_id)) {
        char msg[96];
        snprintf(msg, sizeof msg, "Message with ack-id: %" PRIu64 " has been processed", ack_id);
        send_ack(c, ack_id, "Duplicate", msg);
        goto done;
    }
    if (!strcmp(type, "joinGroup") || !strcmp(type, "leaveGroup")) {
        int join = type[0] == 'j';
        if (!valid_name(json_object_get(frame, "group")))
            FAIL("BadRequest", "group must be a string of 1 to 1024 characters");
        if (!emu_conn_can(c, "joinLeaveGroup", group))
            FAIL("Forbidden", "The connection has no permission to join or leave the group");
        if ((join ? emu_group_join(c, group) : emu_group_leave(c, group)) != 0)
            FAIL("InternalServerError", "the group could not be changed");
        if (has_ack)
            send_ack(c, ack_id, NULL, NULL);
    } else if (!strcmp(type, "sendToGroup")) {
        json_t *no_echo = json_object_get(frame, "noEcho");
        if (!valid_name(json_object_get(frame, "group")))
            FAIL("BadRequest", "group must be a string of 1 to 1024 characters");
        if (no_echo && !json_is_boolean(no_echo))
            FAIL("BadRequest", "noEcho must be a boolean");
        if (!emu_conn_can(c, "sendToGroup", group))
            FAIL("Forbidden", "The connection has no permission to send to the group");
        if (frame_data(frame, &dt, &bytes, &n, &why))
            FAIL("BadRequest", why);
        emu_target t = {.group = group, .no_echo = json_is_true(no_echo) ? c : NULL};
        emu_msg m = {.type = dt, .data = bytes, .len = n, .group = group, .from_user = c->user};
        emu_send(c->hub, &t, &m);
        if (has_ack)
            send_ack(c, ack_id, NULL, NULL);
    } else if (!strcmp(type, "event")) {
        const char *event = json_string_value(json_object_get(frame, "event"));
        emu_event_result r;
        if (!valid_name(json_object_get(frame, "event")) || !header_safe(event) ||
            strcspn(event, "/?#{} ") != strlen(event))
            FAIL("BadRequest", "event must be a name without spaces, control characters "
                               "or URL characters");
        if (frame_data(frame, &dt, &bytes, &n, &why))
            FAIL("BadRequest", why);
        if (!emu_upstream_handles(c->hub, event)) {
            if (has_ack)
                send_ack(c, ack_id, NULL, NULL);
            goto done;
        }
        if (emu_upstream_user_event(c, event, dt, bytes, n, &r)) {
            emu_logf(c->hub->owner, "event %s from %s: %s", event, c->id, r.reason);
            FAIL("InternalServerError", r.reason);
        }
        if (r.body) {
            emu_msg m = {.type = r.type, .data = r.body, .len = r.len};
            emu_deliver(c, &m);
        }
        emu_event_result_clear(&r);
        if (has_ack)
            send_ack(c, ack_id, NULL, NULL);
    } else {
        FAIL("BadRequest", "unknown message type");
    }
done:
    free(bytes);
    json_decref(frame);
#undef FAIL
}

void emu_client_frame(emu_conn *c, int text, const void *data, size_t len)
{
    if (c->proto == EMU_PROTO_PLAIN) {
        plain_frame(c, text, data, len);
        return;
    }
    if (!text) {
        c->ops->close(c, 1003, "binary frames are not supported by this subprotocol");
        return;
    }
    json_frame(c, data, len);
}
