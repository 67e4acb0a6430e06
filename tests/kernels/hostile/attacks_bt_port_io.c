/*
 * attacks_bt_port_io.c: IN and OUT in the kernel while the timer
 * interrupts it everywhere. Under bt=1 IN and OUT are copied into the
 * translation, and the hypervisor does the port's work at their I/O exit
 * without leaving it (depriv_bt.c, stay_for_port_io); when an interrupt is
 * to come right then (a tick due, or the OUT that unmasks one waiting in
 * the PIC), it leaves the translation before the guest's next instruction:
 * in the same block, or at the block's end where the OUT is the last
 * instruction of its page. The bare CPU takes an interrupt only at an
 * instruction boundary (SDM vol. 3, 6.6): every EIP the tick's frame holds
 * inside the run must be one, the reads must read the PIC's mask, and no
 * register or flag may change.
 *
 * The timer at 200 Hz, as attacks_bt_gate_timer.c says why.
 */
#include "attack.h"

extern volatile uint32_t timer_ticks;   /* ../common/entry.S's timer_stub */

#define RUNS 2000u
#define TIMER_VEC 0x20

/* The run, two pages of it: IN and OUT mid-block, then an OUT that is the
 * last instruction of its page (a block never spans two, hv/bt/README.md),
 * so that the instruction after it is in the next block. First the PIT's
 * counter 0 latched and read, low byte then high (8254 data sheet: the
 * reads alternate), into BX: an IN done twice (an interrupt taken before
 * it after its port's work was done) would read the high byte as the low
 * and then the running count, not a count the 200 Hz divisor allows. The
 * PIC's mask is 0xFE (only IRQ 0 open) before and after; while it is 0xFF
 * a tick waits in the IRR, and the OUT that puts 0xFE back lets it in.
 * CL and CH: two reads of the mask. */
extern char port_io_run[], port_io_run_end[];
__asm__(".text\n"
        ".p2align 12\n"
        ".globl port_io_run, port_io_run_end\n"
        "port_io_run:\n"
        "    movb $0x00, %al\n"             /* +0 */
        "    outb %al, $0x43\n"             /* +2: latch counter 0 */
        "    inb $0x40, %al\n"              /* +4: its low byte */
        "    movb %al, %bl\n"               /* +6 */
        "    inb $0x40, %al\n"              /* +8: its high byte */
        "    movb %al, %bh\n"               /* +10 */
        "    inb $0x21, %al\n"              /* +12 */
        "    movb %al, %cl\n"               /* +14 */
        "    movb $0xFF, %al\n"             /* +16 */
        "    outb %al, $0x21\n"             /* +18: every IRQ masked */
        "    movw $0x21, %dx\n"             /* +20 */
        "    movb %cl, %al\n"               /* +24 */
        "    outb %al, %dx\n"               /* +26: IRQ 0 open again */
        "    jmp 1f\n"                      /* +27 */
        "    .org port_io_run + 4092, 0xCC\n"
        "1:  inb %dx, %al\n"                /* +4092 */
        "    movb %al, %ch\n"               /* +4093 */
        "    outb %al, %dx\n"               /* +4095: the page's last */
        "    ret\n"                         /* +4096 */
        "port_io_run_end:\n");

static const uint16_t boundaries[] = { 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 24, 26, 27, 4092, 4093, 4095, 4096 };

#define DIVISOR (1193182u / 200u)        /* timer_on's, at 200 Hz */

static volatile uint32_t ticks_in_run, off_boundary;

/* The tick's handler, as timer_stub but keeping where it came. */
void port_io_tick(void);
void port_io_seen(uint32_t eip);
__asm__(".text\n.globl port_io_tick\nport_io_tick:\n"
        "    pushal\n"
        "    pushl 32(%esp)\n"              /* the frame's EIP */
        "    call port_io_seen\n"
        "    addl $4, %esp\n"
        "    movb $0x20, %al\n"
        "    outb %al, $0x20\n"
        "    popal\n"
        "    iret\n");

void port_io_seen(uint32_t eip)
{
    timer_ticks++;
    uint32_t at = eip - (uint32_t)port_io_run;
    if (eip < (uint32_t)port_io_run || eip >= (uint32_t)port_io_run_end)
        return;
    ticks_in_run++;
    for (unsigned i = 0; i < sizeof(boundaries) / sizeof(boundaries[0]); i++)
        if (at == boundaries[i])
            return;
    off_boundary++;
}

ATTACK(bt_port_io_interrupted, "bt-port-io-interrupted", "all virtual vshadow vdepriv vdelay timed portio",
       "result ticks landed in the run, 0 off an instruction boundary, 0 of 2000 runs read wrong or changed "
       "a register or flag",
       "2000 runs of IN and OUT to the PIC's mask in the kernel, one the last of its page, the timer at 200 Hz: "
       "interrupts only at instruction boundaries, nothing changed by them")
{
    timer_on(200);
    set_gate(TIMER_VEC, (uint32_t)port_io_tick, KCODE, 0x8E);
    __asm__ volatile("sti");
    uint32_t bad = 0;
    for (uint32_t i = 0; i < RUNS; i++) {
        uint32_t b, c, s = i, d = ~i, s2, d2, flags;
        __asm__ volatile("stc\n\t"
                         "call port_io_run\n\t"
                         "pushfl\n\tpopl %[flags]"
                         : "=b"(b), "=c"(c), [flags] "=m"(flags), "=S"(s2), "=D"(d2)
                         : "S"(s), "D"(d)
                         : "eax", "edx", "memory", "cc");
        uint32_t count = b & 0xFFFF;
        if (count > DIVISOR || (c & 0xFFFF) != 0xFEFE || s2 != s || d2 != d || !(flags & 1))
            bad++;
    }
    timer_off();
    result("ticks %s in the run, %u off an instruction boundary, %u of %u runs read wrong or changed a "
           "register or flag", ticks_in_run ? "landed" : "never landed", (unsigned)off_boundary, (unsigned)bad, RUNS);
}
