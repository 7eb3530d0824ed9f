/*  dbn_encoder - write DBN (v1, v2, v3), plain or zstd, to a file or memory.

    For tests (which build their own DBN bytes, so the suite means something
    without ../shared), the market simulator and the benchmark.

        dbn_metadata_t meta = { .version = 3, .dataset = "GLBX.MDP3", ... };
        dbn_encoder_t *enc = dbn_encoder_new("out.dbn.zst", &meta, true);
        dbn_encoder_write(enc, &rec);
        dbn_encoder_destroy(&enc);      // flushes and closes

    Metadata fields used: version (1-3, default 3 when 0), dataset, schema,
    start, end, limit, stype_in, stype_out, ts_out, symbols, partial,
    not_found, mappings. symbol_cstr_len is implied by the version.        */
#ifndef DBN_ENCODER_H
#define DBN_ENCODER_H
#include "dbn_record.h"

typedef struct _dbn_encoder_t dbn_encoder_t;

//  NULL on error (errno set / message logged).
dbn_encoder_t *dbn_encoder_new(const char *path, const dbn_metadata_t *meta, bool zstd);
//  Into memory; take the bytes with dbn_encoder_bytes() after _close().
dbn_encoder_t *dbn_encoder_new_mem(const dbn_metadata_t *meta, bool zstd);
//  Records only (no metadata), as a fragment of version/ts_out.
dbn_encoder_t *dbn_encoder_new_fragment_mem(uint8_t version, bool ts_out, bool zstd);
//  0 or -1 (unknown rtype, I/O error).
int dbn_encoder_write(dbn_encoder_t *self, const dbn_record_t *rec);
//  Raw bytes straight into the stream (tests: garbage, unknown rtypes).
int dbn_encoder_write_raw(dbn_encoder_t *self, const void *data, size_t len);
//  zstd only: end the current frame; later writes start a new one.
int dbn_encoder_end_frame(dbn_encoder_t *self);
//  Flush and finish (zstd epilogue); idempotent. 0 or -1.
int dbn_encoder_close(dbn_encoder_t *self);
//  Memory encoders: the bytes written so far (after close for zstd).
const uint8_t *dbn_encoder_bytes(dbn_encoder_t *self, size_t *len);
uint64_t dbn_encoder_records(dbn_encoder_t *self);
void dbn_encoder_destroy(dbn_encoder_t **self_p);

//  Metadata bytes alone (prelude included) into a malloc'd buffer; NULL on
//  error. Used by the encoder and by tests that corrupt headers.
uint8_t *dbn_metadata_encode(const dbn_metadata_t *meta, size_t *len);

#endif
