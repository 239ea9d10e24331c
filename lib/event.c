/* The event a callback reads: context copied from the headers, plus the
 * accessors of include/awps/event.h. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

int awps__event_init(awps_event *ev, awps_handler *h, awps__kind kind, const awps__head *hd)
{
    const char *src[10];
    size_t len[10], total = 0;
    char *p;

    memset(ev, 0, sizeof *ev);
    ev->type = (awps_event_type)kind;
    src[0] = hd->v[AWPS__H_HUB];
    src[1] = hd->v[AWPS__H_CONNECTION_ID];
    src[2] = hd->v[AWPS__H_USER_ID];
    src[3] = awps__event_name(hd, kind);
    src[4] = hd->v[AWPS__H_SUBPROTOCOL];
    src[5] = hd->v[AWPS__H_ORIGIN];
    src[6] = hd->v[AWPS__H_SIGNATURE];
    src[7] = hd->v[AWPS__H_PHYSICAL_ID];
    src[8] = hd->v[AWPS__H_SESSION_ID];
    src[9] = hd->v[AWPS__H_CONTENT_TYPE];
    for (int i = 0; i < 10; i++)
        if (src[i])
            total += (len[i] = strlen(src[i]) + 1);
    if (total && !(ev->strings = malloc(total)))
        return AWPS_E_NOMEM;
    p = ev->strings;
    const char **dst[10] = {&ev->hub, &ev->connection_id, &ev->user_id, &ev->name,
                            &ev->subprotocol, &ev->origin, &ev->signature,
                            &ev->physical_id, &ev->session_id, &ev->content_type};
    for (int i = 0; i < 10; i++) {
        if (!src[i])
            continue;
        memcpy(p, src[i], len[i]);
        *dst[i] = p;
        p += len[i];
    }
    ev->protocol = awps__is_mqtt(hd) ? AWPS_PROTOCOL_MQTT : AWPS_PROTOCOL_DEFAULT;
    if (!ev->physical_id || ev->protocol != AWPS_PROTOCOL_MQTT)
        ev->physical_id = ev->session_id = NULL;
    atomic_init(&ev->states, NULL);
    if (hd->v[AWPS__H_STATE] && *hd->v[AWPS__H_STATE]) {
        json_t *states = awps__state_decode(hd->v[AWPS__H_STATE]);
        if (!states)
            return AWPS_E_NOMEM;
        atomic_store(&ev->states, states);
    }
    ev->handler = awps__handler_ref(h);
    return AWPS_OK;
}

void awps__event_clear(awps_event *ev)
{
    if (ev->handler)
        awps__handler_unref(ev->handler);
    json_decref(atomic_load(&ev->states));
    json_decref(ev->body);
    json_decref(ev->json);
    json_decref(ev->empties);
    free(ev->data);
    free(ev->strings);
    memset(ev, 0, sizeof *ev);
}

#define GETTER(name, type, field, none)             \
    type name(const awps_event *ev)                 \
    {                                               \
        return ev ? ev->field : none;               \
    }

GETTER(awps_event_get_type, awps_event_type, type, (awps_event_type)0)
GETTER(awps_event_handler, awps_handler *, handler, NULL)
GETTER(awps_event_hub, const char *, hub, NULL)
GETTER(awps_event_connection_id, const char *, connection_id, NULL)
GETTER(awps_event_user_id, const char *, user_id, NULL)
GETTER(awps_event_name, const char *, name, NULL)
GETTER(awps_event_subprotocol, const char *, subprotocol, NULL)
GETTER(awps_event_origin, const char *, origin, NULL)
GETTER(awps_event_signature, const char *, signature, NULL)
GETTER(awps_event_client_protocol, awps_client_protocol, protocol, AWPS_PROTOCOL_DEFAULT)
GETTER(awps_event_physical_connection_id, const char *, physical_id, NULL)
GETTER(awps_event_session_id, const char *, session_id, NULL)
GETTER(awps_event_claims, json_t *, claims, NULL)
GETTER(awps_event_query, json_t *, query, NULL)
GETTER(awps_event_headers, json_t *, headers, NULL)
GETTER(awps_event_subprotocols, json_t *, subprotocols, NULL)
GETTER(awps_event_client_certificates, json_t *, certs, NULL)
GETTER(awps_event_mqtt, json_t *, mqtt, NULL)
GETTER(awps_event_data_type, awps_data_type, data_type, AWPS_DATA_BINARY)
GETTER(awps_event_json, json_t *, json, NULL)
GETTER(awps_event_content_type, const char *, content_type, NULL)
GETTER(awps_event_reason, const char *, reason, NULL)
GETTER(awps_event_group, const char *, group, NULL)
GETTER(awps_event_body, json_t *, body, NULL)

json_t *awps_event_states(const awps_event *ev)
{
    awps_event *e = (awps_event *)ev;  /* the empty object is made on demand */
    json_t *s, *none = NULL;

    if (!e || (s = atomic_load(&e->states)))
        return e ? s : NULL;
    if (!(s = json_object()))
        return NULL;
    if (!atomic_compare_exchange_strong(&e->states, &none, s)) {
        json_decref(s);  /* another thread made it first */
        return none;
    }
    return s;
}

json_t *awps_event_state(const awps_event *ev, const char *key)
{
    return ev && key ? json_object_get(atomic_load(&((awps_event *)ev)->states), key) : NULL;
}

static const char *first_value(json_t *arr)
{
    return json_string_value(json_array_get(arr, 0));
}

const char *awps_event_claim(const awps_event *ev, const char *name)
{
    return ev && name ? first_value(json_object_get(ev->claims, name)) : NULL;
}

const char *awps_event_query_value(const awps_event *ev, const char *name)
{
    return ev && name ? first_value(json_object_get(ev->query, name)) : NULL;
}

const char *awps_event_header(const awps_event *ev, const char *name)
{
    const char *key;
    json_t *value;

    if (!ev || !name || !ev->headers)
        return NULL;
    json_object_foreach(ev->headers, key, value)
        if (strcasecmp(key, name) == 0)
            return first_value(value);
    return NULL;
}

int awps_event_mqtt_protocol_version(const awps_event *ev)
{
    json_t *v = ev ? json_object_get(ev->mqtt, "protocolVersion") : NULL;
    return json_is_integer(v) ? (int)json_integer_value(v) : 0;
}

const void *awps_event_data(const awps_event *ev, size_t *len)
{
    if (len)
        *len = ev ? ev->data_len : 0;
    return ev ? ev->data : NULL;
}
