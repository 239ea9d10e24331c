/* The mock's recorded requests (see mock-service.h): the check of a bearer
 * token with OpenSSL alone (HS256 over the access key, audience, times), the
 * JSON form of a request, and freeing one. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "mock-service.h"

/* ---- base64url and the token check ---- */

static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '-' ? 62 : c == '_' ? 63 : -1;
}

/* Decode n characters of unpadded base64url; a new NUL-terminated buffer. */
static unsigned char *b64url_decode(const char *s, size_t n, size_t *out_len)
{
    unsigned char *out = malloc(n * 3 / 4 + 2);
    uint32_t acc = 0;
    size_t bits = 0, o = 0;

    if (!out || n % 4 == 1) {
        free(out);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        int v = b64url_value((unsigned char)s[i]);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

static void b64url_encode(const unsigned char *in, size_t n, char *out)
{
    int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    for (int i = 0; i < len; i++) {
        if (out[i] == '+')
            out[i] = '-';
        else if (out[i] == '/')
            out[i] = '_';
        else if (out[i] == '=') {
            out[i] = '\0';
            break;
        }
    }
}

void mock_check_token(mock_request *r, const char *key, const char *aud_want)
{
    const char *t = r->authorization, *d1, *d2;
    unsigned char mac[EVP_MAX_MD_SIZE], *hdr, *pay;
    unsigned maclen = 0;
    char sig[2 * EVP_MAX_MD_SIZE];
    size_t hl, pl;
    json_t *h, *p;

#define BAD(...) do { snprintf(r->token_error, sizeof r->token_error, __VA_ARGS__); return; } while (0)
    if (!key)
        BAD("the mock has no access key");
    if (!t)
        BAD("no Authorization header");
    if (strncmp(t, "Bearer ", 7) != 0)
        BAD("not a Bearer token");
    t += 7;
    if (!(d1 = strchr(t, '.')) || !(d2 = strchr(d1 + 1, '.')) || strchr(d2 + 1, '.'))
        BAD("not three parts");
    if (!HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)t, (size_t)(d2 - t),
              mac, &maclen))
        BAD("HMAC failed");
    b64url_encode(mac, maclen, sig);
    if (strcmp(sig, d2 + 1) != 0)
        BAD("bad signature");
    hdr = b64url_decode(t, (size_t)(d1 - t), &hl);
    h = hdr ? json_loadb((const char *)hdr, hl, 0, NULL) : NULL;
    free(hdr);
    if (!json_is_string(json_object_get(h, "alg")) ||
        strcmp(json_string_value(json_object_get(h, "alg")), "HS256") != 0) {
        json_decref(h);
        BAD("header is not {\"alg\":\"HS256\",...}");
    }
    json_decref(h);
    pay = b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &pl);
    if (!pay)
        BAD("payload is not base64url");
    r->token_payload = (char *)pay;
    p = json_loadb((const char *)pay, pl, 0, NULL);
    const char *aud = json_string_value(json_object_get(p, "aud"));
    r->token_aud = aud ? strdup(aud) : NULL;
    r->token_iat = json_integer_value(json_object_get(p, "iat"));
    r->token_exp = json_integer_value(json_object_get(p, "exp"));
    if (!json_is_integer(json_object_get(p, "iat")) || !json_is_integer(json_object_get(p, "exp"))) {
        json_decref(p);
        BAD("iat or exp missing");
    }
    json_decref(p);
    if (!r->token_aud)
        BAD("no aud");
    if (strcmp(r->token_aud, aud_want) != 0)
        BAD("aud is not %.120s", aud_want);
    if (r->token_exp <= r->token_iat)
        BAD("exp not after iat");
#undef BAD
    r->token_ok = 1;
}

/* ---- the JSON form; freeing ---- */

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *mock_request_json(const mock_request *r)
{
    json_t *j = json_object();
    char *b64;

    if (!j)
        return NULL;
    json_object_set_new(j, "method", json_string(r->method));
    json_object_set_new(j, "target", json_string(r->target));
    json_object_set_new(j, "path", json_string(r->path));
    json_object_set_new(j, "query", json_string(r->query));
    json_object_set_new(j, "authorization", str_or_null(r->authorization));
    json_object_set_new(j, "content_type", str_or_null(r->content_type));
    json_object_set_new(j, "content_length", str_or_null(r->content_length));
    json_object_set_new(j, "accept", str_or_null(r->accept));
    json_object_set_new(j, "accept_encoding", str_or_null(r->accept_encoding));
    json_object_set_new(j, "user_agent", str_or_null(r->user_agent));
    json_object_set_new(j, "request_id", str_or_null(r->request_id));
    json_object_set_new(j, "expect", str_or_null(r->expect));
    json_object_set_new(j, "transfer_encoding", str_or_null(r->transfer_encoding));
    json_t *body = json_stringn(r->body, r->body_len);  /* NULL when not UTF-8 */
    if (body) {
        json_object_set_new(j, "body", body);
    } else if ((b64 = malloc(4 * ((r->body_len + 2) / 3) + 1))) {
        EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)r->body, (int)r->body_len);
        json_object_set_new(j, "body_base64", json_string(b64));
        free(b64);
    }
    json_object_set_new(j, "token_ok", json_boolean(r->token_ok));
    json_object_set_new(j, "token_error", json_string(r->token_error));
    json_object_set_new(j, "token_payload", str_or_null(r->token_payload));
    json_object_set_new(j, "aud", str_or_null(r->token_aud));
    json_object_set_new(j, "iat", json_integer(r->token_iat));
    json_object_set_new(j, "exp", json_integer(r->token_exp));
    json_object_set_new(j, "status", json_integer(r->status));
    json_object_set_new(j, "connection", json_integer((json_int_t)r->connection));
    return j;
}

void mock_request_free(mock_request *r)
{
    if (!r)
        return;
    free(r->method);
    free(r->target);
    free(r->path);
    free(r->query);
    free(r->authorization);
    free(r->content_type);
    free(r->content_length);
    free(r->accept);
    free(r->accept_encoding);
    free(r->user_agent);
    free(r->request_id);
    free(r->expect);
    free(r->transfer_encoding);
    free(r->body);
    free(r->token_payload);
    free(r->token_aud);
    free(r);
}
