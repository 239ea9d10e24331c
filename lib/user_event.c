/* User events: the data type from Content-Type (text/plain → text,
 * application/json → JSON, anything else → binary) and the data itself. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* Compare the media type (up to ';', trimmed) with `want`, ignoring case. */
static int media_is(const char *ct, const char *want)
{
    size_t n = strlen(want);

    if (!ct)
        return 0;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, want, n) != 0)
        return 0;
    ct += n;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    return *ct == '\0' || *ct == ';';
}

int awps__user_parse(awps_event *ev, char *body, size_t len, awps__why *why)
{
    json_error_t err;

    ev->data = body;
    ev->data_len = len;
    if (media_is(ev->content_type, "text/plain")) {
        if (!awps__utf8_valid(body, len)) {
            awps__why_set(why, "text/plain data is not valid UTF-8");
            return -1;
        }
        ev->data_type = AWPS_DATA_TEXT;
    } else if (media_is(ev->content_type, "application/json")) {
        ev->json = json_loadb(body ? body : "", len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
                              &err);
        if (!ev->json) {
            awps__why_set(why, "application/json data is not valid JSON: %s", err.text);
            return -1;
        }
        ev->data_type = AWPS_DATA_JSON;
    } else {
        ev->data_type = AWPS_DATA_BINARY;
    }
    return 0;
}

const char *awps__user_content_type(awps_data_type type)
{
    switch (type) {
    case AWPS_DATA_TEXT: return "text/plain; charset=utf-8";
    case AWPS_DATA_JSON: return "application/json; charset=utf-8";
    default: return "application/octet-stream";
    }
}
