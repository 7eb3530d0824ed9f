/*  risk_rules: every rule at and around its boundary, driven through a
    hand-built view (no engine), so each number is visible here.           */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "ofts_clock.h"
#include "risk_rules.h"

#define MS 1000000LL
#define SEC 1000000000LL
#define CODE(name) OFTS__REJECT_CODE__REJECT_##name

static int64_t
px(const char *text)
{
    int64_t v = 0;
    assert_true(ofts_price_parse(text, &v));
    return v;
}

typedef struct {
    risk_config_t cfg;
    risk_view_t v;
    Ofts__Signal sig;
    risk_plan_t plan;
    char text[256];
} fx_t;

//  Tuesday 2026-03-10 10:00 CT (CDT): market open, far from every edge.
static int64_t
s_tuesday_10(void)
{
    return ofts_ct_to_utc(2026, 3, 10, 10, 0, 0);
}

static void
s_at(fx_t *f, int64_t now)
{
    f->v.now = now;
    f->v.last_md_ns = now - 1 * MS;
    f->v.last_md_heartbeat_ns = now - 1 * MS;
}

static int
s_setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    risk_config_defaults(&f->cfg);
    f->v.cfg = &f->cfg;
    f->v.ins = ofts_instrument_find("GC");
    f->v.has_price = true;
    f->v.last_price = px("2350.0");
    f->v.has_md_heartbeat = true;
    f->v.equity_cents = 5000000;
    f->v.mll_floor_cents = 4800000;
    f->v.reconciled = true;
    f->v.state = OFTS__TRADING_STATE__STATE_ACTIVE;
    s_at(f, s_tuesday_10());
    ofts__signal__init(&f->sig);
    f->sig.id = (char *) "sig-1";
    f->sig.symbol = (char *) "GC";
    f->sig.contract = (char *) "GCJ6";
    f->sig.direction = OFTS__SIDE__SIDE_BUY;
    f->sig.entry = px("2350.0");
    f->sig.stop = px("2345.0");
    f->sig.take_profit = px("2360.0");
    f->sig.confidence = 0.7;
    *state = f;
    return 0;
}

static int
s_teardown(void **state)
{
    free(*state);
    return 0;
}

static Ofts__RejectCode
s_check(fx_t *f)
{
    return risk_rules_check(&f->v, &f->sig, &f->plan, f->text, sizeof f->text);
}

static void
t_table_order(void **state)
{
    (void) state;
    assert_int_equal(risk_rules_count(), 20);
    assert_string_equal(risk_rules_name(0), "signal_fields");
    assert_string_equal(risk_rules_name(5), "cooldown");
    assert_string_equal(risk_rules_name(13), "hedge");
    assert_string_equal(risk_rules_name(risk_rules_count() - 1), "state_gate");
    assert_null(risk_rules_name(risk_rules_count()));
    assert_string_equal(risk_reject_name(CODE(COOLDOWN)), "REJECT_COOLDOWN");
}

//  Several accounts: another account short GC refuses a buy (REJECT_HEDGE),
//  not a sell; another account long refuses the sell.
static void
t_hedge(void **state)
{
    fx_t *f = *state;
    f->v.other_short = 1;
    f->v.other_account = "TC-150K";
    assert_int_equal(s_check(f), CODE(HEDGE));
    assert_string_equal(f->text, "long GC here would hedge account TC-150K, short GC: no opposite positions "
                                 "across accounts");
    f->v.other_short = 0;
    f->v.other_long = 2;
    assert_int_equal(s_check(f), CODE(NONE));
    f->sig.direction = OFTS__SIDE__SIDE_SELL;
    f->sig.stop = px("2355.0");
    f->sig.take_profit = px("2340.0");
    assert_int_equal(s_check(f), CODE(HEDGE));
}

static void
t_good_signal_passes(void **state)
{
    fx_t *f = *state;
    assert_int_equal(s_check(f), CODE(NONE));
    assert_int_equal(f->plan.quantity, 1);
    assert_int_equal(f->plan.entry, px("2350.0"));
    assert_int_equal(f->plan.stop_risk_cents, 50000);
}

typedef struct {
    int n;
    char names[24][32];
    Ofts__RejectCode codes[24];
} s_verdicts_t;

static void
s_collect(void *arg, size_t index, const char *name, Ofts__RejectCode code, const char *text)
{
    (void) text;
    s_verdicts_t *v = arg;
    assert_int_equal(index, (size_t) v->n);
    snprintf(v->names[v->n], sizeof v->names[v->n], "%s", name);
    v->codes[v->n++] = code;
}

//  ofts explain: every rule's verdict, not only the first failure. Low
//  confidence (rule 5) and stale data (rule 10) both show; the rules after
//  them still run. An unknown symbol ends the walk (later rules need it).
static void
t_each_rule_verdict(void **state)
{
    fx_t *f = *state;
    f->sig.confidence = 0.3;
    f->v.last_md_ns = f->v.now - 5 * SEC;
    assert_int_equal(s_check(f), CODE(LOW_CONFIDENCE));     //  the decision: the first failure
    s_verdicts_t v = { 0 };
    risk_rules_each(&f->v, &f->sig, s_collect, &v);
    assert_int_equal(v.n, (int) risk_rules_count());
    for (int i = 0; i < v.n; i++) {
        if (strcmp(v.names[i], "confidence") == 0)
            assert_int_equal(v.codes[i], CODE(LOW_CONFIDENCE));
        else if (strcmp(v.names[i], "stale_data") == 0)
            assert_int_equal(v.codes[i], CODE(STALE_DATA));
        else
            assert_int_equal(v.codes[i], CODE(NONE));
    }
    memset(&v, 0, sizeof v);
    f->v.ins = NULL;
    risk_rules_each(&f->v, &f->sig, s_collect, &v);
    assert_int_equal(v.n, 2);
    assert_int_equal(v.codes[1], CODE(UNKNOWN_SYMBOL));
}

//  Cooldown 5 minutes: 4:59 after the last approval rejected, 5:00 approved.
static void
t_cooldown_boundary(void **state)
{
    fx_t *f = *state;
    f->v.has_approval = true;
    f->v.last_approval_ns = f->v.now - (4 * 60 + 59) * SEC;
    assert_int_equal(s_check(f), CODE(COOLDOWN));
    assert_non_null(strstr(f->text, "299.000 s"));
    f->v.last_approval_ns = f->v.now - 5 * 60 * SEC + 1;     //  1 ns short
    assert_int_equal(s_check(f), CODE(COOLDOWN));
    f->v.last_approval_ns = f->v.now - 5 * 60 * SEC;
    assert_int_equal(s_check(f), CODE(NONE));
}

static void
t_confidence_boundary(void **state)
{
    fx_t *f = *state;
    f->sig.confidence = 0.6;
    assert_int_equal(s_check(f), CODE(NONE));
    f->sig.confidence = 0.5999;
    assert_int_equal(s_check(f), CODE(LOW_CONFIDENCE));
}

//  GC tick 0.1, max 8 ticks from the last trade 2350.0.
static void
t_fat_finger_boundary(void **state)
{
    fx_t *f = *state;
    f->sig.entry = px("2350.8");
    assert_int_equal(s_check(f), CODE(NONE));
    f->sig.entry = px("2350.9");
    assert_int_equal(s_check(f), CODE(FAT_FINGER));
    f->sig.direction = OFTS__SIDE__SIDE_SELL;
    f->sig.stop = px("2355.0");
    f->sig.take_profit = px("2340.0");
    f->sig.entry = px("2349.2");
    assert_int_equal(s_check(f), CODE(NONE));
    f->sig.entry = px("2349.1");
    assert_int_equal(s_check(f), CODE(FAT_FINGER));
}

//  Entries only in the root's traded contract: GCJ6 leads, a GCM6 signal
//  is refused with both months named; before any lead is known the stale
//  rule speaks first.
static void
t_traded_contract(void **state)
{
    fx_t *f = *state;
    f->v.has_lead = true;
    f->v.lead = "GCJ6";
    assert_int_equal(s_check(f), CODE(NONE));
    f->sig.contract = (char *) "GCM6";
    assert_int_equal(s_check(f), CODE(NOT_TRADED_CONTRACT));
    assert_string_equal(f->text, "GCM6 is not the traded GC contract (GCJ6): no new entries in other months");
    f->v.has_lead = false;
    assert_int_equal(s_check(f), CODE(NONE));
}

static void
t_stale_boundary(void **state)
{
    fx_t *f = *state;
    f->v.last_md_ns = f->v.now - 2000 * MS;
    assert_int_equal(s_check(f), CODE(NONE));
    f->v.last_md_ns = f->v.now - 2000 * MS - 1;
    assert_int_equal(s_check(f), CODE(STALE_DATA));
    f->v.last_md_ns = f->v.now;
    f->v.last_md_heartbeat_ns = f->v.now - 3500 * MS;
    assert_int_equal(s_check(f), CODE(NONE));
    f->v.last_md_heartbeat_ns = f->v.now - 3500 * MS - 1;
    assert_int_equal(s_check(f), CODE(STALE_DATA));
    assert_non_null(strstr(f->text, "heartbeat"));
    f->cfg.require_md_heartbeat = false;
    assert_int_equal(s_check(f), CODE(NONE));
    f->v.has_price = false;
    assert_int_equal(s_check(f), CODE(STALE_DATA));
}

static void
t_rate_limit_boundary(void **state)
{
    fx_t *f = *state;
    f->v.orders_last_minute = 5;
    assert_int_equal(s_check(f), CODE(NONE));
    f->v.orders_last_minute = 6;
    assert_int_equal(s_check(f), CODE(RATE_LIMIT));
}

//  DLL $1,000, one GC lot stop 5.0 = $500 risk; GC tick = $10.
static void
t_daily_loss_one_tick(void **state)
{
    fx_t *f = *state;
    f->v.day_pnl_cents = -49000;        //  -490 - 500 = -990: one tick short of the limit
    assert_int_equal(s_check(f), CODE(NONE));
    f->v.day_pnl_cents = -50000;        //  -500 - 500 = -1000: reaches it
    assert_int_equal(s_check(f), CODE(DAILY_LOSS));
    f->cfg.projected_loss = false;
    f->v.day_pnl_cents = -99000;
    assert_int_equal(s_check(f), CODE(NONE));
    f->v.day_pnl_cents = -100000;
    assert_int_equal(s_check(f), CODE(DAILY_LOSS));
    f->cfg.daily_loss_limit_cents = 0;  //  rule off
    assert_int_equal(s_check(f), CODE(NONE));
}

static void
t_trailing_mll_one_tick(void **state)
{
    fx_t *f = *state;
    f->v.equity_cents = 4800000 + 50000 + 1000;     //  floor + risk + one tick
    assert_int_equal(s_check(f), CODE(NONE));
    f->v.equity_cents = 4800000 + 50000;
    assert_int_equal(s_check(f), CODE(TRAILING_DRAWDOWN));
}

static void
t_max_contracts(void **state)
{
    fx_t *f = *state;
    f->cfg.daily_loss_limit_cents = 300000;     //  2 lots x $500 would reach the $1,000 default
    f->cfg.fixed_contracts = 3;
    f->v.used_tenths = 30;              //  3 lots open: only 2 more fit under 5
    assert_int_equal(s_check(f), CODE(NONE));
    assert_int_equal(f->plan.quantity, 2);
    assert_int_equal(f->plan.stop_risk_cents, 100000);
    f->v.used_tenths = 41;              //  4 lots + 1 micro: no full lot fits
    assert_int_equal(s_check(f), CODE(MAX_CONTRACTS));
    f->v.ins = ofts_instrument_find("MGC");
    f->sig.symbol = (char *) "MGC";
    f->sig.contract = (char *) "MGCJ6";
    assert_int_equal(s_check(f), CODE(NONE));  //  a micro still fits
    assert_int_equal(f->plan.quantity, 3);
    f->v.used_tenths = 50;
    assert_int_equal(s_check(f), CODE(MAX_CONTRACTS));
}

static void
t_size_zero(void **state)
{
    fx_t *f = *state;
    f->cfg.sizing = RISK_SIZING_RISK;
    f->cfg.risk_per_trade_cents = 49999;        //  < $500 per GC lot
    assert_int_equal(s_check(f), CODE(SIZE_ZERO));
    f->cfg.risk_per_trade_cents = 100000;
    assert_int_equal(s_check(f), CODE(DAILY_LOSS));     //  $1,000 of stop risk = the whole DLL
    f->cfg.daily_loss_limit_cents = 200000;
    assert_int_equal(s_check(f), CODE(NONE));
    assert_int_equal(f->plan.quantity, 2);
}

static void
t_positions(void **state)
{
    fx_t *f = *state;
    f->v.position_qty = -1;
    assert_int_equal(s_check(f), CODE(POSITION_OPEN));
    f->v.position_qty = 0;
    f->v.working_entry = true;
    assert_int_equal(s_check(f), CODE(POSITION_OPEN));
    f->v.working_entry = false;
    f->v.open_positions = 2;
    assert_int_equal(s_check(f), CODE(NONE));
    f->v.open_positions = 3;
    assert_int_equal(s_check(f), CODE(MAX_POSITIONS));
}

static void
t_bad_signals(void **state)
{
    fx_t *f = *state;
    f->v.seen_signal = true;
    assert_int_equal(s_check(f), CODE(DUPLICATE));
    f->v.seen_signal = false;
    f->sig.stop = px("2350.0");                 //  stop at the entry
    assert_int_equal(s_check(f), CODE(BAD_SIGNAL));
    f->sig.stop = px("2355.0");                 //  a buy's stop above the entry
    assert_int_equal(s_check(f), CODE(BAD_SIGNAL));
    f->sig.stop = px("2345.0");
    f->sig.direction = OFTS__SIDE__SIDE_NONE;
    assert_int_equal(s_check(f), CODE(BAD_SIGNAL));
    f->sig.direction = OFTS__SIDE__SIDE_BUY;
    f->sig.id = (char *) "";
    assert_int_equal(s_check(f), CODE(BAD_SIGNAL));
    f->sig.id = (char *) "x";
    f->sig.contract = (char *) "SIK6";
    assert_int_equal(s_check(f), CODE(UNKNOWN_SYMBOL));
    f->v.ins = NULL;
    f->sig.symbol = (char *) "CL";
    assert_int_equal(s_check(f), CODE(UNKNOWN_SYMBOL));
}

//  Stop and target round to the protective side; a limit never pays more.
static void
t_tick_rounding(void **state)
{
    fx_t *f = *state;
    f->sig.entry = px("2350.04");
    f->sig.stop = px("2345.01");
    f->sig.take_profit = px("2360.09");
    assert_int_equal(s_check(f), CODE(NONE));
    assert_int_equal(f->plan.entry, px("2350.0"));
    assert_int_equal(f->plan.stop, px("2345.1"));       //  long stop rounds up
    assert_int_equal(f->plan.take_profit, px("2360.0"));//  long target rounds down
    f->sig.direction = OFTS__SIDE__SIDE_SELL;
    f->sig.stop = px("2355.09");
    f->sig.take_profit = px("2340.01");
    assert_int_equal(s_check(f), CODE(NONE));
    assert_int_equal(f->plan.stop, px("2355.0"));       //  short stop rounds down
    assert_int_equal(f->plan.take_profit, px("2340.1"));//  short target rounds up
    f->cfg.order_type = OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT;
    f->sig.entry = px("2350.01");
    assert_int_equal(s_check(f), CODE(NONE));
    assert_int_equal(f->plan.entry, px("2350.1"));      //  limit sell rounds up
    f->sig.direction = OFTS__SIDE__SIDE_BUY;
    f->sig.stop = px("2345.0");
    f->sig.take_profit = px("2360.0");
    f->sig.entry = px("2350.09");
    assert_int_equal(s_check(f), CODE(NONE));
    assert_int_equal(f->plan.entry, px("2350.0"));      //  limit buy rounds down
}

//  The daily break and the Sunday open, in CT, in the week DST starts
//  (2026-03-08): 17:00 CDT is 22:00 UTC, the Sunday before 23:00 UTC.
static void
t_session_dst(void **state)
{
    fx_t *f = *state;
    int64_t mar8 = ofts_days_from_civil(2026, 3, 8) * 86400 * SEC;
    int64_t open = ofts_ct_to_utc(2026, 3, 8, 17, 0, 0);
    assert_int_equal(open, mar8 + 22 * 3600 * SEC);
    s_at(f, open - 1 * SEC);
    assert_int_equal(s_check(f), CODE(OUTSIDE_SESSION));
    s_at(f, open);
    assert_int_equal(s_check(f), CODE(NONE));
    //  A week earlier (CST) 22:30 UTC is still 16:30 CT: closed.
    int64_t mar1 = ofts_days_from_civil(2026, 3, 1) * 86400 * SEC;
    s_at(f, mar1 + 22 * 3600 * SEC + 30 * 60 * SEC);
    assert_int_equal(s_check(f), CODE(OUTSIDE_SESSION));
    s_at(f, mar1 + 23 * 3600 * SEC);
    assert_int_equal(s_check(f), CODE(NONE));
    //  DST ends Sunday 2026-11-01 02:00: that evening 17:00 CST = 23:00 UTC.
    int64_t nov1 = ofts_days_from_civil(2026, 11, 1) * 86400 * SEC;
    s_at(f, nov1 + 23 * 3600 * SEC - 1 * SEC);
    assert_int_equal(s_check(f), CODE(OUTSIDE_SESSION));
    s_at(f, nov1 + 23 * 3600 * SEC);
    assert_int_equal(s_check(f), CODE(NONE));
}

//  Equity index: the 15:15-15:30 CT halt is a closed session for NQ.
static void
t_equity_halt(void **state)
{
    fx_t *f = *state;
    f->v.ins = ofts_instrument_find("NQ");
    f->v.last_price = px("20000");
    f->sig.symbol = (char *) "NQ";
    f->sig.contract = (char *) "NQM6";
    f->sig.entry = px("20000");
    f->sig.stop = px("19980");
    f->sig.take_profit = px("20040");
    assert_int_equal(s_check(f), CODE(NONE));
    s_at(f, ofts_ct_to_utc(2026, 3, 10, 15, 20, 0));
    assert_int_equal(s_check(f), CODE(OUTSIDE_SESSION));
}

static void
t_daily_break(void **state)
{
    fx_t *f = *state;
    s_at(f, ofts_ct_to_utc(2026, 3, 10, 16, 0, 0) - 1 * SEC);
    assert_int_equal(s_check(f), CODE(FLATTEN_TIME));            //  15:59:59: open, no entries
    s_at(f, ofts_ct_to_utc(2026, 3, 10, 16, 0, 0));
    assert_int_equal(s_check(f), CODE(OUTSIDE_SESSION));
    s_at(f, ofts_ct_to_utc(2026, 3, 10, 17, 0, 0) - 1 * SEC);
    assert_int_equal(s_check(f), CODE(OUTSIDE_SESSION));
    s_at(f, ofts_ct_to_utc(2026, 3, 10, 17, 0, 0));
    assert_int_equal(s_check(f), CODE(NONE));
}

//  Monday 2026-03-09 (CDT, UTC-5) and Friday 2026-03-06 (CST, UTC-6): the
//  15:00 CT entry cutoff and the 15:05 flatten, in UTC on each side of DST.
static void
t_entry_cutoff_and_flatten_dst(void **state)
{
    fx_t *f = *state;
    int64_t mon = ofts_days_from_civil(2026, 3, 9) * 86400 * SEC;
    s_at(f, mon + 20 * 3600 * SEC - 1 * SEC);                    //  14:59:59 CDT
    assert_int_equal(s_check(f), CODE(NONE));
    s_at(f, mon + 20 * 3600 * SEC);                              //  15:00:00 CDT
    assert_int_equal(s_check(f), CODE(FLATTEN_TIME));
    int64_t fri = ofts_days_from_civil(2026, 3, 6) * 86400 * SEC;
    s_at(f, fri + 21 * 3600 * SEC - 1 * SEC);                    //  14:59:59 CST
    assert_int_equal(s_check(f), CODE(NONE));
    s_at(f, fri + 21 * 3600 * SEC);
    assert_int_equal(s_check(f), CODE(FLATTEN_TIME));

    bool flat = false;
    assert_true(risk_rules_entry_window_closed(&f->cfg, mon + 20 * 3600 * SEC + 5 * 60 * SEC - 1, &flat));
    assert_false(flat);                                          //  15:04:59.999 CDT
    risk_rules_entry_window_closed(&f->cfg, mon + 20 * 3600 * SEC + 5 * 60 * SEC, &flat);
    assert_true(flat);                                           //  15:05:00 CDT
    risk_rules_entry_window_closed(&f->cfg, fri + 21 * 3600 * SEC + 5 * 60 * SEC, &flat);
    assert_true(flat);                                           //  15:05:00 CST
    assert_false(risk_rules_entry_window_closed(&f->cfg, ofts_ct_to_utc(2026, 3, 9, 17, 0, 0), &flat));
    assert_false(flat);
    risk_rules_entry_window_closed(&f->cfg, ofts_ct_to_utc(2026, 3, 7, 12, 0, 0), &flat);
    assert_true(flat);                                           //  Saturday
    risk_rules_entry_window_closed(&f->cfg, ofts_ct_to_utc(2026, 3, 8, 16, 59, 59), &flat);
    assert_true(flat);                                           //  Sunday before the open
    risk_rules_entry_window_closed(&f->cfg, ofts_ct_to_utc(2026, 3, 6, 17, 30, 0), &flat);
    assert_true(flat);                                           //  Friday evening: weekend
}

//  CME early closes (risk.early_closes): on Friday 2026-11-27 (close 12:00
//  CT) entries stop at 11:50 and the flatten starts at 11:55; on Memorial
//  Day Monday 2026-05-25 (CDT) the same, and the 17:00 open of the next
//  trading day takes entries again. The day before is a regular day.
static void
t_early_close(void **state)
{
    fx_t *f = *state;
    f->cfg.early_closes[0].date = 20260525;
    f->cfg.early_closes[0].close_min = 12 * 60;
    f->cfg.early_closes[1].date = 20261127;
    f->cfg.early_closes[1].close_min = 12 * 60;
    f->cfg.early_close_count = 2;
    bool flat = false;
    s_at(f, ofts_ct_to_utc(2026, 11, 27, 11, 49, 59));
    assert_int_equal(s_check(f), CODE(NONE));
    s_at(f, ofts_ct_to_utc(2026, 11, 27, 11, 50, 0));
    assert_int_equal(s_check(f), CODE(FLATTEN_TIME));
    assert_non_null(strstr(f->text, "no new entries from 11:50 CT"));
    assert_non_null(strstr(f->text, "early close 12:00 CT"));
    assert_true(risk_rules_entry_window_closed(&f->cfg, ofts_ct_to_utc(2026, 11, 27, 11, 54, 59), &flat));
    assert_false(flat);
    risk_rules_entry_window_closed(&f->cfg, ofts_ct_to_utc(2026, 11, 27, 11, 55, 0), &flat);
    assert_true(flat);
    risk_rules_entry_window_closed(&f->cfg, ofts_ct_to_utc(2026, 11, 26, 11, 55, 0), &flat);
    assert_false(flat);                                          //  not in this calendar: regular
    s_at(f, ofts_ct_to_utc(2026, 11, 26, 14, 59, 0));
    assert_int_equal(s_check(f), CODE(NONE));

    risk_rules_entry_window_closed(&f->cfg, ofts_ct_to_utc(2026, 5, 25, 11, 54, 59), &flat);
    assert_false(flat);
    risk_rules_entry_window_closed(&f->cfg, ofts_ct_to_utc(2026, 5, 25, 11, 55, 0), &flat);
    assert_true(flat);
    risk_rules_entry_window_closed(&f->cfg, ofts_ct_to_utc(2026, 5, 25, 16, 59, 59), &flat);
    assert_true(flat);
    assert_false(risk_rules_entry_window_closed(&f->cfg, ofts_ct_to_utc(2026, 5, 25, 17, 0, 0), &flat));
    assert_false(flat);
}

//  The state gate is last: a HALTED engine still reports the more specific
//  reason when one applies, and HALTED when everything else passes.
static void
t_state_gate_last(void **state)
{
    fx_t *f = *state;
    f->v.state = OFTS__TRADING_STATE__STATE_HALTED;
    f->v.state_reason = "killed by test";
    assert_int_equal(s_check(f), CODE(HALTED));
    assert_non_null(strstr(f->text, "killed by test"));
    f->v.state = OFTS__TRADING_STATE__STATE_REDUCING;
    assert_int_equal(s_check(f), CODE(REDUCING));
    f->v.has_approval = true;
    f->v.last_approval_ns = f->v.now - 1 * SEC;
    assert_int_equal(s_check(f), CODE(COOLDOWN));
    f->v.has_approval = false;
    f->v.reconciled = false;
    assert_int_equal(s_check(f), CODE(STALE_DATA));
    assert_non_null(strstr(f->text, "reconciled"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, s_setup, s_teardown)
int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_table_order),
        T(t_each_rule_verdict),
        T(t_good_signal_passes), T(t_cooldown_boundary), T(t_confidence_boundary),
        T(t_fat_finger_boundary), T(t_traded_contract), T(t_stale_boundary), T(t_rate_limit_boundary),
        T(t_daily_loss_one_tick), T(t_trailing_mll_one_tick), T(t_max_contracts), T(t_size_zero),
        T(t_positions), T(t_bad_signals), T(t_tick_rounding), T(t_session_dst), T(t_equity_halt), T(t_daily_break),
        T(t_entry_cutoff_and_flatten_dst), T(t_early_close), T(t_state_gate_last), T(t_hedge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
