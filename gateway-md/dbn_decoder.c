/*  dbn_decoder - sans-I/O DBN decoder (see dbn_decoder.h).

    Format facts and their sources: ../shared/spec/databento.md §1-§3, §6;
    docs/databento.md lists what each check below relies on.              */
#include "dbn_decoder.h"
#include "dbn_record_hot.h"
#include <endian.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ofts_log.h"

#define PRELUDE_LEN       8
#define METADATA_FIXED    100         //  bytes between the prelude and schema_definition_length
#define METADATA_MAX      (256u << 20) //  refuse absurd metadata lengths (real ones: KB..MB)
#define ZSTD_MAGIC        0xFD2FB528u
#define SKIPPABLE_MASK    0xFFFFFFF0u
#define SKIPPABLE_MAGIC   0x184D2A50u

typedef enum { ST_PRELUDE, ST_METADATA, ST_RECORDS, ST_ERROR } state_t;

typedef struct {
    uint32_t key;
    char *value;            //  NULL = empty slot
} slot_t;

struct _dbn_decoder_t {
    state_t state;
    bool fragment;
    uint8_t version;
    bool ts_out;
    uint32_t meta_len;
    uint8_t *buf;
    size_t cap, start, end;
    uint64_t offset;        //  stream offset of buf[start]
    dbn_metadata_t meta;
    bool have_meta;
    dbn_record_t rec;
    char error[256];
    uint64_t records, skipped;
    uint64_t rtype_counts[256];
    bool pb_dirty;          //  rec.mbp levels may hold consolidated publisher ids
    uint16_t sizes[256];    //  layout size per rtype for `version` (0 = unknown): one load per record
    uint8_t logged_unknown[32];
    slot_t *slots;          //  instrument_id -> symbol (open addressing)
    size_t slot_cap, slot_used;
};

static int
s_fail(dbn_decoder_t *self, uint64_t offset, const char *fmt, ...)
{
    char what[200];
    va_list args;
    va_start(args, fmt);
    vsnprintf(what, sizeof(what), fmt, args);
    va_end(args);
    snprintf(self->error, sizeof(self->error), "DBN: %s at byte offset %" PRIu64, what, offset);
    self->state = ST_ERROR;
    return -1;
}

static uint64_t
s_le(const uint8_t *p, int width)
{
    uint64_t v = 0;
    for (int i = width - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void
s_cache_sizes(dbn_decoder_t *self)
{
    for (int r = 0; r < 256; r++)
        self->sizes[r] = (uint16_t) dbn_rtype_size((uint8_t) r, self->version);
}

dbn_decoder_t *
dbn_decoder_new(void)
{
    dbn_decoder_t *self = calloc(1, sizeof(*self));
    if (self)
        self->state = ST_PRELUDE;
    return self;
}

dbn_decoder_t *
dbn_decoder_new_fragment(uint8_t version, bool ts_out)
{
    dbn_decoder_t *self = dbn_decoder_new();
    if (!self)
        return NULL;
    self->fragment = true;
    self->ts_out = ts_out;
    self->version = version;
    self->state = ST_RECORDS;
    s_cache_sizes(self);
    if (version < 1 || version > DBN_VERSION_MAX)
        s_fail(self, 0, "unsupported DBN version %u for a fragment (1..%d)", version,
               DBN_VERSION_MAX);
    return self;
}

static void
s_slots_free(dbn_decoder_t *self)
{
    for (size_t i = 0; i < self->slot_cap; i++)
        free(self->slots[i].value);
    free(self->slots);
    self->slots = NULL;
    self->slot_cap = self->slot_used = 0;
}

void
dbn_decoder_destroy(dbn_decoder_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dbn_decoder_t *self = *self_p;
    dbn_metadata_free(&self->meta);
    s_slots_free(self);
    free(self->buf);
    free(self);
    *self_p = NULL;
}

//  --- symbol map ------------------------------------------------------------

static size_t
s_hash(uint32_t key, size_t cap)
{
    return (size_t) ((key * 2654435761u) & (cap - 1));
}

static void
s_symbol_set(dbn_decoder_t *self, uint32_t key, const char *symbol)
{
    if (!symbol || !*symbol)
        return;
    if ((self->slot_used + 1) * 10 >= self->slot_cap * 7) {
        size_t ncap = self->slot_cap ? self->slot_cap * 2 : 64;
        slot_t *nslots = calloc(ncap, sizeof(slot_t));
        if (!nslots)
            return;             //  out of memory: the symbol stays unknown
        for (size_t i = 0; i < self->slot_cap; i++) {
            if (!self->slots[i].value)
                continue;
            size_t j = s_hash(self->slots[i].key, ncap);
            while (nslots[j].value)
                j = (j + 1) & (ncap - 1);
            nslots[j] = self->slots[i];
        }
        free(self->slots);
        self->slots = nslots;
        self->slot_cap = ncap;
    }
    size_t j = s_hash(key, self->slot_cap);
    while (self->slots[j].value && self->slots[j].key != key)
        j = (j + 1) & (self->slot_cap - 1);
    if (self->slots[j].value) {
        if (strcmp(self->slots[j].value, symbol) == 0)
            return;
        free(self->slots[j].value);
    }
    else
        self->slot_used++;
    self->slots[j].key = key;
    self->slots[j].value = strdup(symbol);
    if (!self->slots[j].value)
        self->slot_used--;
}

const char *
dbn_decoder_symbol(dbn_decoder_t *self, uint32_t instrument_id)
{
    if (!self || !self->slot_cap)
        return NULL;
    size_t j = s_hash(instrument_id, self->slot_cap);
    while (self->slots[j].value) {
        if (self->slots[j].key == instrument_id)
            return self->slots[j].value;
        j = (j + 1) & (self->slot_cap - 1);
    }
    return NULL;
}

//  A whole decimal number (an instrument id as text)?
static bool
s_parse_id(const char *text, uint32_t *id)
{
    if (!text || !*text)
        return false;
    uint64_t v = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (uint64_t) (*p - '0');
        if (v > UINT32_MAX)
            return false;
    }
    *id = (uint32_t) v;
    return true;
}

//  Metadata mappings pair a requested symbol with the output symbol per date
//  range; for GLBX the output is the instrument id as text (spec §2.2). The
//  date ranges are not kept: the last mapping of an id wins (documented).
static void
s_symbols_from_metadata(dbn_decoder_t *self)
{
    for (uint32_t i = 0; i < self->meta.mapping_count; i++) {
        dbn_mapping_t *m = &self->meta.mappings[i];
        for (uint32_t j = 0; j < m->interval_count; j++) {
            uint32_t id;
            if (s_parse_id(m->intervals[j].symbol, &id))
                s_symbol_set(self, id, m->raw_symbol);
            else if (s_parse_id(m->raw_symbol, &id))
                s_symbol_set(self, id, m->intervals[j].symbol);
        }
    }
}

//  --- buffer ----------------------------------------------------------------

void *
dbn_decoder_reserve(dbn_decoder_t *self, size_t len)
{
    if (self->cap - self->end >= len)
        return self->buf + self->end;
    if (self->start > 0) {      //  compact: whole records have been consumed
        memmove(self->buf, self->buf + self->start, self->end - self->start);
        self->end -= self->start;
        self->start = 0;
        if (self->cap - self->end >= len)
            return self->buf + self->end;
    }
    size_t ncap = self->cap ? self->cap : 4096;
    while (ncap - self->end < len) {
        if (ncap > SIZE_MAX / 2)
            return NULL;
        ncap *= 2;
    }
    uint8_t *nbuf = realloc(self->buf, ncap);
    if (!nbuf)
        return NULL;
    self->buf = nbuf;
    self->cap = ncap;
    return self->buf + self->end;
}

void
dbn_decoder_commit(dbn_decoder_t *self, size_t len)
{
    if (len <= self->cap - self->end)
        self->end += len;
}

int
dbn_decoder_feed(dbn_decoder_t *self, const void *data, size_t len)
{
    if (!self || self->state == ST_ERROR)
        return -1;
    if (len == 0)
        return 0;
    void *dst = dbn_decoder_reserve(self, len);
    if (!dst)
        return s_fail(self, self->offset + (self->end - self->start), "out of memory buffering %zu bytes", len);
    memcpy(dst, data, len);
    dbn_decoder_commit(self, len);
    return 0;
}

//  --- prelude and metadata ------------------------------------------------

static int
s_prelude(dbn_decoder_t *self)
{
    size_t avail = self->end - self->start;
    const uint8_t *p = self->buf + self->start;
    if (avail >= 4) {
        uint32_t magic = (uint32_t) s_le(p, 4);
        if ((magic & SKIPPABLE_MASK) == SKIPPABLE_MAGIC)
            return s_fail(self, 0, "legacy DBZ format (zstd skippable frame) is unsupported; "
                          "re-encode as DBN");
        if (magic == ZSTD_MAGIC)
            return s_fail(self, 0, "input is zstd-compressed; decompress it first (dbn_file does)");
    }
    if (avail < 3)
        return 0;
    if (memcmp(p, "DBZ", 3) == 0)
        return s_fail(self, 0, "legacy DBZ format is unsupported; re-encode as DBN");
    if (memcmp(p, "DBN", 3) != 0)
        return s_fail(self, 0, "not a DBN stream (bad magic %02x %02x %02x, expected \"DBN\")",
                      p[0], p[1], p[2]);
    if (avail < PRELUDE_LEN)
        return 0;
    uint8_t version = p[3];
    if (version == 0)
        return s_fail(self, 3, "DBN version 0 is legacy DBZ, unsupported");
    if (version > DBN_VERSION_MAX)
        return s_fail(self, 3, "can't decode newer DBN version %u (max %d)", version, DBN_VERSION_MAX);
    uint32_t length = (uint32_t) s_le(p + 4, 4);
    if (length < METADATA_FIXED + 4)
        return s_fail(self, 4, "metadata length %u shorter than the fixed part (%d)", length,
                      METADATA_FIXED + 4);
    if (length > METADATA_MAX)
        return s_fail(self, 4, "metadata length %u is absurd (limit %u)", length, METADATA_MAX);
    self->version = version;
    self->meta_len = length;
    s_cache_sizes(self);
    self->state = ST_METADATA;
    return 1;
}

typedef struct {
    dbn_decoder_t *self;
    const uint8_t *p;
    size_t len, pos;
} cursor_t;

//  File offset of the cursor position (metadata starts after the prelude).
#define CUR_OFF(c) ((uint64_t) PRELUDE_LEN + (c)->pos)

static bool
s_need(cursor_t *c, size_t n, const char *what)
{
    if (c->len - c->pos >= n)
        return true;
    s_fail(c->self, CUR_OFF(c), "metadata truncated reading %s (need %zu bytes, %zu left)", what,
           n, c->len - c->pos);
    return false;
}

static bool
s_u32(cursor_t *c, uint32_t *v, const char *what)
{
    if (!s_need(c, 4, what))
        return false;
    *v = (uint32_t) s_le(c->p + c->pos, 4);
    c->pos += 4;
    return true;
}

static char *
s_cstr(const uint8_t *p, size_t width)
{
    size_t n = strnlen((const char *) p, width);
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = 0;
    }
    return s;
}

static bool
s_str(cursor_t *c, char **out, const char *what)
{
    size_t width = c->self->meta.symbol_cstr_len;
    if (!s_need(c, width, what))
        return false;
    *out = s_cstr(c->p + c->pos, width);
    c->pos += width;
    if (!*out) {
        s_fail(c->self, CUR_OFF(c), "out of memory");
        return false;
    }
    return true;
}

static bool
s_str_list(cursor_t *c, char ***list, uint32_t *count, const char *what)
{
    uint32_t n;
    if (!s_u32(c, &n, what))
        return false;
    //  Check the count against the bytes really there before allocating.
    if ((uint64_t) n * c->self->meta.symbol_cstr_len > c->len - c->pos) {
        s_fail(c->self, CUR_OFF(c) - 4, "metadata %s count %u exceeds the metadata length", what, n);
        return false;
    }
    *list = calloc(n ? n : 1, sizeof(char *));
    if (!*list) {
        s_fail(c->self, CUR_OFF(c), "out of memory");
        return false;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (!s_str(c, &(*list)[i], what))
            return false;
        *count = i + 1;
    }
    return true;
}

static bool
s_mappings(cursor_t *c)
{
    dbn_metadata_t *m = &c->self->meta;
    uint32_t n;
    size_t width = m->symbol_cstr_len;
    if (!s_u32(c, &n, "mappings count"))
        return false;
    if ((uint64_t) n * (width + 4) > c->len - c->pos) {
        s_fail(c->self, CUR_OFF(c) - 4, "metadata mappings count %u exceeds the metadata length", n);
        return false;
    }
    m->mappings = calloc(n ? n : 1, sizeof(dbn_mapping_t));
    if (!m->mappings) {
        s_fail(c->self, CUR_OFF(c), "out of memory");
        return false;
    }
    for (uint32_t i = 0; i < n; i++) {
        dbn_mapping_t *map = &m->mappings[i];
        m->mapping_count = i + 1;
        uint32_t k;
        if (!s_str(c, &map->raw_symbol, "mapping raw_symbol") || !s_u32(c, &k, "interval count"))
            return false;
        if ((uint64_t) k * (width + 8) > c->len - c->pos) {
            s_fail(c->self, CUR_OFF(c) - 4, "metadata interval count %u exceeds the metadata length", k);
            return false;
        }
        map->intervals = calloc(k ? k : 1, sizeof(dbn_interval_t));
        if (!map->intervals) {
            s_fail(c->self, CUR_OFF(c), "out of memory");
            return false;
        }
        for (uint32_t j = 0; j < k; j++) {
            dbn_interval_t *iv = &map->intervals[j];
            map->interval_count = j + 1;
            if (!s_u32(c, &iv->start_date, "interval start_date")
                || !s_u32(c, &iv->end_date, "interval end_date")
                || !s_str(c, &iv->symbol, "interval symbol"))
                return false;
        }
    }
    return true;
}

//  Layout: spec §2.1 (fixed part) and §2.2 (variable part).
static int
s_metadata(dbn_decoder_t *self)
{
    if (self->end - self->start < (size_t) PRELUDE_LEN + self->meta_len)
        return 0;
    const uint8_t *p = self->buf + self->start + PRELUDE_LEN;
    dbn_metadata_t *m = &self->meta;
    m->version = self->version;
    m->length = self->meta_len;
    memcpy(m->dataset, p, 16);
    m->dataset[16] = 0;
    m->schema = (uint16_t) s_le(p + 16, 2);
    m->start = s_le(p + 18, 8);
    m->end = s_le(p + 26, 8);
    m->limit = s_le(p + 34, 8);
    size_t at = 42;
    if (self->version == 1) {
        m->record_count_v1 = s_le(p + at, 8);   //  deprecated, never used (spec §6.2)
        at += 8;
    }
    m->stype_in = p[at];
    m->stype_out = p[at + 1];
    m->ts_out = p[at + 2] != 0;
    m->symbol_cstr_len = self->version == 1 ? 22 : (uint16_t) s_le(p + at + 3, 2);
    if (m->symbol_cstr_len == 0)
        return s_fail(self, PRELUDE_LEN + at + 3, "metadata symbol_cstr_len is 0");
    uint32_t schema_def_len = (uint32_t) s_le(p + METADATA_FIXED, 4);
    if (schema_def_len != 0)
        return s_fail(self, PRELUDE_LEN + METADATA_FIXED,
                      "metadata has a schema definition (%u bytes), unsupported", schema_def_len);
    cursor_t c = { self, p, self->meta_len, METADATA_FIXED + 4 };
    if (!s_str_list(&c, &m->symbols, &m->symbol_count, "symbols")
        || !s_str_list(&c, &m->partial, &m->partial_count, "partial")
        || !s_str_list(&c, &m->not_found, &m->not_found_count, "not_found")
        || !s_mappings(&c))
        return -1;
    //  Whatever is left is v3 end padding (or slack): skipped, not an error.
    self->ts_out = m->ts_out;
    self->have_meta = true;
    self->start += PRELUDE_LEN + self->meta_len;
    self->offset += PRELUDE_LEN + self->meta_len;
    self->state = ST_RECORDS;
    s_symbols_from_metadata(self);
    return 1;
}

//  --- records -------------------------------------------------------------

//  Version-dependent layouts have distinct sizes (spec §6.5); like dbn's
//  upgrade_record_detect_version, trust an exact size match over the
//  declared version (fragments of another version, mixed files).
static uint8_t
s_layout_version(uint8_t rtype, size_t body, uint8_t declared)
{
    if (dbn_rtype_size(rtype, declared) == body)
        return declared;
    for (uint8_t v = 1; v <= DBN_VERSION_MAX; v++)
        if (dbn_rtype_size(rtype, v) == body)
            return v;
    return declared;
}

static void
s_note_symbols(dbn_decoder_t *self, const dbn_record_t *rec)
{
    if (rec->kind == DBN_KIND_SYMBOL_MAPPING)
        s_symbol_set(self, rec->instrument_id, rec->mapping.stype_out_symbol);
    else if (rec->kind == DBN_KIND_DEF)
        s_symbol_set(self, rec->instrument_id, rec->def.raw_symbol);
}

static void
s_log_unknown(dbn_decoder_t *self, uint8_t rtype, size_t len)
{
    if (self->logged_unknown[rtype / 8] & (1u << (rtype % 8)))
        return;
    self->logged_unknown[rtype / 8] |= (uint8_t) (1u << (rtype % 8));
    log_warn("dbn: skipping unknown rtype 0x%02x (%zu bytes) at byte offset %" PRIu64
             " (further ones counted, not logged)", rtype, len, self->offset);
}

//  Wire size of the hot rtypes (same in every version), 0 for the rest.
static const uint16_t s_hot_len[256] = {
    [DBN_RTYPE_MBP0] = 48, [DBN_RTYPE_MBP1] = 80, [DBN_RTYPE_MBP10] = 368
};

static int
s_record(dbn_decoder_t *self, const dbn_record_t **out)
{
    for (;;) {
        size_t avail = self->end - self->start;
        if (avail == 0)
            return 0;
        const uint8_t *p = self->buf + self->start;
        size_t len = (size_t) p[0] * 4;
        size_t min = 16 + (self->ts_out ? 8 : 0);
        if (len < min)
            return s_fail(self, self->offset, "invalid record length %zu bytes (length byte %u, "
                          "minimum %zu)", len, p[0], min);
        if (avail < len)
            return 0;
        uint8_t rtype = p[1];
        self->rtype_counts[rtype]++;
        //  Hot path: trades / MBP-1 / MBP-10 of exactly their size; each case
        //  inlines the decode with a constant level count.
        if (!self->ts_out && len == s_hot_len[rtype]) {
            dbn_record_t *rec = &self->rec;
            bool clear = self->pb_dirty;
            switch (rtype) {
            case DBN_RTYPE_MBP0: dbn_hot_decode(rec, p, 0, clear); break;
            case DBN_RTYPE_MBP1: dbn_hot_decode(rec, p, 1, clear); break;
            default: dbn_hot_decode(rec, p, 10, clear); break;
            }
            if (rtype == DBN_RTYPE_MBP10)
                self->pb_dirty = false;     //  all ten levels cleared now
            rec->length = (uint16_t) len;
            rec->ts_out = DBN_UNDEF_TIMESTAMP;
            self->start += len;
            self->offset += len;
            self->records++;
            *out = rec;
            return 1;
        }
        size_t body = len - (self->ts_out ? 8 : 0);
        size_t need = self->sizes[rtype];
        if (need == 0) {
            s_log_unknown(self, rtype, len);
            self->skipped++;
            self->start += len;
            self->offset += len;
            continue;
        }
        uint8_t version = self->version;
        if (body != need) {
            version = s_layout_version(rtype, body, version);
            need = dbn_rtype_size(rtype, version);
        }
        if (body < need)
            return s_fail(self, self->offset, "record rtype 0x%02x (%s) is %zu bytes, shorter than "
                          "its DBN v%u layout (%zu bytes); wrong version or ts_out?", rtype,
                          dbn_rtype_name(rtype), body, version, need);
        dbn_record_t *rec = &self->rec;
        if (dbn_record_decode(rec, p, body, version) != 0)
            return s_fail(self, self->offset, "cannot decode record rtype 0x%02x", rtype);
        rec->length = (uint16_t) len;
        rec->ts_out = self->ts_out ? s_le(p + len - 8, 8) : DBN_UNDEF_TIMESTAMP;
        if (rec->kind == DBN_KIND_SYMBOL_MAPPING || rec->kind == DBN_KIND_DEF)
            s_note_symbols(self, rec);
        if (rec->kind != DBN_KIND_MBP || rec->mbp.level_count != 10)
            self->pb_dirty = true;      //  generic decode may have set pb, or not cleared all levels
        self->start += len;
        self->offset += len;
        self->records++;
        *out = rec;
        return 1;
    }
}

int
dbn_decoder_next(dbn_decoder_t *self, const dbn_record_t **rec)
{
    if (!self)
        return -1;
    int rc;
    switch (self->state) {
    case ST_PRELUDE:
        rc = s_prelude(self);
        if (rc <= 0)
            return rc;
        //  fall through
    case ST_METADATA:
        rc = s_metadata(self);
        if (rc <= 0)
            return rc;
        //  fall through
    case ST_RECORDS:
        return s_record(self, rec);
    default:
        return -1;
    }
}

int
dbn_decoder_read_metadata(dbn_decoder_t *self)
{
    if (!self)
        return -1;
    int rc;
    switch (self->state) {
    case ST_PRELUDE:
        rc = s_prelude(self);
        if (rc <= 0)
            return rc;
        //  fall through
    case ST_METADATA:
        return s_metadata(self);
    case ST_RECORDS:
        return 1;
    default:
        return -1;
    }
}

const dbn_metadata_t *
dbn_decoder_metadata(dbn_decoder_t *self)
{
    return self && self->have_meta ? &self->meta : NULL;
}

uint8_t
dbn_decoder_version(dbn_decoder_t *self)
{
    return self ? self->version : 0;
}

const char *
dbn_decoder_error(dbn_decoder_t *self)
{
    return self && self->error[0] ? self->error : NULL;
}

uint64_t
dbn_decoder_offset(dbn_decoder_t *self)
{
    return self ? self->offset : 0;
}

int
dbn_decoder_finish(dbn_decoder_t *self)
{
    if (!self || self->state == ST_ERROR)
        return -1;
    size_t left = self->end - self->start;
    switch (self->state) {
    case ST_PRELUDE:
        if (left == 0)
            return s_fail(self, 0, "empty input: no DBN metadata");
        return s_fail(self, 0, "truncated: %zu bytes, not even a complete DBN prelude", left);
    case ST_METADATA:
        return s_fail(self, self->offset + left, "truncated metadata: %zu of %u bytes present",
                      left, PRELUDE_LEN + self->meta_len);
    default:
        if (left == 0)
            return 0;
        return s_fail(self, self->offset, "truncated record: %zu of %u bytes present (rtype 0x%02x)",
                      left, self->buf[self->start] * 4u,
                      left > 1 ? self->buf[self->start + 1] : 0);
    }
}

uint64_t
dbn_decoder_records(dbn_decoder_t *self)
{
    return self ? self->records : 0;
}

uint64_t
dbn_decoder_skipped(dbn_decoder_t *self)
{
    return self ? self->skipped : 0;
}

uint64_t
dbn_decoder_rtype_count(dbn_decoder_t *self, uint8_t rtype)
{
    return self ? self->rtype_counts[rtype] : 0;
}
