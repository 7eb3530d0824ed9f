/*  rec_writer - see rec_writer.h.                                        */
#include "rec_writer.h"
#include "ofts_limit.h"
#include "rec_reader.h"
#include "ofts_clock.h"
#include "ofts_fs.h"
#include "ofts_log.h"
#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define FLUSH_AT (1u << 20)

typedef struct {
    uint64_t count;
    int64_t first_ns, last_ns;
    uint64_t first_offset;
} s_topic_t;

//  The open segment and its derived indexes.
typedef struct {
    char path[1024];
    int fd, idx_fd;
    uint32_t day, number;
    uint64_t size;                  //  including what is still buffered
    uint64_t records;
    int64_t last_ns;
    zhashx_t *topics;               //  topic -> s_topic_t
} s_segment_t;

struct _rec_writer_t {
    rec_writer_config_t cfg;
    char dir[1024];
    char *config_text;
    s_segment_t seg;
    bool open;
    uint32_t next_number;
    bool started;                   //  REC_START written in this life
    uint8_t *buf;
    size_t len, cap;
    uint8_t idx[REC_IDX_ENTRY * 64];
    size_t idx_len;
    bool dirty;                     //  written since the last fdatasync
    int64_t day_from, day_until;    //  receive times of trading day `day_cached` (ofts_session_day is slow)
    uint32_t day_cached;
    uint64_t records, bytes, errors, recovered_tail;
    //  Writes that fail (a full disk): what was lost is counted, written as
    //  a gap once writing works again, and logged at most every 10 s.
    uint64_t lost, lost_pending;
    ofts_limit_t failing;
    int64_t open_retry_ns;
};

#define OPEN_RETRY_NS OFTS_NS_PER_SEC

static void
s_free(void **item)
{
    free(*item);
    *item = NULL;
}

//  --- segment bookkeeping, shared by live writing and recovery ---------------

//  A topic (not NUL-terminated) as the key of seg->topics.
static void
s_topic_key(char key[256], const char *topic, size_t topic_len)
{
    size_t n = topic_len < 255 ? topic_len : 255;
    memcpy(key, topic, n);
    key[n] = '\0';
}

static void
s_note(rec_writer_t *self, s_segment_t *seg, int64_t recv_ns, const char *topic, size_t topic_len, uint64_t off)
{
    char key[256];
    s_topic_key(key, topic, topic_len);
    s_topic_t *t = zhashx_lookup(seg->topics, key);
    if (!t) {
        t = calloc(1, sizeof *t);
        t->first_ns = recv_ns;
        t->first_offset = off;
        zhashx_insert(seg->topics, key, t);
    }
    t->count++;
    t->last_ns = recv_ns;
    if (seg->records % self->cfg.index_every == 0) {
        if (self->idx_len == sizeof self->idx && seg->idx_fd >= 0) {
            if (write(seg->idx_fd, self->idx, self->idx_len) < 0)
                log_warn("recorder: index write failed: %s", strerror(errno));
            self->idx_len = 0;
        }
        uint8_t *e = self->idx + self->idx_len;
        rec_put64(e, (uint64_t) recv_ns);
        rec_put64(e + 8, off);
        rec_put64(e + 16, seg->records);
        self->idx_len += REC_IDX_ENTRY;
    }
    seg->records++;
    seg->last_ns = recv_ns;
}

static void
s_write_topics(s_segment_t *seg)
{
    char path[1100], tmp[1110];
    rec_side_path(seg->path, "topics", path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        log_warn("recorder: cannot write %s: %s", tmp, strerror(errno));
        return;
    }
    fprintf(f, "end %llu\n", (unsigned long long) seg->size);
    for (s_topic_t *t = zhashx_first(seg->topics); t; t = zhashx_next(seg->topics))
        fprintf(f, "%s\t%llu\t%lld\t%lld\t%llu\n", (const char *) zhashx_cursor(seg->topics),
                (unsigned long long) t->count, (long long) t->first_ns, (long long) t->last_ns,
                (unsigned long long) t->first_offset);
    fclose(f);
    rename(tmp, path);
}

static void
s_flush_idx(rec_writer_t *self, s_segment_t *seg)
{
    if (self->idx_len && seg->idx_fd >= 0 && write(seg->idx_fd, self->idx, self->idx_len) < 0)
        log_warn("recorder: index write failed: %s", strerror(errno));
    self->idx_len = 0;
}

static void
s_segment_init(s_segment_t *seg)
{
    memset(seg, 0, sizeof *seg);
    seg->fd = seg->idx_fd = -1;
    seg->topics = zhashx_new();
    zhashx_set_destructor(seg->topics, s_free);
}

static int
s_open_idx(s_segment_t *seg)
{
    char path[1100];
    rec_side_path(seg->path, "idx", path, sizeof path);
    seg->idx_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    return seg->idx_fd >= 0 ? 0 : -1;
}

//  --- recovery ----------------------------------------------------------------

static void
s_on_damage(void *arg, const char *path, uint64_t offset, uint64_t length, bool tail)
{
    (void) arg;
    if (tail)
        log_warn("recorder: %s: torn tail of %llu bytes at offset %llu cut", path, (unsigned long long) length,
                 (unsigned long long) offset);
    else
        log_warn("recorder: %s: %llu damaged bytes at offset %llu skipped (resynced)", path,
                 (unsigned long long) length, (unsigned long long) offset);
}

//  Scan the newest segment, cut its torn tail, rebuild .idx and .topics.
static void
s_recover(rec_writer_t *self, const char *path)
{
    char err[256];
    rec_reader_t *r = rec_reader_open(path, err, sizeof err);
    if (!r) {
        log_warn("recorder: %s left as it is: %s", path, err);
        return;
    }
    rec_reader_set_damage_fn(r, s_on_damage, NULL);
    s_segment_t seg;
    s_segment_init(&seg);
    snprintf(seg.path, sizeof seg.path, "%s", path);
    if (s_open_idx(&seg) != 0)
        log_warn("recorder: cannot rebuild the index of %s", path);
    rec_record_t rec;
    while (rec_reader_next(r, &rec))
        s_note(self, &seg, rec.recv_ns, rec.topic, rec.topic_len, rec.offset);
    s_flush_idx(self, &seg);
    uint64_t end = rec_reader_valid_end(r), size = rec_reader_file_size(r);
    rec_reader_destroy(&r);
    if (end < size) {
        self->recovered_tail = size - end;
        if (truncate(path, (off_t) end) != 0)
            log_error("recorder: cannot cut %s at %llu: %s", path, (unsigned long long) end, strerror(errno));
    }
    seg.size = end;
    s_write_topics(&seg);
    log_info("recorder: recovered %s: %llu records, %llu bytes", path, (unsigned long long) seg.records,
             (unsigned long long) end);
    if (seg.idx_fd >= 0)
        close(seg.idx_fd);
    zhashx_destroy(&seg.topics);
}

//  --- segment life ------------------------------------------------------------

size_t
rec_list_segments(const char *dir, char ***paths_out)
{
    *paths_out = NULL;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0, cap = 0;
    char **paths = NULL;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".rec") != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            paths = realloc(paths, cap * sizeof *paths);
        }
        paths[n] = malloc(strlen(dir) + len + 2);
        sprintf(paths[n++], "%s/%s", dir, de->d_name);
    }
    closedir(d);
    for (size_t i = 1; i < n; i++)      //  insertion sort: folders hold few segments
        for (size_t j = i; j > 0 && strcmp(paths[j - 1], paths[j]) > 0; j--) {
            char *t = paths[j];
            paths[j] = paths[j - 1];
            paths[j - 1] = t;
        }
    *paths_out = paths;
    return n;
}

void
rec_free_list(char ***paths_p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free((*paths_p)[i]);
    free(*paths_p);
    *paths_p = NULL;
}

uint64_t
rec_dir_bytes(const char *dir)
{
    char **paths;
    size_t n = rec_list_segments(dir, &paths);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        total += stat(paths[i], &st) == 0 ? (uint64_t) st.st_size : 0;
    }
    rec_free_list(&paths, n);
    return total;
}

static uint32_t
s_number_of(const char *path)
{
    const char *dash = strrchr(path, '-');
    return dash ? (uint32_t) strtoul(dash + 1, NULL, 10) : 0;
}

static int s_raw_append(rec_writer_t *self, rec_type_t type, int64_t recv_ns, const char *topic,
                        size_t topic_len, const void *payload, size_t payload_len);

static void
s_close_segment(rec_writer_t *self)
{
    if (!self->open)
        return;
    rec_writer_flush(self);
    s_flush_idx(self, &self->seg);
    if (self->cfg.fsync != REC_FSYNC_NONE)
        fdatasync(self->seg.fd);
    close(self->seg.fd);
    if (self->seg.idx_fd >= 0)
        close(self->seg.idx_fd);
    s_write_topics(&self->seg);
    zhashx_destroy(&self->seg.topics);
    self->open = false;
}

static void
s_retention(rec_writer_t *self)
{
    if (!self->cfg.retention_days && !self->cfg.retention_bytes)
        return;
    char **paths;
    size_t n = rec_list_segments(self->dir, &paths);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        total += stat(paths[i], &st) == 0 ? (uint64_t) st.st_size : 0;
    }
    //  Segment names begin with the trading day: count days from the newest.
    int days = 0;
    char last_day[9] = "";
    bool *keep_day = calloc(n ? n : 1, sizeof *keep_day);
    for (size_t i = n; i-- > 0;) {
        const char *base = strrchr(paths[i], '/') + 1;
        if (strncmp(base, last_day, 8) != 0) {
            days++;
            memcpy(last_day, base, 8);
        }
        keep_day[i] = !self->cfg.retention_days || days <= self->cfg.retention_days;
    }
    for (size_t i = 0; i + 1 < n; i++) {      //  never the newest (open) one
        if (keep_day[i] && (!self->cfg.retention_bytes || total <= self->cfg.retention_bytes))
            break;
        struct stat st;
        uint64_t size = stat(paths[i], &st) == 0 ? (uint64_t) st.st_size : 0;
        char side[1100];
        if (unlink(paths[i]) == 0) {
            total -= size;
            log_info("recorder: retention removed %s (%llu bytes)", paths[i], (unsigned long long) size);
        }
        rec_side_path(paths[i], "idx", side, sizeof side);
        unlink(side);
        rec_side_path(paths[i], "topics", side, sizeof side);
        unlink(side);
    }
    free(keep_day);
    rec_free_list(&paths, n);
}

//  The trading day of a receive time: computed once per day, not per
//  record (ofts_session_day does calendar and DST arithmetic; per record it
//  was ~0.3 us of the recorder's ~1.7 us per message). A session runs
//  17:00 CT to 17:00 CT, 23 to 25 hours: 26 h after one opening is inside
//  the next session.
static uint32_t
s_day(rec_writer_t *self, int64_t recv_ns)
{
    if (recv_ns < self->day_from || recv_ns >= self->day_until || !self->day_cached) {
        self->day_from = ofts_session_open_ns(recv_ns);
        self->day_until = ofts_session_open_ns(self->day_from + 26 * 3600 * OFTS_NS_PER_SEC);
        self->day_cached = (uint32_t) ofts_session_day(recv_ns);
    }
    return self->day_cached;
}

//  A write or create that failed: logged when it starts failing and then
//  at most every 10 s (ofts_limit.h) - on a full disk every flush fails, and
//  the log is on that disk too.
static void
s_failed(rec_writer_t *self, const char *what, const char *path, int err)
{
    self->errors++;
    if (!ofts_limit_failed(&self->failing, ofts_clock_mono_ns(), NULL))
        return;
    log_error("recorder: %s %s failed: %s - %llu records lost so far (written as a gap once it can write "
              "again)", what, path, strerror(err), (unsigned long long) self->lost);
}

static int
s_open_segment(rec_writer_t *self, int64_t recv_ns)
{
    s_segment_t *seg = &self->seg;
    s_segment_init(seg);
    seg->day = s_day(self, recv_ns);
    seg->number = self->next_number++;
    snprintf(seg->path, sizeof seg->path, "%s/%08u-%06u.rec", self->dir, seg->day, seg->number);
    seg->fd = open(seg->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    if (seg->fd < 0 || s_open_idx(seg) != 0) {
        s_failed(self, "creating", seg->path, errno);
        if (seg->fd >= 0) {
            close(seg->fd);
            unlink(seg->path);
        }
        zhashx_destroy(&seg->topics);
        return -1;
    }
    uint8_t h[REC_HEADER_SIZE] = { 0 };
    memcpy(h, REC_MAGIC, 8);
    rec_put32(h + 8, REC_VERSION);
    rec_put32(h + 12, REC_HEADER_SIZE);
    rec_put32(h + 16, seg->day);
    rec_put32(h + 20, seg->number);
    rec_put64(h + 24, (uint64_t) recv_ns);
    rec_put32(h + 32, rec_crc32c(0, h, 32));
    //  The header goes straight to the file: a segment is never without one.
    if (write(seg->fd, h, sizeof h) != (ssize_t) sizeof h) {
        s_failed(self, "writing the header of", seg->path, errno ? errno : ENOSPC);
        close(seg->fd);
        close(seg->idx_fd);
        //  Never leave a segment without its header (nor one file per try).
        unlink(seg->path);
        char idx[1100];
        rec_side_path(seg->path, "idx", idx, sizeof idx);
        unlink(idx);
        zhashx_destroy(&seg->topics);
        return -1;
    }
    seg->size = REC_HEADER_SIZE;
    seg->last_ns = recv_ns;
    self->open = true;
    log_info("recorder: segment %s (trading day %u)", seg->path, seg->day);
    s_retention(self);
    if (!self->started) {
        s_raw_append(self, REC_START, recv_ns, "rec.start.", 10, NULL, 0);
        self->started = true;
    }
    if (self->config_text)
        s_raw_append(self, REC_CONFIG, recv_ns, "rec.config.", 11, self->config_text, strlen(self->config_text));
    return 0;
}

//  --- public ------------------------------------------------------------------

rec_writer_t *
rec_writer_new(const rec_writer_config_t *cfg, char *err, size_t errlen)
{
    if (ofts_mkdir_p(cfg->dir, 0755) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", cfg->dir, strerror(errno));
        return NULL;
    }
    rec_writer_t *self = calloc(1, sizeof *self);
    self->cfg = *cfg;
    snprintf(self->dir, sizeof self->dir, "%s", cfg->dir);
    self->cfg.dir = self->dir;
    if (!self->cfg.segment_bytes)
        self->cfg.segment_bytes = 256ull << 20;
    if (!self->cfg.index_every)
        self->cfg.index_every = 1024;
    char **paths;
    size_t n = rec_list_segments(self->dir, &paths);
    if (n) {
        s_recover(self, paths[n - 1]);
        self->next_number = s_number_of(paths[n - 1]) + 1;
    }
    rec_free_list(&paths, n);
    return self;
}

void
rec_writer_destroy(rec_writer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rec_writer_t *self = *self_p;
    s_close_segment(self);
    free(self->buf);
    free(self->config_text);
    free(self);
    *self_p = NULL;
}

void
rec_writer_set_config_text(rec_writer_t *self, const char *text)
{
    free(self->config_text);
    self->config_text = text ? strdup(text) : NULL;
}

static int
s_raw_append(rec_writer_t *self, rec_type_t type, int64_t recv_ns, const char *topic, size_t topic_len,
             const void *payload, size_t payload_len)
{
    s_segment_t *seg = &self->seg;
    if (recv_ns < seg->last_ns)
        recv_ns = seg->last_ns;
    size_t body = REC_BODY_FIXED + topic_len + payload_len;
    size_t need = REC_FRAME_SIZE + body;
    if (self->len + need > self->cap) {
        self->cap = (self->len + need) * 2 + 4096;
        self->buf = realloc(self->buf, self->cap);
    }
    uint8_t *p = self->buf + self->len;
    uint8_t *b = p + REC_FRAME_SIZE;
    b[0] = (uint8_t) type;
    b[1] = 0;
    b[2] = (uint8_t) topic_len;
    b[3] = (uint8_t) (topic_len >> 8);
    rec_put64(b + 4, (uint64_t) recv_ns);
    memcpy(b + REC_BODY_FIXED, topic, topic_len);
    if (payload_len)
        memcpy(b + REC_BODY_FIXED + topic_len, payload, payload_len);
    rec_put32(p, REC_SYNC);
    rec_put32(p + 4, (uint32_t) body);
    rec_put32(p + 8, rec_crc32c(0, b, body));
    s_note(self, seg, recv_ns, topic, topic_len, seg->size);
    self->len += need;
    seg->size += need;
    self->records++;
    return 0;
}

int
rec_writer_append(rec_writer_t *self, rec_type_t type, int64_t recv_ns, const char *topic, size_t topic_len,
                  const void *payload, size_t payload_len)
{
    size_t need = REC_FRAME_SIZE + REC_BODY_FIXED + topic_len + payload_len;
    if (topic_len > 0xFFFF || need - REC_FRAME_SIZE > REC_MAX_BODY) {
        self->errors++;
        log_warn("recorder: record on '%.64s' too large (%zu bytes) not recorded", topic, need);
        return -1;
    }
    bool new_day = self->open && s_day(self, recv_ns) != self->seg.day
                   && recv_ns > self->seg.last_ns;
    bool full = self->open && self->seg.size + need > self->cfg.segment_bytes && self->seg.records > 2;
    if (new_day || full)
        s_close_segment(self);
    if (!self->open) {
        //  A segment that cannot be made (a full disk) is tried again once
        //  a second, not for every message; what comes meanwhile is lost.
        int64_t now = ofts_clock_mono_ns();
        if (now < self->open_retry_ns || s_open_segment(self, recv_ns) != 0) {
            if (now >= self->open_retry_ns)
                self->open_retry_ns = now + OPEN_RETRY_NS;
            self->lost++;
            self->lost_pending++;
            return -1;
        }
    }
    s_raw_append(self, type, recv_ns, topic, topic_len, payload, payload_len);
    if (self->len >= FLUSH_AT || self->cfg.fsync == REC_FSYNC_EVERY)
        return rec_writer_flush(self);
    return 0;
}

int
rec_writer_gap(rec_writer_t *self, int64_t recv_ns, const char *source, const char *topic, uint64_t missing,
               uint64_t first_missing, uint64_t epoch)
{
    uint8_t payload[REC_GAP_FIXED + 64];
    size_t slen = strnlen(source, 64);
    rec_put64(payload, missing);
    rec_put64(payload + 8, first_missing);
    rec_put64(payload + 16, epoch);
    memcpy(payload + REC_GAP_FIXED, source, slen);
    return rec_writer_append(self, REC_GAP, recv_ns, topic, strlen(topic), payload, REC_GAP_FIXED + slen);
}

//  The record at buf (a frame) no longer counts in its topic's summary.
static void
s_forget(s_segment_t *seg, const uint8_t *frame)
{
    const uint8_t *b = frame + REC_FRAME_SIZE;
    char key[256];
    s_topic_key(key, (const char *) b + REC_BODY_FIXED, (size_t) (b[2] | b[3] << 8));
    s_topic_t *t = zhashx_lookup(seg->topics, key);
    if (t && t->count && --t->count == 0)
        zhashx_delete(seg->topics, key);
}

//  A flush that wrote only `written` of its bytes (a full disk): the file is
//  cut back to the last whole record, and the records after it leave the
//  segment's bookkeeping - its size, record count, pending index entries and
//  topic counts - so every offset written later stays exact (before, each
//  later index entry pointed past its record by the bytes lost, and a
//  search by time could skip records). They are counted as lost.
static void
s_write_failed(rec_writer_t *self, size_t written, int err)
{
    s_segment_t *seg = &self->seg;
    uint64_t start = seg->size - self->len;
    size_t whole = 0, lost = 0;
    for (size_t at = 0; at + REC_FRAME_SIZE <= self->len;) {
        size_t size = REC_FRAME_SIZE + rec_get32(self->buf + at + 4);
        if (at + size <= written)
            whole = at + size;
        else {
            lost++;
            s_forget(seg, self->buf + at);
        }
        at += size;
    }
    uint64_t cut = start + whole;
    if (ftruncate(seg->fd, (off_t) cut) != 0)
        log_error("recorder: cannot cut %s back to %llu: %s", seg->path, (unsigned long long) cut, strerror(errno));
    while (self->idx_len >= REC_IDX_ENTRY && rec_get64(self->idx + self->idx_len - REC_IDX_ENTRY + 8) >= cut)
        self->idx_len -= REC_IDX_ENTRY;
    seg->size = cut;
    seg->records -= lost;
    self->records -= lost;
    self->lost += lost;
    self->lost_pending += lost;
    self->bytes += whole;
    s_failed(self, "writing", seg->path, err);
}

int
rec_writer_flush(rec_writer_t *self)
{
    if (!self->len || !self->open)
        return 0;
    const uint8_t *p = self->buf;
    size_t left = self->len;
    int err = 0;
    while (left) {
        ssize_t n = write(self->seg.fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            err = n < 0 ? errno : ENOSPC;
            break;
        }
        p += n;
        left -= (size_t) n;
    }
    if (left)
        s_write_failed(self, self->len - left, err);
    else
        self->bytes += self->len;
    self->len = 0;
    self->dirty = true;
    if (!left && self->lost_pending) {
        //  Writing again: the hole goes into the recording as a gap of the
        //  recorder's own (source "recorder"), so a reader sees it.
        uint64_t n = self->lost_pending;
        self->lost_pending = 0;
        ofts_limit_ok(&self->failing);
        self->open_retry_ns = 0;
        log_warn("recorder: writing %s again: %llu records were lost while it could not write (recorded as a gap)",
                 self->seg.path, (unsigned long long) n);
        rec_writer_gap(self, self->seg.last_ns, "recorder", "rec.lost.", n, 0, 0);
        return rec_writer_flush(self);
    }
    if (self->cfg.fsync == REC_FSYNC_EVERY)
        return rec_writer_sync(self);
    return left ? -1 : 0;
}

int
rec_writer_sync(rec_writer_t *self)
{
    if (!self->dirty || !self->open)
        return 0;
    self->dirty = false;
    return fdatasync(self->seg.fd);
}

int
rec_writer_sync_fd(rec_writer_t *self)
{
    if (!self->dirty || !self->open)
        return -1;
    self->dirty = false;
    return dup(self->seg.fd);
}

uint64_t rec_writer_records(rec_writer_t *self) { return self->records; }
uint64_t rec_writer_bytes(rec_writer_t *self) { return self->bytes; }
uint64_t rec_writer_errors(rec_writer_t *self) { return self->errors; }
uint64_t rec_writer_lost(rec_writer_t *self) { return self->lost; }
const char *rec_writer_segment_path(rec_writer_t *self) { return self->open ? self->seg.path : ""; }
uint64_t rec_writer_recovered_tail(rec_writer_t *self) { return self->recovered_tail; }
