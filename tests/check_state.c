/* ce-connectionState: decoding and encoding (spec §6 vectors), and the
 * express merge semantics of awps_reply_set_state*() / clear_states(). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "testutil.h"

#define WAIT_MS 5000

/* spec §6 */
#define V13 "eyJrZXkxIjpbInZhbDMiXSwia2V5MiI6InZhbDIiLCJrZXkzIjoiIn0="
#define J13 "{\"key1\":[\"val3\"],\"key2\":\"val2\",\"key3\":\"\"}"
#define V17 "eyJrZXkxIjoidmFsMyIsImtleTIiOiJ2YWwyIiwia2V5MyI6IiJ9"
#define J17 "{\"key1\":\"val3\",\"key2\":\"val2\",\"key3\":\"\"}"
#define VCALLED "eyJjYWxsZWRUaW1lIjoxfQ=="
#define JCALLED "{\"calledTime\":1}"
#define VKEY "eyJrZXkiOiJhIn0="
#define JKEY "{\"key\":\"a\"}"
/* base64 of {"a":1,"b":2} */
#define VAB "eyJhIjoxLCJiIjoyfQ=="

static void quiet(void *data, awps_log_level level, const char *msg)
{
    (void)data; (void)level; (void)msg;
}

/* What the callback does with the reply. */
typedef void (*act_fn)(awps_event *ev, awps_reply *r);
static act_fn act;
static int calls;
static json_t *seen_states;  /* copy of awps_event_states() in the callback */

static void on_event(awps_event *ev, awps_reply *r, void *data)
{
    (void)data;
    calls++;
    json_decref(seen_states);
    seen_states = json_deep_copy(awps_event_states(ev));
    act(ev, r);
}

static awps_handler *handler(void)
{
    awps_handler *h = awps_handler_new("hub");
    ck_assert_ptr_nonnull(h);
    awps_handler_set_log(h, quiet, NULL, AWPS_LOG_DEBUG);
    awps_handler_on_connect(h, on_event, NULL);
    awps_handler_on_user_event(h, on_event, NULL);
    calls = 0;
    return h;
}

/* A connect (user == 0) or user event request carrying `state` (or none). */
static tu_request *request(int user, const char *state)
{
    const char *body = user ? "hi" : "{}";
    tu_request *r = tu_request_newv("POST", "/api/webpubsub/hubs/hub/", body, strlen(body),
                                    "WebHook-Request-Origin", "xxx.webpubsub.azure.com",
                                    "ce-awpsversion", "1.0", "ce-specversion", "1.0",
                                    "ce-type", user ? "azure.webpubsub.user.message"
                                                    : "azure.webpubsub.sys.connect",
                                    "Content-Type", user ? "text/plain"
                                                         : "application/json; charset=utf-8",
                                    "ce-hub", "hub", "ce-connectionId", "conn1", NULL);
    if (state)
        tu_request_add_header(r, "ce-connectionState", state);
    return r;
}

/* Run `a` as the callback; the response is copied out. */
static tu_response *run(int user, const char *state, act_fn a)
{
    awps_handler *h = handler();
    tu_capture *c = tu_capture_new();
    tu_request *r = request(user, state);
    const tu_response *res;

    act = a;
    ck_assert_int_eq(tu_process(h, r, c, WAIT_MS, &res), AWPS_OK);
    ck_assert_ptr_nonnull(res);
    ck_assert_int_eq(calls, 1);
    tu_response *out = tu_response_dup(res);
    tu_capture_free(c);
    tu_request_free(r);
    awps_handler_free(h);
    return out;
}

static void assert_state_json(const char *b64, const char *json)
{
    json_t *want = json_loads(json, 0, NULL);
    json_t *got = awps__state_decode(b64);
    ck_assert_ptr_nonnull(want);
    ck_assert_ptr_nonnull(got);
    ck_assert_msg(json_equal(got, want), "'%s' does not decode to %s", b64, json);
    json_decref(want);
    json_decref(got);
}

static void assert_empty_state(const char *b64)
{
    json_t *got = awps__state_decode(b64);
    ck_assert_ptr_nonnull(got);
    ck_assert_msg(json_is_object(got) && json_object_size(got) == 0,
                  "'%s' should decode to {}", b64 ? b64 : "(null)");
    json_decref(got);
}

/* Encoding of a JSON text (jansson keeps the key order of the text). */
static void assert_encodes(const char *json, const char *b64)
{
    json_t *v = json_loads(json, 0, NULL);
    ck_assert_ptr_nonnull(v);
    char *got = awps__state_encode(v);
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got, b64);
    free(got);
    json_decref(v);
}

/* ---- decode / encode ---- */

START_TEST(decode_spec_vectors)
{
    assert_state_json(V13, J13);
    assert_state_json(V17, J17);
    assert_state_json(VCALLED, JCALLED);
    assert_state_json(VKEY, JKEY);
}
END_TEST

START_TEST(encode_spec_vectors)
{
    assert_encodes(J13, V13);
    assert_encodes(J17, V17);
    assert_encodes(JCALLED, VCALLED);
    assert_encodes(JKEY, VKEY);
    assert_encodes("{}", "e30=");
}
END_TEST

START_TEST(decode_invalid_base64_is_empty)
{
    assert_empty_state("!!!!");
    assert_empty_state("e30=x");   /* data after padding */
    assert_empty_state("e");       /* a lone character encodes no byte */
    assert_empty_state("eyJr*ZXkiOiJhIn0=");
}
END_TEST

START_TEST(decode_non_object_is_empty)
{
    assert_empty_state("WzFd");      /* [1] */
    assert_empty_state("MQ==");      /* 1 */
    assert_empty_state("ImEi");      /* "a" */
    assert_empty_state("bnVsbA==");  /* null */
    assert_empty_state("dHJ1ZQ==");  /* true */
}
END_TEST

START_TEST(decode_invalid_json_is_empty)
{
    assert_empty_state("ew==");      /* { */
    assert_empty_state("eyJhIjo=");  /* {"a": */
    assert_empty_state("aGVsbG8=");  /* hello */
}
END_TEST

START_TEST(decode_empty_or_absent_is_empty)
{
    assert_empty_state("");
    assert_empty_state(NULL);
}
END_TEST

START_TEST(decode_url_safe_alphabet)
{
    assert_state_json("eyJrIjoiPz4_In0", "{\"k\":\"?>?\"}");
    assert_state_json("eyJrIjoifn5-In0=", "{\"k\":\"~~~\"}");
    /* the standard alphabet of the same values */
    assert_state_json("eyJrIjoiPz4/In0=", "{\"k\":\"?>?\"}");
    assert_state_json("eyJrIjoifn5+In0=", "{\"k\":\"~~~\"}");
}
END_TEST

START_TEST(decode_missing_padding_accepted)
{
    assert_state_json("eyJrZXkiOiJhIn0", JKEY);
    assert_state_json("eyJjYWxsZWRUaW1lIjoxfQ", JCALLED);
    assert_state_json("eyJjYWxsZWRUaW1lIjoxfQ=", JCALLED);
}
END_TEST

/* ---- through awps_handler_process ---- */

static void set_13(awps_event *ev, awps_reply *r)
{
    (void)ev;
    json_t *arr = json_pack("[s]", "val3");
    ck_assert_int_eq(awps_reply_set_state_string(r, "key1", "val1"), AWPS_OK);
    ck_assert_int_eq(awps_reply_set_state_string(r, "key2", "val2"), AWPS_OK);
    ck_assert_int_eq(awps_reply_set_state(r, "key1", arr), AWPS_OK);
    json_decref(arr);  /* the reply holds its own reference */
    ck_assert_int_eq(awps_reply_set_state_string(r, "key3", ""), AWPS_OK);
    ck_assert_int_eq(awps_reply_set_user_id(r, "vic"), AWPS_OK);
    ck_assert_int_eq(awps_reply_success(r), AWPS_OK);
}

START_TEST(connect_express_13_set_state)
{
    tu_response *res = run(0, NULL, set_13);
    ck_assert_uint_eq(res->status, 200);
    ck_assert_ptr_nonnull(res->connection_state);
    ck_assert_str_eq(res->connection_state, V13);
    tu_response_free(res);
}
END_TEST

static void set_17(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_set_state_string(r, "key1", "val1"), AWPS_OK);
    ck_assert_int_eq(awps_reply_set_state_string(r, "key2", "val2"), AWPS_OK);
    ck_assert_int_eq(awps_reply_set_state_string(r, "key1", "val3"), AWPS_OK);
    ck_assert_int_eq(awps_reply_set_state_string(r, "key3", ""), AWPS_OK);
    ck_assert_int_eq(awps_reply_success(r), AWPS_OK);
}

START_TEST(user_express_17_set_state)
{
    tu_response *res = run(1, NULL, set_17);
    ck_assert_uint_eq(res->status, 200);
    ck_assert_ptr_nonnull(res->connection_state);
    ck_assert_str_eq(res->connection_state, V17);
    tu_response_free(res);
}
END_TEST

static void just_succeed(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_success(r), AWPS_OK);
}

START_TEST(connect_express_14_incoming_states_visible)
{
    tu_response *res = run(0, V13, just_succeed);
    json_t *want = json_loads(J13, 0, NULL);
    ck_assert(json_equal(seen_states, want));
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(seen_states, "key1"), 0)),
                     "val3");
    json_decref(want);
    /* untouched state: no header, and the connect answer is 204 */
    ck_assert_uint_eq(res->status, 204);
    ck_assert_ptr_null(res->connection_state);
    tu_response_free(res);
}
END_TEST

START_TEST(connect_express_15_invalid_state_ignored)
{
    static const char *const bad[] = {"", "!!!", "WzFd", "ew=="};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tu_response *res = run(0, bad[i], just_succeed);
        ck_assert(json_is_object(seen_states) && json_object_size(seen_states) == 0);
        ck_assert_uint_eq(res->status, 204);
        ck_assert_ptr_null(res->connection_state);
        tu_response_free(res);
    }
}
END_TEST

static int lookup_ok;

static void read_one_state(awps_event *ev, awps_reply *r)
{
    lookup_ok = json_integer_value(awps_event_state(ev, "calledTime")) == 1 &&
                awps_event_state(ev, "missing") == NULL && awps_event_state(ev, NULL) == NULL;
    ck_assert_int_eq(awps_reply_success(r), AWPS_OK);
}

START_TEST(user_event_state_lookup)
{
    lookup_ok = 0;
    tu_response *res = run(1, VCALLED, read_one_state);
    ck_assert(lookup_ok);
    ck_assert_uint_eq(res->status, 200);
    ck_assert_ptr_null(res->connection_state);
    tu_response_free(res);
}
END_TEST

static void bump_called(awps_event *ev, awps_reply *r)
{
    json_t *n = json_integer(json_integer_value(awps_event_state(ev, "calledTime")) + 1);
    ck_assert_int_eq(awps_reply_set_state(r, "calledTime", n), AWPS_OK);
    json_decref(n);
    ck_assert_int_eq(awps_reply_set_state_string(r, "new", "x"), AWPS_OK);
    ck_assert_int_eq(awps_reply_success(r), AWPS_OK);
}

START_TEST(incoming_state_merged)
{
    tu_response *res = run(1, VCALLED, bump_called);
    ck_assert_uint_eq(res->status, 200);
    /* base64 of {"calledTime":2,"new":"x"} */
    ck_assert_str_eq(res->connection_state, "eyJjYWxsZWRUaW1lIjoyLCJuZXciOiJ4In0=");
    tu_response_free(res);
}
END_TEST

static void overwrite_a(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_set_state_string(r, "c", "3"), AWPS_OK);
    ck_assert_int_eq(awps_reply_set_state_string(r, "a", "x"), AWPS_OK);
    ck_assert_int_eq(awps_reply_success(r), AWPS_OK);
}

START_TEST(overwrite_keeps_key_position)
{
    tu_response *res = run(0, VAB, overwrite_a);
    ck_assert_uint_eq(res->status, 204);
    /* base64 of {"a":"x","b":2,"c":"3"}: untouched b kept, a in place */
    ck_assert_str_eq(res->connection_state, "eyJhIjoieCIsImIiOjIsImMiOiIzIn0=");
    tu_response_free(res);
}
END_TEST

static void delete_keys(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_set_state(r, "a", NULL), AWPS_OK);
    ck_assert_int_eq(awps_reply_set_state(r, "not-there", NULL), AWPS_OK);
    ck_assert_int_eq(awps_reply_success(r), AWPS_OK);
}

START_TEST(set_null_deletes_key)
{
    tu_response *res = run(1, VAB, delete_keys);
    ck_assert_uint_eq(res->status, 200);
    ck_assert_str_eq(res->connection_state, "eyJiIjoyfQ==");  /* {"b":2} */
    tu_response_free(res);
}
END_TEST

static void delete_all(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_set_state_string(r, "a", NULL), AWPS_OK);
    ck_assert_int_eq(awps_reply_set_state_string(r, "b", NULL), AWPS_OK);
    ck_assert_int_eq(awps_reply_success(r), AWPS_OK);
}

START_TEST(delete_every_key_sends_empty_object)
{
    tu_response *res = run(1, VAB, delete_all);
    ck_assert_str_eq(res->connection_state, "e30=");
    tu_response_free(res);
}
END_TEST

static void do_clear_then_set(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_set_state_string(r, "early", "gone"), AWPS_OK);
    ck_assert_int_eq(awps_reply_clear_states(r), AWPS_OK);
    ck_assert_int_eq(awps_reply_set_state_string(r, "n", "v"), AWPS_OK);
    ck_assert_int_eq(awps_reply_success(r), AWPS_OK);
}

START_TEST(clear_then_set)
{
    tu_response *res = run(0, VAB, do_clear_then_set);
    ck_assert_str_eq(res->connection_state, "eyJuIjoidiJ9");  /* {"n":"v"} */
    tu_response_free(res);
}
END_TEST

static void clear_only(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_clear_states(r), AWPS_OK);
    ck_assert_int_eq(awps_reply_success(r), AWPS_OK);
}

START_TEST(clear_alone_sends_empty_object)
{
    tu_response *res = run(1, VAB, clear_only);
    ck_assert_str_eq(res->connection_state, "e30=");
    tu_response_free(res);
    /* even with no incoming state */
    res = run(0, NULL, clear_only);
    ck_assert_str_eq(res->connection_state, "e30=");
    tu_response_free(res);
}
END_TEST

static void reply_data(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_success_data(r, AWPS_DATA_TEXT, "ok", 2), AWPS_OK);
}

START_TEST(no_state_call_no_header)
{
    tu_response *res = run(1, VAB, reply_data);
    ck_assert_uint_eq(res->status, 200);
    ck_assert_ptr_null(res->connection_state);
    tu_response_free(res);
    res = run(0, VAB, just_succeed);
    ck_assert_ptr_null(res->connection_state);
    tu_response_free(res);
}
END_TEST

static void set_then_data(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_set_state_string(r, "key", "a"), AWPS_OK);
    ck_assert_int_eq(awps_reply_success_data(r, AWPS_DATA_JSON, "1", 1), AWPS_OK);
}

START_TEST(state_sent_with_success_data)
{
    tu_response *res = run(1, NULL, set_then_data);
    ck_assert_uint_eq(res->status, 200);
    ck_assert_str_eq(res->connection_state, VKEY);
    tu_response_free(res);
}
END_TEST

static void set_then_fail(awps_event *ev, awps_reply *r)
{
    (void)ev;
    ck_assert_int_eq(awps_reply_set_state_string(r, "key", "a"), AWPS_OK);
    ck_assert_int_eq(awps_reply_clear_states(r), AWPS_OK);
    ck_assert_int_eq(awps_reply_set_state_string(r, "key", "b"), AWPS_OK);
    ck_assert_int_eq(awps_reply_fail(r, 401, "no"), AWPS_OK);
}

START_TEST(fail_sends_no_state)
{
    tu_response *res = run(0, VAB, set_then_fail);
    ck_assert_uint_eq(res->status, 401);
    ck_assert_ptr_null(res->connection_state);
    tu_response_free(res);
    res = run(1, VAB, set_then_fail);
    ck_assert_uint_eq(res->status, 401);
    ck_assert_ptr_null(res->connection_state);
    tu_response_free(res);
}
END_TEST

static int bad_key_rc;

static void null_key(awps_event *ev, awps_reply *r)
{
    (void)ev;
    bad_key_rc = awps_reply_set_state_string(r, NULL, "v");
    ck_assert_int_eq(awps_reply_success(r), AWPS_OK);
}

START_TEST(set_state_null_key_invalid)
{
    tu_response *res = run(1, VAB, null_key);
    ck_assert_int_eq(bad_key_rc, AWPS_E_INVALID);
    ck_assert_ptr_null(res->connection_state);  /* nothing changed */
    tu_response_free(res);
}
END_TEST

static void teardown(void)
{
    json_decref(seen_states);
    seen_states = NULL;
}

int main(void)
{
    Suite *s = suite_create("state");
    TCase *tc = tcase_create("codec");
    tcase_add_test(tc, decode_spec_vectors);
    tcase_add_test(tc, encode_spec_vectors);
    tcase_add_test(tc, decode_invalid_base64_is_empty);
    tcase_add_test(tc, decode_non_object_is_empty);
    tcase_add_test(tc, decode_invalid_json_is_empty);
    tcase_add_test(tc, decode_empty_or_absent_is_empty);
    tcase_add_test(tc, decode_url_safe_alphabet);
    tcase_add_test(tc, decode_missing_padding_accepted);
    suite_add_tcase(s, tc);

    TCase *tm = tcase_create("merge");
    tcase_add_checked_fixture(tm, NULL, teardown);
    tcase_add_test(tm, connect_express_13_set_state);
    tcase_add_test(tm, user_express_17_set_state);
    tcase_add_test(tm, connect_express_14_incoming_states_visible);
    tcase_add_test(tm, connect_express_15_invalid_state_ignored);
    tcase_add_test(tm, user_event_state_lookup);
    tcase_add_test(tm, incoming_state_merged);
    tcase_add_test(tm, overwrite_keeps_key_position);
    tcase_add_test(tm, set_null_deletes_key);
    tcase_add_test(tm, delete_every_key_sends_empty_object);
    tcase_add_test(tm, clear_then_set);
    tcase_add_test(tm, clear_alone_sends_empty_object);
    tcase_add_test(tm, no_state_call_no_header);
    tcase_add_test(tm, state_sent_with_success_data);
    tcase_add_test(tm, fail_sends_no_state);
    tcase_add_test(tm, set_state_null_key_invalid);
    suite_add_tcase(s, tm);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
