/*  ofts_command: what risk accepts from an operator, and the refusal lines.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "ofts_command.h"

static int
s_check(Ofts__CommandType type, const char *symbol, char *sym, char *why)
{
    Ofts__Command c = OFTS__COMMAND__INIT;
    c.type = type;
    c.symbol = (char *) symbol;
    why[0] = '\0';
    return ofts_command_check(&c, sym, why, 256);
}

//  `ofts cmd flatten gc` used to be acknowledged and do nothing.
static void
t_flatten_lower_case_is_gc(void **state)
{
    (void) state;
    char sym[OFTS_SYM_LEN], why[256];
    assert_int_equal(s_check(OFTS__COMMAND_TYPE__CMD_FLATTEN, "gc", sym, why), 0);
    assert_string_equal(sym, "GC");
    assert_int_equal(s_check(OFTS__COMMAND_TYPE__CMD_FLATTEN, "Nq", sym, why), 0);
    assert_string_equal(sym, "NQ");
    assert_int_equal(s_check(OFTS__COMMAND_TYPE__CMD_FLATTEN, "", sym, why), 0);
    assert_string_equal(sym, "");
}

static void
t_flatten_unknown_symbol_refused(void **state)
{
    (void) state;
    char sym[OFTS_SYM_LEN], why[256];
    assert_int_equal(s_check(OFTS__COMMAND_TYPE__CMD_FLATTEN, "ZZ", sym, why), -1);
    assert_non_null(strstr(why, "unknown symbol 'ZZ' (known: GC"));
    assert_int_equal(s_check(OFTS__COMMAND_TYPE__CMD_FLATTEN, "GCGCGCGCGCGCGCGCGCGCGC", sym, why), -1);
    assert_non_null(strstr(why, "unknown symbol"));
}

//  `ofts cmd resume GC` resumed everything while looking symbol-specific.
static void
t_symbol_on_account_verbs_refused(void **state)
{
    (void) state;
    char sym[OFTS_SYM_LEN], why[256];
    assert_int_equal(s_check(OFTS__COMMAND_TYPE__CMD_RESUME, "GC", sym, why), -1);
    assert_string_equal(why, "resume takes no symbol (got 'GC'); it acts on the whole account");
    assert_int_equal(s_check(OFTS__COMMAND_TYPE__CMD_PAUSE, "gc", sym, why), -1);
    assert_int_equal(s_check(OFTS__COMMAND_TYPE__CMD_KILL, "NQ", sym, why), -1);
    assert_int_equal(s_check(OFTS__COMMAND_TYPE__CMD_KILL, "", sym, why), 0);
    assert_int_equal(s_check((Ofts__CommandType) 99, "", sym, why), -1);
    assert_string_equal(why, "unknown command type 99");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_flatten_lower_case_is_gc),
        cmocka_unit_test(t_flatten_unknown_symbol_refused),
        cmocka_unit_test(t_symbol_on_account_verbs_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
