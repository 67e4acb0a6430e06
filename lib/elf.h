/*
 * elf.h: the few ELF definitions a Multiboot loader needs (System V ABI,
 * "Object Files": the ELF header and program headers), for ELF32 and ELF64.
 */
#pragma once
#include <stdint.h>

#define ELF_MAGIC       0x464C457F  /* "\x7FELF" read as a little-endian u32 */
#define EI_CLASS        4
#define EI_DATA         5
#define ELFCLASS32      1
#define ELFCLASS64      2
#define ELFDATA2LSB     1           /* little-endian */
#define ET_EXEC         2
#define ET_DYN          3
#define EM_386          3
#define EM_X86_64       62
#define EV_CURRENT      1
#define PT_LOAD         1
#define PT_NOTE         4

struct elf32_ehdr {
    uint8_t e_ident[16];
    uint16_t e_type, e_machine;
    uint32_t e_version, e_entry, e_phoff, e_shoff, e_flags;
    uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
} __attribute__((packed));

struct elf64_ehdr {
    uint8_t e_ident[16];
    uint16_t e_type, e_machine;
    uint32_t e_version;
    uint64_t e_entry, e_phoff, e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
} __attribute__((packed));

struct elf32_phdr {
    uint32_t p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_flags, p_align;
} __attribute__((packed));

struct elf64_phdr {
    uint32_t p_type, p_flags;
    uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
} __attribute__((packed));

struct elf32_shdr {
    uint32_t sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size;
    uint32_t sh_link, sh_info, sh_addralign, sh_entsize;
} __attribute__((packed));

struct elf64_shdr {
    uint32_t sh_name, sh_type;
    uint64_t sh_flags, sh_addr, sh_offset, sh_size;
    uint32_t sh_link, sh_info;
    uint64_t sh_addralign, sh_entsize;
} __attribute__((packed));

#define SHT_PROGBITS    1
#define SHT_NOTE        7
#define SHF_ALLOC       0x2
#define SHF_EXECINSTR   0x4

_Static_assert(sizeof(struct elf32_ehdr) == 52, "elf32 header");
_Static_assert(sizeof(struct elf32_shdr) == 40, "elf32 shdr");
_Static_assert(sizeof(struct elf64_shdr) == 64, "elf64 shdr");
_Static_assert(sizeof(struct elf64_ehdr) == 64, "elf64 header");
_Static_assert(sizeof(struct elf32_phdr) == 32, "elf32 phdr");
_Static_assert(sizeof(struct elf64_phdr) == 56, "elf64 phdr");
