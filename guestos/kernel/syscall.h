/*
 * syscall.h: system call numbers, shared by the kernel and the user library.
 * A user program puts the number in EAX and the arguments in EBX, ECX, EDX,
 * then executes INT 0x80; the result comes back in EAX (-1 on error).
 */
#pragma once

#define SYS_exit      0     /* exit(status): status 0-255 */
#define SYS_write     1     /* write(fd, buf, n) -> bytes written */
#define SYS_read      2     /* read(fd, buf, n) -> bytes read, 0 at end of a pipe */
#define SYS_fork      3     /* fork() -> child's pid in the parent, 0 in the child */
#define SYS_spawn     4     /* spawn(name) -> pid of a new process running program `name` */
#define SYS_wait      5     /* wait(&status) -> pid of an exited child, -1 if none */
#define SYS_getpid    6     /* getpid() */
#define SYS_yield     7     /* yield(): let another process run */
#define SYS_sleep     8     /* sleep(ms) */
#define SYS_time      9     /* time() -> milliseconds since boot */
#define SYS_sbrk      10    /* sbrk(delta) -> the old end of the heap */
#define SYS_pipe      11    /* pipe(fds[2]): fds[0] reads, fds[1] writes */
#define SYS_close     12    /* close(fd) */
#define SYS_freemem   13    /* freemem() -> free physical pages */
#define SYS_virtprobe 14    /* virtprobe(&probe): kernel-mode virtualisation probes */
#define SYS_pteflags  15    /* pteflags(va, clear) -> the flags of va's PTE, -1 if unmapped;
                               clears its A (0x20) and D (0x40) flags named in clear */
#define SYS_ptswap    16    /* ptswap(va1, va2): swap two user pages' frames (and INVLPG) */
#define SYS_trywait   17    /* trywait(&status) -> wait() that does not block: 0 while no child
                               has exited yet (POSIX's WNOHANG) */
#define SYS_apfstat   18    /* apfstat(&struct apf_stat) -> 0: the kernel's pseudo page fault counts */
#define SYS_pageout   19    /* pageout(va, pages) -> pages written to the kernel's swap (swap=N) */
#define NSYSCALLS     20

#ifndef __ASSEMBLER__
#include <stdint.h>
/* apfstat's answer (kernel/apf.c). */
struct apf_stat {
    uint32_t on;            /* the kernel agreed to pseudo page faults (apf=1) */
    uint32_t not_present;   /* "page not present" taken: a process blocked */
    uint32_t ready;         /* "page ready" taken */
    uint32_t woken;         /* of them, waking a blocked process */
    uint32_t swapped_out;   /* pages the kernel wrote to its own swap (swap.c) */
    uint32_t swapped_in;    /* and brought back */
};
#endif

/* wait()'s status of a process the kernel killed: 0x100 + exception vector
 * (e.g. 0x10E: page fault or bad pointer, 0x100: divide error). */
#define STATUS_KILLED(s)    ((s) >= 0x100)
#define STATUS_TRAPNO(s)    ((s) - 0x100)
