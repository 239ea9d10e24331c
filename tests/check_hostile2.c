/* Hostile requests over real HTTP, part 2: bodies (UTF-8, NUL bytes, deep
 * nesting, wrong JSON types for every field of every event, huge but
 * allowed values), signatures, the preflight allow-list, routing, CR/LF in
 * values echoed into the answer, and absurd ce-connectionState values.
 * Each hostile case: a 4xx from the library with a text reason, no callback,
 * and the server still answers a valid request (hu_still_serving). Framing
 * and the header block: tests/check_hostile.c. */
#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostile-util.h"
#include "internal.h"

#define CONNECT "azure.webpubsub.sys.connect"
#define CONNECTED "azure.webpubsub.sys.connected"
#define DISC "azure.webpubsub.sys.disconnected"
#define JOINED "azure.webpubsub.gp.joined"
#define LEFT "azure.webpubsub.gp.left"
#define USER "azure.webpubsub.user.echo"
#define JSON "application/json"
#define TEXT "text/plain"

/* A refused body: `status` with `why` in the text reason, no callback. */
static void bad_body(const char *type, const char *ctype, const void *body, size_t len,
                     long status, const char *why)
{
    tu_http_result r;

    ck_assert_int_eq(hu_post(&r, "chat", type, ctype, NULL, body, len, 0), status);
    ck_assert_msg(r.len > 0 && strstr(r.body, why), "reason '%s' lacks '%s'", r.body, why);
    ck_assert_ptr_nonnull(strcasestr(r.headers, "Content-Type: text/plain"));
    hu_still_serving();
}

/* An accepted request: 2xx, exactly one callback; the server goes on. */
static long accepted(tu_http_result *r, const char *type, const char *ctype,
                     const char *const *extra, const void *body, size_t len)
{
    long st = hu_post(r, "chat", type, ctype, extra, body, len, 0);

    ck_assert_msg(st == 200 || st == 204, "status %ld: %s", st, r->body);
    ck_assert_int_eq(hu_calls(), 1);
    hu_reset_calls();
    return st;
}

/* ---- one START_TEST per literal case ---- */

#define BODY_TEST(name, type, ctype, body, why) \
    START_TEST(name) { bad_body(type, ctype, body, sizeof(body) - 1, 400, why); } END_TEST
#define AS_TEST(name, type, ctype, body, why) BODY_TEST(name, type, ctype, body, why)
#define AS_NAME(name, ...) name,

/* Invalid UTF-8, NUL bytes, JSON syntax. */
#define BYTE_CASES(X)                                                                  \
    X(text_invalid_byte, USER, TEXT, "ab\xff", "UTF-8")                                \
    X(text_overlong, USER, TEXT, "\xc0\xaf", "UTF-8")                                  \
    X(text_overlong_3byte, USER, TEXT, "\xe0\x80\xaf", "UTF-8")                        \
    X(text_surrogate, USER, TEXT, "\xed\xa0\x80", "UTF-8")                             \
    X(text_above_u10ffff, USER, TEXT, "\xf4\x90\x80\x80", "UTF-8")                     \
    X(text_truncated_sequence, USER, TEXT, "ok\xe2\x82", "UTF-8")                      \
    X(text_other_charset_same_rule, USER, "TEXT/PLAIN ; charset=latin1", "caf\xe9", "UTF-8") \
    X(json_user_invalid_utf8, USER, JSON, "\"\xff\"", "not valid JSON")                \
    X(json_user_nul_after_value, USER, JSON, "{\"a\":1}\0{}", "not valid JSON")        \
    X(json_user_escaped_nul, USER, JSON, "\"a\\u0000b\"", "not valid JSON")            \
    X(json_user_lone_surrogate, USER, JSON, "\"\\ud800\"", "not valid JSON")           \
    X(json_user_duplicate_key, USER, JSON, "{\"a\":1,\"a\":2}", "not valid JSON")      \
    X(json_user_number_overflow, USER, JSON, "1e999", "not valid JSON")                \
    X(json_user_empty, USER, JSON, "", "not valid JSON")                               \
    X(connect_invalid_utf8, CONNECT, JSON, "{\"claims\":{\"sub\":[\"\xc3\x28\"]}}", "not valid JSON") \
    X(connect_escaped_nul, CONNECT, JSON, "{\"claims\":{\"sub\":[\"a\\u0000\"]}}", "not valid JSON") \
    X(connect_raw_nul, CONNECT, JSON, "{\"claims\":{}}\0garbage", "not valid JSON")   \
    X(connect_nul_first, CONNECT, JSON, "\0{}", "not valid JSON")                      \
    X(connect_duplicate_key, CONNECT, JSON, "{\"claims\":{},\"claims\":{}}", "not valid JSON") \
    X(connect_big_integer, CONNECT, JSON, "{\"mqtt\":{\"protocolVersion\":99999999999999999999}}", \
      "not valid JSON")                                                                \
    X(connect_real_overflow, CONNECT, JSON, "{\"mqtt\":{\"protocolVersion\":1e999}}", "not valid JSON") \
    X(connect_empty, CONNECT, JSON, "", "empty")                                       \
    X(connect_not_object, CONNECT, JSON, "[]", "not a JSON object")                    \
    X(connect_string_body, CONNECT, TEXT, "\"x\"", "JSON")                \
    X(connected_null, CONNECTED, JSON, "null", "JSON")                    \
    X(connected_garbage, CONNECTED, JSON, "{]", "not valid JSON")                      \
    X(disconnected_number, DISC, JSON, "1", "JSON")                       \
    X(joined_array, JOINED, JSON, "[\"g\"]", "not a JSON object")                      \
    X(left_duplicate_key, LEFT, JSON, "{\"group\":\"a\",\"group\":\"b\"}", "not valid JSON")

/* Wrong JSON types, every known field of every event. */
#define TYPE_CASES(X)                                                                    \
    X(claims_string, CONNECT, JSON, "{\"claims\":\"alice\"}", "\"claims\"")              \
    X(claims_array, CONNECT, JSON, "{\"claims\":[\"alice\"]}", "\"claims\"")             \
    X(claims_value_string, CONNECT, JSON, "{\"claims\":{\"sub\":\"alice\"}}", "\"claims\"") \
    X(claims_value_number, CONNECT, JSON, "{\"claims\":{\"sub\":[1]}}", "\"claims\"")   \
    X(query_number, CONNECT, JSON, "{\"query\":1}", "\"query\"")                         \
    X(query_value_null_item, CONNECT, JSON, "{\"query\":{\"a\":[null]}}", "\"query\"")   \
    X(query_value_object, CONNECT, JSON, "{\"query\":{\"a\":{}}}", "\"query\"")          \
    X(headers_bool, CONNECT, JSON, "{\"headers\":true}", "\"headers\"")                  \
    X(headers_value_nested, CONNECT, JSON, "{\"headers\":{\"h\":[[\"x\"]]}}", "\"headers\"") \
    X(subprotocols_string, CONNECT, JSON, "{\"subprotocols\":\"json\"}", "\"subprotocols\"") \
    X(subprotocols_number_item, CONNECT, JSON, "{\"subprotocols\":[1]}", "\"subprotocols\"") \
    X(subprotocols_object, CONNECT, JSON, "{\"subprotocols\":{}}", "\"subprotocols\"")   \
    X(certs_object, CONNECT, JSON, "{\"clientCertificates\":{}}", "\"clientCertificates\"") \
    X(certs_number_item, CONNECT, JSON, "{\"clientCertificates\":[1]}", "\"clientCertificates\"") \
    X(certs_thumbprint_number, CONNECT, JSON,                                            \
      "{\"clientCertificates\":[{\"thumbprint\":1}]}", "\"clientCertificates\"")         \
    X(certs_content_array, CONNECT, JSON,                                                \
      "{\"clientCertificates\":[{\"content\":[]}]}", "\"clientCertificates\"")           \
    X(mqtt_string, CONNECT, JSON, "{\"mqtt\":\"x\"}", "\"mqtt\"")                        \
    X(mqtt_array, CONNECT, JSON, "{\"mqtt\":[]}", "\"mqtt\"")                            \
    X(mqtt_version_string, CONNECT, JSON, "{\"mqtt\":{\"protocolVersion\":\"4\"}}", "protocolVersion") \
    X(mqtt_version_real, CONNECT, JSON, "{\"mqtt\":{\"protocolVersion\":4.5}}", "protocolVersion") \
    X(mqtt_version_negative, CONNECT, JSON, "{\"mqtt\":{\"protocolVersion\":-1}}", "protocolVersion") \
    X(mqtt_version_256, CONNECT, JSON, "{\"mqtt\":{\"protocolVersion\":256}}", "protocolVersion") \
    X(mqtt_username_number, CONNECT, JSON, "{\"mqtt\":{\"username\":1}}", "mqtt.username") \
    X(mqtt_password_object, CONNECT, JSON, "{\"mqtt\":{\"password\":{}}}", "mqtt.password") \
    X(mqtt_clean_start_string, CONNECT, JSON, "{\"mqtt\":{\"cleanStart\":\"yes\"}}", "cleanStart") \
    X(mqtt_props_object, CONNECT, JSON, "{\"mqtt\":{\"userProperties\":{}}}", "userProperties") \
    X(mqtt_props_number_item, CONNECT, JSON, "{\"mqtt\":{\"userProperties\":[1]}}", "userProperties") \
    X(mqtt_props_name_number, CONNECT, JSON,                                             \
      "{\"mqtt\":{\"userProperties\":[{\"name\":1,\"value\":\"v\"}]}}", "userProperties") \
    X(mqtt_props_value_missing, CONNECT, JSON,                                           \
      "{\"mqtt\":{\"userProperties\":[{\"name\":\"n\"}]}}", "userProperties")            \
    X(reason_number, DISC, JSON, "{\"reason\":1}", "\"reason\"")                         \
    X(reason_array, DISC, JSON, "{\"reason\":[\"x\"]}", "\"reason\"")                    \
    X(reason_object, DISC, JSON, "{\"reason\":{}}", "\"reason\"")                        \
    X(disc_mqtt_string, DISC, JSON, "{\"mqtt\":\"x\"}", "\"mqtt\"")                      \
    X(disc_initiated_string, DISC, JSON, "{\"mqtt\":{\"initiatedByClient\":\"true\"}}",    \
      "initiatedByClient")                                                                 \
    X(disc_packet_number, DISC, JSON, "{\"mqtt\":{\"disconnectPacket\":1}}", "disconnectPacket") \
    X(disc_code_string, DISC, JSON, "{\"mqtt\":{\"disconnectPacket\":{\"code\":\"1\"}}}", "code") \
    X(disc_code_256, DISC, JSON, "{\"mqtt\":{\"disconnectPacket\":{\"code\":256}}}", "code") \
    X(disc_code_negative, DISC, JSON, "{\"mqtt\":{\"disconnectPacket\":{\"code\":-1}}}", "code") \
    X(disc_props_object, DISC, JSON,                                                     \
      "{\"mqtt\":{\"disconnectPacket\":{\"userProperties\":{}}}}", "userProperties")     \
    X(disc_props_value_number, DISC, JSON,                                               \
      "{\"mqtt\":{\"disconnectPacket\":{\"userProperties\":[{\"name\":\"n\",\"value\":2}]}}}", \
      "userProperties")                                                                  \
    X(joined_group_missing, JOINED, JSON, "{}", "\"group\"")                             \
    X(joined_group_null, JOINED, JSON, "{\"group\":null}", "\"group\"")                  \
    X(joined_group_number, JOINED, JSON, "{\"group\":1}", "\"group\"")                   \
    X(joined_group_array, JOINED, JSON, "{\"group\":[\"g\"]}", "\"group\"")              \
    X(left_group_object, LEFT, JSON, "{\"group\":{}}", "\"group\"")                      \
    X(left_group_bool, LEFT, JSON, "{\"group\":true}", "\"group\"")                      \
    X(left_group_missing, LEFT, JSON, "{\"reason\":\"x\"}", "\"group\"")

BYTE_CASES(AS_TEST)
TYPE_CASES(AS_TEST)

/* ---- deep nesting: jansson's depth limit, never a stack overflow ---- */

static void nested(const char *type, const char *ctype, const char *open, size_t n)
{
    size_t w = strlen(open);
    char *b = malloc(n * w + 1);

    ck_assert_ptr_nonnull(b);
    for (size_t i = 0; i < n; i++)
        memcpy(b + i * w, open, w);
    b[n * w] = '\0';
    bad_body(type, ctype, b, n * w, 400, "not valid JSON");
    free(b);
}

START_TEST(connect_100k_brackets) { nested(CONNECT, JSON, "[", 100000); } END_TEST
START_TEST(connect_50k_objects) { nested(CONNECT, JSON, "{\"a\":", 50000); } END_TEST
START_TEST(user_json_100k_brackets) { nested(USER, JSON, "[", 100000); } END_TEST
START_TEST(disconnected_100k_brackets) { nested(DISC, JSON, "[", 100000); } END_TEST
START_TEST(claims_deep_inside) { nested(CONNECT, JSON, "{\"claims\":{\"a\":[", 15000); } END_TEST

/* ---- huge arrays and objects within the cap: answered ---- */

START_TEST(connect_10k_claims)
{
    char *b = hu_cat(calloc(1, 1), "{\"claims\":{"), item[40];
    tu_http_result r;

    for (int i = 0; i < 10000; i++) {
        snprintf(item, sizeof item, "%s\"c%d\":[\"v\"]", i ? "," : "", i);
        b = hu_cat(b, item);
    }
    b = hu_cat(b, ",\"sub\":[\"alice\"]}}");
    ck_assert_int_eq(accepted(&r, CONNECT, JSON, NULL, b, strlen(b)), 200);
    ck_assert_str_eq(r.body, "{\"userId\":\"alice\"}");
    free(b);
    hu_still_serving();
}
END_TEST

START_TEST(connect_30k_query_values)
{
    char *b = hu_cat(calloc(1, 1), "{\"subprotocols\":[");

    for (int i = 0; i < 20000; i++)
        b = hu_cat(b, i ? ",\"p\"" : "\"p\"");
    b = hu_cat(b, "],\"query\":{\"group\":[");
    for (int i = 0; i < 30000; i++)
        b = hu_cat(b, i ? ",\"g\"" : "\"g\"");
    b = hu_cat(b, "]}}");
    tu_http_result r;
    ck_assert_int_eq(accepted(&r, CONNECT, JSON, NULL, b, strlen(b)), 204);
    free(b);
    hu_still_serving();
}
END_TEST

START_TEST(user_json_50k_numbers)
{
    char *b = hu_cat(calloc(1, 1), "[0");
    tu_http_result r;

    for (int i = 1; i < 50000; i++)
        b = hu_cat(b, ",1");
    b = hu_cat(b, "]");
    accepted(&r, USER, JSON, NULL, b, strlen(b));
    ck_assert_uint_eq(r.len, sizeof r.body - 1 < strlen(b) ? sizeof r.body - 1 : strlen(b));
    free(b);
    hu_still_serving();
}
END_TEST

START_TEST(binary_exactly_at_cap)
{
    char *b = hu_fill('\0', HU_CAP);
    tu_http_result r;

    accepted(&r, USER, "application/octet-stream", NULL, b, HU_CAP);
    free(b);
    b = hu_fill('x', HU_CAP + 1);
    ck_assert_int_eq(hu_post(&r, "chat", USER, TEXT, NULL, b, HU_CAP + 1, 1), 413);
    free(b);
    hu_still_serving();
}
END_TEST

/* ---- signatures (the signed hub): 401, no callback ----
 * Header values stay under 10 KB: the default connection memory (16 KiB)
 * holds the whole header block; larger ones get 431 (check_hostile.c). */

static void sig_case(const char *sig, const char *conn, long status, const char *why)
{
    char t[64], *s = sig ? hu_cat(hu_cat(calloc(1, 1), "ce-signature: "), sig) : NULL;
    const char *h[] = {"ce-awpsversion: 1.0", "ce-type: " USER, "ce-hub: signed",
                       "WebHook-Request-Origin: x.webpubsub.azure.com", "Content-Type: text/plain",
                       t, s, NULL};
    tu_http_result r;

    snprintf(t, sizeof t, "ce-id: 1");
    if (conn)
        snprintf(t, sizeof t, "ce-connectionId: %s", conn);
    ck_assert_int_eq(tu_http(&r, hu_port, "POST", "/signed/", h, "x", 1, 0), status);
    ck_assert_msg(strstr(r.body, why), "reason '%s' lacks '%s'", r.body, why);
    free(s);
    hu_still_serving();
}

static char *valid_sig(const char *conn)
{
    char hex[AWPS__SIG_HEX_LEN + 1];
    awps__sig_compute(HU_KEY, conn, hex);
    return hu_cat(hu_cat(calloc(1, 1), "sha256="), hex);
}

START_TEST(sig_missing) { sig_case(NULL, "conn1", 401, "missing"); } END_TEST
START_TEST(sig_empty) { sig_case("", "conn1", 401, "signature"); } END_TEST
START_TEST(sig_no_connection_id)
{
    char *v = valid_sig("conn1");
    sig_case(v, NULL, 401, "ce-connectionId");
    free(v);
}
END_TEST
START_TEST(sig_non_hex)
{
    char *g = hu_fill('g', 64), *v = hu_cat(hu_cat(calloc(1, 1), "sha256="), g);
    sig_case(v, "conn1", 401, "matches no access key");
    free(v);
    free(g);
}
END_TEST
START_TEST(sig_other_algorithm)
{
    char *v = valid_sig("conn1");
    memcpy(v, "sha512", 6);
    sig_case(v, "conn1", 401, "matches no access key");
    free(v);
}
END_TEST
START_TEST(sig_truncated)
{
    char *v = valid_sig("conn1");
    v[strlen(v) - 1] = '\0';
    sig_case(v, "conn1", 401, "matches no access key");
    free(v);
}
END_TEST
START_TEST(sig_with_suffix)
{
    char *v = hu_cat(valid_sig("conn1"), "0");
    sig_case(v, "conn1", 401, "matches no access key");
    free(v);
}
END_TEST
START_TEST(sig_of_other_connection)
{
    char *v = valid_sig("conn2");
    sig_case(v, "conn1", 401, "matches no access key");
    free(v);
}
END_TEST
START_TEST(sig_8k_commas)
{
    char *v = hu_fill(',', 8000);
    sig_case(v, "conn1", 401, "matches no access key");
    free(v);
}
END_TEST
START_TEST(sig_10k_long_entry)
{
    char *h = hu_fill('a', 10000), *v = hu_cat(hu_cat(calloc(1, 1), "sha256="), h);
    sig_case(v, "conn1", 401, "matches no access key");
    free(v);
    free(h);
}
END_TEST
START_TEST(sig_100_wrong_entries)
{
    char *v = calloc(1, 1), *w = valid_sig("other");
    for (int i = 0; i < 100; i++)
        v = hu_cat(hu_cat(v, i ? " , " : ""), w);
    sig_case(v, "conn1", 401, "matches no access key");
    free(v);
    free(w);
}
END_TEST
/* A valid entry among garbage entries is accepted. */
START_TEST(sig_valid_among_garbage)
{
    char *good = valid_sig("conn1");
    char *v = hu_cat(hu_cat(hu_cat(calloc(1, 1), ",, sha256=zz ,\t"), good), " ,sha256=");
    const char *h[] = {"ce-awpsversion: 1.0", "ce-type: " USER, "ce-hub: signed",
                       "ce-connectionId: conn1", "WebHook-Request-Origin: x",
                       "Content-Type: text/plain", NULL, NULL};
    char *sh = hu_cat(hu_cat(calloc(1, 1), "ce-signature: "), v);
    tu_http_result r;

    h[6] = sh;
    ck_assert_int_eq(tu_http(&r, hu_port, "POST", "/signed/", h, "x", 1, 0), 200);
    ck_assert_int_eq(hu_calls(), 1);
    hu_reset_calls();
    free(sh);
    free(v);
    free(good);
    hu_still_serving();
}
END_TEST

/* ---- preflight allow-list (the locked hub) and routing ---- */

static void preflight(const char *origin_header, const char *why)
{
    const char *h[] = {origin_header, NULL};
    tu_http_result r;

    ck_assert_int_eq(tu_http(&r, hu_port, "OPTIONS", "/locked/", h, NULL, 0, 0), 400);
    ck_assert_msg(strstr(r.body, why), "reason '%s'", r.body);
    ck_assert_ptr_null(strcasestr(r.headers, "WebHook-Allowed-Origin"));
    hu_still_serving();
}

#define ORIGIN "WebHook-Request-Origin: "
#define NOT_ALLOWED "not an allowed"
START_TEST(origin_suffix)
{
    preflight(ORIGIN "allowed.webpubsub.azure.com.evil.example", NOT_ALLOWED);
}
END_TEST
START_TEST(origin_prefix) { preflight(ORIGIN "evilallowed.webpubsub.azure.com", NOT_ALLOWED); }
END_TEST
START_TEST(origin_port) { preflight(ORIGIN "allowed.webpubsub.azure.com:444", NOT_ALLOWED); }
END_TEST
START_TEST(origin_missing) { preflight("X-Other: 1", "missing"); } END_TEST
START_TEST(origin_8k_commas)
{
    char *c = hu_fill(',', 8000), *h = hu_cat(hu_cat(calloc(1, 1), ORIGIN), c);
    preflight(h, NOT_ALLOWED);
    free(h);
    free(c);
}
END_TEST

static void declined(const char *method, const char *type, const char *hub)
{
    char t[128], hh[64];
    const char *h[] = {"ce-awpsversion: 1.0", t, hh, "ce-connectionId: c",
                       "WebHook-Request-Origin: x", NULL};
    tu_http_result r;

    snprintf(t, sizeof t, "ce-type: %s", type);
    snprintf(hh, sizeof hh, "ce-hub: %s", hub);
    ck_assert_int_eq(tu_http(&r, hu_port, method, "/api/webpubsub/hubs/chat/", h, "{}", 2, 0), 404);
    ck_assert_ptr_nonnull(strstr(r.body, "not found"));
    hu_still_serving();
}

START_TEST(route_other_hub) { declined("POST", CONNECT, "other"); } END_TEST
START_TEST(route_unknown_system_event)
{
    declined("POST", "azure.webpubsub.sys.reboot", "chat");
}
END_TEST
START_TEST(route_not_azure_type) { declined("POST", "com.example.connect", "chat"); } END_TEST
START_TEST(route_put) { declined("PUT", CONNECT, "chat"); } END_TEST

/* ---- CR/LF in values echoed into the answer ---- */

#define INJECT "x\\r\\nX-Injected: 1\\r\\n\\r\\n<html>"
#define INJECTED "x\r\nX-Injected: 1\r\n\r\n<html>"

/* The connect callback copies query "state" into the connection state: it
 * travels base64-encoded in ce-connectionState, never as raw header text. */
START_TEST(state_from_query_with_crlf)
{
    static const char body[] = "{\"query\":{\"state\":[\"" INJECT "\"]}}";
    tu_http_result r;
    char *line, *end;

    ck_assert_int_eq(accepted(&r, CONNECT, JSON, NULL, body, sizeof body - 1), 204);
    ck_assert_ptr_null(strcasestr(r.headers, "X-Injected"));
    ck_assert_ptr_null(strstr(r.headers, "<html>"));
    ck_assert_ptr_nonnull(line = strcasestr(r.headers, "ce-connectionState: "));
    line += 20;
    ck_assert_ptr_nonnull(end = strstr(line, "\r\n"));
    *end = '\0';
    json_t *st = awps__state_decode(line);
    ck_assert_str_eq(json_string_value(json_object_get(st, "plan")), INJECTED);
    json_decref(st);
    hu_still_serving();
}
END_TEST

START_TEST(user_id_from_claim_with_crlf)
{
    static const char body[] = "{\"claims\":{\"sub\":[\"" INJECT "\"]}}";
    tu_http_result r;

    ck_assert_int_eq(accepted(&r, CONNECT, JSON, NULL, body, sizeof body - 1), 200);
    ck_assert_ptr_null(strcasestr(r.headers, "X-Injected"));
    json_t *o = json_loads(r.body, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(o, "userId")), INJECTED);
    json_decref(o);
    hu_still_serving();
}
END_TEST

START_TEST(fail_detail_with_crlf)
{
    static const char body[] = "{\"query\":{\"reject\":[\"" INJECT "\"]}}";
    tu_http_result r;

    ck_assert_int_eq(hu_post(&r, "chat", CONNECT, JSON, NULL, body, sizeof body - 1, 0), 401);
    ck_assert_str_eq(r.body, INJECTED);
    ck_assert_ptr_null(strcasestr(r.headers, "X-Injected"));
    ck_assert_int_eq(hu_calls(), 1);
    hu_reset_calls();
    hu_still_serving();
}
END_TEST

/* ---- ce-connectionState values: ignored (empty state), never a crash ---- */

static void state_ignored(const char *header_value)
{
    char *h = hu_cat(hu_cat(calloc(1, 1), "ce-connectionState: "), header_value);
    const char *extra[] = {h, NULL};
    tu_http_result r;

    accepted(&r, "azure.webpubsub.user.states", TEXT, extra, "x", 1);
    ck_assert_str_eq(r.body, "{}");
    free(h);
    hu_still_serving();
}

static void state_b64(const char *json, size_t len)
{
    char *b = hu_b64(json, len);
    state_ignored(b);
    free(b);
}

START_TEST(state_not_base64) { state_ignored("!!!*&^%$#@"); } END_TEST
START_TEST(state_not_object) { state_b64("[1,2]", 5); } END_TEST
START_TEST(state_invalid_json) { state_b64("{\"a\":", 5); } END_TEST
START_TEST(state_invalid_utf8) { state_b64("{\"a\":\"\xff\"}", 9); } END_TEST
START_TEST(state_escaped_nul) { state_b64("{\"a\":\"\\u0000\"}", 14); } END_TEST
START_TEST(state_duplicate_keys) { state_b64("{\"a\":1,\"a\":2}", 13); } END_TEST
START_TEST(state_8k_garbage)
{
    char *g = hu_fill('Q', 8 * 1024);
    g[5] = '!';
    state_ignored(g);
    free(g);
}
END_TEST
START_TEST(state_deep_nesting)
{
    char *d = hu_fill('[', 6000);  /* 8 KB of base64, depth 6000 */
    state_b64(d, 6000);
    free(d);
}
END_TEST


int main(void)
{
    const TTest *bytes[] = {BYTE_CASES(AS_NAME) NULL};
    const TTest *types[] = {TYPE_CASES(AS_NAME) NULL};
    const TTest *sizes[] = {
        connect_100k_brackets, connect_50k_objects, user_json_100k_brackets,
        disconnected_100k_brackets, claims_deep_inside, connect_10k_claims,
        connect_30k_query_values, user_json_50k_numbers, binary_exactly_at_cap, NULL};
    const TTest *auth[] = {
        sig_missing, sig_empty, sig_no_connection_id, sig_non_hex, sig_other_algorithm,
        sig_truncated, sig_with_suffix, sig_of_other_connection, sig_8k_commas,
        sig_10k_long_entry, sig_100_wrong_entries, sig_valid_among_garbage, origin_suffix,
        origin_prefix, origin_port, origin_missing, origin_8k_commas, route_other_hub,
        route_unknown_system_event, route_not_azure_type, route_put, NULL};
    const TTest *echoes[] = {
        state_from_query_with_crlf, user_id_from_claim_with_crlf, fail_detail_with_crlf,
        state_not_base64, state_not_object, state_invalid_json, state_invalid_utf8,
        state_escaped_nul, state_duplicate_keys, state_8k_garbage, state_deep_nesting, NULL};
    const TTest **lists[5] = {bytes, types, sizes, auth, echoes};
    static const char *names[5] = {"bytes", "types", "sizes", "auth", "echoes"};

    curl_global_init(CURL_GLOBAL_DEFAULT);
    Suite *s = suite_create("hostile2");
    for (int i = 0; i < 5; i++) {
        TCase *tc = tcase_create(names[i]);
        tcase_set_timeout(tc, 60);
        tcase_add_checked_fixture(tc, hu_setup, hu_teardown);
        for (const TTest **t = lists[i]; *t; t++)
            tcase_add_test(tc, *t);
        suite_add_tcase(s, tc);
    }
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed ? 1 : 0;
}
