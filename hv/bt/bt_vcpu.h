/*
 * bt_vcpu.h: the vCPU page of binary translation (issue 21): the state the
 * translations act on, in one page of the hypervisor's area reached through
 * GS, a DPL-0 data segment that VM entry loads and no guest code can
 * (hv/bt/README.md, "Where things run", says why not DPL 1). The layout is the contract between the code the
 * translator emits (which names these fields by their offsets, %gs:offset)
 * and whoever fills the page: the hypervisor, or the host unit tests'
 * harness. Pure: types and offsets only.
 *
 * Each word is written by one side: the translations write what the guest
 * changes (its virtual IF and IOPL, the selectors it loads, the exit
 * record), the hypervisor what only it knows (a pending interrupt, the
 * guest's CS and SS, its GDTR, IDTR, LDTR and TR, the lookup table). Nothing
 * read from the page is trusted by the hypervisor beyond what the guest may
 * choose itself (hv/bt/README.md, "What the hypervisor must check").
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define BT_VCPU_PAGE_SIZE 4096u
#define BT_EFLAGS_IF   0x200u           /* SDM vol. 1, 3.4.3, figure 3-8 */
#define BT_EFLAGS_IOPL 0x3000u

/* The segment registers by their number in a ModR/M reg field (SDM vol. 2A,
 * 3.1.1.3, "Sreg"). */
enum bt_sreg { BT_ES, BT_CS, BT_SS, BT_DS, BT_FS, BT_GS, BT_SREGS };

/* A descriptor-table register as SGDT and SIDT store it: a 16-bit limit,
 * then a 32-bit base (SDM vol. 2B, SGDT), at offset 2 of the struct so that
 * the base is aligned. */
struct bt_dtr {
    uint16_t pad;
    uint16_t limit;
    uint32_t base;
};

/* One entry of the indirect-branch lookup table: a guest EIP and where its
 * translation runs; guest_eip BT_LOOKUP_EMPTY where none. */
struct bt_lookup_entry {
    uint32_t guest_eip;
    uint32_t tc_address;
};
#define BT_LOOKUP_ENTRIES 4096u
#define BT_LOOKUP_EMPTY   0xFFFFFFFFu   /* in the hypervisor's area: no guest EIP */

struct bt_vcpu_page {
    uint32_t vif;                       /* the guest's IF: 0 or BT_EFLAGS_IF */
    uint32_t viopl;                     /* the guest's IOPL, in place (bits 13:12) */
    uint32_t pending;                   /* BT_EFLAGS_IF while an interrupt waits for
                                           the virtual IF, else 0 (the hypervisor's) */
    uint32_t exit_kind;                 /* the exit record (bt_exit.h) */
    uint32_t exit_eip;
    uint32_t exit_arg;
    uint32_t target;                    /* an indirect branch's guest target */
    uint32_t scratch[5];                /* a translation's saved registers and flags */
    uint32_t selector[BT_SREGS];        /* the guest's selectors as it believes them,
                                           zero-extended; by enum bt_sreg */
    uint32_t ldtr, tr;                  /* its LDTR and TR selectors (SLDT, STR) */
    struct bt_dtr gdtr, idtr;           /* its GDTR and IDTR (SGDT, SIDT) */
    uint32_t cr[5];                     /* its CR0, CR2, CR3, CR4 as it reads them
                                           (MOV from CR; cr[1] unused) */
    /* IRET to the guest's user mode, translated (bt_iret.h): */
    uint32_t gs_real;                   /* the real selector of the guest's GS (the hypervisor's) */
    uint32_t iret_if;                   /* bits 15:8 of the EFLAGS image it returned with */
    uint8_t user_return[256];           /* by a selector's low byte: 1 if its RPL is 3 */
    uint8_t no_vm[256];                 /* by EFLAGS bits 23:16: 1 if VM (bit 17) is 0 */
    /* INT n from user mode through the real IDT (bt_gate.h). What the CPU
     * pushed, on the stack the real TSS gives ring 1 (this page), and what
     * the trampoline saves below it: */
    uint32_t gate_saved[4];             /* EAX, ECX, EDX, EBX */
    uint32_t gate_flags;                /* EFLAGS as the gate left them (PUSHF) */
    uint32_t gate_vector;               /* the stub's PUSH */
    uint32_t gate_frame[5];             /* EIP, CS, EFLAGS, ESP, SS: the CPU's push */
    /* What the hypervisor checked (bt_gate.h), 0 where nothing is: */
    uint32_t gate_ss;                   /* the real SS of the guest's TSS.SS0 (RPL 1) */
    uint32_t gate_ss_guest;             /* the SS0 it believes (RPL 0) */
    uint32_t gate_tss;                  /* its TSS's offset in that segment */
    uint32_t gate_idt;                  /* its IDT's offset in that segment */
    uint32_t gate_entries;              /* INT n taken through the gates (statistics) */
    uint32_t gate_word[256][2];         /* by vector: the guest's gate as checked */
    uint32_t gate_handler[256];         /* by vector: its handler's EIP */
    uint32_t gate_direct_vector;        /* a vector whose handler's translation is known, */
    uint32_t gate_direct_tc;            /* at this TC address (BT_GATE_NO_DIRECT: none) */
    uint32_t gate_jump;                 /* where the trampoline goes on to */
    uint32_t gate_error;                /* an exception's error code, which its stub
                                           took off the CPU's frame (bt_gate.h) */
    /* IRET back to the guest's ring 0, translated (bt_iret.h): */
    uint32_t iret_cs_complement;        /* 0x10000 minus the CS it may return to (the
                                           hypervisor's check), or 0 where none */
    uint32_t iret_eip_room;             /* 0xFF minus the highest EIP bits 31:24 within
                                           that CS's limit (0x100 where none) */
    uint32_t kernel_irets;              /* such IRETs taken (statistics) */
    uint8_t kernel_iret_flags[256];     /* by EFLAGS bits 15:8: 1 if TF, IOPL or NT is set */
    /* Who went to the lookup routine last (bt_lookup.h): an indirect
     * branch's site (its L), or 0 (an IRET's or a gate's way): on a miss
     * to a target past CS's limit, the branch the #GP is reported at. */
    uint32_t lookup_site;
    uint8_t reserved[4096 - 104 - 4 * 5 - 512 - 4 * 16 - 256 * 12 - 16 - 12 - 256 - 4];
};

_Static_assert(sizeof(struct bt_vcpu_page) == BT_VCPU_PAGE_SIZE, "the vCPU page is one page");

#define BT_VCPU(field) ((uint32_t)offsetof(struct bt_vcpu_page, field))

/* After the page, in the same segment and the same memory: one byte for
 * each 16-bit selector, 1 where the hypervisor found it loadable into GS at
 * ring 1 (bt_gs.h), so that a translated MOV GS or POP GS of it needs no
 * exit; then the indirect-branch lookup table (bt_lookup.h). */
#define BT_GS_OK        BT_VCPU_PAGE_SIZE
#define BT_GS_OK_SIZE   65536u
#define BT_LOOKUP       (BT_GS_OK + BT_GS_OK_SIZE)
#define BT_LOOKUP_SIZE  (BT_LOOKUP_ENTRIES * 8u)
#define BT_VCPU_SEGMENT_SIZE (BT_LOOKUP + BT_LOOKUP_SIZE)

static inline uint8_t *bt_gs_ok(struct bt_vcpu_page *p) { return (uint8_t *)p + BT_GS_OK; }
static inline struct bt_lookup_entry *bt_lookup_table(struct bt_vcpu_page *p)
{
    return (struct bt_lookup_entry *)((uint8_t *)p + BT_LOOKUP);
}
