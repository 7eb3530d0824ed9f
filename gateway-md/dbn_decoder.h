/*  dbn_decoder - sans-I/O DBN decoder: bytes in, records out.

    The shape of databento/dbn rust/dbn/src/decode/dbn/fsm.rs: a state
    machine prelude -> metadata -> records that is handed bytes by whoever
    has them (file reader, zstd reader, live TCP client, HTTP body) and hands
    back one record at a time. Records of DBN v1 and v2 are upgraded into the
    one in-memory layout of dbn_record.h, so callers never see the version.

    Bad input never crashes: a truncated or corrupt stream gives -1 and an
    error text with the byte offset; unknown rtypes are skipped by their
    length, counted and logged once per rtype.                              */
#ifndef DBN_DECODER_H
#define DBN_DECODER_H
#include "dbn_record.h"

typedef struct _dbn_decoder_t dbn_decoder_t;

//  Stream that begins with DBN metadata.
dbn_decoder_t *dbn_decoder_new(void);
//  Records only (a "fragment", e.g. the live stream after a reconnect or a
//  .dbn.frag file); the version and ts_out must be known out of band.
dbn_decoder_t *dbn_decoder_new_fragment(uint8_t version, bool ts_out);
void dbn_decoder_destroy(dbn_decoder_t **self_p);

//  Buffer more bytes. 0, or -1 if the decoder is in error (or out of memory).
int dbn_decoder_feed(dbn_decoder_t *self, const void *data, size_t len);
//  Zero-copy feeding: get room for up to len bytes, write into it, then
//  commit how many were written. NULL when out of memory.
void *dbn_decoder_reserve(dbn_decoder_t *self, size_t len);
void dbn_decoder_commit(dbn_decoder_t *self, size_t len);

//  1: *rec is the next record (valid until the next call);
//  0: need more bytes (also after parsing metadata, when nothing follows);
//  -1: error, see dbn_decoder_error(). Errors are sticky.
int dbn_decoder_next(dbn_decoder_t *self, const dbn_record_t **rec);
//  Parse only up to the end of the metadata: 1 done (or a fragment),
//  0 need more bytes, -1 error. Records stay buffered for _next().
int dbn_decoder_read_metadata(dbn_decoder_t *self);
//  NULL until parsed (always NULL for fragments).
const dbn_metadata_t *dbn_decoder_metadata(dbn_decoder_t *self);
//  Version and ts_out in effect (0 until known).
uint8_t dbn_decoder_version(dbn_decoder_t *self);
const char *dbn_decoder_error(dbn_decoder_t *self);
//  Bytes consumed (metadata and whole records) so far.
uint64_t dbn_decoder_offset(dbn_decoder_t *self);
//  Symbol for an instrument id: from metadata mappings, SymbolMapping and
//  InstrumentDef records seen so far; NULL if unknown.
const char *dbn_decoder_symbol(dbn_decoder_t *self, uint32_t instrument_id);
//  At end of input: 0, or -1 with an error if a partial record or partial
//  metadata is left (truncated input), or no metadata at all.
int dbn_decoder_finish(dbn_decoder_t *self);

//  Counters.
uint64_t dbn_decoder_records(dbn_decoder_t *self);          //  records returned
uint64_t dbn_decoder_skipped(dbn_decoder_t *self);          //  unknown rtypes skipped
uint64_t dbn_decoder_rtype_count(dbn_decoder_t *self, uint8_t rtype);  //  incl. skipped

#endif
