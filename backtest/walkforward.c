/*  walkforward - folds, stitched out-of-sample equity, deflated Sharpe.   */
#include "walkforward.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ofts_clock.h"

#define EULER_GAMMA 0.5772156649015329

int
wf_spec_parse(const char *text, wf_spec_t *spec, char *err, size_t errlen)
{
    memset(spec, 0, sizeof *spec);
    char copy[128], *save = NULL;
    snprintf(copy, sizeof copy, "%s", text);
    for (char *part = strtok_r(copy, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
        char key[16];
        int days;
        char unit = 0;
        if (sscanf(part, "%15[a-z]=%d%c", key, &days, &unit) < 2 || (unit && unit != 'd') || days < 1) {
            snprintf(err, errlen, "'%s': want train=Nd, test=Nd or step=Nd (N >= 1 trading days)", part);
            return -1;
        }
        int *slot = strcmp(key, "train") == 0 ? &spec->train : strcmp(key, "test") == 0 ? &spec->test
                  : strcmp(key, "step") == 0 ? &spec->step : NULL;
        if (!slot) {
            snprintf(err, errlen, "'%s': unknown (train, test, step)", key);
            return -1;
        }
        *slot = days;
    }
    if (!spec->train || !spec->test) {
        snprintf(err, errlen, "train=Nd and test=Nd are both needed");
        return -1;
    }
    if (!spec->step)
        spec->step = spec->test;
    return 0;
}

int
wf_objective_parse(const char *text, wf_objective_t *objective)
{
    if (strcmp(text, "net") == 0)
        *objective = WF_NET;
    else if (strcmp(text, "sharpe") == 0)
        *objective = WF_SHARPE;
    else
        return -1;
    return 0;
}

//  Mean and sample standard deviation of n values.
static void
s_moments(const int64_t *v, size_t n, double *mean, double *sd)
{
    double sum = 0.0, var = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += (double) v[i];
    *mean = n ? sum / (double) n : 0.0;
    for (size_t i = 0; i < n; i++)
        var += ((double) v[i] - *mean) * ((double) v[i] - *mean);
    *sd = n > 1 ? sqrt(var / (double) (n - 1)) : 0.0;
}

//  Unannualized Sharpe: mean / sd of daily P&L (0 when flat).
static double
s_sharpe(const int64_t *v, size_t n)
{
    double mean, sd;
    s_moments(v, n, &mean, &sd);
    return sd > 0.0 ? mean / sd : 0.0;
}

static double
s_objective(const int64_t *v, size_t n, wf_objective_t objective)
{
    if (objective == WF_SHARPE)
        return s_sharpe(v, n);
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    return (double) sum;
}

static int64_t
s_sum(const int64_t *v, size_t n)
{
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    return sum;
}

//  Standard normal CDF and its inverse (Acklam's rational approximation,
//  relative error < 1.2e-9: far below what a Sharpe estimate carries).
static double
s_phi(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

static double
s_phi_inv(double p)
{
    static const double a[] = { -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00 };
    static const double b[] = { -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                6.680131188771972e+01, -1.328068155288572e+01 };
    static const double c[] = { -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00 };
    static const double d[] = { 7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                3.754408661907416e+00 };
    if (p <= 0.0)
        return -INFINITY;
    if (p >= 1.0)
        return INFINITY;
    if (p < 0.02425) {
        double q = sqrt(-2 * log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
             / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (p > 1 - 0.02425)
        return -s_phi_inv(1 - p);
    double q = p - 0.5, r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
         / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

double
wf_expected_max_sharpe(size_t n, double var)
{
    if (n < 2 || var <= 0.0)
        return 0.0;
    double dn = (double) n;
    return sqrt(var) * ((1 - EULER_GAMMA) * s_phi_inv(1 - 1 / dn) + EULER_GAMMA * s_phi_inv(1 - 1 / (dn * M_E)));
}

double
wf_deflated_sharpe(double sr, double sr0, double t, double skew, double kurt)
{
    if (t < 2)
        return 0.0;
    double denom = 1 - skew * sr + (kurt - 1) / 4 * sr * sr;
    if (denom <= 0.0)
        return 0.0;
    return s_phi((sr - sr0) * sqrt(t - 1) / sqrt(denom));
}

//  Skewness and (non-excess) kurtosis of n values; 0 and 3 when flat.
static void
s_shape(const int64_t *v, size_t n, double *skew, double *kurt)
{
    double mean, sd;
    s_moments(v, n, &mean, &sd);
    *skew = 0.0;
    *kurt = 3.0;
    if (n < 2 || sd <= 0.0)
        return;
    double m2 = 0, m3 = 0, m4 = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double) v[i] - mean;
        m2 += d * d;
        m3 += d * d * d;
        m4 += d * d * d * d;
    }
    m2 /= (double) n;
    m3 /= (double) n;
    m4 /= (double) n;
    *skew = m3 / pow(m2, 1.5);
    *kurt = m4 / (m2 * m2);
}

static void
s_overfitting(const int64_t *const *daily, size_t n, size_t ndays, wf_result_t *out)
{
    double *sr = calloc(n, sizeof *sr), mean = 0.0, var = 0.0;
    for (size_t c = 0; c < n; c++) {
        sr[c] = s_sharpe(daily[c], ndays);
        mean += sr[c];
        if (sr[c] > sr[out->best])
            out->best = c;
    }
    mean /= (double) n;
    for (size_t c = 0; c < n; c++)
        var += (sr[c] - mean) * (sr[c] - mean);
    var = n > 1 ? var / (double) (n - 1) : 0.0;
    double sr0 = wf_expected_max_sharpe(out->tried, var), skew, kurt;
    s_shape(daily[out->best], ndays, &skew, &kurt);
    out->best_sharpe = sr[out->best] * sqrt(252.0);
    out->expected_max_sharpe = sr0 * sqrt(252.0);
    out->deflated_sharpe = wf_deflated_sharpe(sr[out->best], sr0, (double) ndays, skew, kurt);
    free(sr);
}

static void
s_fold(const int64_t *const *daily, size_t n, wf_objective_t objective, wf_fold_t *f)
{
    size_t len = f->test_from - f->train_from;
    for (size_t c = 0; c < n; c++) {
        double v = s_objective(daily[c] + f->train_from, len, objective);
        if (c == 0 || v > f->objective) {
            f->objective = v;
            f->chosen = c;
        }
    }
    f->train_cents = s_sum(daily[f->chosen] + f->train_from, len);
    f->test_cents = s_sum(daily[f->chosen] + f->test_from, f->test_to - f->test_from);
}

int
wf_run(const int64_t *const *daily, size_t n, size_t ndays, const wf_spec_t *spec, wf_objective_t objective,
       size_t tried, wf_result_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->spec = *spec;
    out->objective = objective;
    out->tried = tried > n ? tried : n;
    if (n == 0 || ndays < (size_t) spec->train + 1) {
        snprintf(err, errlen, "%zu trading days in the data: a fold needs %d to train and at least 1 to test",
                 ndays, spec->train);
        return -1;
    }
    size_t max_folds = (ndays - (size_t) spec->train + (size_t) spec->step - 1) / (size_t) spec->step;
    out->folds = calloc(max_folds, sizeof *out->folds);
    out->oos_days = calloc(ndays, sizeof *out->oos_days);
    out->oos_cents = calloc(ndays, sizeof *out->oos_cents);
    double is_sum = 0.0;
    size_t covered = 0;             //  stitched up to this day (excluded)
    for (size_t s = 0; s + (size_t) spec->train < ndays; s += (size_t) spec->step) {
        wf_fold_t *f = &out->folds[out->nfolds++];
        f->train_from = s;
        f->test_from = s + (size_t) spec->train;
        f->test_to = f->test_from + (size_t) spec->test < ndays ? f->test_from + (size_t) spec->test : ndays;
        s_fold(daily, n, objective, f);
        is_sum += (double) f->train_cents / (double) spec->train;
        for (size_t d = f->test_from > covered ? f->test_from : covered; d < f->test_to; d++) {
            out->oos_days[out->noos] = d;
            out->oos_cents[out->noos++] = daily[f->chosen][d];
            out->oos_total_cents += daily[f->chosen][d];
        }
        if (f->test_to > covered)
            covered = f->test_to;
    }
    out->is_per_day = is_sum / (double) out->nfolds;
    out->oos_per_day = out->noos ? (double) out->oos_total_cents / (double) out->noos : 0.0;
    out->efficiency = out->is_per_day > 0.0 ? out->oos_per_day / out->is_per_day : NAN;
    out->oos_sharpe = s_sharpe(out->oos_cents, out->noos) * sqrt(252.0);
    s_overfitting(daily, n, ndays, out);
    return 0;
}

void
wf_result_free(wf_result_t *r)
{
    free(r->folds);
    free(r->oos_days);
    free(r->oos_cents);
    memset(r, 0, sizeof *r);
}

//  The trading day of a session (yyyymmdd): the session opening at 17:00
//  CT belongs to the next calendar day.
static int
s_day(const int64_t *days, size_t index)
{
    return ofts_session_day(days[index] + 3600 * OFTS_NS_PER_SEC);
}

void
wf_print(const wf_result_t *r, const int64_t *days, FILE *out)
{
    fprintf(out, "walk-forward: train %d d, test %d d, step %d d; objective: %s on the train days\n",
            r->spec.train, r->spec.test, r->spec.step,
            r->objective == WF_NET ? "highest net P&L" : "highest daily Sharpe");
    fprintf(out, "  fold  train days          test days           chosen  train $/day   test P&L\n");
    for (size_t i = 0; i < r->nfolds; i++) {
        const wf_fold_t *f = &r->folds[i];
        fprintf(out, "  %4zu  %8d..%8d  %8d..%8d  %6zu  %11.2f  %9.2f\n", i + 1, s_day(days, f->train_from),
                s_day(days, f->test_from - 1), s_day(days, f->test_from), s_day(days, f->test_to - 1), f->chosen,
                (double) f->train_cents / 100.0 / r->spec.train, (double) f->test_cents / 100.0);
    }
    fprintf(out, "out-of-sample: %zu days, net $%.2f, $%.2f/day, daily Sharpe %.2f (annualized)\n", r->noos,
            (double) r->oos_total_cents / 100.0, r->oos_per_day / 100.0, r->oos_sharpe);
    fprintf(out, "in-sample (the chosen configurations on their train days): $%.2f/day\n", r->is_per_day / 100.0);
    if (isnan(r->efficiency))
        fprintf(out, "walk-forward efficiency: n/a (in-sample P&L per day <= 0)\n");
    else
        fprintf(out, "walk-forward efficiency: %.2f (out-of-sample / in-sample P&L per day)\n", r->efficiency);
    fprintf(out, "configurations tried: %zu; best over all days: #%zu, daily Sharpe %.2f; best of %zu by luck alone "
            "would show %.2f; deflated Sharpe %.2f\n", r->tried, r->best, r->best_sharpe, r->tried,
            r->expected_max_sharpe, r->deflated_sharpe);
    if (r->deflated_sharpe < 0.95)
        fprintf(out, "WARNING: overfitting risk: after %zu tries the best Sharpe is not significant (deflated "
                "Sharpe %.2f < 0.95); trust the out-of-sample figures, not the best in-sample row\n",
                r->tried, r->deflated_sharpe);
}

void
wf_write_csv(const wf_result_t *r, const int64_t *days, FILE *out)
{
    fputs("kind,fold,train_from,train_to,test_from,test_to,chosen,train_pnl,test_pnl\n", out);
    for (size_t i = 0; i < r->nfolds; i++) {
        const wf_fold_t *f = &r->folds[i];
        fprintf(out, "fold,%zu,%d,%d,%d,%d,%zu,%.2f,%.2f\n", i + 1, s_day(days, f->train_from),
                s_day(days, f->test_from - 1), s_day(days, f->test_from), s_day(days, f->test_to - 1), f->chosen,
                (double) f->train_cents / 100.0, (double) f->test_cents / 100.0);
    }
    fputs("kind,day,pnl,equity\n", out);
    int64_t equity = 0;
    for (size_t i = 0; i < r->noos; i++) {
        equity += r->oos_cents[i];
        fprintf(out, "oos,%d,%.2f,%.2f\n", s_day(days, r->oos_days[i]), (double) r->oos_cents[i] / 100.0,
                (double) equity / 100.0);
    }
}
