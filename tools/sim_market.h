/*  sim_market - a seeded market simulator that writes real-format DBN, so
    the demo, the end-to-end tests and the benchmarks have order flow to
    chew on without shipping Databento's data.

    Each symbol has a ten-level book (contiguous tick levels per side) and
    an order-flow regime that switches at random times:
      neutral  - half the trade volume buys, half sells; ~4 trades/s;
      buying   - ~82% of trades lift the ask, ~12 trades/s; new asks come
                 in thin and bids thick, so depth leans to the bid and the
                 ask gets eaten level by level: price walks up;
      selling  - the mirror image.
    Trades are Databento trades records (rtype 0, side 'B' = buyer lifted
    the ask, 'A' = seller hit the bid), each followed by the MBP-10 record
    of the book it left (action 'M' or 'C', F_LAST). Between trades, limit
    orders arrive and cancel (MBP-10 'A' / 'C' records). Sizes: mostly 1-8
    lots, 1% blocks of 25-60. Everything derives from one 64-bit seed, so
    a file is reproducible byte for byte.                                   */
#ifndef SIM_MARKET_H
#define SIM_MARKET_H
#include <stdint.h>
#include "dbn_record.h"

#define SIM_MAX_SYMBOLS 10

typedef struct {
    const char *root;               //  GC
    const char *contract;           //  GCZ6 (or a spread, GCZ6-GCG7)
    uint32_t instrument_id;
    int64_t start_price;            //  1e-9 units (a calendar spread may be < 0)
    double activity;                //  trade-rate multiplier (NQ is busier)
    int64_t roll_ns;                //  0, or when activity becomes activity_after
    double activity_after;          //  (the volume moving to the next month)
} sim_symbol_t;

typedef struct {
    uint64_t seed;
    int64_t start_ns;               //  first event time (UTC ns)
    int64_t duration_ns;
    int nsymbols;
    sim_symbol_t symbols[SIM_MAX_SYMBOLS];
} sim_config_t;

typedef void (sim_emit_fn)(void *arg, const dbn_record_t *rec);

typedef struct _sim_market_t sim_market_t;

//  The five ofts symbols with plausible prices, starting at start_ns.
void sim_config_default(sim_config_t *cfg, uint64_t seed, int64_t start_ns, int64_t duration_ns);
//  Several months per root: GC also trades GCG7 ($20 above GCZ6, thin) and
//  the calendar spread GCZ6-GCG7 (thin); half way through, the roll: GCZ6
//  goes thin and GCG7 takes its volume. Call after sim_config_default.
void sim_config_months(sim_config_t *cfg);
//  The contract of an instrument id of cfg, or NULL.
const char *sim_config_contract(const sim_config_t *cfg, uint32_t instrument_id);
sim_market_t *sim_market_new(const sim_config_t *cfg);
void sim_market_destroy(sim_market_t **self_p);
//  Emit every record in ts_recv order; returns how many.
uint64_t sim_market_run(sim_market_t *self, sim_emit_fn *fn, void *arg);

#endif
