/*
 * depriv_cpu.h: what a deprivileged guest's vCPU keeps in the hypervisor
 * (64-bit, VMX root; lab 3, cpu=deprivileged, depriv.h): what the CPU
 * itself would hold at ring 0, its IF, its IDTR and GDTR, its TR, its
 * SYSENTER MSRs, the interrupts it has not taken yet, kept by the
 * hypervisor because the guest kernel runs at ring 1.
 *
 * Per vCPU, not per VM, as a CPU's registers are: a VM of two vCPUs would
 * have two of them; what belongs to the whole VM (its kernel's patched
 * instructions, patch=1) is in struct vm (vm.h). The type only: struct
 * vcpu (vmx_entry.h) holds it by value, v->depriv, so that a deprivileged
 * guest's every exit reaches it at a fixed offset from the vCPU pointer,
 * as it did a global, not through one more pointer; so it is defined in
 * the VMX layer beside struct vcpu. depriv.h's functions use it.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct vcpu;

/* bt=1's own descriptors in the GDT copy, below the TSS's index (depriv.h):
 * the TC's code segment and the vCPU page's data segment, which an INT n
 * from user mode through the real IDT's gates lands in (hv/bt/README.md,
 * "System calls without an exit"). */
#define DEPRIV_HV_SLOTS 2

/* The pages one event's check and delivery walked, with their
 * translations (depriv_touch.c): kept only while the event is delivered
 * (active); a write uses an entry only if it was walked for a write (its
 * dirty flag set, SDM vol. 3, 4.8). */
#define DELIVERY_PAGES 4
struct delivery_translations {
    bool active;
    uint8_t used;
    struct delivery_page {
        uint32_t page;              /* linear, 4 KiB aligned */
        bool written;               /* walked for a write */
        uint64_t gpa;               /* its guest-physical frame */
    } page[DELIVERY_PAGES];
};

struct depriv {
    bool active;                    /* cpu=deprivileged: the kernel runs at ring 1
                                       (set by depriv_setup) */
    bool vif;                       /* the guest's interrupt flag */
    bool taking_interrupts;         /* since its first STI: see depriv_set_vif */
    bool device_waits;              /* devices=virtual: an interrupt of its PIC or APIC
                                       waits for its IF (exit.c, at each exit) */
    bool hold_interrupts;           /* IF was just set: the guest runs first (see
                                       depriv_deliver_pending) */
    bool nmi_pending;               /* an NMI to deliver (depriv_nmi) */
    bool nmi_blocked;               /* in the handler of its last NMI: from its
                                       delivery to the next IRET (SDM 6.7.1) */
    bool iret_patched;              /* patch=1 made the kernel's IRETs trap: see
                                       depriv_returned_to_user */
    bool debugger_step;             /* a debugger's single step is under way (gdb_guest.c):
                                       its RFLAGS.TF is in the VMCS only while the guest
                                       runs, so what is emulated and delivered sees the
                                       guest's own TF (depriv_step_begin) */
    uint32_t halted_at;             /* the HLT the guest waits in (EIP), or 0 */
    uint8_t halt_length;
    bool parked;                    /* waiting in the HLT activity state, its CS and
                                       SS at ring 0 in the VMCS (depriv_halt.c) */
    uint16_t parked_cs, parked_ss;  /* their own selectors and access rights */
    uint32_t parked_cs_ar, parked_ss_ar;
    uint32_t gdt_base, gdt_limit;   /* what the guest loaded (LGDT) */
    uint64_t gdt_copies;            /* how many times gdt[] was copied from it (bt=1 asks) */
    uint64_t hv_slot[DEPRIV_HV_SLOTS];   /* bt=1's descriptors, kept in the copy's slots
                                       DEPRIV_HV_SLOT.. when the guest's GDT ends below */
    bool hv_slots_in_use;           /* it does: they are in gdt[] (depriv_load_gdt) */
    uint64_t breakpoint_writes;     /* MOV to DR0-DR3 and DR7 emulated (bt=1 asks) */
    uint32_t idt_base, idt_limit;   /* (LIDT) */
    uint16_t tr;                    /* its task register (LTR): where its TSS is */
    uint64_t pending[4];            /* external interrupts waiting for IF, by vector */
    uint64_t *gdt;                  /* the hypervisor's GDT (host pointer) */
    uint32_t *area;                 /* the page table of its top 4 MiB (DEPRIV_AREA) */
    struct depriv_bt *bt;           /* bt=1: the binary translator's state (depriv_bt.h) */
    /* The hooks of patch=1 and bt=1, set by depriv_patch_kernel and
     * depriv_bt_setup, so that the emulation below them calls up into them
     * through these only: a #BP exit (true: one of patch=1's INT3s,
     * emulated), a #PF exit, and the hypervisor's own write into guest
     * memory for the guest (an emulated INS, an event's frame, an emulated
     * instruction's store: depriv_touch.c). */
    bool (*breakpoint)(struct vcpu *v);
    void (*page_fault)(struct vcpu *v);
    void (*written)(struct vcpu *v, uint64_t gpa);
    struct delivery_translations walked;   /* one event's delivery (depriv_touch.c) */
    uint64_t sysenter[3];           /* its IA32_SYSENTER_CS, _ESP, _EIP: the real
                                       CS stays 0 (depriv_sysenter.c); RDMSR and
                                       WRMSR reach them as v->sysenter_msrs */

    /* Statistics, printed at the end of the run. */
    uint64_t emulated, delivered, interrupts, parked_entries;
};
