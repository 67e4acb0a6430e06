/*
 * vmcs_setup.c: what the VMCS says before the first VM entry (64-bit, VMX
 * root operation, with the vcpu's VMCS current).
 *
 * Three parts, in the order of SDM vol. 3, 25.3-25.8 "Organization of VMCS
 * Data" and the checks of 27.2-27.3:
 *   1. the controls: which guest actions cause VM exits. Every control is
 *      computed from the capability MSRs (vmx_ctl_adjust), never hard-coded:
 *      CPUs differ in which controls they force to 1 or to 0;
 *   2. the host state: where a VM exit lands (vmx_exit in vmx_entry.S) and
 *      with which segments, control registers and stack;
 *   3. the guest state: the machine state a Multiboot loader leaves
 *      (Multiboot spec 3.2): 32-bit protected mode, flat segments, paging
 *      off, interrupts off, EAX = 0x2BADB002, EBX = the boot information.
 */
#include "cpu/gdt.h"
#include "guest/guest.h"
#include "guest/long_mode_msrs.h"
#include "mem/memory.h"
#include "multiboot.h"
#include "cpu/panic.h"
#include "string.h"
#include "vmx/vmx_entry.h" /* struct vcpu */
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "x86/x86.h"

#define MSR_IA32_PAT 0x277
#define PAT_DEFAULT  0x0007040600070406ull   /* the power-on value (SDM vol. 3, 12.12.4, table 12-12) */

/* Segment access rights in the VMCS format (SDM 25.4.1, table 25-2): the
 * descriptor's type, S, DPL, P, AVL, L, D/B and G bits, plus bit 16 for
 * "unusable". */
#define AR_CODE32  0xC09B   /* execute/read, accessed; S, P, D/B=32-bit, G=4K */
#define AR_DATA32  0xC093   /* read/write, accessed; S, P, D/B, G */
#define AR_TSS32   0x008B   /* 32-bit busy TSS; P */
#define AR_UNUSABLE 0x10000

/* The one port the guest drives itself: 0x61 (the PIT's gate and the
 * speaker). Every other port exits; the PICs' and the PIT's reach the
 * machine's chips through exit_io.c, checked. */
static const uint16_t passthrough_ports[] = { 0x61 };

bool io_port_passed_through(uint16_t port)
{
    for (unsigned i = 0; i < sizeof(passthrough_ports) / sizeof(passthrough_ports[0]); i++)
        if (passthrough_ports[i] == port)
            return true;
    return false;
}

static void setup_io_bitmaps(void)
{
    /* Bitmap A covers ports 0x0000-0x7FFF, B 0x8000-0xFFFF; a 1 bit makes
     * the port's I/O exit (SDM 25.6.4 "I/O-Bitmap Addresses"). */
    uint64_t a = alloc_page(), b = alloc_page();
    memset((void *)a, 0xFF, PAGE_SIZE);
    memset((void *)b, 0xFF, PAGE_SIZE);
    for (unsigned i = 0; i < sizeof(passthrough_ports) / sizeof(passthrough_ports[0]); i++) {
        uint16_t port = passthrough_ports[i];
        ((uint8_t *)a)[port / 8] &= (uint8_t)~(1u << (port % 8));
    }
    vmcs_write(VMCS_IO_BITMAP_A, a);
    vmcs_write(VMCS_IO_BITMAP_B, b);
}

static void setup_msr_bitmap(void)
{
    /* Every RDMSR and WRMSR exits (SDM 25.6.9): exit_msr.c allows a few;
     * but a 64-bit kernel's FS/GS bases and SYSCALL MSRs are the guest's
     * in the real CPU (long_mode_msrs.c says why). */
    uint64_t page = alloc_page();
    memset((void *)page, 0xFF, PAGE_SIZE);
    long_mode_msrs_pass_through((uint8_t *)page);
    vmcs_write(VMCS_MSR_BITMAP, page);
}

/* LAB 1 BEGIN: the VM-execution, VM-exit and VM-entry controls */
static void setup_controls(const struct vcpu *v, const struct vmx_caps *caps)
{
    /* Pin-based: NMIs belong to the host (they exit; exit.c reflects them). */
    vmcs_write(VMCS_PIN_BASED_CONTROLS, vmx_ctl_adjust(caps->pinbased, PIN_NMI_EXITING));

    /* Primary: HLT exits (exit_hlt.c), I/O and MSRs go through the bitmaps.
     * CR3 loads and stores need not exit: with EPT the guest owns CR3. */
    uint32_t proc = vmx_ctl_adjust(caps->procbased, PROC_HLT_EXITING | PROC_USE_IO_BITMAPS |
                                   PROC_USE_MSR_BITMAPS | PROC_ACTIVATE_SECONDARY);
    proc &= ~(PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING) | vmx_ctl_must_be_one(caps->procbased);
    vmcs_write(VMCS_PROC_BASED_CONTROLS, proc);

    /* Secondary: EPT, the unrestricted guest (paging off is allowed), VPID
     * (the guest's TLB entries survive VM exits; v->vpid is its VM's own:
     * 1 + the VM's number, 0 being the host's, SDM 29.1). */
    uint32_t want2 = PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST;
    if (vmx_ctl_supported(caps->procbased2, PROC2_ENABLE_VPID))
        want2 |= PROC2_ENABLE_VPID;
    uint32_t proc2 = vmx_ctl_adjust(caps->procbased2, want2);
    vmcs_write(VMCS_PROC_BASED_CONTROLS2, proc2);
    if (proc2 & PROC2_ENABLE_VPID)
        vmcs_write(VMCS_VPID, v->vpid);
    /* The EPT pointer exists only where EPT does (a CPU without it refuses
     * the VMWRITE: VM-instruction error 12). */
    if (proc2 & PROC2_ENABLE_EPT)
        vmcs_write(VMCS_EPT_POINTER, ept_pointer(&v->guest->ept));

    /* The guest handles all its own exceptions. */
    vmcs_write(VMCS_EXCEPTION_BITMAP, 0);
    vmcs_write(VMCS_CR3_TARGET_COUNT, 0);
    setup_io_bitmaps();
    setup_msr_bitmap();

    /* Exit: back to a 64-bit host, switching EFER and PAT (SDM 25.7.1), and
     * saving the guest's DR7 and IA32_DEBUGCTL: every VM exit sets DR7 to
     * 0x400 (SDM 28.5.1), so without "save debug controls" (28.3.1) the
     * guest's breakpoints and DR7.GD vanish at its next exit. */
    vmcs_write(VMCS_VM_EXIT_CONTROLS,
               vmx_ctl_adjust(caps->exit, EXIT_HOST_ADDRESS_SPACE_SIZE | EXIT_SAVE_IA32_EFER |
                              EXIT_LOAD_IA32_EFER | EXIT_SAVE_IA32_PAT | EXIT_LOAD_IA32_PAT |
                              EXIT_SAVE_DEBUG_CONTROLS));
    /* Entry: a 32-bit guest (IA-32e mode guest off), with its EFER, PAT, DR7
     * and IA32_DEBUGCTL (SDM 25.8.1). */
    vmcs_write(VMCS_VM_ENTRY_CONTROLS,
               vmx_ctl_adjust(caps->entry, ENTRY_LOAD_IA32_EFER | ENTRY_LOAD_IA32_PAT |
                              ENTRY_LOAD_DEBUG_CONTROLS));
    vmcs_write(VMCS_VM_ENTRY_INTERRUPTION_INFO, 0);
}
/* LAB 1 END */

/* The base of the TSS the hypervisor's TR selects, from its GDT descriptor
 * (a 16-byte system descriptor in 64-bit mode, SDM vol. 3, 8.2.3). */
static uint64_t tss_base(uint64_t gdt_base)
{
    const uint8_t *d = (const uint8_t *)(gdt_base + GDT_TSS);
    return (uint64_t)d[2] | (uint64_t)d[3] << 8 | (uint64_t)d[4] << 16 | (uint64_t)d[7] << 24 |
           (uint64_t)*(const uint32_t *)(d + 8) << 32;
}

extern char vmx_exit[];   /* vmx_entry.S */

/* LAB 1 BEGIN: the host-state area */
static void setup_host_state(void)
{
    vmcs_write(VMCS_HOST_CR0, read_cr0());
    vmcs_write(VMCS_HOST_CR3, read_cr3());
    vmcs_write(VMCS_HOST_CR4, read_cr4());

    /* Selectors with RPL 0 and TI 0; CS and TR non-null (SDM 27.2.3). */
    vmcs_write(VMCS_HOST_CS_SELECTOR, GDT_KERNEL_CS);
    vmcs_write(VMCS_HOST_SS_SELECTOR, GDT_KERNEL_DS);
    vmcs_write(VMCS_HOST_DS_SELECTOR, GDT_KERNEL_DS);
    vmcs_write(VMCS_HOST_ES_SELECTOR, GDT_KERNEL_DS);
    vmcs_write(VMCS_HOST_FS_SELECTOR, 0);
    vmcs_write(VMCS_HOST_GS_SELECTOR, 0);
    vmcs_write(VMCS_HOST_TR_SELECTOR, GDT_TSS);
    vmcs_write(VMCS_HOST_FS_BASE, 0);
    vmcs_write(VMCS_HOST_GS_BASE, 0);

    struct descriptor_table_pointer gdtr, idtr;
    sgdt(&gdtr);
    sidt(&idtr);
    vmcs_write(VMCS_HOST_GDTR_BASE, gdtr.base);
    vmcs_write(VMCS_HOST_IDTR_BASE, idtr.base);
    vmcs_write(VMCS_HOST_TR_BASE, tss_base(gdtr.base));

    vmcs_write(VMCS_HOST_IA32_SYSENTER_CS, 0);
    vmcs_write(VMCS_HOST_IA32_SYSENTER_ESP, 0);
    vmcs_write(VMCS_HOST_IA32_SYSENTER_EIP, 0);
    /* These fields exist only on CPUs that can load the MSRs (SDM 25.5);
     * without them a VM exit still gives a 64-bit host EFER.LME/LMA (28.5.1). */
    uint32_t exit = (uint32_t)vmcs_read(VMCS_VM_EXIT_CONTROLS);
    if (exit & EXIT_LOAD_IA32_EFER)
        vmcs_write(VMCS_HOST_IA32_EFER, rdmsr(MSR_EFER));
    if (exit & EXIT_LOAD_IA32_PAT)
        vmcs_write(VMCS_HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));

    /* A VM exit resumes at vmx_exit; HOST_RSP is written by vmx_run. */
    vmcs_write(VMCS_HOST_RIP, (uint64_t)vmx_exit);
}
/* LAB 1 END */

static void set_segment(unsigned selector_field, uint16_t selector, uint32_t ar)
{
    /* The fields of one segment register lie at fixed distances from its
     * selector's encoding (SDM Appendix B): limit at +0x4000, access rights
     * at +0x4014, base at +0x6006 (ES: 0x0800, 0x4800, 0x4814, 0x6806). */
    unsigned n = selector_field - VMCS_GUEST_ES_SELECTOR;
    vmcs_write(selector_field, selector);
    vmcs_write(VMCS_GUEST_ES_LIMIT + n, ar & AR_UNUSABLE ? 0 : 0xFFFFFFFF);
    vmcs_write(VMCS_GUEST_ES_ACCESS_RIGHTS + n, ar);
    vmcs_write(VMCS_GUEST_ES_BASE + n, 0);
}

/* LAB 1 BEGIN: the guest-state area of a Multiboot entry */
static void setup_guest_state(struct vcpu *v, const struct vmx_caps *caps)
{
    /* CR0 and CR4: the CPU needs the FIXED0 bits set even in the guest
     * (PE and PG excepted with the unrestricted guest, SDM 27.3.1.1). The
     * guest/host masks give the hypervisor those bits: the guest reads the
     * read shadows instead, and an attempt to change them exits (SDM 25.6.6). */
    uint64_t cr0_fixed = (caps->cr0_fixed0 & ~(uint64_t)(CR0_PE | CR0_PG)) | ~caps->cr0_fixed1;
    uint64_t cr4_fixed = caps->cr4_fixed0 | ~caps->cr4_fixed1;
    uint64_t guest_cr0 = CR0_PE | CR0_ET;            /* what the guest is told: PE, paging off */
    vmcs_write(VMCS_CR0_GUEST_HOST_MASK, cr0_fixed & 0xFFFFFFFF);
    vmcs_write(VMCS_CR0_READ_SHADOW, guest_cr0);
    vmcs_write(VMCS_GUEST_CR0, (guest_cr0 | caps->cr0_fixed0) & caps->cr0_fixed1 & ~(uint64_t)CR0_PG);
    /* SMXE and OSXSAVE too: hvlab offers no SMX and no XSAVE (exit_cpuid.c,
     * exit_cr.c), so setting them must exit to be refused. */
    vmcs_write(VMCS_CR4_GUEST_HOST_MASK, (cr4_fixed | CR4_SMXE | CR4_OSXSAVE) & 0xFFFFFFFF);
    vmcs_write(VMCS_CR4_READ_SHADOW, 0);
    vmcs_write(VMCS_GUEST_CR4, caps->cr4_fixed0);
    vmcs_write(VMCS_GUEST_CR3, 0);
    vmcs_write(VMCS_GUEST_DR7, 0x400);

    set_segment(VMCS_GUEST_CS_SELECTOR, 0x08, AR_CODE32);
    set_segment(VMCS_GUEST_SS_SELECTOR, 0x10, AR_DATA32);
    set_segment(VMCS_GUEST_DS_SELECTOR, 0x10, AR_DATA32);
    set_segment(VMCS_GUEST_ES_SELECTOR, 0x10, AR_DATA32);
    set_segment(VMCS_GUEST_FS_SELECTOR, 0x10, AR_DATA32);
    set_segment(VMCS_GUEST_GS_SELECTOR, 0x10, AR_DATA32);
    set_segment(VMCS_GUEST_LDTR_SELECTOR, 0, AR_UNUSABLE);
    /* TR must be usable even though the guest has no TSS yet (SDM 27.3.1.2). */
    vmcs_write(VMCS_GUEST_TR_SELECTOR, 0);
    vmcs_write(VMCS_GUEST_TR_LIMIT, 0x67);
    vmcs_write(VMCS_GUEST_TR_ACCESS_RIGHTS, AR_TSS32);
    vmcs_write(VMCS_GUEST_TR_BASE, 0);
    vmcs_write(VMCS_GUEST_GDTR_BASE, 0);
    vmcs_write(VMCS_GUEST_GDTR_LIMIT, 0);
    vmcs_write(VMCS_GUEST_IDTR_BASE, 0);
    vmcs_write(VMCS_GUEST_IDTR_LIMIT, 0);

    vmcs_write(VMCS_GUEST_RIP, v->guest->entry);
    vmcs_write(VMCS_GUEST_RSP, 0);
    vmcs_write(VMCS_GUEST_RFLAGS, 0x2);              /* bit 1 is always 1; IF=0 */
    v->regs.rax = MULTIBOOT_BOOTLOADER_MAGIC;
    v->regs.rbx = v->guest->mbi_gpa;

    uint32_t entry = (uint32_t)vmcs_read(VMCS_VM_ENTRY_CONTROLS);
    if (entry & ENTRY_LOAD_IA32_EFER)
        vmcs_write(VMCS_GUEST_IA32_EFER, 0);
    if (entry & ENTRY_LOAD_IA32_PAT)
        vmcs_write(VMCS_GUEST_IA32_PAT, PAT_DEFAULT);
    vmcs_write(VMCS_GUEST_IA32_DEBUGCTL, 0);
    vmcs_write(VMCS_GUEST_IA32_SYSENTER_CS, 0);
    vmcs_write(VMCS_GUEST_IA32_SYSENTER_ESP, 0);
    vmcs_write(VMCS_GUEST_IA32_SYSENTER_EIP, 0);
    vmcs_write(VMCS_GUEST_ACTIVITY_STATE, 0);         /* active */
    vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
    vmcs_write(VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS, 0);
    vmcs_write(VMCS_VMCS_LINK_POINTER, ~0ull);       /* no shadow VMCS (SDM 27.3.1.5) */
}
/* LAB 1 END */

/* LAB 2 BEGIN: the controls and CR masks of shadow paging */
/* mem=shadow: what changes from the EPT set-up above. */
static void setup_shadow_paging(struct vcpu *v, const struct vmx_caps *caps)
{
    /* EPT off, and with it the unrestricted guest (SDM 27.2.1.1: it needs
     * EPT). VPID off too: every VM entry and exit then flushes the TLB
     * (SDM 29.4.3.1), so a shadow entry the hypervisor drops is gone from
     * the TLB when the guest runs again. */
    if (vmcs_read(VMCS_PROC_BASED_CONTROLS) & PROC_ACTIVATE_SECONDARY)
        vmcs_write(VMCS_PROC_BASED_CONTROLS2, vmx_ctl_adjust(caps->procbased2, 0));

    /* MOV to/from CR3 and INVLPG exit (SDM 26.1.3); no CR3-target values,
     * so every CR3 load exits (SDM 25.6.7 "CR3-Target Controls"). */
    vmcs_write(VMCS_PROC_BASED_CONTROLS, vmcs_read(VMCS_PROC_BASED_CONTROLS) |
               vmx_ctl_adjust(caps->procbased, PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING |
                              PROC_INVLPG_EXITING));
    vmcs_write(VMCS_CR3_TARGET_COUNT, 0);

    /* Every #PF exits: bit 14 of the exception bitmap, and the error-code
     * mask and match both 0, so that every error code "matches" (SDM 25.6.3
     * "Exception Bitmap"). */
    vmcs_write(VMCS_EXCEPTION_BITMAP, vmcs_read(VMCS_EXCEPTION_BITMAP) | (1u << VEC_PF));
    vmcs_write(VMCS_PAGE_FAULT_ERROR_CODE_MASK, 0);
    vmcs_write(VMCS_PAGE_FAULT_ERROR_CODE_MATCH, 0);

    /* CR0: without the unrestricted guest, PE and PG are fixed to 1 in the
     * real register (SDM 27.3.1.1); the hypervisor also owns WP (exit_cr.c).
     * The guest reads PE, paging off: the read shadow (SDM 25.6.6). CR4:
     * every bit is the hypervisor's, so each change the guest makes exits. */
    uint64_t cr0_owned = caps->cr0_fixed0 | ~caps->cr0_fixed1 | CR0_WP;
    vmcs_write(VMCS_CR0_GUEST_HOST_MASK, cr0_owned & 0xFFFFFFFF);
    vmcs_write(VMCS_CR0_READ_SHADOW, CR0_PE | CR0_ET);
    vmcs_write(VMCS_GUEST_CR0, (CR0_PE | CR0_ET | caps->cr0_fixed0 | CR0_WP) & caps->cr0_fixed1);
    vmcs_write(VMCS_CR4_GUEST_HOST_MASK, 0xFFFFFFFF);
    vmcs_write(VMCS_CR4_READ_SHADOW, 0);
    vmcs_write(VMCS_GUEST_CR4, caps->cr4_fixed0);

    /* The real CR3 is the shadow's directory, for good: the guest's CR3
     * lives in the shadow (shadow.c). The guest starts with paging off, on
     * the identity shadow. */
    shadow_init(v->guest->shadow, v->guest);
    vmcs_write(VMCS_GUEST_CR3, v->guest->shadow->root);
}
/* LAB 2 END */

void vmcs_setup(struct vcpu *v, const struct vmx_caps *caps)
{
    setup_controls(v, caps);
    setup_host_state();
    setup_guest_state(v, caps);
    if (v->guest->shadow_paging)
        setup_shadow_paging(v, caps);
}
