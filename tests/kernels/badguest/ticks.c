/*
 * ticks.c: do=ticks=HZ[,STRETCH[,HOW[,quiet]]]: the guest's own timer
 * ticks, measured against its TSC (lab 4: the virtual PIT and the
 * missed-tick policies, tests/integration/timer_cases.py; make bench's
 * tests/bench/timer.py). CPU mode: badguest's, 32-bit protected mode,
 * paging off.
 *
 * It programs the 8254's counter 0 in mode 2 (rate generator) at HZ (the
 * count PIT_HZ / HZ, rounded), then the 8259A pair with IRQ 0 alone open,
 * and counts IRQ 0's interrupts, each handler reading the TSC and sending
 * a non-specific EOI. It runs STRETCH thousand TSC ticks of its own
 * (default 2000), computing (HOW spin, the default) or halting between
 * ticks (HOW hlt), with interrupts on. Then it stops the PIT (counter 0
 * in mode 0 with no count: OUT0 low, no edge ever again) and, still with
 * interrupts on, takes the ticks it is still owed (a missed-tick policy
 * may deliver them late) until none has come for twice the largest gap
 * it saw while the PIT ran (one of the other VM's turns, with two VMs).
 *
 * The BIOS's PIT is held at badguest's very start (badguest.c), so the
 * only edges of OUT0 are the probe's own.
 *
 * Each OUT that starts or stops the PIT exits to the hypervisor, which
 * does it at some TSC between the guest's reads just before and just
 * after: the lines give both. Lines (TSC values are the guest's RDTSC):
 *   badguest: ticks hz=H count=N how=spin loaded=A..B stopped=C..D end=E taken=T after_stop=S
 *             largest_gap=G smallest_gap=M
 *   badguest: tick tsc: t1 t2 ... t10      (every tick's TSC, ten a line; not with quiet)
 * A tick's TSC is read at the start of its handler; up to TICKS_KEPT are
 * kept (a line says how many more there were).
 */
#include <stdbool.h>
#include <stdint.h>
#include "poweroff.h"
#include "printf.h"
#include "string.h"
#include "x86io.h"
#include "badguest.h"

#define PIT_INPUT_HZ 1193182u
#define TICKS_KEPT 4096
#define PER_LINE 10

extern char ticks_stub[];
void tick_taken(void);

__asm__(".text\n"
        ".globl ticks_stub\n"
        "ticks_stub:\n"
        "    pushal\n"
        "    call tick_taken\n"
        "    movb $0x20, %al\n"              /* non-specific EOI to the master PIC */
        "    outb %al, $0x20\n"
        "    popal\n"
        "    iret\n");

static uint64_t tick_tsc[TICKS_KEPT];
static volatile uint32_t taken;
static volatile uint64_t last_tick, largest_gap, smallest_gap;

void tick_taken(void)
{
    uint64_t now = read_tsc();
    if (taken) {
        uint64_t gap = now - last_tick;
        if (gap > largest_gap)
            largest_gap = gap;
        if (taken == 1 || gap < smallest_gap)
            smallest_gap = gap;
    }
    if (taken < TICKS_KEPT)
        tick_tsc[taken] = now;
    last_tick = now;
    taken++;
}

/* The next comma-separated field of *s (empty at the end). */
static const char *field(const char **s, char *out, unsigned size)
{
    unsigned n = 0;
    while (**s && **s != ',' && n + 1 < size)
        out[n++] = *(*s)++;
    out[n] = 0;
    if (**s == ',')
        (*s)++;
    return out;
}

void do_ticks(const char *arg)
{
    char word[12];
    unsigned hz = parse_uint(field(&arg, word, sizeof(word)));
    const char *stretch_word = field(&arg, word, sizeof(word));
    unsigned stretch_k = stretch_word[0] ? parse_uint(stretch_word) : 2000;
    char how[8];
    field(&arg, how, sizeof(how));
    bool halt = strcmp(how, "hlt") == 0, quiet = strcmp(field(&arg, word, sizeof(word)), "quiet") == 0;
    if (hz < 19 || hz > 10000 || !stretch_k || stretch_k > 1000000 || (how[0] && !halt && strcmp(how, "spin"))) {
        printf("badguest: FAIL do=ticks=HZ[,STRETCH[,spin|hlt[,quiet]]] wants HZ 19..10000 and STRETCH "
               "1..1000000 (thousands of TSC ticks)\n");
        poweroff(POWEROFF_FAIL);
    }
    uint16_t count = (uint16_t)((PIT_INPUT_HZ + hz / 2) / hz);

    __asm__ volatile("cli");
    set_user_gate(0x20, (uint32_t)ticks_stub);   /* an interrupt gate (its DPL only limits INT n) */
    /* 8254 counter 0, LSB then MSB, mode 2, binary: the count loads at the
     * MSB's write and OUT0 rises every `count` clocks after it. */
    outb(0x43, 0x34);
    outb(0x40, count & 0xFF);
    uint64_t load_before = read_tsc();
    outb(0x40, count >> 8);
    uint64_t load_after = read_tsc();
    /* Then the 8259As at vectors 0x20 and 0x28 (edge, cascade, 8086 mode),
     * IRQ 0 alone open. ICW1 clears the IRR: an edge the PIT's
     * reprogramming made is forgotten, as on a PC. */
    outb(0x20, 0x11); outb(0xA0, 0x11);
    outb(0x21, 0x20); outb(0xA1, 0x28);
    outb(0x21, 0x04); outb(0xA1, 0x02);
    outb(0x21, 0x01); outb(0xA1, 0x01);
    outb(0x21, 0xFE); outb(0xA1, 0xFF);

    uint64_t stretch = (uint64_t)stretch_k * 1000;
    if (halt) {
        while (read_tsc() - load_after < stretch)
            __asm__ volatile("sti; hlt; cli" : : : "memory");
    } else {
        __asm__ volatile("sti");
        while (read_tsc() - load_after < stretch)
            ;
    }

    __asm__ volatile("cli");
    uint64_t stop_before = read_tsc();
    outb(0x43, 0x30);               /* counter 0, mode 0, no count: OUT0 low for good */
    uint64_t stop_after = read_tsc();
    uint32_t before_stop = taken;
    uint64_t quiet_for = 2 * largest_gap > stretch / 4 ? 2 * largest_gap : stretch / 4;
    __asm__ volatile("sti");
    for (;;) {
        __asm__ volatile("cli");
        uint64_t now = read_tsc(), since = taken && last_tick > stop_after ? last_tick : stop_after;
        if (now - since >= quiet_for)
            break;
        __asm__ volatile("sti; nop");
    }
    uint64_t end = read_tsc();

    printf("badguest: ticks hz=%u count=%u how=%s loaded=%llu..%llu stopped=%llu..%llu end=%llu taken=%u "
           "after_stop=%u largest_gap=%llu smallest_gap=%llu\n", hz, (unsigned)count, halt ? "hlt" : "spin",
           load_before, load_after, stop_before, stop_after, end, (unsigned)taken,
           (unsigned)(taken - before_stop), largest_gap, smallest_gap);
    if (quiet)
        return;
    unsigned kept = taken < TICKS_KEPT ? taken : TICKS_KEPT;
    for (unsigned i = 0; i < kept; i += PER_LINE) {
        printf("badguest: tick tsc:");
        for (unsigned k = i; k < kept && k < i + PER_LINE; k++)
            printf(" %llu", tick_tsc[k]);
        printf("\n");
    }
    if (taken > kept)
        printf("badguest: tick tsc: %u more not kept\n", (unsigned)(taken - kept));
}
