/*  research - what `ofts backtest` and `ofts sweep` share: building the
    cores' configs from a JSON root with `--set key=value` overrides, the
    one-row summary of a run (the figures a sweep ranks configurations by)
    and the per-round-trip journal CSV. Same code both ways, so a sweep's
    row for a configuration is byte for byte the backtest's.
    docs/research.md describes every column.                             */
#ifndef OFTS_RESEARCH_H
#define OFTS_RESEARCH_H
#include <stdio.h>
#include "backtest.h"
#include "ofts_config.h"
#include "risk_accounts.h"

//  Set a dotted key ("analyzer.imbalance_threshold") in a config root to
//  value, read as JSON when it parses ("0.5", "3", "true") and as a string
//  otherwise ("aggressive"). Only analyzer, risk and gateway_order keys.
int research_config_set(json_t *root, const char *key, const char *value, char *err, size_t errlen);
//  The cores' configs from a loaded config (its analyzer, risk and
//  gateway_order sections). *acfg is the caller's. -1 with err on a bad key.
//  accounts (RISK_MAX_ACCOUNTS of them) gets risk.accounts, and *naccounts
//  how many (1 without a list); with accounts NULL a list is refused (a
//  sweep runs one account per configuration).
int research_config_read(ofts_config_t *cfg, of_config_t **acfg, risk_config_t *rcfg,
                         paper_config_t *pcfg, risk_account_config_t *accounts, int *naccounts,
                         char *err, size_t errlen);
//  Same, from a JSON root (a sweep's configuration); name is for errors.
int research_config_from_json(json_t *root, const char *name, of_config_t **acfg, risk_config_t *rcfg,
                              paper_config_t *pcfg, char *err, size_t errlen);

//  One run's figures. Money in cents; days are the sessions (17:00 CT)
//  the market data covered, traded or not.
typedef struct {
    uint64_t signals, approved, rejected;
    int trades, wins;
    int64_t net_cents, gross_cents, fees_cents;
    int64_t gross_win_cents, gross_loss_cents;  //  net of fees, per trade
    int64_t max_drawdown_cents;                 //  of realized equity, trade by trade
    int days;
    double sharpe;                              //  mean / sd of daily net P&L x sqrt(252)
    int64_t worst_day_cents, best_day_cents;
    int dll_breach_days;                        //  days realized P&L went to -DLL or below
    int mll_breached;                           //  realized balance reached the trailing MLL floor
    int64_t open_cents;                         //  open positions marked at the end
} research_summary_t;

//  trades in exit order; days = session opens; daily (if not NULL) gets
//  each day's net P&L (ndays entries). rcfg gives the Topstep limits.
void research_summarize(const bt_trade_t *trades, size_t ntrades, const int64_t *days, size_t ndays,
                        const risk_config_t *rcfg, research_summary_t *out, int64_t *daily);
void research_summary_of(backtest_t *bt, const risk_config_t *rcfg, research_summary_t *out);
//  Index of the session containing ts among days (sorted), or the last.
size_t research_day_index(const int64_t *days, size_t ndays, int64_t ts);
//  Daily Sharpe of n daily P&Ls, annualized (x sqrt(252)); 0 when flat.
double research_sharpe(const int64_t *daily, size_t n);

//  CSV: the header and a row (no newline at either end).
void research_csv_header(FILE *out);
void research_csv_row(FILE *out, const research_summary_t *s);
//  JSON: "key": value pairs of a row (no braces).
void research_json_fields(FILE *out, const research_summary_t *s);

//  Journal: one line per round trip, open positions last (exit empty).
//  mae/mfe RESEARCH_UNKNOWN and confidence NAN print as empty fields (a
//  broker's store has no market data, a store without risk's journal no
//  confidence).
#define RESEARCH_UNKNOWN INT64_MIN
void research_trades_header(FILE *out);
void research_trades_row(FILE *out, const bt_trade_t *t);
//  A text field quoted for CSV when it needs to be.
void research_csv_text(FILE *out, const char *text);
//  Text for an HTML page: < and & escaped.
void research_html_text(FILE *out, const char *text);

#endif
