/*
 * pv_note.c: a PV kernel's ELF note, found and checked. See pv_note.h.
 *
 * An ELF note (System V ABI, "Note Section"): namesz, descsz and type
 * (4 bytes each), then the name (namesz bytes with its NUL) and the
 * descriptor, each padded to 4 bytes. A file's notes are in SHT_NOTE
 * sections and, where the linker made one, PT_NOTE segments; both are
 * looked at, as a file may lack its section headers (strip) or a PT_NOTE.
 * Every offset and length comes from the file, so each is checked
 * against its size before it is used, without overflow.
 */
#include "pv_note.h"
#include "elf.h"
#include "string.h"

/* [off, off + len) within size, without overflow. */
static int inside(uint32_t size, uint32_t off, uint32_t len)
{
    return off <= size && len <= size - off;
}

static uint32_t pad4(uint32_t n)
{
    return (n + 3u) & ~3u;
}

static enum pv_note_result check(const struct pv_elf_note *n, const char **why)
{
    if (n->abi_version >> 16 != PV_VERSION_MAJOR)
        *why = "the note's ABI version is not this hypervisor's (major 1)";
    else if (n->virt_base != PV_VIRT_BASE)
        *why = "the note's virt_base is not 0xC0000000, the only base this hypervisor builds";
    else if (n->entry < PV_VIRT_BASE || n->entry >= PV_HYPERVISOR_VIRT)
        *why = "the note's entry is not in the kernel's direct map (0xC0000000-0xFC000000)";
    else
        return PV_NOTE_OK;
    return PV_NOTE_BAD;
}

/* The notes in image[off, off + len): the hypervisor's, if there. */
static enum pv_note_result scan(const uint8_t *image, uint32_t off, uint32_t len,
                                struct pv_elf_note *note, const char **why)
{
    uint32_t end = off + len;                 /* inside(): no overflow */
    while (end - off >= 12) {
        uint32_t h[3];
        memcpy(h, image + off, sizeof(h));
        uint32_t namesz = h[0], descsz = h[1], type = h[2];
        off += 12;
        if (namesz > end - off || pad4(namesz) > end - off)
            return PV_NOTE_ABSENT;             /* cut short: no more notes here */
        const uint8_t *name = image + off;
        off += pad4(namesz);
        if (descsz > end - off || pad4(descsz) > end - off)
            return PV_NOTE_ABSENT;
        const uint8_t *desc = image + off;
        off += pad4(descsz);
        if (namesz != sizeof(PV_NOTE_NAME) || memcmp(name, PV_NOTE_NAME, sizeof(PV_NOTE_NAME)) ||
            type != PV_NOTE_TYPE)
            continue;
        if (descsz != sizeof(*note)) {
            *why = "the note's descriptor is not 12 bytes (abi_version, entry, virt_base)";
            return PV_NOTE_BAD;
        }
        memcpy(note, desc, sizeof(*note));
        return check(note, why);
    }
    return PV_NOTE_ABSENT;
}

enum pv_note_result pv_note_find(const uint8_t *image, uint32_t size, struct pv_elf_note *note,
                                 const char **why)
{
    *why = "the kernel has no PV note (an ELF note \"hvlab\" of type 0x5056 in .note.hvlab)";
    struct elf32_ehdr eh;
    if (size < sizeof(eh))
        return PV_NOTE_ABSENT;
    memcpy(&eh, image, sizeof(eh));
    uint32_t magic;
    memcpy(&magic, eh.e_ident, 4);
    if (magic != ELF_MAGIC || eh.e_ident[EI_CLASS] != ELFCLASS32)
        return PV_NOTE_ABSENT;
    if (eh.e_shentsize == sizeof(struct elf32_shdr) &&
        inside(size, eh.e_shoff, (uint32_t)eh.e_shnum * sizeof(struct elf32_shdr))) {
        for (uint32_t i = 0; i < eh.e_shnum; i++) {
            struct elf32_shdr sh;
            memcpy(&sh, image + eh.e_shoff + i * sizeof(sh), sizeof(sh));
            if (sh.sh_type != SHT_NOTE || !inside(size, sh.sh_offset, sh.sh_size))
                continue;
            enum pv_note_result r = scan(image, sh.sh_offset, sh.sh_size, note, why);
            if (r != PV_NOTE_ABSENT)
                return r;
        }
    }
    if (eh.e_phentsize == sizeof(struct elf32_phdr) &&
        inside(size, eh.e_phoff, (uint32_t)eh.e_phnum * sizeof(struct elf32_phdr))) {
        for (uint32_t i = 0; i < eh.e_phnum; i++) {
            struct elf32_phdr ph;
            memcpy(&ph, image + eh.e_phoff + i * sizeof(ph), sizeof(ph));
            if (ph.p_type != PT_NOTE || !inside(size, ph.p_offset, ph.p_filesz))
                continue;
            enum pv_note_result r = scan(image, ph.p_offset, ph.p_filesz, note, why);
            if (r != PV_NOTE_ABSENT)
                return r;
        }
    }
    return PV_NOTE_ABSENT;
}
