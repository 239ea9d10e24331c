/* The negotiate endpoint of the service-side benchmark: a standalone
 * awps_server with one awps_negotiate route at /negotiate minting a client
 * access token for the user id in ?id= with two roles and one group (the
 * inputs of bench/tokens.c); bench/negotiate-express.js is the same on
 * Express with the official SDK.
 *
 *   negotiate-server --port N     (0 = a free port); prints "listening on PORT"
 *
 * SIGTERM or SIGINT stops it. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <awps.h>
#include <awps/negotiate.h>

#define CONNECTION_STRING \
    "Endpoint=https://contoso.webpubsub.azure.com;" \
    "AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFG=;Version=1.0;"

static unsigned choose(const awps_negotiate_request *req, awps_token_options *opts,
                       char *reason, size_t reason_size, void *data)
{
    static const char *const roles[] = {"webpubsub.joinLeaveGroup",
                                        "webpubsub.sendToGroup.group1"};
    static const char *const groups[] = {"group1"};
    const char *id = awps_negotiate_query(req, "id");

    (void)data;
    if (!id || !*id) {
        snprintf(reason, reason_size, "missing ?id=");
        return 400;
    }
    opts->user_id = id;
    opts->roles = roles;
    opts->n_roles = 2;
    opts->groups = groups;
    opts->n_groups = 1;
    return 0;
}

int main(int argc, char **argv)
{
    unsigned port = 0;
    awps_service_error err;
    sigset_t sigs;
    int sig, rc;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) {
            port = (unsigned)strtoul(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: %s --port N\n", argv[0]);
            return 2;
        }
    }
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);

    awps_service *svc = awps_service_new(CONNECTION_STRING, "hub1", &err);
    awps_server *s = awps_server_new();
    awps_negotiate *n = svc ? awps_negotiate_new(svc, "/negotiate", choose, NULL) : NULL;
    if (!svc || !s || !n || awps_server_add_negotiate(s, n) != AWPS_OK ||
        awps_server_set_listen(s, "127.0.0.1", port) != AWPS_OK ||
        (rc = awps_server_start(s)) != AWPS_OK) {
        fprintf(stderr, "negotiate-server: cannot start\n");
        return 1;
    }
    printf("listening on %u\n", awps_server_port(s));
    fflush(stdout);
    sigwait(&sigs, &sig);
    awps_server_stop(s, 5000);
    awps_server_free(s);
    awps_negotiate_free(n);
    awps_service_free(svc);
    return 0;
}
