/*  dbn_encoder - DBN writer (see dbn_encoder.h). Metadata layout: spec §2;
    records: dbn_record_encode (the same field tables the decoder uses).   */
#include "dbn_encoder.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

struct _dbn_encoder_t {
    FILE *fp;                   //  NULL: memory
    uint8_t *mem;
    size_t mem_len, mem_cap;
    ZSTD_CCtx *zstd;
    uint8_t *zout;
    size_t zout_cap;
    uint8_t version;
    bool ts_out;
    bool closed, failed;
    uint64_t records;
    //  Batch small writes: one compress/fwrite call per 64 KB, not per record.
    uint8_t pend[1 << 16];
    size_t pend_len;
};

static int
s_sink(dbn_encoder_t *self, const void *data, size_t len)
{
    if (self->fp) {
        if (fwrite(data, 1, len, self->fp) != len) {
            self->failed = true;
            return -1;
        }
        return 0;
    }
    if (self->mem_cap - self->mem_len < len) {
        size_t ncap = self->mem_cap ? self->mem_cap : 4096;
        while (ncap - self->mem_len < len)
            ncap *= 2;
        uint8_t *n = realloc(self->mem, ncap);
        if (!n) {
            self->failed = true;
            return -1;
        }
        self->mem = n;
        self->mem_cap = ncap;
    }
    memcpy(self->mem + self->mem_len, data, len);
    self->mem_len += len;
    return 0;
}

static int
s_compress(dbn_encoder_t *self, const void *data, size_t len, ZSTD_EndDirective mode)
{
    ZSTD_inBuffer in = { data, len, 0 };
    for (;;) {
        ZSTD_outBuffer out = { self->zout, self->zout_cap, 0 };
        size_t rc = ZSTD_compressStream2(self->zstd, &out, &in, mode);
        if (ZSTD_isError(rc)) {
            self->failed = true;
            return -1;
        }
        if (out.pos && s_sink(self, self->zout, out.pos) != 0)
            return -1;
        bool done = mode == ZSTD_e_continue ? in.pos == in.size : rc == 0;
        if (done)
            return 0;
    }
}

static int
s_flush_pending(dbn_encoder_t *self, ZSTD_EndDirective mode)
{
    int rc = 0;
    if (self->zstd)
        rc = s_compress(self, self->pend, self->pend_len, mode);
    else if (self->pend_len)
        rc = s_sink(self, self->pend, self->pend_len);
    self->pend_len = 0;
    return rc;
}

static int
s_put(dbn_encoder_t *self, const void *data, size_t len)
{
    if (self->failed || self->closed)
        return -1;
    if (self->pend_len + len > sizeof(self->pend)) {
        if (s_flush_pending(self, ZSTD_e_continue) != 0)
            return -1;
        if (len > sizeof(self->pend))
            return self->zstd ? s_compress(self, data, len, ZSTD_e_continue) : s_sink(self, data, len);
    }
    memcpy(self->pend + self->pend_len, data, len);
    self->pend_len += len;
    return 0;
}

//  --- metadata ----------------------------------------------------------

typedef struct {
    uint8_t *p;
    size_t len, cap;
    bool oom;
} buf_t;

static void
s_bytes(buf_t *b, const void *data, size_t len)
{
    if (b->oom)
        return;
    if (b->cap - b->len < len) {
        size_t ncap = b->cap ? b->cap * 2 : 512;
        while (ncap - b->len < len)
            ncap *= 2;
        uint8_t *n = realloc(b->p, ncap);
        if (!n) {
            b->oom = true;
            return;
        }
        b->p = n;
        b->cap = ncap;
    }
    if (data)
        memcpy(b->p + b->len, data, len);
    else
        memset(b->p + b->len, 0, len);
    b->len += len;
}

static void
s_uint(buf_t *b, uint64_t v, int width)
{
    uint8_t x[8];
    for (int i = 0; i < width; i++)
        x[i] = (uint8_t) (v >> (8 * i));
    s_bytes(b, x, (size_t) width);
}

//  At most width-1 characters and a NUL (dbn encode_fixed_len_cstr refuses
//  longer ones; we truncate).
static void
s_cstr(buf_t *b, const char *s, size_t width)
{
    size_t n = s ? strlen(s) : 0;
    if (n > width - 1)
        n = width - 1;
    s_bytes(b, s, n);
    s_bytes(b, NULL, width - n);
}

static void
s_list(buf_t *b, char **list, uint32_t count, size_t width)
{
    s_uint(b, list ? count : 0, 4);
    for (uint32_t i = 0; list && i < count; i++)
        s_cstr(b, list[i], width);
}

uint8_t *
dbn_metadata_encode(const dbn_metadata_t *meta, size_t *len)
{
    uint8_t version = meta->version ? meta->version : DBN_VERSION_MAX;
    if (version > DBN_VERSION_MAX)
        return NULL;
    size_t width = version == 1 ? 22 : DBN_SYMBOL_MAX;
    buf_t b = { 0 };
    s_bytes(&b, "DBN", 3);
    s_uint(&b, version, 1);
    s_uint(&b, 0, 4);                           //  length, patched below
    char dataset[16] = { 0 };
    memcpy(dataset, meta->dataset, strnlen(meta->dataset, sizeof(dataset)));
    s_bytes(&b, dataset, 16);
    s_uint(&b, meta->schema, 2);
    s_uint(&b, meta->start, 8);
    s_uint(&b, meta->end, 8);
    s_uint(&b, meta->limit, 8);
    if (version == 1)
        s_uint(&b, UINT64_MAX, 8);              //  deprecated record_count
    s_uint(&b, meta->stype_in, 1);
    s_uint(&b, meta->stype_out, 1);
    s_uint(&b, meta->ts_out ? 1 : 0, 1);
    if (version == 1)
        s_bytes(&b, NULL, 47);
    else {
        s_uint(&b, width, 2);
        s_bytes(&b, NULL, 53);
    }
    s_uint(&b, 0, 4);                           //  schema_definition_length
    s_list(&b, meta->symbols, meta->symbol_count, width);
    s_list(&b, meta->partial, meta->partial_count, width);
    s_list(&b, meta->not_found, meta->not_found_count, width);
    s_uint(&b, meta->mappings ? meta->mapping_count : 0, 4);
    for (uint32_t i = 0; meta->mappings && i < meta->mapping_count; i++) {
        const dbn_mapping_t *m = &meta->mappings[i];
        s_cstr(&b, m->raw_symbol, width);
        s_uint(&b, m->intervals ? m->interval_count : 0, 4);
        for (uint32_t j = 0; m->intervals && j < m->interval_count; j++) {
            s_uint(&b, m->intervals[j].start_date, 4);
            s_uint(&b, m->intervals[j].end_date, 4);
            s_cstr(&b, m->intervals[j].symbol, width);
        }
    }
    //  v3 pads the header to a multiple of 8 (dbn calc_length; spec §2.2).
    if (version >= 3 && b.len % 8)
        s_bytes(&b, NULL, 8 - b.len % 8);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    uint32_t length = (uint32_t) (b.len - 8);
    for (int i = 0; i < 4; i++)
        b.p[4 + i] = (uint8_t) (length >> (8 * i));
    *len = b.len;
    return b.p;
}

//  --- encoder -----------------------------------------------------------

static dbn_encoder_t *
s_new(FILE *fp, uint8_t version, bool ts_out, bool zstd)
{
    dbn_encoder_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->fp = fp;
    self->version = version ? version : DBN_VERSION_MAX;
    self->ts_out = ts_out;
    if (zstd) {
        self->zstd = ZSTD_createCCtx();
        self->zout_cap = ZSTD_CStreamOutSize();
        self->zout = malloc(self->zout_cap);
        if (!self->zstd || !self->zout) {
            dbn_encoder_destroy(&self);
            return NULL;
        }
        ZSTD_CCtx_setParameter(self->zstd, ZSTD_c_compressionLevel, 3);
    }
    return self;
}

static dbn_encoder_t *
s_with_metadata(dbn_encoder_t *self, const dbn_metadata_t *meta)
{
    if (!self)
        return NULL;
    size_t len;
    uint8_t *bytes = dbn_metadata_encode(meta, &len);
    if (!bytes || s_put(self, bytes, len) != 0) {
        free(bytes);
        dbn_encoder_destroy(&self);
        return NULL;
    }
    free(bytes);
    return self;
}

dbn_encoder_t *
dbn_encoder_new(const char *path, const dbn_metadata_t *meta, bool zstd)
{
    if (meta->version > DBN_VERSION_MAX)
        return NULL;
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return NULL;
    dbn_encoder_t *self = s_new(fp, meta->version, meta->ts_out, zstd);
    if (!self) {
        fclose(fp);
        return NULL;
    }
    return s_with_metadata(self, meta);
}

dbn_encoder_t *
dbn_encoder_new_mem(const dbn_metadata_t *meta, bool zstd)
{
    if (meta->version > DBN_VERSION_MAX)
        return NULL;
    return s_with_metadata(s_new(NULL, meta->version, meta->ts_out, zstd), meta);
}

dbn_encoder_t *
dbn_encoder_new_fragment_mem(uint8_t version, bool ts_out, bool zstd)
{
    if (version > DBN_VERSION_MAX)
        return NULL;
    return s_new(NULL, version, ts_out, zstd);
}

int
dbn_encoder_write(dbn_encoder_t *self, const dbn_record_t *rec)
{
    uint8_t out[DBN_MAX_RECORD_LEN];
    size_t n = dbn_record_encode(rec, self->version, self->ts_out, out, sizeof(out));
    if (n == 0)
        return -1;
    self->records++;
    return s_put(self, out, n);
}

int
dbn_encoder_write_raw(dbn_encoder_t *self, const void *data, size_t len)
{
    return s_put(self, data, len);
}

int
dbn_encoder_end_frame(dbn_encoder_t *self)
{
    if (!self->zstd || self->failed || self->closed)
        return self->zstd ? -1 : 0;
    return s_flush_pending(self, ZSTD_e_end);
}

int
dbn_encoder_close(dbn_encoder_t *self)
{
    if (self->closed)
        return self->failed ? -1 : 0;
    if (!self->failed)
        s_flush_pending(self, self->zstd ? ZSTD_e_end : ZSTD_e_continue);
    self->closed = true;
    if (self->fp) {
        if (fclose(self->fp) != 0)
            self->failed = true;
        self->fp = NULL;
    }
    return self->failed ? -1 : 0;
}

const uint8_t *
dbn_encoder_bytes(dbn_encoder_t *self, size_t *len)
{
    if (!self->fp && !self->closed && !self->zstd)
        s_flush_pending(self, ZSTD_e_continue);
    *len = self->mem_len;
    return self->mem;
}

uint64_t
dbn_encoder_records(dbn_encoder_t *self)
{
    return self->records;
}

void
dbn_encoder_destroy(dbn_encoder_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dbn_encoder_t *self = *self_p;
    dbn_encoder_close(self);
    ZSTD_freeCCtx(self->zstd);
    free(self->zout);
    free(self->mem);
    free(self);
    *self_p = NULL;
}
