/* libFuzzer target: ce-connectionState, awps__state_decode() and
 * awps__state_encode().
 *
 * Byte 0 even: the rest is the header text. Decoding gives an object; its
 * encoding is plain base64 and decodes back to an equal object.
 * Byte 0 odd: the rest is JSON text; it is base64-encoded and decoded: the
 * result equals the JSON when that is an object without duplicate keys,
 * else it is the empty object. */
#include <stdio.h>

#include "fuzz.h"

static void round_trip(json_t *obj)
{
    char *enc;
    json_t *again;

    FUZZ_CHECK(json_is_object(obj));
    enc = awps__state_encode(obj);
    FUZZ_CHECK(enc != NULL);
    FUZZ_CHECK(strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") ==
               strlen(enc));
    again = awps__state_decode(enc);
    FUZZ_CHECK(json_equal(obj, again));
    json_decref(again);
    free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *obj;

    if (size < 1)
        return 0;
    if ((data[0] & 1) == 0) {
        char *text = fuzz_cstr(data + 1, size - 1);
        obj = awps__state_decode(text);
        round_trip(obj);
        json_decref(obj);
        free(text);
        return 0;
    }
    char *b64 = awps__b64_encode(data + 1, size - 1);
    FUZZ_CHECK(b64 != NULL);
    obj = awps__state_decode(b64);
    json_t *direct = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
    if (json_is_object(direct))
        FUZZ_CHECK(json_equal(obj, direct));
    else
        FUZZ_CHECK(json_object_size(obj) == 0);
    round_trip(obj);
    json_decref(direct);
    json_decref(obj);
    free(b64);
    return 0;
}
