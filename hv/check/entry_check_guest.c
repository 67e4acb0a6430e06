/*
 * entry_check_guest.c: the VM-entry checker, SDM 27.3.1 "Checks on the Guest-State Area".
 * Pure; see entry_check.c for how a rule is written and reported.
 */
#include "check/entry_check_rules.h"

/* ---- 27.3.1 Checks on the Guest-State Area ---- */

/* The rules on CR0 and CR4 together: the table the MOV-to-CR handlers
 * follow too (cpu_rules.c), each rule reported against its register. */
static void expect_cr_pair(struct checker *c)
{
    struct cr_pair p = { c->guest_cr0, c->guest_cr4, c->ia32e_guest };
    for (unsigned i = 0; i < cr_rule_count; i++) {
        const struct cr_rule *r = &cr_rules[i];
        if (r->checked & CR_CHECKED_AT_ENTRY)
            expect(c, r->holds(&p), r->reg == 0 ? VMCS_GUEST_CR0 : VMCS_GUEST_CR4, r->text);
    }
}

/* 27.3.1.1 */
void check_guest_registers_and_msrs(struct checker *c)
{
    uint64_t cr0 = c->guest_cr0;
    c->section = &SEC_GUEST_REGISTERS;
    /* NW and CD are never checked: VM entry does not change them. */
    uint64_t exempt = CR0_NW | CR0_CD | (c->unrestricted ? CR0_PE | CR0_PG : 0);
    expect_fixed_bits(c, VMCS_GUEST_CR0, c->caps->cr0_fixed0, c->caps->cr0_fixed1, exempt);
    expect_fixed_bits(c, VMCS_GUEST_CR4, c->caps->cr4_fixed0, c->caps->cr4_fixed1, 0);
    expect_cr_pair(c);
    if (c->entry & ENTRY_LOAD_DEBUG_CONTROLS) {
        expect(c, (rd(c, VMCS_GUEST_IA32_DEBUGCTL) >> 16) == 0, VMCS_GUEST_IA32_DEBUGCTL,
               "With 'load debug controls', the reserved IA32_DEBUGCTL bits 63:16 must be 0");
        expect(c, (rd(c, VMCS_GUEST_DR7) >> 32) == 0, VMCS_GUEST_DR7,
               "With 'load debug controls', DR7 bits 63:32 must be 0");
    }
    expectf(c, fits_physical(c, rd(c, VMCS_GUEST_CR3)), VMCS_GUEST_CR3,
            "Guest CR3 bits beyond the physical-address width must be 0",
            "MAXPHYADDR=%u", c->caps->phys_addr_width);
    expect_canonical(c, VMCS_GUEST_IA32_SYSENTER_ESP);
    expect_canonical(c, VMCS_GUEST_IA32_SYSENTER_EIP);
    if (c->entry & ENTRY_LOAD_IA32_PAT)
        expect_valid_pat(c, VMCS_GUEST_IA32_PAT);
    if (c->entry & ENTRY_LOAD_IA32_EFER) {
        uint64_t efer = rd(c, VMCS_GUEST_IA32_EFER);
        expect_efer_reserved_clear(c, VMCS_GUEST_IA32_EFER);
        expectf(c, !!(efer & EFER_LMA) == c->ia32e_guest, VMCS_GUEST_IA32_EFER,
                "With 'load IA32_EFER', guest EFER.LMA must equal the 'IA-32e mode guest' entry control",
                "IA-32e mode guest=%u", c->ia32e_guest);
        expectf(c, !(cr0 & CR0_PG) || !!(efer & EFER_LMA) == !!(efer & EFER_LME), VMCS_GUEST_IA32_EFER,
                "With 'load IA32_EFER' and CR0.PG=1, guest EFER.LME must equal EFER.LMA",
                "CR0=0x%lx", cr0);
    }
}

/* Decode one guest segment register from its four fields. */
void read_segment(const struct checker *c, struct segment *s, const struct segment *fields)
{
    *s = *fields;
    s->selector = (uint16_t)rd(c, s->selector_field);
    s->base = rd(c, s->base_field);
    s->limit = (uint32_t)rd(c, s->limit_field);
    s->rights = (uint32_t)rd(c, s->rights_field);
    s->rpl = s->selector & 3;
    s->ti = (s->selector >> 2) & 1;
    s->type = s->rights & 0xf;
    s->s = (s->rights >> 4) & 1;
    s->dpl = (s->rights >> 5) & 3;
    s->p = (s->rights >> 7) & 1;
    s->l = (s->rights >> 13) & 1;
    s->db = (s->rights >> 14) & 1;
    s->g = (s->rights >> 15) & 1;
    s->usable = !((s->rights >> 16) & 1);
}

/* The checks every present descriptor shares: reserved rights bits, and a
 * limit that the granularity bit can express (SDM 27.3.1.2). */
static void expect_rights_reserved_and_granularity(struct checker *c, const struct segment *s)
{
    expectf(c, (s->rights & 0xFFFE0F00u) == 0, s->rights_field,
            "Access-rights bits 11:8 and 31:17 are reserved and must be 0",
            "%s.rights=0x%x", s->name, s->rights);
    bool low_bits_all_ones = (s->limit & 0xfff) == 0xfff, high_bits_zero = (s->limit >> 20) == 0;
    expectf(c, (low_bits_all_ones || !s->g) && (high_bits_zero || s->g), s->rights_field,
            "G must be 0 if any of limit bits 11:0 is 0, and 1 if any of limit bits 31:20 is 1",
            "%s.limit=0x%08x %s.G=%u", s->name, s->limit, s->name, s->g);
}

/* Selector fields. */
static void check_segment_selectors(struct checker *c)
{
    const struct segment *cs = &c->seg[CS], *ss = &c->seg[SS], *tr = &c->seg[TR], *ldtr = &c->seg[LDTR];
    expect(c, tr->ti == 0, tr->selector_field, "The TR selector's TI flag (bit 2) must be 0");
    expect(c, !ldtr->usable || ldtr->ti == 0, ldtr->selector_field,
           "A usable LDTR's selector must have TI (bit 2) = 0");
    if (!c->v8086 && !c->unrestricted)
        expectf(c, ss->rpl == cs->rpl, ss->selector_field,
                "Without unrestricted guest, SS.RPL must equal CS.RPL",
                "SS.RPL=%u CS.RPL=%u", ss->rpl, cs->rpl);
}

/* Base-address fields. */
static void check_segment_bases(struct checker *c)
{
    for (unsigned i = ES; i <= GS; i++) {
        const struct segment *s = &c->seg[i];
        if (c->v8086)
            expectf(c, s->base == (uint64_t)s->selector << 4, s->base_field,
                    "In virtual-8086 mode, each segment base must be its selector times 16",
                    "%s.selector=0x%04x", s->name, s->selector);
    }
    expect_canonical(c, VMCS_GUEST_TR_BASE);
    expect_canonical(c, VMCS_GUEST_FS_BASE);
    expect_canonical(c, VMCS_GUEST_GS_BASE);
    if (c->seg[LDTR].usable)
        expect_canonical(c, VMCS_GUEST_LDTR_BASE);
    expect(c, (c->seg[CS].base >> 32) == 0, VMCS_GUEST_CS_BASE, "CS base bits 63:32 must be 0");
    static const unsigned upper_zero[] = { SS, DS, ES };
    for (unsigned i = 0; i < 3; i++) {
        const struct segment *s = &c->seg[upper_zero[i]];
        expectf(c, !s->usable || (s->base >> 32) == 0, s->base_field,
                "A usable SS, DS or ES must have base bits 63:32 = 0", "%s", s->name);
    }
}

/* Limit and access-rights fields in virtual-8086 mode. */
static void check_v8086_segments(struct checker *c)
{
    for (unsigned i = ES; i <= GS; i++) {
        const struct segment *s = &c->seg[i];
        expectf(c, s->limit == 0xffff, s->limit_field,
                "In virtual-8086 mode, each segment limit must be 0xFFFF", "%s", s->name);
        expectf(c, s->rights == 0xf3, s->rights_field,
                "In virtual-8086 mode, each segment's access rights must be 0xF3 (present, DPL 3, accessed read/write data)",
                "%s", s->name);
    }
}

/* Access rights of CS (SDM 27.3.1.2, "Access-rights fields", CS items). */
static void check_cs_rights(struct checker *c)
{
    const struct segment *cs = &c->seg[CS], *ss = &c->seg[SS];
    bool code = cs->type == 9 || cs->type == 11 || cs->type == 13 || cs->type == 15;
    expectf(c, code || (cs->type == 3 && c->unrestricted), cs->rights_field,
            "CS must be an accessed code segment (type 9, 11, 13 or 15), or type 3 with unrestricted guest",
            "CS.type=%u", cs->type);
    if (cs->type == 3)
        expectf(c, cs->dpl == 0, cs->rights_field, "A CS of type 3 must have DPL 0", "CS.DPL=%u", cs->dpl);
    if (cs->type == 9 || cs->type == 11)
        expectf(c, cs->dpl == ss->dpl, cs->rights_field,
                "A non-conforming CS (type 9 or 11) must have CS.DPL = SS.DPL",
                "CS.DPL=%u SS.DPL=%u", cs->dpl, ss->dpl);
    if (cs->type == 13 || cs->type == 15)
        expectf(c, cs->dpl <= ss->dpl, cs->rights_field,
                "A conforming CS (type 13 or 15) must have CS.DPL <= SS.DPL",
                "CS.DPL=%u SS.DPL=%u", cs->dpl, ss->dpl);
    if (c->ia32e_guest && cs->l)
        expect(c, !cs->db, cs->rights_field, "A 64-bit CS (IA-32e mode guest, CS.L=1) must have D/B=0");
}

/* Access rights of SS: its type only if usable, its DPL always. */
static void check_ss_rights(struct checker *c)
{
    const struct segment *ss = &c->seg[SS];
    if (ss->usable)
        expectf(c, ss->type == 3 || ss->type == 7, ss->rights_field,
                "A usable SS must be a read/write accessed data segment (type 3 or 7)", "SS.type=%u", ss->type);
    if (!c->unrestricted)
        expectf(c, ss->dpl == ss->rpl, ss->rights_field,
                "Without unrestricted guest, SS.DPL must equal SS.RPL", "SS.DPL=%u SS.RPL=%u", ss->dpl, ss->rpl);
    if (c->seg[CS].type == 3 || !(c->guest_cr0 & CR0_PE))
        expectf(c, ss->dpl == 0, ss->rights_field,
                "SS.DPL must be 0 when CS has type 3 or CR0.PE=0", "SS.DPL=%u", ss->dpl);
}

/* Access rights of a usable DS, ES, FS or GS. */
static void check_data_rights(struct checker *c, const struct segment *s)
{
    expectf(c, s->type & 1, s->rights_field, "A usable DS, ES, FS or GS must be accessed (type bit 0 = 1)",
            "%s.type=%u", s->name, s->type);
    expectf(c, !(s->type & 8) || (s->type & 2), s->rights_field,
            "A code segment in DS, ES, FS or GS must be readable (type bit 1 = 1)", "%s.type=%u", s->name, s->type);
    if (!c->unrestricted && s->type <= 11)
        expectf(c, s->dpl >= s->rpl, s->rights_field,
                "Without unrestricted guest, a data or non-conforming code segment must have DPL >= RPL",
                "%s.DPL=%u %s.RPL=%u", s->name, s->dpl, s->name, s->rpl);
}

/* The access-rights checks of CS, SS, DS, ES, FS and GS outside virtual-8086 mode. */
static void check_segment_rights(struct checker *c)
{
    check_cs_rights(c);
    check_ss_rights(c);
    static const unsigned data[] = { DS, ES, FS, GS };
    for (unsigned i = 0; i < 4; i++)
        if (c->seg[data[i]].usable)
            check_data_rights(c, &c->seg[data[i]]);
    for (unsigned i = ES; i <= GS; i++) {
        const struct segment *s = &c->seg[i];
        if (i != CS && !s->usable)
            continue;
        expectf(c, s->s, s->rights_field, "CS and every usable SS, DS, ES, FS, GS must be a code or data segment (S=1)",
                "%s.S=0", s->name);
        expectf(c, s->p, s->rights_field, "CS and every usable SS, DS, ES, FS, GS must be present (P=1)",
                "%s.P=0", s->name);
        expect_rights_reserved_and_granularity(c, s);
    }
}

/* TR must hold a busy TSS; LDTR, when usable, an LDT. */
static void check_tr_and_ldtr_rights(struct checker *c)
{
    const struct segment *tr = &c->seg[TR], *ldtr = &c->seg[LDTR];
    expectf(c, tr->type == 11 || (tr->type == 3 && !c->ia32e_guest), tr->rights_field,
            "TR must be a busy TSS: type 11 (32/64-bit), or 3 (16-bit) outside IA-32e mode",
            "TR.type=%u", tr->type);
    expect(c, !tr->s && tr->p && tr->usable, tr->rights_field,
           "TR must be a usable, present system descriptor (S=0, P=1, unusable=0)");
    expect_rights_reserved_and_granularity(c, tr);
    if (!ldtr->usable)
        return;
    expectf(c, ldtr->type == 2, ldtr->rights_field, "A usable LDTR must have type 2 (LDT)", "LDTR.type=%u",
            ldtr->type);
    expect(c, !ldtr->s && ldtr->p, ldtr->rights_field,
           "A usable LDTR must be a present system descriptor (S=0, P=1)");
    expect_rights_reserved_and_granularity(c, ldtr);
}

/* 27.3.1.2, in the SDM's order: selectors, bases, limits, access rights. */
void check_guest_segment_registers(struct checker *c)
{
    c->section = &SEC_GUEST_SEGMENTS;
    check_segment_selectors(c);
    check_segment_bases(c);
    if (c->v8086)
        check_v8086_segments(c);
    else
        check_segment_rights(c);
    check_tr_and_ldtr_rights(c);
}

/* 27.3.1.3 */
void check_guest_descriptor_tables(struct checker *c)
{
    c->section = &SEC_GUEST_TABLES;
    expect_canonical(c, VMCS_GUEST_GDTR_BASE);
    expect_canonical(c, VMCS_GUEST_IDTR_BASE);
    expect(c, (rd(c, VMCS_GUEST_GDTR_LIMIT) >> 16) == 0, VMCS_GUEST_GDTR_LIMIT,
           "GDTR limit bits 31:16 must be 0");
    expect(c, (rd(c, VMCS_GUEST_IDTR_LIMIT) >> 16) == 0, VMCS_GUEST_IDTR_LIMIT,
           "IDTR limit bits 31:16 must be 0");
}

/* 27.3.1.4 (SSP is not checked: hvlab's guests do not use CET). */
void check_guest_rip_rflags(struct checker *c)
{
    uint64_t rflags = c->guest_rflags;
    c->section = &SEC_GUEST_RIP_RFLAGS;
    if (c->ia32e_guest && c->seg[CS].l)
        expect_canonical(c, VMCS_GUEST_RIP);
    else
        expectf(c, (rd(c, VMCS_GUEST_RIP) >> 32) == 0, VMCS_GUEST_RIP,
                "Outside 64-bit mode, RIP bits 63:32 must be 0",
                "IA-32e mode guest=%u CS.L=%u", c->ia32e_guest, c->seg[CS].l);
    expectf(c, (rflags & RFLAGS_RESERVED) == 0, VMCS_GUEST_RFLAGS,
            "RFLAGS bits 63:22, 15, 5 and 3 are reserved and must be 0",
            "reserved bits set: 0x%llx", rflags & RFLAGS_RESERVED);
    expect(c, rflags & RFLAGS_FIXED1, VMCS_GUEST_RFLAGS, "RFLAGS bit 1 is reserved and must be 1");
    expectf(c, !(rflags & RFLAGS_VM) || (!c->ia32e_guest && (c->guest_cr0 & CR0_PE)), VMCS_GUEST_RFLAGS,
            "RFLAGS.VM must be 0 for an IA-32e mode guest or with CR0.PE=0",
            "IA-32e mode guest=%u CR0.PE=%u", c->ia32e_guest, (unsigned)(c->guest_cr0 & CR0_PE));
    if (injecting(c, EVENT_EXTERNAL_INTERRUPT))
        expectf(c, rflags & RFLAGS_IF, VMCS_GUEST_RFLAGS,
                "RFLAGS.IF must be 1 when an external interrupt is injected",
                "VM_ENTRY_INTERRUPTION_INFO=0x%08x", c->injection);
}

/* May an event of this type and vector be injected into this activity state? */
static bool injection_allowed(unsigned activity, unsigned type, unsigned vector)
{
    switch (activity) {
    case ACTIVITY_ACTIVE:
        return true;
    case ACTIVITY_HLT:
        return type == EVENT_EXTERNAL_INTERRUPT || type == EVENT_NMI || (type == EVENT_OTHER && vector == 0) ||
               (type == EVENT_HARDWARE_EXCEPTION && (vector == 1 || vector == 18));
    case ACTIVITY_SHUTDOWN:
        return type == EVENT_NMI || (type == EVENT_HARDWARE_EXCEPTION && vector == 18);
    default:   /* wait-for-SIPI: nothing */
        return false;
    }
}

static void check_activity_state(struct checker *c, unsigned activity, uint32_t blocking)
{
    uint64_t misc = c->caps->misc;
    /* IA32_VMX_MISC bits 6, 7, 8: HLT, shutdown, wait-for-SIPI supported. */
    bool supported = activity == ACTIVITY_ACTIVE || (activity <= 3 && (misc & (1ull << (5 + activity))));
    expectf(c, supported, VMCS_GUEST_ACTIVITY_STATE,
            "The activity state must be 0-3 and one the CPU supports (IA32_VMX_MISC bits 8:6)",
            "IA32_VMX_MISC=0x%lx", misc);
    if (activity == ACTIVITY_HLT)
        expectf(c, c->seg[SS].dpl == 0, VMCS_GUEST_ACTIVITY_STATE,
                "The HLT activity state needs SS.DPL=0", "SS.DPL=%u", c->seg[SS].dpl);
    expectf(c, activity == ACTIVITY_ACTIVE || !(blocking & (BLOCKING_STI | BLOCKING_MOV_SS)),
            VMCS_GUEST_ACTIVITY_STATE,
            "Blocking by STI or by MOV SS requires the active state (0)",
            "interruptibility=0x%x", blocking);
    struct event_info e = event_info_decode(c->injection);
    if (e.valid && supported)
        expectf(c, injection_allowed(activity, e.type, e.vector), VMCS_GUEST_ACTIVITY_STATE,
                "An injected event must be one this activity state accepts (HLT: external interrupt, NMI, #DB, #MC, MTF; shutdown: NMI, #MC; wait-for-SIPI: none)",
                "type=%u vector=%u", e.type, e.vector);
}

static void check_interruptibility_state(struct checker *c, uint32_t blocking)
{
    const unsigned field = VMCS_GUEST_INTERRUPTIBILITY;
    expect(c, (blocking >> 5) == 0, field, "Interruptibility-state bits 31:5 are reserved and must be 0");
    expect(c, (blocking & (BLOCKING_STI | BLOCKING_MOV_SS)) != (BLOCKING_STI | BLOCKING_MOV_SS), field,
           "Blocking by STI (bit 0) and blocking by MOV SS (bit 1) cannot both be 1");
    expectf(c, !(blocking & BLOCKING_STI) || (c->guest_rflags & RFLAGS_IF), field,
            "Blocking by STI (bit 0) needs RFLAGS.IF=1", "RFLAGS=0x%lx", c->guest_rflags);
    if (injecting(c, EVENT_EXTERNAL_INTERRUPT))
        expect(c, !(blocking & (BLOCKING_STI | BLOCKING_MOV_SS)), field,
               "Injecting an external interrupt needs blocking by STI and by MOV SS (bits 1:0) clear");
    if (injecting(c, EVENT_NMI))
        expect(c, !(blocking & BLOCKING_MOV_SS), field, "Injecting an NMI needs blocking by MOV SS (bit 1) clear");
    expect(c, !(blocking & BLOCKING_SMI), field, "Blocking by SMI (bit 2) must be 0 outside SMM");
    if (injecting(c, EVENT_NMI) && (c->pin & PIN_VIRTUAL_NMIS))
        expect(c, !(blocking & BLOCKING_NMI), field,
               "Injecting an NMI with 'virtual NMIs' needs blocking by NMI (bit 3) clear");
}

static void check_pending_debug_exceptions(struct checker *c, unsigned activity, uint32_t blocking)
{
    uint64_t pending = rd(c, VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS);
    expectf(c, (pending & PENDING_DBG_RESERVED) == 0, VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS,
            "Pending-debug-exceptions bits 63:17, 15, 13 and 11:4 are reserved and must be 0",
            "reserved bits set: 0x%llx", pending & PENDING_DBG_RESERVED);
    if (!(blocking & (BLOCKING_STI | BLOCKING_MOV_SS)) && activity != ACTIVITY_HLT)
        return;
    bool bs = pending & PENDING_BS, tf = c->guest_rflags & RFLAGS_TF;
    bool btf = rd(c, VMCS_GUEST_IA32_DEBUGCTL) & DEBUGCTL_BTF;
    expectf(c, bs == (tf && !btf), VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS,
            "With STI or MOV-SS blocking or in HLT, BS (bit 14) must be 1 exactly when RFLAGS.TF=1 and IA32_DEBUGCTL.BTF=0",
            "BS=%u TF=%u BTF=%u", bs, tf, btf);
}

/* hvlab links no VMCS (no VMCS shadowing): the pointer must be all ones. A
 * pointer to a real VMCS would also need that VMCS's revision identifier,
 * which only the CPU can read. */
static void check_vmcs_link_pointer(struct checker *c)
{
    uint64_t link = rd(c, VMCS_VMCS_LINK_POINTER);
    const char *why = (link & 0xfff) ? "not 4-KByte aligned"
                    : !fits_physical(c, link) ? "beyond the physical-address width"
                    : "hvlab links no VMCS";
    expectf(c, link == ~0ull, VMCS_VMCS_LINK_POINTER,
            "The VMCS link pointer must be FFFFFFFF_FFFFFFFFH unless it points to a VMCS",
            "%s", why);
}

/* 27.3.1.5 */
void check_guest_non_register_state(struct checker *c)
{
    unsigned activity = (unsigned)rd(c, VMCS_GUEST_ACTIVITY_STATE);
    uint32_t blocking = (uint32_t)rd(c, VMCS_GUEST_INTERRUPTIBILITY);
    c->section = &SEC_GUEST_NON_REGISTER;
    check_activity_state(c, activity, blocking);
    check_interruptibility_state(c, blocking);
    check_pending_debug_exceptions(c, activity, blocking);
    check_vmcs_link_pointer(c);
}

/* 27.3.1.6: with EPT and PAE paging outside IA-32e mode, VM entry loads the
 * four PDPTEs from these fields (without EPT it reads them from guest memory,
 * which this checker cannot). */
void check_guest_pdptes(struct checker *c)
{
    static const unsigned pdptes[] = { VMCS_GUEST_PDPTE0, VMCS_GUEST_PDPTE1, VMCS_GUEST_PDPTE2, VMCS_GUEST_PDPTE3 };
    bool pae_paging = (c->guest_cr0 & CR0_PG) && (c->guest_cr4 & CR4_PAE) && !c->ia32e_guest;
    if (!pae_paging || !(c->proc2 & PROC2_ENABLE_EPT))
        return;
    c->section = &SEC_GUEST_PDPTES;
    for (unsigned i = 0; i < 4; i++) {
        uint64_t e = rd(c, pdptes[i]);
        expect(c, !(e & 1) || ((e & 0x1e6) == 0 && fits_physical(c, e)), pdptes[i],
               "A present PDPTE must have bits 2:1, 8:5 and the bits beyond the physical-address width clear");
    }
}
