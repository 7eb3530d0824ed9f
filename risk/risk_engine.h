/*  risk_engine - the risk service's pure core: events in, decisions out.

    Feed it signals, market trades, gateway-md heartbeats, fills, positions,
    order updates and commands, each with `now` (ns, UTC) passed in; it calls
    back with approved OrderRequests, RiskRejects, AccountStates and flatten
    Commands for gateway-order. No sockets, no clock reads, no globals: the
    service (main.c) and the backtester drive the same code.

    Every signal goes through the rule table in risk_rules.c; an approval is
    committed to the journal (when one is attached) BEFORE the order
    callback runs, so a published order is never forgotten by a restart.

    Trading state = the strongest of: the operator's command state (pause ->
    REDUCING, kill -> HALTED, resume -> ACTIVE), the clock (REDUCING from
    flatten_at to the 17:00 CT open and over the weekend), the daily loss
    limit (HALTED for the rest of the trading day), the trailing maximum loss
    limit (HALTED, latched) and a failed journal write (HALTED). Entering
    HALTED or the flatten window issues a flatten-all Command, repeated every
    flatten_repeat_ms while a position or working entry is known. An
    operator kill is forwarded as CMD_KILL (gateway-order flattens and halts
    itself too), resume as CMD_RESUME.                                      */
#ifndef RISK_ENGINE_H
#define RISK_ENGINE_H
#include <stdbool.h>
#include <stdint.h>
#include "ofts.pb-c.h"
#include "risk_config.h"
#include "risk_journal.h"
#include "risk_rules.h"

typedef struct _risk_engine_t risk_engine_t;

//  Messages handed to callbacks are borrowed: copy what you keep.
typedef struct {
    void (*order)(void *arg, const Ofts__OrderRequest *req);      //  -> risk.order.<SYM>.
    void (*reject)(void *arg, const Ofts__RiskReject *rej);       //  -> risk.reject.<SYM>.
    void (*account)(void *arg, const Ofts__AccountState *acct);   //  -> risk.account.
    void (*command)(void *arg, const Ofts__Command *cmd);         //  -> risk.command.
                                                                  //  FLATTEN, KILL, RESUME
} risk_engine_callbacks_t;

//  cfg is copied. callbacks may be NULL (count-only use).
risk_engine_t *risk_engine_new(const risk_config_t *cfg, const risk_engine_callbacks_t *cb, void *arg);
void risk_engine_destroy(risk_engine_t **self_p);

//  Attach the journal (borrowed; outlives the engine) and replay it:
//  account figures, latches, cooldowns, seen signal ids, rate window,
//  working entries, positions, fill ids. 0, or -1 with the reason logged.
//  now 0, here and in every call below: no time yet (a market clock before
//  its first market data): the trading day and state are worked out at the
//  first call with a time instead.
int risk_engine_attach_journal(risk_engine_t *self, risk_journal_t *journal, int64_t now);

//  Explain tools (ofts explain): before each decision, every rule's verdict
//  for the signal (risk_rules_each). Not used by the service.
void risk_engine_set_verdict_fn(risk_engine_t *self, risk_rule_verdict_fn *fn, void *arg);

//  Several accounts (risk_accounts.h): before each decision the engine asks
//  fn for the other accounts' exposure in root (or its micro/full twin), to
//  refuse a hedge (REJECT_HEDGE). Not set with one account.
typedef void (risk_engine_peers_fn)(void *arg, risk_engine_t *self, const char *root, int *other_long,
                                    int *other_short, const char **other_account);
void risk_engine_set_peers(risk_engine_t *self, risk_engine_peers_fn *fn, void *arg);
//  Signed exposure in root: the position, else a working entry's quantity
//  with the sign of its side; 0 when flat and nothing works.
int32_t risk_engine_exposure(risk_engine_t *self, const char *root);
const char *risk_engine_account_id(risk_engine_t *self);
//  Did this engine approve client order id coid (an entry, or its "-SL" /
//  "-TP" children)? Routes fills and order updates between accounts.
bool risk_engine_owns(risk_engine_t *self, const char *coid);

//  Events.
void risk_engine_on_signal(risk_engine_t *self, const Ofts__Signal *sig, int64_t now);
//  Prices, data age and the traded-contract ranking are per contract month
//  (trade->contract): a GCG7 print never prices a GCZ6 position or signal.
void risk_engine_on_trade(risk_engine_t *self, const Ofts__Trade *trade, int64_t now);
//  Quotes only refresh the symbol's data age (stale_ms); trades set the price.
void risk_engine_on_bbo(risk_engine_t *self, const Ofts__TopOfBook *bbo, int64_t now);
//  The same for a caller that feeds millions of events of a few contracts
//  (ofts sweep): one memo per symbol/contract, zeroed to start, remembers
//  where that month lives in the engine and is checked on every use (found
//  again by name if its place was given to another month). Same results.
typedef struct {
    int32_t slot;                       //  slot + 1; 0 not looked up; -1 unknown symbol
    uint32_t month, gen;
} risk_market_memo_t;
void risk_engine_on_trade_memo(risk_engine_t *self, risk_market_memo_t *memo, const Ofts__Trade *trade,
                               int64_t now);
void risk_engine_on_bbo_memo(risk_engine_t *self, risk_market_memo_t *memo, const Ofts__TopOfBook *bbo,
                             int64_t now);
void risk_engine_on_heartbeat(risk_engine_t *self, const Ofts__Heartbeat *hb, int64_t now);
void risk_engine_on_fill(risk_engine_t *self, const Ofts__Fill *fill, int64_t now);
void risk_engine_on_position(risk_engine_t *self, const Ofts__Position *pos, int64_t now);
void risk_engine_on_order_update(risk_engine_t *self, const Ofts__OrderUpdate *upd, int64_t now);
//  gateway-order's trading state (exec.account.): not ACTIVE -> risk REDUCING.
void risk_engine_on_order_state(risk_engine_t *self, const Ofts__AccountState *state, int64_t now);
void risk_engine_on_command(risk_engine_t *self, const Ofts__Command *cmd, int64_t now);
//  Time rules: trading-day roll, flatten window, repeated flatten, periodic
//  account state. The service calls it every 100 ms.
void risk_engine_tick(risk_engine_t *self, int64_t now);
//  Dispatch any bus envelope to the handlers above (others are ignored).
void risk_engine_on_envelope(risk_engine_t *self, const Ofts__Envelope *env, int64_t now);

//  Reconciliation with gateway-order's snapshot: positions from the broker
//  win (kept aside, applied at reconcile_end, so fills in the same snapshot
//  are applied once with the journal's position as context); a position the
//  broker does not report becomes flat. Until the first reconcile_end (or
//  with require_reconcile false) no entry is approved.
void risk_engine_reconcile_begin(risk_engine_t *self);
void risk_engine_reconcile_position(risk_engine_t *self, const Ofts__Position *pos, int64_t now);
//  A working order in the snapshot: keeps risk's working entry alive (an
//  entry older than 10 s that the snapshot lacks is cleared at the end).
void risk_engine_reconcile_order(risk_engine_t *self, const Ofts__OrderUpdate *upd, int64_t now);
void risk_engine_reconcile_end(risk_engine_t *self, int64_t now);
//  The snapshot failed: keep what was applied, flatten nothing, stay unreconciled.
void risk_engine_reconcile_abort(risk_engine_t *self);
bool risk_engine_reconciled(risk_engine_t *self);

//  Snapshot for ctl (Clone pattern): risk.account., then per symbol
//  risk.position.<SYM>. (Position), risk.order.<SYM>. (the last approval;
//  header.ts_event = approval time, i.e. the cooldown start) and
//  risk.working.<SYM>. (OrderUpdate PENDING for a working entry).
typedef void (risk_engine_item_fn)(void *arg, const char *topic, Ofts__Envelope *env);
void risk_engine_snapshot(risk_engine_t *self, risk_engine_item_fn *fn, void *arg);

Ofts__TradingState risk_engine_state(risk_engine_t *self);
const char *risk_engine_state_reason(risk_engine_t *self);
//  Current account figures; strings borrowed from the engine.
void risk_engine_account(risk_engine_t *self, Ofts__AccountState *out);
int32_t risk_engine_position(risk_engine_t *self, const char *symbol);
bool risk_engine_working(risk_engine_t *self, const char *symbol);
//  The root's traded contract ("GCZ6"), or NULL before its first trade.
//  Entries are approved only in it; see docs/risk.md "The traded contract".
const char *risk_engine_traded_contract(risk_engine_t *self, const char *symbol);
//  Counters.
uint64_t risk_engine_approved(risk_engine_t *self);
uint64_t risk_engine_rejected(risk_engine_t *self);

#endif
