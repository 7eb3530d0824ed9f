#include "risk_rules.h"
#include "ofts_clock.h"
#include "risk_sizing.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PASS OFTS__REJECT_CODE__REJECT_NONE
#define MAX_SIGNAL_ID 128

static Ofts__RejectCode
s_fail(Ofts__RejectCode code, char *text, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static Ofts__RejectCode
s_fail(Ofts__RejectCode code, char *text, size_t size, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(text, size, fmt, args);
    va_end(args);
    return code;
}

static bool
s_long(const Ofts__Signal *sig)
{
    return sig->direction == OFTS__SIDE__SIDE_BUY;
}

//  --- the rules, in table order -------------------------------------------

static Ofts__RejectCode
s_signal_fields(const risk_view_t *v, const Ofts__Signal *sig, risk_plan_t *plan, char *t, size_t n)
{
    (void) v;
    (void) plan;
    if (!sig->id || !*sig->id || strlen(sig->id) > MAX_SIGNAL_ID)
        return s_fail(OFTS__REJECT_CODE__REJECT_BAD_SIGNAL, t, n, "signal id empty or over %d chars",
                      MAX_SIGNAL_ID);
    if (sig->direction != OFTS__SIDE__SIDE_BUY && sig->direction != OFTS__SIDE__SIDE_SELL)
        return s_fail(OFTS__REJECT_CODE__REJECT_BAD_SIGNAL, t, n, "direction is neither buy nor sell");
    if (sig->entry <= 0 || sig->stop <= 0 || sig->take_profit <= 0 || sig->entry == OFTS_UNDEF_PRICE
        || sig->stop == OFTS_UNDEF_PRICE || sig->take_profit == OFTS_UNDEF_PRICE)
        return s_fail(OFTS__REJECT_CODE__REJECT_BAD_SIGNAL, t, n, "entry, stop and take profit must all be set");
    return PASS;
}

static Ofts__RejectCode
s_known_symbol(const risk_view_t *v, const Ofts__Signal *sig, risk_plan_t *plan, char *t, size_t n)
{
    (void) plan;
    if (!v->ins)
        return s_fail(OFTS__REJECT_CODE__REJECT_UNKNOWN_SYMBOL, t, n, "symbol '%s' is not in the instrument table",
                      sig->symbol ? sig->symbol : "");
    if (sig->contract && *sig->contract && ofts_instrument_for_contract(sig->contract) != v->ins)
        return s_fail(OFTS__REJECT_CODE__REJECT_UNKNOWN_SYMBOL, t, n, "contract '%s' is not a %s contract",
                      sig->contract, v->ins->root);
    return PASS;
}

//  The one place prices are rounded to the tick. Stop and target round to
//  the protective side (a long's stop up, its target down: never more risk,
//  never a farther target than the analyzer asked for); a limit entry rounds
//  so it never pays more than asked.
static Ofts__RejectCode
s_prices(const risk_view_t *v, const Ofts__Signal *sig, risk_plan_t *plan, char *t, size_t n)
{
    int64_t tick = v->ins->tick;
    bool lng = s_long(sig);
    ofts_round_t entry_mode = OFTS_ROUND_NEAREST;
    if (v->cfg->order_type == OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT)
        entry_mode = lng ? OFTS_ROUND_DOWN : OFTS_ROUND_UP;
    plan->side = sig->direction;
    plan->entry = ofts_price_round(sig->entry, tick, entry_mode);
    plan->stop = ofts_price_round(sig->stop, tick, lng ? OFTS_ROUND_UP : OFTS_ROUND_DOWN);
    plan->take_profit = ofts_price_round(sig->take_profit, tick, lng ? OFTS_ROUND_DOWN : OFTS_ROUND_UP);
    bool ok = lng ? plan->stop < plan->entry && plan->entry < plan->take_profit
                  : plan->take_profit < plan->entry && plan->entry < plan->stop;
    if (!ok) {
        char e[32], s[32], p[32];
        return s_fail(OFTS__REJECT_CODE__REJECT_BAD_SIGNAL, t, n,
                      "%s needs stop %s entry %s target after rounding: %s / %s / %s",
                      lng ? "buy" : "sell", lng ? "<" : ">", lng ? "<" : ">",
                      ofts_price_str(plan->stop, s, sizeof s), ofts_price_str(plan->entry, e, sizeof e),
                      ofts_price_str(plan->take_profit, p, sizeof p));
    }
    return PASS;
}

static Ofts__RejectCode
s_duplicate(const risk_view_t *v, const Ofts__Signal *sig, risk_plan_t *plan, char *t, size_t n)
{
    (void) plan;
    if (v->seen_signal)
        return s_fail(OFTS__REJECT_CODE__REJECT_DUPLICATE, t, n, "signal %s was already approved", sig->id);
    return PASS;
}

static Ofts__RejectCode
s_confidence(const risk_view_t *v, const Ofts__Signal *sig, risk_plan_t *plan, char *t, size_t n)
{
    (void) plan;
    if (isnan(sig->confidence) || sig->confidence < v->cfg->min_confidence)
        return s_fail(OFTS__REJECT_CODE__REJECT_LOW_CONFIDENCE, t, n, "confidence %.3f < %.3f",
                      sig->confidence, v->cfg->min_confidence);
    return PASS;
}

static Ofts__RejectCode
s_cooldown(const risk_view_t *v, const Ofts__Signal *sig, risk_plan_t *plan, char *t, size_t n)
{
    (void) sig;
    (void) plan;
    int64_t since = v->now - v->last_approval_ns;
    if (v->has_approval && since < v->cfg->cooldown_ns)
        return s_fail(OFTS__REJECT_CODE__REJECT_COOLDOWN, t, n, "%.3f s since the last %s approval < %lld s",
                      (double) since / 1e9, v->ins->root, (long long) (v->cfg->cooldown_ns / OFTS_NS_PER_SEC));
    return PASS;
}

static Ofts__RejectCode
s_session(const risk_view_t *v, const Ofts__Signal *sig, risk_plan_t *plan, char *t, size_t n)
{
    (void) sig;
    (void) plan;
    if (!ofts_instrument_session_open(v->ins, v->now)) {
        ofts_ct_t ct;
        ofts_ct_from_utc(v->now, &ct);
        return s_fail(OFTS__REJECT_CODE__REJECT_OUTSIDE_SESSION, t, n,
                      "%s Globex closed at %02d:%02d CT (break 16:00-17:00, weekend, or equity halt)",
                      v->ins->root, ct.hour, ct.minute);
    }
    return PASS;
}

risk_day_hours_t
risk_rules_hours_at(const risk_config_t *cfg, int64_t now, bool *entry_closed, bool *flatten)
{
    ofts_ct_t ct;
    ofts_ct_from_utc(now, &ct);
    risk_day_hours_t h = risk_config_day_hours(cfg, ct.year * 10000 + ct.month * 100 + ct.day);
    int mod = ct.hour * 60 + ct.minute;
    bool weekend = ct.wday == 6 || (ct.wday == 0 && mod < 17 * 60) || (ct.wday == 5 && mod >= 17 * 60);
    *flatten = weekend || (mod >= h.flatten_min && mod < 17 * 60);
    *entry_closed = *flatten || (mod >= h.no_entry_min && mod < 17 * 60);
    return h;
}

bool
risk_rules_entry_window_closed(const risk_config_t *cfg, int64_t now, bool *out_flatten)
{
    bool closed, flatten;
    risk_rules_hours_at(cfg, now, &closed, &flatten);
    if (out_flatten)
        *out_flatten = flatten;
    return closed;
}

static Ofts__RejectCode
s_entry_window(const risk_view_t *v, const Ofts__Signal *sig, risk_plan_t *plan, char *t, size_t n)
{
    (void) sig;
    (void) plan;
    bool closed, flatten;
    risk_day_hours_t h = risk_rules_hours_at(v->cfg, v->now, &closed, &flatten);
    if (closed && h.close_min >= 0)
        return s_fail(OFTS__REJECT_CODE__REJECT_FLATTEN_TIME, t, n,
                      "no new entries from %02d:%02d CT until the 17:00 CT open (CME early close %02d:%02d CT today)",
                      h.no_entry_min / 60, h.no_entry_min % 60, h.close_min / 60, h.close_min % 60);
    if (closed)
        return s_fail(OFTS__REJECT_CODE__REJECT_FLATTEN_TIME, t, n,
                      "no new entries from %02d:%02d CT until the 17:00 CT open (Topstep: flat by 15:10)",
                      h.no_entry_min / 60, h.no_entry_min % 60);
    return PASS;
}

static Ofts__RejectCode
s_reconciled(const risk_view_t *v, const Ofts__Signal *sig, risk_plan_t *plan, char *t, size_t n)
{
    (void) sig;
    (void) plan;
    if (!v->reconciled)
        return s_fail(OFTS__REJECT_CODE__REJECT_STALE_DATA, t, n,
                      "positions not yet reconciled with gateway-order");
    return PASS;
}

static Ofts__RejectCode
s_stale_data(const risk_view_t *v, const Ofts__Signal *sig, risk_plan_t *plan, char *t, size_t n)
{
    (void) sig;
    (void) plan;
    if (!v->has_price)
        return s_fail(OFTS__REJECT_CODE__REJECT_STALE_DATA, t, n, "no %s trade seen yet", v->ins->root);
    if (v->now - v->last_md_ns > v->cfg->stale_ns)
        return s_fail(OFTS__REJECT_CODE__REJECT_STALE_DATA, t, n, "last %s trade %lld ms old > %lld ms",
                      v->ins->root, (long long) ((v->now - v->last_md_ns) / OFTS_NS_PER_MS),
                      (long long) (v->cfg->stale_ns / OFTS_NS_PER_MS));
    if (v->cfg->require_md_heartbeat
        && (!v->has_md_heartbeat || v->now - v->last_md_heartbeat_ns > v->cfg->heartbeat_timeout_ns))
        return s_fail(OFTS__REJECT_CODE__REJECT_STALE_DATA, t, n, "no gateway-md heartbeat for %lld ms",
                      (long long) (v->cfg->heartbeat_timeout_ns / OFTS_NS_PER_MS));
    return PASS;
}

//  New entries only in the root's traded contract: after a roll the old
//  month gets none, and a thin month never gets one (docs/risk.md).
static Ofts__RejectCode
s_traded_contract(const risk_view_t *v, const Ofts__Signal *sig, risk_plan_t *plan, char *t, size_t n)
{
    (void) plan;
    const char *c = sig->contract ? sig->contract : "";
    if (v->has_lead && v->lead && strcmp(c, v->lead) != 0)
        return s_fail(OFTS__REJECT_CODE__REJECT_NOT_TRADED_CONTRACT, t, n,
                      "%s is not the traded %s contract (%s): no new entries in other months",
                      *c ? c : "(no contract)", v->ins->root, *v->lead ? v->lead : "(no contract)");
    return PASS;
}

static Ofts__RejectCode
s_fat_finger(const risk_view_t *v, const Ofts__Signal *sig, risk_plan_t *plan, char *t, size_t n)
{
    (void) sig;
    int64_t diff = plan->entry - v->last_price;
    if (diff < 0)
        diff = -diff;
    int64_t ticks = diff / v->ins->tick + (diff % v->ins->tick != 0);
    if (ticks > v->cfg->max_entry_ticks) {
        char e[32], l[32];
        return s_fail(OFTS__REJECT_CODE__REJECT_FAT_FINGER, t, n, "entry %s is %lld ticks from last %s > %d",
                      ofts_price_str(plan->entry, e, sizeof e), (long long) ticks,
                      ofts_price_str(v->last_price, l, sizeof l), v->cfg->max_entry_ticks);
    }
    return PASS;
}

static Ofts__RejectCode
s_position_open(const risk_view_t *v, const Ofts__Signal *sig, risk_plan_t *plan, char *t, size_t n)
{
    (void) sig;
    (void) plan;
    if (v->position_qty != 0)
        return s_fail(OFTS__REJECT_CODE__REJECT_POSITION_OPEN, t, n, "%s position %d open",
                      v->ins->root, v->position_qty);
    if (v->working_entry)
        return s_fail(OFTS__REJECT_CODE__REJECT_POSITION_OPEN, t, n, "%s entry order still working",
                      v->ins->root);
    return PASS;
}

//  Topstep forbids hedging across one's own accounts (long in one, short the
//  same or a correlated instrument in another; spec/topstepx.md §8.6,
//  TS-HEDGE): with several accounts, an entry against another account's
//  position or working entry in this root (or its micro/full twin) is refused.
static Ofts__RejectCode
s_hedge(const risk_view_t *v, const Ofts__Signal *sig, risk_plan_t *plan, char *t, size_t n)
{
    (void) sig;
    bool buy = plan->side == OFTS__SIDE__SIDE_BUY;
    int against = buy ? v->other_short : v->other_long;
    if (against > 0)
        return s_fail(OFTS__REJECT_CODE__REJECT_HEDGE, t, n, "%s %s here would hedge account %s, %s %s: "
                      "no opposite positions across accounts", buy ? "long" : "short", v->ins->root,
                      v->other_account ? v->other_account : "?", buy ? "short" : "long", v->ins->root);
    return PASS;
}

static Ofts__RejectCode
s_max_positions(const risk_view_t *v, const Ofts__Signal *sig, risk_plan_t *plan, char *t, size_t n)
{
    (void) sig;
    (void) plan;
    if (v->open_positions >= v->cfg->max_open_positions)
        return s_fail(OFTS__REJECT_CODE__REJECT_MAX_POSITIONS, t, n, "%d positions open or working >= %d",
                      v->open_positions, v->cfg->max_open_positions);
    return PASS;
}

static Ofts__RejectCode
s_sizing(const risk_view_t *v, const Ofts__Signal *sig, risk_plan_t *plan, char *t, size_t n)
{
    (void) sig;
    uint32_t qty = risk_sizing_quantity(v->cfg, v->ins, plan->entry, plan->stop);
    int64_t per = risk_sizing_stop_cents(v->ins, plan->entry, plan->stop);
    if (qty == 0)
        return s_fail(OFTS__REJECT_CODE__REJECT_SIZE_ZERO, t, n, "$%.2f risk < $%.2f stop loss per %s contract",
                      (double) v->cfg->risk_per_trade_cents / 100, (double) per / 100, v->ins->root);
    uint32_t cap = risk_sizing_capacity(v->cfg, v->ins, v->used_tenths);
    if (cap == 0)
        return s_fail(OFTS__REJECT_CODE__REJECT_MAX_CONTRACTS, t, n,
                      "%lld.%lld contracts in use, max %d (micros count 1/10)",
                      (long long) (v->used_tenths / 10), (long long) (v->used_tenths % 10), v->cfg->max_contracts);
    plan->quantity = qty < cap ? qty : cap;
    plan->stop_risk_cents = per * plan->quantity;
    return PASS;
}

static int64_t
s_projected_risk(const risk_view_t *v, const risk_plan_t *plan)
{
    return v->cfg->projected_loss ? plan->stop_risk_cents : 0;
}

static Ofts__RejectCode
s_daily_loss(const risk_view_t *v, const Ofts__Signal *sig, risk_plan_t *plan, char *t, size_t n)
{
    (void) sig;
    if (v->cfg->daily_loss_limit_cents <= 0)
        return PASS;
    int64_t worst = v->day_pnl_cents - s_projected_risk(v, plan);
    if (worst <= -v->cfg->daily_loss_limit_cents)
        return s_fail(OFTS__REJECT_CODE__REJECT_DAILY_LOSS, t, n,
                      "day P&L $%.2f - stop risk $%.2f reaches the daily loss limit $%.2f",
                      (double) v->day_pnl_cents / 100, (double) s_projected_risk(v, plan) / 100,
                      (double) v->cfg->daily_loss_limit_cents / 100);
    return PASS;
}

static Ofts__RejectCode
s_trailing(const risk_view_t *v, const Ofts__Signal *sig, risk_plan_t *plan, char *t, size_t n)
{
    (void) sig;
    if (v->cfg->max_loss_limit_cents <= 0)
        return PASS;
    int64_t worst = v->equity_cents - s_projected_risk(v, plan);
    if (worst <= v->mll_floor_cents)
        return s_fail(OFTS__REJECT_CODE__REJECT_TRAILING_DRAWDOWN, t, n,
                      "equity $%.2f - stop risk $%.2f reaches the MLL floor $%.2f",
                      (double) v->equity_cents / 100, (double) s_projected_risk(v, plan) / 100,
                      (double) v->mll_floor_cents / 100);
    return PASS;
}

static Ofts__RejectCode
s_rate_limit(const risk_view_t *v, const Ofts__Signal *sig, risk_plan_t *plan, char *t, size_t n)
{
    (void) sig;
    (void) plan;
    if (v->orders_last_minute >= v->cfg->max_orders_per_minute)
        return s_fail(OFTS__REJECT_CODE__REJECT_RATE_LIMIT, t, n, "%d orders in the last 60 s >= %d",
                      v->orders_last_minute, v->cfg->max_orders_per_minute);
    return PASS;
}

//  Last and decisive, like nautilus's execution gateway: whatever the other
//  rules said, only ACTIVE lets a new entry out.
static Ofts__RejectCode
s_state_gate(const risk_view_t *v, const Ofts__Signal *sig, risk_plan_t *plan, char *t, size_t n)
{
    (void) sig;
    (void) plan;
    const char *why = v->state_reason ? v->state_reason : "";
    if (v->state == OFTS__TRADING_STATE__STATE_HALTED)
        return s_fail(OFTS__REJECT_CODE__REJECT_HALTED, t, n, "trading HALTED: %s", why);
    if (v->state != OFTS__TRADING_STATE__STATE_ACTIVE)
        return s_fail(OFTS__REJECT_CODE__REJECT_REDUCING, t, n, "trading REDUCING (exits only): %s", why);
    return PASS;
}

static const struct {
    const char *name;
    risk_rule_fn *fn;
} s_rules[] = {
    { "signal_fields",  s_signal_fields },  //  REJECT_BAD_SIGNAL
    { "known_symbol",   s_known_symbol },   //  REJECT_UNKNOWN_SYMBOL
    { "prices",         s_prices },         //  REJECT_BAD_SIGNAL (rounds the plan)
    { "duplicate",      s_duplicate },      //  REJECT_DUPLICATE
    { "confidence",     s_confidence },     //  REJECT_LOW_CONFIDENCE
    { "cooldown",       s_cooldown },       //  REJECT_COOLDOWN
    { "session",        s_session },        //  REJECT_OUTSIDE_SESSION
    { "entry_window",   s_entry_window },   //  REJECT_FLATTEN_TIME
    { "reconciled",     s_reconciled },     //  REJECT_STALE_DATA
    { "stale_data",     s_stale_data },     //  REJECT_STALE_DATA
    { "traded_contract", s_traded_contract }, //  REJECT_NOT_TRADED_CONTRACT
    { "fat_finger",     s_fat_finger },     //  REJECT_FAT_FINGER
    { "position_open",  s_position_open },  //  REJECT_POSITION_OPEN
    { "hedge",          s_hedge },          //  REJECT_HEDGE
    { "max_positions",  s_max_positions },  //  REJECT_MAX_POSITIONS
    { "sizing",         s_sizing },         //  REJECT_SIZE_ZERO / REJECT_MAX_CONTRACTS
    { "daily_loss",     s_daily_loss },     //  REJECT_DAILY_LOSS
    { "trailing_mll",   s_trailing },       //  REJECT_TRAILING_DRAWDOWN
    { "rate_limit",     s_rate_limit },     //  REJECT_RATE_LIMIT
    { "state_gate",     s_state_gate },     //  REJECT_HALTED / REJECT_REDUCING
};
#define RULE_COUNT (sizeof s_rules / sizeof s_rules[0])

size_t risk_rules_count(void) { return RULE_COUNT; }
const char *risk_rules_name(size_t i) { return i < RULE_COUNT ? s_rules[i].name : NULL; }

Ofts__RejectCode
risk_rules_check(const risk_view_t *v, const Ofts__Signal *sig, risk_plan_t *plan, char *text, size_t size)
{
    memset(plan, 0, sizeof *plan);
    if (size)
        text[0] = '\0';
    for (size_t i = 0; i < RULE_COUNT; i++) {
        Ofts__RejectCode code = s_rules[i].fn(v, sig, plan, text, size);
        if (code != PASS)
            return code;
    }
    return PASS;
}

void
risk_rules_each(const risk_view_t *v, const Ofts__Signal *sig, risk_rule_verdict_fn *fn, void *arg)
{
    risk_plan_t plan;
    memset(&plan, 0, sizeof plan);
    bool past_prices = false;           //  the rules after "prices" need what it and those before establish
    for (size_t i = 0; i < RULE_COUNT; i++) {
        char text[256] = "";
        Ofts__RejectCode code = s_rules[i].fn(v, sig, &plan, text, sizeof text);
        fn(arg, i, s_rules[i].name, code, text);
        if (code != PASS && !past_prices)
            return;
        past_prices |= strcmp(s_rules[i].name, "prices") == 0;
    }
}

const char *
risk_reject_name(Ofts__RejectCode code)
{
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(&ofts__reject_code__descriptor,
                                                                        (int) code);
    return ev ? ev->name : "REJECT_UNKNOWN";
}
