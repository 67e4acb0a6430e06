/*
 * attacks_bt_cr.c: MOV from CR0, CR2 and CR3 in the kernel, right after
 * what changes them. Under bt=1 the translation reads them from the vCPU
 * page, which the hypervisor fills at every entry (hv/bt/bt_sensitive.c,
 * control_register_read): a value changed by an exit (CLTS, MOV to CR0,
 * CR2 or CR3, a #PF the hypervisor delivered) must be the one the next
 * read gives, as on the bare CPU.
 */
#include "attack.h"
#include "cpu.h"

#define CR0_TS (1u << 3)
#define FAULTS 64u

ATTACK(bt_cr_reads, "bt-cr-reads", "all virtual vshadow vdepriv vdelay", "native",
       "MOV from CR0, CR2, CR3 right after CLTS, LMSW, MOV to CR0, CR2 and CR3, and 64 page faults at 64 addresses")
{
    paging_on(0);                               /* 4 MiB identity-mapped; the rest faults */
    uint32_t cr0 = read_cr0();
    __asm__ volatile("clts");
    unsigned ts_clear = (read_cr0() & CR0_TS) != 0;
    write_cr0(cr0 | CR0_TS);
    unsigned ts_set = (read_cr0() & CR0_TS) != 0;
    __asm__ volatile("clts");
    unsigned ts_clear_again = (read_cr0() & CR0_TS) != 0;
    __asm__ volatile("lmsw %w0" : : "r"((read_cr0() & 0xF) | CR0_TS));
    unsigned ts_lmsw = (read_cr0() & CR0_TS) != 0;
    __asm__ volatile("clts");

    uint32_t pd = (uint32_t)page_dir, cr3;
    __asm__ volatile("mov %1, %%cr3\n\tmov %%cr3, %0" : "=r"(cr3) : "r"(pd) : "memory");

    unsigned right = 0;
    for (uint32_t i = 0; i < FAULTS; i++) {
        uint32_t at = 0x00400000u + i * 0x12345u, v = 0, cr2;
        recovered_vector = NO_FAULT;
        TRY("movl (%1), %0", : "+r"(v) : "r"(at) : "memory");
        __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
        right += recovered_vector == 14 && cr2 == at;
    }
    uint32_t written = 0x13572468, cr2;
    __asm__ volatile("mov %1, %%cr2\n\tmov %%cr2, %0" : "=r"(cr2) : "r"(written));
    result("CR0.TS %u after CLTS, %u after MOV to CR0, %u after CLTS, %u after LMSW; CR3 %s; CR2 right after %u "
           "of %u faults, 0x%08x after MOV to CR2", ts_clear, ts_set, ts_clear_again, ts_lmsw,
           cr3 == pd ? "as loaded" : "another", right, FAULTS, cr2);
}
