/* CloudEvents binary-mode headers: which ones the protocol reads, duplicate
 * detection, ce-type classification and MQTT detection. Pure functions. */
#include <string.h>
#include <strings.h>

#include "internal.h"

static const char *const names[AWPS__H_COUNT] = {
    [AWPS__H_AWPSVERSION] = "ce-awpsversion",
    [AWPS__H_TYPE] = "ce-type",
    [AWPS__H_HUB] = "ce-hub",
    [AWPS__H_CONNECTION_ID] = "ce-connectionId",
    [AWPS__H_USER_ID] = "ce-userId",
    [AWPS__H_EVENT_NAME] = "ce-eventName",
    [AWPS__H_SIGNATURE] = "ce-signature",
    [AWPS__H_STATE] = "ce-connectionState",
    [AWPS__H_SUBPROTOCOL] = "ce-subprotocol",
    [AWPS__H_PHYSICAL_ID] = "ce-physicalConnectionId",
    [AWPS__H_SESSION_ID] = "ce-sessionId",
    [AWPS__H_ORIGIN] = "WebHook-Request-Origin",
    [AWPS__H_CONTENT_TYPE] = "Content-Type",
};

const char *awps__head_name(enum awps__hdr which)
{
    return (unsigned)which < AWPS__H_COUNT ? names[which] : "?";
}

void awps__head_init(awps__head *hd)
{
    memset(hd, 0, sizeof *hd);
}

static int lookup(const char *name)
{
    /* Cheap first-letter filter: only ce-*, webhook-* and content-type matter. */
    char c = name[0];
    if (c != 'c' && c != 'C' && c != 'w' && c != 'W')
        return -1;
    if (c == 'c' || c == 'C') {  /* ce-* or content-type: skip the others fast */
        char c1 = name[1];
        if (c1 != 'e' && c1 != 'E' && c1 != 'o' && c1 != 'O')
            return -1;
    }
    for (int i = 0; i < AWPS__H_COUNT; i++)
        if (strcasecmp(name, names[i]) == 0)
            return i;
    return -1;
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
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c == 0)
            return "a NUL byte";
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return "a control byte";
    }
    return awps__utf8_valid(value, len) ? NULL : "bytes that are not UTF-8";
}

void awps__head_add_n(awps__head *hd, const char *name, const char *value, size_t len)
{
    const char *why;
    int i;

    if (!name || !value)
        return;
    if ((i = lookup(name)) < 0 && strncasecmp(name, "ce-", 3) != 0)
        return;
    if (!hd->bad && (why = bad_value(value, len))) {
        hd->bad = i < 0 ? name : names[i];
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
        hd->conflict = names[i];
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
