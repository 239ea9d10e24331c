/* libawps — a negotiate endpoint: GET <path> answers
 * {"baseUrl": ..., "url": ..., "token": ...} with a client access URL whose
 * user id, roles, groups and lifetime a callback chooses from the request
 * (a query parameter, or a header set by an authenticating proxy).
 *
 * Mount it on a standalone awps_server or on awps_mhd glue. Thread-safety:
 * the callback runs on the server's threads, possibly several at once.
 */
#ifndef AWPS_NEGOTIATE_H
#define AWPS_NEGOTIATE_H

#include <stddef.h>
#include <awps/common.h>
#include <awps/service.h>
#include <awps/server.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct awps_negotiate awps_negotiate;
typedef struct awps_negotiate_request awps_negotiate_request;

/* Choose the token for one request: fill `opts` (its strings may point into
 * the request or into storage that outlives the call) and return 0 to answer
 * 200, or an HTTP status 400-599 to refuse; a one-line reason may be written
 * to `reason` (reason_size bytes, NUL-terminated) for the answer's body. */
typedef unsigned (*awps_negotiate_cb)(const awps_negotiate_request *req,
                                      awps_token_options *opts, char *reason,
                                      size_t reason_size, void *data);

/* New route at `path` (copied; matched exactly, a trailing '/' ignored)
 * minting tokens with `service` (borrowed: it must outlive the route). cb
 * NULL: every request gets an anonymous token. Free with
 * awps_negotiate_free(); servers it was added to keep their own reference. */
AWPS_EXPORT awps_negotiate *awps_negotiate_new(awps_service *service, const char *path,
                                               awps_negotiate_cb cb, void *data);
AWPS_EXPORT void awps_negotiate_free(awps_negotiate *n);

/* The request, inside the callback: the first value of a query parameter or
 * of a header (case-insensitive), or NULL; borrowed for the callback. */
AWPS_EXPORT const char *awps_negotiate_query(const awps_negotiate_request *req,
                                             const char *name);
AWPS_EXPORT const char *awps_negotiate_header(const awps_negotiate_request *req,
                                              const char *name);

/* Mount on the glue or a standalone server (before serving); takes a reference. */
AWPS_EXPORT int awps_mhd_add_negotiate(awps_mhd *m, awps_negotiate *n);
AWPS_EXPORT int awps_server_add_negotiate(awps_server *s, awps_negotiate *n);

#ifdef __cplusplus
}
#endif
#endif
