#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dashboard.h"

#define SEC 1000000000LL

static char *
s_render(dashboard_t *d, int64_t now)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    dashboard_render(d, f, now, false);
    fclose(f);
    return buf;
}

static void
t_rows_account_and_health(void **state)
{
    (void) state;
    dashboard_t *d = dashboard_new(3 * SEC);
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;

    Ofts__Trade tr = OFTS__TRADE__INIT;
    tr.symbol = "GC"; tr.price = 2350100000000LL; tr.size = 2;
    env.body_case = OFTS__ENVELOPE__BODY_TRADE; env.trade = &tr;
    dashboard_on_message(d, "md.trade.GC.", &env, 0);

    Ofts__Metrics m = OFTS__METRICS__INIT;
    m.symbol = "GC"; m.imbalance_ratio = 0.72; m.cumulative_delta = 1500;
    env.body_case = OFTS__ENVELOPE__BODY_METRICS; env.metrics = &m;
    dashboard_on_message(d, "of.metrics.GC.", &env, 0);

    Ofts__Signal sig = OFTS__SIGNAL__INIT;
    sig.symbol = "GC"; sig.direction = OFTS__SIDE__SIDE_BUY; sig.confidence = 0.8;
    sig.entry = 2350100000000LL; sig.stop = 2345100000000LL; sig.take_profit = 2360100000000LL;
    sig.reasons = "Strong buy imbalance: 0.72";
    env.body_case = OFTS__ENVELOPE__BODY_SIGNAL; env.signal = &sig;
    dashboard_on_message(d, "of.signal.GC.", &env, 0);

    Ofts__Position pos = OFTS__POSITION__INIT;
    pos.symbol = "GC"; pos.quantity = 1; pos.avg_price = 2350200000000LL; pos.unrealized_pnl_cents = -1000;
    pos.protected_ = 1;
    env.body_case = OFTS__ENVELOPE__BODY_POSITION; env.position = &pos;
    dashboard_on_message(d, "exec.position.GC.", &env, 0);

    Ofts__AccountState acct = OFTS__ACCOUNT_STATE__INIT;
    acct.balance_cents = 5000000; acct.state = OFTS__TRADING_STATE__STATE_REDUCING; acct.state_reason = "flatten time";
    env.body_case = OFTS__ENVELOPE__BODY_ACCOUNT; env.account = &acct;
    dashboard_on_message(d, "risk.account.", &env, 0);

    Ofts__Heartbeat hb = OFTS__HEARTBEAT__INIT;
    hb.service = "risk"; hb.pid = 42; hb.state = "running";
    env.body_case = OFTS__ENVELOPE__BODY_HEARTBEAT; env.heartbeat = &hb;
    dashboard_on_message(d, "sys.heartbeat.risk.", &env, 0);
    dashboard_on_gap(d, "gateway-md", 3);
    dashboard_on_gap(d, "gateway-md", 2);

    char *text = s_render(d, 1 * SEC);
    assert_non_null(strstr(text, "GC          2350.1            -"));
    assert_non_null(strstr(text, "   0.72     1500"));
    assert_non_null(strstr(text, "BUY   0.80      1       2350.2"));
    assert_non_null(strstr(text, "-10.00"));
    assert_non_null(strstr(text, "entry 2350.1 stop 2345.1 target 2360.1"));
    assert_non_null(strstr(text, "balance $50000.00"));
    assert_non_null(strstr(text, "state REDUCING - flatten time"));
    assert_non_null(strstr(text, "risk           OK    pid 42"));
    assert_non_null(strstr(text, "gaps from gateway-md 5 messages missing"));
    assert_null(strstr(text, "UNPROTECTED"));
    free(text);
    text = s_render(d, 5 * SEC);        //  heartbeat 5 s old, timeout 3 s
    assert_non_null(strstr(text, "risk           DOWN"));
    free(text);
    dashboard_destroy(&d);
    assert_null(d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(t_rows_account_and_health) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
