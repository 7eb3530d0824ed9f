/*  web - `ofts-monitor --web HOST:PORT`: the aggregator (web_agg) fed from
    the bus, and the server (web_server) it feeds at a bounded rate. The
    monitor calls web_on_message for every message and web_tick on its
    timer; an update goes out at most max_hz times a second, whatever the
    feed does, and a snapshot whenever a new browser waits for one.        */
#ifndef OFTS_WEB_H
#define OFTS_WEB_H
#include "health.h"
#include "ofts_config.h"
#include "web_agg.h"
#include "web_server.h"

typedef struct _web_t web_t;

typedef struct {
    char listen[128];               //  "127.0.0.1:8080"
    double max_hz;                  //  update rate bound per browser
    web_agg_config_t agg;
    char token[256];
    bool commands;
    char static_dir[512];
    char ofts_bin[512];
    char config_path[512];
} web_config_t;

//  Read section monitor.web (sec may be NULL) over the defaults; problems are
//  recorded on sec. `listen` (from --web) overrides the section when given.
void web_config_read(web_config_t *cfg, ofts_cfgsec_t *sec);
//  The analyzer thresholds and the daily loss limit, from the config file.
int web_config_thresholds(web_agg_t *agg, ofts_config_t *config, char *err, size_t errlen);
//  Checks (loopback or token; commands need a token) then starts listening.
web_t *web_new(const web_config_t *cfg, health_t *health, ofts_config_t *config);
void web_destroy(web_t **self_p);
void web_on_message(web_t *self, const char *topic, const Ofts__Envelope *env, int64_t now_ns);
void web_on_gap(web_t *self, const char *source, uint64_t missing);
void web_tick(web_t *self, int64_t now_ns);
int web_port(web_t *self);
web_agg_t *web_agg(web_t *self);

#endif
