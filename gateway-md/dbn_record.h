/*  dbn_record - the in-memory form of DBN records and metadata.

    One layout for every DBN version (1, 2, 3): the decoder upgrades older
    records into these structs in one place (dbn_record.c field tables), so
    nothing downstream knows v1 from v3. Layouts, offsets and constants:
    ../shared/spec/databento.md §2-§5 (sources there: databento/dbn
    rust/dbn/src/record.rs, compat.rs).

    These structs are NOT the wire layout: never cast file bytes to them.
    Fields are read little-endian one by one (dbn_record_decode).            */
#ifndef DBN_RECORD_H
#define DBN_RECORD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DBN_VERSION_MAX       3
#define DBN_UNDEF_PRICE       INT64_MAX
#define DBN_UNDEF_SIZE        UINT32_MAX
#define DBN_UNDEF_TIMESTAMP   UINT64_MAX
#define DBN_UNDEF_STAT_QTY    INT64_MAX      //  v1/v2 INT32_MAX is upgraded to this
#define DBN_NULL_SCHEMA       0xFFFF
#define DBN_NULL_STYPE        0xFF
#define DBN_F_LAST            0x80
#define DBN_F_TOB             0x40
#define DBN_F_SNAPSHOT        0x20
#define DBN_F_MBP             0x10
#define DBN_F_BAD_TS_RECV     0x08
#define DBN_F_MAYBE_BAD_BOOK  0x04
#define DBN_MAX_RECORD_LEN    1020           //  length byte 255 * 4
#define DBN_SYMBOL_MAX        71             //  v2/v3 symbol_cstr_len

//  rtypes (spec §3.2)
enum {
    DBN_RTYPE_MBP0 = 0x00, DBN_RTYPE_MBP1 = 0x01, DBN_RTYPE_MBP10 = 0x0A,
    DBN_RTYPE_OHLCV_DEPRECATED = 0x11, DBN_RTYPE_STATUS = 0x12, DBN_RTYPE_INSTRUMENT_DEF = 0x13,
    DBN_RTYPE_IMBALANCE = 0x14, DBN_RTYPE_ERROR = 0x15, DBN_RTYPE_SYMBOL_MAPPING = 0x16,
    DBN_RTYPE_SYSTEM = 0x17, DBN_RTYPE_STATISTICS = 0x18,
    DBN_RTYPE_OHLCV_1S = 0x20, DBN_RTYPE_OHLCV_1M = 0x21, DBN_RTYPE_OHLCV_1H = 0x22,
    DBN_RTYPE_OHLCV_1D = 0x23, DBN_RTYPE_OHLCV_EOD = 0x24,
    DBN_RTYPE_MBO = 0xA0, DBN_RTYPE_CMBP1 = 0xB1, DBN_RTYPE_CBBO_1S = 0xC0,
    DBN_RTYPE_CBBO_1M = 0xC1, DBN_RTYPE_TCBBO = 0xC2, DBN_RTYPE_BBO_1S = 0xC3,
    DBN_RTYPE_BBO_1M = 0xC4
};

//  Which struct of the union a record uses.
typedef enum {
    DBN_KIND_UNKNOWN = 0,
    DBN_KIND_MBP,           //  trades (mbp-0), mbp-1/tbbo, mbp-10, bbo, cmbp-1/tcbbo, cbbo
    DBN_KIND_MBO,
    DBN_KIND_OHLCV,
    DBN_KIND_STATUS,
    DBN_KIND_DEF,
    DBN_KIND_IMBALANCE,
    DBN_KIND_STAT,
    DBN_KIND_ERROR,
    DBN_KIND_SYMBOL_MAPPING,
    DBN_KIND_SYSTEM
} dbn_kind_t;

//  One book level. *_ct for MBP/BBO (order counts), *_pb for consolidated
//  records (publisher of the level); the other pair is 0.
typedef struct {
    int64_t bid_px, ask_px;
    uint32_t bid_sz, ask_sz;
    uint32_t bid_ct, ask_ct;
    uint16_t bid_pb, ask_pb;
} dbn_level_t;

typedef struct {
    int64_t price;
    uint32_t size;
    char action;                //  0 for bbo/cbbo (reserved there)
    char side;
    uint8_t flags;
    uint8_t depth;
    uint64_t ts_recv;
    int32_t ts_in_delta;
    uint32_t sequence;
    uint8_t level_count;        //  0 trades, 1 mbp-1/bbo/cmbp/cbbo, 10 mbp-10
    dbn_level_t levels[10];
} dbn_mbp_t;

typedef struct {
    uint64_t order_id;
    int64_t price;
    uint32_t size;
    uint8_t flags;
    uint8_t channel_id;
    char action;
    char side;
    uint64_t ts_recv;
    int32_t ts_in_delta;
    uint32_t sequence;
} dbn_mbo_t;

typedef struct {
    int64_t open, high, low, close;
    uint64_t volume;
} dbn_ohlcv_t;

typedef struct {
    uint64_t ts_recv;
    uint16_t action, reason, trading_event;
    char is_trading, is_quoting, is_short_sell_restricted;
} dbn_status_t;

typedef struct {
    uint64_t ts_recv;
    int64_t ref_price;
    uint64_t auction_time;
    int64_t cont_book_clr_price, auct_interest_clr_price, ssr_filling_price;
    int64_t ind_match_price, upper_collar, lower_collar;
    uint32_t paired_qty, total_imbalance_qty, market_imbalance_qty, unpaired_qty;
    char auction_type, side;
    uint8_t auction_status, freeze_status, num_extensions;
    char unpaired_side, significant_imbalance;
} dbn_imbalance_t;

typedef struct {
    uint64_t ts_recv, ts_ref;
    int64_t price;
    int64_t quantity;           //  v1/v2 i32 widened; INT32_MAX -> DBN_UNDEF_STAT_QTY
    uint32_t sequence;
    int32_t ts_in_delta;
    uint16_t stat_type, channel_id;
    uint8_t update_action, stat_flags;
} dbn_stat_t;

typedef struct {
    char err[303];              //  NUL-terminated (v1: 64 bytes on the wire)
    uint8_t code;               //  ErrorCode; 255 when unset (v1)
    uint8_t is_last;            //  255 when unknown (upgraded from v1, as dbn/cpp do)
} dbn_error_t;

typedef struct {
    char msg[304];
    uint8_t code;               //  SystemCode; v1 derived from the text (0 = heartbeat)
} dbn_system_t;

typedef struct {
    uint8_t stype_in, stype_out;    //  255 when unset (v1)
    char stype_in_symbol[DBN_SYMBOL_MAX + 1];
    char stype_out_symbol[DBN_SYMBOL_MAX + 1];
    uint64_t start_ts, end_ts;
} dbn_symbol_mapping_t;

//  Definition: the v3 fields plus the four v1/v2-only ones (UNDEF when the
//  record came from v3).
typedef struct {
    uint64_t ts_recv;
    int64_t min_price_increment, display_factor;
    uint64_t expiration, activation;
    int64_t high_limit_price, low_limit_price, max_price_variation;
    int64_t unit_of_measure_qty, min_price_increment_amount, price_ratio, strike_price;
    uint64_t raw_instrument_id;
    int64_t leg_price, leg_delta;
    int32_t inst_attrib_value;
    uint32_t underlying_id;
    int32_t market_depth_implied, market_depth;
    uint32_t market_segment_id, max_trade_vol;
    int32_t min_lot_size, min_lot_size_block, min_lot_size_round_lot;
    uint32_t min_trade_vol;
    int32_t contract_multiplier, decay_quantity, original_contract_size;
    uint32_t leg_instrument_id;
    int32_t leg_ratio_price_numerator, leg_ratio_price_denominator;
    int32_t leg_ratio_qty_numerator, leg_ratio_qty_denominator;
    uint32_t leg_underlying_id;
    int16_t appl_id;
    uint16_t maturity_year, decay_start_date, channel_id, leg_count, leg_index;
    char currency[5], settl_currency[5], secsubtype[7];
    char raw_symbol[DBN_SYMBOL_MAX + 1];
    char group[22], exchange[6], asset[12], cfi[8], security_type[8];
    char unit_of_measure[32], underlying[22], strike_price_currency[5];
    char leg_raw_symbol[DBN_SYMBOL_MAX + 1];
    char instrument_class, match_algorithm;
    uint8_t main_fraction, price_display_format, sub_fraction, underlying_product;
    char security_update_action;
    uint8_t maturity_month, maturity_day, maturity_week;
    char user_defined_instrument;
    int8_t contract_multiplier_unit, flow_schedule_type;
    uint8_t tick_rule;
    char leg_instrument_class, leg_side;
    //  v1/v2 only
    int64_t trading_reference_price;
    uint16_t trading_reference_date;
    uint8_t md_security_trading_status, settl_price_type;
} dbn_def_t;

typedef struct {
    //  RecordHeader
    uint8_t rtype;
    uint16_t publisher_id;
    uint32_t instrument_id;
    uint64_t ts_event;
    //  Bytes on the wire (length byte * 4), ts_out included.
    uint16_t length;
    //  Live send time when the stream has ts_out; else DBN_UNDEF_TIMESTAMP.
    uint64_t ts_out;
    dbn_kind_t kind;
    union {
        dbn_mbp_t mbp;
        dbn_mbo_t mbo;
        dbn_ohlcv_t ohlcv;
        dbn_status_t status;
        dbn_imbalance_t imbalance;
        dbn_stat_t stat;
        dbn_error_t error;
        dbn_system_t system;
        dbn_symbol_mapping_t mapping;
        dbn_def_t def;
    };
} dbn_record_t;

typedef struct {
    uint32_t start_date;        //  YYYYMMDD, inclusive
    uint32_t end_date;          //  YYYYMMDD, exclusive
    char *symbol;
} dbn_interval_t;

typedef struct {
    char *raw_symbol;
    uint32_t interval_count;
    dbn_interval_t *intervals;
} dbn_mapping_t;

typedef struct {
    uint8_t version;
    uint32_t length;            //  metadata bytes after the 8-byte prelude
    char dataset[17];
    uint16_t schema;            //  DBN_NULL_SCHEMA when mixed
    uint64_t start, end, limit;
    uint64_t record_count_v1;   //  v1 only, deprecated: never used
    uint8_t stype_in, stype_out;
    bool ts_out;
    uint16_t symbol_cstr_len;
    uint32_t symbol_count, partial_count, not_found_count, mapping_count;
    char **symbols, **partial, **not_found;
    dbn_mapping_t *mappings;
} dbn_metadata_t;

//  Kind, and the fixed wire size (without ts_out) of an rtype's layout in a
//  given DBN version; kind DBN_KIND_UNKNOWN / size 0 for unknown rtypes.
dbn_kind_t dbn_rtype_kind(uint8_t rtype);
size_t dbn_rtype_size(uint8_t rtype, uint8_t version);
//  "mbp-0", "instrument-def" ...; NULL when unknown.
const char *dbn_rtype_name(uint8_t rtype);
const char *dbn_schema_name(uint16_t schema);           //  "trades", NULL if unknown
int dbn_schema_parse(const char *name);                 //  -1 if unknown
const char *dbn_stype_name(uint8_t stype);
//  Number of levels an MBP-family rtype carries (0, 1, 10).
int dbn_rtype_levels(uint8_t rtype);

//  Index timestamp: ts_recv where the record has one, else ts_event.
uint64_t dbn_record_ts_index(const dbn_record_t *rec);

//  Decode one record body of `size` bytes (header included, ts_out excluded)
//  written in DBN `version` into rec (header fields already set by caller
//  are overwritten). Returns 0, or -1 when size is smaller than the layout.
int dbn_record_decode(dbn_record_t *rec, const uint8_t *src, size_t size, uint8_t version);
//  Encode rec in DBN `version` into out (cap bytes). With ts_out, appends
//  rec->ts_out. Returns bytes written, 0 if rtype unknown/cap too small.
size_t dbn_record_encode(const dbn_record_t *rec, uint8_t version, bool ts_out, uint8_t *out,
                         size_t cap);
//  Initialise rec as an empty record of rtype (undefined prices etc.).
void dbn_record_init(dbn_record_t *rec, uint8_t rtype);

//  Field visitor: every field of a record's kind in wire order, with its
//  value. Used by the JSON dump and by tests against reference decodes.
typedef enum {
    DBN_FT_U8, DBN_FT_I8, DBN_FT_CHAR, DBN_FT_U16, DBN_FT_I16, DBN_FT_U32, DBN_FT_I32,
    DBN_FT_U64, DBN_FT_I64, DBN_FT_PRICE, DBN_FT_TS, DBN_FT_STR
} dbn_ftype_t;

typedef struct {
    const char *name;
    dbn_ftype_t type;
    int64_t i;                  //  signed types, chars
    uint64_t u;                 //  unsigned types (also set for signed: bits)
    const char *s;              //  DBN_FT_STR
} dbn_field_value_t;

typedef void (dbn_field_fn)(const dbn_field_value_t *field, int level, void *arg);
//  Calls fn for each body field (level -1), then for MBP levels (level 0..n-1)
//  with bid_px ... names.
void dbn_record_fields(const dbn_record_t *rec, dbn_field_fn *fn, void *arg);

//  Consistency of the field tables: every field inside its layout, no two
//  overlapping. 0, or -1 with the first problem in err (tests call it).
int dbn_record_selfcheck(char *err, size_t errlen);

void dbn_metadata_free(dbn_metadata_t *meta);       //  frees contents, not meta itself

#endif
