/* awps — the commands that mint tokens and send messages: token, send. */
#include <stdlib.h>
#include <string.h>

#include "awps-cli.h"

/* ---- token ------------------------------------------------------------- */

static const char token_help[] =
    "usage: awps token [--user ID] [--role ROLE]... [--group NAME]... [--minutes N]\n"
    "                  [--protocol default|mqtt|socketio]\n"
    "\n"
    "Prints a client access URL for the hub as one line of JSON,\n"
    "{\"baseUrl\":...,\"token\":...,\"url\":...}. The token is signed with the access\n"
    "key of the connection string; nothing is sent to the service.\n"
    "\n"
    "  --user ID          the user id (claim \"sub\")\n"
    "  --role ROLE        a role (claim \"role\"), e.g. webpubsub.joinLeaveGroup,\n"
    "                     webpubsub.sendToGroup.GROUP; repeatable\n"
    "  --group NAME       a group the client joins on connecting; repeatable\n"
    "  --minutes N        lifetime in minutes, a positive number, decimals allowed\n"
    "                     (default 60)\n"
    "  --protocol NAME    default (/client/hubs/HUB), mqtt (/clients/mqtt/hubs/HUB)\n"
    "                     or socketio (/clients/socketio/hubs/HUB); default: default\n"
    GLOBAL_HELP;

/* A positive decimal number of minutes ("90", "1.5"), at most 10^9. */
static int parse_minutes(const struct cli *c, const char *text, double *out)
{
    const char *p = text;
    size_t digits = 0;
    double v;

    while (*p >= '0' && *p <= '9')
        p++, digits++;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            digits++;
    if (digits == 0 || *p != '\0' || p - text > 32)
        return cli_usage(c, "--minutes: '%s' is not a number of minutes", text);
    v = strtod(text, NULL);
    if (!(v > 0) || v > 1e9)
        return cli_usage(c, "--minutes: '%s' is out of range (above 0, at most 1000000000)",
                         text);
    *out = v;
    return -1;
}

int cmd_token(struct cli *c, int argc, char **argv)
{
    enum { O_USER = OPT_CMD, O_ROLE, O_GROUP, O_MINUTES, O_PROTOCOL };
    static const struct option opts[] = {
        CLI_GLOBAL_OPTIONS,
        { "user", required_argument, NULL, O_USER },
        { "role", required_argument, NULL, O_ROLE },
        { "group", required_argument, NULL, O_GROUP },
        { "minutes", required_argument, NULL, O_MINUTES },
        { "protocol", required_argument, NULL, O_PROTOCOL },
        { NULL, 0, NULL, 0 }
    };
    awps_token_options to;
    awps_client_token tok;
    awps_service_error err;
    awps_service *s = NULL;
    const char **roles, **groups;
    int opt, rc = -1;
    json_t *out;

    memset(&to, 0, sizeof to);
    memset(&tok, 0, sizeof tok);
    roles = calloc((size_t)argc, sizeof *roles);
    groups = calloc((size_t)argc, sizeof *groups);
    if (roles == NULL || groups == NULL) {
        rc = cli_fail(c, CLI_SERVICE, "out of memory");
        goto done;
    }
    while (rc < 0 && (opt = getopt_long(argc, argv, CLI_SHORT, opts, NULL)) != -1) {
        switch (opt) {
        case O_USER:
            to.user_id = optarg;
            break;
        case O_ROLE:
            roles[to.n_roles++] = optarg;
            to.roles = roles;
            break;
        case O_GROUP:
            groups[to.n_groups++] = optarg;
            to.groups = groups;
            break;
        case O_MINUTES:
            rc = parse_minutes(c, optarg, &to.expires_minutes);
            to.expires_set = 1;
            break;
        case O_PROTOCOL:
            if (strcmp(optarg, "default") == 0)
                to.client_type = AWPS_CLIENT_DEFAULT;
            else if (strcmp(optarg, "mqtt") == 0)
                to.client_type = AWPS_CLIENT_MQTT;
            else if (strcmp(optarg, "socketio") == 0)
                to.client_type = AWPS_CLIENT_SOCKETIO;
            else
                rc = cli_usage(c, "--protocol: '%s' is not default, mqtt or socketio", optarg);
            break;
        default:
            rc = cli_common_option(c, opt, argv, token_help);
            break;
        }
    }
    if (rc >= 0 || (rc = cli_no_more_args(c, argc, argv, optind)) >= 0)
        goto done;
    if ((s = cli_connect(c, &rc)) == NULL)
        goto done;
    memset(&err, 0, sizeof err);
    if ((rc = awps_service_client_token(s, &to, &tok, &err)) != AWPS_OK) {
        rc = cli_service_error(c, rc, &err);
        goto done;
    }
    out = json_pack("{s:s,s:s,s:s}", "baseUrl", tok.base_url, "token", tok.token, "url", tok.url);
    if (out == NULL) {
        rc = cli_fail(c, CLI_SERVICE, "cannot print the token");
        goto done;
    }
    json_dumpf(out, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
    putchar('\n');
    json_decref(out);
    rc = CLI_OK;
done:
    awps_client_token_clear(&tok);
    awps_service_free(s);
    free(roles);
    free(groups);
    return rc;
}

/* ---- send -------------------------------------------------------------- */

static const char send_help[] =
    "usage: awps send (--all | --user ID | --connection ID | --group NAME)\n"
    "                 [--filter EXPR] [--exclude CONNECTION]... [--ttl SECONDS]\n"
    "                 [--text STRING | --json JSON | --binary FILE]\n"
    "\n"
    "Sends one message. The body is the --text string (text/plain), the --json\n"
    "text (application/json, checked to be JSON and sent as written), or the\n"
    "bytes of the --binary file (application/octet-stream; - is standard input).\n"
    "With none of the three, standard input is sent as binary. Input is limited\n"
    "to 16 MiB.\n"
    "\n"
    "  --all               every connection of the hub\n"
    "  --user ID           every connection of a user\n"
    "  --connection ID     one connection\n"
    "  --group NAME        every connection in a group\n"
    "  --filter EXPR       OData filter on the receivers, e.g. \"userId ne 'bob'\"\n"
    "                      (not with --connection)\n"
    "  --exclude ID        skip this connection; repeatable (--all, --group only)\n"
    "  --ttl SECONDS       drop the message if not delivered within SECONDS\n"
    "                      (the service accepts 1-300; 0, the default: never)\n"
    "  --text STRING       send STRING as text\n"
    "  --json JSON         send JSON (any JSON value)\n"
    "  --binary FILE       send the bytes of FILE\n"
    GLOBAL_HELP;

enum body_kind { B_NONE = 0, B_TEXT, B_JSON, B_BINARY };

struct body {
    enum body_kind kind;
    const char *value;      /* the string, JSON text or file name */
    const char *option;
};

static int set_body(const struct cli *c, struct body *b, enum body_kind kind,
                    const char *value, const char *option)
{
    if (b->kind != B_NONE)
        return cli_usage(c, "conflicting bodies %s and %s", b->option, option);
    b->kind = kind;
    b->value = value;
    b->option = option;
    return -1;
}

/* Checks the options that only some targets take. */
static int check_send(const struct cli *c, const struct target *t, const char *filter,
                      size_t n_excluded)
{
    if (t->kind == T_NONE)
        return cli_usage(c, "no target: give --all, --user, --connection or --group");
    if (filter != NULL && t->kind == T_CONNECTION)
        return cli_usage(c, "--filter does not apply to --connection");
    if (n_excluded > 0 && (t->kind == T_USER || t->kind == T_CONNECTION))
        return cli_usage(c, "--exclude applies to --all and --group only");
    return -1;
}

static int check_json(const struct cli *c, const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

    if (v == NULL)
        return cli_usage(c, "--json: not valid JSON: %s (line %d, column %d)", jerr.text,
                         jerr.line, jerr.column);
    json_decref(v);
    return -1;
}

int cmd_send(struct cli *c, int argc, char **argv)
{
    enum { O_ALL = OPT_CMD, O_USER, O_CONNECTION, O_GROUP, O_FILTER, O_EXCLUDE, O_TTL,
           O_TEXT, O_JSON, O_BINARY };
    static const struct option opts[] = {
        CLI_GLOBAL_OPTIONS,
        { "all", no_argument, NULL, O_ALL },
        { "user", required_argument, NULL, O_USER },
        { "connection", required_argument, NULL, O_CONNECTION },
        { "group", required_argument, NULL, O_GROUP },
        { "filter", required_argument, NULL, O_FILTER },
        { "exclude", required_argument, NULL, O_EXCLUDE },
        { "ttl", required_argument, NULL, O_TTL },
        { "text", required_argument, NULL, O_TEXT },
        { "json", required_argument, NULL, O_JSON },
        { "binary", required_argument, NULL, O_BINARY },
        { NULL, 0, NULL, 0 }
    };
    struct target t = { T_NONE, NULL, NULL };
    struct body b = { B_NONE, NULL, NULL };
    awps_send_options so;
    awps_service_error err;
    awps_service *s = NULL;
    awps_data_type type;
    const char **excluded;
    const void *data;
    char *input = NULL;
    size_t len;
    unsigned long ttl = 0;
    int opt, rc = -1;

    memset(&so, 0, sizeof so);
    if ((excluded = calloc((size_t)argc, sizeof *excluded)) == NULL)
        return cli_fail(c, CLI_SERVICE, "out of memory");
    while (rc < 0 && (opt = getopt_long(argc, argv, CLI_SHORT, opts, NULL)) != -1) {
        switch (opt) {
        case O_ALL:
            rc = cli_set_target(c, &t, T_ALL, NULL, "--all");
            break;
        case O_USER:
            rc = cli_set_target(c, &t, T_USER, optarg, "--user");
            break;
        case O_CONNECTION:
            rc = cli_set_target(c, &t, T_CONNECTION, optarg, "--connection");
            break;
        case O_GROUP:
            rc = cli_set_target(c, &t, T_GROUP, optarg, "--group");
            break;
        case O_FILTER:
            so.filter = optarg;
            break;
        case O_EXCLUDE:
            excluded[so.n_excluded++] = optarg;
            break;
        case O_TTL:
            rc = cli_parse_uint(c, "--ttl", optarg, 0, 2147483647, &ttl);
            break;
        case O_TEXT:
            rc = set_body(c, &b, B_TEXT, optarg, "--text");
            break;
        case O_JSON:
            rc = set_body(c, &b, B_JSON, optarg, "--json");
            break;
        case O_BINARY:
            rc = set_body(c, &b, B_BINARY, optarg, "--binary");
            break;
        default:
            rc = cli_common_option(c, opt, argv, send_help);
            break;
        }
    }
    if (rc >= 0 || (rc = cli_no_more_args(c, argc, argv, optind)) >= 0 ||
        (rc = check_send(c, &t, so.filter, so.n_excluded)) >= 0 ||
        (b.kind == B_JSON && (rc = check_json(c, b.value)) >= 0))
        goto done;
    so.excluded = so.n_excluded > 0 ? excluded : NULL;
    so.ttl_seconds = (unsigned)ttl;

    if (b.kind == B_TEXT || b.kind == B_JSON) {
        type = b.kind == B_TEXT ? AWPS_DATA_TEXT : AWPS_DATA_JSON;
        data = b.value;
        len = strlen(b.value);
    } else {
        if ((rc = cli_read_input(c, b.value, &input, &len)) >= 0)
            goto done;
        type = AWPS_DATA_BINARY;
        data = input;
    }
    if ((s = cli_connect(c, &rc)) == NULL)
        goto done;

    memset(&err, 0, sizeof err);
    switch (t.kind) {
    case T_USER:
        rc = awps_service_send_to_user(s, t.id, type, data, len, &so, &err);
        break;
    case T_CONNECTION:
        rc = awps_service_send_to_connection(s, t.id, type, data, len, &so, &err);
        break;
    case T_GROUP:
        rc = awps_service_send_to_group(s, t.id, type, data, len, &so, &err);
        break;
    default:
        rc = awps_service_send_to_all(s, type, data, len, &so, &err);
        break;
    }
    rc = rc == AWPS_OK ? CLI_OK : cli_service_error(c, rc, &err);
done:
    awps_service_free(s);
    free(input);
    free(excluded);
    return rc;
}
