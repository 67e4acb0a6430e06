/*
 * attack.h: how the hostile kernel's attacks are written (README.md here
 * explains the suite). One attack is one function that tries one way out of
 * the guest; the kernel runs exactly one per boot (attack=NAME) and ends
 * the run in one of three ways:
 *   - result("...")         prints "hostile: result ..." and powers off 0:
 *                           what the guest saw, compared with the bare CPU's
 *                           answer where the attack says "native";
 *   - an exception          the kernel prints "hostile: result exception V
 *                           error=0x.. cpl=N at=..." and powers off 0
 *                           (at=expected when it hit the instruction
 *                           EXPECT_AT marked: a fault, as a CPU gives it);
 *   - breach("...")         the attack saw itself get past the hypervisor:
 *                           "hostile: BREACH ..." and power-off 1.
 * or the hypervisor stops the guest ("hv: guest stopped: ...").
 *
 *   ATTACK(sysenter_ring0, "msr-sysenter-ring0", "all", "native",
 *          "SYSENTER to a code segment of the guest's choosing") { ... }
 *
 * modes: a list of ept shadow depriv patch icelake (where the attack
 * means something), or "all" for the first four ("all icelake" adds the
 * second CPU model, where the outcome depends on the CPU's features);
 * virtual, vshadow and vdepriv are ept, shadow and depriv with
 * devices=virtual (lab 4: the guest's PIT and PIC the VM's models), for the
 * attacks on the devices and on interrupt delivery; vdelay is virtual with
 * timer_mode=delay, the attack as VM 1 beside a VM 0 that spins, in turns
 * of 1 ms, for the timer attacks whose time must stand still while they
 * are preempted; paged is virtual with the hypervisor paging the VM
 * (resident=, issue 20), for the pseudo page faults' MSRs (attacks_apf.c)
 * and the store (attacks_apf_user.c); and "timed" for an attack that
 * counts timer ticks (or races the page-ins' TSC): it runs without
 * vmcheck=2 (the VM-entry checker before every entry, whose thousands of
 * instructions an exit would stretch each exit over several ticks), and "after:NAME" for an attack on another VM: it
 * runs as VM 1 of two (vms=2), after the attack NAME in VM 0 (whose own
 * expect must hold too; in the devices=virtual modes the two take turns
 * on the CPU instead), and "partner" for an attack that means something
 * only as such a NAME: it never runs alone, and "qemu" for a PC kernel's
 * check: it also boots natively under QEMU (TCG, SeaBIOS, -kernel), and
 * its result in the devices=virtual modes must equal QEMU's as well as
 * its own expectation, and "gated" for an attack on bt=1's INT n through
 * the real IDT (attacks_bt_gate.c): under bt its run must also show at
 * least one INT n from ring 3 through those gates (the hypervisor's
 * "hv: bt gates: N INT n" line), else it fails, and "kiret" likewise for
 * bt=1's IRET back to the kernel (attacks_bt_kiret.c: "N to ring 0
 * translated" in the hypervisor's "hv: bt:" line), and "portio",
 * "privileged", "injected", "rewound", "spaces", "resumed", "hot", "limit" for the paths hostile.py's
 * BT_PATHS names. expect, read by
 * tests/integration/hostile.py:
 *   native          the result line is the bare CPU's, exactly
 *   stop REGEX      the hypervisor stops the guest, with a reason that
 *                   matches REGEX
 *   result TEXT     the attack checks itself and prints "result TEXT"
 *   poweroff N      the guest's own power-off with status N is what counts
 * Several, each for some modes: "native; depriv patch: stop task switch".
 */
#pragma once
#include <stdint.h>
#include "cpu.h"
#include "recover.h"
#include "verdict.h"   /* result, breach */

struct attack {
    const char *name;    /* attack=NAME */
    const char *modes;   /* where it runs */
    const char *expect;  /* how tests/integration/hostile.py judges it */
    const char *what;    /* one line: what it tries */
    void (*run)(void);
};

/* Registers one attack: the linker gathers them in .attacks (kernel.ld),
 * sorted by the function's name, so each file adds its own and no table
 * needs editing. */
#define ATTACK(fn, name_, modes_, expect_, what_)                                   \
    static void fn(void);                                                           \
    static const struct attack attack_##fn                                          \
        __attribute__((used, section(".attacks." #fn), aligned(4))) =               \
        { name_, modes_, expect_, what_, fn };                                      \
    static void fn(void)


/* The instruction expected to fault next: EXPECT_AT("insn") stores its
 * address in expect_eip just before running it, so the exception line says
 * at=expected (a hypervisor that advanced EIP before injecting shows). */
extern uint32_t expect_eip;
#define EXPECT_AT(insn) "movl $1f, expect_eip\n1: " insn "\n"

/* WRMSR and RDMSR expected to fault (EXPECT_AT). */
static inline void wrmsr_at(uint32_t msr, uint64_t v)
{
    __asm__ volatile(EXPECT_AT("wrmsr") : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
                     : "memory");
}

static inline uint64_t rdmsr_at(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile(EXPECT_AT("rdmsr") : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
    return (uint64_t)hi << 32 | lo;
}

/* The end of the RAM above 1 MiB, from the Multiboot information's
 * mem_upper (main.c); 0 if the loader gave none. */
extern uint32_t ram_top;

/* ---- The machine the attacks start from (main.c, user.c) --------------- *
 * GDT: 0x08 kernel code, 0x10 kernel data (DPL 0, flat), 0x18 user code,
 * 0x20 user data (DPL 3, flat), 0x28 the TSS (ESP0 = a kernel stack),
 * 0x30-0x78 free for the attacks (gdt_set). IDT: the 32 exceptions, and
 * vector 0x81 (DPL 3) back from ring 3. Paging off until paging_on(). */
#define KCODE 0x08
#define KDATA 0x10
#define UCODE 0x1B
#define UDATA 0x23
#define TSS_SEL 0x28
#define GDT_FREE 6         /* the first free index */
#define GDT_ENTRIES 16

extern uint64_t gdt[GDT_ENTRIES];
extern uint32_t tss[26];   /* 104 bytes: ESP0 at 4, SS0 at 8 */
void gdt_set(unsigned index, uint64_t descriptor);
/* LGDT of gdt again: cpu=deprivileged copies the guest's GDT at LGDT only
 * (as a CPU caches nothing but the segment registers), so after gdt_set
 * an attack that loads the new selector reloads first. */
void gdt_reload(void);
/* A segment descriptor: base, limit (in bytes, or pages with G), the access
 * byte (P, DPL, S, type) and the flags nibble (G, D/B), SDM 3.4.5. */
uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);
void set_gate(unsigned vector, uint32_t handler, uint16_t selector, uint8_t type_attr);

/* Two VMs in turns (devices=virtual, attacks_vms.c): run until the other VM
 * has had `turns` turns, each seen as a jump of the TSC (which counts wall
 * time: a turn is 40,000 ticks, an exit of this VM's a few thousand at
 * most), calling check(seen) after each; a result if the other never runs. */
void after_each_other_turn(unsigned turns, void (*check)(unsigned seen));
/* The 8259s remapped to vectors 0x20/0x28 with only IRQ 0 open (its gate
 * the counting timer_stub of ../common/entry.S, and an IRET at 0x27 for the
 * spurious IRQ 7), the 8254's channel 0 at hz; and off again (interrupts
 * off, IRQ 0 masked). attacks_events.c. */
void timer_on(unsigned hz);
void timer_off(void);

/* A #DB handler (attacks_events.c) that counts, keeps the EIP it returns
 * to, and clears TF in the frame: the first single-step trap only. */
extern uint32_t db_count, db_eip;
void single_step_stub(void);

/* Runs fn at ring 3 (CS 0x1B, DS/ES/SS 0x23, its own stack, IF as the
 * kernel's) and returns when fn returns or an exception is recovered.
 * An exception in ring 3 outside TRY ends the run as above, cpl=3. */
void run_user(void (*fn)(void));

/* Identity-maps the first 4 MiB with 4 KiB pages (user-accessible where
 * user is true) and turns paging on; page_dir and the low table are the
 * attacks' to change afterwards. */
extern uint32_t page_dir[1024];
extern uint32_t low_pt[1024];
void paging_on(int user);

/* Port I/O, and a line on the console as the guest's own. */
#include "x86io.h"
#include "printf.h"
