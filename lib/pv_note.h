/*
 * pv_note.h: a PV kernel's ELF note (lib/pv_abi.h section 3): found in the
 * kernel's file, checked, and its descriptor given back. Pure (any mode;
 * the host unit test test_pv_note and the fuzzer fuzz_pv_note run it as
 * it is): it reads only the bytes it is given, within their length.
 */
#pragma once
#include <stdint.h>
#include "pv_abi.h"

enum pv_note_result {
    PV_NOTE_OK,        /* found and good: *note holds it */
    PV_NOTE_ABSENT,    /* a 32-bit ELF file without the note (or not an ELF file at all) */
    PV_NOTE_BAD,       /* the note is there but wrong: *why says how */
};

/* The note named PV_NOTE_NAME of type PV_NOTE_TYPE in the ELF32 file
 * image[0..size), in a SHT_NOTE section or a PT_NOTE segment: its
 * descriptor's size, the ABI's major version, virt_base == PV_VIRT_BASE and
 * an entry in [PV_VIRT_BASE, PV_HYPERVISOR_VIRT) checked. */
enum pv_note_result pv_note_find(const uint8_t *image, uint32_t size, struct pv_elf_note *note,
                                 const char **why);
