/* MQTT: the code tables of spec §5.1 (both directions), MQTT connect answers
 * (express connect tests #4, #7, #8, #9, #11), version-dependent codes, user
 * properties, and the MQTT context accessors. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "testutil.h"

#define WAIT_MS 5000
#define JSON_CT "application/json; charset=utf-8"

/* The mqtt member of MOCK_MQTT_REQUEST_BODY (spec §11.3), version 4. */
#define MQTT_V4 "{\"protocolVersion\":4,\"username\":\"username\",\"password\":\"password\"," \
                "\"userProperties\":[{\"name\":\"a\",\"value\":\"b\"}]}"
#define MQTT_V5 "{\"protocolVersion\":5,\"username\":\"username\",\"password\":\"password\"," \
                "\"userProperties\":[{\"name\":\"a\",\"value\":\"b\"}]}"

static void quiet(void *data, awps_log_level level, const char *msg)
{
    (void)data; (void)level; (void)msg;
}

/* The rest of MOCK_MQTT_REQUEST_BODY, then the mqtt member (if any). */
static char *mock_body(const char *mqtt)
{
    static const char rest[] =
        "{\"claims\":{\"iat\":[\"1723005952\"],\"exp\":[\"1726605954\"],"
        "\"aud\":[\"ws://localhost:8080/clients/mqtt/hubs/simplechat\"],"
        "\"http://schemas.microsoft.com/ws/2008/06/identity/claims/role\":"
        "[\"webpubsub.sendToGroup\",\"webpubsub.joinLeaveGroup\"],"
        "\"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier\":[\"user1\"],"
        "\"role\":[\"webpubsub.sendToGroup\",\"webpubsub.joinLeaveGroup\"],\"nameid\":[\"user1\"]},"
        "\"query\":{\"access_token\":[\"REDATED\"]},"
        "\"headers\":{\"Connection\":[\"Upgrade\"],\"Host\":[\"localhost:8080\"],"
        "\"Upgrade\":[\"websocket\"],\"Sec-WebSocket-Version\":[\"13\"],"
        "\"Sec-WebSocket-Key\":[\"REDATED\"],"
        "\"Sec-WebSocket-Extensions\":[\"permessage-deflate; client_max_window_bits\"],"
        "\"Sec-WebSocket-Protocol\":[\"mqtt\"]},"
        "\"subprotocols\":[\"mqtt\"],"
        "\"clientCertificates\":[{\"thumbprint\":\"thumbprint\",\"content\":\"certificate content\"}]";
    size_t n = sizeof rest + (mqtt ? strlen(mqtt) + 16 : 0) + 2;
    char *b = malloc(n);
    ck_assert_ptr_nonnull(b);
    if (mqtt)
        snprintf(b, n, "%s,\"mqtt\":%s}", rest, mqtt);
    else
        snprintf(b, n, "%s}", rest);
    return b;
}

/* A connect for hub "hub"; MQTT headers when `mqtt_headers`. */
static tu_request *connect_req(int mqtt_headers, const char *body)
{
    tu_request *r = tu_request_newv("POST", "/api/webpubsub/hubs/hub/", body, strlen(body),
                                    "WebHook-Request-Origin", "xxx.webpubsub.azure.com",
                                    "Content-Type", JSON_CT, "ce-awpsversion", "1.0",
                                    "ce-specversion", "1.0",
                                    "ce-type", "azure.webpubsub.sys.connect",
                                    "ce-source", "/hubs/hub/client/conn1", "ce-id", "1",
                                    "ce-connectionId", "conn1", "ce-hub", "hub",
                                    "ce-event", "connect", NULL);
    if (mqtt_headers) {
        tu_request_add_header(r, "ce-subprotocol", "mqtt");
        tu_request_add_header(r, "ce-physicalconnectionid", "physicalConnectionId");
    }
    return r;
}

static tu_request *mqtt_connect(const char *mqtt_member)
{
    char *body = mock_body(mqtt_member);
    tu_request *r = connect_req(1, body);
    free(body);
    return r;
}

/* What the connect callback does. */
typedef void (*act_fn)(awps_event *ev, awps_reply *r);
static act_fn act;
static int calls;

/* Context as seen by the callback. */
static struct {
    awps_client_protocol protocol;
    char phys[64], session[64], subprotocol[64];
    int has_phys, has_session, version;
    json_t *mqtt;
} seen;

static void copy_opt(char *dst, size_t cap, int *has, const char *src)
{
    *has = src != NULL;
    snprintf(dst, cap, "%s", src ? src : "");
}

static void on_event(awps_event *ev, awps_reply *r, void *data)
{
    int has_sub;
    (void)data;
    calls++;
    seen.protocol = awps_event_client_protocol(ev);
    copy_opt(seen.phys, sizeof seen.phys, &seen.has_phys, awps_event_physical_connection_id(ev));
    copy_opt(seen.session, sizeof seen.session, &seen.has_session, awps_event_session_id(ev));
    copy_opt(seen.subprotocol, sizeof seen.subprotocol, &has_sub, awps_event_subprotocol(ev));
    seen.version = awps_event_mqtt_protocol_version(ev);
    json_decref(seen.mqtt);
    seen.mqtt = awps_event_mqtt(ev) ? json_deep_copy(awps_event_mqtt(ev)) : NULL;
    act(ev, r);
}

static void setup(void)
{
    memset(&seen, 0, sizeof seen);
    calls = 0;
}

static void teardown(void)
{
    json_decref(seen.mqtt);
    seen.mqtt = NULL;
}

/* Process `r` (freed) with `a` as the callback (NULL: none registered). */
static tu_response *run(tu_request *r, act_fn a)
{
    awps_handler *h = awps_handler_new("hub");
    tu_capture *c = tu_capture_new();
    const tu_response *res;

    awps_handler_set_log(h, quiet, NULL, AWPS_LOG_DEBUG);
    act = a;
    if (a) {
        awps_handler_on_connect(h, on_event, NULL);
        awps_handler_on_user_event(h, on_event, NULL);
    }
    ck_assert_int_eq(tu_process(h, r, c, WAIT_MS, &res), AWPS_OK);
    ck_assert_ptr_nonnull(res);
    ck_assert_uint_eq(tu_capture_calls(c), 1);
    tu_response *out = tu_response_dup(res);
    tu_capture_free(c);
    tu_request_free(r);
    awps_handler_free(h);
    return out;
}

static void assert_answer(tu_response *res, unsigned status, const char *body)
{
    ck_assert_uint_eq(res->status, status);
    ck_assert_str_eq(res->body, body);
    ck_assert_uint_eq(res->body_len, strlen(body));
    ck_assert_ptr_nonnull(res->content_type);
    ck_assert_str_eq(res->content_type, JSON_CT);
    ck_assert_ptr_null(res->connection_state);
    tu_response_free(res);
}

/* ---- code tables ---- */

START_TEST(status_for_v311_codes)
{
    static const struct { int code; unsigned status; } t[] = {
        {1, 400}, {2, 400}, {3, 503}, {4, 401}, {5, 401},
        {0, 500}, {6, 500}, {100, 500}, {127, 500}, {-1, 500},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        ck_assert_msg(awps_mqtt_status_for_code(t[i].code) == t[i].status, "code %d -> %u",
                      t[i].code, awps_mqtt_status_for_code(t[i].code));
}
END_TEST

START_TEST(status_for_v5_codes)
{
    static const struct { int code; unsigned status; } t[] = {
        {135, 401}, {134, 401},
        {133, 400}, {129, 400}, {132, 400}, {140, 400}, {144, 400}, {153, 400}, {131, 400},
        {149, 400}, {154, 400}, {155, 400},
        {151, 429}, {159, 429},
        {138, 403},
        {156, 500}, {157, 500}, {136, 500}, {137, 500}, {128, 500},
        /* not in the table */
        {130, 500}, {139, 500}, {141, 500}, {158, 500}, {160, 500}, {255, 500}, {256, 500},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        ck_assert_msg(awps_mqtt_status_for_code(t[i].code) == t[i].status, "code %d -> %u",
                      t[i].code, awps_mqtt_status_for_code(t[i].code));
}
END_TEST

START_TEST(code_for_status_by_version)
{
    static const struct { unsigned status; int v4, v5; } t[] = {
        {400, 4, 134}, {401, 5, 135}, {500, 3, 128},
        {403, 3, 128}, {404, 3, 128}, {429, 3, 128}, {503, 3, 128},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        ck_assert_int_eq(awps_mqtt_code_for_status(t[i].status, 4), t[i].v4);
        ck_assert_int_eq(awps_mqtt_code_for_status(t[i].status, 5), t[i].v5);
        /* any other version: UnacceptableProtocolVersion */
        ck_assert_int_eq(awps_mqtt_code_for_status(t[i].status, 3), 1);
        ck_assert_int_eq(awps_mqtt_code_for_status(t[i].status, 0), 1);
        ck_assert_int_eq(awps_mqtt_code_for_status(t[i].status, 6), 1);
        ck_assert_int_eq(awps_mqtt_code_for_status(t[i].status, -1), 1);
    }
}
END_TEST

/* ---- MQTT connect answers ---- */

START_TEST(express_4_no_handler_204)
{
    tu_response *res = run(mqtt_connect(MQTT_V4), NULL);
    ck_assert_uint_eq(res->status, 204);
    ck_assert_uint_eq(res->body_len, 0);
    ck_assert_ptr_null(res->content_type);
    tu_response_free(res);
    /* a subprotocol "mqtt" without a physical id is no MQTT client: 200 */
    char *body = mock_body(MQTT_V4);
    tu_request *r = connect_req(0, body);
    tu_request_add_header(r, "ce-subprotocol", "mqtt");
    free(body);
    res = run(r, NULL);
    ck_assert_uint_eq(res->status, 200);
    tu_response_free(res);
}
END_TEST

static void fail_400(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_fail(r, 400, NULL), AWPS_OK);
}

START_TEST(express_7_fail_400)
{
    assert_answer(run(mqtt_connect(MQTT_V4), fail_400), 400, "{\"mqtt\":{\"code\":4}}");
    ck_assert_int_eq(calls, 1);
}
END_TEST

static void fail_with_code_4(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_fail_mqtt(r, 4, "Bad username or password"), AWPS_OK);
}

START_TEST(express_8_fail_with_mqtt_code)
{
    assert_answer(run(mqtt_connect(MQTT_V4), fail_with_code_4), 401,
                  "{\"mqtt\":{\"code\":4,\"reason\":\"Bad username or password\"}}");
}
END_TEST

static void fail_401_detail(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_fail(r, 401, "Auth failed"), AWPS_OK);
}

START_TEST(express_9_fail_401_detail)
{
    assert_answer(run(mqtt_connect(MQTT_V4), fail_401_detail), 401,
                  "{\"mqtt\":{\"code\":5,\"reason\":\"Auth failed\"}}");
}
END_TEST

static void success_user_property(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_set_subprotocol(r, "mqtt"), AWPS_OK);
    ck_assert_int_eq(awps_reply_add_mqtt_user_property(r, "userId", "vic"), AWPS_OK);
    ck_assert_int_eq(awps_reply_success(r), AWPS_OK);
}

START_TEST(express_11_success_with_user_properties)
{
    assert_answer(run(mqtt_connect(MQTT_V4), success_user_property), 200,
                  "{\"subprotocol\":\"mqtt\",\"mqtt\":{\"userProperties\":"
                  "[{\"name\":\"userId\",\"value\":\"vic\"}]}}");
}
END_TEST

static void success_everything(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_add_mqtt_user_property(r, "a", "b"), AWPS_OK);
    ck_assert_int_eq(awps_reply_set_user_id(r, "userId"), AWPS_OK);
    ck_assert_int_eq(awps_reply_add_group(r, "group1"), AWPS_OK);
    ck_assert_int_eq(awps_reply_add_group(r, "group2"), AWPS_OK);
    ck_assert_int_eq(awps_reply_set_subprotocol(r, "mqtt"), AWPS_OK);
    ck_assert_int_eq(awps_reply_add_role(r, "webpubsub.joinLeaveGroup"), AWPS_OK);
    ck_assert_int_eq(awps_reply_success(r), AWPS_OK);
}

START_TEST(success_csharp_body)
{
    tu_response *res = run(mqtt_connect(MQTT_V4), success_everything);
    ck_assert_uint_eq(res->status, 200);
    ck_assert_str_eq(res->content_type, JSON_CT);
    json_t *got = json_loadb(res->body, res->body_len, 0, NULL);
    json_t *want = json_loads(
        "{\"mqtt\":{\"userProperties\":[{\"name\":\"a\",\"value\":\"b\"}]},\"userId\":\"userId\","
        "\"groups\":[\"group1\",\"group2\"],\"subprotocol\":\"mqtt\","
        "\"roles\":[\"webpubsub.joinLeaveGroup\"]}", 0, NULL);
    ck_assert_ptr_nonnull(got);
    ck_assert_msg(json_equal(got, want), "body %s", res->body);
    json_decref(got);
    json_decref(want);
    tu_response_free(res);
}
END_TEST

static void fail_500(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_fail(r, 500, NULL), AWPS_OK);
}

static void fail_403(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_fail(r, 403, "no"), AWPS_OK);
}

START_TEST(fail_v311_codes)
{
    assert_answer(run(mqtt_connect(MQTT_V4), fail_500), 500, "{\"mqtt\":{\"code\":3}}");
    assert_answer(run(mqtt_connect(MQTT_V4), fail_403), 403,
                  "{\"mqtt\":{\"code\":3,\"reason\":\"no\"}}");
}
END_TEST

START_TEST(fail_v5_codes)
{
    assert_answer(run(mqtt_connect(MQTT_V5), fail_400), 400, "{\"mqtt\":{\"code\":134}}");
    assert_answer(run(mqtt_connect(MQTT_V5), fail_401_detail), 401,
                  "{\"mqtt\":{\"code\":135,\"reason\":\"Auth failed\"}}");
    assert_answer(run(mqtt_connect(MQTT_V5), fail_500), 500, "{\"mqtt\":{\"code\":128}}");
    assert_answer(run(mqtt_connect(MQTT_V5), fail_403), 403,
                  "{\"mqtt\":{\"code\":128,\"reason\":\"no\"}}");
    ck_assert_int_eq(seen.version, 5);
}
END_TEST

START_TEST(fail_unknown_version_code_1)
{
    assert_answer(run(mqtt_connect("{\"protocolVersion\":3}"), fail_401_detail), 401,
                  "{\"mqtt\":{\"code\":1,\"reason\":\"Auth failed\"}}");
    assert_answer(run(mqtt_connect("{\"protocolVersion\":6}"), fail_400), 400,
                  "{\"mqtt\":{\"code\":1}}");
    /* an mqtt object without protocolVersion: version unknown */
    assert_answer(run(mqtt_connect("{\"username\":\"u\"}"), fail_400), 400,
                  "{\"mqtt\":{\"code\":1}}");
    ck_assert_int_eq(seen.version, 0);
}
END_TEST

START_TEST(fail_without_mqtt_member_answers_v311)
{
    assert_answer(run(mqtt_connect(NULL), fail_401_detail), 401,
                  "{\"mqtt\":{\"code\":5,\"reason\":\"Auth failed\"}}");
    ck_assert_ptr_null(seen.mqtt);
    ck_assert_int_eq(seen.version, 0);
    assert_answer(run(connect_req(1, "{}"), fail_400), 400, "{\"mqtt\":{\"code\":4}}");
    assert_answer(run(mqtt_connect("null"), fail_500), 500, "{\"mqtt\":{\"code\":3}}");
}
END_TEST

static void fail_with_properties(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_add_mqtt_user_property(r, "a", "b"), AWPS_OK);
    ck_assert_int_eq(awps_reply_fail(r, 401, "error message"), AWPS_OK);
}

START_TEST(fail_with_user_properties_csharp)
{
    assert_answer(run(mqtt_connect(MQTT_V4), fail_with_properties), 401,
                  "{\"mqtt\":{\"code\":5,\"reason\":\"error message\",\"userProperties\":"
                  "[{\"name\":\"a\",\"value\":\"b\"}]}}");
    assert_answer(run(mqtt_connect(MQTT_V5), fail_with_properties), 401,
                  "{\"mqtt\":{\"code\":135,\"reason\":\"error message\",\"userProperties\":"
                  "[{\"name\":\"a\",\"value\":\"b\"}]}}");
}
END_TEST

static void fail_mqtt_with_properties(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_add_mqtt_user_property(r, "n1", "v1"), AWPS_OK);
    ck_assert_int_eq(awps_reply_add_mqtt_user_property(r, "n2", "v2"), AWPS_OK);
    ck_assert_int_eq(awps_reply_fail_mqtt(r, 138, "banned by server"), AWPS_OK);
}

START_TEST(fail_mqtt_with_user_properties)
{
    assert_answer(run(mqtt_connect(MQTT_V5), fail_mqtt_with_properties), 403,
                  "{\"mqtt\":{\"code\":138,\"reason\":\"banned by server\",\"userProperties\":"
                  "[{\"name\":\"n1\",\"value\":\"v1\"},{\"name\":\"n2\",\"value\":\"v2\"}]}}");
}
END_TEST

static int bad_rc[3];

static void fail_mqtt_invalid_then_valid(awps_event *ev, awps_reply *r)
{
    (void)ev;
    bad_rc[0] = awps_reply_fail_mqtt(r, 256, "x");
    bad_rc[1] = awps_reply_fail_mqtt(r, -1, "x");
    bad_rc[2] = awps_reply_fail_mqtt(r, 5, "\xff\xfe");  /* reason not UTF-8 */
    ck_assert(!awps_reply_is_done(r));
    ck_assert_int_eq(awps_reply_fail_mqtt(r, 3, NULL), AWPS_OK);
}

START_TEST(fail_mqtt_invalid_code_keeps_reply)
{
    assert_answer(run(mqtt_connect(MQTT_V4), fail_mqtt_invalid_then_valid), 503,
                  "{\"mqtt\":{\"code\":3}}");
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(bad_rc[i], AWPS_E_INVALID);
}
END_TEST

static void fail_mqtt_5(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_fail_mqtt(r, 135, NULL), AWPS_OK);
}

START_TEST(fail_mqtt_on_plain_client)
{
    /* like express failWith({mqtt}): the MQTT body even for a plain client */
    assert_answer(run(connect_req(0, "{}"), fail_mqtt_5), 401, "{\"mqtt\":{\"code\":135}}");
}
END_TEST

/* ---- context ---- */

static void just_succeed(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_success(r), AWPS_OK);
}

START_TEST(context_mqtt_connect)
{
    tu_request *r = mqtt_connect(MQTT_V4);
    tu_request_add_header(r, "ce-sessionId", "session1");
    tu_response *res = run(r, just_succeed);
    ck_assert_uint_eq(res->status, 204);
    tu_response_free(res);
    ck_assert_int_eq(seen.protocol, AWPS_PROTOCOL_MQTT);
    ck_assert(seen.has_phys);
    ck_assert_str_eq(seen.phys, "physicalConnectionId");
    ck_assert(seen.has_session);
    ck_assert_str_eq(seen.session, "session1");
    ck_assert_str_eq(seen.subprotocol, "mqtt");
    ck_assert_int_eq(seen.version, 4);
    ck_assert_ptr_nonnull(seen.mqtt);
    ck_assert_str_eq(json_string_value(json_object_get(seen.mqtt, "username")), "username");
    ck_assert_str_eq(json_string_value(json_object_get(seen.mqtt, "password")), "password");
    json_t *up = json_object_get(seen.mqtt, "userProperties");
    ck_assert_uint_eq(json_array_size(up), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(up, 0), "value")), "b");
}
END_TEST

START_TEST(context_mqtt_connect_without_session)
{
    tu_response *res = run(mqtt_connect(MQTT_V5), just_succeed);
    tu_response_free(res);
    ck_assert_int_eq(seen.protocol, AWPS_PROTOCOL_MQTT);
    ck_assert(seen.has_phys);
    ck_assert(!seen.has_session);
    ck_assert_int_eq(seen.version, 5);
}
END_TEST

START_TEST(context_not_mqtt_with_physical_id)
{
    tu_request *r = connect_req(0, "{}");
    tu_request_add_header(r, "ce-subprotocol", "json.webpubsub.azure.v1");
    tu_request_add_header(r, "ce-physicalConnectionId", "p1");
    tu_request_add_header(r, "ce-sessionId", "s1");
    tu_response *res = run(r, fail_401_detail);
    /* a plain client: plain error body */
    ck_assert_uint_eq(res->status, 401);
    ck_assert_str_eq(res->body, "Auth failed");
    tu_response_free(res);
    ck_assert_int_eq(seen.protocol, AWPS_PROTOCOL_DEFAULT);
    ck_assert(!seen.has_phys);
    ck_assert(!seen.has_session);
    ck_assert_str_eq(seen.subprotocol, "json.webpubsub.azure.v1");
}
END_TEST

static void user_fail(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_fail(r, 401, "nope"), AWPS_OK);
}

START_TEST(context_mqtt_user_event)
{
    tu_request *r = tu_request_newv("POST", "/api/webpubsub/hubs/hub/", "payload", 7,
                                    "WebHook-Request-Origin", "xxx.webpubsub.azure.com",
                                    "Content-Type", "application/octet-stream",
                                    "ce-awpsversion", "1.0",
                                    "ce-type", "azure.webpubsub.user.telemetry",
                                    "ce-connectionId", "client1", "ce-hub", "hub",
                                    "ce-subprotocol", "mqtt",
                                    "ce-physicalConnectionId", "phys1", "ce-sessionId", "sess1",
                                    "mqtt-a", "b", NULL);
    tu_response *res = run(r, user_fail);
    /* no MQTT special-casing for user events */
    ck_assert_uint_eq(res->status, 401);
    ck_assert_str_eq(res->body, "nope");
    tu_response_free(res);
    ck_assert_int_eq(seen.protocol, AWPS_PROTOCOL_MQTT);
    ck_assert_str_eq(seen.phys, "phys1");
    ck_assert_str_eq(seen.session, "sess1");
    ck_assert_ptr_null(seen.mqtt);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mqtt");
    TCase *tt = tcase_create("tables");
    tcase_add_test(tt, status_for_v311_codes);
    tcase_add_test(tt, status_for_v5_codes);
    tcase_add_test(tt, code_for_status_by_version);
    suite_add_tcase(s, tt);

    TCase *tc = tcase_create("connect");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, express_4_no_handler_204);
    tcase_add_test(tc, express_7_fail_400);
    tcase_add_test(tc, express_8_fail_with_mqtt_code);
    tcase_add_test(tc, express_9_fail_401_detail);
    tcase_add_test(tc, express_11_success_with_user_properties);
    tcase_add_test(tc, success_csharp_body);
    tcase_add_test(tc, fail_v311_codes);
    tcase_add_test(tc, fail_v5_codes);
    tcase_add_test(tc, fail_unknown_version_code_1);
    tcase_add_test(tc, fail_without_mqtt_member_answers_v311);
    tcase_add_test(tc, fail_with_user_properties_csharp);
    tcase_add_test(tc, fail_mqtt_with_user_properties);
    tcase_add_test(tc, fail_mqtt_invalid_code_keeps_reply);
    tcase_add_test(tc, fail_mqtt_on_plain_client);
    tcase_add_test(tc, context_mqtt_connect);
    tcase_add_test(tc, context_mqtt_connect_without_session);
    tcase_add_test(tc, context_not_mqtt_with_physical_id);
    tcase_add_test(tc, context_mqtt_user_event);
    suite_add_tcase(s, tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
