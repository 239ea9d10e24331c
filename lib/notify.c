/* Notifications: connected, disconnected, group joined and group left.
 * Validates their JSON bodies; the service is answered 200 regardless of
 * what the callback does. */
#include <stdlib.h>

#include "internal.h"

static int check_disconnect_mqtt(json_t *m, awps__why *why)
{
    json_t *v, *pkt;

    if (!json_is_object(m)) {
        awps__why_set(why, "\"mqtt\" must be a JSON object");
        return 0;
    }
    v = json_object_get(m, "initiatedByClient");
    if (v && !json_is_boolean(v) && !json_is_null(v)) {
        awps__why_set(why, "\"mqtt.initiatedByClient\" must be a boolean");
        return 0;
    }
    pkt = json_object_get(m, "disconnectPacket");
    if (!pkt || json_is_null(pkt))
        return 1;
    if (!json_is_object(pkt)) {
        awps__why_set(why, "\"mqtt.disconnectPacket\" must be an object or null");
        return 0;
    }
    v = json_object_get(pkt, "code");
    if (v && (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 255)) {
        awps__why_set(why, "\"mqtt.disconnectPacket.code\" must be an integer from 0 to 255");
        return 0;
    }
    v = json_object_get(pkt, "userProperties");
    if (v && !awps__check_user_properties(v)) {
        awps__why_set(why, "\"mqtt.disconnectPacket.userProperties\" must be an array of "
                           "{\"name\",\"value\"} strings");
        return 0;
    }
    return 1;
}

/* An optional string member: absent or null → NULL, string → value. */
static int opt_string(awps_event *ev, const char *key, const char **out, awps__why *why)
{
    json_t *v = json_object_get(ev->body, key);

    if (!v || json_is_null(v))
        return 1;
    if (!json_is_string(v)) {
        awps__why_set(why, "\"%s\" must be a string", key);
        return 0;
    }
    *out = json_string_value(v);
    return 1;
}

int awps__notify_parse(awps_event *ev, char *body, size_t len, awps__why *why)
{
    json_t *m;

    ev->data = body;
    ev->data_len = len;
    if (!(ev->body = awps__parse_object(body, len, why)))
        return -1;
    switch (ev->type) {
    case AWPS_EVENT_DISCONNECTED:
        if (!opt_string(ev, "reason", &ev->reason, why))
            return -1;
        m = json_object_get(ev->body, "mqtt");
        if (m && !json_is_null(m)) {
            if (!check_disconnect_mqtt(m, why))
                return -1;
            ev->mqtt = m;
        }
        return 0;
    case AWPS_EVENT_GROUP_JOINED:
    case AWPS_EVENT_GROUP_LEFT:
        if (!opt_string(ev, "group", &ev->group, why))
            return -1;
        if (!ev->group) {
            awps__why_set(why, "\"group\" is missing");
            return -1;
        }
        return 0;
    default:
        m = json_object_get(ev->body, "mqtt");
        if (json_is_object(m))
            ev->mqtt = m;
        return 0;
    }
}
