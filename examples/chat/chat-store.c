/* The chat's message store: one SQLite file, shared by every chat-server
 * process behind a load balancer. WAL mode lets readers and the writer work
 * at once; the busy timeout makes a process wait while another one writes.
 * Every statement is prepared once with bound parameters. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "chat.h"

#define BUSY_TIMEOUT_MS 5000

struct chat_store {
    sqlite3 *db;
    pthread_mutex_t lock;        /* one statement at a time on this connection */
    sqlite3_stmt *begin, *commit, *rollback, *insert, *prune, *history;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS messages ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " user TEXT NOT NULL,"
    " text TEXT NOT NULL,"
    " time TEXT NOT NULL)";

static int prepare(chat_store *st, const char *sql, sqlite3_stmt **out)
{
    if (sqlite3_prepare_v2(st->db, sql, -1, out, NULL) == SQLITE_OK)
        return 0;
    chat_log("store: cannot prepare \"%.40s...\": %s", sql, sqlite3_errmsg(st->db));
    return -1;
}

/* Run a statement without results (a pragma's row is ignored). */
static int run(chat_store *st, sqlite3_stmt *stmt)
{
    int rc;

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
        ;
    sqlite3_reset(stmt);
    if (rc == SQLITE_DONE)
        return 0;
    chat_log("store: %s", sqlite3_errmsg(st->db));
    return -1;
}

static int exec_sql(chat_store *st, const char *sql)
{
    if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    chat_log("store: %s: %s", sql, sqlite3_errmsg(st->db));
    return -1;
}

/* journal_mode=WAL answers the mode in force. */
static int set_wal(chat_store *st)
{
    sqlite3_stmt *stmt;
    int ok = 0;

    if (prepare(st, "PRAGMA journal_mode=WAL", &stmt))
        return -1;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        const unsigned char *mode = sqlite3_column_text(stmt, 0);
        ok = mode && strcmp((const char *)mode, "wal") == 0;
    }
    sqlite3_finalize(stmt);
    if (!ok)
        chat_log("store: cannot switch to WAL mode: %s", sqlite3_errmsg(st->db));
    return ok ? 0 : -1;
}

chat_store *chat_store_open(const char *path)
{
    chat_store *st = calloc(1, sizeof *st);
    sqlite3_stmt *create = NULL;

    if (!st || pthread_mutex_init(&st->lock, NULL) != 0) {
        free(st);
        chat_log("store: out of memory");
        return NULL;
    }
    if (sqlite3_open_v2(path, &st->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK) {
        chat_log("store: cannot open %s: %s", path,
                 st->db ? sqlite3_errmsg(st->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
    /* NORMAL: in WAL mode a crash cannot corrupt the file, commits skip an fsync */
    if (set_wal(st) || exec_sql(st, "PRAGMA synchronous=NORMAL") ||
        prepare(st, schema, &create) || run(st, create))
        goto fail;
    sqlite3_finalize(create);
    create = NULL;
    if (prepare(st, "BEGIN IMMEDIATE", &st->begin) || prepare(st, "COMMIT", &st->commit) ||
        prepare(st, "ROLLBACK", &st->rollback) ||
        prepare(st, "INSERT INTO messages (user, text, time) VALUES (?1, ?2, ?3)", &st->insert) ||
        prepare(st, "DELETE FROM messages WHERE id NOT IN"
                    " (SELECT id FROM messages ORDER BY id DESC LIMIT ?1)", &st->prune) ||
        prepare(st, "SELECT id, user, text, time FROM"
                    " (SELECT * FROM messages ORDER BY id DESC LIMIT ?1) ORDER BY id",
                &st->history))
        goto fail;
    return st;
fail:
    sqlite3_finalize(create);
    chat_store_close(st);
    return NULL;
}

void chat_store_close(chat_store *st)
{
    if (!st)
        return;
    sqlite3_finalize(st->begin);
    sqlite3_finalize(st->commit);
    sqlite3_finalize(st->rollback);
    sqlite3_finalize(st->insert);
    sqlite3_finalize(st->prune);
    sqlite3_finalize(st->history);
    sqlite3_close(st->db);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

int chat_store_add(chat_store *st, const char *user, const char *text, size_t text_len,
                   const char *time, long long *id)
{
    int rc = -1;

    pthread_mutex_lock(&st->lock);
    if (run(st, st->begin))
        goto out;
    sqlite3_bind_text(st->insert, 1, user, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st->insert, 2, text, (int)text_len, SQLITE_TRANSIENT);
    sqlite3_bind_text(st->insert, 3, time, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st->prune, 1, CHAT_HISTORY);
    if (run(st, st->insert) == 0) {
        *id = (long long)sqlite3_last_insert_rowid(st->db);
        if (run(st, st->prune) == 0 && run(st, st->commit) == 0)
            rc = 0;
    }
    if (rc != 0)
        run(st, st->rollback);
    sqlite3_clear_bindings(st->insert);
out:
    pthread_mutex_unlock(&st->lock);
    return rc;
}

json_t *chat_store_history(chat_store *st)
{
    json_t *list = json_array();
    int rc;

    if (!list)
        return NULL;
    pthread_mutex_lock(&st->lock);
    sqlite3_bind_int(st->history, 1, CHAT_HISTORY);
    while ((rc = sqlite3_step(st->history)) == SQLITE_ROW) {
        const char *user = (const char *)sqlite3_column_text(st->history, 1);
        const char *text = (const char *)sqlite3_column_text(st->history, 2);
        int text_len = sqlite3_column_bytes(st->history, 2);
        const char *time = (const char *)sqlite3_column_text(st->history, 3);
        /* o# with a length: a row written by someone else is still bounded */
        json_t *m = json_pack("{s:I, s:s?, s:s#, s:s?}", "id",
                              (json_int_t)sqlite3_column_int64(st->history, 0), "user", user,
                              "text", text ? text : "", text ? text_len : 0, "time", time);
        if (m)  /* rows that are not valid UTF-8 are skipped */
            json_array_append_new(list, m);
    }
    if (rc != SQLITE_DONE)
        chat_log("store: history: %s", sqlite3_errmsg(st->db));
    sqlite3_reset(st->history);
    pthread_mutex_unlock(&st->lock);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        return NULL;
    }
    return list;
}
