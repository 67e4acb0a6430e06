/*
 * probes.S: the instructions faults.c makes fault, each run from a known
 * state, and the handler that records what the CPU reports.
 *
 * A probe saves the C caller's registers, loads every register and the
 * flags from probe_in, snapshots them (probe_before) right before the
 * instruction, runs it, and snapshots again at its label _done
 * (probe_after). A snapshot writes the registers with MOVs, and the
 * arithmetic flags with LAHF (SF ZF AF PF CF, SDM vol. 2A) and SETO:
 * neither changes a flag, and LAHF's AH is put back from memory, so the
 * state after it is the state before.
 *
 * The exceptions of the probes come to probe_trap_V, which snapshots the
 * registers the handler was entered with (trap_regs), CR2, and calls
 * probe_trapped (faults.c) with the frame: vector, error code, EIP, CS,
 * EFLAGS (SDM vol. 3, 6.12.1: no stack switch at the same privilege). That
 * may map a page, change the divisor or move EIP; the registers are then
 * put back and IRET restarts (a fault) or goes on (a trap).
 *
 * The probes whose fetch faults sit in .text.pages, each at the start of
 * (or across the end of) a page of its own, which faults.c unmaps.
 */

/* struct snap (faults.c): eax ebx ecx edx esi edi ebp esp, AH, OF. */
.macro SNAP s
    movl    %eax, \s+0
    movl    %ebx, \s+4
    movl    %ecx, \s+8
    movl    %edx, \s+12
    movl    %esi, \s+16
    movl    %edi, \s+20
    movl    %ebp, \s+24
    movl    %esp, \s+28
    lahf
    movb    %ah, \s+32
    seto    \s+33
    movl    \s+0, %eax
.endm

/* struct probe_in: eax ebx ecx edx esi edi ebp esp, then the EFLAGS image. */
.macro ENTER name
    .globl  \name
\name:
    pushal
    movl    %esp, probe_c_esp
    movl    probe_in+28, %esp
    pushl   probe_in+32
    popfl
    movl    probe_in+0, %eax
    movl    probe_in+4, %ebx
    movl    probe_in+8, %ecx
    movl    probe_in+12, %edx
    movl    probe_in+16, %esi
    movl    probe_in+20, %edi
    movl    probe_in+24, %ebp
    SNAP    probe_before
    .globl  \name\()_insn
\name\()_insn:
.endm

.macro DONE name
    .globl  \name\()_done
\name\()_done:
    SNAP    probe_after
    movl    probe_c_esp, %esp
    popal
    cld
    ret
.endm

    .text
/* ---- Data faults: EBX points into the page faults.c left not present ---- */
ENTER p_mov_load
    movl    (%ebx), %eax
DONE p_mov_load

ENTER p_mov_store
    movl    %ecx, (%ebx)
DONE p_mov_store

ENTER p_call_mem
    call    *(%ebx)
DONE p_call_mem

ENTER p_jmp_mem
    jmp     *(%ebx)
    ud2                             /* never: the jump goes past it */
DONE p_jmp_mem

ENTER p_mov_sreg_mem
    movw    %ds, (%ebx)
DONE p_mov_sreg_mem

ENTER p_sgdt
    sgdt    (%ebx)
DONE p_sgdt

ENTER p_sidt
    sidt    (%ebx)
DONE p_sidt

ENTER p_sldt
    sldt    (%ebx)
DONE p_sldt

ENTER p_str
    str     (%ebx)
DONE p_str

/* ---- Stack reads: ESP at the start of a page not present ---------------- */
ENTER p_popf
    popfl
DONE p_popf

ENTER p_ret
    ret
    ud2
DONE p_ret

ENTER p_ret_imm
    ret     $12
    ud2
DONE p_ret_imm

/* ---- Branches to a target page not present: the branch is done ---------- */
ENTER p_jz_far
    jz      pg_land
    ud2
DONE p_jz_far

ENTER p_call_far
    call    pg_land
DONE p_call_far

ENTER p_loop_far
    jmp     pg_loop
DONE p_loop_far

ENTER p_jecxz_far
    jmp     pg_jecxz
DONE p_jecxz_far

/* ---- Instruction fetches from a page not present ------------------------- */
ENTER p_pushf
    jmp     pg_pushf
DONE p_pushf

ENTER p_push_sreg
    jmp     pg_push_sreg
DONE p_push_sreg

ENTER p_call_rel
    jmp     pg_call_rel
DONE p_call_rel

ENTER p_straddle
    jmp     pg_straddle
DONE p_straddle

/* ---- Exceptions of the instruction itself ---------------------------------- */
ENTER p_div
    divl    probe_divisor
DONE p_div

ENTER p_ud2
    ud2
DONE p_ud2

ENTER p_int3
    int3
DONE p_int3

ENTER p_into
    into
DONE p_into

/* A CALL's target: it takes the return address off the stack, keeps it
 * (probe_pushed), puts it back and returns: a RET to a CALL's return. */
    .globl  call_target
call_target:
    popl    probe_pushed
    pushl   probe_pushed
    ret

/* An exception no probe expected: back to the C caller. */
    .globl  probe_abort
probe_abort:
    movl    probe_c_esp, %esp
    popal
    cld
    ret

/* ---- The handler ------------------------------------------------------------- */
.macro TRAP vector, has_error
    .globl  probe_trap_\vector
probe_trap_\vector:
    .if !\has_error
    pushl   $0
    .endif
    pushl   $\vector
    jmp     probe_trap_common
.endm
TRAP 0, 0
TRAP 3, 0
TRAP 4, 0
TRAP 6, 0
TRAP 13, 1
TRAP 14, 1

probe_trap_common:
    SNAP    trap_regs
    movl    %cr2, %eax
    movl    %eax, trap_cr2
    pushl   %esp                    /* the frame: vector, error, eip, cs, eflags */
    call    probe_trapped
    addl    $4, %esp
    movl    trap_regs+0, %eax       /* C kept EBX, ESI, EDI, EBP */
    movl    trap_regs+8, %ecx
    movl    trap_regs+12, %edx
    addl    $8, %esp                /* the vector and the error code */
    iret

/* ---- Pages of their own (faults.c unmaps them) ------------------------------ */
    .section .text.pages, "ax"
    .p2align 12
    .globl  pg_pushf
pg_pushf:
    pushfl
    jmp     p_pushf_done

    .p2align 12
    .globl  pg_push_sreg
pg_push_sreg:
    pushl   %fs
    jmp     p_push_sreg_done

    .p2align 12
    .globl  pg_call_rel
pg_call_rel:
    call    call_target
    jmp     p_call_rel_done

    /* A landing page: back through probe_land_back. */
    .p2align 12
    .globl  pg_land
pg_land:
    jmp     *probe_land_back

    /* MOV EAX, imm32 (5 bytes) with 3 on this page, 2 on the next. */
    .p2align 12
    .skip   4096 - 3
    .globl  pg_straddle
pg_straddle:
    movl    $0x12345678, %eax
    jmp     p_straddle_done

    /* LOOP and JECXZ (rel8) at a page's end, their targets on the next. */
    .p2align 12
    .skip   4096 - 8
    .globl  pg_loop
pg_loop:
    loop    1f
    jmp     p_loop_far_done         /* not taken */
    .p2align 12
    .skip   0x40
    .globl  pg_loop_land
pg_loop_land:
1:  jmp     p_loop_far_done

    .p2align 12
    .skip   4096 - 8
    .globl  pg_jecxz
pg_jecxz:
    jecxz   1f
    jmp     p_jecxz_far_done
    .p2align 12
    .skip   0x40
    .globl  pg_jecxz_land
pg_jecxz_land:
1:  jmp     p_jecxz_far_done
    .p2align 12

    .bss
    .p2align 2
    .globl  probe_in, probe_before, probe_after, trap_regs, trap_cr2, probe_c_esp
    .globl  probe_divisor, probe_pushed, probe_land_back
probe_in:       .space 36
probe_before:   .space 36
probe_after:    .space 36
trap_regs:      .space 36
trap_cr2:       .long 0
probe_c_esp:    .long 0
probe_divisor:  .long 0
probe_pushed:   .long 0
probe_land_back: .long 0

    .section .note.GNU-stack, "", @progbits
