/*  order_accounts - several Topstep accounts behind one gateway-order
    (risk.accounts, docs/accounts.md).

    One order_manager per account, each over that account's own broker view
    and store (paper: its own paper broker; ProjectX: the account's id under
    the one login), so positions, working orders, fills, kills and
    reconciles are per account. This layer only routes:

      OrderRequest -> the manager of the account it names. A request naming
                      an account that is not here - or none while there are
                      several - is refused with an OrderUpdate REJECTED that
                      carries the account it named: an order is never placed
                      in another account, and never retried onto one.
      Command      -> the account it names; "" = every account.
      tick, marks, start, snapshot -> every account, in list order.

    Every message a manager publishes carries its account (OrderUpdate,
    Fill, Position .account; AccountState.account_id), so risk routes it to
    the right engine and a snapshot is a per-account reconcile.

    Without a list there is one manager with account "" and everything is
    exactly as before.                                                     */
#ifndef ORDER_ACCOUNTS_H
#define ORDER_ACCOUNTS_H
#include "order_manager.h"

typedef struct _order_accounts_t order_accounts_t;

#define ORDER_ACCOUNTS_MAX 8            //  as risk (RISK_MAX_ACCOUNTS)

//  fn/arg: where every manager publishes (and the refusals of this layer).
order_accounts_t *order_accounts_new(order_manager_publish_fn *fn, void *arg);
//  Destroys the managers (before their brokers: call it first).
void order_accounts_destroy(order_accounts_t **self_p);
//  A manager for account ("" = the only one) over broker and store
//  (borrowed; store may be NULL). NULL when full or the name is taken.
order_manager_t *order_accounts_add(order_accounts_t *self, const char *account, broker_t *broker,
                                    order_store_t *store, const order_manager_config_t *cfg);
size_t order_accounts_count(order_accounts_t *self);
order_manager_t *order_accounts_at(order_accounts_t *self, size_t index);
//  The manager of account, or NULL.
order_manager_t *order_accounts_find(order_accounts_t *self, const char *account);

void order_accounts_start(order_accounts_t *self, int64_t now_ns);
//  order_request and command are routed; the rest ignored.
void order_accounts_on_envelope(order_accounts_t *self, const Ofts__Envelope *env, int64_t now_ns);
void order_accounts_on_request(order_accounts_t *self, const Ofts__OrderRequest *req, int64_t now_ns);
//  0, or -1 when cmd names an account not here (nothing done).
int order_accounts_on_command(order_accounts_t *self, const Ofts__Command *cmd, int64_t now_ns);
void order_accounts_mark(order_accounts_t *self, const char *symbol, const char *contract, int64_t price);
void order_accounts_publish_marks(order_accounts_t *self);
void order_accounts_tick(order_accounts_t *self, int64_t now_ns);
//  Every account's snapshot (order_manager_snapshot), one after the other.
int order_accounts_snapshot(order_accounts_t *self, const char *prefix, order_manager_publish_fn *fn,
                            void *arg);

//  Status: sums over the accounts; how many are halted / reducing, and
//  their names, comma-separated, in buf.
uint64_t order_accounts_placed(order_accounts_t *self);
uint64_t order_accounts_fills(order_accounts_t *self);
uint64_t order_accounts_flattens(order_accounts_t *self);
int order_accounts_halted(order_accounts_t *self, char *buf, size_t size);
int order_accounts_reducing(order_accounts_t *self, char *buf, size_t size);

#endif
