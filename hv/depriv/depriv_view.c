/*
 * depriv_view.c: a deprivileged guest as a debugger sees it (64-bit, VMX
 * root; cpu=deprivileged with gdb=guest, gdb/gdb_guest.c).
 *
 * The guest kernel believes it runs at ring 0 with its own IF; it runs at
 * ring 1 with the hypervisor's (depriv.h), and with patch=1 some of its
 * instructions are the hypervisor's INT3s. A debugger must show what the
 * guest believes and never the hypervisor's own machinery:
 *   - where an instruction really runs: the one map from a guest address to
 *     the address the CPU runs it at, and back. Scan-and-patch runs the
 *     guest's code where it lies, so both are the identity; the binary
 *     translator (bt=1) runs it from its translation cache, but the
 *     debugger holds the guest only at its instruction boundaries, where
 *     it is canonical (depriv_bt_debug.c says how breakpoints, hardware
 *     breakpoints and steps follow): depriv_runs_at, depriv_guest_address,
 *     depriv_debug_stoppable;
 *   - its code and data through its own page tables, not the shadow's
 *     (guest_linear.c), with the patched bytes shown and written as its own
 *     (depriv_patch_debug_read, _written);
 *   - `monitor depriv`: the state the hypervisor keeps for it (its IF,
 *     IOPL, the real ring, the events waiting, its tables, the
 *     translator's cache with bt=1).
 */
#include "depriv/depriv.h"
#include "depriv/depriv_bt.h"
#include "guest/vm.h"
#include "printf.h"
#include "vmx/vmcs.h"
#include "x86/x86.h"

/* Where the guest's instruction at address runs, as the VMCS's RIP must
 * say while the debugger holds the guest. Scan-and-patch runs it in place.
 * The binary translator runs it in the TC, but the debugger only ever
 * holds the guest canonical (depriv_bt_debug.c): RIP its EIP, its own CS,
 * the translation entered at the next VM entry (depriv_bt_enter). So the
 * identity in both: a TC address here would be run with the guest's CS. */
uint64_t depriv_runs_at(const struct vcpu *v, uint32_t address)
{
    (void)v;
    return address;
}

/* And back: a RIP inside a translation is the guest instruction whose
 * translation holds it. */
uint32_t depriv_guest_address(const struct vcpu *v, uint64_t rip)
{
    return depriv_bt_guest_address(v, rip);
}

bool depriv_debug_stoppable(const struct vcpu *v)
{
    return depriv_bt_stoppable(v);
}

void depriv_debug_breakpoints_changed(struct vcpu *v)
{
    depriv_bt_breakpoints_changed(v);
}

void depriv_debug_step_ended(struct vcpu *v, uint32_t from, uint32_t esp, bool guest_tf)
{
    depriv_bt_step_ended(v, from, esp, guest_tf);
}

/* Page by page: each page's guest-physical frame, for the patches in it. */
static size_t debug_access(struct vcpu *v, uint64_t linear, uint8_t *buf, size_t len, bool write)
{
    size_t done = 0;
    while (done < len) {
        uint64_t at = linear + done;
        size_t chunk = 0x1000 - (at & 0xFFF);
        struct linear_walk w;
        if (chunk > len - done)
            chunk = len - done;
        if (!guest_linear_walk(v->guest, at, &w))
            break;
        if (write) {
            if (guest_linear_write(v->guest, at, buf + done, chunk) != chunk)
                break;
            depriv_patch_debug_written(v->vm, w.gpa, buf + done, chunk);
            if (v->depriv.bt)                   /* the translator reads the new bytes */
                depriv_bt_debug_written(v, w.gpa);
        } else {
            if (guest_linear_read(v->guest, at, buf + done, chunk) != chunk)
                break;
            depriv_patch_debug_read(v->vm, w.gpa, buf + done, chunk);
        }
        done += chunk;
    }
    return done;
}

size_t depriv_debug_read(struct vcpu *v, uint64_t linear, void *buf, size_t len)
{
    return debug_access(v, linear, buf, len, false);
}

size_t depriv_debug_write(struct vcpu *v, uint64_t linear, const void *buf, size_t len)
{
    return debug_access(v, linear, (void *)buf, len, true);
}

/* What the guest cannot see, beside what it believes: its IF is virtual
 * (the real IF is 1 from its first STI on, so that interrupts exit), its
 * IOPL stays 0 whatever its POPF or IRET pops (SDM vol. 1, 3.4.3.3: IOPL
 * is what keeps CLI, STI and I/O trapping at ring 1), and its ring 0 is
 * the real ring 1 (CPL is SS.DPL, SDM 25.4.1). */
void depriv_show(const struct vcpu *v)
{
    const struct depriv *dp = &v->depriv;
    uint32_t real = (uint32_t)vmcs_read(VMCS_GUEST_RFLAGS);
    unsigned ring = (vmcs_read(VMCS_GUEST_SS_ACCESS_RIGHTS) >> 5) & 3;
    printf("depriv: the guest's CPL %u, real ring %u (CS 0x%lx, SS 0x%lx; the guest sees CS 0x%x, SS 0x%x)\n",
           depriv_cpl(), ring, vmcs_read(VMCS_GUEST_CS_SELECTOR), vmcs_read(VMCS_GUEST_SS_SELECTOR),
           depriv_guest_selector((uint16_t)vmcs_read(VMCS_GUEST_CS_SELECTOR)),
           depriv_guest_selector((uint16_t)vmcs_read(VMCS_GUEST_SS_SELECTOR)));
    printf("depriv: virtual IF %u (real IF %u), IOPL %u, interrupts %s%s\n", dp->vif,
           (real & RFLAGS_IF) != 0, (real >> 12) & 3,
           dp->taking_interrupts ? "exit and wait here for its IF" : "left in the PIC until its first STI",
           dp->hold_interrupts ? ", held for one instruction" : "");
    printf("depriv: pending vectors");
    unsigned n = 0;
    for (unsigned vec = 0; vec < 256; vec++)
        if (dp->pending[vec / 64] >> (vec % 64) & 1) {
            printf(" 0x%x", vec);
            n++;
        }
    printf("%s; NMI %s%s\n", n ? "" : " none", dp->nmi_pending ? "pending" : "none",
           dp->nmi_blocked ? " (blocked: in its handler)" : "");
    if (dp->halted_at)
        printf("depriv: waiting in its HLT at 0x%x\n", dp->halted_at);
    printf("depriv: its IDT 0x%x limit 0x%x, GDT 0x%x limit 0x%x, TR 0x%x; %lu emulated, %lu delivered\n",
           dp->idt_base, dp->idt_limit, dp->gdt_base, dp->gdt_limit, dp->tr, dp->emulated, dp->delivered);
    depriv_patch_show(v->vm);
    depriv_bt_show(v);
}
