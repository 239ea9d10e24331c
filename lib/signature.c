/* ce-signature: HMAC-SHA256 over ce-connectionId keyed with the access-key
 * text; several keys (rotation); constant-time, case-insensitive compare. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "internal.h"

int awps__sig_compute(const char *key, const char *message, char out[AWPS__SIG_HEX_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    size_t klen = strlen(key);

    if (klen > INT32_MAX)
        return -1;
    if (!HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)message, strlen(message),
              mac, &mac_len) ||
        mac_len != AWPS__SIG_HEX_LEN / 2)
        return -1;
    for (unsigned i = 0; i < mac_len; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[AWPS__SIG_HEX_LEN] = '\0';
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

int awps__sig_header_matches(const char *header, const char *expected_hex)
{
    const char *p = header;
    int found = 0;

    while (*p) {
        const char *end = strchr(p, ',');
        const char *e = end ? end : p + strlen(p);
        const char *s = p;
        while (s < e && is_space(*s))
            s++;
        const char *t = e;
        while (t > s && is_space(t[-1]))
            t--;
        if ((size_t)(t - s) == 7 + AWPS__SIG_HEX_LEN && strncasecmp(s, "sha256=", 7) == 0) {
            char got[AWPS__SIG_HEX_LEN];
            for (int i = 0; i < AWPS__SIG_HEX_LEN; i++) {
                char c = s[7 + i];
                got[i] = (char)((c >= 'A' && c <= 'F') ? c - 'A' + 'a' : c);
            }
            /* Every candidate is compared in full: no early exit on a match. */
            found |= CRYPTO_memcmp(got, expected_hex, AWPS__SIG_HEX_LEN) == 0;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return found;
}

int awps__keys_init(awps__keys *k)
{
    pthread_rwlockattr_t attr;
    int rc;

    k->keys = NULL;
    k->n = 0;
    /* Writers first: with glibc's default, a steady stream of verifying
     * readers would keep key rotation waiting forever. */
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    rc = pthread_rwlock_init(&k->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    return rc == 0 ? 0 : -1;
}

void awps__keys_destroy(awps__keys *k)
{
    for (size_t i = 0; i < k->n; i++) {
        OPENSSL_cleanse(k->keys[i], strlen(k->keys[i]));
        free(k->keys[i]);
    }
    free(k->keys);
    pthread_rwlock_destroy(&k->lock);
}

int awps__keys_add(awps__keys *k, const char *key)
{
    int rc = AWPS_OK;
    char *copy;

    if (!key || !*key)
        return AWPS_E_INVALID;
    if (!(copy = awps__strdup(key)))
        return AWPS_E_NOMEM;
    pthread_rwlock_wrlock(&k->lock);
    for (size_t i = 0; i < k->n; i++)
        if (strcmp(k->keys[i], key) == 0)
            goto out;  /* already there: nothing to do */
    char **grown = realloc(k->keys, (k->n + 1) * sizeof *grown);
    if (!grown) {
        rc = AWPS_E_NOMEM;
        goto out;
    }
    k->keys = grown;
    k->keys[k->n++] = copy;
    copy = NULL;
out:
    pthread_rwlock_unlock(&k->lock);
    free(copy);
    return rc;
}

int awps__keys_remove(awps__keys *k, const char *key)
{
    int rc = AWPS_E_NOT_FOUND;

    if (!key)
        return AWPS_E_INVALID;
    pthread_rwlock_wrlock(&k->lock);
    for (size_t i = 0; i < k->n; i++) {
        if (strcmp(k->keys[i], key) == 0) {
            OPENSSL_cleanse(k->keys[i], strlen(k->keys[i]));
            free(k->keys[i]);
            k->keys[i] = k->keys[--k->n];
            rc = AWPS_OK;
            break;
        }
    }
    pthread_rwlock_unlock(&k->lock);
    return rc;
}

size_t awps__keys_count(awps__keys *k)
{
    pthread_rwlock_rdlock(&k->lock);
    size_t n = k->n;
    pthread_rwlock_unlock(&k->lock);
    return n;
}

int awps__keys_verify(awps__keys *k, const char *connection_id, const char *header)
{
    char expected[AWPS__SIG_HEX_LEN + 1];
    int ok;

    pthread_rwlock_rdlock(&k->lock);
    ok = k->n == 0;
    if (!ok && connection_id && header) {
        for (size_t i = 0; i < k->n; i++)
            if (awps__sig_compute(k->keys[i], connection_id, expected) == 0)
                ok |= awps__sig_header_matches(header, expected);
    }
    pthread_rwlock_unlock(&k->lock);
    return ok;
}
