/*  dbn_record - field tables for every DBN record layout, versions 1-3.

    Each record kind is described once, as a table of fields: name, type,
    where it lives in the in-memory struct, and where (and how wide) it is
    on the wire in v1, v2 and v3 (-1 = absent in that version). Decoding,
    encoding and the JSON dump all walk the same table, so the v1 -> v3
    upgrade (the "compat step") lives in exactly one place.

    Offsets: ../shared/spec/databento.md §4 (computed from databento/dbn
    rust/dbn/src/record.rs and compat.rs with offset_of!).                  */
#include "dbn_record.h"
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FL_UNDEF32   0x01    //  v1/v2 i32 sentinel INT32_MAX <-> INT64_MAX (stat quantity)
#define FL_ABS_MAX   0x02    //  absent in a version: all bits set (255, 65535)

typedef struct {
    const char *name;
    uint8_t type;           //  dbn_ftype_t
    uint16_t mem;           //  offset in the kind struct
    uint16_t mem_len;       //  strings: size of the char array
    int16_t off[3];         //  wire offset in v1, v2, v3; -1 = absent
    uint16_t wlen[3];       //  wire width in bytes per version
    uint8_t flags;
} field_t;

static int
s_type_width(int type)
{
    switch (type) {
    case DBN_FT_U8: case DBN_FT_I8: case DBN_FT_CHAR: return 1;
    case DBN_FT_U16: case DBN_FT_I16: return 2;
    case DBN_FT_U32: case DBN_FT_I32: return 4;
    default: return 8;
    }
}

//  Same offset and width in every version.
#define F(S, n, t, o) \
    { #n, DBN_FT_##t, offsetof(S, n), 0, { o, o, o }, { 0, 0, 0 }, 0 }
//  Per-version offsets, width from the type.
#define FV(S, n, t, o1, o2, o3) \
    { #n, DBN_FT_##t, offsetof(S, n), 0, { o1, o2, o3 }, { 0, 0, 0 }, 0 }
#define FVF(S, n, t, o1, o2, o3, fl) \
    { #n, DBN_FT_##t, offsetof(S, n), 0, { o1, o2, o3 }, { 0, 0, 0 }, fl }
//  Per-version offsets and widths.
#define FW(S, n, t, o1, o2, o3, w1, w2, w3, fl) \
    { #n, DBN_FT_##t, offsetof(S, n), 0, { o1, o2, o3 }, { w1, w2, w3 }, fl }
//  Fixed-length C string.
#define FS(S, n, o1, o2, o3, w1, w2, w3) \
    { #n, DBN_FT_STR, offsetof(S, n), sizeof(((S *) 0)->n), { o1, o2, o3 }, { w1, w2, w3 }, 0 }

static const field_t s_trade_fields[] = {
    F(dbn_mbp_t, price, PRICE, 16), F(dbn_mbp_t, size, U32, 24),
    F(dbn_mbp_t, action, CHAR, 28), F(dbn_mbp_t, side, CHAR, 29),
    F(dbn_mbp_t, flags, U8, 30), F(dbn_mbp_t, depth, U8, 31),
    F(dbn_mbp_t, ts_recv, TS, 32), F(dbn_mbp_t, ts_in_delta, I32, 40),
    F(dbn_mbp_t, sequence, U32, 44)
};
static const field_t s_bbo_fields[] = {
    F(dbn_mbp_t, price, PRICE, 16), F(dbn_mbp_t, size, U32, 24),
    F(dbn_mbp_t, side, CHAR, 29), F(dbn_mbp_t, flags, U8, 30),
    F(dbn_mbp_t, ts_recv, TS, 32), F(dbn_mbp_t, sequence, U32, 44)
};
static const field_t s_cmbp_fields[] = {
    F(dbn_mbp_t, price, PRICE, 16), F(dbn_mbp_t, size, U32, 24),
    F(dbn_mbp_t, action, CHAR, 28), F(dbn_mbp_t, side, CHAR, 29),
    F(dbn_mbp_t, flags, U8, 30), F(dbn_mbp_t, ts_recv, TS, 32),
    F(dbn_mbp_t, ts_in_delta, I32, 40)
};
static const field_t s_cbbo_fields[] = {
    F(dbn_mbp_t, price, PRICE, 16), F(dbn_mbp_t, size, U32, 24),
    F(dbn_mbp_t, side, CHAR, 29), F(dbn_mbp_t, flags, U8, 30),
    F(dbn_mbp_t, ts_recv, TS, 32)
};
static const field_t s_mbo_fields[] = {
    F(dbn_mbo_t, order_id, U64, 16), F(dbn_mbo_t, price, PRICE, 24),
    F(dbn_mbo_t, size, U32, 32), F(dbn_mbo_t, flags, U8, 36),
    F(dbn_mbo_t, channel_id, U8, 37), F(dbn_mbo_t, action, CHAR, 38),
    F(dbn_mbo_t, side, CHAR, 39), F(dbn_mbo_t, ts_recv, TS, 40),
    F(dbn_mbo_t, ts_in_delta, I32, 48), F(dbn_mbo_t, sequence, U32, 52)
};
static const field_t s_ohlcv_fields[] = {
    F(dbn_ohlcv_t, open, PRICE, 16), F(dbn_ohlcv_t, high, PRICE, 24),
    F(dbn_ohlcv_t, low, PRICE, 32), F(dbn_ohlcv_t, close, PRICE, 40),
    F(dbn_ohlcv_t, volume, U64, 48)
};
static const field_t s_status_fields[] = {
    F(dbn_status_t, ts_recv, TS, 16), F(dbn_status_t, action, U16, 24),
    F(dbn_status_t, reason, U16, 26), F(dbn_status_t, trading_event, U16, 28),
    F(dbn_status_t, is_trading, CHAR, 30), F(dbn_status_t, is_quoting, CHAR, 31),
    F(dbn_status_t, is_short_sell_restricted, CHAR, 32)
};
static const field_t s_imbalance_fields[] = {
    F(dbn_imbalance_t, ts_recv, TS, 16), F(dbn_imbalance_t, ref_price, PRICE, 24),
    F(dbn_imbalance_t, auction_time, U64, 32),
    F(dbn_imbalance_t, cont_book_clr_price, PRICE, 40),
    F(dbn_imbalance_t, auct_interest_clr_price, PRICE, 48),
    F(dbn_imbalance_t, ssr_filling_price, PRICE, 56),
    F(dbn_imbalance_t, ind_match_price, PRICE, 64),
    F(dbn_imbalance_t, upper_collar, PRICE, 72), F(dbn_imbalance_t, lower_collar, PRICE, 80),
    F(dbn_imbalance_t, paired_qty, U32, 88), F(dbn_imbalance_t, total_imbalance_qty, U32, 92),
    F(dbn_imbalance_t, market_imbalance_qty, U32, 96), F(dbn_imbalance_t, unpaired_qty, U32, 100),
    F(dbn_imbalance_t, auction_type, CHAR, 104), F(dbn_imbalance_t, side, CHAR, 105),
    F(dbn_imbalance_t, auction_status, U8, 106), F(dbn_imbalance_t, freeze_status, U8, 107),
    F(dbn_imbalance_t, num_extensions, U8, 108), F(dbn_imbalance_t, unpaired_side, CHAR, 109),
    F(dbn_imbalance_t, significant_imbalance, CHAR, 110)
};
//  v1/v2 StatMsgV1 (64 bytes) vs v3 StatMsg (80): quantity i32 -> i64 (spec §4.13).
static const field_t s_stat_fields[] = {
    F(dbn_stat_t, ts_recv, TS, 16), F(dbn_stat_t, ts_ref, TS, 24),
    F(dbn_stat_t, price, PRICE, 32),
    FW(dbn_stat_t, quantity, I64, 40, 40, 40, 4, 4, 8, FL_UNDEF32),
    FV(dbn_stat_t, sequence, U32, 44, 44, 48), FV(dbn_stat_t, ts_in_delta, I32, 48, 48, 52),
    FV(dbn_stat_t, stat_type, U16, 52, 52, 56), FV(dbn_stat_t, channel_id, U16, 54, 54, 58),
    FV(dbn_stat_t, update_action, U8, 56, 56, 60), FV(dbn_stat_t, stat_flags, U8, 57, 57, 61)
};
//  ErrorMsgV1 80 bytes / ErrorMsg 320 (spec §4.14).
static const field_t s_error_fields[] = {
    FS(dbn_error_t, err, 16, 16, 16, 64, 302, 302),
    FVF(dbn_error_t, code, U8, -1, 318, 318, FL_ABS_MAX),
    FVF(dbn_error_t, is_last, U8, -1, 319, 319, FL_ABS_MAX)
};
//  SystemMsgV1 80 / SystemMsg 320 (spec §4.16).
static const field_t s_system_fields[] = {
    FS(dbn_system_t, msg, 16, 16, 16, 64, 303, 303),
    FVF(dbn_system_t, code, U8, -1, 319, 319, FL_ABS_MAX)
};
//  SymbolMappingMsgV1 80 / SymbolMappingMsg 176 (spec §4.15).
static const field_t s_mapping_fields[] = {
    FVF(dbn_symbol_mapping_t, stype_in, U8, -1, 16, 16, FL_ABS_MAX),
    FS(dbn_symbol_mapping_t, stype_in_symbol, 16, 17, 17, 22, 71, 71),
    FVF(dbn_symbol_mapping_t, stype_out, U8, -1, 88, 88, FL_ABS_MAX),
    FS(dbn_symbol_mapping_t, stype_out_symbol, 38, 89, 89, 22, 71, 71),
    FV(dbn_symbol_mapping_t, start_ts, TS, 64, 160, 160),
    FV(dbn_symbol_mapping_t, end_ts, TS, 72, 168, 168)
};
//  InstrumentDefMsgV1 360 / V2 400 / v3 520 (spec §4.11).
#define D dbn_def_t
static const field_t s_def_fields[] = {
    F(D, ts_recv, TS, 16), F(D, min_price_increment, PRICE, 24),
    F(D, display_factor, I64, 32), F(D, expiration, TS, 40), F(D, activation, TS, 48),
    F(D, high_limit_price, PRICE, 56), F(D, low_limit_price, PRICE, 64),
    F(D, max_price_variation, PRICE, 72),
    FV(D, trading_reference_price, PRICE, 80, 80, -1),
    FV(D, unit_of_measure_qty, I64, 88, 88, 80),
    FV(D, min_price_increment_amount, I64, 96, 96, 88),
    FV(D, price_ratio, I64, 104, 104, 96),
    FV(D, strike_price, PRICE, 328, 112, 104),
    FW(D, raw_instrument_id, U64, 120, 128, 112, 4, 4, 8, 0),
    FV(D, leg_price, PRICE, -1, -1, 120), FV(D, leg_delta, I64, -1, -1, 128),
    FV(D, inst_attrib_value, I32, 112, 120, 136), FV(D, underlying_id, U32, 116, 124, 140),
    FV(D, market_depth_implied, I32, 124, 132, 144), FV(D, market_depth, I32, 128, 136, 148),
    FV(D, market_segment_id, U32, 132, 140, 152), FV(D, max_trade_vol, U32, 136, 144, 156),
    FV(D, min_lot_size, I32, 140, 148, 160), FV(D, min_lot_size_block, I32, 144, 152, 164),
    FV(D, min_lot_size_round_lot, I32, 148, 156, 168), FV(D, min_trade_vol, U32, 152, 160, 172),
    FV(D, contract_multiplier, I32, 160, 164, 176), FV(D, decay_quantity, I32, 164, 168, 180),
    FV(D, original_contract_size, I32, 168, 172, 184),
    FV(D, leg_instrument_id, U32, -1, -1, 188),
    FV(D, leg_ratio_price_numerator, I32, -1, -1, 192),
    FV(D, leg_ratio_price_denominator, I32, -1, -1, 196),
    FV(D, leg_ratio_qty_numerator, I32, -1, -1, 200),
    FV(D, leg_ratio_qty_denominator, I32, -1, -1, 204),
    FV(D, leg_underlying_id, U32, -1, -1, 208),
    FVF(D, trading_reference_date, U16, 176, 176, -1, FL_ABS_MAX),
    FV(D, appl_id, I16, 178, 178, 212), FV(D, maturity_year, U16, 180, 180, 214),
    FV(D, decay_start_date, U16, 182, 182, 216), FV(D, channel_id, U16, 184, 184, 218),
    FV(D, leg_count, U16, -1, -1, 220), FV(D, leg_index, U16, -1, -1, 222),
    FS(D, currency, 186, 186, 224, 4, 4, 4), FS(D, settl_currency, 190, 190, 228, 4, 4, 4),
    FS(D, secsubtype, 194, 194, 232, 6, 6, 6),
    FS(D, raw_symbol, 200, 200, 238, 22, 71, 71),
    FS(D, group, 222, 271, 309, 21, 21, 21), FS(D, exchange, 243, 292, 330, 5, 5, 5),
    FS(D, asset, 248, 297, 335, 7, 7, 11), FS(D, cfi, 255, 304, 346, 7, 7, 7),
    FS(D, security_type, 262, 311, 353, 7, 7, 7),
    FS(D, unit_of_measure, 269, 318, 360, 31, 31, 31),
    FS(D, underlying, 300, 349, 391, 21, 21, 21),
    FS(D, strike_price_currency, 321, 370, 412, 4, 4, 4),
    FS(D, leg_raw_symbol, -1, -1, 416, 71, 71, 71),
    FV(D, instrument_class, CHAR, 325, 374, 487), FV(D, match_algorithm, CHAR, 342, 375, 488),
    FVF(D, md_security_trading_status, U8, 343, 376, -1, FL_ABS_MAX),
    FV(D, main_fraction, U8, 344, 377, 489), FV(D, price_display_format, U8, 345, 378, 490),
    FVF(D, settl_price_type, U8, 346, 379, -1, FL_ABS_MAX),
    FV(D, sub_fraction, U8, 347, 380, 491), FV(D, underlying_product, U8, 348, 381, 492),
    FV(D, security_update_action, CHAR, 349, 382, 493),
    FV(D, maturity_month, U8, 350, 383, 494), FV(D, maturity_day, U8, 351, 384, 495),
    FV(D, maturity_week, U8, 352, 385, 496),
    FV(D, user_defined_instrument, CHAR, 353, 386, 497),
    FV(D, contract_multiplier_unit, I8, 354, 387, 498),
    FV(D, flow_schedule_type, I8, 355, 388, 499), FV(D, tick_rule, U8, 356, 389, 500),
    FV(D, leg_instrument_class, CHAR, -1, -1, 501), FV(D, leg_side, CHAR, -1, -1, 502)
};
#undef D

#define LV_NONE 0
#define LV_BIDASK 1         //  BidAskPair: counts at 24/28
#define LV_CONSOL 2         //  ConsolidatedBidAskPair: publisher ids at 24/28

typedef struct {
    uint8_t rtype;
    const char *name;
    dbn_kind_t kind;
    uint16_t size[3];       //  wire size per version, ts_out excluded
    const field_t *fields;
    uint8_t nfields;
    uint8_t level_type;
    uint8_t nlevels;
} layout_t;

#define N(a) (uint8_t) (sizeof(a) / sizeof((a)[0]))
#define SAME(n) { n, n, n }
static const layout_t s_layouts[] = {
    { DBN_RTYPE_MBP0, "mbp-0", DBN_KIND_MBP, SAME(48), s_trade_fields, N(s_trade_fields), LV_NONE, 0 },
    { DBN_RTYPE_MBP1, "mbp-1", DBN_KIND_MBP, SAME(80), s_trade_fields, N(s_trade_fields), LV_BIDASK, 1 },
    { DBN_RTYPE_MBP10, "mbp-10", DBN_KIND_MBP, SAME(368), s_trade_fields, N(s_trade_fields), LV_BIDASK, 10 },
    { DBN_RTYPE_OHLCV_DEPRECATED, "ohlcv-deprecated", DBN_KIND_OHLCV, SAME(56), s_ohlcv_fields, N(s_ohlcv_fields), 0, 0 },
    { DBN_RTYPE_STATUS, "status", DBN_KIND_STATUS, SAME(40), s_status_fields, N(s_status_fields), 0, 0 },
    { DBN_RTYPE_INSTRUMENT_DEF, "instrument-def", DBN_KIND_DEF, { 360, 400, 520 }, s_def_fields, N(s_def_fields), 0, 0 },
    { DBN_RTYPE_IMBALANCE, "imbalance", DBN_KIND_IMBALANCE, SAME(112), s_imbalance_fields, N(s_imbalance_fields), 0, 0 },
    { DBN_RTYPE_ERROR, "error", DBN_KIND_ERROR, { 80, 320, 320 }, s_error_fields, N(s_error_fields), 0, 0 },
    { DBN_RTYPE_SYMBOL_MAPPING, "symbol-mapping", DBN_KIND_SYMBOL_MAPPING, { 80, 176, 176 }, s_mapping_fields, N(s_mapping_fields), 0, 0 },
    { DBN_RTYPE_SYSTEM, "system", DBN_KIND_SYSTEM, { 80, 320, 320 }, s_system_fields, N(s_system_fields), 0, 0 },
    { DBN_RTYPE_STATISTICS, "statistics", DBN_KIND_STAT, { 64, 64, 80 }, s_stat_fields, N(s_stat_fields), 0, 0 },
    { DBN_RTYPE_OHLCV_1S, "ohlcv-1s", DBN_KIND_OHLCV, SAME(56), s_ohlcv_fields, N(s_ohlcv_fields), 0, 0 },
    { DBN_RTYPE_OHLCV_1M, "ohlcv-1m", DBN_KIND_OHLCV, SAME(56), s_ohlcv_fields, N(s_ohlcv_fields), 0, 0 },
    { DBN_RTYPE_OHLCV_1H, "ohlcv-1h", DBN_KIND_OHLCV, SAME(56), s_ohlcv_fields, N(s_ohlcv_fields), 0, 0 },
    { DBN_RTYPE_OHLCV_1D, "ohlcv-1d", DBN_KIND_OHLCV, SAME(56), s_ohlcv_fields, N(s_ohlcv_fields), 0, 0 },
    { DBN_RTYPE_OHLCV_EOD, "ohlcv-eod", DBN_KIND_OHLCV, SAME(56), s_ohlcv_fields, N(s_ohlcv_fields), 0, 0 },
    { DBN_RTYPE_MBO, "mbo", DBN_KIND_MBO, SAME(56), s_mbo_fields, N(s_mbo_fields), 0, 0 },
    { DBN_RTYPE_CMBP1, "cmbp-1", DBN_KIND_MBP, SAME(80), s_cmbp_fields, N(s_cmbp_fields), LV_CONSOL, 1 },
    { DBN_RTYPE_CBBO_1S, "cbbo-1s", DBN_KIND_MBP, SAME(80), s_cbbo_fields, N(s_cbbo_fields), LV_CONSOL, 1 },
    { DBN_RTYPE_CBBO_1M, "cbbo-1m", DBN_KIND_MBP, SAME(80), s_cbbo_fields, N(s_cbbo_fields), LV_CONSOL, 1 },
    { DBN_RTYPE_TCBBO, "tcbbo", DBN_KIND_MBP, SAME(80), s_cmbp_fields, N(s_cmbp_fields), LV_CONSOL, 1 },
    { DBN_RTYPE_BBO_1S, "bbo-1s", DBN_KIND_MBP, SAME(80), s_bbo_fields, N(s_bbo_fields), LV_BIDASK, 1 },
    { DBN_RTYPE_BBO_1M, "bbo-1m", DBN_KIND_MBP, SAME(80), s_bbo_fields, N(s_bbo_fields), LV_BIDASK, 1 },
};

//  rtype -> 1 + index into s_layouts (0 = unknown): one load per lookup.
static const uint8_t s_index[256] = {
    [DBN_RTYPE_MBP0] = 1, [DBN_RTYPE_MBP1] = 2, [DBN_RTYPE_MBP10] = 3,
    [DBN_RTYPE_OHLCV_DEPRECATED] = 4, [DBN_RTYPE_STATUS] = 5, [DBN_RTYPE_INSTRUMENT_DEF] = 6,
    [DBN_RTYPE_IMBALANCE] = 7, [DBN_RTYPE_ERROR] = 8, [DBN_RTYPE_SYMBOL_MAPPING] = 9,
    [DBN_RTYPE_SYSTEM] = 10, [DBN_RTYPE_STATISTICS] = 11, [DBN_RTYPE_OHLCV_1S] = 12,
    [DBN_RTYPE_OHLCV_1M] = 13, [DBN_RTYPE_OHLCV_1H] = 14, [DBN_RTYPE_OHLCV_1D] = 15,
    [DBN_RTYPE_OHLCV_EOD] = 16, [DBN_RTYPE_MBO] = 17, [DBN_RTYPE_CMBP1] = 18,
    [DBN_RTYPE_CBBO_1S] = 19, [DBN_RTYPE_CBBO_1M] = 20, [DBN_RTYPE_TCBBO] = 21,
    [DBN_RTYPE_BBO_1S] = 22, [DBN_RTYPE_BBO_1M] = 23
};
_Static_assert(sizeof(s_layouts) / sizeof(s_layouts[0]) == 23, "s_index must list every layout");

static const layout_t *
s_layout(uint8_t rtype)
{
    uint8_t i = s_index[rtype];
    return i ? &s_layouts[i - 1] : NULL;
}

dbn_kind_t
dbn_rtype_kind(uint8_t rtype)
{
    const layout_t *l = s_layout(rtype);
    return l ? l->kind : DBN_KIND_UNKNOWN;
}

size_t
dbn_rtype_size(uint8_t rtype, uint8_t version)
{
    const layout_t *l = s_layout(rtype);
    if (!l || version < 1 || version > DBN_VERSION_MAX)
        return 0;
    return l->size[version - 1];
}

const char *
dbn_rtype_name(uint8_t rtype)
{
    const layout_t *l = s_layout(rtype);
    return l ? l->name : NULL;
}

int
dbn_rtype_levels(uint8_t rtype)
{
    const layout_t *l = s_layout(rtype);
    return l ? l->nlevels : 0;
}

static const char *s_schemas[] = {
    "mbo", "mbp-1", "mbp-10", "tbbo", "trades", "ohlcv-1s", "ohlcv-1m", "ohlcv-1h",
    "ohlcv-1d", "definition", "statistics", "status", "imbalance", "ohlcv-eod",
    "cmbp-1", "cbbo-1s", "cbbo-1m", "tcbbo", "bbo-1s", "bbo-1m"
};

const char *
dbn_schema_name(uint16_t schema)
{
    if (schema < sizeof(s_schemas) / sizeof(s_schemas[0]))
        return s_schemas[schema];
    return NULL;
}

int
dbn_schema_parse(const char *name)
{
    for (size_t i = 0; name && i < sizeof(s_schemas) / sizeof(s_schemas[0]); i++)
        if (strcmp(name, s_schemas[i]) == 0)
            return (int) i;
    return -1;
}

const char *
dbn_stype_name(uint8_t stype)
{
    static const char *names[] = {
        "instrument_id", "raw_symbol", "smart", "continuous", "parent", "nasdaq_symbol",
        "cms_symbol", "isin", "us_code", "bbg_comp_id", "bbg_comp_ticker", "figi",
        "figi_ticker"
    };
    if (stype < sizeof(names) / sizeof(names[0]))
        return names[stype];
    return NULL;
}

uint64_t
dbn_record_ts_index(const dbn_record_t *rec)
{
    uint64_t ts = DBN_UNDEF_TIMESTAMP;
    switch (rec->kind) {
    case DBN_KIND_MBP: ts = rec->mbp.ts_recv; break;
    case DBN_KIND_MBO: ts = rec->mbo.ts_recv; break;
    case DBN_KIND_STATUS: ts = rec->status.ts_recv; break;
    case DBN_KIND_DEF: ts = rec->def.ts_recv; break;
    case DBN_KIND_IMBALANCE: ts = rec->imbalance.ts_recv; break;
    case DBN_KIND_STAT: ts = rec->stat.ts_recv; break;
    default: break;
    }
    return ts == DBN_UNDEF_TIMESTAMP ? rec->ts_event : ts;
}

//  --- little-endian primitives (no alignment assumptions) -----------------

static inline uint64_t
s_rd(const uint8_t *p, int width)
{
    switch (width) {
    case 1: return p[0];
    case 2: { uint16_t v; memcpy(&v, p, 2); return le16toh(v); }
    case 4: { uint32_t v; memcpy(&v, p, 4); return le32toh(v); }
    default: { uint64_t v; memcpy(&v, p, 8); return le64toh(v); }
    }
}

static inline void
s_wr(uint8_t *p, int width, uint64_t v)
{
    switch (width) {
    case 1: p[0] = (uint8_t) v; break;
    case 2: { uint16_t x = htole16((uint16_t) v); memcpy(p, &x, 2); break; }
    case 4: { uint32_t x = htole32((uint32_t) v); memcpy(p, &x, 4); break; }
    default: { uint64_t x = htole64(v); memcpy(p, &x, 8); break; }
    }
}

static bool
s_signed(int type)
{
    return type == DBN_FT_I8 || type == DBN_FT_I16 || type == DBN_FT_I32
        || type == DBN_FT_I64 || type == DBN_FT_PRICE;
}

//  Store raw bits into a memory field of the field's own type width.
static inline void
s_store(uint8_t *dst, int type, uint64_t v)
{
    switch (s_type_width(type)) {
    case 1: { uint8_t x = (uint8_t) v; memcpy(dst, &x, 1); break; }
    case 2: { uint16_t x = (uint16_t) v; memcpy(dst, &x, 2); break; }
    case 4: { uint32_t x = (uint32_t) v; memcpy(dst, &x, 4); break; }
    default: memcpy(dst, &v, 8); break;
    }
}

static inline uint64_t
s_load(const uint8_t *src, int type)
{
    switch (s_type_width(type)) {
    case 1: { uint8_t x; memcpy(&x, src, 1); return s_signed(type) ? (uint64_t) (int64_t) (int8_t) x : x; }
    case 2: { uint16_t x; memcpy(&x, src, 2); return s_signed(type) ? (uint64_t) (int64_t) (int16_t) x : x; }
    case 4: { uint32_t x; memcpy(&x, src, 4); return s_signed(type) ? (uint64_t) (int64_t) (int32_t) x : x; }
    default: { uint64_t x; memcpy(&x, src, 8); return x; }
    }
}

static uint8_t *
s_body(dbn_record_t *rec)
{
    return (uint8_t *) &rec->mbp;     //  every union member starts here
}

//  Value a field takes when the version has no such field.
static uint64_t
s_absent_value(const field_t *f)
{
    if (f->type == DBN_FT_PRICE)
        return (uint64_t) DBN_UNDEF_PRICE;
    if (f->type == DBN_FT_TS)
        return DBN_UNDEF_TIMESTAMP;
    if (f->flags & FL_ABS_MAX)
        return UINT64_MAX;
    return 0;
}

void
dbn_record_init(dbn_record_t *rec, uint8_t rtype)
{
    memset(rec, 0, sizeof(*rec));
    rec->rtype = rtype;
    rec->ts_out = DBN_UNDEF_TIMESTAMP;
    const layout_t *l = s_layout(rtype);
    if (!l)
        return;
    rec->kind = l->kind;
    uint8_t *body = s_body(rec);
    for (int i = 0; i < l->nfields; i++) {
        const field_t *f = &l->fields[i];
        if (f->type != DBN_FT_STR)
            s_store(body + f->mem, f->type, s_absent_value(f));
    }
    if (l->kind == DBN_KIND_MBP) {
        rec->mbp.level_count = l->nlevels;
        for (int i = 0; i < 10; i++)
            rec->mbp.levels[i].bid_px = rec->mbp.levels[i].ask_px = DBN_UNDEF_PRICE;
    }
    if (l->kind == DBN_KIND_STAT)
        rec->stat.quantity = DBN_UNDEF_STAT_QTY;
    if (l->kind == DBN_KIND_SYMBOL_MAPPING)
        rec->mapping.start_ts = rec->mapping.end_ts = DBN_UNDEF_TIMESTAMP;
}

//  v1 system / error messages carry no code; dbn derives one from the text
//  (spec §4.14, §4.16: dbn v2.rs From<&v1::SystemMsg> / From<&v1::ErrorMsg>).
static void
s_upgrade_v1_codes(dbn_record_t *rec)
{
    if (rec->kind == DBN_KIND_SYSTEM) {
        const char *m = rec->system.msg;
        if (strcmp(m, "Heartbeat") == 0)
            rec->system.code = 0;
        else if (strncmp(m, "Subscription request", 20) == 0 && strstr(m, "succeeded"))
            rec->system.code = 1;
        else if (strncmp(m, "Warning: slow reading", 21) == 0)
            rec->system.code = 2;
        else if (strncmp(m, "Finished", 8) == 0 && strstr(m, "replay"))
            rec->system.code = 3;
        else if (strncmp(m, "End of interval for", 19) == 0)
            rec->system.code = 4;
    }
    else if (rec->kind == DBN_KIND_ERROR) {
        const char *m = rec->error.err;
        if (strstr(m, "User or API key deactivated"))
            rec->error.code = 2;
        else if (strstr(m, "User has reached their open connection limit"))
            rec->error.code = 3;
        else if (strncmp(m, "Failed to resolve symbol", 24) == 0)
            rec->error.code = 4;
        else if (strncmp(m, "Internal error", 14) == 0)
            rec->error.code = 6;
        else if (strncmp(m, "Slow client detected", 20) == 0)
            rec->error.code = 7;
    }
}

static inline void
s_decode_levels(dbn_mbp_t *m, const uint8_t *src, const layout_t *l)
{
    for (int i = 0; i < l->nlevels; i++) {
        const uint8_t *p = src + 48 + 32 * i;
        dbn_level_t *lv = &m->levels[i];
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (l->level_type == LV_BIDASK) {
            //  dbn_level_t starts with BidAskPair's six fields in wire order
            //  (static_assert below): one copy instead of six reads.
            memcpy(lv, p, 32);
            lv->bid_pb = lv->ask_pb = 0;
            continue;
        }
#endif
        lv->bid_px = (int64_t) s_rd(p, 8);
        lv->ask_px = (int64_t) s_rd(p + 8, 8);
        lv->bid_sz = (uint32_t) s_rd(p + 16, 4);
        lv->ask_sz = (uint32_t) s_rd(p + 20, 4);
        if (l->level_type == LV_BIDASK) {
            lv->bid_ct = (uint32_t) s_rd(p + 24, 4);
            lv->ask_ct = (uint32_t) s_rd(p + 28, 4);
            lv->bid_pb = lv->ask_pb = 0;
        }
        else {
            lv->bid_pb = (uint16_t) s_rd(p + 24, 2);
            lv->ask_pb = (uint16_t) s_rd(p + 28, 2);
            lv->bid_ct = lv->ask_ct = 0;
        }
    }
    m->level_count = l->nlevels;
}

_Static_assert(offsetof(dbn_level_t, bid_px) == 0 && offsetof(dbn_level_t, ask_px) == 8
               && offsetof(dbn_level_t, bid_sz) == 16 && offsetof(dbn_level_t, ask_sz) == 20
               && offsetof(dbn_level_t, bid_ct) == 24 && offsetof(dbn_level_t, ask_ct) == 28,
               "dbn_level_t must begin with the BidAskPair wire layout");

//  Hot path: trades / MBP-1 / MBP-10 have one layout in every version.
static inline void
s_decode_trade_like(dbn_mbp_t *m, const uint8_t *src)
{
    m->price = (int64_t) s_rd(src + 16, 8);
    m->size = (uint32_t) s_rd(src + 24, 4);
    m->action = (char) src[28];
    m->side = (char) src[29];
    m->flags = src[30];
    m->depth = src[31];
    m->ts_recv = s_rd(src + 32, 8);
    m->ts_in_delta = (int32_t) s_rd(src + 40, 4);
    m->sequence = (uint32_t) s_rd(src + 44, 4);
}

int
dbn_record_decode(dbn_record_t *rec, const uint8_t *src, size_t size, uint8_t version)
{
    if (size < 16 || version < 1 || version > DBN_VERSION_MAX)
        return -1;
    uint8_t rtype = src[1];
    const layout_t *l = s_layout(rtype);
    if (!l || size < l->size[version - 1])
        return -1;
    rec->rtype = rtype;
    rec->publisher_id = (uint16_t) s_rd(src + 2, 2);
    rec->instrument_id = (uint32_t) s_rd(src + 4, 4);
    rec->ts_event = s_rd(src + 8, 8);
    rec->kind = l->kind;
    if (rtype <= DBN_RTYPE_MBP10 && l->kind == DBN_KIND_MBP) {
        s_decode_trade_like(&rec->mbp, src);
        s_decode_levels(&rec->mbp, src, l);
        return 0;
    }
    uint8_t *body = s_body(rec);
    int vi = version - 1;
    if (l->kind == DBN_KIND_MBP) {
        //  bbo / cmbp / cbbo leave some of these reserved on the wire
        rec->mbp.action = 0;
        rec->mbp.depth = 0;
        rec->mbp.ts_in_delta = 0;
        rec->mbp.sequence = 0;
    }
    for (int i = 0; i < l->nfields; i++) {
        const field_t *f = &l->fields[i];
        int off = f->off[vi];
        if (f->type == DBN_FT_STR) {
            char *dst = (char *) body + f->mem;
            size_t n = 0;
            if (off >= 0) {
                size_t w = f->wlen[vi];
                const char *s = (const char *) src + off;
                while (n < w && n + 1 < f->mem_len && s[n])
                    n++;
                memcpy(dst, s, n);
            }
            dst[n] = 0;
            continue;
        }
        if (off < 0) {
            s_store(body + f->mem, f->type, s_absent_value(f));
            continue;
        }
        int w = f->wlen[vi] ? f->wlen[vi] : s_type_width(f->type);
        uint64_t v = s_rd(src + off, w);
        if (s_signed(f->type) && w < 8) {
            int shift = 64 - 8 * w;
            v = (uint64_t) (((int64_t) (v << shift)) >> shift);
            if ((f->flags & FL_UNDEF32) && (int64_t) v == INT32_MAX)
                v = (uint64_t) INT64_MAX;
        }
        s_store(body + f->mem, f->type, v);
    }
    if (l->kind == DBN_KIND_MBP)
        s_decode_levels(&rec->mbp, src, l);
    if (version == 1)
        s_upgrade_v1_codes(rec);
    return 0;
}

size_t
dbn_record_encode(const dbn_record_t *rec, uint8_t version, bool ts_out, uint8_t *out, size_t cap)
{
    const layout_t *l = s_layout(rec->rtype);
    if (!l || version < 1 || version > DBN_VERSION_MAX)
        return 0;
    int vi = version - 1;
    size_t size = l->size[vi] + (ts_out ? 8 : 0);
    if (size > cap || size / 4 > 255)
        return 0;
    memset(out, 0, size);
    out[0] = (uint8_t) (size / 4);
    out[1] = rec->rtype;
    s_wr(out + 2, 2, rec->publisher_id);
    s_wr(out + 4, 4, rec->instrument_id);
    s_wr(out + 8, 8, rec->ts_event);
    const uint8_t *body = (const uint8_t *) &rec->mbp;
    for (int i = 0; i < l->nfields; i++) {
        const field_t *f = &l->fields[i];
        int off = f->off[vi];
        if (off < 0)
            continue;
        if (f->type == DBN_FT_STR) {
            const char *s = (const char *) body + f->mem;
            size_t n = strnlen(s, f->mem_len);
            if (n > f->wlen[vi])
                n = f->wlen[vi];
            memcpy(out + off, s, n);
            continue;
        }
        int w = f->wlen[vi] ? f->wlen[vi] : s_type_width(f->type);
        uint64_t v = s_load(body + f->mem, f->type);
        if ((f->flags & FL_UNDEF32) && w == 4 && (int64_t) v == INT64_MAX)
            v = INT32_MAX;
        s_wr(out + off, w, v);
    }
    if (l->kind == DBN_KIND_MBP) {
        for (int i = 0; i < l->nlevels; i++) {
            uint8_t *p = out + 48 + 32 * i;
            const dbn_level_t *lv = &rec->mbp.levels[i];
            s_wr(p, 8, (uint64_t) lv->bid_px);
            s_wr(p + 8, 8, (uint64_t) lv->ask_px);
            s_wr(p + 16, 4, lv->bid_sz);
            s_wr(p + 20, 4, lv->ask_sz);
            if (l->level_type == LV_BIDASK) {
                s_wr(p + 24, 4, lv->bid_ct);
                s_wr(p + 28, 4, lv->ask_ct);
            }
            else {
                s_wr(p + 24, 2, lv->bid_pb);
                s_wr(p + 28, 2, lv->ask_pb);
            }
        }
    }
    if (ts_out)
        s_wr(out + size - 8, 8, rec->ts_out);
    return size;
}

int
dbn_record_selfcheck(char *err, size_t errlen)
{
    for (size_t li = 0; li < sizeof(s_layouts) / sizeof(s_layouts[0]); li++)
        if (s_layout(s_layouts[li].rtype) != &s_layouts[li]) {
            snprintf(err, errlen, "s_index is wrong for rtype 0x%02x", s_layouts[li].rtype);
            return -1;
        }
    for (size_t li = 0; li < sizeof(s_layouts) / sizeof(s_layouts[0]); li++) {
        const layout_t *l = &s_layouts[li];
        for (int v = 0; v < DBN_VERSION_MAX; v++) {
            //  bytes 0..15 header, then fields and levels must not overlap
            uint8_t used[1024] = { 0 };
            memset(used, 1, 16);
            for (int i = 0; i < l->nfields + l->nlevels; i++) {
                const char *name = i < l->nfields ? l->fields[i].name : "level";
                int off, w;
                if (i < l->nfields) {
                    const field_t *f = &l->fields[i];
                    if (f->off[v] < 0)
                        continue;
                    off = f->off[v];
                    w = f->wlen[v] ? f->wlen[v] : s_type_width(f->type);
                    if (f->type == DBN_FT_STR && f->wlen[v] >= f->mem_len + 1) {
                        snprintf(err, errlen, "%s v%d: %s wider than its memory", l->name, v + 1, name);
                        return -1;
                    }
                }
                else {
                    off = 48 + 32 * (i - l->nfields);
                    w = 32;
                }
                if (off + w > l->size[v]) {
                    snprintf(err, errlen, "%s v%d: %s at %d+%d past size %u", l->name, v + 1, name,
                             off, w, l->size[v]);
                    return -1;
                }
                for (int b = off; b < off + w; b++) {
                    if (used[b]) {
                        snprintf(err, errlen, "%s v%d: %s overlaps byte %d", l->name, v + 1, name, b);
                        return -1;
                    }
                    used[b] = 1;
                }
            }
        }
    }
    return 0;
}

static void
s_emit(dbn_field_fn *fn, void *arg, const char *name, int type, const uint8_t *src, int level)
{
    dbn_field_value_t v = { .name = name, .type = (dbn_ftype_t) type };
    if (type == DBN_FT_STR)
        v.s = (const char *) src;
    else {
        v.u = s_load(src, type);
        v.i = (int64_t) v.u;
        if (type == DBN_FT_CHAR)
            v.i = (unsigned char) *src;
    }
    fn(&v, level, arg);
}

void
dbn_record_fields(const dbn_record_t *rec, dbn_field_fn *fn, void *arg)
{
    const layout_t *l = s_layout(rec->rtype);
    if (!l)
        return;
    const uint8_t *body = (const uint8_t *) &rec->mbp;
    for (int i = 0; i < l->nfields; i++)
        s_emit(fn, arg, l->fields[i].name, l->fields[i].type, body + l->fields[i].mem, -1);
    if (l->kind != DBN_KIND_MBP)
        return;
    for (int i = 0; i < l->nlevels && i < rec->mbp.level_count; i++) {
        const dbn_level_t *lv = &rec->mbp.levels[i];
        const uint8_t *p = (const uint8_t *) lv;
        s_emit(fn, arg, "bid_px", DBN_FT_PRICE, p + offsetof(dbn_level_t, bid_px), i);
        s_emit(fn, arg, "ask_px", DBN_FT_PRICE, p + offsetof(dbn_level_t, ask_px), i);
        s_emit(fn, arg, "bid_sz", DBN_FT_U32, p + offsetof(dbn_level_t, bid_sz), i);
        s_emit(fn, arg, "ask_sz", DBN_FT_U32, p + offsetof(dbn_level_t, ask_sz), i);
        if (l->level_type == LV_BIDASK) {
            s_emit(fn, arg, "bid_ct", DBN_FT_U32, p + offsetof(dbn_level_t, bid_ct), i);
            s_emit(fn, arg, "ask_ct", DBN_FT_U32, p + offsetof(dbn_level_t, ask_ct), i);
        }
        else {
            s_emit(fn, arg, "bid_pb", DBN_FT_U16, p + offsetof(dbn_level_t, bid_pb), i);
            s_emit(fn, arg, "ask_pb", DBN_FT_U16, p + offsetof(dbn_level_t, ask_pb), i);
        }
    }
}

static void
s_free_strings(char **list, uint32_t count)
{
    for (uint32_t i = 0; list && i < count; i++)
        free(list[i]);
    free(list);
}

void
dbn_metadata_free(dbn_metadata_t *meta)
{
    if (!meta)
        return;
    s_free_strings(meta->symbols, meta->symbol_count);
    s_free_strings(meta->partial, meta->partial_count);
    s_free_strings(meta->not_found, meta->not_found_count);
    for (uint32_t i = 0; meta->mappings && i < meta->mapping_count; i++) {
        dbn_mapping_t *m = &meta->mappings[i];
        free(m->raw_symbol);
        for (uint32_t j = 0; m->intervals && j < m->interval_count; j++)
            free(m->intervals[j].symbol);
        free(m->intervals);
    }
    free(meta->mappings);
    memset(meta, 0, sizeof(*meta));
}
