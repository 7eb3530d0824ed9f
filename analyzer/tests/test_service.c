/*  ofts-analyzer as a process: config errors exit 2 with the one-line
    message; on the bus (ipc:// in a mkdtemp dir) a GC buy burst from a fake
    gateway-md gives exactly one of.signal.GC. with the expected id, prices
    and reasons, plus of.metrics.GC.; SIGTERM stops it cleanly (exit 0).
    Every wait has a deadline; the child is always killed and reaped.      */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "of_test.h"
#include "ofts_bus.h"
#include "ofts_ctl.h"
#include "ofts_trust.h"

#define T0 SEC(1796076000)      //  Mon 2026-11-30 10:00 CST

static char s_dir[64];
static char s_bin[512];

static void
s_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static pid_t
s_spawn(const char *config, const char *extra, const char *err_path)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = err_path ? open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600) : -1;
        if (fd >= 0)
            dup2(fd, 2);
        if (extra)
            execl(s_bin, s_bin, "--config", config, extra, (char *) NULL);
        else
            execl(s_bin, s_bin, "--config", config, (char *) NULL);
        _exit(127);
    }
    return pid;
}

//  Wait for the child with a deadline; kill it if it overstays. Exit code.
static int
s_reap(pid_t pid, int timeout_ms)
{
    int status = 0;
    int64_t deadline = zclock_mono() + timeout_ms;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (zclock_mono() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        zclock_sleep(10);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
s_config(const char *path, const char *analyzer)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"log\":{\"level\":\"info\"},"
             "\"bus\":{\"heartbeat_ms\":200,\"secret_file\":\"%s/bus.secret\",\"endpoints\":{"
             "\"gateway-md\":{\"pub\":\"ipc://%s/md\"},"
             "\"analyzer\":{\"pub\":\"ipc://%s/an\",\"ctl\":\"ipc://%s/anctl\"}}},"
             "\"analyzer\":%s}", s_dir, s_dir, s_dir, s_dir, analyzer);
    s_write(path, text);
}

static void
t_config_error(void **state)
{
    (void) state;
    char cfg[128], err[128];
    snprintf(cfg, sizeof cfg, "%s/bad.json", s_dir);
    snprintf(err, sizeof err, "%s/bad.err", s_dir);
    s_config(cfg, "{\"imbalance_treshold\":0.6}");
    pid_t pid = s_spawn(cfg, "--check-config", err);
    assert_int_equal(s_reap(pid, 10000), 2);
    char buf[1024] = "";
    FILE *f = fopen(err, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert_non_null(strstr(buf, "analyzer.imbalance_treshold: unknown key"));

    //  a good config passes --check-config
    snprintf(cfg, sizeof cfg, "%s/good.json", s_dir);
    s_config(cfg, "{\"preset\":\"conservative\"}");
    pid = s_spawn(cfg, "--check-config", NULL);
    assert_int_equal(s_reap(pid, 10000), 0);
}

static void
s_publish_trade(ofts_bus_t *md, int64_t ts, uint32_t size, Ofts__Side side)
{
    Ofts__Trade t = t_trade("GC", "GCZ6", P("2350.1"), size, side);
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_TRADE;
    env.trade = &t;
    assert_int_equal(ofts_bus_publish_ts(md, "md.trade.GC.", &env, ts, ts + 1000), 0);
}

//  Start the analyzer with this "analyzer" section, a fake gateway-md PUB
//  and a SUB on of.*; returns once its metrics come back (slow joiner), or
//  kills it and fails.
static pid_t
s_start(const char *analyzer, ofts_bus_t **md_p, ofts_bus_t **sub_p)
{
    char cfg[128], md_ep[128], an_ep[128];
    snprintf(cfg, sizeof cfg, "%s/run.json", s_dir);
    snprintf(md_ep, sizeof md_ep, "ipc://%s/md", s_dir);
    snprintf(an_ep, sizeof an_ep, "ipc://%s/an", s_dir);
    s_config(cfg, analyzer);
    char secret[160];
    snprintf(secret, sizeof secret, "%s/bus.secret", s_dir);
    assert_int_equal(ofts_trust_use_secret_file(secret), 0);
    ofts_bus_t *md = ofts_bus_new("gateway-md");
    ofts_bus_set_secret(md, ofts_trust_process_secret());
    assert_int_equal(ofts_bus_bind(md, md_ep), 0);
    ofts_bus_t *sub = ofts_bus_new("test");
    assert_int_equal(ofts_bus_connect(sub, an_ep), 0);
    ofts_bus_subscribe(sub, "of.");
    pid_t pid = s_spawn(cfg, NULL, NULL);

    //  Slow joiner: quote until the analyzer's metrics come back.
    char topic[256];
    bool joined = false;
    int64_t deadline = zclock_mono() + 15000;
    while (!joined && zclock_mono() < deadline) {
        Ofts__TopOfBook b = t_bbo("GC", "GCZ6", P("2350.0"), 10, P("2350.1"), 5);
        Ofts__Envelope env = OFTS__ENVELOPE__INIT;
        env.body_case = OFTS__ENVELOPE__BODY_BBO;
        env.bbo = &b;
        ofts_bus_publish_ts(md, "md.bbo.GC.", &env, T0, T0);
        Ofts__Envelope *got = ofts_bus_recv(sub, topic, sizeof topic, 100);
        if (got) {
            joined = strcmp(topic, "of.metrics.GC.") == 0
                  && got->body_case == OFTS__ENVELOPE__BODY_METRICS
                  && got->metrics->microprice == P("2350.066666667");   //  (2350.0*5 + 2350.1*10)/15
            ofts__envelope__free_unpacked(got, NULL);
        }
    }
    if (!joined) {
        kill(pid, SIGKILL);
        s_reap(pid, 5000);
    }
    assert_true(joined);
    //  let withheld metrics of the join go out, then start clean
    zclock_sleep(600);
    Ofts__Envelope *got;
    while ((got = ofts_bus_recv(sub, topic, sizeof topic, 0)))
        ofts__envelope__free_unpacked(got, NULL);
    *md_p = md;
    *sub_p = sub;
    return pid;
}

typedef struct {
    int metrics, signals;
    int64_t delta;
    char signal_id[96];
} s_snap_t;

static void
s_on_item(void *arg, const char *topic, Ofts__Envelope *env)
{
    s_snap_t *snap = arg;
    if (env->body_case == OFTS__ENVELOPE__BODY_METRICS && strcmp(topic, "of.metrics.GC.") == 0) {
        snap->metrics++;
        snap->delta = env->metrics->cumulative_delta;
    }
    else if (env->body_case == OFTS__ENVELOPE__BODY_SIGNAL && strcmp(topic, "of.signal.GC.") == 0) {
        snap->signals++;
        snprintf(snap->signal_id, sizeof snap->signal_id, "%s", env->signal->id);
    }
}

static void
t_signal_on_the_bus(void **state)
{
    (void) state;
    ofts_bus_t *md, *sub;
    pid_t pid = s_start("{\"metrics_per_second\":0}", &md, &sub);
    char topic[256];
    int64_t deadline;
    //  The engine burst: 25 buy 60-lots, one a second -> one signal at the 20th
    for (int i = 0; i < 25; i++)
        s_publish_trade(md, T0 + SEC(1 + i), 60, OFTS__SIDE__SIDE_BUY);
    int signals = 0, metrics = 0;
    int64_t last_cd = 0;
    char id[96] = "", reasons[512] = "", sig_topic[64] = "", source[32] = "";
    Ofts__Signal sig = OFTS__SIGNAL__INIT;
    int64_t sig_ts_event = 0, sig_ts_recv = 0;
    deadline = zclock_mono() + 10000;
    while (zclock_mono() < deadline && (signals == 0 || last_cd != 1500)) {
        Ofts__Envelope *got = ofts_bus_recv(sub, topic, sizeof topic, 100);
        if (!got)
            continue;
        if (got->body_case == OFTS__ENVELOPE__BODY_SIGNAL) {
            signals++;
            sig = *got->signal;
            snprintf(id, sizeof id, "%s", sig.id);
            snprintf(reasons, sizeof reasons, "%s", sig.reasons);
            snprintf(sig_topic, sizeof sig_topic, "%s", topic);
            snprintf(source, sizeof source, "%s", got->header->source);
            sig_ts_event = got->header->ts_event;
            sig_ts_recv = got->header->ts_recv;
        }
        else if (got->body_case == OFTS__ENVELOPE__BODY_METRICS) {
            metrics++;
            last_cd = got->metrics->cumulative_delta;
        }
        ofts__envelope__free_unpacked(got, NULL);
    }
    //  A late subscriber's snapshot: the latest metrics and the last signal
    char ctl_ep[128];
    snprintf(ctl_ep, sizeof ctl_ep, "ipc://%s/anctl", s_dir);
    s_snap_t all = { 0 }, sig_only = { 0 };
    uint64_t seq = 0;
    int snap_rc = ofts_ctl_snapshot(ctl_ep, "of.", 5000, s_on_item, &all, &seq);
    int snap_rc2 = ofts_ctl_snapshot(ctl_ep, "of.signal.", 5000, s_on_item, &sig_only, &seq);

    kill(pid, SIGTERM);
    int rc = s_reap(pid, 10000);
    ofts_bus_destroy(&sub);
    ofts_bus_destroy(&md);

    assert_int_equal(snap_rc, 0);
    assert_int_equal(all.metrics, 1);
    assert_int_equal(all.delta, 1500);
    assert_int_equal(all.signals, 1);
    assert_string_equal(all.signal_id, "GC-1796076020000000000-1");
    assert_int_equal(snap_rc2, 0);
    assert_int_equal(sig_only.metrics, 0);
    assert_int_equal(sig_only.signals, 1);
    assert_true(seq > 0);

    assert_int_equal(signals, 1);
    assert_string_equal(sig_topic, "of.signal.GC.");
    assert_string_equal(id, "GC-1796076020000000000-1");
    assert_int_equal(sig.direction, OFTS__SIDE__SIDE_BUY);
    assert_int_equal(sig.entry, P("2350.1"));
    assert_int_equal(sig.stop, P("2345.1"));
    assert_int_equal(sig.take_profit, P("2360.1"));
    //  20 x 60 = 1200 > 1000; depth (10-5)/15 = 0.33 > 0.2: 0.4+0.2+0.2+0.1
    assert_true(sig.confidence == 0.9);
    assert_string_equal(reasons, "Strong buy imbalance: 1.00; Positive cumulative delta: 1,200; "
                        "Aggressive buying: 1.00; Bid depth imbalance: 0.33");
    assert_int_equal(sig_ts_event, T0 + SEC(20));
    assert_int_equal(sig_ts_recv, T0 + SEC(20) + 1000);
    assert_string_equal(source, "analyzer");
    assert_int_equal(last_cd, 1500);
    assert_true(metrics >= 25);
    assert_int_equal(rc, 0);
}

//  metrics_per_second 2: a 200-trade burst gives a handful of metrics, and
//  the last state still arrives (flushed by the timer).
static void
t_metrics_throttled(void **state)
{
    (void) state;
    ofts_bus_t *md, *sub;
    pid_t pid = s_start("{\"metrics_per_second\":2}", &md, &sub);
    //  alternating buy 2-lots and sell 1-lots: imbalance (200-100)/300 = 0.33, no signal
    for (int i = 0; i < 200; i++)
        s_publish_trade(md, T0 + SEC(1) + i, i % 2 ? 1 : 2, i % 2 ? OFTS__SIDE__SIDE_SELL : OFTS__SIDE__SIDE_BUY);
    //  delta = 100 * 2 - 100 * 1 = 100
    char topic[256];
    int metrics = 0;
    int64_t last_cd = 0;
    uint64_t last_trades = 0;
    int64_t deadline = zclock_mono() + 10000;
    while (zclock_mono() < deadline && last_trades != 200) {
        Ofts__Envelope *got = ofts_bus_recv(sub, topic, sizeof topic, 100);
        if (!got)
            continue;
        if (got->body_case == OFTS__ENVELOPE__BODY_METRICS) {
            metrics++;
            last_cd = got->metrics->cumulative_delta;
            last_trades = got->metrics->window_trades;
        }
        ofts__envelope__free_unpacked(got, NULL);
    }
    kill(pid, SIGTERM);
    int rc = s_reap(pid, 10000);
    ofts_bus_destroy(&sub);
    ofts_bus_destroy(&md);
    assert_int_equal(last_trades, 200);
    assert_int_equal(last_cd, 100);
    assert_true(metrics >= 1);
    assert_true(metrics <= 12);         //  200 updates, at most 2/s over a few seconds
    assert_int_equal(rc, 0);
}

static int
s_setup(void **state)
{
    (void) state;
    const char *bin = getenv("OFTS_BIN");
    snprintf(s_bin, sizeof s_bin, "%s/ofts-analyzer", bin ? bin : "bin");
    snprintf(s_dir, sizeof s_dir, "/tmp/ofts-analyzer-XXXXXX");
    return mkdtemp(s_dir) ? 0 : -1;
}

static int
s_teardown(void **state)
{
    (void) state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_config_error),
        cmocka_unit_test(t_signal_on_the_bus),
        cmocka_unit_test(t_metrics_throttled),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
