/* awps-emulator — a local Web PubSub service: the shared internal interface.
 *
 * Files (each one concern):
 *   emu-main.c      command line, config file, MHD daemon, request routing
 *   emu-ws.c        WebSocket handshake/upgrade (MHD) and framing (wslay);
 *                   one thread per client connection, an outgoing queue
 *   emu-client.c    client protocols: json.webpubsub.azure.v1 and plain
 *                   WebSocket; acks, permissions, message formatting
 *   emu-upstream.c  calls to the upstream (libcurl): abuse-protection
 *                   OPTIONS, CloudEvents POSTs with ce-signature, connect
 *   emu-hub.c       registry: hubs, connections, users, groups, permissions,
 *                   sends (to all, user, connection, group; excluded, filter)
 *   emu-rest.c      the REST API of service-api.md §4 on the registry
 *   emu-filter.c    the OData filter of service-api.md §5
 *
 * Threads: MHD runs a thread per HTTP connection (REST requests and the
 * WebSocket handshake, which blocks on the upstream connect call); every
 * upgraded WebSocket gets its own thread (emu-ws.c). The registry is
 * protected by one mutex per hub; deliveries happen outside it (targets are
 * collected with references first). Connection output is queued (thread-
 * safe, bounded) and written by the connection's own thread.
 */
#ifndef AWPS_EMU_H
#define AWPS_EMU_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* ---- limits ---- */
#define EMU_MAX_MESSAGE ((size_t)1024 * 1024)   /* frame / REST message body bytes */
#define EMU_MAX_NAME 1024                       /* group, user, event names */
#define EMU_ID_LEN 22                           /* connection id characters */
#define EMU_MAX_CONNECTIONS 4096                /* client connections per emulator */

/* WebSocket close codes used */
#define EMU_CLOSE_NORMAL 1000
#define EMU_CLOSE_GOING_AWAY 1001
#define EMU_CLOSE_PROTOCOL 1002
#define EMU_CLOSE_POLICY 1008
#define EMU_CLOSE_TOO_BIG 1009
#define EMU_CLOSE_SERVER_ERROR 1011

/* ---- configuration ---- */

enum emu_sys_event {
    EMU_EV_CONNECT = 1 << 0,
    EMU_EV_CONNECTED = 1 << 1,
    EMU_EV_DISCONNECTED = 1 << 2,
};

typedef struct emu emu;
typedef struct emu_hub emu_hub;
typedef struct emu_conn emu_conn;

struct emu_hub {
    char *name;                /* as configured; matched case-insensitively */
    char *url_template;        /* upstream URL with {hub} and {event}; NULL: no upstream */
    unsigned system_events;    /* EMU_EV_* bits sent upstream (default all) */
    char **user_events;        /* event names sent upstream; {"*"} = all (default) */
    size_t n_user_events;
    emu *owner;
    /* registry (emu-hub.c), all under `lock` */
    pthread_mutex_t lock;
    void *reg;                 /* emu-hub.c's private state */
};

struct emu {
    char *key;                 /* access key (HMAC key bytes) */
    char *listen;              /* address, default 127.0.0.1 */
    unsigned port;             /* the bound port once started */
    char *origin;              /* "host:port" sent as WebHook-Request-Origin */
    emu_hub **hubs;
    size_t n_hubs;
    atomic_int stopping;
    atomic_uint connections;   /* live client connections */
    int verbose;
};

/* Hub by name, case-insensitively; NULL when unknown. Borrowed. */
emu_hub *emu_hub_find(emu *e, const char *name);

/* ---- connections (struct used by every file) ---- */

enum emu_proto {
    EMU_PROTO_PLAIN = 0,       /* no/custom subprotocol: every frame is a `message` event */
    EMU_PROTO_JSON = 1,        /* json.webpubsub.azure.v1 */
};

/* How a connection's output reaches its client: emu-ws.c for real
 * WebSockets, a recorder in the tests. Both may be called from any thread,
 * with no registry lock held. */
typedef struct emu_conn_ops {
    /* Queue one frame (text != 0: a text frame, else binary); copies the
     * bytes. 0, or -1 when the connection is closing or its queue is full
     * (the connection is then closed with EMU_CLOSE_POLICY). */
    int (*send)(emu_conn *c, int text, const void *data, size_t len);
    /* Close with a WebSocket close code and reason (copied); idempotent. */
    void (*close)(emu_conn *c, unsigned code, const char *reason);
    /* Called once when the connection is freed (from emu_client_free_state,
     * which emu_conn_unref calls): release `io`. May be NULL. */
    void (*release)(emu_conn *c);
} emu_conn_ops;

struct emu_conn {
    atomic_uint refs;
    char id[EMU_ID_LEN + 1];
    char *user;                /* NULL: anonymous */
    emu_hub *hub;              /* borrowed */
    enum emu_proto proto;
    char *subprotocol;         /* as chosen, or NULL */
    const emu_conn_ops *ops;
    void *io;                  /* the ops' own state */
    /* Registry fields (emu-hub.c), under hub->lock: */
    char **groups;             /* joined groups */
    size_t n_groups;
    char **roles;              /* permissions as role strings (see emu_role_*) */
    size_t n_roles;
    int registered;            /* in the hub's list */
    /* Upstream state (emu-upstream.c / emu-client.c), used only by the
     * connection's own thread: */
    char *state;               /* ce-connectionState to send, or NULL */
    uint64_t next_event_id;    /* ce-id: connect is 0, then 1, 2, ... */
    json_t *claims;            /* the token's claims (for the connect body) */
    void *client;              /* emu-client.c's private state (ack ids) */
};

/* A new connection (refs 1, not registered) with a fresh random id. Copies
 * user and subprotocol. NULL when out of memory. */
emu_conn *emu_conn_new(emu_hub *h, const char *user, enum emu_proto proto,
                       const char *subprotocol, const emu_conn_ops *ops, void *io);
emu_conn *emu_conn_ref(emu_conn *c);
void emu_conn_unref(emu_conn *c);   /* frees at 0 (calls emu_client_free_state) */

/* ---- registry (emu-hub.c) ---- */

/* Set up a hub's lock (pthread_mutex_init) and empty registry: 0 or -1.
 * Destroy drops the registry's references to connections still registered
 * and destroys the lock; call it only when no connection thread remains. */
int emu_hub_init(emu_hub *h);
void emu_hub_destroy(emu_hub *h);

/* Register c in its hub with initial roles and groups (copied). 0, or -1
 * when out of memory. */
int emu_hub_add(emu_conn *c, char *const *roles, size_t n_roles, char *const *groups,
                size_t n_groups);
/* Unregister c (leaves all groups); idempotent. */
void emu_hub_remove(emu_conn *c);
/* A registered connection by id (new reference) or NULL. */
emu_conn *emu_hub_get(emu_hub *h, const char *connection_id);
int emu_hub_user_exists(emu_hub *h, const char *user);
int emu_hub_group_exists(emu_hub *h, const char *group);   /* has connections */

/* Group membership of one connection: 0 (also when already/not a member),
 * -1 when the connection is not registered. */
int emu_group_join(emu_conn *c, const char *group);
int emu_group_leave(emu_conn *c, const char *group);

/* Permissions. perm is "sendToGroup" or "joinLeaveGroup" (case-insensitive);
 * group NULL means every group. Roles webpubsub.<perm> and
 * webpubsub.<perm>.<group> grant them. */
int emu_conn_can(emu_conn *c, const char *perm, const char *group);
int emu_perm_grant(emu_conn *c, const char *perm, const char *group);
int emu_perm_revoke(emu_conn *c, const char *perm, const char *group);

/* ---- messages ---- */

typedef enum emu_dtype { EMU_TEXT, EMU_JSON, EMU_BINARY } emu_dtype;

typedef struct emu_msg {
    emu_dtype type;
    const void *data;          /* raw bytes; for EMU_JSON the JSON text */
    size_t len;
    const char *group;         /* NULL: from the server; else the group sent to */
    const char *from_user;     /* group messages from a client: its user id, or NULL */
} emu_msg;

/* Deliver one message to one connection in its protocol's format
 * (emu-client.c): json.webpubsub.azure.v1 wraps it in a "message" frame;
 * plain connections get the bytes (text frame for text/JSON, binary frame
 * for binary). 0 or -1. */
int emu_deliver(emu_conn *c, const emu_msg *m);
/* The same for many recipients of one message: the frame is built once, in
 * f (zeroed first, emu_frame_clear() after the last). */
typedef struct emu_frame {
    char *text;                /* the compact JSON frame, without sequenceId */
    size_t len;
    int built;                 /* 0 not yet, 1 built, -1 failed */
} emu_frame;
int emu_deliver_frame(emu_conn *c, const emu_msg *m, emu_frame *f);
void emu_frame_clear(emu_frame *f);

/* ---- filter (emu-filter.c) ---- */

typedef struct emu_filter emu_filter;

typedef struct emu_filter_subject {
    const char *user_id;       /* NULL: anonymous (compares equal to null) */
    const char *connection_id;
    char *const *groups;
    size_t n_groups;
} emu_filter_subject;

/* Parse an OData filter (service-api.md §5). NULL with a message like the
 * service's ("Invalid syntax for '...': ...") in why. Nesting and size are
 * bounded; never crashes on any input. */
emu_filter *emu_filter_parse(const char *text, char *why, size_t why_len);
/* 1 when the subject matches, 0 when not (errors in evaluation, such as a
 * type mismatch, count as no match). */
int emu_filter_match(const emu_filter *f, const emu_filter_subject *s);
void emu_filter_free(emu_filter *f);

/* ---- sends and closes over the registry (emu-hub.c) ---- */

typedef struct emu_target {
    const char *user;          /* only this user's connections, or NULL */
    const char *connection;    /* only this connection, or NULL */
    const char *group;         /* only this group's members, or NULL */
    char *const *excluded;     /* connection ids to skip */
    size_t n_excluded;
    const emu_filter *filter;  /* NULL: all */
    const emu_conn *no_echo;   /* skip this connection (sendToGroup noEcho) */
} emu_target;

/* Deliver m to every registered connection of h matching t. Returns the
 * number of connections delivered to. */
size_t emu_send(emu_hub *h, const emu_target *t, const emu_msg *m);
/* Close every matching connection with code and reason. Returns the count. */
size_t emu_close(emu_hub *h, const emu_target *t, unsigned code, const char *reason);
/* Add matching connections to (join != 0) or remove them from each group. */
size_t emu_groups_apply(emu_hub *h, const emu_target *t, char *const *groups, size_t n,
                        int join);
/* Add or remove every connection of a user to/from a group (group NULL with
 * join == 0: all groups). Returns the count. */
size_t emu_user_groups(emu_hub *h, const char *user, const char *group, int join);

/* Snapshot of a group's members: arrays of new strings (user NULL for
 * anonymous), sorted by connection id. Free with
 * emu_members_free. */
typedef struct emu_member { char *connection_id; char *user; } emu_member;
size_t emu_group_members(emu_hub *h, const char *group, emu_member **out);
void emu_members_free(emu_member *m, size_t n);

/* ---- REST (emu-rest.c) ---- */

/* An HTTP answer built by the REST layer. */
typedef struct emu_answer {
    unsigned status;
    const char *content_type;  /* NULL: none */
    char *body;                /* new, or NULL */
    size_t body_len;
} emu_answer;

typedef struct emu_request {
    const char *method;
    const char *path;          /* percent-decoded path, without the query */
    const char *raw_uri;       /* the request-target as sent (path?query) */
    const char *host;          /* Host header, or NULL */
    const char *authorization; /* Authorization header, or NULL */
    const char *content_type;  /* or NULL */
    const char *body;          /* NULL with body_len 0 when none */
    size_t body_len;
    /* query parameter lookup (all values of a name, in order): */
    size_t (*query)(const struct emu_request *r, const char *name, const char **values,
                    size_t max);
    void *query_data;
} emu_request;

/* Handle a request whose path starts with /api/. Fills *a (free a->body). */
void emu_rest_handle(emu *e, const emu_request *r, emu_answer *a);

/* ---- client protocol (emu-client.c) ---- */

/* Set up the protocol state once proto and subprotocol are final. 0 or -1. */
int emu_client_init(emu_conn *c);
/* One frame from the client (text != 0: text frame). Runs on the
 * connection's thread; may call the upstream. */
void emu_client_frame(emu_conn *c, int text, const void *data, size_t len);
/* After the WebSocket opened: "connected" system frame and upstream event. */
void emu_client_opened(emu_conn *c);
/* After it closed (reason may be NULL): the disconnected upstream event. */
void emu_client_closed(emu_conn *c, const char *reason);
void emu_client_free_state(emu_conn *c);

/* ---- upstream (emu-upstream.c) ---- */

typedef struct emu_connect_result {
    unsigned status;           /* upstream status (0: no upstream call made) */
    char *user;                /* chosen user id (new) or NULL */
    char **groups, **roles;    /* new arrays of new strings */
    size_t n_groups, n_roles;
    char *subprotocol;         /* chosen (new) or NULL */
    char *reason;              /* error text for a refused connect (new) or NULL */
} emu_connect_result;

/* The blocking connect call for a handshake; fills r (clear with
 * emu_connect_result_clear). The caller then applies it. 0 accepted
 * (2xx or connect not configured), -1 refused (status in r->status). */
int emu_upstream_connect(emu_conn *c, json_t *query, json_t *headers, json_t *subprotocols,
                         emu_connect_result *r);
void emu_connect_result_clear(emu_connect_result *r);

/* A user event: POST and the answer. 0 with status 2xx and the body (new,
 * maybe NULL) and its type; -1 on failure (status 0 for transport errors,
 * reason filled). */
typedef struct emu_event_result {
    unsigned status;
    emu_dtype type;
    char *body;
    size_t len;
    char reason[256];
} emu_event_result;
int emu_upstream_user_event(emu_conn *c, const char *event, emu_dtype type, const void *data,
                            size_t len, emu_event_result *r);
void emu_event_result_clear(emu_event_result *r);
/* Whether the hub sends this user event upstream (pattern match). */
int emu_upstream_handles(const emu_hub *h, const char *event);
/* Unblocking notifications. */
void emu_upstream_connected(emu_conn *c);
void emu_upstream_disconnected(emu_conn *c, const char *reason);
/* Free the pooled curl handles and the validated-URL cache (at exit). */
void emu_upstream_cleanup(void);

/* ---- client endpoint (emu-ws.c) ---- */

struct MHD_Connection;
/* Answer a request to /client/... : checks the WebSocket handshake and the
 * access token, calls connect upstream, queues the 101 (or an error). On a
 * 101, *pending gets a reference the caller hands to emu_ws_finished() when
 * MHD completes the request. Returns an MHD_Result. */
int emu_ws_handshake(emu *e, struct MHD_Connection *conn, const char *method, const char *path,
                     emu_conn **pending);
void emu_ws_finished(emu_conn *pending);

/* ---- small shared helpers (emu-util.c) ---- */

void emu_logf(const emu *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int64_t emu_now_s(void);

#endif
