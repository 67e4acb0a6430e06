/*
 * attacks_cpu.c: control registers, VMX and other privileged instructions a
 * guest kernel may run. Each gets what a CPU without VMX would give, or the
 * hypervisor stops the guest with a report.
 */
#include "attack.h"

ATTACK(cr4_vmxe, "cr4-vmxe", "all icelake", "result exception 13 error=0x0 cpl=0 at=expected",
       "MOV CR4 with VMXE: nested VMX is not offered")
{
    __asm__ volatile(EXPECT_AT("mov %0, %%cr4") : : "r"(read_cr4() | CR4_VMXE) : "memory");
}

ATTACK(cr4_smxe, "cr4-smxe", "all icelake", "result exception 13 error=0x0 cpl=0 at=expected",
       "MOV CR4 with SMXE: SMX (GETSEC) is hidden")
{
    __asm__ volatile(EXPECT_AT("mov %0, %%cr4") : : "r"(read_cr4() | 1u << 14) : "memory");
}

ATTACK(cr0_pg_no_pe, "cr0-pg-without-pe", "all icelake", "native",
       "MOV CR0 with PG set and PE clear: VM entry would fail")
{
    __asm__ volatile(EXPECT_AT("mov %0, %%cr0") : : "r"((read_cr0() | CR0_PG) & ~1u) : "memory");
}

ATTACK(cr0_nw_no_cd, "cr0-nw-without-cd", "all icelake", "native",
       "MOV CR0 with NW set and CD clear")
{
    __asm__ volatile(EXPECT_AT("mov %0, %%cr0") : : "r"((read_cr0() | 1u << 29) & ~(1u << 30))
                     : "memory");
}

ATTACK(vmxon, "vmx-vmxon", "all icelake", "native", "VMXON: VMX instructions are undefined to the guest")
{
    static uint64_t region;
    __asm__ volatile(EXPECT_AT("vmxon %0") : : "m"(region) : "memory");
}

ATTACK(vmcall, "vmx-vmcall", "all icelake", "native", "VMCALL: no hypercall interface (yet)")
{
    __asm__ volatile(EXPECT_AT("vmcall") : : : "memory");
}

ATTACK(vmptrld, "vmx-vmptrld", "all icelake", "native", "VMPTRLD of a guest page")
{
    static uint64_t vmcs = 0x1000;
    __asm__ volatile(EXPECT_AT("vmptrld %0") : : "m"(vmcs) : "memory");
}

ATTACK(xsetbv, "xsetbv", "all icelake", "native", "XSETBV: XSAVE is hidden, so #UD")
{
    __asm__ volatile(EXPECT_AT("xsetbv") : : "a"(7), "d"(0), "c"(0) : "memory");
}

ATTACK(getsec, "getsec", "all icelake", "native", "GETSEC: SMX is hidden, so #UD")
{
    __asm__ volatile(EXPECT_AT("getsec") : : "a"(0) : "memory");
}

ATTACK(invd, "invd", "all icelake", "native", "INVD: done as WBINVD, the guest cannot drop dirty lines")
{
    __asm__ volatile("invd" : : : "memory");
}

ATTACK(hlt_cli, "hlt-with-interrupts-off", "all icelake virtual vdepriv", "stop halted with interrupts off",
       "CLI; HLT: a guest that can never wake")
{
    __asm__ volatile("cli; hlt" : : : "memory");
}

/* With devices=virtual a lone VM's HLT may run without an exit; the
 * timer's exit then finds it halted, and names it by the byte before its
 * RIP (its F4): a prefix in front of the HLT must not hang the run. */
ATTACK(hlt_cli_prefixed, "hlt-prefixed-with-interrupts-off", "all icelake virtual vshadow vdepriv",
       "stop halted with interrupts off", "CLI; REP HLT (F3 F4): a prefixed HLT that can never wake")
{
    __asm__ volatile("cli; .byte 0xf3; hlt" : : : "memory");
}

ATTACK(triple_fault, "triple-fault", "all icelake",
       "stop triple fault",
       "an empty IDT, then INT3: #GP, #DF, shutdown")
{
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) p = { 0, 0 };
    __asm__ volatile("lidt %0; int3" : : "m"(p) : "memory");
}

ATTACK(task_switch, "task-switch-jmp", "all icelake",
       "stop task switch; depriv patch: stop faults at ring 1 .* does not emulate it",
       "a far JMP to a TSS: hardware task switches are not emulated")
{
    static uint32_t other[26];
    gdt_set(GDT_FREE, seg_desc((uint32_t)other, sizeof(other) - 1, 0x89, 0));
    __asm__ volatile("ljmp $0x30, $0" : : : "memory");
}

ATTACK(cpuid_sweep, "cpuid-sweep", "all icelake", "result completed",
       "CPUID of every leaf 0-0x1f, 0x40000000-0x4000001f, 0x80000000-0x8000001f")
{
    static const uint32_t bases[] = { 0, 0x40000000, 0x80000000 };
    for (unsigned b = 0; b < 3; b++)
        for (uint32_t leaf = bases[b]; leaf < bases[b] + 0x20; leaf++)
            for (uint32_t sub = 0; sub < 3; sub++) {
                uint32_t a, bx, c, d;
                __asm__ volatile("cpuid" : "=a"(a), "=b"(bx), "=c"(c), "=d"(d) : "a"(leaf), "c"(sub));
            }
}

/* DR7.GD: the next MOV to or from a debug register is a #DB with DR6.BD
 * set, before the move happens (SDM 17.2.4). */
uint32_t gd_dr6;   /* gd_stub's (global: asm uses it) */
void gd_stub(void);
__asm__(".globl gd_stub\n"
        "gd_stub:\n"
        "    pushl %eax\n"
        "    movl %dr6, %eax\n"                 /* GD is clear now: the CPU cleared it for the handler */
        "    movl %eax, gd_dr6\n"
        "    popl %eax\n"
        "    movl $1f, (%esp)\n"                /* resume after the faulting MOV */
        "    iret\n"
        "1:  ret\n");
ATTACK(dr7_gd, "cpu-dr7-general-detect", "all icelake", "native",
       "DR7.GD set, then MOV DR0: a #DB with DR6.BD, and DR0 unchanged")
{
    set_gate(1, (uint32_t)gd_stub, KCODE, 0x8E);
    uint32_t dr0;
    __asm__ volatile("movl %0, %%dr7" : : "r"(1u << 13) : "memory");
    __asm__ volatile("call 1f\n\tjmp 2f\n1: movl %0, %%dr0\n\tret\n2:" : : "r"(0x1234u) : "memory");
    __asm__ volatile("movl %%dr0, %0" : "=r"(dr0));
    result("DR6.BD=%u, DR0=0x%x", (gd_dr6 >> 13) & 1, dr0);
}

/* The guest's own INT3 and TF, which a debugger must leave to it
 * (gdb_cases.py runs this under gdb=guest too): INT3 is a trap, its #BP
 * handler sees EIP after it (SDM 18.3.2); a POPF that sets TF traps after
 * the instruction that follows it, with DR6.BS (18.3.1.4). Each handler
 * counts itself; #DB's clears TF in its frame. */
uint32_t own_bp_eip, own_db_eip, own_db_dr6, own_traps;   /* the stubs' (asm uses them) */
void own_bp_stub(void);
void own_db_stub(void);
__asm__(".globl own_bp_stub\n"
        "own_bp_stub:\n"
        "    pushl %eax\n"
        "    movl 4(%esp), %eax\n"              /* its frame: EIP, CS, EFLAGS */
        "    movl %eax, own_bp_eip\n"
        "    incl own_traps\n"
        "    popl %eax\n"
        "    iret\n"
        ".globl own_db_stub\n"
        "own_db_stub:\n"
        "    pushl %eax\n"
        "    movl 4(%esp), %eax\n"
        "    movl %eax, own_db_eip\n"
        "    movl %dr6, %eax\n"
        "    movl %eax, own_db_dr6\n"
        "    andl $0xfffffeff, 12(%esp)\n"      /* TF off in the frame: one trap */
        "    incl own_traps\n"
        "    popl %eax\n"
        "    iret\n");
ATTACK(own_int3_tf, "cpu-own-int3-tf", "all icelake", "native",
       "the guest's own INT3 and a POPF that sets TF: its #BP and #DB handlers run, each once, at the "
       "right EIP")
{
    set_gate(3, (uint32_t)own_bp_stub, KCODE, 0x8E);
    set_gate(1, (uint32_t)own_db_stub, KCODE, 0x8E);
    uint32_t after_int3, after_nop;
    __asm__ volatile("movl $1f, %0\n\tint3\n1:" : "=r"(after_int3) : : "memory");
    __asm__ volatile("movl $1f, %0\n\tpushf\n\torl $0x100, (%%esp)\n\tpopf\n\tnop\n1:"
                     : "=r"(after_nop) : : "memory", "cc");
    result("#BP at EIP %s, #DB at EIP %s with DR6.BS=%u, %u traps",
           own_bp_eip == after_int3 ? "after the INT3" : "wrong",
           own_db_eip == after_nop ? "after the NOP" : "wrong", (own_db_dr6 >> 14) & 1, own_traps);
}

/* The guest's own instruction breakpoints (DR7's Ln with R/Wn 00): a fault
 * before the instruction, #DB with DR6.Bn, and RF in the frame lets it
 * run on the return (SDM 18.3.1.1). DR1 on a function's first instruction,
 * DR0 in the middle of it. The code runs once before, so that bt=1 has
 * translated it: its translations run at other addresses, where DR0 and
 * DR1 never match, so the MOV DR7 must drop them and the translator end a
 * block before DR0 and run DR1's instruction in place. */
uint32_t ib_eip, ib_dr6, ib_hits;   /* ib_stub's (asm uses them) */
void ib_stub(void);
void ib_code(void);
extern char ib_here[];
__asm__(".globl ib_stub\n"
        "ib_stub:\n"
        "    pushl %eax\n"
        "    movl 4(%esp), %eax\n"
        "    movl %eax, ib_eip\n"
        "    movl %dr6, %eax\n"
        "    orl %eax, ib_dr6\n"
        "    xorl %eax, %eax\n"
        "    movl %eax, %dr6\n"                /* B0-B3 stay set until cleared (SDM 18.2.3) */
        "    orl $0x10000, 12(%esp)\n"        /* RF: the instruction runs after the IRET */
        "    incl ib_hits\n"
        "    popl %eax\n"
        "    iret\n"
        ".globl ib_code\n"
        "ib_code:\n"
        "    addl $1, %eax\n"
        ".globl ib_here\n"
        "ib_here:\n"
        "    addl $2, %eax\n"
        "    ret\n");
ATTACK(own_instruction_breakpoint, "cpu-own-instruction-breakpoint", "all icelake", "native",
       "the guest's own instruction breakpoints on code it ran before: its #DB handler runs at each, "
       "in order")
{
    set_gate(1, (uint32_t)ib_stub, KCODE, 0x8E);
    uint32_t sum = 0;
    __asm__ volatile("call ib_code" : "+a"(sum) : : "memory", "cc");
    __asm__ volatile("movl %0, %%dr0\n\tmovl %1, %%dr1\n\tmovl %2, %%dr7"
                     : : "r"(ib_here), "r"(ib_code), "r"(0x401u) : "memory");
    __asm__ volatile("call ib_code" : "+a"(sum) : : "memory", "cc");       /* DR0 alone */
    __asm__ volatile("movl %0, %%dr7" : : "r"(0x405u) : "memory");
    __asm__ volatile("call ib_code" : "+a"(sum) : : "memory", "cc");       /* DR1, then DR0 */
    __asm__ volatile("movl %0, %%dr7" : : "r"(0x400u) : "memory");
    result("the last #DB at %s, DR6.B0-B3 0x%x, %u hits, sum %u",
           ib_eip == (uint32_t)ib_here ? "DR0's" : "the wrong EIP", ib_dr6 & 15, ib_hits, sum);
}

/* The guest's own data breakpoint (DR0, R/W0 01: writes, 4 bytes) on the
 * stack slot its PUSHF writes: a trap after the PUSHF (SDM 18.3.1.2), once.
 * bt=1 translates PUSHF into a real PUSHF, a POPF and a PUSH: the trap
 * comes inside, and must be reported after the whole PUSHF, never before it
 * (which would run it twice). Not with patch=1: it emulates the PUSHF, and
 * no emulated access of cpu=deprivileged raises the guest's data
 * breakpoints (a gap of every emulation, not of this one). */
uint32_t dbw_eip, dbw_dr6, dbw_hits;   /* dbw_stub's (asm uses them) */
void dbw_stub(void);
__asm__(".globl dbw_stub\n"
        "dbw_stub:\n"
        "    pushl %eax\n"
        "    movl 4(%esp), %eax\n"
        "    movl %eax, dbw_eip\n"
        "    movl %dr6, %eax\n"
        "    orl %eax, dbw_dr6\n"
        "    xorl %eax, %eax\n"
        "    movl %eax, %dr6\n"
        "    incl dbw_hits\n"
        "    popl %eax\n"
        "    iret\n");
ATTACK(own_data_breakpoint, "cpu-own-data-breakpoint", "ept shadow depriv bt icelake", "native",
       "the guest's own data breakpoint on the stack slot a PUSHF writes: one #DB, after the PUSHF")
{
    set_gate(1, (uint32_t)dbw_stub, KCODE, 0x8E);
    uint32_t before, after, at;
    __asm__ volatile("movl %%esp, %0\n\t"
                     "leal -4(%%esp), %%eax\n\t"
                     "movl %%eax, %%dr0\n\t"
                     "movl $0xD0401, %%eax\n\t"        /* L0, R/W0 01, LEN0 11 */
                     "movl %%eax, %%dr7\n\t"
                     "pushf\n"
                     "1:\tpopl %%eax\n\t"
                     "movl $0x400, %%eax\n\t"
                     "movl %%eax, %%dr7\n\t"
                     "movl %%esp, %1\n\t"
                     "movl $1b, %2"
                     : "=m"(before), "=m"(after), "=m"(at) : : "eax", "memory", "cc");
    result("#DB at %s with DR6.B0=%u, %u hits, ESP %s", dbw_eip == at ? "the instruction after the PUSHF" : "a wrong EIP",
           dbw_dr6 & 1, dbw_hits, before == after ? "balanced" : "off");
}

/* Every VM exit sets the real DR7 to 0x400: the guest's must come back. */
ATTACK(dr7_across_exit, "cpu-dr7-across-exit", "all icelake", "native",
       "DR7 set (a breakpoint enabled on an address never run), then CPUID, which exits: DR7 kept")
{
    uint32_t dr7, a = 0, b, c = 0, d;
    __asm__ volatile("movl %0, %%dr0\n\tmovl %1, %%dr7" : : "r"(0xFFFFF000u), "r"(0x702u) : "memory");
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    __asm__ volatile("movl %%dr7, %0" : "=r"(dr7));
    __asm__ volatile("movl %0, %%dr7" : : "r"(0x400u) : "memory");
    result("DR7=0x%x after CPUID", dr7);
}

ATTACK(lock_mov_cr0, "cpu-lock-mov-cr0", "all icelake", "native",
       "LOCK MOV CR0 (AMD's CR8 encoding): #UD on Intel, never an emulated CR write")
{
    __asm__ volatile(EXPECT_AT(".byte 0xf0, 0x0f, 0x22, 0xc0") : : "a"(read_cr0()) : "memory");
}

ATTACK(lmsw_zero, "cpu-lmsw-zero", "all icelake", "native", "LMSW 0: it cannot clear PE, the CPU keeps it")
{
    __asm__ volatile("lmsw %w0" : : "r"(0) : "memory");
    result("CR0.PE=%u", read_cr0() & 1);
}

ATTACK(clts, "cpu-clts", "all icelake", "native", "CLTS, then read CR0.TS")
{
    write_cr0(read_cr0() | 1u << 3);
    __asm__ volatile("clts" : : : "memory");
    result("CR0.TS=%u", (read_cr0() >> 3) & 1);
}

/* PAE paging (CR4.PAE with CR0.PG): three levels the shadow tables do not
 * have. Natively and with EPT the guest gets PAE. */
ATTACK(pae, "cpu-pae-paging", "all icelake", "native; shadow depriv patch: stop PAE",
       "PAE paging, which shadow paging (2-level tables) does not shadow")
{
    static uint64_t pdpt[4] __attribute__((aligned(32)));
    static uint64_t pd[512] __attribute__((aligned(4096)));
    for (unsigned i = 0; i < 512; i++)
        pd[i] = (uint64_t)i << 21 | PG_P | PG_W | PG_PS;     /* 2 MiB pages: the first GiB 1:1 */
    pdpt[0] = (uint32_t)pd | PG_P;
    write_cr4(read_cr4() | 1u << 5);
    __asm__ volatile("mov %0, %%cr3" : : "r"(pdpt) : "memory");
    write_cr0(read_cr0() | CR0_PG);
    result("PAE paging on, read 0x%08x", *(volatile uint32_t *)0x100000);
}
