/*  of_signal - rules, confidence, prices, re-arm. See of_signal.h. */
#include "of_signal.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "of_window.h"

struct _of_signal_t {
    const of_params_t *params;
    const ofts_instrument_t *instrument;
    bool armed[3];                  //  indexed by OF_SIDE_*
    int64_t last_signal_ns[3];
    char id[96];
    char reasons[OF_REASONS_MAX];
    Ofts__Metrics metrics;          //  copy: what the decision saw
};

const char *
of_signal_thousands(int64_t value, char *buf, int size)
{
    char digits[32];
    //  Via unsigned so INT64_MIN has a magnitude.
    uint64_t mag = value < 0 ? 0 - (uint64_t) value : (uint64_t) value;
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long) mag);
    char out[48];
    int o = 0;
    if (value < 0)
        out[o++] = '-';
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    snprintf(buf, (size_t) size, "%s", out);
    return buf;
}

typedef struct {
    char *buf;
    size_t len;
} s_text_t;

static void
s_reason(s_text_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
s_reason(s_text_t *t, const char *fmt, ...)
{
    if (t->len + 2 >= OF_REASONS_MAX)
        return;
    if (t->len) {
        memcpy(t->buf + t->len, "; ", 2);
        t->len += 2;
    }
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(t->buf + t->len, OF_REASONS_MAX - t->len, fmt, args);
    va_end(args);
    if (n > 0)
        t->len += (size_t) n < OF_REASONS_MAX - t->len ? (size_t) n : OF_REASONS_MAX - t->len - 1;
}

//  +1 when the figure supports a buy, -1 a sell, 0 neither.
static int
s_vote(double value, double threshold)
{
    return value > threshold ? 1 : value < -threshold ? -1 : 0;
}

//  A confirmation relative to the primary direction: +1 agrees, -1 opposes
//  (only when opposite_subtracts; otherwise an opposing one is ignored), 0.
static int
s_relative(const of_params_t *p, int vote, int dir)
{
    if (vote == dir)
        return 1;
    if (vote == -dir && p->opposite_subtracts)
        return -1;
    return 0;
}

//  The votes behind a score: +1 agrees with the primary direction, -1 opposes
//  it (counted only with opposite_subtracts), 0 neither.
typedef struct {
    int dir;                        //  +1 buy, -1 sell, 0 no primary
    int delta, aggressive, depth;   //  +1 / -1 / 0, relative to dir
    int intensity;                  //  1 when above its threshold
    int64_t confidence;             //  ppm, clamped
} s_votes_t;

//  Numbers only: this runs on every trade, the text only for a signal.
static void
s_vote_all(const of_params_t *p, const Ofts__Metrics *m, s_votes_t *v)
{
    memset(v, 0, sizeof *v);
    v->dir = s_vote(m->imbalance_ratio, p->imbalance_threshold);
    if (v->dir == 0)
        return;
    int delta = m->cumulative_delta > p->cumulative_delta_threshold ? 1
              : m->cumulative_delta < -p->cumulative_delta_threshold ? -1 : 0;
    //  Aggressive ratios are both >= 0 and may both pass a low threshold:
    //  the side above it and above the other side votes (+1 buy, -1 sell).
    double ab = m->aggressive_buy_ratio, as = m->aggressive_sell_ratio;
    double at = p->aggressive_ratio_threshold;
    int aggr = ab > at && ab > as ? 1 : as > at && as > ab ? -1 : 0;
    int depth = s_vote(m->depth_imbalance, p->depth_imbalance_threshold);
    v->delta = s_relative(p, delta, v->dir);
    v->aggressive = s_relative(p, aggr, v->dir);
    v->depth = s_relative(p, depth, v->dir);
    //  Intensity has no direction: it backs whichever side is trading.
    v->intensity = m->intensity_ratio > p->intensity_ratio_threshold;
    int64_t conf = p->weight_imbalance + v->delta * p->weight_delta
                 + v->aggressive * p->weight_aggressive + v->depth * p->weight_depth
                 + (v->intensity ? p->weight_intensity : 0);
    v->confidence = conf < 0 ? 0 : conf > OF_PPM ? OF_PPM : conf;
}

//  "Strong buy imbalance: 0.72; Positive cumulative delta: 1,500; ..."
static void
s_reasons(const s_votes_t *v, const Ofts__Metrics *m, char *buf)
{
    s_text_t t = { buf, 0 };
    buf[0] = '\0';
    if (v->dir == 0)
        return;
    bool buy = v->dir > 0;
    s_reason(&t, "Strong %s imbalance: %.2f", buy ? "buy" : "sell", m->imbalance_ratio);
    char num[48];
    if (v->delta) {
        bool positive = m->cumulative_delta > 0;
        s_reason(&t, "%s cumulative delta: %s",
                 v->delta > 0 ? (positive ? "Positive" : "Negative")
                              : (positive ? "Opposing positive" : "Opposing negative"),
                 of_signal_thousands(m->cumulative_delta, num, sizeof num));
    }
    if (v->aggressive) {
        bool buying = (v->aggressive > 0) == buy;
        s_reason(&t, "%s%s: %.2f", v->aggressive > 0 ? "Aggressive " : "Opposing aggressive ",
                 buying ? "buying" : "selling",
                 buying ? m->aggressive_buy_ratio : m->aggressive_sell_ratio);
    }
    if (v->depth) {
        bool bid = m->depth_imbalance > 0;
        s_reason(&t, "%s depth imbalance: %.2f",
                 v->depth > 0 ? (bid ? "Bid" : "Ask") : (bid ? "Opposing bid" : "Opposing ask"),
                 m->depth_imbalance);
    }
    if (v->intensity)
        s_reason(&t, "High trade intensity: %.2fx", m->intensity_ratio);
}

void
of_signal_score(const of_params_t *p, const Ofts__Metrics *m, of_score_t *out)
{
    s_votes_t v;
    s_vote_all(p, m, &v);
    out->direction = v.dir > 0 ? OF_SIDE_BUY : v.dir < 0 ? OF_SIDE_SELL : OF_SIDE_NONE;
    out->confidence = v.confidence;
    s_reasons(&v, m, out->reasons);
}

void
of_signal_prices(const of_params_t *p, const ofts_instrument_t *ins, int direction,
                 int64_t last_price, int64_t *entry, int64_t *stop, int64_t *take_profit)
{
    int64_t sign = direction == OF_SIDE_SELL ? -1 : 1;
    int64_t tick = ins->tick;
    int64_t stop_dist = p->stop_distance;
    int64_t tp_dist = llround(p->risk_reward_ratio * (double) stop_dist);
    *entry = ofts_price_round(last_price, tick, OFTS_ROUND_NEAREST);
    *stop = ofts_price_round(*entry - sign * stop_dist, tick, OFTS_ROUND_NEAREST);
    *take_profit = ofts_price_round(*entry + sign * tp_dist, tick, OFTS_ROUND_NEAREST);
    //  A distance under half a tick rounds onto the entry: keep one tick of room.
    if (*stop == *entry)
        *stop = *entry - sign * tick;
    if (*take_profit == *entry)
        *take_profit = *entry + sign * tick;
}

of_signal_t *
of_signal_new(const of_params_t *params, const ofts_instrument_t *instrument)
{
    of_signal_t *self = calloc(1, sizeof *self);
    self->params = params;
    self->instrument = instrument;
    of_signal_reset(self);
    return self;
}

void
of_signal_destroy(of_signal_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

void
of_signal_reset(of_signal_t *self)
{
    for (int d = 0; d < 3; d++) {
        self->armed[d] = true;
        self->last_signal_ns[d] = 0;
    }
}

void
of_signal_observe(of_signal_t *self, double imbalance, int64_t now_ns)
{
    const of_params_t *p = self->params;
    if (!p->rearm) {
        self->armed[OF_SIDE_BUY] = self->armed[OF_SIDE_SELL] = true;
        return;
    }
    int vote = s_vote(imbalance, p->imbalance_threshold);
    for (int d = OF_SIDE_BUY; d <= OF_SIDE_SELL; d++) {
        if (self->armed[d])
            continue;
        bool primary = (d == OF_SIDE_BUY && vote > 0) || (d == OF_SIDE_SELL && vote < 0);
        bool timed = p->rearm_ns > 0 && now_ns - self->last_signal_ns[d] >= p->rearm_ns;
        if (!primary || timed)
            self->armed[d] = true;
    }
}

bool
of_signal_due(of_signal_t *self, const Ofts__Metrics *m, int64_t now_ns)
{
    const of_params_t *p = self->params;
    of_signal_observe(self, m->imbalance_ratio, now_ns);
    if (m->window_trades < p->min_trades || m->last_price == INT64_MAX)
        return false;
    int dir = s_vote(m->imbalance_ratio, p->imbalance_threshold);
    if (dir == 0 || !self->armed[dir > 0 ? OF_SIDE_BUY : OF_SIDE_SELL])
        return false;
    s_votes_t v;
    s_vote_all(p, m, &v);
    return v.confidence >= p->min_confidence;
}

void
of_signal_emit(of_signal_t *self, const Ofts__Metrics *m, int64_t now_ns, uint64_t seq,
               Ofts__Signal *out)
{
    const of_params_t *p = self->params;
    s_votes_t v;
    s_vote_all(p, m, &v);
    int side = v.dir > 0 ? OF_SIDE_BUY : OF_SIDE_SELL;
    self->armed[side] = false;
    self->last_signal_ns[side] = now_ns;

    self->metrics = *m;
    s_reasons(&v, m, self->reasons);
    snprintf(self->id, sizeof self->id, "%s-%lld-%llu", m->symbol, (long long) now_ns,
             (unsigned long long) seq);
    ofts__signal__init(out);
    out->id = self->id;
    out->symbol = m->symbol;
    out->contract = m->contract;
    out->direction = side == OF_SIDE_BUY ? OFTS__SIDE__SIDE_BUY : OFTS__SIDE__SIDE_SELL;
    of_signal_prices(p, self->instrument, side, m->last_price, &out->entry, &out->stop,
                     &out->take_profit);
    out->confidence = (double) v.confidence / OF_PPM;
    out->reasons = self->reasons;
    out->last_price = m->last_price;
    out->metrics = &self->metrics;
}

bool
of_signal_decide(of_signal_t *self, const Ofts__Metrics *m, int64_t now_ns, uint64_t seq,
                 Ofts__Signal *out)
{
    if (!of_signal_due(self, m, now_ns))
        return false;
    of_signal_emit(self, m, now_ns, seq, out);
    return true;
}
