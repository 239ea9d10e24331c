/* Helpers shared by the unit tests (tests/check_*.c).
 *
 * Requests: build an awps_http_request from strings; everything is copied, so
 * temporaries may be passed.  Responses: a capture is an awps_respond_cb
 * target that keeps a heap copy of the response and lets the test wait for
 * an answer given later from another thread.
 */
#ifndef AWPS_TESTUTIL_H
#define AWPS_TESTUTIL_H

#include <stddef.h>
#include <awps/http.h>

/* ---- requests ---- */

typedef struct tu_request tu_request;

/* New request. `headers` is a NULL-terminated list of name, value, name,
 * value, ... (NULL for none); `body` may be NULL. Aborts on out of memory. */
tu_request *tu_request_new(const char *method, const char *path,
                           const char *const *headers,
                           const void *body, size_t body_len);
/* Same, headers given as arguments: name, value, ..., NULL. */
tu_request *tu_request_newv(const char *method, const char *path,
                            const void *body, size_t body_len, ...);
/* Append one header (copied). */
void tu_request_add_header(tu_request *r, const char *name, const char *value);
/* The request to pass to awps_handler_process(); valid until the next
 * tu_request_add_header() or tu_request_free(). */
const awps_http_request *tu_request_get(tu_request *r);
void tu_request_free(tu_request *r);

/* ---- responses ---- */

/* A heap copy of an awps_http_response. Strings are NULL when absent; body
 * is NUL-terminated (the NUL not counted in body_len), never NULL. */
typedef struct tu_response {
    unsigned status;
    char *content_type;
    char *allowed_origin;
    char *connection_state;
    char *body;
    size_t body_len;
} tu_response;

tu_response *tu_response_copy(const awps_http_response *res);
/* Another heap copy of a captured response (to keep after its capture is freed). */
tu_response *tu_response_dup(const tu_response *res);
void tu_response_free(tu_response *res);

/* ---- waiting for an answer ---- */

typedef struct tu_capture tu_capture;

tu_capture *tu_capture_new(void);
/* Frees the capture and the response it holds. Only when no respond call
 * can still come. */
void tu_capture_free(tu_capture *c);
/* The awps_respond_cb: pass it with the capture as data. Keeps the first
 * response, counts every call. */
void tu_capture_respond(void *data, const awps_http_response *res);
/* Wait until the first response arrived or timeout_ms passed. Returns the
 * response (owned by the capture) or NULL on timeout. */
const tu_response *tu_capture_wait(tu_capture *c, unsigned timeout_ms);
/* How many times tu_capture_respond() was called for this capture (a
 * correct library calls it exactly once per accepted request). */
unsigned tu_capture_calls(tu_capture *c);

/* Run awps_handler_process() on `r` and wait up to timeout_ms for the
 * response. Returns the process result (AWPS_OK, AWPS_DECLINED, an error);
 * with AWPS_OK, *res is the response, or NULL on timeout. The response is
 * owned by the capture `c`, which the caller creates and frees. */
int tu_process(awps_handler *h, tu_request *r, tu_capture *c, unsigned timeout_ms,
               const tu_response **res);

/* ---- a small HTTP client for tests over loopback (libcurl) ---- */

typedef struct tu_http_result {
    long status;             /* 0 on a transport error */
    char body[8192];         /* NUL-terminated, truncated */
    size_t len;
    char headers[4096];      /* the raw response header lines */
    size_t hlen;
} tu_http_result;

/* `headers`: NULL-terminated "Name: value" strings (or NULL); `body` NULL
 * for none; chunked sends it with Transfer-Encoding: chunked. Returns the
 * status, 0 on a transport error. */
long tu_http(tu_http_result *r, unsigned port, const char *method, const char *path,
             const char *const *headers, const char *body, size_t len, int chunked);

/* A POST as the service sends it: ce-specversion, ce-awpsversion, ce-id,
 * ce-time, ce-source, ce-type `ce_type`, ce-hub `hub`, ce-connectionId
 * `connection_id`, WebHook-Request-Origin, and Content-Type `content_type`
 * (none when NULL), to the default path of `hub`. Add more headers with
 * tu_request_add_header(). */
tu_request *tu_cloud_event(const char *hub, const char *ce_type, const char *connection_id,
                           const char *content_type, const void *body, size_t body_len);

#endif
