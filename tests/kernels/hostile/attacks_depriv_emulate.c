/*
 * attacks_depriv_emulate.c: the instruction emulation of cpu=deprivileged
 * (hv/depriv/depriv_emulate.c) and of patch=1 (hv/depriv/depriv_patch.c).
 * A ring-1 guest kernel's #GP is decoded and emulated by the hypervisor,
 * and a patched INT3 is emulated as the instruction it replaced: each
 * attack here makes the hypervisor decode, emulate or classify something
 * a CPU would answer otherwise. Every one must get the bare CPU's answer
 * in every mode.
 */
#include "attack.h"

extern const uint32_t exception_stubs[32];   /* ../common/entry.S */

#define SCRATCH 0x300000u      /* a page of the first 4 MiB the kernel leaves free */


/* ---- What the CPU ran, not what the tables now say ------------------------ *
 * The page at SCRATCH maps `ran` and is called once, so that the TLB (or
 * under mem=shadow the shadow table) holds the translation. Then its PTE is
 * changed to `now` without INVLPG: the CPU runs `ran` again from its TLB
 * (SDM vol. 3, 4.10.4.4: the stale entry may be used). An emulator that
 * decodes through the guest's current tables decodes `now` instead. */
static uint8_t ran_page[4096] __attribute__((aligned(4096)));
static uint8_t now_page[4096] __attribute__((aligned(4096)));

static void stale_tlb(const uint8_t *now, unsigned len)
{
    static const uint8_t cli_ret[] = { 0xFA, 0xC3 };          /* CLI; RET */
    for (unsigned i = 0; i < sizeof(cli_ret); i++)
        ran_page[i] = cli_ret[i];
    for (unsigned i = 0; i < len; i++)
        now_page[i] = now[i];
    paging_on(0);
    low_pt[SCRATCH >> 12] = (uint32_t)ran_page | PG_P | PG_W;
    invlpg(SCRATCH);
    ((void (*)(void))SCRATCH)();
    low_pt[SCRATCH >> 12] = (uint32_t)now_page | PG_P | PG_W;   /* no INVLPG */
    ((void (*)(void))SCRATCH)();
    result("the CPU ran the stale translation (CLI; RET)");
}

ATTACK(stale_cr5, "emul-stale-tlb-cr5", "all", "native",
       "CLI; RET run from a stale TLB entry while the PTE now maps MOV CR5, EAX")
{
    static const uint8_t mov_cr5[] = { 0x0F, 0x22, 0xE8, 0xC3 };
    stale_tlb(mov_cr5, sizeof(mov_cr5));
}

ATTACK(stale_vex, "emul-stale-tlb-vex", "all", "native",
       "CLI; RET run from a stale TLB entry while the PTE now maps a VEX encoding of LGDT's bytes")
{
    static const uint8_t vex[] = { 0xC5, 0xF8, 0x01, 0x15, 0x00, 0x00, 0x30, 0x00, 0xC3 };
    stale_tlb(vex, sizeof(vex));
}

/* ---- Undefined encodings: #UD, as the CPU gives them ---------------------- */

ATTACK(mov_cr5, "emul-mov-cr5", "all", "native", "MOV CR5, EAX: CR5 does not exist (#UD)")
{
    __asm__ volatile(EXPECT_AT(".byte 0x0f, 0x22, 0xe8") : : "a"(0) : "memory");
}

ATTACK(mov_from_cr6, "emul-mov-from-cr6", "all", "native", "MOV EAX, CR6: CR6 does not exist (#UD)")
{
    __asm__ volatile(EXPECT_AT(".byte 0x0f, 0x20, 0xf0") : : : "eax", "memory");
}

ATTACK(lock_cli, "emul-lock-cli", "all", "native", "LOCK CLI: LOCK on CLI is #UD")
{
    __asm__ volatile(EXPECT_AT(".byte 0xf0, 0xfa") : : : "memory");
}

/* ---- Code the #GP path must decode as the CPU ran it ----------------------- *
 * INVLPG [0x1234] in a 16-bit code segment is 0F 01 3E 34 12; decoded as
 * 32-bit code it is the 3-byte INVLPG [ESI], and 34 12 (XOR AL, 0x12) runs
 * after it. The segment's base is the code; its limit 64 KiB; D = 0. */
void emul_code16(void);
__asm__(".pushsection .text\n"
        ".code16\n"
        ".globl emul_code16\n"
        "emul_code16:\n"
        "    movb $0, %al\n"
        "    invlpg 0x1234\n"
        "    ljmpl $0x08, $emul_back32\n"
        ".code32\n"
        ".popsection\n");

ATTACK(code16_invlpg, "emul-16bit-invlpg", "all", "native",
       "INVLPG [0x1234] in a 16-bit code segment (5 bytes, not 3)")
{
    uint32_t al;
    gdt_set(GDT_FREE, seg_desc((uint32_t)emul_code16, 0xFFFF, 0x9B, 0));
    gdt_reload();
    __asm__ volatile("ljmp $0x30, $0\n"
                     ".globl emul_back32\n"
                     "emul_back32:\n"
                     "movzbl %%al, %0" : "=a"(al) : : "memory");
    result("AL=0x%02x after the 16-bit INVLPG", al);
}

ATTACK(lgdt_o16, "emul-lgdt-16bit-operand", "all", "native",
       "LGDT with an operand-size prefix: a 24-bit base (the high byte is ignored)")
{
    static struct { uint16_t limit; uint32_t base; } __attribute__((packed)) g;
    g.limit = sizeof(gdt) - 1;
    g.base = (uint32_t)gdt | 0xFF000000u;
    __asm__ volatile("data16 lgdt %0\n\t"
                     "movl $0x10, %%eax\n\tmovl %%eax, %%ds" : : "m"(g) : "eax", "memory");
    result("LGDT o16 loaded a base whose top byte is ignored");
}

/* ---- Protection rules of the instructions the hypervisor emulates --------- */

ATTACK(ltr_data, "emul-ltr-data-segment", "all", "native",
       "LTR of a data segment: #GP(selector)")
{
    __asm__ volatile(EXPECT_AT("ltr %%ax") : : "a"(KDATA) : "memory");
}

/* Under mem=shadow the write to expect_eip exits (a shadow fill) between
 * the two instructions: the guest's DR7 must survive the exit ("save debug
 * controls", hv/guest/vmcs_setup.c). */
ATTACK(dr7_gd, "emul-dr7-gd", "all", "native",
       "MOV from DR0 with DR7.GD set: #DB before the instruction (SDM vol. 3, 17.2.4)")
{
    __asm__ volatile("mov %0, %%dr7\n\t" EXPECT_AT("mov %%dr0, %%eax")
                     : : "r"(0x2400) : "eax", "memory");
}

ATTACK(rdpmc, "emul-rdpmc", "all", "native", "RDPMC of counter 0 at ring 0")
{
    uint32_t lo, hi;
    __asm__ volatile(EXPECT_AT("rdpmc") : "=a"(lo), "=d"(hi) : "c"(0) : "memory");
    result("RDPMC completed");
}

/* ---- A #GP the hypervisor does not emulate --------------------------------- */

ATTACK(limit_gp, "emul-segment-limit-gp", "all", "native",
       "a write past an ES limit of 4 KiB: #GP(0), which the guest's handler must see")
{
    gdt_set(GDT_FREE, seg_desc(0, 0xFFF, 0x93, 0x4));
    gdt_reload();
    __asm__ volatile("movl $0x30, %%eax\n\tmovl %%eax, %%es\n\t"
                     EXPECT_AT("movl %%eax, %%es:0x2000") : : : "eax", "memory");
}

ATTACK(lldt_null, "emul-lldt-null", "all", "native", "LLDT with the null selector: no LDT")
{
    __asm__ volatile("lldt %%ax" : : "a"(0) : "memory");
    result("LLDT 0 completed");
}

ATTACK(lldt_ldt, "emul-lldt-ldt", "all", "native; depriv patch: stop LDT",
       "LLDT of an LDT descriptor: not emulated, a documented stop")
{
    static uint64_t ldt[2];
    gdt_set(GDT_FREE, seg_desc((uint32_t)ldt, sizeof(ldt) - 1, 0x82, 0));
    gdt_reload();
    __asm__ volatile("lldt %%ax" : : "a"(0x30) : "memory");
    result("LLDT completed");
}

void emul_gate_target(void);
__asm__(".pushsection .text\n"
        "emul_gate_target:\n"
        "    movl $0x5a, %eax\n"
        "    lret\n"
        ".popsection\n");

ATTACK(call_gate, "emul-call-gate", "all", "native; depriv patch: stop call gate",
       "a far CALL through a call gate to ring 0: not emulated, a documented stop")
{
    uint32_t target = (uint32_t)emul_gate_target, eax;
    gdt_set(GDT_FREE, (target & 0xFFFF) | (uint64_t)KCODE << 16 | 0x8Cull << 40 |
                      (uint64_t)(target >> 16) << 48);                 /* 32-bit call gate, DPL 0 */
    gdt_reload();
    __asm__ volatile("lcall $0x30, $0" : "=a"(eax) : : "memory");
    result("the call gate returned EAX=0x%x", eax);
}

ATTACK(lret_ring0, "emul-lret-to-ring0", "all", "native", "a far RET to the kernel's own code segment")
{
    __asm__ volatile("pushl $0x08\n\tpushl $1f\n\tlret\n1:" : : : "memory");
    result("far RET completed");
}

ATTACK(pop_ss, "emul-pop-ss", "all", "native", "POP SS with the kernel's stack selector")
{
    uint32_t ss;
    __asm__ volatile("pushl $0x10\n\tpopl %%ss\n\tmovl %%ss, %0" : "=r"(ss) : : "memory");
    result("SS=0x%x", ss & 0xFFFC);
}

ATTACK(lss_kernel, "emul-lss-kernel-stack", "all", "native", "LSS with the kernel's stack selector")
{
    static struct { uint32_t esp; uint16_t ss; } __attribute__((packed)) far_ptr;
    uint32_t ss, esp_before, esp_after;
    __asm__ volatile("movl %%esp, %0" : "=r"(esp_before));
    far_ptr.esp = esp_before;
    far_ptr.ss = KDATA;
    __asm__ volatile("lss %2, %%esp\n\tmovl %%ss, %0\n\tmovl %%esp, %1"
                     : "=r"(ss), "=r"(esp_after) : "m"(far_ptr) : "memory");
    result("SS=0x%x, ESP %s", ss & 0xFFFC, esp_after == esp_before ? "kept" : "changed");
}

/* MOV SS blocks interrupts and debug traps for one instruction (SDM 6.8.3):
 * a single step over MOV SS traps after the next instruction, not MOV SS. */
ATTACK(mov_ss_shadow_tf, "emul-mov-ss-shadow-tf", "all", "native",
       "TF over MOV SS (kernel selector): the #DB comes after the instruction that follows")
{
    set_gate(1, (uint32_t)single_step_stub, KCODE, 0x8E);
    uint32_t after_nop;
    __asm__ volatile("pushfl\n\torl $0x100, (%%esp)\n\tpopfl\n\t"
                     "movl %1, %%ss\n\tnop\n"
                     "1:\tnop\n\tmovl $1b, %0"
                     : "=r"(after_nop) : "r"((uint32_t)KDATA) : "memory", "cc");
    result("%u single-step #DB, %s", (unsigned)db_count,
           db_eip == after_nop ? "after the instruction after MOV SS" : "elsewhere");
}

/* ---- patch=1: what the scanner patches, and INT3s that are not patches ---- */

ATTACK(mov_sreg7, "patch-mov-from-sreg7", "all", "native",
       "8C /7 (MOV r/m16 from segment register 7): #UD, never a patched emulation")
{
    __asm__ volatile(EXPECT_AT(".byte 0x8c, 0xf8") : : : "eax", "memory");
}

ATTACK(lock_pushf, "patch-lock-pushf", "all", "native", "LOCK PUSHF: #UD, never a patched emulation")
{
    __asm__ volatile(EXPECT_AT(".byte 0xf0, 0x9c") : : : "memory");
}

extern char emul_after_int3[];
ATTACK(kernel_int3, "patch-kernel-int3", "all", "native", "the kernel's own INT3 reaches its #BP handler")
{
    expect_eip = (uint32_t)emul_after_int3;
    __asm__ volatile("int3\n\t.globl emul_after_int3\nemul_after_int3:" : : : "memory");
}

/* A page of code whose first instruction (PUSHF) patch=1 patches. Ring 3
 * runs a copy of it at the same linear address, a real INT3 in place of the
 * PUSHF: the guest's own breakpoint, to be delivered as #BP, not emulated as
 * the kernel's patched PUSHF. */
void emul_alias_page(void);
__asm__(".pushsection .text\n"
        ".balign 4096\n"
        ".globl emul_alias_page\n"
        "emul_alias_page:\n"
        "    pushfl\n"
        "    popl %eax\n"
        "    ret\n"
        ".balign 4096\n"
        ".popsection\n");

ATTACK(user_int3_alias, "patch-user-int3-at-patched-address", "all", "native",
       "ring 3 runs its own INT3 at the linear address of a patched kernel PUSHF")
{
    static uint8_t copy[4096] __attribute__((aligned(4096)));
    const uint8_t *page = (const uint8_t *)emul_alias_page;
    for (unsigned i = 0; i < 4096; i++)
        copy[i] = page[i];
    copy[0] = 0xCC;
    paging_on(1);
    low_pt[(uint32_t)page >> 12] = (uint32_t)copy | PG_P | PG_W | PG_U;
    invlpg((uint32_t)page);
    set_gate(3, exception_stubs[3], KCODE, 0xEE);    /* INT3 allowed at ring 3 */
    expect_eip = (uint32_t)page + 1;                  /* INT3 is a trap: after it */
    run_user(emul_alias_page);
    result("ring 3's INT3 was not delivered");
}
