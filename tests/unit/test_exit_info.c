/*
 * test_exit_info.c: hv/vmx/exit_info.h and hv/vmx/exit_info.c, the decoding of
 * the exit qualifications and the interruption information. Each value below is
 * built by hand from the SDM's layout (vol. 3, 28.2.1 tables 28-1 to 28-7;
 * 28.2.5 tables 28-8 to 28-14; 25.8.3 table 25-17 and 25.9.2 table 25-19), the
 * way the CPU would write it, and each field is checked; then what
 * depriv_emulate.c encodes (a MOV to CR, to reuse exit_cr.c's handler) must
 * decode back to what it encoded, and every qualification with no reserved bit
 * set must survive decode and encode unchanged.
 */
#include "unit.h"
#include <string.h>
#include "vmx/exit_info.h"

static char buf[160];

/* ---- I/O instruction (table 28-5) ---- */

static void test_io_in_from_dx(void **state)
{
    (void)state;
    /* IN AL, DX with DX=0x3FD: size 0 (1 byte), bit 3 IN, port in 31:16. */
    struct io_qual io = io_qual_decode(0x03FD0008);
    assert_int_equal(io.size, 1);
    assert_true(io.in);
    assert_false(io.string || io.rep || io.immediate);
    assert_int_equal(io.port, 0x3FD);
    io_qual_describe(buf, sizeof(buf), io);
    assert_string_equal(buf, "IN of 1 byte from port 0x3fd (port in DX)");
}

static void test_io_out_immediate(void **state)
{
    (void)state;
    /* OUT 0xF4, AL: bit 6, operand encoding immediate. */
    struct io_qual io = io_qual_decode(0x00F40040);
    assert_int_equal(io.size, 1);
    assert_false(io.in || io.string || io.rep);
    assert_true(io.immediate);
    assert_int_equal(io.port, 0xF4);
    io_qual_describe(buf, sizeof(buf), io);
    assert_string_equal(buf, "OUT of 1 byte to port 0xf4 (immediate port)");
}

static void test_io_rep_outsw_and_in_eax(void **state)
{
    (void)state;
    /* REP OUTSW to DX=0x1F0: size 1 (2 bytes), bit 4 string, bit 5 REP. */
    struct io_qual io = io_qual_decode(0x01F00031);
    assert_int_equal(io.size, 2);
    assert_true(io.string && io.rep);
    assert_false(io.in || io.immediate);
    assert_int_equal(io.port, 0x1F0);
    io_qual_describe(buf, sizeof(buf), io);
    assert_string_equal(buf, "OUTS (string) of 2 bytes to port 0x1f0 (port in DX), with a REP prefix");
    /* IN EAX, DX with DX=0xCFC: size 3 (4 bytes). */
    io = io_qual_decode(0x0CFC000B);
    assert_int_equal(io.size, 4);
    assert_true(io.in);
    assert_int_equal(io.port, 0xCFC);
}

static void test_io_round_trip(void **state)
{
    (void)state;
    /* Bits 2:0 (sizes 0, 1, 3), 6:3 and 31:16; the rest is reserved. */
    static const unsigned sizes[] = { 0, 1, 3 };
    for (unsigned s = 0; s < 3; s++)
        for (unsigned flags = 0; flags < 16; flags++)
            for (uint32_t port = 0; port < 0x10000; port += 0x1111) {
                uint64_t q = sizes[s] | flags << 3 | (uint64_t)port << 16;
                assert_int_equal(io_qual_encode(io_qual_decode(q)), q);
            }
}

/* ---- Task switch (table 28-2) ---- */

static void test_task_switch(void **state)
{
    (void)state;
    /* JMP to the TSS at selector 0x18: source 2 in bits 31:30. */
    struct task_switch_qual t = task_switch_qual_decode(0x80000018);
    assert_int_equal(t.selector, 0x18);
    assert_int_equal(t.source, TASK_SWITCH_JMP);
    assert_string_equal(task_switch_source_name(t.source), "JMP");
    t = task_switch_qual_decode(0xC0000028);        /* a task gate in the IDT */
    assert_int_equal(t.selector, 0x28);
    assert_string_equal(task_switch_source_name(t.source), "a task gate in the IDT");
    assert_string_equal(task_switch_source_name(TASK_SWITCH_IRET), "IRET");
    assert_string_equal(task_switch_source_name(TASK_SWITCH_CALL), "CALL");
}

/* ---- Control-register access (table 28-3) ---- */

static void test_cr_mov(void **state)
{
    (void)state;
    /* MOV CR4, ECX: CR 4, type 0, GPR 1 in bits 11:8. */
    struct cr_qual a = cr_qual_decode(0x104);
    assert_int_equal(a.cr, 4);
    assert_int_equal(a.type, CR_MOV_TO);
    assert_int_equal(a.gpr, 1);
    cr_qual_describe(buf, sizeof(buf), a);
    assert_string_equal(buf, "MOV to CR4, register ecx");
    /* MOV EBX, CR3: CR 3, type 1, GPR 3. */
    a = cr_qual_decode(0x313);
    assert_int_equal(a.cr, 3);
    assert_int_equal(a.type, CR_MOV_FROM);
    assert_int_equal(a.gpr, 3);
    cr_qual_describe(buf, sizeof(buf), a);
    assert_string_equal(buf, "MOV from CR3, register ebx");
    /* MOV CR8, R15 (64-bit code): GPR 15. */
    a = cr_qual_decode(0xF08);
    assert_int_equal(a.cr, 8);
    assert_int_equal(a.gpr, 15);
    cr_qual_describe(buf, sizeof(buf), a);
    assert_string_equal(buf, "MOV to CR8, register r15");
}

static void test_cr_clts_and_lmsw(void **state)
{
    (void)state;
    /* CLTS: CR 0, type 2. */
    struct cr_qual a = cr_qual_decode(0x20);
    assert_int_equal(a.cr, 0);
    assert_int_equal(a.type, CR_CLTS);
    cr_qual_describe(buf, sizeof(buf), a);
    assert_string_equal(buf, "CLTS (CR0)");
    /* LMSW with a memory operand holding 0x000F: type 3, bit 6, source in 31:16. */
    a = cr_qual_decode(0x000F0070);
    assert_int_equal(a.type, CR_LMSW);
    assert_true(a.lmsw_memory);
    assert_int_equal(a.lmsw_source, 0xF);
    cr_qual_describe(buf, sizeof(buf), a);
    assert_string_equal(buf, "LMSW (CR0), source data 0xf from memory");
    a = cr_qual_decode(0x00010030);
    assert_false(a.lmsw_memory);
    assert_int_equal(a.lmsw_source, 1);
}

/* What depriv_emulate.c builds for a MOV to CR0, CR3 or CR4 at ring 1, for
 * each of the eight registers a 32-bit guest has, decodes back. */
static void test_cr_depriv_round_trip(void **state)
{
    (void)state;
    static const unsigned crs[] = { 0, 3, 4 };
    for (unsigned i = 0; i < 3; i++)
        for (unsigned gpr = 0; gpr < 8; gpr++) {
            uint64_t q = cr_qual_encode((struct cr_qual){ .cr = crs[i], .type = CR_MOV_TO, .gpr = gpr });
            assert_int_equal(q, crs[i] | gpr << 8);   /* table 28-3 by hand */
            struct cr_qual a = cr_qual_decode(q);
            assert_int_equal(a.cr, crs[i]);
            assert_int_equal(a.type, CR_MOV_TO);
            assert_int_equal(a.gpr, gpr);
            assert_false(a.lmsw_memory);
            assert_int_equal(a.lmsw_source, 0);
        }
}

static void test_cr_round_trip(void **state)
{
    (void)state;
    /* Bits 6:0, 11:8 and 31:16; 7, 15:12 and 63:32 are reserved. */
    for (uint64_t low = 0; low < 0x1000; low++) {
        if (low & 0x80)
            continue;
        for (uint64_t source = 0; source < 0x10000; source += 0x3333) {
            uint64_t q = low | source << 16;
            assert_int_equal(cr_qual_encode(cr_qual_decode(q)), q);
        }
    }
}

/* ---- EPT violation (table 28-7) ---- */

static void test_ept_write_to_unmapped(void **state)
{
    (void)state;
    /* A data write (bit 1) where the EPT allows nothing (bits 5:3 clear),
     * to the translation of a valid linear address (bits 7, 8). */
    struct ept_qual e = ept_qual_decode(0x182);
    assert_true(e.write && e.linear_valid && e.translation);
    assert_false(e.read || e.fetch || e.readable || e.writable || e.executable || e.nmi_unblocking);
    assert_string_equal(ept_access_verb(e), "wrote to");
    ept_qual_describe(buf, sizeof(buf), e);
    assert_string_equal(buf, "a write; the EPT allowed ---; guest linear address valid (its translation)");
}

static void test_ept_fetch_and_walk(void **state)
{
    (void)state;
    /* An instruction fetch (bit 2) from a page the EPT maps read-only (bit 3). */
    struct ept_qual e = ept_qual_decode(0x18C);
    assert_true(e.fetch && e.readable);
    assert_false(e.writable || e.executable || e.user_executable);
    assert_string_equal(ept_access_verb(e), "fetched from");
    ept_qual_describe(buf, sizeof(buf), e);
    assert_string_equal(buf, "an instruction fetch; the EPT allowed r--; guest linear address valid (its translation)");
    /* A read (bit 0) of a guest paging-structure entry during the guest's
     * own walk: bit 7 set, bit 8 clear; bit 12 NMI unblocking. */
    e = ept_qual_decode(0x1081);
    assert_true(e.read && e.linear_valid && e.nmi_unblocking);
    assert_false(e.translation);
    assert_string_equal(ept_access_verb(e), "read from");
    ept_qual_describe(buf, sizeof(buf), e);
    assert_string_equal(buf, "a read; the EPT allowed ---; guest linear address valid (while walking "
                             "the guest's page tables); NMI unblocking due to IRET");
    /* No linear address (bit 7 clear), allowed rwx and user-mode execute (bits 3-6). */
    e = ept_qual_decode(0x7B);
    assert_true(e.read && e.write && e.readable && e.writable && e.executable && e.user_executable);
    assert_false(e.linear_valid);
    ept_qual_describe(buf, sizeof(buf), e);
    assert_string_equal(buf, "a read and write; the EPT allowed rwx (user-mode x); no guest linear address");
}

/* ---- Debug exception (table 28-1) ---- */

static void test_debug(void **state)
{
    (void)state;
    struct debug_qual d = debug_qual_decode(0x4000);   /* BS: a single step */
    assert_true(d.bs);
    assert_false(d.bd);
    assert_int_equal(d.b0_3, 0);
    d = debug_qual_decode(0x2002);                     /* BD and B1 */
    assert_true(d.bd);
    assert_false(d.bs);
    assert_int_equal(d.b0_3, 2);
    debug_qual_describe(buf, sizeof(buf), d);
    assert_string_equal(buf, "debug: B0-B3=2 BD=1 BS=0");
}

/* ---- Interruption information (tables 25-17, 25-19, 25-20) ---- */

static void test_event_page_fault(void **state)
{
    (void)state;
    /* #PF: vector 14, type 3 (hardware exception), bit 11 error code, valid. */
    struct event_info e = event_info_decode(0x80000B0E);
    assert_true(e.valid && e.has_error_code);
    assert_false(e.nmi_unblocking);
    assert_int_equal(e.vector, 14);
    assert_int_equal(e.type, EVENT_HARDWARE_EXCEPTION);
    event_info_describe(buf, sizeof(buf), e, 2);
    assert_string_equal(buf, "vector 14, hardware exception, error code 0x2");
}

static void test_event_types(void **state)
{
    (void)state;
    struct event_info e = event_info_decode(0x80000202);   /* NMI: vector 2, type 2 */
    assert_int_equal(e.type, EVENT_NMI);
    assert_int_equal(e.vector, 2);
    assert_false(e.has_error_code);
    event_info_describe(buf, sizeof(buf), e, 0);
    assert_string_equal(buf, "vector 2, NMI");
    e = event_info_decode(0x80000020);                      /* IRQ 0 at vector 0x20 */
    assert_int_equal(e.type, EVENT_EXTERNAL_INTERRUPT);
    assert_int_equal(e.vector, 0x20);
    e = event_info_decode(0x80000480);                      /* INT 0x80 */
    assert_int_equal(e.type, EVENT_SOFTWARE_INTERRUPT);
    assert_int_equal(e.vector, 0x80);
    e = event_info_decode(0x80000501);                      /* ICEBP */
    assert_int_equal(e.type, EVENT_PRIVILEGED_SOFTWARE_EXCEPTION);
    e = event_info_decode(0x80000603);                      /* INT3 */
    assert_int_equal(e.type, EVENT_SOFTWARE_EXCEPTION);
    assert_int_equal(e.vector, 3);
    event_info_describe(buf, sizeof(buf), e, 0);
    assert_string_equal(buf, "vector 3, software exception");
    e = event_info_decode(0x80000700);                      /* MTF, "other event" */
    assert_int_equal(e.type, EVENT_OTHER);
    /* #GP with bit 12, NMI unblocking due to IRET (VM-exit field only). */
    e = event_info_decode(0x80001B0D);
    assert_true(e.nmi_unblocking && e.has_error_code);
    assert_int_equal(e.vector, 13);
    event_info_describe(buf, sizeof(buf), e, 0x18);
    assert_string_equal(buf, "vector 13, hardware exception, error code 0x18, NMI unblocking due to IRET");
    e = event_info_decode(0);
    assert_false(e.valid);
    event_info_describe(buf, sizeof(buf), e, 0);
    assert_string_equal(buf, "no event (not valid)");
}

/* inject.c and exit_pf.c's redeliver encode what VM entry reads: the same
 * bits, and nothing in the reserved 30:13. */
static void test_event_round_trip(void **state)
{
    (void)state;
    for (uint32_t low = 0; low < 0x2000; low++)
        for (uint32_t valid = 0; valid < 2; valid++) {
            uint32_t info = low | valid << 31;
            assert_int_equal(event_info_encode(event_info_decode(info)), info);
            assert_int_equal(event_info_encode(event_info_decode(info | 0x7FFFE000u)), info);
        }
    struct event_info gp = { .vector = 13, .type = EVENT_HARDWARE_EXCEPTION, .has_error_code = true,
                             .valid = true };
    assert_int_equal(event_info_encode(gp), 0x80000B0D);
    assert_int_equal(event_info_encode(gp) & ~(INFO_VALID | INFO_ERROR_CODE), 0xD | 3 << 8);
}

/* ---- MOV DR (table 28-4) ---- */

static void test_dr(void **state)
{
    (void)state;
    /* MOV DR7, ECX: DR 7, bit 4 clear (to DR), register 1 in 11:8. */
    struct dr_qual d = dr_qual_decode(0x107);
    assert_int_equal(d.dr, 7);
    assert_false(d.from);
    assert_int_equal(d.gpr, 1);
    dr_qual_describe(buf, sizeof(buf), d);
    assert_string_equal(buf, "MOV to DR7, register ecx");
    /* MOV EDI, DR6: from DR, register 7. */
    d = dr_qual_decode(0x716);
    assert_true(d.from);
    assert_int_equal(d.dr, 6);
    assert_int_equal(d.gpr, 7);
    dr_qual_describe(buf, sizeof(buf), d);
    assert_string_equal(buf, "MOV from DR6, register edi");
    /* Every qualification with no reserved bit survives decode and encode. */
    for (uint64_t q = 0; q < 0x1000; q++)
        if (!(q & 0x0E8))   /* bits 3 and 7:5 are reserved */
            assert_int_equal(dr_qual_encode(dr_qual_decode(q)), q);
}

/* ---- APIC access (table 28-6) ---- */

static void test_apic(void **state)
{
    (void)state;
    /* A MOV to the EOI register (offset 0xB0): type 1, linear write. */
    struct apic_qual a = apic_qual_decode(0x10B0);
    assert_int_equal(a.offset, 0xB0);
    assert_int_equal(a.type, APIC_LINEAR_WRITE);
    assert_false(a.asynchronous);
    apic_qual_describe(buf, sizeof(buf), a);
    assert_string_equal(buf, "a data write (linear) at offset 0xb0 of the APIC page");
    /* A guest-physical access during event delivery: no offset to show. */
    a = apic_qual_decode(0x1A000);
    assert_int_equal(a.type, APIC_PHYSICAL_EVENT);
    assert_true(a.asynchronous);
    apic_qual_describe(buf, sizeof(buf), a);
    assert_string_equal(buf, "an access during event delivery (guest-physical), asynchronous to instruction execution");
    a = apic_qual_decode(0x5000);   /* type 5: reserved */
    apic_qual_describe(buf, sizeof(buf), a);
    assert_string_equal(buf, "a reserved access type");
}

/* ---- Instruction information (28.2.5) ---- */

static void test_instr_info_memory(void **state)
{
    (void)state;
    /* LGDT [EBX + ESI*4 + 0x10] in 32-bit code: scale 2, address size 1,
     * memory, segment DS (3), index ESI (6), base EBX (3), bits 29:28 = 2
     * (LGDT, table 28-10). */
    uint32_t raw = 2 | 1u << 7 | 3u << 15 | 6u << 18 | 3u << 23 | 2u << 28;
    struct instr_info ii = instr_info_decode(raw);
    assert_int_equal(ii.scale, 2);
    assert_int_equal(ii.address_size, ADDR_32);
    assert_false(ii.is_register);
    assert_int_equal(ii.segment, SEG_DS);
    assert_true(ii.index_valid && ii.base_valid);
    assert_int_equal(ii.index, 6);
    assert_int_equal(ii.base, 3);
    assert_int_equal(ii.reg2 & 3, 2);
    uint64_t gpr[16] = { 0 };
    gpr[3] = 0x1000;   /* ebx */
    gpr[6] = 0x20;     /* esi */
    assert_int_equal(instr_info_offset(ii, 0x10, gpr), 0x1000 + 0x20 * 4 + 0x10);
    instr_info_describe(buf, sizeof(buf), ii, 0x10);
    assert_string_equal(buf, "ds:[ebx + esi*4 + 0x10] (32-bit address)");
    /* A negative displacement arrives sign-extended to 64 bits, and the
     * 32-bit sum wraps as the CPU's would. */
    gpr[3] = 4;
    assert_int_equal(instr_info_offset(ii, (uint64_t)-0x100, gpr), (4 + 0x80 - 0x100) & 0xFFFFFFFFu);
    instr_info_describe(buf, sizeof(buf), ii, (uint64_t)-8);
    assert_string_equal(buf, "ds:[ebx + esi*4 - 0x8] (32-bit address)");
}

static void test_instr_info_no_base_no_index(void **state)
{
    (void)state;
    /* SGDT [0x2000] with a 16-bit address and an SS override: index and
     * base invalid (bits 22, 27). */
    uint32_t raw = 0u << 7 | 2u << 15 | 1u << 22 | 1u << 27;
    struct instr_info ii = instr_info_decode(raw);
    assert_false(ii.index_valid || ii.base_valid);
    uint64_t gpr[16];
    for (unsigned i = 0; i < 16; i++)
        gpr[i] = 0xDEAD0000 + i;   /* none of them may count */
    assert_int_equal(instr_info_offset(ii, 0x12000, gpr), 0x2000);   /* 16 bits */
    instr_info_describe(buf, sizeof(buf), ii, 0x2000);
    assert_string_equal(buf, "ss:[0x2000] (16-bit address)");
    instr_info_describe(buf, sizeof(buf), ii, (uint64_t)-4);
    assert_string_equal(buf, "ss:[-0x4] (16-bit address)");
    /* Index only, 64-bit addresses: [r9*8 + 0]. */
    ii = instr_info_decode(3 | 2u << 7 | 9u << 18 | 1u << 27);
    gpr[9] = 0x100000000ull;
    assert_int_equal(instr_info_offset(ii, 0, gpr), 0x800000000ull);
    instr_info_describe(buf, sizeof(buf), ii, 0);
    assert_string_equal(buf, "es:[r9*8 + 0x0] (64-bit address)");
}

static void test_instr_info_register(void **state)
{
    (void)state;
    /* VMREAD EDX, ECX (table 28-14): bit 10 register, reg1 = 2 (the
     * destination), reg2 = 1 (the field's encoding). */
    struct instr_info ii = instr_info_decode(1u << 10 | 2u << 3 | 1u << 28);
    assert_true(ii.is_register);
    assert_int_equal(ii.reg1, 2);
    assert_int_equal(ii.reg2, 1);
    instr_info_describe(buf, sizeof(buf), ii, 0);
    assert_string_equal(buf, "register edx");
    assert_string_equal(segment_name(SEG_GS), "gs");
    assert_string_equal(segment_name(7), "seg7");
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(gpr_name(0), "eax");
    assert_string_equal(gpr_name(4), "esp");
    assert_string_equal(gpr_name(7), "edi");
    assert_string_equal(gpr_name(8), "r8");
    assert_string_equal(event_type_name(EVENT_PRIVILEGED_SOFTWARE_EXCEPTION), "privileged software exception");
    /* A buffer too small is cut, and the length the whole needs returned. */
    char small[8];
    int n = io_qual_describe(small, sizeof(small), io_qual_decode(0x03FD0008));
    assert_int_equal(n, (int)strlen("IN of 1 byte from port 0x3fd (port in DX)"));
    assert_string_equal(small, "IN of 1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_io_in_from_dx),
        cmocka_unit_test(test_io_out_immediate),
        cmocka_unit_test(test_io_rep_outsw_and_in_eax),
        cmocka_unit_test(test_io_round_trip),
        cmocka_unit_test(test_task_switch),
        cmocka_unit_test(test_cr_mov),
        cmocka_unit_test(test_cr_clts_and_lmsw),
        cmocka_unit_test(test_cr_depriv_round_trip),
        cmocka_unit_test(test_cr_round_trip),
        cmocka_unit_test(test_ept_write_to_unmapped),
        cmocka_unit_test(test_ept_fetch_and_walk),
        cmocka_unit_test(test_debug),
        cmocka_unit_test(test_event_page_fault),
        cmocka_unit_test(test_event_types),
        cmocka_unit_test(test_event_round_trip),
        cmocka_unit_test(test_dr),
        cmocka_unit_test(test_apic),
        cmocka_unit_test(test_instr_info_memory),
        cmocka_unit_test(test_instr_info_no_base_no_index),
        cmocka_unit_test(test_instr_info_register),
        cmocka_unit_test(test_names),
    };
    return RUN_UNIT_TESTS("exit_info", tests);
}
