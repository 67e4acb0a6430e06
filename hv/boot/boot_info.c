/*
 * boot_info.c: copy the Multiboot v1 information into struct boot_info (a
 * pure module: any mode, and the host unit tests in
 * tests/unit/test_boot_info.c). See boot_info.h; the structures of the
 * spec are lib/multiboot.h's.
 *
 * Nothing the loader gives is trusted blindly: every address goes through
 * the caller's map function, every string and list has a bound, and the
 * first thing that does not fit is reported by name.
 */
#include "boot/boot_info.h"
#include "fmt.h"
#include "string.h"

static bool fail(struct boot_info *bi, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(struct boot_info *bi, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(bi->error, sizeof(bi->error), fmt, ap);
    va_end(ap);
    return false;
}

static void add_used(struct boot_info *bi, uint64_t start, uint64_t end, const char *what)
{
    if (bi->used_count < BOOT_RANGES_MAX)
        bi->used[bi->used_count++] = (struct boot_range){ start, end, what };
}

/* Copy the NUL-terminated string at pa into dst. False if it is not
 * accessible or longer than size - 1. Records the bytes it occupies. */
static bool copy_string(struct boot_info *bi, char *dst, size_t size, uint32_t pa,
                        phys_map_fn map, const char *what)
{
    for (size_t i = 0; i < size; i++) {
        const char *c = map((uint64_t)pa + i, 1);
        if (!c)
            return fail(bi, "the %s at 0x%08x runs into memory the hypervisor cannot read", what, pa);
        dst[i] = *c;
        if (*c == '\0') {
            add_used(bi, pa, (uint64_t)pa + i + 1, what);
            return true;
        }
    }
    dst[size - 1] = '\0';
    return fail(bi, "the %s at 0x%08x is longer than %zu bytes", what, pa, size - 1);
}

/* An entry is a 64-bit base_addr and a 64-bit length (Multiboot 0.6.96,
 * 3.3). One whose sum passes 2^64 is cut at the top of the address space
 * rather than wrapped to an end below its start: the page allocator drops
 * such a range, and a reserved range dropped would be handed out. */
static bool add_mmap_entry(struct boot_info *bi, uint64_t start, uint64_t length, uint32_t type)
{
    if (bi->mmap_count == BOOT_MMAP_MAX)
        return fail(bi, "the memory map has more than %d entries", BOOT_MMAP_MAX);
    uint64_t end = length > UINT64_MAX - start ? UINT64_MAX : start + length;
    bi->mmap[bi->mmap_count++] = (struct boot_mmap_entry){ start, end, type };
    return true;
}

static bool parse_mmap(struct boot_info *bi, const struct multiboot_info *mbi, phys_map_fn map)
{
    uint64_t pa = mbi->mmap_addr, end = (uint64_t)mbi->mmap_addr + mbi->mmap_length;
    if (!map(pa, mbi->mmap_length))
        return fail(bi, "the memory map at 0x%08x is not readable", mbi->mmap_addr);
    add_used(bi, pa, end, "memory map");
    while (pa + 4 <= end) {
        const struct multiboot_mmap_entry *e = map(pa, sizeof(*e));
        if (!e || pa + sizeof(*e) > end || e->size < sizeof(*e) - 4)
            return fail(bi, "memory map entry at 0x%08lx is truncated", pa);
        if (!add_mmap_entry(bi, e->addr, e->len, e->type))
            return false;
        pa += (uint64_t)e->size + 4;
    }
    return true;
}

/* Without a memory map, the spec's older fields still describe two areas. */
static bool fake_mmap(struct boot_info *bi, const struct multiboot_info *mbi)
{
    bi->mmap_from_mem_fields = true;
    return add_mmap_entry(bi, 0, (uint64_t)mbi->mem_lower * 1024, MMAP_USABLE) &&
           add_mmap_entry(bi, 0x100000, (uint64_t)mbi->mem_upper * 1024, MMAP_USABLE);
}

static bool parse_modules(struct boot_info *bi, const struct multiboot_info *mbi, phys_map_fn map)
{
    if (mbi->mods_count > BOOT_MODULES_MAX)
        return fail(bi, "%u modules given, at most %d are supported", mbi->mods_count, BOOT_MODULES_MAX);
    uint64_t list_size = (uint64_t)mbi->mods_count * sizeof(struct multiboot_mod_list);
    const struct multiboot_mod_list *mods = map(mbi->mods_addr, list_size);
    if (!mods && list_size)
        return fail(bi, "the module list at 0x%08x is not readable", mbi->mods_addr);
    add_used(bi, mbi->mods_addr, mbi->mods_addr + list_size, "module list");
    for (unsigned i = 0; i < mbi->mods_count; i++) {
        struct boot_module *m = &bi->modules[i];
        if (mods[i].mod_end < mods[i].mod_start)
            return fail(bi, "module %u ends (0x%08x) before it starts (0x%08x)", i,
                        mods[i].mod_end, mods[i].mod_start);
        if (!map(mods[i].mod_start, mods[i].mod_end - mods[i].mod_start))
            return fail(bi, "module %u at 0x%08x is not readable", i, mods[i].mod_start);
        m->start = mods[i].mod_start;
        m->end = mods[i].mod_end;
        m->string[0] = '\0';
        if (mods[i].cmdline && !copy_string(bi, m->string, sizeof(m->string), mods[i].cmdline, map, "module string"))
            return false;
        add_used(bi, m->start, m->end, "module");
        bi->module_count++;
    }
    return true;
}

bool multiboot_parse(struct boot_info *bi, uint32_t magic, uint32_t mbi_pa, phys_map_fn map)
{
    memset(bi, 0, sizeof(*bi));
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC)
        return fail(bi, "not booted by a Multiboot loader: EAX=0x%08x, expected 0x%08x "
                    "(boot the hypervisor with GRUB's 'multiboot', QEMU -kernel or the kit's loader)",
                    magic, MULTIBOOT_BOOTLOADER_MAGIC);
    const struct multiboot_info *mbi = map(mbi_pa, sizeof(*mbi));
    if (!mbi)
        return fail(bi, "the Multiboot information at 0x%08x is not readable", mbi_pa);
    add_used(bi, mbi_pa, (uint64_t)mbi_pa + sizeof(*mbi), "Multiboot information");

    memcpy(bi->loader, "unknown", sizeof("unknown"));
    if ((mbi->flags & MULTIBOOT_INFO_BOOT_LOADER_NAME) &&
        !copy_string(bi, bi->loader, sizeof(bi->loader), mbi->boot_loader_name, map, "boot loader name"))
        return false;
    if ((mbi->flags & MULTIBOOT_INFO_CMDLINE) &&
        !copy_string(bi, bi->cmdline, sizeof(bi->cmdline), mbi->cmdline, map, "command line"))
        return false;

    if (mbi->flags & MULTIBOOT_INFO_MEM_MAP) {
        if (!parse_mmap(bi, mbi, map))
            return false;
    } else if (mbi->flags & MULTIBOOT_INFO_MEMORY) {
        if (!fake_mmap(bi, mbi))
            return false;
    } else {
        return fail(bi, "the loader gave neither a memory map nor mem_lower/mem_upper (flags=0x%08x)",
                    mbi->flags);
    }

    if ((mbi->flags & MULTIBOOT_INFO_MODS) && !parse_modules(bi, mbi, map))
        return false;
    /* Tables the hypervisor does not read, but must not overwrite either. */
    if (mbi->flags & MULTIBOOT_INFO_ELF_SHDR)
        add_used(bi, mbi->syms[2], (uint64_t)mbi->syms[2] + (uint64_t)mbi->syms[0] * mbi->syms[1],
                 "ELF section headers");
    if (mbi->flags & MULTIBOOT_INFO_DRIVES)
        add_used(bi, mbi->drives_addr, (uint64_t)mbi->drives_addr + mbi->drives_length, "drives");
    return true;
}

const char *mmap_type_name(uint32_t type)
{
    switch (type) {
    case MMAP_USABLE: return "usable";
    case MMAP_ACPI: return "acpi";
    case MMAP_NVS: return "nvs";
    case MMAP_BAD: return "bad";
    default: return "reserved";   /* the spec: any other value is reserved */
    }
}

uint64_t boot_usable_bytes(const struct boot_info *bi)
{
    uint64_t total = 0;
    for (unsigned i = 0; i < bi->mmap_count; i++)
        if (bi->mmap[i].type == MMAP_USABLE)
            total += bi->mmap[i].end - bi->mmap[i].start;
    return total;
}

unsigned boot_usable_regions(const struct boot_info *bi)
{
    unsigned n = 0;
    for (unsigned i = 0; i < bi->mmap_count; i++)
        n += bi->mmap[i].type == MMAP_USABLE;
    return n;
}

/* "0, 3 and 7": the modules that are kernels, for the error messages. */
static void list_kernels(const bool *is_kernel, unsigned n, char *out, size_t size)
{
    unsigned found = 0, total = 0;
    for (unsigned i = 0; i < n; i++)
        total += is_kernel[i];
    out[0] = '\0';
    for (unsigned i = 0; i < n && found < total; i++) {
        if (!is_kernel[i])
            continue;
        size_t len = strlen(out);
        found++;
        snprintf(out + len, size - len, "%s%u", found == 1 ? "" : found == total ? " and " : ", ", i);
    }
}

bool boot_module_groups(const struct boot_info *bi, const bool *is_kernel, unsigned vms,
                        struct boot_group *groups, char *err, size_t errlen)
{
    unsigned n = bi->module_count;
    if (vms <= 1) {
        groups[0] = (struct boot_group){ 0, n };
        return true;
    }
    if (n < vms) {
        snprintf(err, errlen, "vms=%u needs %u module groups, each a Multiboot kernel and its "
                 "modules, but %u module%s given", vms, vms, n, n == 1 ? " is" : "s are");
        return false;
    }
    if (!is_kernel[0]) {
        snprintf(err, errlen, "vms=%u: module 0 ('%s') is not a Multiboot kernel: each VM's group "
                 "of modules starts with its guest kernel", vms, bi->modules[0].string);
        return false;
    }
    unsigned kernels = 0;
    for (unsigned i = 0; i < n; i++)
        kernels += is_kernel[i];
    if (kernels != vms) {
        char list[160];
        list_kernels(is_kernel, n, list, sizeof(list));
        snprintf(err, errlen, "vms=%u needs %u module groups, each a Multiboot kernel and the "
                 "modules after it up to the next kernel, but the modules hold %u (kernel%s at "
                 "module%s %s): give one kernel per VM", vms, vms, kernels, kernels == 1 ? "" : "s",
                 kernels == 1 ? "" : "s", list);
        return false;
    }
    unsigned g = 0;
    for (unsigned i = 0; i < n; i++) {
        if (is_kernel[i])
            groups[g++] = (struct boot_group){ i, 0 };
        groups[g - 1].count++;
    }
    return true;
}
