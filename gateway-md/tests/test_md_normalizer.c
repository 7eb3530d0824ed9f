/*  md_normalizer: topics, fields, aggressor mapping, F_LAST, unknown roots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dbn_file.h"
#include "md_normalizer.h"
#include <unistd.h>

typedef struct {
    char topic[64];
    int body;
    int64_t ts_event, ts_recv;
    char symbol[16], contract[32];
    uint32_t instrument_id;
    int64_t price, bid_px, ask_px;
    uint32_t size, bid_sz, ask_sz, bid_ct, ask_ct, flags, seq;
    int aggressor;
    size_t n_levels;
    int64_t level_bid[10], level_ask[10];
    uint32_t level_bid_sz[10];
} out_t;

typedef struct {
    out_t out[32];
    int n;
} sink_t;

static void
s_emit(const char *topic, Ofts__Envelope *env, void *arg)
{
    sink_t *s = arg;
    assert_true(s->n < 32);
    out_t *o = &s->out[s->n++];
    memset(o, 0, sizeof(*o));
    snprintf(o->topic, sizeof(o->topic), "%s", topic);
    o->body = env->body_case;
    assert_non_null(env->header);
    o->ts_event = env->header->ts_event;
    o->ts_recv = env->header->ts_recv;
    if (env->body_case == OFTS__ENVELOPE__BODY_TRADE) {
        Ofts__Trade *t = env->trade;
        snprintf(o->symbol, sizeof(o->symbol), "%s", t->symbol);
        snprintf(o->contract, sizeof(o->contract), "%s", t->contract);
        o->instrument_id = t->instrument_id;
        o->price = t->price;
        o->size = t->size;
        o->aggressor = t->aggressor;
        o->flags = t->flags;
        o->seq = t->exchange_seq;
    }
    else if (env->body_case == OFTS__ENVELOPE__BODY_BBO) {
        Ofts__TopOfBook *b = env->bbo;
        snprintf(o->symbol, sizeof(o->symbol), "%s", b->symbol);
        snprintf(o->contract, sizeof(o->contract), "%s", b->contract);
        o->instrument_id = b->instrument_id;
        o->bid_px = b->bid_px; o->ask_px = b->ask_px;
        o->bid_sz = b->bid_sz; o->ask_sz = b->ask_sz;
        o->bid_ct = b->bid_ct; o->ask_ct = b->ask_ct;
    }
    else if (env->body_case == OFTS__ENVELOPE__BODY_DEPTH) {
        Ofts__Depth *d = env->depth;
        snprintf(o->symbol, sizeof(o->symbol), "%s", d->symbol);
        snprintf(o->contract, sizeof(o->contract), "%s", d->contract);
        o->n_levels = d->n_levels;
        for (size_t i = 0; i < d->n_levels && i < 10; i++) {
            o->level_bid[i] = d->levels[i]->bid_px;
            o->level_ask[i] = d->levels[i]->ask_px;
            o->level_bid_sz[i] = d->levels[i]->bid_sz;
        }
    }
}

static dbn_record_t
s_rec(uint8_t rtype, char action, char side, uint8_t flags)
{
    dbn_record_t r;
    dbn_record_init(&r, rtype);
    r.instrument_id = 42;
    r.ts_event = 1764460800000000000ull;
    if (r.kind == DBN_KIND_MBP) {
        r.mbp.ts_recv = 1764460800000050000ull;
        r.mbp.price = 2350100000000;       //  2350.1
        r.mbp.size = 3;
        r.mbp.action = action;
        r.mbp.side = side;
        r.mbp.flags = flags;
        r.mbp.sequence = 99;
        for (int i = 0; i < 10; i++) {
            r.mbp.levels[i].bid_px = 2350000000000 - i * 100000000LL;
            r.mbp.levels[i].ask_px = 2350100000000 + i * 100000000LL;
            r.mbp.levels[i].bid_sz = 10u + (uint32_t) i;
            r.mbp.levels[i].ask_sz = 20u + (uint32_t) i;
            r.mbp.levels[i].bid_ct = 3;
            r.mbp.levels[i].ask_ct = 4;
        }
    }
    return r;
}

static void
test_trade_fields_and_aggressor(void **state)
{
    (void) state;
    md_normalizer_t *n = md_normalizer_new();
    sink_t s = { .n = 0 };
    const char sides[] = { 'B', 'A', 'N' };
    const int want[] = { OFTS__SIDE__SIDE_BUY, OFTS__SIDE__SIDE_SELL, OFTS__SIDE__SIDE_NONE };
    for (int i = 0; i < 3; i++) {
        dbn_record_t r = s_rec(DBN_RTYPE_MBP0, 'T', sides[i], 0x81);
        assert_int_equal(md_normalizer_process(n, &r, "GCZ6", s_emit, &s), 1);
        out_t *o = &s.out[i];
        assert_string_equal(o->topic, "md.trade.GC.");
        assert_int_equal(o->body, OFTS__ENVELOPE__BODY_TRADE);
        assert_string_equal(o->symbol, "GC");
        assert_string_equal(o->contract, "GCZ6");
        assert_int_equal(o->instrument_id, 42);
        assert_int_equal(o->price, 2350100000000);
        assert_int_equal(o->size, 3);
        assert_int_equal(o->aggressor, want[i]);
        assert_int_equal(o->flags, 0x81);
        assert_int_equal(o->seq, 99);
        assert_int_equal(o->ts_event, 1764460800000000000);
        assert_int_equal(o->ts_recv, 1764460800000050000);
    }
    //  Micro gold is its own root (longest root wins).
    dbn_record_t r = s_rec(DBN_RTYPE_MBP0, 'T', 'B', 0);
    md_normalizer_process(n, &r, "MGCZ6", s_emit, &s);
    assert_string_equal(s.out[3].topic, "md.trade.MGC.");
    //  MBO trade ('T') counts too; MBO add does not.
    dbn_record_t mbo;
    dbn_record_init(&mbo, DBN_RTYPE_MBO);
    mbo.mbo.action = 'T'; mbo.mbo.side = 'A'; mbo.mbo.price = 5; mbo.mbo.size = 2;
    assert_int_equal(md_normalizer_process(n, &mbo, "NQH7", s_emit, &s), 1);
    assert_string_equal(s.out[4].topic, "md.trade.NQ.");
    assert_int_equal(s.out[4].aggressor, OFTS__SIDE__SIDE_SELL);
    mbo.mbo.action = 'A';
    assert_int_equal(md_normalizer_process(n, &mbo, "NQH7", s_emit, &s), 0);
    md_normalizer_destroy(&n);
    assert_null(n);
}

static void
test_mbp1_bbo_and_trade(void **state)
{
    (void) state;
    md_normalizer_t *n = md_normalizer_new();
    sink_t s = { .n = 0 };
    dbn_record_t r = s_rec(DBN_RTYPE_MBP1, 'A', 'B', 0x80);
    assert_int_equal(md_normalizer_process(n, &r, "SIH7", s_emit, &s), 1);
    assert_string_equal(s.out[0].topic, "md.bbo.SI.");
    assert_int_equal(s.out[0].bid_px, 2350000000000);
    assert_int_equal(s.out[0].ask_px, 2350100000000);
    assert_int_equal(s.out[0].bid_sz, 10);
    assert_int_equal(s.out[0].ask_sz, 20);
    assert_int_equal(s.out[0].bid_ct, 3);
    assert_int_equal(s.out[0].ask_ct, 4);
    //  action 'T' (and TBBO, same rtype): a trade and the book.
    r = s_rec(DBN_RTYPE_MBP1, 'T', 'A', 0x80);
    assert_int_equal(md_normalizer_process(n, &r, "SIH7", s_emit, &s), 2);
    assert_string_equal(s.out[1].topic, "md.trade.SI.");
    assert_int_equal(s.out[1].aggressor, OFTS__SIDE__SIDE_SELL);
    assert_string_equal(s.out[2].topic, "md.bbo.SI.");
    //  BBO-1s: a sample, always complete, its price is not a new trade.
    r = s_rec(DBN_RTYPE_BBO_1S, 0, 'A', 0);
    assert_int_equal(md_normalizer_process(n, &r, "SIH7", s_emit, &s), 1);
    assert_string_equal(s.out[3].topic, "md.bbo.SI.");
    md_normalizer_stats_t st = md_normalizer_stats(n);
    assert_int_equal(st.trades, 1);
    assert_int_equal(st.bbos, 3);
    md_normalizer_destroy(&n);
}

//  An event spread over several records: only the F_LAST one shows the book.
static void
test_f_last_holds_book(void **state)
{
    (void) state;
    md_normalizer_t *n = md_normalizer_new();
    sink_t s = { .n = 0 };
    dbn_record_t a = s_rec(DBN_RTYPE_MBP10, 'T', 'B', 0x00);    //  trade, event continues
    dbn_record_t b = s_rec(DBN_RTYPE_MBP10, 'C', 'A', 0x00);    //  cancel, event continues
    dbn_record_t c = s_rec(DBN_RTYPE_MBP10, 'A', 'A', 0x80);    //  add, last of the event
    c.mbp.levels[0].bid_sz = 77;
    assert_int_equal(md_normalizer_process(n, &a, "HGH7", s_emit, &s), 1);   //  the trade only
    assert_string_equal(s.out[0].topic, "md.trade.HG.");
    assert_int_equal(md_normalizer_process(n, &b, "HGH7", s_emit, &s), 0);
    assert_int_equal(md_normalizer_process(n, &c, "HGH7", s_emit, &s), 2);
    assert_string_equal(s.out[1].topic, "md.book.HG.");
    assert_int_equal(s.out[1].n_levels, 10);
    assert_int_equal(s.out[1].level_bid[9], 2350000000000 - 9 * 100000000LL);
    assert_int_equal(s.out[1].level_ask[3], 2350100000000 + 3 * 100000000LL);
    assert_int_equal(s.out[1].level_bid_sz[0], 77);
    assert_string_equal(s.out[2].topic, "md.bbo.HG.");
    assert_int_equal(s.out[2].bid_sz, 77);
    md_normalizer_stats_t st = md_normalizer_stats(n);
    assert_int_equal(st.held, 2);
    assert_int_equal(st.books, 1);
    //  Without bbo from depth.
    md_normalizer_set_bbo_from_depth(n, false);
    assert_int_equal(md_normalizer_process(n, &c, "HGH7", s_emit, &s), 1);
    assert_string_equal(s.out[3].topic, "md.book.HG.");
    md_normalizer_destroy(&n);
}

static void
test_unknown_and_filtered(void **state)
{
    (void) state;
    md_normalizer_t *n = md_normalizer_new();
    sink_t s = { .n = 0 };
    dbn_record_t r = s_rec(DBN_RTYPE_MBP0, 'T', 'B', 0x80);
    assert_int_equal(md_normalizer_process(n, &r, NULL, s_emit, &s), 0);          //  unmapped id
    assert_int_equal(md_normalizer_process(n, &r, "ZNH7", s_emit, &s), 0);        //  not in our table
    assert_int_equal(md_normalizer_process(n, &r, "GCZ6-GCG7", s_emit, &s), 0);   //  spread
    assert_int_equal(md_normalizer_stats(n).unknown, 3);
    assert_int_equal(md_normalizer_allow(n, "GC"), 0);
    assert_int_equal(md_normalizer_allow(n, "XX"), -1);
    assert_int_equal(md_normalizer_process(n, &r, "NQH7", s_emit, &s), 0);
    assert_int_equal(md_normalizer_stats(n).filtered, 1);
    assert_int_equal(md_normalizer_process(n, &r, "GCG7", s_emit, &s), 1);
    assert_string_equal(s.out[0].topic, "md.trade.GC.");
    dbn_record_t st;
    dbn_record_init(&st, DBN_RTYPE_STATUS);
    assert_int_equal(md_normalizer_process(n, &st, "GCG7", s_emit, &s), 0);
    assert_int_equal(md_normalizer_stats(n).ignored, 1);
    assert_int_equal(s.n, 1);
    md_normalizer_destroy(&n);
}

//  Real data: the ESH1 MBP-10 and trades samples (values from the
//  reference decodes in ../shared/data/dbn/EXPECTED) through the normaliser.
static void
test_real_samples(void **state)
{
    (void) state;
    const char *dir = getenv("OFTS_SHARED_DBN");
    char path[512];
    snprintf(path, sizeof(path), "%s/test_data.mbp-10.dbn", dir ? dir : "/nonexistent");
    if (access(path, R_OK) != 0) {
        print_message("skipped: no shared DBN samples (OFTS_SHARED_DBN=%s)\n", dir ? dir : "unset");
        skip();
    }
    md_normalizer_t *n = md_normalizer_new();
    sink_t s = { .n = 0 };
    char err[256];
    dbn_file_t *f = dbn_file_new(path, err, sizeof(err));
    assert_non_null(f);
    const dbn_record_t *rec;
    while (dbn_file_next(f, &rec) == 1)
        md_normalizer_process(n, rec, dbn_decoder_symbol(dbn_file_decoder(f), rec->instrument_id), s_emit, &s);
    dbn_file_destroy(&f);
    //  two MBP-10 records (action C, flags 128): book + bbo each, no trade
    assert_int_equal(s.n, 4);
    assert_string_equal(s.out[0].topic, "md.book.ES.");
    assert_string_equal(s.out[0].contract, "ESH1");
    assert_int_equal(s.out[0].n_levels, 10);
    assert_int_equal(s.out[0].level_bid[0], 3720250000000);
    assert_int_equal(s.out[0].level_ask[0], 3720500000000);
    assert_int_equal(s.out[0].level_bid[1], 3720000000000);
    assert_int_equal(s.out[0].level_bid_sz[1], 31);
    assert_int_equal(s.out[0].level_ask[9], 3722750000000);
    assert_int_equal(s.out[0].ts_event, 1609160400000429831);
    assert_int_equal(s.out[0].ts_recv, 1609160400000704060);
    assert_string_equal(s.out[1].topic, "md.bbo.ES.");
    assert_int_equal(s.out[1].bid_sz, 24);
    assert_int_equal(s.out[1].ask_sz, 10);
    assert_int_equal(s.out[1].bid_ct, 15);
    assert_int_equal(s.out[1].ask_ct, 8);
    assert_int_equal(s.out[2].level_bid_sz[1], 30);         //  second record: 31 -> 30
    //  trades: two sell-aggressor prints of 5 and 21 at 3720.25
    snprintf(path, sizeof(path), "%s/test_data.trades.v1.dbn.zst", dir);
    f = dbn_file_new(path, err, sizeof(err));
    assert_non_null(f);
    s.n = 0;
    while (dbn_file_next(f, &rec) == 1)
        md_normalizer_process(n, rec, dbn_decoder_symbol(dbn_file_decoder(f), rec->instrument_id), s_emit, &s);
    dbn_file_destroy(&f);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.out[0].topic, "md.trade.ES.");
    assert_int_equal(s.out[0].price, 3720250000000);
    assert_int_equal(s.out[0].size, 5);
    assert_int_equal(s.out[1].size, 21);
    assert_int_equal(s.out[0].aggressor, OFTS__SIDE__SIDE_SELL);
    assert_int_equal(s.out[0].flags, 129);
    assert_int_equal(s.out[0].seq, 1170380);
    md_normalizer_destroy(&n);
}

//  A live session on trades + mbp-1 + mbp-10 sees each trade three times;
//  with the trade rtype chosen from the schemas it is counted once.
static void
test_one_trade_source(void **state)
{
    (void) state;
    const char *live[] = { "trades", "mbp-1", "mbp-10" };
    assert_int_equal(md_normalizer_trade_rtype_for(live, 3), DBN_RTYPE_MBP0);
    const char *books[] = { "mbp-10", "mbp-1" };
    assert_int_equal(md_normalizer_trade_rtype_for(books, 2), DBN_RTYPE_MBP1);
    const char *depth[] = { "mbp-10" };
    assert_int_equal(md_normalizer_trade_rtype_for(depth, 1), DBN_RTYPE_MBP10);
    const char *mixed[] = { NULL };
    assert_int_equal(md_normalizer_trade_rtype_for(mixed, 1), DBN_RTYPE_MBP0);
    const char *none[] = { "ohlcv-1s" };
    assert_int_equal(md_normalizer_trade_rtype_for(none, 1), -1);
    assert_int_equal(md_normalizer_trade_source_parse("auto"), -2);
    assert_int_equal(md_normalizer_trade_source_parse("any"), -1);
    assert_int_equal(md_normalizer_trade_source_parse("tbbo"), DBN_RTYPE_MBP1);
    assert_int_equal(md_normalizer_trade_source_parse("nonsense"), -3);

    md_normalizer_t *n = md_normalizer_new();
    md_normalizer_set_trade_rtype(n, md_normalizer_trade_rtype_for(live, 3));
    sink_t sink = { .n = 0 };
    dbn_record_t t = s_rec(DBN_RTYPE_MBP0, 'T', 'B', DBN_F_LAST);
    dbn_record_t m1 = s_rec(DBN_RTYPE_MBP1, 'T', 'B', DBN_F_LAST);
    dbn_record_t m10 = s_rec(DBN_RTYPE_MBP10, 'T', 'B', DBN_F_LAST);
    md_normalizer_process(n, &t, "GCZ6", s_emit, &sink);
    md_normalizer_process(n, &m1, "GCZ6", s_emit, &sink);
    md_normalizer_process(n, &m10, "GCZ6", s_emit, &sink);
    int trades = 0;
    for (int i = 0; i < sink.n; i++)
        trades += sink.out[i].body == OFTS__ENVELOPE__BODY_TRADE;
    assert_int_equal(trades, 1);
    //  mbp-1 -> bbo; mbp-10 -> book + bbo: the book still flows.
    assert_int_equal(sink.n, 4);
    md_normalizer_destroy(&n);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trade_fields_and_aggressor),
        cmocka_unit_test(test_mbp1_bbo_and_trade),
        cmocka_unit_test(test_f_last_holds_book),
        cmocka_unit_test(test_unknown_and_filtered),
        cmocka_unit_test(test_real_samples),
        cmocka_unit_test(test_one_trade_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
