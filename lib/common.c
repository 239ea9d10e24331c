/* Error strings, version, logging and small helpers shared by the library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "internal.h"

static const char *const code_text[] = {
    [AWPS_OK] = "success",
    [AWPS_E_INVALID] = "invalid argument",
    [AWPS_E_NOMEM] = "out of memory",
    [AWPS_E_DONE] = "reply already completed",
    [AWPS_E_WRONG_EVENT] = "not applicable to this event type",
    [AWPS_E_NOT_FOUND] = "not found",
    [AWPS_E_URL] = "invalid URL",
    [AWPS_E_BUSY] = "busy: already in use or running",
    [AWPS_E_SYSTEM] = "system call failed",
    [AWPS_E_HTTPD] = "the HTTP server could not start",
    [AWPS_E_NOT_RUNNING] = "the server is not running",
    [AWPS_E_TOO_LARGE] = "value too large",
    [AWPS_E_CONNSTR] = "invalid connection string",
    [AWPS_E_HTTP] = "the service answered with an error",
    [AWPS_E_TRANSPORT] = "the service could not be reached",
    [AWPS_E_TOKEN] = "a token could not be signed",
};

const char *awps_strerror(int code)
{
    if (code == AWPS_DECLINED)
        return "request declined: not for this handler";
    if (code < 0 || code >= AWPS_E_LAST_ || !code_text[code])
        return "unknown error code";
    return code_text[code];
}

const char *awps_version(void)
{
    return PACKAGE_VERSION;
}

void awps__log_init(awps__log *log)
{
    log->cb = NULL;
    log->data = NULL;
    log->max = AWPS_LOG_WARN;
}

void awps__logf(const awps__log *log, awps_log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    char msg[512];
    va_list ap;

    if (level > log->max)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (log->cb)
        log->cb(log->data, level, msg);
    else
        fprintf(stderr, "libawps %s: %s\n", names[level], msg);
}

char *awps__strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *awps__strdup(const char *s)
{
    return s ? awps__strndup(s, strlen(s)) : NULL;
}

static unsigned char ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* ASCII case folding: the same under every locale (and no call per byte). */
int awps__strncaseeq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
            return 0;
        if (!a[i])
            return 1;
    }
    return 1;
}

int awps__strcaseeq(const char *a, const char *b)
{
    size_t la = strlen(a);
    return la == strlen(b) && awps__strncaseeq(a, b, la);
}

uint64_t awps__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

char *awps__b64_encode(const void *data, size_t len)
{
    if (len > (SIZE_MAX / 4) * 3 - 3 || len > INT32_MAX)
        return NULL;
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (!out)
        return NULL;
    EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

unsigned char *awps__b64_decode(const char *text, size_t *out_len)
{
    size_t n = strlen(text);
    unsigned char *out = malloc(n / 4 * 3 + 4);
    uint32_t acc = 0;
    size_t bits = 0, o = 0;
    int padding = 0;

    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (c == '=') {
            padding = 1;
            continue;
        }
        int v = b64_value(c);
        if (v < 0 || padding) {  /* junk, or data after padding */
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
    if (bits >= 6) {  /* a lone trailing character cannot encode a byte */
        free(out);
        return NULL;
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

int awps__utf8_valid(const void *data, size_t len)
{
    const unsigned char *s = data;
    size_t i = 0;

    while (i < len) {
        unsigned char c = s[i];
        size_t need;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (len - i <= need)
            return 0;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += need + 1;
    }
    return 1;
}

void awps__sb_add(awps__sb *b, const char *s, size_t n)
{
    if (b->err)
        return;
    if (n > b->max - b->len) {
        b->err = AWPS_E_TOO_LARGE;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->err = AWPS_E_NOMEM;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void awps__sb_str(awps__sb *b, const char *s)
{
    awps__sb_add(b, s, strlen(s));
}

void awps__sb_chr(awps__sb *b, char c)
{
    awps__sb_add(b, &c, 1);
}

void awps__sb_json(awps__sb *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const char *run = s;

    awps__sb_chr(b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        const char *esc = NULL;
        char u[7];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        awps__sb_add(b, run, (size_t)(s - run));
        run = s + 1;
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            memcpy(u, "\\u00", 4);
            u[4] = hex[c >> 4];
            u[5] = hex[c & 15];
            u[6] = '\0';
            esc = u;
        }
        awps__sb_str(b, esc);
    }
    awps__sb_add(b, run, (size_t)(s - run));
    awps__sb_chr(b, '"');
}
