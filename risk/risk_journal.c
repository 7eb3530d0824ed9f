#include "risk_journal.h"
#include "ofts_db.h"
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _risk_journal_t {
    sqlite3 *db;
    char *path;
    int depth;                      //  open risk_journal_begin() calls
    char error[256];
};

//  Prices are 1e-9 integers and money integer cents, as on the bus; the
//  *_v views show decimals for people.
static const char *s_schema =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS approvals("
    "  client_order_id TEXT PRIMARY KEY, signal_id TEXT NOT NULL UNIQUE,"
    "  symbol TEXT NOT NULL, contract TEXT, side TEXT NOT NULL, quantity INTEGER NOT NULL,"
    "  order_type TEXT NOT NULL, entry INTEGER NOT NULL, stop INTEGER NOT NULL,"
    "  take_profit INTEGER NOT NULL, confidence REAL, reasons TEXT,"
    "  ts_ns INTEGER NOT NULL, session_day INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS rejects(id INTEGER PRIMARY KEY, signal_id TEXT, symbol TEXT,"
    "  code INTEGER NOT NULL, reason_code TEXT NOT NULL, text TEXT, ts_ns INTEGER NOT NULL,"
    "  session_day INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS fills(fill_id TEXT PRIMARY KEY, client_order_id TEXT, symbol TEXT,"
    "  contract TEXT, role TEXT, side TEXT, price INTEGER, quantity INTEGER, fees_cents INTEGER,"
    "  realized_cents INTEGER, ts_ns INTEGER NOT NULL, session_day INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS positions(symbol TEXT PRIMARY KEY, contract TEXT,"
    "  quantity INTEGER NOT NULL, avg_price INTEGER, client_order_id TEXT, ts_ns INTEGER);"
    "CREATE TABLE IF NOT EXISTS working(symbol TEXT PRIMARY KEY, client_order_id TEXT NOT NULL,"
    "  quantity INTEGER NOT NULL, ts_ns INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS cooldowns(symbol TEXT PRIMARY KEY, last_approval_ns INTEGER NOT NULL,"
    "  client_order_id TEXT);"
    "CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value INTEGER, text TEXT, ts_ns INTEGER);"
    "CREATE TABLE IF NOT EXISTS days(session_day INTEGER PRIMARY KEY, realized_cents INTEGER,"
    "  eod_balance_cents INTEGER);"
    "CREATE VIEW IF NOT EXISTS approvals_v AS SELECT datetime(ts_ns/1000000000,'unixepoch') AS utc,"
    "  symbol, side, quantity, entry/1e9 AS entry, stop/1e9 AS stop, take_profit/1e9 AS take_profit,"
    "  confidence, signal_id, client_order_id FROM approvals;"
    "CREATE VIEW IF NOT EXISTS fills_v AS SELECT datetime(ts_ns/1000000000,'unixepoch') AS utc,"
    "  symbol, side, quantity, price/1e9 AS price, realized_cents/100.0 AS realized,"
    "  fees_cents/100.0 AS fees, fill_id, client_order_id FROM fills;";

static int
s_fail(risk_journal_t *self, const char *what)
{
    snprintf(self->error, sizeof self->error, "%s: %s: %s", self->path, what, sqlite3_errmsg(self->db));
    return -1;
}

static int
s_exec(risk_journal_t *self, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(self->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(self->error, sizeof self->error, "%s: %s", self->path, msg ? msg : "error");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

//  One text value from a one-row query, or "" (with rc) on failure.
static int
s_query_text(risk_journal_t *self, const char *sql, char *out, size_t size)
{
    sqlite3_stmt *st = NULL;
    out[0] = '\0';
    if (sqlite3_prepare_v2(self->db, sql, -1, &st, NULL) != SQLITE_OK)
        return s_fail(self, "cannot read");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(out, size, "%s", (const char *) sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return s_fail(self, "cannot read");
    return 0;
}

//  The meta rows say the same as the header stamp (ofts_db.h checked that
//  and integrity_check): app and schema, for people reading with sqlite3.
static int
s_check(risk_journal_t *self)
{
    char text[256];
    if (s_query_text(self, "SELECT count(*) FROM sqlite_master", text, sizeof text))
        return -1;
    if (atoi(text) == 0)
        return 0;                               //  new, empty file
    if (s_query_text(self, "SELECT value FROM meta WHERE key='app'", text, sizeof text)
        || strcmp(text, "ofts-risk") != 0) {
        snprintf(self->error, sizeof self->error, "%s: not an ofts risk journal (no meta app=ofts-risk)",
                 self->path);
        return -1;
    }
    if (s_query_text(self, "SELECT value FROM meta WHERE key='schema'", text, sizeof text))
        return -1;
    if (atoi(text) != RISK_JOURNAL_SCHEMA) {
        snprintf(self->error, sizeof self->error, "%s: journal schema %s, this build reads %d", self->path,
                 text, RISK_JOURNAL_SCHEMA);
        return -1;
    }
    return 0;
}

//  A journal written before the header stamp: its meta row says so.
static bool
s_legacy(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    if (!ofts_db_has_table(db, "meta")
        || sqlite3_prepare_v2(db, "SELECT 1 FROM meta WHERE key='app' AND value='ofts-risk'", -1, &st, NULL)
           != SQLITE_OK)
        return false;
    bool ours = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return ours;
}

static int
s_setup(risk_journal_t *self)
{
    if (s_check(self))
        return -1;
    char mode[32];
    if (s_query_text(self, "PRAGMA journal_mode=WAL", mode, sizeof mode))
        return -1;
    //  An in-memory journal (backtests) has no WAL and needs none.
    if (strcmp(mode, "wal") != 0 && strcmp(self->path, ":memory:") != 0) {
        snprintf(self->error, sizeof self->error, "%s: cannot switch to WAL (got %s)", self->path, mode);
        return -1;
    }
    //  FULL: every commit fsyncs the WAL, so an approval we publish survives
    //  a power cut, not only a kill -9.
    if (s_exec(self, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"))
        return -1;
    char sql[128];
    snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO meta VALUES('app','ofts-risk');"
             "INSERT OR IGNORE INTO meta VALUES('schema','%d');", RISK_JOURNAL_SCHEMA);
    if (s_exec(self, "BEGIN IMMEDIATE") || s_exec(self, s_schema) || s_exec(self, sql)
        || s_exec(self, "COMMIT")) {
        sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

risk_journal_t *
risk_journal_open(const char *path, char *err, size_t errlen)
{
    static const ofts_db_spec_t spec = { OFTS_DB_APP_RISK_JOURNAL, RISK_JOURNAL_SCHEMA, "risk journal", s_legacy };
    risk_journal_t *self = calloc(1, sizeof *self);
    self->path = strdup(path);
    self->db = ofts_db_open(path, &spec, self->error, sizeof self->error);
    if (!self->db || s_setup(self)) {
        snprintf(err, errlen, "%s", self->error);
        risk_journal_destroy(&self);
        return NULL;
    }
    return self;
}

void
risk_journal_destroy(risk_journal_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    risk_journal_t *self = *self_p;
    sqlite3_close(self->db);
    free(self->path);
    free(self);
    *self_p = NULL;
}

const char *risk_journal_path(risk_journal_t *self) { return self->path; }
const char *risk_journal_error(risk_journal_t *self) { return self->error; }

int
risk_journal_begin(risk_journal_t *self)
{
    if (self->depth++ > 0)
        return 0;
    if (s_exec(self, "BEGIN IMMEDIATE")) {
        self->depth = 0;
        return -1;
    }
    return 0;
}

int
risk_journal_commit(risk_journal_t *self)
{
    if (self->depth == 0 || --self->depth > 0)
        return 0;
    if (s_exec(self, "COMMIT")) {
        sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

void
risk_journal_rollback(risk_journal_t *self)
{
    if (self->depth == 0)
        return;
    self->depth = 0;
    sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
}

//  Prepare, bind by a tiny format ("t" text, "i" int64, "d" double), step.
static int
s_write(risk_journal_t *self, const char *sql, const char *fmt, ...)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(self->db, sql, -1, &st, NULL) != SQLITE_OK)
        return s_fail(self, "cannot prepare");
    va_list args;
    va_start(args, fmt);
    for (int i = 0; fmt[i]; i++) {
        if (fmt[i] == 't') {
            const char *s = va_arg(args, const char *);
            sqlite3_bind_text(st, i + 1, s ? s : "", -1, SQLITE_TRANSIENT);
        }
        else if (fmt[i] == 'i')
            sqlite3_bind_int64(st, i + 1, va_arg(args, int64_t));
        else
            sqlite3_bind_double(st, i + 1, va_arg(args, double));
    }
    va_end(args);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return s_fail(self, "cannot write");
    return 0;
}

static const char *
s_side(Ofts__Side side)
{
    return side == OFTS__SIDE__SIDE_BUY ? "buy" : side == OFTS__SIDE__SIDE_SELL ? "sell" : "none";
}

int
risk_journal_approval(risk_journal_t *self, const Ofts__OrderRequest *r, int64_t ts, int day)
{
    if (risk_journal_begin(self))
        return -1;
    int rc = s_write(self, "INSERT INTO approvals VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)", "tttttitiiidtii",
                     r->client_order_id, r->signal_id, r->symbol, r->contract, s_side(r->side),
                     (int64_t) r->quantity, r->type == OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT ? "limit" : "market",
                     (int64_t) r->entry, (int64_t) r->stop, (int64_t) r->take_profit, r->confidence,
                     r->reasons, (int64_t) ts, (int64_t) day);
    if (!rc)
        rc = s_write(self, "INSERT OR REPLACE INTO cooldowns VALUES(?,?,?)", "tit", r->symbol, (int64_t) ts,
                     r->client_order_id);
    if (!rc)
        rc = risk_journal_working(self, r->symbol, r->client_order_id, r->quantity, ts);
    if (rc) {
        char keep[256];
        snprintf(keep, sizeof keep, "%s", self->error);
        risk_journal_rollback(self);
        snprintf(self->error, sizeof self->error, "%s", keep);
        return -1;
    }
    return risk_journal_commit(self);
}

int
risk_journal_reject(risk_journal_t *self, const Ofts__RiskReject *r, int64_t ts, int day)
{
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(&ofts__reject_code__descriptor,
                                                                        (int) r->code);
    return s_write(self, "INSERT INTO rejects(signal_id,symbol,code,reason_code,text,ts_ns,session_day)"
                   " VALUES(?,?,?,?,?,?,?)", "ttittii", r->signal_id, r->symbol,
                   (int64_t) r->code, ev ? ev->name : "REJECT_UNKNOWN", r->text, (int64_t) ts, (int64_t) day);
}

static const char *
s_role(Ofts__OrderRole role)
{
    switch (role) {
    case OFTS__ORDER_ROLE__ROLE_ENTRY:   return "entry";
    case OFTS__ORDER_ROLE__ROLE_STOP:    return "stop";
    case OFTS__ORDER_ROLE__ROLE_TARGET:  return "target";
    case OFTS__ORDER_ROLE__ROLE_FLATTEN: return "flatten";
    default:                             return "unknown";
    }
}

int
risk_journal_fill(risk_journal_t *self, const Ofts__Fill *f, int64_t realized, int64_t ts, int day)
{
    return s_write(self, "INSERT INTO fills VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", "ttttttiiiiii", f->fill_id,
                   f->client_order_id, f->symbol, f->contract, s_role(f->role), s_side(f->side),
                   (int64_t) f->price, (int64_t) f->quantity, (int64_t) f->fees_cents, realized, ts,
                   (int64_t) day);
}

int
risk_journal_position(risk_journal_t *self, const char *symbol, const char *contract, int32_t qty,
                      int64_t avg, const char *coid, int64_t ts)
{
    return s_write(self, "INSERT OR REPLACE INTO positions VALUES(?,?,?,?,?,?)", "ttiiti", symbol, contract,
                   (int64_t) qty, avg, coid, ts);
}

int
risk_journal_working(risk_journal_t *self, const char *symbol, const char *coid, uint32_t qty, int64_t ts)
{
    if (qty == 0)
        return s_write(self, "DELETE FROM working WHERE symbol=?", "t", symbol);
    return s_write(self, "INSERT OR REPLACE INTO working VALUES(?,?,?,?)", "ttii", symbol,
                   coid, (int64_t) qty, ts);
}

int
risk_journal_state(risk_journal_t *self, const char *key, int64_t value, const char *text, int64_t ts)
{
    return s_write(self, "INSERT OR REPLACE INTO state VALUES(?,?,?,?)", "titi", key, value, text, ts);
}

int
risk_journal_day(risk_journal_t *self, int day, int64_t realized, int64_t eod)
{
    return s_write(self, "INSERT OR REPLACE INTO days VALUES(?,?,?)", "iii", (int64_t) day, realized, eod);
}

//  --- replay ---------------------------------------------------------------

static const char *
s_col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *) t : "";
}

typedef void (s_row_fn)(sqlite3_stmt *st, const risk_journal_replay_t *fns, void *arg);

static int
s_each(risk_journal_t *self, const char *sql, s_row_fn *fn, const risk_journal_replay_t *fns, void *arg)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(self->db, sql, -1, &st, NULL) != SQLITE_OK)
        return s_fail(self, "cannot replay");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(st, fns, arg);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : s_fail(self, "cannot replay");
}

static void
s_row_state(sqlite3_stmt *st, const risk_journal_replay_t *fns, void *arg)
{
    fns->state(arg, s_col(st, 0), sqlite3_column_int64(st, 1), s_col(st, 2));
}

static void
s_row_approval(sqlite3_stmt *st, const risk_journal_replay_t *fns, void *arg)
{
    Ofts__OrderRequest r;
    ofts__order_request__init(&r);
    r.client_order_id = (char *) s_col(st, 0);
    r.signal_id = (char *) s_col(st, 1);
    r.symbol = (char *) s_col(st, 2);
    r.contract = (char *) s_col(st, 3);
    r.side = strcmp(s_col(st, 4), "buy") == 0 ? OFTS__SIDE__SIDE_BUY : OFTS__SIDE__SIDE_SELL;
    r.quantity = (uint32_t) sqlite3_column_int64(st, 5);
    r.type = strcmp(s_col(st, 6), "limit") == 0 ? OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT
                                               : OFTS__ORDER_TYPE__ORDER_TYPE_MARKET;
    r.entry = sqlite3_column_int64(st, 7);
    r.stop = sqlite3_column_int64(st, 8);
    r.take_profit = sqlite3_column_int64(st, 9);
    r.confidence = sqlite3_column_double(st, 10);
    r.reasons = (char *) s_col(st, 11);
    fns->approval(arg, &r, sqlite3_column_int64(st, 12));
}

static void
s_row_cooldown(sqlite3_stmt *st, const risk_journal_replay_t *fns, void *arg)
{
    fns->cooldown(arg, s_col(st, 0), sqlite3_column_int64(st, 1));
}

static void
s_row_working(sqlite3_stmt *st, const risk_journal_replay_t *fns, void *arg)
{
    fns->working(arg, s_col(st, 0), s_col(st, 1), (uint32_t) sqlite3_column_int64(st, 2),
                 sqlite3_column_int64(st, 3));
}

static void
s_row_position(sqlite3_stmt *st, const risk_journal_replay_t *fns, void *arg)
{
    fns->position(arg, s_col(st, 0), s_col(st, 1), (int32_t) sqlite3_column_int64(st, 2),
                  sqlite3_column_int64(st, 3), s_col(st, 4));
}

static void
s_row_fill(sqlite3_stmt *st, const risk_journal_replay_t *fns, void *arg)
{
    fns->fill(arg, s_col(st, 0));
}

int
risk_journal_replay(risk_journal_t *self, const risk_journal_replay_t *fns, void *arg)
{
    if (fns->state && s_each(self, "SELECT key, value, text FROM state", s_row_state, fns, arg))
        return -1;
    if (fns->approval && s_each(self, "SELECT client_order_id, signal_id, symbol, contract, side, quantity,"
                                " order_type, entry, stop, take_profit, confidence, reasons, ts_ns"
                                " FROM approvals ORDER BY ts_ns, rowid", s_row_approval, fns, arg))
        return -1;
    if (fns->cooldown && s_each(self, "SELECT symbol, last_approval_ns FROM cooldowns", s_row_cooldown, fns, arg))
        return -1;
    if (fns->working && s_each(self, "SELECT symbol, client_order_id, quantity, ts_ns FROM working",
                               s_row_working, fns, arg))
        return -1;
    if (fns->position && s_each(self, "SELECT symbol, contract, quantity, avg_price, client_order_id"
                                " FROM positions", s_row_position, fns, arg))
        return -1;
    if (fns->fill && s_each(self, "SELECT fill_id FROM fills", s_row_fill, fns, arg))
        return -1;
    return 0;
}
