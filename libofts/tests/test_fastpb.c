/*  ofts_fastpb: the md bodies decoded as protobuf-c decodes them. Random
    trades, books and tops of book (negative and extreme prices, absent
    fields, 0 to 12 levels) packed by protobuf-c come back field for field
    (re-packed: the same bytes) and free with protobuf-c's free_unpacked,
    malloc'd or through an allocator (every allocation freed once); what it
    does not handle - another body, an unknown field, a field twice, a wrong
    wire type, non-ASCII text, too many levels - it leaves to protobuf-c
    (NULL, nothing leaked); and on every prefix and 3000 random corruptions
    of real messages it either gives up or agrees with protobuf-c.       */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ofts_fastpb.h"

typedef struct {
    size_t allocs, frees;
} s_count_t;

static void *
s_count_alloc(void *data, size_t size)
{
    ((s_count_t *) data)->allocs++;
    return malloc(size);
}

static void
s_count_free(void *data, void *p)
{
    if (p)
        ((s_count_t *) data)->frees++;
    free(p);
}

static uint64_t
s_rand(unsigned *seed)
{
    return ((uint64_t) rand_r(seed) << 33) ^ ((uint64_t) rand_r(seed) << 11) ^ (uint64_t) rand_r(seed);
}

//  A value that is often 0 (absent on the wire), sometimes extreme.
static int64_t
s_value(unsigned *seed)
{
    switch (rand_r(seed) % 6) {
    case 0: return 0;
    case 1: return INT64_MAX;
    case 2: return -(int64_t) (s_rand(seed) % 5000000000000LL);
    case 3: return (int64_t) s_rand(seed);
    default: return (int64_t) (s_rand(seed) % 5000000000000LL);
    }
}

static char *
s_text(unsigned *seed, char *buf)
{
    static const char *texts[] = { "", "GC", "GCZ6", "HGH7", "gateway-md", "a \"quoted\" \\ name" };
    strcpy(buf, texts[rand_r(seed) % 6]);
    return buf;
}

typedef struct {
    Ofts__Header h;
    Ofts__Trade t;
    Ofts__TopOfBook b;
    Ofts__Depth d;
    Ofts__Level lv[12], *lp[12];
    Ofts__Envelope env;
    char s[4][32];
} s_msg_t;

static void
s_random(s_msg_t *m, unsigned *seed)
{
    ofts__header__init(&m->h);
    m->h.source = s_text(seed, m->s[0]);
    m->h.seq = (uint64_t) s_value(seed);
    m->h.epoch = (uint64_t) s_value(seed);
    m->h.ts_event = s_value(seed);
    m->h.ts_recv = s_value(seed);
    m->h.ts_publish = s_value(seed);
    m->h.topic_seq = (uint64_t) s_value(seed);
    m->h.md_seq = (uint64_t) s_value(seed);
    m->h.exec_seq = (uint64_t) s_value(seed);
    ofts__envelope__init(&m->env);
    m->env.header = rand_r(seed) % 10 ? &m->h : NULL;
    int kind = rand_r(seed) % 3;
    if (kind == 0) {
        ofts__trade__init(&m->t);
        m->t.symbol = s_text(seed, m->s[1]);
        m->t.contract = s_text(seed, m->s[2]);
        m->t.instrument_id = (uint32_t) s_value(seed);
        m->t.price = s_value(seed);
        m->t.size = (uint32_t) s_value(seed);
        m->t.aggressor = rand_r(seed) % 4;
        m->t.flags = (uint32_t) s_value(seed);
        m->t.exchange_seq = (uint32_t) s_value(seed);
        m->env.body_case = OFTS__ENVELOPE__BODY_TRADE;
        m->env.trade = &m->t;
    }
    else if (kind == 1) {
        ofts__top_of_book__init(&m->b);
        m->b.symbol = s_text(seed, m->s[1]);
        m->b.contract = s_text(seed, m->s[2]);
        m->b.instrument_id = (uint32_t) s_value(seed);
        m->b.bid_px = s_value(seed);
        m->b.ask_px = s_value(seed);
        m->b.bid_sz = (uint32_t) s_value(seed);
        m->b.ask_sz = (uint32_t) s_value(seed);
        m->b.bid_ct = (uint32_t) s_value(seed);
        m->b.ask_ct = (uint32_t) s_value(seed);
        m->env.body_case = OFTS__ENVELOPE__BODY_BBO;
        m->env.bbo = &m->b;
    }
    else {
        ofts__depth__init(&m->d);
        m->d.symbol = s_text(seed, m->s[1]);
        m->d.contract = s_text(seed, m->s[2]);
        m->d.instrument_id = (uint32_t) s_value(seed);
        m->d.n_levels = (size_t) (rand_r(seed) % 13);
        for (size_t i = 0; i < m->d.n_levels; i++) {
            ofts__level__init(&m->lv[i]);
            m->lv[i].bid_px = s_value(seed);
            m->lv[i].ask_px = s_value(seed);
            m->lv[i].bid_sz = (uint32_t) s_value(seed);
            m->lv[i].ask_sz = (uint32_t) s_value(seed);
            m->lv[i].bid_ct = (uint32_t) s_value(seed);
            m->lv[i].ask_ct = (uint32_t) s_value(seed);
            m->lp[i] = &m->lv[i];
        }
        m->d.levels = m->d.n_levels ? m->lp : NULL;
        m->env.body_case = OFTS__ENVELOPE__BODY_DEPTH;
        m->env.depth = &m->d;
    }
}

static uint8_t *
s_pack(const Ofts__Envelope *env, size_t *size)
{
    *size = ofts__envelope__get_packed_size(env);
    uint8_t *buf = malloc(*size + 1);
    ofts__envelope__pack(env, buf);
    return buf;
}

//  Whenever the fast decoder answers, protobuf-c answers the same.
static void
s_agrees(const uint8_t *data, size_t size, size_t *answered)
{
    Ofts__Envelope *fast = ofts_fastpb_envelope(NULL, size, data);
    if (!fast)
        return;
    (*answered)++;
    Ofts__Envelope *pc = ofts__envelope__unpack(NULL, size, data);
    assert_non_null(pc);
    size_t n1, n2;
    uint8_t *b1 = s_pack(fast, &n1), *b2 = s_pack(pc, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(b1, b2, n1);
    free(b1);
    free(b2);
    ofts__envelope__free_unpacked(fast, NULL);
    ofts__envelope__free_unpacked(pc, NULL);
}

static void
test_same_as_protobuf_c(void **state)
{
    (void) state;
    unsigned seed = 18;
    s_count_t count = { 0, 0 };
    ProtobufCAllocator counting = { .alloc = s_count_alloc, .free = s_count_free, .allocator_data = &count };
    for (int i = 0; i < 5000; i++) {
        s_msg_t m;
        s_random(&m, &seed);
        size_t size;
        uint8_t *wire = s_pack(&m.env, &size);
        Ofts__Envelope *env = ofts_fastpb_envelope(i % 2 ? &counting : NULL, size, wire);
        assert_non_null(env);
        assert_int_equal(env->body_case, m.env.body_case);
        size_t again_size;
        uint8_t *again = s_pack(env, &again_size);
        assert_int_equal(again_size, size);
        assert_memory_equal(again, wire, size);
        if (env->body_case == OFTS__ENVELOPE__BODY_DEPTH)
            assert_int_equal(env->depth->n_levels, m.d.n_levels);
        ofts__envelope__free_unpacked(env, i % 2 ? &counting : NULL);
        free(again);
        free(wire);
    }
    assert_true(count.allocs > 10000);
    assert_int_equal(count.allocs, count.frees);
}

//  Valid protobuf it leaves to protobuf-c: NULL, nothing leaked.
static void
test_gives_up(void **state)
{
    (void) state;
    Ofts__Header h = OFTS__HEADER__INIT;
    h.source = "gateway-md";
    h.seq = 7;
    Ofts__Trade t = OFTS__TRADE__INIT;
    t.symbol = "GC";
    t.price = 2000100000000LL;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.header = &h;
    env.body_case = OFTS__ENVELOPE__BODY_TRADE;
    env.trade = &t;
    size_t size;
    uint8_t *wire = s_pack(&env, &size);
    uint8_t buf[512];
    memcpy(buf, wire, size);
    //  The trade is the last field: its length byte is at size - len - 1.
    size_t tlen = ofts__trade__get_packed_size(&t), at = size - tlen - 1;
    assert_int_equal(buf[at], tlen);
    const struct {
        const char *why;
        uint8_t extra[4];
        size_t n;
    } cases[] = {
        { "unknown field 15 (varint 1)", { 15 << 3, 1 }, 2 },
        { "price twice", { 4 << 3, 5 }, 2 },
        { "price as bytes", { (4 << 3) | 2, 1, 0 }, 3 },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        memcpy(buf, wire, size);
        memcpy(buf + size, cases[c].extra, cases[c].n);
        buf[at] = (uint8_t) (tlen + cases[c].n);
        Ofts__Envelope *pc = ofts__envelope__unpack(NULL, size + cases[c].n, buf);
        print_message("%s: protobuf-c %s\n", cases[c].why, pc ? "decodes it" : "refuses it");
        if (pc)
            ofts__envelope__free_unpacked(pc, NULL);
        assert_null(ofts_fastpb_envelope(NULL, size + cases[c].n, buf));
    }
    //  Text that is not plain ASCII.
    t.symbol = "caf\xc3\xa9";
    free(wire);
    wire = s_pack(&env, &size);
    assert_null(ofts_fastpb_envelope(NULL, size, wire));
    t.symbol = "GC";
    //  Another body: left to protobuf-c.
    Ofts__Heartbeat hb = OFTS__HEARTBEAT__INIT;
    hb.service = "risk";
    env.body_case = OFTS__ENVELOPE__BODY_HEARTBEAT;
    env.heartbeat = &hb;
    free(wire);
    wire = s_pack(&env, &size);
    assert_null(ofts_fastpb_envelope(NULL, size, wire));
    free(wire);
    //  More levels than a book has (65): protobuf-c's.
    Ofts__Level lv = OFTS__LEVEL__INIT, *lp[65];
    lv.bid_px = 1;
    for (int i = 0; i < 65; i++)
        lp[i] = &lv;
    Ofts__Depth d = OFTS__DEPTH__INIT;
    d.n_levels = 65;
    d.levels = lp;
    env.body_case = OFTS__ENVELOPE__BODY_DEPTH;
    env.depth = &d;
    wire = s_pack(&env, &size);
    assert_null(ofts_fastpb_envelope(NULL, size, wire));
    d.n_levels = 64;
    free(wire);
    wire = s_pack(&env, &size);
    Ofts__Envelope *ok = ofts_fastpb_envelope(NULL, size, wire);
    assert_non_null(ok);
    assert_int_equal(ok->depth->n_levels, 64);
    ofts__envelope__free_unpacked(ok, NULL);
    free(wire);
}

//  Every prefix of real messages, and random corruptions of them: it gives
//  up or agrees with protobuf-c (and ASan/LSan see no leak, no overrun).
static void
test_broken_input(void **state)
{
    (void) state;
    unsigned seed = 5;
    size_t answered = 0, tried = 0;
    for (int i = 0; i < 300; i++) {
        s_msg_t m;
        s_random(&m, &seed);
        size_t size;
        uint8_t *wire = s_pack(&m.env, &size);
        for (size_t n = 0; n < size; n++, tried++) {
            uint8_t *copy = malloc(n + 1);             //  exactly n bytes readable
            memcpy(copy, wire, n);
            s_agrees(copy, n, &answered);
            free(copy);
        }
        for (int k = 0; k < 10 && size; k++, tried++) {
            uint8_t *copy = malloc(size);
            memcpy(copy, wire, size);
            for (int f = 0; f < 1 + rand_r(&seed) % 3; f++)
                copy[rand_r(&seed) % size] ^= (uint8_t) (1 + rand_r(&seed) % 255);
            s_agrees(copy, size, &answered);
            free(copy);
        }
        free(wire);
    }
    print_message("%zu broken inputs, %zu decoded (each as protobuf-c did)\n", tried, answered);
    assert_true(answered > 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_protobuf_c),
        cmocka_unit_test(test_gives_up),
        cmocka_unit_test(test_broken_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
