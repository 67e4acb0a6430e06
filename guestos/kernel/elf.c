/*
 * elf.c: load a user program (an ELF32 executable that arrived as a boot
 * module) into a process's address space. Each PT_LOAD segment gets fresh
 * pages, writable only if the segment is (so a write to the code faults).
 */
#include "defs.h"
#include "mmu.h"
#include "../../lib/printf.h"
#include "../../lib/string.h"

struct elf_header {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version, entry, phoff, shoff, flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf_phdr {
    uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

enum { ELF_EXEC = 2, ELF_386 = 3, PT_LOAD = 1, PF_W = 2 };

static int reject(const struct module *m, const char *why)
{
    printf("guestos: cannot run %s: %s\n", m->name, why);
    return -1;
}

/* Map and fill the pages of one segment. */
static int load_segment(struct proc *p, const uint8_t *image, const struct elf_phdr *ph)
{
    uint32_t perm = (ph->flags & PF_W) ? PTE_W : 0;
    for (uint32_t va = PGROUNDDOWN(ph->vaddr); va < ph->vaddr + ph->memsz; va += PGSIZE) {
        char *page = kalloc();
        if (!page)
            return -1;
        /* the part of [va, va + PGSIZE) that the file provides */
        uint32_t lo = va > ph->vaddr ? va : ph->vaddr;
        uint32_t hi = va + PGSIZE < ph->vaddr + ph->filesz ? va + PGSIZE : ph->vaddr + ph->filesz;
        if (lo < hi)
            memcpy(page + (lo - va), image + ph->offset + (lo - ph->vaddr), hi - lo);
        if (map_user_page(p->pgdir, va, V2P(page), perm) < 0) {
            kfree(page);
            return -1;
        }
    }
    return 0;
}

/* Load module m into p (whose page directory holds only the kernel).
 * Sets p's heap to start after the image; returns the entry point in
 * *entry. Returns -1, saying why, if m is not a program we can run. */
int load_elf(struct proc *p, const struct module *m, uint32_t *entry)
{
    uint32_t size = m->end - m->start;
    if (m->end > PHYS_LIMIT || m->end < m->start || size < sizeof(struct elf_header))
        return reject(m, "module outside the memory the kernel maps, or too small");
    const uint8_t *image = P2V(m->start);
    const struct elf_header *eh = (const void *)image;
    if (memcmp(eh->ident, "\177ELF\1", 5) || eh->type != ELF_EXEC || eh->machine != ELF_386)
        return reject(m, "not an ELF32 i386 executable");
    if (eh->phentsize != sizeof(struct elf_phdr) || eh->phoff > size ||
        eh->phnum > (size - eh->phoff) / sizeof(struct elf_phdr))
        return reject(m, "bad program headers");
    uint32_t top = USER_BASE;
    for (int i = 0; i < eh->phnum; i++) {
        const struct elf_phdr *ph = (const void *)(image + eh->phoff + i * sizeof *ph);
        if (ph->type != PT_LOAD)
            continue;
        if (ph->filesz > ph->memsz || ph->offset > size || ph->filesz > size - ph->offset ||
            ph->vaddr < USER_BASE || ph->memsz > USTACK_LOW - ph->vaddr)
            return reject(m, "a segment lies outside the file or the user address space");
        if (load_segment(p, image, ph) < 0)
            return reject(m, "out of memory or overlapping segments");
        if (ph->vaddr + ph->memsz > top)
            top = ph->vaddr + ph->memsz;
    }
    p->heap_base = p->brk = PGROUNDUP(top);
    *entry = eh->entry;
    return 0;
}
