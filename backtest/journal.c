/*  journal - round trips from gateway-order's store (live or paper), with
    the signal's reasons and confidence from risk's journal when given:
    the rows `ofts backtest --trades-csv` writes, same columns.

    Fills are read in time order and paired per symbol as the backtest
    does: a fill that takes the position away from zero opens a round
    trip (its order gives the signal id, stop and target), the fill that
    brings it back closes it. The stores hold no market data, so MAE and
    MFE are left empty; a position still open is listed with no exit.  */
#include "journal.h"
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include "ofts.pb-c.h"
#include "ofts_instrument.h"
#include "ofts_msg.h"

#define MAX_OPEN 32

typedef struct {
    bt_trade_t t;
    int32_t position;
    char entry_order[64];
} s_open_t;

typedef struct {
    sqlite3 *store, *risk;
    s_open_t open[MAX_OPEN];
    size_t nopen;
    FILE *out;
    journal_totals_t totals;
} s_ctx_t;

static s_open_t *
s_open(s_ctx_t *c, const char *symbol)
{
    for (size_t i = 0; i < c->nopen; i++)
        if (strcmp(c->open[i].t.symbol, symbol) == 0)
            return &c->open[i];
    if (c->nopen == MAX_OPEN)
        return NULL;
    s_open_t *o = &c->open[c->nopen++];
    memset(o, 0, sizeof *o);
    snprintf(o->t.symbol, sizeof o->t.symbol, "%s", symbol);
    return o;
}

static const char *
s_col(sqlite3_stmt *st, int i)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    return v ? (const char *) v : "";
}

//  The approval risk journaled for this order: confidence and reasons.
static void
s_reasons(s_ctx_t *c, const char *client_order_id, bt_trade_t *t)
{
    t->confidence = NAN;
    if (!c->risk)
        return;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->risk, "SELECT confidence, reasons FROM approvals WHERE client_order_id = ?", -1, &st,
                           NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, client_order_id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        t->confidence = sqlite3_column_type(st, 0) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 0);
        snprintf(t->reasons, sizeof t->reasons, "%s", s_col(st, 1));
    }
    sqlite3_finalize(st);
}

static void
s_fill(s_ctx_t *c, sqlite3_stmt *st)
{
    const char *order = s_col(st, 0), *symbol = s_col(st, 1), *contract = s_col(st, 2);
    int role = sqlite3_column_int(st, 3), side = sqlite3_column_int(st, 4);
    int64_t price = sqlite3_column_int64(st, 5), fees = sqlite3_column_int64(st, 7), ts = sqlite3_column_int64(st, 8);
    int32_t qty = sqlite3_column_int(st, 6);
    s_open_t *o = s_open(c, symbol);
    if (!o)
        return;
    int dir = side == OFTS__SIDE__SIDE_BUY ? 1 : -1;
    int32_t before = o->position;
    o->position += dir * qty;
    if (before == 0) {
        memset(&o->t, 0, sizeof o->t);
        snprintf(o->t.symbol, sizeof o->t.symbol, "%s", symbol);
        snprintf(o->t.contract, sizeof o->t.contract, "%s", contract);
        snprintf(o->t.signal_id, sizeof o->t.signal_id, "%s", s_col(st, 9));
        snprintf(o->entry_order, sizeof o->entry_order, "%s", order);
        o->t.direction = dir;
        o->t.quantity = (uint32_t) qty;
        o->t.entry_ts = ts;
        o->t.entry_px = price;
        o->t.stop_px = sqlite3_column_int64(st, 10);
        o->t.target_px = sqlite3_column_int64(st, 11);
        o->t.fees_cents = fees;
        o->t.mae_cents = o->t.mfe_cents = JOURNAL_UNKNOWN;
        s_reasons(c, order, &o->t);
        return;
    }
    o->t.fees_cents += fees;
    if (o->position != 0)
        return;
    const ofts_instrument_t *in = ofts_instrument_for_contract(contract);
    if (!in)
        in = ofts_instrument_find(symbol);
    o->t.exit_ts = ts;
    o->t.exit_px = price;
    o->t.pnl_cents = (in ? ofts_instrument_pnl_cents(in, o->t.entry_px, price, before) : 0) - o->t.fees_cents;
    snprintf(o->t.exit_role, sizeof o->t.exit_role, "%s", ofts_msg_role_name((Ofts__OrderRole) role));
    research_trades_row(c->out, &o->t);
    c->totals.rows++;
    c->totals.net_cents += o->t.pnl_cents;
}

static sqlite3 *
s_open_db(const char *path, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

int
journal_export(const char *store_path, const char *risk_path, FILE *out, journal_totals_t *totals, char *err,
               size_t errlen)
{
    s_ctx_t c;
    memset(&c, 0, sizeof c);
    c.out = out;
    c.store = s_open_db(store_path, err, errlen);
    if (!c.store)
        return -1;
    if (risk_path && !(c.risk = s_open_db(risk_path, err, errlen))) {
        sqlite3_close(c.store);
        return -1;
    }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(c.store,
        "SELECT f.client_order_id, f.symbol, f.contract, f.role, f.side, f.price, f.quantity, f.fees_cents,"
        " f.ts_ns, COALESCE(o.signal_id, ''), COALESCE(o.stop, 0), COALESCE(o.take_profit, 0)"
        " FROM fills f LEFT JOIN orders o ON o.client_order_id = f.client_order_id"
        " ORDER BY f.ts_ns, f.rowid", -1, &st, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: not a gateway-order store (%s)", store_path, sqlite3_errmsg(c.store));
        sqlite3_close(c.store);
        sqlite3_close(c.risk);
        return -1;
    }
    research_trades_header(out);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        s_fill(&c, st);
    sqlite3_finalize(st);
    //  Still open: no exit, no P&L yet.
    for (size_t i = 0; i < c.nopen; i++)
        if (c.open[i].position != 0) {
            snprintf(c.open[i].t.exit_role, sizeof c.open[i].t.exit_role, "OPEN");
            c.open[i].t.pnl_cents = -c.open[i].t.fees_cents;
            research_trades_row(out, &c.open[i].t);
            c.totals.rows++;
            c.totals.open++;
            c.totals.net_cents += c.open[i].t.pnl_cents;
        }
    sqlite3_close(c.store);
    sqlite3_close(c.risk);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "%s: read failed", store_path);
        return -1;
    }
    if (totals)
        *totals = c.totals;
    return 0;
}
