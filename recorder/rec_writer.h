/*  rec_writer - appends records to the segments of one recording folder.

    Records are framed in memory and reach the file with one write() per
    flush (the service flushes after each drained batch), so a kill -9 loses
    at most the batch being received, never what was written before. The
    fsync policy decides what survives a power loss: none (the OS writes
    back), interval (fdatasync every interval_ms when something was
    written), every (fdatasync after each record).

    Opening a folder recovers it: the newest segment is scanned, a torn tail
    is cut (logged with its offset and length), its index files rebuilt; the
    writer then starts a new segment. A new segment begins at each trading
    day (17:00 CT, by receive time) and when segment_bytes would be passed.
    Retention removes the oldest segments (never the open one) beyond
    retention_days trading days or retention_bytes in total (0 = keep).  */
#ifndef REC_WRITER_H
#define REC_WRITER_H
#include <stdbool.h>
#include <stdint.h>
#include "rec_format.h"

typedef enum { REC_FSYNC_NONE, REC_FSYNC_INTERVAL, REC_FSYNC_EVERY } rec_fsync_t;

typedef struct {
    const char *dir;
    uint64_t segment_bytes;             //  0 = 256 MiB
    rec_fsync_t fsync;
    int fsync_interval_ms;
    int retention_days;                 //  0 = no limit
    uint64_t retention_bytes;           //  0 = no limit
    uint32_t index_every;               //  records between time-index entries (0 = 1024)
} rec_writer_config_t;

typedef struct _rec_writer_t rec_writer_t;

//  NULL with the reason in err (folder cannot be made or read).
rec_writer_t *rec_writer_new(const rec_writer_config_t *cfg, char *err, size_t errlen);
//  Flushes, syncs and closes the open segment (writing its .topics).
void rec_writer_destroy(rec_writer_t **self_p);
//  Written as a REC_CONFIG record at the head of every segment, so each
//  segment can be re-run alone (copied).
void rec_writer_set_config_text(rec_writer_t *self, const char *text);
//  Buffer one record. recv_ns is raised to the segment's last receive time
//  if the wall clock stepped back (the index needs it non-decreasing).
//  0, or -1 when the record cannot be written (logged; counted).
int rec_writer_append(rec_writer_t *self, rec_type_t type, int64_t recv_ns, const char *topic, size_t topic_len,
                      const void *payload, size_t payload_len);
//  A gap seen on the bus: `missing` messages from source on topic.
int rec_writer_gap(rec_writer_t *self, int64_t recv_ns, const char *source, const char *topic, uint64_t missing,
                   uint64_t first_missing, uint64_t epoch);
//  write() what is buffered (and fdatasync under "every"). 0 or -1.
int rec_writer_flush(rec_writer_t *self);
//  For the interval policy: fdatasync if something was written since.
int rec_writer_sync(rec_writer_t *self);

//  The same, done elsewhere: a dup of the open segment's descriptor when
//  something was written since the last sync (-1: nothing to do), for a
//  thread that fdatasyncs and closes it, so a long sync never stops the
//  recording thread (the open file stays valid for it across a rotation).
int rec_writer_sync_fd(rec_writer_t *self);

uint64_t rec_writer_records(rec_writer_t *self);
uint64_t rec_writer_bytes(rec_writer_t *self);       //  written by this writer
uint64_t rec_writer_errors(rec_writer_t *self);
//  Records lost to writes that failed (a full disk); each run of them is
//  recorded as a REC_GAP of source "recorder" on topic "rec.lost." once
//  writing works again.
uint64_t rec_writer_lost(rec_writer_t *self);
const char *rec_writer_segment_path(rec_writer_t *self);
//  Bytes cut from a torn tail when the folder was opened.
uint64_t rec_writer_recovered_tail(rec_writer_t *self);

//  Segments of a folder, sorted by name (= time); returns count, paths malloc'd.
size_t rec_list_segments(const char *dir, char ***paths_out);
void rec_free_list(char ***paths_p, size_t n);
//  Bytes of all segments in a folder (.rec files only).
uint64_t rec_dir_bytes(const char *dir);

#endif
