#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "account_fixture.h"
#include "dashboard.h"

#define SEC 1000000000LL

static char *
s_render(dashboard_t *d, int64_t now)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    dashboard_render(d, f, now, false);
    fclose(f);
    return buf;
}

static void
t_rows_account_and_health(void **state)
{
    (void) state;
    dashboard_t *d = dashboard_new(3 * SEC);
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;

    Ofts__Trade tr = OFTS__TRADE__INIT;
    tr.symbol = "GC"; tr.price = 2350100000000LL; tr.size = 2;
    env.body_case = OFTS__ENVELOPE__BODY_TRADE; env.trade = &tr;
    dashboard_on_message(d, "md.trade.GC.", &env, 0);

    Ofts__Metrics m = OFTS__METRICS__INIT;
    m.symbol = "GC"; m.imbalance_ratio = 0.72; m.cumulative_delta = 1500;
    env.body_case = OFTS__ENVELOPE__BODY_METRICS; env.metrics = &m;
    dashboard_on_message(d, "of.metrics.GC.", &env, 0);

    Ofts__Signal sig = OFTS__SIGNAL__INIT;
    sig.symbol = "GC"; sig.direction = OFTS__SIDE__SIDE_BUY; sig.confidence = 0.8;
    sig.entry = 2350100000000LL; sig.stop = 2345100000000LL; sig.take_profit = 2360100000000LL;
    sig.reasons = "Strong buy imbalance: 0.72";
    env.body_case = OFTS__ENVELOPE__BODY_SIGNAL; env.signal = &sig;
    dashboard_on_message(d, "of.signal.GC.", &env, 0);

    Ofts__Position pos = OFTS__POSITION__INIT;
    pos.symbol = "GC"; pos.quantity = 1; pos.avg_price = 2350200000000LL; pos.unrealized_pnl_cents = -1000;
    pos.protected_ = 1;
    env.body_case = OFTS__ENVELOPE__BODY_POSITION; env.position = &pos;
    dashboard_on_message(d, "exec.position.GC.", &env, 0);

    Ofts__AccountState acct = OFTS__ACCOUNT_STATE__INIT;
    acct.balance_cents = 5000000; acct.state = OFTS__TRADING_STATE__STATE_REDUCING; acct.state_reason = "flatten time";
    env.body_case = OFTS__ENVELOPE__BODY_ACCOUNT; env.account = &acct;
    dashboard_on_message(d, "risk.account.", &env, 0);

    Ofts__Heartbeat hb = OFTS__HEARTBEAT__INIT;
    hb.service = "risk"; hb.pid = 42; hb.state = "running";
    env.body_case = OFTS__ENVELOPE__BODY_HEARTBEAT; env.heartbeat = &hb;
    dashboard_on_message(d, "sys.heartbeat.risk.", &env, 0);
    dashboard_on_gap(d, "gateway-md", 3);
    dashboard_on_gap(d, "gateway-md", 2);

    char *text = s_render(d, 1 * SEC);
    assert_non_null(strstr(text, "GC     2350.1         -         -  0.72   1500 BUY   +1    2350.2     -$10.00\n"));
    assert_non_null(strstr(text, "GC   BUY  2350.1 stop 2345.1 target 2360.1: Strong buy imbalance: 0.72"));
    assert_non_null(strstr(text, "balance $50,000.00  day $0.00  open $0.00  flatten time"));
    assert_non_null(strstr(text, " REDUCING"));
    assert_non_null(strstr(text, "services risk ok"));
    assert_non_null(strstr(text, "gaps: 5 messages from gateway-md missing"));
    assert_null(strstr(text, "UNPROTECTED"));
    assert_non_null(strstr(text, "working orders: none"));
    assert_null(strstr(text, "nothing is running"));
    free(text);
    text = s_render(d, 5 * SEC);        //  heartbeat 5 s old, timeout 3 s
    assert_non_null(strstr(text, "services risk DOWN"));
    assert_non_null(strstr(text, "nothing is running"));
    free(text);
    dashboard_destroy(&d);
    assert_null(d);
}

static void
s_feed(dashboard_t *d, Ofts__Envelope *env, const char *topic)
{
    dashboard_on_message(d, topic, env, 0);
}

static void
s_account(dashboard_t *d, const char *id, int64_t balance, int64_t day, int64_t dll, int64_t floor, int state)
{
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    Ofts__AccountState a;
    account_fixture(&a, id, balance, day, dll, floor, state);
    env.body_case = OFTS__ENVELOPE__BODY_ACCOUNT;
    env.account = &a;
    s_feed(d, &env, "risk.account.");
}

static void
s_position(dashboard_t *d, const char *account, int32_t qty, int64_t upnl, bool protected_)
{
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    Ofts__Position p = OFTS__POSITION__INIT;
    p.symbol = "GC";
    p.account = (char *) account;
    p.quantity = qty;
    p.avg_price = 2350200000000LL;
    p.unrealized_pnl_cents = upnl;
    p.protected_ = protected_;
    env.body_case = OFTS__ENVELOPE__BODY_POSITION;
    env.position = &p;
    s_feed(d, &env, "exec.position.GC.");
}

//  Several accounts (issue 19): a line per account with its distances to
//  its own limits, the total, the worst state in the header; a symbol's
//  position is the sum of the accounts' (each position names its account),
//  protected only when every part is.
static void
t_accounts(void **state)
{
    (void) state;
    dashboard_t *d = dashboard_new(3 * SEC);
    //  TC-50K: day +$587.34, DLL $1,000 -> $1,587.34 to go; floor $48,000 -> $2,587.34.
    s_account(d, "TC-50K", 5058734, 58734, 100000, 4800000, OFTS__TRADING_STATE__STATE_ACTIVE);
    //  XFA-150K: halted after -$3,000.00 (DLL $3,000: $0.00 left; floor $145,500: $1,500.00).
    s_account(d, "XFA-150K", 14700000, -300000, 300000, 14550000, OFTS__TRADING_STATE__STATE_HALTED);
    s_position(d, "TC-50K", 1, -1000, true);
    s_position(d, "XFA-150K", 2, -2000, true);
    char *text = s_render(d, 1 * SEC);
    assert_non_null(strstr(text, "  HALTED\n"));
    assert_non_null(strstr(text, "TC-50K       ACTIVE     $50,587.34    +$587.34     $0.00  $1,587.34  $2,587.34\n"));
    assert_non_null(strstr(text, "XFA-150K     HALTED    $147,000.00  -$3,000.00     $0.00      $0.00  $1,500.00\n"));
    assert_non_null(strstr(text, "total                  $197,587.34  -$2,412.66     $0.00\n"));
    assert_non_null(strstr(text, "+3    2350.2     -$30.00\n"));
    free(text);
    s_position(d, "XFA-150K", 2, -2000, false);                 //  one part unprotected: the row says so
    text = s_render(d, 2 * SEC);
    assert_non_null(strstr(text, "-$30.00 !\n"));
    free(text);
    dashboard_destroy(&d);
}

//  A full day's screen at 80x24: 5 symbols with positions, both legs of
//  three brackets, 5 services, long reasons. It must fit: at most 23 lines
//  (the 24th stays empty so nothing scrolls), none longer than 80, and the
//  price table first, after the header.
static void
t_fits_80x24(void **state)
{
    (void) state;
    dashboard_t *d = dashboard_new(3 * SEC);
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    Ofts__Header h = OFTS__HEADER__INIT;
    h.ts_event = 1796412600000000000LL;     //  2026-12-04T19:30:00Z = Fri 13:30:00 CT
    env.header = &h;
    static const char *syms[] = { "GC", "SI", "PL", "HG", "NQ" };
    for (int i = 0; i < 5; i++) {
        Ofts__Trade tr = OFTS__TRADE__INIT;
        tr.symbol = (char *) syms[i]; tr.price = 21350250000000LL; tr.size = 2;
        env.body_case = OFTS__ENVELOPE__BODY_TRADE; env.trade = &tr;
        s_feed(d, &env, "md.trade.");
        Ofts__TopOfBook bbo = OFTS__TOP_OF_BOOK__INIT;
        bbo.symbol = (char *) syms[i]; bbo.bid_px = 21350000000000LL; bbo.ask_px = 21350500000000LL;
        env.body_case = OFTS__ENVELOPE__BODY_BBO; env.bbo = &bbo;
        s_feed(d, &env, "md.bbo.");
        Ofts__Signal sig = OFTS__SIGNAL__INIT;
        sig.symbol = (char *) syms[i]; sig.direction = OFTS__SIDE__SIDE_SELL; sig.confidence = 0.9;
        sig.entry = 21350250000000LL; sig.stop = 21370250000000LL; sig.take_profit = 21310250000000LL;
        sig.reasons = "Strong sell imbalance: -0.81; Negative cumulative delta: -2,400; Aggressive selling: 0.77;"
                      " Book depth imbalance: -0.44";
        env.body_case = OFTS__ENVELOPE__BODY_SIGNAL; env.signal = &sig;
        s_feed(d, &env, "of.signal.");
        Ofts__Position pos = OFTS__POSITION__INIT;
        pos.symbol = (char *) syms[i]; pos.quantity = -3; pos.avg_price = 21350250000000LL;
        pos.unrealized_pnl_cents = -123456; pos.protected_ = i != 4;
        env.body_case = OFTS__ENVELOPE__BODY_POSITION; env.position = &pos;
        s_feed(d, &env, "exec.position.");
    }
    static const char *coids[] = { "GC-1-stop", "GC-1-tp", "SI-1-stop", "SI-1-tp", "NQ-1-stop", "NQ-1-tp" };
    for (int i = 0; i < 6; i++) {
        Ofts__OrderUpdate o = OFTS__ORDER_UPDATE__INIT;
        o.client_order_id = (char *) coids[i];
        o.symbol = (char *) (i < 2 ? "GC" : i < 4 ? "SI" : "NQ");
        o.role = i % 2 ? OFTS__ORDER_ROLE__ROLE_TARGET : OFTS__ORDER_ROLE__ROLE_STOP;
        o.side = OFTS__SIDE__SIDE_BUY; o.quantity = 3; o.status = OFTS__ORDER_STATUS__STATUS_WORKING;
        o.price = i % 2 ? 21310250000000LL : 21370250000000LL;
        env.body_case = OFTS__ENVELOPE__BODY_ORDER_UPDATE; env.order_update = &o;
        s_feed(d, &env, "exec.order.");
    }
    //  SI's target filled: its stop remains until cancelled.
    Ofts__OrderUpdate done = OFTS__ORDER_UPDATE__INIT;
    done.client_order_id = "SI-1-tp"; done.symbol = "SI"; done.status = OFTS__ORDER_STATUS__STATUS_FILLED;
    env.body_case = OFTS__ENVELOPE__BODY_ORDER_UPDATE; env.order_update = &done;
    s_feed(d, &env, "exec.order.");
    Ofts__AccountState acct = OFTS__ACCOUNT_STATE__INIT;
    acct.balance_cents = 5123400; acct.realized_pnl_cents = -51000; acct.unrealized_pnl_cents = -617280;
    acct.mll_floor_cents = 4800000; acct.daily_loss_limit_cents = 100000;
    acct.state = OFTS__TRADING_STATE__STATE_ACTIVE; acct.state_reason = "ok";
    env.body_case = OFTS__ENVELOPE__BODY_ACCOUNT; env.account = &acct;
    s_feed(d, &env, "risk.account.");
    static const char *svcs[] = { "gateway-md", "analyzer", "risk", "gateway-order", "monitor" };
    for (int i = 0; i < 5; i++) {
        Ofts__Heartbeat hb = OFTS__HEARTBEAT__INIT;
        hb.service = (char *) svcs[i]; hb.pid = 4242; hb.state = "running: events 1234567, signals 42";
        env.body_case = OFTS__ENVELOPE__BODY_HEARTBEAT; env.heartbeat = &hb;
        s_feed(d, &env, "sys.heartbeat.");
    }
    char *text = s_render(d, 1 * SEC);
    fputs(text, stderr);
    int lines = 0;
    for (char *line = text, *nl; (nl = strchr(line, '\n')); line = nl + 1, lines++)
        assert_true(nl - line <= 80);
    assert_true(lines <= 23);
    assert_non_null(strstr(text, "market Fri 2026-12-04 13:30:00 CT"));
    //  daily: $1,000 limit - $510 realized - $6,172.80 open = -$5,682.80 (past it);
    //  floor: $51,234 - $6,172.80 - $48,000 = -$2,938.80.
    assert_non_null(strstr(text, "to daily loss limit -$5,682.80   to trailing floor -$2,938.80 (floor $48,000.00)"));
    assert_non_null(strstr(text, "balance $51,234.00  day -$510.00  open -$6,172.80"));
    assert_non_null(strstr(text, "NQ   21350.25   21350.0   21350.5  0.00      0 SELL  -3  21350.25  -$1,234.56 !\n"));
    assert_non_null(strstr(text, "  GC    STOP buy 3 @ 21370.25  TARGET buy 3 @ 21310.25\n"));
    assert_non_null(strstr(text, "  SI    STOP buy 3 @ 21370.25\n"));
    assert_null(strstr(text, "  PL  "));                //  PL is protected and has no leg here
    assert_non_null(strstr(text, "  NQ  ! UNPROTECTED: no stop at the broker  STOP buy 3 @ 21370.25  TARGET"));
    assert_non_null(strstr(text, "services gateway-md ok analyzer ok risk ok gateway-order ok monitor ok"));
    //  The table comes right after the 3 header lines and the services line.
    //  Counted by index: GCC 12 -O3 takes a pointer into the memstream's
    //  buffer for a dangling one (-Werror=dangling-pointer).
    assert_non_null(strstr(text, "SYM "));
    int before = 0;
    for (size_t i = 0; strncmp(text + i, "SYM ", 4) != 0; i++)
        before += text[i] == '\n';
    assert_int_equal(before, 4);
    free(text);
    dashboard_destroy(&d);
}

//  Before anything runs: a hint, not an empty screen.
static void
t_hint_when_nothing_runs(void **state)
{
    (void) state;
    dashboard_t *d = dashboard_new(3 * SEC);
    dashboard_set_hint(d, "nothing is running on my.json: start `ofts up --replay FILE`");
    char *text = s_render(d, 1 * SEC);
    assert_non_null(strstr(text, "no market data yet"));
    assert_non_null(strstr(text, "nothing is running on my.json: start `ofts up --replay FILE`"));
    free(text);
    dashboard_destroy(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(t_rows_account_and_health), cmocka_unit_test(t_fits_80x24),
                                        cmocka_unit_test(t_hint_when_nothing_runs),
                                        cmocka_unit_test(t_accounts) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
