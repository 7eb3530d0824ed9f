/*  replay - merge DBN files by time; pacing math (see replay.h).          */
#include "replay.h"
#include "md_normalizer.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILES 64

void
replay_pace_init(replay_pace_t *self, double speed, int64_t max_gap_ns)
{
    memset(self, 0, sizeof(*self));
    self->speed = speed < 0 ? 0 : speed;
    self->max_gap_ns = max_gap_ns;
}

int64_t
replay_pace_due(replay_pace_t *self, int64_t ts, int64_t now)
{
    if (self->speed <= 0)
        return now;
    bool undefined = ts < 0;        //  UNDEF_TIMESTAMP read as int64
    if (!self->started) {
        if (undefined)
            return now;
        self->started = true;
        self->first_ts = self->last_ts = ts;
        self->wall_start = now;
        return now;
    }
    if (undefined || ts < self->last_ts)
        ts = self->last_ts;         //  out of order: due with the previous one
    if (self->max_gap_ns > 0 && ts - self->last_ts > self->max_gap_ns)
        self->skipped_ns += ts - self->last_ts - self->max_gap_ns;
    self->last_ts = ts;
    double elapsed = (double) (ts - self->first_ts - self->skipped_ns) / self->speed;
    return self->wall_start + (int64_t) elapsed;
}

typedef struct {
    dbn_file_t *file;
    dbn_record_t rec;
    uint64_t ts;
    bool have;              //  rec holds the file's next record
    bool done;
} source_t;

struct _replay_t {
    source_t src[MAX_FILES];
    size_t count;
    dbn_record_t current;
    size_t current_file;    //  the file `current` came from
    uint64_t records, errors;
    char error[600];
};

replay_t *
replay_new(void)
{
    return calloc(1, sizeof(replay_t));
}

void
replay_destroy(replay_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    replay_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        dbn_file_destroy(&self->src[i].file);
    free(self);
    *self_p = NULL;
}

int
replay_add_file(replay_t *self, const char *path, char *err, size_t errlen)
{
    if (self->count >= MAX_FILES) {
        snprintf(err, errlen, "%s: too many replay files (max %d)", path, MAX_FILES);
        return -1;
    }
    dbn_file_t *f = dbn_file_new(path, err, errlen);
    if (!f)
        return -1;
    self->src[self->count++].file = f;
    return 0;
}

size_t
replay_file_count(replay_t *self)
{
    return self->count;
}

//  Make sure every live source holds its next record. -1 when one failed.
static int
s_fill(replay_t *self)
{
    for (size_t i = 0; i < self->count; i++) {
        source_t *s = &self->src[i];
        if (s->have || s->done)
            continue;
        const dbn_record_t *rec;
        int rc = dbn_file_next(s->file, &rec);
        if (rc == 1) {
            s->rec = *rec;
            s->ts = dbn_record_ts_index(rec);
            s->have = true;
        }
        else {
            s->done = true;
            if (rc < 0) {
                self->errors++;
                snprintf(self->error, sizeof(self->error), "%s", dbn_file_error(s->file));
                return -1;
            }
        }
    }
    return 0;
}

int
replay_next(replay_t *self, const dbn_record_t **rec, const char **contract)
{
    if (s_fill(self) != 0)
        return -1;
    source_t *best = NULL;
    for (size_t i = 0; i < self->count; i++) {
        source_t *s = &self->src[i];
        if (s->have && (!best || s->ts < best->ts))
            best = s;
    }
    if (!best)
        return 0;
    self->current = best->rec;
    self->current_file = (size_t) (best - self->src);
    best->have = false;
    self->records++;
    *rec = &self->current;
    *contract = dbn_decoder_symbol(dbn_file_decoder(best->file), self->current.instrument_id);
    return 1;
}

const char *
replay_error(replay_t *self)
{
    return self->error[0] ? self->error : NULL;
}

uint64_t replay_records(replay_t *self) { return self->records; }
size_t replay_current_file(replay_t *self) { return self->current_file; }
uint64_t replay_errors(replay_t *self) { return self->errors; }

double
replay_progress(replay_t *self)
{
    uint64_t read = 0, total = 0;
    for (size_t i = 0; i < self->count; i++) {
        read += dbn_file_bytes_read(self->src[i].file);
        total += dbn_file_size(self->src[i].file);
    }
    return total ? (double) read / (double) total : 1.0;
}

uint64_t
replay_skipped(replay_t *self)
{
    uint64_t n = 0;
    for (size_t i = 0; i < self->count; i++)
        n += dbn_decoder_skipped(dbn_file_decoder(self->src[i].file));
    return n;
}

const dbn_metadata_t *
replay_metadata(replay_t *self, size_t index)
{
    return index < self->count && self->src[index].file ? dbn_file_metadata(self->src[index].file) : NULL;
}

int
replay_trade_rtype(replay_t *self)
{
    const char *names[MAX_FILES];
    size_t n = 0;
    for (size_t i = 0; i < self->count; i++) {
        const dbn_metadata_t *m = replay_metadata(self, i);
        if (m)
            names[n++] = m->schema == DBN_NULL_SCHEMA ? "mixed" : dbn_schema_name(m->schema);
    }
    return md_normalizer_trade_rtype_for(names, n);
}
