/*
 * test_long_mode_rules.c: hv/vmx/long_mode_rules.c, entering and leaving
 * IA-32e mode as a CPU does (SDM vol. 3, 10.8.5; vol. 2 WRMSR, MOV CR).
 */
#include "unit.h"
#include "vmx/long_mode_rules.h"
#include "x86/control_regs.h"

#define PE_PG (CR0_PE | CR0_PG)

static void test_efer_write_bits(void **state)
{
    (void)state;
    uint64_t efer = 0;
    assert_null(efer_write(&efer, EFER_SCE | EFER_LME | EFER_NXE, CR0_PE));
    assert_int_equal(efer, EFER_SCE | EFER_LME | EFER_NXE);
    /* Reserved bits: bit 1, bit 9, bit 12 and up. */
    static const uint64_t reserved[] = { 1u << 1, 1u << 9, 1u << 12, 1ull << 63 };
    for (unsigned i = 0; i < 4; i++) {
        uint64_t before = efer;
        assert_non_null(efer_write(&efer, reserved[i] | EFER_SCE, CR0_PE));
        assert_int_equal(efer, before);
    }
}

static void test_efer_lma_is_read_only(void **state)
{
    (void)state;
    uint64_t efer = 0;
    assert_null(efer_write(&efer, EFER_LMA, CR0_PE));
    assert_int_equal(efer, 0);
    efer = EFER_LME | EFER_LMA;
    assert_null(efer_write(&efer, EFER_LME | EFER_SCE, PE_PG));
    assert_int_equal(efer, EFER_LME | EFER_LMA | EFER_SCE);
}

static void test_efer_lme_fixed_while_paging(void **state)
{
    (void)state;
    uint64_t efer = 0;
    assert_non_null(efer_write(&efer, EFER_LME, PE_PG));
    assert_int_equal(efer, 0);
    efer = EFER_LME | EFER_LMA;
    assert_non_null(efer_write(&efer, 0, PE_PG));
    assert_int_equal(efer, EFER_LME | EFER_LMA);
    /* With paging off it may change either way. */
    efer = EFER_LME;
    assert_null(efer_write(&efer, 0, CR0_PE));
    assert_int_equal(efer, 0);
}

static void test_paging_on_with_lme_enters_ia32e(void **state)
{
    (void)state;
    uint64_t efer = EFER_LME;
    assert_null(cr0_write_long_mode(&efer, CR0_PE, PE_PG, CR4_PAE, false));
    assert_int_equal(efer, EFER_LME | EFER_LMA);
    /* Without LME, paging on is legacy paging. */
    efer = 0;
    assert_null(cr0_write_long_mode(&efer, CR0_PE, PE_PG, 0, false));
    assert_int_equal(efer, 0);
}

static void test_paging_on_with_lme_needs_pae(void **state)
{
    (void)state;
    uint64_t efer = EFER_LME;
    assert_non_null(cr0_write_long_mode(&efer, CR0_PE, PE_PG, 0, false));
    assert_int_equal(efer, EFER_LME);
}

static void test_paging_off_leaves_ia32e_from_compatibility_mode_only(void **state)
{
    (void)state;
    uint64_t efer = EFER_LME | EFER_LMA;
    assert_non_null(cr0_write_long_mode(&efer, PE_PG, CR0_PE, CR4_PAE, true));
    assert_int_equal(efer, EFER_LME | EFER_LMA);
    assert_null(cr0_write_long_mode(&efer, PE_PG, CR0_PE, CR4_PAE, false));
    assert_int_equal(efer, EFER_LME);
    /* A MOV that keeps PG changes nothing. */
    efer = EFER_LME | EFER_LMA;
    assert_null(cr0_write_long_mode(&efer, PE_PG, PE_PG | CR0_WP, CR4_PAE, true));
    assert_int_equal(efer, EFER_LME | EFER_LMA);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_efer_write_bits),
        cmocka_unit_test(test_efer_lma_is_read_only),
        cmocka_unit_test(test_efer_lme_fixed_while_paging),
        cmocka_unit_test(test_paging_on_with_lme_enters_ia32e),
        cmocka_unit_test(test_paging_on_with_lme_needs_pae),
        cmocka_unit_test(test_paging_off_leaves_ia32e_from_compatibility_mode_only),
    };
    return RUN_UNIT_TESTS("long_mode_rules", tests);
}
