/* CloudEvents binary-mode headers: which ones the protocol reads, duplicate
 * detection, ce-type classification and MQTT detection. Pure functions. */
#include <string.h>
#include <strings.h>

#include "internal.h"

/* each name as written, its length, and in lower case */
#define NAME(s, lc) {s, sizeof s - 1, lc}

static const struct {
    const char *text;
    size_t len;
    const char *lc;
} names[AWPS__H_COUNT] = {
    [AWPS__H_AWPSVERSION] = NAME("ce-awpsversion", "ce-awpsversion"),
    [AWPS__H_TYPE] = NAME("ce-type", "ce-type"),
    [AWPS__H_HUB] = NAME("ce-hub", "ce-hub"),
    [AWPS__H_CONNECTION_ID] = NAME("ce-connectionId", "ce-connectionid"),
    [AWPS__H_USER_ID] = NAME("ce-userId", "ce-userid"),
    [AWPS__H_EVENT_NAME] = NAME("ce-eventName", "ce-eventname"),
    [AWPS__H_SIGNATURE] = NAME("ce-signature", "ce-signature"),
    [AWPS__H_STATE] = NAME("ce-connectionState", "ce-connectionstate"),
    [AWPS__H_SUBPROTOCOL] = NAME("ce-subprotocol", "ce-subprotocol"),
    [AWPS__H_PHYSICAL_ID] = NAME("ce-physicalConnectionId", "ce-physicalconnectionid"),
    [AWPS__H_SESSION_ID] = NAME("ce-sessionId", "ce-sessionid"),
    [AWPS__H_ORIGIN] = NAME("WebHook-Request-Origin", "webhook-request-origin"),
    [AWPS__H_CONTENT_TYPE] = NAME("Content-Type", "content-type"),
};

const char *awps__head_name(enum awps__hdr which)
{
    return (unsigned)which < AWPS__H_COUNT ? names[which].text : "?";
}

void awps__head_init(awps__head *hd)
{
    memset(hd, 0, sizeof *hd);
}

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* ASCII case-insensitive equality of n bytes with `lc`, in lower case. */
static int caseeq_n(const char *a, const char *lc, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)a[i]) != (unsigned char)lc[i])
            return 0;
    return 1;
}

/* The index of a header the protocol reads, or -1. Every request carries
 * a dozen or more headers: the length and, among names of equal length, the
 * sixth byte pick the one candidate, compared in full. */
static int lookup(const char *name, size_t len)
{
    int i;

    switch (len) {
    case 6: i = AWPS__H_HUB; break;
    case 7: i = AWPS__H_TYPE; break;
    case 9: i = AWPS__H_USER_ID; break;
    case 12:
        switch (lower((unsigned char)name[5])) {
        case 'e': i = AWPS__H_EVENT_NAME; break;    /* ce-evEntName */
        case 'g': i = AWPS__H_SIGNATURE; break;     /* ce-siGnature */
        case 's': i = AWPS__H_SESSION_ID; break;    /* ce-seSsionId */
        case 'n': i = AWPS__H_CONTENT_TYPE; break;  /* ConteNt-Type */
        default: return -1;
        }
        break;
    case 14:
        switch (lower((unsigned char)name[5])) {
        case 'p': i = AWPS__H_AWPSVERSION; break;   /* ce-awPsversion */
        case 'b': i = AWPS__H_SUBPROTOCOL; break;   /* ce-suBprotocol */
        default: return -1;
        }
        break;
    case 15: i = AWPS__H_CONNECTION_ID; break;
    case 18: i = AWPS__H_STATE; break;
    case 22: i = AWPS__H_ORIGIN; break;
    case 23: i = AWPS__H_PHYSICAL_ID; break;
    default: return -1;
    }
    return names[i].len == len && caseeq_n(name, names[i].lc, len) ? i : -1;
}

/* A ce-* header the protocol does not read: only checked for duplicates. */
static void add_extra(awps__head *hd, const char *name, const char *value)
{
    for (size_t k = 0; k < hd->n_extra; k++) {
        if (strcasecmp(hd->extra_name[k], name) == 0) {
            if (strcmp(hd->extra_value[k], value) != 0 && !hd->conflict)
                hd->conflict = name;
            return;
        }
    }
    if (hd->n_extra < AWPS__HEAD_EXTRA) {
        hd->extra_name[hd->n_extra] = name;
        hd->extra_value[hd->n_extra++] = value;
    } else {
        hd->extra_overflow = 1;  /* a duplicate could no longer be seen */
    }
}

/* Why a value of `len` bytes is refused (NUL, other control bytes but
 * HTAB, DEL, bytes that are not UTF-8), or NULL when it is fine. */
static const char *bad_value(const char *value, size_t len)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    int high = 0;
    size_t i = 0;

    /* eight bytes at a time while none is below 0x20, 0x7f or above */
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, value + i, 8);
        uint64_t del = w ^ (0x7f * ones);
        if (((w - 0x20 * ones) | (del - ones) | w) & highs)
            break;
    }
    for (; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c >= 0x20 && c != 0x7f) {
            high |= c & 0x80;
            continue;
        }
        if (c == 0)
            return "a NUL byte";
        if (c != '\t')
            return "a control byte";
    }
    /* plain ASCII (nearly every value) needs no UTF-8 check */
    return !high || awps__utf8_valid(value, len) ? NULL : "bytes that are not UTF-8";
}

void awps__head_add_n(awps__head *hd, const char *name, const char *value, size_t len)
{
    const char *why;
    size_t nlen;
    int i;

    if (!name || !value)
        return;
    nlen = strlen(name);
    if ((i = lookup(name, nlen)) < 0 && (nlen < 3 || !caseeq_n(name, "ce-", 3))) {
        /* Not read by the protocol, so not checked, except for a NUL byte
         * (RFC 9110 5.5), which a value's length marks by ending on it:
         * a negotiate callback or the application might read the header
         * and see only the part before it. */
        if (!hd->bad && len && value[len - 1] == '\0') {
            hd->bad = name;
            hd->bad_why = "a NUL byte";
        }
        return;
    }
    if (!hd->bad && (why = bad_value(value, len))) {
        hd->bad = i < 0 ? name : names[i].text;
        hd->bad_why = why;
    }
    if (i < 0) {
        add_extra(hd, name, value);
        return;
    }
    if (!hd->v[i]) {
        hd->v[i] = value;
    } else if (strcmp(hd->v[i], value) == 0) {
        /* the same value twice is harmless */
    } else if (i == AWPS__H_ORIGIN) {
        /* several origin lines form one list (custom domains, replicas) */
        if (hd->n_origins < AWPS__HEAD_ORIGINS)
            hd->origins[hd->n_origins++] = value;
    } else if (!hd->conflict) {
        hd->conflict = names[i].text;
    }
}

void awps__head_add(awps__head *hd, const char *name, const char *value)
{
    if (value)
        awps__head_add_n(hd, name, value, strlen(value));
}

#define PREFIX "azure.webpubsub."
#define PREFIX_LEN (sizeof PREFIX - 1)

awps__kind awps__classify(const char *t)
{
    if (!t || strncmp(t, PREFIX, PREFIX_LEN) != 0)
        return AWPS__K_NONE;
    t += PREFIX_LEN;
    if (strncmp(t, "user.", 5) == 0)
        return AWPS__K_USER;
    if (strcmp(t, "sys.connect") == 0)
        return AWPS__K_CONNECT;
    if (strcmp(t, "sys.connected") == 0)
        return AWPS__K_CONNECTED;
    if (strcmp(t, "sys.disconnected") == 0)
        return AWPS__K_DISCONNECTED;
    if (strcmp(t, "gp.joined") == 0)
        return AWPS__K_JOINED;
    if (strcmp(t, "gp.left") == 0)
        return AWPS__K_LEFT;
    return AWPS__K_NONE;
}

int awps__is_mqtt(const awps__head *hd)
{
    const char *sp = hd->v[AWPS__H_SUBPROTOCOL];
    if (!sp || !hd->v[AWPS__H_PHYSICAL_ID])
        return 0;
    for (; *sp; sp++)
        if (strncasecmp(sp, "mqtt", 4) == 0)
            return 1;
    return 0;
}

const char *awps__event_name(const awps__head *hd, awps__kind kind)
{
    const char *t = hd->v[AWPS__H_TYPE];

    if (hd->v[AWPS__H_EVENT_NAME] && hd->v[AWPS__H_EVENT_NAME][0])
        return hd->v[AWPS__H_EVENT_NAME];
    switch (kind) {
    case AWPS__K_CONNECT: return "connect";
    case AWPS__K_CONNECTED: return "connected";
    case AWPS__K_DISCONNECTED: return "disconnected";
    case AWPS__K_JOINED: return "joined";
    case AWPS__K_LEFT: return "left";
    case AWPS__K_USER: return t + PREFIX_LEN + 5;
    default: return "";
    }
}
