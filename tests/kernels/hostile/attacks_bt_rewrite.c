/*
 * attacks_bt_rewrite.c: code rewritten behind bt=1's cached decodings.
 * Under bt=1 a privileged instruction of the kernel ends its translation in
 * an EMULATE exit, and depriv_bt_emulate.c's decode_at reuses the decoding
 * of the instruction emulated last at that EIP while its frames, the
 * cache's generation and the frames' hotness are unchanged: every change
 * of its bytes must drop translations (the frames are write-protected in
 * the shadow) or reach the hypervisor some other way. Each attack runs a
 * privileged instruction three times at one EIP (decoded once, then
 * reused), changes it into another by one route, and runs it again: MOV
 * EAX, DR0 (0F 21 C0) becomes MOV EAX, DR7 (0F 21 F8), whose values differ
 * (0 and 0x400 from reset), so the stale decoding shows as DR0's value
 * where the bare CPU gives DR7's. (MOV from CR, which these attacks used
 * first, is translated inline now: no EMULATE exit, nothing decoded.) The
 * routes: a store through the same linear address, through an alias, REP
 * INSB from COM1's scratch register (the hypervisor's own 16550 writes the
 * byte), an exception frame the CPU (at ring 1: the hypervisor) pushes over
 * the bytes, an instruction across two pages with the second rewritten,
 * the page re-mapped to another frame (INVLPG, a CR3 load), a page only
 * ever run under TF (one instruction translated at a time, never
 * write-protected), and a page table that is code, changed by the accessed
 * flag a walk sets (MOV ECX, DR0 becomes MOV ECX, DR4: DR6, with CR4.DE
 * clear, SDM vol. 3, 18.2.2). SDM vol. 3, 11.6:
 * a write to code takes effect for the next instruction fetched after it
 * (a jump or call between: here a CALL). Mutations of the hypervisor that
 * each attack catches: ignoring the generation, the frames' protection,
 * the hypervisor's own stores (INS, a delivery, a walk's flags).
 */
#include "attack.h"
#include "fmt.h"

#define PAGE 4096u
#define ALIAS 0x00400000u            /* the second 4 MiB: alias_pt's */
#define COM1_SCR 0x3FF               /* the 16550's scratch register */
#define CR0_NW (1u << 29)
#define CR0_CD (1u << 30)

/* mov eax, dr0; ret / mov eax, dr7; ret */
static const uint8_t old_code[] = { 0x0F, 0x21, 0xC0, 0xC3 };
static const uint8_t new_code[] = { 0x0F, 0x21, 0xF8, 0xC3 };
#define NEW_MODRM 0xF8

/* Pages of code written at run time (no other data shares their frames). */
static uint8_t code[4 * PAGE] __attribute__((aligned(4096)));
static uint32_t alias_pt[1024] __attribute__((aligned(4096)));

static uint32_t call_at(uint32_t at)
{
    uint32_t eax;
    __asm__ volatile("call *%1" : "=a"(eax) : "r"(at) : "ecx", "edx", "memory", "cc");
    return eax;
}

/* The instruction at `at` run three times: decoded at the first, its
 * decoding reused at the others (bt=1). */
static uint32_t before[3];
static void run_thrice(uint32_t at)
{
    for (unsigned i = 0; i < 3; i++)
        before[i] = call_at(at);
}

static void report(uint32_t after, const char *more)
{
    uint32_t cr3;
    __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
    result("before 0x%08x 0x%08x 0x%08x, after 0x%08x (cr0 0x%08x, cr3 0x%08x)%s", before[0], before[1],
           before[2], after, read_cr0(), cr3, more);
}

/* Paging on, and CR0's cache bits clear (the loaders leave them apart: the
 * bare CPU's BIOS sets CD and NW), so that CR0 reads alike everywhere. */
static void start(void)
{
    paging_on(0);
    write_cr0(read_cr0() & ~(CR0_CD | CR0_NW));
}

static void map_alias(unsigned page, uint32_t frame)
{
    alias_pt[page] = frame | PG_P | PG_W;
    page_dir[ALIAS >> 22] = (uint32_t)alias_pt | PG_P | PG_W;
    __asm__ volatile("invlpg (%0)" : : "r"(ALIAS + page * PAGE) : "memory");
}

static void place(uint8_t *at, const uint8_t *bytes)
{
    for (unsigned i = 0; i < sizeof(old_code); i++)
        at[i] = bytes[i];
}

ATTACK(emul_rewrite_store, "bt-emul-rewrite-store", "all", "native",
       "a decoded sensitive instruction rewritten by a store through its own address")
{
    start();
    place(&code[0x100], old_code);
    run_thrice((uint32_t)&code[0x100]);
    code[0x102] = NEW_MODRM;
    report(call_at((uint32_t)&code[0x100]), "");
}

/* The alias written first, so that its shadow entry is writable before
 * the code is translated: the translation must write-protect it too. */
ATTACK(emul_rewrite_alias, "bt-emul-rewrite-alias", "all", "native",
       "a decoded sensitive instruction rewritten through a second mapping of its frame")
{
    start();
    map_alias(0, (uint32_t)code);
    place((uint8_t *)ALIAS + 0x100, old_code);
    run_thrice((uint32_t)&code[0x100]);
    *(volatile uint8_t *)(ALIAS + 0x102) = NEW_MODRM;
    report(call_at((uint32_t)&code[0x100]), "");
}

ATTACK(emul_rewrite_alias_late, "bt-emul-rewrite-alias-late", "all", "native",
       "the same, the alias mapped only after the instruction was decoded (its shadow entry made by the write)")
{
    start();
    place(&code[0x100], old_code);
    run_thrice((uint32_t)&code[0x100]);
    map_alias(0, (uint32_t)code);
    *(volatile uint8_t *)(ALIAS + 0x102) = NEW_MODRM;
    report(call_at((uint32_t)&code[0x100]), "");
}

ATTACK(emul_rewrite_insb, "bt-emul-rewrite-insb", "all", "native",
       "a decoded sensitive instruction rewritten by REP INSB from COM1's scratch register")
{
    start();
    place(&code[0x100], old_code);
    run_thrice((uint32_t)&code[0x100]);
    outb(COM1_SCR, NEW_MODRM);
    uint32_t edi = (uint32_t)&code[0x102], ecx = 1;
    __asm__ volatile("cld; rep insb" : "+D"(edi), "+c"(ecx) : "d"(COM1_SCR) : "memory");
    report(call_at((uint32_t)&code[0x100]), "");
}

/* ---- An exception frame over the code ------------------------------------------
 * With ESP 12 bytes above the instruction, a #UD at EIP 0xC3F8210F pushes
 * that EIP over it: 0F 21 F8 C3, MOV EAX, DR7; RET (then CS and EFLAGS).
 * At ring 1 the hypervisor delivers the #UD and writes the frame itself.
 * frame_over(esp, target) jumps to target with that ESP; the #UD handler
 * takes the caller's stack back and returns from frame_over. */
#define UD_EIP 0xC3F8210Fu
static uint32_t far_pt[1024] __attribute__((aligned(4096)));
uint32_t frame_saved_esp;
void frame_over(uint32_t esp, uint32_t target);
void frame_ud_stub(void);
__asm__(".globl frame_over, frame_ud_stub\n"
        "frame_over:\n"
        "    pushfl\n    pushal\n"
        "    movl %esp, frame_saved_esp\n"
        "    movl 40(%esp), %eax\n    movl 44(%esp), %ecx\n"
        "    movl %eax, %esp\n"
        "    jmp *%ecx\n"
        "frame_ud_stub:\n"
        "    movl frame_saved_esp, %esp\n"
        "    popal\n    popfl\n"
        "    ret\n");

/* UD2 at UD_EIP (in code's second page), frame_ud_stub its handler. */
static void ud2_at_ud_eip(void)
{
    set_gate(6, (uint32_t)frame_ud_stub, KCODE, 0x8E);
    uint8_t *trap = &code[PAGE];
    trap[UD_EIP & 0xFFF] = 0x0F;
    trap[(UD_EIP & 0xFFF) + 1] = 0x0B;
    far_pt[(UD_EIP >> 12) & 0x3FF] = (uint32_t)trap | PG_P | PG_W;
    page_dir[UD_EIP >> 22] = (uint32_t)far_pt | PG_P | PG_W;
    __asm__ volatile("mov %0, %%cr3" : : "r"(page_dir) : "memory");
}

ATTACK(emul_rewrite_frame, "bt-emul-rewrite-frame", "all", "native",
       "a decoded sensitive instruction overwritten by an exception's frame (ESP just above it), then run")
{
    start();
    ud2_at_ud_eip();
    place(&code[0x100], old_code);
    run_thrice((uint32_t)&code[0x100]);
    frame_over((uint32_t)&code[0x100] + 12, UD_EIP);
    report(call_at((uint32_t)&code[0x100]), "");
}

ATTACK(emul_rewrite_straddle, "bt-emul-rewrite-straddle", "all", "native",
       "a decoded sensitive instruction across two pages, its bytes on the second rewritten")
{
    start();
    place(&code[PAGE - 2], old_code);        /* 0F 21 | C0 C3 */
    run_thrice((uint32_t)&code[PAGE - 2]);
    code[PAGE] = NEW_MODRM;
    report(call_at((uint32_t)&code[PAGE - 2]), "");
}

ATTACK(emul_rewrite_straddle_alias, "bt-emul-rewrite-straddle-alias", "all", "native",
       "the same, the second page rewritten through an alias of its frame")
{
    start();
    place(&code[PAGE - 2], old_code);
    map_alias(0, (uint32_t)&code[PAGE]);
    *(volatile uint8_t *)ALIAS = old_code[2];   /* its shadow entry writable, as above */
    run_thrice((uint32_t)&code[PAGE - 2]);
    *(volatile uint8_t *)ALIAS = NEW_MODRM;
    report(call_at((uint32_t)&code[PAGE - 2]), "");
}

/* The instruction's linear page mapped to the frame of code[0] (the old
 * instruction), then to that of code[PAGE] (the new one): no write at all.
 * The new one run first where it is, so that both frames hold translated
 * code (write-protected: a decoding there may be kept). */
static void remap(int invlpg)
{
    start();
    place(&code[0x100], old_code);
    place(&code[PAGE + 0x100], new_code);
    call_at((uint32_t)&code[PAGE + 0x100]);
    map_alias(0, (uint32_t)code);
    run_thrice(ALIAS + 0x100);
    alias_pt[0] = (uint32_t)&code[PAGE] | PG_P | PG_W;
    if (invlpg)
        __asm__ volatile("invlpg (%0)" : : "r"(ALIAS) : "memory");
    else
        __asm__ volatile("mov %0, %%cr3" : : "r"(page_dir) : "memory");
    /* A read through the page first: the shadow maps it again, to the new
     * frame, before the instruction's old translation could run. */
    char read[24];
    snprintf(read, sizeof(read), ", read 0x%02x", *(volatile uint8_t *)(ALIAS + 0x102));
    report(call_at(ALIAS + 0x100), read);
}

ATTACK(emul_rewrite_remap_invlpg, "bt-emul-rewrite-remap-invlpg", "all", "native",
       "a decoded sensitive instruction's page mapped to another frame, INVLPG")
{
    remap(1);
}

ATTACK(emul_rewrite_remap_cr3, "bt-emul-rewrite-remap-cr3", "all", "native",
       "a decoded sensitive instruction's page mapped to another frame, a CR3 load")
{
    remap(0);
}

/* ---- A page run only under TF ----------------------------------------------------
 * The guest's own TF makes bt=1 translate one instruction at a time, and
 * no such translation write-protects its frame: MOV EAX, DR0 ends page 2
 * (entered with TF set), page 3 clears TF (PUSHF; AND [ESP], ~TF; POPF) and returns. A
 * plain store into page 2 then exits nowhere. The #DB handler counts. */
uint32_t tf_steps;
void tf_step_stub(void);
__asm__(".globl tf_step_stub\n"
        "tf_step_stub:\n"
        "    incl tf_steps\n"
        "    iret\n");

static const uint8_t tf_off[] = { 0x9C, 0x81, 0x24, 0x24, 0xFF, 0xFE, 0xFF, 0xFF, 0x9D, 0xC3 };

/* Entered by an IRET whose image sets TF (a CALL through a register would
 * make bt=1 translate the target's block at its lookup exit, and protect
 * the page): the #DB comes after the first instruction there. */
static uint32_t call_with_tf(uint32_t at)
{
    uint32_t eax;
    __asm__ volatile("pushl $1f\n\t"
                     "pushfl\n\torl $0x100, (%%esp)\n\t"
                     "pushl %%cs\n\tpushl %1\n\t"
                     "iret\n"
                     "1:" : "=a"(eax) : "r"(at) : "ecx", "edx", "memory", "cc");
    return eax;
}

ATTACK(emul_rewrite_single_step, "bt-emul-rewrite-single-step", "all", "native",
       "a sensitive instruction on a page only ever run under TF, decoded, then rewritten by a store")
{
    start();
    set_gate(1, (uint32_t)tf_step_stub, KCODE, 0x8E);
    uint32_t at = (uint32_t)&code[3 * PAGE - 3];
    for (unsigned i = 0; i < 3; i++)
        code[3 * PAGE - 3 + i] = old_code[i];
    for (unsigned i = 0; i < sizeof(tf_off); i++)
        code[3 * PAGE + i] = tf_off[i];
    for (unsigned i = 0; i < 3; i++)
        before[i] = call_with_tf(at);
    code[3 * PAGE - 1] = NEW_MODRM;
    uint32_t after = call_with_tf(at);
    char steps[40];
    snprintf(steps, sizeof(steps), ", %u single-step traps", (unsigned)tf_steps);
    report(after, steps);
}

/* ---- The CPU's accessed flag over the code ------------------------------------------
 * A page table that is code too: its entry 0, not present, holds 0F 21 in
 * its high half, and entry 1 (P, D, PAT, G, an AVL bit: frame 0xC000) is
 * C1 C3 00 00, so from byte 2 it reads MOV ECX, DR0; RET. A read through
 * entry 1 sets its accessed flag (SDM vol. 3, 4.8): C1 becomes E1, MOV
 * ECX, DR4 (DR6). Under shadow paging the hypervisor's walk sets it, in
 * software. */
static uint32_t pt_code[1024] __attribute__((aligned(4096)));
#define PT_LINEAR 0x00800000u                /* pt_code's 4 MiB */

static uint32_t call_for_ecx(uint32_t at)
{
    uint32_t ecx;
    __asm__ volatile("call *%1" : "=c"(ecx) : "r"(at) : "eax", "edx", "memory", "cc");
    return ecx;
}

/* pt_code made, its instruction run three times (decoded, reused). */
static uint32_t accessed_setup(void)
{
    start();
    pt_code[0] = 0x210F0000u;
    pt_code[1] = 0x0000C3C1u;
    page_dir[PT_LINEAR >> 22] = (uint32_t)pt_code | PG_P | PG_W;
    __asm__ volatile("mov %0, %%cr3" : : "r"(page_dir) : "memory");
    uint32_t at = (uint32_t)pt_code + 2;
    for (unsigned i = 0; i < 3; i++)
        before[i] = call_for_ecx(at);
    return at;
}

static void accessed_report(uint32_t at)
{
    uint32_t cr4;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    char more[64];
    snprintf(more, sizeof(more), ", entry 0x%08x, cr4 0x%08x", pt_code[1], cr4);
    report(call_for_ecx(at), more);
}

ATTACK(emul_rewrite_accessed, "bt-emul-rewrite-accessed-flag", "all", "native",
       "a decoded sensitive instruction in a page table, changed by the accessed flag the walk sets")
{
    uint32_t at = accessed_setup();
    (void)*(volatile uint32_t *)(PT_LINEAR + PAGE);   /* sets entry 1's accessed flag */
    accessed_report(at);
}

/* The same flag set by an exception's delivery, its stack in the page
 * entry 1 maps (at ring 1 the hypervisor walks to it and writes there). */
ATTACK(emul_rewrite_accessed_delivery, "bt-emul-rewrite-accessed-flag-delivery", "all", "native",
       "the same, the flag set by the walk of an exception's delivery to a stack in that page")
{
    uint32_t at = accessed_setup();
    ud2_at_ud_eip();
    frame_over(PT_LINEAR + 2 * PAGE, UD_EIP);
    accessed_report(at);
}

/* The same flag set by fetching code through entry 1: MOV EAX, DR7; RET at
 * physical 0xC000, called at its address there (under bt=1 the
 * translator's read of it is the fetch: the first walk through entry 1). */
ATTACK(emul_rewrite_accessed_fetch, "bt-emul-rewrite-accessed-flag-fetch", "all", "native",
       "the same, the flag set by the walk of a fetch through that entry")
{
    uint32_t at = accessed_setup();
    place((uint8_t *)0xC000, new_code);
    uint32_t fetched = call_at(PT_LINEAR + PAGE);
    char more[80];
    uint32_t cr4;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    uint32_t after = call_for_ecx(at);
    snprintf(more, sizeof(more), ", fetched 0x%08x, entry 0x%08x, cr4 0x%08x", fetched, pt_code[1], cr4);
    report(after, more);
}
