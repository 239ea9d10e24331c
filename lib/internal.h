/* libawps internals: shared by the library sources and the unit tests, never installed.
 * Every symbol here starts with awps__ and is hidden from the shared library. */
#ifndef AWPS_INTERNAL_H
#define AWPS_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <jansson.h>
#include <awps.h>
#include <awps/service.h>

/* ---- logging (common.c) ---- */

typedef struct awps__log {
    awps_log_cb cb;        /* NULL: stderr */
    void *data;
    awps_log_level max;
} awps__log;

void awps__log_init(awps__log *log);
void awps__logf(const awps__log *log, awps_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- small helpers (common.c) ---- */

char *awps__strdup(const char *s);
char *awps__strndup(const char *s, size_t n);
int awps__strcaseeq(const char *a, const char *b);
/* Case-insensitive prefix test on n bytes. */
int awps__strncaseeq(const char *a, const char *b, size_t n);
/* Monotonic clock in milliseconds. */
uint64_t awps__now_ms(void);
/* Standard base64 with padding; returns a new NUL-terminated string. */
char *awps__b64_encode(const void *data, size_t len);
/* Lenient decode (standard or URL alphabet, padding optional, whitespace
 * skipped); returns a new buffer (NUL-terminated) or NULL when invalid. */
unsigned char *awps__b64_decode(const char *text, size_t *out_len);
/* Non-zero when the bytes are valid UTF-8. */
int awps__utf8_valid(const void *data, size_t len);

/* A growing NUL-terminated string with a size bound; the first failure
 * sticks (err: AWPS_E_NOMEM, AWPS_E_TOO_LARGE, or one a caller sets).
 * Start with {.max = LIMIT}; free p. */
typedef struct awps__sb {
    char *p;
    size_t len, cap, max;
    int err;
} awps__sb;

void awps__sb_add(awps__sb *b, const char *s, size_t n);
void awps__sb_str(awps__sb *b, const char *s);
void awps__sb_chr(awps__sb *b, char c);
/* Append `s` (valid UTF-8) as a JSON string literal, escaped byte for byte
 * as jansson's compact dump escapes it. */
void awps__sb_json(awps__sb *b, const char *s);

/* ---- request headers (cloudevents.c) ---- */

enum awps__hdr {
    AWPS__H_AWPSVERSION,
    AWPS__H_TYPE,
    AWPS__H_HUB,
    AWPS__H_CONNECTION_ID,
    AWPS__H_USER_ID,
    AWPS__H_EVENT_NAME,
    AWPS__H_SIGNATURE,
    AWPS__H_STATE,
    AWPS__H_SUBPROTOCOL,
    AWPS__H_PHYSICAL_ID,
    AWPS__H_SESSION_ID,
    AWPS__H_ORIGIN,
    AWPS__H_CONTENT_TYPE,
    AWPS__H_COUNT
};

#define AWPS__HEAD_ORIGINS 4   /* further WebHook-Request-Origin lines kept */
#define AWPS__HEAD_EXTRA 32    /* other ce-* headers tracked for duplicates */

/* The headers the protocol reads; names and values borrowed from the request. */
typedef struct awps__head {
    const char *v[AWPS__H_COUNT];
    const char *origins[AWPS__HEAD_ORIGINS];
    size_t n_origins;
    const char *extra_name[AWPS__HEAD_EXTRA], *extra_value[AWPS__HEAD_EXTRA];
    size_t n_extra;
    int extra_overflow;    /* more distinct other ce-* headers than tracked */
    const char *conflict;  /* name of a ce-* header sent twice with different values */
    const char *bad;       /* name of the first ce-* (or other read) header whose */
    const char *bad_why;   /* value holds NUL, control bytes or bad UTF-8; why */
} awps__head;

void awps__head_init(awps__head *hd);
/* Feed one header (any header; unknown ones are ignored). */
void awps__head_add(awps__head *hd, const char *name, const char *value);
/* The same with the value's length as received: a NUL byte inside it
 * (strlen(value) < len) marks the header bad, for any header (the other
 * checks are for the headers the protocol reads). */
void awps__head_add_n(awps__head *hd, const char *name, const char *value, size_t len);
const char *awps__head_name(enum awps__hdr which);

typedef enum awps__kind {
    AWPS__K_NONE = 0,
    AWPS__K_CONNECT = AWPS_EVENT_CONNECT,
    AWPS__K_USER = AWPS_EVENT_USER,
    AWPS__K_CONNECTED = AWPS_EVENT_CONNECTED,
    AWPS__K_DISCONNECTED = AWPS_EVENT_DISCONNECTED,
    AWPS__K_JOINED = AWPS_EVENT_GROUP_JOINED,
    AWPS__K_LEFT = AWPS_EVENT_GROUP_LEFT
} awps__kind;

/* Classify ce-type; AWPS__K_NONE for anything this library does not handle. */
awps__kind awps__classify(const char *ce_type);
/* MQTT detection: subprotocol contains "mqtt" (any case) and a physical id. */
int awps__is_mqtt(const awps__head *hd);
/* The event name: ce-eventName, else derived from ce-type. */
const char *awps__event_name(const awps__head *hd, awps__kind kind);

/* ---- signature.c ---- */

#define AWPS__SIG_HEX_LEN 64
/* Lower-case hex HMAC-SHA256(key, message) into out[65]. */
int awps__sig_compute(const char *key, const char *message, char out[AWPS__SIG_HEX_LEN + 1]);
/* Non-zero when `header` ("sha256=<hex>,...") holds `expected_hex` for some
 * entry: spaces trimmed, hex case-insensitive, constant time per entry. */
int awps__sig_header_matches(const char *header, const char *expected_hex);

/* Key set, safe to change while other threads verify. */
typedef struct awps__keys {
    pthread_rwlock_t lock;
    char **keys;
    void **macs;           /* per key: an OpenSSL EVP_MAC_CTX keyed once */
    size_t n;
    atomic_uint gen;       /* library-wide unique, changes with every add/remove */
} awps__keys;

int awps__keys_init(awps__keys *k);
void awps__keys_destroy(awps__keys *k);
int awps__keys_add(awps__keys *k, const char *key);
int awps__keys_remove(awps__keys *k, const char *key);
size_t awps__keys_count(awps__keys *k);
/* 1 when no keys are configured or the header matches one; else 0. */
int awps__keys_verify(awps__keys *k, const char *connection_id, const char *header);

/* ---- origin.c ---- */

/* host[:port] of an absolute http(s) URL, lower-case, default port dropped;
 * a new string or NULL when the URL is not valid. */
char *awps__url_host(const char *url);
/* Non-zero when any comma-separated origin in `header` equals (ignoring
 * case, trimmed) one of the n allowed hosts. */
int awps__origin_allowed(const char *header, char *const *allowed, size_t n);

/* ---- state.c ---- */

/* Decode ce-connectionState: always a new JSON object (empty when absent or
 * invalid). */
json_t *awps__state_decode(const char *header);
/* Encode an object: new base64 string, or NULL on out of memory. */
char *awps__state_encode(const json_t *states);

/* ---- mqtt.c: see awps_mqtt_* in reply.h ---- */

/* ---- handler.c ---- */

struct awps_handler {
    atomic_uint refs;
    char *hub;
    char *path;
    size_t path_len;
    void *data;
    awps_connect_cb on_connect;
    void *connect_data;
    awps_user_event_cb on_user;
    void *user_data;
    awps_notify_cb on_connected, on_disconnected, on_joined, on_left;
    void *connected_data, *disconnected_data, *joined_data, *left_data;
    char **allowed;            /* host[:port] list; NULL/0 = all allowed */
    size_t n_allowed;
    awps__keys keys;
    atomic_size_t max_body;
    atomic_uint timeout_ms;
    awps__log log;
};

awps_handler *awps__handler_ref(awps_handler *h);
void awps__handler_unref(awps_handler *h);

/* ---- event.c ---- */

struct awps_event {
    awps_event_type type;
    awps_handler *handler;     /* referenced */
    const char *hub, *connection_id, *user_id, *name, *subprotocol, *origin,
        *signature, *physical_id, *session_id, *content_type;
    char *strings;             /* one block holding the strings above */
    awps_client_protocol protocol;
    /* decoded incoming state; NULL (empty) when there was no header: the
     * empty object is made when first asked for */
    _Atomic(json_t *) states;
    json_t *body;              /* system events: the parsed object */
    awps_data_type data_type;
    char *data;                /* user events: raw body + NUL */
    size_t data_len;
    json_t *json;              /* user events with JSON data */
    /* connect: borrowed from body, or owned empties */
    json_t *claims, *query, *headers, *subprotocols, *certs, *mqtt;
    json_t *empties;           /* array owning empty placeholders */
    const char *reason, *group;
};

/* Fill the context part from the headers (strings copied). */
int awps__event_init(awps_event *ev, awps_handler *h, awps__kind kind, const awps__head *hd);
void awps__event_clear(awps_event *ev);

/* ---- connect.c / notify.c / user_event.c: parse and validate bodies ----
 * Each returns 0, or fills `why` (a short reason for a 400) and returns -1.
 * `body` is taken over by the event on success and on failure. */
typedef struct awps__why {
    char text[200];
} awps__why;

int awps__connect_parse(awps_event *ev, char *body, size_t len, awps__why *why);
int awps__notify_parse(awps_event *ev, char *body, size_t len, awps__why *why);
int awps__user_parse(awps_event *ev, char *body, size_t len, awps__why *why);
/* Response Content-Type for a user event answer (user_event.c). */
const char *awps__user_content_type(awps_data_type type);
/* Parse a body as a JSON object (common to system events). */
json_t *awps__parse_object(const char *body, size_t len, awps__why *why);
void awps__why_set(awps__why *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Type checks shared by the body parsers. */
int awps__check_string_array(json_t *a);
int awps__check_user_properties(json_t *a);  /* null or [{"name":s,"value":s}] */

/* ---- reply.c ---- */

/* A response under construction; the library's answer. */
typedef struct awps__resp {
    unsigned status;
    const char *content_type;
    char *state;               /* owned */
    char *body;                /* owned */
    const void *data;          /* borrowed instead of body (answered before it goes) */
    size_t body_len;
} awps__resp;

struct awps_reply {
    pthread_mutex_t lock;
    atomic_int refs;
    int done;
    awps_event ev;
    json_t *states_out;        /* NULL = state untouched */
    char *user_id, *subprotocol;
    awps__sb groups, roles;    /* NUL-separated strings; len 0: none added */
    json_t *mqtt_props;
    awps_respond_cb respond;
    void *respond_data;
    /* timer list, guarded by the timer's lock */
    struct awps_reply *tprev, *tnext;
    uint64_t deadline;
    atomic_int in_timer;
};

/* New reply owning `ev`'s content (ev is moved in). refs = 1 (the responder's). */
awps_reply *awps__reply_new(awps_event *ev, awps_respond_cb cb, void *data);
/* Answer with status and a text reason unless already done (timeouts, shutdown). */
int awps__reply_abort(awps_reply *r, unsigned status, const char *reason);
/* After the callback returned: arm the timeout unless done. */
void awps__reply_arm(awps_reply *r);

/* The JSON body of a successful connect answer (connect.c); new string. */
char *awps__connect_answer(const awps_reply *r, size_t *len);

/* ---- timer (reply.c): one library-wide thread answers expired replies ---- */

int awps__timer_add(awps_handler *h, awps_reply *r);
void awps__timer_remove(awps_reply *r);

/* ---- dispatch.c ---- */

typedef enum awps__verdict {
    AWPS__DECLINE = 0,
    AWPS__RESPOND = 1,   /* answer `early` now, without reading the body */
    AWPS__NEED_BODY = 2  /* read the body, then call awps__dispatch_body() */
} awps__verdict;

typedef struct awps__early {
    unsigned status;
    const char *allowed_origin;   /* static or NULL */
    const char *content_type;     /* static or NULL */
    char body[240];               /* text reason, NUL-terminated ("" for none) */
} awps__early;

/* Decide from the request line and headers alone. content_length is the
 * announced body length, or UINT64_MAX when unknown (chunked). */
awps__verdict awps__dispatch_head(awps_handler *h, const char *method, const char *path,
                                  const awps__head *hd, uint64_t content_length,
                                  awps__kind *kind, awps__early *early);
/* Process a request that awps__dispatch_head() accepted with NEED_BODY.
 * `body` (malloc'ed, len bytes + a NUL, may be NULL when len is 0) is taken
 * over. cb is called exactly once. When the answer is still pending on
 * return, *pending (if not NULL) gets the reply with a reference the caller
 * must release; else NULL. */
void awps__dispatch_body(awps_handler *h, awps__kind kind, const awps__head *hd, char *body,
                         size_t len, awps_respond_cb cb, void *data, awps_reply **pending);
/* Deliver an early answer through a respond callback. */
void awps__early_respond(const awps__early *e, awps_respond_cb cb, void *data);

/* ---- service side: service.c, connstr.c, token.c, rest.c, http.c ---- */

struct awps_service {
    char *endpoint;            /* normalised, e.g. "https://host/" or "http://h:8080/prefix" */
    char *key;                 /* access key text (HMAC key bytes) */
    char *hub;
    char *proxy;               /* reverse proxy "scheme://host[:port]", or NULL */
    unsigned max_retries, retry_delay_ms, retry_max_delay_ms;
    unsigned timeout_ms;       /* per attempt; 0: none */
    awps_clock_cb clock;       /* NULL: system clock */
    void *clock_data;
    void *transport;           /* http.c's per-client state (curl share, handle pool) */
};

/* Milliseconds since the epoch from the client's clock. */
int64_t awps__service_now_ms(const awps_service *s);
/* Fill err (may be NULL) and return code. */
int awps__service_fail(awps_service_error *err, int code, long status, const char *service_code,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* token.c (the only file that includes <jwt.h>): HS256 JWT over `payload`
 * with the key bytes; a new string. libjwt 1.10 always serialises the members
 * sorted by name (so the bytes differ from the SDK's, the claims do not).
 * NULL on failure with errno ENOMEM, E2BIG (payload over
 * AWPS__JWT_MAX_PAYLOAD bytes) or EINVAL (empty key, a member libjwt refuses). */
char *awps__jwt_sign(const char *key, const json_t *payload);
/* The REST bearer token: {"iat","exp"=iat+3600,"aud"=url}; a new string.
 * NULL on failure (errno as above; EINVAL also for a URL not valid UTF-8). */
char *awps__jwt_for_url(const awps_service *s, const char *url);

/* Verify an HS256 JWT signed with the key bytes: signature, alg, exp
 * (required, > now_s), nbf (if present, <= now_s + 300). 0 with *claims a
 * new object (the caller checks aud and the rest), or -1 with the reason in
 * why. */
int awps__jwt_verify(const char *key, const char *token, int64_t now_s, json_t **claims,
                     char *why, size_t why_len);

/* Limits on inputs. libjwt puts twice the payload size on the stack (alloca),
 * so the payload is capped. */
#define AWPS__CONNSTR_MAX 16384
#define AWPS__URL_MAX 4096           /* endpoint and reverse-proxy URLs */
#define AWPS__KEY_MAX 4096           /* access key bytes */
#define AWPS__JWT_MAX_PAYLOAD 32768  /* serialised JWT payload bytes */

/* connstr.c: an absolute http(s) URL normalised like the WHATWG URL parser
 * (scheme and host lower-cased, canonical IP hosts, default port dropped, dot
 * segments resolved, path percent-encoded, empty path "/"). port_text NULL
 * keeps the URL's port, else applies the URL.port setter (empty: remove;
 * leading digits; otherwise ignored). origin_only: "scheme://host[:port]",
 * path, query and fragment ignored; otherwise a query or fragment is refused,
 * as are credentials and non-ASCII host names. AWPS_OK with *out new,
 * AWPS_E_URL with the reason in why, or AWPS_E_NOMEM. */
int awps__url_normalise(const char *url, const char *port_text, int origin_only, char **out,
                        char *why, size_t why_len);

/* http.c: release s->transport (NULL is fine); called by awps_service_free(). */
void awps__http_free(awps_service *s);

/* ---- rest.c → http.c: one REST request and its answer ---- */

/* A request URL (and a nextLink) stays well under AWPS__JWT_MAX_PAYLOAD. */
#define AWPS__REQUEST_URL_MAX ((size_t)16 * 1024)
#define AWPS__RESPONSE_MAX ((size_t)16 * 1024 * 1024)   /* response body bytes */

typedef struct awps__http_req {
    const char *method;          /* "GET", "HEAD", "POST", "PUT", "DELETE" */
    const char *url;             /* the service URL (the token's audience); http.c
                                  * sends it to the reverse proxy when one is set */
    const char *authorization;   /* whole header value, "Bearer <jwt>" */
    const char *request_id;      /* x-ms-client-request-id */
    const char *content_type;    /* NULL: no body (POST/PUT then send Content-Length: 0) */
    const void *body;
    size_t body_len;
    unsigned timeout_ms;         /* the attempt's time limit; 0: none (http.c sets it) */
} awps__http_req;

typedef struct awps__http_resp {
    long status;                 /* 0 until an answer arrived */
    char *body;                  /* owned, NUL-terminated (NUL not counted), or NULL */
    size_t body_len;
    char content_type[128];      /* response headers of interest, "" when absent */
    char error_code[96];         /* x-ms-error-code */
    char retry_after[64];        /* Retry-After (seconds or an HTTP date) */
    char retry_after_ms[32];     /* retry-after-ms */
    char x_retry_after_ms[32];   /* x-ms-retry-after-ms */
} awps__http_resp;

/* Send `req` with the client's retry policy (spec §6.1). AWPS_OK when an
 * answer arrived (whatever its status; *resp filled, clear it with
 * awps__http_resp_clear()); AWPS_E_TRANSPORT (curl's text in err->message),
 * AWPS_E_TOO_LARGE (body over AWPS__RESPONSE_MAX) or AWPS_E_NOMEM otherwise.
 * Safe from many threads on one client. */
int awps__http_call(awps_service *s, const awps__http_req *req, awps__http_resp *resp,
                    awps_service_error *err);
void awps__http_resp_clear(awps__http_resp *resp);
/* Turn a non-success answer into AWPS_E_HTTP (spec §6.3): status, service
 * code (x-ms-error-code, else the JSON body's "code"), message (the JSON
 * body's "message" for application/json and text/json, else the raw text). */
int awps__http_error(const awps__http_resp *resp, awps_service_error *err);
/* Test seam: replace one attempt over libcurl (the retry loop stays). The
 * function fills resp and returns AWPS_OK, or returns AWPS_E_TRANSPORT with
 * *retryable set and a reason in errbuf. fn NULL restores libcurl. Set it
 * before sharing the client. */
typedef int (*awps__http_send_fn)(void *data, const awps__http_req *req, const char *url,
                                  awps__http_resp *resp, int *retryable, char *errbuf,
                                  size_t errlen);
int awps__http_set_send(awps_service *s, awps__http_send_fn fn, void *data);

/* ---- negotiate.c ---- */

struct awps_negotiate {
    atomic_uint refs;
    awps_service *service;     /* borrowed */
    char *path;                /* without trailing '/' (but "/" itself) */
    size_t path_len;
    awps_negotiate_cb cb;
    void *data;
};

/* The request as the callback sees it: lookups supplied by the server glue;
 * kind 0 = query parameter, 1 = header. */
struct awps_negotiate_request {
    const char *(*lookup)(void *ctx, int kind, const char *name);
    void *ctx;
};

typedef struct awps__negotiate_out {
    unsigned status;
    const char *content_type;  /* static */
    char *body;                /* new, NUL-terminated; may be NULL on out of memory */
} awps__negotiate_out;

awps_negotiate *awps__negotiate_ref(awps_negotiate *n);
int awps__negotiate_matches(const awps_negotiate *n, const char *path);
void awps__negotiate_answer(awps_negotiate *n, const char *method,
                            const awps_negotiate_request *req, awps__negotiate_out *out);

/* ---- mhd.c ---- */

/* Replace the application's access handler (the standalone server's fallback). */
void awps__mhd_set_next(awps_mhd *m, MHD_AccessHandlerCallback next, void *cls);
/* Accept requests again after awps_mhd_drain() (a restarted server). */
void awps__mhd_undrain(awps_mhd *m);

/* ---- mhd-headers.c: a request's header block, on its first call ---- */

/* One pass over the header block. Feeds every header to hd (a NUL byte
 * inside a value counted in, so that the header is refused); sets *clen to
 * the body length announced (Content-Length; 0 without it; UINT64_MAX with a
 * transfer coding). Returns 0, or the status (400, 501) of framing HTTP/1.1
 * forbids, with the reason in why: Content-Length lines that differ,
 * Content-Length with Transfer-Encoding, a coding other than plain chunked, a
 * header name with bytes not allowed in a name. *pool gets what the header
 * block takes of the connection's memory pool (AWPS__POOL_PER_HEADER per
 * header besides its bytes), for the check of an answer's headers. */
unsigned awps__mhd_read_head(struct MHD_Connection *c, awps__head *hd, uint64_t *clen,
                             size_t *pool, char *why, size_t len);
/* libmicrohttpd 0.9.75 keeps the request's header block in the connection's
 * memory pool and adds a 64-byte record per header; the answer's header
 * block must fit in what is left (measured: request block + 64 per header
 * + answer block <= pool size - about 30 bytes). */
#define AWPS__POOL_PER_HEADER 64

#endif
