/*  ofts-backtest - `ofts backtest [--config F] [--html OUT] [--trades] FILE...`

    Replays DBN files through the same cores the live services run (in one
    process, no bus, market time), prints the report, and writes an HTML
    page with charts when asked. Several files are merged by time.        */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backtest.h"
#include "md_normalizer.h"
#include "ofts_clock.h"
#include "ofts_config.h"
#include "ofts_instrument.h"
#include "ofts_log.h"
#include "replay.h"
#include "report.h"

typedef struct {
    backtest_t *bt;
} ctx_t;

static void
s_emit(const char *topic, Ofts__Envelope *env, void *arg)
{
    ctx_t *ctx = arg;
    backtest_on_md(ctx->bt, topic, env);
}

static int
s_usage(void)
{
    fprintf(stderr, "usage: ofts backtest [--config F] [--html OUT.html] [--trades] FILE...\n");
    return 2;
}

//  Read the sections the cores need. Keys of other sections belong to the
//  services and are checked by their --check-config.
static int
s_load(const char *path, of_config_t **acfg, risk_config_t *rcfg, paper_config_t *pcfg)
{
    char err[512];
    ofts_config_t *cfg = ofts_config_load(path, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "ofts-backtest: config error: %s\n", err);
        return -1;
    }
    ofts_cfgsec_t *a = ofts_config_section(cfg, "analyzer");
    *acfg = of_config_new(a);
    ofts_cfgsec_t *r = ofts_config_section(cfg, "risk");
    risk_config_defaults(rcfg);
    risk_config_read(rcfg, r);
    ofts_cfgsec_string(r, "clock", NULL);  //  the backtest always runs on market time
    paper_config_defaults(pcfg);
    ofts_cfgsec_t *g = ofts_config_section(cfg, "gateway_order");
    paper_config_read(pcfg, g);
    int rc = 0;
    if (ofts_cfgsec_finish(&a, err, sizeof err) != 0 || ofts_cfgsec_finish(&r, err, sizeof err) != 0) {
        fprintf(stderr, "ofts-backtest: config error: %s\n", err);
        rc = -1;
    }
    ofts_cfgsec_finish(&a, NULL, 0);
    ofts_cfgsec_finish(&r, NULL, 0);
    ofts_cfgsec_finish(&g, NULL, 0);      //  gateway-order checks its own keys
    ofts_config_destroy(&cfg);
    return rc;
}

int
main(int argc, char **argv)
{
    ofts_log_init("backtest", OFTS_LOG_INFO);
    const char *config = ofts_config_default_path(), *html = NULL;
    bool list = false;
    const char *files[64];
    int nfiles = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config = argv[++i];
        else if (strcmp(argv[i], "--html") == 0 && i + 1 < argc)
            html = argv[++i];
        else if (strcmp(argv[i], "--trades") == 0)
            list = true;
        else if (argv[i][0] == '-')
            return s_usage();
        else if (nfiles < 64)
            files[nfiles++] = argv[i];
    }
    if (nfiles == 0)
        return s_usage();
    of_config_t *acfg = NULL;
    risk_config_t rcfg;
    paper_config_t pcfg;
    if (s_load(config, &acfg, &rcfg, &pcfg) != 0) {
        of_config_destroy(&acfg);
        return 2;
    }
    replay_t *replay = replay_new();
    char err[512];
    for (int i = 0; i < nfiles; i++)
        if (replay_add_file(replay, files[i], err, sizeof err) != 0) {
            fprintf(stderr, "ofts-backtest: %s\n", err);
            replay_destroy(&replay);
            of_config_destroy(&acfg);
            return 1;
        }
    ctx_t ctx = { backtest_new(acfg, &rcfg, &pcfg) };
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
        md_normalizer_process(norm, rec, contract, s_emit, &ctx);
        if ((replay_records(replay) & 0xFFFF) == 0 && ofts_clock_mono_ns() >= next_progress) {
            log_info("backtest: %.0f%%, %llu records", replay_progress(replay) * 100.0,
                     (unsigned long long) replay_records(replay));
            next_progress = ofts_clock_mono_ns() + OFTS_NS_PER_SEC;
        }
    }
    double secs = (double) (ofts_clock_mono_ns() - t0) / 1e9;
    backtest_finish(ctx.bt);
    uint64_t events = backtest_events(ctx.bt);
    const bt_trade_t *trades;
    size_t nt = backtest_trades(ctx.bt, &trades);
    report_t *report = report_new(trades, nt);
    printf("ofts backtest: %llu records, %llu market events in %.2f s (%.2f M events/s)\n",
           (unsigned long long) replay_records(replay), (unsigned long long) events, secs,
           secs > 0 ? (double) events / secs / 1e6 : 0.0);
    printf("signals %llu, approved %llu, rejected %llu, open P&L $%.2f\n\n",
           (unsigned long long) backtest_signals(ctx.bt), (unsigned long long) backtest_approved(ctx.bt),
           (unsigned long long) backtest_rejected(ctx.bt), backtest_open_pnl_cents(ctx.bt) / 100.0);
    report_print(report, stdout);
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
        FILE *f = fopen(html, "w");
        if (f) {
            report_html(report, ctx.bt, f);
            fclose(f);
            printf("\nHTML report: %s\n", html);
        }
        else
            log_error("cannot write %s", html);
    }
    report_destroy(&report);
    md_normalizer_destroy(&norm);
    backtest_destroy(&ctx.bt);
    replay_destroy(&replay);
    of_config_destroy(&acfg);
    return failed;
}
