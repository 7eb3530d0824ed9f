/*  sweep - many backtest configurations over one decoded stream.

    The market data is decoded and normalised once (sweep_data) and kept in
    memory as compact events. Configurations that agree on everything the
    analyzer's metrics read (window, depth levels, intensity sampling,
    block size, rewind: sweep_metrics_key) form a group: one analyzer
    computes the metrics of the group once per event and fans them out to
    each configuration's signal rules (of_engine_new_multi); only the
    rules, risk, order manager and paper broker run per configuration.

    Work is cut into chunks (a slice of one group) run by --jobs threads;
    a configuration's result depends only on its own configuration, so the
    output is the same bytes for any --jobs and any --shard split.     */
#ifndef OFTS_SWEEP_H
#define OFTS_SWEEP_H
#include <stdbool.h>
#include <stdio.h>
#include "research.h"

//  --- the data, decoded once -----------------------------------------------

typedef struct _sweep_data_t sweep_data_t;

sweep_data_t *sweep_data_new(void);
void sweep_data_destroy(sweep_data_t **self_p);
//  Keep at most this many book levels of a depth event (default 10): the
//  analyzer reads only its depth_levels (sweep_depth_levels()).
void sweep_data_set_levels(sweep_data_t *self, size_t levels);
//  Copy one market-data envelope (trade, bbo, depth; others ignored).
void sweep_data_add(sweep_data_t *self, const Ofts__Envelope *env);
//  Decode and normalise DBN files (merged by time) into self. -1 with err.
int sweep_data_load(sweep_data_t *self, const char *const *files, size_t nfiles, char *err, size_t errlen);
size_t sweep_data_events(sweep_data_t *self);
//  Replay every event as an Envelope (valid during the call).
typedef void (sweep_event_fn)(void *arg, Ofts__Envelope *env);
void sweep_data_each(sweep_data_t *self, sweep_event_fn *fn, void *arg);

//  --- the grid ---------------------------------------------------------------

typedef struct _sweep_grid_t sweep_grid_t;

sweep_grid_t *sweep_grid_new(void);
void sweep_grid_destroy(sweep_grid_t **self_p);
//  "analyzer.imbalance_threshold=0.5:0.8:0.05" (from:to:step, to included)
//  or "risk.cooldown_minutes=1,3,5" or "analyzer.preset=default,aggressive".
int sweep_grid_add(sweep_grid_t *self, const char *spec, char *err, size_t errlen);
//  One spec a line; blank lines and # comments skipped.
int sweep_grid_load(sweep_grid_t *self, const char *path, char *err, size_t errlen);
size_t sweep_grid_axes(sweep_grid_t *self);
const char *sweep_grid_key(sweep_grid_t *self, size_t axis);
size_t sweep_grid_values(sweep_grid_t *self, size_t axis);
//  Configurations: every combination, the last axis varying fastest.
size_t sweep_grid_size(sweep_grid_t *self);
const char *sweep_grid_value(sweep_grid_t *self, size_t config, size_t axis);
//  The index-th value of an axis.
const char *sweep_grid_value_at(sweep_grid_t *self, size_t axis, size_t index);
//  The axis with this key, or -1.
int sweep_grid_find(sweep_grid_t *self, const char *key);

//  --- running ----------------------------------------------------------------

typedef struct {
    research_summary_t summary;
    int64_t *daily;                 //  net P&L per day (sweep_t days)
} sweep_result_t;

typedef struct _sweep_t sweep_t;

//  Configurations first .. first+count-1 of the grid over base (a config
//  root, borrowed). -1 with err when one of them is not a valid config.
sweep_t *sweep_new(json_t *base, sweep_grid_t *grid, size_t first, size_t count, char *err, size_t errlen);
void sweep_destroy(sweep_t **self_p);
//  Metrics groups formed (distinct metrics configurations).
size_t sweep_groups(sweep_t *self);
//  The most book levels any configuration's analyzer reads.
size_t sweep_depth_levels(sweep_t *self);
//  Run everything on jobs threads; progress on stderr when asked.
void sweep_run(sweep_t *self, sweep_data_t *data, int jobs, bool progress);
size_t sweep_count(sweep_t *self);
size_t sweep_first(sweep_t *self);                               //  grid index of result 0
const sweep_result_t *sweep_result(sweep_t *self, size_t i);     //  i in 0 .. count-1
size_t sweep_days(sweep_t *self, const int64_t **opens);
const risk_config_t *sweep_risk_config(sweep_t *self, size_t i);

//  Outputs: one row per configuration, index = grid index.
void sweep_write_csv(sweep_t *self, FILE *out);
void sweep_write_json(sweep_t *self, FILE *out);
//  The page: a heatmap of axes ax x ay (best net P&L over the other axes)
//  and the table, sortable by any column.
void sweep_write_html(sweep_t *self, sweep_grid_t *grid, size_t ax, size_t ay, FILE *out);

//  Join shard outputs (CSV or JSON, all of one kind) into out: rows sorted
//  by configuration, each exactly once. -1 with err.
int sweep_merge(const char *const *paths, size_t n, FILE *out, char *err, size_t errlen);

#endif
