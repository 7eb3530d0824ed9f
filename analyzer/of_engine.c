/*  of_engine - per-contract state and the event path. See of_engine.h. */
#include "of_engine.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "of_book.h"
#include "of_metrics.h"
#include "of_signal.h"
#include "of_window.h"

#define MAX_ROOTS 32
#define HASH_BITS 10
#define HASH_SIZE (1 << HASH_BITS)
#define MAX_STATES (HASH_SIZE / 2)  //  keeps probes short; far above real use

//  One contract's state. Keyed by contract (GCZ6), not root: a feed on a
//  parent symbol interleaves months whose prices must never share a window.
typedef struct {
    uint64_t prefix;                //  first 8 bytes of key, zero-padded: a fast compare
    char key[32];                   //  contract, or root when no contract given
    char symbol[16];                //  root from the instrument table
    char contract[32];
    const ofts_instrument_t *instrument;
    const of_params_t *params;
    of_book_t *book;
    of_metrics_t *metrics;
    of_signal_t **signals;          //  one decision state per rule set
    Ofts__Metrics out;
} s_state_t;

//  A rule set: one analyzer config's signal rules and where its signals go.
//  Rule sets of one engine share the book and the metrics (a sweep fans
//  one metrics computation out to every configuration that agrees on it).
typedef struct {
    of_config_t *config;
    uint64_t seq[MAX_ROOTS];        //  signals per root, for ids
    of_engine_signal_fn *fn;
    void *arg;
} s_rules_t;

struct _of_engine_t {
    of_config_t *config;            //  the first rule set's: metrics, book, rewind
    s_state_t **states;
    int32_t hash[HASH_SIZE];        //  state index by key prefix, -1 = empty
    size_t count, capacity;
    s_rules_t *rules;
    size_t nrules;
    of_engine_metrics_fn *metrics_fn;
    void *metrics_arg;
    uint64_t events, signals, rejected, unknown, rewound;
};

of_engine_t *
of_engine_new(of_config_t *config)
{
    return of_engine_new_multi(&config, 1);
}

of_engine_t *
of_engine_new_multi(of_config_t **configs, size_t n)
{
    of_engine_t *self = calloc(1, sizeof *self);
    self->config = configs[0];
    self->rules = calloc(n, sizeof *self->rules);
    self->nrules = n;
    for (size_t k = 0; k < n; k++)
        self->rules[k].config = configs[k];
    for (size_t i = 0; i < HASH_SIZE; i++)
        self->hash[i] = -1;
    return self;
}

static void
s_state_destroy(of_engine_t *self, s_state_t *s)
{
    of_book_destroy(&s->book);
    of_metrics_destroy(&s->metrics);
    for (size_t k = 0; k < self->nrules; k++)
        of_signal_destroy(&s->signals[k]);
    free(s->signals);
    free(s);
}

void
of_engine_destroy(of_engine_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    of_engine_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        s_state_destroy(self, self->states[i]);
    free(self->states);
    free(self->rules);
    free(self);
    *self_p = NULL;
}

void
of_engine_set_metrics_fn(of_engine_t *self, of_engine_metrics_fn *fn, void *arg)
{
    self->metrics_fn = fn;
    self->metrics_arg = arg;
}

void
of_engine_set_signal_fn(of_engine_t *self, of_engine_signal_fn *fn, void *arg)
{
    of_engine_set_signal_fn_at(self, 0, fn, arg);
}

void
of_engine_set_signal_fn_at(of_engine_t *self, size_t index, of_engine_signal_fn *fn, void *arg)
{
    if (index < self->nrules) {
        self->rules[index].fn = fn;
        self->rules[index].arg = arg;
    }
}

//  Keys are short ("GCZ6"): comparing their first 8 bytes as one integer
//  settles almost every lookup without a strcmp.
static uint64_t
s_prefix(const char *key, size_t len)
{
    uint64_t prefix = 0;
    memcpy(&prefix, key, len < 8 ? len : 8);
    return prefix;
}

static s_state_t *
s_state_new(of_engine_t *self, const char *key, const char *contract,
            const ofts_instrument_t *ins)
{
    s_state_t *s = calloc(1, sizeof *s);
    snprintf(s->key, sizeof s->key, "%s", key);
    s->prefix = s_prefix(s->key, strlen(s->key));
    snprintf(s->symbol, sizeof s->symbol, "%s", ins->root);
    snprintf(s->contract, sizeof s->contract, "%s", contract);
    s->instrument = ins;
    s->params = of_config_params(self->config, ins);
    s->book = of_book_new(s->params->depth_levels);
    s->metrics = of_metrics_new(s->params);
    s->signals = calloc(self->nrules, sizeof *s->signals);
    for (size_t k = 0; k < self->nrules; k++)
        s->signals[k] = of_signal_new(of_config_params(self->rules[k].config, ins), ins);
    ofts__metrics__init(&s->out);
    s->out.symbol = s->symbol;
    s->out.contract = s->contract;
    return s;
}

//  Open-addressing table from key prefix to state index: one probe on a hit,
//  with no data-dependent loop for the branch predictor to miss.
static size_t
s_slot(uint64_t prefix)
{
    return (size_t) ((prefix * 0x9E3779B97F4A7C15ULL) >> (64 - HASH_BITS));
}

static s_state_t *
s_find(of_engine_t *self, const char *key, size_t len)
{
    uint64_t prefix = s_prefix(key, len);
    for (size_t i = s_slot(prefix);; i = (i + 1) & (HASH_SIZE - 1)) {
        int32_t at = self->hash[i];
        if (at < 0)
            return NULL;
        s_state_t *s = self->states[at];
        if (s->prefix == prefix && (len < 8 || strcmp(s->key + 8, key + 8) == 0))
            return s;
    }
}

//  The state for a message's symbol/contract, created on first sight; NULL
//  (counted) when neither names an instrument of the table.
static s_state_t *
s_lookup(of_engine_t *self, const char *symbol, const char *contract)
{
    const char *key = contract && *contract ? contract : symbol;
    size_t len = key ? strlen(key) : 0;
    if (len == 0 || len >= sizeof ((s_state_t *) 0)->key) {
        self->unknown++;
        return NULL;
    }
    s_state_t *s = s_find(self, key, len);
    if (s)
        return s;
    const ofts_instrument_t *ins = ofts_instrument_find(symbol);
    if (!ins)
        ins = ofts_instrument_for_contract(contract);
    if (!ins || self->count == MAX_STATES) {
        self->unknown++;
        return NULL;
    }
    if (self->count == self->capacity) {
        self->capacity = self->capacity ? self->capacity * 2 : 8;
        self->states = realloc(self->states, self->capacity * sizeof *self->states);
    }
    s = s_state_new(self, key, contract ? contract : "", ins);
    size_t i = s_slot(s->prefix);
    while (self->hash[i] >= 0)
        i = (i + 1) & (HASH_SIZE - 1);
    self->hash[i] = (int32_t) self->count;
    self->states[self->count++] = s;
    return s;
}

static void
s_emit_metrics(of_engine_t *self, s_state_t *s)
{
    if (!self->metrics_fn)
        return;
    of_metrics_fill(s->metrics, s->book, &s->out);
    self->metrics_fn(self->metrics_arg, &s->out, of_metrics_now(s->metrics));
}

static int
s_reject(of_engine_t *self)
{
    self->rejected++;
    return -1;
}

//  An event far older than its contract's clock comes from a replay that
//  restarted at the top of its file (gateway-md was restarted): applying it
//  would mix old trades into the window. Live data never goes back that far.
static bool
s_rewound(of_engine_t *self, s_state_t *s, int64_t ts_event)
{
    int64_t limit = of_config_rewind_ns(self->config);
    int64_t now = of_metrics_now(s->metrics);
    if (limit == 0 || now == 0 || ts_event >= now - limit)
        return false;
    self->rewound++;
    return true;
}

//  Ofts__Side to the window's side; anything unexpected is "unknown".
static int
s_side(Ofts__Side side)
{
    return side == OFTS__SIDE__SIDE_BUY ? OF_SIDE_BUY
         : side == OFTS__SIDE__SIDE_SELL ? OF_SIDE_SELL : OF_SIDE_NONE;
}

int
of_engine_trade(of_engine_t *self, const Ofts__Trade *trade, int64_t ts_event)
{
    s_state_t *s = s_lookup(self, trade->symbol, trade->contract);
    if (!s || trade->size == 0 || trade->price == INT64_MAX || s_rewound(self, s, ts_event))
        return s_reject(self);
    self->events++;
    of_metrics_advance(s->metrics, ts_event);
    //  The book as it stood before this print: the quote an aggressor met.
    int side = s_side(trade->aggressor);
    bool buy = side == OF_SIDE_BUY;
    of_print_t print = { ts_event, trade->price, trade->size, side,
                         buy ? of_book_ask_px(s->book) : of_book_bid_px(s->book),
                         buy ? of_book_ask_sz(s->book) : of_book_bid_sz(s->book) };
    of_metrics_on_trade(s->metrics, &print);
    int64_t now = of_metrics_now(s->metrics);
    //  Without a metrics listener only the rule inputs are needed per trade;
    //  the rest is filled when a signal is actually made.
    bool full = self->metrics_fn != NULL;
    if (full) {
        of_metrics_fill(s->metrics, s->book, &s->out);
        self->metrics_fn(self->metrics_arg, &s->out, now);
    }
    else
        of_metrics_fill_rules(s->metrics, s->book, &s->out);
    for (size_t k = 0; k < self->nrules; k++) {
        if (!of_signal_due(s->signals[k], &s->out, now))
            continue;
        if (!full) {
            of_metrics_fill(s->metrics, s->book, &s->out);
            full = true;
        }
        s_rules_t *rules = &self->rules[k];
        int root = of_config_index(s->instrument);
        Ofts__Signal signal;
        of_signal_emit(s->signals[k], &s->out, now, ++rules->seq[root], &signal);
        self->signals++;
        if (rules->fn)
            rules->fn(rules->arg, &signal, now);
    }
    return 0;
}

//  Book events move time too: the window expires and re-arm is checked.
static void
s_after_book(of_engine_t *self, s_state_t *s)
{
    double imbalance = of_metrics_imbalance(s->metrics);
    for (size_t k = 0; k < self->nrules; k++)
        of_signal_observe(s->signals[k], imbalance, of_metrics_now(s->metrics));
    s_emit_metrics(self, s);
}

int
of_engine_bbo(of_engine_t *self, const Ofts__TopOfBook *bbo, int64_t ts_event)
{
    s_state_t *s = s_lookup(self, bbo->symbol, bbo->contract);
    if (!s || s_rewound(self, s, ts_event))
        return s_reject(self);
    self->events++;
    of_metrics_advance(s->metrics, ts_event);
    of_book_on_top(s->book, bbo);
    s_after_book(self, s);
    return 0;
}

int
of_engine_depth(of_engine_t *self, const Ofts__Depth *depth, int64_t ts_event)
{
    s_state_t *s = s_lookup(self, depth->symbol, depth->contract);
    if (!s || s_rewound(self, s, ts_event))
        return s_reject(self);
    self->events++;
    of_metrics_advance(s->metrics, ts_event);
    of_book_on_depth(s->book, depth);
    s_after_book(self, s);
    return 0;
}

int
of_engine_envelope(of_engine_t *self, const Ofts__Envelope *env)
{
    int64_t ts = env->header ? env->header->ts_event : 0;
    switch (env->body_case) {
    case OFTS__ENVELOPE__BODY_TRADE: return of_engine_trade(self, env->trade, ts);
    case OFTS__ENVELOPE__BODY_BBO:   return of_engine_bbo(self, env->bbo, ts);
    case OFTS__ENVELOPE__BODY_DEPTH: return of_engine_depth(self, env->depth, ts);
    default:                         return 1;
    }
}

bool
of_engine_metrics(of_engine_t *self, const char *contract, Ofts__Metrics *out)
{
    s_state_t *s = contract && *contract ? s_find(self, contract, strlen(contract)) : NULL;
    if (!s)
        return false;
    of_metrics_fill(s->metrics, s->book, &s->out);
    *out = s->out;
    return true;
}

bool
of_engine_metrics_at(of_engine_t *self, size_t index, Ofts__Metrics *out)
{
    if (index >= self->count)
        return false;
    s_state_t *s = self->states[index];
    of_metrics_fill(s->metrics, s->book, &s->out);
    *out = s->out;
    return true;
}

uint64_t of_engine_events(of_engine_t *self) { return self->events; }
uint64_t of_engine_signals(of_engine_t *self) { return self->signals; }
uint64_t of_engine_rejected(of_engine_t *self) { return self->rejected; }
uint64_t of_engine_rewound(of_engine_t *self) { return self->rewound; }
uint64_t of_engine_unknown(of_engine_t *self) { return self->unknown; }
size_t of_engine_instruments(of_engine_t *self) { return self->count; }
