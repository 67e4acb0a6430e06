/*
 * fuzz_sensitive.c: lib/elf_code.c and hv/x86/sensitive.c, the lab 3 scan of a
 * guest kernel for the sensitive instructions, on an arbitrary file.
 *
 * The file is what a user hands the hypervisor as its guest kernel. Its
 * code sections (elf_code_sections) are swept by sensitive_scan_code; a
 * file that is no ELF file is swept whole, as raw code. Checked:
 *   - every section handed out lies inside the file (and nothing is handed
 *     out when elf_code_sections says -1);
 *   - every sensitive instruction found lies inside its section, is of a
 *     real kind, and sensitive_kind agrees with the scan;
 *   - instructions and skipped bytes together take no more bytes than the
 *     code has (each takes at least one).
 */
#include "fuzz.h"
#include "elf_code.h"
#include "x86/sensitive.h"

struct scan_state {
    const uint8_t *file;
    size_t file_size;
    uint32_t address;                /* of the section being swept */
    uint64_t size;
    struct sensitive_scan scan;
    uint64_t bytes;                  /* of code swept, all sections */
    int sections;
};

static void found(void *ctx, uint32_t address, enum sensitive_kind kind, const struct x86_insn *in)
{
    struct scan_state *s = ctx;
    FUZZ_CHECK(kind > SENSITIVE_NONE && kind < SENSITIVE_KINDS, "kind %d", (int)kind);
    FUZZ_CHECK(sensitive_kind(in) == kind, "found as %s, but sensitive_kind says %s",
               sensitive_kind_name(kind), sensitive_kind_name(sensitive_kind(in)));
    uint32_t offset = address - s->address;
    FUZZ_CHECK(offset < s->size && in->length >= 1 && in->length <= s->size - offset,
               "a %u-byte instruction at offset 0x%x of a 0x%llx-byte section", in->length, offset,
               (unsigned long long)s->size);
}

static void sweep(struct scan_state *s, uint64_t address, const uint8_t *bytes, uint64_t size)
{
    s->address = (uint32_t)address;
    s->size = size;
    s->bytes += size;
    sensitive_scan_code(bytes, size, s->address, &s->scan, found, s);
}

static void section(void *ctx, uint64_t address, const uint8_t *bytes, uint64_t size, uint64_t physical)
{
    struct scan_state *s = ctx;
    (void)physical;
    FUZZ_CHECK(bytes >= s->file && size <= s->file_size && (size_t)(bytes - s->file) <= s->file_size - size,
               "a section of 0x%llx bytes at file offset %td, in a file of 0x%zx bytes",
               (unsigned long long)size, bytes - s->file, s->file_size);
    s->sections++;
    sweep(s, address, bytes, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct scan_state s = { .file = data, .file_size = size };
    int n = elf_code_sections(data, size, section, &s);
    FUZZ_CHECK(n < 0 ? s.sections == 0 : n == s.sections,
               "elf_code_sections said %d, but handed out %d sections", n, s.sections);
    if (n < 0)
        sweep(&s, 0x100000, data, size);
    unsigned insns = sensitive_scan_instructions(&s.scan);
    FUZZ_CHECK(insns + (uint64_t)s.scan.undecodable <= s.bytes,
               "%u instructions and %u skipped bytes in %llu bytes of code", insns, s.scan.undecodable,
               (unsigned long long)s.bytes);
    return 0;
}
