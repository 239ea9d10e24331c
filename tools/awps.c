/* awps — command-line client of the Azure Web PubSub service: mint client
 * access URLs and call the data-plane REST API (send, groups, close, exists,
 * permissions, list connections). See doc/awps.1.
 *
 *   awps [GLOBAL OPTIONS] COMMAND [OPTIONS] [OPERANDS]
 *
 * This file: main, the global options, and the helpers the commands share
 * (messages, numbers, input, the client). The commands are in
 * tools/awps-send.c and tools/awps-manage.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "awps-cli.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

static const char general_help[] =
    "usage: awps [GLOBAL OPTIONS] COMMAND [OPTIONS] [OPERANDS]\n"
    "\n"
    "Command-line client of the Azure Web PubSub service.\n"
    "\n"
    "commands:\n"
    "  token             print a client access URL: {\"baseUrl\",\"token\",\"url\"}\n"
    "  send              send a message to all, a user, a connection or a group\n"
    "  group             add or remove one user or connection in a group\n"
    "  groups            add or remove the connections matching a filter in groups\n"
    "  leave-all         remove a user or a connection from all its groups\n"
    "  close             close connections\n"
    "  exists            whether a user, connection or group exists (exit 0/1)\n"
    "  permission        grant, revoke or check a connection's permission\n"
    "  list-connections  list the connections of a group, one JSON object per line\n"
    "  help [COMMAND]    this text, or a command's\n"
    "\n"
    "global options (before or after the command):\n"
    "  --connection-string STRING  Endpoint=...;AccessKey=...;Version=1.0;\n"
    "                              (default: $WEBPUBSUB_CONNECTION_STRING)\n"
    "  --hub NAME                  the hub (default: $WEBPUBSUB_HUB)\n"
    "  --retries N                 retries of failed requests, 0-100 (default 3)\n"
    "  --reverse-proxy URL         send the requests to this host instead\n"
    "                              (e.g. Azure API Management)\n"
    "  --timeout SECONDS           give up an attempt after this long, 1-3600\n"
    "                              (default: no limit)\n"
    "  -h, --help                  help (after a command: the command's)\n"
    "  --version                   print the version\n"
    "\n"
    "exit status: 0 done (exists/check: true), 1 exists/check: false,\n"
    "2 usage error, 3 service or transport error.\n"
    "See awps(1).\n";

static const struct command {
    const char *name;
    int (*run)(struct cli *c, int argc, char **argv);
} commands[] = {
    { "token", cmd_token },
    { "send", cmd_send },
    { "group", cmd_group },
    { "groups", cmd_groups },
    { "leave-all", cmd_leave_all },
    { "close", cmd_close },
    { "exists", cmd_exists },
    { "permission", cmd_permission },
    { "list-connections", cmd_list_connections },
};

/* ---- messages ---------------------------------------------------------- */

/* Writes "awps" or "awps CMD" and ": " then the message on one line. */
static void vmessage(const struct cli *c, const char *fmt, va_list ap)
{
    fputs(c->cmd ? "awps " : "awps", stderr);
    if (c->cmd)
        fputs(c->cmd, stderr);
    fputs(": ", stderr);
    vfprintf(stderr, fmt, ap);
}

int cli_usage(const struct cli *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmessage(c, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'awps%s%s --help')\n", c->cmd ? " " : "", c->cmd ? c->cmd : "");
    return CLI_USAGE;
}

int cli_fail(const struct cli *c, int status, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmessage(c, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return status;
}

/* Copies `s` into `out` with control characters turned into spaces, so that
 * a multi-line service answer stays on one line. */
static const char *one_line(const char *s, char *out, size_t size)
{
    size_t i;

    for (i = 0; i + 1 < size && s[i] != '\0'; i++)
        out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
    out[i] = '\0';
    return out;
}

int cli_service_error(const struct cli *c, int code, const awps_service_error *err)
{
    char msg[sizeof err->message], scode[sizeof err->service_code];
    const char *m = one_line(err->message, msg, sizeof msg);

    one_line(err->service_code, scode, sizeof scode);
    switch (code) {
    case AWPS_E_HTTP:
        return cli_fail(c, CLI_SERVICE, "HTTP %ld%s%s%s%s", err->status, *scode ? " " : "",
                        scode, *m ? ": " : "", m);
    case AWPS_E_TRANSPORT:
        return cli_fail(c, CLI_SERVICE, "cannot reach the service: %s",
                        *m ? m : awps_strerror(code));
    case AWPS_E_CONNSTR:
        return cli_fail(c, CLI_USAGE, "bad connection string: %s", *m ? m : awps_strerror(code));
    case AWPS_E_INVALID:
    case AWPS_E_URL:
        return cli_fail(c, CLI_USAGE, "%s%s%s", awps_strerror(code), *m ? ": " : "", m);
    default:
        return cli_fail(c, CLI_SERVICE, "%s%s%s", awps_strerror(code), *m ? ": " : "", m);
    }
}

/* ---- options ----------------------------------------------------------- */

/* The option getopt_long just complained about, without any "=value". */
static void bad_option(char **argv, char *out, size_t size)
{
    const char *arg = argv[optind - 1];
    size_t n;

    if (optopt > 0 && optopt < 0x80) {
        snprintf(out, size, "-%c", optopt);
        return;
    }
    n = strcspn(arg, "=");
    snprintf(out, size, "%.*s", (int)(n < 64 ? n : 64), arg);
}

int cli_common_option(struct cli *c, int opt, char **argv, const char *help)
{
    unsigned long n;
    char name[80];
    int rc;

    switch (opt) {
    case OPT_CONNSTR:
        c->connection_string = optarg;
        return -1;
    case OPT_HUB:
        c->hub = optarg;
        return -1;
    case OPT_PROXY:
        c->reverse_proxy = optarg;
        return -1;
    case OPT_RETRIES:
        if ((rc = cli_parse_uint(c, "--retries", optarg, 0, 100, &n)) >= 0)
            return rc;
        c->retries = (long)n;
        return -1;
    case OPT_TIMEOUT:
        if ((rc = cli_parse_uint(c, "--timeout", optarg, 1, 3600, &n)) >= 0)
            return rc;
        c->timeout_s = n;
        return -1;
    case 'h':
        fputs(help, stdout);
        return CLI_OK;
    case OPT_VERSION:
        printf("awps %s (libawps %s)\n", PACKAGE_VERSION, awps_version());
        return CLI_OK;
    case ':':
        bad_option(argv, name, sizeof name);
        return cli_usage(c, "option '%s' needs an argument", name);
    case '?':
        bad_option(argv, name, sizeof name);
        return cli_usage(c, "unknown or ambiguous option '%s'", name);
    default:
        return cli_usage(c, "unexpected option");
    }
}

int cli_no_more_args(const struct cli *c, int argc, char **argv, int from)
{
    if (from < argc)
        return cli_usage(c, "unexpected argument '%s'", argv[from]);
    return -1;
}

int cli_set_target(const struct cli *c, struct target *t, enum target_kind kind,
                   const char *id, const char *option)
{
    if (t->kind != T_NONE)
        return cli_usage(c, "conflicting targets %s and %s", t->option, option);
    if (id != NULL && *id == '\0')
        return cli_usage(c, "%s needs a non-empty value", option);
    t->kind = kind;
    t->id = id;
    t->option = option;
    return -1;
}

int cli_parse_uint(const struct cli *c, const char *option, const char *text,
                   unsigned long min, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;
    const char *p;

    for (p = text; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (d > max || v > (max - d) / 10) {
            v = max + 1;    /* too big; keep scanning for the message */
            break;
        }
        v = v * 10 + d;
    }
    if (p == text || (*p != '\0' && v <= max))
        return cli_usage(c, "%s: '%s' is not a whole number", option, text);
    if (v < min || v > max)
        return cli_usage(c, "%s: '%s' is out of range %lu-%lu", option, text, min, max);
    *out = v;
    return -1;
}

/* ---- input and client -------------------------------------------------- */

int cli_read_input(const struct cli *c, const char *path, char **buf, size_t *len)
{
    int from_stdin = path == NULL || strcmp(path, "-") == 0;
    const char *name = from_stdin ? "standard input" : path;
    FILE *f = from_stdin ? stdin : fopen(path, "rb");
    size_t cap = 65536, n = 0, got;
    char *data = NULL, *bigger;
    int rc = -1;

    if (f == NULL)
        return cli_fail(c, CLI_USAGE, "cannot open '%s': %s", path, strerror(errno));
    if ((data = malloc(cap)) == NULL) {
        rc = cli_fail(c, CLI_SERVICE, "out of memory");
        goto done;
    }
    for (;;) {
        if (n == cap) {
            if (cap > CLI_MAX_BODY) {
                rc = cli_fail(c, CLI_USAGE, "%s is larger than %zu MiB", name,
                              CLI_MAX_BODY >> 20);
                goto done;
            }
            cap *= 2;
            if ((bigger = realloc(data, cap)) == NULL) {
                rc = cli_fail(c, CLI_SERVICE, "out of memory");
                goto done;
            }
            data = bigger;
        }
        got = fread(data + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f))
        rc = cli_fail(c, CLI_USAGE, "cannot read %s%s%s", from_stdin ? "" : "'", name,
                      from_stdin ? "" : "'");
    else if (n > CLI_MAX_BODY)
        rc = cli_fail(c, CLI_USAGE, "%s is larger than %zu MiB", name, CLI_MAX_BODY >> 20);
done:
    if (!from_stdin)
        fclose(f);
    if (rc >= 0) {
        free(data);
        return rc;
    }
    *buf = data;
    *len = n;
    return -1;
}

awps_service *cli_connect(const struct cli *c, int *status)
{
    awps_service_error err;
    awps_service *s;
    int rc;

    if (c->connection_string == NULL || *c->connection_string == '\0') {
        *status = cli_usage(c, "no connection string: use --connection-string or set "
                               "WEBPUBSUB_CONNECTION_STRING");
        return NULL;
    }
    if (c->hub == NULL || *c->hub == '\0') {
        *status = cli_usage(c, "no hub: use --hub or set WEBPUBSUB_HUB");
        return NULL;
    }
    memset(&err, 0, sizeof err);
    s = awps_service_new(c->connection_string, c->hub, &err);
    if (s == NULL) {
        *status = cli_service_error(c, err.code != AWPS_OK ? err.code : AWPS_E_NOMEM, &err);
        return NULL;
    }
    if (c->retries >= 0 &&
        (rc = awps_service_set_retry(s, (unsigned)c->retries, 1000, 64000)) != AWPS_OK) {
        *status = cli_fail(c, CLI_SERVICE, "--retries: %s", awps_strerror(rc));
        awps_service_free(s);
        return NULL;
    }
    if (c->timeout_s && (rc = awps_service_set_timeout(s, (unsigned)(c->timeout_s * 1000))) !=
                            AWPS_OK) {
        *status = cli_fail(c, CLI_SERVICE, "--timeout: %s", awps_strerror(rc));
        awps_service_free(s);
        return NULL;
    }
    if (c->reverse_proxy != NULL &&
        (rc = awps_service_set_reverse_proxy(s, c->reverse_proxy)) != AWPS_OK) {
        *status = cli_fail(c, rc == AWPS_E_NOMEM ? CLI_SERVICE : CLI_USAGE,
                           "--reverse-proxy: %s", awps_strerror(rc));
        awps_service_free(s);
        return NULL;
    }
    return s;
}

/* ---- main -------------------------------------------------------------- */

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* `awps help [COMMAND]`: the general help, or COMMAND --help. */
static int help_command(struct cli *c, int argc, char **argv)
{
    const struct command *cmd;
    char *sub[3];

    if (argc < 2) {
        fputs(general_help, stdout);
        return CLI_OK;
    }
    if (argc > 2)
        return cli_usage(c, "help: unexpected argument '%s'", argv[2]);
    if ((cmd = find_command(argv[1])) == NULL)
        return cli_usage(c, "unknown command '%s'", argv[1]);
    sub[0] = argv[1];
    sub[1] = (char *)"--help";
    sub[2] = NULL;
    c->cmd = cmd->name;
    optind = 0;
    return cmd->run(c, 2, sub);
}

/* Flushes standard output; a write error (e.g. a full disk) turns a
 * success into exit status 3. */
static int finish(int status)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "awps: cannot write the output: %s\n", strerror(errno));
        if (status == CLI_OK || status == CLI_FALSE)
            status = CLI_SERVICE;
    }
    return status;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_GLOBAL_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    struct cli c;
    const struct command *cmd;
    int opt, rc, first;

    memset(&c, 0, sizeof c);
    c.connection_string = getenv("WEBPUBSUB_CONNECTION_STRING");
    c.hub = getenv("WEBPUBSUB_HUB");
    c.retries = -1;

    opterr = 0;
    /* '+': stop at the command; its own options are parsed by the command */
    while ((opt = getopt_long(argc, argv, "+" CLI_SHORT, opts, NULL)) != -1)
        if ((rc = cli_common_option(&c, opt, argv, general_help)) >= 0)
            return finish(rc);
    if (optind >= argc)
        return cli_usage(&c, "no command");
    if (strcmp(argv[optind], "help") == 0) {
        first = optind;
        return finish(help_command(&c, argc - first, argv + first));
    }
    if ((cmd = find_command(argv[optind])) == NULL)
        return cli_usage(&c, "unknown command '%s'", argv[optind]);
    c.cmd = cmd->name;
    first = optind;
    optind = 0;    /* glibc: start afresh on the command's own arguments */
    return finish(cmd->run(&c, argc - first, argv + first));
}
