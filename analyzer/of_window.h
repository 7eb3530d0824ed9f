/*  of_window - the rolling window of recent trades, by time and/or count.

    A ring buffer of trades plus running integer sums (buy, sell and total
    volume, trade count, price x size, blocks). Adding a trade and expiring
    old ones adjust the sums, so every query is O(1) and an event costs O(1)
    amortised (each trade is added once and dropped once). Integer sums keep
    the figures exact and free of floating-point drift over a long session.

    Membership: a trade stays while ts > now - span (a trade exactly `span`
    old has left) and while it is among the newest max_trades.

    Each trade also carries an "aggressive" mark (it belongs to an aggressor
    order that swept or cleared the best level, of_metrics.c); the sums keep
    the marked buy and sell volume. A mark can be set after the trade was
    added (of_window_mark_newest): an order is known to sweep only at its
    second print, and then its first print counts too.                     */
#ifndef OF_WINDOW_H
#define OF_WINDOW_H
#include <stdbool.h>
#include <stdint.h>

typedef struct _of_window_t of_window_t;

//  Aggressor side of a trade (same numbers as Ofts__Side).
enum { OF_SIDE_NONE = 0, OF_SIDE_BUY = 1, OF_SIDE_SELL = 2 };

typedef struct {
    uint64_t trades;
    uint64_t volume;                //  every trade, including unknown aggressor
    uint64_t buy_volume;            //  buy aggressor: lifted the ask
    uint64_t sell_volume;           //  sell aggressor: hit the bid
    uint64_t aggr_buy_volume;       //  buy volume marked aggressive
    uint64_t aggr_sell_volume;      //  sell volume marked aggressive
    uint64_t blocks;                //  trades flagged as blocks
    __int128 notional;              //  sum of price x size (1e-9 units x contracts)
    int64_t start_ns;               //  the window provably covers (start_ns, now]
    uint64_t version;               //  +1 whenever the contents change (for caches)
} of_window_sums_t;

//  span_ns 0 = no time limit; max_trades 0 = no count limit (not both).
of_window_t *of_window_new(int64_t span_ns, uint32_t max_trades);
void of_window_destroy(of_window_t **self_p);

//  Drop trades that are too old for now_ns; then add one (which may push the
//  oldest out when the count limit is reached). Sizes must be > 0.
void of_window_expire(of_window_t *self, int64_t now_ns);
void of_window_add(of_window_t *self, int64_t ts_ns, int64_t price, uint32_t size, int side, bool block,
                   bool aggressive);
//  Mark the newest n trades (those still in the window) aggressive.
void of_window_mark_newest(of_window_t *self, uint32_t n);
//  Forget everything; the window covers time from start_ns on.
void of_window_clear(of_window_t *self, int64_t start_ns);

const of_window_sums_t *of_window_sums(of_window_t *self);
uint64_t of_window_trades(of_window_t *self);
//  Volume-weighted average price, rounded to the nearest 1e-9; INT64_MAX if empty.
int64_t of_window_vwap(of_window_t *self);

#endif
