/*  of_signal: every confidence combination with the default weights
    (primary 0.4, delta 0.2, aggressive 0.2, depth 0.1, intensity 0.1;
    min_confidence 0.6), opposite confirmations, reasons text, thousands
    separators, tick rounding of entry/stop/take profit per instrument,
    min_trades / re-arm / ids of the decision, that no indicator reaches
    min_confidence alone in any preset, and that the presets order.

    The metrics scored here can occur: the imbalance and the aggressive
    ratios come from a second of GC order flow fed through a real engine
    (s_flow), where the aggressive share can never exceed its side's share.
    Only fields that no window constrains are then set by hand: cumulative
    delta (it counts the whole session since 17:00 CT, of which the window
    is the last minute), depth imbalance (the resting book, not the trades)
    and the intensity ratio (against the contract's own history).        */
#include "of_test.h"
#include "of_config.h"
#include "of_engine.h"
#include "of_signal.h"
#include "of_window.h"

#define T0 SEC(1796076000)      //  Mon 2026-11-30 10:00 CST

static of_config_t *s_cfg;

static const of_params_t *
s_params(const char *root)
{
    return of_config_params(s_cfg, ofts_instrument_find(root));
}

static void
s_quote(of_engine_t *e, int64_t ts, uint32_t bid_sz, uint32_t ask_sz)
{
    Ofts__TopOfBook b = t_bbo("GC", "GCZ6", P("2350.0"), bid_sz, P("2350.1"), ask_sz);
    assert_int_equal(of_engine_bbo(e, &b, ts), 0);
}

static void
s_print(of_engine_t *e, int64_t ts, const char *px, uint32_t size, Ofts__Side side)
{
    Ofts__Trade t = t_trade("GC", "GCZ6", P(px), size, side);
    assert_int_equal(of_engine_trade(e, &t, ts), 0);
}

//  `lots` contracts of one side as aggressor orders. Passive: 1-lot orders
//  into a best level showing 10. Sweeping: orders of 2 (the last 3 when
//  lots is odd) that take the 1 lot shown at the best and the rest one
//  tick through it - one print per price, both with the order's ts_event.
static void
s_orders(of_engine_t *e, int64_t *ts, bool buy, bool sweep, int lots)
{
    Ofts__Side side = buy ? OFTS__SIDE__SIDE_BUY : OFTS__SIDE__SIDE_SELL;
    const char *best = buy ? "2350.1" : "2350.0", *next = buy ? "2350.2" : "2349.9";
    while (lots > 0) {
        *ts += 10000000;                            //  10 ms apart
        int size = !sweep ? 1 : lots == 3 ? 3 : 2;
        s_quote(e, *ts, sweep && !buy ? 1 : 10, sweep && buy ? 1 : 10);
        s_print(e, *ts, best, 1, side);
        if (sweep)
            s_print(e, *ts, next, (uint32_t) size - 1, side);
        lots -= size;
    }
}

//  A window of GC flow: buy / sell contracts from passive and sweeping
//  orders, ending on a neutral book (10 x 10) and, when there are passive
//  buys, a last trade at 2350.1. Returns what the engine measured.
static Ofts__Metrics
s_flow(int buy, int buy_sweep, int sell, int sell_sweep)
{
    of_engine_t *e = of_engine_new(s_cfg);
    int64_t ts = T0;
    s_orders(e, &ts, false, true, sell_sweep);
    s_orders(e, &ts, true, true, buy_sweep);
    s_orders(e, &ts, false, false, sell);
    s_orders(e, &ts, true, false, buy);
    s_quote(e, ts, 10, 10);
    Ofts__Metrics m;
    assert_true(of_engine_metrics(e, "GCZ6", &m));
    of_engine_destroy(&e);
    m.symbol = "GC";
    m.contract = "GCZ6";
    assert_int_equal(m.window_volume, buy + buy_sweep + sell + sell_sweep);
    assert_true(m.intensity_ratio == 0.0);          //  one second: no intensity sample yet
    assert_true(m.depth_imbalance == 0.0);
    return m;
}

//  Passive flow with this imbalance out of 40 or 50 contracts, so nothing
//  but the primary can clear: no aggressive orders, delta reset to 0.
static Ofts__Metrics
s_base(double imbalance)
{
    int n = imbalance == 0.72 || imbalance == -0.72 || imbalance == -0.8 ? 50 : 40;
    int buy = (int) (n * (1 + imbalance) / 2 + 0.5);
    Ofts__Metrics m = s_flow(buy, 0, n - buy, 0);
    assert_true(m.imbalance_ratio == imbalance);
    assert_true(m.aggressive_buy_ratio == 0.0 && m.aggressive_sell_ratio == 0.0);
    m.cumulative_delta = 0;
    return m;
}

static of_score_t
s_score(const of_params_t *p, const Ofts__Metrics *m)
{
    of_score_t score;
    of_signal_score(p, m, &score);
    return score;
}

static void
t_no_primary(void **state)
{
    (void) state;
    Ofts__Metrics m = s_base(0.6);          //  not > 0.6
    m.cumulative_delta = 5000;
    m.depth_imbalance = 0.9;
    m.intensity_ratio = 9;
    of_score_t s = s_score(s_params("GC"), &m);
    assert_int_equal(s.direction, OF_SIDE_NONE);
    assert_int_equal(s.confidence, 0);
    assert_string_equal(s.reasons, "");
}

static void
t_primary_only(void **state)
{
    (void) state;
    Ofts__Metrics m = s_base(0.65);
    of_score_t s = s_score(s_params("GC"), &m);
    assert_int_equal(s.direction, OF_SIDE_BUY);
    assert_int_equal(s.confidence, 400000);         //  0.4 < 0.6: no signal
    assert_string_equal(s.reasons, "Strong buy imbalance: 0.65");
}

static void
t_primary_plus_each(void **state)
{
    (void) state;
    const of_params_t *p = s_params("GC");
    Ofts__Metrics m = s_base(0.65);
    m.cumulative_delta = 1001;                      //  > 1000
    of_score_t s = s_score(p, &m);
    assert_int_equal(s.confidence, 600000);         //  0.4 + 0.2
    assert_string_equal(s.reasons, "Strong buy imbalance: 0.65; Positive cumulative delta: 1,001");
    m.cumulative_delta = 1000;                      //  not > 1000
    assert_int_equal(s_score(p, &m).confidence, 400000);

    //  33 buys (30 of them from sweeping orders), 7 sells: 30/40 = 0.75 > 0.3
    m = s_flow(3, 30, 7, 0);
    assert_true(m.imbalance_ratio == 0.65);
    assert_true(m.aggressive_buy_ratio == 0.75);
    m.cumulative_delta = 0;
    s = s_score(p, &m);
    assert_int_equal(s.confidence, 600000);
    assert_string_equal(s.reasons, "Strong buy imbalance: 0.65; Aggressive buying: 0.75");

    m = s_base(0.65);
    m.depth_imbalance = 0.25;                       //  > 0.2
    s = s_score(p, &m);
    assert_int_equal(s.confidence, 500000);         //  0.4 + 0.1: still below 0.6
    assert_string_equal(s.reasons, "Strong buy imbalance: 0.65; Bid depth imbalance: 0.25");

    m = s_base(0.65);
    m.intensity_ratio = 1.75;                       //  > 1.5
    s = s_score(p, &m);
    assert_int_equal(s.confidence, 500000);
    assert_string_equal(s.reasons, "Strong buy imbalance: 0.65; High trade intensity: 1.75x");

    m.depth_imbalance = 0.25;                       //  depth + intensity: 0.4 + 0.1 + 0.1
    assert_int_equal(s_score(p, &m).confidence, 600000);

    m = s_flow(3, 30, 7, 0);
    m.cumulative_delta = 2500;
    m.depth_imbalance = 0.25;
    m.intensity_ratio = 1.75;
    s = s_score(p, &m);
    assert_int_equal(s.confidence, 1000000);        //  everything: 1.0
    assert_string_equal(s.reasons, "Strong buy imbalance: 0.65; Positive cumulative delta: 2,500; "
                        "Aggressive buying: 0.75; Bid depth imbalance: 0.25; High trade intensity: 1.75x");
}

static void
t_sell_side(void **state)
{
    (void) state;
    //  43 sells (40 from sweeping orders), 7 buys: -0.72, aggressive 40/50
    Ofts__Metrics m = s_flow(7, 0, 3, 40);
    assert_true(m.imbalance_ratio == -0.72);
    assert_true(m.aggressive_sell_ratio == 0.8);
    m.cumulative_delta = -1500;
    m.depth_imbalance = -0.3;
    of_score_t s = s_score(s_params("GC"), &m);
    assert_int_equal(s.direction, OF_SIDE_SELL);
    assert_int_equal(s.confidence, 900000);
    assert_string_equal(s.reasons, "Strong sell imbalance: -0.72; Negative cumulative delta: -1,500; "
                        "Aggressive selling: 0.80; Ask depth imbalance: -0.30");
}

static void
t_opposite_cancels(void **state)
{
    (void) state;
    const of_params_t *p = s_params("GC");
    //  buy primary + delta agree (0.6), but the book leans to the ask: -0.1
    Ofts__Metrics m = s_base(0.65);
    m.cumulative_delta = 1500;
    m.depth_imbalance = -0.3;
    of_score_t s = s_score(p, &m);
    assert_int_equal(s.confidence, 500000);         //  0.4 + 0.2 - 0.1: no signal
    assert_string_equal(s.reasons, "Strong buy imbalance: 0.65; Positive cumulative delta: 1,500; "
                        "Opposing ask depth imbalance: -0.30");
    //  sell primary against a positive delta: 0.4 - 0.2 = 0.2
    m = s_base(-0.65);
    m.cumulative_delta = 1500;
    s = s_score(p, &m);
    assert_int_equal(s.confidence, 200000);
    assert_string_equal(s.reasons, "Strong sell imbalance: -0.65; Opposing positive cumulative delta: 1,500");
    //  primary with every confirmation against it clamps at 0. The buy side
    //  holds at most (1 - 0.65) / 2 = 17.5% of the volume here, so its
    //  aggressive share can oppose only a threshold below that (0.1):
    //  33 sells, 7 buys of which 6 swept -> 6/40 = 0.15
    of_params_t low = *p;
    low.aggressive_ratio_threshold = 0.1;
    m = s_flow(1, 6, 33, 0);
    assert_true(m.imbalance_ratio == -0.65);
    assert_true(m.aggressive_buy_ratio == 0.15);
    m.cumulative_delta = 1500;
    m.depth_imbalance = 0.5;
    s = s_score(&low, &m);
    assert_int_equal(s.confidence, 0);              //  0.4 - 0.2 - 0.2 - 0.1
    assert_string_equal(s.reasons, "Strong sell imbalance: -0.65; Opposing positive cumulative delta: 1,500; "
                        "Opposing aggressive buying: 0.15; Opposing bid depth imbalance: 0.50");
    //  with opposite_subtracts off, opposing confirmations are ignored
    of_params_t q = *p;
    q.opposite_subtracts = false;
    m = s_base(0.65);
    m.cumulative_delta = 1500;
    m.depth_imbalance = -0.3;
    s = s_score(&q, &m);
    assert_int_equal(s.confidence, 600000);
    assert_string_equal(s.reasons, "Strong buy imbalance: 0.65; Positive cumulative delta: 1,500");
}

//  The brief's example line, with aggressive_ratio_threshold 0.6.
static void
t_reasons_exact(void **state)
{
    (void) state;
    of_params_t p = *s_params("GC");
    p.aggressive_ratio_threshold = 0.6;
    //  86 buys (65 from sweeping orders), 14 sells
    Ofts__Metrics m = s_flow(21, 65, 14, 0);
    assert_true(m.imbalance_ratio == 0.72);
    assert_true(m.aggressive_buy_ratio == 0.65);
    m.cumulative_delta = 1500;
    of_score_t s = s_score(&p, &m);
    assert_string_equal(s.reasons,
                        "Strong buy imbalance: 0.72; Positive cumulative delta: 1,500; Aggressive buying: 0.65");
    assert_int_equal(s.confidence, 800000);
}

//  A confirmation with weight 0 still shows in the reasons, adding nothing.
static void
t_zero_weight(void **state)
{
    (void) state;
    of_params_t p = *s_params("GC");
    p.weight_delta = 0;
    Ofts__Metrics m = s_base(0.65);
    m.cumulative_delta = 1500;
    of_score_t s = s_score(&p, &m);
    assert_int_equal(s.confidence, 400000);
    assert_string_equal(s.reasons, "Strong buy imbalance: 0.65; Positive cumulative delta: 1,500");
}

static void
t_thousands(void **state)
{
    (void) state;
    char buf[48];
    assert_string_equal(of_signal_thousands(0, buf, sizeof buf), "0");
    assert_string_equal(of_signal_thousands(999, buf, sizeof buf), "999");
    assert_string_equal(of_signal_thousands(1000, buf, sizeof buf), "1,000");
    assert_string_equal(of_signal_thousands(-1500, buf, sizeof buf), "-1,500");
    assert_string_equal(of_signal_thousands(123456, buf, sizeof buf), "123,456");
    assert_string_equal(of_signal_thousands(-1234567, buf, sizeof buf), "-1,234,567");
    assert_string_equal(of_signal_thousands(INT64_MIN, buf, sizeof buf), "-9,223,372,036,854,775,808");
}

typedef struct {
    const char *root, *last;
    int dir;
    const char *entry, *stop, *tp;
} s_price_case_t;

static void
t_prices_per_instrument(void **state)
{
    (void) state;
    static const s_price_case_t cases[] = {
        //  GC tick 0.1, stop 5.0, tp 2 x 5.0
        { "GC",  "2350.13",  OF_SIDE_BUY,  "2350.1",   "2345.1",   "2360.1" },
        { "GC",  "2350.15",  OF_SIDE_SELL, "2350.2",   "2355.2",   "2340.2" },   //  half tick rounds up
        { "MGC", "2350.1",   OF_SIDE_BUY,  "2350.1",   "2345.1",   "2360.1" },   //  inherits GC
        //  SI tick 0.005, stop 0.10
        { "SI",  "30.0025",  OF_SIDE_BUY,  "30.005",   "29.905",   "30.205" },
        { "SI",  "30.0124",  OF_SIDE_SELL, "30.01",    "30.11",    "29.81" },
        { "SIL", "30.01",    OF_SIDE_SELL, "30.01",    "30.11",    "29.81" },
        //  PL tick 0.1, stop 10.0
        { "PL",  "1000.04",  OF_SIDE_BUY,  "1000",     "990",      "1020" },
        { "PL",  "1000.06",  OF_SIDE_SELL, "1000.1",   "1010.1",   "980.1" },
        //  HG tick 0.0005, stop 0.02
        { "HG",  "4.51237",  OF_SIDE_BUY,  "4.5125",   "4.4925",   "4.5525" },
        { "MHG", "4.5",      OF_SIDE_SELL, "4.5",      "4.52",     "4.46" },
        //  NQ tick 0.25, stop 20.0
        { "NQ",  "18000.13", OF_SIDE_SELL, "18000.25", "18020.25", "17960.25" },
        { "NQ",  "18000.12", OF_SIDE_BUY,  "18000",    "17980",    "18040" },
        { "MNQ", "18000.5",  OF_SIDE_BUY,  "18000.5",  "17980.5",  "18040.5" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const s_price_case_t *c = &cases[i];
        int64_t entry, stop, tp;
        of_signal_prices(s_params(c->root), ofts_instrument_find(c->root), c->dir, P(c->last),
                         &entry, &stop, &tp);
        char msg[128];
        snprintf(msg, sizeof msg, "case %zu %s %s", i, c->root, c->last);
        if (entry != P(c->entry) || stop != P(c->stop) || tp != P(c->tp))
            fail_msg("%s: got %lld %lld %lld", msg, (long long) entry, (long long) stop, (long long) tp);
    }
}

static void
t_prices_custom(void **state)
{
    (void) state;
    const ofts_instrument_t *gc = ofts_instrument_find("GC");
    of_params_t p = *s_params("GC");
    int64_t entry, stop, tp;
    //  rr 1.5: tp distance 7.5
    p.risk_reward_ratio = 1.5;
    of_signal_prices(&p, gc, OF_SIDE_BUY, P("2350.1"), &entry, &stop, &tp);
    assert_int_equal(tp, P("2357.6"));
    //  a stop distance of 0.03 rounds once: 2350.07 -> 2350.1 = entry, so one tick
    p.stop_distance = P("0.03");
    of_signal_prices(&p, gc, OF_SIDE_BUY, P("2350.1"), &entry, &stop, &tp);
    assert_int_equal(stop, P("2350.0"));
    //  tp 2 x 0.03 = 0.06: 2350.16 -> 2350.2
    assert_int_equal(tp, P("2350.2"));
    //  stop 0.07 rounds up to 0.1 away: 2350.03 -> 2350.0
    p.stop_distance = P("0.07");
    p.risk_reward_ratio = 2.0;
    of_signal_prices(&p, gc, OF_SIDE_SELL, P("2350.1"), &entry, &stop, &tp);
    assert_int_equal(stop, P("2350.2"));            //  2350.17 -> 2350.2
    assert_int_equal(tp, P("2350.0"));              //  2349.96 -> 2350.0
}

static void
t_decide_and_rearm(void **state)
{
    (void) state;
    of_params_t p = *s_params("GC");
    of_signal_t *sig = of_signal_new(&p, ofts_instrument_find("GC"));
    Ofts__Signal out;
    Ofts__Metrics m = s_base(0.72);                 //  primary + delta = 0.6
    m.cumulative_delta = 1500;
    p.min_trades = (uint32_t) m.window_trades + 1;  //  one trade short
    assert_false(of_signal_decide(sig, &m, SEC(100), 1, &out));
    p.min_trades = (uint32_t) m.window_trades;
    assert_true(of_signal_decide(sig, &m, SEC(100), 1, &out));
    assert_string_equal(out.id, "GC-100000000000-1");
    assert_string_equal(out.symbol, "GC");
    assert_string_equal(out.contract, "GCZ6");
    assert_int_equal(out.direction, OFTS__SIDE__SIDE_BUY);
    assert_int_equal(out.entry, P("2350.1"));
    assert_int_equal(out.stop, P("2345.1"));
    assert_int_equal(out.take_profit, P("2360.1"));
    assert_true(out.confidence == 0.6);
    assert_int_equal(out.last_price, P("2350.1"));
    assert_string_equal(out.reasons, "Strong buy imbalance: 0.72; Positive cumulative delta: 1,500");
    assert_non_null(out.metrics);
    assert_int_equal(out.metrics->cumulative_delta, 1500);
    //  still strong: not re-armed
    assert_false(of_signal_decide(sig, &m, SEC(101), 2, &out));
    //  a sell can still fire (own direction)
    Ofts__Metrics s = s_base(-0.8);
    s.cumulative_delta = -1200;
    assert_true(of_signal_decide(sig, &s, SEC(102), 2, &out));
    assert_int_equal(out.direction, OFTS__SIDE__SIDE_SELL);
    assert_string_equal(out.id, "GC-102000000000-2");
    //  imbalance 0.72 again: the sell above reset the buy primary (vote < 0)
    assert_true(of_signal_decide(sig, &m, SEC(103), 3, &out));
    //  primary falls to 0.5 at some event, then comes back: re-armed
    of_signal_observe(sig, 0.5, SEC(104));
    assert_true(of_signal_decide(sig, &m, SEC(105), 4, &out));
    assert_false(of_signal_decide(sig, &m, SEC(106), 5, &out));
    of_signal_destroy(&sig);
    assert_null(sig);
}

static void
t_rearm_timed_and_off(void **state)
{
    (void) state;
    of_params_t p = *s_params("GC");
    p.rearm_ns = SEC(30);
    of_signal_t *sig = of_signal_new(&p, ofts_instrument_find("GC"));
    Ofts__Signal out;
    Ofts__Metrics m = s_base(0.72);
    m.cumulative_delta = 1500;
    assert_true(of_signal_decide(sig, &m, SEC(100), 1, &out));
    assert_false(of_signal_decide(sig, &m, SEC(129), 2, &out));
    assert_true(of_signal_decide(sig, &m, SEC(130), 2, &out));     //  30 s later
    of_signal_destroy(&sig);

    p.rearm = false;
    sig = of_signal_new(&p, ofts_instrument_find("GC"));
    for (int i = 0; i < 3; i++)
        assert_true(of_signal_decide(sig, &m, SEC(100 + i), (uint64_t) i + 1, &out));
    //  but never below min_confidence
    m.cumulative_delta = 0;
    assert_false(of_signal_decide(sig, &m, SEC(200), 9, &out));
    of_signal_destroy(&sig);
}

static of_config_t *
s_preset(const char *name)
{
    char json[128], err[256];
    snprintf(json, sizeof json, "{\"analyzer\":{\"preset\":\"%s\"}}", name);
    ofts_config_t *c = ofts_config_parse(json, "t.json", err, sizeof err);
    assert_non_null(c);
    ofts_cfgsec_t *sec = ofts_config_section(c, "analyzer");
    of_config_t *cfg = of_config_new(sec);
    assert_int_equal(ofts_cfgsec_finish(&sec, err, sizeof err), 0);
    ofts_config_destroy(&c);
    return cfg;
}

static bool
s_due(const of_params_t *p, const Ofts__Metrics *m)
{
    of_signal_t *sig = of_signal_new(p, ofts_instrument_find("GC"));
    bool due = of_signal_due(sig, m, T0 + SEC(2));
    of_signal_destroy(&sig);
    return due;
}

static const char *const s_preset_names[] = { "default", "aggressive", "conservative" };

//  No indicator reaches min_confidence on its own, in any preset, for any
//  root: each weight is below min_confidence, and a window where only one
//  indicator speaks gives no signal. The primary alone scores its weight;
//  a confirmation alone has no direction to confirm.
static void
t_no_indicator_alone(void **state)
{
    (void) state;
    for (size_t k = 0; k < 3; k++) {
        of_config_t *cfg = s_preset(s_preset_names[k]);
        for (size_t i = 0; i < ofts_instrument_count(); i++) {
            const of_params_t *q = of_config_params(cfg, ofts_instrument_at(i));
            assert_true(q->weight_imbalance < q->min_confidence);
            assert_true(q->weight_delta < q->min_confidence);
            assert_true(q->weight_aggressive < q->min_confidence);
            assert_true(q->weight_depth < q->min_confidence);
            assert_true(q->weight_intensity < q->min_confidence);
        }
        const of_params_t *p = of_config_params(cfg, ofts_instrument_find("GC"));
        //  imbalance alone (0.72 clears every preset's primary)
        Ofts__Metrics m = s_base(0.72);
        assert_int_equal(s_score(p, &m).confidence, p->weight_imbalance);
        assert_false(s_due(p, &m));
        //  each confirmation alone, as strong as it gets, on a balanced window
        Ofts__Metrics flat = s_flow(20, 0, 20, 0);
        assert_true(flat.imbalance_ratio == 0.0);
        m = flat;
        m.cumulative_delta = 1000000;
        assert_int_equal(s_score(p, &m).direction, OF_SIDE_NONE);
        assert_false(s_due(p, &m));
        //  half the volume from sweeping buy orders, but as many sells
        m = s_flow(0, 20, 20, 0);
        assert_true(m.imbalance_ratio == 0.0 && m.aggressive_buy_ratio == 0.5);
        assert_int_equal(s_score(p, &m).confidence, 0);
        assert_false(s_due(p, &m));
        m = flat;
        m.depth_imbalance = 0.9;
        assert_int_equal(s_score(p, &m).confidence, 0);
        assert_false(s_due(p, &m));
        m = flat;
        m.intensity_ratio = 9.0;
        assert_int_equal(s_score(p, &m).confidence, 0);
        assert_false(s_due(p, &m));
        of_config_destroy(&cfg);
    }
}

//  "aggressive" signals where "default" does not; "conservative" needs more
//  than "default" does. GC, signals due per preset:
static void
t_presets_ordered(void **state)
{
    (void) state;
    of_config_t *cfg[3];
    const of_params_t *p[3];
    for (size_t k = 0; k < 3; k++) {
        cfg[k] = s_preset(s_preset_names[k]);
        p[k] = of_config_params(cfg[k], ofts_instrument_find("GC"));
    }
    //  imbalance 0.55 (31 / 9), delta 600: only "aggressive" (0.5, delta 500)
    Ofts__Metrics m = s_flow(31, 0, 9, 0);
    assert_true(m.imbalance_ratio == 0.55);
    m.cumulative_delta = 600;
    assert_false(s_due(p[0], &m));
    assert_true(s_due(p[1], &m));
    assert_false(s_due(p[2], &m));
    //  imbalance 0.72 with delta 1,600: default and aggressive (0.6), not
    //  conservative (0.6 < 0.7)
    m = s_base(0.72);
    m.cumulative_delta = 1600;
    assert_true(s_due(p[0], &m));
    assert_true(s_due(p[1], &m));
    assert_false(s_due(p[2], &m));
    //  ... and with 65% of the volume from sweeping buy orders: all three (0.8)
    m = s_flow(21, 65, 14, 0);
    m.cumulative_delta = 1600;
    for (size_t k = 0; k < 3; k++) {
        assert_true(s_due(p[k], &m));
        of_config_destroy(&cfg[k]);
    }
}

static int
s_setup(void **state)
{
    (void) state;
    s_cfg = of_config_new(NULL);
    return 0;
}

static int
s_teardown(void **state)
{
    (void) state;
    of_config_destroy(&s_cfg);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_no_primary),
        cmocka_unit_test(t_primary_only),
        cmocka_unit_test(t_primary_plus_each),
        cmocka_unit_test(t_sell_side),
        cmocka_unit_test(t_opposite_cancels),
        cmocka_unit_test(t_reasons_exact),
        cmocka_unit_test(t_zero_weight),
        cmocka_unit_test(t_thousands),
        cmocka_unit_test(t_prices_per_instrument),
        cmocka_unit_test(t_prices_custom),
        cmocka_unit_test(t_decide_and_rearm),
        cmocka_unit_test(t_rearm_timed_and_off),
        cmocka_unit_test(t_no_indicator_alone),
        cmocka_unit_test(t_presets_ordered),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
