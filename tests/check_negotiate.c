/* The negotiate route over real HTTP: the callback chooses the token from
 * the request (query parameter or header) or refuses; the answer carries
 * baseUrl, url and token; it works on the standalone server and inside an
 * application's daemon next to its own routes. */
#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "internal.h"
#include "testutil.h"

#define CONNSTR "Endpoint=https://contoso.webpubsub.azure.com;AccessKey=ABC;Version=1.0;"

/* A request with at most one extra header line. */
static long get(tu_http_result *r, unsigned port, const char *method, const char *path_query,
                const char *header)
{
    const char *headers[] = {header, NULL};
    return tu_http(r, port, method, path_query, header ? headers : NULL, NULL, 0, 0);
}

/* The JWT payload of the answer's token, decoded. */
static json_t *token_payload(const char *answer)
{
    json_t *o = json_loads(answer, 0, NULL);
    const char *tok = json_string_value(json_object_get(o, "token"));
    json_t *payload = NULL;
    ck_assert_ptr_nonnull(tok);
    const char *dot = strchr(tok, '.'), *dot2 = dot ? strchr(dot + 1, '.') : NULL;
    ck_assert_ptr_nonnull(dot2);
    char *mid = awps__strndup(dot + 1, (size_t)(dot2 - dot - 1));
    size_t len;
    unsigned char *raw = awps__b64_decode(mid, &len);
    ck_assert_ptr_nonnull(raw);
    payload = json_loadb((const char *)raw, len, 0, NULL);
    free(raw);
    free(mid);
    /* the URL is the base URL with the token */
    const char *base = json_string_value(json_object_get(o, "baseUrl"));
    const char *url = json_string_value(json_object_get(o, "url"));
    ck_assert_str_eq(base, "wss://contoso.webpubsub.azure.com/client/hubs/chat");
    ck_assert_ptr_eq(strstr(url, base), url);
    ck_assert_ptr_nonnull(strstr(url, "?access_token="));
    ck_assert_str_eq(strstr(url, "?access_token=") + 14, tok);
    json_decref(o);
    ck_assert_ptr_nonnull(payload);
    return payload;
}

static const char *const admin_roles[] = {"webpubsub.sendToGroup", "webpubsub.joinLeaveGroup"};
static const char *const lobby[] = {"lobby"};

/* user from ?user=, roles from an "X-Admin: yes" header set by a proxy. */
static unsigned choose(const awps_negotiate_request *req, awps_token_options *opts, char *reason,
                       size_t size, void *data)
{
    const char *user = awps_negotiate_query(req, "user");
    (void)data;
    if (!user || !*user) {
        snprintf(reason, size, "the user query parameter is required");
        return 400;
    }
    if (!strcmp(user, "banned"))
        return 403;  /* no reason: a default text is sent */
    opts->user_id = user;
    opts->groups = lobby;
    opts->n_groups = 1;
    const char *admin = awps_negotiate_header(req, "x-admin");
    if (admin && !strcmp(admin, "yes")) {
        opts->roles = admin_roles;
        opts->n_roles = 2;
    }
    opts->expires_set = 1;
    opts->expires_minutes = 5;
    return 0;
}

START_TEST(standalone_server_negotiate)
{
    awps_service_error err;
    awps_service *svc = awps_service_new(CONNSTR, "chat", &err);
    ck_assert_ptr_nonnull(svc);
    awps_negotiate *neg = awps_negotiate_new(svc, "/negotiate", choose, NULL);
    ck_assert_ptr_nonnull(neg);
    awps_server *s = awps_server_new();
    ck_assert_int_eq(awps_server_add_negotiate(s, neg), AWPS_OK);
    awps_negotiate_free(neg);  /* the server keeps its reference */
    awps_server_set_listen(s, "127.0.0.1", 0);
    ck_assert_int_eq(awps_server_start(s), AWPS_OK);
    unsigned port = awps_server_port(s);
    tu_http_result r;

    ck_assert_int_eq(get(&r, port, "GET", "/negotiate?user=alice", NULL), 200);
    ck_assert_ptr_nonnull(strcasestr(r.headers, "Content-Type: application/json"));
    ck_assert_ptr_nonnull(strcasestr(r.headers, "Cache-Control: no-store"));
    ck_assert_ptr_null(strcasestr(r.headers, "Connection: close"));
    json_t *p = token_payload(r.body);
    ck_assert_str_eq(json_string_value(json_object_get(p, "sub")), "alice");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(p, "webpubsub.group"), 0)),
                     "lobby");
    ck_assert_ptr_null(json_object_get(p, "role"));
    ck_assert_int_eq(json_integer_value(json_object_get(p, "exp")) -
                         json_integer_value(json_object_get(p, "iat")),
                     300);
    ck_assert_str_eq(json_string_value(json_object_get(p, "aud")),
                     "https://contoso.webpubsub.azure.com/client/hubs/chat");
    json_decref(p);
    /* a header set by an authenticating proxy, and a trailing slash */
    ck_assert_int_eq(get(&r, port, "GET", "/negotiate/?user=bob", "X-Admin: yes"), 200);
    p = token_payload(r.body);
    ck_assert_str_eq(json_string_value(json_object_get(p, "sub")), "bob");
    ck_assert_uint_eq(json_array_size(json_object_get(p, "role")), 2);
    json_decref(p);
    /* refusals */
    ck_assert_int_eq(get(&r, port, "GET", "/negotiate", NULL), 400);
    ck_assert_str_eq(r.body, "the user query parameter is required");
    ck_assert_int_eq(get(&r, port, "GET", "/negotiate?user=banned", NULL), 403);
    ck_assert_uint_gt(r.len, 0);
    ck_assert_int_eq(get(&r, port, "POST", "/negotiate?user=alice", NULL), 405);
    /* a NUL byte in a query name or value would cut it short: refused */
    ck_assert_int_eq(get(&r, port, "GET", "/negotiate?user=alice%00admin", NULL), 400);
    ck_assert_str_eq(r.body, "a query parameter holds a NUL byte (%00)");
    ck_assert_int_eq(get(&r, port, "GET", "/negotiate?x%00y=1&user=alice", NULL), 400);
    ck_assert_int_eq(get(&r, port, "GET", "/negotiate?user=alice%01", NULL), 200);
    /* a NUL byte in a header value (the callback reads X-Admin) is refused */
    {
        static const char req[] = "GET /negotiate?user=alice HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  "Connection: close\r\nX-Admin: y\0es\r\n\r\n";
        char ans[1024] = {0};
        struct sockaddr_in a = {0};
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        size_t got = 0;
        ssize_t n;

        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
        ck_assert_int_eq(send(fd, req, sizeof req - 1, 0), (ssize_t)(sizeof req - 1));
        while (got < sizeof ans - 1 && (n = recv(fd, ans + got, sizeof ans - 1 - got, 0)) > 0)
            got += (size_t)n;
        close(fd);
        ck_assert_msg(!strncmp(ans, "HTTP/1.1 400", 12), "answer: %s", ans);
        ck_assert_ptr_nonnull(strstr(ans, "the X-Admin header holds a NUL byte"));
    }
    /* other paths are not the route */
    ck_assert_int_eq(get(&r, port, "GET", "/negotiatex?user=alice", NULL), 404);
    awps_server_free(s);
    awps_service_free(svc);
}
END_TEST

static enum MHD_Result app(void *cls, struct MHD_Connection *c, const char *url,
                           const char *method, const char *version, const char *upload,
                           size_t *upload_size, void **con_cls)
{
    static int started;
    (void)cls; (void)url; (void)method; (void)version; (void)upload;
    if (!*con_cls) {
        *con_cls = &started;
        return MHD_YES;
    }
    *upload_size = 0;
    struct MHD_Response *r = MHD_create_response_from_buffer(3, "app", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return rc;
}

START_TEST(negotiate_in_application_daemon)
{
    awps_service_error err;
    awps_service *svc = awps_service_new(CONNSTR, "chat", &err);
    awps_negotiate *neg = awps_negotiate_new(svc, "/api/negotiate", NULL, NULL);
    awps_mhd *m = awps_mhd_new(app, NULL);
    ck_assert_int_eq(awps_mhd_add_negotiate(m, neg), AWPS_OK);
    awps_negotiate_free(neg);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL,
        awps_mhd_access, m, MHD_OPTION_NOTIFY_COMPLETED, awps_mhd_completed, m, MHD_OPTION_END);
    ck_assert_ptr_nonnull(d);
    unsigned port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
    tu_http_result r;

    /* no callback: an anonymous token */
    ck_assert_int_eq(get(&r, port, "GET", "/api/negotiate", NULL), 200);
    json_t *p = token_payload(r.body);
    ck_assert_ptr_null(json_object_get(p, "sub"));
    json_decref(p);
    ck_assert_int_eq(get(&r, port, "GET", "/elsewhere", NULL), 200);
    ck_assert_str_eq(r.body, "app");
    awps_mhd_drain(m, 100);
    MHD_stop_daemon(d);
    awps_mhd_free(m);
    awps_service_free(svc);
}
END_TEST

START_TEST(negotiate_arguments)
{
    awps_service_error err;
    awps_service *svc = awps_service_new(CONNSTR, "chat", &err);
    ck_assert_ptr_null(awps_negotiate_new(NULL, "/n", NULL, NULL));
    ck_assert_ptr_null(awps_negotiate_new(svc, "relative", NULL, NULL));
    ck_assert_ptr_null(awps_negotiate_new(svc, NULL, NULL, NULL));
    ck_assert_int_eq(awps_mhd_add_negotiate(NULL, NULL), AWPS_E_INVALID);
    ck_assert_ptr_null(awps_negotiate_query(NULL, "x"));
    awps_negotiate_free(NULL);
    awps_service_free(svc);
}
END_TEST

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Suite *s = suite_create("negotiate");
    TCase *tc = tcase_create("negotiate");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, standalone_server_negotiate);
    tcase_add_test(tc, negotiate_in_application_daemon);
    tcase_add_test(tc, negotiate_arguments);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed ? 1 : 0;
}
