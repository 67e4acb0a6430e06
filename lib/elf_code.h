/*
 * elf_code.h: where an ELF file keeps its code: the sections marked
 * executable (System V ABI, "Sections": SHF_EXECINSTR). A pure module, for
 * the hypervisor's scan of a guest kernel and for the host unit tests.
 *
 * Sections, not segments: a linker puts read-only data in the same
 * loadable segment as the code (the guest kernel's .rodata shares the
 * text segment), and data decoded as instructions would be noise.
 */
#pragma once
#include <stdint.h>

/* One code section: the address it runs at, its bytes in the file, and the
 * physical address a loader puts them at (the PT_LOAD program header that
 * holds them; 0 if none does). */
typedef void (*elf_code_fn)(void *ctx, uint64_t address, const uint8_t *bytes, uint64_t size,
                            uint64_t physical);

/* Call fn for each allocated, executable section of the ELF file
 * (SHT_PROGBITS with SHF_ALLOC and SHF_EXECINSTR), 32- or 64-bit, in file
 * order. Returns how many, or -1 if the file has no section headers that
 * lie wholly inside it (a stripped or damaged file: nothing is called). */
int elf_code_sections(const void *file, uint64_t size, elf_code_fn fn, void *ctx);
