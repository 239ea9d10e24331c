/* conformance-run: replay the upstream conformance vectors against the
 * conformance app and check every answer.
 *
 * usage: conformance-run [--app PATH] [--port N] [--only NAME] VECTORS.json
 *
 * Each vector is one HTTP request plus the answer the app must give (see
 * "Reading an expectation" in the vectors' README); after each one, GET /_log
 * must return the vector's "events".  --port N uses an app already listening
 * on 127.0.0.1:N; --app PATH (default: $AWPS_CONFORMANCE_APP) starts
 * "[$AWPS_APP_WRAPPER] PATH --port 0", reads "listening on PORT" from its
 * stdout and stops it with SIGTERM at the end: it must then exit with 0.
 * Prints "FAIL <name>: <reasons>" per failing vector, then "N passed, N failed".
 * Exit status: 0 all passed and the app exited cleanly, 1 otherwise, 2 when the
 * app cannot be started or reached (or the command line or vectors are bad). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#define REQUEST_TIMEOUT_S 15L
#define RUN_TIMEOUT_S 120
#define SHOWN_BYTES 80 /* how much of a body a failure message quotes */
#define MAX_BODY ((size_t)1 << 30)

struct buf { char *data; size_t len, cap; };
struct response {
    long status; /* 0: no HTTP response, err says why */
    struct buf body;
    CURL *h;     /* kept for its headers (curl_easy_header) */
    char err[CURL_ERROR_SIZE];
};
struct reasons { FILE *f; char *text; size_t len; int count; }; /* "; "-joined */
struct app { pid_t pid; int fd; int wrapped; }; /* fd: read end of its stdout */
struct options { const char *app, *only, *file; int port; };

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t app_pid_for_signal, app_termed; /* for on_signal */

/* SIGALRM (run time limit), SIGINT, SIGTERM: note it and stop the app at once
 * so that a request in flight ends; main() then cleans up and reports. */
static void on_signal(int sig) {
    stop_signal = sig;
    if (app_pid_for_signal > 0 && !app_termed) {
        app_termed = 1;
        kill((pid_t)app_pid_for_signal, SIGTERM);
    }
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Appends n bytes and keeps the buffer NUL-terminated; 0 or -1. */
static int buf_append(struct buf *b, const void *p, size_t n) {
    if (b->len + n + 1 > b->cap) {  /* grow geometrically: bodies come in many pieces */
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) return -1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

/* Standard base64 with padding (whitespace tolerated) into a new buffer. */
static int b64_decode(const char *in, size_t len, struct buf *out) {
    EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
    int n = 0, m = 0, ok;
    out->len = 0;
    out->cap = (len + 3) / 4 * 3 + 1;
    out->data = malloc(out->cap);
    ok = out->data && ctx && len <= INT_MAX;
    if (ok) {
        EVP_DecodeInit(ctx);
        ok = EVP_DecodeUpdate(ctx, (unsigned char *)out->data, &n, (const unsigned char *)in, (int)len) >= 0
             && EVP_DecodeFinal(ctx, (unsigned char *)out->data + n, &m) >= 0;
    }
    EVP_ENCODE_CTX_free(ctx);
    if (!ok) {
        free(out->data);
        out->data = NULL;
        return -1;
    }
    out->len = (size_t)(n + m);
    out->data[out->len] = '\0';
    return 0;
}

/* ---- failure messages ---- */

/* Starts a new reason; callers may append more to r->f. */
static void reason(struct reasons *r, const char *fmt, ...) {
    va_list ap;
    if (r->count++) fputs("; ", r->f);
    va_start(ap, fmt);
    vfprintf(r->f, fmt, ap);
    va_end(ap);
}

/* Quotes at most SHOWN_BYTES of p, escaping non-printable bytes. */
static void put_quoted(FILE *f, const char *p, size_t n) {
    fputc('\'', f);
    for (size_t i = 0; i < n && i < SHOWN_BYTES; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\'' || c == '\\') fprintf(f, "\\%c", c);
        else if (c >= 0x20 && c < 0x7f) fputc(c, f);
        else fprintf(f, "\\x%02x", c);
    }
    fputs(n > SHOWN_BYTES ? "'..." : "'", f);
}

static void put_json(FILE *f, const json_t *j) {
    if (!j || json_dumpf(j, f, JSON_ENCODE_ANY | JSON_COMPACT) != 0) fputs("(none)", f);
}

/* "<what> GOT, want WANT" for two JSON values. */
static void reason_json(struct reasons *r, const char *what, const json_t *got, const json_t *want) {
    reason(r, "%s ", what);
    put_json(r->f, got);
    fputs(", want ", r->f);
    put_json(r->f, want);
}

/* ---- HTTP ---- */

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
    return buf_append(&((struct response *)ud)->body, p, size * n) ? 0 : size * n;
}

static void response_free(struct response *r) {
    curl_easy_cleanup(r->h);
    free(r->body.data);
}

/* Value of the index-th `name` header of the final response (not of 1xx
 * ones) or NULL; *count: how many there are (ask with index 0). */
static const char *header_get(const struct response *r, const char *name, size_t index, size_t *count) {
    struct curl_header *hd = NULL;
    CURLHcode rc = r->h ? curl_easy_header(r->h, name, index, CURLH_HEADER, -1, &hd) : CURLHE_MISSING;
    if (count) *count = rc == CURLHE_OK ? hd->amount : 0;
    return rc == CURLHE_OK ? hd->value : NULL;
}

#define SETOPT(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, val); } while (0)

/* Sends one request on a new connection to 127.0.0.1:port (path must start
 * with '/', so the host cannot change).  body NULL: none.  Returns 0 when an
 * HTTP response came back, else -1 with r->err set. */
static int send_request(int port, const char *method, const char *path,
                        struct curl_slist *hdrs, const struct buf *body, struct response *r) {
    size_t size = strlen(path) + 32;
    char *url = malloc(size);
    CURL *h = url ? curl_easy_init() : NULL;
    CURLcode rc = h ? CURLE_OK : CURLE_OUT_OF_MEMORY;
    /* as Python's http.client: an empty body is sent only on methods that
     * expect one (as Content-Length: 0) */
    int with_body = body && (body->len || !strcmp(method, "POST") || !strcmp(method, "PUT")
                             || !strcmp(method, "PATCH"));
    memset(r, 0, sizeof *r);
    if (url) snprintf(url, size, "http://127.0.0.1:%d%s", port, path);
    SETOPT(CURLOPT_URL, url);
    SETOPT(CURLOPT_PROXY, ""); /* ignore *_proxy variables */
    SETOPT(CURLOPT_PROTOCOLS_STR, "http");
    SETOPT(CURLOPT_PATH_AS_IS, 1L);
    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_TIMEOUT, REQUEST_TIMEOUT_S);
    SETOPT(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SETOPT(CURLOPT_ERRORBUFFER, r->err);
    SETOPT(CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(CURLOPT_WRITEDATA, r);
    SETOPT(CURLOPT_HTTPHEADER, hdrs);
    if (with_body) {
        SETOPT(CURLOPT_POSTFIELDS, body->data ? body->data : "");
        SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
    }
    if (strcmp(method, with_body ? "POST" : "GET") != 0) SETOPT(CURLOPT_CUSTOMREQUEST, method);
    if (rc == CURLE_OK) rc = curl_easy_perform(h);
    if (rc == CURLE_OK) rc = curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    if (rc != CURLE_OK) {
        r->status = 0;
        if (!r->err[0]) snprintf(r->err, sizeof r->err, "%s", curl_easy_strerror(rc));
    }
    r->h = h;
    free(url);
    return r->status ? 0 : -1;
}

/* ---- one vector ---- */

/* The request body: body_fill repeated body_len times, body_b64, or body. */
static int request_body(const json_t *req, struct buf *out) {
    const json_t *fill = json_object_get(req, "body_fill"), *b64 = json_object_get(req, "body_b64");
    const json_t *text = json_object_get(req, "body");
    memset(out, 0, sizeof *out);
    if (fill) {
        json_int_t times = json_integer_value(json_object_get(req, "body_len"));
        size_t flen = json_string_length(fill);
        if (!json_is_string(fill) || times < 0 || (flen && (uint64_t)times > MAX_BODY / flen))
            return -1;
        out->cap = flen * (size_t)times + 1;
        if (!(out->data = malloc(out->cap))) return -1;
        for (json_int_t i = 0; i < times; i++, out->len += flen)
            memcpy(out->data + out->len, json_string_value(fill), flen);
        out->data[out->len] = '\0';
        return 0;
    }
    if (b64)
        return json_is_string(b64) ? b64_decode(json_string_value(b64), json_string_length(b64), out) : -1;
    if (text && !json_is_string(text)) return -1;
    return buf_append(out, text ? json_string_value(text) : "", json_string_length(text));
}

static int list_add(struct curl_slist **list, const char *line) {
    struct curl_slist *l = curl_slist_append(*list, line);
    if (l) *list = l;
    return l ? 0 : -1;
}

/* The vector's headers as curl header lines, plus "Expect:" (and
 * "Content-Type:" when the vector has none) so curl adds no headers of its own. */
static int header_list(const json_t *headers, struct curl_slist **out) {
    const char *name;
    json_t *value;
    int has_ct = 0;
    *out = NULL;
    if (headers && !json_is_object(headers)) return -1;
    json_object_foreach((json_t *)headers, name, value) {
        const char *v = json_string_value(value);
        size_t size = strlen(name) + (v ? strlen(v) : 0) + 3;
        char *line = v ? malloc(size) : NULL;
        int rc = -1;
        if (line) {
            snprintf(line, size, *v ? "%s: %s" : "%s;", name, v); /* "Name;": empty value */
            rc = list_add(out, line);
        }
        free(line);
        if (rc) return -1;
        has_ct |= !strcasecmp(name, "Content-Type");
    }
    return list_add(out, "Expect:") || (!has_ct && list_add(out, "Content-Type:")) ? -1 : 0;
}

/* The media type of a Content-Type value: before any ';', trimmed. */
static const char *media_type(const char *ct, size_t *len) {
    ct = ct ? ct : "";
    while (isspace((unsigned char)*ct)) ct++;
    *len = strcspn(ct, ";");
    while (*len && isspace((unsigned char)ct[*len - 1])) (*len)--;
    return ct;
}

/* Exactly one WebHook-Allowed-Origin with the value wanted, or none at all. */
static void check_origin(const json_t *exp, const struct response *r, struct reasons *why) {
    size_t count;
    const char *got = header_get(r, "WebHook-Allowed-Origin", 0, &count);
    const json_t *want = json_object_get(exp, "allowed_origin");
    if (!want && count) reason(why, "unexpected WebHook-Allowed-Origin header");
    if (!want || (count == 1 && json_is_string(want) && !strcmp(got, json_string_value(want))))
        return;
    reason(why, "WebHook-Allowed-Origin [");
    for (size_t i = 0; i < count && (got = header_get(r, "WebHook-Allowed-Origin", i, NULL)); i++) {
        fputs(i ? ", " : "", why->f);
        put_quoted(why->f, got, strlen(got));
    }
    fputs("], want [", why->f);
    put_json(why->f, want);
    fputc(']', why->f);
}

/* ce-connectionState: base64 of JSON, compared as JSON; absent means absent
 * (except on 404 answers, which are not the library's). */
static void check_state(const json_t *exp, const struct response *r, struct reasons *why) {
    const char *raw = header_get(r, "ce-connectionState", 0, NULL);
    const json_t *want = json_object_get(exp, "state");
    struct buf dec = { 0 };
    json_t *got = NULL;
    if (!want) {
        if (raw && json_integer_value(json_object_get(exp, "status")) != 404)
            reason(why, "unexpected ce-connectionState header");
        return;
    }
    if (!raw || !*raw) got = json_null();
    else if (b64_decode(raw, strlen(raw), &dec) == 0)
        got = json_loadb(dec.data, dec.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    free(dec.data);
    if (!got) {
        reason(why, "connection state undecodable ");
        put_quoted(why->f, raw, strlen(raw));
    } else if (!json_equal(got, want)) reason_json(why, "connection state", got, want);
    json_decref(got);
}

static void check_content_type(const json_t *exp, const struct response *r, struct reasons *why) {
    const char *got = header_get(r, "Content-Type", 0, NULL);
    const char *want = json_string_value(json_object_get(exp, "content_type"));
    size_t glen, wlen;
    const char *g = media_type(got, &glen), *w = media_type(want, &wlen);
    if (!json_object_get(exp, "content_type") || (want && glen == wlen && !strncasecmp(g, w, glen)))
        return;
    reason(why, "content type ");
    if (got) put_quoted(why->f, got, strlen(got));
    else fputs("(none)", why->f);
    fprintf(why->f, ", want '%s'", want ? want : "(not a string)");
}

/* The body compared as bytes with want (want->data NULL: expect.<what> is bad). */
static void check_bytes(const char *what, const struct buf *got, const struct buf *want, struct reasons *why) {
    size_t i = 0;
    if (!want->data) {
        reason(why, "malformed vector: bad expect.%s", what);
        return;
    }
    while (i < got->len && i < want->len && got->data[i] == want->data[i]) i++;
    if (got->len == want->len && i == got->len) return;
    reason(why, "%s ", strcmp(what, "text") ? "body" : "text body");
    put_quoted(why->f, got->data, got->len);
    fputs(", want ", why->f);
    put_quoted(why->f, want->data, want->len);
    fprintf(why->f, " (%zu bytes, want %zu; first difference at byte %zu)", got->len, want->len, i);
}

/* The body as parsed JSON ("json"), text ("text") or bytes ("body_b64"). */
static void check_body(const json_t *exp, const struct response *r, struct reasons *why) {
    const json_t *want;
    struct buf bytes = { 0 };
    if ((want = json_object_get(exp, "json"))) {
        json_t *got = json_loadb(r->body.data, r->body.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        if (!got) {
            reason(why, "JSON body is not JSON: ");
            put_quoted(why->f, r->body.data, r->body.len);
        } else if (!json_equal(got, want)) reason_json(why, "JSON body", got, want);
        json_decref(got);
    } else if ((want = json_object_get(exp, "text"))) {
        /* the text is compared as its UTF-8 bytes */
        bytes.data = (char *)json_string_value(want);
        bytes.len = json_string_length(want);
        check_bytes("text", &r->body, &bytes, why);
    } else if ((want = json_object_get(exp, "body_b64"))) {
        if (json_is_string(want))
            b64_decode(json_string_value(want), json_string_length(want), &bytes);
        check_bytes("body_b64", &r->body, &bytes, why);
        free(bytes.data);
    }
}

static void check_response(const json_t *exp, const struct response *r, struct reasons *why) {
    const json_t *any = json_object_get(exp, "status_any"), *s;
    long want = (long)json_integer_value(json_object_get(exp, "status"));
    size_t i;
    if (!r->status) {
        reason(why, "no HTTP response: %s", r->err);
        return;
    }
    if (any) { /* a status from the list is all that is checked */
        json_array_foreach(any, i, s)
            if (json_integer_value(s) == r->status) return;
        reason(why, "status %ld, want one of ", r->status);
        put_json(why->f, any);
        return;
    }
    if (r->status != want) reason(why, "status %ld, want %ld", r->status, want);
    if (json_is_true(json_object_get(exp, "error"))) { /* only: some message */
        for (i = 0; i < r->body.len; i++)
            if (!isspace((unsigned char)r->body.data[i])) return;
        reason(why, "error response has an empty body; a clear message is expected");
        return;
    }
    check_origin(exp, r, why);
    check_state(exp, r, why);
    check_content_type(exp, r, why);
    check_body(exp, r, why);
}

/* Sends the vector's request and checks the answer. */
static void run_request(int port, const json_t *vec, struct reasons *why) {
    const json_t *req = json_object_get(vec, "request"), *exp = json_object_get(vec, "expect");
    const char *method = json_string_value(json_object_get(req, "method"));
    const char *path = json_string_value(json_object_get(req, "path"));
    struct curl_slist *hdrs = NULL;
    struct buf body = { 0 };
    struct response r;
    if (!json_is_object(exp) || !method || !path || path[0] != '/')
        reason(why, "malformed vector: needs request.method, request.path (from '/'), expect");
    else if (request_body(req, &body) < 0)
        reason(why, "malformed vector or out of memory: request body");
    else if (header_list(json_object_get(req, "headers"), &hdrs) < 0)
        reason(why, "malformed vector or out of memory: request headers");
    else {
        send_request(port, method, path, hdrs, &body, &r);
        check_response(exp, &r, why);
        response_free(&r);
    }
    curl_slist_free_all(hdrs);
    free(body.data);
}

/* GET /_log must answer 200 with the vector's events. */
static void check_events(int port, const json_t *want, struct reasons *why) {
    struct response r;
    json_t *got = NULL;
    send_request(port, "GET", "/_log", NULL, NULL, &r);
    if (r.status == 200)
        got = json_loadb(r.body.data, r.body.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!want) reason(why, "malformed vector: no events");
    else if (!r.status) reason(why, "GET /_log: no HTTP response: %s", r.err);
    else if (r.status != 200) reason(why, "GET /_log answered %ld", r.status);
    else if (!got) {
        reason(why, "GET /_log is not JSON: ");
        put_quoted(why->f, r.body.data, r.body.len);
    } else if (!json_equal(got, want)) reason_json(why, "notifications", got, want);
    json_decref(got);
    response_free(&r);
}

/* Runs one vector and prints its FAIL line if any; 1 passed, 0 failed. */
static int run_vector(int port, const json_t *vec) {
    const char *name = json_string_value(json_object_get(vec, "name"));
    struct reasons why = { 0 };
    if (!(why.f = open_memstream(&why.text, &why.len))) {
        printf("FAIL %s: out of memory\n", name ? name : "(unnamed)");
        return 0;
    }
    run_request(port, vec, &why);
    check_events(port, json_object_get(vec, "events"), &why);
    if (fclose(why.f) != 0 && !why.count) why.count = 1;
    if (why.count)
        printf("FAIL %s: %s\n", name ? name : "(unnamed)", why.text ? why.text : "out of memory");
    free(why.text);
    return !why.count;
}

/* ---- the app process ---- */

/* Copies what the app has written to its stdout so far to our stderr;
 * closes the pipe at end of file. */
static void app_drain(struct app *a) {
    char chunk[4096];
    ssize_t n;
    while (a->fd >= 0 && (n = read(a->fd, chunk, sizeof chunk)) != 0) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n < 0) break;
        fwrite(chunk, 1, (size_t)n, stderr);
    }
    if (a->fd >= 0) close(a->fd);
    a->fd = -1;
}

/* Reads "listening on PORT" from the app's stdout; the port, or -1. */
static int app_read_port(struct app *a, double limit) {
    char line[256], *nl, *end = NULL;
    size_t len = 0;
    double deadline = now_s() + limit;
    while (!(nl = memchr(line, '\n', len))) {
        double left = deadline - now_s();
        struct pollfd p = { .fd = a->fd, .events = POLLIN };
        ssize_t n;
        if (stop_signal || left <= 0 || len == sizeof line - 1) {
            if (stop_signal) printf("stopped by %s while starting the app\n", strsignal(stop_signal));
            else printf("the app printed no 'listening on PORT' line within %.0f s\n", limit);
            return -1;
        }
        if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
            continue; /* time out or EINTR: checked above */
        if ((n = read(a->fd, line + len, sizeof line - 1 - len)) == 0) {
            printf("the app closed its stdout before printing 'listening on PORT'\n");
            return -1;
        }
        len += n > 0 ? (size_t)n : 0;
    }
    fwrite(nl + 1, 1, len - (size_t)(nl + 1 - line), stderr);
    *nl = '\0';
    long port = strncmp(line, "listening on ", 13) ? 0 : strtol(line + 13, &end, 10);
    if (port < 1 || port > 65535 || (*end && strcmp(end, "\r"))) {
        printf("the app's first line is not 'listening on PORT': '%s'\n", line);
        return -1;
    }
    return (int)port;
}

/* Forks and executes [AWPS_APP_WRAPPER words...] PATH --port 0, its stdout
 * into a pipe; 0 or -1. */
static int app_spawn(const char *path, struct app *a) {
    const char *wrapper = getenv("AWPS_APP_WRAPPER");
    char *words = strdup(wrapper ? wrapper : ""), *save = NULL;
    char **argv = words ? calloc(strlen(words) / 2 + 5, sizeof *argv) : NULL;
    int fds[2] = { -1, -1 }, argc = 0, rc = -1;
    if (!argv || pipe(fds) < 0 || fcntl(fds[0], F_SETFD, FD_CLOEXEC) < 0) {
        perror("conformance-run: cannot start the app");
        goto out;
    }
    for (char *t = strtok_r(words, " ", &save); t; t = strtok_r(NULL, " ", &save)) argv[argc++] = t;
    a->wrapped = argc > 0;
    argv[argc++] = (char *)path;
    argv[argc++] = "--port";
    argv[argc++] = "0";
    fflush(stdout);
    fflush(stderr);
    if ((a->pid = fork()) == 0) {
        signal(SIGPIPE, SIG_DFL); /* an ignored signal stays ignored across exec */
        if (dup2(fds[1], STDOUT_FILENO) >= 0) execvp(argv[0], argv);
        fprintf(stderr, "conformance-run: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    } else if (a->pid < 0) perror("conformance-run: fork");
    else {
        app_pid_for_signal = a->pid;
        a->fd = fds[0];
        fds[0] = -1;
        rc = fcntl(a->fd, F_SETFL, O_NONBLOCK);
    }
out:
    if (fds[0] >= 0) close(fds[0]);
    if (fds[1] >= 0) close(fds[1]);
    free(argv);
    free(words);
    return rc < 0 ? -1 : 0;
}

/* Waits until `deadline` for the app to exit, passing its output on; 0 or -1. */
static int app_wait(struct app *a, double deadline, int *status) {
    for (;;) {
        pid_t w = waitpid(a->pid, status, WNOHANG);
        if (w == a->pid) return 0;
        if ((w < 0 && errno != EINTR) || now_s() >= deadline) return -1;
        struct pollfd p = { .fd = a->fd, .events = POLLIN };
        poll(&p, 1, 50); /* with fd -1 this only sleeps */
        app_drain(a);
    }
}

/* Stops the app with SIGTERM (SIGKILL if it lingers) and prints how it
 * ended.  Returns 1 when that counts as a failure, else 0. */
static int app_stop(struct app *a) {
    int status = 0, failed = 1, before = 0, ended, termed = app_termed;
    double limit = a->wrapped ? 30 : 10;
    if (a->pid <= 0) return 0;
    app_termed = 1; /* from now on on_signal leaves the app alone */
    if (!termed) before = waitpid(a->pid, &status, WNOHANG) == a->pid;
    if (!(ended = before)) {
        if (!termed) kill(a->pid, SIGTERM);
        ended = app_wait(a, now_s() + limit, &status) == 0;
    }
    if (!ended) {
        kill(a->pid, SIGKILL);
        while (waitpid(a->pid, &status, 0) < 0 && errno == EINTR)
            ;
        printf("FAIL app: still running %.0f s after SIGTERM; killed\n", limit);
    } else if (WIFEXITED(status)) {
        failed = before || WEXITSTATUS(status) != 0;
        printf("%s exited with status %d %s SIGTERM\n", failed ? "FAIL app:" : "app",
               WEXITSTATUS(status), before ? "before" : "after");
    } else
        printf("FAIL app: killed by signal %d (%s) %s SIGTERM\n", WTERMSIG(status),
               strsignal(WTERMSIG(status)), before ? "before" : "after");
    app_pid_for_signal = 0;
    a->pid = -1;
    app_drain(a);
    if (a->fd >= 0) /* a process it started may still hold the pipe */
        close(a->fd);
    a->fd = -1;
    return failed;
}

/* ---- main ---- */

static int parse_args(int argc, char **argv, struct options *o) {
    const char *env = getenv("AWPS_CONFORMANCE_APP");
    for (int i = 1; i < argc; i++) {
        char *end = NULL;
        long port = 0;
        if (!strcmp(argv[i], "--app") && i + 1 < argc) o->app = argv[++i];
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) o->only = argv[++i];
        else if (!strcmp(argv[i], "--port") && i + 1 < argc
                 && (port = strtol(argv[++i], &end, 10)) > 0 && port < 65536 && !*end)
            o->port = (int)port;
        else if (argv[i][0] != '-' && !o->file) o->file = argv[i];
        else return -1;
    }
    if (!o->app && !o->port && env && *env) o->app = env;
    return !o->file || !o->app == !o->port ? -1 : 0;
}

static void catch_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: waits return with EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Runs the vectors (only the one named o->only if set) while no signal
 * came, passing the app's output on between them. */
static void run_all(const struct options *o, const json_t *vectors, struct app *app,
                    int *passed, int *failed) {
    size_t i;
    json_t *vec;
    json_array_foreach(vectors, i, vec) {
        const char *name = json_string_value(json_object_get(vec, "name"));
        if (stop_signal) break;
        if (o->only && (!name || strcmp(name, o->only))) continue;
        if (run_vector(o->port, vec)) ++*passed;
        else ++*failed;
        app_drain(app);
    }
}

/* As the reference runner: any answer to GET /_log means the app is there. */
static int reachable(int port) {
    struct response r;
    int ok = send_request(port, "GET", "/_log", NULL, NULL, &r) == 0;
    if (!ok) printf("cannot reach the conformance app on 127.0.0.1:%d: %s\n", port, r.err);
    response_free(&r);
    return ok;
}

int main(int argc, char **argv) {
    struct options o = { 0 };
    struct app app = { .pid = -1, .fd = -1 };
    int passed = 0, failed = 0, reached = 0, app_failed;
    json_t *vectors;
    json_error_t jerr;

    if (parse_args(argc, argv, &o) < 0) {
        fputs("usage: conformance-run [--app PATH] [--port N] [--only NAME] VECTORS.json\n", stderr);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0); /* keeps order with the app's output */
    vectors = json_load_file(o.file, JSON_ALLOW_NUL, &jerr); /* json_is_* are macros */
    if (!json_is_array(vectors)) {
        printf("cannot read vectors from %s: %s\n", o.file, vectors ? "not a JSON array" : jerr.text);
        json_decref(vectors);
        return 2;
    }
    catch_signals();
    alarm(RUN_TIMEOUT_S);
    if (o.app && app_spawn(o.app, &app) == 0) o.port = app_read_port(&app, app.wrapped ? 60 : 10);
    if (o.port > 0 && curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK) {
        if ((reached = reachable(o.port))) run_all(&o, vectors, &app, &passed, &failed);
        curl_global_cleanup();
    } else if (o.port > 0)
        printf("cannot initialise libcurl\n");
    app_failed = app_stop(&app);
    json_decref(vectors);
    if (!reached) return 2;
    if (stop_signal)
        printf("FAIL run: stopped by %s%s\n", strsignal(stop_signal),
               stop_signal == SIGALRM ? " (run time limit reached)" : "");
    else if (passed + failed == 0 && o.only)
        printf("FAIL run: no vector named '%s'\n", o.only);
    else if (passed + failed == 0)
        printf("FAIL run: no vectors in %s\n", o.file);
    printf("%d passed, %d failed\n", passed, failed);
    return failed || app_failed || stop_signal || passed + failed == 0 ? 1 : 0;
}
