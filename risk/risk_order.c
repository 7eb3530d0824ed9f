#include "risk_order.h"
#include <stdint.h>
#include <stdio.h>

static uint64_t
s_fnv1a(const char *text, uint64_t basis)
{
    uint64_t h = basis;
    for (const unsigned char *p = (const unsigned char *) text; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

void
risk_order_client_id(const char *signal_id, char *buf, size_t size)
{
    //  Two independent bases so one 64-bit collision is not enough.
    uint64_t a = s_fnv1a(signal_id, 14695981039346656037ULL);
    uint64_t b = s_fnv1a(signal_id, 0x84222325cbf29ce4ULL);
    snprintf(buf, size, "ofts-%016llx%08llx", (unsigned long long) a, (unsigned long long) (b >> 32));
}

void
risk_order_account_client_id(const char *signal_id, const char *account, char *buf, size_t size)
{
    char key[256];
    snprintf(key, sizeof key, "%s@%s", signal_id, account);
    risk_order_client_id(key, buf, size);
}

void
risk_order_from_signal(Ofts__OrderRequest *req, const Ofts__Signal *sig, const risk_plan_t *plan,
                       const risk_config_t *cfg, const char *coid)
{
    ofts__order_request__init(req);
    req->client_order_id = (char *) coid;
    req->signal_id = sig->id;
    req->symbol = sig->symbol;
    req->contract = sig->contract;
    req->side = plan->side;
    req->quantity = plan->quantity;
    req->type = cfg->order_type;
    req->entry = plan->entry;
    req->stop = plan->stop;
    req->take_profit = plan->take_profit;
    req->confidence = sig->confidence;
    if (cfg->multi_account)
        req->account = (char *) cfg->account_id;
    req->reasons = sig->reasons;
    req->reduce_only = false;
}
