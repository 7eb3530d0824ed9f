/*  bench-analyzer - analyzer core throughput on a large generated stream.

    A pool of 2^20 compact events (5 contracts; 40% trades, 45% top-of-book,
    15% ten-level depth) is replayed 12 times with shifted timestamps: 12.6 M
    events through of_engine, once with only the signal callback (as a
    backtest may run it) and once with both callbacks set (as the service
    runs it: a full Metrics after every event) - the RESULT is the latter.
    The baseline reads the same events from memory and sums sizes.
    Last line:
      RESULT analyzer_core <events/s> events/s ratio=<core_ns/baseline_ns> vs memory_read */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "of_engine.h"
#include "ofts_clock.h"

#define POOL (1u << 20)
#define PASSES 12
#define NSYM 5
#define DEPTHS 16        //  per symbol: a just-decoded message is in cache, as in the service
#define SEC_BASE (1796076000LL * OFTS_NS_PER_SEC)   //  Mon 2026-11-30 10:00 CST

typedef struct {
    uint8_t kind;                   //  0 trade, 1 bbo, 2 depth
    uint8_t sym;
    uint8_t side;
    uint16_t depth;
    uint32_t size, bid_sz, ask_sz;
    int64_t ts;
    int64_t price;                  //  trade price or bid
} s_event_t;

static const char *s_syms[NSYM] = { "GC", "SI", "PL", "HG", "NQ" };
static const char *s_cons[NSYM] = { "GCZ6", "SIZ6", "PLF7", "HGZ6", "NQZ6" };
static const char *s_mids[NSYM] = { "2350", "30", "1000", "4.5", "18000" };
static const char *s_ticks[NSYM] = { "0.1", "0.005", "0.1", "0.0005", "0.25" };

static int64_t
s_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * OFTS_NS_PER_SEC + ts.tv_nsec;
}

static uint64_t s_rng = 88172645463325252ULL;
static uint32_t
s_rand(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return (uint32_t) (s_rng >> 11);
}

typedef struct {
    Ofts__Depth depth;
    Ofts__Level levels[10];
    Ofts__Level *ptrs[10];
} s_depth_t;

static uint64_t s_metric_calls, s_signal_calls;
static double s_sink;

static void
s_on_metrics(void *arg, const Ofts__Metrics *m, int64_t ts)
{
    (void) arg;
    (void) ts;
    s_metric_calls++;
    s_sink += m->imbalance_ratio;
}

static void
s_on_signal(void *arg, const Ofts__Signal *s, int64_t ts)
{
    (void) arg;
    (void) ts;
    (void) s;
    s_signal_calls++;
}

//  One run of the whole stream through a fresh engine; returns elapsed ns.
static int64_t
s_run_core(s_event_t *pool, s_depth_t *depths, int64_t *tick, int64_t span, bool with_metrics,
           uint64_t *rejected)
{
    of_config_t *cfg = of_config_new(NULL);
    of_engine_t *engine = of_engine_new(cfg);
    if (with_metrics)
        of_engine_set_metrics_fn(engine, s_on_metrics, NULL);
    of_engine_set_signal_fn(engine, s_on_signal, NULL);
    Ofts__Trade trade[NSYM];
    Ofts__TopOfBook bbo[NSYM];
    for (int s = 0; s < NSYM; s++) {
        ofts__trade__init(&trade[s]);
        trade[s].symbol = (char *) s_syms[s];
        trade[s].contract = (char *) s_cons[s];
        ofts__top_of_book__init(&bbo[s]);
        bbo[s].symbol = (char *) s_syms[s];
        bbo[s].contract = (char *) s_cons[s];
    }
    int64_t t0 = s_mono();
    for (int pass = 0; pass < PASSES; pass++)
        for (uint32_t i = 0; i < POOL; i++) {
            const s_event_t *e = &pool[i];
            int64_t ets = e->ts + pass * span;
            if (e->kind == 0) {
                Ofts__Trade *t = &trade[e->sym];
                t->price = e->price;
                t->size = e->size;
                t->aggressor = (Ofts__Side) e->side;
                of_engine_trade(engine, t, ets);
            }
            else if (e->kind == 1) {
                Ofts__TopOfBook *b = &bbo[e->sym];
                b->bid_px = e->price;
                b->ask_px = e->price + tick[e->sym];
                b->bid_sz = e->bid_sz;
                b->ask_sz = e->ask_sz;
                of_engine_bbo(engine, b, ets);
            }
            else
                of_engine_depth(engine, &depths[e->sym * DEPTHS + e->depth].depth, ets);
        }
    int64_t elapsed = s_mono() - t0;
    *rejected = of_engine_rejected(engine);
    of_engine_destroy(&engine);
    of_config_destroy(&cfg);
    return elapsed;
}

int
main(void)
{
    int64_t mid[NSYM], tick[NSYM];
    for (int s = 0; s < NSYM; s++) {
        ofts_price_parse(s_mids[s], &mid[s]);
        ofts_price_parse(s_ticks[s], &tick[s]);
    }
    s_event_t *pool = malloc(POOL * sizeof *pool);
    int64_t ts = SEC_BASE;
    uint32_t ntrades = 0, nbbo = 0, ndepth = 0;
    for (uint32_t i = 0; i < POOL; i++) {
        uint32_t r = s_rand();
        s_event_t *e = &pool[i];
        e->sym = (uint8_t) (r % NSYM);
        ts += (int64_t) (s_rand() % 2000) * 1000;           //  0..2 ms apart
        e->ts = ts;
        uint32_t k = (r >> 4) % 100;
        int regime = (int) ((i >> 14) % 3);                  //  buy-heavy, sell-heavy, mixed
        if (k < 40) {
            e->kind = 0;
            uint32_t roll = (r >> 12) % 100;
            e->side = roll < 4 ? 0 : regime == 0 ? (roll < 85 ? 1 : 2)
                    : regime == 1 ? (roll < 85 ? 2 : 1) : (roll < 52 ? 1 : 2);
            mid[e->sym] += e->side == 1 ? tick[e->sym] / 4 : -tick[e->sym] / 4;
            e->price = ofts_price_round(mid[e->sym], tick[e->sym], OFTS_ROUND_NEAREST);
            e->size = 1 + (s_rand() % 1000 < 980 ? s_rand() % 8 : s_rand() % 60);
            ntrades++;
        }
        else if (k < 85) {
            e->kind = 1;
            e->price = ofts_price_round(mid[e->sym], tick[e->sym], OFTS_ROUND_DOWN);
            e->bid_sz = 1 + s_rand() % 40;
            e->ask_sz = 1 + s_rand() % 40;
            e->size = e->bid_sz;
            nbbo++;
        }
        else {
            e->kind = 2;
            e->depth = (uint16_t) (s_rand() % DEPTHS);
            e->size = 1;
            ndepth++;
        }
    }
    //  Depth books per symbol: prices around each symbol's start, random sizes.
    s_depth_t *depths = calloc((size_t) NSYM * DEPTHS, sizeof *depths);
    for (int s = 0; s < NSYM; s++)
        for (int j = 0; j < DEPTHS; j++) {
            s_depth_t *d = &depths[s * DEPTHS + j];
            ofts__depth__init(&d->depth);
            d->depth.symbol = (char *) s_syms[s];
            d->depth.contract = (char *) s_cons[s];
            d->depth.n_levels = 10;
            d->depth.levels = d->ptrs;
            int64_t bid;
            ofts_price_parse(s_mids[s], &bid);
            for (int l = 0; l < 10; l++) {
                ofts__level__init(&d->levels[l]);
                d->levels[l].bid_px = bid - l * tick[s];
                d->levels[l].ask_px = bid + (l + 1) * tick[s];
                d->levels[l].bid_sz = 1 + s_rand() % 60;
                d->levels[l].ask_sz = 1 + s_rand() % 60;
                d->ptrs[l] = &d->levels[l];
            }
        }
    int64_t span = ts - SEC_BASE + OFTS_NS_PER_SEC;
    uint64_t total = (uint64_t) POOL * PASSES;

    //  Baseline: read the same events, sum sizes.
    int64_t t0 = s_mono();
    uint64_t sum = 0;
    for (int pass = 0; pass < PASSES; pass++)
        for (uint32_t i = 0; i < POOL; i++)
            sum += pool[i].size + (uint64_t) (pool[i].ts + pass * span);
    int64_t base_ns = s_mono() - t0;

    //  As the backtester may run it: signals only, no metrics callback.
    uint64_t rejected = 0;
    int64_t lean_ns = s_run_core(pool, depths, tick, span, false, &rejected);
    uint64_t lean_signals = s_signal_calls;
    //  As the service runs it: metrics after every event, and signals.
    s_signal_calls = 0;
    int64_t core_ns = s_run_core(pool, depths, tick, span, true, &rejected);

    double core_per = (double) core_ns / (double) total;
    double base_per = (double) base_ns / (double) total;
    double rate = (double) total / ((double) core_ns / 1e9);
    printf("bench-analyzer: %llu events (%u trades, %u bbo, %u depth per pass of %u), %d contracts, %.1f h of event time\n",
           (unsigned long long) total, ntrades, nbbo, ndepth, POOL, NSYM,
           (double) span * PASSES / 3.6e12);
    printf("core, signals only:        %.1f ns/event, %.2f M events/s, %llu signals\n",
           (double) lean_ns / (double) total, (double) total / ((double) lean_ns / 1e9) / 1e6,
           (unsigned long long) lean_signals);
    printf("core, metrics every event: %.1f ns/event, %.2f M events/s, %llu signals, %llu metrics callbacks, rejected %llu\n",
           core_per, rate / 1e6, (unsigned long long) s_signal_calls,
           (unsigned long long) s_metric_calls, (unsigned long long) rejected);
    printf("baseline:                  %.2f ns/event (read + sum sizes, checksum %llu)\n", base_per,
           (unsigned long long) (sum & 0xffff));
    printf("RESULT analyzer_core %.0f events/s ratio=%.2f vs memory_read\n", rate, core_per / base_per);
    free(depths);
    free(pool);
    return s_sink == 12345.678 ? 1 : 0;
}
