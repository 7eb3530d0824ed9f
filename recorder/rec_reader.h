/*  rec_reader - reads one segment (rec_format.h), checking every record.

    A record whose sync, length or CRC is wrong is damage: the reader scans
    forward byte by byte for the next valid record and reports the damaged
    range (offset, length) through the damage callback; if no valid record
    follows, the range is the torn tail (a write cut short by a crash).
    Records point into the mapped file: valid until the reader is destroyed. */
#ifndef REC_READER_H
#define REC_READER_H
#include <stdbool.h>
#include <stdint.h>
#include "rec_format.h"

typedef struct {
    rec_type_t type;
    int64_t recv_ns;
    const char *topic;                  //  not NUL-terminated
    size_t topic_len;
    const uint8_t *payload;
    size_t payload_len;
    uint64_t offset;                    //  of the record's frame in the file
    uint64_t size;                      //  frame + body
} rec_record_t;

typedef struct _rec_reader_t rec_reader_t;
//  tail: nothing valid follows (a torn tail); else resynced after `length` bytes.
typedef void (rec_damage_fn)(void *arg, const char *path, uint64_t offset, uint64_t length, bool tail);

//  NULL with a reason in err when the file cannot be read or its header is wrong.
rec_reader_t *rec_reader_open(const char *path, char *err, size_t errlen);
void rec_reader_destroy(rec_reader_t **self_p);
void rec_reader_set_damage_fn(rec_reader_t *self, rec_damage_fn *fn, void *arg);
//  1 and a record, or 0 at the end.
int rec_reader_next(rec_reader_t *self, rec_record_t *out);
//  Continue from offset (a record start from the index); clamped to the file.
void rec_reader_seek(rec_reader_t *self, uint64_t offset);
//  End of the last valid record read so far (where a writer would cut).
uint64_t rec_reader_valid_end(rec_reader_t *self);
uint64_t rec_reader_file_size(rec_reader_t *self);
uint64_t rec_reader_damaged(rec_reader_t *self);    //  bytes skipped, tail included
uint64_t rec_reader_tail(rec_reader_t *self);       //  bytes of torn tail
const char *rec_reader_path(rec_reader_t *self);
uint32_t rec_reader_day(rec_reader_t *self);
uint32_t rec_reader_segment(rec_reader_t *self);
int64_t rec_reader_created(rec_reader_t *self);

//  Time index: the offset to start from to see every record received at or
//  after from_ns (the header end when there is no usable index).
uint64_t rec_index_seek(const char *segment_path, int64_t from_ns);
//  Topic index (.topics, written when a segment is closed): false when it is
//  missing or stale; else *any = some topic starts with prefix, *first = the
//  smallest first offset of those topics.
bool rec_topics_lookup(const char *segment_path, uint64_t file_size, const char *prefix, bool *any,
                       uint64_t *first);

//  "dir/x.rec" -> "dir/x.<ext>" (the .idx and .topics side files).
void rec_side_path(const char *segment, const char *ext, char *out, size_t size);

#endif
