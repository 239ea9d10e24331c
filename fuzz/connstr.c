/* libFuzzer target: awps_connection_string_parse(), and the URL
 * normaliser under it (awps__url_normalise()).
 *
 * Byte 0 selects: bit 0 set — the rest is a connection string: parsing
 * either fails with a message or gives an http(s) endpoint that normalises
 * to itself and a non-empty key. Bit 0 clear — the rest is a URL given to
 * awps__url_normalise() (bit 1: origin only; bit 2: with a port text of
 * "8080"): the result, when there is one, normalises to itself. */
#include <stdio.h>

#include "fuzz.h"

static void idempotent(const char *url, int origin_only)
{
    char *again = NULL, why[160];

    FUZZ_CHECK(awps__url_normalise(url, NULL, origin_only, &again, why, sizeof why) == AWPS_OK);
    FUZZ_CHECK(strcmp(url, again) == 0);
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text, *ep = NULL, *key = NULL, why[160];
    awps_service_error err;

    if (size < 1)
        return 0;
    text = fuzz_cstr(data + 1, size - 1);
    if (data[0] & 1) {
        memset(&err, 0, sizeof err);
        int rc = awps_connection_string_parse(text, &ep, &key, &err);
        if (rc == AWPS_OK) {
            FUZZ_CHECK(ep && key && *key);
            FUZZ_CHECK(strncmp(ep, "http://", 7) == 0 || strncmp(ep, "https://", 8) == 0);
            idempotent(ep, 0);
        } else {
            FUZZ_CHECK(!ep && !key && err.message[0]);
        }
        awps_free(ep);
        awps_free(key);
    } else {
        int origin_only = (data[0] >> 1) & 1;
        char *out = NULL;
        int rc = awps__url_normalise(text, (data[0] & 4) ? "8080" : NULL, origin_only, &out, why,
                                     sizeof why);
        FUZZ_CHECK(rc == AWPS_OK || rc == AWPS_E_URL);
        if (rc == AWPS_OK)
            idempotent(out, origin_only);
        else
            FUZZ_CHECK(out == NULL && why[0]);
        free(out);
    }
    free(text);
    return 0;
}
