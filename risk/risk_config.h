/*  risk_config - every number the risk rules use, with defaults in code.

    Defaults come from Topstep's published account rules
    (spec/topstepx.md §8, table 8.1 per account size) and the ofts design
    (spec/topstepx.md §8.5 "no new entries after ~15:00 CT, flatten by
    15:05 CT"). docs/risk.md lists every key with its source.

    Money is integer cents, times integer ns, prices 1e-9 units: the config
    file speaks dollars / minutes / "HH:MM" and this module converts once.  */
#ifndef RISK_CONFIG_H
#define RISK_CONFIG_H
#include <stdbool.h>
#include <stdint.h>
#include "ofts.pb-c.h"
#include "ofts_config.h"

#define RISK_MAX_FULL_ROOTS 16
#define RISK_MAX_EARLY_CLOSES 64

typedef enum { RISK_SIZING_FIXED = 0, RISK_SIZING_RISK = 1 } risk_sizing_mode_t;

typedef struct {
    //  Account (Topstep Trading Combine, spec/topstepx.md §8.1)
    char account_id[64];
    //  One of several accounts (docs/accounts.md): the account goes into the
    //  client order id (signal id + account) and into each OrderRequest and
    //  RiskReject. false for a single account: ids exactly as before.
    bool multi_account;
    int64_t account_size;               //  50000 / 100000 / 150000 (dollars)
    int64_t start_balance_cents;
    int64_t daily_loss_limit_cents;     //  0 = rule off
    int64_t max_loss_limit_cents;       //  trailing MLL; 0 = rule off
    int max_contracts;                  //  full-size contracts; micros count 1/10 (§8.4)
    char full_weight_roots[RISK_MAX_FULL_ROOTS][8];   //  micros counted as a full lot
    int full_weight_count;
    bool projected_loss;                //  include the new trade's stop risk

    //  Signal rules
    int64_t cooldown_ns;
    double min_confidence;
    int max_open_positions;

    //  Sizing
    risk_sizing_mode_t sizing;
    int fixed_contracts;
    int64_t risk_per_trade_cents;

    //  Order
    Ofts__OrderType order_type;         //  MARKET or LIMIT

    //  Market data guards
    int64_t stale_ns;
    bool require_md_heartbeat;
    int64_t heartbeat_timeout_ns;
    int max_entry_ticks;
    int max_orders_per_minute;

    //  The traded contract per root (docs/risk.md): pinned months, else the
    //  volume leader over the root's last roll_trades trades, taking over
    //  when its weighted volume exceeds the lead's by roll_margin.
    struct {
        char root[8];
        char contract[32];
    } traded[RISK_MAX_FULL_ROOTS];
    int traded_count;
    int roll_trades;
    double roll_margin;

    //  Trading hours, minutes after CT midnight
    int no_entry_after_min;             //  15:00
    int flatten_at_min;                 //  15:05
    //  CME holiday early closes (CT calendar date yyyymmdd, Globex close in
    //  CT minutes, 0 = closed all day), sorted by date. On such a date
    //  entries stop and the flatten starts as far before that close as the
    //  regular ones are before Topstep's 15:10 (docs/risk.md).
    struct {
        int32_t date;
        int close_min;
    } early_closes[RISK_MAX_EARLY_CLOSES];
    int early_close_count;

    //  Service behaviour
    int64_t flatten_repeat_ns;
    int64_t account_publish_ns;
    bool require_reconcile;
    int reconcile_timeout_ms;
    int64_t reconcile_interval_ms;      //  re-sync with gateway-order; 0 = start and gaps only
    char journal[512];
} risk_config_t;

//  Topstep Trading Combine table (spec/topstepx.md §8.1). false for a size
//  not in the table.
bool risk_config_account_defaults(int64_t account_size, int64_t *mll_cents,
                                  int64_t *dll_cents, int *max_contracts);
//  Every default for a 50K Combine.
void risk_config_defaults(risk_config_t *cfg);
//  Read section "risk" over the defaults. Problems are recorded on the
//  section (ofts_cfgsec_fail) and reported by ofts_cfgsec_finish().
void risk_config_read(risk_config_t *cfg, ofts_cfgsec_t *sec);
//  The pinned traded contract of root ("GCZ6"), or NULL (volume lead).
const char *risk_config_traded_contract(const risk_config_t *cfg, const char *root);
//  "15:05" -> 905; -1 on junk.
int risk_config_parse_hhmm(const char *text);

//  The trading hours of one CT calendar date (yyyymmdd), CT minutes: the
//  configured entry cut-off and flatten time, moved earlier on an early-
//  close date; close_min is that date's early close or -1 (a regular day).
typedef struct {
    int no_entry_min, flatten_min, close_min;
} risk_day_hours_t;
risk_day_hours_t risk_config_day_hours(const risk_config_t *cfg, int32_t date);
//  Does the early-close calendar name any date of this year? (A calendar
//  that has run out says nothing about this year's holidays.)
bool risk_config_calendar_covers(const risk_config_t *cfg, int year);

#endif
