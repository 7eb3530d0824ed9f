/*  of_config - every analyzer threshold, weight and window, with presets and
    per-symbol overrides, read from the config section "analyzer".

    Resolution order (later wins):
        1. defaults in code (the "default" preset, of_config_new(NULL))
        2. the preset named by analyzer.preset ("aggressive", "conservative")
        3. explicit keys in "analyzer"
        4. for one instrument: its full-size's resolved values (micros only,
           e.g. MGC starts from GC), then the keys in analyzer.symbols.<ROOT>
    Every key, default and preset value is listed in docs/analyzer.md.

    Problems (bad type, out of range, unknown preset or root) are recorded on
    the section with ofts_cfgsec_fail(); ofts_cfgsec_finish() reports the
    first one as "FILE: analyzer.key: why" and the caller exits 2.          */
#ifndef OF_CONFIG_H
#define OF_CONFIG_H
#include <stdbool.h>
#include <stdint.h>
#include "ofts_config.h"
#include "ofts_instrument.h"

//  Confidence and weights are held in millionths (ppm) so that sums compare
//  exactly: 0.4 + 0.2 must be >= 0.6, which IEEE doubles do not promise.
#define OF_PPM 1000000LL

//  Everything one instrument needs; a plain value record, copied freely.
typedef struct {
    //  rolling window
    int64_t window_ns;                  //  window_seconds; 0 = no time limit
    uint32_t window_trades;             //  0 = no count limit
    uint32_t min_trades;                //  trades in window before any signal
    int depth_levels;                   //  book levels summed for depth imbalance
    int64_t intensity_sample_ns;        //  grid for the intensity average
    uint32_t intensity_avg_samples;     //  EMA span N, alpha = 2/(N+1)
    bool reset_window_at_session;       //  empty the window at 17:00 CT too
    //  signal rules
    double imbalance_threshold;         //  primary: |imbalance| > this
    int64_t cumulative_delta_threshold; //  |delta| > this, same direction
    double aggressive_ratio_threshold;  //  that side's volume share > this
    double depth_imbalance_threshold;   //  depth imbalance beyond +-this
    double intensity_ratio_threshold;   //  intensity / its average > this
    int64_t weight_imbalance;           //  ppm
    int64_t weight_delta;
    int64_t weight_aggressive;
    int64_t weight_depth;
    int64_t weight_intensity;
    int64_t min_confidence;             //  ppm
    bool opposite_subtracts;            //  an opposing confirmation subtracts its weight
    bool rearm;                         //  suppress repeats until the primary resets
    int64_t rearm_ns;                   //  ... or this long has passed (0 = never)
    //  orders
    double risk_reward_ratio;           //  take-profit distance / stop distance
    int64_t stop_distance;              //  stop_points in 1e-9 units
    uint32_t block_size;                //  a trade this large is a block
} of_params_t;

typedef struct _of_config_t of_config_t;

//  Read section "analyzer" (sec may be NULL: pure defaults). Always returns
//  a config; errors are left on sec for ofts_cfgsec_finish().
of_config_t *of_config_new(ofts_cfgsec_t *sec);
void of_config_destroy(of_config_t **self_p);

//  The preset in force ("default", "aggressive", "conservative").
const char *of_config_preset(of_config_t *self);
//  Resolved parameters for an instrument of the table.
const of_params_t *of_config_params(of_config_t *self, const ofts_instrument_t *instrument);
//  Ordering index of an instrument in the table (for per-root arrays).
int of_config_index(const ofts_instrument_t *instrument);

//  Service-only knob (metrics publishing), read here so the whole section is
//  one place: at most this many of.metrics per second per symbol (0 = all).
double of_config_metrics_per_sec(of_config_t *self);
//  analyzer.rewind_seconds (default 1, 0 = off): an event more than this much
//  older than its contract's clock is refused (a replay restarted from the
//  top of its file); a slightly late one is applied at the current clock.
int64_t of_config_rewind_ns(of_config_t *self);

#endif
