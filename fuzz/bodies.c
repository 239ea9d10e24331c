/* libFuzzer target: the JSON body parsers of every event —
 * awps__connect_parse(), awps__notify_parse(), awps__user_parse() — on an
 * event built with awps__event_init() from a head.
 *
 * Input: byte 0 bits 0-2 the event (connect, user, connected, disconnected,
 * joined, left), bits 3-5 the Content-Type, bit 6 an MQTT client; the rest
 * is the body. Checked: a parse either fails with a reason or leaves every
 * value the accessors document (connect: claims, query, headers objects of
 * string arrays, subprotocols and certificates arrays; group events: a
 * group; JSON user events: a value); the event is always cleared. */
#include <stdio.h>

#include "fuzz.h"

static awps_handler *handler;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    handler = awps_handler_new("hub");
    if (!handler)
        abort();
    return 0;
}

static const awps__kind kinds[8] = {AWPS__K_CONNECT, AWPS__K_USER, AWPS__K_CONNECTED,
                                    AWPS__K_DISCONNECTED, AWPS__K_JOINED, AWPS__K_LEFT,
                                    AWPS__K_CONNECT, AWPS__K_USER};
static const char *const ctypes[8] = {
    "application/json", "text/plain", "application/octet-stream", NULL,
    "TEXT/PLAIN ; charset=latin1", " application/json;charset=utf-8", "application/jsonx",
    "text/plainx"};
static const char *const ce_types[8] = {
    "azure.webpubsub.sys.connect", "azure.webpubsub.user.message",
    "azure.webpubsub.sys.connected", "azure.webpubsub.sys.disconnected",
    "azure.webpubsub.gp.joined", "azure.webpubsub.gp.left", "azure.webpubsub.sys.connect",
    "azure.webpubsub.user.x"};

static int string_multimap(json_t *o)
{
    const char *k;
    json_t *v;

    if (!json_is_object(o))
        return 0;
    json_object_foreach(o, k, v)
        if (!awps__check_string_array(v))
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    awps__head hd;
    awps_event ev;
    awps__why why;
    int rc;

    if (size < 1)
        return 0;
    unsigned k = data[0] & 7, ct = (data[0] >> 3) & 7;
    awps__head_init(&hd);
    awps__head_add(&hd, "ce-type", ce_types[k]);
    awps__head_add(&hd, "ce-hub", "hub");
    awps__head_add(&hd, "ce-connectionId", "conn");
    awps__head_add(&hd, "WebHook-Request-Origin", "o");
    if (ctypes[ct])
        awps__head_add(&hd, "Content-Type", ctypes[ct]);
    if (data[0] & 64) {
        awps__head_add(&hd, "ce-subprotocol", "mqtt");
        awps__head_add(&hd, "ce-physicalConnectionId", "p");
    }
    FUZZ_CHECK(awps__event_init(&ev, handler, kinds[k], &hd) == AWPS_OK);

    /* the parsers take over a malloc'ed body with a NUL after it */
    size_t len = size - 1;
    char *body = malloc(len + 1);
    memcpy(body, data + 1, len);
    body[len] = '\0';
    why.text[0] = '\0';
    switch (kinds[k]) {
    case AWPS__K_CONNECT: rc = awps__connect_parse(&ev, body, len, &why); break;
    case AWPS__K_USER: rc = awps__user_parse(&ev, body, len, &why); break;
    default: rc = awps__notify_parse(&ev, body, len, &why); break;
    }
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc != 0) {
        FUZZ_CHECK(why.text[0] != '\0');
        FUZZ_CHECK(memchr(why.text, '\0', sizeof why.text) != NULL);
    } else {
        fuzz_touch_event(&ev);
        switch (kinds[k]) {
        case AWPS__K_CONNECT:
            FUZZ_CHECK(json_is_object(awps_event_body(&ev)));
            FUZZ_CHECK(string_multimap(awps_event_claims(&ev)));
            FUZZ_CHECK(string_multimap(awps_event_query(&ev)));
            FUZZ_CHECK(string_multimap(awps_event_headers(&ev)));
            FUZZ_CHECK(awps__check_string_array(awps_event_subprotocols(&ev)));
            FUZZ_CHECK(json_is_array(awps_event_client_certificates(&ev)));
            FUZZ_CHECK(!awps_event_mqtt(&ev) || json_is_object(awps_event_mqtt(&ev)));
            break;
        case AWPS__K_USER:
            if (awps_event_data_type(&ev) == AWPS_DATA_JSON)
                FUZZ_CHECK(awps_event_json(&ev) != NULL);
            if (awps_event_data_type(&ev) == AWPS_DATA_TEXT)
                FUZZ_CHECK(awps__utf8_valid(body, len));
            break;
        case AWPS__K_JOINED:
        case AWPS__K_LEFT:
            FUZZ_CHECK(awps_event_group(&ev) != NULL);
            break;
        default:
            FUZZ_CHECK(json_is_object(awps_event_body(&ev)));
            break;
        }
    }
    awps__event_clear(&ev);
    return 0;
}
