/*  sweep - many configurations over one decoded stream. See sweep.h.    */
#include "sweep.h"
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "md_normalizer.h"
#include "of_engine.h"
#include "ofts_clock.h"
#include "ofts_log.h"
#include "replay.h"

#define MAX_NAMES 256
#define MAX_AXES 16
#define MAX_VALUES 1024
#define MAX_LEVELS 10

//  --- the data ---------------------------------------------------------------

enum { EV_TRADE = 1, EV_BBO, EV_DEPTH };

//  One md event, 48 bytes: a one-hour, five-symbol stream is ~55 MB.
typedef struct {
    int64_t ts_event;
    int64_t a, b;                   //  trade: price; bbo: bid_px, ask_px; depth: first level
    uint32_t c, d, e, f;            //  trade: size, flags, exchange_seq; bbo: sizes, counts; depth: levels
    uint32_t instrument_id;
    uint16_t name;
    uint8_t kind, aggressor;
} s_event_t;

//  A book level as the cores read it (counts are carried too).
typedef struct {
    int64_t bid_px, ask_px;
    uint32_t bid_sz, ask_sz, bid_ct, ask_ct;
} s_level_t;

struct _sweep_data_t {
    struct {
        char symbol[16];
        char contract[32];
    } names[MAX_NAMES];
    size_t nnames;
    s_event_t *events;
    size_t nevents, cap_events;
    s_level_t *levels;
    size_t nlevels, cap_levels;
    size_t max_levels;
};

sweep_data_t *
sweep_data_new(void)
{
    sweep_data_t *self = calloc(1, sizeof(sweep_data_t));
    self->max_levels = MAX_LEVELS;
    return self;
}

void
sweep_data_set_levels(sweep_data_t *self, size_t levels)
{
    self->max_levels = levels < 1 ? 1 : levels > MAX_LEVELS ? MAX_LEVELS : levels;
}

void
sweep_data_destroy(sweep_data_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->events);
    free((*self_p)->levels);
    free(*self_p);
    *self_p = NULL;
}

static uint16_t
s_name(sweep_data_t *self, const char *symbol, const char *contract)
{
    symbol = symbol ? symbol : "";
    contract = contract ? contract : "";
    //  The last name first: a contract's events come in runs.
    for (size_t i = self->nnames; i-- > 0;)
        if (strcmp(self->names[i].contract, contract) == 0 && strcmp(self->names[i].symbol, symbol) == 0)
            return (uint16_t) i;
    if (self->nnames == MAX_NAMES)
        return MAX_NAMES - 1;       //  far beyond any real feed; shares the last
    snprintf(self->names[self->nnames].symbol, sizeof self->names[0].symbol, "%s", symbol);
    snprintf(self->names[self->nnames].contract, sizeof self->names[0].contract, "%s", contract);
    return (uint16_t) self->nnames++;
}

void
sweep_data_add(sweep_data_t *self, const Ofts__Envelope *env)
{
    s_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.ts_event = env->header ? env->header->ts_event : 0;
    switch (env->body_case) {
    case OFTS__ENVELOPE__BODY_TRADE: {
        const Ofts__Trade *t = env->trade;
        ev.kind = EV_TRADE;
        ev.name = s_name(self, t->symbol, t->contract);
        ev.instrument_id = t->instrument_id;
        ev.a = t->price;
        ev.c = t->size;
        ev.d = t->flags;
        ev.e = t->exchange_seq;
        ev.aggressor = (uint8_t) t->aggressor;
        break;
    }
    case OFTS__ENVELOPE__BODY_BBO: {
        const Ofts__TopOfBook *b = env->bbo;
        ev.kind = EV_BBO;
        ev.name = s_name(self, b->symbol, b->contract);
        ev.instrument_id = b->instrument_id;
        ev.a = b->bid_px;
        ev.b = b->ask_px;
        ev.c = b->bid_sz;
        ev.d = b->ask_sz;
        ev.e = b->bid_ct;
        ev.f = b->ask_ct;
        break;
    }
    case OFTS__ENVELOPE__BODY_DEPTH: {
        const Ofts__Depth *d = env->depth;
        ev.kind = EV_DEPTH;
        ev.name = s_name(self, d->symbol, d->contract);
        ev.instrument_id = d->instrument_id;
        size_t n = d->n_levels > self->max_levels ? self->max_levels : d->n_levels;
        ev.a = (int64_t) self->nlevels;
        ev.c = (uint32_t) n;
        if (self->nlevels + n > self->cap_levels) {
            self->cap_levels = self->cap_levels ? self->cap_levels * 2 : 4096;
            self->levels = realloc(self->levels, self->cap_levels * sizeof *self->levels);
        }
        for (size_t i = 0; i < n; i++) {
            const Ofts__Level *l = d->levels[i];
            s_level_t c = { l->bid_px, l->ask_px, l->bid_sz, l->ask_sz, l->bid_ct, l->ask_ct };
            self->levels[self->nlevels++] = c;
        }
        break;
    }
    default:
        return;
    }
    if (self->nevents == self->cap_events) {
        self->cap_events = self->cap_events ? self->cap_events * 2 : 65536;
        self->events = realloc(self->events, self->cap_events * sizeof *self->events);
    }
    self->events[self->nevents++] = ev;
}

size_t sweep_data_events(sweep_data_t *self) { return self->nevents; }

static void
s_collect(const char *topic, Ofts__Envelope *env, void *arg)
{
    (void) topic;
    sweep_data_add(arg, env);
}

int
sweep_data_load(sweep_data_t *self, const char *const *files, size_t nfiles, char *err, size_t errlen)
{
    replay_t *replay = replay_new();
    for (size_t i = 0; i < nfiles; i++)
        if (replay_add_file(replay, files[i], err, errlen) != 0) {
            replay_destroy(&replay);
            return -1;
        }
    md_normalizer_t *norm = md_normalizer_new();
    //  As gateway-md and ofts backtest do: one record type carries trades.
    md_normalizer_set_trade_rtype(norm, replay_trade_rtype(replay));
    const dbn_record_t *rec;
    const char *contract;
    int rc, failed = 0;
    while ((rc = replay_next(replay, &rec, &contract)) != 0) {
        if (rc < 0) {
            snprintf(err, errlen, "%s", replay_error(replay));
            failed = -1;
            continue;
        }
        md_normalizer_process(norm, rec, contract, s_collect, self);
    }
    md_normalizer_destroy(&norm);
    replay_destroy(&replay);
    return failed;
}

//  Rebuild the envelope of event i on the caller's stack.
typedef struct {
    Ofts__Envelope env;
    Ofts__Header header;
    Ofts__Trade trade;
    Ofts__TopOfBook bbo;
    Ofts__Depth depth;
    Ofts__Level levels[MAX_LEVELS];
    Ofts__Level *ptrs[MAX_LEVELS];
} s_msg_t;

static void
s_msg_init(s_msg_t *m)
{
    ofts__envelope__init(&m->env);
    ofts__header__init(&m->header);
    ofts__trade__init(&m->trade);
    ofts__top_of_book__init(&m->bbo);
    ofts__depth__init(&m->depth);
    m->header.source = "gateway-md";
    m->env.header = &m->header;
    m->env.trade = &m->trade;
    for (size_t i = 0; i < MAX_LEVELS; i++) {
        ofts__level__init(&m->levels[i]);
        m->ptrs[i] = &m->levels[i];
    }
}

static Ofts__Envelope *
s_msg_fill(s_msg_t *m, sweep_data_t *d, const s_event_t *ev)
{
    char *symbol = d->names[ev->name].symbol, *contract = d->names[ev->name].contract;
    m->header.ts_event = ev->ts_event;
    if (ev->kind == EV_TRADE) {
        m->env.body_case = OFTS__ENVELOPE__BODY_TRADE;
        m->env.trade = &m->trade;
        m->trade.symbol = symbol;
        m->trade.contract = contract;
        m->trade.instrument_id = ev->instrument_id;
        m->trade.price = ev->a;
        m->trade.size = ev->c;
        m->trade.flags = ev->d;
        m->trade.exchange_seq = ev->e;
        m->trade.aggressor = (Ofts__Side) ev->aggressor;
    }
    else if (ev->kind == EV_BBO) {
        m->env.body_case = OFTS__ENVELOPE__BODY_BBO;
        m->env.bbo = &m->bbo;
        m->bbo.symbol = symbol;
        m->bbo.contract = contract;
        m->bbo.instrument_id = ev->instrument_id;
        m->bbo.bid_px = ev->a;
        m->bbo.ask_px = ev->b;
        m->bbo.bid_sz = ev->c;
        m->bbo.ask_sz = ev->d;
        m->bbo.bid_ct = ev->e;
        m->bbo.ask_ct = ev->f;
    }
    else {
        m->env.body_case = OFTS__ENVELOPE__BODY_DEPTH;
        m->env.depth = &m->depth;
        m->depth.symbol = symbol;
        m->depth.contract = contract;
        m->depth.instrument_id = ev->instrument_id;
        m->depth.n_levels = ev->c;
        for (uint32_t i = 0; i < ev->c; i++) {
            const s_level_t *l = &d->levels[ev->a + i];
            Ofts__Level *out = &m->levels[i];
            out->bid_px = l->bid_px;
            out->ask_px = l->ask_px;
            out->bid_sz = l->bid_sz;
            out->ask_sz = l->ask_sz;
            out->bid_ct = l->bid_ct;
            out->ask_ct = l->ask_ct;
        }
        m->depth.levels = m->ptrs;
    }
    return &m->env;
}

void
sweep_data_each(sweep_data_t *self, sweep_event_fn *fn, void *arg)
{
    s_msg_t m;
    s_msg_init(&m);
    for (size_t i = 0; i < self->nevents; i++)
        fn(arg, s_msg_fill(&m, self, &self->events[i]));
}

//  --- the grid ---------------------------------------------------------------

typedef struct {
    char key[96];
    char **values;
    size_t n;
} s_axis_t;

struct _sweep_grid_t {
    s_axis_t axes[MAX_AXES];
    size_t naxes;
};

static void
s_axis_free(s_axis_t *axis)
{
    for (size_t i = 0; i < axis->n; i++)
        free(axis->values[i]);
    free(axis->values);
}

sweep_grid_t *
sweep_grid_new(void)
{
    return calloc(1, sizeof(sweep_grid_t));
}

void
sweep_grid_destroy(sweep_grid_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sweep_grid_t *self = *self_p;
    for (size_t a = 0; a < self->naxes; a++)
        s_axis_free(&self->axes[a]);
    free(self);
    *self_p = NULL;
}

static void
s_axis_push(s_axis_t *axis, const char *value)
{
    axis->values = realloc(axis->values, (axis->n + 1) * sizeof *axis->values);
    axis->values[axis->n++] = strdup(value);
}

//  One number of a range and the character that must end it: true when the
//  number at *p is followed by `end` (':' between, '\0' last); *p then
//  points past it.
static bool
s_range_part(const char **p, char end, double *value)
{
    char *stop;
    *value = strtod(*p, &stop);
    if (*stop != end)
        return false;
    *p = stop + 1;
    return true;
}

//  from:to:step with to included. Each value is from + i x step printed
//  with 10 significant digits, so 0.5 + 3 x 0.1 is "0.8", not
//  0.80000000000000004; integers stay integers.
static int
s_axis_range(s_axis_t *axis, const char *spec, char *err, size_t errlen)
{
    double from, to, step;
    if (!s_range_part(&spec, ':', &from) || !s_range_part(&spec, ':', &to) || !s_range_part(&spec, '\0', &step)) {
        snprintf(err, errlen, "%s: a range is from:to:step", axis->key);
        return -1;
    }
    if (!(step > 0) || to < from) {
        snprintf(err, errlen, "%s: a range needs step > 0 and to >= from", axis->key);
        return -1;
    }
    double count = floor((to - from) / step + 1e-9) + 1;
    if (count > MAX_VALUES) {
        snprintf(err, errlen, "%s: more than %d values", axis->key, MAX_VALUES);
        return -1;
    }
    for (int i = 0; i < (int) count; i++) {
        char value[48];
        snprintf(value, sizeof value, "%.10g", from + i * step);
        s_axis_push(axis, value);
    }
    return 0;
}

int
sweep_grid_add(sweep_grid_t *self, const char *spec, char *err, size_t errlen)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1]) {
        snprintf(err, errlen, "'%s': want key=from:to:step or key=v1,v2,...", spec);
        return -1;
    }
    if (self->naxes == MAX_AXES) {
        snprintf(err, errlen, "at most %d axes", MAX_AXES);
        return -1;
    }
    s_axis_t *axis = &self->axes[self->naxes];
    memset(axis, 0, sizeof *axis);
    snprintf(axis->key, sizeof axis->key, "%.*s", (int) (eq - spec), spec);
    for (size_t a = 0; a < self->naxes; a++)
        if (strcmp(self->axes[a].key, axis->key) == 0) {
            snprintf(err, errlen, "%s: given twice", axis->key);
            return -1;
        }
    const char *values = eq + 1;
    int rc = 0;
    if (strchr(values, ':') && !strchr(values, ','))
        rc = s_axis_range(axis, values, err, errlen);
    else {
        char *copy = strdup(values), *save = NULL;
        for (char *v = strtok_r(copy, ",", &save); v; v = strtok_r(NULL, ",", &save))
            s_axis_push(axis, v);
        free(copy);
    }
    if (rc == 0 && axis->n == 0) {
        snprintf(err, errlen, "%s: no values", axis->key);
        rc = -1;
    }
    if (rc != 0) {
        s_axis_free(axis);
        return -1;
    }
    self->naxes++;
    return 0;
}

int
sweep_grid_load(sweep_grid_t *self, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        return -1;
    }
    char line[4096];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        p[strcspn(p, "\r\n#")] = '\0';
        for (size_t n = strlen(p); n && (p[n - 1] == ' ' || p[n - 1] == '\t'); n--)
            p[n - 1] = '\0';
        if (*p)
            rc = sweep_grid_add(self, p, err, errlen);
    }
    fclose(f);
    return rc;
}

size_t sweep_grid_axes(sweep_grid_t *self) { return self->naxes; }
const char *sweep_grid_value_at(sweep_grid_t *self, size_t axis, size_t index) { return self->axes[axis].values[index]; }

int
sweep_grid_find(sweep_grid_t *self, const char *key)
{
    for (size_t a = 0; a < self->naxes; a++)
        if (strcmp(self->axes[a].key, key) == 0)
            return (int) a;
    return -1;
}
const char *sweep_grid_key(sweep_grid_t *self, size_t axis) { return self->axes[axis].key; }
size_t sweep_grid_values(sweep_grid_t *self, size_t axis) { return self->axes[axis].n; }

size_t
sweep_grid_size(sweep_grid_t *self)
{
    size_t n = 1;
    for (size_t a = 0; a < self->naxes; a++)
        n *= self->axes[a].n;
    return n;
}

const char *
sweep_grid_value(sweep_grid_t *self, size_t config, size_t axis)
{
    for (size_t a = self->naxes; a-- > axis + 1;)
        config /= self->axes[a].n;
    return self->axes[axis].values[config % self->axes[axis].n];
}

//  --- the run ----------------------------------------------------------------

typedef struct {
    of_config_t *acfg;
    risk_config_t rcfg;
    paper_config_t pcfg;
    char metrics_key[2048];
    size_t group;
} s_config_t;

//  A slice of one metrics group: one analyzer, one backtest per config.
typedef struct {
    size_t *configs;                //  indices into sweep_t.configs
    size_t n;
} s_chunk_t;

struct _sweep_t {
    sweep_grid_t *grid;
    size_t first, count;
    s_config_t *configs;
    sweep_result_t *results;
    size_t ngroups;
    s_chunk_t *chunks;
    size_t nchunks;
    int64_t *days;
    size_t ndays;
    sweep_data_t *data;
    atomic_size_t next_chunk;
    atomic_uint_fast64_t done;      //  configuration-events run so far
};

//  Everything the metrics (and the book) read, for every instrument: two
//  configs with the same key can share one analyzer's metrics.
static void
s_metrics_key(of_config_t *acfg, char *key, size_t size)
{
    size_t len = (size_t) snprintf(key, size, "%lld", (long long) of_config_rewind_ns(acfg));
    for (size_t i = 0; i < ofts_instrument_count() && len < size; i++) {
        const of_params_t *p = of_config_params(acfg, ofts_instrument_at(i));
        len += (size_t) snprintf(key + len, size - len, "|%lld,%u,%d,%lld,%u,%d,%u", (long long) p->window_ns,
                                 p->window_trades, p->depth_levels, (long long) p->intensity_sample_ns,
                                 p->intensity_avg_samples, p->reset_window_at_session, p->block_size);
    }
}

static int
s_config_make(sweep_t *self, json_t *base, size_t index, s_config_t *c, char *err, size_t errlen)
{
    json_t *root = json_deep_copy(base);
    int rc = 0;
    for (size_t a = 0; a < self->grid->naxes && rc == 0; a++)
        rc = research_config_set(root, self->grid->axes[a].key, sweep_grid_value(self->grid, index, a), err, errlen);
    char name[64];
    snprintf(name, sizeof name, "configuration %zu", index);
    if (rc == 0)
        rc = research_config_from_json(root, name, &c->acfg, &c->rcfg, &c->pcfg, err, errlen);
    json_decref(root);
    if (rc == 0)
        s_metrics_key(c->acfg, c->metrics_key, sizeof c->metrics_key);
    return rc;
}

sweep_t *
sweep_new(json_t *base, sweep_grid_t *grid, size_t first, size_t count, char *err, size_t errlen)
{
    sweep_t *self = calloc(1, sizeof *self);
    self->grid = grid;
    self->first = first;
    self->count = count;
    self->configs = calloc(count ? count : 1, sizeof *self->configs);
    self->results = calloc(count ? count : 1, sizeof *self->results);
    for (size_t i = 0; i < count; i++) {
        s_config_t *c = &self->configs[i];
        if (s_config_make(self, base, first + i, c, err, errlen) != 0) {
            self->count = i + 1;
            sweep_destroy(&self);
            return NULL;
        }
        //  Groups numbered in order of first appearance: deterministic.
        c->group = self->ngroups;
        for (size_t j = 0; j < i; j++)
            if (strcmp(self->configs[j].metrics_key, c->metrics_key) == 0) {
                c->group = self->configs[j].group;
                break;
            }
        if (c->group == self->ngroups)
            self->ngroups++;
    }
    return self;
}

void
sweep_destroy(sweep_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sweep_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++) {
        of_config_destroy(&self->configs[i].acfg);
        free(self->results[i].daily);
    }
    for (size_t i = 0; i < self->nchunks; i++)
        free(self->chunks[i].configs);
    free(self->chunks);
    free(self->configs);
    free(self->results);
    free(self->days);
    free(self);
    *self_p = NULL;
}

size_t sweep_groups(sweep_t *self) { return self->ngroups; }

size_t
sweep_depth_levels(sweep_t *self)
{
    size_t most = 1;
    for (size_t i = 0; i < self->count; i++)
        for (size_t k = 0; k < ofts_instrument_count(); k++) {
            const of_params_t *p = of_config_params(self->configs[i].acfg, ofts_instrument_at(k));
            if ((size_t) p->depth_levels > most)
                most = (size_t) p->depth_levels;
        }
    return most;
}
size_t sweep_count(sweep_t *self) { return self->count; }
size_t sweep_first(sweep_t *self) { return self->first; }
const sweep_result_t *sweep_result(sweep_t *self, size_t i) { return &self->results[i]; }
const risk_config_t *sweep_risk_config(sweep_t *self, size_t i) { return &self->configs[i].rcfg; }

size_t
sweep_days(sweep_t *self, const int64_t **opens)
{
    *opens = self->days;
    return self->ndays;
}

//  Cut each group into slices so that there are about `jobs` chunks to
//  share out (more when groups outnumber jobs). How the work is cut never
//  changes a result, only how fast it comes.
static void
s_plan(sweep_t *self, int jobs)
{
    for (size_t g = 0; g < self->ngroups; g++) {
        size_t members = 0;
        for (size_t i = 0; i < self->count; i++)
            members += self->configs[i].group == g;
        size_t pieces = (size_t) ((double) jobs * (double) members / (double) self->count + 0.5);
        pieces = pieces < 1 ? 1 : pieces > members ? members : pieces;
        size_t per = (members + pieces - 1) / pieces, taken = 0;
        s_chunk_t *chunk = NULL;
        for (size_t i = 0; i < self->count; i++) {
            if (self->configs[i].group != g)
                continue;
            if (taken % per == 0) {
                self->chunks = realloc(self->chunks, (self->nchunks + 1) * sizeof *self->chunks);
                chunk = &self->chunks[self->nchunks++];
                chunk->configs = calloc(per, sizeof *chunk->configs);
                chunk->n = 0;
            }
            chunk->configs[chunk->n++] = i;
            taken++;
        }
    }
}

typedef struct {
    backtest_t **bts;
    size_t n;
} s_fan_t;

static void
s_on_signal(void *arg, const Ofts__Signal *sig, int64_t ts_event)
{
    backtest_on_signal(arg, sig, ts_event);
}

#define PROGRESS_EVERY 16384

static void
s_run_chunk(sweep_t *self, const s_chunk_t *chunk)
{
    of_config_t *acfgs[chunk->n];
    backtest_t *bts[chunk->n];
    for (size_t k = 0; k < chunk->n; k++) {
        s_config_t *c = &self->configs[chunk->configs[k]];
        acfgs[k] = c->acfg;
        bts[k] = backtest_new_driven(&c->rcfg, &c->pcfg);
    }
    of_engine_t *engine = of_engine_new_multi(acfgs, chunk->n);
    for (size_t k = 0; k < chunk->n; k++)
        of_engine_set_signal_fn_at(engine, k, s_on_signal, bts[k]);
    sweep_data_t *d = self->data;
    s_msg_t m;
    s_msg_init(&m);
    for (size_t i = 0; i < d->nevents; i++) {
        Ofts__Envelope *env = s_msg_fill(&m, d, &d->events[i]);
        //  Each backtest exactly as backtest_on_md runs it (keyed by the
        //  event's name: no lookup by name per event), the analyzer last:
        //  once for all, its signals to their own configuration.
        for (size_t k = 0; k < chunk->n; k++)
            backtest_on_md_key(bts[k], env, d->events[i].name);
        of_engine_envelope(engine, env);
        if ((i + 1) % PROGRESS_EVERY == 0)
            atomic_fetch_add(&self->done, (uint64_t) PROGRESS_EVERY * chunk->n);
    }
    atomic_fetch_add(&self->done, (uint64_t) (d->nevents % PROGRESS_EVERY) * chunk->n);
    for (size_t k = 0; k < chunk->n; k++) {
        size_t idx = chunk->configs[k];
        backtest_finish(bts[k]);
        research_summary_of(bts[k], &self->configs[idx].rcfg, &self->results[idx].summary);
        const bt_trade_t *trades;
        size_t nt = backtest_trades(bts[k], &trades);
        const int64_t *days;
        size_t nd = backtest_days(bts[k], &days);
        research_summary_t scratch;
        memset(&scratch, 0, sizeof scratch);
        self->results[idx].daily = calloc(nd ? nd : 1, sizeof(int64_t));
        research_summarize(trades, nt, days, nd, &self->configs[idx].rcfg, &scratch, self->results[idx].daily);
        backtest_destroy(&bts[k]);
    }
    of_engine_destroy(&engine);
}

static void *
s_worker(void *arg)
{
    sweep_t *self = arg;
    size_t c;
    while ((c = atomic_fetch_add(&self->next_chunk, 1)) < self->nchunks)
        s_run_chunk(self, &self->chunks[c]);
    return NULL;
}

//  Session opens of the data: the days every configuration is measured on.
static void
s_days(sweep_t *self, sweep_data_t *d)
{
    int64_t end = INT64_MIN, now = INT64_MIN;
    for (size_t i = 0; i < d->nevents; i++) {
        if (d->events[i].ts_event > now)
            now = d->events[i].ts_event;
        if (now < end)
            continue;
        int64_t open = ofts_session_open_ns(now);
        if (self->ndays == 0 || open != self->days[self->ndays - 1]) {
            self->days = realloc(self->days, (self->ndays + 1) * sizeof *self->days);
            self->days[self->ndays++] = open;
        }
        end = open + 23 * 3600 * OFTS_NS_PER_SEC;
    }
}

static void
s_progress(sweep_t *self, uint64_t total, int64_t t0)
{
    uint64_t done = atomic_load(&self->done);
    double secs = (double) (ofts_clock_mono_ns() - t0) / 1e9;
    fprintf(stderr, "\rofts sweep: %5.1f%%  %.1f M configuration-events/s  ", total ? 100.0 * done / total : 100.0,
            secs > 0 ? (double) done / secs / 1e6 : 0.0);
    fflush(stderr);
}

void
sweep_run(sweep_t *self, sweep_data_t *data, int jobs, bool progress)
{
    self->data = data;
    if (jobs < 1)
        jobs = 1;
    s_plan(self, jobs);
    s_days(self, data);
    atomic_store(&self->next_chunk, 0);
    atomic_store(&self->done, 0);
    size_t nthreads = (size_t) jobs < self->nchunks ? (size_t) jobs : self->nchunks;
    pthread_t threads[nthreads ? nthreads : 1];
    for (size_t t = 0; t < nthreads; t++)
        pthread_create(&threads[t], NULL, s_worker, self);
    uint64_t total = (uint64_t) data->nevents * self->count;
    int64_t t0 = ofts_clock_mono_ns();
    //  Progress from this thread while the workers run: a line a second.
    while (progress && atomic_load(&self->done) < total) {
        struct timespec ts = { 1, 0 };
        nanosleep(&ts, NULL);
        s_progress(self, total, t0);
    }
    for (size_t t = 0; t < nthreads; t++)
        pthread_join(threads[t], NULL);
    if (progress) {
        s_progress(self, total, t0);
        fputc('\n', stderr);
    }
}

//  --- output -----------------------------------------------------------------

void
sweep_write_csv(sweep_t *self, FILE *out)
{
    fputs("config", out);
    for (size_t a = 0; a < self->grid->naxes; a++) {
        fputc(',', out);
        research_csv_text(out, self->grid->axes[a].key);
    }
    fputc(',', out);
    research_csv_header(out);
    fputc('\n', out);
    for (size_t i = 0; i < self->count; i++) {
        fprintf(out, "%zu", self->first + i);
        for (size_t a = 0; a < self->grid->naxes; a++) {
            fputc(',', out);
            research_csv_text(out, sweep_grid_value(self->grid, self->first + i, a));
        }
        fputc(',', out);
        research_csv_row(out, &self->results[i].summary);
        fputc('\n', out);
    }
}

//  A grid value as JSON: as written when it is a JSON number or boolean.
static void
s_json_value(FILE *out, const char *value)
{
    json_t *v = json_loads(value, JSON_DECODE_ANY, NULL);
    if (v && (json_is_number(v) || json_is_boolean(v)))
        fputs(value, out);
    else {
        json_t *s = json_string(value);
        char *text = json_dumps(s, JSON_ENCODE_ANY);
        fputs(text, out);
        free(text);
        json_decref(s);
    }
    json_decref(v);
}

void
sweep_write_json(sweep_t *self, FILE *out)
{
    fputs("[\n", out);
    for (size_t i = 0; i < self->count; i++) {
        fprintf(out, "{\"config\":%zu,\"params\":{", self->first + i);
        for (size_t a = 0; a < self->grid->naxes; a++) {
            fprintf(out, "%s\"%s\":", a ? "," : "", self->grid->axes[a].key);
            s_json_value(out, sweep_grid_value(self->grid, self->first + i, a));
        }
        fputs("},", out);
        research_json_fields(out, &self->results[i].summary);
        fprintf(out, "}%s\n", i + 1 < self->count ? "," : "");
    }
    fputs("]\n", out);
}

//  --- merge ------------------------------------------------------------------

typedef struct {
    size_t config;
    char *line;
} s_row_t;

static int
s_row_cmp(const void *a, const void *b)
{
    const s_row_t *x = a, *y = b;
    return x->config < y->config ? -1 : x->config > y->config;
}

//  A row's configuration: the leading number (CSV) or "config": (JSON).
static bool
s_row_config(const char *line, bool json, size_t *config)
{
    const char *p = line;
    if (json) {
        if (strncmp(p, "{\"config\":", 10) != 0)
            return false;
        p += 10;
    }
    char *end;
    unsigned long long v = strtoull(p, &end, 10);
    if (end == p || (json ? *end != ',' : *end != ','))
        return false;
    *config = (size_t) v;
    return true;
}

static int
s_merge_read(const char *path, bool *json, char **header, s_row_t **rows, size_t *nrows, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    bool first = true;
    int rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == ','))
            line[--len] = '\0';
        if (first) {
            bool is_json = strcmp(line, "[") == 0;
            if (*header && is_json != *json)
                rc = -1, snprintf(err, errlen, "%s: CSV and JSON shards mixed", path);
            else if (!is_json && *header && strcmp(*header, line) != 0)
                rc = -1, snprintf(err, errlen, "%s: its columns differ from the first shard's", path);
            else if (!*header)
                *header = strdup(line), *json = is_json;
            first = false;
            continue;
        }
        if (*json && strcmp(line, "]") == 0)
            continue;
        s_row_t row;
        if (!s_row_config(line, *json, &row.config)) {
            rc = -1;
            snprintf(err, errlen, "%s: not a sweep row: %.40s", path, line);
            break;
        }
        row.line = strdup(line);
        *rows = realloc(*rows, (*nrows + 1) * sizeof **rows);
        (*rows)[(*nrows)++] = row;
    }
    free(line);
    fclose(f);
    return rc;
}

int
sweep_merge(const char *const *paths, size_t n, FILE *out, char *err, size_t errlen)
{
    char *header = NULL;
    bool json = false;
    s_row_t *rows = NULL;
    size_t nrows = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = s_merge_read(paths[i], &json, &header, &rows, &nrows, err, errlen);
    if (rc == 0) {
        qsort(rows, nrows, sizeof *rows, s_row_cmp);
        for (size_t i = 0; i < nrows && rc == 0; i++)
            if (rows[i].config != i) {
                rc = -1;
                snprintf(err, errlen, "configuration %zu %s", i,
                         rows[i].config < i ? "is in two shards" : "is in no shard");
            }
    }
    if (rc == 0) {
        fprintf(out, "%s\n", json ? "[" : header ? header : "");
        for (size_t i = 0; i < nrows; i++)
            fprintf(out, "%s%s\n", rows[i].line, json && i + 1 < nrows ? "," : "");
        if (json)
            fputs("]\n", out);
    }
    for (size_t i = 0; i < nrows; i++)
        free(rows[i].line);
    free(rows);
    free(header);
    return rc;
}
