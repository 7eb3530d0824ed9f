/*  bench-gateway_order: market-data events per second through the paper
    broker + order manager as the backtester uses them (a bracketed entry
    every 500 trades on a GC price path that fills entries, stops and
    targets), against the same path through an idle paper broker.
    Ends with one RESULT line.                                              */
#include <stdio.h>
#include <string.h>
#include "ofts_clock.h"
#include "ofts_log.h"
#include "order_manager.h"
#include "paper_broker.h"

#define EVENTS 1000000
#define TICK 100000000LL                //  GC 0.10
#define BASE 2350000000000LL            //  2350.0

//  A saw-tooth path: +/- 30 ticks around 2350.0, 1 tick per trade.
static int64_t
s_price(int i)
{
    int phase = i % 120;
    int ticks = phase < 60 ? phase - 30 : 90 - phase;
    return BASE + ticks * TICK;
}

static void
s_sink(void *arg, const char *topic, Ofts__Envelope *env)
{
    (void) topic;
    (void) env;
    (*(long *) arg)++;
}

static double
s_run(bool with_orders, order_store_t *store, long *published)
{
    paper_config_t pcfg;
    paper_config_defaults(&pcfg);
    paper_broker_t *pb = paper_broker_new(&pcfg, store);
    order_manager_config_t ocfg;
    order_manager_config_defaults(&ocfg);
    ocfg.reconcile_ms = 0;
    order_manager_t *om = order_manager_new(paper_broker_broker(pb), store, &ocfg);
    order_manager_set_publisher(om, s_sink, published);
    order_manager_start(om, 0);
    int64_t t0 = ofts_clock_mono_ns();
    char id[32];
    for (int i = 0; i < EVENTS; i++) {
        int64_t ts = (int64_t) i * 1000000;     //  1 ms apart
        int64_t px = s_price(i);
        if (with_orders && i % 500 == 0 && order_manager_position(om, "GC") == 0) {
            snprintf(id, sizeof(id), "b-%d", i);
            Ofts__OrderRequest req = OFTS__ORDER_REQUEST__INIT;
            req.client_order_id = id;
            req.symbol = "GC";
            req.side = (i / 500) % 2 ? OFTS__SIDE__SIDE_SELL : OFTS__SIDE__SIDE_BUY;
            req.quantity = 1;
            req.type = OFTS__ORDER_TYPE__ORDER_TYPE_MARKET;
            req.entry = px;
            bool buy = req.side == OFTS__SIDE__SIDE_BUY;
            req.stop = buy ? px - 20 * TICK : px + 20 * TICK;
            req.take_profit = buy ? px + 20 * TICK : px - 20 * TICK;
            order_manager_on_request(om, &req, ts);
        }
        if (store)
            order_store_begin(store);
        paper_broker_on_trade(pb, "GC", "GCZ6", px, ts);
        order_manager_tick(om, ts);
        if (store)
            order_store_commit(store);
    }
    double secs = (double) (ofts_clock_mono_ns() - t0) / 1e9;
    order_manager_destroy(&om);
    paper_broker_destroy(&pb);
    return EVENTS / secs;
}

int
main(void)
{
    ofts_log_init("bench", OFTS_LOG_WARN);
    long idle_pub = 0, full_pub = 0, store_pub = 0;
    double idle = s_run(false, NULL, &idle_pub);
    double full = s_run(true, NULL, &full_pub);
    order_store_t *store = order_store_new(":memory:");
    //  Fewer events matter less here: the store costs per state change.
    double stored = s_run(true, store, &store_pub);
    order_store_destroy(&store);
    printf("paper broker idle:              %12.0f events/s\n", idle);
    printf("paper + order manager:          %12.0f events/s (%ld exec messages)\n", full, full_pub);
    printf("paper + manager + :memory: db:  %12.0f events/s (%ld exec messages)\n", stored, store_pub);
    printf("RESULT gateway_order_paper_events %.0f events/s ratio=%.3f vs paper_broker_idle\n", full,
           full / idle);
    return 0;
}
