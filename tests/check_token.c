/* Client access tokens and REST bearer tokens against every §9.3 vector of
 * the spec (SDK 1.2.0 with Date.now() = 1700000000000).
 *
 * libjwt writes the payload members sorted by name, the SDK in insertion
 * order, so for each vector the test checks:
 *   - the SDK's token itself: its signature (OpenSSL HMAC, computed here) and
 *     that its payload part decodes to the spec's payload byte for byte;
 *   - ours: header part byte-exact, the decoded payload json_equal() to the
 *     SDK's, the payload bytes equal to the spec's payload with sorted members
 *     (written out below, so escaping is checked byte for byte), and the whole
 *     token equal to header.payload.HMAC computed independently here;
 *   - baseUrl and url byte-exact. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "internal.h"

#define KEY "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFG="
#define CS "Endpoint=https://contoso.webpubsub.azure.com;AccessKey=" KEY ";Version=1.0;"
#define HEADER "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
#define WSS_HUB1 "wss://contoso.webpubsub.azure.com/client/hubs/hub1"

static int64_t the_clock(void *data)
{
    return *(const int64_t *)data;
}

static int64_t fixed_now = 1700000000000;

static awps_service *service(const char *cs, const char *hub)
{
    awps_service_error err;
    awps_service *s = awps_service_new(cs, hub, &err);
    ck_assert_msg(s != NULL, "%s", err.message);
    awps_service_set_clock(s, the_clock, &fixed_now);
    return s;
}

/* ---- helpers: base64url, HMAC, token parts ---- */

static char *b64url(const void *data, size_t len)
{
    char *s = awps__b64_encode(data, len);
    ck_assert_ptr_nonnull(s);
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '=')
            continue;
        *o++ = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    }
    *o = '\0';
    return s;
}

/* header.payload.signature for the payload text, signed here with OpenSSL. */
static char *expected_token(const char *key, const char *payload)
{
    unsigned char mac[32];
    unsigned mac_len = 0;
    char *p64 = b64url(payload, strlen(payload));
    size_t n = strlen(HEADER) + 1 + strlen(p64);
    char *signing = malloc(n + 1);
    ck_assert_ptr_nonnull(signing);
    strcpy(signing, HEADER ".");
    strcat(signing, p64);
    ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key, (int)strlen(key), (unsigned char *)signing, n,
                               mac, &mac_len));
    ck_assert_uint_eq(mac_len, 32);
    char *s64 = b64url(mac, mac_len);
    char *out = malloc(n + 1 + strlen(s64) + 1);
    ck_assert_ptr_nonnull(out);
    strcpy(out, signing);
    strcat(out, ".");
    strcat(out, s64);
    free(p64);
    free(s64);
    free(signing);
    return out;
}

/* The decoded payload part of a token (new string). */
static char *payload_of(const char *token)
{
    const char *a = strchr(token, '.');
    ck_assert_ptr_nonnull(a);
    const char *b = strchr(a + 1, '.');
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_null(strchr(b + 1, '.'));
    char *part = awps__strndup(a + 1, (size_t)(b - a - 1));
    size_t len;
    unsigned char *json = awps__b64_decode(part, &len);
    ck_assert_ptr_nonnull(json);
    ck_assert_uint_eq(strlen((char *)json), len);
    free(part);
    return (char *)json;
}

/* Signature of `token` valid for `key` (computed here). */
static void assert_signed(const char *token, const char *key)
{
    char *payload = payload_of(token);
    char *again = expected_token(key, payload);
    ck_assert_str_eq(token, again);
    free(again);
    free(payload);
}

static void assert_json_equal(const char *a, const char *b)
{
    json_error_t e;
    json_t *ja = json_loads(a, 0, &e), *jb = json_loads(b, 0, &e);
    ck_assert_ptr_nonnull(ja);
    ck_assert_ptr_nonnull(jb);
    ck_assert_msg(json_equal(ja, jb), "%s\n   !=\n%s", a, b);
    json_decref(ja);
    json_decref(jb);
}

/* Everything about one token we made: `sdk_payload` and `sdk_token` as the
 * spec gives them, `sorted` the same payload with members sorted by name. */
static void assert_token(const char *token, const char *key, const char *sdk_payload,
                         const char *sdk_token, const char *sorted)
{
    /* the spec's own vector is consistent */
    if (sdk_token) {
        assert_signed(sdk_token, key);
        char *sdk = payload_of(sdk_token);
        ck_assert_str_eq(sdk, sdk_payload);
        free(sdk);
    }
    /* ours */
    ck_assert_msg(strncmp(token, HEADER ".", strlen(HEADER) + 1) == 0, "header of %s", token);
    char *ours = payload_of(token);
    assert_json_equal(ours, sdk_payload);
    ck_assert_str_eq(ours, sorted);
    free(ours);
    char *expected = expected_token(key, sorted);
    ck_assert_str_eq(token, expected);
    free(expected);
}

/* Mint a token with `o` and check it and its URLs. */
static void check_client(awps_service *s, const awps_token_options *o, const char *key,
                         const char *sdk_payload, const char *sdk_token, const char *sorted,
                         const char *base_url)
{
    awps_client_token t;
    awps_service_error err;

    memset(&t, 0x55, sizeof t);
    int rc = awps_service_client_token(s, o, &t, &err);
    ck_assert_msg(rc == AWPS_OK, "rc %d: %s", rc, err.message);
    ck_assert_int_eq(err.code, AWPS_OK);
    assert_token(t.token, key, sdk_payload, sdk_token, sorted);
    ck_assert_str_eq(t.base_url, base_url);
    size_t n = strlen(base_url);
    ck_assert(strncmp(t.url, base_url, n) == 0);
    ck_assert(strncmp(t.url + n, "?access_token=", 14) == 0);
    ck_assert_str_eq(t.url + n + 14, t.token);
    awps_client_token_clear(&t);
    ck_assert_ptr_null(t.token);
    ck_assert_ptr_null(t.base_url);
    ck_assert_ptr_null(t.url);
}

/* ---- §9.3 client access tokens ---- */

#define P_NONE "{\"iat\":1700000000,\"exp\":1700003600,\"aud\":\"https://contoso.webpubsub.azure.com/client/hubs/hub1\"}"
#define S_NONE "{\"aud\":\"https://contoso.webpubsub.azure.com/client/hubs/hub1\",\"exp\":1700003600,\"iat\":1700000000}"
#define T_NONE HEADER ".eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vY2xpZW50L2h1YnMvaHViMSJ9.rACtoQ5SF9UYjpzGDfaYtpdhkVzYZV7dV6IIbdGqhPQ"

START_TEST(vector_no_options)
{
    awps_service *s = service(CS, "hub1");
    awps_token_options o;

    check_client(s, NULL, KEY, P_NONE, T_NONE, S_NONE, WSS_HUB1);
    memset(&o, 0, sizeof o);
    check_client(s, &o, KEY, P_NONE, T_NONE, S_NONE, WSS_HUB1);
    o.client_type = AWPS_CLIENT_DEFAULT;   /* clientProtocol: "default" */
    check_client(s, &o, KEY, P_NONE, T_NONE, S_NONE, WSS_HUB1);
    o.user_id = "";                        /* userId: "" gives no sub */
    check_client(s, &o, KEY, P_NONE, T_NONE, S_NONE, WSS_HUB1);
    awps_service_free(s);
}
END_TEST

START_TEST(vector_user_roles_groups)
{
    static const char *const roles[] = {"webpubsub.joinLeaveGroup", "webpubsub.sendToGroup.group1"};
    static const char *const groups[] = {"group1", "group2"};
    awps_service *s = service(CS, "hub1");
    awps_token_options o = {.user_id = "user1", .roles = roles, .n_roles = 2,
                            .groups = groups, .n_groups = 2};

    check_client(s, &o, KEY,
                 "{\"role\":[\"webpubsub.joinLeaveGroup\",\"webpubsub.sendToGroup.group1\"],"
                 "\"webpubsub.group\":[\"group1\",\"group2\"],\"iat\":1700000000,\"exp\":1700003600,"
                 "\"aud\":\"https://contoso.webpubsub.azure.com/client/hubs/hub1\",\"sub\":\"user1\"}",
                 HEADER ".eyJyb2xlIjpbIndlYnB1YnN1Yi5qb2luTGVhdmVHcm91cCIsIndlYnB1YnN1Yi5zZW5kVG9Hcm91cC5ncm91cDEiXSwid2VicHVic3ViLmdyb3VwIjpbImdyb3VwMSIsImdyb3VwMiJdLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vY2xpZW50L2h1YnMvaHViMSIsInN1YiI6InVzZXIxIn0.V67Ct6nVzRPbtL16BT45GektdwWUZYpl5b5D4CNUrdA",
                 "{\"aud\":\"https://contoso.webpubsub.azure.com/client/hubs/hub1\",\"exp\":1700003600,"
                 "\"iat\":1700000000,\"role\":[\"webpubsub.joinLeaveGroup\","
                 "\"webpubsub.sendToGroup.group1\"],\"sub\":\"user1\","
                 "\"webpubsub.group\":[\"group1\",\"group2\"]}",
                 WSS_HUB1);
    awps_service_free(s);
}
END_TEST

START_TEST(vector_expires_5_minutes)
{
    awps_service *s = service(CS, "hub1");
    awps_token_options o = {.user_id = "user1", .expires_set = 1, .expires_minutes = 5};

    check_client(s, &o, KEY,
                 "{\"iat\":1700000000,\"exp\":1700000300,\"aud\":\"https://contoso.webpubsub.azure.com/client/hubs/hub1\",\"sub\":\"user1\"}",
                 HEADER ".eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMDMwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vY2xpZW50L2h1YnMvaHViMSIsInN1YiI6InVzZXIxIn0.ie6s3UXU4ZQK8WRv11NT56phvISB8m9baket2P39wj0",
                 "{\"aud\":\"https://contoso.webpubsub.azure.com/client/hubs/hub1\",\"exp\":1700000300,\"iat\":1700000000,\"sub\":\"user1\"}",
                 WSS_HUB1);
    awps_service_free(s);
}
END_TEST

START_TEST(vector_mqtt)
{
    awps_service *s = service(CS, "hub1");
    awps_token_options o = {.user_id = "user1", .client_type = AWPS_CLIENT_MQTT};

    check_client(s, &o, KEY,
                 "{\"iat\":1700000000,\"exp\":1700003600,\"aud\":\"https://contoso.webpubsub.azure.com/clients/mqtt/hubs/hub1\",\"sub\":\"user1\"}",
                 HEADER ".eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vY2xpZW50cy9tcXR0L2h1YnMvaHViMSIsInN1YiI6InVzZXIxIn0.5_hJy0CMsQPhNQQyebY18CQ0_wzSz0ZUUiXKE_rD9VY",
                 "{\"aud\":\"https://contoso.webpubsub.azure.com/clients/mqtt/hubs/hub1\",\"exp\":1700003600,\"iat\":1700000000,\"sub\":\"user1\"}",
                 "wss://contoso.webpubsub.azure.com/clients/mqtt/hubs/hub1");
    awps_service_free(s);
}
END_TEST

START_TEST(vector_socketio)
{
    awps_service *s = service(CS, "hub1");
    awps_token_options o = {.user_id = "user1", .client_type = AWPS_CLIENT_SOCKETIO};

    check_client(s, &o, KEY,
                 "{\"iat\":1700000000,\"exp\":1700003600,\"aud\":\"https://contoso.webpubsub.azure.com/clients/socketio/hubs/hub1\",\"sub\":\"user1\"}",
                 HEADER ".eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vY2xpZW50cy9zb2NrZXRpby9odWJzL2h1YjEiLCJzdWIiOiJ1c2VyMSJ9.s8TsxNe7Wvw7ASj5SqLI9J_-oZqbwMmoOZXZscHQOVM",
                 "{\"aud\":\"https://contoso.webpubsub.azure.com/clients/socketio/hubs/hub1\",\"exp\":1700003600,\"iat\":1700000000,\"sub\":\"user1\"}",
                 "wss://contoso.webpubsub.azure.com/clients/socketio/hubs/hub1");
    awps_service_free(s);
}
END_TEST

START_TEST(vector_empty_roles_groups)
{
    static const char *const none[] = {NULL};
    awps_service *s = service(CS, "hub1");
    awps_token_options o = {.roles = none, .n_roles = 0, .groups = none, .n_groups = 0};

    check_client(s, &o, KEY,
                 "{\"role\":[],\"webpubsub.group\":[],\"iat\":1700000000,\"exp\":1700003600,\"aud\":\"https://contoso.webpubsub.azure.com/client/hubs/hub1\"}",
                 HEADER ".eyJyb2xlIjpbXSwid2VicHVic3ViLmdyb3VwIjpbXSwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDM2MDAsImF1ZCI6Imh0dHBzOi8vY29udG9zby53ZWJwdWJzdWIuYXp1cmUuY29tL2NsaWVudC9odWJzL2h1YjEifQ.Qlc-FyZ5TliIgphhKjqN0vhOjT6FGNON1lTjJqtlrAM",
                 "{\"aud\":\"https://contoso.webpubsub.azure.com/client/hubs/hub1\",\"exp\":1700003600,\"iat\":1700000000,\"role\":[],\"webpubsub.group\":[]}",
                 WSS_HUB1);
    awps_service_free(s);
}
END_TEST

START_TEST(vector_unicode_user_and_escapes)
{
    static const char *const groups[] = {"g'1", "g 2"};
    awps_service *s = service(CS, "chat");
    awps_token_options o = {.user_id = "用户\"x\"/é", .groups = groups, .n_groups = 2};

    check_client(s, &o, KEY,
                 "{\"webpubsub.group\":[\"g'1\",\"g 2\"],\"iat\":1700000000,\"exp\":1700003600,"
                 "\"aud\":\"https://contoso.webpubsub.azure.com/client/hubs/chat\","
                 "\"sub\":\"用户\\\"x\\\"/é\"}",
                 HEADER ".eyJ3ZWJwdWJzdWIuZ3JvdXAiOlsiZycxIiwiZyAyIl0sImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAzNjAwLCJhdWQiOiJodHRwczovL2NvbnRvc28ud2VicHVic3ViLmF6dXJlLmNvbS9jbGllbnQvaHVicy9jaGF0Iiwic3ViIjoi55So5oi3XCJ4XCIvw6kifQ.68ecUhnfusmpon8GjUa3IUihYgAsh0H6wx2hRMiFhns",
                 "{\"aud\":\"https://contoso.webpubsub.azure.com/client/hubs/chat\",\"exp\":1700003600,"
                 "\"iat\":1700000000,\"sub\":\"用户\\\"x\\\"/é\",\"webpubsub.group\":[\"g'1\",\"g 2\"]}",
                 "wss://contoso.webpubsub.azure.com/client/hubs/chat");
    awps_service_free(s);
}
END_TEST

START_TEST(vector_localhost_port)
{
    awps_service *s = service("Endpoint=http://localhost;AccessKey=ABC;Port=8080", "chat");
    awps_token_options o = {.user_id = "u"};

    check_client(s, &o, "ABC",
                 "{\"iat\":1700000000,\"exp\":1700003600,\"aud\":\"http://localhost:8080/client/hubs/chat\",\"sub\":\"u\"}",
                 HEADER ".eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cDovL2xvY2FsaG9zdDo4MDgwL2NsaWVudC9odWJzL2NoYXQiLCJzdWIiOiJ1In0.7qUQrATPC5gXDCAQnd03gvYJpg4staI2D3RUxJlj5CI",
                 "{\"aud\":\"http://localhost:8080/client/hubs/chat\",\"exp\":1700003600,\"iat\":1700000000,\"sub\":\"u\"}",
                 "ws://localhost:8080/client/hubs/chat");
    awps_service_free(s);
}
END_TEST

START_TEST(vector_key_credential)
{
    awps_service_error err;
    awps_service *s = awps_service_new_with_key("https://contoso.webpubsub.azure.com", "ABC",
                                                "hub1", &err);
    ck_assert_msg(s != NULL, "%s", err.message);
    awps_service_set_clock(s, the_clock, &fixed_now);

    check_client(s, NULL, "ABC", P_NONE,
                 HEADER ".eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vY2xpZW50L2h1YnMvaHViMSJ9.WZ5Hj2KIqCtcxBeM6ungiiNW5db0L_KN7LtnUqtwh0Y",
                 S_NONE, WSS_HUB1);
    awps_service_free(s);
}
END_TEST

START_TEST(vector_endpoint_prefix)
{
    awps_service *s = service("Endpoint=http://localhost:8080/prefix;AccessKey=ABC", "chat");

    check_client(s, NULL, "ABC",
                 "{\"iat\":1700000000,\"exp\":1700003600,\"aud\":\"http://localhost:8080/prefix/client/hubs/chat\"}",
                 HEADER ".eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cDovL2xvY2FsaG9zdDo4MDgwL3ByZWZpeC9jbGllbnQvaHVicy9jaGF0In0.hkRkVF6zBJTG2U3_P0Z9L1X31j4OhZQQqrMs62LPhEc",
                 "{\"aud\":\"http://localhost:8080/prefix/client/hubs/chat\",\"exp\":1700003600,\"iat\":1700000000}",
                 "ws://localhost:8080/prefix/client/hubs/chat");
    awps_service_free(s);
}
END_TEST

/* exp for expirationTimeInMinutes (iat 1700000000) */
static const struct {
    double minutes;
    long long exp;
} expiries[] = {
    {0, 1700000000}, {1.5, 1700000090}, {-5, 1699999700}, {100000, 1706000000},
    {5, 1700000300}, {0.01, 1700000000}, {0.02, 1700000001}, {1e-9, 1700000000},
    {-0.001, 1699999999},
};

START_TEST(vector_expiry_list)
{
    awps_service *s = service(CS, "hub1");
    awps_token_options o = {.expires_set = 1, .expires_minutes = expiries[_i].minutes};
    awps_client_token t;
    awps_service_error err;

    ck_assert_int_eq(awps_service_client_token(s, &o, &t, &err), AWPS_OK);
    char *p = payload_of(t.token);
    json_t *j = json_loads(p, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "iat")), 1700000000);
    ck_assert_msg(json_integer_value(json_object_get(j, "exp")) == expiries[_i].exp,
                  "%g minutes: exp %lld", expiries[_i].minutes,
                  (long long)json_integer_value(json_object_get(j, "exp")));
    assert_signed(t.token, KEY);
    json_decref(j);
    free(p);
    awps_client_token_clear(&t);
    awps_service_free(s);
}
END_TEST

START_TEST(expiry_out_of_range)
{
    awps_service *s = service(CS, "hub1");
    awps_token_options o = {.expires_set = 1};
    awps_client_token t;
    awps_service_error err;
    const double bad[] = {NAN, INFINITY, -INFINITY, 1e15, -1e15};

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        o.expires_minutes = bad[i];
        ck_assert_int_eq(awps_service_client_token(s, &o, &t, &err), AWPS_E_INVALID);
        ck_assert_ptr_null(t.token);
        ck_assert_int_eq(err.code, AWPS_E_INVALID);
    }
    o.expires_minutes = 1e11;  /* far, but a safe integer */
    ck_assert_int_eq(awps_service_client_token(s, &o, &t, &err), AWPS_OK);
    awps_client_token_clear(&t);
    awps_service_free(s);
}
END_TEST

/* ---- §9.3 REST bearer tokens ---- */

static void check_rest(const char *cs, const char *key, const char *url, const char *sdk_payload,
                       const char *sdk_token, const char *sorted)
{
    awps_service *s = service(cs, "hub1");
    char *token = awps__jwt_for_url(s, url);
    ck_assert_ptr_nonnull(token);
    assert_token(token, key, sdk_payload, sdk_token, sorted);
    free(token);
    awps_service_free(s);
}

START_TEST(rest_send_to_all)
{
    check_rest(CS, KEY, "https://contoso.webpubsub.azure.com/api/hubs/hub1/:send?api-version=2024-12-01",
               "{\"iat\":1700000000,\"exp\":1700003600,\"aud\":\"https://contoso.webpubsub.azure.com/api/hubs/hub1/:send?api-version=2024-12-01\"}",
               HEADER ".eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS86c2VuZD9hcGktdmVyc2lvbj0yMDI0LTEyLTAxIn0.bmP-il09GYEI0hOgOXhhiyiA_43QmZSCeeGp3_e1hK8",
               "{\"aud\":\"https://contoso.webpubsub.azure.com/api/hubs/hub1/:send?api-version=2024-12-01\",\"exp\":1700003600,\"iat\":1700000000}");
}
END_TEST

START_TEST(rest_connection_exists)
{
    check_rest(CS, KEY, "https://contoso.webpubsub.azure.com/api/hubs/hub1/connections/conn1?api-version=2024-12-01",
               "{\"iat\":1700000000,\"exp\":1700003600,\"aud\":\"https://contoso.webpubsub.azure.com/api/hubs/hub1/connections/conn1?api-version=2024-12-01\"}",
               HEADER ".eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cHM6Ly9jb250b3NvLndlYnB1YnN1Yi5henVyZS5jb20vYXBpL2h1YnMvaHViMS9jb25uZWN0aW9ucy9jb25uMT9hcGktdmVyc2lvbj0yMDI0LTEyLTAxIn0.XHmzev9vNxxnpwG4mceQSom0DLdNofHoTr2O3JpvLzc",
               "{\"aud\":\"https://contoso.webpubsub.azure.com/api/hubs/hub1/connections/conn1?api-version=2024-12-01\",\"exp\":1700003600,\"iat\":1700000000}");
}
END_TEST

START_TEST(rest_endpoint_prefix)
{
    check_rest("Endpoint=http://localhost:8080/prefix;AccessKey=ABC", "ABC",
               "http://localhost:8080/prefix/api/hubs/chat/:send?api-version=2024-12-01",
               "{\"iat\":1700000000,\"exp\":1700003600,\"aud\":\"http://localhost:8080/prefix/api/hubs/chat/:send?api-version=2024-12-01\"}",
               HEADER ".eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cDovL2xvY2FsaG9zdDo4MDgwL3ByZWZpeC9hcGkvaHVicy9jaGF0LzpzZW5kP2FwaS12ZXJzaW9uPTIwMjQtMTItMDEifQ.O3xDpGnMKOPiwtMMTWgDqYl9L8GqxxGehb1SIEf6OeM",
               "{\"aud\":\"http://localhost:8080/prefix/api/hubs/chat/:send?api-version=2024-12-01\",\"exp\":1700003600,\"iat\":1700000000}");
}
END_TEST

START_TEST(rest_token_errors)
{
    awps_service *s = service(CS, "hub1");

    errno = 0;
    ck_assert_ptr_null(awps__jwt_for_url(s, "https://h/\xFF"));
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_ptr_null(awps__jwt_for_url(s, NULL));
    ck_assert_ptr_null(awps__jwt_for_url(NULL, "https://h/"));
    char *big = malloc(AWPS__JWT_MAX_PAYLOAD + 1);
    ck_assert_ptr_nonnull(big);
    memset(big, 'a', AWPS__JWT_MAX_PAYLOAD);
    big[AWPS__JWT_MAX_PAYLOAD] = '\0';
    errno = 0;
    ck_assert_ptr_null(awps__jwt_for_url(s, big));
    ck_assert_int_eq(errno, E2BIG);
    big[20000] = '\0';  /* large but under the cap */
    char *token = awps__jwt_for_url(s, big);
    ck_assert_ptr_nonnull(token);
    assert_signed(token, KEY);
    free(token);
    free(big);
    awps_service_free(s);
}
END_TEST

/* ---- awps__jwt_sign() ---- */

START_TEST(sign_generic_payload)
{
    json_t *p = json_pack("{s:s, s:[i,s], s:{s:b}, s:I, s:f}", "name", "a\x01/b", "list", 1, "x",
                          "obj", "t", 1, "big", (json_int_t)9007199254740991LL, "real", 1.5);
    ck_assert_ptr_nonnull(p);
    char *token = awps__jwt_sign("k", p);
    ck_assert_ptr_nonnull(token);
    assert_signed(token, "k");
    char *back = payload_of(token);
    json_t *j = json_loads(back, 0, NULL);
    ck_assert(json_equal(j, p));
    json_decref(j);
    free(back);
    free(token);

    errno = 0;
    ck_assert_ptr_null(awps__jwt_sign("", p));
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_ptr_null(awps__jwt_sign(NULL, p));
    json_t *a = json_array();
    ck_assert_ptr_null(awps__jwt_sign("k", a));
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_ptr_null(awps__jwt_sign("k", NULL));
    json_decref(a);
    char *big = calloc(1, AWPS__JWT_MAX_PAYLOAD + 1);
    ck_assert_ptr_nonnull(big);
    memset(big, 'b', AWPS__JWT_MAX_PAYLOAD);
    json_object_set_new(p, "big", json_string(big));
    errno = 0;
    ck_assert_ptr_null(awps__jwt_sign("k", p));
    ck_assert_int_eq(errno, E2BIG);
    free(big);
    json_decref(p);
}
END_TEST

/* ---- client tokens: more cases and errors ---- */

START_TEST(negative_clock_floors)
{
    static int64_t before_epoch = -1500;
    awps_service *s = service(CS, "hub1");
    awps_client_token t;

    awps_service_set_clock(s, the_clock, &before_epoch);
    ck_assert_int_eq(awps_service_client_token(s, NULL, &t, NULL), AWPS_OK);
    char *p = payload_of(t.token);
    ck_assert_str_eq(p, "{\"aud\":\"https://contoso.webpubsub.azure.com/client/hubs/hub1\","
                        "\"exp\":3598,\"iat\":-2}");
    free(p);
    awps_client_token_clear(&t);
    awps_service_free(s);
}
END_TEST

START_TEST(control_characters_round_trip)
{
    static const char *const roles[] = {"r\"\\\b\f\n\r\t\x01\x1f\x7f/"};
    awps_service *s = service(CS, "hub1");
    awps_token_options o = {.user_id = "\x01u\x1f", .roles = roles, .n_roles = 1};
    awps_client_token t;

    ck_assert_int_eq(awps_service_client_token(s, &o, &t, NULL), AWPS_OK);
    assert_signed(t.token, KEY);
    char *p = payload_of(t.token);
    json_t *j = json_loads(p, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "sub")), "\x01u\x1f");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "role"), 0)), roles[0]);
    /* '/' and DEL raw; the short escapes as JSON.stringify writes them
     * (jansson writes \u001F where JavaScript writes \u001f) */
    ck_assert_ptr_nonnull(strstr(p, "\"r\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001"));
    ck_assert_ptr_nonnull(strstr(p, "\x7f/\"]"));
    json_decref(j);
    free(p);
    awps_client_token_clear(&t);
    awps_service_free(s);
}
END_TEST

START_TEST(http_in_endpoint_path_replaced_like_sdk)
{
    /* the SDK's /(http)(s?:\/\/)/gi replaces every occurrence */
    awps_service *s = service("Endpoint=https://a/b/http://c/HTTPS://d;AccessKey=ABC", "h");
    awps_client_token t;

    ck_assert_int_eq(awps_service_client_token(s, NULL, &t, NULL), AWPS_OK);
    ck_assert_str_eq(t.base_url, "wss://a/b/ws://c/wsS://d/client/hubs/h");
    char *p = payload_of(t.token);
    ck_assert_str_eq(p, "{\"aud\":\"https://a/b/http://c/HTTPS://d/client/hubs/h\","
                        "\"exp\":1700003600,\"iat\":1700000000}");
    free(p);
    awps_client_token_clear(&t);
    awps_service_free(s);
}
END_TEST

START_TEST(hub_inserted_raw)
{
    awps_service *s = service(CS, "my hub/é");
    awps_client_token t;

    ck_assert_int_eq(awps_service_client_token(s, NULL, &t, NULL), AWPS_OK);
    ck_assert_str_eq(t.base_url, "wss://contoso.webpubsub.azure.com/client/hubs/my hub/é");
    awps_client_token_clear(&t);
    awps_service_free(s);
}
END_TEST

static void assert_refused(awps_service *s, const awps_token_options *o, int code,
                           const char *message)
{
    awps_client_token t;
    awps_service_error err;

    memset(&t, 0x55, sizeof t);
    ck_assert_int_eq(awps_service_client_token(s, o, &t, &err), code);
    ck_assert_ptr_null(t.token);
    ck_assert_ptr_null(t.base_url);
    ck_assert_ptr_null(t.url);
    ck_assert_int_eq(err.code, code);
    ck_assert_msg(strstr(err.message, message) != NULL, "message \"%s\"", err.message);
    ck_assert_int_eq(awps_service_client_token(s, o, &t, NULL), code);
}

START_TEST(invalid_arguments)
{
    static const char *const bad_utf8[] = {"ok", "\xC3("};
    static const char *const with_null[] = {"ok", NULL};
    awps_service *s = service(CS, "hub1");
    awps_client_token t;

    assert_refused(s, &(awps_token_options){.user_id = "\xFF"}, AWPS_E_INVALID, "user id");
    assert_refused(s, &(awps_token_options){.user_id = "\xED\xA0\x80"}, AWPS_E_INVALID, "user id");
    assert_refused(s, &(awps_token_options){.roles = bad_utf8, .n_roles = 2}, AWPS_E_INVALID,
                   "roles[1] is not valid UTF-8");
    assert_refused(s, &(awps_token_options){.groups = bad_utf8, .n_groups = 2}, AWPS_E_INVALID,
                   "groups[1] is not valid UTF-8");
    assert_refused(s, &(awps_token_options){.roles = with_null, .n_roles = 2}, AWPS_E_INVALID,
                   "roles[1] is NULL");
    assert_refused(s, &(awps_token_options){.n_roles = 1}, AWPS_E_INVALID, "roles is NULL");
    assert_refused(s, &(awps_token_options){.n_groups = 3}, AWPS_E_INVALID, "groups is NULL");
    assert_refused(s, &(awps_token_options){.client_type = (awps_client_type)3}, AWPS_E_INVALID,
                   "client type");
    ck_assert_int_eq(awps_service_client_token(NULL, NULL, &t, NULL), AWPS_E_INVALID);
    ck_assert_ptr_null(t.token);
    ck_assert_int_eq(awps_service_client_token(s, NULL, NULL, NULL), AWPS_E_INVALID);
    awps_service_free(s);
}
END_TEST

START_TEST(payload_size_capped)
{
    enum { N = 3000 };
    static char names[N][16];
    static const char *groups[N];
    awps_service *s = service(CS, "hub1");
    awps_client_token t;

    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "group%05u", (unsigned)i % 100000u);
        groups[i] = names[i];
    }
    /* 3000 * 13 bytes ("group00000",): over the cap */
    assert_refused(s, &(awps_token_options){.groups = groups, .n_groups = N}, AWPS_E_TOO_LARGE,
                   "token payload over");
    /* 2000 * 13 bytes: fine */
    ck_assert_int_eq(awps_service_client_token(s, &(awps_token_options){.groups = groups,
                                                                        .n_groups = 2000},
                                               &t, NULL),
                     AWPS_OK);
    assert_signed(t.token, KEY);
    awps_client_token_clear(&t);
    awps_service_free(s);
}
END_TEST

/* ---- many threads on one client ---- */

static void *mint(void *arg)
{
    static const char *const roles[] = {"webpubsub.joinLeaveGroup"};
    awps_service *s = arg;
    char user[32];

    for (int i = 0; i < 300; i++) {
        awps_client_token t;
        snprintf(user, sizeof user, "user%d", i);
        awps_token_options o = {.user_id = user, .roles = roles, .n_roles = 1};
        if (awps_service_client_token(s, &o, &t, NULL) != AWPS_OK)
            return (void *)1;
        char *p = payload_of(t.token);
        int ok = strstr(p, user) != NULL;
        free(p);
        awps_client_token_clear(&t);
        if (!ok)
            return (void *)1;
    }
    return NULL;
}

START_TEST(concurrent_tokens)
{
    awps_service *s = service(CS, "hub1");
    pthread_t th[4];
    void *res;

    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, mint, s), 0);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(pthread_join(th[i], &res), 0);
        ck_assert_ptr_null(res);
    }
    awps_service_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("token");
    TCase *v = tcase_create("vectors");
    tcase_add_test(v, vector_no_options);
    tcase_add_test(v, vector_user_roles_groups);
    tcase_add_test(v, vector_expires_5_minutes);
    tcase_add_test(v, vector_mqtt);
    tcase_add_test(v, vector_socketio);
    tcase_add_test(v, vector_empty_roles_groups);
    tcase_add_test(v, vector_unicode_user_and_escapes);
    tcase_add_test(v, vector_localhost_port);
    tcase_add_test(v, vector_key_credential);
    tcase_add_test(v, vector_endpoint_prefix);
    tcase_add_loop_test(v, vector_expiry_list, 0, (int)(sizeof expiries / sizeof expiries[0]));
    tcase_add_test(v, rest_send_to_all);
    tcase_add_test(v, rest_connection_exists);
    tcase_add_test(v, rest_endpoint_prefix);
    suite_add_tcase(s, v);

    TCase *m = tcase_create("more");
    tcase_add_test(m, expiry_out_of_range);
    tcase_add_test(m, rest_token_errors);
    tcase_add_test(m, sign_generic_payload);
    tcase_add_test(m, negative_clock_floors);
    tcase_add_test(m, control_characters_round_trip);
    tcase_add_test(m, http_in_endpoint_path_replaced_like_sdk);
    tcase_add_test(m, hub_inserted_raw);
    tcase_add_test(m, invalid_arguments);
    tcase_add_test(m, payload_size_capped);
    tcase_add_test(m, concurrent_tokens);
    suite_add_tcase(s, m);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
