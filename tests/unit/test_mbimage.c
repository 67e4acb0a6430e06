/*
 * test_mbimage.c: lib/mbimage.c, the Multiboot v1 kernel loader shared by the
 * fast loader and the hypervisor: where each kind of kernel image goes, and
 * the one-line reason for each image it refuses.
 */
#include "unit.h"
#include "elf.h"
#include "mbimage.h"
#include "multiboot.h"
#include <string.h>

static uint8_t file[16384];
static struct mb_image img;

static int setup(void **state)
{
    (void)state;
    memset(file, 0, sizeof(file));
    memset(&img, 0, sizeof(img));
    return 0;
}

static void put_header(unsigned off, uint32_t flags)
{
    struct multiboot_header h = { .magic = MULTIBOOT_HEADER_MAGIC, .flags = flags,
                                  .checksum = -(MULTIBOOT_HEADER_MAGIC + flags) };
    memcpy(file + off, &h, 12);
}

/* An ELF32 kernel: one text segment at vaddr 0xC0100000, paddr 1 MiB, with
 * 0x2000 file bytes and 0x3000 memory bytes, entering at vaddr 0xC0100010. */
static void put_elf32(uint32_t entry, uint32_t paddr, uint32_t filesz, uint32_t memsz)
{
    struct elf32_ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_386, .e_version = EV_CURRENT,
                             .e_entry = entry, .e_phoff = sizeof(eh), .e_phentsize = sizeof(struct elf32_phdr),
                             .e_phnum = 1 };
    memcpy(eh.e_ident, "\x7f" "ELF", 4);
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    memcpy(file, &eh, sizeof(eh));
    struct elf32_phdr ph = { .p_type = PT_LOAD, .p_offset = 0x1000, .p_vaddr = 0xC0100000,
                             .p_paddr = paddr, .p_filesz = filesz, .p_memsz = memsz };
    memcpy(file + sizeof(eh), &ph, sizeof(ph));
    put_header(0x1000, MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO);
}

static void test_elf32_higher_half_kernel(void **state)
{
    (void)state;
    put_elf32(0xC0100010, 0x100000, 0x2000, 0x3000);
    assert_true(mbimage_inspect(&img, file, sizeof(file)));
    assert_false(img.kludge);
    assert_int_equal(img.start, 0x100000);
    assert_int_equal(img.end, 0x103000);
    assert_int_equal(img.entry, 0x100010);   /* e_entry translated to its physical alias */
}

struct placed { uint64_t paddr, filesz, memsz; const uint8_t *src; int calls; };

static void record(void *ctx, uint64_t paddr, const uint8_t *src, uint64_t filesz, uint64_t memsz)
{
    struct placed *p = ctx;
    *p = (struct placed){ paddr, filesz, memsz, src, p->calls + 1 };
}

static void test_place_hands_over_each_segment(void **state)
{
    (void)state;
    put_elf32(0xC0100010, 0x100000, 0x2000, 0x3000);
    assert_true(mbimage_inspect(&img, file, sizeof(file)));
    struct placed p = { 0 };
    mbimage_place(&img, record, &p);
    assert_int_equal(p.calls, 1);
    assert_int_equal(p.paddr, 0x100000);
    assert_ptr_equal(p.src, file + 0x1000);
    assert_int_equal(p.filesz, 0x2000);
    assert_int_equal(p.memsz, 0x3000);      /* the bss is the difference */
}

/* A kernel linked below 1 MiB is a valid kernel (GRUB loads it): where it
 * may go in the guest is the hypervisor's business (guest.c), not the
 * loader's. */
static void test_elf32_below_1mib(void **state)
{
    (void)state;
    put_elf32(0xC0100010, 0x10000, 0x2000, 0x3000);
    assert_true(mbimage_inspect(&img, file, sizeof(file)));
    assert_int_equal(img.start, 0x10000);
    assert_int_equal(img.end, 0x13000);
    assert_int_equal(img.entry, 0x10010);
}

/* A Linux-style kernel linked at 0xC0100000 whose e_entry is already
 * physical: QEMU's -kernel enters it there, and so does this loader. */
static void test_physical_entry_is_taken_as_it_is(void **state)
{
    (void)state;
    put_elf32(0x100010, 0x100000, 0x2000, 0x3000);
    assert_true(mbimage_inspect(&img, file, sizeof(file)));
    assert_int_equal(img.entry, 0x100010);
    put_elf32(0x102fff, 0x100000, 0x2000, 0x3000);      /* the last byte of the bss */
    assert_true(mbimage_inspect(&img, file, sizeof(file)));
    assert_int_equal(img.entry, 0x102fff);
}

/* Where both readings fit, the virtual one wins (GRUB and QEMU agree). */
static void test_virtual_reading_of_the_entry_comes_first(void **state)
{
    (void)state;
    put_elf32(0x100010, 0x100000, 0x2000, 0x3000);
    struct elf32_phdr *ph = (struct elf32_phdr *)(file + sizeof(struct elf32_ehdr));
    ph->p_vaddr = 0x100000 - 0x10000;   /* vaddr 0xF0000-0xF3000 holds it too, at an offset */
    ph->p_memsz = 0x20000;
    assert_true(mbimage_inspect(&img, file, sizeof(file)));
    assert_int_equal(img.entry, 0x110010);
}

static void test_entry_outside_every_segment_is_refused(void **state)
{
    (void)state;
    put_elf32(0x300000, 0x100000, 0x2000, 0x3000);
    assert_false(mbimage_inspect(&img, file, sizeof(file)));
    assert_non_null(strstr(img.error, "entry point 0x300000 lies in no loadable segment, neither in "
                                      "its virtual nor in its physical range (segments 0: virtual "
                                      "0xc0100000, physical 0x100000, 0x3000 bytes)"));
    put_elf32(0x103000, 0x100000, 0x2000, 0x3000);       /* one past the bss */
    assert_false(mbimage_inspect(&img, file, sizeof(file)));
}

/* put_elf32's kernel with n program headers, all copies of its one: the
 * caller then moves them. */
static struct elf32_phdr *copy_segment(unsigned n)
{
    struct elf32_ehdr *eh = (struct elf32_ehdr *)file;
    struct elf32_phdr *ph = (struct elf32_phdr *)(file + sizeof(*eh));
    eh->e_phnum = (uint16_t)n;
    for (unsigned i = 1; i < n; i++)
        ph[i] = ph[0];
    return ph;
}

/* Segments after the first three are summed up, and the line still ends. */
static void test_entry_refusal_names_at_most_three_segments(void **state)
{
    (void)state;
    put_elf32(0x300000, 0x100000, 0x100, 0x100);
    struct elf32_phdr *ph = copy_segment(6);
    for (unsigned i = 1; i < 6; i++) {
        ph[i].p_paddr += i * 0x1000;
        ph[i].p_vaddr = 0xFFFFF000u - i * 0x1000;
    }
    assert_false(mbimage_inspect(&img, file, sizeof(file)));
    assert_non_null(strstr(img.error, "; 2: virtual 0xffffd000, physical 0x102000, 0x100 bytes, ...)"));
    assert_null(strstr(img.error, "3: virtual"));
}

/* Which of two overlapping segments wins would depend on the order of the
 * program headers: refused, naming both. */
static void test_overlapping_segments_are_refused(void **state)
{
    (void)state;
    put_elf32(0xC0100010, 0x100000, 0x100, 0x3000);
    struct elf32_phdr *ph = copy_segment(2);
    ph[1].p_paddr = 0x102fff;        /* the first one's last bss byte */
    assert_false(mbimage_inspect(&img, file, sizeof(file)));
    assert_non_null(strstr(img.error, "segments 0 (physical 0x100000-0x103000) and 1 (physical "
                                      "0x102fff-0x105fff) overlap"));
    ph[1].p_paddr = 0x103000;        /* touching is not overlapping */
    assert_true(mbimage_inspect(&img, file, sizeof(file)));
    assert_int_equal(img.end, 0x106000);
}

static void test_segment_past_end_of_file_is_refused(void **state)
{
    (void)state;
    put_elf32(0xC0100010, 0x100000, 0x8000, 0x8000);
    assert_false(mbimage_inspect(&img, file, 0x4000));   /* truncated file */
    assert_non_null(strstr(img.error, "runs past the end of the file"));
}

/* Found by tests/fuzz/fuzz_mbimage: program headers past the end of a file
 * shorter than 8 KiB were read from the memory after it, and a 64-bit
 * e_phoff near 2^64 wrapped around the bound and read before the file. */
static void test_program_headers_outside_the_file_are_refused(void **state)
{
    (void)state;
    put_elf32(0xC0100010, 0x100000, 0x100, 0x100);
    struct elf32_phdr ph;
    memcpy(&ph, file + sizeof(struct elf32_ehdr), sizeof(ph));
    memcpy(file + 0x1100, &ph, sizeof(ph));            /* a good table, just past the file */
    struct elf32_ehdr *eh = (struct elf32_ehdr *)file;
    eh->e_phoff = 0x1100;
    assert_false(mbimage_inspect(&img, file, 0x1100));
    assert_non_null(strstr(img.error, "program headers run past the end of the file"));

    struct elf64_ehdr eh64 = { .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
                               .e_phoff = (uint64_t)-48, .e_phentsize = sizeof(struct elf64_phdr),
                               .e_phnum = 1 };                /* phoff + 56 wraps to 8 */
    memcpy(eh64.e_ident, "\x7f" "ELF", 4);
    eh64.e_ident[EI_CLASS] = ELFCLASS64;
    eh64.e_ident[EI_DATA] = ELFDATA2LSB;
    memcpy(file, &eh64, sizeof(eh64));
    assert_false(mbimage_inspect(&img, file, sizeof(file)));
    assert_non_null(strstr(img.error, "program headers lie beyond its first 8192 bytes"));
}

static void test_kludge_kernel(void **state)
{
    (void)state;
    /* A flat image loaded at 1 MiB whose header sits 0x40 bytes in. */
    uint32_t flags = MULTIBOOT_AOUT_KLUDGE | MULTIBOOT_PAGE_ALIGN;
    struct multiboot_header h = { MULTIBOOT_HEADER_MAGIC, flags, -(MULTIBOOT_HEADER_MAGIC + flags),
                                  0x100040, 0x100000, 0x102000, 0x105000, 0x100080, 0, 0, 0, 0 };
    memcpy(file + 0x40, &h, 32);
    assert_true(mbimage_inspect(&img, file, sizeof(file)));
    assert_true(img.kludge);
    assert_int_equal(img.start, 0x100000);
    assert_int_equal(img.end, 0x105000);
    assert_int_equal(img.entry, 0x100080);
    struct placed p = { 0 };
    mbimage_place(&img, record, &p);
    assert_int_equal(p.calls, 1);
    assert_ptr_equal(p.src, file);
    assert_int_equal(p.filesz, 0x2000);
    assert_int_equal(p.memsz, 0x5000);
}

static void test_kludge_entry_outside_kernel_is_refused(void **state)
{
    (void)state;
    uint32_t flags = MULTIBOOT_AOUT_KLUDGE;
    struct multiboot_header h = { MULTIBOOT_HEADER_MAGIC, flags, -(MULTIBOOT_HEADER_MAGIC + flags),
                                  0x100000, 0x100000, 0x101000, 0, 0x200000, 0, 0, 0, 0 };
    memcpy(file, &h, 32);
    assert_false(mbimage_inspect(&img, file, sizeof(file)));
    assert_non_null(strstr(img.error, "entry_addr 0x00200000 is outside the kernel"));
}

/* The a.out kludge's inconsistent fields (Multiboot 0.6.96, 3.1.3), each
 * refused with what is wrong. */
static void put_kludge(unsigned off, uint32_t header_addr, uint32_t load_addr, uint32_t load_end,
                       uint32_t bss_end, uint32_t entry)
{
    uint32_t flags = MULTIBOOT_AOUT_KLUDGE;
    struct multiboot_header h = { MULTIBOOT_HEADER_MAGIC, flags, -(MULTIBOOT_HEADER_MAGIC + flags),
                                  header_addr, load_addr, load_end, bss_end, entry, 0, 0, 0, 0 };
    memcpy(file + off, &h, 32);
}

static void test_kludge_inconsistencies_are_refused(void **state)
{
    (void)state;
    static const struct { uint32_t header, load, load_end, bss_end, entry; const char *why; } bad[] = {
        { 0x8040, 0x9000, 0, 0, 0x9000, "load_addr 0x00009000 is above header_addr 0x00008040" },
        { 0x9040, 0x8000, 0, 0, 0x9000, "header_addr - load_addr = 0x1040, but the header is only 0x40" },
        { 0x8040, 0x8000, 0x7000, 0, 0x8000, "load_end_addr 0x00007000 is below load_addr 0x00008000" },
        { 0x8040, 0x8000, 0xC000, 0, 0x8000, "it loads 16384 bytes from file offset 0x0, but the file has 8192" },
        { 0x8040, 0x8000, 0x8040, 0, 0x8000, "header_addr 0x00008040 lies outside the bytes it loads" },
        { 0x8040, 0x8000, 0x9000, 0x8800, 0x8000, "bss_end_addr 0x00008800 is below the end of the loaded bytes" },
        { 0x8040, 0x8000, 0x9000, 0xA000, 0xA000, "entry_addr 0x0000a000 is outside the kernel 0x00008000-0x0000a000" },
        { 0x8040, 0x8000, 0x9000, 0, 0x7FFF, "entry_addr 0x00007fff is outside the kernel" },
        { 0xFFFFF040, 0xFFFFF000, 0, 0, 0xFFFFF000, "they do not end below 4 GiB" },
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(file, 0, sizeof(file));
        put_kludge(0x40, bad[i].header, bad[i].load, bad[i].load_end, bad[i].bss_end, bad[i].entry);
        assert_false(mbimage_inspect(&img, file, 0x2000));
        if (!strstr(img.error, bad[i].why))
            fail_msg("case %u: '%s' lacks '%s'", i, img.error, bad[i].why);
    }
}

/* load_end_addr 0: the rest of the file; bss_end_addr 0: no bss; and the
 * header's file offset, less header_addr - load_addr, is where loading
 * starts, wherever the header lies in the image. */
static void test_kludge_zero_fields_mean_file_end_and_no_bss(void **state)
{
    (void)state;
    put_kludge(0x1040, 0x8040, 0x8000, 0, 0, 0x8100);
    assert_true(mbimage_inspect(&img, file, 0x3000));
    assert_int_equal(img.start, 0x8000);
    assert_int_equal(img.end, 0xA000);           /* 0x3000 - 0x1000 file bytes, no bss */
    assert_int_equal(img.entry, 0x8100);
    struct placed p = { 0 };
    mbimage_place(&img, record, &p);
    assert_ptr_equal(p.src, file + 0x1000);
    assert_int_equal(p.filesz, 0x2000);
    assert_int_equal(p.memsz, 0x2000);
}

/* Flag 16 set: the kludge's fields, not the ELF headers, say where the
 * kernel goes (Multiboot 3.1.3; GRUB and QEMU alike). */
static void test_kludge_takes_precedence_over_elf(void **state)
{
    (void)state;
    put_elf32(0xC0100010, 0x100000, 0x2000, 0x3000);
    put_kludge(0x1000, 0x8000, 0x8000, 0, 0x9000 + 0x4000, 0x8020);
    assert_true(mbimage_inspect(&img, file, sizeof(file)));
    assert_true(img.kludge);
    assert_int_equal(img.start, 0x8000);
    assert_int_equal(img.entry, 0x8020);
}

static void test_no_header_is_not_a_multiboot_kernel(void **state)
{
    (void)state;
    assert_false(mbimage_inspect(&img, file, sizeof(file)));
    assert_non_null(strstr(img.error, "not a Multiboot v1 kernel"));
}

static void test_header_beyond_8_kib_is_not_found(void **state)
{
    (void)state;
    put_header(8192, 0);
    assert_false(mbimage_inspect(&img, file, sizeof(file)));
    assert_non_null(strstr(img.error, "not a Multiboot v1 kernel"));
}

static void test_bad_checksum_is_named(void **state)
{
    (void)state;
    put_header(0x20, 0);
    file[0x28] ^= 1;
    assert_false(mbimage_inspect(&img, file, sizeof(file)));
    assert_non_null(strstr(img.error, "offset 0x20 has a bad checksum"));
}

/* What splits the modules into VMs (vms=N): a header whose checksum adds
 * up, in the first 8 KiB, whether or not the kernel can be loaded. */
static void test_has_header(void **state)
{
    (void)state;
    assert_false(mbimage_has_header(file, sizeof(file)));
    put_header(8192, 0);
    assert_false(mbimage_has_header(file, sizeof(file)));
    put_header(0x20, MULTIBOOT_VIDEO_MODE);            /* refused by inspect, still a header */
    assert_true(mbimage_has_header(file, sizeof(file)));
    assert_false(mbimage_has_header(file, 0x2B));       /* cut before its checksum */
    file[0x28] ^= 1;
    assert_false(mbimage_has_header(file, sizeof(file)));
}

static void test_video_mode_is_refused(void **state)
{
    (void)state;
    put_header(0, MULTIBOOT_VIDEO_MODE);
    assert_false(mbimage_inspect(&img, file, sizeof(file)));
    assert_non_null(strstr(img.error, "video mode"));
}

static void test_flat_file_without_kludge_is_refused(void **state)
{
    (void)state;
    put_header(0, 0);
    assert_false(mbimage_inspect(&img, file, sizeof(file)));
    assert_non_null(strstr(img.error, "not an ELF file"));
}

static void test_elf_for_another_machine_is_refused(void **state)
{
    (void)state;
    put_elf32(0xC0100010, 0x100000, 0x2000, 0x3000);
    file[18] = 40;   /* e_machine: ARM */
    assert_false(mbimage_inspect(&img, file, sizeof(file)));
    assert_non_null(strstr(img.error, "for machine 40"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_elf32_higher_half_kernel, setup),
        cmocka_unit_test_setup(test_elf32_below_1mib, setup),
        cmocka_unit_test_setup(test_place_hands_over_each_segment, setup),
        cmocka_unit_test_setup(test_physical_entry_is_taken_as_it_is, setup),
        cmocka_unit_test_setup(test_virtual_reading_of_the_entry_comes_first, setup),
        cmocka_unit_test_setup(test_entry_outside_every_segment_is_refused, setup),
        cmocka_unit_test_setup(test_entry_refusal_names_at_most_three_segments, setup),
        cmocka_unit_test_setup(test_overlapping_segments_are_refused, setup),
        cmocka_unit_test_setup(test_segment_past_end_of_file_is_refused, setup),
        cmocka_unit_test_setup(test_program_headers_outside_the_file_are_refused, setup),
        cmocka_unit_test_setup(test_kludge_kernel, setup),
        cmocka_unit_test_setup(test_kludge_entry_outside_kernel_is_refused, setup),
        cmocka_unit_test_setup(test_kludge_inconsistencies_are_refused, setup),
        cmocka_unit_test_setup(test_kludge_zero_fields_mean_file_end_and_no_bss, setup),
        cmocka_unit_test_setup(test_kludge_takes_precedence_over_elf, setup),
        cmocka_unit_test_setup(test_no_header_is_not_a_multiboot_kernel, setup),
        cmocka_unit_test_setup(test_header_beyond_8_kib_is_not_found, setup),
        cmocka_unit_test_setup(test_bad_checksum_is_named, setup),
        cmocka_unit_test_setup(test_has_header, setup),
        cmocka_unit_test_setup(test_video_mode_is_refused, setup),
        cmocka_unit_test_setup(test_flat_file_without_kludge_is_refused, setup),
        cmocka_unit_test_setup(test_elf_for_another_machine_is_refused, setup),
    };
    return RUN_UNIT_TESTS("mbimage", tests);
}
