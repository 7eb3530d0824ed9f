#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>
#include "report.h"

static void
t_reason_key(void **state)
{
    (void) state;
    char key[256];
    report_reason_key("Strong buy imbalance: 0.72; Positive cumulative delta: 1,500; Aggressive buying: 0.65", key,
                      sizeof key);
    assert_string_equal(key, "imbalance + cumulative delta + aggressive");
    report_reason_key("Strong sell imbalance: -0.81; Negative cumulative delta: -2,100", key, sizeof key);
    assert_string_equal(key, "imbalance + cumulative delta");
    report_reason_key("", key, sizeof key);
    assert_string_equal(key, "(none)");
}

static bt_trade_t
s_trade(const char *sym, int64_t pnl, const char *reasons)
{
    bt_trade_t t;
    memset(&t, 0, sizeof t);
    strcpy(t.symbol, sym);
    t.pnl_cents = pnl;
    strcpy(t.reasons, reasons);
    return t;
}

static void
t_stats_by_hand(void **state)
{
    (void) state;
    //  P&L $: +1000, +400, -1100, -500, +2000. Gross wins 3400, losses 1600,
    //  profit factor 3400 / 1600 = 2.125.
    bt_trade_t t[] = {
        s_trade("GC", 100000, "Strong buy imbalance: 0.7"),
        s_trade("NQ", 40000, "Strong buy imbalance: 0.7; Positive cumulative delta: 1,200"),
        s_trade("GC", -110000, "Strong sell imbalance: -0.7"),
        s_trade("NQ", -50000, "Strong buy imbalance: 0.7; Positive cumulative delta: 1,200"),
        s_trade("GC", 200000, "Strong sell imbalance: -0.9"),
    };
    report_t *r = report_new(t, 5);
    assert_int_equal(r->total.trades, 5);
    assert_int_equal(r->total.wins, 3);
    assert_int_equal(r->total.pnl_cents, 180000);
    assert_int_equal(r->total.gross_win_cents, 340000);
    assert_int_equal(r->total.gross_loss_cents, 160000);
    assert_true(fabs(report_profit_factor(&r->total) - 2.125) < 1e-12);
    //  equity 1000, 1400, 300, -200, 1800 (dollars): peak 1400 -> -200 = 1600
    assert_int_equal(r->max_drawdown_cents, 160000);
    assert_int_equal(r->nsymbols, 2);
    assert_string_equal(r->by_symbol[0].key, "GC");
    assert_int_equal(r->by_symbol[0].trades, 3);
    assert_int_equal(r->by_symbol[0].pnl_cents, 190000);
    assert_int_equal(r->nreasons, 2);
    assert_string_equal(r->by_reason[0].key, "imbalance");
    assert_int_equal(r->by_reason[0].trades, 3);
    assert_string_equal(r->by_reason[1].key, "imbalance + cumulative delta");
    assert_int_equal(r->by_reason[1].wins, 1);
    report_destroy(&r);
    assert_null(r);
    report_t *empty = report_new(NULL, 0);
    assert_int_equal(empty->total.trades, 0);
    assert_true(report_profit_factor(&empty->total) == 0.0);
    report_destroy(&empty);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_reason_key),
        cmocka_unit_test(t_stats_by_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
