/*  rec_seqs - see rec_seqs.h.                                            */
#include "rec_seqs.h"
#include <czmq.h>

static bool
s_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        v |= (uint64_t) (b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

//  Skip one field of wire type wt; false on malformed bytes.
static bool
s_skip(const uint8_t **p, const uint8_t *end, unsigned wt)
{
    uint64_t v;
    switch (wt) {
    case 0: return s_varint(p, end, &v);
    case 1: if (end - *p < 8) return false; *p += 8; return true;
    case 5: if (end - *p < 4) return false; *p += 4; return true;
    case 2:
        if (!s_varint(p, end, &v) || v > (uint64_t) (end - *p))
            return false;
        *p += v;
        return true;
    default: return false;
    }
}

static bool
s_header(const uint8_t *p, const uint8_t *end, rec_header_t *out)
{
    while (p < end) {
        uint64_t key, v;
        if (!s_varint(&p, end, &key))
            return false;
        unsigned field = (unsigned) (key >> 3), wt = (unsigned) (key & 7);
        if (field == 1 && wt == 2) {
            if (!s_varint(&p, end, &v) || v > (uint64_t) (end - p))
                return false;
            size_t n = v < sizeof out->source - 1 ? (size_t) v : sizeof out->source - 1;
            memcpy(out->source, p, n);
            out->source[n] = '\0';
            p += v;
        }
        else if (field >= 2 && field <= 7 && wt == 0) {
            if (!s_varint(&p, end, &v))
                return false;
            switch (field) {
            case 2: out->seq = v; break;
            case 3: out->epoch = v; break;
            case 4: out->ts_event = (int64_t) v; break;
            case 5: out->ts_recv = (int64_t) v; break;
            case 6: out->ts_publish = (int64_t) v; break;
            default: out->topic_seq = v; break;
            }
        }
        else if (!s_skip(&p, end, wt))
            return false;
    }
    return true;
}

bool
rec_parse_header(const uint8_t *data, size_t size, rec_header_t *out)
{
    memset(out, 0, sizeof *out);
    const uint8_t *p = data, *end = data + size;
    while (p < end) {
        uint64_t key, len;
        if (!s_varint(&p, end, &key))
            return false;
        if (key == ((1 << 3) | 2)) {
            if (!s_varint(&p, end, &len) || len > (uint64_t) (end - p))
                return false;
            return s_header(p, p + len, out) && out->source[0];
        }
        if (!s_skip(&p, end, (unsigned) (key & 7)))
            return false;
    }
    return false;
}

typedef struct {
    uint64_t epoch, last;
} s_stream_t;

struct _rec_seqs_t {
    zhashx_t *streams;
    uint64_t missing;
};

static void
s_free(void **item)
{
    free(*item);
    *item = NULL;
}

rec_seqs_t *
rec_seqs_new(void)
{
    rec_seqs_t *self = calloc(1, sizeof *self);
    self->streams = zhashx_new();
    zhashx_set_destructor(self->streams, s_free);
    return self;
}

void
rec_seqs_destroy(rec_seqs_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zhashx_destroy(&(*self_p)->streams);
    free(*self_p);
    *self_p = NULL;
}

uint64_t
rec_seqs_check(rec_seqs_t *self, const char *topic, const rec_header_t *hdr, uint64_t *first_missing)
{
    char key[384];                      //  source US topic; by hand: this runs for every message
    size_t slen = strnlen(hdr->source, sizeof hdr->source), tlen = strnlen(topic, sizeof key - slen - 2);
    memcpy(key, hdr->source, slen);
    key[slen] = '\x1f';
    memcpy(key + slen + 1, topic, tlen);
    key[slen + 1 + tlen] = '\0';
    s_stream_t *s = zhashx_lookup(self->streams, key);
    if (!s) {
        s = calloc(1, sizeof *s);
        s->epoch = hdr->epoch;
        s->last = hdr->topic_seq;
        zhashx_insert(self->streams, key, s);
        return 0;
    }
    if (s->epoch != hdr->epoch) {       //  the publisher restarted: seq began again
        s->epoch = hdr->epoch;
        s->last = hdr->topic_seq;
        return 0;
    }
    uint64_t missing = 0;
    if (hdr->topic_seq > s->last + 1) {
        missing = hdr->topic_seq - s->last - 1;
        *first_missing = s->last + 1;
        self->missing += missing;
    }
    if (hdr->topic_seq > s->last)
        s->last = hdr->topic_seq;
    return missing;
}

uint64_t rec_seqs_missing(rec_seqs_t *self) { return self->missing; }
