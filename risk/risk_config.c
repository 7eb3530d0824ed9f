#include "risk_config.h"
#include "ofts_clock.h"
#include "ofts_instrument.h"
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

//  Topstep Trading Combine parameters, spec/topstepx.md §8.1:
//  MLL from TS-MLL / kburrus64-max; max position size from TS-MPS.
//  Daily loss limit: TopstepX has none by default since 2024-08-25 (TS-DLL);
//  ofts keeps the legacy values as its own daily stop (propfirmapp,
//  tradingfunder), so a bad day halts before the MLL is in danger.
static const struct {
    int64_t size;
    int64_t mll_dollars;
    int64_t dll_dollars;
    int max_contracts;
} s_accounts[] = {
    {  50000, 2000, 1000,  5 },
    { 100000, 3000, 2000, 10 },
    { 150000, 4500, 3000, 15 },
};

bool
risk_config_account_defaults(int64_t size, int64_t *mll, int64_t *dll, int *max_contracts)
{
    for (size_t i = 0; i < sizeof s_accounts / sizeof s_accounts[0]; i++)
        if (s_accounts[i].size == size) {
            *mll = s_accounts[i].mll_dollars * 100;
            *dll = s_accounts[i].dll_dollars * 100;
            *max_contracts = s_accounts[i].max_contracts;
            return true;
        }
    return false;
}

static void
s_account(risk_config_t *cfg, int64_t size)
{
    cfg->account_size = size;
    cfg->start_balance_cents = size * 100;
    risk_config_account_defaults(size, &cfg->max_loss_limit_cents, &cfg->daily_loss_limit_cents,
                                 &cfg->max_contracts);
}

void
risk_config_defaults(risk_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    s_account(cfg, 50000);
    //  Micro Silver is "weighted differently" in Topstep's 10:1 micro rule and
    //  the weight is unpublished (spec/topstepx.md §8.4): count it as a full lot.
    snprintf(cfg->full_weight_roots[0], sizeof cfg->full_weight_roots[0], "SIL");
    cfg->full_weight_count = 1;
    cfg->projected_loss = true;
    cfg->cooldown_ns = 5 * 60 * 1000000000LL;
    cfg->min_confidence = 0.6;
    cfg->max_open_positions = 3;
    cfg->sizing = RISK_SIZING_FIXED;
    cfg->fixed_contracts = 1;
    cfg->risk_per_trade_cents = 500 * 100;
    cfg->order_type = OFTS__ORDER_TYPE__ORDER_TYPE_MARKET;
    cfg->stale_ns = 2000 * 1000000LL;
    cfg->require_md_heartbeat = true;
    cfg->heartbeat_timeout_ns = 3500 * 1000000LL;   //  bus.heartbeat_timeout_ms default
    cfg->max_entry_ticks = 8;
    cfg->max_orders_per_minute = 6;
    cfg->roll_trades = 2000;
    cfg->roll_margin = 1.25;
    cfg->no_entry_after_min = 15 * 60;              //  spec/topstepx.md §8.5 (ofts line)
    cfg->flatten_at_min = 15 * 60 + 5;              //  ditto: flat before Topstep's 15:08
    cfg->flatten_repeat_ns = 5000 * 1000000LL;
    cfg->account_publish_ns = 1000 * 1000000LL;
    cfg->require_reconcile = true;
    cfg->reconcile_timeout_ms = 2000;
    cfg->reconcile_interval_ms = 60000;
    snprintf(cfg->journal, sizeof cfg->journal, "var/risk.sqlite");
    snprintf(cfg->account_id, sizeof cfg->account_id, "topstep-50k");
}

int
risk_config_parse_hhmm(const char *text)
{
    if (!text || strlen(text) != 5 || text[2] != ':')
        return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && !isdigit((unsigned char) text[i]))
            return -1;
    int hh = (text[0] - '0') * 10 + (text[1] - '0');
    int mm = (text[3] - '0') * 10 + (text[4] - '0');
    if (hh > 23 || mm > 59)
        return -1;
    return hh * 60 + mm;
}

static int64_t
s_cents(ofts_cfgsec_t *sec, const char *key, int64_t def_cents)
{
    double dollars = ofts_cfgsec_double(sec, key, (double) def_cents / 100.0);
    if (dollars < 0 || dollars > 1e12) {
        ofts_cfgsec_fail(sec, key, "must be between 0 and 1e12 dollars");
        return def_cents;
    }
    return (int64_t) llround(dollars * 100.0);
}


static int
s_hhmm(ofts_cfgsec_t *sec, const char *key, int def)
{
    char buf[8];
    snprintf(buf, sizeof buf, "%02d:%02d", def / 60, def % 60);
    const char *text = ofts_cfgsec_string(sec, key, buf);
    int v = risk_config_parse_hhmm(text);
    if (v < 0) {
        ofts_cfgsec_fail(sec, key, "expected \"HH:MM\" (Central Time)");
        return def;
    }
    return v;
}

//  "2026-11-27 12:00" (early close, CT) or "2026-04-03 closed" -> date
//  yyyymmdd and close minute (0 = closed); false on junk or a date that
//  does not exist.
static bool
s_parse_early_close(const char *text, int32_t *date, int *close_min)
{
    int y, m, d, n = 0;
    if (!text || sscanf(text, "%4d-%2d-%2d %n", &y, &m, &d, &n) != 3 || n != 11 || text[10] != ' ')
        return false;
    int cy, cm, cd;
    ofts_civil_from_days(ofts_days_from_civil(y, m, d), &cy, &cm, &cd);
    if (y < 2000 || y > 2100 || cy != y || cm != m || cd != d)
        return false;
    const char *rest = text + 11;
    *close_min = strcmp(rest, "closed") == 0 ? 0 : risk_config_parse_hhmm(rest);
    if (*close_min < 0 || *close_min >= 17 * 60)
        return false;
    *date = y * 10000 + m * 100 + d;
    return true;
}

static void
s_early_closes(risk_config_t *cfg, ofts_cfgsec_t *sec)
{
    json_t *arr = ofts_cfgsec_json(sec, "early_closes");
    if (!arr)
        return;
    if (!json_is_array(arr) || json_array_size(arr) > RISK_MAX_EARLY_CLOSES) {
        ofts_cfgsec_fail(sec, "early_closes", "expected an array of at most %d \"YYYY-MM-DD HH:MM\" strings",
                         RISK_MAX_EARLY_CLOSES);
        return;
    }
    cfg->early_close_count = 0;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        int32_t date;
        int close_min;
        if (!s_parse_early_close(json_string_value(v), &date, &close_min)) {
            ofts_cfgsec_fail(sec, "early_closes", "entry %zu: expected \"YYYY-MM-DD HH:MM\" (CT, before 17:00) "
                             "or \"YYYY-MM-DD closed\"", i + 1);
            return;
        }
        if (cfg->early_close_count > 0 && date <= cfg->early_closes[cfg->early_close_count - 1].date) {
            ofts_cfgsec_fail(sec, "early_closes", "entry %zu: dates must be in order, each once", i + 1);
            return;
        }
        cfg->early_closes[cfg->early_close_count].date = date;
        cfg->early_closes[cfg->early_close_count].close_min = close_min;
        cfg->early_close_count++;
    }
}

static int
s_min(int a, int b)
{
    return a < b ? a : b;
}

static int
s_max(int a, int b)
{
    return a > b ? a : b;
}

risk_day_hours_t
risk_config_day_hours(const risk_config_t *cfg, int32_t date)
{
    risk_day_hours_t h = { cfg->no_entry_after_min, cfg->flatten_at_min, -1 };
    for (int i = 0; i < cfg->early_close_count; i++) {
        if (cfg->early_closes[i].date != date)
            continue;
        //  As far before the early close as the regular times are before
        //  Topstep's 15:10 deadline, and never less than 5 and 10 minutes
        //  (a flatten_at after 15:10 must not mean flattening at the close).
        const int deadline = 15 * 60 + 10;
        int flatten_lead = s_max(deadline - cfg->flatten_at_min, 5);
        int entry_lead = s_max(s_max(deadline - cfg->no_entry_after_min, 10), flatten_lead);
        h.close_min = cfg->early_closes[i].close_min;
        h.flatten_min = s_min(h.flatten_min, s_max(h.close_min - flatten_lead, 0));
        h.no_entry_min = s_min(h.no_entry_min, s_max(h.close_min - entry_lead, 0));
        break;
    }
    return h;
}

bool
risk_config_calendar_covers(const risk_config_t *cfg, int year)
{
    for (int i = 0; i < cfg->early_close_count; i++)
        if (cfg->early_closes[i].date / 10000 == year)
            return true;
    return false;
}

static void
s_full_roots(risk_config_t *cfg, ofts_cfgsec_t *sec)
{
    json_t *arr = ofts_cfgsec_json(sec, "full_weight_roots");
    if (!arr)
        return;
    if (!json_is_array(arr) || json_array_size(arr) > RISK_MAX_FULL_ROOTS) {
        ofts_cfgsec_fail(sec, "full_weight_roots", "expected an array of at most %d roots",
                         RISK_MAX_FULL_ROOTS);
        return;
    }
    cfg->full_weight_count = 0;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v) || strlen(json_string_value(v)) >= sizeof cfg->full_weight_roots[0]) {
            ofts_cfgsec_fail(sec, "full_weight_roots", "expected root symbols like \"SIL\"");
            return;
        }
        snprintf(cfg->full_weight_roots[cfg->full_weight_count++], sizeof cfg->full_weight_roots[0],
                 "%s", json_string_value(v));
    }
}

static void
s_read_account(risk_config_t *cfg, ofts_cfgsec_t *sec)
{
    int64_t size = ofts_cfgsec_int(sec, "account_size", cfg->account_size);
    int64_t mll, dll;
    int maxc;
    if (!risk_config_account_defaults(size, &mll, &dll, &maxc))
        ofts_cfgsec_fail(sec, "account_size", "must be 50000, 100000 or 150000 (Topstep table)");
    else if (size != cfg->account_size) {
        s_account(cfg, size);
        snprintf(cfg->account_id, sizeof cfg->account_id, "topstep-%lldk", (long long) (size / 1000));
    }
    const char *id = ofts_cfgsec_string(sec, "account_id", NULL);
    if (id)
        snprintf(cfg->account_id, sizeof cfg->account_id, "%s", id);
    cfg->start_balance_cents = s_cents(sec, "start_balance_dollars", cfg->start_balance_cents);
    cfg->daily_loss_limit_cents = s_cents(sec, "daily_loss_limit_dollars", cfg->daily_loss_limit_cents);
    cfg->max_loss_limit_cents = s_cents(sec, "max_loss_limit_dollars", cfg->max_loss_limit_cents);
    cfg->max_contracts = (int) ofts_cfgsec_int_range(sec, "max_contracts", cfg->max_contracts, 1, 1000);
    s_full_roots(cfg, sec);
    cfg->projected_loss = ofts_cfgsec_bool(sec, "projected_loss", cfg->projected_loss);
}

static void
s_read_sizing(risk_config_t *cfg, ofts_cfgsec_t *sec)
{
    static const char *const sizings[] = { "fixed", "risk", NULL };
    cfg->sizing = ofts_cfgsec_choice(sec, "sizing", cfg->sizing == RISK_SIZING_RISK ? "risk" : "fixed", sizings) == 1
                ? RISK_SIZING_RISK : RISK_SIZING_FIXED;
    cfg->fixed_contracts = (int) ofts_cfgsec_int_range(sec, "fixed_contracts", cfg->fixed_contracts, 1, 1000);
    cfg->risk_per_trade_cents = s_cents(sec, "risk_dollars_per_trade", cfg->risk_per_trade_cents);
    static const char *const types[] = { "market", "limit", NULL };
    bool limit = cfg->order_type == OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT;
    cfg->order_type = ofts_cfgsec_choice(sec, "order_type", limit ? "limit" : "market", types) == 1
                    ? OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT : OFTS__ORDER_TYPE__ORDER_TYPE_MARKET;
}

const char *
risk_config_traded_contract(const risk_config_t *cfg, const char *root)
{
    for (int i = 0; root && i < cfg->traded_count; i++)
        if (strcmp(cfg->traded[i].root, root) == 0)
            return cfg->traded[i].contract;
    return NULL;
}

//  "traded_contracts": { "GC": "GCZ6" } - the month must belong to the root.
static void
s_read_traded(risk_config_t *cfg, ofts_cfgsec_t *sec)
{
    cfg->roll_trades = (int) ofts_cfgsec_int_range(sec, "roll_trades", cfg->roll_trades, 10, 1000000);
    cfg->roll_margin = ofts_cfgsec_double_range(sec, "roll_margin", cfg->roll_margin, 1.0, 100.0);
    if (!ofts_cfgsec_has(sec, "traded_contracts"))
        return;
    ofts_cfgsec_t *pins = ofts_cfgsec_section(sec, "traded_contracts");
    const char *keys[RISK_MAX_FULL_ROOTS];
    size_t n = ofts_cfgsec_keys(pins, keys, RISK_MAX_FULL_ROOTS);
    cfg->traded_count = 0;
    for (size_t i = 0; i < n; i++) {
        const char *month = ofts_cfgsec_string(pins, keys[i], "");
        const ofts_instrument_t *ins = ofts_instrument_for_contract(month);
        if (!ofts_instrument_find(keys[i]) || !ins || strcmp(ins->root, keys[i]) != 0
            || strlen(keys[i]) >= sizeof cfg->traded[0].root || strlen(month) >= sizeof cfg->traded[0].contract
            || strcmp(month, keys[i]) == 0) {
            ofts_cfgsec_fail(pins, keys[i], "want a contract month of that root, e.g. \"GC\": \"GCZ6\"");
            continue;
        }
        snprintf(cfg->traded[cfg->traded_count].root, sizeof cfg->traded[0].root, "%s", keys[i]);
        snprintf(cfg->traded[cfg->traded_count].contract, sizeof cfg->traded[0].contract, "%s", month);
        cfg->traded_count++;
    }
}

void
risk_config_read(risk_config_t *cfg, ofts_cfgsec_t *sec)
{
    s_read_account(cfg, sec);
    cfg->cooldown_ns = ofts_cfgsec_int_range(sec, "cooldown_minutes", cfg->cooldown_ns / 60000000000LL, 0, 24 * 60)
                     * 60000000000LL;
    double conf = ofts_cfgsec_double(sec, "min_confidence", cfg->min_confidence);
    if (conf < 0 || conf > 1)
        ofts_cfgsec_fail(sec, "min_confidence", "must be between 0 and 1");
    else
        cfg->min_confidence = conf;
    cfg->max_open_positions = (int) ofts_cfgsec_int_range(sec, "max_open_positions", cfg->max_open_positions, 1, 100);
    s_read_sizing(cfg, sec);
    cfg->stale_ns = ofts_cfgsec_int_range(sec, "stale_ms", cfg->stale_ns / 1000000, 1, 3600000) * 1000000LL;
    cfg->require_md_heartbeat = ofts_cfgsec_bool(sec, "require_md_heartbeat", cfg->require_md_heartbeat);
    cfg->heartbeat_timeout_ns = ofts_cfgsec_int_range(sec, "heartbeat_timeout_ms", cfg->heartbeat_timeout_ns / 1000000,
                                      1, 3600000) * 1000000LL;
    cfg->max_entry_ticks = (int) ofts_cfgsec_int_range(sec, "max_entry_ticks", cfg->max_entry_ticks, 0, 100000);
    cfg->max_orders_per_minute = (int) ofts_cfgsec_int_range(sec, "max_orders_per_minute", cfg->max_orders_per_minute, 1, 1000);
    s_read_traded(cfg, sec);
    cfg->no_entry_after_min = s_hhmm(sec, "no_entry_after", cfg->no_entry_after_min);
    cfg->flatten_at_min = s_hhmm(sec, "flatten_at", cfg->flatten_at_min);
    if (cfg->flatten_at_min < cfg->no_entry_after_min || cfg->flatten_at_min >= 17 * 60)
        ofts_cfgsec_fail(sec, "flatten_at", "must be at or after no_entry_after and before 17:00");
    ofts_cfgsec_string(sec, "early_closes_source", NULL);     //  documentation only
    s_early_closes(cfg, sec);
    cfg->flatten_repeat_ns = ofts_cfgsec_int_range(sec, "flatten_repeat_ms", cfg->flatten_repeat_ns / 1000000, 100,
                                   3600000) * 1000000LL;
    cfg->account_publish_ns = ofts_cfgsec_int_range(sec, "account_publish_ms", cfg->account_publish_ns / 1000000, 100,
                                    3600000) * 1000000LL;
    cfg->require_reconcile = ofts_cfgsec_bool(sec, "require_reconcile", cfg->require_reconcile);
    cfg->reconcile_timeout_ms = (int) ofts_cfgsec_int_range(sec, "reconcile_timeout_ms", cfg->reconcile_timeout_ms, 1, 60000);
    cfg->reconcile_interval_ms = ofts_cfgsec_int_range(sec, "reconcile_interval_ms", cfg->reconcile_interval_ms, 0, 86400000);
    const char *journal = ofts_cfgsec_string(sec, "journal", NULL);
    if (journal)
        snprintf(cfg->journal, sizeof cfg->journal, "%s", journal);
    ofts_cfgsec_json(sec, "accounts");          //  several accounts: risk_accounts_read()
}
