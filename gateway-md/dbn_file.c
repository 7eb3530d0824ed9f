/*  dbn_file - DBN file reader over dbn_decoder (see dbn_file.h).          */
#include "dbn_file.h"
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zstd.h>

#define CHUNK (128u << 10)    //  small enough that decoding reads it from L2

struct _dbn_file_t {
    char *path;
    FILE *fp;
    dbn_decoder_t *decoder;
    ZSTD_DCtx *zstd;            //  NULL for plain files
    uint8_t *in;                //  compressed input buffer
    ZSTD_inBuffer zin;
    size_t zret;                //  last ZSTD_decompressStream result (0 = frame complete)
    bool zflush;                //  last call filled the output: more may be pending
    bool eof, finished;
    uint64_t bytes_read, size, frames;
    char error[512];
};

static int
s_fail(dbn_file_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
s_fail(dbn_file_t *self, const char *fmt, ...)
{
    char what[400];
    va_list args;
    va_start(args, fmt);
    vsnprintf(what, sizeof(what), fmt, args);
    va_end(args);
    snprintf(self->error, sizeof(self->error), "%s: %s", self->path, what);
    return -1;
}

static bool
s_is_zstd(const uint8_t *p, size_t n)
{
    if (n < 4)
        return false;
    uint32_t magic = (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16
                   | (uint32_t) p[3] << 24;
    //  Skippable frames only appear in legacy DBZ: check their payload.
    if ((magic & 0xFFFFFFF0u) == 0x184D2A50u)
        return false;
    return magic == 0xFD2FB528u;
}

//  Pull more bytes into the decoder. 1 some, 0 end of file, -1 error.
static int
s_fill(dbn_file_t *self)
{
    if (!self->zstd) {
        if (self->eof)
            return 0;
        void *dst = dbn_decoder_reserve(self->decoder, CHUNK);
        if (!dst)
            return s_fail(self, "out of memory");
        size_t n = fread(dst, 1, CHUNK, self->fp);
        if (n == 0) {
            if (ferror(self->fp))
                return s_fail(self, "read error: %s", strerror(errno));
            self->eof = true;
            return 0;
        }
        self->bytes_read += n;
        dbn_decoder_commit(self->decoder, n);
        return 1;
    }
    for (;;) {
        //  Read more input only when zstd has nothing left to flush: a call
        //  that filled the output buffer may hold decoded bytes back.
        if (self->zin.pos == self->zin.size && !self->zflush) {
            if (self->eof)
                break;
            size_t n = fread(self->in, 1, ZSTD_DStreamInSize(), self->fp);
            if (n == 0) {
                if (ferror(self->fp))
                    return s_fail(self, "read error: %s", strerror(errno));
                self->eof = true;
                break;
            }
            self->bytes_read += n;
            self->zin.src = self->in;
            self->zin.size = n;
            self->zin.pos = 0;
        }
        size_t room = ZSTD_DStreamOutSize();
        void *dst = dbn_decoder_reserve(self->decoder, room);
        if (!dst)
            return s_fail(self, "out of memory");
        ZSTD_outBuffer out = { dst, room, 0 };
        if (self->zret == 0 && self->zin.pos < self->zin.size)
            self->frames++;     //  a new frame starts with this input
        size_t rc = ZSTD_decompressStream(self->zstd, &out, &self->zin);
        if (ZSTD_isError(rc))
            return s_fail(self, "zstd error: %s (compressed byte offset ~%" PRIu64 ")",
                          ZSTD_getErrorName(rc),
                          self->bytes_read - (uint64_t) (self->zin.size - self->zin.pos));
        self->zret = rc;
        self->zflush = out.pos == out.size;
        dbn_decoder_commit(self->decoder, out.pos);
        if (out.pos > 0)
            return 1;
    }
    //  End of compressed input: a frame left open means a truncated file.
    if (self->zret != 0)
        return s_fail(self, "truncated zstd stream (frame incomplete at end of file)");
    return 0;
}

static dbn_file_t *
s_open(const char *path, dbn_decoder_t *decoder, char *err, size_t errlen)
{
    dbn_file_t *self = calloc(1, sizeof(*self));
    if (!self || !decoder) {
        snprintf(err, errlen, "%s: out of memory", path);
        free(self);
        dbn_decoder_destroy(&decoder);
        return NULL;
    }
    self->decoder = decoder;
    self->path = strdup(path);
    self->fp = fopen(path, "rb");
    if (!self->fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        dbn_file_destroy(&self);
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(self->fp), &st) == 0)
        self->size = (uint64_t) st.st_size;
    uint8_t magic[4];
    size_t n = fread(magic, 1, sizeof(magic), self->fp);
    rewind(self->fp);
    if (s_is_zstd(magic, n)) {
        self->zstd = ZSTD_createDCtx();
        self->in = malloc(ZSTD_DStreamInSize());
        if (!self->zstd || !self->in) {
            snprintf(err, errlen, "%s: out of memory", path);
            dbn_file_destroy(&self);
            return NULL;
        }
    }
    //  Read through the metadata so it is available right away.
    int rc;
    while ((rc = dbn_decoder_read_metadata(decoder)) == 0) {
        int f = s_fill(self);
        if (f < 0) {
            snprintf(err, errlen, "%s", self->error);
            dbn_file_destroy(&self);
            return NULL;
        }
        if (f == 0) {
            dbn_decoder_finish(decoder);
            break;
        }
    }
    if (dbn_decoder_error(decoder)) {
        snprintf(err, errlen, "%s: %s", path, dbn_decoder_error(decoder));
        dbn_file_destroy(&self);
        return NULL;
    }
    return self;
}

dbn_file_t *
dbn_file_new(const char *path, char *err, size_t errlen)
{
    return s_open(path, dbn_decoder_new(), err, errlen);
}

dbn_file_t *
dbn_file_new_fragment(const char *path, uint8_t version, bool ts_out, char *err, size_t errlen)
{
    dbn_decoder_t *decoder = dbn_decoder_new_fragment(version, ts_out);
    if (decoder && dbn_decoder_error(decoder)) {
        snprintf(err, errlen, "%s: %s", path, dbn_decoder_error(decoder));
        dbn_decoder_destroy(&decoder);
        return NULL;
    }
    return s_open(path, decoder, err, errlen);
}

void
dbn_file_destroy(dbn_file_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dbn_file_t *self = *self_p;
    if (self->fp)
        fclose(self->fp);
    ZSTD_freeDCtx(self->zstd);
    free(self->in);
    dbn_decoder_destroy(&self->decoder);
    free(self->path);
    free(self);
    *self_p = NULL;
}

int
dbn_file_next(dbn_file_t *self, const dbn_record_t **rec)
{
    if (self->error[0])
        return -1;
    if (self->finished)
        return 0;
    for (;;) {
        int rc = dbn_decoder_next(self->decoder, rec);
        if (rc != 0) {
            if (rc < 0)
                s_fail(self, "%s", dbn_decoder_error(self->decoder));
            return rc;
        }
        int f = s_fill(self);
        if (f < 0)
            return -1;
        if (f == 0) {
            self->finished = true;
            if (dbn_decoder_finish(self->decoder) != 0)
                return s_fail(self, "%s", dbn_decoder_error(self->decoder));
            return 0;
        }
    }
}

const char *dbn_file_error(dbn_file_t *self) { return self->error[0] ? self->error : NULL; }
dbn_decoder_t *dbn_file_decoder(dbn_file_t *self) { return self->decoder; }
const dbn_metadata_t *dbn_file_metadata(dbn_file_t *self) { return dbn_decoder_metadata(self->decoder); }
const char *dbn_file_path(dbn_file_t *self) { return self->path; }
bool dbn_file_compressed(dbn_file_t *self) { return self->zstd != NULL; }
uint64_t dbn_file_bytes_read(dbn_file_t *self) { return self->bytes_read; }
uint64_t dbn_file_size(dbn_file_t *self) { return self->size; }
uint64_t dbn_file_frames(dbn_file_t *self) { return self->frames; }
