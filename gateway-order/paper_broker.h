/*  paper_broker - a simulated broker behind the broker_t interface: fills
    orders against the market data it is fed. Pure: no clock, no sockets;
    prices and times come in through paper_broker_on_*().

    Fill rules (docs/gateway-order.md has the full table):
    - market: at the opposite best price (buy at the ask, sell at the bid)
      of the latest TopOfBook, falling back to the last trade, moved
      slippage_ticks against the order. With no price yet it waits for one.
    - stop: triggers when a trade touches the stop (buy: trade >= stop;
      sell: trade <= stop) and becomes a market order: it fills at the
      worse of the stop and the triggering trade, moved slippage_ticks
      against the order (a gap through the stop fills at the gap's price).
    - limit: fills at the limit price only when a trade goes THROUGH it
      (buy: trade < limit; sell: trade > limit). A touch is not a fill: the
      queue ahead of us is unknown, so assume we were last.
    - bracket: the stop and target children wait (suspended) until the entry
      fills, then work at fill price + the requested distance (like ProjectX,
      which takes bracket distances in ticks from the fill; spec §5.2). They
      are OCO: when one fills, the other is cancelled.
    - limit entries have a time in force (entry_tif_ms, on the contract's
      market clock): when it lapses unfilled the entry is EXPIRED and its
      waiting bracket legs cancelled.
    - every fill is the whole quantity (no partial fills, no queue model).
    - fees: half the root's round-turn fee per contract per fill (the
      Topstep table, docs/gateway-order.md), or a flat fees_cents, subtracted
      from realized P&L and carried on every Fill.
    - md older than its contract's newest by more than PAPER_REWIND_SLACK_NS
      is refused (a replay restarted from the top); less is applied, so
      interleaved schemas with slightly out-of-order ts_event all count. The
      backtest feeds ts_event through the same rule.
    - a fill goes out as: Fill, bracket legs working, Position, then the
      order's FILLED update (never FILLED before the position is known).
    P&L is exact in cents (ofts_instrument_pnl_cents).

    With a store, every state change (working orders, positions, id
    counters) is written to it, and a new paper broker over the same store
    continues where the old one stopped (kill -9 safe).                     */
#ifndef PAPER_BROKER_H
#define PAPER_BROKER_H
#include "broker.h"
#include "ofts_config.h"
#include "order_store.h"
#include "ofts.pb-c.h"

typedef struct _paper_broker_t paper_broker_t;

#define PAPER_MAX_FEES 16

typedef struct {
    int slippage_ticks;                 //  against market and stop fills; default 1
    int64_t fees_cents;                 //  per contract per fill; PAPER_FEES_TABLE
                                        //  (the default): from fees_round_turn
    int64_t entry_tif_ms;               //  limit entries; 0 = good till cancelled
    struct {
        char root[8];
        int64_t cents;                  //  per contract, round turn
    } fees_round_turn[PAPER_MAX_FEES];
    size_t nfees;
} paper_config_t;

#define PAPER_DEFAULT_SLIPPAGE_TICKS 1
#define PAPER_FEES_TABLE (-1)
#define PAPER_DEFAULT_ENTRY_TIF_MS 5000
//  Same slack as risk's market clock and analyzer.rewind_seconds.
#define PAPER_REWIND_SLACK_NS 1000000000LL

//  Slippage 1 tick, Topstep's round-turn fees, 5 s entry time in force.
void paper_config_defaults(paper_config_t *cfg);
//  gateway_order keys over the defaults: slippage_ticks, fees_cents,
//  fees_round_turn {ROOT: dollars}, entry_tif_ms. Problems go to the section.
void paper_config_read(paper_config_t *cfg, ofts_cfgsec_t *sec);
//  Fee per contract per fill (half a round turn) for root, in cents.
int64_t paper_config_fee_cents(const paper_config_t *cfg, const char *root);

//  store may be NULL (state in memory only). The store is borrowed.
paper_broker_t *paper_broker_new(const paper_config_t *cfg, order_store_t *store);
void paper_broker_destroy(paper_broker_t **self_p);
//  One paper broker per account (risk.accounts): its order and fill ids
//  carry a tag of the account's name ("PF1a2b3c-7" instead of "PF7"), so
//  fill ids, the de-duplication key, are unique across the accounts.
void paper_broker_set_account(paper_broker_t *self, const char *account);
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
//  The same by quote slot, for a caller that feeds millions of events of a
//  few contracts (ofts sweep): paper_broker_quote_slot() names symbol/contract
//  once (made on first use; a slot never moves; -1 when the table is full),
//  paper_broker_on_md_at() then skips the lookup by name. Same results.
int paper_broker_quote_slot(paper_broker_t *self, const char *symbol, const char *contract);
void paper_broker_on_md_at(paper_broker_t *self, int slot, const Ofts__Envelope *env, int64_t ts_ns);

//  Market data ignored because it was older than its contract's newest
//  (a replay that restarted from the start of its file).
uint64_t paper_broker_rewound(paper_broker_t *self);
//  Limit entries expired by their time in force.
uint64_t paper_broker_expired(paper_broker_t *self);
//  Inspection (tests, backtests).
int32_t paper_broker_position(paper_broker_t *self, const char *symbol);
int64_t paper_broker_realized_cents(paper_broker_t *self, const char *symbol);
size_t paper_broker_order_count(paper_broker_t *self);

#endif
