/* pv.h: what the PV kernel's platform files (pv/) offer each other. */
#pragma once
#include <stdint.h>

/* events.c */
void init_events(void);
uint32_t bind_virq(uint32_t virq, void (*handler)(void));
void listen_on_port(uint32_t port, void (*handler)(void));     /* handler for its events, unmasked */
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

/* console.c */
void console_io_write(const char *s, uint32_t n);

/* console_front.c: the split console's front end (console=split) */
void split_console_init(int vq);     /* vq: over a virtqueue (ring=vq), else Xen's ring */
int split_console_active(void);
void split_console_write(const char *s, uint32_t n);
void split_console_drain(void);
void split_console_report(void);

/* console_back.c: its back end in a driver VM (backend=console) */
void console_back_start(void);
