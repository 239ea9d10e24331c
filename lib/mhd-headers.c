/* What the libmicrohttpd glue (mhd.c) reads from a request's header block
 * on its first call, beyond what libmicrohttpd 0.9.75 checks itself: the
 * headers for the protocol core, with NUL bytes inside values detected, and
 * the message framing that HTTP/1.1 forbids. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* Collecting the headers. libmicrohttpd 0.9.75 ends a header value at a NUL
 * byte and reports only the part before it (value_size is its strlen). Its
 * values point into the received header block, where the NUL written over
 * the line's terminator is followed by the rest of the line ending, by the
 * blank line, or by the next header line. After a NUL inside the value,
 * the next byte is the hidden rest of the value instead: such a header is
 * fed with the NUL counted, so that it is refused. */
struct collect {
    awps__head *hd;
    const char *name, *value;   /* the previous header, fed once the next is seen */
    size_t len;
};

static void feed(struct collect *k, const char *next_key)
{
    const char *after;

    if (!k->name || !k->value)
        return;
    /* (an empty value is not looked past: it reads as empty in any case) */
    after = k->value + k->len + 1;
    if (k->len && k->value[k->len] == '\0' && after != next_key && *after != '\0' &&
        *after != '\r' && *after != '\n' && *after != ' ' && *after != '\t')
        k->len++;  /* count the NUL: the value holds one */
    awps__head_add_n(k->hd, k->name, k->value, k->len);
}

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key,
                               size_t key_size, const char *value, size_t value_size)
{
    struct collect *k = cls;

    (void)kind;
    (void)key_size;
    feed(k, key);
    k->name = key;
    k->value = value;
    k->len = value_size;
    return MHD_YES;
}

/* ---- message framing (RFC 9112 5.1, 6.1, 6.3) ----
 * libmicrohttpd 0.9.75 takes the first of several Content-Length lines,
 * prefers chunked over a Content-Length, waits for a body it cannot delimit
 * when the transfer coding is not plain chunked, and passes header names
 * with whitespace before the colon on. */

struct framing {
    unsigned n_cl, n_te;
    const char *cl, *te;      /* the first Content-Length, the last Transfer-Encoding */
    int cl_differ, bad_name;
};

static int is_tchar(unsigned char c)
{
    /* RFC 9110 5.6.2: ALPHA, DIGIT and !#$%&'*+-.^_`|~ ; a bit per byte */
    static const uint32_t bits[8] = {0, 0x03ff6cfa, 0xc7fffffe, 0x57ffffff, 0, 0, 0, 0};
    return (bits[c >> 5] >> (c & 31)) & 1;
}

static enum MHD_Result scan_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                    size_t key_size, const char *value, size_t value_size)
{
    struct framing *f = cls;
    int tchars = key_size != 0;

    (void)kind;
    (void)value_size;
    for (size_t i = 0; i < key_size; i++)
        tchars &= is_tchar((unsigned char)key[i]);
    f->bad_name |= !tchars;
    if (!value)
        return MHD_YES;
    if (key_size == sizeof MHD_HTTP_HEADER_CONTENT_LENGTH - 1 &&
        strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        if (f->n_cl++ && strcmp(f->cl, value) != 0)
            f->cl_differ = 1;
        else if (!f->cl)
            f->cl = value;
    } else if (key_size == sizeof MHD_HTTP_HEADER_TRANSFER_ENCODING - 1 &&
               strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        f->n_te++;
        f->te = value;
    }
    return MHD_YES;
}

/* The last coding of a Transfer-Encoding value is "chunked". */
static int ends_in_chunked(const char *te)
{
    const char *comma = strrchr(te, ',');
    const char *p = comma ? comma + 1 : te;
    size_t n;

    while (*p == ' ' || *p == '\t')
        p++;
    n = strlen(p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    return n == 7 && strncasecmp(p, "chunked", 7) == 0;
}

/* 0, or the status of framing HTTP/1.1 forbids, with the reason. */
static unsigned framing_error(const struct framing *f, char *why, size_t len)
{
    if (f->bad_name) {
        snprintf(why, len, "a header name holds whitespace or another byte not allowed there");
        return 400;
    }
    if (f->cl_differ) {
        snprintf(why, len, "the request has Content-Length headers with different values");
        return 400;
    }
    if (f->n_te && f->n_cl) {
        snprintf(why, len, "the request has both Content-Length and Transfer-Encoding");
        return 400;
    }
    if (f->n_te && !ends_in_chunked(f->te)) {
        snprintf(why, len, "the Transfer-Encoding does not end in chunked: the body length "
                           "cannot be determined");
        return 400;
    }
    if (f->n_te > 1 || (f->te && strcasecmp(f->te, "chunked") != 0)) {
        snprintf(why, len, "only the chunked transfer coding is implemented");
        return 501;
    }
    return 0;
}

/* The announced body length: the Content-Length value, 0 without one (a
 * request without Content-Length or Transfer-Encoding has no body, RFC 9112
 * 6.3), UINT64_MAX with a transfer coding, UINT64_MAX - 1 when absurdly
 * large. */
static uint64_t content_length(const struct framing *f)
{
    uint64_t n = 0;

    if (f->n_te)
        return UINT64_MAX;
    if (!f->cl)
        return 0;
    for (const char *v = f->cl; *v >= '0' && *v <= '9'; v++) {
        if (n > (UINT64_MAX - 9) / 10)
            return UINT64_MAX - 1;  /* over any cap */
        n = n * 10 + (uint64_t)(*v - '0');
    }
    return n;
}

struct scan {
    struct framing f;
    struct collect k;
    size_t pool;                /* the header block's share of the pool */
};

static enum MHD_Result scan_one(void *cls, enum MHD_ValueKind kind, const char *key,
                                size_t key_size, const char *value, size_t value_size)
{
    struct scan *s = cls;

    s->pool += key_size + value_size + 4 + AWPS__POOL_PER_HEADER;  /* "k: v\r\n" */
    scan_framing(&s->f, kind, key, key_size, value, value_size);
    return collect(&s->k, kind, key, key_size, value, value_size);
}

unsigned awps__mhd_read_head(struct MHD_Connection *c, awps__head *hd, uint64_t *clen,
                             size_t *pool, char *why, size_t len)
{
    struct scan s = {.k = {hd, NULL, NULL, 0}};

    MHD_get_connection_values_n(c, MHD_HEADER_KIND, scan_one, &s);
    feed(&s.k, NULL);
    *clen = content_length(&s.f);
    *pool = s.pool + 2;  /* the blank line */
    return framing_error(&s.f, why, len);
}
