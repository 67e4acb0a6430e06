/*
 * attacks_user.c: a guest process (ring 3) trying what only its kernel may
 * do. A CPU answers each with an exception to the guest's kernel; so must
 * the hypervisor, in every mode, including the ring-1 kernel of
 * cpu=deprivileged, where ring 3 and the kernel share the real TSS and a
 * patched kernel's INT3s are in reach of user code.
 */
#include "attack.h"

/* A ring-3 body: one instruction, expected to fault. */
#define USER_ATTACK(fn, name_, what_, insn, ...)                                  \
    static void fn##_body(void) { __asm__ volatile(EXPECT_AT(insn) __VA_ARGS__); } \
    ATTACK(fn, name_, "all", "native", what_) { run_user(fn##_body); }

USER_ATTACK(user_in_com1, "user-in-com1", "IN from COM1 at ring 3, IOPL 0 and no I/O map",
            "inb %%dx, %%al", : : "d"(0x3F8) : "eax", "memory")
USER_ATTACK(user_out_pic, "user-out-pic", "OUT to the PIC at ring 3",
            "outb %%al, $0x21", : : "a"(0xFF) : "memory")
USER_ATTACK(user_out_poweroff, "user-out-poweroff", "OUT to the power-off port at ring 3",
            "outw %%ax, %%dx", : : "a"(0x2000), "d"(0x604) : "memory")
USER_ATTACK(user_cli, "user-cli", "CLI at ring 3", "cli", : : : "memory")
USER_ATTACK(user_hlt, "user-hlt", "HLT at ring 3", "hlt", : : : "memory")
USER_ATTACK(user_rdmsr, "user-rdmsr", "RDMSR at ring 3", "rdmsr", : : "c"(0x10) : "eax", "edx")
USER_ATTACK(user_wrmsr, "user-wrmsr-sysenter-cs", "WRMSR IA32_SYSENTER_CS at ring 3",
            "wrmsr", : : "c"(0x174), "a"(0x08), "d"(0) : "memory")
USER_ATTACK(user_mov_cr3, "user-mov-cr3", "MOV CR3 at ring 3",
            "mov %0, %%cr3", : : "r"(0) : "memory")
USER_ATTACK(user_lidt, "user-lidt", "LIDT at ring 3", "lidt (%0)", : : "r"(0x1000) : "memory")
USER_ATTACK(user_invlpg, "user-invlpg", "INVLPG at ring 3", "invlpg (%0)", : : "r"(0x1000) : "memory")
USER_ATTACK(user_wbinvd, "user-wbinvd", "WBINVD at ring 3", "wbinvd", : : : "memory")
USER_ATTACK(user_vmcall, "user-vmcall", "VMCALL at ring 3", "vmcall", : : : "memory")
USER_ATTACK(user_int_dpl0, "user-int-dpl0-gate", "INT 14 at ring 3 through a DPL-0 gate (a fake page fault)",
            "int $14", : : : "memory")
USER_ATTACK(user_sysenter, "user-sysenter-cs0", "SYSENTER at ring 3 while IA32_SYSENTER_CS is 0",
            "sysenter", : : : "memory")
USER_ATTACK(user_mov_dr7, "user-mov-dr7", "MOV DR7 at ring 3", "mov %0, %%dr7", : : "r"(0x400) : "memory")

/* IRET at ring 3 to a ring-0 code segment: #GP with the selector. */
static void user_iret_body(void)
{
    __asm__ volatile("pushl $0x10\n\tpushl %%esp\n\tpushfl\n\tpushl $0x08\n\tpushl $1f\n\t"
                     EXPECT_AT("iret") "1:" : : : "memory");
}
ATTACK(user_iret_ring0, "user-iret-to-ring0", "all", "native",
       "IRET at ring 3 with a frame naming the kernel's code segment")
{
    run_user(user_iret_body);
}

/* POPF at ring 3 with IF clear: at CPL > IOPL the CPU keeps IF, silently
 * (SDM vol. 2, POPF). */
static uint32_t flags_after;
static void user_popf_body(void)
{
    uint32_t f;
    __asm__ volatile("pushfl\n\tandl $~0x200, (%%esp)\n\tpopfl\n\tpushfl\n\tpopl %0"
                     : "=r"(f) : : "memory", "cc");
    flags_after = f;
}
ATTACK(user_popf_if, "user-popf-clears-if", "all", "native",
       "POPF at ring 3 clearing IF: at CPL > IOPL it must stay set")
{
    __asm__ volatile("sti");
    run_user(user_popf_body);
    result("ring 3 saw IF=%u after its POPF", (flags_after >> 9) & 1);
}

/* A segment-register store to a page ring 3 may read but not write. */
static uint32_t *readonly_target;
static void user_store_ds_body(void)
{
    __asm__ volatile(EXPECT_AT("movw %%ds, (%0)") : : "r"(readonly_target) : "memory");
}
ATTACK(user_store_sreg, "user-mov-ds-to-kernel-page", "all", "native",
       "MOV m16, DS at ring 3 into a supervisor-only page")
{
    static uint32_t target[1024] __attribute__((aligned(4096)));
    paging_on(1);
    low_pt[(uint32_t)target >> 12] &= ~PG_U;
    invlpg((uint32_t)target);
    readonly_target = target;
    run_user(user_store_ds_body);
}

/* The stack-segment loads cpu=deprivileged emulates for the kernel (MOV SS,
 * LSS with its ring-0 selector): from ring 3 they are the CPU's #GP. */
static const struct { uint32_t esp; uint16_t ss; } __attribute__((packed)) kernel_stack_ptr = { 0x1000, KDATA };
USER_ATTACK(user_mov_ss_kernel, "user-mov-ss-kernel", "MOV SS with the kernel's stack selector at ring 3",
            "movl %%eax, %%ss", : : "a"((uint32_t)KDATA) : "memory")
USER_ATTACK(user_lss_kernel, "user-lss-kernel", "LSS with the kernel's stack selector at ring 3",
            "lss (%%eax), %%esp", : : "a"(&kernel_stack_ptr) : "memory")
