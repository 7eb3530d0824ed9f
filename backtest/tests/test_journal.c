/*  ofts journal export (issue 16): round trips from a gateway-order store
    and risk's journal, written through the real store APIs, read back by
    the ofts-journal binary in the columns of `ofts backtest --trades-csv`.

    The store holds, by hand:
      GC long 2 @ 2370.0 (signal GC-1-1, stop 2365.0, target 2380.0),
         target fill 2380.0: gross 2 x 100 ticks x $10 = $2,000.00,
         fees 4 x $1.62 = $6.48, net $1,993.52
      NQ short 1 @ 20000.00, still open (fees $1.40)              */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "e2e_util.h"
#include "order_store.h"
#include "research.h"
#include "risk_journal.h"

#define NS 1000000000LL
//  2026-12-01 15:00:00 UTC = 09:00:00 CST
#define T0 (1796137200LL * NS)

static void
s_order(order_store_t *store, const char *id, const char *parent, const char *signal, const char *symbol,
        const char *contract, int role, int side, uint32_t qty, int64_t stop, int64_t tp)
{
    broker_order_t o;
    memset(&o, 0, sizeof o);
    snprintf(o.client_order_id, sizeof o.client_order_id, "%s", id);
    snprintf(o.parent_id, sizeof o.parent_id, "%s", parent);
    snprintf(o.signal_id, sizeof o.signal_id, "%s", signal);
    snprintf(o.symbol, sizeof o.symbol, "%s", symbol);
    snprintf(o.contract, sizeof o.contract, "%s", contract);
    o.role = role;
    o.side = side;
    o.quantity = qty;
    o.stop = stop;
    o.take_profit = tp;
    assert_int_equal(order_store_order_put(store, &o), 0);
}

static void
s_fill(order_store_t *store, const char *fill_id, const char *order, const char *symbol, const char *contract,
       int role, int side, int64_t price, uint32_t qty, int64_t fees, int64_t ts)
{
    broker_fill_t f;
    memset(&f, 0, sizeof f);
    snprintf(f.fill_id, sizeof f.fill_id, "%s", fill_id);
    snprintf(f.client_order_id, sizeof f.client_order_id, "%s", order);
    snprintf(f.symbol, sizeof f.symbol, "%s", symbol);
    snprintf(f.contract, sizeof f.contract, "%s", contract);
    f.role = role;
    f.side = side;
    f.price = price;
    f.quantity = qty;
    f.fees_cents = fees;
    f.ts_ns = ts;
    assert_int_equal(order_store_fill_add(store, &f), 1);     //  1: a new fill
}

static void
t_export(void **state)
{
    (void) state;
    char *dir = e2e_tempdir("journal"), db[1024], rj[1024], out[1024], err[256];
    snprintf(db, sizeof db, "%s/gateway-order.db", dir);
    snprintf(rj, sizeof rj, "%s/risk.sqlite", dir);
    snprintf(out, sizeof out, "%s/journal.csv", dir);
    order_store_t *store = order_store_open(db, err, sizeof err);
    assert_non_null(store);
    const int BUY = 1, SELL = 2, ENTRY = 0, TARGET = 2;
    s_order(store, "o1", "", "GC-1-1", "GC", "GCZ6", ENTRY, BUY, 2, 2365 * NS, 2380 * NS);
    s_order(store, "o1-TP", "o1", "GC-1-1", "GC", "GCZ6", TARGET, SELL, 2, 0, 0);
    s_order(store, "o2", "", "NQ-2-1", "NQ", "NQZ6", ENTRY, SELL, 1, 20020 * NS, 19980 * NS);
    s_fill(store, "F1", "o1", "GC", "GCZ6", ENTRY, BUY, 2370 * NS, 2, 324, T0);
    s_fill(store, "F2", "o2", "NQ", "NQZ6", ENTRY, SELL, 20000 * NS, 1, 140, T0 + 60 * NS);
    s_fill(store, "F3", "o1-TP", "GC", "GCZ6", TARGET, SELL, 2380 * NS, 2, 324, T0 + 125 * NS);
    order_store_destroy(&store);
    risk_journal_t *journal = risk_journal_open(rj, err, sizeof err);
    assert_non_null(journal);
    Ofts__OrderRequest req = OFTS__ORDER_REQUEST__INIT;
    req.client_order_id = "o1";
    req.signal_id = "GC-1-1";
    req.symbol = "GC";
    req.contract = "GCZ6";
    req.side = OFTS__SIDE__SIDE_BUY;
    req.quantity = 2;
    req.confidence = 0.75;
    req.reasons = "Strong buy imbalance: 0.72; Positive cumulative delta: 1,500";
    assert_int_equal(risk_journal_approval(journal, &req, T0, 20261201), 0);
    risk_journal_destroy(&journal);

    char bin[1024];
    char *argv[] = { (char *) e2e_bin("ofts-journal", bin, sizeof bin), "export", "--db", db, "--risk-journal", rj,
                     "-o", out, NULL };
    assert_int_equal(e2e_run(argv, "/dev/null"), 0);
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    char line[4096], header[4096];
    assert_non_null(fgets(line, sizeof line, f));
    //  The same header as ofts backtest --trades-csv.
    FILE *h = fmemopen(header, sizeof header, "w");
    research_trades_header(h);
    fclose(h);
    assert_string_equal(line, header);
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "GC-1-1,GCZ6,GC,long,2,2026-12-01T15:00:00.000000000Z,2026-12-01 09:00:00.000 CST,"
                        "2026-12-01T15:02:05.000000000Z,2026-12-01 09:02:05.000 CST,2370.0,2380.0,2365.0,2380.0,"
                        "TARGET,6.48,2000.00,1993.52,,,125.000,0.7500,"
                        "\"Strong buy imbalance: 0.72; Positive cumulative delta: 1,500\"\n");
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "NQ-2-1,NQZ6,NQ,short,1,2026-12-01T15:01:00.000000000Z,2026-12-01 09:01:00.000 CST,"
                        ",,20000.0,,20020.0,19980.0,OPEN,1.40,0.00,-1.40,,,,,\n");
    assert_null(fgets(line, sizeof line, f));
    fclose(f);
    e2e_rmtree(dir);
    free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_export),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
