/* The connect event: every field of the body through the accessors, body
 * validation (400 with a reason, no callback), and the connect answers
 * (204, 200 JSON, fail, wrong calls, no callback). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "testutil.h"

#define WAIT_MS 5000
#define JSON_CT "application/json; charset=utf-8"

static void quiet(void *data, awps_log_level level, const char *msg)
{
    (void)data; (void)level; (void)msg;
}

static tu_request *connect_req(const char *body, size_t len)
{
    return tu_request_newv("POST", "/api/webpubsub/hubs/hub/", body, len,
                           "WebHook-Request-Origin", "xxx.webpubsub.azure.com",
                           "Content-Type", JSON_CT, "ce-awpsversion", "1.0",
                           "ce-specversion", "1.0", "ce-type", "azure.webpubsub.sys.connect",
                           "ce-source", "/hubs/hub/client/conn1", "ce-id", "1",
                           "ce-userId", "testuser", "ce-connectionId", "conn1",
                           "ce-hub", "hub", "ce-eventName", "connect",
                           "ce-signature", "sha256=abc", NULL);
}

/* ---- running a connect ---- */

typedef void (*act_fn)(awps_event *ev, awps_reply *r);
static act_fn act;            /* NULL: hold the reply for the test */
static awps_reply *held;
static int calls;

static void on_connect(awps_event *ev, awps_reply *r, void *data)
{
    (void)data;
    calls++;
    if (act) {
        act(ev, r);
    } else {
        awps_reply_hold(r);
        held = r;
    }
}

static awps_handler *handler(int with_callback)
{
    awps_handler *h = awps_handler_new("hub");
    ck_assert_ptr_nonnull(h);
    awps_handler_set_log(h, quiet, NULL, AWPS_LOG_DEBUG);
    if (with_callback)
        awps_handler_on_connect(h, on_connect, NULL);
    calls = 0;
    held = NULL;
    return h;
}

/* Start a connect whose reply the callback holds; returns its event. */
static awps_event *start(awps_handler *h, const char *body, tu_capture *c)
{
    tu_request *r = connect_req(body, strlen(body));
    act = NULL;
    ck_assert_int_eq(awps_handler_process(h, tu_request_get(r), tu_capture_respond, c), AWPS_OK);
    tu_request_free(r);  /* the event keeps its own copies */
    ck_assert_int_eq(calls, 1);
    ck_assert_ptr_nonnull(held);
    ck_assert_uint_eq(tu_capture_calls(c), 0);
    return awps_reply_event(held);
}

/* Complete the held reply with success and wait for the answer. */
static void finish(tu_capture *c, unsigned status)
{
    ck_assert_int_eq(awps_reply_success(held), AWPS_OK);
    awps_reply_release(held);
    held = NULL;
    const tu_response *res = tu_capture_wait(c, WAIT_MS);
    ck_assert_ptr_nonnull(res);
    ck_assert_uint_eq(res->status, status);
}

/* Process a connect with `a` as the callback (h's callback registered or
 * not); the answer is copied out. */
static tu_response *run(awps_handler *h, const char *body, size_t len, act_fn a)
{
    tu_capture *c = tu_capture_new();
    tu_request *r = connect_req(body, len);
    const tu_response *res;

    act = a;
    ck_assert_int_eq(tu_process(h, r, c, WAIT_MS, &res), AWPS_OK);
    ck_assert_ptr_nonnull(res);
    ck_assert_uint_eq(tu_capture_calls(c), 1);
    tu_response *out = tu_response_dup(res);
    tu_capture_free(c);
    tu_request_free(r);
    return out;
}

static tu_response *run_str(awps_handler *h, const char *body, act_fn a)
{
    return run(h, body, strlen(body), a);
}

/* ---- accessors ---- */

static const char full_body[] =
    "{\"claims\":{\"nameid\":[\"user1\"],\"role\":[\"webpubsub.sendToGroup\","
    "\"webpubsub.joinLeaveGroup\"],\"empty\":[]},"
    "\"query\":{\"access_token\":[\"tok\"],\"multi\":[\"1\",\"2\"]},"
    "\"headers\":{\"Host\":[\"localhost:8080\"],\"Sec-WebSocket-Protocol\":[\"mqtt\",\"x\"],"
    "\"Upgrade\":[\"websocket\"]},"
    "\"subprotocols\":[\"protocol1\",\"protocol2\"],"
    "\"clientCertificates\":[{\"thumbprint\":\"ABCDEF\",\"content\":\"-----BEGIN CERTIFICATE-----\"},"
    "{\"thumbprint\":\"0123\"}]}";

START_TEST(accessors_full_body)
{
    awps_handler *h = handler(1);
    tu_capture *c = tu_capture_new();
    awps_event *ev = start(h, full_body, c);

    ck_assert_str_eq(awps_event_claim(ev, "nameid"), "user1");
    ck_assert_str_eq(awps_event_claim(ev, "role"), "webpubsub.sendToGroup");
    ck_assert_ptr_null(awps_event_claim(ev, "empty"));
    ck_assert_ptr_null(awps_event_claim(ev, "NameId"));  /* claims are case-sensitive */
    ck_assert_ptr_null(awps_event_claim(ev, "missing"));
    ck_assert_ptr_null(awps_event_claim(ev, NULL));
    json_t *claims = awps_event_claims(ev);
    ck_assert(json_is_object(claims));
    ck_assert_uint_eq(json_object_size(claims), 3);
    ck_assert_uint_eq(json_array_size(json_object_get(claims, "role")), 2);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(claims, "role"), 1)),
                     "webpubsub.joinLeaveGroup");

    ck_assert_str_eq(awps_event_query_value(ev, "access_token"), "tok");
    ck_assert_str_eq(awps_event_query_value(ev, "multi"), "1");
    ck_assert_ptr_null(awps_event_query_value(ev, "ACCESS_TOKEN"));
    ck_assert_uint_eq(json_object_size(awps_event_query(ev)), 2);

    ck_assert_str_eq(awps_event_header(ev, "Host"), "localhost:8080");
    ck_assert_str_eq(awps_event_header(ev, "host"), "localhost:8080");
    ck_assert_str_eq(awps_event_header(ev, "HOST"), "localhost:8080");
    ck_assert_str_eq(awps_event_header(ev, "sec-websocket-protocol"), "mqtt");
    ck_assert_ptr_null(awps_event_header(ev, "Hos"));
    ck_assert_ptr_null(awps_event_header(ev, NULL));
    ck_assert_uint_eq(json_object_size(awps_event_headers(ev)), 3);

    json_t *sp = awps_event_subprotocols(ev);
    ck_assert_uint_eq(json_array_size(sp), 2);
    ck_assert_str_eq(json_string_value(json_array_get(sp, 0)), "protocol1");
    ck_assert_str_eq(json_string_value(json_array_get(sp, 1)), "protocol2");

    json_t *certs = awps_event_client_certificates(ev);
    ck_assert_uint_eq(json_array_size(certs), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(certs, 0), "thumbprint")),
                     "ABCDEF");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(certs, 0), "content")),
                     "-----BEGIN CERTIFICATE-----");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(certs, 1), "thumbprint")),
                     "0123");

    /* the parsed body is the whole object */
    ck_assert(json_is_object(awps_event_body(ev)));
    ck_assert_ptr_eq(json_object_get(awps_event_body(ev), "claims"), claims);
    ck_assert_ptr_null(awps_event_mqtt(ev));
    ck_assert_int_eq(awps_event_mqtt_protocol_version(ev), 0);
    finish(c, 204);
    tu_capture_free(c);
    awps_handler_free(h);
}
END_TEST

START_TEST(accessors_context)
{
    awps_handler *h = handler(1);
    tu_capture *c = tu_capture_new();
    awps_event *ev = start(h, "{}", c);

    ck_assert_int_eq(awps_event_get_type(ev), AWPS_EVENT_CONNECT);
    ck_assert_ptr_eq(awps_event_handler(ev), h);
    ck_assert_str_eq(awps_event_hub(ev), "hub");
    ck_assert_str_eq(awps_event_connection_id(ev), "conn1");
    ck_assert_str_eq(awps_event_user_id(ev), "testuser");
    ck_assert_str_eq(awps_event_name(ev), "connect");
    ck_assert_str_eq(awps_event_origin(ev), "xxx.webpubsub.azure.com");
    ck_assert_str_eq(awps_event_signature(ev), "sha256=abc");
    ck_assert_ptr_null(awps_event_subprotocol(ev));
    ck_assert_int_eq(awps_event_client_protocol(ev), AWPS_PROTOCOL_DEFAULT);
    ck_assert(json_is_object(awps_event_states(ev)));
    ck_assert_uint_eq(json_object_size(awps_event_states(ev)), 0);
    finish(c, 204);
    tu_capture_free(c);
    awps_handler_free(h);
}
END_TEST

static void assert_all_empty(awps_event *ev)
{
    ck_assert(json_is_object(awps_event_claims(ev)));
    ck_assert_uint_eq(json_object_size(awps_event_claims(ev)), 0);
    ck_assert(json_is_object(awps_event_query(ev)));
    ck_assert_uint_eq(json_object_size(awps_event_query(ev)), 0);
    ck_assert(json_is_object(awps_event_headers(ev)));
    ck_assert_uint_eq(json_object_size(awps_event_headers(ev)), 0);
    ck_assert(json_is_array(awps_event_subprotocols(ev)));
    ck_assert_uint_eq(json_array_size(awps_event_subprotocols(ev)), 0);
    ck_assert(json_is_array(awps_event_client_certificates(ev)));
    ck_assert_uint_eq(json_array_size(awps_event_client_certificates(ev)), 0);
    ck_assert_ptr_null(awps_event_claim(ev, "sub"));
    ck_assert_ptr_null(awps_event_query_value(ev, "q"));
    ck_assert_ptr_null(awps_event_header(ev, "Host"));
    ck_assert_ptr_null(awps_event_mqtt(ev));
}

START_TEST(accessors_absent_fields_empty)
{
    awps_handler *h = handler(1);
    tu_capture *c = tu_capture_new();
    assert_all_empty(start(h, "{}", c));
    finish(c, 204);
    tu_capture_free(c);
    awps_handler_free(h);
}
END_TEST

START_TEST(accessors_null_fields_as_absent)
{
    awps_handler *h = handler(1);
    tu_capture *c = tu_capture_new();
    assert_all_empty(start(h, "{\"claims\":null,\"query\":null,\"headers\":null,"
                              "\"subprotocols\":null,\"clientCertificates\":null,"
                              "\"mqtt\":null,\"unknown\":{\"x\":1}}", c));
    finish(c, 204);
    tu_capture_free(c);
    awps_handler_free(h);
}
END_TEST

START_TEST(accessors_mqtt_member)
{
    awps_handler *h = handler(1);
    tu_capture *c = tu_capture_new();
    awps_event *ev = start(h, "{\"mqtt\":{\"protocolVersion\":5,\"username\":null,"
                              "\"password\":\"cGFzcw==\",\"cleanStart\":true,"
                              "\"userProperties\":null}}", c);
    ck_assert_int_eq(awps_event_mqtt_protocol_version(ev), 5);
    ck_assert_str_eq(json_string_value(json_object_get(awps_event_mqtt(ev), "password")),
                     "cGFzcw==");
    finish(c, 204);
    tu_capture_free(c);
    awps_handler_free(h);
}
END_TEST

/* ---- validation ---- */

static void must_not_run(awps_event *ev, awps_reply *r)
{
    (void)ev;
    awps_reply_success(r);
}

/* Each body gets 400, a reason naming `field`, and no callback. */
static const struct { const char *body, *field; } wrong_types[] = {
    {"{\"claims\":[]}", "claims"},
    {"{\"claims\":\"x\"}", "claims"},
    {"{\"claims\":{\"a\":\"b\"}}", "claims"},
    {"{\"claims\":{\"a\":[\"b\",1]}}", "claims"},
    {"{\"claims\":{\"a\":null}}", "claims"},
    {"{\"query\":\"x\"}", "query"},
    {"{\"query\":{\"a\":\"b\"}}", "query"},
    {"{\"query\":{\"a\":[null]}}", "query"},
    {"{\"headers\":1}", "headers"},
    {"{\"headers\":{\"Host\":\"h\"}}", "headers"},
    {"{\"headers\":{\"Host\":[{}]}}", "headers"},
    {"{\"subprotocols\":\"a\"}", "subprotocols"},
    {"{\"subprotocols\":[1]}", "subprotocols"},
    {"{\"subprotocols\":{}}", "subprotocols"},
    {"{\"clientCertificates\":{}}", "clientCertificates"},
    {"{\"clientCertificates\":[\"x\"]}", "clientCertificates"},
    {"{\"clientCertificates\":[{\"thumbprint\":1}]}", "clientCertificates"},
    {"{\"clientCertificates\":[{\"content\":[]}]}", "clientCertificates"},
    {"{\"mqtt\":1}", "mqtt"},
    {"{\"mqtt\":[]}", "mqtt"},
    {"{\"mqtt\":{\"protocolVersion\":\"4\"}}", "protocolVersion"},
    {"{\"mqtt\":{\"protocolVersion\":4.5}}", "protocolVersion"},
    {"{\"mqtt\":{\"protocolVersion\":-1}}", "protocolVersion"},
    {"{\"mqtt\":{\"username\":1}}", "username"},
    {"{\"mqtt\":{\"password\":true}}", "password"},
    {"{\"mqtt\":{\"userProperties\":{}}}", "userProperties"},
    {"{\"mqtt\":{\"userProperties\":[\"x\"]}}", "userProperties"},
    {"{\"mqtt\":{\"userProperties\":[{\"name\":\"a\"}]}}", "userProperties"},
    {"{\"mqtt\":{\"userProperties\":[{\"name\":\"a\",\"value\":1}]}}", "userProperties"},
    {"{\"mqtt\":{\"userProperties\":[{\"name\":null,\"value\":\"b\"}]}}", "userProperties"},
};

START_TEST(wrong_field_types_400)
{
    awps_handler *h = handler(1);
    for (size_t i = 0; i < sizeof wrong_types / sizeof *wrong_types; i++) {
        tu_response *res = run_str(h, wrong_types[i].body, must_not_run);
        ck_assert_msg(res->status == 400, "%s: status %u", wrong_types[i].body, res->status);
        ck_assert_msg(strstr(res->body, wrong_types[i].field) != NULL,
                      "%s: reason '%s' does not name %s", wrong_types[i].body, res->body,
                      wrong_types[i].field);
        ck_assert_ptr_nonnull(res->content_type);
        tu_response_free(res);
    }
    ck_assert_int_eq(calls, 0);
    awps_handler_free(h);
}
END_TEST

START_TEST(malformed_bodies_400)
{
    static const char *const bad[] = {"not json", "", "[]", "[{}]", "{\"claims\":",
                                      "{\"claims\":{}", "null", "\"str\"", "1", "{}x"};
    awps_handler *h = handler(1);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tu_response *res = run_str(h, bad[i], must_not_run);
        ck_assert_msg(res->status == 400, "'%s': status %u", bad[i], res->status);
        ck_assert_msg(res->body_len > 0, "'%s': no reason", bad[i]);
        tu_response_free(res);
    }
    /* a NUL byte inside the JSON text */
    tu_response *res = run(h, "{}\0{}", 5, must_not_run);
    ck_assert_uint_eq(res->status, 400);
    tu_response_free(res);
    ck_assert_int_eq(calls, 0);
    awps_handler_free(h);
}
END_TEST

/* ---- answers ---- */

static void success_plain(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_success(r), AWPS_OK);
}

START_TEST(success_without_fields_204)
{
    awps_handler *h = handler(1);
    tu_response *res = run_str(h, "{}", success_plain);
    ck_assert_uint_eq(res->status, 204);
    ck_assert_uint_eq(res->body_len, 0);
    ck_assert_ptr_null(res->content_type);
    ck_assert_ptr_null(res->connection_state);
    ck_assert_int_eq(calls, 1);
    tu_response_free(res);
    awps_handler_free(h);
}
END_TEST

static void success_fields(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_set_user_id(r, "user1"), AWPS_OK);
    ck_assert_int_eq(awps_reply_add_group(r, "g1"), AWPS_OK);
    ck_assert_int_eq(awps_reply_add_role(r, "webpubsub.sendToGroup.g1"), AWPS_OK);
    ck_assert_int_eq(awps_reply_add_group(r, "g2"), AWPS_OK);
    ck_assert_int_eq(awps_reply_set_subprotocol(r, "json.webpubsub.azure.v1"), AWPS_OK);
    ck_assert_int_eq(awps_reply_success(r), AWPS_OK);
}

START_TEST(success_with_fields_200_json)
{
    awps_handler *h = handler(1);
    tu_response *res = run_str(h, full_body, success_fields);
    ck_assert_uint_eq(res->status, 200);
    ck_assert_str_eq(res->content_type, JSON_CT);
    json_t *got = json_loadb(res->body, res->body_len, 0, NULL);
    json_t *want = json_pack("{s:s, s:[s,s], s:[s], s:s}", "userId", "user1", "groups", "g1",
                             "g2", "roles", "webpubsub.sendToGroup.g1", "subprotocol",
                             "json.webpubsub.azure.v1");
    ck_assert_ptr_nonnull(got);
    ck_assert_msg(json_equal(got, want), "body %s", res->body);
    json_decref(got);
    json_decref(want);
    tu_response_free(res);
    awps_handler_free(h);
}
END_TEST

static void success_user_from_header(awps_event *ev, awps_reply *r)
{
    ck_assert_int_eq(awps_reply_set_user_id(r, awps_event_user_id(ev)), AWPS_OK);
    ck_assert_int_eq(awps_reply_success(r), AWPS_OK);
}

START_TEST(success_user_id_only)
{
    /* C# case: userId = ce-userId */
    awps_handler *h = handler(1);
    tu_response *res = run_str(h, "{}", success_user_from_header);
    ck_assert_uint_eq(res->status, 200);
    ck_assert_str_eq(res->body, "{\"userId\":\"testuser\"}");
    tu_response_free(res);
    awps_handler_free(h);
}
END_TEST

/* Strings that need escaping, non-ASCII text, an empty group. */
static const char *const tricky[] = {"q\"uo\\te/slash", "ctl\x01\x1f\b\f\n\r\t.",
                                     "caf\xc3\xa9 \xf0\x9f\x98\x80", "", "\x7f"};

static void success_tricky(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_set_user_id(r, tricky[0]), AWPS_OK);
    for (size_t i = 0; i < sizeof tricky / sizeof *tricky; i++)
        ck_assert_int_eq(awps_reply_add_group(r, tricky[i]), AWPS_OK);
    ck_assert_int_eq(awps_reply_add_role(r, tricky[1]), AWPS_OK);
    ck_assert_int_eq(awps_reply_set_subprotocol(r, tricky[2]), AWPS_OK);
    ck_assert_int_eq(awps_reply_add_mqtt_user_property(r, tricky[1], tricky[0]), AWPS_OK);
    ck_assert_int_eq(awps_reply_add_mqtt_user_property(r, "k", ""), AWPS_OK);
    ck_assert_int_eq(awps_reply_success(r), AWPS_OK);
}

START_TEST(success_answer_bytes_as_jansson)
{
    /* the answer is written without jansson: byte for byte what its compact
     * dump of the same object gives */
    awps_handler *h = handler(1);
    tu_response *res = run_str(h, "{}", success_tricky);
    json_t *groups = json_array();
    for (size_t i = 0; i < sizeof tricky / sizeof *tricky; i++)
        json_array_append_new(groups, json_string(tricky[i]));
    json_t *want = json_pack("{s:s, s:o, s:[s], s:s, s:{s:[{s:s, s:s}, {s:s, s:s}]}}", "userId",
                             tricky[0], "groups", groups, "roles", tricky[1], "subprotocol",
                             tricky[2], "mqtt", "userProperties", "name", tricky[1], "value",
                             tricky[0], "name", "k", "value", "");
    ck_assert_ptr_nonnull(want);
    char *text = json_dumps(want, JSON_COMPACT);
    ck_assert_uint_eq(res->status, 200);
    ck_assert_uint_eq(res->body_len, strlen(text));
    ck_assert_mem_eq(res->body, text, res->body_len);
    free(text);
    json_decref(want);
    tu_response_free(res);
    awps_handler_free(h);
}
END_TEST

static void fail_401_x(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_fail(r, 401, "x"), AWPS_OK);
}

static void fail_500_null(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_fail(r, 500, NULL), AWPS_OK);
}

START_TEST(fail_answers)
{
    awps_handler *h = handler(1);
    tu_response *res = run_str(h, "{}", fail_401_x);
    ck_assert_uint_eq(res->status, 401);
    ck_assert_str_eq(res->body, "x");
    ck_assert_uint_eq(res->body_len, 1);
    tu_response_free(res);
    res = run_str(h, "{}", fail_500_null);
    ck_assert_uint_eq(res->status, 500);
    ck_assert_uint_eq(res->body_len, 0);
    ck_assert_ptr_null(res->connection_state);
    tu_response_free(res);
    awps_handler_free(h);
}
END_TEST

static int bad_rc[4];

static void fail_out_of_range(awps_event *ev, awps_reply *r)
{
    (void)ev;
    bad_rc[0] = awps_reply_fail(r, 399, "x");
    bad_rc[1] = awps_reply_fail(r, 600, "x");
    bad_rc[2] = awps_reply_fail(r, 200, NULL);
    bad_rc[3] = awps_reply_fail(r, 401, "\xc3\x28");  /* detail not UTF-8 */
    ck_assert(!awps_reply_is_done(r));
    ck_assert_int_eq(awps_reply_set_user_id(r, "u"), AWPS_OK);
    ck_assert_int_eq(awps_reply_success(r), AWPS_OK);
}

START_TEST(fail_invalid_status_keeps_reply)
{
    awps_handler *h = handler(1);
    tu_response *res = run_str(h, "{}", fail_out_of_range);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(bad_rc[i], AWPS_E_INVALID);
    ck_assert_uint_eq(res->status, 200);
    ck_assert_str_eq(res->body, "{\"userId\":\"u\"}");
    tu_response_free(res);
    awps_handler_free(h);
}
END_TEST

static int wrong_rc, null_rc[3];

static void success_data_on_connect(awps_event *ev, awps_reply *r)
{
    (void)ev;
    wrong_rc = awps_reply_success_data(r, AWPS_DATA_TEXT, "a", 1);
    null_rc[0] = awps_reply_set_user_id(r, NULL);
    null_rc[1] = awps_reply_add_group(r, NULL);
    null_rc[2] = awps_reply_add_role(r, NULL);
    ck_assert(!awps_reply_is_done(r));
    ck_assert_int_eq(awps_reply_success(r), AWPS_OK);
}

START_TEST(success_data_wrong_event)
{
    awps_handler *h = handler(1);
    tu_response *res = run_str(h, "{}", success_data_on_connect);
    ck_assert_int_eq(wrong_rc, AWPS_E_WRONG_EVENT);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(null_rc[i], AWPS_E_INVALID);
    ck_assert_uint_eq(res->status, 204);
    tu_response_free(res);
    awps_handler_free(h);
}
END_TEST

START_TEST(no_callback_200_body_unread)
{
    awps_handler *h = handler(0);
    static const char *const bodies[] = {"{}", "not json at all", "{\"claims\":[]}", ""};
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        tu_response *res = run_str(h, bodies[i], NULL);
        ck_assert_msg(res->status == 200, "'%s': status %u", bodies[i], res->status);
        ck_assert_uint_eq(res->body_len, 0);
        ck_assert_ptr_null(res->connection_state);
        tu_response_free(res);
    }
    /* an MQTT client: 204 */
    tu_capture *c = tu_capture_new();
    const tu_response *res;
    tu_request *r = connect_req("not json", 8);
    tu_request_add_header(r, "ce-subprotocol", "mqtt");
    tu_request_add_header(r, "ce-physicalConnectionId", "p1");
    ck_assert_int_eq(tu_process(h, r, c, WAIT_MS, &res), AWPS_OK);
    ck_assert_ptr_nonnull(res);
    ck_assert_uint_eq(res->status, 204);
    ck_assert_uint_eq(res->body_len, 0);
    ck_assert_uint_eq(tu_capture_calls(c), 1);
    tu_request_free(r);
    tu_capture_free(c);
    awps_handler_free(h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("connect");
    TCase *ta = tcase_create("accessors");
    tcase_add_test(ta, accessors_full_body);
    tcase_add_test(ta, accessors_context);
    tcase_add_test(ta, accessors_absent_fields_empty);
    tcase_add_test(ta, accessors_null_fields_as_absent);
    tcase_add_test(ta, accessors_mqtt_member);
    suite_add_tcase(s, ta);

    TCase *tv = tcase_create("validation");
    tcase_add_test(tv, wrong_field_types_400);
    tcase_add_test(tv, malformed_bodies_400);
    suite_add_tcase(s, tv);

    TCase *tr = tcase_create("answers");
    tcase_add_test(tr, success_without_fields_204);
    tcase_add_test(tr, success_with_fields_200_json);
    tcase_add_test(tr, success_user_id_only);
    tcase_add_test(tr, success_answer_bytes_as_jansson);
    tcase_add_test(tr, fail_answers);
    tcase_add_test(tr, fail_invalid_status_keeps_reply);
    tcase_add_test(tr, success_data_wrong_event);
    tcase_add_test(tr, no_callback_200_body_unread);
    suite_add_tcase(s, tr);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
