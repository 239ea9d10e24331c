/* chat-server: shared declarations of the chat example's three parts:
 * chat-server.c (command line, routes, static files, negotiate),
 * chat-events.c (event callbacks and the REST outbox thread),
 * chat-store.c (the SQLite message store). */
#ifndef CHAT_H
#define CHAT_H

#include <stddef.h>
#include <awps.h>

#define CHAT_GROUP "lobby"
#define CHAT_HISTORY 50         /* messages kept and sent to newcomers */
#define CHAT_MAX_NAME 64        /* bytes of a user name */
#define CHAT_MAX_TEXT 4096      /* bytes of a message text */
#define CHAT_TIME_LEN 32        /* "2026-01-31T12:34:56.789Z" and its NUL */

/* ---- names (chat-server.c) ---- */

/* NULL when `name` is a valid user name (1..64 bytes of UTF-8 without control
 * characters), else the reason. */
const char *chat_name_problem(const char *name);
/* The current time as ISO-8601 UTC with milliseconds. */
void chat_now(char out[CHAT_TIME_LEN]);
/* One line on stderr, serialised between threads. */
void chat_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- the store (chat-store.c) ---- */

typedef struct chat_store chat_store;

/* Open (creating it when missing) the database at `path`: WAL mode, a busy
 * timeout, the schema. NULL on failure, reason logged. */
chat_store *chat_store_open(const char *path);
void chat_store_close(chat_store *st);
/* Store a message and keep only the newest CHAT_HISTORY; *id is its id. */
int chat_store_add(chat_store *st, const char *user, const char *text, size_t text_len,
                   const char *time, long long *id);
/* The newest CHAT_HISTORY messages, oldest first, as a JSON array of
 * {"id","user","text","time"}; NULL on failure. */
json_t *chat_store_history(chat_store *st);

/* ---- events and the outbox (chat-events.c) ---- */

typedef struct chat_app chat_app;

/* Callbacks on `h` for the hub, with REST calls made through `svc` on an
 * outbox thread. NULL on failure. */
chat_app *chat_app_new(awps_service *svc, chat_store *st);
void chat_app_attach(chat_app *app, awps_handler *h);
/* Stop the outbox: what is queued is still sent for up to `ms`
 * milliseconds, the rest dropped. Then free. */
void chat_app_free(chat_app *app, unsigned ms);

#endif
