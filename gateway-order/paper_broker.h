/*  paper_broker - a simulated broker behind the broker_t interface: fills
    orders against the market data it is fed. Pure: no clock, no sockets;
    prices and times come in through paper_broker_on_*().

    Fill rules (docs/gateway-order.md has the full table):
    - market: at the opposite best price (buy at the ask, sell at the bid)
      of the latest TopOfBook, falling back to the last trade, moved
      slippage_ticks against the order. With no price yet it waits for one.
    - stop: triggers when a trade touches the stop (buy: trade >= stop;
      sell: trade <= stop) and fills at the stop price moved slippage_ticks
      against the order — also when the market gaps through the stop
      (optimistic for gaps; documented).
    - limit: fills at the limit price only when a trade goes THROUGH it
      (buy: trade < limit; sell: trade > limit). A touch is not a fill: the
      queue ahead of us is unknown, so assume we were last.
    - bracket: the stop and target children wait (suspended) until the entry
      fills, then work at fill price + the requested distance (like ProjectX,
      which takes bracket distances in ticks from the fill; spec §5.2). They
      are OCO: when one fills, the other is cancelled.
    - every fill is the whole quantity (no partial fills, no queue model).
    - fees_cents per contract per fill, subtracted from realized P&L.
    P&L is exact in cents (ofts_instrument_pnl_cents).

    With a store, every state change (working orders, positions, id
    counters) is written to it, and a new paper broker over the same store
    continues where the old one stopped (kill -9 safe).                     */
#ifndef PAPER_BROKER_H
#define PAPER_BROKER_H
#include "broker.h"
#include "order_store.h"
#include "ofts.pb-c.h"

typedef struct _paper_broker_t paper_broker_t;

typedef struct {
    int slippage_ticks;                 //  against market and stop fills; default 1
    int64_t fees_cents;                 //  per contract per fill; default 0
} paper_config_t;

#define PAPER_DEFAULT_SLIPPAGE_TICKS 1
#define PAPER_DEFAULT_FEES_CENTS 0

void paper_config_defaults(paper_config_t *cfg);

//  store may be NULL (state in memory only). The store is borrowed.
paper_broker_t *paper_broker_new(const paper_config_t *cfg, order_store_t *store);
void paper_broker_destroy(paper_broker_t **self_p);
//  The broker_t view, owned by the paper broker.
broker_t *paper_broker_broker(paper_broker_t *self);

//  Market data in. Prices 1e-9; a side at INT64_MAX (or <= 0) is absent.
//  contract ("GCZ6", may be NULL/""): quotes are kept per contract, and an
//  order with a contract only trades on md of that contract (a root's feed
//  may carry several months). An order placed without one trades the
//  contract of the symbol's latest quote, or of the first md after it.
void paper_broker_on_bbo(paper_broker_t *self, const char *symbol, const char *contract,
                         int64_t bid, int64_t ask, int64_t ts_ns);
void paper_broker_on_trade(paper_broker_t *self, const char *symbol, const char *contract,
                           int64_t price, int64_t ts_ns);
//  Convenience: an Envelope carrying a trade or bbo (anything else ignored).
void paper_broker_on_md(paper_broker_t *self, const Ofts__Envelope *env, int64_t ts_ns);

//  Market data ignored because it was older than its contract's newest
//  (a replay that restarted from the start of its file).
uint64_t paper_broker_rewound(paper_broker_t *self);
//  Inspection (tests, backtests).
int32_t paper_broker_position(paper_broker_t *self, const char *symbol);
int64_t paper_broker_realized_cents(paper_broker_t *self, const char *symbol);
size_t paper_broker_order_count(paper_broker_t *self);

#endif
