/*  test_projectx_cli - ofts-projectx against ofts-mock-projectx: accounts,
    contracts, positions, orders, hub watch, a refused flatten, usage and
    login errors, and no secret in its output.                            */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "projectx_harness.h"
#include "projectx_client.h"
#include "ofts_instrument.h"
#include <curl/curl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KEY "cli-k3y-0a9b8c7d"

typedef struct {
    mock_server_t mock;
} fixture_t;

static long
mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

//  Run ofts-projectx with args; stdout+stderr into out; returns exit status
//  (-1 when it had to be killed after 20 s).
static int
run(fixture_t *f, const char *const *args, char *out, size_t size)
{
    char path[1024], base[128], hub[128];
    snprintf(path, sizeof path, "%s/ofts-projectx", getenv("OFTS_BIN") ? getenv("OFTS_BIN") : ".");
    snprintf(base, sizeof base, "%s", f->mock.base_url);
    snprintf(hub, sizeof hub, "%s", f->mock.hub_url);
    const char *argv[24] = { path, "--base-url", base, "--hub-url", hub };
    int argc = 5;
    for (int i = 0; args[i] && argc < 23; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        execv(path, (char *const *) argv);
        _exit(127);
    }
    close(fds[1]);
    size_t len = 0;
    long deadline = mono_ms() + 20000;
    for (;;) {
        long left = deadline - mono_ms();
        struct pollfd pfd = { fds[0], POLLIN, 0 };
        if (left <= 0 || poll(&pfd, 1, (int) left) <= 0)
            break;
        ssize_t n = read(fds[0], out + len, size - 1 - len);
        if (n <= 0)
            break;
        len += (size_t) n;
    }
    out[len] = 0;
    close(fds[0]);
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == 0) {
        long wait_until = mono_ms() + 5000;
        while (waitpid(pid, &status, WNOHANG) == 0) {
            if (mono_ms() > wait_until) {
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                return -1;
            }
            usleep(10000);
        }
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    const char *args[] = { "--key", KEY, NULL };
    if (mock_start(&f->mock, args) != 0) {
        free(f);
        return -1;
    }
    setenv("TOPSTEPX_USERNAME", "ofts-user", 1);
    setenv("TOPSTEPX_API_KEY", KEY, 1);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    mock_stop(&f->mock);
    unsetenv("TOPSTEPX_USERNAME");
    unsetenv("TOPSTEPX_API_KEY");
    free(f);
    return 0;
}

static void
test_read_commands(void **state)
{
    fixture_t *f = *state;
    static char out[65536];
    const char *accounts[] = { "--account", "PRAC-V2-645601-47191819", "accounts", NULL };
    assert_int_equal(run(f, accounts, out, sizeof out), 0);
    assert_non_null(strstr(out, "* 26282486 PRAC-V2-645601-47191819 balance=150000.00 canTrade=yes"));
    assert_non_null(strstr(out, "  25775680 50KTC-V2-DLL-645601-97590973"));
    //  Without a configured account: both listed, neither chosen.
    const char *ambiguous[] = { "accounts", NULL };
    assert_int_equal(run(f, ambiguous, out, sizeof out), 0);
    assert_null(strstr(out, "* "));
    assert_non_null(strstr(out, "account not found"));

    const char *contracts[] = { "--account", "PRAC-V2-645601-47191819", "contracts", "GC", "NQ",
                                "ZZ", NULL };
    assert_int_equal(run(f, contracts, out, sizeof out), 1);
    assert_non_null(strstr(out, "GC   CON.F.US.GCE.Z26 F.US.GCE tick=0.1 tickValue=10.00"));
    assert_non_null(strstr(out, "NQ   CON.F.US.ENQ.U26 F.US.ENQ tick=0.25"));
    assert_non_null(strstr(out, "ZZ   ERROR: unknown instrument root"));

    const char *positions[] = { "--account", "PRAC-V2-645601-47191819", "positions", NULL };
    assert_int_equal(run(f, positions, out, sizeof out), 0);
    assert_non_null(strstr(out, "0 position(s)"));
    const char *orders[] = { "--account", "PRAC-V2-645601-47191819", "orders", "2", NULL };
    assert_int_equal(run(f, orders, out, sizeof out), 0);
    assert_non_null(strstr(out, "0 order(s)"));

    const char *watch[] = { "--account", "PRAC-V2-645601-47191819", "watch", "1", NULL };
    assert_int_equal(run(f, watch, out, sizeof out), 0);
    assert_non_null(strstr(out, "hub UP (subscribed)"));
    assert_non_null(strstr(out, "1 connect(s)"));
    assert_null(strstr(out, KEY));
    assert_null(strstr(out, "access_token"));

    //  A mutation the broker refuses: exit 1 with the broker's text.
    const char *flatten[] = { "--account", "PRAC-V2-645601-47191819", "flatten",
                              "CON.F.US.GCE.Z26", NULL };
    assert_int_equal(run(f, flatten, out, sizeof out), 1);
    assert_non_null(strstr(out, "flatten CON.F.US.GCE.Z26: REJECTED"));
    assert_non_null(strstr(out, "Position not found"));
}

//  Issue #13 fault 6: an order without a parent printed a stray "0" after
//  its tag, and a null P&L (an opening execution) printed as "pnl=0.00".
static void
test_orders_and_trades_format(void **state)
{
    fixture_t *f = *state;
    projectx_config_t cfg;
    projectx_config_defaults(&cfg);
    cfg.base_url = f->mock.base_url;
    cfg.account_name = "PRAC-V2-645601-47191819";
    projectx_t *client = projectx_new(&cfg);
    assert_non_null(client);
    assert_int_equal(projectx_login(client), PROJECTX_OK);
    projectx_order_t o = { .contract_id = "CON.F.US.GCE.Z26", .side = PROJECTX_SIDE_BUY,
                           .type = PROJECTX_TYPE_MARKET, .size = 1, .sl_ticks = 10, .tp_ticks = 20,
                           .custom_tag = "cli-fmt-1" };
    o.limit_price = o.stop_price = OFTS_UNDEF_PRICE;
    projectx_place_result_t res;
    assert_int_equal(projectx_place(client, &o, &res), PROJECTX_OK);
    projectx_destroy(&client);

    static char out[65536];
    const char *orders[] = { "--account", "PRAC-V2-645601-47191819", "orders", "2", NULL };
    assert_int_equal(run(f, orders, out, sizeof out), 0);
    assert_non_null(strstr(out, "tag=cli-fmt-1\n"));
    char want[64];
    snprintf(want, sizeof want, "tag=cli-fmt-1-SL parent=%lld\n", (long long) res.order_id);
    assert_non_null(strstr(out, want));
    assert_null(strstr(out, "tag=cli-fmt-1 0"));
    const char *trades[] = { "--account", "PRAC-V2-645601-47191819", "trades", "2", NULL };
    assert_int_equal(run(f, trades, out, sizeof out), 0);
    assert_non_null(strstr(out, " pnl=- fees="));
    assert_null(strstr(out, "pnl=0.00"));
}

static void
test_errors(void **state)
{
    fixture_t *f = *state;
    static char out[16384];
    const char *none[] = { NULL };
    assert_int_equal(run(f, none, out, sizeof out), 2);
    assert_non_null(strstr(out, "usage:"));
    const char *bogus[] = { "frobnicate", NULL };
    assert_int_equal(run(f, bogus, out, sizeof out), 2);
    const char *cancel[] = { "cancel", NULL };       //  missing ORDER_ID
    assert_int_equal(run(f, cancel, out, sizeof out), 2);
    setenv("TOPSTEPX_API_KEY", "wrong-key-123", 1);
    const char *accounts[] = { "accounts", NULL };
    assert_int_equal(run(f, accounts, out, sizeof out), 1);
    assert_non_null(strstr(out, "login: REJECTED"));
    assert_null(strstr(out, "wrong-key-123"));
    unsetenv("TOPSTEPX_API_KEY");
    assert_int_equal(run(f, accounts, out, sizeof out), 2);     //  no credentials
    assert_non_null(strstr(out, "TOPSTEPX_API_KEY"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_read_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_orders_and_trades_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
