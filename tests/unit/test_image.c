/*
 * test_image.c: hv/image.c, which tells whether the guest kernel module is
 * an ELF file and where its Multiboot header is.
 */
#include "unit.h"
#include "image.h"
#include <string.h>

static unsigned char file[16384];
static struct image_info info;

static int setup(void **state)
{
    (void)state;
    memset(file, 0, sizeof(file));
    return 0;
}

static void put_u32(unsigned off, uint32_t v) { memcpy(file + off, &v, 4); }

static void put_multiboot_header(unsigned off, uint32_t flags)
{
    put_u32(off, 0x1BADB002);
    put_u32(off + 4, flags);
    put_u32(off + 8, -(0x1BADB002u + flags));
}

static void test_elf32_with_header(void **state)
{
    (void)state;
    memcpy(file, "\x7f" "ELF\x01", 5);
    put_multiboot_header(0x1000, 3);
    image_inspect(file, sizeof(file), &info);
    assert_true(info.is_elf);
    assert_int_equal(info.elf_bits, 32);
    assert_true(info.has_multiboot);
    assert_int_equal(info.multiboot_offset, 0x1000);
    assert_int_equal(info.multiboot_flags, 3);
}

static void test_elf64_without_header(void **state)
{
    (void)state;
    memcpy(file, "\x7f" "ELF\x02", 5);
    image_inspect(file, sizeof(file), &info);
    assert_true(info.is_elf);
    assert_int_equal(info.elf_bits, 64);
    assert_false(info.has_multiboot);
}

static void test_flat_binary_with_header(void **state)
{
    (void)state;
    put_multiboot_header(8, 0x10003);
    image_inspect(file, sizeof(file), &info);
    assert_false(info.is_elf);
    assert_true(info.has_multiboot);
    assert_int_equal(info.multiboot_offset, 8);
}

static void test_text_file_is_neither(void **state)
{
    (void)state;
    strcpy((char *)file, "hello module\n");
    image_inspect(file, 13, &info);
    assert_false(info.is_elf);
    assert_false(info.has_multiboot);
}

static void test_headers_that_do_not_count(void **state)
{
    (void)state;
    put_multiboot_header(0x10, 3);
    put_u32(0x18, 0);   /* bad checksum */
    put_multiboot_header(0x22, 3);   /* not 4-byte aligned */
    put_multiboot_header(8192, 3);   /* beyond the first 8 KiB */
    image_inspect(file, sizeof(file), &info);
    assert_false(info.has_multiboot);
    put_multiboot_header(8180, 3);   /* the last place it may start */
    image_inspect(file, sizeof(file), &info);
    assert_true(info.has_multiboot);
    assert_int_equal(info.multiboot_offset, 8180);
}

static void test_tiny_files(void **state)
{
    (void)state;
    memcpy(file, "\x7f" "ELF\x01", 5);
    image_inspect(file, 4, &info);   /* too short for the class byte */
    assert_false(info.is_elf);
    image_inspect(file, 0, &info);
    assert_false(info.is_elf);
    assert_false(info.has_multiboot);
    put_multiboot_header(0, 0);
    image_inspect(file, 11, &info);  /* header cut short */
    assert_false(info.has_multiboot);
}

#define T(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_elf32_with_header),
        T(test_elf64_without_header),
        T(test_flat_binary_with_header),
        T(test_text_file_is_neither),
        T(test_headers_that_do_not_count),
        T(test_tiny_files),
    };
    return RUN_UNIT_TESTS("image", tests);
}
