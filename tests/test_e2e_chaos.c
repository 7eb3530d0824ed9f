/*  Chaos: `ofts up` replays a simulated market fast while this test kills
    a random service with SIGKILL every few seconds (each of the five at
    least once; `ofts up` restarts them). After everything stopped, the
    durable stores must agree:

      - every approval in risk's journal is exactly one entry order in
        gateway-order's store, and every entry order there was approved;
        an approval pub/sub lost (gateway-order down or not yet subscribed
        when risk published it) is reported as LOST APPROVAL and must have
        been given up by risk at a reconcile, in its log - never silently
        kept or placed twice (OFTS_CHAOS_STRICT=1 fails on any loss: risk
        does not resend approvals, see docs/testing.md);
      - no client order id was placed or filled twice at the (paper) broker;
      - every fill gateway-order recorded is in risk's journal, and both
        end with the same position per symbol (the broker's);
      - every open position has its stop and target working, and an
        "UNPROTECTED" log line was followed by the flatten it announced.

    The kill schedule comes from a seeded generator; the seed is printed,
    and OFTS_CHAOS_SEED=<n> replays the same schedule.                    */
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
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "e2e_util.h"
#ifdef OFTS_CHAOS_PROJECTX
#include <jansson.h>
#include "projectx_harness.h"
#endif

#define NSERVICES 5
static const char *s_names[NSERVICES] = { "gateway-md", "analyzer", "risk", "gateway-order", "monitor" };
static const char *s_exes[NSERVICES] = { "ofts-gateway-md", "ofts-analyzer", "ofts-risk", "ofts-gateway-order",
                                         "ofts-monitor" };

//  The kill schedule's generator: xorshift32, so a seed means the same
//  schedule on every libc.
static uint32_t s_rng;

static uint32_t
s_rand(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 17;
    s_rng ^= s_rng << 5;
    return s_rng;
}

//  Wait (deadline) until service i runs under `ofts up` with a pid other
//  than old; returns it, or 0.
static pid_t
s_wait_running(pid_t up, int i, pid_t old, int64_t deadline)
{
    while (e2e_now_ms() < deadline) {
        pid_t pid = e2e_child_pid(up, s_exes[i]);
        if (pid && pid != old)
            return pid;
        //  `ofts up` gave up (a config it refuses, a fatal exit): fail now,
        //  not at the deadline. WNOWAIT: the teardown still reaps it.
        siginfo_t info = { 0 };
        if (waitid(P_PID, (id_t) up, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == up) {
            fprintf(stderr, "`ofts up` exited (status %d) while waiting for %s: see up.stderr\n", info.si_status,
                    s_names[i]);
            return 0;
        }
        usleep(20000);              //  polling a condition (the restart), bounded
    }
    return 0;
}

// --- reading the stores ----------------------------------------------------

static sqlite3 *
s_open(const char *path)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        fail_msg("cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "?");
    return db;
}

//  One integer from a query (0 when no row).
static int64_t
s_int(sqlite3 *db, const char *sql, const char *arg)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    if (arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return v;
}

//  risk's journal and gateway-order's store of a run in dir: of account
//  (risk.accounts: one of each per account, "-<id>" before the extension),
//  or of the only one (NULL).
static void
s_open_stores(const char *dir, const char *account, sqlite3 **rj, sqlite3 **go)
{
    char path[1024], tag[80] = "";
    if (account)
        snprintf(tag, sizeof tag, "-%s", account);
    snprintf(path, sizeof path, "%s/var/risk%s.sqlite", dir, tag);
    *rj = s_open(path);
    snprintf(path, sizeof path, "%s/var/gateway-order%s.db", dir, tag);
    *go = s_open(path);
}

typedef struct {
    char id[80];
    char symbol[16];
    int side;
    int64_t qty;
    int status;
} row_t;

//  Rows of (id, symbol, side, qty, status) into a malloc'd array.
static size_t
s_rows(sqlite3 *db, const char *sql, row_t **rows)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    size_t n = 0, cap = 0;
    *rows = NULL;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            *rows = realloc(*rows, cap * sizeof **rows);
        }
        row_t *r = &(*rows)[n++];
        memset(r, 0, sizeof *r);
        snprintf(r->id, sizeof r->id, "%s", (const char *) sqlite3_column_text(st, 0));
        const unsigned char *sym = sqlite3_column_text(st, 1);
        snprintf(r->symbol, sizeof r->symbol, "%s", sym ? (const char *) sym : "");
        r->side = sqlite3_column_int(st, 2);
        r->qty = sqlite3_column_int64(st, 3);
        r->status = sqlite3_column_count(st) > 4 ? sqlite3_column_int(st, 4) : 0;
    }
    sqlite3_finalize(st);
    return n;
}

static const row_t *
s_find(const row_t *rows, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].id, id) == 0)
            return &rows[i];
    return NULL;
}

static int s_failures;

#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "CHAOS FAIL: " __VA_ARGS__); \
                                             fprintf(stderr, "\n"); s_failures++; } } while (0)

//  Does the log have a line with both a and b?
static bool
s_log_has(const char *log, const char *a, const char *b)
{
    FILE *f = fopen(log, "r");
    if (!f)
        return false;
    char line[8192];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, a) && strstr(line, b);
    fclose(f);
    return found;
}

static bool s_strict;
static int s_lost;

static void
s_check_orders(sqlite3 *rj, sqlite3 *go, const char *log)
{
    row_t *appr, *orders;
    size_t na = s_rows(rj, "SELECT client_order_id, symbol, side, quantity FROM approvals", &appr);
    //  Entries only: flatten orders (FL-*) and bracket legs are not approvals.
    size_t no = s_rows(go,
                       "SELECT client_order_id, symbol, side, quantity, status FROM orders "
                       "WHERE role = 0 AND parent_id = ''",
                       &orders);
    fprintf(stderr, "risk approvals %zu, gateway-order entry orders %zu\n", na, no);
    for (size_t i = 0; i < na; i++) {
        const row_t *o = s_find(orders, no, appr[i].id);
        if (!o) {
            //  Pub/sub lost the approval (gateway-order was down or not yet
            //  subscribed when risk published it) and risk gave the entry up
            //  at its next reconcile. Known gap, reported; never silent.
            bool given_up = s_log_has(log, appr[i].id, "does not list it");
            fprintf(stderr, "LOST APPROVAL %s %s: never reached gateway-order; risk %s\n", appr[i].id,
                    appr[i].symbol, given_up ? "gave it up at reconcile (logged)" : "still counts it as working");
            s_lost++;
            CHECK(given_up, "approval %s (%s) has no order in gateway-order's store", appr[i].id,
                  appr[i].symbol);
            CHECK(!s_strict, "approval %s (%s) has no order in gateway-order's store (strict)", appr[i].id,
                  appr[i].symbol);
            continue;
        }
        CHECK(strcmp(o->symbol, appr[i].symbol) == 0 && o->qty == appr[i].qty,
              "order %s is %s x%lld, approved %s x%lld", o->id, o->symbol, (long long) o->qty, appr[i].symbol,
              (long long) appr[i].qty);
        if (o->status == 0 || o->status == 5 || o->status == 7)
            fprintf(stderr, "approval %s %s: order status %d at the end (0 pending, 5 rejected, 7 unknown)\n",
                    appr[i].id, appr[i].symbol, o->status);
    }
    for (size_t i = 0; i < no; i++)
        CHECK(s_find(appr, na, orders[i].id), "entry order %s (%s) was never approved by risk", orders[i].id,
              orders[i].symbol);
    free(appr);
    free(orders);

    //  At the broker: one placement and at most one fill per client order id.
    int64_t dup_fills = s_int(go,
                              "SELECT count(*) FROM (SELECT client_order_id FROM fills "
                              "GROUP BY client_order_id HAVING count(*) > 1)",
                              NULL);
    CHECK(dup_fills == 0, "%lld client order ids filled more than once", (long long) dup_fills);
    int64_t stray = s_int(go,
                          "SELECT count(*) FROM paper_orders p WHERE NOT EXISTS "
                          "(SELECT 1 FROM orders o WHERE o.client_order_id = p.client_order_id)",
                          NULL);
    CHECK(stray == 0, "%lld paper broker orders gateway-order does not know", (long long) stray);
    int64_t over = s_int(go, "SELECT count(*) FROM orders WHERE filled_quantity > quantity", NULL);
    CHECK(over == 0, "%lld orders filled beyond their quantity", (long long) over);
}

//  What the broker holds on symbol at the end: its position, and how many
//  protective legs (stop, target) are working there.
typedef void (broker_view_fn)(void *arg, sqlite3 *go, const char *symbol, int64_t *position, int64_t *legs);

#ifndef OFTS_CHAOS_PROJECTX
//  The paper broker: its tables in gateway-order's store.
static void
s_paper_view(void *arg, sqlite3 *go, const char *sym, int64_t *position, int64_t *legs)
{
    (void) arg;
    *position = s_int(go, "SELECT coalesce(sum(quantity), 0) FROM paper_positions WHERE symbol = ?1", sym);
    *legs = s_int(go, "SELECT count(*) FROM orders WHERE symbol = ?1 AND status = 1 AND role IN (1, 2)", sym);
}
#endif

static void
s_check_fills_and_positions(sqlite3 *rj, sqlite3 *go, broker_view_fn *view, void *view_arg)
{
    row_t *gf, *rf;
    size_t ng = s_rows(go, "SELECT fill_id, symbol, side, quantity FROM fills", &gf);
    size_t nr = s_rows(rj, "SELECT fill_id, symbol, side, quantity FROM fills", &rf);
    fprintf(stderr, "fills: gateway-order %zu, risk %zu\n", ng, nr);
    for (size_t i = 0; i < ng; i++)
        CHECK(s_find(rf, nr, gf[i].id), "fill %s (%s) is not in risk's journal", gf[i].id, gf[i].symbol);
    for (size_t i = 0; i < nr; i++)
        CHECK(s_find(gf, ng, rf[i].id), "risk has fill %s that gateway-order never made", rf[i].id);

    //  Per symbol: the net of the fills = the broker's position = risk's.
    row_t *syms;
    size_t ns = s_rows(go,
                       "SELECT symbol, symbol, 0, 0 FROM fills UNION SELECT symbol, symbol, 0, 0 FROM paper_positions",
                       &syms);
    for (size_t i = 0; i < ns; i++) {
        const char *sym = syms[i].id;
        int64_t net = s_int(go,
                            "SELECT coalesce(sum(CASE side WHEN 1 THEN quantity ELSE -quantity END), 0) "
                            "FROM fills WHERE symbol = ?1",
                            sym);
        int64_t broker, legs;
        view(view_arg, go, sym, &broker, &legs);
        int64_t risk = s_int(rj, "SELECT coalesce(sum(quantity), 0) FROM positions WHERE symbol = ?1", sym);
        fprintf(stderr, "position %-3s fills %+lld broker %+lld risk %+lld\n", sym, (long long) net,
                (long long) broker, (long long) risk);
        CHECK(net == broker, "%s: fills add up to %lld, the broker holds %lld", sym, (long long) net,
              (long long) broker);
        CHECK(risk == broker, "%s: risk ends with %lld, the broker with %lld", sym, (long long) risk,
              (long long) broker);
        if (broker != 0) {
            //  Protected: the stop and the target of the entry that opened it are working.
            CHECK(legs == 2, "%s: open position %lld with %lld working protective legs (want 2)", sym,
                  (long long) broker, (long long) legs);
        }
    }
    free(syms);
    free(gf);
    free(rf);
    int64_t stale_working = s_int(rj,
                                  "SELECT count(*) FROM working", NULL);
    fprintf(stderr, "risk working entries at the end: %lld\n", (long long) stale_working);
}

//  Every UNPROTECTED line names a symbol that was then flattened (a
//  flatten order exists for it) or ends flat. With an account, that
//  account's lines ("... in account <id>").
static void
s_check_unprotected(const char *log, const char *account, sqlite3 *go, broker_view_fn *view, void *view_arg)
{
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    char line[8192], mine[96] = "";
    if (account)
        snprintf(mine, sizeof mine, "in account %s", account);
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        char *u = strstr(line, "UNPROTECTED ");
        if (!u || (account && !strstr(line, mine)))
            continue;
        n++;
        char sym[16] = "";
        sscanf(u + strlen("UNPROTECTED "), "%15s", sym);
        int64_t flattens = s_int(go, "SELECT count(*) FROM orders WHERE symbol = ?1 AND role = 3", sym);
        int64_t open, legs;
        view(view_arg, go, sym, &open, &legs);
        fprintf(stderr, "log: %s", u);
        CHECK(flattens > 0 || open == 0, "UNPROTECTED %s never flattened (position %lld)", sym, (long long) open);
    }
    fclose(f);
    fprintf(stderr, "UNPROTECTED lines: %d\n", n);
}

static void
s_print_rejects(sqlite3 *rj)
{
    sqlite3_stmt *st;
    //  The trading state risk ended in, and why (a gateway-md kill rewinds
    //  the replayed market: stops can fire on old prices, see docs/testing.md).
    if (sqlite3_prepare_v2(rj, "SELECT value, text FROM state WHERE key = 'state'", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            fprintf(stderr, "risk state %d (%s), realized $%.2f\n", sqlite3_column_int(st, 0),
                    sqlite3_column_text(st, 1) ? (const char *) sqlite3_column_text(st, 1) : "",
                    (double) s_int(rj, "SELECT value FROM state WHERE key = 'realized_total_cents'", NULL) / 100.0);
        sqlite3_finalize(st);
    }
    if (sqlite3_prepare_v2(rj, "SELECT reason_code, count(*) FROM rejects GROUP BY 1 ORDER BY 2 DESC", -1, &st, NULL)
        != SQLITE_OK)
        return;
    while (sqlite3_step(st) == SQLITE_ROW)
        fprintf(stderr, "risk rejects %s: %d\n", (const char *) sqlite3_column_text(st, 0), sqlite3_column_int(st, 1));
    sqlite3_finalize(st);
}

//  Called every step of the schedule's pauses (ProjectX: moves the mock's prices).
typedef void (chaos_step_fn)(void *arg);

//  `ofts up` over config extra (the gateway-md replay and the rest), with
//  the seeded kill schedule: each of the five services once, then extra
//  kills for chaos_ms; waits for the run to end. The state is in dir.
//  The `ofts up` of the running test: the teardown stops it (and whatever
//  else this process started) when an assertion ends the test early.
static e2e_proc_t s_up;

static void
s_chaos_run(const char *dir, const char *extra, int64_t chaos_ms, const char *grace_ms, chaos_step_fn *step,
            void *step_arg)
{
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    char *cfg = e2e_write_config(dir, extra);
    char ofts[1024], errlog[1024];
    e2e_bin("ofts", ofts, sizeof ofts);
    snprintf(errlog, sizeof errlog, "%s/up.stderr", dir);

    int64_t start = e2e_now_ms();
    //  A ProjectX config is a real account: this one confirms it with
    //  gateway-order's own --live in up.args (`ofts up --live` would take
    //  gateway-md live too, away from the replay).
    char *up_argv[] = { ofts, "up", "--config", cfg, "--until-exit", "gateway-md", "--grace-ms", (char *) grace_ms,
                        "--quiet", NULL };
    assert_int_equal(e2e_spawn(&s_up, up_argv, false, errlog), 0);
    pid_t pids[NSERVICES] = { 0 };
    for (int i = 0; i < NSERVICES; i++) {
        pids[i] = s_wait_running(s_up.pid, i, 0, start + 10000);
        assert_true(pids[i] > 0);
    }

    //  The schedule: the five services in a seeded order, then seeded extra
    //  kills, one every 1.5-3.5 s, until chaos_ms have passed.
    int order[NSERVICES] = { 0, 1, 2, 3, 4 };
    for (int i = NSERVICES - 1; i > 0; i--) {
        int j = (int) (s_rand() % (uint32_t) (i + 1)), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    //  gateway-md among the first two: its replay (13 s a pass) must still
    //  be running when its turn comes, whatever the seed.
    for (int k = 2; k < NSERVICES; k++)
        if (order[k] == 0) {
            int j = (int) (s_rand() % 2), t = order[j];
            order[j] = 0;
            order[k] = t;
        }
    int kills[NSERVICES] = { 0 };
    int64_t chaos_end = e2e_now_ms() + chaos_ms;
    for (int k = 0; e2e_now_ms() < chaos_end || k < NSERVICES; k++) {
        int64_t pause_ms = 1500 + (int64_t) (s_rand() % 2000);
        int i = k < NSERVICES ? order[k] : (int) (s_rand() % NSERVICES);
        //  The schedule's pause (not synchronisation): let the system work.
        for (int64_t waited = 0; waited < pause_ms; waited += 250) {
            usleep(250000);
            if (step)
                step(step_arg);
        }
        pid_t pid = e2e_child_pid(s_up.pid, s_exes[i]);
        if (!pid) {
            //  gateway-md finished its replay (not restarted: --until-exit).
            assert_true(k >= NSERVICES || i != 0);
            if (k < NSERVICES)
                fail_msg("%s not running at its kill", s_names[i]);
            continue;
        }
        fprintf(stderr, "t=%5.1f s kill -9 %s (pid %d)\n", (double) (e2e_now_ms() - start) / 1000.0, s_names[i],
                pid);
        assert_int_equal(kill(pid, SIGKILL), 0);
        kills[i]++;
        pids[i] = s_wait_running(s_up.pid, i, pid, e2e_now_ms() + 10000);
        assert_true(pids[i] > 0);
    }
    for (int i = 0; i < NSERVICES; i++)
        assert_true(kills[i] >= 1);

    //  gateway-md's last pass ends the run; `ofts up` then keeps the rest up
    //  for the grace period (reconciles settle) and stops them.
    int status = e2e_wait_exit(&s_up, 90000);
    if (status == -1) {
        e2e_stop(&s_up, SIGINT, 15000);
        fail_msg("`ofts up` did not finish within 90 s of the last kill");
    }
    fprintf(stderr, "ofts up finished after %.1f s\n", (double) (e2e_now_ms() - start) / 1000.0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(waitpid(-1, NULL, WNOHANG) <= 0);
    free(cfg);
}

//  After every test, passed or failed (cmocka runs it after a failed
//  assertion too): stop `ofts up` if it still runs, then kill whatever
//  else this process started (the mock; services an `ofts up` that died
//  left to us, the subreaper). A test that fails must fail fast and leave
//  nothing running: a leftover child holds ctest's output pipe open and
//  hangs the whole suite.
static void (*s_cleanup_extra)(void);

static int
s_teardown(void **state)
{
    (void) state;
    if (s_up.pid > 0) {
        fprintf(stderr, "cleanup: stopping `ofts up` (pid %d)\n", s_up.pid);
        e2e_stop(&s_up, SIGINT, 15000);
    }
    if (s_cleanup_extra)
        s_cleanup_extra();
    int killed = e2e_kill_children();
    if (killed)
        fprintf(stderr, "cleanup: %d process(es) still running were killed\n", killed);
    return 0;
}

//  The chaos config: sim replayed at 30x, risk on market time; the
//  broker's part and extra risk keys from the caller.
static void
s_chaos_config(char *buf, size_t size, const char *sim, const char *order_args, const char *risk_extra,
               const char *gateway_order)
{
    snprintf(buf, size,
             "{\"up\":{\"args\":{\"gateway-md\":[\"--replay\",\"%s\",\"--speed\",\"30\"]%s}},"
             " \"gateway_md\":{\"start_delay_ms\":1000},"
             " \"risk\":{\"clock\":\"market\",\"cooldown_minutes\":1,\"max_orders_per_minute\":60,"
             "           \"reconcile_interval_ms\":2000%s},"
             " \"gateway_order\":%s}",
             sim, order_args, risk_extra, gateway_order);
}

//  The invariants after a run, on the stores in dir and the broker's view;
//  more (may be NULL) checks the broker itself.
static void
s_chaos_checks(const char *dir, const char *account, broker_view_fn *view, void *arg,
               void (*more)(void *arg, sqlite3 *rj, sqlite3 *go))
{
    char log[1024];
    snprintf(log, sizeof log, "%s/logs/orderflow_trading.log", dir);
    sqlite3 *rj, *go;
    s_open_stores(dir, account, &rj, &go);
    if (account)
        fprintf(stderr, "--- account %s\n", account);
    s_print_rejects(rj);
    s_check_orders(rj, go, log);
    if (more)
        more(arg, rj, go);
    s_check_fills_and_positions(rj, go, view, arg);
    s_check_unprotected(log, account, go, view, arg);
    fprintf(stderr, "restarts logged: %d\n", e2e_count_lines(log, "died (killed by signal 9"));
    sqlite3_close(rj);
    sqlite3_close(go);
}

static unsigned
s_seed(void)
{
    const char *env_seed = getenv("OFTS_CHAOS_SEED");
    unsigned seed = env_seed ? (unsigned) strtoul(env_seed, NULL, 10) : 20261130u;
    s_rng = seed ? seed : 1;
    const char *strict = getenv("OFTS_CHAOS_STRICT");
    s_strict = strict && *strict == '1';
    fprintf(stderr, "chaos seed %u (reproduce: OFTS_CHAOS_SEED=%u ctest -R e2e_chaos -V)\n", seed, seed);
    return seed;
}

//  The end of a run: fail with the state kept, or clean up.
static void
s_chaos_verdict(char *dir, unsigned seed)
{
    fprintf(stderr, "approvals lost on the bus: %d\n", s_lost);
    if (s_failures) {
        fprintf(stderr, "chaos seed %u: %d invariant(s) broken; state kept in %s\n", seed, s_failures, dir);
        free(dir);
        fail_msg("%d invariant(s) broken (seed %u)", s_failures, seed);
    }
    const char *keep = getenv("OFTS_CHAOS_KEEP");
    if (keep && *keep == '1')
        fprintf(stderr, "state kept in %s (OFTS_CHAOS_KEEP=1)\n", dir);
    else
        e2e_rmtree(dir);
    free(dir);
}

#ifndef OFTS_CHAOS_PROJECTX
//  Fill ids (the de-dup key) are unique across the accounts: each account's
//  paper broker tags its ids, so no fill is taken for another's.
static void
s_check_fill_ids_apart(const char *dir, const char *a, const char *b)
{
    sqlite3 *rj, *go;
    s_open_stores(dir, a, &rj, &go);
    char path[1024], attach[1200];
    snprintf(path, sizeof path, "%s/var/gateway-order-%s.db", dir, b);
    snprintf(attach, sizeof attach, "ATTACH DATABASE '%s' AS other", path);
    CHECK(sqlite3_exec(go, attach, NULL, NULL, NULL) == SQLITE_OK, "cannot attach %s", path);
    int64_t shared = s_int(go, "SELECT count(*) FROM fills f JOIN other.fills g ON f.fill_id = g.fill_id", NULL);
    int64_t both = s_int(go, "SELECT count(*) FROM orders f JOIN other.orders g "
                             "ON f.client_order_id = g.client_order_id AND f.role = 0 AND f.parent_id = ''", NULL);
    int64_t na = s_int(rj, "SELECT count(*) FROM approvals", NULL);
    fprintf(stderr, "fill ids in both accounts: %lld, entry ids in both: %lld, approvals of %s: %lld\n",
            (long long) shared, (long long) both, a, (long long) na);
    CHECK(shared == 0, "%lld fill ids in both accounts' stores", (long long) shared);
    CHECK(na > 0, "account %s traded nothing: the run tests nothing", a);
    CHECK(both == 0, "%lld entry client order ids placed in both accounts", (long long) both);
    sqlite3_close(rj);
    sqlite3_close(go);
}

//  The paper broker's chaos: risk_extra (risk keys), chaos_ms of extra
//  kills; the invariants per account (naccounts 0: the only one).
static void
s_paper_chaos(const char *name, const char *risk_extra, int64_t chaos_ms, const char **accounts, int naccounts)
{
    unsigned seed = s_seed();
    char *dir = e2e_tempdir(name);
    assert_non_null(dir);
    //  6 simulated minutes at 30x: 12 s per pass; a gateway-md kill starts the pass over.
    char *sim = e2e_sim_file(dir, "market.dbn.zst", 6, 11);
    assert_non_null(sim);
    char extra[4096];
    s_chaos_config(extra, sizeof extra, sim, "", risk_extra, "{\"broker\":\"paper\",\"reconcile_ms\":1000}");
    free(sim);
    s_chaos_run(dir, extra, chaos_ms, "5000", NULL, NULL);
    s_failures = 0;
    for (int i = 0; i < (naccounts ? naccounts : 1); i++)
        s_chaos_checks(dir, naccounts ? accounts[i] : NULL, s_paper_view, NULL, NULL);
    if (naccounts == 2)
        s_check_fill_ids_apart(dir, accounts[0], accounts[1]);
    s_chaos_verdict(dir, seed);
}

static void
t_chaos(void **state)
{
    (void) state;
    s_paper_chaos("chaos", "", 22000, NULL, 0);
}

//  The same chaos with two accounts (issue 19): risk approves each signal
//  for both (1 and 2 contracts), gateway-order places each on its own
//  account's paper broker, and reconciles run per account with
//  require_reconcile on. Per account: nothing lost or placed twice, fills
//  = risk's, positions agree and are protected; across the accounts no id
//  is shared.
static void
t_chaos_two_accounts(void **state)
{
    (void) state;
    static const char *accounts[] = { "TC-50K", "XFA-150K" };
    s_paper_chaos("chaos2",
                  ",\"require_reconcile\":true,\"accounts\":["
                  "{\"id\":\"TC-50K\",\"size\":50000,\"sizing\":\"fixed\",\"fixed_contracts\":1},"
                  "{\"id\":\"XFA-150K\",\"type\":\"xfa\",\"size\":150000,\"sizing\":\"fixed\","
                  "\"fixed_contracts\":2}]",
                  12000, accounts, 2);
}
#endif

#ifndef OFTS_CHAOS_PROJECTX
//  `ofts up` replaying sim at speed; 0 when it ran and stopped cleanly.
static void
s_run_replay(const char *dir, const char *sim, int speed, const char *risk_extra)
{
    char extra[4096];
    snprintf(extra, sizeof extra,
             "{\"up\":{\"args\":{\"gateway-md\":[\"--replay\",\"%s\",\"--speed\",\"%d\"]}},"
             " \"gateway_md\":{\"start_delay_ms\":1500},"
             " \"risk\":{\"clock\":\"market\",\"cooldown_minutes\":1,\"max_orders_per_minute\":60%s},"
             " \"gateway_order\":{\"broker\":\"paper\"}}",
             sim, speed, risk_extra);
    char *cfg = e2e_write_config(dir, extra);
    //  Generous: a loaded CI machine paces the replay far below 60x.
    assert_int_equal(e2e_up_until_replayed(dir, cfg, 3000, 100000), 0);
    free(cfg);
}

//  issue 11 §4: a fast replay (60x), risk re-snapshotting gateway-order
//  every 100 ms (each snapshot sets a floor under which bus copies are
//  dropped): risk must end with every fill gateway-order stored - the
//  paper entry fills carry the same (market) clock as the exits, the
//  snapshot covers the fills risk may lack, and the floor never drops a
//  fill. No kills. A fill gateway-order makes after `ofts up` stopped risk
//  (its md backlog on a loaded machine) reaches risk at its next start:
//  a second, short run, whose reconcile must bring it. Entry prices and
//  loss limits are not judged here (off): on a loaded machine risk's marks
//  run ahead of the signals it approves.
static void
t_fast_replay_keeps_every_fill(void **state)
{
    (void) state;
    char *dir = e2e_tempdir("fills");
    assert_non_null(dir);
    char *sim = e2e_sim_file(dir, "market.dbn.zst", 10, 11);
    assert_non_null(sim);
    s_run_replay(dir, sim, 60, ",\"reconcile_interval_ms\":100,\"reconcile_timeout_ms\":10000,\"max_entry_ticks\":100000,"
                               "\"daily_loss_limit_dollars\":0,\"max_loss_limit_dollars\":1000000");
    free(sim);
    sim = e2e_sim_file(dir, "restart.dbn.zst", 0.1, 12);
    assert_non_null(sim);
    s_run_replay(dir, sim, 1, "");
    free(sim);
    sqlite3 *rj, *go;
    s_open_stores(dir, NULL, &rj, &go);
    s_failures = 0;
    int64_t fills = s_int(go, "SELECT count(*) FROM fills", NULL);
    int64_t days = s_int(go, "SELECT count(DISTINCT ts_ns / 86400000000000) FROM fills", NULL);
    fprintf(stderr, "gateway-order fills %lld (on %lld UTC day(s)), risk fills %lld\n", (long long) fills,
            (long long) days, (long long) s_int(rj, "SELECT count(*) FROM fills", NULL));
    int64_t exits = s_int(go, "SELECT count(*) FROM fills WHERE role != 0", NULL);
    CHECK(fills > exits && exits > 0, "%lld fills, %lld exits: the replay traded too little to test anything",
          (long long) fills, (long long) exits);
    CHECK(days == 1, "fills on %lld days: entries and exits are not on one clock", (long long) days);
    s_check_fills_and_positions(rj, go, s_paper_view, NULL);
    sqlite3_close(rj);
    sqlite3_close(go);
    if (s_failures)
        fail_msg("%d invariant(s) broken; state kept in %s", s_failures, dir);
    e2e_rmtree(dir);
    free(dir);
}
#endif

#ifdef OFTS_CHAOS_PROJECTX
//  --- the same chaos with the ProjectX broker against the mock -----------------

#define PX_USER "ofts-chaos"
#define PX_KEY "k3y-ch40s-1e2f3a"
#define PX_ACCOUNT "PRAC-V2-645601-47191819"

//  The roots the simulated market trades, their months (ofts-sim's) and
//  those months' contracts at the mock, which is rolled to them: an order
//  goes to the month whose order flow made the signal, and ProjectX refuses
//  a month that is not its active one (issue 12).
static const struct {
    const char *root, *month, *contract;
    double price, tick;
} s_px_markets[] = {
    { "GC", "GCZ6", "CON.F.US.GCE.Z26", 2350.0, 0.1 },
    { "HG", "HGZ6", "CON.F.US.CPE.Z26", 4.5, 0.0005 },
    { "PL", "PLF7", "CON.F.US.PLE.F27", 1000.0, 0.1 },
    { "SI", "SIZ6", "CON.F.US.SIE.Z26", 30.5, 0.005 },
    { "NQ", "NQZ6", "CON.F.US.ENQ.Z26", 20000.0, 0.25 },
};
#define PX_MARKETS (sizeof s_px_markets / sizeof s_px_markets[0])

typedef struct {
    mock_server_t mock;
    double price[PX_MARKETS];
    json_t *state;                      //  /mock/state at the end
} px_t;

static px_t s_px;

//  What a check looks at: the mock, and one of its accounts (0: all).
typedef struct {
    px_t *px;
    int64_t account;
} px_scope_t;

static bool
s_in_scope(const px_scope_t *scope, const json_t *row)
{
    return !scope->account || json_integer_value(json_object_get(row, "accountId")) == scope->account;
}

static void
s_px_cleanup(void)
{
    mock_stop(&s_px.mock);
    json_decref(s_px.state);
    s_px.state = NULL;
}

//  The mock's market is its own (it does not read the replay): a seeded
//  walk of up to 5 ticks a step (4 a second) makes its brackets fill.
static void
s_px_walk(void *arg)
{
    px_t *px = arg;
    for (size_t i = 0; i < PX_MARKETS; i++) {
        px->price[i] += ((int) (s_rand() % 11) - 5) * s_px_markets[i].tick;
        char body[160];
        snprintf(body, sizeof body, "{\"contractId\":\"%s\",\"price\":%.4f}", s_px_markets[i].contract,
                 px->price[i]);
        json_decref(mock_admin(&px->mock, "/mock/price", body));
    }
}

static const char *
s_px_contract(const char *root)
{
    for (size_t i = 0; i < PX_MARKETS; i++)
        if (strcmp(s_px_markets[i].root, root) == 0)
            return s_px_markets[i].contract;
    return "";
}

static bool
s_leg_tag(const char *tag)
{
    size_t len = tag ? strlen(tag) : 0;
    return len > 3 && (strcmp(tag + len - 3, "-SL") == 0 || strcmp(tag + len - 3, "-TP") == 0);
}

//  The mock account(s) in scope: position and working legs of a root.
static void
s_px_view(void *arg, sqlite3 *go, const char *sym, int64_t *position, int64_t *legs)
{
    (void) go;
    px_scope_t *scope = arg;
    const char *contract = s_px_contract(sym);
    *position = *legs = 0;
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(scope->px->state, "positions"), i, row) {
        const char *c = json_string_value(json_object_get(row, "contractId"));
        int64_t size = json_integer_value(json_object_get(row, "size"));
        if (c && strcmp(c, contract) == 0 && s_in_scope(scope, row))
            *position += json_integer_value(json_object_get(row, "type")) == 1 ? size : -size;
    }
    json_array_foreach(json_object_get(scope->px->state, "orders"), i, row) {
        const char *c = json_string_value(json_object_get(row, "contractId"));
        if (c && strcmp(c, contract) == 0 && json_integer_value(json_object_get(row, "status")) == 1
            && s_leg_tag(json_string_value(json_object_get(row, "customTag"))) && s_in_scope(scope, row))
            (*legs)++;
    }
}

//  At the broker: no tag placed twice (in any account), every entry of the
//  account(s) in scope approved by their risk, each of their executions in
//  their gateway-order's store.
static void
s_px_check_broker(void *arg, sqlite3 *rj, sqlite3 *go)
{
    px_scope_t *scope = arg;
    json_t *orders = json_object_get(scope->px->state, "orders"), *trades = json_object_get(scope->px->state, "trades");
    size_t i, j, mine = 0;
    json_t *a, *b;
    json_array_foreach(trades, i, a)
        mine += s_in_scope(scope, a);
    fprintf(stderr, "mock: %zu orders, %zu trades (%zu in scope)\n", json_array_size(orders),
            json_array_size(trades), mine);
    CHECK(mine > 0, "no execution at the broker: the run traded too little to test anything");
    json_array_foreach(orders, i, a) {
        const char *tag = json_string_value(json_object_get(a, "customTag"));
        if (!tag || !s_in_scope(scope, a))
            continue;
        int same = 0;
        json_array_foreach(orders, j, b) {
            const char *other = json_string_value(json_object_get(b, "customTag"));
            same += other && strcmp(other, tag) == 0;
        }
        CHECK(same == 1, "tag %s placed %d times at the broker", tag, same);
        if (!s_leg_tag(tag))
            CHECK(s_int(rj, "SELECT count(*) FROM approvals WHERE client_order_id = ?1", tag) == 1,
                  "order %s at the broker was never approved by risk", tag);
    }
    json_array_foreach(trades, i, a) {
        if (!s_in_scope(scope, a))
            continue;
        char id[32];
        snprintf(id, sizeof id, "%lld", (long long) json_integer_value(json_object_get(a, "id")));
        CHECK(s_int(go, "SELECT count(*) FROM fills WHERE fill_id = ?1", id) == 1,
              "broker execution %s is not in gateway-order's store", id);
    }
}

//  The chaos with the ProjectX broker: risk_extra (more risk keys), the
//  accounts' names and mock ids (naccounts 0: the only one, PX_ACCOUNT),
//  gateway-order's poll_ms (OFTS_CHAOS_POLL_MS=<ms> replays a case with
//  another, e.g. the two accounts at 200 with seed 42).
static void
s_px_chaos(const char *name, const char *risk_extra, const char **accounts, const int64_t *ids, int naccounts,
           int poll_ms)
{
    unsigned seed = s_seed();
    const char *env_poll = getenv("OFTS_CHAOS_POLL_MS");
    if (env_poll && atoi(env_poll) > 0)
        poll_ms = atoi(env_poll);
    px_t *pxp = &s_px;
    memset(pxp, 0, sizeof *pxp);
    s_cleanup_extra = s_px_cleanup;
    const char *args[] = { "--user", PX_USER, "--key", PX_KEY, NULL };
    assert_int_equal(mock_start(&pxp->mock, args), 0);
    for (size_t i = 0; i < PX_MARKETS; i++) {
        pxp->price[i] = s_px_markets[i].price;
        char body[160];
        snprintf(body, sizeof body, "{\"contractId\":\"%s\",\"name\":\"%s\"}", s_px_markets[i].contract,
                 s_px_markets[i].month);
        json_t *reply = mock_admin(&pxp->mock, "/mock/roll", body);
        bool rolled = json_is_true(json_object_get(reply, "success"));
        json_decref(reply);
        assert_true(rolled);
    }
    char *dir = e2e_tempdir(name);
    assert_non_null(dir);
    //  8 simulated minutes at 30x: 16 s per pass, so the replay still runs
    //  when the schedule's five kills are done (a gateway-md kill starts a
    //  pass over).
    char *sim = e2e_sim_file(dir, "market.dbn.zst", 8, 11);
    assert_non_null(sim);
    //  The mock's prices are not the replay's: entry distances and loss
    //  limits are not judged here.
    char broker[1024], extra[4096], risk[2048];
    snprintf(broker, sizeof broker,
             "{\"broker\":\"projectx\",\"reconcile_ms\":1000,\"poll_ms\":%d,\"listen_md\":false,"
             " \"projectx\":{\"base_url\":\"%s\",\"user_hub_url\":\"%s\",\"account_name\":\"%s\"}}",
             poll_ms, pxp->mock.base_url, pxp->mock.hub_url, PX_ACCOUNT);
    snprintf(risk, sizeof risk, ",\"max_entry_ticks\":100000,\"daily_loss_limit_dollars\":0,"
             "\"max_loss_limit_dollars\":1000000%s", risk_extra);
    s_chaos_config(extra, sizeof extra, sim, ",\"gateway-order\":[\"--live\"]", risk, broker);
    free(sim);
    setenv("TOPSTEPX_USERNAME", PX_USER, 1);
    setenv("TOPSTEPX_API_KEY", PX_KEY, 1);
    s_chaos_run(dir, extra, 12000, naccounts ? "12000" : "5000", s_px_walk, pxp);
    unsetenv("TOPSTEPX_USERNAME");
    unsetenv("TOPSTEPX_API_KEY");
    pxp->state = mock_admin(&pxp->mock, "/mock/state", NULL);
    assert_non_null(pxp->state);
    mock_stop(&pxp->mock);
    s_failures = 0;
    for (int i = 0; i < (naccounts ? naccounts : 1); i++) {
        px_scope_t scope = { pxp, naccounts ? ids[i] : 0 };
        s_chaos_checks(dir, naccounts ? accounts[i] : NULL, s_px_view, &scope, s_px_check_broker);
    }
    s_px_cleanup();
    s_chaos_verdict(dir, seed);
}

//  issue 11: the chaos test with the ProjectX broker (the mock on loopback,
//  its prices walking by seed), not only paper. gateway-order does not
//  listen to md here: the mock does not trade on it, and with ProjectX
//  each md message still runs the broker poll on the md loop (issue 11 §4,
//  first bullet, not this test's subject), which starves its ctl socket. Every service is killed at
//  least once; the mock is not. Then: no duplicate order at the broker, no
//  execution missing from gateway-order's store or risk's journal, every
//  open position at the broker with its stop and target working.
static void
t_chaos_projectx(void **state)
{
    (void) state;
    s_px_chaos("chaos-px", "", NULL, NULL, 0, 200);
}

//  The same with two accounts of one ProjectX login (issue 19): risk
//  approves each signal for both (1 and 2 contracts), one gateway-order
//  with one login places each on its account. Per account: nothing lost or
//  placed twice, every execution of that account in its own store and
//  journal, positions agree and are protected; no tag in both accounts.
//  The end's grace is 12 s, not 5: a gateway-order killed last reads its
//  two accounts through the one budget, after the start's tag lookups
//  (seed 5: not yet read 4 s after its restart; two fills unseen).
//  poll_ms 1200 (each account every 2.4 s): the two pollers' 2.5 reads a
//  second fit the login's one budget (2.85 a second, docs/topstepx.md);
//  at 200 (15 a second) the reads starved, an entry's legs went unseen
//  past the protection grace and the position was flattened (correctly;
//  risk then counted the close twice - fixed since: a flat read is told
//  after the close's fill, docs/gateway-order.md; replay with
//  OFTS_CHAOS_SEED=42 OFTS_CHAOS_POLL_MS=200).
static void
t_chaos_projectx_two_accounts(void **state)
{
    (void) state;
    static const char *accounts[] = { PX_ACCOUNT, "50KTC-V2-DLL-645601-97590973" };
    static const int64_t ids[] = { 26282486, 25775680 };
    s_px_chaos("chaos-px2",
               ",\"accounts\":[{\"id\":\"" PX_ACCOUNT "\",\"sizing\":\"fixed\",\"fixed_contracts\":1},"
               "{\"id\":\"50KTC-V2-DLL-645601-97590973\",\"sizing\":\"fixed\",\"fixed_contracts\":2}]",
               accounts, ids, 2, 1200);
}
#endif

//  Without an argument the chaos test alone runs (ctest e2e_chaos); the
//  fast-replay test is ctest e2e_fills (argument t_fast_replay_keeps_every_fill).
int
main(int argc, char **argv)
{
#ifndef OFTS_CHAOS_PROJECTX
    cmocka_set_test_filter(argc > 1 ? argv[1] : "t_chaos");
#else
    cmocka_set_test_filter(argc > 1 ? argv[1] : "t_chaos_projectx");
#endif
    const struct CMUnitTest tests[] = {
#ifdef OFTS_CHAOS_PROJECTX
        cmocka_unit_test_teardown(t_chaos_projectx, s_teardown),
        cmocka_unit_test_teardown(t_chaos_projectx_two_accounts, s_teardown),
#else
        cmocka_unit_test_teardown(t_fast_replay_keeps_every_fill, s_teardown),
        cmocka_unit_test_teardown(t_chaos, s_teardown),
        cmocka_unit_test_teardown(t_chaos_two_accounts, s_teardown),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
