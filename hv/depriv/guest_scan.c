/*
 * guest_scan.c: option scan=1 (see guest_scan.h). The scan reads the
 * kernel's ELF file as the loader received it, section by section
 * (elf_code.c: code sections only, so that no string is taken for an
 * instruction), and decodes it one instruction after another
 * (sensitive.c, x86_decode.c). The addresses are the ones the code runs
 * at, the kernel's virtual addresses.
 */
#include "depriv/guest_scan.h"
#include "elf_code.h"
#include "mem/memory.h"
#include "printf.h"
#include "x86/sensitive.h"

#define LISTED_MAX 64     /* a kernel full of them gets a count, not a flood */

struct scan_state {
    struct sensitive_scan totals;
    unsigned listed;
};

static void print_found(void *ctx, uint32_t address, enum sensitive_kind kind,
                        const struct x86_insn *in)
{
    (void)in;
    struct scan_state *s = ctx;
    if (s->listed++ < LISTED_MAX)
        printf("hv: scan: 0x%08x %s\n", address, sensitive_kind_name(kind));
}

static void scan_section(void *ctx, uint64_t address, const uint8_t *bytes, uint64_t size,
                         uint64_t physical)
{
    (void)physical;
    struct scan_state *s = ctx;
    struct sensitive_scan before = s->totals;
    sensitive_scan_code(bytes, size, (uint32_t)address, &s->totals, print_found, s);
    printf("hv: scan: code section 0x%08lx-0x%08lx: %u instructions, %u bytes undecodable\n",
           address, address + size,
           sensitive_scan_instructions(&s->totals) - sensitive_scan_instructions(&before),
           s->totals.undecodable - before.undecodable);
}

void guest_scan_print(const struct boot_module *kernel)
{
    struct scan_state s = { 0 };
    uint64_t size = kernel->end - kernel->start;
    int sections = elf_code_sections(phys_ptr(kernel->start, size), size, scan_section, &s);
    if (sections < 0) {
        printf("hv: scan: the guest kernel has no ELF section headers: nothing to scan\n");
        return;
    }
    if (s.listed > LISTED_MAX)
        printf("hv: scan: ... and %u more\n", s.listed - LISTED_MAX);
    printf("hv: scan: %d code section%s:", sections, sections == 1 ? "" : "s");
    for (int k = SENSITIVE_NONE + 1; k < SENSITIVE_KINDS; k++)
        printf(" %s %u%s", sensitive_kind_name((enum sensitive_kind)k), s.totals.count[k],
               k + 1 < SENSITIVE_KINDS ? "," : "\n");
}
