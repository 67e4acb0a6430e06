/*
 * vm_devices_show.c: a VM's PIC, PIT, local APIC and I/O APIC as gdb's
 * `monitor pic`, `pit`, `lapic` and `ioapic` show them (64-bit, VMX root operation; the debugger's
 * view, which changes nothing: no latch, no INTA).
 */
#include "exit/vm_devices_show.h"
#include "exit/vm_devices.h"
#include "boot/options.h"
#include "guest/vm.h"
#include "printf.h"
#include "x86/x86.h"

static const struct vm_devices *devices_of(const struct vcpu *v)
{
    return v->vm->devices;
}

static bool say_if_machine(const struct vm_devices *d, const char *what)
{
    if (d->virtual_pit_pic)
        return false;
    printf("devices=machine: the guest programs the machine's own %s (hv/exit/exit_io.c); "
           "devices=virtual gives it the VM's model\n", what);
    return true;
}

static void show_chip(const char *name, const struct pic_chip_state *c)
{
    printf("pic %s: vectors 0x%02x-0x%02x, IRR 0x%02x ISR 0x%02x IMR 0x%02x, lines 0x%02x, lowest "
           "priority IR%u, %s%s%s%s%s\n", name, c->base, c->base + 7, c->irr, c->isr, c->imr,
           c->lines, c->lowest, c->step == PIC_INIT_DONE ? "initialised" : "in its initialisation",
           c->level_triggered ? ", level-triggered" : ", edge-triggered",
           c->auto_eoi ? ", automatic EOI" : "", c->special_mask ? ", special mask mode" : "",
           c->intr ? ", INT raised" : "");
}

void vm_devices_show_pic(const struct vcpu *v)
{
    const struct vm_devices *d = devices_of(v);
    if (say_if_machine(d, "8259A PICs"))
        return;
    struct pic_state s;
    pic_get_state(&d->pic, &s);
    show_chip("master", &s.chip[PIC_MASTER]);
    show_chip("slave ", &s.chip[PIC_SLAVE]);
    printf("irq0: %lu ticks (OUT0's rising edges), %lu raised, %lu owed, %lu merged or dropped "
           "(timer_mode=%s); %lu interrupts given the guest\n", d->irq0_edges, d->ticks_raised,
           d->pending_ticks, d->ticks_dropped, options_value_name("timer_mode", d->timer_mode),
           d->injected);
}

static const char *const access_names[] = { "latch", "LSB", "MSB", "LSB then MSB" };

void vm_devices_show_pit(const struct vcpu *v)
{
    struct vm_devices *d = v->vm->devices;
    if (say_if_machine(d, "8254 PIT"))
        return;
    uint64_t now = vm_clock_pit_at(&d->clock, rdtsc());
    for (unsigned i = 0; i < 3; i++) {
        struct pit_counter *c = &d->pit.counter[i];
        printf("pit counter %u: mode %u, %s%s, count register %u (%u clocks), counting element "
               "%u, OUT %u, gate %u\n", i, c->mode, access_names[c->rw & 3], c->bcd ? ", BCD" : "",
               c->cr, c->n, pit_counter_read_ce(c, now), pit_out(&d->pit, i, now), c->gate);
    }
    printf("pit: %lu clocks since the VM's time 0 (1193182 Hz); port 0x61 0x%02x\n", now,
           d->pit.port_b);
}

static const char *const lvt_names[LAPIC_LVT_COUNT] = { "CMCI", "timer", "thermal", "perf", "LINT0",
                                                        "LINT1", "error" };
static const char *const timer_mode_names[] = { "one-shot", "periodic", "TSC-deadline" };

/* The 256 bits of the ISR, IRR or TMR as the vectors set, or "-". */
static void show_vectors(const char *name, const uint32_t *reg)
{
    printf("lapic %s:", name);
    bool any = false;
    for (unsigned vector = 0; vector < 256; vector++)
        if (lapic_test_vector(reg, vector)) {
            printf(" 0x%02x", vector);
            any = true;
        }
    printf(any ? "\n" : " -\n");
}

void vm_devices_show_lapic(const struct vcpu *v)
{
    struct vm_devices *d = v->vm->devices;
    if (say_if_machine(d, "local APIC (none: an access to its page stops the guest)"))
        return;
    struct lapic_view l;
    lapic_describe(&d->lapic, rdtsc() + (uint64_t)d->tsc_offset, &l);
    printf("lapic: IA32_APIC_BASE 0x%lx (%s), SVR 0x%x (%s), ID 0x%x, version 0x%x\n", l.apic_base,
           l.enabled ? "enabled" : "globally disabled", l.svr,
           l.software_enabled ? "software-enabled" : "software-disabled", l.id, l.version);
    printf("lapic: TPR 0x%02x PPR 0x%02x, ESR 0x%x, ICR 0x%08x:%08x, next vector the CPU takes: ",
           l.tpr, l.ppr, l.esr, l.icr_high, l.icr_low);
    printf(l.pending < 0 ? "none\n" : "0x%02x\n", l.pending);
    printf("lapic: NMI %s, %lu received, %lu taken by the guest\n", l.nmi_pending ? "pending" : "none",
           l.nmis, d->nmis_taken);
    show_vectors("ISR", l.isr);
    show_vectors("IRR", l.irr);
    show_vectors("TMR", l.tmr);
    for (unsigned i = 0; i < LAPIC_LVT_COUNT; i++)
        printf("lapic LVT %-7s 0x%08x%s\n", lvt_names[i], l.lvt[i],
               (l.lvt[i] & LAPIC_LVT_MASKED) ? " (masked)" : "");
    printf("lapic timer: %s, %s, initial count %u, current %u, divide by %u, TSC deadline 0x%lx; "
           "%lu expiries so far, %lu register accesses emulated\n", timer_mode_names[l.timer_mode % 3],
           l.timer_armed ? "armed" : "stopped", l.timer_initial, l.timer_current, l.timer_divider,
           l.tsc_deadline, d->lapic_expiries + l.expiries, d->lapic_accesses);
}

void vm_devices_show_ioapic(const struct vcpu *v)
{
    struct vm_devices *d = v->vm->devices;
    if (say_if_machine(d, "I/O APIC (none: an access to its page stops the guest)"))
        return;
    struct ioapic_view io;
    ioapic_describe(&d->ioapic, &io);
    printf("ioapic: ID %u, version 0x%x, IOREGSEL 0x%02x; lines 0x%06x, asserted 0x%06x, waiting 0x%06x, "
           "remote IRR 0x%06x; %lu messages delivered, %lu dropped, %lu register accesses\n",
           io.id >> 24, io.version, io.ioregsel, io.lines, io.asserted, io.pending, io.remote_irr,
           d->ioapic_delivered, d->ioapic_dropped, d->ioapic_accesses);
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
        if (!(io.entry[pin] & IOAPIC_RTE_MASKED))
            printf("ioapic pin %2u: vector 0x%02lx, mode %lu, %s, %s, %s, destination 0x%02lx\n", pin,
                   io.entry[pin] & 0xFF, (io.entry[pin] >> 8) & 7,
                   (io.entry[pin] & IOAPIC_RTE_LEVEL) ? "level" : "edge",
                   (io.entry[pin] >> 13) & 1 ? "active low" : "active high",
                   (io.entry[pin] >> 11) & 1 ? "logical" : "physical", io.entry[pin] >> 56);
    printf("ioapic: the other pins are masked\n");
}
