/*
 * entry.S: the long64 test kernel's way into long mode, as a PC kernel
 * takes it (SDM vol. 3, 10.8.5 "Initializing IA-32e Mode"), and its
 * assembly helpers in 64-bit mode.
 *
 * Loaded as a Multiboot v1 kernel (32-bit protected mode, paging off), it
 * builds identity page tables for the first GiB (one PML4 entry, one PDPT
 * entry, 512 2-MiB pages, all user-accessible for the ring-3 check) and the
 * fourth (uncached, the APICs' pages: probe=lapic), sets
 * IA32_EFER.LME (before CR4.PAE, so that a hypervisor that cannot run long
 * mode says so at the WRMSR), enables PAE, loads CR3 and sets CR0.PG with
 * NE and WP (as Linux does: a bit a hypervisor owns, so the MOV exits and
 * is emulated there), which activates IA-32e mode in compatibility mode,
 * then far-jumps to a 64-bit code segment and calls long64_main.
 */
#include "multiboot.h"

#define HEADER_FLAGS (MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO)
#define MSR_EFER 0xC0000080
#define EFER_LME (1 << 8)
#define CR4_PAE  (1 << 5)
#define CR0_BITS 0x80010031     /* PG, WP, NE, ET, PE */

    .section .multiboot, "a"
    .p2align 2
    .long   MULTIBOOT_HEADER_MAGIC
    .long   HEADER_FLAGS
    .long   -(MULTIBOOT_HEADER_MAGIC + HEADER_FLAGS)

/* A page directory of 512 2-MiB pages from the first entry's address on. */
.macro FILL_PD table, first
    movl    $\table, %edi
    movl    $\first, %eax
    movl    $512, %ecx
1:  movl    %eax, (%edi)
    addl    $0x200000, %eax
    addl    $8, %edi
    loop    1b
.endm

    .text
    .code32
    .globl _start
_start:
    movl    $boot_stack_top, %esp
    movl    %eax, mb_magic
    movl    %ebx, mb_info

    /* The tables (in .bss, which no loader need clear): zeroed, then PML4[0]
     * -> PDPT, PDPT[0] -> PD, PD[i] = i * 2 MiB (P, RW, U, PS). */
    movl    $pml4, %edi
    movl    $(4 * 4096 / 4), %ecx
    xorl    %eax, %eax
    cld
    rep stosl
    movl    $pdpt, %eax
    orl     $7, %eax
    movl    %eax, pml4
    movl    $pd, %eax
    orl     $7, %eax
    movl    %eax, pdpt
    movl    $pd_high, %eax
    orl     $3, %eax
    movl    %eax, pdpt + 3 * 8
    FILL_PD pd, 0x00000087          /* 0-1 GiB: P, RW, U, PS */
    FILL_PD pd_high, 0xC000009B     /* 3-4 GiB: P, RW, PWT, PCD, PS */

    movl    $MSR_EFER, %ecx
    rdmsr
    orl     $EFER_LME, %eax
    wrmsr
    movl    %cr4, %eax
    orl     $CR4_PAE, %eax
    movl    %eax, %cr4
    movl    $pml4, %eax
    movl    %eax, %cr3
    lgdt    gdt_pointer
    movl    $CR0_BITS, %eax
    movl    %eax, %cr0
    ljmp    $0x08, $long_entry

    .code64
long_entry:
    movw    $0x10, %ax
    movw    %ax, %ds
    movw    %ax, %es
    movw    %ax, %ss
    xorl    %eax, %eax
    movw    %ax, %fs
    movw    %ax, %gs
    movq    $boot_stack_top, %rsp
    movl    mb_magic, %edi
    movl    mb_info, %esi
    call    long64_main
3:  cli
    hlt
    jmp     3b

/* The registers a C caller expects kept (System V AMD64 ABI, 3.2.1), around
 * the two ways back into C that do not return normally. */
.macro SAVE_CALLEE_SAVED
    pushq   %rbx
    pushq   %rbp
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
.endm
.macro RESTORE_CALLEE_SAVED
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %rbp
    popq    %rbx
.endm

/* long try_call(void (*fn)(void)): 0 if fn returns, or 1 + the vector of
 * the fault it took (fault_entry unwinds to here; fault_error and
 * fault_cr2 hold its error code and CR2). */
    .globl try_call
try_call:
    SAVE_CALLEE_SAVED
    movq    %rsp, try_rsp(%rip)
    call    *%rdi
    xorl    %eax, %eax
try_return:
    movq    $0, try_rsp(%rip)
    RESTORE_CALLEE_SAVED
    ret

/* The exception stubs: the vector, and an error code where the CPU pushes
 * none (SDM 6.13), then fault_entry. */
.macro FAULT vector, has_error
    .globl fault_\vector
fault_\vector:
    .if \has_error == 0
    pushq   $0
    .endif
    pushq   $\vector
    jmp     fault_entry
.endm
    FAULT 0, 0
    FAULT 6, 0
    FAULT 8, 1
    FAULT 13, 1
    FAULT 14, 1

fault_entry:
    popq    %rax
    popq    fault_error(%rip)
    movq    %cr2, %rdx
    movq    %rdx, fault_cr2(%rip)
    movq    (%rsp), %rdx
    movq    %rdx, fault_rip(%rip)
    cmpq    $0, try_rsp(%rip)
    je      3f
    movq    try_rsp(%rip), %rsp
    leaq    1(%rax), %rax
    jmp     try_return
3:  movq    %rax, %rdi          /* a fault outside try_call: report, power off */
    call    unexpected_fault
4:  hlt
    jmp     4b

/* IRQ 0 through the PIC (vector 0x20): count the tick, EOI. */
    .globl irq_timer
irq_timer:
    pushq   %rax
    incq    ticks(%rip)
    movb    $0x20, %al
    outb    %al, $0x20
    popq    %rax
    iretq

/* long ring3_call(user_rip, user_rsp): SYSRET to ring 3 at user_rip with
 * IF=1 in RFLAGS (R11); the user code ends with SYSCALL 2, which
 * syscall_entry turns into this function's return (RAX: the user's RDI). */
    .globl ring3_call
ring3_call:
    SAVE_CALLEE_SAVED
    movq    %rsp, kernel_rsp(%rip)
    movq    %rdi, %rcx
    movq    %rsi, %rsp
    movq    $0x202, %r11
    sysretq

/* LSTAR: ring 0, the user's RSP still in RSP (SYSCALL does not switch it).
 * RAX=1: record what SYSCALL left (RFLAGS after SFMASK, CS, SS, RCX, R11,
 * the user's RDI and RSI) and SYSRET back; RAX=2: back to ring3_call. */
    .globl syscall_entry
syscall_entry:
    movq    %rsp, user_rsp(%rip)
    movq    kernel_rsp(%rip), %rsp
    cmpq    $2, %rax
    je      5f
    pushfq
    popq    sys_rflags(%rip)
    movw    %cs, sys_cs(%rip)
    movw    %ss, sys_ss(%rip)
    movq    %rcx, sys_rcx(%rip)
    movq    %r11, sys_r11(%rip)
    movq    %rdi, sys_rdi(%rip)
    movq    %rsi, sys_rsi(%rip)
    movq    user_rsp(%rip), %rsp
    sysretq
5:  movq    %rdi, %rax
    RESTORE_CALLEE_SAVED
    ret

/* Ring 3: report CS and SS (SYSCALL 1), then CS again after the SYSRET
 * (SYSCALL 2). */
    .globl user_code
user_code:
    movq    %cs, %rdi
    movq    %ss, %rsi
    movl    $1, %eax
    syscall
    .globl user_after_syscall
user_after_syscall:
    movq    %cs, %rdi
    movl    $2, %eax
    syscall
6:  jmp     6b

    .data
    .p2align 3
/* GDT: 0x08 ring-0 64-bit code, 0x10 ring-0 data, 0x18 ring-3 32-bit code
 * (STAR[63:48]: SYSRET's base), 0x20 ring-3 data (SYSRET's SS = base+8),
 * 0x28 ring-3 64-bit code (SYSRET's CS = base+16); SDM 5.8.8. 0x30: code
 * with L=1 and D=1, which no CS may hold (SDM 5.2.1: #GP on a far jump). */
gdt:
    .quad   0
    .quad   0x00209A0000000000
    .quad   0x0000920000000000
    .quad   0x00CFFA000000FFFF
    .quad   0x0000F20000000000
    .quad   0x0020FA0000000000
    .quad   0x00609A0000000000
gdt_end:
gdt_pointer:
    .word   gdt_end - gdt - 1
    .long   gdt

    .globl ticks, fault_error, fault_cr2, fault_rip
    .globl sys_rflags, sys_cs, sys_ss, sys_rcx, sys_r11, sys_rdi, sys_rsi
ticks:      .quad 0
fault_error: .quad 0
fault_cr2:  .quad 0
fault_rip:  .quad 0
try_rsp:    .quad 0
kernel_rsp: .quad 0
user_rsp:   .quad 0
sys_rflags: .quad 0
sys_rcx:    .quad 0
sys_r11:    .quad 0
sys_rdi:    .quad 0
sys_rsi:    .quad 0
sys_cs:     .word 0
sys_ss:     .word 0
mb_magic:   .long 0
mb_info:    .long 0

    .bss
    .p2align 12
pml4:   .space 4096
pdpt:   .space 4096
pd:     .space 4096
pd_high: .space 4096
    .p2align 4
    .space  16384
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
