/*  web - see web.h.                                                        */
#include "web.h"
#include <malloc.h>
#include <arpa/inet.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "of_config.h"
#include "ofts_clock.h"
#include "ofts_log.h"
#include "risk_config.h"

//  A burst of market data leaves its queue memory (up to the bus HWM of
//  messages, ZeroMQ's and the unpacked envelopes) in malloc's free lists,
//  and RSS would stay at the biggest burst ever seen (bench-web: 39 to 70
//  MB after identical hours). Once a burst of at least TRIM_AFTER messages
//  is over (a tick without market data) that memory goes back to the
//  system, so RSS shows what the web view keeps: its fixed rings.
#define TRIM_AFTER 20000

struct _web_t {
    web_agg_t *agg;
    web_server_t *server;
    int64_t period_ns;
    int64_t next_push_ns;
    int64_t next_touch_ns;
    uint64_t msgs, msgs_at_tick, msgs_at_trim;
    size_t last_size;               //  of the last message: the next one's first buffer
};

//  The directory of this executable (for the page's files and `ofts`).
static void
s_exe_dir(char *buf, size_t size)
{
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0) {
        snprintf(buf, size, ".");
        return;
    }
    path[n] = 0;
    snprintf(buf, size, "%s", dirname(path));
}

//  Section readers that take a NULL section as "all defaults" (tests).
static const char *
s_str(ofts_cfgsec_t *sec, const char *key, const char *def)
{
    return sec ? ofts_cfgsec_string(sec, key, def) : def;
}

static double
s_num(ofts_cfgsec_t *sec, const char *key, double def)
{
    return sec ? ofts_cfgsec_double(sec, key, def) : def;
}

void
web_config_read(web_config_t *cfg, ofts_cfgsec_t *sec)
{
    memset(cfg, 0, sizeof *cfg);
    char dir[PATH_MAX];
    s_exe_dir(dir, sizeof dir);
    const char *token = getenv("OFTS_WEB_TOKEN");
    snprintf(cfg->listen, sizeof cfg->listen, "%s", s_str(sec, "listen", "127.0.0.1:8080"));
    cfg->max_hz = s_num(sec, "max_hz", 4);
    cfg->agg.bar_ns = (int64_t) (s_num(sec, "bar_seconds", 60) * 1e9);
    cfg->agg.column_ns = (int64_t) s_num(sec, "column_ms", 1000) * OFTS_NS_PER_MS;
    //  The token is better in the environment than in a config file.
    snprintf(cfg->token, sizeof cfg->token, "%s",
             token && *token ? token : s_str(sec, "token", ""));
    cfg->commands = sec && ofts_cfgsec_bool(sec, "commands", false);
    char def[PATH_MAX + 32];
    snprintf(def, sizeof def, "%s/../share/ofts/web", dir);
    snprintf(cfg->static_dir, sizeof cfg->static_dir, "%s", s_str(sec, "static_dir", def));
    snprintf(cfg->ofts_bin, sizeof cfg->ofts_bin, "%s/ofts", dir);
    if (sec && (cfg->max_hz <= 0 || cfg->max_hz > 50))
        ofts_cfgsec_fail(sec, "max_hz", "must be in (0, 50]");
    if (sec && (cfg->agg.bar_ns < OFTS_NS_PER_MS * 100 || cfg->agg.column_ns < OFTS_NS_PER_MS * 10))
        ofts_cfgsec_fail(sec, "bar_seconds", "bar_seconds >= 0.1 and column_ms >= 10");
}

int
web_config_thresholds(web_agg_t *agg, ofts_config_t *config, char *err, size_t errlen)
{
    ofts_cfgsec_t *sec = ofts_config_section(config, "analyzer");
    of_config_t *of = of_config_new(sec);
    for (size_t i = 0; i < ofts_instrument_count(); i++) {
        const ofts_instrument_t *ins = ofts_instrument_at(i);
        const of_params_t *p = of_config_params(of, ins);
        web_thresholds_t t = { .imbalance = p->imbalance_threshold, .aggressive = p->aggressive_ratio_threshold,
                               .depth = p->depth_imbalance_threshold, .intensity = p->intensity_ratio_threshold,
                               .cumulative_delta = p->cumulative_delta_threshold,
                               .min_confidence = (double) p->min_confidence / OF_PPM };
        web_agg_set_thresholds(agg, ins->root, &t);
    }
    of_config_destroy(&of);
    if (ofts_cfgsec_finish(&sec, err, errlen) != 0)
        return -1;
    risk_config_t rc;
    risk_config_defaults(&rc);
    sec = ofts_config_section(config, "risk");
    risk_config_read(&rc, sec);
    web_agg_set_daily_loss(agg, rc.daily_loss_limit_cents);
    //  risk's own service keys (clock ...) are not risk_config's: risk checks
    //  its section itself, so the answer here is not ours to judge.
    ofts_cfgsec_finish(&sec, err, errlen);
    return 0;
}

static bool
s_loopback(const char *host)
{
    struct in_addr a;
    return strcmp(host, "localhost") == 0 || (inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127);
}

//  "HOST:PORT" -> host, port; false on junk.
static bool
s_split(const char *listen, char *host, size_t size, int *port)
{
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || (size_t) (colon - listen) >= size)
        return false;
    memcpy(host, listen, (size_t) (colon - listen));
    host[colon - listen] = 0;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 0 || p > 65535)
        return false;
    *port = (int) p;
    return true;
}

web_t *
web_new(const web_config_t *cfg, health_t *health, ofts_config_t *config)
{
    char host[96], err[512];
    int port;
    if (!s_split(cfg->listen, host, sizeof host, &port)) {
        log_error("web: --web wants HOST:PORT, not '%s'", cfg->listen);
        return NULL;
    }
    //  Off loopback anyone on the network could watch: a token is the price.
    if (!s_loopback(host) && !*cfg->token) {
        log_error("web: %s is not loopback: set OFTS_WEB_TOKEN (or monitor.web.token)", host);
        return NULL;
    }
    if (cfg->commands && !*cfg->token) {
        log_error("web: --web-commands needs a token: set OFTS_WEB_TOKEN (or monitor.web.token)");
        return NULL;
    }
    web_t *self = calloc(1, sizeof *self);
    self->agg = web_agg_new(&cfg->agg);
    self->period_ns = (int64_t) (1e9 / cfg->max_hz);
    web_agg_set_health(self->agg, health);
    if (config && web_config_thresholds(self->agg, config, err, sizeof err) != 0)
        log_warn("web: no thresholds on the gauges: %s", err);
    web_server_config_t sc = { .host = host, .port = port, .static_dir = cfg->static_dir,
                               .token = cfg->token, .commands = cfg->commands, .ofts_bin = cfg->ofts_bin,
                               .config_path = *cfg->config_path ? cfg->config_path : NULL };
    self->server = web_server_new(&sc);
    if (!self->server) {
        web_destroy(&self);
        return NULL;
    }
    return self;
}

void
web_destroy(web_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    web_t *self = *self_p;
    web_server_destroy(&self->server);
    web_agg_destroy(&self->agg);
    free(self);
    *self_p = NULL;
}

void
web_on_message(web_t *self, const char *topic, const Ofts__Envelope *env, int64_t now_ns)
{
    self->msgs += strncmp(topic, "md.", 3) == 0;
    web_agg_on_message(self->agg, topic, env, now_ns);
}

void
web_on_gap(web_t *self, const char *source, uint64_t missing)
{
    web_agg_on_gap(self->agg, source, missing);
}

//  Written straight into the buffer every client is sent from. False when
//  there was nothing to send (an update with no change).
static bool
s_send(web_t *self, bool snapshot, int64_t now_ns)
{
    web_text_t *text = web_text_new(self->last_size);
    if (!text)
        return false;
    int rc = snapshot ? web_agg_snapshot_write(self->agg, now_ns, web_text_append, text)
                      : web_agg_update_write(self->agg, now_ns, web_text_append, text);
    if (rc != 0) {
        web_text_destroy(&text);
        return rc > 0 ? false : !snapshot;     //  a failed update still counts: its seq is gone
    }
    self->last_size = web_text_len(text) + web_text_len(text) / 8;
    if (snapshot)
        web_server_push_snapshot_text(self->server, web_agg_seq(self->agg), &text);
    else
        web_server_push_update_text(self->server, web_agg_seq(self->agg), &text);
    return true;
}

void
web_tick(web_t *self, int64_t now_ns)
{
    if (now_ns >= self->next_touch_ns) {
        web_agg_touch(self->agg);   //  health ages with time
        self->next_touch_ns = now_ns + 1000 * OFTS_NS_PER_MS;
    }
    //  Updates fall due on a grid of periods and go at the first tick within
    //  an eighth of a period of that: the ticks (at half the period) come late
    //  by however long the drain they waited for took, and "a period after
    //  the last push" missed its tick whenever that tick was less late, so
    //  an update waited a whole tick more (375 ms at 4 Hz, 2.7 a second).
    if (now_ns + self->period_ns / 8 >= self->next_push_ns && s_send(self, false, now_ns)) {
        self->next_push_ns += self->period_ns;
        if (self->next_push_ns <= now_ns)       //  the first, or after a quiet spell
            self->next_push_ns = now_ns + self->period_ns;
    }
    //  After the update: the snapshot then holds everything up to its seq.
    if (web_server_wants_snapshot(self->server))
        s_send(self, true, now_ns);
    if (self->msgs == self->msgs_at_tick && self->msgs - self->msgs_at_trim >= TRIM_AFTER) {
        malloc_trim(0);
        //  What is really in use (RSS adds what fragmentation keeps): the
        //  figure to watch for growth over hours (bench-web reads it).
        struct mallinfo2 mi = mallinfo2();
        log_info("web: burst of %llu md messages over, malloc trimmed: heap in use %zu kB",
                 (unsigned long long) (self->msgs - self->msgs_at_trim), (mi.uordblks + mi.hblkhd) / 1024);
        self->msgs_at_trim = self->msgs;
    }
    self->msgs_at_tick = self->msgs;
}

int
web_port(web_t *self)
{
    return web_server_port(self->server);
}

web_agg_t *
web_agg(web_t *self)
{
    return self->agg;
}
