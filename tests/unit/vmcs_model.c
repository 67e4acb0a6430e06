/* vmcs_model.c: a valid VMCS on the host (see vmcs_model.h). */
#include "vmcs_model.h"
#include <stdbool.h>
#include <string.h>
#include "vmx/vmcs_fields.h"
#include "vmx/vmx.h"

/* Bochs 2.7, cpu: model=tigerlake. */
const struct vmx_caps tigerlake = {
    .basic = 0x01d8100000000004ull,
    .misc = 0x00000000600401e0ull,
    .pinbased = 0x0000007f00000016ull,
    .procbased = 0xfff9fffe04006172ull,
    .procbased2 = 0x02977fff00000000ull,
    .exit = 0x107fffff00036dfbull,
    .entry = 0x0010ffff000011fbull,
    .cr0_fixed0 = 0x80000021, .cr0_fixed1 = 0xffffffff,
    .cr4_fixed0 = 0x2000, .cr4_fixed1 = 0x00f72fff,
    .ept_vpid = 0x00000f0106b34141ull,
    .phys_addr_width = 40,
};

void set_segment(struct vmcs *v, unsigned selector_field, uint16_t selector, uint32_t rights)
{
    unsigned n = selector_field - VMCS_GUEST_ES_SELECTOR;   /* SDM Appendix B: fixed distances */
    v->field[selector_field] = selector;
    v->field[VMCS_GUEST_ES_BASE + n] = 0;
    v->field[VMCS_GUEST_ES_LIMIT + n] = (rights & 0x10000) ? 0 : 0xffffffff;
    v->field[VMCS_GUEST_ES_ACCESS_RIGHTS + n] = rights;
}

void build_valid(struct vmcs *v, enum guest_kind kind)
{
    const struct vmx_caps *c = &tigerlake;
    bool unrestricted = kind == PAGING_OFF_UNRESTRICTED;
    memset(v, 0, sizeof(*v));
    /* Controls, as hv/guest/vmcs_setup.c chooses them. */
    v->field[VMCS_PIN_BASED_CONTROLS] = vmx_ctl_adjust(c->pinbased, PIN_NMI_EXITING);
    v->field[VMCS_PROC_BASED_CONTROLS] = vmx_ctl_adjust(c->procbased, PROC_HLT_EXITING |
        PROC_USE_IO_BITMAPS | PROC_USE_MSR_BITMAPS | PROC_ACTIVATE_SECONDARY);
    v->field[VMCS_PROC_BASED_CONTROLS2] = vmx_ctl_adjust(c->procbased2, PROC2_ENABLE_EPT |
        PROC2_ENABLE_VPID | (unrestricted ? PROC2_UNRESTRICTED_GUEST : 0));
    v->field[VMCS_VPID] = 1;
    v->field[VMCS_EPT_POINTER] = 0x200000 | (3 << 3) | 6;        /* WB, 4 levels */
    v->field[VMCS_IO_BITMAP_A] = 0x201000;
    v->field[VMCS_IO_BITMAP_B] = 0x202000;
    v->field[VMCS_MSR_BITMAP] = 0x203000;
    v->field[VMCS_VM_EXIT_CONTROLS] = vmx_ctl_adjust(c->exit, EXIT_HOST_ADDRESS_SPACE_SIZE |
        EXIT_SAVE_IA32_EFER | EXIT_LOAD_IA32_EFER | EXIT_SAVE_IA32_PAT | EXIT_LOAD_IA32_PAT);
    v->field[VMCS_VM_ENTRY_CONTROLS] = vmx_ctl_adjust(c->entry, ENTRY_LOAD_IA32_EFER | ENTRY_LOAD_IA32_PAT);
    /* Host: 64-bit, paging, a TSS. */
    v->field[VMCS_HOST_CR0] = 0x80050033;
    v->field[VMCS_HOST_CR3] = 0x104000;
    v->field[VMCS_HOST_CR4] = 0x2020;                             /* PAE, VMXE */
    v->field[VMCS_HOST_CS_SELECTOR] = 0x08;
    v->field[VMCS_HOST_SS_SELECTOR] = 0x10;
    v->field[VMCS_HOST_DS_SELECTOR] = 0x10;
    v->field[VMCS_HOST_ES_SELECTOR] = 0x10;
    v->field[VMCS_HOST_TR_SELECTOR] = 0x18;
    v->field[VMCS_HOST_TR_BASE] = 0x110000;
    v->field[VMCS_HOST_GDTR_BASE] = 0x111000;
    v->field[VMCS_HOST_IDTR_BASE] = 0x112000;
    v->field[VMCS_HOST_IA32_EFER] = 0xd00;                        /* LME, LMA, NXE */
    v->field[VMCS_HOST_IA32_PAT] = 0x0007040600070406ull;
    v->field[VMCS_HOST_RSP] = 0x120000;
    v->field[VMCS_HOST_RIP] = 0x100400;
    /* Guest: 32-bit protected mode, flat segments, a busy TSS, no LDT. */
    v->field[VMCS_GUEST_CR0] = unrestricted ? 0x31 : 0x80000031;  /* PE, ET, NE (+ PG) */
    v->field[VMCS_GUEST_CR3] = unrestricted ? 0 : 0x300000;
    v->field[VMCS_GUEST_CR4] = 0x2000;                            /* VMXE */
    v->field[VMCS_GUEST_DR7] = 0x400;
    set_segment(v, VMCS_GUEST_CS_SELECTOR, 0x08, 0xc09b);
    set_segment(v, VMCS_GUEST_SS_SELECTOR, 0x10, 0xc093);
    set_segment(v, VMCS_GUEST_DS_SELECTOR, 0x10, 0xc093);
    set_segment(v, VMCS_GUEST_ES_SELECTOR, 0x10, 0xc093);
    set_segment(v, VMCS_GUEST_FS_SELECTOR, 0x10, 0xc093);
    set_segment(v, VMCS_GUEST_GS_SELECTOR, 0x10, 0xc093);
    set_segment(v, VMCS_GUEST_LDTR_SELECTOR, 0, 0x10000);
    v->field[VMCS_GUEST_TR_LIMIT] = 0x67;
    v->field[VMCS_GUEST_TR_ACCESS_RIGHTS] = 0x8b;
    v->field[VMCS_GUEST_RIP] = 0x100000;
    v->field[VMCS_GUEST_RFLAGS] = 0x2;
    v->field[VMCS_GUEST_IA32_PAT] = 0x0007040600070406ull;
    v->field[VMCS_VMCS_LINK_POINTER] = ~0ull;
}

