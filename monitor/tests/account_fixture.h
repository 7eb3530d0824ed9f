/*  account_fixture - an AccountState as risk publishes one per account
    (risk.accounts), for the dashboard and web tests.                    */
#ifndef ACCOUNT_FIXTURE_H
#define ACCOUNT_FIXTURE_H
#include <stdint.h>
#include "ofts.pb-c.h"

//  id's state: balance, day (realized) P&L, daily loss limit, trailing floor.
static inline void
account_fixture(Ofts__AccountState *a, const char *id, int64_t balance, int64_t day, int64_t dll, int64_t floor,
                int state)
{
    ofts__account_state__init(a);
    a->account_id = (char *) id;
    a->balance_cents = balance;
    a->realized_pnl_cents = day;
    a->daily_loss_limit_cents = dll;
    a->mll_floor_cents = floor;
    a->state = (Ofts__TradingState) state;
}

#endif
