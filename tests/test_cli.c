/*  What a user types: every binary's --help (exit 0, every flag its source
    accepts is listed), unknown flags named, and the operator commands'
    refusals and exit codes (ofts cmd, ofts keys, ofts up, gateway-order
    --live on a paper config). No service needs to run.                   */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "e2e_util.h"

static char *s_dir;

//  Run argv; exit code, stdout+stderr into out.
static int
s_run(char *const argv[], char *out, size_t size)
{
    return e2e_capture(argv, s_dir, true, out, size);
}

static char *
s_read_source(const char *rel)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", getenv("OFTS_SRC"), rel);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return strdup(buf);
}

typedef struct {
    const char *bin;
    const char *source;
    const char *extra_help;         //  a second --help to read (a sub-command), or NULL
} binary_t;

static const binary_t s_binaries[] = {
    { "ofts", "launcher/main.c", NULL },
    { "ofts-gateway-md", "gateway-md/main.c", NULL },
    { "ofts-analyzer", "analyzer/main.c", NULL },
    { "ofts-risk", "risk/main.c", NULL },
    { "ofts-gateway-order", "gateway-order/main.c", NULL },
    { "ofts-monitor", "monitor/main.c", NULL },
    { "ofts-backtest", "backtest/main.c", NULL },
    { "ofts-sweep", "backtest/sweep_main.c", NULL },
    { "ofts-journal", "backtest/journal_main.c", NULL },
    { "ofts-dbn", "gateway-md/dbn_tool.c", NULL },
    { "ofts-databento", "gateway-md/databento_tool.c", NULL },
    { "ofts-sim", "tools/sim.c", NULL },
    { "ofts-forwarder", "tools/forwarder.c", NULL },
    { "ofts-projectx", "gateway-order/projectx_cli.c", NULL },
    { "ofts-mock-databento-live", "gateway-md/mock/mock_live_gateway.c", NULL },
    { "ofts-mock-databento-hist", "gateway-md/mock/mock_hist_server.c", NULL },
    { "ofts-mock-projectx", "gateway-order/mock/mock_projectx.c", NULL },
};
#define NBIN (sizeof s_binaries / sizeof s_binaries[0])

//  The help of `ofts` is its own plus each sub-command's.
static void
s_help(const binary_t *b, char *out, size_t size)
{
    char bin[1024];
    e2e_bin(b->bin, bin, sizeof bin);
    char *argv[] = { bin, "--help", NULL };
    int rc = s_run(argv, out, size);
    if (rc != 0)
        fail_msg("%s --help: exit %d, want 0:\n%s", b->bin, rc, out);
    if (strcmp(b->bin, "ofts") == 0) {
        static const char *subs[] = { "up", "cmd", "keys" };
        for (int i = 0; i < 3; i++) {
            size_t used = strlen(out);
            char *sub_argv[] = { bin, (char *) subs[i], "--help", NULL };
            assert_int_equal(s_run(sub_argv, out + used, size - used), 0);
        }
    }
}

//  Every "--flag" literal in the binary's source appears in its --help.
static void
t_help_lists_every_flag(void **state)
{
    (void) state;
    if (!getenv("OFTS_SRC"))
        skip();
    regex_t re;
    assert_int_equal(regcomp(&re, "\"(--[a-z][a-z0-9-]*)\"", REG_EXTENDED), 0);
    int missing = 0;
    for (size_t i = 0; i < NBIN; i++) {
        static char help[65536];
        char bin[1024];
        if (access(e2e_bin(s_binaries[i].bin, bin, sizeof bin), X_OK) != 0)
            continue;               //  not part of this build
        s_help(&s_binaries[i], help, sizeof help);
        char *src = s_read_source(s_binaries[i].source);
        regmatch_t m[2];
        for (const char *p = src; regexec(&re, p, 2, m, 0) == 0; p += m[0].rm_eo) {
            char flag[64];
            int len = (int) (m[1].rm_eo - m[1].rm_so);
            snprintf(flag, sizeof flag, "%.*s", len, p + m[1].rm_so);
            //  ofts passes --service to the monitor; it is not an ofts flag.
            if (strcmp(s_binaries[i].bin, "ofts") == 0 && strcmp(flag, "--service") == 0)
                continue;
            if (!strstr(help, flag)) {
                fprintf(stderr, "%s --help does not list %s\n", s_binaries[i].bin, flag);
                missing++;
            }
        }
        free(src);
    }
    regfree(&re);
    assert_int_equal(missing, 0);
}

//  A flag nobody takes is named in the refusal, with a non-zero exit.
static void
t_unknown_flag_named(void **state)
{
    (void) state;
    static const char *bins[] = { "ofts", "ofts-gateway-md", "ofts-analyzer", "ofts-risk", "ofts-gateway-order",
                                  "ofts-monitor", "ofts-backtest", "ofts-sweep", "ofts-dbn", "ofts-databento", "ofts-sim",
                                  "ofts-forwarder", "ofts-projectx" };
    for (size_t i = 0; i < sizeof bins / sizeof bins[0]; i++) {
        char bin[1024], out[8192];
        if (access(e2e_bin(bins[i], bin, sizeof bin), X_OK) != 0)
            continue;
        char *argv[] = { bin, "--no-such-flag", NULL };
        int rc = s_run(argv, out, sizeof out);
        if (rc == 0 || !strstr(out, "--no-such-flag"))
            fail_msg("%s --no-such-flag: exit %d, output:\n%s", bins[i], rc, out);
    }
}

static int
s_ofts(char *out, size_t size, const char *a1, const char *a2, const char *a3, const char *a4)
{
    char bin[1024];
    e2e_bin("ofts", bin, sizeof bin);
    char *argv[] = { bin, (char *) a1, (char *) a2, (char *) a3, (char *) a4, NULL };
    return s_run(argv, out, size);
}

//  ofts cmd refuses what risk would refuse, before any network.
static void
t_cmd_refusals(void **state)
{
    (void) state;
    char out[4096];
    assert_int_equal(s_ofts(out, sizeof out, "cmd", "flatten", "ZZ", NULL), 2);
    assert_non_null(strstr(out, "flatten refused: unknown symbol 'ZZ' (known: GC"));
    assert_int_equal(s_ofts(out, sizeof out, "cmd", "resume", "GC", NULL), 2);
    assert_non_null(strstr(out, "resume takes no symbol (got 'GC')"));
    assert_int_equal(s_ofts(out, sizeof out, "cmd", "halt", NULL, NULL), 2);
    assert_non_null(strstr(out, "unknown command 'halt'"));
    assert_int_equal(s_ofts(out, sizeof out, "cmd", "kill", "--to", "analyzer"), 2);
    assert_non_null(strstr(out, "--to 'analyzer': want risk or gateway-order"));
}

//  `ofts keys --help` used to make a folder named --help full of secret keys;
//  a second run overwrote secret keys silently.
static void
t_keys_help_force_and_modes(void **state)
{
    (void) state;
    char out[4096], dir[1024], path[1200];
    assert_int_equal(chdir(s_dir), 0);
    assert_int_equal(s_ofts(out, sizeof out, "keys", "--help", NULL, NULL), 0);
    assert_non_null(strstr(out, "usage: ofts keys [--force] DIR"));
    struct stat st;
    assert_int_not_equal(stat("--help", &st), 0);
    snprintf(dir, sizeof dir, "%s/keys", s_dir);
    assert_int_equal(s_ofts(out, sizeof out, "keys", dir, "risk", NULL), 0);
    snprintf(path, sizeof path, "%s/risk.cert_secret", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    struct timespec before = st.st_mtim;
    snprintf(path, sizeof path, "%s/risk.cert", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(s_ofts(out, sizeof out, "keys", dir, "risk", NULL), 2);
    assert_non_null(strstr(out, "risk.cert_secret exists; not overwriting secret keys (use --force"));
    snprintf(path, sizeof path, "%s/risk.cert_secret", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_mtim.tv_sec == before.tv_sec && st.st_mtim.tv_nsec == before.tv_nsec);
    assert_int_equal(s_ofts(out, sizeof out, "keys", "--force", dir, "risk"), 0);
}

//  A missing replay file stops `ofts up` before anything starts, with the
//  cause on one ERROR line (it used to be buried in 30 lines of restarts).
static void
t_up_missing_replay_file(void **state)
{
    (void) state;
    char bin[1024], out[8192];
    char *cfg = e2e_write_config(s_dir, NULL);
    char *argv[] = { (char *) e2e_bin("ofts", bin, sizeof bin), "up", "--config", cfg, "--replay",
                     "/nonexistent/market.dbn.zst", "--quiet", NULL };
    assert_int_equal(s_run(argv, out, sizeof out), 2);
    assert_non_null(strstr(out, "ERROR gateway-md: replay: cannot read /nonexistent/market.dbn.zst: No such file"));
    assert_null(strstr(out, "started "));
    //  No file at all: what to run instead.
    char *argv2[] = { bin, "up", "--config", cfg, "--quiet", NULL };
    assert_int_equal(s_run(argv2, out, sizeof out), 2);
    assert_non_null(strstr(out, "give `ofts up --replay FILE`"));
    free(cfg);
}

//  A user file with three keys, layered over the defaults, passes the whole
//  check; a rule between keys (two services on one endpoint) is caught
//  before anything starts.
static void
t_up_check_config_layered(void **state)
{
    (void) state;
    char bin[1024], out[8192], path[1024], sim[1024], text[2048];
    snprintf(path, sizeof path, "%s/my.json", s_dir);
    snprintf(sim, sizeof sim, "%s/market.dbn", s_dir);
    e2e_write_text(sim, "x");
    snprintf(text, sizeof text, "{\"risk\": {\"cooldown_minutes\": 2, \"journal\": \"%s/var/r.sqlite\"},"
             " \"gateway_order\": {\"db_path\": \"%s/var/o.db\"}}\n", s_dir, s_dir);
    e2e_write_text(path, text);
    char *argv[] = { (char *) e2e_bin("ofts", bin, sizeof bin), "up", "--config", path, "--replay", sim,
                     "--check-config", NULL, NULL, NULL };
    int rc = s_run(argv, out, sizeof out);
    if (rc != 0)
        fail_msg("ofts up --check-config on a 3-key file: exit %d\n%s", rc, out);
    assert_non_null(strstr(out, "config OK for ofts up"));
    e2e_write_text(path, "{\"bus\": {\"endpoints\": {\"gateway-md\": {\"pub\": \"tcp://127.0.0.1:47101\"},"
                         " \"analyzer\": {\"pub\": \"tcp://127.0.0.1:47101\"}}}}\n");
    assert_int_equal(s_run(argv, out, sizeof out), 2);
    assert_non_null(strstr(out, "bus.endpoints.analyzer.pub: tcp://127.0.0.1:47101 is also gateway-md's"));

    //  The file's endpoint set replaces the defaults and forgets the
    //  recorder, which ofts up starts: refused, one line naming both. It
    //  used to pass the check and then the recorder could not bind.
    static const char *five =
        "{\"bus\": {\"endpoints\": {\"gateway-md\": {\"pub\": \"ipc://%s/md\"},"
        " \"analyzer\": {\"pub\": \"ipc://%s/an\"}, \"monitor\": {\"pub\": \"ipc://%s/mon\"},"
        " \"risk\": {\"pub\": \"ipc://%s/risk\"%s},"
        " \"gateway-order\": {\"pub\": \"ipc://%s/go\", \"ctl\": \"ipc://%s/go.ctl\"}}}}\n";
    snprintf(text, sizeof text, five, s_dir, s_dir, s_dir, s_dir, ", \"ctl\": \"ipc:///tmp/r.ctl\"", s_dir, s_dir);
    e2e_write_text(path, text);
    assert_int_equal(s_run(argv, out, sizeof out), 2);
    assert_int_equal(e2e_lines(out), 1);
    assert_non_null(strstr(out, "my.json: bus.endpoints.recorder.pub: missing, but ofts up starts recorder"));
    //  Not started here (--only): nothing to refuse.
    argv[7] = "--only";
    argv[8] = "gateway-md,analyzer,risk,gateway-order,monitor";
    rc = s_run(argv, out, sizeof out);
    if (rc != 0)
        fail_msg("--only without the recorder: exit %d\n%s", rc, out);
    //  risk without its control socket (ofts cmd, the kill switch).
    snprintf(text, sizeof text, five, s_dir, s_dir, s_dir, s_dir, "", s_dir, s_dir);
    e2e_write_text(path, text);
    assert_int_equal(s_run(argv, out, sizeof out), 2);
    assert_non_null(strstr(out, "bus.endpoints.risk.ctl: missing, but ofts up starts risk"));
}

//  Issue 14: a run that decodes 0 market events for a file, or for a
//  symbol of a file, says so once, after the run, with the reason. Two
//  files: the simulator's months (its calendar spread GCZ6-GCG7 is not an
//  instrument ofts trades) and one of 0.00001 minutes: its 5 symbol
//  mappings and no market record.
static void
t_backtest_zero_events_said_once(void **state)
{
    (void) state;
    char bin[1024], out[16384];
    char *months = e2e_sim_months_file(s_dir, "months.dbn.zst", 2, 7);
    char *empty = e2e_sim_file(s_dir, "empty.dbn.zst", 0.00001, 7);
    assert_non_null(months);
    assert_non_null(empty);
    char *argv[] = { (char *) e2e_bin("ofts-backtest", bin, sizeof bin), months, empty, NULL };
    assert_int_equal(e2e_capture(argv, s_dir, false, out, sizeof out), 0);
    fprintf(stderr, "%s", out);
    char want[1200];
    snprintf(want, sizeof want, "%s: 0 market events for GCZ6-GCG7 (", months);
    assert_non_null(strstr(out, want));
    assert_non_null(strstr(out, "records, not in the instrument table)"));
    snprintf(want, sizeof want, "%s: 0 market events from 5 records: none is a trade or book record", empty);
    assert_non_null(strstr(out, want));
    //  Once per run, not per record; the healthy symbols are not named.
    assert_int_equal(e2e_lines(out), 2);
    assert_null(strstr(out, "GCZ6 ("));
    free(months);
    free(empty);
}

//  `make demo` stopped at once when ofts-recorder was not built: exit 127
//  and "rejected the configuration", the cause hidden. A missing service
//  binary is named, with what to do.
static void
t_up_names_missing_binary(void **state)
{
    (void) state;
    char bin[1024], lonely[1024], out[8192], sim[1024];
    snprintf(lonely, sizeof lonely, "%s/lonely", s_dir);
    assert_int_equal(mkdir(lonely, 0700), 0);
    snprintf(lonely, sizeof lonely, "%s/lonely/ofts", s_dir);
    char *cp[] = { "/bin/cp", (char *) e2e_bin("ofts", bin, sizeof bin), lonely, NULL };
    assert_int_equal(e2e_run(cp, NULL), 0);
    snprintf(sim, sizeof sim, "%s/lonely.dbn", s_dir);
    e2e_write_text(sim, "x");
    char *cfg = e2e_write_config(s_dir, NULL);
    char *argv[] = { lonely, "up", "--config", cfg, "--replay", sim, "--check-config", NULL };
    assert_int_equal(s_run(argv, out, sizeof out), 127);
    assert_non_null(strstr(out, "lonely/ofts-recorder: No such file or directory: build it (cmake --build build "
                                "--target ofts-recorder)"));
    free(cfg);
}

static void
t_gateway_order_live_on_paper_refused(void **state)
{
    (void) state;
    char out[4096];
    assert_int_equal(e2e_run_with_config(s_dir, "{\"gateway_order\":{\"broker\":\"paper\"}}", "ofts-gateway-order",
                                         NULL, "--live", true, out, sizeof out), 2);
    assert_non_null(strstr(out, "--live given but gateway_order.broker is \"paper\""));
}

static int
s_setup(void **state)
{
    (void) state;
    return e2e_dir_setup(&s_dir, "cli");
}

static int
s_teardown(void **state)
{
    (void) state;
    return e2e_dir_teardown(&s_dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_help_lists_every_flag),
        cmocka_unit_test(t_unknown_flag_named),
        cmocka_unit_test(t_cmd_refusals),
        cmocka_unit_test(t_keys_help_force_and_modes),
        cmocka_unit_test(t_up_missing_replay_file),
        cmocka_unit_test(t_up_check_config_layered),
        cmocka_unit_test(t_backtest_zero_events_said_once),
        cmocka_unit_test(t_up_names_missing_binary),
        cmocka_unit_test(t_gateway_order_live_on_paper_refused),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
