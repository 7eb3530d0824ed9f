/*  ofts-sweep - `ofts sweep [options] FILE...` and `ofts sweep merge`.

    Runs a grid of backtest configurations over DBN files decoded once,
    on every core, and writes one summary row per configuration (CSV and
    JSON), optionally a walk-forward analysis. docs/research.md.        */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ofts_clock.h"
#include "ofts_log.h"
#include "sweep.h"
#include "walkforward.h"

#define MAX_FILES 256

static int
s_usage(int code)
{
    fprintf(code ? stderr : stdout,
            "usage: ofts sweep [--config F] [--set KEY=SPEC]... [--grid FILE] [--jobs N] [--shard I/N]\n"
            "                  [--csv OUT.csv] [--json OUT.json] [--html OUT.html] [--heatmap X,Y]\n"
            "                  [--walk-forward train=5d,test=1d[,step=1d]]\n"
            "                  [--objective net|sharpe] [--wf-csv OUT.csv] [--quiet] FILE...\n"
            "       ofts sweep merge [-o|--out OUT] SHARD...   (shards' CSV or JSON files)\n"
            "  KEY=SPEC         analyzer.*, risk.* or gateway_order.* key; SPEC is from:to:step (to\n"
            "                   included) or v1,v2,... (e.g. analyzer.preset=default,aggressive)\n"
            "  --grid FILE      one KEY=SPEC a line (# comments)\n"
            "  --jobs N         threads (default: every core); the output is the same for any N\n"
            "  --shard I/N      run only slice I (0 .. N-1) of the grid; join with `ofts sweep merge`\n"
            "  --csv / --json   the per-configuration table (default: CSV on stdout)\n"
            "  --html OUT.html  the table as a sortable page with a heatmap of two axes\n"
            "  --heatmap X,Y    the heatmap's axes (keys; default the first two)\n"
            "  --walk-forward   choose the best configuration on each train window by --objective\n"
            "                   (default net: net P&L), trade it on the next test window, stitch\n"
            "  --wf-csv OUT     the walk-forward folds and the stitched out-of-sample equity\n"
            "  --quiet          no progress line, no timing line\n"
            "  --verbose        the cores' warnings and errors for every configuration (default: none;\n"
            "                   rule breaches are columns of the table)\n"
            "  --help           this text\n"
            "exit: 0 ok, 1 a file failed, 2 bad arguments or config\n");
    return code;
}

static int
s_merge(int argc, char **argv)
{
    const char *out = NULL, *paths[MAX_FILES];
    size_t n = 0;
    for (int i = 0; i < argc; i++) {
        if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--out") == 0) && i + 1 < argc)
            out = argv[++i];
        else if (argv[i][0] == '-')
            return s_usage(2);
        else if (n < MAX_FILES)
            paths[n++] = argv[i];
    }
    if (n == 0)
        return s_usage(2);
    FILE *f = out ? fopen(out, "w") : stdout;
    if (!f) {
        fprintf(stderr, "ofts sweep merge: %s: %s\n", out, strerror(errno));
        return 1;
    }
    char err[512];
    int rc = sweep_merge(paths, n, f, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "ofts sweep merge: %s\n", err);
    if (out && fclose(f) != 0)
        rc = -1;
    return rc ? 1 : 0;
}

typedef struct {
    const char *config, *csv, *json, *html, *heatmap, *wf, *wf_csv, *objective;
    const char *files[MAX_FILES];
    size_t nfiles;
    int jobs;
    size_t shard, shards;
    bool quiet, verbose;
} s_args_t;

static int
s_parse(int argc, char **argv, s_args_t *a, sweep_grid_t *grid)
{
    char err[512];
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        bool valued = strcmp(arg, "--config") == 0 || strcmp(arg, "--set") == 0 || strcmp(arg, "--grid") == 0
                   || strcmp(arg, "--jobs") == 0 || strcmp(arg, "--shard") == 0 || strcmp(arg, "--csv") == 0
                   || strcmp(arg, "--json") == 0 || strcmp(arg, "--walk-forward") == 0
                   || strcmp(arg, "--objective") == 0 || strcmp(arg, "--wf-csv") == 0
                   || strcmp(arg, "--html") == 0 || strcmp(arg, "--heatmap") == 0;
        if (valued && i + 1 >= argc) {
            fprintf(stderr, "ofts sweep: %s needs a value\n", arg);
            return -1;
        }
        const char *v = valued ? argv[++i] : NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
            return 1;
        else if (strcmp(arg, "--config") == 0)
            a->config = v;
        else if (strcmp(arg, "--set") == 0 || strcmp(arg, "--grid") == 0) {
            int rc = arg[2] == 's' ? sweep_grid_add(grid, v, err, sizeof err) : sweep_grid_load(grid, v, err, sizeof err);
            if (rc != 0) {
                fprintf(stderr, "ofts sweep: %s\n", err);
                return -1;
            }
        }
        else if (strcmp(arg, "--jobs") == 0)
            a->jobs = atoi(v);
        else if (strcmp(arg, "--shard") == 0) {
            if (sscanf(v, "%zu/%zu", &a->shard, &a->shards) != 2 || a->shards == 0 || a->shard >= a->shards) {
                fprintf(stderr, "ofts sweep: --shard I/N with 0 <= I < N\n");
                return -1;
            }
        }
        else if (strcmp(arg, "--csv") == 0)
            a->csv = v;
        else if (strcmp(arg, "--json") == 0)
            a->json = v;
        else if (strcmp(arg, "--html") == 0)
            a->html = v;
        else if (strcmp(arg, "--heatmap") == 0)
            a->heatmap = v;
        else if (strcmp(arg, "--walk-forward") == 0)
            a->wf = v;
        else if (strcmp(arg, "--objective") == 0)
            a->objective = v;
        else if (strcmp(arg, "--wf-csv") == 0)
            a->wf_csv = v;
        else if (strcmp(arg, "--quiet") == 0)
            a->quiet = true;
        else if (strcmp(arg, "--verbose") == 0)
            a->verbose = true;
        else if (arg[0] == '-') {
            fprintf(stderr, "ofts sweep: unknown flag '%s'\n", arg);
            return -1;
        }
        else if (a->nfiles < MAX_FILES)
            a->files[a->nfiles++] = arg;
    }
    return a->nfiles ? 0 : -1;
}

typedef void (s_writer_fn)(sweep_t *sweep, FILE *out);

static int
s_write(const char *path, s_writer_fn *fn, sweep_t *sweep)
{
    FILE *f = path ? fopen(path, "w") : stdout;
    bool ok = f != NULL;
    if (f) {
        fn(sweep, f);
        ok = !ferror(f);
        if (path)
            ok = fclose(f) == 0 && ok;
        else
            fflush(f);
    }
    if (!ok)
        log_error("cannot write %s: %s", path ? path : "stdout", strerror(errno));
    return ok ? 0 : -1;
}

//  The page, with the heatmap's axes from --heatmap X,Y (keys).
static int
s_write_html(s_args_t *a, sweep_t *sweep, sweep_grid_t *grid)
{
    size_t ax = 0, ay = 1;
    if (a->heatmap) {
        char keys[256];
        snprintf(keys, sizeof keys, "%s", a->heatmap);
        char *comma = strchr(keys, ',');
        if (comma)
            *comma = '\0';
        int x = sweep_grid_find(grid, keys), y = comma ? sweep_grid_find(grid, comma + 1) : x;
        if (x < 0 || y < 0) {
            fprintf(stderr, "ofts sweep: --heatmap %s: not axes of the grid\n", a->heatmap);
            return 2;
        }
        ax = (size_t) x;
        ay = (size_t) y;
    }
    FILE *f = fopen(a->html, "w");
    bool ok = f != NULL;
    if (f) {
        sweep_write_html(sweep, grid, ax, ay, f);
        ok = !ferror(f);
        ok = fclose(f) == 0 && ok;
    }
    if (!ok)
        log_error("cannot write %s: %s", a->html, strerror(errno));
    return ok ? 0 : 1;
}

static int
s_walk_forward(s_args_t *a, sweep_t *sweep, size_t tried)
{
    wf_spec_t spec;
    char err[256];
    if (wf_spec_parse(a->wf, &spec, err, sizeof err) != 0) {
        fprintf(stderr, "ofts sweep: --walk-forward: %s\n", err);
        return 2;
    }
    wf_objective_t objective;
    if (wf_objective_parse(a->objective ? a->objective : "net", &objective) != 0) {
        fprintf(stderr, "ofts sweep: --objective net or sharpe\n");
        return 2;
    }
    const int64_t *days;
    size_t ndays = sweep_days(sweep, &days);
    size_t n = sweep_count(sweep);
    const int64_t **daily = calloc(n, sizeof *daily);
    for (size_t i = 0; i < n; i++)
        daily[i] = sweep_result(sweep, i)->daily;
    wf_result_t r;
    int rc = wf_run(daily, n, ndays, &spec, objective, tried, &r, err, sizeof err);
    free(daily);
    if (rc != 0) {
        fprintf(stderr, "ofts sweep: --walk-forward: %s\n", err);
        return 2;
    }
    wf_print(&r, days, stdout);
    if (a->wf_csv) {
        FILE *f = fopen(a->wf_csv, "w");
        if (!f || (wf_write_csv(&r, days, f), fclose(f) != 0)) {
            log_error("cannot write %s", a->wf_csv);
            rc = 1;
        }
    }
    wf_result_free(&r);
    return rc;
}

int
main(int argc, char **argv)
{
    ofts_log_init("sweep", OFTS_LOG_WARN);
    if (argc > 1 && strcmp(argv[1], "merge") == 0)
        return s_merge(argc - 2, argv + 2);
    s_args_t a = { .config = ofts_config_default_path(), .shards = 1 };
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    a.jobs = cores > 0 ? (int) cores : 1;
    sweep_grid_t *grid = sweep_grid_new();
    int prc = s_parse(argc, argv, &a, grid);
    if (prc != 0) {
        sweep_grid_destroy(&grid);
        return s_usage(prc > 0 ? 0 : 2);
    }
    if (a.wf && a.shards > 1) {
        fprintf(stderr, "ofts sweep: --walk-forward needs the whole grid (no --shard)\n");
        sweep_grid_destroy(&grid);
        return 2;
    }
    char err[512];
    ofts_config_t *cfg = ofts_config_load(a.config, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "ofts sweep: config error: %s\n", err);
        sweep_grid_destroy(&grid);
        return 2;
    }
    size_t total = sweep_grid_size(grid);
    size_t first = total * a.shard / a.shards, last = total * (a.shard + 1) / a.shards;
    sweep_t *sweep = sweep_new(ofts_config_root(cfg), grid, first, last - first, err, sizeof err);
    ofts_config_destroy(&cfg);
    if (!sweep) {
        fprintf(stderr, "ofts sweep: config error: %s\n", err);
        sweep_grid_destroy(&grid);
        return 2;
    }
    sweep_data_t *data = sweep_data_new();
    sweep_data_set_levels(data, sweep_depth_levels(sweep));
    int64_t t0 = ofts_clock_mono_ns();
    int rc = 0;
    if (sweep_data_load(data, a.files, a.nfiles, err, sizeof err) != 0) {
        log_error("%s", err);
        rc = 1;
    }
    double decode = (double) (ofts_clock_mono_ns() - t0) / 1e9;
    if (rc == 0) {
        t0 = ofts_clock_mono_ns();
        //  Each configuration's risk engine would log its own limit hits:
        //  thousands of lines in a large grid, and the table has them.
        if (!a.verbose)
            ofts_log_set_level((ofts_log_level_t) (OFTS_LOG_ERROR + 1));
        sweep_run(sweep, data, a.jobs, !a.quiet && isatty(2));
        ofts_log_set_level(OFTS_LOG_WARN);
        double secs = (double) (ofts_clock_mono_ns() - t0) / 1e9;
        double ce = (double) sweep_data_events(data) * (double) sweep_count(sweep);
        if (!a.quiet)
            fprintf(stderr, "ofts sweep: %zu configurations (%zu metrics groups) x %zu market events: decoded once "
                    "in %.2f s, run in %.2f s on %d threads (%.1f M configuration-events/s)\n",
                    sweep_count(sweep), sweep_groups(sweep), sweep_data_events(data), decode, secs, a.jobs,
                    secs > 0 ? ce / secs / 1e6 : 0.0);
        if ((a.csv || !a.wf) && s_write(a.csv, sweep_write_csv, sweep) != 0)
            rc = 1;
        if (a.json && s_write(a.json, sweep_write_json, sweep) != 0)
            rc = 1;
        if (a.html) {
            int hrc = s_write_html(&a, sweep, grid);
            rc = hrc ? hrc : rc;
        }
        if (a.wf) {
            int wrc = s_walk_forward(&a, sweep, total);
            rc = wrc ? wrc : rc;
        }
    }
    sweep_data_destroy(&data);
    sweep_destroy(&sweep);
    sweep_grid_destroy(&grid);
    return rc;
}
