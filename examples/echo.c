/* echo: the smallest useful upstream. Accepts every connection (the user id
 * comes from the token's "sub" claim), echoes every user event back with the
 * same data type, and prints connected/disconnected notices.
 *
 *   echo [--listen ADDR] [--port N] [--hub NAME] [--key ACCESS_KEY]...
 *
 * With --key, requests must carry a valid ce-signature. Ctrl-C or SIGTERM
 * stops it gracefully. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <awps.h>

static void on_connect(awps_event *ev, awps_reply *reply, void *data)
{
    const char *user = awps_event_claim(ev, "sub");
    (void)data;
    if (user)
        awps_reply_set_user_id(reply, user);
    awps_reply_success(reply);  /* 204 when nothing was set */
}

static void on_message(awps_event *ev, awps_reply *reply, void *data)
{
    size_t len;
    const void *bytes = awps_event_data(ev, &len);
    (void)data;
    awps_reply_success_data(reply, awps_event_data_type(ev), bytes, len);
}

static void on_notice(const awps_event *ev, void *data)
{
    printf("%s: connection %s%s%s\n", (const char *)data, awps_event_connection_id(ev),
           awps_event_user_id(ev) ? " user " : "",
           awps_event_user_id(ev) ? awps_event_user_id(ev) : "");
    fflush(stdout);
}

static void usage(FILE *out)
{
    fprintf(out, "usage: echo [--listen ADDR] [--port N] [--hub NAME] [--key ACCESS_KEY]...\n");
}

int main(int argc, char **argv)
{
    const char *listen = "127.0.0.1", *hub = "echo";
    unsigned port = 8080;
    sigset_t stop;
    int sig, rc;

    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        }
    awps_handler *h = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--hub") && i + 1 < argc)
            hub = argv[++i];
    }
    if (!(h = awps_handler_new(hub)))
        return 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--listen") && i + 1 < argc) {
            listen = argv[++i];
        } else if (!strcmp(argv[i], "--port") && i + 1 < argc) {
            port = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--key") && i + 1 < argc) {
            awps_handler_add_key(h, argv[++i]);
        } else if (!strcmp(argv[i], "--hub") && i + 1 < argc) {
            i++;
        } else {
            usage(stderr);
            awps_handler_free(h);
            return 2;
        }
    }
    awps_handler_on_connect(h, on_connect, NULL);
    awps_handler_on_user_event(h, on_message, NULL);
    awps_handler_on_connected(h, on_notice, "connected");
    awps_handler_on_disconnected(h, on_notice, "disconnected");

    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);  /* before any thread starts */

    awps_server *s = awps_server_new();
    if (!s || awps_server_add_handler(s, h) != AWPS_OK ||
        (rc = awps_server_set_listen(s, listen, port)) != AWPS_OK) {
        fprintf(stderr, "echo: bad listen address %s\n", listen);
        awps_server_free(s);
        awps_handler_free(h);
        return 2;
    }
    if ((rc = awps_server_start(s)) != AWPS_OK) {
        fprintf(stderr, "echo: %s\n", awps_strerror(rc));
        awps_server_free(s);
        awps_handler_free(h);
        return 1;
    }
    printf("listening on %u\n", awps_server_port(s));
    printf("hub %s at http://%s:%u%s\n", hub, listen, awps_server_port(s), awps_handler_path(h));
    fflush(stdout);
    sigwait(&stop, &sig);
    awps_server_stop(s, 5000);
    awps_server_free(s);
    awps_handler_free(h);
    return 0;
}
