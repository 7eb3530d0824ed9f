/*  ofts-gateway-md - market data onto the bus.

        ofts-gateway-md [--config F] --replay FILE... [--speed N | --realtime | --fast]
                        [--symbols GC,SI] [--linger]
        ofts-gateway-md [--config F] --live            (Databento live gateway)

    Replay publishes DBN files (merged by ts_recv) as md.trade / md.bbo /
    md.book envelopes, paced by the data's own timestamps. Progress goes to
    stderr at most once a second and into the heartbeat state; a summary at
    the end. Exits when the replay is done, unless --linger.

    Config section "gateway_md" (defaults in code; docs/gateway-md.md):
        mode            "replay" | "live"         "replay"
        files           array of paths            []
        speed           0 fast, 1 real time, N x  1
        symbols         array of roots            [] (all known roots)
        linger          bool                      false
        start_delay_ms  wait before publishing    500 (slow-joiner grace)
        max_gap_s       cut longer data gaps      0 (keep gaps)
        bbo_from_depth  MBP-10 also gives md.bbo  true
        trade_source    which records are trades  "auto": from the files' schemas
                        (replay) or the subscribed schemas (live): trades, then
                        mbp-1/tbbo, then mbp-10; or "trades", "mbp-1", "mbp-10",
                        "mbo", "any"
        live            live gateway settings     see docs/databento-net.md

    Live mode needs DATABENTO_API_KEY and --live; mode "live" in the config
    alone is honoured only for a non-Databento host (a local mock), so no
    default configuration ever reaches the real gateway.                   */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include "md_normalizer.h"
#include "ofts_instrument.h"
#include "ofts_clock.h"
#include "ofts_log.h"
#include "ofts_service.h"
#include "replay.h"
#include "replay_checkpoint.h"
#include "live_run.h"
#include "hist_client.h"

#define MAX_FILES 64
#define MAX_SYMBOLS 32
#define BATCH_NS (20 * 1000000LL)   //  work per tick before letting timers run

typedef struct {
    ofts_service_t *svc;
    replay_t *replay;
    md_normalizer_t *norm;
    replay_pace_t pace;
    double speed;
    bool linger;
    bool done;
    bool have_pending;              //  a record read but not yet due
    const dbn_record_t *pending;
    const char *pending_contract;
    int64_t start_mono, start_after, last_progress;
    uint64_t published, publish_errors, data_errors;
    replay_checkpoint_t *ckpt;      //  gateway_md.checkpoint: resume after a crash
    uint64_t records_done;          //  records through the normaliser (the checkpoint's count)
    //  bus.lockstep (ofts_lockstep.h): each market time is published, marked
    //  and handled by the trading path before the next one.
    bool lockstep;
    bool waiting;                   //  for gateway-order's mark of wait_mark
    uint64_t group_ts;              //  newest ts_event published (the mark)
    uint64_t marked_published;      //  app->published when the last mark completed
    uint64_t wait_mark;
    int64_t mark_sent, wait_since, wait_warned;
} app_t;

typedef struct {
    const char *mode;
    const char *files[MAX_FILES];
    int nfiles;
    const char *symbols[MAX_SYMBOLS];
    int nsymbols;
    double speed;
    bool linger;
    int64_t start_delay_ms;
    double max_gap_s;
    bool bbo_from_depth;
    int trade_source;               //  md_normalizer_trade_source_parse
    const char *checkpoint;
    live_client_config_t live;
} settings_t;

static void
s_emit(const char *topic, Ofts__Envelope *env, void *arg)
{
    app_t *app = arg;
    if (ofts_service_publish(app->svc, topic, env) == 0)
        app->published++;
    else
        app->publish_errors++;
}

static void
s_progress(app_t *app, int64_t now, bool final)
{
    double secs = (double) (now - app->start_mono) / 1e9;
    uint64_t n = replay_records(app->replay);
    double pct = 100.0 * replay_progress(app->replay);
    double rate = secs > 0 ? (double) n / secs : 0;
    ofts_service_set_state(app->svc, "%s %.0f%%", final ? "replayed" : "replaying", pct);
    if (!final)
        log_info("replay: %" PRIu64 " records (%.1f%%), %.0f rec/s, %" PRIu64 " published",
                 n, pct, rate, app->published);
}

static void
s_summary(app_t *app, int64_t now)
{
    md_normalizer_stats_t st = md_normalizer_stats(app->norm);
    double secs = (double) (now - app->start_mono) / 1e9;
    log_info("replay done: %" PRIu64 " records in %.2f s (%.0f rec/s); published %" PRIu64
             " (trades %" PRIu64 ", bbo %" PRIu64 ", book %" PRIu64 "); held (no F_LAST) %" PRIu64
             ", unknown contracts %" PRIu64 ", filtered %" PRIu64 ", other records %" PRIu64
             ", unknown rtypes %" PRIu64 ", publish errors %" PRIu64 ", file errors %" PRIu64,
             replay_records(app->replay), secs, secs > 0 ? (double) replay_records(app->replay) / secs : 0,
             app->published, st.trades, st.bbos, st.books, st.held, st.unknown, st.filtered,
             st.ignored, replay_skipped(app->replay), app->publish_errors, app->data_errors);
}

static void
s_finish(app_t *app, int64_t now)
{
    app->done = true;
    replay_checkpoint_done(app->ckpt);
    s_progress(app, now, true);
    s_summary(app, now);
    if (!app->linger)
        ofts_service_stop(app->svc);
    else
        log_info("replay done; lingering (heartbeats continue) until stopped");
}

//  Lockstep: true while the trading path has not finished with what was
//  published. Before the first record of a newer market time (or the end),
//  mark everything before it and wait for the mark to come back; the first
//  mark (1, before any data) proves the chain is connected.
static bool
s_lockstep_hold(app_t *app, uint64_t next_ts, int64_t now)
{
    if (!app->lockstep)
        return false;
    if (app->waiting) {
        if (now - app->mark_sent >= 200000000LL) {     //  lost on the way, or a relay restarted
            ofts_service_publish_mark(app->svc, app->wait_mark);
            app->mark_sent = now;
        }
        if (now - app->wait_warned >= 5000000000LL) {
            app->wait_warned = now;
            log_warn("lockstep: waited %.1f s for the trading path to finish market time %" PRIu64
                     " (is gateway-order running with bus.lockstep?)",
                     (double) (now - app->wait_since) / 1e9, app->wait_mark);
        }
        return true;
    }
    if (app->group_ts == 0)
        app->group_ts = 1;
    else if (next_ts <= app->group_ts || app->published == app->marked_published)
        return false;
    app->waiting = true;
    app->wait_mark = app->group_ts;
    app->mark_sent = app->wait_since = app->wait_warned = now;
    ofts_service_publish_mark(app->svc, app->wait_mark);
    return true;
}

static void s_pump(app_t *app);

//  gateway-order's mark: the market time it vouches for is done.
static void
s_on_sync(ofts_service_t *svc, uint64_t mark, void *arg)
{
    (void) svc;
    app_t *app = arg;
    if (!app->waiting || mark < app->wait_mark)
        return;
    app->waiting = false;
    app->marked_published = app->published;
    s_pump(app);
}

static void
s_tick(ofts_service_t *svc, int64_t now_ns, void *arg)
{
    (void) svc;
    (void) now_ns;
    s_pump(arg);
}

//  Publish every record that is due; the rest waits for the next tick.
static void
s_pump(app_t *app)
{
    if (app->done)
        return;
    int64_t now = ofts_clock_mono_ns();
    if (now < app->start_after)
        return;
    if (app->start_mono == 0)
        app->start_mono = app->last_progress = now;
    int64_t budget_end = now + BATCH_NS;
    for (;;) {
        if (!app->have_pending) {
            int rc = replay_next(app->replay, &app->pending, &app->pending_contract);
            if (rc < 0) {
                app->data_errors++;
                log_error("replay: %s (file dropped, continuing)", replay_error(app->replay));
                continue;
            }
            if (rc == 0) {
                //  (lockstep: "replay done" only once the last market
                //  time has been handled downstream too)
                if (s_lockstep_hold(app, UINT64_MAX, now))
                    break;
                s_finish(app, ofts_clock_mono_ns());
                return;
            }
            app->have_pending = true;
        }
        if (s_lockstep_hold(app, app->pending->ts_event, now))
            break;
        int64_t due = replay_pace_due(&app->pace, (int64_t) dbn_record_ts_index(app->pending), now);
        if (due > now)
            break;                  //  the shell's timer brings us back
        md_normalizer_process(app->norm, app->pending, app->pending_contract, s_emit, app);
        if (app->pending->ts_event > app->group_ts)
            app->group_ts = app->pending->ts_event;
        app->have_pending = false;
        app->records_done++;
        //  (asking replay_pace_due again about a waiting record is idempotent)
        if ((replay_records(app->replay) & 1023) == 0) {
            now = ofts_clock_mono_ns();
            if (now >= budget_end)
                break;
        }
    }
    now = ofts_clock_mono_ns();
    if (now - app->last_progress >= 1000000000LL) {
        app->last_progress = now;
        s_progress(app, now, false);
        replay_checkpoint_save(app->ckpt, app->records_done);
    }
}

static int
s_read_string_array(ofts_cfgsec_t *sec, const char *key, const char **out, int max)
{
    json_t *arr = ofts_cfgsec_json(sec, key);
    if (!arr)
        return 0;
    if (!json_is_array(arr)) {
        ofts_cfgsec_fail(sec, key, "expected an array of strings");
        return 0;
    }
    int n = 0;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v) || n >= max) {
            ofts_cfgsec_fail(sec, key, "expected at most %d strings", max);
            return n;
        }
        out[n++] = json_string_value(v);
    }
    return n;
}

static int
s_read_config(ofts_service_t *svc, settings_t *s)
{
    ofts_cfgsec_t *sec = ofts_config_section(ofts_service_config(svc), "gateway_md");
    s->mode = ofts_cfgsec_string(sec, "mode", "replay");
    if (strcmp(s->mode, "replay") != 0 && strcmp(s->mode, "live") != 0)
        ofts_cfgsec_fail(sec, "mode", "expected \"replay\" or \"live\"");
    s->nfiles = s_read_string_array(sec, "files", s->files, MAX_FILES);
    s->nsymbols = s_read_string_array(sec, "symbols", s->symbols, MAX_SYMBOLS);
    s->speed = ofts_cfgsec_double(sec, "speed", 1.0);
    if (s->speed < 0)
        ofts_cfgsec_fail(sec, "speed", "must be >= 0 (0 = as fast as possible)");
    s->linger = ofts_cfgsec_bool(sec, "linger", false);
    s->start_delay_ms = ofts_cfgsec_int_range(sec, "start_delay_ms", 500, 0, 600000);
    s->max_gap_s = ofts_cfgsec_double(sec, "max_gap_s", 0);
    s->bbo_from_depth = ofts_cfgsec_bool(sec, "bbo_from_depth", true);
    s->checkpoint = ofts_cfgsec_string(sec, "checkpoint", "");
    const char *source = ofts_cfgsec_string(sec, "trade_source", "auto");
    s->trade_source = md_normalizer_trade_source_parse(source);
    if (s->trade_source == -3)
        ofts_cfgsec_fail(sec, "trade_source", "expected auto, any, trades, tbbo, mbp-1, mbp-10, mbo, cmbp-1 or tcbbo");
    for (int i = 0; i < s->nsymbols; i++)
        if (!ofts_instrument_find(s->symbols[i]))
            ofts_cfgsec_fail(sec, "symbols", "unknown root %s", s->symbols[i]);
    live_client_config_read(&s->live, sec);     //  gateway_md.live
    //  gateway_md.historical belongs to ofts-databento; checked here too so
    //  --check-config covers the whole section
    hist_request_t hist;
    hist_request_config_read(&hist, sec);
    return ofts_service_config_done(svc, &sec);
}

static int
s_usage(void)
{
    fprintf(stderr, "usage: ofts-gateway-md [--config F] --replay FILE... [--speed N | --realtime | --fast]\n"
                    "                       [--symbols GC,SI,...] [--linger]\n"
                    "       ofts-gateway-md [--config F] --live   (all flags: --help)\n");
    return OFTS_EXIT_CONFIG;
}

//  Command line over config. Returns 0, or an exit code.
static int
s_read_args(ofts_service_t *svc, settings_t *s, bool *live, char *symbols_buf, size_t bufsize)
{
    int argc = ofts_service_argc(svc);
    char **argv = ofts_service_argv(svc);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--replay") == 0) {
            //  Each --replay replaces the files before it: `ofts up --replay X`
            //  comes after the config's up.args and must win.
            s->nfiles = 0;
            s->mode = "replay";
            while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0 && s->nfiles < MAX_FILES)
                s->files[s->nfiles++] = argv[++i];
        }
        else if (strcmp(a, "--speed") == 0 && i + 1 < argc) {
            char *end;
            s->speed = strtod(argv[++i], &end);
            if (*end || s->speed < 0)
                return s_usage();
        }
        else if (strcmp(a, "--realtime") == 0)
            s->speed = 1;
        else if (strcmp(a, "--fast") == 0)
            s->speed = 0;
        else if (strcmp(a, "--linger") == 0)
            s->linger = true;
        else if (strcmp(a, "--live") == 0)
            *live = true;
        else if (strcmp(a, "--symbols") == 0 && i + 1 < argc) {
            snprintf(symbols_buf, bufsize, "%s", argv[++i]);
            s->nsymbols = 0;
            for (char *tok = strtok(symbols_buf, ","); tok && s->nsymbols < MAX_SYMBOLS; tok = strtok(NULL, ","))
                s->symbols[s->nsymbols++] = tok;
        }
        else {
            fprintf(stderr, "ofts-gateway-md: unknown argument %s\n", a);
            return s_usage();
        }
    }
    if (strcmp(s->mode, "live") == 0 && !*live) {
        //  config alone may select a local gateway, never Databento's
        char host[256];
        live_client_gateway_host(&s->live, host, sizeof host);
        size_t n = strlen(host);
        if (n >= 13 && strcmp(host + n - 13, "databento.com") == 0) {
            log_error("gateway_md.mode is \"live\" for %s: add --live to confirm a real Databento session", host);
            return OFTS_EXIT_CONFIG;
        }
        *live = true;
    }
    return 0;
}

static void
s_drop(const char *topic, Ofts__Envelope *env, void *arg)
{
    (void) topic;
    (void) env;
    (void) arg;
}

//  A restarted replay: the records an earlier life published go through the
//  normaliser (its books and held trades are rebuilt) but not to the bus.
static void
s_resume(app_t *app, uint64_t skip)
{
    const dbn_record_t *rec;
    const char *contract;
    while (app->records_done < skip && replay_next(app->replay, &rec, &contract) > 0) {
        md_normalizer_process(app->norm, rec, contract, s_drop, app);
        app->records_done++;
    }
    if (skip)
        log_info("replay: resumed from the checkpoint after %" PRIu64 " records (not published again)",
                 app->records_done);
}

//  Before anything starts (and in --check-config): a replay needs files that
//  can be opened. A restart cannot create a missing file: exit 3, not 1.
static int
s_check_replay_files(const settings_t *s)
{
    if (s->nfiles == 0) {
        log_error("replay: no data to replay: give `ofts up --replay FILE` (make demo writes "
                  "data/generated/demo-months.dbn.zst), set gateway_md.files, or go live with --live");
        return OFTS_EXIT_CONFIG;
    }
    for (int i = 0; i < s->nfiles; i++)
        if (access(s->files[i], R_OK) != 0) {
            log_error("replay: cannot read %s: %s", s->files[i], strerror(errno));
            return OFTS_EXIT_FATAL;
        }
    return 0;
}

static int
s_run_replay(ofts_service_t *svc, settings_t *s)
{
    app_t app = { .svc = svc, .speed = s->speed, .linger = s->linger };
    app.replay = replay_new();
    app.norm = md_normalizer_new();
    int rc = 0;
    for (int i = 0; i < s->nfiles && rc == 0; i++) {
        char err[600];
        if (replay_add_file(app.replay, s->files[i], err, sizeof(err)) != 0) {
            log_error("replay: %s", err);
            rc = OFTS_EXIT_FATAL;       //  a bad file stays bad
        }
    }
    for (int i = 0; i < s->nsymbols && rc == 0; i++)
        if (md_normalizer_allow(app.norm, s->symbols[i]) != 0) {
            log_error("replay: unknown root %s", s->symbols[i]);
            rc = OFTS_EXIT_CONFIG;
        }
    if (rc == 0) {
        md_normalizer_set_bbo_from_depth(app.norm, s->bbo_from_depth);
        int trade_rtype = s->trade_source == -2 ? replay_trade_rtype(app.replay) : s->trade_source;
        md_normalizer_set_trade_rtype(app.norm, trade_rtype);
        log_info("replay: trades from %s records", trade_rtype < 0 ? "any" : dbn_rtype_name((uint8_t) trade_rtype));
        replay_pace_init(&app.pace, s->speed, (int64_t) (s->max_gap_s * 1e9));
        app.ckpt = replay_checkpoint_new(s->checkpoint, s->files, s->nfiles);
        s_resume(&app, replay_checkpoint_resume(app.ckpt));
        log_info("replay: %d file(s), speed %s%g, symbols %s, start in %" PRId64 " ms",
                 s->nfiles, s->speed == 0 ? "fast " : "x", s->speed, s->nsymbols ? "filtered" : "all",
                 s->start_delay_ms);
        app.start_after = ofts_clock_mono_ns() + s->start_delay_ms * 1000000LL;
        static const char *const upstream[] = { "risk" };
        app.lockstep = ofts_service_lockstep_enabled(svc);
        ofts_service_on_sync(svc, s_on_sync, &app);
        if (ofts_service_lockstep(svc, upstream, 1, false) != 0) {
            rc = OFTS_EXIT_CONFIG;
            goto out;
        }
        ofts_service_set_state(svc, "replaying 0%%");
        ofts_service_on_tick(svc, 1, s_tick, &app);
        rc = ofts_service_run(svc);
        if (rc == 0)                //  a clean stop is not a crash: the next start is from the top
            replay_checkpoint_done(app.ckpt);
        if (rc == 0 && app.data_errors)
            rc = 1;
    }
out:
    md_normalizer_destroy(&app.norm);
    replay_destroy(&app.replay);
    replay_checkpoint_destroy(&app.ckpt);
    return rc;
}

int
main(int argc, char **argv)
{
    ofts_service_usage("  --replay FILE...  replay DBN files (.dbn, .dbn.zst); the last --replay wins\n"
                       "  --speed N         replay pace: 1 real time, 20 = 20x, 0 as fast as possible\n"
                       "  --realtime        same as --speed 1\n"
                       "  --fast            same as --speed 0\n"
                       "  --symbols GC,SI   publish only these roots\n"
                       "  --linger          stay up after the replay ends\n"
                       "  --live            Databento live (DATABENTO_API_KEY; gateway_md.live)\n");
    ofts_service_t *svc = ofts_service_new("gateway-md", argc, argv);
    if (!svc)
        return ofts_service_exit_code();
    settings_t s = { 0 };
    if (s_read_config(svc, &s) != 0) {
        ofts_service_destroy(&svc);
        return OFTS_EXIT_CONFIG;
    }
    bool live = false;
    char symbols_buf[256];
    int rc = s_read_args(svc, &s, &live, symbols_buf, sizeof(symbols_buf));
    if (rc == 0 && !live)
        rc = s_check_replay_files(&s);
    if (rc == 0 && ofts_service_check_only(svc)) {
        ofts_service_destroy(&svc);
        return 0;
    }
    if (rc == 0 && live && ofts_service_lockstep_enabled(svc)) {
        log_error("bus.lockstep is for replays: the exchange does not wait for the trading path");
        rc = OFTS_EXIT_CONFIG;
    }
    if (rc == 0 && live) {
        md_normalizer_t *norm = md_normalizer_new();
        md_normalizer_set_bbo_from_depth(norm, s.bbo_from_depth);
        int trade_rtype = s.trade_source == -2 ? md_normalizer_trade_rtype_for(s.live.schemas, s.live.n_schemas)
                                               : s.trade_source;
        md_normalizer_set_trade_rtype(norm, trade_rtype);
        log_info("live: trades from %s records", trade_rtype < 0 ? "any" : dbn_rtype_name((uint8_t) trade_rtype));
        for (int i = 0; i < s.nsymbols && rc == 0; i++)
            if (md_normalizer_allow(norm, s.symbols[i]) != 0) {
                log_error("live: unknown root %s", s.symbols[i]);
                rc = OFTS_EXIT_CONFIG;
            }
        if (rc == 0)
            rc = live_run(svc, &s.live, norm);
        md_normalizer_destroy(&norm);
    }
    else if (rc == 0)
        rc = s_run_replay(svc, &s);
    ofts_service_destroy(&svc);
    return rc;
}
