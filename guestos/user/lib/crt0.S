/* crt0.S: a user program starts here (the kernel sets ESP to the top of
 * the user stack); main's return value becomes the exit status. */
    .section .text.start, "ax"
    .globl _start
_start:
    xor %ebp, %ebp
    call main
    push %eax
    call exit
1:  jmp 1b

    .section .note.GNU-stack, "", @progbits
