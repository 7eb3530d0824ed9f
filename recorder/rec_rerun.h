/*  rec_rerun - the recorded session through the analyzer and risk cores
    again (the same cores the services and the backtest run), in recorded
    order, compared with what the live services published.

    Aligned mode (the recording's own config): md.* goes to the analyzer
    core; each signal it makes is held until the recording shows the live
    analyzer's signal, compared with it (Signal body and event time, byte
    for byte), and then handed to the risk core at that point of the
    stream, as the live risk got it. The risk core also gets md.trade/bbo,
    gateway-md heartbeats and exec.* as recorded, on the clock the config
    names (market: latest md event time; wall: the recorder's receive
    time). Its approvals and rejects are compared with the recorded
    risk.order / risk.reject bodies. The first difference is kept.

    Free mode (another config): signals go to risk as soon as they are
    made; at the end, signals and decisions are matched by signal id and
    every difference is listed: what the other config would have changed. */
#ifndef REC_RERUN_H
#define REC_RERUN_H
#include <stdbool.h>
#include <stdint.h>
#include "rec_reader.h"
#include "risk_rules.h"

typedef struct {
    uint64_t md, signals_recorded, signals_rerun, signals_equal;
    uint64_t decisions_recorded, decisions_rerun, decisions_equal;
    uint64_t approvals_recorded, approvals_rerun;
    uint64_t differences;
    uint64_t beyond;                //  re-run signals from md the live analyzer never applied
    char first[3072];               //  the first diverging message, "" when none
} rec_rerun_result_t;

typedef struct _rec_rerun_t rec_rerun_t;
typedef void (rec_rerun_line_fn)(void *arg, const char *line);

//  config_text: JSON of the whole config (the recording's REC_CONFIG, or a file).
rec_rerun_t *rec_rerun_new(const char *config_text, const char *name, bool aligned, char *err, size_t errlen);
void rec_rerun_destroy(rec_rerun_t **self_p);
//  Free mode: each difference, one line.
void rec_rerun_set_line_fn(rec_rerun_t *self, rec_rerun_line_fn *fn, void *arg);
//  Every rule's verdict for each signal risk judges (ofts explain).
void rec_rerun_set_verdict_fn(rec_rerun_t *self, risk_rule_verdict_fn *fn, void *arg);
//  The signal risk is about to judge (for the verdict callback's context).
const char *rec_rerun_judging(rec_rerun_t *self);
void rec_rerun_record(rec_rerun_t *self, const char *path, const rec_record_t *rec);
//  The whole walk: segments in order into a re-run made from config_text
//  (NULL: the config recorded at the head of the segments), finished.
//  setup (may be NULL) is called once, as soon as the re-run exists.
//  NULL with the reason in err.
typedef void (rec_rerun_setup_fn)(rec_rerun_t *rerun, void *arg);
rec_rerun_t *rec_rerun_scan(char **paths, size_t n, const char *config_text, bool aligned, rec_rerun_setup_fn *setup,
                            void *arg, char *err, size_t errlen);
void rec_rerun_finish(rec_rerun_t *self);
const rec_rerun_result_t *rec_rerun_result(rec_rerun_t *self);

#endif
