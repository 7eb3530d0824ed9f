/*  bench-backtest: backtest events/s on one core over a large simulated
    stream, against decode + normalise alone of the same bytes.

    The stream is an hour of sim_market (seed 42, five symbols) encoded as
    plain DBN v3 records in memory (no file, no zstd: what is measured is
    decode + normalise + cores, not the disk or the decompressor). Each pass
    decodes the bytes from the start with the sans-I/O decoder in 1 MiB
    chunks, as dbn_file does:
        baseline   decode -> md_normalizer (envelopes counted, dropped)
        backtest   decode -> md_normalizer -> backtest_on_md (analyzer,
                   risk, order manager, paper broker: ofts-backtest's loop)
    Best of REPS passes each; events = market-data envelopes.              */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backtest.h"
#include "bench_util.h"
#include "dbn_decoder.h"
#include "dbn_encoder.h"
#include "md_normalizer.h"
#include "ofts_clock.h"
#include "ofts_log.h"
#include "sim_market.h"

#define MINUTES 60
#define REPS 5
#define CHUNK (1 << 20)

typedef struct {
    sim_config_t cfg;
    dbn_encoder_t *enc;
    uint64_t records;
} gen_t;

typedef struct {
    backtest_t *bt;
    uint64_t events;
} pass_t;

static void
s_write(void *arg, const dbn_record_t *rec)
{
    gen_t *g = arg;
    if (dbn_encoder_write(g->enc, rec) == 0)
        g->records++;
}

static void
s_emit(const char *topic, Ofts__Envelope *env, void *arg)
{
    pass_t *p = arg;
    p->events++;
    if (p->bt)
        backtest_on_md(p->bt, topic, env);
}

//  One pass over the bytes; returns wall ns. Trades closed -> *trades.
static int64_t
s_pass(const sim_config_t *cfg, const uint8_t *bytes, size_t len, bool cores, uint64_t *events,
       size_t *trades)
{
    of_config_t *acfg = of_config_new(NULL);
    risk_config_t rcfg;
    risk_config_defaults(&rcfg);
    paper_config_t pcfg;
    paper_config_defaults(&pcfg);
    pass_t p = { cores ? backtest_new(acfg, &rcfg, &pcfg) : NULL, 0 };
    md_normalizer_t *norm = md_normalizer_new();
    md_normalizer_set_trade_rtype(norm, DBN_RTYPE_MBP0);
    dbn_decoder_t *dec = dbn_decoder_new_fragment(3, false);
    int64_t t0 = bench_now_ns();
    for (size_t off = 0; off < len; off += CHUNK) {
        size_t n = len - off < CHUNK ? len - off : CHUNK;
        dbn_decoder_feed(dec, bytes + off, n);
        const dbn_record_t *rec;
        while (dbn_decoder_next(dec, &rec) == 1)
            md_normalizer_process(norm, rec, sim_config_contract(cfg, rec->instrument_id), s_emit, &p);
    }
    if (p.bt)
        backtest_finish(p.bt);
    int64_t ns = bench_now_ns() - t0;
    *events = p.events;
    *trades = 0;
    if (p.bt) {
        const bt_trade_t *t;
        *trades = backtest_trades(p.bt, &t);
        backtest_destroy(&p.bt);
    }
    dbn_decoder_destroy(&dec);
    md_normalizer_destroy(&norm);
    of_config_destroy(&acfg);
    return ns;
}

int
main(void)
{
    //  Warnings only: the per-order info lines are ofts-backtest's report,
    //  not its engine.
    ofts_log_init("bench-backtest", OFTS_LOG_WARN);
    gen_t g = { .records = 0 };
    //  2026-11-30T14:30:00Z: a Monday morning inside every session.
    int64_t start = (ofts_days_from_civil(2026, 11, 30) * 86400 + 14 * 3600 + 30 * 60) * OFTS_NS_PER_SEC;
    sim_config_default(&g.cfg, 42, start, (int64_t) MINUTES * 60 * OFTS_NS_PER_SEC);
    g.enc = dbn_encoder_new_fragment_mem(3, false, false);
    sim_market_t *sim = sim_market_new(&g.cfg);
    int64_t t0 = bench_now_ns();
    sim_market_run(sim, s_write, &g);
    sim_market_destroy(&sim);
    dbn_encoder_close(g.enc);
    size_t len;
    const uint8_t *bytes = dbn_encoder_bytes(g.enc, &len);
    printf("simulated %d min: %llu records, %.1f MB of DBN in %.2f s\n", MINUTES,
           (unsigned long long) g.records, (double) len / 1e6, (double) (bench_now_ns() - t0) / 1e9);

    int64_t best_base = INT64_MAX, best_bt = INT64_MAX;
    uint64_t ev_base = 0, ev_bt = 0;
    size_t trades = 0, first_trades = 0;
    for (int r = 0; r < REPS; r++) {
        size_t nt;
        int64_t ns = s_pass(&g.cfg, bytes, len, false, &ev_base, &nt);
        if (ns < best_base)
            best_base = ns;
        ns = s_pass(&g.cfg, bytes, len, true, &ev_bt, &trades);
        if (ns < best_bt)
            best_bt = ns;
        if (r == 0)
            first_trades = trades;
        else if (trades != first_trades) {
            fprintf(stderr, "bench-backtest: pass %d closed %zu trades, pass 0 %zu\n", r, trades, first_trades);
            return 1;
        }
    }
    dbn_encoder_destroy(&g.enc);
    double base_rate = (double) ev_base / ((double) best_base / 1e9);
    double bt_rate = (double) ev_bt / ((double) best_bt / 1e9);
    printf("best of %d passes, one thread:\n", REPS);
    printf("  decode + normalise        %9llu events  %7.1f ms  %6.2f M events/s\n",
           (unsigned long long) ev_base, (double) best_base / 1e6, base_rate / 1e6);
    printf("  decode + normalise + cores%9llu events  %7.1f ms  %6.2f M events/s  (%zu round trips)\n",
           (unsigned long long) ev_bt, (double) best_bt / 1e6, bt_rate / 1e6, trades);
    printf("  cores alone (difference)  %6.0f ns/event\n",
           ((double) best_bt - (double) best_base) / (double) ev_bt);
    printf("RESULT backtest_events_per_sec %.0f events/s ratio=%.2f vs decode_normalize\n", bt_rate,
           bt_rate / base_rate);
    return 0;
}
