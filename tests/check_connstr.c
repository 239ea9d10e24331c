/* Connection strings (spec §1.2, every row of §1.3), the WHATWG-style
 * endpoint normalisation (expected values checked against Node 20's URL and
 * the SDK 1.2.0), and the service object: creation, settings, errors. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* Parse `cs`; expect success with the endpoint and key given. */
static void assert_parses(const char *cs, const char *endpoint, const char *key)
{
    char *e = (char *)"unset", *k = (char *)"unset";
    awps_service_error err;

    memset(&err, 0x55, sizeof err);
    int rc = awps_connection_string_parse(cs, &e, &k, &err);
    ck_assert_msg(rc == AWPS_OK, "%s: rc %d (%s)", cs, rc, err.message);
    ck_assert_str_eq(e, endpoint);
    ck_assert_str_eq(k, key);
    awps_free(e);
    awps_free(k);
}

/* Expect AWPS_E_CONNSTR; the message starts with `message`. */
static void assert_fails(const char *cs, const char *message)
{
    char *e = (char *)"unset", *k = (char *)"unset";
    awps_service_error err;

    memset(&err, 0x55, sizeof err);
    int rc = awps_connection_string_parse(cs, &e, &k, &err);
    ck_assert_msg(rc == AWPS_E_CONNSTR, "%s: rc %d", cs, rc);
    ck_assert_ptr_null(e);
    ck_assert_ptr_null(k);
    ck_assert_int_eq(err.code, AWPS_E_CONNSTR);
    ck_assert_int_eq(err.status, 0);
    ck_assert_str_eq(err.service_code, "");
    ck_assert_msg(strncmp(err.message, message, strlen(message)) == 0, "%s: message \"%s\"", cs,
                  err.message);
}

#define MISSING_ENDPOINT "connection string missing endpoint"
#define MISSING_KEY "connection string missing access key"
#define BAD_URL "invalid endpoint URL"

/* ---- §1.3, row by row ---- */

START_TEST(spec_unit_test_port)
{
    assert_parses("Endpoint=http://localhost;AccessKey=ABC;Port=8080;Version=1.0;",
                  "http://localhost:8080/", "ABC");
}
END_TEST

START_TEST(spec_unit_test_plain)
{
    assert_parses("Endpoint=http://localhost;AccessKey=ABC;", "http://localhost/", "ABC");
}
END_TEST

START_TEST(spec_lower_case_keys_no_scheme)
{
    assert_parses("endpoint=contoso.webpubsub.azure.com;accesskey=ABC",
                  "https://contoso.webpubsub.azure.com/", "ABC");
}
END_TEST

START_TEST(spec_upper_case_keys_default_port)
{
    assert_parses("ENDPOINT=https://Contoso.WebPubSub.Azure.com/;ACCESSKEY=k=;PORT=443",
                  "https://contoso.webpubsub.azure.com/", "k=");
}
END_TEST

START_TEST(spec_port_8443)
{
    assert_parses("Endpoint=https://contoso.webpubsub.azure.com;AccessKey=ABC;Port=8443",
                  "https://contoso.webpubsub.azure.com:8443/", "ABC");
}
END_TEST

START_TEST(spec_path_prefix_kept)
{
    assert_parses("Endpoint=https://contoso.webpubsub.azure.com/prefix;AccessKey=ABC",
                  "https://contoso.webpubsub.azure.com/prefix", "ABC");
}
END_TEST

START_TEST(spec_empty_port_removes)
{
    assert_parses("Endpoint=http://localhost:8080;AccessKey=ABC;Port=", "http://localhost/", "ABC");
}
END_TEST

START_TEST(spec_port_in_endpoint_kept)
{
    assert_parses("Endpoint=http://localhost:8080;AccessKey=ABC", "http://localhost:8080/", "ABC");
}
END_TEST

START_TEST(spec_playback_value)
{
    assert_parses("Endpoint=endpoint;AccessKey=api_key;Version=1.0;", "https://endpoint/", "api_key");
}
END_TEST

START_TEST(spec_non_numeric_port_ignored)
{
    assert_parses("Endpoint=http://a;AccessKey=x;Port=abc", "http://a/", "x");
}
END_TEST

START_TEST(spec_must_throw_missing_key)
{
    assert_fails("Endpoint=http://localhost;", MISSING_KEY);
}
END_TEST

START_TEST(spec_must_throw_no_endpoint_key)
{
    assert_fails("http://localhost;", MISSING_ENDPOINT);
}
END_TEST

START_TEST(spec_must_throw_bare_host)
{
    assert_fails("localhost;", MISSING_ENDPOINT);
}
END_TEST

START_TEST(spec_empty_endpoint)
{
    assert_fails("Endpoint=;AccessKey=x", MISSING_ENDPOINT);
}
END_TEST

START_TEST(spec_leading_space_key_not_recognised)
{
    assert_fails(" Endpoint=http://a;AccessKey=x", MISSING_ENDPOINT);
}
END_TEST

/* ---- more edge cases of §1.2 ---- */

START_TEST(empty_and_separators_only)
{
    assert_fails("", MISSING_ENDPOINT);
    assert_fails(";;;", MISSING_ENDPOINT);
    assert_fails("=;=;", MISSING_ENDPOINT);
    assert_fails("Endpoint", MISSING_ENDPOINT);
}
END_TEST

START_TEST(null_arguments)
{
    char *e = (char *)"unset", *k = (char *)"unset";
    awps_service_error err;

    ck_assert_int_eq(awps_connection_string_parse(NULL, &e, &k, &err), AWPS_E_INVALID);
    ck_assert_int_eq(err.code, AWPS_E_INVALID);
    ck_assert_ptr_null(e);
    ck_assert_ptr_null(k);
    ck_assert_int_eq(awps_connection_string_parse(NULL, NULL, NULL, NULL), AWPS_E_INVALID);
    /* err may be NULL; unwanted outputs may be NULL */
    ck_assert_int_eq(awps_connection_string_parse("Endpoint=;", NULL, NULL, NULL), AWPS_E_CONNSTR);
    ck_assert_int_eq(awps_connection_string_parse("Endpoint=h;AccessKey=k", &e, NULL, NULL),
                     AWPS_OK);
    ck_assert_str_eq(e, "https://h/");
    awps_free(e);
    ck_assert_int_eq(awps_connection_string_parse("Endpoint=h;AccessKey=k", NULL, &k, NULL),
                     AWPS_OK);
    ck_assert_str_eq(k, "k");
    awps_free(k);
}
END_TEST

START_TEST(endpoint_checked_before_key)
{
    assert_fails("AccessKey=x", MISSING_ENDPOINT);
    assert_fails("", MISSING_ENDPOINT);
    /* the key is checked before the URL is parsed */
    assert_fails("Endpoint=http://a b;", MISSING_KEY);
    assert_fails("Endpoint=http://a;AccessKey=", MISSING_KEY);
}
END_TEST

START_TEST(key_split_at_first_equals_kept_verbatim)
{
    assert_parses("Endpoint=http://a;AccessKey=x=y==", "http://a/", "x=y==");
    assert_parses("Endpoint=http://a;AccessKey= x ;Version=1.0", "http://a/", " x ");
    assert_parses("Endpoint=https://h;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFG=",
                  "https://h/", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFG=");
    /* an endpoint value with '=' after the first */
    assert_parses("Endpoint=http://a/b=c;AccessKey=x", "http://a/b=c", "x");
}
END_TEST

START_TEST(later_duplicates_win)
{
    assert_parses("Endpoint=https://a;ACCESSKEY=x;accesskey=y", "https://a/", "y");
    assert_parses("Endpoint=http://b;AccessKey=x;endpoint=http://c", "http://c/", "x");
    assert_parses("Endpoint=http://a;AccessKey=x;Port=8080;Port=", "http://a/", "x");
    assert_parses("Endpoint=http://a;AccessKey=x;Port=;Port=81", "http://a:81/", "x");
    /* an empty later duplicate still wins */
    assert_fails("Endpoint=http://a;AccessKey=x;Endpoint=", MISSING_ENDPOINT);
}
END_TEST

START_TEST(unknown_keys_ignored)
{
    assert_parses("Endpoint=http://a;AccessKey=x;ClientEndpoint=http://b;ServerEndpoint=http://c;"
                  "Version=1.0;Foo",
                  "http://a/", "x");
    /* JavaScript toLowerCase() maps the Kelvin sign to 'k' */
    assert_parses("Endpoint=http://a;Access\xE2\x84\xAA" "ey=x", "http://a/", "x");
}
END_TEST

START_TEST(scheme_prefix_is_case_sensitive)
{
    /* "HTTP://" does not start with "http": the SDK prefixes https:// and the
     * WHATWG parser reads host "http", an empty port and path "//Foo.com" */
    assert_parses("Endpoint=HTTP://Foo.com;AccessKey=x", "https://http//Foo.com", "x");
    assert_parses("Endpoint=ftp://a;AccessKey=x", "https://ftp//a", "x");
    assert_parses("Endpoint=httpS://a;AccessKey=x", "https://a/", "x");
    assert_parses("Endpoint=http:foo;AccessKey=x", "http://foo/", "x");
    assert_parses("Endpoint=https:\\\\h\\p;AccessKey=x", "https://h/p", "x");
    assert_parses("Endpoint=localhost:8080;AccessKey=x", "https://localhost:8080/", "x");
}
END_TEST

START_TEST(port_key_semantics)
{
    assert_parses("Endpoint=http://a;AccessKey=x;Port=80a", "http://a/", "x");
    assert_parses("Endpoint=http://a;AccessKey=x;Port=8081a", "http://a:8081/", "x");
    assert_parses("Endpoint=http://a:81;AccessKey=x;Port=99999", "http://a:81/", "x");
    assert_parses("Endpoint=http://a:81;AccessKey=x;Port=65536", "http://a:81/", "x");
    assert_parses("Endpoint=http://a;AccessKey=x;Port=65535", "http://a:65535/", "x");
    assert_parses("Endpoint=http://a;AccessKey=x;Port=0", "http://a:0/", "x");
    assert_parses("Endpoint=http://a;AccessKey=x;Port=0080", "http://a/", "x");
    assert_parses("Endpoint=http://a:81;AccessKey=x;Port=-1", "http://a:81/", "x");
    assert_parses("Endpoint=http://a:81;AccessKey=x;Port= 80", "http://a:81/", "x");
    assert_parses("Endpoint=http://a;AccessKey=x;Port=\t81", "http://a:81/", "x");
    /* not the empty string: ignored, not removed */
    assert_parses("Endpoint=http://a:81;AccessKey=x;Port=\t", "http://a:81/", "x");
    assert_parses("Endpoint=https://a:443/;AccessKey=x;Port=80", "https://a:80/", "x");
    assert_parses("Endpoint=http://a:0080;AccessKey=x", "http://a/", "x");
    assert_parses("Endpoint=http://a:;AccessKey=x", "http://a/", "x");
}
END_TEST

START_TEST(whatwg_hosts)
{
    assert_parses("Endpoint=http://EXAMPLE.com:08080/A/B;AccessKey=x",
                  "http://example.com:8080/A/B", "x");
    assert_parses("Endpoint=http://ex%41mple.com;AccessKey=x", "http://example.com/", "x");
    assert_parses("Endpoint=http://a%2Eb;AccessKey=x", "http://a.b/", "x");
    assert_parses("Endpoint=http://a_b.c;AccessKey=x", "http://a_b.c/", "x");
    assert_parses("Endpoint=http://A.;AccessKey=x", "http://a./", "x");
    assert_parses("Endpoint=https://xn--9ca.com;AccessKey=x", "https://xn--9ca.com/", "x");
    /* IPv4 in every WHATWG form */
    assert_parses("Endpoint=http://127.1;AccessKey=x", "http://127.0.0.1/", "x");
    assert_parses("Endpoint=http://0x7f.1;AccessKey=x", "http://127.0.0.1/", "x");
    assert_parses("Endpoint=http://017.0.0.1;AccessKey=x", "http://15.0.0.1/", "x");
    assert_parses("Endpoint=http://1.2.3.4.;AccessKey=x", "http://1.2.3.4/", "x");
    assert_parses("Endpoint=http://1.;AccessKey=x", "http://0.0.0.1/", "x");
    assert_parses("Endpoint=http://0x;AccessKey=x", "http://0.0.0.0/", "x");
    assert_parses("Endpoint=http://0xffffffff;AccessKey=x", "http://255.255.255.255/", "x");
    assert_parses("Endpoint=http://1.16777215;AccessKey=x", "http://1.255.255.255/", "x");
    assert_fails("Endpoint=http://4294967296;AccessKey=x", BAD_URL);
    assert_fails("Endpoint=http://1.16777216;AccessKey=x", BAD_URL);
    assert_fails("Endpoint=http://256.1.1.1;AccessKey=x", BAD_URL);
    assert_fails("Endpoint=http://1.2.3.4.5;AccessKey=x", BAD_URL);
    assert_fails("Endpoint=http://1.2.3.09;AccessKey=x", BAD_URL);
    assert_fails("Endpoint=http://a.1;AccessKey=x", BAD_URL);
}
END_TEST

START_TEST(whatwg_ipv6)
{
    assert_parses("Endpoint=http://[::1]:8080;AccessKey=x", "http://[::1]:8080/", "x");
    assert_parses("Endpoint=http://[0:0::1]:80;AccessKey=x", "http://[::1]/", "x");
    assert_parses("Endpoint=http://[::1];AccessKey=x;Port=8080", "http://[::1]:8080/", "x");
    assert_parses("Endpoint=http://[FE80::1:0:0:0:1];AccessKey=x", "http://[fe80:0:0:1::1]/", "x");
    assert_parses("Endpoint=http://[::ffff:1.2.3.4];AccessKey=x", "http://[::ffff:102:304]/", "x");
    assert_parses("Endpoint=http://[1:2:3:4:5:6:7:8];AccessKey=x", "http://[1:2:3:4:5:6:7:8]/", "x");
    assert_parses("Endpoint=http://[1::];AccessKey=x", "http://[1::]/", "x");
    assert_parses("Endpoint=http://[::];AccessKey=x", "http://[::]/", "x");
    assert_parses("Endpoint=http://[1:0:0:2:0:0:0:3];AccessKey=x", "http://[1:0:0:2::3]/", "x");
    assert_parses("Endpoint=http://[1:0:0:2:0:0:3:4];AccessKey=x", "http://[1::2:0:0:3:4]/", "x");
    assert_parses("Endpoint=http://[::1.2.3.4]:8080;AccessKey=x", "http://[::102:304]:8080/", "x");
    assert_fails("Endpoint=http://[1:2:3:4:5:6:7:8:9];AccessKey=x", BAD_URL);
    assert_fails("Endpoint=http://[:1];AccessKey=x", BAD_URL);
    assert_fails("Endpoint=http://[1:::2];AccessKey=x", BAD_URL);
    assert_fails("Endpoint=http://[::1]x;AccessKey=x", BAD_URL);
    assert_fails("Endpoint=http://[::1.2.3];AccessKey=x", BAD_URL);
    assert_fails("Endpoint=http://[::01.2.3.4];AccessKey=x", BAD_URL);
    assert_fails("Endpoint=http://[::1;AccessKey=x", BAD_URL);
}
END_TEST

START_TEST(whatwg_paths)
{
    assert_parses("Endpoint=http://a/b/../c/./d^e{f}`g h;AccessKey=x",
                  "http://a/c/d^e%7Bf%7D%60g%20h", "x");
    assert_parses("Endpoint=http://a/\xC3\xA9;AccessKey=x", "http://a/%C3%A9", "x");
    assert_parses("Endpoint=https://h/p%2e%2E/q;AccessKey=x", "https://h/p%2e%2E/q", "x");
    assert_parses("Endpoint=http://a/..;AccessKey=x", "http://a/", "x");
    assert_parses("Endpoint=http://a/b/..;AccessKey=x", "http://a/", "x");
    assert_parses("Endpoint=http://a/b/../;AccessKey=x", "http://a/", "x");
    assert_parses("Endpoint=http://a/.;AccessKey=x", "http://a/", "x");
    assert_parses("Endpoint=http://a/./;AccessKey=x", "http://a/", "x");
    assert_parses("Endpoint=http://a/b/%2e%2E/c;AccessKey=x", "http://a/c", "x");
    assert_parses("Endpoint=http://a/b/.%2e;AccessKey=x", "http://a/", "x");
    assert_parses("Endpoint=http://a//;AccessKey=x", "http://a//", "x");
    assert_parses("Endpoint=http://a/x%zz;AccessKey=x", "http://a/x%zz", "x");
    assert_parses("Endpoint=http://a/prefix/;AccessKey=x", "http://a/prefix/", "x");
    assert_parses("Endpoint=https://a/b/http://c;AccessKey=x", "https://a/b/http://c", "x");
    /* tabs and newlines are dropped, outer spaces and controls stripped */
    assert_parses("Endpoint=http://a\tb/c\nd;AccessKey=x", "http://ab/cd", "x");
    assert_parses("Endpoint=http://a ;AccessKey=x", "http://a/", "x");
}
END_TEST

START_TEST(invalid_urls)
{
    assert_fails("Endpoint=http://a b;AccessKey=x", BAD_URL);
    assert_fails("Endpoint= http://a;AccessKey=x", BAD_URL);
    assert_fails("Endpoint=http:;AccessKey=x", BAD_URL);
    assert_fails("Endpoint=http://:80;AccessKey=x", BAD_URL);
    assert_fails("Endpoint=http://a:8o;AccessKey=x", BAD_URL);
    assert_fails("Endpoint=http://a:65536;AccessKey=x", BAD_URL);
    assert_fails("Endpoint=http://a%;AccessKey=x", BAD_URL);
    assert_fails("Endpoint=http://a%41%;AccessKey=x", BAD_URL);
    assert_fails("Endpoint=http://a<b;AccessKey=x", BAD_URL);
    /* accepted by WHATWG, refused here (see lib/connstr.c) */
    assert_fails("Endpoint=http://u:p@a;AccessKey=x", BAD_URL);
    assert_fails("Endpoint=http://a?x=1;AccessKey=x", BAD_URL);
    assert_fails("Endpoint=http://a/#f;AccessKey=x", BAD_URL);
    assert_fails("Endpoint=http://\xC3\xA9.com;AccessKey=x", BAD_URL);
    assert_fails("Endpoint=httpx://a;AccessKey=x", BAD_URL);
}
END_TEST

START_TEST(message_names_the_url)
{
    awps_service_error err;
    ck_assert_int_eq(awps_connection_string_parse("Endpoint=http://a:8o;AccessKey=secret", NULL,
                                                  NULL, &err),
                     AWPS_E_CONNSTR);
    ck_assert_str_eq(err.message, "invalid endpoint URL \"http://a:8o\": invalid port");
    ck_assert_ptr_null(strstr(err.message, "secret"));
}
END_TEST

START_TEST(length_bounded)
{
    size_t n = AWPS__CONNSTR_MAX + 1;
    char *cs = malloc(n + 1);
    ck_assert_ptr_nonnull(cs);
    memset(cs, ';', n);
    cs[n] = '\0';
    assert_fails(cs, "connection string longer than");
    /* an endpoint URL over the URL limit */
    memcpy(cs, "AccessKey=x;Endpoint=http://a/", 30);
    memset(cs + 30, 'p', AWPS__URL_MAX);
    cs[30 + AWPS__URL_MAX] = '\0';
    assert_fails(cs, BAD_URL);
    free(cs);
}
END_TEST

/* ---- the service object ---- */

#define CS "Endpoint=https://contoso.webpubsub.azure.com;AccessKey=ABC;Version=1.0;"

START_TEST(service_new_from_connection_string)
{
    awps_service_error err;
    memset(&err, 0x55, sizeof err);
    awps_service *s = awps_service_new(CS, "hub1", &err);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(err.code, AWPS_OK);
    ck_assert_str_eq(err.message, "");
    ck_assert_str_eq(awps_service_endpoint(s), "https://contoso.webpubsub.azure.com/");
    ck_assert_str_eq(awps_service_hub(s), "hub1");
    ck_assert_str_eq(s->key, "ABC");
    ck_assert_ptr_null(s->proxy);
    ck_assert_uint_eq(s->max_retries, 3);
    ck_assert_uint_eq(s->retry_delay_ms, 1000);
    ck_assert_uint_eq(s->retry_max_delay_ms, 64000);
    ck_assert(s->clock == NULL);
    awps_service_free(s);
    awps_service_free(NULL);
    ck_assert_ptr_null(awps_service_endpoint(NULL));
    ck_assert_ptr_null(awps_service_hub(NULL));
}
END_TEST

START_TEST(service_new_errors)
{
    awps_service_error err;

    ck_assert_ptr_null(awps_service_new("Endpoint=http://localhost;", "hub", &err));
    ck_assert_int_eq(err.code, AWPS_E_CONNSTR);
    ck_assert_str_eq(err.message, MISSING_KEY);
    ck_assert_ptr_null(awps_service_new(CS, NULL, &err));
    ck_assert_int_eq(err.code, AWPS_E_INVALID);
    ck_assert_str_eq(err.message, "hub name is missing");
    ck_assert_ptr_null(awps_service_new(CS, "", &err));
    ck_assert_int_eq(err.code, AWPS_E_INVALID);
    ck_assert_ptr_null(awps_service_new(CS, "h\xFF", &err));
    ck_assert_int_eq(err.code, AWPS_E_INVALID);
    ck_assert_ptr_null(awps_service_new(NULL, "hub", &err));
    ck_assert_int_eq(err.code, AWPS_E_INVALID);
    ck_assert_ptr_null(awps_service_new(CS, NULL, NULL));
    /* no client-side validation of the hub's characters, like the SDK */
    awps_service *s = awps_service_new(CS, "my-hub 1", NULL);
    ck_assert_ptr_nonnull(s);
    awps_service_free(s);
}
END_TEST

START_TEST(service_new_with_key)
{
    awps_service_error err;
    awps_service *s;

    s = awps_service_new_with_key("https://contoso.webpubsub.azure.com", "ABC", "hub1", &err);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(awps_service_endpoint(s), "https://contoso.webpubsub.azure.com/");
    ck_assert_str_eq(s->key, "ABC");
    awps_service_free(s);
    s = awps_service_new_with_key("Contoso.webpubsub.azure.com:443", "ABC", "hub1", &err);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(awps_service_endpoint(s), "https://contoso.webpubsub.azure.com/");
    awps_service_free(s);
    s = awps_service_new_with_key("http://localhost:8080/prefix", "k", "chat", &err);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(awps_service_endpoint(s), "http://localhost:8080/prefix");
    awps_service_free(s);

    ck_assert_ptr_null(awps_service_new_with_key("http://a b", "k", "hub", &err));
    ck_assert_int_eq(err.code, AWPS_E_URL);
    ck_assert_str_eq(err.message, "invalid endpoint URL \"http://a b\": invalid character in host");
    ck_assert_ptr_null(awps_service_new_with_key("", "k", "hub", &err));
    ck_assert_int_eq(err.code, AWPS_E_INVALID);
    ck_assert_ptr_null(awps_service_new_with_key(NULL, "k", "hub", &err));
    ck_assert_int_eq(err.code, AWPS_E_INVALID);
    ck_assert_ptr_null(awps_service_new_with_key("http://a", "", "hub", &err));
    ck_assert_int_eq(err.code, AWPS_E_INVALID);
    ck_assert_ptr_null(awps_service_new_with_key("http://a", NULL, "hub", &err));
    ck_assert_int_eq(err.code, AWPS_E_INVALID);
    ck_assert_ptr_null(awps_service_new_with_key("http://a", "k", "", &err));
    ck_assert_int_eq(err.code, AWPS_E_INVALID);
    ck_assert_ptr_null(awps_service_new_with_key("http://a", "k", NULL, NULL));
}
END_TEST

START_TEST(service_reverse_proxy)
{
    awps_service *s = awps_service_new(CS, "hub1", NULL);
    ck_assert_ptr_nonnull(s);

    ck_assert_int_eq(awps_service_set_reverse_proxy(s, "https://myapim.azure-api.net"), AWPS_OK);
    ck_assert_str_eq(s->proxy, "https://myapim.azure-api.net");
    /* only scheme://host[:port] is kept; path, query and fragment ignored */
    ck_assert_int_eq(awps_service_set_reverse_proxy(s, "HTTPS://MyAPIM.azure-api.net:443/x/y?q=1#f"),
                     AWPS_OK);
    ck_assert_str_eq(s->proxy, "https://myapim.azure-api.net");
    ck_assert_int_eq(awps_service_set_reverse_proxy(s, "http://127.0.0.1:8081/"), AWPS_OK);
    ck_assert_str_eq(s->proxy, "http://127.0.0.1:8081");
    ck_assert_int_eq(awps_service_set_reverse_proxy(s, "http://[::1]:80"), AWPS_OK);
    ck_assert_str_eq(s->proxy, "http://[::1]");
    /* refused: the previous value stays */
    ck_assert_int_eq(awps_service_set_reverse_proxy(s, "myapim.azure-api.net"), AWPS_E_URL);
    ck_assert_int_eq(awps_service_set_reverse_proxy(s, "ftp://myapim"), AWPS_E_URL);
    ck_assert_int_eq(awps_service_set_reverse_proxy(s, "https://"), AWPS_E_URL);
    ck_assert_int_eq(awps_service_set_reverse_proxy(s, ""), AWPS_E_URL);
    ck_assert_str_eq(s->proxy, "http://[::1]");
    ck_assert_int_eq(awps_service_set_reverse_proxy(s, NULL), AWPS_OK);
    ck_assert_ptr_null(s->proxy);
    ck_assert_int_eq(awps_service_set_reverse_proxy(NULL, "https://a"), AWPS_E_INVALID);
    /* the endpoint is untouched */
    ck_assert_str_eq(awps_service_endpoint(s), "https://contoso.webpubsub.azure.com/");
    awps_service_free(s);
}
END_TEST

START_TEST(service_retry)
{
    awps_service *s = awps_service_new(CS, "hub1", NULL);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(awps_service_set_retry(s, 0, 10, 20), AWPS_OK);
    ck_assert_uint_eq(s->max_retries, 0);
    ck_assert_uint_eq(s->retry_delay_ms, 10);
    ck_assert_uint_eq(s->retry_max_delay_ms, 20);
    ck_assert_int_eq(awps_service_set_retry(NULL, 1, 1, 1), AWPS_E_INVALID);
    awps_service_free(s);
}
END_TEST

static int64_t fixed_clock(void *data)
{
    return *(const int64_t *)data;
}

START_TEST(service_clock)
{
    static int64_t t = 1700000000123;
    awps_service *s = awps_service_new(CS, "hub1", NULL);
    ck_assert_ptr_nonnull(s);

    int64_t before = (int64_t)time(NULL) * 1000;
    int64_t now = awps__service_now_ms(s);
    ck_assert(now >= before && now <= before + 60000);
    awps_service_set_clock(s, fixed_clock, &t);
    ck_assert(awps__service_now_ms(s) == 1700000000123);
    awps_service_set_clock(s, NULL, &t);
    ck_assert(s->clock == NULL);
    ck_assert(awps__service_now_ms(s) >= before);
    awps_service_set_clock(NULL, fixed_clock, &t);  /* ignored */
    awps_service_free(s);
}
END_TEST

START_TEST(service_fail_fills_error)
{
    awps_service_error err;
    char longer[1000];

    memset(&err, 0x55, sizeof err);
    ck_assert_int_eq(awps__service_fail(&err, AWPS_E_HTTP, 404, "Error.Connection.NotExisted",
                                        "Connection `%s` is not found.", "xxxx"),
                     AWPS_E_HTTP);
    ck_assert_int_eq(err.code, AWPS_E_HTTP);
    ck_assert_int_eq(err.status, 404);
    ck_assert_str_eq(err.service_code, "Error.Connection.NotExisted");
    ck_assert_str_eq(err.message, "Connection `xxxx` is not found.");
    ck_assert_int_eq(awps__service_fail(NULL, AWPS_E_TRANSPORT, 0, NULL, "x"), AWPS_E_TRANSPORT);
    /* truncated, always terminated */
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    awps__service_fail(&err, AWPS_E_HTTP, 500, longer, "%s", longer);
    ck_assert_uint_eq(strlen(err.service_code), sizeof err.service_code - 1);
    ck_assert_uint_eq(strlen(err.message), sizeof err.message - 1);
    awps__service_fail(&err, AWPS_E_HTTP, 500, NULL, "m");
    ck_assert_str_eq(err.service_code, "");
}
END_TEST

/* Found by fuzz/connstr.c: percent-encoding can make a normalised endpoint
 * three times longer than its input; it must stay within the limit. */
START_TEST(normalised_endpoint_stays_within_limit)
{
    char cs[64 + 1400 * 3];
    char *ep = NULL, *key = NULL;
    awps_service_error err;

    strcpy(cs, "Endpoint=https://h/");
    size_t n = strlen(cs);
    memset(cs + n, 0xff, 1400);
    strcpy(cs + n + 1400, ";AccessKey=k");
    ck_assert_int_eq(awps_connection_string_parse(cs, &ep, &key, &err), AWPS_E_CONNSTR);
    ck_assert_ptr_null(ep);
    ck_assert_ptr_nonnull(strstr(err.message, "too long"));
    ck_assert_ptr_null(awps_service_new(cs, "hub", &err));
    awps_free(ep);
    awps_free(key);
}
END_TEST

START_TEST(free_null)
{
    awps_free(NULL);
    awps_client_token_clear(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("connstr");
    TCase *spec = tcase_create("spec");
    tcase_add_test(spec, spec_unit_test_port);
    tcase_add_test(spec, spec_unit_test_plain);
    tcase_add_test(spec, spec_lower_case_keys_no_scheme);
    tcase_add_test(spec, spec_upper_case_keys_default_port);
    tcase_add_test(spec, spec_port_8443);
    tcase_add_test(spec, spec_path_prefix_kept);
    tcase_add_test(spec, spec_empty_port_removes);
    tcase_add_test(spec, spec_port_in_endpoint_kept);
    tcase_add_test(spec, spec_playback_value);
    tcase_add_test(spec, spec_non_numeric_port_ignored);
    tcase_add_test(spec, spec_must_throw_missing_key);
    tcase_add_test(spec, spec_must_throw_no_endpoint_key);
    tcase_add_test(spec, spec_must_throw_bare_host);
    tcase_add_test(spec, spec_empty_endpoint);
    tcase_add_test(spec, spec_leading_space_key_not_recognised);
    suite_add_tcase(s, spec);

    TCase *edge = tcase_create("edge");
    tcase_add_test(edge, empty_and_separators_only);
    tcase_add_test(edge, null_arguments);
    tcase_add_test(edge, endpoint_checked_before_key);
    tcase_add_test(edge, key_split_at_first_equals_kept_verbatim);
    tcase_add_test(edge, later_duplicates_win);
    tcase_add_test(edge, unknown_keys_ignored);
    tcase_add_test(edge, scheme_prefix_is_case_sensitive);
    tcase_add_test(edge, port_key_semantics);
    tcase_add_test(edge, whatwg_hosts);
    tcase_add_test(edge, whatwg_ipv6);
    tcase_add_test(edge, whatwg_paths);
    tcase_add_test(edge, invalid_urls);
    tcase_add_test(edge, message_names_the_url);
    tcase_add_test(edge, length_bounded);
    suite_add_tcase(s, edge);

    TCase *svc = tcase_create("service");
    tcase_add_test(svc, service_new_from_connection_string);
    tcase_add_test(svc, service_new_errors);
    tcase_add_test(svc, service_new_with_key);
    tcase_add_test(svc, service_reverse_proxy);
    tcase_add_test(svc, service_retry);
    tcase_add_test(svc, service_clock);
    tcase_add_test(svc, service_fail_fills_error);
    tcase_add_test(svc, free_null);
    tcase_add_test(svc, normalised_endpoint_stays_within_limit);
    suite_add_tcase(s, svc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
