/*
 * vm_lapic.c: a VM's local APIC under devices=virtual (see vm_lapic.h).
 */
#include "exit/vm_lapic.h"
#include "exit/vm_devices.h"
#include "exit/vm_ioapic.h"
#include "guest/pc_firmware.h"
#include "guest/vm.h"
#include "printf.h"
#include "vmx/exit_info.h"
#include "vmx/inject.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "x86/x86.h"

/* The guest's firmware tables (MP, ACPI) describe this local APIC. */
_Static_assert(PC_LAPIC_BASE == LAPIC_DEFAULT_BASE, "the tables' local APIC address");
_Static_assert(PC_LAPIC_VERSION == (LAPIC_VERSION_VALUE & 0xFF), "the tables' local APIC version");

#define MSR_IA32_APIC_BASE    0x01B
#define MSR_IA32_TSC_DEADLINE 0x6E0
#define CPUID_1_EDX_APIC      (1u << 9)
#define CPUID_1_ECX_X2APIC    (1u << 21)
#define LVT_EXTINT            (7u << 8)     /* delivery mode 111 (11.5.1, figure 11-8) */
#define LVT_NMI               (4u << 8)
#define LVT_DELIVERY_MODE(e)  ((e) & (7u << 8))
#define LAPIC_BUS_HZ          100000000ull  /* the timer's input clock (see vm_lapic_start) */

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

bool vm_isa_irq_reaches_cpu(const struct vm_devices *d, unsigned irq)
{
    bool through_pics = !pic_irq_masked(&d->pic, irq) &&
                        (irq < 8 || !pic_irq_masked(&d->pic, PIC_CASCADE_IR)) && vm_lapic_passes_extint(d);
    return through_pics || vm_ioapic_isa_irq_open(d, irq);
}

uint64_t vm_lapic_advance_due(struct vm_devices *d, uint64_t tsc)
{
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

/* ---- The register page (vm_mmio.c decodes the accesses) ---- */

uint64_t vm_lapic_page(const struct vm_devices *d)
{
    if (!(d->lapic.apic_base & LAPIC_BASE_ENABLE))
        return UINT64_MAX;              /* no APIC: nothing answers there */
    return d->lapic.apic_base & ~0xFFFull & ((1ull << 52) - 1);
}

uint32_t vm_lapic_read(struct vm_devices *d, uint32_t offset)
{
    d->lapic_accesses++;
    return lapic_read(&d->lapic, offset, guest_time(d, rdtsc()));
}

void vm_lapic_write(struct vm_devices *d, uint32_t offset, uint32_t value)
{
    d->lapic_accesses++;
    int level_vector = lapic_write(&d->lapic, offset, value, guest_time(d, rdtsc()));
    if (level_vector >= 0)              /* a level-triggered interrupt's EOI goes back (11.8.5) */
        vm_ioapic_eoi(d, (uint8_t)level_vector);
    d->lapic_event_tsc = 0;             /* the timer may have changed */
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

bool vm_lapic_msr_exit(struct vcpu *v)
{
    switch (v->exit_reason & 0xFFFF) {
    case EXIT_RDMSR: return vm_lapic_msr(v, false);
    case EXIT_WRMSR: return vm_lapic_msr(v, true);
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
