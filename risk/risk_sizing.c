#include "risk_sizing.h"
#include <string.h>

int
risk_sizing_weight(const risk_config_t *cfg, const ofts_instrument_t *ins)
{
    for (int i = 0; i < cfg->full_weight_count; i++)
        if (strcmp(cfg->full_weight_roots[i], ins->root) == 0)
            return 10;
    if (!ins->full_size || ins->micro_ratio <= 1)
        return 10;
    //  Round up: a ratio that does not divide 10 must never under-count.
    return (10 + ins->micro_ratio - 1) / ins->micro_ratio;
}

int64_t
risk_sizing_stop_cents(const ofts_instrument_t *ins, int64_t entry, int64_t stop)
{
    int64_t cents = ofts_instrument_pnl_cents(ins, stop, entry, 1);
    return cents < 0 ? -cents : cents;
}

uint32_t
risk_sizing_quantity(const risk_config_t *cfg, const ofts_instrument_t *ins, int64_t entry, int64_t stop)
{
    if (cfg->sizing == RISK_SIZING_FIXED)
        return (uint32_t) cfg->fixed_contracts;
    int64_t per_contract = risk_sizing_stop_cents(ins, entry, stop);
    if (per_contract <= 0)
        return 0;
    int64_t qty = cfg->risk_per_trade_cents / per_contract;
    return qty > 100000 ? 100000 : (uint32_t) qty;
}

uint32_t
risk_sizing_capacity(const risk_config_t *cfg, const ofts_instrument_t *ins, int64_t used_tenths)
{
    int64_t free_tenths = (int64_t) cfg->max_contracts * 10 - used_tenths;
    if (free_tenths <= 0)
        return 0;
    return (uint32_t) (free_tenths / risk_sizing_weight(cfg, ins));
}
