/*
 * elf_code.c: the executable sections of an ELF file (see elf_code.h).
 * Every offset and size comes from the file, so each is checked against
 * the file's size before it is used.
 */
#include "elf_code.h"
#include "elf.h"

/* One section header, whatever the ELF class. */
struct section {
    uint32_t type;
    uint64_t flags, addr, offset, size;
};

static struct section read_section(const void *sh, int is64)
{
    if (is64) {
        const struct elf64_shdr *s = sh;
        return (struct section){ s->sh_type, s->sh_flags, s->sh_addr, s->sh_offset, s->sh_size };
    }
    const struct elf32_shdr *s = sh;
    return (struct section){ s->sh_type, s->sh_flags, s->sh_addr, s->sh_offset, s->sh_size };
}

/* Where a loader puts the file's byte at offset: the PT_LOAD segment that
 * holds it, p_paddr + (offset - p_offset); 0 if no segment does. */
static uint64_t physical_of(const uint8_t *f, uint64_t size, int is64, uint64_t offset)
{
    uint64_t phoff;
    unsigned phnum, phentsize;
    if (is64) {
        const struct elf64_ehdr *h = (const void *)f;
        phoff = h->e_phoff, phnum = h->e_phnum, phentsize = h->e_phentsize;
    } else {
        const struct elf32_ehdr *h = (const void *)f;
        phoff = h->e_phoff, phnum = h->e_phnum, phentsize = h->e_phentsize;
    }
    unsigned min = is64 ? sizeof(struct elf64_phdr) : sizeof(struct elf32_phdr);
    if (phentsize < min || phoff > size || (uint64_t)phnum * phentsize > size - phoff)
        return 0;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = f + phoff + (uint64_t)i * phentsize;
        uint64_t type, off, paddr, filesz;
        if (is64) {
            const struct elf64_phdr *p = (const void *)ph;
            type = p->p_type, off = p->p_offset, paddr = p->p_paddr, filesz = p->p_filesz;
        } else {
            const struct elf32_phdr *p = (const void *)ph;
            type = p->p_type, off = p->p_offset, paddr = p->p_paddr, filesz = p->p_filesz;
        }
        if (type == PT_LOAD && offset >= off && offset - off < filesz)
            return paddr + (offset - off);
    }
    return 0;
}

int elf_code_sections(const void *file, uint64_t size, elf_code_fn fn, void *ctx)
{
    const uint8_t *f = file;
    if (size < sizeof(struct elf64_ehdr) || *(const uint32_t *)f != ELF_MAGIC)
        return -1;
    int is64 = f[EI_CLASS] == ELFCLASS64;
    uint64_t shoff;
    unsigned shnum, shentsize;
    unsigned min_entsize = is64 ? sizeof(struct elf64_shdr) : sizeof(struct elf32_shdr);
    if (is64) {
        const struct elf64_ehdr *h = file;
        shoff = h->e_shoff, shnum = h->e_shnum, shentsize = h->e_shentsize;
    } else if (f[EI_CLASS] == ELFCLASS32) {
        const struct elf32_ehdr *h = file;
        shoff = h->e_shoff, shnum = h->e_shnum, shentsize = h->e_shentsize;
    } else {
        return -1;
    }
    if (shoff == 0 || shnum == 0 || shentsize < min_entsize || shoff > size ||
        (uint64_t)shnum * shentsize > size - shoff)
        return -1;
    int found = 0;
    for (unsigned i = 0; i < shnum; i++) {
        struct section s = read_section(f + shoff + (uint64_t)i * shentsize, is64);
        if (s.type != SHT_PROGBITS || (s.flags & (SHF_ALLOC | SHF_EXECINSTR)) != (SHF_ALLOC | SHF_EXECINSTR))
            continue;
        if (s.offset > size || s.size > size - s.offset)
            continue;                       /* runs past the file: not to be read */
        fn(ctx, s.addr, f + s.offset, s.size, physical_of(f, size, is64, s.offset));
        found++;
    }
    return found;
}
