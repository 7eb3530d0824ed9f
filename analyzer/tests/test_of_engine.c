/*  of_engine: a hand-built GC burst that must give exactly one signal with
    known id, prices, confidence and reasons; rejects; envelope dispatch;
    per-contract state; and determinism (same stream twice -> byte-identical
    packed signals).                                                      */
#include <jansson.h>
#include <math.h>
#include <unistd.h>
#include "of_test.h"
#include "of_engine.h"

#define T0 SEC(1796076000)      //  Mon 2026-11-30 10:00 CST

typedef struct {
    int signals;
    Ofts__Signal last;
    char id[96], reasons[512], contract[32];
    int metrics;
    Ofts__Metrics last_metrics;
    int64_t last_ts;
    //  packed signals, for determinism
    uint8_t *bytes;
    size_t len, cap;
} s_sink_t;

static void
s_on_signal(void *arg, const Ofts__Signal *signal, int64_t ts)
{
    s_sink_t *k = arg;
    k->signals++;
    k->last = *signal;
    snprintf(k->id, sizeof k->id, "%s", signal->id);
    snprintf(k->reasons, sizeof k->reasons, "%s", signal->reasons);
    snprintf(k->contract, sizeof k->contract, "%s", signal->contract);
    k->last_ts = ts;
    size_t n = ofts__signal__get_packed_size(signal);
    if (k->len + n > k->cap) {
        k->cap = (k->len + n) * 2;
        k->bytes = realloc(k->bytes, k->cap);
    }
    ofts__signal__pack(signal, k->bytes + k->len);
    k->len += n;
}

static void
s_on_metrics(void *arg, const Ofts__Metrics *m, int64_t ts)
{
    s_sink_t *k = arg;
    k->metrics++;
    k->last_metrics = *m;
    (void) ts;
}

static of_engine_t *
s_engine(of_config_t *cfg, s_sink_t *sink)
{
    of_engine_t *e = of_engine_new(cfg);
    of_engine_set_signal_fn(e, s_on_signal, sink);
    of_engine_set_metrics_fn(e, s_on_metrics, sink);
    return e;
}

static void
t_burst_gives_one_signal(void **state)
{
    (void) state;
    of_config_t *cfg = of_config_new(NULL);
    s_sink_t sink = { 0 };
    of_engine_t *e = s_engine(cfg, &sink);
    Ofts__TopOfBook top = t_bbo("GC", "GCZ6", P("2350.0"), 10, P("2350.1"), 5);
    assert_int_equal(of_engine_bbo(e, &top, T0), 0);
    //  25 buy-aggressor 50-lots, one a second. After the 20th (min_trades):
    //  imbalance 1.00 > 0.6 (0.4), aggressive buying 1.00 > 0.7 (+0.2),
    //  delta 20*50 = 1000 is not > 1000 (+0), depth (10-5)/15 = 0.33 > 0.2 (+0.1),
    //  intensity 20*60/19 s = 63.2/min over an average of 60 -> 1.05 (+0): 0.7
    for (int i = 0; i < 25; i++) {
        Ofts__Trade t = t_trade("GC", "GCZ6", P("2350.1"), 50, OFTS__SIDE__SIDE_BUY);
        assert_int_equal(of_engine_trade(e, &t, T0 + SEC(i)), 0);
        if (i < 19)
            assert_int_equal(sink.signals, 0);
    }
    assert_int_equal(sink.signals, 1);      //  re-arm holds back the other five
    assert_int_equal(sink.last_ts, T0 + SEC(19));
    assert_string_equal(sink.id, "GC-1796076019000000000-1");
    assert_string_equal(sink.contract, "GCZ6");
    assert_int_equal(sink.last.direction, OFTS__SIDE__SIDE_BUY);
    assert_int_equal(sink.last.entry, P("2350.1"));
    assert_int_equal(sink.last.stop, P("2345.1"));
    assert_int_equal(sink.last.take_profit, P("2360.1"));
    assert_true(sink.last.confidence == 0.7);
    assert_string_equal(sink.reasons, "Strong buy imbalance: 1.00; Aggressive buying: 1.00; "
                        "Bid depth imbalance: 0.33");
    //  metrics after every event: 1 bbo + 25 trades
    assert_int_equal(sink.metrics, 26);
    assert_int_equal(sink.last_metrics.cumulative_delta, 1250);
    assert_int_equal(sink.last_metrics.window_volume, 1250);
    assert_int_equal(sink.last_metrics.block_trades, 25);  //  50 >= 20
    assert_string_equal(sink.last_metrics.symbol, "GC");
    assert_int_equal(of_engine_events(e), 26);
    assert_int_equal(of_engine_signals(e), 1);

    Ofts__Metrics m;
    assert_true(of_engine_metrics(e, "GCZ6", &m));
    assert_int_equal(m.cumulative_delta, 1250);
    assert_false(of_engine_metrics(e, "GCG7", &m));
    free(sink.bytes);
    of_engine_destroy(&e);
    assert_null(e);
    of_config_destroy(&cfg);
}

static void
t_rejects_and_dispatch(void **state)
{
    (void) state;
    of_config_t *cfg = of_config_new(NULL);
    s_sink_t sink = { 0 };
    of_engine_t *e = s_engine(cfg, &sink);
    Ofts__Trade t = t_trade("XX", "XXZ6", P("1"), 1, OFTS__SIDE__SIDE_BUY);
    assert_int_equal(of_engine_trade(e, &t, T0), -1);
    t = t_trade("", "", P("1"), 1, OFTS__SIDE__SIDE_BUY);
    assert_int_equal(of_engine_trade(e, &t, T0), -1);
    t = t_trade("GC", "GCZ6", P("1"), 0, OFTS__SIDE__SIDE_BUY);         //  size 0
    assert_int_equal(of_engine_trade(e, &t, T0), -1);
    t = t_trade("GC", "GCZ6", UNDEF_PX, 1, OFTS__SIDE__SIDE_BUY);       //  no price
    assert_int_equal(of_engine_trade(e, &t, T0), -1);
    t = t_trade("GC", "GCZ6", P("1"), 1, (Ofts__Side) 77);              //  odd side: unknown
    assert_int_equal(of_engine_trade(e, &t, T0), 0);
    assert_int_equal(sink.last_metrics.window_volume, 1);
    assert_true(sink.last_metrics.imbalance_ratio == 0.0);
    assert_int_equal(of_engine_rejected(e), 4);
    assert_int_equal(of_engine_unknown(e), 2);
    assert_int_equal(of_engine_events(e), 1);

    //  Envelopes: header ts_event is the time
    Ofts__Header h;
    ofts__header__init(&h);
    h.ts_event = T0 + SEC(5);
    Ofts__Envelope env;
    ofts__envelope__init(&env);
    env.header = &h;
    t = t_trade("GC", "GCZ6", P("2"), 3, OFTS__SIDE__SIDE_SELL);
    env.body_case = OFTS__ENVELOPE__BODY_TRADE;
    env.trade = &t;
    assert_int_equal(of_engine_envelope(e, &env), 0);
    assert_int_equal(sink.last_metrics.cumulative_delta, -3);
    t_depth_t d;
    t_depth_init(&d, "GC", "GCZ6", 1);
    t_level(&d, 0, P("1.9"), 3, P("2.0"), 1);
    env.body_case = OFTS__ENVELOPE__BODY_DEPTH;
    env.depth = &d.depth;
    assert_int_equal(of_engine_envelope(e, &env), 0);
    assert_true(sink.last_metrics.depth_imbalance == 0.5);
    Ofts__TopOfBook top = t_bbo("GC", "GCZ6", P("1.9"), 1, P("2.0"), 1);
    env.body_case = OFTS__ENVELOPE__BODY_BBO;
    env.bbo = &top;
    assert_int_equal(of_engine_envelope(e, &env), 0);
    assert_int_equal(sink.last_metrics.microprice, P("1.95"));
    Ofts__Heartbeat hb;
    ofts__heartbeat__init(&hb);
    env.body_case = OFTS__ENVELOPE__BODY_HEARTBEAT;
    env.heartbeat = &hb;
    assert_int_equal(of_engine_envelope(e, &env), 1);
    assert_int_equal(of_engine_rejected(e), 4);
    //  contract-only messages find their root from the contract
    t = t_trade("", "MGCZ6", P("2"), 1, OFTS__SIDE__SIDE_BUY);
    assert_int_equal(of_engine_trade(e, &t, T0 + SEC(6)), 0);
    assert_string_equal(sink.last_metrics.symbol, "MGC");
    assert_int_equal(of_engine_instruments(e), 2);
    //  A rewound replay (another contract, its own clock): up to 1 s late is
    //  applied, more is refused and counted.
    t = t_trade("GC", "GCG7", P("1"), 2, OFTS__SIDE__SIDE_BUY);
    assert_int_equal(of_engine_trade(e, &t, T0), 0);
    assert_int_equal(of_engine_trade(e, &t, T0 - SEC(1)), 0);
    assert_int_equal(sink.last_metrics.window_volume, 4);
    assert_int_equal(of_engine_trade(e, &t, T0 - SEC(1) - 1), -1);
    assert_int_equal(sink.last_metrics.window_volume, 4);
    assert_int_equal(of_engine_rewound(e), 1);
    assert_int_equal(of_engine_rejected(e), 5);
    of_engine_destroy(&e);
    of_config_destroy(&cfg);
}

static void
s_burst(of_engine_t *e, const char *contract, int64_t t0, Ofts__Side side)
{
    for (int i = 0; i < 25; i++) {
        Ofts__Trade t = t_trade("GC", contract, P("2350.1"), 60, side);
        of_engine_trade(e, &t, t0 + SEC(i));
    }
}

static void
t_contracts_kept_apart(void **state)
{
    (void) state;
    of_config_t *cfg = of_config_new(NULL);
    s_sink_t sink = { 0 };
    of_engine_t *e = s_engine(cfg, &sink);
    s_burst(e, "GCZ6", T0, OFTS__SIDE__SIDE_BUY);
    assert_int_equal(sink.signals, 1);
    //  20 x 60 = 1200 > 1000: imbalance + delta = 0.6. No quote was ever
    //  seen, and each order printed at one price: nothing shows that they
    //  swept or cleared a level, so no aggressive buying.
    assert_string_equal(sink.reasons, "Strong buy imbalance: 1.00; Positive cumulative delta: 1,200");
    s_burst(e, "GCG7", T0 + SEC(100), OFTS__SIDE__SIDE_SELL);
    assert_int_equal(sink.signals, 2);
    //  ids count signals per root: the second GC signal is -2
    assert_string_equal(sink.id, "GC-1796076119000000000-2");
    assert_string_equal(sink.contract, "GCG7");
    assert_int_equal(sink.last.direction, OFTS__SIDE__SIDE_SELL);
    assert_int_equal(sink.last.stop, P("2355.1"));
    assert_int_equal(sink.last.take_profit, P("2340.1"));
    Ofts__Metrics m;
    assert_true(of_engine_metrics(e, "GCZ6", &m));
    assert_int_equal(m.cumulative_delta, 1500);
    assert_true(of_engine_metrics(e, "GCG7", &m));
    assert_int_equal(m.cumulative_delta, -1500);
    //  by index, in first-seen order
    assert_true(of_engine_metrics_at(e, 0, &m));
    assert_string_equal(m.contract, "GCZ6");
    assert_true(of_engine_metrics_at(e, 1, &m));
    assert_string_equal(m.contract, "GCG7");
    assert_false(of_engine_metrics_at(e, 2, &m));
    free(sink.bytes);
    of_engine_destroy(&e);
    of_config_destroy(&cfg);
}

//  A pseudo-random two-symbol stream with regime changes, so signals fire
//  both ways. Returns the signals packed back to back.
static void
s_run_stream(of_config_t *cfg, s_sink_t *sink, bool with_metrics)
{
    of_engine_t *e = s_engine(cfg, sink);
    if (!with_metrics)
        of_engine_set_metrics_fn(e, NULL, NULL);
    uint64_t rng = 42;
    int64_t ts = T0;
    static const char *syms[2] = { "GC", "NQ" };
    static const char *cons[2] = { "GCZ6", "NQZ6" };
    int64_t mid[2] = { P("2350"), P("18000") };
    int64_t tick[2] = { P("0.1"), P("0.25") };
    for (int i = 0; i < 60000; i++) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        uint32_t r = (uint32_t) (rng >> 33);
        int s = (int) (r & 1);
        ts += (int64_t) (r % 400) * OFTS_NS_PER_MS;
        int regime = (i / 3000) % 3;                        //  buy-heavy, sell-heavy, mixed
        int kind = (int) ((r >> 4) % 10);
        if (kind < 6) {
            int roll = (int) ((r >> 8) % 100);
            Ofts__Side side = roll < 5 ? OFTS__SIDE__SIDE_NONE
                            : regime == 0 ? (roll < 90 ? OFTS__SIDE__SIDE_BUY : OFTS__SIDE__SIDE_SELL)
                            : regime == 1 ? (roll < 90 ? OFTS__SIDE__SIDE_SELL : OFTS__SIDE__SIDE_BUY)
                            : (roll < 52 ? OFTS__SIDE__SIDE_BUY : OFTS__SIDE__SIDE_SELL);
            mid[s] += side == OFTS__SIDE__SIDE_BUY ? tick[s] / 5 : -tick[s] / 5;
            Ofts__Trade t = t_trade(syms[s], cons[s], mid[s], 1 + (r >> 12) % 40, side);
            of_engine_trade(e, &t, ts);
        }
        else if (kind < 9) {
            int64_t bid = ofts_price_round(mid[s], tick[s], OFTS_ROUND_DOWN);
            Ofts__TopOfBook b = t_bbo(syms[s], cons[s], bid, 1 + (r >> 14) % 50, bid + tick[s], 1 + (r >> 20) % 50);
            of_engine_bbo(e, &b, ts);
        }
        else {
            t_depth_t d;
            t_depth_init(&d, syms[s], cons[s], 10);
            int64_t bid = ofts_price_round(mid[s], tick[s], OFTS_ROUND_DOWN);
            for (size_t l = 0; l < 10; l++)
                t_level(&d, l, bid - (int64_t) l * tick[s], 1 + (uint32_t) ((r >> l) % 30),
                        bid + (int64_t) (l + 1) * tick[s], 1 + (uint32_t) ((r >> (l + 3)) % 30));
            of_engine_depth(e, &d.depth, ts);
        }
    }
    of_engine_destroy(&e);
}

//  Many contracts, including keys longer than 8 bytes that share their first
//  8: each keeps its own state; past the engine's limit they are refused.
static void
t_many_contracts(void **state)
{
    (void) state;
    of_config_t *cfg = of_config_new(NULL);
    s_sink_t sink = { 0 };
    of_engine_t *e = s_engine(cfg, &sink);
    char key[32];
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 300; i++) {
            snprintf(key, sizeof key, i % 2 ? "GCZ6.fut.%d" : "GC%c%d", i % 2 ? i : 'A' + i % 26, i);
            Ofts__Trade t = t_trade("GC", key, P("2350"), (uint32_t) i + 1, OFTS__SIDE__SIDE_BUY);
            assert_int_equal(of_engine_trade(e, &t, T0 + round), 0);
        }
    assert_int_equal(of_engine_instruments(e), 300);
    //  exactly 8 bytes, a prefix of the 10-byte keys above: a contract of its own
    Ofts__Trade t8 = t_trade("GC", "GCZ6.fut", P("2350"), 7, OFTS__SIDE__SIDE_SELL);
    assert_int_equal(of_engine_trade(e, &t8, T0 + 2), 0);
    assert_int_equal(of_engine_instruments(e), 301);
    Ofts__Metrics m8;
    assert_true(of_engine_metrics(e, "GCZ6.fut", &m8));
    assert_int_equal(m8.cumulative_delta, -7);
    assert_string_equal(m8.contract, "GCZ6.fut");
    for (int i = 0; i < 300; i++) {
        snprintf(key, sizeof key, i % 2 ? "GCZ6.fut.%d" : "GC%c%d", i % 2 ? i : 'A' + i % 26, i);
        Ofts__Metrics m;
        assert_true(of_engine_metrics(e, key, &m));
        assert_int_equal(m.cumulative_delta, 2 * (i + 1));     //  two rounds of i+1
        assert_string_equal(m.contract, key);
    }
    for (int i = 300; i < 700; i++) {
        snprintf(key, sizeof key, "GCZ6.more.%d", i);
        Ofts__Trade t = t_trade("GC", key, P("2350"), 1, OFTS__SIDE__SIDE_BUY);
        of_engine_trade(e, &t, T0);
    }
    assert_int_equal(of_engine_instruments(e), 512);
    assert_int_equal(of_engine_rejected(e), 700 - 511);
    of_engine_destroy(&e);
    of_config_destroy(&cfg);
}

//  Real data: Databento's ESH1 samples (EXPECTED/*.jsonl decodes of
//  test_data.mbp-10.dbn, test_data.mbp-1.dbn, test_data.trades.dbn), turned
//  into bus messages the way gateway-md does (side 'A' = sell aggressor,
//  'B' = buy; spec/databento.md §11) and fed in time order.
static json_t *
s_jsonl(const char *dir, const char *name, size_t index)
{
    char path[512];
    snprintf(path, sizeof path, "%s/EXPECTED/%s", dir, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[8192];
    json_t *rec = NULL;
    for (size_t i = 0; fgets(line, sizeof line, f); i++)
        if (i == index) {
            rec = json_loads(line, 0, NULL);
            break;
        }
    fclose(f);
    assert_non_null(rec);
    return rec;
}

static int64_t
s_int(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    assert_true(json_is_integer(v));
    return (int64_t) json_integer_value(v);
}

//  $OFTS_SHARED_DBN when it holds EXPECTED/<name>; else the test is skipped
//  (the samples are never copied into the project).
static const char *
s_samples(const char *name)
{
    const char *dir = getenv("OFTS_SHARED_DBN");
    char probe[512];
    snprintf(probe, sizeof probe, "%s/EXPECTED/%s", dir ? dir : "", name);
    if (!dir || access(probe, R_OK) != 0) {
        printf("skipping: OFTS_SHARED_DBN (%s) has no EXPECTED/%s\n", dir ? dir : "unset", name);
        skip();
    }
    return dir;
}

static void
t_real_sample(void **state)
{
    (void) state;
    const char *dir = s_samples("test_data.trades.dbn.jsonl");
    of_config_t *cfg = of_config_new(NULL);
    s_sink_t sink = { 0 };
    of_engine_t *e = s_engine(cfg, &sink);
    //  MBP-10 records 0 and 1 (ts ...000429831 and ...000435673)
    for (size_t r = 0; r < 2; r++) {
        json_t *rec = s_jsonl(dir, "test_data.mbp-10.dbn.jsonl", r);
        t_depth_t d;
        t_depth_init(&d, "ES", "ESH1", 10);
        json_t *levels = json_object_get(rec, "levels");
        assert_int_equal(json_array_size(levels), 10);
        for (size_t l = 0; l < 10; l++) {
            json_t *lv = json_array_get(levels, l);
            t_level(&d, l, s_int(lv, "bid_px"), (uint32_t) s_int(lv, "bid_sz"),
                    s_int(lv, "ask_px"), (uint32_t) s_int(lv, "ask_sz"));
        }
        assert_int_equal(of_engine_depth(e, &d.depth, s_int(rec, "ts_event")), 0);
        json_decref(rec);
    }
    //  5 levels of record 1: bids 24+30+32+39+50 = 175, asks 10+34+39+28+33 = 144
    //  (175 - 144) / 319 = 31/319 = 0.097178683..
    assert_true(fabs(sink.last_metrics.depth_imbalance - 31.0 / 319.0) < 1e-15);
    //  MBP-1 record 1: bid 3720.25 x 24, ask 3720.50 x 12
    json_t *rec = s_jsonl(dir, "test_data.mbp-1.dbn.jsonl", 1);
    Ofts__TopOfBook top = t_bbo("ES", "ESH1", s_int(rec, "bid_px"), (uint32_t) s_int(rec, "bid_sz"),
                                s_int(rec, "ask_px"), (uint32_t) s_int(rec, "ask_sz"));
    assert_int_equal(of_engine_bbo(e, &top, s_int(rec, "ts_event")), 0);
    json_decref(rec);
    //  microprice (3720.25*12 + 3720.50*24) / 36 = (44643 + 89292) / 36 = 133935/36 = 3720.41666..
    assert_int_equal(sink.last_metrics.microprice, P("3720.416666667"));
    assert_true(fabs(sink.last_metrics.depth_imbalance - 31.0 / 319.0) < 1e-15);   //  depth still rules
    //  the two trades: 5 and 21 lots at 3720.25, side 'A' (sell aggressor)
    for (size_t r = 0; r < 2; r++) {
        rec = s_jsonl(dir, "test_data.trades.dbn.jsonl", r);
        const char *side = json_string_value(json_object_get(rec, "side"));
        assert_non_null(side);
        Ofts__Trade t = t_trade("ES", "ESH1", s_int(rec, "price"), (uint32_t) s_int(rec, "size"),
                                side[0] == 'B' ? OFTS__SIDE__SIDE_BUY
                                : side[0] == 'A' ? OFTS__SIDE__SIDE_SELL : OFTS__SIDE__SIDE_NONE);
        assert_int_equal(of_engine_trade(e, &t, s_int(rec, "ts_event")), 0);
        json_decref(rec);
    }
    const Ofts__Metrics *m = &sink.last_metrics;
    assert_int_equal(m->cumulative_delta, -26);         //  -5 - 21
    assert_true(m->imbalance_ratio == -1.0);
    //  Against the last book fed (MBP-1 record 1: bid 24) neither sell
    //  order (5, then 21) cleared the bid: imbalance -1, aggressive 0.
    assert_true(m->aggressive_sell_ratio == 0.0);
    assert_int_equal(m->window_volume, 26);
    assert_int_equal(m->vwap, P("3720.25"));
    //  0.107 s since the first record: the 1 s floor gives 2 trades/min * 60 = 120
    assert_true(m->trade_intensity == 120.0);
    assert_int_equal(m->block_trades, 0);               //  ES block_size 50
    assert_int_equal(sink.signals, 0);                  //  2 trades < min_trades
    of_engine_destroy(&e);
    of_config_destroy(&cfg);
}

//  Real data again: the TBBO sample carries each trade with the quote just
//  before it (spec/databento.md §11 "Before/after"). Fed as a book and then
//  the trade: the first sell (5) met a bid of 26 and took part of it; the
//  second (21) met a bid of exactly 21 and cleared it. Both hit the bid
//  (imbalance -1), but only 21 of 26 contracts came from an order that
//  took the whole level.
static void
t_real_tbbo(void **state)
{
    (void) state;
    const char *dir = s_samples("test_data.tbbo.dbn.jsonl");
    of_config_t *cfg = of_config_new(NULL);
    s_sink_t sink = { 0 };
    of_engine_t *e = s_engine(cfg, &sink);
    double aggressive[2];
    for (size_t r = 0; r < 2; r++) {
        json_t *rec = s_jsonl(dir, "test_data.tbbo.dbn.jsonl", r);
        int64_t ts = s_int(rec, "ts_event");
        Ofts__TopOfBook top = t_bbo("ES", "ESH1", s_int(rec, "bid_px"), (uint32_t) s_int(rec, "bid_sz"),
                                    s_int(rec, "ask_px"), (uint32_t) s_int(rec, "ask_sz"));
        assert_int_equal(of_engine_bbo(e, &top, ts), 0);
        const char *side = json_string_value(json_object_get(rec, "side"));
        assert_non_null(side);
        assert_int_equal(side[0], 'A');
        Ofts__Trade t = t_trade("ES", "ESH1", s_int(rec, "price"), (uint32_t) s_int(rec, "size"),
                                OFTS__SIDE__SIDE_SELL);
        assert_int_equal(of_engine_trade(e, &t, ts), 0);
        aggressive[r] = sink.last_metrics.aggressive_sell_ratio;
        json_decref(rec);
    }
    const Ofts__Metrics *m = &sink.last_metrics;
    assert_true(aggressive[0] == 0.0);                  //  5 of the 26 bid
    assert_int_equal(m->window_volume, 26);
    assert_true(m->imbalance_ratio == -1.0);
    assert_true(m->aggressive_sell_ratio == 21.0 / 26.0);
    assert_true(m->aggressive_buy_ratio == 0.0);
    of_engine_destroy(&e);
    of_config_destroy(&cfg);
}

//  Feed one GC aggressor order: a quote (what it meets), then its prints,
//  all with one ts_event.
static void
s_gc_order(of_engine_t *e, int64_t ts, uint32_t bid_sz, uint32_t ask_sz, Ofts__Side side,
           const char *px1, uint32_t sz1, const char *px2, uint32_t sz2)
{
    Ofts__TopOfBook top = t_bbo("GC", "GCZ6", P("2350.0"), bid_sz, P("2350.1"), ask_sz);
    assert_int_equal(of_engine_bbo(e, &top, ts), 0);
    Ofts__Trade t = t_trade("GC", "GCZ6", P(px1), sz1, side);
    assert_int_equal(of_engine_trade(e, &t, ts), 0);
    if (px2) {
        t = t_trade("GC", "GCZ6", P(px2), sz2, side);
        assert_int_equal(of_engine_trade(e, &t, ts), 0);
    }
}

//  The two measures disagree, both ways, on windows the engine builds.
//  Absorption: buyers lift a 40-lot offer that refills (an iceberg) 2 lots
//  at a time while a few sellers hit a 30-lot bid: a strong buy imbalance,
//  no aggressive buying, and no signal (the primary alone is 0.4; the
//  offer outweighs the bid, which subtracts). Sweeps in a balanced market:
//  half the volume from buy orders that clear a 1-lot offer and go on one
//  tick up, half from 1-lot sells into a 30-lot bid: aggressive buying
//  0.5, imbalance 0, no primary and no signal.
static void
t_imbalance_vs_aggressive(void **state)
{
    (void) state;
    of_config_t *cfg = of_config_new(NULL);
    s_sink_t sink = { 0 };
    of_engine_t *e = s_engine(cfg, &sink);
    int64_t ts = T0;
    for (int i = 0; i < 30; i++) {
        s_gc_order(e, ts += SEC(1) / 4, 30, 40, OFTS__SIDE__SIDE_BUY, "2350.1", 2, NULL, 0);
        if (i % 5 == 0)
            s_gc_order(e, ts += SEC(1) / 4, 30, 40, OFTS__SIDE__SIDE_SELL, "2350.0", 2, NULL, 0);
    }
    const Ofts__Metrics *m = &sink.last_metrics;
    //  buy 60, sell 12: (60 - 12) / 72 = 0.667
    assert_int_equal(m->window_volume, 72);
    assert_true(fabs(m->imbalance_ratio - 48.0 / 72.0) < 1e-12);
    assert_true(m->aggressive_buy_ratio == 0.0);
    assert_true(m->aggressive_sell_ratio == 0.0);
    assert_true(fabs(m->depth_imbalance + 10.0 / 70.0) < 1e-12);   //  (30 - 40) / 70
    assert_int_equal(sink.signals, 0);
    of_engine_destroy(&e);

    sink = (s_sink_t) { 0 };
    e = s_engine(cfg, &sink);
    ts = T0;
    for (int i = 0; i < 12; i++) {
        //  1 lot at the 1 shown, 2 one tick through: 3 aggressive
        s_gc_order(e, ts += SEC(1) / 4, 30, 1, OFTS__SIDE__SIDE_BUY, "2350.1", 1, "2350.2", 2);
        for (int k = 0; k < 3; k++)
            s_gc_order(e, ts += SEC(1) / 4, 30, 30, OFTS__SIDE__SIDE_SELL, "2350.0", 1, NULL, 0);
    }
    assert_int_equal(m->window_volume, 72);
    assert_int_equal(m->window_trades, 60);
    assert_true(m->imbalance_ratio == 0.0);
    assert_true(m->aggressive_buy_ratio == 0.5);
    assert_true(m->aggressive_sell_ratio == 0.0);
    assert_int_equal(sink.signals, 0);
    of_engine_destroy(&e);
    of_config_destroy(&cfg);
}

static void
t_deterministic(void **state)
{
    (void) state;
    of_config_t *cfg = of_config_new(NULL);
    s_sink_t a = { 0 }, b = { 0 }, c = { 0 };
    s_run_stream(cfg, &a, true);
    s_run_stream(cfg, &b, true);
    //  without a metrics listener the engine fills less per trade: the
    //  signals (with the metrics they carry) must not change
    s_run_stream(cfg, &c, false);
    assert_int_equal(c.metrics, 0);
    assert_int_equal(a.len, c.len);
    assert_memory_equal(a.bytes, c.bytes, a.len);
    free(c.bytes);
    assert_true(a.signals >= 4);
    assert_int_equal(a.signals, b.signals);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.bytes, b.bytes, a.len);
    assert_string_equal(a.id, b.id);
    free(a.bytes);
    free(b.bytes);
    of_config_destroy(&cfg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_burst_gives_one_signal),
        cmocka_unit_test(t_rejects_and_dispatch),
        cmocka_unit_test(t_contracts_kept_apart),
        cmocka_unit_test(t_many_contracts),
        cmocka_unit_test(t_real_sample),
        cmocka_unit_test(t_real_tbbo),
        cmocka_unit_test(t_imbalance_vs_aggressive),
        cmocka_unit_test(t_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
