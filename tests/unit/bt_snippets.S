/*
 * bt_snippets.S: 32-bit guest code for tests/unit/test_bt_block.c, each
 * snippet between NAME and NAME_end. The harness copies one into its
 * region (at BT_H_CODE unless a test says where) and follows it with a JMP
 * to the gate; a snippet finds its own address with CALL and POP, which a
 * translation answers with the guest's address.
 */
#include "bt_harness_layout.h"

#define SNIPPET(name) .globl name, name##_end; name:
#define END(name) name##_end:

    .section .rodata
    .code32

/* Identical translation: arithmetic, memory, the stack, strings, flags. */
SNIPPET(snip_plain)
    mov $0x12345678, %eax
    mov $0x9abcdef0, %ebx
    add %ebx, %eax
    adc $5, %ecx
    imul $7, %eax, %edx
    lea 0x10(%eax,%ebx,4), %esi
    mov $BT_H_DATA, %edi
    mov %eax, (%edi)
    movl $0x55aa, 4(%edi)
    xchg %ecx, 8(%edi)
    push %eax
    push $0x77
    pop %ebp
    shl $3, %eax
    setc %cl
    rol %cl, %ebx
    mov $BT_H_DATA, %esi
    lea 0x20(%esi), %edi
    mov $6, %ecx
    rep movsb
    neg %edx
    movzwl 2(%esi), %ebp
    bswap %esi
    lock incl BT_H_DATA + 0x40
    nopw %cs:0(%eax,%eax,1)
    cmp %eax, %ebx
END(snip_plain)

/* A conditional branch: which way depends on EAX and EBX. */
SNIPPET(snip_jcc)
    cmp %ebx, %eax
    jl 1f
    mov $1, %ecx
    jmp 2f
1:  mov $2, %ecx
2:  add $3, %ecx
END(snip_jcc)

/* CALL rel and RET: the callee reads its return address; CALL r/m and
 * JMP r/m through a register and through memory. */
SNIPPET(snip_call)
    mov $5, %eax
    call 1f
    add $1, %eax
    call 1f
    call 3f
3:  pop %ebx                        /* EBX: the address of 3 */
    lea (4f - 3b)(%ebx), %ecx
    push $0x1234                    /* RET 4 pops it */
    call *%ecx
    lea (5f - 3b)(%ebx), %ecx
    mov %ecx, BT_H_DATA + 0x10
    jmp *BT_H_DATA + 0x10
1:  mov (%esp), %edx
    mov %edx, BT_H_DATA(,%eax,4)
    add %eax, %eax
    ret
4:  add $100, %eax
    ret $4
5:  add $1000, %eax
END(snip_call)

/* A function called ten times: its RET's target misses the lookup once. */
SNIPPET(snip_call_loop)
    mov $10, %ecx
    xor %eax, %eax
1:  call 2f
    loop 1b
    jmp 3f
2:  add %ecx, %eax
    ret
3:
END(snip_call_loop)

/* Return sites (bt_lookup.h): one RET that returns to two call sites by
 * turns (the first learnt, the second through the lookup routine), one RET
 * imm16; the CMP's carry before each RET must reach the ADC/SBB after it. */
SNIPPET(snip_ret_sites)
    mov $10, %ecx
    xor %eax, %eax
    xor %edx, %edx
    xor %ebx, %ebx
1:  call 2f
    adc $0, %edx
    call 2f
    adc $0, %edx
    push %ecx
    call 4f
    sbb $0, %ebx
    loop 1b
    jmp 3f
2:  add %ecx, %eax
    cmp $60, %eax
    ret
4:  cmpl $5, 4(%esp)
    ret $4
3:
END(snip_ret_sites)

/* Loops: a DEC/JNZ one and a LOOP one. */
SNIPPET(snip_loop)
    xor %eax, %eax
    mov $100, %ecx
1:  add %ecx, %eax
    dec %ecx
    jnz 1b
    mov $50, %ecx
2:  add $2, %eax
    loop 2b
    mov $3, %ecx
3:  jecxz 4f
    dec %ecx
    jmp 3b
4:
END(snip_loop)

/* CLI, STI and PUSHF: the images with the virtual IF, the arithmetic flags
 * of the ADD kept. The reference runs natively without CLI and STI. */
SNIPPET(snip_cli_sti)
    mov $0x7fffffff, %ecx
    add $1, %ecx
    cli
    pushf
    pop %eax
    sti
    pushfw
    pop %bx
    stc
END(snip_cli_sti)
SNIPPET(ref_cli_sti)
    mov $0x7fffffff, %ecx
    add $1, %ecx
    pushf
    pop %eax
    pushfw
    pop %bx
    stc
END(ref_cli_sti)

/* POPF: IF and IOPL into the page, the rest into EFLAGS (runs natively
 * too: at CPL 3 POPF leaves IF and IOPL). */
SNIPPET(snip_popf)
    pushl $0x8d7                    /* OF SF ZF AF PF CF, IF 0 */
    popf
    pushf
    pop %eax
    pushl $0x3202                   /* IF, IOPL 3 */
    popf
    pushf
    pop %ebx
    pushw $0x0ed5                   /* 16-bit: OF DF SF AF PF CF, IF 1 */
    popfw
    pushfw
    pop %dx
    cld
END(snip_popf)

/* Segment-register reads: registers, memory and the stack. */
SNIPPET(snip_segread)
    mov $BT_H_DATA, %eax
    mov $0, %ecx
    mov %ss, 0x30(%eax,%ecx,1)      /* EAX- and ECX-based: EDX is borrowed */
    mov $BT_H_DATA, %edi
    movl $0xffffffff, 8(%edi)
    mov $0xaaaaaaaa, %ebx
    mov %cs, %eax
    mov %ss, %bx
    mov %ds, (%edi)
    mov %es, 4(%edi)
    mov %fs, 8(%edi)
    push %cs
    push %ss
    push %ds
    pushw %es
    push %fs
    push %gs
    mov %gs, %ecx
    mov %fs, %edx
END(snip_segread)

/* SGDT, SIDT, SLDT, STR: memory and registers. */
SNIPPET(snip_dtread)
    mov $BT_H_DATA, %edi
    mov $0, %eax
    sgdt 0x20(%eax,%edi,1)          /* EAX- and EDI-based: ECX is borrowed */
    mov $0xaaaaaaaa, %eax
    mov $0xbbbbbbbb, %ebx
    sgdt (%edi)
    sidt 8(%edi)
    sldt %eax
    str %bx
    sldt 16(%edi)
    str 20(%edi)
END(snip_dtread)

/* A segment load: the page learns the selector. */
SNIPPET(snip_segload)
    mov %ds, %eax
    mov %eax, %es
    mov %es, %ebx
    push %ds
    pop %fs
    mov %fs, %ecx
    movl $0x1234, BT_H_DATA
    mov %ds, BT_H_DATA + 4
    mov $0, %eax
    mov %eax, %es
    les BT_H_DATA, %esi             /* ES from a far pointer */
    mov %es, %edi
END(snip_segload)

    .section .note.GNU-stack, "", @progbits
