/* mock-service: the mock Web PubSub REST service as a program, for
 * shell-level tests (see mock-service.h for what it records and answers).
 *
 *   mock-service --key KEY [--log FILE] [--script FILE] [--strict]
 *                [--audience-base URL]
 *
 * Prints "listening on PORT" (one line, flushed) once it serves on
 * 127.0.0.1:PORT. --log appends one JSON object per request
 * (mock_request_json) and flushes each line. --script queues the answers in
 * FILE, one JSON script object per line ({"status":404,"content_type":"...",
 * "body":"...","headers":{...}}; blank lines and lines starting with # are
 * skipped). Runs until SIGTERM or SIGINT; exit 0 then, 2 on usage errors,
 * 1 when it cannot start. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock-service.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void log_request(void *data, const mock_request *r)
{
    FILE *f = data;
    json_t *j = mock_request_json(r);
    char *line = j ? json_dumps(j, JSON_COMPACT) : NULL;

    pthread_mutex_lock(&log_lock);
    if (line) {
        fputs(line, f);
        fputc('\n', f);
        fflush(f);
    }
    pthread_mutex_unlock(&log_lock);
    free(line);
    json_decref(j);
}

static int load_script(mock_service *m, const char *path)
{
    FILE *f = fopen(path, "r");
    char line[65536];
    unsigned no = 0;

    if (!f) {
        perror(path);
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        json_t *j;
        size_t n = strspn(line, " \t\r\n");
        no++;
        if (!line[n] || line[n] == '#')
            continue;
        j = json_loads(line, 0, NULL);
        if (!j || mock_script_json(m, j) != 0) {
            fprintf(stderr, "mock-service: %s:%u: not a script object\n", path, no);
            json_decref(j);
            fclose(f);
            return -1;
        }
        json_decref(j);
    }
    fclose(f);
    return 0;
}

static int usage(void)
{
    fputs("usage: mock-service --key KEY [--log FILE] [--script FILE] [--strict]"
          " [--audience-base URL]\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    const char *key = NULL, *log = NULL, *scr = NULL, *aud = NULL;
    int strict = 0, sig = 0, rc = 0;
    FILE *logf = NULL;
    mock_service *m;
    sigset_t set;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--strict"))
            strict = 1;
        else if (i + 1 < argc && !strcmp(argv[i], "--key"))
            key = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--log"))
            log = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--script"))
            scr = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--audience-base"))
            aud = argv[++i];
        else
            return usage();
    }
    if (!key)
        return usage();
    /* block the stop signals in every thread; main waits for them */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (log && !(logf = fopen(log, "a"))) {
        perror(log);
        return 1;
    }
    m = mock_start(key);
    if (!m) {
        fputs("mock-service: cannot start\n", stderr);
        if (logf)
            fclose(logf);
        return 1;
    }
    mock_set_strict(m, strict);
    if (aud)
        mock_set_audience_base(m, aud);
    if (scr && load_script(m, scr) != 0) {
        rc = 1;
        goto out;
    }
    if (logf)
        mock_on_request(m, log_request, logf);
    printf("listening on %u\n", mock_port(m));
    fflush(stdout);
    sigwait(&set, &sig);
out:
    mock_stop(m);
    if (logf)
        fclose(logf);
    return rc;
}
