/*  Issue 11 part 1 with the real binaries: only risk can cause an order.

    The test process plays the attacker: a local process that binds a free
    service endpoint (gateway-md's, or risk's after a kill -9) and publishes
    OrderRequests, Commands and Fills there, with and without the bus
    secret; and a client that sends commands without the operator
    credential. Under CURVE it holds gateway-md's and the monitor's keys.
    Each attack here worked before the ownership checks (docs/security.md). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "e2e_util.h"
#include "ofts_bus.h"
#include "ofts_config.h"
#include "ofts_ctl.h"
#include "ofts_curve.h"
#include "ofts_log.h"
#include "ofts_trust.h"

typedef struct {
    char *dir;
    char *config;
    char log[600];
    e2e_proc_t proc;
} svc_t;

static void
s_start(svc_t *s, const char *name, const char *config)
{
    char bin[1024], exe[64];
    snprintf(exe, sizeof exe, "ofts-%s", name);
    snprintf(s->log, sizeof s->log, "%s/%s.stderr", s->dir, name);
    char *argv[] = { (char *) e2e_bin(exe, bin, sizeof bin), "--config", (char *) config, NULL };
    assert_int_equal(e2e_spawn(&s->proc, argv, false, s->log), 0);
}

static bool
s_logged(const svc_t *s, const char *needle)
{
    return e2e_count_lines(s->log, needle) > 0;
}

static Ofts__Envelope
s_order(Ofts__OrderRequest *req, const char *coid, const char *symbol)
{
    ofts__order_request__init(req);
    req->client_order_id = (char *) coid;
    req->signal_id = (char *) coid;
    req->symbol = (char *) symbol;
    req->side = OFTS__SIDE__SIDE_BUY;
    req->quantity = 1;
    req->type = OFTS__ORDER_TYPE__ORDER_TYPE_MARKET;
    //  A complete bracket, so gateway-order would place it if it took it.
    int64_t px = strcmp(symbol, "NQ") == 0 ? 20000 : 2350;
    req->entry = px * 1000000000LL;
    req->stop = (px - 10) * 1000000000LL;
    req->take_profit = (px + 20) * 1000000000LL;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_ORDER_REQUEST;
    env.order_request = req;
    return env;
}

static void
s_publish_order(ofts_bus_t *bus, const char *topic, const char *coid, const char *symbol)
{
    Ofts__OrderRequest req;
    Ofts__Envelope env = s_order(&req, coid, symbol);
    ofts_bus_publish(bus, topic, &env);
}

static void
s_publish_command(ofts_bus_t *bus, const char *topic, Ofts__CommandType type)
{
    Ofts__Command cmd = OFTS__COMMAND__INIT;
    cmd.type = type;
    cmd.reason = "rogue";
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_COMMAND;
    env.command = &cmd;
    ofts_bus_publish(bus, topic, &env);
}

static void
s_publish_fill(ofts_bus_t *bus, const char *topic)
{
    Ofts__Fill fill = OFTS__FILL__INIT;
    fill.fill_id = "rogue-fill";
    fill.client_order_id = "rogue-order";
    fill.symbol = "GC";
    fill.side = OFTS__SIDE__SIDE_SELL;
    fill.quantity = 5;
    fill.price = 1;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_FILL;
    env.fill = &fill;
    ofts_bus_publish(bus, topic, &env);
}

static void
s_store(const svc_t *s, char *buf, size_t size)
{
    snprintf(buf, size, "%s/var/gateway-order.db", s->dir);
}

//  A rogue on gateway-md's free endpoint, unsigned and then with the bus
//  secret (a compromised gateway-md): no OrderRequest, under any topic, and
//  no Command on an md topic (it undid a kill) gets through.
static void
t_rogue_md_publisher(void **state)
{
    (void) state;
    ofts_trust_set_process_secret(NULL);
    svc_t go = { .dir = e2e_tempdir("trust-md") };
    go.config = e2e_write_config(go.dir, "{\"gateway_order\": {\"tick_ms\": 50}}");
    s_start(&go, "gateway-order", go.config);
    char secret[600], md_ep[600], risk_ep[600], ctl_ep[600], store[600];
    snprintf(secret, sizeof secret, "%s/var/bus.secret", go.dir);
    snprintf(md_ep, sizeof md_ep, "ipc://%s/gateway-md.pub", go.dir);
    snprintf(risk_ep, sizeof risk_ep, "ipc://%s/risk.pub", go.dir);
    snprintf(ctl_ep, sizeof ctl_ep, "ipc://%s/gateway-order.ctl", go.dir);
    s_store(&go, store, sizeof store);
    int64_t deadline = e2e_now_ms() + 20000;
    struct stat st;
    while (stat(secret, &st) != 0 && e2e_now_ms() < deadline)
        usleep(20000);
    assert_int_equal(ofts_trust_use_secret_file(secret), 0);

    //  Control: risk's signed OrderRequest is placed.
    ofts_bus_t *risk = ofts_bus_new("risk");
    ofts_bus_set_secret(risk, ofts_trust_process_secret());
    assert_int_equal(ofts_bus_bind(risk, risk_ep), 0);
    while (e2e_sql_int(store, "SELECT count(*) FROM orders WHERE client_order_id LIKE 'legit-1%'") < 1) {
        assert_true(e2e_now_ms() < deadline);
        s_publish_order(risk, "risk.order.GC.", "legit-1", "GC");
        usleep(50000);
    }
    assert_false(s_logged(&go, "legit-1 GC: rejected"));
    //  The operator kills (signed ctl command).
    Ofts__Command kill_cmd = OFTS__COMMAND__INIT;
    kill_cmd.type = OFTS__COMMAND_TYPE__CMD_KILL;
    kill_cmd.reason = "operator";
    assert_int_equal(ofts_ctl_command(ctl_ep, &kill_cmd, 5000), 0);

    //  The rogue: unsigned, then signed like gateway-md itself.
    ofts_bus_t *rogue = ofts_bus_new("gateway-md");
    assert_int_equal(ofts_bus_bind(rogue, md_ep), 0);
    //  (risk.order. from gateway-md's endpoint is not even subscribed to:
    //  each publisher's socket subscribes only to that publisher's topics.)
    const char *reasons[] = { "dropped unsigned message", "dropped body type does not belong to the topic" };
    for (int round = 0; round < 2; round++) {
        if (round == 1)
            ofts_bus_set_secret(rogue, ofts_trust_process_secret());
        while (!s_logged(&go, reasons[round])) {
            assert_true(e2e_now_ms() < deadline);
            s_publish_order(rogue, "md.trade.NQ.", "rogue-1", "NQ");
            s_publish_command(rogue, "md.trade.GC.", OFTS__COMMAND_TYPE__CMD_RESUME);
            s_publish_order(rogue, "risk.order.NQ.", "rogue-2", "NQ");
            usleep(50000);
            assert_int_equal(e2e_sql_int(store, "SELECT count(*) FROM orders WHERE client_order_id LIKE 'rogue%'"), 0);
            assert_false(s_logged(&go, "entries accepted again"));
        }
    }
    //  Still halted: risk's next entry is refused, not placed.
    while (!s_logged(&go, "halted by a kill command")) {
        assert_true(e2e_now_ms() < deadline);
        s_publish_order(risk, "risk.order.GC.", "legit-2", "GC");
        usleep(50000);
    }
    assert_false(s_logged(&go, "entries accepted again"));
    assert_int_equal(e2e_sql_int(store, "SELECT count(*) FROM orders WHERE client_order_id LIKE 'rogue%'"), 0);
    ofts_bus_destroy(&rogue);
    ofts_bus_destroy(&risk);
    ofts_trust_set_process_secret(NULL);
    assert_int_equal(e2e_stop(&go.proc, SIGTERM, 10000), 0);
    e2e_rmtree(go.dir);
    free(go.config);
    free(go.dir);
}

static int
s_ofts_cmd(const char *config, const char *verb, const char *log)
{
    char ofts[1024];
    char *argv[] = { (char *) e2e_bin("ofts", ofts, sizeof ofts), "cmd", (char *) verb, "--config", (char *) config, NULL };
    return e2e_run(argv, log);
}

//  Fake fills from anyone but gateway-order never reach risk's journal; a
//  command without the operator credential is refused; `ofts cmd` with it
//  works, with another secret it is refused.
static void
t_risk_fills_and_commands(void **state)
{
    (void) state;
    ofts_trust_set_process_secret(NULL);
    svc_t rk = { .dir = e2e_tempdir("trust-risk") };
    rk.config = e2e_write_config(rk.dir, NULL);
    s_start(&rk, "risk", rk.config);
    char secret[600], md_ep[600], an_ep[600], go_ep[600], ctl_ep[600], journal[600], log[600];
    snprintf(secret, sizeof secret, "%s/var/bus.secret", rk.dir);
    snprintf(go_ep, sizeof go_ep, "ipc://%s/gateway-order.pub", rk.dir);
    snprintf(md_ep, sizeof md_ep, "ipc://%s/gateway-md.pub", rk.dir);
    snprintf(an_ep, sizeof an_ep, "ipc://%s/analyzer.pub", rk.dir);
    snprintf(ctl_ep, sizeof ctl_ep, "ipc://%s/risk.ctl", rk.dir);
    snprintf(journal, sizeof journal, "%s/var/risk.sqlite", rk.dir);
    snprintf(log, sizeof log, "%s/cmd.stderr", rk.dir);
    int64_t deadline = e2e_now_ms() + 20000;
    while (!s_logged(&rk, "started pid")) {
        assert_true(e2e_now_ms() < deadline);
        usleep(20000);
    }
    //  The operator kills with `ofts cmd` (it presents the credential).
    assert_int_equal(s_ofts_cmd(rk.config, "kill", log), 0);
    assert_true(s_logged(&rk, "kill: forwarding CMD_KILL"));
    const char *cmd_state = "SELECT value FROM state WHERE key='cmd_state'";
    assert_int_equal(e2e_sql_int(journal, cmd_state), OFTS__TRADING_STATE__STATE_HALTED);
    //  Fills from the analyzer's and gateway-md's endpoints (signed: a
    //  compromised service) under their topics, and an unsigned rogue on
    //  gateway-order's free endpoint under exec.fill.; and a RESUME Command
    //  sent as md.trade.GC. (it undid the kill before).
    ofts_bus_t *fake_go = ofts_bus_new("gateway-order");
    assert_int_equal(ofts_bus_bind(fake_go, go_ep), 0);
    assert_int_equal(ofts_trust_use_secret_file(secret), 0);
    ofts_bus_t *an = ofts_bus_new("analyzer"), *md = ofts_bus_new("gateway-md");
    ofts_bus_set_secret(an, ofts_trust_process_secret());
    ofts_bus_set_secret(md, ofts_trust_process_secret());
    assert_int_equal(ofts_bus_bind(an, an_ep), 0);
    assert_int_equal(ofts_bus_bind(md, md_ep), 0);
    while (!s_logged(&rk, "dropped unsigned message")
           || !s_logged(&rk, "dropped body type does not belong to the topic")) {
        assert_true(e2e_now_ms() < deadline);
        s_publish_fill(fake_go, "exec.fill.GC.");
        s_publish_fill(an, "of.signal.GC.");
        s_publish_fill(md, "md.trade.GC.");
        s_publish_command(md, "md.trade.GC.", OFTS__COMMAND_TYPE__CMD_RESUME);
        usleep(50000);
        assert_int_equal(e2e_sql_int(journal, "SELECT count(*) FROM fills"), 0);
        assert_int_equal(e2e_sql_int(journal, cmd_state), OFTS__TRADING_STATE__STATE_HALTED);
    }
    assert_int_equal(e2e_sql_int(journal, "SELECT count(*) FROM fills"), 0);

    //  No credential: refused at once (-2).
    ofts_trust_set_process_secret(NULL);
    Ofts__Command cmd = OFTS__COMMAND__INIT;
    cmd.type = OFTS__COMMAND_TYPE__CMD_RESUME;
    assert_int_equal(ofts_ctl_command(ctl_ep, &cmd, 5000), -2);
    assert_true(s_logged(&rk, "no operator credential"));
    assert_int_equal(ofts_trust_use_secret_file(secret), 0);

    assert_int_equal(e2e_sql_int(journal, cmd_state), OFTS__TRADING_STATE__STATE_HALTED);
    //  With another bus secret `ofts cmd` is refused.
    char other_dir[700], other_cfg_text[900];
    snprintf(other_dir, sizeof other_dir, "%s/other", rk.dir);
    mkdir(other_dir, 0700);
    snprintf(other_cfg_text, sizeof other_cfg_text, "{\"bus\": {\"secret_file\": \"%s/bus.secret\"}}", other_dir);
    uint8_t key[OFTS_TRUST_KEY_SIZE];
    char err[256], other_secret[800];
    snprintf(other_secret, sizeof other_secret, "%s/bus.secret", other_dir);
    assert_int_equal(ofts_trust_secret_load(other_secret, key, err, sizeof err), 0);
    char *other_cfg = e2e_write_config(other_dir, other_cfg_text);
    //  Same endpoints as risk's config: point the copy's risk.ctl at them.
    json_t *root = json_load_file(other_cfg, 0, NULL);
    json_object_set_new(json_object_get(json_object_get(json_object_get(root, "bus"), "endpoints"), "risk"), "ctl",
                        json_string(ctl_ep));
    json_dump_file(root, other_cfg, JSON_INDENT(2));
    json_decref(root);
    assert_int_equal(s_ofts_cmd(other_cfg, "resume", log), 2);        //  ofts cmd: 2 = refused
    assert_true(e2e_count_lines(log, "not authorized") > 0);

    ofts_bus_destroy(&an);
    ofts_bus_destroy(&md);
    ofts_bus_destroy(&fake_go);
    ofts_trust_set_process_secret(NULL);
    assert_int_equal(e2e_stop(&rk.proc, SIGTERM, 10000), 0);
    e2e_rmtree(rk.dir);
    free(other_cfg);
    free(rk.config);
    free(rk.dir);
}

//  An ephemeral TCP port on loopback.
static int
s_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET };
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    bind(fd, (struct sockaddr *) &sa, sizeof sa);
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *) &sa, &len);
    close(fd);
    return ntohs(sa.sin_port);
}

//  kill -9 risk, a rogue binds risk's TCP port first: the restarted risk
//  says it cannot bind and exits 2 (no restart loop), and gateway-order
//  places nothing the rogue sends.
static void
t_risk_port_hijack(void **state)
{
    (void) state;
    svc_t go = { .dir = e2e_tempdir("trust-hijack") };
    char risk_pub[64], risk_ctl[64], extra[512];
    snprintf(risk_pub, sizeof risk_pub, "tcp://127.0.0.1:%d", s_free_port());
    snprintf(risk_ctl, sizeof risk_ctl, "tcp://127.0.0.1:%d", s_free_port());
    snprintf(extra, sizeof extra,
             "{\"bus\": {\"endpoints\": {\"risk\": {\"pub\": \"%s\", \"ctl\": \"%s\"}}},"
             " \"gateway_order\": {\"tick_ms\": 50}}", risk_pub, risk_ctl);
    go.config = e2e_write_config(go.dir, extra);
    //  e2e_write_config merges one level deep: put the whole endpoints back.
    json_t *root = json_load_file(go.config, 0, NULL);
    json_t *eps = json_object_get(json_object_get(root, "bus"), "endpoints");
    char ep[700];
    const char *names[] = { "gateway-md", "analyzer", "gateway-order", "monitor" };
    for (int i = 0; i < 4; i++) {
        snprintf(ep, sizeof ep, "ipc://%s/%s.pub", go.dir, names[i]);
        json_t *one = json_pack("{s:s}", "pub", ep);
        if (i == 2) {
            snprintf(ep, sizeof ep, "ipc://%s/gateway-order.ctl", go.dir);
            json_object_set_new(one, "ctl", json_string(ep));
        }
        json_object_set_new(eps, names[i], one);
    }
    json_dump_file(root, go.config, JSON_INDENT(2));
    json_decref(root);

    svc_t rk = { .dir = go.dir };
    s_start(&go, "gateway-order", go.config);
    s_start(&rk, "risk", go.config);
    int64_t deadline = e2e_now_ms() + 30000;
    while (!s_logged(&rk, "reconciled with gateway-order")) {
        assert_true(e2e_now_ms() < deadline);
        usleep(20000);
    }
    assert_true(kill(rk.proc.pid, SIGKILL) == 0);
    waitpid(rk.proc.pid, NULL, 0);
    rk.proc.pid = 0;

    ofts_bus_t *rogue = ofts_bus_new("risk");
    assert_int_equal(ofts_bus_bind(rogue, risk_pub), 0);
    zsock_t *rogue_ctl = zsock_new_router(risk_ctl);
    assert_non_null(rogue_ctl);

    //  The real risk, started again, cannot have its endpoint.
    svc_t again = { .dir = go.dir };
    s_start(&again, "risk", go.config);
    snprintf(again.log, sizeof again.log, "%s/risk.stderr", go.dir);
    int status = e2e_wait_exit(&again.proc, 30000);
    assert_true(status >= 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 2);
    assert_true(s_logged(&again, "another process holds"));

    //  The rogue's OrderRequests, on risk's own topic and claiming to be risk.
    char store[600];
    s_store(&go, store, sizeof store);
    while (!s_logged(&go, "dropped unsigned message")) {
        assert_true(e2e_now_ms() < deadline);
        s_publish_order(rogue, "risk.order.GC.", "rogue-hijack", "GC");
        usleep(50000);
        assert_int_equal(e2e_sql_int(store, "SELECT count(*) FROM orders"), 0);
    }
    assert_int_equal(e2e_sql_int(store, "SELECT count(*) FROM orders"), 0);
    zsock_destroy(&rogue_ctl);
    ofts_bus_destroy(&rogue);
    assert_int_equal(e2e_stop(&go.proc, SIGTERM, 10000), 0);
    e2e_rmtree(go.dir);
    free(go.config);
    free(go.dir);
}

static int
s_keys(const char *dir, const char *names)
{
    char ofts[1024], cmd[4096];
    snprintf(cmd, sizeof cmd, "%s keys %s %s >/dev/null", e2e_bin("ofts", ofts, sizeof ofts), dir, names);
    return system(cmd);
}

//  Under CURVE: gateway-md's own key cannot place an order; the monitor's
//  key cannot command; the operator's ("ofts") can.
static void
t_curve_per_key_powers(void **state)
{
    (void) state;
    svc_t go = { .dir = e2e_tempdir("trust-curve") };
    char certs[600], extra[1024];
    snprintf(certs, sizeof certs, "%s/certs", go.dir);
    assert_int_equal(s_keys(certs, "gateway-md analyzer risk gateway-order monitor recorder ofts"), 0);
    snprintf(extra, sizeof extra,
             "{\"bus\": {\"curve\": {\"enabled\": true, \"cert_dir\": \"%s\"}}, \"gateway_order\": {\"tick_ms\": 50}}",
             certs);
    go.config = e2e_write_config(go.dir, extra);
    svc_t rk = { .dir = go.dir };
    s_start(&go, "gateway-order", go.config);
    s_start(&rk, "risk", go.config);
    int64_t deadline = e2e_now_ms() + 30000;
    while (!s_logged(&rk, "started pid")) {
        assert_true(e2e_now_ms() < deadline);
        usleep(20000);
    }
    //  We hold gateway-md's certificate and bind its endpoint.
    char err[512];
    ofts_config_t *cfg = ofts_config_load(go.config, err, sizeof err);
    assert_non_null(cfg);
    ofts_curve_t *curve = NULL;
    assert_int_equal(ofts_curve_from_config(cfg, "gateway-md", &curve, err, sizeof err), 0);
    ofts_curve_set_process(curve);
    char md_ep[600], store[600];
    snprintf(md_ep, sizeof md_ep, "ipc://%s/gateway-md.pub", go.dir);
    s_store(&go, store, sizeof store);
    ofts_bus_t *md = ofts_bus_new("gateway-md");
    assert_int_equal(ofts_bus_bind(md, md_ep), 0);
    while (!s_logged(&go, "dropped body type does not belong to the topic")) {
        assert_true(e2e_now_ms() < deadline);
        s_publish_order(md, "md.trade.NQ.", "md-key-1", "NQ");
        s_publish_order(md, "risk.order.NQ.", "md-key-2", "NQ");
        usleep(50000);
        assert_int_equal(e2e_sql_int(store, "SELECT count(*) FROM orders"), 0);
    }
    assert_int_equal(e2e_sql_int(store, "SELECT count(*) FROM orders"), 0);
    ofts_bus_destroy(&md);
    ofts_curve_set_process(NULL);
    ofts_curve_destroy(&curve);
    ofts_config_destroy(&cfg);

    //  The monitor's key reads but cannot command; the operator's can.
    char mon_cfg[700], log[700];
    snprintf(mon_cfg, sizeof mon_cfg, "%s/monitor-key.json", go.dir);
    snprintf(log, sizeof log, "%s/cmd.stderr", go.dir);
    json_t *root = json_load_file(go.config, 0, NULL);
    json_object_set_new(json_object_get(json_object_get(root, "bus"), "curve"), "identity", json_string("monitor"));
    json_dump_file(root, mon_cfg, JSON_INDENT(2));
    json_decref(root);
    const char *verbs[] = { "kill", "resume", "flatten" };
    for (int i = 0; i < 3; i++)
        assert_int_equal(s_ofts_cmd(mon_cfg, verbs[i], log), 2);       //  refused, not "no answer"
    assert_int_equal(e2e_count_lines(log, "ofts: risk refused"), 3);
    assert_true(s_logged(&rk, "client key is not an operator key"));
    assert_int_equal(s_ofts_cmd(go.config, "pause", log), 0);

    assert_int_equal(e2e_stop(&rk.proc, SIGTERM, 10000), 0);
    assert_int_equal(e2e_stop(&go.proc, SIGTERM, 10000), 0);
    e2e_rmtree(go.dir);
    free(go.config);
    free(go.dir);
}

//  `ofts up`: broker credentials reach gateway-order only, the market data
//  key gateway-md only; logs, journal, store and secret are private.
static void
t_secrets_and_modes(void **state)
{
    (void) state;
    char *dir = e2e_tempdir("trust-up");
    char *sim = e2e_sim_file(dir, "market.dbn.zst", 0.2, 5);
    assert_non_null(sim);
    char extra[1200];
    snprintf(extra, sizeof extra,
             "{\"up\": {\"services\": [\"gateway-order\", \"risk\", \"gateway-md\"],"
             " \"args\": {\"gateway-md\": [\"--replay\", \"%s\", \"--linger\"]}}}", sim);
    char *config = e2e_write_config(dir, extra);
    setenv("TOPSTEPX_API_KEY", "px-secret", 1);
    setenv("TOPSTEPX_USERNAME", "px-user", 1);
    setenv("DATABENTO_API_KEY", "db-secret", 1);
    char ofts[1024], up_log[600];
    snprintf(up_log, sizeof up_log, "%s/up.stderr", dir);
    char *argv[] = { (char *) e2e_bin("ofts", ofts, sizeof ofts), "up", "--config", config, "--quiet", NULL };
    e2e_proc_t up;
    assert_int_equal(e2e_spawn(&up, argv, false, up_log), 0);
    unsetenv("TOPSTEPX_API_KEY");
    unsetenv("TOPSTEPX_USERNAME");
    unsetenv("DATABENTO_API_KEY");
    const char *names[] = { "gateway-order", "risk", "gateway-md" };
    const char *secrets[] = { "TOPSTEPX_API_KEY=", "TOPSTEPX_USERNAME=", "DATABENTO_API_KEY=" };
    int64_t deadline = e2e_now_ms() + 30000;
    for (int i = 0; i < 3; i++) {
        char exe[64];
        snprintf(exe, sizeof exe, "ofts-%s", names[i]);
        pid_t pid = 0;
        while (!(pid = e2e_child_pid(up.pid, exe))) {
            assert_true(e2e_now_ms() < deadline);
            usleep(20000);
        }
        char path[64], env[16384];
        snprintf(path, sizeof path, "/proc/%d/environ", (int) pid);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        size_t n = fread(env, 1, sizeof env - 1, f);
        fclose(f);
        int found = 0;
        for (size_t off = 0; off < n; off += strlen(env + off) + 1) {
            for (int k = 0; k < 3; k++)
                if (strncmp(env + off, secrets[k], strlen(secrets[k])) == 0) {
                    bool ok = (i == 0 && k < 2) || (i == 2 && k == 2);
                    if (!ok)
                        fail_msg("%s got %s", names[i], secrets[k]);
                    found++;
                }
        }
        assert_int_equal(found, i == 0 ? 2 : i == 2 ? 1 : 0);
    }
    //  Wait for the journal and the store, then check modes.
    char p[700];
    struct stat st;
    const char *files[] = { "var/risk.sqlite", "var/gateway-order.db", "var/bus.secret", "logs/risk.log",
                            "logs/orderflow_trading.log" };
    for (int i = 0; i < 5; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        while (stat(p, &st) != 0) {
            assert_true(e2e_now_ms() < deadline);
            usleep(20000);
        }
        if ((st.st_mode & 0777) != 0600)
            fail_msg("%s has mode %o", files[i], st.st_mode & 0777);
    }
    const char *dirs[] = { "var", "logs" };
    for (int i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, dirs[i]);
        assert_int_equal(stat(p, &st), 0);
        if ((st.st_mode & 0777) != 0700)
            fail_msg("%s has mode %o", dirs[i], st.st_mode & 0777);
    }
    e2e_stop(&up, SIGTERM, 15000);
    e2e_rmtree(dir);
    free(config);
    free(sim);
    free(dir);
}

int
main(void)
{
    ofts_log_init("test-e2e-trust", OFTS_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_rogue_md_publisher),
        cmocka_unit_test(t_risk_fills_and_commands),
        cmocka_unit_test(t_risk_port_hijack),
        cmocka_unit_test(t_curve_per_key_powers),
        cmocka_unit_test(t_secrets_and_modes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
