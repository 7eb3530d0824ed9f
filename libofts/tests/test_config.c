#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ofts_config.h"

static ofts_config_t *
s_parse(const char *text, char *err)
{
    return ofts_config_parse(text, "test.json", err, 512);
}

static void
t_reads_values_and_defaults(void **state)
{
    (void) state;
    char err[512] = "";
    ofts_config_t *cfg = s_parse("{\"risk\":{\"cooldown_minutes\":7,\"ratio\":2.5,\"on\":true,"
                                 "\"name\":\"x\",\"sub\":{\"a\":1}}}", err);
    assert_non_null(cfg);
    ofts_cfgsec_t *sec = ofts_config_section(cfg, "risk");
    assert_int_equal(ofts_cfgsec_int(sec, "cooldown_minutes", 5), 7);
    assert_int_equal(ofts_cfgsec_int(sec, "absent", 5), 5);
    assert_true(ofts_cfgsec_double(sec, "ratio", 0) == 2.5);
    assert_true(ofts_cfgsec_bool(sec, "on", false));
    assert_string_equal(ofts_cfgsec_string(sec, "name", NULL), "x");
    ofts_cfgsec_t *sub = ofts_cfgsec_section(sec, "sub");
    assert_int_equal(ofts_cfgsec_int(sub, "a", 0), 1);
    assert_int_equal(ofts_cfgsec_finish(&sec, err, sizeof err), 0);
    assert_null(sec);
    assert_string_equal(err, "");
    ofts_config_destroy(&cfg);
    assert_null(cfg);
}

static void
t_unknown_key_named_with_file(void **state)
{
    (void) state;
    char err[512] = "";
    ofts_config_t *cfg = s_parse("{\"risk\":{\"cooldown_minute\":7}}", err);
    ofts_cfgsec_t *sec = ofts_config_section(cfg, "risk");
    ofts_cfgsec_int(sec, "cooldown_minutes", 5);
    assert_int_equal(ofts_cfgsec_finish(&sec, err, sizeof err), -1);
    assert_string_equal(err, "test.json: risk.cooldown_minute: unknown key");
    ofts_config_destroy(&cfg);
}

static void
t_unknown_nested_key(void **state)
{
    (void) state;
    char err[512] = "";
    ofts_config_t *cfg = s_parse("{\"bus\":{\"endpoints\":{\"risk\":{\"pub\":\"ipc:///tmp/x\",\"pubb\":1}}}}", err);
    ofts_cfgsec_t *bus = ofts_config_section(cfg, "bus");
    ofts_cfgsec_t *eps = ofts_cfgsec_section(bus, "endpoints");
    ofts_cfgsec_t *risk = ofts_cfgsec_section(eps, "risk");
    ofts_cfgsec_endpoint(risk, "pub", NULL);
    assert_int_equal(ofts_cfgsec_finish(&bus, err, sizeof err), -1);
    assert_string_equal(err, "test.json: bus.endpoints.risk.pubb: unknown key");
    ofts_config_destroy(&cfg);
}

static void
t_unknown_section(void **state)
{
    (void) state;
    char err[512] = "";
    assert_null(s_parse("{\"rsik\":{}}", err));
    assert_string_equal(err, "test.json: rsik: unknown key");
}

static void
t_wrong_type(void **state)
{
    (void) state;
    char err[512] = "";
    ofts_config_t *cfg = s_parse("{\"risk\":{\"cooldown_minutes\":\"five\"}}", err);
    ofts_cfgsec_t *sec = ofts_config_section(cfg, "risk");
    assert_int_equal(ofts_cfgsec_int(sec, "cooldown_minutes", 5), 5);
    assert_int_equal(ofts_cfgsec_finish(&sec, err, sizeof err), -1);
    assert_string_equal(err, "test.json: risk.cooldown_minutes: expected an integer");
    ofts_config_destroy(&cfg);
}

//  One of a few words: its index; a wrong word names them all (the
//  message every service gave by hand before ofts_cfgsec_choice) and
//  gives the default's index.
static void
t_choice(void **state)
{
    (void) state;
    static const char *const fsyncs[] = { "none", "interval", "every", NULL };
    static const char *const clocks[] = { "wall", "market", NULL };
    char err[512] = "";
    ofts_config_t *cfg = s_parse("{\"recorder\":{\"fsync\":\"every\"},\"risk\":{\"clock\":\"markt\"},"
                                 "\"monitor\":{\"fsync\":\"often\"}}", err);
    ofts_cfgsec_t *rec = ofts_config_section(cfg, "recorder");
    assert_int_equal(ofts_cfgsec_choice(rec, "fsync", "interval", fsyncs), 2);
    assert_int_equal(ofts_cfgsec_choice(rec, "absent", "interval", fsyncs), 1);
    assert_int_equal(ofts_cfgsec_finish(&rec, err, sizeof err), 0);
    ofts_cfgsec_t *risk = ofts_config_section(cfg, "risk");
    assert_int_equal(ofts_cfgsec_choice(risk, "clock", "wall", clocks), 0);
    assert_int_equal(ofts_cfgsec_finish(&risk, err, sizeof err), -1);
    assert_string_equal(err, "test.json: risk.clock: expected \"wall\" or \"market\"");
    ofts_cfgsec_t *x = ofts_config_section(cfg, "monitor");
    assert_int_equal(ofts_cfgsec_choice(x, "fsync", "interval", fsyncs), 1);
    assert_int_equal(ofts_cfgsec_finish(&x, err, sizeof err), -1);
    assert_string_equal(err, "test.json: monitor.fsync: expected \"none\", \"interval\" or \"every\"");
    ofts_config_destroy(&cfg);
}

static void
t_bad_endpoint(void **state)
{
    (void) state;
    char err[512] = "";
    const char *bad[] = { "tcp://127.0.0.1", "tcp://:80", "udp://x:1", "tcp://h:99999", "ipc://", "tcp://h:12a" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(ofts_endpoint_valid(bad[i]));
    assert_true(ofts_endpoint_valid("tcp://127.0.0.1:5555"));
    assert_true(ofts_endpoint_valid("tcp://*:5555"));
    assert_true(ofts_endpoint_valid("ipc:///tmp/ofts/md"));
    ofts_config_t *cfg = s_parse("{\"bus\":{\"x\":\"tcp://localhost\"}}", err);
    ofts_cfgsec_t *sec = ofts_config_section(cfg, "bus");
    ofts_cfgsec_endpoint(sec, "x", NULL);
    assert_int_equal(ofts_cfgsec_finish(&sec, err, sizeof err), -1);
    assert_non_null(strstr(err, "test.json: bus.x: bad endpoint 'tcp://localhost'"));
    ofts_config_destroy(&cfg);
}

static void
t_bad_json_and_missing_file(void **state)
{
    (void) state;
    char err[512] = "";
    assert_null(s_parse("{\"risk\": {\n  \"a\": 1,,\n}}", err));
    assert_non_null(strstr(err, "test.json:2:"));
    assert_non_null(strstr(err, "bad JSON"));
    assert_null(ofts_config_load("/nonexistent/ofts.json", err, sizeof err));
    assert_string_equal(err, "/nonexistent/ofts.json: cannot open: No such file or directory");
    assert_null(s_parse("[1,2]", err));
    assert_string_equal(err, "test.json: top level must be a JSON object");
    assert_null(s_parse("{\"risk\":{},\"risk\":{}}", err));
}

static void
t_default_config_is_valid(void **state)
{
    (void) state;
    const char *src = getenv("OFTS_SRC");
    if (!src)
        skip();
    char path[1024], err[512] = "";
    snprintf(path, sizeof path, "%s/config/default.json", src);
    ofts_config_t *cfg = ofts_config_load(path, err, sizeof err);
    assert_non_null(cfg);
    ofts_config_destroy(&cfg);
}

//  A user file holds only what it changes: three keys, the rest from the
//  defaults (objects merge key by key, arrays and values replace).
static void
t_user_file_layers_over_defaults(void **state)
{
    (void) state;
    char dir[] = "/tmp/ofts-layer-XXXXXX", defaults[128], user[128], err[512] = "";
    assert_non_null(mkdtemp(dir));
    snprintf(defaults, sizeof defaults, "%s/defaults.json", dir);
    snprintf(user, sizeof user, "%s/my.json", dir);
    FILE *f = fopen(defaults, "w");
    fputs("{\"risk\": {\"account_size\": 50000, \"cooldown_minutes\": 5},"
          " \"bus\": {\"endpoints\": {\"risk\": {\"pub\": \"tcp://127.0.0.1:47103\","
          " \"ctl\": \"tcp://127.0.0.1:47113\"}}},"
          " \"up\": {\"services\": [\"risk\", \"analyzer\"]}}", f);
    fclose(f);
    f = fopen(user, "w");
    fputs("{\"risk\": {\"cooldown_minutes\": 2}, \"bus\": {\"endpoints\": {\"risk\":"
          " {\"pub\": \"ipc://x\"}}}, \"up\": {\"services\": [\"risk\"]}}", f);
    fclose(f);
    setenv("OFTS_DEFAULTS", defaults, 1);
    ofts_config_t *cfg = ofts_config_load(user, err, sizeof err);
    assert_non_null(cfg);
    json_t *root = ofts_config_root(cfg);
    json_t *risk = json_object_get(root, "risk");
    assert_int_equal(json_integer_value(json_object_get(risk, "cooldown_minutes")), 2);
    assert_int_equal(json_integer_value(json_object_get(risk, "account_size")), 50000);
    json_t *ep = json_object_get(json_object_get(json_object_get(root, "bus"), "endpoints"), "risk");
    assert_string_equal(json_string_value(json_object_get(ep, "pub")), "ipc://x");
    assert_null(json_object_get(ep, "ctl"));        //  an endpoint set replaces the default set
    assert_int_equal(json_array_size(json_object_get(json_object_get(root, "up"), "services")), 1);
    assert_string_equal(ofts_config_path(cfg), user);      //  errors name the user's file
    ofts_config_destroy(&cfg);
    //  "none": the file alone.
    setenv("OFTS_DEFAULTS", "none", 1);
    cfg = ofts_config_load(user, err, sizeof err);
    assert_null(json_object_get(json_object_get(ofts_config_root(cfg), "risk"), "account_size"));
    ofts_config_destroy(&cfg);
    unsetenv("OFTS_DEFAULTS");
    remove(defaults);
    remove(user);
    rmdir(dir);
}

static void
t_secret_from_env_and_file(void **state)
{
    (void) state;
    setenv("OFTS_TEST_SECRET", "s3cr3t", 1);
    char *s = ofts_config_secret("OFTS_TEST_SECRET");
    assert_string_equal(s, "s3cr3t");
    free(s);
    unsetenv("OFTS_TEST_SECRET");
    char path[] = "/tmp/ofts-secret-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "filesecret\n", 11), 11);
    close(fd);
    setenv("OFTS_TEST_SECRET_FILE", path, 1);
    chmod(path, 0600);
    s = ofts_config_secret("OFTS_TEST_SECRET");
    assert_string_equal(s, "filesecret");
    free(s);
    chmod(path, 0644);              //  readable by others: refused
    assert_null(ofts_config_secret("OFTS_TEST_SECRET"));
    unlink(path);
    unsetenv("OFTS_TEST_SECRET_FILE");
    assert_null(ofts_config_secret("OFTS_TEST_SECRET"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_reads_values_and_defaults),
        cmocka_unit_test(t_unknown_key_named_with_file),
        cmocka_unit_test(t_unknown_nested_key),
        cmocka_unit_test(t_unknown_section),
        cmocka_unit_test(t_wrong_type),
        cmocka_unit_test(t_choice),
        cmocka_unit_test(t_bad_endpoint),
        cmocka_unit_test(t_bad_json_and_missing_file),
        cmocka_unit_test(t_default_config_is_valid),
        cmocka_unit_test(t_secret_from_env_and_file),
        cmocka_unit_test(t_user_file_layers_over_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
