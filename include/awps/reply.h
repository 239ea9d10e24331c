/* libawps — answering blocking events (connect, user events).
 *
 * A callback receives a reply and must make exactly one terminal call on it:
 * awps_reply_success(), awps_reply_success_data(), awps_reply_fail() or
 * awps_reply_fail_mqtt(). It may do so inside the callback, or later from any
 * thread: then call awps_reply_hold() inside the callback and
 * awps_reply_release() when done with the reply (the HTTP connection waits
 * meanwhile). A terminal call after the first, or after the reply timed out
 * (answered 500), returns AWPS_E_DONE and changes nothing.
 *
 * Thread-safety: all functions may be called from any thread; calls on one
 * reply are serialised internally.
 */
#ifndef AWPS_REPLY_H
#define AWPS_REPLY_H

#include <stddef.h>
#include <jansson.h>
#include <awps/common.h>
#include <awps/handler.h>
#include <awps/event.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Keep the reply (and its event) valid after the callback returns; pair with
 * awps_reply_release(). */
AWPS_EXPORT void awps_reply_hold(awps_reply *r);
AWPS_EXPORT void awps_reply_release(awps_reply *r);
/* The event this reply answers (borrowed, valid as long as the reply). */
AWPS_EXPORT awps_event *awps_reply_event(awps_reply *r);
/* Non-zero once a terminal call was made or the reply timed out. */
AWPS_EXPORT int awps_reply_is_done(awps_reply *r);

/* Connection state, sent as ce-connectionState on success (base64 of a JSON
 * object: the incoming state merged with these changes). `value` is
 * borrowed (the reply takes its own reference); NULL deletes the key. */
AWPS_EXPORT int awps_reply_set_state(awps_reply *r, const char *key, json_t *value);
AWPS_EXPORT int awps_reply_set_state_string(awps_reply *r, const char *key, const char *value);
/* Drop every state key (the incoming ones too). */
AWPS_EXPORT int awps_reply_clear_states(awps_reply *r);

/* Connect answer fields (strings copied). AWPS_E_WRONG_EVENT on user events. */
AWPS_EXPORT int awps_reply_set_user_id(awps_reply *r, const char *user_id);
AWPS_EXPORT int awps_reply_add_group(awps_reply *r, const char *group);
AWPS_EXPORT int awps_reply_add_role(awps_reply *r, const char *role);
AWPS_EXPORT int awps_reply_set_subprotocol(awps_reply *r, const char *subprotocol);
/* MQTT: user property for the CONNACK (success) or the error body (fail). */
AWPS_EXPORT int awps_reply_add_mqtt_user_property(awps_reply *r, const char *name,
                                                  const char *value);

/* Terminal: connect → 200 with the fields set above as JSON, or 204 when none
 * was set; user event → 200 with no data. */
AWPS_EXPORT int awps_reply_success(awps_reply *r);
/* Terminal, user events: 200 with `len` bytes of `data` (copied) as
 * text/plain, application/json (must be serialised JSON) or octet-stream. */
AWPS_EXPORT int awps_reply_success_data(awps_reply *r, awps_data_type type,
                                        const void *data, size_t len);
/* Terminal: fail with an HTTP status (400-599) and an optional text detail.
 * For MQTT connects the body is {"mqtt":{"code":C,"reason":detail}} with C
 * mapped from the status for the client's MQTT version. */
AWPS_EXPORT int awps_reply_fail(awps_reply *r, unsigned status, const char *detail);
/* Terminal, connect: fail with an MQTT connect code (3.1.1 return code < 128
 * or 5.0 reason code >= 128); the HTTP status is derived from the code. */
AWPS_EXPORT int awps_reply_fail_mqtt(awps_reply *r, int code, const char *reason);

/* MQTT code tables (pure functions). */
/* HTTP status for an MQTT connect return/reason code (500 when unknown). */
AWPS_EXPORT unsigned awps_mqtt_status_for_code(int code);
/* MQTT code for an HTTP failure status given the client's protocolVersion. */
AWPS_EXPORT int awps_mqtt_code_for_status(unsigned status, int protocol_version);

#ifdef __cplusplus
}
#endif
#endif
