/*
 * lapic.c: the virtual local APIC of one vCPU, xAPIC mode (a pure device
 * model: any mode, the host unit tests and the fuzzer). lapic.h says what
 * the caller decodes and gives; the timer's counting is lapic_timer.c.
 *
 * Read it in this order: the interrupt acknowledge and the EOI (SDM vol. 3,
 * 11.8; the IRR, ISR, TMR and the priority rules are lapic_priority.c), how
 * an interrupt gets into the IRR (11.8.4, 11.5.2, with the errors of
 * 11.5.3), the IPIs (11.6), the registers (11.4.1, table 11-1), and last the
 * MSRs and the time.
 */
#include "lapic.h"
#include "string.h"

/* ---- The interrupt acknowledge and the EOI (11.8) ---- */

static bool present(const struct lapic *l)
{
    return l->apic_base & LAPIC_BASE_ENABLE;
}

static bool software_enabled(const struct lapic *l)
{
    return l->svr & LAPIC_SVR_ENABLE;
}

int lapic_pending_in_irr(const struct lapic *l)
{
    /* A software-disabled APIC keeps what is pending: "Pending interrupts
     * in the IRR and ISR registers are held and require masking or handling
     * by the CPU" (11.4.7.2). */
    return present(l) ? lapic_find_deliverable(&l->vec) : -1;
}

int lapic_acknowledge(struct lapic *l)
{
    int v = present(l) ? lapic_service_vector(&l->vec) : -1;
    if (v < 0) {
        /* 11.9: the interrupt was masked (by the TPR) before the INTA
         * cycle: the spurious vector, and "dispensing the spurious-interrupt
         * vector does not affect the ISR". */
        return (int)(l->svr & 0xFF);
    }
    return v;
}

int lapic_eoi(struct lapic *l)
{
    /* 11.8.5: an EOI clears the highest ISR bit, whatever was written. The
     * TMR bit says whether the interrupt was level-triggered, and then the
     * EOI goes on to the I/O APIC. The SDM changes the TMR only at
     * acceptance (11.8.4); Bochs also clears it here. Bochs ignores an EOI
     * whose highest ISR vector is the spurious vector; the SDM does not. */
    int v = present(l) ? lapic_end_vector(&l->vec) : -1;
    if (v < 0)
        return -1;
    /* 11.5.1: a LINT pin's Remote IRR "is reset when an EOI command is
     * received" for its level-triggered fixed interrupt. */
    for (unsigned pin = LAPIC_LVT_LINT0; pin <= LAPIC_LVT_LINT1; pin++)
        if ((l->lvt[pin] & 0xFF) == (uint32_t)v)
            l->lvt[pin] &= ~LAPIC_LVT_REMOTE_IRR;
    return lapic_test_vector(l->vec.tmr, (unsigned)v) ? v : -1;
}

/* ---- Into the IRR ---- */

/* An error (11.5.3): recorded for the next ESR write, and signalled through
 * the LVT error entry unless it is masked ("Errors are collected regardless
 * of LVT Error mask bit"). The error interrupt is always edge-triggered
 * (11.5.1). An illegal vector in the LVT error entry is an error of its own,
 * recorded without another interrupt, so that one error never loops. */
static void raise_error(struct lapic *l, uint32_t bits)
{
    l->esr_new |= bits;
    uint32_t e = l->lvt[LAPIC_LVT_ERROR];
    if (e & LAPIC_LVT_MASKED)
        return;
    if (!lapic_latch_vector(&l->vec, e & 0xFF, false))
        l->esr_new |= LAPIC_ESR_RECEIVE_ILLEGAL_VECTOR;
}

/* A fixed interrupt received, from a device, an LVT entry or a self-IPI:
 * vectors 0-15 are refused with the ESR's "received illegal vector", which
 * says "the local APIC will never set an IRR bit in the range 0 to 15"
 * (11.5.3). */
static bool receive(struct lapic *l, uint32_t vector, bool level)
{
    if (lapic_latch_vector(&l->vec, vector, level))
        return true;
    raise_error(l, LAPIC_ESR_RECEIVE_ILLEGAL_VECTOR);
    return false;
}

bool lapic_accept(struct lapic *l, uint8_t vector, bool level_triggered)
{
    if (!present(l))
        return false;
    return receive(l, vector, level_triggered);
}

bool lapic_accept_nmi(struct lapic *l)
{
    if (!present(l))
        return false;
    l->nmi_pending = true;
    l->nmis++;
    return true;
}

bool lapic_take_nmi(struct lapic *l)
{
    bool was = l->nmi_pending;
    l->nmi_pending = false;
    return was;
}

/* The timer's interrupt (11.5.4): edge-triggered, unless masked. */
static void raise_timer(struct lapic *l)
{
    uint32_t e = l->lvt[LAPIC_LVT_TIMER];
    if (!(e & LAPIC_LVT_MASKED))
        receive(l, e & 0xFF, false);
}

enum lapic_lint_action lapic_raise_lint(struct lapic *l, unsigned pin)
{
    if (pin > 1)
        return LAPIC_LINT_IGNORED;
    if (!present(l))
        return pin == 0 ? LAPIC_LINT_EXTINT : LAPIC_LINT_NMI;
    uint32_t *e = &l->lvt[LAPIC_LVT_LINT0 + pin];
    if (*e & LAPIC_LVT_MASKED)
        return LAPIC_LINT_IGNORED;
    switch ((*e >> 8) & 7) {          /* delivery mode, 11.5.1 */
    case 0: {
        /* The trigger mode counts for fixed delivery only, and "level-
         * sensitive interrupts are not supported for LINT1" (11.5.1). A
         * level interrupt whose Remote IRR is set is already taken. */
        bool level = pin == 0 && (*e & LAPIC_LVT_LEVEL);
        if (level && (*e & LAPIC_LVT_REMOTE_IRR))
            return LAPIC_LINT_IGNORED;
        if (!receive(l, *e & 0xFF, level))
            return LAPIC_LINT_IGNORED;
        if (level)
            *e |= LAPIC_LVT_REMOTE_IRR;
        return LAPIC_LINT_FIXED;
    }
    case 2: return LAPIC_LINT_SMI;
    case 4:
        lapic_accept_nmi(l);
        return LAPIC_LINT_NMI;
    case 5: return LAPIC_LINT_INIT;
    case 7: return LAPIC_LINT_EXTINT;
    default: return LAPIC_LINT_IGNORED;   /* "All other combinations are reserved" */
    }
}

/* ---- IPIs (11.6.1, figure 11-12 "Interrupt Command Register") ---- */

#define ICR_LOW_BITS  0x000CCFFFu    /* all but delivery status (12, read-only) and reserved */
#define ICR_HIGH_BITS 0xFF000000u

/* Does an IPI with this ICR reach this APIC, the only one there is? */
static bool reaches_self(const struct lapic *l, uint32_t low, uint32_t high)
{
    uint32_t dest = high >> 24;
    switch ((low >> 18) & 3) {          /* destination shorthand */
    case 1: return true;                /* self */
    case 2: return true;                /* all including self */
    case 3: return false;               /* all excluding self: nobody else here */
    }
    if (!(low & (1u << 11)))            /* physical: the APIC ID, or 0xFF for all (11.6.2.1) */
        return dest == l->config.apic_id || dest == 0xFF;
    uint32_t ldr = l->ldr >> 24;        /* logical (11.6.2.2) */
    if ((l->dfr >> 28) == 0xF)          /* flat model: any common bit */
        return (dest & ldr) != 0;
    return dest == 0xFF || ((dest >> 4) == (ldr >> 4) && (dest & ldr & 0xF) != 0);   /* cluster */
}

/* A write to the ICR's low half sends the IPI at once: the delivery status
 * reads idle (0) again before the guest can look. Fixed and lowest-priority
 * IPIs that reach this APIC are received as any fixed interrupt (11.6.1;
 * lowest priority among one APIC is this one). An IPI that reaches no APIC
 * is lost without an error: the "send accept error" is the P6's and the
 * Pentium's only (11.5.3), so a Core processor's APIC would not report it
 * either (Bochs sets ESR bit 2 anyway). An NMI IPI (delivery mode 100, the
 * vector ignored) that reaches this APIC is its CPU's NMI (lapic_take_nmi).
 * SMI, INIT and SIPI IPIs are not delivered: to this vCPU they would be an
 * SMM or a reset the caller cannot give, and there is no other CPU to
 * start. Both kinds are counted in ipis_dropped for the monitor. */
static void send_ipi(struct lapic *l)
{
    uint32_t mode = (l->icr_low >> 8) & 7, vector = l->icr_low & 0xFF;
    bool level = l->icr_low & (1u << 15);
    bool self = reaches_self(l, l->icr_low, l->icr_high);
    if (mode == 4 && self) {
        lapic_accept_nmi(l);
        return;
    }
    if (mode > 1) {
        l->ipis_dropped++;
        return;
    }
    if (vector < 16)                    /* "Send Illegal Vector" (11.5.3) */
        raise_error(l, LAPIC_ESR_SEND_ILLEGAL_VECTOR);
    if (!self) {
        l->ipis_dropped++;
        return;
    }
    receive(l, vector, level);          /* receive-side check: ESR bit 6 too */
}

/* ---- The registers (11.4.1, table 11-1) ---- */

/* What each LVT entry keeps of a write (figure 11-8): the delivery status
 * (bit 12) and Remote IRR (bit 14) are read-only; the timer has its mode
 * (bits 18:17), the LINT pins their polarity and trigger mode, the error
 * entry a vector and a mask only. */
static const uint32_t lvt_bits[LAPIC_LVT_COUNT] = {
    [LAPIC_LVT_CMCI] = 0x000107FF,   [LAPIC_LVT_TIMER] = 0x000700FF,
    [LAPIC_LVT_THERMAL] = 0x000107FF, [LAPIC_LVT_PERF] = 0x000107FF,
    [LAPIC_LVT_LINT0] = 0x0001A7FF,  [LAPIC_LVT_LINT1] = 0x0001A7FF,
    [LAPIC_LVT_ERROR] = 0x000100FF,
};

/* The LVT entry at `offset`, or -1. */
static int lvt_index(uint32_t offset)
{
    if (offset == LAPIC_REG_LVT_CMCI)
        return LAPIC_LVT_CMCI;
    if (offset >= LAPIC_REG_LVT_TIMER && offset <= LAPIC_REG_LVT_ERROR)
        return LAPIC_LVT_TIMER + (int)((offset - LAPIC_REG_LVT_TIMER) / 16);
    return -1;
}

/* Bits 18:17 of the LVT timer entry. 11b is reserved; bit 18 alone picks
 * TSC-deadline, as in Bochs. */
static enum lapic_timer_mode timer_mode_of(uint32_t lvt)
{
    return (lvt >> 18) & 1 ? LAPIC_TIMER_TSC_DEADLINE : (enum lapic_timer_mode)((lvt >> 17) & 1);
}

/* A register's value; false for a reserved offset (or one not aligned or
 * not in the page). EOI reads 0 (it is write-only; Bochs too). */
static bool read_register(const struct lapic *l, uint32_t offset, uint64_t now, uint32_t *value)
{
    int lvt = lvt_index(offset);
    if (offset >= 0x1000 || (offset & 0xF))
        return false;
    if (lvt >= 0) {
        *value = l->lvt[lvt];
        return true;
    }
    if (offset >= LAPIC_REG_ISR && offset < LAPIC_REG_IRR + 0x80) {
        unsigned i = (offset - LAPIC_REG_ISR) / 16;
        *value = i < 8 ? l->vec.isr[i] : i < 16 ? l->vec.tmr[i - 8] : l->vec.irr[i - 16];
        return true;
    }
    switch (offset) {
    case LAPIC_REG_ID: *value = (uint32_t)l->config.apic_id << 24; return true;
    case LAPIC_REG_VERSION: *value = LAPIC_VERSION_VALUE; return true;
    case LAPIC_REG_TPR: *value = l->vec.tpr; return true;
    case LAPIC_REG_APR: *value = lapic_compute_apr(&l->vec); return true;
    case LAPIC_REG_PPR: *value = lapic_compute_ppr(&l->vec); return true;
    case LAPIC_REG_EOI: *value = 0; return true;
    case LAPIC_REG_RRD: *value = 0; return true;     /* no remote read here (11.6.1: P6, Pentium) */
    case LAPIC_REG_LDR: *value = l->ldr; return true;
    case LAPIC_REG_DFR: *value = l->dfr; return true;
    case LAPIC_REG_SVR: *value = l->svr; return true;
    case LAPIC_REG_ESR: *value = l->esr; return true;
    case LAPIC_REG_ICR_LOW: *value = l->icr_low; return true;
    case LAPIC_REG_ICR_HIGH: *value = l->icr_high; return true;
    case LAPIC_REG_TIMER_INITIAL: *value = l->timer.initial; return true;
    case LAPIC_REG_TIMER_CURRENT: *value = lapic_read_timer_count(&l->timer, now); return true;
    case LAPIC_REG_TIMER_DIVIDE: *value = l->timer.divide_config; return true;
    }
    return false;
}

/* The state after power-up or RESET (11.4.7.1), also what clearing
 * IA32_APIC_BASE[11] leaves (11.4.3). The time, the MSR and the expiries
 * not yet reported are not the registers'. */
static void reset_registers(struct lapic *l)
{
    l->vec = (struct lapic_vectors){ 0 };
    l->ldr = 0;
    l->dfr = 0xFFFFFFFF;
    l->svr = 0xFF;
    l->esr = l->esr_new = 0;
    l->icr_low = l->icr_high = 0;
    for (unsigned i = 0; i < LAPIC_LVT_COUNT; i++)
        l->lvt[i] = LAPIC_LVT_MASKED;
    lapic_reset_timer(&l->timer, l->config.bus_period);
}

void lapic_reset(struct lapic *l, const struct lapic_config *config, uint64_t now)
{
    memset(l, 0, sizeof *l);
    l->config = *config;
    if (l->config.maxphyaddr < 32 || l->config.maxphyaddr > 52)
        l->config.maxphyaddr = 36;
    l->apic_base = LAPIC_DEFAULT_BASE | LAPIC_BASE_ENABLE | (config->bsp ? LAPIC_BASE_BSP : 0);
    l->now = now;
    reset_registers(l);
}

/* Bring the APIC to `now`: the timer's expiries since the last time, each
 * raising its vector unless masked (once: the IRR holds one per vector). */
static void catch_up(struct lapic *l, uint64_t now)
{
    if (now < l->now)
        now = l->now;
    l->now = now;
    uint64_t n = lapic_run_timer(&l->timer, now);
    if (n) {
        l->expiries += n;
        raise_timer(l);
    }
}

uint32_t lapic_read(struct lapic *l, uint32_t offset, uint64_t now)
{
    catch_up(l, now);
    uint32_t value = 0;
    if (!present(l))
        return 0;
    if (!read_register(l, offset, l->now, &value))
        raise_error(l, LAPIC_ESR_ILLEGAL_REGISTER);    /* 11.5.3, ESR bit 7 */
    return value;
}

static void write_svr(struct lapic *l, uint32_t value)
{
    /* Figure 11-23: the vector (all 8 bits on a Pentium 4 or later), the
     * software enable (bit 8), focus checking (bit 9, which only lowest-
     * priority arbitration between APICs would use). Bit 12, EOI-broadcast
     * suppression, is reserved: the version register does not offer it. */
    l->svr = value & 0x3FF;
    /* 11.4.7.2: software-disabled, "the mask bits for all the LVT entries
     * are set". */
    if (!software_enabled(l))
        for (unsigned i = 0; i < LAPIC_LVT_COUNT; i++)
            l->lvt[i] |= LAPIC_LVT_MASKED;
}

static void write_lvt(struct lapic *l, int i, uint32_t value)
{
    uint32_t kept = l->lvt[i] & LAPIC_LVT_REMOTE_IRR;
    l->lvt[i] = (value & lvt_bits[i]) | kept;
    /* 11.4.7.2: while software-disabled, "attempts to reset these bits will
     * be ignored". */
    if (!software_enabled(l))
        l->lvt[i] |= LAPIC_LVT_MASKED;
    if (i == LAPIC_LVT_TIMER)
        lapic_set_timer_mode(&l->timer, timer_mode_of(l->lvt[i]));
}

int lapic_write(struct lapic *l, uint32_t offset, uint32_t value, uint64_t now)
{
    catch_up(l, now);
    if (!present(l))
        return -1;
    int lvt = lvt_index(offset);
    if (lvt >= 0) {
        write_lvt(l, lvt, value);
        return -1;
    }
    switch (offset) {
    case LAPIC_REG_TPR: l->vec.tpr = value & 0xFF; return -1;
    case LAPIC_REG_EOI: return lapic_eoi(l);
    case LAPIC_REG_LDR: l->ldr = value & 0xFF000000; return -1;
    case LAPIC_REG_DFR: l->dfr = value | 0x0FFFFFFF; return -1;    /* bits 27:0 read as ones */
    case LAPIC_REG_SVR: write_svr(l, value); return -1;
    case LAPIC_REG_ESR:
        /* 11.5.3: "This write clears any previously logged errors and
         * updates the ESR with any errors detected since the last write". */
        l->esr = l->esr_new;
        l->esr_new = 0;
        return -1;
    case LAPIC_REG_ICR_LOW:
        l->icr_low = value & ICR_LOW_BITS;
        send_ipi(l);
        return -1;
    case LAPIC_REG_ICR_HIGH: l->icr_high = value & ICR_HIGH_BITS; return -1;
    case LAPIC_REG_TIMER_INITIAL: lapic_start_timer(&l->timer, value, l->now); return -1;
    case LAPIC_REG_TIMER_DIVIDE: lapic_set_timer_divide(&l->timer, value, l->now); return -1;
    }
    /* The rest: read-only registers, whose writes are ignored (ID too: 11.4.6
     * leaves writing it to the model, and Bochs keeps it), or reserved ones,
     * an "illegal register address" (11.5.3). */
    uint32_t ignored;
    if (!read_register(l, offset, l->now, &ignored))
        raise_error(l, LAPIC_ESR_ILLEGAL_REGISTER);
    return -1;
}

/* ---- IA32_APIC_BASE and IA32_TSC_DEADLINE, the time ---- */

uint64_t lapic_read_apic_base(const struct lapic *l)
{
    return l->apic_base;
}

const char *lapic_write_apic_base(struct lapic *l, uint64_t value, uint64_t now,
                                  lapic_base_rule *base_allowed, void *ctx)
{
    catch_up(l, now);
    /* 11.4.4, figure 11-5: bits 0-7, 9 and MAXPHYADDR-63 are reserved. */
    uint64_t base_mask = ((1ull << l->config.maxphyaddr) - 1) & ~0xFFFull;
    if (value & LAPIC_BASE_X2APIC)
        return "IA32_APIC_BASE: bit 10 (x2APIC mode) set, but this CPU has no x2APIC "
               "(CPUID.01H:ECX[21] = 0, 11.12.1)";
    if (value & ~(base_mask | LAPIC_BASE_ENABLE | LAPIC_BASE_BSP))
        return "IA32_APIC_BASE: a reserved bit set (bits 0-7, 9, MAXPHYADDR-63: 11.4.4)";
    uint64_t base = value & base_mask;
    if (base != (l->apic_base & base_mask) && base_allowed && !base_allowed(ctx, base))
        return "IA32_APIC_BASE: the hypervisor refuses the new APIC base (11.4.5)";
    bool was = present(l), is = value & LAPIC_BASE_ENABLE;
    /* The BSP flag is the hardware's to set (11.4.4): a write keeps it. */
    l->apic_base = base | (value & LAPIC_BASE_ENABLE) | (l->apic_base & LAPIC_BASE_BSP);
    /* 11.4.3: with bit 11 clear "the APIC may return to the state described
     * in Section 11.4.7.1"; on processors that deliver interrupts over the
     * system bus (the Pentium 4 and later) "software may disable or enable
     * the APIC by setting and resetting IA32_APIC_BASE[11]". Both ways, the
     * guest finds the APIC as after reset. Bochs 2.7 ignores every write
     * once bit 11 is clear, so there the APIC stays off. */
    if (was != is)
        reset_registers(l);
    return NULL;
}

uint64_t lapic_read_tsc_deadline(struct lapic *l, uint64_t now)
{
    catch_up(l, now);
    return lapic_read_timer_deadline(&l->timer);
}

void lapic_write_tsc_deadline(struct lapic *l, uint64_t value, uint64_t now)
{
    catch_up(l, now);
    lapic_arm_timer_deadline(&l->timer, value);
    catch_up(l, now);           /* a deadline already passed expires at once */
}

uint64_t lapic_advance(struct lapic *l, uint64_t now)
{
    catch_up(l, now);
    uint64_t n = l->expiries;
    l->expiries = 0;
    return n;
}

uint64_t lapic_next_event(struct lapic *l, uint64_t now)
{
    catch_up(l, now);
    return lapic_find_timer_expiry(&l->timer);
}

void lapic_describe(const struct lapic *l, uint64_t now, struct lapic_view *v)
{
    if (now < l->now)
        now = l->now;
    *v = (struct lapic_view){
        .apic_base = l->apic_base, .enabled = present(l), .software_enabled = software_enabled(l),
        .id = (uint32_t)l->config.apic_id << 24, .version = LAPIC_VERSION_VALUE,
        .tpr = l->vec.tpr, .apr = lapic_compute_apr(&l->vec), .ppr = lapic_compute_ppr(&l->vec), .ldr = l->ldr, .dfr = l->dfr, .svr = l->svr,
        .esr = l->esr, .esr_new = l->esr_new, .icr_low = l->icr_low, .icr_high = l->icr_high,
        .timer_initial = l->timer.initial, .timer_current = lapic_read_timer_count(&l->timer, now),
        .timer_divide = l->timer.divide_config,
        .timer_divider = lapic_timer_divider(l->timer.divide_config),
        .timer_mode = l->timer.mode, .timer_armed = l->timer.armed,
        .tsc_deadline = lapic_read_timer_deadline(&l->timer),
        .next_expiry = lapic_find_timer_expiry(&l->timer),
        .expiries = l->expiries, .ipis_dropped = l->ipis_dropped, .pending = lapic_pending(l),
        .nmi_pending = l->nmi_pending, .nmis = l->nmis,
    };
    memcpy(v->isr, l->vec.isr, sizeof v->isr);
    memcpy(v->tmr, l->vec.tmr, sizeof v->tmr);
    memcpy(v->irr, l->vec.irr, sizeof v->irr);
    memcpy(v->lvt, l->lvt, sizeof v->lvt);
}
