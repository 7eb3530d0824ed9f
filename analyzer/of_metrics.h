/*  of_metrics - one instrument's order-flow state and the figures made from
    it: the five metrics (imbalance ratio, cumulative delta, aggressive-trade
    ratios, depth imbalance, trade intensity + its ratio to its own average),
    plus VWAP, microprice and block (large-lot) counting.

    Time is the events' own ts_event, never a clock read: advance() moves a
    monotone event clock (an older timestamp does not move it back), resets
    the session counters at 17:00 CT, expires the window and samples the
    intensity average. Exact definitions: docs/analyzer.md "Metrics".      */
#ifndef OF_METRICS_H
#define OF_METRICS_H
#include <stdbool.h>
#include <stdint.h>
#include "of_book.h"
#include "of_config.h"
#include "of_window.h"
#include "ofts.pb-c.h"

typedef struct _of_metrics_t of_metrics_t;

of_metrics_t *of_metrics_new(const of_params_t *params);
void of_metrics_destroy(of_metrics_t **self_p);

//  Move the event clock to ts_ns. Returns true when this crossed a session
//  open (17:00 CT): cumulative delta is then 0 (and the window empty when
//  reset_window_at_session).
bool of_metrics_advance(of_metrics_t *self, int64_t ts_ns);
//  One print, as the analyzer sees it when it arrives.
typedef struct {
    int64_t ts_event;               //  the print's own exchange time: one aggressor order's prints share it
    int64_t price;
    uint32_t size;                  //  > 0
    int side;                       //  aggressor, OF_SIDE_*
    int64_t best_px;                //  best opposite quote before the print (ask for a buy,
    uint32_t best_sz;               //  bid for a sell); INT64_MAX / 0 when unknown
} of_print_t;

//  One trade at the current event time (call advance first). Consecutive
//  prints with the same ts_event and side (buy or sell) are one aggressor
//  order; the order is aggressive once it printed beyond the best quote it
//  met, at a second price, or took at least the displayed size at the best
//  (docs/analyzer.md "Aggressive-trade ratios").
void of_metrics_on_trade(of_metrics_t *self, const of_print_t *print);

int64_t of_metrics_now(of_metrics_t *self);
int64_t of_metrics_session_open(of_metrics_t *self);
int64_t of_metrics_cumulative_delta(of_metrics_t *self);
int64_t of_metrics_last_price(of_metrics_t *self);     //  INT64_MAX before any trade
uint64_t of_metrics_window_trades(of_metrics_t *self);
//  (buy - sell) / total window volume; 0 on an empty window.
double of_metrics_imbalance(of_metrics_t *self);
//  Share of window volume from aggressive buy / sell orders; 0 when empty.
double of_metrics_aggressive_buy(of_metrics_t *self);
double of_metrics_aggressive_sell(of_metrics_t *self);
//  Trades per minute over the time the window covers (at least 1 s).
double of_metrics_intensity(of_metrics_t *self);
//  intensity / max(average intensity, 1 per minute); 0 before the first sample.
double of_metrics_intensity_ratio(of_metrics_t *self);
of_window_t *of_metrics_window(of_metrics_t *self);

//  All numeric Metrics fields from this state and the book (symbol and
//  contract are the caller's).
void of_metrics_fill(of_metrics_t *self, of_book_t *book, Ofts__Metrics *out);
//  Only what the signal rules read (not VWAP, microprice, prices): the
//  per-trade path when nobody wants every Metrics.
void of_metrics_fill_rules(of_metrics_t *self, of_book_t *book, Ofts__Metrics *out);

#endif
