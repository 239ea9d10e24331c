/* User events: data types from Content-Type (express user tests #3-#17),
 * data validation, the answers and their content types, connect-only calls
 * refused, the event name, and no callback. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "testutil.h"

#define WAIT_MS 5000
#define OCTETS "application/octet-stream"

static void quiet(void *data, awps_log_level level, const char *msg)
{
    (void)data; (void)level; (void)msg;
}

/* A user event for hub "hub"; content type optional (NULL: none). */
static tu_request *user_req(const char *type, const char *ct, const void *body, size_t len)
{
    tu_request *r = tu_request_newv("POST", "/api/webpubsub/hubs/hub/", body, len,
                                    "WebHook-Request-Origin", "xxx.webpubsub.azure.com",
                                    "ce-awpsversion", "1.0", "ce-specversion", "1.0",
                                    "ce-type", type, "ce-source", "/hubs/hub/client/conn1",
                                    "ce-id", "1", "ce-userId", "user1",
                                    "ce-connectionId", "conn1", "ce-hub", "hub", NULL);
    if (ct)
        tu_request_add_header(r, "Content-Type", ct);
    return r;
}

/* ---- running a user event ---- */

typedef void (*act_fn)(awps_event *ev, awps_reply *r);
static act_fn act;            /* NULL: hold the reply for the test */
static awps_reply *held;
static int calls;

static void on_user(awps_event *ev, awps_reply *r, void *data)
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
        awps_handler_on_user_event(h, on_user, NULL);
    calls = 0;
    held = NULL;
    return h;
}

/* Start an event whose reply the callback holds; returns its event. */
static awps_event *start(awps_handler *h, tu_request *r, tu_capture *c)
{
    act = NULL;
    ck_assert_int_eq(awps_handler_process(h, tu_request_get(r), tu_capture_respond, c), AWPS_OK);
    tu_request_free(r);
    ck_assert_int_eq(calls, 1);
    ck_assert_ptr_nonnull(held);
    return awps_reply_event(held);
}

static void finish(tu_capture *c)
{
    ck_assert_int_eq(awps_reply_success(held), AWPS_OK);
    awps_reply_release(held);
    held = NULL;
    const tu_response *res = tu_capture_wait(c, WAIT_MS);
    ck_assert_ptr_nonnull(res);
    ck_assert_uint_eq(res->status, 200);
}

/* Run the event `r` (freed) with `a` as the callback; answer copied out. */
static tu_response *run(awps_handler *h, tu_request *r, act_fn a)
{
    tu_capture *c = tu_capture_new();
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

static tu_request *message(const char *ct, const char *body)
{
    return user_req("azure.webpubsub.user.message", ct, body, strlen(body));
}

/* ---- data types ---- */

static void check_text(const char *ct)
{
    awps_handler *h = handler(1);
    tu_capture *c = tu_capture_new();
    awps_event *ev = start(h, message(ct, "Hello"), c);
    size_t len = 99;
    ck_assert_int_eq(awps_event_get_type(ev), AWPS_EVENT_USER);
    ck_assert_int_eq(awps_event_data_type(ev), AWPS_DATA_TEXT);
    const char *data = awps_event_data(ev, &len);
    ck_assert_uint_eq(len, 5);
    ck_assert_str_eq(data, "Hello");  /* NUL-terminated */
    ck_assert_ptr_null(awps_event_json(ev));
    ck_assert_str_eq(awps_event_content_type(ev), ct);
    ck_assert_ptr_null(awps_event_body(ev));
    finish(c);
    tu_capture_free(c);
    awps_handler_free(h);
}

START_TEST(text_plain)
{
    check_text("text/plain");
}
END_TEST

START_TEST(text_plain_with_charset)
{
    check_text("text/plain; charset=UTF-8;");
    check_text("text/plain;charset=utf-8");
    check_text("Text/Plain; charset=utf-8");  /* media types ignore case (RFC 2045) */
}
END_TEST

START_TEST(text_multibyte_utf8)
{
    awps_handler *h = handler(1);
    tu_capture *c = tu_capture_new();
    awps_event *ev = start(h, message("text/plain", "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"), c);
    ck_assert_int_eq(awps_event_data_type(ev), AWPS_DATA_TEXT);
    finish(c);
    tu_capture_free(c);
    awps_handler_free(h);
}
END_TEST

/* JSON body `text` parses to `want` (a JSON text). */
static void check_json(const char *text, const char *want)
{
    awps_handler *h = handler(1);
    tu_capture *c = tu_capture_new();
    awps_event *ev = start(h, message("application/json; charset=utf-8", text), c);
    ck_assert_int_eq(awps_event_data_type(ev), AWPS_DATA_JSON);
    json_t *expect = json_loads(want, JSON_DECODE_ANY, NULL);
    ck_assert_ptr_nonnull(expect);
    ck_assert_msg(json_equal(awps_event_json(ev), expect), "'%s' parsed differently", text);
    ck_assert_int_eq(json_typeof(awps_event_json(ev)), json_typeof(expect));
    json_decref(expect);
    size_t len;
    ck_assert_str_eq(awps_event_data(ev, &len), text);  /* raw body kept */
    ck_assert_uint_eq(len, strlen(text));
    finish(c);
    tu_capture_free(c);
    awps_handler_free(h);
}

START_TEST(json_data_number)
{
    check_json("1", "1");
}
END_TEST

START_TEST(json_data_boolean)
{
    check_json("true", "true");
}
END_TEST

START_TEST(json_data_object)
{
    check_json("{\"a\":1}", "{\"a\":1}");
}
END_TEST

START_TEST(json_data_array)
{
    check_json("[1,2,3]", "[1,2,3]");
}
END_TEST

START_TEST(json_data_string_and_null)
{
    check_json("\"s\"", "\"s\"");
    check_json(" null ", "null");
}
END_TEST

START_TEST(binary_octet_stream)
{
    static const unsigned char bytes[] = {1, 2, 3, 4, 5, 6, 7};
    awps_handler *h = handler(1);
    tu_capture *c = tu_capture_new();
    awps_event *ev = start(h, user_req("azure.webpubsub.user.message", OCTETS, bytes,
                                       sizeof bytes), c);
    size_t len;
    ck_assert_int_eq(awps_event_data_type(ev), AWPS_DATA_BINARY);
    const unsigned char *data = awps_event_data(ev, &len);
    ck_assert_uint_eq(len, sizeof bytes);
    ck_assert_mem_eq(data, bytes, sizeof bytes);
    ck_assert_str_eq(awps_event_user_id(ev), "user1");
    ck_assert_str_eq(awps_event_content_type(ev), OCTETS);
    finish(c);
    tu_capture_free(c);
    awps_handler_free(h);
}
END_TEST

/* `ct` (NULL: no header) gives binary data and content_type `ct`. */
static void check_binary(const char *ct)
{
    static const char body[] = "\xff\x00\xfe{";
    awps_handler *h = handler(1);
    tu_capture *c = tu_capture_new();
    awps_event *ev = start(h, user_req("azure.webpubsub.user.message", ct, body,
                                       sizeof body - 1), c);
    size_t len;
    ck_assert_msg(awps_event_data_type(ev) == AWPS_DATA_BINARY, "'%s' not binary",
                  ct ? ct : "(none)");
    ck_assert_mem_eq(awps_event_data(ev, &len), body, sizeof body - 1);
    ck_assert_uint_eq(len, sizeof body - 1);
    if (ct)
        ck_assert_str_eq(awps_event_content_type(ev), ct);
    else
        ck_assert_ptr_null(awps_event_content_type(ev));
    finish(c);
    tu_capture_free(c);
    awps_handler_free(h);
}

START_TEST(unknown_content_type_binary)
{
    check_binary("image/png");
    check_binary("application/jsonx");
    check_binary("text/plainx; charset=utf-8");
    check_binary("application/cbor");
}
END_TEST

START_TEST(absent_content_type_binary)
{
    check_binary(NULL);
}
END_TEST

/* ---- invalid data ---- */

static void must_not_run(awps_event *ev, awps_reply *r)
{
    (void)ev;
    awps_reply_success(r);
}

static void assert_400(awps_handler *h, tu_request *r, const char *what)
{
    tu_response *res = run(h, r, must_not_run);
    ck_assert_msg(res->status == 400, "%s: status %u", what, res->status);
    ck_assert_msg(res->body_len > 0, "%s: no reason", what);
    tu_response_free(res);
}

START_TEST(invalid_json_400)
{
    static const char *const bad[] = {"{", "not json", "", "[1,2", "{\"a\":1}x", "'s'"};
    awps_handler *h = handler(1);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_400(h, message("application/json", bad[i]), bad[i]);
    ck_assert_int_eq(calls, 0);
    awps_handler_free(h);
}
END_TEST

START_TEST(invalid_utf8_text_400)
{
    static const char *const bad[] = {
        "\xff\xfe", "ab\x80", "\xc0\xaf",  /* overlong '/' */
        "\xed\xa0\x80",                    /* a UTF-16 surrogate */
        "\xe2\x82",                        /* truncated */
        "\xf4\x90\x80\x80",                /* above U+10FFFF */
    };
    awps_handler *h = handler(1);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char what[32];
        snprintf(what, sizeof what, "utf-8 case %zu", i);
        assert_400(h, message("text/plain", bad[i]), what);
    }
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

START_TEST(success_200_octet_stream)
{
    awps_handler *h = handler(1);
    tu_response *res = run(h, message("text/plain", "hi"), success_plain);
    ck_assert_uint_eq(res->status, 200);
    ck_assert_uint_eq(res->body_len, 0);
    ck_assert_str_eq(res->content_type, OCTETS);
    ck_assert_ptr_null(res->connection_state);
    tu_response_free(res);
    awps_handler_free(h);
}
END_TEST

static const char nul_bytes[] = {'a', 0, 'b', 0, (char)0xff};

static void data_text(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_success_data(r, AWPS_DATA_TEXT, "a", 1), AWPS_OK);
}

static void data_json(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_success_data(r, AWPS_DATA_JSON, "{\"a\":1}", 7), AWPS_OK);
}

static void data_binary(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_success_data(r, AWPS_DATA_BINARY, nul_bytes, sizeof nul_bytes),
                     AWPS_OK);
}

static void data_empty(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_success_data(r, AWPS_DATA_TEXT, NULL, 0), AWPS_OK);
}

static void assert_data(tu_response *res, const char *ct, const void *body, size_t len)
{
    ck_assert_uint_eq(res->status, 200);
    ck_assert_ptr_nonnull(res->content_type);
    ck_assert_str_eq(res->content_type, ct);
    ck_assert_uint_eq(res->body_len, len);
    if (len)
        ck_assert_mem_eq(res->body, body, len);
    tu_response_free(res);
}

START_TEST(success_data_content_types)
{
    awps_handler *h = handler(1);
    assert_data(run(h, message("text/plain", "x"), data_text), "text/plain; charset=utf-8", "a", 1);
    assert_data(run(h, message("text/plain", "x"), data_json), "application/json; charset=utf-8",
                "{\"a\":1}", 7);
    assert_data(run(h, message("text/plain", "x"), data_binary), OCTETS, nul_bytes,
                sizeof nul_bytes);
    assert_data(run(h, message("text/plain", "x"), data_empty), "text/plain; charset=utf-8", "", 0);
    ck_assert_int_eq(calls, 4);
    awps_handler_free(h);
}
END_TEST

static int bad_data_rc[2];

static void data_invalid_then_valid(awps_event *ev, awps_reply *r)
{
    (void)ev;
    bad_data_rc[0] = awps_reply_success_data(r, (awps_data_type)7, "a", 1);
    bad_data_rc[1] = awps_reply_success_data(r, AWPS_DATA_TEXT, NULL, 3);
    ck_assert(!awps_reply_is_done(r));
    ck_assert_int_eq(awps_reply_success_data(r, AWPS_DATA_TEXT, "ok", 2), AWPS_OK);
}

START_TEST(success_data_invalid_arguments)
{
    awps_handler *h = handler(1);
    assert_data(run(h, message("text/plain", "x"), data_invalid_then_valid),
                "text/plain; charset=utf-8", "ok", 2);
    ck_assert_int_eq(bad_data_rc[0], AWPS_E_INVALID);
    ck_assert_int_eq(bad_data_rc[1], AWPS_E_INVALID);
    awps_handler_free(h);
}
END_TEST

static void fail_bad_event(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_fail(r, 400, "bad event"), AWPS_OK);
}

static void fail_500(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_fail(r, 500, NULL), AWPS_OK);
}

START_TEST(fail_answers)
{
    awps_handler *h = handler(1);
    tu_response *res = run(h, message("text/plain", "x"), fail_bad_event);
    ck_assert_uint_eq(res->status, 400);
    ck_assert_str_eq(res->body, "bad event");
    ck_assert_uint_eq(res->body_len, 9);
    tu_response_free(res);
    res = run(h, message("text/plain", "x"), fail_500);
    ck_assert_uint_eq(res->status, 500);
    ck_assert_uint_eq(res->body_len, 0);
    tu_response_free(res);
    awps_handler_free(h);
}
END_TEST

static int wrong_rc[6];

static void connect_only_calls(awps_event *ev, awps_reply *r)
{
    (void)ev;
    wrong_rc[0] = awps_reply_set_user_id(r, "u");
    wrong_rc[1] = awps_reply_add_group(r, "g");
    wrong_rc[2] = awps_reply_add_role(r, "r");
    wrong_rc[3] = awps_reply_set_subprotocol(r, "p");
    wrong_rc[4] = awps_reply_add_mqtt_user_property(r, "n", "v");
    wrong_rc[5] = awps_reply_fail_mqtt(r, 5, "x");
    ck_assert(!awps_reply_is_done(r));
    ck_assert_int_eq(awps_reply_success(r), AWPS_OK);
}

START_TEST(connect_only_setters_wrong_event)
{
    awps_handler *h = handler(1);
    tu_response *res = run(h, message("text/plain", "x"), connect_only_calls);
    for (int i = 0; i < 6; i++)
        ck_assert_msg(wrong_rc[i] == AWPS_E_WRONG_EVENT, "call %d returned %d", i, wrong_rc[i]);
    /* nothing of it leaked into the answer */
    ck_assert_uint_eq(res->status, 200);
    ck_assert_uint_eq(res->body_len, 0);
    ck_assert_str_eq(res->content_type, OCTETS);
    tu_response_free(res);
    awps_handler_free(h);
}
END_TEST

/* ---- event name ---- */

START_TEST(event_name_from_header)
{
    awps_handler *h = handler(1);
    tu_capture *c = tu_capture_new();
    tu_request *r = message("text/plain", "x");
    tu_request_add_header(r, "ce-eventName", "custom");
    awps_event *ev = start(h, r, c);
    ck_assert_str_eq(awps_event_name(ev), "custom");
    finish(c);
    tu_capture_free(c);

    c = tu_capture_new();
    calls = 0;
    ev = start(h, user_req("azure.webpubsub.user.chat", "text/plain", "x", 1), c);
    ck_assert_str_eq(awps_event_name(ev), "chat");
    finish(c);
    tu_capture_free(c);
    awps_handler_free(h);
}
END_TEST

/* ---- no callback ---- */

START_TEST(no_callback_200_body_unread)
{
    awps_handler *h = handler(0);
    tu_request *reqs[] = {
        message("application/json", "{not json"),
        message("text/plain", "\xff\xfe"),
        message(OCTETS, "x"),
        message(NULL, ""),
    };
    for (size_t i = 0; i < sizeof reqs / sizeof *reqs; i++) {
        tu_response *res = run(h, reqs[i], NULL);
        ck_assert_msg(res->status == 200, "request %zu: status %u", i, res->status);
        ck_assert_uint_eq(res->body_len, 0);
        ck_assert_ptr_null(res->connection_state);
        tu_response_free(res);
    }
    awps_handler_free(h);
}
END_TEST

static int connected_calls;

static void on_connected(const awps_event *ev, void *data)
{
    (void)ev; (void)data;
    connected_calls++;
}

START_TEST(user_connected_is_a_user_event)
{
    /* express connected.spec quirk: ce-type azure.webpubsub.user.connected */
    awps_handler *h = handler(0);
    connected_calls = 0;
    awps_handler_on_connected(h, on_connected, NULL);
    tu_response *res = run(h, user_req("azure.webpubsub.user.connected",
                                       "application/json; charset=utf-8", "{}", 2), NULL);
    ck_assert_uint_eq(res->status, 200);
    tu_response_free(res);
    ck_assert_int_eq(connected_calls, 0);
    awps_handler_on_user_event(h, on_user, NULL);
    res = run(h, user_req("azure.webpubsub.user.connected", "application/json; charset=utf-8",
                          "{}", 2), success_plain);
    ck_assert_uint_eq(res->status, 200);
    tu_response_free(res);
    ck_assert_int_eq(calls, 1);
    ck_assert_int_eq(connected_calls, 0);
    awps_handler_free(h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("user_event");
    TCase *td = tcase_create("data");
    tcase_add_test(td, text_plain);
    tcase_add_test(td, text_plain_with_charset);
    tcase_add_test(td, text_multibyte_utf8);
    tcase_add_test(td, json_data_number);
    tcase_add_test(td, json_data_boolean);
    tcase_add_test(td, json_data_object);
    tcase_add_test(td, json_data_array);
    tcase_add_test(td, json_data_string_and_null);
    tcase_add_test(td, binary_octet_stream);
    tcase_add_test(td, unknown_content_type_binary);
    tcase_add_test(td, absent_content_type_binary);
    tcase_add_test(td, invalid_json_400);
    tcase_add_test(td, invalid_utf8_text_400);
    suite_add_tcase(s, td);

    TCase *ta = tcase_create("answers");
    tcase_add_test(ta, success_200_octet_stream);
    tcase_add_test(ta, success_data_content_types);
    tcase_add_test(ta, success_data_invalid_arguments);
    tcase_add_test(ta, fail_answers);
    tcase_add_test(ta, connect_only_setters_wrong_event);
    tcase_add_test(ta, event_name_from_header);
    tcase_add_test(ta, no_callback_200_body_unread);
    tcase_add_test(ta, user_connected_is_a_user_event);
    suite_add_tcase(s, ta);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
