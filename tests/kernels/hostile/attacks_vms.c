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
#include "fmt.h"
#include "string.h"

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

/* ST0-ST7 hold an 80-bit number whose significand is (hi with its integer
 * bit set):lo, exponent 0x3FFF; XMM0-XMM7 lo in every lane; DR0-DR3 and
 * CR2 lo. */
static void fill_registers(uint32_t lo, uint32_t hi)
{
    sse_on();
    static uint16_t st[5];
    hi |= 0x80000000u;
    st[0] = (uint16_t)lo, st[1] = (uint16_t)(lo >> 16), st[2] = (uint16_t)hi, st[3] = (uint16_t)(hi >> 16);
    st[4] = 0x3FFF;
    __asm__ volatile("fninit");
    for (unsigned i = 0; i < 8; i++)
        __asm__ volatile("fldt %0" : : "m"(st));
    __asm__ volatile("movd %0, %%xmm0\n\tpshufd $0, %%xmm0, %%xmm0\n\t"
                     "movdqa %%xmm0, %%xmm1\n\tmovdqa %%xmm0, %%xmm2\n\tmovdqa %%xmm0, %%xmm3\n\t"
                     "movdqa %%xmm0, %%xmm4\n\tmovdqa %%xmm0, %%xmm5\n\tmovdqa %%xmm0, %%xmm6\n\t"
                     "movdqa %%xmm0, %%xmm7" : : "r"(lo));
    __asm__ volatile("mov %0, %%db0\n\tmov %0, %%db1\n\tmov %0, %%db2\n\tmov %0, %%db3\n\t"
                     "mov %0, %%cr2" : : "r"(lo));
}

ATTACK(vm_registers_write, "vm-registers-write", "all", "result left its secret in its registers",
       "puts a secret in ST0-ST7, XMM0-XMM7, DR0-DR3 and CR2, for VM 1 to look for (vm-registers-scan)")
{
    fill_registers(secret(0), secret(1));
    result("left its secret in its registers");
}

/* The registers fill_registers writes, as the CPU holds them now: 4-byte
 * words, each with its name ("XMM3"). ST0-ST7's significands (FXSAVE),
 * XMM0-XMM7, DR0-DR3, CR2. */
#define REG_WORDS (8 * 2 + 8 * 4 + 4 + 1)
struct reg_words {
    uint32_t w[REG_WORDS];
    char name[REG_WORDS][6];
};

static void read_registers(struct reg_words *r)
{
    unsigned n = 0;
    __asm__ volatile("fxsave %0" : "=m"(fxsave_area));
    for (unsigned i = 0; i < 8; i++)
        for (unsigned k = 0; k < 8; k += 4, n++) {
            memcpy(&r->w[n], fxsave_area + FXSAVE_ST + 16 * i + k, 4);
            snprintf(r->name[n], sizeof(r->name[n]), "ST%u", i);
        }
    for (unsigned i = 0; i < 8; i++)
        for (unsigned k = 0; k < 16; k += 4, n++) {
            memcpy(&r->w[n], fxsave_area + FXSAVE_XMM + 16 * i + k, 4);
            snprintf(r->name[n], sizeof(r->name[n]), "XMM%u", i);
        }
    __asm__ volatile("mov %%db0, %0\n\tmov %%db1, %1\n\tmov %%db2, %2\n\tmov %%db3, %3"
                     : "=r"(r->w[n]), "=r"(r->w[n + 1]), "=r"(r->w[n + 2]), "=r"(r->w[n + 3]));
    for (unsigned i = 0; i < 4; i++, n++)
        snprintf(r->name[n], sizeof(r->name[n]), "DR%u", i);
    r->w[n] = read_cr2();
    snprintf(r->name[n], sizeof(r->name[n]), "CR2");
}

/* The first register holding a word of the values (lo, hi) that
 * fill_registers writes (hi also with the integer bit it sets), or NULL. */
static const char *register_holding(uint32_t lo, uint32_t hi)
{
    static struct reg_words r;
    read_registers(&r);
    for (unsigned n = 0; n < REG_WORDS; n++)
        if (r.w[n] == lo || r.w[n] == hi || r.w[n] == (hi | 0x80000000u))
            return r.name[n];
    return NULL;
}

/* The first register that does not hold what fill_registers(lo, hi) left
 * there, or NULL: ST's words are lo and hi with its integer bit, every
 * other's lo. */
static const char *register_changed(uint32_t lo, uint32_t hi)
{
    static struct reg_words r;
    read_registers(&r);
    for (unsigned n = 0; n < REG_WORDS; n++) {
        uint32_t want = n < 16 && (n & 1) ? hi | 0x80000000u : lo;
        if (r.w[n] != want)
            return r.name[n];
    }
    return NULL;
}

ATTACK(vm_registers_scan, "vm-registers-scan", "ept shadow depriv patch icelake after:vm-registers-write",
       "result no secret in its registers",
       "looks for VM 0's secret in ST0-ST7, XMM0-XMM7 (FXSAVE), DR0-DR3 and CR2")
{
    sse_on();
    const char *found = register_holding(secret(0), secret(1));
    if (found)
        breach("VM 0's secret in %s", found);
    result("no secret in its registers");
}

/* ---- the same, with the two VMs taking turns (devices=virtual: the
 * VMX-preemption timer ends each turn, hv/sched.c) ----
 * Each fills the registers with values of its own and keeps running while
 * the other has its turns: at every switch the hypervisor saves the one
 * VM's registers and loads the other's (vm_switch_cpu_state). After each
 * of the other's turns, a VM must find its own values again, all of them
 * (a hypervisor that only cleared the registers fails here), and never
 * the other's. A turn of the other VM shows as a jump of the TSC, which
 * counts wall time (tsc=wall): a turn is 40,000 TSC ticks (quantum=10 ms
 * of Bochs's 4 MHz TSC), an exit of its own a few thousand at most. */
#define OTHER_TURN_TSC 20000u
#define GIVE_UP_TSC    40000000u    /* a thousand turns: the other VM never ran */

void after_each_other_turn(unsigned turns, void (*check)(unsigned seen))
{
    uint64_t start = read_tsc(), last = start;
    for (unsigned seen = 0; seen < turns;) {
        uint64_t now = read_tsc();
        if (now - last >= OTHER_TURN_TSC) {
            seen++;
            check(seen);
        } else if (now - start > GIVE_UP_TSC) {
            result("saw %u of the other VM's turns in %u TSC ticks", seen, GIVE_UP_TSC);
        }
        last = now;
    }
}

/* Fill, then run through `turns` of the other VM's turns, checking the
 * registers after each; theirs: the other's values, which must never show. */
static uint32_t kept_lo, kept_hi, their_lo, their_hi;

static void check_registers(unsigned seen)
{
    const char *found = their_lo ? register_holding(their_lo, their_hi) : NULL;
    if (found)
        breach("the other VM's values in %s after its turn %u", found, seen);
    const char *lost = register_changed(kept_lo, kept_hi);
    if (lost)
        result("lost its own %s after %u of the other VM's turns", lost, seen);
}

static void keep_registers(uint32_t lo, uint32_t hi, uint32_t theirs_lo, uint32_t theirs_hi, unsigned turns)
{
    kept_lo = lo, kept_hi = hi, their_lo = theirs_lo, their_hi = theirs_hi;
    fill_registers(lo, hi);
    after_each_other_turn(turns, check_registers);
}

ATTACK(vm_registers_hold, "vm-registers-hold", "partner virtual vshadow vdepriv",
       "result kept its registers through 4 of the other VM's turns",
       "VM 0 beside vm-registers-keep: fills ST0-ST7, XMM0-XMM7, DR0-DR3, CR2 and checks them after each turn of VM 1")
{
    keep_registers(secret(0), secret(1), 0, 0, 4);
    result("kept its registers through 4 of the other VM's turns");
}

ATTACK(vm_registers_keep, "vm-registers-keep", "virtual vshadow vdepriv after:vm-registers-hold",
       "result kept its registers through 3 of the other VM's turns",
       "VM 1 beside vm-registers-hold, in turns: its own values in ST0-ST7, XMM0-XMM7, DR0-DR3, CR2 after each "
       "of VM 0's turns, and never VM 0's")
{
    keep_registers(~secret(0), ~secret(1), secret(0), secret(1), 3);
    result("kept its registers through 3 of the other VM's turns");
}
