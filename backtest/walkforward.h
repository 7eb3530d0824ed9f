/*  walkforward - choose on the past, trade the future, count the tries.

    Input: every configuration's net P&L per trading day (a sweep's daily
    column, each configuration run once over all days, positions flat at
    15:05 CT each day). Folds: train on days [s, s+train), pick the
    configuration with the best objective there (ties: lowest index),
    take its P&L on the test days [s+train, s+train+test); s moves by step.
    The test days of the folds, in order (a day once), make the stitched
    out-of-sample equity.

    Walk-forward efficiency = out-of-sample P&L per day / in-sample P&L per
    day of the chosen configurations (1 = it kept its training
    performance; near 0 or negative = the choice did not carry over).

    Overfitting: the deflated Sharpe ratio (Bailey & Lopez de Prado 2014)
    of the best configuration over all days given how many were tried: the
    probability its Sharpe is above what the best of that many zero-skill
    configurations would show by luck. Below 0.95 is flagged.            */
#ifndef OFTS_WALKFORWARD_H
#define OFTS_WALKFORWARD_H
#include <stdint.h>
#include <stdio.h>

typedef struct {
    int train, test, step;          //  days
} wf_spec_t;

typedef enum { WF_NET = 0, WF_SHARPE = 1 } wf_objective_t;

typedef struct {
    size_t train_from, test_from, test_to;      //  day indices, test_to excluded
    size_t chosen;                              //  configuration index
    double objective;                           //  its train objective
    int64_t train_cents, test_cents;
} wf_fold_t;

typedef struct {
    wf_spec_t spec;
    wf_objective_t objective;
    wf_fold_t *folds;
    size_t nfolds;
    size_t *oos_days;               //  day index of each stitched out-of-sample day
    int64_t *oos_cents;             //  and the chosen configuration's P&L on it
    size_t noos;
    int64_t oos_total_cents;
    double oos_per_day, is_per_day, efficiency;  //  efficiency NAN when is_per_day <= 0
    double oos_sharpe;                           //  annualized, of the stitched days
    size_t tried;                   //  configurations tried (the whole grid)
    size_t best;                    //  best full-sample daily Sharpe ...
    double best_sharpe;             //  ... annualized
    double expected_max_sharpe;     //  annualized best of `tried` by luck
    double deflated_sharpe;         //  probability, [0, 1]
} wf_result_t;

//  "train=5d,test=1d[,step=1d]" (step defaults to test). -1 with err.
int wf_spec_parse(const char *text, wf_spec_t *spec, char *err, size_t errlen);
int wf_objective_parse(const char *text, wf_objective_t *objective);
//  daily[c][d]: configuration c's net P&L on day d (cents). tried >= n.
int wf_run(const int64_t *const *daily, size_t n, size_t ndays, const wf_spec_t *spec,
           wf_objective_t objective, size_t tried, wf_result_t *out, char *err, size_t errlen);
void wf_result_free(wf_result_t *r);
//  The report; days = session opens (for dates).
void wf_print(const wf_result_t *r, const int64_t *days, FILE *out);
//  fold rows, then one row per stitched day with the running equity.
void wf_write_csv(const wf_result_t *r, const int64_t *days, FILE *out);
//  The deflated Sharpe ratio of an (unannualized) daily Sharpe sr over t
//  days with the returns' skewness and kurtosis, against sr0.
double wf_deflated_sharpe(double sr, double sr0, double t, double skew, double kurt);
//  Expected maximum of n zero-skill Sharpes whose variance is var.
double wf_expected_max_sharpe(size_t n, double var);

#endif
