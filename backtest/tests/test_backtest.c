/*  backtest: the whole chain on simulated data with several months per root
    (issue 12 part 1), and the order in which risk learns about a fill
    (part 3) with the real paper broker, order manager and risk engine.   */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "backtest.h"
#include "md_normalizer.h"
#include "of_config.h"
#include "ofts_clock.h"
#include "ofts_log.h"
#include "order_manager.h"
#include "risk_engine.h"
#include "sim_market.h"

typedef struct {
    dbn_record_t *recs;
    size_t n, cap;
} recs_t;

static void
s_collect(void *arg, const dbn_record_t *rec)
{
    recs_t *r = arg;
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 4096;
        r->recs = realloc(r->recs, r->cap * sizeof *r->recs);
    }
    r->recs[r->n++] = *rec;
}

static void
s_simulate(const sim_config_t *cfg, recs_t *out)
{
    memset(out, 0, sizeof *out);
    sim_market_t *sim = sim_market_new(cfg);
    sim_market_run(sim, s_collect, out);
    sim_market_destroy(&sim);
}

//  The backtest fed by name, or (keyed) by a number per symbol/contract as
//  ofts sweep feeds it.
typedef struct {
    backtest_t *bt;
    bool keyed;
    char names[16][48];
    size_t nnames;
} feed_t;

static void
s_emit(const char *topic, Ofts__Envelope *env, void *arg)
{
    feed_t *f = arg;
    if (!f->keyed) {
        backtest_on_md(f->bt, topic, env);
        return;
    }
    const char *sym = env->body_case == OFTS__ENVELOPE__BODY_TRADE ? env->trade->symbol
                    : env->body_case == OFTS__ENVELOPE__BODY_BBO ? env->bbo->symbol : env->depth->symbol;
    const char *con = env->body_case == OFTS__ENVELOPE__BODY_TRADE ? env->trade->contract
                    : env->body_case == OFTS__ENVELOPE__BODY_BBO ? env->bbo->contract : env->depth->contract;
    char name[48];
    snprintf(name, sizeof name, "%s/%s", sym, con ? con : "");
    size_t key = 0;
    while (key < f->nnames && strcmp(f->names[key], name) != 0)
        key++;
    if (key == f->nnames) {
        assert_true(f->nnames < 16);
        snprintf(f->names[f->nnames++], sizeof f->names[0], "%s", name);
    }
    backtest_on_md_key(f->bt, env, key);
}

//  The records of a and b (either may be empty), merged in ts_recv order as
//  a parent subscription (GC.FUT) delivers them, through the backtest.
static backtest_t *
s_backtest_with(const sim_config_t *ca, const recs_t *a, const sim_config_t *cb, const recs_t *b, of_config_t *acfg,
                const risk_config_t *rcfg_in, bool keyed)
{
    risk_config_t rcfg = *rcfg_in;
    paper_config_t pcfg;
    paper_config_defaults(&pcfg);
    feed_t feed = { .bt = backtest_new(acfg, &rcfg, &pcfg), .keyed = keyed };
    backtest_t *bt = feed.bt;
    md_normalizer_t *norm = md_normalizer_new();
    size_t i = 0, j = 0;
    while (i < a->n || j < b->n) {
        bool from_a = j >= b->n || (i < a->n && a->recs[i].mbp.ts_recv <= b->recs[j].mbp.ts_recv);
        const dbn_record_t *rec = from_a ? &a->recs[i++] : &b->recs[j++];
        md_normalizer_process(norm, rec, sim_config_contract(from_a ? ca : cb, rec->instrument_id), s_emit, &feed);
    }
    backtest_finish(bt);
    md_normalizer_destroy(&norm);
    return bt;
}

static backtest_t *
s_backtest(const sim_config_t *ca, const recs_t *a, const sim_config_t *cb, const recs_t *b, of_config_t *acfg,
           bool keyed)
{
    risk_config_t rcfg;
    risk_config_defaults(&rcfg);
    return s_backtest_with(ca, a, cb, b, acfg, &rcfg, keyed);
}

//  docs/accounts.md: several account types on the same data, each its own
//  risk and paper broker; the one with a $150 daily loss limit (and no
//  projected-loss guard) breaks it, with its reason; a 150K account with
//  its $3,000 limit does not, on the same trades.
static void
t_accounts_first_breach(void **state)
{
    (void) state;
    sim_config_t cfg;
    sim_config_default(&cfg, 1, ofts_ct_to_utc(2026, 11, 30, 8, 30, 0), 60 * 60 * OFTS_NS_PER_SEC);
    recs_t a, none = { 0 };
    s_simulate(&cfg, &a);
    of_config_t *acfg = of_config_new(NULL);
    risk_config_t small, big;
    risk_config_defaults(&small);
    small.daily_loss_limit_cents = 15000;
    small.projected_loss = false;
    risk_config_defaults(&big);
    risk_config_account_defaults(150000, &big.max_loss_limit_cents, &big.daily_loss_limit_cents, &big.max_contracts);
    big.start_balance_cents = 150000 * 100;
    backtest_t *x = s_backtest_with(&cfg, &a, &cfg, &none, acfg, &small, false);
    backtest_t *y = s_backtest_with(&cfg, &a, &cfg, &none, acfg, &big, false);
    int64_t ts;
    const char *why;
    const bt_trade_t *tx, *ty;
    assert_true(backtest_first_halt(x, &ts, &why));
    assert_true(ts >= cfg.start_ns && ts <= cfg.start_ns + cfg.duration_ns);
    assert_non_null(strstr(why, "daily loss"));
    assert_false(backtest_first_halt(y, &ts, &why));
    //  Measured with `ofts backtest` on the same market (seed 1, 60 min from
    //  08:30 CT): the $150 account breaks its limit at 08:41:20 CT after 5
    //  trades; the 150K trades on (29 trades).
    assert_true(backtest_trades(y, &ty) > backtest_trades(x, &tx));
    backtest_destroy(&x);
    backtest_destroy(&y);
    of_config_destroy(&acfg);
    free(a.recs);
}

//  Every trade, the counters and the open P&L of x and y the same.
static void
s_same_trades(backtest_t *x, backtest_t *y)
{
    const bt_trade_t *tx, *ty;
    size_t nx = backtest_trades(x, &tx), ny = backtest_trades(y, &ty);
    assert_int_equal(nx, ny);
    assert_true(memcmp(tx, ty, nx * sizeof *tx) == 0);
    assert_int_equal(backtest_signals(x), backtest_signals(y));
    assert_int_equal(backtest_approved(x), backtest_approved(y));
    assert_int_equal(backtest_rejected(x), backtest_rejected(y));
    assert_int_equal(backtest_open_pnl_cents(x), backtest_open_pnl_cents(y));
}

//  The backtest: a thin second month $20 away (GCG7) and the
//  calendar spread, merged into the same GC feed. They must not change one
//  trade: before, every GCG7 print priced the GCZ6 position (a $2,000
//  "loss" per lot, a halted day) and put GCZ6 signals 200 ticks from "the
//  last price".
static void
t_thin_month_changes_nothing(void **state)
{
    (void) state;
    int64_t start = ofts_ct_to_utc(2026, 11, 30, 8, 30, 0);
    sim_config_t front;
    sim_config_default(&front, 11, start, 12 * 60 * OFTS_NS_PER_SEC);
    sim_config_t thin;
    memset(&thin, 0, sizeof thin);
    thin.seed = 5;
    thin.start_ns = start;
    thin.duration_ns = front.duration_ns;
    thin.nsymbols = 2;
    thin.symbols[0] = (sim_symbol_t) { "GC", "GCG7", 1006, 2370100000000LL, 0.05, 0, 0 };
    thin.symbols[1] = (sim_symbol_t) { "GC", "GCZ6-GCG7", 1007, -20000000000LL, 0.03, 0, 0 };
    recs_t a, b, none = { 0 };
    s_simulate(&front, &a);
    s_simulate(&thin, &b);
    assert_true(b.n > 100);
    of_config_t *acfg = of_config_new(NULL);
    backtest_t *alone = s_backtest(&front, &a, &thin, &none, acfg, false);
    backtest_t *mixed = s_backtest(&front, &a, &thin, &b, acfg, false);
    //  The same mixed feed keyed by symbol/contract (ofts sweep's path):
    //  the very same trades.
    backtest_t *keyed = s_backtest(&front, &a, &thin, &b, acfg, true);
    s_same_trades(keyed, mixed);
    const bt_trade_t *ta, *tm;
    size_t na = backtest_trades(alone, &ta), nm = backtest_trades(mixed, &tm);
    fprintf(stderr, "front month alone: %zu trades, %llu approvals; with GCG7 and the spread: %zu trades, "
                    "%llu approvals, %llu signals\n", na, (unsigned long long) backtest_approved(alone), nm,
            (unsigned long long) backtest_approved(mixed), (unsigned long long) backtest_signals(mixed));
    assert_true(na >= 2);
    assert_int_equal(nm, na);
    assert_int_equal(backtest_approved(mixed), backtest_approved(alone));
    for (size_t i = 0; i < na; i++) {
        assert_string_equal(tm[i].symbol, ta[i].symbol);
        assert_int_equal(tm[i].entry_px, ta[i].entry_px);
        assert_int_equal(tm[i].exit_px, ta[i].exit_px);
        assert_string_equal(tm[i].exit_role, ta[i].exit_role);
        assert_int_equal(tm[i].pnl_cents, ta[i].pnl_cents);
        assert_true(tm[i].fees_cents > 0);          //  net P&L: Topstep's fees by default
    }
    backtest_destroy(&alone);
    backtest_destroy(&mixed);
    backtest_destroy(&keyed);
    of_config_destroy(&acfg);
    free(a.recs);
    free(b.recs);
}

//  --- risk never sees "flat, nothing pending" while an entry fills ---------

typedef struct {
    risk_engine_t *risk;
    order_manager_t *om;
    Ofts__OrderRequest *queued;         //  approval, placed after on_signal returns
    bool in_flight;                     //  approved, position not yet known
    int violations, fills;
    int64_t now;
} chain_t;

static void
s_on_order(void *arg, const Ofts__OrderRequest *req)
{
    chain_t *c = arg;
    size_t len = ofts__order_request__get_packed_size(req);
    uint8_t *buf = malloc(len ? len : 1);
    ofts__order_request__pack(req, buf);
    c->queued = ofts__order_request__unpack(NULL, len, buf);
    free(buf);
}

static void
s_on_exec(void *arg, const char *topic, Ofts__Envelope *env)
{
    (void) topic;
    chain_t *c = arg;
    risk_engine_on_envelope(c->risk, env, c->now);
    c->fills += env->body_case == OFTS__ENVELOPE__BODY_FILL;
    if (!c->in_flight)
        return;
    if (risk_engine_position(c->risk, "GC") != 0)
        c->in_flight = false;
    else if (!risk_engine_working(c->risk, "GC"))
        c->violations++;                //  flat and nothing pending: a second entry could pass
}

static void
t_risk_never_sees_flat_between(void **state)
{
    (void) state;
    chain_t c = { 0 };
    c.now = ofts_ct_to_utc(2026, 3, 10, 10, 0, 0);
    risk_config_t rcfg;
    risk_config_defaults(&rcfg);
    rcfg.require_reconcile = false;
    risk_engine_callbacks_t cb = { .order = s_on_order };
    c.risk = risk_engine_new(&rcfg, &cb, &c);
    paper_config_t pcfg;
    paper_config_defaults(&pcfg);
    paper_broker_t *paper = paper_broker_new(&pcfg, NULL);
    order_manager_config_t ocfg;
    order_manager_config_defaults(&ocfg);
    ocfg.reconcile_ms = 0;
    c.om = order_manager_new(paper_broker_broker(paper), NULL, &ocfg);
    order_manager_set_publisher(c.om, s_on_exec, &c);
    order_manager_start(c.om, c.now);

    Ofts__Trade t = OFTS__TRADE__INIT;
    t.symbol = (char *) "GC";
    t.contract = (char *) "GCZ6";
    t.price = 2350000000000LL;
    t.size = 1;
    risk_engine_on_trade(c.risk, &t, c.now);
    paper_broker_on_bbo(paper, "GC", "GCZ6", 2350000000000LL, 2350100000000LL, c.now);
    Ofts__Heartbeat hb = OFTS__HEARTBEAT__INIT;
    hb.service = (char *) "gateway-md";
    risk_engine_on_heartbeat(c.risk, &hb, c.now);
    Ofts__Signal sig = OFTS__SIGNAL__INIT;
    sig.id = (char *) "sig-1";
    sig.symbol = (char *) "GC";
    sig.contract = (char *) "GCZ6";
    sig.direction = OFTS__SIDE__SIDE_BUY;
    sig.entry = 2350000000000LL;
    sig.stop = 2345000000000LL;
    sig.take_profit = 2360000000000LL;
    sig.confidence = 0.8;
    risk_engine_on_signal(c.risk, &sig, c.now);
    assert_non_null(c.queued);
    c.in_flight = true;
    order_manager_on_request(c.om, c.queued, c.now + 1000);
    ofts__order_request__free_unpacked(c.queued, NULL);
    assert_int_equal(c.fills, 1);
    assert_int_equal(risk_engine_position(c.risk, "GC"), 1);
    assert_int_equal(c.violations, 0);
    order_manager_destroy(&c.om);
    paper_broker_destroy(&paper);
    risk_engine_destroy(&c.risk);
}

int
main(void)
{
    ofts_log_init("test-backtest", OFTS_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_thin_month_changes_nothing),
        cmocka_unit_test(t_risk_never_sees_flat_between),
        cmocka_unit_test(t_accounts_first_breach),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
