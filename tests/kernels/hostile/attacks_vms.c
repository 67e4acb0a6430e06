/*
 * attacks_vms.c: one VM against another (vms=2, hv/guest/vm.h). The hostile
 * kernel in VM 0 leaves a secret all over its memory and powers off; the
 * one in VM 1 then reads every guest-physical address it can, from 0 up,
 * its RAM and beyond, looking for it. The hypervisor gives each VM its own
 * RAM (and checks that no host page is in two VMs): VM 1 must not find the
 * secret, and must be stopped at the first address past its RAM.
 * tests/integration/hostile.py runs an attack whose modes say after:NAME
 * as VM 1, with NAME in VM 0.
 */
#include "attack.h"

#define SECRET_WORDS 8          /* one block, 32-byte aligned */
#define SECRET_FROM  0x200000u  /* above the kernel (kernel.ld: at 1 MiB) */
#define SCAN_STRIDE  32u

/* The secret's words, computed at run time from two halves that the image
 * holds apart: the kernel file (the same one in both VMs) never holds the
 * secret itself, only the memory the writer fills. A register the scanner
 * spills holds one word of it at most, never a whole block. */
static volatile uint32_t secret_halves[2] = { 0x5EC2E7A5u, 0x3A11F00Du };

static uint32_t secret(unsigned i)
{
    return (secret_halves[0] ^ secret_halves[1]) * (2 * i + 1) + i;
}

static uint32_t top_of_ram(void)
{
    if (!ram_top)
        result("no memory information from the loader");
    return ram_top;
}

ATTACK(vm_secret_write, "vm-secret-write", "all", "result left its secret above 2 MiB",
       "fills its RAM above 2 MiB with a secret, for VM 1 to look for (vm-secret-scan)")
{
    volatile uint32_t *p = (volatile uint32_t *)SECRET_FROM;
    volatile uint32_t *end = (volatile uint32_t *)top_of_ram();
    while (p + SECRET_WORDS <= end)
        for (unsigned i = 0; i < SECRET_WORDS; i++)
            *p++ = secret(i);
    result("left its secret above 2 MiB");
}

/* A whole block of the secret at p. */
static int secret_at(const volatile uint32_t *p)
{
    for (unsigned i = 0; i < SECRET_WORDS; i++)
        if (p[i] != secret(i))
            return 0;
    return 1;
}

/* 32 bytes apart: the secret's blocks are 32-byte aligned in the writer's
 * memory, and a page, wherever it is mapped, keeps its offsets. */
ATTACK(vm_secret_scan, "vm-secret-scan", "ept shadow depriv patch icelake after:vm-secret-write",
       "stop guest-physical 0x1000000\\b.*outside its 16 MiB of RAM",
       "reads every guest-physical address from 0 up, its RAM and past it, for VM 0's secret")
{
    uint32_t top = top_of_ram(), first = secret(0);
    for (uint32_t at = 0;; at += SCAN_STRIDE) {
        if (at == top)
            printf("hostile: no secret in 0x00000000-0x%08x, its RAM; reading on past it\n", top);
        const volatile uint32_t *p = (const volatile uint32_t *)at;
        if (*p == first && secret_at(p))
            breach("VM 0's secret at guest-physical 0x%08x", at);
        if (at + SCAN_STRIDE == 0)
            result("read every address below 4 GiB: no secret");
    }
}

/* ---- registers: what no VMCS switches ----
 * The x87 and SSE registers, DR0-DR3 and CR2 are the CPU's own, not the
 * VMCS's: a guest leaves its values there when it stops. VM 0 fills them
 * with the secret; VM 1, which runs next on the same CPU, must find none
 * of it (hv/guest/vm.c clears them between VMs). */

#define CR0_EM     (1u << 2)
#define CR0_TS     (1u << 3)
#define CR4_OSFXSR (1u << 9)
#define FXSAVE_ST  32           /* ST0-ST7 (MM0-MM7), 16 bytes each (SDM vol. 1, table 10-2) */
#define FXSAVE_XMM 160          /* XMM0-XMM7, 16 bytes each */

static uint8_t fxsave_area[512] __attribute__((aligned(16)));

static void sse_on(void)
{
    write_cr0(read_cr0() & ~(CR0_EM | CR0_TS));
    write_cr4(read_cr4() | CR4_OSFXSR);
}

ATTACK(vm_registers_write, "vm-registers-write", "all", "result left its secret in its registers",
       "puts a secret in ST0-ST7, XMM0-XMM7, DR0-DR3 and CR2, for VM 1 to look for (vm-registers-scan)")
{
    sse_on();
    /* ST0-ST7: an 80-bit number whose significand is the secret's first
     * two words (its integer bit set), exponent 0x3FFF. */
    static uint16_t st[5];
    uint32_t lo = secret(0), hi = secret(1) | 0x80000000u;
    st[0] = (uint16_t)lo, st[1] = (uint16_t)(lo >> 16), st[2] = (uint16_t)hi, st[3] = (uint16_t)(hi >> 16);
    st[4] = 0x3FFF;
    __asm__ volatile("fninit");
    for (unsigned i = 0; i < 8; i++)
        __asm__ volatile("fldt %0" : : "m"(st));
    /* XMM0-XMM7: the secret's first word in every lane. */
    __asm__ volatile("movd %0, %%xmm0\n\tpshufd $0, %%xmm0, %%xmm0\n\t"
                     "movdqa %%xmm0, %%xmm1\n\tmovdqa %%xmm0, %%xmm2\n\tmovdqa %%xmm0, %%xmm3\n\t"
                     "movdqa %%xmm0, %%xmm4\n\tmovdqa %%xmm0, %%xmm5\n\tmovdqa %%xmm0, %%xmm6\n\t"
                     "movdqa %%xmm0, %%xmm7" : : "r"(lo));
    __asm__ volatile("mov %0, %%db0\n\tmov %0, %%db1\n\tmov %0, %%db2\n\tmov %0, %%db3\n\t"
                     "mov %0, %%cr2" : : "r"(lo));
    result("left its secret in its registers");
}

/* A 32-bit word of the secret (its first two words, or the second with the
 * integer bit the writer set) in 4 bytes at p. */
static int secret_word(const uint8_t *p)
{
    uint32_t w = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return w == secret(0) || w == secret(1) || w == (secret(1) | 0x80000000u);
}

ATTACK(vm_registers_scan, "vm-registers-scan", "ept shadow depriv patch icelake after:vm-registers-write",
       "result no secret in its registers",
       "looks for VM 0's secret in ST0-ST7, XMM0-XMM7 (FXSAVE), DR0-DR3 and CR2")
{
    sse_on();
    __asm__ volatile("fxsave %0" : "=m"(fxsave_area));
    for (unsigned r = 0; r < 8; r++)
        for (unsigned k = 0; k < 16; k += 4) {
            if (k < 8 && secret_word(fxsave_area + FXSAVE_ST + 16 * r + k))
                breach("VM 0's secret in ST%u (its bits, FXSAVE)", r);
            if (secret_word(fxsave_area + FXSAVE_XMM + 16 * r + k))
                breach("VM 0's secret in XMM%u", r);
        }
    uint32_t dr[4];
    __asm__ volatile("mov %%db0, %0\n\tmov %%db1, %1\n\tmov %%db2, %2\n\tmov %%db3, %3"
                     : "=r"(dr[0]), "=r"(dr[1]), "=r"(dr[2]), "=r"(dr[3]));
    for (unsigned n = 0; n < 4; n++)
        if (dr[n] == secret(0))
            breach("VM 0's secret in DR%u", n);
    if (read_cr2() == secret(0))
        breach("VM 0's secret in CR2");
    result("no secret in its registers");
}
