/* Helpers shared by the emulator's registry and REST unit tests
 * (tests/check_emu_hub.c, tests/check_emu_rest.c): one emulator with one
 * hub "chat", fake connections that record the frames sent to them and
 * their closes, and REST requests run straight through emu_rest_handle().
 * Everything is reset by the Check fixture emt_setup/emt_teardown. */
#ifndef AWPS_EMU_TESTUTIL_H
#define AWPS_EMU_TESTUTIL_H

#include <check.h>
#include <stddef.h>

#include "internal.h"
#include "../tools/emulator/emu.h"

#define KEY "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"
#define HOST "localhost:8080"
#define API "?api-version=2024-12-01"
#define HUB "/api/hubs/chat"
#define EMT_MAX_FRAMES 16
#define EMT_MAX_CONNS 16

/* What a fake connection was sent. */
typedef struct rec {
    int text[EMT_MAX_FRAMES];
    char *data[EMT_MAX_FRAMES];      /* NUL-terminated copies */
    size_t len[EMT_MAX_FRAMES], n;
    int closed;                      /* close calls */
    unsigned code;
    char reason[256];
} rec;

extern emu E;                        /* key KEY, one hub: H */
extern emu_hub H;                    /* "chat" */
extern const emu_conn_ops rec_ops;   /* io: a rec */
extern emu_answer A;                 /* the last REST answer */
extern json_t *J;                    /* its body parsed, or NULL */

void emt_setup(void);
void emt_teardown(void);

/* A registered connection (user may be NULL) in the groups given as a
 * NULL-terminated list; removed and freed by emt_teardown. */
emu_conn *conn_proto(const char *user, enum emu_proto proto, ...);
#define CONN(user, ...) conn_proto(user, EMU_PROTO_PLAIN, __VA_ARGS__)
/* A new unregistered connection with a recorder (register it with
 * emu_hub_add; emt_teardown frees it). */
emu_conn *conn_unregistered(const char *user);
rec *rec_of(emu_conn *c);
size_t frames(emu_conn *c);
/* Frame i of c is this text in a text frame. */
void got(emu_conn *c, size_t i, const char *text);

/* An HS256 token for aud, expiring exp_delta seconds from now. */
char *mint(const char *key, const char *aud, long long exp_delta);
/* Run one REST request; auth NULL: a good token for http://<host><uri>,
 * "": no Authorization header; host NULL: HOST. Sets A and J; returns the
 * status. */
unsigned req_full(const char *method, const char *uri, const char *ctype, const void *body,
                  size_t len, const char *auth, const char *host);
#define REQ(m, uri) req_full(m, uri, NULL, NULL, 0, NULL, NULL)
#define SEND(uri, ct, body) req_full("POST", uri, ct, body, strlen(body), NULL, NULL)

/* The last answer was a JSON error with this status and code. */
void error_is(unsigned status, const char *code);
/* The last answer's "message". */
const char *msg(void);
/* A formatted string in one of a few rotating static buffers. */
const char *U(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A Check case with the fixture and the NULL-terminated tests. */
void emt_add_case(Suite *s, const char *name, const TTest *const *tests);

#endif
