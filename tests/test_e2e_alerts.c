/*  Alerts end to end: `ofts up` with alerts.enabled replays a simulated
    market while the webhook (a local recording server) hangs every request.
    Orders must not wait for it: each approved entry reaches gateway-order
    as fast as without alerts (measured from the bus: risk.order's publish
    time to gateway-order's first exec.order for that id). Then the webhook
    recovers, and every approval and every entry / stop / target fill
    arrives there exactly once.

    Measured on the 2-core CI box under ASan, with four suites sharing it:
    see docs/alerts.md.                                                    */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "e2e_util.h"
#include "http_recorder.h"
#include "ofts_bus.h"
#include "ofts_log.h"

#define MAX_IDS 512

typedef struct {
    char id[64];
    int64_t approved_ns;            //  risk.order's ts_publish
    int64_t placed_ns;              //  first exec.order for it (0: none yet)
} approval_t;

typedef struct {
    approval_t approvals[MAX_IDS];
    int napprovals;
    char fills[MAX_IDS][40];        //  entry / stop / target fill ids
    int nfills;
} seen_t;

static void
s_on(seen_t *s, const char *topic, const Ofts__Envelope *env)
{
    int64_t ts = env->header ? env->header->ts_publish : 0;
    if (strncmp(topic, "risk.order.", 11) == 0 && !env->order_request->reduce_only && s->napprovals < MAX_IDS) {
        approval_t *a = &s->approvals[s->napprovals++];
        snprintf(a->id, sizeof a->id, "%s", env->order_request->client_order_id);
        a->approved_ns = ts;
    }
    else if (strncmp(topic, "exec.order.", 11) == 0 && env->order_update->role == OFTS__ORDER_ROLE__ROLE_ENTRY) {
        for (int i = 0; i < s->napprovals; i++)
            if (strcmp(s->approvals[i].id, env->order_update->client_order_id) == 0 && !s->approvals[i].placed_ns)
                s->approvals[i].placed_ns = ts;
    }
    else if (strncmp(topic, "exec.fill.", 10) == 0 && env->fill->role != OFTS__ORDER_ROLE__ROLE_FLATTEN
             && s->nfills < MAX_IDS)
        snprintf(s->fills[s->nfills++], sizeof s->fills[0], "%s", env->fill->fill_id);
}

static void
s_drain(ofts_bus_t *bus, seen_t *seen, int timeout_ms)
{
    char topic[256];
    Ofts__Envelope *env;
    while ((env = ofts_bus_recv(bus, topic, sizeof topic, timeout_ms))) {
        s_on(seen, topic, env);
        ofts__envelope__free_unpacked(env, NULL);
        timeout_ms = 0;
    }
}

//  The shared e2e config names the six core endpoints; alerts needs its own.
static void
s_add_alerts_endpoint(const char *cfg, const char *dir)
{
    json_t *root = json_load_file(cfg, 0, NULL);
    assert_non_null(root);
    char pub[512];
    snprintf(pub, sizeof pub, "ipc://%s/alerts.pub", dir);
    json_t *eps = json_object_get(json_object_get(root, "bus"), "endpoints");
    json_object_set_new(eps, "alerts", json_pack("{s:s}", "pub", pub));
    assert_int_equal(json_dump_file(root, cfg, JSON_INDENT(2)), 0);
    json_decref(root);
}

static void
t_alerts_never_delay_orders(void **state)
{
    (void) state;
    ofts_log_init("test-e2e-alerts", OFTS_LOG_WARN);
    char *dir = e2e_tempdir("alerts");
    char *sim = e2e_sim_file(dir, "market.dbn.zst", 4, 11);
    assert_non_null(sim);
    http_recorder_t *rec = http_recorder_new();
    assert_non_null(rec);
    http_recorder_hang_all(rec, 1);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", http_recorder_port(rec));
    setenv("OFTS_ALERT_WEBHOOK_URL", url, 1);
    char extra[4096];
    snprintf(extra, sizeof extra,
             "{\"up\":{\"args\":{\"gateway-md\":[\"--replay\",\"%s\",\"--speed\",\"20\"]}},"
             " \"gateway_md\":{\"start_delay_ms\":1500},"
             " \"risk\":{\"clock\":\"market\",\"cooldown_minutes\":1,\"max_orders_per_minute\":60},"
             " \"gateway_order\":{\"broker\":\"paper\"},"
             " \"alerts\":{\"enabled\":true,\"events\":[\"signal_approved\",\"entry_filled\",\"stop_hit\","
             "\"target_hit\"],\"per_minute\":0,\"timeout_ms\":30000,\"retry_min_ms\":100,\"retry_max_ms\":400,"
             "\"max_attempts\":1000}}", sim);
    char *cfg = e2e_write_config(dir, extra);
    s_add_alerts_endpoint(cfg, dir);
    char risk_ep[512], order_ep[512];
    snprintf(risk_ep, sizeof risk_ep, "ipc://%s/risk.pub", dir);
    snprintf(order_ep, sizeof order_ep, "ipc://%s/gateway-order.pub", dir);
    ofts_bus_t *bus = ofts_bus_new("test");
    assert_int_equal(ofts_bus_connect(bus, risk_ep), 0);
    assert_int_equal(ofts_bus_connect(bus, order_ep), 0);
    ofts_bus_subscribe(bus, "risk.order.");
    ofts_bus_subscribe(bus, "exec.order.");
    ofts_bus_subscribe(bus, "exec.fill.");
    char ofts[1024], errlog[1024];
    e2e_bin("ofts", ofts, sizeof ofts);
    snprintf(errlog, sizeof errlog, "%s/up.stderr", dir);
    e2e_proc_t up;
    char *up_argv[] = { ofts, "up", "--config", cfg, "--quiet", NULL };
    assert_int_equal(e2e_spawn(&up, up_argv, false, errlog), 0);
    unsetenv("OFTS_ALERT_WEBHOOK_URL");
    seen_t *seen = calloc(1, sizeof *seen);
    //  The replay runs while every webhook request hangs; it is over when
    //  gateway-md says "replay done" (and exits 0, not restarted).
    char mdlog[1024];
    snprintf(mdlog, sizeof mdlog, "%s/logs/gateway-md.log", dir);
    int64_t deadline = e2e_now_ms() + 120000;
    bool md_seen = false, alerts_seen = false;
    while (e2e_now_ms() < deadline && !md_seen) {
        s_drain(bus, seen, 200);
        if (e2e_wait_exit(&up, 0) != -1)
            fail_msg("`ofts up` stopped before the replay ended: see %s", errlog);
        alerts_seen |= e2e_child_pid(up.pid, "ofts-alerts") != 0;
        md_seen = e2e_count_lines(mdlog, "replay done") > 0;
    }
    assert_true(md_seen);
    assert_true(alerts_seen);
    //  gateway-order works through its md backlog after the replay: wait
    //  (bounded) until every approval has its entry order.
    for (int64_t until = e2e_now_ms() + 30000; e2e_now_ms() < until;) {
        s_drain(bus, seen, 200);
        int placed = 0;
        for (int i = 0; i < seen->napprovals; i++)
            placed += seen->approvals[i].placed_ns > 0;
        if (placed == seen->napprovals)
            break;
    }
    s_drain(bus, seen, 1000);                           //  fills of the last entries
    size_t hung = http_recorder_requests(rec);
    assert_int_equal(http_recorder_count(rec), 0);     //  nothing answered yet
    assert_true(hung >= 1);
    assert_true(seen->napprovals >= 1);
    int64_t worst = 0;
    for (int i = 0; i < seen->napprovals; i++) {
        approval_t *a = &seen->approvals[i];
        assert_true(a->placed_ns > 0);
        if (a->placed_ns - a->approved_ns > worst)
            worst = a->placed_ns - a->approved_ns;
    }
    fprintf(stderr, "%d approvals, %d fills while the webhook hung (%zu requests held); slowest approval -> "
            "gateway-order: %.1f ms\n", seen->napprovals, seen->nfills, hung, (double) worst / 1e6);
    //  The webhook hung all along with a 30 s time-out: an order that
    //  waited on it would take 30 s or never come. (Under ASan on a loaded
    //  2-core box gateway-order itself lags the fast replay by a few s.)
    assert_true(worst < 10000 * 1000000LL);
    http_recorder_hang_all(rec, 0);
    //  gateway-order may still fill (its md backlog): keep reading the bus
    //  until what arrived matches what happened, and stays so for 1 s.
    size_t want = 0;
    int64_t stable_since = 0;
    for (int64_t until = e2e_now_ms() + 30000; e2e_now_ms() < until;) {
        s_drain(bus, seen, 100);
        want = (size_t) (seen->napprovals + seen->nfills);
        if (http_recorder_count(rec) != want)
            stable_since = 0;
        else if (!stable_since)
            stable_since = e2e_now_ms();
        else if (e2e_now_ms() - stable_since > 1000)
            break;
    }
    assert_int_equal(http_recorder_count(rec), want);
    for (int i = 0; i < seen->napprovals; i++) {
        char needle[128];
        snprintf(needle, sizeof needle, "\"key\":\"signal:%s\"", seen->approvals[i].id);
        assert_int_equal(http_recorder_count_matching(rec, needle), 1);
    }
    for (int i = 0; i < seen->nfills; i++) {
        char needle[128];
        snprintf(needle, sizeof needle, "\"key\":\"fill:%s\"", seen->fills[i]);
        assert_int_equal(http_recorder_count_matching(rec, needle), 1);
    }
    fprintf(stderr, "%zu alerts arrived once each after the webhook recovered\n", want);
    assert_int_equal(e2e_stop(&up, SIGINT, 20000) >= 0, 1);
    ofts_bus_destroy(&bus);
    http_recorder_destroy(&rec);
    free(seen);
    free(cfg);
    free(sim);
    e2e_rmtree(dir);
    free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_alerts_never_delay_orders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
