/*  mock_dbn - see mock_dbn.h. Records go through the project's own
    dbn_record_encode, so the mocks speak exactly the DBN the decoder reads. */
#include "mock_dbn.h"
#include "dbn_encoder.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

size_t mock_dbn_metadata(uint8_t *out, size_t cap, uint8_t version, const char *dataset,
                         uint16_t schema, uint8_t stype_in, uint64_t start, bool ts_out)
{
    //  The project's own metadata encoder (dbn_encoder.h), no symbols:
    //  live metadata carries symbology as SymbolMappingMsg records instead.
    dbn_metadata_t meta = { .version = version, .schema = schema, .start = start,
        .end = UINT64_MAX, .limit = 0, .stype_in = stype_in, .stype_out = 0, .ts_out = ts_out };
    snprintf(meta.dataset, sizeof meta.dataset, "%s", dataset);
    size_t len = 0;
    uint8_t *bytes = dbn_metadata_encode(&meta, &len);
    if (!bytes || len > cap) {
        free(bytes);
        return 0;
    }
    memcpy(out, bytes, len);
    free(bytes);
    return len;
}

void mock_dbn_record(dbn_record_t *rec, uint8_t rtype, uint64_t i, uint32_t instrument_id)
{
    dbn_record_init(rec, rtype);
    rec->publisher_id = 1;
    rec->instrument_id = instrument_id;
    rec->ts_event = MOCK_DBN_T0 + i * 1000000ULL;
    dbn_mbp_t *m = &rec->mbp;
    m->price = MOCK_DBN_PX0 + (int64_t) i * MOCK_DBN_TICK;
    m->size = 1 + (uint32_t) (i % 5);
    m->side = i % 2 ? 'A' : 'B';
    m->action = rtype == DBN_RTYPE_MBP0 ? 'T' : 'A';
    m->flags = 0x80;
    m->depth = 0;
    m->ts_recv = rec->ts_event + 500;
    m->ts_in_delta = 100;
    m->sequence = (uint32_t) (i + 1);
    if (rtype == DBN_RTYPE_MBP1) {
        m->levels[0] = (dbn_level_t) { .bid_px = m->price - MOCK_DBN_TICK, .ask_px = m->price,
            .bid_sz = 10 + (uint32_t) (i % 7), .ask_sz = 20 + (uint32_t) (i % 7), .bid_ct = 1, .ask_ct = 2 };
    } else if (rtype == DBN_RTYPE_MBP10) {
        for (int k = 0; k < 10; k++)
            m->levels[k] = (dbn_level_t) { .bid_px = m->price - (k + 1) * MOCK_DBN_TICK,
                .ask_px = m->price + k * MOCK_DBN_TICK, .bid_sz = (uint32_t) k + 1,
                .ask_sz = (uint32_t) k + 1, .bid_ct = 1, .ask_ct = 1 };
    }
}

void mock_dbn_mapping(dbn_record_t *rec, uint32_t instrument_id, const char *symbol, uint64_t ts)
{
    dbn_record_init(rec, DBN_RTYPE_SYMBOL_MAPPING);
    rec->publisher_id = 1;
    rec->instrument_id = instrument_id;
    rec->ts_event = ts;
    rec->mapping.stype_in = strstr(symbol, ".FUT") ? 4 : 255;   //  §5.5: parent = 4 (unset otherwise)
    rec->mapping.stype_out = 1;                                 //  raw_symbol
    snprintf(rec->mapping.stype_in_symbol, sizeof rec->mapping.stype_in_symbol, "%s", symbol);
    mock_dbn_raw_symbol(symbol, rec->mapping.stype_out_symbol, sizeof rec->mapping.stype_out_symbol);
    rec->mapping.start_ts = ts;
    rec->mapping.end_ts = UINT64_MAX;
}

void mock_dbn_system(dbn_record_t *rec, uint8_t code, const char *msg, uint64_t ts)
{
    dbn_record_init(rec, DBN_RTYPE_SYSTEM);
    rec->ts_event = ts;
    rec->system.code = code;
    snprintf(rec->system.msg, sizeof rec->system.msg, "%s", msg);
}

void mock_dbn_error(dbn_record_t *rec, uint8_t code, const char *msg, uint64_t ts)
{
    dbn_record_init(rec, DBN_RTYPE_ERROR);
    rec->ts_event = ts;
    rec->error.code = code;
    rec->error.is_last = 1;
    snprintf(rec->error.err, sizeof rec->error.err, "%s", msg);
}

void mock_dbn_raw_symbol(const char *symbol, char *out, size_t outlen)
{
    const char *dot = strchr(symbol, '.');
    if (!dot)
        snprintf(out, outlen, "%s", symbol);
    else
        snprintf(out, outlen, "%.*sZ6", (int) (dot - symbol), symbol);
}

uint8_t *mock_dbn_body(uint8_t rtype, size_t n, bool zstd, size_t *len)
{
    size_t cap = 128 + n * 400;
    uint8_t *raw = malloc(cap);
    if (!raw)
        return NULL;
    size_t meta = mock_dbn_metadata(raw, cap, 3, "GLBX.MDP3",
                                    rtype == DBN_RTYPE_MBP0 ? 4 : rtype == DBN_RTYPE_MBP1 ? 1 : 2,
                                    4, MOCK_DBN_T0, false);
    size_t used = meta;
    for (size_t i = 0; i < n; i++) {
        dbn_record_t rec;
        mock_dbn_record(&rec, rtype, i, 1001);
        used += dbn_record_encode(&rec, 3, false, raw + used, cap - used);
    }
    if (!zstd) {
        *len = used;
        return raw;
    }
    size_t zcap = ZSTD_compressBound(meta) + ZSTD_compressBound(used - meta);
    uint8_t *z = malloc(zcap);
    size_t a = z ? ZSTD_compress(z, zcap, raw, meta, 3) : 0;
    size_t b = z && !ZSTD_isError(a) ? ZSTD_compress(z + a, zcap - a, raw + meta, used - meta, 3) : 0;
    free(raw);
    if (!z || ZSTD_isError(a) || ZSTD_isError(b)) {
        free(z);
        return NULL;
    }
    *len = a + b;
    return z;
}
