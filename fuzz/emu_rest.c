/* libFuzzer target: the emulator's REST API (emu_rest_handle) on a hub with
 * live (recording) connections.
 *
 * Input: "METHOD\nREQUEST-TARGET\nCONTENT-TYPE\n" then the body. Byte 0 of
 * the method line decides the token: '!' strips it and sends the rest of
 * the request without a valid bearer token (the 401 path), anything else is
 * signed for http://fuzz.test<target> so the request reaches the routes. */
#include <stdio.h>

#include "fuzz.h"
#include "emu.h"

static int rec_send(emu_conn *c, int text, const void *data, size_t len)
{
    (void)c;
    (void)text;
    (void)data;
    (void)len;
    return 0;
}

static void rec_close(emu_conn *c, unsigned code, const char *reason)
{
    (void)c;
    (void)code;
    (void)reason;
}

static const emu_conn_ops ops = {rec_send, rec_close, NULL};
static emu e;
static emu_hub hub;
static emu_hub *hubs[1] = {&hub};

static void populate(void)
{
    static const char *users[4] = {"alice", "bob", NULL, "alice"};
    char *groups[] = {"g1", "g2"};
    /* keep a few connections alive whatever the requests closed */
    for (int i = 0; i < 4; i++) {
        char id[8];
        snprintf(id, sizeof id, "c%d", i);
        emu_conn *have = emu_hub_get(&hub, id);
        if (have) {
            emu_conn_unref(have);
            continue;
        }
        emu_conn *c = emu_conn_new(&hub, users[i], i & 1 ? EMU_PROTO_JSON : EMU_PROTO_PLAIN,
                                   i & 1 ? "json.webpubsub.azure.v1" : NULL, &ops, NULL);
        FUZZ_CHECK(c != NULL);
        memcpy(c->id, id, strlen(id) + 1);
        FUZZ_CHECK(emu_client_init(c) == 0);
        FUZZ_CHECK(emu_hub_add(c, NULL, 0, groups, (size_t)(i % 3)) == 0);
        emu_conn_unref(c);   /* the registry keeps its own reference */
    }
}

/* values of `name` in the raw query (no percent-decoding: enough here; at
 * most 8 of them, as if the request had no more) */
static size_t query(const emu_request *r, const char *name, const char **values, size_t max)
{
    static __thread char buf[8][512];
    const char *p = strchr(r->raw_uri, '?');
    size_t n = 0, nl = strlen(name);

    for (p = p ? p + 1 : NULL; p && *p;) {
        size_t len = strcspn(p, "&");
        if (len > nl && !strncmp(p, name, nl) && p[nl] == '=' && n < 8) {
            if (n < max) {
                size_t vl = len - nl - 1 < 511 ? len - nl - 1 : 511;
                memcpy(buf[n], p + nl + 1, vl);
                buf[n][vl] = '\0';
                values[n] = buf[n];
            }
            n++;
        }
        p += len + (p[len] == '&');
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    char *in, *method, *target, *ctype, *body, *nl, *token = NULL, auth[8192], url[4200];
    emu_answer a = {0};

    if (!ready) {
        e.key = "fuzz-key";
        e.origin = "fuzz.test";
        e.hubs = hubs;
        e.n_hubs = 1;
        hub.name = "chat";
        hub.owner = &e;
        FUZZ_CHECK(emu_hub_init(&hub) == 0);
        ready = 1;
    }
    populate();
    in = fuzz_cstr(data, size);
    method = in;
    if (!(nl = strchr(method, '\n')))
        goto out;
    *nl = '\0';
    target = nl + 1;
    if (!(nl = strchr(target, '\n')))
        goto out;
    *nl = '\0';
    ctype = nl + 1;
    if (!(nl = strchr(ctype, '\n')))
        goto out;
    *nl = '\0';
    body = nl + 1;
    if (strlen(target) > 4000 || target[0] != '/')
        goto out;
    int anonymous = method[0] == '!';
    if (anonymous)
        method++;
    if (!anonymous) {
        json_t *claims = json_pack("{s:s, s:I, s:I}", "aud", "", "iat", (json_int_t)emu_now_s(),
                                   "exp", (json_int_t)emu_now_s() + 3600);
        snprintf(url, sizeof url, "http://fuzz.test%s", target);
        if (!claims || json_object_set_new(claims, "aud", json_string(url)) ||
            !(token = awps__jwt_sign(e.key, claims))) {
            json_decref(claims);
            goto out;   /* e.g. a target that is not UTF-8 */
        }
        json_decref(claims);
        snprintf(auth, sizeof auth, "Bearer %s", token);
    }
    /* the path is the target without its query (MHD would decode it) */
    char *path = awps__strndup(target, strcspn(target, "?"));
    emu_request r = {
        .method = method,
        .path = path,
        .raw_uri = target,
        .host = "fuzz.test",
        .authorization = anonymous ? (ctype[0] ? ctype : NULL) : auth,
        .content_type = ctype[0] ? ctype : NULL,
        .body = body,
        .body_len = size - (size_t)(body - in),
        .query = query,
    };
    if (r.body_len > size)
        r.body_len = 0;
    emu_rest_handle(&e, &r, &a);
    FUZZ_CHECK(a.status >= 200 && a.status <= 599);
    FUZZ_CHECK(!a.body || a.body_len < 64 * 1024 * 1024);
    free(a.body);
    free(path);
out:
    free(token);
    free(in);
    return 0;
}
