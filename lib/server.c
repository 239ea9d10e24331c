/* The standalone server: a libmicrohttpd daemon with a thread pool serving
 * one or more hubs through the glue of mhd.c, with a graceful stop. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

#define DEFAULT_ADDRESS "127.0.0.1"
#define DEFAULT_PORT 8080u
#define CONNECTION_TIMEOUT_S 60u
#define CONNECTION_TIMEOUT_MAX 86400u
#define CONNECTION_MEMORY ((size_t)16 * 1024)  /* ~26 MiB RSS for 1,000 idle connections */
#define CONNECTION_MEMORY_MIN ((size_t)4 * 1024)
/* libmicrohttpd's own default is FD_SETSIZE - 4 (1020) connections: 1,000
 * idle or slow clients would shut everybody else out. The default is this,
 * or the open-file limit less a margin when that is lower. */
#define CONNECTION_LIMIT 4096u
#define FD_MARGIN 64u
#define CONNECTION_LIMIT_MAX 1000000u

struct awps_server {
    awps_mhd *glue;
    struct MHD_Daemon *daemon;
    char *address;
    unsigned port, threads;
    size_t connection_memory;
    unsigned connection_limit;   /* 0: the default */
    unsigned connection_timeout_s;
    atomic_uint bound_port;
    pthread_mutex_t lock;       /* serialises start and stop */
    awps__log log;
};

awps_server *awps_server_new(void)
{
    awps_server *s = calloc(1, sizeof *s);

    if (!s)
        return NULL;
    if (!(s->glue = awps_mhd_new(NULL, NULL)) || !(s->address = awps__strdup(DEFAULT_ADDRESS)) ||
        pthread_mutex_init(&s->lock, NULL) != 0) {
        awps_mhd_free(s->glue);
        free(s->address);
        free(s);
        return NULL;
    }
    s->port = DEFAULT_PORT;
    s->connection_memory = CONNECTION_MEMORY;
    awps_mhd_set_connection_memory(s->glue, CONNECTION_MEMORY);
    s->connection_timeout_s = CONNECTION_TIMEOUT_S;
    atomic_init(&s->bound_port, 0);
    awps__log_init(&s->log);
    return s;
}

int awps_server_add_handler(awps_server *s, awps_handler *h)
{
    if (!s || !h)
        return AWPS_E_INVALID;
    if (s->daemon)
        return AWPS_E_BUSY;
    return awps_mhd_add_handler(s->glue, h);
}

int awps_server_set_listen(awps_server *s, const char *address, unsigned port)
{
    unsigned char buf[sizeof(struct in6_addr)];
    char *copy;

    if (!s || !address || port > 65535 ||
        (inet_pton(AF_INET, address, buf) != 1 && inet_pton(AF_INET6, address, buf) != 1))
        return AWPS_E_INVALID;
    if (s->daemon)
        return AWPS_E_BUSY;
    if (!(copy = awps__strdup(address)))
        return AWPS_E_NOMEM;
    free(s->address);
    s->address = copy;
    s->port = port;
    return AWPS_OK;
}

int awps_server_add_negotiate(awps_server *s, awps_negotiate *n)
{
    if (!s || !n)
        return AWPS_E_INVALID;
    if (s->daemon)
        return AWPS_E_BUSY;
    return awps_mhd_add_negotiate(s->glue, n);
}

int awps_server_set_threads(awps_server *s, unsigned threads)
{
    if (!s || threads > 1024)
        return AWPS_E_INVALID;
    if (s->daemon)
        return AWPS_E_BUSY;
    s->threads = threads;
    return AWPS_OK;
}

/* One worker per CPU this process may run on: its affinity mask (taskset,
 * a container's cpuset), not every CPU of the machine, whose extra threads
 * would only take turns. */
static unsigned default_threads(void)
{
    long n = -1;
#ifdef CPU_COUNT
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof set, &set) == 0)
        n = CPU_COUNT(&set);
#endif
    if (n <= 0)
        n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (n < 256 ? (unsigned)n : 256) : 1;
}

int awps_server_set_connection_memory(awps_server *s, size_t bytes)
{
    if (!s || bytes < CONNECTION_MEMORY_MIN || bytes > (size_t)64 * 1024 * 1024)
        return AWPS_E_INVALID;
    if (s->daemon)
        return AWPS_E_BUSY;
    s->connection_memory = bytes;
    awps_mhd_set_connection_memory(s->glue, bytes);
    return AWPS_OK;
}

int awps_server_set_body_memory(awps_server *s, size_t bytes)
{
    return s ? awps_mhd_set_body_memory(s->glue, bytes) : AWPS_E_INVALID;
}

int awps_server_set_connection_limit(awps_server *s, unsigned connections)
{
    if (!s || connections == 0 || connections > CONNECTION_LIMIT_MAX)
        return AWPS_E_INVALID;
    if (s->daemon)
        return AWPS_E_BUSY;
    s->connection_limit = connections;
    return AWPS_OK;
}

int awps_server_set_connection_timeout(awps_server *s, unsigned seconds)
{
    if (!s || seconds == 0 || seconds > CONNECTION_TIMEOUT_MAX)
        return AWPS_E_INVALID;
    if (s->daemon)
        return AWPS_E_BUSY;
    s->connection_timeout_s = seconds;
    return AWPS_OK;
}

int awps_server_set_fallback(awps_server *s, MHD_AccessHandlerCallback cb, void *cls)
{
    if (!s)
        return AWPS_E_INVALID;
    if (s->daemon)
        return AWPS_E_BUSY;
    awps__mhd_set_next(s->glue, cb, cls);
    return AWPS_OK;
}

int awps_server_set_fallback_completed(awps_server *s, MHD_RequestCompletedCallback cb,
                                       void *cls)
{
    if (!s)
        return AWPS_E_INVALID;
    if (s->daemon)
        return AWPS_E_BUSY;
    awps_mhd_set_completed(s->glue, cb, cls);
    return AWPS_OK;
}

void awps_server_set_log(awps_server *s, awps_log_cb cb, void *data, awps_log_level max)
{
    if (!s)
        return;
    s->log.cb = cb;
    s->log.data = cb ? data : NULL;
    s->log.max = max;
    awps_mhd_set_log(s->glue, cb, data, max);
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    awps_server *s = cls;
    char msg[400];
    size_t n;

    vsnprintf(msg, sizeof msg, fmt, ap);
    n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    awps__logf(&s->log, AWPS_LOG_INFO, "libmicrohttpd: %s", msg);
}

/* The connection limit to use: the one set, or the default. A limit above
 * the open-file limit is never reached (accept() fails first): the default
 * stays under it, and a limit set above it is logged. */
static unsigned connection_limit(awps_server *s)
{
    struct rlimit rl;
    rlim_t usable = RLIM_INFINITY;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        usable = rl.rlim_cur > 2 * FD_MARGIN ? rl.rlim_cur - FD_MARGIN : FD_MARGIN;
    if (!s->connection_limit)
        return usable < CONNECTION_LIMIT ? (unsigned)usable : CONNECTION_LIMIT;
    if (usable < s->connection_limit)
        awps__logf(&s->log, AWPS_LOG_WARN,
                   "the connection limit (%u) is above the open-file limit (%llu) less a "
                   "margin: raise that (ulimit -n) or lower the connection limit",
                   s->connection_limit, (unsigned long long)rl.rlim_cur);
    return s->connection_limit;
}

int awps_server_start(awps_server *s)
{
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
    struct sockaddr *sa;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    unsigned threads;
    const union MHD_DaemonInfo *info;

    if (!s)
        return AWPS_E_INVALID;
    pthread_mutex_lock(&s->lock);
    if (s->daemon) {
        pthread_mutex_unlock(&s->lock);
        return AWPS_E_BUSY;
    }
    memset(&v4, 0, sizeof v4);
    memset(&v6, 0, sizeof v6);
    if (inet_pton(AF_INET, s->address, &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons((uint16_t)s->port);
        sa = (struct sockaddr *)&v4;
    } else {
        inet_pton(AF_INET6, s->address, &v6.sin6_addr);
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons((uint16_t)s->port);
        sa = (struct sockaddr *)&v6;
        flags |= MHD_USE_IPv6;
    }
    awps__mhd_undrain(s->glue);
    threads = s->threads ? s->threads : default_threads();
    s->daemon = MHD_start_daemon(
        flags, (uint16_t)s->port, NULL, NULL, awps_mhd_access, s->glue,
        MHD_OPTION_NOTIFY_COMPLETED, awps_mhd_completed, s->glue,
        MHD_OPTION_SOCK_ADDR, sa,
        MHD_OPTION_CONNECTION_TIMEOUT, s->connection_timeout_s,
        MHD_OPTION_CONNECTION_LIMIT, connection_limit(s),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, s->connection_memory,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s,
        /* a pool only for more than one thread: END stops the list early */
        threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, threads,
        MHD_OPTION_END);
    if (!s->daemon) {
        pthread_mutex_unlock(&s->lock);
        awps__logf(&s->log, AWPS_LOG_ERROR, "cannot listen on %s port %u", s->address, s->port);
        return AWPS_E_HTTPD;
    }
    info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    atomic_store(&s->bound_port, info ? info->port : s->port);
    pthread_mutex_unlock(&s->lock);
    return AWPS_OK;
}

unsigned awps_server_port(const awps_server *s)
{
    return s ? atomic_load(&s->bound_port) : 0;
}

unsigned awps_server_in_flight(const awps_server *s)
{
    return s ? awps_mhd_in_flight(s->glue) : 0;
}

int awps_server_stop(awps_server *s, unsigned timeout_ms)
{
    if (!s)
        return AWPS_E_INVALID;
    pthread_mutex_lock(&s->lock);
    if (!s->daemon) {
        pthread_mutex_unlock(&s->lock);
        return AWPS_E_NOT_RUNNING;
    }
    /* No MHD_quiesce_daemon(): with the epoll thread pool of libmicrohttpd
     * 0.9.75 it races a worker taking the listen socket out of its epoll set
     * (at the connection limit) and aborts the process ("Failed to remove
     * listen FD from epoll set"). While draining, the glue answers new
     * requests 503 instead. */
    awps_mhd_drain(s->glue, timeout_ms);
    MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
    atomic_store(&s->bound_port, 0);
    pthread_mutex_unlock(&s->lock);
    return AWPS_OK;
}

void awps_server_free(awps_server *s)
{
    if (!s)
        return;
    if (s->daemon)
        awps_server_stop(s, 5000);
    awps_mhd_free(s->glue);
    pthread_mutex_destroy(&s->lock);
    free(s->address);
    free(s);
}
