/*
 * vmcs_breaks.c: the table of deliberate VMCS breakages (vmcs_breaks.h).
 * Pure: the VMCS is reached only through the caller's read and write.
 *
 * Each entry breaks one rule of SDM chapter 27 on an otherwise valid VMCS
 * (the hypervisor's own, or the unit test's), and names the section the
 * VM-entry checker must then report and the field it must name. Where the
 * rule only applies with some control set (an MSR area with a count, DR7
 * with "load debug controls"), the entry's extra() turns that on too.
 * tests/integration/vmx_entry_cases.py reads the BREAK(...) lines below.
 */
#include <stddef.h>
#include "x86/control_regs.h"
#include "string.h"
#include "check/vmcs_breaks.h"
#include "vmx/vmcs_fields.h"
#include "vmx/vmx.h"

/* field = (field & ~clear) | set */
static void change(vmcs_read_fn read, vmcs_write_fn write, void *ctx, unsigned field, uint64_t clear,
                   uint64_t set)
{
    write(ctx, field, (read(ctx, field) & ~clear) | set);
}

/* The secondary controls take effect only when activated. */
static void set_secondary(vmcs_read_fn read, vmcs_write_fn write, void *ctx, uint32_t clear, uint32_t set)
{
    change(read, write, ctx, VMCS_PROC_BASED_CONTROLS, 0, PROC_ACTIVATE_SECONDARY);
    change(read, write, ctx, VMCS_PROC_BASED_CONTROLS2, clear, set);
}

#define EXTRA(name) static void name(vmcs_read_fn read, vmcs_write_fn write, void *ctx)

EXTRA(activate_secondary) { set_secondary(read, write, ctx, 0, 0); }
EXTRA(use_io_bitmaps) { change(read, write, ctx, VMCS_PROC_BASED_CONTROLS, 0, PROC_USE_IO_BITMAPS); }
EXTRA(use_msr_bitmaps) { change(read, write, ctx, VMCS_PROC_BASED_CONTROLS, 0, PROC_USE_MSR_BITMAPS); }
EXTRA(no_virtual_nmis) { change(read, write, ctx, VMCS_PIN_BASED_CONTROLS, PIN_VIRTUAL_NMIS, 0); }
EXTRA(enable_vpid) { set_secondary(read, write, ctx, 0, PROC2_ENABLE_VPID); }
EXTRA(no_preemption_timer) { change(read, write, ctx, VMCS_PIN_BASED_CONTROLS, PIN_PREEMPTION_TIMER, 0); }
EXTRA(store_one_msr) { change(read, write, ctx, VMCS_VM_EXIT_MSR_STORE_COUNT, ~0ull, 1); }
EXTRA(load_one_msr) { change(read, write, ctx, VMCS_VM_ENTRY_MSR_LOAD_COUNT, ~0ull, 1); }
EXTRA(inject_software_interrupt) { change(read, write, ctx, VMCS_VM_ENTRY_INTERRUPTION_INFO, ~0ull, 0x80000480); }
EXTRA(inject_external_interrupt) { change(read, write, ctx, VMCS_VM_ENTRY_INTERRUPTION_INFO, ~0ull, 0x80000020); }
EXTRA(no_host_efer_load) { change(read, write, ctx, VMCS_VM_EXIT_CONTROLS, EXIT_LOAD_IA32_EFER, 0); }
EXTRA(unrestricted_guest) { set_secondary(read, write, ctx, 0, PROC2_UNRESTRICTED_GUEST | PROC2_ENABLE_EPT); }
EXTRA(unrestricted_without_ept) { set_secondary(read, write, ctx, PROC2_ENABLE_EPT, PROC2_UNRESTRICTED_GUEST); }
EXTRA(load_debug_controls) { change(read, write, ctx, VMCS_VM_ENTRY_CONTROLS, 0, ENTRY_LOAD_DEBUG_CONTROLS); }
EXTRA(ia32e_mode_guest) { change(read, write, ctx, VMCS_VM_ENTRY_CONTROLS, 0, ENTRY_IA32E_MODE_GUEST); }
EXTRA(load_efer) { change(read, write, ctx, VMCS_VM_ENTRY_CONTROLS, 0, ENTRY_LOAD_IA32_EFER); }
EXTRA(interrupts_off) { change(read, write, ctx, VMCS_GUEST_RFLAGS, 1u << 9, 0); }
/* HLT activity state with RFLAGS.TF=1; an NMI injected too, which wakes it
 * (the HLT state accepts one, SDM 27.3.1.5), so that on a CPU that does not
 * check BS (Bochs) the run ends: the guest has no IDT yet, a triple fault. */
EXTRA(halted_single_step)
{
    change(read, write, ctx, VMCS_GUEST_ACTIVITY_STATE, ~0ull, 1);
    change(read, write, ctx, VMCS_GUEST_RFLAGS, 0, RFLAGS_TF);
    change(read, write, ctx, VMCS_VM_ENTRY_INTERRUPTION_INFO, ~0ull, 0x80000202);
}
/* A valid 64-bit guest (SDM 10.8.5; 27.3.1.1-27.3.1.2): "IA-32e mode guest"
 * and "load IA32_EFER" with EFER.LME and LMA, CR0.PG and PE, CR4.PAE, CS.L=1
 * with D/B=0 (TR is already a busy TSS of type 11). */
EXTRA(long_mode_guest)
{
    change(read, write, ctx, VMCS_VM_ENTRY_CONTROLS, 0, ENTRY_IA32E_MODE_GUEST | ENTRY_LOAD_IA32_EFER);
    change(read, write, ctx, VMCS_GUEST_IA32_EFER, 0, EFER_LME | EFER_LMA);
    change(read, write, ctx, VMCS_GUEST_CR0, 0, CR0_PG | CR0_PE);
    change(read, write, ctx, VMCS_GUEST_CR4, 0, CR4_PAE);
    change(read, write, ctx, VMCS_GUEST_CS_ACCESS_RIGHTS, 1u << 14, 1u << 13);
}
EXTRA(pae_paging) /* CR0.PG and CR4.PAE on, with EPT: VM entry takes the PDPTEs from the VMCS */
{
    set_secondary(read, write, ctx, 0, PROC2_ENABLE_EPT);
    change(read, write, ctx, VMCS_GUEST_CR0, 0, 0x80000001);
    change(read, write, ctx, VMCS_GUEST_CR4, 0, 1u << 5);
}

/* name, section, what, field, clear, set, extra */
#define BREAK(name, section, what, field, clear, set, extra) \
    { name, what, section, VMCS_##field, clear, set, extra }

const struct vmcs_break vmcs_breaks[] = {
    /* 27.2.1.1 VM-execution control fields */
    BREAK("pin-unsupported", "27.2.1.1", "pin-based control bit 31, which no CPU allows, set",
          PIN_BASED_CONTROLS, 0, 1u << 31, NULL),
    BREAK("proc-required-clear", "27.2.1.1", "primary control bit 1, which the CPU requires, clear",
          PROC_BASED_CONTROLS, 1u << 1, 0, NULL),
    BREAK("proc2-unsupported", "27.2.1.1", "secondary control bit 31, which no CPU allows, set",
          PROC_BASED_CONTROLS2, 0, 1u << 31, activate_secondary),
    BREAK("cr3-target-count", "27.2.1.1", "5 CR3-target values, where the CPU supports 4",
          CR3_TARGET_COUNT, ~0ull, 5, NULL),
    BREAK("io-bitmap-unaligned", "27.2.1.1", "I/O bitmap A not 4-KByte aligned",
          IO_BITMAP_A, 0, 0x800, use_io_bitmaps),
    BREAK("msr-bitmap-too-wide", "27.2.1.1", "MSR bitmap address beyond the physical-address width",
          MSR_BITMAP, 0, 1ull << 45, use_msr_bitmaps),
    BREAK("virtual-nmis-alone", "27.2.1.1", "'virtual NMIs' without 'NMI exiting'",
          PIN_BASED_CONTROLS, PIN_NMI_EXITING, PIN_VIRTUAL_NMIS, NULL),
    BREAK("nmi-window-alone", "27.2.1.1", "'NMI-window exiting' without 'virtual NMIs'",
          PROC_BASED_CONTROLS, 0, PROC_NMI_WINDOW_EXITING, no_virtual_nmis),
    BREAK("vpid-zero", "27.2.1.1", "VPID enabled with VPID 0, the host's",
          VPID, 0xffff, 0, enable_vpid),
    BREAK("ept-walk-length", "27.2.1.1", "EPTP with a 3-level page walk",
          EPT_POINTER, 0x38, 2u << 3, NULL),
    BREAK("ept-memory-type", "27.2.1.1", "EPTP memory type 1 (WC), which EPT does not support",
          EPT_POINTER, 0x7, 1, NULL),
    BREAK("ept-reserved", "27.2.1.1", "EPTP reserved bit 11 set",
          EPT_POINTER, 0, 1u << 11, NULL),
    BREAK("unrestricted-without-ept", "27.2.1.1", "'unrestricted guest' with EPT off",
          PROC_BASED_CONTROLS2, 0, 0, unrestricted_without_ept),
    /* 27.2.1.2 VM-exit control fields */
    BREAK("exit-required-clear", "27.2.1.2", "VM-exit control bit 0, which the CPU requires, clear",
          VM_EXIT_CONTROLS, 1u << 0, 0, NULL),
    BREAK("preemption-timer-save", "27.2.1.2", "'save VMX-preemption timer value' with the timer off",
          VM_EXIT_CONTROLS, 0, EXIT_SAVE_PREEMPTION_TIMER, no_preemption_timer),
    BREAK("exit-msr-store-unaligned", "27.2.1.2", "VM-exit MSR-store area not 16-byte aligned",
          VM_EXIT_MSR_STORE_ADDR, 0, 8, store_one_msr),
    /* 27.2.1.3 VM-entry control fields */
    BREAK("entry-unsupported", "27.2.1.3", "VM-entry control bit 31, which no CPU allows, set",
          VM_ENTRY_CONTROLS, 0, 1u << 31, NULL),
    BREAK("entry-msr-load-unaligned", "27.2.1.3", "VM-entry MSR-load area not 16-byte aligned",
          VM_ENTRY_MSR_LOAD_ADDR, 0, 4, load_one_msr),
    BREAK("inject-reserved-type", "27.2.1.3", "event injection with the reserved interruption type 1",
          VM_ENTRY_INTERRUPTION_INFO, ~0ull, 0x80000120, NULL),
    BREAK("inject-nmi-vector", "27.2.1.3", "an NMI injected with vector 3",
          VM_ENTRY_INTERRUPTION_INFO, ~0ull, 0x80000203, NULL),
    BREAK("inject-nmi-error-code", "27.2.1.3", "an NMI injected with an error code (only hardware exceptions have one)",
          VM_ENTRY_INTERRUPTION_INFO, ~0ull, 0x80000a02, NULL),
    BREAK("inject-soft-int-length", "27.2.1.3", "INT 0x80 injected with an instruction length of 16",
          VM_ENTRY_INSTRUCTION_LENGTH, ~0ull, 16, inject_software_interrupt),
    /* 27.2.2 host control registers and MSRs */
    BREAK("host-cr0-pe", "27.2.2", "host CR0.PE clear", HOST_CR0, 1u << 0, 0, NULL),
    BREAK("host-cr4-vmxe", "27.2.2", "host CR4.VMXE clear", HOST_CR4, 1u << 13, 0, NULL),
    BREAK("host-cr3-too-wide", "27.2.2", "host CR3 beyond the physical-address width",
          HOST_CR3, 0, 1ull << 50, NULL),
    BREAK("host-sysenter-esp", "27.2.2", "host IA32_SYSENTER_ESP not canonical",
          HOST_IA32_SYSENTER_ESP, 0, 1ull << 48, NULL),
    /* 27.2.3 host segment and descriptor-table registers */
    BREAK("host-ds-rpl", "27.2.3", "host DS selector with RPL 3", HOST_DS_SELECTOR, 0, 3, NULL),
    BREAK("host-cs-null", "27.2.3", "host CS selector 0", HOST_CS_SELECTOR, ~0ull, 0, NULL),
    BREAK("host-tr-null", "27.2.3", "host TR selector 0 (no TSS)", HOST_TR_SELECTOR, ~0ull, 0, NULL),
    BREAK("host-gs-base", "27.2.3", "host GS base not canonical", HOST_GS_BASE, 0, 1ull << 63, NULL),
    /* 27.2.4 address-space size */
    BREAK("host-address-space-size", "27.2.4", "'host address-space size' clear on a 64-bit host",
          VM_EXIT_CONTROLS, EXIT_HOST_ADDRESS_SPACE_SIZE, 0, no_host_efer_load),
    BREAK("host-cr4-pae", "27.2.4", "host CR4.PAE clear on a 64-bit host", HOST_CR4, 1u << 5, 0, NULL),
    BREAK("host-rip", "27.2.4", "host RIP not canonical", HOST_RIP, 0, 1ull << 62, NULL),
    /* 27.3.1.1 guest control registers, debug registers and MSRs */
    BREAK("guest-cr0-ne", "27.3.1.1", "guest CR0.NE clear (fixed to 1 in VMX operation)",
          GUEST_CR0, 1u << 5, 0, NULL),
    BREAK("guest-cr4-vmxe", "27.3.1.1", "guest CR4.VMXE clear (fixed to 1 in VMX operation)",
          GUEST_CR4, 1u << 13, 0, NULL),
    BREAK("guest-pg-without-pe", "27.3.1.1", "guest CR0.PG set with CR0.PE clear (unrestricted guest)",
          GUEST_CR0, 1u << 0, 1ull << 31, unrestricted_guest),
    BREAK("guest-ia32e-no-pae", "27.3.1.1", "'IA-32e mode guest' with CR4.PAE clear",
          GUEST_CR4, 1u << 5, 0, ia32e_mode_guest),
    BREAK("guest-cr4-pcide", "27.3.1.1", "guest CR4.PCIDE set outside IA-32e mode",
          GUEST_CR4, 0, 1u << 17, NULL),
    BREAK("guest-cr3-too-wide", "27.3.1.1", "guest CR3 beyond the physical-address width",
          GUEST_CR3, 0, 1ull << 45, NULL),
    BREAK("guest-dr7-high", "27.3.1.1", "guest DR7 bit 32 set, with 'load debug controls'",
          GUEST_DR7, 0, 1ull << 32, load_debug_controls),
    BREAK("guest-efer-lma", "27.3.1.1", "guest EFER.LMA set for a 32-bit guest, with 'load IA32_EFER'",
          GUEST_IA32_EFER, 0, 0x500, load_efer),
    /* 27.3.1.2 guest segment registers */
    BREAK("guest-cs-type", "27.3.1.2", "CS is a read-only data segment (type 1)",
          GUEST_CS_ACCESS_RIGHTS, 0xf, 0x1, NULL),
    BREAK("guest-cs-dpl", "27.3.1.2", "CS.DPL 3 while SS.DPL is 0",
          GUEST_CS_ACCESS_RIGHTS, 0x60, 0x60, NULL),
    BREAK("guest-cs-reserved", "27.3.1.2", "CS access-rights reserved bit 8 set",
          GUEST_CS_ACCESS_RIGHTS, 0, 1u << 8, NULL),
    BREAK("guest-cs-base-high", "27.3.1.2", "CS base above 4 GiB",
          GUEST_CS_BASE, 0, 1ull << 32, NULL),
    BREAK("guest-ss-not-present", "27.3.1.2", "SS not present (P=0)",
          GUEST_SS_ACCESS_RIGHTS, 1u << 7, 0, NULL),
    BREAK("guest-ds-not-accessed", "27.3.1.2", "DS without the accessed bit",
          GUEST_DS_ACCESS_RIGHTS, 1u << 0, 0, NULL),
    BREAK("guest-es-granularity", "27.3.1.2", "ES limit 4 GiB with byte granularity (G=0)",
          GUEST_ES_ACCESS_RIGHTS, 1u << 15, 0, NULL),
    BREAK("guest-fs-base", "27.3.1.2", "FS base not canonical", GUEST_FS_BASE, 0, 1ull << 63, NULL),
    BREAK("guest-cs-long-and-db", "27.3.1.2", "a 64-bit guest's CS with L=1 and D/B=1",
          GUEST_CS_ACCESS_RIGHTS, 0, 1u << 14, long_mode_guest),
    BREAK("guest-tr-type", "27.3.1.2", "TR an available TSS (type 9), not a busy one",
          GUEST_TR_ACCESS_RIGHTS, 0xf, 9, NULL),
    BREAK("guest-ldtr-type", "27.3.1.2", "LDTR usable but a data descriptor (type 3)",
          GUEST_LDTR_ACCESS_RIGHTS, 0x1ffff, 0x83, NULL),
    /* 27.3.1.3 guest descriptor-table registers */
    BREAK("guest-gdtr-limit", "27.3.1.3", "GDTR limit above 0xFFFF", GUEST_GDTR_LIMIT, 0, 1u << 16, NULL),
    BREAK("guest-idtr-base", "27.3.1.3", "IDTR base not canonical", GUEST_IDTR_BASE, 0, 1ull << 60, NULL),
    /* 27.3.1.4 guest RIP and RFLAGS */
    BREAK("guest-rip-high", "27.3.1.4", "RIP above 4 GiB in a 32-bit guest", GUEST_RIP, 0, 1ull << 32, NULL),
    BREAK("guest-rip-non-canonical", "27.3.1.4", "a 64-bit guest's RIP not canonical (bit 47 set)",
          GUEST_RIP, 0, 1ull << 47, long_mode_guest),
    BREAK("guest-rflags-bit1", "27.3.1.4", "RFLAGS bit 1 clear", GUEST_RFLAGS, 1u << 1, 0, NULL),
    BREAK("guest-rflags-reserved", "27.3.1.4", "RFLAGS reserved bit 15 set", GUEST_RFLAGS, 0, 1u << 15, NULL),
    BREAK("inject-external-if0", "27.3.1.4", "an external interrupt injected with RFLAGS.IF=0",
          GUEST_RFLAGS, 1u << 9, 0, inject_external_interrupt),
    /* 27.3.1.5 guest non-register state */
    BREAK("guest-activity-state", "27.3.1.5", "activity state 5, which does not exist",
          GUEST_ACTIVITY_STATE, ~0ull, 5, NULL),
    BREAK("guest-sti-and-mov-ss", "27.3.1.5", "blocking by STI and by MOV SS both set",
          GUEST_INTERRUPTIBILITY, ~0ull, 3, NULL),
    BREAK("guest-sti-if0", "27.3.1.5", "blocking by STI with RFLAGS.IF=0",
          GUEST_INTERRUPTIBILITY, ~0ull, 1, interrupts_off),
    BREAK("guest-interruptibility-reserved", "27.3.1.5", "interruptibility-state reserved bit 8 set",
          GUEST_INTERRUPTIBILITY, 0, 1u << 8, NULL),
    BREAK("guest-pending-dbg-reserved", "27.3.1.5", "pending-debug-exceptions reserved bit 4 set",
          GUEST_PENDING_DEBUG_EXCEPTIONS, 0, 1u << 4, NULL),
    BREAK("guest-hlt-tf-without-bs", "27.3.1.5", "the HLT activity state with RFLAGS.TF=1 and no pending single-step (BS)",
          GUEST_PENDING_DEBUG_EXCEPTIONS, PENDING_BS, 0, halted_single_step),
    BREAK("vmcs-link-pointer", "27.3.1.5", "VMCS link pointer 0x10 instead of all ones",
          VMCS_LINK_POINTER, ~0ull, 0x10, NULL),
    /* 27.3.1.6 guest PDPTEs */
    BREAK("guest-pdpte-reserved", "27.3.1.6", "PAE paging with EPT, PDPTE 0 present with reserved bits 2:1 set",
          GUEST_PDPTE0, 0, 0x7, pae_paging),
};

const unsigned vmcs_break_count = sizeof(vmcs_breaks) / sizeof(vmcs_breaks[0]);

const struct vmcs_break *vmcs_break_find(const char *name)
{
    for (unsigned i = 0; i < vmcs_break_count; i++)
        if (strcmp(vmcs_breaks[i].name, name) == 0)
            return &vmcs_breaks[i];
    return NULL;
}

void vmcs_break_apply(const struct vmcs_break *b, vmcs_read_fn read, vmcs_write_fn write, void *ctx)
{
    if (b->extra)
        b->extra(read, write, ctx);
    change(read, write, ctx, b->field, b->clear, b->set);
}
