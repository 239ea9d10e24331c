/* The service client object: creation from a connection string or an
 * endpoint and key, settings, the clock, and error reporting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "internal.h"

#define DEFAULT_MAX_RETRIES 3u
#define DEFAULT_RETRY_DELAY_MS 1000u
#define DEFAULT_RETRY_MAX_DELAY_MS 64000u
#define HUB_MAX 1024

void awps_free(void *p)
{
    free(p);
}

int awps__service_fail(awps_service_error *err, int code, long status, const char *service_code,
                       const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return code;
    err->code = code;
    err->status = status;
    snprintf(err->service_code, sizeof err->service_code, "%s", service_code ? service_code : "");
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

static void clear_error(awps_service_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

int64_t awps__service_now_ms(const awps_service *s)
{
    struct timespec ts;

    if (s->clock)
        return s->clock(s->clock_data);
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void free_secret(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

/* Take over endpoint and key (freed on failure too). */
static awps_service *service_new(char *endpoint, char *key, const char *hub,
                                 awps_service_error *err)
{
    awps_service *s = calloc(1, sizeof *s);

    if (!s || !(s->hub = awps__strdup(hub))) {
        free(s);
        free(endpoint);
        free_secret(key);
        awps__service_fail(err, AWPS_E_NOMEM, 0, NULL, "out of memory");
        return NULL;
    }
    s->endpoint = endpoint;
    s->key = key;
    s->max_retries = DEFAULT_MAX_RETRIES;
    s->retry_delay_ms = DEFAULT_RETRY_DELAY_MS;
    s->retry_max_delay_ms = DEFAULT_RETRY_MAX_DELAY_MS;
    clear_error(err);
    return s;
}

static int check_hub(const char *hub, awps_service_error *err)
{
    size_t n = hub ? strlen(hub) : 0;

    if (n == 0)
        return awps__service_fail(err, AWPS_E_INVALID, 0, NULL, "hub name is missing");
    if (n > HUB_MAX)
        return awps__service_fail(err, AWPS_E_INVALID, 0, NULL,
                                  "hub name longer than %d bytes", HUB_MAX);
    if (!awps__utf8_valid(hub, n))
        return awps__service_fail(err, AWPS_E_INVALID, 0, NULL, "hub name is not valid UTF-8");
    return AWPS_OK;
}

awps_service *awps_service_new(const char *connection_string, const char *hub,
                               awps_service_error *err)
{
    char *endpoint, *key;

    if (awps_connection_string_parse(connection_string, &endpoint, &key, err) != AWPS_OK)
        return NULL;
    if (check_hub(hub, err) != AWPS_OK) {
        free(endpoint);
        free_secret(key);
        return NULL;
    }
    return service_new(endpoint, key, hub, err);
}

awps_service *awps_service_new_with_key(const char *endpoint, const char *access_key,
                                        const char *hub, awps_service_error *err)
{
    char *url = NULL, *key, *with_scheme;
    char why[160];
    size_t n;
    int rc;

    if (!endpoint || !*endpoint) {
        awps__service_fail(err, AWPS_E_INVALID, 0, NULL, "endpoint is missing");
        return NULL;
    }
    if (!access_key || !*access_key) {
        awps__service_fail(err, AWPS_E_INVALID, 0, NULL, "access key is missing");
        return NULL;
    }
    if (strlen(access_key) > AWPS__KEY_MAX) {
        awps__service_fail(err, AWPS_E_INVALID, 0, NULL, "access key longer than %d bytes",
                           AWPS__KEY_MAX);
        return NULL;
    }
    if (check_hub(hub, err) != AWPS_OK)
        return NULL;
    /* like the connection string's Endpoint: https:// unless it starts "http" */
    n = strlen(endpoint);
    if (n > AWPS__URL_MAX) {
        awps__service_fail(err, AWPS_E_URL, 0, NULL, "endpoint longer than %d bytes",
                           AWPS__URL_MAX);
        return NULL;
    }
    with_scheme = malloc(n + 9);
    if (!with_scheme) {
        awps__service_fail(err, AWPS_E_NOMEM, 0, NULL, "out of memory");
        return NULL;
    }
    snprintf(with_scheme, n + 9, "%s%s", strncmp(endpoint, "http", 4) ? "https://" : "", endpoint);
    rc = awps__url_normalise(with_scheme, NULL, 0, &url, why, sizeof why);
    if (rc != AWPS_OK) {
        if (rc == AWPS_E_URL)
            awps__service_fail(err, rc, 0, NULL, "invalid endpoint URL \"%.200s\": %s",
                               with_scheme, why);
        else
            awps__service_fail(err, rc, 0, NULL, "out of memory");
        free(with_scheme);
        return NULL;
    }
    free(with_scheme);
    key = awps__strdup(access_key);
    if (!key) {
        free(url);
        awps__service_fail(err, AWPS_E_NOMEM, 0, NULL, "out of memory");
        return NULL;
    }
    return service_new(url, key, hub, err);
}

void awps_service_free(awps_service *s)
{
    if (!s)
        return;
    awps__http_free(s);
    free(s->endpoint);
    free_secret(s->key);
    free(s->hub);
    free(s->proxy);
    free(s);
}

const char *awps_service_endpoint(const awps_service *s)
{
    return s ? s->endpoint : NULL;
}

const char *awps_service_hub(const awps_service *s)
{
    return s ? s->hub : NULL;
}

int awps_service_set_reverse_proxy(awps_service *s, const char *url)
{
    char *origin = NULL;

    if (!s)
        return AWPS_E_INVALID;
    if (url) {
        int rc = awps__url_normalise(url, NULL, 1, &origin, NULL, 0);
        if (rc != AWPS_OK)
            return rc;
    }
    free(s->proxy);
    s->proxy = origin;
    return AWPS_OK;
}

int awps_service_set_retry(awps_service *s, unsigned max_retries, unsigned delay_ms,
                           unsigned max_delay_ms)
{
    if (!s)
        return AWPS_E_INVALID;
    s->max_retries = max_retries;
    s->retry_delay_ms = delay_ms;
    s->retry_max_delay_ms = max_delay_ms;
    return AWPS_OK;
}

int awps_service_set_timeout(awps_service *s, unsigned timeout_ms)
{
    if (!s)
        return AWPS_E_INVALID;
    s->timeout_ms = timeout_ms;
    return AWPS_OK;
}

void awps_service_set_clock(awps_service *s, awps_clock_cb now_ms, void *data)
{
    if (!s)
        return;
    s->clock = now_ms;
    s->clock_data = now_ms ? data : NULL;
}
