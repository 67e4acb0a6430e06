/*
 * fuzz_boot_info.c: hv/boot/boot_info.c, the parser of the Multiboot
 * information a loader hands the hypervisor, on arbitrary memory.
 *
 * The input stands for physical memory from BASE up, with the Multiboot
 * information at BASE; every pointer in it (command line, memory map,
 * module list, strings) is the input's to choose. The parser reaches that
 * memory only through map(), which refuses anything outside the input.
 * Checked, when the parser accepts:
 *   - the lists fit their arrays, every string is terminated;
 *   - every memory map entry and module ends at or after its start, and
 *     every module lies in memory map() grants;
 *   - boot_usable_bytes and boot_usable_regions count the usable entries.
 * And when it refuses, bi->error says why.
 */
#include "fuzz.h"
#include "boot/boot_info.h"

#define BASE 0x10000u

static const uint8_t *memory;
static size_t memory_size;

static const void *map(uint64_t pa, uint64_t len)
{
    if (pa < BASE || pa - BASE > memory_size || len > memory_size - (pa - BASE))
        return NULL;
    return memory + (pa - BASE);
}

static void check_string(const char *s, size_t size, const char *what)
{
    FUZZ_CHECK(strnlen(s, size) < size, "the %s is not terminated", what);
}

static void check_accepted(const struct boot_info *bi)
{
    check_string(bi->loader, sizeof(bi->loader), "loader name");
    check_string(bi->cmdline, sizeof(bi->cmdline), "command line");
    FUZZ_CHECK(bi->mmap_count <= BOOT_MMAP_MAX && bi->module_count <= BOOT_MODULES_MAX &&
               bi->used_count <= BOOT_RANGES_MAX, "%u map entries, %u modules, %u ranges",
               bi->mmap_count, bi->module_count, bi->used_count);
    uint64_t usable = 0;
    unsigned regions = 0;
    for (unsigned i = 0; i < bi->mmap_count; i++) {
        const struct boot_mmap_entry *e = &bi->mmap[i];
        FUZZ_CHECK(e->start <= e->end, "map entry %u: 0x%llx-0x%llx", i, (unsigned long long)e->start,
                   (unsigned long long)e->end);
        if (e->type == MMAP_USABLE) {
            usable += e->end - e->start;
            regions++;
        }
        FUZZ_CHECK(mmap_type_name(e->type) != NULL, "a type without a name");
    }
    FUZZ_CHECK(boot_usable_bytes(bi) == usable && boot_usable_regions(bi) == regions, "usable memory");
    for (unsigned i = 0; i < bi->module_count; i++) {
        const struct boot_module *m = &bi->modules[i];
        FUZZ_CHECK(m->start <= m->end && map(m->start, m->end - m->start), "module %u: 0x%llx-0x%llx", i,
                   (unsigned long long)m->start, (unsigned long long)m->end);
        check_string(m->string, sizeof(m->string), "module string");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct boot_info bi;
    memory = data;
    memory_size = size;
    if (multiboot_parse(&bi, MULTIBOOT_BOOTLOADER_MAGIC, BASE, map))
        check_accepted(&bi);
    else
        FUZZ_CHECK(bi.error[0] != '\0' && strnlen(bi.error, sizeof(bi.error)) < sizeof(bi.error),
                   "a refusal without a reason");
    return 0;
}
