/* crc32.c: table-driven CRC-32 (reflected polynomial 0xEDB88320). The table
 * is built on first use: modules of several MiB are checked under emulation,
 * where a bitwise loop would cost seconds. */
#include "crc32.h"

static uint32_t table[256];

static void build_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & -(c & 1));
        table[i] = c;
    }
}

uint32_t crc32(const void *data, size_t len)
{
    if (!table[1])
        build_table();
    const unsigned char *p = data;
    uint32_t crc = 0xFFFFFFFFu;
    while (len--)
        crc = (crc >> 8) ^ table[(crc ^ *p++) & 0xFF];
    return ~crc;
}
