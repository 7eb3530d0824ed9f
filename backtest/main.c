/*  ofts-backtest - `ofts backtest [--config F] [--html OUT] [--trades] [--quiet] FILE...`

    Replays DBN files through the same cores the live services run (in one
    process, no bus, market time), prints the report, and writes an HTML
    page with charts when asked. Several files are merged by time.        */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backtest.h"
#include "dbn_record.h"
#include "md_normalizer.h"
#include "ofts_clock.h"
#include "ofts_config.h"
#include "ofts_instrument.h"
#include "ofts_log.h"
#include "replay.h"
#include "report.h"
#include "research.h"
#include "risk_accounts.h"

//  What each file gave, symbol by symbol: a file or a symbol that decodes
//  to 0 market events is said once, after the run, with the reason.
#define MAX_TALLY 256
typedef struct {
    size_t file;
    char contract[32];                  //  "" = no symbol mapping
    uint64_t records, events, unknown, filtered, ignored;
} tally_t;

//  bt is the first (or only) account's; with risk.accounts every account
//  has its own chain on the same market data (docs/accounts.md).
typedef struct {
    backtest_t *bt;
    backtest_t *more[RISK_MAX_ACCOUNTS];
    risk_account_config_t accounts[RISK_MAX_ACCOUNTS];
    int naccounts;
    tally_t *cur;                       //  the record being normalised
    uint64_t pending;                   //  events of cur's contract during it
    tally_t tally[MAX_TALLY];
    size_t ntally;
} ctx_t;

static const char *
s_contract(const Ofts__Envelope *env)
{
    switch (env->body_case) {
    case OFTS__ENVELOPE__BODY_TRADE: return env->trade->contract;
    case OFTS__ENVELOPE__BODY_BBO: return env->bbo->contract;
    case OFTS__ENVELOPE__BODY_DEPTH: return env->depth->contract;
    default: return NULL;
    }
}

//  The entry of contract other than skip: the same file as the current
//  record first, else wherever that contract was seen.
static tally_t *
s_other(ctx_t *ctx, const char *contract, const tally_t *skip)
{
    tally_t *any = NULL;
    for (size_t i = 0; i < ctx->ntally; i++) {
        tally_t *t = &ctx->tally[i];
        if (t == skip || !contract || strcmp(t->contract, contract) != 0)
            continue;
        if (ctx->cur && t->file == ctx->cur->file)
            return t;
        any = any ? any : t;
    }
    return any;
}

//  An event counts for its own contract: a book held for its last record
//  (no F_LAST yet) comes out while another record, maybe of another file
//  and not market data at all, is processed. Events of the current
//  record's contract wait (pending) until s_process knows which it was.
static void
s_count_event(ctx_t *ctx, const char *contract)
{
    if (ctx->cur && (!contract || strcmp(ctx->cur->contract, contract) == 0)) {
        ctx->pending++;
        return;
    }
    tally_t *t = s_other(ctx, contract, NULL);
    if (t)
        t->events++;
}

static void
s_emit(const char *topic, Ofts__Envelope *env, void *arg)
{
    ctx_t *ctx = arg;
    s_count_event(ctx, s_contract(env));
    backtest_on_md(ctx->bt, topic, env);
    for (int i = 1; i < ctx->naccounts; i++)
        backtest_on_md(ctx->more[i], topic, env);
}

//  Several accounts: each one's result, the total, and which broke a rule
//  (went HALTED) first in market time.
static void
s_print_accounts(ctx_t *ctx)
{
    int64_t total = 0, first_ts = 0;
    int first = -1;
    printf("\naccounts (each its own risk and paper broker on the same data)\n");
    for (int i = 0; i < ctx->naccounts; i++) {
        backtest_t *bt = i == 0 ? ctx->bt : ctx->more[i];
        const bt_trade_t *trades;
        size_t nt = backtest_trades(bt, &trades);
        int64_t net = 0;
        for (size_t k = 0; k < nt; k++)
            net += trades[k].pnl_cents;
        total += net;
        int64_t ts;
        const char *why;
        char when[48] = "";
        bool halted = backtest_first_halt(bt, &ts, &why);
        if (halted)
            ofts_clock_format(ts, when, sizeof when);
        const risk_config_t *c = &ctx->accounts[i].cfg;
        printf("  %-16s %-7s $%-7lld trades %3zu, net %+10.2f, %s%.19s%s%s\n", c->account_id, ctx->accounts[i].type,
               (long long) c->account_size, nt, net / 100.0, halted ? "BREACHED " : "no rule broken",
               when, halted ? ": " : "", halted ? why : "");
        if (halted && (first < 0 || ts < first_ts)) {
            first = i;
            first_ts = ts;
        }
    }
    printf("  %-16s %-7s %-8s                   net %+10.2f\n", "total", "", "", total / 100.0);
    if (first >= 0)
        printf("first to break a rule: %s\n", ctx->accounts[first].cfg.account_id);
    else
        printf("no account broke a rule\n");
}

static tally_t *
s_tally(ctx_t *ctx, size_t file, const char *contract)
{
    const char *c = contract ? contract : "";
    tally_t *t = ctx->cur;
    if (t && t->file == file && strcmp(t->contract, c) == 0)
        return t;
    for (size_t i = 0; i < ctx->ntally; i++)
        if (ctx->tally[i].file == file && strcmp(ctx->tally[i].contract, c) == 0)
            return &ctx->tally[i];
    if (ctx->ntally == MAX_TALLY)
        return NULL;
    t = &ctx->tally[ctx->ntally++];
    t->file = file;
    snprintf(t->contract, sizeof t->contract, "%s", c);
    return t;
}

//  Normalise one record, counting for its file and symbol what became of it.
static void
s_process(ctx_t *ctx, md_normalizer_t *norm, replay_t *replay, const dbn_record_t *rec, const char *contract)
{
    ctx->cur = s_tally(ctx, replay_current_file(replay), contract);
    md_normalizer_stats_t before = md_normalizer_stats(norm);
    md_normalizer_process(norm, rec, contract, s_emit, ctx);
    md_normalizer_stats_t after = md_normalizer_stats(norm);
    if (!ctx->cur)
        return;
    //  A record that is not market data emitted none of its own.
    tally_t *owner = after.ignored > before.ignored ? s_other(ctx, ctx->cur->contract, ctx->cur) : ctx->cur;
    if (owner)
        owner->events += ctx->pending;
    ctx->pending = 0;
    ctx->cur->records++;
    ctx->cur->unknown += after.unknown - before.unknown;
    ctx->cur->filtered += after.filtered - before.filtered;
    ctx->cur->ignored += after.ignored - before.ignored;
}

static int
s_usage(int code)
{
    fprintf(code ? stderr : stdout,
            "usage: ofts backtest [--config F] [--set KEY=VALUE]... [--html OUT.html] [--trades]\n"
            "                     [--trades-csv OUT.csv] [--summary-csv OUT.csv] [--quiet | --verbose] FILE...\n"
            "  FILE...          DBN files (.dbn, .dbn.zst), merged by time\n"
            "  --config F       analyzer, risk and paper settings, layered over the defaults\n"
            "  --set KEY=VALUE  one analyzer.*, risk.* or gateway_order.* key over the config\n"
            "  --trades-csv F   the journal: one row per round trip, open positions last\n"
            "  --summary-csv F  the one-row summary `ofts sweep` writes per configuration\n"
            "  --html OUT.html  also write the report with charts (exit 1 if it cannot be written)\n"
            "  --trades         list every trade\n"
            "  --quiet          errors only on stderr (default: warnings and errors)\n"
            "  --verbose        every INFO line of the cores (rejects, orders, progress)\n"
            "  --help           this text\n"
            "exit: 0 ok, 1 a file or the report failed, 2 bad arguments or config\n");
    return code;
}

//  Say, before the run, why a file will give nothing: no market-data schema,
//  or no symbol mappings (records cannot be tied to a contract).
static void
s_check_file(replay_t *replay, size_t index, const char *path)
{
    const dbn_metadata_t *m = replay_metadata(replay, index);
    if (!m)
        return;
    const char *schema = m->schema == DBN_NULL_SCHEMA ? "mixed" : dbn_schema_name(m->schema);
    bool market = m->schema == DBN_NULL_SCHEMA
               || (schema && (strcmp(schema, "trades") == 0 || strncmp(schema, "mbp-", 4) == 0
                              || strcmp(schema, "tbbo") == 0));
    if (!market)
        log_warn("%s: schema %s carries no trades or book: it will yield 0 market events "
                 "(want trades, mbp-1, mbp-10 or tbbo)", path, schema ? schema : "unknown");
    else if (m->mapping_count == 0)
        log_warn("%s: no symbol mappings in its metadata: records cannot be tied to a contract unless the "
                 "file carries instrument definitions (download with symbols mapped, e.g. stype_out "
                 "instrument_id)", path);
}

static const char *
s_why(const tally_t *t)
{
    if (t->unknown)
        return t->contract[0] ? "not in the instrument table" : "no symbol mapping";
    if (t->filtered)
        return "filtered out";
    return "no trade or book record";
}

//  After the run, once: every file, and every symbol of a file, that gave
//  0 market events, with the reason (a wrong schema, no symbol mappings,
//  a contract the instrument table does not know, a spread).
static void
s_explain_no_events(const ctx_t *ctx, const char **files, int nfiles)
{
    for (int f = 0; f < nfiles; f++) {
        uint64_t records = 0, events = 0;
        tally_t sum = { 0 };
        char list[600] = "";
        int listed = 0, more = 0;
        for (size_t i = 0; i < ctx->ntally; i++) {
            const tally_t *t = &ctx->tally[i];
            if (t->file != (size_t) f)
                continue;
            records += t->records;
            events += t->events;
            sum.unknown += t->unknown;
            sum.filtered += t->filtered;
            sum.ignored += t->ignored;
            if (t->events || !t->contract[0])
                continue;
            if (listed < 8) {
                size_t used = strlen(list);
                snprintf(list + used, sizeof list - used, "%s%s (%llu record%s, %s)", listed ? ", " : "",
                         t->contract, (unsigned long long) t->records, t->records == 1 ? "" : "s", s_why(t));
                listed++;
            }
            else
                more++;
        }
        if (records == 0)
            log_warn("%s: 0 market events: the file holds no records", files[f]);
        else if (events == 0)
            log_warn("%s: 0 market events from %llu records: %s", files[f], (unsigned long long) records,
                     sum.unknown ? "its contracts have no symbol mapping or are not in the instrument table "
                                   "(GC SI PL HG NQ and micros)"
                     : sum.filtered ? "every contract was filtered out"
                                    : "none is a trade or book record");
        else if (listed) {
            char tail[48] = "";
            if (more)
                snprintf(tail, sizeof tail, " and %d more symbols", more);
            log_warn("%s: 0 market events for %s%s%s", files[f], list, tail,
                     sum.unknown ? " (the instrument table holds GC SI PL HG NQ and micros)" : "");
        }
    }
}

//  The config file with the --set overrides over it; the sections the
//  cores need (other sections belong to the services' --check-config).
static int
s_load(const char *path, char **sets, int nsets, of_config_t **acfg, risk_config_t *rcfg, paper_config_t *pcfg, ctx_t *ctx)
{
    char err[512];
    ofts_config_t *cfg = ofts_config_load(path, err, sizeof err);
    int rc = cfg ? 0 : -1;
    for (int i = 0; i < nsets && rc == 0; i++) {
        char *eq = strchr(sets[i], '=');
        if (!eq) {
            snprintf(err, sizeof err, "--set %s: want key=value", sets[i]);
            rc = -1;
            break;
        }
        *eq = '\0';
        rc = research_config_set(ofts_config_root(cfg), sets[i], eq + 1, err, sizeof err);
        *eq = '=';
    }
    if (rc == 0)
        rc = research_config_read(cfg, acfg, rcfg, pcfg, ctx->accounts, &ctx->naccounts, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "ofts-backtest: config error: %s\n", err);
    ofts_config_destroy(&cfg);
    return rc;
}

//  A CSV file written by fn, or a failure logged.
static int
s_write_csv(const char *path, void (*fn)(FILE *, void *), void *arg)
{
    FILE *f = fopen(path, "w");
    bool written = false;
    if (f) {
        fn(f, arg);
        written = !ferror(f);
        written = fclose(f) == 0 && written;
    }
    if (!written)
        log_error("cannot write %s: %s", path, strerror(errno));
    return written ? 0 : -1;
}

typedef struct {
    backtest_t *bt;
    risk_config_t *rcfg;
} s_out_t;

static void
s_summary_csv(FILE *f, void *arg)
{
    s_out_t *o = arg;
    research_summary_t sum;
    research_summary_of(o->bt, o->rcfg, &sum);
    research_csv_header(f);
    fputc('\n', f);
    research_csv_row(f, &sum);
    fputc('\n', f);
}

static void
s_trades_csv(FILE *f, void *arg)
{
    s_out_t *o = arg;
    const bt_trade_t *trades;
    size_t nt = backtest_trades(o->bt, &trades), nopen;
    bt_trade_t *open = backtest_open_trades(o->bt, &nopen);
    research_trades_header(f);
    for (size_t i = 0; i < nt; i++)
        research_trades_row(f, &trades[i]);
    for (size_t i = 0; i < nopen; i++)
        research_trades_row(f, &open[i]);
    free(open);
}

int
main(int argc, char **argv)
{
    //  Warnings only by default: two hours of data made 1,149 INFO lines.
    ofts_log_init("backtest", OFTS_LOG_WARN);
    const char *config = ofts_config_default_path(), *html = NULL, *trades_csv = NULL, *summary_csv = NULL;
    char *sets[64];
    int nsets = 0;
    bool list = false;
    const char *files[64];
    int nfiles = 0;
    for (int i = 1; i < argc; i++) {
        bool valued = strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "--html") == 0
                   || strcmp(argv[i], "--set") == 0 || strcmp(argv[i], "--trades-csv") == 0
                   || strcmp(argv[i], "--summary-csv") == 0;
        if (valued && i + 1 >= argc) {
            fprintf(stderr, "ofts backtest: %s needs a value\n", argv[i]);
            return s_usage(2);
        }
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return s_usage(0);
        else if (strcmp(argv[i], "--config") == 0)
            config = argv[++i];
        else if (strcmp(argv[i], "--html") == 0)
            html = argv[++i];
        else if (strcmp(argv[i], "--trades-csv") == 0)
            trades_csv = argv[++i];
        else if (strcmp(argv[i], "--summary-csv") == 0)
            summary_csv = argv[++i];
        else if (strcmp(argv[i], "--set") == 0) {
            if (nsets < 64)
                sets[nsets++] = argv[++i];
        }
        else if (strcmp(argv[i], "--trades") == 0)
            list = true;
        else if (strcmp(argv[i], "--quiet") == 0)
            ofts_log_set_level(OFTS_LOG_ERROR);
        else if (strcmp(argv[i], "--verbose") == 0)
            ofts_log_set_level(OFTS_LOG_INFO);
        else if (argv[i][0] == '-') {
            fprintf(stderr, "ofts backtest: unknown flag '%s'\n", argv[i]);
            return s_usage(2);
        }
        else if (nfiles < 64)
            files[nfiles++] = argv[i];
    }
    if (nfiles == 0)
        return s_usage(2);
    of_config_t *acfg = NULL;
    risk_config_t rcfg;
    paper_config_t pcfg;
    ctx_t *ctx = calloc(1, sizeof *ctx);
    if (s_load(config, sets, nsets, &acfg, &rcfg, &pcfg, ctx) != 0) {
        of_config_destroy(&acfg);
        free(ctx);
        return 2;
    }
    replay_t *replay = replay_new();
    char err[512];
    for (int i = 0; i < nfiles; i++)
        if (replay_add_file(replay, files[i], err, sizeof err) != 0) {
            fprintf(stderr, "ofts-backtest: %s\n", err);
            replay_destroy(&replay);
            of_config_destroy(&acfg);
            free(ctx);
            return 1;
        }
    for (int i = 0; i < nfiles; i++)
        s_check_file(replay, (size_t) i, files[i]);
    //  Each account simulated alone: its own rules, sizing and paper broker
    //  (the orders name no account here; hedging across accounts is not
    //  simulated: every account takes the same signals).
    for (int i = 0; i < ctx->naccounts; i++) {
        risk_config_t one = ctx->naccounts > 1 ? ctx->accounts[i].cfg : rcfg;
        one.multi_account = false;
        backtest_t *bt = backtest_new(acfg, &one, &pcfg);
        if (i == 0)
            ctx->bt = bt;
        else
            ctx->more[i] = bt;
    }
    md_normalizer_t *norm = md_normalizer_new();
    //  As gateway-md does: one record type carries the trades, so a stream
    //  with several schemas never counts a trade twice.
    md_normalizer_set_trade_rtype(norm, replay_trade_rtype(replay));
    int64_t t0 = ofts_clock_mono_ns(), next_progress = t0 + OFTS_NS_PER_SEC;
    const dbn_record_t *rec;
    const char *contract;
    int rc, failed = 0;
    while ((rc = replay_next(replay, &rec, &contract)) != 0) {
        if (rc < 0) {
            log_error("backtest: %s (file dropped, going on with the others)", replay_error(replay));
            failed = 1;
            continue;
        }
        s_process(ctx, norm, replay, rec, contract);
        if ((replay_records(replay) & 0xFFFF) == 0 && ofts_clock_mono_ns() >= next_progress) {
            log_info("backtest: %.0f%%, %llu records", replay_progress(replay) * 100.0,
                     (unsigned long long) replay_records(replay));
            next_progress = ofts_clock_mono_ns() + OFTS_NS_PER_SEC;
        }
    }
    double secs = (double) (ofts_clock_mono_ns() - t0) / 1e9;
    backtest_finish(ctx->bt);
    uint64_t events = backtest_events(ctx->bt);
    s_explain_no_events(ctx, files, nfiles);
    const bt_trade_t *trades;
    size_t nt = backtest_trades(ctx->bt, &trades);
    report_t *report = report_new(trades, nt);
    printf("ofts backtest: %llu records, %llu market events in %.2f s (%.2f M events/s)\n",
           (unsigned long long) replay_records(replay), (unsigned long long) events, secs,
           secs > 0 ? (double) events / secs / 1e6 : 0.0);
    printf("signals %llu, approved %llu, rejected %llu, open P&L $%.2f\n\n",
           (unsigned long long) backtest_signals(ctx->bt), (unsigned long long) backtest_approved(ctx->bt),
           (unsigned long long) backtest_rejected(ctx->bt), backtest_open_pnl_cents(ctx->bt) / 100.0);
    if (ctx->naccounts > 1)
        printf("account %s (the first of %d; all of them below):\n", ctx->accounts[0].cfg.account_id, ctx->naccounts);
    report_print(report, stdout);
    if (ctx->naccounts > 1)
        s_print_accounts(ctx);
    if (list) {
        printf("\ntrades\n");
        for (size_t i = 0; i < nt; i++) {
            char a[32], b[32], when[48];
            ofts_clock_format(trades[i].entry_ts, when, sizeof when);
            printf("  %.19s %-3s %-5s %u @ %s -> %s (%s) %+.2f  %s\n", when, trades[i].symbol,
                   trades[i].direction > 0 ? "long" : "short", trades[i].quantity,
                   ofts_price_str(trades[i].entry_px, a, sizeof a), ofts_price_str(trades[i].exit_px, b, sizeof b),
                   trades[i].exit_role, trades[i].pnl_cents / 100.0, trades[i].reasons);
        }
    }
    if (html) {
        //  A report that was asked for and not written is a failure.
        FILE *f = fopen(html, "w");
        bool written = false;
        if (f) {
            report_html(report, ctx->bt, f);
            written = !ferror(f);
            written = fclose(f) == 0 && written;
        }
        if (!written) {
            log_error("cannot write the HTML report %s: %s", html, strerror(errno));
            failed = 1;
        }
        else
            printf("\nHTML report: %s\n", html);
    }
    s_out_t out = { ctx->bt, &rcfg };
    if (trades_csv && s_write_csv(trades_csv, s_trades_csv, &out) != 0)
        failed = 1;
    if (summary_csv && s_write_csv(summary_csv, s_summary_csv, &out) != 0)
        failed = 1;
    report_destroy(&report);
    md_normalizer_destroy(&norm);
    backtest_destroy(&ctx->bt);
    for (int i = 1; i < ctx->naccounts; i++)
        backtest_destroy(&ctx->more[i]);
    free(ctx);
    replay_destroy(&replay);
    of_config_destroy(&acfg);
    return failed;
}
