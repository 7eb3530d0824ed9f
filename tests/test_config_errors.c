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
    return e2e_capture(argv, s_dir, false, err, size);
}

static void
t_missing_file(void **state)
{
    (void) state;
    char ofts[1024], err[4096];
    char *argv[] = { (char *) e2e_bin("ofts", ofts, sizeof ofts), "up", "--config", "/nonexistent/ofts.json", NULL };
    assert_int_equal(s_run(argv, err, sizeof err), 2);
    assert_int_equal(e2e_lines(err), 1);
    assert_non_null(strstr(err, "/nonexistent/ofts.json: cannot open"));
}

static void
t_bad_json(void **state)
{
    (void) state;
    char path[1024], ofts[1024], err[4096];
    snprintf(path, sizeof path, "%s/bad.json", s_dir);
    e2e_write_text(path, "{\n  \"bus\": {\n    \"hwm\": 10,\n  }\n}\n");
    char *argv[] = { (char *) e2e_bin("ofts", ofts, sizeof ofts), "up", "--config", path, NULL };
    assert_int_equal(s_run(argv, err, sizeof err), 2);
    assert_int_equal(e2e_lines(err), 1);
    assert_non_null(strstr(err, "bad.json:4:"));
    assert_non_null(strstr(err, "bad JSON"));
}

//  `BIN [SUB] --config <extra over the test config> [FLAG]`: exit code,
//  stderr in err.
static int
s_check(const char *bin, const char *sub, const char *extra, const char *flag, char *err, size_t size)
{
    return e2e_run_with_config(s_dir, extra, bin, sub, flag, false, err, size);
}

static void
t_unknown_keys(void **state)
{
    (void) state;
    char err[4096];
    assert_int_equal(s_check("ofts", "up", "{\"up\":{\"servics\":[]}}", NULL, err, sizeof err), 2);
    assert_int_equal(e2e_lines(err), 1);
    assert_non_null(strstr(err, "config.json: up.servics: unknown key"));
    assert_int_equal(s_check("ofts-monitor", NULL, "{\"monitor\":{\"check_mss\":5}}", "--check-config", err,
                             sizeof err), 2);
    assert_int_equal(e2e_lines(err), 1);
    assert_non_null(strstr(err, "config.json: monitor.check_mss: unknown key"));
    assert_int_equal(s_check("ofts-monitor", NULL, "{\"riks\":{}}", "--check-config", err, sizeof err), 2);
    assert_non_null(strstr(err, "config.json: riks: unknown key"));
}

static void
t_bad_endpoint(void **state)
{
    (void) state;
    char err[4096];
    assert_int_equal(s_check("ofts-monitor", NULL, "{\"bus\":{\"endpoints\":{\"risk\":{\"pub\":\"tcp://nowhere\"}}}}",
                             "--check-config", err, sizeof err), 2);
    assert_int_equal(e2e_lines(err), 1);
    assert_non_null(strstr(err, "config.json: bus.endpoints.risk.pub: bad endpoint 'tcp://nowhere'"));
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
    char err[4096];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = s_check(cases[i].bin, NULL, cases[i].extra, "--check-config", err, sizeof err);
        if (rc != 2 || e2e_lines(err) != 1 || !strstr(err, cases[i].want))
            fail_msg("%s with %s: exit %d, stderr '%s'", cases[i].bin, cases[i].extra, rc, err);
    }
    //  `ofts up` refuses it too, before starting anything.
    assert_int_equal(s_check("ofts", "up", "{\"bus\":{\"hwm\":-1}}", NULL, err, sizeof err), 2);
    assert_non_null(strstr(err, "bus.hwm: must be between 1 and 10000000"));
}

static void
t_good_config_checks_clean(void **state)
{
    (void) state;
    char err[4096];
    assert_int_equal(s_check("ofts-monitor", NULL, NULL, "--check-config", err, sizeof err), 0);
    assert_string_equal(err, "");
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
    return e2e_dir_setup(&s_dir, "cfg");
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
