/* Shared by tests/check_hostile.c and tests/check_hostile2.c: a standalone
 * server on 127.0.0.1 port 0 with the hubs of tests/conformance-app.c
 * (chat: every callback; signed: access keys; locked: allowed endpoints),
 * every callback counted, and a raw-socket client for the requests libcurl
 * cannot send. */
#ifndef AWPS_HOSTILE_UTIL_H
#define AWPS_HOSTILE_UTIL_H

#include <stddef.h>

#include "testutil.h"

#define HU_KEY "primary-key-0123"     /* the signed hub's access key */
#define HU_CAP ((size_t)256 * 1024)   /* every hub's body cap in these tests */

/* The running server's port (set by hu_setup). */
extern unsigned hu_port;

/* Check fixture: start the server and reset the counter / stop and free it. */
void hu_setup(void);
void hu_teardown(void);

/* Callbacks run since hu_setup() or hu_reset_calls(). Waits briefly first so
 * that a callback still on its way is counted. */
int hu_calls(void);
void hu_reset_calls(void);

/* Asserts that no callback ran, then that a valid user event is still
 * answered 200 with its echo (the server keeps serving). */
void hu_still_serving(void);

/* ---- requests over libcurl ---- */

/* A CloudEvents POST to `hub` (chat, signed or locked) with the usual ce-*
 * headers for `type` (e.g. "azure.webpubsub.sys.connect",
 * "azure.webpubsub.user.echo"), connection id "conn1", the signature for the
 * signed hub, Content-Type `ctype` (none when NULL) and `extra` headers
 * ("Name: value", NULL-terminated, may be NULL). */
long hu_post(tu_http_result *r, const char *hub, const char *type, const char *ctype,
             const char *const *extra, const void *body, size_t len, int chunked);

/* ---- requests over a raw socket ---- */

typedef struct hu_raw {
    int status;            /* status of the first response, 0 when none */
    char head[8192];       /* its status line and headers, NUL-terminated */
    char body[8192];       /* its body (truncated), NUL-terminated */
    size_t blen;
    int closed;            /* the server closed the connection after it */
    int sent_all;          /* every byte of the request could be written */
} hu_raw;

/* Send `len` bytes of `req` on a new connection, read one response, then
 * wait up to 2 s to see whether the server closes the connection. */
int hu_raw_send(hu_raw *out, const void *req, size_t len);
/* Send `len` bytes, then close the connection without reading (a request
 * cut short). */
void hu_raw_cut(const void *req, size_t len);

/* The head of a valid POST to the chat hub as raw text: request line and
 * headers (with Connection: close) for a user event (or `type`) up to, not
 * including, the blank line;
 * append further headers, then "\r\n" and the body. Returns a new string. */
char *hu_raw_head(const char *type, const char *ctype);
/* A new string: a + b (a is freed). */
char *hu_cat(char *a, const char *b);

/* New buffer of `n` copies of byte `c` plus a NUL. */
char *hu_fill(char c, size_t n);
/* Base64 of `n` bytes; a new string. */
char *hu_b64(const void *data, size_t n);

#endif
