/*  ofts_fastpb - see ofts_fastpb.h. One pass over the wire bytes, each
    field by a small table (its kind and where it goes in the struct); the
    structs are linked as soon as they are allocated and initialised, so a
    message given up half way is freed by protobuf-c's own free_unpacked.  */
#include "ofts_fastpb.h"
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LEVELS 64

enum { K_NONE, K_STR, K_V64, K_V32, K_LEVELS };

typedef struct {
    uint8_t kind;
    uint16_t offset;
} s_field_t;

#define F(kind, type, member) { kind, offsetof(type, member) }

//  Indexed by field number (ofts.proto); all below 32 (the seen mask).
static const s_field_t s_header[] = {
    [1] = F(K_STR, Ofts__Header, source),    [2] = F(K_V64, Ofts__Header, seq),
    [3] = F(K_V64, Ofts__Header, epoch),     [4] = F(K_V64, Ofts__Header, ts_event),
    [5] = F(K_V64, Ofts__Header, ts_recv),   [6] = F(K_V64, Ofts__Header, ts_publish),
    [7] = F(K_V64, Ofts__Header, topic_seq), [8] = F(K_V64, Ofts__Header, md_seq),
    [9] = F(K_V64, Ofts__Header, exec_seq),
};
static const s_field_t s_trade[] = {
    [1] = F(K_STR, Ofts__Trade, symbol),        [2] = F(K_STR, Ofts__Trade, contract),
    [3] = F(K_V32, Ofts__Trade, instrument_id), [4] = F(K_V64, Ofts__Trade, price),
    [5] = F(K_V32, Ofts__Trade, size),          [6] = F(K_V32, Ofts__Trade, aggressor),
    [7] = F(K_V32, Ofts__Trade, flags),         [8] = F(K_V32, Ofts__Trade, exchange_seq),
};
static const s_field_t s_bbo[] = {
    [1] = F(K_STR, Ofts__TopOfBook, symbol),        [2] = F(K_STR, Ofts__TopOfBook, contract),
    [3] = F(K_V32, Ofts__TopOfBook, instrument_id), [4] = F(K_V64, Ofts__TopOfBook, bid_px),
    [5] = F(K_V64, Ofts__TopOfBook, ask_px),        [6] = F(K_V32, Ofts__TopOfBook, bid_sz),
    [7] = F(K_V32, Ofts__TopOfBook, ask_sz),        [8] = F(K_V32, Ofts__TopOfBook, bid_ct),
    [9] = F(K_V32, Ofts__TopOfBook, ask_ct),
};
static const s_field_t s_depth[] = {
    [1] = F(K_STR, Ofts__Depth, symbol),        [2] = F(K_STR, Ofts__Depth, contract),
    [3] = F(K_V32, Ofts__Depth, instrument_id), [4] = F(K_LEVELS, Ofts__Depth, levels),
};
static const s_field_t s_level[] = {
    [1] = F(K_V64, Ofts__Level, bid_px), [2] = F(K_V64, Ofts__Level, ask_px),
    [3] = F(K_V32, Ofts__Level, bid_sz), [4] = F(K_V32, Ofts__Level, ask_sz),
    [5] = F(K_V32, Ofts__Level, bid_ct), [6] = F(K_V32, Ofts__Level, ask_ct),
};

#define N(table) (sizeof(table) / sizeof(table)[0])

typedef struct {
    const uint8_t *p, *end;
} s_rd_t;

//  As protobuf-c: at most 10 bytes, bits past 64 dropped.
static bool
s_varint(s_rd_t *r, uint64_t *v)
{
    uint64_t x = 0;
    for (int i = 0; i < 10 && r->p < r->end; i++) {
        uint8_t b = *r->p++;
        x |= (uint64_t) (b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

//  A length-delimited field's bytes.
static bool
s_bytes(s_rd_t *r, s_rd_t *sub)
{
    uint64_t len;
    if (!s_varint(r, &len) || len > (uint64_t) (r->end - r->p))
        return false;
    *sub = (s_rd_t) { r->p, r->p + len };
    r->p += len;
    return true;
}

//  Past one field's value of wire type wt (for counting the levels).
static bool
s_skip(s_rd_t *r, unsigned wt)
{
    uint64_t v;
    s_rd_t sub;
    size_t fixed = wt == 1 ? 8 : wt == 5 ? 4 : 0;
    if (wt == 0)
        return s_varint(r, &v);
    if (wt == 2)
        return s_bytes(r, &sub);
    if (!fixed || fixed > (size_t) (r->end - r->p))
        return false;
    r->p += fixed;
    return true;
}

static bool
s_key(s_rd_t *r, uint64_t *num, unsigned *wt)
{
    uint64_t key;
    if (!s_varint(r, &key))
        return false;
    *num = key >> 3;
    *wt = (unsigned) (key & 7);
    return true;
}

static void *
s_alloc(ProtobufCAllocator *alloc, size_t size)
{
    return alloc ? alloc->alloc(alloc->allocator_data, size) : malloc(size);
}

//  Plain ASCII only: whatever protobuf-c makes of other bytes, it decides.
static bool
s_ascii(const s_rd_t *s)
{
    for (const uint8_t *p = s->p; p < s->end; p++)
        if (*p & 0x80)
            return false;
    return true;
}

static bool s_message(s_rd_t r, void *msg, const s_field_t *table, size_t n, ProtobufCAllocator *alloc);

static bool
s_string(s_rd_t *r, char **at, ProtobufCAllocator *alloc)
{
    s_rd_t s;
    if (!s_bytes(r, &s) || !s_ascii(&s))
        return false;
    size_t len = (size_t) (s.end - s.p);
    char *str = s_alloc(alloc, len + 1);
    if (!str)
        return false;
    memcpy(str, s.p, len);
    str[len] = '\0';
    *at = str;
    return true;
}

//  One more level of a Depth whose levels array was sized by s_levels_array.
static bool
s_level_add(s_rd_t *r, Ofts__Depth *d, ProtobufCAllocator *alloc)
{
    s_rd_t sub;
    if (!s_bytes(r, &sub) || !d->levels)
        return false;
    Ofts__Level *lv = s_alloc(alloc, sizeof *lv);
    if (!lv)
        return false;
    ofts__level__init(lv);
    d->levels[d->n_levels++] = lv;
    return s_message(sub, lv, s_level, N(s_level), alloc);
}

static bool
s_message(s_rd_t r, void *msg, const s_field_t *table, size_t n, ProtobufCAllocator *alloc)
{
    uint32_t seen = 0;
    while (r.p < r.end) {
        uint64_t num, v;
        unsigned wt;
        if (!s_key(&r, &num, &wt) || num == 0 || num >= n || table[num].kind == K_NONE)
            return false;
        const s_field_t *f = &table[num];
        if (f->kind != K_LEVELS && (seen & (1u << num)))
            return false;           //  twice: protobuf-c's rules (last wins, merge) are not ours to copy
        seen |= 1u << num;
        char *at = (char *) msg + f->offset;
        bool ok;
        if (f->kind == K_STR)
            ok = wt == 2 && s_string(&r, (char **) (void *) at, alloc);
        else if (f->kind == K_LEVELS)
            ok = wt == 2 && s_level_add(&r, msg, alloc);
        else if ((ok = wt == 0 && s_varint(&r, &v)) && f->kind == K_V64)
            memcpy(at, &v, sizeof v);
        else if (ok) {
            uint32_t x = (uint32_t) v;      //  as protobuf-c: the low 32 bits
            memcpy(at, &x, sizeof x);
        }
        if (!ok)
            return false;
    }
    return true;
}

//  The levels array of a Depth body, sized by counting field 4 first.
static bool
s_levels_array(s_rd_t r, Ofts__Depth *d, ProtobufCAllocator *alloc)
{
    size_t count = 0;
    while (r.p < r.end) {
        uint64_t num;
        unsigned wt;
        if (!s_key(&r, &num, &wt) || !s_skip(&r, wt))
            return false;
        count += num == 4;
    }
    if (count > MAX_LEVELS)
        return false;
    if (count) {
        d->levels = s_alloc(alloc, count * sizeof *d->levels);
        if (!d->levels)
            return false;
    }
    return true;
}

//  The body of field num into env (allocated, initialised, linked), then
//  its fields.
static bool
s_body(Ofts__Envelope *env, uint64_t num, s_rd_t sub, ProtobufCAllocator *alloc)
{
    if (env->body_case != OFTS__ENVELOPE__BODY__NOT_SET)
        return false;
    if (num == OFTS__ENVELOPE__BODY_TRADE) {
        Ofts__Trade *t = s_alloc(alloc, sizeof *t);
        if (!t)
            return false;
        ofts__trade__init(t);
        env->trade = t;
        env->body_case = OFTS__ENVELOPE__BODY_TRADE;
        return s_message(sub, t, s_trade, N(s_trade), alloc);
    }
    if (num == OFTS__ENVELOPE__BODY_BBO) {
        Ofts__TopOfBook *b = s_alloc(alloc, sizeof *b);
        if (!b)
            return false;
        ofts__top_of_book__init(b);
        env->bbo = b;
        env->body_case = OFTS__ENVELOPE__BODY_BBO;
        return s_message(sub, b, s_bbo, N(s_bbo), alloc);
    }
    if (num == OFTS__ENVELOPE__BODY_DEPTH) {
        Ofts__Depth *d = s_alloc(alloc, sizeof *d);
        if (!d)
            return false;
        ofts__depth__init(d);
        env->depth = d;
        env->body_case = OFTS__ENVELOPE__BODY_DEPTH;
        return s_levels_array(sub, d, alloc) && s_message(sub, d, s_depth, N(s_depth), alloc);
    }
    return false;
}

Ofts__Envelope *
ofts_fastpb_envelope(ProtobufCAllocator *alloc, size_t size, const uint8_t *data)
{
    Ofts__Envelope *env = s_alloc(alloc, sizeof *env);
    if (!env)
        return NULL;
    ofts__envelope__init(env);
    s_rd_t r = { data, data + size }, sub;
    bool ok = true;
    while (ok && r.p < r.end) {
        uint64_t num;
        unsigned wt;
        ok = s_key(&r, &num, &wt) && wt == 2 && s_bytes(&r, &sub);
        if (ok && num == 1) {
            ok = !env->header && (env->header = s_alloc(alloc, sizeof *env->header));
            if (ok) {
                ofts__header__init(env->header);
                ok = s_message(sub, env->header, s_header, N(s_header), alloc);
            }
        }
        else if (ok)
            ok = s_body(env, num, sub, alloc);
    }
    if (!ok) {
        ofts__envelope__free_unpacked(env, alloc);
        return NULL;
    }
    return env;
}
