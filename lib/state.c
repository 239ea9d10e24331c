/* ce-connectionState: base64 of a JSON object, decoded leniently (anything
 * invalid is an empty state) and encoded with standard base64 and padding. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

json_t *awps__state_decode(const char *header)
{
    unsigned char *raw;
    size_t len;
    json_t *obj = NULL;

    if (header && *header && (raw = awps__b64_decode(header, &len)) != NULL) {
        obj = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL);
        free(raw);
        if (obj && !json_is_object(obj)) {
            json_decref(obj);
            obj = NULL;
        }
    }
    return obj ? obj : json_object();
}

char *awps__state_encode(const json_t *states)
{
    char *text = json_dumps(states, JSON_COMPACT);
    char *out;

    if (!text)
        return NULL;
    out = awps__b64_encode(text, strlen(text));
    free(text);
    return out;
}
