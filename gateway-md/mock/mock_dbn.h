/*  mock_dbn - deterministic DBN content for the mock Databento servers.

    Data record i (0-based) of a generated stream, for instrument `iid`:
        ts_event   = MOCK_DBN_T0 + i * 1 000 000            (1 ms apart)
        ts_recv    = ts_event + 500, ts_in_delta = 100, sequence = i + 1
        price      = 2000.0 + i * 0.1   (2000000000000 + i * 100000000)
        size       = 1 + i % 5, side = i even ? 'B' : 'A', flags = 0x80
        trades: action 'T'; mbp-1: action 'A', bid = price - 0.1,
        ask = price, bid_sz = 10 + i % 7, ask_sz = 20 + i % 7, counts 1 / 2;
        mbp-10: action 'A', level k: bid = price - (k+1)*0.1, ask = price + k*0.1,
        sizes k + 1, counts 1.
    Parent/continuous symbols map to a raw symbol root + "Z6" ("GC.FUT" ->
    "GCZ6"), instrument ids 1001, 1002, ... in subscription order.          */
#ifndef OFTS_MOCK_DBN_H
#define OFTS_MOCK_DBN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dbn_record.h"

#define MOCK_DBN_T0     1764547200000000000ULL     //  2025-12-01T00:00:00Z
#define MOCK_DBN_PX0    2000000000000LL
#define MOCK_DBN_TICK   100000000LL

//  Metadata with no symbols (dbn_metadata_encode) into out; returns its
//  length, 0 on error. schema 0xFFFF / stype 0xFF = live.
size_t mock_dbn_metadata(uint8_t *out, size_t cap, uint8_t version, const char *dataset,
                         uint16_t schema, uint8_t stype_in, uint64_t start, bool ts_out);
//  Fill rec with data record i (see above) of rtype 0x00, 0x01 or 0x0A.
void mock_dbn_record(dbn_record_t *rec, uint8_t rtype, uint64_t i, uint32_t instrument_id);
void mock_dbn_mapping(dbn_record_t *rec, uint32_t instrument_id, const char *symbol, uint64_t ts);
void mock_dbn_system(dbn_record_t *rec, uint8_t code, const char *msg, uint64_t ts);
void mock_dbn_error(dbn_record_t *rec, uint8_t code, const char *msg, uint64_t ts);
//  "GC.FUT" -> "GCZ6"; "GCZ6" stays.
void mock_dbn_raw_symbol(const char *symbol, char *out, size_t outlen);

//  A whole historical body: v3 metadata (schema, stype_in parent) and n
//  records of rtype for instrument 1001. zstd-compressed (two frames:
//  metadata, records, like real downloads) when zstd. Caller frees.
uint8_t *mock_dbn_body(uint8_t rtype, size_t n, bool zstd, size_t *len);

#endif
