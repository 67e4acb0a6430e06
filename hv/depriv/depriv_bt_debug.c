/*
 * depriv_bt_debug.c: a translated guest kernel under a debugger, bt=1
 * (64-bit, VMX root; issue 21 point 6; depriv_view.c is the debugger's
 * side, hv/gdb/gdb_guest.c the stub's).
 *
 * The guest's code runs from the translation cache, at addresses the guest
 * never sees; a debugger must see it as it believes it runs. The design:
 *   - the debugger stops the guest only where it is canonical (RIP its
 *     EIP, its own CS and GS: depriv_bt.c's leave), at a guest instruction
 *     boundary: every exit out of a translation at a boundary or fault
 *     leaves it so, and the stub does not stop at an exit between two of
 *     its instructions (depriv_bt_stoppable). The PC gdb reads and writes
 *     is then the guest EIP, and the next VM entry enters its translation
 *     (depriv_bt_enter), whatever gdb set it to;
 *   - a software breakpoint is the debugger's INT3 in the guest's own
 *     code, as without bt: the write drops the translations of that frame
 *     (depriv_bt_debug_written), so the translator reads the INT3, which it
 *     never copies (an exit, hv/bt/README.md): the INT3 runs in place, at
 *     ring 1, and its #BP exits with RIP on it. Removing the breakpoint
 *     drops them again. Unlike the guest's own writes, the debugger's do
 *     not count towards a frame's being hot (bt_cache_drop_frame);
 *   - an instruction breakpoint in DR0-DR3 (gdb's hbreak, or the guest's
 *     own) names a guest linear address, which a translation never
 *     fetches: the instruction there is never translated (it runs in place,
 *     where the debug register sees its fetch, SDM vol. 3, 18.3.1.1) and a
 *     block stops before it (depriv_bt_cut_before_breakpoint; the
 *     translator then exits with BT_EXIT_NO_CODE there). When they change,
 *     the cache is emptied (depriv_bt_breakpoints_changed);
 *   - a data breakpoint's trap between two guest instructions is owed to
 *     the next boundary (depriv_bt_debug_trap, below);
 *   - a single step is the guest's own TF case: with gdb's TF set at the
 *     entry, the kernel runs one instruction's translation (tf_step), its
 *     trap at the next guest boundary and none for the translation's own.
 *     gdb's TF is out of RFLAGS whenever the hypervisor works (gdb_exit_
 *     begin), but a translated PUSHF runs the real PUSHF, with gdb's TF in
 *     RFLAGS, and a translated POPF loads the real TF: the step's end puts
 *     the guest's own TF in both places (depriv_bt_step_ended).
 */
#include "depriv/depriv_bt.h"
#include "depriv/depriv.h"
#include "depriv/depriv_bt_cache.h"
#include "guest/guest_linear.h"
#include "printf.h"
#include "vmx/exit_info.h"
#include "vmx/exit_reasons.h"
#include "vmx/inject.h"
#include "vmx/vmcs.h"
#include "x86/x86.h"

#define DR7_RW_SHIFT 16                 /* R/Wn: bits 16 + 4n, 17 + 4n (SDM vol. 3, 18.2.4) */
#define BREAKPOINTS 4

/* DRn's address if DR7 makes it an instruction breakpoint (Ln or Gn set,
 * R/Wn 00). DR0-DR3 hold the guest's values: the hypervisor never uses
 * them (gdb_hwbreak.c, depriv_emulate.c's MOV DR). */
static unsigned instruction_breakpoints(uint32_t address[BREAKPOINTS])
{
    uint64_t dr7 = vmcs_read(VMCS_GUEST_DR7), dr[BREAKPOINTS];
    if (!(dr7 & 0xFF))
        return 0;                       /* most entries: none enabled */
    __asm__ volatile("mov %%db0, %0" : "=r"(dr[0]));
    __asm__ volatile("mov %%db1, %0" : "=r"(dr[1]));
    __asm__ volatile("mov %%db2, %0" : "=r"(dr[2]));
    __asm__ volatile("mov %%db3, %0" : "=r"(dr[3]));
    unsigned n = 0;
    for (unsigned i = 0; i < BREAKPOINTS; i++)
        if ((dr7 >> (2 * i) & 3) && !(dr7 >> (DR7_RW_SHIFT + 4 * i) & 3))
            address[n++] = (uint32_t)dr[i];
    return n;
}

bool depriv_bt_breakpoint_at(uint32_t eip)
{
    uint32_t a[BREAKPOINTS];
    unsigned n = instruction_breakpoints(a);
    for (unsigned i = 0; i < n; i++)
        if (a[i] == eip)
            return true;
    return false;
}

size_t depriv_bt_cut_before_breakpoint(uint32_t eip, size_t len)
{
    uint32_t a[BREAKPOINTS];
    unsigned n = instruction_breakpoints(a);
    for (unsigned i = 0; i < n; i++)
        if (a[i] - eip - 1 < len)       /* eip < a[i] < eip + len */
            len = a[i] - eip;
    return len;
}

void depriv_bt_breakpoints_changed(struct vcpu *v)
{
    if (!v->depriv.bt)
        return;
    /* The gates' trampoline (depriv_bt_gate.c) is off while one is on. */
    v->depriv.bt->gates.breakpoints = vmcs_read(VMCS_GUEST_DR7) & 0xFF;
    if (v->depriv.bt->nblocks)
        bt_cache_flush(v);
}

void depriv_bt_debug_written(struct vcpu *v, uint64_t gpa)
{
    bt_cache_drop_frame(v, gpa & ~0xFFFull);
}

bool depriv_bt_stoppable(const struct vcpu *v)
{
    return !v->depriv.bt || !v->depriv.bt->in_tc;
}

uint32_t depriv_bt_guest_address(const struct vcpu *v, uint64_t rip)
{
    struct depriv_bt *bt = v->depriv.bt;
    if (!bt || !bt->in_tc)
        return (uint32_t)rip;
    const struct bt_map_entry *e = bt_cache_place(bt, (uint32_t)rip).entry;
    return e ? e->guest_eip : (uint32_t)rip;
}

void depriv_bt_show(const struct vcpu *v)
{
    const struct depriv_bt *bt = v->depriv.bt;
    if (!bt)
        return;
    uint32_t a[BREAKPOINTS];
    unsigned n = instruction_breakpoints(a), live = 0, hot = 0;
    for (unsigned i = 0; i < bt->nblocks; i++)
        live += bt->blocks[i].live;
    for (uint64_t i = 0; i < (bt->frames + 7) / 8; i++)
        for (unsigned bits = bt->hot[i]; bits; bits &= bits - 1)
            hot++;
    printf("depriv: bt=1: %u blocks in the cache (%u live), %u bytes of the TC used; %s; "
           "%lu translated, %lu invalidations, %lu flushes, %u hot frames; %u instruction breakpoints "
           "run in place\n", bt->nblocks, live, bt->tc_used, bt->in_tc ? "in a translation" : "canonical (RIP its EIP)",
           bt->translated_blocks, bt->invalidations, bt->flushes, hot, n);
}

/* The flags image at the guest's linear esp, read or written (size 2 or 4
 * bytes); a write drops translations made from its frame (a kernel may
 * keep its stack anywhere: depriv_bt_written). */
static bool flags_image(struct vcpu *v, uint32_t esp, unsigned size, uint32_t *image, bool write)
{
    struct linear_walk w;
    uint32_t linear = (uint32_t)vmcs_read(VMCS_GUEST_SS_BASE) + esp;
    if (!guest_linear_walk(v->guest, linear, &w))
        return false;
    if (!write) {
        *image = 0;
        return guest_linear_read(v->guest, linear, image, size) == size;
    }
    if (guest_linear_write(v->guest, linear, image, size) != size)
        return false;
    depriv_bt_written(v, w.gpa);
    return true;
}

void depriv_bt_step_ended(struct vcpu *v, uint32_t from, uint32_t esp, bool guest_tf)
{
    uint8_t code[2];
    if (!v->depriv.bt || guest_linear_read(v->guest, from, code, sizeof(code)) != sizeof(code))
        return;
    bool o16 = code[0] == 0x66;
    uint8_t op = code[o16];
    unsigned size = o16 ? 2 : 4;
    uint32_t now = (uint32_t)vmcs_read(VMCS_GUEST_RSP), image;
    if (op == 0x9C && now == esp - size && flags_image(v, now, size, &image, false) &&
        (image & RFLAGS_TF) && !guest_tf) {
        image &= ~(uint32_t)RFLAGS_TF;          /* PUSHF: the real image held the debugger's TF */
        flags_image(v, now, size, &image, true);
    } else if (op == 0x9D && now == esp + size && flags_image(v, esp, size, &image, false)) {
        uint64_t rflags = vmcs_read(VMCS_GUEST_RFLAGS) & ~(uint64_t)RFLAGS_TF;
        vmcs_write(VMCS_GUEST_RFLAGS, rflags | (image & RFLAGS_TF));   /* POPF: the guest's TF now */
    }
}

/* A data breakpoint (DR0-DR3 with R/W 01 or 11: gdb's watch, or the
 * guest's own) is a trap after the access (SDM vol. 3, 18.3.1.2). Inside
 * the few instructions one guest instruction became (a translated PUSHF
 * writes the stack, pops, pushes again) it comes between two guest
 * instructions, where the guest cannot be left canonical: the rest of its
 * translation must run first. So the trap is owed: the translation goes on
 * one instruction at a time under TF (the hypervisor's, unless the guest's
 * or gdb's is there already), and at the next boundary the single-step
 * trap's exit becomes the data breakpoint's (its qualification, SDM 28.2.1,
 * table 28-1), as the CPU would have reported it after the guest
 * instruction. */
static unsigned owed_bits;          /* B0-B3 of the trap owed, or 0 */
static bool owed_tf;                /* TF is the hypervisor's, for it (none of the
                                       guest's or gdb's, whose step owes its own trap) */

static bool debug_exit(const struct vcpu *v)
{
    struct event_info ev = event_info_decode((uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_INFO));
    return (v->exit_reason & 0xFFFF) == EXIT_EXCEPTION_NMI && ev.type == EVENT_HARDWARE_EXCEPTION &&
           ev.vector == VEC_DB;
}

bool depriv_bt_debug_trap(struct vcpu *v, bool boundary)
{
    if (!debug_exit(v))
        return false;
    struct debug_qual q = debug_qual_decode(v->exit_qualification);
    if (owed_bits && boundary && q.bs) {        /* the guest instruction is done: report it now */
        v->exit_qualification = (v->exit_qualification & ~(uint64_t)DR6_BS) | owed_bits |
                                (owed_tf ? 0 : DR6_BS);   /* the step's own trap too, if one is owed */
        if (owed_tf)
            vmcs_write(VMCS_GUEST_RFLAGS, vmcs_read(VMCS_GUEST_RFLAGS) & ~(uint64_t)RFLAGS_TF);
        owed_bits = 0;
        owed_tf = false;
        return false;                           /* depriv_bt_exit leaves it canonical */
    }
    if (boundary || !q.b0_3)
        return false;
    owed_bits |= q.b0_3;
    uint64_t rflags = vmcs_read(VMCS_GUEST_RFLAGS);
    if (!(rflags & RFLAGS_TF) && !v->depriv.debugger_step) {
        owed_tf = true;
        vmcs_write(VMCS_GUEST_RFLAGS, rflags | RFLAGS_TF);
    }
    v->depriv.bt->between = true;
    return true;
}

void depriv_bt_debug_translator_exit(void)
{
    if (!owed_bits)
        return;
    /* The exit routine's VMCALL is at a boundary: the trap right after the
     * VM entry, which depriv_bt_debug_trap then reports. */
    make_single_step_pending();
    if (owed_tf)
        vmcs_write(VMCS_GUEST_RFLAGS, vmcs_read(VMCS_GUEST_RFLAGS) & ~(uint64_t)RFLAGS_TF);
}
