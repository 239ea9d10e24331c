/* mhd-app: Web PubSub handlers mounted inside an application's own
 * libmicrohttpd daemon. The application keeps its routes (GET /health,
 * GET / ...); requests that are Web PubSub events for hub "chat" go to the
 * library; everything else reaches the application's access handler, exactly
 * like `next()` in express.
 *
 *   mhd-app [--port N]     (N = 0 picks a free port; prints "listening on N")
 *
 * It listens on 127.0.0.1. SIGTERM or Ctrl-C stops it gracefully: no new
 * connections, requests in flight and pending replies finished (up to 5 s),
 * then exit 0.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <awps.h>

/* ---- the application's own routes ---- */

static enum MHD_Result app(void *cls, struct MHD_Connection *c, const char *url,
                           const char *method, const char *version, const char *upload,
                           size_t *upload_size, void **con_cls)
{
    static int started;
    const char *text;
    unsigned status = 200;
    (void)cls; (void)version; (void)upload;

    if (!*con_cls) {
        *con_cls = &started;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (!strcmp(method, "GET") && !strcmp(url, "/health")) {
        text = "ok\n";
    } else if (!strcmp(method, "GET") && !strcmp(url, "/")) {
        text = "the application's home page\n";
    } else {
        status = 404;
        text = "the application has no such page\n";
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "text/plain");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* ---- Web PubSub callbacks ---- */

static void on_connect(awps_event *ev, awps_reply *reply, void *data)
{
    const char *user = awps_event_claim(ev, "sub");
    (void)data;
    if (!user) {
        awps_reply_fail(reply, 401, "a user id is required");
        return;
    }
    awps_reply_set_user_id(reply, user);
    awps_reply_add_group(reply, "lobby");
    awps_reply_success(reply);
}

static void on_message(awps_event *ev, awps_reply *reply, void *data)
{
    char text[128];
    size_t len;
    (void)data;
    awps_event_data(ev, &len);
    snprintf(text, sizeof text, "received %zu bytes from %s", len,
             awps_event_user_id(ev) ? awps_event_user_id(ev) : "anonymous");
    awps_reply_success_data(reply, AWPS_DATA_TEXT, text, strlen(text));
}

int main(int argc, char **argv)
{
    unsigned port = 8080;
    sigset_t stop;
    int sig;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) {
            port = (unsigned)strtoul(argv[++i], NULL, 10);
        } else {
            printf("usage: mhd-app [--port N]\n");
            return strcmp(argv[i], "--help") ? 2 : 0;
        }
    }
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    awps_handler *chat = awps_handler_new("chat");
    awps_mhd *glue = awps_mhd_new(app, NULL);  /* app = what declined requests reach */
    if (!chat || !glue)
        return 1;
    awps_handler_on_connect(chat, on_connect, NULL);
    awps_handler_on_user_event(chat, on_message, NULL);
    awps_mhd_add_handler(glue, chat);
    awps_handler_free(chat);  /* the glue keeps a reference */

    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME,
        (uint16_t)port, NULL, NULL, awps_mhd_access, glue,
        MHD_OPTION_NOTIFY_COMPLETED, awps_mhd_completed, glue,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "mhd-app: cannot listen on port %u\n", port);
        awps_mhd_free(glue);
        return 1;
    }
    printf("listening on %u\n", MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port);
    fflush(stdout);
    sigwait(&stop, &sig);
    MHD_socket listener = MHD_quiesce_daemon(d);  /* accept no new connections */
    awps_mhd_drain(glue, 5000);  /* finish replies in flight before stopping */
    MHD_stop_daemon(d);
    if (listener != MHD_INVALID_SOCKET)
        close(listener);
    awps_mhd_free(glue);
    return 0;
}
