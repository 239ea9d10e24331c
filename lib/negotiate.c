/* The negotiate route: a user callback picks the token options from the
 * request, the service client mints the token, and the answer is
 * {"baseUrl","url","token"}. No I/O here: the MHD glue (mhd.c) supplies the
 * request lookups and sends the answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

awps_negotiate *awps_negotiate_new(awps_service *service, const char *path, awps_negotiate_cb cb,
                                   void *data)
{
    awps_negotiate *n;
    size_t len;

    if (!service || !path || path[0] != '/')
        return NULL;
    if (!(n = calloc(1, sizeof *n)) || !(n->path = awps__strdup(path))) {
        free(n);
        return NULL;
    }
    len = strlen(n->path);
    while (len > 1 && n->path[len - 1] == '/')
        n->path[--len] = '\0';
    n->path_len = len;
    atomic_init(&n->refs, 1);
    n->service = service;
    n->cb = cb;
    n->data = data;
    return n;
}

awps_negotiate *awps__negotiate_ref(awps_negotiate *n)
{
    atomic_fetch_add(&n->refs, 1);
    return n;
}

void awps_negotiate_free(awps_negotiate *n)
{
    if (!n || atomic_fetch_sub(&n->refs, 1) != 1)
        return;
    free(n->path);
    free(n);
}

int awps__negotiate_matches(const awps_negotiate *n, const char *path)
{
    size_t len = strlen(path);

    while (len > 1 && path[len - 1] == '/')
        len--;
    return len == n->path_len && memcmp(path, n->path, len) == 0;
}

const char *awps_negotiate_query(const awps_negotiate_request *req, const char *name)
{
    return req && name ? req->lookup(req->ctx, 0, name) : NULL;
}

const char *awps_negotiate_header(const awps_negotiate_request *req, const char *name)
{
    return req && name ? req->lookup(req->ctx, 1, name) : NULL;
}

/* Set *out (status, content type, new body) for one request. */
void awps__negotiate_answer(awps_negotiate *n, const char *method,
                            const awps_negotiate_request *req, awps__negotiate_out *out)
{
    awps_token_options opts;
    awps_client_token tok = {0};
    awps_service_error err;
    char reason[256] = "";
    unsigned status = 0;
    awps__sb b = {.max = SIZE_MAX / 2};

    memset(&opts, 0, sizeof opts);
    memset(out, 0, sizeof *out);
    out->content_type = "text/plain; charset=utf-8";
    if (strcmp(method, "GET") != 0) {
        out->status = 405;
        out->body = awps__strdup("negotiate: only GET is allowed\n");
        return;
    }
    if (n->cb)
        status = n->cb(req, &opts, reason, sizeof reason, n->data);
    if (status != 0) {
        if (status < 400 || status > 599)
            status = 500;
        reason[sizeof reason - 1] = '\0';
        out->status = status;
        out->body = awps__strdup(reason[0] ? reason : "negotiate: refused");
        return;
    }
    if (awps_service_client_token(n->service, &opts, &tok, &err) != AWPS_OK) {
        out->status = err.code == AWPS_E_INVALID ? 400 : 500;
        size_t need = strlen(err.message) + 64;
        if ((out->body = malloc(need)))
            snprintf(out->body, need, "negotiate: cannot issue a token: %s\n", err.message);
        return;
    }
    /* {"baseUrl":..,"url":..,"token":..}, written directly (ASCII strings) */
    awps__sb_str(&b, "{\"baseUrl\":");
    awps__sb_json(&b, tok.base_url);
    awps__sb_str(&b, ",\"url\":");
    awps__sb_json(&b, tok.url);
    awps__sb_str(&b, ",\"token\":");
    awps__sb_json(&b, tok.token);
    awps__sb_chr(&b, '}');
    awps_client_token_clear(&tok);
    if (b.err) {
        free(b.p);
        b.p = NULL;
    }
    out->body = b.p;
    out->status = out->body ? 200 : 500;
    out->content_type = "application/json; charset=utf-8";
    if (!out->body)
        out->body = awps__strdup("negotiate: out of memory\n");
}
