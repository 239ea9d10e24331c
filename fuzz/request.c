/* libFuzzer target: the core's request path, awps_handler_process(), with
 * method, path, headers and body all taken from the input.
 *
 * Input layout:
 *   byte 0  bits 0-1 method (POST, POST, OPTIONS, PUT)
 *           bits 2-3 path (chat hub, chat without '/', signed hub, odd case)
 *           bit  4   add the usual service headers for the chat/signed hub
 *           bits 5-7 ce-type among the known ones (with the usual headers)
 *   byte 1  how the callbacks answer (bits 0-2), valid signature (bit 7)
 *   then    "name:value\n" header lines up to an empty line; the rest is
 *           the body.
 *
 * Two handlers (chat: no keys; signed: a key and an allowed endpoint), every
 * callback registered; they read every accessor and answer inside the
 * callback or after awps_handler_process() returns (held replies). Checked:
 * exactly one answer per accepted request, none for declined ones, statuses
 * 200-599, a reason with every 4xx, a state header that decodes; a second
 * terminal call is refused. Both handlers are freed after each input. */
#include <stdio.h>
#include <strings.h>

#include "fuzz.h"

#define MAX_HEADERS 64
#define MAX_HELD 4

static unsigned answers;
static unsigned mode;
static awps_reply *held[MAX_HELD];
static size_t n_held;

static void respond(void *data, const awps_http_response *res)
{
    (void)data;
    answers++;
    FUZZ_CHECK(res->status >= 200 && res->status <= 599);
    FUZZ_CHECK(res->body || res->body_len == 0);
    if (res->status >= 400 && res->status < 500)
        FUZZ_CHECK(res->body_len > 0);  /* every library 4xx says why */
    if (res->body_len)
        FUZZ_CHECK(((const char *)res->body)[res->body_len - 1] || 1);
    if (res->content_type)
        FUZZ_CHECK(!strpbrk(res->content_type, "\r\n"));
    if (res->connection_state) {
        FUZZ_CHECK(strspn(res->connection_state, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                 "0123456789+/=") == strlen(res->connection_state));
        json_t *st = awps__state_decode(res->connection_state);
        FUZZ_CHECK(st != NULL);
        json_decref(st);
    }
}

/* Answer, or keep the reply for later. */
static void answer(awps_reply *r, int user)
{
    size_t len;
    const void *data = awps_event_data(awps_reply_event(r), &len);
    int rc;

    switch (mode & 7) {
    case 0: rc = awps_reply_success(r); break;
    case 1: rc = awps_reply_fail(r, 400 + (unsigned)(len % 200), "refused"); break;
    case 2: rc = user ? awps_reply_success_data(r, awps_event_data_type(awps_reply_event(r)), data, len)
                      : awps_reply_fail_mqtt(r, (int)(len % 256), "mqtt refused");
        break;
    case 3: rc = awps_reply_fail(r, 503, NULL); break;
    default:
        if (n_held < MAX_HELD) {
            awps_reply_hold(r);
            held[n_held++] = r;
            return;
        }
        rc = awps_reply_success(r);
        break;
    }
    if (rc == AWPS_OK)
        FUZZ_CHECK(awps_reply_success(r) == AWPS_E_DONE);
}

static void on_connect(awps_event *ev, awps_reply *r, void *d)
{
    const char *v;
    size_t i;
    json_t *item;

    (void)d;
    fuzz_touch_event(ev);
    if ((v = awps_event_query_value(ev, "state")))
        awps_reply_set_state_string(r, "plan", v);
    if ((v = awps_event_claim(ev, "sub")))
        awps_reply_set_user_id(r, v);
    json_array_foreach(json_object_get(awps_event_query(ev), "group"), i, item)
        awps_reply_add_group(r, json_string_value(item));
    json_array_foreach(json_object_get(awps_event_query(ev), "role"), i, item)
        awps_reply_add_role(r, json_string_value(item));
    if ((v = json_string_value(json_array_get(awps_event_subprotocols(ev), 0))))
        awps_reply_set_subprotocol(r, v);
    if (awps_event_client_protocol(ev) == AWPS_PROTOCOL_MQTT)
        awps_reply_add_mqtt_user_property(r, "k", v ? v : "v");
    FUZZ_CHECK(awps_reply_success_data(r, AWPS_DATA_TEXT, "x", 1) == AWPS_E_WRONG_EVENT);
    answer(r, 0);
}

static void on_user(awps_event *ev, awps_reply *r, void *d)
{
    json_t *c = awps_event_state(ev, "count");

    (void)d;
    fuzz_touch_event(ev);
    FUZZ_CHECK(awps_reply_set_user_id(r, "u") == AWPS_E_WRONG_EVENT);
    if (mode & 8) {
        awps_reply_clear_states(r);
    } else {
        json_t *n = json_integer(json_is_integer(c) ? json_integer_value(c) + 1 : 1);
        awps_reply_set_state(r, "count", n);
        json_decref(n);
    }
    answer(r, 1);
}

static void on_notify(const awps_event *ev, void *d)
{
    (void)d;
    fuzz_touch_event(ev);
}

static awps_handler *hub(const char *name, const char *path)
{
    awps_handler *h = awps_handler_new(name);

    if (!h || (path && awps_handler_set_path(h, path) != AWPS_OK))
        abort();
    awps_handler_on_connect(h, on_connect, NULL);
    awps_handler_on_user_event(h, on_user, NULL);
    awps_handler_on_connected(h, on_notify, NULL);
    awps_handler_on_disconnected(h, on_notify, NULL);
    awps_handler_on_group_joined(h, on_notify, NULL);
    awps_handler_on_group_left(h, on_notify, NULL);
    awps_handler_set_log(h, fuzz_quiet, NULL, AWPS_LOG_DEBUG);
    awps_handler_set_max_body(h, 1 << 16);
    return h;
}

static const char *const methods[] = {"POST", "POST", "OPTIONS", "PUT"};
static const char *const paths[] = {"/api/webpubsub/hubs/chat/", "/api/webpubsub/hubs/chat",
                                    "/signed/connect", "/API/WebPubSub/hubs/CHAT/x"};
static const char *const types[] = {
    "azure.webpubsub.sys.connect", "azure.webpubsub.sys.connected",
    "azure.webpubsub.sys.disconnected", "azure.webpubsub.user.message",
    "azure.webpubsub.gp.joined", "azure.webpubsub.gp.left", "azure.webpubsub.user.",
    "azure.webpubsub.sys.other"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    awps_http_header hs[MAX_HEADERS + 12];
    size_t n = 0, pos = 2;
    char *text, sig[8 + AWPS__SIG_HEX_LEN + 1];
    const char *conn = NULL;

    if (size < 2)
        return 0;
    unsigned flags = data[0];
    mode = data[1];
    int signed_hub = ((flags >> 2) & 3) == 2;
    text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    if (flags & 16) {
        hs[n++] = (awps_http_header){"ce-awpsversion", "1.0"};
        hs[n++] = (awps_http_header){"ce-specversion", "1.0"};
        hs[n++] = (awps_http_header){"ce-type", types[flags >> 5]};
        hs[n++] = (awps_http_header){"ce-hub", signed_hub ? "signed" : "chat"};
        hs[n++] = (awps_http_header){"WebHook-Request-Origin", "allowed.example"};
    }
    /* header lines up to an empty line */
    while (pos < size && n < MAX_HEADERS) {
        char *line = text + pos, *nl = memchr(line, '\n', size - pos);
        size_t len = nl ? (size_t)(nl - line) : size - pos;
        pos += len + (nl ? 1 : 0);
        if (len == 0)
            break;
        line[len] = '\0';
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        hs[n++] = (awps_http_header){line, colon + 1};
        if (strcasecmp(line, "ce-connectionId") == 0)
            conn = colon + 1;
    }
    if ((mode & 128) && conn) {
        memcpy(sig, "sha256=", 7);
        if (awps__sig_compute("fuzz-key", conn, sig + 7) == 0)
            hs[n++] = (awps_http_header){"ce-signature", sig};
    }
    /* the body: an exact-size copy, so that reads past it are caught */
    size_t blen = pos < size ? size - pos : 0;
    char *body = blen ? malloc(blen) : NULL;
    if (blen)
        memcpy(body, data + pos, blen);

    awps_handler *chat = hub("chat", NULL), *sgn = hub("signed", "/signed/");
    if (awps_handler_add_key(sgn, "fuzz-key") != AWPS_OK ||
        awps_handler_add_allowed_endpoint(sgn, "https://allowed.example") != AWPS_OK)
        abort();
    awps_http_request req = {methods[flags & 3], paths[(flags >> 2) & 3], hs, n, body, blen};

    answers = 0;
    n_held = 0;
    int rc = awps_handler_process(chat, &req, respond, NULL);
    if (rc == AWPS_DECLINED)
        rc = awps_handler_process(sgn, &req, respond, NULL);
    FUZZ_CHECK(rc == AWPS_OK || rc == AWPS_DECLINED);
    /* answer the held replies now, from "later" */
    for (size_t i = 0; i < n_held; i++) {
        awps_reply *r = held[i];
        int user = awps_event_get_type(awps_reply_event(r)) == AWPS_EVENT_USER;
        FUZZ_CHECK(!awps_reply_is_done(r));
        FUZZ_CHECK((user ? awps_reply_success_data(r, AWPS_DATA_JSON, "{}", 2)
                         : awps_reply_fail(r, 401, "later")) == AWPS_OK);
        FUZZ_CHECK(awps_reply_fail(r, 500, "again") == AWPS_E_DONE);
        awps_reply_release(r);
    }
    FUZZ_CHECK(answers == (rc == AWPS_OK ? 1u : 0u));
    awps_handler_free(chat);
    awps_handler_free(sgn);
    free(body);
    free(text);
    return 0;
}
