/* libawps — the service side: connection strings, client access tokens
 * (for negotiate endpoints) and the data-plane REST API of Web PubSub.
 *
 * Thread-safety: configure a client (reverse proxy, retry, clock) before
 * sharing it; after that every operation may be called from many threads at
 * once on one client (connections are kept alive in a per-client pool).
 * Ownership: every string argument is copied or only read during the call;
 * strings returned through out-parameters are new and freed with
 * awps_free() (or awps_client_token_clear()).
 */
#ifndef AWPS_SERVICE_H
#define AWPS_SERVICE_H

#include <stddef.h>
#include <stdint.h>
#include <awps/common.h>
#include <awps/event.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Free a string or buffer the library returned. NULL is ignored. */
AWPS_EXPORT void awps_free(void *p);

/* What went wrong in a service call, filled when a function fails and `err`
 * is not NULL. All members are plain values; nothing to free. */
typedef struct awps_service_error {
    int code;                 /* the awps_code also returned */
    long status;              /* HTTP status of the last answer, 0 if none */
    char service_code[96];    /* x-ms-error-code or the body's "code", or "" */
    char message[512];        /* the service's message, or what failed */
} awps_service_error;

/* Parse a connection string ("Endpoint=...;AccessKey=...;Version=1.0;[Port=N;]")
 * exactly as the official SDK: keys case-insensitive, split at the first '=',
 * https:// added when the endpoint has no scheme, Port applied. On success
 * *endpoint (normalised URL, e.g. "https://host/" or "http://host:8080/prefix")
 * and *access_key are new strings to awps_free(). AWPS_E_CONNSTR otherwise,
 * with the reason in err->message. */
AWPS_EXPORT int awps_connection_string_parse(const char *connection_string, char **endpoint,
                                             char **access_key, awps_service_error *err);

typedef struct awps_service awps_service;

/* New client for `hub` from a connection string. NULL on failure (reason in
 * err). Free with awps_service_free(). */
AWPS_EXPORT awps_service *awps_service_new(const char *connection_string, const char *hub,
                                           awps_service_error *err);
/* Same from an endpoint URL and an access key. */
AWPS_EXPORT awps_service *awps_service_new_with_key(const char *endpoint, const char *access_key,
                                                    const char *hub, awps_service_error *err);
AWPS_EXPORT void awps_service_free(awps_service *s);
/* Borrowed, valid until awps_service_free(). */
AWPS_EXPORT const char *awps_service_endpoint(const awps_service *s);
AWPS_EXPORT const char *awps_service_hub(const awps_service *s);

/* Send REST calls to this host instead (e.g. Azure API Management); the
 * token audience stays the service URL. NULL removes it. */
AWPS_EXPORT int awps_service_set_reverse_proxy(awps_service *s, const char *url);
/* Retries (spec: 3 retries, 1000 ms base delay, 64000 ms cap): 408, 5xx except
 * 501/505 and transport errors back off exponentially; 429/503 with
 * Retry-After wait as told. max_retries 0 disables retrying. */
AWPS_EXPORT int awps_service_set_retry(awps_service *s, unsigned max_retries, unsigned delay_ms,
                                       unsigned max_delay_ms);
/* Time limit of each attempt of a REST call, in milliseconds (0, the
 * default: none besides the 30 s connect timeout and dropping a transfer
 * stalled for 120 s). An attempt over it fails as a transport error and is
 * retried like one. */
AWPS_EXPORT int awps_service_set_timeout(awps_service *s, unsigned timeout_ms);
/* Clock for token iat/exp, in milliseconds since the epoch (tests and
 * reproducible tokens). NULL restores the system clock. */
typedef int64_t (*awps_clock_cb)(void *data);
AWPS_EXPORT void awps_service_set_clock(awps_service *s, awps_clock_cb now_ms, void *data);

/* ---- client access tokens (negotiate) ---- */

typedef enum awps_client_type {
    AWPS_CLIENT_DEFAULT = 0,   /* /client/hubs/{hub} */
    AWPS_CLIENT_MQTT = 1,      /* /clients/mqtt/hubs/{hub} */
    AWPS_CLIENT_SOCKETIO = 2   /* /clients/socketio/hubs/{hub} */
} awps_client_type;

typedef struct awps_token_options {
    const char *user_id;             /* "sub"; NULL or "" for none */
    const char *const *roles;        /* "role"; NULL: no claim; non-NULL: array (may be empty) */
    size_t n_roles;
    const char *const *groups;       /* "webpubsub.group"; same rules */
    size_t n_groups;
    int expires_set;                 /* 0: one hour */
    double expires_minutes;          /* exp = iat + floor(minutes * 60) when expires_set */
    awps_client_type client_type;
} awps_token_options;

/* The three parts of a client access URL; new strings. */
typedef struct awps_client_token {
    char *token;
    char *base_url;   /* wss://host/client/hubs/hub (ws:// for http endpoints) */
    char *url;        /* base_url?access_token=token */
} awps_client_token;

/* Mint a client access token signed with the access key. opts may be NULL.
 * On success fills *out; free it with awps_client_token_clear(). */
AWPS_EXPORT int awps_service_client_token(awps_service *s, const awps_token_options *opts,
                                          awps_client_token *out, awps_service_error *err);
AWPS_EXPORT void awps_client_token_clear(awps_client_token *t);

/* ---- REST operations (api-version 2024-12-01) ----
 * Each returns AWPS_OK on the documented success status, AWPS_E_HTTP when
 * the service answered otherwise (err->status, service_code, message), or
 * AWPS_E_TRANSPORT when it could not be reached (after retries). */

typedef struct awps_send_options {
    const char *filter;              /* OData filter, or NULL (not for connections) */
    const char *const *excluded;     /* connection ids to skip (all and group only) */
    size_t n_excluded;
    unsigned ttl_seconds;            /* messageTtlSeconds, 0 = not sent */
} awps_send_options;

/* Message: `type` gives the Content-Type (text/plain, application/json with
 * `data` already serialised, application/octet-stream). opts may be NULL. */
AWPS_EXPORT int awps_service_send_to_all(awps_service *s, awps_data_type type, const void *data,
                                         size_t len, const awps_send_options *opts,
                                         awps_service_error *err);
AWPS_EXPORT int awps_service_send_to_user(awps_service *s, const char *user_id,
                                          awps_data_type type, const void *data, size_t len,
                                          const awps_send_options *opts, awps_service_error *err);
AWPS_EXPORT int awps_service_send_to_connection(awps_service *s, const char *connection_id,
                                                awps_data_type type, const void *data,
                                                size_t len, const awps_send_options *opts,
                                                awps_service_error *err);
AWPS_EXPORT int awps_service_send_to_group(awps_service *s, const char *group,
                                           awps_data_type type, const void *data, size_t len,
                                           const awps_send_options *opts, awps_service_error *err);

/* Existence: *exists = 1 (200) or 0 (404). */
AWPS_EXPORT int awps_service_connection_exists(awps_service *s, const char *connection_id,
                                               int *exists, awps_service_error *err);
AWPS_EXPORT int awps_service_user_exists(awps_service *s, const char *user_id, int *exists,
                                         awps_service_error *err);
AWPS_EXPORT int awps_service_group_exists(awps_service *s, const char *group, int *exists,
                                          awps_service_error *err);

typedef struct awps_close_options {
    const char *reason;              /* or NULL */
    const char *const *excluded;     /* connection ids to keep (not for one connection) */
    size_t n_excluded;
} awps_close_options;

AWPS_EXPORT int awps_service_close_connection(awps_service *s, const char *connection_id,
                                              const char *reason, awps_service_error *err);
AWPS_EXPORT int awps_service_close_all(awps_service *s, const awps_close_options *opts,
                                       awps_service_error *err);
AWPS_EXPORT int awps_service_close_user(awps_service *s, const char *user_id,
                                        const awps_close_options *opts, awps_service_error *err);
AWPS_EXPORT int awps_service_close_group(awps_service *s, const char *group,
                                         const awps_close_options *opts, awps_service_error *err);

/* Groups. */
AWPS_EXPORT int awps_service_add_connection_to_group(awps_service *s, const char *group,
                                                     const char *connection_id,
                                                     awps_service_error *err);
AWPS_EXPORT int awps_service_remove_connection_from_group(awps_service *s, const char *group,
                                                          const char *connection_id,
                                                          awps_service_error *err);
AWPS_EXPORT int awps_service_add_user_to_group(awps_service *s, const char *group,
                                               const char *user_id, awps_service_error *err);
AWPS_EXPORT int awps_service_remove_user_from_group(awps_service *s, const char *group,
                                                    const char *user_id, awps_service_error *err);
AWPS_EXPORT int awps_service_remove_user_from_all_groups(awps_service *s, const char *user_id,
                                                         awps_service_error *err);
AWPS_EXPORT int awps_service_remove_connection_from_all_groups(awps_service *s,
                                                               const char *connection_id,
                                                               awps_service_error *err);
/* Every connection matching `filter` joins / leaves each of the n groups. */
AWPS_EXPORT int awps_service_add_connections_to_groups(awps_service *s,
                                                       const char *const *groups, size_t n,
                                                       const char *filter,
                                                       awps_service_error *err);
AWPS_EXPORT int awps_service_remove_connections_from_groups(awps_service *s,
                                                            const char *const *groups, size_t n,
                                                            const char *filter,
                                                            awps_service_error *err);

/* Connections in a group, page by page (following nextLink). cb gets each
 * member (user_id NULL when anonymous; both borrowed for the call) and
 * returns 0 to go on, non-zero to stop. top 0 = all; page_size 0 = the
 * service's default. */
typedef int (*awps_member_cb)(void *data, const char *connection_id, const char *user_id);
AWPS_EXPORT int awps_service_list_connections(awps_service *s, const char *group, unsigned top,
                                              unsigned page_size, awps_member_cb cb, void *data,
                                              awps_service_error *err);

/* Permissions; target_group may be NULL for all groups. */
typedef enum awps_permission {
    AWPS_PERMISSION_SEND_TO_GROUP = 0,     /* "sendToGroup" */
    AWPS_PERMISSION_JOIN_LEAVE_GROUP = 1   /* "joinLeaveGroup" */
} awps_permission;

AWPS_EXPORT int awps_service_grant_permission(awps_service *s, const char *connection_id,
                                              awps_permission permission,
                                              const char *target_group, awps_service_error *err);
AWPS_EXPORT int awps_service_revoke_permission(awps_service *s, const char *connection_id,
                                               awps_permission permission,
                                               const char *target_group, awps_service_error *err);
/* *has = 1 (200) or 0 (404). */
AWPS_EXPORT int awps_service_check_permission(awps_service *s, const char *connection_id,
                                              awps_permission permission,
                                              const char *target_group, int *has,
                                              awps_service_error *err);

#ifdef __cplusplus
}
#endif
#endif
