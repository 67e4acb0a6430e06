/*
 * test_multiboot.c: hv/multiboot.c, the Multiboot information parser, on
 * synthetic information laid out in a buffer that stands for physical
 * memory [BASE, BASE + sizeof(mem)).
 */
#include "unit.h"
#include "boot/boot_info.h"
#include <stdio.h>
#include <string.h>

#define BASE 0x10000u

static _Alignas(16) unsigned char mem[16384];
static struct boot_info bi;

/* The parser's only way into "physical memory". */
static const void *map(uint64_t pa, uint64_t len)
{
    if (pa < BASE || pa - BASE > sizeof(mem) || len > sizeof(mem) - (pa - BASE))
        return NULL;
    return mem + (pa - BASE);
}

/* Offsets in mem of the pieces of a typical boot. */
enum { MBI = 0x0, CMDLINE = 0x100, LOADER = 0x200, MMAP = 0x300, MODS = 0x400,
       MOD0_STR = 0x500, MOD1_STR = 0x600, MOD0 = 0x1000, MOD1 = 0x2000 };

static struct multiboot_info *info(void) { return (struct multiboot_info *)(mem + MBI); }

static void put_string(unsigned off, const char *s) { strcpy((char *)mem + off, s); }

static void put_mmap_entry(unsigned *off, uint32_t size, uint64_t base, uint64_t len, uint32_t type)
{
    struct multiboot_mmap_entry e = { size, base, len, type };
    memcpy(mem + *off, &e, sizeof(e));
    *off += size + 4;
}

/* A boot like GRUB's: loader name, command line, a memory map, two modules. */
static int setup(void **state)
{
    (void)state;
    memset(mem, 0, sizeof(mem));
    struct multiboot_info *m = info();
    m->flags = MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_MODS | MULTIBOOT_INFO_MEM_MAP | MULTIBOOT_INFO_BOOT_LOADER_NAME;
    m->mem_lower = 639;
    m->mem_upper = 261120;
    put_string(CMDLINE, "/boot/hv.elf mem=ept");
    m->cmdline = BASE + CMDLINE;
    put_string(LOADER, "GRUB 2.06");
    m->boot_loader_name = BASE + LOADER;

    unsigned off = MMAP;
    put_mmap_entry(&off, 20, 0, 0x9fc00, MMAP_USABLE);
    put_mmap_entry(&off, 20, 0x9fc00, 0x400, MMAP_RESERVED);
    put_mmap_entry(&off, 20, 0x100000, 0xfee0000, MMAP_USABLE);
    put_mmap_entry(&off, 20, 0xfffc0000, 0x40000, 7);   /* unknown type */
    m->mmap_addr = BASE + MMAP;
    m->mmap_length = off - MMAP;

    struct multiboot_mod_list *mods = (struct multiboot_mod_list *)(mem + MODS);
    mods[0] = (struct multiboot_mod_list){ BASE + MOD0, BASE + MOD0 + 100, BASE + MOD0_STR, 0 };
    mods[1] = (struct multiboot_mod_list){ BASE + MOD1, BASE + MOD1 + 4096, BASE + MOD1_STR, 0 };
    put_string(MOD0_STR, "/boot/kernel.elf console=com1");
    put_string(MOD1_STR, "/boot/init");
    m->mods_count = 2;
    m->mods_addr = BASE + MODS;
    return 0;
}

static bool parse(void) { return multiboot_parse(&bi, MULTIBOOT_BOOTLOADER_MAGIC, BASE + MBI, map); }

static bool used_contains(uint64_t start, uint64_t end)
{
    for (unsigned i = 0; i < bi.used_count; i++)
        if (bi.used[i].start <= start && end <= bi.used[i].end)
            return true;
    return false;
}

static void test_wrong_magic_is_refused(void **state)
{
    (void)state;
    assert_false(multiboot_parse(&bi, 0x36d76289, BASE + MBI, map));   /* Multiboot 2's */
    assert_non_null(strstr(bi.error, "not booted by a Multiboot loader"));
    assert_non_null(strstr(bi.error, "EAX=0x36d76289"));
}

static void test_unreadable_info_is_refused(void **state)
{
    (void)state;
    assert_false(multiboot_parse(&bi, MULTIBOOT_BOOTLOADER_MAGIC, 0x500, map));
    assert_non_null(strstr(bi.error, "0x00000500"));
}

static void test_strings_are_copied(void **state)
{
    (void)state;
    assert_true(parse());
    assert_string_equal(bi.loader, "GRUB 2.06");
    assert_string_equal(bi.cmdline, "/boot/hv.elf mem=ept");
    memset(mem + CMDLINE, 'X', 8);   /* the copy must not follow the original */
    assert_string_equal(bi.cmdline, "/boot/hv.elf mem=ept");
}

static void test_missing_strings_have_defaults(void **state)
{
    (void)state;
    info()->flags &= ~(MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_BOOT_LOADER_NAME);
    assert_true(parse());
    assert_string_equal(bi.loader, "unknown");
    assert_string_equal(bi.cmdline, "");
}

static void test_memory_map(void **state)
{
    (void)state;
    assert_true(parse());
    assert_int_equal(bi.mmap_count, 4);
    assert_false(bi.mmap_from_mem_fields);
    assert_int_equal(bi.mmap[2].start, 0x100000);
    assert_int_equal(bi.mmap[2].end, 0x100000 + 0xfee0000);
    assert_int_equal(bi.mmap[3].type, 7);
    assert_string_equal(mmap_type_name(bi.mmap[3].type), "reserved");
    assert_int_equal(boot_usable_regions(&bi), 2);
    assert_int_equal(boot_usable_bytes(&bi), 0x9fc00 + 0xfee0000);
}

/* Found by tests/fuzz/fuzz_boot_info: an entry whose base + length passes
 * 2^64 ended below its start, so a reserved range that wrapped was dropped. */
static void test_mmap_entry_past_2_64_is_cut(void **state)
{
    (void)state;
    unsigned off = MMAP;
    put_mmap_entry(&off, 20, 0xfffffffffffff000ull, 0x101000, MMAP_RESERVED);
    info()->mmap_length = off - MMAP;
    assert_true(parse());
    assert_int_equal(bi.mmap_count, 1);
    assert_int_equal(bi.mmap[0].start, 0xfffffffffffff000ull);
    assert_int_equal(bi.mmap[0].end, UINT64_MAX);
}

static void test_mmap_entries_follow_their_size_field(void **state)
{
    (void)state;
    /* Entries of 24 bytes (size = 24): a loader may pad them. */
    unsigned off = MMAP;
    put_mmap_entry(&off, 24, 0x1000, 0x1000, MMAP_ACPI);
    put_mmap_entry(&off, 24, 0x100000, 0x100000, MMAP_USABLE);
    info()->mmap_length = off - MMAP;
    assert_true(parse());
    assert_int_equal(bi.mmap_count, 2);
    assert_int_equal(bi.mmap[1].start, 0x100000);
    assert_int_equal(bi.mmap[1].type, MMAP_USABLE);
}

static void test_truncated_mmap_is_refused(void **state)
{
    (void)state;
    info()->mmap_length = 30;   /* one entry and a half */
    assert_false(parse());
    assert_non_null(strstr(bi.error, "truncated"));
}

static void test_mem_fields_without_map(void **state)
{
    (void)state;
    info()->flags &= ~MULTIBOOT_INFO_MEM_MAP;
    assert_true(parse());
    assert_true(bi.mmap_from_mem_fields);
    assert_int_equal(bi.mmap_count, 2);
    assert_int_equal(bi.mmap[0].end, 639 * 1024);
    assert_int_equal(bi.mmap[1].start, 0x100000);
    assert_int_equal(bi.mmap[1].end, 0x100000 + 261120ULL * 1024);
}

static void test_no_memory_information_is_refused(void **state)
{
    (void)state;
    info()->flags &= ~(MULTIBOOT_INFO_MEM_MAP | MULTIBOOT_INFO_MEMORY);
    assert_false(parse());
    assert_non_null(strstr(bi.error, "neither a memory map"));
}

static void test_modules_are_copied(void **state)
{
    (void)state;
    assert_true(parse());
    assert_int_equal(bi.module_count, 2);
    assert_int_equal(bi.modules[0].start, BASE + MOD0);
    assert_int_equal(bi.modules[0].end, BASE + MOD0 + 100);
    assert_string_equal(bi.modules[0].string, "/boot/kernel.elf console=com1");
    assert_string_equal(bi.modules[1].string, "/boot/init");
}

static void test_everything_the_loader_gave_is_recorded_as_used(void **state)
{
    (void)state;
    assert_true(parse());
    assert_true(used_contains(BASE + MBI, BASE + MBI + sizeof(struct multiboot_info)));
    assert_true(used_contains(BASE + CMDLINE, BASE + CMDLINE + strlen("/boot/hv.elf mem=ept") + 1));
    assert_true(used_contains(BASE + LOADER, BASE + LOADER + 10));
    assert_true(used_contains(BASE + MMAP, BASE + MMAP + info()->mmap_length));
    assert_true(used_contains(BASE + MODS, BASE + MODS + 2 * sizeof(struct multiboot_mod_list)));
    assert_true(used_contains(BASE + MOD0_STR, BASE + MOD0_STR + 10));
    assert_true(used_contains(BASE + MOD1_STR, BASE + MOD1_STR + 11));
    assert_true(used_contains(BASE + MOD0, BASE + MOD0 + 100));
    assert_true(used_contains(BASE + MOD1, BASE + MOD1 + 4096));
    assert_false(used_contains(BASE + 0x3000, BASE + 0x3001));
}

static void test_bad_modules_are_refused(void **state)
{
    (void)state;
    struct multiboot_mod_list *mods = (struct multiboot_mod_list *)(mem + MODS);
    mods[1].mod_end = mods[1].mod_start - 1;
    assert_false(parse());
    assert_non_null(strstr(bi.error, "module 1 ends"));

    setup(NULL);
    info()->mods_count = BOOT_MODULES_MAX + 1;
    assert_false(parse());
    assert_non_null(strstr(bi.error, "at most 32"));

    setup(NULL);
    mods[0].mod_end = BASE + sizeof(mem) + 1;   /* beyond readable memory */
    assert_false(parse());
    assert_non_null(strstr(bi.error, "module 0"));
}

static void test_overlong_string_is_refused(void **state)
{
    (void)state;
    memset(mem + 0x3000, 'a', BOOT_CMDLINE_MAX + 10);
    info()->cmdline = BASE + 0x3000;
    assert_false(parse());
    assert_non_null(strstr(bi.error, "command line"));
    assert_non_null(strstr(bi.error, "longer than 1023"));
}

static void test_type_names(void **state)
{
    (void)state;
    assert_string_equal(mmap_type_name(MMAP_USABLE), "usable");
    assert_string_equal(mmap_type_name(MMAP_RESERVED), "reserved");
    assert_string_equal(mmap_type_name(MMAP_ACPI), "acpi");
    assert_string_equal(mmap_type_name(MMAP_NVS), "nvs");
    assert_string_equal(mmap_type_name(MMAP_BAD), "bad");
    assert_string_equal(mmap_type_name(0), "reserved");
}

/* ---- the modules split into one group per VM (vms=N) ---- */

static struct boot_group groups[4];
static char err[400];

/* A module list of n modules, kernels where `kernels` says "K" ("K..K."). */
static bool split(const char *kernels, unsigned vms)
{
    static bool is_kernel[BOOT_MODULES_MAX];
    memset(&bi, 0, sizeof(bi));
    bi.module_count = (unsigned)strlen(kernels);
    for (unsigned i = 0; i < bi.module_count; i++) {
        is_kernel[i] = kernels[i] == 'K';
        snprintf(bi.modules[i].string, sizeof(bi.modules[i].string), "/boot/%s%u.elf",
                 is_kernel[i] ? "kernel" : "prog", i);
    }
    err[0] = 0;
    memset(groups, 0xA5, sizeof(groups));
    return boot_module_groups(&bi, is_kernel, vms, groups, err, sizeof(err));
}

static void assert_group(unsigned g, unsigned first, unsigned count)
{
    assert_int_equal(groups[g].first, first);
    assert_int_equal(groups[g].count, count);
}

/* One VM: every module is its, the first its kernel, whatever they hold
 * (a kernel may take another kernel as a module; module 0 that is no
 * kernel is refused later, as a stopped guest). */
static void test_one_vm_takes_every_module(void **state)
{
    (void)state;
    assert_true(split("K..K.", 1));
    assert_group(0, 0, 5);
    assert_true(split("...", 1));
    assert_group(0, 0, 3);
    assert_true(split("", 1));
    assert_group(0, 0, 0);
}

/* Each group is a kernel and the modules up to the next kernel. */
static void test_groups_start_at_each_kernel(void **state)
{
    (void)state;
    assert_true(split("K..K.", 2));
    assert_group(0, 0, 3);
    assert_group(1, 3, 2);
    assert_true(split("KK", 2));
    assert_group(0, 0, 1);
    assert_group(1, 1, 1);
    assert_true(split("K.KK...", 3));
    assert_group(0, 0, 2);
    assert_group(1, 2, 1);
    assert_group(2, 3, 4);
    assert_true(split("KKKK", 4));
    assert_group(3, 3, 1);
}

/* Modules that do not make the VMs asked for, and what the hypervisor
 * says: too few or too many kernels, too few modules, no kernel first. */
static void test_splits_that_fail(void **state)
{
    (void)state;
    static const struct { const char *kernels; unsigned vms; const char *err; } cases[] = {
        { "K...", 2, "vms=2 needs 2 module groups, each a Multiboot kernel and the modules after it up "
                     "to the next kernel, but the modules hold 1 (kernel at module 0): give one kernel "
                     "per VM" },
        { "K.K.K", 2, "vms=2 needs 2 module groups, each a Multiboot kernel and the modules after it up "
                      "to the next kernel, but the modules hold 3 (kernels at modules 0, 2 and 4): give "
                      "one kernel per VM" },
        { "KK", 3, "vms=3 needs 3 module groups, each a Multiboot kernel and its modules, but 2 modules "
                   "are given" },
        { "", 2, "vms=2 needs 2 module groups, each a Multiboot kernel and its modules, but 0 modules "
                 "are given" },
        { "K", 2, "vms=2 needs 2 module groups, each a Multiboot kernel and its modules, but 1 module "
                  "is given" },
        { ".K.K", 2, "vms=2: module 0 ('/boot/prog0.elf') is not a Multiboot kernel: each VM's group "
                     "of modules starts with its guest kernel" },
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_false(split(cases[i].kernels, cases[i].vms));
        assert_string_equal(err, cases[i].err);
    }
}

/* An error message cut to the room it is given is still a string. */
static void test_a_short_error_buffer_is_cut(void **state)
{
    (void)state;
    static bool is_kernel[3] = { true, false, false };
    char small[16];
    memset(&bi, 0, sizeof(bi));
    bi.module_count = 3;
    assert_false(boot_module_groups(&bi, is_kernel, 2, groups, small, sizeof(small)));
    assert_int_equal(strlen(small), sizeof(small) - 1);
}

#define T(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_wrong_magic_is_refused),
        T(test_unreadable_info_is_refused),
        T(test_strings_are_copied),
        T(test_missing_strings_have_defaults),
        T(test_memory_map),
        T(test_mmap_entry_past_2_64_is_cut),
        T(test_mmap_entries_follow_their_size_field),
        T(test_truncated_mmap_is_refused),
        T(test_mem_fields_without_map),
        T(test_no_memory_information_is_refused),
        T(test_modules_are_copied),
        T(test_everything_the_loader_gave_is_recorded_as_used),
        T(test_bad_modules_are_refused),
        T(test_overlong_string_is_refused),
        T(test_type_names),
        T(test_one_vm_takes_every_module),
        T(test_groups_start_at_each_kernel),
        T(test_splits_that_fail),
        T(test_a_short_error_buffer_is_cut),
    };
    return RUN_UNIT_TESTS("multiboot", tests);
}
