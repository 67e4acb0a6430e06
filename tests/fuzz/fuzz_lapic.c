/*
 * fuzz_lapic.c: hv/dev/lapic.c and lapic_timer.c, the virtual local APIC, on
 * arbitrary scripts of what a guest and its devices can do to it.
 *
 * The input: a configuration (APIC ID, BSP, the timer's input clock period,
 * MAXPHYADDR), then operations, each a byte and its operands: a register
 * write or read at any offset (mostly the registers' own), an
 * IA32_APIC_BASE write (a base below 0xF0000000 is refused, as the
 * hypervisor refuses guest RAM), an IA32_TSC_DEADLINE write, a device's
 * interrupt, the CPU's acknowledge, an EOI, a LINT pin, and time jumps of
 * every size up to the end of 64-bit time. After each operation:
 *   - lapic_pending's vector is >= 16 and its priority class above the PPR's;
 *   - no vector below 16 in the IRR or ISR;
 *   - the ISR is exactly the vectors acknowledged and not yet ended by an
 *     EOI (a model kept here), so it never holds one nobody acknowledged;
 *   - lapic_next_event(now) is after now, or UINT64_MAX;
 *   - the current count is at most the initial count;
 * and a split operation checks that the timer's expiries over [now, b] are
 * the sum of those over [now, c] and [c, b], against a copy of the state,
 * which must end the same.
 */
#include <stdbool.h>
#include "fuzz.h"
#include "dev/lapic.h"

static uint64_t now;
static uint32_t model_isr[8];   /* acknowledged, not yet ended */

static bool refuse_guest_ram(void *ctx, uint64_t base)
{
    (void)ctx;
    return base >= 0xF0000000;
}

static bool present(const struct lapic *l)
{
    return lapic_read_apic_base(l) & LAPIC_BASE_ENABLE;
}

static uint64_t later(uint64_t t, uint64_t delta)
{
    return t > UINT64_MAX - delta ? UINT64_MAX : t + delta;
}

/* Offsets: mostly a register of the page (16-byte aligned), sometimes any. */
static uint32_t take_offset(struct fuzz_input *in)
{
    uint32_t o = (uint32_t)fuzz_take(in, 2);
    return (o & 0x8000) ? o & 0x1FFF : (o & 0xFF) << 4;
}

static void model_eoi(void)
{
    int v = lapic_find_highest(model_isr);
    if (v >= 0)
        model_isr[v / 32] &= ~(1u << (v % 32));
}

static void check_same(const struct lapic *a, const struct lapic *b)
{
    FUZZ_CHECK(memcmp(a->vec.irr, b->vec.irr, sizeof a->vec.irr) == 0, "the IRR differs after a split");
    FUZZ_CHECK(a->esr_new == b->esr_new, "the errors differ after a split");
    FUZZ_CHECK(a->timer.armed == b->timer.armed && a->timer.base_time == b->timer.base_time &&
               a->timer.base_count == b->timer.base_count && a->timer.deadline == b->timer.deadline,
               "the timer differs after a split");
}

static void check_split(struct lapic *l, struct fuzz_input *in)
{
    uint64_t b = later(now, fuzz_take(in, 1 + fuzz_take(in, 1) % 8));
    uint64_t c = now + (b - now) / 2 + (b - now) % 3;     /* somewhere in [now, b] */
    if (c > b)
        c = b;
    struct lapic copy = *l;
    uint64_t whole = lapic_advance(&copy, b);
    uint64_t first = lapic_advance(l, c);
    uint64_t parts = first + lapic_advance(l, b);
    FUZZ_CHECK(whole == parts, "%llu expiries over [%llu, %llu], but %llu + %llu split at %llu",
               (unsigned long long)whole, (unsigned long long)now, (unsigned long long)b,
               (unsigned long long)first, (unsigned long long)(parts - first), (unsigned long long)c);
    check_same(l, &copy);
    now = b;
}

static void check_invariants(struct lapic *l)
{
    struct lapic_view v;
    lapic_describe(l, now, &v);
    int p = lapic_pending(l);
    FUZZ_CHECK(p == v.pending, "lapic_describe's pending %d, lapic_pending %d", v.pending, p);
    if (p >= 0) {
        FUZZ_CHECK(p >= 16 && p < 256, "pending vector %d", p);
        FUZZ_CHECK(((uint32_t)p & 0xF0) > (v.ppr & 0xF0), "pending 0x%x not above PPR 0x%x", p, v.ppr);
    }
    FUZZ_CHECK(!(v.irr[0] & 0xFFFF) && !(v.isr[0] & 0xFFFF), "a vector below 16 in IRR 0x%x / ISR 0x%x",
               v.irr[0], v.isr[0]);
    FUZZ_CHECK(memcmp(v.isr, model_isr, sizeof v.isr) == 0, "the ISR holds what was not acknowledged "
               "(highest 0x%x, expected 0x%x)", lapic_find_highest(v.isr), lapic_find_highest(model_isr));
    FUZZ_CHECK(v.timer_current <= v.timer_initial, "current count %u above initial %u",
               v.timer_current, v.timer_initial);
    uint64_t next = lapic_next_event(l, now);
    FUZZ_CHECK(next > now || next == UINT64_MAX, "next event %llu, now %llu",
               (unsigned long long)next, (unsigned long long)now);
}

static void run_op(struct lapic *l, struct fuzz_input *in)
{
    bool was_present = present(l);
    switch (fuzz_take(in, 1) % 10) {
    case 0: {
        uint32_t offset = take_offset(in), value = (uint32_t)fuzz_take(in, 4);
        lapic_write(l, offset, value, now);
        if (offset == LAPIC_REG_EOI && was_present)
            model_eoi();
        break;
    }
    case 1:
        lapic_read(l, take_offset(in), now);
        break;
    case 2: {
        static const uint64_t bases[4] = { 0xFEE00000, 0xFEC00000, 0x10000000, 0xFEE01000 };
        uint64_t b = fuzz_take(in, 1), value;
        if (b & 0x80)
            value = fuzz_take(in, 8);
        else
            value = bases[b & 3] | (b & 0x04 ? LAPIC_BASE_ENABLE : 0) | (b & 0x08 ? LAPIC_BASE_X2APIC : 0) |
                    (b & 0x10 ? LAPIC_BASE_BSP : 0) | (b & 0x20 ? 1 : 0);
        lapic_write_apic_base(l, value, now, refuse_guest_ram, NULL);
        if (present(l) != was_present)
            memset(model_isr, 0, sizeof model_isr);         /* the reset of 11.4.3 */
        break;
    }
    case 3: {
        uint64_t d = fuzz_take(in, 1);
        uint64_t value = (d & 0x80) ? fuzz_take(in, 8) : d & 0x40 ? now - (d & 0x3F) : later(now, d << 4);
        lapic_write_tsc_deadline(l, value, now);
        lapic_read_tsc_deadline(l, now);
        break;
    }
    case 4: {
        uint64_t a = fuzz_take(in, 2);
        lapic_accept(l, (uint8_t)a, a & 0x100);
        break;
    }
    case 5: {
        int p = lapic_pending(l);
        int v = lapic_acknowledge(l);
        if (p >= 0) {
            FUZZ_CHECK(v == p, "acknowledged 0x%x, pending was 0x%x", v, p);
            model_isr[v / 32] |= 1u << (v % 32);
        }
        break;
    }
    case 6:
        lapic_eoi(l);
        if (was_present)
            model_eoi();
        break;
    case 7:
        lapic_raise_lint(l, (unsigned)fuzz_take(in, 1) % 3);
        break;
    case 8: {
        unsigned size = 1 + (unsigned)fuzz_take(in, 1) % 8;   /* up to a jump to the end of time */
        now = later(now, fuzz_take(in, size));
        lapic_advance(l, now);
        break;
    }
    case 9:
        check_split(l, in);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size, 0 };
    struct lapic_config c = {
        .apic_id = (uint8_t)fuzz_take(&in, 1),
        .bsp = fuzz_take(&in, 1) & 1,
        .bus_period = (uint32_t)fuzz_take(&in, 4) & 0x1FFFFFF,
        .maxphyaddr = (uint8_t)fuzz_take(&in, 1),
    };
    struct lapic l;
    now = fuzz_take(&in, 2);
    memset(model_isr, 0, sizeof model_isr);
    lapic_reset(&l, &c, now);
    while (in.pos < in.size) {
        run_op(&l, &in);
        check_invariants(&l);
    }
    return 0;
}
