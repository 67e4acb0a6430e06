/*
 * control_regs.h: the bits of CR0, CR4, RFLAGS and IA32_EFER the
 * hypervisor names (SDM vol. 3, 2.5 "Control Registers", 2.3 "System Flags
 * and Fields in the EFLAGS Register", 2.2.1 "Extended Feature Enable
 * Register"). One list for C and assembly: in C each bit is 64 bits wide,
 * so that ~CR0_PG clears one bit of a 64-bit register and no more. Pure:
 * the VM-entry checker's host tests use it too.
 */
#pragma once

#ifdef __ASSEMBLER__
#define CR_BIT(n) (1 << (n))
#else
#define CR_BIT(n) (1ull << (n))
#endif

#define CR0_PE      CR_BIT(0)
#define CR0_EM      CR_BIT(2)    /* x87 emulation: FPU and SSE instructions raise #NM or #UD */
#define CR0_TS      CR_BIT(3)    /* task switched: the next FPU instruction raises #NM */
#define CR0_ET      CR_BIT(4)
#define CR0_NE      CR_BIT(5)
#define CR0_WP      CR_BIT(16)
#define CR0_NW      CR_BIT(29)
#define CR0_CD      CR_BIT(30)
#define CR0_PG      CR_BIT(31)

#define CR4_TSD     CR_BIT(2)    /* RDTSC at CPL 0 only */
#define CR4_DE      CR_BIT(3)    /* debugging extensions: DR4 and DR5 are undefined */
#define CR4_PSE     CR_BIT(4)
#define CR4_PAE     CR_BIT(5)
#define CR4_MCE     CR_BIT(6)    /* machine-check exceptions enabled */
#define CR4_PGE     CR_BIT(7)
#define CR4_PCE     CR_BIT(8)    /* RDPMC at any CPL */
#define CR4_OSFXSR  CR_BIT(9)    /* FXSAVE/FXRSTOR hold the SSE state; SSE instructions allowed */
#define CR4_OSXMMEXCPT CR_BIT(10) /* unmasked SIMD floating-point exceptions raise #XM */
#define CR4_VMXE    CR_BIT(13)   /* VMX enable (SDM 24.7 "Enabling and Entering VMX Operation") */
#define CR4_SMXE    CR_BIT(14)
#define CR4_PCIDE   CR_BIT(17)
#define CR4_OSXSAVE CR_BIT(18)
#define CR4_SMEP    CR_BIT(20)
#define CR4_SMAP    CR_BIT(21)
#define CR4_PKE     CR_BIT(22)
#define CR4_CET     CR_BIT(23)

#define RFLAGS_TF   CR_BIT(8)    /* trap: #DB after each instruction */
#define RFLAGS_IF   CR_BIT(9)
#define RFLAGS_DF   CR_BIT(10)   /* direction: string instructions step down */
#define RFLAGS_RF   CR_BIT(16)   /* resume: no instruction breakpoint for one instruction */
#define RFLAGS_VM   CR_BIT(17)
#define RFLAGS_AC   CR_BIT(18)   /* alignment check; with CR4.SMAP, supervisor access to user pages */

#define EFER_SCE    CR_BIT(0)    /* SYSCALL and SYSRET enable */
#define EFER_LME    CR_BIT(8)    /* long mode enable */
#define EFER_LMA    CR_BIT(10)   /* long mode active (read-only) */
#define EFER_NXE    CR_BIT(11)   /* execute-disable bit in the page tables */
