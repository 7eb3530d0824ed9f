/*  report - what a backtest means: trades, win rate, profit factor, max
    drawdown, per symbol and per signal reason; as text, JSON, and an HTML
    page with an SVG price chart per symbol (signals and fills marked),
    cumulative delta under it, and the equity curve.                       */
#ifndef OFTS_REPORT_H
#define OFTS_REPORT_H
#include <stdio.h>
#include "backtest.h"

typedef struct {
    char key[256];
    int trades, wins;
    int64_t pnl_cents, gross_win_cents, gross_loss_cents;     //  net of fees
    int64_t fees_cents;
} report_row_t;

typedef struct {
    report_row_t total;
    int64_t max_drawdown_cents;
    report_row_t *by_symbol;
    size_t nsymbols;
    report_row_t *by_reason;
    size_t nreasons;
} report_t;

//  "Strong buy imbalance: 0.72; Positive cumulative delta: 1,500" ->
//  "imbalance + cumulative delta": the reason's kind, without numbers or
//  direction, so buy and sell signals of the same shape group together.
void report_reason_key(const char *reasons, char *key, size_t size);

report_t *report_new(const bt_trade_t *trades, size_t ntrades);
void report_destroy(report_t **self_p);
//  "0.75" or "inf"; profit factor = gross wins / gross losses.
double report_profit_factor(const report_row_t *row);
void report_print(report_t *self, FILE *out);
//  One self-contained page: tables, and charts drawn by Chart.js inlined
//  from report_chartjs_path() (Debian libjs-chart.js; $OFTS_CHARTJS).
void report_html(report_t *self, backtest_t *bt, FILE *out);
const char *report_chartjs_path(void);

#endif
