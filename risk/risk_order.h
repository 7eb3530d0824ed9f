/*  risk_order - THE place in ofts where a signal becomes an order.

    Called by the engine only after every rule in risk_rules passed and the
    approval is committed to the journal. The client order id is a pure
    function of the signal id, so a resend of the same signal can never turn
    into a second order anywhere downstream (gateway-order uses it as the
    ProjectX customTag).                                                    */
#ifndef RISK_ORDER_H
#define RISK_ORDER_H
#include <stddef.h>
#include "ofts.pb-c.h"
#include "risk_config.h"
#include "risk_rules.h"

//  "ofts-" + 24 hex digits (96 bits of two FNV-1a hashes) = 29 chars, which
//  leaves room for gateway-order's "-SL" / "-TP" suffixes under 36.
#define RISK_CLIENT_ID_SIZE 40
void risk_order_client_id(const char *signal_id, char *buf, size_t size);
//  The same for one of several accounts: a function of (signal id, account),
//  so each account's order of one signal has its own id.
void risk_order_account_client_id(const char *signal_id, const char *account, char *buf, size_t size);

//  Fill req (initialised here) from the signal and its plan. Strings are
//  borrowed from sig and coid: use req before either goes away.
void risk_order_from_signal(Ofts__OrderRequest *req, const Ofts__Signal *sig,
                            const risk_plan_t *plan, const risk_config_t *cfg, const char *coid);

#endif
