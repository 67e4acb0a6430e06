/*
 * scrub.c: zeroing a guest's RAM (64-bit, VMX root). See scrub.h.
 *
 * Under Bochs every instruction costs, and REP STOSQ is one per 8 bytes
 * (Debian's build has no repeat speed-ups): 8 million for a 64 MiB guest,
 * a sizeable part of a test run. An AVX-512 store writes 64 bytes, so
 * where the CPU has AVX-512 (Bochs's tigerlake and icelake models) the
 * block is zeroed 512 bytes a loop, about 8 times fewer instructions.
 * XSAVE must be on for those instructions (SDM vol. 1, 15.2: CR4.OSXSAVE,
 * and XCR0's opmask, ZMM_Hi256, Hi16_ZMM, AVX and SSE bits): both are set
 * for the loop alone and put back as they were, so that a guest (whose
 * XGETBV reads the real XCR0) and the rest of the hypervisor never see
 * them. ZMM0, which it uses, is zero before and after.
 */
#include "mem/scrub.h"
#include "mem/memory.h"
#include "string.h"
#include "x86/control_regs.h"
#include "x86/x86.h"

#define CPUID1_ECX_XSAVE     (1u << 26)
#define CPUID7_EBX_AVX512F   (1u << 16)
#define XCR0_AVX512          0xE7u      /* x87, SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM */
#define STEP                 512u       /* bytes a loop: 8 stores of 64 */

static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}

static void xsetbv0(uint64_t v)
{
    __asm__ volatile("xsetbv" : : "a"((uint32_t)v), "d"((uint32_t)(v >> 32)), "c"(0) : "memory");
}

static bool have_avx512(void)
{
    if (!(cpuid(1, 0).ecx & CPUID1_ECX_XSAVE) || cpuid(0, 0).eax < 0xD ||
        !(cpuid(7, 0).ebx & CPUID7_EBX_AVX512F))
        return false;
    return (cpuid(0xD, 0).eax & XCR0_AVX512) == XCR0_AVX512;    /* XCR0 bits it allows */
}

/* bytes a multiple of STEP, p 64-byte aligned. */
static void zero_avx512(void *p, uint64_t bytes)
{
    uint64_t cr4 = read_cr4();
    write_cr4(cr4 | CR4_OSXSAVE);
    uint64_t xcr0 = xgetbv0();
    xsetbv0(xcr0 | XCR0_AVX512);
    char *end = (char *)p + bytes;
    __asm__ volatile("vpxord %%zmm0, %%zmm0, %%zmm0\n"
                     "1: vmovdqa64 %%zmm0, 0x000(%0)\n"
                     "   vmovdqa64 %%zmm0, 0x040(%0)\n"
                     "   vmovdqa64 %%zmm0, 0x080(%0)\n"
                     "   vmovdqa64 %%zmm0, 0x0C0(%0)\n"
                     "   vmovdqa64 %%zmm0, 0x100(%0)\n"
                     "   vmovdqa64 %%zmm0, 0x140(%0)\n"
                     "   vmovdqa64 %%zmm0, 0x180(%0)\n"
                     "   vmovdqa64 %%zmm0, 0x1C0(%0)\n"
                     "   add $512, %0\n"
                     "   cmp %1, %0\n"
                     "   jb 1b\n"
                     : "+r"(p) : "r"(end) : "cc", "memory");
    xsetbv0(xcr0);
    write_cr4(cr4);
}

void scrub(uint64_t pa, uint64_t bytes)
{
    static int avx512 = -1;
    if (avx512 < 0)
        avx512 = have_avx512();
    uint64_t whole = (pa % 64 == 0) ? bytes / STEP * STEP : 0;
    if (avx512 && whole)
        zero_avx512((void *)(uintptr_t)pa, whole);
    else
        whole = 0;
    memset((void *)(uintptr_t)(pa + whole), 0, bytes - whole);
}

void scrub_fill_free(uint8_t byte)
{
    for (uint64_t pa = 0; pa < IDENTITY_MAP_END; pa += PAGE_SIZE)
        if (pmm_is_free(&hv_pmm, pa))
            memset((void *)(uintptr_t)pa, byte, PAGE_SIZE);
}
