/* Replies: one terminal call, completion from other threads, hold/release,
 * the timeout, and freeing the handler while a reply is pending. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "testutil.h"

#define WAIT_MS 5000

static tu_request *user_event(const char *name, const char *text)
{
    char type[128];
    strcpy(type, "azure.webpubsub.user.");
    strcat(type, name);
    tu_request *r = tu_cloud_event("hub", type, "conn1", "text/plain", text, strlen(text));
    tu_request_add_header(r, "ce-eventName", name);
    return r;
}

static tu_request *connect_request(void)
{
    static const char body[] = "{\"claims\":{\"sub\":[\"u1\"]}}";
    return tu_cloud_event("hub", "azure.webpubsub.sys.connect", "conn1",
                          "application/json; charset=utf-8", body, sizeof body - 1);
}

/* ---- synchronous replies ---- */

static int second_rc;

static void reply_twice(awps_event *ev, awps_reply *r, void *data)
{
    (void)ev; (void)data;
    ck_assert_int_eq(awps_reply_success_data(r, AWPS_DATA_TEXT, "first", 5), AWPS_OK);
    second_rc = awps_reply_fail(r, 400, "second");
    ck_assert(awps_reply_is_done(r));
    ck_assert_int_eq(awps_reply_set_state_string(r, "k", "v"), AWPS_E_DONE);
    ck_assert_int_eq(awps_reply_success(r), AWPS_E_DONE);
}

START_TEST(double_reply_is_refused)
{
    awps_handler *h = awps_handler_new("hub");
    awps_handler_on_user_event(h, reply_twice, NULL);
    tu_request *req = user_event("x", "hi");
    tu_capture *c = tu_capture_new();
    const tu_response *res;

    ck_assert_int_eq(tu_process(h, req, c, WAIT_MS, &res), AWPS_OK);
    ck_assert_ptr_nonnull(res);
    ck_assert_uint_eq(res->status, 200);
    ck_assert_str_eq(res->body, "first");
    ck_assert_int_eq(second_rc, AWPS_E_DONE);
    usleep(20000);
    ck_assert_uint_eq(tu_capture_calls(c), 1);
    tu_capture_free(c);
    tu_request_free(req);
    awps_handler_free(h);
}
END_TEST

/* ---- asynchronous replies from another thread ---- */

struct later {
    awps_reply *reply;
    unsigned delay_ms;
    int rc, rc_again;
    char conn[64];
};

static void *complete_later(void *arg)
{
    struct later *l = arg;
    usleep(l->delay_ms * 1000);
    /* the event stays readable while the reply is held */
    strncpy(l->conn, awps_event_connection_id(awps_reply_event(l->reply)), sizeof l->conn - 1);
    awps_reply_set_state_string(l->reply, "async", "yes");
    l->rc = awps_reply_success_data(l->reply, AWPS_DATA_TEXT, "later", 5);
    l->rc_again = awps_reply_success_data(l->reply, AWPS_DATA_TEXT, "again", 5);
    awps_reply_release(l->reply);
    return NULL;
}

static pthread_t worker;
static struct later later;

static void hold_and_spawn(awps_event *ev, awps_reply *r, void *data)
{
    (void)ev; (void)data;
    awps_reply_hold(r);
    later.reply = r;
    ck_assert_int_eq(pthread_create(&worker, NULL, complete_later, &later), 0);
}

START_TEST(async_reply_from_thread)
{
    awps_handler *h = awps_handler_new("hub");
    awps_handler_on_user_event(h, hold_and_spawn, NULL);
    tu_request *req = user_event("x", "hi");
    tu_capture *c = tu_capture_new();

    memset(&later, 0, sizeof later);
    later.delay_ms = 100;
    ck_assert_int_eq(awps_handler_process(h, tu_request_get(req), tu_capture_respond, c), AWPS_OK);
    /* nothing yet: the worker answers after 100 ms */
    ck_assert_uint_eq(tu_capture_calls(c), 0);
    const tu_response *res = tu_capture_wait(c, WAIT_MS);
    ck_assert_ptr_nonnull(res);
    pthread_join(worker, NULL);
    ck_assert_uint_eq(res->status, 200);
    ck_assert_str_eq(res->body, "later");
    ck_assert_str_eq(res->content_type, "text/plain; charset=utf-8");
    ck_assert_ptr_nonnull(res->connection_state);
    json_t *st = awps__state_decode(res->connection_state);
    ck_assert_str_eq(json_string_value(json_object_get(st, "async")), "yes");
    json_decref(st);
    ck_assert_str_eq(later.conn, "conn1");
    ck_assert_int_eq(later.rc, AWPS_OK);
    ck_assert_int_eq(later.rc_again, AWPS_E_DONE);
    ck_assert_uint_eq(tu_capture_calls(c), 1);
    tu_capture_free(c);
    tu_request_free(req);
    awps_handler_free(h);
}
END_TEST

/* ---- racing completions: exactly one wins ---- */

#define RACERS 8
static atomic_int wins, losses;

static void *race(void *arg)
{
    awps_reply *r = arg;
    int rc = awps_reply_success_data(r, AWPS_DATA_TEXT, "x", 1);
    if (rc == AWPS_OK)
        atomic_fetch_add(&wins, 1);
    else if (rc == AWPS_E_DONE)
        atomic_fetch_add(&losses, 1);
    awps_reply_release(r);
    return NULL;
}

static pthread_t racers[RACERS];

static void spawn_racers(awps_event *ev, awps_reply *r, void *data)
{
    (void)ev; (void)data;
    for (int i = 0; i < RACERS; i++) {
        awps_reply_hold(r);
        ck_assert_int_eq(pthread_create(&racers[i], NULL, race, r), 0);
    }
}

START_TEST(concurrent_completions_one_wins)
{
    awps_handler *h = awps_handler_new("hub");
    awps_handler_on_user_event(h, spawn_racers, NULL);
    tu_request *req = user_event("x", "hi");
    tu_capture *c = tu_capture_new();
    const tu_response *res;

    atomic_store(&wins, 0);
    atomic_store(&losses, 0);
    ck_assert_int_eq(tu_process(h, req, c, WAIT_MS, &res), AWPS_OK);
    for (int i = 0; i < RACERS; i++)
        pthread_join(racers[i], NULL);
    ck_assert_ptr_nonnull(res);
    ck_assert_int_eq(atomic_load(&wins), 1);
    ck_assert_int_eq(atomic_load(&losses), RACERS - 1);
    ck_assert_uint_eq(tu_capture_calls(c), 1);
    tu_capture_free(c);
    tu_request_free(req);
    awps_handler_free(h);
}
END_TEST

/* ---- the timeout ---- */

static awps_reply *kept;

static void keep_without_answer(awps_event *ev, awps_reply *r, void *data)
{
    (void)ev; (void)data;
    awps_reply_hold(r);
    kept = r;
}

START_TEST(timeout_answers_500)
{
    awps_handler *h = awps_handler_new("hub");
    awps_handler_on_connect(h, keep_without_answer, NULL);
    ck_assert_int_eq(awps_handler_set_reply_timeout(h, 150), AWPS_OK);
    tu_request *req = connect_request();
    tu_capture *c = tu_capture_new();
    uint64_t start = awps__now_ms();

    kept = NULL;
    ck_assert_int_eq(awps_handler_process(h, tu_request_get(req), tu_capture_respond, c), AWPS_OK);
    const tu_response *res = tu_capture_wait(c, WAIT_MS);
    ck_assert_ptr_nonnull(res);
    ck_assert_uint_ge(awps__now_ms() - start, 140);
    ck_assert_uint_eq(res->status, 500);
    ck_assert_ptr_nonnull(strstr(res->body, "did not reply"));
    ck_assert_ptr_null(res->connection_state);
    /* completing after the timeout is refused, and safe */
    ck_assert(awps_reply_is_done(kept));
    ck_assert_int_eq(awps_reply_success(kept), AWPS_E_DONE);
    ck_assert_int_eq(awps_reply_set_user_id(kept, "late"), AWPS_E_DONE);
    awps_reply_release(kept);
    ck_assert_uint_eq(tu_capture_calls(c), 1);
    tu_capture_free(c);
    tu_request_free(req);
    awps_handler_free(h);
}
END_TEST

static void ignore(awps_event *ev, awps_reply *r, void *data)
{
    (void)ev; (void)r; (void)data;  /* neither answered nor held */
}

START_TEST(forgotten_replies_time_out_in_order)
{
    awps_handler *h = awps_handler_new("hub");
    awps_handler_on_user_event(h, ignore, NULL);
    awps_handler_set_reply_timeout(h, 100);
    tu_request *req = user_event("x", "hi");
    tu_capture *c[3];

    for (int i = 0; i < 3; i++) {
        c[i] = tu_capture_new();
        ck_assert_int_eq(awps_handler_process(h, tu_request_get(req), tu_capture_respond, c[i]),
                         AWPS_OK);
        usleep(30000);
    }
    for (int i = 0; i < 3; i++) {
        const tu_response *res = tu_capture_wait(c[i], WAIT_MS);
        ck_assert_ptr_nonnull(res);
        ck_assert_uint_eq(res->status, 500);
        /* answered in deadline order: the later ones may not be done yet */
        if (i == 0)
            ck_assert_uint_le(tu_capture_calls(c[2]), 1);
    }
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_eq(tu_capture_calls(c[i]), 1);
        tu_capture_free(c[i]);
    }
    tu_request_free(req);
    awps_handler_free(h);
}
END_TEST

START_TEST(answer_before_timeout_cancels_it)
{
    awps_handler *h = awps_handler_new("hub");
    awps_handler_on_user_event(h, hold_and_spawn, NULL);
    awps_handler_set_reply_timeout(h, 300);
    tu_request *req = user_event("x", "hi");
    tu_capture *c = tu_capture_new();

    memset(&later, 0, sizeof later);
    later.delay_ms = 50;
    ck_assert_int_eq(awps_handler_process(h, tu_request_get(req), tu_capture_respond, c), AWPS_OK);
    const tu_response *res = tu_capture_wait(c, WAIT_MS);
    pthread_join(worker, NULL);
    ck_assert_ptr_nonnull(res);
    ck_assert_uint_eq(res->status, 200);
    usleep(400000);  /* past the timeout: no second answer */
    ck_assert_uint_eq(tu_capture_calls(c), 1);
    tu_capture_free(c);
    tu_request_free(req);
    awps_handler_free(h);
}
END_TEST

/* ---- the handler freed while a reply is pending ---- */

START_TEST(handler_freed_while_pending)
{
    awps_handler *h = awps_handler_new("hub");
    awps_handler_on_user_event(h, hold_and_spawn, NULL);
    tu_request *req = user_event("x", "hi");
    tu_capture *c = tu_capture_new();

    memset(&later, 0, sizeof later);
    later.delay_ms = 100;
    ck_assert_int_eq(awps_handler_process(h, tu_request_get(req), tu_capture_respond, c), AWPS_OK);
    awps_handler_free(h);  /* the pending reply keeps what it needs alive */
    const tu_response *res = tu_capture_wait(c, WAIT_MS);
    pthread_join(worker, NULL);
    ck_assert_ptr_nonnull(res);
    ck_assert_uint_eq(res->status, 200);
    ck_assert_int_eq(later.rc, AWPS_OK);
    tu_capture_free(c);
    tu_request_free(req);
}
END_TEST

START_TEST(handler_freed_then_timeout)
{
    awps_handler *h = awps_handler_new("hub");
    awps_handler_on_user_event(h, ignore, NULL);
    awps_handler_set_reply_timeout(h, 50);
    tu_request *req = user_event("x", "hi");
    tu_capture *c = tu_capture_new();

    ck_assert_int_eq(awps_handler_process(h, tu_request_get(req), tu_capture_respond, c), AWPS_OK);
    awps_handler_free(h);  /* the last reference goes away on the timer thread */
    const tu_response *res = tu_capture_wait(c, WAIT_MS);
    ck_assert_ptr_nonnull(res);
    ck_assert_uint_eq(res->status, 500);
    usleep(50000);  /* let the timer thread finish freeing */
    tu_capture_free(c);
    tu_request_free(req);
}
END_TEST

/* ---- argument checks ---- */

static void bad_arguments(awps_event *ev, awps_reply *r, void *data)
{
    (void)ev; (void)data;
    ck_assert_int_eq(awps_reply_fail(r, 200, "no"), AWPS_E_INVALID);
    ck_assert_int_eq(awps_reply_fail(r, 600, "no"), AWPS_E_INVALID);
    ck_assert_int_eq(awps_reply_fail_mqtt(r, 300, "no"), AWPS_E_INVALID);
    ck_assert_int_eq(awps_reply_set_user_id(r, NULL), AWPS_E_INVALID);
    ck_assert_int_eq(awps_reply_set_user_id(r, "\xff\xfe"), AWPS_E_INVALID);
    ck_assert_int_eq(awps_reply_add_group(r, "\xc0"), AWPS_E_INVALID);
    ck_assert_int_eq(awps_reply_set_state(r, NULL, NULL), AWPS_E_INVALID);
    ck_assert(!awps_reply_is_done(r));
    ck_assert_int_eq(awps_reply_success(r), AWPS_OK);
}

START_TEST(invalid_arguments_leave_reply_usable)
{
    awps_handler *h = awps_handler_new("hub");
    awps_handler_on_connect(h, bad_arguments, NULL);
    tu_request *req = connect_request();
    tu_capture *c = tu_capture_new();
    const tu_response *res;

    ck_assert_int_eq(tu_process(h, req, c, WAIT_MS, &res), AWPS_OK);
    ck_assert_ptr_nonnull(res);
    ck_assert_uint_eq(res->status, 204);
    ck_assert_int_eq(awps_reply_success(NULL), AWPS_E_INVALID);
    awps_reply_hold(NULL);
    awps_reply_release(NULL);
    tu_capture_free(c);
    tu_request_free(req);
    awps_handler_free(h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("reply");
    TCase *tc = tcase_create("reply");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, double_reply_is_refused);
    tcase_add_test(tc, async_reply_from_thread);
    tcase_add_test(tc, concurrent_completions_one_wins);
    tcase_add_test(tc, timeout_answers_500);
    tcase_add_test(tc, forgotten_replies_time_out_in_order);
    tcase_add_test(tc, answer_before_timeout_cancels_it);
    tcase_add_test(tc, handler_freed_while_pending);
    tcase_add_test(tc, handler_freed_then_timeout);
    tcase_add_test(tc, invalid_arguments_leave_reply_usable);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
