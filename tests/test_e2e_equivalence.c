/*  Live replay through the bus and `ofts backtest` give the same trades on
    the same file.

    One simulated market goes through `ofts-backtest --trades` (the cores in
    one process, market time) and through the trading path under `ofts up`
    (four processes on ipc://, risk.clock = market, paper broker) replayed
    in lockstep (bus.lockstep, libofts/ofts_lockstep.h): gateway-md
    publishes the next market time only when risk has finished the last
    one, and each service takes in the others' output for a market time in
    the backtest's order. The round trips gateway-order stored (fills in
    order, by role) must be the backtest's exactly: same symbols,
    directions, entry and exit prices and exit roles in the same order, and
    the same number of approvals - on any machine, at any load.

    (Before lockstep, a paced replay raced the trading path: on a loaded
    machine approvals reached the paper broker after newer market data, and
    CI saw the bus take a different SI trade and one more GC trade.)      */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "e2e_util.h"

#define MAX_TRADES 256

typedef struct {
    char symbol[16];
    int direction;                  //  +1 long, -1 short
    int64_t entry, exit;            //  1e-9 units
    char role[16];                  //  STOP / TARGET / FLATTEN
} trade_t;

//  Tick sizes of the simulated roots (1e-9 units), for the report only.
static int64_t
s_tick(const char *symbol)
{
    static const struct {
        const char *sym;
        int64_t tick;
    } ticks[] = { { "GC", 100000000 }, { "SI", 5000000 }, { "PL", 100000000 }, { "HG", 500000 },
                  { "NQ", 250000000 }, { "ES", 250000000 } };
    for (size_t i = 0; i < sizeof ticks / sizeof ticks[0]; i++)
        if (strcmp(ticks[i].sym, symbol) == 0)
            return ticks[i].tick;
    return 1;
}

//  "2329.4" -> 2329400000000 (1e-9 fixed point); exact, no floating point.
static int64_t
s_price(const char *text)
{
    int64_t sign = 1, whole = 0, frac = 0, scale = 1000000000;
    if (*text == '-') {
        sign = -1;
        text++;
    }
    for (; *text >= '0' && *text <= '9'; text++)
        whole = whole * 10 + (*text - '0');
    if (*text == '.')
        for (text++; *text >= '0' && *text <= '9' && scale > 1; text++) {
            scale /= 10;
            frac += (*text - '0') * scale;
        }
    return sign * (whole * 1000000000 + frac);
}

//  Run ofts-backtest --trades; parse "approved N" and the trade list.
static size_t
s_backtest(const char *config, const char *file, trade_t *trades, long *approved)
{
    char bin[1024], err[1024];
    e2e_bin("ofts-backtest", bin, sizeof bin);
    snprintf(err, sizeof err, "%s.backtest.log", config);
    //  --verbose: the roll is an INFO line the test counts below.
    char *argv[] = { bin, "--config", (char *) config, "--trades", "--verbose", (char *) file, NULL };
    e2e_proc_t p;
    assert_int_equal(e2e_spawn(&p, argv, true, err), 0);
    size_t n = 0;
    bool in_list = false;
    char line[8192];
    *approved = -1;
    while (e2e_read_line(&p, line, sizeof line, e2e_now_ms() + 60000)) {
        long signals, rejected;
        if (sscanf(line, "signals %ld, approved %ld, rejected %ld", &signals, approved, &rejected) == 3)
            continue;
        if (strcmp(line, "trades") == 0) {
            in_list = true;
            continue;
        }
        char when[32], sym[16], dir[16], entry[32], exit[32], role[16];
        unsigned qty;
        if (in_list && n < MAX_TRADES
            && sscanf(line, " %31s %15s %15s %u @ %31s -> %31s (%15[^)])", when, sym, dir, &qty, entry, exit, role)
                   == 7) {
            trade_t *t = &trades[n++];
            snprintf(t->symbol, sizeof t->symbol, "%s", sym);
            t->direction = strcmp(dir, "long") == 0 ? 1 : -1;
            t->entry = s_price(entry);
            t->exit = s_price(exit);
            snprintf(t->role, sizeof t->role, "%s", role);
        }
    }
    int status = e2e_stop(&p, SIGTERM, 5000);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return n;
}

//  Round trips from gateway-order's fills, in the order they closed: a fill
//  from flat opens one, the fill back to flat closes it.
static size_t
s_service_trades(const char *store, trade_t *trades)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(store, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT symbol, side, quantity, price, role FROM fills ORDER BY rowid", -1,
                                        &st, NULL),
                     SQLITE_OK);
    struct {
        char symbol[16];
        int64_t pos, entry;
    } open[16];
    size_t nopen = 0, n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *sym = (const char *) sqlite3_column_text(st, 0);
        int64_t qty = sqlite3_column_int64(st, 2) * (sqlite3_column_int(st, 1) == 1 ? 1 : -1);
        int64_t price = sqlite3_column_int64(st, 3);
        int role = sqlite3_column_int(st, 4);
        size_t i = 0;
        while (i < nopen && strcmp(open[i].symbol, sym) != 0)
            i++;
        if (i == nopen) {
            assert_true(nopen < 16);
            snprintf(open[nopen].symbol, sizeof open[nopen].symbol, "%s", sym);
            open[nopen].pos = open[nopen].entry = 0;
            nopen++;
        }
        int64_t before = open[i].pos;
        open[i].pos += qty;
        if (before == 0)
            open[i].entry = price;
        else if (open[i].pos == 0 && n < MAX_TRADES) {
            trade_t *t = &trades[n++];
            snprintf(t->symbol, sizeof t->symbol, "%s", sym);
            t->direction = before > 0 ? 1 : -1;
            t->entry = open[i].entry;
            t->exit = price;
            snprintf(t->role, sizeof t->role, "%s", role == 1 ? "STOP" : role == 2 ? "TARGET" : role == 3 ? "FLATTEN"
                                                                                                          : "ENTRY");
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static long
s_count(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    long v = sqlite3_step(st) == SQLITE_ROW ? (long) sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void
s_print(const char *who, const trade_t *t)
{
    fprintf(stderr, "  %-8s %-3s %-5s %.9g -> %.9g (%s)\n", who, t->symbol, t->direction > 0 ? "long" : "short",
            (double) t->entry / 1e9, (double) t->exit / 1e9, t->role);
}

static void
t_bus_equals_backtest(void **state)
{
    (void) state;
    char *dir = e2e_tempdir("equiv");
    assert_non_null(dir);
    //  5 simulated minutes (seed 13, 56k records) with several months per
    //  root: GCZ6, a thin GCG7 $20 higher and their spread, and the roll to
    //  GCG7 half way (roll_trades 300). Four closed trades, six approvals.
    char *sim = e2e_sim_months_file(dir, "market.dbn.zst", 5, 13);
    assert_non_null(sim);
    //  In lockstep (bus.lockstep): gateway-md publishes the next market time
    //  only after gateway-order has handled the last one and everything it
    //  caused, so the bus sees what the backtest sees on any machine at any
    //  load. As fast as that allows (--speed 0); the start delay lets the
    //  services outside the chain (risk's fills from gateway-order) connect.
    char extra[4096];
    snprintf(extra, sizeof extra,
             "{\"up\":{\"services\":[\"gateway-order\",\"risk\",\"analyzer\",\"gateway-md\"],"
             "  \"args\":{\"gateway-md\":[\"--replay\",\"%s\",\"--speed\",\"0\"]}},"
             " \"bus\":{\"lockstep\":true},"
             " \"gateway_md\":{\"start_delay_ms\":3000},"
             " \"risk\":{\"clock\":\"market\",\"cooldown_minutes\":1,\"max_orders_per_minute\":60,"
             " \"roll_trades\":300},"
             " \"gateway_order\":{\"broker\":\"paper\"}}",
             sim);
    char *cfg = e2e_write_config(dir, extra);

    trade_t bt[MAX_TRADES], live[MAX_TRADES];
    long bt_approved;
    size_t nbt = s_backtest(cfg, sim, bt, &bt_approved);
    fprintf(stderr, "backtest: %zu trades, %ld approvals\n", nbt, bt_approved);
    assert_true(nbt >= 4);

    char log[1024];
    snprintf(log, sizeof log, "%s/logs/orderflow_trading.log", dir);
    int64_t start = e2e_now_ms();
    int rc = e2e_up_until_replayed(dir, cfg, 2000, 200000);
    fprintf(stderr, "ofts up: replay and stop in %.1f s\n", (double) (e2e_now_ms() - start) / 1000.0);
    assert_int_equal(rc, 0);
    //  Nothing was lost on the way: no service saw a sequence gap or died.
    //  (Each service's stop line counts its gaps: ", gaps 0,".)
    int stops = e2e_count_lines(log, ", gaps ");
    int clean = e2e_count_lines(log, ", gaps 0,");
    int died = e2e_count_lines(log, " died ");
    fprintf(stderr, "log: %d of %d services stopped without a gap, %d deaths\n", clean, stops, died);
    assert_int_equal(died, 0);
    assert_true(stops >= 4);
    assert_int_equal(clean, stops);
    //  The roll happened, once, in the backtest and on the bus.
    char btlog[1024];
    snprintf(btlog, sizeof btlog, "%s.backtest.log", cfg);
    assert_int_equal(e2e_count_lines(btlog, "GC traded contract rolls GCZ6 -> GCG7"), 1);
    assert_int_equal(e2e_count_lines(log, "GC traded contract rolls GCZ6 -> GCG7"), 1);

    char path[1024];
    snprintf(path, sizeof path, "%s/var/gateway-order.db", dir);
    size_t nlive = s_service_trades(path, live);
    snprintf(path, sizeof path, "%s/var/risk.sqlite", dir);
    long live_approved = s_count(path, "SELECT count(*) FROM approvals");
    fprintf(stderr, "bus: %zu trades, %ld approvals\n", nlive, live_approved);

    int price_diffs = 0;
    bool same = nlive == nbt && live_approved == bt_approved;
    for (size_t i = 0; i < nbt || i < nlive; i++) {
        fprintf(stderr, "trade %zu\n", i + 1);
        if (i < nbt)
            s_print("backtest", &bt[i]);
        if (i < nlive)
            s_print("bus", &live[i]);
        if (i >= nbt || i >= nlive)
            continue;
        const trade_t *a = &bt[i], *b = &live[i];
        if (strcmp(a->symbol, b->symbol) != 0 || a->direction != b->direction || strcmp(a->role, b->role) != 0
            || a->exit - a->entry != b->exit - b->entry) {
            fprintf(stderr, "  DIFFERENT TRADE\n");
            same = false;
        }
        else if (a->entry != b->entry) {
            int64_t tick = s_tick(a->symbol);
            fprintf(stderr, "  entry %+lld ticks on the bus\n", (long long) ((b->entry - a->entry) / tick));
            price_diffs++;
        }
    }
    fprintf(stderr, "%zu trades compared; %d with a different entry price\n", nbt, price_diffs);
    //  Freed before any failure (cmocka's fail jumps out): the state stays
    //  on disk for a look.
    if (same && price_diffs == 0)
        e2e_rmtree(dir);
    else
        fprintf(stderr, "state in %s\n", dir);
    free(sim);
    free(cfg);
    free(dir);
    assert_true(same);
    assert_int_equal(price_diffs, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_bus_equals_backtest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
