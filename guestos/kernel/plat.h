/*
 * plat.h: the platform layer. Every privileged operation of the kernel, in
 * two versions side by side: the native one (an instruction, a device), and
 * the paravirtual one, which asks the hypervisor (lib/pv_abi.h) instead.
 * The rest of the kernel calls only these, so the same sources build both
 * kernels: build/guestos/kernel.elf (native, as always) and, with
 * -DGUESTOS_PV, build/guestos-pv/kernel.elf, which runs only under the
 * hypervisor's cpu=pv (README.md, "The PV build"). Xen's ports of Linux
 * (pv_ops) and NetBSD were made the same way.
 *
 *   operation                native                     PV (pv/)
 *   page-table entry write   a store                    mmu_update            mmu.c
 *   a batch of them          nothing                    one multicall         mmu.c
 *   a new/freed table        nothing                    read-only, pinned     mmu.c
 *   a freed table kept       no (kfree)                 kept pinned, reused   table_cache.c
 *   CR3 load                 MOV CR3                    MOV CR3 (it exits) or mmu.c
 *                                                       NEW_BASEPTR queued
 *   TLB flush, INVLPG        the instructions           MMUEXT_*_LOCAL        mmu.c
 *   entry <-> address        the address itself         P2M / M2P             below
 *   interrupts off/on        PUSHF; CLI / POPF          the upcall mask       below, events.c
 *   idle                     STI; HLT                   sched_op block        events.c
 *   devices and the clock    PIC, PIT or APIC, UART     events, set_timer_op  start.c, time.c
 *   console output           the UART (lib/serial.c)    console_io            console.c
 *   power-off                ports (lib/poweroff.c)     sched_op shutdown     poweroff.c
 *   the boot                 boot.S (paging off)        start.S (paging on)   start.c
 *
 * The batch rule (both kernels, so the native one keeps PV's discipline):
 * between mmu_batch_begin() and mmu_batch_end() an entry written may not be
 * read back, since the PV kernel's write is still in its queue; end (which
 * flushes) before reading it or before the page is used as a table.
 */
#pragma once
#include <stdint.h>
#include "mmu.h"
#include "x86.h"

#define PT_L1 1     /* a page table */
#define PT_L2 2     /* a page directory */

/* The vector of the hypervisor's event upcalls (set_callbacks): Linux's
 * HYPERVISOR_CALLBACK_VECTOR. Natively no IDT gate has it. */
#define EVENT_UPCALL_VECTOR 0xF3

#ifndef GUESTOS_PV
/* ------------------------------ native ------------------------------ */

/* Entries hold physical addresses, which are the kernel's own. */
static inline uint32_t pte_make(uint32_t pa, uint32_t flags) { return pa | flags; }
static inline uint32_t pte_pa(uint32_t e) { return PTE_ADDR(e); }

static inline void set_pte(uint32_t *pte, uint32_t e) { *pte = e; }
static inline void set_pde(uint32_t *pde, uint32_t e) { *pde = e; }
static inline void mmu_batch_begin(void) {}
static inline void mmu_batch_end(void) {}

/* Any page may be a table, and any table may be written. */
static inline void pin_page_table(void *page, int level) { (void)page, (void)level; }
static inline void unpin_page_table(void *page) { (void)page; }
#define TABLES_PINNED 0     /* a table is a page like any other at once */

/* No table is kept for reuse: a freed one is a free page at once. */
static inline void *reuse_page_table(int level) { (void)level; return 0; }
void kfree(void *va);
static inline void free_page_table(void *page, int level) { (void)level, kfree(page); }
static inline uint32_t page_tables_kept(void) { return 0; }
static inline int give_back_page_tables(void) { return 0; }

static inline void load_pgdir(uint32_t *pgdir) { load_cr3(V2P(pgdir)); }
static inline void tlb_flush_page(uint32_t va) { invlpg(va); }
static inline void tlb_flush_all(void) { load_cr3(read_cr3()); }
/* After entries lost rights (fork's copy-on-write): natively the TLB still
 * holds the old ones; the PV hypervisor flushed already (pv_abi.h s. 5). */
static inline void tlb_flush_taken(void) { tlb_flush_all(); }

/* pushf; cli ... popf: they nest, and leave IF as they found it. (The
 * trap-and-emulate lab depends on this habit: at ring 1 POPF silently keeps
 * IF unchanged, so the hypervisor must find and patch these POPFs.) */
static inline uint32_t irq_save(void)
{
    uint32_t flags;
    __asm__ volatile("pushf; pop %0; cli" : "=r"(flags) : : "memory");
    return flags;
}

static inline void irq_restore(uint32_t flags)
{
    __asm__ volatile("push %0; popf" : : "r"(flags) : "memory", "cc");
}

/* Wait for an interrupt with interrupts enabled, then disable them again. */
static inline void idle_wait(void) { __asm__ volatile("sti; hlt; cli" : : : "memory"); }

/* An interrupt gate cleared IF: that is all the masking a handler needs. */
static inline uint32_t trap_irq_enter(void) { return 0; }
static inline void trap_irq_exit(uint32_t saved) { (void)saved; }

/* Natively the vector is the hypervisor's "page ready" (apf=1, apf.c). */
void apf_page_ready(void);
static inline void handle_event_upcall(void) { apf_page_ready(); }

/* A new process's first switch goes to trapret: its IRET loads IF. */
extern char trapret[];
#define NEW_PROCESS_ENTRY trapret

/* The devices: the PIC, the clock (timer=), the UART's input. */
void init_pic(void);
void init_timer(void);
void init_uart(void);
static inline void init_devices(void) { init_pic(); init_timer(); init_uart(); }

/* boot.S's page directory; the loader's memory map is the truth. */
extern uint32_t boot_pgdir[1024];
static inline uint32_t *boot_page_directory(void) { return boot_pgdir; }
static inline void reserve_platform_memory(void) {}

/* No device is served to another VM, and every page is the kernel's own. */
static inline void wait_device_backends(void) {}
static inline int foreign_page_fault(uint32_t va) { (void)va; return 0; }

#else
/* -------------------------------- PV -------------------------------- */
#include "../../lib/pv_abi.h"

/* Entries hold MACHINE addresses (direct paging): pfn -> mfn through the
 * P2M list the builder gave (start_info.mfn_list), mfn -> pfn through the
 * hypervisor's read-only M2P table. */
extern uint32_t *pv_p2m;
static inline uint32_t pte_make(uint32_t pa, uint32_t flags) { return pv_p2m[pa >> 12] << 12 | flags; }
static inline uint32_t pte_pa(uint32_t e) { return ((const uint32_t *)PV_M2P_VIRT)[e >> 12] << 12; }

/* The CPU walks these tables: every write is the hypervisor's to check.
 * They queue an mmu_update (or mmuext_op) request; outside a batch the
 * queue goes at once, inside it at mmu_batch_end(), as one multicall. */
void set_pte(uint32_t *pte, uint32_t e);
#define set_pde set_pte
void mmu_batch_begin(void);
void mmu_batch_end(void);

/* A table may not be mapped writable: its direct-map entry becomes
 * read-only, then it is pinned (validated); the reverse when freed. */
void pin_page_table(void *page, int level);
void unpin_page_table(void *page);
#define TABLES_PINNED 1     /* unpinned, a table is a page again once the batch went */

/* A freed table, its user entries cleared, is kept pinned (read-only,
 * validated: a directory with the kernel's half) and reused as it is: a
 * fork then pins nothing and the hypervisor validates no kernel half
 * (Linux's page-table quicklists did the same for Xen). reuse_page_table:
 * an empty kept table of level, or NULL; free_page_table: kept, or
 * unpinned and freed; page_tables_kept: how many (free pages in all but
 * name: give_back_page_tables frees them all, 0 when it had none). */
void *reuse_page_table(int level);
void free_page_table(void *page, int level);
uint32_t page_tables_kept(void);
int give_back_page_tables(void);

void load_pgdir(uint32_t *pgdir);
void tlb_flush_page(uint32_t va);
void tlb_flush_all(void);
void tlb_flush_taken(void);

/* Interrupts off is the shared-info page's upcall mask: plain stores, no
 * exit. Unmasking with an event pending asks for the upcall at once (any
 * hypercall delivers it, pv_abi.h section 6). The CPU's own IF stays 1. */
extern struct pv_vcpu_info *pv_vcpu;
void pv_force_upcall(void);
static inline uint32_t irq_save(void)
{
    uint32_t masked = pv_vcpu->evtchn_upcall_mask;
    pv_vcpu->evtchn_upcall_mask = 1;
    __asm__ volatile("" : : : "memory");
    return masked;
}

static inline void irq_restore(uint32_t masked)
{
    __asm__ volatile("" : : : "memory");
    pv_vcpu->evtchn_upcall_mask = (uint8_t)masked;
    __asm__ volatile("" : : : "memory");
    if (!masked && pv_vcpu->evtchn_upcall_pending)
        pv_force_upcall();
}

void idle_wait(void);       /* sched_op block: unmasks, sleeps till an event */
void handle_event_upcall(void);     /* each pending event channel's handler */

/* The upcall's gate (and an exception's) cleared IF: move that to the
 * mask, and turn IF on again, so that a handler that switches away leaves
 * the next process with IF on. 2 = "the gate did not mask" (a trap gate). */
static inline uint32_t trap_irq_enter(void)
{
    if (read_eflags() & EFLAGS_IF)
        return 2;
    uint32_t masked = irq_save();
    __asm__ volatile("sti" : : : "memory");
    return masked;
}

static inline void trap_irq_exit(uint32_t saved)
{
    if (saved != 2)
        irq_restore(saved);
}

/* A new process leaves the scheduler's masked state: unmask, then trapret. */
extern char pv_new_process_entry[];
#define NEW_PROCESS_ENTRY pv_new_process_entry

void init_devices(void);    /* events, the timer (start.c) */

/* The builder's page directory; its start info says which frames are in use. */
uint32_t *boot_page_directory(void);
void reserve_platform_memory(void);

/* A driver VM (backend=console) serves another VM's console until that
 * VM is gone: the last process waits for it before the power-off. A
 * kernel fault at a page another VM granted and then revoked is the back
 * end's to recover (1), not a panic (pv/console_back.c). */
void console_back_wait(void);
int console_back_fault(uint32_t va);
static inline void wait_device_backends(void) { console_back_wait(); }
static inline int foreign_page_fault(uint32_t va) { return console_back_fault(va); }
#endif
