/* awps-emulator: the registry (emu-hub.c) — connections, groups, roles,
 * sends and closes — driven directly, and under concurrent use. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu-testutil.h"

/* ---- registry ---- */

START_TEST(conn_ids_random_and_well_formed)
{
    emu_conn *a = CONN("u", NULL), *b = CONN(NULL, NULL);
    ck_assert_uint_eq(strlen(a->id), EMU_ID_LEN);
    ck_assert_uint_eq(strspn(a->id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                    "0123456789_-"), EMU_ID_LEN);
    ck_assert_str_ne(a->id, b->id);
    ck_assert_ptr_null(b->user);
    emu_conn *g = emu_hub_get(&H, a->id);
    ck_assert_ptr_eq(g, a);
    emu_conn_unref(g);
    ck_assert_ptr_null(emu_hub_get(&H, "nope"));
}
END_TEST

START_TEST(hub_remove_idempotent)
{
    emu_conn *a = CONN("u", "g", NULL);
    ck_assert(emu_hub_user_exists(&H, "u"));
    ck_assert(emu_hub_group_exists(&H, "g"));
    emu_hub_remove(a);
    emu_hub_remove(a);
    ck_assert(!emu_hub_user_exists(&H, "u"));
    ck_assert(!emu_hub_group_exists(&H, "g"));
    ck_assert_ptr_null(emu_hub_get(&H, a->id));
    ck_assert_int_eq(emu_group_join(a, "g"), -1);
}
END_TEST

START_TEST(group_names_case_sensitive_and_bounded)
{
    emu_conn *a = CONN("u", NULL);
    char name[EMU_MAX_NAME + 2];
    ck_assert_int_eq(emu_group_join(a, "G"), 0);
    ck_assert_int_eq(emu_group_join(a, "G"), 0);
    ck_assert_uint_eq(a->n_groups, 1);
    ck_assert(!emu_hub_group_exists(&H, "g"));
    memset(name, 'x', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    ck_assert_int_eq(emu_group_join(a, name), -2);
    name[EMU_MAX_NAME] = '\0';
    ck_assert_int_eq(emu_group_join(a, name), 0);
    ck_assert_int_eq(emu_group_join(a, ""), -2);
    ck_assert_int_eq(emu_group_leave(a, "G"), 0);
    ck_assert_int_eq(emu_group_leave(a, "G"), 0);
    ck_assert_uint_eq(a->n_groups, 1);
}
END_TEST

START_TEST(group_limit_per_connection)
{
    emu_conn *a = CONN("u", NULL);
    char g[32];
    for (int i = 0; i < 1024; i++) {
        snprintf(g, sizeof g, "g%d", i);
        ck_assert_int_eq(emu_group_join(a, g), 0);
    }
    ck_assert_int_eq(emu_group_join(a, "one-more"), -2);
    ck_assert_uint_eq(REQ("PUT", HUB "/groups/one-more/connections/" "x" API), 404);
    ck_assert_uint_eq(REQ("PUT", U(HUB "/groups/one-more/connections/%s" API, a->id)), 400);
    error_is(400, "Error.BadRequest");
}
END_TEST

START_TEST(roles_grant_permissions)
{
    emu_conn *c = conn_unregistered("u");
    char *roles[] = {"webpubsub.sendToGroup.a", "webpubsub.JOINLEAVEGROUP"};
    ck_assert_int_eq(emu_hub_add(c, roles, 2, NULL, 0), 0);
    ck_assert(emu_conn_can(c, "sendToGroup", "a"));
    ck_assert(emu_conn_can(c, "SENDTOGROUP", "a"));
    ck_assert(!emu_conn_can(c, "sendToGroup", "A"));
    ck_assert(!emu_conn_can(c, "sendToGroup", NULL));
    ck_assert(emu_conn_can(c, "joinLeaveGroup", "anything"));
    ck_assert(emu_conn_can(c, "joinleavegroup", NULL));
    ck_assert(!emu_conn_can(c, "other", "a"));
    ck_assert_int_eq(emu_perm_grant(c, "nope", NULL), -1);
}
END_TEST

START_TEST(revoke_semantics)
{
    emu_conn *c = CONN("u", NULL);
    ck_assert_int_eq(emu_perm_grant(c, "sendToGroup", NULL), 0);
    ck_assert_int_eq(emu_perm_grant(c, "sendToGroup", "a"), 0);
    ck_assert_int_eq(emu_perm_grant(c, "sendToGroup", "a"), 0);
    ck_assert_uint_eq(c->n_roles, 2);
    /* revoking one group keeps the every-group role */
    ck_assert_int_eq(emu_perm_revoke(c, "sendToGroup", "a"), 0);
    ck_assert(emu_conn_can(c, "sendToGroup", "a"));
    ck_assert_uint_eq(c->n_roles, 1);
    /* without a group: every role of that permission goes */
    ck_assert_int_eq(emu_perm_grant(c, "sendToGroup", "b"), 0);
    ck_assert_int_eq(emu_perm_grant(c, "joinLeaveGroup", "b"), 0);
    ck_assert_int_eq(emu_perm_revoke(c, "SendToGroup", NULL), 0);
    ck_assert(!emu_conn_can(c, "sendToGroup", "b"));
    ck_assert(emu_conn_can(c, "joinLeaveGroup", "b"));
}
END_TEST

START_TEST(members_sorted_and_send_count)
{
    emu_conn *a = CONN("u1", "g", NULL), *b = CONN(NULL, "g", NULL);
    CONN("u3", NULL);
    emu_member *m;
    size_t n = emu_group_members(&H, "g", &m);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_lt(strcmp(m[0].connection_id, m[1].connection_id), 0);
    for (size_t i = 0; i < 2; i++) {
        int is_a = !strcmp(m[i].connection_id, a->id);
        ck_assert(is_a || !strcmp(m[i].connection_id, b->id));
        if (is_a)
            ck_assert_str_eq(m[i].user, "u1");
        else
            ck_assert_ptr_null(m[i].user);
    }
    emu_members_free(m, n);
    emu_msg msg = {EMU_TEXT, "x", 1, NULL, NULL};
    emu_target t = {.group = "g"};
    ck_assert_uint_eq(emu_send(&H, &t, &msg), 2);
    emu_target none = {.user = "nobody"};
    ck_assert_uint_eq(emu_send(&H, &none, &msg), 0);
}
END_TEST

START_TEST(add_copies_and_skips_bad_groups)
{
    emu_conn *c = conn_unregistered(NULL);
    char big[EMU_MAX_NAME + 2], *groups[] = {"a", "", big, "a", "b"};
    char *roles[] = {"webpubsub.sendToGroup"};
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ck_assert_int_eq(emu_hub_add(c, roles, 1, groups, 5), 0);
    ck_assert_uint_eq(c->n_groups, 2);
    ck_assert_ptr_ne(c->groups[0], groups[0]);   /* copied */
    ck_assert_int_eq(c->registered, 1);
    ck_assert(emu_conn_can(c, "sendToGroup", "any"));
    ck_assert_int_eq(emu_hub_add(c, NULL, 0, NULL, 0), 0);   /* again: no second entry */
    emu_hub_remove(c);
    ck_assert_ptr_null(emu_hub_get(&H, c->id));
}
END_TEST

START_TEST(close_unregisters_targets_only)
{
    emu_conn *a = CONN("u1", "g", NULL), *b = CONN("u2", "g", NULL), *c = CONN("u1", NULL);
    char *ex[] = {c->id};
    emu_target t = {.user = "u1", .excluded = ex, .n_excluded = 1};
    ck_assert_uint_eq(emu_close(&H, &t, EMU_CLOSE_POLICY, "why"), 1);
    ck_assert_int_eq(rec_of(a)->closed, 1);
    ck_assert_uint_eq(rec_of(a)->code, EMU_CLOSE_POLICY);
    ck_assert_str_eq(rec_of(a)->reason, "why");
    ck_assert_int_eq(a->registered, 0);
    ck_assert_uint_eq(a->n_groups, 0);
    ck_assert_int_eq(rec_of(b)->closed + rec_of(c)->closed, 0);
    ck_assert_uint_eq(emu_close(&H, &t, EMU_CLOSE_NORMAL, "again"), 0);
    ck_assert_int_eq(rec_of(a)->closed, 1);
}
END_TEST

START_TEST(send_target_combinations)
{
    emu_conn *a = CONN("u1", "g", NULL), *b = CONN("u1", NULL), *c = CONN("u2", "g", NULL);
    emu_msg m = {EMU_TEXT, "x", 1, NULL, NULL};
    emu_target user_in_group = {.user = "u1", .group = "g"};
    ck_assert_uint_eq(emu_send(&H, &user_in_group, &m), 1);
    emu_target no_echo = {.group = "g", .no_echo = a};
    ck_assert_uint_eq(emu_send(&H, &no_echo, &m), 1);
    emu_target one = {.connection = b->id};
    ck_assert_uint_eq(emu_send(&H, &one, &m), 1);
    ck_assert_uint_eq(frames(a), 1);
    ck_assert_uint_eq(frames(b), 1);
    ck_assert_uint_eq(frames(c), 1);
}
END_TEST

/* A json.webpubsub client of either kind, in group "g", recording into r. */
static emu_conn *json_client(const char *user, const char *subprotocol, rec *r)
{
    char *groups[] = {"g"};
    emu_conn *c = emu_conn_new(&H, user, EMU_PROTO_JSON, subprotocol, &rec_ops, r);

    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(emu_client_init(c), 0);
    ck_assert_int_eq(emu_hub_add(c, NULL, 0, groups, 1), 0);
    return c;
}

/* One message to many json clients: the frame is built once; reliable
 * clients get it with a sequenceId of their own, numbered per client. */
START_TEST(broadcast_frames_and_sequence_ids)
{
    rec r[3];
    emu_conn *c[3];
    emu_target group = {.group = "g"};
    emu_msg m1 = {EMU_JSON, "{\"x\":[1,2]}", 11, "g", "u"};
    emu_msg m2 = {EMU_TEXT, "hi", 2, "g", NULL};

    memset(r, 0, sizeof r);
    c[0] = json_client("a", "json.webpubsub.azure.v1", &r[0]);
    c[1] = json_client("b", "json.reliable.webpubsub.azure.v1", &r[1]);
    c[2] = json_client("c", "json.reliable.webpubsub.azure.v1", &r[2]);
    ck_assert_uint_eq(emu_send(&H, &group, &m1), 3);
    ck_assert_uint_eq(emu_send(&H, &group, &m2), 3);
    ck_assert_uint_eq(emu_deliver(c[2], &m2), 0);  /* c alone: its sequence goes on */
    ck_assert_str_eq(r[0].data[0], "{\"type\":\"message\",\"from\":\"group\",\"group\":\"g\","
                                   "\"fromUserId\":\"u\",\"dataType\":\"json\",\"data\":{\"x\":[1,2]}}");
    ck_assert_str_eq(r[0].data[1], "{\"type\":\"message\",\"from\":\"group\",\"group\":\"g\","
                                   "\"dataType\":\"text\",\"data\":\"hi\"}");
    for (int i = 1; i < 3; i++) {
        ck_assert_uint_eq(r[i].n, i == 1 ? 2 : 3);
        for (size_t f = 0; f < r[i].n; f++) {
            json_t *o = json_loads(r[i].data[f], 0, NULL);
            ck_assert_ptr_nonnull(o);
            ck_assert_int_eq(json_integer_value(json_object_get(o, "sequenceId")),
                             (json_int_t)f + 1);
            /* the rest is the plain client's frame */
            json_object_del(o, "sequenceId");
            json_t *plain = json_loads(r[0].data[f < 2 ? f : 1], 0, NULL);
            ck_assert(json_equal(o, plain));
            json_decref(plain);
            json_decref(o);
        }
    }
    for (int i = 0; i < 3; i++) {
        emu_hub_remove(c[i]);
        emu_conn_unref(c[i]);
        for (size_t f = 0; f < r[i].n; f++)
            free(r[i].data[f]);
    }
}
END_TEST

START_TEST(groups_apply_and_user_groups)
{
    emu_conn *a = CONN("u1", NULL), *b = CONN("u2", "x", NULL), *c = CONN(NULL, NULL);
    char *gs[] = {"g1", "g2"};
    emu_target all = {0}, not_a = {.excluded = (char *[]){a->id}, .n_excluded = 1};
    ck_assert_uint_eq(emu_groups_apply(&H, &all, gs, 2, 1), 3);
    ck_assert_uint_eq(a->n_groups + b->n_groups + c->n_groups, 7);
    ck_assert_uint_eq(emu_groups_apply(&H, &not_a, gs, 1, 0), 2);
    ck_assert_uint_eq(a->n_groups, 2);
    ck_assert_uint_eq(c->n_groups, 1);
    ck_assert_uint_eq(emu_user_groups(&H, "u2", NULL, 0), 1);   /* all groups */
    ck_assert_uint_eq(b->n_groups, 0);
    ck_assert_uint_eq(emu_user_groups(&H, "u1", "g3", 1), 1);
    ck_assert_uint_eq(emu_user_groups(&H, "nobody", "g3", 1), 0);
    ck_assert_uint_eq(emu_user_groups(&H, "u1", NULL, 1), 0);   /* join needs a group */
    ck_assert_uint_eq(a->n_groups, 3);
    ck_assert_int_eq(emu_group_leave(a, NULL), 0);
    ck_assert_uint_eq(a->n_groups, 0);
}
END_TEST

START_TEST(destroy_drops_registered)
{
    /* a connection only the registry holds: emu_hub_destroy frees it */
    emu_conn *c = emu_conn_new(&H, "u", EMU_PROTO_PLAIN, NULL, &rec_ops, NULL);
    ck_assert_int_eq(emu_hub_add(c, NULL, 0, (char *[]){"g"}, 1), 0);
    emu_conn_unref(c);
    ck_assert(emu_hub_group_exists(&H, "g"));
}
END_TEST

/* ---- concurrency: every registry call from several threads at once ---- */

typedef struct counter {
    atomic_uint sent, closed;
} counter;

static int count_send(emu_conn *c, int text, const void *data, size_t len)
{
    (void)text; (void)data; (void)len;
    atomic_fetch_add(&((counter *)c->io)->sent, 1);
    return 0;
}

static void count_close(emu_conn *c, unsigned code, const char *reason)
{
    (void)code; (void)reason;
    atomic_fetch_add(&((counter *)c->io)->closed, 1);
}

static void count_release(emu_conn *c)
{
    free(c->io);
}

static const emu_conn_ops count_ops = {.send = count_send, .close = count_close,
                                       .release = count_release};

#define ROUNDS 300

static void *churn(void *arg)
{
    const char *user = arg;
    for (int i = 0; i < ROUNDS; i++) {
        emu_conn *c = emu_conn_new(&H, user, EMU_PROTO_PLAIN, NULL, &count_ops,
                                   calloc(1, sizeof(counter)));
        ck_assert_ptr_nonnull(c);
        ck_assert_int_eq(emu_hub_add(c, (char *[]){"webpubsub.sendToGroup"}, 1,
                                     (char *[]){"g"}, 1), 0);
        emu_group_join(c, i % 2 ? "odd" : "even");
        emu_perm_grant(c, "joinLeaveGroup", "g");
        (void)emu_conn_can(c, "sendToGroup", "g");
        emu_perm_revoke(c, "joinLeaveGroup", NULL);
        if (i % 3)
            emu_hub_remove(c);
        emu_conn_unref(c);   /* the third ones stay registered until closed */
    }
    return NULL;
}

static void *traffic(void *arg)
{
    emu_msg m = {EMU_TEXT, "t", 1, NULL, NULL};
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        emu_target g = {.group = i % 2 ? "odd" : "g"}, all = {0}, victims = {.user = "victim"};
        emu_member *mem;
        size_t n;
        emu_send(&H, i % 4 ? &g : &all, &m);
        emu_groups_apply(&H, &all, (char *[]){"extra"}, 1, i % 2);
        emu_user_groups(&H, "victim", "vg", 1);
        n = emu_group_members(&H, "g", &mem);
        if (n) {
            emu_conn *c = emu_hub_get(&H, mem[0].connection_id);
            emu_conn_unref(c);
        }
        emu_members_free(mem, n);
        (void)emu_hub_group_exists(&H, "even");
        (void)emu_hub_user_exists(&H, "victim");
        if (i % 10 == 0)
            emu_close(&H, &victims, EMU_CLOSE_NORMAL, "bye");
    }
    return NULL;
}

START_TEST(concurrent_registry_use)
{
    pthread_t t[4];
    emu_target all = {0};
    ck_assert_int_eq(pthread_create(&t[0], NULL, churn, "victim"), 0);
    ck_assert_int_eq(pthread_create(&t[1], NULL, churn, "other"), 0);
    ck_assert_int_eq(pthread_create(&t[2], NULL, traffic, NULL), 0);
    ck_assert_int_eq(pthread_create(&t[3], NULL, traffic, NULL), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    emu_close(&H, &all, EMU_CLOSE_GOING_AWAY, "end");   /* frees the rest */
    ck_assert(!emu_hub_group_exists(&H, "g"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("emu_hub");
    const TTest *tr[] = {
        conn_ids_random_and_well_formed, hub_remove_idempotent,
        group_names_case_sensitive_and_bounded, group_limit_per_connection,
        roles_grant_permissions, revoke_semantics, members_sorted_and_send_count,
        add_copies_and_skips_bad_groups, close_unregisters_targets_only, send_target_combinations,
        broadcast_frames_and_sequence_ids,
        groups_apply_and_user_groups, destroy_drops_registered, NULL};
    emt_add_case(s, "registry", tr);
    const TTest *tc[] = {concurrent_registry_use, NULL};
    emt_add_case(s, "concurrency", tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
