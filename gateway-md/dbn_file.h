/*  dbn_file - read a DBN file (plain .dbn or zstd .dbn.zst, detected by the
    magic bytes, never by the name) and feed it to a dbn_decoder.

    zstd input is streamed with ZSTD_decompressStream across any number of
    frames (historical downloads have 2-3; spec §7), in constant memory, so
    multi-GB files are fine.                                              */
#ifndef DBN_FILE_H
#define DBN_FILE_H
#include "dbn_decoder.h"

typedef struct _dbn_file_t dbn_file_t;

//  Open and read up to the end of the metadata. NULL on error with the
//  reason in err ("FILE: ... at byte offset N").
dbn_file_t *dbn_file_new(const char *path, char *err, size_t errlen);
//  A fragment (records only) of the given DBN version.
dbn_file_t *dbn_file_new_fragment(const char *path, uint8_t version, bool ts_out, char *err,
                                  size_t errlen);
void dbn_file_destroy(dbn_file_t **self_p);

//  1 record, 0 clean end of file, -1 error (dbn_file_error()).
int dbn_file_next(dbn_file_t *self, const dbn_record_t **rec);
//  "path: message" for the last error.
const char *dbn_file_error(dbn_file_t *self);
dbn_decoder_t *dbn_file_decoder(dbn_file_t *self);
const dbn_metadata_t *dbn_file_metadata(dbn_file_t *self);
const char *dbn_file_path(dbn_file_t *self);
bool dbn_file_compressed(dbn_file_t *self);
//  File bytes read so far and the file size (for progress).
uint64_t dbn_file_bytes_read(dbn_file_t *self);
uint64_t dbn_file_size(dbn_file_t *self);
//  Number of zstd frames started so far (0 for plain files).
uint64_t dbn_file_frames(dbn_file_t *self);

#endif
