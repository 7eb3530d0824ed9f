/*  of_metrics - order-flow metrics for one instrument. See of_metrics.h. */
#include "of_metrics.h"
#include <math.h>
#include <stdlib.h>
#include "ofts_clock.h"

#define UNDEF INT64_MAX
//  17:00 CT to the next 17:00 CT is 23, 24 or 25 hours (DST changes).
#define MAX_SESSION_NS (25 * 3600 * OFTS_NS_PER_SEC)

//  The aggressor order being printed: consecutive prints with one ts_event
//  and side. Its quote is the book it met, taken at its first print.
typedef struct {
    int side;                       //  OF_SIDE_BUY / SELL; NONE = no order open
    int64_t ts_event;
    int64_t best_px;                //  INT64_MAX = no quote known
    uint32_t best_sz;
    int64_t first_px;
    uint64_t volume;
    uint32_t prints;                //  its prints in the window (to mark them)
    bool aggressive;
} s_order_t;

struct _of_metrics_t {
    const of_params_t *params;
    of_window_t *window;
    bool started;                   //  an event has been seen
    int64_t now;                    //  monotone event clock
    int64_t session_open, next_open;
    int64_t cumulative_delta;
    int64_t last_price;
    s_order_t order;
    //  intensity average: EMA sampled on a fixed grid of event time
    double alpha;
    bool ema_ready;
    double ema;
    double inv_base;                //  1 / max(ema, 1): a multiply per event, not a divide
    int64_t next_sample;
    //  window figures, recomputed only when the window's contents changed
    uint64_t cached_version;
    double imbalance, buy_ratio, sell_ratio;
    bool vwap_stale;
    int64_t vwap;
};

static void
s_refresh(of_metrics_t *self)
{
    const of_window_sums_t *s = of_window_sums(self->window);
    if (s->version == self->cached_version)
        return;
    self->cached_version = s->version;
    self->vwap_stale = true;
    if (s->volume) {
        double vol = (double) s->volume;
        self->imbalance = ((double) s->buy_volume - (double) s->sell_volume) / vol;
        self->buy_ratio = (double) s->aggr_buy_volume / vol;
        self->sell_ratio = (double) s->aggr_sell_volume / vol;
    }
    else
        self->imbalance = self->buy_ratio = self->sell_ratio = 0.0;
}

of_metrics_t *
of_metrics_new(const of_params_t *params)
{
    of_metrics_t *self = calloc(1, sizeof *self);
    self->params = params;
    self->window = of_window_new(params->window_ns, params->window_trades);
    self->alpha = 2.0 / ((double) params->intensity_avg_samples + 1.0);
    self->last_price = UNDEF;
    self->cached_version = UINT64_MAX;
    self->vwap = UNDEF;
    return self;
}

void
of_metrics_destroy(of_metrics_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    of_window_destroy(&(*self_p)->window);
    free(*self_p);
    *self_p = NULL;
}

static void
s_session_from(of_metrics_t *self, int64_t ts)
{
    self->session_open = ofts_session_open_ns(ts);
    self->next_open = ofts_session_open_ns(self->session_open + MAX_SESSION_NS);
}

//  Missed grid points (a quiet spell) all take the current value: exact for
//  a stable rate, and it decays the average toward 0 across a long gap.
static void
s_sample_intensity(of_metrics_t *self)
{
    int64_t step = self->params->intensity_sample_ns;
    if (self->now < self->next_sample)
        return;
    int64_t k = 1 + (self->now - self->next_sample) / step;
    self->next_sample += k * step;
    double x = of_metrics_intensity(self);
    if (!self->ema_ready) {
        self->ema = x;
        self->ema_ready = true;
    }
    else {
        double keep = k == 1 ? 1.0 - self->alpha : pow(1.0 - self->alpha, (double) k);
        self->ema = x + keep * (self->ema - x);
    }
    self->inv_base = 1.0 / (self->ema < 1.0 ? 1.0 : self->ema);
}

bool
of_metrics_advance(of_metrics_t *self, int64_t ts_ns)
{
    bool reset = false;
    if (!self->started) {
        self->started = true;
        self->now = ts_ns;
        s_session_from(self, ts_ns);
        of_window_clear(self->window, ts_ns);
        self->next_sample = ts_ns + self->params->intensity_sample_ns;
    }
    if (ts_ns > self->now)
        self->now = ts_ns;
    if (self->now >= self->next_open) {
        s_session_from(self, self->now);
        self->cumulative_delta = 0;
        if (self->params->reset_window_at_session) {
            of_window_clear(self->window, self->session_open);
            self->order.side = OF_SIDE_NONE;
        }
        reset = true;
    }
    of_window_expire(self->window, self->now);
    s_sample_intensity(self);
    return reset;
}

//  Does this print make its order aggressive? It traded beyond the quote
//  the order met (a sweep or trade-through), at a second price (a sweep
//  even when no quote is known), or the order has taken at least the
//  size displayed at the best (it cleared the level).
static bool
s_sweeps(const s_order_t *o, int64_t price)
{
    if (price != o->first_px)
        return true;
    if (o->best_px == UNDEF || o->best_sz == 0)
        return false;
    bool through = o->side == OF_SIDE_BUY ? price > o->best_px : price < o->best_px;
    return through || o->volume >= o->best_sz;
}

//  Classify the print within its aggressor order; true when it counts as
//  aggressive (the order's earlier prints are marked too).
static bool
s_order_print(of_metrics_t *self, const of_print_t *p)
{
    s_order_t *o = &self->order;
    if (p->side == OF_SIDE_NONE) {
        o->side = OF_SIDE_NONE;     //  an unknown side belongs to no order
        return false;
    }
    if (p->side != o->side || p->ts_event != o->ts_event) {
        o->side = p->side;
        o->ts_event = p->ts_event;
        o->best_px = p->best_px;
        o->best_sz = p->best_sz;
        o->first_px = p->price;
        o->volume = 0;
        o->prints = 0;
        o->aggressive = false;
    }
    o->volume += p->size;
    o->prints++;
    if (!o->aggressive && s_sweeps(o, p->price)) {
        o->aggressive = true;
        of_window_mark_newest(self->window, o->prints - 1);
    }
    return o->aggressive;
}

void
of_metrics_on_trade(of_metrics_t *self, const of_print_t *p)
{
    uint32_t size = p->size;
    bool block = size >= self->params->block_size && self->params->block_size > 0;
    bool aggressive = s_order_print(self, p);
    of_window_add(self->window, self->now, p->price, size, p->side, block, aggressive);
    if (p->side == OF_SIDE_BUY)
        self->cumulative_delta += size;
    else if (p->side == OF_SIDE_SELL)
        self->cumulative_delta -= size;
    self->last_price = p->price;
}

int64_t of_metrics_now(of_metrics_t *self) { return self->now; }
int64_t of_metrics_session_open(of_metrics_t *self) { return self->session_open; }
int64_t of_metrics_cumulative_delta(of_metrics_t *self) { return self->cumulative_delta; }
int64_t of_metrics_last_price(of_metrics_t *self) { return self->last_price; }
uint64_t of_metrics_window_trades(of_metrics_t *self) { return of_window_trades(self->window); }
of_window_t *of_metrics_window(of_metrics_t *self) { return self->window; }

double
of_metrics_imbalance(of_metrics_t *self)
{
    s_refresh(self);
    return self->imbalance;
}

double
of_metrics_aggressive_buy(of_metrics_t *self)
{
    s_refresh(self);
    return self->buy_ratio;
}

double
of_metrics_aggressive_sell(of_metrics_t *self)
{
    s_refresh(self);
    return self->sell_ratio;
}

double
of_metrics_intensity(of_metrics_t *self)
{
    const of_window_sums_t *s = of_window_sums(self->window);
    int64_t covered = self->now - s->start_ns;
    if (covered < OFTS_NS_PER_SEC)
        covered = OFTS_NS_PER_SEC;  //  a young window would claim absurd rates
    return (double) s->trades * (double) OFTS_NS_PER_MIN / (double) covered;
}

static double
s_ratio(of_metrics_t *self, double intensity)
{
    return self->ema_ready ? intensity * self->inv_base : 0.0;
}

double
of_metrics_intensity_ratio(of_metrics_t *self)
{
    return s_ratio(self, of_metrics_intensity(self));
}

void
of_metrics_fill_rules(of_metrics_t *self, of_book_t *book, Ofts__Metrics *out)
{
    const of_window_sums_t *s = of_window_sums(self->window);
    s_refresh(self);
    double intensity = of_metrics_intensity(self);
    out->imbalance_ratio = self->imbalance;
    out->cumulative_delta = self->cumulative_delta;
    out->aggressive_buy_ratio = self->buy_ratio;
    out->aggressive_sell_ratio = self->sell_ratio;
    out->depth_imbalance = of_book_depth_imbalance(book);
    out->trade_intensity = intensity;
    out->intensity_ratio = s_ratio(self, intensity);
    out->last_price = self->last_price;
    out->window_volume = s->volume;
    out->window_trades = s->trades;
    out->block_trades = (uint32_t) s->blocks;
}

void
of_metrics_fill(of_metrics_t *self, of_book_t *book, Ofts__Metrics *out)
{
    of_metrics_fill_rules(self, book, out);
    if (self->vwap_stale) {
        self->vwap = of_window_vwap(self->window);
        self->vwap_stale = false;
    }
    out->vwap = self->vwap;
    out->microprice = of_book_microprice(book);
    out->bid_px = of_book_bid_px(book);
    out->ask_px = of_book_ask_px(book);
}
