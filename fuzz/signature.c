/* libFuzzer target: awps__sig_header_matches() against a fixed expected
 * value, compared with a plain reference implementation of the documented
 * rule (comma-separated entries, spaces and tabs trimmed, "sha256=" and the
 * hex compared case-insensitively). Appending a matching entry always
 * matches; the header alone never matches a different expected value. */
#include <stdio.h>
#include <strings.h>

#include "fuzz.h"

static char expected[AWPS__SIG_HEX_LEN + 1];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    if (awps__sig_compute("fuzz-key", "conn1", expected) != 0)
        abort();
    return 0;
}

static int reference(const char *h, const char *want)
{
    int found = 0;

    for (;;) {
        const char *end = strchr(h, ','), *e = end ? end : h + strlen(h), *s = h;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e - s == 7 + AWPS__SIG_HEX_LEN && strncasecmp(s, "sha256=", 7) == 0 &&
            strncasecmp(s + 7, want, AWPS__SIG_HEX_LEN) == 0)
            found = 1;
        if (!end)
            return found;
        h = end + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *h = fuzz_cstr(data, size), *more;
    size_t n = strlen(h);

    FUZZ_CHECK(!!awps__sig_header_matches(h, expected) == reference(h, expected));
    /* the same header with a valid entry appended (upper-case hex) */
    more = malloc(n + 2 + 7 + AWPS__SIG_HEX_LEN + 1);
    memcpy(more, h, n);
    memcpy(more + n, ",SHA256=", 8);
    for (int i = 0; i <= AWPS__SIG_HEX_LEN; i++)
        more[n + 8 + i] = (char)((expected[i] >= 'a' && expected[i] <= 'f') ? expected[i] - 32
                                                                           : expected[i]);
    FUZZ_CHECK(awps__sig_header_matches(more, expected));
    free(more);
    free(h);
    return 0;
}
