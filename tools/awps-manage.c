/* awps — the commands that manage connections: group, groups, leave-all,
 * close, exists, permission, list-connections. */
#include <stdlib.h>
#include <string.h>

#include "awps-cli.h"

/* The options of the commands that take only the global ones. */
static const struct option global_only[] = {
    CLI_GLOBAL_OPTIONS,
    { NULL, 0, NULL, 0 }
};

/* Parses only the global options; returns -1 to go on or an exit status. */
static int parse_global_only(struct cli *c, int argc, char **argv, const char *help)
{
    int opt, rc = -1;

    while (rc < 0 && (opt = getopt_long(argc, argv, CLI_SHORT, global_only, NULL)) != -1)
        rc = cli_common_option(c, opt, argv, help);
    return rc;
}

/* Usage error unless `value` (an operand named `what`) is non-empty. */
static int need_value(const struct cli *c, const char *what, const char *value)
{
    if (*value == '\0')
        return cli_usage(c, "%s must not be empty", what);
    return -1;
}

/* Prints "true" or "false" and returns the exit status 0 or 1. */
static int print_bool(int yes)
{
    puts(yes ? "true" : "false");
    return yes ? CLI_OK : CLI_FALSE;
}

/* ---- group ------------------------------------------------------------- */

static const char group_help[] =
    "usage: awps group (add-user | remove-user | add-connection | remove-connection)\n"
    "                  GROUP ID\n"
    "\n"
    "Adds a user or a connection to GROUP, or removes it. A user added to a\n"
    "group stays in it on every connection, present and future.\n"
    GLOBAL_HELP;

int cmd_group(struct cli *c, int argc, char **argv)
{
    static const char *const actions[] = {
        "add-user", "remove-user", "add-connection", "remove-connection"
    };
    awps_service_error err;
    awps_service *s;
    const char *group, *id;
    size_t a;
    int rc;

    if ((rc = parse_global_only(c, argc, argv, group_help)) >= 0)
        return rc;
    if (argc - optind < 3)
        return cli_usage(c, argc - optind == 0 ? "no action" :
                            argc - optind == 1 ? "no GROUP" : "no ID");
    for (a = 0; a < 4 && strcmp(argv[optind], actions[a]) != 0; a++)
        ;
    if (a == 4)
        return cli_usage(c, "unknown action '%s'", argv[optind]);
    group = argv[optind + 1];
    id = argv[optind + 2];
    if ((rc = cli_no_more_args(c, argc, argv, optind + 3)) >= 0 ||
        (rc = need_value(c, "GROUP", group)) >= 0 || (rc = need_value(c, "ID", id)) >= 0)
        return rc;
    if ((s = cli_connect(c, &rc)) == NULL)
        return rc;
    memset(&err, 0, sizeof err);
    switch (a) {
    case 0:
        rc = awps_service_add_user_to_group(s, group, id, &err);
        break;
    case 1:
        rc = awps_service_remove_user_from_group(s, group, id, &err);
        break;
    case 2:
        rc = awps_service_add_connection_to_group(s, group, id, &err);
        break;
    default:
        rc = awps_service_remove_connection_from_group(s, group, id, &err);
        break;
    }
    rc = rc == AWPS_OK ? CLI_OK : cli_service_error(c, rc, &err);
    awps_service_free(s);
    return rc;
}

/* ---- groups ------------------------------------------------------------ */

static const char groups_help[] =
    "usage: awps groups (add | remove) --filter EXPR GROUP...\n"
    "\n"
    "Adds every connection that matches the OData filter EXPR to each GROUP, or\n"
    "removes them from each GROUP, e.g.\n"
    "  awps groups add --filter \"userId eq 'bob'\" news sport\n"
    "\n"
    "  --filter EXPR   which connections (required)\n"
    GLOBAL_HELP;

int cmd_groups(struct cli *c, int argc, char **argv)
{
    enum { O_FILTER = OPT_CMD };
    static const struct option opts[] = {
        CLI_GLOBAL_OPTIONS,
        { "filter", required_argument, NULL, O_FILTER },
        { NULL, 0, NULL, 0 }
    };
    awps_service_error err;
    awps_service *s;
    const char *filter = NULL;
    int opt, add, n, rc = -1;

    while (rc < 0 && (opt = getopt_long(argc, argv, CLI_SHORT, opts, NULL)) != -1)
        rc = opt == O_FILTER ? (filter = optarg, -1) : cli_common_option(c, opt, argv, groups_help);
    if (rc >= 0)
        return rc;
    if (optind >= argc)
        return cli_usage(c, "no action: add or remove");
    if (strcmp(argv[optind], "add") != 0 && strcmp(argv[optind], "remove") != 0)
        return cli_usage(c, "unknown action '%s'", argv[optind]);
    add = strcmp(argv[optind], "add") == 0;
    if ((n = argc - optind - 1) == 0)
        return cli_usage(c, "no GROUP");
    if (filter == NULL)
        return cli_usage(c, "--filter is required");
    for (int i = optind + 1; i < argc; i++)
        if ((rc = need_value(c, "GROUP", argv[i])) >= 0)
            return rc;
    if ((s = cli_connect(c, &rc)) == NULL)
        return rc;
    memset(&err, 0, sizeof err);
    if (add)
        rc = awps_service_add_connections_to_groups(s, (const char *const *)argv + optind + 1,
                                                    (size_t)n, filter, &err);
    else
        rc = awps_service_remove_connections_from_groups(
            s, (const char *const *)argv + optind + 1, (size_t)n, filter, &err);
    rc = rc == AWPS_OK ? CLI_OK : cli_service_error(c, rc, &err);
    awps_service_free(s);
    return rc;
}

/* ---- target parsing shared by leave-all, close and exists -------------- */

enum { O_ALL = OPT_CMD, O_USER, O_CONNECTION, O_GROUP, O_REASON, O_EXCLUDE, O_TOP,
       O_PAGE_SIZE };

/* Handles a target option; any other option goes to cli_common_option. */
static int target_option(struct cli *c, struct target *t, int opt, char **argv,
                         const char *help)
{
    switch (opt) {
    case O_ALL:
        return cli_set_target(c, t, T_ALL, NULL, "--all");
    case O_USER:
        return cli_set_target(c, t, T_USER, optarg, "--user");
    case O_CONNECTION:
        return cli_set_target(c, t, T_CONNECTION, optarg, "--connection");
    case O_GROUP:
        return cli_set_target(c, t, T_GROUP, optarg, "--group");
    default:
        return cli_common_option(c, opt, argv, help);
    }
}

/* ---- leave-all --------------------------------------------------------- */

static const char leave_all_help[] =
    "usage: awps leave-all (--user ID | --connection ID)\n"
    "\n"
    "Removes a user (on all its connections) or a connection from every group.\n"
    "\n"
    "  --user ID          the user\n"
    "  --connection ID    the connection\n"
    GLOBAL_HELP;

int cmd_leave_all(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_GLOBAL_OPTIONS,
        { "user", required_argument, NULL, O_USER },
        { "connection", required_argument, NULL, O_CONNECTION },
        { NULL, 0, NULL, 0 }
    };
    struct target t = { T_NONE, NULL, NULL };
    awps_service_error err;
    awps_service *s;
    int opt, rc = -1;

    while (rc < 0 && (opt = getopt_long(argc, argv, CLI_SHORT, opts, NULL)) != -1)
        rc = target_option(c, &t, opt, argv, leave_all_help);
    if (rc >= 0 || (rc = cli_no_more_args(c, argc, argv, optind)) >= 0)
        return rc;
    if (t.kind == T_NONE)
        return cli_usage(c, "no target: give --user or --connection");
    if ((s = cli_connect(c, &rc)) == NULL)
        return rc;
    memset(&err, 0, sizeof err);
    if (t.kind == T_USER)
        rc = awps_service_remove_user_from_all_groups(s, t.id, &err);
    else
        rc = awps_service_remove_connection_from_all_groups(s, t.id, &err);
    rc = rc == AWPS_OK ? CLI_OK : cli_service_error(c, rc, &err);
    awps_service_free(s);
    return rc;
}

/* ---- close ------------------------------------------------------------- */

static const char close_help[] =
    "usage: awps close (--all | --user ID | --connection ID | --group NAME)\n"
    "                  [--reason TEXT] [--exclude CONNECTION]...\n"
    "\n"
    "Closes connections: all of the hub, all of a user, one, or all in a group.\n"
    "\n"
    "  --reason TEXT      the reason the clients are told\n"
    "  --exclude ID       keep this connection open; repeatable (not with\n"
    "                     --connection)\n"
    GLOBAL_HELP;

int cmd_close(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_GLOBAL_OPTIONS,
        { "all", no_argument, NULL, O_ALL },
        { "user", required_argument, NULL, O_USER },
        { "connection", required_argument, NULL, O_CONNECTION },
        { "group", required_argument, NULL, O_GROUP },
        { "reason", required_argument, NULL, O_REASON },
        { "exclude", required_argument, NULL, O_EXCLUDE },
        { NULL, 0, NULL, 0 }
    };
    struct target t = { T_NONE, NULL, NULL };
    awps_close_options co;
    awps_service_error err;
    awps_service *s = NULL;
    const char **excluded;
    int opt, rc = -1;

    memset(&co, 0, sizeof co);
    if ((excluded = calloc((size_t)argc, sizeof *excluded)) == NULL)
        return cli_fail(c, CLI_SERVICE, "out of memory");
    while (rc < 0 && (opt = getopt_long(argc, argv, CLI_SHORT, opts, NULL)) != -1) {
        if (opt == O_REASON)
            co.reason = optarg;
        else if (opt == O_EXCLUDE)
            excluded[co.n_excluded++] = optarg;
        else
            rc = target_option(c, &t, opt, argv, close_help);
    }
    if (rc >= 0 || (rc = cli_no_more_args(c, argc, argv, optind)) >= 0)
        goto done;
    if (t.kind == T_NONE) {
        rc = cli_usage(c, "no target: give --all, --user, --connection or --group");
        goto done;
    }
    if (t.kind == T_CONNECTION && co.n_excluded > 0) {
        rc = cli_usage(c, "--exclude does not apply to --connection");
        goto done;
    }
    co.excluded = co.n_excluded > 0 ? excluded : NULL;
    if ((s = cli_connect(c, &rc)) == NULL)
        goto done;
    memset(&err, 0, sizeof err);
    switch (t.kind) {
    case T_USER:
        rc = awps_service_close_user(s, t.id, &co, &err);
        break;
    case T_CONNECTION:
        rc = awps_service_close_connection(s, t.id, co.reason, &err);
        break;
    case T_GROUP:
        rc = awps_service_close_group(s, t.id, &co, &err);
        break;
    default:
        rc = awps_service_close_all(s, &co, &err);
        break;
    }
    rc = rc == AWPS_OK ? CLI_OK : cli_service_error(c, rc, &err);
done:
    awps_service_free(s);
    free(excluded);
    return rc;
}

/* ---- exists ------------------------------------------------------------ */

static const char exists_help[] =
    "usage: awps exists (--user ID | --connection ID | --group NAME)\n"
    "\n"
    "Prints true and exits 0 when the user has a connection, the connection is\n"
    "open or the group has a connection; prints false and exits 1 otherwise.\n"
    GLOBAL_HELP;

int cmd_exists(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_GLOBAL_OPTIONS,
        { "user", required_argument, NULL, O_USER },
        { "connection", required_argument, NULL, O_CONNECTION },
        { "group", required_argument, NULL, O_GROUP },
        { NULL, 0, NULL, 0 }
    };
    struct target t = { T_NONE, NULL, NULL };
    awps_service_error err;
    awps_service *s;
    int opt, yes = 0, rc = -1;

    while (rc < 0 && (opt = getopt_long(argc, argv, CLI_SHORT, opts, NULL)) != -1)
        rc = target_option(c, &t, opt, argv, exists_help);
    if (rc >= 0 || (rc = cli_no_more_args(c, argc, argv, optind)) >= 0)
        return rc;
    if (t.kind == T_NONE)
        return cli_usage(c, "no target: give --user, --connection or --group");
    if ((s = cli_connect(c, &rc)) == NULL)
        return rc;
    memset(&err, 0, sizeof err);
    if (t.kind == T_USER)
        rc = awps_service_user_exists(s, t.id, &yes, &err);
    else if (t.kind == T_CONNECTION)
        rc = awps_service_connection_exists(s, t.id, &yes, &err);
    else
        rc = awps_service_group_exists(s, t.id, &yes, &err);
    rc = rc == AWPS_OK ? print_bool(yes) : cli_service_error(c, rc, &err);
    awps_service_free(s);
    return rc;
}

/* ---- permission -------------------------------------------------------- */

static const char permission_help[] =
    "usage: awps permission (grant | revoke | check)\n"
    "                       (send-to-group | join-leave-group) CONNECTION\n"
    "                       [--group NAME]\n"
    "\n"
    "Grants or revokes a connection's permission to send to groups or to join and\n"
    "leave groups, or checks it: check prints true (exit 0) or false (exit 1).\n"
    "The permission may also be spelled sendToGroup or joinLeaveGroup.\n"
    "\n"
    "  --group NAME    only for this group (default: all groups)\n"
    GLOBAL_HELP;

int cmd_permission(struct cli *c, int argc, char **argv)
{
    enum { O_TARGET = OPT_CMD };
    static const struct option opts[] = {
        CLI_GLOBAL_OPTIONS,
        { "group", required_argument, NULL, O_TARGET },
        { NULL, 0, NULL, 0 }
    };
    awps_service_error err;
    awps_service *s;
    awps_permission perm;
    const char *action, *name, *conn, *group = NULL;
    int opt, has = 0, rc = -1;

    while (rc < 0 && (opt = getopt_long(argc, argv, CLI_SHORT, opts, NULL)) != -1)
        rc = opt == O_TARGET ? (group = optarg, -1)
                             : cli_common_option(c, opt, argv, permission_help);
    if (rc >= 0)
        return rc;
    if (argc - optind < 3)
        return cli_usage(c, argc - optind == 0 ? "no action: grant, revoke or check" :
                            argc - optind == 1 ? "no permission" : "no CONNECTION");
    action = argv[optind];
    name = argv[optind + 1];
    conn = argv[optind + 2];
    if (strcmp(action, "grant") != 0 && strcmp(action, "revoke") != 0 &&
        strcmp(action, "check") != 0)
        return cli_usage(c, "unknown action '%s'", action);
    if (strcmp(name, "send-to-group") == 0 || strcmp(name, "sendToGroup") == 0)
        perm = AWPS_PERMISSION_SEND_TO_GROUP;
    else if (strcmp(name, "join-leave-group") == 0 || strcmp(name, "joinLeaveGroup") == 0)
        perm = AWPS_PERMISSION_JOIN_LEAVE_GROUP;
    else
        return cli_usage(c, "unknown permission '%s'", name);
    if ((rc = cli_no_more_args(c, argc, argv, optind + 3)) >= 0 ||
        (rc = need_value(c, "CONNECTION", conn)) >= 0 ||
        (group != NULL && (rc = need_value(c, "--group", group)) >= 0))
        return rc;
    if ((s = cli_connect(c, &rc)) == NULL)
        return rc;
    memset(&err, 0, sizeof err);
    if (action[0] == 'g')
        rc = awps_service_grant_permission(s, conn, perm, group, &err);
    else if (action[0] == 'r')
        rc = awps_service_revoke_permission(s, conn, perm, group, &err);
    else
        rc = awps_service_check_permission(s, conn, perm, group, &has, &err);
    if (rc != AWPS_OK)
        rc = cli_service_error(c, rc, &err);
    else
        rc = action[0] == 'c' ? print_bool(has) : CLI_OK;
    awps_service_free(s);
    return rc;
}

/* ---- list-connections -------------------------------------------------- */

static const char list_help[] =
    "usage: awps list-connections GROUP [--top N] [--page-size N]\n"
    "\n"
    "Prints the connections in GROUP, one JSON object per line:\n"
    "{\"connectionId\":\"...\",\"userId\":\"...\"}, with \"userId\":null for an\n"
    "anonymous connection. All pages are fetched.\n"
    "\n"
    "  --top N          at most N connections in all\n"
    "  --page-size N    ask the service for pages of N (it accepts 1-200)\n"
    GLOBAL_HELP;

/* awps_member_cb: one line per member; stops (non-zero) when printing fails. */
static int print_member(void *data, const char *connection_id, const char *user_id)
{
    int *failed = data;
    json_t *o = json_pack("{s:s?,s:s?}", "connectionId", connection_id, "userId", user_id);

    if (o == NULL || json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0 ||
        putchar('\n') == EOF)
        *failed = 1;
    json_decref(o);
    return *failed;
}

int cmd_list_connections(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_GLOBAL_OPTIONS,
        { "top", required_argument, NULL, O_TOP },
        { "page-size", required_argument, NULL, O_PAGE_SIZE },
        { NULL, 0, NULL, 0 }
    };
    awps_service_error err;
    awps_service *s;
    unsigned long top = 0, page = 0;
    const char *group;
    int opt, failed = 0, rc = -1;

    while (rc < 0 && (opt = getopt_long(argc, argv, CLI_SHORT, opts, NULL)) != -1) {
        if (opt == O_TOP)
            rc = cli_parse_uint(c, "--top", optarg, 1, 2147483647, &top);
        else if (opt == O_PAGE_SIZE)
            rc = cli_parse_uint(c, "--page-size", optarg, 1, 2147483647, &page);
        else
            rc = cli_common_option(c, opt, argv, list_help);
    }
    if (rc >= 0)
        return rc;
    if (optind >= argc)
        return cli_usage(c, "no GROUP");
    group = argv[optind];
    if ((rc = cli_no_more_args(c, argc, argv, optind + 1)) >= 0 ||
        (rc = need_value(c, "GROUP", group)) >= 0)
        return rc;
    if ((s = cli_connect(c, &rc)) == NULL)
        return rc;
    memset(&err, 0, sizeof err);
    rc = awps_service_list_connections(s, group, (unsigned)top, (unsigned)page, print_member,
                                       &failed, &err);
    if (rc != AWPS_OK)
        rc = cli_service_error(c, rc, &err);
    else if (failed)
        rc = cli_fail(c, CLI_SERVICE, "cannot print the connections");
    else
        rc = CLI_OK;
    awps_service_free(s);
    return rc;
}
