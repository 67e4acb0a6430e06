/*
 * exit_hlt.c: HLT (64-bit, VMX root operation).
 *
 * A guest halts to wait for an interrupt. Until the timer lab the guest's
 * interrupts come straight from the real PIC through its own IDT, so the
 * hypervisor lets the guest's CPU wait in the HLT activity state (SDM vol. 3,
 * 25.4.2 "Guest Non-Register State"): the next interrupt wakes it, without
 * any further exit. A guest that halts with interrupts off, or with every
 * interrupt line masked, would wait forever: the hypervisor stops it and
 * says so instead.
 */
#include "exit/handlers.h"
#include "exit/vm_interrupts.h"
#include "guest/guest.h"
#include "guest/guest_linear.h"
#include "vmx/inject.h"
#include "poweroff.h"
#include "vmx/vmcs.h"
#include "x86/x86.h"
#include "x86io.h"

#define DEBUGCTL_BTF (1ull << 1)    /* single-step on branches, not instructions */
#define HLT_OPCODE   0xF4

/* The 8259 PICs' interrupt mask registers (OCW1): an IN from the data port
 * (A0=1) reads it back (Intel 8259A data sheet). With devices=machine the
 * guest owns the machine's PICs (its writes reach them through
 * pic_filter.c), so the real registers are the guest's; with
 * devices=virtual its PIC is the VM's model (vm_interrupts.c). */
#define PIC_MASTER_DATA 0x21
#define PIC_SLAVE_DATA  0xA1
#define PIC_CASCADE     (1u << 2)   /* the master's line 2: the slave's output */

static void read_pic_masks(const struct vcpu *v, uint8_t *master, uint8_t *slave)
{
    if (vm_devices_virtual(v)) {
        vm_pic_masks(v, master, slave);
        return;
    }
    *master = inb(PIC_MASTER_DATA);
    *slave = inb(PIC_SLAVE_DATA);
}

/* Can any interrupt line still reach the guest's CPU? One of the master's
 * lines is open, or its cascade line is and one of the slave's is. */
bool an_interrupt_line_is_open(const struct vcpu *v)
{
    if (vm_devices_virtual(v))
        return vm_interrupt_can_come(v);
    uint8_t master, slave;
    read_pic_masks(v, &master, &slave);
    bool master_open = (uint8_t)~master & ~PIC_CASCADE;
    bool slave_open = !(master & PIC_CASCADE) && slave != 0xFF;
    return master_open || slave_open;
}

/* Entering the HLT activity state with RFLAGS.TF=1 (and IA32_DEBUGCTL.BTF=0)
 * needs the pending single-step #DB in the pending debug exceptions: BS
 * (SDM 27.3.1.5; the CPU delivers the trap of the HLT it stepped, 27.7.3).
 * Bochs does not check it; hardware refuses the VM entry. */
static void keep_single_step_pending(uint64_t rflags)
{
    if (!(rflags & RFLAGS_TF) || (vmcs_read(VMCS_GUEST_IA32_DEBUGCTL) & DEBUGCTL_BTF))
        return;
    make_single_step_pending();
}

/* The HLT at hlt_rip can never end: the guest is stopped, saying why. */
static void stop_endless_halt_at(struct vcpu *v, bool interrupts_on, uint64_t hlt_rip)
{
    if (!interrupts_on) {
        guest_stop(v, POWEROFF_GUEST_STOPPED, "it halted with interrupts off (HLT at 0x%lx), "
                   "so nothing could ever wake it", hlt_rip);
        return;
    }
    uint8_t master, slave;
    read_pic_masks(v, &master, &slave);
    if (vm_devices_virtual(v)) {
        guest_stop(v, POWEROFF_GUEST_STOPPED, "it halted with interrupts on, but %s and no other "
                   "line has a device (HLT at 0x%lx; PIC masks 0x%02x and 0x%02x), so nothing could "
                   "ever wake it", (master & 1) ? "IRQ 0 (the PIT) is masked"
                   : "its PIT's counter 0 will never tick again", hlt_rip, master, slave);
        return;
    }
    guest_stop(v, POWEROFF_GUEST_STOPPED, "it halted with every interrupt line masked (HLT at "
               "0x%lx; PIC masks 0x%02x and 0x%02x), so nothing could ever wake it", hlt_rip,
               master, slave);
}

void stop_endless_halt(struct vcpu *v, bool interrupts_on)
{
    stop_endless_halt_at(v, interrupts_on, v->rip);    /* the HLT that exited */
}

/* The HLT a guest ran without an exit: the CPU completed it, so the RIP
 * saved in the HLT activity state is past it. Named by its opcode byte
 * (F4), one back, which is the whole HLT but for a prefix (F3 F4 is named
 * at its F4: the bytes before are not decoded backwards); else, a byte
 * that is not HLT's, the RIP itself. */
static uint64_t hlt_before(const struct vcpu *v)
{
    uint8_t byte = 0;
    uint64_t linear = (vmcs_read(VMCS_GUEST_CS_BASE) + v->rip - 1) & 0xFFFFFFFFu;
    size_t got = v->guest->shadow_paging ? guest_shadow_read(v->guest, linear, &byte, 1)
                                         : guest_linear_read(v->guest, linear, &byte, 1);
    return got == 1 && byte == HLT_OPCODE ? v->rip - 1 : v->rip;
}

void halted_without_exit(struct vcpu *v)
{
    if (vmcs_read(VMCS_GUEST_ACTIVITY_STATE) != ACTIVITY_HLT)
        return;
    uint64_t rflags = vmcs_read(VMCS_GUEST_RFLAGS);
    bool can_end = (rflags & RFLAGS_IF) ? an_interrupt_line_is_open(v) : vm_nmi_can_come(v);
    if (!can_end)
        stop_endless_halt_at(v, rflags & RFLAGS_IF, hlt_before(v));
}

/* With devices=virtual, a HLT with interrupts off that an NMI can still
 * end (vm_nmi_can_come): the CPU waits in the HLT activity state, as it
 * does for an interrupt (handle_hlt), and the NMI's injection ends the
 * wait (SDM 25.4.2, table 25-4; vm_interrupts.c). Before handle_hlt,
 * which stops a guest that halts with interrupts off. */
bool halt_for_an_nmi(struct vcpu *v)
{
    uint64_t rflags = vmcs_read(VMCS_GUEST_RFLAGS);
    if ((rflags & RFLAGS_IF) || !vm_nmi_can_come(v))
        return false;
    advance_rip(v);
    vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_HLT);
    keep_single_step_pending(rflags);
    return true;
}

/* LAB 1 BEGIN: HLT */
void handle_hlt(struct vcpu *v)
{
    uint64_t rflags = vmcs_read(VMCS_GUEST_RFLAGS);
    if (!(rflags & RFLAGS_IF) || !an_interrupt_line_is_open(v)) {
        stop_endless_halt(v, rflags & RFLAGS_IF);
        return;
    }
    advance_rip(v);
    vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_HLT);
    keep_single_step_pending(rflags);
}
/* LAB 1 END */
