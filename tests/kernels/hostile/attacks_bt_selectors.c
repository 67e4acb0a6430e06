/*
 * attacks_bt_selectors.c: the hypervisor's selectors of bt=1 (issue 21).
 * Its GDT copy holds, where the guest's GDT ends below them, the TC's code
 * segment (index 8189, selectors 0xFFE8-0xFFEB) and the vCPU page's data
 * segment (8190, 0xFFF0-0xFFF3), both at DPL 1: the real ring of the
 * guest's kernel, where the CPU would load them (SDM vol. 3, 5.6, 5.8.1).
 * On the bare CPU they lie past this kernel's GDT (16 entries), and every
 * load faults, #GP(selector & ~3) (SDM vol. 2A/2B, MOV, POP, LDS/LES/LFS/
 * LGS/LSS, JMP, CALL, RET, "Protected Mode Exceptions"); LAR, LSL, VERR and
 * VERW answer ZF = 0. Each way the kernel (ring 0) and its user (ring 3)
 * can load a selector, with RPLs 0 to 3: the bare CPU's answers
 * (`native`) in every mode. And a GDT of 8192 entries with descriptors of
 * its own there: then the indexes are the guest's, and its loads work.
 */
#include "attack.h"
#include "fmt.h"

static const uint16_t hv_selectors[] = { 0xFFE8, 0xFFE9, 0xFFF1, 0xFFF3 };
#define HV_SELECTORS (sizeof(hv_selectors) / sizeof(hv_selectors[0]))

uint32_t hvsel_esp;
/* A far pointer: offset, selector (m16:32); and the same as m16:16 after. */
struct __attribute__((packed)) { uint32_t offset; uint16_t selector; uint16_t off16, sel16; } hvsel_far;
uint16_t hvsel_word;
uint8_t hvsel_zf;       /* ZF after a probe (bt_hv_selectors_based_cs) */

/* code in TRY's manner, with recovery at its label 1: ESP saved before
 * and put back after whatever it did (a POP or RETF that faulted has not
 * popped; one that loaded has), and the segment registers it may load put
 * back. %0 is the selector (a register), %1 the kernel's data selector. */
#define ATTEMPT_ASM(code)                                                                       \
    __asm__ volatile("movl %%esp, hvsel_esp\n\t" code                                           \
                     "\n1:\tmovl $0, recover_eip\n\tmovl hvsel_esp, %%esp\n\t"                  \
                     "movw %w1, %%ds\n\tmovw %w1, %%es\n\tmovw %w1, %%ss\n\tmovw %w1, %%fs\n\t"  \
                     "movw %w1, %%gs\n\tmovl hvsel_esp, %%esp"                                   \
                     : : "r"((uint32_t)selector), "r"((uint32_t)data) : "eax", "memory")
#define ATTEMPT(insn) ATTEMPT_ASM("movl $1f, recover_eip\n\t" insn)

/* The far JMP and CALL with an immediate selector: one per selector. */
#define FAR_IMMEDIATE(sel)                                                                      \
    case sel:                                                                                   \
        if (call)                                                                               \
            ATTEMPT("lcall $" #sel ", $1f");                                                    \
        else                                                                                    \
            ATTEMPT("ljmp $" #sel ", $1f");                                                     \
        break;

static uint16_t data;
static bool call;       /* forms 21 and 22: far CALL rather than JMP */

/* What the form (the numbering of forms[] below) raised for selector. */
static void attempt(unsigned form, uint16_t selector)
{
    hvsel_far = (typeof(hvsel_far)){ 0x1234, selector, 0x5678, selector };
    hvsel_word = selector;
    recovered_vector = NO_FAULT;
    switch (form) {
    case 0: ATTEMPT("movw %w0, %%ds"); break;
    case 1: ATTEMPT("movw %w0, %%es"); break;
    case 2: ATTEMPT("movw %w0, %%fs"); break;
    case 3: ATTEMPT("movw %w0, %%gs"); break;
    case 4: ATTEMPT("movw %w0, %%ss"); break;
    case 5: ATTEMPT("movw hvsel_word, %%ds"); break;
    case 6: ATTEMPT("movw hvsel_word, %%es"); break;
    case 7: ATTEMPT("movw hvsel_word, %%fs"); break;
    case 8: ATTEMPT("movw hvsel_word, %%gs"); break;
    case 9: ATTEMPT("movw hvsel_word, %%ss"); break;
    case 10: ATTEMPT("pushl %0\n\tpopl %%ds"); break;
    case 11: ATTEMPT("pushl %0\n\tpopl %%es"); break;
    case 12: ATTEMPT("pushl %0\n\tpopl %%fs"); break;
    case 13: ATTEMPT("pushl %0\n\tpopl %%gs"); break;
    case 14: ATTEMPT("pushl %0\n\tpopl %%ss"); break;
    case 15: ATTEMPT("ldsl hvsel_far, %%eax"); break;
    case 16: ATTEMPT("lesl hvsel_far, %%eax"); break;
    case 17: ATTEMPT("lfsl hvsel_far, %%eax"); break;
    case 18: ATTEMPT("lgsl hvsel_far, %%eax"); break;
    case 19: ATTEMPT("lssl hvsel_far, %%eax"); break;
    case 20: ATTEMPT("ldsw hvsel_far+6, %%ax"); break;
    case 21:
        switch (selector) {
            FAR_IMMEDIATE(0xFFE8) FAR_IMMEDIATE(0xFFE9) FAR_IMMEDIATE(0xFFF1) FAR_IMMEDIATE(0xFFF3)
            FAR_IMMEDIATE(0xFFEB)
        }
        break;
    case 22:
        if (call)
            ATTEMPT("movl $1f, hvsel_far\n\tlcall *hvsel_far");
        else
            ATTEMPT("movl $1f, hvsel_far\n\tljmp *hvsel_far");
        break;
    case 23: ATTEMPT("pushl %0\n\tpushl $1f\n\tlret"); break;
    case 24: ATTEMPT("pushl %0\n\tpushl $1f\n\tlret $8"); break;
    }
}

static const char *const forms[] = {
    "mov-ds", "mov-es", "mov-fs", "mov-gs", "mov-ss", "movm-ds", "movm-es", "movm-fs", "movm-gs", "movm-ss",
    "pop-ds", "pop-es", "pop-fs", "pop-gs", "pop-ss", "lds", "les", "lfs", "lgs", "lss", "lds16",
    "ljmp", "ljmpm", "lret", "lret8",
};

static unsigned outcome(char *out, unsigned size)
{
    if (recovered_vector == NO_FAULT)
        return (unsigned)snprintf(out, size, "ok");
    return (unsigned)snprintf(out, size, "%u/%x", recovered_vector, recovered_error);
}

/* " name:" and, for each of the four selectors, what try_one(form, it)
 * raised (with ZF after it: zf), appended to line at *n. */
static void row(char *line, unsigned size, unsigned *n, const char *name, void (*try_one)(unsigned, uint16_t),
                unsigned form, const uint16_t selectors[4], bool zf)
{
    *n += (unsigned)snprintf(line + *n, size - *n, " %s:", name);
    for (unsigned s = 0; s < 4; s++) {
        try_one(form, selectors[s]);
        *n += outcome(line + *n, size - *n);
        if (zf)
            *n += (unsigned)snprintf(line + *n, size - *n, hvsel_zf ? "z" : "-");
        *n += (unsigned)snprintf(line + *n, size - *n, s < 3 ? "," : "");
    }
}

/* Forms [from, to) with each selector; far CALL for 21 and 22 with
 * far_call. */
static void forms_attack(unsigned from, unsigned to, bool far_call)
{
    static char line[1400];
    unsigned n = 0;
    _Static_assert(HV_SELECTORS == 4, "row() takes four");
    call = far_call;
    __asm__ volatile("movw %%ds, %0" : "=r"(data));
    for (unsigned f = from; f < to; f++)
        row(line, sizeof(line), &n, !call ? forms[f] : f == 21 ? "lcall" : "lcallm", attempt, f, hv_selectors, false);
    result("ffe8,ffe9,fff1,fff3:%s", line);
}

/* One attack a group of forms: forms_attack(from, to, far_call). */
#define FORMS_ATTACK(fn, name, from, to, far_call, what) \
    ATTACK(fn, name, "all", "native", what) { forms_attack(from, to, far_call); }

FORMS_ATTACK(bt_hv_selectors_mov, "bt-hv-selectors-mov", 0, 10, false,
             "MOV of 0xFFE8-0xFFF3 into DS ES FS GS SS, from a register and from memory: #GP(sel & ~3)")
FORMS_ATTACK(bt_hv_selectors_pop, "bt-hv-selectors-pop", 10, 15, false,
             "POP of 0xFFE8-0xFFF3 into DS ES FS GS SS: #GP(sel & ~3)")
FORMS_ATTACK(bt_hv_selectors_lxs, "bt-hv-selectors-lxs", 15, 21, false,
             "LDS LES LFS LGS LSS (and a 16-bit LDS) of 0xFFE8-0xFFF3: #GP(sel & ~3)")
FORMS_ATTACK(bt_hv_selectors_far, "bt-hv-selectors-far", 21, 25, false,
             "far JMP and CALL (immediate, memory) and far RET to 0xFFE8-0xFFF3: #GP(sel & ~3)")
FORMS_ATTACK(bt_hv_selectors_call, "bt-hv-selectors-call", 21, 23, true,
             "far CALL (immediate, memory) to 0xFFE8-0xFFF3: #GP(sel & ~3)")

/* A selector put in AX by an immediate just before its load: a kernel's
 * entry (mov $KDATA, %ax; mov %ax, %ds), which bt=1 lets load unchecked
 * when the immediate is below 0xFFE8 (bt_block.c, selector_in_ax). Each
 * side of that bound: 0xFFE4 and 0xFFE7 (past this GDT: the GDT copy's
 * entry there must fault as the guest's limit does) and the hypervisor's
 * own, into each data segment register, by a 16-bit and a 32-bit MOV. */
#define IMM_FORMS 6
#define IMM_CASE(sel)                                                                           \
    case sel:                                                                                   \
        switch (form) {                                                                         \
        case 0: ATTEMPT("movw $" #sel ", %%ax\n\tmovw %%ax, %%ds"); break;                      \
        case 1: ATTEMPT("movw $" #sel ", %%ax\n\tmovw %%ax, %%es"); break;                      \
        case 2: ATTEMPT("movw $" #sel ", %%ax\n\tmovw %%ax, %%fs"); break;                      \
        case 3: ATTEMPT("movw $" #sel ", %%ax\n\tmovw %%ax, %%gs"); break;                      \
        case 4: ATTEMPT("movw $" #sel ", %%ax\n\tmovw %%ax, %%ss"); break;                      \
        case 5: ATTEMPT("movl $" #sel ", %%eax\n\tmovw %%ax, %%ds"); break;                     \
        }                                                                                       \
        break;

static void imm_attempt(unsigned form, uint16_t selector)
{
    recovered_vector = NO_FAULT;
    switch (selector) {
        IMM_CASE(0xFFE4) IMM_CASE(0xFFE7) IMM_CASE(0xFFE8) IMM_CASE(0xFFE9)
        IMM_CASE(0xFFEB) IMM_CASE(0xFFF1) IMM_CASE(0xFFF3) IMM_CASE(0xFFF8)
    }
}

ATTACK(bt_hv_selectors_imm, "bt-hv-selectors-imm", "all", "native",
       "mov $sel, %ax; mov %ax, Sreg at ring 0 (a kernel's entry) with 0xFFE4-0xFFF8 into DS ES FS GS SS: "
       "#GP(sel & ~3)")
{
    static const char *const names[IMM_FORMS] = { "ds", "es", "fs", "gs", "ss", "ds32" };
    static const uint16_t low[4] = { 0xFFE4, 0xFFE7, 0xFFE8, 0xFFE9 }, high[4] = { 0xFFEB, 0xFFF1, 0xFFF3, 0xFFF8 };
    static char line[1000];
    unsigned n = 0;
    __asm__ volatile("movw %%ds, %0" : "=r"(data));
    for (unsigned f = 0; f < IMM_FORMS; f++) {
        row(line, sizeof(line), &n, names[f], imm_attempt, f, low, false);
        row(line, sizeof(line), &n, names[f], imm_attempt, f, high, false);
    }
    result("ffe4,ffe7,ffe8,ffe9 / ffeb,fff1,fff3,fff8:%s", line);
}

/* IRET with the frame's CS or SS one of them: to ring 0 and to ring 3
 * (where bt=1 runs the CPU's own IRET in the translation, bt_iret.h: the
 * CPU's checks, DPL 1 against RPL 3, then refuse them). Not to ring 1:
 * cpu=deprivileged stops a guest that returns there (ring compression's
 * documented limit, attacks_depriv_ring.c). */
uint32_t hvsel_cs, hvsel_ss;

ATTACK(bt_hv_selectors_iret, "bt-hv-selectors-iret", "all", "native",
       "IRET to ring 0 and to ring 3 with CS or SS among 0xFFE8-0xFFF3: #GP(sel & ~3)")
{
    static const uint16_t frames[][2] = {
        { 0xFFE8, KDATA }, { 0xFFEB, UDATA }, { UCODE, 0xFFF3 }, { UCODE, 0xFFF1 },
        { 0xFFEB, 0xFFF3 },
    };
    char line[300];
    unsigned n = 0;
    uint16_t selector = 0;
    __asm__ volatile("movw %%ds, %0" : "=r"(data));
    for (unsigned i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
        hvsel_cs = frames[i][0];
        hvsel_ss = frames[i][1];
        recovered_vector = NO_FAULT;
        ATTEMPT("pushl hvsel_ss\n\tpushl hvsel_esp\n\tpushfl\n\tpushl hvsel_cs\n\tpushl $1f\n\tiret");
        n += (unsigned)snprintf(line + n, sizeof(line) - n, " %x:%x=", hvsel_cs, hvsel_ss);
        n += outcome(line + n, sizeof(line) - n);
    }
    result("iret cs:ss%s", line);
}

/* LAR, LSL, VERR, VERW of sel: "z" (ZF 1) or "-", and LAR's and LSL's values. */
static unsigned probe(uint16_t sel, char *out, unsigned size)
{
    uint32_t lar = 0xAAAAAAAA, lsl = 0xBBBBBBBB;
    uint8_t zl, zs, zr, zw;
    __asm__ volatile("larl %2, %0\n\tsetz %1" : "+r"(lar), "=q"(zl) : "r"((uint32_t)sel) : "cc");
    __asm__ volatile("lsll %2, %0\n\tsetz %1" : "+r"(lsl), "=q"(zs) : "r"((uint32_t)sel) : "cc");
    __asm__ volatile("verr %w1\n\tsetz %0" : "=q"(zr) : "r"(sel) : "cc");
    __asm__ volatile("verw %w1\n\tsetz %0" : "=q"(zw) : "r"(sel) : "cc");
    return (unsigned)snprintf(out, size, " %x:lar=%s%x,lsl=%s%x,verr=%s,verw=%s", sel, zl ? "z" : "-", lar,
                              zs ? "z" : "-", lsl, zr ? "z" : "-", zw ? "z" : "-");
}

static char probe_line[600];

static void probes(void)
{
    unsigned n = 0;
    for (unsigned s = 0; s < HV_SELECTORS; s++)
        n += probe(hv_selectors[s], probe_line + n, sizeof(probe_line) - n);
    n += probe(0xFFEB, probe_line + n, sizeof(probe_line) - n);
    probe(0xFFF8, probe_line + n, sizeof(probe_line) - n);
}

ATTACK(bt_hv_selectors_probe, "bt-hv-selectors-probe", "all", "native",
       "LAR, LSL, VERR, VERW of 0xFFE8-0xFFF8 at ring 0: ZF 0, nothing loaded")
{
    probes();
    result("%s", probe_line);
}

/* Ring 3: the loads (DS ES FS GS by MOV, POP, LDS; far JMP; RETF) and the
 * probes, with RPL 3 too. */
static char user_line[1400];

static void user_body(void)
{
    static const unsigned user_forms[] = { 0, 1, 2, 3, 5, 10, 11, 15, 17, 21, 22, 23 };
    static const uint16_t user_selectors[] = { 0xFFE8, 0xFFEB, 0xFFF1, 0xFFF3 };
    unsigned n = 0;
    data = UDATA;
    for (unsigned i = 0; i < sizeof(user_forms) / sizeof(user_forms[0]); i++)
        row(user_line, sizeof(user_line), &n, forms[user_forms[i]], attempt, user_forms[i], user_selectors, false);
    probes();
}

ATTACK(bt_hv_selectors_user, "bt-hv-selectors-user", "all", "native",
       "ring 3: MOV, POP, LDS, LFS, far JMP and RET of 0xFFE8-0xFFF3 (RPL 3 too), and LAR/LSL/VERR/VERW of them")
{
    run_user(user_body);
    result("ffe8,ffeb,fff1,fff3:%s /%s", user_line, probe_line);
}

/* ---- A GDT that reaches them ----------------------------------------------- */

static uint64_t own_gdt[8192] __attribute__((aligned(4096)));
static volatile uint32_t own_marker[2] = { 0x0DDBA11, 0xC0FFEE };

ATTACK(bt_hv_selectors_own_gdt, "bt-hv-selectors-own-gdt", "all", "native",
       "a GDT of 8192 entries with data segments of its own at 8189 and 8190: loaded and read through, "
       "by MOV, POP and LFS")
{
    for (unsigned i = 0; i < GDT_ENTRIES; i++)
        own_gdt[i] = gdt[i];
    own_gdt[8189] = seg_desc((uint32_t)&own_marker[0], 3, 0x93, 0x4);
    own_gdt[8190] = seg_desc((uint32_t)&own_marker[1], 3, 0xB3, 0x4);  /* DPL 1 */
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) g = { 0xFFFF, (uint32_t)own_gdt };
    __asm__ volatile("lgdt %0" : : "m"(g) : "memory");
    uint32_t v[4] = { 0 };
    unsigned vectors[4];
    static const uint16_t sels[4] = { 0xFFE8, 0xFFF1, 0xFFE8, 0xFFF1 };
    for (unsigned i = 0; i < 4; i++) {
        uint32_t value = 0;
        recovered_vector = NO_FAULT;
        if (i < 2)
            TRY("movw %w1, %%fs\n\tmovl %%fs:0, %0\n\tmovw %w2, %%fs", : "=&r"(value) : "r"((uint32_t)sels[i]),
                "r"(0) : "memory");
        else
            TRY("pushl %1\n\tpopl %%es\n\tmovl %%es:0, %0\n\tmovw %w2, %%es", : "=&r"(value)
                : "r"((uint32_t)sels[i]), "r"((uint32_t)KDATA) : "memory");
        v[i] = value;
        vectors[i] = recovered_vector;
    }
    uint32_t lfs = 0;
    hvsel_far = (typeof(hvsel_far)){ 0, 0xFFF1, 0, 0 };
    recovered_vector = NO_FAULT;
    TRY("lfsl hvsel_far, %%eax\n\tmovl %%fs:0, %0\n\tmovw %w1, %%fs", : "=&r"(lfs) : "r"(0) : "eax", "memory");
    result("mov fs 0xffe8: %x %x; mov fs 0xfff1: %x %x; pop es 0xffe8: %x %x; pop es 0xfff1: %x %x; lfs 0xfff1: %x %x",
           vectors[0], v[0], vectors[1], v[1], vectors[2], v[2], vectors[3], v[3], recovered_vector, lfs);
}

/* ---- Code outside a flat CS ------------------------------------------------ *
 * bt=1 translates only flat 32-bit code; the rest runs in place at ring 1,
 * one instruction at a time, each checked before it runs
 * (depriv_bt_segment.c). A code segment based at 0x1000: a far JMP into it
 * (EIP = linear - 0x1000), the load, a far JMP back. */
#define BASED_CODE 0x70
#define BASE 0x1000

/* ATTEMPT, with insn run in the based segment: an exception resumes in
 * it too (the handler keeps the frame's CS), at 3, which jumps back. */
#define BASED_ATTEMPT(insn)                                                                     \
    ATTEMPT_ASM("movl $3f - 0x1000, recover_eip\n\tljmp $0x70, $2f - 0x1000\n2:\t" insn           \
                "\n3:\tljmp $0x08, $1f")

static void based_attempt(unsigned form, uint16_t selector)
{
    recovered_vector = NO_FAULT;
    switch (form) {
    case 0: BASED_ATTEMPT("movw %w0, %%ds"); break;
    case 1: BASED_ATTEMPT("movw %w0, %%ss"); break;
    case 2: BASED_ATTEMPT("pushl %0\n\tpopl %%es"); break;
    case 3: BASED_ATTEMPT("pushl %0\n\tpushl $3f - 0x1000\n\tlret"); break;
    case 4: BASED_ATTEMPT("movb $0, hvsel_zf\n\tlarl %0, %%eax\n\tsetz hvsel_zf"); break;
    case 5: BASED_ATTEMPT("movb $0, hvsel_zf\n\tverw %w0\n\tsetz hvsel_zf"); break;
    }
}

ATTACK(bt_hv_selectors_based_cs, "bt-hv-selectors-based-cs", "all", "native",
       "from a code segment based at 0x1000 (run in place under bt=1): MOV DS, MOV SS, POP ES, far RET of "
       "0xFFE8-0xFFF3: #GP(sel & ~3); LAR, VERW of them: ZF 0")
{
    _Static_assert(BASED_CODE >> 3 >= GDT_FREE && BASED_CODE >> 3 < GDT_ENTRIES, "a free slot");
    static const char *const names[] = { "mov-ds", "mov-ss", "pop-es", "lret", "lar", "verw" };
    char line[400];
    unsigned n = 0;
    gdt_set(BASED_CODE >> 3, seg_desc(BASE, 0xFFFFF, 0x9B, 0xC));
    gdt_reload();
    __asm__ volatile("movw %%ds, %0" : "=r"(data));
    for (unsigned f = 0; f < 6; f++)
        row(line, sizeof(line), &n, names[f], based_attempt, f, hv_selectors, f >= 4);
    result("ffe8,ffe9,fff1,fff3:%s", line);
}
