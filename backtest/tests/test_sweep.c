/*  sweep (issue 16): the grid, the walk-forward arithmetic on numbers
    worked by hand, and the ofts-sweep / ofts-backtest binaries on
    simulated data: a sweep row equals the backtest of that configuration,
    byte for byte; any --jobs and any --shard split + merge give the same
    bytes; the walk-forward's out-of-sample P&L equals what two backtests
    say; the journal's rows add up to the summary.                       */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "e2e_util.h"
#include "sweep.h"
#include "walkforward.h"

static char *g_dir, *g_data;

//  --- grid and walk-forward by hand ---------------------------------------

static void
t_grid_values(void **state)
{
    (void) state;
    char err[256];
    sweep_grid_t *g = sweep_grid_new();
    assert_int_equal(sweep_grid_add(g, "analyzer.imbalance_threshold=0.5:0.8:0.05", err, sizeof err), 0);
    assert_int_equal(sweep_grid_add(g, "risk.cooldown_minutes=1,3,5", err, sizeof err), 0);
    assert_int_equal(sweep_grid_values(g, 0), 7);          //  0.5 0.55 ... 0.8, 0.8 included
    assert_string_equal(sweep_grid_value(g, 0, 0), "0.5");
    assert_string_equal(sweep_grid_value(g, 20, 0), "0.8");
    assert_string_equal(sweep_grid_value(g, 9, 0), "0.65");
    assert_int_equal(sweep_grid_size(g), 21);
    //  The last axis varies fastest: config 4 = (0.55, 3).
    assert_string_equal(sweep_grid_value(g, 4, 0), "0.55");
    assert_string_equal(sweep_grid_value(g, 4, 1), "3");
    assert_int_not_equal(sweep_grid_add(g, "risk.cooldown_minutes=2", err, sizeof err), 0);    //  twice
    assert_int_not_equal(sweep_grid_add(g, "analyzer.x=1:0:1", err, sizeof err), 0);
    //  A range is exactly three numbers.
    assert_int_not_equal(sweep_grid_add(g, "analyzer.x=1:2", err, sizeof err), 0);
    assert_string_equal(err, "analyzer.x: a range is from:to:step");
    assert_int_not_equal(sweep_grid_add(g, "analyzer.x=1:2:0.5x", err, sizeof err), 0);
    assert_string_equal(err, "analyzer.x: a range is from:to:step");
    assert_int_not_equal(sweep_grid_add(g, "novalue", err, sizeof err), 0);
    sweep_grid_destroy(&g);

    //  A grid file: comments and blank lines skipped; presets as an axis.
    char path[1024];
    snprintf(path, sizeof path, "%s/grid.txt", g_dir);
    FILE *f = fopen(path, "w");
    fputs("# the presets against two stops\n\nanalyzer.preset=default,aggressive,conservative\n"
          "  analyzer.stop_points=1:2:0.5   # three\n", f);
    fclose(f);
    g = sweep_grid_new();
    assert_int_equal(sweep_grid_load(g, path, err, sizeof err), 0);
    assert_int_equal(sweep_grid_axes(g), 2);
    assert_int_equal(sweep_grid_size(g), 9);
    assert_string_equal(sweep_grid_value(g, 8, 0), "conservative");
    assert_string_equal(sweep_grid_value(g, 8, 1), "2");
    sweep_grid_destroy(&g);
}

//  Three configurations over 6 days, train 2 test 1 (step 1):
//      day        0    1    2    3    4    5
//      c0       100  100 -300  100  100  100
//      c1         0  300    0    0  400 -100
//      c2        50   50   50   50   50   50
//  fold 1: train 0-1 (c0 200, c1 300, c2 100) -> c1, test day 2:    0
//  fold 2: train 1-2 (c0 -200, c1 300, c2 100) -> c1, test day 3:   0
//  fold 3: train 2-3 (c0 -200, c1 0, c2 100)  -> c2, test day 4:   50
//  fold 4: train 3-4 (c0 200, c1 400, c2 100) -> c1, test day 5: -100
//  out-of-sample total -50 over 4 days (-12.5/day); in-sample per day of
//  the chosen: (150 + 150 + 50 + 200) / 4 = 137.5; efficiency -0.0909.
static void
t_walk_forward_by_hand(void **state)
{
    (void) state;
    const int64_t c0[] = { 100, 100, -300, 100, 100, 100 }, c1[] = { 0, 300, 0, 0, 400, -100 },
                  c2[] = { 50, 50, 50, 50, 50, 50 };
    const int64_t *daily[] = { c0, c1, c2 };
    wf_spec_t spec;
    char err[256];
    assert_int_equal(wf_spec_parse("train=2d,test=1d", &spec, err, sizeof err), 0);
    assert_int_equal(spec.step, 1);
    wf_result_t r;
    assert_int_equal(wf_run(daily, 3, 6, &spec, WF_NET, 3, &r, err, sizeof err), 0);
    assert_int_equal(r.nfolds, 4);
    const size_t chosen[] = { 1, 1, 2, 1 };
    const int64_t test[] = { 0, 0, 50, -100 };
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(r.folds[i].chosen, chosen[i]);
        assert_int_equal(r.folds[i].test_cents, test[i]);
        assert_int_equal(r.folds[i].test_from, i + 2);
    }
    assert_int_equal(r.noos, 4);
    assert_int_equal(r.oos_total_cents, -50);
    assert_true(fabs(r.oos_per_day - -12.5) < 1e-9);
    assert_true(fabs(r.is_per_day - 137.5) < 1e-9);
    assert_true(fabs(r.efficiency - -12.5 / 137.5) < 1e-9);
    wf_result_free(&r);

    //  Test 2 days, step 2: folds at 0 (test 2-3) and 2 (test 4-5).
    assert_int_equal(wf_spec_parse("train=2d,test=2d", &spec, err, sizeof err), 0);
    assert_int_equal(wf_run(daily, 3, 6, &spec, WF_NET, 3, &r, err, sizeof err), 0);
    assert_int_equal(r.nfolds, 2);
    assert_int_equal(r.folds[0].chosen, 1);
    assert_int_equal(r.folds[1].chosen, 2);         //  train 2-3: c0 -200, c1 0, c2 100
    assert_int_equal(r.oos_total_cents, 0 + 0 + 50 + 50);
    wf_result_free(&r);

    assert_int_not_equal(wf_spec_parse("train=5d", &spec, err, sizeof err), 0);
    assert_int_not_equal(wf_spec_parse("train=5x,test=1d", &spec, err, sizeof err), 0);
    assert_int_equal(wf_spec_parse("train=7d,test=1d", &spec, err, sizeof err), 0);
    assert_int_not_equal(wf_run(daily, 3, 6, &spec, WF_NET, 3, &r, err, sizeof err), 0);     //  too few days
    wf_result_free(&r);
}

//  Bailey & Lopez de Prado (2014): with variance 1 across trials, the
//  expected best of 1,000 zero-skill Sharpes is about 3.26 (their
//  example); of one it is 0. A Sharpe equal to that bar deflates to 0.5.
static void
t_deflated_sharpe(void **state)
{
    (void) state;
    assert_true(fabs(wf_expected_max_sharpe(1000, 1.0) - 3.2551) < 0.001);
    assert_true(wf_expected_max_sharpe(1, 1.0) == 0.0);
    assert_true(fabs(wf_deflated_sharpe(0.2, 0.2, 250, 0, 3) - 0.5) < 1e-9);
    //  sr 0.1 daily over 251 days, normal returns: z = 0.1 x sqrt(250) /
    //  sqrt(1 + 0.005) = 1.5772 -> 0.9426.
    assert_true(fabs(wf_deflated_sharpe(0.1, 0.0, 251, 0, 3) - 0.9426) < 0.0005);
}

//  --- the binaries ----------------------------------------------------------

static char *
s_path(const char *name)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s/%s", g_dir, name);
    return strdup(buf);
}

//  ofts-sweep with the shared grid and the extra arguments given.
static int
s_sweep(const char *a1, const char *a2, const char *a3, const char *a4, const char *a5, const char *a6)
{
    char bin[1024];
    char *argv[] = { (char *) e2e_bin("ofts-sweep", bin, sizeof bin), "--quiet",
                     "--set", "analyzer.window_seconds=30,60",
                     "--set", "analyzer.imbalance_threshold=0.55:0.65:0.1",
                     "--set", "risk.cooldown_minutes=1,3",
                     (char *) a1, (char *) a2, (char *) a3, (char *) a4, (char *) a5, (char *) a6, NULL, NULL };
    //  Arguments after the first NULL are not passed; the data goes last.
    int n = 0;
    while (argv[n])
        n++;
    argv[n] = g_data;
    argv[n + 1] = NULL;
    return e2e_run(argv, "/dev/null");
}

static void
s_assert_same_file(const char *a, const char *b)
{
    char *x = e2e_read_file(a), *y = e2e_read_file(b);
    assert_non_null(x);
    assert_non_null(y);
    assert_true(strlen(x) > 100);
    assert_string_equal(x, y);
    free(x);
    free(y);
}

static void
t_jobs_identical(void **state)
{
    (void) state;
    char *c1 = s_path("j1.csv"), *c2 = s_path("j2.csv"), *j1 = s_path("j1.json"), *j2 = s_path("j2.json");
    assert_int_equal(s_sweep("--jobs", "1", "--csv", c1, "--json", j1), 0);
    assert_int_equal(s_sweep("--jobs", "2", "--csv", c2, "--json", j2), 0);
    s_assert_same_file(c1, c2);
    s_assert_same_file(j1, j2);
    //  8 configurations: a header and 8 rows.
    assert_int_equal(e2e_count_lines(c1, ","), 9);
    free(c1), free(c2), free(j1), free(j2);
}

//  The row of configuration 5 (window 60, threshold 0.55, cooldown 3)
//  from the sweep, against ofts-backtest of that configuration alone.
static void
t_row_equals_backtest(void **state)
{
    (void) state;
    char *csv = s_path("j1.csv"), *one = s_path("one.csv");
    if (e2e_count_lines(csv, ",") != 9)
        assert_int_equal(s_sweep("--jobs", "2", "--csv", csv, NULL, NULL), 0);
    char bin[1024];
    char *argv[] = { (char *) e2e_bin("ofts-backtest", bin, sizeof bin), "--quiet",
                     "--set", "analyzer.window_seconds=60", "--set", "analyzer.imbalance_threshold=0.55",
                     "--set", "risk.cooldown_minutes=3", "--summary-csv", one, g_data, NULL };
    assert_int_equal(e2e_run(argv, "/dev/null"), 0);
    char *sweep = e2e_read_file(csv), *bt = e2e_read_file(one);
    char *row = strstr(sweep, "\n5,60,0.55,3,");
    assert_non_null(row);
    row += strlen("\n5,60,0.55,3,");
    const char *bt_row = strchr(bt, '\n') + 1;
    size_t len = strcspn(bt_row, "\n");
    assert_true(len > 20);
    assert_memory_equal(row, bt_row, len);
    assert_true(row[len] == '\n');
    //  And it traded: a comparison of two empty runs proves nothing.
    assert_true(atoi(bt_row) > 0);
    free(sweep), free(bt), free(csv), free(one);
}

static void
t_shard_merge(void **state)
{
    (void) state;
    char *all = s_path("all.csv"), *allj = s_path("all.json"), *merged = s_path("merged.csv"),
         *mergedj = s_path("merged.json");
    assert_int_equal(s_sweep("--jobs", "2", "--csv", all, "--json", allj), 0);
    char *shards[3], *shardsj[3];
    for (int i = 0; i < 3; i++) {
        char name[32], spec[16];
        snprintf(name, sizeof name, "s%d.csv", i);
        shards[i] = s_path(name);
        snprintf(name, sizeof name, "s%d.json", i);
        shardsj[i] = s_path(name);
        snprintf(spec, sizeof spec, "%d/3", i);
        assert_int_equal(s_sweep("--shard", spec, "--csv", shards[i], "--json", shardsj[i]), 0);
    }
    char bin[1024];
    //  Shards given out of order: merge sorts by configuration.
    char *argv[] = { (char *) e2e_bin("ofts-sweep", bin, sizeof bin), "merge", "-o", merged, shards[2], shards[0],
                     shards[1], NULL };
    assert_int_equal(e2e_run(argv, "/dev/null"), 0);
    s_assert_same_file(all, merged);
    char *argvj[] = { bin, "merge", "-o", mergedj, shardsj[1], shardsj[0], shardsj[2], NULL };
    assert_int_equal(e2e_run(argvj, "/dev/null"), 0);
    s_assert_same_file(allj, mergedj);
    //  A missing shard is an error, not a short table.
    char *argv2[] = { bin, "merge", "-o", merged, shards[0], shards[2], NULL };
    assert_int_not_equal(e2e_run(argv2, "/dev/null"), 0);
    for (int i = 0; i < 3; i++)
        free(shards[i]), free(shardsj[i]);
    free(all), free(allj), free(merged), free(mergedj);
}

//  The journal: header, one row per round trip plus open positions; the
//  net P&L column adds up to the summary's net P&L.
static void
t_trades_csv(void **state)
{
    (void) state;
    char *trades = s_path("trades.csv"), *sum = s_path("sum.csv");
    char bin[1024];
    char *argv[] = { (char *) e2e_bin("ofts-backtest", bin, sizeof bin), "--quiet", "--set",
                     "analyzer.imbalance_threshold=0.55", "--trades-csv", trades, "--summary-csv", sum, g_data, NULL };
    assert_int_equal(e2e_run(argv, "/dev/null"), 0);
    FILE *f = fopen(trades, "r");
    assert_non_null(f);
    char line[4096];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "signal_id,contract,symbol,side,qty,entry_time_utc,entry_time_ct,exit_time_utc,"
                        "exit_time_ct,entry_price,exit_price,stop_price,target_price,exit_reason,fees,gross_pnl,"
                        "net_pnl,mae,mfe,duration_s,confidence,reasons\n");
    int closed = 0;
    double net = 0;
    while (fgets(line, sizeof line, f)) {
        //  The 17th column is net P&L; an open position has no exit time.
        char *p = line;
        for (int col = 1; col < 17; col++)
            p = strchr(p, ',') + 1;
        char *exit_utc = line;
        for (int col = 1; col < 8; col++)
            exit_utc = strchr(exit_utc, ',') + 1;
        if (*exit_utc != ',') {
            closed++;
            net += atof(p);
            assert_non_null(strstr(line, "Z,"));
            assert_true(strstr(line, " CST,") || strstr(line, " CDT,"));
        }
    }
    fclose(f);
    char *s = e2e_read_file(sum);
    const char *row = strchr(s, '\n') + 1;
    assert_int_equal(closed, atoi(row));
    assert_true(closed > 0);
    assert_true(fabs(net - atof(strchr(row, ',') + 1)) < 0.005 * closed);
    free(s), free(trades), free(sum);
}

//  Three trading days (one 4-minute file each), one configuration, train 1
//  day, test 1: the out-of-sample P&L is days 2 and 3, i.e. the backtest of
//  all three files less the backtest of the first (which starts from the
//  same empty state).
static void
t_walk_forward_cli(void **state)
{
    (void) state;
    char sim[1024], *files[3];
    const char *starts[] = { "2026-11-30T14:30:00Z", "2026-12-01T14:30:00Z", "2026-12-02T14:30:00Z" };
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "day%d.dbn", i);
        files[i] = s_path(name);
        char *argv[] = { (char *) e2e_bin("ofts-sim", sim, sizeof sim), "--minutes", "4", "--seed", "7",
                         "--start", (char *) starts[i], "--plain", "-o", files[i], NULL };
        assert_int_equal(e2e_run(argv, "/dev/null"), 0);
    }
    char *wf = s_path("wf.csv"), *all = s_path("bt_all.csv"), *first = s_path("bt_first.csv");
    char bin[1024], bbin[1024];
    char *argv[] = { (char *) e2e_bin("ofts-sweep", bin, sizeof bin), "--quiet", "--set",
                     "analyzer.imbalance_threshold=0.55", "--walk-forward", "train=1d,test=1d", "--wf-csv", wf,
                     files[0], files[1], files[2], NULL };
    assert_int_equal(e2e_run(argv, "/dev/null"), 0);
    char *argv_all[] = { (char *) e2e_bin("ofts-backtest", bbin, sizeof bbin), "--quiet", "--set",
                         "analyzer.imbalance_threshold=0.55", "--summary-csv", all, files[0], files[1], files[2], NULL };
    assert_int_equal(e2e_run(argv_all, "/dev/null"), 0);
    char *argv_first[] = { bbin, "--quiet", "--set", "analyzer.imbalance_threshold=0.55", "--summary-csv", first,
                           files[0], NULL };
    assert_int_equal(e2e_run(argv_first, "/dev/null"), 0);
    char *a = e2e_read_file(all), *b = e2e_read_file(first), *w = e2e_read_file(wf);
    double net_all = atof(strchr(strchr(a, '\n') + 1, ',') + 1);
    double net_first = atof(strchr(strchr(b, '\n') + 1, ',') + 1);
    //  Two folds; the stitched equity's last row holds the total.
    assert_non_null(strstr(w, "\nfold,2,"));
    assert_null(strstr(w, "\nfold,3,"));
    const char *last = strrchr(w, '\n');
    while (last > w && last[-1] != '\n')
        last--;
    assert_true(strncmp(last, "oos,", 4) == 0);
    double equity = atof(strrchr(last, ',') + 1);
    assert_true(fabs(equity - (net_all - net_first)) < 0.005);
    assert_true(net_all != net_first);
    free(a), free(b), free(w), free(wf), free(all), free(first);
    for (int i = 0; i < 3; i++)
        free(files[i]);
}

static int
s_setup(void **state)
{
    (void) state;
    return e2e_sim_setup(&g_dir, &g_data, "sweep", "five.dbn", 5, 42);
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
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_grid_values),
        cmocka_unit_test(t_walk_forward_by_hand),
        cmocka_unit_test(t_deflated_sharpe),
        cmocka_unit_test(t_jobs_identical),
        cmocka_unit_test(t_row_equals_backtest),
        cmocka_unit_test(t_shard_merge),
        cmocka_unit_test(t_trades_csv),
        cmocka_unit_test(t_walk_forward_cli),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
