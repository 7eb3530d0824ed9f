/*  web_agg: footprint bars, heatmap columns, signals approved or rejected
    with the reason, the position's stop and target from the working orders,
    the risk state, and that an update is made only when something changed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "account_fixture.h"
#include "web_agg.h"

#define PX(points) ((int64_t) ((points) * 1e9 + 0.5))
#define T0 ((int64_t) 1764950400 * 1000000000LL)
#define SEC 1000000000LL

static Ofts__Header s_h;

static void
s_send(web_agg_t *agg, Ofts__Envelope *env, int64_t t)
{
    Ofts__Header h = OFTS__HEADER__INIT;
    h.ts_event = t;
    s_h = h;
    env->header = &s_h;
    web_agg_on_message(agg, "", env, t);
}

static void
s_trade(web_agg_t *agg, int64_t t, double px, uint32_t size, Ofts__Side side)
{
    Ofts__Trade tr = OFTS__TRADE__INIT;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    tr.symbol = "GC";
    tr.contract = "GCZ6";
    tr.price = PX(px);
    tr.size = size;
    tr.aggressor = side;
    env.body_case = OFTS__ENVELOPE__BODY_TRADE;
    env.trade = &tr;
    s_send(agg, &env, t);
}

static json_t *
s_contract(json_t *msg)
{
    return json_object_get(json_object_get(msg, "contracts"), "GCZ6");
}

static void
test_footprint_bars(void **state)
{
    (void) state;
    web_agg_config_t cfg = { .bar_ns = 60 * SEC, .column_ns = SEC };
    web_agg_t *agg = web_agg_new(&cfg);
    s_trade(agg, T0 + 1 * SEC, 2000.0, 4, OFTS__SIDE__SIDE_BUY);
    s_trade(agg, T0 + 2 * SEC, 2000.0, 1, OFTS__SIDE__SIDE_SELL);
    s_trade(agg, T0 + 3 * SEC, 1999.9, 7, OFTS__SIDE__SIDE_SELL);
    s_trade(agg, T0 + 61 * SEC, 2000.1, 2, OFTS__SIDE__SIDE_BUY);      //  next bar
    json_t *snap = web_agg_snapshot(agg, T0);
    json_t *bars = json_object_get(s_contract(snap), "bars");
    assert_int_equal(json_array_size(bars), 2);
    json_t *b0 = json_array_get(bars, 0), *b1 = json_array_get(bars, 1);
    assert_int_equal(json_integer_value(json_object_get(b0, "delta")), 4 - 1 - 7);
    assert_int_equal(json_integer_value(json_object_get(b0, "cd")), -4);
    assert_int_equal(json_integer_value(json_object_get(b1, "delta")), 2);
    assert_int_equal(json_integer_value(json_object_get(b1, "cd")), -2);
    assert_true(json_real_value(json_object_get(b0, "h")) == 2000.0);
    assert_true(json_real_value(json_object_get(b0, "l")) == 1999.9);
    //  VWAP over the session: (2000*5 + 1999.9*7 + 2000.1*2) / 14 = 1999.9642857
    assert_true(fabs(json_real_value(json_object_get(b1, "vwap")) - 1999.9642857) < 1e-6);
    json_t *c1 = json_array_get(json_object_get(b0, "cells"), 1);
    assert_true(json_real_value(json_array_get(c1, 0)) == 1999.9);
    assert_int_equal(json_integer_value(json_array_get(c1, 1)), 7);
    assert_int_equal(json_integer_value(json_array_get(c1, 2)), 0);
    //  Trades since the last push grouped per price and side: 4 groups.
    assert_int_equal(json_array_size(json_object_get(s_contract(snap), "trades")), 4);
    json_decref(snap);
    web_agg_destroy(&agg);
}

//  A replay far faster than real time fills the 128 (price, side) groups
//  of a push: later trades at those prices still add to their group, new
//  ones only to the footprint, and the next push starts with no groups.
static void
test_trade_groups_in_a_flood(void **state)
{
    (void) state;
    web_agg_config_t cfg = { .bar_ns = 3600 * SEC, .column_ns = SEC };
    web_agg_t *agg = web_agg_new(&cfg);
    //  100 prices x 2 sides: the first 128 (price, side) pairs make groups.
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 100; i++) {
            s_trade(agg, T0 + SEC, 2000.0 + i * 0.1, 1 + round, OFTS__SIDE__SIDE_BUY);
            s_trade(agg, T0 + SEC, 2000.0 + i * 0.1, 1, OFTS__SIDE__SIDE_SELL);
        }
    json_t *u = web_agg_update(agg, T0);
    json_t *trades = json_object_get(s_contract(u), "trades");
    assert_int_equal(json_array_size(trades), 128);
    //  In the order they opened: buy 2000.0, sell 2000.0, buy 2000.1, ...
    //  each with the three rounds' sizes (1 + 2 + 3 bought, 3 x 1 sold).
    for (size_t k = 0; k < 128; k++) {
        json_t *g = json_array_get(trades, k);
        assert_true(fabs(json_real_value(json_array_get(g, 1)) - (2000.0 + (double) (k / 2) * 0.1)) < 1e-9);
        assert_int_equal(json_integer_value(json_array_get(g, 2)), k % 2 ? 3 : 6);
        assert_int_equal(json_integer_value(json_array_get(g, 3)), k % 2 ? 2 : 1);
    }
    //  Every trade is in the footprint, grouped or not: 100 x (6 + 3).
    json_t *bar = json_array_get(json_object_get(s_contract(u), "bars"), 0);
    assert_int_equal(json_integer_value(json_object_get(bar, "vol")), 900);
    json_decref(u);
    //  The next push: a price that had a group opens a new one.
    s_trade(agg, T0 + 2 * SEC, 2000.0, 5, OFTS__SIDE__SIDE_BUY);
    s_trade(agg, T0 + 2 * SEC, 2009.9, 4, OFTS__SIDE__SIDE_SELL);
    s_trade(agg, T0 + 2 * SEC, 2000.0, 2, OFTS__SIDE__SIDE_BUY);
    u = web_agg_update(agg, T0);
    trades = json_object_get(s_contract(u), "trades");
    assert_int_equal(json_array_size(trades), 2);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(trades, 0), 2)), 7);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(trades, 1), 2)), 4);
    json_decref(u);
    web_agg_destroy(&agg);
}

static int
s_append(const char *data, size_t size, void *arg)
{
    char *buf = arg;
    size_t len = strlen(buf);
    if (len + size >= 65536)
        return -1;
    memcpy(buf + len, data, size);
    buf[len + size] = 0;
    return 0;
}

//  The series are written without jansson: prices go out in points, exactly
//  (from the 1e-9 fixed point), always with a point so a JSON parser reads
//  a real as it did from jansson; a missing price is null.
static void
test_text_prices(void **state)
{
    (void) state;
    web_agg_config_t cfg = { .bar_ns = 60 * SEC, .column_ns = SEC };
    web_agg_t *agg = web_agg_new(&cfg);
    s_trade(agg, T0 + SEC, 2000.0, 4, OFTS__SIDE__SIDE_BUY);
    s_trade(agg, T0 + SEC, 1999.9, 7, OFTS__SIDE__SIDE_SELL);
    Ofts__Trade tr = OFTS__TRADE__INIT;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    tr.symbol = "HG";
    tr.contract = "HGH7";
    tr.price = 4000500000LL;            //  4.0005
    tr.size = 3;
    tr.aggressor = OFTS__SIDE__SIDE_SELL;
    env.body_case = OFTS__ENVELOPE__BODY_TRADE;
    env.trade = &tr;
    s_send(agg, &env, T0 + SEC);
    tr.contract = "XX";
    tr.price = -1500000000LL;           //  a spread can trade below zero
    s_send(agg, &env, T0 + SEC);
    char *text = calloc(1, 65536);
    assert_int_equal(web_agg_snapshot_write(agg, T0, s_append, text), 0);
    assert_non_null(strstr(text, "\"cells\":[[2000.0,0,4],[1999.9,7,0]]"));
    assert_non_null(strstr(text, "\"o\":2000.0,\"h\":2000.0,\"l\":1999.9,\"c\":1999.9,"));
    assert_non_null(strstr(text, "\"cells\":[[4.0005,3,0]]"));
    assert_non_null(strstr(text, "\"trades\":[[1764950401000,-1.5,3,2]]"));
    assert_non_null(strstr(text, "\"metrics\":null"));
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    json_t *bar = json_array_get(json_object_get(s_contract(j), "bars"), 0);
    //  (2000 * 4 + 1999.9 * 7) / 11 = 1999.936363636
    assert_true(json_is_real(json_object_get(bar, "vwap")));
    assert_true(fabs(json_real_value(json_object_get(bar, "vwap")) - 1999.936363636) < 1e-9);
    json_decref(j);
    free(text);
    web_agg_destroy(&agg);
}

static void
test_update_only_what_changed(void **state)
{
    (void) state;
    web_agg_config_t cfg = { .bar_ns = 60 * SEC, .column_ns = SEC };
    web_agg_t *agg = web_agg_new(&cfg);
    assert_null(web_agg_update(agg, T0));
    s_trade(agg, T0 + 1 * SEC, 2000.0, 4, OFTS__SIDE__SIDE_BUY);
    json_t *u = web_agg_update(agg, T0);
    assert_non_null(u);
    assert_int_equal(json_integer_value(json_object_get(u, "seq")), 1);
    json_decref(u);
    assert_null(web_agg_update(agg, T0));
    //  The open bar is resent with its new total; the old trade group is not.
    s_trade(agg, T0 + 2 * SEC, 2000.0, 3, OFTS__SIDE__SIDE_BUY);
    u = web_agg_update(agg, T0);
    assert_int_equal(json_integer_value(json_object_get(u, "seq")), 2);
    json_t *bars = json_object_get(s_contract(u), "bars");
    assert_int_equal(json_array_size(bars), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(bars, 0), "vol")), 7);
    json_t *trades = json_object_get(s_contract(u), "trades");
    assert_int_equal(json_array_size(trades), 1);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(trades, 0), 2)), 3);
    json_decref(u);
    web_agg_destroy(&agg);
}

static void
test_heatmap_columns(void **state)
{
    (void) state;
    web_agg_config_t cfg = { .bar_ns = 60 * SEC, .column_ns = SEC };
    web_agg_t *agg = web_agg_new(&cfg);
    Ofts__Level l0 = OFTS__LEVEL__INIT, l1 = OFTS__LEVEL__INIT;
    Ofts__Level *lv[] = { &l0, &l1 };
    l0.bid_px = PX(2000.0); l0.bid_sz = 12; l0.ask_px = PX(2000.1); l0.ask_sz = 9;
    l1.bid_px = PX(1999.9); l1.bid_sz = 30; l1.ask_px = PX(2000.2); l1.ask_sz = 0;     //  empty: not drawn
    Ofts__Depth d = OFTS__DEPTH__INIT;
    d.symbol = "GC"; d.contract = "GCZ6"; d.n_levels = 2; d.levels = lv;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_DEPTH;
    env.depth = &d;
    s_send(agg, &env, T0 + 100);
    l0.bid_sz = 15;                                                          //  same second: replaces
    s_send(agg, &env, T0 + 500000000);
    s_send(agg, &env, T0 + 1 * SEC + 1);                                     //  next column
    json_t *snap = web_agg_snapshot(agg, T0);
    json_t *cols = json_object_get(s_contract(snap), "cols");
    assert_int_equal(json_array_size(cols), 2);
    json_t *lvs = json_object_get(json_array_get(cols, 0), "lv");
    assert_int_equal(json_array_size(lvs), 3);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(lvs, 0), 1)), 15);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(lvs, 0), 2)), 1);   //  a bid
    assert_int_equal(json_integer_value(json_array_get(json_array_get(lvs, 1), 2)), 0);   //  an ask
    json_decref(snap);
    web_agg_destroy(&agg);
}

static void
s_signal(web_agg_t *agg, const char *id)
{
    Ofts__Signal s = OFTS__SIGNAL__INIT;
    s.id = (char *) id; s.symbol = "GC"; s.contract = "GCZ6";
    s.direction = OFTS__SIDE__SIDE_BUY;
    s.entry = PX(2000.0); s.stop = PX(1995.0); s.take_profit = PX(2010.0);
    s.confidence = 0.8;
    s.reasons = "Strong buy imbalance: 0.72";
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_SIGNAL;
    env.signal = &s;
    s_send(agg, &env, T0);
}

static void
test_signals_orders_position(void **state)
{
    (void) state;
    web_agg_config_t cfg = { .daily_loss_cents = 100000 };
    web_agg_t *agg = web_agg_new(&cfg);
    s_signal(agg, "sig-1");
    s_signal(agg, "sig-2");
    s_signal(agg, "sig-1");                                                  //  re-sent: not a new one
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    Ofts__RiskReject rj = OFTS__RISK_REJECT__INIT;
    rj.signal_id = "sig-2"; rj.symbol = "GC"; rj.code = OFTS__REJECT_CODE__REJECT_COOLDOWN;
    rj.text = "cooldown: 4 min left";
    env.body_case = OFTS__ENVELOPE__BODY_RISK_REJECT;
    env.risk_reject = &rj;
    s_send(agg, &env, T0);
    Ofts__OrderRequest r = OFTS__ORDER_REQUEST__INIT;
    r.client_order_id = "o-1"; r.signal_id = "sig-1"; r.symbol = "GC"; r.contract = "GCZ6";
    r.side = OFTS__SIDE__SIDE_BUY; r.quantity = 1; r.entry = PX(2000.0); r.stop = PX(1995.0);
    r.take_profit = PX(2010.0);
    env.body_case = OFTS__ENVELOPE__BODY_ORDER_REQUEST;
    env.order_request = &r;
    s_send(agg, &env, T0);
    Ofts__Position p = OFTS__POSITION__INIT;
    p.symbol = "GC"; p.contract = "GCZ6"; p.quantity = 1; p.avg_price = PX(2000.1); p.client_order_id = "o-1";
    env.body_case = OFTS__ENVELOPE__BODY_POSITION;
    env.position = &p;
    s_send(agg, &env, T0);
    //  Before the protective orders work: the levels the entry asked for.
    json_t *snap = web_agg_snapshot(agg, T0);
    json_t *pos = json_array_get(json_object_get(snap, "positions"), 0);
    assert_true(json_real_value(json_object_get(pos, "entry")) == 2000.1);
    assert_true(json_real_value(json_object_get(pos, "stop")) == 1995.0);
    assert_true(json_real_value(json_object_get(pos, "target")) == 2010.0);
    json_t *sigs = json_object_get(snap, "signals");
    assert_int_equal(json_array_size(sigs), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(sigs, 0), "status")), "approved");
    assert_string_equal(json_string_value(json_object_get(json_array_get(sigs, 1), "status")), "rejected");
    assert_string_equal(json_string_value(json_object_get(json_array_get(sigs, 1), "reject")), "cooldown: 4 min left");
    assert_string_equal(json_string_value(json_object_get(json_array_get(sigs, 1), "reasons")),
                        "Strong buy imbalance: 0.72");
    json_decref(snap);
    //  Then the working stop (moved) wins over the request.
    Ofts__OrderUpdate u = OFTS__ORDER_UPDATE__INIT;
    u.client_order_id = "o-1-stop"; u.symbol = "GC"; u.role = OFTS__ORDER_ROLE__ROLE_STOP;
    u.status = OFTS__ORDER_STATUS__STATUS_WORKING; u.price = PX(1996.0); u.quantity = 1;
    env.body_case = OFTS__ENVELOPE__BODY_ORDER_UPDATE;
    env.order_update = &u;
    s_send(agg, &env, T0);
    Ofts__AccountState a = OFTS__ACCOUNT_STATE__INIT;
    a.balance_cents = 5000000; a.realized_pnl_cents = -30000; a.unrealized_pnl_cents = -5000;
    a.mll_floor_cents = 4800000; a.state = OFTS__TRADING_STATE__STATE_HALTED; a.state_reason = "operator kill";
    env.body_case = OFTS__ENVELOPE__BODY_ACCOUNT;
    env.account = &a;
    s_send(agg, &env, T0);
    snap = web_agg_snapshot(agg, T0);
    pos = json_array_get(json_object_get(snap, "positions"), 0);
    assert_true(json_real_value(json_object_get(pos, "stop")) == 1996.0);
    json_t *acct = json_object_get(snap, "account");
    assert_string_equal(json_string_value(json_object_get(acct, "state")), "HALTED");
    assert_string_equal(json_string_value(json_object_get(acct, "reason")), "operator kill");
    assert_int_equal(json_integer_value(json_object_get(acct, "to_daily_limit")), 100000 - 35000);
    assert_int_equal(json_integer_value(json_object_get(acct, "to_floor")), 5000000 - 5000 - 4800000);
    json_t *o = json_array_get(json_object_get(snap, "orders"), 1);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "WORKING");
    assert_string_equal(json_string_value(json_object_get(o, "role")), "STOP");
    json_decref(snap);
    web_agg_destroy(&agg);
}

static void
s_risk_account(web_agg_t *agg, const char *id, int64_t balance, int64_t day, int64_t dll, int64_t floor, int state)
{
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    Ofts__AccountState a;
    account_fixture(&a, id, balance, day, dll, floor, state);
    env.body_case = OFTS__ENVELOPE__BODY_ACCOUNT;
    env.account = &a;
    web_agg_on_message(agg, "risk.account.", &env, T0);
}

//  Several accounts (issue 19): each of risk's accounts with its distances
//  to its own limits (gateway-order's AccountState of the same name does
//  not overwrite it); a position row per account.
static void
test_accounts(void **state)
{
    (void) state;
    web_agg_config_t cfg = { 0 };
    web_agg_t *agg = web_agg_new(&cfg);
    s_risk_account(agg, "TC-50K", 5058734, 58734, 100000, 4800000, OFTS__TRADING_STATE__STATE_ACTIVE);
    s_risk_account(agg, "XFA-150K", 14700000, -300000, 300000, 14550000, OFTS__TRADING_STATE__STATE_HALTED);
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    Ofts__AccountState g = OFTS__ACCOUNT_STATE__INIT;
    g.account_id = "TC-50K";                    //  gateway-order's: no balance
    env.body_case = OFTS__ENVELOPE__BODY_ACCOUNT;
    env.account = &g;
    web_agg_on_message(agg, "exec.account.", &env, T0);
    const char *accounts[2] = { "TC-50K", "XFA-150K" };
    for (int i = 0; i < 2; i++) {
        Ofts__Position p = OFTS__POSITION__INIT;
        p.symbol = "GC"; p.contract = "GCZ6"; p.account = (char *) accounts[i]; p.quantity = i + 1;
        env.body_case = OFTS__ENVELOPE__BODY_POSITION;
        env.position = &p;
        web_agg_on_message(agg, "exec.position.GC.", &env, T0);
    }
    json_t *snap = web_agg_snapshot(agg, T0);
    json_t *list = json_object_get(snap, "accounts");
    assert_int_equal(json_array_size(list), 2);
    json_t *a = json_array_get(list, 0), *b = json_array_get(list, 1);
    assert_string_equal(json_string_value(json_object_get(a, "id")), "TC-50K");
    assert_int_equal(json_integer_value(json_object_get(a, "balance")), 5058734);
    assert_int_equal(json_integer_value(json_object_get(a, "to_daily_limit")), 158734);
    assert_int_equal(json_integer_value(json_object_get(a, "to_floor")), 258734);
    assert_string_equal(json_string_value(json_object_get(b, "state")), "HALTED");
    assert_int_equal(json_integer_value(json_object_get(b, "to_daily_limit")), 0);
    assert_int_equal(json_integer_value(json_object_get(b, "to_floor")), 150000);
    json_t *pos = json_object_get(snap, "positions");
    assert_int_equal(json_array_size(pos), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(pos, 1), "account")), "XFA-150K");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(pos, 1), "qty")), 2);
    json_decref(snap);
    web_agg_destroy(&agg);
}

static void
test_gaps(void **state)
{
    (void) state;
    web_agg_config_t cfg = { 0 };
    web_agg_t *agg = web_agg_new(&cfg);
    web_agg_on_gap(agg, "gateway-md", 5);
    web_agg_on_gap(agg, "gateway-md", 2);
    json_t *snap = web_agg_snapshot(agg, T0);
    json_t *g = json_array_get(json_object_get(snap, "gaps"), 0);
    assert_int_equal(json_integer_value(json_object_get(g, "missing")), 7);
    assert_int_equal(json_integer_value(json_object_get(g, "events")), 2);
    json_decref(snap);
    web_agg_destroy(&agg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_footprint_bars),
        cmocka_unit_test(test_update_only_what_changed),
        cmocka_unit_test(test_trade_groups_in_a_flood),
        cmocka_unit_test(test_text_prices),
        cmocka_unit_test(test_heatmap_columns),
        cmocka_unit_test(test_signals_orders_position),
        cmocka_unit_test(test_gaps),
        cmocka_unit_test(test_accounts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
