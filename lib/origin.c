/* Abuse protection: allowed endpoints reduced to host[:port], matched
 * exactly (case-insensitive) against every origin in WebHook-Request-Origin. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

static int host_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_';
}

char *awps__url_host(const char *url)
{
    const char *p, *host, *host_end, *end;
    unsigned long port = 0;
    int default_port = 0;
    size_t scheme_len;

    if (!url || !isalpha((unsigned char)url[0]))
        return NULL;
    for (p = url; isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.'; p++)
        ;
    if (strncmp(p, "://", 3) != 0)
        return NULL;
    scheme_len = (size_t)(p - url);
    host = p + 3;
    end = host + strcspn(host, "/?#");
    /* drop user:password@ */
    for (const char *q = host; q < end; q++)
        if (*q == '@')
            host = q + 1;
    if (host < end && *host == '[') {
        host_end = memchr(host, ']', (size_t)(end - host));
        if (!host_end || host_end == host + 1)
            return NULL;
        for (const char *q = host + 1; q < host_end; q++)
            if (!isxdigit((unsigned char)*q) && *q != ':' && *q != '.')
                return NULL;
        host_end++;
    } else {
        host_end = host;
        while (host_end < end && host_char(*host_end))
            host_end++;
        if (host_end == host)
            return NULL;
    }
    if (host_end < end) {
        if (*host_end != ':')
            return NULL;
        const char *d = host_end + 1;
        if (d == end)
            return NULL;
        for (; d < end; d++) {
            if (!isdigit((unsigned char)*d))
                return NULL;
            port = port * 10 + (unsigned long)(*d - '0');
            if (port > 65535)
                return NULL;
        }
        if ((scheme_len == 5 && strncasecmp(url, "https", 5) == 0 && port == 443) ||
            (scheme_len == 4 && strncasecmp(url, "http", 4) == 0 && port == 80) ||
            (scheme_len == 3 && strncasecmp(url, "wss", 3) == 0 && port == 443) ||
            (scheme_len == 2 && strncasecmp(url, "ws", 2) == 0 && port == 80))
            default_port = 1;
    }
    size_t hlen = (size_t)(host_end - host);
    char *out = malloc(hlen + 7);  /* ":65535" and the NUL */
    if (!out)
        return NULL;
    for (size_t i = 0; i < hlen; i++)
        out[i] = (char)tolower((unsigned char)host[i]);
    out[hlen] = '\0';
    if (host_end < end && !default_port)  /* the number, so ":08443" is ":8443" */
        snprintf(out + hlen, 7, ":%lu", port);
    return out;
}

int awps__origin_allowed(const char *header, char *const *allowed, size_t n)
{
    const char *p = header;

    while (p && *p) {
        const char *comma = strchr(p, ',');
        const char *e = comma ? comma : p + strlen(p);
        const char *s = p;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        const char *t = e;
        while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
            t--;
        size_t len = (size_t)(t - s);
        for (size_t i = 0; len && i < n; i++)
            if (strlen(allowed[i]) == len && strncasecmp(allowed[i], s, len) == 0)
                return 1;
        p = comma ? comma + 1 : NULL;
    }
    return 0;
}
