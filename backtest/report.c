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

