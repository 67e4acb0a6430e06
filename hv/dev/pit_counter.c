/*
 * pit_counter.c: one 8254 counter's counting element (CE) and OUT, worked
 * out from the time instead of clocked (a pure module; see pit.h).
 *
 * The timeline. CE is loaded with `n` clocks at clock `load_at`; from then
 * on its "position" is the number of clocks it has counted:
 *     position(now) = base + (now - run_from)      (base while paused)
 * and each mode's CE and OUT are a function of the position alone
 * (ce_at, out_at), as are the positions of OUT's rising edges
 * (edges_upto). Before load_at, CE reads `hold` and OUT is `out_hold`;
 * a stopped counter (never loaded, waiting for a trigger, gate low in
 * modes 2 and 3) is one whose load_at is PIT_NEVER.
 *
 * A count "is loaded on the next CLK pulse" after it is written or after
 * a trigger (8254 data sheet, "Mode Definitions"): written at clock t, CE
 * holds it at t + 1 and has counted k clocks at t + 1 + k. Mode 0's OUT
 * thus rises N + 1 clocks after the count is written, as the data sheet's
 * Mode 0 says.
 *
 * Where the data sheet leaves a choice, Bochs 2.7 (iodev/pit82c54.cc)
 * decides: a count written reads back before it is loaded; count 1 in
 * modes 2 and 3 (illegal: their minimum is 2) leaves OUT high and CE at 1.
 */
#include "dev/pit_counter.h"

#define RW_LSB 1

/* A count of 0 is the largest: 2^16 in binary, 10^4 in BCD (data sheet,
 * "Write Operations"); CE wraps at the same value. */
static uint32_t modulus(const struct pit_counter *c)
{
    return c->bcd ? 10000 : 65536;
}

/* The count register's clocks; BCD digits above 9 weigh as the chip's
 * decade counters take them (Bochs's set_binary_to_count too). */
static uint32_t count_clocks(const struct pit_counter *c)
{
    uint32_t v = c->cr;
    if (c->bcd)
        v = (v & 0xF) + 10 * ((v >> 4) & 0xF) + 100 * ((v >> 8) & 0xF) + 1000 * (v >> 12);
    return v ? v : modulus(c);
}

/* A CE value (below modulus) as the read gives it. */
static uint16_t encode(const struct pit_counter *c, uint32_t v)
{
    if (!c->bcd)
        return (uint16_t)v;
    return (uint16_t)((v % 10) | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 | (v / 1000 % 10) << 12);
}

/* Mode 3's first half: OUT high for (N + 1) / 2 clocks, low for N / 2
 * (data sheet, Mode 3: "Square Wave Mode", odd counts). */
static uint32_t high_half(uint32_t n)
{
    return (n + 1) / 2;
}

/* Modes 2 and 3 count from 2 up; count 1 stays put (see the header). */
static bool periodic_stuck(const struct pit_counter *c)
{
    return (c->mode == 2 || c->mode == 3) && c->n < 2;
}

static uint64_t position(const struct pit_counter *c, uint64_t now)
{
    if (c->paused || now < c->run_from)
        return c->base;
    return c->base + (now - c->run_from);
}

/* CE after `p` clocks counted, in binary, below modulus. */
static uint32_t ce_at(const struct pit_counter *c, uint64_t p)
{
    uint32_t m = modulus(c), n = c->n;
    if (periodic_stuck(c))
        return n % m;
    if (c->mode == 2)           /* Mode 2: N, N-1, ..., 1, reload N */
        return (uint32_t)(n - p % n) % m;
    if (c->mode == 3) {         /* Mode 3: by two from N (N-1 if odd), each half */
        uint32_t q = (uint32_t)(p % n), h = high_half(n);
        uint32_t k = q < h ? q : q - h;
        return ((n & ~1u) - 2 * k) % m;
    }
    /* Modes 0, 1, 4, 5: down from N, and on past 0 (it wraps) */
    return (uint32_t)((n + m - p % m) % m);
}

static bool out_at(const struct pit_counter *c, uint64_t p)
{
    switch (c->mode) {
    case 0:     /* Mode 0: low until terminal count, then high */
    case 1:     /* Mode 1: the one-shot: low from the load to terminal count */
        return p >= c->n;
    case 2:     /* Mode 2: low for the one clock CE holds 1 */
        return periodic_stuck(c) || p % c->n != c->n - 1;
    case 3:     /* Mode 3: high the first half, low the second */
        return periodic_stuck(c) || p % c->n < high_half(c->n);
    default:    /* Modes 4, 5: low for the one clock at terminal count */
        return p != c->n;
    }
}

/* How many rising edges OUT has made by position p (from position 0). */
static uint64_t edges_upto(const struct pit_counter *c, uint64_t p)
{
    switch (c->mode) {
    case 0:
    case 1:
        return p >= c->n;
    case 2:
    case 3:
        return periodic_stuck(c) ? 0 : p / c->n;
    default:
        return p > c->n;
    }
}

/* The position of the first rising edge after position p, or 0 for none. */
static uint64_t next_edge_position(const struct pit_counter *c, uint64_t p)
{
    switch (c->mode) {
    case 0:
    case 1:
        return p < c->n ? c->n : 0;
    case 2:
    case 3:
        return periodic_stuck(c) ? 0 : (p / c->n + 1) * c->n;
    default:
        return p <= c->n ? (uint64_t)c->n + 1 : 0;
    }
}

static bool out_now(const struct pit_counter *c, uint64_t now)
{
    return now < c->load_at ? c->out_hold : out_at(c, position(c, now));
}

static uint16_t ce_now(const struct pit_counter *c, uint64_t now)
{
    return now < c->load_at ? c->hold : encode(c, ce_at(c, position(c, now)));
}

/* Rising edges of the current timeline in (a, b], the load's own included
 * (modes 4 and 5 reloaded during their strobe end it then). */
static uint64_t edges_between(const struct pit_counter *c, uint64_t a, uint64_t b)
{
    if (b <= a || b < c->load_at)
        return 0;
    uint64_t edges = 0, pa;
    if (a < c->load_at) {
        pa = c->base;
        edges = !c->out_hold && out_at(c, pa);
    } else {
        pa = position(c, a);
    }
    return edges + edges_upto(c, position(c, b)) - edges_upto(c, pa);
}

/* Modes 2 and 3: a count written while counting is loaded at the end of
 * the period (Mode 2: "Rate Generator"), or of the half-cycle (Mode 3:
 * "Square Wave Mode"); once `now` has passed that reload, the timeline
 * is the new count's, and the old one's edges up to it are kept. */
static void settle(struct pit_counter *c, uint64_t now)
{
    if (now < c->next_at)
        return;
    uint64_t t = c->next_at;
    c->edges_owed += edges_between(c, c->edges_from, t);
    c->edges_from = t;
    c->n = c->next_n;
    c->load_at = c->run_from = t;
    c->base = c->next_low ? high_half(c->n) : 0;
    c->next_at = PIT_NEVER;
}

/* Every change of the timeline at `now` is bracketed by these two: the
 * edges made so far are kept, and OUT rising at once counts as one. */
static bool begin_change(struct pit_counter *c, uint64_t now)
{
    settle(c, now);
    c->edges_owed += edges_between(c, c->edges_from, now);
    c->edges_from = now;
    return out_now(c, now);
}

static void end_change(struct pit_counter *c, uint64_t now, bool out_before)
{
    if (!out_before && out_now(c, now))
        c->edges_owed++;
}

/* CE takes n clocks at `at`; until then it reads `hold`, OUT `out_hold`.
 * Modes 0 and 4 count only with the gate high (data sheet, Mode 0,
 * Mode 4: "GATE = 0 disables counting"); the load itself needs no gate. */
static void load(struct pit_counter *c, uint32_t n, uint64_t at, uint16_t hold, bool out_hold)
{
    c->n = n;
    c->load_at = c->run_from = at;
    c->base = 0;
    c->paused = (c->mode == 0 || c->mode == 4) && !c->gate;
    c->hold = hold;
    c->out_hold = out_hold;
    c->cr_loaded_at = at;
    c->next_at = PIT_NEVER;
}

static void stop(struct pit_counter *c, uint64_t now, bool out)
{
    c->hold = ce_now(c, now);
    c->out_hold = out;
    c->load_at = PIT_NEVER;
    c->next_at = PIT_NEVER;
    c->paused = false;
}

void pit_counter_reset(struct pit_counter *c, bool gate)
{
    *c = (struct pit_counter){
        .mode = 4, .mode_bits = 4, .rw = RW_LSB, .gate = gate, .out_hold = true,
        .load_at = PIT_NEVER, .next_at = PIT_NEVER,
    };
}

/* Data sheet, "Control Word Format" and each mode's first sentence: a
 * control word stops the counter until a count is written; OUT goes low
 * in mode 0 and high in every other. CE keeps its value (Bochs too). */
void pit_counter_set_mode(struct pit_counter *c, uint8_t control, uint64_t now)
{
    bool before = begin_change(c, now);
    uint8_t m = (control >> 1) & 7;
    stop(c, now, m != 0);          /* CE read in the old mode, before it changes */
    c->mode_bits = m;
    c->mode = m > 5 ? m - 4 : m;   /* "X10" and "X11": modes 2 and 3 */
    c->rw = (control >> 4) & 3;
    c->bcd = control & 1;
    c->cr_written = false;
    c->cr_loaded_at = PIT_NEVER;   /* status: null count (Read-Back Command) */
    end_change(c, now, before);
}

/* Mode 0, two-byte count: "Writing the first byte disables counting. OUT
 * is set low immediately" (data sheet, Mode 0). */
void pit_counter_hold_for_msb(struct pit_counter *c, uint64_t now)
{
    bool before = begin_change(c, now);
    stop(c, now, false);
    end_change(c, now, before);
}

/* The clock of the next reload of a mode 2 or 3 counter, counting now. */
static void schedule_reload(struct pit_counter *c, uint64_t now)
{
    uint64_t q = position(c, now) % c->n, h = high_half(c->n);
    c->next_low = c->mode == 3 && q < h;
    c->next_at = now + (c->next_low ? h - q : c->n - q);
}

void pit_counter_write_count(struct pit_counter *c, uint16_t count, uint64_t now)
{
    bool before = begin_change(c, now);
    c->cr = count;
    c->cr_written = true;
    uint32_t n = count_clocks(c);
    uint16_t written = encode(c, n % modulus(c));
    switch (c->mode) {
    case 0:     /* Mode 0: a new count restarts counting, OUT low */
    case 4:     /* Mode 4: "loaded on the next CLK pulse and counting continues from the new count" */
        load(c, n, now + 1, written, c->mode == 4 && before);
        break;
    case 1:     /* Modes 1, 5: loaded by the next trigger; a pulse under way goes on */
    case 5:
        if (c->load_at == PIT_NEVER)
            c->hold = written;
        c->cr_loaded_at = PIT_NEVER;
        break;
    default:    /* Modes 2, 3 */
        if (!c->gate) {
            c->hold = written;                  /* loaded, but GATE low: no counting */
            c->cr_loaded_at = now + 1;
        } else if (c->load_at == PIT_NEVER || now < c->load_at || periodic_stuck(c)) {
            load(c, n, now + 1, written, true); /* the first count, or one not yet loaded */
        } else {
            c->next_n = n;                      /* at the end of this (half-)period */
            if (c->next_at == PIT_NEVER)
                schedule_reload(c, now);
            c->cr_loaded_at = c->next_at;
        }
        break;
    }
    end_change(c, now, before);
}

/* Modes 0 and 4, gate low then high: CE keeps its position meanwhile. */
static void pause(struct pit_counter *c, uint64_t now)
{
    c->base = position(c, now);
    c->run_from = now > c->load_at ? now : c->load_at;
    c->paused = true;
}

static void resume(struct pit_counter *c, uint64_t now)
{
    c->run_from = now > c->load_at ? now : c->load_at;
    c->paused = false;
}

/* Data sheet, "Gate Pin Operations Summary": a rising edge triggers modes
 * 1 and 5 and restarts 2 and 3; a low gate stops counting in 0, 2, 3, 4,
 * and sets OUT high at once in 2 and 3. Each trigger loads CE on the next
 * clock. */
void pit_counter_set_gate(struct pit_counter *c, bool gate, uint64_t now)
{
    if (gate == c->gate)
        return;
    bool before = begin_change(c, now);
    c->gate = gate;
    if (c->mode == 0 || c->mode == 4) {
        if (!gate && c->load_at != PIT_NEVER)
            pause(c, now);
        else if (gate && c->paused)
            resume(c, now);
    } else if (!gate && (c->mode == 2 || c->mode == 3)) {
        if (c->next_at != PIT_NEVER)
            c->cr_loaded_at = PIT_NEVER;        /* the waiting count: at the trigger now */
        stop(c, now, true);
    } else if (gate && c->cr_written) {         /* modes 1, 2, 3, 5: a trigger */
        load(c, count_clocks(c), now + 1, ce_now(c, now), before);
    }
    end_change(c, now, before);
}

uint16_t pit_counter_read_ce(struct pit_counter *c, uint64_t now)
{
    settle(c, now);
    return ce_now(c, now);
}

bool pit_counter_out(struct pit_counter *c, uint64_t now)
{
    settle(c, now);
    return out_now(c, now);
}

bool pit_counter_null_count(struct pit_counter *c, uint64_t now)
{
    settle(c, now);
    return now < c->cr_loaded_at;
}

uint64_t pit_counter_take_edges(struct pit_counter *c, uint64_t now)
{
    settle(c, now);
    uint64_t edges = c->edges_owed + edges_between(c, c->edges_from, now);
    c->edges_owed = 0;
    c->edges_from = now;
    return edges;
}

uint64_t pit_counter_next_edge(struct pit_counter *c, uint64_t now)
{
    settle(c, now);
    if (c->load_at == PIT_NEVER)
        return PIT_NEVER;
    if (now < c->load_at && !c->out_hold && out_at(c, c->base))
        return c->load_at;
    if (c->paused)
        return PIT_NEVER;
    uint64_t p = now < c->load_at ? c->base : position(c, now);
    uint64_t target = next_edge_position(c, p);
    if (!target)
        return PIT_NEVER;
    uint64_t at = c->run_from + (target - c->base);
    if (at <= c->next_at)
        return at;
    /* The new count is loaded first: its first rising edge. */
    if (c->next_n < 2)
        return PIT_NEVER;
    return c->next_at + (c->next_n - (c->next_low ? high_half(c->next_n) : 0));
}
