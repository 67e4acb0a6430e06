/*
 * faults.c: do=faults: a fault in every kind of instruction a binary
 * translator rewrites (hv/bt/README.md's table), and in a copied one, with
 * paging on. For each, the handler must see what the CPU reports (SDM vol.
 * 3, 6.5, 6.15): the vector, the error code and CR2 of a #PF (4.7), EIP on
 * the instruction for a fault and after it for a trap (INT3, INTO), CS the
 * kernel's own, every general register, ESP and the arithmetic flags as
 * they were right before the instruction (probes.S snapshots them); then,
 * once the handler has mapped the page (or fixed the divisor, or skipped
 * a UD2), the instruction runs again and has its whole effect.
 *
 * A push cannot fault recoverably at CPL 0: the exception's frame goes to
 * the same stack, below the push (SDM vol. 3, 6.12.1), and would fault
 * again (#DF). So PUSHF, PUSH Sreg and CALL are made to fault on their
 * fetch (their page not present), and on their target's fetch after the
 * push (CALL), and the stack's reads (POPF, RET) on ESP's page.
 */
#include "conform.h"
#include "printf.h"

struct snap { uint32_t eax, ebx, ecx, edx, esi, edi, ebp, esp; uint8_t ah, of, pad[2]; };
struct probe_in { uint32_t eax, ebx, ecx, edx, esi, edi, ebp, esp, eflags; };
extern struct snap probe_before, probe_after, trap_regs;
extern struct probe_in probe_in;
extern uint32_t trap_cr2, probe_divisor, probe_pushed, probe_land_back;

#define PROBES(X) X(p_mov_load) X(p_mov_store) X(p_call_mem) X(p_jmp_mem) X(p_mov_sreg_mem) X(p_sgdt) \
    X(p_sidt) X(p_sldt) X(p_str) X(p_popf) X(p_ret) X(p_ret_imm) X(p_jz_far) X(p_call_far) X(p_loop_far) \
    X(p_jecxz_far) X(p_pushf) X(p_push_sreg) X(p_call_rel) X(p_straddle) X(p_div) X(p_ud2) X(p_int3) X(p_into)
#define DECLARE(p) void p(void); extern char p##_insn[], p##_done[];
PROBES(DECLARE)
extern char pg_pushf[], pg_push_sreg[], pg_call_rel[], pg_land[], pg_straddle[], pg_loop[], pg_loop_land[],
    pg_jecxz[], pg_jecxz_land[], call_target[], probe_abort[];
extern char probe_trap_0[], probe_trap_3[], probe_trap_4[], probe_trap_6[], probe_trap_13[], probe_trap_14[];

/* The probe area's pages (conform.h: PROBE_VA, probe_pt). */
#define DATA_VA     PROBE_VA                 /* a data page: the operands */
#define STACK_LO_VA (PROBE_VA + 0x2000)      /* a stack: this page present ... */
#define STACK_HI_VA (PROBE_VA + 0x3000)      /* ... and the one above it not */
#define OPERAND     (DATA_VA + 0x7F4)        /* where EBX points: CR2 tells the offset too */
static uint8_t frames[4][4096] __attribute__((aligned(4096)));
static uint32_t probe_stack[256];
#define EAX_IN      0xA1A1A1A1u
#define FLAGS_IN    0x8D7u                   /* OF SF ZF AF PF CF, bit 1; IF clear */

/* ---- The handler's side ---------------------------------------------------- */

struct trap { uint32_t vector, error, eip, cs, eflags, cr2; struct snap regs; };
static struct trap traps[2];
static unsigned ntraps;

/* probes.S's handler: keep what the CPU reported, then make the
 * instruction able to run again (a fault) or go on (a trap). */
void probe_trapped(uint32_t *frame);
void probe_trapped(uint32_t *frame)
{
    if (ntraps < 2)
        traps[ntraps] = (struct trap){ frame[0], frame[1], frame[2], frame[3], frame[4], trap_cr2, trap_regs };
    if (++ntraps > 3) {                      /* the same fault again and again: give up */
        frame[2] = (uint32_t)probe_abort;
        return;
    }
    switch (frame[0]) {
    case 14: page_present(trap_cr2, true); break;
    case 0: probe_divisor = 7; break;
    case 6: frame[2] += 2; break;            /* UD2's two bytes */
    case 3: case 4: break;                   /* traps: EIP is already past them */
    default: frame[2] = (uint32_t)probe_abort; break;
    }
}

/* ---- The checks -------------------------------------------------------------- */

static uint32_t arith(const struct snap *s) { return ((s->ah & 0xD5u) | (s->of ? 0x800u : 0)); }

static void set_arith(struct snap *s, uint32_t eflags)
{
    s->ah = (uint8_t)(eflags & 0xD5);
    s->of = (eflags >> 11) & 1;
}

static void check_regs(const char *const names[9], const struct snap *got, const struct snap *want)
{
    const uint32_t *g = &got->eax, *w = &want->eax;
    for (unsigned i = 0; i < 8; i++)
        check(names[i], g[i], w[i]);
    check(names[8], arith(got), arith(want));
}

static const char *const after_names[9] = { "after eax", "after ebx", "after ecx", "after edx", "after esi",
                                            "after edi", "after ebp", "after esp", "after flags" };
static const char *const trap_names[9] = { "trap eax", "trap ebx", "trap ecx", "trap edx", "trap esi",
                                           "trap edi", "trap ebp", "trap esp", "trap flags" };

/* Trap i: its vector, error code, EIP and CR2 (14 only), CS, and the
 * registers and flags it interrupted: `want` (the snapshot before the
 * instruction, or what the instruction did before its fault). The frame
 * (5 words) and the vector and error code are above the stub's ESP. */
static void check_trap(unsigned i, uint32_t vector, uint32_t error, const void *eip, uint32_t cr2,
                       const struct snap *want)
{
    const struct trap *t = &traps[i];
    check("vector", t->vector, vector);
    check("error code", t->error, error);
    check("eip", t->eip, (uint32_t)eip);
    check("cs", t->cs, KCODE);
    if (vector == 14)
        check("cr2", t->cr2, cr2);
    struct snap regs = t->regs;
    regs.esp += 20;
    set_arith(&regs, t->eflags);
    check_regs(trap_names, &regs, want);
}

static uint32_t *frame_word(unsigned frame, uint32_t va) { return (uint32_t *)(frames[frame] + (va & 0xFFF)); }

/* A probe from the standard state, EBX and ESP as given, everything
 * present but the pages the test then takes away. */
static void prepare(uint32_t ebx, uint32_t esp, uint32_t eflags)
{
    probe_in = (struct probe_in){ EAX_IN, ebx, 0xC3C3C3C3, 0xD4D4D4D4, 0x5E5E5E5E, 0xD1D1D1D1, 0xB5B5B5B5,
                                  esp, eflags };
    ntraps = 0;
}

static void run(const char *name, void (*probe)(void))
{
    begin_test(name);
    probe();
}

/* One #PF on the instruction, then its effect: the registers after it
 * are `after`. */
static void one_pf(const void *eip, uint32_t error, uint32_t cr2, const struct snap *at_trap,
                   const struct snap *after)
{
    check("traps", ntraps, 1);
    check_trap(0, 14, error, eip, cr2, at_trap);
    check_regs(after_names, &probe_after, after);
}

/* A data operand at OPERAND on the page taken away: a read (error 0)
 * or a write (W, error 2: SDM vol. 3, 4.7); EAX after it eax_after. */
static void data_probe(const char *name, void (*probe)(void), const char *insn, uint32_t error, uint32_t fill,
                       uint32_t eax_after)
{
    prepare(OPERAND, (uint32_t)&probe_stack[256], FLAGS_IN);
    *frame_word(0, OPERAND) = fill;
    *frame_word(0, OPERAND + 4) = 0x77777777;
    page_present(DATA_VA, false);
    run(name, probe);
    struct snap want = probe_before;
    want.eax = eax_after;
    one_pf(insn, error, OPERAND, &probe_before, &want);
}

static void data_faults(void)
{
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) table;

    data_probe("pf-mov-load", p_mov_load, p_mov_load_insn, 0, 0xC0FFEE01, 0xC0FFEE01);
    end_test();

    data_probe("pf-mov-store", p_mov_store, p_mov_store_insn, 2, 0, EAX_IN);
    check("stored", *frame_word(0, OPERAND), 0xC3C3C3C3);
    end_test();

    data_probe("pf-call-mem", p_call_mem, p_call_mem_insn, 0, (uint32_t)call_target, EAX_IN);
    check("pushed", probe_pushed, (uint32_t)p_call_mem_done);
    end_test();

    data_probe("pf-jmp-mem", p_jmp_mem, p_jmp_mem_insn, 0, (uint32_t)p_jmp_mem_done, EAX_IN);
    end_test();

    /* MOV m16, Sreg writes 16 bits (SDM vol. 2B, MOV). */
    data_probe("pf-mov-sreg-mem", p_mov_sreg_mem, p_mov_sreg_mem_insn, 2, 0xAAAA5555, EAX_IN);
    check("stored", *frame_word(0, OPERAND), 0xAAAA0000 | KDATA);
    end_test();

    data_probe("pf-sgdt", p_sgdt, p_sgdt_insn, 2, 0, EAX_IN);
    __asm__ volatile("sgdt %0" : "=m"(table));
    check("gdt limit", *(uint16_t *)frame_word(0, OPERAND), sizeof(gdt) - 1);
    check("gdt base", *(uint32_t *)(frames[0] + (OPERAND & 0xFFF) + 2), (uint32_t)gdt);
    check("sgdt at ring 0", table.base, (uint32_t)gdt);
    end_test();

    data_probe("pf-sidt", p_sidt, p_sidt_insn, 2, 0, EAX_IN);
    check("idt limit", *(uint16_t *)frame_word(0, OPERAND), sizeof(idt) - 1);
    check("idt base", *(uint32_t *)(frames[0] + (OPERAND & 0xFFF) + 2), (uint32_t)idt);
    end_test();

    /* SLDT and STR to memory write 16 bits (SDM vol. 2B). */
    data_probe("pf-sldt", p_sldt, p_sldt_insn, 2, 0xAAAA5555, EAX_IN);
    check("stored", *frame_word(0, OPERAND), 0xAAAA0000);
    end_test();

    data_probe("pf-str", p_str, p_str_insn, 2, 0xAAAA5555, EAX_IN);
    check("stored", *frame_word(0, OPERAND), 0xAAAA0000 | TSS_SEL);
    end_test();
}

/* The stack's reads: ESP at the first word of a page not present (the
 * frame goes below, on the page present). */
static void stack_probe(const char *name, void (*probe)(void), const char *insn, uint32_t top, uint32_t pops,
                        uint32_t flags_after)
{
    prepare(0xB0B0B0B0, STACK_HI_VA, FLAGS_IN);
    *frame_word(3, STACK_HI_VA) = top;
    page_present(STACK_HI_VA, false);
    run(name, probe);
    struct snap want = probe_before;
    want.esp += pops;
    set_arith(&want, flags_after);
    one_pf(insn, 0, STACK_HI_VA, &probe_before, &want);
}

static void stack_faults(void)
{
    /* POPF at ring 0: every arithmetic flag from the image (SDM vol. 2B). */
    stack_probe("pf-popf", p_popf, p_popf_insn, 0x00000046, 4, 0x44);
    end_test();
    stack_probe("pf-ret", p_ret, p_ret_insn, (uint32_t)p_ret_done, 4, FLAGS_IN);
    end_test();
    stack_probe("pf-ret-imm16", p_ret_imm, p_ret_imm_insn, (uint32_t)p_ret_imm_done, 16, FLAGS_IN);
    end_test();
}

/* Fetches: the instruction's page (or its target's) not present. A
 * fetch's #PF has error code 0 under 32-bit paging without NX (SDM vol.
 * 3, 4.7: I/D is reported only with NX or SMEP). */
static void fetch_probe(const char *name, void (*probe)(void), const void *absent, uint32_t ecx, uint32_t eflags)
{
    prepare(0xB0B0B0B0, (uint32_t)&probe_stack[256], eflags);
    probe_in.ecx = ecx;
    probe_stack[255] = 0xEEEEEEEE;
    page_present((uint32_t)absent, false);
    run(name, probe);
}

static void fetch_faults(void)
{
    struct snap want;

    /* PUSHF at ring 0: the flags as they are, IF clear as the kernel left it
     * (SDM vol. 2B, PUSHF; RF and VM read as 0). */
    fetch_probe("fetch-pushf", p_pushf, pg_pushf, 0xC3C3C3C3, FLAGS_IN);
    want = probe_before;
    want.esp -= 4;
    one_pf(pg_pushf, 0, (uint32_t)pg_pushf, &probe_before, &want);
    check("pushed flags", probe_stack[255], FLAGS_IN);
    end_test();

    /* PUSH FS, 32 bits: the selector in the low half; the high half is
     * zero or left as it was, by model (SDM vol. 2B, PUSH). */
    fetch_probe("fetch-push-sreg", p_push_sreg, pg_push_sreg, 0xC3C3C3C3, FLAGS_IN);
    one_pf(pg_push_sreg, 0, (uint32_t)pg_push_sreg, &probe_before, &want);
    check("pushed selector", probe_stack[255] & 0xFFFF, KDATA);
    end_test();

    fetch_probe("fetch-call-rel", p_call_rel, pg_call_rel, 0xC3C3C3C3, FLAGS_IN);
    one_pf(pg_call_rel, 0, (uint32_t)pg_call_rel, &probe_before, &probe_before);
    check("pushed", probe_pushed, (uint32_t)pg_call_rel + 5);
    end_test();

    /* An instruction across two pages, the second not present: EIP on the
     * instruction, CR2 the second page (SDM vol. 3, 4.7, 6.15 #PF). */
    fetch_probe("fetch-straddle", p_straddle, pg_straddle + 3, 0xC3C3C3C3, FLAGS_IN);
    want = probe_before;
    want.eax = 0x12345678;
    one_pf(pg_straddle, 0, (uint32_t)pg_straddle + 3, &probe_before, &want);
    end_test();

    /* Branches whose target page is not present: the branch is done when
     * the target's fetch faults (EIP the target; CALL has pushed, LOOP
     * has counted). ZF is set in FLAGS_IN. */
    probe_land_back = (uint32_t)p_jz_far_done;
    fetch_probe("fetch-jcc-target", p_jz_far, pg_land, 0xC3C3C3C3, FLAGS_IN);
    one_pf(pg_land, 0, (uint32_t)pg_land, &probe_before, &probe_before);
    end_test();

    probe_land_back = (uint32_t)call_target;
    fetch_probe("fetch-call-target", p_call_far, pg_land, 0xC3C3C3C3, FLAGS_IN);
    want = probe_before;
    want.esp -= 4;
    one_pf(pg_land, 0, (uint32_t)pg_land, &want, &probe_before);
    check("pushed", probe_pushed, (uint32_t)p_call_far_done);
    end_test();

    fetch_probe("fetch-loop-target", p_loop_far, pg_loop_land, 2, FLAGS_IN);
    want = probe_before;
    want.ecx = 1;
    one_pf(pg_loop_land, 0, (uint32_t)pg_loop_land, &want, &want);
    end_test();

    fetch_probe("fetch-jecxz-target", p_jecxz_far, pg_jecxz_land, 0, FLAGS_IN);
    one_pf(pg_jecxz_land, 0, (uint32_t)pg_jecxz_land, &probe_before, &probe_before);
    end_test();
}

/* The instruction's own exception: #DE and #UD are faults (EIP on it), INT3
 * and INTO traps (EIP after it: SDM vol. 3, 6.5, 6.15). */
static void exception_probe(const char *name, void (*probe)(void), uint32_t eflags)
{
    prepare(0xB0B0B0B0, (uint32_t)&probe_stack[256], eflags);
    run(name, probe);
}

static void exceptions(void)
{
    struct snap want;

    prepare(0xB0B0B0B0, (uint32_t)&probe_stack[256], FLAGS_IN);
    probe_in.edx = 3;                        /* a quotient that fits once the divisor is 7 */
    probe_in.eax = 0x12345678;
    probe_divisor = 0;
    run("de-div", p_div);
    check("traps", ntraps, 1);
    check_trap(0, 0, 0, p_div_insn, 0, &probe_before);
    want = probe_before;
    want.eax = (uint32_t)((3ull << 32 | 0x12345678) / 7);
    want.edx = (uint32_t)((3ull << 32 | 0x12345678) % 7);
    want.ah = probe_after.ah;                /* DIV leaves the flags undefined (SDM vol. 2A) */
    want.of = probe_after.of;
    check_regs(after_names, &probe_after, &want);
    end_test();

    exception_probe("ud-ud2", p_ud2, FLAGS_IN);
    check("traps", ntraps, 1);
    check_trap(0, 6, 0, p_ud2_insn, 0, &probe_before);
    check_regs(after_names, &probe_after, &probe_before);
    end_test();

    exception_probe("bp-int3", p_int3, FLAGS_IN);
    check("traps", ntraps, 1);
    check_trap(0, 3, 0, p_int3_insn + 1, 0, &probe_before);
    check_regs(after_names, &probe_after, &probe_before);
    end_test();

    exception_probe("of-into", p_into, FLAGS_IN);
    check("traps", ntraps, 1);
    check_trap(0, 4, 0, p_into_insn + 1, 0, &probe_before);
    check_regs(after_names, &probe_after, &probe_before);
    end_test();

    exception_probe("of-into-no-overflow", p_into, FLAGS_IN & ~0x800u);
    check("traps", ntraps, 0);
    check_regs(after_names, &probe_after, &probe_before);
    end_test();
}

void do_faults(void)
{
    for (unsigned i = 0; i < 4; i++)
        probe_pt[i] = (uint32_t)frames[i] | PG_P | PG_W;
    paging_on();
    set_gate(0, (uint32_t)probe_trap_0);
    set_gate(3, (uint32_t)probe_trap_3);
    set_gate(4, (uint32_t)probe_trap_4);
    set_gate(6, (uint32_t)probe_trap_6);
    set_gate(13, (uint32_t)probe_trap_13);
    set_gate(14, (uint32_t)probe_trap_14);
    load_idt();
    data_faults();
    stack_faults();
    fetch_faults();
    exceptions();
}
