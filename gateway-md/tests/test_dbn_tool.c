/*  The binaries: ofts-dbn (info, dump --json --limit, exit codes) and
    ofts-gateway-md --replay publishing onto a real bus socket.           */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <czmq.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "dbn_encoder.h"
#include "ofts.pb-c.h"
#include "ofts_config.h"

extern char **environ;

static char s_tmp[64];
static char s_bin[512];
static char s_trades[128], s_depth[128], s_garbage[128], s_cut[128];

static void
s_write_files(void)
{
    static dbn_interval_t iv = { 20261130, 20261201, "42" };
    static dbn_mapping_t map = { "GCZ6", 1, &iv };
    dbn_metadata_t meta = { .version = 2, .dataset = "GLBX.MDP3", .schema = 4, .stype_in = 1,
                            .end = DBN_UNDEF_TIMESTAMP, .mapping_count = 1, .mappings = &map };
    dbn_encoder_t *enc = dbn_encoder_new(s_trades, &meta, false);
    assert_non_null(enc);
    for (int i = 0; i < 2; i++) {
        dbn_record_t r;
        dbn_record_init(&r, DBN_RTYPE_MBP0);
        r.publisher_id = 1;
        r.instrument_id = 42;
        r.ts_event = 1764460800000000000ull + (uint64_t) i;
        r.mbp.ts_recv = r.ts_event + 5000;
        r.mbp.price = 2350100000000 + i * 100000000LL;
        r.mbp.size = 5;
        r.mbp.action = 'T';
        r.mbp.side = i ? 'B' : 'A';
        r.mbp.flags = 0x81;
        assert_int_equal(dbn_encoder_write(enc, &r), 0);
    }
    dbn_encoder_destroy(&enc);
    meta.schema = 2;
    meta.version = 3;
    enc = dbn_encoder_new(s_depth, &meta, true);
    dbn_record_t d;
    dbn_record_init(&d, DBN_RTYPE_MBP10);
    d.instrument_id = 42;
    d.mbp.action = 'A';
    d.mbp.side = 'B';
    d.mbp.flags = 0x80;
    for (int i = 0; i < 10; i++) {
        d.mbp.levels[i].bid_px = 2350000000000 - i * 100000000LL;
        d.mbp.levels[i].ask_px = 2350100000000 + i * 100000000LL;
        d.mbp.levels[i].bid_sz = 1;
    }
    dbn_encoder_write(enc, &d);
    dbn_encoder_destroy(&enc);
    FILE *fp = fopen(s_garbage, "wb");
    fputs("this is not a DBN file at all", fp);
    fclose(fp);
    //  The trades file minus its last 7 bytes.
    fp = fopen(s_trades, "rb");
    uint8_t buf[4096];
    size_t n = fread(buf, 1, sizeof(buf), fp);
    fclose(fp);
    fp = fopen(s_cut, "wb");
    fwrite(buf, 1, n - 7, fp);
    fclose(fp);
}

static int
s_setup(void **state)
{
    (void) state;
    const char *bin = getenv("OFTS_BIN");
    snprintf(s_bin, sizeof(s_bin), "%s", bin ? bin : "bin");
    strcpy(s_tmp, "/tmp/test-dbn-tool-XXXXXX");
    if (!mkdtemp(s_tmp))
        return -1;
    snprintf(s_trades, sizeof(s_trades), "%s/trades.dbn", s_tmp);
    snprintf(s_depth, sizeof(s_depth), "%s/depth.dbn.zst", s_tmp);
    snprintf(s_garbage, sizeof(s_garbage), "%s/garbage.dbn", s_tmp);
    snprintf(s_cut, sizeof(s_cut), "%s/cut.dbn", s_tmp);
    s_write_files();
    return 0;
}

static int
s_teardown(void **state)
{
    (void) state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", s_tmp);
    return system(cmd);
}

//  Run a command line, capture stdout+stderr (stderr after "2>&1"), return
//  the exit status.
static int
s_run(const char *args, char *out, size_t size)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s/ofts-dbn %s 2>&1", s_bin, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, size - 1, p);
    out[n] = 0;
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
test_dump_json_limit_1(void **state)
{
    (void) state;
    static char out[65536];
    char args[512];
    snprintf(args, sizeof(args), "dump --json --limit 1 %s", s_trades);
    assert_int_equal(s_run(args, out, sizeof(out)), 0);
    assert_non_null(strchr(out, '\n'));
    assert_null(strchr(strchr(out, '\n') + 1, '\n'));       //  exactly one line
    json_error_t err;
    json_t *j = json_loads(out, 0, &err);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "rtype")), "mbp-0");
    assert_string_equal(json_string_value(json_object_get(j, "symbol")), "GCZ6");
    assert_string_equal(json_string_value(json_object_get(j, "price")), "2350.1");
    assert_int_equal(json_integer_value(json_object_get(j, "size")), 5);
    assert_string_equal(json_string_value(json_object_get(j, "side")), "A");
    assert_string_equal(json_string_value(json_object_get(j, "action")), "T");
    assert_int_equal(json_integer_value(json_object_get(j, "flags")), 129);
    assert_int_equal(json_integer_value(json_object_get(j, "instrument_id")), 42);
    assert_int_equal(json_integer_value(json_object_get(j, "ts_event")), 1764460800000000000LL);
    assert_null(json_object_get(j, "levels"));
    json_decref(j);
    //  Without --limit: both records.
    snprintf(args, sizeof(args), "dump --json %s", s_trades);
    assert_int_equal(s_run(args, out, sizeof(out)), 0);
    char *second = strchr(out, '\n') + 1;
    j = json_loads(second, JSON_DISABLE_EOF_CHECK, &err);
    if (!j)
        print_error("JSON error %s in: %s\n", err.text, second);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "price")), "2350.2");
    assert_string_equal(json_string_value(json_object_get(j, "side")), "B");
    json_decref(j);
    //  MBP-10: ten levels, prices as decimal strings.
    snprintf(args, sizeof(args), "dump --json --limit 1 %s", s_depth);
    assert_int_equal(s_run(args, out, sizeof(out)), 0);
    j = json_loads(out, 0, &err);
    assert_non_null(j);
    json_t *levels = json_object_get(j, "levels");
    assert_int_equal(json_array_size(levels), 10);
    assert_string_equal(json_string_value(json_object_get(json_array_get(levels, 9), "bid_px")), "2349.1");
    assert_string_equal(json_string_value(json_object_get(json_array_get(levels, 0), "ask_px")), "2350.1");
    json_decref(j);
}

static void
test_info_and_exit_codes(void **state)
{
    (void) state;
    static char out[65536];
    char args[512];
    snprintf(args, sizeof(args), "info %s", s_trades);
    assert_int_equal(s_run(args, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "version          2"));
    assert_non_null(strstr(out, "records          2"));
    assert_non_null(strstr(out, "mbp-0            2"));
    assert_non_null(strstr(out, "GCZ6"));
    snprintf(args, sizeof(args), "info %s", s_garbage);
    assert_int_equal(s_run(args, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "not a DBN stream"));
    assert_non_null(strstr(out, "byte offset 0"));
    snprintf(args, sizeof(args), "dump %s", s_cut);
    assert_int_equal(s_run(args, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "truncated record"));
    assert_non_null(strstr(out, "2350.1"));             //  the whole first record still printed
    assert_int_equal(s_run("", out, sizeof(out)), 2);
    assert_int_equal(s_run("dump --bogus x.dbn", out, sizeof(out)), 2);
    assert_int_equal(s_run("frobnicate x.dbn", out, sizeof(out)), 2);
    assert_int_equal(s_run("dump /nonexistent.dbn", out, sizeof(out)), 1);
}

static void
test_dump_real_sample(void **state)
{
    (void) state;
    const char *dir = getenv("OFTS_SHARED_DBN");
    char path[512];
    snprintf(path, sizeof(path), "%s/test_data.trades.v3.dbn.zst", dir ? dir : "/nonexistent");
    if (access(path, R_OK) != 0) {
        print_message("skipped: no shared DBN samples at %s\n", dir ? dir : "(OFTS_SHARED_DBN unset)");
        skip();
    }
    static char out[65536];
    char args[600];
    snprintf(args, sizeof(args), "dump --json --limit 1 %s", path);
    assert_int_equal(s_run(args, out, sizeof(out)), 0);
    json_error_t err;
    json_t *j = json_loads(out, 0, &err);
    assert_non_null(j);
    //  spec §4.18: price 3720.25, size 5, side A, flags 0x81, ESH1 = 5482
    assert_string_equal(json_string_value(json_object_get(j, "price")), "3720.25");
    assert_int_equal(json_integer_value(json_object_get(j, "size")), 5);
    assert_string_equal(json_string_value(json_object_get(j, "side")), "A");
    assert_int_equal(json_integer_value(json_object_get(j, "flags")), 129);
    assert_string_equal(json_string_value(json_object_get(j, "symbol")), "ESH1");
    assert_int_equal(json_integer_value(json_object_get(j, "sequence")), 1170380);
    json_decref(j);
}

//  ofts-gateway-md --replay --fast publishes md.trade.GC. and md.book.GC.
//  envelopes on its PUB socket, then exits 0.
static void
test_gateway_replay_publishes(void **state)
{
    (void) state;
    char endpoint[160], cfg[160], bin[600];
    snprintf(endpoint, sizeof(endpoint), "ipc://%s/md.ipc", s_tmp);
    snprintf(cfg, sizeof(cfg), "%s/cfg.json", s_tmp);
    snprintf(bin, sizeof(bin), "%s/ofts-gateway-md", s_bin);
    FILE *fp = fopen(cfg, "w");
    fprintf(fp, "{ \"bus\": { \"endpoints\": { \"gateway-md\": { \"pub\": \"%s\" } } },\n"
                "  \"gateway_md\": { \"speed\": 1, \"start_delay_ms\": 400, \"symbols\": [\"GC\"] } }\n",
            endpoint);
    fclose(fp);
    zsock_t *sub = zsock_new_sub(endpoint, "md.");
    assert_non_null(sub);
    char *argv[] = { bin, "--config", cfg, "--replay", s_trades, s_depth, "--fast", NULL };
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, bin, NULL, NULL, argv, environ), 0);
    zpoller_t *poller = zpoller_new(sub, NULL);
    int trades = 0, books = 0, bbos = 0;
    int64_t deadline = zclock_mono() + 10000;
    while ((trades < 2 || books < 1) && zclock_mono() < deadline) {
        if (!zpoller_wait(poller, 200))
            continue;
        zmsg_t *msg = zmsg_recv(sub);
        assert_non_null(msg);
        char *topic = zmsg_popstr(msg);
        zframe_t *body = zmsg_pop(msg);
        Ofts__Envelope *env = ofts__envelope__unpack(NULL, zframe_size(body), zframe_data(body));
        assert_non_null(env);
        if (strcmp(topic, "md.trade.GC.") == 0) {
            assert_int_equal(env->body_case, OFTS__ENVELOPE__BODY_TRADE);
            assert_int_equal(env->trade->price, 2350100000000 + trades * 100000000LL);
            assert_int_equal(env->trade->aggressor, trades ? OFTS__SIDE__SIDE_BUY : OFTS__SIDE__SIDE_SELL);
            assert_string_equal(env->trade->contract, "GCZ6");
            assert_int_equal(env->header->ts_event, 1764460800000000000LL + trades);
            trades++;
        }
        else if (strcmp(topic, "md.book.GC.") == 0) {
            assert_int_equal(env->depth->n_levels, 10);
            books++;
        }
        else if (strcmp(topic, "md.bbo.GC.") == 0)
            bbos++;
        ofts__envelope__free_unpacked(env, NULL);
        zframe_destroy(&body);
        zstr_free(&topic);
        zmsg_destroy(&msg);
    }
    assert_int_equal(trades, 2);
    assert_int_equal(books, 1);
    assert_int_equal(bbos, 1);
    int status = -1;
    deadline = zclock_mono() + 10000;
    while (waitpid(pid, &status, WNOHANG) == 0 && zclock_mono() < deadline)
        zclock_sleep(20);
    if (zclock_mono() >= deadline) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        fail_msg("ofts-gateway-md did not exit after the replay");
    }
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    zpoller_destroy(&poller);
    zsock_destroy(&sub);
}

static void
test_gateway_bad_file_exit_code(void **state)
{
    (void) state;
    char cmd[1024], out[8192];
    snprintf(cmd, sizeof(cmd), "%s/ofts-gateway-md --config %s/cfg.json --replay %s --fast 2>&1",
             s_bin, s_tmp, s_garbage);
    FILE *p = popen(cmd, "r");
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = 0;
    int status = pclose(p);
    assert_int_equal(WEXITSTATUS(status), OFTS_EXIT_FATAL);    //  a restart cannot fix a bad file
    assert_non_null(strstr(out, "not a DBN stream"));
}

static int
s_run_gateway(const char *args, char *out, size_t size, double *elapsed)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s/ofts-gateway-md %s 2>&1", s_bin, args);
    int64_t t0 = zclock_mono();
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, size - 1, p);
    out[n] = 0;
    int status = pclose(p);
    if (elapsed)
        *elapsed = (double) (zclock_mono() - t0) / 1000.0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

//  The gateway_md config section: unknown keys and bad values are refused
//  with a one-line error (exit 2); a good section passes --check-config.
static void
test_gateway_config_keys(void **state)
{
    (void) state;
    char cfg[160], args[600], out[8192];
    snprintf(cfg, sizeof(cfg), "%s/keys.json", s_tmp);
    FILE *fp = fopen(cfg, "w");
    fprintf(fp, "{ \"gateway_md\": { \"mode\": \"replay\", \"files\": [\"%s\"], \"speed\": 2,"
                " \"symbols\": [\"GC\", \"NQ\"], \"linger\": false, \"start_delay_ms\": 100,"
                " \"max_gap_s\": 5, \"bbo_from_depth\": true } }\n", s_garbage);
    fclose(fp);
    snprintf(args, sizeof(args), "--config %s --check-config", cfg);
    assert_int_equal(s_run_gateway(args, out, sizeof(out), NULL), 0);
    fp = fopen(cfg, "w");
    fprintf(fp, "{ \"gateway_md\": { \"sped\": 2 } }\n");
    fclose(fp);
    assert_int_equal(s_run_gateway(args, out, sizeof(out), NULL), 2);
    assert_non_null(strstr(out, "gateway_md.sped"));
    fp = fopen(cfg, "w");
    fprintf(fp, "{ \"gateway_md\": { \"symbols\": [\"XX\"], \"speed\": -1 } }\n");
    fclose(fp);
    assert_int_equal(s_run_gateway(args, out, sizeof(out), NULL), 2);
    assert_non_null(strstr(out, "gateway_md."));
}

//  Real-time pacing end to end: records 100 ms apart take ~100 ms each at
//  speed 1 and a quarter of that at --speed 4.
static void
test_gateway_real_time_pacing(void **state)
{
    (void) state;
    char path[160], args[600], out[8192];
    snprintf(path, sizeof(path), "%s/paced.dbn", s_tmp);
    dbn_metadata_t meta = { .version = 3, .dataset = "GLBX.MDP3", .schema = 4,
                            .end = DBN_UNDEF_TIMESTAMP };
    dbn_encoder_t *enc = dbn_encoder_new(path, &meta, false);
    for (int i = 0; i < 9; i++) {
        dbn_record_t r;
        dbn_record_init(&r, DBN_RTYPE_MBP0);
        r.ts_event = 1764460800000000000ull + (uint64_t) i * 100000000ull;
        r.mbp.ts_recv = r.ts_event;
        assert_int_equal(dbn_encoder_write(enc, &r), 0);
    }
    dbn_encoder_destroy(&enc);
    double real, fast4;
    snprintf(args, sizeof(args), "--config %s/cfg.json --replay %s --speed 1", s_tmp, path);
    assert_int_equal(s_run_gateway(args, out, sizeof(out), &real), 0);
    assert_non_null(strstr(out, "replay done: 9 records"));
    snprintf(args, sizeof(args), "--config %s/cfg.json --replay %s --speed 4", s_tmp, path);
    assert_int_equal(s_run_gateway(args, out, sizeof(out), &fast4), 0);
    //  0.8 s of data (+0.4 s start delay from cfg.json), generous upper bounds
    print_message("speed 1: %.2f s, speed 4: %.2f s\n", real, fast4);
    assert_true(real >= 0.8 + 0.4);
    assert_true(real < 6.0);
    assert_true(fast4 >= 0.2 + 0.4);
    assert_true(fast4 < real);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dump_json_limit_1),
        cmocka_unit_test(test_info_and_exit_codes),
        cmocka_unit_test(test_dump_real_sample),
        cmocka_unit_test(test_gateway_replay_publishes),
        cmocka_unit_test(test_gateway_bad_file_exit_code),
        cmocka_unit_test(test_gateway_config_keys),
        cmocka_unit_test(test_gateway_real_time_pacing),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
