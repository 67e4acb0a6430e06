/*
 * note.c: the PV note (lib/pv_abi.h section 3): what tells the PV builder
 * that this kernel is a PV kernel and where to enter it. An ELF note:
 * namesz, descsz, type, the name padded to 4 bytes, the descriptor.
 */
#include "pv_abi.h"

void pv_entry(void);   /* entry.S */

static const struct {
    uint32_t namesz, descsz, type;
    char name[8];
    struct pv_elf_note desc;
} pv_note __attribute__((used, section(".note.hvlab"), aligned(4))) = {
    sizeof(PV_NOTE_NAME), sizeof(struct pv_elf_note), PV_NOTE_TYPE, PV_NOTE_NAME,
    { PV_VERSION, (uint32_t)pv_entry, PV_VIRT_BASE },
};
