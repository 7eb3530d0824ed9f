/*  soak-projectx - gateway-order's core (order_manager + order_store +
    broker_projectx, the same code the service runs) against
    ofts-mock-projectx for days of simulated trading at accelerated time.

    Usage: soak-projectx [--days D] [--hours H] [--scale K] [--short]
      (OFTS_SOAK_LOG=info|warn: more log lines on stderr; errors only by default)
      --days 3 (default): three 23-hour trading days; --hours: other length
      --scale 400 (default): 400 simulated seconds per real second; both
        processes read the projectx clock (OFTS_PROJECTX_TIME_SCALE), so
        the mock's 200 requests / 60 s, tokens, pings and time-outs, and
        the client's budget, backoff and poll timers all run on one clock.
      --short: 30 simulated minutes at x60 (the ctest version, ~40 s).
    The scale must leave real request latency small against the simulated
    timers (hub ping 15 s, time-out 30 s, poll 15 s): 400 wants a Release
    build on a quiet machine; under ASan and load use 60-90.
    The mock is found in $OFTS_BIN (default: this program's directory).

    Three contracts (GC, NQ, HG) trade bracketed market entries (stop 6,
    target 8 ticks) one position at a time each; the price of each moves
    every simulated minute by up to 9 ticks, so brackets close within
    minutes. Injected: a hub drop every 4 min (every third one a SignalR
    Close, every tenth a silent stall), every token revoked every 2 h
    (tokens also expire after 2 h: refresh by Auth/validate), 3 x HTTP 429
    on Order/search every 90 min and on Order/place every 5 h, and a sweep
    of all three prices every hour (a burst of fills and pushes at once).

    At the end it flattens, waits until nothing works, and checks against
    the mock's own books: every ofts order's final state is the one the
    store knows; no leg the store does not know; every customTag once;
    no position seen without both legs past the grace time; the most
    requests sent in any 60 s (projectx clock) under ProjectX's 200; the
    soak process's RSS growth under 32 MiB. Exit 0 only when all hold.
    The last line: RESULT soak_projectx <max req/60 s> req/60s
    ratio=<that / 200> vs documented_limit_200_per_60s.                      */
#include <czmq.h>
#include <inttypes.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "broker_async.h"
#include "broker_projectx.h"
#include "ofts_clock.h"
#include "ofts_log.h"
#include "order_manager.h"
#include "projectx_harness.h"

#define USER "soak-user"
#define KEY "soak-k3y-4411"
#define ACCOUNT "PRAC-V2-645601-47191819"
#define NSYM 3
#define NS_PER_MS 1000000LL
#define MIN_MS (60LL * 1000)
#define RSS_BOUND_KB (32 * 1024)

typedef struct {
    const char *root, *contract;
    double price, tick;
    char current[48];           //  the entry in progress ("" when free)
    int64_t entry_at_ms;
    int64_t open_since_ms;      //  position seen non-zero since (0: flat)
} sym_t;

typedef struct {
    mock_server_t mock;
    broker_projectx_t *bp;
    broker_async_t *async;      //  as the service: the adapter's calls on a worker
    order_store_t *store;
    order_manager_t *om;
    sym_t sym[NSYM];
    uint64_t entries, unprotected_seen, stuck, drops, expiries, faults, sweeps;
    unsigned rng;
} soak_t;

static int64_t now_ms(void) { return projectx_time_now_ms(); }

static long
rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static void
s_admin(soak_t *s, const char *path, const char *body)
{
    json_decref(mock_admin(&s->mock, path, body));
}

static void
s_set_price(soak_t *s, sym_t *y)
{
    char body[160];
    snprintf(body, sizeof body, "{\"contractId\":\"%s\",\"price\":%.6f}", y->contract, y->price);
    s_admin(s, "/mock/price", body);
}

//  A stored order's status, or -1 when the store does not know it.
static int
s_stored_status(soak_t *s, const char *coid)
{
    broker_order_t o;
    return order_store_order_get(s->store, coid, &o) == 1 ? o.status : -1;
}

static bool
s_terminal(int status)
{
    return status >= 0 && broker_status_terminal(status);
}

//  Free again when the entry and both legs are final.
static bool
s_done(soak_t *s, sym_t *y)
{
    if (!y->current[0])
        return true;
    char leg[64];
    snprintf(leg, sizeof leg, "%s-SL", y->current);
    bool sl = s_terminal(s_stored_status(s, leg));
    snprintf(leg, sizeof leg, "%s-TP", y->current);
    bool tp = s_terminal(s_stored_status(s, leg));
    int entry = s_stored_status(s, y->current);
    bool entry_dead = entry == OFTS__ORDER_STATUS__STATUS_REJECTED
                   || entry == OFTS__ORDER_STATUS__STATUS_CANCELLED;
    return (sl && tp && s_terminal(entry)) || entry_dead;
}

static void
s_enter(soak_t *s, sym_t *y, int64_t now)
{
    snprintf(y->current, sizeof y->current, "soak-%s-%06" PRIu64, y->root, ++s->entries);
    bool buy = rand_r(&s->rng) % 2;
    int64_t ref = (int64_t) llround(y->price / y->tick) * (int64_t) llround(y->tick * 1e9);
    int64_t tick = (int64_t) llround(y->tick * 1e9);
    Ofts__OrderRequest req = OFTS__ORDER_REQUEST__INIT;
    req.client_order_id = y->current;
    req.symbol = (char *) y->root;
    req.side = buy ? OFTS__SIDE__SIDE_BUY : OFTS__SIDE__SIDE_SELL;
    req.quantity = 1;
    req.type = OFTS__ORDER_TYPE__ORDER_TYPE_MARKET;
    req.entry = ref;
    req.stop = buy ? ref - 6 * tick : ref + 6 * tick;
    req.take_profit = buy ? ref + 8 * tick : ref - 8 * tick;
    order_manager_on_request(s->om, &req, now * NS_PER_MS);
    y->entry_at_ms = now;
}

//  Once a simulated minute: prices move, free symbols enter again, and a
//  position older than the grace time must have both legs.
static void
s_minute(soak_t *s, int64_t now, int64_t grace_ms, bool trading)
{
    for (int i = 0; i < NSYM; i++) {
        sym_t *y = &s->sym[i];
        y->price += y->tick * (double) (rand_r(&s->rng) % 19 - 9);
        s_set_price(s, y);
        int32_t pos = order_manager_position(s->om, y->root);
        if (pos && !y->open_since_ms)
            y->open_since_ms = now;
        if (!pos)
            y->open_since_ms = 0;
        if (pos && now - y->open_since_ms > grace_ms && !order_manager_protected(s->om, y->root))
            s->unprotected_seen++;
        if (trading && s_done(s, y) && !pos) {
            y->current[0] = 0;
            s_enter(s, y, now);
        } else if (trading && now - y->entry_at_ms > 60 * MIN_MS) {
            s->stuck++;             //  an hour without an outcome: report, move on
            y->current[0] = 0;
        }
    }
}

//  The faults and bursts, on the simulated clock.
static void
s_inject(soak_t *s, int64_t minute)
{
    if (minute % 4 == 0) {
        const char *action = minute % 40 == 24 ? "stall" : minute % 12 == 0 ? "close7" : "drop";
        char body[64];
        snprintf(body, sizeof body, "{\"action\":\"%s\"}", action);
        s_admin(s, "/mock/hub", body);
        s->drops++;
    }
    if (minute % 120 == 20) {
        s_admin(s, "/mock/expire_tokens", "{}");
        s->expiries++;
    }
    if (minute % 90 == 10) {
        s_admin(s, "/mock/fault", "{\"mode\":\"429\",\"path\":\"/api/Order/search\",\"count\":3,\"slot\":1}");
        s->faults++;
    }
    if (minute % 300 == 28) {
        s_admin(s, "/mock/fault", "{\"mode\":\"429\",\"path\":\"/api/Order/place\",\"count\":1,\"slot\":2}");
        s->faults++;
    }
    if (minute % 60 == 30) {
        //  A sweep: every price 10 ticks away and back, at once.
        for (int k = -1; k <= 1; k += 2)
            for (int i = 0; i < NSYM; i++) {
                s->sym[i].price += k * 10 * s->sym[i].tick;
                s_set_price(s, &s->sym[i]);
            }
        s->sweeps++;
    }
}

static void
s_run_until(soak_t *s, int64_t until_ms)
{
    while (now_ms() < until_ms) {
        order_manager_tick(s->om, now_ms() * NS_PER_MS);
        zclock_sleep(1);
    }
}

typedef struct {
    int final_unknown, untracked_legs, duplicate_tags, ofts_orders, working;
} books_t;

//  Compare the mock's books with what the store knows.
static void
s_check_books(soak_t *s, books_t *b)
{
    memset(b, 0, sizeof *b);
    json_t *state = mock_admin(&s->mock, "/mock/state", NULL);
    json_t *orders = json_object_get(state, "orders");
    zhashx_t *seen = zhashx_new();
    for (size_t i = 0; i < json_array_size(orders); i++) {
        json_t *o = json_array_get(orders, i);
        const char *tag = json_string_value(json_object_get(o, "customTag"));
        if (!tag || strncmp(tag, "soak-", 5) != 0)
            continue;
        b->ofts_orders++;
        if (zhashx_lookup(seen, tag))
            b->duplicate_tags++;
        zhashx_update(seen, tag, (void *) 1);
        int px = (int) json_integer_value(json_object_get(o, "status"));
        static const int map[] = { -1, OFTS__ORDER_STATUS__STATUS_WORKING, OFTS__ORDER_STATUS__STATUS_FILLED,
                                   OFTS__ORDER_STATUS__STATUS_CANCELLED, OFTS__ORDER_STATUS__STATUS_EXPIRED,
                                   OFTS__ORDER_STATUS__STATUS_REJECTED };
        int want = px >= 1 && px <= 5 ? map[px] : -1;
        int have = s_stored_status(s, tag);
        size_t len = strlen(tag);
        bool leg = len > 3 && (!strcmp(tag + len - 3, "-SL") || !strcmp(tag + len - 3, "-TP"));
        if (have < 0 && leg)
            b->untracked_legs++;
        else if (have != want || want < 0 || !s_terminal(want))
            b->final_unknown++;
        if (!s_terminal(want))
            b->working++;
    }
    zhashx_destroy(&seen);
    json_decref(state);
}

static int
s_usage(void)
{
    fprintf(stderr, "usage: soak-projectx [--days D | --hours H] [--scale K] [--short]\n");
    return 2;
}

int
main(int argc, char **argv)
{
    double hours = 3 * 23.0, scale = 400;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--days") && i + 1 < argc)
            hours = 23.0 * atof(argv[++i]);
        else if (!strcmp(argv[i], "--hours") && i + 1 < argc)
            hours = atof(argv[++i]);
        else if (!strcmp(argv[i], "--scale") && i + 1 < argc)
            scale = atof(argv[++i]);
        else if (!strcmp(argv[i], "--short")) {
            hours = 0.5;                //  a 429 on reads, a token revocation,
            scale = 60;                 //  a sweep, hub drops, a stall
        }
        else
            return s_usage();
    }
    if (hours <= 0 || scale < 1 || scale > 5000)
        return s_usage();
    //  One clock for this process and the mock (it inherits the environment).
    char text[64];
    snprintf(text, sizeof text, "%g", scale);
    setenv("OFTS_PROJECTX_TIME_SCALE", text, 1);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(text, sizeof text, "%lld", (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    setenv("OFTS_PROJECTX_TIME_EPOCH_MS", text, 1);
    if (!getenv("OFTS_BIN")) {
        char self_path[1024];
        snprintf(self_path, sizeof self_path, "%s", argv[0]);
        setenv("OFTS_BIN", dirname(self_path), 1);
    }
    //  OFTS_SOAK_LOG=info: every order, fill, poll problem and hub change on
    //  stderr (to find what led to a finding); errors only by default.
    const char *level = getenv("OFTS_SOAK_LOG");
    ofts_log_init("soak-projectx", level && !strcmp(level, "info") ? OFTS_LOG_INFO
                                   : level && !strcmp(level, "warn") ? OFTS_LOG_WARN : OFTS_LOG_ERROR);
    soak_t s;
    memset(&s, 0, sizeof s);
    s.rng = 20261205;
    s.sym[0] = (sym_t) { "GC", "CON.F.US.GCE.Z26", 2350.0, 0.1, "", 0, 0 };
    s.sym[1] = (sym_t) { "NQ", "CON.F.US.ENQ.U26", 20000.0, 0.25, "", 0, 0 };
    s.sym[2] = (sym_t) { "HG", "CON.F.US.CPE.U26", 4.5, 0.0005, "", 0, 0 };
    const char *margs[] = { "--user", USER, "--key", KEY, "--token-lifetime", "7200",
                            "--hub-ping-ms", "15000", "--hub-client-timeout-ms", "60000", NULL };
    if (mock_start(&s.mock, margs) != 0)
        return 1;
    projectx_config_t cfg;
    mock_client_config(&s.mock, &cfg, USER, KEY, ACCOUNT);
    cfg.timeout_ms = 10000;
    projectx_t *client = projectx_new(&cfg);
    if (!client || projectx_login(client) != PROJECTX_OK) {
        fprintf(stderr, "soak-projectx: login to the mock failed\n");
        mock_stop(&s.mock);
        return 1;
    }
    const int poll_ms = 15000;          //  doorbell polls at most every 15 s
    s.bp = broker_projectx_new(client, poll_ms, s.mock.hub_url);
    //  A store on disk, as the service has: its history is on disk, not in
    //  this process's memory (an in-memory SQLite database held every order
    //  of the run and was most of the RSS growth the first soak measured).
    char store_dir[] = "/tmp/ofts-soak-XXXXXX", store_path[64];
    if (!mkdtemp(store_dir)) {
        fprintf(stderr, "soak-projectx: cannot make a temp dir\n");
        return 1;
    }
    snprintf(store_path, sizeof store_path, "%s/gateway-order.db", store_dir);
    s.store = order_store_new(store_path);
    order_manager_config_t ocfg;
    order_manager_config_defaults(&ocfg);
    //  The legs are seen at the next poll (<= 15 s), which on a loaded
    //  machine at accelerated time can take several simulated seconds more.
    ocfg.protect_grace_ms = 8 * poll_ms;
    s.async = broker_async_new(broker_projectx_broker(s.bp));
    s.om = order_manager_new(broker_async_broker(s.async), s.store, &ocfg);
    order_manager_start(s.om, now_ms() * NS_PER_MS);

    int64_t start = now_ms(), end = start + (int64_t) (hours * 3600 * 1000);
    int64_t real_start = ofts_clock_mono_ns() / NS_PER_MS;
    long rss_start = 0;
    printf("soak-projectx: %.0f simulated hours at x%.0f, 3 contracts\n", hours, scale);
    fflush(stdout);
    for (int64_t minute = 1; start + minute * MIN_MS <= end; minute++) {
        s_run_until(&s, start + minute * MIN_MS);
        s_minute(&s, now_ms(), ocfg.protect_grace_ms, true);
        s_inject(&s, minute);
        if (minute == 60 || (!rss_start && start + (minute + 1) * MIN_MS > end))
            rss_start = rss_kb();       //  after the first hour: warmed up
        if (minute % (23 * 60) == 0) {
            printf("  day %lld done: %" PRIu64 " entries, RSS %ld kB\n", (long long) (minute / (23 * 60)),
                   s.entries, rss_kb());
            fflush(stdout);
        }
    }
    //  The end of trading: what gateway-order's own code grew to. The close
    //  out below reads the mock's whole book (every order of the run, as
    //  JSON) into this process to check it - that is the soak's checking,
    //  not the service's memory - so RSS is taken here, and after it too.
    long rss_end = rss_kb();
    //  Close out: flatten everything, wait until nothing works.
    Ofts__Command cmd = OFTS__COMMAND__INIT;
    cmd.type = OFTS__COMMAND_TYPE__CMD_FLATTEN;
    cmd.issued_by = "soak";
    order_manager_on_command(s.om, &cmd, now_ms() * NS_PER_MS);
    books_t b;
    int64_t settle_end = now_ms() + 60 * MIN_MS;
    do {
        s_run_until(&s, now_ms() + MIN_MS);
        s_minute(&s, now_ms(), ocfg.protect_grace_ms, false);
        s_check_books(&s, &b);
    } while (b.working && now_ms() < settle_end);
    s_run_until(&s, now_ms() + 5 * MIN_MS);     //  the last polls land
    s_check_books(&s, &b);
    long rss_checked = rss_kb();
    static broker_order_t open[16];
    size_t nopen = broker_open_orders(broker_async_broker(s.async), open, 16);
    for (size_t i = 0; i < nopen; i++)
        printf("still working at the adapter: %s %s %s (created %.0f min before the end)\n",
               open[i].client_order_id, broker_role_name(open[i].role),
               broker_status_name(open[i].status),
               (double) (now_ms() - open[i].created_ns / NS_PER_MS) / 60000.0);

    projectx_stats_t px;
    projectx_stats(client, &px);
    broker_projectx_stats_t bs;
    broker_projectx_stats(s.bp, &bs);
    long mock_429 = mock_counter(&s.mock, "rate_limited");
    int positions = 0;
    for (int i = 0; i < NSYM; i++)
        positions += order_manager_position(s.om, s.sym[i].root) != 0;
    double real_s = (double) (ofts_clock_mono_ns() / NS_PER_MS - real_start) / 1000.0;
    printf("simulated %.1f h (%.1f trading days) in %.1f s real\n", hours, hours / 23, real_s);
    printf("bracket entries placed       %" PRIu64 " (%" PRIu64 " broker place calls)\n", s.entries,
           order_manager_placed(s.om));
    printf("ofts orders at the broker    %d (entries + legs)\n", b.ofts_orders);
    printf("final state not known        %d\n", b.final_unknown);
    printf("untracked legs               %d\n", b.untracked_legs);
    printf("duplicate customTags         %d\n", b.duplicate_tags);
    printf("positions without both legs  %" PRIu64 " (checked each minute past %lld s grace)\n",
           s.unprotected_seen, (long long) (ocfg.protect_grace_ms / 1000));
    printf("open positions at the end    %d\n", positions);
    printf("entries with no outcome 1 h  %" PRIu64 "\n", s.stuck);
    printf("REST requests                %" PRIu64 " (max %" PRIu64 " in any 60 s; limit 200)\n",
           px.requests, px.max_per_window);
    printf("HTTP 429                     %" PRIu64 " seen, %ld at the mock (%" PRIu64 " injected fault sets)\n",
           px.http_429, mock_429, s.faults);
    printf("logins / refreshes           %" PRIu64 " / %" PRIu64 " (%" PRIu64 " revocations)\n", px.logins,
           px.refreshes, s.expiries);
    printf("hub drops injected           %" PRIu64 ", reconnects that subscribed %" PRIu64 "\n", s.drops,
           bs.hub_ups);
    printf("polls                        %" PRIu64 " (%" PRIu64 " hub events, most rows %" PRIu64 ")\n",
           bs.polls, bs.hub_events, bs.max_rows);
    printf("price sweeps (bursts)        %" PRIu64 "\n", s.sweeps);
    printf("RSS                          %ld kB after 1 h, %ld kB at the end of trading (bound +%d kB); "
           "%ld kB after the close-out read the mock's whole book\n", rss_start, rss_end, RSS_BOUND_KB,
           rss_checked);
    printf("ids cached for resends       %zu (the store holds the rest); orders the adapter tracks %zu\n",
           order_manager_ids_in_memory(s.om), bs.tracked);
#if defined(__SANITIZE_ADDRESS__)
    //  ASan keeps freed memory in quarantine: RSS says nothing here.
    bool rss_ok = true;
    printf("(RSS bound not checked: AddressSanitizer build)\n");
#else
    bool rss_ok = rss_end - rss_start < RSS_BOUND_KB;
#endif
    bool ok = b.final_unknown == 0 && b.untracked_legs == 0 && b.duplicate_tags == 0
           && s.unprotected_seen == 0 && positions == 0 && px.max_per_window < 200 && rss_ok
           && s.entries > 0;
    printf("%s\n", ok ? "soak: all checks hold" : "soak: CHECK FAILED");
    printf("RESULT soak_projectx %" PRIu64 " req/60s ratio=%.2f vs documented_limit_200_per_60s\n",
           px.max_per_window, (double) px.max_per_window / 200.0);
    order_manager_destroy(&s.om);
    broker_async_destroy(&s.async);
    broker_projectx_destroy(&s.bp);
    order_store_destroy(&s.store);
    mock_stop(&s.mock);
    char rm[96];
    snprintf(rm, sizeof rm, "rm -rf %s", store_dir);
    if (system(rm) != 0)
        fprintf(stderr, "soak-projectx: could not remove %s\n", store_dir);
    return ok ? 0 : 1;
}
