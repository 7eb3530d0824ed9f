/*  The HTML reports (issue 16) as a user sees them: ofts-backtest --html
    and ofts-sweep --html on simulated data, loaded in headless Chromium
    (the page's own script runs, Chart.js inlined from libjs-chart.js),
    the resulting DOM read back. Skipped (77) without Chromium.          */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "e2e_util.h"

static char *g_dir, *g_data, g_chromium[512];

//  The value of attribute name="..." in the element with id.
static char *
s_attr(const char *dom, const char *id, const char *name)
{
    char key[128];
    snprintf(key, sizeof key, "id=\"%s\"", id);
    const char *el = strstr(dom, key);
    if (!el)
        return NULL;
    const char *end = strchr(el, '>');
    snprintf(key, sizeof key, "%s=\"", name);
    const char *at = strstr(el, key);
    if (!at || at > end)
        return NULL;
    at += strlen(key);
    return strndup(at, strcspn(at, "\""));
}

static void
t_backtest_report(void **state)
{
    (void) state;
    char bin[1024], html[1024], trades[1024];
    snprintf(html, sizeof html, "%s/report.html", g_dir);
    snprintf(trades, sizeof trades, "%s/trades.csv", g_dir);
    char *argv[] = { (char *) e2e_bin("ofts-backtest", bin, sizeof bin), "--quiet", "--html", html,
                     "--trades-csv", trades, g_data, NULL };
    assert_int_equal(e2e_run(argv, "/dev/null"), 0);
    char *dom = e2e_dump_dom(g_chromium, g_dir, html, "report");
    assert_non_null(dom);
    //  Five symbols: price + delta each, equity, drawdown, days, hours.
    char *charts = s_attr(dom, "status", "data-charts");
    assert_non_null(charts);
    assert_string_equal(charts, "14");
    //  A time axis in Central Time, and prices as plain decimals.
    char *xticks = s_attr(dom, "status", "data-xticks"), *yticks = s_attr(dom, "status", "data-yticks");
    assert_non_null(xticks);
    assert_non_null(strstr(xticks, " CT|"));
    assert_non_null(yticks);
    assert_null(strstr(yticks, "e+"));
    assert_non_null(strchr(yticks, '.'));
    //  The trades table: one row per line of the journal (closed + open).
    const char *table = strstr(dom, "id=\"trades\"");
    assert_non_null(table);
    int rows = 0;
    for (const char *p = strstr(table, "</tr>"); p && p < strstr(table, "</table>"); p = strstr(p + 5, "<tr"))
        rows++;
    assert_int_equal(rows - 1, e2e_count_lines(trades, ",") - 1);
    assert_null(strstr(table, "e+0"));
    assert_non_null(strstr(table, " CST<") ? strstr(table, " CST<") : strstr(table, " CDT<"));
    //  Rejected signals are a legend entry of their own, canvases are drawn.
    assert_non_null(strstr(dom, "canvas id=\"price-GC\""));
    assert_non_null(strstr(dom, "rejected signal"));
    free(charts), free(xticks), free(yticks), free(dom);
}

static void
t_sweep_page(void **state)
{
    (void) state;
    char bin[1024], html[1024];
    snprintf(html, sizeof html, "%s/sweep.html", g_dir);
    char *argv[] = { (char *) e2e_bin("ofts-sweep", bin, sizeof bin), "--quiet", "--set",
                     "analyzer.imbalance_threshold=0.55,0.65", "--set", "risk.cooldown_minutes=1,3,5",
                     "--html", html, "--csv", "/dev/null", g_data, NULL };
    assert_int_equal(e2e_run(argv, "/dev/null"), 0);
    char *dom = e2e_dump_dom(g_chromium, g_dir, html, "sweep");
    assert_non_null(dom);
    char *rows = s_attr(dom, "status", "data-rows"), *sorted = s_attr(dom, "status", "data-sorted");
    assert_non_null(rows);
    assert_string_equal(rows, "6");
    //  The page sorts itself by net P&L (a click on the header) and checks
    //  the column is in order afterwards.
    assert_non_null(sorted);
    assert_string_equal(sorted, "net_pnl desc ok");
    //  The heatmap: 2 x 3 cells of the first two axes.
    const char *heat = strstr(dom, "id=\"heatmap\"");
    assert_non_null(heat);
    int cells = 0;
    for (const char *p = strstr(heat, "class=\"cell\""); p && p < strstr(heat, "</table>"); p = strstr(p + 1, "class=\"cell\""))
        cells++;
    assert_int_equal(cells, 6);
    free(rows), free(sorted), free(dom);
}

static int
s_setup(void **state)
{
    (void) state;
    return e2e_sim_setup(&g_dir, &g_data, "report-html", "market.dbn.zst", 5, 42);
}

static int
s_teardown(void **state)
{
    (void) state;
    return e2e_sim_teardown(&g_dir, &g_data);
}

int
main(void)
{
    if (!e2e_find_chromium(g_chromium, sizeof g_chromium)) {
        printf("SKIP backtest_html: chromium is not installed (tools/install-deps.sh chromium, part of make test)\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_backtest_report),
        cmocka_unit_test(t_sweep_page),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
