/*  md_normalizer - DBN records in, ofts market-data envelopes out (pure).

        trades (mbp-0), and MBP-1 / TBBO / MBP-10 / CMBP-1 / MBO with action 'T'
                                          -> md.trade.<ROOT>.  Trade
        MBP-1 / TBBO / BBO / CBBO / CMBP-1 -> md.bbo.<ROOT>.    TopOfBook
        MBP-10                            -> md.book.<ROOT>.   Depth (10 levels)
                                             and md.bbo.<ROOT>. (level 0)

    Book state is published only when a venue event is complete: MBP-1,
    MBP-10 and CMBP-1 records without F_LAST (flags & 0x80) are held back,
    because later records of the same event follow (spec §11). BBO/CBBO
    records are interval samples and always complete. Trades are events, not
    state: always published.

    The root comes from the contract (the symbol the decoder mapped the
    instrument id to) via ofts_instrument_for_contract; unknown roots (and
    spreads like GCZ6-GCG7) are counted and skipped. ts_event and ts_recv go
    into the envelope header; the bus stamps the rest.                     */
#ifndef MD_NORMALIZER_H
#define MD_NORMALIZER_H
#include "dbn_record.h"
#include "ofts.pb-c.h"

typedef struct _md_normalizer_t md_normalizer_t;

//  One envelope, valid only during the call.
typedef void (md_emit_fn)(const char *topic, Ofts__Envelope *env, void *arg);

md_normalizer_t *md_normalizer_new(void);
void md_normalizer_destroy(md_normalizer_t **self_p);

//  Publish only these roots (call once per root); default: every root the
//  instrument table knows. Returns -1 for a root the table does not know.
int md_normalizer_allow(md_normalizer_t *self, const char *root);
//  MBP-10 also yields md.bbo (default true).
void md_normalizer_set_bbo_from_depth(md_normalizer_t *self, bool enable);

//  Which record type carries trades. A live session subscribed to trades,
//  mbp-1 and mbp-10 receives every trade once per schema (an rtype 0 record
//  and an action 'T' record in each MBP stream): counting all of them would
//  triple the volume and every order-flow metric with it. -1 (the default)
//  takes trades from any record (right for a single-schema file).
void md_normalizer_set_trade_rtype(md_normalizer_t *self, int rtype);
//  The trade rtype for a set of schema names ("trades", "mbp-1", "tbbo",
//  "mbp-10", "mbo", "cmbp-1", "tcbbo"; NULL or "mixed" for a stream whose
//  metadata says several): trades wins, then tbbo/mbp-1, then mbp-10, then
//  mbo. -1 when none carries trades.
int md_normalizer_trade_rtype_for(const char *const *schemas, size_t n);
//  Parse gateway_md.trade_source ("auto" -> -2, "any" -> -1, or a schema
//  name -> its rtype); -3 when unknown.
int md_normalizer_trade_source_parse(const char *text);

//  Process one record; contract may be NULL (unknown). Returns the number
//  of envelopes emitted.
int md_normalizer_process(md_normalizer_t *self, const dbn_record_t *rec, const char *contract,
                          md_emit_fn *emit, void *arg);

typedef struct {
    uint64_t trades, bbos, books;       //  envelopes emitted
    uint64_t held;                      //  MBP records inside an event (no F_LAST)
    uint64_t unknown;                   //  records of unknown/unmapped/spread contracts
    uint64_t filtered;                  //  known roots not in the allow list
    uint64_t ignored;                   //  non-market-data records (status, defs ...)
} md_normalizer_stats_t;
md_normalizer_stats_t md_normalizer_stats(md_normalizer_t *self);

#endif
