/*  risk_engine: the core driven event by event with `now` passed in -
    approvals, fills and P&L, loss limits by one tick, the state machine,
    commands, flatten timing, rate limit, journal replay and reconcile.    */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ofts_clock.h"
#include "ofts_log.h"
#include "risk_engine.h"
#include "risk_fixture.h"

#define MS 1000000LL
#define SEC 1000000000LL
#define MIN (60 * SEC)
#define CODE(name) OFTS__REJECT_CODE__REJECT_##name
#define ST(name) OFTS__TRADING_STATE__STATE_##name

typedef struct {
    risk_config_t cfg;
    risk_engine_t *eng;
    char dir[64], path[128];
    int orders;
    char last_coid[64];
    Ofts__OrderRequest last_order;      //  scalars only
    int rejects;
    Ofts__RejectCode last_code;
    char last_text[256];
    int accounts;
    Ofts__AccountState last_account;    //  scalars only
    int commands;
    char last_cmd_symbol[16];
    Ofts__CommandType last_cmd_type;
    int64_t t0;
} fx_t;

static void
cb_order(void *arg, const Ofts__OrderRequest *r)
{
    fx_t *f = arg;
    f->orders++;
    snprintf(f->last_coid, sizeof f->last_coid, "%s", r->client_order_id);
    f->last_order = *r;
}

static void
cb_reject(void *arg, const Ofts__RiskReject *r)
{
    fx_t *f = arg;
    f->rejects++;
    f->last_code = r->code;
    snprintf(f->last_text, sizeof f->last_text, "%s", r->text);
}

static void
cb_account(void *arg, const Ofts__AccountState *a)
{
    fx_t *f = arg;
    f->accounts++;
    f->last_account = *a;
}

static void
cb_command(void *arg, const Ofts__Command *c)
{
    fx_t *f = arg;
    f->last_cmd_type = c->type;
    f->commands++;
    snprintf(f->last_cmd_symbol, sizeof f->last_cmd_symbol, "%s", c->symbol);
}

static const risk_engine_callbacks_t s_cb = { cb_order, cb_reject, cb_account, cb_command };

#define px risk_fx_px

static void
s_new_engine(fx_t *f)
{
    f->eng = risk_engine_new(&f->cfg, &s_cb, f);
}

static int
s_setup(void **state)
{
    ofts_log_init("test-risk", OFTS_LOG_WARN);
    fx_t *f = calloc(1, sizeof *f);
    risk_config_defaults(&f->cfg);
    f->cfg.require_reconcile = false;
    f->t0 = ofts_ct_to_utc(2026, 3, 10, 10, 0, 0);     //  Tuesday 10:00 CDT
    snprintf(f->dir, sizeof f->dir, "/tmp/risk-engine-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/risk.sqlite", f->dir);
    s_new_engine(f);
    *state = f;
    return 0;
}

static int
s_teardown(void **state)
{
    fx_t *f = *state;
    risk_engine_destroy(&f->eng);
    assert_null(f->eng);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

//  One trade of contract (NULL: the feed names none) and a gateway-md heartbeat.
static void
s_md(fx_t *f, const char *symbol, const char *contract, const char *price, uint32_t size, int64_t now)
{
    Ofts__Trade t = risk_fx_trade(symbol, contract, price, size);
    risk_engine_on_trade(f->eng, &t, now);
    Ofts__Heartbeat hb = risk_fx_md_heartbeat();
    risk_engine_on_heartbeat(f->eng, &hb, now);
}

static void
s_market(fx_t *f, const char *symbol, const char *price, int64_t now)
{
    s_md(f, symbol, NULL, price, 1, now);
}

//  A GC buy at 2350.0, stop 2345.0 ($500 a lot), target 2360.0.
static void
s_signal(fx_t *f, const char *id, const char *symbol, const char *entry, const char *stop, const char *tp,
         int64_t now)
{
    Ofts__Signal s = risk_fx_signal(id, symbol, entry, stop, tp);
    risk_engine_on_signal(f->eng, &s, now);
}

static void
s_gc(fx_t *f, const char *id, int64_t now)
{
    s_market(f, "GC", "2350.0", now);
    s_signal(f, id, "GC", "2350.0", "2345.0", "2360.0", now);
}

static void
s_fill(fx_t *f, const char *id, const char *coid, const char *symbol, Ofts__Side side, const char *price,
       uint32_t qty, Ofts__OrderRole role, int64_t now)
{
    Ofts__Fill fl = risk_fx_fill(id, coid, symbol, side, price, qty, role);
    risk_engine_on_fill(f->eng, &fl, now);
}

static void
s_command(fx_t *f, Ofts__CommandType type, const char *symbol, int64_t now)
{
    Ofts__Command c;
    ofts__command__init(&c);
    c.type = type;
    c.symbol = (char *) symbol;
    c.issued_by = (char *) "test";
    risk_engine_on_command(f->eng, &c, now);
}

static void
t_approve_then_duplicate(void **state)
{
    fx_t *f = *state;
    s_gc(f, "sig-1", f->t0);
    assert_int_equal(f->orders, 1);
    assert_string_equal(f->last_coid, "ofts-dcdbdc4f314bc3640d070985");
    assert_int_equal(f->last_order.quantity, 1);
    assert_true(risk_engine_working(f->eng, "GC"));
    assert_int_equal(f->last_account.open_positions, 1);
    //  The same signal, long after any cooldown: never a second order.
    s_gc(f, "sig-1", f->t0 + 60 * MIN);
    assert_int_equal(f->orders, 1);
    assert_int_equal(f->last_code, CODE(DUPLICATE));
    //  Another signal while the entry works: one position per symbol.
    s_gc(f, "sig-2", f->t0 + 61 * MIN);
    assert_int_equal(f->last_code, CODE(POSITION_OPEN));
    assert_int_equal(risk_engine_approved(f->eng), 1);
    assert_int_equal(risk_engine_rejected(f->eng), 2);
}

//  Entry fills, the stop fills 3.0 lower: -$300 - fees; cooldown still counts from the
//  approval: 4:59 after it rejected, 5:00 approved.
static void
t_fills_pnl_and_cooldown(void **state)
{
    fx_t *f = *state;
    s_gc(f, "sig-1", f->t0);
    char coid[64];
    snprintf(coid, sizeof coid, "%s", f->last_coid);
    s_fill(f, "T1", coid, "GC", OFTS__SIDE__SIDE_BUY, "2350.0", 1, OFTS__ORDER_ROLE__ROLE_ENTRY, f->t0 + SEC);
    assert_false(risk_engine_working(f->eng, "GC"));
    assert_int_equal(risk_engine_position(f->eng, "GC"), 1);
    s_fill(f, "T1", coid, "GC", OFTS__SIDE__SIDE_BUY, "2350.0", 1, OFTS__ORDER_ROLE__ROLE_ENTRY, f->t0 + SEC);
    assert_int_equal(risk_engine_position(f->eng, "GC"), 1);        //  duplicate fill ignored
    Ofts__Fill stop = risk_fx_fill("T2", "x-SL", "GC", OFTS__SIDE__SIDE_SELL, "2347.0", 1,
                                   OFTS__ORDER_ROLE__ROLE_STOP);
    stop.fees_cents = 420;
    risk_engine_on_fill(f->eng, &stop, f->t0 + 2 * MIN);
    assert_int_equal(risk_engine_position(f->eng, "GC"), 0);
    Ofts__AccountState a;
    risk_engine_account(f->eng, &a);
    assert_int_equal(a.realized_pnl_cents, -30420);    //  30 ticks x $10 + $4.20 fees
    assert_int_equal(a.balance_cents, 5000000 - 30420);
    assert_int_equal(a.open_positions, 0);

    s_gc(f, "sig-2", f->t0 + 4 * MIN + 59 * SEC);
    assert_int_equal(f->last_code, CODE(COOLDOWN));
    s_gc(f, "sig-3", f->t0 + 5 * MIN);
    assert_int_equal(f->orders, 2);
}

//  DLL $1,000 on one GC lot from 2350.0 ($100 a point): 2340.1 is -$990,
//  2340.0 is -$1,000 = the limit -> HALTED and flatten; the next trading
//  day (17:00 CT) it is ACTIVE again.
static void
t_daily_loss_by_one_tick(void **state)
{
    fx_t *f = *state;
    s_gc(f, "sig-1", f->t0);
    s_fill(f, "T1", f->last_coid, "GC", OFTS__SIDE__SIDE_BUY, "2350.0", 1, OFTS__ORDER_ROLE__ROLE_ENTRY, f->t0);
    s_market(f, "GC", "2340.1", f->t0 + SEC);
    assert_int_equal(risk_engine_state(f->eng), ST(ACTIVE));
    assert_int_equal(f->commands, 0);
    s_market(f, "GC", "2340.0", f->t0 + 2 * SEC);
    assert_int_equal(risk_engine_state(f->eng), ST(HALTED));
    assert_non_null(strstr(risk_engine_state_reason(f->eng), "daily loss"));
    assert_int_equal(f->commands, 1);
    assert_string_equal(f->last_cmd_symbol, "");
    //  Still exposed: the flatten repeats every 5 s, not sooner.
    risk_engine_tick(f->eng, f->t0 + 6 * SEC);
    assert_int_equal(f->commands, 1);
    risk_engine_tick(f->eng, f->t0 + 7 * SEC);
    assert_int_equal(f->commands, 2);
    s_fill(f, "T2", "flat-1", "GC", OFTS__SIDE__SIDE_SELL, "2340.5", 1, OFTS__ORDER_ROLE__ROLE_FLATTEN,
           f->t0 + 8 * SEC);
    risk_engine_tick(f->eng, f->t0 + 20 * SEC);
    assert_int_equal(f->commands, 2);                   //  flat: no more repeats
    assert_int_equal(risk_engine_state(f->eng), ST(HALTED));   //  latched for the day
    s_gc(f, "sig-2", f->t0 + 30 * MIN);
    assert_int_equal(f->last_code, CODE(DAILY_LOSS));  //  the specific rule speaks before the gate
    int64_t next_open = ofts_ct_to_utc(2026, 3, 10, 17, 0, 0);
    risk_engine_tick(f->eng, next_open);
    assert_int_equal(risk_engine_state(f->eng), ST(ACTIVE));
    Ofts__AccountState a;
    risk_engine_account(f->eng, &a);
    assert_int_equal(a.realized_pnl_cents, 0);          //  new day
    assert_int_equal(a.balance_cents, 5000000 - 95000);
}

//  Trailing MLL ($2,000 on 50K, spec/topstepx.md §8.2): floor 48,000;
//  +$500 day -> floor 48,500 at the end of the day; then equity at the
//  floor (not one tick above) -> HALTED, latched.
static void
t_trailing_mll(void **state)
{
    fx_t *f = *state;
    f->cfg.daily_loss_limit_cents = 0;
    risk_engine_destroy(&f->eng);
    s_new_engine(f);
    s_gc(f, "sig-1", f->t0);
    s_fill(f, "T1", f->last_coid, "GC", OFTS__SIDE__SIDE_BUY, "2350.0", 1, OFTS__ORDER_ROLE__ROLE_ENTRY, f->t0);
    s_fill(f, "T2", "tp", "GC", OFTS__SIDE__SIDE_SELL, "2355.0", 1, OFTS__ORDER_ROLE__ROLE_TARGET, f->t0 + MIN);
    Ofts__AccountState a;
    risk_engine_account(f->eng, &a);
    assert_int_equal(a.mll_floor_cents, 4800000);       //  intraday the floor does not move
    int64_t day2 = ofts_ct_to_utc(2026, 3, 11, 10, 0, 0);
    risk_engine_tick(f->eng, day2);
    risk_engine_account(f->eng, &a);
    assert_int_equal(a.peak_balance_cents, 5050000);
    assert_int_equal(a.mll_floor_cents, 4850000);
    //  Long 1 GC at 2350.0; balance 50,500; floor 48,500 -> $2,000 = 20 points.
    s_gc(f, "sig-2", day2);
    s_fill(f, "T3", f->last_coid, "GC", OFTS__SIDE__SIDE_BUY, "2350.0", 1, OFTS__ORDER_ROLE__ROLE_ENTRY, day2);
    s_market(f, "GC", "2330.1", day2 + SEC);
    assert_int_equal(risk_engine_state(f->eng), ST(ACTIVE));
    s_market(f, "GC", "2330.0", day2 + 2 * SEC);
    assert_int_equal(risk_engine_state(f->eng), ST(HALTED));
    assert_non_null(strstr(risk_engine_state_reason(f->eng), "maximum loss"));
    s_market(f, "GC", "2360.0", day2 + 3 * SEC);
    assert_int_equal(risk_engine_state(f->eng), ST(HALTED));   //  a broken rule stays broken
    risk_engine_tick(f->eng, ofts_ct_to_utc(2026, 3, 12, 10, 0, 0));
    assert_int_equal(risk_engine_state(f->eng), ST(HALTED));
}

//  Once the peak is MLL above the start, the floor locks at the start.
static void
t_mll_locks_at_start(void **state)
{
    fx_t *f = *state;
    s_gc(f, "sig-1", f->t0);
    s_fill(f, "T1", f->last_coid, "GC", OFTS__SIDE__SIDE_BUY, "2350.0", 1, OFTS__ORDER_ROLE__ROLE_ENTRY, f->t0);
    s_fill(f, "T2", "tp", "GC", OFTS__SIDE__SIDE_SELL, "2375.0", 1, OFTS__ORDER_ROLE__ROLE_TARGET, f->t0 + MIN);
    risk_engine_tick(f->eng, ofts_ct_to_utc(2026, 3, 11, 10, 0, 0));
    Ofts__AccountState a;
    risk_engine_account(f->eng, &a);
    assert_int_equal(a.peak_balance_cents, 5250000);
    assert_int_equal(a.mll_floor_cents, 5000000);       //  min(S, S - D + 2,500) = S
}

//  gateway-order's store failed: it says REDUCING on exec.account.; risk
//  follows (no approval it would refuse) and is ACTIVE again when it is.
static void
t_order_gateway_reducing(void **state)
{
    fx_t *f = *state;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    Ofts__Header h = OFTS__HEADER__INIT;
    Ofts__AccountState a = OFTS__ACCOUNT_STATE__INIT;
    h.source = "gateway-order";
    a.state = ST(REDUCING);
    a.state_reason = "order store failed (database or disk is full): protect and close only";
    env.header = &h;
    env.body_case = OFTS__ENVELOPE__BODY_ACCOUNT;
    env.account = &a;
    risk_engine_on_envelope(f->eng, &env, f->t0);
    assert_int_equal(risk_engine_state(f->eng), ST(REDUCING));
    assert_non_null(strstr(f->last_account.state_reason, "gateway-order: order store failed"));
    assert_int_equal(f->commands, 0);                   //  exits only, no flatten
    s_gc(f, "sig-1", f->t0 + SEC);
    assert_int_equal(f->last_code, CODE(REDUCING));
    a.state = ST(ACTIVE);
    a.state_reason = "";
    risk_engine_on_envelope(f->eng, &env, f->t0 + 2 * SEC);
    assert_int_equal(risk_engine_state(f->eng), ST(ACTIVE));
    //  Only gateway-order's word counts.
    a.state = ST(REDUCING);
    h.source = "monitor";
    risk_engine_on_envelope(f->eng, &env, f->t0 + 3 * SEC);
    assert_int_equal(risk_engine_state(f->eng), ST(ACTIVE));
}

static void
t_commands(void **state)
{
    fx_t *f = *state;
    s_command(f, OFTS__COMMAND_TYPE__CMD_PAUSE, "", f->t0);
    assert_int_equal(risk_engine_state(f->eng), ST(REDUCING));
    assert_int_equal(f->commands, 0);                   //  pause: exits only, no flatten
    s_gc(f, "sig-1", f->t0 + SEC);
    assert_int_equal(f->last_code, CODE(REDUCING));
    s_command(f, OFTS__COMMAND_TYPE__CMD_RESUME, "", f->t0 + 2 * SEC);
    assert_int_equal(risk_engine_state(f->eng), ST(ACTIVE));
    assert_int_equal(f->commands, 1);
    assert_int_equal(f->last_cmd_type, OFTS__COMMAND_TYPE__CMD_RESUME);  //  lifts gateway-order's halt
    s_command(f, OFTS__COMMAND_TYPE__CMD_FLATTEN, "GC", f->t0 + 3 * SEC);
    assert_int_equal(f->commands, 2);
    assert_int_equal(f->last_cmd_type, OFTS__COMMAND_TYPE__CMD_FLATTEN);
    assert_string_equal(f->last_cmd_symbol, "GC");
    assert_int_equal(risk_engine_state(f->eng), ST(ACTIVE));
    s_command(f, OFTS__COMMAND_TYPE__CMD_KILL, "", f->t0 + 4 * SEC);
    assert_int_equal(risk_engine_state(f->eng), ST(HALTED));
    assert_int_equal(f->commands, 3);                   //  exactly one command for the kill:
    assert_int_equal(f->last_cmd_type, OFTS__COMMAND_TYPE__CMD_KILL);   //  flatten all + halt
    assert_string_equal(f->last_cmd_symbol, "");
    assert_int_equal(f->last_account.state, ST(HALTED));
    risk_engine_tick(f->eng, f->t0 + 10 * SEC);
    assert_int_equal(f->commands, 3);                   //  flat: no repeat
    s_gc(f, "sig-2", f->t0 + 11 * SEC);
    assert_int_equal(f->last_code, CODE(HALTED));
    s_command(f, OFTS__COMMAND_TYPE__CMD_RESUME, "", f->t0 + 12 * SEC);
    assert_int_equal(f->last_cmd_type, OFTS__COMMAND_TYPE__CMD_RESUME);
    s_gc(f, "sig-3", f->t0 + 13 * SEC);
    assert_int_equal(f->orders, 1);
}

//  15:05 CT: REDUCING and one flatten; repeated only while exposed; at the
//  17:00 CT open ACTIVE again. Monday 2026-03-09 is the first CDT weekday.
static void
t_flatten_time(void **state)
{
    fx_t *f = *state;
    int64_t t = ofts_ct_to_utc(2026, 3, 9, 14, 0, 0);
    s_gc(f, "sig-1", t);
    s_fill(f, "T1", f->last_coid, "GC", OFTS__SIDE__SIDE_BUY, "2350.0", 1, OFTS__ORDER_ROLE__ROLE_ENTRY, t);
    int64_t flat_at = ofts_ct_to_utc(2026, 3, 9, 15, 5, 0);
    assert_int_equal(flat_at, ofts_days_from_civil(2026, 3, 9) * 86400 * SEC + (20 * 3600 + 5 * 60) * SEC);
    risk_engine_tick(f->eng, flat_at - 100 * MS);
    assert_int_equal(risk_engine_state(f->eng), ST(ACTIVE));
    assert_int_equal(f->commands, 0);
    risk_engine_tick(f->eng, flat_at);
    assert_int_equal(risk_engine_state(f->eng), ST(REDUCING));
    assert_int_equal(f->commands, 1);
    risk_engine_tick(f->eng, flat_at + 5 * SEC);
    assert_int_equal(f->commands, 2);
    risk_engine_tick(f->eng, flat_at + 14900 * MS);     //  then 10 s, 20 s ... up to 60 s apart
    assert_int_equal(f->commands, 2);
    risk_engine_tick(f->eng, flat_at + 15 * SEC);
    assert_int_equal(f->commands, 3);
    s_fill(f, "T2", "flat", "GC", OFTS__SIDE__SIDE_SELL, "2351.0", 1, OFTS__ORDER_ROLE__ROLE_FLATTEN,
           flat_at + 16 * SEC);
    risk_engine_tick(f->eng, flat_at + 60 * SEC);
    assert_int_equal(f->commands, 3);                   //  flat: no more
    risk_engine_tick(f->eng, ofts_ct_to_utc(2026, 3, 9, 17, 0, 0));
    assert_int_equal(risk_engine_state(f->eng), ST(ACTIVE));
}

//  6 orders a minute: the 7th inside 60 s is refused, at 60 s it passes.
static void
t_rate_limit(void **state)
{
    fx_t *f = *state;
    f->cfg.max_open_positions = 10;
    f->cfg.max_contracts = 15;
    f->cfg.cooldown_ns = 0;
    f->cfg.daily_loss_limit_cents = 0;
    risk_engine_destroy(&f->eng);
    s_new_engine(f);
    char id[16];
    for (int i = 0; i < 6; i++) {
        snprintf(id, sizeof id, "r%d", i);
        s_market(f, "MGC", "2350.0", f->t0 + i * SEC);
        s_signal(f, id, "MGC", "2350.0", "2345.0", "2360.0", f->t0 + i * SEC);
        s_fill(f, id, f->last_coid, "MGC", OFTS__SIDE__SIDE_BUY, "2350.0", 1, OFTS__ORDER_ROLE__ROLE_ENTRY,
               f->t0 + i * SEC);
        s_fill(f, "x", "", "MGC", OFTS__SIDE__SIDE_SELL, "2350.0", 1, OFTS__ORDER_ROLE__ROLE_TARGET, 0);
        Ofts__Position p;
        ofts__position__init(&p);
        p.symbol = (char *) "MGC";
        risk_engine_on_position(f->eng, &p, f->t0 + i * SEC);
    }
    assert_int_equal(f->orders, 6);
    s_market(f, "MGC", "2350.0", f->t0 + 59 * SEC);
    s_signal(f, "r6", "MGC", "2350.0", "2345.0", "2360.0", f->t0 + 59 * SEC);
    assert_int_equal(f->last_code, CODE(RATE_LIMIT));
    s_market(f, "MGC", "2350.0", f->t0 + 60 * SEC);
    s_signal(f, "r7", "MGC", "2350.0", "2345.0", "2360.0", f->t0 + 60 * SEC);
    assert_int_equal(f->orders, 7);
}

static void
t_order_update_clears_working(void **state)
{
    fx_t *f = *state;
    f->cfg.cooldown_ns = 0;
    risk_engine_destroy(&f->eng);
    s_new_engine(f);
    s_gc(f, "sig-1", f->t0);
    Ofts__OrderUpdate u;
    ofts__order_update__init(&u);
    u.client_order_id = f->last_coid;
    u.symbol = (char *) "GC";
    u.role = OFTS__ORDER_ROLE__ROLE_ENTRY;
    u.status = OFTS__ORDER_STATUS__STATUS_WORKING;
    risk_engine_on_order_update(f->eng, &u, f->t0 + SEC);
    assert_true(risk_engine_working(f->eng, "GC"));
    u.status = OFTS__ORDER_STATUS__STATUS_REJECTED;
    u.text = (char *) "outside hours";
    risk_engine_on_order_update(f->eng, &u, f->t0 + 2 * SEC);
    assert_false(risk_engine_working(f->eng, "GC"));
    s_gc(f, "sig-2", f->t0 + 3 * SEC);
    assert_int_equal(f->orders, 2);
}

//  Restart: a new engine on the same journal remembers the cooldown, the
//  position, the seen signal ids, the day's P&L and a kill.
static void
t_journal_replay(void **state)
{
    fx_t *f = *state;
    char err[256];
    risk_journal_t *j = risk_journal_open(f->path, err, sizeof err);
    assert_non_null(j);
    assert_int_equal(risk_engine_attach_journal(f->eng, j, f->t0), 0);
    s_gc(f, "sig-1", f->t0);
    s_fill(f, "T1", f->last_coid, "GC", OFTS__SIDE__SIDE_BUY, "2350.0", 1, OFTS__ORDER_ROLE__ROLE_ENTRY, f->t0);
    s_market(f, "SI", "30.0", f->t0);
    s_signal(f, "sig-si", "SI", "30.0", "30.1", "29.8", f->t0 + SEC);      //  working SI short
    assert_int_equal(f->orders, 2);
    s_fill(f, "T0", "old", "HG", OFTS__SIDE__SIDE_BUY, "4.5", 1, OFTS__ORDER_ROLE__ROLE_ENTRY, f->t0);
    s_fill(f, "T9", "old-SL", "HG", OFTS__SIDE__SIDE_SELL, "4.49", 1, OFTS__ORDER_ROLE__ROLE_STOP, f->t0);
    s_command(f, OFTS__COMMAND_TYPE__CMD_PAUSE, "", f->t0 + 2 * SEC);
    risk_engine_destroy(&f->eng);
    risk_journal_destroy(&j);

    s_new_engine(f);
    j = risk_journal_open(f->path, err, sizeof err);
    assert_int_equal(risk_engine_attach_journal(f->eng, j, f->t0 + 3 * SEC), 0);
    assert_int_equal(risk_engine_position(f->eng, "GC"), 1);
    assert_true(risk_engine_working(f->eng, "SI"));
    assert_int_equal(risk_engine_state(f->eng), ST(REDUCING));
    Ofts__AccountState a;
    risk_engine_account(f->eng, &a);
    assert_int_equal(a.realized_pnl_cents, -25000);         //  HG 20 ticks x $12.50
    s_command(f, OFTS__COMMAND_TYPE__CMD_RESUME, "", f->t0 + 4 * SEC);
    //  The replayed fill is not applied twice.
    s_fill(f, "T1", "x", "GC", OFTS__SIDE__SIDE_BUY, "2350.0", 1, OFTS__ORDER_ROLE__ROLE_ENTRY, f->t0 + 4 * SEC);
    assert_int_equal(risk_engine_position(f->eng, "GC"), 1);
    //  Flat GC, then a new signal 1 min after the approval: still cooling down.
    s_fill(f, "T2", "x-TP", "GC", OFTS__SIDE__SIDE_SELL, "2360.0", 1, OFTS__ORDER_ROLE__ROLE_TARGET, f->t0 + 5 * SEC);
    s_gc(f, "sig-9", f->t0 + MIN);
    assert_int_equal(f->last_code, CODE(COOLDOWN));
    s_gc(f, "sig-1", f->t0 + 10 * MIN);
    assert_int_equal(f->last_code, CODE(DUPLICATE));
    s_gc(f, "sig-10", f->t0 + 10 * MIN);
    assert_int_equal(f->orders, 3);
    risk_engine_destroy(&f->eng);
    risk_journal_destroy(&j);
}

//  Broker positions win: journal GC +1, broker SI -2 -> GC flat, SI -2.
static void
t_reconcile(void **state)
{
    fx_t *f = *state;
    f->cfg.require_reconcile = true;
    risk_engine_destroy(&f->eng);
    s_new_engine(f);
    s_gc(f, "sig-1", f->t0);
    assert_int_equal(f->last_code, CODE(STALE_DATA));
    assert_non_null(strstr(f->last_text, "reconciled"));
    s_fill(f, "T1", "x", "GC", OFTS__SIDE__SIDE_BUY, "2350.0", 1, OFTS__ORDER_ROLE__ROLE_ENTRY, f->t0);
    risk_engine_reconcile_begin(f->eng);
    Ofts__Position p;
    ofts__position__init(&p);
    p.symbol = (char *) "SI";
    p.quantity = -2;
    p.avg_price = px("30.0");
    risk_engine_on_position(f->eng, &p, f->t0);     //  routed into the reconcile
    risk_engine_reconcile_end(f->eng, f->t0);
    assert_true(risk_engine_reconciled(f->eng));
    assert_int_equal(risk_engine_position(f->eng, "GC"), 0);
    assert_int_equal(risk_engine_position(f->eng, "SI"), -2);
    s_gc(f, "sig-2", f->t0 + SEC);
    assert_int_equal(f->orders, 1);
}

//  A fill missed while risk was down arrives in the snapshot next to the
//  position that already contains it: in either order, the P&L counts once
//  and the position is the broker's.
static void
t_reconcile_fill_and_position(void **state)
{
    fx_t *f = *state;
    for (int order = 0; order < 2; order++) {
        risk_engine_destroy(&f->eng);
        s_new_engine(f);
        s_fill(f, "T1", "e", "GC", OFTS__SIDE__SIDE_BUY, "2350.0", 1, OFTS__ORDER_ROLE__ROLE_ENTRY, f->t0);
        risk_engine_reconcile_begin(f->eng);
        Ofts__Position flat;
        ofts__position__init(&flat);
        flat.symbol = (char *) "GC";
        if (order == 0)
            risk_engine_reconcile_position(f->eng, &flat, f->t0 + MIN);
        s_fill(f, "T2", "e-TP", "GC", OFTS__SIDE__SIDE_SELL, "2355.0", 1, OFTS__ORDER_ROLE__ROLE_TARGET,
               f->t0 + MIN);
        if (order == 1)
            risk_engine_reconcile_position(f->eng, &flat, f->t0 + MIN);
        risk_engine_reconcile_end(f->eng, f->t0 + MIN);
        assert_int_equal(risk_engine_position(f->eng, "GC"), 0);
        Ofts__AccountState a;
        risk_engine_account(f->eng, &a);
        assert_int_equal(a.realized_pnl_cents, 50000);
    }
}

//  A working entry gateway-order lists survives a reconcile. One it does not
//  list (its approval was lost on the bus) is published again, same client
//  order id, at most twice; then it is cleared once older than 10 s
//  (younger may still be in flight).
static void
s_reconcile_listing_gc(fx_t *f, int64_t now)
{
    risk_engine_reconcile_begin(f->eng);
    Ofts__OrderUpdate u;
    ofts__order_update__init(&u);
    char coid[64];
    snprintf(coid, sizeof coid, "%s", "ofts-dcdbdc4f314bc3640d070985");     //  sig-1
    u.client_order_id = coid;
    u.symbol = (char *) "GC";
    u.role = OFTS__ORDER_ROLE__ROLE_ENTRY;
    u.status = OFTS__ORDER_STATUS__STATUS_WORKING;
    risk_engine_reconcile_order(f->eng, &u, now);
    risk_engine_reconcile_end(f->eng, now);
}

static void
t_reconcile_working(void **state)
{
    fx_t *f = *state;
    s_gc(f, "sig-1", f->t0);
    s_market(f, "SI", "30.0", f->t0);
    s_signal(f, "sig-si", "SI", "30.0", "30.1", "29.8", f->t0);
    char si_coid[64];
    snprintf(si_coid, sizeof si_coid, "%s", f->last_coid);
    s_market(f, "HG", "4.5", f->t0 + 9 * SEC);
    s_signal(f, "sig-hg", "HG", "4.5", "4.49", "4.52", f->t0 + 9 * SEC);
    assert_string_equal(f->last_text, "");
    assert_int_equal(f->orders, 3);
    s_reconcile_listing_gc(f, f->t0 + 10 * SEC);
    assert_int_equal(f->orders, 5);                      //  SI and HG published again
    assert_true(risk_engine_working(f->eng, "GC"));      //  listed
    assert_true(risk_engine_working(f->eng, "SI"));
    assert_true(risk_engine_working(f->eng, "HG"));
    s_reconcile_listing_gc(f, f->t0 + 11 * SEC);
    assert_int_equal(f->orders, 7);                      //  second and last resend
    s_reconcile_listing_gc(f, f->t0 + 12 * SEC);
    assert_int_equal(f->orders, 7);
    assert_true(risk_engine_working(f->eng, "GC"));
    assert_false(risk_engine_working(f->eng, "SI"));     //  12 s old, not listed, resends used
    assert_true(risk_engine_working(f->eng, "HG"));      //  3 s old: may be in flight
    //  A resend is the same approval: the last one published was HG's.
    assert_int_equal(strncmp(f->last_coid, "ofts-", 5), 0);
    assert_string_not_equal(f->last_coid, si_coid);
}

typedef struct {
    char topics[512];
    int64_t order_ts;
} snap_t;

static void
s_snap_item(void *arg, const char *topic, Ofts__Envelope *env)
{
    snap_t *s = arg;
    strncat(s->topics, topic, sizeof s->topics - strlen(s->topics) - 1);
    if (env->body_case == OFTS__ENVELOPE__BODY_ORDER_REQUEST)
        s->order_ts = env->header->ts_event;
    //  Every item must pack (it goes on the wire as is).
    uint8_t buf[1024];
    assert_true(ofts__envelope__get_packed_size(env) < sizeof buf);
    ofts__envelope__pack(env, buf);
}

static void
t_snapshot(void **state)
{
    fx_t *f = *state;
    s_gc(f, "sig-1", f->t0);
    s_fill(f, "T1", f->last_coid, "GC", OFTS__SIDE__SIDE_BUY, "2350.0", 1, OFTS__ORDER_ROLE__ROLE_ENTRY, f->t0);
    s_market(f, "SI", "30.0", f->t0);
    s_signal(f, "sig-si", "SI", "30.0", "30.1", "29.8", f->t0 + SEC);
    snap_t s = { "", 0 };
    risk_engine_snapshot(f->eng, s_snap_item, &s);
    assert_string_equal(s.topics, "risk.account.risk.position.GC.risk.order.GC.risk.order.SI.risk.working.SI.");
}

//  Quotes keep a quiet market fresh; only trades move the fat-finger price.
static void
t_quotes_refresh_staleness(void **state)
{
    fx_t *f = *state;
    s_market(f, "GC", "2350.0", f->t0);
    Ofts__Heartbeat hb;
    ofts__heartbeat__init(&hb);
    hb.service = (char *) "gateway-md";
    risk_engine_on_heartbeat(f->eng, &hb, f->t0 + 5 * SEC);
    s_signal(f, "s1", "GC", "2350.0", "2345.0", "2360.0", f->t0 + 5 * SEC);
    assert_int_equal(f->last_code, CODE(STALE_DATA));
    Ofts__TopOfBook q;
    ofts__top_of_book__init(&q);
    q.symbol = (char *) "GC";
    q.bid_px = px("2351.9");
    q.ask_px = px("2352.0");
    Ofts__Envelope env;
    ofts__envelope__init(&env);
    env.body_case = OFTS__ENVELOPE__BODY_BBO;
    env.bbo = &q;
    risk_engine_on_envelope(f->eng, &env, f->t0 + 5 * SEC);
    s_signal(f, "s2", "GC", "2352.0", "2347.0", "2362.0", f->t0 + 5 * SEC);
    assert_int_equal(f->last_code, CODE(FAT_FINGER));   //  20 ticks from the last trade
    s_signal(f, "s3", "GC", "2350.0", "2345.0", "2360.0", f->t0 + 5 * SEC);
    assert_int_equal(f->orders, 1);
}

static void
t_bad_events(void **state)
{
    fx_t *f = *state;
    s_fill(f, "", "x", "GC", OFTS__SIDE__SIDE_BUY, "2350.0", 1, OFTS__ORDER_ROLE__ROLE_ENTRY, f->t0);
    s_fill(f, "T1", "x", "CL", OFTS__SIDE__SIDE_BUY, "70.0", 1, OFTS__ORDER_ROLE__ROLE_ENTRY, f->t0);
    s_fill(f, "T2", "x", "GC", OFTS__SIDE__SIDE_NONE, "2350.0", 1, OFTS__ORDER_ROLE__ROLE_ENTRY, f->t0);
    assert_int_equal(risk_engine_position(f->eng, "GC"), 0);
    Ofts__Envelope env;
    ofts__envelope__init(&env);
    risk_engine_on_envelope(f->eng, &env, f->t0);           //  empty body: ignored
    Ofts__Signal s;
    ofts__signal__init(&s);                                 //  all fields empty
    risk_engine_on_signal(f->eng, &s, f->t0);
    assert_int_equal(f->last_code, CODE(BAD_SIGNAL));
    s.id = NULL;                                            //  a careless caller
    s.symbol = NULL;
    s.contract = NULL;
    risk_engine_on_signal(f->eng, &s, f->t0);
    assert_int_equal(f->last_code, CODE(BAD_SIGNAL));
    s.id = (char *) "ok-id";
    s.direction = OFTS__SIDE__SIDE_BUY;
    s.entry = px("2350");
    s.stop = px("2345");
    s.take_profit = px("2360");
    risk_engine_on_signal(f->eng, &s, f->t0);
    assert_int_equal(f->last_code, CODE(UNKNOWN_SYMBOL));
}

//  --- months: a contract is a contract, not a root (issue 12 part 1) -------

static void
s_print(fx_t *f, const char *contract, const char *price, uint32_t size, int64_t now)
{
    s_md(f, "GC", contract, price, size, now);
}

//  A new engine over the changed f->cfg.
static void
s_reconfigure(fx_t *f)
{
    risk_engine_destroy(&f->eng);
    s_new_engine(f);
}

static void
s_month_signal(fx_t *f, const char *id, const char *contract, Ofts__Side dir, const char *entry, int64_t now)
{
    int64_t e = px(entry), d = dir == OFTS__SIDE__SIDE_BUY ? 1 : -1;
    Ofts__Signal s;
    ofts__signal__init(&s);
    s.id = (char *) id;
    s.symbol = (char *) "GC";
    s.contract = (char *) contract;
    s.direction = dir;
    s.entry = e;
    s.stop = e - d * px("5.0");
    s.take_profit = e + d * px("10.0");
    s.confidence = 0.8;
    risk_engine_on_signal(f->eng, &s, now);
}

static void
s_month_fill(fx_t *f, const char *id, const char *coid, const char *contract, Ofts__Side side,
             const char *price, Ofts__OrderRole role, int64_t now)
{
    Ofts__Fill fl = risk_fx_fill(id, coid, "GC", side, price, 1, role);
    fl.contract = (char *) contract;
    risk_engine_on_fill(f->eng, &fl, now);
}

//  The case: short GCZ6 filled at 2350.0, then one GCG7 print at
//  2370.0 while GCZ6 is unchanged. Before: -$2,000 unrealized, "maximum
//  loss limit reached" (HALTED, flatten all), and a GCZ6 signal rejected as
//  200 ticks from the last price. Now: GCG7 prices nothing of GCZ6.
static void
t_other_month_never_prices(void **state)
{
    fx_t *f = *state;
    for (int i = 0; i < 30; i++)
        s_print(f, "GCZ6", "2350.0", 3, f->t0 + i * MS);
    assert_string_equal(risk_engine_traded_contract(f->eng, "GC"), "GCZ6");
    s_month_signal(f, "z-1", "GCZ6", OFTS__SIDE__SIDE_SELL, "2350.0", f->t0 + 100 * MS);
    assert_int_equal(f->orders, 1);
    assert_string_equal(f->last_order.contract, "GCZ6");
    char coid[64];
    snprintf(coid, sizeof coid, "%s", f->last_coid);
    s_month_fill(f, "F1", coid, "GCZ6", OFTS__SIDE__SIDE_SELL, "2350.0", OFTS__ORDER_ROLE__ROLE_ENTRY,
                 f->t0 + 200 * MS);
    s_print(f, "GCG7", "2370.0", 1, f->t0 + SEC);
    Ofts__AccountState a;
    risk_engine_account(f->eng, &a);
    assert_int_equal(a.unrealized_pnl_cents, 0);
    assert_int_equal(risk_engine_state(f->eng), ST(ACTIVE));
    assert_int_equal(f->commands, 0);
    //  Its own month still marks it: GCZ6 2350.3 = 3 ticks against a short.
    s_print(f, "GCZ6", "2350.3", 1, f->t0 + 2 * SEC);
    risk_engine_account(f->eng, &a);
    assert_int_equal(a.unrealized_pnl_cents, -3000);
    //  Target at 2340.0: +$1,000. After the cooldown, with GCG7 printing
    //  2370.0 last, a GCZ6 signal at 2350.0 is 0 ticks from GCZ6: approved.
    s_month_fill(f, "F2", "x-TP", "GCZ6", OFTS__SIDE__SIDE_BUY, "2340.0", OFTS__ORDER_ROLE__ROLE_TARGET,
                 f->t0 + 60 * SEC);
    risk_engine_account(f->eng, &a);
    assert_int_equal(a.realized_pnl_cents, 100000);
    s_print(f, "GCZ6", "2350.0", 2, f->t0 + 6 * MIN);
    s_print(f, "GCG7", "2370.0", 1, f->t0 + 6 * MIN + MS);
    s_month_signal(f, "z-2", "GCZ6", OFTS__SIDE__SIDE_SELL, "2350.0", f->t0 + 6 * MIN + 2 * MS);
    assert_int_equal(f->orders, 2);
    assert_int_equal(risk_engine_state(f->eng), ST(ACTIVE));
    //  The thin month itself never gets an entry.
    s_print(f, "GCG7", "2370.0", 1, f->t0 + 20 * MIN);
    s_month_signal(f, "g-1", "GCG7", OFTS__SIDE__SIDE_BUY, "2370.0", f->t0 + 20 * MIN);
    assert_int_equal(f->last_code, CODE(NOT_TRADED_CONTRACT));
    assert_int_equal(f->orders, 2);
}

//  Roll: GCG7 takes the volume lead. No new entries in GCZ6 from then on;
//  the open GCZ6 long keeps being marked by GCZ6 (not by GCG7, $10 higher);
//  after it closes, GCG7 signals are approved.
static void
t_roll(void **state)
{
    fx_t *f = *state;
    f->cfg.roll_trades = 50;
    s_reconfigure(f);
    for (int i = 0; i < 40; i++)
        s_print(f, "GCZ6", "2350.0", 4, f->t0 + i * MS);
    s_month_signal(f, "z-1", "GCZ6", OFTS__SIDE__SIDE_BUY, "2350.0", f->t0 + 100 * MS);
    char coid[64];
    snprintf(coid, sizeof coid, "%s", f->last_coid);
    s_month_fill(f, "F1", coid, "GCZ6", OFTS__SIDE__SIDE_BUY, "2350.0", OFTS__ORDER_ROLE__ROLE_ENTRY,
                 f->t0 + 200 * MS);
    int i = 0;
    while (strcmp(risk_engine_traded_contract(f->eng, "GC"), "GCZ6") == 0 && i < 1000) {
        s_print(f, "GCG7", "2360.0", 6, f->t0 + SEC + i * MS);
        if (i++ % 4 == 0)
            s_print(f, "GCZ6", "2351.0", 1, f->t0 + SEC + i * MS);
    }
    assert_string_equal(risk_engine_traded_contract(f->eng, "GC"), "GCG7");
    assert_true(i > 10);                //  the lead needs a real volume shift
    Ofts__AccountState a;
    risk_engine_account(f->eng, &a);
    assert_int_equal(a.unrealized_pnl_cents, 10000);     //  GCZ6 2351.0: +10 ticks, not +100
    s_month_fill(f, "F2", "x-SL", "GCZ6", OFTS__SIDE__SIDE_SELL, "2351.0", OFTS__ORDER_ROLE__ROLE_STOP,
                 f->t0 + 2 * SEC);
    s_print(f, "GCZ6", "2351.0", 1, f->t0 + 10 * MIN);
    s_print(f, "GCG7", "2360.0", 5, f->t0 + 10 * MIN);
    s_month_signal(f, "z-2", "GCZ6", OFTS__SIDE__SIDE_BUY, "2351.0", f->t0 + 10 * MIN + MS);
    assert_int_equal(f->last_code, CODE(NOT_TRADED_CONTRACT));
    s_month_signal(f, "g-1", "GCG7", OFTS__SIDE__SIDE_BUY, "2360.0", f->t0 + 10 * MIN + 2 * MS);
    assert_int_equal(f->orders, 2);
    assert_string_equal(f->last_order.contract, "GCG7");
}

//  A pinned month (risk.traded_contracts) never rolls by volume.
static void
t_pinned_contract(void **state)
{
    fx_t *f = *state;
    f->cfg.roll_trades = 50;
    snprintf(f->cfg.traded[0].root, sizeof f->cfg.traded[0].root, "GC");
    snprintf(f->cfg.traded[0].contract, sizeof f->cfg.traded[0].contract, "GCZ6");
    f->cfg.traded_count = 1;
    s_reconfigure(f);
    assert_string_equal(risk_engine_traded_contract(f->eng, "GC"), "GCZ6");
    for (int i = 0; i < 200; i++)
        s_print(f, "GCG7", "2360.0", 6, f->t0 + i * MS);
    s_print(f, "GCZ6", "2350.0", 1, f->t0 + SEC);
    assert_string_equal(risk_engine_traded_contract(f->eng, "GC"), "GCZ6");
    s_month_signal(f, "z-1", "GCZ6", OFTS__SIDE__SIDE_BUY, "2350.0", f->t0 + SEC + MS);
    assert_int_equal(f->orders, 1);
}

static const char *
s_lead(fx_t *f)
{
    const char *lead = risk_engine_traded_contract(f->eng, "GC");
    return lead ? lead : "(none)";
}

//  issue 12: the traded contract is journaled. Restarted mid-session, risk
//  keeps trading GCZ6: the first print after the restart (a thin GCG7
//  one) must not become the traded contract, and a GCZ6 signal is approved.
//  The volume rule still rolls once GCG7 really leads, after the hold.
static void
t_lead_survives_restart(void **state)
{
    fx_t *f = *state;
    f->cfg.roll_trades = 50;
    s_reconfigure(f);
    char err[256];
    risk_journal_t *j = risk_journal_open(f->path, err, sizeof err);
    assert_non_null(j);
    assert_int_equal(risk_engine_attach_journal(f->eng, j, f->t0), 0);
    for (int i = 0; i < 40; i++)
        s_print(f, "GCZ6", "2350.0", 4, f->t0 + i * MS);
    assert_string_equal(s_lead(f), "GCZ6");
    risk_engine_destroy(&f->eng);
    risk_journal_destroy(&j);

    s_new_engine(f);
    j = risk_journal_open(f->path, err, sizeof err);
    assert_int_equal(risk_engine_attach_journal(f->eng, j, f->t0 + SEC), 0);
    assert_string_equal(s_lead(f), "GCZ6");
    s_print(f, "GCG7", "2360.0", 1, f->t0 + 2 * SEC);
    s_print(f, "GCZ6", "2350.0", 1, f->t0 + 2 * SEC + MS);
    assert_string_equal(s_lead(f), "GCZ6");
    s_month_signal(f, "z-1", "GCZ6", OFTS__SIDE__SIDE_BUY, "2350.0", f->t0 + 2 * SEC + 2 * MS);
    assert_int_equal(f->orders, 1);
    assert_string_equal(f->last_order.contract, "GCZ6");
    //  A real roll: GCG7 takes the volume; after the 50-trade hold it leads.
    int i = 0;
    while (strcmp(s_lead(f), "GCZ6") == 0 && i < 1000)
        s_print(f, "GCG7", "2360.0", 6, f->t0 + 3 * SEC + i++ * MS);
    assert_string_equal(s_lead(f), "GCG7");
    assert_true(i >= 45);               //  not before the hold (50 trades) is over
    risk_engine_destroy(&f->eng);
    //  ... and that decision is the one the next restart keeps.
    s_new_engine(f);
    assert_int_equal(risk_engine_attach_journal(f->eng, j, f->t0 + 4 * SEC), 0);
    assert_string_equal(s_lead(f), "GCG7");
    risk_engine_destroy(&f->eng);
    risk_journal_destroy(&j);
}

//  gateway-order's position of GC, as the broker reads it.
static void
s_position(fx_t *f, int32_t qty, const char *avg, int64_t now)
{
    Ofts__Position p;
    ofts__position__init(&p);
    p.symbol = (char *) "GC";
    p.contract = (char *) "GCZ6";
    p.quantity = qty;
    p.avg_price = avg ? risk_fx_px(avg) : 0;
    risk_engine_on_position(f->eng, &p, now);
}

static int64_t
s_realized(fx_t *f)
{
    Ofts__AccountState a;
    risk_engine_account(f->eng, &a);
    return a.realized_pnl_cents;
}

//  The flatten's close of long 2 GC @ 2350.0, its fill after a position
//  report already showed it flat: sell 2 @ 2353.5, $4.20 fees -> flat,
//  +$695.80.
static void
s_late_close_of_long_2(fx_t *f)
{
    Ofts__Fill close = risk_fx_fill("T2", "FL-GC-1", "GC", OFTS__SIDE__SIDE_SELL, "2353.5", 2,
                                    OFTS__ORDER_ROLE__ROLE_FLATTEN);
    close.fees_cents = 420;
    risk_engine_on_fill(f->eng, &close, f->t0 + MIN + 2 * SEC);
    assert_int_equal(risk_engine_position(f->eng, "GC"), 0);
    assert_int_equal(s_realized(f), 69580);
}

//  Issue 13 / gateway-order "known, not fixed": a poll read a flatten's
//  position flat before the close's trade. Long 2 GC @ 2350.0, exec.position
//  0, then the flatten's fill (sell 2 @ 2353.5, $4.20 fees): before, risk
//  took the 0 and added the fill - short 2 (a phantom), +$0 realized. Now:
//  flat, 35 ticks x $10 x 2 - $4.20 = $695.80.
static void
t_position_before_close_fill(void **state)
{
    fx_t *f = *state;
    s_fill(f, "T1", "e", "GC", OFTS__SIDE__SIDE_BUY, "2350.0", 2, OFTS__ORDER_ROLE__ROLE_ENTRY, f->t0);
    s_position(f, 2, "2350.0", f->t0 + SEC);
    assert_int_equal(risk_engine_position(f->eng, "GC"), 2);
    s_position(f, 0, NULL, f->t0 + MIN);
    assert_int_equal(risk_engine_position(f->eng, "GC"), 0);
    s_late_close_of_long_2(f);
    //  The move is explained: the next entry moves the position again.
    s_fill(f, "T3", "e2", "GC", OFTS__SIDE__SIDE_SELL, "2353.0", 1, OFTS__ORDER_ROLE__ROLE_ENTRY, f->t0 + 2 * MIN);
    assert_int_equal(risk_engine_position(f->eng, "GC"), -1);
    assert_int_equal(s_realized(f), 69580);
}

//  The other way round: the entry's position read before its trade. +2 @
//  2350.0 from exec.position, then the entry fill: still 2 (before: 4);
//  the target sells 2 @ 2351.0: +$200. A move whose fill never comes (a
//  position changed by hand, its trade voided) stops explaining fills
//  after 60 s: a later buy moves the position.
static void
t_position_before_entry_fill(void **state)
{
    fx_t *f = *state;
    s_position(f, 2, "2350.0", f->t0);
    s_fill(f, "T1", "e", "GC", OFTS__SIDE__SIDE_BUY, "2350.0", 2, OFTS__ORDER_ROLE__ROLE_ENTRY, f->t0 + SEC);
    assert_int_equal(risk_engine_position(f->eng, "GC"), 2);
    s_fill(f, "T2", "e-TP", "GC", OFTS__SIDE__SIDE_SELL, "2351.0", 2, OFTS__ORDER_ROLE__ROLE_TARGET, f->t0 + MIN);
    assert_int_equal(risk_engine_position(f->eng, "GC"), 0);
    assert_int_equal(s_realized(f), 20000);
    s_position(f, 1, "2352.0", f->t0 + 2 * MIN);
    s_fill(f, "T3", "x", "GC", OFTS__SIDE__SIDE_BUY, "2352.0", 1, OFTS__ORDER_ROLE__ROLE_ENTRY, f->t0 + 3 * MIN + SEC);
    assert_int_equal(risk_engine_position(f->eng, "GC"), 2);
}

//  The close's position read before its trade, seen by a risk that
//  restarts in between (kind 0: the snapshot after the restart shows the
//  broker flat, the fill comes later) or that reads it first in a
//  reconcile (kind 1: no restart, a reconcile after a bus gap). Either way
//  the late close fill is the same trade: flat, +$695.80 (sell 2 @ 2353.5
//  against 2350.0, $4.20 fees); before, risk went short 2 - a phantom
//  position it could "flatten" with a real order.
static void
t_restart_before_close_fill(void **state)
{
    fx_t *f = *state;
    char err[256];
    for (int kind = 0; kind < 2; kind++) {
        char path[sizeof f->path + 16];
        snprintf(path, sizeof path, "%s.%d", f->path, kind);
        risk_journal_t *j = risk_journal_open(path, err, sizeof err);
        assert_non_null(j);
        assert_int_equal(risk_engine_attach_journal(f->eng, j, f->t0), 0);
        s_fill(f, "T1", "e", "GC", OFTS__SIDE__SIDE_BUY, "2350.0", 2, OFTS__ORDER_ROLE__ROLE_ENTRY, f->t0);
        Ofts__Position flat;
        ofts__position__init(&flat);
        flat.symbol = (char *) "GC";
        if (kind == 0) {
            s_position(f, 0, NULL, f->t0 + MIN);
            risk_engine_destroy(&f->eng);
            s_new_engine(f);
            assert_int_equal(risk_engine_attach_journal(f->eng, j, f->t0 + MIN + SEC), 0);
            assert_int_equal(risk_engine_position(f->eng, "GC"), 0);
        }
        risk_engine_reconcile_begin(f->eng);
        risk_engine_reconcile_position(f->eng, &flat, f->t0 + MIN + SEC);
        risk_engine_reconcile_end(f->eng, f->t0 + MIN + SEC);
        assert_int_equal(risk_engine_position(f->eng, "GC"), 0);
        s_late_close_of_long_2(f);
        risk_engine_destroy(&f->eng);
        risk_journal_destroy(&j);
        s_new_engine(f);
    }
}

//  A position changed by hand (exec.position +1 with no fill of ours) while
//  our entry works: the entry's fill is taken as the hand trade for a
//  moment (position kept at 1), and the broker's next position report, which
//  always follows a fill that moved it, sets the truth (+2).
static void
t_hand_trade_then_entry_fill(void **state)
{
    fx_t *f = *state;
    s_position(f, 1, "2350.0", f->t0);
    s_fill(f, "T1", "e", "GC", OFTS__SIDE__SIDE_BUY, "2351.0", 1, OFTS__ORDER_ROLE__ROLE_ENTRY, f->t0 + SEC);
    assert_int_equal(risk_engine_position(f->eng, "GC"), 1);
    s_position(f, 2, "2350.5", f->t0 + 2 * SEC);
    assert_int_equal(risk_engine_position(f->eng, "GC"), 2);
    s_fill(f, "T2", "e-TP", "GC", OFTS__SIDE__SIDE_SELL, "2352.5", 2, OFTS__ORDER_ROLE__ROLE_TARGET, f->t0 + MIN);
    assert_int_equal(risk_engine_position(f->eng, "GC"), 0);
    assert_int_equal(s_realized(f), 40000);        //  2 x 20 ticks x $10 from the broker's 2350.5
}

//  The shipped calendar (config/default.json risk.early_closes) on the day
//  after Thanksgiving 2026 and Christmas Eve 2026 (CME closes early; 12:00
//  CT taken): long 1 GC at 11:00 CT, still ACTIVE at 11:54:59, REDUCING
//  with a flatten-all at 11:55 naming the early close. Before, nothing
//  happened until 15:05 - three hours after the market closed.
static void
t_early_close_flattens(void **state)
{
    fx_t *f = *state;
    const char *src = getenv("OFTS_SRC");
    if (!src)
        skip();
    char path[1024], err[256];
    snprintf(path, sizeof path, "%s/config/default.json", src);
    ofts_config_t *c = ofts_config_load(path, err, sizeof err);
    assert_non_null(c);
    risk_config_defaults(&f->cfg);
    ofts_cfgsec_t *sec = ofts_config_section(c, "risk");
    risk_config_read(&f->cfg, sec);
    //  Keys read by the service, not risk_config: the rest must read cleanly.
    ofts_cfgsec_string(sec, "clock", NULL);
    ofts_cfgsec_string(sec, "journal", NULL);
    assert_int_equal(ofts_cfgsec_finish(&sec, err, sizeof err), 0);
    ofts_config_destroy(&c);
    f->cfg.require_reconcile = false;
    f->cfg.require_md_heartbeat = false;
    static const int days[][3] = { { 2026, 11, 27 }, { 2026, 12, 24 } };
    for (int k = 0; k < 2; k++) {
        s_reconfigure(f);
        f->commands = 0;
        int64_t at11 = ofts_ct_to_utc(days[k][0], days[k][1], days[k][2], 11, 0, 0);
        char fill_id[16];
        snprintf(fill_id, sizeof fill_id, "T%d", k);
        s_fill(f, fill_id, "e", "GC", OFTS__SIDE__SIDE_BUY, "2350.0", 1, OFTS__ORDER_ROLE__ROLE_ENTRY, at11);
        s_market(f, "GC", "2351.0", at11 + 54 * MIN + 59 * SEC);
        assert_int_equal(risk_engine_state(f->eng), ST(ACTIVE));
        assert_int_equal(f->commands, 0);
        s_market(f, "GC", "2351.0", at11 + 55 * MIN);
        assert_int_equal(risk_engine_state(f->eng), ST(REDUCING));
        assert_non_null(strstr(risk_engine_state_reason(f->eng), "early close 12:00 CT"));
        assert_int_equal(f->commands, 1);
        assert_int_equal(f->last_cmd_type, OFTS__COMMAND_TYPE__CMD_FLATTEN);
    }
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, s_setup, s_teardown)
//  A trade of GC contract by memo (ofts sweep's path) or, memo NULL, by name.
static void
s_memo_print(risk_engine_t *eng, risk_market_memo_t *memo, const char *symbol, const char *contract, const char *price,
             uint32_t size, int64_t now)
{
    Ofts__Trade t = risk_fx_trade(symbol, contract, price, size);
    if (memo)
        risk_engine_on_trade_memo(eng, memo, &t, now);
    else
        risk_engine_on_trade(eng, &t, now);
}

//  Seven months of GC through six places: the seventh takes GCG7's place
//  (each thin month printed one lot; GCG7's weight is the oldest).
//  GCG7's memo still names that place; its next trades must make a new
//  GCG7 month, never add to GCX7 - so when GCG7
//  takes the volume lead, the traded contract is GCG7 (by name the same).
//  A memo found stale by its month's gen is looked up again by name.
static void
t_memo_follows_a_month_that_moved(void **state)
{
    fx_t *f = *state;
    f->cfg.roll_trades = 50;
    s_reconfigure(f);
    risk_engine_t *by_name = risk_engine_new(&f->cfg, NULL, NULL);
    static const char *months[] = { "GCZ6", "GCG7", "GCJ7", "GCM7", "GCQ7", "GCV7", "GCX7" };
    risk_market_memo_t memo[7], unknown, bad;
    memset(memo, 0, sizeof memo);
    memset(&unknown, 0, sizeof unknown);
    memset(&bad, 0, sizeof bad);
    int64_t t = f->t0;
    const char *p = "2350.0";
    uint32_t first_gen = 0;
    for (int k = 0; k < 2; k++) {
        risk_engine_t *eng = k ? by_name : f->eng;
        risk_market_memo_t *m = k ? NULL : memo;
        for (int i = 0; i < 30; i++)
            s_memo_print(eng, m ? &m[0] : NULL, "GC", months[0], p, 10, t + i * MS);
        for (int c = 1; c < 7; c++)
            s_memo_print(eng, m ? &m[c] : NULL, "GC", months[c], p, 1, t + (40 + c) * MS);
        assert_string_equal(risk_engine_traded_contract(eng, "GC"), "GCZ6");
        if (!k)
            first_gen = memo[1].gen;
        for (int i = 0; i < 200; i++)
            s_memo_print(eng, m ? &m[1] : NULL, "GC", "GCG7", p, 20, t + (100 + i) * MS);
        assert_string_equal(risk_engine_traded_contract(eng, "GC"), "GCG7");
    }
    //  GCX7 took GCG7's place (the quietest: one lot, printed first), then
    //  the new GCG7 took the next quietest's, GCJ7's: another place and gen.
    assert_int_equal(memo[6].month, 1);
    assert_int_equal(memo[1].month, 2);
    assert_int_not_equal(memo[1].gen, first_gen);
    //  A symbol risk does not know is remembered as such; a bad price
    //  looks nothing up (by name it would make no month either).
    s_memo_print(f->eng, &unknown, "ZZ", "ZZZ6", p, 1, t + SEC);
    assert_int_equal(unknown.slot, -1);
    s_memo_print(f->eng, &bad, "GC", "GCF7", "0", 1, t + SEC);
    assert_int_equal(bad.slot, 0);
    risk_engine_destroy(&by_name);
}

//  A parent-symbol feed brings thin months that print a lot or two. A new
//  month must replace the quietest one, never the next contract: GCG7 has
//  learnt most of GCZ6's volume when GCX7 prints once; by hand (roll_trades
//  50: each trade keeps 49/50 of every weight; margin 1.25) GCZ6 ~137 and
//  GCG7 ~150 lots then, and four more GCG7 prints of 10 make GCG7 ~177
//  against 1.25 x 126 = 158: it leads. Had GCX7 taken GCG7's place, GCG7
//  would restart from 0 and hold ~39 after those four - no roll.
static void
t_thin_month_never_evicts_the_next(void **state)
{
    fx_t *f = *state;
    f->cfg.roll_trades = 50;
    s_reconfigure(f);
    static const char *thin[] = { "GCJ7", "GCM7", "GCQ7", "GCV7", "GCX7" };
    int64_t t = f->t0;
    const char *p = "2350.0";
    for (int i = 0; i < 30; i++)
        s_memo_print(f->eng, NULL, "GC", "GCZ6", p, 10, t += MS);
    for (int i = 0; i < 20; i++)
        s_memo_print(f->eng, NULL, "GC", "GCG7", p, 10, t += MS);
    for (int c = 0; c < 5; c++)
        s_memo_print(f->eng, NULL, "GC", thin[c], p, 1, t += MS);
    assert_string_equal(risk_engine_traded_contract(f->eng, "GC"), "GCZ6");
    for (int i = 0; i < 4; i++)
        s_memo_print(f->eng, NULL, "GC", "GCG7", p, 10, t += MS);
    assert_string_equal(risk_engine_traded_contract(f->eng, "GC"), "GCG7");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(t_approve_then_duplicate), T(t_fills_pnl_and_cooldown), T(t_daily_loss_by_one_tick),
        T(t_trailing_mll), T(t_mll_locks_at_start), T(t_commands), T(t_flatten_time), T(t_rate_limit),
        T(t_order_gateway_reducing),
        T(t_order_update_clears_working), T(t_journal_replay), T(t_reconcile), T(t_reconcile_fill_and_position), T(t_reconcile_working), T(t_snapshot), T(t_quotes_refresh_staleness), T(t_bad_events),
        T(t_position_before_close_fill), T(t_position_before_entry_fill),
        T(t_restart_before_close_fill), T(t_hand_trade_then_entry_fill), T(t_early_close_flattens),
        T(t_other_month_never_prices), T(t_roll), T(t_pinned_contract),
        T(t_lead_survives_restart), T(t_memo_follows_a_month_that_moved), T(t_thin_month_never_evicts_the_next),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
