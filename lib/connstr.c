/* Connection strings (spec §1.2) and the endpoint URLs they carry.
 *
 * The SDK hands the endpoint to the WHATWG URL parser; this file implements
 * the part of that parser an endpoint needs: absolute http(s) URLs, scheme and
 * host lower-cased, IPv4 and IPv6 hosts in canonical form, the default port
 * dropped, dot segments resolved, the path percent-encoded as WHATWG does,
 * and the Port key applied with the semantics of the URL.port setter.
 * Refused although WHATWG would take them (none makes a usable endpoint):
 * credentials ("user@host"), a query or fragment, non-ASCII host names (use
 * the xn-- form) and schemes other than http and https. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "internal.h"

/* ---- hosts ---- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* WHATWG IPv6 parser on [s, e) (no brackets); 0 or -1. */
static int ipv6_parse(const char *s, const char *e, unsigned addr[8])
{
    int piece = 0, compress = -1;
    const char *p = s;

    memset(addr, 0, 8 * sizeof addr[0]);
    if (p < e && *p == ':') {
        if (p + 1 >= e || p[1] != ':')
            return -1;
        p += 2;
        compress = ++piece;
    }
    while (p < e) {
        if (piece == 8)
            return -1;
        if (*p == ':') {
            if (compress >= 0)
                return -1;
            p++;
            compress = ++piece;
            continue;
        }
        unsigned value = 0;
        int length = 0;
        while (length < 4 && p < e && hexval((unsigned char)*p) >= 0) {
            value = value * 16 + (unsigned)hexval((unsigned char)*p);
            p++;
            length++;
        }
        if (p < e && *p == '.') {  /* embedded IPv4 */
            if (length == 0 || piece > 6)
                return -1;
            p -= length;
            int seen = 0;
            while (p < e) {
                int v = -1;
                if (seen > 0) {
                    if (*p == '.' && seen < 4)
                        p++;
                    else
                        return -1;
                }
                if (p >= e || !isdigit((unsigned char)*p))
                    return -1;
                while (p < e && isdigit((unsigned char)*p)) {
                    int d = *p - '0';
                    if (v < 0)
                        v = d;
                    else if (v == 0)
                        return -1;
                    else
                        v = v * 10 + d;
                    if (v > 255)
                        return -1;
                    p++;
                }
                addr[piece] = addr[piece] * 0x100 + (unsigned)v;
                seen++;
                if (seen == 2 || seen == 4)
                    piece++;
            }
            if (seen != 4)
                return -1;
            break;
        } else if (p < e && *p == ':') {
            p++;
            if (p >= e)
                return -1;
        } else if (p < e) {
            return -1;
        }
        addr[piece++] = value;
    }
    if (compress >= 0) {
        int swaps = piece - compress;
        piece = 7;
        while (piece != 0 && swaps > 0) {
            unsigned t = addr[piece];
            addr[piece] = addr[compress + swaps - 1];
            addr[compress + swaps - 1] = t;
            piece--;
            swaps--;
        }
    } else if (piece != 8) {
        return -1;
    }
    return 0;
}

static void ipv6_serialise(const unsigned addr[8], awps__sb *b)
{
    int best = -1, best_len = 1;
    char piece[8];

    for (int i = 0; i < 8;) {  /* first longest run of zeros, at least two */
        int j = i;
        while (j < 8 && addr[j] == 0)
            j++;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j > i ? j : i + 1;
    }
    awps__sb_chr(b, '[');
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            awps__sb_str(b, i == 0 ? "::" : ":");
            i += best_len - 1;
            continue;
        }
        snprintf(piece, sizeof piece, "%x", addr[i]);
        awps__sb_str(b, piece);
        if (i != 7)
            awps__sb_chr(b, ':');
    }
    awps__sb_chr(b, ']');
}

/* WHATWG "IPv4 number parser" on [s, e): 0 with *v (saturated), -1 on failure. */
static int ipv4_number(const char *s, const char *e, uint64_t *v)
{
    unsigned radix = 10;

    if (s == e)
        return -1;
    if (e - s >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        radix = 16;
        s += 2;
    } else if (e - s >= 2 && s[0] == '0') {
        radix = 8;
        s++;
    }
    *v = 0;
    for (; s < e; s++) {
        int d = hexval((unsigned char)*s);
        if (d < 0 || (unsigned)d >= radix)
            return -1;
        *v = *v * radix + (unsigned)d;
        if (*v > 0xFFFFFFFFull * 256)
            *v = 0xFFFFFFFFull * 256;  /* saturate: fails the range checks */
    }
    return 0;
}

/* Does the (ASCII) host end in a number, so that it must parse as IPv4? */
static int ends_in_number(const char *h, size_t n)
{
    uint64_t v;

    if (n && h[n - 1] == '.')
        n--;  /* a trailing empty label is ignored */
    const char *last = h + n;
    while (last > h && last[-1] != '.')
        last--;
    if (last == h + n)
        return 0;
    size_t i = 0, ln = (size_t)(h + n - last);
    while (i < ln && isdigit((unsigned char)last[i]))
        i++;
    if (i == ln)
        return 1;
    return ipv4_number(last, h + n, &v) == 0;
}

/* WHATWG IPv4 parser: 0 with *addr, or -1. */
static int ipv4_parse(const char *h, size_t n, uint32_t *addr)
{
    uint64_t nums[4];
    size_t count = 0;
    const char *p = h, *end = h + n;

    if (n && h[n - 1] == '.')
        end--;
    for (;;) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        const char *pe = dot ? dot : end;
        if (count == 4 || ipv4_number(p, pe, &nums[count]) != 0)
            return -1;
        count++;
        if (!dot)
            break;
        p = dot + 1;
    }
    for (size_t i = 0; i + 1 < count; i++)
        if (nums[i] > 255)
            return -1;
    if (nums[count - 1] >= (1ull << (8 * (5 - count))))
        return -1;
    uint64_t v = nums[count - 1];
    for (size_t i = 0; i + 1 < count; i++)
        v += nums[i] << (8 * (3 - i));
    *addr = (uint32_t)v;
    return 0;
}

static int forbidden_domain_char(unsigned char c)
{
    return c <= 0x20 || c == 0x7F || strchr("#%/:<>?@[\\]^|", c) != NULL;
}

/* Serialise the host [s, e) into b; NULL or the reason it is invalid. */
static const char *host_parse(const char *s, const char *e, awps__sb *b)
{
    char dom[AWPS__URL_MAX + 1];
    size_t n = 0;
    uint32_t v4;

    if (s == e)
        return "empty host";
    if (*s == '[') {
        unsigned addr[8];
        if (e[-1] != ']' || ipv6_parse(s + 1, e - 1, addr) != 0)
            return "invalid IPv6 address";
        ipv6_serialise(addr, b);
        return NULL;
    }
    for (const char *p = s; p < e; p++) {  /* percent-decode, lower-case */
        unsigned char c = (unsigned char)*p;
        if (c == '%' && e - p >= 3 && hexval((unsigned char)p[1]) >= 0 &&
            hexval((unsigned char)p[2]) >= 0) {
            c = (unsigned char)(hexval((unsigned char)p[1]) * 16 + hexval((unsigned char)p[2]));
            p += 2;
        } else if (c == '%') {
            return "invalid character in host";
        }
        if (c >= 0x80)
            return "non-ASCII host name (use its xn-- form)";
        if (forbidden_domain_char(c))
            return "invalid character in host";
        dom[n++] = (char)tolower(c);
    }
    if (ends_in_number(dom, n)) {
        char text[16];
        if (ipv4_parse(dom, n, &v4) != 0)
            return "invalid IPv4 address";
        snprintf(text, sizeof text, "%u.%u.%u.%u", (unsigned)(v4 >> 24), (unsigned)(v4 >> 16) & 255,
                 (unsigned)(v4 >> 8) & 255, (unsigned)v4 & 255);
        awps__sb_str(b, text);
        return NULL;
    }
    awps__sb_add(b, dom, n);
    return NULL;
}

/* ---- paths ---- */

static int is_dot(const char *s, size_t n)
{
    return (n == 1 && s[0] == '.') || (n == 3 && awps__strncaseeq(s, "%2e", 3));
}

static int is_dotdot(const char *s, size_t n)
{
    return (n == 2 && s[0] == '.' && s[1] == '.') ||
           (n == 4 && (awps__strncaseeq(s, ".%2e", 4) || awps__strncaseeq(s, "%2e.", 4))) ||
           (n == 6 && awps__strncaseeq(s, "%2e%2e", 6));
}

/* Drop the last segment of the serialised path in b, from offset `start`. */
static void path_shorten(awps__sb *b, size_t start)
{
    if (b->err || b->len <= start)
        return;
    while (b->len > start && b->p[b->len - 1] != '/')
        b->len--;
    if (b->len > start)
        b->len--;  /* the '/' before the segment */
    b->p[b->len] = '\0';
}

static void path_segment(awps__sb *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";

    awps__sb_chr(b, '/');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7E || strchr(" \"#<>?`{}", c)) {
            char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
            awps__sb_add(b, enc, 3);
        } else {
            awps__sb_chr(b, (char)c);
        }
    }
}

/* Serialise the path [s, e) (after the authority) into b. */
static void path_parse(const char *s, const char *e, awps__sb *b)
{
    size_t start = b->len;
    const char *p = s;

    if (p < e && (*p == '/' || *p == '\\'))
        p++;
    for (;;) {
        const char *q = p;
        while (q < e && *q != '/' && *q != '\\')
            q++;
        size_t n = (size_t)(q - p);
        int more = q < e;
        if (is_dotdot(p, n)) {
            path_shorten(b, start);
            if (!more)
                awps__sb_chr(b, '/');
        } else if (is_dot(p, n)) {
            if (!more)
                awps__sb_chr(b, '/');
        } else {
            path_segment(b, p, n);
        }
        if (!more)
            break;
        p = q + 1;
    }
    if (b->len == start)
        awps__sb_chr(b, '/');
}

/* ---- URLs ---- */

/* WHATWG port setter value: the leading digits; -1 (ignore) when none or
 * out of range, -2 for the empty string (remove the port). */
static long port_setter_value(const char *t)
{
    long v = 0;
    int digits = 0;

    if (!*t)
        return -2;
    for (; *t; t++) {
        if (*t == '\t' || *t == '\n' || *t == '\r')
            continue;
        if (!isdigit((unsigned char)*t))
            break;
        if (v <= 65535)
            v = v * 10 + (*t - '0');
        digits++;
    }
    if (!digits)
        return -1;
    return v > 65535 ? -1 : v;
}

int awps__url_normalise(const char *url, const char *port_text, int origin_only, char **out,
                        char *why, size_t why_len)
{
    char in[AWPS__URL_MAX + 1];
    const char *reason = NULL;
    awps__sb b = {.max = SIZE_MAX};
    size_t n = 0, len;
    long port = -1, def;

    *out = NULL;
    if (!url || strlen(url) > AWPS__URL_MAX) {
        reason = "too long";
        goto bad;
    }
    /* strip leading/trailing C0 controls and spaces, drop tabs and newlines */
    while (*url && (unsigned char)*url <= 0x20)
        url++;
    for (const char *p = url; *p; p++)
        if (*p != '\t' && *p != '\n' && *p != '\r')
            in[n++] = *p;
    while (n && (unsigned char)in[n - 1] <= 0x20)
        n--;
    in[n] = '\0';

    const char *p = in;
    if (!isalpha((unsigned char)*p)) {
        reason = "no scheme";
        goto bad;
    }
    while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
        p++;
    if (*p != ':') {
        reason = "no scheme";
        goto bad;
    }
    len = (size_t)(p - in);
    if (len == 4 && awps__strncaseeq(in, "http", 4)) {
        awps__sb_str(&b, "http://");
        def = 80;
    } else if (len == 5 && awps__strncaseeq(in, "https", 5)) {
        awps__sb_str(&b, "https://");
        def = 443;
    } else {
        reason = "the scheme must be http or https";
        goto bad;
    }
    p++;
    while (*p == '/' || *p == '\\')
        p++;
    const char *auth = p, *auth_end = p + strcspn(p, "/\\?#");
    const char *rest_end = auth_end + strcspn(auth_end, "?#");
    if (origin_only)
        rest_end = auth_end;
    else if (*rest_end) {
        reason = "a query or fragment is not allowed";
        goto bad;
    }
    if (memchr(auth, '@', (size_t)(auth_end - auth))) {
        reason = "credentials are not allowed";
        goto bad;
    }
    const char *host_end = auth;
    if (*auth == '[') {
        host_end = memchr(auth, ']', (size_t)(auth_end - auth));
        host_end = host_end ? host_end + 1 : auth_end;
    }
    while (host_end < auth_end && *host_end != ':')
        host_end++;
    if (host_end < auth_end) {  /* ":port": digits only, may be empty */
        const char *d = host_end + 1;
        if (d < auth_end)
            port = 0;
        for (; d < auth_end; d++) {
            if (!isdigit((unsigned char)*d)) {
                reason = "invalid port";
                goto bad;
            }
            port = port * 10 + (*d - '0');
            if (port > 65535) {
                reason = "port out of range";
                goto bad;
            }
        }
    }
    reason = host_parse(auth, host_end, &b);
    if (reason)
        goto bad;
    if (port_text) {
        long v = port_setter_value(port_text);
        if (v == -2)
            port = -1;
        else if (v >= 0)
            port = v;
    }
    if (port >= 0 && port != def) {
        char num[24];
        snprintf(num, sizeof num, ":%ld", port);
        awps__sb_str(&b, num);
    }
    if (!origin_only)
        path_parse(auth_end, rest_end, &b);
    if (b.err) {
        free(b.p);
        return AWPS_E_NOMEM;
    }
    if (strlen(b.p) > AWPS__URL_MAX) {  /* percent-encoding can triple the input */
        free(b.p);
        b.p = NULL;
        reason = "too long once normalised";
        goto bad;
    }
    *out = b.p;
    return AWPS_OK;

bad:
    free(b.p);
    if (why && why_len)
        snprintf(why, why_len, "%s", reason);
    return AWPS_E_URL;
}

/* ---- connection strings ---- */

enum { K_OTHER, K_ENDPOINT, K_ACCESSKEY, K_PORT };

/* Which key [s, s+n) is, after JavaScript toLowerCase(): ASCII letters and the
 * Kelvin sign (U+212A, which lower-cases to 'k'). */
static int key_kind(const char *s, size_t n)
{
    static const char *const names[] = {"endpoint", "accesskey", "port"};
    char low[16];
    size_t m = 0;

    for (size_t i = 0; i < n; i++) {
        if (m == sizeof low)
            return K_OTHER;
        if (n - i >= 3 && memcmp(s + i, "\xE2\x84\xAA", 3) == 0) {
            low[m++] = 'k';
            i += 2;
        } else {
            low[m++] = (char)tolower((unsigned char)s[i]);
        }
    }
    for (int k = 0; k < 3; k++)
        if (strlen(names[k]) == m && memcmp(names[k], low, m) == 0)
            return k + 1;
    return K_OTHER;
}

static void free_secret(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

int awps_connection_string_parse(const char *connection_string, char **endpoint,
                                 char **access_key, awps_service_error *err)
{
    const char *val[4] = {NULL};
    size_t val_len[4] = {0};
    char *ep = NULL, *key = NULL, *port = NULL, *url = NULL;
    char why[160];
    int rc;

    if (endpoint)
        *endpoint = NULL;
    if (access_key)
        *access_key = NULL;
    if (!connection_string)
        return awps__service_fail(err, AWPS_E_INVALID, 0, NULL, "connection string is NULL");
    if (strlen(connection_string) > AWPS__CONNSTR_MAX)
        return awps__service_fail(err, AWPS_E_CONNSTR, 0, NULL,
                                  "connection string longer than %d bytes", AWPS__CONNSTR_MAX);

    for (const char *p = connection_string;;) {
        const char *semi = strchr(p, ';');
        const char *end = semi ? semi : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (eq) {
            int k = key_kind(p, (size_t)(eq - p));
            if (k != K_OTHER) {  /* later duplicates win */
                val[k] = eq + 1;
                val_len[k] = (size_t)(end - eq - 1);
            }
        }
        if (!semi)
            break;
        p = semi + 1;
    }
    if (!val[K_ENDPOINT] || val_len[K_ENDPOINT] == 0)
        return awps__service_fail(err, AWPS_E_CONNSTR, 0, NULL,
                                  "connection string missing endpoint");
    if (!val[K_ACCESSKEY] || val_len[K_ACCESSKEY] == 0)
        return awps__service_fail(err, AWPS_E_CONNSTR, 0, NULL,
                                  "connection string missing access key");

    /* JavaScript startsWith("http"): case-sensitive */
    int prefix = val_len[K_ENDPOINT] < 4 || memcmp(val[K_ENDPOINT], "http", 4) != 0;
    ep = malloc(val_len[K_ENDPOINT] + 9);
    key = awps__strndup(val[K_ACCESSKEY], val_len[K_ACCESSKEY]);
    if (val[K_PORT])
        port = awps__strndup(val[K_PORT], val_len[K_PORT]);
    if (!ep || !key || (val[K_PORT] && !port)) {
        rc = awps__service_fail(err, AWPS_E_NOMEM, 0, NULL, "out of memory");
        goto out;
    }
    snprintf(ep, val_len[K_ENDPOINT] + 9, "%s%.*s", prefix ? "https://" : "",
             (int)val_len[K_ENDPOINT], val[K_ENDPOINT]);
    rc = awps__url_normalise(ep, port, 0, &url, why, sizeof why);
    if (rc == AWPS_E_URL) {
        rc = awps__service_fail(err, AWPS_E_CONNSTR, 0, NULL, "invalid endpoint URL \"%.200s\": %s",
                                ep, why);
        goto out;
    }
    if (rc != AWPS_OK) {
        rc = awps__service_fail(err, rc, 0, NULL, "out of memory");
        goto out;
    }
    if (endpoint) {
        *endpoint = url;
        url = NULL;
    }
    if (access_key) {
        *access_key = key;
        key = NULL;
    }
    rc = AWPS_OK;
out:
    free(ep);
    free(port);
    free(url);
    free_secret(key);
    return rc;
}
