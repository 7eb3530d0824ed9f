/*  risk_config: defaults from the Topstep table, reading, and bad values.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "risk_config.h"

static int
s_read(const char *json, risk_config_t *cfg, char *err, size_t errlen)
{
    char e[256];
    ofts_config_t *c = ofts_config_parse(json, "test.json", e, sizeof e);
    assert_non_null(c);
    risk_config_defaults(cfg);
    ofts_cfgsec_t *sec = ofts_config_section(c, "risk");
    risk_config_read(cfg, sec);
    int rc = ofts_cfgsec_finish(&sec, err, errlen);
    ofts_config_destroy(&c);
    return rc;
}

//  spec/topstepx.md §8.1: MLL 2,000 / 3,000 / 4,500; 5 / 10 / 15 lots;
//  legacy DLL 1,000 / 2,000 / 3,000.
static void
t_topstep_table(void **state)
{
    (void) state;
    int64_t mll, dll;
    int maxc;
    assert_true(risk_config_account_defaults(50000, &mll, &dll, &maxc));
    assert_int_equal(mll, 200000); assert_int_equal(dll, 100000); assert_int_equal(maxc, 5);
    assert_true(risk_config_account_defaults(100000, &mll, &dll, &maxc));
    assert_int_equal(mll, 300000); assert_int_equal(dll, 200000); assert_int_equal(maxc, 10);
    assert_true(risk_config_account_defaults(150000, &mll, &dll, &maxc));
    assert_int_equal(mll, 450000); assert_int_equal(dll, 300000); assert_int_equal(maxc, 15);
    assert_false(risk_config_account_defaults(25000, &mll, &dll, &maxc));
}

static void
t_defaults(void **state)
{
    (void) state;
    risk_config_t cfg;
    char err[256];
    assert_int_equal(s_read("{}", &cfg, err, sizeof err), 0);
    assert_int_equal(cfg.start_balance_cents, 5000000);
    assert_int_equal(cfg.cooldown_ns, 300000000000LL);
    assert_true(cfg.min_confidence == 0.6);
    assert_int_equal(cfg.max_open_positions, 3);
    assert_int_equal(cfg.sizing, RISK_SIZING_FIXED);
    assert_int_equal(cfg.fixed_contracts, 1);
    assert_int_equal(cfg.stale_ns, 2000000000LL);
    assert_int_equal(cfg.max_entry_ticks, 8);
    assert_int_equal(cfg.max_orders_per_minute, 6);
    assert_int_equal(cfg.no_entry_after_min, 900);
    assert_int_equal(cfg.flatten_at_min, 905);
    assert_string_equal(cfg.full_weight_roots[0], "SIL");
}

static void
t_values(void **state)
{
    (void) state;
    risk_config_t cfg;
    char err[256];
    assert_int_equal(s_read("{\"risk\":{\"account_size\":150000,\"cooldown_minutes\":2,"
                            "\"sizing\":\"risk\",\"risk_dollars_per_trade\":750.5,\"order_type\":\"limit\","
                            "\"flatten_at\":\"15:06\",\"no_entry_after\":\"14:55\",\"full_weight_roots\":[],"
                            "\"daily_loss_limit_dollars\":0,\"journal\":\"/tmp/x.db\"}}", &cfg, err, sizeof err), 0);
    assert_int_equal(cfg.max_loss_limit_cents, 450000);
    assert_int_equal(cfg.max_contracts, 15);
    assert_int_equal(cfg.start_balance_cents, 15000000);
    assert_string_equal(cfg.account_id, "topstep-150k");
    assert_int_equal(cfg.daily_loss_limit_cents, 0);
    assert_int_equal(cfg.cooldown_ns, 120000000000LL);
    assert_int_equal(cfg.sizing, RISK_SIZING_RISK);
    assert_int_equal(cfg.risk_per_trade_cents, 75050);
    assert_int_equal(cfg.order_type, OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT);
    assert_int_equal(cfg.flatten_at_min, 906);
    assert_int_equal(cfg.no_entry_after_min, 895);
    assert_int_equal(cfg.full_weight_count, 0);
    assert_string_equal(cfg.journal, "/tmp/x.db");
}

static void
t_errors(void **state)
{
    (void) state;
    risk_config_t cfg;
    char err[256];
    assert_int_equal(s_read("{\"risk\":{\"cooldown_minute\":5}}", &cfg, err, sizeof err), -1);
    assert_string_equal(err, "test.json: risk.cooldown_minute: unknown key");
    assert_int_equal(s_read("{\"risk\":{\"account_size\":25000}}", &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "risk.account_size"));
    assert_int_equal(s_read("{\"risk\":{\"sizing\":\"kelly\"}}", &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "risk.sizing"));
    assert_int_equal(s_read("{\"risk\":{\"flatten_at\":\"3pm\"}}", &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "risk.flatten_at"));
    assert_int_equal(s_read("{\"risk\":{\"flatten_at\":\"17:30\"}}", &cfg, err, sizeof err), -1);
    assert_int_equal(s_read("{\"risk\":{\"min_confidence\":1.5}}", &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "risk.min_confidence"));
    assert_int_equal(s_read("{\"risk\":{\"max_orders_per_minute\":0}}", &cfg, err, sizeof err), -1);
    assert_int_equal(s_read("{\"risk\":{\"stale_ms\":\"2s\"}}", &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "expected an integer"));
    assert_int_equal(risk_config_parse_hhmm("24:00"), -1);
    assert_int_equal(risk_config_parse_hhmm("09:07"), 547);
}

//  risk.early_closes: "YYYY-MM-DD HH:MM" or "YYYY-MM-DD closed", in date
//  order; hours of a date moved earlier by as much as the regular ones are
//  before 15:10 (defaults: entries 10, flatten 5 minutes before the close).
static void
t_early_closes(void **state)
{
    (void) state;
    risk_config_t cfg;
    char err[256];
    assert_int_equal(s_read("{\"risk\":{\"early_closes\":[\"2026-11-26 12:00\",\"2026-11-27 12:15\","
                            "\"2026-12-25 closed\"]}}", &cfg, err, sizeof err), 0);
    assert_int_equal(cfg.early_close_count, 3);
    risk_day_hours_t h = risk_config_day_hours(&cfg, 20261127);
    assert_int_equal(h.close_min, 735);
    assert_int_equal(h.no_entry_min, 725);                  //  12:05
    assert_int_equal(h.flatten_min, 730);                   //  12:10
    h = risk_config_day_hours(&cfg, 20261225);
    assert_int_equal(h.close_min, 0);
    assert_int_equal(h.no_entry_min, 0);
    assert_int_equal(h.flatten_min, 0);
    h = risk_config_day_hours(&cfg, 20261130);              //  a regular day
    assert_int_equal(h.close_min, -1);
    assert_int_equal(h.no_entry_min, 900);
    assert_int_equal(h.flatten_min, 905);
    assert_true(risk_config_calendar_covers(&cfg, 2026));
    assert_false(risk_config_calendar_covers(&cfg, 2027));
    //  Earlier regular times keep their larger leads: 14:30 / 14:50 -> 40 / 20 minutes before.
    assert_int_equal(s_read("{\"risk\":{\"no_entry_after\":\"14:30\",\"flatten_at\":\"14:50\","
                            "\"early_closes\":[\"2026-11-27 12:00\"]}}", &cfg, err, sizeof err), 0);
    h = risk_config_day_hours(&cfg, 20261127);
    assert_int_equal(h.no_entry_min, 680);                  //  11:20
    assert_int_equal(h.flatten_min, 700);                   //  11:40
    //  A flatten_at after 15:10 still flattens 5 minutes before an early close.
    assert_int_equal(s_read("{\"risk\":{\"no_entry_after\":\"15:20\",\"flatten_at\":\"15:30\","
                            "\"early_closes\":[\"2026-11-27 12:00\"]}}", &cfg, err, sizeof err), 0);
    h = risk_config_day_hours(&cfg, 20261127);
    assert_int_equal(h.no_entry_min, 710);
    assert_int_equal(h.flatten_min, 715);
    //  Mistakes are named, never half-read.
    static const char *bad[] = {
        "[\"2026-11-27 12:00pm\"]", "[\"2026-11-27\"]", "[\"2026-02-30 12:00\"]", "[\"27/11/2026 12:00\"]",
        "[\"2026-11-27 17:00\"]", "[\"2026-11-27 12:00\",\"2026-11-26 12:00\"]",
        "[\"2026-11-27 12:00\",\"2026-11-27 12:00\"]", "\"2026-11-27 12:00\"", "[20261127]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char json[256];
        snprintf(json, sizeof json, "{\"risk\":{\"early_closes\":%s}}", bad[i]);
        assert_int_equal(s_read(json, &cfg, err, sizeof err), -1);
        assert_non_null(strstr(err, "risk.early_closes"));
    }
}

//  risk.traded_contracts pins a month of that root; roll_trades/roll_margin bounded.
static void
t_traded_contracts(void **state)
{
    (void) state;
    risk_config_t cfg;
    char err[256];
    assert_int_equal(s_read("{}", &cfg, err, sizeof err), 0);
    assert_null(risk_config_traded_contract(&cfg, "GC"));
    assert_int_equal(cfg.roll_trades, 2000);
    assert_true(cfg.roll_margin == 1.25);
    assert_int_equal(s_read("{\"risk\":{\"traded_contracts\":{\"GC\":\"GCZ6\",\"MGC\":\"MGCG7\"},"
                            "\"roll_trades\":300,\"roll_margin\":1.5}}", &cfg, err, sizeof err), 0);
    assert_string_equal(risk_config_traded_contract(&cfg, "GC"), "GCZ6");
    assert_string_equal(risk_config_traded_contract(&cfg, "MGC"), "MGCG7");
    assert_null(risk_config_traded_contract(&cfg, "SI"));
    assert_int_equal(cfg.roll_trades, 300);
    assert_int_equal(s_read("{\"risk\":{\"traded_contracts\":{\"GC\":\"SIZ6\"}}}", &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "traded_contracts.GC"));
    assert_int_equal(s_read("{\"risk\":{\"traded_contracts\":{\"GC\":\"GC\"}}}", &cfg, err, sizeof err), -1);
    assert_int_equal(s_read("{\"risk\":{\"roll_trades\":1}}", &cfg, err, sizeof err), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_topstep_table), cmocka_unit_test(t_defaults),
        cmocka_unit_test(t_values), cmocka_unit_test(t_errors),
        cmocka_unit_test(t_early_closes), cmocka_unit_test(t_traded_contracts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
