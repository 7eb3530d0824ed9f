/*  sweep_html - the sweep as one page: a heatmap of two axes and the whole
    table, sortable by any column (click a header). No library: the
    heatmap is a table of coloured cells, the sort a few lines of script. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "sweep.h"

//  Column names and values of a row, as the CSV has them.
static const char *s_columns[] = { "trades", "net_pnl", "gross_pnl", "fees", "win_rate", "profit_factor",
                                   "max_drawdown", "daily_sharpe", "trades_per_day", "worst_day", "best_day",
                                   "dll_breach_days", "mll_breached", "signals", "approved", "rejected",
                                   "open_pnl" };
#define NCOLUMNS (sizeof s_columns / sizeof s_columns[0])
static const int s_decimals[NCOLUMNS] = { 0, 2, 2, 2, 4, 4, 2, 4, 4, 2, 2, 0, 0, 0, 0, 0, 2 };

static void
s_values(const research_summary_t *s, double *v)
{
    double pf = s->gross_loss_cents ? (double) s->gross_win_cents / (double) s->gross_loss_cents
              : s->gross_win_cents > 0 ? INFINITY : 0.0;
    double vals[NCOLUMNS] = { s->trades, s->net_cents / 100.0, s->gross_cents / 100.0, s->fees_cents / 100.0,
                              s->trades ? (double) s->wins / s->trades : 0.0, pf, s->max_drawdown_cents / 100.0,
                              s->sharpe, s->days ? (double) s->trades / s->days : 0.0, s->worst_day_cents / 100.0,
                              s->best_day_cents / 100.0, s->dll_breach_days, s->mll_breached,
                              (double) s->signals, (double) s->approved, (double) s->rejected,
                              s->open_cents / 100.0 };
    memcpy(v, vals, sizeof vals);
}

//  Green for the best net P&L, red for the worst, white at zero.
static void
s_color(double v, double lo, double hi, char *buf, size_t size)
{
    double f = v >= 0 ? (hi > 0 ? v / hi : 0) : (lo < 0 ? v / lo : 0);
    int shade = 255 - (int) (f * 150);
    snprintf(buf, size, v >= 0 ? "rgb(%d,255,%d)" : "rgb(255,%d,%d)", shade, shade);
}

//  Heatmap of axes ax (columns) x ay (rows): each cell the best net P&L of
//  the configurations with those two values (over every other axis).
static void
s_heatmap(sweep_t *sweep, sweep_grid_t *grid, size_t ax, size_t ay, FILE *out)
{
    size_t nx = sweep_grid_values(grid, ax), ny = ay == ax ? 1 : sweep_grid_values(grid, ay);
    double *best = malloc(nx * ny * sizeof *best);
    for (size_t i = 0; i < nx * ny; i++)
        best[i] = NAN;
    double lo = 0, hi = 0;
    for (size_t i = 0; i < sweep_count(sweep); i++) {
        size_t config = sweep_first(sweep) + i, x = 0, y = 0;
        const char *vx = sweep_grid_value(grid, config, ax), *vy = ay == ax ? NULL : sweep_grid_value(grid, config, ay);
        while (x < nx && strcmp(sweep_grid_value_at(grid, ax, x), vx) != 0)
            x++;
        while (vy && y < ny && strcmp(sweep_grid_value_at(grid, ay, y), vy) != 0)
            y++;
        double v = sweep_result(sweep, i)->summary.net_cents / 100.0;
        double *cell = &best[y * nx + x];
        if (isnan(*cell) || v > *cell)
            *cell = v;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    fputs("<h2>Heatmap: best net P&amp;L $ over the other axes</h2><table id='heatmap'><tr><th>", out);
    if (ay != ax) {
        research_html_text(out, sweep_grid_key(grid, ay));
        fputs(" \\ ", out);
    }
    research_html_text(out, sweep_grid_key(grid, ax));
    fputs("</th>", out);
    for (size_t x = 0; x < nx; x++) {
        fputs("<th>", out);
        research_html_text(out, sweep_grid_value_at(grid, ax, x));
        fputs("</th>", out);
    }
    fputs("</tr>\n", out);
    for (size_t y = 0; y < ny; y++) {
        fputs("<tr><th>", out);
        if (ay != ax)
            research_html_text(out, sweep_grid_value_at(grid, ay, y));
        fputs("</th>", out);
        for (size_t x = 0; x < nx; x++) {
            double v = best[y * nx + x];
            char color[32] = "#eee";
            if (!isnan(v))
                s_color(v, lo, hi, color, sizeof color);
            fprintf(out, "<td class='cell' style='background:%s'>", color);
            if (!isnan(v))
                fprintf(out, "%.2f", v);
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</table>\n", out);
    free(best);
}

static const char *s_script =
    "<script>\n"
    "(function(){\n"
    "const t=document.getElementById('grid'),st=document.getElementById('status');\n"
    "const body=t.tBodies[0],heads=[...t.tHead.rows[0].cells];\n"
    "function sort(i){const h=heads[i],desc=h.dataset.dir!=='desc';heads.forEach(x=>delete x.dataset.dir);\n"
    "  h.dataset.dir=desc?'desc':'asc';\n"
    "  const num=s=>s==='inf'?Infinity:(isNaN(parseFloat(s))?s:parseFloat(s));\n"
    "  const rows=[...body.rows].sort((a,b)=>{const x=num(a.cells[i].textContent),y=num(b.cells[i].textContent);\n"
    "    const c=x<y?-1:x>y?1:0;return desc?-c:c;});\n"
    "  rows.forEach(r=>body.appendChild(r));}\n"
    "heads.forEach((h,i)=>h.addEventListener('click',()=>sort(i)));\n"
    "st.dataset.rows=body.rows.length;\n"
    "const i=heads.findIndex(h=>h.dataset.key==='net_pnl');\n"
    "heads[i].click();\n"
    "const v=[...body.rows].map(r=>parseFloat(r.cells[i].textContent));\n"
    "st.dataset.sorted='net_pnl '+heads[i].dataset.dir+(v.every((x,k)=>k===0||v[k-1]>=x)?' ok':' WRONG');\n"
    "st.textContent='sorted by net P&L, best first; click a header to sort by it';\n"
    "})();\n"
    "</script>\n";

void
sweep_write_html(sweep_t *self, sweep_grid_t *grid, size_t ax, size_t ay, FILE *out)
{
    size_t naxes = sweep_grid_axes(grid);
    const int64_t *days;
    size_t ndays = sweep_days(self, &days);
    fputs("<!doctype html><html><head><meta charset='utf-8'><title>ofts sweep</title>"
          "<style>body{font-family:sans-serif;margin:20px}table{border-collapse:collapse;margin-bottom:12px}"
          "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3;cursor:pointer}"
          "th[data-dir=desc]::after{content:' \\25BC'}th[data-dir=asc]::after{content:' \\25B2'}"
          ".sub{font-size:12px;color:#555}</style></head><body>\n<h1>ofts sweep</h1>\n", out);
    fprintf(out, "<p>%zu configurations over %zu trading day(s); one row each, every figure after fees "
                 "(docs/research.md describes the columns).</p>\n<p id='status' class='sub'>(JavaScript off: "
                 "the table is in grid order)</p>\n", sweep_count(self), ndays);
    if (naxes)
        s_heatmap(self, grid, ax < naxes ? ax : 0, ay < naxes ? ay : (naxes > 1 ? 1 : 0), out);
    fputs("<h2>Every configuration</h2><table id='grid'><thead><tr><th data-key='config'>config</th>", out);
    for (size_t a = 0; a < naxes; a++) {
        fputs("<th data-key='axis'>", out);
        research_html_text(out, sweep_grid_key(grid, a));
        fputs("</th>", out);
    }
    for (size_t c = 0; c < NCOLUMNS; c++)
        fprintf(out, "<th data-key='%s'>%s</th>", s_columns[c], s_columns[c]);
    fputs("</tr></thead><tbody>\n", out);
    for (size_t i = 0; i < sweep_count(self); i++) {
        size_t config = sweep_first(self) + i;
        fprintf(out, "<tr><td>%zu</td>", config);
        for (size_t a = 0; a < naxes; a++) {
            fputs("<td>", out);
            research_html_text(out, sweep_grid_value(grid, config, a));
            fputs("</td>", out);
        }
        double v[NCOLUMNS];
        s_values(&sweep_result(self, i)->summary, v);
        for (size_t c = 0; c < NCOLUMNS; c++) {
            if (isinf(v[c]))
                fputs("<td>inf</td>", out);
            else
                fprintf(out, "<td>%.*f</td>", s_decimals[c], v[c]);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
    fputs(s_script, out);
    fputs("</body></html>\n", out);
}
