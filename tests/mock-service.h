/* An in-process mock of the Web PubSub data-plane REST service, for tests.
 *
 * libmicrohttpd on 127.0.0.1, port 0 (read it back with mock_port()). Every
 * request is recorded: method, the raw request target exactly as received
 * (percent-encoding untouched), some headers, the body, the TCP connection it
 * came on, and the verdict on its bearer token (HS256 signature with the
 * access key, "aud" equal to the audience base + the raw target, exp > iat).
 *
 * Answers: scripted ones first (a FIFO queue, one per request, whatever the
 * request), then the defaults of the REST API's success statuses: HEAD 200,
 * POST .../:send 202, POST .../:closeConnections 204, other POST 200 (and
 * :generateToken a token), PUT 200, DELETE 204, GET .../connections
 * {"value":[]}, anything else 404. In scripted bodies and header values the
 * text {{base}} stands for mock_base().
 *
 * Admin routes (not recorded, no token needed), for shell-level tests:
 *   POST /_mock/script    body: one script object or an array of them
 *                         ({"status":N,"content_type":"...","body":"...",
 *                           "headers":{"name":"value",...}}; status 0 drops
 *                         the connection without an answer)
 *   POST /_mock/reset     forget requests and scripts
 *   GET  /_mock/requests  the recorded requests, a JSON array (mock_request_json)
 *
 * Thread-safety: all functions may be called from any thread while the mock
 * serves; a recorded request is never changed once visible.
 */
#ifndef AWPS_MOCK_SERVICE_H
#define AWPS_MOCK_SERVICE_H

#include <stddef.h>
#include <jansson.h>

typedef struct mock_service mock_service;

typedef struct mock_request {
    char *method;
    char *target;             /* raw request target: path[?query] */
    char *path;               /* before the '?' */
    char *query;              /* after the '?', "" when none */
    /* request headers, NULL when absent */
    char *authorization, *content_type, *content_length, *accept, *accept_encoding,
        *user_agent, *request_id, *expect, *transfer_encoding;
    char *body;               /* NUL-terminated (not counted), never NULL */
    size_t body_len;
    /* the bearer token */
    int token_ok;             /* 1: signature, audience and times all right */
    char token_error[160];    /* why not, "" when token_ok */
    char *token_payload;      /* decoded payload text, NULL when undecodable */
    char *token_aud;          /* "aud", NULL when absent */
    long long token_iat, token_exp;
    /* the answer */
    unsigned status;          /* 0: connection dropped */
    unsigned long connection; /* TCP connection number, from 1 */
} mock_request;

/* Start on 127.0.0.1 with a free port. access_key NULL: tokens are not
 * checked (token_ok 0, token_error says so). NULL on failure. */
mock_service *mock_start(const char *access_key);
/* Stop serving and free everything (recorded requests included). */
void mock_stop(mock_service *m);

unsigned mock_port(const mock_service *m);
/* "http://127.0.0.1:PORT"; borrowed. */
const char *mock_base(const mock_service *m);

/* The expected "aud" is base + raw target; base NULL restores mock_base().
 * Set it to the service endpoint's scheme://host[:port] when requests come
 * through a reverse proxy. */
void mock_set_audience_base(mock_service *m, const char *base);
/* strict: answer 401 to requests whose token is not right. */
void mock_set_strict(mock_service *m, int strict);

/* Queue one answer. content_type and body may be NULL; then name/value
 * pairs of extra headers, ending with NULL. status 0 drops the connection.
 * 0 on success, -1 on out of memory. */
int mock_script(mock_service *m, unsigned status, const char *content_type, const char *body,
                ...);
/* The same from a JSON script object (see above). 0, or -1 when invalid. */
int mock_script_json(mock_service *m, json_t *script);
/* Scripted answers not yet used. */
size_t mock_pending_scripts(mock_service *m);

size_t mock_count(mock_service *m);
/* Request i (from 0), valid until mock_reset() or mock_stop(); NULL when
 * out of range. */
const mock_request *mock_request_at(mock_service *m, size_t i);
/* The latest request, or NULL. */
const mock_request *mock_last(mock_service *m);
/* Wait until at least n requests were recorded or timeout_ms passed;
 * returns the count. */
size_t mock_wait(mock_service *m, size_t n, unsigned timeout_ms);
/* TCP connections accepted so far. */
unsigned long mock_connections(mock_service *m);
/* Forget the recorded requests and the pending scripts (not the counters of
 * connections). */
void mock_reset(mock_service *m);

/* Called on the mock's thread after each request is recorded. */
typedef void (*mock_request_cb)(void *data, const mock_request *r);
void mock_on_request(mock_service *m, mock_request_cb cb, void *data);

/* A new JSON object describing r: method, target, path, query, the headers
 * (null when absent), body (a string when valid UTF-8, else body_base64),
 * token_ok, token_error, token_payload, aud, iat, exp, status, connection. */
json_t *mock_request_json(const mock_request *r);

/* ---- used by mock-service.c, from mock-request.c ---- */

/* Fill r's token fields from r->authorization: token_ok when the HS256
 * signature with `key` is right, "aud" equals aud_want and exp > iat. */
void mock_check_token(mock_request *r, const char *key, const char *aud_want);
/* Free a request and every string in it. */
void mock_request_free(mock_request *r);

#endif
