/* libFuzzer target: the emulator's client frames (emu_client_frame) on a
 * json.webpubsub.azure.v1 connection, a reliable one and a plain one, in a
 * hub without upstream; frames are delivered to recording outputs.
 *
 * Byte 0 picks the connection (0 json, 1 reliable, 2 plain) and the frame
 * kind (bit 2: binary); the rest is the frame. Text frames that are not
 * UTF-8 never reach emu_client_frame (emu-ws.c closes with 1007 first). */
#include <stdio.h>

#include "fuzz.h"
#include "emu.h"

static size_t frames_out, closes;

static int rec_send(emu_conn *c, int text, const void *data, size_t len)
{
    (void)c;
    (void)text;
    (void)data;
    FUZZ_CHECK(len <= 64 * EMU_MAX_MESSAGE);
    frames_out++;
    return 0;
}

static void rec_close(emu_conn *c, unsigned code, const char *reason)
{
    (void)c;
    FUZZ_CHECK(code >= 1000 && code < 5000 && reason);
    closes++;
}

static const emu_conn_ops ops = {rec_send, rec_close, NULL};
static emu e;
static emu_hub hub;
static emu_hub *hubs[1] = {&hub};
static emu_conn *conns[3];

static void setup(void)
{
    static const char *subs[3] = {"json.webpubsub.azure.v1", "json.reliable.webpubsub.azure.v1",
                                  NULL};
    e.key = "fuzz-key";
    e.origin = "127.0.0.1:1";
    e.hubs = hubs;
    e.n_hubs = 1;
    hub.name = "chat";
    hub.owner = &e;
    FUZZ_CHECK(emu_hub_init(&hub) == 0);
    for (int i = 0; i < 3; i++) {
        conns[i] = emu_conn_new(&hub, i == 1 ? NULL : "user", i < 2 ? EMU_PROTO_JSON
                                                                     : EMU_PROTO_PLAIN,
                                subs[i], &ops, NULL);
        FUZZ_CHECK(conns[i] && emu_client_init(conns[i]) == 0);
        char *roles[] = {"webpubsub.joinLeaveGroup", "webpubsub.sendToGroup.g"};
        char *groups[] = {"g"};
        FUZZ_CHECK(emu_hub_add(conns[i], roles, i == 1 ? 1 : 2, groups, 1) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    emu_conn *c;
    int text;

    if (!ready) {
        setup();
        ready = 1;
    }
    if (size < 1 || size - 1 > EMU_MAX_MESSAGE)
        return 0;
    c = conns[(data[0] & 3) % 3];
    text = !(data[0] & 4);
    if (text && !awps__utf8_valid(data + 1, size - 1))
        return 0;
    emu_client_frame(c, text, data + 1, size - 1);
    /* keep the group membership bounded across runs */
    for (int i = 0; i < 3; i++)
        if (conns[i]->n_groups > 64)
            emu_group_leave(conns[i], NULL);
    return 0;
}
