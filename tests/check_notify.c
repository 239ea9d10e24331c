/* Notifications: connected, disconnected (also MQTT, spec §5.3), group
 * joined and left. What the callback sees, the 200 answer, and body
 * validation (400, no callback). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "testutil.h"

#define WAIT_MS 5000

static void quiet(void *data, awps_log_level level, const char *msg)
{
    (void)data; (void)level; (void)msg;
}

/* A notification `kind` ("sys.connected", "gp.joined", ...) for hub "hub". */
static tu_request *notify_req(const char *kind, const char *body)
{
    char type[64];
    snprintf(type, sizeof type, "azure.webpubsub.%s", kind);
    return tu_request_newv("POST", "/api/webpubsub/hubs/hub/", body, strlen(body),
                           "webhook-request-origin", "xxx.webpubsub.azure.com",
                           "content-type", "application/json; charset=utf-8",
                           "ce-awpsversion", "1.0", "ce-specversion", "1.0",
                           "ce-type", type, "ce-source", "/hubs/hub/client/conn1",
                           "ce-id", "1", "ce-signature", "sha256=signature",
                           "ce-userid", "user1", "ce-connectionid", "conn1",
                           "ce-hub", "hub", NULL);
}

/* A copy of what the callback saw (the event is only valid during it). */
static struct seen {
    int calls;
    awps_event_type type;
    char *hub, *conn, *user, *name, *reason, *group, *phys, *session, *sub;
    awps_client_protocol protocol;
    json_t *states, *mqtt, *body;
} seen;

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void forget(void)
{
    char **strs[] = {&seen.hub, &seen.conn, &seen.user, &seen.name, &seen.reason,
                     &seen.group, &seen.phys, &seen.session, &seen.sub};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
        free(*strs[i]);
        *strs[i] = NULL;
    }
    json_decref(seen.states);
    json_decref(seen.mqtt);
    json_decref(seen.body);
    seen.states = seen.mqtt = seen.body = NULL;
}

static void on_notify(const awps_event *ev, void *data)
{
    (void)data;
    forget();
    seen.calls++;
    seen.type = awps_event_get_type(ev);
    seen.hub = dup_or_null(awps_event_hub(ev));
    seen.conn = dup_or_null(awps_event_connection_id(ev));
    seen.user = dup_or_null(awps_event_user_id(ev));
    seen.name = dup_or_null(awps_event_name(ev));
    seen.reason = dup_or_null(awps_event_reason(ev));
    seen.group = dup_or_null(awps_event_group(ev));
    seen.phys = dup_or_null(awps_event_physical_connection_id(ev));
    seen.session = dup_or_null(awps_event_session_id(ev));
    seen.sub = dup_or_null(awps_event_subprotocol(ev));
    seen.protocol = awps_event_client_protocol(ev);
    seen.states = json_deep_copy(awps_event_states(ev));
    seen.mqtt = awps_event_mqtt(ev) ? json_deep_copy(awps_event_mqtt(ev)) : NULL;
    seen.body = awps_event_body(ev) ? json_deep_copy(awps_event_body(ev)) : NULL;
}

static void setup(void)
{
    memset(&seen, 0, sizeof seen);
}

static void teardown(void)
{
    forget();
}

static awps_handler *handler(int with_callbacks)
{
    awps_handler *h = awps_handler_new("hub");
    ck_assert_ptr_nonnull(h);
    awps_handler_set_log(h, quiet, NULL, AWPS_LOG_DEBUG);
    if (with_callbacks) {
        awps_handler_on_connected(h, on_notify, NULL);
        awps_handler_on_disconnected(h, on_notify, NULL);
        awps_handler_on_group_joined(h, on_notify, NULL);
        awps_handler_on_group_left(h, on_notify, NULL);
    }
    return h;
}

/* Process `r` (freed); returns the status; `reason` gets the body. */
static unsigned status_of(awps_handler *h, tu_request *r, char *reason, size_t cap)
{
    tu_capture *c = tu_capture_new();
    const tu_response *res;
    unsigned status;

    ck_assert_int_eq(tu_process(h, r, c, WAIT_MS, &res), AWPS_OK);
    ck_assert_ptr_nonnull(res);
    ck_assert_uint_eq(tu_capture_calls(c), 1);
    status = res->status;
    if (status == 200) {
        /* always empty, never a state */
        ck_assert_uint_eq(res->body_len, 0);
        ck_assert_ptr_null(res->connection_state);
    }
    if (reason) {
        ck_assert_uint_lt(res->body_len, cap);
        memcpy(reason, res->body, res->body_len + 1);
    }
    tu_capture_free(c);
    tu_request_free(r);
    return status;
}

/* ---- what the callbacks see ---- */

START_TEST(connected_context)
{
    awps_handler *h = handler(1);
    tu_request *r = notify_req("sys.connected", "{}");
    tu_request_add_header(r, "ce-eventName", "connected");
    tu_request_add_header(r, "ce-subprotocol", "json.webpubsub.azure.v1");
    tu_request_add_header(r, "ce-connectionState", "eyJrZXkiOiJhIn0=");  /* {"key":"a"} */
    ck_assert_uint_eq(status_of(h, r, NULL, 0), 200);
    ck_assert_int_eq(seen.calls, 1);
    ck_assert_int_eq(seen.type, AWPS_EVENT_CONNECTED);
    ck_assert_str_eq(seen.hub, "hub");
    ck_assert_str_eq(seen.conn, "conn1");
    ck_assert_str_eq(seen.user, "user1");
    ck_assert_str_eq(seen.name, "connected");
    ck_assert_str_eq(seen.sub, "json.webpubsub.azure.v1");
    ck_assert_int_eq(seen.protocol, AWPS_PROTOCOL_DEFAULT);
    ck_assert_str_eq(json_string_value(json_object_get(seen.states, "key")), "a");
    ck_assert_uint_eq(json_object_size(seen.states), 1);
    ck_assert(json_is_object(seen.body));
    ck_assert_ptr_null(seen.reason);
    ck_assert_ptr_null(seen.group);
    ck_assert_ptr_null(seen.mqtt);
    awps_handler_free(h);
}
END_TEST

START_TEST(connected_mqtt_context)
{
    awps_handler *h = handler(1);
    tu_request *r = notify_req("sys.connected", "{}");
    tu_request_add_header(r, "ce-subprotocol", "mqtt");
    tu_request_add_header(r, "ce-physicalConnectionId", "phys1");
    tu_request_add_header(r, "ce-sessionId", "sess1");
    ck_assert_uint_eq(status_of(h, r, NULL, 0), 200);
    ck_assert_int_eq(seen.protocol, AWPS_PROTOCOL_MQTT);
    ck_assert_str_eq(seen.phys, "phys1");
    ck_assert_str_eq(seen.session, "sess1");
    ck_assert_str_eq(seen.name, "connected");  /* derived from ce-type */
    awps_handler_free(h);
}
END_TEST

START_TEST(disconnected_reason)
{
    awps_handler *h = handler(1);
    ck_assert_uint_eq(status_of(h, notify_req("sys.disconnected", "{\"reason\":\"bye\"}"), NULL, 0),
                      200);
    ck_assert_int_eq(seen.type, AWPS_EVENT_DISCONNECTED);
    ck_assert_str_eq(seen.name, "disconnected");
    ck_assert_str_eq(seen.reason, "bye");
    ck_assert_uint_eq(status_of(h, notify_req("sys.disconnected", "{\"reason\":\"\"}"), NULL, 0),
                      200);
    ck_assert_str_eq(seen.reason, "");
    ck_assert_uint_eq(status_of(h, notify_req("sys.disconnected", "{}"), NULL, 0), 200);
    ck_assert_ptr_null(seen.reason);
    ck_assert_uint_eq(status_of(h, notify_req("sys.disconnected", "{\"reason\":null}"), NULL, 0),
                      200);
    ck_assert_ptr_null(seen.reason);
    ck_assert_int_eq(seen.calls, 4);
    awps_handler_free(h);
}
END_TEST

START_TEST(disconnected_mqtt_body)
{
    static const char body[] =
        "{\"reason\":\"\",\"mqtt\":{\"initiatedByClient\":true,\"disconnectPacket\":"
        "{\"code\":0,\"userProperties\":[{\"name\":\"n\",\"value\":\"v\"}]}}}";
    awps_handler *h = handler(1);
    tu_request *r = notify_req("sys.disconnected", body);
    tu_request_add_header(r, "ce-subprotocol", "mqtt");
    tu_request_add_header(r, "ce-physicalConnectionId", "phys1");
    tu_request_add_header(r, "ce-sessionId", "sess1");
    ck_assert_uint_eq(status_of(h, r, NULL, 0), 200);
    ck_assert_int_eq(seen.protocol, AWPS_PROTOCOL_MQTT);
    ck_assert_str_eq(seen.reason, "");
    ck_assert_ptr_nonnull(seen.mqtt);
    ck_assert(json_is_true(json_object_get(seen.mqtt, "initiatedByClient")));
    json_t *pkt = json_object_get(seen.mqtt, "disconnectPacket");
    ck_assert_int_eq(json_integer_value(json_object_get(pkt, "code")), 0);
    json_t *up = json_array_get(json_object_get(pkt, "userProperties"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(up, "name")), "n");
    ck_assert_str_eq(json_string_value(json_object_get(up, "value")), "v");
    /* no DISCONNECT packet exchanged (I/O error) */
    r = notify_req("sys.disconnected", "{\"reason\":\"io\",\"mqtt\":{\"initiatedByClient\":false,"
                                       "\"disconnectPacket\":null}}");
    tu_request_add_header(r, "ce-subprotocol", "mqtt");
    tu_request_add_header(r, "ce-physicalConnectionId", "phys1");
    ck_assert_uint_eq(status_of(h, r, NULL, 0), 200);
    ck_assert(json_is_false(json_object_get(seen.mqtt, "initiatedByClient")));
    ck_assert(json_is_null(json_object_get(seen.mqtt, "disconnectPacket")));
    ck_assert_int_eq(seen.calls, 2);
    awps_handler_free(h);
}
END_TEST

START_TEST(group_joined)
{
    awps_handler *h = handler(1);
    tu_request *r = notify_req("gp.joined", "{\"group\":\"group1\"}");
    tu_request_add_header(r, "ce-eventname", "joined");
    ck_assert_uint_eq(status_of(h, r, NULL, 0), 200);
    ck_assert_int_eq(seen.calls, 1);
    ck_assert_int_eq(seen.type, AWPS_EVENT_GROUP_JOINED);
    ck_assert_str_eq(seen.group, "group1");
    ck_assert_str_eq(seen.conn, "conn1");
    ck_assert_str_eq(seen.name, "joined");
    ck_assert_str_eq(seen.hub, "hub");
    ck_assert_str_eq(seen.user, "user1");
    awps_handler_free(h);
}
END_TEST

START_TEST(group_left)
{
    awps_handler *h = handler(1);
    tu_request *r = notify_req("gp.left", "{\"group\":\"group1\"}");
    tu_request_add_header(r, "ce-eventname", "left");
    ck_assert_uint_eq(status_of(h, r, NULL, 0), 200);
    ck_assert_int_eq(seen.calls, 1);
    ck_assert_int_eq(seen.type, AWPS_EVENT_GROUP_LEFT);
    ck_assert_str_eq(seen.group, "group1");
    ck_assert_str_eq(seen.conn, "conn1");
    ck_assert_str_eq(seen.name, "left");
    ck_assert_str_eq(seen.hub, "hub");
    awps_handler_free(h);
}
END_TEST

START_TEST(callbacks_routed_by_type)
{
    awps_handler *h = handler(0);
    awps_handler_on_group_left(h, on_notify, NULL);
    /* only "left" has a callback: the others answer 200 without calling it */
    ck_assert_uint_eq(status_of(h, notify_req("sys.connected", "{}"), NULL, 0), 200);
    ck_assert_uint_eq(status_of(h, notify_req("sys.disconnected", "{}"), NULL, 0), 200);
    ck_assert_uint_eq(status_of(h, notify_req("gp.joined", "{\"group\":\"g\"}"), NULL, 0), 200);
    ck_assert_int_eq(seen.calls, 0);
    ck_assert_uint_eq(status_of(h, notify_req("gp.left", "{\"group\":\"g\"}"), NULL, 0), 200);
    ck_assert_int_eq(seen.calls, 1);
    ck_assert_int_eq(seen.type, AWPS_EVENT_GROUP_LEFT);
    awps_handler_free(h);
}
END_TEST

START_TEST(no_callback_200_body_unread)
{
    static const char *const kinds[] = {"sys.connected", "sys.disconnected", "gp.joined",
                                        "gp.left"};
    awps_handler *h = handler(0);
    for (size_t i = 0; i < 4; i++) {
        ck_assert_uint_eq(status_of(h, notify_req(kinds[i], "not json"), NULL, 0), 200);
        ck_assert_uint_eq(status_of(h, notify_req(kinds[i], "{\"reason\":1,\"group\":2}"), NULL, 0),
                          200);
    }
    awps_handler_free(h);
}
END_TEST

/* ---- validation ---- */

static void assert_400(awps_handler *h, const char *kind, const char *body, const char *field)
{
    char reason[256];
    unsigned status = status_of(h, notify_req(kind, body), reason, sizeof reason);
    ck_assert_msg(status == 400, "%s %s: status %u", kind, body, status);
    ck_assert_msg(reason[0] != '\0', "%s %s: no reason", kind, body);
    if (field)
        ck_assert_msg(strstr(reason, field) != NULL, "%s %s: reason '%s' does not name %s", kind,
                      body, reason, field);
}

START_TEST(body_not_object_400)
{
    static const char *const kinds[] = {"sys.connected", "sys.disconnected", "gp.joined",
                                        "gp.left"};
    static const char *const bodies[] = {"[]", "1", "\"s\"", "null", "", "nope", "{"};
    awps_handler *h = handler(1);
    for (size_t k = 0; k < 4; k++)
        for (size_t b = 0; b < sizeof bodies / sizeof *bodies; b++)
            assert_400(h, kinds[k], bodies[b], NULL);
    ck_assert_int_eq(seen.calls, 0);
    awps_handler_free(h);
}
END_TEST

START_TEST(reason_not_string_400)
{
    awps_handler *h = handler(1);
    assert_400(h, "sys.disconnected", "{\"reason\":1}", "reason");
    assert_400(h, "sys.disconnected", "{\"reason\":{}}", "reason");
    assert_400(h, "sys.disconnected", "{\"reason\":[\"a\"]}", "reason");
    assert_400(h, "sys.disconnected", "{\"reason\":false}", "reason");
    ck_assert_int_eq(seen.calls, 0);
    awps_handler_free(h);
}
END_TEST

START_TEST(group_missing_or_not_string_400)
{
    awps_handler *h = handler(1);
    static const char *const kinds[] = {"gp.joined", "gp.left"};
    for (size_t k = 0; k < 2; k++) {
        assert_400(h, kinds[k], "{}", "group");
        assert_400(h, kinds[k], "{\"group\":null}", "group");
        assert_400(h, kinds[k], "{\"group\":1}", "group");
        assert_400(h, kinds[k], "{\"group\":[\"g\"]}", "group");
        assert_400(h, kinds[k], "{\"groups\":\"g\"}", "group");
    }
    ck_assert_int_eq(seen.calls, 0);
    awps_handler_free(h);
}
END_TEST

START_TEST(disconnect_mqtt_wrong_types_400)
{
    static const struct { const char *body, *field; } bad[] = {
        {"{\"mqtt\":\"x\"}", "mqtt"},
        {"{\"mqtt\":[]}", "mqtt"},
        {"{\"mqtt\":{\"initiatedByClient\":\"yes\"}}", "initiatedByClient"},
        {"{\"mqtt\":{\"disconnectPacket\":\"x\"}}", "disconnectPacket"},
        {"{\"mqtt\":{\"disconnectPacket\":[]}}", "disconnectPacket"},
        {"{\"mqtt\":{\"disconnectPacket\":{\"code\":\"0\"}}}", "code"},
        {"{\"mqtt\":{\"disconnectPacket\":{\"code\":256}}}", "code"},
        {"{\"mqtt\":{\"disconnectPacket\":{\"code\":-1}}}", "code"},
        {"{\"mqtt\":{\"disconnectPacket\":{\"code\":1.5}}}", "code"},
        {"{\"mqtt\":{\"disconnectPacket\":{\"userProperties\":{}}}}", "userProperties"},
        {"{\"mqtt\":{\"disconnectPacket\":{\"userProperties\":[1]}}}", "userProperties"},
        {"{\"mqtt\":{\"disconnectPacket\":{\"userProperties\":[{\"name\":1,\"value\":\"v\"}]}}}",
         "userProperties"},
        {"{\"mqtt\":{\"disconnectPacket\":{\"userProperties\":[{\"name\":\"n\"}]}}}",
         "userProperties"},
    };
    awps_handler *h = handler(1);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_400(h, "sys.disconnected", bad[i].body, bad[i].field);
    ck_assert_int_eq(seen.calls, 0);
    /* the accepted edge cases */
    ck_assert_uint_eq(status_of(h, notify_req("sys.disconnected",
                                              "{\"mqtt\":{\"disconnectPacket\":{\"code\":255,"
                                              "\"userProperties\":null}}}"), NULL, 0), 200);
    ck_assert_uint_eq(status_of(h, notify_req("sys.disconnected",
                                              "{\"mqtt\":null,\"reason\":\"r\"}"), NULL, 0), 200);
    ck_assert_int_eq(seen.calls, 2);
    awps_handler_free(h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("notify");
    TCase *tc = tcase_create("callbacks");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, connected_context);
    tcase_add_test(tc, connected_mqtt_context);
    tcase_add_test(tc, disconnected_reason);
    tcase_add_test(tc, disconnected_mqtt_body);
    tcase_add_test(tc, group_joined);
    tcase_add_test(tc, group_left);
    tcase_add_test(tc, callbacks_routed_by_type);
    tcase_add_test(tc, no_callback_200_body_unread);
    suite_add_tcase(s, tc);

    TCase *tv = tcase_create("validation");
    tcase_add_checked_fixture(tv, setup, teardown);
    tcase_add_test(tv, body_not_object_400);
    tcase_add_test(tv, reason_not_string_400);
    tcase_add_test(tv, group_missing_or_not_string_400);
    tcase_add_test(tv, disconnect_mqtt_wrong_types_400);
    suite_add_tcase(s, tv);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
