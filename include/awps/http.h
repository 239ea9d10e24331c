/* libawps — the protocol core as plain values, for any HTTP server.
 *
 * The standalone server and the libmicrohttpd glue are built on this; other
 * servers can call awps_handler_process() with a complete request. Nothing
 * here does I/O.
 *
 * Ownership: every pointer in a request is borrowed from the caller for the
 * duration of awps_handler_process(); every pointer in a response is borrowed
 * from the library for the duration of the respond callback (copy what you
 * keep). Thread-safety: awps_handler_process() may run on many threads at once.
 */
#ifndef AWPS_HTTP_H
#define AWPS_HTTP_H

#include <stddef.h>
#include <awps/common.h>
#include <awps/handler.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A request header; name and value are NUL-terminated. */
typedef struct awps_http_header {
    const char *name;
    const char *value;
} awps_http_header;

typedef struct awps_http_request {
    const char *method;             /* "POST", "OPTIONS", ... */
    const char *path;               /* decoded path, without the query string */
    const awps_http_header *headers;
    size_t header_count;
    const void *body;               /* may be NULL when body_len is 0 */
    size_t body_len;
} awps_http_request;

typedef struct awps_http_response {
    unsigned status;
    const char *content_type;       /* Content-Type, or NULL for none */
    const char *allowed_origin;     /* WebHook-Allowed-Origin, or NULL */
    const char *connection_state;   /* ce-connectionState, or NULL */
    const void *body;
    size_t body_len;
} awps_http_response;

/* Called exactly once per accepted request, possibly before
 * awps_handler_process() returns, possibly later from another thread. */
typedef void (*awps_respond_cb)(void *data, const awps_http_response *res);

/* Returned by awps_handler_process() when the request is not for this
 * handler (another path, method, hub, or not a Web PubSub request). */
#define AWPS_DECLINED (-1)

/* Process one complete request. Returns AWPS_OK when the handler took it
 * (cb will be called exactly once), AWPS_DECLINED when it is not the
 * handler's (cb is not called), or an awps_code when arguments are invalid. */
AWPS_EXPORT int awps_handler_process(awps_handler *h, const awps_http_request *req,
                                     awps_respond_cb cb, void *data);

#ifdef __cplusplus
}
#endif
#endif
