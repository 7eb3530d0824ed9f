/*  of_config - analyzer settings: defaults, presets, overrides. See of_config.h. */
#include "of_config.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ofts_clock.h"

#define MAX_INSTRUMENTS 32

//  Rule thresholds a preset sets. "default" is the seed system's tuning;
//  "aggressive" lowers every bar (more, weaker signals), "conservative" raises
//  them (fewer, stronger). Weights and windows are not part of a preset.
//  The delta threshold is per symbol (s_symbol_defaults): a preset scales it.
//  min_confidence stays 0.6 in "aggressive": risk rejects anything below its
//  own 0.6, so a lower bar here would only make signals that are refused.
typedef struct {
    const char *name;
    double imbalance, aggressive, depth, intensity, min_confidence;
    double delta_scale;
} s_preset_t;

static const s_preset_t s_presets[] = {
    { "default",      0.6, 0.30, 0.20, 1.5, 0.6, 1.0 },
    { "aggressive",   0.5, 0.20, 0.15, 1.3, 0.6, 0.5 },
    { "conservative", 0.7, 0.40, 0.30, 2.0, 0.7, 1.5 },
};
#define PRESET_COUNT (sizeof s_presets / sizeof s_presets[0])

//  The delta threshold where a root has no row (none today).
#define DEFAULT_DELTA 1000

//  Per-root defaults: stop distance (points), cumulative-delta threshold
//  (contracts, for the "default" preset) and block size (contracts).
//  Reasoning and sources: docs/analyzer.md "Per-symbol defaults". Micros
//  have no stop here (they inherit their full-size's, same price scale) but
//  their own delta and block size: a contract of a micro is not one of the
//  full-size's.
typedef struct {
    const char *root;
    const char *stop_points;        //  decimal text, parsed exactly; NULL = inherit
    int64_t delta;
    uint32_t block_size;
} s_symbol_default_t;

static const s_symbol_default_t s_symbol_defaults[] = {
    { "GC",  "5.0",  1000, 20 },
    { "MGC", NULL,   600,  50 },
    { "SI",  "0.10", 400,  10 },
    { "SIL", NULL,   200,  25 },
    { "PL",  "10.0", 250,  10 },
    { "HG",  "0.02", 450,  20 },
    { "MHG", NULL,   100,  50 },
    { "NQ",  "20.0", 1000, 20 },
    { "MNQ", NULL,   1800, 50 },
    { "ES",  "10.0", 3000, 50 },
    { "MES", NULL,   1500, 50 },
};

struct _of_config_t {
    const char *preset;
    double delta_scale;                 //  the preset's factor on per-symbol deltas
    bool delta_explicit;                //  analyzer.cumulative_delta_threshold given: every root
    double metrics_per_sec;
    int64_t rewind_ns;                  //  refuse events this much older than the clock; 0 = off
    of_params_t global;
    of_params_t symbol[MAX_INSTRUMENTS];
};

static void
s_apply_preset(of_params_t *p, const s_preset_t *preset)
{
    p->imbalance_threshold = preset->imbalance;
    p->aggressive_ratio_threshold = preset->aggressive;
    p->depth_imbalance_threshold = preset->depth;
    p->intensity_ratio_threshold = preset->intensity;
    p->min_confidence = llround(preset->min_confidence * OF_PPM);
    p->cumulative_delta_threshold = llround(preset->delta_scale * DEFAULT_DELTA);
}

static void
s_defaults(of_params_t *p)
{
    memset(p, 0, sizeof *p);
    p->window_ns = 60 * OFTS_NS_PER_SEC;
    p->window_trades = 0;
    p->min_trades = 20;
    p->depth_levels = 5;
    p->intensity_sample_ns = 10 * OFTS_NS_PER_SEC;
    p->intensity_avg_samples = 30;
    p->reset_window_at_session = true;
    s_apply_preset(p, &s_presets[0]);
    p->weight_imbalance = 400000;
    p->weight_delta = 200000;
    p->weight_aggressive = 200000;
    p->weight_depth = 100000;
    p->weight_intensity = 100000;
    p->opposite_subtracts = true;
    p->rearm = true;
    p->rearm_ns = 0;
    p->risk_reward_ratio = 2.0;
    p->stop_distance = 0;
    p->block_size = 0;
}


static int64_t
s_ppm(ofts_cfgsec_t *sec, const char *key, int64_t def)
{
    double v = ofts_cfgsec_double_range(sec, key, (double) def / OF_PPM, 0.0, 1.0);
    return llround(v * OF_PPM);
}

static int64_t
s_seconds_ns(ofts_cfgsec_t *sec, const char *key, int64_t def_ns, double lo, double hi)
{
    double v = ofts_cfgsec_double_range(sec, key, (double) def_ns / OFTS_NS_PER_SEC, lo, hi);
    return llround(v * OFTS_NS_PER_SEC);
}

//  The keys valid both in "analyzer" and in "analyzer.symbols.<ROOT>".
static void
s_read_params(ofts_cfgsec_t *sec, of_params_t *p)
{
    p->window_ns = s_seconds_ns(sec, "window_seconds", p->window_ns, 0, 86400);
    p->window_trades = (uint32_t) ofts_cfgsec_int_range(sec, "window_trades", p->window_trades, 0, 1000000);
    if (p->window_ns == 0 && p->window_trades == 0)
        ofts_cfgsec_fail(sec, "window_seconds", "window_seconds and window_trades cannot both be 0");
    p->min_trades = (uint32_t) ofts_cfgsec_int_range(sec, "min_trades", p->min_trades, 1, 1000000);
    p->depth_levels = (int) ofts_cfgsec_int_range(sec, "depth_levels", p->depth_levels, 1, 10);
    p->intensity_sample_ns = s_seconds_ns(sec, "intensity_sample_seconds", p->intensity_sample_ns, 0.001, 86400);
    p->intensity_avg_samples = (uint32_t) ofts_cfgsec_int_range(sec, "intensity_avg_samples", p->intensity_avg_samples, 1, 100000);
    p->reset_window_at_session = ofts_cfgsec_bool(sec, "reset_window_at_session", p->reset_window_at_session);

    p->imbalance_threshold = ofts_cfgsec_double_range(sec, "imbalance_threshold", p->imbalance_threshold, 0, 1);
    p->aggressive_ratio_threshold = ofts_cfgsec_double_range(sec, "aggressive_ratio_threshold", p->aggressive_ratio_threshold, 0, 1);
    p->depth_imbalance_threshold = ofts_cfgsec_double_range(sec, "depth_imbalance_threshold", p->depth_imbalance_threshold, 0, 1);
    p->intensity_ratio_threshold = ofts_cfgsec_double_range(sec, "intensity_ratio_threshold", p->intensity_ratio_threshold, 0, 1e6);
    p->weight_imbalance = s_ppm(sec, "weight_imbalance", p->weight_imbalance);
    p->weight_delta = s_ppm(sec, "weight_delta", p->weight_delta);
    p->weight_aggressive = s_ppm(sec, "weight_aggressive", p->weight_aggressive);
    p->weight_depth = s_ppm(sec, "weight_depth", p->weight_depth);
    p->weight_intensity = s_ppm(sec, "weight_intensity", p->weight_intensity);
    p->min_confidence = s_ppm(sec, "min_confidence", p->min_confidence);
    p->opposite_subtracts = ofts_cfgsec_bool(sec, "opposite_subtracts", p->opposite_subtracts);
    p->rearm = ofts_cfgsec_bool(sec, "rearm", p->rearm);
    p->rearm_ns = s_seconds_ns(sec, "rearm_seconds", p->rearm_ns, 0, 86400);
    p->risk_reward_ratio = ofts_cfgsec_double_range(sec, "risk_reward_ratio", p->risk_reward_ratio, 0.01, 100);
}

//  Contracts of cumulative delta: at most 10 M (far above any root's day).
static int64_t
s_delta_key(ofts_cfgsec_t *sec, const char *key, int64_t def)
{
    return ofts_cfgsec_int_range(sec, key, def, 0, 10000000);
}

//  Keys that only make sense per instrument (their units are the contract's).
static void
s_read_symbol_params(ofts_cfgsec_t *sec, of_params_t *p)
{
    s_read_params(sec, p);
    if (ofts_cfgsec_has(sec, "cumulative_delta_threshold"))
        ofts_cfgsec_fail(sec, "cumulative_delta_threshold", "per symbol the key is delta_threshold");
    p->cumulative_delta_threshold = s_delta_key(sec, "delta_threshold", p->cumulative_delta_threshold);
    if (ofts_cfgsec_has(sec, "stop_points")) {
        double pts = ofts_cfgsec_double_range(sec, "stop_points", 1.0, 1e-9, 1e6);
        p->stop_distance = ofts_price_from_double(pts);
    }
    p->block_size = (uint32_t) ofts_cfgsec_int_range(sec, "block_size", p->block_size, 1, 100000);
}

static const s_preset_t *
s_preset_find(const char *name)
{
    for (size_t i = 0; i < PRESET_COUNT; i++)
        if (strcmp(s_presets[i].name, name) == 0)
            return &s_presets[i];
    return NULL;
}

int
of_config_index(const ofts_instrument_t *instrument)
{
    return (int) (instrument - ofts_instrument_at(0));
}

//  The root's row of s_symbol_defaults: its stop (unless inherited), its
//  delta scaled by the preset (unless analyzer.cumulative_delta_threshold
//  set one for every root) and its block size.
static void
s_builtin_symbol(of_config_t *self, of_params_t *p, const char *root)
{
    for (size_t i = 0; i < sizeof s_symbol_defaults / sizeof s_symbol_defaults[0]; i++) {
        const s_symbol_default_t *row = &s_symbol_defaults[i];
        if (strcmp(row->root, root) != 0)
            continue;
        if (row->stop_points)
            ofts_price_parse(row->stop_points, &p->stop_distance);
        if (!self->delta_explicit)
            p->cumulative_delta_threshold = llround(self->delta_scale * (double) row->delta);
        p->block_size = row->block_size;
    }
}

//  No single indicator may reach min_confidence on its own: a signal must
//  always need the primary and at least one confirmation. The first weight
//  that breaks this is reported on the section that set it (or set
//  min_confidence), else on "analyzer".
static void
s_check_weights(ofts_cfgsec_t *sec, ofts_cfgsec_t *ssec, const of_params_t *p)
{
    const struct {
        const char *key;
        int64_t weight;
    } w[] = { { "weight_imbalance", p->weight_imbalance }, { "weight_delta", p->weight_delta },
              { "weight_aggressive", p->weight_aggressive }, { "weight_depth", p->weight_depth },
              { "weight_intensity", p->weight_intensity } };
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
        if (w[i].weight < p->min_confidence)
            continue;
        bool here = ssec && (ofts_cfgsec_has(ssec, w[i].key) || ofts_cfgsec_has(ssec, "min_confidence"));
        ofts_cfgsec_fail(here ? ssec : sec, w[i].key,
                         "%.2f reaches min_confidence %.2f on its own (a signal must need at least "
                         "two indicators: keep every weight below min_confidence)",
                         (double) w[i].weight / OF_PPM, (double) p->min_confidence / OF_PPM);
        return;
    }
}

//  Full-size roots first, so a micro can start from its full-size's result.
static void
s_resolve_symbols(of_config_t *self, ofts_cfgsec_t *sec, ofts_cfgsec_t *symbols)
{
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < ofts_instrument_count(); i++) {
            const ofts_instrument_t *ins = ofts_instrument_at(i);
            bool micro = ins->full_size != NULL;
            if (micro != (pass == 1))
                continue;
            of_params_t *p = &self->symbol[i];
            *p = micro ? self->symbol[of_config_index(ofts_instrument_find(ins->full_size))] : self->global;
            s_builtin_symbol(self, p, ins->root);
            bool own = symbols && ofts_cfgsec_has(symbols, ins->root);
            ofts_cfgsec_t *ssec = own ? ofts_cfgsec_section(symbols, ins->root) : NULL;
            if (ssec)
                s_read_symbol_params(ssec, p);
            if (sec)
                s_check_weights(sec, ssec, p);
        }
}

static void
s_check_symbol_keys(ofts_cfgsec_t *symbols)
{
    const char *keys[64];
    size_t n = ofts_cfgsec_keys(symbols, keys, 64);
    for (size_t i = 0; i < n; i++)
        if (!ofts_instrument_find(keys[i]))
            ofts_cfgsec_fail(symbols, keys[i], "unknown instrument root (want one of the contract table: GC MGC SI SIL PL HG MHG NQ MNQ ES MES)");
}

of_config_t *
of_config_new(ofts_cfgsec_t *sec)
{
    of_config_t *self = calloc(1, sizeof *self);
    s_defaults(&self->global);
    self->preset = s_presets[0].name;
    self->delta_scale = s_presets[0].delta_scale;
    self->metrics_per_sec = 4.0;
    self->rewind_ns = OFTS_NS_PER_SEC;
    ofts_cfgsec_t *symbols = NULL;
    if (sec) {
        const char *name = ofts_cfgsec_string(sec, "preset", "default");
        const s_preset_t *preset = s_preset_find(name);
        if (preset) {
            self->preset = preset->name;
            self->delta_scale = preset->delta_scale;
            s_apply_preset(&self->global, preset);
        }
        else
            ofts_cfgsec_fail(sec, "preset", "unknown preset '%s' (want default, aggressive or conservative)", name);
        s_read_params(sec, &self->global);
        self->delta_explicit = ofts_cfgsec_has(sec, "cumulative_delta_threshold");
        self->global.cumulative_delta_threshold =
            s_delta_key(sec, "cumulative_delta_threshold", self->global.cumulative_delta_threshold);
        self->metrics_per_sec = ofts_cfgsec_double_range(sec, "metrics_per_second", self->metrics_per_sec, 0, 1e6);
        self->rewind_ns = s_seconds_ns(sec, "rewind_seconds", self->rewind_ns, 0, 86400);
        if (ofts_cfgsec_has(sec, "symbols")) {
            symbols = ofts_cfgsec_section(sec, "symbols");
            s_check_symbol_keys(symbols);
        }
    }
    s_resolve_symbols(self, sec, symbols);
    return self;
}

void
of_config_destroy(of_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

const char *of_config_preset(of_config_t *self) { return self->preset; }
double of_config_metrics_per_sec(of_config_t *self) { return self->metrics_per_sec; }
int64_t of_config_rewind_ns(of_config_t *self) { return self->rewind_ns; }

const of_params_t *
of_config_params(of_config_t *self, const ofts_instrument_t *instrument)
{
    return &self->symbol[of_config_index(instrument)];
}
