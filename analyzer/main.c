/*  ofts-analyzer - the thin shell around of_engine (of_engine.h).

    Listens to gateway-md's md.trade. / md.bbo. / md.book. topics, feeds each
    envelope to the core, and publishes:
      of.signal.<SYM>.   every signal, immediately (plus its metrics), and one
                         log line with the reasons;
      of.metrics.<SYM>.  at most analyzer.metrics_per_second per contract
                         (wall-clock throttle; the latest value is flushed by
                         a timer, so the last state is never withheld).
    With bus.endpoints.analyzer.ctl set it also answers snapshot requests
    (latest metrics per contract, last signal per contract).
    Output headers keep the input's ts_event and ts_recv. Lost md messages
    need no re-sync here: every TopOfBook/Depth is a complete book, and a
    missed trade only leaves the window (the bus logs the gap).           */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "of_engine.h"
#include "ofts_clock.h"
#include "ofts_instrument.h"
#include "ofts_log.h"
#include "ofts_service.h"

#define MAX_THROTTLE 64

//  Publishing state of one contract's metrics.
typedef struct {
    char contract[32];
    int64_t last_pub_mono;
    bool pending;
    Ofts__Metrics metrics;          //  shallow copy: strings live in the engine
    int64_t ts_event, ts_recv;
    uint8_t *last_signal;           //  packed, for snapshots; NULL before the first
    size_t last_signal_len;
} s_slot_t;

typedef struct {
    ofts_service_t *svc;
    of_engine_t *engine;
    int64_t interval_ns;            //  0 = publish every update
    int64_t ts_recv;                //  of the envelope being processed
    uint64_t md_seq;                //  its header seq: stamped on what we publish (Header.md_seq)
    s_slot_t slots[MAX_THROTTLE];
    size_t nslots;
    uint64_t last_rejected;
    int64_t last_reject_log;        //  mono ns: reject counts are logged at most every 10 s
} s_analyzer_t;

static s_slot_t *
s_slot(s_analyzer_t *self, const char *contract)
{
    for (size_t i = 0; i < self->nslots; i++)
        if (strcmp(self->slots[i].contract, contract) == 0)
            return &self->slots[i];
    if (self->nslots == MAX_THROTTLE)
        return NULL;
    s_slot_t *slot = &self->slots[self->nslots++];
    memset(slot, 0, sizeof *slot);
    snprintf(slot->contract, sizeof slot->contract, "%s", contract);
    slot->last_pub_mono = INT64_MIN / 2;
    return slot;
}

static void
s_publish_metrics(s_analyzer_t *self, const Ofts__Metrics *metrics, int64_t ts_event, int64_t ts_recv)
{
    //  How far into gateway-md's stream we are: `ofts rerun` knows what we saw.
    Ofts__Header header = OFTS__HEADER__INIT;
    header.md_seq = self->md_seq;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.header = &header;
    env.body_case = OFTS__ENVELOPE__BODY_METRICS;
    env.metrics = (Ofts__Metrics *) metrics;
    char topic[64];
    ofts_topic(topic, sizeof topic, "of.metrics", metrics->symbol);
    ofts_bus_publish_ts(ofts_service_bus(self->svc), topic, &env, ts_event, ts_recv);
}

static void
s_on_metrics(void *arg, const Ofts__Metrics *metrics, int64_t ts_event)
{
    s_analyzer_t *self = arg;
    s_slot_t *slot = s_slot(self, metrics->contract);
    int64_t now = ofts_clock_mono_ns();
    if (!slot || now - slot->last_pub_mono >= self->interval_ns) {
        s_publish_metrics(self, metrics, ts_event, self->ts_recv);
        if (slot) {
            slot->last_pub_mono = now;
            slot->pending = false;
        }
        return;
    }
    slot->metrics = *metrics;
    slot->ts_event = ts_event;
    slot->ts_recv = self->ts_recv;
    slot->pending = true;
}

static void
s_on_signal(void *arg, const Ofts__Signal *signal, int64_t ts_event)
{
    s_analyzer_t *self = arg;
    //  The metrics the decision saw go out first, unthrottled.
    s_publish_metrics(self, signal->metrics, ts_event, self->ts_recv);
    s_slot_t *slot = s_slot(self, signal->contract);
    if (slot) {
        slot->last_pub_mono = ofts_clock_mono_ns();
        slot->pending = false;
    }
    Ofts__Header header = OFTS__HEADER__INIT;
    header.md_seq = self->md_seq;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.header = &header;
    env.body_case = OFTS__ENVELOPE__BODY_SIGNAL;
    env.signal = (Ofts__Signal *) signal;
    char topic[64];
    ofts_topic(topic, sizeof topic, "of.signal", signal->symbol);
    ofts_bus_publish_ts(ofts_service_bus(self->svc), topic, &env, ts_event, self->ts_recv);
    if (slot) {
        free(slot->last_signal);
        slot->last_signal_len = ofts__signal__get_packed_size(signal);
        slot->last_signal = malloc(slot->last_signal_len);
        ofts__signal__pack(signal, slot->last_signal);
    }
    char entry[32], stop[32], tp[32];
    log_info("signal %s %s %s entry=%s stop=%s tp=%s confidence=%.2f: %s", signal->id,
             signal->contract, signal->direction == OFTS__SIDE__SIDE_BUY ? "BUY" : "SELL",
             ofts_price_str(signal->entry, entry, sizeof entry),
             ofts_price_str(signal->stop, stop, sizeof stop),
             ofts_price_str(signal->take_profit, tp, sizeof tp), signal->confidence, signal->reasons);
}

static void
s_on_message(ofts_service_t *svc, const char *topic, Ofts__Envelope *env, void *arg)
{
    (void) svc;
    (void) topic;
    s_analyzer_t *self = arg;
    self->ts_recv = env->header ? env->header->ts_recv : 0;
    self->md_seq = env->header ? env->header->seq : 0;
    of_engine_envelope(self->engine, env);
}

//  Flush withheld metrics whose interval has passed; report health.
static void
s_on_tick(ofts_service_t *svc, int64_t now_ns, void *arg)
{
    (void) now_ns;
    s_analyzer_t *self = arg;
    int64_t now = ofts_clock_mono_ns();
    for (size_t i = 0; i < self->nslots; i++) {
        s_slot_t *slot = &self->slots[i];
        if (slot->pending && now - slot->last_pub_mono >= self->interval_ns) {
            s_publish_metrics(self, &slot->metrics, slot->ts_event, slot->ts_recv);
            slot->last_pub_mono = now;
            slot->pending = false;
        }
    }
    uint64_t rejected = of_engine_rejected(self->engine);
    if (rejected != self->last_rejected && now - self->last_reject_log >= 10 * OFTS_NS_PER_SEC) {
        self->last_reject_log = now;
        log_warn("rejected %llu market-data messages so far (%llu unknown instrument)",
                 (unsigned long long) rejected, (unsigned long long) of_engine_unknown(self->engine));
        self->last_rejected = rejected;
    }
    ofts_service_set_state(svc, "running: events %llu, signals %llu, contracts %zu",
                           (unsigned long long) of_engine_events(self->engine),
                           (unsigned long long) of_engine_signals(self->engine),
                           of_engine_instruments(self->engine));
}

//  Snapshot (Clone pattern) for a late subscriber such as ofts-monitor: the
//  latest metrics of every contract and the last signal of each, under
//  their topics, filtered by the requested prefix.
static void
s_on_ctl(ofts_service_t *svc, Ofts__Envelope *request, ofts_ctl_t *ctl, void *arg)
{
    s_analyzer_t *self = arg;
    if (request->body_case != OFTS__ENVELOPE__BODY_SNAPSHOT_REQUEST)
        return;                     //  the shell ends the conversation
    const char *prefix = request->snapshot_request->prefix ? request->snapshot_request->prefix : "";
    char topic[64];
    Ofts__Metrics metrics;
    for (size_t i = 0; of_engine_metrics_at(self->engine, i, &metrics); i++) {
        ofts_topic(topic, sizeof topic, "of.metrics", metrics.symbol);
        if (strncmp(topic, prefix, strlen(prefix)) != 0)
            continue;
        Ofts__Envelope env = OFTS__ENVELOPE__INIT;
        env.body_case = OFTS__ENVELOPE__BODY_METRICS;
        env.metrics = &metrics;
        ofts_ctl_reply(ctl, topic, &env);
    }
    for (size_t i = 0; i < self->nslots; i++) {
        s_slot_t *slot = &self->slots[i];
        Ofts__Signal *signal = slot->last_signal
            ? ofts__signal__unpack(NULL, slot->last_signal_len, slot->last_signal) : NULL;
        if (!signal)
            continue;
        ofts_topic(topic, sizeof topic, "of.signal", signal->symbol);
        if (strncmp(topic, prefix, strlen(prefix)) == 0) {
            Ofts__Envelope env = OFTS__ENVELOPE__INIT;
            env.body_case = OFTS__ENVELOPE__BODY_SIGNAL;
            env.signal = signal;
            ofts_ctl_reply(ctl, topic, &env);
        }
        ofts__signal__free_unpacked(signal, NULL);
    }
    ofts_ctl_reply_end(ctl, ofts_bus_seq(ofts_service_bus(svc)));
}

int
main(int argc, char **argv)
{
    ofts_service_t *svc = ofts_service_new("analyzer", argc, argv);
    if (!svc)
        return ofts_service_exit_code();
    if (ofts_service_no_args(svc) != 0) {
        ofts_service_destroy(&svc);
        return OFTS_EXIT_CONFIG;
    }
    ofts_cfgsec_t *sec = ofts_config_section(ofts_service_config(svc), "analyzer");
    of_config_t *config = of_config_new(sec);
    if (ofts_service_config_done(svc, &sec)) {
        of_config_destroy(&config);
        ofts_service_destroy(&svc);
        return OFTS_EXIT_CONFIG;
    }
    if (ofts_service_check_only(svc)) {
        of_config_destroy(&config);
        ofts_service_destroy(&svc);
        return 0;
    }
    s_analyzer_t self = { .svc = svc, .last_reject_log = INT64_MIN / 2 };
    double rate = of_config_metrics_per_sec(config);
    self.interval_ns = rate > 0 ? (int64_t) (OFTS_NS_PER_SEC / rate) : 0;
    self.engine = of_engine_new(config);
    of_engine_set_metrics_fn(self.engine, s_on_metrics, &self);
    of_engine_set_signal_fn(self.engine, s_on_signal, &self);
    int rc = 0;
    //  The snapshot endpoint is optional: only when bus.endpoints.analyzer.ctl is set.
    bool with_ctl = ofts_service_endpoint(svc, "analyzer", "ctl") != NULL;
    static const char *const upstream[] = { "gateway-md" };
    if (ofts_service_listen(svc, "gateway-md", "md.") != 0
        || ofts_service_lockstep(svc, upstream, 1, true) != 0
        || (with_ctl && ofts_service_on_ctl(svc, s_on_ctl, &self) != 0))
        rc = OFTS_EXIT_CONFIG;
    else {
        ofts_service_on_message(svc, s_on_message, &self);
        ofts_service_on_tick(svc, 100, s_on_tick, &self);
        if (rate > 0)
            log_info("preset %s, metrics at most %g/s per contract", of_config_preset(config), rate);
        else
            log_info("preset %s, metrics on every update", of_config_preset(config));
        rc = ofts_service_run(svc);
    }
    for (size_t i = 0; i < self.nslots; i++)
        free(self.slots[i].last_signal);
    of_engine_destroy(&self.engine);
    of_config_destroy(&config);
    ofts_service_destroy(&svc);
    return rc;
}
