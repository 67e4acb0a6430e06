/*
 * indirect.c: do=indirect: control flow whose target a translator only
 * knows at run time (hv/bt/README.md: RET, JMP r/m, CALL r/m go through a
 * lookup), and the branches it rewrites (Jcc, LOOP, JECXZ) with their
 * flags and ECX semantics (SDM vol. 2A, Jcc, JCXZ; vol. 2A, LOOP). Each
 * is written in assembly, so that the compiler chooses none of it.
 */
#include "conform.h"

/* A jump table: JMP through memory, index in EAX; each case returns its own value. */
uint32_t jump_table(uint32_t i);
__asm__(".text\n.globl jump_table\n"
        "jump_table:\n"
        "    movl 4(%esp), %eax\n"
        "    jmp *1f(,%eax,4)\n"
        "2:  movl $0x100, %eax\n    ret\n"
        "3:  movl $0x201, %eax\n    ret\n"
        "4:  movl $0x302, %eax\n    ret\n"
        "5:  movl $0x403, %eax\n    ret\n"
        "    .section .rodata\n    .p2align 2\n"
        "1:  .long 2b, 3b, 4b, 5b\n"
        "    .text\n");

/* Function pointers: CALL through a register and through memory. */
uint32_t call_pointers(void);
__asm__(".globl call_pointers\n"
        "call_pointers:\n"
        "    pushl %ebx\n"
        "    xorl %ebx, %ebx\n"
        "    movl $3f, %eax\n"
        "    call *%eax\n"                 /* EBX += 1 */
        "    call *1f\n"                   /* EBX += 16 */
        "    call *1f+4\n"                 /* EBX *= 2 */
        "    movl $3f, %ecx\n"
        "    call *%ecx\n"
        "    movl %ebx, %eax\n"
        "    popl %ebx\n"
        "    ret\n"
        "3:  incl %ebx\n    ret\n"
        "4:  addl $16, %ebx\n    ret\n"
        "5:  addl %ebx, %ebx\n    ret\n"
        "    .section .rodata\n    .p2align 2\n"
        "1:  .long 4b, 5b\n"
        "    .text\n");

/* Recursion n deep: each level a CALL and a RET; the sum of 1..n. */
uint32_t recurse(uint32_t n);
__asm__(".globl recurse\n"
        "recurse:\n"
        "    movl 4(%esp), %ecx\n"
        "    jecxz 1f\n"
        "    decl %ecx\n"
        "    pushl %ecx\n"
        "    call recurse\n"
        "    addl $4, %esp\n"
        "    addl 4(%esp), %eax\n"
        "    ret\n"
        "1:  xorl %eax, %eax\n"
        "    ret\n");

/* RET imm16: the callee pops its three arguments; ESP must come back. */
uint32_t ret_imm_esp_delta(void);
__asm__(".globl ret_imm_esp_delta\n"
        "ret_imm_esp_delta:\n"
        "    movl %esp, %edx\n"
        "    pushl $1\n    pushl $2\n    pushl $3\n"
        "    call 1f\n"
        "    subl %esp, %edx\n"
        "    movl %edx, %eax\n"
        "    ret\n"
        "1:  movl 4(%esp), %eax\n"
        "    addl 8(%esp), %eax\n"
        "    addl 12(%esp), %eax\n"
        "    cmpl $6, %eax\n"
        "    je 2f\n"
        "    movl $0xBAD, %edx\n"          /* the arguments were not where they should be */
        "2:  ret $12\n");

/* A callee that changes its return address: RET goes elsewhere. */
uint32_t ret_elsewhere(void);
__asm__(".globl ret_elsewhere\n"
        "ret_elsewhere:\n"
        "    xorl %eax, %eax\n"
        "    call 2f\n"
        "    movl $0xBAD, %eax\n"          /* the return the callee replaced */
        "    ret\n"
        "1:  addl $0x600D, %eax\n"
        "    ret\n"
        "2:  movl $1b, (%esp)\n"
        "    ret\n");

/* A straight run of INCs, run from its start, then entered in its middle
 * by a computed jump: 8 then 3 more. */
uint32_t run_then_middle(void);
__asm__(".globl run_then_middle\n"
        "run_then_middle:\n"
        "    xorl %eax, %eax\n"
        "    xorl %edx, %edx\n"
        "1:  incl %eax\n    incl %eax\n    incl %eax\n    incl %eax\n"
        "    incl %eax\n"
        "2:  incl %eax\n    incl %eax\n    incl %eax\n"
        "    testl %edx, %edx\n"
        "    jnz 3f\n"
        "    incl %edx\n"
        "    movl $2b, %ecx\n"
        "    jmp *%ecx\n"
        "3:  ret\n");

/* LOOP, LOOPE, LOOPNE and JECXZ: ECX counted, no flag changed (SDM vol.
 * 2A, LOOP: "the condition code flags are not affected"). Each returns
 * (taken << 31) | the ECX after; flags_after the arithmetic flags after. */
static uint32_t flags_after;
#define BRANCH_PROBE(fn, insn)                                                              \
    static uint32_t fn(uint32_t ecx, uint32_t eflags)                                       \
    {                                                                                       \
        uint32_t taken;                                                                     \
        __asm__ volatile("pushl %3\n\tpopfl\n\t"                                            \
                         insn " 1f\n\t"                                                     \
                         "movl $0, %1\n\tjmp 2f\n"                                          \
                         "1:\tmovl $0x80000000, %1\n"                                       \
                         "2:\tpushfl\n\tpopl %2"                                            \
                         : "+c"(ecx), "=r"(taken), "=m"(flags_after) : "r"(eflags) : "cc", "memory"); \
        flags_after &= 0x8D5;                                                               \
        return taken | (ecx & 0x7FFFFFFF);                                                  \
    }
BRANCH_PROBE(do_loop, "loop")
BRANCH_PROBE(do_loope, "loope")
BRANCH_PROBE(do_loopne, "loopne")
BRANCH_PROBE(do_jecxz, "jecxz")

#define ZF 0x40u
#define TAKEN 0x80000000u

static void branches(void)
{
    begin_test("loop-jecxz-semantics");
    check("loop ecx=1", do_loop(1, 0x8D7), 0);                 /* to 0: not taken */
    check("loop flags", flags_after, 0x8D5);
    check("loop ecx=0", do_loop(0, 0x002), TAKEN | 0x7FFFFFFF); /* wraps to 0xFFFFFFFF: taken */
    check("loop flags 0", flags_after, 0);
    check("loop ecx=5", do_loop(5, 0x002), TAKEN | 4);
    check("loope zf=1", do_loope(5, 0x042), TAKEN | 4);
    check("loope zf=0", do_loope(5, 0x002), 4);
    check("loopne zf=0", do_loopne(5, 0x002), TAKEN | 4);
    check("loopne zf=1", do_loopne(5, 0x042), 4);
    check("jecxz 0", do_jecxz(0, 0x8D7), TAKEN);
    check("jecxz 0x10000", do_jecxz(0x10000, 0x002), 0x10000); /* ECX, not CX */
    check("jecxz flags", flags_after, 0);
    end_test();
}

void do_indirect(void)
{
    begin_test("jump-table");
    for (uint32_t i = 0; i < 4; i++)
        check("case", jump_table(i), (i + 1) << 8 | i);
    check("case 0 again", jump_table(0), 0x100);
    end_test();

    begin_test("call-pointers");
    check("ebx", call_pointers(), ((0 + 1 + 16) * 2) + 1);
    end_test();

    begin_test("deep-recursion");
    check("sum 1..1000", recurse(1000), 1000 * 1001 / 2);   /* 8 KiB of entry.S's 16 KiB stack */
    check("sum 1..3", recurse(3), 6);
    end_test();

    begin_test("ret-imm16");
    check("esp delta", ret_imm_esp_delta(), 0);
    end_test();

    begin_test("ret-changed-address");
    check("eax", ret_elsewhere(), 0x600D);
    end_test();

    begin_test("jump-into-run");
    check("incs", run_then_middle(), 8 + 3);
    end_test();

    branches();
}
