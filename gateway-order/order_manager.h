/*  order_manager - where an approved OrderRequest from risk becomes a broker
    order, and is tracked to filled / cancelled / rejected. Pure: no sockets,
    no clock; what it wants said on the bus goes out through a publish
    callback as Envelopes (exec.order.<SYM>., exec.fill.<SYM>.,
    exec.position.<SYM>.).

    Guarantees:
    - idempotent: a client_order_id seen before (in memory or in the store)
      is never placed again; the id is stored BEFORE the broker is called;
    - a fill is counted once (store key fill_id);
    - every filled entry has its stop and target working: a rejected or
      missing protective leg (after protect_grace_ms) flattens the position
      at market, with an error log line and an OrderUpdate saying why;
    - flatten / kill: a reduce_only OrderRequest flattens its symbol; a
      Command CMD_FLATTEN (symbol, or all when empty) cancels working orders
      and closes positions; CMD_KILL does that for all and refuses new
      entries until CMD_RESUME (persisted across restarts);
    - reconciliation: on start and every reconcile_ms, positions and open
      orders are compared with the broker; the broker wins, differences are
      logged.

    - fail closed: once a store write (or read) fails, no new entry is
      placed (REDUCING: stops, targets and flattens only), which is logged
      and published on exec.account. (AccountState) for risk and monitors;
      a client order id whose store check fails is never taken as new;
    - no store transaction is held across a call to a remote broker
      (broker_ops_t.remote): the manager commits first.

    Broker callbacks never call back into the broker: actions they trigger
    (flattening an unprotected position) run in order_manager_tick(), which
    the shell calls after every market-data event and on a timer.          */
#ifndef ORDER_MANAGER_H
#define ORDER_MANAGER_H
#include "broker.h"
#include "order_store.h"
#include "ofts.pb-c.h"

typedef struct _order_manager_t order_manager_t;

//  Where the manager's trading state (AccountState) is published.
#define ORDER_MANAGER_STATE_TOPIC "exec.account."

typedef struct {
    int64_t protect_grace_ms;           //  entry filled -> stop+target working; default 2000
    int64_t reconcile_ms;               //  0 = never (tick); default 5000
    int64_t flatten_retry_ms;           //  re-send a flatten that did not close; default 5000
    int64_t unknown_timeout_ms;         //  pending/unknown and not at the broker this long:
                                        //  never placed -> rejected; default 30000
} order_manager_config_t;

#define OM_DEFAULT_PROTECT_GRACE_MS 2000
#define OM_DEFAULT_RECONCILE_MS 5000
#define OM_DEFAULT_FLATTEN_RETRY_MS 5000
#define OM_DEFAULT_UNKNOWN_TIMEOUT_MS 30000

void order_manager_config_defaults(order_manager_config_t *cfg);

typedef void (order_manager_publish_fn)(void *arg, const char *topic, Ofts__Envelope *env);

//  broker and store are borrowed; store may be NULL (memory only: no
//  restart safety, for backtests). Registers itself for the broker's events
//  (so destroy the manager before the broker).
order_manager_t *order_manager_new(broker_t *broker, order_store_t *store,
                                   const order_manager_config_t *cfg);
void order_manager_destroy(order_manager_t **self_p);
void order_manager_set_publisher(order_manager_t *self, order_manager_publish_fn *fn, void *arg);
//  The account this manager serves (risk.accounts, docs/accounts.md): every
//  OrderUpdate, Fill and Position it publishes carries it, its AccountState
//  is that account's, and a request naming any other account is refused.
//  "" (the default) = the only account: requests naming none.
#define OM_ACCOUNT_LEN 64
void order_manager_set_account(order_manager_t *self, const char *account);
const char *order_manager_account(order_manager_t *self);

//  Reload open orders from the store and reconcile with the broker. Call
//  once, after set_publisher, before feeding anything.
void order_manager_start(order_manager_t *self, int64_t now_ns);

//  Inputs from risk.
void order_manager_on_request(order_manager_t *self, const Ofts__OrderRequest *req, int64_t now_ns);
void order_manager_on_command(order_manager_t *self, const Ofts__Command *cmd, int64_t now_ns);
//  Any Envelope: order_request and command are handled, the rest ignored.
void order_manager_on_envelope(order_manager_t *self, const Ofts__Envelope *env, int64_t now_ns);
//  Last price for unrealized P&L in published positions (optional). Only a
//  price of the position's own contract marks it; other months are ignored.
void order_manager_mark(order_manager_t *self, const char *symbol, const char *contract, int64_t price);
//  The same for a caller that marks millions of times (a sweep): one memo
//  per symbol, zeroed to start, remembers its position (looked up by name
//  only while there is none). Same results.
typedef struct {
    size_t pos;                         //  position + 1; 0 none yet
    size_t npos;                        //  positions there were at the last look
} om_mark_memo_t;
void order_manager_mark_memo(order_manager_t *self, om_mark_memo_t *memo, const char *symbol,
                             const char *contract, int64_t price);

//  Publish exec.position again for open positions whose mark moved since the
//  last one, so monitors show live unrealized P&L. The service calls it on a
//  timer; the backtest does not need it.
void order_manager_publish_marks(order_manager_t *self);
//  Protection checks, deferred flattens, periodic reconcile. Cheap.
void order_manager_tick(order_manager_t *self, int64_t now_ns);
void order_manager_reconcile(order_manager_t *self, int64_t now_ns);
//  Cancel working orders and close the position of symbol (NULL or "" = all).
void order_manager_flatten(order_manager_t *self, const char *symbol, const char *reason,
                           int64_t now_ns);

//  Clone pattern: through fn, every message whose topic starts with prefix:
//  the trading state (exec.account.), the fills of the trading day of the
//  newest fill and of the day before (exec.fill.*, from the store; risk
//  counts P&L it missed while down and de-duplicates by fill_id), working
//  orders (exec.order.*), then current positions (exec.position.*).
//  Returns count.
int order_manager_snapshot(order_manager_t *self, const char *prefix,
                           order_manager_publish_fn *fn, void *arg);

//  Inspection.
int32_t order_manager_position(order_manager_t *self, const char *symbol);
bool order_manager_protected(order_manager_t *self, const char *symbol);
bool order_manager_halted(order_manager_t *self);
bool order_manager_reducing(order_manager_t *self);     //  the store failed
uint64_t order_manager_placed(order_manager_t *self);       //  broker place calls (entries)
uint64_t order_manager_duplicates(order_manager_t *self);   //  requests ignored as seen
uint64_t order_manager_flattens(order_manager_t *self);     //  broker flatten calls
uint64_t order_manager_fills(order_manager_t *self);        //  new fills published
size_t order_manager_ids_in_memory(order_manager_t *self);  //  ids cached for "seen"

#endif
