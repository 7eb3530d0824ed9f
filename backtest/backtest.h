/*  backtest - the whole trading chain in one process, no bus: the same
    cores the services run (md normaliser -> analyzer -> risk -> order
    manager + paper broker), wired by direct calls and driven by market
    time, so a file always gives the same trades, as fast as the data can
    be decoded.

    It records what the report needs: sampled prices and cumulative delta
    per symbol, every signal, every fill, and closed round trips with the
    signal reasons that opened them.                                       */
#ifndef OFTS_BACKTEST_H
#define OFTS_BACKTEST_H
#include <stdbool.h>
#include <stdint.h>
#include "ofts.pb-c.h"
#include "of_config.h"
#include "paper_broker.h"
#include "risk_config.h"

#define BT_MAX_SYMBOLS 16

typedef struct {
    char symbol[16];
    int direction;                  //  +1 long, -1 short
    uint32_t quantity;
    int64_t entry_ts, exit_ts;
    int64_t entry_px, exit_px;
    int64_t pnl_cents;              //  after fees (net)
    int64_t fees_cents;             //  entry and exit fills' fees
    char exit_role[16];             //  STOP / TARGET / FLATTEN
    char reasons[256];
    char signal_id[64];
    //  Added for the journal (docs/research.md):
    char contract[32];
    int64_t stop_px, target_px;     //  the approved order's bracket (0 = none)
    double confidence;              //  the signal's, [0, 1]
    int64_t mae_cents, mfe_cents;   //  worst / best open P&L while held (gross)
} bt_trade_t;

typedef struct {
    int64_t ts;
    int64_t value;                  //  price (1e-9) or delta or equity cents
} bt_point_t;

typedef struct {
    int64_t ts;
    int direction;
    int64_t price;
    char kind;                      //  'A' approved / 'R' rejected signal, 'E' entry fill, 'X' exit fill
} bt_mark_t;

typedef struct {
    char symbol[16];
    bt_point_t *prices;
    size_t nprices, cap_prices;
    bt_point_t *deltas;
    size_t ndeltas, cap_deltas;
    bt_mark_t *marks;
    size_t nmarks, cap_marks;
    int64_t cum_delta;
    int64_t session_open;
    int64_t last_sample;
    int64_t last_price;
} bt_series_t;

typedef struct _backtest_t backtest_t;

//  Configs are copied / borrowed as noted: acfg must outlive the backtest.
backtest_t *backtest_new(of_config_t *acfg, const risk_config_t *rcfg, const paper_config_t *pcfg);
//  Without an analyzer of its own: signals come in through
//  backtest_on_signal() (a sweep shares one analyzer's metrics between
//  many configurations), and nothing is kept for charts (series, marks).
backtest_t *backtest_new_driven(const risk_config_t *rcfg, const paper_config_t *pcfg);
void backtest_destroy(backtest_t **self_p);
//  A signal, as the analyzer's callback would deliver it (after the md
//  event that made it went through backtest_on_md).
void backtest_on_signal(backtest_t *self, const Ofts__Signal *sig, int64_t ts_event);
//  One market-data envelope (md.trade / md.bbo / md.book) at its ts_event.
void backtest_on_md(backtest_t *self, const char *topic, Ofts__Envelope *env);
//  The same, for a caller that numbers its markets: key (small, from 0) stands
//  for the event's symbol and contract, always the same pair for the same key.
//  The cores' lookups by name are done once per key, not once per event
//  (ofts sweep: millions of events x many configurations). Same results.
void backtest_on_md_key(backtest_t *self, Ofts__Envelope *env, size_t key);
//  End of data: open positions are marked to the last price (not closed).
void backtest_finish(backtest_t *self);

size_t backtest_trades(backtest_t *self, const bt_trade_t **trades);
size_t backtest_series(backtest_t *self, const bt_series_t **series);
//  Realized equity after each closed trade (cents).
size_t backtest_equity(backtest_t *self, const bt_point_t **points);
uint64_t backtest_events(backtest_t *self);
uint64_t backtest_signals(backtest_t *self);
uint64_t backtest_approved(backtest_t *self);
uint64_t backtest_rejected(backtest_t *self);
int64_t backtest_open_pnl_cents(backtest_t *self);
//  When risk first went HALTED (a loss limit broken, in market time) and
//  why: false when it never did. Several accounts (docs/accounts.md): the
//  account that breaches first is the one with the earliest.
bool backtest_first_halt(backtest_t *self, int64_t *ts, const char **reason);
int32_t backtest_open_position(backtest_t *self, const char *symbol);
//  Session opens (17:00 CT) of every session market data was seen in, in
//  order: the days of daily P&L, Sharpe and trades per day.
size_t backtest_days(backtest_t *self, const int64_t **opens);
//  Positions still open at the end, as trades with exit_ts 0 marked to the
//  last price (exit_px), exit_role "OPEN"; *n set, caller frees.
bt_trade_t *backtest_open_trades(backtest_t *self, size_t *n);

#endif
