/*  The real ofts-monitor reading a publisher's socket itself (monitor.reader
    "own", the default: ofts_bus_set_direct) and through a ZeroMQ SUB
    socket ("zmq"), each against the same things: trades it must print, a
    forger without the bus secret whose trade it must not print, and the
    publisher restarting on its endpoint (the direct reader dials again,
    and its socket - polled by the service's loop as a file descriptor -
    is a new one). The test process is gateway-md: an ofts bus publisher
    on gateway-md's endpoint, signed with the config's secret.            */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "e2e_util.h"
#include "ofts_bus.h"
#include "ofts_log.h"
#include "ofts_trust.h"

typedef struct {
    char *dir;
    char *config;
    char log[600];
    e2e_proc_t monitor;
    uint8_t key[OFTS_TRUST_KEY_SIZE];
    char md_ep[600];
} fixture_t;

static int
s_setup(void **state, const char *reader)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (e2e_dir_setup(&f->dir, "monreader") != 0)
        return -1;
    char extra[128];
    snprintf(extra, sizeof extra, "{\"monitor\":{\"reader\":\"%s\"}}", reader);
    f->config = e2e_write_config(f->dir, extra);
    //  The secret the monitor will load: made here first (0600), as the
    //  first service to start makes it.
    char secret[600], err[256];
    snprintf(secret, sizeof secret, "%s/var", f->dir);
    mkdir(secret, 0700);
    snprintf(secret, sizeof secret, "%s/var/bus.secret", f->dir);
    if (ofts_trust_secret_load(secret, f->key, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    snprintf(f->md_ep, sizeof f->md_ep, "ipc://%s/gateway-md.pub", f->dir);
    snprintf(f->log, sizeof f->log, "%s/monitor.stderr", f->dir);
    char bin[1024];
    char *argv[] = { (char *) e2e_bin("ofts-monitor", bin, sizeof bin), "--config", f->config, "md.trade.", NULL };
    if (e2e_spawn(&f->monitor, argv, true, f->log) != 0)
        return -1;
    *state = f;
    return 0;
}

static int s_setup_own(void **state) { return s_setup(state, "own"); }
static int s_setup_zmq(void **state) { return s_setup(state, "zmq"); }

static int
s_teardown(void **state)
{
    fixture_t *f = *state;
    if (f->monitor.pid > 0)
        e2e_stop(&f->monitor, SIGTERM, 3000);
    e2e_kill_children();
    free(f->config);
    e2e_dir_teardown(&f->dir);
    free(f);
    return 0;
}

static void
s_trade(ofts_bus_t *bus, int64_t price)
{
    Ofts__Trade trade = OFTS__TRADE__INIT;
    trade.symbol = "GC";
    trade.price = price;
    trade.size = 1;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_TRADE;
    env.trade = &trade;
    assert_int_equal(ofts_bus_publish(bus, "md.trade.GC.", &env), 0);
}

//  gateway-md, signed with key (NULL: unsigned), bound on its endpoint.
static ofts_bus_t *
s_publisher(const fixture_t *f, const uint8_t *key)
{
    ofts_bus_t *bus = ofts_bus_new("gateway-md");
    ofts_bus_set_secret(bus, key);
    assert_int_equal(ofts_bus_bind(bus, f->md_ep), 0);
    return bus;
}

//  The monitor prints one line per trade; the price (1e-9 units) shows as
//  its decimal. True when a line holding want came before the deadline.
static bool
s_printed(fixture_t *f, const char *want, int64_t deadline)
{
    char line[4096];
    while (e2e_read_line(&f->monitor, line, sizeof line, deadline))
        if (strstr(line, want))
            return true;
    return false;
}

//  Publish price until the monitor prints it (the first ones may go before
//  it has connected: ZeroMQ's slow joiner, and our reader's dial).
static void
s_until_printed(fixture_t *f, ofts_bus_t *bus, int64_t price, const char *want)
{
    int64_t deadline = e2e_now_ms() + 15000;
    bool seen = false;
    while (!seen && e2e_now_ms() < deadline) {
        s_trade(bus, price);
        seen = s_printed(f, want, e2e_now_ms() + 100);
    }
    assert_true(seen);
}

static void
s_reads_and_checks(fixture_t *f, bool direct)
{
    ofts_bus_t *md = s_publisher(f, f->key);
    s_until_printed(f, md, 2350100000000LL, "2350.1");
    //  A forger on the same socket without the secret, then the real one.
    uint8_t wrong[OFTS_TRUST_KEY_SIZE] = { 9, 9 };
    ofts_bus_set_secret(md, wrong);
    s_trade(md, 9999000000000LL);
    ofts_bus_set_secret(md, f->key);
    s_trade(md, 2351200000000LL);
    char line[4096];
    do                              //  the first trade went out until one was printed: skip its copies
        assert_true(e2e_read_line(&f->monitor, line, sizeof line, e2e_now_ms() + 5000));
    while (strstr(line, "2350.1"));
    //  The forged one took a sequence number the monitor never accepted:
    //  a gap of exactly 1, then the real trade.
    assert_string_equal(line, "! gap gateway-md md.trade.GC. missing=1");
    assert_true(e2e_read_line(&f->monitor, line, sizeof line, e2e_now_ms() + 5000));
    assert_null(strstr(line, "9999"));
    assert_non_null(strstr(line, "2351.2"));
    //  gateway-md restarts on the same endpoint: read on.
    ofts_bus_destroy(&md);
    md = s_publisher(f, f->key);
    s_until_printed(f, md, 2352300000000LL, "2352.3");
    ofts_bus_destroy(&md);
    assert_int_equal(e2e_stop(&f->monitor, SIGTERM, 3000), 0);
    f->monitor.pid = 0;
    assert_int_equal(e2e_count_lines(f->log, "reading publisher gateway-md at") > 0, direct);
    assert_true(e2e_count_lines(f->log, "bad MAC") >= 1);
    assert_true(e2e_count_lines(f->log, "restarted (new epoch)") >= 1);
}

static void
t_own_reader(void **state)
{
    s_reads_and_checks(*state, true);
}

static void
t_zmq_reader(void **state)
{
    s_reads_and_checks(*state, false);
}

int
main(void)
{
    ofts_log_init("test-e2e-monitor-reader", OFTS_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(t_own_reader, s_setup_own, s_teardown),
        cmocka_unit_test_setup_teardown(t_zmq_reader, s_setup_zmq, s_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    zsys_shutdown();
    return rc;
}
