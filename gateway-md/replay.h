/*  replay - DBN files merged by time, and replay pacing (pure math).

    replay_t merges the records of one or more DBN files by their index
    timestamp (ts_recv, or ts_event for records without one), ties going to
    the file given first. replay_pace_t says *when* each record is due,
    purely from timestamps and a clock reading the caller passes in; the
    caller (the service shell) does the sleeping.

        speed 0   as fast as possible (every record due now)
        speed 1   real time: data gaps become the same wall-clock gaps
        speed N   N times faster than real time (0.5 = half speed)        */
#ifndef REPLAY_H
#define REPLAY_H
#include "dbn_file.h"

//  --- pacing ----------------------------------------------------------------

typedef struct {
    double speed;
    int64_t max_gap_ns;     //  data gaps longer than this are cut to it (0 = keep)
    bool started;
    int64_t first_ts;       //  data time of the first record
    int64_t last_ts;        //  data time of the latest record (for gap cutting)
    int64_t skipped_ns;     //  data time removed by gap cutting
    int64_t wall_start;     //  caller clock when the first record was due
} replay_pace_t;

void replay_pace_init(replay_pace_t *self, double speed, int64_t max_gap_ns);
//  Caller-clock time (same clock as now) at which a record stamped ts is
//  due. The first record is due at now; records going back in time, or with
//  an undefined timestamp, are due immediately (at the previous due time).
int64_t replay_pace_due(replay_pace_t *self, int64_t ts, int64_t now);

//  --- merging files -----------------------------------------------------

typedef struct _replay_t replay_t;

replay_t *replay_new(void);
void replay_destroy(replay_t **self_p);
//  Open one more file (full DBN stream, plain or zstd). -1 with err.
int replay_add_file(replay_t *self, const char *path, char *err, size_t errlen);
size_t replay_file_count(replay_t *self);
//  Which rtype carries trades, from the files' schemas (md_normalizer_trade_rtype_for).
int replay_trade_rtype(replay_t *self);
//  Metadata of the i-th file added (NULL if out of range).
const dbn_metadata_t *replay_metadata(replay_t *self, size_t index);
//  1: *rec (valid until the next call) and *contract (symbol mapped by its
//  file, or NULL); 0: all files done; -1: one file failed (replay_error()),
//  it is dropped and the next call goes on with the others.
int replay_next(replay_t *self, const dbn_record_t **rec, const char **contract);
const char *replay_error(replay_t *self);
//  Index (order of replay_add_file) of the file the last record came from.
size_t replay_current_file(replay_t *self);
uint64_t replay_records(replay_t *self);
uint64_t replay_errors(replay_t *self);
//  Fraction of the input bytes read so far, 0..1.
double replay_progress(replay_t *self);
//  Records skipped as unknown rtypes, over all files.
uint64_t replay_skipped(replay_t *self);

#endif
