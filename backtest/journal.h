/*  journal - `ofts journal export`: the round trips in gateway-order's
    store (live or paper) as the journal CSV `ofts backtest --trades-csv`
    writes, so a live day can be set beside its backtest. docs/research.md */
#ifndef OFTS_JOURNAL_H
#define OFTS_JOURNAL_H
#include <stdio.h>
#include "research.h"

#define JOURNAL_UNKNOWN RESEARCH_UNKNOWN

//  store_path: gateway-order's SQLite store; risk_path (may be NULL):
//  risk's journal, for the signals' reasons and confidence. Rows written
//  -> *rows. -1 with err when a file cannot be read.
int journal_export(const char *store_path, const char *risk_path, FILE *out, size_t *rows, char *err,
                   size_t errlen);

#endif
