/*  live_run: gateway-md's live mode end to end. A child process runs the
    service shell + live_run against ofts-mock-databento-live; the test
    subscribes to its bus and checks the trades it publishes (mock record i:
    GCZ6, price 2000.0 + i*0.1, size 1 + i%5, buyer on even i, seq i+1).    */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "live_run.h"
#include "net_mockproc.h"
#include "ofts_bus.h"
#include "ofts_log.h"

#define KEY "db-RunKeyRunKeyRunKeyRunKeyRun77"

static char s_dir[64], s_cfg[128], s_ep[160];

static void s_write_config(int port)
{
    snprintf(s_cfg, sizeof s_cfg, "%s/ofts.json", s_dir);
    snprintf(s_ep, sizeof s_ep, "ipc://%s/md.ipc", s_dir);
    FILE *f = fopen(s_cfg, "w");
    fprintf(f, "{\"bus\": {\"endpoints\": {\"gateway-md\": {\"pub\": \"%s\"}}},\n"
               " \"gateway_md\": {\"live\": {\"host\": \"127.0.0.1\", \"port\": %d, \"symbols\": [\"GC.FUT\"],\n"
               "   \"schemas\": [\"trades\"], \"backoff_min_ms\": 50, \"backoff_max_ms\": 200}}}\n",
            s_ep, port);
    fclose(f);
}

//  The child: what main.c does in live mode.
static pid_t s_spawn_gateway(const char *key)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    setenv("DATABENTO_API_KEY", key, 1);
    char *argv[] = { "ofts-gateway-md", "--config", s_cfg, NULL };
    ofts_service_t *svc = ofts_service_new("gateway-md", 3, argv);
    if (!svc)
        _exit(ofts_service_exit_code());
    ofts_cfgsec_t *sec = ofts_config_section(ofts_service_config(svc), "gateway_md");
    live_client_config_t cfg;
    live_client_config_read(&cfg, sec);
    if (ofts_service_config_done(svc, &sec)) {
        ofts_service_destroy(&svc);
        _exit(2);
    }
    int rc = live_run(svc, &cfg, NULL);
    ofts_service_destroy(&svc);
    _exit(rc);
}

static int s_wait_exit(pid_t pid, int timeout_ms)
{
    int status = 0;
    int64_t deadline = mockproc_now_ms() + timeout_ms;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (mockproc_now_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        usleep(10000);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_publishes_trades(void **state)
{
    (void) state;
    mockproc_t m;
    const char *margv[] = { "ofts-mock-databento-live", "--key", KEY, "--records", "3000", "--interval-ms", "5",
                            "--heartbeat-ms", "200", NULL };
    assert_int_equal(mockproc_start(&m, margv, 5000), 0);
    s_write_config(m.port);
    pid_t gw = s_spawn_gateway(KEY);
    assert_true(gw > 0);

    ofts_bus_t *bus = ofts_bus_new("test");
    assert_int_equal(ofts_bus_connect(bus, s_ep), 0);
    ofts_bus_subscribe(bus, "md.trade.");
    int got = 0;
    int64_t deadline = mockproc_now_ms() + 15000;
    while (got < 20 && mockproc_now_ms() < deadline) {
        char topic[64];
        Ofts__Envelope *env = ofts_bus_recv(bus, topic, sizeof topic, 200);
        if (!env)
            continue;
        assert_string_equal(topic, "md.trade.GC.");
        assert_int_equal(env->body_case, OFTS__ENVELOPE__BODY_TRADE);
        Ofts__Trade *t = env->trade;
        uint64_t i = t->exchange_seq - 1;
        assert_string_equal(t->symbol, "GC");
        assert_string_equal(t->contract, "GCZ6");
        assert_int_equal(t->instrument_id, 1001);
        assert_int_equal(t->price, 2000000000000LL + (int64_t) i * 100000000LL);
        assert_int_equal(t->size, 1 + i % 5);
        assert_int_equal(t->aggressor, i % 2 ? OFTS__SIDE__SIDE_SELL : OFTS__SIDE__SIDE_BUY);
        assert_int_equal(env->header->ts_event, (int64_t) (1764547200000000000ULL + i * 1000000ULL));
        assert_string_equal(env->header->source, "gateway-md");
        got++;
        ofts__envelope__free_unpacked(env, NULL);
    }
    assert_int_equal(got, 20);
    ofts_bus_destroy(&bus);
    kill(gw, SIGTERM);
    assert_int_equal(s_wait_exit(gw, 10000), 0);
    mockproc_stop(&m);
}

//  A rejected key is fatal (exit 3): `ofts up` must not restart into it.
static void test_rejected_exits_fatal(void **state)
{
    (void) state;
    mockproc_t m;
    const char *margv[] = { "ofts-mock-databento-live", "--key", KEY, NULL };
    assert_int_equal(mockproc_start(&m, margv, 5000), 0);
    s_write_config(m.port);
    pid_t gw = s_spawn_gateway("db-NotTheKeyNotTheKeyNotTheKey00");
    assert_int_equal(s_wait_exit(gw, 10000), OFTS_EXIT_FATAL);
    mockproc_stop(&m);
}

//  The real binary: ofts-gateway-md --live, and the guard on config-only live.
static pid_t s_exec_gateway(const char *key, const char *extra)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    setenv("DATABENTO_API_KEY", key, 1);
    char bin[512];
    snprintf(bin, sizeof bin, "%s/ofts-gateway-md", getenv("OFTS_BIN") ? getenv("OFTS_BIN") : ".");
    char *argv[] = { "ofts-gateway-md", "--config", s_cfg, (char *) extra, NULL };
    execv(bin, argv);
    _exit(127);
}

static void test_binary_live(void **state)
{
    (void) state;
    mockproc_t m;
    const char *margv[] = { "ofts-mock-databento-live", "--key", KEY, "--records", "3000", "--interval-ms", "5", NULL };
    assert_int_equal(mockproc_start(&m, margv, 5000), 0);
    s_write_config(m.port);
    pid_t gw = s_exec_gateway(KEY, "--live");
    ofts_bus_t *bus = ofts_bus_new("test");
    assert_int_equal(ofts_bus_connect(bus, s_ep), 0);
    ofts_bus_subscribe(bus, "md.trade.GC.");
    int got = 0;
    int64_t deadline = mockproc_now_ms() + 15000;
    while (got < 5 && mockproc_now_ms() < deadline) {
        char topic[64];
        Ofts__Envelope *env = ofts_bus_recv(bus, topic, sizeof topic, 200);
        if (!env)
            continue;
        uint64_t i = env->trade->exchange_seq - 1;
        assert_int_equal(env->trade->price, 2000000000000LL + (int64_t) i * 100000000LL);
        got++;
        ofts__envelope__free_unpacked(env, NULL);
    }
    assert_int_equal(got, 5);
    ofts_bus_destroy(&bus);
    kill(gw, SIGTERM);
    assert_int_equal(s_wait_exit(gw, 10000), 0);
    mockproc_stop(&m);

    //  mode "live" in the config with the default (Databento) host and no
    //  --live: refused before any connection
    FILE *f = fopen(s_cfg, "w");
    fprintf(f, "{\"bus\": {\"endpoints\": {\"gateway-md\": {\"pub\": \"%s\"}}},"
               " \"gateway_md\": {\"mode\": \"live\"}}\n", s_ep);
    fclose(f);
    gw = s_exec_gateway(KEY, NULL);
    assert_int_equal(s_wait_exit(gw, 10000), 2);

    //  --check-config knows both of our sub-sections
    f = fopen(s_cfg, "w");
    fprintf(f, "{\"gateway_md\": {\"files\": [\"%s\"], \"live\": {\"port\": 13000, \"schemas\": [\"trades\"]},"
               " \"historical\": {\"base_url\": \"http://127.0.0.1:1\", \"max_retries\": 2}}}\n", s_cfg);
    fclose(f);
    gw = s_exec_gateway(KEY, "--check-config");
    assert_int_equal(s_wait_exit(gw, 10000), 0);
    f = fopen(s_cfg, "w");
    fprintf(f, "{\"gateway_md\": {\"historical\": {\"base_url\": \"ftp://x\"}}}\n");
    fclose(f);
    gw = s_exec_gateway(KEY, "--check-config");
    assert_int_equal(s_wait_exit(gw, 10000), 2);
}

static int s_setup(void **state)
{
    (void) state;
    snprintf(s_dir, sizeof s_dir, "/tmp/ofts-liverun-XXXXXX");
    return mkdtemp(s_dir) ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void) state;
    char p[200];
    snprintf(p, sizeof p, "%s/md.ipc", s_dir);
    unlink(p);
    unlink(s_cfg);
    rmdir(s_dir);
    return 0;
}

int main(void)
{
    ofts_log_init("test-live-run", OFTS_LOG_INFO);
    //  The in-process child reads only gateway_md.live: no layering over
    //  the defaults, whose other gateway_md keys it would call unknown.
    setenv("OFTS_DEFAULTS", "none", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_publishes_trades),
        cmocka_unit_test(test_rejected_exits_fatal),
        cmocka_unit_test(test_binary_live),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
