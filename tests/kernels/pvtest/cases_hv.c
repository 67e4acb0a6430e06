/*
 * cases_hv.c: the PV mode itself, its start of day and the hypercall path
 * (lib/pv_abi.h sections 1-3, 7's console_io, 9; hv/pv/). The friendly
 * cases check themselves and print "result ... ok"; the hostile ones print
 * what the hypervisor answered (a result code, an exception), which
 * tests/integration/pv_cases.py compares with what it must be.
 */
#include "cpu.h"
#include "pvtest.h"
#include "string.h"

#define CR0_PE 0x1u
#define CR0_ET 0x10u
#define CR4_PAE (1u << 5)
#define MSR_EFER 0xC0000080u
#define EFER_LME (1u << 8)

static uint32_t read_cr3(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}

static void cpuid(uint32_t leaf, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

/* ---- friendly ---- */

PV_CASE(boot, "boot", "the start of day: control registers, CR3, the direct map, the tables read-only")
{
    const struct pv_start_info *si = start_info;
    uint32_t cr0 = read_cr0(), cr4 = read_cr4();
    if (cr0 != (CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG) || cr4 != CR4_PSE)
        result("FAILED CR0 0x%08x CR4 0x%08x", cr0, cr4);
    if (read_cr3() >> 12 != virt_to_mfn((const void *)si->pt_base))
        result("FAILED CR3 0x%08x is not the page directory at 0x%08x", read_cr3(), si->pt_base);
    /* Every page in the direct map (read: one not mapped ends the run with
     * its #PF), the M2P giving each frame's pfn back. The byte read is not
     * judged: any value is a page's (the P2M's first byte is the low byte
     * of pfn 0's frame, which depends on where the hypervisor put the RAM). */
    const uint32_t *p2m = (const uint32_t *)si->mfn_list;
    const uint32_t *m2p = (const uint32_t *)PV_M2P_VIRT;
    for (uint32_t pfn = 0; pfn < si->nr_pages; pfn++) {
        (void)*(volatile uint8_t *)(PV_VIRT_BASE + pfn * 4096);
        if (m2p[p2m[pfn]] != pfn)
            result("FAILED pfn 0x%x: m2p[0x%x] = 0x%x", pfn, p2m[pfn], m2p[p2m[pfn]]);
    }
    /* The page directory is mapped, read-only: a write is #PF (CR0.WP). */
    volatile uint32_t *pd = (volatile uint32_t *)si->pt_base;
    recovered_vector = NO_FAULT;
    TRY("movl %%eax, (%0)", : : "r"(pd), "a"(pd[0]));
    if (recovered_vector != 14)
        result("FAILED a write to the page directory gave vector 0x%x, not #PF", recovered_vector);
    printf("pvtest: %u pages, %u table frames, first free pfn 0x%x\n", si->nr_pages, si->nr_pt_frames,
           si->first_free_pfn);
    result("start of day ok");
}

PV_CASE(xen_version, "xen-version", "xen_version by VMCALL: the interface's version")
{
    int32_t v = vmcall3(PV_xen_version, PV_XENVER_version, 0, 0);
    result("version 0x%x", (uint32_t)v);
}

PV_CASE(hypercall_stubs, "hypercall-page", "CPUID's leaves, the MSR, and calls through the page's stubs")
{
    uint32_t r[4];
    cpuid(PV_CPUID_BASE, r);
    char sig[13];
    memcpy(sig, &r[1], 4), memcpy(sig + 4, &r[2], 4), memcpy(sig + 8, &r[3], 4);
    sig[12] = 0;
    printf("pvtest: CPUID 0x40000000: max 0x%x '%s'\n", r[0], sig);
    cpuid(PV_CPUID_VERSION, r);
    printf("pvtest: CPUID 0x40000001: version 0x%x\n", r[0]);
    cpuid(PV_CPUID_HYPERCALL, r);
    printf("pvtest: CPUID 0x40000002: %u page, MSR 0x%x\n", r[0], r[1]);
    hypercall_page_setup();
    uint64_t back = rdmsr(PV_MSR_HYPERCALL_PAGE);
    if (back != (uint64_t)virt_to_mfn(hypercall_page) << 12)
        result("FAILED the MSR reads 0x%x", (uint32_t)back);
    int32_t v = stubcall3(PV_xen_version, PV_XENVER_version, 0, 0);
    const char msg[] = "pvtest: through the stub of console_io\n";
    int32_t n = stubcall3(PV_console_io, PV_CONSOLEIO_write, sizeof(msg) - 1, (uint32_t)msg);
    result("stubs: xen_version 0x%x, console_io %d", (uint32_t)v, n);
}

PV_CASE(multicall, "multicall", "three calls in one, a nested multicall refused in its entry")
{
    static const char x[] = "pvtest: written by a multicall entry\n";
    static struct pv_multicall_entry e[4] = {
        { PV_xen_version, 99, { PV_XENVER_version } },
        { 50, 99, { 0 } },
        { PV_console_io, 99, { PV_CONSOLEIO_write, sizeof(x) - 1, (uint32_t)x } },
        { PV_multicall, 99, { 0, 0 } },
    };
    int32_t r = vmcall3(PV_multicall, (uint32_t)e, 4, 0);
    result("multicall %d: results 0x%x %d %d %d", r, (uint32_t)e[0].result, e[1].result, e[2].result,
           e[3].result);
}

PV_CASE(console_long, "console-long", "console_io of 4096 bytes across pages, and of 4097")
{
    static char buf[4096];
    for (unsigned i = 0; i < sizeof(buf); i++)
        buf[i] = (i % 64 == 63) ? '\n' : (char)('a' + i % 26);
    int32_t r = vmcall3(PV_console_io, PV_CONSOLEIO_write, sizeof(buf), (uint32_t)buf);
    int32_t big = vmcall3(PV_console_io, PV_CONSOLEIO_write, sizeof(buf) + 1, (uint32_t)buf);
    int32_t rd = vmcall3(PV_console_io, PV_CONSOLEIO_read, 16, (uint32_t)buf);
    result("console_io 4096: %d, 4097: %d, read: %d", r, big, rd);
}

PV_CASE(yield, "sched-yield", "sched_op yield returns 0")
{
    result("yield %d", vmcall3(PV_sched_op, PV_SCHEDOP_yield, 0, 0));
}

PV_CASE(cr4_pge, "cr4-pge", "CR4.PGE is the guest's to toggle, without an exit")
{
    write_cr4(read_cr4() | CR4_PGE);
    uint32_t on = read_cr4();
    write_cr4(on & ~CR4_PGE);
    result("CR4 0x%x then 0x%x", on, read_cr4());
}

/* shutdown-N: sched_op shutdown poweroff N ends the VM with status N. */
PV_CASE(shutdown3, "shutdown-3", "sched_op shutdown poweroff 3")
{
    printf("pvtest: powering off with status 3\n");
    verdict_poweroff(3);
}

/* ---- hostile ---- */

PV_CASE(unknown_numbers, "unknown-numbers", "hypercall numbers with no call: 0, 50, 63, 64, 0xFFFFFFFF")
{
    result("%d %d %d %d %d", vmcall3(0, 0, 0, 0), vmcall3(50, 0, 0, 0), vmcall3(63, 0, 0, 0),
           vmcall3(64, 0, 0, 0), vmcall3(0xFFFFFFFFu, 0, 0, 0));
}

PV_CASE(console_m2p, "console-m2p", "console_io from the M2P (the hypervisor's pages, mapped read-only)")
{
    if (((volatile uint32_t *)PV_M2P_VIRT)[0] == 0x12345678)     /* mapped: a read works */
        printf("pvtest: m2p[0] odd\n");
    result("console_io %d", vmcall3(PV_console_io, PV_CONSOLEIO_write, 16, PV_M2P_VIRT));
}

PV_CASE(console_unmapped, "console-unmapped", "console_io from unmapped memory, and across the 4 GiB end")
{
    result("console_io %d %d %d", vmcall3(PV_console_io, PV_CONSOLEIO_write, 16, 0x1000),
           vmcall3(PV_console_io, PV_CONSOLEIO_write, 16, 0xBFFFFFF8u),
           vmcall3(PV_console_io, PV_CONSOLEIO_write, 16, 0xFFFFFFF8u));
}

PV_CASE(multicall_ro, "multicall-ro", "a multicall list in the page directory: readable, its results not writable")
{
    /* The directory's slots below 0xC0000000 are 0: entries of call 0 (no
     * such call), whose result the hypervisor cannot write back. */
    int32_t r = vmcall3(PV_multicall, start_info->pt_base, 2, 0);
    result("multicall %d", r);
}

PV_CASE(multicall_unmapped, "multicall-unmapped", "a multicall list that is not mapped")
{
    result("multicall %d", vmcall3(PV_multicall, 0x2000, 1, 0));
}

PV_CASE(cr3_writable, "cr3-writable", "MOV to CR3 of a frame mapped writable (a data page): not an L2")
{
    static uint32_t page[1024] __attribute__((aligned(4096)));
    __asm__ volatile(EXPECT_AT("mov %0, %%cr3") : : "r"(virt_to_mfn(page) << 12) : "memory");
    breach("CR3 loaded with a writable frame");
}

PV_CASE(cr3_not_ours, "cr3-not-ours", "MOV to CR3 of a frame that is not the VM's (machine frame 1)")
{
    __asm__ volatile(EXPECT_AT("mov %0, %%cr3") : : "r"(0x1000) : "memory");
    breach("CR3 loaded with machine frame 1");
}

PV_CASE(cr3_beyond, "cr3-beyond", "MOV to CR3 past the machine's memory")
{
    __asm__ volatile(EXPECT_AT("mov %0, %%cr3") : : "r"(0xFFFFF000u) : "memory");
    breach("CR3 loaded with 0xFFFFF000");
}

PV_CASE(cr3_same, "cr3-same", "MOV to CR3 of the current page directory: a flush, allowed")
{
    uint32_t cr3 = read_cr3();
    __asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
    result("CR3 0x%x reloaded, reads 0x%x", cr3, read_cr3());
}

PV_CASE(cr0_wp, "cr0-wp", "MOV to CR0 clearing WP (ring 0 would write its read-only page tables)")
{
    uint32_t cr0 = read_cr0() & ~CR0_WP;
    __asm__ volatile(EXPECT_AT("mov %0, %%cr0") : : "r"(cr0) : "memory");
    breach("CR0.WP cleared: CR0 0x%x", read_cr0());
}

PV_CASE(cr0_pg, "cr0-pg", "MOV to CR0 clearing PG")
{
    uint32_t cr0 = read_cr0() & ~CR0_PG;
    __asm__ volatile(EXPECT_AT("mov %0, %%cr0") : : "r"(cr0) : "memory");
    breach("CR0.PG cleared");
}

PV_CASE(cr4_pae, "cr4-pae", "MOV to CR4 setting PAE (the tables would be read as PAE ones)")
{
    uint32_t cr4 = read_cr4() | CR4_PAE;
    __asm__ volatile(EXPECT_AT("mov %0, %%cr4") : : "r"(cr4) : "memory");
    breach("CR4.PAE set: CR4 0x%x", read_cr4());
}

PV_CASE(cr4_pse, "cr4-pse", "MOV to CR4 clearing PSE")
{
    uint32_t cr4 = read_cr4() & ~CR4_PSE;
    __asm__ volatile(EXPECT_AT("mov %0, %%cr4") : : "r"(cr4) : "memory");
    breach("CR4.PSE cleared: CR4 0x%x", read_cr4());
}

PV_CASE(efer_lme, "efer-lme", "WRMSR of IA32_EFER setting LME")
{
    __asm__ volatile(EXPECT_AT("wrmsr") : : "c"(MSR_EFER), "a"(EFER_LME), "d"(0) : "memory");
    breach("EFER.LME set");
}

static void hypercall_page_at(uint64_t ma)
{
    __asm__ volatile(EXPECT_AT("wrmsr") : : "c"(PV_MSR_HYPERCALL_PAGE), "a"((uint32_t)ma),
                     "d"((uint32_t)(ma >> 32)) : "memory");
    breach("the hypercall page placed at 0x%x%08x", (uint32_t)(ma >> 32), (uint32_t)ma);
}

PV_CASE(hcpage_table, "hcpage-table", "the hypercall page MSR at the page directory's frame")
{
    hypercall_page_at((uint64_t)virt_to_mfn((const void *)start_info->pt_base) << 12);
}

PV_CASE(hcpage_outside, "hcpage-outside", "the hypercall page MSR at a frame not the VM's (machine frame 1)")
{
    hypercall_page_at(0x1000);
}

PV_CASE(hcpage_m2p, "hcpage-m2p", "the hypercall page MSR at the M2P's first frame (the hypervisor's)")
{
    /* The M2P's L1 is the hypervisor's, in the directory's slot 1008. */
    const uint32_t *pd = (const uint32_t *)start_info->pt_base;
    hypercall_page_at(pd[PV_M2P_VIRT >> 22] & 0xFFFFF000u);
}

PV_CASE(hcpage_unaligned, "hcpage-unaligned", "the hypercall page MSR at an address not page-aligned")
{
    hypercall_page_at(((uint64_t)virt_to_mfn(hypercall_page) << 12) | 0x10);
}

PV_CASE(block_forever, "block-forever", "sched_op block with no event channel that could fire")
{
    vmcall3(PV_sched_op, PV_SCHEDOP_block, 0, 0);
    breach("block returned with nothing pending");
}

PV_CASE(shutdown_bad, "shutdown-bad", "sched_op shutdown with its argument unmapped, and an unknown reason")
{
    struct pv_sched_shutdown s = { 77, 0 };
    result("%d %d %d", vmcall3(PV_sched_op, PV_SCHEDOP_shutdown, 0x3000, 0),
           vmcall3(PV_sched_op, PV_SCHEDOP_shutdown, (uint32_t)&s, 0), vmcall3(PV_sched_op, 99, 0, 0));
}

/* ---- VMCALL from ring 3 ----
 * A page of code and a page of data and stack made user pages by
 * update_va_mapping (pvmmu's), then IRET to ring 3: its VMCALL must get
 * -PV_EPERM, which it stores in its data page before UD2 brings it back. */
__asm__(".section .text.user, \"ax\"\n"
        ".p2align 12\n"
        "user_code:\n"
        "    movl $0x23, %eax\n"           /* IRET to ring 3 left DS and ES null (SDM vol. 2, IRET) */
        "    movl %eax, %ds\n"
        "    movl %eax, %es\n"
        "    movl $17, %eax\n"              /* xen_version, from ring 3 */
        "    movl $0, %ebx\n"
        "    vmcall\n"
        "    movl %eax, user_page\n"
        "    ud2\n"
        ".p2align 12\n"
        ".previous");
extern const char user_code[];
uint8_t user_page[4096] __attribute__((aligned(4096)));

static void back_from_ring3(uint32_t vector, uint32_t eip)
{
    result("ring 3: vmcall %d, then exception %u at user_code+0x%x", *(volatile int32_t *)user_page,
           vector, eip - (uint32_t)user_code);
}

PV_CASE(vmcall_ring3, "vmcall-ring3", "VMCALL at ring 3 (from a user page): -PV_EPERM, nothing called")
{
    int32_t a = vmcall3(PV_update_va_mapping, (uint32_t)user_code,
                        virt_to_mfn(user_code) << 12 | PG_P | PG_U, PV_UVMF_INVLPG);
    int32_t b = vmcall3(PV_update_va_mapping, (uint32_t)user_page,
                        virt_to_mfn(user_page) << 12 | PG_P | PG_W | PG_U, PV_UVMF_INVLPG);
    if (a || b)
        result("FAILED update_va_mapping %d %d", a, b);
    *(volatile int32_t *)user_page = 12345;
    ring3_exception = back_from_ring3;
    __asm__ volatile("pushl $0x23; pushl %0; pushl $0x2; pushl $0x1B; pushl %1; iret"
                     : : "r"((uint32_t)user_page + sizeof(user_page)), "r"((uint32_t)user_code) : "memory");
    breach("IRET to ring 3 returned");
}

/* ---- string I/O through machine addresses (hv/exit/exit_io_string.c
 * walks the guest's tables; guest_ptr takes the VM's own frames only) ---- */

/* The CPU reads the M2P (mapped read-only, the hypervisor's frames), and
 * so does the hypervisor's walk for OUTS. Two M2P entries of its own
 * frames set (MMU_MACHPHYS_UPDATE) to bytes that spell a line, written
 * out by REP OUTSB straight from the M2P, then put back. */
static uint8_t strio_pages[2][4096] __attribute__((aligned(4096)));

PV_CASE(strio_m2p, "strio-m2p", "REP OUTSB to port 0xE9 from the M2P (mapped to the guest, the hypervisor's frames)")
{
    uint32_t mfn = virt_to_mfn(strio_pages[0]);
    const uint32_t *m2p = (const uint32_t *)PV_M2P_VIRT;
    if (virt_to_mfn(strio_pages[1]) != mfn + 1)
        result("FAILED two consecutive frames");
    uint32_t saved[2] = { m2p[mfn], m2p[mfn + 1] };
    struct pv_mmu_update set[2] = { { mfn << 12 | PV_MMU_MACHPHYS_UPDATE, 0x2050324D },     /* "M2P " */
                                    { (mfn + 1) << 12 | PV_MMU_MACHPHYS_UPDATE, 0x0A216B6F } }; /* "ok!\n" */
    int32_t r = vmcall5(PV_mmu_update, (uint32_t)set, 2, 0, PV_DOMID_SELF, 0);
    __asm__ volatile("cld; rep outsb" : : "S"(&m2p[mfn]), "c"(8), "d"(0xE9) : "memory");
    set[0].val = saved[0], set[1].val = saved[1];
    int32_t back = vmcall5(PV_mmu_update, (uint32_t)set, 2, 0, PV_DOMID_SELF, 0);
    result("outsb from the M2P: set %d, put back %d", r, back);
}

PV_CASE(strio_pt, "strio-pt", "REP INSB from port 0xE9 into the page directory (mapped read-only)")
{
    __asm__ volatile("cld\n" EXPECT_AT("rep insb") : : "D"(start_info->pt_base), "c"(4), "d"(0xE9) : "memory");
    breach("INSB wrote into the page directory");
}

/* INS aimed at the M2P. The guest's own mapping of it is read-only: the
 * hypervisor's walk finds what the CPU's would, #PF (P|W) before any port
 * read (SDM vol. 2A, INS: the destination is checked first), no element
 * done. A writable alias of the M2P's frames, the one way past that, is
 * refused by direct paging (a 4 MiB page over the M2P's table and the
 * hypervisor's frames around it: not the VM's), and an INS at the alias's
 * address finds nothing there (#PF, not present). */
#define ALIAS_SLOT 17u
#define PTE_P  0x001u
#define PTE_RW 0x002u
#define PTE_PS 0x080u

static uint32_t ins_fault(volatile void *to, uint32_t *count, int dwords)
{
    uint32_t edi = (uint32_t)to;
    recovered_vector = NO_FAULT;
    if (dwords)
        TRY("cld; rep insl", : "+D"(edi), "+c"(*count) : "d"(0xE9) : "memory");
    else
        TRY("cld; rep insb", : "+D"(edi), "+c"(*count) : "d"(0xE9) : "memory");
    return recovered_vector == NO_FAULT ? NO_FAULT : recovered_vector << 16 | recovered_error;
}

PV_CASE(strio_m2p_in, "strio-m2p-in", "REP INSB and INSD from port 0xE9 into the M2P (mapped read-only), "
        "and through a writable alias of its frames (refused)")
{
    uint32_t mfn = virt_to_mfn(strio_pages[0]);
    volatile uint32_t *m2p = (volatile uint32_t *)PV_M2P_VIRT;
    uint32_t before[2] = { m2p[mfn], m2p[mfn + 1] };
    uint32_t bytes = 8, dwords = 2;
    uint32_t b = ins_fault(&m2p[mfn], &bytes, 0);
    uint32_t d = ins_fault(&m2p[mfn], &dwords, 1);
    const uint32_t *dir = (const uint32_t *)start_info->pt_base;
    uint32_t m2p_l1 = dir[1008] >> 12;
    struct pv_mmu_update alias = { virt_to_mfn(dir) << 12 | ALIAS_SLOT * 4,
                                   (m2p_l1 & ~1023u) << 12 | PTE_P | PTE_RW | PTE_PS };
    int32_t r = vmcall5(PV_mmu_update, (uint32_t)&alias, 1, 0, PV_DOMID_SELF, 0);
    uint32_t through = 4;
    uint32_t a = ins_fault((volatile void *)(ALIAS_SLOT << 22 | (m2p_l1 & 1023u) << 12), &through, 0);
    result("insb into the M2P 0x%x (count %u), insd 0x%x (count %u), entries %s; alias %d, insb through "
           "it 0x%x (count %u)", b, bytes, d, dwords,
           m2p[mfn] == before[0] && m2p[mfn + 1] == before[1] ? "unchanged" : "CHANGED", r, a, through);
}

PV_CASE(strio_ok, "strio-ok", "REP OUTSB of a buffer of its own to port 0xE9")
{
    static const char msg[] = "pvtest: through OUTSB\n";
    __asm__ volatile("cld; rep outsb" : : "S"(msg), "c"(sizeof(msg) - 1), "d"(0xE9) : "memory");
    result("outsb done");
}

PV_CASE(multicall_block, "multicall-block", "sched_op block inside a multicall: refused in its entry, the list goes on")
{
    static struct pv_multicall_entry e[2] = {
        { PV_sched_op, 99, { PV_SCHEDOP_block } },
        { PV_xen_version, 99, { PV_XENVER_version } },
    };
    int32_t r = vmcall3(PV_multicall, (uint32_t)e, 2, 0);
    result("multicall %d: results %d 0x%x", r, e[0].result, (uint32_t)e[1].result);
}
