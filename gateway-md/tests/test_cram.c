/*  CRAM reply: vectors computed with `printf '%s' 'CHALLENGE|KEY' | sha256sum`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>
#include "cram.h"

static void test_spec_vector(void **state)
{
    (void) state;
    //  spec/databento.md §8.3 test vector (also checked with sha256sum)
    char out[CRAM_REPLY_LEN + 1];
    assert_int_equal(cram_reply("abcdefghijk", "db-AAAAAAAAAAAAAAAAAAAAAAAAAAAAA", out, sizeof out), 0);
    assert_string_equal(out, "dae90589a319a08a136a05748c111326111d894b88a71dd68d1a68c76f37e05e-AAAAA");
}

static void test_second_vector(void **state)
{
    (void) state;
    char out[CRAM_REPLY_LEN + 1];
    const char *key = "db-3kfN9vQx7LmP2sTw8YhR4uJ6cE5Bz";
    assert_int_equal(cram_reply("ZmXqKpLtRwYvBnCdEfGhIjKlMnOpQrSt", key, out, sizeof out), 0);
    assert_string_equal(out, "8aa1d189d0263da02b62cfe7d826b925ce65372f837ff6a613c8782407197211-cE5Bz");
    assert_true(cram_verify("ZmXqKpLtRwYvBnCdEfGhIjKlMnOpQrSt", key, out));
    //  one flipped character, another key, another challenge: all rejected
    out[3] = out[3] == '0' ? '1' : '0';
    assert_false(cram_verify("ZmXqKpLtRwYvBnCdEfGhIjKlMnOpQrSt", key, out));
    assert_int_equal(cram_reply("ZmXqKpLtRwYvBnCdEfGhIjKlMnOpQrSt", key, out, sizeof out), 0);
    assert_false(cram_verify("ZmXqKpLtRwYvBnCdEfGhIjKlMnOpQrSu", key, out));
    assert_false(cram_verify("ZmXqKpLtRwYvBnCdEfGhIjKlMnOpQrSt", "db-3kfN9vQx7LmP2sTw8YhR4uJ6cE5Bx", out));
    assert_false(cram_verify("ZmXqKpLtRwYvBnCdEfGhIjKlMnOpQrSt", key, "short"));
    assert_false(cram_verify("ZmXqKpLtRwYvBnCdEfGhIjKlMnOpQrSt", key, NULL));
}

static void test_bad_input(void **state)
{
    (void) state;
    char out[CRAM_REPLY_LEN + 1];
    assert_int_equal(cram_reply("abc", "abcd", out, sizeof out), -1);      //  key < 5 chars
    assert_int_equal(cram_reply("abc", NULL, out, sizeof out), -1);
    assert_int_equal(cram_reply("abc", "db-AAAAAAAAAAAAAAAAAAAAAAAAAAAAA", out, CRAM_REPLY_LEN), -1);
    char bucket[6];
    assert_int_equal(cram_bucket_id("db-AAAAAAAAAAAAAAAAAAAAAAAAAAAAB", bucket, sizeof bucket), 0);
    assert_string_equal(bucket, "AAAAB");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_vector),
        cmocka_unit_test(test_second_vector),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
