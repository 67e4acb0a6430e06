/*
 * virtcheck: every way this guest can notice that it is virtualised or
 * deprivileged, one "VIRTCHECK name: ..." line each, ending in "native"
 * when the value is what the kernel set up on bare hardware, or "DIFFERS".
 * Natively every line says native, except what an emulator itself shows:
 * QEMU sets the CPUID hypervisor bit (cpuid_hv), and QEMU's TSC follows the
 * host clock, so the host's scheduler can show as a TSC jump (tsc_jump). The verdict is about the probes working:
 * the kernel answered and its answers are self-consistent, virtualised or not.
 */
#include "ulib.h"
#include "../kernel/virtprobe.h"

#define CR0_NE   (1u << 5)    /* numeric error */
#define CR4_VMXE (1u << 13)   /* VMX enable */

const char *test_name = "virtcheck";
static int probes, differ;

static void report(const char *name, int native, const char *fmt, ...)
{
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    printf("VIRTCHECK %s: %s -> %s\n", name, what, native ? "native" : "DIFFERS");
    probes++;
    differ += !native;
}

static void cpuid(uint32_t leaf, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

/* CPUID.1:ECX bit 31 is "a hypervisor is present"; leaf 0x40000000 names it. */
static void check_cpuid(void)
{
    uint32_t r[4], v[4];
    cpuid(1, r);
    int hv = r[2] >> 31;
    char vendor[13] = "";
    if (hv) {
        cpuid(0x40000000, v);
        memcpy(vendor, &v[1], 4), memcpy(vendor + 4, &v[2], 4), memcpy(vendor + 8, &v[3], 4);
        vendor[12] = 0;
    }
    report("cpuid_hv", !hv, "hypervisor bit %d vendor '%s'", hv, vendor);
}

int main(void)
{
    struct virtprobe p;
    memset(&p, 0xEE, sizeof p);
    CHECK(virtprobe(&p) == 0, "the virtprobe system call failed");
    report("popf_if", p.popf_if == 0, "POPF with IF=0 left IF=%u (native 0)", p.popf_if);
    report("pushf_if", p.pushf_if == 0, "PUSHF after CLI shows IF=%u (native 0)", p.pushf_if);
    report("cs_rpl", (p.cs & 3) == 0, "kernel CS=0x%x RPL %u (native 0)", p.cs, p.cs & 3);
    report("ss_rpl", (p.ss & 3) == 0, "kernel SS=0x%x RPL %u (native 0)", p.ss, p.ss & 3);
    report("sgdt", p.gdt_base == p.my_gdt_base && p.gdt_limit == p.my_gdt_limit,
           "base 0x%08x limit 0x%x (the kernel's: 0x%08x limit 0x%x)", p.gdt_base, p.gdt_limit, p.my_gdt_base,
           p.my_gdt_limit);
    report("sidt", p.idt_base == p.my_idt_base && p.idt_limit == p.my_idt_limit,
           "base 0x%08x limit 0x%x (the kernel's: 0x%08x limit 0x%x)", p.idt_base, p.idt_limit, p.my_idt_base,
           p.my_idt_limit);
    report("sldt", p.ldt == 0, "selector 0x%x (native 0)", p.ldt);
    report("str", p.tr == p.my_tr, "selector 0x%x (the kernel's: 0x%x)", p.tr, p.my_tr);
    report("smsw", p.msw == (p.cr0 & 0xFFFF), "SMSW 0x%04x, MOV from CR0 0x%08x (native: equal low bits)", p.msw,
           p.cr0);
    /* VMX needs CR0.NE and CR4.VMXE set in the real registers (SDM 24.8,
     * A.7, A.8); a hypervisor hides them with the guest/host masks and read
     * shadows (25.6.6). This kernel never sets either, nor does a loader. */
    report("cr0_ne", !(p.cr0 & CR0_NE), "MOV from CR0 0x%08x, NE %u (native 0: nothing set it)", p.cr0,
           !!(p.cr0 & CR0_NE));
    report("cr4_vmxe", !(p.cr4 & CR4_VMXE), "MOV from CR4 0x%08x, VMXE %u (native 0: no VMX in this guest)",
           p.cr4, !!(p.cr4 & CR4_VMXE));
    report("lar", p.lar_kcode_dpl == 0, "kernel code segment DPL %u (native 0)", p.lar_kcode_dpl);
    report("lsl", p.lsl_kdata == 0xFFFFFFFF, "kernel data segment limit 0x%08x (native 0xffffffff)",
           p.lsl_kdata);
    uint32_t cs, ss;
    __asm__ volatile("mov %%cs, %0; mov %%ss, %1" : "=r"(cs), "=r"(ss));
    report("user_rpl", (cs & 3) == 3 && (ss & 3) == 3, "user CS=0x%x SS=0x%x (native RPL 3)", cs & 0xFFFF,
           ss & 0xFFFF);
    check_cpuid();
    report("tsc_jump", p.tsc_max_gap < 100000, "max step %u cycles between %u RDTSCs with interrupts off",
           p.tsc_max_gap, p.tsc_reads);
    printf("VIRTCHECK summary: %d of %d probes differ from native\n", differ, probes);
    /* The probes worked if the kernel filled the record with plausible values. */
    CHECK(p.popf_if <= 1 && p.pushf_if <= 1, "IF probes returned %u %u", p.popf_if, p.pushf_if);
    /* A deprivileged kernel's SIDT may show the hypervisor's empty IDT (limit 0). */
    CHECK(p.gdt_limit > 0 && p.gdt_limit < 0x10000 && p.idt_limit < 0x10000,
          "SGDT/SIDT limits 0x%x 0x%x", p.gdt_limit, p.idt_limit);
    CHECK(p.cr0 & 0x80000001, "CR0 0x%08x has neither PE nor PG", p.cr0);
    CHECK(p.lar_kcode_dpl <= 1 && p.lsl_kdata >= 0xC0000000, "LAR DPL %u, LSL limit 0x%08x",
          p.lar_kcode_dpl, p.lsl_kdata);
    CHECK(p.my_gdt_base >= 0xC0000000 && p.my_idt_base >= 0xC0000000, "the kernel's own tables are not high");
    test_pass();
}
