/*  bench-sweep: a 64-configuration grid over one simulated hour of the five
    symbols, in configuration-events per second, against 64 x one
    backtest_on_md pass over the same events in the same run.

    The hour is sim_market (seed 42, start 2026-11-30 14:30 UTC), decoded
    and normalised once into the sweep's event store (not timed: both sides
    read the same stored events). The grid: analyzer.imbalance_threshold
    0.5..0.8 (4) x risk.cooldown_minutes 1,3,5,7 x risk.fixed_contracts
    1..4 over the defaults: one metrics group, 64 rule/risk/broker sets.
        baseline   one backtest (backtest_new: its own analyzer) fed every
                   event with backtest_on_md; x 64
        sweep      sweep_run on every core (sysconf), 64 configurations
    Best of REPS each. The ratio is baseline time / sweep time: how many
    times faster than 64 separate backtests (>= 8 is the goal).         */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "backtest.h"
#include "bench_util.h"
#include "md_normalizer.h"
#include "ofts_clock.h"
#include "ofts_log.h"
#include "research.h"
#include "sim_market.h"
#include "sweep.h"

#define MINUTES 60
#define REPS 2

typedef struct {
    sim_config_t cfg;
    md_normalizer_t *norm;
    sweep_data_t *data;
} gen_t;

static void
s_emit(const char *topic, Ofts__Envelope *env, void *arg)
{
    (void) topic;
    sweep_data_add(arg, env);
}

static void
s_record(void *arg, const dbn_record_t *rec)
{
    gen_t *g = arg;
    md_normalizer_process(g->norm, rec, sim_config_contract(&g->cfg, rec->instrument_id), s_emit, g->data);
}

static void
s_on_md(void *arg, Ofts__Envelope *env)
{
    backtest_on_md(arg, "md", env);
}

//  One full backtest over the stored events; returns wall ns.
static int64_t
s_one_backtest(sweep_data_t *data, size_t *trades)
{
    of_config_t *acfg = of_config_new(NULL);
    risk_config_t rcfg;
    risk_config_defaults(&rcfg);
    paper_config_t pcfg;
    paper_config_defaults(&pcfg);
    backtest_t *bt = backtest_new(acfg, &rcfg, &pcfg);
    int64_t t0 = bench_now_ns();
    sweep_data_each(data, s_on_md, bt);
    backtest_finish(bt);
    int64_t ns = bench_now_ns() - t0;
    const bt_trade_t *t;
    *trades = backtest_trades(bt, &t);
    backtest_destroy(&bt);
    of_config_destroy(&acfg);
    return ns;
}

//  CPU time of the whole process (every thread), ns.
static int64_t
s_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int
main(void)
{
    ofts_log_init("bench-sweep", OFTS_LOG_WARN);
    gen_t g;
    int64_t start = (ofts_days_from_civil(2026, 11, 30) * 86400 + 14 * 3600 + 30 * 60) * OFTS_NS_PER_SEC;
    sim_config_default(&g.cfg, 42, start, (int64_t) MINUTES * 60 * OFTS_NS_PER_SEC);
    g.norm = md_normalizer_new();
    md_normalizer_set_trade_rtype(g.norm, DBN_RTYPE_MBP0);
    g.data = sweep_data_new();
    sim_market_t *sim = sim_market_new(&g.cfg);
    sim_market_run(sim, s_record, &g);
    sim_market_destroy(&sim);
    md_normalizer_destroy(&g.norm);
    size_t events = sweep_data_events(g.data);
    printf("simulated %d min, five symbols: %zu market events (decoded once, not timed)\n", MINUTES, events);

    char err[512];
    sweep_grid_t *grid = sweep_grid_new();
    const char *axes[] = { "analyzer.imbalance_threshold=0.5:0.8:0.1", "risk.cooldown_minutes=1,3,5,7",
                           "risk.fixed_contracts=1,2,3,4" };
    for (size_t i = 0; i < 3; i++)
        if (sweep_grid_add(grid, axes[i], err, sizeof err) != 0) {
            fprintf(stderr, "bench-sweep: %s\n", err);
            return 1;
        }
    ofts_config_t *cfg = ofts_config_parse("{}", "bench", err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "bench-sweep: %s\n", err);
        return 1;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int jobs = cores > 0 ? (int) cores : 1;
    int64_t best_one = INT64_MAX, best_sweep = INT64_MAX, best_cpu = INT64_MAX;
    size_t trades = 0, nconfigs = sweep_grid_size(grid);
    for (int r = 0; r < REPS; r++) {
        int64_t ns = s_one_backtest(g.data, &trades);
        if (ns < best_one)
            best_one = ns;
        sweep_t *sweep = sweep_new(ofts_config_root(cfg), grid, 0, nconfigs, err, sizeof err);
        if (!sweep) {
            fprintf(stderr, "bench-sweep: %s\n", err);
            return 1;
        }
        int64_t t0 = bench_now_ns(), c0 = s_cpu_ns();
        sweep_run(sweep, g.data, jobs, false);
        ns = bench_now_ns() - t0;
        if (ns < best_sweep)
            best_sweep = ns;
        if (s_cpu_ns() - c0 < best_cpu)
            best_cpu = s_cpu_ns() - c0;
        if (r == 0)
            printf("grid: %zu configurations, %zu metrics group(s); configuration 0 closed %d trades\n", nconfigs,
                   sweep_groups(sweep), sweep_result(sweep, 0)->summary.trades);
        sweep_destroy(&sweep);
    }
    double ce = (double) events * (double) nconfigs;
    double base_ns = (double) best_one * (double) nconfigs;
    printf("best of %d:\n", REPS);
    printf("  one backtest_on_md pass   %9zu events  %8.1f ms  %6.2f M events/s  (%zu round trips)\n", events,
           (double) best_one / 1e6, (double) events / ((double) best_one / 1e9) / 1e6, trades);
    printf("  64 x that (baseline)      %9.0f configuration-events  %8.1f ms  %6.2f M/s\n", ce, base_ns / 1e6,
           ce / (base_ns / 1e9) / 1e6);
    printf("  sweep, %d thread(s)        %9.0f configuration-events  %8.1f ms  %6.2f M/s\n", jobs, ce,
           (double) best_sweep / 1e6, ce / ((double) best_sweep / 1e9) / 1e6);
    //  CPU time is what the sweep itself costs; on a machine shared with
    //  other work the wall time above also holds the time its threads
    //  waited for a core. Not the RESULT: a figure to compare runs by.
    printf("  sweep CPU time            %9.0f configuration-events  %8.1f ms  %6.2f M per CPU-second"
           " (x %d cores = %.1f M/s on idle cores)\n", ce, (double) best_cpu / 1e6,
           ce / ((double) best_cpu / 1e9) / 1e6, jobs, ce / ((double) best_cpu / 1e9) / 1e6 * jobs);
    printf("RESULT sweep_config_events_per_sec %.0f configuration-events/s ratio=%.2f vs 64x_backtest_on_md\n",
           ce / ((double) best_sweep / 1e9), base_ns / (double) best_sweep);
    ofts_config_destroy(&cfg);
    sweep_grid_destroy(&grid);
    sweep_data_destroy(&g.data);
    return 0;
}
