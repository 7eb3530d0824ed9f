/*  dbn_decoder / dbn_encoder / dbn_file: round trips for every record type
    in every version, truncation at every byte, garbage, bad lengths, unknown
    rtypes, zstd multi-frame. Runs without ../shared: the bytes come from
    our own encoder (whose layout the sample test checks against real data). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dbn_decoder.h"
#include "dbn_encoder.h"
#include "dbn_file.h"
#include "ofts_log.h"

#define GC_ID 42
#define SI_ID 43

static char *s_sym_gc[] = { "GCZ6" };
static char *s_iv_symbol = "42";

static dbn_metadata_t
s_meta(uint8_t version, bool ts_out)
{
    static dbn_interval_t iv;
    static dbn_mapping_t map;
    iv = (dbn_interval_t) { 20261130, 20261201, s_iv_symbol };
    map = (dbn_mapping_t) { "GCZ6", 1, &iv };
    dbn_metadata_t m = {
        .version = version, .dataset = "GLBX.MDP3", .schema = DBN_NULL_SCHEMA,
        .start = 1764460800000000000ull, .end = DBN_UNDEF_TIMESTAMP, .limit = 0,
        .stype_in = 1, .stype_out = 0, .ts_out = ts_out,
        .symbol_count = 1, .symbols = s_sym_gc, .mapping_count = 1, .mappings = &map
    };
    return m;
}

static dbn_record_t
s_trade(uint32_t id, int64_t price, uint32_t size, char side, uint8_t flags, uint64_t ts)
{
    dbn_record_t r;
    dbn_record_init(&r, DBN_RTYPE_MBP0);
    r.publisher_id = 1;
    r.instrument_id = id;
    r.ts_event = ts;
    r.mbp.price = price;
    r.mbp.size = size;
    r.mbp.action = 'T';
    r.mbp.side = side;
    r.mbp.flags = flags;
    r.mbp.ts_recv = ts + 1000;
    r.mbp.ts_in_delta = 1234;
    r.mbp.sequence = 777;
    return r;
}

static dbn_record_t
s_mbp(uint8_t rtype, uint32_t id, uint64_t ts)
{
    dbn_record_t r = s_trade(id, 2350100000000, 3, 'B', 0x80, ts);
    r.rtype = rtype;
    r.mbp.action = 'A';
    r.mbp.depth = 1;
    r.mbp.level_count = (uint8_t) dbn_rtype_levels(rtype);
    bool consolidated = rtype == DBN_RTYPE_CMBP1 || rtype == DBN_RTYPE_TCBBO
                     || rtype == DBN_RTYPE_CBBO_1S || rtype == DBN_RTYPE_CBBO_1M;
    for (int i = 0; i < 10; i++) {
        dbn_level_t *l = &r.mbp.levels[i];
        l->bid_px = 2350000000000 - i * 100000000LL;
        l->ask_px = 2350100000000 + i * 100000000LL;
        l->bid_sz = 10u + (uint32_t) i;
        l->ask_sz = 20u + (uint32_t) i;
        l->bid_ct = consolidated ? 0 : 1u + (uint32_t) i;
        l->ask_ct = consolidated ? 0 : 2u + (uint32_t) i;
        l->bid_pb = consolidated ? 1 : 0;
        l->ask_pb = consolidated ? 2 : 0;
    }
    if (rtype == DBN_RTYPE_BBO_1S || rtype == DBN_RTYPE_BBO_1M || rtype == DBN_RTYPE_CBBO_1S
        || rtype == DBN_RTYPE_CBBO_1M) {
        r.mbp.action = 0;
        r.mbp.depth = 0;
        r.mbp.ts_in_delta = 0;
    }
    if (rtype == DBN_RTYPE_CMBP1 || rtype == DBN_RTYPE_TCBBO)
        r.mbp.depth = 0, r.mbp.sequence = 0;
    if (rtype == DBN_RTYPE_CBBO_1S || rtype == DBN_RTYPE_CBBO_1M)
        r.mbp.sequence = 0;
    return r;
}

//  One record of every supported rtype, with values that fit v1 too.
static int
s_all_records(dbn_record_t *out)
{
    int n = 0;
    const uint8_t mbps[] = { DBN_RTYPE_MBP0, DBN_RTYPE_MBP1, DBN_RTYPE_MBP10, DBN_RTYPE_BBO_1S,
                             DBN_RTYPE_BBO_1M, DBN_RTYPE_CMBP1, DBN_RTYPE_TCBBO,
                             DBN_RTYPE_CBBO_1S, DBN_RTYPE_CBBO_1M };
    for (size_t i = 0; i < sizeof(mbps); i++)
        out[n++] = s_mbp(mbps[i], GC_ID, 1000 + i);
    out[0] = s_trade(GC_ID, 2350100000000, 5, 'A', 0x81, 1000);
    dbn_record_t r;
    dbn_record_init(&r, DBN_RTYPE_MBO);
    r.instrument_id = GC_ID; r.ts_event = 2000;
    r.mbo.order_id = 647784973705ull; r.mbo.price = 3722750000000; r.mbo.size = 1;
    r.mbo.flags = 128; r.mbo.channel_id = 3; r.mbo.action = 'C'; r.mbo.side = 'A';
    r.mbo.ts_recv = 2001; r.mbo.ts_in_delta = 22993; r.mbo.sequence = 1170352;
    out[n++] = r;
    const uint8_t ohlcv[] = { DBN_RTYPE_OHLCV_1S, DBN_RTYPE_OHLCV_1M, DBN_RTYPE_OHLCV_1H,
                              DBN_RTYPE_OHLCV_1D, DBN_RTYPE_OHLCV_EOD, DBN_RTYPE_OHLCV_DEPRECATED };
    for (size_t i = 0; i < sizeof(ohlcv); i++) {
        dbn_record_init(&r, ohlcv[i]);
        r.instrument_id = GC_ID; r.ts_event = 3000 + i;
        r.ohlcv.open = 1; r.ohlcv.high = 4; r.ohlcv.low = -2; r.ohlcv.close = 3;
        r.ohlcv.volume = 1ull << 40;
        out[n++] = r;
    }
    dbn_record_init(&r, DBN_RTYPE_STATUS);
    r.instrument_id = GC_ID; r.ts_event = 4000; r.status.ts_recv = 4001;
    r.status.action = 7; r.status.reason = 1; r.status.trading_event = 2;
    r.status.is_trading = 'Y'; r.status.is_quoting = 'N'; r.status.is_short_sell_restricted = '~';
    out[n++] = r;
    dbn_record_init(&r, DBN_RTYPE_IMBALANCE);
    r.instrument_id = GC_ID; r.ts_event = 5000; r.imbalance.ts_recv = 5001;
    r.imbalance.ref_price = 229430000000; r.imbalance.total_imbalance_qty = 2000;
    r.imbalance.paired_qty = 1719; r.imbalance.auction_type = 'O'; r.imbalance.side = 'B';
    r.imbalance.unpaired_side = 'N'; r.imbalance.significant_imbalance = '~';
    r.imbalance.num_extensions = 2;
    out[n++] = r;
    dbn_record_init(&r, DBN_RTYPE_STATISTICS);
    r.instrument_id = GC_ID; r.ts_event = 6000; r.stat.ts_recv = 6001; r.stat.ts_ref = 6002;
    r.stat.price = 100000000000; r.stat.quantity = 12345; r.stat.sequence = 7;
    r.stat.ts_in_delta = -5; r.stat.stat_type = 9; r.stat.channel_id = 13;
    r.stat.update_action = 1; r.stat.stat_flags = 255;
    out[n++] = r;
    dbn_record_init(&r, DBN_RTYPE_STATISTICS);    //  undefined quantity: sentinel upgrade
    r.instrument_id = GC_ID; r.ts_event = 6100; r.stat.stat_type = 5;
    out[n++] = r;
    dbn_record_init(&r, DBN_RTYPE_ERROR);
    r.ts_event = 7000;
    strcpy(r.error.err, "Failed to resolve symbol: XXZ6");
    r.error.code = 4; r.error.is_last = 1;
    out[n++] = r;
    dbn_record_init(&r, DBN_RTYPE_SYSTEM);
    r.ts_event = 8000;
    strcpy(r.system.msg, "Heartbeat");
    r.system.code = 0;
    out[n++] = r;
    dbn_record_init(&r, DBN_RTYPE_SYMBOL_MAPPING);
    r.instrument_id = SI_ID; r.ts_event = 9000;
    r.mapping.stype_in = 1; r.mapping.stype_out = 1;
    strcpy(r.mapping.stype_in_symbol, "SI.FUT");
    strcpy(r.mapping.stype_out_symbol, "SIH7");
    r.mapping.start_ts = 9001; r.mapping.end_ts = DBN_UNDEF_TIMESTAMP;
    out[n++] = r;
    dbn_record_init(&r, DBN_RTYPE_INSTRUMENT_DEF);
    r.instrument_id = 44; r.ts_event = 10000; r.def.ts_recv = 10001;
    r.def.min_price_increment = 100000000; r.def.display_factor = 1000000000;
    r.def.expiration = 1798761600000000000ull; r.def.activation = 1700000000000000000ull;
    r.def.unit_of_measure_qty = 100000000000; r.def.strike_price = DBN_UNDEF_PRICE;
    r.def.raw_instrument_id = 44; r.def.contract_multiplier = 100; r.def.maturity_year = 2026;
    r.def.channel_id = 9; r.def.appl_id = -3; r.def.market_depth = 10;
    strcpy(r.def.raw_symbol, "GCZ6"); strcpy(r.def.asset, "GC"); strcpy(r.def.exchange, "XCEC");
    strcpy(r.def.currency, "USD"); strcpy(r.def.group, "GC"); strcpy(r.def.cfi, "FCAXSX");
    strcpy(r.def.security_type, "FUT"); strcpy(r.def.unit_of_measure, "OZTROY");
    r.def.instrument_class = 'F'; r.def.match_algorithm = 'F'; r.def.security_update_action = 'A';
    r.def.user_defined_instrument = 'N'; r.def.maturity_month = 12; r.def.contract_multiplier_unit = -1;
    out[n++] = r;
    return n;
}

//  --- field-wise comparison ---------------------------------------------

typedef struct {
    char text[8192];
    size_t len;
} dump_t;

static void
s_dump_field(const dbn_field_value_t *f, int level, void *arg)
{
    dump_t *d = arg;
    if (d->len >= sizeof(d->text) - 200)
        return;
    if (f->type == DBN_FT_STR)
        d->len += (size_t) snprintf(d->text + d->len, sizeof(d->text) - d->len, "%d.%s=%s ", level, f->name, f->s);
    else
        d->len += (size_t) snprintf(d->text + d->len, sizeof(d->text) - d->len, "%d.%s=%" PRIu64 "/%" PRId64 " ",
                                    level, f->name, f->u, f->i);
}

static void
s_dump(const dbn_record_t *r, dump_t *d)
{
    d->len = (size_t) snprintf(d->text, sizeof(d->text), "rtype=%u pub=%u id=%u ts=%" PRIu64 " ",
                               r->rtype, r->publisher_id, r->instrument_id, r->ts_event);
    dbn_record_fields(r, s_dump_field, d);
}

static void
s_assert_same(const dbn_record_t *a, const dbn_record_t *b)
{
    static dump_t da, db;
    s_dump(a, &da);
    s_dump(b, &db);
    assert_string_equal(da.text, db.text);
}

static dbn_decoder_t *
s_decode_all(const uint8_t *bytes, size_t len, dbn_record_t *out, int max, int *count)
{
    dbn_decoder_t *dec = dbn_decoder_new();
    assert_int_equal(dbn_decoder_feed(dec, bytes, len), 0);
    const dbn_record_t *rec;
    int n = 0, rc;
    while ((rc = dbn_decoder_next(dec, &rec)) == 1) {
        assert_true(n < max);
        out[n++] = *rec;
    }
    if (rc < 0)
        print_error("decode error: %s\n", dbn_decoder_error(dec));
    assert_int_equal(rc, 0);
    assert_int_equal(dbn_decoder_finish(dec), 0);
    *count = n;
    return dec;
}

//  The layout tables: no field outside its record, no two fields overlapping,
//  in every version (catches offset typos the round trips cannot see).
static void
test_field_tables_consistent(void **state)
{
    (void) state;
    char err[256] = "";
    int rc = dbn_record_selfcheck(err, sizeof(err));
    if (rc != 0)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(dbn_rtype_size(DBN_RTYPE_INSTRUMENT_DEF, 1), 360);
    assert_int_equal(dbn_rtype_size(DBN_RTYPE_INSTRUMENT_DEF, 2), 400);
    assert_int_equal(dbn_rtype_size(DBN_RTYPE_INSTRUMENT_DEF, 3), 520);
    assert_int_equal(dbn_rtype_size(DBN_RTYPE_STATISTICS, 2), 64);
    assert_int_equal(dbn_rtype_size(DBN_RTYPE_STATISTICS, 3), 80);
    assert_int_equal(dbn_rtype_size(DBN_RTYPE_MBP10, 1), 368);
    assert_int_equal(dbn_rtype_size(0x77, 3), 0);
    assert_int_equal(dbn_rtype_size(DBN_RTYPE_MBP0, 4), 0);
}

static void
test_round_trip_v3_every_rtype(void **state)
{
    (void) state;
    static dbn_record_t recs[64], got[64];
    int n = s_all_records(recs);
    assert_true(n >= 24);
    for (int ts_out = 0; ts_out <= 1; ts_out++) {
        dbn_metadata_t meta = s_meta(3, ts_out);
        dbn_encoder_t *enc = dbn_encoder_new_mem(&meta, false);
        assert_non_null(enc);
        for (int i = 0; i < n; i++) {
            recs[i].ts_out = ts_out ? 1764460800123456789ull + (uint64_t) i : DBN_UNDEF_TIMESTAMP;
            assert_int_equal(dbn_encoder_write(enc, &recs[i]), 0);
        }
        size_t len;
        const uint8_t *bytes = dbn_encoder_bytes(enc, &len);
        int count;
        dbn_decoder_t *dec = s_decode_all(bytes, len, got, 64, &count);
        assert_int_equal(count, n);
        for (int i = 0; i < n; i++) {
            s_assert_same(&recs[i], &got[i]);
            assert_int_equal(got[i].ts_out, recs[i].ts_out);
            assert_int_equal(got[i].length, dbn_rtype_size(recs[i].rtype, 3) + (ts_out ? 8 : 0));
            assert_int_equal(got[i].kind, dbn_rtype_kind(recs[i].rtype));
        }
        assert_int_equal(dbn_decoder_offset(dec), len);
        assert_int_equal(dbn_decoder_records(dec), n);
        assert_int_equal(dbn_decoder_skipped(dec), 0);
        //  Symbols: metadata mapping, SymbolMapping record, definition record.
        assert_string_equal(dbn_decoder_symbol(dec, GC_ID), "GCZ6");
        assert_string_equal(dbn_decoder_symbol(dec, SI_ID), "SIH7");
        assert_string_equal(dbn_decoder_symbol(dec, 44), "GCZ6");
        assert_null(dbn_decoder_symbol(dec, 999));
        const dbn_metadata_t *m = dbn_decoder_metadata(dec);
        assert_non_null(m);
        assert_int_equal(m->version, 3);
        assert_int_equal((8 + m->length) % 8, 0);      //  v3 pads the header
        assert_int_equal(m->ts_out, ts_out);
        assert_string_equal(m->dataset, "GLBX.MDP3");
        assert_int_equal(m->schema, DBN_NULL_SCHEMA);
        assert_int_equal(m->mappings[0].intervals[0].start_date, 20261130);
        dbn_decoder_destroy(&dec);
        dbn_encoder_destroy(&enc);
    }
}

//  v1 and v2: the records that exist there survive; re-encoding what was
//  decoded gives the same bytes (the upgrade is lossless for them).
static void
test_round_trip_v1_v2(void **state)
{
    (void) state;
    static dbn_record_t recs[64], got[64], again[64];
    int n = s_all_records(recs);
    for (uint8_t v = 1; v <= 2; v++) {
        dbn_metadata_t meta = s_meta(v, false);
        dbn_encoder_t *enc = dbn_encoder_new_mem(&meta, false);
        for (int i = 0; i < n; i++)
            assert_int_equal(dbn_encoder_write(enc, &recs[i]), 0);
        size_t len;
        const uint8_t *bytes = dbn_encoder_bytes(enc, &len);
        int count;
        dbn_decoder_t *dec = s_decode_all(bytes, len, got, 64, &count);
        assert_int_equal(count, n);
        assert_int_equal(dbn_decoder_metadata(dec)->symbol_cstr_len, v == 1 ? 22 : 71);
        for (int i = 0; i < n; i++) {
            const dbn_record_t *a = &recs[i], *b = &got[i];
            assert_int_equal(b->length, dbn_rtype_size(a->rtype, v));
            if (a->kind == DBN_KIND_MBP || a->kind == DBN_KIND_MBO || a->kind == DBN_KIND_OHLCV
                || a->kind == DBN_KIND_STATUS || a->kind == DBN_KIND_IMBALANCE)
                s_assert_same(a, b);     //  same layout in every version
        }
        //  Hand-checked upgrades.
        const dbn_record_t *stat = &got[n - 6], *undef = &got[n - 5];
        assert_int_equal(stat->stat.quantity, 12345);
        assert_int_equal(stat->stat.ts_in_delta, -5);
        assert_int_equal(undef->stat.quantity, DBN_UNDEF_STAT_QTY);
        const dbn_record_t *err = &got[n - 4], *sys = &got[n - 3], *map = &got[n - 2], *def = &got[n - 1];
        assert_string_equal(err->error.err, "Failed to resolve symbol: XXZ6");
        assert_int_equal(err->error.code, 4);        //  v1: derived from the text
        assert_int_equal(sys->system.code, 0);       //  v1: "Heartbeat"
        assert_string_equal(map->mapping.stype_out_symbol, "SIH7");
        assert_int_equal(map->mapping.stype_in, v == 1 ? 255 : 1);
        assert_int_equal(map->mapping.start_ts, 9001);
        assert_string_equal(def->def.raw_symbol, "GCZ6");
        assert_string_equal(def->def.asset, "GC");
        assert_int_equal(def->def.min_price_increment, 100000000);
        assert_int_equal(def->def.unit_of_measure_qty, 100000000000);
        assert_int_equal(def->def.contract_multiplier, 100);
        assert_int_equal(def->def.appl_id, -3);
        assert_int_equal(def->def.contract_multiplier_unit, -1);
        assert_int_equal(def->def.instrument_class, 'F');
        assert_int_equal(def->def.leg_price, DBN_UNDEF_PRICE);     //  absent before v3
        assert_int_equal(def->def.trading_reference_price, DBN_UNDEF_PRICE);
        assert_string_equal(dbn_decoder_symbol(dec, 44), "GCZ6");
        //  Idempotent: encode what we decoded, decode again, same records.
        dbn_encoder_t *enc2 = dbn_encoder_new_mem(&meta, false);
        for (int i = 0; i < n; i++)
            assert_int_equal(dbn_encoder_write(enc2, &got[i]), 0);
        size_t len2;
        const uint8_t *bytes2 = dbn_encoder_bytes(enc2, &len2);
        assert_int_equal(len2, len);
        assert_memory_equal(bytes2, bytes, len);
        int count2;
        dbn_decoder_t *dec2 = s_decode_all(bytes2, len2, again, 64, &count2);
        for (int i = 0; i < n; i++)
            s_assert_same(&got[i], &again[i]);
        dbn_decoder_destroy(&dec2);
        dbn_encoder_destroy(&enc2);
        dbn_decoder_destroy(&dec);
        dbn_encoder_destroy(&enc);
    }
}

//  A v1 mapping symbol longer than 21 characters is cut (22-byte field).
//  A v1 ErrorMsg (80 bytes: header + err[64]) has no code and no is_last.
//  Upgraded like dbn v2.rs / cpp v1.cpp ErrorMsg::ToV2: code from the text
//  (255 = unset when unknown), is_last 255 = unknown (never 0: "not last").
static void
test_v1_error_upgrade(void **state)
{
    (void) state;
    uint8_t v1[160] = { 0 };
    v1[0] = 20; v1[1] = DBN_RTYPE_ERROR;
    v1[8] = 0x2A;                                       //  ts_event 42
    memcpy(v1 + 16, "Failed to resolve symbol: XXZ6", 30);
    v1[80] = 20; v1[81] = DBN_RTYPE_ERROR;
    memcpy(v1 + 96, "Gateway is restarting", 21);
    dbn_decoder_t *dec = dbn_decoder_new_fragment(1, false);
    assert_int_equal(dbn_decoder_feed(dec, v1, sizeof v1), 0);
    const dbn_record_t *rec;
    assert_int_equal(dbn_decoder_next(dec, &rec), 1);
    assert_int_equal(rec->rtype, DBN_RTYPE_ERROR);
    assert_int_equal(rec->ts_event, 42);
    assert_string_equal(rec->error.err, "Failed to resolve symbol: XXZ6");
    assert_int_equal(rec->error.code, 4);
    assert_int_equal(rec->error.is_last, 255);
    assert_int_equal(dbn_decoder_next(dec, &rec), 1);
    assert_int_equal(rec->error.code, 255);
    assert_int_equal(rec->error.is_last, 255);
    dbn_decoder_destroy(&dec);
}

static void
test_v1_symbol_width(void **state)
{
    (void) state;
    dbn_record_t r;
    dbn_record_init(&r, DBN_RTYPE_SYMBOL_MAPPING);
    strcpy(r.mapping.stype_out_symbol, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    uint8_t out[512];
    assert_int_equal(dbn_record_encode(&r, 1, false, out, sizeof(out)), 80);
    dbn_record_t back;
    assert_int_equal(dbn_record_decode(&back, out, 80, 1), 0);
    assert_string_equal(back.mapping.stype_out_symbol, "ABCDEFGHIJKLMNOPQRSTUV");   //  all 22, no NUL
    assert_int_equal(dbn_record_decode(&back, out, 79, 1), -1);
}

//  Feeding one byte at a time gives the same records.
static void
test_byte_by_byte(void **state)
{
    (void) state;
    static dbn_record_t recs[64];
    int n = s_all_records(recs);
    dbn_metadata_t meta = s_meta(2, false);
    dbn_encoder_t *enc = dbn_encoder_new_mem(&meta, false);
    for (int i = 0; i < n; i++)
        dbn_encoder_write(enc, &recs[i]);
    size_t len;
    const uint8_t *bytes = dbn_encoder_bytes(enc, &len);
    dbn_decoder_t *dec = dbn_decoder_new();
    const dbn_record_t *rec;
    int got = 0;
    for (size_t i = 0; i < len; i++) {
        assert_int_equal(dbn_decoder_feed(dec, bytes + i, 1), 0);
        int rc;
        while ((rc = dbn_decoder_next(dec, &rec)) == 1) {
            if (recs[got].kind == DBN_KIND_MBP)
                s_assert_same(&recs[got], rec);
            got++;
        }
        assert_int_equal(rc, 0);
    }
    assert_int_equal(got, n);
    assert_int_equal(dbn_decoder_finish(dec), 0);
    dbn_decoder_destroy(&dec);
    dbn_encoder_destroy(&enc);
}

//  Cut a small stream at every byte: never a crash, whole records before
//  the cut come out, and finish() reports the truncation with its offset.
static void
test_truncated_every_byte(void **state)
{
    (void) state;
    dbn_metadata_t meta = s_meta(3, false);
    dbn_encoder_t *enc = dbn_encoder_new_mem(&meta, false);
    dbn_record_t t = s_trade(GC_ID, 2350100000000, 1, 'B', 0x80, 1);
    dbn_record_t m = s_mbp(DBN_RTYPE_MBP1, GC_ID, 2);
    dbn_encoder_write(enc, &t);
    dbn_encoder_write(enc, &m);
    size_t len;
    const uint8_t *bytes = dbn_encoder_bytes(enc, &len);
    size_t header = len - 48 - 80;
    for (size_t cut = 0; cut <= len; cut++) {
        dbn_decoder_t *dec = dbn_decoder_new();
        dbn_decoder_feed(dec, bytes, cut);
        const dbn_record_t *rec;
        int n = 0, rc;
        while ((rc = dbn_decoder_next(dec, &rec)) == 1)
            n++;
        assert_int_equal(rc, 0);
        int expect = cut >= header + 48 + 80 ? 2 : cut >= header + 48 ? 1 : 0;
        assert_int_equal(n, expect);
        int fin = dbn_decoder_finish(dec);
        if (cut == len || (cut == header + 48)) {
            //  a cut exactly between records is a valid, shorter stream
            assert_int_equal(fin, 0);
        }
        else if (cut == header) {
            assert_int_equal(fin, 0);
        }
        else {
            assert_int_equal(fin, -1);
            const char *err = dbn_decoder_error(dec);
            assert_non_null(err);
            assert_non_null(strstr(err, "byte offset"));
            char want[64];
            uint64_t at = cut < 8 ? 0 : cut < header ? cut : cut < header + 48 ? header : header + 48;
            snprintf(want, sizeof(want), "byte offset %" PRIu64, at);
            if (!strstr(err, want))
                print_error("cut %zu: %s (want %s)\n", cut, err, want);
            assert_non_null(strstr(err, want));
            assert_non_null(strstr(err, cut == 0 ? "empty" : "truncated"));
        }
        dbn_decoder_destroy(&dec);
    }
    dbn_encoder_destroy(&enc);
}

static dbn_decoder_t *
s_decoder_after_header(uint8_t version, size_t *header_len)
{
    dbn_metadata_t meta = s_meta(version, false);
    uint8_t *bytes = dbn_metadata_encode(&meta, header_len);
    assert_non_null(bytes);
    dbn_decoder_t *dec = dbn_decoder_new();
    dbn_decoder_feed(dec, bytes, *header_len);
    free(bytes);
    return dec;
}

static void
test_bad_record_lengths(void **state)
{
    (void) state;
    const uint8_t lengths[] = { 0, 1, 3 };
    for (size_t i = 0; i < sizeof(lengths); i++) {
        size_t hlen;
        dbn_decoder_t *dec = s_decoder_after_header(2, &hlen);
        uint8_t rec[64] = { lengths[i], 0 };
        dbn_decoder_feed(dec, rec, sizeof(rec));
        const dbn_record_t *r;
        assert_int_equal(dbn_decoder_next(dec, &r), -1);
        char want[64];
        snprintf(want, sizeof(want), "byte offset %zu", hlen);
        assert_non_null(strstr(dbn_decoder_error(dec), "invalid record length"));
        assert_non_null(strstr(dbn_decoder_error(dec), want));
        assert_int_equal(dbn_decoder_next(dec, &r), -1);       //  sticky
        assert_int_equal(dbn_decoder_feed(dec, rec, 1), -1);
        dbn_decoder_destroy(&dec);
    }
    //  A trade whose length says 32 bytes: shorter than its 48-byte layout.
    size_t hlen;
    dbn_decoder_t *dec = s_decoder_after_header(3, &hlen);
    uint8_t rec[32] = { 8, DBN_RTYPE_MBP0 };
    dbn_decoder_feed(dec, rec, sizeof(rec));
    const dbn_record_t *r;
    assert_int_equal(dbn_decoder_next(dec, &r), -1);
    assert_non_null(strstr(dbn_decoder_error(dec), "shorter"));
    dbn_decoder_destroy(&dec);
    //  Maximum length byte with an unknown rtype: skipped whole.
    dec = s_decoder_after_header(3, &hlen);
    uint8_t big[1020] = { 255, 0x7F };
    dbn_decoder_feed(dec, big, sizeof(big));
    assert_int_equal(dbn_decoder_next(dec, &r), 0);
    assert_int_equal(dbn_decoder_skipped(dec), 1);
    assert_int_equal(dbn_decoder_offset(dec), hlen + 1020);
    assert_int_equal(dbn_decoder_finish(dec), 0);
    dbn_decoder_destroy(&dec);
}

static void
test_unknown_rtype_skipped(void **state)
{
    (void) state;
    dbn_metadata_t meta = s_meta(3, false);
    dbn_encoder_t *enc = dbn_encoder_new_mem(&meta, false);
    dbn_record_t a = s_trade(GC_ID, 100, 1, 'B', 0x80, 1), b = s_trade(GC_ID, 200, 2, 'A', 0x80, 2);
    dbn_encoder_write(enc, &a);
    uint8_t unknown[24] = { 6, 0x77, 1, 0, 42, 0, 0, 0 };
    dbn_encoder_write_raw(enc, unknown, sizeof(unknown));
    dbn_encoder_write_raw(enc, unknown, sizeof(unknown));
    dbn_encoder_write(enc, &b);
    size_t len;
    const uint8_t *bytes = dbn_encoder_bytes(enc, &len);
    dbn_record_t got[4];
    int n;
    dbn_decoder_t *dec = s_decode_all(bytes, len, got, 4, &n);
    assert_int_equal(n, 2);
    assert_int_equal(got[0].mbp.price, 100);
    assert_int_equal(got[1].mbp.price, 200);
    assert_int_equal(got[1].mbp.side, 'A');
    assert_int_equal(dbn_decoder_skipped(dec), 2);
    assert_int_equal(dbn_decoder_rtype_count(dec, 0x77), 2);
    assert_int_equal(dbn_decoder_rtype_count(dec, DBN_RTYPE_MBP0), 2);
    assert_int_equal(dbn_decoder_offset(dec), len);
    dbn_decoder_destroy(&dec);
    dbn_encoder_destroy(&enc);
}

static void
s_expect_prelude_error(const uint8_t *bytes, size_t len, const char *needle)
{
    dbn_decoder_t *dec = dbn_decoder_new();
    dbn_decoder_feed(dec, bytes, len);
    const dbn_record_t *r;
    int rc = dbn_decoder_next(dec, &r);
    if (rc == 0)
        rc = dbn_decoder_finish(dec);
    assert_int_equal(rc, -1);
    if (!strstr(dbn_decoder_error(dec), needle))
        print_error("error '%s' lacks '%s'\n", dbn_decoder_error(dec), needle);
    assert_non_null(strstr(dbn_decoder_error(dec), needle));
    assert_non_null(strstr(dbn_decoder_error(dec), "byte offset"));
    dbn_decoder_destroy(&dec);
}

static void
test_garbage_and_bad_headers(void **state)
{
    (void) state;
    s_expect_prelude_error((const uint8_t *) "hello world, not dbn", 20, "not a DBN stream");
    s_expect_prelude_error((const uint8_t *) "DBN\x04\x70\x00\x00\x00", 8, "newer DBN version 4");
    s_expect_prelude_error((const uint8_t *) "DBN\x00\x70\x00\x00\x00", 8, "DBZ");
    s_expect_prelude_error((const uint8_t *) "DBN\x02\x10\x00\x00\x00", 8, "shorter than the fixed part");
    s_expect_prelude_error((const uint8_t *) "DBN\x02\xff\xff\xff\xff", 8, "absurd");
    s_expect_prelude_error((const uint8_t *) "\x28\xb5\x2f\xfd\x00\x00", 6, "zstd");
    s_expect_prelude_error((const uint8_t *) "\x50\x2a\x4d\x18\x10\x00", 6, "DBZ");
    s_expect_prelude_error((const uint8_t *) "", 0, "empty");
    //  Metadata whose symbol count runs past its length.
    dbn_metadata_t meta = s_meta(2, false);
    size_t len;
    uint8_t *bytes = dbn_metadata_encode(&meta, &len);
    bytes[8 + 104] = 0xff;          //  symbols_count low byte -> 255 symbols
    s_expect_prelude_error(bytes, len, "exceeds the metadata length");
    free(bytes);
    //  Random bytes after a valid header: an error or skipped records, never a crash.
    ofts_log_set_level(OFTS_LOG_ERROR);     //  unknown rtypes are logged: keep it quiet
    unsigned seed = 12345;
    for (int round = 0; round < 200; round++) {
        uint8_t junk[2048];
        for (size_t i = 0; i < sizeof(junk); i++)
            junk[i] = (uint8_t) (rand_r(&seed) >> 7);
        size_t hlen;
        dbn_decoder_t *dec = s_decoder_after_header((uint8_t) (1 + round % 3), &hlen);
        dbn_decoder_feed(dec, junk, sizeof(junk));
        const dbn_record_t *r;
        int rc;
        while ((rc = dbn_decoder_next(dec, &r)) == 1)
            ;
        if (rc == 0)
            dbn_decoder_finish(dec);
        dbn_decoder_destroy(&dec);
    }
    ofts_log_set_level(OFTS_LOG_INFO);
}

//  --- files: plain, zstd multi-frame, fragments -------------------------

static char s_tmp[64];

static int
s_setup(void **state)
{
    (void) state;
    strcpy(s_tmp, "/tmp/test-dbn-XXXXXX");
    return mkdtemp(s_tmp) ? 0 : -1;
}

static int
s_teardown(void **state)
{
    (void) state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", s_tmp);
    return system(cmd);
}

static void
test_zstd_multi_frame_file(void **state)
{
    (void) state;
    char path[128];
    snprintf(path, sizeof(path), "%s/multi.dbn.zst", s_tmp);
    dbn_metadata_t meta = s_meta(3, false);
    dbn_encoder_t *enc = dbn_encoder_new(path, &meta, true);
    assert_non_null(enc);
    //  Like historical downloads: metadata alone in the first frame.
    assert_int_equal(dbn_encoder_end_frame(enc), 0);
    for (int i = 0; i < 3000; i++) {
        dbn_record_t t = s_trade(GC_ID, 2350000000000 + i * 100000000LL, (uint32_t) (i % 7 + 1),
                                 i % 2 ? 'A' : 'B', 0x80, 1000 + (uint64_t) i);
        assert_int_equal(dbn_encoder_write(enc, &t), 0);
        if (i % 1000 == 999)
            assert_int_equal(dbn_encoder_end_frame(enc), 0);
    }
    assert_int_equal(dbn_encoder_close(enc), 0);
    dbn_encoder_destroy(&enc);
    char err[256];
    dbn_file_t *f = dbn_file_new(path, err, sizeof(err));
    assert_non_null(f);
    assert_true(dbn_file_compressed(f));
    assert_non_null(dbn_file_metadata(f));
    const dbn_record_t *rec;
    int n = 0;
    while (dbn_file_next(f, &rec) == 1) {
        assert_int_equal(rec->mbp.price, 2350000000000 + n * 100000000LL);
        assert_int_equal(rec->mbp.size, n % 7 + 1);
        n++;
    }
    assert_null(dbn_file_error(f));
    assert_int_equal(n, 3000);
    assert_true(dbn_file_frames(f) >= 4);
    assert_int_equal(dbn_file_bytes_read(f), dbn_file_size(f));
    dbn_file_destroy(&f);
    //  Cut the compressed file: a clear error, not a silent short read.
    FILE *fp = fopen(path, "rb");
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    rewind(fp);
    uint8_t *data = malloc((size_t) size);
    assert_int_equal(fread(data, 1, (size_t) size, fp), (size_t) size);
    fclose(fp);
    char cut_path[160];
    snprintf(cut_path, sizeof(cut_path), "%s/cut.dbn.zst", s_tmp);
    fp = fopen(cut_path, "wb");
    fwrite(data, 1, (size_t) size - 10, fp);
    fclose(fp);
    free(data);
    f = dbn_file_new(cut_path, err, sizeof(err));
    assert_non_null(f);
    n = 0;
    int rc;
    while ((rc = dbn_file_next(f, &rec)) == 1)
        n++;
    assert_int_equal(rc, -1);
    assert_true(n < 3000);
    assert_non_null(strstr(dbn_file_error(f), "truncated"));
    dbn_file_destroy(&f);
}

//  A tiny compressed input that expands to many output buffers: every byte
//  zstd holds back after consuming all input must still come out.
static void
test_zstd_high_ratio(void **state)
{
    (void) state;
    char path[128];
    snprintf(path, sizeof(path), "%s/ratio.dbn.zst", s_tmp);
    dbn_metadata_t meta = s_meta(3, false);
    dbn_encoder_t *enc = dbn_encoder_new(path, &meta, true);
    dbn_record_t m = s_mbp(DBN_RTYPE_MBP10, GC_ID, 7);
    for (int i = 0; i < 20000; i++)            //  7.4 MB of identical records
        assert_int_equal(dbn_encoder_write(enc, &m), 0);
    assert_int_equal(dbn_encoder_close(enc), 0);
    dbn_encoder_destroy(&enc);
    char err[256];
    dbn_file_t *f = dbn_file_new(path, err, sizeof(err));
    assert_non_null(f);
    assert_true(dbn_file_size(f) < 100000);
    const dbn_record_t *rec;
    int n = 0;
    while (dbn_file_next(f, &rec) == 1)
        n++;
    assert_null(dbn_file_error(f));
    assert_int_equal(n, 20000);
    dbn_file_destroy(&f);
}

static void
test_plain_file_and_fragment(void **state)
{
    (void) state;
    char path[128];
    snprintf(path, sizeof(path), "%s/plain.dbn", s_tmp);
    dbn_metadata_t meta = s_meta(1, false);
    dbn_encoder_t *enc = dbn_encoder_new(path, &meta, false);
    dbn_record_t t = s_trade(GC_ID, 2350100000000, 5, 'B', 0x80, 1);
    dbn_encoder_write(enc, &t);
    dbn_encoder_destroy(&enc);
    char err[256];
    dbn_file_t *f = dbn_file_new(path, err, sizeof(err));
    assert_non_null(f);
    assert_false(dbn_file_compressed(f));
    assert_int_equal(dbn_file_metadata(f)->version, 1);
    const dbn_record_t *rec;
    assert_int_equal(dbn_file_next(f, &rec), 1);
    assert_int_equal(rec->mbp.size, 5);
    assert_int_equal(dbn_file_next(f, &rec), 0);
    assert_int_equal(dbn_file_next(f, &rec), 0);
    dbn_file_destroy(&f);
    //  Fragment: records only, zstd, version given out of band.
    dbn_encoder_t *frag = dbn_encoder_new_fragment_mem(2, false, true);
    dbn_record_t d;
    dbn_record_init(&d, DBN_RTYPE_INSTRUMENT_DEF);
    strcpy(d.def.raw_symbol, "SIH7");
    d.instrument_id = 43;
    dbn_encoder_write(frag, &d);
    dbn_encoder_close(frag);
    size_t len;
    const uint8_t *bytes = dbn_encoder_bytes(frag, &len);
    snprintf(path, sizeof(path), "%s/defs.dbn.frag.zst", s_tmp);
    FILE *fp = fopen(path, "wb");
    fwrite(bytes, 1, len, fp);
    fclose(fp);
    dbn_encoder_destroy(&frag);
    //  Declared v3, but the 400-byte definition is recognised as v2.
    f = dbn_file_new_fragment(path, 3, false, err, sizeof(err));
    assert_non_null(f);
    assert_null(dbn_file_metadata(f));
    assert_int_equal(dbn_file_next(f, &rec), 1);
    assert_string_equal(rec->def.raw_symbol, "SIH7");
    assert_int_equal(rec->length, 400);
    assert_string_equal(dbn_decoder_symbol(dbn_file_decoder(f), 43), "SIH7");
    assert_int_equal(dbn_file_next(f, &rec), 0);
    dbn_file_destroy(&f);
    //  Missing file.
    assert_null(dbn_file_new("/nonexistent/x.dbn", err, sizeof(err)));
    assert_non_null(strstr(err, "No such file"));
    //  Empty file.
    snprintf(path, sizeof(path), "%s/empty.dbn", s_tmp);
    fp = fopen(path, "wb");
    fclose(fp);
    assert_null(dbn_file_new(path, err, sizeof(err)));
    assert_non_null(strstr(err, "empty"));
    //  Bad fragment version.
    assert_null(dbn_file_new_fragment(path, 9, false, err, sizeof(err)));
    assert_non_null(strstr(err, "version 9"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_tables_consistent),
        cmocka_unit_test(test_round_trip_v3_every_rtype),
        cmocka_unit_test(test_round_trip_v1_v2),
        cmocka_unit_test(test_v1_symbol_width),
        cmocka_unit_test(test_v1_error_upgrade),
        cmocka_unit_test(test_byte_by_byte),
        cmocka_unit_test(test_truncated_every_byte),
        cmocka_unit_test(test_bad_record_lengths),
        cmocka_unit_test(test_unknown_rtype_skipped),
        cmocka_unit_test(test_garbage_and_bad_headers),
        cmocka_unit_test(test_zstd_multi_frame_file),
        cmocka_unit_test(test_zstd_high_ratio),
        cmocka_unit_test(test_plain_file_and_fragment),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
