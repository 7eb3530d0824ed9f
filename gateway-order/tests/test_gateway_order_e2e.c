/*  End to end: the real ofts-gateway-order on ipc:// endpoints in a temp dir,
    with this test standing in for risk (OrderRequests) and gateway-md
    (prices). Publish a bracketed market buy, see exec.order / exec.fill /
    exec.position; kill -9 the gateway; restart it; re-send the same
    OrderRequest: no second placement, the position is still reported (ctl
    snapshot), and the restored target still fills.                        */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ofts_bus.h"
#include "ofts_ctl.h"
#include "ofts_log.h"
#include "ofts_trust.h"

#define PX(whole, tenths) ((int64_t) (whole) * 1000000000LL + (int64_t) (tenths) * 100000000LL)
#define COID "e2e-sig-1"

typedef struct {
    char dir[64];
    char config[128];
    char db[128];
    char ctl[128];
    pid_t pid;
    ofts_bus_t *md;                     //  stands in for gateway-md
    ofts_bus_t *risk;                   //  stands in for risk
    ofts_bus_t *sub;                    //  listens to gateway-order
    //  What we saw on exec.*
    int fills_entry, fills_target;
    int32_t last_position;
    bool saw_position;
    bool saw_order;
    bool saw_heartbeat;
} e2e_t;

static e2e_t s_e;

static void
s_write_config(void)
{
    char path[160];
    snprintf(s_e.config, sizeof(s_e.config), "%s/config.json", s_e.dir);
    snprintf(s_e.db, sizeof(s_e.db), "%s/state/orders.db", s_e.dir);
    snprintf(s_e.ctl, sizeof(s_e.ctl), "ipc://%s/go-ctl.ipc", s_e.dir);
    snprintf(path, sizeof(path), "%s", s_e.config);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
        "{ \"log\": { \"level\": \"info\" },\n"
        "  \"bus\": { \"heartbeat_ms\": 200, \"secret_file\": \"%s/bus.secret\", \"endpoints\": {\n"
        "    \"gateway-md\": { \"pub\": \"ipc://%s/md.ipc\" },\n"
        "    \"risk\": { \"pub\": \"ipc://%s/risk.ipc\" },\n"
        "    \"gateway-order\": { \"pub\": \"ipc://%s/go.ipc\", \"ctl\": \"%s\" } } },\n"
        "  \"gateway_order\": { \"broker\": \"paper\", \"db_path\": \"%s\", \"slippage_ticks\": 1,\n"
        "    \"fees_cents\": 0, \"reconcile_ms\": 300, \"tick_ms\": 50 } }\n",
        s_e.dir, s_e.dir, s_e.dir, s_e.dir, s_e.ctl, s_e.db);
    fclose(f);
}

static void
s_start_gateway(void)
{
    const char *bin = getenv("OFTS_BIN");
    assert_non_null(bin);
    char exe[512], log[160];
    snprintf(exe, sizeof(exe), "%s/ofts-gateway-order", bin);
    snprintf(log, sizeof(log), "%s/gateway-order.stderr", s_e.dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        FILE *err = freopen(log, "a", stderr);
        (void) err;
        execl(exe, exe, "--config", s_e.config, (char *) NULL);
        _exit(127);
    }
    s_e.pid = pid;
}

static void
s_stop_gateway(int sig)
{
    if (s_e.pid <= 0)
        return;
    kill(s_e.pid, sig);
    int status;
    int64_t deadline = zclock_mono() + 5000;
    while (waitpid(s_e.pid, &status, WNOHANG) == 0) {
        if (zclock_mono() > deadline) {
            kill(s_e.pid, SIGKILL);
            waitpid(s_e.pid, &status, 0);
            break;
        }
        zclock_sleep(10);
    }
    s_e.pid = 0;
}

//  Wait until the gateway answers on ctl (it is up and has restored state).
static void
s_item_position(void *arg, const char *topic, Ofts__Envelope *env)
{
    (void) topic;
    int32_t *qty = arg;
    if (env->body_case == OFTS__ENVELOPE__BODY_POSITION && strcmp(env->position->symbol, "GC") == 0)
        *qty = env->position->quantity;
}

static int32_t
s_snapshot_position(void)
{
    int64_t deadline = zclock_mono() + 10000;
    while (zclock_mono() < deadline) {
        int32_t qty = -999;
        uint64_t seq;
        if (ofts_ctl_snapshot(s_e.ctl, "exec.position.", 300, s_item_position, &qty, &seq) == 0)
            return qty;
        assert_true(s_e.pid > 0 && waitpid(s_e.pid, NULL, WNOHANG) == 0);   //  still alive
    }
    fail_msg("gateway-order did not answer a snapshot within 10 s");
    return -999;
}

static void
s_drain(int timeout_ms)
{
    char topic[128];
    Ofts__Envelope *env;
    while ((env = ofts_bus_recv(s_e.sub, topic, sizeof(topic), timeout_ms)) != NULL) {
        if (env->body_case == OFTS__ENVELOPE__BODY_FILL) {
            if (strcmp(env->fill->client_order_id, COID) == 0)
                s_e.fills_entry++;
            if (strcmp(env->fill->client_order_id, COID "-TP") == 0)
                s_e.fills_target++;
        }
        else if (env->body_case == OFTS__ENVELOPE__BODY_POSITION
                 && strcmp(env->position->symbol, "GC") == 0) {
            s_e.last_position = env->position->quantity;
            s_e.saw_position = true;
        }
        else if (env->body_case == OFTS__ENVELOPE__BODY_ORDER_UPDATE
                 && strcmp(env->order_update->client_order_id, COID) == 0)
            s_e.saw_order = true;
        else if (env->body_case == OFTS__ENVELOPE__BODY_HEARTBEAT
                 && env->heartbeat->pid == (uint32_t) s_e.pid)
            s_e.saw_heartbeat = true;           //  from this life of the gateway
        ofts__envelope__free_unpacked(env, NULL);
        timeout_ms = 0;
    }
}

//  Our SUB is connected to the (re)started gateway once one of its
//  heartbeats arrives; before that, what it publishes may be lost.
static void
s_wait_heartbeat(void)
{
    s_e.saw_heartbeat = false;
    int64_t deadline = zclock_mono() + 10000;
    while (!s_e.saw_heartbeat) {
        assert_true(zclock_mono() < deadline);
        s_drain(50);
    }
}

static void
s_publish_bbo(int64_t bid, int64_t ask)
{
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    Ofts__TopOfBook bbo = OFTS__TOP_OF_BOOK__INIT;
    bbo.symbol = "GC";
    bbo.contract = "GCZ6";
    bbo.bid_px = bid;
    bbo.ask_px = ask;
    env.body_case = OFTS__ENVELOPE__BODY_BBO;
    env.bbo = &bbo;
    assert_int_equal(ofts_bus_publish(s_e.md, "md.bbo.GC.", &env), 0);
}

static void
s_publish_trade(int64_t price)
{
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    Ofts__Trade trade = OFTS__TRADE__INIT;
    trade.symbol = "GC";
    trade.contract = "GCZ6";
    trade.price = price;
    trade.size = 1;
    env.body_case = OFTS__ENVELOPE__BODY_TRADE;
    env.trade = &trade;
    assert_int_equal(ofts_bus_publish(s_e.md, "md.trade.GC.", &env), 0);
}

static void
s_publish_request_id(const char *id, Ofts__Side side)
{
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    Ofts__OrderRequest req = OFTS__ORDER_REQUEST__INIT;
    bool buy = side == OFTS__SIDE__SIDE_BUY;
    req.client_order_id = (char *) id;
    req.signal_id = "sig";
    req.symbol = "GC";
    req.contract = "GCZ6";
    req.side = side;
    req.quantity = 1;
    req.type = OFTS__ORDER_TYPE__ORDER_TYPE_MARKET;
    req.entry = PX(2350, 1);
    req.stop = buy ? PX(2349, 1) : PX(2351, 1);
    req.take_profit = buy ? PX(2352, 1) : PX(2348, 1);
    env.body_case = OFTS__ENVELOPE__BODY_ORDER_REQUEST;
    env.order_request = &req;
    assert_int_equal(ofts_bus_publish(s_e.risk, "risk.order.GC.", &env), 0);
}

static void
s_publish_request(void)
{
    s_publish_request_id(COID, OFTS__SIDE__SIDE_BUY);
}

//  Does the gateway's stderr (all its lives) contain needle?
static bool
s_log_contains(const char *needle)
{
    char path[160], line[1024];
    snprintf(path, sizeof(path), "%s/gateway-order.stderr", s_e.dir);
    FILE *f = fopen(path, "r");
    bool found = false;
    while (f && !found && fgets(line, sizeof(line), f))
        found = strstr(line, needle) != NULL;
    if (f)
        fclose(f);
    return found;
}

//  Rows in the gateway's own store (read-only, as a user would).
static int
s_db_count(const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(s_e.db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 2000);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static int
s_setup(void **state)
{
    (void) state;
    memset(&s_e, 0, sizeof(s_e));
    ofts_log_init("test-e2e", OFTS_LOG_WARN);
    strcpy(s_e.dir, "/tmp/ofts-go-e2e-XXXXXX");
    if (!mkdtemp(s_e.dir))
        return -1;
    s_write_config();
    char ep[160];
    //  We stand in for gateway-md and risk (and the operator): use the
    //  bus secret the service reads.
    snprintf(ep, sizeof(ep), "%s/bus.secret", s_e.dir);
    if (ofts_trust_use_secret_file(ep))
        return -1;
    s_e.md = ofts_bus_new("gateway-md");
    ofts_bus_set_secret(s_e.md, ofts_trust_process_secret());
    snprintf(ep, sizeof(ep), "ipc://%s/md.ipc", s_e.dir);
    if (ofts_bus_bind(s_e.md, ep))
        return -1;
    s_e.risk = ofts_bus_new("risk");
    ofts_bus_set_secret(s_e.risk, ofts_trust_process_secret());
    snprintf(ep, sizeof(ep), "ipc://%s/risk.ipc", s_e.dir);
    if (ofts_bus_bind(s_e.risk, ep))
        return -1;
    s_e.sub = ofts_bus_new("test");
    snprintf(ep, sizeof(ep), "ipc://%s/go.ipc", s_e.dir);
    if (ofts_bus_connect(s_e.sub, ep))
        return -1;
    ofts_bus_subscribe(s_e.sub, "exec.");
    ofts_bus_subscribe(s_e.sub, "sys.heartbeat.gateway-order.");
    return 0;
}

static int
s_teardown(void **state)
{
    (void) state;
    s_stop_gateway(SIGKILL);
    ofts_bus_destroy(&s_e.md);
    ofts_bus_destroy(&s_e.risk);
    ofts_bus_destroy(&s_e.sub);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", s_e.dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void
t_order_fill_kill9_restart(void **state)
{
    (void) state;
    s_start_gateway();
    assert_int_equal(s_snapshot_position(), -999);              //  up, no position yet
    s_wait_heartbeat();

    //  Pub/sub may lose the first messages (slow joiner): resend the same
    //  request with prices until the fill shows; the id makes it idempotent.
    //  Garbage and body-less envelopes ride along: dropped, nothing else.
    int64_t deadline = zclock_mono() + 10000;
    while (s_e.fills_entry == 0 || !s_e.saw_position || s_e.last_position != 1) {
        assert_true(zclock_mono() < deadline);
        zsock_t *pub = ofts_bus_pub_sock(s_e.risk);
        zstr_sendm(pub, "risk.order.GC.");
        zstr_send(pub, "\xff\xfe not a protobuf envelope");
        Ofts__Envelope empty = OFTS__ENVELOPE__INIT;
        ofts_bus_publish(s_e.risk, "risk.order.GC.", &empty);
        s_publish_bbo(PX(2350, 0), PX(2350, 1));
        s_publish_request();
        s_drain(100);
    }
    assert_int_equal(s_e.fills_entry, 1);
    assert_true(s_e.saw_order);
    //  Unsigned garbage never gets as far as the parser (issue 11).
    assert_true(s_log_contains("dropped unsigned message"));
    assert_int_equal(s_snapshot_position(), 1);
    assert_int_equal(s_db_count("SELECT count(*) FROM fills WHERE client_order_id='" COID "'"), 1);
    assert_int_equal(s_db_count("SELECT count(*) FROM orders WHERE status=1 AND role IN (1,2)"), 2);
    assert_int_equal(s_db_count("SELECT count(*) FROM paper_positions WHERE symbol='GC' AND quantity=1"), 1);

    //  kill -9, restart over the same store.
    s_stop_gateway(SIGKILL);
    s_start_gateway();
    assert_int_equal(s_snapshot_position(), 1);                 //  position remembered
    s_wait_heartbeat();
    //  Re-send the same request many times: it is answered, never placed.
    s_e.saw_order = false;
    deadline = zclock_mono() + 10000;
    for (int sends = 0; sends < 5 || !s_e.saw_order; sends++) {
        assert_true(zclock_mono() < deadline);
        s_publish_request();
        s_publish_bbo(PX(2350, 0), PX(2350, 1));
        s_drain(100);
    }
    assert_int_equal(s_snapshot_position(), 1);                 //  not 2
    assert_int_equal(s_e.fills_entry, 1);
    assert_int_equal(s_db_count("SELECT count(*) FROM fills WHERE client_order_id='" COID "'"), 1);
    assert_int_equal(s_db_count("SELECT count(*) FROM paper_orders WHERE role=0"), 1);

    //  The restored bracket still works: a trade through the target
    //  (fill 2350.2 + 2.0 = 2352.2) closes the position.
    deadline = zclock_mono() + 10000;
    while (s_e.fills_target == 0 || s_e.last_position != 0) {
        assert_true(zclock_mono() < deadline);
        s_publish_trade(PX(2352, 3));
        s_drain(100);
    }
    assert_int_equal(s_e.fills_target, 1);
    assert_int_equal(s_snapshot_position(), 0);
    assert_int_equal(s_db_count("SELECT count(*) FROM fills"), 2);
    assert_int_equal(s_db_count("SELECT count(*) FROM orders WHERE client_order_id='" COID "-SL' AND status=4"), 1);
    //  Kill over ctl (as ofts-risk or an operator would): a new position is
    //  flattened, and entries are refused afterwards.
    s_e.last_position = 0;
    s_e.fills_entry = 0;
    deadline = zclock_mono() + 10000;
    while (s_e.last_position != -1) {
        assert_true(zclock_mono() < deadline);
        s_publish_bbo(PX(2352, 0), PX(2352, 1));
        s_publish_request_id("e2e-sig-2", OFTS__SIDE__SIDE_SELL);
        s_drain(100);
    }
    Ofts__Command cmd = OFTS__COMMAND__INIT;
    cmd.type = OFTS__COMMAND_TYPE__CMD_KILL;
    cmd.reason = "e2e";
    cmd.issued_by = "test";
    assert_int_equal(ofts_ctl_command(s_e.ctl, &cmd, 5000), 0);
    assert_int_equal(s_snapshot_position(), 0);
    assert_int_equal(s_db_count("SELECT count(*) FROM orders WHERE role=3 AND status=3"), 1);
    assert_int_equal(s_db_count("SELECT value FROM meta WHERE key='om.halted'"), 1);
    s_publish_request_id("e2e-sig-3", OFTS__SIDE__SIDE_BUY);
    deadline = zclock_mono() + 10000;
    while (s_db_count("SELECT count(*) FROM orders WHERE client_order_id='e2e-sig-3'") == 0) {
        assert_true(zclock_mono() < deadline);
        s_publish_request_id("e2e-sig-3", OFTS__SIDE__SIDE_BUY);
        s_drain(100);
    }
    assert_int_equal(s_db_count("SELECT status FROM orders WHERE client_order_id='e2e-sig-3'"), 5);
    assert_int_equal(s_snapshot_position(), 0);
    //  A clean stop exits 0.
    kill(s_e.pid, SIGTERM);
    int status = -1;
    assert_int_equal(waitpid(s_e.pid, &status, 0), s_e.pid);
    s_e.pid = 0;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

//  The default config never reaches Topstep: projectx without --live and
//  credentials refuses to start (exit 2) and places nothing.
static void
t_projectx_needs_live_and_credentials(void **state)
{
    (void) state;
    FILE *f = fopen(s_e.config, "w");
    assert_non_null(f);
    fprintf(f, "{ \"bus\": { \"endpoints\": { \"gateway-order\": { \"pub\": \"ipc://%s/go.ipc\","
               " \"ctl\": \"%s\" }, \"risk\": { \"pub\": \"ipc://%s/risk.ipc\" },"
               " \"gateway-md\": { \"pub\": \"ipc://%s/md.ipc\" } } },"
               " \"gateway_order\": { \"broker\": \"projectx\", \"db_path\": \"%s\" } }\n",
            s_e.dir, s_e.ctl, s_e.dir, s_e.dir, s_e.db);
    fclose(f);
    unsetenv("TOPSTEPX_USERNAME");
    unsetenv("TOPSTEPX_API_KEY");
    s_start_gateway();
    int status = -1;
    int64_t deadline = zclock_mono() + 10000;
    while (waitpid(s_e.pid, &status, WNOHANG) == 0) {
        assert_true(zclock_mono() < deadline);
        zclock_sleep(20);
    }
    s_e.pid = 0;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 2);
    //  A bad key is a config error too.
    f = fopen(s_e.config, "w");
    fprintf(f, "{ \"gateway_order\": { \"broker\": \"paper\", \"slipage_ticks\": 1 } }\n");
    fclose(f);
    s_start_gateway();
    while (waitpid(s_e.pid, &status, WNOHANG) == 0) {
        assert_true(zclock_mono() < deadline);
        zclock_sleep(20);
    }
    s_e.pid = 0;
    assert_int_equal(WEXITSTATUS(status), 2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(t_order_fill_kill9_restart, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(t_projectx_needs_live_and_credentials, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
