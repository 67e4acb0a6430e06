/*
 * depriv_patch.c: scan-and-patch of a deprivileged guest kernel (64-bit,
 * VMX root; lab 3, cpu=deprivileged patch=1).
 *
 * The sensitive instructions that do not trap at ring 1 (sensitive.h) are
 * made to: before the guest runs, the hypervisor scans the code sections of
 * its kernel (guest_scan's scan) and overwrites the first byte of each with
 * INT3 (0xCC), keeping the original. Every INT3 exits (the exception bitmap
 * is all ones); one at a patched address is emulated here with the answer
 * the instruction would give at ring 0, and the guest goes on after the
 * original instruction: "the VM monitor substitutes the instruction with
 * another set of instructions and emulates the action of the original
 * code" (the lecture, on VMware). A patched INT3 costs an exit; the same
 * instruction unpatched costs nothing but gives a wrong answer.
 */
#include "depriv/depriv.h"
#include "x86/descriptor.h"
#include "boot/boot_info.h"
#include "elf_code.h"
#include "guest/vcpu.h"
#include "guest/guest.h"
#include "guest/guest_linear.h"
#include "mem/memory.h"
#include "printf.h"
#include "x86/sensitive.h"
#include "string.h"
#include "guest/vm.h"
#include "vmx/vmcs.h"
#include "x86/x86.h"

#define PATCHES_MAX 512
#define INT3 0xCC

struct patch {
    uint32_t linear;          /* where the kernel runs it (its link address) */
    uint32_t physical;        /* where it is loaded (before paging, the same code) */
    enum sensitive_kind kind;
    struct x86_insn in;
};

/* A patch as a debugger sees it (depriv_patch_debug_read, _written): the
 * instruction's bytes as the kernel's image has them; the guest's byte
 * under the INT3 (original[0], or what a debugger wrote there: its own
 * INT3); and whether the guest's bytes are still the instruction patched. */
struct patch_view {
    uint8_t original[X86_MAX_LENGTH];
    uint8_t first;
    bool disarmed;            /* they are not: no INT3 of ours there, nothing emulated */
};

/* A VM's patches: its kernel's code, in its memory (vm->patches). */
struct depriv_patches {
    struct patch list[PATCHES_MAX];
    struct patch_view view[PATCHES_MAX];   /* list[i]'s */
    unsigned count;
    unsigned kinds[SENSITIVE_KINDS];   /* how many of each kind */
};

struct section_ctx {
    struct guest *guest;
    struct depriv_patches *patches;
    uint64_t address, physical;
};

/* LAB 3 BEGIN: patch one sensitive instruction into INT3 */
/* Make the instruction at address (in this section) an INT3, and remember
 * it: its address, linear and physical, its kind and its parts. */
static void patch_one(void *ctx, uint32_t address, enum sensitive_kind kind, const struct x86_insn *in)
{
    struct section_ctx *c = ctx;
    struct depriv_patches *p = c->patches;
    uint32_t physical = (uint32_t)(c->physical + (address - c->address));
    uint8_t *code = guest_ptr(c->guest, physical, in->length);
    if (!code || p->count == PATCHES_MAX)
        return;
    p->list[p->count++] = (struct patch){ address, physical, kind, *in };
    p->kinds[kind]++;
    code[0] = INT3;
}
/* LAB 3 END */

static void patch_section(void *ctx, uint64_t address, const uint8_t *bytes, uint64_t size,
                          uint64_t physical)
{
    struct vm *vm = ctx;
    struct section_ctx c = { &vm->guest, vm->patches, address, physical };
    struct sensitive_scan scan = { 0 };
    unsigned before = vm->patches->count;
    if (physical)
        sensitive_scan_code(bytes, size, (uint32_t)address, &scan, patch_one, &c);
    for (unsigned i = before; i < vm->patches->count; i++) {   /* the scanner decoded them in bytes */
        const struct patch *p = &vm->patches->list[i];
        struct patch_view *view = &vm->patches->view[i];
        memcpy(view->original, bytes + (p->linear - address), p->in.length);
        view->first = view->original[0];
    }
}

void depriv_patch_kernel(struct vcpu *v, const struct boot_module *kernel)
{
    struct vm *vm = v->vm;
    uint64_t size = kernel->end - kernel->start;
    const char *tag = v->guest->tag;
    struct depriv_patches *p = kmalloc(sizeof(*p));
    memset(p, 0, sizeof(*p));
    vm->patches = p;
    v->depriv.breakpoint = depriv_patched_breakpoint;   /* its INT3s (depriv_exception) */
    if (elf_code_sections(phys_ptr(kernel->start, size), size, patch_section, vm) < 0) {
        printf("hv: %sdeprivileged: the guest kernel has no ELF section headers: nothing "
               "patched\n", tag);
        return;
    }
    v->depriv.iret_patched = p->kinds[SENSITIVE_IRET] > 0;
    printf("hv: %sdeprivileged: patched %u sensitive instructions of the guest kernel into INT3:",
           tag, p->count);
    for (int k = SENSITIVE_NONE + 1; k < SENSITIVE_KINDS; k++)
        printf(" %s %u%s", sensitive_kind_name((enum sensitive_kind)k), p->kinds[k],
               k + 1 < SENSITIVE_KINDS ? "," : "\n");
}

/* The patch an INT3 is, found by where the CPU ran it: the guest-physical
 * byte the shadow maps its linear address to (guest_linear.h). A linear
 * address alone would take ring 3's own INT3 at a patched kernel address
 * (another page mapped there) for the kernel's. */
static const struct patch *find_patch(struct vcpu *v, uint32_t linear)
{
    const struct depriv_patches *p = v->vm->patches;
    uint64_t gpa;
    if (!p || !guest_shadow_gpa(v->guest, linear, &gpa))
        return NULL;
    for (unsigned i = 0; i < p->count; i++)
        if (p->list[i].physical == gpa && !p->view[i].disarmed)
            return &p->list[i];
    return NULL;
}

/* ---- a debugger's view (depriv_view.c): the guest's own bytes ----
 * The INT3s are the hypervisor's, not the guest's: a debugger reads the
 * instruction the kernel has there, and a write keeps the patch coherent.
 * Its own INT3 (a breakpoint on a patched instruction) takes the INT3's
 * place, so that the #BP there is the debugger's, and writing the original
 * byte back arms the patch again; any other change of the instruction's
 * bytes disarms it (the INT3 goes, the guest's bytes run as they are). */

void depriv_patch_debug_read(const struct vm *vm, uint64_t gpa, uint8_t *buf, size_t len)
{
    const struct depriv_patches *p = vm->patches;
    for (unsigned i = 0; p && i < p->count; i++)
        if (p->list[i].physical >= gpa && p->list[i].physical - gpa < len)
            buf[p->list[i].physical - gpa] = p->view[i].first;
}

void depriv_patch_show(const struct vm *vm)
{
    const struct depriv_patches *p = vm->patches;
    unsigned disarmed = 0;
    for (unsigned i = 0; p && i < p->count; i++)
        disarmed += p->view[i].disarmed;
    if (p)
        printf("depriv: patch=1: %u instructions patched, %u disarmed\n", p->count, disarmed);
}

void depriv_patch_debug_written(struct vm *vm, uint64_t gpa, const uint8_t *buf, size_t len)
{
    struct depriv_patches *p = vm->patches;
    for (unsigned i = 0; p && i < p->count; i++) {
        const struct patch *q = &p->list[i];
        struct patch_view *view = &p->view[i];
        if (q->physical + q->in.length <= gpa || q->physical >= gpa + len)
            continue;
        uint8_t *code = guest_ptr(&vm->guest, q->physical, q->in.length);
        if (!code)
            continue;
        if (q->physical >= gpa)
            view->first = buf[q->physical - gpa];
        view->disarmed = view->first != view->original[0] ||
                         memcmp(code + 1, view->original + 1, q->in.length - 1u) != 0;
        code[0] = view->disarmed ? view->first : INT3;
    }
}

/* ---- the guest's stack and operands ----
 * Each reads or writes as the CPU would at the guest's privilege level
 * (depriv_operand_read), and says false once the exception it raised (a
 * #PF) is delivered. */

static bool push(struct vcpu *v, uint32_t value, unsigned size)
{
    uint32_t esp = (uint32_t)vmcs_read(VMCS_GUEST_RSP) - size;
    if (!depriv_operand_write(v, (uint32_t)vmcs_read(VMCS_GUEST_SS_BASE) + esp, &value, size))
        return false;
    vmcs_write(VMCS_GUEST_RSP, esp);
    return true;
}

static bool pop(struct vcpu *v, uint32_t *value, unsigned size)
{
    uint32_t esp = (uint32_t)vmcs_read(VMCS_GUEST_RSP);
    *value = 0;
    if (!depriv_operand_read(v, (uint32_t)vmcs_read(VMCS_GUEST_SS_BASE) + esp, value, size))
        return false;
    vmcs_write(VMCS_GUEST_RSP, esp + size);
    return true;
}

/* Write a result to the r/m operand: a register (size bytes, a 32-bit
 * write zero-extends), or memory. */
static bool write_rm(struct vcpu *v, const struct x86_insn *in, uint32_t value, unsigned size)
{
    if (in->mod == 3) {
        uint64_t old = guest_gpr(v, in->rm);
        uint64_t mask = size == 4 ? 0xFFFFFFFFull : 0xFFFFull;
        set_guest_gpr(v, in->rm, size == 4 ? value : (old & ~mask) | (value & mask));
        return true;
    }
    uint32_t ea;
    return depriv_effective_address(v, in, &ea) && depriv_operand_write(v, ea, &value, size);
}

static uint16_t read_rm16(struct vcpu *v, const struct x86_insn *in, bool *ok)
{
    uint16_t value = 0;
    uint32_t ea;
    *ok = true;
    if (in->mod == 3)
        return (uint16_t)guest_gpr(v, in->rm);
    *ok = depriv_effective_address(v, in, &ea) && depriv_operand_read(v, ea, &value, 2);
    return value;
}

static const unsigned segment_field[6] = {
    VMCS_GUEST_ES_SELECTOR, VMCS_GUEST_CS_SELECTOR, VMCS_GUEST_SS_SELECTOR,
    VMCS_GUEST_DS_SELECTOR, VMCS_GUEST_FS_SELECTOR, VMCS_GUEST_GS_SELECTOR,
};

/* ---- the emulations ---- */

/* LAB 3 BEGIN: emulate the patched instructions */
/* PUSHF and POPF with the guest's own IF, and IOPL 0 (SDM vol. 2B). */
static bool emulate_flags(struct vcpu *v, const struct x86_insn *in)
{
    unsigned size = in->operand_size;
    uint32_t real = (uint32_t)vmcs_read(VMCS_GUEST_RFLAGS);
    if (in->opcode == 0x9C) {
        uint32_t image = (real & ~(uint32_t)(RFLAGS_IF | RFLAGS_RF | RFLAGS_VM)) |
                         (v->depriv.vif ? RFLAGS_IF : 0);
        return push(v, image, size);
    }
    uint32_t popped;
    if (!pop(v, &popped, size))
        return false;
    uint32_t changeable = (size == 4 ? 0x3F7FD5u : 0x7FD5u) & ~(uint32_t)(3u << 12 | RFLAGS_IF | RFLAGS_VM);
    vmcs_write(VMCS_GUEST_RFLAGS, (real & ~changeable) | (popped & changeable));
    depriv_set_vif(v, popped & RFLAGS_IF);
    return true;
}

/* LAB 3 END */

/* The guest's own descriptor for a selector, for LAR, LSL, VERR, VERW. */
static bool guest_descriptor(struct vcpu *v, uint16_t selector, uint64_t *d)
{
    const struct depriv *dp = &v->depriv;
    if (!(selector >> 3) || (selector & 4) || (selector | 7u) > dp->gdt_limit)
        return false;
    return depriv_read(v, dp->gdt_base + (selector & ~7u), d, 8);
}

bool depriv_emulate_probe(struct vcpu *v, const struct x86_insn *in)
{
    bool ok;
    uint16_t selector = read_rm16(v, in, &ok);
    if (!ok)
        return false;
    uint64_t d = 0;
    bool found = guest_descriptor(v, selector, &d);
    unsigned dpl = (d >> 45) & 3, type = (d >> 40) & 0xF, cpl = depriv_cpl(), rpl = selector & 3;
    bool system = !((d >> 44) & 1), code = type & 8, conforming = code && (type & 4);
    bool visible = found && (conforming || (dpl >= cpl && dpl >= rpl));
    bool pass;
    uint32_t result = 0;
    if (in->opcode == 0x02) {                   /* LAR: access rights, bits 23:8 */
        pass = visible && (!system || type == 1 || type == 2 || type == 3 || type == 9 || type == 11);
        result = (uint32_t)(d >> 32) & 0x00F0FF00u;
    } else if (in->opcode == 0x03) {            /* LSL: the limit, in bytes */
        pass = visible && (!system || type == 1 || type == 2 || type == 3 || type == 9 || type == 11);
        result = descriptor_limit(d);
    } else {                                    /* VERR (/4), VERW (/5) */
        bool readable = !system && (!code || (type & 2)), writable = !system && !code && (type & 2);
        pass = found && !system && (conforming || (dpl >= cpl && dpl >= rpl)) &&
               (in->reg == 4 ? readable : writable);
    }
    if (pass && in->opcode != 0x00)
        set_guest_gpr(v, in->reg, in->operand_size == 4 ? result
                      : (guest_gpr(v, in->reg) & ~0xFFFFull) | (result & 0xFFFF));
    uint64_t rflags = vmcs_read(VMCS_GUEST_RFLAGS) & ~(1ull << 6);
    vmcs_write(VMCS_GUEST_RFLAGS, rflags | (pass ? 1ull << 6 : 0));   /* ZF */
    return true;
}

/* LAB 3 BEGIN: emulate the patched instructions */
/* The original instruction of patch p, emulated as at ring 0; false if it
 * raised an exception (its memory operand faulted: the helpers delivered
 * it). */
static bool emulate(struct vcpu *v, const struct patch *p)
{
    const struct x86_insn *in = &p->in;
    uint32_t ea;
    switch (p->kind) {
    case SENSITIVE_PUSHF:
    case SENSITIVE_POPF:
        return emulate_flags(v, in);
    case SENSITIVE_SEGMENT_READ: {
        unsigned sreg = in->map ? (in->opcode == 0xA0 ? 4 : 5)      /* PUSH FS, GS */
                      : in->opcode == 0x8C ? in->reg : in->opcode >> 3;   /* MOV; PUSH ES..DS */
        if (sreg > 5)
            return false;
        uint32_t sel = depriv_guest_selector((uint16_t)vmcs_read(segment_field[sreg]));
        if (in->opcode == 0x8C)
            return write_rm(v, in, sel, in->mod == 3 ? in->operand_size : 2);
        return push(v, sel, in->operand_size);
    }
    case SENSITIVE_DESCRIPTOR_TABLE_READ:
        if (in->opcode == 0x01) {               /* SGDT, SIDT: the guest's own tables */
            const struct depriv *dp = &v->depriv;
            uint32_t base = in->reg ? dp->idt_base : dp->gdt_base;
            uint16_t limit = (uint16_t)(in->reg ? dp->idt_limit : dp->gdt_limit);
            uint8_t m[6] = { (uint8_t)limit, (uint8_t)(limit >> 8), (uint8_t)base,
                             (uint8_t)(base >> 8), (uint8_t)(base >> 16), (uint8_t)(base >> 24) };
            return depriv_effective_address(v, in, &ea) && depriv_operand_write(v, ea, m, 6);
        }
        /* SLDT (the guest has no LDT: 0), STR (its task register). */
        return write_rm(v, in, in->reg ? v->depriv.tr : 0, in->mod == 3 ? in->operand_size : 2);
    case SENSITIVE_SEGMENT_PROBE:
        return depriv_emulate_probe(v, in);
    default:
        return false;
    }
}

/* LAB 3 END */

/* ---- ring 3 at a patched instruction ----
 * A user program runs the kernel's patched code where the kernel's pages
 * are in its reach (U set), and it must get what the CPU gives ring 3, not
 * the kernel's answer. Its memory operands are checked with user rights
 * (the helpers above); PUSHF, the segment reads, SGDT/SIDT/SLDT/STR (no
 * UMIP) and LAR/LSL/VERR/VERW (at the guest's CPL, emulate_probe) behave at
 * ring 3 as at ring 0; POPF and IRET do not, and are emulated here. */

/* POPF at CPL 3 > IOPL: IF, IOPL, VM, VIF and VIP stay as they are (SDM
 * vol. 2B, POPF, protected mode). */
static bool user_popf(struct vcpu *v, const struct x86_insn *in)
{
    unsigned size = in->operand_size;
    uint32_t real = (uint32_t)vmcs_read(VMCS_GUEST_RFLAGS), popped;
    if (!pop(v, &popped, size))
        return false;
    uint32_t kept = 3u << 12 | RFLAGS_IF | RFLAGS_VM | 3u << 19;
    uint32_t changeable = (size == 4 ? 0x3F7FD5u : 0x7FD5u) & ~kept;
    vmcs_write(VMCS_GUEST_RFLAGS, (real & ~changeable) | (popped & changeable));
    return true;
}

/* IRET at CPL 3 (SDM vol. 2A, IRET, protected mode): a null CS is #GP(0),
 * a CS whose RPL is below the CPL #GP(selector); otherwise a return to
 * ring 3 pops EIP, CS and EFLAGS only, and EFLAGS as POPF at CPL 3. A CS
 * the CPU would refuse (not a ring-3 code segment) is #GP(selector) too. */
static void user_iret(struct vcpu *v, const struct x86_insn *in)
{
    unsigned size = in->operand_size;
    uint32_t esp = (uint32_t)vmcs_read(VMCS_GUEST_RSP), top = (uint32_t)vmcs_read(VMCS_GUEST_SS_BASE) + esp;
    uint32_t frame[3] = { 0, 0, 0 };
    for (unsigned i = 0; i < 3; i++)
        if (!depriv_operand_read(v, top + i * size, &frame[i], size))
            return;
    uint16_t cs = (uint16_t)frame[1];
    if ((cs & 3) != 3 || !depriv_segment_ok(v, cs, true)) {
        depriv_deliver(v, VEC_GP, cs & ~3u, (uint32_t)v->rip, 0);
        return;
    }
    uint32_t real = (uint32_t)vmcs_read(VMCS_GUEST_RFLAGS);
    uint32_t changeable = (size == 4 ? 0x3F7FD5u : 0x7FD5u) & ~(3u << 12 | RFLAGS_IF | RFLAGS_VM | 3u << 19);
    depriv_load_segment(v, VMCS_GUEST_CS_SELECTOR, cs);
    vmcs_write(VMCS_GUEST_RSP, esp + 3 * size);
    vmcs_write(VMCS_GUEST_RIP, size == 2 ? frame[0] & 0xFFFF : frame[0]);
    vmcs_write(VMCS_GUEST_RFLAGS, (real & ~changeable) | (frame[2] & changeable));
    v->depriv.emulated++;
}

/* Whether EIP moves past the patched instruction: false if it raised an
 * exception, or set EIP itself (IRET). */
static bool emulate_at_cpl(struct vcpu *v, const struct patch *p)
{
    bool user = depriv_cpl() == 3;
    if (p->kind == SENSITIVE_IRET) {
        if (user)
            user_iret(v, &p->in);
        else
            depriv_iret(v);
        return false;
    }
    if (user && p->kind == SENSITIVE_POPF)
        return user_popf(v, &p->in);
    return emulate(v, p);
}

/* At an INT3 (a #BP exit, EIP at the INT3): if it is one of ours, the
 * instruction it replaced is emulated, and true; the guest's own INT3s
 * (its breakpoints, ring 3's) are delivered to its #BP handler. */
bool depriv_patched_breakpoint(struct vcpu *v)
{
    const struct patch *p = find_patch(v, (uint32_t)(vmcs_read(VMCS_GUEST_CS_BASE) + v->rip));
    if (!p)
        return false;
    v->instruction_length = p->in.length;
    if (emulate_at_cpl(v, p)) {
        advance_rip(v);
        v->depriv.emulated++;
    }
    return true;
}
