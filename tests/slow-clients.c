/* Slow and idle clients: 1,000 connections (slowloris-style, env
 * AWPS_SLOW_CLIENTS to change) to a standalone server with its default
 * limits, half of them idle, half sending a header line now and then and
 * never finishing their request, while normal requests are still answered
 * correctly. The server runs in a child process (each side then needs
 * about N descriptors; the soft RLIMIT_NOFILE is raised to the hard one,
 * and the test is skipped, 77, when that is too low). At the end the
 * server is stopped with SIGTERM while the slow connections are still
 * open, and must exit 0. Nothing here asserts a duration. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <curl/curl.h>

#include <awps.h>

#include "testutil.h"

#define ROUNDS 6          /* each: a header line on every slow connection, normal requests */
#define NORMAL 3          /* normal requests per round */

static pid_t server_pid = -1;

static void stop_server(void)
{
    if (server_pid > 0) {
        kill(server_pid, SIGKILL);
        waitpid(server_pid, NULL, 0);
        server_pid = -1;
    }
}

static void die(const char *fmt, const char *arg)
{
    printf("FAIL: ");
    printf(fmt, arg);
    printf("\n");
    stop_server();
    exit(1);
}

/* ---- the server (child process) ---- */

static void echo(awps_event *ev, awps_reply *r, void *data)
{
    size_t len;
    const void *p = awps_event_data(ev, &len);
    (void)data;
    awps_reply_success_data(r, AWPS_DATA_TEXT, p, len);
}

static void quiet(void *data, awps_log_level level, const char *msg)
{
    (void)data; (void)level; (void)msg;
}

static void serve(int out)
{
    sigset_t set;
    int sig, rc = 1;
    unsigned port = 0;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    awps_handler *h = awps_handler_new("chat");
    awps_server *s = awps_server_new();
    if (h && s) {
        awps_handler_on_user_event(h, echo, NULL);
        awps_server_set_log(s, quiet, NULL, AWPS_LOG_ERROR);  /* "limit reached" notices */
        if (awps_server_add_handler(s, h) == AWPS_OK &&
            awps_server_set_listen(s, "127.0.0.1", 0) == AWPS_OK &&
            awps_server_start(s) == AWPS_OK)
            port = awps_server_port(s);
    }
    if (write(out, &port, sizeof port) != (ssize_t)sizeof port)
        port = 0;
    close(out);
    if (port) {
        sigwait(&set, &sig);
        rc = awps_server_stop(s, 5000) == AWPS_OK ? 0 : 1;
    }
    awps_server_free(s);
    awps_handler_free(h);
    exit(rc);
}

static unsigned start_server(void)
{
    int fds[2];
    unsigned port = 0;

    if (pipe(fds) != 0)
        die("pipe: %s", strerror(errno));
    fflush(stdout);
    if ((server_pid = fork()) < 0)
        die("fork: %s", strerror(errno));
    if (server_pid == 0) {
        close(fds[0]);
        serve(fds[1]);
    }
    close(fds[1]);
    if (read(fds[0], &port, sizeof port) != (ssize_t)sizeof port || port == 0)
        die("%s", "the server did not start");
    close(fds[0]);
    return port;
}

/* ---- clients ---- */

static int dial(unsigned port)
{
    struct sockaddr_in a = {0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        die("socket: %s", strerror(errno));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        die("connect: %s", strerror(errno));
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* 1 when the server has closed the connection or answered on it. */
static int server_acted(int fd)
{
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

static void normal_request(unsigned port, int round, int i)
{
    static const char *const h[] = {
        "ce-awpsversion: 1.0", "ce-specversion: 1.0", "ce-id: 1", "ce-hub: chat",
        "ce-type: azure.webpubsub.user.message", "ce-connectionId: conn1",
        "WebHook-Request-Origin: x.webpubsub.azure.com", "Content-Type: text/plain", NULL};
    char body[64];
    tu_http_result r;

    snprintf(body, sizeof body, "normal request %d.%d", round, i);
    if (tu_http(&r, port, "POST", "/api/webpubsub/hubs/chat/", h, body, strlen(body), 0) != 200 ||
        strcmp(r.body, body) != 0) {
        printf("status %ld, body '%.100s'\n", r.status, r.body);
        die("a normal request was not served (%s)", body);
    }
}

static long rss_kib(pid_t pid)
{
    char path[64], line[256];
    long kib = -1;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    if (!(f = fopen(path, "r")))
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

int main(void)
{
    const char *env = getenv("AWPS_SLOW_CLIENTS");
    int n = env ? atoi(env) : 1000, *fds, closed = 0, status;
    struct rlimit rl;
    unsigned port;

    if (n < 2 || n > 100000)
        n = 1000;
    signal(SIGPIPE, SIG_IGN);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < (rlim_t)n + 100) {
        printf("SKIP: %d connections need about %d open files per process; the limit is %llu\n",
               n, n + 100, (unsigned long long)rl.rlim_cur);
        return 77;
    }
    port = start_server();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (!(fds = calloc((size_t)n, sizeof *fds)))
        die("%s", "out of memory");

    /* Even ones: the start of a request, then a header line per round.
     * Odd ones: idle, nothing sent. */
    for (int i = 0; i < n; i++) {
        fds[i] = dial(port);
        if (i % 2 == 0) {
            static const char start[] = "POST /api/webpubsub/hubs/chat/ HTTP/1.1\r\nHost: x\r\n";
            if (send(fds[i], start, sizeof start - 1, MSG_NOSIGNAL) != (ssize_t)sizeof start - 1)
                die("%s", "cannot send the start of a slow request");
        }
    }
    printf("%d connections open (%d sending slowly, %d idle)\n", n, (n + 1) / 2, n / 2);
    for (int round = 0; round < ROUNDS; round++) {
        char line[40];
        for (int i = 0; i < n; i += 2) {
            int len = snprintf(line, sizeof line, "X-Slow-%d: %d\r\n", round, i);
            if (send(fds[i], line, (size_t)len, MSG_NOSIGNAL) != len)
                closed++;  /* counted again below */
        }
        for (int i = 0; i < NORMAL; i++)
            normal_request(port, round, i);
        sleep(1);
    }
    closed = 0;
    for (int i = 0; i < n; i++)
        closed += server_acted(fds[i]);
    printf("%d normal requests served; %d of the %d slow connections closed by the server; "
           "server RSS %ld KiB\n", ROUNDS * NORMAL, closed, n, rss_kib(server_pid));
    if (closed)
        die("%s", "the server dropped slow connections below its limits");

    /* SIGTERM with every slow connection still open: a clean exit. */
    kill(server_pid, SIGTERM);
    if (waitpid(server_pid, &status, 0) != server_pid)
        die("waitpid: %s", strerror(errno));
    server_pid = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        printf("server status %d\n", status);
        die("%s", "the server did not exit 0 after SIGTERM");
    }
    for (int i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
    curl_global_cleanup();
    printf("PASS: slow clients\n");
    return 0;
}
