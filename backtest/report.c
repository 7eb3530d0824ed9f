#include "report.h"
#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "ofts_clock.h"
#include "ofts_instrument.h"

void
report_reason_key(const char *reasons, char *key, size_t size)
{
    //  Words that only say the direction or the strength: buy and sell
    //  signals of the same shape belong to the same group.
    static const char *drop[] = { "strong", "buy", "sell", "positive", "negative", "buying", "selling",
                                  "high", "bid", "ask", NULL };
    key[0] = '\0';
    size_t len = 0;
    const char *p = reasons;
    while (p && *p) {
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t) (end - p) : strlen(p);
        const char *colon = memchr(p, ':', n);
        if (colon)
            n = (size_t) (colon - p);
        char part[160], kept[160] = "";
        size_t k = 0;
        for (size_t i = 0; i < n && k < sizeof part - 1; i++)
            part[k++] = (char) tolower((unsigned char) p[i]);
        part[k] = '\0';
        char *save = NULL;
        for (char *w = strtok_r(part, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
            bool skip = false;
            for (int d = 0; drop[d] && !skip; d++)
                skip = strcmp(w, drop[d]) == 0;
            if (!skip)
                snprintf(kept + strlen(kept), sizeof kept - strlen(kept), "%s%s", kept[0] ? " " : "", w);
        }
        if (strcmp(kept, "aggressive") == 0 || !kept[0])
            snprintf(kept, sizeof kept, "aggressive");
        if (n > 0 && len + strlen(kept) + 4 < size)
            len += (size_t) snprintf(key + len, size - len, "%s%s", len ? " + " : "", kept);
        p = end ? end + 1 : NULL;
    }
    if (!key[0])
        snprintf(key, size, "(none)");
}

static void
s_add(report_row_t *row, const bt_trade_t *t)
{
    row->trades++;
    row->pnl_cents += t->pnl_cents;
    row->fees_cents += t->fees_cents;
    if (t->pnl_cents > 0) {
        row->wins++;
        row->gross_win_cents += t->pnl_cents;
    }
    else
        row->gross_loss_cents -= t->pnl_cents;
}

static report_row_t *
s_row(report_row_t **rows, size_t *n, const char *key)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*rows)[i].key, key) == 0)
            return &(*rows)[i];
    *rows = realloc(*rows, (*n + 1) * sizeof **rows);
    report_row_t *row = &(*rows)[(*n)++];
    memset(row, 0, sizeof *row);
    snprintf(row->key, sizeof row->key, "%s", key);
    return row;
}

report_t *
report_new(const bt_trade_t *trades, size_t ntrades)
{
    report_t *self = calloc(1, sizeof *self);
    snprintf(self->total.key, sizeof self->total.key, "all");
    int64_t equity = 0, peak = 0;
    for (size_t i = 0; i < ntrades; i++) {
        const bt_trade_t *t = &trades[i];
        s_add(&self->total, t);
        s_add(s_row(&self->by_symbol, &self->nsymbols, t->symbol), t);
        char key[256];
        report_reason_key(t->reasons, key, sizeof key);
        s_add(s_row(&self->by_reason, &self->nreasons, key), t);
        equity += t->pnl_cents;
        if (equity > peak)
            peak = equity;
        if (peak - equity > self->max_drawdown_cents)
            self->max_drawdown_cents = peak - equity;
    }
    return self;
}

void
report_destroy(report_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->by_symbol);
    free((*self_p)->by_reason);
    free(*self_p);
    *self_p = NULL;
}

double
report_profit_factor(const report_row_t *row)
{
    if (row->gross_loss_cents == 0)
        return row->gross_win_cents > 0 ? INFINITY : 0.0;
    return (double) row->gross_win_cents / (double) row->gross_loss_cents;
}

static void
s_print_row(FILE *out, const report_row_t *r)
{
    double pf = report_profit_factor(r);
    char pfs[16];
    if (isinf(pf))
        snprintf(pfs, sizeof pfs, "inf");
    else
        snprintf(pfs, sizeof pfs, "%.2f", pf);
    fprintf(out, "  %-48s %6d %7.1f%% %12.2f %9.2f %8s\n", r->key, r->trades,
            r->trades ? 100.0 * r->wins / r->trades : 0.0, r->pnl_cents / 100.0, r->fees_cents / 100.0, pfs);
}

void
report_print(report_t *self, FILE *out)
{
    fprintf(out, "  %-48s %6s %8s %12s %9s %8s\n", "", "trades", "win", "net P&L $", "fees $", "PF");
    s_print_row(out, &self->total);
    fprintf(out, "  max drawdown $%.2f\n\nby symbol\n", self->max_drawdown_cents / 100.0);
    for (size_t i = 0; i < self->nsymbols; i++)
        s_print_row(out, &self->by_symbol[i]);
    fprintf(out, "\nby signal reason\n");
    for (size_t i = 0; i < self->nreasons; i++)
        s_print_row(out, &self->by_reason[i]);
}

//  --- HTML ----------------------------------------------------------------

#define W 960.0
#define H_PRICE 260.0
#define H_DELTA 110.0

typedef struct {
    int64_t t0, t1;
    double v0, v1;
    double height;
} scale_t;

static double s_x(const scale_t *s, int64_t t) { return s->t1 > s->t0 ? (double) (t - s->t0) / (double) (s->t1 - s->t0) * (W - 60) + 50 : 50; }
static double s_y(const scale_t *s, double v) { return s->v1 > s->v0 ? s->height - 15 - (v - s->v0) / (s->v1 - s->v0) * (s->height - 30) : s->height / 2; }

static void
s_polyline(FILE *out, const scale_t *sc, const bt_point_t *pts, size_t n, double div, const char *color)
{
    fprintf(out, "<polyline fill='none' stroke='%s' stroke-width='1.2' points='", color);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%.1f,%.1f ", s_x(sc, pts[i].ts), s_y(sc, (double) pts[i].value / div));
    fprintf(out, "'/>\n");
}

static void
s_range(const bt_point_t *pts, size_t n, double div, scale_t *sc)
{
    sc->v0 = INFINITY;
    sc->v1 = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double v = (double) pts[i].value / div;
        if (v < sc->v0) sc->v0 = v;
        if (v > sc->v1) sc->v1 = v;
    }
    if (n == 0)
        sc->v0 = sc->v1 = 0;
    if (sc->v1 == sc->v0) {
        sc->v0 -= 1;
        sc->v1 += 1;
    }
}

static void
s_axis_labels(FILE *out, const scale_t *sc, const char *fmt)
{
    fprintf(out, "<text x='4' y='14' font-size='11'>");
    fprintf(out, fmt, sc->v1);
    fprintf(out, "</text><text x='4' y='%.0f' font-size='11'>", sc->height - 4);
    fprintf(out, fmt, sc->v0);
    fprintf(out, "</text>\n");
}

static void
s_symbol_chart(FILE *out, const bt_series_t *s)
{
    if (s->nprices == 0)
        return;
    scale_t sc = { s->prices[0].ts, s->prices[s->nprices - 1].ts, 0, 0, H_PRICE };
    s_range(s->prices, s->nprices, 1e9, &sc);
    for (size_t i = 0; i < s->nmarks; i++) {
        double v = (double) s->marks[i].price / 1e9;
        if (v < sc.v0) sc.v0 = v;
        if (v > sc.v1) sc.v1 = v;
    }
    fprintf(out, "<h3>%s</h3>\n<svg width='%.0f' height='%.0f' style='background:#fafafa'>\n", s->symbol, W, H_PRICE);
    s_axis_labels(out, &sc, "%.4g");
    s_polyline(out, &sc, s->prices, s->nprices, 1e9, "#333");
    for (size_t i = 0; i < s->nmarks; i++) {
        const bt_mark_t *m = &s->marks[i];
        double x = s_x(&sc, m->ts), y = s_y(&sc, (double) m->price / 1e9);
        if (m->kind == 'S')
            fprintf(out, "<polygon points='%.1f,%.1f %.1f,%.1f %.1f,%.1f' fill='%s'><title>signal</title></polygon>\n",
                    x, y + (m->direction > 0 ? 9 : -9), x - 5, y + (m->direction > 0 ? 17 : -17), x + 5,
                    y + (m->direction > 0 ? 17 : -17), m->direction > 0 ? "#1a9850" : "#d73027");
        else
            fprintf(out, "<circle cx='%.1f' cy='%.1f' r='4' fill='%s'><title>%s fill</title></circle>\n", x, y,
                    m->kind == 'E' ? "#2166ac" : "#f46d43", m->kind == 'E' ? "entry" : "exit");
    }
    fprintf(out, "</svg>\n");
    scale_t dc = { sc.t0, sc.t1, 0, 0, H_DELTA };
    s_range(s->deltas, s->ndeltas, 1.0, &dc);
    fprintf(out, "<div class='sub'>cumulative delta</div><svg width='%.0f' height='%.0f' style='background:#f4f4f8'>\n",
            W, H_DELTA);
    s_axis_labels(out, &dc, "%.0f");
    if (dc.v0 < 0 && dc.v1 > 0)
        fprintf(out, "<line x1='50' x2='%.0f' y1='%.1f' y2='%.1f' stroke='#bbb'/>\n", W - 10, s_y(&dc, 0), s_y(&dc, 0));
    s_polyline(out, &dc, s->deltas, s->ndeltas, 1.0, "#5e3c99");
    fprintf(out, "</svg>\n");
}

static void
s_html_table(FILE *out, const char *title, const report_row_t *rows, size_t n)
{
    fprintf(out, "<h3>%s</h3><table><tr><th></th><th>trades</th><th>win rate</th><th>net P&amp;L $</th><th>fees $</th><th>profit factor</th></tr>\n", title);
    for (size_t i = 0; i < n; i++) {
        double pf = report_profit_factor(&rows[i]);
        char pfs[32];
        if (isinf(pf))
            snprintf(pfs, sizeof pfs, "&infin;");
        else
            snprintf(pfs, sizeof pfs, "%.2f", pf);
        fprintf(out, "<tr><td>%s</td><td>%d</td><td>%.1f%%</td><td>%.2f</td><td>%.2f</td><td>%s</td></tr>\n",
                rows[i].key, rows[i].trades, rows[i].trades ? 100.0 * rows[i].wins / rows[i].trades : 0.0,
                rows[i].pnl_cents / 100.0, rows[i].fees_cents / 100.0, pfs);
    }
    fprintf(out, "</table>\n");
}

void
report_html(report_t *self, backtest_t *bt, FILE *out)
{
    fprintf(out, "<!doctype html><html><head><meta charset='utf-8'><title>ofts backtest</title>"
                 "<style>body{font-family:sans-serif;margin:20px}table{border-collapse:collapse}"
                 "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child{text-align:left}"
                 ".sub{font-size:12px;color:#555}</style></head><body>\n<h1>ofts backtest</h1>\n");
    fprintf(out, "<p>%llu market events, %llu signals, %llu approved, %llu rejected; %d trades, "
                 "win rate %.1f%%, net P&amp;L $%.2f after $%.2f fees, max drawdown $%.2f</p>\n",
            (unsigned long long) backtest_events(bt), (unsigned long long) backtest_signals(bt),
            (unsigned long long) backtest_approved(bt), (unsigned long long) backtest_rejected(bt),
            self->total.trades, self->total.trades ? 100.0 * self->total.wins / self->total.trades : 0.0,
            self->total.pnl_cents / 100.0, self->total.fees_cents / 100.0, self->max_drawdown_cents / 100.0);
    s_html_table(out, "Overall", &self->total, 1);
    s_html_table(out, "By symbol", self->by_symbol, self->nsymbols);
    s_html_table(out, "By signal reason", self->by_reason, self->nreasons);
    const bt_point_t *eq;
    size_t neq = backtest_equity(bt, &eq);
    if (neq > 0) {
        bt_point_t *pts = malloc((neq + 1) * sizeof *pts);
        pts[0] = (bt_point_t) { eq[0].ts, 0 };
        memcpy(pts + 1, eq, neq * sizeof *eq);
        scale_t sc = { pts[0].ts, pts[neq].ts, 0, 0, 180 };
        s_range(pts, neq + 1, 100.0, &sc);
        fprintf(out, "<h3>Equity (realized, $)</h3><svg width='%.0f' height='180' style='background:#f7fbf7'>\n", W);
        s_axis_labels(out, &sc, "%.0f");
        s_polyline(out, &sc, pts, neq + 1, 100.0, "#1a9850");
        fprintf(out, "</svg>\n");
        free(pts);
    }
    const bt_series_t *series;
    size_t ns = backtest_series(bt, &series);
    fprintf(out, "<h2>Price, signals (triangles) and fills (blue entry, orange exit)</h2>\n");
    for (size_t i = 0; i < ns; i++)
        s_symbol_chart(out, &series[i]);
    const bt_trade_t *trades;
    size_t nt = backtest_trades(bt, &trades);
    fprintf(out, "<h2>Trades</h2><table><tr><th>symbol</th><th>side</th><th>qty</th><th>entry</th><th>exit</th>"
                 "<th>exit by</th><th>net P&amp;L $</th><th>fees $</th><th>reasons</th></tr>\n");
    for (size_t i = 0; i < nt; i++) {
        char a[32], b[32];
        fprintf(out, "<tr><td>%s</td><td>%s</td><td>%u</td><td>%s</td><td>%s</td><td>%s</td><td>%.2f</td>"
                     "<td>%.2f</td><td style='text-align:left'>%s</td></tr>\n",
                trades[i].symbol, trades[i].direction > 0 ? "long" : "short", trades[i].quantity,
                ofts_price_str(trades[i].entry_px, a, sizeof a), ofts_price_str(trades[i].exit_px, b, sizeof b),
                trades[i].exit_role, trades[i].pnl_cents / 100.0, trades[i].fees_cents / 100.0, trades[i].reasons);
    }
    fprintf(out, "</table></body></html>\n");
}
