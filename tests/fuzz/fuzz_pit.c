/*
 * fuzz_pit.c: hv/dev/pit.c and pit_counter.c, the virtual 8254 of lab 4,
 * on arbitrary scripts of port accesses spread over time.
 *
 * The input is operations of three bytes and a time step: the first byte
 * picks the port (0x40-0x43, 0x61; its low bits) and read or write (bit
 * 7), the second is the value written (or where a step is split), the
 * third the step's size (0, up to 255, up to 2^24, or up to 2^48 clocks,
 * the number's bytes following). Before each step from clock a to b, the
 * model is copied and checked:
 *   - pit_next_irq0_edge(a) is after a, or PIT_NEVER;
 *   - the edges of OUT0 over (a, b] are the same counted at once or split
 *     at any clock between (the model's edges are exact, not sampled);
 *   - the next edge is where the count goes up: none before it, one at it,
 *     and none in (a, b] when it is past b;
 *   - no more edges than the span over the shortest period (at least 2
 *     clocks: OUT must be low between two rising edges), plus one.
 * Reads: port 0x61's fixed bits, gate 2 and OUT2; 0x43 reads 0; a latched
 * status byte carries the RW and mode of the control word.
 */
#include <stdbool.h>
#include "fuzz.h"
#include "dev/pit.h"

static const uint16_t ports[5] = { 0x40, 0x41, 0x42, 0x43, 0x61 };

/* The clock never passes this here, so that b + one period stays below
 * PIT_NOW_MAX, where the model would clamp it. */
#define NOW_LIMIT (PIT_NOW_MAX - (1ull << 20))

static uint64_t take_step(struct fuzz_input *in, uint8_t kind)
{
    switch (kind & 3) {
    case 0: return 0;
    case 1: return fuzz_take(in, 1);
    case 2: return fuzz_take(in, 3);
    default: return fuzz_take(in, 6);
    }
}

/* The shortest period counter 0 may run with now, in clocks. */
static uint64_t shortest_period(const struct pit *p)
{
    const struct pit_counter *c = &p->counter[0];
    uint64_t n = c->n;
    if (c->next_at != PIT_NEVER && c->next_n < n)
        n = c->next_n;
    return n < 2 ? 2 : n;
}

static void check_step(const struct pit *p, uint64_t a, uint64_t b, uint8_t split)
{
    struct pit whole = *p, parts = *p, next = *p;
    uint64_t e = pit_next_irq0_edge(&next, a);
    FUZZ_CHECK(e > a, "next edge %llu not after %llu", (unsigned long long)e, (unsigned long long)a);

    uint64_t edges = pit_irq0_edges(&whole, b);
    uint64_t m = a + (b - a) * split / 255;
    uint64_t first = pit_irq0_edges(&parts, m);
    uint64_t second = pit_irq0_edges(&parts, b);
    FUZZ_CHECK(first + second == edges, "edges over (%llu, %llu]: %llu at once, %llu + %llu split at %llu",
               (unsigned long long)a, (unsigned long long)b, (unsigned long long)edges,
               (unsigned long long)first, (unsigned long long)second, (unsigned long long)m);

    uint64_t period = shortest_period(p);
    FUZZ_CHECK(edges <= (b - a) / period + 1, "%llu edges in %llu clocks, period >= %llu",
               (unsigned long long)edges, (unsigned long long)(b - a), (unsigned long long)period);

    if (e <= b) {
        FUZZ_CHECK(pit_irq0_edges(&next, e - 1) == 0, "an edge before the next edge %llu",
                   (unsigned long long)e);
        FUZZ_CHECK(pit_irq0_edges(&next, e) == 1, "no single edge at the next edge %llu",
                   (unsigned long long)e);
    } else {
        FUZZ_CHECK(edges == 0, "%llu edges before the next edge %llu", (unsigned long long)edges,
                   (unsigned long long)e);
    }
}

static void check_read(struct pit *p, uint16_t port, uint64_t now)
{
    const struct pit_counter *c = port <= 0x42 ? &p->counter[port - 0x40] : NULL;
    bool status = c && c->status_latched;
    uint8_t v = pit_read(p, port, now);
    if (port == PIT_PORT_CONTROL) {
        FUZZ_CHECK(v == 0, "port 0x43 read 0x%02x", v);
    } else if (port == PIT_PORT_B) {
        FUZZ_CHECK(!(v & 0xCC), "port 0x61 read 0x%02x: bits 2, 3, 6, 7 set", v);
        FUZZ_CHECK(!!(v & PIT_B_GATE2) == p->counter[2].gate, "port 0x61 read 0x%02x: gate 2", v);
        FUZZ_CHECK(!!(v & PIT_B_OUT2) == pit_out(p, 2, now), "port 0x61 read 0x%02x: OUT2", v);
    } else if (status) {
        FUZZ_CHECK(((v >> 4) & 3) == c->rw && c->rw != 0 && ((v >> 1) & 7) == c->mode_bits,
                   "status 0x%02x for RW %u mode %u", v, c->rw, c->mode_bits);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size, 0 };
    struct pit p;
    pit_reset(&p);
    uint64_t now = 0;
    while (in.pos < in.size) {
        uint8_t op = (uint8_t)fuzz_take(&in, 1);
        uint8_t value = (uint8_t)fuzz_take(&in, 1);
        uint8_t kind = (uint8_t)fuzz_take(&in, 1);
        uint16_t port = ports[(op & 0x7F) % 5];
        FUZZ_CHECK(pit_port(port), "port 0x%x is the PIT's", port);
        if (op & 0x80)
            check_read(&p, port, now);
        else
            pit_write(&p, port, value, now);

        uint64_t step = take_step(&in, kind);
        if (step > NOW_LIMIT - now)
            step = NOW_LIMIT - now;
        if (step == 0)
            continue;
        pit_irq0_edges(&p, now);               /* the edges the writes made at `now` */
        check_step(&p, now, now + step, value);
        now += step;
    }
    return 0;
}
