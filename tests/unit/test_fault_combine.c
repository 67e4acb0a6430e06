/*
 * test_fault_combine.c: hv/x86/fault_combine.c, a fault while an event is
 * delivered (SDM vol. 3, 6.15, tables 6-4 and 6-5), which cpu=deprivileged
 * applies in software (depriv/depriv_fault.c).
 */
#include "unit.h"
#include "x86/fault_combine.h"
#include "x86/x86.h"

static const unsigned contributory[] = { VEC_DE, VEC_TS, VEC_NP, VEC_SS, VEC_GP };
static const unsigned benign[] = { VEC_DB, VEC_NMI, VEC_BP, 4, 5, VEC_UD, 7, 9, 16, 17, VEC_MC, 19 };
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void test_contributory_after_contributory(void **state)
{
    (void)state;
    for (unsigned i = 0; i < COUNT(contributory); i++)
        for (unsigned j = 0; j < COUNT(contributory); j++)
            assert_int_equal(fault_combine(contributory[i], true, contributory[j]), FAULT_DOUBLE);
    for (unsigned i = 0; i < COUNT(contributory); i++)   /* #PF after contributory: serial */
        assert_int_equal(fault_combine(contributory[i], true, VEC_PF), FAULT_SERIAL);
}

static void test_page_fault_first(void **state)
{
    (void)state;
    assert_int_equal(fault_combine(VEC_PF, true, VEC_PF), FAULT_DOUBLE);
    for (unsigned i = 0; i < COUNT(contributory); i++)
        assert_int_equal(fault_combine(VEC_PF, true, contributory[i]), FAULT_DOUBLE);
    for (unsigned i = 0; i < COUNT(benign); i++)
        assert_int_equal(fault_combine(VEC_PF, true, benign[i]), FAULT_SERIAL);
}

static void test_benign_first(void **state)
{
    (void)state;
    for (unsigned i = 0; i < COUNT(benign); i++) {
        assert_int_equal(fault_combine(benign[i], true, VEC_GP), FAULT_SERIAL);
        assert_int_equal(fault_combine(benign[i], true, VEC_PF), FAULT_SERIAL);
        assert_int_equal(fault_combine(benign[i], true, VEC_NP), FAULT_SERIAL);
    }
}

static void test_double_fault_first_shuts_down(void **state)
{
    (void)state;
    assert_int_equal(fault_combine(VEC_DF, true, VEC_GP), FAULT_SHUTDOWN);
    assert_int_equal(fault_combine(VEC_DF, true, VEC_PF), FAULT_SHUTDOWN);
    assert_int_equal(fault_combine(VEC_DF, true, VEC_UD), FAULT_SHUTDOWN);
}

/* An interrupt or INT n of a contributory exception's vector is benign
 * (table 6-4 classes exceptions, not vectors): INT 13, INT 8, an external
 * interrupt at vector 14 (the PIC's reset mapping puts IRQs 0-7 at 8-15). */
static void test_interrupts_are_benign(void **state)
{
    (void)state;
    assert_int_equal(fault_combine(VEC_GP, false, VEC_GP), FAULT_SERIAL);
    assert_int_equal(fault_combine(VEC_DF, false, VEC_GP), FAULT_SERIAL);
    assert_int_equal(fault_combine(VEC_PF, false, VEC_PF), FAULT_SERIAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contributory_after_contributory),
        cmocka_unit_test(test_page_fault_first),
        cmocka_unit_test(test_benign_first),
        cmocka_unit_test(test_double_fault_first_shuts_down),
        cmocka_unit_test(test_interrupts_are_benign),
    };
    return RUN_UNIT_TESTS("fault_combine", tests);
}
