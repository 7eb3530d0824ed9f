/*  A recorded demo-like run: the whole system under `ofts up` (recorder,
    gateway-order with the paper broker, risk on market time, analyzer,
    monitor, gateway-md replaying 5 simulated minutes at 12x, 8 s of grace
    for the services to finish), then:
      - `ofts rerun` of the recording with its own config matches exactly
        (every signal and every risk decision), exit 0, "MATCH";
      - a recording with one signal altered is caught: exit 1 and the
        first diverging message printed;
      - `ofts rerun --config` with a stricter risk config lists what would
        have differed (approvals turned into rejects);
      - `ofts explain` of an approved order shows the md that completed its
        signal, the signal's reasons, every rule's verdict, the order, the
        fill and the hop latencies;
      - `ofts replay-bus --max` puts the recording back on the bus: a
        subscriber sees every recorded signal, byte for byte;
      - `ofts replay-bus --as-publishers` of the md, signed like gateway-md
        signs, makes a real analyzer produce the recorded signals again;
        unsigned, the analyzer drops every message.                      */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <czmq.h>
#include "rec_e2e.h"
#include "rec_scan.h"
#include "rec_writer.h"

static char *s_dir, *s_config, s_rec[512];

//  Run a shell command, capture stdout into buf; returns the exit status.
static int
s_run(char *buf, size_t size, const char *fmt, ...)
{
    char cmd[4096];
    va_list args;
    va_start(args, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, args);
    va_end(args);
    FILE *p = popen(cmd, "r");
    size_t n = fread(buf, 1, size - 1, p);
    buf[n] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
group_setup(void **state)
{
    (void) state;
    s_dir = e2e_tempdir("rec-session");
    char *sim = e2e_sim_file(s_dir, "market.dbn.zst", 5, 11);
    assert_non_null(sim);
    char extra[4096];
    snprintf(extra, sizeof extra,
             "{\"up\":{\"services\":[\"recorder\",\"gateway-order\",\"risk\",\"analyzer\",\"monitor\",\"gateway-md\"],"
             " \"args\":{\"gateway-md\":[\"--replay\",\"%s\",\"--speed\",\"12\"]}},"
             " \"gateway_md\":{\"start_delay_ms\":5000},"
             " \"risk\":{\"clock\":\"market\",\"cooldown_minutes\":1,\"max_orders_per_minute\":60,"
             "          \"max_entry_ticks\":100000},"
             " \"gateway_order\":{\"broker\":\"paper\"}}",
             sim);
    free(sim);
    s_config = rec_e2e_config(s_dir, extra, NULL);
    snprintf(s_rec, sizeof s_rec, "%s/rec", s_dir);
    char ofts[512], errlog[600];
    e2e_bin("ofts", ofts, sizeof ofts);
    snprintf(errlog, sizeof errlog, "%s/up.stderr", s_dir);
    e2e_proc_t up;
    char *argv[] = { ofts, "up", "--config", s_config, "--until-exit", "gateway-md", "--grace-ms", "8000", "--quiet",
                     NULL };
    assert_int_equal(e2e_spawn(&up, argv, false, errlog), 0);
    int status = e2e_wait_exit(&up, 100000);
    if (status == -1) {
        e2e_stop(&up, SIGINT, 15000);
        fail_msg("`ofts up` did not finish the replay within 100 s");
    }
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return 0;
}

static int
group_teardown(void **state)
{
    (void) state;
    if (!getenv("OFTS_KEEP"))
        e2e_rmtree(s_dir);
    free(s_dir);
    free(s_config);
    return 0;
}

static void
t_rerun_matches_exactly(void **state)
{
    (void) state;
    char out[65536], bin[512];
    e2e_bin("ofts-rerun", bin, sizeof bin);
    int rc = s_run(out, sizeof out, "%s %s", bin, s_rec);
    fprintf(stderr, "%s", out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "rerun: MATCH"));
    //  There was something to compare: signals, approvals and rejects.
    unsigned long long md, sig_rec, sig_run, sig_eq, dec_rec, appr, dec_run, appr_run, dec_eq;
    const char *line = strstr(out, "rerun: recorded config;");
    assert_non_null(line);
    assert_int_equal(sscanf(line, "rerun: recorded config; %llu md messages; signals: recorded %llu, re-run %llu, "
                                  "equal %llu; risk decisions: recorded %llu (%llu approved), re-run %llu (%llu "
                                  "approved), equal %llu", &md, &sig_rec, &sig_run, &sig_eq, &dec_rec, &appr,
                            &dec_run, &appr_run, &dec_eq), 9);
    assert_int_equal(appr_run, appr);
    assert_true(md > 10000);
    assert_true(sig_rec >= 3);
    assert_int_equal(sig_eq, sig_rec);
    assert_int_equal(sig_run, sig_rec);
    assert_true(appr >= 1);
    assert_int_equal(dec_eq, dec_rec);
}

//  Copy the recording with the first signal's confidence changed: the
//  re-run must say where.
static void
t_rerun_finds_the_first_difference(void **state)
{
    (void) state;
    char out[65536], bin[512], cmd[2048];
    char copy[600];
    snprintf(copy, sizeof copy, "%s/altered", s_dir);
    snprintf(cmd, sizeof cmd, "rm -rf %s && cp -r %s %s", copy, s_rec, copy);
    assert_int_equal(system(cmd), 0);
    char *dirs[1] = { copy };
    char **paths;
    size_t n = rec_expand(1, dirs, &paths);
    assert_true(n >= 1);
    //  Rewrite the first of.signal record with a new body and a valid CRC:
    //  a recording that is sound but says something else.
    FILE *f = fopen(paths[0], "r+b");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    uint8_t *data = malloc((size_t) size);
    fseek(f, 0, SEEK_SET);
    assert_int_equal(fread(data, 1, (size_t) size, f), (size_t) size);
    size_t off = REC_HEADER_SIZE;
    bool done = false;
    while (off + REC_FRAME_SIZE < (size_t) size && !done) {
        uint32_t len = rec_get32(data + off + 4);
        uint8_t *body = data + off + REC_FRAME_SIZE;
        size_t tlen = (size_t) (body[2] | body[3] << 8);
        if (tlen > 10 && memcmp(body + REC_BODY_FIXED, "of.signal.", 10) == 0) {
            //  Flip one bit in the last byte of the body (inside the signal: reasons
            //  or metrics), then fix the CRC.
            body[len - 1] ^= 0x01;
            rec_put32(data + off + 8, rec_crc32c(0, body, len));
            fseek(f, (long) off, SEEK_SET);
            fwrite(data + off, 1, REC_FRAME_SIZE + len, f);
            done = true;
        }
        off += REC_FRAME_SIZE + len;
    }
    fclose(f);
    free(data);
    rec_free_list(&paths, n);
    assert_true(done);
    e2e_bin("ofts-rerun", bin, sizeof bin);
    int rc = s_run(out, sizeof out, "%s %s", bin, copy);
    fprintf(stderr, "%s", out);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "rerun: first divergence: signal differs (recorded at"));
    assert_non_null(strstr(out, "  recorded: of.signal."));
    assert_non_null(strstr(out, "  re-run:   of.signal."));
}

static void
t_rerun_with_another_config(void **state)
{
    (void) state;
    //  The same config but an analyzer that wants 100000 trades in its
    //  window: no signal, so no decision, would have been made.
    char other[600], out[65536], bin[512];
    snprintf(other, sizeof other, "%s/strict.json", s_dir);
    json_t *cfg = json_load_file(s_config, 0, NULL);
    assert_non_null(cfg);
    if (!json_object_get(cfg, "analyzer"))
        json_object_set_new(cfg, "analyzer", json_object());
    json_object_set_new(json_object_get(cfg, "analyzer"), "min_trades", json_integer(100000));
    assert_int_equal(json_dump_file(cfg, other, JSON_INDENT(2)), 0);
    json_decref(cfg);
    e2e_bin("ofts-rerun", bin, sizeof bin);
    int rc = s_run(out, sizeof out, "%s --config %s --max-diffs 100 %s", bin, other, s_rec);
    fprintf(stderr, "%s", out);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "signal only in the recording (recorded at"));
    assert_non_null(strstr(out, "\n  recorded: of.signal."));
    assert_non_null(strstr(out, "risk decision only in the recording (recorded at"));
    assert_non_null(strstr(out, "\n  recorded: risk."));
    assert_non_null(strstr(out, "re-run 0, equal 0; risk decisions:"));
    assert_non_null(strstr(out, "re-run 0 (0 approved), equal 0"));
}

static void
t_explain_an_order(void **state)
{
    (void) state;
    char out[65536], bin[512];
    e2e_bin("ofts-record", bin, sizeof bin);
    //  The first approved order's client order id, from the recording.
    assert_int_equal(s_run(out, sizeof out, "%s dump --topic risk.order. %s | head -1", bin, s_rec), 0);
    char *p = strstr(out, "client_order_id=");
    assert_non_null(p);
    char coid[64];
    assert_int_equal(sscanf(p, "client_order_id=%63s", coid), 1);
    e2e_bin("ofts-explain", bin, sizeof bin);
    int rc = s_run(out, sizeof out, "%s %s %s", bin, coid, s_rec);
    fprintf(stderr, "%s", out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "market data that completed the signal: md."));
    assert_non_null(strstr(out, "\nsignal: of.signal."));
    assert_non_null(strstr(out, "reasons: Strong"));
    assert_non_null(strstr(out, "risk decision: risk.order."));
    //  Every rule of risk's table, each with its verdict.
    const char *rules[] = { "signal_fields", "known_symbol", "prices", "duplicate", "confidence", "cooldown",
                            "session", "entry_window", "reconciled", "stale_data", "fat_finger", "position_open",
                            "max_positions", "sizing", "daily_loss", "trailing_mll", "rate_limit", "state_gate" };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        char want[64];
        snprintf(want, sizeof want, "      %-14s pass", rules[i]);
        assert_non_null(strstr(out, want));
    }
    assert_non_null(strstr(out, "broker update: exec.order."));
    assert_non_null(strstr(out, "STATUS_FILLED"));
    assert_non_null(strstr(out, "fill: exec.fill."));
    assert_non_null(strstr(out, "signal published -> decision published (risk)"));
    assert_non_null(strstr(out, " ms\n"));
}

static void
t_replay_bus(void **state)
{
    (void) state;
    char ep[600], bin[512], log[600];
    snprintf(ep, sizeof ep, "ipc://%s/replay.pub", s_dir);
    snprintf(log, sizeof log, "%s/replay.stderr", s_dir);
    zsock_t *sub = zsock_new_sub(ep, "of.signal.");
    assert_non_null(sub);
    e2e_bin("ofts-replay-bus", bin, sizeof bin);
    e2e_proc_t rp;
    char *argv[] = { bin, "--max", "--bind", ep, "--wait-ms", "1000", "--config", s_config, s_rec, NULL };
    assert_int_equal(e2e_spawn(&rp, argv, false, log), 0);
    int got = 0;
    zsock_set_rcvtimeo(sub, 20000);
    zmsg_t *msg;
    while ((msg = zmsg_recv(sub))) {
        assert_int_equal(zmsg_size(msg), 3);         //  topic, envelope, MAC (signed)
        got++;
        zmsg_destroy(&msg);
        zsock_set_rcvtimeo(sub, 3000);
    }
    assert_int_equal(e2e_wait_exit(&rp, 20000), 0);
    //  As many as the recording holds.
    char out[256], rec_bin[512];
    e2e_bin("ofts-record", rec_bin, sizeof rec_bin);
    s_run(out, sizeof out, "%s dump --topic of.signal. %s | wc -l", rec_bin, s_rec);
    assert_int_equal(got, atoi(out));
    assert_true(got >= 3);
    zsock_destroy(&sub);
}

//  Replay the recorded md on gateway-md's own endpoint to a real analyzer
//  started with the session's config (signed bus): unsigned, every message
//  is dropped (nothing comes out, the analyzer says why); signed as
//  gateway-md signs, the analyzer makes the recorded signals again.
static int
s_replay_md(bool sign)
{
    char bin[512], log[600];
    e2e_bin("ofts-replay-bus", bin, sizeof bin);
    snprintf(log, sizeof log, "%s/replay-%s.stderr", s_dir, sign ? "signed" : "unsigned");
    char *argv[] = { bin, "--as-publishers", "--config", s_config, "--topic", "md.", "--max", "--wait-ms", "500",
                     s_rec, sign ? NULL : "--unsigned", NULL };
    return e2e_run(argv, log);
}

static int
s_count_signals(zsock_t *sub, int want, int timeout_ms)
{
    int got = 0;
    int64_t deadline = e2e_now_ms() + timeout_ms;
    while (got < want || want < 0) {
        int64_t left = deadline - e2e_now_ms();
        if (left <= 0)
            break;
        zsock_set_rcvtimeo(sub, (int) left);
        zmsg_t *msg = zmsg_recv(sub);
        if (!msg)
            break;
        char *topic = zmsg_popstr(msg);
        got += strncmp(topic, "of.signal.", 10) == 0;
        zstr_free(&topic);
        zmsg_destroy(&msg);
    }
    return got;
}

static void
t_replay_bus_signed_to_an_analyzer(void **state)
{
    (void) state;
    char out[256], bin[512], log[600], ep[600];
    e2e_bin("ofts-record", bin, sizeof bin);
    s_run(out, sizeof out, "%s dump --topic of.signal. %s | wc -l", bin, s_rec);
    int recorded = atoi(out);
    assert_true(recorded >= 3);
    e2e_bin("ofts-analyzer", bin, sizeof bin);
    snprintf(log, sizeof log, "%s/analyzer-replayed.stderr", s_dir);
    e2e_proc_t an;
    char *argv[] = { bin, "--config", s_config, NULL };
    assert_int_equal(e2e_spawn(&an, argv, false, log), 0);
    snprintf(ep, sizeof ep, "ipc://%s/analyzer.pub", s_dir);
    zsock_t *sub = zsock_new_sub(ep, "of.");
    assert_non_null(sub);
    assert_int_equal(s_replay_md(false), 0);
    //  Everything the unsigned replay sent has been dropped, or it would be
    //  in the analyzer's queue by now: no metrics, no signal.
    zsock_set_rcvtimeo(sub, 3000);
    zmsg_t *msg = zmsg_recv(sub);
    assert_null(msg);
    assert_true(e2e_count_lines(log, "unsigned message") >= 1);
    assert_int_equal(s_replay_md(true), 0);
    int got = s_count_signals(sub, recorded, 60000);
    assert_int_equal(got, recorded);
    zsock_destroy(&sub);
    e2e_stop(&an, SIGINT, 10000);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_rerun_matches_exactly),
        cmocka_unit_test(t_rerun_finds_the_first_difference),
        cmocka_unit_test(t_rerun_with_another_config),
        cmocka_unit_test(t_explain_an_order),
        cmocka_unit_test(t_replay_bus),
        cmocka_unit_test(t_replay_bus_signed_to_an_analyzer),
    };
    int rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
    zsys_shutdown();
    return rc;
}
