/*  rec_rerun - see rec_rerun.h.                                          */
#include "rec_rerun.h"
#include "of_engine.h"
#include "ofts_clock.h"
#include "ofts_config.h"
#include "ofts_bus.h"
#include "ofts_msg.h"
#include "rec_scan.h"
#include "risk_engine.h"
#include <czmq.h>

#define REWIND_SLACK_NS OFTS_NS_PER_SEC         //  as ofts-risk
#define TICK_NS (100 * OFTS_NS_PER_MS)

//  A message made by the re-run, packed, waiting for its recorded twin.
typedef struct {
    char topic[96];
    char id[136];                   //  signal id
    int64_t ts_event;
    uint8_t *bytes;                 //  packed Envelope (header: ts_event only)
    size_t len;
    uint64_t seq;                   //  header seq (risk-bound md)
    uint64_t md_seq;                //  recorded decision: the md risk had seen (Header.md_seq)
    uint64_t exec_seq;              //  and the exec.* (Header.exec_seq)
    bool judged;                    //  recorded decision: its signal was handed to risk
    bool recorded;                  //  from the recording: where
    char path[512];
    uint64_t offset;
    int64_t recv_ns;
} s_item_t;

struct _rec_rerun_t {
    bool aligned;
    of_config_t *acfg;
    of_engine_t *engine;
    risk_engine_t *risk;
    bool market_clock;
    int64_t market_ns, next_alive_ns, next_tick_ns, now;
    int64_t cur_recv;
    bool reconciled;
    zlistx_t *signals;              //  s_item_t*: re-run, not yet matched
    zlistx_t *decisions;
    zlistx_t *rec_signals;          //  recorded, not yet matched (the recorder may read
    zlistx_t *rec_decisions;        //  one publisher's pipe ahead of another's)
    zlistx_t *risk_md;              //  aligned: md for risk, held until a decision says how far
    zlistx_t *judge;                //  aligned: signals (ours) waiting for risk
    uint64_t md_seen;               //  highest gateway-md seq in the recording so far
    uint64_t exec_seen;             //  and gateway-order seq
    uint64_t md_cur;                //  seq of the md the analyzer core is processing
    uint64_t analyzer_reach;        //  highest md_seq stamped on a recorded analyzer output
    bool finishing;
    zhashx_t *recorded_sig, *recorded_dec, *seen_coids;       //  free mode / duplicates
    const char *judging;
    rec_rerun_line_fn *line_fn;
    void *line_arg;
    rec_rerun_result_t result;
};

static void
s_item_free(void **item)
{
    s_item_t *it = *item;
    if (it) {
        free(it->bytes);
        free(it);
    }
    *item = NULL;
}

static s_item_t *
s_item(const char *topic, const char *id, int64_t ts_event, Ofts__Envelope *env)
{
    s_item_t *it = calloc(1, sizeof *it);
    snprintf(it->topic, sizeof it->topic, "%s", topic);
    snprintf(it->id, sizeof it->id, "%s", id ? id : "");
    it->ts_event = ts_event;
    it->len = ofts__envelope__get_packed_size(env);
    it->bytes = malloc(it->len ? it->len : 1);
    ofts__envelope__pack(env, it->bytes);
    return it;
}

//  --- what the cores say ---------------------------------------------------------

static void s_to_risk(rec_rerun_t *self, const Ofts__Signal *sig);

static void
s_on_signal(void *arg, const Ofts__Signal *signal, int64_t ts_event)
{
    rec_rerun_t *self = arg;
    self->result.signals_rerun++;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_SIGNAL;
    env.signal = (Ofts__Signal *) signal;
    char topic[96];
    s_item_t *it = s_item(ofts_topic(topic, sizeof topic, "of.signal", signal->symbol), signal->id, ts_event, &env);
    it->seq = self->md_cur;
    zlistx_add_end(self->signals, it);
    if (!self->aligned)
        s_to_risk(self, signal);
}

static void
s_on_order(void *arg, const Ofts__OrderRequest *req)
{
    rec_rerun_t *self = arg;
    self->result.decisions_rerun++;
    self->result.approvals_rerun++;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_ORDER_REQUEST;
    env.order_request = (Ofts__OrderRequest *) req;
    char topic[96];
    zlistx_add_end(self->decisions, s_item(ofts_topic(topic, sizeof topic, "risk.order", req->symbol),
                                           req->signal_id, self->now, &env));
}

static void
s_on_reject(void *arg, const Ofts__RiskReject *rej)
{
    rec_rerun_t *self = arg;
    self->result.decisions_rerun++;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_RISK_REJECT;
    env.risk_reject = (Ofts__RiskReject *) rej;
    char topic[96];
    zlistx_add_end(self->decisions, s_item(ofts_topic(topic, sizeof topic, "risk.reject",
                                                      rej->symbol && *rej->symbol ? rej->symbol : "_"),
                                           rej->signal_id, self->now, &env));
}

//  --- set-up ------------------------------------------------------------------------

rec_rerun_t *
rec_rerun_new(const char *config_text, const char *name, bool aligned, char *err, size_t errlen)
{
    ofts_config_t *cfg = ofts_config_parse(config_text, name, err, errlen);
    if (!cfg)
        return NULL;
    rec_rerun_t *self = calloc(1, sizeof *self);
    self->aligned = aligned;
    ofts_cfgsec_t *a = ofts_config_section(cfg, "analyzer");
    self->acfg = of_config_new(a);
    ofts_cfgsec_t *r = ofts_config_section(cfg, "risk");
    risk_config_t rcfg;
    risk_config_defaults(&rcfg);
    risk_config_read(&rcfg, r);
    self->market_clock = strcmp(ofts_cfgsec_string(r, "clock", "wall"), "market") == 0;
    ofts_cfgsec_t *bus = ofts_config_section(cfg, "bus");
    rcfg.heartbeat_timeout_ns = ofts_cfgsec_int(bus, "heartbeat_timeout_ms", 3500) * OFTS_NS_PER_MS;
    int rc = ofts_cfgsec_finish(&a, err, errlen);
    if (rc == 0)
        rc = ofts_cfgsec_finish(&r, err, errlen);
    ofts_cfgsec_finish(&a, NULL, 0);
    ofts_cfgsec_finish(&r, NULL, 0);
    ofts_cfgsec_finish(&bus, NULL, 0);  //  only heartbeat_timeout_ms is ours here
    ofts_config_destroy(&cfg);
    if (rc != 0) {
        of_config_destroy(&self->acfg);
        free(self);
        return NULL;
    }
    self->engine = of_engine_new(self->acfg);
    of_engine_set_signal_fn(self->engine, s_on_signal, self);
    risk_engine_callbacks_t cb = { .order = s_on_order, .reject = s_on_reject };
    self->risk = risk_engine_new(&rcfg, &cb, self);
    self->signals = zlistx_new();
    zlistx_set_destructor(self->signals, s_item_free);
    self->decisions = zlistx_new();
    zlistx_set_destructor(self->decisions, s_item_free);
    self->rec_signals = zlistx_new();
    zlistx_set_destructor(self->rec_signals, s_item_free);
    self->rec_decisions = zlistx_new();
    zlistx_set_destructor(self->rec_decisions, s_item_free);
    self->risk_md = zlistx_new();
    zlistx_set_destructor(self->risk_md, s_item_free);
    self->judge = zlistx_new();
    zlistx_set_destructor(self->judge, s_item_free);
    self->recorded_sig = zhashx_new();
    zhashx_set_destructor(self->recorded_sig, s_item_free);
    self->recorded_dec = zhashx_new();
    zhashx_set_destructor(self->recorded_dec, s_item_free);
    self->seen_coids = zhashx_new();
    return self;
}

void
rec_rerun_destroy(rec_rerun_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rec_rerun_t *self = *self_p;
    risk_engine_destroy(&self->risk);
    of_engine_destroy(&self->engine);
    of_config_destroy(&self->acfg);
    zlistx_destroy(&self->signals);
    zlistx_destroy(&self->decisions);
    zlistx_destroy(&self->rec_signals);
    zlistx_destroy(&self->rec_decisions);
    zlistx_destroy(&self->risk_md);
    zlistx_destroy(&self->judge);
    zhashx_destroy(&self->recorded_sig);
    zhashx_destroy(&self->recorded_dec);
    zhashx_destroy(&self->seen_coids);
    free(self);
    *self_p = NULL;
}

void
rec_rerun_set_line_fn(rec_rerun_t *self, rec_rerun_line_fn *fn, void *arg)
{
    self->line_fn = fn;
    self->line_arg = arg;
}

void
rec_rerun_set_verdict_fn(rec_rerun_t *self, risk_rule_verdict_fn *fn, void *arg)
{
    risk_engine_set_verdict_fn(self->risk, fn, arg);
}

const char *rec_rerun_judging(rec_rerun_t *self) { return self->judging; }
const rec_rerun_result_t *rec_rerun_result(rec_rerun_t *self) { return &self->result; }

//  --- risk's clock, as ofts-risk keeps it --------------------------------------------

//  false: md older than the market clock (a replay that restarted), ignored.
static bool
s_market_time(rec_rerun_t *self, const Ofts__Envelope *env)
{
    if (!self->market_clock || (env->body_case != OFTS__ENVELOPE__BODY_TRADE
                                && env->body_case != OFTS__ENVELOPE__BODY_BBO))
        return true;
    int64_t ts = env->header->ts_event;
    if (self->market_ns && ts < self->market_ns - REWIND_SLACK_NS)
        return false;
    if (ts > self->market_ns)
        self->market_ns = ts;
    if (self->market_ns >= self->next_alive_ns) {
        Ofts__Heartbeat hb = OFTS__HEARTBEAT__INIT;
        hb.service = "gateway-md";
        risk_engine_on_heartbeat(self->risk, &hb, self->market_ns);
        self->next_alive_ns = self->market_ns + TICK_NS;
    }
    return true;
}

static void
s_clock(rec_rerun_t *self)
{
    self->now = self->market_clock && self->market_ns ? self->market_ns : self->cur_recv;
    if (!self->reconciled) {
        //  The live risk reconciled with gateway-order's snapshot when it
        //  started; a recording that starts with the session starts flat.
        risk_engine_reconcile_begin(self->risk);
        risk_engine_reconcile_end(self->risk, self->now);
        self->reconciled = true;
    }
    if (self->now >= self->next_tick_ns) {
        risk_engine_tick(self->risk, self->now);
        self->next_tick_ns = self->now + TICK_NS;
    }
}

static void
s_to_risk(rec_rerun_t *self, const Ofts__Signal *sig)
{
    s_clock(self);
    self->judging = sig->id;
    risk_engine_on_signal(self->risk, sig, self->now);
    self->judging = NULL;
}

//  One market-data message into risk, on its clock.
static void
s_risk_md(rec_rerun_t *self, const Ofts__Envelope *env)
{
    if (s_market_time(self, env)) {
        s_clock(self);
        risk_engine_on_envelope(self->risk, env, self->now);
    }
}

//  Aligned: the held md and exec.* into risk, in recorded order, each stream
//  up to the seq risk had applied of it (md_upto, exec_upto; later ones wait).
static void
s_feed_md(rec_rerun_t *self, uint64_t md_upto, uint64_t exec_upto)
{
    s_item_t *it = zlistx_first(self->risk_md);
    while (it) {
        bool exec = strncmp(it->topic, "exec.", 5) == 0;
        if (it->seq > (exec ? exec_upto : md_upto)) {
            it = zlistx_next(self->risk_md);
            continue;
        }
        Ofts__Envelope *env = ofts__envelope__unpack(NULL, it->len, it->bytes);
        if (env)
            s_risk_md(self, env);
        if (env)
            ofts__envelope__free_unpacked(env, NULL);
        void *handle = zlistx_cursor(self->risk_md);
        it = zlistx_next(self->risk_md);
        zlistx_delete(self->risk_md, handle);
    }
}

//  A recorded risk message other than a decision (account state, flatten
//  command) says how far into the md risk was: catch up to there, unless a
//  decision still waits for its signal (it must see only its own md).
static void
s_risk_progress(rec_rerun_t *self, uint64_t md_seq, uint64_t exec_seq)
{
    if (!md_seq || md_seq > self->md_seen || exec_seq > self->exec_seen || zlistx_size(self->judge))
        return;
    for (s_item_t *r = zlistx_first(self->rec_decisions); r; r = zlistx_next(self->rec_decisions))
        if (!r->judged)
            return;
    s_feed_md(self, md_seq, exec_seq);
}

//  Aligned: the next waiting signal to risk, after exactly the md the live
//  risk had applied (the decision's md_seq), at the decision's time.
static void
s_judge_next(rec_rerun_t *self, const s_item_t *decision)
{
    s_item_t *it = zlistx_first(self->judge);
    s_feed_md(self, decision ? decision->md_seq : UINT64_MAX, decision ? decision->exec_seq : UINT64_MAX);
    Ofts__Envelope *env = ofts__envelope__unpack(NULL, it->len, it->bytes);
    if (env && env->signal) {
        s_clock(self);
        if (decision && decision->ts_event)
            self->now = decision->ts_event;
        self->judging = env->signal->id;
        risk_engine_on_signal(self->risk, env->signal, self->now);
        self->judging = NULL;
    }
    if (env)
        ofts__envelope__free_unpacked(env, NULL);
    zlistx_first(self->judge);
    zlistx_delete(self->judge, zlistx_cursor(self->judge));
}

//  --- comparing ----------------------------------------------------------------------

static char *
s_line(const uint8_t *bytes, size_t len, const char *topic)
{
    Ofts__Envelope *env = ofts__envelope__unpack(NULL, len, bytes);
    char *line = env ? ofts_msg_to_line(env, topic) : strdup("(undecodable)");
    if (env)
        ofts__envelope__free_unpacked(env, NULL);
    return line;
}

static void
s_differ(rec_rerun_t *self, const char *what, const s_item_t *recorded, const s_item_t *mine)
{
    self->result.differences++;
    char when[64] = "-";
    if (recorded && recorded->recv_ns)
        ofts_clock_format(recorded->recv_ns, when, sizeof when);
    char *a = recorded ? s_line(recorded->bytes, recorded->len, recorded->topic) : strdup("(nothing)");
    char *b = mine ? s_line(mine->bytes, mine->len, mine->topic) : strdup("(nothing)");
    char text[sizeof self->result.first];
    if (recorded && recorded->path[0])
        snprintf(text, sizeof text, "%s (recorded at %s, %s offset %llu):\n  recorded: %s\n  re-run:   %s", what,
                 when, recorded->path, (unsigned long long) recorded->offset, a, b);
    else
        snprintf(text, sizeof text, "%s:\n  recorded: %s\n  re-run:   %s", what, a, b);
    if (!self->result.first[0])
        snprintf(self->result.first, sizeof self->result.first, "%s", text);
    if (self->line_fn)
        self->line_fn(self->line_arg, text);
    free(a);
    free(b);
}

//  Same body (headers aside), and the same event time when asked.
static bool
s_same(const s_item_t *x, const s_item_t *y, bool with_time)
{
    Ofts__Envelope *a = ofts__envelope__unpack(NULL, x->len, x->bytes);
    Ofts__Envelope *b = ofts__envelope__unpack(NULL, y->len, y->bytes);
    bool same = false;
    if (a && b) {
        Ofts__Envelope ca = *a, cb = *b;
        ca.header = cb.header = NULL;
        size_t la = ofts__envelope__get_packed_size(&ca), lb = ofts__envelope__get_packed_size(&cb);
        if (la == lb) {
            uint8_t *pa = malloc(la + 1), *pb = malloc(lb + 1);
            ofts__envelope__pack(&ca, pa);
            ofts__envelope__pack(&cb, pb);
            same = memcmp(pa, pb, la) == 0;
            free(pa);
            free(pb);
        }
    }
    if (a)
        ofts__envelope__free_unpacked(a, NULL);
    if (b)
        ofts__envelope__free_unpacked(b, NULL);
    return same && (!with_time || x->ts_event == y->ts_event);
}

static s_item_t *
s_recorded_item(const char *path, const rec_record_t *rec, const char *topic, const char *id, Ofts__Envelope *env)
{
    s_item_t *it = s_item(topic, id, env->header->ts_event, env);
    it->recorded = true;
    snprintf(it->path, sizeof it->path, "%s", path ? path : "");
    it->offset = rec->offset;
    it->recv_ns = rec->recv_ns;
    return it;
}

//  Aligned mode: pair recorded and re-run signals in order; each pair's
//  signal (ours) goes to risk at that point.
static void
s_pair(rec_rerun_t *self)
{
    s_item_t *r, *mine;
    while ((r = zlistx_first(self->rec_signals)) && (mine = zlistx_first(self->signals))) {
        if (s_same(r, mine, true))
            self->result.signals_equal++;
        else
            s_differ(self, "signal differs", r, mine);
        zlistx_detach_cur(self->signals);
        zlistx_add_end(self->judge, mine);
        zlistx_first(self->rec_signals);
        zlistx_delete(self->rec_signals, zlistx_cursor(self->rec_signals));
    }
    //  Each recorded decision says when its signal was judged.
    //  Not before the recording has shown the md it saw (the recorder may
    //  read risk's pipe ahead of gateway-md's).
    for (r = zlistx_first(self->rec_decisions); r && zlistx_size(self->judge); r = zlistx_next(self->rec_decisions))
        if (!r->judged && ((r->md_seq <= self->md_seen && r->exec_seq <= self->exec_seen) || self->finishing)) {
            r->judged = true;
            s_judge_next(self, r);
        }
    while ((r = zlistx_first(self->rec_decisions)) && r->judged && (mine = zlistx_first(self->decisions))) {
        if (s_same(r, mine, false))
            self->result.decisions_equal++;
        else
            s_differ(self, "risk decision differs", r, mine);
        zlistx_delete(self->decisions, zlistx_cursor(self->decisions));
        zlistx_first(self->rec_decisions);
        zlistx_delete(self->rec_decisions, zlistx_cursor(self->rec_decisions));
    }
}

static void
s_recorded_signal(rec_rerun_t *self, const char *path, const rec_record_t *rec, const char *topic,
                  Ofts__Envelope *env)
{
    self->result.signals_recorded++;
    s_item_t *it = s_recorded_item(path, rec, topic, env->signal->id, env);
    if (self->aligned)
        zlistx_add_end(self->rec_signals, it);
    else
        zhashx_update(self->recorded_sig, it->id, it);
}

static void
s_recorded_decision(rec_rerun_t *self, const char *path, const rec_record_t *rec, const char *topic,
                    Ofts__Envelope *env)
{
    const char *id = env->body_case == OFTS__ENVELOPE__BODY_ORDER_REQUEST ? env->order_request->signal_id
                                                                          : env->risk_reject->signal_id;
    if (env->body_case == OFTS__ENVELOPE__BODY_ORDER_REQUEST) {
        //  risk re-publishes an approval gateway-order never listed: the same order again.
        const char *coid = env->order_request->client_order_id ? env->order_request->client_order_id : "";
        if (zhashx_lookup(self->seen_coids, coid))
            return;
        zhashx_insert(self->seen_coids, coid, (void *) 1);
        self->result.approvals_recorded++;
    }
    self->result.decisions_recorded++;
    s_item_t *it = s_recorded_item(path, rec, topic, id, env);
    it->md_seq = env->header->md_seq;
    it->exec_seq = env->header->exec_seq;
    if (self->aligned)
        zlistx_add_end(self->rec_decisions, it);
    else
        zhashx_update(self->recorded_dec, it->id, it);
}

void
rec_rerun_record(rec_rerun_t *self, const char *path, const rec_record_t *rec)
{
    if (rec->type != REC_MESSAGE)
        return;
    char topic[256];
    snprintf(topic, sizeof topic, "%.*s", (int) (rec->topic_len < 255 ? rec->topic_len : 255), rec->topic);
    bool md = strncmp(topic, "md.", 3) == 0, sig = strncmp(topic, "of.signal.", 10) == 0;
    bool dec = strncmp(topic, "risk.order.", 11) == 0 || strncmp(topic, "risk.reject.", 12) == 0;
    bool risk_out = strncmp(topic, "risk.account.", 13) == 0 || strncmp(topic, "risk.command.", 13) == 0;
    bool risk_in = strncmp(topic, "md.trade.", 9) == 0 || strncmp(topic, "md.bbo.", 7) == 0
                   || strncmp(topic, "exec.", 5) == 0 || strcmp(topic, "sys.heartbeat.gateway-md.") == 0;
    if (!md && !sig && !dec && !risk_in && !risk_out && strncmp(topic, "of.metrics.", 11) != 0)
        return;
    Ofts__Envelope *env = ofts__envelope__unpack(NULL, rec->payload_len, rec->payload);
    if (!env || !env->header) {
        if (env)
            ofts__envelope__free_unpacked(env, NULL);
        return;
    }
    self->cur_recv = rec->recv_ns;
    if (env->header->source && strcmp(env->header->source, "gateway-md") == 0 && env->header->seq > self->md_seen)
        self->md_seen = env->header->seq;
    if (env->header->source && strcmp(env->header->source, "gateway-order") == 0 && env->header->seq > self->exec_seen)
        self->exec_seen = env->header->seq;
    if (strncmp(topic, "of.", 3) == 0 && env->header->md_seq > self->analyzer_reach)
        self->analyzer_reach = env->header->md_seq;
    if (md) {
        self->result.md++;
        self->md_cur = env->header->seq;
        of_engine_envelope(self->engine, env);
    }
    if (sig && env->body_case == OFTS__ENVELOPE__BODY_SIGNAL)
        s_recorded_signal(self, path, rec, topic, env);
    else if (dec && (env->body_case == OFTS__ENVELOPE__BODY_ORDER_REQUEST
                     || env->body_case == OFTS__ENVELOPE__BODY_RISK_REJECT))
        s_recorded_decision(self, path, rec, topic, env);
    else if (self->aligned && strncmp(topic, "risk.", 5) == 0)
        s_risk_progress(self, env->header->md_seq, env->header->exec_seq);
    else if (risk_in && self->aligned) {
        s_item_t *it = s_item(topic, NULL, env->header->ts_event, env);
        it->seq = env->header->seq;
        zlistx_add_end(self->risk_md, it);
    }
    else if (risk_in)
        s_risk_md(self, env);
    ofts__envelope__free_unpacked(env, NULL);
    if (self->aligned)
        s_pair(self);
}

//  Free mode: match by signal id, list what differs.
static void
s_match_by_id(rec_rerun_t *self, zlistx_t *mine, zhashx_t *recorded, const char *what)
{
    for (s_item_t *it = zlistx_first(mine); it; it = zlistx_next(mine)) {
        s_item_t *r = zhashx_lookup(recorded, it->id);
        if (r && s_same(r, it, false)) {
            if (what[0] == 's')
                self->result.signals_equal++;
            else
                self->result.decisions_equal++;
        }
        else {
            char label[64];
            snprintf(label, sizeof label, r ? "%s differs" : "%s only in the re-run", what);
            s_differ(self, label, r, it);
        }
        if (r)
            zhashx_delete(recorded, it->id);
    }
    for (s_item_t *r = zhashx_first(recorded); r; r = zhashx_next(recorded)) {
        char label[64];
        snprintf(label, sizeof label, "%s only in the recording", what);
        s_differ(self, label, r, NULL);
    }
}

void
rec_rerun_finish(rec_rerun_t *self)
{
    //  Signals made from md the live analyzer never applied (it was stopped
    //  or had fallen behind when the recording ended): not differences.
    s_item_t *it;
    while (self->aligned && self->analyzer_reach && (it = zlistx_last(self->signals)) && it->seq > self->analyzer_reach) {
        self->result.beyond++;
        zlistx_delete(self->signals, zlistx_cursor(self->signals));
    }
    //  Signals whose decision the recording does not have: judged after all the md.
    self->finishing = true;
    if (self->aligned)
        s_pair(self);
    while (zlistx_size(self->judge))
        s_judge_next(self, NULL);
    s_feed_md(self, UINT64_MAX, UINT64_MAX);
    if (self->aligned)
        s_pair(self);
    if (!self->aligned) {
        s_match_by_id(self, self->signals, self->recorded_sig, "signal");
        s_match_by_id(self, self->decisions, self->recorded_dec, "risk decision");
        return;
    }
    for (s_item_t *it = zlistx_first(self->rec_signals); it; it = zlistx_next(self->rec_signals))
        s_differ(self, "recorded signal not made by the re-run", it, NULL);
    for (s_item_t *it = zlistx_first(self->signals); it; it = zlistx_next(self->signals))
        s_differ(self, "re-run made a signal the recording does not have", NULL, it);
    for (s_item_t *it = zlistx_first(self->rec_decisions); it; it = zlistx_next(self->rec_decisions))
        s_differ(self, "recorded risk decision not made by the re-run", it, NULL);
    for (s_item_t *it = zlistx_first(self->decisions); it; it = zlistx_next(self->decisions))
        s_differ(self, "re-run made a risk decision the recording does not have", NULL, it);
}

typedef struct {
    rec_rerun_t *rerun;
    const char *config_text;
    bool aligned;
    rec_rerun_setup_fn *setup;
    void *arg;
    char *err;
    size_t errlen;
} s_scan_t;

static int
s_scan_one(void *arg, const char *path, const rec_record_t *rec)
{
    s_scan_t *sc = arg;
    if (!sc->rerun && (rec->type == REC_CONFIG || sc->config_text)) {
        char *text = sc->config_text ? strdup(sc->config_text) : strndup((const char *) rec->payload, rec->payload_len);
        sc->rerun = rec_rerun_new(text, sc->config_text ? "given config" : "recorded config", sc->aligned, sc->err,
                                  sc->errlen);
        free(text);
        if (!sc->rerun)
            return 1;
        if (sc->setup)
            sc->setup(sc->rerun, sc->arg);
    }
    if (sc->rerun)
        rec_rerun_record(sc->rerun, path, rec);
    return 0;
}

rec_rerun_t *
rec_rerun_scan(char **paths, size_t n, const char *config_text, bool aligned, rec_rerun_setup_fn *setup, void *arg,
               char *err, size_t errlen)
{
    s_scan_t sc = { NULL, config_text, aligned, setup, arg, err, errlen };
    snprintf(err, errlen, "no config in the recording (give one)");
    rec_scan(paths, n, NULL, s_scan_one, &sc, NULL);
    if (sc.rerun)
        rec_rerun_finish(sc.rerun);
    return sc.rerun;
}
