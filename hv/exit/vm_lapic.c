/*
 * vm_lapic.c: a VM's local APIC under devices=virtual (see vm_lapic.h).
 */
#include "exit/vm_lapic.h"
#include "exit/vm_devices.h"
#include "guest/guest_linear.h"
#include "guest/guest_paging.h"
#include "guest/vm.h"
#include "poweroff.h"
#include "fmt.h"
#include "printf.h"
#include "vmx/exit_info.h"
#include "vmx/inject.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "x86/mmio_access.h"
#include "x86/x86.h"

#define MSR_IA32_APIC_BASE    0x01B
#define MSR_IA32_TSC_DEADLINE 0x6E0
#define CPUID_1_EDX_APIC      (1u << 9)
#define CPUID_1_ECX_X2APIC    (1u << 21)
#define LVT_EXTINT            (7u << 8)     /* delivery mode 111 (11.5.1, figure 11-8) */
#define LVT_NMI               (4u << 8)
#define LVT_DELIVERY_MODE(e)  ((e) & (7u << 8))
#define LAPIC_BUS_HZ          100000000ull  /* the timer's input clock (see vm_lapic_start) */
#define PFEC_I                0x10u         /* an instruction fetch (SDM 4.7) */

static struct vm_devices *devices(const struct vcpu *v)
{
    return v->vm->devices;
}

/* The model's time: the guest's TSC (see vm_lapic.h). */
static uint64_t guest_time(const struct vm_devices *d, uint64_t tsc)
{
    return tsc + (uint64_t)d->tsc_offset;
}

void vm_lapic_start(struct vcpu *v, uint64_t tsc_hz)
{
    struct vm_devices *d = devices(v);
    /* The timer counts a bus clock (11.5.4): a Core's 100 MHz where the
     * TSC is faster, the TSC itself where it is slower (Bochs's few MHz). */
    uint64_t period = tsc_hz / LAPIC_BUS_HZ;
    struct lapic_config config = { .apic_id = 0, .bsp = true, .bus_period = period ? (uint32_t)period : 1,
                                   .maxphyaddr = 36 };
    uint64_t now = guest_time(d, rdtsc());
    lapic_reset(&d->lapic, &config, now);
    /* What SeaBIOS's smp_setup leaves: the APIC software-enabled, LINT0
     * the 8259A's virtual wire, LINT1 the NMI (level-triggered both). A
     * kernel that never touches the APIC gets its PIC's interrupts. */
    lapic_write(&d->lapic, LAPIC_REG_SVR, LAPIC_SVR_ENABLE | 0xFF, now);
    lapic_write(&d->lapic, LAPIC_REG_LVT_LINT0, LAPIC_LVT_LEVEL | LVT_EXTINT, now);
    lapic_write(&d->lapic, LAPIC_REG_LVT_LINT1, LAPIC_LVT_LEVEL | LVT_NMI, now);
    d->lapic_event_tsc = 0;
}

bool vm_lapic_passes_extint(const struct vm_devices *d)
{
    if (!(d->lapic.apic_base & LAPIC_BASE_ENABLE))
        return true;                    /* no APIC: the PIC's INTR is the CPU's (11.4.3) */
    uint32_t lint0 = d->lapic.lvt[LAPIC_LVT_LINT0];
    return !(lint0 & LAPIC_LVT_MASKED) && LVT_DELIVERY_MODE(lint0) == LVT_EXTINT;
}

uint64_t vm_lapic_advance(struct vm_devices *d, uint64_t tsc)
{
    if (tsc < d->lapic_event_tsc)
        return d->lapic_event_tsc;
    uint64_t now = guest_time(d, tsc);
    d->lapic_expiries += lapic_advance(&d->lapic, now);
    /* An expiry changes nothing while the timer is masked, or while its
     * vector waits in the IRR (one request per vector, 11.8.4): no exit
     * for it then. A write to the APIC, and the CPU's taking the vector,
     * look again (d->lapic_event_tsc = 0). Without this, a periodic count
     * of 1 would bring the guest back before every instruction. */
    uint32_t lvt = d->lapic.lvt[LAPIC_LVT_TIMER];
    uint64_t next = UINT64_MAX;
    if (!(lvt & LAPIC_LVT_MASKED) && !lapic_test_vector(d->lapic.vec.irr, lvt & 0xFF))
        next = lapic_next_event(&d->lapic, now);
    d->lapic_event_tsc = next == UINT64_MAX ? UINT64_MAX : next - (uint64_t)d->tsc_offset;
    return d->lapic_event_tsc;
}

/* ---- The register page ---- */

static uint64_t apic_page(const struct vm_devices *d)
{
    if (!(d->lapic.apic_base & LAPIC_BASE_ENABLE))
        return UINT64_MAX;              /* no APIC: nothing answers there */
    return d->lapic.apic_base & ~0xFFFull & ((1ull << 52) - 1);
}

/* The guest-physical address of a shadow-paging #PF at linear va, if the
 * guest's own tables map it there and allow the access (gpt_walk sets the
 * accessed and dirty flags, as the CPU's walk would, SDM 4.8); else the
 * lab 2 handler's to fill or reflect. */
static bool shadow_fault_gpa(struct vcpu *v, uint32_t va, uint32_t error, uint64_t *gpa)
{
    const struct shadow *s = &v->guest->shadow;
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
 * that may be the APIC's (an instruction fetch, an access of the CPU's own
 * page walk or event delivery never is: the guest is stopped for those as
 * for any access outside its RAM). */
static bool data_access(struct vcpu *v, uint64_t *gpa, bool *write)
{
    if (event_info_decode((uint32_t)vmcs_read(VMCS_IDT_VECTORING_INFO)).valid)
        return false;
    unsigned reason = v->exit_reason & 0xFFFF;
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

/* The instruction that made the access, from the bytes the CPU ran: under
 * shadow paging those the shadow maps (guest_linear.h). */
static bool fetch_access(const struct vcpu *v, struct x86_insn *in, struct mmio_access *a,
                         uint8_t *code, size_t *got)
{
    uint32_t linear;
    unsigned size;
    *got = guest_instruction_fetch(v, code, &linear, &size);
    return *got && x86_decode(code, *got, size, in) == X86_DECODE_OK && mmio_access_of(in, a);
}

static void refuse_access(struct vcpu *v, uint64_t gpa, const uint8_t *code, size_t got, const char *why)
{
    char bytes[3 * X86_MAX_LENGTH + 1] = "";
    for (size_t i = 0; i < got && i < X86_MAX_LENGTH; i++)
        snprintf(bytes + 3 * i, 4, "%02x ", code[i]);
    guest_stop(v, POWEROFF_GUEST_STOPPED, "its local APIC at guest-physical 0x%lx: %s (instruction "
               "bytes %sat eip 0x%lx); hvlab emulates 32-bit MOV loads and stores of the APIC's "
               "registers, as the SDM asks (11.4.1)", gpa, why, bytes, v->rip);
}

static bool emulate_register_access(struct vcpu *v, uint64_t gpa, bool write)
{
    struct vm_devices *d = devices(v);
    uint8_t code[X86_MAX_LENGTH];
    size_t got;
    struct x86_insn in;
    struct mmio_access a;
    if (!fetch_access(v, &in, &a, code, &got)) {
        refuse_access(v, gpa, code, got, "an instruction that is not a MOV to or from memory");
        return true;
    }
    if (a.write != write || a.size != 4 || (gpa & 3)) {
        refuse_access(v, gpa, code, got, a.size != 4 ? "an access narrower than 32 bits"
                      : (gpa & 3) ? "a misaligned access" : "the instruction's direction is not the access's");
        return true;
    }
    uint32_t offset = (uint32_t)(gpa & 0xFFF);
    uint64_t now = guest_time(d, rdtsc());
    if (write) {
        uint32_t value = a.immediate ? a.value : (uint32_t)guest_gpr(v, a.reg);
        lapic_write(&d->lapic, offset, value, now);     /* level EOIs: the I/O APIC's, once it exists */
        d->lapic_event_tsc = 0;                         /* the timer may have changed */
    } else {
        set_guest_gpr(v, a.reg, lapic_read(&d->lapic, offset, now));
    }
    d->lapic_accesses++;
    v->instruction_length = in.length;                  /* neither exit gives it */
    advance_rip(v);
    return true;
}

static bool register_page_exit(struct vcpu *v)
{
    uint64_t gpa;
    bool write;
    if (!data_access(v, &gpa, &write) || (gpa & ~0xFFFull) != apic_page(devices(v)))
        return false;
    return emulate_register_access(v, gpa, write);
}

/* ---- The MSRs (SDM 11.4.4; 11.5.4.1) ---- */

/* The APIC page may move anywhere but over the VM's RAM, where it would
 * hide the guest's own memory from itself. */
static bool base_outside_ram(void *ctx, uint64_t base)
{
    const struct vcpu *v = ctx;
    return (base & ~0xFFFull) >= v->guest->ram_size;
}

bool vm_lapic_msr(struct vcpu *v, bool write)
{
    struct vm_devices *d = devices(v);
    uint32_t msr = (uint32_t)v->regs.rcx;
    if (msr != MSR_IA32_APIC_BASE && msr != MSR_IA32_TSC_DEADLINE)
        return false;
    uint64_t now = guest_time(d, rdtsc());
    if (write) {
        uint64_t value = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
        if (msr == MSR_IA32_TSC_DEADLINE) {
            lapic_write_tsc_deadline(&d->lapic, value, now);
        } else {
            const char *why = lapic_write_apic_base(&d->lapic, value, now, base_outside_ram, v);
            if (why) {
                printf("hv: %sguest writes IA32_APIC_BASE 0x%lx: %s, #GP injected\n", v->guest->tag,
                       value, why);
                inject_exception(VEC_GP, 0);
                return true;
            }
        }
        d->lapic_event_tsc = 0;
    } else {
        uint64_t value = msr == MSR_IA32_TSC_DEADLINE ? lapic_read_tsc_deadline(&d->lapic, now)
                                                      : lapic_read_apic_base(&d->lapic);
        v->regs.rax = (uint32_t)value;
        v->regs.rdx = value >> 32;
    }
    advance_rip(v);
    return true;
}

bool vm_lapic_exit(struct vcpu *v)
{
    switch (v->exit_reason & 0xFFFF) {
    case EXIT_EPT_VIOLATION: case EXIT_EXCEPTION_NMI: return register_page_exit(v);
    case EXIT_RDMSR:                                  return vm_lapic_msr(v, false);
    case EXIT_WRMSR:                                  return vm_lapic_msr(v, true);
    }
    return false;
}

void vm_lapic_after_cpuid(struct vcpu *v, uint32_t leaf)
{
    if (leaf != 1)
        return;
    /* CPUID.1:EDX[9] reads 0 while IA32_APIC_BASE[11] is clear (11.4.3). */
    if (devices(v)->lapic.apic_base & LAPIC_BASE_ENABLE)
        v->regs.rdx |= CPUID_1_EDX_APIC;
    else
        v->regs.rdx &= ~(uint64_t)CPUID_1_EDX_APIC;
    v->regs.rcx &= ~(uint64_t)CPUID_1_ECX_X2APIC;
}
