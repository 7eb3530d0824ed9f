/*  of_signal - the decision: metrics in, maybe a Signal out.

    Rules (docs/analyzer.md "Signals"): the primary condition is a strong
    trade imbalance, |imbalance| > imbalance_threshold, which sets the
    direction. Confirmations in the same direction add their weight:
    cumulative delta, aggressive buying/selling, book depth imbalance, and
    (direction-free) high trade intensity. With opposite_subtracts, a
    confirmation pointing the other way subtracts its weight. A signal needs
    confidence >= min_confidence and at least min_trades in the window.

    Re-arm: after a signal in one direction, no other in that direction
    until the primary condition for it has been false at some event, or
    rearm_seconds of event time have passed (when > 0). The cooldown and
    one-position rules belong to risk, not here.

    Prices: entry = last trade rounded to the tick; stop = entry -/+ stop
    distance; take profit = entry +/- risk_reward_ratio x stop distance; each
    rounded to the tick exactly once (ofts_price_round, nearest).          */
#ifndef OF_SIGNAL_H
#define OF_SIGNAL_H
#include <stdbool.h>
#include <stdint.h>
#include "of_config.h"
#include "ofts.pb-c.h"

#define OF_REASONS_MAX 512

typedef struct {
    int direction;                  //  OF_SIDE_BUY / OF_SIDE_SELL; NONE = no primary
    int64_t confidence;             //  ppm, clamped to [0, 1000000]
    char reasons[OF_REASONS_MAX];   //  "Strong buy imbalance: 0.72; ..."
} of_score_t;

//  Score metrics against the rules. Pure: same input, same output.
void of_signal_score(const of_params_t *params, const Ofts__Metrics *metrics, of_score_t *out);

//  Entry, stop and take profit for a direction from the last trade price.
void of_signal_prices(const of_params_t *params, const ofts_instrument_t *instrument, int direction,
                      int64_t last_price, int64_t *entry, int64_t *stop, int64_t *take_profit);

//  "1,500", "-12,345": integers with thousands separators. Returns buf.
const char *of_signal_thousands(int64_t value, char *buf, int size);

//  Per-instrument decision state (re-arm) and the buffers a Signal borrows.
typedef struct _of_signal_t of_signal_t;

of_signal_t *of_signal_new(const of_params_t *params, const ofts_instrument_t *instrument);
void of_signal_destroy(of_signal_t **self_p);

//  Every event: re-arm a direction whose primary condition is now false.
void of_signal_observe(of_signal_t *self, double imbalance, int64_t now_ns);
//  On a trade: true when a signal is due (re-arm, min_trades, primary and
//  confidence); reads only the rule fields of metrics (of_metrics_fill_rules).
bool of_signal_due(of_signal_t *self, const Ofts__Metrics *metrics, int64_t now_ns);
//  Make the due signal: disarms its direction; *out then holds a Signal whose
//  strings and metrics point into self (valid until the next call). Its id is
//  "<symbol>-<ts_event>-<seq>". metrics must be complete (of_metrics_fill).
void of_signal_emit(of_signal_t *self, const Ofts__Metrics *metrics, int64_t now_ns,
                    uint64_t seq, Ofts__Signal *out);
//  due + emit in one call.
bool of_signal_decide(of_signal_t *self, const Ofts__Metrics *metrics, int64_t now_ns,
                      uint64_t seq, Ofts__Signal *out);
void of_signal_reset(of_signal_t *self);

#endif
