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
#include <sys/wait.h>
#include "e2e_util.h"
#include "ofts_fs.h"
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

//  The store and risk journal of the header's comment.
static void
s_stores_gc_nq(const char *db, const char *rj)
{
    char err[256];
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
}

static void
t_export(void **state)
{
    (void) state;
    char *dir = e2e_tempdir("journal"), db[1024], rj[1024], out[1024];
    snprintf(db, sizeof db, "%s/gateway-order.db", dir);
    snprintf(rj, sizeof rj, "%s/risk.sqlite", dir);
    snprintf(out, sizeof out, "%s/journal.csv", dir);
    s_stores_gc_nq(db, rj);

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

//  Several accounts (issue 19): each account's store and journal (named
//  "-<id>" as gateway-order and risk name them) to its own CSV, a line per
//  account and the total. TC-50K: the fixture above (GC +$1,993.52, NQ
//  open with $1.40 fees: net $1,992.12). XFA-150K: GC long 1 @ 2370.0
//  stopped at 2365.0: 50 ticks x $10 = -$500.00, fees 2 x $1.62 ->
//  -$503.24. Total $1,488.88.
static void
t_export_accounts(void **state)
{
    (void) state;
    char *dir = e2e_tempdir("journal2"), path[1024], path2[1024], err[256], cmd[4096];
    snprintf(path, sizeof path, "%s/var", dir);
    assert_int_equal(ofts_mkdir_p(path, 0700), 0);
    snprintf(path, sizeof path, "%s/var/gateway-order-TC-50K.db", dir);
    snprintf(path2, sizeof path2, "%s/var/risk-TC-50K.sqlite", dir);
    s_stores_gc_nq(path, path2);
    snprintf(path, sizeof path, "%s/var/gateway-order-XFA-150K.db", dir);
    order_store_t *store = order_store_open(path, err, sizeof err);
    assert_non_null(store);
    s_order(store, "o3", "", "GC-3-1", "GC", "GCZ6", 0, 1, 1, 2365 * NS, 2380 * NS);
    s_order(store, "o3-SL", "o3", "GC-3-1", "GC", "GCZ6", 1, 2, 1, 0, 0);
    s_fill(store, "G1", "o3", "GC", "GCZ6", 0, 1, 2370 * NS, 1, 162, T0);
    s_fill(store, "G2", "o3-SL", "GC", "GCZ6", 1, 2, 2365 * NS, 1, 162, T0 + 30 * NS);
    order_store_destroy(&store);
    snprintf(path, sizeof path, "%s/var/risk-XFA-150K.sqlite", dir);
    risk_journal_t *journal = risk_journal_open(path, err, sizeof err);      //  no approvals: no reasons
    assert_non_null(journal);
    risk_journal_destroy(&journal);
    char *cfg = e2e_write_config(dir, "{\"risk\":{\"accounts\":[{\"id\":\"TC-50K\"},{\"id\":\"XFA-150K\"}]}}");
    char bin[1024];
    e2e_bin("ofts-journal", bin, sizeof bin);
    //  Without -o: refused (two CSVs cannot share stdout).
    snprintf(cmd, sizeof cmd, "%s export --config %s --no-risk >/dev/null 2>&1", bin, cfg);
    assert_int_equal(WEXITSTATUS(system(cmd)), 2);
    snprintf(cmd, sizeof cmd, "%s export --config %s -o %s/j.csv > %s/summary.txt", bin, cfg, dir, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/summary.txt", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024], want[1024];
    assert_non_null(fgets(line, sizeof line, f));
    snprintf(want, sizeof want, "%-24s %4d round trips (1 open), net %+11.2f  %s/j-TC-50K.csv\n", "TC-50K", 2,
             1992.12, dir);
    assert_string_equal(line, want);
    assert_non_null(fgets(line, sizeof line, f));
    snprintf(want, sizeof want, "%-24s %4d round trips (0 open), net %+11.2f  %s/j-XFA-150K.csv\n", "XFA-150K", 1,
             -503.24, dir);
    assert_string_equal(line, want);
    assert_non_null(fgets(line, sizeof line, f));
    snprintf(want, sizeof want, "%-24s %4d round trips (1 open), net %+11.2f\n", "total", 3, 1488.88);
    assert_string_equal(line, want);
    fclose(f);
    //  --account: that account's rows, to stdout.
    snprintf(cmd, sizeof cmd, "%s export --config %s --account XFA-150K > %s/x.csv", bin, cfg, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/x.csv", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));             //  header
    assert_non_null(fgets(line, sizeof line, f));
    assert_non_null(strstr(line, "GC-3-1,GCZ6,GC,long,1,"));
    assert_non_null(strstr(line, ",STOP,3.24,-500.00,-503.24,"));
    assert_null(fgets(line, sizeof line, f));
    fclose(f);
    free(cfg);
    e2e_rmtree(dir);
    free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_export),
        cmocka_unit_test(t_export_accounts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
