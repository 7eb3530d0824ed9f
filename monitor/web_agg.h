/*  web_agg - what the web view shows, aggregated from bus messages. Pure:
    fed messages and the time, it keeps per traded contract footprint bars
    (bid x ask volume per price, delta, cumulative delta, VWAP), heatmap
    columns of resting size per price level (from md.depth, else md.bbo)
    and trades grouped per push; and the panels: signals (approved or
    rejected with the reason), orders, fills, positions with entry, stop and
    target, the five metrics against the analyzer thresholds, the account and
    risk state, service health, restarts and bus gaps.

    web_agg_snapshot() is everything kept (a new browser's first message);
    web_agg_update() is what changed since the previous update (NULL when
    nothing did). Both carry the update sequence number they are consistent
    with, so a browser applies updates after its snapshot in order.        */
#ifndef OFTS_WEB_AGG_H
#define OFTS_WEB_AGG_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "health.h"
#include "ofts.pb-c.h"

typedef struct _web_agg_t web_agg_t;

//  The five metrics' thresholds for one root (shown on the gauges).
typedef struct {
    double imbalance, aggressive, depth, intensity;
    int64_t cumulative_delta;
    double min_confidence;
} web_thresholds_t;

typedef struct {
    int64_t bar_ns;                 //  footprint bar length (event time)
    int64_t column_ns;              //  heatmap column length (event time)
    int64_t daily_loss_cents;       //  for "distance to the daily loss limit" (0 = unknown)
} web_agg_config_t;

web_agg_t *web_agg_new(const web_agg_config_t *config);
void web_agg_destroy(web_agg_t **self_p);
//  Thresholds for a symbol root (copied).
void web_agg_set_thresholds(web_agg_t *self, const char *root, const web_thresholds_t *t);
void web_agg_set_daily_loss(web_agg_t *self, int64_t cents);
void web_agg_on_message(web_agg_t *self, const char *topic, const Ofts__Envelope *env, int64_t now_ns);
void web_agg_on_gap(web_agg_t *self, const char *source, uint64_t missing);
//  Health is owned by the monitor; the aggregator reads it when it renders.
void web_agg_set_health(web_agg_t *self, health_t *health);
//  Mark the panels changed (health ages with time, not with messages).
void web_agg_touch(web_agg_t *self);
//  The number of the last update produced.
uint64_t web_agg_seq(web_agg_t *self);
//  Where a message's text goes (json_dump_callback's signature): 0, or -1
//  to stop.
typedef int web_agg_sink_fn(const char *data, size_t size, void *arg);
//  The snapshot / the next update as JSON text, written to sink: 0, -1 when
//  the sink failed; the update 1 (nothing written) when nothing changed.
int web_agg_snapshot_write(web_agg_t *self, int64_t now_ns, web_agg_sink_fn *sink, void *arg);
int web_agg_update_write(web_agg_t *self, int64_t now_ns, web_agg_sink_fn *sink, void *arg);
//  The same parsed (NULL: nothing changed): for tests and tools.
json_t *web_agg_snapshot(web_agg_t *self, int64_t now_ns);
json_t *web_agg_update(web_agg_t *self, int64_t now_ns);

#endif
