/*  of_config: defaults, presets, explicit overrides on top of a preset,
    per-symbol overrides (and micros inheriting their full-size), and every
    kind of config error with its exact one-line message.                 */
#include "of_test.h"
#include "of_config.h"

static const of_params_t *
s_of(of_config_t *cfg, const char *root)
{
    return of_config_params(cfg, ofts_instrument_find(root));
}

//  Parse text, read "analyzer", finish. Returns the config (NULL on error,
//  with the message in err).
static of_config_t *
s_load(const char *text, char *err, size_t errlen)
{
    ofts_config_t *c = ofts_config_parse(text, "test.json", err, errlen);
    assert_non_null(c);
    ofts_cfgsec_t *sec = ofts_config_section(c, "analyzer");
    of_config_t *cfg = of_config_new(sec);
    int rc = ofts_cfgsec_finish(&sec, err, errlen);
    ofts_config_destroy(&c);
    if (rc != 0) {
        of_config_destroy(&cfg);
        return NULL;
    }
    return cfg;
}

static void
t_defaults(void **state)
{
    (void) state;
    of_config_t *cfg = of_config_new(NULL);
    assert_string_equal(of_config_preset(cfg), "default");
    const of_params_t *p = s_of(cfg, "GC");
    assert_int_equal(p->window_ns, SEC(60));
    assert_int_equal(p->window_trades, 0);
    assert_int_equal(p->min_trades, 20);
    assert_int_equal(p->depth_levels, 5);
    assert_true(p->imbalance_threshold == 0.6);
    assert_int_equal(p->cumulative_delta_threshold, 1000);
    assert_true(p->aggressive_ratio_threshold == 0.3);
    assert_true(p->depth_imbalance_threshold == 0.2);
    assert_true(p->intensity_ratio_threshold == 1.5);
    assert_int_equal(p->weight_imbalance, 400000);
    assert_int_equal(p->weight_delta, 200000);
    assert_int_equal(p->weight_aggressive, 200000);
    assert_int_equal(p->weight_depth, 100000);
    assert_int_equal(p->weight_intensity, 100000);
    assert_int_equal(p->min_confidence, 600000);
    assert_true(p->risk_reward_ratio == 2.0);
    assert_true(p->rearm);
    assert_int_equal(p->rearm_ns, 0);
    assert_true(of_config_metrics_per_sec(cfg) == 4.0);
    //  stops in points: GC 5.0, SI 0.10, PL 10.0, HG 0.02, NQ 20.0; micros inherit
    assert_int_equal(s_of(cfg, "GC")->stop_distance, P("5"));
    assert_int_equal(s_of(cfg, "MGC")->stop_distance, P("5"));
    assert_int_equal(s_of(cfg, "SI")->stop_distance, P("0.1"));
    assert_int_equal(s_of(cfg, "SIL")->stop_distance, P("0.1"));
    assert_int_equal(s_of(cfg, "PL")->stop_distance, P("10"));
    assert_int_equal(s_of(cfg, "HG")->stop_distance, P("0.02"));
    assert_int_equal(s_of(cfg, "MHG")->stop_distance, P("0.02"));
    assert_int_equal(s_of(cfg, "NQ")->stop_distance, P("20"));
    assert_int_equal(s_of(cfg, "MNQ")->stop_distance, P("20"));
    assert_int_equal(s_of(cfg, "ES")->stop_distance, P("10"));
    assert_int_equal(s_of(cfg, "MES")->stop_distance, P("10"));
    of_config_destroy(&cfg);
    assert_null(cfg);
}

//  Per-root cumulative-delta thresholds and block sizes (docs/analyzer.md
//  "Per-symbol defaults"): micros have their own, presets scale the delta.
static void
t_symbol_defaults(void **state)
{
    (void) state;
    static const struct {
        const char *root;
        int64_t delta;
        uint32_t block;
    } rows[] = {
        { "GC", 1000, 20 }, { "MGC", 600, 50 }, { "SI", 400, 10 }, { "SIL", 200, 25 },
        { "PL", 250, 10 },  { "HG", 450, 20 },  { "MHG", 100, 50 }, { "NQ", 1000, 20 },
        { "MNQ", 1800, 50 }, { "ES", 3000, 50 }, { "MES", 1500, 50 },
    };
    char err[512];
    of_config_t *def = of_config_new(NULL);
    of_config_t *agg = s_load("{\"analyzer\":{\"preset\":\"aggressive\"}}", err, sizeof err);
    of_config_t *con = s_load("{\"analyzer\":{\"preset\":\"conservative\"}}", err, sizeof err);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        assert_int_equal(s_of(def, rows[i].root)->cumulative_delta_threshold, rows[i].delta);
        assert_int_equal(s_of(agg, rows[i].root)->cumulative_delta_threshold, rows[i].delta / 2);
        assert_int_equal(s_of(con, rows[i].root)->cumulative_delta_threshold, rows[i].delta * 3 / 2);
        assert_int_equal(s_of(def, rows[i].root)->block_size, rows[i].block);
        assert_int_equal(s_of(con, rows[i].root)->block_size, rows[i].block);
    }
    //  every root of the table has a row
    assert_int_equal(ofts_instrument_count(), sizeof rows / sizeof rows[0]);
    of_config_destroy(&def);
    of_config_destroy(&agg);
    of_config_destroy(&con);
}

static void
t_empty_section_is_default(void **state)
{
    (void) state;
    char err[512];
    of_config_t *cfg = s_load("{}", err, sizeof err);
    assert_non_null(cfg);
    assert_int_equal(s_of(cfg, "GC")->min_confidence, 600000);
    of_config_destroy(&cfg);
}

static void
t_presets(void **state)
{
    (void) state;
    char err[512];
    of_config_t *cfg = s_load("{\"analyzer\":{\"preset\":\"aggressive\"}}", err, sizeof err);
    assert_non_null(cfg);
    assert_string_equal(of_config_preset(cfg), "aggressive");
    const of_params_t *p = s_of(cfg, "NQ");
    assert_true(p->imbalance_threshold == 0.5);
    assert_int_equal(p->cumulative_delta_threshold, 500);   //  NQ 1000 x 0.5
    assert_int_equal(p->min_confidence, 600000);            //  risk's floor: 0.6
    assert_true(p->aggressive_ratio_threshold == 0.2);
    assert_true(p->depth_imbalance_threshold == 0.15);
    assert_true(p->intensity_ratio_threshold == 1.3);
    of_config_destroy(&cfg);

    cfg = s_load("{\"analyzer\":{\"preset\":\"conservative\"}}", err, sizeof err);
    p = s_of(cfg, "GC");
    assert_true(p->imbalance_threshold == 0.7);
    assert_int_equal(p->cumulative_delta_threshold, 1500);
    assert_int_equal(p->min_confidence, 700000);
    assert_true(p->aggressive_ratio_threshold == 0.4);
    of_config_destroy(&cfg);
}

static void
t_explicit_over_preset(void **state)
{
    (void) state;
    char err[512];
    of_config_t *cfg = s_load("{\"analyzer\":{\"preset\":\"aggressive\",\"imbalance_threshold\":0.55,"
                              "\"weight_depth\":0.15,\"window_seconds\":30,\"window_trades\":500,"
                              "\"rearm_seconds\":2.5,\"metrics_per_second\":10}}", err, sizeof err);
    assert_non_null(cfg);
    const of_params_t *p = s_of(cfg, "GC");
    assert_true(p->imbalance_threshold == 0.55);             //  explicit key wins
    assert_int_equal(p->cumulative_delta_threshold, 500);    //  the rest from the preset
    assert_int_equal(p->weight_depth, 150000);
    assert_int_equal(p->window_ns, SEC(30));
    assert_int_equal(p->window_trades, 500);
    assert_int_equal(p->rearm_ns, SEC(5) / 2);
    assert_true(of_config_metrics_per_sec(cfg) == 10.0);
    of_config_destroy(&cfg);
}

static void
t_symbol_overrides(void **state)
{
    (void) state;
    char err[512];
    of_config_t *cfg = s_load("{\"analyzer\":{\"cumulative_delta_threshold\":800,\"symbols\":{"
                              "\"GC\":{\"stop_points\":6.5,\"block_size\":30},"
                              "\"MNQ\":{\"stop_points\":15,\"delta_threshold\":5000},"
                              "\"HG\":{\"imbalance_threshold\":0.65}}}}", err, sizeof err);
    assert_non_null(cfg);
    assert_int_equal(s_of(cfg, "GC")->stop_distance, P("6.5"));
    assert_int_equal(s_of(cfg, "GC")->block_size, 30);
    assert_int_equal(s_of(cfg, "GC")->cumulative_delta_threshold, 800);     //  global key
    //  MGC has no section: it inherits GC's resolved stop, keeps its own
    //  block size (a micro lot is not a GC lot), and the explicit global delta
    assert_int_equal(s_of(cfg, "MGC")->stop_distance, P("6.5"));
    assert_int_equal(s_of(cfg, "MGC")->block_size, 50);
    assert_int_equal(s_of(cfg, "MGC")->cumulative_delta_threshold, 800);
    //  MNQ's own section on top of NQ
    assert_int_equal(s_of(cfg, "MNQ")->stop_distance, P("15"));
    assert_int_equal(s_of(cfg, "MNQ")->cumulative_delta_threshold, 5000);
    assert_int_equal(s_of(cfg, "NQ")->stop_distance, P("20"));
    assert_int_equal(s_of(cfg, "NQ")->cumulative_delta_threshold, 800);
    assert_true(s_of(cfg, "HG")->imbalance_threshold == 0.65);
    assert_true(s_of(cfg, "MHG")->imbalance_threshold == 0.65);
    assert_true(s_of(cfg, "SI")->imbalance_threshold == 0.6);
    of_config_destroy(&cfg);
}

typedef struct {
    const char *json;
    const char *error;
} s_bad_t;

static void
t_errors(void **state)
{
    (void) state;
    static const s_bad_t cases[] = {
        { "{\"analyzer\":{\"imbalance_treshold\":0.6}}",
          "test.json: analyzer.imbalance_treshold: unknown key" },
        { "{\"analyzer\":{\"imbalance_threshold\":\"high\"}}",
          "test.json: analyzer.imbalance_threshold: expected a number" },
        { "{\"analyzer\":{\"imbalance_threshold\":1.5}}",
          "test.json: analyzer.imbalance_threshold: must be between 0 and 1" },
        { "{\"analyzer\":{\"cumulative_delta_threshold\":1000.5}}",
          "test.json: analyzer.cumulative_delta_threshold: expected an integer" },
        { "{\"analyzer\":{\"min_trades\":0}}",
          "test.json: analyzer.min_trades: must be between 1 and 1000000" },
        { "{\"analyzer\":{\"depth_levels\":11}}",
          "test.json: analyzer.depth_levels: must be between 1 and 10" },
        { "{\"analyzer\":{\"weight_delta\":-0.1}}",
          "test.json: analyzer.weight_delta: must be between 0 and 1" },
        { "{\"analyzer\":{\"preset\":\"yolo\"}}",
          "test.json: analyzer.preset: unknown preset 'yolo' (want default, aggressive or conservative)" },
        { "{\"analyzer\":{\"window_seconds\":0}}",
          "test.json: analyzer.window_seconds: window_seconds and window_trades cannot both be 0" },
        { "{\"analyzer\":{\"rearm\":1}}",
          "test.json: analyzer.rearm: expected true or false" },
        { "{\"analyzer\":{\"symbols\":{\"XAU\":{\"stop_points\":5}}}}",
          "test.json: analyzer.symbols.XAU: unknown instrument root (want one of the contract table: "
          "GC MGC SI SIL PL HG MHG NQ MNQ ES MES)" },
        { "{\"analyzer\":{\"symbols\":{\"GC\":{\"stop\":5}}}}",
          "test.json: analyzer.symbols.GC.stop: unknown key" },
        { "{\"analyzer\":{\"symbols\":{\"GC\":{\"stop_points\":0}}}}",
          "test.json: analyzer.symbols.GC.stop_points: must be between 1e-09 and 1e+06" },
        { "{\"analyzer\":{\"symbols\":{\"GC\":5}}}",
          "test.json: analyzer.symbols.GC: expected an object" },
        { "{\"analyzer\":{\"symbols\":[]}}",
          "test.json: analyzer.symbols: expected an object" },
        { "{\"analyzer\":{\"risk_reward_ratio\":0}}",
          "test.json: analyzer.risk_reward_ratio: must be between 0.01 and 100" },
        { "{\"analyzer\":{\"cumulative_delta_threshold\":-1}}",
          "test.json: analyzer.cumulative_delta_threshold: must be between 0 and 10000000" },
        { "{\"analyzer\":{\"symbols\":{\"PL\":{\"delta_threshold\":10000001}}}}",
          "test.json: analyzer.symbols.PL.delta_threshold: must be between 0 and 10000000" },
        { "{\"analyzer\":{\"symbols\":{\"PL\":{\"delta_threshold\":2.5}}}}",
          "test.json: analyzer.symbols.PL.delta_threshold: expected an integer" },
        { "{\"analyzer\":{\"symbols\":{\"MNQ\":{\"cumulative_delta_threshold\":500}}}}",
          "test.json: analyzer.symbols.MNQ.cumulative_delta_threshold: per symbol the key is delta_threshold" },
        { "{\"analyzer\":{\"symbols\":{\"MGC\":{\"block_size\":0}}}}",
          "test.json: analyzer.symbols.MGC.block_size: must be between 1 and 100000" },
        { "{\"analyzer\":{\"symbols\":{\"NQ\":{\"block_size\":100001}}}}",
          "test.json: analyzer.symbols.NQ.block_size: must be between 1 and 100000" },
        { "{\"analyzer\":{\"weight_imbalance\":0.6}}",
          "test.json: analyzer.weight_imbalance: 0.60 reaches min_confidence 0.60 on its own (a signal must "
          "need at least two indicators: keep every weight below min_confidence)" },
        { "{\"analyzer\":{\"min_confidence\":0.4}}",
          "test.json: analyzer.weight_imbalance: 0.40 reaches min_confidence 0.40 on its own (a signal must "
          "need at least two indicators: keep every weight below min_confidence)" },
        { "{\"analyzer\":{\"symbols\":{\"HG\":{\"weight_delta\":0.7}}}}",
          "test.json: analyzer.symbols.HG.weight_delta: 0.70 reaches min_confidence 0.60 on its own (a signal "
          "must need at least two indicators: keep every weight below min_confidence)" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512] = "";
        of_config_t *cfg = s_load(cases[i].json, err, sizeof err);
        if (cfg || strcmp(err, cases[i].error) != 0)
            fail_msg("case %zu: got '%s'", i, err);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_defaults),
        cmocka_unit_test(t_symbol_defaults),
        cmocka_unit_test(t_empty_section_is_default),
        cmocka_unit_test(t_presets),
        cmocka_unit_test(t_explicit_over_preset),
        cmocka_unit_test(t_symbol_overrides),
        cmocka_unit_test(t_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
