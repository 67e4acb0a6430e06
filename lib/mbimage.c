/*
 * mbimage.c: how a Multiboot v1 kernel image is loaded (Multiboot
 * Specification 0.6.96, section 3.1 "OS image format"), following GRUB 2
 * wherever the specification leaves room (grub-core/loader/i386/
 * multiboot_mbi.c and grub-core/loader/multiboot_elfxx.c).
 * Pure: the fast loader places the kernel in physical memory, the
 * hypervisor in the guest's memory, the host unit tests in a buffer.
 *
 * The header's flag 16 chooses one of two ways to load:
 *  - the a.out kludge (3.1.3): the header's address fields say which bytes
 *    of the file go where; the file's own format does not matter. The
 *    hypervisor, a 64-bit ELF, uses it;
 *  - ELF, 32- or 64-bit: every PT_LOAD segment's p_filesz file bytes go to
 *    its physical address p_paddr, and the rest of its p_memsz (the bss)
 *    is zeroed.
 * mbimage_inspect() only reads and checks; mbimage_place() then writes,
 * once the caller has checked that the extent is free RAM.
 */
#include "mbimage.h"
#include <stdarg.h>
#include "elf.h"
#include "fmt.h"

#define FOUR_GIB            0x100000000ull
#define HEADER_MIN_SIZE     12   /* magic, flags, checksum */
#define HEADER_KLUDGE_SIZE  32   /* ... and the five address fields */

/* Record why the image cannot be loaded; returns false for the caller. */
__attribute__((format(printf, 2, 3)))
static bool fail(struct mb_image *k, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(k->error, sizeof(k->error), fmt, ap);
    va_end(ap);
    return false;
}

/* 3.1.1: the header is 32-bit aligned and lies wholly within the first
 * 8192 bytes. A magic whose checksum is wrong is not a header (GRUB goes
 * on searching), but it is the likely culprit if nothing else is found. */
static bool find_header(struct mb_image *k)
{
    uint32_t limit = k->file_size < MULTIBOOT_SEARCH ? k->file_size : MULTIBOOT_SEARCH;
    int32_t bad_checksum_at = -1;
    for (uint32_t off = 0; off + HEADER_MIN_SIZE <= limit; off += MULTIBOOT_HEADER_ALIGN) {
        const struct multiboot_header *h = (const void *)(k->file + off);
        if (h->magic != MULTIBOOT_HEADER_MAGIC)
            continue;
        if (h->magic + h->flags + h->checksum == 0) {
            k->header = h;
            k->header_offset = off;
            return true;
        }
        if (bad_checksum_at < 0)
            bad_checksum_at = (int32_t)off;
    }
    if (bad_checksum_at >= 0)
        return fail(k, "kernel's Multiboot header at file offset 0x%x has a bad checksum "
              "(magic + flags + checksum must be 0 mod 2^32): fix the kernel's header",
              (uint32_t)bad_checksum_at);
    return fail(k, "kernel is not a Multiboot v1 kernel: no header magic 0x%08x in its first "
          "%u bytes", MULTIBOOT_HEADER_MAGIC, MULTIBOOT_SEARCH);
}

/* 3.1.2: flags 0-15 are demands. This loader meets 0 (it always
 * page-aligns modules) and 1 (it always passes memory information). */
static bool check_header_flags(struct mb_image *k)
{
    uint32_t flags = k->header->flags;
    if (flags & MULTIBOOT_VIDEO_MODE)
        return fail(k, "kernel asks for a video mode (Multiboot header flag 2), which this loader "
              "does not set up: boot it with GRUB, or clear the flag");
    uint32_t unknown = flags & MULTIBOOT_REQUIRED_FLAGS &
                       ~(uint32_t)(MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO);
    if (unknown)
        return fail(k, "kernel requires Multiboot features unknown to this loader "
              "(header flags 0x%08x, unknown required bits 0x%04x)", flags, unknown);
    return true;
}

/* 3.1.3: the file bytes from (header's file offset - (header_addr -
 * load_addr)) go to load_addr, up to load_end_addr (0: the end of the
 * file); bss_end_addr (0: none) ends the zeroed bss. */
static bool inspect_kludge(struct mb_image *k)
{
    const struct multiboot_header *h = k->header;
    if (k->header_offset + HEADER_KLUDGE_SIZE > k->file_size ||
        k->header_offset + HEADER_KLUDGE_SIZE > MULTIBOOT_SEARCH)
        return fail(k, "kernel's a.out kludge header at offset 0x%x is cut off by the end of the "
              "file or of its first %u bytes", k->header_offset, MULTIBOOT_SEARCH);
    if (h->load_addr > h->header_addr)
        return fail(k, "kernel's a.out kludge is inconsistent: load_addr 0x%08x is above "
              "header_addr 0x%08x", h->load_addr, h->header_addr);
    uint32_t header_delta = h->header_addr - h->load_addr;
    if (header_delta > k->header_offset)
        return fail(k, "kernel's a.out kludge is inconsistent: header_addr - load_addr = 0x%x, "
              "but the header is only 0x%x bytes into the file", header_delta, k->header_offset);
    k->load_offset = k->header_offset - header_delta;

    if (h->load_end_addr == 0) {
        k->load_size = k->file_size - k->load_offset;
    } else {
        if (h->load_end_addr < h->load_addr)
            return fail(k, "kernel's a.out kludge is inconsistent: load_end_addr 0x%08x is below "
                  "load_addr 0x%08x", h->load_end_addr, h->load_addr);
        k->load_size = h->load_end_addr - h->load_addr;
        if ((uint64_t)k->load_offset + k->load_size > k->file_size)
            return fail(k, "kernel's a.out kludge is inconsistent: it loads %u bytes from file "
                  "offset 0x%x, but the file has %u bytes", k->load_size, k->load_offset,
                  k->file_size);
    }
    if ((uint64_t)header_delta + HEADER_MIN_SIZE > k->load_size)
        return fail(k, "kernel's a.out kludge is inconsistent: header_addr 0x%08x lies outside "
              "the bytes it loads", h->header_addr);

    k->start = h->load_addr;
    k->end = (uint64_t)h->load_addr + k->load_size;
    if (k->end > FOUR_GIB)
        return fail(k, "kernel's a.out kludge loads %u bytes at load_addr 0x%08x: they do not end "
              "below 4 GiB", k->load_size, h->load_addr);
    if (h->bss_end_addr) {
        if (h->bss_end_addr < k->end)
            return fail(k, "kernel's a.out kludge is inconsistent: bss_end_addr 0x%08x is below "
                  "the end of the loaded bytes 0x%08llx", h->bss_end_addr,
                  (unsigned long long)k->end);
        k->end = h->bss_end_addr;
    }
    if (h->entry_addr < k->start || h->entry_addr >= k->end)
        return fail(k, "kernel's a.out kludge is inconsistent: entry_addr 0x%08x is outside the "
              "kernel 0x%08llx-0x%08llx", h->entry_addr, (unsigned long long)k->start,
              (unsigned long long)k->end);
    k->entry = h->entry_addr;
    return true;
}

/* The checks GRUB makes of any ELF kernel, for the class it has. */
static bool check_elf_type(struct mb_image *k, uint16_t type, uint16_t machine, uint32_t version, bool is64)
{
    uint16_t want = is64 ? EM_X86_64 : EM_386;
    if (machine != want)
        return fail(k, "kernel is an ELF%s file for machine %u, but must be for %u (%s)",
              is64 ? "64" : "32", machine, want, is64 ? "x86-64" : "i386");
    if (version != EV_CURRENT)
        return fail(k, "kernel is an ELF file of unknown version %u", version);
    if (type != ET_EXEC && type != ET_DYN)
        return fail(k, "kernel is an ELF file of type %u, not an executable", type);
    return true;
}

static bool read_elf_header(struct mb_image *k)
{
    const uint8_t *f = k->file;
    if (k->file_size < sizeof(struct elf64_ehdr) || *(const uint32_t *)f != ELF_MAGIC)
        return fail(k, "kernel is not an ELF file, and its Multiboot header lacks the a.out "
              "kludge (flag 16): nothing says where to load it");
    if (f[EI_DATA] != ELFDATA2LSB)
        return fail(k, "kernel is a big-endian ELF file");

    struct elf_info *e = &k->elf;
    if (f[EI_CLASS] == ELFCLASS32) {
        const struct elf32_ehdr *h = (const void *)f;
        if (!check_elf_type(k, h->e_type, h->e_machine, h->e_version, false))
            return false;
        *e = (struct elf_info){ false, h->e_entry, h->e_phoff, h->e_phnum, h->e_phentsize };
        if (e->phentsize < sizeof(struct elf32_phdr))
            return fail(k, "kernel's ELF program headers are too small (%u bytes)", e->phentsize);
    } else if (f[EI_CLASS] == ELFCLASS64) {
        const struct elf64_ehdr *h = (const void *)f;
        if (!check_elf_type(k, h->e_type, h->e_machine, h->e_version, true))
            return false;
        *e = (struct elf_info){ true, h->e_entry, h->e_phoff, h->e_phnum, h->e_phentsize };
        if (e->phentsize < sizeof(struct elf64_phdr))
            return fail(k, "kernel's ELF program headers are too small (%u bytes)", e->phentsize);
    } else {
        return fail(k, "kernel is an ELF file of unknown class %u", f[EI_CLASS]);
    }
    /* GRUB reads the program headers from the first 8 KiB only, and they
     * must lie inside the file: e_phoff is a file offset (System V ABI,
     * "ELF Header"), and a table past the file's end would be read from
     * whatever memory follows it. Compared without adding to e_phoff,
     * which a 64-bit file may set so near 2^64 that the sum wraps. */
    uint64_t table = (uint64_t)e->phnum * e->phentsize;
    if (e->phoff > MULTIBOOT_SEARCH || table > MULTIBOOT_SEARCH - e->phoff)
        return fail(k, "kernel's ELF program headers lie beyond its first %u bytes", MULTIBOOT_SEARCH);
    if (e->phoff > k->file_size || table > k->file_size - e->phoff)
        return fail(k, "kernel's ELF program headers run past the end of the file: is the file truncated?");
    return true;
}

/* One program header, whatever the ELF class. */
struct segment {
    uint32_t type;
    uint64_t offset, vaddr, paddr, filesz, memsz;
};

static void read_segment(const struct mb_image *k, uint32_t i, struct segment *s)
{
    const void *p = k->file + k->elf.phoff + (uint64_t)i * k->elf.phentsize;
    if (k->elf.is64) {
        const struct elf64_phdr *ph = p;
        *s = (struct segment){ ph->p_type, ph->p_offset, ph->p_vaddr, ph->p_paddr,
                               ph->p_filesz, ph->p_memsz };
    } else {
        const struct elf32_phdr *ph = p;
        *s = (struct segment){ ph->p_type, ph->p_offset, ph->p_vaddr, ph->p_paddr,
                               ph->p_filesz, ph->p_memsz };
    }
}

/* A segment that loads something. */
static bool is_loaded(const struct segment *s)
{
    return s->type == PT_LOAD && s->memsz != 0;
}

static bool check_segment(struct mb_image *k, uint32_t i, const struct segment *s)
{
    if (s->filesz > s->memsz)
        return fail(k, "kernel's ELF segment %u has more file bytes (%llu) than memory bytes (%llu)",
              i, (unsigned long long)s->filesz, (unsigned long long)s->memsz);
    if (s->offset > k->file_size || s->filesz > k->file_size - s->offset)
        return fail(k, "kernel's ELF segment %u runs past the end of the file: is the file truncated?", i);
    if (s->paddr >= FOUR_GIB || s->memsz > FOUR_GIB - s->paddr)
        return fail(k, "kernel's ELF segment %u (physical 0x%llx) does not end below 4 GiB", i,
              (unsigned long long)s->paddr);
    return true;
}

/* Two loaded segments whose physical ranges meet: which bytes win would
 * depend on the order of the program headers, so neither is trusted. */
static bool check_no_overlap(struct mb_image *k, uint32_t i, const struct segment *s)
{
    for (uint32_t j = 0; j < i; j++) {
        struct segment t;
        read_segment(k, j, &t);
        if (is_loaded(&t) && s->paddr < t.paddr + t.memsz && t.paddr < s->paddr + s->memsz)
            return fail(k, "kernel's ELF segments %u (physical 0x%llx-0x%llx) and %u (physical "
                  "0x%llx-0x%llx) overlap: link them apart", j, (unsigned long long)t.paddr,
                  (unsigned long long)(t.paddr + t.memsz), i, (unsigned long long)s->paddr,
                  (unsigned long long)(s->paddr + s->memsz));
    }
    return true;
}

static bool contains(uint64_t base, uint64_t size, uint64_t addr)
{
    return base <= addr && addr - base < size;
}

/* Where e_entry takes the CPU. The System V ABI makes it a virtual address:
 * one inside a segment's virtual range is translated to its physical alias,
 * as GRUB does (a higher-half kernel enters at its physical address). QEMU's
 * -kernel also enters a kernel whose e_entry is already physical, inside a
 * segment's physical range but no virtual one (Linux-style kernels linked at
 * 0xC0100000, loaded at 1 MiB, with a physical e_entry): so does this
 * loader. The virtual reading comes first, as in both of them. */
static bool find_entry(struct mb_image *k)
{
    uint64_t e = k->elf.entry;
    for (int physical = 0; physical <= 1; physical++) {
        for (uint32_t i = 0; i < k->elf.phnum; i++) {
            struct segment s;
            read_segment(k, i, &s);
            if (!is_loaded(&s) || !contains(physical ? s.paddr : s.vaddr, s.memsz, e))
                continue;
            k->entry = (uint32_t)(physical ? e : e - s.vaddr + s.paddr);
            return true;
        }
    }
    char segs[240] = "";
    size_t used = 0;
    unsigned listed = 0;
    for (uint32_t i = 0; i < k->elf.phnum && used < sizeof(segs); i++) {
        struct segment s;
        read_segment(k, i, &s);
        if (!is_loaded(&s))
            continue;
        if (listed++ == 3) {
            snprintf(segs + used, sizeof(segs) - used, ", ...");
            break;
        }
        used += (size_t)snprintf(segs + used, sizeof(segs) - used, "%s%u: virtual 0x%llx, physical "
                                 "0x%llx, 0x%llx bytes", listed > 1 ? "; " : "", i,
                                 (unsigned long long)s.vaddr, (unsigned long long)s.paddr,
                                 (unsigned long long)s.memsz);
    }
    return fail(k, "kernel's ELF entry point 0x%llx lies in no loadable segment, neither in its "
          "virtual nor in its physical range (segments %s)", (unsigned long long)e, segs);
}

/* The extent is the union of the loaded segments, which must not overlap. */
static bool inspect_elf(struct mb_image *k)
{
    if (!read_elf_header(k))
        return false;
    k->start = FOUR_GIB;
    k->end = 0;
    for (uint32_t i = 0; i < k->elf.phnum; i++) {
        struct segment s;
        read_segment(k, i, &s);
        if (!is_loaded(&s))
            continue;
        if (!check_segment(k, i, &s) || !check_no_overlap(k, i, &s))
            return false;
        if (s.paddr < k->start)
            k->start = s.paddr;
        if (s.paddr + s.memsz > k->end)
            k->end = s.paddr + s.memsz;
    }
    if (k->end == 0)
        return fail(k, "kernel's ELF file has no loadable (PT_LOAD) segment");
    return find_entry(k);
}

bool mbimage_has_header(const void *file, uint32_t size)
{
    struct mb_image k = { .file = file, .file_size = size };
    return find_header(&k);
}

bool mbimage_inspect(struct mb_image *k, const void *file, uint32_t size)
{
    *k = (struct mb_image){ .file = file, .file_size = size };
    if (!find_header(k) || !check_header_flags(k))
        return false;
    k->kludge = k->header->flags & MULTIBOOT_AOUT_KLUDGE;
    return k->kludge ? inspect_kludge(k) : inspect_elf(k);
}

void mbimage_place(const struct mb_image *k, mbimage_place_fn place, void *ctx)
{
    if (k->kludge) {
        place(ctx, k->start, k->file + k->load_offset, k->load_size, k->end - k->start);
        return;
    }
    for (uint32_t i = 0; i < k->elf.phnum; i++) {
        struct segment s;
        read_segment(k, i, &s);
        if (is_loaded(&s))
            place(ctx, s.paddr, k->file + s.offset, s.filesz, s.memsz);
    }
}
