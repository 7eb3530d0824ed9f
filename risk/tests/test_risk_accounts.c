/*  risk_accounts: several accounts from one signal stream (docs/accounts.md).
    Two accounts trade one signal with their own ids and sizes; a loss limit
    halts only its account; a hedge across accounts is refused with
    REJECT_HEDGE; a kill of one account leaves the other trading; the
    config list is read with each account's Topstep numbers.               */
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
#include "risk_accounts.h"
#include "risk_order.h"
#include "risk_fixture.h"

#define SEC 1000000000LL
#define MIN (60 * SEC)
#define CODE(name) OFTS__REJECT_CODE__REJECT_##name
#define ST(name) OFTS__TRADING_STATE__STATE_##name

typedef struct {
    risk_accounts_t *ra;
    int orders;
    struct { char coid[64], account[64]; uint32_t qty; Ofts__Side side; } order[16];
    int rejects;
    struct { Ofts__RejectCode code; char account[64], text[256]; } reject[16];
    int commands;
    char cmd_account[64];
    int64_t t0;
} fx_t;

static void
cb_order(void *arg, const Ofts__OrderRequest *r)
{
    fx_t *f = arg;
    if (f->orders == 16)
        return;
    snprintf(f->order[f->orders].coid, 64, "%s", r->client_order_id);
    snprintf(f->order[f->orders].account, 64, "%s", r->account);
    f->order[f->orders].qty = r->quantity;
    f->order[f->orders++].side = r->side;
}

static void
cb_reject(void *arg, const Ofts__RiskReject *r)
{
    fx_t *f = arg;
    if (f->rejects == 16)
        return;
    f->reject[f->rejects].code = r->code;
    snprintf(f->reject[f->rejects].account, 64, "%s", r->account);
    snprintf(f->reject[f->rejects++].text, 256, "%s", r->text);
}

static void cb_account(void *arg, const Ofts__AccountState *a) { (void) arg; (void) a; }

static void
cb_command(void *arg, const Ofts__Command *c)
{
    fx_t *f = arg;
    f->commands++;
    snprintf(f->cmd_account, sizeof f->cmd_account, "%s", c->account);
}

static const risk_engine_callbacks_t s_cb = { cb_order, cb_reject, cb_account, cb_command };

//  Two accounts: a 50K Combine on 1 fixed contract, a 150K Combine on 3.
static const char *s_two =
    "[{\"id\":\"TC-50K\",\"size\":50000,\"sizing\":\"fixed\",\"fixed_contracts\":1},"
    " {\"id\":\"TC-150K\",\"size\":150000,\"sizing\":\"fixed\",\"fixed_contracts\":3}]";

static int
s_setup(void **state)
{
    ofts_log_init("test-risk-accounts", OFTS_LOG_WARN);
    fx_t *f = calloc(1, sizeof *f);
    risk_config_t base;
    risk_config_defaults(&base);
    base.require_reconcile = false;
    json_t *list = json_loads(s_two, 0, NULL);
    risk_account_config_t acc[RISK_MAX_ACCOUNTS];
    char err[256];
    assert_int_equal(risk_accounts_read(&base, list, acc, RISK_MAX_ACCOUNTS, err, sizeof err), 2);
    json_decref(list);
    f->ra = risk_accounts_new(acc, 2, &s_cb, f);
    f->t0 = ofts_ct_to_utc(2026, 3, 10, 10, 0, 0);     //  Tuesday 10:00 CDT
    *state = f;
    return 0;
}

static int
s_teardown(void **state)
{
    fx_t *f = *state;
    risk_accounts_destroy(&f->ra);
    free(f);
    return 0;
}

static void
s_market(fx_t *f, const char *symbol, const char *price, int64_t now)
{
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    Ofts__Trade t = risk_fx_trade(symbol, NULL, price, 1);
    env.body_case = OFTS__ENVELOPE__BODY_TRADE;
    env.trade = &t;
    risk_accounts_on_envelope(f->ra, &env, now);
    Ofts__Heartbeat hb = risk_fx_md_heartbeat();
    env.body_case = OFTS__ENVELOPE__BODY_HEARTBEAT;
    env.heartbeat = &hb;
    risk_accounts_on_envelope(f->ra, &env, now);
}

static void
s_signal(fx_t *f, const char *id, const char *symbol, const char *entry, const char *stop, const char *tp,
         int64_t now)
{
    s_market(f, symbol, entry, now);
    Ofts__Signal s = risk_fx_signal(id, symbol, entry, stop, tp);
    risk_accounts_on_signal(f->ra, &s, now);
}

//  A fill as gateway-order publishes it: naming its account (account
//  NULL: an unnamed one, routed by the owner of the client order id).
static void
s_fill_at(fx_t *f, const char *account, const char *id, const char *coid, const char *symbol, Ofts__Side side,
          const char *price, uint32_t qty, Ofts__OrderRole role, int64_t now)
{
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    Ofts__Fill fl = risk_fx_fill(id, coid, symbol, side, price, qty, role);
    if (account)
        fl.account = (char *) account;
    env.body_case = OFTS__ENVELOPE__BODY_FILL;
    env.fill = &fl;
    risk_accounts_on_envelope(f->ra, &env, now);
}

static void
s_fill(fx_t *f, const char *id, const char *coid, const char *symbol, Ofts__Side side, const char *price,
       uint32_t qty, Ofts__OrderRole role, int64_t now)
{
    s_fill_at(f, NULL, id, coid, symbol, side, price, qty, role, now);
}

static Ofts__Envelope
s_position_env(Ofts__Position *p, const char *account, const char *symbol, int32_t qty, const char *avg)
{
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    ofts__position__init(p);
    p->account = (char *) account;
    p->symbol = (char *) symbol;
    p->quantity = qty;
    p->avg_price = risk_fx_px(avg);
    env.body_case = OFTS__ENVELOPE__BODY_POSITION;
    env.position = p;
    return env;
}

//  gateway-order's own orders (a kill's flatten "FL-GC-1") belong to no
//  risk account by id: the account they name routes them. Before issue 19's
//  gateway-order routing, such a fill was ignored and the account kept a
//  position the broker had closed.
static void
t_named_fill_routed(void **state)
{
    fx_t *f = *state;
    s_signal(f, "sig-1", "GC", "2350.0", "2345.0", "2360.0", f->t0);
    s_fill_at(f, "TC-50K", "PF1", f->order[0].coid, "GC", OFTS__SIDE__SIDE_BUY, "2350.0", 1,
              OFTS__ORDER_ROLE__ROLE_ENTRY, f->t0 + SEC);
    s_fill_at(f, "TC-150K", "PF2", f->order[1].coid, "GC", OFTS__SIDE__SIDE_BUY, "2350.0", 3,
              OFTS__ORDER_ROLE__ROLE_ENTRY, f->t0 + SEC);
    s_fill_at(f, "TC-150K", "PF3", "FL-GC-1", "GC", OFTS__SIDE__SIDE_SELL, "2349.0", 3,
              OFTS__ORDER_ROLE__ROLE_FLATTEN, f->t0 + 2 * SEC);
    assert_int_equal(risk_engine_position(risk_accounts_find(f->ra, "TC-150K"), "GC"), 0);
    assert_int_equal(risk_engine_position(risk_accounts_find(f->ra, "TC-50K"), "GC"), 1);
    //  A fill naming an account we do not have goes nowhere.
    s_fill_at(f, "XFA-9", "PF4", "FL-GC-1", "GC", OFTS__SIDE__SIDE_SELL, "2349.0", 1,
              OFTS__ORDER_ROLE__ROLE_FLATTEN, f->t0 + 3 * SEC);
    assert_int_equal(risk_engine_position(risk_accounts_find(f->ra, "TC-50K"), "GC"), 1);
}

//  Reconcile per account: each position in gateway-order's snapshot goes to
//  the account it names; an account the snapshot shows flat is flat.
static void
t_reconcile_per_account(void **state)
{
    fx_t *f = *state;
    Ofts__Position pa, pb;
    risk_accounts_reconcile_begin(f->ra);
    Ofts__Envelope ea = s_position_env(&pa, "TC-50K", "GC", 1, "2350.0");
    Ofts__Envelope eb = s_position_env(&pb, "TC-150K", "GC", 3, "2351.0");
    risk_accounts_reconcile_item(f->ra, &ea, f->t0);
    risk_accounts_reconcile_item(f->ra, &eb, f->t0);
    risk_accounts_reconcile_end(f->ra, f->t0);
    assert_true(risk_accounts_reconciled(f->ra));
    risk_engine_t *a = risk_accounts_find(f->ra, "TC-50K"), *b = risk_accounts_find(f->ra, "TC-150K");
    assert_int_equal(risk_engine_position(a, "GC"), 1);
    assert_int_equal(risk_engine_position(b, "GC"), 3);
    //  Next snapshot: TC-150K was stopped out while risk was away.
    risk_accounts_reconcile_begin(f->ra);
    risk_accounts_reconcile_item(f->ra, &ea, f->t0 + MIN);
    risk_accounts_reconcile_end(f->ra, f->t0 + MIN);
    assert_int_equal(risk_engine_position(a, "GC"), 1);
    assert_int_equal(risk_engine_position(b, "GC"), 0);
    //  An unnamed position (a gateway-order without the list) is nobody's
    //  with several accounts.
    Ofts__Envelope en = s_position_env(&pb, "", "GC", -2, "2351.0");
    risk_accounts_reconcile_begin(f->ra);
    risk_accounts_reconcile_item(f->ra, &ea, f->t0 + 2 * MIN);
    risk_accounts_reconcile_item(f->ra, &en, f->t0 + 2 * MIN);
    risk_accounts_reconcile_end(f->ra, f->t0 + 2 * MIN);
    assert_int_equal(risk_engine_position(a, "GC"), 1);
    assert_int_equal(risk_engine_position(b, "GC"), 0);
}

static void
t_one_signal_two_orders(void **state)
{
    fx_t *f = *state;
    s_signal(f, "sig-1", "GC", "2350.0", "2345.0", "2360.0", f->t0);
    assert_int_equal(f->orders, 2);
    assert_string_equal(f->order[0].account, "TC-50K");
    assert_string_equal(f->order[1].account, "TC-150K");
    assert_int_equal(f->order[0].qty, 1);
    assert_int_equal(f->order[1].qty, 3);
    char want[64];
    risk_order_account_client_id("sig-1", "TC-50K", want, sizeof want);
    assert_string_equal(f->order[0].coid, want);
    risk_order_account_client_id("sig-1", "TC-150K", want, sizeof want);
    assert_string_equal(f->order[1].coid, want);
    assert_string_not_equal(f->order[0].coid, f->order[1].coid);
    //  Fills go to the account whose order it is.
    s_fill(f, "T1", f->order[1].coid, "GC", OFTS__SIDE__SIDE_BUY, "2350.0", 3, OFTS__ORDER_ROLE__ROLE_ENTRY,
           f->t0 + SEC);
    assert_int_equal(risk_engine_position(risk_accounts_find(f->ra, "TC-150K"), "GC"), 3);
    assert_int_equal(risk_engine_position(risk_accounts_find(f->ra, "TC-50K"), "GC"), 0);
    assert_true(risk_engine_working(risk_accounts_find(f->ra, "TC-50K"), "GC"));
}

//  TC-50K: DLL $1,000 on 1 GC lot from 2350.0 ($100 a point) -> 2340.0 is
//  -$1,000: HALTED. TC-150K (DLL $3,000) bought 3 at 2345.0: -$1,500 there,
//  ACTIVE, and it keeps trading.
static void
t_loss_limit_halts_only_its_account(void **state)
{
    fx_t *f = *state;
    s_signal(f, "sig-1", "GC", "2350.0", "2345.0", "2360.0", f->t0);
    s_fill(f, "T1", f->order[0].coid, "GC", OFTS__SIDE__SIDE_BUY, "2350.0", 1, OFTS__ORDER_ROLE__ROLE_ENTRY,
           f->t0 + SEC);
    s_fill(f, "T2", f->order[1].coid, "GC", OFTS__SIDE__SIDE_BUY, "2345.0", 3, OFTS__ORDER_ROLE__ROLE_ENTRY,
           f->t0 + SEC);
    s_market(f, "GC", "2340.0", f->t0 + 2 * SEC);
    risk_engine_t *a = risk_accounts_find(f->ra, "TC-50K"), *b = risk_accounts_find(f->ra, "TC-150K");
    assert_int_equal(risk_engine_state(a), ST(HALTED));
    assert_non_null(strstr(risk_engine_state_reason(a), "daily loss"));
    assert_int_equal(risk_engine_state(b), ST(ACTIVE));
    assert_int_equal(f->commands, 1);                   //  the flatten, for TC-50K alone
    assert_string_equal(f->cmd_account, "TC-50K");
    //  B closes at its target; a new NQ signal: B trades it, A refuses (HALTED).
    char tp[80];
    snprintf(tp, sizeof tp, "%s-TP", f->order[1].coid);
    s_fill(f, "T3", tp, "GC", OFTS__SIDE__SIDE_SELL, "2360.0", 3, OFTS__ORDER_ROLE__ROLE_TARGET, f->t0 + MIN);
    assert_int_equal(risk_engine_position(b, "GC"), 0);
    int before = f->orders;
    s_signal(f, "sig-2", "NQ", "20000.0", "19980.0", "20040.0", f->t0 + 2 * MIN);
    assert_int_equal(f->orders, before + 1);
    assert_string_equal(f->order[before].account, "TC-150K");
    assert_int_equal(f->reject[f->rejects - 1].code, CODE(DAILY_LOSS));
    assert_string_equal(f->reject[f->rejects - 1].account, "TC-50K");
}

//  TC-50K is long GC; a GC short signal: TC-50K refuses (its position is
//  open), TC-150K would go short against it: REJECT_HEDGE. The micro MGC is
//  the same gold: a short there is a hedge too.
static void
t_hedge_refused(void **state)
{
    fx_t *f = *state;
    s_signal(f, "sig-1", "GC", "2350.0", "2345.0", "2360.0", f->t0);
    s_fill(f, "T1", f->order[0].coid, "GC", OFTS__SIDE__SIDE_BUY, "2350.0", 1, OFTS__ORDER_ROLE__ROLE_ENTRY,
           f->t0 + SEC);
    s_fill(f, "T2", f->order[1].coid, "GC", OFTS__SIDE__SIDE_BUY, "2350.0", 3, OFTS__ORDER_ROLE__ROLE_ENTRY,
           f->t0 + SEC);
    s_fill(f, "T3", "y-SL", "GC", OFTS__SIDE__SIDE_SELL, "2345.0", 3, OFTS__ORDER_ROLE__ROLE_STOP, f->t0 + 2 * SEC);
    //  Only TC-150K's stop: it must be routed by the id's owner. y-SL is
    //  nobody's; use the real one.
    assert_int_equal(risk_engine_position(risk_accounts_find(f->ra, "TC-150K"), "GC"), 3);
    char sl[80];
    snprintf(sl, sizeof sl, "%s-SL", f->order[1].coid);
    s_fill(f, "T4", sl, "GC", OFTS__SIDE__SIDE_SELL, "2345.0", 3, OFTS__ORDER_ROLE__ROLE_STOP, f->t0 + 2 * SEC);
    assert_int_equal(risk_engine_position(risk_accounts_find(f->ra, "TC-150K"), "GC"), 0);
    int orders = f->orders;
    s_signal(f, "sig-2", "GC", "2345.0", "2350.0", "2335.0", f->t0 + 10 * MIN);
    assert_int_equal(f->orders, orders);
    assert_int_equal(f->rejects, 2);
    assert_int_equal(f->reject[0].code, CODE(POSITION_OPEN));
    assert_string_equal(f->reject[0].account, "TC-50K");
    assert_int_equal(f->reject[1].code, CODE(HEDGE));
    assert_string_equal(f->reject[1].account, "TC-150K");
    assert_string_equal(f->reject[1].text, "short GC here would hedge account TC-50K, long GC: no opposite "
                                           "positions across accounts");
    s_signal(f, "sig-3", "MGC", "2345.0", "2350.0", "2335.0", f->t0 + 11 * MIN);
    assert_int_equal(f->rejects, 4);                    //  both: TC-50K against its own GC, TC-150K against TC-50K's
    assert_int_equal(f->reject[2].code, CODE(HEDGE));
    assert_int_equal(f->reject[3].code, CODE(HEDGE));
    //  A long in NQ on both is no hedge.
    s_signal(f, "sig-4", "NQ", "20000.0", "19980.0", "20040.0", f->t0 + 12 * MIN);
    assert_int_equal(f->orders, orders + 2);
}

static void
s_command(fx_t *f, Ofts__CommandType type, const char *account, int expect_rc, int64_t now)
{
    Ofts__Command c = OFTS__COMMAND__INIT;
    c.type = type;
    c.symbol = (char *) "";
    c.account = (char *) account;
    c.issued_by = (char *) "test";
    assert_int_equal(risk_accounts_on_command(f->ra, &c, now), expect_rc);
}

static void
t_kill_one_account(void **state)
{
    fx_t *f = *state;
    risk_engine_t *a = risk_accounts_find(f->ra, "TC-50K"), *b = risk_accounts_find(f->ra, "TC-150K");
    s_command(f, OFTS__COMMAND_TYPE__CMD_KILL, "TC-50K", 0, f->t0);
    assert_int_equal(risk_engine_state(a), ST(HALTED));
    assert_int_equal(risk_engine_state(b), ST(ACTIVE));
    assert_string_equal(f->cmd_account, "TC-50K");     //  gateway-order: that account only
    s_signal(f, "sig-1", "GC", "2350.0", "2345.0", "2360.0", f->t0 + SEC);
    assert_int_equal(f->orders, 1);
    assert_string_equal(f->order[0].account, "TC-150K");
    s_command(f, OFTS__COMMAND_TYPE__CMD_KILL, "NOPE", -1, f->t0 + 2 * SEC);
    assert_int_equal(risk_engine_state(b), ST(ACTIVE));
    s_command(f, OFTS__COMMAND_TYPE__CMD_KILL, "", 0, f->t0 + 3 * SEC);      //  --all
    assert_int_equal(risk_engine_state(b), ST(HALTED));
}

static void
t_config(void **state)
{
    (void) state;
    risk_config_t base;
    risk_config_defaults(&base);
    snprintf(base.journal, sizeof base.journal, "var/risk.sqlite");
    risk_account_config_t acc[RISK_MAX_ACCOUNTS];
    char err[256];
    //  No list: the one account of the risk section, ids unchanged.
    assert_int_equal(risk_accounts_read(&base, NULL, acc, RISK_MAX_ACCOUNTS, err, sizeof err), 1);
    assert_false(acc[0].cfg.multi_account);
    assert_string_equal(acc[0].cfg.journal, "var/risk.sqlite");
    json_t *list = json_loads("[{\"id\":\"XFA-1\",\"type\":\"xfa\",\"size\":50000,\"symbols\":[\"GC\",\"MGC\"]},"
                              " {\"id\":\"TC-150K\",\"size\":150000,\"enabled\":false}]", 0, NULL);
    assert_int_equal(risk_accounts_read(&base, list, acc, RISK_MAX_ACCOUNTS, err, sizeof err), 2);
    json_decref(list);
    assert_true(acc[0].cfg.multi_account);
    assert_string_equal(acc[0].cfg.journal, "var/risk-XFA-1.sqlite");
    assert_int_equal(acc[0].cfg.max_contracts, 2);      //  XFA 50K scaling plan, first tier
    assert_int_equal(acc[0].cfg.max_loss_limit_cents, 200000);
    assert_int_equal(acc[0].nsymbols, 2);
    assert_int_equal(acc[1].cfg.max_contracts, 15);
    assert_int_equal(acc[1].cfg.max_loss_limit_cents, 450000);
    assert_false(acc[1].enabled);
    list = json_loads("[{\"id\":\"A\",\"size\":75000}]", 0, NULL);
    assert_int_equal(risk_accounts_read(&base, list, acc, RISK_MAX_ACCOUNTS, err, sizeof err), -1);
    assert_string_equal(err, "risk.accounts.A.size: must be 50000, 100000 or 150000 (Topstep table)");
    json_decref(list);
    list = json_loads("[{\"id\":\"A\"},{\"id\":\"A\"}]", 0, NULL);
    assert_int_equal(risk_accounts_read(&base, list, acc, RISK_MAX_ACCOUNTS, err, sizeof err), -1);
    json_decref(list);
    list = json_loads("[{\"id\":\"A\",\"sise\":50000}]", 0, NULL);
    assert_int_equal(risk_accounts_read(&base, list, acc, RISK_MAX_ACCOUNTS, err, sizeof err), -1);
    assert_string_equal(err, "risk.accounts: unknown key 'sise'");
    json_decref(list);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(t_one_signal_two_orders, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(t_named_fill_routed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(t_reconcile_per_account, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(t_loss_limit_halts_only_its_account, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(t_hedge_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(t_kill_one_account, s_setup, s_teardown),
        cmocka_unit_test(t_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
