/*
 * test_crc32.c: lib/crc32.c, the CRC-32 the hypervisor and the loader print
 * for each module (tests compare it with Python's zlib.crc32). Its eight
 * bytes a step must give what the one-bit-at-a-time definition gives, for
 * every length and alignment: a head, whole steps, a tail.
 */
#include "unit.h"
#include "crc32.h"

/* The definition: reflected, polynomial 0xEDB88320, init and final XOR ~0. */
static uint32_t crc32_bitwise(const unsigned char *p, size_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    while (len--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
    }
    return ~crc;
}

static unsigned char data[1 << 20];

static void fill(void)
{
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof data; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = (unsigned char)(x >> 16);
    }
}

static void test_check_value(void **state)
{
    (void)state;
    assert_int_equal(crc32("123456789", 9), 0xCBF43926u);   /* the standard check value */
    assert_int_equal(crc32("", 0), 0);
    assert_int_equal(crc32("a", 1), 0xE8B7BE43u);
}

static void test_every_length_and_alignment(void **state)
{
    (void)state;
    fill();
    for (size_t start = 0; start < 8; start++)
        for (size_t len = 0; len <= 70; len++)
            assert_int_equal(crc32(data + start, len), crc32_bitwise(data + start, len));
}

static void test_a_mebibyte(void **state)
{
    (void)state;
    fill();
    assert_int_equal(crc32(data, sizeof data), crc32_bitwise(data, sizeof data));
    assert_int_equal(crc32(data + 3, sizeof data - 5), crc32_bitwise(data + 3, sizeof data - 5));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_value),
        cmocka_unit_test(test_every_length_and_alignment),
        cmocka_unit_test(test_a_mebibyte),
    };
    return RUN_UNIT_TESTS("crc32", tests);
}
