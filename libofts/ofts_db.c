/*  ofts_db - checked opening of a service's SQLite store; see ofts_db.h.  */
#include "ofts_db.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

//  One integer or text from a one-row query; -1 with err set on failure.
static int
s_query(sqlite3 *db, const char *sql, int64_t *num, char *text, size_t size)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (num)
            *num = sqlite3_column_int64(st, 0);
        if (text) {
            const unsigned char *t = sqlite3_column_text(st, 0);
            snprintf(text, size, "%s", t ? (const char *) t : "");
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

bool
ofts_db_has_table(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?1", -1, &st, NULL)
        != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

static int
s_fail(sqlite3 *db, const char *path, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: %s: %s", path, what, db ? sqlite3_errmsg(db) : "?");
    return -1;
}

//  integrity_check, then whose store it is and which schema.
static int
s_check(sqlite3 *db, const char *path, const ofts_db_spec_t *spec, char *err, size_t errlen)
{
    char text[256];
    if (s_query(db, "PRAGMA integrity_check", NULL, text, sizeof text))
        return s_fail(db, path, "cannot read", err, errlen);
    if (strcmp(text, "ok") != 0) {
        for (char *c = text; *c; c++)           //  one line in the log
            if (*c == '\n')
                *c = ' ';
        snprintf(err, errlen, "%s: integrity_check failed: %s", path, text);
        return -1;
    }
    int64_t app = 0, version = 0, tables = 0;
    if (s_query(db, "PRAGMA application_id", &app, NULL, 0) || s_query(db, "PRAGMA user_version", &version, NULL, 0)
        || s_query(db, "SELECT count(*) FROM sqlite_master", &tables, NULL, 0))
        return s_fail(db, path, "cannot read", err, errlen);
    if (app == 0 && (tables == 0 || (spec->legacy && spec->legacy(db)))) {
        char sql[96];
        snprintf(sql, sizeof sql, "PRAGMA application_id=%d; PRAGMA user_version=%d;", (int) spec->app_id,
                 spec->version);
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
            return s_fail(db, path, "cannot stamp", err, errlen);
        return 0;
    }
    if (app != spec->app_id) {
        snprintf(err, errlen, "%s: not an ofts %s (application_id 0x%08x, want 0x%08x)", path, spec->kind,
                 (unsigned) app, (unsigned) spec->app_id);
        return -1;
    }
    if (version != spec->version) {
        snprintf(err, errlen, "%s: %s schema %lld, this build reads %d", path, spec->kind, (long long) version,
                 spec->version);
        return -1;
    }
    return 0;
}

sqlite3 *
ofts_db_open(const char *path, const ofts_db_spec_t *spec, char *err, size_t errlen)
{
    struct stat st;
    if (strcmp(path, ":memory:") != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0) {
        snprintf(err, errlen, "%s: zero-length file: a damaged %s (only a missing file starts a new one)", path,
                 spec->kind);
        return NULL;
    }
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        s_fail(db, path, "cannot open", err, errlen);
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);             //  a user's sqlite3 shell may read meanwhile
    if (s_check(db, path, spec, err, errlen)) {
        sqlite3_close(db);
        return NULL;
    }
    return db;
}
