/* The floor: the least any server built on libmicrohttpd can do per request.
 * It reads (and drops) the request body and answers 200 with an empty body,
 * for every method and path. It runs the daemon exactly as the awps
 * standalone server does (lib/server.c, awps_server_start): the same flags
 * (internal polling thread, MHD_USE_AUTO = epoll on Linux, suspend/resume
 * allowed), a thread pool of one thread per CPU it may run on, a 60 s connection timeout and a
 * 16 KiB per-connection memory pool (the library's default since it was
 * lowered from 64 KiB: libmicrohttpd zero-fills the pool for every request,
 * so the floor must use the same size), listening on 127.0.0.1 only.
 * Whatever awps costs on top of this is the library's own.
 *
 *   floor --port N [--status S] [--threads T]
 *       N 0 = a free port; prints "listening on PORT". S: the status of
 *       every answer (default 200; bench/run-service.sh uses 202 to stand in
 *       for the service's REST API). T: the thread pool (default: the CPUs
 *       of its affinity mask, as the library).
 *
 * SIGTERM or SIGINT stops it.
 *
 * Build: gcc -O2 -g -o floor floor.c $(pkg-config --cflags --libs libmicrohttpd) -pthread
 */
#define _GNU_SOURCE 1  /* sched_getaffinity, CPU_COUNT */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#define CONNECTION_TIMEOUT_S 60u            /* as lib/server.c */
#ifndef CONNECTION_MEMORY                   /* -D to try another pool size */
#define CONNECTION_MEMORY (16u * 1024u)     /* as lib/server.c */
#endif

static struct MHD_Response *ok;  /* one shared, empty answer */
static unsigned status = MHD_HTTP_OK;
static char marker;

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version,
                                 const char *upload, size_t *upload_size, void **con_cls)
{
    (void)cls; (void)url; (void)method; (void)version; (void)upload;
    if (!*con_cls) {  /* headers only so far: wait for the body */
        *con_cls = &marker;
        return MHD_YES;
    }
    if (*upload_size) {  /* a chunk of the body: read and drop it */
        *upload_size = 0;
        return MHD_YES;
    }
    return MHD_queue_response(c, status, ok);
}

int main(int argc, char **argv)
{
    unsigned port = 0, threads = 0;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    struct sockaddr_in sa;
    struct MHD_Daemon *d;
    const union MHD_DaemonInfo *info;
    sigset_t sigs;
    int sig;
    long n;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) {
            port = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--status") && i + 1 < argc) {
            status = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            threads = (unsigned)strtoul(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: %s --port N [--status S] [--threads T]\n", argv[0]);
            return 2;
        }
    }
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    {   /* the library's default pool size: the CPUs this process may run on */
        cpu_set_t set;
        n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
        if (n <= 0)
            n = sysconf(_SC_NPROCESSORS_ONLN);
    }
    if (!threads)
        threads = n > 0 && n < 256 ? (unsigned)n : 1;

    ok = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!ok)
        return 1;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, access_cb, NULL,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                         MHD_OPTION_CONNECTION_TIMEOUT, CONNECTION_TIMEOUT_S,
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
                         threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, threads,
                         MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "floor: cannot listen on 127.0.0.1 port %u\n", port);
        return 1;
    }
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("listening on %u\n", info ? info->port : port);
    fflush(stdout);
    sigwait(&sigs, &sig);
    MHD_stop_daemon(d);
    MHD_destroy_response(ok);
    return 0;
}
