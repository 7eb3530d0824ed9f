/*  dbn_record_hot - inline decoding of the three rtypes that make up almost
    all market data (trades, MBP-1, MBP-10). Same layout in every DBN
    version (spec §4.3-§4.5), so no table lookup; shared by dbn_record.c
    and the decoder's per-record loop. Private to gateway-md.             */
#ifndef DBN_RECORD_HOT_H
#define DBN_RECORD_HOT_H
#include <endian.h>
#include <stddef.h>
#include <string.h>
#include "dbn_record.h"

static inline uint64_t dbn_hot_u64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return le64toh(v); }
static inline uint32_t dbn_hot_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return le32toh(v); }
static inline uint16_t dbn_hot_u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return le16toh(v); }

//  On little-endian hosts dbn_mbp_t begins with the wire bytes 16..47 of a
//  trade/MBP record and dbn_level_t with a BidAskPair, field for field, so
//  whole blocks are copied (checked by the static asserts).
_Static_assert(offsetof(dbn_mbp_t, price) == 0 && offsetof(dbn_mbp_t, size) == 8
               && offsetof(dbn_mbp_t, action) == 12 && offsetof(dbn_mbp_t, side) == 13
               && offsetof(dbn_mbp_t, flags) == 14 && offsetof(dbn_mbp_t, depth) == 15
               && offsetof(dbn_mbp_t, ts_recv) == 16 && offsetof(dbn_mbp_t, ts_in_delta) == 24
               && offsetof(dbn_mbp_t, sequence) == 28,
               "dbn_mbp_t must begin with the wire layout of bytes 16..47");
_Static_assert(offsetof(dbn_level_t, bid_px) == 0 && offsetof(dbn_level_t, ask_px) == 8
               && offsetof(dbn_level_t, bid_sz) == 16 && offsetof(dbn_level_t, ask_sz) == 20
               && offsetof(dbn_level_t, bid_ct) == 24 && offsetof(dbn_level_t, ask_ct) == 28,
               "dbn_level_t must begin with the BidAskPair wire layout");

//  src holds a whole record of rtype 0x00, 0x01 or 0x0A (size checked by
//  caller). clear_pb: zero the consolidated publisher fields (only needed
//  when an earlier record in this struct was a consolidated one).
static inline void
dbn_hot_decode(dbn_record_t *rec, const uint8_t *src, int nlevels, bool clear_pb)
{
    rec->rtype = src[1];
    rec->publisher_id = dbn_hot_u16(src + 2);
    rec->instrument_id = dbn_hot_u32(src + 4);
    rec->ts_event = dbn_hot_u64(src + 8);
    rec->kind = DBN_KIND_MBP;
    dbn_mbp_t *m = &rec->mbp;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(m, src + 16, 32);
#else
    m->price = (int64_t) dbn_hot_u64(src + 16);
    m->size = dbn_hot_u32(src + 24);
    m->action = (char) src[28];
    m->side = (char) src[29];
    m->flags = src[30];
    m->depth = src[31];
    m->ts_recv = dbn_hot_u64(src + 32);
    m->ts_in_delta = (int32_t) dbn_hot_u32(src + 40);
    m->sequence = dbn_hot_u32(src + 44);
#endif
    m->level_count = (uint8_t) nlevels;
    for (int i = 0; i < nlevels; i++) {
        const uint8_t *p = src + 48 + 32 * i;
        dbn_level_t *lv = &m->levels[i];
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        memcpy(lv, p, 32);
#else
        lv->bid_px = (int64_t) dbn_hot_u64(p);
        lv->ask_px = (int64_t) dbn_hot_u64(p + 8);
        lv->bid_sz = dbn_hot_u32(p + 16);
        lv->ask_sz = dbn_hot_u32(p + 20);
        lv->bid_ct = dbn_hot_u32(p + 24);
        lv->ask_ct = dbn_hot_u32(p + 28);
#endif
        if (clear_pb)
            lv->bid_pb = lv->ask_pb = 0;
    }
}

#endif
