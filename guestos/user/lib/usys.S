/* usys.S: the system call stubs. Arguments move from the C stack to EBX,
 * ECX, EDX (syscall.h); EBX is callee-saved in the C ABI, so keep it. */
#include "../../kernel/syscall.h"

.macro SYSCALL name, number
    .globl \name
\name:
    push %ebx
    mov 8(%esp), %ebx
    mov 12(%esp), %ecx
    mov 16(%esp), %edx
    mov $\number, %eax
    int $0x80
    pop %ebx
    ret
.endm

    .text
SYSCALL exit, SYS_exit
SYSCALL write, SYS_write
SYSCALL read, SYS_read
SYSCALL fork, SYS_fork
SYSCALL spawn, SYS_spawn
SYSCALL wait, SYS_wait
SYSCALL getpid, SYS_getpid
SYSCALL yield, SYS_yield
SYSCALL sleep, SYS_sleep
SYSCALL time, SYS_time
SYSCALL sbrk, SYS_sbrk
SYSCALL pipe, SYS_pipe
SYSCALL pteflags, SYS_pteflags
SYSCALL ptswap, SYS_ptswap
SYSCALL close, SYS_close
SYSCALL freemem, SYS_freemem
SYSCALL virtprobe, SYS_virtprobe
SYSCALL trywait, SYS_trywait
SYSCALL apfstat, SYS_apfstat
SYSCALL pageout, SYS_pageout

/* syscall_raw(number, a, b, c): any number, for the tests of bad calls. */
    .globl syscall_raw
syscall_raw:
    push %ebx
    mov 8(%esp), %eax
    mov 12(%esp), %ebx
    mov 16(%esp), %ecx
    mov 20(%esp), %edx
    int $0x80
    pop %ebx
    ret

    .section .note.GNU-stack, "", @progbits
