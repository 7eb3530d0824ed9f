/*  risk_rules - pre-trade checks: one function per rule, one table of rules,
    one reject code each (the shape of nautilus_trader's RiskEngine: named
    checks, a throttler, and the trading-state gate looked at last).

    A rule reads only a risk_view_t (facts the engine gathered for this
    signal at `now`) and the signal; it either passes or names a code and a
    one-line reason. Rules that shape the order (prices, sizing) write the
    plan. The first failing rule decides; the order of the table is the
    documented order in docs/risk.md.                                       */
#ifndef RISK_RULES_H
#define RISK_RULES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ofts.pb-c.h"
#include "ofts_instrument.h"
#include "risk_config.h"

//  What the engine knows at `now`, for the signal's symbol and the account.
typedef struct {
    const risk_config_t *cfg;
    int64_t now;
    const ofts_instrument_t *ins;       //  NULL: unknown symbol
    bool seen_signal;                   //  this signal id was approved before
    bool has_approval;                  //  on this symbol
    int64_t last_approval_ns;
    bool has_price;                     //  last md.trade of the signal's contract
    int64_t last_price;
    int64_t last_md_ns;
    bool has_lead;                      //  the root's traded contract is known ...
    const char *lead;                   //  ... and is this ("GCZ6")
    bool has_md_heartbeat;
    int64_t last_md_heartbeat_ns;
    int32_t position_qty;               //  signed, this symbol
    bool working_entry;                 //  approved entry not yet filled or dead
    int open_positions;                 //  symbols with a position or a working entry
    int64_t used_tenths;                //  account contracts in tenths (positions + working)
    int64_t day_pnl_cents;              //  realized today + unrealized
    int64_t equity_cents;               //  balance + unrealized
    int64_t mll_floor_cents;
    int orders_last_minute;
    bool reconciled;                    //  positions agreed with gateway-order
    Ofts__TradingState state;
    const char *state_reason;
    //  Several accounts (docs/accounts.md): the other accounts' exposure in
    //  this root or its full-size/micro twin, by side (positions and
    //  working entries). Always 0 with one account.
    int other_long, other_short;
    const char *other_account;          //  one of them, for the reason text
} risk_view_t;

//  The order being shaped: prices rounded to the tick exactly once.
typedef struct {
    Ofts__Side side;
    int64_t entry, stop, take_profit;
    uint32_t quantity;
    int64_t stop_risk_cents;            //  quantity x loss per contract at the stop
} risk_plan_t;

typedef Ofts__RejectCode (risk_rule_fn)(const risk_view_t *v, const Ofts__Signal *sig,
                                        risk_plan_t *plan, char *text, size_t size);

//  Run every rule in order. REJECT_NONE and a complete plan, or the first
//  failing rule's code with its text.
Ofts__RejectCode risk_rules_check(const risk_view_t *v, const Ofts__Signal *sig,
                                  risk_plan_t *plan, char *text, size_t size);
//  For explain tools: every rule's verdict for this signal, in table order,
//  not only the first failure. A failure up to "prices" (fields, symbol,
//  prices) ends the walk: the later rules need what those establish.
typedef void (risk_rule_verdict_fn)(void *arg, size_t index, const char *name, Ofts__RejectCode code,
                                    const char *text);
void risk_rules_each(const risk_view_t *v, const Ofts__Signal *sig, risk_rule_verdict_fn *fn, void *arg);
size_t risk_rules_count(void);
const char *risk_rules_name(size_t index);
//  "REJECT_COOLDOWN" for a code.
const char *risk_reject_name(Ofts__RejectCode code);
//  Is `now` inside the no-new-entries / flatten window (CT, any weekday),
//  or a weekend (no positions may be held)? out_flatten: must be flat.
bool risk_rules_entry_window_closed(const risk_config_t *cfg, int64_t now, bool *out_flatten);
//  The same, with that CT date's hours (early closes: risk_config_day_hours).
risk_day_hours_t risk_rules_hours_at(const risk_config_t *cfg, int64_t now, bool *entry_closed, bool *flatten);

#endif
