/* libawps — the upstream event handler for one hub.
 *
 * A handler answers the CloudEvents requests the Web PubSub service sends for
 * one hub: the abuse-protection preflight, connect, user events, connected,
 * disconnected, group joined and group left.
 *
 * Thread-safety: configure the handler (path, callbacks, allowed endpoints,
 * log) before it serves requests. awps_handler_add_key(),
 * awps_handler_remove_key(), awps_handler_set_max_body() and
 * awps_handler_set_reply_timeout() may be called from any thread at any time,
 * also while serving. Callbacks run on the server's threads, possibly several
 * at once.
 */
#ifndef AWPS_HANDLER_H
#define AWPS_HANDLER_H

#include <stddef.h>
#include <awps/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct awps_handler awps_handler;
typedef struct awps_event awps_event;
typedef struct awps_reply awps_reply;

/* Blocking events: the callback must complete `reply` exactly once, inside
 * the callback or later from any thread (see awps_reply_hold()). */
typedef void (*awps_connect_cb)(awps_event *event, awps_reply *reply, void *data);
typedef void (*awps_user_event_cb)(awps_event *event, awps_reply *reply, void *data);
/* Notifications (connected, disconnected, group joined, group left): the
 * service is answered 200 whatever the callback does. `event` is borrowed and
 * valid only during the call. */
typedef void (*awps_notify_cb)(const awps_event *event, void *data);

#define AWPS_DEFAULT_MAX_BODY ((size_t)4 * 1024 * 1024)
#define AWPS_DEFAULT_REPLY_TIMEOUT_MS 30000u

/* New handler for `hub` (copied), path "/api/webpubsub/hubs/<hub>/", no
 * keys, all origins allowed, 4 MiB body cap, 30 s reply timeout, warnings
 * logged to stderr. Returns NULL when hub is NULL/empty or memory runs out.
 * Free with awps_handler_free(). */
AWPS_EXPORT awps_handler *awps_handler_new(const char *hub);
/* Drop the caller's reference; the handler lives on until requests in flight
 * that use it are finished. NULL is ignored. */
AWPS_EXPORT void awps_handler_free(awps_handler *h);

/* The hub and path (borrowed; path is lower-case with a trailing '/'). */
AWPS_EXPORT const char *awps_handler_hub(const awps_handler *h);
AWPS_EXPORT const char *awps_handler_path(const awps_handler *h);
/* Mount path, matched case-insensitively as a prefix ("{event}" templates
 * work); copied, lower-cased, '/' appended when missing. Must start with '/'. */
AWPS_EXPORT int awps_handler_set_path(awps_handler *h, const char *path);

/* Opaque user pointer (libuv style); not used by the library. */
AWPS_EXPORT void awps_handler_set_data(awps_handler *h, void *data);
AWPS_EXPORT void *awps_handler_get_data(const awps_handler *h);

/* Callbacks; NULL unregisters. `data` is passed back to the callback. */
AWPS_EXPORT void awps_handler_on_connect(awps_handler *h, awps_connect_cb cb, void *data);
AWPS_EXPORT void awps_handler_on_user_event(awps_handler *h, awps_user_event_cb cb, void *data);
AWPS_EXPORT void awps_handler_on_connected(awps_handler *h, awps_notify_cb cb, void *data);
AWPS_EXPORT void awps_handler_on_disconnected(awps_handler *h, awps_notify_cb cb, void *data);
AWPS_EXPORT void awps_handler_on_group_joined(awps_handler *h, awps_notify_cb cb, void *data);
AWPS_EXPORT void awps_handler_on_group_left(awps_handler *h, awps_notify_cb cb, void *data);

/* Allow the service at `url` (e.g. "https://x.webpubsub.azure.com"); its
 * host[:port] is compared with WebHook-Request-Origin on preflight. Once any
 * endpoint is added, other origins get 400. AWPS_E_URL for a bad URL. */
AWPS_EXPORT int awps_handler_add_allowed_endpoint(awps_handler *h, const char *url);

/* Access keys (copied). With at least one key, every POST must carry a valid
 * ce-signature for one of them, else 401. Safe while serving (rotation).
 * remove returns AWPS_E_NOT_FOUND when the key was not configured. */
AWPS_EXPORT int awps_handler_add_key(awps_handler *h, const char *key);
AWPS_EXPORT int awps_handler_remove_key(awps_handler *h, const char *key);

/* Body cap in bytes (default 4 MiB, > 0); larger bodies get 413 unread. */
AWPS_EXPORT int awps_handler_set_max_body(awps_handler *h, size_t max);
/* Replies not completed within `ms` milliseconds are answered 500. */
AWPS_EXPORT int awps_handler_set_reply_timeout(awps_handler *h, unsigned ms);

/* Log callback and the most verbose level passed to it. cb NULL restores the
 * default (stderr). */
AWPS_EXPORT void awps_handler_set_log(awps_handler *h, awps_log_cb cb, void *data,
                                      awps_log_level max_level);

#ifdef __cplusplus
}
#endif
#endif
