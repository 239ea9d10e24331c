/* awps-emulator: private interface between emu-rest.c (request parsing,
 * authentication, routing, answers) and emu-rest-ops.c (the operations). */
#ifndef AWPS_EMU_REST_H
#define AWPS_EMU_REST_H

#include "internal.h"
#include "emu.h"

#define REST_MAX_MULTI 4096    /* values of a repeated query parameter */

/* One request being answered. */
typedef struct rest_ctx {
    emu *e;
    const emu_request *r;
    emu_answer *a;
    emu_hub *h;
    const char *hub_name;   /* decoded, as in the path */
    const char *uri;        /* raw request-target (path?query) */
    int head;               /* HEAD: answers carry no body */
} rest_ctx;

/* An operation; arg holds the "*" segments of its route (decoded). */
typedef void (*rest_op)(rest_ctx *x, char **arg);

typedef struct rest_route {
    const char *method;
    const char *pattern;    /* segments after /api/hubs/{hub}; "*" captures */
    rest_op fn;
} rest_route;

/* The route table (emu-rest-ops.c). */
extern const rest_route rest_routes[];
extern const size_t rest_n_routes;

/* ---- answers (emu-rest.c) ---- */

/* Status and JSON body (j is consumed; no body for HEAD). */
void rest_json(rest_ctx *x, unsigned status, json_t *j);
/* {"code":code,"message":...}. */
void rest_fail(rest_ctx *x, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define REST_BAD(x, ...) rest_fail(x, 400, "Error.BadRequest", __VA_ARGS__)
/* Status only. */
void rest_empty(rest_ctx *x, unsigned status);

/* ---- request helpers (emu-rest.c) ---- */

/* First value of a query parameter, or NULL. */
const char *rest_q1(rest_ctx *x, const char *name);
/* All values of name in *out (a new array; free it). -1 (answered) when
 * there are more than REST_MAX_MULTI or out of memory. */
int rest_qall(rest_ctx *x, const char *name, const char ***out, size_t *n);
/* 1..EMU_MAX_NAME bytes: 0, else -1 answered with 400. what: "group name"
 * or "user id". */
int rest_check_name(rest_ctx *x, const char *what, const char *s);
/* A decimal number 0..max; -1 when not. */
long long rest_uint(const char *s, long long max);
/* Append s percent-encoded (all but unreserved characters). */
void rest_enc(awps__sb *b, const char *s);
/* The Host header, or listen:port when there is none. */
const char *rest_host(rest_ctx *x, char *buf, size_t len);
/* Parse a filter into *f (NULL when text is NULL or empty). 0, or -1
 * answered with 400. */
int rest_filter(rest_ctx *x, const char *text, emu_filter **f);

#endif
