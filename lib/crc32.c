/* crc32.c: CRC-32 (reflected polynomial 0xEDB88320), eight bytes a step
 * ("slicing-by-8": table k holds the CRC of a byte followed by k zero
 * bytes, so eight lookups fold eight bytes at once). Modules of several
 * MiB are checked under emulation, where each instruction counts: a byte a
 * step costs about 9 instructions a byte, this about 3. The tables are
 * built on first use. */
#include "crc32.h"

static uint32_t table[8][256];

static void build_tables(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & -(c & 1));
        table[0][i] = c;
    }
    for (int k = 1; k < 8; k++)
        for (uint32_t i = 0; i < 256; i++)
            table[k][i] = (table[k - 1][i] >> 8) ^ table[0][table[k - 1][i] & 0xFF];
}

static uint32_t load32(const unsigned char *p)    /* little-endian, any alignment */
{
    uint32_t v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

uint32_t crc32(const void *data, size_t len)
{
    if (!table[0][1])
        build_tables();
    const unsigned char *p = data;
    uint32_t crc = 0xFFFFFFFFu;
    for (; len >= 8; p += 8, len -= 8) {
        uint32_t lo = crc ^ load32(p), hi = load32(p + 4);
        crc = table[7][lo & 0xFF] ^ table[6][(lo >> 8) & 0xFF] ^ table[5][(lo >> 16) & 0xFF] ^
              table[4][lo >> 24] ^ table[3][hi & 0xFF] ^ table[2][(hi >> 8) & 0xFF] ^
              table[1][(hi >> 16) & 0xFF] ^ table[0][hi >> 24];
    }
    while (len--)
        crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xFF];
    return ~crc;
}
