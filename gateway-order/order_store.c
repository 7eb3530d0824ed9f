/*  order_store - SQLite persistence for orders, fills and paper state.     */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include "order_store.h"
#include "ofts_clock.h"
#include "ofts_db.h"
#include "ofts_log.h"
#include "ofts.pb-c.h"

struct _order_store_t {
    sqlite3 *db;
    char *path;
    int depth;                          //  nesting of begin/commit
    bool paused;                        //  depth > 0 but committed: see order_store_pause
    bool open;                          //  BEGIN issued for the current transaction
    bool failed;                        //  a write failed: sticky (fail closed)
    char failure[160];                  //  the first failed write's message
    int64_t error_logged_ns;            //  when a failure was last logged
};

//  Schema version of this build (PRAGMA user_version; ofts_db.h).
#define ORDER_STORE_SCHEMA 1

//  The order columns, shared by orders and paper_orders so one binder and
//  one reader serve both.
#define ORDER_COLS \
    "client_order_id, parent_id, broker_order_id, signal_id, symbol, contract, " \
    "role, side, type, status, quantity, filled_quantity, price, stop, take_profit, " \
    "avg_fill_price, text, created_ns, updated_ns"
#define ORDER_PARAMS "?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19"
#define ORDER_DDL \
    "client_order_id TEXT PRIMARY KEY, parent_id TEXT NOT NULL DEFAULT '', " \
    "broker_order_id TEXT NOT NULL DEFAULT '', signal_id TEXT NOT NULL DEFAULT '', " \
    "symbol TEXT NOT NULL, contract TEXT NOT NULL DEFAULT '', role INTEGER NOT NULL, " \
    "side INTEGER NOT NULL, type INTEGER NOT NULL, status INTEGER NOT NULL, " \
    "quantity INTEGER NOT NULL, filled_quantity INTEGER NOT NULL DEFAULT 0, " \
    "price INTEGER NOT NULL DEFAULT 0, stop INTEGER NOT NULL DEFAULT 0, " \
    "take_profit INTEGER NOT NULL DEFAULT 0, avg_fill_price INTEGER NOT NULL DEFAULT 0, " \
    "text TEXT NOT NULL DEFAULT '', created_ns INTEGER NOT NULL DEFAULT 0, " \
    "updated_ns INTEGER NOT NULL DEFAULT 0"

static const char *s_schema =
    "CREATE TABLE IF NOT EXISTS orders (" ORDER_DDL ");"
    "CREATE INDEX IF NOT EXISTS orders_status ON orders(status);"
    "CREATE TABLE IF NOT EXISTS fills ("
    "  fill_id TEXT PRIMARY KEY, client_order_id TEXT NOT NULL, broker_order_id TEXT NOT NULL,"
    "  symbol TEXT NOT NULL, contract TEXT NOT NULL, role INTEGER NOT NULL, side INTEGER NOT NULL,"
    "  price INTEGER NOT NULL, quantity INTEGER NOT NULL, fees_cents INTEGER NOT NULL,"
    "  ts_ns INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS fills_order ON fills(client_order_id);"
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS paper_orders (" ORDER_DDL ","
    "  suspended INTEGER NOT NULL DEFAULT 0, stop_off INTEGER NOT NULL DEFAULT 0,"
    "  target_off INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS paper_positions ("
    "  symbol TEXT PRIMARY KEY, contract TEXT NOT NULL, quantity INTEGER NOT NULL,"
    "  avg_price INTEGER NOT NULL, realized_pnl_cents INTEGER NOT NULL);"
    //  Human views: decimal prices and status names, for sqlite3 users.
    "CREATE VIEW IF NOT EXISTS orders_v AS SELECT client_order_id, parent_id, broker_order_id,"
    "  symbol, contract,"
    "  CASE role WHEN 0 THEN 'entry' WHEN 1 THEN 'stop' WHEN 2 THEN 'target' ELSE 'flatten' END AS role,"
    "  CASE side WHEN 1 THEN 'buy' WHEN 2 THEN 'sell' ELSE 'none' END AS side,"
    "  CASE status WHEN 0 THEN 'pending' WHEN 1 THEN 'working' WHEN 2 THEN 'partial'"
    "   WHEN 3 THEN 'filled' WHEN 4 THEN 'cancelled' WHEN 5 THEN 'rejected'"
    "   WHEN 6 THEN 'expired' ELSE 'unknown' END AS status,"
    "  quantity, filled_quantity, price / 1e9 AS price, stop / 1e9 AS stop,"
    "  take_profit / 1e9 AS take_profit, avg_fill_price / 1e9 AS avg_fill_price, text,"
    "  datetime(created_ns / 1000000000, 'unixepoch') AS created_utc FROM orders;"
    "CREATE VIEW IF NOT EXISTS fills_v AS SELECT fill_id, client_order_id, broker_order_id,"
    "  symbol, contract,"
    "  CASE role WHEN 0 THEN 'entry' WHEN 1 THEN 'stop' WHEN 2 THEN 'target' ELSE 'flatten' END AS role,"
    "  CASE side WHEN 1 THEN 'buy' WHEN 2 THEN 'sell' ELSE 'none' END AS side,"
    "  price / 1e9 AS price, quantity, fees_cents / 100.0 AS fees_usd,"
    "  datetime(ts_ns / 1000000000, 'unixepoch') AS time_utc FROM fills;";

//  A write that did not reach the file: remember it for good. What the
//  store lost cannot be known any more, so the manager stops opening
//  positions (order_store_failed).
static void
s_write_failed(order_store_t *self, const char *what)
{
    //  Once failed, every later write fails too (a full disk fails each md
    //  message's transaction): one line a minute.
    int64_t now = ofts_clock_now_ns();
    if (!self->failed || now - self->error_logged_ns >= 60 * OFTS_NS_PER_SEC) {
        log_error("order_store %s: %s%s", self->path, what, self->failed ? " (still failing; said once a minute)" : "");
        self->error_logged_ns = now;
    }
    if (!self->failed)
        snprintf(self->failure, sizeof(self->failure), "%s", what);
    self->failed = true;
}

static int
s_exec(order_store_t *self, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(self->db, sql, NULL, NULL, &err) != SQLITE_OK) {
        s_write_failed(self, err ? err : sqlite3_errmsg(self->db));
        sqlite3_free(err);
        return -1;
    }
    return 0;
}

//  A read that failed: the store can no longer say what it holds, so it
//  counts as failed too (an error is never "not there").
static void
s_read_failed(order_store_t *self)
{
    char what[200];
    snprintf(what, sizeof(what), "read: %s", sqlite3_errmsg(self->db));
    s_write_failed(self, what);
}

static sqlite3_stmt *
s_prepare(order_store_t *self, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(self->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        s_read_failed(self);
        return NULL;
    }
    return stmt;
}

//  Step a SELECT to its end; -1 (store failed) when it stopped on an error.
static int
s_rows_done(order_store_t *self, sqlite3_stmt *st, int rc, int count)
{
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        s_read_failed(self);
        return -1;
    }
    return count;
}

static int s_write_begin(order_store_t *self);

//  Step a write statement to completion and finalize it (inside the
//  caller's transaction, opened here if this is its first write).
static int
s_done(order_store_t *self, sqlite3_stmt *stmt)
{
    if (s_write_begin(self)) {
        sqlite3_finalize(stmt);
        return -1;
    }
    int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
        s_write_failed(self, sqlite3_errmsg(self->db));
        return -1;
    }
    return 0;
}

//  A store written before the application_id stamp: its own three tables.
static bool
s_legacy(sqlite3 *db)
{
    return ofts_db_has_table(db, "orders") && ofts_db_has_table(db, "fills")
        && ofts_db_has_table(db, "paper_orders");
}

order_store_t *
order_store_open(const char *path, char *err, size_t errlen)
{
    static const ofts_db_spec_t spec = { OFTS_DB_APP_ORDER_STORE, ORDER_STORE_SCHEMA,
                                         "gateway-order store", s_legacy };
    sqlite3 *db = ofts_db_open(path, &spec, err, errlen);
    if (!db)
        return NULL;
    order_store_t *self = calloc(1, sizeof(*self));
    self->path = strdup(path);
    self->db = db;
    //  WAL: readers (users running sqlite3) never block the gateway.
    //  synchronous=FULL: a committed order id survives even a power cut.
    bool memory = strcmp(path, ":memory:") == 0;
    if ((!memory && s_exec(self, "PRAGMA journal_mode=WAL;")) ||
        s_exec(self, "PRAGMA synchronous=FULL;") || s_exec(self, s_schema)) {
        snprintf(err, errlen, "%s: cannot set up: %s", path, self->failure);
        order_store_destroy(&self);
        return NULL;
    }
    return self;
}

order_store_t *
order_store_new(const char *path)
{
    char err[512];
    order_store_t *self = order_store_open(path, err, sizeof(err));
    if (!self)
        log_error("order store refused: %s", err);
    return self;
}

bool
order_store_failed(order_store_t *self)
{
    return self->failed;
}

const char *
order_store_failure(order_store_t *self)
{
    return self->failure;
}

void
order_store_destroy(order_store_t **self_p)
{
    order_store_t *self = *self_p;
    if (!self)
        return;
    if (self->db)
        sqlite3_close(self->db);
    free(self->path);
    free(self);
    *self_p = NULL;
}

const char *
order_store_path(order_store_t *self)
{
    return self->path;
}

//  A transaction is opened lazily, at its first write. gateway-order wraps
//  every bus message in one (a paper fill and its records change together),
//  but most messages are market data that write nothing: BEGIN IMMEDIATE +
//  COMMIT per md message cost 40 % of the service's CPU (file locks and SQL
//  parsing) and made it lag the market under a fast replay. An empty
//  transaction has no effect, so skipping it changes nothing.
int
order_store_begin(order_store_t *self)
{
    self->depth++;
    return 0;
}

//  Called before every write: open the transaction the caller asked for.
static int
s_write_begin(order_store_t *self)
{
    if (self->depth == 0 || self->paused || self->open)
        return 0;
    if (s_exec(self, "BEGIN IMMEDIATE;"))
        return -1;
    self->open = true;
    return 0;
}

//  End the open transaction, if one was opened.
static int
s_end(order_store_t *self)
{
    if (!self->open)
        return 0;
    self->open = false;
    if (s_exec(self, "COMMIT;")) {
        //  A failed commit may leave the transaction open: end it, so the
        //  next one does not nest into a dead one.
        sqlite3_exec(self->db, "ROLLBACK;", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

int
order_store_commit(order_store_t *self)
{
    if (self->depth == 0 || --self->depth > 0)
        return 0;
    if (self->paused) {                 //  nothing open: all written already
        self->paused = false;
        return 0;
    }
    return s_end(self);
}

//  Make what was written durable; the caller's transaction carries on (the
//  next write opens a new one).
int
order_store_flush(order_store_t *self)
{
    if (self->depth == 0 || self->paused)
        return 0;
    return s_end(self);
}

//  Commit, and run in autocommit until resume: no transaction (and no
//  write lock) is held across a call to a remote broker, and whatever the
//  broker's events write meanwhile is durable at once.
int
order_store_pause(order_store_t *self)
{
    if (self->depth == 0 || self->paused)
        return 0;
    self->paused = true;
    return s_end(self);
}

int
order_store_resume(order_store_t *self)
{
    self->paused = false;
    return 0;
}

static void
s_bind_order(sqlite3_stmt *st, const broker_order_t *o)
{
    sqlite3_bind_text(st, 1, o->client_order_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, o->parent_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, o->broker_order_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, o->signal_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, o->symbol, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, o->contract, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, o->role);
    sqlite3_bind_int(st, 8, o->side);
    sqlite3_bind_int(st, 9, o->type);
    sqlite3_bind_int(st, 10, o->status);
    sqlite3_bind_int64(st, 11, o->quantity);
    sqlite3_bind_int64(st, 12, o->filled_quantity);
    sqlite3_bind_int64(st, 13, o->price);
    sqlite3_bind_int64(st, 14, o->stop);
    sqlite3_bind_int64(st, 15, o->take_profit);
    sqlite3_bind_int64(st, 16, o->avg_fill_price);
    sqlite3_bind_text(st, 17, o->text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 18, o->created_ns);
    sqlite3_bind_int64(st, 19, o->updated_ns);
}

static const char *
s_col_text(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? (const char *) t : "";
}

static void
s_read_order(sqlite3_stmt *st, broker_order_t *o)
{
    memset(o, 0, sizeof(*o));
    broker_strlcpy(o->client_order_id, s_col_text(st, 0), sizeof(o->client_order_id));
    broker_strlcpy(o->parent_id, s_col_text(st, 1), sizeof(o->parent_id));
    broker_strlcpy(o->broker_order_id, s_col_text(st, 2), sizeof(o->broker_order_id));
    broker_strlcpy(o->signal_id, s_col_text(st, 3), sizeof(o->signal_id));
    broker_strlcpy(o->symbol, s_col_text(st, 4), sizeof(o->symbol));
    broker_strlcpy(o->contract, s_col_text(st, 5), sizeof(o->contract));
    o->role = sqlite3_column_int(st, 6);
    o->side = sqlite3_column_int(st, 7);
    o->type = sqlite3_column_int(st, 8);
    o->status = sqlite3_column_int(st, 9);
    o->quantity = (uint32_t) sqlite3_column_int64(st, 10);
    o->filled_quantity = (uint32_t) sqlite3_column_int64(st, 11);
    o->price = sqlite3_column_int64(st, 12);
    o->stop = sqlite3_column_int64(st, 13);
    o->take_profit = sqlite3_column_int64(st, 14);
    o->avg_fill_price = sqlite3_column_int64(st, 15);
    broker_strlcpy(o->text, s_col_text(st, 16), sizeof(o->text));
    o->created_ns = sqlite3_column_int64(st, 17);
    o->updated_ns = sqlite3_column_int64(st, 18);
}

int
order_store_order_put(order_store_t *self, const broker_order_t *order)
{
    sqlite3_stmt *st = s_prepare(self, "INSERT OR REPLACE INTO orders (" ORDER_COLS ") VALUES ("
                                       ORDER_PARAMS ");");
    if (!st)
        return -1;
    s_bind_order(st, order);
    return s_done(self, st);
}

int
order_store_order_get(order_store_t *self, const char *client_order_id, broker_order_t *out)
{
    sqlite3_stmt *st = s_prepare(self, "SELECT " ORDER_COLS " FROM orders WHERE client_order_id = ?1;");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, client_order_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int found = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
    if (found == 1 && out)
        s_read_order(st, out);
    sqlite3_finalize(st);
    if (found < 0)
        s_read_failed(self);
    return found;
}

//  Terminal statuses 3..6 (filled, cancelled, rejected, expired).
#define OPEN_FILTER " WHERE status NOT IN (3, 4, 5, 6)"

int
order_store_orders_each(order_store_t *self, bool open_only, order_store_order_fn *fn, void *arg)
{
    sqlite3_stmt *st = s_prepare(self, open_only
        ? "SELECT " ORDER_COLS " FROM orders" OPEN_FILTER " ORDER BY created_ns, rowid;"
        : "SELECT " ORDER_COLS " FROM orders ORDER BY created_ns, rowid;");
    if (!st)
        return -1;
    int count = 0;
    broker_order_t order;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        s_read_order(st, &order);
        fn(arg, &order);
        count++;
    }
    return s_rows_done(self, st, rc, count);
}

int
order_store_fill_add(order_store_t *self, const broker_fill_t *f)
{
    //  INSERT OR IGNORE + changes(): the primary key on fill_id decides
    //  "new or seen", atomically, even across a restart.
    sqlite3_stmt *st = s_prepare(self,
        "INSERT OR IGNORE INTO fills (fill_id, client_order_id, broker_order_id, symbol, contract,"
        " role, side, price, quantity, fees_cents, ts_ns) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11);");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, f->fill_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, f->client_order_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, f->broker_order_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, f->symbol, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, f->contract, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, f->role);
    sqlite3_bind_int(st, 7, f->side);
    sqlite3_bind_int64(st, 8, f->price);
    sqlite3_bind_int64(st, 9, f->quantity);
    sqlite3_bind_int64(st, 10, f->fees_cents);
    sqlite3_bind_int64(st, 11, f->ts_ns);
    if (s_done(self, st))
        return -1;
    return sqlite3_changes(self->db) == 1 ? 1 : 0;
}

static int s_fills_read(order_store_t *self, sqlite3_stmt *st, order_store_fill_fn *fn, void *arg);

#define FILL_COLS "fill_id, client_order_id, broker_order_id, symbol, contract, role, side, price," \
                  " quantity, fees_cents, ts_ns"

int
order_store_fills_each(order_store_t *self, const char *client_order_id,
                       order_store_fill_fn *fn, void *arg)
{
    sqlite3_stmt *st = s_prepare(self, "SELECT " FILL_COLS " FROM fills"
                                       " WHERE ?1 IS NULL OR client_order_id = ?1 ORDER BY ts_ns, rowid;");
    if (!st)
        return -1;
    if (client_order_id)
        sqlite3_bind_text(st, 1, client_order_id, -1, SQLITE_STATIC);
    return s_fills_read(self, st, fn, arg);
}

int
order_store_fills_since(order_store_t *self, int64_t since_ns, order_store_fill_fn *fn, void *arg)
{
    sqlite3_stmt *st = s_prepare(self, "SELECT " FILL_COLS " FROM fills WHERE ts_ns >= ?1"
                                       " ORDER BY ts_ns, rowid;");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, since_ns);
    return s_fills_read(self, st, fn, arg);
}

int64_t
order_store_fill_latest_ns(order_store_t *self)
{
    sqlite3_stmt *st = s_prepare(self, "SELECT coalesce(max(ts_ns), 0) FROM fills;");
    if (!st)
        return 0;
    int64_t ts = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return ts;
}

//  Rows of a fills SELECT (FILL_COLS) to fn; finalizes the statement.
static int
s_fills_read(order_store_t *self, sqlite3_stmt *st, order_store_fill_fn *fn, void *arg)
{
    int count = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        broker_fill_t f;
        memset(&f, 0, sizeof(f));
        broker_strlcpy(f.fill_id, s_col_text(st, 0), sizeof(f.fill_id));
        broker_strlcpy(f.client_order_id, s_col_text(st, 1), sizeof(f.client_order_id));
        broker_strlcpy(f.broker_order_id, s_col_text(st, 2), sizeof(f.broker_order_id));
        broker_strlcpy(f.symbol, s_col_text(st, 3), sizeof(f.symbol));
        broker_strlcpy(f.contract, s_col_text(st, 4), sizeof(f.contract));
        f.role = sqlite3_column_int(st, 5);
        f.side = sqlite3_column_int(st, 6);
        f.price = sqlite3_column_int64(st, 7);
        f.quantity = (uint32_t) sqlite3_column_int64(st, 8);
        f.fees_cents = sqlite3_column_int64(st, 9);
        f.ts_ns = sqlite3_column_int64(st, 10);
        fn(arg, &f);
        count++;
    }
    return s_rows_done(self, st, rc, count);
}

int64_t
order_store_fill_count(order_store_t *self)
{
    sqlite3_stmt *st = s_prepare(self, "SELECT count(*) FROM fills;");
    if (!st)
        return -1;
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
}

int
order_store_meta_set(order_store_t *self, const char *key, int64_t value)
{
    sqlite3_stmt *st = s_prepare(self, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2);");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, value);
    return s_done(self, st);
}

int64_t
order_store_meta_get(order_store_t *self, const char *key, int64_t def)
{
    sqlite3_stmt *st = s_prepare(self, "SELECT value FROM meta WHERE key = ?1;");
    if (!st)
        return def;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int64_t value = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : def;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        s_read_failed(self);
    return value;
}

int
order_store_paper_order_put(order_store_t *self, const order_store_paper_t *row)
{
    sqlite3_stmt *st = s_prepare(self,
        "INSERT OR REPLACE INTO paper_orders (" ORDER_COLS ", suspended, stop_off, target_off)"
        " VALUES (" ORDER_PARAMS ", ?20, ?21, ?22);");
    if (!st)
        return -1;
    s_bind_order(st, &row->order);
    sqlite3_bind_int(st, 20, row->suspended ? 1 : 0);
    sqlite3_bind_int64(st, 21, row->stop_off);
    sqlite3_bind_int64(st, 22, row->target_off);
    return s_done(self, st);
}

static void
s_read_paper(sqlite3_stmt *st, order_store_paper_t *row)
{
    s_read_order(st, &row->order);
    row->suspended = sqlite3_column_int(st, 19) != 0;
    row->stop_off = sqlite3_column_int64(st, 20);
    row->target_off = sqlite3_column_int64(st, 21);
}

int
order_store_paper_order_get(order_store_t *self, const char *client_order_id,
                            order_store_paper_t *out)
{
    sqlite3_stmt *st = s_prepare(self, "SELECT " ORDER_COLS ", suspended, stop_off, target_off"
                                       " FROM paper_orders WHERE client_order_id = ?1;");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, client_order_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int found = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
    if (found == 1 && out)
        s_read_paper(st, out);
    sqlite3_finalize(st);
    return found;
}

int
order_store_paper_orders_each(order_store_t *self, bool open_only, order_store_paper_fn *fn, void *arg)
{
    sqlite3_stmt *st = s_prepare(self, open_only
        ? "SELECT " ORDER_COLS ", suspended, stop_off, target_off FROM paper_orders" OPEN_FILTER
          " ORDER BY created_ns, rowid;"
        : "SELECT " ORDER_COLS ", suspended, stop_off, target_off FROM paper_orders"
          " ORDER BY created_ns, rowid;");
    if (!st)
        return -1;
    int count = 0;
    order_store_paper_t row;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        s_read_paper(st, &row);
        fn(arg, &row);
        count++;
    }
    return s_rows_done(self, st, rc, count);
}

int
order_store_paper_position_put(order_store_t *self, const broker_position_t *pos)
{
    sqlite3_stmt *st = s_prepare(self,
        "INSERT OR REPLACE INTO paper_positions (symbol, contract, quantity, avg_price,"
        " realized_pnl_cents) VALUES (?1, ?2, ?3, ?4, ?5);");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, pos->symbol, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, pos->contract, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, pos->quantity);
    sqlite3_bind_int64(st, 4, pos->avg_price);
    sqlite3_bind_int64(st, 5, pos->realized_pnl_cents);
    return s_done(self, st);
}

int
order_store_paper_positions_each(order_store_t *self, order_store_position_fn *fn, void *arg)
{
    sqlite3_stmt *st = s_prepare(self, "SELECT symbol, contract, quantity, avg_price,"
                                       " realized_pnl_cents FROM paper_positions ORDER BY symbol;");
    if (!st)
        return -1;
    int count = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        broker_position_t p;
        memset(&p, 0, sizeof(p));
        broker_strlcpy(p.symbol, s_col_text(st, 0), sizeof(p.symbol));
        broker_strlcpy(p.contract, s_col_text(st, 1), sizeof(p.contract));
        p.quantity = sqlite3_column_int(st, 2);
        p.avg_price = sqlite3_column_int64(st, 3);
        p.realized_pnl_cents = sqlite3_column_int64(st, 4);
        fn(arg, &p);
        count++;
    }
    return s_rows_done(self, st, rc, count);
}
