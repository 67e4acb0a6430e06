/*
 * probe_strio.c: probe=strio on long64's command line: string I/O (REP
 * INSB, OUTSB, INSD, OUTSD) from 64-bit code through 4-level page tables,
 * the same natively under QEMU and under the hypervisor, which emulates
 * each element through the guest's tables (hv/exit/exit_io_string.c, SDM
 * vol. 2A INS, vol. 2B OUTS and REP; vol. 3, 4.5 4-level paging).
 *
 * The ports answer with what was last written to them, under QEMU and
 * under devices=machine and devices=virtual alike: COM1's data port (the
 * line on the console), the master PIC's mask register (port 0x21, OCW1),
 * and, unless "nopci" (devices=machine has no PCI ports), PCI's
 * CONFIG_ADDRESS (0xCF8, a dword). Buffers lie on entry.S's 2 MiB pages and
 * on 4 KiB pages of this file's own tables (a window at 512 GiB, PML4E 1,
 * and the same tables at the top of the upper half, PML4E 511), across
 * page boundaries, and across one whose PTE is not present: the #PF comes
 * in the middle of the REP with RCX, RSI and RDI as after the elements
 * done and RIP on the instruction, and the handler's IRET, once the page
 * is present, finishes it (vol. 2B REP). The interrupt flag stays clear
 * throughout: the PIC's mask may open lines that nothing takes.
 */
#include <stdbool.h>
#include <stdint.h>
#include "printf.h"
#include "probe_strio.h"
#include "serial.h"
#include "string.h"
#include "x86io.h"

#define WINDOW      0x0000008000000000ull   /* PML4E 1: 4 KiB pages[0..3], pages[2] not present */
#define WINDOW_HIGH 0xFFFFFF8000000000ull   /* PML4E 511: the same */
#define PIC1_DATA   0x21
#define COM1_DATA   0x3F8
#define COM1_LSR    0x3FD
#define LSR_THR_EMPTY 0x20
#define PCI_ADDRESS 0xCF8
#define PTE_P       1ull
#define PTE_RW      2ull
#define PTE_RSVD_51 (1ull << 51)     /* above MAXPHYADDR: reserved (SDM 4.5, tables 4-15 to 4-20) */
#define NON_CANONICAL 0x0000800000000000ull
#define SELF_SLOT   510                 /* PML4E 510 points to the PML4 itself */
#define SELF_PML4   0xFFFFFF7FBFDFE000ull  /* 510 at every level: the PML4 page */
#define OUTSIDE_RAM 0xF0000000ull       /* no RAM there, natively or under the hypervisor */

static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[512] __attribute__((aligned(4096)));
static uint64_t pt[512] __attribute__((aligned(4096)));
static uint8_t pages[4][4096] __attribute__((aligned(4096)));   /* identity-mapped: physical = linear */

/* entry.S and long64.c */
long try_call(void (*fn)(void));
extern char fault_14[];
extern volatile uint64_t fault_error;

/* The #PF handler of the mid-REP checks (below). */
void strio_pf(void);
uint64_t strio_pf_count, strio_pf_error, strio_pf_cr2, strio_pf_rcx, strio_pf_rsi, strio_pf_rdi;
uint64_t *strio_pf_pte, strio_pf_fixed;
uint8_t strio_pf_port;

/* At the fault: the registers the REP left, CR2, the error code, the PIC's
 * mask (what the elements done wrote); then the entry mended (made present,
 * or its reserved bit cleared), the TLB entry dropped, and IRET back to the
 * instruction. A second #PF is not this
 * probe's: entry.S's handler reports it. */
__asm__(".text\n"
        ".globl strio_pf\n"
        "strio_pf:\n"
        "    cmpq $0, strio_pf_count(%rip)\n"
        "    jne fault_14\n"
        "    incq strio_pf_count(%rip)\n"
        "    movq %rcx, strio_pf_rcx(%rip)\n"
        "    movq %rsi, strio_pf_rsi(%rip)\n"
        "    movq %rdi, strio_pf_rdi(%rip)\n"
        "    popq strio_pf_error(%rip)\n"
        "    pushq %rax\n"
        "    inb $0x21, %al\n"
        "    movb %al, strio_pf_port(%rip)\n"
        "    movq %cr2, %rax\n"
        "    movq %rax, strio_pf_cr2(%rip)\n"
        "    pushq %rdx\n"
        "    movq strio_pf_pte(%rip), %rax\n"
        "    movq strio_pf_fixed(%rip), %rdx\n"
        "    movq %rdx, (%rax)\n"
        "    popq %rdx\n"
        "    movq strio_pf_cr2(%rip), %rax\n"
        "    invlpg (%rax)\n"
        "    popq %rax\n"
        "    iretq\n");

static unsigned failures;

static void check(bool ok, const char *what)
{
    failures += !ok;
    printf("long64: strio: %s: %s\n", what, ok ? "ok" : "FAILED");
}

struct after { uint64_t rcx, rsi, rdi; };

static struct after rep_outsb(uint16_t port, uint64_t rsi, uint64_t rcx)
{
    __asm__ volatile("cld; rep outsb" : "+S"(rsi), "+c"(rcx) : "d"(port) : "memory");
    return (struct after){ rcx, rsi, 0 };
}

static struct after rep_insb(uint16_t port, uint64_t rdi, uint64_t rcx)
{
    __asm__ volatile("cld; rep insb" : "+D"(rdi), "+c"(rcx) : "d"(port) : "memory");
    return (struct after){ rcx, 0, rdi };
}

static struct after rep_outsd(uint16_t port, uint64_t rsi, uint64_t rcx)
{
    __asm__ volatile("cld; rep outsl" : "+S"(rsi), "+c"(rcx) : "d"(port) : "memory");
    return (struct after){ rcx, rsi, 0 };
}

static struct after rep_insd(uint16_t port, uint64_t rdi, uint64_t rcx)
{
    __asm__ volatile("cld; rep insl" : "+D"(rdi), "+c"(rcx) : "d"(port) : "memory");
    return (struct after){ rcx, 0, rdi };
}

/* With the address-size prefix (0x67): ESI and ECX, zero-extended into RSI
 * and RCX as every 32-bit result is in 64-bit mode (SDM vol. 1, 3.4.1.1). */
static struct after rep_outsb_addr32(uint16_t port, uint64_t rsi, uint64_t rcx)
{
    __asm__ volatile("cld; addr32 rep outsb" : "+S"(rsi), "+c"(rcx) : "d"(port) : "memory");
    return (struct after){ rcx, rsi, 0 };
}

/* A line on COM1 by REP OUTSB from linear `at`, 16 bytes (the 16550's FIFO)
 * each time the transmitter is empty: false unless each REP left RSI after
 * its bytes and RCX 0. */
static bool outs_line(uint64_t at, uint64_t n, struct after (*outs)(uint16_t, uint64_t, uint64_t),
                      uint64_t high_bits)
{
    bool ok = true;
    while (n) {
        uint64_t chunk = n < 16 ? n : 16;
        for (int i = 0; i < 1000000 && !(inb(COM1_LSR) & LSR_THR_EMPTY); i++)
            ;
        struct after a = outs(COM1_DATA, at | high_bits, chunk | high_bits);
        ok &= a.rcx == 0 && a.rsi == at + chunk;
        at += chunk, n -= chunk;
    }
    return ok;
}

static uint64_t *map_window(void)
{
    uint64_t cr3;
    __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
    uint64_t *pml4 = (uint64_t *)(cr3 & ~0xFFFull);
    pml4[1] = pml4[511] = (uint64_t)pdpt | PTE_P | PTE_RW;
    pdpt[0] = (uint64_t)pd | PTE_P | PTE_RW;
    pd[0] = (uint64_t)pt | PTE_P | PTE_RW;
    for (unsigned i = 0; i < 4; i++)
        pt[i] = (uint64_t)pages[i] | (i == 2 ? 0 : PTE_P) | PTE_RW | (i == 3 ? PTE_RSVD_51 : 0);
    __asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
    return pml4;
}

/* Hostile (outside=N): the window's entry at level N (4: the PML4E ... 1:
 * the PTE) points outside guest RAM, and REP INSB writes there. Natively
 * the bytes go nowhere; under EPT the CPU's own walk would meet no RAM (an
 * EPT violation): the hypervisor stops the guest, and says why. */
static void write_outside(uint64_t *pml4, unsigned level)
{
    uint64_t *entry[] = { &pt[0], &pd[0], &pdpt[0], &pml4[1] };
    *entry[level - 1] = OUTSIDE_RAM | PTE_P | PTE_RW;
    __asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" : : : "rax", "memory");
    printf("long64: strio: rep insb through a level-%u entry pointing outside RAM\n", level);
    rep_insb(PIC1_DATA, WINDOW, 4);
    printf("long64: strio: rep insb outside RAM went on\n");
}

static void *window(uint64_t offset) { return (void *)(WINDOW + offset); }

static void check_lines(void)
{
    static const char two_mib[] = "long64: strio: this line was written by rep outsb from a 2 MiB page\n";
    check(outs_line((uint64_t)two_mib, sizeof(two_mib) - 1, rep_outsb, 0),
          "rep outsb from a 2 MiB page left RSI after each part and RCX 0");
    static const char crossing[] = "long64: strio: this line was written by rep outsb across two 4 KiB "
                                   "pages of the upper half\n";
    uint64_t at = 0x1000 - 40;
    memcpy(window(at), crossing, sizeof(crossing) - 1);
    check(outs_line(WINDOW_HIGH + at, sizeof(crossing) - 1, rep_outsb, 0),
          "rep outsb across two 4 KiB pages at 0xffffff8000000fd8 left RSI after each part and RCX 0");
    static const char addr32[] = "long64: strio: this line was written by rep outsb with a 32-bit "
                                 "address size (0x67)\n";
    check(outs_line((uint64_t)addr32, sizeof(addr32) - 1, rep_outsb_addr32, 0xFFFFFFFF00000000ull),
          "rep outsb with 0x67 used ESI and ECX: RSI and RCX zero-extended after it");
}

static void check_pic_mask(void)
{
    static const uint8_t masks[8] = { 0x8F, 0x4F, 0x2F, 0x1F, 0xCF, 0xAF, 0x6F, 0x3F };
    uint8_t *src = window(0x1000 - 4);
    memcpy(src, masks, sizeof(masks));
    struct after a = rep_outsb(PIC1_DATA, (uint64_t)src, 8);
    check(inb(PIC1_DATA) == 0x3F && a.rcx == 0 && a.rsi == (uint64_t)src + 8,
          "rep outsb of 8 bytes across a 4 KiB page boundary to the PIC's mask: the last (0x3f) is the mask");
    uint8_t *dst = window(0x1000 - 3);
    memset(dst - 1, 0x55, 8);
    a = rep_insb(PIC1_DATA, (uint64_t)dst, 6);
    bool six = dst[-1] == 0x55 && dst[6] == 0x55 && a.rcx == 0 && a.rdi == (uint64_t)dst + 6;
    for (unsigned i = 0; i < 6; i++)
        six &= dst[i] == 0x3F;
    check(six, "rep insb of 6 bytes across a 4 KiB page boundary: the mask in each, nothing beyond");
    static uint8_t big_page[8];
    a = rep_insb(PIC1_DATA, (uint64_t)big_page + 1, 6);
    six = big_page[0] == 0 && big_page[7] == 0 && a.rcx == 0;
    for (unsigned i = 1; i < 7; i++)
        six &= big_page[i] == 0x3F;
    check(six, "rep insb of 6 bytes into a 2 MiB page: the mask in each, nothing beyond");
}

static void set_pf_gate(void *handler)
{
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr;
    __asm__ volatile("sidt %0" : "=m"(idtr));
    uint64_t a = (uint64_t)handler;
    uint16_t *gate = (uint16_t *)(idtr.base + 16 * 14);       /* SDM 6.14.1: offset 15:0, 31:16, 63:32 */
    gate[0] = (uint16_t)a;
    gate[3] = (uint16_t)(a >> 16);
    *(uint32_t *)&gate[4] = (uint32_t)(a >> 32);
}

/* A REP that meets a broken entry: the #PF handler records the fault and
 * mends the entry (`fixed`); then the entry is broken again (`broken`). */
static void arm_fault(uint64_t *entry, uint64_t fixed)
{
    strio_pf_count = 0;
    strio_pf_pte = entry;
    strio_pf_fixed = fixed;
    set_pf_gate(strio_pf);
}

static void disarm_fault(uint64_t *entry, uint64_t broken)
{
    set_pf_gate(fault_14);
    *entry = broken;
    __asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" : : : "rax", "memory");
}

static void check_faults_mid_rep(void)
{
    uint64_t page = WINDOW + 0x2000;
    outb(PIC1_DATA, 0x5F);
    memset(pages[1] + 4096 - 8, 0, 8);
    memset(pages[2], 0, 8);
    uint64_t absent = pt[2];
    arm_fault(&pt[2], absent | PTE_P);
    struct after a = rep_insb(PIC1_DATA, page - 8, 16);
    disarm_fault(&pt[2], absent);
    bool all = true;
    for (unsigned i = 0; i < 8; i++)
        all &= pages[1][4096 - 8 + i] == 0x5F && pages[2][i] == 0x5F;
    check(strio_pf_count == 1 && strio_pf_error == 0x2 && strio_pf_cr2 == page && strio_pf_rcx == 8 &&
          strio_pf_rdi == page, "rep insb of 16 bytes meeting a not-present page after 8: #PF 0x2 at "
          "the page, RCX 8 and RDI the page at the fault");
    check(all && a.rcx == 0 && a.rdi == page + 8, "resumed by the handler's IRET, it wrote all 16");

    static const uint8_t masks[8] = { 0x9F, 0xAF, 0xBF, 0xCF, 0xDF, 0xEF, 0x7F, 0x3F };
    memcpy(pages[1] + 4096 - 4, masks, 4);
    memcpy(pages[2], masks + 4, 4);
    arm_fault(&pt[2], absent | PTE_P);
    a = rep_outsb(PIC1_DATA, page - 4, 8);
    disarm_fault(&pt[2], absent);
    check(strio_pf_count == 1 && strio_pf_error == 0 && strio_pf_cr2 == page && strio_pf_rcx == 4 &&
          strio_pf_rsi == page && strio_pf_port == 0xCF, "rep outsb of 8 bytes meeting a not-present "
          "page after 4: #PF 0x0 at the page, RCX 4, RSI the page, the 4th byte (0xcf) the mask");
    check(a.rcx == 0 && a.rsi == page + 4 && inb(PIC1_DATA) == 0x3F,
          "resumed by the handler's IRET, it wrote all 8 (the mask 0x3f)");
}

/* A present entry with a reserved bit: #PF with P and RSVD (SDM 4.7),
 * before any element if it is the PDE, after the elements on the pages
 * before it if it is a PTE. */
static void check_reserved_bits(void)
{
    uint64_t page = WINDOW + 0x3000;
    outb(PIC1_DATA, 0x7F);
    memset(pages[3], 0, 4);
    uint64_t broken = pt[3];
    arm_fault(&pt[3], broken & ~PTE_RSVD_51);
    struct after a = rep_insb(PIC1_DATA, page, 4);
    disarm_fault(&pt[3], broken);
    /* The SDM sets P with RSVD (4.7: reserved bits are checked only in a
     * present entry); QEMU's TCG leaves it clear: the line says which. */
    bool ok = strio_pf_count == 1 && (strio_pf_error | 1) == 0xB && strio_pf_cr2 == page &&
              strio_pf_rcx == 4 && a.rcx == 0 && pages[3][3] == 0x7F;
    printf("long64: strio: rep insb into a page whose PTE has bit 51 set: #PF 0x%lx, RCX 4; mended, it "
           "finishes: %s\n", strio_pf_error, ok ? "ok" : "FAILED");
    failures += !ok;
}

/* The recursive slot kernels use: PML4E 510 pointing to the PML4, so that
 * 510 at every level reaches the PML4 page itself, whose bytes OUTSB sends
 * (the second byte of PML4E 1, which points to this file's PDPT). */
static void check_self_reference(uint64_t *pml4)
{
    pml4[SELF_SLOT] = (uint64_t)pml4 | PTE_P | PTE_RW;
    __asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" : : : "rax", "memory");
    struct after a = rep_outsb(PIC1_DATA, SELF_PML4 + 8 + 1, 1);
    uint8_t mask = inb(PIC1_DATA);
    pml4[SELF_SLOT] = 0;
    __asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" : : : "rax", "memory");
    check(mask == (uint8_t)(pml4[1] >> 8) && a.rcx == 0, "rep outsb from the PML4 through its own "
          "recursive slot (0xffffff7fbfdfe009): the PML4E's byte");
}

static void check_dwords(void)
{
    static const uint32_t values[3] = { 0x80000010u, 0x80000820u, 0x80001030u };
    uint8_t *src = window(0x1000 - 6);                          /* the second dword straddles */
    memcpy(src, values, sizeof(values));
    struct after a = rep_outsd(PCI_ADDRESS, (uint64_t)src, 3);
    check(inl(PCI_ADDRESS) == values[2] && a.rcx == 0 && a.rsi == (uint64_t)src + 12,
          "rep outsd of 3 dwords, one across a 4 KiB page boundary, to CONFIG_ADDRESS: the last stays");
    memset(src, 0, 12);
    a = rep_insd(PCI_ADDRESS, (uint64_t)src, 3);
    uint32_t got[3];
    memcpy(got, src, sizeof(got));
    check(got[0] == values[2] && got[1] == values[2] && got[2] == values[2] && a.rcx == 0 &&
          a.rdi == (uint64_t)src + 12, "rep insd of 3 dwords across the boundary: CONFIG_ADDRESS in each");
    outl(PCI_ADDRESS, 0);
}

/* RSI outside the canonical range: #GP(0), before any element (SDM vol.
 * 3, 3.3.7.1; vol. 2B OUTS "64-Bit Mode Exceptions"). */
static void outs_non_canonical(void)
{
    rep_outsb(PIC1_DATA, NON_CANONICAL, 4);
}

bool probe_strio(uint32_t magic, uint32_t info)
{
    uint64_t *pml4 = map_window();
    static const char *const outside[] = { "outside=1", "outside=2", "outside=3", "outside=4" };
    for (unsigned level = 1; level <= 4; level++)
        if (probe_asked(magic, info, outside[level - 1])) {
            write_outside(pml4, level);
            return false;
        }
    check_lines();
    check_pic_mask();
    check_faults_mid_rep();
    check_reserved_bits();
    check_self_reference(pml4);
    outb(PIC1_DATA, 0xFF);
    if (probe_asked(magic, info, "nopci"))
        printf("long64: strio: rep insd/outsd on CONFIG_ADDRESS left out (nopci)\n");
    else
        check_dwords();
    long r = try_call(outs_non_canonical);
    check(r == 1 + 13 && fault_error == 0, "rep outsb with a non-canonical RSI is #GP(0)");
    printf("long64: strio: %s\n", failures ? "some checks FAILED" : "all checks passed");
    return failures == 0;
}
