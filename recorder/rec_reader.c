/*  rec_reader - see rec_reader.h.                                        */
#include "rec_reader.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct _rec_reader_t {
    char path[1024];
    const uint8_t *map;
    uint64_t size;
    uint64_t pos;
    uint64_t valid_end;
    uint64_t damaged, tail;
    uint32_t day, segment;
    int64_t created;
    rec_damage_fn *damage_fn;
    void *damage_arg;
};

static bool
s_header_ok(const uint8_t *h, uint64_t size)
{
    return size >= REC_HEADER_SIZE && memcmp(h, REC_MAGIC, 8) == 0 && rec_get32(h + 8) == REC_VERSION
        && rec_get32(h + 12) == REC_HEADER_SIZE && rec_get32(h + 32) == rec_crc32c(0, h, 32);
}

rec_reader_t *
rec_reader_open(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < REC_HEADER_SIZE) {
        snprintf(err, errlen, "%s: not a recording (too short)", path);
        close(fd);
        return NULL;
    }
    const uint8_t *map = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
        return NULL;
    }
    if (!s_header_ok(map, (uint64_t) st.st_size)) {
        snprintf(err, errlen, "%s: not a recording (bad segment header)", path);
        munmap((void *) map, (size_t) st.st_size);
        return NULL;
    }
    rec_reader_t *self = calloc(1, sizeof *self);
    snprintf(self->path, sizeof self->path, "%s", path);
    self->map = map;
    self->size = (uint64_t) st.st_size;
    self->pos = self->valid_end = REC_HEADER_SIZE;
    self->day = rec_get32(map + 16);
    self->segment = rec_get32(map + 20);
    self->created = (int64_t) rec_get64(map + 24);
    return self;
}

void
rec_reader_destroy(rec_reader_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rec_reader_t *self = *self_p;
    munmap((void *) self->map, (size_t) self->size);
    free(self);
    *self_p = NULL;
}

void
rec_reader_set_damage_fn(rec_reader_t *self, rec_damage_fn *fn, void *arg)
{
    self->damage_fn = fn;
    self->damage_arg = arg;
}

//  Body length of a valid record at off, or 0.
static uint32_t
s_valid_at(rec_reader_t *self, uint64_t off)
{
    if (off + REC_FRAME_SIZE + REC_BODY_FIXED > self->size)
        return 0;
    const uint8_t *p = self->map + off;
    uint32_t len = rec_get32(p + 4);
    if (rec_get32(p) != REC_SYNC || len < REC_BODY_FIXED || len > REC_MAX_BODY
        || off + REC_FRAME_SIZE + len > self->size)
        return 0;
    const uint8_t *body = p + REC_FRAME_SIZE;
    uint16_t tlen = (uint16_t) (body[2] | body[3] << 8);
    if ((uint32_t) tlen > len - REC_BODY_FIXED || body[0] < REC_MESSAGE || body[0] > REC_START)
        return 0;
    return rec_get32(p + 8) == rec_crc32c(0, body, len) ? len : 0;
}

//  Damage at self->pos: find the next valid record, report what was skipped.
static void
s_resync(rec_reader_t *self)
{
    uint64_t start = self->pos;
    for (uint64_t p = start + 1; p + REC_FRAME_SIZE <= self->size; p++) {
        if (rec_get32(self->map + p) == REC_SYNC && s_valid_at(self, p)) {
            self->damaged += p - start;
            self->pos = p;
            if (self->damage_fn)
                self->damage_fn(self->damage_arg, self->path, start, p - start, false);
            return;
        }
    }
    self->damaged += self->size - start;
    self->tail = self->size - start;
    self->pos = self->size;
    if (self->damage_fn)
        self->damage_fn(self->damage_arg, self->path, start, self->tail, true);
}

int
rec_reader_next(rec_reader_t *self, rec_record_t *out)
{
    while (self->pos < self->size) {
        uint32_t len = s_valid_at(self, self->pos);
        if (!len) {
            s_resync(self);
            continue;
        }
        const uint8_t *body = self->map + self->pos + REC_FRAME_SIZE;
        out->type = (rec_type_t) body[0];
        out->topic_len = (size_t) (body[2] | body[3] << 8);
        out->recv_ns = (int64_t) rec_get64(body + 4);
        out->topic = (const char *) body + REC_BODY_FIXED;
        out->payload = body + REC_BODY_FIXED + out->topic_len;
        out->payload_len = len - REC_BODY_FIXED - out->topic_len;
        out->offset = self->pos;
        out->size = REC_FRAME_SIZE + (uint64_t) len;
        self->pos += out->size;
        self->valid_end = self->pos;
        return 1;
    }
    return 0;
}

void
rec_reader_seek(rec_reader_t *self, uint64_t offset)
{
    if (offset < REC_HEADER_SIZE)
        offset = REC_HEADER_SIZE;
    self->pos = offset < self->size ? offset : self->size;
}

uint64_t rec_reader_valid_end(rec_reader_t *self) { return self->valid_end; }
uint64_t rec_reader_file_size(rec_reader_t *self) { return self->size; }
uint64_t rec_reader_damaged(rec_reader_t *self) { return self->damaged; }
uint64_t rec_reader_tail(rec_reader_t *self) { return self->tail; }
const char *rec_reader_path(rec_reader_t *self) { return self->path; }
uint32_t rec_reader_day(rec_reader_t *self) { return self->day; }
uint32_t rec_reader_segment(rec_reader_t *self) { return self->segment; }
int64_t rec_reader_created(rec_reader_t *self) { return self->created; }

//  "dir/x.rec" -> "dir/x.<ext>"
void
rec_side_path(const char *segment, const char *ext, char *out, size_t size)
{
    snprintf(out, size, "%s", segment);
    char *dot = strrchr(out, '.');
    if (dot && strcmp(dot, ".rec") == 0)
        *dot = '\0';
    size_t n = strlen(out);
    snprintf(out + n, size - n, ".%s", ext);
}

uint64_t
rec_index_seek(const char *segment_path, int64_t from_ns)
{
    char path[1100];
    rec_side_path(segment_path, "idx", path, sizeof path);
    FILE *f = fopen(path, "rb");
    uint64_t best = REC_HEADER_SIZE;
    if (!f)
        return best;
    uint8_t e[REC_IDX_ENTRY];
    //  Entries are in file order and receive times never decrease within a
    //  segment: the last entry at or before from_ns is where to start.
    while (fread(e, 1, sizeof e, f) == sizeof e) {
        if ((int64_t) rec_get64(e) >= from_ns)
            break;
        best = rec_get64(e + 8);
    }
    fclose(f);
    return best;
}

bool
rec_topics_lookup(const char *segment_path, uint64_t file_size, const char *prefix, bool *any, uint64_t *first)
{
    char path[1100];
    rec_side_path(segment_path, "topics", path, sizeof path);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[1024];
    unsigned long long end = 0;
    bool fresh = fgets(line, sizeof line, f) && sscanf(line, "end %llu", &end) == 1 && end == file_size;
    *any = false;
    *first = UINT64_MAX;
    size_t plen = strlen(prefix);
    while (fresh && fgets(line, sizeof line, f)) {
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab = '\0';
        unsigned long long count, off;
        long long t0, t1;
        if (strncmp(line, prefix, plen) != 0 || sscanf(tab + 1, "%llu %lld %lld %llu", &count, &t0, &t1, &off) != 4)
            continue;
        *any = true;
        if (off < *first)
            *first = off;
    }
    fclose(f);
    return fresh;
}
