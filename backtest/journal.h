/*  journal - `ofts journal export`: the round trips in gateway-order's
    store (live or paper) as the journal CSV `ofts backtest --trades-csv`
    writes, so a live day can be set beside its backtest. docs/research.md */
#ifndef OFTS_JOURNAL_H
#define OFTS_JOURNAL_H
#include <stdio.h>
#include "research.h"

#define JOURNAL_UNKNOWN RESEARCH_UNKNOWN

//  What an export wrote: rows (round trips, open ones included), how many
//  are still open, and the net P&L of the rows (open ones: their fees).
typedef struct {
    size_t rows, open;
    int64_t net_cents;
} journal_totals_t;

//  store_path: gateway-order's SQLite store; risk_path (may be NULL):
//  risk's journal, for the signals' reasons and confidence. What was
//  written -> *totals (may be NULL). -1 with err when a file cannot be read.
int journal_export(const char *store_path, const char *risk_path, FILE *out, journal_totals_t *totals, char *err,
                   size_t errlen);

#endif
