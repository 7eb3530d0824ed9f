#include "dashboard.h"
#include <stdlib.h>
#include <string.h>
#include "health.h"
#include "ofts_clock.h"
#include "ofts_instrument.h"

#define MAX_SYMBOLS 16
#define MAX_SOURCES 16

typedef struct {
    char symbol[16];
    int64_t last_price;
    uint32_t last_size;
    int64_t bid_px, ask_px;
    uint32_t bid_sz, ask_sz;
    bool has_metrics;
    Ofts__Side signal_dir;
    double imbalance, depth_imbalance, intensity, confidence;
    int64_t cum_delta;
    char signal_text[160];
    int64_t signal_entry, signal_stop, signal_tp;
    int64_t signal_ts;
    int32_t position;
    int64_t avg_price;
    int64_t realized_cents, unrealized_cents;
    bool protected_;
    uint64_t trades, signals, fills, rejects;
    char last_reject[96];
} sym_row_t;

typedef struct {
    char source[48];
    uint64_t missing;
} gap_row_t;

struct _dashboard_t {
    health_t *health;
    sym_row_t rows[MAX_SYMBOLS];
    int nrows;
    gap_row_t gaps[MAX_SOURCES];
    int ngaps;
    bool has_account;
    int64_t balance_cents, day_pnl_cents, unrealized_cents, floor_cents;
    int state;
    char state_reason[96];
    uint64_t messages;
};

dashboard_t *
dashboard_new(int64_t timeout_ns)
{
    dashboard_t *self = calloc(1, sizeof *self);
    self->health = health_new(timeout_ns, NULL, NULL);
    return self;
}

void
dashboard_destroy(dashboard_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    health_destroy(&(*self_p)->health);
    free(*self_p);
    *self_p = NULL;
}

static sym_row_t *
s_row(dashboard_t *self, const char *symbol)
{
    if (!symbol || !*symbol)
        return NULL;
    for (int i = 0; i < self->nrows; i++)
        if (strcmp(self->rows[i].symbol, symbol) == 0)
            return &self->rows[i];
    if (self->nrows == MAX_SYMBOLS)
        return NULL;
    sym_row_t *row = &self->rows[self->nrows++];
    memset(row, 0, sizeof *row);
    snprintf(row->symbol, sizeof row->symbol, "%s", symbol);
    row->last_price = row->bid_px = row->ask_px = OFTS_UNDEF_PRICE;
    return row;
}

void
dashboard_on_gap(dashboard_t *self, const char *source, uint64_t missing)
{
    for (int i = 0; i < self->ngaps; i++)
        if (strcmp(self->gaps[i].source, source) == 0) {
            self->gaps[i].missing += missing;
            return;
        }
    if (self->ngaps < MAX_SOURCES) {
        snprintf(self->gaps[self->ngaps].source, sizeof self->gaps[0].source, "%s", source);
        self->gaps[self->ngaps++].missing = missing;
    }
}

void
dashboard_on_message(dashboard_t *self, const char *topic, const Ofts__Envelope *env, int64_t now_ns)
{
    (void) topic;
    self->messages++;
    sym_row_t *row = NULL;
    switch (env->body_case) {
    case OFTS__ENVELOPE__BODY_HEARTBEAT:
        health_on_heartbeat(self->health, env->heartbeat, now_ns);
        break;
    case OFTS__ENVELOPE__BODY_TRADE:
        if ((row = s_row(self, env->trade->symbol))) {
            row->last_price = env->trade->price;
            row->last_size = env->trade->size;
            row->trades++;
        }
        break;
    case OFTS__ENVELOPE__BODY_BBO:
        if ((row = s_row(self, env->bbo->symbol))) {
            row->bid_px = env->bbo->bid_px;
            row->ask_px = env->bbo->ask_px;
            row->bid_sz = env->bbo->bid_sz;
            row->ask_sz = env->bbo->ask_sz;
        }
        break;
    case OFTS__ENVELOPE__BODY_METRICS:
        if ((row = s_row(self, env->metrics->symbol))) {
            row->has_metrics = true;
            row->imbalance = env->metrics->imbalance_ratio;
            row->cum_delta = env->metrics->cumulative_delta;
            row->depth_imbalance = env->metrics->depth_imbalance;
            row->intensity = env->metrics->trade_intensity;
        }
        break;
    case OFTS__ENVELOPE__BODY_SIGNAL:
        if ((row = s_row(self, env->signal->symbol))) {
            row->signals++;
            row->signal_dir = env->signal->direction;
            row->confidence = env->signal->confidence;
            row->signal_entry = env->signal->entry;
            row->signal_stop = env->signal->stop;
            row->signal_tp = env->signal->take_profit;
            row->signal_ts = env->header ? env->header->ts_event : 0;
            snprintf(row->signal_text, sizeof row->signal_text, "%s", env->signal->reasons);
        }
        break;
    case OFTS__ENVELOPE__BODY_RISK_REJECT:
        if ((row = s_row(self, env->risk_reject->symbol))) {
            row->rejects++;
            snprintf(row->last_reject, sizeof row->last_reject, "%s", env->risk_reject->text);
        }
        break;
    case OFTS__ENVELOPE__BODY_FILL:
        if ((row = s_row(self, env->fill->symbol)))
            row->fills++;
        break;
    case OFTS__ENVELOPE__BODY_POSITION:
        if ((row = s_row(self, env->position->symbol))) {
            row->position = env->position->quantity;
            row->avg_price = env->position->avg_price;
            row->realized_cents = env->position->realized_pnl_cents;
            row->unrealized_cents = env->position->unrealized_pnl_cents;
            row->protected_ = env->position->protected_;
        }
        break;
    case OFTS__ENVELOPE__BODY_ACCOUNT:
        self->has_account = true;
        self->balance_cents = env->account->balance_cents;
        self->day_pnl_cents = env->account->realized_pnl_cents;
        self->unrealized_cents = env->account->unrealized_pnl_cents;
        self->floor_cents = env->account->mll_floor_cents;
        self->state = env->account->state;
        snprintf(self->state_reason, sizeof self->state_reason, "%s", env->account->state_reason);
        break;
    default:
        break;
    }
}

static const char *
s_px(int64_t px, char *buf)
{
    if (px == OFTS_UNDEF_PRICE || px == 0)
        return "-";
    return ofts_price_str(px, buf, 32);
}

void
dashboard_render(dashboard_t *self, FILE *out, int64_t now_ns, bool ansi)
{
    health_check(self->health, now_ns);
    char when[48], a[32], b[32], c[32], d[32];
    ofts_clock_format(now_ns, when, sizeof when);
    if (ansi)
        fputs("\033[H\033[2J", out);
    fprintf(out, "ofts dashboard  %.19sZ  messages %llu\n\n", when, (unsigned long long) self->messages);
    fprintf(out, "%-5s %12s %12s %12s %7s %8s %6s %7s  %-4s %5s %6s %12s %10s %10s\n", "SYM", "LAST", "BID", "ASK",
            "IMB", "CUMDELTA", "DEPTH", "TRD/MIN", "SIG", "CONF", "POS", "AVG", "REAL $", "UNREAL $");
    for (int i = 0; i < self->nrows; i++) {
        sym_row_t *r = &self->rows[i];
        const char *sig = r->signals == 0 ? "-" : r->signal_dir == OFTS__SIDE__SIDE_BUY ? "BUY" : "SELL";
        fprintf(out, "%-5s %12s %12s %12s %7.2f %8lld %6.2f %7.1f  %-4s %5.2f %6d %12s %10.2f %10.2f%s\n", r->symbol,
                s_px(r->last_price, a), s_px(r->bid_px, b), s_px(r->ask_px, c), r->imbalance,
                (long long) r->cum_delta, r->depth_imbalance, r->intensity, sig, r->confidence, r->position,
                r->position ? s_px(r->avg_price, d) : "-", r->realized_cents / 100.0, r->unrealized_cents / 100.0,
                r->position && !r->protected_ ? "  UNPROTECTED" : "");
    }
    fprintf(out, "\nlast signals\n");
    for (int i = 0; i < self->nrows; i++) {
        sym_row_t *r = &self->rows[i];
        if (r->signals)
            fprintf(out, "  %-4s %-4s entry %s stop %s target %s (%llu signals, %llu fills, %llu rejects): %s\n",
                    r->symbol, r->signal_dir == OFTS__SIDE__SIDE_BUY ? "BUY" : "SELL", s_px(r->signal_entry, a),
                    s_px(r->signal_stop, b), s_px(r->signal_tp, c), (unsigned long long) r->signals,
                    (unsigned long long) r->fills, (unsigned long long) r->rejects, r->signal_text);
    }
    if (self->has_account) {
        static const char *states[] = { "ACTIVE", "REDUCING", "HALTED" };
        fprintf(out, "\naccount  balance $%.2f  day realized $%.2f  unrealized $%.2f  MLL floor $%.2f  state %s%s%s\n",
                self->balance_cents / 100.0, self->day_pnl_cents / 100.0, self->unrealized_cents / 100.0,
                self->floor_cents / 100.0, self->state >= 0 && self->state <= 2 ? states[self->state] : "?",
                *self->state_reason ? " - " : "", self->state_reason);
    }
    fprintf(out, "\nservices\n");
    for (size_t i = 0; i < health_count(self->health); i++) {
        const health_entry_t *e = health_at(self->health, i);
        double ago = (double) (now_ns - e->last_seen_ns) / 1e9;
        fprintf(out, "  %-14s %-5s pid %-7u up %7.1fs  seen %4.1fs ago  restarts %u  %s\n", e->service,
                e->alive ? "OK" : "DOWN", e->pid, (double) e->uptime_ms / 1000.0, ago, e->restarts, e->state);
    }
    for (int i = 0; i < self->ngaps; i++)
        fprintf(out, "  gaps from %-10s %llu messages missing\n", self->gaps[i].source,
                (unsigned long long) self->gaps[i].missing);
    fflush(out);
}
