/* Helpers shared by the service-client tests (check_rest, check_appendix,
 * check_retry): a mock service per test, clients with the spec's fixed
 * clock, JWT payload decoding, request checks. Header-only: static inline. */
#ifndef AWPS_SERVICE_CHECK_H
#define AWPS_SERVICE_CHECK_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mock-service.h"

#define KEY "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFG="
#define CONTOSO "https://contoso.webpubsub.azure.com"
#define JSON_UTF8 "application/json; charset=utf-8"

static mock_service *m;

static inline void setup(void)
{
    m = mock_start(KEY);
    ck_assert_ptr_nonnull(m);
}

static inline void teardown(void)
{
    mock_stop(m);
    m = NULL;
}

static inline int64_t fixed_clock(void *data)
{
    (void)data;
    return 1700000000000LL;   /* spec §9.3 */
}

/* A client on `endpoint` with the §9.3 clock and no retries. */
static inline awps_service *client_at(const char *endpoint, const char *key, const char *hub)
{
    awps_service_error err;
    awps_service *s = awps_service_new_with_key(endpoint, key, hub, &err);

    ck_assert_msg(s != NULL, "client: %s", err.message);
    awps_service_set_clock(s, fixed_clock, NULL);
    ck_assert_int_eq(awps_service_set_retry(s, 0, 0, 0), AWPS_OK);
    return s;
}

static inline awps_service *client(void)
{
    return client_at(mock_base(m), KEY, "hub1");
}

/* The decoded JWT payload text of a "Bearer x.y.z" or "x.y.z" token; new. */
static inline char *jwt_payload(const char *token)
{
    const char *p, *e;
    unsigned char *raw;
    size_t n;
    char *part;

    if (!strncmp(token, "Bearer ", 7))
        token += 7;
    p = strchr(token, '.');
    ck_assert_ptr_nonnull(p);
    e = strchr(p + 1, '.');
    ck_assert_ptr_nonnull(e);
    part = strndup(p + 1, (size_t)(e - p - 1));
    raw = awps__b64_decode(part, &n);
    free(part);
    ck_assert_ptr_nonnull(raw);
    return (char *)raw;
}

/* The same, parsed. */
static inline json_t *jwt_claims(const char *token)
{
    char *text = jwt_payload(token);
    json_t *j = json_loads(text, 0, NULL);

    free(text);
    ck_assert_ptr_nonnull(j);
    return j;
}

/* The last request: method, raw target, content type, body, and a token
 * the mock verified (signature, aud = audience base + target, exp > iat). */
static inline const mock_request *expect_req(size_t i, const char *method, const char *target,
                                      const char *ctype, const char *body, size_t len)
{
    const mock_request *r = mock_request_at(m, i);

    ck_assert_msg(r != NULL, "request %zu was not made", i);
    ck_assert_str_eq(r->method, method);
    ck_assert_str_eq(r->target, target);
    if (ctype)
        ck_assert_pstr_eq(r->content_type, ctype);
    else
        ck_assert_ptr_null(r->content_type);
    ck_assert_uint_eq(r->body_len, body ? len : 0);
    if (body)
        ck_assert_mem_eq(r->body, body, len);
    ck_assert_msg(r->token_ok, "token of %s %s: %s", method, target, r->token_error);
    return r;
}

static inline const mock_request *expect_last(const char *method, const char *target,
                                       const char *ctype, const char *body, size_t len)
{
    ck_assert_uint_gt(mock_count(m), 0);
    return expect_req(mock_count(m) - 1, method, target, ctype, body, len);
}


static inline void ok(int rc, const awps_service_error *err)
{
    ck_assert_msg(rc == AWPS_OK, "rc %d: %s", rc, err->message);
}


typedef struct members {
    char text[1024];
    unsigned n, stop_at;
} members;

static inline int collect(void *data, const char *connection_id, const char *user_id)
{
    members *c = data;
    size_t len = strlen(c->text);
    snprintf(c->text + len, sizeof c->text - len, "%s/%s;", connection_id,
             user_id ? user_id : "-");
    return ++c->n == c->stop_at;
}


#endif
