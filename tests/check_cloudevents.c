/* CloudEvents headers: awps__head_add (names, duplicates), ce-type
 * classification, MQTT detection, the event name, and the routing rules of
 * awps_handler_process() (path, hub, required headers, methods). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "testutil.h"

#define WAIT_MS 5000
#define PATH "/api/webpubsub/hubs/chat/"

static void quiet(void *data, awps_log_level level, const char *msg)
{
    (void)data; (void)level; (void)msg;
}

static int calls;
static char seen_name[64], seen_hub[64];

static void on_user(awps_event *ev, awps_reply *r, void *data)
{
    (void)data;
    calls++;
    snprintf(seen_name, sizeof seen_name, "%s", awps_event_name(ev) ? awps_event_name(ev) : "(null)");
    snprintf(seen_hub, sizeof seen_hub, "%s", awps_event_hub(ev) ? awps_event_hub(ev) : "(null)");
    awps_reply_success(r);
}

static void on_connect(awps_event *ev, awps_reply *r, void *data)
{
    on_user(ev, r, data);
}

static awps_handler *handler(const char *hub)
{
    awps_handler *h = awps_handler_new(hub);
    ck_assert_ptr_nonnull(h);
    awps_handler_set_log(h, quiet, NULL, AWPS_LOG_DEBUG);
    awps_handler_on_user_event(h, on_user, NULL);
    awps_handler_on_connect(h, on_connect, NULL);
    calls = 0;
    seen_name[0] = seen_hub[0] = '\0';
    return h;
}

/* A user event "message" for hub "chat" on `path`; `skip` names one of the
 * standard headers to leave out (or NULL). */
static tu_request *event_req(const char *method, const char *path, const char *skip)
{
    static const char *const std[] = {
        "WebHook-Request-Origin", "xxx.webpubsub.azure.com",
        "Content-Type", "text/plain",
        "ce-awpsversion", "1.0",
        "ce-specversion", "1.0",
        "ce-type", "azure.webpubsub.user.message",
        "ce-source", "/hubs/chat/client/conn1",
        "ce-id", "1",
        "ce-hub", "chat",
        "ce-connectionId", "conn1",
        "ce-userId", "user1",
        NULL,
    };
    tu_request *r = tu_request_new(method, path, NULL, "hi", 2);
    for (size_t i = 0; std[i]; i += 2)
        if (!skip || strcmp(skip, std[i]) != 0)
            tu_request_add_header(r, std[i], std[i + 1]);
    return r;
}

/* Process `r` (freed): AWPS_DECLINED or the status of the answer. */
static int outcome(awps_handler *h, tu_request *r, char *body, size_t cap)
{
    tu_capture *c = tu_capture_new();
    const tu_response *res;
    int rc = tu_process(h, r, c, WAIT_MS, &res);

    if (rc == AWPS_OK) {
        ck_assert_ptr_nonnull(res);
        ck_assert_uint_eq(tu_capture_calls(c), 1);
        rc = (int)res->status;
        if (body) {
            ck_assert_uint_lt(res->body_len, cap);
            memcpy(body, res->body, res->body_len + 1);
        }
    } else {
        ck_assert_uint_eq(tu_capture_calls(c), 0);
    }
    tu_capture_free(c);
    tu_request_free(r);
    return rc;
}

/* ---- awps__head_add ---- */

START_TEST(head_names_case_insensitive)
{
    awps__head hd;
    awps__head_init(&hd);
    awps__head_add(&hd, "CE-TYPE", "t");
    awps__head_add(&hd, "ce-HUB", "h");
    awps__head_add(&hd, "webhook-request-origin", "o");
    awps__head_add(&hd, "content-type", "ct");
    awps__head_add(&hd, "CE-CONNECTIONID", "c");
    awps__head_add(&hd, "Ce-UserId", "u");
    awps__head_add(&hd, "ce-eventname", "e");
    awps__head_add(&hd, "CE-Signature", "s");
    awps__head_add(&hd, "ce-connectionstate", "st");
    awps__head_add(&hd, "CE-SUBPROTOCOL", "sp");
    awps__head_add(&hd, "ce-physicalconnectionid", "p");
    awps__head_add(&hd, "CE-SessionID", "sid");
    awps__head_add(&hd, "Ce-AwpsVersion", "1.0");
    ck_assert_str_eq(hd.v[AWPS__H_TYPE], "t");
    ck_assert_str_eq(hd.v[AWPS__H_HUB], "h");
    ck_assert_str_eq(hd.v[AWPS__H_ORIGIN], "o");
    ck_assert_str_eq(hd.v[AWPS__H_CONTENT_TYPE], "ct");
    ck_assert_str_eq(hd.v[AWPS__H_CONNECTION_ID], "c");
    ck_assert_str_eq(hd.v[AWPS__H_USER_ID], "u");
    ck_assert_str_eq(hd.v[AWPS__H_EVENT_NAME], "e");
    ck_assert_str_eq(hd.v[AWPS__H_SIGNATURE], "s");
    ck_assert_str_eq(hd.v[AWPS__H_STATE], "st");
    ck_assert_str_eq(hd.v[AWPS__H_SUBPROTOCOL], "sp");
    ck_assert_str_eq(hd.v[AWPS__H_PHYSICAL_ID], "p");
    ck_assert_str_eq(hd.v[AWPS__H_SESSION_ID], "sid");
    ck_assert_str_eq(hd.v[AWPS__H_AWPSVERSION], "1.0");
    ck_assert_ptr_null(hd.conflict);
}
END_TEST

START_TEST(head_unknown_headers_ignored)
{
    awps__head hd;
    awps__head_init(&hd);
    awps__head_add(&hd, "ce-id", "1");
    awps__head_add(&hd, "CE-ID", "1");
    awps__head_add(&hd, "ce-source", "x");
    awps__head_add(&hd, "X-Foo", "y");
    awps__head_add(&hd, "Cookie", "z");
    awps__head_add(&hd, "ce-typex", "t");
    awps__head_add(&hd, "ce-hu", "h");
    awps__head_add(&hd, NULL, "v");
    awps__head_add(&hd, "ce-hub", NULL);
    for (int i = 0; i < AWPS__H_COUNT; i++)
        ck_assert_ptr_null(hd.v[i]);
    ck_assert_ptr_null(hd.conflict);
}
END_TEST

START_TEST(head_other_ce_duplicate_conflicts)
{
    awps__head hd;
    awps__head_init(&hd);
    awps__head_add(&hd, "ce-id", "1");
    awps__head_add(&hd, "X-Foo", "a");
    awps__head_add(&hd, "X-Foo", "b");  /* not ce-*: not our business */
    ck_assert_ptr_null(hd.conflict);
    awps__head_add(&hd, "Ce-Id", "2");
    ck_assert_ptr_nonnull(hd.conflict);
    ck_assert_str_eq(hd.conflict, "Ce-Id");
}
END_TEST

START_TEST(head_origin_lines_form_a_list)
{
    awps__head hd;
    awps__head_init(&hd);
    awps__head_add(&hd, "WebHook-Request-Origin", "a.com");
    awps__head_add(&hd, "webhook-request-origin", "b.com");
    ck_assert_ptr_null(hd.conflict);
    ck_assert_str_eq(hd.v[AWPS__H_ORIGIN], "a.com");
    ck_assert_uint_eq(hd.n_origins, 1);
    ck_assert_str_eq(hd.origins[0], "b.com");
}
END_TEST

START_TEST(head_duplicate_same_value_fine)
{
    awps__head hd;
    const char *first = "chat";
    awps__head_init(&hd);
    awps__head_add(&hd, "ce-hub", first);
    awps__head_add(&hd, "CE-HUB", "chat");
    awps__head_add(&hd, "ce-hub", "chat");
    ck_assert_ptr_eq(hd.v[AWPS__H_HUB], first);  /* borrowed, the first one */
    ck_assert_ptr_null(hd.conflict);
}
END_TEST

START_TEST(head_duplicate_different_value_conflict)
{
    awps__head hd;
    awps__head_init(&hd);
    awps__head_add(&hd, "ce-hub", "chat");
    awps__head_add(&hd, "Ce-Hub", "other");
    ck_assert_str_eq(hd.v[AWPS__H_HUB], "chat");
    ck_assert_ptr_nonnull(hd.conflict);
    ck_assert_str_eq(hd.conflict, "ce-hub");
    /* the first conflict is the one reported */
    awps__head_add(&hd, "ce-userId", "a");
    awps__head_add(&hd, "ce-userId", "b");
    ck_assert_str_eq(hd.conflict, "ce-hub");
    /* values differing only in case are different values */
    awps__head_init(&hd);
    awps__head_add(&hd, "ce-connectionId", "abc");
    awps__head_add(&hd, "ce-connectionId", "ABC");
    ck_assert_str_eq(hd.conflict, "ce-connectionId");
}
END_TEST

START_TEST(head_bad_values)
{
    awps__head hd;
    awps__head_init(&hd);
    awps__head_add(&hd, "ce-hub", "tab\there");       /* HTAB is allowed */
    awps__head_add(&hd, "ce-userId", "Jos\xc3\xa9");  /* and UTF-8 */
    awps__head_add(&hd, "X-Foo", "a\x01b");           /* not ours */
    ck_assert_ptr_null(hd.bad);
    awps__head_add_n(&hd, "ce-eventName", "ab\0cd", 5);
    ck_assert_str_eq(hd.bad, "ce-eventName");
    ck_assert_str_eq(hd.bad_why, "a NUL byte");
    ck_assert_str_eq(hd.v[AWPS__H_EVENT_NAME], "ab");
    awps__head_add(&hd, "ce-type", "a\rb");  /* the first bad one is reported */
    ck_assert_str_eq(hd.bad, "ce-eventName");

    static const struct { const char *name, *value, *bad, *why; } cases[] = {
        {"ce-type", "a\rb", "ce-type", "a control byte"},
        {"CE-USERID", "a\nb", "ce-userId", "a control byte"},
        {"ce-source", "\x7f", "ce-source", "a control byte"},
        {"Content-Type", "text/\xff", "Content-Type", "bytes that are not UTF-8"},
        {"webhook-request-origin", "\xed\xa0\x80", "WebHook-Request-Origin",
         "bytes that are not UTF-8"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        awps__head_init(&hd);
        awps__head_add(&hd, cases[i].name, cases[i].value);
        ck_assert_str_eq(hd.bad, cases[i].bad);
        ck_assert_str_eq(hd.bad_why, cases[i].why);
    }
}
END_TEST

START_TEST(head_extra_overflow)
{
    static char names[AWPS__HEAD_EXTRA + 1][16];
    awps__head hd;

    awps__head_init(&hd);
    for (int i = 0; i <= AWPS__HEAD_EXTRA; i++)
        snprintf(names[i], sizeof names[i], "ce-x%d", i);
    for (int i = 0; i < AWPS__HEAD_EXTRA; i++)
        awps__head_add(&hd, names[i], "v");
    awps__head_add(&hd, names[0], "v");  /* a same-value duplicate is not new */
    ck_assert_int_eq(hd.extra_overflow, 0);
    awps__head_add(&hd, names[AWPS__HEAD_EXTRA], "v");
    ck_assert_int_eq(hd.extra_overflow, 1);
    ck_assert_ptr_null(hd.conflict);
}
END_TEST

START_TEST(head_canonical_names)
{
    ck_assert_str_eq(awps__head_name(AWPS__H_TYPE), "ce-type");
    ck_assert_str_eq(awps__head_name(AWPS__H_CONNECTION_ID), "ce-connectionId");
    ck_assert_str_eq(awps__head_name(AWPS__H_ORIGIN), "WebHook-Request-Origin");
    ck_assert_str_eq(awps__head_name(AWPS__H_STATE), "ce-connectionState");
    ck_assert_str_eq(awps__head_name(AWPS__H_COUNT), "?");
}
END_TEST

/* ---- classification ---- */

START_TEST(classify_spec_types)
{
    ck_assert_int_eq(awps__classify("azure.webpubsub.sys.connect"), AWPS__K_CONNECT);
    ck_assert_int_eq(awps__classify("azure.webpubsub.sys.connected"), AWPS__K_CONNECTED);
    ck_assert_int_eq(awps__classify("azure.webpubsub.sys.disconnected"), AWPS__K_DISCONNECTED);
    ck_assert_int_eq(awps__classify("azure.webpubsub.gp.joined"), AWPS__K_JOINED);
    ck_assert_int_eq(awps__classify("azure.webpubsub.gp.left"), AWPS__K_LEFT);
    ck_assert_int_eq(awps__classify("azure.webpubsub.user.message"), AWPS__K_USER);
    ck_assert_int_eq(awps__classify("azure.webpubsub.user.custom-event"), AWPS__K_USER);
}
END_TEST

START_TEST(classify_odd_types)
{
    /* any user.* suffix is a user event (express quirk tests) */
    ck_assert_int_eq(awps__classify("azure.webpubsub.user.connected"), AWPS__K_USER);
    ck_assert_int_eq(awps__classify("azure.webpubsub.user.disconnected"), AWPS__K_USER);
    ck_assert_int_eq(awps__classify("azure.webpubsub.user.connect"), AWPS__K_USER);
    static const char *const none[] = {
        "azure.webpubsub.sys.foo", "azure.webpubsub.sys.publish", "azure.webpubsub.sys.join",
        "Azure.webpubsub.sys.connect", "AZURE.WEBPUBSUB.USER.MESSAGE",
        "azure.webpubsub.sys.Connect", "azure.webpubsub.sys.connect ",
        "azure.webpubsub.sys.connected2", "azure.webpubsub.gp.joinedx", "azure.webpubsub.gp",
        "azure.webpubsub.user", "azure.webpubsub.", "azure.webpubsub", "", "x.azure.webpubsub.user.m",
        "azure.webpubsub.User.message",
    };
    for (size_t i = 0; i < sizeof none / sizeof *none; i++)
        ck_assert_msg(awps__classify(none[i]) == AWPS__K_NONE, "'%s' classified", none[i]);
    ck_assert_int_eq(awps__classify(NULL), AWPS__K_NONE);
}
END_TEST

/* ---- MQTT detection ---- */

static int mqtt_with(const char *sub, const char *phys)
{
    awps__head hd;
    awps__head_init(&hd);
    if (sub)
        awps__head_add(&hd, "ce-subprotocol", sub);
    if (phys)
        awps__head_add(&hd, "ce-physicalConnectionId", phys);
    return awps__is_mqtt(&hd);
}

START_TEST(mqtt_detection)
{
    ck_assert(mqtt_with("mqtt", "p1"));
    ck_assert(mqtt_with("MQTT", "p1"));
    ck_assert(mqtt_with("Mqtt", "p1"));
    ck_assert(mqtt_with("mqtt.v5", "p1"));     /* contains, like express */
    ck_assert(mqtt_with("x-MQTT-5", "p1"));
    ck_assert(!mqtt_with("mqtt", NULL));         /* no physical id */
    ck_assert(!mqtt_with(NULL, "p1"));
    ck_assert(!mqtt_with("json.webpubsub.azure.v1", "p1"));
    ck_assert(!mqtt_with("mqt", "p1"));
    ck_assert(!mqtt_with("m-q-t-t", "p1"));
    ck_assert(!mqtt_with("", "p1"));
}
END_TEST

/* ---- event name ---- */

static const char *name_of(const char *type, const char *event_name)
{
    static awps__head hd;
    awps__head_init(&hd);
    awps__head_add(&hd, "ce-type", type);
    if (event_name)
        awps__head_add(&hd, "ce-eventName", event_name);
    return awps__event_name(&hd, awps__classify(type));
}

START_TEST(event_name_from_header_or_type)
{
    ck_assert_str_eq(name_of("azure.webpubsub.user.message", "custom"), "custom");
    ck_assert_str_eq(name_of("azure.webpubsub.sys.connect", "connect"), "connect");
    ck_assert_str_eq(name_of("azure.webpubsub.user.chat", NULL), "chat");
    ck_assert_str_eq(name_of("azure.webpubsub.user.chat", ""), "chat");
    ck_assert_str_eq(name_of("azure.webpubsub.user.a.b", NULL), "a.b");
    ck_assert_str_eq(name_of("azure.webpubsub.sys.connect", NULL), "connect");
    ck_assert_str_eq(name_of("azure.webpubsub.sys.connected", NULL), "connected");
    ck_assert_str_eq(name_of("azure.webpubsub.sys.disconnected", NULL), "disconnected");
    ck_assert_str_eq(name_of("azure.webpubsub.gp.joined", NULL), "joined");
    ck_assert_str_eq(name_of("azure.webpubsub.gp.left", NULL), "left");
}
END_TEST

START_TEST(event_name_through_process)
{
    awps_handler *h = handler("chat");
    tu_request *r = event_req("POST", PATH, NULL);
    ck_assert_int_eq(outcome(h, r, NULL, 0), 200);
    ck_assert_str_eq(seen_name, "message");
    r = event_req("POST", PATH, NULL);
    tu_request_add_header(r, "ce-eventName", "custom");
    ck_assert_int_eq(outcome(h, r, NULL, 0), 200);
    ck_assert_str_eq(seen_name, "custom");
    ck_assert_int_eq(calls, 2);
    awps_handler_free(h);
}
END_TEST

/* ---- duplicates through awps_handler_process ---- */

START_TEST(duplicate_header_different_values_400)
{
    static const char *const names[] = {"ce-hub", "ce-connectionId", "ce-userId", "ce-type",
                                        "ce-signature", "ce-connectionState"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        awps_handler *h = handler("chat");
        char body[256];
        tu_request *r = event_req("POST", PATH, NULL);
        tu_request_add_header(r, names[i], "first");
        tu_request_add_header(r, names[i], "second");
        ck_assert_int_eq(outcome(h, r, body, sizeof body), 400);
        ck_assert_msg(strstr(body, names[i]) != NULL, "reason '%s' does not name %s", body,
                      names[i]);
        ck_assert_int_eq(calls, 0);
        awps_handler_free(h);
    }
}
END_TEST

START_TEST(bad_header_value_400)
{
    static const char *const names[] = {"ce-userId", "ce-eventName", "ce-foo"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        awps_handler *h = handler("chat");
        char body[256];
        tu_request *r = event_req("POST", PATH, NULL);
        tu_request_add_header(r, names[i], "a\x1b[2J");
        ck_assert_int_eq(outcome(h, r, body, sizeof body), 400);
        ck_assert_msg(strstr(body, names[i]) && strstr(body, "control byte"), "reason '%s'",
                      body);
        ck_assert_int_eq(calls, 0);
        awps_handler_free(h);
    }
}
END_TEST

START_TEST(too_many_ce_headers_400)
{
    awps_handler *h = handler("chat");
    tu_request *r = event_req("POST", PATH, NULL);
    char name[32], body[256];

    for (int i = 0; i < AWPS__HEAD_EXTRA + 1; i++) {
        snprintf(name, sizeof name, "ce-x%d", i);
        tu_request_add_header(r, name, "v");
    }
    ck_assert_int_eq(outcome(h, r, body, sizeof body), 400);
    ck_assert_ptr_nonnull(strstr(body, "more than 32 ce-* headers"));
    ck_assert_int_eq(calls, 0);
    awps_handler_free(h);
}
END_TEST

START_TEST(duplicate_header_same_value_fine)
{
    awps_handler *h = handler("chat");
    tu_request *r = event_req("POST", PATH, NULL);
    tu_request_add_header(r, "CE-HUB", "chat");
    tu_request_add_header(r, "ce-connectionid", "conn1");
    ck_assert_int_eq(outcome(h, r, NULL, 0), 200);
    ck_assert_int_eq(calls, 1);
    awps_handler_free(h);
}
END_TEST

/* ---- routing ---- */

START_TEST(path_rules)
{
    awps_handler *h = handler("chat");
    static const char *const taken[] = {
        "/api/webpubsub/hubs/chat", "/api/webpubsub/hubs/chat/",
        "/API/WebPubSub/Hubs/Chat/connect", "/api/webpubsub/hubs/chat/message/x",
    };
    static const char *const declined[] = {
        "/api/webpubsub/hubs/chatroom", "/api/webpubsub/hubs/cha", "/api/webpubsub/hubs/",
        "/api/webpubsub/hubs", "/", "", "/x/api/webpubsub/hubs/chat/",
        "/api/webpubsub/hubs/other/",
    };
    for (size_t i = 0; i < sizeof taken / sizeof *taken; i++)
        ck_assert_msg(outcome(h, event_req("POST", taken[i], NULL), NULL, 0) == 200,
                      "'%s' not taken", taken[i]);
    for (size_t i = 0; i < sizeof declined / sizeof *declined; i++)
        ck_assert_msg(outcome(h, event_req("POST", declined[i], NULL), NULL, 0) == AWPS_DECLINED,
                      "'%s' taken", declined[i]);
    ck_assert_int_eq(calls, (int)(sizeof taken / sizeof *taken));
    awps_handler_free(h);
}
END_TEST

START_TEST(hub_compared_case_insensitively)
{
    awps_handler *h = handler("Chat");
    tu_request *r = event_req("POST", PATH, NULL);
    ck_assert_int_eq(outcome(h, r, NULL, 0), 200);
    ck_assert_str_eq(seen_hub, "chat");  /* the request's spelling */
    r = event_req("POST", PATH, "ce-hub");
    tu_request_add_header(r, "ce-hub", "CHAT");
    ck_assert_int_eq(outcome(h, r, NULL, 0), 200);
    r = event_req("POST", PATH, "ce-hub");
    tu_request_add_header(r, "ce-hub", "chat2");
    ck_assert_int_eq(outcome(h, r, NULL, 0), AWPS_DECLINED);
    r = event_req("POST", PATH, "ce-hub");
    tu_request_add_header(r, "ce-hub", "cha");
    ck_assert_int_eq(outcome(h, r, NULL, 0), AWPS_DECLINED);
    ck_assert_int_eq(calls, 2);
    awps_handler_free(h);
}
END_TEST

START_TEST(missing_required_headers_declined)
{
    static const char *const required[] = {"ce-awpsversion", "WebHook-Request-Origin",
                                           "ce-hub", "ce-type"};
    awps_handler *h = handler("chat");
    for (size_t i = 0; i < sizeof required / sizeof *required; i++)
        ck_assert_msg(outcome(h, event_req("POST", PATH, required[i]), NULL, 0) == AWPS_DECLINED,
                      "taken without %s", required[i]);
    /* optional ones are not required */
    ck_assert_int_eq(outcome(h, event_req("POST", PATH, "ce-userId"), NULL, 0), 200);
    ck_assert_int_eq(outcome(h, event_req("POST", PATH, "ce-specversion"), NULL, 0), 200);
    ck_assert_int_eq(calls, 2);
    awps_handler_free(h);
}
END_TEST

START_TEST(unknown_types_declined)
{
    static const char *const types[] = {"azure.webpubsub.sys.foo", "Azure.webpubsub.sys.connect",
                                        "com.example.event", ""};
    awps_handler *h = handler("chat");
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        tu_request *r = event_req("POST", PATH, "ce-type");
        tu_request_add_header(r, "ce-type", types[i]);
        ck_assert_msg(outcome(h, r, NULL, 0) == AWPS_DECLINED, "'%s' taken", types[i]);
    }
    ck_assert_int_eq(calls, 0);
    awps_handler_free(h);
}
END_TEST

START_TEST(other_methods_declined)
{
    static const char *const methods[] = {"GET", "PUT", "DELETE", "PATCH", "HEAD", "post"};
    awps_handler *h = handler("chat");
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
        ck_assert_msg(outcome(h, event_req(methods[i], PATH, NULL), NULL, 0) == AWPS_DECLINED,
                      "%s taken", methods[i]);
    ck_assert_int_eq(calls, 0);
    awps_handler_free(h);
}
END_TEST

START_TEST(default_path)
{
    awps_handler *h = awps_handler_new("hub");
    ck_assert_str_eq(awps_handler_path(h), "/api/webpubsub/hubs/hub/");
    ck_assert_str_eq(awps_handler_hub(h), "hub");
    awps_handler_free(h);
    h = awps_handler_new("Chat");
    ck_assert_str_eq(awps_handler_path(h), "/api/webpubsub/hubs/chat/");
    ck_assert_str_eq(awps_handler_hub(h), "Chat");
    awps_handler_free(h);
    ck_assert_ptr_null(awps_handler_new(""));
    ck_assert_ptr_null(awps_handler_new(NULL));
}
END_TEST

START_TEST(custom_path)
{
    awps_handler *h = handler("chat");
    ck_assert_int_eq(awps_handler_set_path(h, "/custom"), AWPS_OK);
    ck_assert_str_eq(awps_handler_path(h), "/custom/");
    ck_assert_int_eq(outcome(h, event_req("POST", "/custom", NULL), NULL, 0), 200);
    ck_assert_int_eq(outcome(h, event_req("POST", "/CUSTOM/message", NULL), NULL, 0), 200);
    ck_assert_int_eq(outcome(h, event_req("POST", "/customer", NULL), NULL, 0), AWPS_DECLINED);
    ck_assert_int_eq(outcome(h, event_req("POST", PATH, NULL), NULL, 0), AWPS_DECLINED);
    ck_assert_int_eq(awps_handler_set_path(h, "/Events/{event}/"), AWPS_OK);
    ck_assert_str_eq(awps_handler_path(h), "/events/{event}/");
    ck_assert_int_eq(awps_handler_set_path(h, "/"), AWPS_OK);
    ck_assert_str_eq(awps_handler_path(h), "/");
    ck_assert_int_eq(outcome(h, event_req("POST", "/anything", NULL), NULL, 0), 200);
    ck_assert_int_eq(awps_handler_set_path(h, "custom"), AWPS_E_INVALID);
    ck_assert_int_eq(awps_handler_set_path(h, ""), AWPS_E_INVALID);
    ck_assert_int_eq(awps_handler_set_path(h, NULL), AWPS_E_INVALID);
    ck_assert_str_eq(awps_handler_path(h), "/");  /* unchanged */
    ck_assert_int_eq(calls, 3);
    awps_handler_free(h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cloudevents");
    TCase *tc = tcase_create("headers");
    tcase_add_test(tc, head_names_case_insensitive);
    tcase_add_test(tc, head_unknown_headers_ignored);
    tcase_add_test(tc, head_other_ce_duplicate_conflicts);
    tcase_add_test(tc, head_origin_lines_form_a_list);
    tcase_add_test(tc, head_duplicate_same_value_fine);
    tcase_add_test(tc, head_duplicate_different_value_conflict);
    tcase_add_test(tc, head_canonical_names);
    tcase_add_test(tc, head_bad_values);
    tcase_add_test(tc, head_extra_overflow);
    tcase_add_test(tc, classify_spec_types);
    tcase_add_test(tc, classify_odd_types);
    tcase_add_test(tc, mqtt_detection);
    tcase_add_test(tc, event_name_from_header_or_type);
    suite_add_tcase(s, tc);

    TCase *tp = tcase_create("process");
    tcase_add_test(tp, event_name_through_process);
    tcase_add_test(tp, duplicate_header_different_values_400);
    tcase_add_test(tp, duplicate_header_same_value_fine);
    tcase_add_test(tp, bad_header_value_400);
    tcase_add_test(tp, too_many_ce_headers_400);
    tcase_add_test(tp, path_rules);
    tcase_add_test(tp, hub_compared_case_insensitively);
    tcase_add_test(tp, missing_required_headers_declined);
    tcase_add_test(tp, unknown_types_declined);
    tcase_add_test(tp, other_methods_declined);
    tcase_add_test(tp, default_path);
    tcase_add_test(tp, custom_path);
    suite_add_tcase(s, tp);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
