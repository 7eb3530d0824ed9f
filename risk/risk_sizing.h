/*  risk_sizing - how many contracts a signal may trade, in exact integers.

    "fixed": config fixed_contracts. "risk": floor(risk per trade ÷ (stop
    distance × point value)), computed in cents from whole ticks, so
    NQ 20-point stop, $500 -> floor(50000 / 40000) = 1 and
    GC 5.0 stop, $1,000 -> floor(100000 / 50000) = 2.

    The account cap counts in tenths of a full-size contract, because on
    TopstepX micros count 10:1 against minis (spec/topstepx.md §8.4).       */
#ifndef RISK_SIZING_H
#define RISK_SIZING_H
#include <stdint.h>
#include "ofts_instrument.h"
#include "risk_config.h"

//  Tenths of a full-size contract one contract of ins uses: 10 for a
//  full-size, 10 / micro_ratio for a micro (MGC, MNQ: 1), 10 for a root in
//  full_weight_roots (SIL by default: its Topstep weight is unpublished).
int risk_sizing_weight(const risk_config_t *cfg, const ofts_instrument_t *ins);
//  Loss in cents per contract if the stop is hit (entry and stop tick-rounded).
int64_t risk_sizing_stop_cents(const ofts_instrument_t *ins, int64_t entry, int64_t stop);
//  Contracts before the account cap; 0 means "too small to trade".
uint32_t risk_sizing_quantity(const risk_config_t *cfg, const ofts_instrument_t *ins,
                              int64_t entry, int64_t stop);
//  Contracts of ins that still fit under max_contracts with used_tenths open
//  or working.
uint32_t risk_sizing_capacity(const risk_config_t *cfg, const ofts_instrument_t *ins,
                              int64_t used_tenths);

#endif
