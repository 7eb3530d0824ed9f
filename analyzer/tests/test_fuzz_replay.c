/*  Runs the fuzz target's invariant checks (fuzz_analyzer.c) under cmocka on
    a fixed set of pseudo-random inputs, so every ctest run exercises them
    without clang/libFuzzer. A violated invariant aborts the program.      */
#include "of_test.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern uint64_t of_fuzz_signals, of_fuzz_metrics;

static void
t_random_streams(void **state)
{
    (void) state;
    enum { SIZE = 12 * 4000 };
    static uint8_t buf[SIZE];
    uint64_t rng = 7;
    for (int run = 0; run < 60; run++) {
        for (size_t i = 0; i < SIZE; i++) {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            buf[i] = (uint8_t) (rng >> 56);
        }
        //  bias runs toward one side so signals happen: byte 2 of each event is the side
        for (size_t i = 0; i + 12 <= SIZE; i += 12) {
            if (run % 3 == 0)
                buf[i + 2] = (buf[i + 2] & 0xfc) | 1;      //  buy
            else if (run % 3 == 1)
                buf[i + 2] = (buf[i + 2] & 0xfc) | 2;      //  sell
            buf[i + 6] &= 0x7f;                              //  mostly forward time
        }
        assert_int_equal(LLVMFuzzerTestOneInput(buf, SIZE - (size_t) run), 0);
    }
    printf("%llu signals, %llu metrics checked\n", (unsigned long long) of_fuzz_signals,
           (unsigned long long) of_fuzz_metrics);
    assert_true(of_fuzz_signals >= 20);
    assert_true(of_fuzz_metrics >= 100000);
    //  degenerate inputs
    assert_int_equal(LLVMFuzzerTestOneInput(buf, 0), 0);
    assert_int_equal(LLVMFuzzerTestOneInput(buf, 11), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_random_streams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
