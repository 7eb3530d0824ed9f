/*  fuzz-analyzer - libFuzzer target for the analyzer core (OFTS_FUZZ=ON, clang).

    The input is read as a stream of 12-byte events (trade / top of book /
    depth on GC, SI or NQ, with arbitrary sides, sizes, price moves, book
    sizes and time steps, including time going backwards) fed to of_engine.
    Beyond "no crash, no sanitizer report", every callback checks the
    invariants the rest of the system relies on:
      metrics: ratios within their ranges, blocks <= trades <= volume;
      signals: confidence in [min_confidence, 1], entry/stop/take profit on
               the tick, stop and take profit on the right sides of entry. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "of_engine.h"
#include "ofts_instrument.h"

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "invariant failed: %s\n", #cond); abort(); } } while (0)

//  Counted so the cmocka replay can prove the signal checks actually ran.
uint64_t of_fuzz_signals, of_fuzz_metrics;

static const char *s_syms[3] = { "GC", "SI", "NQ" };
static const char *s_cons[3] = { "GCZ6", "SIZ6", "NQZ6" };

static void
s_on_metrics(void *arg, const Ofts__Metrics *m, int64_t ts)
{
    (void) arg;
    (void) ts;
    of_fuzz_metrics++;
    CHECK(m->imbalance_ratio >= -1.0 && m->imbalance_ratio <= 1.0);
    CHECK(m->aggressive_buy_ratio >= 0.0 && m->aggressive_sell_ratio >= 0.0);
    CHECK(m->aggressive_buy_ratio + m->aggressive_sell_ratio <= 1.0 + 1e-12);
    CHECK(m->depth_imbalance >= -1.0 && m->depth_imbalance <= 1.0);
    CHECK(m->trade_intensity >= 0.0 && m->intensity_ratio >= 0.0);
    CHECK(m->block_trades <= m->window_trades);
    CHECK(m->window_trades <= m->window_volume);
    CHECK((m->window_volume == 0) == (m->vwap == INT64_MAX));
}

static void
s_on_signal(void *arg, const Ofts__Signal *s, int64_t ts)
{
    (void) ts;
    of_config_t *cfg = arg;
    of_fuzz_signals++;
    const ofts_instrument_t *ins = ofts_instrument_find(s->symbol);
    CHECK(ins);
    const of_params_t *p = of_config_params(cfg, ins);
    CHECK(s->confidence <= 1.0 && s->confidence * OF_PPM >= (double) p->min_confidence - 0.5);
    CHECK(s->entry % ins->tick == 0 && s->stop % ins->tick == 0 && s->take_profit % ins->tick == 0);
    if (s->direction == OFTS__SIDE__SIDE_BUY)
        CHECK(s->stop < s->entry && s->entry < s->take_profit);
    else
        CHECK(s->direction == OFTS__SIDE__SIDE_SELL && s->take_profit < s->entry && s->entry < s->stop);
    CHECK(strncmp(s->id, s->symbol, strlen(s->symbol)) == 0);
    CHECK(s->reasons[0] != '\0' && s->metrics);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    //  Small windows and thresholds so short inputs reach the signal path.
    static const char *text =
        "{\"analyzer\":{\"preset\":\"aggressive\",\"min_trades\":3,\"window_seconds\":5,"
        "\"window_trades\":50,\"intensity_sample_seconds\":1,\"intensity_avg_samples\":3,"
        "\"rearm_seconds\":1,\"cumulative_delta_threshold\":20,\"rewind_seconds\":0}}";
    char err[256];
    ofts_config_t *c = ofts_config_parse(text, "fuzz", err, sizeof err);
    ofts_cfgsec_t *sec = ofts_config_section(c, "analyzer");
    of_config_t *cfg = of_config_new(sec);
    CHECK(ofts_cfgsec_finish(&sec, err, sizeof err) == 0);
    of_engine_t *engine = of_engine_new(cfg);
    of_engine_set_metrics_fn(engine, s_on_metrics, NULL);
    of_engine_set_signal_fn(engine, s_on_signal, cfg);

    int64_t mid[3] = { 2350000000000LL, 30000000000LL, 18000000000000LL };
    int64_t ts = 1796076000LL * 1000000000LL;
    Ofts__Level levels[10], *ptrs[10];
    for (size_t i = 0; i + 12 <= size; i += 12) {
        const uint8_t *e = data + i;
        int sym = e[1] % 3;
        int16_t move;
        uint16_t step;
        memcpy(&move, e + 4, 2);
        memcpy(&step, e + 6, 2);
        mid[sym] += (int64_t) move * 1000000;
        ts += (step & 0x8000) ? -(int64_t) (step & 0x7fff) * 1000000 : (int64_t) step * 10000000;
        switch (e[0] % 3) {
        case 0: {
            Ofts__Trade t = OFTS__TRADE__INIT;
            t.symbol = (char *) s_syms[sym];
            t.contract = (char *) s_cons[sym];
            t.price = e[3] == 0xff ? INT64_MAX : mid[sym];
            t.size = e[3];
            t.aggressor = (Ofts__Side) (e[2] % 4);
            of_engine_trade(engine, &t, ts);
            break;
        }
        case 1: {
            Ofts__TopOfBook b = OFTS__TOP_OF_BOOK__INIT;
            b.symbol = (char *) s_syms[sym];
            b.contract = (char *) s_cons[sym];
            b.bid_px = e[2] & 1 ? INT64_MAX : mid[sym];
            b.ask_px = e[2] & 2 ? INT64_MAX : mid[sym] + 1000000 * (e[2] >> 2);
            b.bid_sz = e[8];
            b.ask_sz = e[9];
            of_engine_bbo(engine, &b, ts);
            break;
        }
        default: {
            Ofts__Depth d = OFTS__DEPTH__INIT;
            d.symbol = (char *) s_syms[sym];
            d.contract = (char *) s_cons[sym];
            d.n_levels = e[10] % 11;
            d.levels = ptrs;
            for (size_t l = 0; l < d.n_levels; l++) {
                ofts__level__init(&levels[l]);
                levels[l].bid_px = (e[11] >> (l % 8)) & 1 ? INT64_MAX : mid[sym] - (int64_t) l * 1000000;
                levels[l].ask_px = mid[sym] + (int64_t) (l + 1) * 1000000;
                levels[l].bid_sz = (uint32_t) (e[8] * (l + 1));
                levels[l].ask_sz = (uint32_t) (e[9] ^ (l * 7));
                ptrs[l] = &levels[l];
            }
            of_engine_depth(engine, &d, ts);
        }
        }
    }
    of_engine_destroy(&engine);
    of_config_destroy(&cfg);
    ofts_config_destroy(&c);
    return 0;
}
