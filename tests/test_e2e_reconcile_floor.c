/*  Issue 11 §4, end to end: risk's reconcile floor never drops a fill.

    When risk reconciles with gateway-order (Clone pattern) it sets a floor:
    bus copies from gateway-order with a sequence number at or below the
    snapshot's are dropped, the snapshot being assumed to hold them. A
    snapshot carries the fills of the newest fill's trading day and the day
    before only, so a fill of an older day whose bus copy was still queued
    when the snapshot arrived was lost for good - risk's journal, P&L and
    loss limits never counted it. The fix: the floor never drops a fill
    (fill_id de-duplicates); and the snapshot window, once one day, is two.

    The reproduction, with the real binaries on ipc:// in a temp dir (paper
    broker, market clock): a simulated market from 14:56 to 15:00 CT, then
    from the 17:00 CT open (a second gateway-md, as after the break), i.e.
    fills on two trading days. Risk reaches gateway-order through two
    relays in this test: one for gateway-order's bus (what it publishes) and
    one for its ctl socket (the snapshots). While the market trades, the
    bus relay holds what gateway-order publishes and the ctl relay refuses
    connections: risk's reconciles fail (it keeps its last view) and the
    fills' bus copies wait, as they would in a stalled risk's queue. Once
    gateway-order has stored fills on both days, the ctl relay opens: risk
    takes a snapshot and sets its floor; then the bus relay lets the held
    copies through, all below that floor. Risk must end with every fill.

    Two cases: across a weekday's 17:00 open (the previous day is the "day
    before": the old one-day snapshot lacked it, the old floor dropped its
    copies) and across the weekend (Friday's fills are older than "the day
    before" Sunday evening's, so no snapshot holds them: only the floor fix
    keeps them).

    Why relays and not SIGSTOP of risk: risk drains its SUB queue before it
    asks for a snapshot (s_reconcile), so after a SIGCONT whether the queued
    copies come before the snapshot is a race between risk's threads; the
    relays make the order certain.                                         */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "e2e_util.h"

// --- a byte relay between two unix sockets (a ZeroMQ ipc:// endpoint) -------

#define MAX_PAIRS 16

typedef struct {
    int down;                       //  the connecting side (risk)
    int up;                         //  the real endpoint (gateway-order)
    char *held;                     //  what up sent while the relay held it
    size_t nheld, cap;
} pair_t;

typedef struct {
    char path[200];                 //  where the relay listens
    char target[200];               //  the endpoint it forwards to
    int listen_fd;
    atomic_int hold;                //  keep what the target sends
    atomic_int refuse;              //  close every connection
    atomic_int stop;
    atomic_int subscribed;          //  the connecting side sent "exec." (its subscription)
    pair_t pairs[MAX_PAIRS];
    int npairs;
    pthread_t thread;
} relay_t;

static int
s_unix_addr(const char *path, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa->sun_path)
        return -1;
    strcpy(sa->sun_path, path);
    return 0;
}

static bool
s_write_all(int fd, const char *data, size_t size)
{
    while (size > 0) {
        ssize_t w = write(fd, data, size);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        data += w;
        size -= (size_t) w;
    }
    return true;
}

static void
s_pair_close(relay_t *r, int i)
{
    close(r->pairs[i].down);
    close(r->pairs[i].up);
    free(r->pairs[i].held);
    r->pairs[i] = r->pairs[--r->npairs];
}

static void
s_relay_accept(relay_t *r)
{
    int down = accept(r->listen_fd, NULL, NULL);
    if (down < 0)
        return;
    struct sockaddr_un sa;
    int up = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (atomic_load(&r->refuse) || r->npairs == MAX_PAIRS || s_unix_addr(r->target, &sa) != 0
        || connect(up, (struct sockaddr *) &sa, sizeof sa) != 0) {
        close(up);
        close(down);
        return;
    }
    r->pairs[r->npairs++] = (pair_t) { .down = down, .up = up };
}

//  Bytes from the target: to the connecting side, or kept while held.
static bool
s_relay_up(relay_t *r, pair_t *p, const char *buf, size_t n)
{
    if (atomic_load(&r->hold)) {
        if (p->nheld + n > p->cap) {
            p->cap = (p->nheld + n) * 2;
            p->held = realloc(p->held, p->cap);
        }
        memcpy(p->held + p->nheld, buf, n);
        p->nheld += n;
        return true;
    }
    return s_write_all(p->down, buf, n);
}

static void *
s_relay_run(void *arg)
{
    relay_t *r = arg;
    char buf[65536];
    while (!atomic_load(&r->stop)) {
        for (int i = r->npairs - 1; i >= 0; i--) {
            pair_t *p = &r->pairs[i];
            bool ok = !atomic_load(&r->refuse);
            if (ok && p->nheld && !atomic_load(&r->hold)) {
                ok = s_write_all(p->down, p->held, p->nheld);
                p->nheld = 0;
            }
            if (!ok)
                s_pair_close(r, i);
        }
        struct pollfd fds[1 + 2 * MAX_PAIRS];
        fds[0] = (struct pollfd) { r->listen_fd, POLLIN, 0 };
        for (int i = 0; i < r->npairs; i++) {
            fds[1 + 2 * i] = (struct pollfd) { r->pairs[i].down, POLLIN, 0 };
            fds[2 + 2 * i] = (struct pollfd) { r->pairs[i].up, POLLIN, 0 };
        }
        int npairs = r->npairs;
        if (poll(fds, (nfds_t) (1 + 2 * npairs), 20) <= 0)
            continue;
        for (int i = npairs - 1; i >= 0; i--) {
            pair_t *p = &r->pairs[i];
            bool ok = true;
            if (fds[1 + 2 * i].revents) {
                ssize_t n = read(p->down, buf, sizeof buf);
                ok = n > 0 && s_write_all(p->up, buf, (size_t) n);
                if (ok && memmem(buf, (size_t) n, "exec.", 5))
                    atomic_store(&r->subscribed, 1);
            }
            if (ok && fds[2 + 2 * i].revents) {
                ssize_t n = read(p->up, buf, sizeof buf);
                ok = n > 0 && s_relay_up(r, p, buf, (size_t) n);
            }
            if (!ok)
                s_pair_close(r, i);
        }
        if (fds[0].revents)
            s_relay_accept(r);
    }
    while (r->npairs)
        s_pair_close(r, 0);
    return NULL;
}

//  Listen on dir/name, forward to the unix socket of endpoint (ipc://path).
static void
s_relay_start(relay_t *r, const char *dir, const char *name, const char *target_endpoint)
{
    memset(r, 0, sizeof *r);
    snprintf(r->path, sizeof r->path, "%s/%s", dir, name);
    snprintf(r->target, sizeof r->target, "%s", target_endpoint + strlen("ipc://"));
    struct sockaddr_un sa;
    assert_int_equal(s_unix_addr(r->path, &sa), 0);
    r->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(r->listen_fd >= 0);
    assert_int_equal(bind(r->listen_fd, (struct sockaddr *) &sa, sizeof sa), 0);
    assert_int_equal(listen(r->listen_fd, 16), 0);
    assert_int_equal(pthread_create(&r->thread, NULL, s_relay_run, r), 0);
}

static void
s_relay_stop(relay_t *r)
{
    if (r->listen_fd <= 0)
        return;
    atomic_store(&r->stop, 1);
    pthread_join(r->thread, NULL);
    close(r->listen_fd);
    r->listen_fd = 0;
}

// --- the run ----------------------------------------------------------------

enum { GO, AN, RISK, MD, NPROCS };
static const char *s_exes[NPROCS] = { "ofts-gateway-order", "ofts-analyzer", "ofts-risk", "ofts-gateway-md" };

typedef struct {
    char *dir;
    char log[NPROCS][600];
    char journal[600], store[600];
    e2e_proc_t procs[NPROCS];
    relay_t bus, ctl;
    char *day1, *day2, *config, *risk_config;   //  freed by the teardown
} run_t;

static run_t s_run;

static void
s_start(run_t *run, int i, const char *config, char *const extra[])
{
    char bin[1024];
    char *argv[16] = { (char *) e2e_bin(s_exes[i], bin, sizeof bin), "--config", (char *) config };
    int n = 3;
    for (int k = 0; extra && extra[k] && n < 15; k++)
        argv[n++] = extra[k];
    argv[n] = NULL;
    snprintf(run->log[i], sizeof run->log[i], "%s/%s.stderr", run->dir, s_exes[i]);
    assert_int_equal(e2e_spawn(&run->procs[i], argv, false, run->log[i]), 0);
}

//  Wait (bounded) until fn(arg) holds; false at the deadline.
static bool
s_wait(bool (*fn)(run_t *run, const void *arg), run_t *run, const void *arg, int ms)
{
    int64_t deadline = e2e_now_ms() + ms;
    while (!fn(run, arg)) {
        if (e2e_now_ms() >= deadline)
            return false;
        usleep(20000);              //  polling a condition, bounded
    }
    return true;
}

static int
s_reconciles(run_t *run)
{
    return e2e_count_lines(run->log[RISK], "reconciled with gateway-order");
}

static bool
s_reconciled_more(run_t *run, const void *arg)
{
    return s_reconciles(run) > *(const int *) arg;
}

static bool
s_ctl_bound(run_t *run, const void *arg)
{
    (void) arg;
    return access(run->ctl.target, F_OK) == 0;
}

//  Past the ZMTP handshake: risk's subscription went through the relay, so
//  gateway-order sends it every exec.* message from now on.
static bool
s_subscribed(run_t *run, const void *arg)
{
    (void) arg;
    return atomic_load(&run->bus.subscribed);
}

//  Fills gateway-order stored before (before = true) or from open_ns on.
static int
s_store_fills(run_t *run, int64_t open_ns, bool before)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM fills WHERE ts_ns %s %lld", before ? "<" : ">=",
             (long long) open_ns);
    return e2e_sql_int(run->store, sql);
}

//  How many of gateway-order's fills up to newest_ns risk's journal lacks.
static int
s_risk_lacks(run_t *run, int64_t newest_ns)
{
    sqlite3 *db = NULL;
    int n = -1;
    if (sqlite3_open_v2(run->journal, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 1000);
        char *sql = sqlite3_mprintf("ATTACH %Q AS go;"
                                    "SELECT count(*) FROM go.fills g WHERE g.ts_ns <= %lld AND NOT EXISTS "
                                    "(SELECT 1 FROM main.fills r WHERE r.fill_id = g.fill_id)",
                                    run->store, (long long) newest_ns);
        const char *tail = sql;
        sqlite3_stmt *st = NULL;
        while (*tail && sqlite3_prepare_v2(db, tail, -1, &st, &tail) == SQLITE_OK && st) {
            if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_count(st) == 1)
                n = sqlite3_column_int(st, 0);
            sqlite3_finalize(st);
            st = NULL;
        }
        sqlite3_free(sql);
    }
    sqlite3_close(db);
    return n;
}

//  The market time of gateway-order's newest fill.
static int64_t
s_newest_fill(run_t *run)
{
    sqlite3 *db = NULL;
    int64_t ts = 0;
    if (sqlite3_open_v2(run->store, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 1000);
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, "SELECT max(ts_ns) FROM fills", -1, &st, NULL) == SQLITE_OK
            && sqlite3_step(st) == SQLITE_ROW)
            ts = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return ts;
}

static bool
s_risk_has_all(run_t *run, const void *arg)
{
    return s_risk_lacks(run, *(const int64_t *) arg) == 0;
}

static bool
s_fills_on_day(run_t *run, const void *arg)
{
    const int64_t *day = arg;       //  { open_ns, before }
    return s_store_fills(run, day[0], day[1]) > 0;
}

//  gateway-md replays file at 60x; wait until gateway-order stored a fill
//  of that trading day (before open_ns, or from it on). The day before the
//  open is replayed to its end: the market closes at 15:00 CT.
static void
s_trade_day(run_t *run, char *file, int64_t open_ns, bool before)
{
    char *md_args[] = { "--replay", file, "--speed", "60", NULL };
    s_start(run, MD, run->config, md_args);
    if (before) {
        int status = e2e_wait_exit(&run->procs[MD], 120000);
        assert_true(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
        run->procs[MD].pid = 0;
    }
    int64_t day[2] = { open_ns, before };
    if (!s_wait(s_fills_on_day, run, day, 60000))
        fail_msg("the market made no fill %s the 17:00 open (%d before, %d after)", before ? "before" : "after",
                 s_store_fills(run, open_ns, true), s_store_fills(run, open_ns, false));
}

static int64_t
s_utc_ns(int y, int mo, int d, int h, int mi)
{
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi };
    return (int64_t) timegm(&tm) * 1000000000LL;
}

//  Risk's config: the same, but gateway-order's bus and ctl through the relays.
static char *
s_risk_config(run_t *run, const char *config)
{
    json_error_t err;
    json_t *root = json_load_file(config, 0, &err);
    assert_non_null(root);
    json_t *go = json_object_get(json_object_get(json_object_get(root, "bus"), "endpoints"), "gateway-order");
    assert_non_null(go);
    char ep[600];
    s_relay_start(&run->bus, run->dir, "relay-go.pub", json_string_value(json_object_get(go, "pub")));
    s_relay_start(&run->ctl, run->dir, "relay-go.ctl", json_string_value(json_object_get(go, "ctl")));
    snprintf(ep, sizeof ep, "ipc://%s", run->bus.path);
    json_object_set_new(go, "pub", json_string(ep));
    snprintf(ep, sizeof ep, "ipc://%s", run->ctl.path);
    json_object_set_new(go, "ctl", json_string(ep));
    char path[600];
    snprintf(path, sizeof path, "%s/risk.json", run->dir);
    assert_int_equal(json_dump_file(root, path, JSON_INDENT(2)), 0);
    json_decref(root);
    return strdup(path);
}

//  The whole reproduction: day 1 from start1 (ISO, 4 minutes up to 15:00
//  CT), day 2 from the 17:00 CT open at start2 (open2_ns).
static void
s_reproduce(const char *start1, const char *start2, int64_t open2_ns)
{
    run_t *run = &s_run;
    char *d1 = run->day1 = e2e_sim_file_at(run->dir, "day1.dbn.zst", 4, 11, start1);
    char *d2 = run->day2 = e2e_sim_file_at(run->dir, "day2.dbn.zst", 3, 12, start2);
    assert_non_null(d1);
    assert_non_null(d2);
    char *config = run->config = e2e_write_config(run->dir,
        "{\"gateway_md\":{\"start_delay_ms\":500},"
        " \"risk\":{\"clock\":\"market\",\"cooldown_minutes\":1,\"max_orders_per_minute\":60,"
        "          \"reconcile_interval_ms\":300,\"reconcile_timeout_ms\":500,\"max_entry_ticks\":100000,"
        "          \"max_open_positions\":5,\"daily_loss_limit_dollars\":0,\"max_loss_limit_dollars\":1000000},"
        " \"gateway_order\":{\"broker\":\"paper\"}}");
    snprintf(run->journal, sizeof run->journal, "%s/var/risk.sqlite", run->dir);
    snprintf(run->store, sizeof run->store, "%s/var/gateway-order.db", run->dir);
    char *risk_config = run->risk_config = s_risk_config(run, config);

    s_start(run, GO, config, NULL);
    s_start(run, AN, config, NULL);
    //  Risk's first snapshot finds gateway-order's ctl socket (a failed one
    //  waits 5 s to try again).
    assert_true(s_wait(s_ctl_bound, run, NULL, 30000));
    s_start(run, RISK, risk_config, NULL);
    int none = 0;
    assert_true(s_wait(s_reconciled_more, run, &none, 30000));
    assert_true(s_wait(s_subscribed, run, NULL, 30000));

    //  Risk blind to gateway-order from here: no snapshot, bus copies held.
    atomic_store(&run->ctl.refuse, 1);
    atomic_store(&run->bus.hold, 1);
    s_trade_day(run, d1, open2_ns, true);
    //  The market closes at 15:00 and opens again at 17:00 (a new
    //  gateway-md, as after a night): fills of the new trading day.
    s_trade_day(run, d2, open2_ns, false);
    int64_t newest = s_newest_fill(run);
    int day1 = s_store_fills(run, open2_ns, true), held = s_risk_lacks(run, newest);
    fprintf(stderr, "gateway-order: %d fill(s) before the 17:00 open, %d after; risk lacks %d (held)\n", day1,
            s_store_fills(run, open2_ns, false), held);
    //  The setup itself: risk learnt nothing of these fills yet.
    assert_true(held >= day1);

    //  The snapshot first (it sets the floor), then the queued copies.
    int before = s_reconciles(run);
    atomic_store(&run->ctl.refuse, 0);
    assert_true(s_wait(s_reconciled_more, run, &before, 30000));
    atomic_store(&run->bus.hold, 0);
    bool all = s_wait(s_risk_has_all, run, &newest, 10000);
    int lacks = s_risk_lacks(run, newest);
    fprintf(stderr, "risk lacks %d of gateway-order's fills after the snapshot and the queued copies\n", lacks);
    if (!all)
        fail_msg("risk lost %d fill(s): their bus copies were below the snapshot's floor and the snapshot did "
                 "not hold them", lacks);
}

static int
s_setup(void **state)
{
    (void) state;
    memset(&s_run, 0, sizeof s_run);
    s_run.dir = e2e_tempdir("floor");
    return s_run.dir ? 0 : -1;
}

//  After every test, passed or failed: stop the services, then the relays.
static int
s_teardown(void **state)
{
    (void) state;
    for (int i = NPROCS - 1; i >= 0; i--)
        if (s_run.procs[i].pid > 0)
            e2e_stop(&s_run.procs[i], SIGTERM, 5000);
    e2e_kill_children();
    s_relay_stop(&s_run.bus);
    s_relay_stop(&s_run.ctl);
    const char *keep = getenv("OFTS_E2E_KEEP");
    if (keep && *keep == '1')
        fprintf(stderr, "state kept in %s (OFTS_E2E_KEEP=1)\n", s_run.dir);
    else
        e2e_rmtree(s_run.dir);
    free(s_run.dir);
    free(s_run.day1);
    free(s_run.day2);
    free(s_run.config);
    free(s_run.risk_config);
    return 0;
}

//  Thursday 2026-12-03 14:56-15:00 CT, then its 17:00 CT open (Friday's
//  trading day).
static void
t_fills_across_the_17_00_open(void **state)
{
    (void) state;
    s_reproduce("2026-12-03T20:56:00Z", "2026-12-03T23:00:00Z", s_utc_ns(2026, 12, 3, 23, 0));
}

//  Friday 2026-12-04 14:56-15:00 CT, then Sunday's 17:00 CT open (Monday's
//  trading day): "the day before" Monday's is the weekend, not Friday.
static void
t_fills_across_the_weekend(void **state)
{
    (void) state;
    s_reproduce("2026-12-04T20:56:00Z", "2026-12-06T23:00:00Z", s_utc_ns(2026, 12, 6, 23, 0));
}

int
main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(t_fills_across_the_17_00_open, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(t_fills_across_the_weekend, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
