/*
 * syscall.c: the system calls (numbers and conventions in syscall.h).
 *
 * The INT 0x80 gate is a trap gate, so system calls run with interrupts on
 * (as the user had them). Pointers from the user are never dereferenced
 * directly: copy_to_user/copy_from_user walk the page tables, and a bad
 * pointer kills the caller with a message.
 */
#include "defs.h"
#include "mmu.h"
#include "syscall.h"
#include "virtprobe.h"
#include "plat.h"
#include "../../lib/printf.h"
#include "../../lib/serial.h"

#define T_PGFLT 14

static _Noreturn void kill_bad_pointer(struct proc *p, uint32_t addr, const char *call)
{
    kill_process(p, T_PGFLT, "bad pointer 0x%08x passed to %s", addr, call);
}

static struct fd *lookup_fd(struct proc *p, uint32_t fd)
{
    return fd < NOFILE && p->fds[fd].kind != FD_NONE ? &p->fds[fd] : NULL;
}

static int sys_exit(struct proc *p, struct trapframe *tf)
{
    exit_process(p, tf->ebx & 0xFF);
}

/* Console writes go out in chunks, each whole (a line never interleaves). */
static int sys_write(struct proc *p, struct trapframe *tf)
{
    struct fd *f = lookup_fd(p, tf->ebx);
    uint32_t buf = tf->ecx;
    int n = (int)tf->edx;
    if (!f || n < 0)
        return -1;
    if (f->kind == FD_PIPE_WRITE)
        return write_pipe(f->pipe, p, buf, n);
    if (f->kind != FD_CONSOLE)
        return -1;
    char chunk[256];
    for (int done = 0; done < n;) {
        int len = n - done < (int)sizeof chunk ? n - done : (int)sizeof chunk;
        if (copy_from_user(p, chunk, buf + done, len) < 0)
            kill_bad_pointer(p, buf + done, "write");
        serial_write(chunk, len);
        done += len;
    }
    return n;
}

static int sys_read(struct proc *p, struct trapframe *tf)
{
    struct fd *f = lookup_fd(p, tf->ebx);
    int n = (int)tf->edx;
    if (!f || n < 0)
        return -1;
    if (f->kind == FD_PIPE_READ)
        return read_pipe(f->pipe, p, tf->ecx, n);
    if (f->kind != FD_CONSOLE)
        return -1;
    char chunk[64];
    int got = read_console(chunk, n < (int)sizeof chunk ? n : (int)sizeof chunk);
    if (copy_to_user(p, tf->ecx, chunk, got) < 0)
        kill_bad_pointer(p, tf->ecx, "read");
    return got;
}

static int sys_fork(struct proc *p, struct trapframe *tf)
{
    (void)tf;
    return fork_process(p);
}

static int sys_spawn(struct proc *p, struct trapframe *tf)
{
    char name[32];
    if (copy_string_from_user(p, name, tf->ebx, sizeof name) < 0)
        kill_bad_pointer(p, tf->ebx, "spawn");
    return spawn_program(p, name);
}

static int wait_for(struct proc *p, struct trapframe *tf, int block)
{
    int status = 0;
    int pid = wait_child(p, &status, block);
    if (pid >= 0 && tf->ebx && copy_to_user(p, tf->ebx, &status, sizeof status) < 0)
        kill_bad_pointer(p, tf->ebx, "wait");
    return pid;
}

static int sys_wait(struct proc *p, struct trapframe *tf)
{
    return wait_for(p, tf, 1);
}

static int sys_trywait(struct proc *p, struct trapframe *tf)
{
    return wait_for(p, tf, 0);
}

static int sys_getpid(struct proc *p, struct trapframe *tf)
{
    (void)tf;
    return p->pid;
}

static int sys_yield(struct proc *p, struct trapframe *tf)
{
    (void)p, (void)tf;
    yield_cpu();
    return 0;
}

/* Sleep at least tf->ebx ms: the +1 tick covers the part of the current
 * tick that has already gone. */
static int sys_sleep(struct proc *p, struct trapframe *tf)
{
    (void)p;
    uint32_t wake = ticks_now() + (tf->ebx + MS_PER_TICK - 1) / MS_PER_TICK + 1;
    uint32_t flags = irq_save();
    while ((int32_t)(ticks_now() - wake) < 0)
        sleep_on(tick_channel());
    irq_restore(flags);
    return 0;
}

static int sys_time(struct proc *p, struct trapframe *tf)
{
    (void)p, (void)tf;
    return (int)ms_now();
}

static int sys_sbrk(struct proc *p, struct trapframe *tf)
{
    uint32_t old;
    return resize_heap(p, (int32_t)tf->ebx, &old) < 0 ? -1 : (int)old;
}

static int sys_pipe(struct proc *p, struct trapframe *tf)
{
    int fds[2];
    if (create_pipe(p, fds) < 0)
        return -1;
    if (copy_to_user(p, tf->ebx, fds, sizeof fds) < 0)
        kill_bad_pointer(p, tf->ebx, "pipe");
    return 0;
}

static int sys_close(struct proc *p, struct trapframe *tf)
{
    struct fd *f = lookup_fd(p, tf->ebx);
    if (!f)
        return -1;
    close_fd(f);
    return 0;
}

static int sys_freemem(struct proc *p, struct trapframe *tf)
{
    (void)p, (void)tf;
    return (int)free_page_count();
}

static int sys_pteflags(struct proc *p, struct trapframe *tf)
{
    return user_pte_flags(p, tf->ebx, tf->ecx);
}

static int sys_ptswap(struct proc *p, struct trapframe *tf)
{
    return swap_user_pages(p, tf->ebx, tf->ecx);
}

static int sys_virtprobe(struct proc *p, struct trapframe *tf)
{
    struct virtprobe probe;
    run_virtprobe(&probe);
    if (copy_to_user(p, tf->ebx, &probe, sizeof probe) < 0)
        kill_bad_pointer(p, tf->ebx, "virtprobe");
    return 0;
}

static int sys_apfstat(struct proc *p, struct trapframe *tf)
{
    struct apf_stat s;
    apf_stat(&s);
    if (copy_to_user(p, tf->ebx, &s, sizeof s) < 0)
        kill_bad_pointer(p, tf->ebx, "apfstat");
    return 0;
}

static int sys_pageout(struct proc *p, struct trapframe *tf)
{
    return swap_out_range(p, PGROUNDDOWN(tf->ebx), tf->ecx);
}

static int (*const syscalls[NSYSCALLS])(struct proc *, struct trapframe *) = {
    [SYS_exit] = sys_exit,       [SYS_write] = sys_write,     [SYS_read] = sys_read,
    [SYS_fork] = sys_fork,       [SYS_spawn] = sys_spawn,     [SYS_wait] = sys_wait,
    [SYS_getpid] = sys_getpid,   [SYS_yield] = sys_yield,     [SYS_sleep] = sys_sleep,
    [SYS_time] = sys_time,       [SYS_sbrk] = sys_sbrk,       [SYS_pipe] = sys_pipe,
    [SYS_close] = sys_close,     [SYS_freemem] = sys_freemem, [SYS_virtprobe] = sys_virtprobe,
    [SYS_pteflags] = sys_pteflags, [SYS_ptswap] = sys_ptswap, [SYS_trywait] = sys_trywait,
    [SYS_apfstat] = sys_apfstat, [SYS_pageout] = sys_pageout,
};

void handle_syscall(struct trapframe *tf)
{
    struct proc *p = current;
    if (tf->eax >= NSYSCALLS) {
        printf("guestos: pid %d (%s): unknown system call %u\n", p->pid, p->name, tf->eax);
        tf->eax = (uint32_t)-1;
        return;
    }
    tf->eax = (uint32_t)syscalls[tf->eax](p, tf);
}
