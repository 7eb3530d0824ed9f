/*  The real ofts-recorder under fire: a publisher streams numbered trades,
    the recorder is killed with SIGKILL mid-stream, the last record is torn
    the way a crash during write() leaves it, and the recorder started
    again must cut exactly that tail, keep every record before it (the
    recorded topic_seqs run without a hole), write a second start marker
    and record on. `ofts-record dump --topic` then sees exactly them.    */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ofts_bus.h"
#include "ofts_log.h"
#include "rec_e2e.h"
#include "rec_scan.h"
#include "rec_seqs.h"
#include "rec_writer.h"

static rec_e2e_trades_t
s_read(const char *rec_dir, uint64_t *damaged)
{
    return rec_e2e_read_trades(rec_dir, damaged);
}

static void
s_publish(ofts_bus_t *bus, int count)
{
    rec_e2e_publish_trades(bus, 0, count);
}

//  Publish until the recorder has written something: it is connected.
static void
s_until_recording(ofts_bus_t *bus, const char *rec_dir)
{
    int64_t deadline = e2e_now_ms() + 30000;
    uint64_t base = rec_dir_bytes(rec_dir);
    while (e2e_now_ms() < deadline) {
        s_publish(bus, 10);
        zclock_sleep(20);
        if (rec_dir_bytes(rec_dir) > base + 2000)
            return;
    }
    fail_msg("the recorder never recorded");
}

static void
s_start(e2e_proc_t *proc, const char *config, const char *dir, int life)
{
    char bin[512], log[512];
    e2e_bin("ofts-recorder", bin, sizeof bin);
    snprintf(log, sizeof log, "%s/recorder-%d.log", dir, life);
    char *argv[] = { bin, "--config", (char *) config, NULL };
    assert_int_equal(e2e_spawn(proc, argv, false, log), 0);
}

static void
t_kill9_torn_tail(void **state)
{
    (void) state;
    char *dir = e2e_tempdir("rec-kill9");
    char *config = rec_e2e_config(dir, NULL, NULL);
    char rec_dir[512], ep[512];
    snprintf(rec_dir, sizeof rec_dir, "%s/rec", dir);
    snprintf(ep, sizeof ep, "ipc://%s/gateway-md.pub", dir);
    ofts_bus_t *bus = ofts_bus_new("gateway-md");
    assert_int_equal(rec_e2e_sign(bus, dir), 0);
    assert_int_equal(ofts_bus_bind(bus, ep), 0);
    e2e_proc_t rec;
    s_start(&rec, config, dir, 1);
    s_until_recording(bus, rec_dir);
    //  Mid-stream: publish a burst and kill while it is being written.
    s_publish(bus, 20000);
    kill(rec.pid, SIGKILL);
    e2e_stop(&rec, SIGKILL, 1000);
    uint64_t damaged = 0;
    rec_e2e_trades_t before = s_read(rec_dir, &damaged);
    assert_true(before.messages > 0);
    assert_int_equal(before.holes, 0);
    //  Tear the last record as a crash inside write() would.
    char *dirs[1] = { rec_dir };
    char **paths;
    size_t n = rec_expand(1, dirs, &paths);
    assert_int_equal(n, 1);
    //  Unless the kill did it already: SIGKILL can cut a write() of a
    //  large batch short (at a page boundary), leaving a torn tail itself.
    rec_e2e_trades_t torn = before;
    if (damaged == 0) {
        struct stat st;
        assert_int_equal(stat(paths[0], &st), 0);
        assert_int_equal(truncate(paths[0], st.st_size - 7), 0);
        torn = s_read(rec_dir, &damaged);
        assert_int_equal(torn.messages, before.messages - 1);   //  only the torn record is gone
    }
    assert_true(damaged > 0);
    //  Second life: the tail is cut on open, nothing before it lost.
    s_start(&rec, config, dir, 2);
    s_until_recording(bus, rec_dir);
    s_publish(bus, 500);
    zclock_sleep(300);
    assert_int_equal(e2e_stop(&rec, SIGTERM, 10000), 0);
    char log[512];
    snprintf(log, sizeof log, "%s/recorder-2.log", dir);
    assert_int_equal(e2e_count_lines(log, "torn tail of"), 1);
    damaged = 0;
    rec_e2e_trades_t after = s_read(rec_dir, &damaged);
    assert_int_equal(damaged, 0);                               //  cut: nothing damaged is left
    assert_int_equal(after.starts, 2);
    assert_int_equal(after.first_seq, before.first_seq);
    assert_true(after.messages > torn.messages + 500);
    //  Exactly one hole: what was published while the recorder was down.
    assert_int_equal(after.holes, 1);
    rec_free_list(&paths, n);
    //  The CLI sees the same records through the topic filter.
    char cmd[1500], bin[512];
    e2e_bin("ofts-record", bin, sizeof bin);
    snprintf(cmd, sizeof cmd, "%s dump --topic md.trade.GC. --json %s | grep -c '\"kind\":\"message\"'", bin, rec_dir);
    FILE *p = popen(cmd, "r");
    unsigned long long lines = 0;
    assert_int_equal(fscanf(p, "%llu", &lines), 1);
    pclose(p);
    assert_int_equal(lines, after.messages);
    snprintf(cmd, sizeof cmd, "%s dump --topic of. %s | wc -l", bin, rec_dir);
    p = popen(cmd, "r");
    assert_int_equal(fscanf(p, "%llu", &lines), 1);
    pclose(p);
    assert_int_equal(lines, 0);
    ofts_bus_destroy(&bus);
    e2e_rmtree(dir);
    free(config);
    free(dir);
}

int
main(void)
{
    ofts_log_init("test", OFTS_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_kill9_torn_tail),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    zsys_shutdown();
    return rc;
}
