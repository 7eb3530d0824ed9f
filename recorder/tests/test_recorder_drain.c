/*  The recorder drains by the clock (recorder.drain_ms, 5): however many
    messages arrive, its loop wakes about every drain_ms, not once per
    message - on a 2-core machine each of those wakeups was a context
    switch taken from the trading services (docs/benchmarks.md,
    bench-recorder). A publisher sends 1000 trades 1 ms apart; every one
    is recorded, in order, and the recorder's main thread was scheduled in
    far fewer times than there were messages (the old reader on the socket:
    about once per message).                                              */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ofts_bus.h"
#include "ofts_log.h"
#include "rec_e2e.h"
#include "rec_scan.h"
#include "rec_seqs.h"
#include "rec_writer.h"

#define MESSAGES 1000

static rec_e2e_trades_t
s_read(const char *rec_dir)
{
    return rec_e2e_read_trades(rec_dir, NULL);
}

//  Times the main thread (tid = pid) was scheduled in: schedstat's 3rd field.
static unsigned long long
s_slices(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat", (int) pid, (int) pid);
    FILE *f = fopen(path, "r");
    unsigned long long run = 0, wait = 0, slices = 0;
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%llu %llu %llu", &run, &wait, &slices), 3);
    fclose(f);
    return slices;
}

//  The default config in dir; the paths of the recording, gateway-md's endpoint, the log (512 each).
static void
s_setup(const char *dir, char **config, char *rec_dir, char *ep, char *log)
{
    *config = rec_e2e_config(dir, NULL, NULL);
    snprintf(rec_dir, 512, "%s/rec", dir);
    snprintf(ep, 512, "ipc://%s/gateway-md.pub", dir);
    snprintf(log, 512, "%s/recorder.log", dir);
}

static void
s_start(e2e_proc_t *rec, char *config, const char *log)
{
    char bin[512];
    e2e_bin("ofts-recorder", bin, sizeof bin);
    char *argv[] = { bin, "--config", config, NULL };
    assert_int_equal(e2e_spawn(rec, argv, false, log), 0);
}

//  Until it records: a warm-up topic, so the counted stream starts at seq 1.
static void
s_warm_up(ofts_bus_t *bus, const char *rec_dir)
{
    int64_t deadline = e2e_now_ms() + 30000;
    while ((rec_dir_bytes(rec_dir) == 0 || s_read(rec_dir).warmups == 0) && e2e_now_ms() < deadline) {
        Ofts__Envelope env = OFTS__ENVELOPE__INIT;
        ofts_bus_publish(bus, "sys.warmup.", &env);
        zclock_sleep(10);
    }
    assert_true(s_read(rec_dir).warmups > 0);
}

static void
t_wakes_by_the_clock(void **state)
{
    (void) state;
    char *dir = e2e_tempdir("rec-drain"), *config, rec_dir[512], ep[512], log[512];
    e2e_proc_t rec;
    s_setup(dir, &config, rec_dir, ep, log);
    ofts_bus_t *bus = ofts_bus_new("gateway-md");
    assert_int_equal(rec_e2e_sign(bus, dir), 0);
    assert_int_equal(ofts_bus_bind(bus, ep), 0);
    s_start(&rec, config, log);
    s_warm_up(bus, rec_dir);
    unsigned long long before = s_slices(rec.pid);
    for (int i = 0; i < MESSAGES; i++) {
        rec_e2e_publish_trades(bus, i, 1);
        struct timespec ms = { 0, 1000000 };
        nanosleep(&ms, NULL);
    }
    rec_e2e_trades_t seen = { 0 };
    int64_t deadline = e2e_now_ms() + 30000;
    while ((seen = s_read(rec_dir)).messages < MESSAGES && e2e_now_ms() < deadline)
        zclock_sleep(20);
    unsigned long long woken = s_slices(rec.pid) - before;
    assert_int_equal(e2e_stop(&rec, SIGTERM, 10000), 0);
    assert_int_equal(seen.messages, MESSAGES);
    assert_int_equal(seen.holes, 0);
    assert_int_equal(seen.last_seq, MESSAGES);
    //  About (1 s of publishing + the wait) / 5 ms = a few hundred; per message it was ~1000.
    print_message("recorder main thread scheduled in %llu times for %d messages\n", woken, MESSAGES);
    assert_true(woken < MESSAGES / 2);
    ofts_bus_destroy(&bus);
    e2e_rmtree(dir);
    free(config);
    free(dir);
}

//  The publisher goes away and comes back (a restart: new epoch) on a TCP
//  endpoint, as in config/default.json: the recorder's own reader
//  reconnects and records on, no gap record for the new epoch.
static void
t_reconnects_to_a_restarted_publisher(void **state)
{
    (void) state;
    char *dir = e2e_tempdir("rec-drain2"), *config, rec_dir[512], ep[512], log[512], extra[700];
    ofts_bus_t *bus = ofts_bus_new("gateway-md");
    assert_int_equal(rec_e2e_sign(bus, dir), 0);
    assert_int_equal(ofts_bus_bind(bus, "tcp://127.0.0.1:*"), 0);
    snprintf(ep, sizeof ep, "%s", zsock_endpoint(ofts_bus_pub_sock(bus)));
    snprintf(extra, sizeof extra, "{\"bus\": {\"endpoints\": {\"gateway-md\": {\"pub\": \"%s\"}}}}", ep);
    config = rec_e2e_config(dir, extra, NULL);
    snprintf(rec_dir, sizeof rec_dir, "%s/rec", dir);
    snprintf(log, sizeof log, "%s/recorder.log", dir);
    e2e_proc_t rec;
    s_start(&rec, config, log);
    for (int life = 1; life <= 2; life++) {
        if (life == 2) {
            bus = ofts_bus_new("gateway-md");
            assert_int_equal(rec_e2e_sign(bus, dir), 0);
            assert_int_equal(ofts_bus_bind(bus, ep), 0);
        }
        //  Publish until this life's messages are in the recording.
        int64_t deadline = e2e_now_ms() + 30000;
        uint64_t target = life == 1 ? 1 : s_read(rec_dir).messages + 1;
        int sent = 0;
        while (s_read(rec_dir).messages < target && e2e_now_ms() < deadline) {
            rec_e2e_publish_trades(bus, sent++, 1);
            zclock_sleep(20);
        }
        assert_true(s_read(rec_dir).messages >= target);
        ofts_bus_destroy(&bus);
    }
    assert_int_equal(e2e_stop(&rec, SIGTERM, 10000), 0);
    assert_int_equal(e2e_count_lines(log, "connected again"), 1);
    assert_int_equal(e2e_count_lines(log, "gap from"), 0);
    e2e_rmtree(dir);
    free(config);
    free(dir);
}

//  A process on a publisher's endpoint that does not hold the bus secret
//  (a rogue, or a tool run without it) is not recorded: replay-bus signs
//  what it replays, so a recording must hold only what the services would
//  have accepted. 200 unsigned trades, then 200 signed: only the signed
//  are in the recording, and the refusal is logged - with either reader.
static void
s_only_signed(const char *reader)
{
    char *dir = e2e_tempdir("rec-signed"), rec_dir[512], ep[512], log[512], settings[64];
    snprintf(settings, sizeof settings, "{\"reader\": \"%s\"}", reader);
    char *config = rec_e2e_config(dir, NULL, settings);
    snprintf(rec_dir, sizeof rec_dir, "%s/rec", dir);
    snprintf(ep, sizeof ep, "ipc://%s/gateway-md.pub", dir);
    snprintf(log, sizeof log, "%s/recorder.log", dir);
    ofts_bus_t *bus = ofts_bus_new("gateway-md");
    assert_int_equal(ofts_bus_bind(bus, ep), 0);
    e2e_proc_t rec;
    s_start(&rec, config, log);
    //  Unsigned until the recorder has refused some (it is connected).
    int64_t deadline = e2e_now_ms() + 30000;
    int sent = 0;
    while (e2e_count_lines(log, "not recorded") <= 0 && e2e_now_ms() < deadline) {
        rec_e2e_publish_trades(bus, sent++, 1);
        zclock_sleep(10);
    }
    assert_true(e2e_count_lines(log, "not recorded") > 0);
    rec_e2e_publish_trades(bus, sent, 200);
    assert_int_equal(rec_e2e_sign(bus, dir), 0);
    rec_e2e_publish_trades(bus, sent + 200, 200);
    rec_e2e_trades_t seen = { 0 };
    deadline = e2e_now_ms() + 30000;
    while ((seen = s_read(rec_dir)).messages < 200 && e2e_now_ms() < deadline)
        zclock_sleep(20);
    assert_int_equal(e2e_stop(&rec, SIGTERM, 10000), 0);
    //  Exactly the signed 200, whose prices follow the unsigned ones'.
    assert_int_equal(seen.messages, 200);
    assert_int_equal(seen.holes, 0);
    assert_int_equal(seen.last_seq, (uint64_t) sent + 400);
    ofts_bus_destroy(&bus);
    e2e_rmtree(dir);
    free(config);
    free(dir);
}

static void t_only_signed_own_reader(void **state) { (void) state; s_only_signed("own"); }
static void t_only_signed_zmq_reader(void **state) { (void) state; s_only_signed("zmq"); }

//  A burst larger than a socket holds: the publisher queues the rest. The
//  recorder must read on while the publisher's socket keeps refilling, not
//  take one socket's worth per timer tick. Before: a drain took what an
//  ipc:// socket held (~57 KB: ~440 of these trades; now and then ~10000
//  when the publisher's I/O thread refilled it while it was being read) and
//  slept until the next tick - at drain_ms 5 the recorder drained ~44-160 k
//  msgs/s. With drain_ms 1000 here, 60000 trades published at once took
//  dozens of ticks (at most 8 fit in the 8 s allowed, a few thousand each
//  at best); now each tick reads on until the backlog is gone.
#define BURST 60000
static void
t_reads_a_backlog_at_once(void **state)
{
    (void) state;
    char *dir = e2e_tempdir("rec-backlog"), rec_dir[512], ep[512], log[512];
    char *config = rec_e2e_config(dir, NULL, "{\"drain_ms\": 1000}");
    snprintf(rec_dir, sizeof rec_dir, "%s/rec", dir);
    snprintf(ep, sizeof ep, "ipc://%s/gateway-md.pub", dir);
    snprintf(log, sizeof log, "%s/recorder.log", dir);
    ofts_bus_t *bus = ofts_bus_new("gateway-md");
    assert_int_equal(rec_e2e_sign(bus, dir), 0);
    assert_int_equal(ofts_bus_bind(bus, ep), 0);
    //  A small socket (for the connection the recorder makes): the refills
    //  a read can race with are many and short, so a reader that stops at
    //  the first empty read stops every few KB, never by luck reads it all.
    zsock_set_sndbuf(ofts_bus_pub_sock(bus), 16384);
    e2e_proc_t rec;
    s_start(&rec, config, log);
    s_warm_up(bus, rec_dir);
    //  The whole burst at once (not by stopping the recorder: a SIGSTOPped
    //  child of a ctest-run test can be sent SIGHUP as a stopped member of
    //  an orphaned process group - seen once in a full suite).
    int64_t t0 = e2e_now_ms();
    rec_e2e_publish_trades(bus, 0, BURST);
    rec_e2e_trades_t seen = { 0 };
    while ((seen = s_read(rec_dir)).messages < BURST && e2e_now_ms() < t0 + 8000)
        zclock_sleep(200);              //  a read of the recording costs CPU the recorder needs
    int64_t done = e2e_now_ms();
    assert_int_equal(e2e_stop(&rec, SIGTERM, 10000), 0);
    print_message("%d trades published, %llu recorded %lld ms after the first\n", BURST,
                  (unsigned long long) seen.messages, (long long) (done - t0));
    assert_int_equal(seen.messages, BURST);
    assert_int_equal(seen.holes, 0);
    assert_int_equal(seen.last_seq, BURST);
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
        cmocka_unit_test(t_wakes_by_the_clock),
        cmocka_unit_test(t_reconnects_to_a_restarted_publisher),
        cmocka_unit_test(t_only_signed_own_reader),
        cmocka_unit_test(t_only_signed_zmq_reader),
        cmocka_unit_test(t_reads_a_backlog_at_once),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    zsys_shutdown();
    return rc;
}
