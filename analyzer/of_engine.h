/*  of_engine - the analyzer core: where a trade becomes a signal.

    Feed it the bus messages themselves (Trade, TopOfBook, Depth) with their
    header ts_event; it keeps one state per contract (book, rolling metrics,
    re-arm) and calls back with Metrics after every event and with a Signal
    when the rules fire. No sockets, no clock reads, no globals: the service
    (main.c) and the backtester drive the same code.

        trade --> of_engine_trade()
                    of_metrics_advance()    event clock, 17:00 CT reset, expiry
                    of_metrics_on_trade()   window sums, cumulative delta
                    of_metrics_fill()       the five metrics + VWAP, microprice
                    of_signal_due/emit()    rules, confidence, re-arm, prices
                  --> on_metrics(), on_signal()

    Typical use (backtester):
        ofts_cfgsec_t *sec = ofts_config_section(cfg, "analyzer");
        of_config_t *acfg = of_config_new(sec);
        if (ofts_cfgsec_finish(&sec, err, sizeof err)) { report err; exit 2; }
        of_engine_t *engine = of_engine_new(acfg);
        of_engine_set_signal_fn(engine, my_on_signal, me);
        for each envelope: of_engine_envelope(engine, env);
        of_engine_destroy(&engine); of_config_destroy(&acfg);          */
#ifndef OF_ENGINE_H
#define OF_ENGINE_H
#include <stdbool.h>
#include <stdint.h>
#include "of_config.h"
#include "ofts.pb-c.h"

typedef struct _of_engine_t of_engine_t;

//  The pointers and everything they point to are valid during the call only.
typedef void (of_engine_metrics_fn)(void *arg, const Ofts__Metrics *metrics, int64_t ts_event);
typedef void (of_engine_signal_fn)(void *arg, const Ofts__Signal *signal, int64_t ts_event);

//  config is borrowed and must outlive the engine.
of_engine_t *of_engine_new(of_config_t *config);
//  n rule sets over one book and one set of metrics per contract: the
//  configs must agree on everything the metrics read (window, levels,
//  intensity sampling, block size, rewind; sweep_metrics_key() in
//  backtest/). configs[0] drives the metrics; rule set k has its own
//  re-arm state, signal ids and callback (of_engine_set_signal_fn_at), so
//  each sees exactly the signals a one-config engine would make.
of_engine_t *of_engine_new_multi(of_config_t **configs, size_t n);
void of_engine_destroy(of_engine_t **self_p);
void of_engine_set_metrics_fn(of_engine_t *self, of_engine_metrics_fn *fn, void *arg);
void of_engine_set_signal_fn(of_engine_t *self, of_engine_signal_fn *fn, void *arg);
void of_engine_set_signal_fn_at(of_engine_t *self, size_t index, of_engine_signal_fn *fn, void *arg);

//  One event each. 0 = applied; -1 = rejected and counted (unknown
//  instrument, size 0, no price). Metrics / signals arrive via callbacks.
int of_engine_trade(of_engine_t *self, const Ofts__Trade *trade, int64_t ts_event);
int of_engine_bbo(of_engine_t *self, const Ofts__TopOfBook *bbo, int64_t ts_event);
int of_engine_depth(of_engine_t *self, const Ofts__Depth *depth, int64_t ts_event);
//  Dispatch on the body with header->ts_event. 1 = not a market-data body
//  (ignored, not counted as rejected).
int of_engine_envelope(of_engine_t *self, const Ofts__Envelope *env);

//  Latest metrics of a contract (or root, if that is how it was keyed);
//  false if unknown. Strings in out point into the engine.
bool of_engine_metrics(of_engine_t *self, const char *contract, Ofts__Metrics *out);

//  Latest metrics of the index-th contract seen (0 .. instruments-1), in
//  first-seen order; false past the end.
bool of_engine_metrics_at(of_engine_t *self, size_t index, Ofts__Metrics *out);

uint64_t of_engine_events(of_engine_t *self);        //  applied
uint64_t of_engine_signals(of_engine_t *self);
uint64_t of_engine_rejected(of_engine_t *self);      //  all rejected
//  Refused as far older than the contract's clock (analyzer.rewind_seconds);
//  counted in rejected too.
uint64_t of_engine_rewound(of_engine_t *self);
uint64_t of_engine_unknown(of_engine_t *self);       //  of which: unknown instrument
size_t of_engine_instruments(of_engine_t *self);     //  contracts with state

#endif
