/*  paper_broker: fill rules on hand-made GC price paths, P&L in cents by
    hand, OCO brackets, flatten, validation, and restore from the store.
    GC: tick 0.10 = $10.00, point value $100 (spec/instruments.md).        */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "paper_broker.h"

//  GC price from whole dollars and tenths: PX(2350, 1) = 2350.1
#define PX(whole, tenths) ((int64_t) (whole) * 1000000000LL + (int64_t) (tenths) * 100000000LL)
#define BUY OFTS__SIDE__SIDE_BUY
#define SELL OFTS__SIDE__SIDE_SELL
#define SEC_NS 1000000000LL

typedef struct {
    broker_order_t orders[64];
    int norders;
    broker_fill_t fills[32];
    int nfills;
    broker_position_t positions[32];
    int npositions;
    char trail[64];                     //  event kinds in order: O order, F fill, P position
} events_t;

static void
s_trail(events_t *ev, char kind)
{
    size_t n = strlen(ev->trail);
    if (n + 1 < sizeof(ev->trail))
        ev->trail[n] = kind;
}

static void
s_on_order(void *arg, const broker_order_t *o)
{
    events_t *ev = arg;
    if (ev->norders < 64)
        ev->orders[ev->norders++] = *o;
    s_trail(ev, o->status == OFTS__ORDER_STATUS__STATUS_FILLED ? 'X' : 'O');
}

static void
s_on_fill(void *arg, const broker_fill_t *f)
{
    events_t *ev = arg;
    if (ev->nfills < 32)
        ev->fills[ev->nfills++] = *f;
    s_trail(ev, 'F');
}

static void
s_on_position(void *arg, const broker_position_t *p)
{
    events_t *ev = arg;
    if (ev->npositions < 32)
        ev->positions[ev->npositions++] = *p;
    s_trail(ev, 'P');
}

static paper_broker_t *
s_new(int slippage, int64_t fees, order_store_t *store, events_t *ev)
{
    memset(ev, 0, sizeof(*ev));
    paper_config_t cfg = { .slippage_ticks = slippage, .fees_cents = fees };
    paper_broker_t *pb = paper_broker_new(&cfg, store);
    broker_events_t events = { s_on_order, s_on_fill, s_on_position, ev };
    broker_set_events(paper_broker_broker(pb), &events);
    return pb;
}

static broker_order_t
s_order(const char *id, int side, int type, uint32_t qty, int64_t price, int64_t stop, int64_t tp)
{
    broker_order_t o;
    memset(&o, 0, sizeof(o));
    strcpy(o.client_order_id, id);
    strcpy(o.symbol, "GC");
    strcpy(o.contract, "GCZ6");
    o.role = OFTS__ORDER_ROLE__ROLE_ENTRY;
    o.side = side;
    o.type = type;
    o.quantity = qty;
    o.price = price;
    o.stop = stop;
    o.take_profit = tp;
    return o;
}

static int
s_status(paper_broker_t *pb, const char *id)
{
    broker_order_t o;
    if (broker_find_order(paper_broker_broker(pb), id, &o) != 0)
        return -1;
    return o.status;
}

static int64_t
s_order_price(paper_broker_t *pb, const char *id)
{
    broker_order_t o;
    assert_int_equal(broker_find_order(paper_broker_broker(pb), id, &o), 0);
    return o.price;
}

//  Market buy at the ask + 1 tick; market sell at the bid - 1 tick.
static void
t_market_at_opposite_best_plus_slippage(void **state)
{
    (void) state;
    events_t ev;
    paper_broker_t *pb = s_new(1, 0, NULL, &ev);
    broker_t *b = paper_broker_broker(pb);
    paper_broker_on_bbo(pb, "GC", NULL, PX(2350, 0), PX(2350, 1), 1);
    broker_order_t o = s_order("m1", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_MARKET, 1, PX(2350, 1), 0, 0);
    assert_int_equal(broker_place(b, &o, 2), BROKER_OK);
    assert_int_equal(ev.nfills, 1);
    assert_int_equal(ev.fills[0].price, PX(2350, 2));          //  ask 2350.1 + 0.1
    assert_int_equal(ev.fills[0].side, BUY);
    assert_int_equal(paper_broker_position(pb, "GC"), 1);
    o = s_order("m2", SELL, OFTS__ORDER_TYPE__ORDER_TYPE_MARKET, 1, PX(2350, 0), 0, 0);
    assert_int_equal(broker_place(b, &o, 3), BROKER_OK);
    assert_int_equal(ev.nfills, 2);
    assert_int_equal(ev.fills[1].price, PX(2349, 9));          //  bid 2350.0 - 0.1
    assert_int_equal(paper_broker_position(pb, "GC"), 0);
    //  Round trip paid the spread and two slippage ticks: 3 ticks = -$30.
    assert_int_equal(paper_broker_realized_cents(pb, "GC"), -3000);
    paper_broker_destroy(&pb);
    assert_null(pb);
}

//  issue 11 §4: one clock. A replay's market time is 2024, the place call
//  runs at 2026 wall time: the entry's fill carries the quote's event time,
//  like the exit's (filled by md). Before the fix the entry carried the
//  wall time, the exit the market time, and risk's snapshot (the newest
//  fill's session) left the exits out.
static void
t_fills_carry_market_time(void **state)
{
    (void) state;
    events_t ev;
    paper_broker_t *pb = s_new(0, 0, NULL, &ev);
    broker_t *b = paper_broker_broker(pb);
    const int64_t market = 1733148000LL * 1000000000LL;     //  2024-12-02 14:00 UTC
    const int64_t wall = 1796400000LL * 1000000000LL;       //  2026-12-05
    paper_broker_on_bbo(pb, "GC", NULL, PX(2350, 0), PX(2350, 1), market);
    broker_order_t o = s_order("mt1", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_MARKET, 1, PX(2350, 1), PX(2349, 1),
                               PX(2352, 1));
    assert_int_equal(broker_place(b, &o, wall), BROKER_OK);
    assert_int_equal(ev.nfills, 1);
    assert_int_equal(ev.fills[0].ts_ns, market);
    paper_broker_on_trade(pb, "GC", NULL, PX(2353, 0), market + 5000000000LL);      //  through the target
    assert_int_equal(ev.nfills, 2);
    assert_int_equal(ev.fills[1].ts_ns, market + 5000000000LL);
    paper_broker_destroy(&pb);
}

//  No quote: fall back to the last trade; no price at all: wait for one.
static void
t_market_falls_back_and_waits(void **state)
{
    (void) state;
    events_t ev;
    paper_broker_t *pb = s_new(2, 0, NULL, &ev);
    broker_t *b = paper_broker_broker(pb);
    broker_order_t o = s_order("w1", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_MARKET, 1, PX(2350, 0), 0, 0);
    assert_int_equal(broker_place(b, &o, 1), BROKER_OK);
    assert_int_equal(ev.nfills, 0);
    assert_int_equal(s_status(pb, "w1"), OFTS__ORDER_STATUS__STATUS_WORKING);
    paper_broker_on_trade(pb, "GC", NULL, PX(2350, 5), 2);
    assert_int_equal(ev.nfills, 1);
    assert_int_equal(ev.fills[0].price, PX(2350, 7));          //  2350.5 + 2 ticks
    assert_int_equal(ev.fills[0].ts_ns, 2);
    assert_int_equal(s_status(pb, "w1"), OFTS__ORDER_STATUS__STATUS_FILLED);
    paper_broker_destroy(&pb);
}

//  Buy stop: a trade at the stop (touch) triggers; fill at stop + slippage.
static void
t_buy_stop_touched(void **state)
{
    (void) state;
    events_t ev;
    paper_broker_t *pb = s_new(1, 0, NULL, &ev);
    broker_order_t o = s_order("s1", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_STOP, 1, PX(2351, 0), 0, 0);
    assert_int_equal(broker_place(paper_broker_broker(pb), &o, 1), BROKER_OK);
    paper_broker_on_trade(pb, "GC", NULL, PX(2350, 9), 2);
    assert_int_equal(ev.nfills, 0);
    paper_broker_on_trade(pb, "GC", NULL, PX(2351, 0), 3);
    assert_int_equal(ev.nfills, 1);
    assert_int_equal(ev.fills[0].price, PX(2351, 1));
    assert_int_equal(paper_broker_position(pb, "GC"), 1);
    paper_broker_destroy(&pb);
}

//  Sell limit: a trade AT the limit is a touch, not a fill; above it fills
//  at the limit price (no slippage on limits).
static void
t_sell_limit_needs_trade_through(void **state)
{
    (void) state;
    events_t ev;
    paper_broker_t *pb = s_new(1, 0, NULL, &ev);
    broker_order_t o = s_order("l1", SELL, OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT, 2, PX(2351, 0), 0, 0);
    assert_int_equal(broker_place(paper_broker_broker(pb), &o, 1), BROKER_OK);
    paper_broker_on_trade(pb, "GC", NULL, PX(2351, 0), 2);
    paper_broker_on_trade(pb, "GC", NULL, PX(2351, 0), 3);
    assert_int_equal(ev.nfills, 0);
    assert_int_equal(s_status(pb, "l1"), OFTS__ORDER_STATUS__STATUS_WORKING);
    paper_broker_on_trade(pb, "GC", NULL, PX(2351, 1), 4);
    assert_int_equal(ev.nfills, 1);
    assert_int_equal(ev.fills[0].price, PX(2351, 0));
    assert_int_equal(ev.fills[0].quantity, 2);
    assert_int_equal(paper_broker_position(pb, "GC"), -2);
    paper_broker_destroy(&pb);
}

//  Bracket: children wait, work after the entry fill, and are OCO.
static void
t_bracket_oco_target_cancels_stop(void **state)
{
    (void) state;
    events_t ev;
    paper_broker_t *pb = s_new(1, 0, NULL, &ev);
    broker_t *b = paper_broker_broker(pb);
    broker_order_t o = s_order("b1", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT, 1, PX(2350, 0),
                               PX(2349, 0), PX(2352, 0));
    assert_int_equal(broker_place(b, &o, 1), BROKER_OK);
    assert_int_equal(s_status(pb, "b1-SL"), OFTS__ORDER_STATUS__STATUS_PENDING);
    assert_int_equal(s_status(pb, "b1-TP"), OFTS__ORDER_STATUS__STATUS_PENDING);
    //  A suspended stop must not trigger before the entry fills.
    paper_broker_on_trade(pb, "GC", NULL, PX(2350, 0), 2);           //  touch: no fill
    assert_int_equal(ev.nfills, 0);
    paper_broker_on_trade(pb, "GC", NULL, PX(2349, 9), 3);           //  through: entry fills
    assert_int_equal(ev.nfills, 1);
    assert_int_equal(ev.fills[0].price, PX(2350, 0));
    assert_int_equal(s_status(pb, "b1-SL"), OFTS__ORDER_STATUS__STATUS_WORKING);
    assert_int_equal(s_status(pb, "b1-TP"), OFTS__ORDER_STATUS__STATUS_WORKING);
    assert_int_equal(s_order_price(pb, "b1-SL"), PX(2349, 0));
    assert_int_equal(s_order_price(pb, "b1-TP"), PX(2352, 0));
    paper_broker_on_trade(pb, "GC", NULL, PX(2352, 0), 4);           //  target touched only
    assert_int_equal(ev.nfills, 1);
    paper_broker_on_trade(pb, "GC", NULL, PX(2352, 1), 5);           //  through the target
    assert_int_equal(ev.nfills, 2);
    assert_int_equal(ev.fills[1].role, OFTS__ORDER_ROLE__ROLE_TARGET);
    assert_int_equal(ev.fills[1].price, PX(2352, 0));
    assert_int_equal(s_status(pb, "b1-TP"), OFTS__ORDER_STATUS__STATUS_FILLED);
    assert_int_equal(s_status(pb, "b1-SL"), OFTS__ORDER_STATUS__STATUS_CANCELLED);
    assert_int_equal(paper_broker_position(pb, "GC"), 0);
    //  2350.0 -> 2352.0 = 20 ticks x $10 = $200.
    assert_int_equal(paper_broker_realized_cents(pb, "GC"), 20000);
    //  The stop, now cancelled, never fills.
    paper_broker_on_trade(pb, "GC", NULL, PX(2348, 0), 6);
    assert_int_equal(ev.nfills, 2);
    //  Last position event says flat.
    assert_int_equal(ev.positions[ev.npositions - 1].quantity, 0);
    paper_broker_destroy(&pb);
}

//  A market entry's bracket keeps its distances from the actual fill.
static void
t_bracket_from_fill_price(void **state)
{
    (void) state;
    events_t ev;
    paper_broker_t *pb = s_new(1, 0, NULL, &ev);
    paper_broker_on_bbo(pb, "GC", NULL, PX(2350, 0), PX(2350, 1), 1);
    //  Reference 2350.1, stop 10 ticks below, target 20 above.
    broker_order_t o = s_order("b2", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_MARKET, 1, PX(2350, 1),
                               PX(2349, 1), PX(2352, 1));
    assert_int_equal(broker_place(paper_broker_broker(pb), &o, 2), BROKER_OK);
    assert_int_equal(ev.fills[0].price, PX(2350, 2));
    assert_int_equal(s_order_price(pb, "b2-SL"), PX(2349, 2));
    assert_int_equal(s_order_price(pb, "b2-TP"), PX(2352, 2));
    paper_broker_destroy(&pb);
}

//  Gap through the stop: trades jump from 2350.0 to 2348.5 over a sell stop
//  at 2349.0. Touched, the stop is a market order: it fills at the worse of
//  the stop and the trade that touched it, less slippage: 2348.4 (it used to
//  fill at 2348.9, as if the gap had not happened).
static void
t_gap_through_stop_fills_at_the_gap(void **state)
{
    (void) state;
    events_t ev;
    paper_broker_t *pb = s_new(1, 0, NULL, &ev);
    broker_order_t o = s_order("g1", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT, 1, PX(2350, 0),
                               PX(2349, 0), PX(2355, 0));
    assert_int_equal(broker_place(paper_broker_broker(pb), &o, 1), BROKER_OK);
    paper_broker_on_trade(pb, "GC", NULL, PX(2349, 9), 2);
    assert_int_equal(ev.nfills, 1);
    paper_broker_on_trade(pb, "GC", NULL, PX(2350, 0), 3);
    paper_broker_on_trade(pb, "GC", NULL, PX(2348, 5), 4);           //  gap
    assert_int_equal(ev.nfills, 2);
    assert_int_equal(ev.fills[1].role, OFTS__ORDER_ROLE__ROLE_STOP);
    assert_int_equal(ev.fills[1].price, PX(2348, 4));
    assert_int_equal(s_status(pb, "g1-TP"), OFTS__ORDER_STATUS__STATUS_CANCELLED);
    //  2350.0 -> 2348.4 = -16 ticks = -$160.
    assert_int_equal(paper_broker_realized_cents(pb, "GC"), -16000);
    paper_broker_destroy(&pb);
}

//  The issue's case: long GC from 2350.2, stop 2345.2, the next trade
//  2340.0. Filled 2339.9 (2340.0 less a tick): -$1,030, not 2345.1 / -$510.
//  A stop touched exactly fills at the stop less slippage.
static void
t_stop_gap_issue_case(void **state)
{
    (void) state;
    events_t ev;
    paper_broker_t *pb = s_new(1, 0, NULL, &ev);
    broker_order_t o = s_order("i1", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT, 1, PX(2350, 2),
                               PX(2345, 2), PX(2360, 2));
    assert_int_equal(broker_place(paper_broker_broker(pb), &o, 1), BROKER_OK);
    paper_broker_on_trade(pb, "GC", "GCZ6", PX(2350, 1), 2);
    assert_int_equal(ev.fills[0].price, PX(2350, 2));
    assert_int_equal(s_order_price(pb, "i1-SL"), PX(2345, 2));
    paper_broker_on_trade(pb, "GC", "GCZ6", PX(2340, 0), 3);
    assert_int_equal(ev.nfills, 2);
    assert_int_equal(ev.fills[1].price, PX(2339, 9));
    assert_int_equal(paper_broker_realized_cents(pb, "GC"), -103000);
    o = s_order("i2", SELL, OFTS__ORDER_TYPE__ORDER_TYPE_STOP, 1, PX(2339, 0), 0, 0);
    assert_int_equal(broker_place(paper_broker_broker(pb), &o, 4), BROKER_OK);
    paper_broker_on_trade(pb, "GC", "GCZ6", PX(2339, 0), 5);
    assert_int_equal(ev.fills[2].price, PX(2338, 9));
    paper_broker_destroy(&pb);
}

//  P&L by hand: GC long 2350.0 -> 2351.0 = 10 ticks x $10 = $100; with
//  $2.50 per contract per fill on 2 contracts: 2 x $100 - 4 x $2.50 = $190.
static void
t_pnl_in_cents(void **state)
{
    (void) state;
    events_t ev;
    paper_broker_t *pb = s_new(0, 0, NULL, &ev);
    broker_t *b = paper_broker_broker(pb);
    paper_broker_on_bbo(pb, "GC", NULL, PX(2349, 9), PX(2350, 0), 1);
    broker_order_t o = s_order("p1", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_MARKET, 1, 0, 0, 0);
    assert_int_equal(broker_place(b, &o, 2), BROKER_OK);
    paper_broker_on_bbo(pb, "GC", NULL, PX(2351, 0), PX(2351, 1), 3);
    o = s_order("p2", SELL, OFTS__ORDER_TYPE__ORDER_TYPE_MARKET, 1, 0, 0, 0);
    assert_int_equal(broker_place(b, &o, 4), BROKER_OK);
    assert_int_equal(paper_broker_realized_cents(pb, "GC"), 10000);
    paper_broker_destroy(&pb);

    pb = s_new(0, 250, NULL, &ev);
    b = paper_broker_broker(pb);
    paper_broker_on_bbo(pb, "GC", NULL, PX(2349, 9), PX(2350, 0), 1);
    o = s_order("f1", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_MARKET, 2, 0, 0, 0);
    assert_int_equal(broker_place(b, &o, 2), BROKER_OK);
    assert_int_equal(ev.fills[0].fees_cents, 500);
    paper_broker_on_bbo(pb, "GC", NULL, PX(2351, 0), PX(2351, 1), 3);
    o = s_order("f2", SELL, OFTS__ORDER_TYPE__ORDER_TYPE_MARKET, 2, 0, 0, 0);
    assert_int_equal(broker_place(b, &o, 4), BROKER_OK);
    assert_int_equal(paper_broker_realized_cents(pb, "GC"), 19000);
    paper_broker_destroy(&pb);

    //  Short NQ: sell 4 at 20000.00, buy back at 19990.25 = 39 ticks x $5 x 4 = $780.
    pb = s_new(0, 0, NULL, &ev);
    b = paper_broker_broker(pb);
    paper_broker_on_bbo(pb, "NQ", NULL, 20000000000000LL, 20000250000000LL, 1);
    o = s_order("n1", SELL, OFTS__ORDER_TYPE__ORDER_TYPE_MARKET, 4, 0, 0, 0);
    strcpy(o.symbol, "NQ");
    assert_int_equal(broker_place(b, &o, 2), BROKER_OK);
    assert_int_equal(paper_broker_position(pb, "NQ"), -4);
    paper_broker_on_bbo(pb, "NQ", NULL, 19990000000000LL, 19990250000000LL, 3);
    o = s_order("n2", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_MARKET, 4, 0, 0, 0);
    strcpy(o.symbol, "NQ");
    assert_int_equal(broker_place(b, &o, 4), BROKER_OK);
    assert_int_equal(paper_broker_realized_cents(pb, "NQ"), 78000);
    paper_broker_destroy(&pb);
}

//  What a real broker refuses, the paper broker refuses.
static void
t_validation(void **state)
{
    (void) state;
    events_t ev;
    paper_broker_t *pb = s_new(1, 0, NULL, &ev);
    broker_t *b = paper_broker_broker(pb);
    broker_order_t o = s_order("v1", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT, 1, PX(2350, 0),
                               PX(2351, 0), PX(2352, 0));         //  long stop above entry
    assert_int_equal(broker_place(b, &o, 1), BROKER_REJECTED);
    assert_string_equal(o.text, "stop on the wrong side of the entry");
    o = s_order("v2", SELL, OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT, 1, PX(2350, 0),
                PX(2351, 0), PX(2351, 0) + 100000000LL);          //  short target above
    assert_int_equal(broker_place(b, &o, 1), BROKER_REJECTED);
    o = s_order("v3", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT, 1, PX(2350, 0) + 50000000LL, 0, 0);
    assert_int_equal(broker_place(b, &o, 1), BROKER_REJECTED);  //  2350.05: off tick
    o = s_order("v4", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT, 0, PX(2350, 0), 0, 0);
    assert_int_equal(broker_place(b, &o, 1), BROKER_REJECTED);  //  size 0
    o = s_order("v5", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT, 1, PX(2350, 0), 0, 0);
    strcpy(o.symbol, "ZZ");
    assert_int_equal(broker_place(b, &o, 1), BROKER_REJECTED);
    o = s_order("v6", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT, 1, PX(2350, 0), 0, 0);
    assert_int_equal(broker_place(b, &o, 1), BROKER_OK);
    o = s_order("v6", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT, 1, PX(2350, 0), 0, 0);
    assert_int_equal(broker_place(b, &o, 1), BROKER_REJECTED);  //  id reused
    assert_string_equal(o.text, "client order id already used");
    //  Cancel: works once, then it is finished.
    assert_int_equal(broker_cancel(b, "v6", 2), BROKER_OK);
    assert_int_equal(broker_cancel(b, "v6", 3), BROKER_REJECTED);
    assert_int_equal(broker_cancel(b, "nope", 3), BROKER_REJECTED);
    broker_order_t open[4];
    assert_int_equal(broker_open_orders(b, open, 4), 0);
    paper_broker_destroy(&pb);
}

//  Flatten: working legs cancelled, the position closed at market.
static void
t_flatten(void **state)
{
    (void) state;
    events_t ev;
    paper_broker_t *pb = s_new(1, 0, NULL, &ev);
    broker_t *b = paper_broker_broker(pb);
    paper_broker_on_bbo(pb, "GC", NULL, PX(2350, 0), PX(2350, 1), 1);
    broker_order_t o = s_order("x1", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_MARKET, 2, PX(2350, 1),
                               PX(2349, 1), PX(2352, 1));
    assert_int_equal(broker_place(b, &o, 2), BROKER_OK);
    assert_int_equal(paper_broker_position(pb, "GC"), 2);
    broker_order_t open[8];
    assert_int_equal(broker_open_orders(b, open, 8), 2);        //  SL and TP
    broker_position_t pos[4];
    assert_int_equal(broker_positions(b, pos, 4), 1);
    assert_int_equal(pos[0].quantity, 2);
    assert_int_equal(pos[0].avg_price, PX(2350, 2));
    assert_int_equal(broker_flatten(b, "GC", "FL-1", 3), BROKER_OK);
    assert_int_equal(paper_broker_position(pb, "GC"), 0);
    assert_int_equal(broker_open_orders(b, open, 8), 0);
    assert_int_equal(s_status(pb, "x1-SL"), OFTS__ORDER_STATUS__STATUS_CANCELLED);
    assert_int_equal(s_status(pb, "FL-1"), OFTS__ORDER_STATUS__STATUS_FILLED);
    assert_int_equal(ev.fills[1].role, OFTS__ORDER_ROLE__ROLE_FLATTEN);
    assert_int_equal(ev.fills[1].price, PX(2349, 9));
    assert_int_equal(ev.fills[1].quantity, 2);
    //  Flat: flatten again is a no-op, not an error.
    assert_int_equal(broker_flatten(b, "GC", "FL-2", 4), BROKER_OK);
    assert_int_equal(s_status(pb, "FL-2"), -1);
    paper_broker_destroy(&pb);
}

//  A paper broker over the same store continues: working orders, position,
//  id counter (no reused fill id).
static void
t_restore_from_store(void **state)
{
    (void) state;
    events_t ev;
    order_store_t *store = order_store_new(":memory:");
    assert_non_null(store);
    paper_broker_t *pb = s_new(0, 0, store, &ev);
    broker_order_t o = s_order("r1", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT, 1, PX(2350, 0),
                               PX(2349, 0), PX(2352, 0));
    assert_int_equal(broker_place(paper_broker_broker(pb), &o, 1), BROKER_OK);
    paper_broker_on_trade(pb, "GC", NULL, PX(2349, 9), 2);
    assert_int_equal(ev.nfills, 1);
    char first_fill[BROKER_ID_LEN];
    strcpy(first_fill, ev.fills[0].fill_id);
    paper_broker_destroy(&pb);

    pb = s_new(0, 0, store, &ev);
    broker_t *b = paper_broker_broker(pb);
    assert_int_equal(paper_broker_position(pb, "GC"), 1);
    broker_order_t open[8];
    assert_int_equal(broker_open_orders(b, open, 8), 2);
    assert_int_equal(s_status(pb, "r1"), OFTS__ORDER_STATUS__STATUS_FILLED);  //  from the store
    o = s_order("r1", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT, 1, PX(2350, 0), 0, 0);
    assert_int_equal(broker_place(b, &o, 3), BROKER_REJECTED);  //  id known from the store
    paper_broker_on_trade(pb, "GC", NULL, PX(2352, 1), 4);
    assert_int_equal(ev.nfills, 1);
    assert_string_not_equal(ev.fills[0].fill_id, first_fill);
    assert_int_equal(paper_broker_position(pb, "GC"), 0);
    assert_int_equal(paper_broker_realized_cents(pb, "GC"), 20000);
    paper_broker_destroy(&pb);
    order_store_destroy(&store);
}

//  Market data arriving as Envelopes; absent book sides ignored.
static void
t_envelope_md(void **state)
{
    (void) state;
    events_t ev;
    paper_broker_t *pb = s_new(0, 0, NULL, &ev);
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    Ofts__TopOfBook bbo = OFTS__TOP_OF_BOOK__INIT;
    bbo.symbol = "GC";
    bbo.bid_px = PX(2350, 0);
    bbo.ask_px = INT64_MAX;                                     //  no ask level
    env.body_case = OFTS__ENVELOPE__BODY_BBO;
    env.bbo = &bbo;
    paper_broker_on_md(pb, &env, 1);
    broker_order_t o = s_order("e1", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_MARKET, 1, 0, 0, 0);
    assert_int_equal(broker_place(paper_broker_broker(pb), &o, 2), BROKER_OK);
    assert_int_equal(ev.nfills, 0);                             //  no ask, no trade yet
    Ofts__Trade trade = OFTS__TRADE__INIT;
    trade.symbol = "GC";
    trade.price = PX(2350, 3);
    env.body_case = OFTS__ENVELOPE__BODY_TRADE;
    env.trade = &trade;
    paper_broker_on_md(pb, &env, 3);
    assert_int_equal(ev.nfills, 1);
    assert_int_equal(ev.fills[0].price, PX(2350, 3));
    paper_broker_destroy(&pb);
}

//  Two months of one root on the feed: an order trades only on its own
//  contract's prices; one placed without a contract takes the latest one's.
static void
t_contract_months_not_mixed(void **state)
{
    (void) state;
    events_t ev;
    paper_broker_t *pb = s_new(0, 0, NULL, &ev);
    broker_t *b = paper_broker_broker(pb);
    paper_broker_on_bbo(pb, "GC", "GCZ6", PX(2350, 0), PX(2350, 1), 1);
    paper_broker_on_bbo(pb, "GC", "GCG7", PX(2360, 0), PX(2360, 1), 2);   //  latest
    broker_order_t o = s_order("c1", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_MARKET, 1, 0, 0, 0);
    assert_int_equal(broker_place(b, &o, 3), BROKER_OK);                  //  GCZ6 (its contract)
    assert_int_equal(ev.fills[0].price, PX(2350, 1));
    o = s_order("c2", SELL, OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT, 1, PX(2355, 0), 0, 0);
    assert_int_equal(broker_place(b, &o, 4), BROKER_OK);
    paper_broker_on_trade(pb, "GC", "GCG7", PX(2360, 5), 5);              //  other month: no
    assert_int_equal(ev.nfills, 1);
    paper_broker_on_trade(pb, "GC", "GCZ6", PX(2355, 1), 6);              //  own month: fills
    assert_int_equal(ev.nfills, 2);
    assert_int_equal(ev.fills[1].price, PX(2355, 0));
    //  No contract given: the latest quote's month (GCG7 after this bbo).
    paper_broker_on_bbo(pb, "GC", "GCG7", PX(2360, 0), PX(2360, 1), 7);
    o = s_order("c3", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_MARKET, 1, 0, 0, 0);
    o.contract[0] = 0;
    assert_int_equal(broker_place(b, &o, 8), BROKER_OK);
    assert_int_equal(ev.fills[2].price, PX(2360, 1));
    assert_string_equal(ev.fills[2].contract, "GCG7");
    paper_broker_destroy(&pb);
}

//  A replay restarted from the top of its file sends older prices: they
//  must not trigger the stop of a position taken on newer ones. Older by
//  more than PAPER_REWIND_SLACK_NS (1 s) is the past; less is not.
static void
t_rewound_md_ignored(void **state)
{
    (void) state;
    events_t ev;
    paper_broker_t *pb = s_new(0, 0, NULL, &ev);
    int64_t t = 100 * SEC_NS;
    broker_order_t o = s_order("s1", SELL, OFTS__ORDER_TYPE__ORDER_TYPE_STOP, 1, PX(2349, 0), 0, 0);
    assert_int_equal(broker_place(paper_broker_broker(pb), &o, t), BROKER_OK);
    paper_broker_on_trade(pb, "GC", NULL, PX(2350, 5), t);
    paper_broker_on_trade(pb, "GC", NULL, PX(2348, 0), t - 50 * SEC_NS);     //  from the past
    assert_int_equal(ev.nfills, 0);
    assert_int_equal(paper_broker_rewound(pb), 1);
    paper_broker_on_bbo(pb, "GC", NULL, PX(2340, 0), PX(2340, 1), t - SEC_NS - 1);
    assert_int_equal(paper_broker_rewound(pb), 2);
    paper_broker_on_trade(pb, "GC", NULL, PX(2349, 0), t - SEC_NS);          //  within the slack
    assert_int_equal(ev.nfills, 1);
    assert_int_equal(ev.fills[0].price, PX(2349, 0));
    paper_broker_destroy(&pb);
}

//  A live session on trades + mbp-1 + mbp-10 delivers records in ts_recv
//  order; their ts_event can be equal or a few ns out of order across
//  schemas. None of them is "the past": the trade 2 ns older than the last
//  book still triggers the stop (live used to drop it, the backtest kept it).
static void
t_interleaved_schemas(void **state)
{
    (void) state;
    events_t ev;
    paper_broker_t *pb = s_new(0, 0, NULL, &ev);
    int64_t t = 1000 * SEC_NS;
    broker_order_t o = s_order("x1", SELL, OFTS__ORDER_TYPE__ORDER_TYPE_STOP, 1, PX(2349, 0), 0, 0);
    assert_int_equal(broker_place(paper_broker_broker(pb), &o, t), BROKER_OK);
    paper_broker_on_bbo(pb, "GC", "GCZ6", PX(2349, 9), PX(2350, 0), t + 10);    //  mbp-1
    paper_broker_on_bbo(pb, "GC", "GCZ6", PX(2349, 9), PX(2350, 0), t + 10);    //  mbp-10, same ts
    paper_broker_on_trade(pb, "GC", "GCZ6", PX(2349, 5), t + 9);                //  trades, 1 ns older
    assert_int_equal(ev.nfills, 0);
    paper_broker_on_bbo(pb, "GC", "GCZ6", PX(2348, 9), PX(2349, 0), t + 12);
    paper_broker_on_trade(pb, "GC", "GCZ6", PX(2349, 0), t + 10);               //  2 ns older: touches
    assert_int_equal(ev.nfills, 1);
    assert_int_equal(ev.fills[0].price, PX(2349, 0));
    assert_int_equal(paper_broker_rewound(pb), 0);
    paper_broker_destroy(&pb);
}

//  Limit entries expire: time in force 5 s on the contract's market clock.
//  Unfilled after 5 s of GCZ6 md: EXPIRED (reported), its legs cancelled;
//  GCG7 md does not run GCZ6's clock. A filled entry never expires.
static void
t_entry_time_in_force(void **state)
{
    (void) state;
    events_t ev;
    memset(&ev, 0, sizeof(ev));
    paper_config_t cfg = { .slippage_ticks = 0, .fees_cents = 0, .entry_tif_ms = 5000 };
    paper_broker_t *pb = paper_broker_new(&cfg, NULL);
    broker_events_t events = { s_on_order, s_on_fill, s_on_position, &ev };
    broker_set_events(paper_broker_broker(pb), &events);
    int64_t t = 1000 * SEC_NS;
    paper_broker_on_trade(pb, "GC", "GCZ6", PX(2350, 5), t);
    broker_order_t o = s_order("L1", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT, 1, PX(2350, 0),
                               PX(2345, 0), PX(2360, 0));
    assert_int_equal(broker_place(paper_broker_broker(pb), &o, t), BROKER_OK);
    paper_broker_on_trade(pb, "GC", "GCG7", PX(2370, 0), t + 9 * SEC_NS);       //  other month
    paper_broker_on_trade(pb, "GC", "GCZ6", PX(2350, 5), t + 5 * SEC_NS - 1);
    assert_int_equal(s_status(pb, "L1"), OFTS__ORDER_STATUS__STATUS_WORKING);
    paper_broker_on_trade(pb, "GC", "GCZ6", PX(2349, 0), t + 5 * SEC_NS);       //  too late
    assert_int_equal(ev.nfills, 0);
    assert_int_equal(s_status(pb, "L1"), OFTS__ORDER_STATUS__STATUS_EXPIRED);
    assert_int_equal(s_status(pb, "L1-SL"), OFTS__ORDER_STATUS__STATUS_CANCELLED);
    assert_int_equal(s_status(pb, "L1-TP"), OFTS__ORDER_STATUS__STATUS_CANCELLED);
    assert_int_equal(paper_broker_expired(pb), 1);
    bool reported = false;
    for (int i = 0; i < ev.norders; i++)
        reported |= strcmp(ev.orders[i].client_order_id, "L1") == 0
                 && ev.orders[i].status == OFTS__ORDER_STATUS__STATUS_EXPIRED
                 && strstr(ev.orders[i].text, "time in force 5000 ms") != NULL;
    assert_true(reported);
    o = s_order("L2", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT, 1, PX(2349, 0), 0, 0);
    assert_int_equal(broker_place(paper_broker_broker(pb), &o, t + 6 * SEC_NS), BROKER_OK);
    paper_broker_on_trade(pb, "GC", "GCZ6", PX(2348, 9), t + 6 * SEC_NS);
    paper_broker_on_trade(pb, "GC", "GCZ6", PX(2348, 9), t + 60 * SEC_NS);
    assert_int_equal(s_status(pb, "L2"), OFTS__ORDER_STATUS__STATUS_FILLED);
    assert_int_equal(paper_broker_expired(pb), 1);
    paper_broker_destroy(&pb);
}

//  A fill goes out as Fill, legs working (O), Position, then FILLED (X):
//  whoever clears "entry pending" on FILLED already knows the position.
//  It used to be FILLED first. The stop's fill: Fill, sibling cancelled,
//  Position, FILLED.
static void
t_fill_before_filled_update(void **state)
{
    (void) state;
    events_t ev;
    paper_broker_t *pb = s_new(0, 0, NULL, &ev);
    broker_order_t o = s_order("e1", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT, 1, PX(2350, 0),
                               PX(2349, 0), PX(2352, 0));
    assert_int_equal(broker_place(paper_broker_broker(pb), &o, 1), BROKER_OK);
    assert_string_equal(ev.trail, "OOO");
    memset(ev.trail, 0, sizeof(ev.trail));
    paper_broker_on_trade(pb, "GC", "GCZ6", PX(2349, 9), 2);
    assert_string_equal(ev.trail, "FOOPX");
    memset(ev.trail, 0, sizeof(ev.trail));
    paper_broker_on_trade(pb, "GC", "GCZ6", PX(2349, 0), 3);
    assert_string_equal(ev.trail, "FOPX");
    paper_broker_destroy(&pb);
}

//  Topstep's fees by default: GC $3.24 a round turn = $1.62 a fill.
static void
t_default_fees(void **state)
{
    (void) state;
    paper_config_t cfg;
    paper_config_defaults(&cfg);
    assert_int_equal(paper_config_fee_cents(&cfg, "GC"), 162);
    assert_int_equal(paper_config_fee_cents(&cfg, "NQ"), 140);
    assert_int_equal(paper_config_fee_cents(&cfg, "MNQ"), 37);
    assert_int_equal(cfg.entry_tif_ms, 5000);
    cfg.fees_cents = 250;
    assert_int_equal(paper_config_fee_cents(&cfg, "GC"), 250);
}

//  One md event to a broker by name, or by quote slot (slots found once per
//  symbol/contract, on its first trade or bbo, as ofts sweep does).
static void
s_feed(paper_broker_t *pb, int *slots, int key, const char *contract, bool trade, int64_t a, int64_t b,
       int64_t ts)
{
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    Ofts__Trade t = OFTS__TRADE__INIT;
    Ofts__TopOfBook q = OFTS__TOP_OF_BOOK__INIT;
    t.symbol = q.symbol = "GC";
    t.contract = q.contract = (char *) contract;
    t.price = a;
    q.bid_px = a;
    q.ask_px = b;
    env.body_case = trade ? OFTS__ENVELOPE__BODY_TRADE : OFTS__ENVELOPE__BODY_BBO;
    if (trade)
        env.trade = &t;
    else
        env.bbo = &q;
    if (!slots) {
        paper_broker_on_md(pb, &env, ts);
        return;
    }
    if (slots[key] < 0)
        slots[key] = paper_broker_quote_slot(pb, "GC", contract);
    paper_broker_on_md_at(pb, slots[key], &env, ts);
}

//  The same market by quote slot gives the same fills as by name: a market
//  order waiting for its first price, a bracket on GCZ6 that GCG7 prints
//  never touch, a limit entry that expires, an older (rewound) event.
static void
t_by_slot_same_as_by_name(void **state)
{
    (void) state;
    events_t ev[2];
    paper_broker_t *pb[2];
    for (int k = 0; k < 2; k++) {
        memset(&ev[k], 0, sizeof(ev[k]));
        paper_config_t cfg = { .slippage_ticks = 1, .fees_cents = 0, .entry_tif_ms = 5000 };
        pb[k] = paper_broker_new(&cfg, NULL);
        broker_events_t events = { s_on_order, s_on_fill, s_on_position, &ev[k] };
        broker_set_events(paper_broker_broker(pb[k]), &events);
    }
    int slots[2] = { -1, -1 };
    for (int k = 0; k < 2; k++) {
        int *sl = k ? slots : NULL;
        broker_t *b = paper_broker_broker(pb[k]);
        broker_order_t o = s_order("w1", BUY, OFTS__ORDER_TYPE__ORDER_TYPE_MARKET, 1, PX(2350, 2), PX(2340, 0),
                                   PX(2360, 0));
        assert_int_equal(broker_place(b, &o, 1), BROKER_OK);
        s_feed(pb[k], sl, 1, "GCG7", false, PX(2370, 0), PX(2370, 1), 2 * SEC_NS);     //  another month
        s_feed(pb[k], sl, 0, "GCZ6", false, PX(2350, 0), PX(2350, 1), 3 * SEC_NS);     //  w1 fills: 2350.2
        s_feed(pb[k], sl, 1, "GCG7", true, PX(2361, 0), 0, 4 * SEC_NS);               //  not GCZ6's target
        s_feed(pb[k], sl, 0, "GCZ6", true, PX(2339, 0), 0, 1 * SEC_NS);               //  rewound: ignored
        s_feed(pb[k], sl, 0, "GCZ6", true, PX(2360, 1), 0, 5 * SEC_NS);               //  target through
        o = s_order("l1", SELL, OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT, 2, PX(2365, 0), 0, 0);
        assert_int_equal(broker_place(b, &o, 6 * SEC_NS), BROKER_OK);
        s_feed(pb[k], sl, 0, "GCZ6", true, PX(2364, 0), 0, 7 * SEC_NS);
        s_feed(pb[k], sl, 0, "GCZ6", false, PX(2364, 0), PX(2364, 1), 20 * SEC_NS);   //  l1 expired
        s_feed(pb[k], sl, 0, "GCZ6", true, PX(2366, 0), 0, 21 * SEC_NS);               //  too late for l1
    }
    assert_int_equal(ev[0].nfills, 2);
    assert_int_equal(ev[0].fills[0].price, PX(2350, 2));
    assert_int_equal(ev[0].fills[1].price, PX(2360, 0));
    assert_int_equal(paper_broker_expired(pb[0]), 1);
    assert_int_equal(paper_broker_rewound(pb[0]), 1);
    assert_int_equal(paper_broker_realized_cents(pb[0], "GC"), 98000);             //  98 ticks x $10
    assert_int_equal(ev[1].nfills, ev[0].nfills);
    for (int i = 0; i < ev[0].nfills; i++) {
        assert_int_equal(ev[1].fills[i].price, ev[0].fills[i].price);
        assert_int_equal(ev[1].fills[i].ts_ns, ev[0].fills[i].ts_ns);
        assert_int_equal(ev[1].fills[i].role, ev[0].fills[i].role);
    }
    assert_string_equal(ev[1].trail, ev[0].trail);
    assert_int_equal(paper_broker_expired(pb[1]), 1);
    assert_int_equal(paper_broker_rewound(pb[1]), 1);
    assert_int_equal(paper_broker_realized_cents(pb[1], "GC"), 98000);
    assert_int_equal(slots[0], 1);                                                 //  GCG7 came first
    assert_int_equal(slots[1], 0);
    for (int k = 0; k < 2; k++)
        paper_broker_destroy(&pb[k]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_market_at_opposite_best_plus_slippage),
        cmocka_unit_test(t_fills_carry_market_time),
        cmocka_unit_test(t_market_falls_back_and_waits),
        cmocka_unit_test(t_buy_stop_touched),
        cmocka_unit_test(t_sell_limit_needs_trade_through),
        cmocka_unit_test(t_bracket_oco_target_cancels_stop),
        cmocka_unit_test(t_bracket_from_fill_price),
        cmocka_unit_test(t_gap_through_stop_fills_at_the_gap),
        cmocka_unit_test(t_stop_gap_issue_case),
        cmocka_unit_test(t_interleaved_schemas),
        cmocka_unit_test(t_entry_time_in_force),
        cmocka_unit_test(t_fill_before_filled_update),
        cmocka_unit_test(t_default_fees),
        cmocka_unit_test(t_pnl_in_cents),
        cmocka_unit_test(t_validation),
        cmocka_unit_test(t_flatten),
        cmocka_unit_test(t_restore_from_store),
        cmocka_unit_test(t_envelope_md),
        cmocka_unit_test(t_contract_months_not_mixed),
        cmocka_unit_test(t_rewound_md_ignored),
        cmocka_unit_test(t_by_slot_same_as_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
