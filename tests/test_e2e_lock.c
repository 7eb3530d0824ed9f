/*  One `ofts up` per state folder and endpoint set, and no restart loop on
    an error a restart cannot fix.
    - A second `ofts up` on the same config says "already running (pid N,
      since T)" and exits 2 without starting or logging anything; the first
      stack keeps its sockets and answers `ofts cmd` (the kill switch).
    - gateway-md failing on a file that is not DBN exits 3 (fatal): `ofts up`
      says so in one line and stops instead of restarting it forever.    */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "e2e_util.h"

static int
s_cmd(const char *config, const char *verb)
{
    char ofts[1024];
    char *argv[] = { (char *) e2e_bin("ofts", ofts, sizeof ofts), "cmd", (char *) verb, "--config", (char *) config, NULL };
    return e2e_run(argv, "/dev/null");
}

static char *
s_slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    static char buf[65536];
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
    return buf;
}

static void
t_second_up_refused(void **state)
{
    (void) state;
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    char *dir = e2e_tempdir("lock");
    char *sim = e2e_sim_file(dir, "market.dbn.zst", 2, 5);
    assert_non_null(sim);
    char *cfg = e2e_write_config(dir, NULL);
    char ofts[1024], err1[1024], err2[1024], log[1024];
    e2e_bin("ofts", ofts, sizeof ofts);
    snprintf(err1, sizeof err1, "%s/up1.stderr", dir);
    snprintf(err2, sizeof err2, "%s/up2.stderr", dir);
    snprintf(log, sizeof log, "%s/logs/orderflow_trading.log", dir);
    e2e_proc_t up1, up2;
    char *argv[] = { ofts, "up", "--config", cfg, "--replay", sim, "--speed", "1", "--quiet", NULL };
    assert_int_equal(e2e_spawn(&up1, argv, false, err1), 0);
    //  Ready when risk answers a command.
    int64_t deadline = e2e_now_ms() + 60000;
    while (s_cmd(cfg, "pause") != 0 && e2e_now_ms() < deadline)
        usleep(200 * 1000);
    assert_int_equal(s_cmd(cfg, "resume"), 0);
    int started = e2e_count_lines(log, "INFO  ofts: started ");
    assert_true(started >= 5);

    assert_int_equal(e2e_spawn(&up2, argv, false, err2), 0);
    int status = e2e_wait_exit(&up2, 30000);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 2);
    char want[128];
    snprintf(want, sizeof want, "ofts: already running (pid %d, since ", (int) up1.pid);
    const char *text = s_slurp(err2);
    fprintf(stderr, "second ofts up said: %s", text);
    assert_non_null(strstr(text, want));
    //  Nothing touched: no service started, no line in the first one's log.
    assert_int_equal(e2e_count_lines(log, "INFO  ofts: started "), started);
    assert_int_equal(e2e_count_lines(log, "up: starting"), 1);
    //  The first stack still holds its sockets: the kill switch works.
    assert_int_equal(s_cmd(cfg, "pause"), 0);
    assert_int_equal(s_cmd(cfg, "resume"), 0);

    //  Another config on the same state folder (the journal) is refused too.
    char extra[1024];
    snprintf(extra, sizeof extra, "{\"risk\":{\"journal\":\"%s/var/other-risk.sqlite\"},"
             "\"up\":{\"log_dir\":\"%s/logs-other\"}}", dir, dir);
    char other_dir[1024];
    snprintf(other_dir, sizeof other_dir, "%s/other", dir);
    assert_int_equal(mkdir(other_dir, 0700), 0);
    char *cfg2 = e2e_write_config(other_dir, extra);
    char *argv2[] = { ofts, "up", "--config", cfg2, "--replay", sim, "--only", "risk", "--quiet", NULL };
    assert_int_equal(e2e_spawn(&up2, argv2, false, err2), 0);
    status = e2e_wait_exit(&up2, 30000);
    assert_int_equal(WEXITSTATUS(status), 2);
    assert_non_null(strstr(s_slurp(err2), "already running"));
    free(cfg2);

    status = e2e_stop(&up1, SIGINT, 20000);
    assert_true(WIFEXITED(status));
    free(sim);
    free(cfg);
    e2e_rmtree(dir);
    free(dir);
}

static void
t_fatal_error_not_restarted(void **state)
{
    (void) state;
    char *dir = e2e_tempdir("fatal");
    char bad[1024], extra[2048], ofts[1024], err[1024], log[1024];
    snprintf(bad, sizeof bad, "%s/not-dbn.dbn", dir);
    FILE *f = fopen(bad, "w");
    fputs("this is not a DBN file at all, just text that a user mistook for data\n", f);
    fclose(f);
    snprintf(extra, sizeof extra, "{\"up\":{\"services\":[\"gateway-md\",\"analyzer\"]}}");
    char *cfg = e2e_write_config(dir, extra);
    e2e_bin("ofts", ofts, sizeof ofts);
    snprintf(err, sizeof err, "%s/up.stderr", dir);
    snprintf(log, sizeof log, "%s/logs/orderflow_trading.log", dir);
    e2e_proc_t up;
    char *argv[] = { ofts, "up", "--config", cfg, "--replay", bad, "--quiet", NULL };
    assert_int_equal(e2e_spawn(&up, argv, false, err), 0);
    int status = e2e_wait_exit(&up, 60000);
    if (status == -1) {
        e2e_stop(&up, SIGINT, 10000);
        fail_msg("ofts up kept restarting gateway-md on a file that is not DBN");
    }
    assert_int_equal(WEXITSTATUS(status), 2);
    assert_int_equal(e2e_count_lines(log, "gateway-md cannot run (exit code 3: fatal error"), 1);
    assert_int_equal(e2e_count_lines(log, "not restarting, stopping everything"), 1);
    assert_int_equal(e2e_count_lines(log, " died "), 0);
    free(cfg);
    e2e_rmtree(dir);
    free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_second_up_refused),
        cmocka_unit_test(t_fatal_error_not_restarted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
