/*  risk_fixture - what the risk tests feed risk, built the same way for the
    engine (test_risk_engine) and the accounts (test_risk_accounts): prices
    from text, a signal, a fill, a trade and gateway-md's heartbeat. The
    messages are returned by value; their strings stay the caller's.      */
#ifndef RISK_FIXTURE_H
#define RISK_FIXTURE_H
#include <stdint.h>
#include "ofts.pb-c.h"

//  A price in fixed point (1e-9) from text such as "2350.0"; fails the
//  test on text that is not a price.
int64_t risk_fx_px(const char *text);
//  A signal at confidence 0.8, its direction from the stop's side of entry.
Ofts__Signal risk_fx_signal(const char *id, const char *symbol, const char *entry, const char *stop,
                            const char *take_profit);
Ofts__Fill risk_fx_fill(const char *id, const char *coid, const char *symbol, Ofts__Side side, const char *price,
                        uint32_t quantity, Ofts__OrderRole role);
//  A trade of contract (NULL: the feed names none).
Ofts__Trade risk_fx_trade(const char *symbol, const char *contract, const char *price, uint32_t size);
//  gateway-md's heartbeat (market data is fresh).
Ofts__Heartbeat risk_fx_md_heartbeat(void);

#endif
