/*
 * attacks_bt_area.c: the hypervisor's area at the top of the guest's linear
 * space, 0xFC000000-0xFFFFFFFF (hv/depriv/depriv.h: its GDT and TSS copies
 * at 0xFFC00000; issue 21: the binary translator's cache and vCPU page from
 * 0xFFC20000, hv/bt/README.md), attacked by a kernel that believes it runs at
 * ring 0: reads and writes through every segment register with every
 * selector of its GDT, every selector 0..0xFFFF loaded and used, CS- and
 * GS-prefixed reads, every kind of control transfer into it; and a kernel
 * rewriting the page it runs on 100,000 times.
 *
 * Natively (and with EPT or shadow paging, the guest at ring 0) the area is
 * the guest's own linear space: not mapped, a #PF; mapped by the guest to
 * its own page, that page. Under cpu=deprivileged every segment ends below
 * it (DEPRIV_SEG_LIMIT): #GP, or #SS through SS, whatever the guest maps.
 * A read that gives anything but the guest's own bytes is a breach.
 */
#include "attack.h"
#include "fmt.h"
#include "string.h"

#define AREA_PDE 1008u                  /* 0xFC000000 >> 22: its 16 PDEs */

/* Where the attacks aim: the area's start, the GDT copy, the translation
 * cache's start, the middle, the vCPU page's region's end, the top. */
static const uint32_t targets[] = { 0xFC000000u, 0xFFC00000u, 0xFFC20000u, 0xFFD00000u, 0xFFDFFFFCu,
                                    0xFFE00000u, 0xFFFFFFFCu };
#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

/* ---- Faults with any DS and ES ------------------------------------------------
 * entry.S's handler reaches recover_eip through DS: with a null or read-only
 * DS it would fault again. These stubs load the kernel's data segments first
 * (an IRET does not restore them), then go on to entry.S's. */
extern const uint32_t exception_stubs[32];
#define FLAT_STUB(v)                                                       \
    void flat_stub_##v(void);                                              \
    __asm__(".globl flat_stub_" #v "\n"                                    \
            "flat_stub_" #v ":\n"                                          \
            "    pushl %eax\n"                                             \
            "    movl $0x10, %eax\n    movl %eax, %ds\n    movl %eax, %es\n" \
            "    popl %eax\n"                                              \
            "    jmp *exception_stubs + 4 * " #v "\n");
FLAT_STUB(10) FLAT_STUB(11) FLAT_STUB(12) FLAT_STUB(13) FLAT_STUB(14)

static void flat_handlers(void)
{
    set_gate(10, (uint32_t)flat_stub_10, KCODE, 0x8E);
    set_gate(11, (uint32_t)flat_stub_11, KCODE, 0x8E);
    set_gate(12, (uint32_t)flat_stub_12, KCODE, 0x8E);
    set_gate(13, (uint32_t)flat_stub_13, KCODE, 0x8E);
    set_gate(14, (uint32_t)flat_stub_14, KCODE, 0x8E);
}

/* ---- One access through one segment register ----------------------------------
 * Loads sel into the register, reads or writes addr through it, and puts
 * the register back; recovered_vector says whether and how it faulted
 * (the load or the access). */
#define ACCESS(sreg)                                                                    \
    static uint32_t access_##sreg(uint32_t sel, uint32_t addr, int write, uint32_t value) \
    {                                                                                   \
        uint32_t v = value;                                                             \
        recovered_vector = NO_FAULT;                                                    \
        __asm__ volatile("movw %%" #sreg ", %%dx\n\t"                                   \
                         "movl $2f, recover_eip\n\t"                                    \
                         "movw %w[sel], %%" #sreg "\n\t"                                \
                         "testl %[w], %[w]\n\t"                                         \
                         "jz 1f\n\t"                                                    \
                         "movl %[v], %%" #sreg ":(%[a])\n\t"                            \
                         "jmp 2f\n"                                                     \
                         "1:\tmovl %%" #sreg ":(%[a]), %[v]\n"                          \
                         "2:\tmovw %%dx, %%" #sreg "\n\t"                               \
                         "movl $0, recover_eip"                                         \
                         : [v] "+r"(v) : [sel] "r"(sel), [a] "r"(addr), [w] "r"(write)  \
                         : "edx", "memory");                                            \
        return v;                                                                       \
    }
ACCESS(ds) ACCESS(es) ACCESS(fs) ACCESS(gs) ACCESS(ss)

typedef uint32_t (*access_fn)(uint32_t sel, uint32_t addr, int write, uint32_t value);
static const struct { const char *name; access_fn fn; } sregs[] = {
    { "ds", access_ds }, { "es", access_es }, { "fs", access_fs }, { "gs", access_gs }, { "ss", access_ss },
};

/* The outcomes, counted by vector (NO_FAULT: none). */
struct tally { unsigned none, by_vector[32]; };

static void count(struct tally *t)
{
    if (recovered_vector == NO_FAULT)
        t->none++;
    else if (recovered_vector < 32)
        t->by_vector[recovered_vector]++;
}

static char tally_text[160];
static const char *tally_str(const struct tally *t)
{
    char *p = tally_text;
    p += snprintf(p, 40, "none %u", t->none);
    for (unsigned v = 0; v < 32; v++)
        if (t->by_vector[v])
            p += snprintf(p, 40, ", #%u x%u", v, t->by_vector[v]);
    return tally_text;
}

/* ---- The guest's own page at the area ------------------------------------------- */
static uint32_t area_pt[1024] __attribute__((aligned(4096)));
static uint32_t own_page[1024] __attribute__((aligned(4096)));

/* Every page of the area mapped to own_page, each word of which holds its
 * own offset's mark: what a read there must give, natively. */
static void map_area_to_own_page(void)
{
    for (unsigned i = 0; i < 1024; i++) {
        area_pt[i] = (uint32_t)own_page | PG_P | PG_W;
        own_page[i] = 0x0A0A0000u | i;
    }
    for (unsigned i = AREA_PDE; i < 1024; i++)
        page_dir[i] = (uint32_t)area_pt | PG_P | PG_W;
    __asm__ volatile("mov %0, %%cr3" : : "r"(page_dir) : "memory");
}

/* Every selector of its GDT that a MOV to DS, ES, FS or GS may load at
 * CPL 0 (kernel data, readable code, user data and code; SS only its
 * kernel data: SDM vol. 3, 5.10.4), each target, read then write (through
 * a code segment a #GP: 5.5). A read must fault or give the guest's own
 * word (mapped: own_page's mark; not mapped: nothing at all), a write
 * fault or land in own_page. */
static void segments_attack(int mapped)
{
    static const uint16_t sels[] = { KCODE, KDATA, UCODE, UDATA };
    struct tally reads = { 0 }, writes = { 0 };
    paging_on(0);
    flat_handlers();
    if (mapped)
        map_area_to_own_page();
    for (unsigned r = 0; r < sizeof(sregs) / sizeof(sregs[0]); r++) {
        for (unsigned s = 0; s < sizeof(sels) / sizeof(sels[0]); s++) {
            if (r == 4 && sels[s] != KDATA)
                continue;
            for (unsigned t = 0; t < NTARGETS; t++) {
                uint32_t want = 0x0A0A0000u | ((targets[t] & 0xFFF) >> 2);
                uint32_t v = sregs[r].fn(sels[s], targets[t], 0, 0xDEADBEEF);
                if (recovered_vector == NO_FAULT && (!mapped || v != want))
                    breach("read 0x%08x through %s=0x%x at 0x%08x: not the guest's own", v, sregs[r].name,
                           sels[s], targets[t]);
                count(&reads);
                sregs[r].fn(sels[s], targets[t], 1, want ^ 0x5A5A5A5Au);
                if (recovered_vector == NO_FAULT && (!mapped || own_page[(targets[t] & 0xFFF) >> 2] != (want ^ 0x5A5A5A5Au)))
                    breach("a write through %s=0x%x to 0x%08x went elsewhere than the guest's own page",
                           sregs[r].name, sels[s], targets[t]);
                if (mapped)
                    own_page[(targets[t] & 0xFFF) >> 2] = want;
                count(&writes);
            }
        }
    }
    printf("hostile: reads %s\n", tally_str(&reads));
    char r_text[160];
    memcpy(r_text, tally_text, sizeof(r_text));
    result("reads: %s / writes: %s", r_text, tally_str(&writes));
}

ATTACK(bt_area_segments, "bt-area-segments", "all",
       "native; depriv patch: result reads: none 0, #12 x7, #13 x112 / writes: none 0, #12 x7, #13 x112",
       "reads and writes of the hypervisor's area through DS ES FS GS SS with every selector of its GDT, "
       "the area not mapped")
{
    segments_attack(0);
}

ATTACK(bt_area_segments_mapped, "bt-area-segments-mapped", "all",
       "native; depriv patch: result reads: none 0, #12 x7, #13 x112 / writes: none 0, #12 x7, #13 x112",
       "the same with the whole area mapped by the guest to a page of its own")
{
    segments_attack(1);
}

/* ---- Every selector ------------------------------------------------------------- */

/* Every selector 0..0xFFFF into FS, and every selector with RPL 0 (each
 * index of the GDT and of the LDT: RPL 0 loads whatever a larger RPL
 * would, SDM vol. 3, 5.10.4) into DS, ES, GS and SS; then a read at offset
 * 0 and at 0xFFFFFFFC through each one loaded. A selector the CPU loads
 * must describe one of the guest's own segments: base 0, so the read at 0
 * gives what the flat read of linear 0 gives; a descriptor of the
 * hypervisor's (its GDT copy is larger than the guest's: SGDT at ring 1
 * shows its limit) would show another base or reach the area. At ring 1
 * each refused load is an exit and an event delivered in software: the
 * sweep takes half a minute there, so it runs as "timed" (no vmcheck=2). */
ATTACK(bt_area_every_selector, "bt-area-every-selector", "all timed",
       "native; depriv patch: result loaded ds 4 es 4 fs 12 gs 4 ss 1 / at 0: the flat word / "
       "at the top: none 0, #12 x1, #13 x24",
       "every selector 0..0xFFFF into FS, every RPL-0 one into DS ES GS SS, reads at offset 0 and 0xFFFFFFFC")
{
    paging_on(0);
    flat_handlers();
    __asm__ volatile("lldt %w0" : : "r"(0));         /* no LDT: not the one a loader may have left */
    uint32_t flat;
    __asm__ volatile("movl 0, %0" : "=r"(flat));         /* linear 0 (C may not read address 0) */
    unsigned loaded[5] = { 0 };
    struct tally top = { 0 };
    for (unsigned r = 0; r < 5; r++) {
        for (uint32_t sel = 0; sel <= 0xFFFF; sel += r == 2 ? 1 : 4) {
            uint32_t v = sregs[r].fn(sel, 0, 0, 0xDEADBEEF);
            if (recovered_vector == NO_FAULT) {
                loaded[r]++;
                if (v != flat)
                    breach("%s=0x%x read 0x%08x at offset 0, linear 0 holds 0x%08x", sregs[r].name, sel, v, flat);
            }
            if (recovered_vector == NO_FAULT || recovered_vector == 14) {   /* loaded: the top too */
                v = sregs[r].fn(sel, 0xFFFFFFFC, 0, 0xDEADBEEF);
                if (recovered_vector == NO_FAULT)
                    breach("%s=0x%x read 0x%08x at offset 0xfffffffc", sregs[r].name, sel, v);
                count(&top);
            }
        }
    }
    result("loaded ds %u es %u fs %u gs %u ss %u / at 0: the flat word / at the top: %s", loaded[0], loaded[1],
           loaded[2], loaded[3], loaded[4], tally_str(&top));
}

/* ---- Control transfers into the area --------------------------------------------
 * Each from a saved stack, back to it however it ends (a CALL's push, a far
 * transfer's frame): try_transfer's asm. kind: 0 JMP r32, 1 CALL r32, 2 RET,
 * 3 IRET, 4 far JMP, 5 far CALL, 6 far RET. */
uint32_t transfer_esp, transfer_target;
void try_transfer(uint32_t kind);
__asm__(".globl try_transfer\n"
        "try_transfer:\n"
        "    movl 4(%esp), %eax\n"
        "    pushl %ebx\n    pushl %esi\n    pushl %edi\n    pushl %ebp\n"
        "    movl %esp, transfer_esp\n"
        "    movl $9f, recover_eip\n"
        "    movl transfer_target, %ecx\n"
        "    jmp *1f(,%eax,4)\n"
        "10: jmp *%ecx\n"
        "11: call *%ecx\n"
        "12: pushl %ecx\n    ret\n"
        "13: pushfl\n    pushl $0x08\n    pushl %ecx\n    iret\n"
        "14: movl %ecx, 2f\n    ljmp *2f\n"
        "15: movl %ecx, 2f\n    lcall *2f\n"
        "16: pushl $0x08\n    pushl %ecx\n    lret\n"
        "9:  movl transfer_esp, %esp\n"
        "    movl $0, recover_eip\n"
        "    popl %ebp\n    popl %edi\n    popl %esi\n    popl %ebx\n"
        "    ret\n"
        "    .section .rodata\n    .p2align 2\n"
        "1:  .long 10b, 11b, 12b, 13b, 14b, 15b, 16b\n"
        "    .data\n    .p2align 2\n"
        "2:  .long 0\n    .word 0x08\n"
        "    .text\n");

/* Each kind into every target: a fault, and the vectors counted. */
static void transfers(const unsigned *kinds, unsigned n)
{
    static const char *const names[] = { "jmp", "call", "ret", "iret", "ljmp", "lcall", "lret" };
    char text[400], *p = text;
    paging_on(0);
    flat_handlers();
    for (unsigned k = 0; k < n; k++) {
        unsigned by_vector[32] = { 0 };
        for (unsigned t = 0; t < NTARGETS; t++) {
            transfer_target = targets[t] & ~3u;
            recovered_vector = NO_FAULT;
            try_transfer(kinds[k]);
            if (recovered_vector == NO_FAULT || recovered_vector >= 32)
                breach("%s to 0x%08x came back without a fault", names[kinds[k]], transfer_target);
            by_vector[recovered_vector]++;
        }
        p += snprintf(p, 40, "%s%s", k ? ", " : "", names[kinds[k]]);
        for (unsigned v = 0; v < 32; v++)
            if (by_vector[v])
                p += snprintf(p, 40, " #%u x%u", v, by_vector[v]);
    }
    result("%s", text);
}

ATTACK(bt_area_transfers, "bt-area-transfers", "all",
       "native; depriv patch: result jmp #13 x7, call #13 x7, ret #13 x7, ljmp #13 x7, lcall #13 x7",
       "JMP, CALL, RET, far JMP, far CALL into the hypervisor's area")
{
    static const unsigned kinds[] = { 0, 1, 2, 4, 5 };
    transfers(kinds, sizeof(kinds) / sizeof(kinds[0]));
}

/* IRET and far RET to an EIP past CS's limit are a #GP(0) at the
 * instruction (SDM vol. 2A, IRET, RET). Not run at ring 1 yet: there both
 * return to the guest's ring 0 (RPL 0 below the real CPL 1), which the
 * hypervisor emulates (depriv_iret for IRET), loading such an EIP
 * unchecked; the guest then loops in exits, never reported: a hang until
 * the runner's timeout. Once the emulation checks the limit, its modes
 * become "all", with "depriv patch: result iret #13 x7, lret #13 x7". */
ATTACK(bt_area_return_ring0, "bt-area-return-to-ring0", "ept shadow", "native",
       "IRET and far RET to CS 0x08 in the hypervisor's area")
{
    static const unsigned kinds[] = { 3, 6 };
    transfers(kinds, 2);
}

/* ---- CS and GS prefixes -----------------------------------------------------------
 * A CS-prefixed read of its own code gives what DS gives (one linear space,
 * base 0), and of the area faults; a GS-prefixed read right after GS is
 * loaded (a translator keeps its vCPU page in GS) reads the guest's own
 * segment. */
ATTACK(bt_area_prefixes, "bt-area-cs-gs-prefix", "all",
       "native; depriv patch: result own code through cs: same / area through cs: none 0, #13 x7 / "
       "gs right after its load: same / area through gs: none 0, #13 x7",
       "CS-prefixed reads of its own code and of the area; GS-prefixed reads right after loading GS")
{
    paging_on(0);
    flat_handlers();
    uint32_t code = *(volatile uint32_t *)(uint32_t)try_transfer, v = 0;
    __asm__ volatile("movl %%cs:(%1), %0" : "=r"(v) : "r"((uint32_t)try_transfer));
    const char *cs_own = v == code ? "same" : "different";
    struct tally cs = { 0 }, gs = { 0 };
    for (unsigned t = 0; t < NTARGETS; t++) {
        recovered_vector = NO_FAULT;
        TRY("movl %%cs:(%1), %0", : "+r"(v) : "r"(targets[t]) : "memory");
        if (recovered_vector == NO_FAULT)
            breach("read 0x%08x at 0x%08x through CS", v, targets[t]);
        count(&cs);
    }
    uint32_t own = 0;
    __asm__ volatile("movl $0x10, %%eax\n\tmovl %%eax, %%gs\n\tmovl %%gs:(%1), %0"
                     : "=r"(own) : "r"((uint32_t)&tss[1]) : "eax", "memory");
    const char *gs_own = own == tss[1] ? "same" : "different";
    for (unsigned t = 0; t < NTARGETS; t++) {
        recovered_vector = NO_FAULT;
        TRY("movl $0x23, %%eax\n\tmovl %%eax, %%gs\n\tmovl %%gs:(%1), %0", : "+r"(v) : "r"(targets[t]) : "eax", "memory");
        if (recovered_vector == NO_FAULT)
            breach("read 0x%08x at 0x%08x through GS", v, targets[t]);
        count(&gs);
    }
    __asm__ volatile("movl $0x10, %%eax\n\tmovl %%eax, %%gs" : : : "eax");
    char cs_text[160];
    memcpy(cs_text, tally_str(&cs), sizeof(cs_text));
    result("own code through cs: %s / area through cs: %s / gs right after its load: %s / area through gs: %s",
           cs_own, cs_text, gs_own, tally_str(&gs));
}

/* ---- A kernel rewriting the page it runs on ------------------------------------------
 * 30,000 times the immediate of an instruction of this very loop, on the
 * loop's own page (SDM vol. 3, 11.6): each pass adds what the pass before
 * wrote. A translator that write-protects its source pages takes a fault
 * per pass; it must end, with the count right. (Every pass is an exit under
 * bt=1 even now, the page hot: 100,000 passes took 21 s of the 30 a run has
 * on a busy host, too near; what is checked needs far fewer.) */
#define REWRITE_PASSES 30000
uint32_t rewrite_own_page(uint32_t n);
__asm__(".globl rewrite_own_page\n"
        "rewrite_own_page:\n"
        "    movl 4(%esp), %ecx\n"
        "    xorl %edx, %edx\n"
        "    movl $1, 3f\n"
        "2:  .byte 0x81, 0xC2\n"                   /* ADD EDX, imm32 */
        "3:  .long 1\n"
        "    movl %ecx, 3b\n"
        "    loop 2b\n"
        "    movl %edx, %eax\n"
        "    ret\n");

ATTACK(bt_rewrite_own_page, "bt-rewrite-own-page", "all vbt", "result 30000 passes, sum 0x1ad2af18, right",
       "a loop rewriting an instruction of its own page 30000 times")
{
    uint32_t want = 1;
    for (uint32_t ecx = REWRITE_PASSES; ecx > 1; ecx--)
        want += ecx;
    uint32_t got = rewrite_own_page(REWRITE_PASSES);
    result("%u passes, sum 0x%08x, %s", REWRITE_PASSES, got, got == want ? "right" : "wrong");
}

/* ---- A hot page's code storing into its own next instruction ---------------------
 * A page of code rewritten again and again is hot under bt=1: never
 * write-protected, its code translated afresh each time it runs, a block
 * at a time (depriv_bt_cache.h). Its stores then trap no more, so a block
 * must end after a store that may reach what follows it: here one through
 * an absolute address and one through a register, each into the next
 * instruction's immediate, which the very next fetch must see (SDM vol. 3,
 * 11.6). The page holds nothing else. */
uint32_t hot_write_ahead(uint32_t imm);
__asm__(".balign 4096\n"
        ".globl hot_write_ahead\n"
        "hot_write_ahead:\n"
        "    movl 4(%esp), %ecx\n"
        "    movl %ecx, 1f+1\n"                     /* absolute: the next MOV's immediate */
        "1:  movl $0, %eax\n"
        "    leal 2f+1, %edx\n"
        "    movl %ecx, (%edx)\n"                   /* through EDX: the next MOV's immediate */
        "2:  movl $0, %edx\n"
        "    addl %edx, %eax\n"
        "    ret\n"
        ".balign 4096\n");

ATTACK(bt_hot_write_ahead, "bt-hot-write-ahead", "all vbt hot", "result 2000 calls, 0 saw an old instruction",
       "a hot page's code storing into its own next instruction, through an absolute address and a register")
{
    unsigned stale = 0;
    for (uint32_t i = 1; i <= 2000; i++) {
        uint32_t imm = i * 0x9E3779B1u;
        stale += hot_write_ahead(imm) != imm * 2;
    }
    result("2000 calls, %u saw an old instruction", stale);
}
