/* Tokens per second of awps_service_client_token(): a user id, two roles and
 * one group, the way a negotiate endpoint mints them (bench/tokens-sdk.js
 * does the same with the official SDK). After a 0.2 s warm-up it prints:
 *   library: <N> tokens/s (<count> tokens in <secs> s, <bytes> URL bytes)
 * Usage: tokens [SECONDS [THREADS]]   (default 1 s, 1 thread; at least 1,000
 * tokens per thread). With THREADS > 1 one client is shared by all threads,
 * as a negotiate endpoint on the server's thread pool shares it, and the
 * total rate is printed. */
#if !defined _GNU_SOURCE && !defined _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L  /* clock_gettime */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>

#include <awps.h>
#include <awps/service.h>

#define CONNECTION_STRING \
    "Endpoint=https://contoso.webpubsub.azure.com;" \
    "AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFG=;Version=1.0;"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "user<n>" without printf, as cheap as the SDK side's "user" + n */
static void user_name(char *out, unsigned long n)
{
    char digits[24];
    int k = 0;

    do
        digits[k++] = (char)('0' + n % 10);
    while ((n /= 10) != 0);
    memcpy(out, "user", 4);
    out += 4;
    while (k)
        *out++ = digits[--k];
    *out = '\0';
}

/* Mint tokens for at least `seconds`, 1,000 at a time; count and URL bytes. */
static int run(awps_service *s, double seconds, unsigned long *count, size_t *bytes,
               double *elapsed)
{
    static const char *const roles[] = {"webpubsub.joinLeaveGroup",
                                        "webpubsub.sendToGroup.group1"};
    static const char *const groups[] = {"group1"};
    awps_token_options opts;
    awps_service_error err;
    awps_client_token t;
    char user[32];
    double start = now_s();

    memset(&opts, 0, sizeof opts);
    opts.user_id = user;
    opts.roles = roles;
    opts.n_roles = 2;
    opts.groups = groups;
    opts.n_groups = 1;
    *count = 0;
    *bytes = 0;
    do {
        for (int i = 0; i < 1000; i++, (*count)++) {
            user_name(user, *count);
            if (awps_service_client_token(s, &opts, &t, &err) != AWPS_OK) {
                fprintf(stderr, "tokens: %s\n", err.message);
                return -1;
            }
            *bytes += strlen(t.url);
            awps_client_token_clear(&t);
        }
        *elapsed = now_s() - start;
    } while (*elapsed < seconds);
    return 0;
}

struct worker {
    awps_service *s;
    double seconds, elapsed;
    unsigned long count;
    size_t bytes;
    int rc;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    w->rc = run(w->s, w->seconds, &w->count, &w->bytes, &w->elapsed);
    return NULL;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 1.0, elapsed = 0;
    int threads = argc > 2 ? atoi(argv[2]) : 1;
    awps_service_error err;
    unsigned long count = 0;
    size_t bytes = 0;
    struct worker w[64];
    pthread_t t[64];

    if (argc > 3 || !(seconds > 0 && seconds <= 3600) || threads < 1 || threads > 64) {
        fprintf(stderr, "usage: %s [SECONDS [THREADS]]\n", argv[0]);
        return 2;
    }
    awps_service *s = awps_service_new(CONNECTION_STRING, "hub1", &err);
    if (!s) {
        fprintf(stderr, "tokens: %s\n", err.message);
        return 1;
    }
    if (run(s, 0.2, &count, &bytes, &elapsed) != 0) {  /* warm-up */
        awps_service_free(s);
        return 1;
    }
    count = 0;
    bytes = 0;
    elapsed = 0;
    for (int i = 0; i < threads; i++) {
        w[i] = (struct worker){.s = s, .seconds = seconds};
        if (pthread_create(&t[i], NULL, work, &w[i]) != 0) {
            threads = i;
            break;
        }
    }
    int rc = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        rc |= w[i].rc;
        count += w[i].count;
        bytes += w[i].bytes;
        if (w[i].elapsed > elapsed)
            elapsed = w[i].elapsed;
    }
    awps_service_free(s);
    if (rc != 0 || threads == 0)
        return 1;
    printf("library: %.0f tokens/s (%lu tokens in %.2f s on %d thread%s, %zu URL bytes)\n",
           (double)count / elapsed, count, elapsed, threads, threads > 1 ? "s" : "", bytes);
    return 0;
}
