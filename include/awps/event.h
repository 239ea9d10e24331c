/* libawps — what a callback reads: the event, its context and its data.
 *
 * Ownership: every pointer returned here is borrowed from the event and valid
 * while the event is (during a notification callback; for blocking events
 * until the reply is completed or, when held, released). Never free them;
 * json_t values must not be modified. Thread-safety: an event may be read
 * from several threads at once.
 */
#ifndef AWPS_EVENT_H
#define AWPS_EVENT_H

#include <stddef.h>
#include <jansson.h>
#include <awps/common.h>
#include <awps/handler.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum awps_event_type {
    AWPS_EVENT_CONNECT = 1,
    AWPS_EVENT_USER = 2,
    AWPS_EVENT_CONNECTED = 3,
    AWPS_EVENT_DISCONNECTED = 4,
    AWPS_EVENT_GROUP_JOINED = 5,
    AWPS_EVENT_GROUP_LEFT = 6
} awps_event_type;

typedef enum awps_client_protocol {
    AWPS_PROTOCOL_DEFAULT = 0,
    AWPS_PROTOCOL_MQTT = 1
} awps_client_protocol;

typedef enum awps_data_type {
    AWPS_DATA_BINARY = 0,
    AWPS_DATA_TEXT = 1,
    AWPS_DATA_JSON = 2
} awps_data_type;

/* Context (all events). Strings are NUL-terminated; NULL when absent. */
AWPS_EXPORT awps_event_type awps_event_get_type(const awps_event *ev);
AWPS_EXPORT awps_handler *awps_event_handler(const awps_event *ev);
AWPS_EXPORT const char *awps_event_hub(const awps_event *ev);
AWPS_EXPORT const char *awps_event_connection_id(const awps_event *ev);
AWPS_EXPORT const char *awps_event_user_id(const awps_event *ev);
/* ce-eventName, or the part of ce-type after its prefix when that is absent. */
AWPS_EXPORT const char *awps_event_name(const awps_event *ev);
AWPS_EXPORT const char *awps_event_subprotocol(const awps_event *ev);
AWPS_EXPORT const char *awps_event_origin(const awps_event *ev);
AWPS_EXPORT const char *awps_event_signature(const awps_event *ev);
/* Decoded connection state: always a JSON object (empty when none/invalid). */
AWPS_EXPORT json_t *awps_event_states(const awps_event *ev);
/* One state value, or NULL. */
AWPS_EXPORT json_t *awps_event_state(const awps_event *ev, const char *key);
AWPS_EXPORT awps_client_protocol awps_event_client_protocol(const awps_event *ev);
/* MQTT only (NULL otherwise). */
AWPS_EXPORT const char *awps_event_physical_connection_id(const awps_event *ev);
AWPS_EXPORT const char *awps_event_session_id(const awps_event *ev);

/* Connect request. Objects map names to arrays of strings. For connect
 * events never NULL (an empty object/array when the service sent none);
 * NULL for other events. */
AWPS_EXPORT json_t *awps_event_claims(const awps_event *ev);
AWPS_EXPORT json_t *awps_event_query(const awps_event *ev);
AWPS_EXPORT json_t *awps_event_headers(const awps_event *ev);
AWPS_EXPORT json_t *awps_event_subprotocols(const awps_event *ev);
AWPS_EXPORT json_t *awps_event_client_certificates(const awps_event *ev);
/* First value of a claim, query parameter or header (header names compared
 * case-insensitively), or NULL. */
AWPS_EXPORT const char *awps_event_claim(const awps_event *ev, const char *name);
AWPS_EXPORT const char *awps_event_query_value(const awps_event *ev, const char *name);
AWPS_EXPORT const char *awps_event_header(const awps_event *ev, const char *name);
/* The body's "mqtt" object (connect: protocolVersion, username, password,
 * userProperties; disconnected: initiatedByClient, disconnectPacket), or NULL. */
AWPS_EXPORT json_t *awps_event_mqtt(const awps_event *ev);
/* MQTT connect: protocolVersion (4 = 3.1.1, 5 = 5.0), or 0 when unknown. */
AWPS_EXPORT int awps_event_mqtt_protocol_version(const awps_event *ev);

/* User event data. awps_event_data() returns the raw body (*len set; the
 * buffer is followed by a NUL byte not counted in *len). awps_event_json()
 * is the parsed value for AWPS_DATA_JSON, else NULL. awps_event_content_type()
 * is the request's Content-Type (may be NULL). */
AWPS_EXPORT awps_data_type awps_event_data_type(const awps_event *ev);
AWPS_EXPORT const void *awps_event_data(const awps_event *ev, size_t *len);
AWPS_EXPORT json_t *awps_event_json(const awps_event *ev);
AWPS_EXPORT const char *awps_event_content_type(const awps_event *ev);

/* Disconnected: reason, or NULL. Group events: the group name. */
AWPS_EXPORT const char *awps_event_reason(const awps_event *ev);
AWPS_EXPORT const char *awps_event_group(const awps_event *ev);
/* The parsed body of a system event (a JSON object), or NULL for user events. */
AWPS_EXPORT json_t *awps_event_body(const awps_event *ev);

#ifdef __cplusplus
}
#endif
#endif
