/*
 * attacks_hvm.c: the VT-x side of a guest (cpu=hvm): control-register
 * combinations that only a VM exit gets to see, event injection in real
 * mode, and HLT. Each gets what the bare CPU gives, or the hypervisor stops
 * the guest with a report.
 */
#include "attack.h"

#define CR4_CET (1u << 23)

/* CPUID.(EAX=7,ECX=0):ECX bit 7: CET shadow stacks, which CR4.CET needs. */
static int has_cet(void)
{
    uint32_t a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
    if (a < 7)
        return 0;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
    return (c >> 7) & 1;
}

ATTACK(cr0_wp_with_cet, "cr-clear-wp-with-cet", "ept shadow icelake", "native",
       "CR4.CET set without an exit, then a MOV CR0 that exits (it flips NE) and clears WP")
{
    if (!has_cet())
        result("no CET on this CPU");
    write_cr0(read_cr0() | CR0_WP);
    write_cr4(read_cr4() | CR4_CET);
    /* SDM vol. 3, 2.5: CR0.WP cannot be cleared while CR4.CET = 1 (#GP). */
    __asm__ volatile(EXPECT_AT("mov %0, %%cr0")
                     : : "r"((read_cr0() ^ CR0_NE) & ~CR0_WP) : "memory");
    result("took CR0=0x%08x with CR4=0x%08x", read_cr0(), read_cr4());
}

ATTACK(cr4_pcide_32bit, "cr-pcide-outside-long-mode", "ept shadow icelake", "native",
       "MOV CR4 with PCIDE outside IA-32e mode")
{
    __asm__ volatile(EXPECT_AT("mov %0, %%cr4") : : "r"(read_cr4() | 1u << 17) : "memory");
    result("took CR4=0x%08x", read_cr4());
}

/*
 * Real mode. rm_blob is copied to RM_BASE and runs there: a 16-bit
 * protected-mode stub clears CR0.PE and far-jumps to real mode, which runs
 * each refused instruction with its own IVT (at RM_BASE + RM_IVT); every
 * handler notes the vector and how many bytes the CPU pushed (6: FLAGS, CS,
 * IP; 8 would mean an error code, which real mode never pushes), then
 * resumes after the instruction. Back in protected mode the attack reports
 * what it saw, for the bare CPU's answer to be compared with.
 */
#define RM_BASE 0x60000u
#define RM_IVT  0x800u
#define RM_CODE16_SEL (GDT_FREE * 8)
#define RM_DATA16_SEL (GDT_FREE * 8 + 8)

extern const uint8_t rm_blob[], rm_blob_end[];
/* Filled in by the real-mode code: per test, the vector (0xFF: none) and the
 * bytes pushed. The offsets are rm_blob's (below). */
struct rm_results {
    uint8_t vector[4];
    uint16_t pushed[4];
};
uint32_t rm_saved_esp;

__asm__(
    ".pushsection .text\n"
    ".code32\n"
    "rm_back32:\n"                     /* protected mode again: flat segments */
    "  mov $0x10, %ax\n  mov %ax, %ds\n  mov %ax, %es\n  mov %ax, %ss\n"
    "  mov %ax, %fs\n  mov %ax, %gs\n"
    "  mov rm_saved_esp, %esp\n"
    "  ret\n"
    "rm_enter:\n"                      /* called with interrupts off */
    "  mov %esp, rm_saved_esp\n"
    "  ljmp $" "0x30" ", $(rm_pm16 - rm_blob)\n"
    ".popsection\n"

    ".pushsection .rodata\n"
    ".globl rm_blob, rm_blob_end\n"
    "rm_blob:\n"
    ".code16\n"
    "rm_pm16:\n"                       /* 16-bit protected mode, CS base RM_BASE */
    "  mov $0x38, %ax\n  mov %ax, %ds\n  mov %ax, %es\n  mov %ax, %ss\n"
    "  mov %ax, %fs\n  mov %ax, %gs\n"
    "  mov %cr0, %eax\n  and $0xfffffffe, %eax\n  mov %eax, %cr0\n"
    "  ljmp $0x6000, $(rm_real - rm_blob)\n"
    "rm_real:\n"
    "  mov $0x6000, %ax\n  mov %ax, %ds\n  mov %ax, %ss\n"
    "  mov $0x7f0, %sp\n"
    "  lidt (rm_ivtr - rm_blob)\n"
    /* test 0: RDMSR of the x2APIC ID, which the APIC's xAPIC mode lacks */
    "  movw $(1f - rm_blob), (rm_resume - rm_blob)\n  movw $0, (rm_index - rm_blob)\n"
    "  mov %sp, (rm_sp - rm_blob)\n"
    "  mov $0x802, %ecx\n  rdmsr\n"
    "1:\n"
    /* test 1: WRMSR IA32_EFER with a reserved bit (1) */
    "  movw $(1f - rm_blob), (rm_resume - rm_blob)\n  movw $1, (rm_index - rm_blob)\n"
    "  mov %sp, (rm_sp - rm_blob)\n"
    "  mov $0xc0000080, %ecx\n  mov $2, %eax\n  xor %edx, %edx\n  wrmsr\n"
    "1:\n"
    /* test 2: MOV CR4 with a reserved bit (31) */
    "  movw $(1f - rm_blob), (rm_resume - rm_blob)\n  movw $2, (rm_index - rm_blob)\n"
    "  mov %sp, (rm_sp - rm_blob)\n"
    "  mov %cr4, %eax\n  or $0x80000000, %eax\n  mov %eax, %cr4\n"
    "1:\n"
    /* test 3: VMCALL */
    "  movw $(1f - rm_blob), (rm_resume - rm_blob)\n  movw $3, (rm_index - rm_blob)\n"
    "  mov %sp, (rm_sp - rm_blob)\n"
    "  vmcall\n"
    "1:\n"
    /* back: PE on, a far jump to the kernel's 32-bit code segment */
    "  mov %cr0, %eax\n  or $1, %eax\n  mov %eax, %cr0\n"
    "  ljmpl $0x08, $rm_back32\n"

    /* The handlers: note the vector and the bytes pushed, resume. */
    "rm_fault:\n"                      /* al = vector */
    "  mov (rm_index - rm_blob), %bx\n"
    "  mov %al, (rm_results - rm_blob)(%bx)\n"
    "  mov (rm_sp - rm_blob), %ax\n  sub %sp, %ax\n"
    "  shl $1, %bx\n  mov %ax, (rm_results - rm_blob + 4)(%bx)\n"
    "  mov (rm_sp - rm_blob), %sp\n"
    "  jmp *(rm_resume - rm_blob)\n"
    "rm_h6:\n  mov $6, %al\n  jmp rm_fault\n"
    "rm_h13:\n  mov $13, %al\n  jmp rm_fault\n"
    "rm_hother:\n  mov $0xee, %al\n  jmp rm_fault\n"
    ".balign 4\n"
    "rm_ivtr:\n  .word 32 * 4 - 1\n  .long 0x60000 + 0x800\n"
    "rm_resume:\n  .word 0\n"
    "rm_index:\n  .word 0\n"
    "rm_sp:\n  .word 0\n"
    ".globl rm_results\n"
    "rm_results:\n  .byte 0xff, 0xff, 0xff, 0xff\n  .word 0, 0, 0, 0\n"
    "rm_blob_end:\n"
    ".code32\n"
    ".popsection\n");

extern const uint8_t rm_h6[], rm_h13[], rm_hother[], rm_results[];

ATTACK(realmode_refused, "inject-real-mode-refused", "ept icelake", "native",
       "real mode (CR0.PE=0): RDMSR, WRMSR, MOV CR4 and VMCALL, each refused: no error code")
{
    uint32_t size = (uint32_t)(rm_blob_end - rm_blob);
    uint8_t *low = (uint8_t *)RM_BASE;
    for (uint32_t i = 0; i < size; i++)
        low[i] = rm_blob[i];
    /* The real-mode IVT: each entry is offset, segment. */
    uint16_t *ivt = (uint16_t *)(RM_BASE + RM_IVT);
    for (unsigned v = 0; v < 32; v++) {
        const uint8_t *h = v == 6 ? rm_h6 : v == 13 ? rm_h13 : rm_hother;
        ivt[2 * v] = (uint16_t)(h - rm_blob);
        ivt[2 * v + 1] = RM_BASE >> 4;
    }
    gdt_set(GDT_FREE, seg_desc(RM_BASE, 0xFFFF, 0x9A, 0));       /* 16-bit code */
    gdt_set(GDT_FREE + 1, seg_desc(RM_BASE, 0xFFFF, 0x92, 0));   /* 16-bit data */
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) idtr;
    uint32_t flags;
    __asm__ volatile("sidt %0; pushf; pop %1; cli" : "=m"(idtr), "=r"(flags));
    __asm__ volatile("call rm_enter" : : : "eax", "ebx", "ecx", "edx", "esi", "edi", "memory");
    __asm__ volatile("lidt %0; push %1; popf" : : "m"(idtr), "r"(flags) : "memory", "cc");
    const struct rm_results *r =
        (const struct rm_results *)(RM_BASE + (uint32_t)(rm_results - rm_blob));
    result("rdmsr %u/%u wrmsr %u/%u cr4 %u/%u vmcall %u/%u", r->vector[0], r->pushed[0],
           r->vector[1], r->pushed[1], r->vector[2], r->pushed[2], r->vector[3], r->pushed[3]);
}

/* ---- HLT ---------------------------------------------------------------- */

/* Masks the PICs' lines (slave first), then waits for an interrupt. */
static void halt_masked(uint8_t master, uint8_t slave)
{
    outb(0xA1, slave);
    outb(0x21, master);
    __asm__ volatile("sti; hlt" : : : "memory");
    breach("woke from HLT with PIC masks 0x%02x and 0x%02x", master, slave);
}

ATTACK(hlt_all_masked, "hlt-all-irqs-masked", "all virtual vdepriv",
       "stop halted with every interrupt line masked; virtual vdepriv: stop IRQ 0 \\(the PIT\\) is masked",
       "STI; HLT with every line of both PICs masked: nothing can ever wake it")
{
    halt_masked(0xFF, 0xFF);
}

ATTACK(hlt_master_masked, "hlt-master-pic-masked", "all virtual vdepriv",
       "stop halted with every interrupt line masked; virtual vdepriv: stop IRQ 0 \\(the PIT\\) is masked",
       "STI; HLT with the master PIC's 8 lines masked (the slave's reach the CPU through it)")
{
    halt_masked(0xFF, 0x00);
}

/* PAE paging switched on by a MOV CR0 that exits (it flips NE): with EPT,
 * VM entry takes the PDPTEs from the VMCS (SDM 27.3.2.4), so the hypervisor
 * that emulates the MOV must load them from CR3 as the CPU would (SDM 4.4.1),
 * and #GP on a present one with reserved bits. Linear 0x40000000 maps
 * physical 0 through PDPTE 1: a read there shows which PDPTEs are in use. */
static uint64_t pae_pdpt[4] __attribute__((aligned(32)));
static uint64_t pae_pd_low[512] __attribute__((aligned(4096)));
static uint64_t pae_pd_high[512] __attribute__((aligned(4096)));
static volatile uint32_t pae_marker = 0x5AE5AE00u;

static void pae_tables(uint64_t pdpte3)
{
    for (unsigned i = 0; i < 512; i++)
        pae_pd_low[i] = (uint64_t)i << 21 | PG_P | PG_W | PG_PS;     /* the first GiB 1:1 */
    pae_pd_high[0] = PG_P | PG_W | PG_PS;                            /* 0x40000000: physical 0 */
    pae_pdpt[0] = (uint32_t)pae_pd_low | PG_P;
    pae_pdpt[1] = (uint32_t)pae_pd_high | PG_P;
    pae_pdpt[3] = pdpte3;
    write_cr4(read_cr4() | 1u << 5);
    __asm__ volatile("mov %0, %%cr3" : : "r"(pae_pdpt) : "memory");
}

ATTACK(pae_exiting_mov_cr0, "cr-pae-via-exiting-mov-cr0", "all", "native; shadow depriv patch: stop PAE",
       "PAE paging enabled by a MOV CR0 that exits: the PDPTEs must be CR3's")
{
    pae_tables(0);
    write_cr0((read_cr0() ^ CR0_NE) | CR0_PG);
    result("PAE paging on, read 0x%08x through PDPTE 1",
           *(volatile uint32_t *)(0x40000000u + (uint32_t)&pae_marker));
}

ATTACK(pae_reserved_pdpte, "cr-pae-reserved-pdpte-via-exiting-mov-cr0", "all",
       "native; shadow depriv patch: stop PAE",
       "the same with PDPTE 3 present and reserved bit 1 set: #GP at the MOV CR0")
{
    pae_tables(PG_P | 2);
    __asm__ volatile(EXPECT_AT("mov %0, %%cr0") : : "r"((read_cr0() ^ CR0_NE) | CR0_PG) : "memory");
}

/* The same with CR3 naming a table beyond guest RAM: with EPT the
 * hypervisor reads the PDPTEs itself, and stops the guest rather than read
 * outside its memory (the CPU itself, with paging by EPT, would exit on an
 * EPT violation there). */
ATTACK(pae_pdpt_beyond_ram, "cr-pae-pdpt-beyond-ram", "all",
       "stop (PAE|page-directory-pointer table at guest-physical 0xf0000000, outside its RAM)",
       "CR3 at 0xf0000000, then PAE paging turned on by a MOV CR0 that exits")
{
    pae_tables(0);
    __asm__ volatile("mov %0, %%cr3" : : "r"(0xF0000000u) : "memory");
    write_cr0((read_cr0() ^ CR0_NE) | CR0_PG);
    result("PAE paging on with its PDPT outside RAM");
}
