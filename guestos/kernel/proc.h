/* proc.h: processes, their saved registers, and the trap frame. */
#pragma once
#include <stdint.h>

#define NPROC  64
#define NOFILE 8        /* file descriptors per process */
#define PROC_NAME_LEN 16

/* What the trap entry (trapentry.S) pushes, lowest address first: the
 * general registers (PUSHAL), the data segments, the vector number, the
 * error code, and what the CPU pushed (SDM vol. 3, 6.12.1). */
struct trapframe {
    uint32_t edi, esi, ebp, oesp, ebx, edx, ecx, eax;
    uint32_t gs, fs, es, ds;
    uint32_t trapno, err;
    uint32_t eip, cs, eflags;
    uint32_t esp, ss;           /* only when coming from ring 3 */
};

/* The callee-saved registers swtch() keeps across a context switch; eip is
 * where the process resumes (swtch's return address). */
struct context {
    uint32_t edi, esi, ebx, ebp, eip;
};

enum procstate { UNUSED, EMBRYO, RUNNABLE, RUNNING, SLEEPING, ZOMBIE };

enum fdkind { FD_NONE, FD_CONSOLE, FD_PIPE_READ, FD_PIPE_WRITE };
struct fd {
    enum fdkind kind;
    struct pipe *pipe;
};

struct proc {
    int pid;
    enum procstate state;
    char name[PROC_NAME_LEN];
    uint32_t *pgdir;            /* NULL for the kernel's own process (init) */
    uint32_t heap_base, brk;    /* the heap is [heap_base, brk), filled on demand */
    char *kstack;               /* KSTACK_SIZE bytes; the trap frame at its top */
    struct trapframe *tf;
    struct context *context;
    struct proc *parent;
    const void *chan;           /* what a SLEEPING process waits for */
    uint32_t wake_tick;         /* for sleep(): the tick to wake at */
    int status;                 /* exit status, for wait() */
    struct fd fds[NOFILE];
};

/* Exit status of a process the kernel killed: 0x100 + the exception vector. */
#define KILLED_STATUS(trapno) (0x100 + (trapno))

extern struct proc procs[NPROC];
extern struct proc *current;    /* the running process, or NULL in the scheduler */
