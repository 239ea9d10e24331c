/* Shared by the libFuzzer targets in fuzz/: small helpers, no state. */
#ifndef AWPS_FUZZ_H
#define AWPS_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Abort (a crash libFuzzer saves) when an invariant does not hold. */
#define FUZZ_CHECK(cond)                                                        \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                     \
            abort();                                                            \
        }                                                                       \
    } while (0)

/* A NUL-terminated heap copy of the input (embedded NULs end it early). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Drop the library's log lines. */
static inline void fuzz_quiet(void *d, awps_log_level l, const char *m)
{
    (void)d; (void)l; (void)m;
}

/* Read every accessor of an event the way a callback might, so that
 * sanitizers see each borrowed value. */
static inline void fuzz_touch_event(const awps_event *ev)
{
    const char *s[] = {awps_event_hub(ev), awps_event_connection_id(ev), awps_event_user_id(ev),
                       awps_event_name(ev), awps_event_subprotocol(ev), awps_event_origin(ev),
                       awps_event_signature(ev), awps_event_physical_connection_id(ev),
                       awps_event_session_id(ev), awps_event_content_type(ev),
                       awps_event_reason(ev), awps_event_group(ev),
                       awps_event_claim(ev, "sub"), awps_event_query_value(ev, "q"),
                       awps_event_header(ev, "User-Agent")};
    json_t *j[] = {awps_event_states(ev), awps_event_claims(ev), awps_event_query(ev),
                   awps_event_headers(ev), awps_event_subprotocols(ev),
                   awps_event_client_certificates(ev), awps_event_mqtt(ev), awps_event_json(ev),
                   awps_event_body(ev), awps_event_state(ev, "k")};
    size_t len, total = 0;
    const char *data = awps_event_data(ev, &len);

    for (size_t i = 0; i < sizeof s / sizeof *s; i++)
        if (s[i])
            total += strlen(s[i]);
    for (size_t i = 0; i < sizeof j / sizeof *j; i++) {
        char *t = j[i] ? json_dumps(j[i], JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
        if (t)
            total += strlen(t);
        free(t);
    }
    FUZZ_CHECK(json_is_object(awps_event_states(ev)));
    if (data) {
        FUZZ_CHECK(data[len] == '\0');  /* documented: NUL after the data */
        total += len;
    }
    total += (size_t)awps_event_mqtt_protocol_version(ev) + awps_event_get_type(ev) +
             awps_event_client_protocol(ev) + awps_event_data_type(ev);
    (void)total;
}

#endif
