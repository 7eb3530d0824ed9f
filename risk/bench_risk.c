/*  bench-risk: events per second through the risk core as the backtester
    drives it - GC trades on a saw-tooth path with a position open (every
    trade re-checks the loss limits) and a signal every 500 trades (the
    whole rule table, an approval or a reject), fills closing each trade -
    against the baseline every bus consumer pays anyway: unpacking the same
    trade Envelope from its bytes. Ends with one RESULT line.               */
#include <stdio.h>
#include <string.h>
#include "../bench/bench_util.h"
#include "ofts_clock.h"
#include "ofts_log.h"
#include "risk_engine.h"

#define EVENTS 2000000
#define TICK 100000000LL                //  GC 0.10
#define BASE 2350000000000LL            //  2350.0

static uint64_t s_orders, s_rejects;
static char s_coid[64];

static void s_order(void *arg, const Ofts__OrderRequest *r)
{
    (void) arg;
    s_orders++;
    snprintf(s_coid, sizeof s_coid, "%s", r->client_order_id);
}
static void s_reject(void *arg, const Ofts__RiskReject *r) { (void) arg; (void) r; s_rejects++; }

static int64_t
s_price(int i)
{
    int phase = i % 120;
    int ticks = phase < 60 ? phase - 30 : 90 - phase;
    return BASE + ticks * TICK;
}

static double
s_run_risk(void)
{
    risk_config_t cfg;
    risk_config_defaults(&cfg);
    cfg.require_reconcile = false;
    cfg.require_md_heartbeat = false;
    cfg.cooldown_ns = 60LL * OFTS_NS_PER_SEC;
    cfg.daily_loss_limit_cents = 0;
    cfg.max_loss_limit_cents = 0;
    cfg.max_orders_per_minute = 1000;
    risk_engine_callbacks_t cb = { s_order, s_reject, NULL, NULL };
    risk_engine_t *eng = risk_engine_new(&cfg, &cb, NULL);
    int64_t t = ofts_ct_to_utc(2026, 3, 10, 2, 0, 0);     //  a long quiet session stretch
    Ofts__Trade tr = OFTS__TRADE__INIT;
    tr.symbol = (char *) "GC";
    tr.size = 1;
    Ofts__Signal sig = OFTS__SIGNAL__INIT;
    sig.symbol = (char *) "GC";
    sig.direction = OFTS__SIDE__SIDE_BUY;
    sig.confidence = 0.8;
    Ofts__Fill fill = OFTS__FILL__INIT;
    fill.symbol = (char *) "GC";
    fill.quantity = 1;
    char id[32], fid[32];
    int64_t start = bench_now_ns();
    for (int i = 0; i < EVENTS; i++) {
        t += 5 * OFTS_NS_PER_MS;
        tr.price = s_price(i);
        risk_engine_on_trade(eng, &tr, t);
        if (i % 500 == 0) {
            snprintf(id, sizeof id, "b-%d", i);
            sig.id = id;
            sig.entry = tr.price;
            sig.stop = tr.price - 50 * TICK;
            sig.take_profit = tr.price + 100 * TICK;
            uint64_t before = s_orders;
            risk_engine_on_signal(eng, &sig, t);
            if (s_orders > before) {        //  fill the entry, close it 250 trades later
                snprintf(fid, sizeof fid, "e-%d", i);
                fill.fill_id = fid;
                fill.client_order_id = s_coid;
                fill.side = OFTS__SIDE__SIDE_BUY;
                fill.role = OFTS__ORDER_ROLE__ROLE_ENTRY;
                fill.price = tr.price;
                risk_engine_on_fill(eng, &fill, t);
            }
        }
        else if (i % 500 == 250 && risk_engine_position(eng, "GC") != 0) {
            snprintf(fid, sizeof fid, "x-%d", i);
            fill.fill_id = fid;
            fill.client_order_id = (char *) "tp";
            fill.side = OFTS__SIDE__SIDE_SELL;
            fill.role = OFTS__ORDER_ROLE__ROLE_TARGET;
            fill.price = tr.price;
            risk_engine_on_fill(eng, &fill, t);
        }
        if (i % 20 == 0)
            risk_engine_tick(eng, t);       //  the service's 100 ms timer
    }
    int64_t ns = bench_now_ns() - start;
    risk_engine_destroy(&eng);
    return (double) ns / EVENTS;
}

static double
s_run_unpack(void)
{
    Ofts__Trade tr = OFTS__TRADE__INIT;
    tr.symbol = (char *) "GC";
    tr.contract = (char *) "GCJ6";
    tr.size = 1;
    tr.price = BASE;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_TRADE;
    env.trade = &tr;
    uint8_t buf[256];
    size_t n = ofts__envelope__pack(&env, buf);
    int64_t sum = 0, start = bench_now_ns();
    for (int i = 0; i < EVENTS; i++) {
        Ofts__Envelope *e = ofts__envelope__unpack(NULL, n, buf);
        sum += e->trade->price;
        ofts__envelope__free_unpacked(e, NULL);
    }
    int64_t ns = bench_now_ns() - start;
    if (sum == 0)
        printf("impossible\n");
    return (double) ns / EVENTS;
}

int
main(void)
{
    ofts_log_init("bench-risk", OFTS_LOG_ERROR);
    double base = s_run_unpack();
    double risk = s_run_risk();
    printf("baseline envelope unpack: %.1f ns/event (%.0f events/s)\n", base, 1e9 / base);
    printf("risk core:                %.1f ns/event (%.0f events/s), %llu approvals, %llu rejects\n", risk,
           1e9 / risk, (unsigned long long) s_orders, (unsigned long long) s_rejects);
    printf("RESULT risk_core %.0f events/s ratio=%.2f vs envelope_unpack\n", 1e9 / risk, risk / base);
    return 0;
}
