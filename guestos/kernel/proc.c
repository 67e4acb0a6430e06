/*
 * proc.c: creating and ending processes: spawn (a program from a boot
 * module), fork (copy-on-write), exit, wait, and the kernel's kill.
 *
 * Each process has one page of kernel stack. Its top holds the trap frame
 * (the user registers); below it, a saved context whose EIP is trapret, so
 * the first switch to a new process "returns" to user mode through the
 * same IRET path as every trap.
 */
#include <stdarg.h>
#include "defs.h"
#include "mmu.h"
#include "plat.h"
#include "../../lib/printf.h"
#include "../../lib/fmt.h"
#include "../../lib/string.h"

struct proc procs[NPROC];
static struct proc *init_proc;  /* the kernel's own process: adopts orphans */
static int next_pid = 1;

/* A new EMBRYO process with a kernel stack, or NULL if none is free. */
static struct proc *alloc_proc(const char *name)
{
    uint32_t flags = irq_save();
    struct proc *p = procs;
    while (p < &procs[NPROC] && p->state != UNUSED)
        p++;
    if (p == &procs[NPROC]) {
        irq_restore(flags);
        printf("guestos: no free process slot for %s\n", name);
        return NULL;
    }
    p->state = EMBRYO;
    p->pid = next_pid++;
    irq_restore(flags);

    if (!(p->kstack = kalloc())) {
        printf("guestos: out of memory starting %s\n", name);
        p->state = UNUSED;
        return NULL;
    }
    snprintf(p->name, sizeof p->name, "%s", name);
    char *sp = p->kstack + KSTACK_SIZE - sizeof *p->tf;
    p->tf = (struct trapframe *)sp;
    sp -= sizeof *p->context;
    p->context = (struct context *)sp;
    p->context->eip = (uint32_t)NEW_PROCESS_ENTRY;     /* trapret (plat.h) */
    p->pgdir = NULL;
    p->parent = NULL;
    memset(p->fds, 0, sizeof p->fds);
    return p;
}

/* Undo alloc_proc (and whatever address space was made) for a failed start. */
static void free_embryo(struct proc *p)
{
    if (p->pgdir)
        free_pgdir(p->pgdir);
    kfree(p->kstack);
    p->state = UNUSED;
}

static void make_runnable(struct proc *p)
{
    uint32_t flags = irq_save();
    p->state = RUNNABLE;
    irq_restore(flags);
}

static _Noreturn void kernel_process_returned(void)
{
    panic("kernel process %s returned", current->name);
}

/* A process that runs fn in the kernel, with the kernel's address space. */
struct proc *spawn_kernel_process(const char *name, void (*fn)(void))
{
    struct proc *p = alloc_proc(name);
    if (!p)
        panic("cannot create the %s process", name);
    /* fn's return address sits just above its context on the stack */
    uint32_t *ret = (uint32_t *)(p->kstack + KSTACK_SIZE) - 1;
    *ret = (uint32_t)kernel_process_returned;
    p->context = (struct context *)ret - 1;
    memset(p->context, 0, sizeof *p->context);
    p->context->eip = (uint32_t)fn;
    if (!init_proc)
        init_proc = p;
    make_runnable(p);
    return p;
}

/* Start the program of boot module `name` as a child of parent.
 * Returns its pid, or -1 if there is no such module or it cannot run. */
int spawn_program(struct proc *parent, const char *name)
{
    const struct module *m = find_module(name);
    if (!m)
        return -1;
    struct proc *p = alloc_proc(name);
    if (!p)
        return -1;
    uint32_t entry;
    if (!(p->pgdir = create_pgdir()) || load_elf(p, m, &entry) < 0) {
        free_embryo(p);
        return -1;
    }
    memset(p->tf, 0, sizeof *p->tf);
    p->tf->cs = SEG_UCODE;
    p->tf->ds = p->tf->es = p->tf->fs = p->tf->gs = p->tf->ss = SEG_UDATA;
    p->tf->eflags = EFLAGS_IF;
    p->tf->eip = entry;
    p->tf->esp = USERTOP - 16;      /* slack: exit's stub reads three argument slots */
    for (int fd = 0; fd < 3; fd++)
        p->fds[fd].kind = FD_CONSOLE;
    p->parent = parent;
    make_runnable(p);
    return p->pid;
}

/* fork: the child is a copy of parent sharing its pages copy-on-write; it
 * returns 0 from the system call. Returns the child's pid, or -1. */
int fork_process(struct proc *parent)
{
    struct proc *p = alloc_proc(parent->name);
    if (!p)
        return -1;
    if (!(p->pgdir = copy_pgdir_cow(parent->pgdir))) {
        printf("guestos: out of memory in fork\n");
        free_embryo(p);
        return -1;
    }
    p->heap_base = parent->heap_base;
    p->brk = parent->brk;
    *p->tf = *parent->tf;
    p->tf->eax = 0;
    for (int fd = 0; fd < NOFILE; fd++) {
        p->fds[fd] = parent->fds[fd];
        dup_fd(&p->fds[fd]);
    }
    p->parent = parent;
    make_runnable(p);
    return p->pid;
}

/* End p (the current process): release its memory and files, hand its
 * children to init, and leave a ZOMBIE for the parent's wait(). Its kernel
 * stack, still in use here, is freed by wait_child(). */
_Noreturn void exit_process(struct proc *p, int status)
{
    if (p == init_proc)
        panic("the init process exited (status %d)", status);
    for (int fd = 0; fd < NOFILE; fd++)
        close_fd(&p->fds[fd]);
    switch_to_pgdir(NULL);
    free_pgdir(p->pgdir);
    p->pgdir = NULL;

    irq_save();     /* never restored: this process does not run again */
    for (struct proc *c = procs; c < &procs[NPROC]; c++)
        if (c->parent == p && c->state != UNUSED) {
            c->parent = init_proc;
            if (c->state == ZOMBIE)
                wake_up(init_proc);
        }
    p->status = status;
    p->state = ZOMBIE;
    wake_up(p->parent);
    switch_to_scheduler();
    panic("zombie %d ran again", p->pid);
}

/* Kill p for what its code did: say why, then exit with KILLED_STATUS. */
_Noreturn void kill_process(struct proc *p, int trapno, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("guestos: killed pid %d (%s): ", p->pid, p->name);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    exit_process(p, KILLED_STATUS(trapno));
}

/* Wait for a child of p to exit; returns its pid and stores its status,
 * or returns -1 at once if p has no children; without block, 0 at once
 * if none has exited yet. */
int wait_child(struct proc *p, int *status, int block)
{
    uint32_t flags = irq_save();
    for (;;) {
        int children = 0;
        for (struct proc *c = procs; c < &procs[NPROC]; c++) {
            if (c->parent != p || c->state == UNUSED)
                continue;
            children++;
            if (c->state == ZOMBIE) {
                int pid = c->pid;
                *status = c->status;
                kfree(c->kstack);
                c->parent = NULL;
                c->state = UNUSED;
                irq_restore(flags);
                return pid;
            }
        }
        if (!children || !block) {
            irq_restore(flags);
            return children ? 0 : -1;
        }
        sleep_on(p);
    }
}
