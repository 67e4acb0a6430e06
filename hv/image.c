/*
 * image.c: recognise a kernel image (a pure module: any mode, and the host
 * unit tests in tests/unit/test_image.c). See image.h.
 */
#include "image.h"
#include "string.h"

#define MULTIBOOT_HEADER_MAGIC 0x1BADB002
#define ELF_CLASS_32 1
#define ELF_CLASS_64 2

static uint32_t read_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* e_ident: "\x7fELF", then the class byte (System V ABI, "ELF Header"). */
static void inspect_elf(const uint8_t *p, size_t size, struct image_info *out)
{
    if (size < 5 || memcmp(p, "\x7f" "ELF", 4) != 0)
        return;
    out->is_elf = true;
    out->elf_bits = p[4] == ELF_CLASS_32 ? 32 : p[4] == ELF_CLASS_64 ? 64 : 0;
}

/* A header is the magic, then flags and a checksum that make the three
 * words sum to zero (mod 2^32). */
static void find_multiboot_header(const uint8_t *p, size_t size, struct image_info *out)
{
    size_t limit = size < MULTIBOOT_SEARCH_LIMIT ? size : MULTIBOOT_SEARCH_LIMIT;
    for (size_t off = 0; off + 12 <= limit; off += 4) {
        uint32_t magic = read_u32(p + off), flags = read_u32(p + off + 4);
        if (magic == MULTIBOOT_HEADER_MAGIC && magic + flags + read_u32(p + off + 8) == 0) {
            out->has_multiboot = true;
            out->multiboot_offset = (uint32_t)off;
            out->multiboot_flags = flags;
            return;
        }
    }
}

void image_inspect(const void *data, size_t size, struct image_info *out)
{
    *out = (struct image_info){ 0 };
    inspect_elf(data, size, out);
    find_multiboot_header(data, size, out);
}
