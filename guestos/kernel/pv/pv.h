/* pv.h: what the PV kernel's platform files (pv/) offer each other. */
#pragma once
#include <stdint.h>

/* events.c */
void init_events(void);
uint32_t bind_virq(uint32_t virq, void (*handler)(void));
void unmask_events(void);

/* mmu.c */
extern int pv_batching;             /* 0 with pvbatch=0: every update its own hypercall */
void pv_read_options(void);
uint32_t *direct_map_pte(const void *va);
void mmu_send_queue(void);
void pgdir_leaving(void *page);     /* page stops being a directory: not the CPU's */

/* time.c */
void init_pv_timer(void);

/* balloon.c */
void init_balloon(void);
