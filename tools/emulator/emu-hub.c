/* awps-emulator: the registry of one hub — connections, users, groups,
 * permissions — and the sends and closes over it.
 *
 * The hub keeps its registered connections in an array in registration
 * order (hub->reg), each holding one reference. Groups and roles live on the
 * connections themselves; every lookup is a linear scan, which is plenty for
 * at most EMU_MAX_CONNECTIONS connections. Everything here runs under
 * hub->lock; deliveries and closes are made after it is released, on
 * references taken under it. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "emu.h"

#define MAX_GROUPS_PER_CONN 1024
#define MAX_ROLES_PER_CONN 2048

typedef struct reg {
    emu_conn **conns;
    size_t n, cap;
} reg;

/* ---- connections ---- */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

emu_conn *emu_conn_new(emu_hub *h, const char *user, enum emu_proto proto,
                       const char *subprotocol, const emu_conn_ops *ops, void *io)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    unsigned char rnd[EMU_ID_LEN];
    emu_conn *c;

    if (RAND_bytes(rnd, (int)sizeof rnd) != 1)
        return NULL;
    c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    for (size_t i = 0; i < EMU_ID_LEN; i++)
        c->id[i] = abc[rnd[i] & 63];   /* 256 is a multiple of 64: uniform */
    c->id[EMU_ID_LEN] = '\0';
    atomic_init(&c->refs, 1);
    c->hub = h;
    c->proto = proto;
    c->ops = ops;
    c->io = io;
    c->user = dup_or_null(user);
    c->subprotocol = dup_or_null(subprotocol);
    if ((user && !c->user) || (subprotocol && !c->subprotocol)) {
        free(c->user);
        free(c->subprotocol);
        free(c);
        return NULL;
    }
    return c;
}

emu_conn *emu_conn_ref(emu_conn *c)
{
    if (c)
        atomic_fetch_add(&c->refs, 1);
    return c;
}

void emu_conn_unref(emu_conn *c)
{
    if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    emu_client_free_state(c);
    free(c->user);
    free(c->subprotocol);
    free_strings(c->groups, c->n_groups);
    free_strings(c->roles, c->n_roles);
    free(c->state);
    json_decref(c->claims);
    free(c);
}

/* ---- registry (callers hold h->lock) ---- */

static int valid_name(const char *s)
{
    size_t n = s ? strnlen(s, EMU_MAX_NAME + 1) : 0;
    return n >= 1 && n <= EMU_MAX_NAME;
}

static reg *get_reg(emu_hub *h, int create)
{
    if (!h->reg && create)
        h->reg = calloc(1, sizeof(reg));
    return h->reg;
}

static size_t find_group(const emu_conn *c, const char *g)
{
    for (size_t i = 0; i < c->n_groups; i++)
        if (!strcmp(c->groups[i], g))
            return i;
    return (size_t)-1;
}

/* 0 (also when already a member), -2 invalid name, too many groups or out
 * of memory. */
static int join_locked(emu_conn *c, const char *g)
{
    char **v, *copy;

    if (!valid_name(g))
        return -2;
    if (find_group(c, g) != (size_t)-1)
        return 0;
    if (c->n_groups >= MAX_GROUPS_PER_CONN)
        return -2;
    v = realloc(c->groups, (c->n_groups + 1) * sizeof *v);
    if (!v)
        return -2;
    c->groups = v;
    if (!(copy = strdup(g)))
        return -2;
    v[c->n_groups++] = copy;
    return 0;
}

static void leave_locked(emu_conn *c, const char *g)
{
    size_t i;

    if (!g) {   /* all groups */
        free_strings(c->groups, c->n_groups);
        c->groups = NULL;
        c->n_groups = 0;
        return;
    }
    if ((i = find_group(c, g)) == (size_t)-1)
        return;
    free(c->groups[i]);
    memmove(c->groups + i, c->groups + i + 1, (c->n_groups - i - 1) * sizeof *c->groups);
    c->n_groups--;
}

static int has_role(const emu_conn *c, const char *role)
{
    for (size_t i = 0; i < c->n_roles; i++)
        if (!strcmp(c->roles[i], role))
            return 1;
    return 0;
}

static int add_role_locked(emu_conn *c, const char *role)
{
    char **v, *copy;

    if (has_role(c, role))
        return 0;
    if (c->n_roles >= MAX_ROLES_PER_CONN)
        return -1;
    v = realloc(c->roles, (c->n_roles + 1) * sizeof *v);
    if (!v)
        return -1;
    c->roles = v;
    if (!(copy = strdup(role)))
        return -1;
    v[c->n_roles++] = copy;
    return 0;
}

int emu_hub_init(emu_hub *h)
{
    h->reg = NULL;
    return pthread_mutex_init(&h->lock, NULL) ? -1 : 0;
}

void emu_hub_destroy(emu_hub *h)
{
    reg *r = h->reg;

    if (r) {
        for (size_t i = 0; i < r->n; i++) {
            r->conns[i]->registered = 0;
            emu_conn_unref(r->conns[i]);
        }
        free(r->conns);
        free(r);
        h->reg = NULL;
    }
    pthread_mutex_destroy(&h->lock);
}

/* -1 also when the hub already has EMU_MAX_CONNECTIONS connections. */
int emu_hub_add(emu_conn *c, char *const *roles, size_t n_roles, char *const *groups,
                size_t n_groups)
{
    emu_hub *h = c->hub;
    int rc = 0;
    reg *r;

    pthread_mutex_lock(&h->lock);
    r = get_reg(h, 1);
    if (!r) {
        rc = -1;
        goto out;
    }
    if (!c->registered) {
        if (r->n >= EMU_MAX_CONNECTIONS) {
            rc = -1;
            goto out;
        }
        if (r->n == r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 16;
            emu_conn **v = realloc(r->conns, cap * sizeof *v);
            if (!v) {
                rc = -1;
                goto out;
            }
            r->conns = v;
            r->cap = cap;
        }
    }
    /* roles and groups that are too long or beyond the limits are skipped */
    for (size_t i = 0; i < n_roles; i++)
        if (roles[i] && strnlen(roles[i], EMU_MAX_NAME + 64) < EMU_MAX_NAME + 64)
            (void)add_role_locked(c, roles[i]);
    for (size_t i = 0; i < n_groups; i++)
        (void)join_locked(c, groups[i]);
    if (!c->registered) {
        r->conns[r->n++] = emu_conn_ref(c);
        c->registered = 1;
    }
out:
    pthread_mutex_unlock(&h->lock);
    return rc;
}

void emu_hub_remove(emu_conn *c)
{
    emu_hub *h = c->hub;
    emu_conn *drop = NULL;
    reg *r;

    pthread_mutex_lock(&h->lock);
    r = get_reg(h, 0);
    if (r && c->registered) {
        for (size_t i = 0; i < r->n; i++)
            if (r->conns[i] == c) {
                memmove(r->conns + i, r->conns + i + 1, (r->n - i - 1) * sizeof *r->conns);
                r->n--;
                drop = c;
                break;
            }
        c->registered = 0;
        leave_locked(c, NULL);
    }
    pthread_mutex_unlock(&h->lock);
    emu_conn_unref(drop);
}

emu_conn *emu_hub_get(emu_hub *h, const char *connection_id)
{
    emu_conn *found = NULL;
    reg *r;

    if (!connection_id)
        return NULL;
    pthread_mutex_lock(&h->lock);
    r = get_reg(h, 0);
    for (size_t i = 0; r && i < r->n; i++)
        if (!strcmp(r->conns[i]->id, connection_id)) {
            found = emu_conn_ref(r->conns[i]);
            break;
        }
    pthread_mutex_unlock(&h->lock);
    return found;
}

int emu_hub_user_exists(emu_hub *h, const char *user)
{
    int yes = 0;
    reg *r;

    if (!user)
        return 0;
    pthread_mutex_lock(&h->lock);
    r = get_reg(h, 0);
    for (size_t i = 0; r && i < r->n && !yes; i++)
        yes = r->conns[i]->user && !strcmp(r->conns[i]->user, user);
    pthread_mutex_unlock(&h->lock);
    return yes;
}

int emu_hub_group_exists(emu_hub *h, const char *group)
{
    int yes = 0;
    reg *r;

    if (!group)
        return 0;
    pthread_mutex_lock(&h->lock);
    r = get_reg(h, 0);
    for (size_t i = 0; r && i < r->n && !yes; i++)
        yes = find_group(r->conns[i], group) != (size_t)-1;
    pthread_mutex_unlock(&h->lock);
    return yes;
}

/* Returns -2 (besides the documented 0 and -1) when the group name is
 * invalid (empty or over EMU_MAX_NAME), the connection is already in
 * MAX_GROUPS_PER_CONN groups, or out of memory. */
int emu_group_join(emu_conn *c, const char *group)
{
    int rc;

    pthread_mutex_lock(&c->hub->lock);
    rc = c->registered ? join_locked(c, group) : -1;
    pthread_mutex_unlock(&c->hub->lock);
    return rc;
}

/* group NULL: leave every group. */
int emu_group_leave(emu_conn *c, const char *group)
{
    int rc = -1;

    pthread_mutex_lock(&c->hub->lock);
    if (c->registered) {
        leave_locked(c, group);
        rc = 0;
    }
    pthread_mutex_unlock(&c->hub->lock);
    return rc;
}

/* ---- permissions ---- */

/* The canonical spelling of a permission name, or NULL when unknown. */
static const char *perm_name(const char *perm)
{
    if (perm && !strcasecmp(perm, "sendToGroup"))
        return "sendToGroup";
    if (perm && !strcasecmp(perm, "joinLeaveGroup"))
        return "joinLeaveGroup";
    return NULL;
}

/* Whether role grants perm (canonical) for group (NULL: the group-less
 * role only). The "webpubsub.<perm>" part matches case-insensitively, the
 * group exactly. */
static int role_grants(const char *role, const char *perm, const char *group)
{
    size_t pl = strlen(perm);

    if (strncasecmp(role, "webpubsub.", 10) || strncasecmp(role + 10, perm, pl))
        return 0;
    role += 10 + pl;
    if (!*role)
        return 1;
    return group && role[0] == '.' && !strcmp(role + 1, group);
}

int emu_conn_can(emu_conn *c, const char *perm, const char *group)
{
    const char *p = perm_name(perm);
    int yes = 0;

    if (!p)
        return 0;
    pthread_mutex_lock(&c->hub->lock);
    for (size_t i = 0; i < c->n_roles && !yes; i++)
        yes = role_grants(c->roles[i], p, group);
    pthread_mutex_unlock(&c->hub->lock);
    return yes;
}

/* "webpubsub.<perm>[.<group>]" in a new string, or NULL. */
static char *role_string(const char *perm, const char *group)
{
    size_t n = 10 + strlen(perm) + (group ? 1 + strlen(group) : 0) + 1;
    char *s = malloc(n);

    if (s) {
        strcpy(s, "webpubsub.");
        strcat(s, perm);
        if (group) {
            strcat(s, ".");
            strcat(s, group);
        }
    }
    return s;
}

/* 0, or -1: unknown permission, invalid group name, too many roles, out of
 * memory, or the connection is not registered. */
int emu_perm_grant(emu_conn *c, const char *perm, const char *group)
{
    const char *p = perm_name(perm);
    char *role;
    int rc = -1;

    if (!p || (group && !valid_name(group)) || !(role = role_string(p, group)))
        return -1;
    pthread_mutex_lock(&c->hub->lock);
    if (c->registered)
        rc = add_role_locked(c, role);
    pthread_mutex_unlock(&c->hub->lock);
    free(role);
    return rc;
}

/* With a group: removes the role for exactly that group; a group-less role
 * (every group) is kept, so the connection may still have the permission.
 * Without a group: removes the group-less role and every per-group role of
 * that permission. 0, or -1 for an unknown permission. */
int emu_perm_revoke(emu_conn *c, const char *perm, const char *group)
{
    const char *p = perm_name(perm);
    size_t pl, j = 0;

    if (!p)
        return -1;
    pl = strlen(p);
    pthread_mutex_lock(&c->hub->lock);
    for (size_t i = 0; i < c->n_roles; i++) {
        const char *role = c->roles[i];
        int drop;
        if (group)
            drop = role_grants(role, p, group) && role[10 + pl] == '.';
        else
            drop = !strncasecmp(role, "webpubsub.", 10) && !strncasecmp(role + 10, p, pl) &&
                   (role[10 + pl] == '\0' || role[10 + pl] == '.');
        if (drop)
            free(c->roles[i]);
        else
            c->roles[j++] = c->roles[i];
    }
    c->n_roles = j;
    pthread_mutex_unlock(&c->hub->lock);
    return 0;
}

/* ---- sends and closes ---- */

static int matches(const emu_conn *c, const emu_target *t)
{
    if (t->no_echo && c == t->no_echo)
        return 0;
    if (t->connection && strcmp(c->id, t->connection))
        return 0;
    if (t->user && (!c->user || strcmp(c->user, t->user)))
        return 0;
    if (t->group && find_group(c, t->group) == (size_t)-1)
        return 0;
    for (size_t i = 0; i < t->n_excluded; i++)
        if (t->excluded[i] && !strcmp(c->id, t->excluded[i]))
            return 0;
    if (t->filter) {
        emu_filter_subject s = {c->user, c->id, c->groups, c->n_groups};
        if (!emu_filter_match(t->filter, &s))
            return 0;
    }
    return 1;
}

/* Matching connections, with a reference each, in a new array (*n of
 * them); NULL with *n 0 when none or out of memory. With unregister, they
 * leave the registry too (its references pass to the array). */
static emu_conn **collect(emu_hub *h, const emu_target *t, size_t *n, int unregister)
{
    emu_conn **out = NULL;
    size_t k = 0, j = 0;
    reg *r;

    *n = 0;
    pthread_mutex_lock(&h->lock);
    r = get_reg(h, 0);
    if (r && r->n && (out = malloc(r->n * sizeof *out))) {
        for (size_t i = 0; i < r->n; i++) {
            emu_conn *c = r->conns[i];
            if (!matches(c, t)) {
                r->conns[j++] = c;
                continue;
            }
            if (unregister) {
                c->registered = 0;
                leave_locked(c, NULL);
                out[k++] = c;
            } else {
                r->conns[j++] = c;
                out[k++] = emu_conn_ref(c);
            }
        }
        r->n = j;
    }
    pthread_mutex_unlock(&h->lock);
    if (!k) {
        free(out);
        return NULL;
    }
    *n = k;
    return out;
}

size_t emu_send(emu_hub *h, const emu_target *t, const emu_msg *m)
{
    size_t n, sent = 0;
    emu_conn **v = collect(h, t, &n, 0);
    emu_frame f = {0};  /* built once for every json.webpubsub recipient */

    for (size_t i = 0; i < n; i++) {
        if (emu_deliver_frame(v[i], m, &f) == 0)
            sent++;
        emu_conn_unref(v[i]);
    }
    emu_frame_clear(&f);
    free(v);
    return sent;
}

/* Closed connections leave the registry at once (no more messages, and
 * connectionExists answers 404 right away); a later emu_hub_remove() by the
 * connection's own thread is then a no-op. */
size_t emu_close(emu_hub *h, const emu_target *t, unsigned code, const char *reason)
{
    size_t n;
    emu_conn **v = collect(h, t, &n, 1);

    for (size_t i = 0; i < n; i++) {
        if (v[i]->ops && v[i]->ops->close)
            v[i]->ops->close(v[i], code, reason);
        emu_conn_unref(v[i]);
    }
    free(v);
    return n;
}

size_t emu_groups_apply(emu_hub *h, const emu_target *t, char *const *groups, size_t n,
                        int join)
{
    size_t count = 0;
    reg *r;

    pthread_mutex_lock(&h->lock);
    r = get_reg(h, 0);
    for (size_t i = 0; r && i < r->n; i++) {
        emu_conn *c = r->conns[i];
        if (!matches(c, t))
            continue;
        count++;
        for (size_t g = 0; g < n; g++) {
            if (join)
                (void)join_locked(c, groups[g]);
            else if (groups[g])
                leave_locked(c, groups[g]);
        }
    }
    pthread_mutex_unlock(&h->lock);
    return count;
}

size_t emu_user_groups(emu_hub *h, const char *user, const char *group, int join)
{
    size_t count = 0;
    reg *r;

    if (!user || (join && !group))
        return 0;
    pthread_mutex_lock(&h->lock);
    r = get_reg(h, 0);
    for (size_t i = 0; r && i < r->n; i++) {
        emu_conn *c = r->conns[i];
        if (!c->user || strcmp(c->user, user))
            continue;
        count++;
        if (join)
            (void)join_locked(c, group);
        else
            leave_locked(c, group);
    }
    pthread_mutex_unlock(&h->lock);
    return count;
}

static int member_cmp(const void *a, const void *b)
{
    return strcmp(((const emu_member *)a)->connection_id,
                  ((const emu_member *)b)->connection_id);
}

size_t emu_group_members(emu_hub *h, const char *group, emu_member **out)
{
    emu_member *m = NULL;
    size_t k = 0;
    int oom = 0;
    reg *r;

    *out = NULL;
    if (!group)
        return 0;
    pthread_mutex_lock(&h->lock);
    r = get_reg(h, 0);
    if (r && r->n && (m = calloc(r->n, sizeof *m))) {
        for (size_t i = 0; i < r->n && !oom; i++) {
            emu_conn *c = r->conns[i];
            if (find_group(c, group) == (size_t)-1)
                continue;
            m[k].connection_id = strdup(c->id);
            m[k].user = dup_or_null(c->user);
            oom = !m[k].connection_id || (c->user && !m[k].user);
            k++;
        }
    }
    pthread_mutex_unlock(&h->lock);
    if (oom || !k) {
        emu_members_free(m, k);
        return 0;
    }
    qsort(m, k, sizeof *m, member_cmp);
    *out = m;
    return k;
}

void emu_members_free(emu_member *m, size_t n)
{
    for (size_t i = 0; m && i < n; i++) {
        free(m[i].connection_id);
        free(m[i].user);
    }
    free(m);
}
