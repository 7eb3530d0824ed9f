/*  ofts-explain - one trade's story from the recording.

      ofts explain [--config F] ID [SEGMENT|DIR ...]

    ID is a signal id, or a client order id (an entry's, or a bracket
    child's, which starts with its entry's). Printed in order: the market
    data that completed the signal, the signal with the metrics and reasons
    it saw, risk's decision with every rule's verdict (the risk core re-run
    on the recording, rec_rerun.h: risk publishes only the first failing
    rule), the order, each broker update and fill, then the latency of each
    hop from the headers' times (exchange event, gateway-md receive, each
    publish; all on one machine's clock when the services share a host).
    Without paths: recorder.dir of the config.                           */
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ofts_clock.h"
#include "ofts_config.h"
#include "ofts_log.h"
#include "ofts_msg.h"
#include "rec_rerun.h"
#include "rec_scan.h"
#include "rec_seqs.h"
#include "rec_writer.h"
#include "risk_order.h"

#define MAX_STEPS 64

//  One message of the chain, kept with its receive time.
typedef struct {
    char topic[128];
    int64_t recv_ns;
    Ofts__Envelope *env;
} s_step_t;

typedef struct {
    const char *id;
    char signal_id[160], coid[96];
    s_step_t signal, decision, md;
    s_step_t exec[MAX_STEPS];
    size_t nexec;
    bool want_md;
    char verdicts[24][300];
    size_t nverdicts;
} s_explain_t;

static void
s_keep(s_step_t *step, const char *topic, int64_t recv_ns, Ofts__Envelope *env)
{
    if (step->env)
        ofts__envelope__free_unpacked(step->env, NULL);
    snprintf(step->topic, sizeof step->topic, "%s", topic);
    step->recv_ns = recv_ns;
    step->env = env;
}

static bool
s_prefix(const char *s, const char *prefix)
{
    return s && *prefix && strncmp(s, prefix, strlen(prefix)) == 0;
}

//  Pass 1: which signal, which order id; the decision and the broker's messages.
static int
s_find(void *arg, const char *path, const rec_record_t *rec)
{
    (void) path;
    s_explain_t *self = arg;
    char topic[128];
    snprintf(topic, sizeof topic, "%.*s", (int) (rec->topic_len < 127 ? rec->topic_len : 127), rec->topic);
    if (!s_prefix(topic, "of.signal.") && !s_prefix(topic, "risk.order.") && !s_prefix(topic, "risk.reject.")
        && !s_prefix(topic, "exec.order.") && !s_prefix(topic, "exec.fill."))
        return 0;
    Ofts__Envelope *env = ofts__envelope__unpack(NULL, rec->payload_len, rec->payload);
    if (!env || !env->header) {
        if (env)
            ofts__envelope__free_unpacked(env, NULL);
        return 0;
    }
    bool kept = false;
    switch (env->body_case) {
    case OFTS__ENVELOPE__BODY_SIGNAL:
        if (strcmp(env->signal->id, self->id) == 0 || strcmp(env->signal->id, self->signal_id) == 0) {
            snprintf(self->signal_id, sizeof self->signal_id, "%s", env->signal->id);
            risk_order_client_id(self->signal_id, self->coid, sizeof self->coid);
            if (!self->signal.env) {
                s_keep(&self->signal, topic, rec->recv_ns, env);
                kept = true;
            }
        }
        break;
    case OFTS__ENVELOPE__BODY_ORDER_REQUEST:
    case OFTS__ENVELOPE__BODY_RISK_REJECT: {
        bool order = env->body_case == OFTS__ENVELOPE__BODY_ORDER_REQUEST;
        const char *sid = order ? env->order_request->signal_id : env->risk_reject->signal_id;
        const char *coid = order ? env->order_request->client_order_id : "";
        if (!sid || (strcmp(sid, self->id) && strcmp(sid, self->signal_id) && strcmp(coid, self->coid)))
            break;
        snprintf(self->signal_id, sizeof self->signal_id, "%s", sid);
        risk_order_client_id(self->signal_id, self->coid, sizeof self->coid);
        if (!self->decision.env) {          //  the first: a re-publish is the same order
            s_keep(&self->decision, topic, rec->recv_ns, env);
            kept = true;
        }
        break;
    }
    case OFTS__ENVELOPE__BODY_ORDER_UPDATE:
    case OFTS__ENVELOPE__BODY_FILL: {
        const char *coid = env->body_case == OFTS__ENVELOPE__BODY_FILL ? env->fill->client_order_id
                                                                       : env->order_update->client_order_id;
        if (self->coid[0] && s_prefix(coid, self->coid) && self->nexec < MAX_STEPS) {
            s_keep(&self->exec[self->nexec++], topic, rec->recv_ns, env);
            kept = true;
        }
        break;
    }
    default:
        break;
    }
    if (!kept)
        ofts__envelope__free_unpacked(env, NULL);
    return 0;
}

//  Pass 2: the md that completed the signal. The analyzer stamps what it
//  publishes with the header seq of the gateway-md message it was applying
//  (Header.md_seq) and keeps that message's ts_recv. Receive order is not
//  causal order: the recorder reads every publisher on one socket, pipe by
//  pipe, so a signal can be recorded before the backlogged md that made it
//  (23 of 510 analyzer messages in a quiet 5-minute session). So the md is
//  looked for on both sides of the signal, and of several candidates (a
//  restarted gateway-md begins its seq again) the closest in receive time
//  wins. Without md_seq (older recordings): same ts_event and ts_recv.
#define MD_WINDOW_NS (60 * OFTS_NS_PER_SEC)

static int
s_find_md(void *arg, const char *path, const rec_record_t *rec)
{
    (void) path;
    s_explain_t *self = arg;
    const Ofts__Header *sh = self->signal.env->header;
    rec_header_t hdr;
    if (!rec_parse_header(rec->payload, rec->payload_len, &hdr) || hdr.ts_recv != sh->ts_recv)
        return 0;
    bool match = sh->md_seq ? strcmp(hdr.source, "gateway-md") == 0 && hdr.seq == sh->md_seq
                            : hdr.ts_event == sh->ts_event;
    int64_t dist = llabs(rec->recv_ns - self->signal.recv_ns);
    if (!match || (self->md.env && dist >= llabs(self->md.recv_ns - self->signal.recv_ns)))
        return 0;
    Ofts__Envelope *env = ofts__envelope__unpack(NULL, rec->payload_len, rec->payload);
    if (env) {
        char topic[128];
        snprintf(topic, sizeof topic, "%.*s", (int) (rec->topic_len < 127 ? rec->topic_len : 127), rec->topic);
        s_keep(&self->md, topic, rec->recv_ns, env);
    }
    return 0;
}

static void
s_verdict(void *arg, size_t index, const char *name, Ofts__RejectCode code, const char *text)
{
    s_explain_t *self = arg;
    (void) index;
    if (self->nverdicts == 24)
        return;
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(&ofts__reject_code__descriptor, (int) code);
    snprintf(self->verdicts[self->nverdicts++], 300, "%-14s %s%s%s", name,
             code == OFTS__REJECT_CODE__REJECT_NONE ? "pass" : ev ? ev->name : "FAIL", *text ? ": " : "", text);
}

typedef struct {
    s_explain_t *ex;
    rec_rerun_t *rerun;
} s_hook_t;

static void
s_verdict_filter(void *arg, size_t index, const char *name, Ofts__RejectCode code, const char *text)
{
    s_hook_t *hook = arg;
    const char *judging = rec_rerun_judging(hook->rerun);
    if (judging && strcmp(judging, hook->ex->signal_id) == 0)
        s_verdict(hook->ex, index, name, code, text);
}

static void
s_setup(rec_rerun_t *rerun, void *arg)
{
    s_hook_t *hook = arg;
    hook->rerun = rerun;
    rec_rerun_set_verdict_fn(rerun, s_verdict_filter, hook);
}

static void
s_print_step(const char *label, const s_step_t *step)
{
    if (!step->env) {
        printf("%s: (not in the recording)\n", label);
        return;
    }
    char when[64];
    ofts_clock_format(step->recv_ns, when, sizeof when);
    char *line = ofts_msg_to_line(step->env, step->topic);
    printf("%s: %s\n    recorded %s\n", label, line, when);
    free(line);
}

static void
s_hop(const char *label, int64_t from, int64_t to)
{
    if (from && to)
        printf("  %-44s %10.3f ms\n", label, (double) (to - from) / 1e6);
    else
        printf("  %-44s %10s\n", label, "-");
}

static void
s_report(s_explain_t *self)
{
    printf("explain %s: signal %s, client order id %s\n\n", self->id, self->signal_id, self->coid);
    s_print_step("market data that completed the signal", &self->md);
    s_print_step("signal", &self->signal);
    if (self->signal.env && self->signal.env->signal->metrics) {
        const Ofts__Metrics *m = self->signal.env->signal->metrics;
        printf("    metrics then: imbalance %.3f, delta %lld, aggressive buy %.3f / sell %.3f, depth imbalance "
               "%.3f, intensity %.1f/min (x%.2f), window %llu trades / %llu contracts\n",
               m->imbalance_ratio, (long long) m->cumulative_delta, m->aggressive_buy_ratio,
               m->aggressive_sell_ratio, m->depth_imbalance, m->trade_intensity, m->intensity_ratio,
               (unsigned long long) m->window_trades, (unsigned long long) m->window_volume);
        printf("    confidence %.2f; reasons: %s\n", self->signal.env->signal->confidence,
               self->signal.env->signal->reasons);
    }
    s_print_step("risk decision", &self->decision);
    if (self->nverdicts) {
        printf("    every rule (the risk core re-run on the recording, in rule order):\n");
        for (size_t i = 0; i < self->nverdicts; i++)
            printf("      %s\n", self->verdicts[i]);
    }
    for (size_t i = 0; i < self->nexec; i++)
        s_print_step(self->exec[i].env->body_case == OFTS__ENVELOPE__BODY_FILL ? "fill" : "broker update",
                     &self->exec[i]);
    const Ofts__Header *md = self->md.env ? self->md.env->header : NULL;
    const Ofts__Header *sg = self->signal.env ? self->signal.env->header : NULL;
    const Ofts__Header *dc = self->decision.env ? self->decision.env->header : NULL;
    printf("\nlatency of each hop (header times):\n");
    //  A replayed file keeps Databento's ts_recv: hours before our publish.
    bool replay = md && md->ts_publish - md->ts_recv > 60 * OFTS_NS_PER_SEC;
    s_hop("exchange event -> ts_recv (Databento's receive)", md ? md->ts_event : 0, md ? md->ts_recv : 0);
    if (replay)
        printf("  %-44s %10s\n", "ts_recv -> md published (gateway-md)", "replay");
    else
        s_hop("ts_recv -> md published (gateway-md)", md ? md->ts_recv : 0, md ? md->ts_publish : 0);
    s_hop("md published -> signal published (analyzer)", md ? md->ts_publish : 0, sg ? sg->ts_publish : 0);
    s_hop("signal published -> decision published (risk)", sg ? sg->ts_publish : 0, dc ? dc->ts_publish : 0);
    int64_t prev = dc ? dc->ts_publish : 0;
    for (size_t i = 0; i < self->nexec; i++) {
        const Ofts__Envelope *e = self->exec[i].env;
        char label[96];
        snprintf(label, sizeof label, "-> %s %s", e->body_case == OFTS__ENVELOPE__BODY_FILL ? "fill" : "update",
                 e->body_case == OFTS__ENVELOPE__BODY_FILL ? e->fill->client_order_id : e->order_update->client_order_id);
        s_hop(label, prev, e->header->ts_publish);
        prev = e->header->ts_publish;
    }
    if (md && self->nexec)
        s_hop("md published -> first broker update", md->ts_publish, self->exec[0].env->header->ts_publish);
}

int
main(int argc, char **argv)
{
    ofts_log_init("explain", OFTS_LOG_ERROR);
    const char *config_path = ofts_config_default_path(), *id = NULL;
    char **args = calloc((size_t) argc, sizeof *args);
    int nargs = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config_path = argv[++i];
        else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: ofts explain [--config F] ORDER_OR_SIGNAL_ID [SEGMENT|DIR ...]\n");
            free(args);
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
        else if (!id)
            id = argv[i];
        else
            args[nargs++] = argv[i];
    }
    if (!id) {
        fprintf(stderr, "usage: ofts explain [--config F] ORDER_OR_SIGNAL_ID [SEGMENT|DIR ...]\n");
        free(args);
        return 2;
    }
    char *dir = NULL;
    if (!nargs) {
        char err[512];
        ofts_config_t *cfg = ofts_config_load(config_path, err, sizeof err);
        if (cfg) {
            ofts_cfgsec_t *sec = ofts_config_section(cfg, "recorder");
            dir = strdup(ofts_cfgsec_string(sec, "dir", "var/recorder"));
            ofts_cfgsec_finish(&sec, NULL, 0);
            ofts_config_destroy(&cfg);
            args[nargs++] = dir;
        }
    }
    char **paths;
    size_t n = rec_expand(nargs, args, &paths);
    free(args);
    s_explain_t ex = { .id = id };
    //  A client order id: the entry's (a bracket child adds a suffix to it).
    if (s_prefix(id, "ofts-"))
        snprintf(ex.coid, sizeof ex.coid, "%.29s", id);
    rec_filter_t msgs = { .messages_only = true };
    rec_scan(paths, n, &msgs, s_find, &ex, NULL);
    if (!ex.signal.env && ex.signal_id[0]) {
        //  Known from the decision only after its signal went by: once more.
        s_keep(&ex.decision, "", 0, NULL);
        for (size_t i = 0; i < ex.nexec; i++)
            s_keep(&ex.exec[i], "", 0, NULL);
        ex.nexec = 0;
        rec_scan(paths, n, &msgs, s_find, &ex, NULL);
    }
    int rc = 0;
    if (!ex.signal.env && !ex.decision.env && !ex.nexec) {
        fprintf(stderr, "explain: %s is not in the recording\n", id);
        rc = 1;
    }
    else {
        if (ex.signal.env) {
            rec_filter_t md = { .prefix = "md.", .messages_only = true,
                                .from_ns = ex.signal.recv_ns - MD_WINDOW_NS, .to_ns = ex.signal.recv_ns + MD_WINDOW_NS };
            rec_scan(paths, n, &md, s_find_md, &ex, NULL);
        }
        if (ex.signal_id[0]) {
            char err[512];
            s_hook_t hook = { &ex, NULL };
            rec_rerun_t *rerun = rec_rerun_scan(paths, n, NULL, true, s_setup, &hook, err, sizeof err);
            if (!rerun)
                fprintf(stderr, "explain: no rule verdicts: %s\n", err);
            rec_rerun_destroy(&rerun);
        }
        s_report(&ex);
    }
    s_keep(&ex.signal, "", 0, NULL);
    s_keep(&ex.decision, "", 0, NULL);
    s_keep(&ex.md, "", 0, NULL);
    for (size_t i = 0; i < ex.nexec; i++)
        s_keep(&ex.exec[i], "", 0, NULL);
    rec_free_list(&paths, n);
    free(dir);
    return rc;
}
