/*  research - configs with overrides, the one-row summary, the journal. */
#include "research.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ofts_clock.h"
#include "ofts_instrument.h"

//  --- configs --------------------------------------------------------------

int
research_config_set(json_t *root, const char *key, const char *value, char *err, size_t errlen)
{
    static const char *sections[] = { "analyzer.", "risk.", "gateway_order.", NULL };
    bool known = false;
    for (int i = 0; sections[i] && !known; i++)
        known = strncmp(key, sections[i], strlen(sections[i])) == 0 && key[strlen(sections[i])];
    if (!known) {
        snprintf(err, errlen, "%s: only analyzer.*, risk.* and gateway_order.* keys can be set", key);
        return -1;
    }
    json_t *parsed = json_loads(value, JSON_DECODE_ANY, NULL);
    if (!parsed)
        parsed = json_string(value);
    //  Walk (and make) the objects of the dotted path; the last part is the key.
    char path[256];
    snprintf(path, sizeof path, "%s", key);
    json_t *node = root;
    char *save = NULL, *part = strtok_r(path, ".", &save);
    for (char *next = strtok_r(NULL, ".", &save); next; part = next, next = strtok_r(NULL, ".", &save)) {
        json_t *child = json_object_get(node, part);
        if (!json_is_object(child)) {
            child = json_object();
            json_object_set_new(node, part, child);
        }
        node = child;
    }
    json_object_set_new(node, part, parsed);
    return 0;
}

int
research_config_read(ofts_config_t *cfg, of_config_t **acfg, risk_config_t *rcfg, paper_config_t *pcfg,
                     risk_account_config_t *accounts, int *naccounts, char *err, size_t errlen)
{
    ofts_cfgsec_t *a = ofts_config_section(cfg, "analyzer");
    *acfg = of_config_new(a);
    ofts_cfgsec_t *r = ofts_config_section(cfg, "risk");
    risk_config_defaults(rcfg);
    risk_config_read(rcfg, r);
    ofts_cfgsec_string(r, "clock", NULL);  //  a backtest always runs on market time
    json_t *list = ofts_cfgsec_json(r, "accounts");
    if (accounts) {
        char why[256];
        *naccounts = risk_accounts_read(rcfg, list, accounts, RISK_MAX_ACCOUNTS, why, sizeof why);
        if (*naccounts < 0)
            ofts_cfgsec_fail(r, "accounts", "%s", why);
    }
    else if (list)
        ofts_cfgsec_fail(r, "accounts", "a sweep runs one account per configuration: leave risk.accounts out");
    paper_config_defaults(pcfg);
    ofts_cfgsec_t *g = ofts_config_section(cfg, "gateway_order");
    paper_config_read(pcfg, g);
    int rc = 0;
    if (ofts_cfgsec_finish(&a, err, errlen) != 0 || ofts_cfgsec_finish(&r, err, errlen) != 0)
        rc = -1;
    ofts_cfgsec_finish(&a, NULL, 0);
    ofts_cfgsec_finish(&r, NULL, 0);
    ofts_cfgsec_finish(&g, NULL, 0);      //  gateway-order checks its own keys
    return rc;
}

int
research_config_from_json(json_t *root, const char *name, of_config_t **acfg, risk_config_t *rcfg,
                          paper_config_t *pcfg, char *err, size_t errlen)
{
    char *text = json_dumps(root, JSON_COMPACT);
    ofts_config_t *cfg = text ? ofts_config_parse(text, name, err, errlen) : NULL;
    free(text);
    *acfg = NULL;
    if (!cfg)
        return -1;
    int rc = research_config_read(cfg, acfg, rcfg, pcfg, NULL, NULL, err, errlen);
    ofts_config_destroy(&cfg);
    return rc;
}

//  --- the summary ----------------------------------------------------------

size_t
research_day_index(const int64_t *days, size_t ndays, int64_t ts)
{
    size_t lo = 0, hi = ndays;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (days[mid] <= ts)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

double
research_sharpe(const int64_t *daily, size_t n)
{
    if (n < 2)
        return 0.0;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += (double) daily[i];
    double mean = sum / (double) n, var = 0.0;
    for (size_t i = 0; i < n; i++)
        var += ((double) daily[i] - mean) * ((double) daily[i] - mean);
    var /= (double) (n - 1);
    return var > 0.0 ? mean / sqrt(var) * sqrt(252.0) : 0.0;
}

//  Topstep's trailing Maximum Loss Limit on realized balance
//  (spec/topstepx.md 8.2): floor = min(S, S - D + max(0, H - S)) with H the
//  highest end-of-day balance; a balance at or below the floor fails.
//  Realized only: open P&L between fills is not modelled here.
static void
s_topstep(const bt_trade_t *trades, size_t ntrades, const int64_t *days, size_t ndays,
          const risk_config_t *rcfg, research_summary_t *out)
{
    int64_t start = rcfg->start_balance_cents, mll = rcfg->max_loss_limit_cents;
    int64_t dll = rcfg->daily_loss_limit_cents;
    int64_t balance = start, high = start, day_start = start;
    size_t day = 0, t = 0;
    bool day_breached = false;
    for (day = 0; day < ndays; day++) {
        day_start = balance;
        day_breached = false;
        int64_t floor = high - start > 0 ? start - mll + (high - start) : start - mll;
        if (floor > start)
            floor = start;
        for (; t < ntrades && research_day_index(days, ndays, trades[t].exit_ts) == day; t++) {
            balance += trades[t].pnl_cents;
            if (dll > 0 && !day_breached && balance - day_start <= -dll) {
                day_breached = true;
                out->dll_breach_days++;
            }
            if (mll > 0 && balance <= floor)
                out->mll_breached = 1;
        }
        if (balance > high)
            high = balance;
    }
}

void
research_summarize(const bt_trade_t *trades, size_t ntrades, const int64_t *days, size_t ndays,
                   const risk_config_t *rcfg, research_summary_t *out, int64_t *daily)
{
    int64_t *own = daily ? daily : calloc(ndays ? ndays : 1, sizeof *own);
    memset(own, 0, (ndays ? ndays : 1) * sizeof *own);
    int64_t equity = 0, peak = 0;
    for (size_t i = 0; i < ntrades; i++) {
        const bt_trade_t *t = &trades[i];
        out->trades++;
        out->net_cents += t->pnl_cents;
        out->fees_cents += t->fees_cents;
        if (t->pnl_cents > 0) {
            out->wins++;
            out->gross_win_cents += t->pnl_cents;
        }
        else
            out->gross_loss_cents -= t->pnl_cents;
        equity += t->pnl_cents;
        if (equity > peak)
            peak = equity;
        if (peak - equity > out->max_drawdown_cents)
            out->max_drawdown_cents = peak - equity;
        if (ndays)
            own[research_day_index(days, ndays, t->exit_ts)] += t->pnl_cents;
    }
    out->gross_cents = out->net_cents + out->fees_cents;
    out->days = (int) ndays;
    out->sharpe = research_sharpe(own, ndays);
    for (size_t d = 0; d < ndays; d++) {
        if (d == 0 || own[d] < out->worst_day_cents)
            out->worst_day_cents = own[d];
        if (d == 0 || own[d] > out->best_day_cents)
            out->best_day_cents = own[d];
    }
    s_topstep(trades, ntrades, days, ndays, rcfg, out);
    if (!daily)
        free(own);
}

void
research_summary_of(backtest_t *bt, const risk_config_t *rcfg, research_summary_t *out)
{
    memset(out, 0, sizeof *out);
    const bt_trade_t *trades;
    size_t nt = backtest_trades(bt, &trades);
    const int64_t *days;
    size_t nd = backtest_days(bt, &days);
    research_summarize(trades, nt, days, nd, rcfg, out, NULL);
    out->signals = backtest_signals(bt);
    out->approved = backtest_approved(bt);
    out->rejected = backtest_rejected(bt);
    out->open_cents = backtest_open_pnl_cents(bt);
}

//  --- output ---------------------------------------------------------------

static double
s_dollars(int64_t cents)
{
    return (double) cents / 100.0;
}

void
research_csv_header(FILE *out)
{
    fputs("trades,net_pnl,gross_pnl,fees,win_rate,profit_factor,max_drawdown,daily_sharpe,"
          "trades_per_day,worst_day,best_day,days,dll_breach_days,mll_breached,signals,approved,"
          "rejected,open_pnl", out);
}

//  Profit factor as text: "inf" when nothing was lost, like the report.
static void
s_pf(const research_summary_t *s, char *buf, size_t size)
{
    if (s->gross_loss_cents == 0)
        snprintf(buf, size, s->gross_win_cents > 0 ? "inf" : "0.0000");
    else
        snprintf(buf, size, "%.4f", (double) s->gross_win_cents / (double) s->gross_loss_cents);
}

void
research_csv_row(FILE *out, const research_summary_t *s)
{
    char pf[32];
    s_pf(s, pf, sizeof pf);
    fprintf(out, "%d,%.2f,%.2f,%.2f,%.4f,%s,%.2f,%.4f,%.4f,%.2f,%.2f,%d,%d,%d,%llu,%llu,%llu,%.2f",
            s->trades, s_dollars(s->net_cents), s_dollars(s->gross_cents), s_dollars(s->fees_cents),
            s->trades ? (double) s->wins / s->trades : 0.0, pf, s_dollars(s->max_drawdown_cents), s->sharpe,
            s->days ? (double) s->trades / s->days : 0.0, s_dollars(s->worst_day_cents),
            s_dollars(s->best_day_cents), s->days, s->dll_breach_days, s->mll_breached,
            (unsigned long long) s->signals, (unsigned long long) s->approved,
            (unsigned long long) s->rejected, s_dollars(s->open_cents));
}

void
research_json_fields(FILE *out, const research_summary_t *s)
{
    char pf[32];
    s_pf(s, pf, sizeof pf);
    fprintf(out, "\"trades\":%d,\"net_pnl\":%.2f,\"gross_pnl\":%.2f,\"fees\":%.2f,\"win_rate\":%.4f,"
            "\"profit_factor\":%s%s%s,\"max_drawdown\":%.2f,\"daily_sharpe\":%.4f,\"trades_per_day\":%.4f,"
            "\"worst_day\":%.2f,\"best_day\":%.2f,\"days\":%d,\"dll_breach_days\":%d,\"mll_breached\":%s,"
            "\"signals\":%llu,\"approved\":%llu,\"rejected\":%llu,\"open_pnl\":%.2f",
            s->trades, s_dollars(s->net_cents), s_dollars(s->gross_cents), s_dollars(s->fees_cents),
            s->trades ? (double) s->wins / s->trades : 0.0, pf[0] == 'i' ? "\"" : "", pf, pf[0] == 'i' ? "\"" : "",
            s_dollars(s->max_drawdown_cents), s->sharpe, s->days ? (double) s->trades / s->days : 0.0,
            s_dollars(s->worst_day_cents), s_dollars(s->best_day_cents), s->days, s->dll_breach_days,
            s->mll_breached ? "true" : "false", (unsigned long long) s->signals,
            (unsigned long long) s->approved, (unsigned long long) s->rejected, s_dollars(s->open_cents));
}

//  --- the journal ----------------------------------------------------------

void
research_csv_text(FILE *out, const char *text)
{
    if (!strpbrk(text, ",\"\n\r")) {
        fputs(text, out);
        return;
    }
    fputc('"', out);
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

void
research_html_text(FILE *out, const char *text)
{
    for (const char *p = text; *p; p++)
        if (*p == '<')
            fputs("&lt;", out);
        else if (*p == '&')
            fputs("&amp;", out);
        else
            fputc(*p, out);
}

void
research_trades_header(FILE *out)
{
    fputs("signal_id,contract,symbol,side,qty,entry_time_utc,entry_time_ct,exit_time_utc,exit_time_ct,"
          "entry_price,exit_price,stop_price,target_price,exit_reason,fees,gross_pnl,net_pnl,mae,mfe,"
          "duration_s,confidence,reasons\n", out);
}

//  "2026-11-30 08:30:01.250 CST": Central Time to the millisecond.
static void
s_ct(int64_t ts, char *buf, size_t size)
{
    ofts_ct_t ct;
    ofts_ct_from_utc(ts, &ct);
    int ms = (int) ((ts % OFTS_NS_PER_SEC + OFTS_NS_PER_SEC) % OFTS_NS_PER_SEC / 1000000);
    snprintf(buf, size, "%04d-%02d-%02d %02d:%02d:%02d.%03d %s", ct.year, ct.month, ct.day, ct.hour,
             ct.minute, ct.second, ms, ct.utc_offset_min == -300 ? "CDT" : "CST");
}

static void
s_price(FILE *out, int64_t px)
{
    char buf[48];
    fputs(px ? ofts_price_str(px, buf, sizeof buf) : "", out);
}

void
research_trades_row(FILE *out, const bt_trade_t *t)
{
    bool open = t->exit_ts == 0;
    char eu[48], ec[48], xu[48] = "", xc[48] = "";
    ofts_clock_format(t->entry_ts, eu, sizeof eu);
    s_ct(t->entry_ts, ec, sizeof ec);
    if (!open) {
        ofts_clock_format(t->exit_ts, xu, sizeof xu);
        s_ct(t->exit_ts, xc, sizeof xc);
    }
    research_csv_text(out, t->signal_id);
    fprintf(out, ",%s,%s,%s,%u,%s,%s,%s,%s,", t->contract, t->symbol, t->direction > 0 ? "long" : "short",
            t->quantity, eu, ec, xu, xc);
    s_price(out, t->entry_px);
    fputc(',', out);
    s_price(out, t->exit_px);
    fputc(',', out);
    s_price(out, t->stop_px);
    fputc(',', out);
    s_price(out, t->target_px);
    fprintf(out, ",%s,%.2f,%.2f,%.2f,", t->exit_role, s_dollars(t->fees_cents),
            s_dollars(t->pnl_cents + t->fees_cents), s_dollars(t->pnl_cents));
    if (t->mae_cents != RESEARCH_UNKNOWN)
        fprintf(out, "%.2f,%.2f,", s_dollars(t->mae_cents), s_dollars(t->mfe_cents));
    else
        fputs(",,", out);
    if (!open)                      //  an open position has no duration yet
        fprintf(out, "%.3f", (double) (t->exit_ts - t->entry_ts) / 1e9);
    if (isnan(t->confidence))
        fputs(",,", out);
    else
        fprintf(out, ",%.4f,", t->confidence);
    research_csv_text(out, t->reasons);
    fputc('\n', out);
}
