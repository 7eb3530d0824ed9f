/*  live_client against ofts-mock-databento-live on loopback: a full session
    with hand-checked records, auth failures, mid-stream disconnects,
    heartbeat time-outs, back-off, and the key never reaching stderr.
    Expected record values follow the formula documented in mock/mock_dbn.h:
    data record i has price 2000.0 + i*0.1, size 1 + i%5, side B/A by parity,
    sequence i+1, schema = subscribed schemas[i % 3], instrument 1001 +
    (i/3) % 2 (GC.FUT -> GCZ6, NQ.FUT -> NQZ6).                             */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include "live_client.h"
#include "net_mockproc.h"
#include "ofts_clock.h"
#include "ofts_log.h"

#define KEY "db-3kfN9vQx7LmP2sTw8YhR4uJ6cE5Bz"
#define WRONG_KEY "db-WRONGwrongWRONGwrongWRONGcE5Bz"
#define MAX_SEQ 1000

typedef struct {
    int data, mappings, acks, heartbeats, errors, replays;
    char ack[4][128];
    int seq_seen[MAX_SEQ + 1];
    int duplicates;
    dbn_record_t rec[MAX_SEQ + 1];     //  by sequence
    char sym[MAX_SEQ + 1][16];
} sink_t;

static void s_on_record(const dbn_record_t *rec, dbn_decoder_t *dec, void *arg)
{
    sink_t *s = arg;
    switch (rec->rtype) {
    case DBN_RTYPE_SYMBOL_MAPPING: s->mappings++; return;
    case DBN_RTYPE_ERROR: s->errors++; return;
    case DBN_RTYPE_SYSTEM:
        if (rec->system.code == 0) s->heartbeats++;
        else if (rec->system.code == 1 && s->acks < 4) snprintf(s->ack[s->acks++], 128, "%s", rec->system.msg);
        else if (rec->system.code == 1) s->acks++;
        else if (rec->system.code == 3) s->replays++;
        return;
    default: break;
    }
    s->data++;
    uint32_t seq = rec->mbp.sequence;
    if (seq <= MAX_SEQ) {
        if (s->seq_seen[seq]++)
            s->duplicates++;
        s->rec[seq] = *rec;
        const char *sym = dbn_decoder_symbol(dec, rec->instrument_id);
        snprintf(s->sym[seq], sizeof s->sym[seq], "%s", sym ? sym : "?");
    }
}

static void s_config(live_client_config_t *cfg, int port, const char *key)
{
    live_client_config_defaults(cfg);
    cfg->host = "127.0.0.1";
    cfg->port = port;
    cfg->api_key = key;
    cfg->client = "ofts-test";
    cfg->symbols = "GC.FUT,NQ.FUT";
    cfg->heartbeat_interval_s = 0;
    cfg->heartbeat_timeout_ms = 1000;
    cfg->backoff_min_ms = 50;
    cfg->backoff_max_ms = 400;
    cfg->auth_timeout_ms = 2000;
    cfg->connect_timeout_ms = 1000;
}

typedef bool (cond_fn)(live_client_t *lc, sink_t *s);

//  Drive the client like a loop would until cond holds or the deadline passes.
static bool s_run(live_client_t *lc, sink_t *s, cond_fn *cond, int timeout_ms)
{
    int64_t deadline = mockproc_now_ms() + timeout_ms;
    while (mockproc_now_ms() < deadline) {
        if (cond && cond(lc, s))
            return true;
        int fd = live_client_fd(lc);
        if (fd >= 0) {
            struct pollfd p = { .fd = fd, .events = POLLIN };
            if (poll(&p, 1, 10) > 0)
                live_client_on_readable(lc);
        } else {
            poll(NULL, 0, 10);
        }
        live_client_tick(lc, ofts_clock_mono_ns());
    }
    return cond ? cond(lc, s) : true;
}

static int s_target;
static bool s_have_data(live_client_t *lc, sink_t *s) { (void) lc; return s->data >= s_target; }
static bool s_have_heartbeats(live_client_t *lc, sink_t *s) { (void) lc; return s->heartbeats >= s_target; }
static bool s_failed(live_client_t *lc, sink_t *s) { (void) s; return live_client_state(lc) == LIVE_FAILED; }

static void test_session(void **state)
{
    (void) state;
    mockproc_t m;
    const char *argv[] = { "ofts-mock-databento-live", "--key", KEY, "--records", "30",
                           "--heartbeat-ms", "100", NULL };
    assert_int_equal(mockproc_start(&m, argv, 5000), 0);
    live_client_config_t cfg;
    s_config(&cfg, m.port, KEY);
    cfg.heartbeat_timeout_ms = 600;
    sink_t *s = calloc(1, sizeof *s);
    live_client_t *lc = live_client_new(&cfg, s_on_record, s);
    assert_non_null(lc);
    assert_int_equal(live_client_connect(lc), LIVE_FD_CHANGED);
    s_target = 30;
    assert_true(s_run(lc, s, s_have_data, 10000));
    assert_int_equal(live_client_state(lc), LIVE_STREAMING);
    assert_int_equal(s->data, 30);
    assert_int_equal(s->mappings, 2);
    assert_int_equal(s->acks, 3);
    //  the gateway acknowledges with the ids the client sent (0, 1, 2)
    assert_string_equal(s->ack[0], "Subscription request 0 for trades data succeeded");
    assert_string_equal(s->ack[2], "Subscription request 2 for mbp-10 data succeeded");
    assert_int_equal(s->duplicates, 0);

    //  record 0: trades, GCZ6, 2000.0, size 1, buy aggressor
    const dbn_record_t *r = &s->rec[1];
    assert_int_equal(r->rtype, DBN_RTYPE_MBP0);
    assert_int_equal(r->instrument_id, 1001);
    assert_string_equal(s->sym[1], "GCZ6");
    assert_int_equal(r->ts_event, 1764547200000000000ULL);
    assert_int_equal(r->mbp.price, 2000000000000LL);
    assert_int_equal(r->mbp.size, 1);
    assert_int_equal(r->mbp.side, 'B');
    assert_int_equal(r->mbp.action, 'T');
    assert_int_equal(r->mbp.ts_recv, 1764547200000000500ULL);
    //  record 4: mbp-1 on NQZ6, 2000.4, size 5, bid 2000.3 x 14, ask 2000.4 x 24
    r = &s->rec[5];
    assert_int_equal(r->rtype, DBN_RTYPE_MBP1);
    assert_int_equal(r->instrument_id, 1002);
    assert_string_equal(s->sym[5], "NQZ6");
    assert_int_equal(r->mbp.price, 2000400000000LL);
    assert_int_equal(r->mbp.size, 5);
    assert_int_equal(r->mbp.side, 'B');
    assert_int_equal(r->mbp.levels[0].bid_px, 2000300000000LL);
    assert_int_equal(r->mbp.levels[0].ask_px, 2000400000000LL);
    assert_int_equal(r->mbp.levels[0].bid_sz, 14);
    assert_int_equal(r->mbp.levels[0].ask_sz, 24);
    assert_int_equal(r->mbp.levels[0].ask_ct, 2);
    //  record 29: mbp-10 on NQZ6, 2002.9, size 5, sell aggressor side,
    //  level 9 bid 2001.9 / ask 2003.8, sizes 10
    r = &s->rec[30];
    assert_int_equal(r->rtype, DBN_RTYPE_MBP10);
    assert_int_equal(r->instrument_id, 1002);
    assert_int_equal(r->mbp.price, 2002900000000LL);
    assert_int_equal(r->mbp.size, 5);
    assert_int_equal(r->mbp.side, 'A');
    assert_int_equal(r->mbp.levels[9].bid_px, 2001900000000LL);
    assert_int_equal(r->mbp.levels[9].ask_px, 2003800000000LL);
    assert_int_equal(r->mbp.levels[9].bid_sz, 10);
    assert_int_equal(r->ts_event, 1764547200029000000ULL);

    //  idle: heartbeats every 100 ms keep a 600 ms time-out from firing
    s_target = 8;
    assert_true(s_run(lc, s, s_have_heartbeats, 5000));
    live_client_stats_t st;
    live_client_stats(lc, &st);
    assert_int_equal(st.heartbeat_timeouts, 0);
    assert_int_equal(st.sessions, 1);
    assert_int_equal(st.reconnects, 0);
    assert_int_equal(st.connects, 1);
    assert_true(st.heartbeats >= 8);
    assert_int_equal(st.records, (uint64_t) (30 + 2 + 3 + s->heartbeats));
    live_client_destroy(&lc);
    assert_null(lc);
    mockproc_stop(&m);
    free(s);
}

//  A rejected login: clear error, state FAILED, no second attempt, and the
//  key appears nowhere in what we logged.
static void s_expect_rejection(const char *const *argv, const char *key, const char *dataset,
                               const char *expect)
{
    mockproc_t m;
    assert_int_equal(mockproc_start(&m, argv, 5000), 0);
    live_client_config_t cfg;
    s_config(&cfg, m.port, key);
    cfg.dataset = dataset;
    sink_t *s = calloc(1, sizeof *s);
    int saved = stderr_capture_start();
    live_client_t *lc = live_client_new(&cfg, s_on_record, s);
    live_client_connect(lc);
    bool failed = s_run(lc, s, s_failed, 5000);
    //  stays failed: ticks and time do not reconnect
    s_run(lc, s, NULL, 300);
    char *err = stderr_capture_stop(saved);
    assert_true(failed);
    assert_int_equal(live_client_state(lc), LIVE_FAILED);
    assert_int_equal(live_client_tick(lc, ofts_clock_mono_ns() + 3600 * OFTS_NS_PER_SEC), -1);
    assert_int_equal(live_client_fd(lc), -1);
    live_client_stats_t st;
    live_client_stats(lc, &st);
    assert_int_equal(st.connects, 1);
    assert_int_equal(st.sessions, 0);
    assert_non_null(strstr(live_client_error(lc), expect));
    assert_non_null(strstr(err, expect));
    assert_non_null(strstr(err, "not retrying"));
    assert_null(strstr(err, key));
    assert_null(strstr(err, KEY));
    free(err);
    live_client_destroy(&lc);
    mockproc_stop(&m);
    free(s);
}

//  databento-cpp's test gateway greets with "lsg-test": the vendor client
//  ignores the text, so must we (logged, then the challenge is answered).
static void test_any_greeting(void **state)
{
    (void) state;
    mockproc_t m;
    const char *argv[] = { "ofts-mock-databento-live", "--key", KEY, "--records", "5", "--greeting", "lsg-test",
                           "--heartbeat-ms", "100", NULL };
    assert_int_equal(mockproc_start(&m, argv, 5000), 0);
    live_client_config_t cfg;
    s_config(&cfg, m.port, KEY);
    sink_t *s = calloc(1, sizeof *s);
    int saved = stderr_capture_start();
    live_client_t *lc = live_client_new(&cfg, s_on_record, s);
    live_client_connect(lc);
    s_target = 5;
    bool ok = s_run(lc, s, s_have_data, 5000);
    char *err = stderr_capture_stop(saved);
    assert_true(ok);
    live_client_stats_t st;
    live_client_stats(lc, &st);
    assert_int_equal(st.connects, 1);
    assert_int_equal(st.sessions, 1);
    assert_non_null(strstr(err, "gateway greeting 'lsg-test'"));
    free(err);
    live_client_destroy(&lc);
    mockproc_stop(&m);
    free(s);
}

static void test_bad_key(void **state)
{
    (void) state;
    const char *argv[] = { "ofts-mock-databento-live", "--key", KEY, NULL };
    s_expect_rejection(argv, WRONG_KEY, "GLBX.MDP3",
                       "gateway rejected authentication for dataset GLBX.MDP3: Authentication failed.");
}

static void test_bad_dataset(void **state)
{
    (void) state;
    const char *argv[] = { "ofts-mock-databento-live", "--key", KEY, NULL };
    s_expect_rejection(argv, KEY, "FOO.BAR", "Unknown dataset 'FOO.BAR'");
}

static void test_refused(void **state)
{
    (void) state;
    const char *argv[] = { "ofts-mock-databento-live", "--key", KEY, "--refuse-auth", NULL };
    s_expect_rejection(argv, KEY, "GLBX.MDP3", "Authentication failed.");
}

static void test_disconnect_reconnect(void **state)
{
    (void) state;
    mockproc_t m;
    const char *argv[] = { "ofts-mock-databento-live", "--key", KEY, "--records", "200",
                           "--disconnect-after", "50", "--faults", "2", "--heartbeat-ms", "100", NULL };
    assert_int_equal(mockproc_start(&m, argv, 5000), 0);
    live_client_config_t cfg;
    s_config(&cfg, m.port, KEY);
    sink_t *s = calloc(1, sizeof *s);
    live_client_t *lc = live_client_new(&cfg, s_on_record, s);
    assert_int_equal(live_client_connect(lc), LIVE_FD_CHANGED);
    s_target = 200;
    assert_true(s_run(lc, s, s_have_data, 15000));
    live_client_stats_t st;
    live_client_stats(lc, &st);
    //  two drops after 50 records each, then the rest: nothing twice, nothing lost
    assert_int_equal(s->data, 200);
    assert_int_equal(s->duplicates, 0);
    for (int q = 1; q <= 200; q++)
        assert_int_equal(s->seq_seen[q], 1);
    assert_int_equal(st.sessions, 3);
    assert_int_equal(st.reconnects, 2);
    assert_int_equal(st.connects, 3);
    //  resubscribed every time: mappings and acks once per session
    assert_int_equal(s->mappings, 6);
    assert_int_equal(s->acks, 9);
    //  back-off doubled after the second quick drop: 50 -> 100 ms
    assert_int_equal(live_client_backoff_ms(lc), 100);
    //  the records after each reconnect keep their content
    assert_int_equal(s->rec[51].mbp.price, 2005000000000LL);
    assert_int_equal(s->rec[200].mbp.price, 2019900000000LL);
    assert_int_equal(live_client_last_ts_event(lc), 1764547200199000000ULL);
    live_client_destroy(&lc);
    mockproc_stop(&m);
    free(s);
}

//  compression=zstd: the whole stream after start_session is zstd; a drop
//  mid-stream starts a fresh zstd stream on the next session.
static void test_zstd_session(void **state)
{
    (void) state;
    mockproc_t m;
    const char *argv[] = { "ofts-mock-databento-live", "--key", KEY, "--records", "200",
                           "--disconnect-after", "70", "--heartbeat-ms", "100", NULL };
    assert_int_equal(mockproc_start(&m, argv, 5000), 0);
    live_client_config_t cfg;
    s_config(&cfg, m.port, KEY);
    cfg.zstd = true;
    sink_t *s = calloc(1, sizeof *s);
    live_client_t *lc = live_client_new(&cfg, s_on_record, s);
    live_client_connect(lc);
    s_target = 200;
    assert_true(s_run(lc, s, s_have_data, 10000));
    s_target = 2;
    assert_true(s_run(lc, s, s_have_heartbeats, 5000));
    live_client_stats_t st;
    live_client_stats(lc, &st);
    assert_int_equal(s->data, 200);
    assert_int_equal(s->duplicates, 0);
    assert_int_equal(st.reconnects, 1);
    assert_int_equal(st.decode_errors, 0);
    assert_int_equal(s->mappings, 4);
    //  record 4 (mbp-1, NQZ6) as in test_session, and one after the drop
    assert_int_equal(s->rec[5].rtype, DBN_RTYPE_MBP1);
    assert_string_equal(s->sym[5], "NQZ6");
    assert_int_equal(s->rec[5].mbp.levels[0].bid_sz, 14);
    assert_int_equal(s->rec[150].mbp.price, 2014900000000LL);      //  i = 149
    assert_int_equal(s->rec[150].rtype, DBN_RTYPE_MBP10);          //  149 % 3 == 2
    live_client_destroy(&lc);
    mockproc_stop(&m);
    free(s);
}

//  replay_start = session_open: the first session's trades line carries
//  start=<session open ns>; a reconnect does not replay again.
static void test_replay_first_session_only(void **state)
{
    (void) state;
    mockproc_t m;
    const char *argv[] = { "ofts-mock-databento-live", "--key", KEY, "--records", "90",
                           "--disconnect-after", "30", "--heartbeat-ms", "100", NULL };
    assert_int_equal(mockproc_start(&m, argv, 5000), 0);
    live_client_config_t cfg;
    s_config(&cfg, m.port, KEY);
    cfg.replay_session_open = true;         //  replay_mask default: trades
    sink_t *s = calloc(1, sizeof *s);
    live_client_t *lc = live_client_new(&cfg, s_on_record, s);
    live_client_connect(lc);
    s_target = 90;
    assert_true(s_run(lc, s, s_have_data, 10000));
    live_client_stats_t st;
    live_client_stats(lc, &st);
    assert_int_equal(st.reconnects, 1);
    assert_int_equal(s->acks, 6);
    assert_int_equal(s->replays, 1);        //  "Finished trades replay", first session only
    live_client_destroy(&lc);
    mockproc_stop(&m);
    free(s);
}

static bool s_timed_out_and_done(live_client_t *lc, sink_t *s)
{
    live_client_stats_t st;
    live_client_stats(lc, &st);
    return st.heartbeat_timeouts >= 1 && s->data >= 40;
}

static void test_heartbeat_timeout(void **state)
{
    (void) state;
    mockproc_t m;
    const char *argv[] = { "ofts-mock-databento-live", "--key", KEY, "--records", "40",
                           "--silent-after", "10", "--heartbeat-ms", "100", NULL };
    assert_int_equal(mockproc_start(&m, argv, 5000), 0);
    live_client_config_t cfg;
    s_config(&cfg, m.port, KEY);
    cfg.heartbeat_timeout_ms = 500;
    sink_t *s = calloc(1, sizeof *s);
    live_client_t *lc = live_client_new(&cfg, s_on_record, s);
    live_client_connect(lc);
    int64_t t0 = mockproc_now_ms();
    assert_true(s_run(lc, s, s_timed_out_and_done, 10000));
    //  the time-out cannot fire before 500 ms of silence
    assert_true(mockproc_now_ms() - t0 >= 500);
    live_client_stats_t st;
    live_client_stats(lc, &st);
    assert_int_equal(st.heartbeat_timeouts, 1);
    assert_int_equal(st.reconnects, 1);
    assert_int_equal(s->data, 40);
    assert_int_equal(s->duplicates, 0);
    assert_int_equal(live_client_state(lc), LIVE_STREAMING);
    live_client_destroy(&lc);
    mockproc_stop(&m);
    free(s);
}

static void test_garbage_and_unresolved(void **state)
{
    (void) state;
    mockproc_t m;
    const char *argv[] = { "ofts-mock-databento-live", "--key", KEY, "--records", "60",
                           "--garbage-after", "20", "--heartbeat-ms", "100", NULL };
    assert_int_equal(mockproc_start(&m, argv, 5000), 0);
    live_client_config_t cfg;
    s_config(&cfg, m.port, KEY);
    cfg.symbols = "GC.FUT,BADX.FUT";
    sink_t *s = calloc(1, sizeof *s);
    live_client_t *lc = live_client_new(&cfg, s_on_record, s);
    live_client_connect(lc);
    s_target = 60;
    assert_true(s_run(lc, s, s_have_data, 10000));
    live_client_stats_t st;
    live_client_stats(lc, &st);
    //  garbage -> decode error -> reconnect; nothing lost, nothing twice
    assert_int_equal(st.decode_errors, 1);
    assert_int_equal(st.reconnects, 1);
    assert_int_equal(s->data, 60);
    assert_int_equal(s->duplicates, 0);
    //  the unresolvable symbol: one ErrorMsg per session, session kept
    assert_int_equal(st.gateway_errors, 2);
    assert_int_equal(s->errors, 2);
    assert_int_equal(s->mappings, 2);
    //  only GC resolved, so every record is GCZ6
    assert_string_equal(s->sym[60], "GCZ6");
    assert_int_equal(live_client_state(lc), LIVE_STREAMING);
    live_client_destroy(&lc);
    mockproc_stop(&m);
    free(s);
}

//  A real Databento sample (v1, zstd) streamed by the mock: the client
//  decodes its records and the mock's v1 heartbeats.
typedef struct {
    int data, heartbeats, errors;
    dbn_record_t first[2];
    dbn_record_t heartbeat, error;
    char sym[16];
} file_sink_t;

static void s_on_file_record(const dbn_record_t *rec, dbn_decoder_t *dec, void *arg)
{
    file_sink_t *s = arg;
    if (rec->rtype == DBN_RTYPE_SYSTEM && rec->system.code == 0 && s->heartbeats++ == 0)
        s->heartbeat = *rec;
    if (rec->rtype == DBN_RTYPE_ERROR && s->errors++ == 0)
        s->error = *rec;
    if (rec->rtype != DBN_RTYPE_MBP0)
        return;
    if (s->data < 2)
        s->first[s->data] = *rec;
    if (s->data == 0) {
        const char *sym = dbn_decoder_symbol(dec, rec->instrument_id);
        snprintf(s->sym, sizeof s->sym, "%s", sym ? sym : "?");
    }
    s->data++;
}

static void test_real_sample_stream(void **state)
{
    (void) state;
    const char *dir = getenv("OFTS_SHARED_DBN");
    char path[512];
    snprintf(path, sizeof path, "%s/test_data.trades.v1.dbn.zst", dir ? dir : "");
    if (!dir || access(path, R_OK) != 0) {
        fprintf(stderr, "skipping: shared DBN sample %s not available\n", path);
        skip();
    }
    mockproc_t m;
    const char *argv[] = { "ofts-mock-databento-live", "--key", KEY, "--file", path, "--heartbeat-ms", "100", NULL };
    assert_int_equal(mockproc_start(&m, argv, 5000), 0);
    live_client_config_t cfg;
    s_config(&cfg, m.port, KEY);
    cfg.symbols = "ESH1";
    cfg.stype_in = "raw_symbol";
    file_sink_t fs;
    memset(&fs, 0, sizeof fs);
    live_client_t *lc = live_client_new(&cfg, s_on_file_record, &fs);
    int64_t t0 = ofts_clock_now_ns();
    live_client_connect(lc);
    int64_t deadline = mockproc_now_ms() + 5000;
    while ((fs.data < 2 || fs.heartbeats < 3) && mockproc_now_ms() < deadline)
        s_run(lc, NULL, NULL, 20);
    //  values from spec §13 / EXPECTED/test_data.trades.v1.dbn.zst.jsonl
    assert_int_equal(fs.data, 2);
    assert_int_equal(fs.first[0].instrument_id, 5482);
    assert_int_equal(fs.first[0].mbp.price, 3720250000000LL);
    assert_int_equal(fs.first[0].mbp.size, 5);
    assert_int_equal(fs.first[0].mbp.side, 'A');
    assert_int_equal(fs.first[0].mbp.flags, 129);
    assert_int_equal(fs.first[0].mbp.sequence, 1170380);
    assert_int_equal(fs.first[0].ts_event, 1609160400098821953ULL);
    assert_int_equal(fs.first[1].mbp.size, 21);
    assert_int_equal(fs.first[1].mbp.sequence, 1170414);
    assert_string_equal(fs.sym, "ESH1");
    //  v1 heartbeats carry no code: recognised from their text; their
    //  ts_event is the gateway's clock, not 0
    assert_true(fs.heartbeats >= 3);
    assert_true((int64_t) fs.heartbeat.ts_event >= t0);
    assert_true((int64_t) fs.heartbeat.ts_event <= ofts_clock_now_ns());
    //  the file has no mbp-1 / mbp-10: both subscriptions refused with a
    //  (v1) ErrorMsg, upgraded like the vendor: code and is_last unknown (255)
    assert_int_equal(fs.errors, 2);
    assert_string_equal(fs.error.error.err, "Invalid subscription: no mbp-1 data for this file");
    assert_int_equal(fs.error.error.code, 255);
    assert_int_equal(fs.error.error.is_last, 255);
    live_client_stats_t st;
    live_client_stats(lc, &st);
    assert_int_equal(st.heartbeat_timeouts, 0);
    assert_int_equal(st.decode_errors, 0);
    live_client_destroy(&lc);
    mockproc_stop(&m);
}

static bool s_four_failures(live_client_t *lc, sink_t *s)
{
    (void) s;
    live_client_stats_t st;
    live_client_stats(lc, &st);
    return st.connect_failures >= 5;
}

static void test_refused_connection_backoff(void **state)
{
    (void) state;
    int port = mockproc_closed_port();
    assert_true(port > 0);
    live_client_config_t cfg;
    s_config(&cfg, port, KEY);
    sink_t *s = calloc(1, sizeof *s);
    live_client_t *lc = live_client_new(&cfg, s_on_record, s);
    assert_int_equal(live_client_connect(lc), 0);
    assert_int_equal(live_client_state(lc), LIVE_BACKOFF);
    assert_int_equal(live_client_backoff_ms(lc), 50);
    assert_non_null(strstr(live_client_error(lc), "Connection refused"));
    int64_t t0 = mockproc_now_ms();
    assert_true(s_run(lc, s, s_four_failures, 5000));
    //  50 + 100 + 200 + 400 ms of waiting between five attempts, capped at 400
    assert_true(mockproc_now_ms() - t0 >= 750 - 20);
    assert_int_equal(live_client_backoff_ms(lc), 400);
    assert_int_equal(live_client_state(lc), LIVE_BACKOFF);
    //  never a session, yet every attempt after the first is a reconnect
    live_client_stats_t st;
    live_client_stats(lc, &st);
    assert_int_equal(st.sessions, 0);
    assert_true(st.connects >= 5);
    assert_int_equal(st.reconnects, st.connects - 1);
    live_client_destroy(&lc);
    free(s);
}

static bool s_connect_failed(live_client_t *lc, sink_t *s)
{
    (void) s;
    live_client_stats_t st;
    live_client_stats(lc, &st);
    return st.connect_failures >= 1;
}

//  A gateway that never answers the SYN: connect must not block the loop,
//  and gives up after connect_timeout_ms.
static void test_connect_timeout(void **state)
{
    (void) state;
    //  a listener with a full backlog (0) drops further SYNs
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    assert_int_equal(bind(l, (struct sockaddr *) &a, sizeof a), 0);
    assert_int_equal(listen(l, 0), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *) &a, &len), 0);
    int filler = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(filler, (struct sockaddr *) &a, sizeof a), 0);
    live_client_config_t cfg;
    s_config(&cfg, ntohs(a.sin_port), KEY);
    cfg.connect_timeout_ms = 300;
    sink_t *s = calloc(1, sizeof *s);
    live_client_t *lc = live_client_new(&cfg, s_on_record, s);
    int64_t t0 = mockproc_now_ms();
    assert_int_equal(live_client_connect(lc), LIVE_FD_CHANGED);
    assert_true(mockproc_now_ms() - t0 < 100);
    assert_int_equal(live_client_state(lc), LIVE_CONNECTING);
    assert_true(live_client_fd(lc) >= 0);
    assert_true(s_run(lc, s, s_connect_failed, 3000));
    assert_true(mockproc_now_ms() - t0 >= 300);
    assert_non_null(strstr(live_client_error(lc), "timed out after 300 ms"));
    assert_int_equal(live_client_state(lc), LIVE_BACKOFF);
    assert_int_equal(live_client_fd(lc), -1);
    live_client_destroy(&lc);
    free(s);
    close(filler);
    close(l);
}

static void test_config(void **state)
{
    (void) state;
    char err[256];
    ofts_config_t *c = ofts_config_parse(
        "{\"gateway_md\": {\"live\": {\"port\": 14000, \"symbols\": [\"GC.c.0\", \"NQ.c.0\"],"
        " \"stype_in\": \"continuous\", \"schemas\": [\"trades\", \"mbp-10\"], \"backoff_max_ms\": 9000,"
        " \"compression\": \"zstd\"}}}",
        "t.json", err, sizeof err);
    assert_non_null(c);
    ofts_cfgsec_t *sec = ofts_config_section(c, "gateway_md");
    live_client_config_t cfg;
    assert_int_equal(live_client_config_read(&cfg, sec), 0);
    assert_int_equal(ofts_cfgsec_finish(&sec, err, sizeof err), 0);
    assert_int_equal(cfg.port, 14000);
    assert_string_equal(cfg.symbols, "GC.c.0,NQ.c.0");
    assert_string_equal(cfg.stype_in, "continuous");
    assert_int_equal(cfg.n_schemas, 2);
    assert_string_equal(cfg.schemas[1], "mbp-10");
    assert_int_equal(cfg.backoff_min_ms, 500);
    assert_int_equal(cfg.backoff_max_ms, 9000);
    assert_int_equal(cfg.heartbeat_interval_s, 30);
    assert_true(cfg.zstd);
    assert_false(cfg.replay_session_open);
    assert_int_equal(cfg.replay_mask, 1);   //  trades is schemas[0]
    char host[128];
    live_client_gateway_host(&cfg, host, sizeof host);
    assert_string_equal(host, "glbx-mdp3.lsg.databento.com");
    ofts_config_destroy(&c);

    //  bad values: one clear line each
    const char *bad[] = {
        "{\"gateway_md\": {\"live\": {\"schemas\": [\"trade\"]}}}",
        "{\"gateway_md\": {\"live\": {\"stype_in\": \"smart\"}}}",
        "{\"gateway_md\": {\"live\": {\"heartbeat_interval_s\": 2}}}",
        "{\"gateway_md\": {\"live\": {\"symbols\": []}}}",
        "{\"gateway_md\": {\"live\": {\"backoff_min_ms\": 5000, \"backoff_max_ms\": 100}}}",
        "{\"gateway_md\": {\"live\": {\"hostname\": \"x\"}}}",
        "{\"gateway_md\": {\"live\": {\"compression\": \"lz4\"}}}",
        "{\"gateway_md\": {\"live\": {\"replay_start\": \"yesterday\"}}}",
        "{\"gateway_md\": {\"live\": {\"schemas\": [\"mbp-1\"], \"replay_schemas\": [\"trades\"]}}}",
    };
    const char *expect[] = { "gateway_md.live.schemas", "gateway_md.live.stype_in",
        "gateway_md.live.heartbeat_interval_s", "gateway_md.live.symbols",
        "gateway_md.live.backoff_max_ms", "gateway_md.live.hostname: unknown key",
        "gateway_md.live.compression", "gateway_md.live.replay_start", "gateway_md.live.replay_schemas" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c = ofts_config_parse(bad[i], "t.json", err, sizeof err);
        assert_non_null(c);
        sec = ofts_config_section(c, "gateway_md");
        live_client_config_read(&cfg, sec);
        assert_int_equal(ofts_cfgsec_finish(&sec, err, sizeof err), -1);
        if (!strstr(err, expect[i]))
            fail_msg("case %zu: '%s' lacks '%s'", i, err, expect[i]);
        ofts_config_destroy(&c);
    }
    //  no key: refused up front
    live_client_config_defaults(&cfg);
    assert_null(live_client_new(&cfg, NULL, NULL));
}

int main(void)
{
    ofts_log_init("test-live", OFTS_LOG_INFO);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_session),
        cmocka_unit_test(test_any_greeting),
        cmocka_unit_test(test_bad_key),
        cmocka_unit_test(test_bad_dataset),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_disconnect_reconnect),
        cmocka_unit_test(test_heartbeat_timeout),
        cmocka_unit_test(test_zstd_session),
        cmocka_unit_test(test_replay_first_session_only),
        cmocka_unit_test(test_garbage_and_unresolved),
        cmocka_unit_test(test_real_sample_stream),
        cmocka_unit_test(test_refused_connection_backoff),
        cmocka_unit_test(test_connect_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
