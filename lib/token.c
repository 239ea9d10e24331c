/* JWTs (spec §2.3, §3.1, §7), signed with libjwt: the REST bearer token and
 * client access tokens with their URLs (§2.2). The only file that includes
 * <jwt.h>.
 *
 * libjwt 1.10 serialises the payload with JSON_SORT_KEYS, so the members come
 * out sorted by name ({"aud","exp","iat","role","sub","webpubsub.group"})
 * where the SDK writes them in insertion order; the header
 * ({"alg":"HS256","typ":"JWT"}), the claims, the escaping (jansson: raw UTF-8,
 * '/' not escaped; only control characters other than \b \f \n \r \t differ:
 * \u001F where JSON.stringify writes \u001f) and the signature scheme are the
 * SDK's. Payloads are capped because libjwt allocas twice their size. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jwt.h>

#include "internal.h"

/* ---- JSON text ---- */

/* s as the body of a JSON string, escaped like JSON.stringify ('"', '\\',
 * \b \f \n \r \t, other controls as \u00xx, everything else raw); written to
 * out when not NULL. Returns the length. */
static size_t json_escape(char *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\') {  /* the common case */
            if (out)
                out[n] = (char)c;
            n++;
            continue;
        }
        char e = c == '"' ? '"' : c == '\\' ? '\\' : c == '\b' ? 'b' : c == '\f' ? 'f'
               : c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : 0;
        if (e) {
            if (out) {
                out[n] = '\\';
                out[n + 1] = e;
            }
            n += 2;
        } else {
            if (out)
                memcpy(out + n, (char[6]){'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]}, 6);
            n += 6;
        }
    }
    return n;
}

/* ,"name":["a","b"] (the comma when `comma`) written to out when not NULL;
 * returns the length. */
static size_t json_array_member(char *out, int comma, const char *name,
                                const char *const *items, size_t count)
{
    size_t n = 0;

#define PUT(str, len) do { if (out) memcpy(out + n, (str), (len)); n += (len); } while (0)
    if (comma)
        PUT(",", 1);
    PUT("\"", 1);
    PUT(name, strlen(name));
    PUT("\":[", 3);
    for (size_t i = 0; i < count; i++) {
        if (i)
            PUT(",", 1);
        PUT("\"", 1);
        n += json_escape(out ? out + n : NULL, items[i]);
        PUT("\"", 1);
    }
    PUT("]", 1);
#undef PUT
    return n;
}

/* ---- signing ---- */

/* What goes into a token: further members as JSON object text, then the
 * standard claims. */
typedef struct claims {
    const char *json;        /* "{...}" or NULL */
    int times;               /* add iat and exp */
    int64_t iat, exp;
    const char *aud, *sub;   /* NULL: none */
} claims;

static int add_int(jwt_t *jwt, const char *name, int64_t v)
{
#if LONG_MAX < INT64_MAX
    if (v < LONG_MIN || v > LONG_MAX) {
        char text[48];
        snprintf(text, sizeof text, "{\"%s\":%lld}", name, (long long)v);
        return jwt_add_grants_json(jwt, text);
    }
#endif
    return jwt_add_grant_int(jwt, name, (long)v);
}

/* The signed token, or NULL with errno ENOMEM, E2BIG or EINVAL. */
static char *sign(const char *key, const claims *c)
{
    size_t klen = key ? strlen(key) : 0;
    jwt_t *jwt = NULL;
    char *token = NULL;
    int rc;

    if (klen == 0 || klen > AWPS__KEY_MAX) {
        errno = EINVAL;
        return NULL;
    }
    /* an upper bound of the payload libjwt will write (and alloca twice) */
    size_t size = (c->json ? strlen(c->json) : 2) + 96;
    if (c->aud)
        size += json_escape(NULL, c->aud);
    if (c->sub)
        size += json_escape(NULL, c->sub);
    if (size > AWPS__JWT_MAX_PAYLOAD) {
        errno = E2BIG;
        return NULL;
    }
    rc = jwt_new(&jwt);
    if (!rc && c->json)
        rc = jwt_add_grants_json(jwt, c->json);
    if (!rc && c->times)
        rc = add_int(jwt, "iat", c->iat);
    if (!rc && c->times)
        rc = add_int(jwt, "exp", c->exp);
    if (!rc && c->aud)
        rc = jwt_add_grant(jwt, "aud", c->aud);
    if (!rc && c->sub)
        rc = jwt_add_grant(jwt, "sub", c->sub);
    if (!rc)
        rc = jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)key, (int)klen);
    if (!rc) {
        errno = 0;
        token = jwt_encode_str(jwt);
        rc = token ? 0 : (errno ? errno : EINVAL);
    }
    jwt_free(jwt);
    if (rc) {
        errno = rc == ENOMEM ? ENOMEM : EINVAL;
        return NULL;
    }
    return token;
}

char *awps__jwt_sign(const char *key, const json_t *payload)
{
    claims c = {0};
    char *text, *token;
    int saved;

    if (!json_is_object(payload)) {
        errno = EINVAL;
        return NULL;
    }
    if (json_dumpb(payload, NULL, 0, JSON_COMPACT) > AWPS__JWT_MAX_PAYLOAD) {
        errno = E2BIG;
        return NULL;
    }
    text = json_dumps(payload, JSON_COMPACT);
    if (!text) {
        errno = ENOMEM;
        return NULL;
    }
    c.json = text;
    token = sign(key, &c);
    saved = errno;
    free(text);
    errno = saved;
    return token;
}

/* floor(ms / 1000) */
static int64_t seconds_of(int64_t ms)
{
    return ms >= 0 ? ms / 1000 : -((-(ms + 1)) / 1000) - 1;
}

char *awps__jwt_for_url(const awps_service *s, const char *url)
{
    claims c = {0};

    if (!s || !url || !awps__utf8_valid(url, strlen(url))) {
        errno = EINVAL;
        return NULL;
    }
    c.times = 1;
    c.iat = seconds_of(awps__service_now_ms(s));
    c.exp = c.iat + 3600;
    c.aud = url;
    return sign(s->key, &c);
}

/* ---- client access tokens ---- */

static const char *client_path(awps_client_type type)
{
    switch (type) {
    case AWPS_CLIENT_MQTT:
        return "clients/mqtt/hubs/";
    case AWPS_CLIENT_SOCKETIO:
        return "clients/socketio/hubs/";
    default:
        return "client/hubs/";
    }
}

/* endpoint + ('/' if missing) + path + hub; with ws != 0 every "http://" or
 * "https://" (any case) becomes "ws://" / "wss://" as the SDK's regular
 * expression /(http)(s?:\/\/)/gi does. A new string. */
static char *client_url(const char *endpoint, const char *path, const char *hub, int ws)
{
    size_t elen = strlen(endpoint), plen = strlen(path), hlen = strlen(hub);
    char *out = malloc(elen + 1 + plen + hlen + 1), *o = out;

    if (!out)
        return NULL;
    for (size_t i = 0; i < elen; i++) {
        if (ws && awps__strncaseeq(endpoint + i, "http", 4)) {
            size_t j = i + 4 + (endpoint[i + 4] == 's' || endpoint[i + 4] == 'S');
            if (strncmp(endpoint + j, "://", 3) == 0) {
                *o++ = 'w';
                *o++ = 's';
                i += 3;
                continue;
            }
        }
        *o++ = endpoint[i];
    }
    if (elen == 0 || endpoint[elen - 1] != '/')
        *o++ = '/';
    memcpy(o, path, plen);
    memcpy(o + plen, hub, hlen + 1);
    return out;
}

/* Check n strings (non-NULL, UTF-8); AWPS_OK or the error. */
static int check_strings(const char *const *items, size_t n, const char *what,
                         awps_service_error *err)
{
    if (n > AWPS__JWT_MAX_PAYLOAD)
        return awps__service_fail(err, AWPS_E_TOO_LARGE, 0, NULL, "too many %s", what);
    for (size_t i = 0; i < n; i++) {
        if (!items[i])
            return awps__service_fail(err, AWPS_E_INVALID, 0, NULL, "%s[%zu] is NULL", what, i);
        if (!awps__utf8_valid(items[i], strlen(items[i])))
            return awps__service_fail(err, AWPS_E_INVALID, 0, NULL,
                                      "%s[%zu] is not valid UTF-8", what, i);
    }
    return AWPS_OK;
}

/* {"role":[...],"webpubsub.group":[...]} for the options, or NULL (none, or
 * out of memory: *nomem set). */
static char *array_claims(const awps_token_options *o, int *nomem)
{
    size_t n = 2;
    char *text;

    *nomem = 0;
    if (!o->roles && !o->groups)
        return NULL;
    if (o->roles)
        n += json_array_member(NULL, 0, "role", o->roles, o->n_roles);
    if (o->groups)
        n += json_array_member(NULL, o->roles != NULL, "webpubsub.group", o->groups, o->n_groups);
    text = malloc(n + 1);
    if (!text) {
        *nomem = 1;
        return NULL;
    }
    n = 0;
    text[n++] = '{';
    if (o->roles)
        n += json_array_member(text + n, 0, "role", o->roles, o->n_roles);
    if (o->groups)
        n += json_array_member(text + n, o->roles != NULL, "webpubsub.group", o->groups,
                               o->n_groups);
    text[n++] = '}';
    text[n] = '\0';
    return text;
}

/* exp for the options: iat + 3600, or floor(iat + minutes * 60000 / 1000)
 * computed in doubles like jsonwebtoken. */
static int expiry(const awps_token_options *o, int64_t iat, int64_t *exp,
                  awps_service_error *err)
{
    if (!o->expires_set) {
        *exp = iat + 3600;
        return AWPS_OK;
    }
    double e = (double)iat + o->expires_minutes * 60000.0 / 1000.0;
    /* JavaScript's safe integers; NaN fails the test too */
    if (!(e >= -9007199254740991.0 && e <= 9007199254740991.0))
        return awps__service_fail(err, AWPS_E_INVALID, 0, NULL,
                                  "expiry of %g minutes is out of range", o->expires_minutes);
    int64_t f = (int64_t)e;  /* floor() without libm */
    *exp = (double)f > e ? f - 1 : f;
    return AWPS_OK;
}

int awps_service_client_token(awps_service *s, const awps_token_options *opts,
                              awps_client_token *out, awps_service_error *err)
{
    static const awps_token_options none = {0};
    static const char query[] = "?access_token=";
    const awps_token_options *o = opts ? opts : &none;
    char *arrays = NULL, *aud = NULL, *token = NULL, *base = NULL, *url = NULL;
    claims c = {0};
    int rc, nomem;

    if (out)
        memset(out, 0, sizeof *out);
    if (!s || !out)
        return awps__service_fail(err, AWPS_E_INVALID, 0, NULL, "service or output is NULL");
    if (o->client_type != AWPS_CLIENT_DEFAULT && o->client_type != AWPS_CLIENT_MQTT &&
        o->client_type != AWPS_CLIENT_SOCKETIO)
        return awps__service_fail(err, AWPS_E_INVALID, 0, NULL, "unknown client type %d",
                                  (int)o->client_type);
    if (o->user_id && !awps__utf8_valid(o->user_id, strlen(o->user_id)))
        return awps__service_fail(err, AWPS_E_INVALID, 0, NULL, "user id is not valid UTF-8");
    if ((!o->roles && o->n_roles) || (!o->groups && o->n_groups))
        return awps__service_fail(err, AWPS_E_INVALID, 0, NULL, "%s is NULL with a count",
                                  o->n_roles && !o->roles ? "roles" : "groups");
    if ((rc = check_strings(o->roles, o->n_roles, "roles", err)) != AWPS_OK ||
        (rc = check_strings(o->groups, o->n_groups, "groups", err)) != AWPS_OK)
        return rc;
    c.times = 1;
    c.iat = seconds_of(awps__service_now_ms(s));
    if ((rc = expiry(o, c.iat, &c.exp, err)) != AWPS_OK)
        return rc;

    const char *path = client_path(o->client_type);
    arrays = array_claims(o, &nomem);
    aud = client_url(s->endpoint, path, s->hub, 0);
    base = client_url(s->endpoint, path, s->hub, 1);
    if (nomem || !aud || !base)
        goto nomem;
    c.json = arrays;
    c.aud = aud;
    c.sub = o->user_id && *o->user_id ? o->user_id : NULL;
    token = sign(s->key, &c);
    if (!token) {
        if (errno == ENOMEM)
            goto nomem;
        rc = errno == E2BIG
                 ? awps__service_fail(err, AWPS_E_TOO_LARGE, 0, NULL,
                                      "token payload over %d bytes", AWPS__JWT_MAX_PAYLOAD)
                 : awps__service_fail(err, AWPS_E_TOKEN, 0, NULL, "the token could not be signed");
        goto out;
    }
    size_t blen = strlen(base), tlen = strlen(token);
    url = malloc(blen + sizeof query - 1 + tlen + 1);
    if (!url)
        goto nomem;
    memcpy(url, base, blen);
    memcpy(url + blen, query, sizeof query - 1);
    memcpy(url + blen + sizeof query - 1, token, tlen + 1);
    out->token = token;
    out->base_url = base;
    out->url = url;
    token = base = url = NULL;
    if (err)
        memset(err, 0, sizeof *err);
    rc = AWPS_OK;
    goto out;
nomem:
    rc = awps__service_fail(err, AWPS_E_NOMEM, 0, NULL, "out of memory");
out:
    free(arrays);
    free(aud);
    free(token);
    free(base);
    free(url);
    return rc;
}

void awps_client_token_clear(awps_client_token *t)
{
    if (!t)
        return;
    free(t->token);
    free(t->base_url);
    free(t->url);
    t->token = t->base_url = t->url = NULL;
}

/* ---- verification (the emulator's side) ---- */

int awps__jwt_verify(const char *key, const char *token, int64_t now_s, json_t **claims,
                     char *why, size_t why_len)
{
    jwt_t *jwt = NULL;
    size_t klen = key ? strlen(key) : 0, tlen = token ? strlen(token) : 0;
    char *text;
    json_t *c, *v;
    json_error_t jerr;

    *claims = NULL;
    if (klen == 0 || klen > AWPS__KEY_MAX || tlen == 0) {
        snprintf(why, why_len, "no access token");
        return -1;
    }
    /* libjwt allocas the decoded parts: bound the text first */
    if (tlen > (size_t)AWPS__JWT_MAX_PAYLOAD * 2) {
        snprintf(why, why_len, "access token too long");
        return -1;
    }
    if (jwt_decode(&jwt, token, (const unsigned char *)key, (int)klen) != 0 || !jwt) {
        snprintf(why, why_len, "invalid access token (malformed or bad signature)");
        return -1;
    }
    if (jwt_get_alg(jwt) != JWT_ALG_HS256) {
        jwt_free(jwt);
        snprintf(why, why_len, "access token not signed with HS256");
        return -1;
    }
    text = jwt_get_grants_json(jwt, NULL);
    jwt_free(jwt);
    if (!text) {
        snprintf(why, why_len, "access token without claims");
        return -1;
    }
    c = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    free(text);
    if (!json_is_object(c)) {
        json_decref(c);
        snprintf(why, why_len, "access token claims are not an object");
        return -1;
    }
    v = json_object_get(c, "exp");
    if (!json_is_integer(v)) {
        json_decref(c);
        snprintf(why, why_len, "access token without exp");
        return -1;
    }
    if (json_integer_value(v) <= now_s) {
        json_decref(c);
        snprintf(why, why_len, "access token expired");
        return -1;
    }
    v = json_object_get(c, "nbf");
    if (v && (!json_is_integer(v) || json_integer_value(v) > now_s + 300)) {
        json_decref(c);
        snprintf(why, why_len, "access token not valid yet");
        return -1;
    }
    *claims = c;
    return 0;
}
