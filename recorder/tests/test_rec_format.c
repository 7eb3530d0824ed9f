/*  recorder core: CRC32C, write/read round trip, torn-tail recovery,
    damage in the middle (reported with its offset, the rest still read),
    filters and indexes, trading-day and size rotation, retention, gap
    detection from the wire bytes.                                        */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <signal.h>
#include <czmq.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ofts_clock.h"
#include "ofts.pb-c.h"
#include "rec_scan.h"
#include "rec_seqs.h"
#include "rec_writer.h"

//  2026-12-03 15:00:00 UTC = 09:00 CST, trading day 20261203; the next
//  trading day starts at 17:00 CST = 23:00 UTC.
#define T0 (ofts_days_from_civil(2026, 12, 3) * 86400LL * OFTS_NS_PER_SEC + 15LL * 3600 * OFTS_NS_PER_SEC)
#define ROLL (ofts_days_from_civil(2026, 12, 3) * 86400LL * OFTS_NS_PER_SEC + 23LL * 3600 * OFTS_NS_PER_SEC)

static char s_dir[256];

static int
setup(void **state)
{
    (void) state;
    snprintf(s_dir, sizeof s_dir, "/tmp/ofts-rec-XXXXXX");
    assert_non_null(mkdtemp(s_dir));
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static rec_writer_t *
s_writer(uint64_t segment_bytes, int retention_days)
{
    rec_writer_config_t cfg = { .dir = s_dir, .segment_bytes = segment_bytes, .fsync = REC_FSYNC_NONE,
                                .retention_days = retention_days, .index_every = 4 };
    char err[256];
    rec_writer_t *w = rec_writer_new(&cfg, err, sizeof err);
    assert_non_null(w);
    return w;
}

//  Record i: topic md.trade.GC. (even) or of.signal.GC. (odd), payload "payload-<i>".
static void
s_write_n(rec_writer_t *w, int from, int n, int64_t t0)
{
    for (int i = from; i < from + n; i++) {
        char payload[32];
        int len = snprintf(payload, sizeof payload, "payload-%d", i);
        const char *topic = i % 2 ? "of.signal.GC." : "md.trade.GC.";
        assert_int_equal(rec_writer_append(w, REC_MESSAGE, t0 + i * OFTS_NS_PER_MS, topic, strlen(topic), payload,
                                           (size_t) len), 0);
    }
}

typedef struct {
    int messages, others;
    int64_t first_ns, last_ns;
    int next;                       //  expected payload number
    bool in_order;
    char last_payload[32];
} s_count_t;

static int
s_count(void *arg, const char *path, const rec_record_t *rec)
{
    (void) path;
    s_count_t *c = arg;
    if (rec->type != REC_MESSAGE) {
        c->others++;
        return 0;
    }
    if (!c->messages)
        c->first_ns = rec->recv_ns;
    c->last_ns = rec->recv_ns;
    c->messages++;
    snprintf(c->last_payload, sizeof c->last_payload, "%.*s", (int) rec->payload_len, rec->payload);
    return 0;
}

static s_count_t
s_scan(const rec_filter_t *f, uint64_t *damaged)
{
    char *dirs[1] = { s_dir };
    char **paths;
    size_t n = rec_expand(1, dirs, &paths);
    s_count_t c = { 0 };
    rec_scan(paths, n, f, s_count, &c, damaged);
    rec_free_list(&paths, n);
    return c;
}

static void
t_crc32c(void **state)
{
    (void) state;
    assert_int_equal(rec_crc32c(0, "123456789", 9), 0xE3069283u);      //  the standard check value
    uint8_t zeros[32] = { 0 };
    assert_int_equal(rec_crc32c(0, zeros, 32), 0x8A9136AAu);           //  RFC 3720 B.4
    //  Incremental == one pass.
    assert_int_equal(rec_crc32c(rec_crc32c(0, "12345", 5), "6789", 4), 0xE3069283u);
}

static void
t_round_trip(void **state)
{
    (void) state;
    rec_writer_t *w = s_writer(0, 0);
    rec_writer_set_config_text(w, "{\"x\":1}");
    s_write_n(w, 0, 100, T0);
    rec_writer_destroy(&w);
    char **paths;
    size_t n = rec_list_segments(s_dir, &paths);
    assert_int_equal(n, 1);
    assert_non_null(strstr(paths[0], "/20261203-000000.rec"));
    char err[256];
    rec_reader_t *r = rec_reader_open(paths[0], err, sizeof err);
    assert_non_null(r);
    assert_int_equal(rec_reader_day(r), 20261203);
    rec_record_t rec;
    assert_int_equal(rec_reader_next(r, &rec), 1);
    assert_int_equal(rec.type, REC_START);
    assert_int_equal(rec_reader_next(r, &rec), 1);
    assert_int_equal(rec.type, REC_CONFIG);
    assert_memory_equal(rec.payload, "{\"x\":1}", 7);
    for (int i = 0; i < 100; i++) {
        assert_int_equal(rec_reader_next(r, &rec), 1);
        char expect[32];
        int len = snprintf(expect, sizeof expect, "payload-%d", i);
        assert_int_equal(rec.payload_len, len);
        assert_memory_equal(rec.payload, expect, (size_t) len);
        assert_int_equal(rec.recv_ns, T0 + i * OFTS_NS_PER_MS);
        assert_int_equal(rec.topic_len, i % 2 ? 13 : 12);
    }
    assert_int_equal(rec_reader_next(r, &rec), 0);
    assert_int_equal(rec_reader_damaged(r), 0);
    //  Frame 12 + fixed 12 + topic 12 + "payload-0" 9 = 45 bytes for the first message.
    rec_reader_destroy(&r);
    rec_free_list(&paths, n);
}

static uint64_t
s_file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t) st.st_size : 0;
}

static void
t_torn_tail_cut_on_open(void **state)
{
    (void) state;
    rec_writer_t *w = s_writer(0, 0);
    s_write_n(w, 0, 50, T0);
    rec_writer_destroy(&w);
    char **paths;
    size_t n = rec_list_segments(s_dir, &paths);
    uint64_t good = s_file_size(paths[0]);
    //  A record cut short: a valid frame start, half a body.
    int fd = open(paths[0], O_WRONLY | O_APPEND);
    uint8_t torn[30] = { 0 };
    rec_put32(torn, REC_SYNC);
    rec_put32(torn + 4, 200);
    assert_int_equal(write(fd, torn, sizeof torn), (ssize_t) sizeof torn);
    close(fd);
    uint64_t damaged = 0;
    s_count_t c = s_scan(NULL, &damaged);
    assert_int_equal(c.messages, 50);       //  readers stop at the tail ...
    assert_int_equal(damaged, 30);
    w = s_writer(0, 0);                     //  ... and the writer cuts it
    assert_int_equal(rec_writer_recovered_tail(w), 30);
    assert_int_equal(s_file_size(paths[0]), good);
    s_write_n(w, 50, 10, T0 + OFTS_NS_PER_SEC);
    rec_writer_destroy(&w);
    rec_free_list(&paths, n);
    n = rec_list_segments(s_dir, &paths);
    assert_int_equal(n, 2);                 //  a new life, a new segment
    rec_free_list(&paths, n);
    damaged = 0;
    c = s_scan(NULL, &damaged);
    assert_int_equal(c.messages, 60);
    assert_int_equal(damaged, 0);
    assert_string_equal(c.last_payload, "payload-59");
}

typedef struct {
    uint64_t offset, length;
    bool tail;
    int calls;
} s_damage_seen_t;

static void
s_on_damage(void *arg, const char *path, uint64_t offset, uint64_t length, bool tail)
{
    (void) path;
    s_damage_seen_t *d = arg;
    d->offset = offset;
    d->length = length;
    d->tail = tail;
    d->calls++;
}

static void
t_bit_flip_in_the_middle(void **state)
{
    (void) state;
    rec_writer_t *w = s_writer(0, 0);
    s_write_n(w, 0, 40, T0);
    rec_writer_destroy(&w);
    char **paths;
    size_t n = rec_list_segments(s_dir, &paths);
    //  Find record 20 (payload-20) and flip one bit of its payload.
    char err[256];
    rec_reader_t *r = rec_reader_open(paths[0], err, sizeof err);
    rec_record_t rec;
    uint64_t off = 0, size = 0, flip = 0;
    while (rec_reader_next(r, &rec))
        if (rec.type == REC_MESSAGE && rec.payload_len == 10 && memcmp(rec.payload, "payload-20", 10) == 0) {
            off = rec.offset;
            size = rec.size;
            flip = (uint64_t) (rec.payload - (const uint8_t *) rec.topic) + off + REC_FRAME_SIZE + REC_BODY_FIXED + 3;
        }
    rec_reader_destroy(&r);
    assert_true(off > 0);
    int fd = open(paths[0], O_RDWR);
    uint8_t b;
    assert_int_equal(pread(fd, &b, 1, (off_t) flip), 1);
    b ^= 0x10;
    assert_int_equal(pwrite(fd, &b, 1, (off_t) flip), 1);
    close(fd);
    r = rec_reader_open(paths[0], err, sizeof err);
    s_damage_seen_t seen = { 0 };
    rec_reader_set_damage_fn(r, s_on_damage, &seen);
    int messages = 0;
    bool saw_21 = false;
    while (rec_reader_next(r, &rec))
        if (rec.type == REC_MESSAGE) {
            messages++;
            saw_21 |= rec.payload_len == 10 && memcmp(rec.payload, "payload-21", 10) == 0;
        }
    assert_int_equal(messages, 39);         //  every record but the damaged one
    assert_true(saw_21);                    //  resynced after it
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.offset, off);     //  reported where the damage is
    assert_int_equal(seen.length, size);
    assert_false(seen.tail);
    rec_reader_destroy(&r);
    rec_free_list(&paths, n);
}

static void
t_filters_and_indexes(void **state)
{
    (void) state;
    rec_writer_t *w = s_writer(0, 0);
    s_write_n(w, 0, 1000, T0);              //  one per ms: T0 .. T0 + 999 ms
    rec_writer_destroy(&w);
    rec_filter_t f = { .prefix = "of.signal.", .messages_only = true };
    s_count_t c = s_scan(&f, NULL);
    assert_int_equal(c.messages, 500);      //  the odd ones
    f = (rec_filter_t) { .from_ns = T0 + 100 * OFTS_NS_PER_MS, .to_ns = T0 + 199 * OFTS_NS_PER_MS };
    c = s_scan(&f, NULL);
    assert_int_equal(c.messages, 100);
    assert_int_equal(c.first_ns, T0 + 100 * OFTS_NS_PER_MS);
    assert_int_equal(c.last_ns, T0 + 199 * OFTS_NS_PER_MS);
    f.prefix = "md.trade.GC.";
    c = s_scan(&f, NULL);
    assert_int_equal(c.messages, 50);
    f = (rec_filter_t) { .prefix = "exec." };
    c = s_scan(&f, NULL);
    assert_int_equal(c.messages, 0);
    //  The time index (an entry every 4 records) lands at or before the record.
    char **paths;
    size_t n = rec_list_segments(s_dir, &paths);
    uint64_t off = rec_index_seek(paths[0], T0 + 500 * OFTS_NS_PER_MS);
    char err[256];
    rec_reader_t *r = rec_reader_open(paths[0], err, sizeof err);
    rec_reader_seek(r, off);
    rec_record_t rec;
    assert_int_equal(rec_reader_next(r, &rec), 1);
    assert_true(rec.recv_ns <= T0 + 500 * OFTS_NS_PER_MS);
    assert_true(rec.recv_ns >= T0 + 496 * OFTS_NS_PER_MS);
    rec_reader_destroy(&r);
    //  The topic index knows which topics the segment holds.
    bool any;
    uint64_t first;
    assert_true(rec_topics_lookup(paths[0], s_file_size(paths[0]), "of.", &any, &first));
    assert_true(any);
    assert_false(rec_topics_lookup(paths[0], s_file_size(paths[0]) + 1, "of.", &any, &first));    //  stale
    rec_free_list(&paths, n);
    int64_t t;
    assert_true(rec_parse_time("2026-12-03T15:00:00.5Z", &t));
    assert_int_equal(t, T0 + 500 * OFTS_NS_PER_MS);
    assert_true(rec_parse_time("2026-12-03", &t));
    assert_int_equal(t, T0 - 15LL * 3600 * OFTS_NS_PER_SEC);
    assert_false(rec_parse_time("yesterday", &t));
}

static void
t_rotation_and_retention(void **state)
{
    (void) state;
    //  Small segments: a roll by size, then one by trading day at 17:00 CT.
    rec_writer_t *w = s_writer(2000, 0);
    s_write_n(w, 0, 100, ROLL - 50 * OFTS_NS_PER_MS);      //  50 ms before and 50 ms after 17:00 CT
    rec_writer_destroy(&w);
    char **paths;
    size_t n = rec_list_segments(s_dir, &paths);
    assert_true(n >= 3);
    bool day1 = false, day2 = false;
    for (size_t i = 0; i < n; i++) {
        day1 |= strstr(paths[i], "/20261203-") != NULL;
        day2 |= strstr(paths[i], "/20261204-") != NULL;
        assert_true(s_file_size(paths[i]) <= 2000);
    }
    assert_true(day1 && day2);
    rec_free_list(&paths, n);
    s_count_t c = s_scan(NULL, NULL);
    assert_int_equal(c.messages, 100);
    //  Retention of one trading day: day 20261203 goes when a day-4 segment opens.
    w = s_writer(0, 1);
    s_write_n(w, 0, 2, ROLL + 10LL * 3600 * OFTS_NS_PER_SEC);
    rec_writer_destroy(&w);
    n = rec_list_segments(s_dir, &paths);
    for (size_t i = 0; i < n; i++)
        assert_null(strstr(paths[i], "/20261203-"));
    assert_true(n >= 1);
    rec_free_list(&paths, n);
}

static size_t
s_pack(char *source, uint64_t epoch, uint64_t topic_seq, uint8_t *buf)
{
    Ofts__Header h = OFTS__HEADER__INIT;
    h.source = source;
    h.seq = topic_seq + 100;
    h.epoch = epoch;
    h.topic_seq = topic_seq;
    h.ts_event = 1234567;
    Ofts__Trade t = OFTS__TRADE__INIT;
    t.symbol = "GC";
    t.price = 2350100000000;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.header = &h;
    env.body_case = OFTS__ENVELOPE__BODY_TRADE;
    env.trade = &t;
    return ofts__envelope__pack(&env, buf);
}

//  A full disk (RLIMIT_FSIZE: the file may grow 1000 bytes more) under two
//  flushes, then space again. The file is cut back to its last whole record
//  (no damaged bytes), the records lost are one REC_GAP of source
//  "recorder", and the time index still lands on its records: before, the
//  torn record stayed and every later index entry pointed past its record by
//  the bytes lost, so a search by time skipped records.
typedef struct {
    int messages, gaps, next;
    bool in_order;
    uint64_t missing;
    char source[16];
} s_full_t;

static int
s_full_scan(void *arg, const char *path, const rec_record_t *rec)
{
    (void) path;
    s_full_t *c = arg;
    if (rec->type == REC_GAP) {
        c->gaps++;
        c->missing += rec_get64(rec->payload);
        snprintf(c->source, sizeof c->source, "%.*s", (int) (rec->payload_len - REC_GAP_FIXED),
                 rec->payload + REC_GAP_FIXED);
        return 0;
    }
    if (rec->type != REC_MESSAGE)
        return 0;
    int i = atoi((const char *) rec->payload + 8);
    if (c->messages && i < c->next)
        c->in_order = false;
    c->next = i + 1;
    c->messages++;
    return 0;
}

static void
t_disk_full_cut_and_gap(void **state)
{
    (void) state;
    rec_writer_t *w = s_writer(0, 0);
    s_write_n(w, 0, 100, T0);
    assert_int_equal(rec_writer_flush(w), 0);
    char path[1024];
    snprintf(path, sizeof path, "%s", rec_writer_segment_path(w));
    uint64_t size = s_file_size(path);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit old, full;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    full = old;
    full.rlim_cur = size + 1000;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &full), 0);
    s_write_n(w, 100, 100, T0);
    assert_int_equal(rec_writer_flush(w), -1);
    s_write_n(w, 200, 50, T0);
    assert_int_equal(rec_writer_flush(w), -1);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    uint64_t lost = rec_writer_lost(w);
    assert_true(lost > 50 && lost < 150);       //  what fitted in 1000 bytes was kept
    assert_true(s_file_size(path) <= size + 1000);
    s_write_n(w, 250, 50, T0);
    assert_int_equal(rec_writer_flush(w), 0);
    rec_writer_destroy(&w);

    char *dirs[1] = { s_dir };
    char **paths;
    size_t n = rec_expand(1, dirs, &paths);
    assert_int_equal(n, 1);
    s_full_t c = { .in_order = true };
    uint64_t damaged = 0;
    rec_scan(paths, n, NULL, s_full_scan, &c, &damaged);
    assert_int_equal(damaged, 0);
    assert_int_equal(c.gaps, 1);
    assert_int_equal(c.missing, lost);
    assert_string_equal(c.source, "recorder");
    assert_int_equal(c.messages, 300 - (int) lost);
    assert_true(c.in_order);
    //  The index entry for 270 ms lands on a record at or just before it.
    uint64_t off = rec_index_seek(paths[0], T0 + 270 * OFTS_NS_PER_MS);
    char err[256];
    rec_reader_t *r = rec_reader_open(paths[0], err, sizeof err);
    rec_reader_seek(r, off);
    rec_record_t rec;
    assert_int_equal(rec_reader_next(r, &rec), 1);
    assert_int_equal(rec_reader_damaged(r), 0);
    assert_true(rec.recv_ns <= T0 + 270 * OFTS_NS_PER_MS);
    assert_true(rec.recv_ns >= T0 + 250 * OFTS_NS_PER_MS);
    rec_reader_destroy(&r);
    rec_free_list(&paths, n);
}

//  No room even for a new segment's header (the trading day rolls on a full
//  disk): no headerless file is left behind, the segment is tried again once
//  a second - not for every message - and once it can be made the records
//  lost meanwhile are one gap.
static size_t
s_files(void)
{
    char **paths;
    size_t n = rec_list_segments(s_dir, &paths);
    rec_free_list(&paths, n);
    return n;
}

static void
t_disk_full_at_a_new_segment(void **state)
{
    (void) state;
    rec_writer_t *w = s_writer(0, 0);
    s_write_n(w, 0, 10, T0);
    assert_int_equal(rec_writer_flush(w), 0);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit old, full;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    full = old;
    full.rlim_cur = 10;                         //  not even a header
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &full), 0);
    const char *topic = "md.trade.GC.";
    for (int i = 0; i < 500; i++)               //  the next trading day: a new segment
        assert_int_equal(rec_writer_append(w, REC_MESSAGE, ROLL + i, topic, strlen(topic), "x", 1), -1);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    assert_int_equal(s_files(), 1);
    assert_int_equal(rec_writer_errors(w), 1);  //  one attempt for 500 messages
    assert_int_equal(rec_writer_lost(w), 500);
    //  Space again: within the retry second the messages are still lost,
    //  then the segment opens and the gap is written.
    int64_t deadline = ofts_clock_mono_ns() + 5 * OFTS_NS_PER_SEC;
    int i = 0;
    while (rec_writer_append(w, REC_MESSAGE, ROLL + 1000 + i, topic, strlen(topic), "x", 1) != 0
           && ofts_clock_mono_ns() < deadline)
        i++;
    assert_int_equal(rec_writer_flush(w), 0);
    assert_int_equal(s_files(), 2);
    uint64_t lost = rec_writer_lost(w);
    rec_writer_destroy(&w);
    char *dirs[1] = { s_dir };
    char **paths;
    size_t n = rec_expand(1, dirs, &paths);
    s_full_t c = { .in_order = true };
    uint64_t damaged = 0;
    rec_scan(paths, n, NULL, s_full_scan, &c, &damaged);
    rec_free_list(&paths, n);
    assert_int_equal(damaged, 0);
    assert_int_equal(c.gaps, 1);
    assert_int_equal(c.missing, lost);
    assert_int_equal(lost, 500 + (uint64_t) i);
}

static void
t_header_and_gaps(void **state)
{
    (void) state;
    uint8_t buf[256];
    size_t len = s_pack("gateway-md", 77, 5, buf);
    rec_header_t h;
    assert_true(rec_parse_header(buf, len, &h));
    assert_string_equal(h.source, "gateway-md");
    assert_int_equal(h.epoch, 77);
    assert_int_equal(h.topic_seq, 5);
    assert_int_equal(h.seq, 105);
    assert_int_equal(h.ts_event, 1234567);
    rec_header_t junk;
    assert_false(rec_parse_header((const uint8_t *) "\x0a\x50garbage", 9, &junk));
    rec_seqs_t *s = rec_seqs_new();
    uint64_t first = 0;
    assert_int_equal(rec_seqs_check(s, "md.trade.GC.", &h, &first), 0);
    len = s_pack("gateway-md", 77, 9, buf);             //  6, 7, 8 lost
    assert_true(rec_parse_header(buf, len, &h));
    assert_int_equal(rec_seqs_check(s, "md.trade.GC.", &h, &first), 3);
    assert_int_equal(first, 6);
    len = s_pack("gateway-md", 78, 1, buf);             //  restart: not a gap
    assert_true(rec_parse_header(buf, len, &h));
    assert_int_equal(rec_seqs_check(s, "md.trade.GC.", &h, &first), 0);
    assert_int_equal(rec_seqs_missing(s), 3);
    rec_seqs_destroy(&s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_crc32c),
        cmocka_unit_test_setup_teardown(t_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(t_torn_tail_cut_on_open, setup, teardown),
        cmocka_unit_test_setup_teardown(t_bit_flip_in_the_middle, setup, teardown),
        cmocka_unit_test_setup_teardown(t_filters_and_indexes, setup, teardown),
        cmocka_unit_test_setup_teardown(t_rotation_and_retention, setup, teardown),
        cmocka_unit_test_setup_teardown(t_disk_full_cut_and_gap, setup, teardown),
        cmocka_unit_test_setup_teardown(t_disk_full_at_a_new_segment, setup, teardown),
        cmocka_unit_test(t_header_and_gaps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
