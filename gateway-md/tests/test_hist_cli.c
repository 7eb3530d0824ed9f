/*  ofts-databento (CLI) end to end against the mock servers: exit codes,
    the downloaded file, error text on stderr, the --live guard, and the key
    never printed.                                                           */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "mock_dbn.h"
#include "net_mockproc.h"

#define KEY "db-CliKeyCliKeyCliKeyCliKeyCli42"

static char s_dir[64];

//  Run ofts-databento with argv (NULL-terminated, argv[0] ignored) and key in
//  the environment; stdout/stderr into malloc'd strings. Returns exit code.
static int s_run(const char *const *argv, const char *key, char **out, char **err)
{
    char opath[128], epath[128], bin[512];
    snprintf(opath, sizeof opath, "%s/stdout", s_dir);
    snprintf(epath, sizeof epath, "%s/stderr", s_dir);
    snprintf(bin, sizeof bin, "%s/ofts-databento", getenv("OFTS_BIN") ? getenv("OFTS_BIN") : ".");
    pid_t pid = fork();
    if (pid == 0) {
        int o = open(opath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(epath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(o, 1);
        dup2(e, 2);
        if (key)
            setenv("DATABENTO_API_KEY", key, 1);
        else
            unsetenv("DATABENTO_API_KEY");
        unsetenv("DATABENTO_API_KEY_FILE");
        setenv("OFTS_CONFIG", "/nonexistent/ofts.json", 1);     //  built-in defaults
        execv(bin, (char *const *) argv);
        _exit(127);
    }
    int status = 0;
    int64_t deadline = mockproc_now_ms() + 30000;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (mockproc_now_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        usleep(10000);
    }
    const char *paths[2] = { opath, epath };
    char **dst[2] = { out, err };
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(paths[i], "r");
        *dst[i] = calloc(1, 1 << 16);
        if (f) {
            size_t n = fread(*dst[i], 1, (1 << 16) - 1, f);
            (*dst[i])[n] = '\0';
            fclose(f);
        }
        unlink(paths[i]);
    }
    fprintf(stderr, "%s", *err);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int s_setup(void **state)
{
    (void) state;
    snprintf(s_dir, sizeof s_dir, "/tmp/ofts-cli-XXXXXX");
    return mkdtemp(s_dir) ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void) state;
    rmdir(s_dir);
    return 0;
}

static void test_download(void **state)
{
    (void) state;
    mockproc_t m;
    const char *margv[] = { "ofts-mock-databento-hist", "--key", KEY, "--records", "250", NULL };
    assert_int_equal(mockproc_start(&m, margv, 5000), 0);
    char url[64], file[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", m.port);
    snprintf(file, sizeof file, "%s/gc.mbp10.dbn.zst", s_dir);
    const char *argv[] = { "ofts-databento", "download", "--dataset", "GLBX.MDP3", "--symbols", "GC.FUT,NQ.FUT",
                           "--stype-in", "parent", "--schema", "mbp-10", "--start", "2025-12-01",
                           "--end", "2025-12-02", "-o", file, "--base-url", url, NULL };
    char *out, *err;
    assert_int_equal(s_run(argv, KEY, &out, &err), 0);
    assert_non_null(strstr(err, "download: done"));
    assert_non_null(strstr(err, "250 records"));
    assert_null(strstr(err, KEY));
    free(out);
    free(err);
    size_t want_len;
    uint8_t *want = mock_dbn_body(DBN_RTYPE_MBP10, 250, true, &want_len);
    struct stat st;
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal((size_t) st.st_size, want_len);
    free(want);
    unlink(file);

    //  cost and record count of the same request (mock: 250 records, $0.001 each)
    const char *cargv[] = { "ofts-databento", "cost", "--dataset", "GLBX.MDP3", "--symbols", "GC.FUT",
                            "--schema", "mbp-10", "--start", "2025-12-01", "--base-url", url, NULL };
    assert_int_equal(s_run(cargv, KEY, &out, &err), 0);
    assert_string_equal(out, "0.25 USD\n");
    free(out);
    free(err);
    cargv[1] = "count";
    assert_int_equal(s_run(cargv, KEY, &out, &err), 0);
    assert_string_equal(out, "250 records\n");
    free(out);
    free(err);

    //  wrong key: exit 1, Databento's message, no key in any output
    const char *bad = "db-BadKeyBadKeyBadKeyBadKeyBad99";
    assert_int_equal(s_run(argv, bad, &out, &err), 1);
    assert_non_null(strstr(err, "ofts-databento: timeseries.get_range failed: HTTP 401: Authentication failed."));
    assert_null(strstr(err, bad));
    assert_null(strstr(out, bad));
    assert_int_equal(access(file, F_OK), -1);
    free(out);
    free(err);

    //  no key at all: exit 2 before any request
    assert_int_equal(s_run(argv, NULL, &out, &err), 2);
    assert_non_null(strstr(err, "DATABENTO_API_KEY is not set"));
    free(out);
    free(err);
    mockproc_stop(&m);

    //  missing arguments
    const char *argv2[] = { "ofts-databento", "download", "--symbols", "GC.FUT", NULL };
    assert_int_equal(s_run(argv2, KEY, &out, &err), 2);
    assert_non_null(strstr(err, "are required"));
    free(out);
    free(err);
}

static void test_live_guard_and_mock(void **state)
{
    (void) state;
    char *out, *err;
    //  never the real gateway by default
    const char *argv[] = { "ofts-databento", "live", NULL };
    assert_int_equal(s_run(argv, KEY, &out, &err), 2);
    assert_non_null(strstr(err, "refusing to contact Databento without --live"));
    free(out);
    free(err);

    mockproc_t m;
    const char *margv[] = { "ofts-mock-databento-live", "--key", KEY, "--records", "50", NULL };
    assert_int_equal(mockproc_start(&m, margv, 5000), 0);
    char port[16];
    snprintf(port, sizeof port, "%d", m.port);
    const char *argv2[] = { "ofts-databento", "live", "--host", "127.0.0.1", "--port", port, "--symbols",
                            "GC.FUT", "--schemas", "trades", "--count", "4", "--seconds", "20", NULL };
    assert_int_equal(s_run(argv2, KEY, &out, &err), 0);
    //  mapping, ack, then trades 0 and 1 (all trades: one schema)
    assert_non_null(strstr(out, "symbol-mapping instrument_id=1001 symbol=GCZ6"));
    assert_non_null(strstr(out, "mbp-0 instrument_id=1001 symbol=GCZ6 ts_event=1764547200001000000 "
                                "price=2000100000000 size=2 action=T side=A"));
    assert_null(strstr(out, "sequence=3"));          //  stopped at --count 4
    assert_null(strstr(err, KEY));
    free(out);
    free(err);
    mockproc_stop(&m);
}

//  Nothing listens: the run never gets a session. It must fail (exit 1)
//  and count its reconnects truthfully (connection attempts - 1).
static void test_live_no_session(void **state)
{
    (void) state;
    char port[16], *out, *err;
    snprintf(port, sizeof port, "%d", mockproc_closed_port());
    const char *argv[] = { "ofts-databento", "live", "--host", "127.0.0.1", "--port", port, "--seconds", "2", NULL };
    assert_int_equal(s_run(argv, KEY, &out, &err), 1);
    assert_non_null(strstr(err, "no session was established in "));
    const char *stats = strstr(err, " sessions, ");
    assert_non_null(stats);
    unsigned long long attempts = 0, reconnects = 0;
    assert_int_equal(sscanf(stats, " sessions, %llu connection attempts, %llu reconnects", &attempts, &reconnects), 2);
    assert_true(attempts >= 2);     //  back-off 500 ms: attempts at 0, 0.5 and 1.5 s
    assert_int_equal(reconnects, attempts - 1);
    assert_non_null(strstr(err, "0 records, 0 heartbeats, 0 sessions"));
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_download),
        cmocka_unit_test(test_live_guard_and_mock),
        cmocka_unit_test(test_live_no_session),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
