/* REST sends per second of awps_service_send_to_all(): a 100-byte text
 * message to hub "hub1" of the service in CONNECTION_STRING
 * (bench/run-service.sh points it at bench/floor answering 202, which stands
 * in for the service; the client reuses its keep-alive connections).
 * bench/rest-sdk.js does the same with the official SDK. One send in flight
 * per thread; after a 0.3 s warm-up it prints:
 *   library: <N> sends/s (<count> sends in <secs> s on <t> thread(s))
 * Usage: rest CONNECTION_STRING [SECONDS [THREADS]]   (default 1 s, 1
 * thread); with THREADS > 1 one client is shared by all threads. */
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

#define MESSAGE \
    "The quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs, said Alice 01."

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Send for at least `seconds`, 100 at a time. */
static int run(awps_service *s, double seconds, unsigned long *count, double *elapsed)
{
    awps_service_error err;
    double start = now_s();

    *count = 0;
    do {
        for (int i = 0; i < 100; i++, (*count)++) {
            if (awps_service_send_to_all(s, AWPS_DATA_TEXT, MESSAGE, strlen(MESSAGE), NULL,
                                         &err) != AWPS_OK) {
                fprintf(stderr, "rest: %s\n", err.message);
                return -1;
            }
        }
        *elapsed = now_s() - start;
    } while (*elapsed < seconds);
    return 0;
}

struct worker {
    awps_service *s;
    double seconds, elapsed;
    unsigned long count;
    int rc;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    w->rc = run(w->s, w->seconds, &w->count, &w->elapsed);
    return NULL;
}

int main(int argc, char **argv)
{
    double seconds = argc > 2 ? atof(argv[2]) : 1.0, elapsed = 0;
    int threads = argc > 3 ? atoi(argv[3]) : 1, rc = 0;
    awps_service_error err;
    unsigned long count = 0;
    struct worker w[64];
    pthread_t t[64];

    if (argc < 2 || argc > 4 || !(seconds > 0 && seconds <= 3600) || threads < 1 ||
        threads > 64) {
        fprintf(stderr, "usage: %s CONNECTION_STRING [SECONDS [THREADS]]\n", argv[0]);
        return 2;
    }
    awps_service *s = awps_service_new(argv[1], "hub1", &err);
    if (!s) {
        fprintf(stderr, "rest: %s\n", err.message);
        return 1;
    }
    if (run(s, 0.3, &count, &elapsed) != 0) {  /* warm-up, and the connections */
        awps_service_free(s);
        return 1;
    }
    for (int i = 0; i < threads; i++) {
        w[i] = (struct worker){.s = s, .seconds = seconds};
        if (pthread_create(&t[i], NULL, work, &w[i]) != 0) {
            threads = i;
            break;
        }
    }
    count = 0;
    elapsed = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        rc |= w[i].rc;
        count += w[i].count;
        if (w[i].elapsed > elapsed)
            elapsed = w[i].elapsed;
    }
    awps_service_free(s);
    if (rc != 0 || threads == 0)
        return 1;
    printf("library: %.0f sends/s (%lu sends in %.2f s on %d thread%s)\n",
           (double)count / elapsed, count, elapsed, threads, threads > 1 ? "s" : "");
    return 0;
}
