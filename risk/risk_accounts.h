/*  risk_accounts - several Topstep accounts traded from one signal stream
    (docs/accounts.md). One risk_engine per account, each with its own
    rules and numbers (daily loss limit, trailing maximum loss floor, max
    contracts with micro weights, cooldowns, positions, ACTIVE / REDUCING /
    HALTED) and its own journal; this layer fans events out and routes them
    back:

      signal          -> every enabled account that trades the symbol, in
                         config order; each approval is its own OrderRequest
                         (client order id from signal id + account, its own
                         size and bracket); a refusal is that account's alone
      md, heartbeats  -> every account
      fill, order update -> the account it names (gateway-order names it
                         with risk.accounts); unnamed: the account whose
                         client order id it is
      position        -> the account it names; unnamed only with one account
      gateway-order's AccountState -> the account it names, else all
      reconcile       -> gateway-order's snapshot, item by item, the same
                         way: a reconcile per account
      command         -> the account it names, or all ("" = --all)

    Before each decision an engine asks for the other accounts' exposure in
    the root (and its micro/full twin): an opposite position or working
    entry there refuses the entry with REJECT_HEDGE (Topstep forbids
    hedging across one's accounts, spec/topstepx.md §8.6).

    With no risk.accounts list there is one account, read from the risk
    section exactly as before (ids, topics and journal unchanged).         */
#ifndef RISK_ACCOUNTS_H
#define RISK_ACCOUNTS_H
#include <jansson.h>
#include "risk_engine.h"

#define RISK_MAX_ACCOUNTS 8

typedef struct {
    risk_config_t cfg;              //  the risk section, then this account's keys
    bool enabled;
    char type[16];                  //  "combine" or "xfa"
    char symbols[RISK_MAX_FULL_ROOTS][8];
    int nsymbols;                   //  0 = every symbol
} risk_account_config_t;

//  Read `accounts` (a JSON array, may be NULL) over base. Returns how many
//  (1 with base alone when list is NULL), or -1 with err.
int risk_accounts_read(const risk_config_t *base, json_t *list, risk_account_config_t *out, int max, char *err,
                       size_t errlen);

typedef struct _risk_accounts_t risk_accounts_t;

//  Callbacks as risk_engine's, shared by every account (each message says
//  which account when there are several).
risk_accounts_t *risk_accounts_new(const risk_account_config_t *accounts, int n, const risk_engine_callbacks_t *cb,
                                   void *arg);
void risk_accounts_destroy(risk_accounts_t **self_p);
int risk_accounts_count(risk_accounts_t *self);
risk_engine_t *risk_accounts_engine(risk_accounts_t *self, int index);
//  The engine of account id, or NULL.
risk_engine_t *risk_accounts_find(risk_accounts_t *self, const char *account);

void risk_accounts_on_envelope(risk_accounts_t *self, const Ofts__Envelope *env, int64_t now);
void risk_accounts_on_signal(risk_accounts_t *self, const Ofts__Signal *sig, int64_t now);
//  0, or -1 when cmd names an account we do not have (refused, nothing done).
int risk_accounts_on_command(risk_accounts_t *self, const Ofts__Command *cmd, int64_t now);
void risk_accounts_tick(risk_accounts_t *self, int64_t now);
//  Reconcile every account from gateway-order's snapshot (risk_engine.h):
//  begin, each item (position, order update, fill, AccountState) routed as
//  above, then end (an account the snapshot shows no position for is flat)
//  or abort.
void risk_accounts_reconcile_begin(risk_accounts_t *self);
void risk_accounts_reconcile_item(risk_accounts_t *self, const Ofts__Envelope *env, int64_t now);
void risk_accounts_reconcile_end(risk_accounts_t *self, int64_t now);
void risk_accounts_reconcile_abort(risk_accounts_t *self);
bool risk_accounts_reconciled(risk_accounts_t *self);

#endif
