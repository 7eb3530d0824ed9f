/*  replay: pacing math (fast, real time, N x, gaps, disorder) and merging
    files by ts_recv.                                                       */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dbn_encoder.h"
#include "replay.h"

#define S 1000000000LL

static void
test_pace_fast(void **state)
{
    (void) state;
    replay_pace_t p;
    replay_pace_init(&p, 0, 0);
    assert_int_equal(replay_pace_due(&p, 100 * S, 5), 5);
    assert_int_equal(replay_pace_due(&p, 900 * S, 6), 6);
}

static void
test_pace_real_time_and_multiple(void **state)
{
    (void) state;
    replay_pace_t p;
    replay_pace_init(&p, 1, 0);
    //  first record due at once; then data gaps become wall gaps
    assert_int_equal(replay_pace_due(&p, 1000 * S, 7 * S), 7 * S);
    assert_int_equal(replay_pace_due(&p, 1000 * S + 250000000, 7 * S), 7 * S + 250000000);
    assert_int_equal(replay_pace_due(&p, 1003 * S, 9 * S), 10 * S);
    replay_pace_init(&p, 10, 0);
    assert_int_equal(replay_pace_due(&p, 50 * S, 0), 0);
    assert_int_equal(replay_pace_due(&p, 60 * S, 0), 1 * S);           //  10 s of data in 1 s
    assert_int_equal(replay_pace_due(&p, 80 * S, 123), 3 * S);         //  independent of now
    replay_pace_init(&p, 0.5, 0);
    replay_pace_due(&p, 10 * S, 100);
    assert_int_equal(replay_pace_due(&p, 11 * S, 100), 100 + 2 * S);   //  half speed
}

static void
test_pace_gaps_and_disorder(void **state)
{
    (void) state;
    replay_pace_t p;
    replay_pace_init(&p, 1, 5 * S);
    assert_int_equal(replay_pace_due(&p, 100 * S, 0), 0);
    assert_int_equal(replay_pace_due(&p, 102 * S, 0), 2 * S);
    //  a weekend-sized gap is cut to 5 s
    assert_int_equal(replay_pace_due(&p, 102 * S + 3600 * S, 0), 7 * S);
    assert_int_equal(replay_pace_due(&p, 103 * S + 3600 * S, 0), 8 * S);
    //  a record earlier than the last one is due with it, not in the past
    assert_int_equal(replay_pace_due(&p, 50 * S, 0), 8 * S);
    //  undefined timestamp (UINT64_MAX as int64): due with the previous one
    assert_int_equal(replay_pace_due(&p, -1, 0), 8 * S);
    replay_pace_init(&p, 1, 0);
    assert_int_equal(replay_pace_due(&p, -1, 42), 42);                  //  before any real ts
    assert_int_equal(replay_pace_due(&p, 10 * S, 50), 50);
}

static char s_tmp[64];

static void
s_write_file(const char *path, uint32_t id, const char *symbol, const uint64_t *ts, int n, bool zstd)
{
    static dbn_interval_t iv;
    static dbn_mapping_t map;
    static char idtext[16];
    snprintf(idtext, sizeof(idtext), "%u", id);
    iv = (dbn_interval_t) { 20261130, 20261201, idtext };
    map = (dbn_mapping_t) { (char *) symbol, 1, &iv };
    dbn_metadata_t meta = { .version = 3, .dataset = "GLBX.MDP3", .schema = 4, .stype_in = 1,
                            .mapping_count = 1, .mappings = &map, .end = DBN_UNDEF_TIMESTAMP };
    dbn_encoder_t *enc = dbn_encoder_new(path, &meta, zstd);
    assert_non_null(enc);
    for (int i = 0; i < n; i++) {
        dbn_record_t r;
        dbn_record_init(&r, DBN_RTYPE_MBP0);
        r.instrument_id = id;
        r.ts_event = ts[i] - 10;
        r.mbp.ts_recv = ts[i];
        r.mbp.price = (int64_t) i;
        r.mbp.action = 'T';
        r.mbp.side = 'B';
        assert_int_equal(dbn_encoder_write(enc, &r), 0);
    }
    dbn_encoder_destroy(&enc);
}

static void
test_merge_by_ts_recv(void **state)
{
    (void) state;
    strcpy(s_tmp, "/tmp/test-replay-XXXXXX");
    assert_non_null(mkdtemp(s_tmp));
    char a[128], b[128], bad[128];
    snprintf(a, sizeof(a), "%s/gc.dbn", s_tmp);
    snprintf(b, sizeof(b), "%s/si.dbn.zst", s_tmp);
    snprintf(bad, sizeof(bad), "%s/bad.dbn", s_tmp);
    const uint64_t ta[] = { 10, 20, 30, 40 }, tb[] = { 5, 20, 35 };
    s_write_file(a, 1, "GCZ6", ta, 4, false);
    s_write_file(b, 2, "SIH7", tb, 3, true);
    replay_t *r = replay_new();
    char err[256];
    assert_int_equal(replay_add_file(r, a, err, sizeof(err)), 0);
    assert_int_equal(replay_add_file(r, b, err, sizeof(err)), 0);
    assert_int_equal(replay_add_file(r, "/nonexistent.dbn", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent.dbn"));
    assert_int_equal(replay_file_count(r), 2);
    const uint64_t want_ts[] = { 5, 10, 20, 20, 30, 35, 40 };
    const uint32_t want_id[] = { 2, 1, 1, 2, 1, 2, 1 };   //  tie at 20: first file first
    const dbn_record_t *rec;
    const char *contract;
    for (int i = 0; i < 7; i++) {
        assert_int_equal(replay_next(r, &rec, &contract), 1);
        assert_int_equal(dbn_record_ts_index(rec), want_ts[i]);
        assert_int_equal(rec->instrument_id, want_id[i]);
        assert_string_equal(contract, want_id[i] == 1 ? "GCZ6" : "SIH7");
    }
    assert_int_equal(replay_next(r, &rec, &contract), 0);
    assert_int_equal(replay_records(r), 7);
    assert_true(replay_progress(r) > 0.99);
    replay_destroy(&r);
    //  A file cut in the middle of a record: error once, the others go on.
    FILE *fp = fopen(a, "rb");
    uint8_t buf[4096];
    size_t n = fread(buf, 1, sizeof(buf), fp);
    fclose(fp);
    fp = fopen(bad, "wb");
    fwrite(buf, 1, n - 20, fp);
    fclose(fp);
    r = replay_new();
    assert_int_equal(replay_add_file(r, bad, err, sizeof(err)), 0);
    assert_int_equal(replay_add_file(r, b, err, sizeof(err)), 0);
    int ok = 0, rc, errors = 0;
    while ((rc = replay_next(r, &rec, &contract)) != 0) {
        if (rc < 0) {
            errors++;
            assert_non_null(strstr(replay_error(r), "truncated"));
            assert_non_null(strstr(replay_error(r), "byte offset"));
            continue;
        }
        ok++;
    }
    assert_int_equal(errors, 1);
    assert_int_equal(replay_errors(r), 1);
    assert_int_equal(ok, 3 + 3);            //  3 whole GC records + all SI
    replay_destroy(&r);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", s_tmp);
    assert_int_equal(system(cmd), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pace_fast),
        cmocka_unit_test(test_pace_real_time_and_multiple),
        cmocka_unit_test(test_pace_gaps_and_disorder),
        cmocka_unit_test(test_merge_by_ts_recv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
