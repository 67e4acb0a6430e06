/* conform.h: what the conformance kernel's files share (main.c has the
 * protocol): its machine (GDT, IDT, TSS, paging), the checks' reporting,
 * and the actions the table in main.c finds in the others. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "cpu.h"

#define KCODE   0x08
#define KDATA   0x10
#define TSS_SEL 0x18
#define GDT_ENTRIES 4
#define IDT_ENTRIES 48
#define TIMER_VEC 0x20          /* IRQ 0 once the PIC is remapped (sensitive.c) */

extern uint64_t gdt[GDT_ENTRIES];
extern uint64_t idt[IDT_ENTRIES];
/* type_attr 0x8E: a 32-bit interrupt gate, DPL 0 (SDM vol. 3, 6.11). */
void set_gate(unsigned vector, uint32_t handler);
void load_idt(void);            /* LIDT of idt: after set_gate, as a hypervisor may copy it then */

/* Paging (main.c): the first 4 MiB identity-mapped by low_pt, writable;
 * PROBE_VA's 4 MiB by probe_pt, whose entries the probes choose. */
#define PROBE_VA 0x00800000u
extern uint32_t low_pt[1024], probe_pt[1024];
void paging_on(void);
void page_present(uint32_t va, bool present);   /* the PTE of va, in either table, and INVLPG */

/* Checks: check() counts one, and on a mismatch prints
 *   conform: NAME FAIL what=0x... want 0x...
 * then the action's test ends with end_test(): "conform: NAME ok" if
 * every check of it held. */
void begin_test(const char *name);
void check(const char *what, uint32_t got, uint32_t want);
void end_test(void);

/* The actions (do=NAME). */
void do_smc(void);          /* smc.c */
void do_faults(void);       /* faults.c */
void do_sensitive(void);    /* sensitive.c */
void do_interrupts(void);   /* sensitive.c */
void do_indirect(void);     /* indirect.c */
