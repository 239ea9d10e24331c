/* ce-signature: the HMAC-SHA256 vectors, header parsing, the key set and its
 * rotation while other threads verify, and the 401 answers of
 * awps_handler_process(). */
#include <check.h>
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "testutil.h"

#define WAIT_MS 5000

/* spec §7 */
#define KEY_A "7aab239577fd4f24bc919802fb629f5f"
#define KEY_C "ccc"
#define CONN "0f9c97a2f0bf4706afe87a14e0797b11"
#define HEX_A "7767effcb3946f3e1de039df4b986ef02c110b1469d02c0a06f41b3b727ab561"
#define HEX_C "5af79c68ab9d1ca0ba30fb07b49043297197c057eac2ceeae544b51fcea112e4"
#define HEX_A_CONN1 "78b6b737c21002f5c01c2af64304674c85d9a838c7d959c549751250f519bf33"
/* HMAC-SHA256("keyB", CONN), computed with Python's hmac */
#define KEY_B "keyB"
#define HEX_B "bc6a37189ad0ff08a6392175bf9a0c5224ffbf68b40f8c97613b5caf74ffa5f9"

/* A connect request for hub "hub"; signature and connection id optional. */
static tu_request *connect_req(const char *conn, const char *signature)
{
    static const char body[] = "{}";
    tu_request *r = tu_request_newv("POST", "/api/webpubsub/hubs/hub/", body, sizeof body - 1,
                                    "WebHook-Request-Origin", "xxx.webpubsub.azure.com",
                                    "Content-Type", "application/json; charset=utf-8",
                                    "ce-awpsversion", "1.0", "ce-specversion", "1.0",
                                    "ce-type", "azure.webpubsub.sys.connect", "ce-id", "1",
                                    "ce-hub", "hub", "ce-eventName", "connect", NULL);
    if (conn)
        tu_request_add_header(r, "ce-connectionId", conn);
    if (signature)
        tu_request_add_header(r, "ce-signature", signature);
    return r;
}

static void quiet(void *data, awps_log_level level, const char *msg)
{
    (void)data; (void)level; (void)msg;
}

static awps_handler *handler(void)
{
    awps_handler *h = awps_handler_new("hub");
    ck_assert_ptr_nonnull(h);
    awps_handler_set_log(h, quiet, NULL, AWPS_LOG_DEBUG);
    return h;
}

static int connect_calls;

static void on_connect(awps_event *ev, awps_reply *r, void *data)
{
    (void)ev; (void)data;
    connect_calls++;
    awps_reply_success(r);
}

/* Process `r` (freed here), check the status and return it. */
static unsigned status_of(awps_handler *h, tu_request *r, char *body_out, size_t body_cap)
{
    tu_capture *c = tu_capture_new();
    const tu_response *res;
    unsigned status;

    ck_assert_int_eq(tu_process(h, r, c, WAIT_MS, &res), AWPS_OK);
    ck_assert_ptr_nonnull(res);
    ck_assert_uint_eq(tu_capture_calls(c), 1);
    status = res->status;
    if (body_out) {
        ck_assert_uint_lt(res->body_len, body_cap);
        memcpy(body_out, res->body, res->body_len + 1);
    }
    if (status == 401) {
        ck_assert_uint_gt(res->body_len, 0);
        ck_assert_ptr_nonnull(res->content_type);
        ck_assert_ptr_null(res->connection_state);
    }
    tu_capture_free(c);
    tu_request_free(r);
    return status;
}

/* ---- HMAC vectors ---- */

START_TEST(compute_spec_vector)
{
    char out[AWPS__SIG_HEX_LEN + 1];
    ck_assert_int_eq(awps__sig_compute(KEY_A, CONN, out), 0);
    ck_assert_str_eq(out, HEX_A);
}
END_TEST

START_TEST(compute_other_vectors)
{
    char out[AWPS__SIG_HEX_LEN + 1];
    ck_assert_int_eq(awps__sig_compute(KEY_C, CONN, out), 0);
    ck_assert_str_eq(out, HEX_C);
    ck_assert_int_eq(awps__sig_compute(KEY_A, "conn1", out), 0);
    ck_assert_str_eq(out, HEX_A_CONN1);
    ck_assert_int_eq(awps__sig_compute(KEY_B, CONN, out), 0);
    ck_assert_str_eq(out, HEX_B);
    /* the empty key of spec §7 (awps__keys never holds one, the HMAC is defined) */
    ck_assert_int_eq(awps__sig_compute("", CONN, out), 0);
    ck_assert_str_eq(out, "1e37452a490c748773fc043ca84b2844a8e495e13187244ee8939ca554c418bb");
}
END_TEST

/* ---- header parsing ---- */

START_TEST(header_single_entry_matches)
{
    ck_assert(awps__sig_header_matches("sha256=" HEX_A, HEX_A));
    ck_assert(!awps__sig_header_matches("sha256=" HEX_A, HEX_C));
}
END_TEST

START_TEST(header_upper_case_hex_accepted)
{
    char header[80] = "sha256=";
    for (size_t i = 0; HEX_A[i]; i++)
        header[7 + i] = (char)toupper((unsigned char)HEX_A[i]);
    header[7 + AWPS__SIG_HEX_LEN] = '\0';
    ck_assert(awps__sig_header_matches(header, HEX_A));
    /* mixed case: every other digit lower-case again */
    for (size_t i = 0; i < AWPS__SIG_HEX_LEN; i += 2)
        header[7 + i] = HEX_A[i];
    ck_assert(strcmp(header + 7, HEX_A) != 0);
    ck_assert(awps__sig_header_matches(header, HEX_A));
}
END_TEST

START_TEST(header_sha256_prefix_case_ignored)
{
    ck_assert(awps__sig_header_matches("SHA256=" HEX_A, HEX_A));
    ck_assert(awps__sig_header_matches("Sha256=" HEX_A, HEX_A));
}
END_TEST

START_TEST(header_multi_entry_csharp_strings)
{
    /* The four strings of the C# test (spec §7). */
    static const char *const ok[] = {
        "sha256=something,sha256=" HEX_A,
        "sha256=something, sha256=" HEX_A,
        "sha256=" HEX_A ", sha256=something",
        "sha256=" HEX_A ",sha256=something",
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        ck_assert_msg(awps__sig_header_matches(ok[i], HEX_A), "rejected: %s", ok[i]);
        ck_assert_msg(!awps__sig_header_matches(ok[i], HEX_C), "accepted for ccc: %s", ok[i]);
    }
    /* the two-key header of spec §7 holds both */
    const char *two = "sha256=" HEX_A ",sha256=" HEX_C;
    ck_assert(awps__sig_header_matches(two, HEX_A));
    ck_assert(awps__sig_header_matches(two, HEX_C));
    ck_assert(!awps__sig_header_matches(two, HEX_B));
    /* spaces and tabs around entries are trimmed */
    ck_assert(awps__sig_header_matches("  sha256=" HEX_A "  ", HEX_A));
    ck_assert(awps__sig_header_matches("sha256=x ,\tsha256=" HEX_C "\t", HEX_C));
}
END_TEST

START_TEST(header_wrong_entries_rejected)
{
    static const char *const bad[] = {
        "sha256=" HEX_C,                          /* another key's signature */
        "sha256=something",
        "sha256=" HEX_A "0",                      /* one hex digit too many */
        HEX_A,                                    /* no prefix */
        "sha1=" HEX_A,
        "sha256:" HEX_A,
        "sha256 =" HEX_A,
        "sha256= " HEX_A,                         /* space inside the entry */
        "sha256=" HEX_A "x",
        "xsha256=" HEX_A,
        "sha256=" HEX_A ";sha256=x",              /* ';' is no separator */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(!awps__sig_header_matches(bad[i], HEX_A), "accepted: %s", bad[i]);
}
END_TEST

START_TEST(header_truncated_hex_rejected)
{
    char header[80];
    strcpy(header, "sha256=" HEX_A);
    for (size_t cut = 7; cut < 7 + AWPS__SIG_HEX_LEN; cut++) {
        header[cut] = '\0';
        ck_assert_msg(!awps__sig_header_matches(header, HEX_A), "accepted %zu chars", cut);
        header[cut] = HEX_A[cut - 7];
    }
    /* a non-hex character in place of a hex digit */
    header[7 + 10] = 'g';
    ck_assert(!awps__sig_header_matches(header, HEX_A));
}
END_TEST

START_TEST(header_empty_and_garbage_rejected)
{
    static const char *const bad[] = {
        "", ",", ",,,", " ", "sha256=", "sha256=,sha256=", "garbage",
        "\x01\x02\xff", "sha256=zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(!awps__sig_header_matches(bad[i], HEX_A), "accepted entry %zu", i);
}
END_TEST

/* ---- the key set ---- */

START_TEST(keys_none_configured_verify_passes)
{
    awps__keys k;
    ck_assert_int_eq(awps__keys_init(&k), 0);
    ck_assert_uint_eq(awps__keys_count(&k), 0);
    ck_assert(awps__keys_verify(&k, CONN, "sha256=" HEX_A));
    ck_assert(awps__keys_verify(&k, CONN, "garbage"));
    ck_assert(awps__keys_verify(&k, CONN, NULL));
    ck_assert(awps__keys_verify(&k, NULL, NULL));
    awps__keys_destroy(&k);
}
END_TEST

START_TEST(keys_any_configured_key_matches)
{
    awps__keys k;
    ck_assert_int_eq(awps__keys_init(&k), 0);
    ck_assert_int_eq(awps__keys_add(&k, KEY_A), AWPS_OK);
    ck_assert_int_eq(awps__keys_add(&k, KEY_C), AWPS_OK);
    ck_assert_uint_eq(awps__keys_count(&k), 2);
    ck_assert(awps__keys_verify(&k, CONN, "sha256=" HEX_A));
    ck_assert(awps__keys_verify(&k, CONN, "sha256=" HEX_C));
    ck_assert(awps__keys_verify(&k, CONN, "sha256=" HEX_B ", sha256=" HEX_C));
    ck_assert(!awps__keys_verify(&k, CONN, "sha256=" HEX_B));
    /* the signature covers the connection id */
    ck_assert(!awps__keys_verify(&k, "conn1", "sha256=" HEX_A));
    ck_assert(awps__keys_verify(&k, "conn1", "sha256=" HEX_A_CONN1));
    /* with keys, a missing header or connection id fails */
    ck_assert(!awps__keys_verify(&k, CONN, NULL));
    ck_assert(!awps__keys_verify(&k, NULL, "sha256=" HEX_A));
    ck_assert(!awps__keys_verify(&k, CONN, ""));
    awps__keys_destroy(&k);
}
END_TEST

START_TEST(keys_add_duplicate_is_noop)
{
    awps__keys k;
    ck_assert_int_eq(awps__keys_init(&k), 0);
    ck_assert_int_eq(awps__keys_add(&k, KEY_A), AWPS_OK);
    ck_assert_int_eq(awps__keys_add(&k, KEY_A), AWPS_OK);
    ck_assert_uint_eq(awps__keys_count(&k), 1);
    ck_assert_int_eq(awps__keys_add(&k, KEY_C), AWPS_OK);
    ck_assert_uint_eq(awps__keys_count(&k), 2);
    /* one copy only: the second remove finds nothing */
    ck_assert_int_eq(awps__keys_remove(&k, KEY_A), AWPS_OK);
    ck_assert_int_eq(awps__keys_remove(&k, KEY_A), AWPS_E_NOT_FOUND);
    ck_assert_uint_eq(awps__keys_count(&k), 1);
    ck_assert(!awps__keys_verify(&k, CONN, "sha256=" HEX_A));
    ck_assert(awps__keys_verify(&k, CONN, "sha256=" HEX_C));
    awps__keys_destroy(&k);
}
END_TEST

START_TEST(keys_remove_unknown_not_found)
{
    awps__keys k;
    ck_assert_int_eq(awps__keys_init(&k), 0);
    ck_assert_int_eq(awps__keys_remove(&k, KEY_A), AWPS_E_NOT_FOUND);
    ck_assert_int_eq(awps__keys_add(&k, KEY_A), AWPS_OK);
    ck_assert_int_eq(awps__keys_remove(&k, KEY_C), AWPS_E_NOT_FOUND);
    ck_assert_int_eq(awps__keys_remove(&k, "7AAB239577FD4F24BC919802FB629F5F"), AWPS_E_NOT_FOUND);
    ck_assert_uint_eq(awps__keys_count(&k), 1);
    ck_assert_int_eq(awps__keys_remove(&k, KEY_A), AWPS_OK);
    ck_assert_uint_eq(awps__keys_count(&k), 0);
    /* back to no keys: everything verifies */
    ck_assert(awps__keys_verify(&k, CONN, NULL));
    awps__keys_destroy(&k);
}
END_TEST

START_TEST(keys_add_null_or_empty_invalid)
{
    awps__keys k;
    ck_assert_int_eq(awps__keys_init(&k), 0);
    ck_assert_int_eq(awps__keys_add(&k, NULL), AWPS_E_INVALID);
    ck_assert_int_eq(awps__keys_add(&k, ""), AWPS_E_INVALID);
    ck_assert_int_eq(awps__keys_remove(&k, NULL), AWPS_E_INVALID);
    ck_assert_uint_eq(awps__keys_count(&k), 0);
    awps__keys_destroy(&k);
}
END_TEST

/* ---- rotation while other threads verify ---- */

#define MAX_VERIFIERS 16
#define ROTATIONS 200
#define ROTATION_DEADLINE_MS 15000

struct rotation {
    awps__keys keys;
    atomic_int stop;          /* readers stop */
    atomic_int writer_done;
    atomic_int writer_rounds;
    atomic_long writer_errors;/* B present after add / absent after remove / A missing */
    atomic_long a_failures;   /* A is always configured: must stay 0 */
    atomic_long d_successes;  /* a signature for no configured key: must stay 0 */
    atomic_long reads;
};

static void *verifier(void *arg)
{
    struct rotation *rot = arg;
    long n = 0;

    while (!atomic_load(&rot->stop) || n < 10) {
        if (!awps__keys_verify(&rot->keys, CONN, "sha256=" HEX_A))
            atomic_fetch_add(&rot->a_failures, 1);
        /* B comes and goes: either answer is fine here */
        (void)awps__keys_verify(&rot->keys, CONN, "sha256=" HEX_B);
        if (awps__keys_verify(&rot->keys, CONN, "sha256=" HEX_A_CONN1))
            atomic_fetch_add(&rot->d_successes, 1);
        n++;
    }
    atomic_fetch_add(&rot->reads, n);
    return NULL;
}

/* Adds and removes B (and a filler key that makes the array grow and
 * shrink); checks after each change that B verifies exactly when present. */
static void *rotator(void *arg)
{
    struct rotation *rot = arg;
    char extra[32];

    for (int i = 0; i < ROTATIONS; i++) {
        long bad = 0;
        bad += awps__keys_add(&rot->keys, KEY_B) != AWPS_OK;
        bad += !awps__keys_verify(&rot->keys, CONN, "sha256=" HEX_B);
        snprintf(extra, sizeof extra, "extra-%d", i);
        bad += awps__keys_add(&rot->keys, extra) != AWPS_OK;
        bad += awps__keys_remove(&rot->keys, KEY_B) != AWPS_OK;
        bad += awps__keys_verify(&rot->keys, CONN, "sha256=" HEX_B) != 0;
        bad += !awps__keys_verify(&rot->keys, CONN, "sha256=" HEX_A);
        bad += awps__keys_remove(&rot->keys, extra) != AWPS_OK;
        atomic_fetch_add(&rot->writer_errors, bad);
        atomic_fetch_add(&rot->writer_rounds, 1);
    }
    atomic_store(&rot->writer_done, 1);
    return NULL;
}

START_TEST(keys_rotation_while_verifying)
{
    static struct rotation rot;
    pthread_t t[MAX_VERIFIERS], w;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int nverifiers = (int)(cpus > 0 ? 2 * cpus + 2 : 4);
    uint64_t start;

    if (nverifiers > MAX_VERIFIERS)
        nverifiers = MAX_VERIFIERS;
    memset(&rot, 0, sizeof rot);
    ck_assert_int_eq(awps__keys_init(&rot.keys), 0);
    ck_assert_int_eq(awps__keys_add(&rot.keys, KEY_A), AWPS_OK);
    for (int i = 0; i < nverifiers; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, verifier, &rot), 0);
    start = awps__now_ms();
    ck_assert_int_eq(pthread_create(&w, NULL, rotator, &rot), 0);
    /* Key changes must get through while verifiers keep the set busy. */
    while (!atomic_load(&rot.writer_done) && awps__now_ms() - start < ROTATION_DEADLINE_MS)
        usleep(10000);
    int finished_in_time = atomic_load(&rot.writer_done);
    int rounds = atomic_load(&rot.writer_rounds);
    atomic_store(&rot.stop, 1);  /* lets a starved writer finish */
    pthread_join(w, NULL);
    for (int i = 0; i < nverifiers; i++)
        pthread_join(t[i], NULL);
    ck_assert_msg(finished_in_time,
                  "key add/remove starved by %d verifying threads: %d of %d rotations in %d ms",
                  nverifiers, rounds, ROTATIONS, ROTATION_DEADLINE_MS);
    ck_assert_int_eq(atomic_load(&rot.writer_errors), 0);
    ck_assert_int_eq(atomic_load(&rot.a_failures), 0);
    ck_assert_int_eq(atomic_load(&rot.d_successes), 0);
    ck_assert_int_ge(atomic_load(&rot.reads), nverifiers * 10);
    ck_assert_uint_eq(awps__keys_count(&rot.keys), 1);
    awps__keys_destroy(&rot.keys);
}
END_TEST

/* ---- through the public API ---- */

START_TEST(process_signed_with_either_key)
{
    awps_handler *h = handler();
    connect_calls = 0;
    awps_handler_on_connect(h, on_connect, NULL);
    ck_assert_int_eq(awps_handler_add_key(h, KEY_A), AWPS_OK);
    ck_assert_int_eq(awps_handler_add_key(h, KEY_C), AWPS_OK);
    ck_assert_uint_eq(status_of(h, connect_req(CONN, "sha256=" HEX_A), NULL, 0), 204);
    ck_assert_uint_eq(status_of(h, connect_req(CONN, "sha256=" HEX_C), NULL, 0), 204);
    ck_assert_uint_eq(status_of(h, connect_req(CONN, "sha256=" HEX_B ",sha256=" HEX_C), NULL, 0),
                      204);
    ck_assert_int_eq(connect_calls, 3);
    /* without a connect callback the signature is still checked first */
    awps_handler_on_connect(h, NULL, NULL);
    ck_assert_uint_eq(status_of(h, connect_req(CONN, "sha256=" HEX_A), NULL, 0), 200);
    ck_assert_uint_eq(status_of(h, connect_req(CONN, "sha256=" HEX_B), NULL, 0), 401);
    awps_handler_free(h);
}
END_TEST

START_TEST(process_wrong_signature_401)
{
    awps_handler *h = handler();
    char body[256];
    connect_calls = 0;
    awps_handler_on_connect(h, on_connect, NULL);
    ck_assert_int_eq(awps_handler_add_key(h, KEY_A), AWPS_OK);
    ck_assert_uint_eq(status_of(h, connect_req(CONN, "sha256=" HEX_C), body, sizeof body), 401);
    ck_assert_str_ne(body, "");
    /* the signature of another connection id */
    ck_assert_uint_eq(status_of(h, connect_req("conn1", "sha256=" HEX_A), NULL, 0), 401);
    ck_assert_uint_eq(status_of(h, connect_req(CONN, "garbage"), NULL, 0), 401);
    ck_assert_uint_eq(status_of(h, connect_req(CONN, ""), NULL, 0), 401);
    ck_assert_int_eq(connect_calls, 0);
    awps_handler_free(h);
}
END_TEST

START_TEST(process_missing_signature_401)
{
    awps_handler *h = handler();
    char body[256];
    connect_calls = 0;
    awps_handler_on_connect(h, on_connect, NULL);
    ck_assert_int_eq(awps_handler_add_key(h, KEY_A), AWPS_OK);
    ck_assert_uint_eq(status_of(h, connect_req(CONN, NULL), body, sizeof body), 401);
    ck_assert_ptr_nonnull(strstr(body, "ce-signature"));
    ck_assert_int_eq(connect_calls, 0);
    awps_handler_free(h);
}
END_TEST

START_TEST(process_missing_connection_id_401)
{
    awps_handler *h = handler();
    char body[256];
    connect_calls = 0;
    awps_handler_on_connect(h, on_connect, NULL);
    ck_assert_int_eq(awps_handler_add_key(h, KEY_A), AWPS_OK);
    ck_assert_uint_eq(status_of(h, connect_req(NULL, "sha256=" HEX_A), body, sizeof body), 401);
    ck_assert_ptr_nonnull(strstr(body, "ce-connectionId"));
    ck_assert_int_eq(connect_calls, 0);
    awps_handler_free(h);
}
END_TEST

static int connected_calls;

static void on_connected(const awps_event *ev, void *data)
{
    (void)ev; (void)data;
    connected_calls++;
}

START_TEST(process_notification_checked_too)
{
    awps_handler *h = handler();
    connected_calls = 0;
    awps_handler_on_connected(h, on_connected, NULL);
    ck_assert_int_eq(awps_handler_add_key(h, KEY_A), AWPS_OK);
    tu_request *r = tu_request_newv("POST", "/api/webpubsub/hubs/hub/", "{}", 2,
                        "WebHook-Request-Origin", "x", "ce-awpsversion", "1.0",
                        "ce-type", "azure.webpubsub.sys.connected", "ce-hub", "hub",
                        "ce-connectionId", CONN, "ce-signature", "sha256=" HEX_C, NULL);
    ck_assert_uint_eq(status_of(h, r, NULL, 0), 401);
    ck_assert_int_eq(connected_calls, 0);
    r = tu_request_newv("POST", "/api/webpubsub/hubs/hub/", "{}", 2,
                        "WebHook-Request-Origin", "x", "ce-awpsversion", "1.0",
                        "ce-type", "azure.webpubsub.sys.connected", "ce-hub", "hub",
                        "ce-connectionId", CONN, "ce-signature", "sha256=" HEX_A, NULL);
    ck_assert_uint_eq(status_of(h, r, NULL, 0), 200);
    ck_assert_int_eq(connected_calls, 1);
    awps_handler_free(h);
}
END_TEST

START_TEST(process_key_rotation)
{
    awps_handler *h = handler();
    connect_calls = 0;
    awps_handler_on_connect(h, on_connect, NULL);
    /* no keys: unsigned requests pass */
    ck_assert_uint_eq(status_of(h, connect_req(CONN, NULL), NULL, 0), 204);
    ck_assert_int_eq(awps_handler_add_key(h, KEY_A), AWPS_OK);
    ck_assert_uint_eq(status_of(h, connect_req(CONN, NULL), NULL, 0), 401);
    ck_assert_int_eq(awps_handler_add_key(h, KEY_C), AWPS_OK);
    ck_assert_int_eq(awps_handler_remove_key(h, KEY_A), AWPS_OK);
    ck_assert_uint_eq(status_of(h, connect_req(CONN, "sha256=" HEX_A), NULL, 0), 401);
    ck_assert_uint_eq(status_of(h, connect_req(CONN, "sha256=" HEX_C), NULL, 0), 204);
    ck_assert_int_eq(awps_handler_remove_key(h, KEY_A), AWPS_E_NOT_FOUND);
    ck_assert_int_eq(awps_handler_remove_key(h, KEY_C), AWPS_OK);
    ck_assert_uint_eq(status_of(h, connect_req(CONN, NULL), NULL, 0), 204);
    ck_assert_int_eq(connect_calls, 3);
    ck_assert_int_eq(awps_handler_add_key(h, NULL), AWPS_E_INVALID);
    ck_assert_int_eq(awps_handler_add_key(h, ""), AWPS_E_INVALID);
    ck_assert_int_eq(awps_handler_add_key(NULL, KEY_A), AWPS_E_INVALID);
    awps_handler_free(h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("signature");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, compute_spec_vector);
    tcase_add_test(tc, compute_other_vectors);
    tcase_add_test(tc, header_single_entry_matches);
    tcase_add_test(tc, header_upper_case_hex_accepted);
    tcase_add_test(tc, header_sha256_prefix_case_ignored);
    tcase_add_test(tc, header_multi_entry_csharp_strings);
    tcase_add_test(tc, header_wrong_entries_rejected);
    tcase_add_test(tc, header_truncated_hex_rejected);
    tcase_add_test(tc, header_empty_and_garbage_rejected);
    tcase_add_test(tc, keys_none_configured_verify_passes);
    tcase_add_test(tc, keys_any_configured_key_matches);
    tcase_add_test(tc, keys_add_duplicate_is_noop);
    tcase_add_test(tc, keys_remove_unknown_not_found);
    tcase_add_test(tc, keys_add_null_or_empty_invalid);
    suite_add_tcase(s, tc);

    TCase *tr = tcase_create("rotation");
    tcase_set_timeout(tr, 60);
    tcase_add_test(tr, keys_rotation_while_verifying);
    suite_add_tcase(s, tr);

    TCase *tp = tcase_create("process");
    tcase_add_test(tp, process_signed_with_either_key);
    tcase_add_test(tp, process_wrong_signature_401);
    tcase_add_test(tp, process_missing_signature_401);
    tcase_add_test(tp, process_missing_connection_id_401);
    tcase_add_test(tp, process_notification_checked_too);
    tcase_add_test(tp, process_key_rotation);
    suite_add_tcase(s, tp);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
