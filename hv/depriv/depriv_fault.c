/*
 * depriv_fault.c: a fault while an event of a deprivileged guest is
 * delivered in software (64-bit, VMX root; given code beside lab 3).
 *
 * Delivering an exception or interrupt, the CPU reads the gate, checks it,
 * the handler's code segment and the new stack, and touches the IDT, the
 * GDT, the TSS and the stack through the guest's paging as a supervisor;
 * each check that fails is a second exception (SDM vol. 2A, INT n's
 * pseudo-code; vol. 3, 6.12.1), whose error code names the gate (IDT bit)
 * or the selector, with EXT set unless the first event was INT n, INT3 or
 * INTO (6.13). The two then combine as table 6-5 says (6.15, "Interrupt 8,
 * Double Fault"): after a benign event the second is delivered as it is;
 * contributory (#DE, #TS, #NP, #SS, #GP) after contributory, or #PF or
 * contributory after #PF, is a #DF with error code 0; anything while
 * delivering a #DF shuts the CPU down. At ring 0 the CPU does all this and
 * a shutdown is a triple-fault exit (SDM 26.2, handle_triple_fault); here
 * the hypervisor does it, with the same report, so that a test reads the
 * same word in both modes.
 */
#include "depriv/depriv.h"
#include "x86/descriptor.h"
#include "x86/fault_combine.h"
#include "exit/handlers.h"
#include "guest/guest_paging.h"
#include "guest/shadow.h"
#include "poweroff.h"
#include "string.h"
#include "vmx/vmcs.h"
#include "x86/x86.h"

#define GATE_TASK        0x5            /* 0x6, 0x7: 16-bit interrupt and trap gates */
#define GATE_TRAP16      0x7
#define GATE_INTERRUPT32 0xE
#define GATE_TRAP32      0xF
#define IDT_BIT          2              /* an error code's IDT flag (SDM 6.13) */

struct fault {
    unsigned vector;
    uint32_t error;
    uint32_t cr2;                       /* #PF: the address; UNREADABLE: the address */
    const char *what;                   /* UNREADABLE: what lies there */
};

/* What stands in the way: nothing, a fault, or memory outside the guest's
 * RAM, where the CPU would touch what is not the guest's: the guest is
 * stopped, as EPT stops it at ring 0. */
enum check { PASSES, FAULTS, UNREADABLE };

bool depriv_page_faults(struct vcpu *v, uint32_t linear, unsigned len, uint32_t access, uint32_t *cr2,
                        uint32_t *error)
{
    uint32_t last = linear + len - 1;
    for (uint32_t at = linear; v->guest->shadow->paging; at = (at | 0xFFF) + 1) {
        struct gpt_walk w;
        depriv_cpu_walk(v, at, access, &w);
        if (w.result == GPT_FAULT) {
            *cr2 = at;
            *error = w.error_code;
            return true;
        }
        if ((at & ~0xFFFu) == (last & ~0xFFFu))
            break;
    }
    return false;
}

/* The CPU's own access (access: PFEC_W or 0) to len bytes at linear, as a
 * supervisor, and the bytes there read into buf: each page's walk is done
 * once, every page's before any byte is read (a #PF on the last page comes
 * first, as depriv_page_faults finds it), and the bytes are read through
 * that walk's translation. (A walk to check, then a second to read, as
 * depriv_read would do, had made every event delivered a thousand cycles
 * dearer: the ring-1 null system call 31x -> 73x native.) */
#define ACCESS_PAGES_MAX 2              /* len <= 24: a frame of six words at most */

static enum check system_access(struct vcpu *v, uint32_t linear, void *buf, unsigned len, uint32_t access,
                                const char *what, struct fault *f)
{
    struct guest *g = v->guest;
    uint64_t gpa[ACCESS_PAGES_MAX];
    bool mapped[ACCESS_PAGES_MAX];
    unsigned pages = ((linear & 0xFFF) + len + 0xFFF) / 0x1000;
    for (unsigned i = 0; i < pages; i++) {
        uint32_t at = i ? (linear | 0xFFF) + 1 : linear;
        struct gpt_walk w;
        depriv_walk_page(v, at, access, &w);
        if (w.result == GPT_FAULT) {
            *f = (struct fault){ .vector = VEC_PF, .error = w.error_code, .cr2 = at };
            return FAULTS;
        }
        gpa[i] = w.gpa;
        mapped[i] = w.result == GPT_OK;
    }
    uint8_t *out = buf;
    for (unsigned i = 0; i < pages; i++) {
        unsigned offset = i ? 0x1000 - (linear & 0xFFF) : 0;
        unsigned chunk = i + 1 < pages ? 0x1000 - (linear & 0xFFF) : len - offset;
        const void *p = mapped[i] ? guest_ptr(g, gpa[i], chunk) : NULL;
        if (!p) {
            *f = (struct fault){ .cr2 = linear, .what = what };
            return UNREADABLE;
        }
        memcpy(out + offset, p, chunk);
    }
    return PASSES;
}

/* The CPU's own read of len bytes at linear, a supervisor access (SDM vol.
 * 3, 4.6: the IDT, GDT and TSS are read so at any CPL). */
static enum check system_read(struct vcpu *v, uint32_t linear, void *buf, unsigned len, const char *what,
                              struct fault *f)
{
    return system_access(v, linear, buf, len, 0, what, f);
}

static enum check raise(struct fault *f, unsigned vector, uint32_t error)
{
    *f = (struct fault){ .vector = vector, .error = error };
    return FAULTS;
}

/* The descriptor a selector names in the guest's GDT, read as the CPU
 * reads it on use: the null selector or one outside the table (the guest
 * has no LDT) is bad_vector's, with the selector's index and ext. */
static enum check gdt_entry(struct vcpu *v, uint16_t selector, unsigned bad_vector, uint32_t ext,
                            uint64_t *d, struct fault *f)
{
    if (!(selector & ~3u))
        return raise(f, bad_vector, ext);
    if ((selector & 4) || (selector | 7u) > v->depriv.gdt_limit)
        return raise(f, bad_vector, (selector & ~3u) | ext);
    return system_read(v, v->depriv.gdt_base + (selector & ~7u), d, 8, "its GDT", f);
}

/* The handler's code segment (SDM vol. 2A, INT n: "TRAP-OR-INTERRUPT-
 * GATE"): a code segment of DPL <= CPL, present. */
static enum check code_segment(struct vcpu *v, uint16_t cs, unsigned cpl, uint32_t ext, uint64_t *d,
                               struct fault *f)
{
    enum check c = gdt_entry(v, cs, VEC_GP, ext, d, f);
    if (c != PASSES)
        return c;
    if (!(*d & DESC_S) || !(*d & DESC_CODE) || DESC_DPL(*d) > cpl)
        return raise(f, VEC_GP, (cs & ~3u) | ext);
    if (!(*d & DESC_P))
        return raise(f, VEC_NP, (cs & ~3u) | ext);
    return PASSES;
}

/* From rings 2 and 3 to a ring-0 handler: SS0:ESP0 of the guest's TSS
 * (INT n: "INTER-PRIVILEGE-LEVEL-INTERRUPT"): a TSS too short is #TS(TR);
 * SS0 null, outside the GDT, not RPL 0, not a writable data segment of DPL
 * 0 is #TS(SS0); not present, #SS(SS0). */
static enum check new_stack(struct vcpu *v, uint32_t ext, uint32_t *esp0, struct fault *f)
{
    uint32_t tss, limit, ss0_esp0[2];
    if (!depriv_guest_tss(v, &tss, &limit))
        return UNREADABLE;
    if (limit < 11)
        return raise(f, VEC_TS, (v->depriv.tr & ~3u) | ext);
    enum check c = system_read(v, tss + 4, ss0_esp0, 8, "its TSS", f);
    if (c != PASSES)
        return c;
    uint16_t ss = (uint16_t)ss0_esp0[1];
    uint64_t d;
    if ((c = gdt_entry(v, ss, VEC_TS, ext, &d, f)) != PASSES)
        return c;
    if ((ss & 3) || !(d & DESC_S) || (d & DESC_CODE) || !(d & DESC_WRITABLE) || DESC_DPL(d) != 0)
        return raise(f, VEC_TS, (ss & ~3u) | ext);
    if (!(d & DESC_P))
        return raise(f, VEC_SS, (ss & ~3u) | ext);
    *esp0 = ss0_esp0[0];
    return PASSES;
}

/* The frame's pushes, supervisor writes (as depriv_deliver makes them: the
 * guest's stacks are flat). */
static enum check frame_pushes(struct vcpu *v, uint32_t esp, unsigned words, struct fault *f)
{
    uint32_t frame[6];
    return system_access(v, esp - 4 * words, frame, 4 * words, PFEC_W, "its kernel stack", f);
}

/* Every check of the delivery, in the CPU's order. */
static enum check delivery(struct vcpu *v, const struct depriv_event *e, struct fault *f)
{
    const struct depriv *dp = &v->depriv;
    uint32_t ext = e->length ? 0 : 1;
    uint32_t gate_error = e->vector * 8 + IDT_BIT + ext;
    if (e->vector * 8 + 7 > dp->idt_limit)
        return raise(f, VEC_GP, gate_error);
    uint64_t gate;
    enum check c = system_read(v, dp->idt_base + e->vector * 8, &gate, 8, "its IDT", f);
    if (c != PASSES)
        return c;
    unsigned type = (gate >> 40) & 0x1F, cpl = e->cpl;   /* with the S bit: 0 for a gate */
    if (type != GATE_INTERRUPT32 && type != GATE_TRAP32 && (type < GATE_TASK || type > GATE_TRAP16))
        return raise(f, VEC_GP, gate_error);    /* no task, interrupt or trap gate */
    bool present = gate & DESC_P;
    if (e->length && DESC_DPL(gate) < cpl)      /* INT n at ring 3: lab 3's #GP, if present */
        return present ? PASSES : raise(f, VEC_GP, gate_error);
    if (!present)
        return raise(f, VEC_NP, gate_error);
    if (type != GATE_INTERRUPT32 && type != GATE_TRAP32)
        return PASSES;                          /* a task or 16-bit gate: not emulated */
    uint64_t d;
    if ((c = code_segment(v, (uint16_t)(gate >> 16), cpl, ext, &d, f)) != PASSES)
        return c;
    unsigned words = 3 + (e->has_error ? 1 : 0);
    uint32_t esp = (uint32_t)vmcs_read(VMCS_GUEST_RSP);
    if (DESC_DPL(d) < cpl && !(d & DESC_EXPAND_DOWN)) {   /* to an inner ring's stack */
        if (DESC_DPL(d) != 0)
            return PASSES;                      /* ring 1 or 2: depriv_deliver's limit */
        if ((c = new_stack(v, ext, &esp, f)) != PASSES)
            return c;
        words += 2;
    }
    return frame_pushes(v, esp, words, f);
}

enum depriv_delivery depriv_delivery_check(struct vcpu *v, const struct depriv_event *e,
                                           struct depriv_event *instead, uint32_t *error)
{
    struct fault f;
    depriv_delivery_begin(v);
    enum check check = delivery(v, e, &f);
    if (check == UNREADABLE) {
        guest_stop(v, POWEROFF_GUEST_STOPPED, "cpu=deprivileged: delivering vector %u: %s at 0x%08x is "
                   "outside its %lu MiB of RAM", e->vector, f.what, f.cr2, v->guest->ram_size >> 20);
        return DELIVERY_STOPPED;
    }
    if (check != FAULTS)
        return DELIVERY_GOES_ON;
    if (f.vector == VEC_PF)
        write_cr2(f.cr2);                       /* set, even if it becomes a #DF */
    enum fault_combination c = fault_combine(e->vector, !e->external && !e->length, f.vector);
    if (c == FAULT_SHUTDOWN) {
        handle_triple_fault(v);                 /* the CPU shuts down (6.15, interrupt 8) */
        return DELIVERY_STOPPED;
    }
    bool double_fault = c == FAULT_DOUBLE;
    *instead = (struct depriv_event){ double_fault ? VEC_DF : f.vector, true, false, e->eip, 0, e->cpl };
    *error = double_fault ? 0 : f.error;
    return DELIVERY_FAULTS;
}
