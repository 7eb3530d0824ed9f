/*  Bad config gives one line naming the file and the key, and exit code 2,
    from `ofts up` and from a service's own --check-config.              */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "e2e_util.h"

static char *s_dir;

//  Run argv, return exit code; stderr captured into err.
static int
s_run(char *const argv[], char *err, size_t size)
{
    char log[1024];
    snprintf(log, sizeof log, "%s/stderr.txt", s_dir);
    remove(log);
    e2e_proc_t p;
    assert_int_equal(e2e_spawn(&p, argv, false, log), 0);
    int status;
    waitpid(p.pid, &status, 0);
    FILE *f = fopen(log, "r");
    size_t n = f ? fread(err, 1, size - 1, f) : 0;
    err[n] = '\0';
    if (f)
        fclose(f);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
s_lines(const char *text)
{
    int n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    return n;
}

static void
s_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void
t_missing_file(void **state)
{
    (void) state;
    char ofts[1024], err[4096];
    char *argv[] = { (char *) e2e_bin("ofts", ofts, sizeof ofts), "up", "--config", "/nonexistent/ofts.json", NULL };
    assert_int_equal(s_run(argv, err, sizeof err), 2);
    assert_int_equal(s_lines(err), 1);
    assert_non_null(strstr(err, "/nonexistent/ofts.json: cannot open"));
}

static void
t_bad_json(void **state)
{
    (void) state;
    char path[1024], ofts[1024], err[4096];
    snprintf(path, sizeof path, "%s/bad.json", s_dir);
    s_write(path, "{\n  \"bus\": {\n    \"hwm\": 10,\n  }\n}\n");
    char *argv[] = { (char *) e2e_bin("ofts", ofts, sizeof ofts), "up", "--config", path, NULL };
    assert_int_equal(s_run(argv, err, sizeof err), 2);
    assert_int_equal(s_lines(err), 1);
    assert_non_null(strstr(err, "bad.json:4:"));
    assert_non_null(strstr(err, "bad JSON"));
}

static void
t_unknown_keys(void **state)
{
    (void) state;
    char ofts[1024], mon[1024], err[4096];
    char *cfg = e2e_write_config(s_dir, "{\"up\":{\"servics\":[]}}");
    char *argv[] = { (char *) e2e_bin("ofts", ofts, sizeof ofts), "up", "--config", cfg, NULL };
    assert_int_equal(s_run(argv, err, sizeof err), 2);
    assert_int_equal(s_lines(err), 1);
    assert_non_null(strstr(err, "config.json: up.servics: unknown key"));
    free(cfg);

    cfg = e2e_write_config(s_dir, "{\"monitor\":{\"check_mss\":5}}");
    char *argv2[] = { (char *) e2e_bin("ofts-monitor", mon, sizeof mon), "--config", cfg, "--check-config", NULL };
    assert_int_equal(s_run(argv2, err, sizeof err), 2);
    assert_int_equal(s_lines(err), 1);
    assert_non_null(strstr(err, "config.json: monitor.check_mss: unknown key"));
    free(cfg);

    cfg = e2e_write_config(s_dir, "{\"riks\":{}}");
    argv2[2] = cfg;
    assert_int_equal(s_run(argv2, err, sizeof err), 2);
    assert_non_null(strstr(err, "config.json: riks: unknown key"));
    free(cfg);
}

static void
t_bad_endpoint(void **state)
{
    (void) state;
    char mon[1024], err[4096];
    char *cfg = e2e_write_config(s_dir, "{\"bus\":{\"endpoints\":{\"risk\":{\"pub\":\"tcp://nowhere\"}}}}");
    char *argv[] = { (char *) e2e_bin("ofts-monitor", mon, sizeof mon), "--config", cfg, "--check-config", NULL };
    assert_int_equal(s_run(argv, err, sizeof err), 2);
    assert_int_equal(s_lines(err), 1);
    assert_non_null(strstr(err, "config.json: bus.endpoints.risk.pub: bad endpoint 'tcp://nowhere'"));
    free(cfg);
}

//  Issue 11 §5: numbers that passed --check-config and then broke the
//  service (czmq abort on hwm -1, unbounded hwm 0, a protect_grace_ms that
//  disables the flatten or overflows, ints that wrap in a cast) and a
//  control socket on the network without CURVE: one line, exit 2.
static void
t_numbers_bounded_and_ctl_exposed(void **state)
{
    (void) state;
    static const struct {
        const char *bin, *extra, *want;
    } cases[] = {
        { "ofts-monitor", "{\"bus\":{\"hwm\":-1}}", "bus.hwm: must be between 1 and 10000000" },
        { "ofts-monitor", "{\"bus\":{\"hwm\":0}}", "bus.hwm: must be between 1 and 10000000" },
        { "ofts-risk", "{\"bus\":{\"heartbeat_ms\":4294967546}}", "bus.heartbeat_ms: must be between 1 and 60000" },
        { "ofts-gateway-order", "{\"gateway_order\":{\"protect_grace_ms\":1000000000000}}",
          "gateway_order.protect_grace_ms: must be between 0 and 60000" },
        { "ofts-gateway-order", "{\"gateway_order\":{\"protect_grace_ms\":9200000000000000000}}",
          "gateway_order.protect_grace_ms: must be between 0 and 60000" },
        { "ofts-gateway-order", "{\"gateway_order\":{\"tick_ms\":4294967546}}",
          "gateway_order.tick_ms: must be between 1 and 60000" },
        { "ofts-monitor", "{\"monitor\":{\"check_ms\":4294967546}}", "monitor.check_ms: must be between 1 and 60000" },
        { "ofts-monitor",
          "{\"bus\":{\"endpoints\":{\"risk\":{\"pub\":\"tcp://127.0.0.1:47103\",\"ctl\":\"tcp://0.0.0.0:47113\"}}}}",
          "bus.endpoints.risk.ctl: tcp://0.0.0.0:47113 is reachable from the network without CURVE" },
        { "ofts-risk",
          "{\"bus\":{\"endpoints\":{\"risk\":{\"pub\":\"tcp://127.0.0.1:47103\",\"ctl\":\"tcp://10.1.2.3:47113\"}}}}",
          "bus.endpoints.risk.ctl: tcp://10.1.2.3:47113 is reachable from the network without CURVE" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char bin[1024], err[4096];
        char *cfg = e2e_write_config(s_dir, cases[i].extra);
        char *argv[] = { (char *) e2e_bin(cases[i].bin, bin, sizeof bin), "--config", cfg, "--check-config", NULL };
        int rc = s_run(argv, err, sizeof err);
        if (rc != 2 || s_lines(err) != 1 || !strstr(err, cases[i].want))
            fail_msg("%s with %s: exit %d, stderr '%s'", cases[i].bin, cases[i].extra, rc, err);
        free(cfg);
    }
    //  `ofts up` refuses it too, before starting anything.
    char ofts[1024], err[4096];
    char *cfg = e2e_write_config(s_dir, "{\"bus\":{\"hwm\":-1}}");
    char *argv[] = { (char *) e2e_bin("ofts", ofts, sizeof ofts), "up", "--config", cfg, NULL };
    assert_int_equal(s_run(argv, err, sizeof err), 2);
    assert_non_null(strstr(err, "bus.hwm: must be between 1 and 10000000"));
    free(cfg);
}

static void
t_good_config_checks_clean(void **state)
{
    (void) state;
    char mon[1024], err[4096];
    char *cfg = e2e_write_config(s_dir, NULL);
    char *argv[] = { (char *) e2e_bin("ofts-monitor", mon, sizeof mon), "--config", cfg, "--check-config", NULL };
    assert_int_equal(s_run(argv, err, sizeof err), 0);
    assert_string_equal(err, "");
    free(cfg);
}

//  A ProjectX config is a real account: `ofts up` wants it confirmed, by
//  --live (gateway-md and gateway-order live) or by gateway-order's own
//  --live in up.args (a replay against a ProjectX account: the chaos test).
static void
t_projectx_needs_live(void **state)
{
    (void) state;
    char ofts[1024], err[4096];
    const char *px = "\"gateway_order\":{\"broker\":\"projectx\","
                     "\"projectx\":{\"base_url\":\"http://127.0.0.1:1\",\"account_name\":\"X\"}}";
    char extra[1024];
    snprintf(extra, sizeof extra, "{%s}", px);
    char *cfg = e2e_write_config(s_dir, extra);
    char *argv[] = { (char *) e2e_bin("ofts", ofts, sizeof ofts), "up", "--config", cfg, "--only", "gateway-order",
                     "--check-config", NULL };
    assert_int_equal(s_run(argv, err, sizeof err), 2);
    assert_non_null(strstr(err, "start with `ofts up --live` to confirm"));
    free(cfg);
    snprintf(extra, sizeof extra, "{\"up\":{\"args\":{\"gateway-order\":[\"--live\"]}},%s}", px);
    cfg = e2e_write_config(s_dir, extra);
    argv[3] = cfg;
    if (s_run(argv, err, sizeof err) != 0)
        fail_msg("confirmed in up.args, still refused:\n%s", err);
    assert_null(strstr(err, "a real account"));
    free(cfg);
}

static int
s_setup(void **state)
{
    (void) state;
    s_dir = e2e_tempdir("cfg");
    return s_dir ? 0 : -1;
}

static int
s_teardown(void **state)
{
    (void) state;
    e2e_rmtree(s_dir);
    free(s_dir);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_missing_file),
        cmocka_unit_test(t_bad_json),
        cmocka_unit_test(t_unknown_keys),
        cmocka_unit_test(t_bad_endpoint),
        cmocka_unit_test(t_numbers_bounded_and_ctl_exposed),
        cmocka_unit_test(t_good_config_checks_clean),
        cmocka_unit_test(t_projectx_needs_live),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
