/*
 * vm_mmio.c: the device pages' accesses, decoded (see vm_mmio.h).
 */
#include "exit/vm_mmio.h"
#include "exit/vm_devices.h"
#include "exit/vm_ioapic.h"
#include "exit/vm_lapic.h"
#include "fmt.h"
#include "guest/guest_linear.h"
#include "guest/guest_paging.h"
#include "guest/vm.h"
#include "poweroff.h"
#include "vmx/exit_info.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "x86/mmio_access.h"
#include "x86/x86.h"

#define PFEC_I 0x10u                    /* an instruction fetch (SDM 4.7) */

/* One device's registers: a 32-bit read or write at an offset in its page. */
struct mmio_device {
    const char *name;
    uint32_t (*read)(struct vm_devices *d, uint32_t offset);
    void (*write)(struct vm_devices *d, uint32_t offset, uint32_t value);
};

static const struct mmio_device local_apic = { "local APIC", vm_lapic_read, vm_lapic_write };
static const struct mmio_device io_apic = { "I/O APIC", vm_ioapic_read, vm_ioapic_write };

/* The guest-physical address of a shadow-paging #PF at linear va, if the
 * guest's own tables map it there and allow the access (gpt_walk sets the
 * accessed and dirty flags, as the CPU's walk would, SDM 4.8); else the
 * lab 2 handler's to fill or reflect. */
static bool shadow_fault_gpa(struct vcpu *v, uint32_t va, uint32_t error, uint64_t *gpa)
{
    const struct shadow *s = v->guest->shadow;
    if (!s->paging) {
        *gpa = va;
        return true;
    }
    struct gpt_walk w;
    guest_cpu_walk(v->guest, va, error & (PFEC_W | PFEC_U), &w);
    *gpa = w.gpa;
    return w.result == GPT_OK;
}

/* The exit's guest-physical address and access, if it is a data access
 * that may be a device's (an instruction fetch, an access of the CPU's own
 * page walk or event delivery never is: the guest is stopped for those as
 * for any access outside its RAM). */
static bool data_access(struct vcpu *v, uint64_t *gpa, bool *write)
{
    unsigned reason = v->exit_reason & 0xFFFF;
    if (reason != EXIT_EPT_VIOLATION && reason != EXIT_EXCEPTION_NMI)
        return false;                   /* most exits: no VMREAD spent here */
    if (event_info_decode((uint32_t)vmcs_read(VMCS_IDT_VECTORING_INFO)).valid)
        return false;
    if (reason == EXIT_EPT_VIOLATION) {
        struct ept_qual e = ept_qual_decode(v->exit_qualification);   /* SDM 28.2.1, table 28-7 */
        if (e.fetch || !e.linear_valid || !e.translation)
            return false;
        *gpa = vmcs_read(VMCS_GUEST_PHYSICAL_ADDRESS);
        *write = e.write;
        return true;
    }
    if (reason != EXIT_EXCEPTION_NMI || !v->guest->shadow_paging)
        return false;
    struct event_info x = event_info_decode((uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_INFO));
    if (x.type != EVENT_HARDWARE_EXCEPTION || x.vector != VEC_PF)
        return false;
    uint32_t error = (uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_ERROR_CODE);
    /* A fetch: the error code says so only with NX or SMEP on (SDM 4.7),
     * so a fault on the page of the instruction itself is taken for one. */
    uint32_t va = (uint32_t)v->exit_qualification;
    uint32_t rip_linear = (uint32_t)(vmcs_read(VMCS_GUEST_CS_BASE) + v->rip);
    if ((error & PFEC_I) || (va & ~0xFFFu) == (rip_linear & ~0xFFFu))
        return false;
    *write = error & PFEC_W;
    return shadow_fault_gpa(v, va, error, gpa);
}

/* The instruction that made the access, from the bytes the CPU ran (16-,
 * 32- or 64-bit code): under shadow paging those the shadow maps
 * (guest_linear.h). The exit gives the guest-physical address, so the
 * operand's own address (ModR/M, SIB, RIP-relative) need not be computed:
 * the CPU did, and raised the #GP of a non-canonical one (SDM vol. 1,
 * 3.3.7.1) before any access could exit. */
static bool fetch_access(const struct vcpu *v, struct x86_insn *in, struct mmio_access *a,
                         uint8_t *code, size_t *got)
{
    uint64_t linear;
    enum x86_mode mode;
    *got = guest_instruction_fetch(v, code, &linear, &mode);
    return *got && x86_decode(code, *got, mode, in) == X86_DECODE_OK && mmio_access_of(in, a);
}

static void refuse_access(struct vcpu *v, const char *device, uint64_t gpa, const uint8_t *code, size_t got,
                          const char *why)
{
    char bytes[3 * X86_MAX_LENGTH + 1] = "";
    for (size_t i = 0; i < got && i < X86_MAX_LENGTH; i++)
        snprintf(bytes + 3 * i, 4, "%02x ", code[i]);
    guest_stop(v, POWEROFF_GUEST_STOPPED, "its %s at guest-physical 0x%lx: %s (instruction bytes "
               "%sat rip 0x%lx); hvlab emulates 32-bit MOV loads and stores of its registers, as "
               "the SDM asks (11.4.1)", device, gpa, why, bytes, v->rip);
}

/* The device whose page holds gpa, or NULL. */
static const struct mmio_device *device_at(const struct vm_devices *d, uint64_t gpa)
{
    uint64_t page = gpa & ~0xFFFull;
    if (page == vm_lapic_page(d))
        return &local_apic;
    if (page == vm_ioapic_page(d))
        return &io_apic;
    return NULL;
}

bool vm_mmio_exit(struct vcpu *v)
{
    struct vm_devices *d = v->vm->devices;
    uint64_t gpa;
    bool write;
    if (!data_access(v, &gpa, &write))
        return false;
    const struct mmio_device *dev = device_at(d, gpa);
    if (!dev)
        return false;
    uint8_t code[X86_MAX_LENGTH];
    size_t got;
    struct x86_insn in;
    struct mmio_access a;
    if (!fetch_access(v, &in, &a, code, &got)) {
        refuse_access(v, dev->name, gpa, code, got, "an instruction that is not a MOV to or from memory");
        return true;
    }
    if (a.write != write || a.size != 4 || (gpa & 3)) {
        /* A 64-bit access (REX.W) to a 32-bit register has no result the
         * SDM defines (11.4.1: "32-bit loads and stores"): stopped, as a
         * narrower one is, rather than given a guessed upper half. */
        refuse_access(v, dev->name, gpa, code, in.length, a.size < 4 ? "an access narrower than 32 bits"
                      : a.size > 4 ? "a 64-bit access (REX.W)" : (gpa & 3) ? "a misaligned access"
                      : "the instruction's direction is not the access's");
        return true;
    }
    uint32_t offset = (uint32_t)(gpa & 0xFFF);
    /* Registers 0-15 (REX.R: R8D-R15D). A load of a 32-bit register
     * zero-extends it to 64 bits in 64-bit mode (SDM vol. 1, 3.4.1.1);
     * outside it the upper half is undefined, and left zero as well. */
    if (write)
        dev->write(d, offset, a.immediate ? (uint32_t)a.value : (uint32_t)guest_gpr(v, a.reg));
    else
        set_guest_gpr(v, a.reg, dev->read(d, offset));
    v->instruction_length = in.length;                  /* neither exit gives it */
    advance_rip(v);
    return true;
}
