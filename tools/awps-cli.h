/* awps — the command-line client of the Web PubSub service: declarations
 * shared by tools/awps.c (main, options, helpers) and the command files.
 * Uses only the public API of libawps. */
#ifndef AWPS_CLI_H
#define AWPS_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

#include <awps.h>

/* Exit statuses (documented in doc/awps.1). */
enum {
    CLI_OK = 0,       /* done; exists/check: true */
    CLI_FALSE = 1,    /* exists/check: false */
    CLI_USAGE = 2,    /* usage error: bad option, argument, number, input */
    CLI_SERVICE = 3   /* the service answered an error, or could not be reached */
};

/* Largest message body read from a file or standard input. */
#define CLI_MAX_BODY ((size_t)16 * 1024 * 1024)

/* Option values of the global options (long only), accepted before the
 * command and by every command. Commands number their own from OPT_CMD. */
enum {
    OPT_CONNSTR = 0x100,
    OPT_HUB,
    OPT_RETRIES,
    OPT_PROXY,
    OPT_TIMEOUT,
    OPT_VERSION,
    OPT_CMD = 0x200
};

#define CLI_GLOBAL_OPTIONS                                              \
    { "connection-string", required_argument, NULL, OPT_CONNSTR },     \
    { "hub", required_argument, NULL, OPT_HUB },                       \
    { "retries", required_argument, NULL, OPT_RETRIES },               \
    { "reverse-proxy", required_argument, NULL, OPT_PROXY },           \
    { "timeout", required_argument, NULL, OPT_TIMEOUT },               \
    { "version", no_argument, NULL, OPT_VERSION },                     \
    { "help", no_argument, NULL, 'h' }

/* The end of every command's help text. */
#define GLOBAL_HELP                                                              \
    "\n"                                                                         \
    "global options: --connection-string STRING, --hub NAME, --retries N,\n"     \
    "--timeout SECONDS, --reverse-proxy URL, --version (see awps --help);\n"     \
    "-h, --help: this text.\n"

/* Short options of every command: only -h; ':' reports missing arguments. */
#define CLI_SHORT ":h"

/* What main gathered (environment and global options); commands add theirs. */
struct cli {
    const char *cmd;                /* command name, for messages */
    const char *connection_string;  /* --connection-string or the environment */
    const char *hub;                /* --hub or the environment */
    const char *reverse_proxy;      /* --reverse-proxy or NULL */
    long retries;                   /* --retries, or -1 for the library default */
    unsigned long timeout_s;        /* --timeout, or 0 for none */
};

/* The target of send, close, exists and leave-all. */
enum target_kind { T_NONE = 0, T_ALL, T_USER, T_CONNECTION, T_GROUP };
struct target {
    enum target_kind kind;
    const char *id;                 /* user, connection or group; NULL for all */
    const char *option;             /* "--user" etc., for messages */
};

/* Prints "awps CMD: message (see 'awps CMD --help')" on one line; returns
 * CLI_USAGE. */
int cli_usage(const struct cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints "awps CMD: message" on one line; returns `status`. */
int cli_fail(const struct cli *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reports a failed library call (HTTP status, service code and message, or
 * the transport error) on one line; returns CLI_SERVICE, or CLI_USAGE for a
 * bad connection string or argument. */
int cli_service_error(const struct cli *c, int code, const awps_service_error *err);

/* Handles what every command's getopt_long loop shares: the global options,
 * --help (prints `help` to stdout), --version and getopt's errors. Returns -1 to go on,
 * otherwise the exit status to return at once. */
int cli_common_option(struct cli *c, int opt, char **argv, const char *help);
/* Usage error for the first of argv[from..argc-1] when there is one, else -1. */
int cli_no_more_args(const struct cli *c, int argc, char **argv, int from);

/* Sets the target once; a second one is a usage error (returns CLI_USAGE,
 * else -1). */
int cli_set_target(const struct cli *c, struct target *t, enum target_kind kind,
                   const char *id, const char *option);

/* Decimal integer in [min, max], digits only. Usage error naming `option`
 * when it is not (returns CLI_USAGE), else -1 with *out set. */
int cli_parse_uint(const struct cli *c, const char *option, const char *text,
                   unsigned long min, unsigned long max, unsigned long *out);

/* Reads all of `path` ("-" or NULL: standard input), at most CLI_MAX_BODY
 * bytes, into a new buffer (free()). Returns -1 on success, else an exit
 * status after a message. */
int cli_read_input(const struct cli *c, const char *path, char **buf, size_t *len);

/* The client for the connection string and hub, with --retries and
 * --reverse-proxy applied. NULL after a message; *status is the exit status. */
awps_service *cli_connect(const struct cli *c, int *status);

/* The commands: argv[0] is the command name, options and operands follow. */
int cmd_token(struct cli *c, int argc, char **argv);
int cmd_send(struct cli *c, int argc, char **argv);
int cmd_group(struct cli *c, int argc, char **argv);
int cmd_groups(struct cli *c, int argc, char **argv);
int cmd_leave_all(struct cli *c, int argc, char **argv);
int cmd_close(struct cli *c, int argc, char **argv);
int cmd_exists(struct cli *c, int argc, char **argv);
int cmd_permission(struct cli *c, int argc, char **argv);
int cmd_list_connections(struct cli *c, int argc, char **argv);

#endif
