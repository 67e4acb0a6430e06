/*
 * long_mode_msr_numbers.h: the numbers of the MSRs a 64-bit kernel uses (SDM vol.
 * 4, table 2-2): SYSCALL's and SYSRET's, the FS and GS bases and SWAPGS's
 * KERNEL_GS_BASE. For the hypervisor (hv/guest/long_mode_msrs.c) and the
 * test kernels that use them (tests/kernels/long64, the hostile kernel).
 */
#pragma once

#define MSR_STAR            0xC0000081   /* SYSCALL's and SYSRET's selectors */
#define MSR_LSTAR           0xC0000082   /* SYSCALL's RIP in 64-bit mode */
#define MSR_CSTAR           0xC0000083   /* SYSCALL's RIP in compatibility mode */
#define MSR_SFMASK          0xC0000084   /* the RFLAGS bits SYSCALL clears */
#define MSR_FS_BASE         0xC0000100
#define MSR_GS_BASE         0xC0000101
#define MSR_KERNEL_GS_BASE  0xC0000102   /* exchanged with GS_BASE by SWAPGS */
