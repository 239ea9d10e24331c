/* The handler object: configuration, callbacks, keys and its lifetime. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define DEFAULT_PREFIX "/api/webpubsub/hubs/"

/* Lower-case copy with a trailing '/'. */
static char *normalise_path(const char *path, size_t *len_out)
{
    size_t n = strlen(path);
    int add = n == 0 || path[n - 1] != '/';
    char *p = malloc(n + (size_t)add + 1);
    if (!p)
        return NULL;
    for (size_t i = 0; i < n; i++)
        p[i] = (char)tolower((unsigned char)path[i]);
    if (add)
        p[n++] = '/';
    p[n] = '\0';
    *len_out = n;
    return p;
}

awps_handler *awps_handler_new(const char *hub)
{
    awps_handler *h;
    char *path;

    if (!hub || !*hub)
        return NULL;
    if (!(h = calloc(1, sizeof *h)))
        return NULL;
    atomic_init(&h->refs, 1);
    atomic_init(&h->max_body, AWPS_DEFAULT_MAX_BODY);
    atomic_init(&h->timeout_ms, AWPS_DEFAULT_REPLY_TIMEOUT_MS);
    awps__log_init(&h->log);
    if (!(h->hub = awps__strdup(hub)) ||
        !(path = malloc(sizeof DEFAULT_PREFIX + strlen(hub) + 1)))
        goto fail_hub;
    strcpy(path, DEFAULT_PREFIX);
    strcat(path, hub);
    h->path = normalise_path(path, &h->path_len);
    free(path);
    if (!h->path)
        goto fail_hub;
    if (awps__keys_init(&h->keys) != 0)
        goto fail_path;
    return h;

fail_path:
    free(h->path);
fail_hub:
    free(h->hub);
    free(h);
    return NULL;
}

awps_handler *awps__handler_ref(awps_handler *h)
{
    atomic_fetch_add(&h->refs, 1);
    return h;
}

void awps__handler_unref(awps_handler *h)
{
    if (!h || atomic_fetch_sub(&h->refs, 1) != 1)
        return;
    awps__keys_destroy(&h->keys);
    for (size_t i = 0; i < h->n_allowed; i++)
        free(h->allowed[i]);
    free(h->allowed);
    free(h->path);
    free(h->hub);
    free(h);
}

void awps_handler_free(awps_handler *h)
{
    awps__handler_unref(h);
}

const char *awps_handler_hub(const awps_handler *h)
{
    return h ? h->hub : NULL;
}

const char *awps_handler_path(const awps_handler *h)
{
    return h ? h->path : NULL;
}

int awps_handler_set_path(awps_handler *h, const char *path)
{
    size_t len;
    char *p;

    if (!h || !path || path[0] != '/')
        return AWPS_E_INVALID;
    if (!(p = normalise_path(path, &len)))
        return AWPS_E_NOMEM;
    free(h->path);
    h->path = p;
    h->path_len = len;
    return AWPS_OK;
}

void awps_handler_set_data(awps_handler *h, void *data)
{
    if (h)
        h->data = data;
}

void *awps_handler_get_data(const awps_handler *h)
{
    return h ? h->data : NULL;
}

#define SETTER(fn, type, field, dfield)                   \
    void fn(awps_handler *h, type cb, void *data)         \
    {                                                     \
        if (!h)                                           \
            return;                                       \
        h->field = cb;                                    \
        h->dfield = data;                                 \
    }

SETTER(awps_handler_on_connect, awps_connect_cb, on_connect, connect_data)
SETTER(awps_handler_on_user_event, awps_user_event_cb, on_user, user_data)
SETTER(awps_handler_on_connected, awps_notify_cb, on_connected, connected_data)
SETTER(awps_handler_on_disconnected, awps_notify_cb, on_disconnected, disconnected_data)
SETTER(awps_handler_on_group_joined, awps_notify_cb, on_joined, joined_data)
SETTER(awps_handler_on_group_left, awps_notify_cb, on_left, left_data)

int awps_handler_add_allowed_endpoint(awps_handler *h, const char *url)
{
    char *host, **grown;

    if (!h || !url)
        return AWPS_E_INVALID;
    if (!(host = awps__url_host(url)))
        return AWPS_E_URL;
    if (!(grown = realloc(h->allowed, (h->n_allowed + 1) * sizeof *grown))) {
        free(host);
        return AWPS_E_NOMEM;
    }
    h->allowed = grown;
    h->allowed[h->n_allowed++] = host;
    return AWPS_OK;
}

int awps_handler_add_key(awps_handler *h, const char *key)
{
    return h ? awps__keys_add(&h->keys, key) : AWPS_E_INVALID;
}

int awps_handler_remove_key(awps_handler *h, const char *key)
{
    return h ? awps__keys_remove(&h->keys, key) : AWPS_E_INVALID;
}

int awps_handler_set_max_body(awps_handler *h, size_t max)
{
    if (!h || max == 0)
        return AWPS_E_INVALID;
    atomic_store(&h->max_body, max);
    return AWPS_OK;
}

int awps_handler_set_reply_timeout(awps_handler *h, unsigned ms)
{
    if (!h || ms == 0)
        return AWPS_E_INVALID;
    atomic_store(&h->timeout_ms, ms);
    return AWPS_OK;
}

void awps_handler_set_log(awps_handler *h, awps_log_cb cb, void *data, awps_log_level max)
{
    if (!h)
        return;
    h->log.cb = cb;
    h->log.data = cb ? data : NULL;
    h->log.max = max;
}
