/* Dispatch: what is declined, what is answered before the body is read
 * (size cap, no callback), argument checks, error strings. */
#include <check.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "testutil.h"

#define WAIT_MS 5000

static atomic_int calls;

static void count_connect(awps_event *ev, awps_reply *r, void *data)
{
    (void)ev; (void)data;
    atomic_fetch_add(&calls, 1);
    awps_reply_success(r);
}

static void count_user(awps_event *ev, awps_reply *r, void *data)
{
    (void)ev; (void)data;
    atomic_fetch_add(&calls, 1);
    awps_reply_success(r);
}

static int log_count;
static awps_log_level last_level;

static void capture_log(void *data, awps_log_level level, const char *msg)
{
    (void)data;
    ck_assert_ptr_nonnull(msg);
    log_count++;
    last_level = level;
}

START_TEST(body_over_cap_is_413_without_callback)
{
    awps_handler *h = awps_handler_new("hub");
    awps_handler_on_user_event(h, count_user, NULL);
    awps_handler_set_max_body(h, 16);
    char body[17];
    memset(body, 'x', sizeof body);
    tu_request *big = tu_cloud_event("hub", "azure.webpubsub.user.message", "c", "text/plain",
                                     body, 17);
    tu_request *fits = tu_cloud_event("hub", "azure.webpubsub.user.message", "c", "text/plain",
                                      body, 16);
    tu_capture *c1 = tu_capture_new(), *c2 = tu_capture_new();
    const tu_response *res;

    atomic_store(&calls, 0);
    ck_assert_int_eq(tu_process(h, big, c1, WAIT_MS, &res), AWPS_OK);
    ck_assert_uint_eq(res->status, 413);
    ck_assert_ptr_nonnull(strstr(res->body, "limit"));
    ck_assert_int_eq(atomic_load(&calls), 0);
    ck_assert_int_eq(tu_process(h, fits, c2, WAIT_MS, &res), AWPS_OK);
    ck_assert_uint_eq(res->status, 200);
    ck_assert_int_eq(atomic_load(&calls), 1);
    tu_capture_free(c1);
    tu_capture_free(c2);
    tu_request_free(big);
    tu_request_free(fits);
    awps_handler_free(h);
}
END_TEST

static tu_request *post(const char *path, const char *type, const char *hub)
{
    return tu_request_newv("POST", path, "{}", 2, "ce-awpsversion", "1.0", "ce-type", type,
                           "ce-hub", hub, "ce-connectionId", "c", "WebHook-Request-Origin", "o",
                           NULL);
}

/* 1 when the handler declines the request (and never answers it). */
static int declines(awps_handler *h, tu_request *r)
{
    tu_capture *c = tu_capture_new();
    const tu_response *res;
    int rc = tu_process(h, r, c, 50, &res);
    int calls = (int)tu_capture_calls(c);
    tu_capture_free(c);
    tu_request_free(r);
    return rc == AWPS_DECLINED && calls == 0;
}

START_TEST(declined_requests)
{
    awps_handler *h = awps_handler_new("hub");
    const char *path = "/api/webpubsub/hubs/hub/";
    awps_handler_on_connect(h, count_connect, NULL);

    atomic_store(&calls, 0);
    ck_assert(declines(h, post(path, "azure.webpubsub.sys.unknown", "hub")));
    ck_assert(declines(h, post(path, "microsoft.other.event", "hub")));
    ck_assert(declines(h, post(path, "azure.webpubsub.sys.connect", "otherhub")));
    ck_assert(declines(h, post("/elsewhere/", "azure.webpubsub.sys.connect", "hub")));
    ck_assert(declines(h, post("/api/webpubsub/hubs/hubx/", "azure.webpubsub.sys.connect", "hub")));
    ck_assert(declines(h, tu_request_newv("GET", path, NULL, 0, "ce-awpsversion", "1.0", NULL)));
    ck_assert(declines(h, tu_request_newv("POST", path, "{}", 2, "ce-type",
                                          "azure.webpubsub.sys.connect", "ce-hub", "hub",
                                          "WebHook-Request-Origin", "o", NULL)));
    ck_assert(declines(h, tu_request_newv("POST", path, "{}", 2, "ce-awpsversion", "1.0",
                                          "ce-type", "azure.webpubsub.sys.connect", "ce-hub",
                                          "hub", NULL)));
    ck_assert_int_eq(atomic_load(&calls), 0);
    /* the same request with everything in place is taken */
    tu_request *ok = post(path, "azure.webpubsub.sys.connect", "HUB");
    tu_capture *c = tu_capture_new();
    const tu_response *res;
    ck_assert_int_eq(tu_process(h, ok, c, WAIT_MS, &res), AWPS_OK);
    ck_assert_uint_eq(res->status, 204);
    ck_assert_int_eq(atomic_load(&calls), 1);
    tu_capture_free(c);
    tu_request_free(ok);
    awps_handler_free(h);
}
END_TEST

START_TEST(no_callback_answers_without_parsing)
{
    awps_handler *h = awps_handler_new("hub");
    static const char *const types[] = {
        "azure.webpubsub.sys.connect", "azure.webpubsub.user.message",
        "azure.webpubsub.sys.connected", "azure.webpubsub.sys.disconnected",
        "azure.webpubsub.gp.joined", "azure.webpubsub.gp.left"};

    for (size_t i = 0; i < 6; i++) {
        tu_request *r = tu_cloud_event("hub", types[i], "c", "application/json", "{broken", 7);
        tu_capture *c = tu_capture_new();
        const tu_response *res;
        ck_assert_int_eq(tu_process(h, r, c, WAIT_MS, &res), AWPS_OK);
        ck_assert_uint_eq(res->status, 200);
        ck_assert_uint_eq(res->body_len, 0);
        tu_capture_free(c);
        tu_request_free(r);
    }
    awps_handler_free(h);
}
END_TEST

START_TEST(logging_goes_to_callback)
{
    awps_handler *h = awps_handler_new("hub");
    awps_handler_add_key(h, "k");
    awps_handler_set_log(h, capture_log, NULL, AWPS_LOG_DEBUG);
    tu_request *r = tu_cloud_event("hub", "azure.webpubsub.sys.connect", "c", NULL, "{}", 2);
    tu_capture *c = tu_capture_new();
    const tu_response *res;

    log_count = 0;
    ck_assert_int_eq(tu_process(h, r, c, WAIT_MS, &res), AWPS_OK);
    ck_assert_uint_eq(res->status, 401);
    ck_assert_int_eq(log_count, 1);
    ck_assert_int_eq(last_level, AWPS_LOG_WARN);
    /* below the threshold nothing is passed on */
    awps_handler_set_log(h, capture_log, NULL, AWPS_LOG_ERROR);
    tu_capture_free(c);
    c = tu_capture_new();
    ck_assert_int_eq(tu_process(h, r, c, WAIT_MS, &res), AWPS_OK);
    ck_assert_int_eq(log_count, 1);
    tu_capture_free(c);
    tu_request_free(r);
    awps_handler_free(h);
}
END_TEST

START_TEST(argument_checks)
{
    awps_handler *h = awps_handler_new("hub");
    tu_capture *c = tu_capture_new();

    ck_assert_ptr_null(awps_handler_new(NULL));
    ck_assert_ptr_null(awps_handler_new(""));
    ck_assert_int_eq(awps_handler_process(NULL, NULL, NULL, NULL), AWPS_E_INVALID);
    ck_assert_int_eq(awps_handler_process(h, &(awps_http_request){0}, tu_capture_respond, c),
                     AWPS_E_INVALID);
    ck_assert_int_eq(awps_handler_process(h, &(awps_http_request){.method = "POST", .path = "/",
                                                                   .body_len = 3},
                                          tu_capture_respond, c),
                     AWPS_E_INVALID);
    ck_assert_int_eq(awps_handler_set_path(h, "relative"), AWPS_E_INVALID);
    ck_assert_int_eq(awps_handler_set_path(h, "/Custom"), AWPS_OK);
    ck_assert_str_eq(awps_handler_path(h), "/custom/");
    ck_assert_str_eq(awps_handler_hub(h), "hub");
    ck_assert_int_eq(awps_handler_set_reply_timeout(h, 0), AWPS_E_INVALID);
    int x;
    awps_handler_set_data(h, &x);
    ck_assert_ptr_eq(awps_handler_get_data(h), &x);
    ck_assert_uint_eq(tu_capture_calls(c), 0);
    awps_handler_free(NULL);
    tu_capture_free(c);
    awps_handler_free(h);
}
END_TEST

START_TEST(error_strings)
{
    for (int code = 0; code < AWPS_E_LAST_; code++) {
        const char *s = awps_strerror(code);
        ck_assert_ptr_nonnull(s);
        ck_assert_str_ne(s, "unknown error code");
    }
    ck_assert_str_eq(awps_strerror(AWPS_E_LAST_), "unknown error code");
    ck_assert_str_eq(awps_strerror(-42), "unknown error code");
    ck_assert_ptr_nonnull(strstr(awps_strerror(AWPS_DECLINED), "declined"));
    ck_assert_str_eq(awps_version(), PACKAGE_VERSION);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dispatch");
    TCase *tc = tcase_create("dispatch");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, body_over_cap_is_413_without_callback);
    tcase_add_test(tc, declined_requests);
    tcase_add_test(tc, no_callback_answers_without_parsing);
    tcase_add_test(tc, logging_goes_to_callback);
    tcase_add_test(tc, argument_checks);
    tcase_add_test(tc, error_strings);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
