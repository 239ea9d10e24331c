/* ce-signature: HMAC-SHA256 over ce-connectionId keyed with the access-key
 * text; several keys (rotation); constant-time, case-insensitive compare. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

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

/* ---- keyed HMAC contexts ---- */

static pthread_once_t mac_once = PTHREAD_ONCE_INIT;
static EVP_MAC *hmac_alg;          /* fetched once: a fetch per request is costly */
static atomic_uint generations;    /* source of awps__keys.gen values */

static void mac_init(void)
{
    hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

__attribute__((destructor)) static void mac_cleanup(void)
{
    EVP_MAC_free(hmac_alg);
    hmac_alg = NULL;
}

static EVP_MAC_CTX *mac_new(const char *key)
{
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
                           OSSL_PARAM_construct_end()};
    EVP_MAC_CTX *c;

    pthread_once(&mac_once, mac_init);
    if (!hmac_alg || !(c = EVP_MAC_CTX_new(hmac_alg)))
        return NULL;
    if (!EVP_MAC_init(c, (const unsigned char *)key, strlen(key), params)) {
        EVP_MAC_CTX_free(c);
        return NULL;
    }
    return c;
}

/* Lower-case hex HMAC of `message` with a keyed context (left untouched). */
static int mac_hex(EVP_MAC_CTX *keyed, const char *message, char out[AWPS__SIG_HEX_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t len = 0;
    EVP_MAC_CTX *c = EVP_MAC_CTX_dup(keyed);
    int ok = c && EVP_MAC_update(c, (const unsigned char *)message, strlen(message)) &&
             EVP_MAC_final(c, mac, &len, sizeof mac) && len == AWPS__SIG_HEX_LEN / 2;

    EVP_MAC_CTX_free(c);
    if (!ok)
        return -1;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[AWPS__SIG_HEX_LEN] = '\0';
    return 0;
}

/* ---- per-thread cache of verified (connection id, signature header) ----
 * The service signs every event of a connection with the same header, so a
 * connection's events after the first skip the HMAC. Only successes are
 * kept, tagged with the key set's generation (any key change invalidates). */

#define CACHE_SLOTS 32
#define CACHE_CONN_MAX 96
#define CACHE_SIG_MAX 160

static __thread struct {
    unsigned gen;
    char conn[CACHE_CONN_MAX];
    char sig[CACHE_SIG_MAX];
    size_t sig_len;
} cache[CACHE_SLOTS];

static unsigned slot_of(const char *conn)
{
    uint32_t h = 2166136261u;  /* FNV-1a */
    for (; *conn; conn++)
        h = (h ^ (unsigned char)*conn) * 16777619u;
    return h % CACHE_SLOTS;
}

static int cache_hit(unsigned gen, const char *conn, const char *sig)
{
    unsigned s = slot_of(conn);
    size_t len = strlen(sig);

    /* the header is compared in constant time: it may be a forgery probing
     * for a valid one */
    return cache[s].gen == gen && strcmp(cache[s].conn, conn) == 0 && len == cache[s].sig_len &&
           CRYPTO_memcmp(cache[s].sig, sig, len) == 0;
}

static void cache_put(unsigned gen, const char *conn, const char *sig)
{
    size_t clen = strlen(conn), slen = strlen(sig);
    unsigned s;

    if (clen >= CACHE_CONN_MAX || slen >= CACHE_SIG_MAX)
        return;
    s = slot_of(conn);
    memcpy(cache[s].conn, conn, clen + 1);
    memcpy(cache[s].sig, sig, slen + 1);
    cache[s].sig_len = slen;
    cache[s].gen = gen;
}

/* ---- the key set ---- */

static void new_generation(awps__keys *k)
{
    unsigned g = atomic_fetch_add(&generations, 1) + 1;
    atomic_store(&k->gen, g ? g : atomic_fetch_add(&generations, 1) + 1);  /* never 0 */
}

int awps__keys_init(awps__keys *k)
{
    pthread_rwlockattr_t attr;
    int rc;

    k->keys = NULL;
    k->macs = NULL;
    k->n = 0;
    atomic_init(&k->gen, 0);
    new_generation(k);
    /* Writers first: with glibc's default, a steady stream of verifying
     * readers would keep key rotation waiting forever. */
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    rc = pthread_rwlock_init(&k->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    return rc == 0 ? 0 : -1;
}

static void drop_key(awps__keys *k, size_t i)
{
    OPENSSL_cleanse(k->keys[i], strlen(k->keys[i]));
    free(k->keys[i]);
    EVP_MAC_CTX_free(k->macs[i]);
}

void awps__keys_destroy(awps__keys *k)
{
    for (size_t i = 0; i < k->n; i++)
        drop_key(k, i);
    free(k->keys);
    free(k->macs);
    pthread_rwlock_destroy(&k->lock);
}

int awps__keys_add(awps__keys *k, const char *key)
{
    int rc = AWPS_OK;
    char *copy;
    EVP_MAC_CTX *mac;

    if (!key || !*key)
        return AWPS_E_INVALID;
    if (!(copy = awps__strdup(key)))
        return AWPS_E_NOMEM;
    if (!(mac = mac_new(key))) {
        free(copy);
        return AWPS_E_NOMEM;
    }
    pthread_rwlock_wrlock(&k->lock);
    for (size_t i = 0; i < k->n; i++)
        if (strcmp(k->keys[i], key) == 0)
            goto out;  /* already there: nothing to do */
    char **keys = realloc(k->keys, (k->n + 1) * sizeof *keys);
    if (keys)
        k->keys = keys;
    void **macs = keys ? realloc(k->macs, (k->n + 1) * sizeof *macs) : NULL;
    if (!keys || !macs) {
        rc = AWPS_E_NOMEM;
        goto out;
    }
    k->macs = macs;
    k->keys[k->n] = copy;
    k->macs[k->n++] = mac;
    copy = NULL;
    mac = NULL;
    new_generation(k);
out:
    pthread_rwlock_unlock(&k->lock);
    free(copy);
    EVP_MAC_CTX_free(mac);
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
            drop_key(k, i);
            k->n--;
            k->keys[i] = k->keys[k->n];
            k->macs[i] = k->macs[k->n];
            new_generation(k);
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
    unsigned gen;
    int ok;

    /* The common case without the lock (whose counter every thread would
     * write): this thread verified the same header for the same connection
     * under the current key set. Generations are never reused, so a hit
     * means a key of the set as it is now (or was a moment ago, as a verify
     * that took the lock just before a change would) matched. */
    if (connection_id && header && cache_hit(atomic_load(&k->gen), connection_id, header))
        return 1;
    pthread_rwlock_rdlock(&k->lock);
    gen = atomic_load(&k->gen);  /* changes only under the write lock */
    ok = k->n == 0;
    if (!ok && connection_id && header) {
        if (cache_hit(gen, connection_id, header)) {
            ok = 1;
        } else {
            for (size_t i = 0; i < k->n && !ok; i++)
                if (mac_hex(k->macs[i], connection_id, expected) == 0)
                    ok = awps__sig_header_matches(header, expected);
            if (ok)
                cache_put(gen, connection_id, header);
        }
    }
    pthread_rwlock_unlock(&k->lock);
    return ok;
}
