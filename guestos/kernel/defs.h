/* defs.h: the functions each kernel file offers the others (xv6 style). */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "proc.h"

struct trapframe;
struct module;

/* bootinfo.c */
struct module {
    uint32_t start, end;        /* physical */
    char name[32];              /* basename without ".elf" */
};
void bootinfo_copy(uint32_t magic, uint32_t mbi_pa);
const char *boot_cmdline(void);
const char *boot_option(const char *name);
int boot_module_count(void);
const struct module *boot_module(int i);
const struct module *find_module(const char *name);
uint32_t boot_ram_top(void);
void clip_usable_memory(uint32_t lo, uint32_t hi);
void free_usable_memory(uint32_t lo, uint32_t hi);

/* kalloc.c */
void kfree_range(uint32_t lo, uint32_t hi);
void *kalloc(void);
void kfree(void *va);
void page_ref(uint32_t pa);
void page_unref(uint32_t pa);
int page_refcount(uint32_t pa);
uint32_t free_page_count(void);

/* vm.c */
void map_kernel(uint32_t ram_top);
void map_kernel_device(uint32_t va, uint32_t pa);
uint32_t *create_pgdir(void);
void free_pgdir(uint32_t *pgdir);
int map_user_page(uint32_t *pgdir, uint32_t va, uint32_t pa, uint32_t perm);
uint32_t *copy_pgdir_cow(uint32_t *pgdir);
int handle_user_fault(struct proc *p, uint32_t va, int write);
int copy_to_user(struct proc *p, uint32_t dst, const void *src, uint32_t n);
int copy_from_user(struct proc *p, void *dst, uint32_t src, uint32_t n);
int copy_string_from_user(struct proc *p, char *dst, uint32_t src, uint32_t max);
int resize_heap(struct proc *p, int32_t delta, uint32_t *old_brk);
int user_pte_flags(struct proc *p, uint32_t va, uint32_t clear);
int swap_user_pages(struct proc *p, uint32_t va1, uint32_t va2);
void switch_to_pgdir(uint32_t *pgdir);

/* seg.c */
void init_segments(void);
void set_kernel_stack(uint32_t esp0);
uint32_t gdt_address(void);

/* trap.c */
uint32_t idt_address(void);
void init_traps(void);
void set_interrupt_gate(int vector, void (*entry)(void));
const char *trap_name(uint32_t trapno);
void dump_trapframe(const struct trapframe *tf);

/* panic.c */
_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* pic.c, pit.c, lapic.c, timer.c, uart.c */
void enable_irq(int irq);
void ack_irq(int irq);
#define PIT_HZ 1193182          /* the PIT's input clock */
void init_pit(void);
void pit_start_oneshot(uint16_t count);
int pit_oneshot_done(void);
#define LAPIC_TIMER_VECTOR    0x40  /* above the PIC's 32-47, below int 0x80 */
#define LAPIC_SPURIOUS_VECTOR 0xFF  /* P6 APICs fix its bits 3:0 at 1 (SDM vol. 3, 11.9) */
void init_lapic_timer(void);
void lapic_eoi(void);
void handle_tick(void);
extern int preempt_due;     /* a tick came since trap() last preempted (timer.c) */
uint32_t ticks_now(void);
uint32_t ms_now(void);
const void *tick_channel(void);
#define TICK_HZ 100
#define MS_PER_TICK (1000 / TICK_HZ)
void handle_uart_irq(void);
int read_console(char *buf, int n);
void console_input(const char *s, uint32_t n);

/* elf.c */
int load_elf(struct proc *p, const struct module *m, uint32_t *entry);

/* proc.c */
void init_procs(void);
struct proc *spawn_kernel_process(const char *name, void (*fn)(void));
int spawn_program(struct proc *parent, const char *name);
int fork_process(struct proc *parent);
_Noreturn void exit_process(struct proc *p, int status);
_Noreturn void kill_process(struct proc *p, int trapno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int wait_child(struct proc *p, int *status, int block);

/* apf.c: pseudo page faults (apf=1) */
struct apf_stat;
void apf_init(void);
int apf_pseudo_fault(void);         /* 1: it was one, and the process waited for its page */
void apf_page_ready(void);
void apf_stat(struct apf_stat *out);

/* swap.c: the guest's own swap (swap=N) */
void swap_init(void);
uint32_t *walk_user(uint32_t *pgdir, uint32_t va);   /* vm.c */
int swap_out_range(struct proc *p, uint32_t va, uint32_t pages);
int swap_in(uint32_t *pte);
void swap_forget(uint32_t e);
void swap_stat(struct apf_stat *out);
void apf_pageout_hint(uint32_t pa);

/* sched.c */
_Noreturn void run_scheduler(void);
void yield_cpu(void);
void switch_to_scheduler(void);
void sleep_on(const void *chan);
void wake_up(const void *chan);
void swtch(struct context **old, struct context *new);

/* syscall.c */
void handle_syscall(struct trapframe *tf);

/* pipe.c */
int create_pipe(struct proc *p, int fds[2]);
int read_pipe(struct pipe *pi, struct proc *p, uint32_t buf, int n);
int write_pipe(struct pipe *pi, struct proc *p, uint32_t buf, int n);
void dup_fd(struct fd *f);
void close_fd(struct fd *f);

/* virtprobe.c */
struct virtprobe;
void run_virtprobe(struct virtprobe *out);

/* runner.c */
void run_chosen_programs(void);
