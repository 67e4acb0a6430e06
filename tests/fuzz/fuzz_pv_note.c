/*
 * fuzz_pv_note.c: lib/pv_note.c, the PV builder's first look at a cpu=pv
 * guest kernel (hv/pv/pv_build.c), on an arbitrary kernel file.
 *
 * Checked, for every file: no byte outside it is read (AddressSanitizer:
 * the input is exactly the file); a note accepted has the version's major,
 * the base and an entry inside the direct map the builder makes, so that
 * the builder never enters a guest where it mapped nothing; a note refused
 * says why.
 */
#include "fuzz.h"
#include "pv_note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > UINT32_MAX)
        return 0;
    struct pv_elf_note note;
    const char *why = NULL;
    enum pv_note_result r = pv_note_find(data, (uint32_t)size, &note, &why);
    FUZZ_CHECK(why && why[0], "no reason given (result %d)", r);
    if (r == PV_NOTE_OK) {
        FUZZ_CHECK(note.abi_version >> 16 == PV_VERSION_MAJOR, "version 0x%x accepted", note.abi_version);
        FUZZ_CHECK(note.virt_base == PV_VIRT_BASE, "base 0x%x accepted", note.virt_base);
        FUZZ_CHECK(note.entry >= PV_VIRT_BASE && note.entry < PV_HYPERVISOR_VIRT, "entry 0x%x accepted",
                   note.entry);
    }
    return 0;
}
